//! Claims: the list with search and filters, a claim's page (attribution chains, sourcing,
//! history, similar claims) and its forms (status, attribution, merge), and submitting a claim.

use std::collections::{HashMap, HashSet};

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use claimdesk_proto::v1 as pb;
use maud::{Markup, html};
use serde::Deserialize;

use super::{Caller, Desk, Signed, encode, field_errors, filled, form, on_page, options, parse_wire, query, wire};
use crate::{
    CoreClients,
    dto::{Attribution, Change, Claim, ClaimStatus, HistoryEvent, ListClaimsQuery, SourceKind, SourcingLevel, Stance},
    problem::Problem,
};

/// Claims of one list page.
const PAGE_SIZE: i32 = 25;
/// Attributions shown on a claim's page (core's largest page).
const ATTRIBUTIONS: i32 = 100;
/// Pages of 100 history events read beyond the first: a claim's page shows its latest 100
/// events, and a conflict what changed since, out of its first 2,100 versions.
const HISTORY_PAGES: usize = 20;
/// History events a claim's page shows, the latest.
const TIMELINE: usize = 100;
/// Similar claims shown on a claim's page, and suggested before a claim is saved.
const SIMILAR: i32 = 5;
/// Suggestions scoring less than this are not shown before saving.
const SUGGEST_FROM: f64 = 0.3;

pub const STATUSES: [ClaimStatus; 7] = [
    ClaimStatus::Unverified,
    ClaimStatus::InReview,
    ClaimStatus::Confirmed,
    ClaimStatus::PartlyConfirmed,
    ClaimStatus::Unverifiable,
    ClaimStatus::Disputed,
    ClaimStatus::False,
];
pub const LEVELS: [SourcingLevel; 5] = [
    SourcingLevel::Unsourced,
    SourcingLevel::SingleSource,
    SourcingLevel::Corroborated,
    SourcingLevel::Confirmed,
    SourcingLevel::Contested,
];
pub const STANCES: [Stance; 5] = [Stance::Asserts, Stance::Confirms, Stance::Denies, Stance::Disputes, Stance::Context];
pub const KINDS: [SourceKind; 7] = [
    SourceKind::Person,
    SourceKind::Organization,
    SourceKind::OfficialBody,
    SourceKind::NewsOutlet,
    SourceKind::NewsAgency,
    SourceKind::Document,
    SourceKind::Anonymous,
];

pub fn status_badge(desk: &Desk, status: ClaimStatus) -> Markup {
    let name = wire(&status);
    html! { span class=(format!("badge status status-{name}")) { (desk.t(&format!("status.{name}"))) } }
}

pub fn level_badge(desk: &Desk, level: SourcingLevel) -> Markup {
    let name = wire(&level);
    html! { span class=(format!("badge level level-{name}")) { (desk.t(&format!("level.{name}"))) } }
}

fn stance_badge(desk: &Desk, stance: Stance) -> Markup {
    let name = wire(&stance);
    html! { span class=(format!("badge stance stance-{name}")) { (desk.t(&format!("stance.{name}"))) } }
}

/// One claim in a list: its text as the link, then what the desk scans for.
pub fn claim_item(desk: &Desk, claim: &Claim) -> Markup {
    html! {
        li.claim {
            a.claim-text href=(format!("/claims/{}", claim.id)) { (claim.text) }
            div.meta {
                (status_badge(desk, claim.status))
                (level_badge(desk, claim.sourcing.level))
                @if claim.sourcing.anonymous_only {
                    span.badge.anonymous { (desk.t("sourcing.anonymous_only")) }
                }
                @if let Some(claimant) = &claim.claimant {
                    a href=(format!("/sources/{}", claimant.id)) { (claimant.name) }
                }
                span lang=(claim.language) { (claim.language) }
                @if let Some(at) = &claim.claimed_at { time { (at) } }
                @for tag in &claim.tags { a.tag href=(format!("/?tag={}", encode(tag))) { "#" (tag) } }
            }
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct ListForm {
    q: Option<String>,
    status: Option<String>,
    level: Option<String>,
    language: Option<String>,
    tag: Option<String>,
    claimant_id: Option<String>,
    claimed_from: Option<String>,
    claimed_to: Option<String>,
    order: Option<String>,
    page_token: Option<String>,
}

/// `GET /`: the claims, newest first, or the best matches of a search.
pub async fn list(req: HttpRequest, desk: Desk, Signed(caller): Signed, core: web::Data<CoreClients>) -> HttpResponse {
    let filters = query::<ListForm>(&req).unwrap_or_default();
    let (found, claimant) = tokio::join!(find(&req, &desk, &core, &filters), async {
        let id = filled(filters.claimant_id.clone())?;
        let source = core.sources.clone().get_source(desk.call(&req, pb::GetSourceRequest { id })).await.ok()?;
        Some(source.into_inner().name)
    });
    let (status, results) = match found {
        Ok(page) => (StatusCode::OK, Ok(page)),
        Err(problem) if on_page(&problem) => (problem.status, Err(problem)),
        Err(problem) => return desk.answer(Some(&caller), Err(problem)),
    };
    let body = html! {
        (filter_form(&desk, &filters))
        @if let Some(name) = &claimant {
            p.chip { (desk.f("claims.claimant_only", &[("name", name)])) " " a href="/" { (desk.t("claims.clear")) } }
        }
        @match &results {
            Err(problem) => div.alert role="alert" { p { (problem.detail) } (field_errors(&problem.errors)) },
            Ok((claims, next)) => {
                p.count role="status" {
                    @if filled(filters.q.clone()).is_some() { (desk.t("claims.sorted_relevance")) }
                    @else if filters.order.as_deref() == Some("oldest_first") { (desk.t("claims.sorted_oldest")) }
                    @else { (desk.t("claims.sorted_newest")) }
                }
                @if claims.is_empty() { p { (desk.t("claims.none")) } }
                ol.claims { @for claim in claims { (claim_item(&desk, claim)) } }
                @if let Some(next) = next {
                    nav aria-label=(desk.t("claims.paging")) {
                        a rel="next" href=(next_page(&req, next)) { (desk.t("claims.next_page")) }
                    }
                }
            }
        }
    };
    desk.page(status, Some(&caller), desk.t("claims.title"), body)
}

/// This page's address with `page_token` replaced.
fn next_page(req: &HttpRequest, token: &str) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (name, value) in form_urlencoded::parse(req.query_string().as_bytes()) {
        if name != "page_token" && !value.is_empty() {
            query.append_pair(&name, &value);
        }
    }
    query.append_pair("page_token", token);
    format!("/?{}", query.finish())
}

async fn find(
    req: &HttpRequest,
    desk: &Desk,
    core: &CoreClients,
    f: &ListForm,
) -> Result<(Vec<Claim>, Option<String>), Problem> {
    let level = parse_wire::<SourcingLevel>(desk, "level", f.level.clone())?;
    let q = filled(f.q.clone());
    if level.is_some() && q.is_none() {
        return Err(Problem::bad_field("validation_failed", "level", desk.t("claims.level_needs_q")));
    }
    let query = ListClaimsQuery {
        page_size: Some(PAGE_SIZE),
        page_token: filled(f.page_token.clone()),
        status: parse_wire(desk, "status", f.status.clone())?,
        language: filled(f.language.clone()),
        claimant_id: filled(f.claimant_id.clone()),
        tag: filled(f.tag.clone()),
        created_from: None,
        created_to: None,
        claimed_from: filled(f.claimed_from.clone()),
        claimed_to: filled(f.claimed_to.clone()),
        // A search is best match first.
        order: if q.is_some() { None } else { parse_wire(desk, "order", f.order.clone())? },
        q,
        sourcing_level: level,
    };
    let (claims, next) = match query.clone().into_search() {
        Some(search) => {
            let page = core.claims.clone().search_claims(desk.call(req, search)).await?.into_inner();
            (page.hits.into_iter().map(Claim::try_from).collect::<Result<Vec<_>, _>>()?, page.next_page_token)
        }
        None => {
            let page =
                core.claims.clone().list_claims(desk.call(req, pb::ListClaimsRequest::from(query))).await?.into_inner();
            (page.claims.into_iter().map(Claim::try_from).collect::<Result<Vec<_>, _>>()?, page.next_page_token)
        }
    };
    Ok((claims, Some(next).filter(|t| !t.is_empty())))
}

fn filter_form(desk: &Desk, f: &ListForm) -> Markup {
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    html! {
        form.filters method="get" action="/" role="search" {
            p.wide {
                label for="q" { (desk.t("claims.search")) }
                input #q type="search" name="q" value=(text(&f.q)) maxlength="1000";
            }
            p {
                label for="status" { (desk.t("claims.status")) }
                (options(desk, "status", "status", &STATUSES, "status", f.status.as_deref(), true))
            }
            p {
                label for="level" { (desk.t("claims.level")) }
                (options(desk, "level", "level", &LEVELS, "level", f.level.as_deref(), true))
            }
            p {
                label for="language" { (desk.t("claims.language")) }
                input #language name="language" value=(text(&f.language)) size="6";
            }
            p {
                label for="tag" { (desk.t("claims.tag")) }
                input #tag name="tag" value=(text(&f.tag)) size="12";
            }
            p {
                label for="claimed_from" { (desk.t("claims.claimed_from")) }
                input #claimed_from name="claimed_from" value=(text(&f.claimed_from)) placeholder="2025-10" size="10";
            }
            p {
                label for="claimed_to" { (desk.t("claims.claimed_to")) }
                input #claimed_to name="claimed_to" value=(text(&f.claimed_to)) placeholder="2025-12-31" size="10";
            }
            p {
                label for="order" { (desk.t("claims.order")) }
                select #order name="order" aria-describedby="order-help" {
                    option value="newest_first" { (desk.t("claims.sorted_newest")) }
                    option value="oldest_first" selected[f.order.as_deref() == Some("oldest_first")] { (desk.t("claims.sorted_oldest")) }
                }
                small #order-help { (desk.t("claims.order_help")) }
            }
            @if let Some(id) = filled(f.claimant_id.clone()) {
                input type="hidden" name="claimant_id" value=(id);
            }
            p { button type="submit" { (desk.t("claims.filter")) } " " a href="/" { (desk.t("claims.clear")) } }
        }
    }
}

/// What a form sent that the claim's page shows again: its values and why it was refused.
#[derive(Debug, Default)]
pub struct Typed {
    /// The version the user's page showed, when someone else changed the claim since.
    conflict_since: Option<i64>,
    status: Option<(StatusForm, Option<Problem>)>,
    attribution: Option<(AttributionForm, Option<Problem>)>,
    /// A statement's edit: its id, what was typed, why it was refused.
    edit: Option<(String, AttributionForm, Problem)>,
    merge: Option<Problem>,
}

/// `GET /claims/{id}`.
pub async fn show(
    req: HttpRequest,
    desk: Desk,
    Signed(caller): Signed,
    core: web::Data<CoreClients>,
    id: web::Path<String>,
) -> HttpResponse {
    let page = claim_page(&req, &desk, &core, &caller, &id, Typed::default()).await;
    desk.answer(Some(&caller), page)
}

/// Everything a claim's page shows, read from core in one round of concurrent calls, then the
/// names of every party in one more.
async fn claim_page(
    req: &HttpRequest,
    desk: &Desk,
    core: &CoreClients,
    caller: &Caller,
    id: &str,
    typed: Typed,
) -> Result<HttpResponse, Problem> {
    let (mut claims, mut attributions, mut history, mut similar) =
        (core.claims.clone(), core.claims.clone(), core.claims.clone(), core.claims.clone());
    let (claim, listed, events, matches) = tokio::join!(
        claims.get_claim(desk.call(req, pb::GetClaimRequest { id: id.to_owned() })),
        attributions.list_attributions(desk.call(
            req,
            pb::ListAttributionsRequest { claim_id: id.to_owned(), page_size: Some(ATTRIBUTIONS), page_token: None }
        )),
        history.get_history(
            desk.call(req, pb::GetHistoryRequest { claim_id: id.to_owned(), page_size: Some(100), page_token: None })
        ),
        similar.find_similar(desk.call(
            req,
            pb::FindSimilarRequest {
                subject: Some(pb::find_similar_request::Subject::ClaimId(id.to_owned())),
                language: String::new(),
                limit: Some(SIMILAR),
            }
        )),
    );
    let claim = Claim::try_from(claim?.into_inner())?;
    if let Some(canonical) = &claim.merged_into {
        return Ok(Desk::see_other(&format!("/claims/{canonical}")));
    }
    let listed = listed?.into_inner();
    let more_attributions = !listed.next_page_token.is_empty();
    let attributions = listed.attributions.into_iter().map(Attribution::try_from).collect::<Result<Vec<_>, _>>()?;
    // The history is read oldest first: a long one is read to its end (a bounded number of
    // pages), and the page shows its latest events.
    let mut page = events?.into_inner();
    let mut events = std::mem::take(&mut page.events);
    for _ in 0..HISTORY_PAGES {
        if page.next_page_token.is_empty() {
            break;
        }
        let next = pb::GetHistoryRequest {
            claim_id: id.to_owned(),
            page_size: Some(100),
            page_token: Some(std::mem::take(&mut page.next_page_token)),
        };
        page = core.claims.clone().get_history(desk.call(req, next)).await?.into_inner();
        events.append(&mut page.events);
    }
    let events = events.into_iter().map(HistoryEvent::try_from).collect::<Result<Vec<_>, _>>()?;
    let matches = matches?
        .into_inner()
        .matches
        .into_iter()
        .filter_map(|m| Some((Claim::try_from(m.claim?).ok()?, m.score)))
        .collect::<Vec<_>>();
    // Every party named on the page: the statements', and those the history mentions.
    let mentioned = events.iter().flat_map(|e| match &e.change {
        Change::AttributionAdded { attribution } | Change::AttributionRemoved { attribution } => {
            vec![&attribution.speaker_id]
        }
        Change::AttributionEdited { before, after } => vec![&before.speaker_id, &after.speaker_id],
        _ => Vec::new(),
    });
    let ids = distinct(
        attributions.iter().flat_map(|a| std::iter::once(&a.speaker_id).chain(&a.relay_ids)).chain(mentioned).cloned(),
    );
    let names = source_names(req, desk, core, ids).await?;
    // An edit of a statement removed meanwhile: what was typed goes to the add form.
    let mut typed = typed;
    if let Some((id, _, _)) = &typed.edit
        && !attributions.iter().any(|a| a.id == *id)
        && let Some((_, form, problem)) = typed.edit.take()
    {
        typed.attribution = Some((form, Some(problem)));
    }
    let refusal = typed
        .status
        .as_ref()
        .and_then(|(_, p)| p.as_ref())
        .or(typed.attribution.as_ref().and_then(|(_, p)| p.as_ref()))
        .or(typed.edit.as_ref().map(|(_, _, p)| p))
        .or(typed.merge.as_ref());
    let status = refusal.map_or(StatusCode::OK, |p| p.status);
    let body = claim_body(desk, caller, &claim, &attributions, more_attributions, &names, &events, &matches, &typed);
    Ok(desk.page(status, Some(caller), desk.t("claim.title"), body))
}

/// The names of these sources, in one call.
async fn source_names(
    req: &HttpRequest,
    desk: &Desk,
    core: &CoreClients,
    ids: Vec<String>,
) -> Result<HashMap<String, (String, SourceKind)>, Problem> {
    let mut names = HashMap::new();
    // Core takes at most 100 ids a call, and pages of at most 100.
    for chunk in ids.chunks(100) {
        let request = pb::ListSourcesRequest { page_size: Some(100), ids: chunk.to_vec(), ..Default::default() };
        for source in core.sources.clone().list_sources(desk.call(req, request)).await?.into_inner().sources {
            let kind = SourceKind::try_from(source.kind()).unwrap_or(SourceKind::Person);
            names.insert(source.id, (source.name, kind));
        }
    }
    Ok(names)
}

#[allow(clippy::too_many_arguments)]
fn claim_body(
    desk: &Desk,
    caller: &Caller,
    claim: &Claim,
    attributions: &[Attribution],
    more_attributions: bool,
    names: &HashMap<String, (String, SourceKind)>,
    events: &[HistoryEvent],
    matches: &[(Claim, f64)],
    typed: &Typed,
) -> Markup {
    let party = |id: &str| -> Markup {
        match names.get(id) {
            Some((name, kind)) => html! {
                a.party href=(format!("/sources/{id}")) { (name) }
                @if *kind == SourceKind::Anonymous { " " span.badge.anonymous { (desk.t("kind.anonymous")) } }
            },
            None => html! { span.party { (id) } },
        }
    };
    let s = &claim.sourcing;
    html! {
        @if let Some(since) = typed.conflict_since {
            (conflict(desk, since, claim, events, names))
        }
        blockquote.claim-text lang=(claim.language) { p #claim-text { (claim.text) } }
        dl.facts {
            dt { (desk.t("claim.status")) } dd #claim-status { (status_badge(desk, claim.status)) }
            dt { (desk.t("claim.claimant")) }
            dd { @if let Some(c) = &claim.claimant { a href=(format!("/sources/{}", c.id)) { (c.name) } } @else { "—" } }
            dt { (desk.t("claim.language")) } dd { (claim.language) }
            dt { (desk.t("claim.claimed_at")) } dd { (claim.claimed_at.as_deref().unwrap_or("—")) }
            dt { (desk.t("claim.tags")) }
            dd { @for tag in &claim.tags { a.tag href=(format!("/?tag={}", encode(tag))) { "#" (tag) } " " } }
            @if let Some(context) = &claim.context { dt { (desk.t("claim.context")) } dd { (context) } }
            dt { (desk.t("claim.version")) } dd { (claim.version) }
            dt { (desk.t("claim.updated")) } dd { time datetime=(claim.updated_at.to_rfc3339()) { (claim.updated_at.format("%Y-%m-%d %H:%M UTC")) } }
        }

        section aria-labelledby="sourcing-h" {
            h2 #sourcing-h { (desk.t("claim.sourcing")) }
            p #sourcing-level {
                (level_badge(desk, s.level))
                @if s.anonymous_only { " " span.badge.anonymous { (desk.t("sourcing.anonymous_only")) } }
            }
            p.explanation { (s.explanation) }
            ul.figures {
                li { (desk.f("sourcing.independent", &[("n", &s.independent_supporting.to_string())])) }
                li { (desk.f("sourcing.named", &[("n", &s.named_supporting.to_string())])) }
                li { (desk.f("sourcing.anonymous", &[("n", &s.anonymous_supporting.to_string())])) }
                li { (desk.f("sourcing.confirmations", &[("n", &s.confirmations.to_string())])) }
                li { (desk.f("sourcing.denials", &[("n", &s.denials.to_string())])) }
                li { (desk.f("sourcing.disputes", &[("n", &s.disputes.to_string())])) }
            }
        }

        section aria-labelledby="attributions-h" {
            h2 #attributions-h { (desk.t("claim.attributions")) }
            @if attributions.is_empty() { p { (desk.t("claim.no_attributions")) } }
            ol.chains {
                @for (at, a) in attributions.iter().enumerate() {
                    li.chain {
                        p.path {
                            (party(&a.speaker_id))
                            @for relay in &a.relay_ids { span.arrow aria-hidden="true" { " → " } span.visually-hidden { (desk.t("claim.via")) } (party(relay)) }
                            span.arrow aria-hidden="true" { " → " }
                            span.visually-hidden { (desk.t("claim.via")) }
                            span.newsroom { (desk.t("claim.newsroom")) }
                            " " (stance_badge(desk, a.stance))
                        }
                        @if let Some(quote) = &a.quote { blockquote { p { (quote) } } }
                        p.meta {
                            @if let Some(at) = &a.published_at { (desk.t("claim.published")) " " time { (at) } " · " }
                            @if let Some(url) = &a.url { a href=(url) rel="noopener noreferrer" { (desk.t("claim.source_link")) } " · " }
                            (desk.f("claim.recorded", &[("by", &a.recorded_by), ("at", &a.recorded_at.format("%Y-%m-%d %H:%M").to_string())]))
                        }
                        @if caller.can(pb::Role::Editor) {
                            (edit_attribution_form(desk, claim, at, a, names, typed.edit.as_ref()))
                        }
                    }
                }
            }
            @if more_attributions { p { (desk.f("claim.more_attributions", &[("n", &ATTRIBUTIONS.to_string())])) } }
            @if caller.can(pb::Role::Reporter) {
                (known_names(claim, names))
                (attribution_form(desk, claim, typed.attribution.as_ref()))
            }
        }

        @if caller.can(pb::Role::Editor) {
            (status_form(desk, claim, typed.status.as_ref()))
        }

        section aria-labelledby="similar-h" {
            h2 #similar-h { (desk.t("claim.similar")) }
            @if let Some(problem) = &typed.merge { div.alert role="alert" { p { (problem.detail) } } }
            @if matches.is_empty() { p { (desk.t("claim.no_similar")) } }
            ul.similar {
                @for (other, score) in matches {
                    li {
                        a href=(format!("/claims/{}", other.id)) { (other.text) }
                        " " span.score { (desk.f("claim.score", &[("score", &format!("{:.0}", score * 100.0))])) }
                        " " (status_badge(desk, other.status))
                        @if caller.can(pb::Role::Editor) {
                            form.inline method="post" action=(format!("/claims/{}/merge", claim.id)) {
                                (desk.csrf_field())
                                input type="hidden" name="duplicate_id" value=(other.id);
                                input type="hidden" name="etag" value=(claim.etag);
                                input type="hidden" name="duplicate_etag" value=(other.etag);
                                button type="submit" aria-label=(desk.f("claim.merge_label", &[("text", &other.text)])) { (desk.t("claim.merge")) }
                            }
                        }
                    }
                }
            }
        }

        section aria-labelledby="history-h" {
            h2 #history-h { (desk.t("claim.history")) }
            ol.timeline reversed {
                @for event in events.iter().rev().take(TIMELINE) { (history_item(desk, event, names)) }
            }
            @if events.len() > TIMELINE { p { (desk.f("claim.older_events", &[("n", &(events.len() - TIMELINE).to_string())])) } }
        }
    }
}

/// Someone else changed the claim since the user's page was drawn: what they changed.
fn conflict(
    desk: &Desk,
    since: i64,
    claim: &Claim,
    events: &[HistoryEvent],
    names: &HashMap<String, (String, SourceKind)>,
) -> Markup {
    html! {
        div.alert.conflict role="alert" #conflict {
            p { strong { (desk.f("conflict.title", &[("from", &since.to_string()), ("to", &claim.version.to_string())])) } }
            p { (desk.t("conflict.kept")) }
            ol { @for event in events.iter().filter(|e| e.version > since) { (history_item(desk, event, names)) } }
        }
    }
}

fn history_item(desk: &Desk, event: &HistoryEvent, names: &HashMap<String, (String, SourceKind)>) -> Markup {
    let name = |id: &str| names.get(id).map_or_else(|| id.to_owned(), |(n, _)| n.clone());
    let json = |v: &serde_json::Value| match v {
        serde_json::Value::Null => "—".to_owned(),
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    html! {
        li {
            p.event {
                strong { (desk.f("history.version", &[("v", &event.version.to_string())])) }
                " · " time datetime=(event.at.to_rfc3339()) { (event.at.format("%Y-%m-%d %H:%M:%S UTC")) }
                " · " (event.actor)
            }
            @match &event.change {
                Change::Created { claim, status } => p { (desk.t("history.created")) " (" (desk.t(&format!("status.{}", wire(status)))) "): " q { (claim.text) } },
                Change::Edited { changes } => {
                    p { (desk.t("history.edited")) }
                    table.diff {
                        thead { tr { th scope="col" { (desk.t("history.field")) } th scope="col" { (desk.t("history.before")) } th scope="col" { (desk.t("history.after")) } } }
                        tbody { @for c in changes { tr { th scope="row" { (c.field) } td { del { (json(&c.before)) } } td { ins { (json(&c.after)) } } } } }
                    }
                }
                Change::AttributionAdded { attribution } => p {
                    (desk.t("history.attribution_added")) ": " (name(&attribution.speaker_id)) " — " (desk.t(&format!("stance.{}", wire(&attribution.stance))))
                },
                Change::AttributionEdited { before, after } => p {
                    (desk.t("history.attribution_edited")) ": " (name(&before.speaker_id)) " (" (desk.t(&format!("stance.{}", wire(&before.stance)))) ") → "
                    (name(&after.speaker_id)) " (" (desk.t(&format!("stance.{}", wire(&after.stance)))) ")"
                },
                Change::AttributionRemoved { attribution } => p { (desk.t("history.attribution_removed")) ": " (name(&attribution.speaker_id)) },
                Change::StatusChanged { from, to, note } => p {
                    (desk.t("history.status")) ": " del { (desk.t(&format!("status.{}", wire(from)))) } " → " ins { (desk.t(&format!("status.{}", wire(to)))) }
                    @if let Some(note) = note { " — " q { (note) } }
                },
                Change::Merged { duplicate_id, moved } => p {
                    (desk.f("history.merged", &[("n", &moved.len().to_string())])) " " a href=(format!("/claims/{duplicate_id}")) { (duplicate_id) }
                },
                Change::MergedInto { canonical_id, .. } => p { (desk.t("history.merged_into")) " " a href=(format!("/claims/{canonical_id}")) { (canonical_id) } },
            }
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct StatusForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    version: i64,
    #[serde(default)]
    status: String,
    note: Option<String>,
}

fn status_form(desk: &Desk, claim: &Claim, typed: Option<&(StatusForm, Option<Problem>)>) -> Markup {
    let chosen = typed.map_or_else(|| wire(&claim.status), |(f, _)| f.status.clone());
    let note = typed.and_then(|(f, _)| f.note.clone()).unwrap_or_default();
    // A stale version is explained by the conflict notice at the top of the page.
    let error = typed.and_then(|(_, p)| p.as_ref()).filter(|p| p.code != "version_mismatch");
    html! {
        section aria-labelledby="status-h" {
            h2 #status-h { (desk.t("status_form.title")) }
            @if let Some(problem) = error {
                div.alert role="alert" #status-error { p { (problem.detail) } (field_errors(&problem.errors)) }
            }
            form.card method="post" action=(format!("/claims/{}/status", claim.id)) {
                (desk.csrf_field())
                input type="hidden" name="version" value=(claim.version);
                p {
                    label for="new-status" { (desk.t("status_form.status")) }
                    (options(desk, "new-status", "status", &STATUSES, "status", Some(&chosen), false))
                }
                p {
                    label for="status-note" { (desk.t("status_form.note")) }
                    textarea #status-note name="note" rows="2" maxlength="2000" aria-describedby="status-note-help" { (note) }
                    small #status-note-help { (desk.t("status_form.note_help")) }
                }
                button type="submit" { (desk.t("status_form.submit")) }
            }
        }
    }
}

/// `POST /claims/{id}/status`.
pub async fn set_status(
    req: HttpRequest,
    desk: Desk,
    Signed(caller): Signed,
    core: web::Data<CoreClients>,
    id: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    let result = async {
        let f: StatusForm = form(&body)?;
        desk.check_csrf(&f.csrf)?;
        let status = parse_wire::<ClaimStatus>(&desk, "status", Some(f.status.clone()))?
            .ok_or_else(|| Problem::bad_field("validation_failed", "status", desk.t("status_form.choose")))?;
        let request = pb::SetStatusRequest {
            claim_id: id.to_string(),
            expected_version: f.version,
            status: pb::ClaimStatus::from(status).into(),
            note: filled(f.note.clone()),
            etag: String::new(),
        };
        match core.claims.clone().set_status(desk.call(&req, request)).await {
            Ok(_) => Ok(Desk::see_other(&format!("/claims/{id}#status-h"))),
            Err(status) => {
                let problem = Problem::from(status);
                OnClaim { req: &req, desk: &desk, core: &core, caller: &caller, id: &id }
                    .refused(f.version, problem, |typed, p| typed.status = Some((f, Some(p))))
                    .await
            }
        }
    }
    .await;
    desk.answer(Some(&caller), result)
}

/// A form posted on a claim's page, and what answers it.
struct OnClaim<'a> {
    req: &'a HttpRequest,
    desk: &'a Desk,
    core: &'a CoreClients,
    caller: &'a Caller,
    id: &'a str,
}

impl OnClaim<'_> {
    /// Core refused the form: the claim's page again, with what was typed and why (`keep` puts
    /// them in place); a stale version (someone else changed the claim) shows what they changed.
    /// Refusals the page cannot show (the claim is gone, core is down) are the error page.
    async fn refused(
        &self,
        version: i64,
        problem: Problem,
        keep: impl FnOnce(&mut Typed, Problem),
    ) -> Result<HttpResponse, Problem> {
        if problem.status == StatusCode::NOT_FOUND
            || problem.status.is_server_error()
            || problem.status == StatusCode::UNAUTHORIZED
        {
            return Err(problem);
        }
        let mut typed = Typed::default();
        // A form drawn at a version (0: one that names none, the merge's etags) that is stale.
        if problem.code == "version_mismatch" && version > 0 {
            typed.conflict_since = Some(version);
        }
        keep(&mut typed, problem);
        claim_page(self.req, self.desk, self.core, self.caller, self.id, typed).await
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct AttributionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    version: i64,
    #[serde(default)]
    speaker: String,
    speaker_kind: Option<String>,
    #[serde(default)]
    stance: String,
    relays: Option<String>,
    relay_kind: Option<String>,
    quote: Option<String>,
    url: Option<String>,
    published_at: Option<String>,
}

/// The names a statement's speaker and relays may be picked from (the page's parties).
fn known_names(claim: &Claim, names: &HashMap<String, (String, SourceKind)>) -> Markup {
    let mut known: Vec<&str> = names.values().map(|(n, _)| n.as_str()).collect();
    if let Some(c) = &claim.claimant {
        known.push(&c.name);
    }
    known.sort_unstable();
    known.dedup();
    html! { datalist #known-sources { @for n in &known { option value=(n) {} } } }
}

/// A statement's form: empty to add one, filled with a statement to edit it. `prefix` keeps
/// its field ids apart from the page's other statement forms.
fn attribution_fields(
    desk: &Desk,
    claim: &Claim,
    action: &str,
    prefix: &str,
    f: &AttributionForm,
    submit: &str,
) -> Markup {
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let id = |name: &str| format!("{prefix}{name}");
    html! {
        form.card method="post" action=(action) {
            (desk.csrf_field())
            input type="hidden" name="version" value=(claim.version);
            p {
                label for=(id("speaker")) { (desk.t("attribution_form.speaker")) }
                input id=(id("speaker")) name="speaker" required list="known-sources" value=(f.speaker) aria-describedby=(id("speaker-help"));
                small id=(id("speaker-help")) { (desk.t("attribution_form.speaker_help")) " " a href="/sources" { (desk.t("attribution_form.search_sources")) } }
            }
            p {
                label for=(id("speaker_kind")) { (desk.t("attribution_form.speaker_kind")) }
                (options(desk, &id("speaker_kind"), "speaker_kind", &KINDS, "kind", Some(f.speaker_kind.as_deref().unwrap_or("person")), false))
            }
            p {
                label for=(id("stance")) { (desk.t("attribution_form.stance")) }
                (options(desk, &id("stance"), "stance", &STANCES, "stance", Some(&f.stance), false))
            }
            p {
                label for=(id("relays")) { (desk.t("attribution_form.relays")) }
                input id=(id("relays")) name="relays" list="known-sources" value=(text(&f.relays)) aria-describedby=(id("relays-help"));
                small id=(id("relays-help")) { (desk.t("attribution_form.relays_help")) }
            }
            p {
                label for=(id("relay_kind")) { (desk.t("attribution_form.relay_kind")) }
                (options(desk, &id("relay_kind"), "relay_kind", &KINDS, "kind", Some(f.relay_kind.as_deref().unwrap_or("news_outlet")), false))
            }
            p {
                label for=(id("quote")) { (desk.t("attribution_form.quote")) }
                textarea id=(id("quote")) name="quote" rows="2" { (text(&f.quote)) }
            }
            p {
                label for=(id("url")) { (desk.t("attribution_form.url")) }
                input id=(id("url")) name="url" type="url" value=(text(&f.url));
            }
            p {
                label for=(id("published_at")) { (desk.t("attribution_form.published_at")) }
                input id=(id("published_at")) name="published_at" value=(text(&f.published_at)) placeholder="2025-10-26" size="10";
            }
            button type="submit" { (submit) }
        }
    }
}

/// A stored statement as its edit form shows it.
fn as_form(a: &Attribution, names: &HashMap<String, (String, SourceKind)>) -> AttributionForm {
    let name = |id: &str| names.get(id).map_or_else(|| id.to_owned(), |(n, _)| n.clone());
    let kind = |id: &str| names.get(id).map(|(_, k)| wire(k));
    AttributionForm {
        speaker: name(&a.speaker_id),
        speaker_kind: kind(&a.speaker_id),
        stance: wire(&a.stance),
        relays: Some(a.relay_ids.iter().map(|r| name(r)).collect::<Vec<_>>().join("; ")),
        relay_kind: a.relay_ids.first().and_then(|r| kind(r)),
        quote: a.quote.clone(),
        url: a.url.clone(),
        published_at: a.published_at.clone(),
        ..AttributionForm::default()
    }
}

/// The edit of one statement, folded under it (open when the last try was refused).
fn edit_attribution_form(
    desk: &Desk,
    claim: &Claim,
    at: usize,
    a: &Attribution,
    names: &HashMap<String, (String, SourceKind)>,
    typed: Option<&(String, AttributionForm, Problem)>,
) -> Markup {
    let retry = typed.filter(|(id, _, _)| *id == a.id);
    let f = retry.map_or_else(|| as_form(a, names), |(_, f, _)| f.clone());
    let error = retry.map(|(_, _, p)| p).filter(|p| p.code != "version_mismatch");
    html! {
        details.edit open[retry.is_some()] {
            summary { (desk.f("attribution_form.edit", &[("n", &(at + 1).to_string())])) }
            @if let Some(problem) = error {
                div.alert role="alert" { p { (problem.detail) } (field_errors(&problem.errors)) }
            }
            (attribution_fields(desk, claim, &format!("/claims/{}/attributions/{}", claim.id, a.id), &format!("e{at}-"), &f, desk.t("attribution_form.save")))
        }
    }
}

fn attribution_form(desk: &Desk, claim: &Claim, typed: Option<&(AttributionForm, Option<Problem>)>) -> Markup {
    let f = typed.map(|(f, _)| f.clone()).unwrap_or_default();
    let error = typed.and_then(|(_, p)| p.as_ref()).filter(|p| p.code != "version_mismatch");
    html! {
        h3 #add-attribution-h { (desk.t("attribution_form.title")) }
        @if let Some(problem) = error {
            div.alert role="alert" #attribution-error { p { (problem.detail) } (field_errors(&problem.errors)) }
        }
        (attribution_fields(desk, claim, &format!("/claims/{}/attributions", claim.id), "", &f, desk.t("attribution_form.submit")))
    }
}

/// The id of the source with this name or alias, found with the source search; created (of
/// `kind`) when there is none.
async fn source_named(
    req: &HttpRequest,
    desk: &Desk,
    core: &CoreClients,
    field: &str,
    name: &str,
    kind: SourceKind,
) -> Result<String, Problem> {
    let search = pb::ListSourcesRequest { page_size: Some(50), query: Some(name.to_owned()), ..Default::default() };
    let found = core.sources.clone().list_sources(desk.call(req, search)).await;
    let fold = |s: &str| s.trim().to_lowercase();
    if let Ok(found) = found {
        let wanted = fold(name);
        if let Some(source) = found
            .into_inner()
            .sources
            .into_iter()
            .find(|s| fold(&s.name) == wanted || s.aliases.iter().any(|a| fold(a) == wanted))
        {
            return Ok(source.id);
        }
    }
    let create = pb::CreateSourceRequest {
        source: Some(pb::SourceFields {
            name: name.to_owned(),
            kind: pb::SourceKind::from(kind).into(),
            ..Default::default()
        }),
        ..Default::default()
    };
    match core.sources.clone().create_source(desk.call(req, create)).await {
        Ok(source) => Ok(source.into_inner().id),
        Err(status) => {
            let mut problem = Problem::from(status);
            // The same name spelt another way ("Washington Post" for "The Washington Post").
            if let Some(existing) = problem.extensions.as_ref().and_then(|x| x.existing_id.clone()) {
                return Ok(existing);
            }
            for e in &mut problem.errors {
                e.field = format!("{field}: {}", e.field);
            }
            Err(problem)
        }
    }
}

/// `POST /claims/{id}/attributions`: parties by name (found, or created), then the statement.
pub async fn add_attribution(
    req: HttpRequest,
    desk: Desk,
    Signed(caller): Signed,
    core: web::Data<CoreClients>,
    id: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    let result = async {
        let f: AttributionForm = form(&body)?;
        desk.check_csrf(&f.csrf)?;
        let added = save(&req, &desk, &core, &id, None, &f).await;
        match added {
            Ok(()) => Ok(Desk::see_other(&format!("/claims/{id}#attributions-h"))),
            Err(problem) => {
                let version = f.version;
                OnClaim { req: &req, desk: &desk, core: &core, caller: &caller, id: &id }
                    .refused(version, problem, |typed, p| typed.attribution = Some((f, Some(p))))
                    .await
            }
        }
    }
    .await;
    desk.answer(Some(&caller), result)
}

/// `POST /claims/{id}/attributions/{attribution_id}`: a statement replaced by what the form says.
pub async fn edit_attribution(
    req: HttpRequest,
    desk: Desk,
    Signed(caller): Signed,
    core: web::Data<CoreClients>,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> HttpResponse {
    let (id, attribution_id) = path.into_inner();
    let result = async {
        let f: AttributionForm = form(&body)?;
        desk.check_csrf(&f.csrf)?;
        match save(&req, &desk, &core, &id, Some(&attribution_id), &f).await {
            Ok(()) => Ok(Desk::see_other(&format!("/claims/{id}#attributions-h"))),
            Err(problem) => {
                let version = f.version;
                OnClaim { req: &req, desk: &desk, core: &core, caller: &caller, id: &id }
                    .refused(version, problem, |typed, p| typed.edit = Some((attribution_id.clone(), f, p)))
                    .await
            }
        }
    }
    .await;
    desk.answer(Some(&caller), result)
}

/// A statement from its form: added, or replacing `attribution_id`.
async fn save(
    req: &HttpRequest,
    desk: &Desk,
    core: &CoreClients,
    id: &str,
    attribution_id: Option<&str>,
    f: &AttributionForm,
) -> Result<(), Problem> {
    let speaker = filled(Some(f.speaker.clone()))
        .ok_or_else(|| Problem::bad_field("validation_failed", "speaker", desk.t("attribution_form.speaker_needed")))?;
    let stance = parse_wire::<Stance>(desk, "stance", Some(f.stance.clone()))?
        .ok_or_else(|| Problem::bad_field("validation_failed", "stance", desk.t("attribution_form.stance_needed")))?;
    let speaker_kind =
        parse_wire::<SourceKind>(desk, "speaker_kind", f.speaker_kind.clone())?.unwrap_or(SourceKind::Person);
    let relay_kind =
        parse_wire::<SourceKind>(desk, "relay_kind", f.relay_kind.clone())?.unwrap_or(SourceKind::NewsOutlet);
    let relays: Vec<String> = f
        .relays
        .as_deref()
        .unwrap_or("")
        // Semicolons or lines: a name may hold a comma ("Ministry of Defence, UK").
        .split([';', '\n'])
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_owned)
        .collect();
    let speaker_id = source_named(req, desk, core, "speaker", &speaker, speaker_kind).await?;
    let mut relay_ids = Vec::with_capacity(relays.len());
    for relay in &relays {
        relay_ids.push(source_named(req, desk, core, "relays", relay, relay_kind).await?);
    }
    let fields = pb::AttributionFields {
        speaker_id,
        stance: pb::Stance::from(stance).into(),
        relay_ids,
        quote: filled(f.quote.clone()),
        url: filled(f.url.clone()),
        published_at: filled(f.published_at.clone()),
    };
    let (claim_id, expected_version, etag) = (id.to_owned(), f.version, String::new());
    match attribution_id {
        None => {
            let request = pb::AddAttributionRequest { claim_id, expected_version, attribution: Some(fields), etag };
            core.claims.clone().add_attribution(desk.call(req, request)).await?;
        }
        Some(attribution_id) => {
            let request = pb::UpdateAttributionRequest {
                claim_id,
                attribution_id: attribution_id.to_owned(),
                expected_version,
                attribution: Some(fields),
                etag,
            };
            core.claims.clone().update_attribution(desk.call(req, request)).await?;
        }
    }
    Ok(())
}

#[derive(Debug, Deserialize)]
struct MergeForm {
    #[serde(default)]
    csrf: String,
    duplicate_id: String,
    etag: String,
    duplicate_etag: Option<String>,
}

/// `POST /claims/{id}/merge`: the similar claim is merged into this one.
pub async fn merge(
    req: HttpRequest,
    desk: Desk,
    Signed(caller): Signed,
    core: web::Data<CoreClients>,
    id: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    let result = async {
        let f: MergeForm = form(&body)?;
        desk.check_csrf(&f.csrf)?;
        let request = pb::MergeClaimsRequest {
            claim_id: id.to_string(),
            duplicate_id: f.duplicate_id,
            etag: f.etag,
            duplicate_etag: f.duplicate_etag.unwrap_or_default(),
        };
        match core.claims.clone().merge_claims(desk.call(&req, request)).await {
            Ok(_) => Ok(Desk::see_other(&format!("/claims/{id}"))),
            Err(status) => {
                let problem = Problem::from(status);
                OnClaim { req: &req, desk: &desk, core: &core, caller: &caller, id: &id }
                    .refused(0, problem, |typed, p| typed.merge = Some(p))
                    .await
            }
        }
    }
    .await;
    desk.answer(Some(&caller), result)
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct NewClaimForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    language: String,
    claimant: Option<String>,
    claimant_kind: Option<String>,
    claimed_at: Option<String>,
    tags: Option<String>,
    context: Option<String>,
    /// Makes a second submission of the same form (a double click, a reload) store nothing new.
    #[serde(default)]
    request_id: String,
    /// The user saw the similar claims and saves anyway.
    confirmed: Option<String>,
}

/// `GET /claims/new`.
pub async fn new_claim(desk: Desk, Signed(caller): Signed) -> HttpResponse {
    let f = NewClaimForm { language: desk.lang.code().to_owned(), ..NewClaimForm::default() };
    claim_form(&desk, &caller, StatusCode::OK, &f, &[], None)
}

fn claim_form(
    desk: &Desk,
    caller: &Caller,
    status: StatusCode,
    f: &NewClaimForm,
    similar: &[(Claim, f64)],
    error: Option<&Problem>,
) -> HttpResponse {
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let request_id = if f.request_id.is_empty() { uuid::Uuid::now_v7().to_string() } else { f.request_id.clone() };
    let body = html! {
        @if !caller.can(pb::Role::Reporter) {
            div.alert role="alert" { p { (desk.t("error.needs_reporter")) } }
        }
        @if let Some(problem) = error {
            div.alert role="alert" #claim-error { p { (problem.detail) } (field_errors(&problem.errors)) }
        }
        @if !similar.is_empty() {
            section.alert.similar role="alert" aria-labelledby="suggest-h" {
                h2 #suggest-h { (desk.t("new_claim.similar_title")) }
                p { (desk.t("new_claim.similar_help")) }
                ul {
                    @for (other, score) in similar {
                        li {
                            a href=(format!("/claims/{}", other.id)) { (other.text) }
                            " " span.score { (desk.f("claim.score", &[("score", &format!("{:.0}", score * 100.0))])) }
                            " " (status_badge(desk, other.status))
                        }
                    }
                }
            }
        }
        form.card method="post" action="/claims/new" {
            (desk.csrf_field())
            input type="hidden" name="request_id" value=(request_id);
            @if !similar.is_empty() { input type="hidden" name="confirmed" value="1"; }
            p {
                label for="text" { (desk.t("new_claim.text")) }
                textarea #text name="text" rows="3" required maxlength="10000" { (f.text) }
            }
            p {
                label for="language" { (desk.t("new_claim.language")) }
                input #language name="language" required value=(f.language) size="6" aria-describedby="language-help";
                small #language-help { (desk.t("new_claim.language_help")) }
            }
            p {
                label for="claimant" { (desk.t("new_claim.claimant")) }
                input #claimant name="claimant" value=(text(&f.claimant));
            }
            p {
                label for="claimant_kind" { (desk.t("new_claim.claimant_kind")) }
                (options(desk, "claimant_kind", "claimant_kind", &KINDS, "kind", Some(f.claimant_kind.as_deref().unwrap_or("person")), false))
            }
            p {
                label for="claimed_at" { (desk.t("new_claim.claimed_at")) }
                input #claimed_at name="claimed_at" value=(text(&f.claimed_at)) placeholder="2025-10-26" size="10";
            }
            p {
                label for="tags" { (desk.t("new_claim.tags")) }
                input #tags name="tags" value=(text(&f.tags)) aria-describedby="tags-help";
                small #tags-help { (desk.t("new_claim.tags_help")) }
            }
            p {
                label for="context" { (desk.t("new_claim.context")) }
                textarea #context name="context" rows="2" { (text(&f.context)) }
            }
            button type="submit" {
                @if similar.is_empty() { (desk.t("new_claim.submit")) } @else { (desk.t("new_claim.submit_anyway")) }
            }
        }
    };
    desk.page(status, Some(caller), desk.t("new_claim.title"), body)
}

/// `POST /claims/new`: similar stored claims are shown first; saved when there are none or
/// the user saw them and saves anyway.
pub async fn submit_claim(
    req: HttpRequest,
    desk: Desk,
    Signed(caller): Signed,
    core: web::Data<CoreClients>,
    body: web::Bytes,
) -> HttpResponse {
    let f: NewClaimForm = match form(&body).and_then(|f: NewClaimForm| desk.check_csrf(&f.csrf).map(|()| f)) {
        Ok(f) => f,
        Err(problem) => return desk.error_page(Some(&caller), &problem),
    };
    let refused = |problem: Problem| {
        if on_page(&problem) {
            claim_form(&desk, &caller, problem.status, &f, &[], Some(&problem))
        } else {
            desk.answer(Some(&caller), Err(problem))
        }
    };
    if f.confirmed.is_none() && !f.text.trim().is_empty() && !f.language.trim().is_empty() {
        let request = pb::FindSimilarRequest {
            subject: Some(pb::find_similar_request::Subject::Text(f.text.clone())),
            language: f.language.trim().to_owned(),
            limit: Some(SIMILAR),
        };
        match core.claims.clone().find_similar(desk.call(&req, request)).await {
            Ok(found) => {
                let similar: Vec<(Claim, f64)> = found
                    .into_inner()
                    .matches
                    .into_iter()
                    .filter(|m| m.score >= SUGGEST_FROM)
                    .filter_map(|m| Some((Claim::try_from(m.claim?).ok()?, m.score)))
                    .collect();
                if !similar.is_empty() {
                    return claim_form(&desk, &caller, StatusCode::OK, &f, &similar, None);
                }
            }
            Err(status) => return refused(Problem::from(status)),
        }
    }
    let kind = match parse_wire::<SourceKind>(&desk, "claimant_kind", f.claimant_kind.clone()) {
        Ok(kind) => kind,
        Err(problem) => return refused(problem),
    };
    let claimant = filled(f.claimant.clone());
    let request = pb::CreateClaimRequest {
        text: f.text.clone(),
        language: f.language.trim().to_owned(),
        context: filled(f.context.clone()),
        claimant_kind: claimant.as_ref().and(kind).map_or(pb::SourceKind::Unspecified, Into::into).into(),
        claimant,
        claimed_at: filled(f.claimed_at.clone()),
        tags: f
            .tags
            .as_deref()
            .unwrap_or("")
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect(),
        request_id: filled(Some(f.request_id.clone())),
        ..Default::default()
    };
    match core.claims.clone().create_claim(desk.call(&req, request)).await {
        Ok(claim) => Desk::see_other(&format!("/claims/{}", claim.into_inner().id)),
        Err(status) => refused(Problem::from(status)),
    }
}

/// The distinct ids, first seen first.
fn distinct(ids: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut seen = HashSet::new();
    ids.into_iter().filter(|id| seen.insert(id.clone())).collect()
}
