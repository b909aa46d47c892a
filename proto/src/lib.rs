//! The `claimdesk.v1` protobuf contract shared by core (server) and the gateway (client), and
//! what both sides of it share: the codec, request ids, the metrics' common parts.

#![allow(clippy::all, clippy::pedantic, missing_docs)]

pub mod v1 {
    tonic::include_proto!("claimdesk.v1");
}

/// Encoded `FileDescriptorSet` of the whole contract, served by gRPC reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/claimdesk_descriptor.bin"));

pub mod codec;
pub mod metrics;

/// The request id every call carries (`x-request-id`, HTTP header and gRPC metadata alike).
/// `WatchEvents`' response metadata: the cursor the stream starts after, so that a client that
/// receives no event before it reconnects resumes from there rather than from a later "now".
pub const FEED_START_CURSOR: &str = "claimdesk-feed-cursor";

pub mod request_id {
    /// The header and metadata key.
    pub const HEADER: &str = "x-request-id";

    /// Longest id kept from a caller.
    pub const MAX_LEN: usize = 128;

    /// The caller's id when it is a sensible one (1 to 128 visible ASCII characters), else a
    /// new one (a UUIDv7 in hex, so that ids sort by time).
    pub fn accept_or_new(value: Option<&[u8]>) -> String {
        value
            .filter(|v| !v.is_empty() && v.len() <= MAX_LEN && v.iter().all(u8::is_ascii_graphic))
            .and_then(|v| std::str::from_utf8(v).ok())
            .map_or_else(|| uuid::Uuid::now_v7().simple().to_string(), str::to_owned)
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn ids_are_kept_when_sensible_and_made_otherwise() {
            assert_eq!(accept_or_new(None).len(), 32);
            assert_eq!(accept_or_new(Some(b"desk-42")), "desk-42");
            for bad in [&b""[..], &[b'x'; 129][..], b"a b", "é".as_bytes(), b"a\x01"] {
                let id = accept_or_new(Some(bad));
                assert_eq!(id.len(), 32, "{bad:?}");
                assert!(id.bytes().all(|b| b.is_ascii_hexdigit()));
            }
        }
    }
}
