//! Source use cases.

use chrono::Utc;

use crate::{
    domain::{Error, Source, SourceFields, SourceKind, Violations, listing::page_size, names, parse_id},
    storage::{
        Database,
        sources::{self, SourceCursor, SourceFilter},
    },
};

pub const MAX_QUERY_CHARS: usize = 200;

#[derive(Debug, Clone)]
pub struct Sources {
    db: Database,
}

#[derive(Debug, Clone, Default)]
pub struct SourceListParams {
    pub page_size: Option<i32>,
    pub page_token: Option<String>,
    pub query: Option<String>,
    pub kind: Option<SourceKind>,
}

impl SourceListParams {
    fn into_filter(self) -> Result<SourceFilter, Error> {
        let mut v = Violations::default();
        let limit = v.check("page_size", page_size(self.page_size));
        let after = v.check(
            "page_token",
            self.page_token.as_deref().filter(|t| !t.is_empty()).map(SourceCursor::decode).transpose(),
        );
        let query = v.check(
            "query",
            self.query
                .map(|q| {
                    let chars = q.chars().count();
                    if chars > MAX_QUERY_CHARS {
                        return Err(format!("must be at most {MAX_QUERY_CHARS} characters, got {chars}"));
                    }
                    let key = names::key(&q);
                    if key.is_empty() { Err("must contain a letter or a digit".to_owned()) } else { Ok(key) }
                })
                .transpose(),
        );
        v.into_result()?;
        Ok(SourceFilter {
            limit: limit.unwrap_or_default(),
            after: after.flatten(),
            query: query.flatten(),
            kind: self.kind,
        })
    }
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

    pub async fn list(&self, params: SourceListParams) -> Result<(Vec<Source>, Option<SourceCursor>), Error> {
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
