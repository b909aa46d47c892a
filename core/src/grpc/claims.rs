//! `claimdesk.v1.ClaimService`.

use claimdesk_proto::v1::{self as pb, claim_service_server::ClaimService};
use tonic::{Request, Response, Status};

use super::{authorize, authorize_caller, convert::mask_paths, idempotency_key, replay_marked};
use crate::{
    domain::{
        Access, AttributionFields, ClaimInput, ClaimStatus, Error, ListParams, Precondition, ReviewFeedParams, Role,
        claimreview::Publisher,
        review_import::{self, DocumentKind},
    },
    service::{AttributionChange, Auth, Claims, Feed, ImportConfig, SearchParams, bulk},
};

#[derive(Debug, Clone)]
pub struct ClaimApi {
    claims: Claims,
    auth: Auth,
    feed: Feed,
    publisher: Publisher,
    import: ImportConfig,
}

impl ClaimApi {
    pub fn new(claims: Claims, auth: Auth, feed: Feed, publisher: Publisher, import: ImportConfig) -> Self {
        Self { claims, auth, feed, publisher, import }
    }
}

fn change(c: AttributionChange) -> Response<pb::AttributionChange> {
    Response::new(pb::AttributionChange {
        attribution: c.attribution.map(Into::into),
        claim_version: c.claim.claim.version,
        claim_etag: c.claim.etag,
    })
}

#[tonic::async_trait]
impl ClaimService for ClaimApi {
    type WatchEventsStream = super::feed::EventStream;

    async fn watch_events(
        &self,
        request: Request<pb::WatchEventsRequest>,
    ) -> Result<Response<Self::WatchEventsStream>, Status> {
        super::feed::watch(&self.feed, &self.auth, request).await
    }

    async fn create_claim(&self, request: Request<pb::CreateClaimRequest>) -> Result<Response<pb::Claim>, Status> {
        let (actor, caller) = authorize_caller(&self.auth, &request, Access::Role(Role::Reporter)).await?;
        let message = request.into_inner();
        let key = idempotency_key(caller, "CreateClaim", message.request_id.as_deref(), &message, |m| {
            m.request_id = None;
        })?;
        let input = ClaimInput::try_from(message)?;
        let (claim, replayed, duplicates) = self.claims.create(input, actor, key).await?;
        let mut claim = pb::Claim::from(claim);
        claim.possible_duplicates = duplicates.into_iter().map(Into::into).collect();
        Ok(replay_marked(Response::new(claim), replayed))
    }

    async fn get_claim_review(
        &self,
        request: Request<pb::GetClaimReviewRequest>,
    ) -> Result<Response<pb::ClaimReview>, Status> {
        authorize(&self.auth, &request, Access::PublicRead).await?;
        let pb::GetClaimReviewRequest { claim_id } = request.into_inner();
        let review = self.claims.claim_review(&claim_id, &self.publisher).await?;
        Ok(Response::new(pb::ClaimReview { json_ld: review.to_string() }))
    }

    async fn list_claim_reviews(
        &self,
        request: Request<pb::ListClaimReviewsRequest>,
    ) -> Result<Response<pb::ClaimReviewFeed>, Status> {
        authorize(&self.auth, &request, Access::PublicRead).await?;
        let params = ReviewFeedParams::try_from(request.into_inner())?;
        let (feed, next_page_token) = self.claims.review_feed(params, &self.publisher).await?;
        Ok(Response::new(pb::ClaimReviewFeed {
            json_ld: feed.to_string(),
            next_page_token: next_page_token.unwrap_or_default(),
        }))
    }

    async fn import_claim_reviews(
        &self,
        request: Request<pb::ImportClaimReviewsRequest>,
    ) -> Result<Response<pb::ImportReport>, Status> {
        let actor = authorize(&self.auth, &request, Access::Role(Role::Editor)).await?;
        let pb::ImportClaimReviewsRequest { document, content_type } = request.into_inner();
        let kind = if content_type.trim().is_empty() {
            DocumentKind::sniff(&document)
        } else {
            DocumentKind::from_media_type(&content_type).ok_or_else(|| {
                Error::invalid(
                    "content_type",
                    format!(
                        "{} is not a ClaimReview document type: application/ld+json, application/json or text/html",
                        crate::domain::shown(&content_type)
                    ),
                )
            })?
        };
        let ratings = self.import.ratings.clone();
        // Parsing a page of several MB is CPU work: off the async workers.
        let read = tokio::task::spawn_blocking(move || review_import::read_document(&document, kind, &ratings))
            .await
            .map_err(|e| Error::Internal(format!("document reader: {e}")))??;
        if read.reviews.len() > review_import::MAX_REVIEWS_PER_REQUEST {
            return Err(Error::invalid(
                "document",
                format!(
                    "holds {} ClaimReviews; a request imports at most {}: split it, or use `claimdesk import claimreview`",
                    read.reviews.len(),
                    review_import::MAX_REVIEWS_PER_REQUEST
                ),
            )
            .into());
        }
        let report = self.claims.import_reviews(read, actor, self.import.link_threshold).await?;
        Ok(Response::new(report.into()))
    }

    async fn import_claims(
        &self,
        request: Request<tonic::Streaming<pb::ImportClaimsRequest>>,
    ) -> Result<Response<pb::ImportClaimsResponse>, Status> {
        let actor = authorize(&self.auth, &request, Access::Role(Role::Admin)).await?;
        let mut stream = request.into_inner();
        let importer = bulk::Importer::new(self.claims.database(), actor);
        let mut summary = bulk::ImportSummary::default();
        let mut aliases = bulk::SourceAliases::new();
        let mut pending: Vec<pb::ImportLine> = Vec::new();
        loop {
            let message = stream.message().await?;
            let done = message.is_none();
            pending.extend(message.into_iter().flat_map(|m| m.lines));
            while let Some(n) = bulk::next_batch(&pending, |l| l.json.len(), done) {
                let lines: Vec<pb::ImportLine> = pending.drain(..n).collect();
                // Parsing is CPU work: off the async workers.
                let batch = tokio::task::spawn_blocking(move || {
                    lines.into_iter().map(|l| (l.number, bulk::parse_line(&l.json))).collect::<Vec<_>>()
                })
                .await
                .map_err(|e| Error::Internal(format!("line parser: {e}")))?;
                for (number, outcome) in importer.import_batch(batch, &mut aliases).await? {
                    summary.add(number, outcome);
                }
            }
            if done {
                break;
            }
        }
        Ok(Response::new(pb::ImportClaimsResponse {
            created: summary.created,
            updated: summary.updated,
            unchanged: summary.unchanged,
            rejected: summary.rejected,
            rejections: summary
                .rejections
                .into_iter()
                .map(|(number, reason)| pb::RejectedLine { number, reason })
                .collect(),
        }))
    }

    async fn get_claim(&self, request: Request<pb::GetClaimRequest>) -> Result<Response<pb::Claim>, Status> {
        authorize(&self.auth, &request, Access::PublicRead).await?;
        let pb::GetClaimRequest { id } = request.into_inner();
        Ok(Response::new(self.claims.get(&id).await?.into()))
    }

    async fn list_claims(
        &self,
        request: Request<pb::ListClaimsRequest>,
    ) -> Result<Response<pb::ListClaimsResponse>, Status> {
        authorize(&self.auth, &request, Access::PublicRead).await?;
        let params = ListParams::try_from(request.into_inner())?;
        let page = self.claims.list(params).await?;
        Ok(Response::new(pb::ListClaimsResponse {
            claims: page.items.into_iter().map(Into::into).collect(),
            next_page_token: page.next_page_token.unwrap_or_default(),
        }))
    }

    async fn update_claim(&self, request: Request<pb::UpdateClaimRequest>) -> Result<Response<pb::Claim>, Status> {
        let actor = authorize(&self.auth, &request, Access::Role(Role::Editor)).await?;
        let pb::UpdateClaimRequest { id, expected_version, claim, update_mask, etag } = request.into_inner();
        let expected = Precondition::from_request(expected_version, etag)?;
        let patch = claim.unwrap_or_default().into();
        let view = self.claims.update(&id, expected, patch, mask_paths(update_mask), actor).await?;
        Ok(Response::new(view.into()))
    }

    async fn set_status(&self, request: Request<pb::SetStatusRequest>) -> Result<Response<pb::Claim>, Status> {
        let actor = authorize(&self.auth, &request, Access::Role(Role::Editor)).await?;
        let pb::SetStatusRequest { claim_id, expected_version, status, note, etag } = request.into_inner();
        let expected = Precondition::from_request(expected_version, etag)?;
        let status = <ClaimStatus as super::convert::ProtoEnum>::from_proto(status)
            .map_err(|e| crate::domain::Error::invalid("status", e))?;
        let view = self.claims.set_status(&claim_id, expected, status, note, actor).await?;
        Ok(Response::new(view.into()))
    }

    async fn add_attribution(
        &self,
        request: Request<pb::AddAttributionRequest>,
    ) -> Result<Response<pb::AttributionChange>, Status> {
        let actor = authorize(&self.auth, &request, Access::Role(Role::Reporter)).await?;
        let pb::AddAttributionRequest { claim_id, expected_version, attribution, etag } = request.into_inner();
        let expected = Precondition::from_request(expected_version, etag)?;
        let fields = AttributionFields::try_from(attribution)?;
        Ok(change(self.claims.add_attribution(&claim_id, expected, fields, actor).await?))
    }

    async fn update_attribution(
        &self,
        request: Request<pb::UpdateAttributionRequest>,
    ) -> Result<Response<pb::AttributionChange>, Status> {
        let actor = authorize(&self.auth, &request, Access::Role(Role::Editor)).await?;
        let pb::UpdateAttributionRequest { claim_id, attribution_id, expected_version, attribution, etag } =
            request.into_inner();
        let expected = Precondition::from_request(expected_version, etag)?;
        let fields = AttributionFields::try_from(attribution)?;
        Ok(change(self.claims.update_attribution(&claim_id, &attribution_id, expected, fields, actor).await?))
    }

    async fn remove_attribution(
        &self,
        request: Request<pb::RemoveAttributionRequest>,
    ) -> Result<Response<pb::AttributionChange>, Status> {
        let actor = authorize(&self.auth, &request, Access::Role(Role::Editor)).await?;
        let pb::RemoveAttributionRequest { claim_id, attribution_id, expected_version, etag } = request.into_inner();
        let expected = Precondition::from_request(expected_version, etag)?;
        Ok(change(self.claims.remove_attribution(&claim_id, &attribution_id, expected, actor).await?))
    }

    async fn get_attribution(
        &self,
        request: Request<pb::GetAttributionRequest>,
    ) -> Result<Response<pb::Attribution>, Status> {
        authorize(&self.auth, &request, Access::Role(Role::Viewer)).await?;
        let pb::GetAttributionRequest { claim_id, attribution_id } = request.into_inner();
        Ok(Response::new(self.claims.attribution(&claim_id, &attribution_id).await?.into()))
    }

    async fn list_attributions(
        &self,
        request: Request<pb::ListAttributionsRequest>,
    ) -> Result<Response<pb::ListAttributionsResponse>, Status> {
        authorize(&self.auth, &request, Access::Role(Role::Viewer)).await?;
        let pb::ListAttributionsRequest { claim_id, page_size, page_token } = request.into_inner();
        let page = self.claims.attributions(&claim_id, page_size, page_token).await?;
        Ok(Response::new(pb::ListAttributionsResponse {
            attributions: page.items.into_iter().map(Into::into).collect(),
            next_page_token: page.next_page_token.unwrap_or_default(),
        }))
    }

    async fn get_sourcing(&self, request: Request<pb::GetSourcingRequest>) -> Result<Response<pb::Sourcing>, Status> {
        authorize(&self.auth, &request, Access::PublicRead).await?;
        let pb::GetSourcingRequest { claim_id } = request.into_inner();
        Ok(Response::new(self.claims.sourcing(&claim_id).await?.into()))
    }

    async fn list_source_statements(
        &self,
        request: Request<pb::ListSourceStatementsRequest>,
    ) -> Result<Response<pb::ListSourceStatementsResponse>, Status> {
        authorize(&self.auth, &request, Access::Role(Role::Viewer)).await?;
        let pb::ListSourceStatementsRequest { source_id, page_size, page_token } = request.into_inner();
        let page = self.claims.statements_of(&source_id, page_size, page_token).await?;
        Ok(Response::new(pb::ListSourceStatementsResponse {
            statements: page
                .items
                .into_iter()
                .map(|(attribution, claim_text, status)| pb::SourceStatement {
                    attribution: Some(attribution.into()),
                    claim_text,
                    claim_status: pb::ClaimStatus::from(status).into(),
                })
                .collect(),
            next_page_token: page.next_page_token.unwrap_or_default(),
        }))
    }

    async fn get_history(
        &self,
        request: Request<pb::GetHistoryRequest>,
    ) -> Result<Response<pb::GetHistoryResponse>, Status> {
        authorize(&self.auth, &request, Access::Role(Role::Viewer)).await?;
        let pb::GetHistoryRequest { claim_id, page_size, page_token } = request.into_inner();
        let page = self.claims.history(&claim_id, page_size, page_token).await?;
        Ok(Response::new(pb::GetHistoryResponse {
            events: page.items.into_iter().map(Into::into).collect(),
            next_page_token: page.next_page_token.unwrap_or_default(),
        }))
    }

    async fn search_claims(
        &self,
        request: Request<pb::SearchClaimsRequest>,
    ) -> Result<Response<pb::SearchClaimsResponse>, Status> {
        authorize(&self.auth, &request, Access::PublicRead).await?;
        let params = SearchParams::try_from(request.into_inner())?;
        let page = self.claims.search(params).await?;
        Ok(Response::new(pb::SearchClaimsResponse {
            hits: page.items.into_iter().map(Into::into).collect(),
            next_page_token: page.next_page_token.unwrap_or_default(),
        }))
    }

    async fn find_similar(
        &self,
        request: Request<pb::FindSimilarRequest>,
    ) -> Result<Response<pb::FindSimilarResponse>, Status> {
        authorize(&self.auth, &request, Access::PublicRead).await?;
        let pb::FindSimilarRequest { subject, language, limit } = request.into_inner();
        let matches = match subject {
            Some(pb::find_similar_request::Subject::ClaimId(id)) => self.claims.similar_to_claim(&id, limit).await?,
            Some(pb::find_similar_request::Subject::Text(text)) => {
                self.claims.similar_to_text(&text, &language, limit).await?
            }
            None => return Err(Error::invalid("subject", "give claim_id or text").into()),
        };
        Ok(Response::new(pb::FindSimilarResponse { matches: matches.into_iter().map(Into::into).collect() }))
    }

    async fn extract_claims(
        &self,
        request: Request<pb::ExtractClaimsRequest>,
    ) -> Result<Response<pb::Extraction>, Status> {
        authorize(&self.auth, &request, Access::Role(Role::Viewer)).await?;
        let input = crate::extract::Input::try_from(request.into_inner())?;
        let extraction = self.claims.extract(input).await?;
        Ok(Response::new(extraction.into()))
    }

    async fn accept_extraction(
        &self,
        request: Request<pb::AcceptExtractionRequest>,
    ) -> Result<Response<pb::AcceptExtractionResponse>, Status> {
        let actor = authorize(&self.auth, &request, Access::Role(Role::Reporter)).await?;
        let acceptance = crate::extract::Acceptance::try_from(request.into_inner())?;
        let accepted = self.claims.accept(acceptance, actor).await?;
        let claims = accepted
            .into_iter()
            .map(|(claim, created)| pb::AcceptedClaim { claim: Some(claim.into()), created })
            .collect();
        Ok(Response::new(pb::AcceptExtractionResponse { claims }))
    }

    async fn merge_claims(
        &self,
        request: Request<pb::MergeClaimsRequest>,
    ) -> Result<Response<pb::MergeClaimsResponse>, Status> {
        let actor = authorize(&self.auth, &request, Access::Role(Role::Editor)).await?;
        let pb::MergeClaimsRequest { claim_id, duplicate_id, etag, duplicate_etag } = request.into_inner();
        let expected = Precondition::from_request(0, etag)?;
        let duplicate_expected =
            (!duplicate_etag.is_empty()).then(|| Precondition::from_request(0, duplicate_etag)).transpose()?;
        let (canonical, merged) =
            self.claims.merge(&claim_id, &duplicate_id, expected, duplicate_expected, actor).await?;
        Ok(Response::new(pb::MergeClaimsResponse { canonical: Some(canonical.into()), merged: Some(merged.into()) }))
    }
}
