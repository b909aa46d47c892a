//! `claimdesk.v1.TokenService`: admins manage API tokens.

use claimdesk_proto::v1::{self as pb, token_service_server::TokenService};
use tonic::{Request, Response, Status};

use super::{
    authorize,
    convert::{ProtoEnum, timestamp},
};
use crate::{
    domain::{Access, Error, Role, Token, TokenInput},
    service::Auth,
};

#[derive(Debug, Clone)]
pub struct TokenApi {
    auth: Auth,
}

impl TokenApi {
    pub fn new(auth: Auth) -> Self {
        Self { auth }
    }
}

impl From<Token> for pb::Token {
    fn from(t: Token) -> Self {
        pb::Token {
            id: t.id.to_string(),
            name: t.name,
            role: pb::Role::from(t.role).into(),
            prefix: t.prefix,
            created_at: Some(timestamp(t.created_at)),
            expires_at: t.expires_at.map(timestamp),
            revoked_at: t.revoked_at.map(timestamp),
        }
    }
}

#[tonic::async_trait]
impl TokenService for TokenApi {
    async fn who_am_i(&self, request: Request<pb::WhoAmIRequest>) -> Result<Response<pb::Caller>, Status> {
        let header = request.metadata().get("authorization").and_then(|v| v.to_str().ok());
        let caller = match self.auth.check(header, Access::Identify, super::client_address(&request)).await? {
            Some(p) => pb::Caller {
                token_id: p.token_id.to_string(),
                name: p.name,
                role: pb::Role::from(p.role).into(),
                anonymous: false,
            },
            None => pb::Caller {
                token_id: String::new(),
                name: "anonymous".into(),
                role: pb::Role::Viewer.into(),
                anonymous: true,
            },
        };
        Ok(Response::new(caller))
    }

    async fn create_token(
        &self,
        request: Request<pb::CreateTokenRequest>,
    ) -> Result<Response<pb::CreatedToken>, Status> {
        authorize(&self.auth, &request, Access::Role(Role::Admin)).await?;
        let pb::CreateTokenRequest { name, role, expires_at } = request.into_inner();
        let expires_at = expires_at
            .map(|t| {
                chrono::DateTime::from_timestamp(t.seconds, u32::try_from(t.nanos).unwrap_or(0))
                    .ok_or_else(|| Error::invalid("expires_at", "is not a valid timestamp"))
            })
            .transpose()?;
        let input =
            TokenInput { name, role: Role::from_proto(role).map_err(|e| Error::invalid("role", e))?, expires_at };
        let (token, secret) = self.auth.create_token(input).await?;
        Ok(Response::new(pb::CreatedToken { token: Some(token.into()), secret }))
    }

    async fn list_tokens(
        &self,
        request: Request<pb::ListTokensRequest>,
    ) -> Result<Response<pb::ListTokensResponse>, Status> {
        authorize(&self.auth, &request, Access::Role(Role::Admin)).await?;
        let tokens = self.auth.list_tokens().await?;
        Ok(Response::new(pb::ListTokensResponse { tokens: tokens.into_iter().map(Into::into).collect() }))
    }

    async fn revoke_token(&self, request: Request<pb::RevokeTokenRequest>) -> Result<Response<pb::Token>, Status> {
        authorize(&self.auth, &request, Access::Role(Role::Admin)).await?;
        let pb::RevokeTokenRequest { id } = request.into_inner();
        Ok(Response::new(self.auth.revoke_token(&id).await?.into()))
    }
}
