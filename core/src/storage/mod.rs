//! Storage: diesel on SQLite (embedded default) or PostgreSQL (production), behind one
//! connection pool. Queries are written once against a portable schema and run on either
//! backend through `Conn`, a `MultiConnection`. Every call runs on Tokio's blocking pool so that
//! no async worker ever waits on the database.

pub mod attributions;
pub mod claims;
pub mod events;
mod migrate;
mod schema;
pub mod sources;
pub mod tokens;

use std::time::{Duration, Instant};

use diesel::{
    Connection,
    connection::{AnsiTransactionManager, SimpleConnection, TransactionManager},
    pg::PgConnection,
    r2d2::{self, ManageConnection, Pool, R2D2Connection},
    sqlite::SqliteConnection,
};

pub use migrate::{MigrationStatus, migration_status, revert_last, run_migrations, run_next};

use crate::domain::Error;

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

    /// The URL with any password hidden, for logs and messages.
    pub fn redacted(&self) -> String {
        redact(&self.target)
    }

    /// Opens one connection, set up for claimdesk.
    pub fn connect(&self) -> Result<Conn, diesel::ConnectionError> {
        match self.backend {
            Backend::Sqlite => {
                let mut conn = SqliteConnection::establish(&self.target)?;
                // WAL so readers never block the writer, FULL sync so that an acknowledged commit
                // survives a crash, a busy timeout so that concurrent writers queue.
                conn.batch_execute(
                    "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                     PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON;",
                )
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

/// Hides a password in a URL before it reaches a log line or an error message.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.split_once(':') {
                Some((user, _password)) => format!("{}://{user}:***@{}", &url[..scheme], &url[at + 1..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
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
        let reason = err.to_string().trim().replace('\n', " ");
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
        } else {
            OpenError::Open { url, reason }
        }
    }
}

/// Opens connections for the pool.
struct Manager {
    url: DatabaseUrl,
}

impl ManageConnection for Manager {
    type Connection = Conn;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<Conn, r2d2::Error> {
        self.url.connect().map_err(r2d2::Error::ConnectionError)
    }

    fn is_valid(&self, conn: &mut Conn) -> Result<(), r2d2::Error> {
        conn.ping().map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut Conn) -> bool {
        conn.is_broken()
    }
}

/// A pool of database connections shared by every request.
#[derive(Clone)]
pub struct Database {
    pool: Pool<Manager>,
    backend: Backend,
}

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
                .build(Manager { url })
                .map_err(|e| OpenError::Open { url: redacted.clone(), reason: e.to_string() })?;
            tracing::info!(?backend, url = %redacted, pool_size = config.pool_size, "database ready");
            Ok(Database { pool, backend })
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
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = pool.get().map_err(|e| Error::Unavailable(e.to_string()))?;
            f(&mut conn)
        })
        .await
        .map_err(|e| Error::Internal(format!("database task failed: {e}")))?
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
                unreachable @ OpenError::Unreachable { .. } if Instant::now() + delay < deadline => {
                    tracing::warn!(error = %unreachable, retry_in = ?delay, "database not reachable yet");
                    std::thread::sleep(delay);
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
    fn from(err: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error as D};
        match &err {
            D::DatabaseError(DatabaseErrorKind::ClosedConnection, _) => Error::Unavailable(err.to_string()),
            // Two writers raced past the application's checks; the database kept the invariant.
            D::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => Error::Precondition {
                code: "conflict",
                subject: "write".into(),
                description: "a concurrent change conflicted with this one; read again and retry".into(),
            },
            D::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => Error::Unavailable(err.to_string()),
            // SQLITE_BUSY after the busy timeout: the database is overloaded, not the request wrong.
            D::DatabaseError(_, info) if info.message().contains("database is locked") => {
                Error::Unavailable(err.to_string())
            }
            _ => Error::Internal(err.to_string()),
        }
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

    #[test]
    fn passwords_never_reach_messages() {
        let url = DatabaseUrl::parse("postgres://claimdesk:s3cret@db:5432/claims?sslmode=require").expect("valid");
        assert_eq!(url.redacted(), "postgres://claimdesk:***@db:5432/claims?sslmode=require");
        assert!(!format!("{url:?}").contains("s3cret"));
        let Err(err) = DatabaseUrl::parse("mysql://u:s3cret@db/claims") else { panic!("accepted") };
        assert!(!err.to_string().contains("s3cret"), "{err}");
    }
}
