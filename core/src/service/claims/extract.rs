//! Extraction through the service: the pure extractor (`crate::extract`) run off the async
//! workers, its speakers resolved to stored sources and its candidates matched against stored
//! claims.

use std::collections::HashMap;

use super::{Claims, DUPLICATE_THRESHOLD};
use crate::{
    domain::Error,
    extract::{self, Extraction, Input},
    storage::{self, sources},
};

impl Claims {
    /// Proposes the attributed claims of a text; stores nothing.
    pub async fn extract(&self, input: Input) -> Result<Extraction, Error> {
        let mut extraction = tokio::task::spawn_blocking(move || extract::extract(&input))
            .await
            .map_err(|e| Error::Internal(format!("extraction task: {e}")))??;
        let mut names: Vec<String> = extraction
            .candidates
            .iter()
            .flat_map(|c| &c.attributions)
            .flat_map(|a| std::iter::once(&a.speaker).chain(&a.relays))
            .filter(|p| p.kind != crate::domain::SourceKind::Anonymous)
            .map(|p| p.name.clone())
            .collect();
        names.sort();
        names.dedup();
        let ids: HashMap<String, String> = self
            .db
            .run(move |conn| {
                storage::read(conn, |conn| {
                    let mut found = HashMap::new();
                    for name in names {
                        if let Some(id) = sources::find_by_name(conn, &name)? {
                            found.insert(name, id.to_string());
                        }
                    }
                    Ok(found)
                })
            })
            .await?;
        for c in &mut extraction.candidates {
            for a in &mut c.attributions {
                for p in std::iter::once(&mut a.speaker).chain(a.relays.iter_mut()) {
                    p.source_id = ids.get(&p.name).cloned();
                }
            }
        }
        for c in &mut extraction.candidates {
            let matches = self.duplicates_of(&c.claim, &extraction.language, DUPLICATE_THRESHOLD).await?;
            c.matches = matches.into_iter().map(|m| (m.claim.claim.id.to_string(), m.score)).collect();
        }
        Ok(extraction)
    }
}
