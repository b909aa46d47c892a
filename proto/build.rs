//! Compiles the protobuf contract with protox (pure Rust), so a build needs no `protoc`.
//! The same descriptor set feeds tonic code generation and gRPC server reflection.

use std::{env, path::PathBuf};

use prost::Message;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let protos = [
        "proto/claimdesk/v1/claims.proto",
        "proto/claimdesk/v1/sources.proto",
        "proto/claimdesk/v1/tokens.proto",
        "proto/claimdesk/v1/webhooks.proto",
    ];
    println!("cargo:rerun-if-changed=proto");

    let fds = protox::compile(protos, ["proto"])?;
    let out_dir = PathBuf::from(env::var("OUT_DIR")?);
    std::fs::write(out_dir.join("claimdesk_descriptor.bin"), fds.encode_to_vec())?;

    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .codec_path("crate::codec::ClaimdeskCodec")
        .compile_fds(fds)?;
    Ok(())
}
