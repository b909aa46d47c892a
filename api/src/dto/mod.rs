//! REST shapes (serde + utoipa) and their conversions to and from the protobuf messages.

mod attributions;
mod claims;
mod extract;
mod history;
mod imports;
mod sources;
mod tokens;
mod webhooks;

pub use attributions::*;
pub use claims::*;
pub use extract::*;
pub use history::*;
pub use imports::*;
pub use sources::*;
pub use tokens::*;
pub use webhooks::*;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer};

use crate::problem::Problem;

/// A REST enum and its protobuf twin: `From` one way, `TryFrom` back (core never sends
/// UNSPECIFIED where a value is due; if it does, that is core's bug, not the client's).
macro_rules! proto_enum {
    ($dto:ident <=> $pb:ident { $($variant:ident),+ $(,)? }) => {
        impl From<$dto> for claimdesk_proto::v1::$pb {
            fn from(value: $dto) -> Self {
                match value {
                    $($dto::$variant => claimdesk_proto::v1::$pb::$variant,)+
                }
            }
        }

        impl TryFrom<claimdesk_proto::v1::$pb> for $dto {
            type Error = $crate::problem::Problem;

            fn try_from(value: claimdesk_proto::v1::$pb) -> Result<Self, Self::Error> {
                match value {
                    $(claimdesk_proto::v1::$pb::$variant => Ok($dto::$variant),)+
                    claimdesk_proto::v1::$pb::Unspecified => {
                        Err($crate::dto::bad_core_answer(concat!("unspecified ", stringify!($pb))))
                    }
                }
            }
        }
    };
}
pub(crate) use proto_enum;

pub fn timestamp(t: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp { seconds: t.timestamp(), nanos: t.timestamp_subsec_nanos() as i32 }
}

pub fn from_timestamp(t: Option<prost_types::Timestamp>) -> Result<DateTime<Utc>, Problem> {
    t.and_then(|t| DateTime::from_timestamp(t.seconds, u32::try_from(t.nanos).ok()?))
        .ok_or_else(|| bad_core_answer("missing or invalid timestamp"))
}

/// An optional timestamp from core (absent stays absent; present must be valid).
pub fn from_optional_timestamp(t: Option<prost_types::Timestamp>) -> Result<Option<DateTime<Utc>>, Problem> {
    t.map(|t| from_timestamp(Some(t))).transpose()
}

/// Core answered something the contract does not allow: a bug, not the client's fault.
pub fn bad_core_answer(what: &str) -> Problem {
    tracing::error!(what, "invalid answer from core");
    Problem::new(actix_web::http::StatusCode::BAD_GATEWAY, "bad_core_answer", "core sent an invalid answer")
}

/// For PATCH bodies: `Some(None)` when the field is present and null, `None` when absent.
pub fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// The paths a PATCH body names, for a field mask.
pub fn mask(fields: &[(&str, bool)]) -> prost_types::FieldMask {
    prost_types::FieldMask {
        paths: fields.iter().filter(|(_, set)| *set).map(|(name, _)| (*name).to_owned()).collect(),
    }
}
