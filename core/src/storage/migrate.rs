//! Migrations: one folder per backend with the same names, embedded in the binary. On
//! PostgreSQL they run under an advisory lock so that instances starting together do not race.

use diesel::{connection::SimpleConnection, migration::MigrationVersion};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use super::Conn;

const SQLITE: EmbeddedMigrations = embed_migrations!("../migrations/sqlite");
const POSTGRES: EmbeddedMigrations = embed_migrations!("../migrations/postgres");
/// Any fixed number; instances agree on it to take turns at migrating.
const MIGRATION_LOCK: i64 = 0x636c_6169_6d64_6573; // "claimdes"

type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn source(conn: &Conn) -> EmbeddedMigrations {
    match conn {
        Conn::Sqlite(_) => SQLITE,
        Conn::Pg(_) => POSTGRES,
    }
}

/// Applies pending migrations; returns the versions applied.
pub fn run_migrations(conn: &mut Conn) -> Result<Vec<String>, BoxError> {
    let migrations = source(conn);
    let locked = matches!(conn, Conn::Pg(_));
    if locked {
        conn.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))?;
    }
    let applied =
        conn.run_pending_migrations(migrations).map(|versions| versions.iter().map(ToString::to_string).collect());
    if locked {
        conn.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"))?;
    }
    applied
}

/// Applies the next pending migration alone (tests step through them one by one).
pub fn run_next(conn: &mut Conn) -> Result<String, BoxError> {
    let migrations = source(conn);
    Ok(conn.run_next_migration(migrations)?.to_string())
}

/// Reverts the last applied migration (tests use it to check that every down undoes its up).
pub fn revert_last(conn: &mut Conn) -> Result<String, BoxError> {
    let migrations = source(conn);
    Ok(conn.revert_last_migration(migrations)?.to_string())
}

/// Applied and pending migrations, each by its folder name ("2026-11-29-000006_search"), in
/// order. A version applied that this binary does not know (a newer binary's) is named by its
/// version alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationStatus {
    pub applied: Vec<String>,
    pub pending: Vec<String>,
}

/// The migrations this binary holds for `backend`, in order: (version, folder name).
fn known(backend: super::Backend) -> Result<Vec<(String, String)>, BoxError> {
    use diesel::migration::MigrationSource;
    let pair = |name: &dyn diesel::migration::MigrationName| (name.version().to_string(), name.to_string());
    Ok(match backend {
        super::Backend::Sqlite => {
            MigrationSource::<diesel::sqlite::Sqlite>::migrations(&SQLITE)?.iter().map(|m| pair(m.name())).collect()
        }
        super::Backend::Postgres => {
            MigrationSource::<diesel::pg::Pg>::migrations(&POSTGRES)?.iter().map(|m| pair(m.name())).collect()
        }
    })
}

/// The names of the migrations this binary holds for `backend`, in order.
pub fn known_migrations(backend: super::Backend) -> Result<Vec<String>, BoxError> {
    Ok(known(backend)?.into_iter().map(|(_, name)| name).collect())
}

pub fn migration_status(conn: &mut Conn) -> Result<MigrationStatus, BoxError> {
    let migrations = source(conn);
    let applied: Vec<MigrationVersion<'static>> = conn.applied_migrations()?;
    let pending: Vec<String> = conn.pending_migrations(migrations)?.iter().map(|m| m.name().to_string()).collect();
    let backend = match conn {
        Conn::Sqlite(_) => super::Backend::Sqlite,
        Conn::Pg(_) => super::Backend::Postgres,
    };
    let known = known(backend)?;
    let mut applied: Vec<String> = applied
        .iter()
        .map(|version| {
            let version = version.to_string();
            known.iter().find(|(v, _)| *v == version).map_or(version, |(_, name)| name.clone())
        })
        .collect();
    applied.sort();
    Ok(MigrationStatus { applied, pending })
}
