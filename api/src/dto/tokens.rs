//! API tokens, for admins.

use chrono::{DateTime, Utc};
use claimdesk_proto::v1 as pb;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{from_optional_timestamp, from_timestamp, proto_enum, timestamp};
use crate::problem::Problem;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Reads everything.
    Viewer,
    /// Viewer, and submits claims, adds sources and attributions.
    Reporter,
    /// Reporter, and edits any claim, attribution and source, and sets the status.
    Editor,
    /// Editor, and manages tokens.
    Admin,
}

proto_enum!(Role <=> Role { Viewer, Reporter, Editor, Admin });

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "cms-plugin", "role": "reporter", "expires_at": "2027-06-30T00:00:00Z"}))]
pub struct CreateTokenRequest {
    /// Who or what uses it: 1 to 100 characters.
    pub name: String,
    pub role: Role,
    /// When it stops working; never when absent.
    pub expires_at: Option<DateTime<Utc>>,
}

impl From<CreateTokenRequest> for pb::CreateTokenRequest {
    fn from(req: CreateTokenRequest) -> Self {
        let CreateTokenRequest { name, role, expires_at } = req;
        pb::CreateTokenRequest { name, role: pb::Role::from(role).into(), expires_at: expires_at.map(timestamp) }
    }
}

/// A token as listed: never its secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct Token {
    pub id: String,
    pub name: String,
    pub role: Role,
    /// The secret's first characters, to tell tokens apart.
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl TryFrom<pb::Token> for Token {
    type Error = Problem;

    fn try_from(t: pb::Token) -> Result<Self, Problem> {
        let role = Role::try_from(t.role())?;
        let pb::Token { id, name, role: _, prefix, created_at, expires_at, revoked_at } = t;
        Ok(Token {
            id,
            name,
            role,
            prefix,
            created_at: from_timestamp(created_at)?,
            expires_at: from_optional_timestamp(expires_at)?,
            revoked_at: from_optional_timestamp(revoked_at)?,
        })
    }
}

/// A new token and its secret: the only time the secret is shown.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedToken {
    pub token: Token,
    /// Send as `Authorization: Bearer <secret>`. Store it now: it cannot be shown again.
    pub secret: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenList {
    pub tokens: Vec<Token>,
}
