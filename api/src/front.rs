//! The gateway's front door, around every request:
//! - its request id (`x-request-id`, kept from the client when sensible, else made), sent back,
//!   passed to core, in every log line of the request and in every problem document;
//! - its access log line and metrics (`/metrics`);
//! - a cap on the requests one client address may have in flight (429 beyond it);
//! - authentication of `/v1` calls before any body is read: a stranger's request is answered
//!   401 without its body being read, whatever else is wrong with it;
//! - `HEAD` served as `GET` without the body.

use std::{
    collections::HashMap,
    hash::BuildHasher,
    net::IpAddr,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use actix_web::{
    Error, ResponseError,
    body::BoxBody,
    dev::{ServiceRequest, ServiceResponse},
    http::{Method, StatusCode, header},
    middleware::Next,
    web,
};
use claimdesk_proto::{
    metrics::{CONTENT_TYPE, EOF, encode_unterminated, latency_histogram, register_build_info},
    request_id, v1 as pb,
};
use prometheus_client::{
    encoding::EncodeLabelSet,
    metrics::{counter::Counter, family::Family, histogram::Histogram},
    registry::Registry,
};
use tracing::Instrument;

use crate::{CoreClients, problem::Problem};

tokio::task_local! {
    static REQUEST_ID: String;
}

/// The id of the request being served, if any.
pub fn current_request_id() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

/// How long a token core accepted is let past the front door without asking core again. Core
/// still checks every call itself: this only decides whether a body is worth reading.
const CALLER_TTL: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    /// The route's pattern (`/v1/claims/{id}`), `unmatched` for unknown paths.
    route: String,
    status: u16,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RejectLabels {
    /// `client_limit`, `unauthenticated`, `body_timeout`.
    reason: &'static str,
}

/// The gateway's state shared by every worker.
#[derive(Debug)]
pub struct FrontDoor {
    max_per_client: usize,
    in_flight: Mutex<HashMap<IpAddr, usize>>,
    /// Authorization values core accepted lately (hashed), and when.
    /// Accepted `Authorization` values (hashed): when, and who (for the access log).
    callers: quick_cache::sync::Cache<u64, (Instant, Arc<str>)>,
    hasher: std::collections::hash_map::RandomState,
    registry: Registry,
    requests: Family<RequestLabels, Histogram, fn() -> Histogram>,
    rejected: Family<RejectLabels, Counter>,
    /// Metrics of the same process's core, appended to ours (`serve`).
    more_metrics: Option<fn() -> String>,
}

impl FrontDoor {
    pub fn new(max_per_client: usize, more_metrics: Option<fn() -> String>) -> Self {
        let mut registry = Registry::with_prefix("claimdesk_gateway");
        let requests = Family::<RequestLabels, Histogram, fn() -> Histogram>::new_with_constructor(latency_histogram);
        registry.register(
            "http_request_duration_seconds",
            "HTTP requests by method, route and status, and their latency",
            requests.clone(),
        );
        let rejected = Family::<RejectLabels, Counter>::default();
        registry.register("rejected", "Requests refused at the front door, by reason", rejected.clone());
        register_build_info(&mut registry);
        FrontDoor {
            max_per_client: max_per_client.max(1),
            in_flight: Mutex::new(HashMap::new()),
            callers: quick_cache::sync::Cache::new(4096),
            hasher: std::collections::hash_map::RandomState::new(),
            registry,
            requests,
            rejected,
            more_metrics,
        }
    }

    /// Every metric as OpenMetrics text.
    pub fn render_metrics(&self) -> String {
        let mut text = encode_unterminated(&self.registry);
        if let Some(more) = self.more_metrics {
            text.push_str(&more());
        }
        text.push_str(EOF);
        text
    }

    pub fn count_rejection(&self, reason: &'static str) {
        self.rejected.get_or_create(&RejectLabels { reason }).inc();
    }

    fn in_flight(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, usize>> {
        self.in_flight.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Counts a request of `client` in, unless it has `max_per_client` already.
    fn admit(self: &Arc<Self>, client: IpAddr) -> Option<Admitted> {
        let mut in_flight = self.in_flight();
        let count = in_flight.entry(client).or_insert(0);
        if *count >= self.max_per_client {
            return None;
        }
        *count += 1;
        Some(Admitted { front: self.clone(), client })
    }
}

/// A request in flight, counted out when dropped.
struct Admitted {
    front: Arc<FrontDoor>,
    client: IpAddr,
}

impl Drop for Admitted {
    fn drop(&mut self) {
        let mut in_flight = self.front.in_flight();
        if let Some(count) = in_flight.get_mut(&self.client) {
            *count -= 1;
            if *count == 0 {
                in_flight.remove(&self.client);
            }
        }
    }
}

/// The middleware (`actix_web::middleware::from_fn`).
pub async fn front_door(mut req: ServiceRequest, next: Next<BoxBody>) -> Result<ServiceResponse<BoxBody>, Error> {
    let id = request_id::accept_or_new(req.headers().get(request_id::HEADER).map(|v| v.as_bytes()));
    let started = Instant::now();
    let head = req.method() == Method::HEAD;
    if head {
        req.head_mut().method = Method::GET;
    }
    // Bounded labels: any other method a client makes up is counted as OTHER.
    let method = match req.method().as_str() {
        _ if head => "HEAD",
        m @ ("GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS") => m,
        _ => "OTHER",
    }
    .to_owned();
    // Routing once: the metrics label and the check of the query both use the pattern.
    let pattern = req.match_pattern();
    let route = pattern.clone().unwrap_or_else(|| "unmatched".to_owned());
    // The access log: one line per request at info, "answered" in this span (method, route,
    // path, status, latency, who, request id); never a header's value, a query or a body.
    let span = tracing::info_span!(
        "http",
        request_id = %id,
        method = %method,
        route = %route,
        path = %req.path(),
        principal = tracing::field::Empty
    );
    let front = req.app_data::<web::Data<Arc<FrontDoor>>>().map(|f| Arc::clone(f));
    let scope_id = id.clone();
    let served = async move {
        let mut res = match &front {
            Some(front) => admit_and_serve(front, req, pattern.as_deref(), next).await?,
            None => next.call(req).await?,
        };
        // HEAD: actix sends no body, and keeps the Content-Length the GET would have.
        if let Ok(value) = header::HeaderValue::from_str(&id) {
            res.headers_mut().insert(header::HeaderName::from_static(request_id::HEADER), value);
        }
        let status = res.status().as_u16();
        let took = started.elapsed();
        if let Some(front) = &front {
            front.requests.get_or_create(&RequestLabels { method, route, status }).observe(took.as_secs_f64());
        }
        tracing::info!(status, took_ms = took.as_secs_f64() * 1000.0, "answered");
        Ok(res)
    };
    REQUEST_ID.scope(scope_id, served.instrument(span)).await
}

async fn admit_and_serve(
    front: &Arc<FrontDoor>,
    req: ServiceRequest,
    pattern: Option<&str>,
    next: Next<BoxBody>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    // Probes and scrapes are never capped; a change without a token is refused before it counts.
    let probe = matches!(req.path(), "/healthz" | "/readyz" | "/metrics");
    if req.path().starts_with("/v1/") && req.headers().get(header::AUTHORIZATION).is_none() && !reads(&req) {
        front.count_rejection("unauthenticated");
        return Ok(req.into_response(Problem::unauthenticated().error_response()));
    }
    let client = req.peer_addr().map(|a| a.ip()).filter(|_| !probe);
    let _admitted = match client {
        Some(client) => match front.admit(client) {
            Some(admitted) => Some(admitted),
            None => {
                front.count_rejection("client_limit");
                let problem = Problem::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "too_many_requests_in_flight",
                    format!(
                        "at most {} requests from one client at once; wait for some to finish",
                        front.max_per_client
                    ),
                )
                .retry_after(1);
                return Ok(req.into_response(problem.error_response()));
            }
        },
        None => None,
    };
    if req.path().starts_with("/v1/")
        && let Err(problem) = authenticate(front, &req).await
    {
        if problem.status == StatusCode::UNAUTHORIZED {
            front.count_rejection("unauthenticated");
        }
        return Ok(req.into_response(problem.error_response()));
    }
    if let Some(problem) =
        pattern.and_then(|pattern| crate::routes::shadowed_method(req.method().as_str(), req.path(), pattern))
    {
        return Ok(req.into_response(problem.error_response()));
    }
    if let Some(problem) = undeclared_query(&req, pattern) {
        return Ok(req.into_response(problem.error_response()));
    }
    next.call(req).await
}

/// A query parameter the operation does not declare: 400 `invalid_query` naming it, on every
/// route (those with filters also check their values), so that a misspelt parameter is never
/// silently ignored.
fn undeclared_query(req: &ServiceRequest, pattern: Option<&str>) -> Option<Problem> {
    if req.query_string().is_empty() {
        return None;
    }
    let declared = crate::routes::declared_query(req.method().as_str(), pattern?)?;
    let (name, _) = form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(name, _)| !declared.contains(&name.to_string()))?;
    let shown: String = name.chars().take(64).collect();
    Some(
        Problem::new(StatusCode::BAD_REQUEST, "invalid_query", format!("{shown}: unknown query parameter"))
            .with_field(shown, "unknown query parameter"),
    )
}

/// Lets the request in when its credentials are good enough to read at least, asking core
/// (`WhoAmI`) at most once per [`CALLER_TTL`] for each.
/// (Requests without credentials that change something never get here: see `admit_and_serve`.)
async fn authenticate(front: &FrontDoor, req: &ServiceRequest) -> Result<(), Problem> {
    let authorization = req.headers().get(header::AUTHORIZATION);
    if authorization.is_some_and(|v| v.len() > crate::core_client::MAX_AUTHORIZATION_BYTES) {
        return Err(Problem::unauthenticated());
    }
    let key = front.hasher.hash_one(authorization.map(|v| v.as_bytes()));
    if let Some((at, who)) = front.callers.get(&key)
        && at.elapsed() < CALLER_TTL
    {
        tracing::Span::current().record("principal", &*who);
        return Ok(());
    }
    let Some(core) = req.app_data::<web::Data<CoreClients>>() else {
        return Ok(());
    };
    let call = crate::core_client::grpc(req.request(), pb::WhoAmIRequest {});
    match core.tokens.clone().who_am_i(call).await {
        Ok(caller) => {
            let caller = caller.into_inner();
            // The token's id and name, never its secret.
            let who: Arc<str> = if caller.anonymous {
                "anonymous".into()
            } else {
                format!("{}:{}", caller.token_id, caller.name).into()
            };
            tracing::Span::current().record("principal", &*who);
            front.callers.insert(key, (Instant::now(), who));
            Ok(())
        }
        // Core unreachable or slow: the handler's own call will say so, with the same answer.
        Err(status) if matches!(status.code(), tonic::Code::Unavailable | tonic::Code::DeadlineExceeded) => Ok(()),
        Err(status) => Err(Problem::from(status)),
    }
}

fn reads(req: &ServiceRequest) -> bool {
    matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS)
}

/// `GET /metrics`: the gateway's metrics, and in `serve` core's too, as OpenMetrics text.
pub async fn metrics(front: web::Data<Arc<FrontDoor>>) -> actix_web::HttpResponse {
    actix_web::HttpResponse::Ok().content_type(CONTENT_TYPE).body(front.render_metrics())
}
