//! `claimdesk.v1.ClaimService`.

use claimdesk_proto::v1::{self as pb, claim_service_server::ClaimService};
use tonic::{Request, Response, Status};

use crate::{domain::ListParams, service::Claims};

#[derive(Debug, Clone)]
pub struct ClaimApi {
    claims: Claims,
}

impl ClaimApi {
    pub fn new(claims: Claims) -> Self {
        Self { claims }
    }
}

#[tonic::async_trait]
impl ClaimService for ClaimApi {
    async fn create_claim(
        &self,
        request: Request<pb::CreateClaimRequest>,
    ) -> Result<Response<pb::Claim>, Status> {
        let claim = self.claims.create(request.into_inner().into()).await?;
        Ok(Response::new(claim.into()))
    }

    async fn get_claim(
        &self,
        request: Request<pb::GetClaimRequest>,
    ) -> Result<Response<pb::Claim>, Status> {
        let pb::GetClaimRequest { id } = request.into_inner();
        let claim = self.claims.get(&id).await?;
        Ok(Response::new(claim.into()))
    }

    async fn list_claims(
        &self,
        request: Request<pb::ListClaimsRequest>,
    ) -> Result<Response<pb::ListClaimsResponse>, Status> {
        let params = ListParams::try_from(request.into_inner())?;
        let page = self.claims.list(params).await?;
        Ok(Response::new(pb::ListClaimsResponse {
            claims: page.items.into_iter().map(Into::into).collect(),
            next_page_token: page.next.map(|c| c.encode()).unwrap_or_default(),
        }))
    }
}
