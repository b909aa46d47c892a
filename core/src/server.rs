//! Wiring: opens the database, binds the gRPC port and serves the claimdesk services with
//! health checking and reflection.

use std::{future::Future, net::SocketAddr, time::Duration};

use anyhow::Context;
use claimdesk_proto::v1::{
    claim_service_server::ClaimServiceServer, source_service_server::SourceServiceServer,
    token_service_server::TokenServiceServer, webhook_service_server::WebhookServiceServer,
};
use tokio::net::TcpListener;
use tokio_stream::wrappers::UnixListenerStream;
use tonic::transport::{Server, server::TcpIncoming};
use tonic_health::server::HealthReporter;

use crate::{
    domain::SourcingRules,
    grpc::{ClaimApi, SourceApi, TokenApi, WebhookApi},
    service::{Auth, Claims, Deliverer, Feed, ImportConfig, Sources, WebhookConfig, Webhooks},
    storage::{Database, DatabaseConfig},
};

/// The largest request core reads: a claim with 500 statements of 10,000-character quotes fits.
pub const MAX_REQUEST_BYTES: usize = 16 * 1024 * 1024;
/// The largest answer core sends. Every answer is bounded below it by construction: pages hold
/// at most 100 items, texts are bounded in characters (so in bytes), and the sourcing names at
/// most a few sources per reason; the worst page (100 claims of 10,000 + 20,000 four-byte
/// characters) is about 30 MB.
pub const MAX_RESPONSE_BYTES: usize = 64 * 1024 * 1024;

/// A generated service with core's message limits (each server type has the methods, no trait
/// shares them).
macro_rules! limited {
    ($server:expr) => {
        $server.max_decoding_message_size(MAX_REQUEST_BYTES).max_encoding_message_size(MAX_RESPONSE_BYTES)
    };
}

/// How long a stopping core lets its calls in flight finish.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// How often core re-checks the database for its health status.
const DB_CHECK_INTERVAL: Duration = Duration::from_secs(5);

#[derive(Debug, Clone)]
pub struct CoreConfig {
    pub grpc_addr: SocketAddr,
    pub database: DatabaseConfig,
    /// Independent supporting sources that make a claim's sourcing `confirmed`.
    pub confirmed_min_sources: u32,
    /// Unauthenticated clients may read claims and their sourcing.
    pub public_read: bool,
    /// Requests per minute per token and core instance; 0 turns the limit off.
    pub rate_limit_per_minute: u32,
    /// Stored as an admin token at start-up when no admin token can be used.
    pub bootstrap_token: Option<String>,
    /// Also serve gRPC on this abstract Unix socket (Linux): `serve` puts its gateway on it, a
    /// cheaper hop than TCP on loopback, which vanishes with the process (no file to clean up,
    /// even after a crash).
    pub unix_socket: Option<String>,
    /// Look for near-duplicates of every new claim (answered as `possible_duplicates`). Off,
    /// only a creation that asks to reject duplicates looks (bulk loads).
    pub duplicate_check: bool,
    /// How long a change-feed stream may keep its buffer full (a client that reads nothing)
    /// before it ends with `slow_consumer`.
    pub feed_slow_consumer: Duration,
    /// How webhooks are delivered.
    pub webhooks: WebhookConfig,
    /// Who publishes the desk's verdicts as ClaimReview.
    pub publisher: crate::domain::claimreview::Publisher,
    /// Renders a feed event as the change feed's JSON: a webhook delivery's body.
    pub event_json: EventJson,
    /// How ClaimReview imports map ratings and link to stored claims.
    pub import: ImportConfig,
}

/// Renders a `FeedEvent` as the JSON the change feed's REST clients see. The gateway owns that
/// document (`claimdesk_api::feed_event_json`); core, which sends webhooks, is given it.
#[derive(Clone)]
pub struct EventJson(
    pub std::sync::Arc<dyn Fn(claimdesk_proto::v1::FeedEvent) -> Result<String, String> + Send + Sync>,
);

impl std::fmt::Debug for EventJson {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EventJson")
    }
}

/// A core whose database is open and migrated and whose port is bound, ready to serve.
#[derive(Debug)]
pub struct Core {
    db: Database,
    auth: Auth,
    rules: SourcingRules,
    listener: TcpListener,
    local_addr: SocketAddr,
    unix: Option<tokio::net::UnixListener>,
    duplicate_check: bool,
    feed_slow_consumer: Duration,
    webhooks: WebhookConfig,
    event_json: EventJson,
    publisher: crate::domain::claimreview::Publisher,
    import: ImportConfig,
    /// SQLite: the lock that makes this process the database's only core, held while it serves.
    owner: Option<std::fs::File>,
}

/// Takes the exclusive lock beside a SQLite database (`PATH.lock`), so that a second core on
/// the same file stops at start-up: one process must own it (its writers take turns in memory).
/// The lock is the operating system's (`flock`): released when the process exits, crash included.
pub fn own_sqlite_database(config: &DatabaseConfig) -> anyhow::Result<Option<std::fs::File>> {
    let url = crate::storage::DatabaseUrl::parse(&config.url)?;
    let Some(path) = url.sqlite_path() else { return Ok(None) };
    let mut lock_path = path.as_os_str().to_owned();
    lock_path.push(".lock");
    let lock_path = std::path::PathBuf::from(lock_path);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .with_context(|| format!("cannot open the lock file {}", lock_path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(std::fs::TryLockError::WouldBlock) => anyhow::bail!(
            "another claimdesk core is serving the SQLite database {} (it holds {}): one process must own a \
             SQLite database; stop it, or use PostgreSQL to run several cores",
            path.display(),
            lock_path.display()
        ),
        Err(std::fs::TryLockError::Error(e)) => Err(e).with_context(|| format!("cannot lock {}", lock_path.display())),
    }
}

impl Core {
    pub async fn bind(config: &CoreConfig) -> anyhow::Result<Core> {
        let owner = own_sqlite_database(&config.database)?;
        let db = Database::open(&config.database).await?;
        let listener = TcpListener::bind(config.grpc_addr)
            .await
            .with_context(|| format!("cannot listen for gRPC on {}", config.grpc_addr))?;
        let local_addr = listener.local_addr()?;
        let unix = config.unix_socket.as_deref().map(bind_abstract).transpose()?;
        let rules = SourcingRules { confirmed_min_sources: config.confirmed_min_sources.max(1) };
        let auth = Auth::new(db.clone(), config.public_read, config.rate_limit_per_minute);
        if let Some(secret) = config.bootstrap_token.clone()
            && auth.bootstrap(secret).await.map_err(|e| anyhow::anyhow!("bootstrap token: {e}"))?
        {
            tracing::info!("stored CLAIMDESK_BOOTSTRAP_TOKEN as the admin token \"bootstrap\"");
        }
        let indexed = Claims::new(db.clone(), rules)
            .index_backlog()
            .await
            .map_err(|e| anyhow::anyhow!("cannot index the stored claims for search: {e}"))?;
        if indexed > 0 {
            tracing::info!(claims = indexed, "indexed stored claims for search");
        }
        let indexed = Sources::new(db.clone())
            .index_backlog()
            .await
            .map_err(|e| anyhow::anyhow!("cannot index the stored sources for search: {e}"))?;
        if indexed > 0 {
            tracing::info!(sources = indexed, "indexed stored sources for search");
        }
        Ok(Core {
            db,
            auth,
            rules,
            listener,
            local_addr,
            unix,
            duplicate_check: config.duplicate_check,
            feed_slow_consumer: config.feed_slow_consumer,
            webhooks: config.webhooks.clone(),
            event_json: config.event_json.clone(),
            publisher: config.publisher.clone(),
            import: config.import.clone(),
            owner,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Serves until `shutdown` completes, then lets in-flight calls finish.
    pub async fn serve(self, shutdown: impl Future<Output = ()> + Send) -> anyhow::Result<()> {
        let Core {
            db,
            auth,
            rules,
            listener,
            local_addr,
            unix,
            duplicate_check,
            feed_slow_consumer,
            webhooks,
            event_json,
            publisher,
            import,
            owner,
        } = self;
        let (reporter, health) = tonic_health::server::health_reporter();
        report(&reporter, true).await;
        let watchdog = tokio::spawn(watch_database(db.clone(), reporter));

        let reflection_v1 = tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(claimdesk_proto::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
            .build_v1()?;
        // Many clients (grpcurl, Postman, older grpcio) still speak only v1alpha.
        let reflection_v1alpha = tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(claimdesk_proto::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
            .build_v1alpha()?;

        // One shutdown signal for both listeners and the change feed's streams (which would
        // otherwise keep the server waiting for them).
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let (feed, feed_task) = Feed::start(db.clone(), stopped.clone(), feed_slow_consumer);
        let render = event_json.0;
        let deliverer = Deliverer::new(
            db.clone(),
            webhooks.clone(),
            std::sync::Arc::new(move |event| render(claimdesk_proto::v1::FeedEvent::from(event))),
        )
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .start(stopped.clone());

        tracing::info!(addr = %local_addr, "core gRPC listening");
        let router = Server::builder()
            .layer(crate::grpc::calls::CallLayer)
            .add_service(health)
            .add_service(reflection_v1)
            .add_service(reflection_v1alpha)
            .add_service(limited!(ClaimServiceServer::new(ClaimApi::new(
                Claims::new(db.clone(), rules).with_duplicate_check(duplicate_check),
                auth.clone(),
                feed,
                publisher,
                import,
            ))))
            .add_service(limited!(SourceServiceServer::new(SourceApi::new(Sources::new(db.clone()), auth.clone()))))
            .add_service(limited!(WebhookServiceServer::new(WebhookApi::new(
                Webhooks::new(db.clone(), &webhooks),
                auth.clone()
            ))))
            .add_service(limited!(TokenServiceServer::new(TokenApi::new(auth))));
        let stopping = |mut stopped: tokio::sync::watch::Receiver<bool>| async move {
            let _ = stopped.wait_for(|stop| *stop).await;
        };
        let unix_task = unix.map(|listener| {
            let served = router
                .clone()
                .serve_with_incoming_shutdown(UnixListenerStream::new(listener), stopping(stopped.clone()));
            tokio::spawn(served)
        });
        // With our own listener, Server::tcp_nodelay does not apply: set it on the incoming
        // stream, or Nagle's algorithm meets delayed ACKs and answers wait 40 ms.
        let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));
        let tcp = router.serve_with_incoming_shutdown(incoming, stopping(stopped));
        tokio::pin!(tcp);
        let result = tokio::select! {
            result = &mut tcp => result,
            () = shutdown => {
                let _ = stop.send(true);
                // Calls in flight finish; a client that stopped reading a stream (its flow
                // control window closed) cannot make core wait for it past the grace period.
                match tokio::time::timeout(SHUTDOWN_GRACE, tcp).await {
                    Ok(result) => result,
                    Err(_) => {
                        tracing::warn!(grace = ?SHUTDOWN_GRACE, "connections still open after the grace period; closing them");
                        Ok(())
                    }
                }
            }
        };
        let _ = stop.send(true);
        if let Some(task) = unix_task {
            let _ = tokio::time::timeout(SHUTDOWN_GRACE, task).await;
        }
        watchdog.abort();
        let _ = feed_task.await;
        let _ = deliverer.await;
        tracing::info!("core stopped");
        // The database is free for the next core once this one has stopped.
        drop(owner);
        result.context("gRPC server failed")
    }
}

/// Binds an abstract Unix socket (Linux's namespace without files).
#[cfg(target_os = "linux")]
fn bind_abstract(name: &str) -> anyhow::Result<tokio::net::UnixListener> {
    use std::os::linux::net::SocketAddrExt;
    let addr = std::os::unix::net::SocketAddr::from_abstract_name(name)?;
    let listener = std::os::unix::net::UnixListener::bind_addr(&addr)
        .with_context(|| format!("cannot listen for gRPC on the abstract socket {name:?}"))?;
    listener.set_nonblocking(true)?;
    tracing::info!(socket = name, "core gRPC listening on an abstract Unix socket");
    Ok(tokio::net::UnixListener::from_std(listener)?)
}

#[cfg(not(target_os = "linux"))]
fn bind_abstract(name: &str) -> anyhow::Result<tokio::net::UnixListener> {
    anyhow::bail!("abstract Unix sockets ({name:?}) exist on Linux only")
}

/// Keeps the health status of `claimdesk.v1.ClaimService` in step with the database.
async fn watch_database(db: Database, reporter: HealthReporter) {
    let mut ticker = tokio::time::interval(DB_CHECK_INTERVAL);
    let mut healthy = true;
    loop {
        ticker.tick().await;
        let ok = db.ping().await.is_ok();
        if ok != healthy {
            healthy = ok;
            if ok {
                tracing::info!("database reachable again");
            } else {
                tracing::warn!("database check failed; reporting NOT_SERVING");
            }
            report(&reporter, ok).await;
        }
    }
}

/// Sets the health of every claimdesk service at once: they all stand or fall with the database.
async fn report(reporter: &HealthReporter, serving: bool) {
    if serving {
        reporter.set_serving::<ClaimServiceServer<ClaimApi>>().await;
        reporter.set_serving::<SourceServiceServer<SourceApi>>().await;
        reporter.set_serving::<TokenServiceServer<TokenApi>>().await;
        reporter.set_serving::<WebhookServiceServer<WebhookApi>>().await;
    } else {
        reporter.set_not_serving::<ClaimServiceServer<ClaimApi>>().await;
        reporter.set_not_serving::<SourceServiceServer<SourceApi>>().await;
        reporter.set_not_serving::<TokenServiceServer<TokenApi>>().await;
        reporter.set_not_serving::<WebhookServiceServer<WebhookApi>>().await;
    }
}
