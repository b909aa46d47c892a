//! Source use cases.

use chrono::Utc;

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

    pub async fn create(&self, fields: SourceFields) -> Result<Source, Error> {
        let source = fields.into_new_source(Utc::now())?;
        self.db
            .write(move |conn| {
                sources::insert(conn, &source)?;
                Ok(source.clone())
            })
            .await
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
                Ok(source)
            })
            .await
    }
}
