//! The `claimdesk` binary: core and gateway together (`serve`) or apart (`core`, `gateway`).

use std::{io::IsTerminal, net::SocketAddr, process::ExitCode, time::Duration};

use anyhow::Context;
use claimdesk_api::{Gateway, GatewayConfig};
use claimdesk_core::{
    Core, CoreConfig, EventJson,
    domain::{
        AllowedHosts, Role, SourcingRules, TokenInput,
        claimreview::Publisher,
        review_import::{self, DocumentKind, MAX_DOCUMENT_BYTES, RatingTable},
    },
    service::{Auth, Claims, DEFAULT_LINK_THRESHOLD, ImportConfig, WebhookConfig, bulk},
    storage::{self, Database, DatabaseConfig, DatabaseUrl},
};
use clap::{Args, Parser, Subcommand};
use tokio::sync::watch;

/// mimalloc instead of glibc's allocator: glibc keeps an arena per thread that has allocated,
/// and the blocking pool's threads each kept their freed pages. A 50,000-claim import in
/// 4,000-line batches peaked at 200 MB with glibc and 173 MB with mimalloc, which was also the
/// fastest (121 MB with glibc limited to two arenas, and slower; docs/benchmarks.md, "Bulk
/// import").
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Debug, Parser)]
#[command(name = "claimdesk", version, about = "Track news claims, their sources and the desk's verdicts")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run core (gRPC) and the REST gateway in one process; the gateway talks to core over gRPC.
    Serve {
        #[command(flatten)]
        core: CoreArgs,
        #[command(flatten)]
        http: HttpArgs,
    },
    /// Run core alone: the gRPC services, the rules and the database.
    Core {
        #[command(flatten)]
        core: CoreArgs,
        #[command(flatten)]
        metrics: MetricsArgs,
    },
    /// Run the REST gateway alone, in front of a core at --core-url.
    Gateway {
        #[command(flatten)]
        http: HttpArgs,
        /// URL of core's gRPC server.
        #[arg(long, env = "CLAIMDESK_CORE_URL", default_value = "http://127.0.0.1:50051")]
        core_url: String,
    },
    /// Apply pending database migrations and exit (serve and core also apply them at start-up).
    Migrate {
        #[command(flatten)]
        database: DatabaseArgs,
        /// List applied and pending migrations instead of applying them.
        #[arg(long)]
        status: bool,
    },
    /// Manage API tokens against the configured database.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Import a JSONL file (as `export` writes it) into the configured database, or
    /// `import claimreview FILE`. A SQLite database must not be served while it is imported
    /// into (PostgreSQL may be). Prints the summary as JSON; exits 2 when lines were rejected.
    #[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
    Import {
        #[command(subcommand)]
        command: Option<ImportCommand>,
        #[command(flatten)]
        bulk: BulkImportArgs,
    },
    /// Write the database out: JSONL (everything: sources, claims, attributions, statuses,
    /// history; what `import` reads) or CSV (the claims, one row each).
    Export {
        #[command(flatten)]
        database: DatabaseArgs,
        #[arg(long, value_enum, default_value = "jsonl")]
        format: ExportFormatArg,
        /// Where to write; standard output when absent.
        #[arg(long)]
        output: Option<std::path::PathBuf>,
        /// Independent supporting sources that make a claim's sourcing `confirmed` (the CSV's
        /// sourcing_level column), as core's.
        #[arg(long, env = "CLAIMDESK_CONFIRMED_MIN_SOURCES", default_value_t = 3, value_parser = clap::value_parser!(u32).range(2..=100))]
        confirmed_min_sources: u32,
    },
    /// Propose the attributed claims of an article (French or English, text or HTML) as JSON,
    /// as `POST /v1/extract` answers: speakers are matched to the configured database's
    /// sources and candidates to its claims. Stores nothing.
    Extract {
        #[command(flatten)]
        database: DatabaseArgs,
        /// fr or en; detected when absent.
        #[arg(long)]
        language: Option<String>,
        /// Publication date (YYYY-MM-DD) that relative dates resolve against.
        #[arg(long)]
        published: Option<chrono::NaiveDate>,
        /// How to read the file; HTML when its name ends in .html or .htm, or it begins with `<`.
        #[arg(long, value_enum)]
        format: Option<ExtractFormatArg>,
        /// The article's address, answered back for `POST /v1/extract/accept`.
        #[arg(long)]
        url: Option<String>,
        /// The article; `-` reads standard input.
        file: std::path::PathBuf,
    },
    /// Print the OpenAPI document (as committed in openapi/openapi.json).
    Openapi,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum ExtractFormatArg {
    Text,
    Html,
}

#[derive(Debug, Subcommand)]
enum ImportCommand {
    /// Import the ClaimReviews of a JSON-LD document (a review, a list, a @graph, a DataFeed)
    /// or of an HTML page with ld+json blocks, as `POST /v1/import/claimreview` does; prints
    /// the report as JSON.
    Claimreview {
        #[command(flatten)]
        database: DatabaseArgs,
        #[command(flatten)]
        import: ImportArgs,
        /// Independent supporting sources that make a claim's sourcing `confirmed` (as core's).
        #[arg(long, env = "CLAIMDESK_CONFIRMED_MIN_SOURCES", default_value_t = 3, value_parser = clap::value_parser!(u32).range(2..=100))]
        confirmed_min_sources: u32,
        /// application/ld+json, application/json or text/html; from the content when absent.
        #[arg(long)]
        content_type: Option<String>,
        /// Who the claims' history names as the importer.
        #[arg(long, default_value = "claimreview-import (cli)")]
        actor: String,
        /// The document; `-` reads standard input.
        file: std::path::PathBuf,
    },
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum ExportFormatArg {
    Jsonl,
    Csv,
}

#[derive(Debug, Args)]
struct BulkImportArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    /// The JSONL file; `-` reads standard input.
    #[arg(required = true)]
    file: Option<std::path::PathBuf>,
    /// Who the history names for claims whose lines carry no history.
    #[arg(long, default_value = "import (cli)")]
    actor: String,
}

#[derive(Debug, Clone, Args)]
struct ImportArgs {
    /// A JSON file of rating labels and the verdicts they mean (`{"Satire": "false",
    /// "Mitigé": "disputed"}`), added over the default French and English table.
    #[arg(long, env = "CLAIMDESK_CLAIMREVIEW_RATINGS", value_parser = load_ratings)]
    claimreview_ratings: Option<RatingTable>,
    /// Similarity score (0 to 1) from which an imported review is linked to a stored claim
    /// instead of making a claim of its own.
    #[arg(long, env = "CLAIMDESK_IMPORT_LINK_THRESHOLD", default_value_t = DEFAULT_LINK_THRESHOLD, value_parser = parse_threshold)]
    import_link_threshold: f64,
}

impl From<ImportArgs> for ImportConfig {
    fn from(args: ImportArgs) -> Self {
        ImportConfig {
            ratings: args.claimreview_ratings.unwrap_or_default(),
            link_threshold: args.import_link_threshold,
        }
    }
}

fn load_ratings(path: &str) -> Result<RatingTable, String> {
    let raw = std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    let labels: std::collections::HashMap<String, String> =
        serde_json::from_str(&raw).map_err(|e| format!("{path} is not a JSON object of label → verdict: {e}"))?;
    RatingTable::with_overrides(&labels).map_err(|e| format!("{path}: {e}"))
}

fn parse_threshold(raw: &str) -> Result<f64, String> {
    match raw.parse::<f64>() {
        Ok(t) if (0.0..=1.0).contains(&t) => Ok(t),
        _ => Err(format!("{raw:?} is not a score between 0 and 1")),
    }
}

#[derive(Debug, Subcommand)]
enum TokenCommand {
    /// Create a token and print its secret, once.
    Create {
        #[command(flatten)]
        database: DatabaseArgs,
        /// Who or what uses it ("desk-bot", "alice").
        #[arg(long)]
        name: String,
        /// viewer, reporter, editor or admin.
        #[arg(long)]
        role: String,
        /// Days until it expires; never when absent.
        #[arg(long)]
        expires_in_days: Option<u32>,
    },
    /// List the tokens (never their secrets): id, role, name, prefix, created, expires, revoked.
    List {
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Revoke a token by id, at once (a running core stops accepting it within 5 s).
    Revoke {
        #[command(flatten)]
        database: DatabaseArgs,
        /// The token's id, as `token list` shows it.
        id: String,
    },
}

#[derive(Debug, Clone, Args)]
struct DatabaseArgs {
    /// Database URL: sqlite://PATH, or postgres://USER:PASSWORD@HOST:PORT/DB (with
    /// ?sslmode=require for TLS).
    #[arg(long, env = "CLAIMDESK_DATABASE_URL", default_value = "sqlite://claimdesk.db", hide_env_values = true)]
    database_url: String,
    /// Seconds to keep trying to reach an unreachable database at start-up.
    #[arg(long, env = "CLAIMDESK_DB_CONNECT_TIMEOUT", default_value_t = 30)]
    db_connect_timeout: u64,
}

impl DatabaseArgs {
    /// The database of a server, with `pool_size` connections (one-shot commands need one).
    fn config(self, pool_size: u32) -> DatabaseConfig {
        DatabaseConfig {
            url: self.database_url,
            pool_size,
            connect_timeout: Duration::from_secs(self.db_connect_timeout),
            busy_timeout: DatabaseConfig::DEFAULT_BUSY_TIMEOUT,
        }
    }
}

#[derive(Debug, Args)]
struct CoreArgs {
    /// Address of the gRPC server (port 0 picks a free port).
    #[arg(long, env = "CLAIMDESK_GRPC_ADDR", default_value = "127.0.0.1:50051")]
    grpc_addr: SocketAddr,
    #[command(flatten)]
    database: DatabaseArgs,
    /// Database connections in the pool.
    #[arg(long, env = "CLAIMDESK_DB_POOL_SIZE", default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=1000))]
    db_pool_size: u32,
    /// Let unauthenticated clients read claims and their sourcing (a public fact-check page).
    #[arg(long, env = "CLAIMDESK_PUBLIC_READ", default_value_t = false, action = clap::ArgAction::Set)]
    public_read: bool,
    /// Requests per minute per token, counted by each core instance; 0 turns the limit off.
    #[arg(long, env = "CLAIMDESK_RATE_LIMIT_PER_MINUTE", default_value_t = 600)]
    rate_limit_per_minute: u32,
    /// Look for near-duplicates of every new claim (`possible_duplicates`); `off` leaves it to
    /// creations that ask to reject duplicates (bulk loads). on/off, true/false.
    #[arg(long, env = "CLAIMDESK_DUPLICATE_CHECK", default_value = "on", value_parser = clap::builder::BoolishValueParser::new())]
    duplicate_check: bool,
    /// Seconds a change-feed stream may keep its buffer of 256 events full (a client that reads
    /// nothing) before it ends with `slow_consumer` and the cursor to resume from.
    #[arg(long, env = "CLAIMDESK_FEED_SLOW_CONSUMER_SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    feed_slow_consumer_secs: u64,
    #[command(flatten)]
    webhooks: WebhookArgs,
    #[command(flatten)]
    import: ImportArgs,
    /// The organisation that publishes the desk's verdicts (ClaimReview `author`).
    #[arg(long, env = "CLAIMDESK_PUBLISHER_NAME", default_value = "claimdesk")]
    publisher_name: String,
    /// The publishing organisation's web address (ClaimReview `author.url`).
    #[arg(long, env = "CLAIMDESK_PUBLISHER_URL")]
    publisher_url: Option<String>,
    /// Where a claim's review is published, `{id}` standing for the claim's id
    /// (`https://factcheck.example.org/claims/{id}`): ClaimReview `url`, which Google requires.
    #[arg(long, env = "CLAIMDESK_CLAIMREVIEW_URL")]
    claimreview_url: Option<String>,
    /// Stored as an admin token at start-up when no admin token exists (for automation).
    #[arg(long, env = "CLAIMDESK_BOOTSTRAP_TOKEN", hide_env_values = true)]
    bootstrap_token: Option<String>,
    /// Independent supporting sources that make a claim's sourcing level `confirmed` without a
    /// confirmation by a primary source.
    #[arg(long, env = "CLAIMDESK_CONFIRMED_MIN_SOURCES", default_value_t = 3, value_parser = clap::value_parser!(u32).range(2..=100))]
    confirmed_min_sources: u32,
}

#[derive(Debug, Args)]
struct WebhookArgs {
    /// Hosts, addresses and networks webhooks may reach besides public addresses
    /// (comma-separated: `127.0.0.1,hooks.internal,10.0.0.0/8`). Private, loopback, link-local
    /// and cloud metadata addresses are refused otherwise, checked at every connection.
    #[arg(long, env = "CLAIMDESK_WEBHOOK_ALLOWED_HOSTS", default_value = "", value_parser = parse_allowed_hosts)]
    webhook_allowed_hosts: AllowedHosts,
    /// Seconds one webhook attempt may take, connection and answer included.
    #[arg(long, env = "CLAIMDESK_WEBHOOK_TIMEOUT_SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=300))]
    webhook_timeout_secs: u64,
    /// Milliseconds before a failed delivery's first retry; each later one doubles it, up to an
    /// hour, less a random part of at most half (jitter).
    #[arg(long, env = "CLAIMDESK_WEBHOOK_RETRY_BASE_MS", default_value_t = 5000, value_parser = clap::value_parser!(u64).range(10..=3_600_000))]
    webhook_retry_base_ms: u64,
    /// Failed attempts in a row that disable a webhook (an admin enables it again).
    #[arg(long, env = "CLAIMDESK_WEBHOOK_DISABLE_AFTER", default_value_t = 30, value_parser = clap::value_parser!(i32).range(1..=10_000))]
    webhook_disable_after: i32,
    /// Days acknowledged deliveries stay readable (`GET /v1/webhooks/{id}/deliveries`) before
    /// they are deleted.
    #[arg(long, env = "CLAIMDESK_WEBHOOK_RETENTION_DAYS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3650))]
    webhook_retention_days: u64,
}

fn parse_allowed_hosts(list: &str) -> Result<AllowedHosts, String> {
    AllowedHosts::parse(list)
}

impl From<WebhookArgs> for WebhookConfig {
    fn from(args: WebhookArgs) -> Self {
        WebhookConfig {
            allowed_hosts: args.webhook_allowed_hosts,
            timeout: Duration::from_secs(args.webhook_timeout_secs),
            retry_base: Duration::from_millis(args.webhook_retry_base_ms),
            disable_after: args.webhook_disable_after,
            retention: Duration::from_secs(args.webhook_retention_days * 24 * 3600),
            ..WebhookConfig::default()
        }
    }
}

#[derive(Debug, Args)]
struct MetricsArgs {
    /// Serve core's Prometheus metrics (`GET /metrics`) on this address; off when unset.
    /// (`serve` shows core's metrics on the gateway's `/metrics` too.)
    #[arg(long, env = "CLAIMDESK_METRICS_ADDR")]
    metrics_addr: Option<SocketAddr>,
}

#[derive(Debug, Args)]
struct HttpArgs {
    /// Address of the REST gateway (port 0 picks a free port).
    #[arg(long, env = "CLAIMDESK_HTTP_ADDR", default_value = "127.0.0.1:8080")]
    http_addr: SocketAddr,
    /// HTTP worker threads; 0 means one per CPU core.
    #[arg(long, env = "CLAIMDESK_HTTP_WORKERS", default_value_t = 0)]
    http_workers: usize,
    /// Seconds the gateway waits for core's answer to one request before answering 504.
    #[arg(long, env = "CLAIMDESK_CORE_TIMEOUT", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    core_timeout: u64,
    /// Requests one client address may have in flight at once; more get 429 at once.
    #[arg(long, env = "CLAIMDESK_MAX_REQUESTS_PER_CLIENT", default_value_t = 128, value_parser = clap::value_parser!(u32).range(1..))]
    max_requests_per_client: u32,
    /// Seconds a client has to send a request's whole body (and at most 5 between two reads)
    /// before 408.
    #[arg(long, env = "CLAIMDESK_BODY_TIMEOUT", default_value_t = 15, value_parser = clap::value_parser!(u64).range(1..=600))]
    body_timeout: u64,
    /// Browser origins allowed to call the API cross-origin (CORS), comma-separated; none when
    /// unset. `*` allows any origin.
    #[arg(long, env = "CLAIMDESK_CORS_ORIGINS", value_delimiter = ',')]
    cors_origins: Vec<String>,
}

impl From<CoreArgs> for CoreConfig {
    fn from(args: CoreArgs) -> Self {
        CoreConfig {
            grpc_addr: args.grpc_addr,
            database: args.database.config(args.db_pool_size),
            confirmed_min_sources: args.confirmed_min_sources,
            public_read: args.public_read,
            rate_limit_per_minute: args.rate_limit_per_minute,
            bootstrap_token: args.bootstrap_token,
            unix_socket: None,
            duplicate_check: args.duplicate_check,
            feed_slow_consumer: std::time::Duration::from_secs(args.feed_slow_consumer_secs),
            webhooks: args.webhooks.into(),
            publisher: Publisher {
                name: args.publisher_name,
                url: args.publisher_url,
                review_url: args.claimreview_url,
            },
            event_json: EventJson(std::sync::Arc::new(claimdesk_api::feed_event_json)),
            import: args.import.into(),
        }
    }
}

fn gateway_config(http: HttpArgs, core_url: String) -> GatewayConfig {
    GatewayConfig {
        http_addr: http.http_addr,
        core_url,
        workers: http.http_workers,
        core_timeout: Duration::from_secs(http.core_timeout),
        max_requests_per_client: http.max_requests_per_client,
        body_timeout: Duration::from_secs(http.body_timeout),
        cors_origins: http.cors_origins,
        more_metrics: None,
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let logs = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr);
    // One JSON object a line, with the request's span (its request id) in every line.
    match std::env::var("CLAIMDESK_LOG_FORMAT").as_deref() {
        Ok("json") => logs.json().with_current_span(true).with_span_list(false).init(),
        _ => logs.with_ansi(std::io::stderr().is_terminal()).init(),
    }
    match run(Cli::parse().command).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Migrate { database, status } => migrate(database.config(1), status).await,
        Command::Token { command } => token(command).await,
        Command::Import { command: Some(command), .. } => import(command).await,
        Command::Import { command: None, bulk } => bulk_import(bulk).await,
        Command::Export { database, format, output, confirmed_min_sources } => {
            let db = Database::open(&database.config(2)).await?;
            let format = match format {
                ExportFormatArg::Jsonl => bulk::ExportFormat::Jsonl,
                ExportFormatArg::Csv => bulk::ExportFormat::Csv,
            };
            let rules = SourcingRules { confirmed_min_sources };
            let out: Box<dyn std::io::Write> = match &output {
                Some(path) => {
                    Box::new(std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?)
                }
                None => Box::new(std::io::stdout().lock()),
            };
            let out = std::io::BufWriter::with_capacity(1 << 16, out);
            let (sources, claims) = bulk::export(&db, format, rules, out).await.map_err(|e| anyhow::anyhow!("{e}"))?;
            eprintln!("exported {sources} source(s) and {claims} claim(s)");
            Ok(())
        }
        Command::Extract { database, language, published, format, url, file } => {
            extract_file(database, ExtractOptions { language, published, format, url }, file).await
        }
        Command::Openapi => {
            print!("{}", claimdesk_api::openapi_json());
            Ok(())
        }
        Command::Core { core, metrics } => {
            let core = Core::bind(&core.into()).await?;
            if let Some(addr) = metrics.metrics_addr {
                let listener = tokio::net::TcpListener::bind(addr)
                    .await
                    .with_context(|| format!("cannot listen for metrics on {addr}"))?;
                tokio::spawn(claimdesk_core::metrics::serve(listener));
            }
            core.serve(shutdown_signal()).await
        }
        Command::Gateway { http, core_url } => {
            let gateway = Gateway::bind(&gateway_config(http, core_url))?;
            run_gateway(gateway).await
        }
        Command::Serve { core, http } => {
            // Core and gateway in one process: on Linux the gateway reaches core over an
            // abstract Unix socket of this process's own (still gRPC, without TCP's cost);
            // tools use the TCP port.
            let mut config: CoreConfig = core.into();
            let core_url = if cfg!(target_os = "linux") {
                let name = format!("claimdesk-core-{}-{}", std::process::id(), config.grpc_addr.port());
                config.unix_socket = Some(name.clone());
                format!("unix-abstract:{name}")
            } else {
                String::new()
            };
            let core = Core::bind(&config).await?;
            let core_url = if core_url.is_empty() { format!("http://{}", core.local_addr()) } else { core_url };
            let mut gateway_config = gateway_config(http, core_url);
            gateway_config.more_metrics = Some(|| claimdesk_core::metrics::metrics().render());
            let gateway = Gateway::bind(&gateway_config)?;
            let (stop_core, core_stopped) = watch::channel(false);
            let core_task = tokio::spawn(core.serve(wait_for(core_stopped)));
            // The gateway stops first so that its in-flight requests can still reach core.
            let gateway_result = run_gateway(gateway).await;
            let _ = stop_core.send(true);
            let core_result = core_task.await.context("core task failed")?;
            gateway_result.and(core_result)
        }
    }
}

/// `claimdesk token ...`: token administration against the configured database.
async fn token(command: TokenCommand) -> anyhow::Result<()> {
    let database = match &command {
        TokenCommand::Create { database, .. }
        | TokenCommand::List { database }
        | TokenCommand::Revoke { database, .. } => database.clone(),
    };
    let auth = Auth::new(Database::open(&database.config(1)).await?, false, 0);
    match command {
        TokenCommand::Create { name, role, expires_in_days, .. } => {
            let role = Role::parse(&role).map_err(|e| anyhow::anyhow!("--role: {e}"))?;
            let expires_at = expires_in_days.map(|days| chrono::Utc::now() + chrono::Duration::days(i64::from(days)));
            let (token, secret) = auth
                .create_token(TokenInput { name, role: Some(role), expires_at })
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            eprintln!("created token {} ({}, {}); its secret is shown once:", token.id, token.name, role.as_str());
            println!("{secret}");
        }
        TokenCommand::List { .. } => {
            let tokens = auth.list_tokens().await.map_err(|e| anyhow::anyhow!("{e}"))?;
            let time = |t: Option<chrono::DateTime<chrono::Utc>>| {
                t.map_or_else(|| "-".to_owned(), |t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
            };
            let row = |cols: [&str; 7]| {
                let [id, role, prefix, created, expires, revoked, name] = cols;
                println!("{id:<36}  {role:<8}  {prefix:<12}  {created:<20}  {expires:<20}  {revoked:<20}  {name}");
            };
            row(["ID", "ROLE", "PREFIX", "CREATED", "EXPIRES", "REVOKED", "NAME"]);
            for t in tokens {
                let id = t.id.to_string();
                let (created, expires, revoked) = (time(Some(t.created_at)), time(t.expires_at), time(t.revoked_at));
                row([&id, t.role.as_str(), &t.prefix, &created, &expires, &revoked, &t.name]);
            }
        }
        TokenCommand::Revoke { id, .. } => {
            let token = auth.revoke_token(&id).await.map_err(|e| anyhow::anyhow!("{e}"))?;
            eprintln!("revoked token {} ({}, {})", token.id, token.name, token.role.as_str());
        }
    }
    Ok(())
}

/// `claimdesk import ...`: imports against the configured database, as its only writer on SQLite.
async fn import(command: ImportCommand) -> anyhow::Result<()> {
    match command {
        ImportCommand::Claimreview { database, import, confirmed_min_sources, content_type, actor, file } => {
            let config = database.config(2);
            let _owner = claimdesk_core::own_sqlite_database(&config)?;
            let document = if file.as_os_str() == "-" {
                use std::io::Read;
                let mut bytes = Vec::new();
                std::io::stdin().take(MAX_DOCUMENT_BYTES as u64 + 1).read_to_end(&mut bytes)?;
                bytes
            } else {
                let size = std::fs::metadata(&file).with_context(|| format!("cannot read {}", file.display()))?.len();
                anyhow::ensure!(
                    size <= MAX_DOCUMENT_BYTES as u64,
                    "{} holds {size} bytes: a ClaimReview document is at most {MAX_DOCUMENT_BYTES}",
                    file.display()
                );
                std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?
            };
            let kind = match content_type {
                Some(t) => DocumentKind::from_media_type(&t).ok_or_else(|| {
                    anyhow::anyhow!("--content-type {t:?}: application/ld+json, application/json or text/html")
                })?,
                None => DocumentKind::sniff(&document),
            };
            let import = ImportConfig::from(import);
            let read = review_import::read_document(&document, kind, &import.ratings)
                .map_err(|e| anyhow::anyhow!("{}: {}", file.display(), problem_text(&e)))?;
            let db = Database::open(&config).await?;
            let rules = SourcingRules { confirmed_min_sources };
            let report = Claims::new(db, rules)
                .import_reviews(read, actor, import.link_threshold)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("{}", claimdesk_api::import_report_json(report.into()));
            Ok(())
        }
    }
}

/// `claimdesk extract FILE`: the extraction of one article, as JSON on standard output; exit
/// status 2 when the article is refused (empty, binary, too long, another language).
/// What `claimdesk extract` was told about the article.
struct ExtractOptions {
    language: Option<String>,
    published: Option<chrono::NaiveDate>,
    format: Option<ExtractFormatArg>,
    url: Option<String>,
}

async fn extract_file(database: DatabaseArgs, options: ExtractOptions, file: std::path::PathBuf) -> anyhow::Result<()> {
    let ExtractOptions { language, published, format, url } = options;
    use claimdesk_core::extract::{Input, MAX_TEXT_CHARS};
    use std::io::Read;
    // Bytes enough for the longest HTML accepted, in 4-byte characters, and one more to tell.
    let limit = (MAX_TEXT_CHARS * 5 * 4) as u64 + 1;
    let mut bytes = Vec::new();
    if file.as_os_str() == "-" {
        std::io::stdin().take(limit).read_to_end(&mut bytes)?;
    } else {
        std::fs::File::open(&file)
            .with_context(|| format!("cannot read {}", file.display()))?
            .take(limit)
            .read_to_end(&mut bytes)?;
    }
    anyhow::ensure!((bytes.len() as u64) < limit, "{}: too long for one article", file.display());
    let text = String::from_utf8(bytes).map_err(|e| anyhow::anyhow!("{}: not UTF-8 text ({e})", file.display()))?;
    let html = match format {
        Some(f) => f == ExtractFormatArg::Html,
        None => {
            let name = file.to_string_lossy().to_ascii_lowercase();
            name.ends_with(".html") || name.ends_with(".htm") || text.trim_start().starts_with('<')
        }
    };
    let config = database.config(2);
    let db = Database::open(&config).await?;
    let input = Input { text, html, language, published, url };
    match Claims::new(db, SourcingRules::default()).extract(input).await {
        Ok(extraction) => {
            println!("{}", claimdesk_api::extraction_json(extraction.into()));
            Ok(())
        }
        Err(e) => {
            eprintln!("{}: {}", file.display(), problem_text(&e));
            std::process::exit(2)
        }
    }
}

/// `claimdesk import FILE.jsonl`: batches of lines, one transaction each, a progress bar on a
/// terminal, the summary on standard output; exit status 2 when lines were rejected.
async fn bulk_import(args: BulkImportArgs) -> anyhow::Result<()> {
    let BulkImportArgs { database, file, actor } = args;
    let file = file.context("the file to import is required")?;
    let config = database.config(2);
    let _owner = claimdesk_core::own_sqlite_database(&config)?;
    let (reader, size): (Box<dyn std::io::Read>, Option<u64>) = if file.as_os_str() == "-" {
        (Box::new(std::io::stdin().lock()), None)
    } else {
        let opened = std::fs::File::open(&file).with_context(|| format!("cannot read {}", file.display()))?;
        let size = opened.metadata().ok().map(|m| m.len());
        (Box::new(opened), size)
    };
    let mut reader = std::io::BufReader::with_capacity(1 << 20, reader);
    let db = Database::open(&config).await?;
    let importer = bulk::Importer::new(db, actor);
    let progress = if std::io::stderr().is_terminal() {
        let bar = size.map_or_else(indicatif::ProgressBar::no_length, indicatif::ProgressBar::new);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {msg} ({eta})")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    } else {
        indicatif::ProgressBar::hidden()
    };
    let mut summary = bulk::ImportSummary::default();
    let mut aliases = bulk::SourceAliases::new();
    let mut batch = Vec::with_capacity(bulk::BATCH_LINES);
    // The bytes of the lines in `batch`.
    let mut batch_bytes = 0;
    let mut line = Vec::new();
    let mut number = 0u64;
    loop {
        line.clear();
        let (read, complete) = read_line_capped(&mut reader, &mut line, bulk::MAX_LINE_BYTES)?;
        if read == 0 {
            break;
        }
        number += 1;
        progress.inc(read as u64);
        let parsed = if complete {
            bulk::parse_line(strip_line_end(&line))
        } else {
            Err(format!("the line holds more than {} bytes", bulk::MAX_LINE_BYTES))
        };
        if !complete || !strip_line_end(&line).iter().all(u8::is_ascii_whitespace) {
            batch.push((number, parsed));
            batch_bytes += read;
        }
        if bulk::batch_full(batch.len(), batch_bytes) {
            batch_bytes = 0;
            for (n, outcome) in importer.import_batch(std::mem::take(&mut batch), &mut aliases).await? {
                summary.add(n, outcome);
            }
            progress.set_message(format!("{} created, {} rejected", summary.created, summary.rejected));
        }
    }
    for (n, outcome) in importer.import_batch(batch, &mut aliases).await? {
        summary.add(n, outcome);
    }
    progress.finish_and_clear();
    let rejections: Vec<serde_json::Value> =
        summary.rejections.iter().map(|(line, reason)| serde_json::json!({"line": line, "reason": reason})).collect();
    let report = serde_json::json!({
        "created": summary.created,
        "updated": summary.updated,
        "unchanged": summary.unchanged,
        "rejected": summary.rejected,
        "rejections": rejections,
    });
    println!("{}", serde_json::to_string_pretty(&report)?);
    eprintln!(
        "{} line(s): {} created, {} updated, {} unchanged, {} rejected",
        number, summary.created, summary.updated, summary.unchanged, summary.rejected
    );
    if summary.rejected > 0 {
        std::process::exit(2);
    }
    Ok(())
}

/// Reads one line into `buf`, keeping at most `cap + 2` bytes of it (the rest is read and
/// dropped, so a huge line costs no memory); answers the bytes read and whether the line fit.
fn read_line_capped(
    reader: &mut impl std::io::BufRead,
    buf: &mut Vec<u8>,
    cap: usize,
) -> std::io::Result<(usize, bool)> {
    let mut read = 0;
    loop {
        let chunk = reader.fill_buf()?;
        if chunk.is_empty() {
            return Ok((read, buf.len() <= cap + 2));
        }
        let (take, done) = match chunk.iter().position(|b| *b == b'\n') {
            Some(i) => (i + 1, true),
            None => (chunk.len(), false),
        };
        let room = (cap + 2).saturating_sub(buf.len());
        buf.extend_from_slice(&chunk[..take.min(room + 1).min(take)]);
        reader.consume(take);
        read += take;
        if done {
            return Ok((read, buf.len() <= cap + 2));
        }
    }
}

fn strip_line_end(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// A domain error as one line, with each offending field.
fn problem_text(err: &claimdesk_core::domain::Error) -> String {
    match err {
        claimdesk_core::domain::Error::Validation(violations) => {
            violations.iter().map(|v| format!("{} {}", v.field, v.description)).collect::<Vec<_>>().join("; ")
        }
        other => other.to_string(),
    }
}

/// Applies pending migrations (unless `status_only`), then prints one line per migration:
/// `applied  NAME` or `pending  NAME`. A status query never creates a database.
async fn migrate(config: DatabaseConfig, status_only: bool) -> anyhow::Result<()> {
    tokio::task::spawn_blocking(move || {
        let url = DatabaseUrl::parse(&config.url)?;
        if status_only && url.sqlite_path().is_some_and(|path| !path.exists()) {
            eprintln!("no database at {} yet: every migration is pending", url.redacted());
            let known = storage::known_migrations(url.backend).map_err(|e| anyhow::anyhow!("{e}"))?;
            for name in known {
                println!("pending  {name}");
            }
            return Ok(());
        }
        let mut conn = storage::connect_with_retry(&url, config.connect_timeout)?;
        if !status_only {
            let applied = storage::run_migrations(&mut conn).map_err(|e| anyhow::anyhow!("migration failed: {e}"))?;
            eprintln!("applied {} migration(s) to {}", applied.len(), url.redacted());
        }
        let status =
            storage::migration_status(&mut conn).map_err(|e| anyhow::anyhow!("cannot read migrations: {e}"))?;
        for name in &status.applied {
            println!("applied  {name}");
        }
        for name in &status.pending {
            println!("pending  {name}");
        }
        Ok(())
    })
    .await?
}

/// Runs the gateway until SIGINT or SIGTERM, then stops it gracefully.
async fn run_gateway(gateway: Gateway) -> anyhow::Result<()> {
    let handle = gateway.handle();
    let mut server = tokio::spawn(gateway.run());
    tokio::select! {
        result = &mut server => return result.context("gateway task failed")?.context("gateway failed"),
        () = shutdown_signal() => {}
    }
    tracing::info!("shutting down: finishing in-flight requests");
    handle.stop(true).await;
    server.await.context("gateway task failed")?.context("gateway failed")
}

async fn wait_for(mut flag: watch::Receiver<bool>) {
    let _ = flag.wait_for(|stop| *stop).await;
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::error!(%err, "cannot listen for SIGINT");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut sigterm) => {
                sigterm.recv().await;
            }
            Err(err) => {
                tracing::error!(%err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
