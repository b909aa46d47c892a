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
