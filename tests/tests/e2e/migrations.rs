//! Every migration, on both backends: up, down, up leaves the same schema, and down restores
//! the schema from before its up.

use claimdesk_core::storage::{self, Conn, DatabaseUrl};
use claimdesk_tests::{TestDatabase, postgres_available};
use diesel::{QueryableByName, RunQueryDsl, sql_query, sql_types::Text};

#[derive(QueryableByName)]
struct Line {
    #[diesel(sql_type = Text)]
    line: String,
}

/// Tables, columns (by name: a column re-added by a down migration moves to the end of the
/// table, which no query here depends on), indexes and constraints.
fn schema(conn: &mut Conn) -> Vec<String> {
    let lines: Vec<Line> = match conn {
        Conn::Sqlite(c) => sql_query(
            "SELECT m.name || '.' || p.name || ' ' || p.type || ' notnull=' || p.\"notnull\" || ' default=' || \
             coalesce(p.dflt_value, '') || ' pk=' || p.pk AS line \
             FROM sqlite_master m JOIN pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> '__diesel_schema_migrations' \
             UNION ALL SELECT 'index ' || name || ' ' || coalesce(sql, '') FROM sqlite_master \
             WHERE type = 'index' AND tbl_name <> '__diesel_schema_migrations' \
             UNION ALL SELECT 'fk ' || m.name || '.' || f.\"from\" || ' -> ' || f.\"table\" || '.' || f.\"to\" || ' ' || f.on_delete \
             FROM sqlite_master m JOIN pragma_foreign_key_list(m.name) f WHERE m.type = 'table' \
             ORDER BY 1",
        )
        .load(c),
        Conn::Pg(c) => sql_query(
            "SELECT table_name || '.' || column_name || ' ' || data_type || ' nullable=' || is_nullable || \
             ' default=' || coalesce(column_default, '') || ' collation=' || coalesce(collation_name, '') AS line \
             FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> '__diesel_schema_migrations' \
             UNION ALL SELECT 'index ' || indexdef FROM pg_indexes \
             WHERE schemaname = 'public' AND tablename <> '__diesel_schema_migrations' \
             UNION ALL SELECT 'constraint ' || conrelid::regclass || ' ' || pg_get_constraintdef(oid) FROM pg_constraint \
             WHERE connamespace = 'public'::regnamespace AND conrelid::regclass::text <> '__diesel_schema_migrations' \
             UNION ALL SELECT 'options ' || relname || ' ' || array_to_string(reloptions, ',') FROM pg_class \
             WHERE relnamespace = 'public'::regnamespace AND reloptions IS NOT NULL \
             UNION ALL SELECT 'function ' || proname || '(' || pg_get_function_arguments(oid) || ') ' || \
             pg_get_function_result(oid) || ' ' || coalesce(array_to_string(proconfig, ','), '') FROM pg_proc \
             WHERE pronamespace = 'public'::regnamespace \
             ORDER BY 1",
        )
        .load(c),
    }
    .expect("schema readable");
    lines.into_iter().map(|l| l.line).collect()
}

/// Migrations that only tune PostgreSQL (storage parameters, a function for a statement SQLite
/// runs written out): on SQLite they are `SELECT 1`, so
/// that both backends list the same migrations, and must change nothing there.
/// (diesel's versions: the folder name's date and number without dashes.)
const POSTGRES_ONLY: [&str; 4] = [
    "20261129000008", // 2026-11-29-000008_search_stats_room
    "20261129000009", // 2026-11-29-000009_candidates_function
    "20261130000014", // 2026-11-30-000014_similar_function
    "20261130000015", // 2026-11-30-000015_postings_in_claim_order
];

fn up_down_up(url: &str) {
    let url = DatabaseUrl::parse(url).expect("url");
    let mut conn = url.connect().expect("connects");
    let count = storage::migration_status(&mut conn).expect("status").pending.len();
    assert!(count >= 2, "migrations found: {count}");
    let mut before = schema(&mut conn);
    for _ in 0..count {
        let version = storage::run_next(&mut conn).expect("up");
        let after_up = schema(&mut conn);
        if matches!(conn, Conn::Sqlite(_)) && POSTGRES_ONLY.contains(&version.as_str()) {
            assert_eq!(after_up, before, "{version} is for PostgreSQL only, yet changed SQLite's schema");
        } else {
            assert_ne!(after_up, before, "{version} changed nothing");
        }
        storage::revert_last(&mut conn).expect("down");
        assert_eq!(schema(&mut conn), before, "down of {version} does not restore the schema before it");
        storage::run_next(&mut conn).expect("up again");
        assert_eq!(schema(&mut conn), after_up, "up, down, up of {version} differs from up");
        before = after_up;
    }
    assert!(storage::migration_status(&mut conn).expect("status").pending.is_empty());
}

#[test]
fn sqlite_migrations_go_up_down_up() {
    let dir = tempfile::tempdir().expect("dir");
    up_down_up(&format!("sqlite://{}", dir.path().join("m.db").display()));
}

#[test]
fn postgres_migrations_go_up_down_up() {
    if postgres_available() {
        let db = TestDatabase::create();
        up_down_up(&db.url);
    }
}
