//! Source use cases.

use chrono::Utc;

use super::{Created, IdempotencyKey};
use crate::{
    domain::{Error, Page, Source, SourceFields, SourceListParams, parse_id},
    storage::{Database, sources},
};

#[derive(Debug, Clone)]
pub struct Sources {
    db: Database,
}

impl Sources {
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    /// Creates a source; with an idempotency key, a retry of the same request answers the
    /// source it created (`true`: replayed) instead of a conflict.
    pub async fn create(&self, fields: SourceFields, key: Option<IdempotencyKey>) -> Result<(Source, bool), Error> {
        let now = Utc::now();
        let source = fields.into_new_source(now)?;
        let created = self
            .db
            .write(move |conn| {
                if let Some(earlier) = super::claim_key(conn, key.as_ref(), &source.id.to_string(), now)? {
                    return Ok(Created::Replayed(earlier));
                }
                sources::insert(conn, &source)?;
                Ok(Created::New(source.clone()))
            })
            .await?;
        match created {
            Created::New(source) => Ok((source, false)),
            Created::Replayed(id) => Ok((self.get(&id).await?, true)),
        }
    }

    /// Indexes for search the sources stored before source search existed, a batch per
    /// transaction; answers how many. Run at start-up (names are otherwise indexed as written).
    pub async fn index_backlog(&self) -> Result<usize, Error> {
        const BATCH: i64 = 500;
        let (mut total, mut after) = (0, None::<String>);
        loop {
            let from = after.clone();
            let (last, done) = self.db.write(move |conn| sources::index_backlog(conn, from.as_deref(), BATCH)).await?;
            total += done;
            match last {
                Some(last) => after = Some(last),
                None => return Ok(total),
            }
        }
    }

    pub async fn get(&self, id: &str) -> Result<Source, Error> {
        let id = parse_id("id", id)?;
        self.db.run(move |conn| sources::get(conn, id)).await
    }

    pub async fn list(&self, params: SourceListParams) -> Result<Page<Source>, Error> {
        let filter = params.into_filter()?;
        self.db.run(move |conn| sources::list(conn, &filter)).await
    }

    pub async fn update(
        &self,
        id: &str,
        expected_version: i64,
        fields: SourceFields,
        paths: Vec<String>,
    ) -> Result<Source, Error> {
        let id = parse_id("id", id)?;
        if paths.is_empty() {
            return Err(Error::invalid("update_mask", "name at least one field to change"));
        }
        self.db
            .write(move |conn| {
                let mut source = sources::get(conn, id)?;
                super::check_version(source.version, expected_version)?;
                let paths: Vec<&str> = paths.iter().map(String::as_str).collect();
                fields.clone().apply(&mut source, &paths)?;
                source.version += 1;
                source.updated_at = crate::domain::truncate_micros(Utc::now());
                sources::update(conn, &source, expected_version)?;
                // Claims are found by their claimant's names and aliases.
                if paths.iter().any(|p| matches!(*p, "name" | "aliases")) {
                    for claim in crate::storage::search::claims_of(conn, source.id)? {
                        crate::storage::search::index_claim(conn, claim)?;
                    }
                }
                Ok(source)
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        domain::SourceKind,
        storage::{
            DatabaseConfig,
            search::{Bind, Sql},
        },
    };

    fn names(page: &Page<Source>) -> Vec<&str> {
        page.items.iter().map(|s| s.name.as_str()).collect()
    }

    /// Sources stored before source search existed have no terms: the start-up backlog gives
    /// them theirs, and only to them.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sources_stored_before_search_existed_are_indexed_at_start_up() {
        let dir = tempfile::tempdir().expect("temp dir");
        let config = DatabaseConfig {
            url: format!("sqlite://{}", dir.path().join("t.db").display()),
            pool_size: 2,
            connect_timeout: std::time::Duration::ZERO,
            busy_timeout: DatabaseConfig::DEFAULT_BUSY_TIMEOUT,
        };
        let sources = Sources::new(Database::open(&config).await.expect("db"));
        let fields = |name: &str, aliases: &[&str]| SourceFields {
            name: name.into(),
            kind: Some(SourceKind::OfficialBody),
            aliases: aliases.iter().map(|a| (*a).to_owned()).collect(),
            ..SourceFields::default()
        };
        let (ministry, _) =
            sources.create(fields("Ministry of Foreign Affairs", &["MFA"]), None).await.expect("source");
        sources.create(fields("Élysée", &["Présidence de la République"]), None).await.expect("source");
        let search = |q: &str| SourceListParams { query: Some(q.into()), ..SourceListParams::default() };

        let id = ministry.id.to_string();
        sources
            .db
            .write(move |conn| {
                let mut delete = Sql::new("DELETE FROM source_terms WHERE source_id = ?");
                delete.bind(Bind::Text(id.clone()));
                delete.execute(conn)
            })
            .await
            .expect("terms deleted");
        assert!(sources.list(search("ministries")).await.expect("listed").items.is_empty());

        assert_eq!(sources.index_backlog().await.expect("backlog"), 1, "only the source without terms");
        assert_eq!(names(&sources.list(search("ministries")).await.expect("listed")), ["Ministry of Foreign Affairs"]);
        assert_eq!(names(&sources.list(search("mfa")).await.expect("listed")), ["Ministry of Foreign Affairs"]);
        assert_eq!(names(&sources.list(search("présid")).await.expect("listed")), ["Élysée"]);
        assert_eq!(sources.index_backlog().await.expect("backlog"), 0);
    }
}
