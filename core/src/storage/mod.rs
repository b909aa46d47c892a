//! Storage: diesel on SQLite, behind a connection pool. Every call runs on Tokio's blocking
//! pool so that no async worker ever waits on the database.

pub mod attributions;
pub mod claims;
pub mod events;
mod schema;
pub mod sources;

use std::time::Duration;

use diesel::{
    connection::SimpleConnection,
    r2d2::{ConnectionManager, CustomizeConnection, Pool},
    sqlite::SqliteConnection,
};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::domain::Error;

pub type Conn = SqliteConnection;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations/sqlite");

/// A pool of database connections shared by every request.
#[derive(Clone)]
pub struct Database {
    pool: Pool<ConnectionManager<Conn>>,
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database").field("state", &self.pool.state()).finish()
    }
}

/// Why the database could not be opened at start-up.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("unsupported database URL {0:?}: use sqlite://PATH (for example sqlite://claimdesk.db)")]
    UnsupportedUrl(String),
    #[error("PostgreSQL is not supported yet ({0}); use sqlite://PATH")]
    PostgresNotYetSupported(String),
    #[error("cannot open the SQLite database at {path}: {reason}")]
    Open { path: String, reason: String },
    #[error("cannot apply database migrations: {0}")]
    Migrate(String),
}

/// Settings applied to every new SQLite connection: WAL so readers never block the writer,
/// FULL sync so that an acknowledged commit survives a crash, a busy timeout so that
/// concurrent writers queue instead of failing.
#[derive(Debug)]
struct SqlitePragmas;

impl CustomizeConnection<Conn, diesel::r2d2::Error> for SqlitePragmas {
    fn on_acquire(&self, conn: &mut Conn) -> Result<(), diesel::r2d2::Error> {
        conn.batch_execute(
            "PRAGMA journal_mode = WAL; \
             PRAGMA synchronous = FULL; \
             PRAGMA busy_timeout = 5000; \
             PRAGMA foreign_keys = ON;",
        )
        .map_err(diesel::r2d2::Error::QueryError)
    }
}

/// The file path inside an `sqlite://` URL.
pub fn sqlite_path(url: &str) -> Result<&str, OpenError> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Err(OpenError::PostgresNotYetSupported(redact(url)));
    }
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .ok_or_else(|| OpenError::UnsupportedUrl(redact(url)))?;
    // `:memory:` is one database per connection; with a pool every request would see another.
    if path.is_empty() || path.contains(":memory:") || path.starts_with("file:") {
        return Err(OpenError::UnsupportedUrl(redact(url)));
    }
    Ok(path)
}

/// Hides a password in a URL before it reaches a log line or an error message.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            format!("{}://***@{}", &url[..scheme], &url[at + 1..])
        }
        _ => url.to_owned(),
    }
}

impl Database {
    /// Opens the pool and applies pending migrations.
    pub async fn open(url: &str, pool_size: u32) -> Result<Self, OpenError> {
        let path = sqlite_path(url)?.to_owned();
        tokio::task::spawn_blocking(move || {
            let open_error = |reason: String| OpenError::Open { path: path.clone(), reason };
            let pool = Pool::builder()
                .max_size(pool_size.max(1))
                .min_idle(Some(1))
                .connection_timeout(Duration::from_secs(5))
                .connection_customizer(Box::new(SqlitePragmas))
                .build(ConnectionManager::<Conn>::new(&path))
                .map_err(|e| open_error(e.to_string()))?;
            let mut conn = pool.get().map_err(|e| open_error(e.to_string()))?;
            let applied =
                conn.run_pending_migrations(SQLITE_MIGRATIONS).map_err(|e| OpenError::Migrate(e.to_string()))?;
            for migration in applied {
                tracing::info!(%migration, "applied database migration");
            }
            drop(conn);
            Ok(Database { pool })
        })
        .await
        .map_err(|e| OpenError::Migrate(format!("migration task failed: {e}")))?
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

impl From<diesel::result::Error> for Error {
    fn from(err: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error as D};
        match &err {
            D::DatabaseError(DatabaseErrorKind::ClosedConnection, _) => Error::Unavailable(err.to_string()),
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
    fn urls_select_a_path_or_are_refused() {
        assert_eq!(sqlite_path("sqlite://claimdesk.db").ok(), Some("claimdesk.db"));
        assert_eq!(sqlite_path("sqlite:///var/lib/claimdesk.db").ok(), Some("/var/lib/claimdesk.db"));
        assert!(matches!(sqlite_path("sqlite://:memory:"), Err(OpenError::UnsupportedUrl(_))));
        assert!(matches!(sqlite_path("mysql://x"), Err(OpenError::UnsupportedUrl(_))));
        let Err(err) = sqlite_path("postgres://u:secret@db/claims") else { panic!("accepted") };
        assert!(!err.to_string().contains("secret"), "password leaked: {err}");
    }
}
