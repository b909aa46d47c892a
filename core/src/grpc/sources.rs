//! `claimdesk.v1.SourceService`.

use claimdesk_proto::v1::{self as pb, source_service_server::SourceService};
use tonic::{Request, Response, Status};

use super::{authorize, authorize_caller, convert::mask_paths, idempotency_key, replay_marked};
use crate::{
    domain::{Access, Error, Role, SourceFields, SourceListParams},
    service::{Auth, Sources},
};

#[derive(Debug, Clone)]
pub struct SourceApi {
    sources: Sources,
    auth: Auth,
}

impl SourceApi {
    pub fn new(sources: Sources, auth: Auth) -> Self {
        Self { sources, auth }
    }
}

fn fields(source: Option<pb::SourceFields>) -> Result<SourceFields, Error> {
    SourceFields::try_from(source.ok_or_else(|| Error::invalid("source", "is required"))?)
}

#[tonic::async_trait]
impl SourceService for SourceApi {
    async fn create_source(&self, request: Request<pb::CreateSourceRequest>) -> Result<Response<pb::Source>, Status> {
        let (_, caller) = authorize_caller(&self.auth, &request, Access::Role(Role::Reporter)).await?;
        let message = request.into_inner();
        let key = idempotency_key(caller, "CreateSource", message.request_id.as_deref(), &message, |m| {
            m.request_id = None;
        })?;
        let (source, replayed) = self.sources.create(fields(message.source)?, key).await?;
        Ok(replay_marked(Response::new(source.into()), replayed))
    }

    async fn get_source(&self, request: Request<pb::GetSourceRequest>) -> Result<Response<pb::Source>, Status> {
        authorize(&self.auth, &request, Access::Role(Role::Viewer)).await?;
        let pb::GetSourceRequest { id } = request.into_inner();
        Ok(Response::new(self.sources.get(&id).await?.into()))
    }

    async fn list_sources(
        &self,
        request: Request<pb::ListSourcesRequest>,
    ) -> Result<Response<pb::ListSourcesResponse>, Status> {
        authorize(&self.auth, &request, Access::Role(Role::Viewer)).await?;
        let params = SourceListParams::try_from(request.into_inner())?;
        let page = self.sources.list(params).await?;
        Ok(Response::new(pb::ListSourcesResponse {
            sources: page.items.into_iter().map(Into::into).collect(),
            next_page_token: page.next_page_token.unwrap_or_default(),
        }))
    }

    async fn update_source(&self, request: Request<pb::UpdateSourceRequest>) -> Result<Response<pb::Source>, Status> {
        authorize(&self.auth, &request, Access::Role(Role::Editor)).await?;
        let pb::UpdateSourceRequest { id, expected_version, source, update_mask } = request.into_inner();
        let source = self.sources.update(&id, expected_version, fields(source)?, mask_paths(update_mask)).await?;
        Ok(Response::new(source.into()))
    }
}
