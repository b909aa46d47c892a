//! The HTTP server: routes, docs UI, and the lazily connected gRPC channel to core.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use actix_web::{App, HttpResponse, dev::ServerHandle, middleware, web};
use anyhow::Context;
use tonic::transport::Endpoint;
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use crate::{
    CoreClients,
    extract::{BodyLimits, MAX_BODY_BYTES},
    front::FrontDoor,
    routes,
};

/// Longest wait for core on one request before answering 504, unless configured.
pub const DEFAULT_CORE_TIMEOUT: Duration = Duration::from_secs(30);
/// Longest wait to (re)connect to core before answering 503.
const CORE_CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Debug, Clone)]
pub struct GatewayConfig {
    pub http_addr: SocketAddr,
    /// `http://host:port` of core's gRPC server, or `unix-abstract:NAME` for an abstract Unix
    /// socket (Linux), as `serve` uses.
    pub core_url: String,
    /// HTTP worker threads; 0 means one per CPU core.
    pub workers: usize,
    /// Longest wait for core's answer to one call: then 504 `core_timeout`.
    pub core_timeout: Duration,
    /// Requests one client address may have in flight at once; more get 429.
    pub max_requests_per_client: u32,
    /// Longest a client may take to send a request body (and at most 5 s between reads): 408.
    pub body_timeout: Duration,
    /// Origins allowed cross-origin (CORS); empty: none, `*`: any.
    pub cors_origins: Vec<String>,
    /// Metrics to append to the gateway's own on `/metrics` (core's, in `serve`).
    pub more_metrics: Option<fn() -> String>,
}

impl GatewayConfig {
    /// The defaults of everything but the addresses.
    pub fn new(http_addr: SocketAddr, core_url: String) -> Self {
        GatewayConfig {
            http_addr,
            core_url,
            workers: 0,
            core_timeout: DEFAULT_CORE_TIMEOUT,
            max_requests_per_client: 128,
            body_timeout: Duration::from_secs(15),
            cors_origins: Vec::new(),
            more_metrics: None,
        }
    }
}

/// CORS for browser clients from the listed origins (used only when some are listed).
fn cors(origins: &[String]) -> actix_cors::Cors {
    use actix_web::http::header;
    let mut cors = actix_cors::Cors::default()
        .allowed_methods(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::IF_MATCH,
            header::IF_NONE_MATCH,
            header::HeaderName::from_static("idempotency-key"),
            header::HeaderName::from_static(claimdesk_proto::request_id::HEADER),
        ])
        .expose_headers([
            header::ETAG,
            header::LOCATION,
            header::LINK,
            header::RETRY_AFTER,
            header::ALLOW,
            header::WWW_AUTHENTICATE,
            header::HeaderName::from_static("idempotent-replayed"),
            header::HeaderName::from_static(claimdesk_proto::request_id::HEADER),
        ])
        .max_age(3600);
    for origin in origins {
        cors = if origin == "*" { cors.allow_any_origin() } else { cors.allowed_origin(origin) };
    }
    cors
}

/// Connects to an abstract Unix socket (Linux). Connecting to a listening socket does not
/// block: the kernel completes it at once or refuses it.
#[cfg(target_os = "linux")]
fn connect_abstract(name: &str) -> std::io::Result<tokio::net::UnixStream> {
    use std::os::linux::net::SocketAddrExt;
    let stream =
        std::os::unix::net::UnixStream::connect_addr(&std::os::unix::net::SocketAddr::from_abstract_name(name)?)?;
    stream.set_nonblocking(true)?;
    tokio::net::UnixStream::from_std(stream)
}

#[cfg(not(target_os = "linux"))]
fn connect_abstract(name: &str) -> std::io::Result<tokio::net::UnixStream> {
    Err(std::io::Error::new(std::io::ErrorKind::Unsupported, format!("abstract socket {name:?}: Linux only")))
}

/// A bound, running HTTP server. Await [`Gateway::run`] to drive it.
pub struct Gateway {
    server: actix_web::dev::Server,
    local_addr: SocketAddr,
    stopping: Arc<tokio::sync::watch::Sender<bool>>,
}

/// Turns true when the gateway begins to stop: open event streams end then (with the cursor to
/// resume from) instead of holding the graceful shutdown until its timeout.
#[derive(Debug, Clone)]
pub struct Stopping(pub tokio::sync::watch::Receiver<bool>);

/// Stops a running gateway.
#[derive(Clone)]
pub struct GatewayHandle {
    server: ServerHandle,
    stopping: Arc<tokio::sync::watch::Sender<bool>>,
}

impl std::fmt::Debug for GatewayHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GatewayHandle").finish_non_exhaustive()
    }
}

impl GatewayHandle {
    /// Ends the event streams, then stops the server (gracefully: requests in flight finish).
    pub fn stop(&self, graceful: bool) -> impl std::future::Future<Output = ()> + use<> {
        let _ = self.stopping.send(true);
        self.server.stop(graceful)
    }
}

impl std::fmt::Debug for Gateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gateway").field("local_addr", &self.local_addr).finish_non_exhaustive()
    }
}

impl Gateway {
    /// Binds the port and starts the workers. Core is connected lazily, on the first request,
    /// and reconnected whenever it comes back: the gateway never needs a restart for it.
    pub fn bind(config: &GatewayConfig) -> anyhow::Result<Gateway> {
        let socket = config.core_url.strip_prefix("unix-abstract:").map(str::to_owned);
        // On a Unix socket the URL's authority is only a placeholder for HTTP/2.
        let url = if socket.is_some() { "http://core.local".to_owned() } else { config.core_url.clone() };
        let endpoint = Endpoint::from_shared(url)
            .with_context(|| format!("invalid core URL {:?}", config.core_url))?
            .connect_timeout(CORE_CONNECT_TIMEOUT)
            .timeout(config.core_timeout)
            .tcp_nodelay(true)
            .http2_keep_alive_interval(Duration::from_secs(30))
            .keep_alive_while_idle(true);
        let api = crate::openapi();
        let front = Arc::new(FrontDoor::new(config.max_requests_per_client as usize, config.more_metrics));
        let body_limits = BodyLimits { timeout: config.body_timeout };
        let cors_origins = config.cors_origins.clone();
        let core_timeout = config.core_timeout;
        let (stopping, stopping_rx) = tokio::sync::watch::channel(false);
        let mut server = actix_web::HttpServer::new(move || {
            // Inside the factory: the channel needs the worker's Tokio runtime.
            let channel = match &socket {
                Some(name) => {
                    let name = name.clone();
                    endpoint.connect_with_connector_lazy(tower::service_fn(move |_: tonic::transport::Uri| {
                        let name = name.clone();
                        async move { connect_abstract(&name).map(hyper_util::rt::TokioIo::new) }
                    }))
                }
                None => endpoint.connect_lazy(),
            };
            let core = CoreClients::new(channel, core_timeout);
            App::new()
                .into_utoipa_app()
                .app_data(web::Data::new(core))
                .app_data(web::Data::new(front.clone()))
                .app_data(web::Data::new(body_limits))
                .app_data(web::Data::new(Stopping(stopping_rx.clone())))
                .app_data(web::PayloadConfig::new(MAX_BODY_BYTES))
                .configure(routes::configure)
                .into_app()
                .configure(crate::web::configure)
                .service(SwaggerUi::new("/docs/{_:.*}").external_url_unchecked("/openapi.json", api.clone()))
                .route("/docs", web::get().to(docs_redirect))
                .route("/metrics", web::get().to(crate::front::metrics))
                .default_service(web::to(crate::routes::no_route))
                .wrap(middleware::from_fn(crate::front::front_door))
                .wrap(middleware::Condition::new(!cors_origins.is_empty(), cors(&cors_origins)))
        })
        .disable_signals()
        // A client has 5 s to send a request's head, then 1 s to take a closing answer.
        .client_request_timeout(Duration::from_secs(5))
        .client_disconnect_timeout(Duration::from_secs(1))
        .shutdown_timeout(30);
        if config.workers > 0 {
            server = server.workers(config.workers);
        }
        let server =
            server.bind(config.http_addr).with_context(|| format!("cannot listen for HTTP on {}", config.http_addr))?;
        let local_addr = server.addrs().first().copied().context("HTTP server bound no address")?;
        tracing::info!(addr = %local_addr, core = %config.core_url, "gateway HTTP listening");
        Ok(Gateway { server: server.run(), local_addr, stopping: Arc::new(stopping) })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Stops the server (event streams first) when called on the handle.
    pub fn handle(&self) -> GatewayHandle {
        GatewayHandle { server: self.server.handle(), stopping: self.stopping.clone() }
    }

    pub async fn run(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// Swagger UI answers only below `/docs/`.
async fn docs_redirect() -> HttpResponse {
    HttpResponse::PermanentRedirect().insert_header(("Location", "/docs/")).finish()
}
