//! Sources: the list with search, and a source's page with the claims it made.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use claimdesk_proto::v1 as pb;
use maud::html;
use serde::Deserialize;

use super::{Desk, Signed, claims::KINDS, encode, field_errors, filled, options, parse_wire, query, wire};
use crate::{
    CoreClients,
    dto::{Claim, Source, SourceKind, SourceStatement},
    problem::Problem,
};

#[derive(Debug, Default, Deserialize)]
pub struct SourceQuery {
    q: Option<String>,
    kind: Option<String>,
    page_token: Option<String>,
}

/// `GET /sources`: sources by name, or those whose names hold the words searched for.
pub async fn list(req: HttpRequest, desk: Desk, Signed(caller): Signed, core: web::Data<CoreClients>) -> HttpResponse {
    let f = query::<SourceQuery>(&req).unwrap_or_default();
    let found = async {
        let kind: Option<SourceKind> = parse_wire(&desk, "kind", f.kind.clone())?;
        let request = pb::ListSourcesRequest {
            page_size: Some(50),
            page_token: filled(f.page_token.clone()),
            query: filled(f.q.clone()),
            kind: kind.map_or(pb::SourceKind::Unspecified, Into::into).into(),
            ids: Vec::new(),
        };
        let page = core.sources.clone().list_sources(desk.call(&req, request)).await?.into_inner();
        let sources = page.sources.into_iter().map(Source::try_from).collect::<Result<Vec<_>, _>>()?;
        Ok::<_, Problem>((sources, Some(page.next_page_token).filter(|t| !t.is_empty())))
    }
    .await;
    let found = match found {
        Err(problem) if !problem.status.is_client_error() => return desk.answer(Some(&caller), Err(problem)),
        found => found,
    };
    let status = found.as_ref().err().map_or(StatusCode::OK, |p| p.status);
    let q = f.q.clone().unwrap_or_default();
    let body = html! {
        form.filters method="get" action="/sources" role="search" {
            p.wide {
                label for="source-q" { (desk.t("sources.search")) }
                input #source-q type="search" name="q" value=(q) maxlength="200";
            }
            p {
                label for="source-kind" { (desk.t("sources.kind")) }
                (options(&desk, "source-kind", "kind", &KINDS, "kind", f.kind.as_deref(), true))
            }
            p { button type="submit" { (desk.t("claims.filter")) } }
        }
        @match &found {
            Err(problem) => div.alert role="alert" { p { (problem.detail) } (field_errors(&problem.errors)) },
            Ok((sources, next)) => {
                @if sources.is_empty() { p { (desk.t("sources.none")) } }
                ul.sources {
                    @for s in sources {
                        li {
                            a href=(format!("/sources/{}", s.id)) { (s.name) }
                            " " span.badge { (desk.t(&format!("kind.{}", wire(&s.kind)))) }
                            @if !s.aliases.is_empty() { " " small { (s.aliases.join(", ")) } }
                        }
                    }
                }
                @if let Some(next) = next {
                    nav aria-label=(desk.t("claims.paging")) {
                        a rel="next" href=(format!("/sources?q={}&kind={}&page_token={}", encode(&q), encode(f.kind.as_deref().unwrap_or("")), encode(next))) { (desk.t("claims.next_page")) }
                    }
                }
            }
        }
    };
    desk.page(status, Some(&caller), desk.t("sources.title"), body)
}

/// `GET /sources/{id}`: the source, and the claims it made, newest first.
pub async fn show(
    req: HttpRequest,
    desk: Desk,
    Signed(caller): Signed,
    core: web::Data<CoreClients>,
    id: web::Path<String>,
) -> HttpResponse {
    let page = async {
        let (mut sources, mut claims, mut said) = (core.sources.clone(), core.claims.clone(), core.claims.clone());
        let list = pb::ListClaimsRequest { claimant_id: Some(id.to_string()), page_size: Some(50), ..Default::default() };
        let statements =
            pb::ListSourceStatementsRequest { source_id: id.to_string(), page_size: Some(50), page_token: None };
        let (source, made, said) = tokio::join!(
            sources.get_source(desk.call(&req, pb::GetSourceRequest { id: id.to_string() })),
            claims.list_claims(desk.call(&req, list)),
            said.list_source_statements(desk.call(&req, statements)),
        );
        let source = Source::try_from(source?.into_inner())?;
        let said = said?.into_inner();
        let more_said = !said.next_page_token.is_empty();
        let said = said.statements.into_iter().map(SourceStatement::try_from).collect::<Result<Vec<_>, _>>()?;
        let made = made?.into_inner();
        let more = !made.next_page_token.is_empty();
        let made = made.claims.into_iter().map(Claim::try_from).collect::<Result<Vec<_>, _>>()?;
        let body = html! {
            dl.facts {
                dt { (desk.t("sources.kind")) } dd { (desk.t(&format!("kind.{}", wire(&source.kind)))) }
                @if let Some(d) = &source.descriptor { dt { (desk.t("sources.descriptor")) } dd { (d) } }
                @if !source.aliases.is_empty() { dt { (desk.t("sources.aliases")) } dd { (source.aliases.join(", ")) } }
                @if let Some(h) = &source.homepage { dt { (desk.t("sources.homepage")) } dd { a href=(h) rel="noopener noreferrer" { (h) } } }
                @if let Some(r) = &source.reliability {
                    dt { (desk.t("sources.reliability")) }
                    dd { (wire(&r.grade)) @if let Some(why) = &r.rationale { " — " (why) } }
                }
                @if let Some(n) = &source.notes { dt { (desk.t("sources.notes")) } dd { (n) } }
            }
            section aria-labelledby="made-h" {
                h2 #made-h { (desk.t("sources.claims")) }
                @if made.is_empty() { p { (desk.t("claims.none")) } }
                ol.claims { @for claim in &made { (super::claims::claim_item(&desk, claim)) } }
                @if more { p { a href=(format!("/?claimant_id={}", encode(&source.id))) { (desk.t("sources.all_claims")) } } }
            }
            section aria-labelledby="said-h" {
                h2 #said-h { (desk.t("sources.statements")) }
                @if said.is_empty() { p { (desk.t("sources.no_statements")) } }
                ol.claims {
                    @for s in &said {
                        li.claim {
                            @let stance = wire(&s.attribution.stance);
                            span class=(format!("badge stance stance-{stance}")) { (desk.t(&format!("stance.{stance}"))) }
                            " "
                            a.claim-text href=(format!("/claims/{}", s.attribution.claim_id)) { (s.claim_text) }
                            div.meta {
                                (super::claims::status_badge(&desk, s.claim_status))
                                @if let Some(quote) = &s.attribution.quote { q { (quote) } }
                                @if let Some(at) = &s.attribution.published_at { time { (at) } }
                            }
                        }
                    }
                }
                @if more_said { p { (desk.t("sources.more_statements")) } }
            }
        };
        Ok(desk.page(StatusCode::OK, Some(&caller), &source.name, body))
    }
    .await;
    desk.answer(Some(&caller), page)
}
