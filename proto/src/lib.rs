//! The `claimdesk.v1` protobuf contract shared by core (server) and the gateway (client).

#![allow(clippy::all, clippy::pedantic, missing_docs)]

pub mod v1 {
    tonic::include_proto!("claimdesk.v1");
}

/// Encoded `FileDescriptorSet` of the whole contract, served by gRPC reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/claimdesk_descriptor.bin"));

pub mod codec;
