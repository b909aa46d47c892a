//! Test harness: real core and gateway servers on port 0 against a database of their own (a
//! temporary SQLite file, or a fresh PostgreSQL database created and dropped here), reached with
//! real HTTP and gRPC clients.

pub mod webhooks;

use std::{io::Write, net::SocketAddr, sync::OnceLock, time::Duration};

use claimdesk_api::{Gateway, GatewayConfig};
use claimdesk_core::{
    Core, CoreConfig, EventJson,
    domain::{AllowedHosts, claimreview::Publisher},
    service::{ImportConfig, WebhookConfig},
    storage::DatabaseConfig,
};
use claimdesk_proto::v1::claim_service_client::ClaimServiceClient;
use diesel::{Connection, PgConnection, connection::SimpleConnection};
use tempfile::TempDir;
use tokio::{sync::oneshot, task::JoinHandle};
use tonic::transport::Channel;

/// The admin token every test app starts with (CLAIMDESK_BOOTSTRAP_TOKEN).
pub const ADMIN_TOKEN: &str = "cdk_test-admin-token-0123456789abcdefghij";

/// Adds the bearer token to every gRPC call.
#[derive(Clone)]
pub struct Bearer(pub String);

impl tonic::service::Interceptor for Bearer {
    /// An empty token sends no `authorization` at all.
    fn call(&mut self, mut request: tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status> {
        if !self.0.is_empty() {
            let value = format!("Bearer {}", self.0).parse().map_err(|_| tonic::Status::internal("bad token"))?;
            request.metadata_mut().insert("authorization", value);
        }
        Ok(request)
    }
}

pub type AuthedChannel = tonic::service::interceptor::InterceptedService<Channel, Bearer>;

/// One isolated claimdesk: its own database, core and gateway.
pub struct TestApp {
    pub http: reqwest::Client,
    pub base_url: String,
    pub backend: Backend,
    core_config: CoreConfig,
    core: Option<RunningCore>,
    gateway: claimdesk_api::GatewayHandle,
    _dir: TempDir,
    _postgres: Option<TestDatabase>,
}

/// Core settings a test may change.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    pub public_read: bool,
    pub rate_limit_per_minute: u32,
    /// The gateway's wait for core (default 30 s).
    pub core_timeout: Option<Duration>,
    /// The gateway's cap on one client's requests in flight (default 128).
    pub max_requests_per_client: Option<u32>,
    /// The gateway's time for a whole request body (default 15 s).
    pub body_timeout: Option<Duration>,
    /// The gateway's CORS origins (default none).
    pub cors_origin: Option<&'static str>,
    /// Core's wait on a change-feed client that reads nothing (default 30 s).
    pub feed_slow_consumer: Option<Duration>,
    /// Failed webhook attempts in a row that disable a webhook (default 30).
    pub webhook_disable_after: Option<i32>,
    /// How long acknowledged webhook deliveries are kept (default 30 days).
    pub webhook_retention: Option<Duration>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The PostgreSQL server tests create their databases on.
pub fn postgres_admin_url() -> String {
    std::env::var("CLAIMDESK_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

/// Whether PostgreSQL tests can run. Without a server they are skipped, with one line saying so,
/// except under CI (`CI=true`), where a missing server fails them.
pub fn postgres_available() -> bool {
    static AVAILABLE: OnceLock<bool> = OnceLock::new();
    *AVAILABLE.get_or_init(|| {
        let url = postgres_admin_url();
        match PgConnection::establish(&url) {
            Ok(_) => true,
            Err(err) => {
                let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
                assert!(!ci, "CI=true but PostgreSQL is not reachable at {url}: {err}");
                // Straight to the process's stderr: the test harness captures eprintln!.
                let _ = writeln!(
                    std::io::stderr(),
                    "PostgreSQL suite skipped: no server at {url} ({}). Start PostgreSQL or set \
                     CLAIMDESK_TEST_POSTGRES_URL, then run cargo test --workspace again.",
                    err.to_string().split_whitespace().collect::<Vec<_>>().join(" ")
                );
                false
            }
        }
    })
}

/// A PostgreSQL database that lives as long as one test.
pub struct TestDatabase {
    pub url: String,
    name: String,
}

impl TestDatabase {
    pub fn create() -> TestDatabase {
        let admin = postgres_admin_url();
        let name = format!("claimdesk_test_{}", uuid_like());
        let mut conn = PgConnection::establish(&admin).expect("PostgreSQL reachable");
        conn.batch_execute(&format!("CREATE DATABASE {name}")).expect("test database created");
        let base = admin.rsplit_once('/').map_or(admin.as_str(), |(base, _)| base);
        TestDatabase { url: format!("{base}/{name}"), name }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Ok(mut conn) = PgConnection::establish(&postgres_admin_url()) {
            let _ = conn.batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
        }
    }
}

fn uuid_like() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    format!("{}_{}_{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed), nanos % 1_000_000_000)
}

/// Runs each named `async fn(TestApp)` twice: against SQLite and against PostgreSQL.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::TestApp::start($crate::Backend::Sqlite).await).await;
                }
            )+
        }

        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if $crate::postgres_available() {
                        super::$name($crate::TestApp::start($crate::Backend::Postgres).await).await;
                    }
                }
            )+
        }
    };
}

/// Another core on the app's database, and an admin channel to it.
pub struct OtherCore {
    pub channel: AuthedChannel,
    core: Option<RunningCore>,
}

impl Drop for OtherCore {
    fn drop(&mut self) {
        if let Some(core) = self.core.take() {
            let _ = core.stop.send(());
            core.task.abort();
        }
    }
}

struct RunningCore {
    stop: oneshot::Sender<()>,
    task: JoinHandle<anyhow::Result<()>>,
}

impl TestApp {
    /// Starts core and gateway on free ports. Call from a multi-threaded Tokio runtime.
    pub async fn start(backend: Backend) -> TestApp {
        Self::start_with(backend, Options::default()).await
    }

    pub async fn start_with(backend: Backend, options: Options) -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        let postgres = (backend == Backend::Postgres).then(TestDatabase::create);
        let url = match &postgres {
            Some(db) => db.url.clone(),
            None => format!("sqlite://{}", dir.path().join("claimdesk.db").display()),
        };
        let core_config = CoreConfig {
            grpc_addr: "127.0.0.1:0".parse().expect("addr"),
            database: DatabaseConfig {
                url,
                pool_size: 4,
                connect_timeout: Duration::ZERO,
                busy_timeout: DatabaseConfig::DEFAULT_BUSY_TIMEOUT,
            },
            public_read: options.public_read,
            rate_limit_per_minute: options.rate_limit_per_minute,
            bootstrap_token: Some(ADMIN_TOKEN.to_owned()),
            confirmed_min_sources: 3,
            unix_socket: None,
            duplicate_check: true,
            feed_slow_consumer: options.feed_slow_consumer.unwrap_or(Duration::from_secs(30)),
            webhooks: WebhookConfig {
                // Receivers in the tests listen on loopback.
                allowed_hosts: AllowedHosts::parse("127.0.0.1").expect("a valid list"),
                timeout: Duration::from_secs(2),
                retry_base: Duration::from_millis(50),
                retry_cap: Duration::from_millis(400),
                disable_after: options.webhook_disable_after.unwrap_or(30),
                retention: options.webhook_retention.unwrap_or(Duration::from_secs(30 * 24 * 3600)),
                ..WebhookConfig::default()
            },
            event_json: EventJson(std::sync::Arc::new(claimdesk_api::feed_event_json)),
            publisher: Publisher {
                name: "Desk Factuel".to_owned(),
                url: Some("https://factuel.example.org/".to_owned()),
                review_url: Some("https://factuel.example.org/claims/{id}".to_owned()),
            },
            import: ImportConfig::default(),
        };
        let (core, core_addr) = start_core(&core_config).await;
        // Later restarts of core reuse the port the gateway knows.
        let core_config = CoreConfig { grpc_addr: core_addr, ..core_config };
        let mut config = GatewayConfig::new("127.0.0.1:0".parse().expect("addr"), format!("http://{core_addr}"));
        config.workers = 1;
        config.core_timeout = options.core_timeout.unwrap_or(config.core_timeout);
        config.max_requests_per_client = options.max_requests_per_client.unwrap_or(config.max_requests_per_client);
        config.body_timeout = options.body_timeout.unwrap_or(config.body_timeout);
        config.cors_origins = options.cors_origin.map(str::to_owned).into_iter().collect();
        config.more_metrics = Some(|| claimdesk_core::metrics::metrics().render());
        let gateway = Gateway::bind(&config).expect("gateway binds");
        let base_url = format!("http://{}", gateway.local_addr());
        let handle = gateway.handle();
        tokio::spawn(gateway.run());
        TestApp {
            http: client_with_token(Some(ADMIN_TOKEN)),
            base_url,
            backend,
            core_config,
            core: Some(core),
            gateway: handle,
            _dir: dir,
            _postgres: postgres,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// The gateway's address, for raw HTTP.
    pub fn http_addr(&self) -> SocketAddr {
        self.base_url.trim_start_matches("http://").parse().expect("gateway address")
    }

    pub fn core_addr(&self) -> SocketAddr {
        self.core_config.grpc_addr
    }

    /// A gRPC client straight to core, as the admin.
    pub async fn grpc(&self) -> ClaimServiceClient<AuthedChannel> {
        ClaimServiceClient::with_interceptor(self.grpc_channel().await, Bearer(ADMIN_TOKEN.to_owned()))
    }

    /// A gRPC channel to core that sends `token` with every call.
    pub async fn grpc_as(&self, token: &str) -> AuthedChannel {
        tonic::service::interceptor::InterceptedService::new(self.grpc_channel().await, Bearer(token.to_owned()))
    }

    pub async fn grpc_channel(&self) -> Channel {
        Channel::from_shared(format!("http://{}", self.core_addr()))
            .expect("url")
            .connect()
            .await
            .expect("core reachable")
    }

    /// A second core instance on the same database (port 0), as a scaled-out deployment runs
    /// them; it stops when the returned value is dropped. PostgreSQL only: a SQLite database
    /// has one core, and a second one does not start.
    pub async fn another_core(&self) -> OtherCore {
        let config = CoreConfig { grpc_addr: "127.0.0.1:0".parse().expect("addr"), ..self.core_config.clone() };
        let (core, addr) = start_core(&config).await;
        let channel = Channel::from_shared(format!("http://{addr}")).expect("url").connect().await.expect("reachable");
        OtherCore {
            channel: tonic::service::interceptor::InterceptedService::new(channel, Bearer(ADMIN_TOKEN.to_owned())),
            core: Some(core),
        }
    }

    /// Stops the gateway gracefully (its event streams first); core keeps running.
    pub async fn stop_gateway(&self) {
        self.gateway.stop(true).await;
    }

    /// Stops core gracefully; the gateway keeps running.
    pub async fn stop_core(&mut self) {
        if let Some(core) = self.core.take() {
            let _ = core.stop.send(());
            core.task.await.expect("core task").expect("core stops cleanly");
        }
    }

    /// Starts core again on the same port and database. The port was free for a moment, and a
    /// client socket of a test running alongside may hold it as its local port: retry a while.
    pub async fn restart_core(&mut self) {
        assert!(self.core.is_none(), "core is running");
        let mut attempts = 0;
        let core = loop {
            match Core::bind(&self.core_config).await {
                Ok(core) => break core,
                Err(err) if attempts < 50 => {
                    attempts += 1;
                    eprintln!("core restart on {} failed ({err:#}); retrying", self.core_config.grpc_addr);
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(err) => panic!("core does not restart on {}: {err:#}", self.core_config.grpc_addr),
            }
        };
        self.core = Some(serve_core(core));
    }

    /// Holds a lock on this app's database for `hold`, from a connection of its own: `lock` runs
    /// in a transaction that commits after `hold` (SQLite: `BEGIN IMMEDIATE` takes the write
    /// lock, so pass ""; PostgreSQL: for example `LOCK TABLE claims`).
    pub fn hold_lock(&self, lock: &str, hold: Duration) -> std::thread::JoinHandle<()> {
        let url = self.core_config.database.url.clone();
        let lock = lock.to_owned();
        let (taken, wait) = std::sync::mpsc::channel();
        let holder = std::thread::spawn(move || {
            let sql = |conn: &mut dyn FnMut(&str)| {
                conn(&lock);
                let _ = taken.send(());
                std::thread::sleep(hold);
                conn("COMMIT");
            };
            match url.strip_prefix("sqlite://") {
                Some(path) => {
                    let mut c = diesel::SqliteConnection::establish(path).expect("SQLite database opens");
                    c.batch_execute("BEGIN IMMEDIATE").expect("write lock taken");
                    sql(&mut |s: &str| {
                        if !s.is_empty() {
                            c.batch_execute(s).expect("SQL runs")
                        }
                    });
                }
                None => {
                    let mut c = PgConnection::establish(&url).expect("PostgreSQL reachable");
                    c.batch_execute("BEGIN").expect("transaction");
                    sql(&mut |s: &str| {
                        if !s.is_empty() {
                            c.batch_execute(s).expect("SQL runs")
                        }
                    });
                }
            }
        });
        wait.recv().expect("lock taken");
        holder
    }

    /// Runs SQL straight on this app's database, behind core's back (to break or inspect it).
    pub async fn sql(&self, statement: &str) {
        let url = self.core_config.database.url.clone();
        let statement = statement.to_owned();
        tokio::task::spawn_blocking(move || match url.strip_prefix("sqlite://") {
            Some(path) => diesel::SqliteConnection::establish(path)
                .expect("SQLite database opens")
                .batch_execute(&statement)
                .expect("SQL runs"),
            None => PgConnection::establish(&url)
                .expect("PostgreSQL reachable")
                .batch_execute(&statement)
                .expect("SQL runs"),
        })
        .await
        .expect("SQL task");
    }

    /// One integer from this app's database, behind core's back: `expr` is a scalar SQL
    /// expression, such as `(SELECT count(*) FROM claims)`.
    pub async fn sql_i64(&self, expr: &str) -> i64 {
        use diesel::{RunQueryDsl, dsl::sql, sql_types::BigInt};
        let url = self.core_config.database.url.clone();
        let query = diesel::select(sql::<BigInt>(expr));
        tokio::task::spawn_blocking(move || match url.strip_prefix("sqlite://") {
            Some(path) => query
                .get_result(&mut diesel::SqliteConnection::establish(path).expect("SQLite database opens"))
                .expect("SQL runs"),
            None => {
                query.get_result(&mut PgConnection::establish(&url).expect("PostgreSQL reachable")).expect("SQL runs")
            }
        })
        .await
        .expect("SQL task")
    }

    /// Calls core's method at `path` (`/claimdesk.v1.ClaimService/GetClaim`) with `body` as the
    /// message's bytes, as the admin: to see what core makes of bytes no tonic client sends.
    pub async fn raw_grpc_call(&self, path: &'static str, body: Vec<u8>) -> Result<Vec<u8>, tonic::Status> {
        let mut grpc = tonic::client::Grpc::new(self.grpc_as(ADMIN_TOKEN).await);
        grpc.ready().await.map_err(|e| tonic::Status::unavailable(e.to_string()))?;
        let path = tonic::codegen::http::uri::PathAndQuery::from_static(path);
        grpc.unary(tonic::Request::new(body), path, RawCodec).await.map(tonic::Response::into_inner)
    }

    pub async fn post_json(&self, path: &str, body: &serde_json::Value) -> reqwest::Response {
        self.http.post(self.url(path)).json(body).send().await.expect("request sent")
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http.get(self.url(path)).send().await.expect("request sent")
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // Sent at once; the workers finish on their own threads. The test database, if any, is
        // dropped after this (fields drop after `drop`), with FORCE for the pool's connections.
        drop(self.gateway.stop(false));
        if let Some(core) = self.core.take() {
            let _ = core.stop.send(());
            core.task.abort();
        }
    }
}

async fn start_core(config: &CoreConfig) -> (RunningCore, SocketAddr) {
    let core = Core::bind(config).await.unwrap_or_else(|err| panic!("core does not start: {err:#}"));
    let addr = core.local_addr();
    (serve_core(core), addr)
}

fn serve_core(core: Core) -> RunningCore {
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(core.serve(async {
        let _ = stopped.await;
    }));
    RunningCore { stop, task }
}

/// An HTTP client that sends `Authorization: Bearer <token>` with every request.
pub fn client_with_token(token: Option<&str>) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    if let Some(token) = token {
        headers.insert(reqwest::header::AUTHORIZATION, format!("Bearer {token}").parse().expect("header"));
    }
    reqwest::Client::builder().timeout(Duration::from_secs(30)).default_headers(headers).build().expect("client")
}

/// Reads a problem+json answer, checking its media type and status.
pub async fn problem(response: reqwest::Response, status: u16) -> serde_json::Value {
    assert_eq!(response.status().as_u16(), status, "unexpected status");
    let content_type =
        response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    assert_eq!(content_type, "application/problem+json");
    let body: serde_json::Value = response.json().await.expect("problem body is JSON");
    assert_eq!(body["status"], status);
    assert!(body["code"].is_string() && body["title"].is_string(), "problem shape: {body}");
    body
}

/// The `ETag` header of a response, without its quotes.
pub fn etag_of(response: &reqwest::Response) -> String {
    let raw = response.headers().get("etag").and_then(|v| v.to_str().ok()).expect("an ETag header");
    raw.trim_matches('"').to_owned()
}

/// The field names a problem lists as offending.
pub fn problem_fields(problem: &serde_json::Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map(|errors| errors.iter().filter_map(|e| e["field"].as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

/// The first three statements of the fixture article, as claims.
pub fn venezuela_claim() -> serde_json::Value {
    serde_json::json!({
        "text": "Maduro a demandé l'aide de la Russie, de la Chine et de l'Iran pour renforcer les défenses du pays face aux pressions américaines",
        "language": "fr",
        "claimant": "The Washington Post",
        "claimant_kind": "news_outlet",
        "claimed_at": "2025-10",
        "context": "Selon le Washington Post, repris par l'AFP (article du Venezuela, dimanche).",
        "tags": ["Venezuela", "Russie", "venezuela"]
    })
}

impl TestApp {
    /// Sends `method path` with a JSON body and `If-Match: "tag"` (a claim's ETag, or a source's
    /// version).
    pub async fn send_if_match(
        &self,
        method: reqwest::Method,
        path: &str,
        tag: impl std::fmt::Display,
        body: Option<&serde_json::Value>,
    ) -> reqwest::Response {
        let mut request = self.http.request(method, self.url(path)).header("if-match", format!("\"{tag}\""));
        if let Some(body) = body {
            request = request.json(body);
        }
        request.send().await.expect("request sent")
    }

    /// The current ETag of the resource at `path`, without its quotes.
    pub async fn etag(&self, path: &str) -> String {
        let response = self.get(path).await;
        assert_eq!(response.status(), 200, "GET {path}");
        etag_of(&response)
    }

    /// Creates a source and returns its id.
    pub async fn source(&self, body: serde_json::Value) -> String {
        let response = self.post_json("/v1/sources", &body).await;
        assert_eq!(response.status(), 201, "creating source {body}");
        let source: serde_json::Value = response.json().await.expect("json");
        source["id"].as_str().expect("id").to_owned()
    }

    /// Creates a claim and returns it.
    pub async fn claim(&self, body: serde_json::Value) -> serde_json::Value {
        let response = self.post_json("/v1/claims", &body).await;
        assert_eq!(response.status(), 201, "creating claim {body}");
        response.json().await.expect("json")
    }

    /// Records an attribution against the claim's ETag `tag`; returns the claim's new ETag.
    pub async fn attribute(&self, claim_id: &str, tag: &str, body: serde_json::Value) -> String {
        let path = format!("/v1/claims/{claim_id}/attributions");
        let response = self.send_if_match(reqwest::Method::POST, &path, tag, Some(&body)).await;
        assert_eq!(response.status(), 201, "attributing {body}");
        let tag = etag_of(&response);
        let change: serde_json::Value = response.json().await.expect("json");
        assert_eq!(change["claim_etag"], tag.as_str(), "the body and the header carry one ETag");
        tag
    }

    pub async fn json(&self, path: &str) -> serde_json::Value {
        let response = self.get(path).await;
        assert_eq!(response.status(), 200, "GET {path}");
        response.json().await.expect("json")
    }
}

/// A gRPC codec for raw message bytes, both ways.
#[derive(Debug, Clone, Copy, Default)]
pub struct RawCodec;

impl tonic::codec::Codec for RawCodec {
    type Encode = Vec<u8>;
    type Decode = Vec<u8>;
    type Encoder = RawCodec;
    type Decoder = RawCodec;

    fn encoder(&mut self) -> RawCodec {
        RawCodec
    }

    fn decoder(&mut self) -> RawCodec {
        RawCodec
    }
}

impl tonic::codec::Encoder for RawCodec {
    type Item = Vec<u8>;
    type Error = tonic::Status;

    fn encode(&mut self, item: Vec<u8>, buf: &mut tonic::codec::EncodeBuf<'_>) -> Result<(), tonic::Status> {
        use prost::bytes::BufMut;
        buf.put_slice(&item);
        Ok(())
    }
}

impl tonic::codec::Decoder for RawCodec {
    type Item = Vec<u8>;
    type Error = tonic::Status;

    fn decode(&mut self, buf: &mut tonic::codec::DecodeBuf<'_>) -> Result<Option<Vec<u8>>, tonic::Status> {
        use prost::bytes::Buf;
        let mut bytes = vec![0; buf.remaining()];
        buf.copy_to_slice(&mut bytes);
        Ok(Some(bytes))
    }
}

/// Asks `probe` every 50 ms until it answers `Ok`, failing after `wait` with what its last
/// `Err` said.
pub async fn until<T, F, Fut>(wait: Duration, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, String>>,
{
    let start = std::time::Instant::now();
    loop {
        match probe().await {
            Ok(done) => return done,
            Err(why) => assert!(start.elapsed() < wait, "after {wait:?}: {why}"),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
