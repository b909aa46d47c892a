//! Storage: diesel on SQLite (embedded default) or PostgreSQL (production), behind one
//! connection pool. Queries are written once against a portable schema and run on either
//! backend through `Conn`, a `MultiConnection`. Every call runs on Tokio's blocking pool so that
//! no async worker ever waits on the database.

pub mod attributions;
pub mod claims;
pub mod events;
pub mod idempotency;
mod migrate;
pub mod reviews;
mod schema;
pub mod search;
pub mod sources;
pub mod tokens;
pub mod webhooks;

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use diesel::{
    Connection,
    connection::{AnsiTransactionManager, SimpleConnection, TransactionManager},
    pg::PgConnection,
    r2d2::{self, ManageConnection, Pool, R2D2Connection},
    sqlite::SqliteConnection,
};

use tokio::sync::Semaphore;

pub use migrate::{MigrationStatus, known_migrations, migration_status, revert_last, run_migrations, run_next};

use crate::domain::Error;

/// How many times [`Database::write`] runs a transaction that found the database busy.
pub const WRITE_ATTEMPTS: u32 = 3;

/// A connection to whichever database the URL names.
#[derive(diesel::MultiConnection)]
pub enum Conn {
    Sqlite(SqliteConnection),
    Pg(PgConnection),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A database URL, checked: which backend, and what to hand to its driver.
#[derive(Clone)]
pub struct DatabaseUrl {
    pub backend: Backend,
    target: String,
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}({})", self.backend, redact(&self.target))
    }
}

impl DatabaseUrl {
    pub fn parse(url: &str) -> Result<Self, OpenError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(DatabaseUrl { backend: Backend::Postgres, target: url.to_owned() });
        }
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .ok_or_else(|| OpenError::UnsupportedUrl(redact(url)))?;
        // `:memory:` is one database per connection; with a pool every request would see another.
        if path.is_empty() || path.contains(":memory:") || path.starts_with("file:") {
            return Err(OpenError::UnsupportedUrl(redact(url)));
        }
        Ok(DatabaseUrl { backend: Backend::Sqlite, target: path.to_owned() })
    }

    /// The database file of a SQLite URL.
    pub fn sqlite_path(&self) -> Option<&std::path::Path> {
        (self.backend == Backend::Sqlite).then(|| std::path::Path::new(&self.target))
    }

    /// The URL with any password hidden, for logs and messages.
    pub fn redacted(&self) -> String {
        redact(&self.target)
    }

    /// Opens one connection, set up for claimdesk.
    pub fn connect(&self) -> Result<Conn, diesel::ConnectionError> {
        self.connect_with(DatabaseConfig::DEFAULT_BUSY_TIMEOUT)
    }

    fn connect_with(&self, busy_timeout: Duration) -> Result<Conn, diesel::ConnectionError> {
        match self.backend {
            Backend::Sqlite => {
                let mut conn = SqliteConnection::establish(&self.target)?;
                // WAL so readers never block the writer, FULL sync so that an acknowledged commit
                // survives a crash, a busy timeout so that concurrent writers queue.
                conn.batch_execute(&format!(
                    "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                     PRAGMA busy_timeout = {}; PRAGMA foreign_keys = ON;",
                    busy_timeout.as_millis()
                ))
                .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
                Ok(Conn::Sqlite(conn))
            }
            Backend::Postgres => {
                let mut conn = PgConnection::establish(&self.target)?;
                // Columns are timestamptz; diesel binds UTC timestamps, which PostgreSQL reads in
                // the session's zone.
                conn.batch_execute("SET TIME ZONE 'UTC'")
                    .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
                Ok(Conn::Pg(conn))
            }
        }
    }
}

/// Hides every credential libpq accepts in a URL before it reaches a log line or an error
/// message: the password of the userinfo (`user:secret@`), and the `password` and
/// `sslpassword` query parameters (`?password=secret`), in any case.
fn redact(url: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let base = match (base.find("://"), base.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &base[scheme + 3..at];
            match userinfo.split_once(':') {
                Some((user, _password)) => format!("{}://{user}:***@{}", &base[..scheme], &base[at + 1..]),
                None => base.to_owned(),
            }
        }
        _ => base.to_owned(),
    };
    let Some(query) = query else { return base };
    let params: Vec<String> = query
        .split('&')
        .map(|param| match param.split_once('=') {
            Some((key, _)) if matches!(key.to_ascii_lowercase().as_str(), "password" | "sslpassword") => {
                format!("{key}=***")
            }
            _ => param.to_owned(),
        })
        .collect();
    format!("{base}?{}", params.join("&"))
}

/// Why the database could not be opened at start-up.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error(
        "unsupported database URL {0:?}: use sqlite://PATH (for example sqlite://claimdesk.db) or postgres://USER@HOST:PORT/DB"
    )]
    UnsupportedUrl(String),
    #[error("cannot reach the database at {url}: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("the database at {url} refused the credentials: {reason}")]
    Authentication { url: String, reason: String },
    #[error("the database named in {url} does not exist: {reason} (create it, or fix the URL)")]
    MissingDatabase { url: String, reason: String },
    #[error("cannot open the database at {url}: {reason}")]
    Open { url: String, reason: String },
    #[error("cannot apply database migrations: {0}")]
    Migrate(String),
}

impl OpenError {
    /// Sorts a connection failure: only an unreachable server is worth waiting for.
    fn classify(url: &DatabaseUrl, err: &diesel::ConnectionError) -> Self {
        // One line: libpq's messages span several, indented with tabs.
        let reason = err.to_string().split_whitespace().collect::<Vec<_>>().join(" ");
        let lower = reason.to_lowercase();
        let url = url.redacted();
        if lower.contains("password authentication failed")
            || lower.contains("no pg_hba.conf entry")
            || lower.contains("role") && lower.contains("does not exist")
        {
            OpenError::Authentication { url, reason }
        } else if lower.contains("database") && lower.contains("does not exist") {
            OpenError::MissingDatabase { url, reason }
        } else if lower.contains("could not connect")
            || lower.contains("connection refused")
            || lower.contains("could not translate host name")
            || lower.contains("timeout")
            || lower.contains("the database system is starting up")
        {
            OpenError::Unreachable { url, reason }
        } else if lower.contains("ssl support is not compiled in") {
            let reason = format!("{reason} (TLS to PostgreSQL needs a build with `--features postgres-tls`)");
            OpenError::Open { url, reason }
        } else {
            OpenError::Open { url, reason }
        }
    }
}

/// Opens connections for the pool.
struct Manager {
    url: DatabaseUrl,
    busy_timeout: Duration,
}

/// A pooled connection, and whether a request found it unusable.
struct Pooled {
    conn: Conn,
    /// Set when a query on it failed as `Unavailable` (the server closed it, a failover, a
    /// restart): the pool then discards it instead of handing it to the next request.
    broken: bool,
}

impl ManageConnection for Manager {
    type Connection = Pooled;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<Pooled, r2d2::Error> {
        let mut conn = self.url.connect_with(self.busy_timeout).map_err(r2d2::Error::ConnectionError)?;
        if let Conn::Pg(_) = conn {
            // No request's statement runs longer than any caller waits (migrations, on their
            // own connection, are not bound by it).
            conn.batch_execute(&format!("SET statement_timeout = {}", STATEMENT_TIMEOUT.as_millis()))
                .map_err(r2d2::Error::QueryError)?;
        }
        Ok(Pooled { conn, broken: false })
    }

    fn is_valid(&self, pooled: &mut Pooled) -> Result<(), r2d2::Error> {
        pooled.conn.ping().map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, pooled: &mut Pooled) -> bool {
        pooled.broken || pooled.conn.is_broken()
    }
}

/// Counts a pooled connection out of `db_pool_in_use` when its call ends, however it ends.
struct InUse;

impl Drop for InUse {
    fn drop(&mut self) {
        crate::metrics::metrics().pool_in_use.dec();
    }
}

/// Longest wait for a pooled connection.
const POOL_WAIT: Duration = Duration::from_secs(5);

/// PostgreSQL's `statement_timeout` on pooled connections: the gateway's default deadline.
pub const STATEMENT_TIMEOUT: Duration = Duration::from_secs(30);

/// A call whose deadline leaves less than this below [`STATEMENT_TIMEOUT`] sets its own
/// statement timeout (two more round trips); the others rely on the connection's.
const STATEMENT_TIMEOUT_SLACK: Duration = Duration::from_secs(5);

fn deadline_passed(deadline: Option<tokio::time::Instant>) -> bool {
    deadline.is_some_and(|d| d <= tokio::time::Instant::now())
}

/// The deadline passed or is about to (SQLite's busy handler may give up a few ms early).
fn deadline_near(deadline: Option<tokio::time::Instant>) -> bool {
    deadline.is_some_and(|d| d <= tokio::time::Instant::now() + Duration::from_millis(50))
}

/// Time left before `deadline`; an error when it has passed.
fn time_left(deadline: Option<tokio::time::Instant>) -> Result<Option<Duration>, Error> {
    match deadline {
        None => Ok(None),
        Some(deadline) => match deadline.checked_duration_since(tokio::time::Instant::now()) {
            Some(left) if !left.is_zero() => Ok(Some(left)),
            _ => Err(Error::DeadlineExceeded),
        },
    }
}

/// How long to wait for something that has its own bound `cap`: the cap, or the time left
/// when that is shorter. `true` when the deadline, not the cap, sets the wait.
fn wait_within(left: Option<Duration>, cap: Duration) -> (Duration, bool) {
    match left {
        Some(left) if left < cap => (left, true),
        _ => (cap, false),
    }
}

/// Runs `f` on `pooled` with its waits bounded by `left`, the time before the call's deadline:
/// on PostgreSQL the statement timeout, when `left` is shorter than the connection's own; on
/// SQLite the busy timeout (how long to wait for another process's write lock), when shorter
/// than `busy_timeout`. The bound is restored after; a connection where that fails is
/// discarded, and `f`'s result stands (a committed write stays acknowledged).
fn bounded_by<T>(
    pooled: &mut Pooled,
    deadline: Option<tokio::time::Instant>,
    left: Option<Duration>,
    busy_timeout: Duration,
    f: impl FnOnce(&mut Conn) -> Result<T, Error>,
) -> Result<T, Error> {
    let ms = |d: Duration| d.as_millis().max(1);
    let (bound, restore) = match (&pooled.conn, left) {
        (Conn::Pg(_), Some(left)) if left + STATEMENT_TIMEOUT_SLACK < STATEMENT_TIMEOUT => (
            format!("SET statement_timeout = {}", ms(left)),
            format!("SET statement_timeout = {}", ms(STATEMENT_TIMEOUT)),
        ),
        (Conn::Sqlite(_), Some(left)) if left < busy_timeout => {
            (format!("PRAGMA busy_timeout = {}", ms(left)), format!("PRAGMA busy_timeout = {}", ms(busy_timeout)))
        }
        _ => return f(&mut pooled.conn),
    };
    pooled.conn.batch_execute(&bound)?;
    let result = match f(&mut pooled.conn) {
        // SQLite's lock wait, cut to the deadline, ran out: the deadline, not contention.
        Err(Error::Busy(_)) if matches!(pooled.conn, Conn::Sqlite(_)) && deadline_near(deadline) => {
            Err(Error::DeadlineExceeded)
        }
        other => other,
    };
    if let Err(reason) = pooled.conn.batch_execute(&restore) {
        tracing::warn!(%reason, "cannot restore the connection's timeout; the pool replaces it");
        pooled.broken = true;
    }
    result
}

/// A pool of database connections shared by every request.
#[derive(Clone)]
pub struct Database {
    pool: Pool<Manager>,
    backend: Backend,
    /// Calls admitted to the blocking pool at once; the rest wait at most [`ADMISSION_WAIT`].
    admission: Arc<Semaphore>,
    /// SQLite takes one writer at a time: this process's writers wait their turn here, in
    /// order, instead of polling the file lock (whose back-off made the slowest writes wait
    /// over a second). Other processes on the file still meet the busy timeout.
    writer: Option<Arc<tokio::sync::Mutex<()>>>,
    /// SQLite's busy timeout on every pooled connection.
    busy_timeout: Duration,
    /// Told after every committed write: the change feed looks for new events then.
    commits: Arc<tokio::sync::Notify>,
}

/// How long a call waits for admission before core sheds it with `overloaded` (503 with
/// `Retry-After`): beyond capacity, answering at once beats queueing without bound.
pub const ADMISSION_WAIT: Duration = Duration::from_secs(1);

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database").field("backend", &self.backend).field("state", &self.pool.state()).finish()
    }
}

#[derive(Debug, Clone)]
pub struct DatabaseConfig {
    pub url: String,
    pub pool_size: u32,
    /// How long to keep trying to reach an unreachable server at start-up.
    pub connect_timeout: Duration,
    /// SQLite: how long a writer waits for another's lock before the attempt counts as busy.
    pub busy_timeout: Duration,
}

impl DatabaseConfig {
    /// SQLite writers wait this long for the lock before an attempt counts as busy.
    pub const DEFAULT_BUSY_TIMEOUT: Duration = Duration::from_secs(5);
}

impl Database {
    /// Reaches the database (retrying while the server is unreachable, for at most
    /// `connect_timeout`), applies pending migrations under a lock, and opens the pool.
    pub async fn open(config: &DatabaseConfig) -> Result<Self, OpenError> {
        let url = DatabaseUrl::parse(&config.url)?;
        let config = config.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = connect_with_retry(&url, config.connect_timeout)?;
            for migration in run_migrations(&mut conn).map_err(|e| OpenError::Migrate(e.to_string()))? {
                tracing::info!(%migration, "applied database migration");
            }
            // SQLite gathers planner statistics only when asked: refresh those that are stale
            // (cheap when none is), so that the search's joins are planned on real sizes.
            // PostgreSQL's autovacuum does this by itself.
            if let Conn::Sqlite(_) = conn
                && let Err(reason) = conn.batch_execute("PRAGMA optimize = 0x10002")
            {
                tracing::warn!(%reason, "PRAGMA optimize failed; the planner keeps its old statistics");
            }
            drop(conn);
            let backend = url.backend;
            let redacted = url.redacted();
            let pool = Pool::builder()
                .max_size(config.pool_size.max(1))
                // Every connection opened up front: none is set up while requests wait.
                // No `SELECT 1` before every use: a broken connection shows itself by failing
                // (and `has_broken` then drops it); the watchdog pings the database for health.
                .test_on_check_out(false)
                .connection_timeout(Duration::from_secs(5))
                .build(Manager { url, busy_timeout: config.busy_timeout })
                .map_err(|e| OpenError::Open { url: redacted.clone(), reason: e.to_string() })?;
            tracing::info!(?backend, url = %redacted, pool_size = config.pool_size, "database ready");
            crate::metrics::metrics().pool_size.set(i64::from(config.pool_size.max(1)));
            // Four calls per connection: enough to keep every connection busy, few enough that
            // an admitted call does not wait long behind the others.
            let admission = Arc::new(Semaphore::new(4 * config.pool_size.max(1) as usize));
            let writer = (backend == Backend::Sqlite).then(|| Arc::new(tokio::sync::Mutex::new(())));
            let commits = Arc::new(tokio::sync::Notify::new());
            Ok(Database { pool, backend, admission, writer, busy_timeout: config.busy_timeout, commits })
        })
        .await
        .map_err(|e| OpenError::Migrate(format!("start-up task failed: {e}")))?
    }

    /// Runs `f` with a pooled connection on the blocking pool.
    pub async fn run<T, F>(&self, f: F) -> Result<T, Error>
    where
        T: Send + 'static,
        F: FnOnce(&mut Conn) -> Result<T, Error> + Send + 'static,
    {
        let deadline = crate::context::deadline();
        let (wait, by_deadline) = wait_within(time_left(deadline)?, ADMISSION_WAIT);
        let metrics = crate::metrics::metrics();
        let admitted = match self.admission.clone().try_acquire_owned() {
            Ok(permit) => Ok(Ok(permit)),
            Err(_) => {
                metrics.pool_waits.inc();
                tokio::time::timeout(wait, self.admission.clone().acquire_owned()).await
            }
        };
        let permit = match admitted {
            Ok(Ok(permit)) => permit,
            Ok(Err(_)) | Err(_) if by_deadline => return Err(Error::DeadlineExceeded),
            Ok(Err(_)) | Err(_) => return Err(Error::Overloaded),
        };
        let pool = self.pool.clone();
        let busy_timeout = self.busy_timeout;
        let span = tracing::Span::current();
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let _span = span.enter();
            // A connection is waited for at most until the deadline (and never over 5 s); the
            // call may already have waited for a blocking thread.
            let (wait, by_deadline) = wait_within(time_left(deadline)?, POOL_WAIT);
            let mut pooled = match pool.get_timeout(wait) {
                Ok(pooled) => pooled,
                Err(_) if by_deadline => return Err(Error::DeadlineExceeded),
                Err(e) => return Err(Error::Unavailable(e.to_string())),
            };
            metrics.pool_in_use.inc();
            let _in_use = InUse;
            // The deadline, again, after the wait for a connection.
            let left = time_left(deadline)?;
            let result = match bounded_by(&mut pooled, deadline, left, busy_timeout, f) {
                // PostgreSQL cancelled a statement with no deadline near: the connections' own
                // 30 s bound, a database too slow to serve.
                Err(Error::DeadlineExceeded) if !deadline_near(deadline) => {
                    Err(Error::Unavailable(format!("a statement ran over {} s", STATEMENT_TIMEOUT.as_secs())))
                }
                other => other,
            };
            if let Err(Error::Unavailable(reason)) = &result {
                tracing::warn!(%reason, "database connection lost; the pool replaces it");
                pooled.broken = true;
            }
            result
        })
        .await
        .map_err(|e| Error::Internal(format!("database task failed: {e}")))?
    }

    /// Runs `f` in a write transaction on the blocking pool. A transaction that found the
    /// database busy (SQLite's write lock held past the busy timeout, a PostgreSQL serialization
    /// failure or deadlock) rolled back whole, so it runs again, up to [`WRITE_ATTEMPTS`] times
    /// with a short growing pause; `f` must be safe to run again from the start.
    pub async fn write<T, F>(&self, mut f: F) -> Result<T, Error>
    where
        T: Send + 'static,
        F: FnMut(&mut Conn) -> Result<T, Error> + Send + 'static,
    {
        // The turn moves into the transaction's closure: a caller that gives up (its deadline)
        // does not hand the turn on while the transaction still runs.
        let turn = match &self.writer {
            Some(writer) => {
                let left = time_left(crate::context::deadline())?;
                let (wait, by_deadline) = wait_within(left, DatabaseConfig::DEFAULT_BUSY_TIMEOUT);
                match tokio::time::timeout(wait, writer.clone().lock_owned()).await {
                    Ok(turn) => Some(turn),
                    Err(_) if by_deadline => return Err(Error::DeadlineExceeded),
                    Err(_) => return Err(Error::Busy("waited too long for the SQLite writer's turn".into())),
                }
            }
            None => None,
        };
        let deadline = crate::context::deadline();
        let commits = self.commits.clone();
        let written = self
            .run(move |conn| {
                let _turn = &turn;
                let mut attempt = 1;
                loop {
                    match write(conn, &mut f) {
                        Err(Error::Busy(reason)) if attempt < WRITE_ATTEMPTS && !deadline_passed(deadline) => {
                            tracing::debug!(%reason, attempt, "database busy, retrying the transaction");
                            std::thread::sleep(Duration::from_millis(20 * u64::from(attempt)));
                            attempt += 1;
                        }
                        other => return other,
                    }
                }
            })
            .await;
        if written.is_ok() {
            commits.notify_one();
        }
        written
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Told after every write this process commits (one permit kept while nobody waits).
    pub fn commits(&self) -> Arc<tokio::sync::Notify> {
        self.commits.clone()
    }

    /// A trivial query, for readiness checks.
    pub async fn ping(&self) -> Result<(), Error> {
        self.run(|conn| conn.batch_execute("SELECT 1").map_err(Error::from)).await
    }
}

/// One connection, retried while the server cannot be reached; other failures are final.
pub fn connect_with_retry(url: &DatabaseUrl, timeout: Duration) -> Result<Conn, OpenError> {
    let deadline = Instant::now() + timeout;
    let mut delay = Duration::from_millis(200);
    loop {
        match url.connect() {
            Ok(conn) => return Ok(conn),
            Err(err) => match OpenError::classify(url, &err) {
                unreachable @ OpenError::Unreachable { .. } if Instant::now() < deadline => {
                    // The last wait is cut to the deadline, and one last attempt made there.
                    let wait = delay.min(deadline.saturating_duration_since(Instant::now()));
                    tracing::warn!(error = %unreachable, retry_in = ?wait, "database not reachable yet");
                    std::thread::sleep(wait);
                    delay = (delay * 2).min(Duration::from_secs(5));
                }
                other => return Err(other),
            },
        }
    }
}

/// Runs `f`, a read of several statements. On SQLite in a (deferred) transaction, which gives
/// every statement one snapshot. On PostgreSQL without one: under READ COMMITTED a transaction
/// would not share a snapshot between statements either, and would cost two round trips.
pub fn read<T>(conn: &mut Conn, f: impl FnOnce(&mut Conn) -> Result<T, Error>) -> Result<T, Error> {
    match conn {
        Conn::Sqlite(_) => conn.transaction(f),
        Conn::Pg(_) => f(conn),
    }
}

/// Runs `f` in a write transaction. On SQLite it begins IMMEDIATE: a deferred transaction that
/// reads and then writes fails with SQLITE_BUSY at once, whatever the busy timeout. On
/// PostgreSQL it is a plain READ COMMITTED transaction: every change is a conditional
/// `UPDATE ... WHERE version = ?`, so a racing writer finds zero rows and is told.
pub fn write<T>(conn: &mut Conn, f: impl FnOnce(&mut Conn) -> Result<T, Error>) -> Result<T, Error> {
    match conn {
        Conn::Sqlite(c) => AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?,
        Conn::Pg(c) => AnsiTransactionManager::begin_transaction(c)?,
    }
    match f(conn) {
        Ok(value) => {
            <Conn as Connection>::TransactionManager::commit_transaction(conn)?;
            Ok(value)
        }
        Err(err) => {
            if let Err(rollback) = <Conn as Connection>::TransactionManager::rollback_transaction(conn) {
                tracing::error!(%rollback, "rollback failed");
            }
            Err(err)
        }
    }
}

impl From<diesel::result::Error> for Error {
    /// Every storage failure keeps its class: the connection or server is gone (unavailable,
    /// 503), concurrent transactions got in the way (busy: retried by [`Database::write`], then
    /// 503 with a retry hint), a constraint the database kept against a racing writer (the
    /// conflict it means, 409), or a bug (internal, 500, logged).
    fn from(err: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind as Kind, Error as D};
        match err {
            D::DatabaseError(kind, info) => {
                let message = info.message().to_owned();
                match kind {
                    Kind::ClosedConnection | Kind::UnableToSendCommand => Error::Unavailable(message),
                    // A hot standby promoted or demoted under us: the primary is elsewhere now.
                    Kind::ReadOnlyTransaction => Error::Unavailable(message),
                    Kind::SerializationFailure => Error::Busy(message),
                    // Two writers raced past the application's checks; the database kept the invariant.
                    Kind::UniqueViolation => Error::Precondition {
                        code: "conflict",
                        subject: "write".into(),
                        description: "a concurrent change conflicted with this one; read again and retry".into(),
                    },
                    Kind::ForeignKeyViolation | Kind::RestrictViolation => Error::Precondition {
                        code: "conflict",
                        subject: "write".into(),
                        description:
                            "something this change refers to was changed or removed meanwhile; read again and retry"
                                .into(),
                    },
                    // Every rule is checked before writing: the database refusing a value is a bug.
                    Kind::NotNullViolation | Kind::CheckViolation | Kind::ExclusionViolation => {
                        Error::Internal(format!("constraint violated ({kind:?}): {message}"))
                    }
                    Kind::Unknown => unknown_database_error(message),
                    // `DatabaseErrorKind` is non-exhaustive: a kind added by a later diesel is
                    // reported as a bug until it is classified above.
                    future => Error::Internal(format!("unclassified database error ({future:?}): {message}")),
                }
            }
            D::RollbackErrorOnCommit { commit_error, .. } => match Error::from(*commit_error) {
                // The commit failed and so did the rollback: the connection is gone, and whether
                // the commit landed is unknown to us, so the client must read before retrying.
                Error::Unavailable(reason) | Error::Busy(reason) => Error::Unavailable(reason),
                other => other,
            },
            D::NotFound => Error::Internal("a row the query required is missing".into()),
            D::InvalidCString(e) => Error::Internal(format!("a query or URL held a NUL byte: {e}")),
            D::QueryBuilderError(e) => Error::Internal(format!("query could not be built: {e}")),
            D::DeserializationError(e) => Error::Internal(format!("a stored value could not be read: {e}")),
            D::SerializationError(e) => Error::Internal(format!("a value could not be bound: {e}")),
            D::IntegerConversion(e) => Error::Internal(format!("integer out of range: {e}")),
            D::RollbackTransaction | D::AlreadyInTransaction | D::NotInTransaction | D::BrokenTransactionManager => {
                Error::Internal(format!("transaction misuse: {err}"))
            }
            // `diesel::result::Error` is non-exhaustive: likewise for a variant added later.
            future => Error::Internal(format!("unclassified diesel error: {future}")),
        }
    }
}

/// Errors diesel files under `Unknown`. SQLite's busy and locked states reach us only as their
/// fixed result strings (diesel keeps the result code to itself, and reading it from the raw
/// handle would need `unsafe`); PostgreSQL's deadlock likewise. Everything else is a bug.
fn unknown_database_error(message: String) -> Error {
    const BUSY: [&str; 3] = [
        "database is locked",       // SQLITE_BUSY
        "database table is locked", // SQLITE_LOCKED
        "deadlock detected",        // PostgreSQL 40P01
    ];
    if BUSY.contains(&message.as_str()) {
        Error::Busy(message)
    } else if message == "canceling statement due to statement timeout" {
        // PostgreSQL 57014, raised by the statement timeout a call's deadline set.
        Error::DeadlineExceeded
    } else {
        Error::Internal(message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_select_a_backend_or_are_refused() {
        let sqlite = DatabaseUrl::parse("sqlite://claimdesk.db").expect("valid");
        assert_eq!((sqlite.backend, sqlite.target.as_str()), (Backend::Sqlite, "claimdesk.db"));
        let absolute = DatabaseUrl::parse("sqlite:///var/lib/claimdesk.db").expect("valid");
        assert_eq!(absolute.target, "/var/lib/claimdesk.db");
        assert_eq!(DatabaseUrl::parse("postgres://u@db/claims").map(|u| u.backend).ok(), Some(Backend::Postgres));
        assert!(matches!(DatabaseUrl::parse("sqlite://:memory:"), Err(OpenError::UnsupportedUrl(_))));
        assert!(matches!(DatabaseUrl::parse("mysql://x"), Err(OpenError::UnsupportedUrl(_))));
    }

    async fn sqlite(busy_timeout: Duration) -> (tempfile::TempDir, Database, String) {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("t.db").display().to_string();
        let config = DatabaseConfig {
            url: format!("sqlite://{path}"),
            pool_size: 2,
            connect_timeout: Duration::ZERO,
            busy_timeout,
        };
        let db = Database::open(&config).await.expect("db");
        (dir, db, path)
    }

    /// Holds SQLite's write lock from another connection for `hold`.
    fn hold_write_lock(path: &str, hold: Duration) -> std::thread::JoinHandle<()> {
        let mut conn = SqliteConnection::establish(path).expect("open");
        conn.batch_execute("BEGIN IMMEDIATE").expect("lock taken");
        std::thread::spawn(move || {
            std::thread::sleep(hold);
            conn.batch_execute("COMMIT").expect("lock released");
        })
    }

    fn count_claims(conn: &mut Conn) -> Result<i64, Error> {
        use diesel::prelude::*;
        Ok(schema::claims::table.count().get_result(conn)?)
    }

    fn insert_claim(conn: &mut Conn, id: &str) -> Result<(), Error> {
        let claim = crate::domain::ClaimInput { text: "x".into(), language: "fr".into(), ..Default::default() }
            .into_new_claim(chrono::Utc::now())?
            .0;
        let claim = crate::domain::Claim { id: uuid::Uuid::try_parse(id).expect("uuid"), ..claim };
        claims::insert(conn, &claim)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_busy_database_is_retried_then_reported_busy_not_internal() {
        let (_dir, db, path) = sqlite(Duration::from_millis(50)).await;
        let id = "01964b6e-7a4f-7c3e-9d2a-5b8c1e0f3a47";

        // Held past every attempt: busy, a retryable class of its own.
        let holder = hold_write_lock(&path, Duration::from_millis(1500));
        let refused = db.write(move |conn| insert_claim(conn, id)).await;
        assert!(matches!(refused, Err(Error::Busy(_))), "{refused:?}");
        holder.join().expect("holder");
        assert_eq!(db.run(count_claims).await.expect("count"), 0, "nothing half-written");

        // Released while core retries: the write lands.
        let holder = hold_write_lock(&path, Duration::from_millis(80));
        db.write(move |conn| insert_claim(conn, id)).await.expect("a later attempt succeeds");
        holder.join().expect("holder");
        assert_eq!(db.run(count_claims).await.expect("count"), 1);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn calls_beyond_capacity_are_shed_at_once_not_queued() {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        let config = DatabaseConfig {
            url,
            pool_size: 1,
            connect_timeout: Duration::ZERO,
            busy_timeout: DatabaseConfig::DEFAULT_BUSY_TIMEOUT,
        };
        let db = Database::open(&config).await.expect("db");
        // Pool of one: four calls are admitted (one runs, three wait for the connection), and
        // they hold on until released.
        let mut release = Vec::new();
        let admitted: Vec<_> = (0..4)
            .map(|_| {
                let (go, wait) = std::sync::mpsc::channel::<()>();
                release.push(go);
                let db = db.clone();
                tokio::spawn(async move {
                    db.run(move |_| {
                        let _ = wait.recv();
                        Ok(())
                    })
                    .await
                })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(100)).await;
        let started = Instant::now();
        let shed = db.run(|_| Ok(())).await;
        assert!(matches!(shed, Err(Error::Overloaded)), "{shed:?}");
        let waited = started.elapsed();
        assert!(waited >= ADMISSION_WAIT && waited < ADMISSION_WAIT * 2, "shed after the admission wait: {waited:?}");
        for go in release {
            let _ = go.send(());
        }
        for call in admitted {
            call.await.expect("task").expect("admitted calls complete");
        }
        db.run(|_| Ok(())).await.expect("capacity is back");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn constraint_violations_are_the_conflicts_they_mean() {
        let (_dir, db, _) = sqlite(DatabaseConfig::DEFAULT_BUSY_TIMEOUT).await;
        let id = "01964b6e-7a4f-7c3e-9d2a-5b8c1e0f3a47";
        db.write(move |conn| insert_claim(conn, id)).await.expect("first");
        let twice = db.write(move |conn| insert_claim(conn, id)).await;
        assert!(matches!(twice, Err(Error::Precondition { code: "conflict", .. })), "{twice:?}");

        let orphan = db
            .write(|conn| {
                let fields = crate::domain::AttributionFields {
                    speaker_id: "01964b6e-7a4f-7c3e-9d2a-5b8c1e0f3a48".into(),
                    stance: Some(crate::domain::Stance::Asserts),
                    ..Default::default()
                };
                let claim = uuid::Uuid::now_v7();
                let attribution =
                    fields.validate()?.into_attribution(uuid::Uuid::now_v7(), claim, "t", chrono::Utc::now());
                attributions::insert(conn, &attribution)
            })
            .await;
        assert!(matches!(orphan, Err(Error::Precondition { code: "conflict", .. })), "{orphan:?}");
    }

    /// Without the `postgres-tls` feature libpq has no TLS: asking for it is refused at once,
    /// with the way to get it, not retried as an unreachable server.
    #[cfg(not(feature = "postgres-tls"))]
    #[test]
    fn tls_to_postgres_without_the_feature_says_how_to_get_it() {
        let url = DatabaseUrl::parse("postgres://postgres@127.0.0.1:9/x?sslmode=require").expect("valid");
        let started = Instant::now();
        let Err(err) = connect_with_retry(&url, Duration::from_secs(30)) else { panic!("connected without TLS") };
        assert!(matches!(err, OpenError::Open { .. }), "{err:?}");
        assert!(err.to_string().contains("--features postgres-tls"), "{err}");
        assert!(started.elapsed() < Duration::from_secs(5), "not retried");
    }

    #[test]
    fn passwords_never_reach_messages() {
        let url = DatabaseUrl::parse("postgres://claimdesk:s3cret@db:5432/claims?sslmode=require").expect("valid");
        assert_eq!(url.redacted(), "postgres://claimdesk:***@db:5432/claims?sslmode=require");
        assert!(!format!("{url:?}").contains("s3cret"));
        let Err(err) = DatabaseUrl::parse("mysql://u:s3cret@db/claims") else { panic!("accepted") };
        assert!(!err.to_string().contains("s3cret"), "{err}");
        for url in [
            "postgres://claimdesk@db/claims?password=s3cret",
            "postgres://claimdesk@db/claims?sslmode=require&PASSWORD=s3cret",
            "postgresql://claimdesk:s3cret@db/claims?sslpassword=s3cret&application_name=x",
        ] {
            let parsed = DatabaseUrl::parse(url).expect("valid");
            let shown = format!("{} {parsed:?}", parsed.redacted());
            assert!(!shown.contains("s3cret"), "{shown}");
            assert!(shown.contains("db/claims"), "the rest stays readable: {shown}");
        }
        let err = OpenError::classify(
            &DatabaseUrl::parse("postgres://u@db/x?password=s3cret").expect("valid"),
            &diesel::ConnectionError::BadConnection("connection refused".into()),
        );
        assert!(!err.to_string().contains("s3cret"), "{err}");
    }
}
