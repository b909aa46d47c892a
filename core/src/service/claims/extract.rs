//! Extraction through the service: the pure extractor (`crate::extract`) run off the async
//! workers, its speakers resolved to stored sources and its candidates matched against stored
//! claims.

use std::collections::HashMap;

use chrono::Utc;
use uuid::Uuid;

use super::{Claims, DUPLICATE_THRESHOLD, insert_new, named_source, resolve_claimant, view};
use crate::{
    domain::{AttributionFields, ClaimInput, ClaimView, Claimant, Error, SourceRef, Violations},
    extract::{self, Acceptance, Candidate, Extraction, Input, MAX_ACCEPTED, text_fragment_url},
    service::{Actor, bulk},
    storage::{self, claims, sources},
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

/// One accepted candidate's outcome: the claim, and whether this acceptance created it.
pub type Accepted = (ClaimView, bool);

impl Claims {
    /// Stores the chosen candidates of an extraction in one transaction: their speakers and
    /// relays (a stored source by id or by name, else a new source of the proposed kind), each
    /// claim with its attributions (the article's URL with a text fragment quoting the
    /// sentence, the sentence as the quote, the publication date), and the sentence as the
    /// claim's context. A claim's id derives from the article and its text, so accepting the
    /// same candidate again creates nothing and answers the stored claim.
    pub async fn accept(&self, acceptance: Acceptance, actor: Actor) -> Result<Vec<Accepted>, Error> {
        let now = Utc::now();
        let mut v = Violations::default();
        if acceptance.candidates.is_empty() {
            v.push("candidates", "choose at least one candidate");
        }
        if acceptance.candidates.len() > MAX_ACCEPTED {
            v.push("candidates", format!("at most {MAX_ACCEPTED} at once, got {}", acceptance.candidates.len()));
        }
        let url = acceptance.url.as_deref().map(str::trim).map(str::to_owned);
        if let Some(u) = &url {
            v.check("url", crate::domain::source::web_url(u));
        }
        let language = v.check("language", crate::domain::language::normalize(&acceptance.language));
        for (i, c) in acceptance.candidates.iter().enumerate() {
            if c.attributions.is_empty() {
                v.push(format!("candidates[{i}].attributions"), "a candidate needs its speaker");
            }
            for (j, a) in c.attributions.iter().enumerate() {
                for (k, p) in std::iter::once(&a.speaker).chain(&a.relays).enumerate() {
                    let field = if k == 0 {
                        format!("candidates[{i}].attributions[{j}].speaker")
                    } else {
                        format!("candidates[{i}].attributions[{j}].relays[{}]", k - 1)
                    };
                    // As written, and the source to create when no source_id is given: a name
                    // the API would take for a source.
                    if let Err(Error::Validation(list)) = named_source(&p.name, p.kind).into_new_source(now) {
                        for f in list {
                            let what =
                                if f.field == "name" || f.field == "descriptor" { "name".to_owned() } else { f.field };
                            v.push(format!("{field}.{what}"), f.description);
                        }
                    }
                    if let Some(id) = &p.source_id
                        && Uuid::try_parse(id).is_err()
                    {
                        v.push(format!("{field}.source_id"), format!("{id:?} is not a source id"));
                    }
                }
            }
        }
        v.into_result()?;
        let language = language.ok_or_else(|| Error::Internal("checked but absent".into()))?;
        let rules = self.rules;
        let published = acceptance.published;
        let candidates = acceptance.candidates;
        self.db
            .write(move |conn| {
                let mut out = Vec::with_capacity(candidates.len());
                let mut refs: HashMap<Uuid, SourceRef> = HashMap::new();
                for (i, c) in candidates.iter().enumerate() {
                    let key = format!("extract\0{}\0{language}\0{}", url.as_deref().unwrap_or(""), c.claim.trim());
                    let id = bulk::content_id(key.as_bytes());
                    if claims::existing(conn, &[id])?.contains(&id) {
                        let stored = claims::get(conn, id)?;
                        out.push((view(conn, stored, &rules)?, false));
                        continue;
                    }
                    let fragment_url =
                        url.as_deref().map(|u| text_fragment_url(u, &c.selector)).filter(|u| u.len() <= 2000);
                    let mut attributions = Vec::with_capacity(c.attributions.len());
                    for a in &c.attributions {
                        let mut party = |p: &crate::extract::Party| -> Result<String, Error> {
                            let id = match &p.source_id {
                                Some(id) => Claimant::Id(crate::domain::parse_id("source_id", id)?),
                                None => Claimant::Name(p.name.trim().to_owned(), p.kind),
                            };
                            let id = resolve_claimant(conn, &id, &mut refs)?
                                .ok_or_else(|| Error::Internal("a named source resolves".into()))?;
                            Ok(id.to_string())
                        };
                        let speaker_id = party(&a.speaker)?;
                        let relay_ids = a.relays.iter().map(&mut party).collect::<Result<Vec<_>, _>>()?;
                        attributions.push(AttributionFields {
                            speaker_id,
                            stance: Some(a.stance),
                            relay_ids,
                            quote: Some(c.sentence.clone()).filter(|s| !s.trim().is_empty()),
                            url: fragment_url.clone().or_else(|| url.clone()),
                            published_at: published.map(|d| d.to_string()),
                        });
                    }
                    let input = ClaimInput {
                        text: c.claim.clone(),
                        language: language.clone(),
                        context: Some(c.sentence.clone())
                            .filter(|s| !s.trim().is_empty() && s.trim() != c.claim.trim()),
                        claimant: None,
                        claimant_id: None,
                        claimant_kind: None,
                        claimed_at: claimed_at(c, published),
                        tags: Vec::new(),
                        attributions,
                        reject_duplicates_above: None,
                    };
                    let mut new = input.validate(now).map_err(|e| prefixed(e, i))?;
                    new.claim.id = id;
                    out.push((insert_new(conn, new, &actor, &rules).map_err(|e| prefixed(e, i))?, true));
                }
                Ok(out)
            })
            .await
    }
}

/// When the claim was made: the first date of its sentence that lies before the publication
/// ("Le Kremlin a admis dimanche"), not one it announces ("d'ici quelques jours").
fn claimed_at(c: &Candidate, published: Option<chrono::NaiveDate>) -> Option<String> {
    let published = published?;
    c.dates
        .iter()
        .filter_map(|d| d.value)
        .find(|v| v.end().date_naive() <= published.succ_opt().unwrap_or(published))
        .map(|v| v.to_string())
}

/// A claim's violations named as the candidate's fields.
fn prefixed(e: Error, i: usize) -> Error {
    match e {
        Error::Validation(list) => Error::Validation(
            list.into_iter()
                .map(|f| {
                    let field = if f.field == "text" { "claim".to_owned() } else { f.field.clone() };
                    crate::domain::FieldViolation::new(format!("candidates[{i}].{field}"), f.description)
                })
                .collect(),
        ),
        other => other,
    }
}
