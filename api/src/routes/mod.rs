//! Route registration: every route goes through utoipa so the OpenAPI document cannot drift.

mod attributions;
mod claimreview;
mod claims;
mod events;
mod extraction;
mod health;
mod history;
mod imports;
mod sources;
mod tokens;
mod webhooks;

use actix_web::{HttpRequest, http::StatusCode, http::header};
use claimdesk_proto::v1 as pb;
use utoipa_actix_web::{scope, service_config::ServiceConfig};

use crate::{CoreClients, grpc, problem::Problem};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(health::healthz).service(health::readyz).service(scope("/v1").configure(|v1| {
        v1.service(claims::create_claim)
            .service(claims::list_claims)
            .service(claims::get_claim)
            .service(claims::update_claim)
            .service(claims::set_status)
            .service(claims::similar_to_text)
            .service(claims::similar_to_claim)
            .service(claims::merge_claims)
            .service(extraction::extract_claims)
            .service(extraction::accept_extraction)
            .service(attributions::list_attributions)
            .service(attributions::get_attribution)
            .service(attributions::add_attribution)
            .service(attributions::replace_attribution)
            .service(attributions::remove_attribution)
            .service(history::get_sourcing)
            .service(claimreview::get_claim_review)
            .service(claimreview::list_claim_reviews)
            .service(imports::import_claimreview)
            .service(history::get_history)
            .service(events::watch_events)
            .service(sources::create_source)
            .service(sources::list_sources)
            .service(sources::get_source)
            .service(sources::list_source_statements)
            .service(sources::update_source)
            .service(tokens::create_token)
            .service(tokens::list_tokens)
            .service(tokens::revoke_token)
            .service(webhooks::create_webhook)
            .service(webhooks::list_webhooks)
            .service(webhooks::get_webhook)
            .service(webhooks::delete_webhook)
            .service(webhooks::enable_webhook)
            .service(webhooks::disable_webhook)
            .service(webhooks::list_deliveries);
    }));
}

/// Paths of the API (from its OpenAPI document) and the methods each answers.
fn route_table() -> &'static [(Vec<String>, String)] {
    static TABLE: std::sync::OnceLock<Vec<(Vec<String>, String)>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        let doc = crate::openapi();
        let Some(paths) = doc["paths"].as_object() else { return Vec::new() };
        paths
            .iter()
            .map(|(path, item)| {
                let has = |method: &str| item.get(method).is_some();
                let methods = [
                    ("GET", has("get")),
                    ("HEAD", has("get")),
                    ("POST", has("post")),
                    ("PUT", has("put")),
                    ("PATCH", has("patch")),
                    ("DELETE", has("delete")),
                ];
                let allow: Vec<&str> = methods.iter().filter(|(_, has)| *has).map(|(m, _)| *m).collect();
                (path.split('/').map(str::to_owned).collect(), allow.join(", "))
            })
            .collect()
    })
}

/// The query parameters the document declares for `method` on the route `pattern`
/// (`/v1/claims/{id}`), if it is one of the API's operations.
pub fn declared_query(method: &str, pattern: &str) -> Option<&'static [String]> {
    type Table = std::collections::HashMap<(String, String), Vec<String>>;
    static TABLE: std::sync::OnceLock<Table> = std::sync::OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let doc = crate::openapi();
        let mut table = Table::new();
        for (path, item) in doc["paths"].as_object().into_iter().flatten() {
            for (method, op) in item.as_object().into_iter().flatten() {
                let names = op["parameters"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|p| p["in"] == "query")
                    .filter_map(|p| p["name"].as_str().map(str::to_owned))
                    .collect();
                table.insert((method.to_uppercase(), path.clone()), names);
            }
        }
        table
    });
    table.get(&(method.to_owned(), pattern.to_owned())).map(Vec::as_slice)
}

/// The API's route for `path` (the most literal one: `/v1/claims/similar` before
/// `/v1/claims/{id}`) and the methods it answers (the `Allow` header's value).
fn route_of(path: &str) -> Option<&'static (Vec<String>, String)> {
    let segments: Vec<&str> = path.split('/').collect();
    route_table()
        .iter()
        .filter(|(pattern, _)| {
            pattern.len() == segments.len()
                && pattern.iter().zip(&segments).all(|(p, s)| p == s || (p.starts_with('{') && !s.is_empty()))
        })
        .max_by_key(|(pattern, _)| pattern.iter().filter(|p| !p.starts_with('{')).count())
}

/// The methods `path` answers (the `Allow` header's value), if it is one of the API's paths.
fn allowed_methods(path: &str) -> Option<&'static str> {
    if matches!(path, "/metrics" | "/openapi.json" | "/docs") || path.starts_with("/docs/") {
        return Some("GET, HEAD");
    }
    route_of(path).map(|(_, allow)| allow.as_str())
}

/// A request routed to a parameter route (`PATCH /v1/claims/{id}`) whose path is a literal
/// route of the API that does not answer its method (`/v1/claims/similar` takes only POST):
/// 405 with `Allow`, as for any other method a path does not answer.
pub fn shadowed_method(method: &str, path: &str, pattern: &str) -> Option<Problem> {
    let (route, allow) = route_of(path)?;
    if route.join("/") == pattern || allow.split(", ").any(|m| m == method) {
        return None;
    }
    Some(
        Problem::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            format!("{method} is not allowed on this path; it answers {allow}"),
        )
        .allow(allow),
    )
}

/// Requests no route takes: 405 with `Allow` for a known path, 404 otherwise.
pub async fn no_route(req: HttpRequest) -> Result<actix_web::HttpResponse, Problem> {
    match allowed_methods(req.path()) {
        Some(allow) => Err(Problem::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            format!("{} is not allowed on this path; it answers {allow}", req.method()),
        )
        .allow(allow)),
        None => Err(Problem::not_found_route()),
    }
}

/// `Idempotency-Key`, when sent: 1 to 200 visible ASCII characters, else 400.
pub fn idempotency_key(req: &HttpRequest) -> Result<Option<String>, Problem> {
    let mut lines = req.headers().get_all("idempotency-key");
    let Some(value) = lines.next() else { return Ok(None) };
    let single = lines.next().is_none();
    Some(value)
        .filter(|_| single)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 200 && v.bytes().all(|b| b.is_ascii_graphic()))
        .map(|v| Some(v.to_owned()))
        .ok_or_else(|| {
            Problem::new(
                StatusCode::BAD_REQUEST,
                "invalid_idempotency_key",
                "send one Idempotency-Key of 1 to 200 visible ASCII characters, such as a UUID",
            )
        })
}

/// Says so (`Idempotent-Replayed: true`) when core answered a reused idempotency key with what
/// the first request created.
pub fn mark_replay<T>(answer: &tonic::Response<T>, response: &mut actix_web::HttpResponseBuilder) {
    if answer.metadata().contains_key("idempotent-replayed") {
        response.insert_header(("Idempotent-Replayed", "true"));
    }
}

/// A claim's ETag: the tag core computed for its representation (`Claim::etag`).
pub fn etag(tag: &str) -> header::EntityTag {
    header::EntityTag::new_strong(tag.to_owned())
}

/// A 200 for one page of a list, with `Link: <…>; rel="next"` when there is a next page.
pub fn page_of(req: &HttpRequest, next_page_token: Option<&str>) -> actix_web::HttpResponseBuilder {
    let mut response = actix_web::HttpResponse::Ok();
    if let Some(token) = next_page_token {
        response.insert_header((header::LINK, format!("<{}>; rel=\"next\"", next_link(req, token))));
    }
    response
}

/// The same request with `page_token` replaced: the `Link: rel="next"` of a list.
pub fn next_link(req: &HttpRequest, token: &str) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (key, value) in form_urlencoded::parse(req.query_string().as_bytes()) {
        if key != "page_token" {
            query.append_pair(&key, &value);
        }
    }
    query.append_pair("page_token", token);
    format!("{}?{}", req.path(), query.finish())
}

/// What `If-Match` asks for (RFC 9110 13.1.1): any current representation (`*`), or one of
/// these strong tags (weak tags never match, so they are left out). An unquoted tag of letters,
/// digits and `-` is taken as if quoted, for lenient clients.
#[derive(Debug, PartialEq, Eq)]
enum IfMatch {
    Any,
    Tags(Vec<String>),
}

/// `If-Match`, which every change needs. Missing: 428; not `*` or a list of tags: 400.
fn if_match(req: &HttpRequest) -> Result<IfMatch, Problem> {
    let lines: Vec<&header::HeaderValue> = req.headers().get_all(header::IF_MATCH).collect();
    if lines.is_empty() {
        return Err(Problem::new(
            StatusCode::PRECONDITION_REQUIRED,
            "precondition_required",
            "send If-Match with the ETag of your last read, so that no one else's change is overwritten",
        ));
    }
    let invalid = || {
        Problem::new(
            StatusCode::BAD_REQUEST,
            "invalid_if_match",
            "If-Match must be * or a comma-separated list of ETags, such as \"4-9c1f0e6a2b7d3e58\"",
        )
    };
    // At most 1,000 bytes in all, as documented.
    if lines.iter().map(|line| line.len()).sum::<usize>() > 1000 {
        return Err(invalid());
    }
    // Several If-Match lines are one list (RFC 9110 5.3).
    let mut joined = String::new();
    for line in lines {
        joined.push_str(line.to_str().map_err(|_| invalid())?);
        joined.push(',');
    }
    let items: Vec<&str> = joined.split(',').map(str::trim).filter(|item| !item.is_empty()).collect();
    if items == ["*"] {
        return Ok(IfMatch::Any);
    }
    fn quoted(item: &str) -> Option<&str> {
        let etagc = |b: u8| b == 0x21 || (0x23..=0x7e).contains(&b) || b >= 0x80;
        item.strip_prefix('"').and_then(|v| v.strip_suffix('"')).filter(|v| v.bytes().all(etagc))
    }
    let mut tags = Vec::new();
    for item in &items {
        if let Some(weak) = item.strip_prefix("W/") {
            quoted(weak).ok_or_else(invalid)?;
        } else if let Some(tag) = quoted(item) {
            tags.push(tag.to_owned());
        } else if item.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            tags.push((*item).to_owned());
        } else {
            return Err(invalid());
        }
    }
    if items.is_empty() {
        return Err(invalid());
    }
    Ok(IfMatch::Tags(tags))
}

impl IfMatch {
    /// The one tag core checks the change against. A single tag `ours` can send is sent as it
    /// is (core checks the caller, the id and the resource, then compares the tag with the
    /// write); otherwise the current tag (read by `current`) when the header names it, else 412
    /// naming the current tag. A read that fails (a bad id, no such resource) answers first, as
    /// it would without the header.
    async fn resolve<F: Future<Output = Result<String, Problem>>>(
        self,
        ours: impl Fn(&str) -> bool,
        current: impl FnOnce() -> F,
    ) -> Result<String, Problem> {
        match self {
            IfMatch::Tags(mut tags) if tags.len() == 1 && ours(&tags[0]) => Ok(tags.remove(0)),
            IfMatch::Any => current().await,
            IfMatch::Tags(tags) => {
                let now = current().await?;
                if tags.contains(&now) { Ok(now) } else { Err(stale(Some(now))) }
            }
        }
    }
}

fn stale(current: Option<String>) -> Problem {
    let mut problem = Problem::new(
        StatusCode::PRECONDITION_FAILED,
        "version_mismatch",
        "If-Match names no current ETag; read again and send the ETag of that read",
    );
    if let Some(current) = current {
        problem.extensions.get_or_insert_default().current_etag = Some(current);
    }
    problem
}

/// Any single tag goes to core as it is: core compares it as a string, and names it in a 412.
fn claim_tag(_: &str) -> bool {
    true
}

/// A source's tag: its version, a decimal number without leading zeros.
fn source_tag(tag: &str) -> bool {
    tag.parse::<i64>().is_ok_and(|v| v >= 1 && v.to_string() == tag)
}

/// The claim ETag a change is made against, from `If-Match` (the `ETag` of the last read). Core
/// compares it with the claim's current representation, sourcing included.
pub async fn if_match_etag(req: &HttpRequest, core: &CoreClients, id: &str) -> Result<String, Problem> {
    let if_match = if_match(req)?;
    // Core takes `*` itself, checked with the write: no read in between to race.
    if if_match == IfMatch::Any {
        return Ok("*".to_owned());
    }
    if_match
        .resolve(claim_tag, || async {
            let request = grpc(req, pb::GetClaimRequest { id: id.to_owned() });
            Ok(core.claims.clone().get_claim(request).await?.into_inner().etag)
        })
        .await
}

/// The version a change to a source is made against, from `If-Match: "N"`.
pub async fn if_match_version(req: &HttpRequest, core: &CoreClients, id: &str) -> Result<i64, Problem> {
    let tag = if_match(req)?
        .resolve(source_tag, || async {
            let request = grpc(req, pb::GetSourceRequest { id: id.to_owned() });
            Ok(core.sources.clone().get_source(request).await?.into_inner().version.to_string())
        })
        .await?;
    tag.parse::<i64>().map_err(|_| stale(None))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(value: &str) -> Result<IfMatch, u16> {
        let req = actix_web::test::TestRequest::default().insert_header((header::IF_MATCH, value)).to_http_request();
        if_match(&req).map_err(|p| p.status.as_u16())
    }

    #[test]
    fn if_match_takes_up_to_1000_bytes() {
        let most = format!(",{}", "0".repeat(999));
        assert_eq!(parse(&most), tags(&["0".repeat(999).as_str()]));
        assert_eq!(parse(&format!("{most}0")), Err(400));
    }

    fn tags(tags: &[&str]) -> Result<IfMatch, u16> {
        Ok(IfMatch::Tags(tags.iter().map(|t| (*t).to_owned()).collect()))
    }

    #[test]
    fn if_match_reads_every_form_rfc_9110_allows() {
        assert_eq!(parse("*"), Ok(IfMatch::Any));
        assert_eq!(parse("\"3-abc\""), tags(&["3-abc"]));
        assert_eq!(parse("\"1-a\", \"2-b\""), tags(&["1-a", "2-b"]));
        assert_eq!(parse("3-abc"), tags(&["3-abc"]), "unquoted, leniently");
        assert_eq!(parse("W/\"3-abc\""), tags(&[]), "weak tags never match");
        assert_eq!(parse("\"a_b\""), tags(&["a_b"]), "well-formed, not ours: cannot match");
        for bad in ["", " , ", "*, \"1-a\"", "\"a\" \"b\"", "\"x y\"", "\"half", "W/x"] {
            assert_eq!(parse(bad), Err(400), "{bad:?}");
        }
    }

    #[test]
    fn source_tags_are_versions_as_written() {
        assert!(source_tag("3") && !source_tag("03") && !source_tag("0") && !source_tag("+3") && !source_tag("3-a"));
    }
}
