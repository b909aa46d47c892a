//! Core's Prometheus metrics: calls by method and code with their latency, errors by class,
//! the database pool, and build info. Served as OpenMetrics text on the metrics port
//! (`CLAIMDESK_METRICS_ADDR`), and by `serve` on the gateway's `/metrics`.

use std::{convert::Infallible, net::SocketAddr, sync::OnceLock, time::Duration};

use claimdesk_proto::metrics::{CONTENT_TYPE, EOF, encode_unterminated, latency_histogram, register_build_info};
use prometheus_client::{
    encoding::EncodeLabelSet,
    metrics::{counter::Counter, family::Family, gauge::Gauge, histogram::Histogram},
    registry::Registry,
};

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CallLabels {
    /// The gRPC method's path, `/claimdesk.v1.ClaimService/GetClaim`.
    pub method: String,
    /// The answer's gRPC code, `OK`, `NOT_FOUND`...
    pub code: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ErrorLabels {
    /// The error's stable code: `database_unavailable`, `database_busy`, `rate_limited`...
    pub code: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct AttemptLabels {
    /// `delivered` (2xx), `failed` (any other answer, a refused address, a timeout).
    pub outcome: String,
}

#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    pub calls: Family<CallLabels, Histogram, fn() -> Histogram>,
    pub errors: Family<ErrorLabels, Counter>,
    pub pool_size: Gauge,
    pub pool_in_use: Gauge,
    /// Open connections not serving a call (the pool keeps all of them open).
    pool_idle: Gauge,
    /// Calls that found every admission slot taken and waited.
    pub pool_waits: Counter,
    /// Webhook attempts by outcome, and their latency.
    pub webhook_attempts: Family<AttemptLabels, Histogram, fn() -> Histogram>,
}

/// The process's core metrics.
pub fn metrics() -> &'static Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    METRICS.get_or_init(|| {
        let mut registry = Registry::with_prefix("claimdesk_core");
        let calls = Family::<CallLabels, Histogram, fn() -> Histogram>::new_with_constructor(latency_histogram);
        registry.register(
            "grpc_call_duration_seconds",
            "gRPC calls by method and code, and their latency",
            calls.clone(),
        );
        let errors = Family::<ErrorLabels, Counter>::default();
        registry.register(
            "errors",
            "Calls refused or failed, by error code (database errors, rate limits...)",
            errors.clone(),
        );
        let pool_size = Gauge::default();
        registry.register("db_pool_size", "Database connections in the pool", pool_size.clone());
        let pool_in_use = Gauge::default();
        registry.register("db_pool_in_use", "Database connections serving a call now", pool_in_use.clone());
        let pool_idle = Gauge::default();
        registry.register("db_pool_idle", "Database connections open and idle", pool_idle.clone());
        let pool_waits = Counter::default();
        registry.register("db_pool_waits", "Calls that waited for a database slot", pool_waits.clone());
        let webhook_attempts =
            Family::<AttemptLabels, Histogram, fn() -> Histogram>::new_with_constructor(latency_histogram);
        registry.register(
            "webhook_attempt_duration_seconds",
            "Webhook delivery attempts by outcome (delivered, failed), and their latency",
            webhook_attempts.clone(),
        );
        register_build_info(&mut registry);
        Metrics { registry, calls, errors, pool_size, pool_in_use, pool_idle, pool_waits, webhook_attempts }
    })
}

impl Metrics {
    pub fn observe_call(&self, method: &str, code: tonic::Code, took: Duration) {
        let code = format!("{code:?}");
        self.calls.get_or_create(&CallLabels { method: method.to_owned(), code }).observe(took.as_secs_f64());
    }

    pub fn count_error(&self, code: &str) {
        self.errors.get_or_create(&ErrorLabels { code: code.to_owned() }).inc();
    }

    /// The metrics as OpenMetrics text, without the closing `# EOF` (so that the gateway can
    /// append them to its own).
    pub fn render(&self) -> String {
        self.pool_idle.set((self.pool_size.get() - self.pool_in_use.get()).max(0));
        encode_unterminated(&self.registry)
    }
}

/// Serves `GET /metrics` over HTTP/1.1 on `listener` until the process ends.
pub async fn serve(listener: tokio::net::TcpListener) {
    use http_body_util::Full;
    use hyper::{Response, StatusCode, body::Bytes};
    let addr: Option<SocketAddr> = listener.local_addr().ok();
    tracing::info!(?addr, "core metrics listening");
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                // Out of file descriptors, say: wait instead of spinning.
                tracing::warn!(error = %e, "metrics listener cannot accept");
                tokio::time::sleep(Duration::from_millis(200)).await;
                continue;
            }
        };
        tokio::spawn(async move {
            let service = hyper::service::service_fn(|request: hyper::Request<hyper::body::Incoming>| async move {
                let response = if request.uri().path() == "/metrics" {
                    Response::builder()
                        .header("content-type", CONTENT_TYPE)
                        .body(Full::new(Bytes::from(metrics().render() + EOF)))
                } else {
                    Response::builder()
                        .status(StatusCode::NOT_FOUND)
                        .body(Full::new(Bytes::from_static(b"see /metrics\n")))
                };
                Ok::<_, Infallible>(response.unwrap_or_default())
            });
            let connection = hyper::server::conn::http1::Builder::new()
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(Duration::from_secs(5))
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service);
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "metrics connection ended");
            }
        });
    }
}
