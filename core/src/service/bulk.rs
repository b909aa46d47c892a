//! Bulk import and export: the JSONL interchange format (README, "Bulk import and export").
//!
//! One JSON object a line. `{"type": "source", …}` is a source, `{"type": "claim", …}` (or a
//! line without `type`) a claim with its attributions and, as export writes it, its history.
//! Export writes every source, then every claim, then the merged claims (which name their
//! canonical claim), so that an import reading the file in order finds what each line names.
//! Every record has a key: its `id`, or for a line without one a UUID made from the line's
//! content, so that importing the same file twice stores nothing twice.
//!
//! An import takes lines in batches, one write transaction a batch; a line the rules refuse is
//! reported with its number and writes nothing, and a batch the database refuses is taken again
//! line by line, so one bad line never costs the others.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::claims::{resolve_claimant, views};
use crate::{
    domain::{
        Attribution, AttributionFields, Change, Claim, ClaimInput, ClaimSnapshot, ClaimStatus, Claimant, Error, Event,
        Grade, SourceFields, SourceKind, Stance, history::replay, truncate_micros,
    },
    storage::{self, Conn, Database, attributions, claims, events, sources},
};

/// The longest line an import reads.
pub const MAX_LINE_BYTES: usize = 1024 * 1024;

/// Lines per write transaction: a few seconds of writing, during which other writers wait. Each
/// batch visits the search index's B-tree pages once (`search::index_new` writes in key order),
/// so larger batches touch fewer pages a line: 4,000 took a 50,000-claim SQLite import from
/// 47 to 31 s against 1,000 (docs/benchmarks.md, "Bulk import").
pub const BATCH_LINES: usize = 4000;

/// Bytes of lines per write transaction: a batch closes at `BATCH_LINES` lines or at this many
/// bytes, whichever comes first, so that an import of long lines (up to `MAX_LINE_BYTES` each)
/// holds a few MB, not a thousand times a line.
pub const BATCH_BYTES: usize = 4 * 1024 * 1024;

/// Whether `lines` lines of `bytes` bytes make a batch.
pub fn batch_full(lines: usize, bytes: usize) -> bool {
    lines >= BATCH_LINES || bytes >= BATCH_BYTES
}

/// How many of the `pending` lines (each `size(line)` bytes) make the next batch: the first
/// `BATCH_LINES` of them or fewer, up to and with the line that reaches `BATCH_BYTES`; or, once
/// the input is `done`, what is left. `None` while too few have come.
pub fn next_batch<T>(pending: &[T], size: impl Fn(&T) -> usize, done: bool) -> Option<usize> {
    let mut bytes = 0;
    for (k, line) in pending.iter().enumerate() {
        bytes += size(line);
        if batch_full(k + 1, bytes) {
            return Some(k + 1);
        }
    }
    (done && !pending.is_empty()).then_some(pending.len())
}

/// Who the history names when a line gives no actor.
const IMPORT_ACTOR: &str = "import";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReliabilityRecord {
    pub grade: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rationale: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceRecord {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Uuid>,
    pub name: String,
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub descriptor: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub homepage: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reliability: Option<ReliabilityRecord>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttributionRecord {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Uuid>,
    pub speaker_id: Uuid,
    pub stance: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub relay_ids: Vec<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quote: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recorded_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recorded_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventRecord {
    pub version: i64,
    pub actor: String,
    pub at: DateTime<Utc>,
    /// The change as the history stores it (format 1 of `storage::events`).
    pub change: Value,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimRecord {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Uuid>,
    pub text: String,
    pub language: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claimant_id: Option<Uuid>,
    /// The claimant by name, found or created (when there is no `claimant_id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claimant: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claimant_kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claimed_at: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merged_into: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attributions: Vec<AttributionRecord>,
    /// Every change, oldest first; without it the import writes the steps that lead to the
    /// record's state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history: Option<Vec<EventRecord>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Record {
    Source(Box<SourceRecord>),
    Claim(Box<ClaimRecord>),
}

/// What became of one line.
#[derive(Debug, Clone, PartialEq)]
pub enum LineOutcome {
    Created,
    Updated,
    Unchanged,
    Rejected(String),
}

/// An import's tally, with the rejected lines and their reasons.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImportSummary {
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub rejected: u64,
    /// `(line, reason)`, the first [`MAX_REPORTED_REJECTIONS`].
    pub rejections: Vec<(u64, String)>,
}

/// Rejected lines named in a summary; past that they are only counted.
pub const MAX_REPORTED_REJECTIONS: usize = 1000;

impl ImportSummary {
    pub fn add(&mut self, line: u64, outcome: LineOutcome) {
        match outcome {
            LineOutcome::Created => self.created += 1,
            LineOutcome::Updated => self.updated += 1,
            LineOutcome::Unchanged => self.unchanged += 1,
            LineOutcome::Rejected(reason) => {
                self.rejected += 1;
                if self.rejections.len() < MAX_REPORTED_REJECTIONS {
                    self.rejections.push((line, reason));
                }
            }
        }
    }
}

/// A key made from content: a UUID (version 8) of the first bytes of its SHA-256.
pub(crate) fn content_id(content: &[u8]) -> Uuid {
    let digest = Sha256::digest(content);
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_custom_bytes(bytes).into_uuid()
}

/// A line read: its record, or why it is none.
pub fn parse_line(line: &[u8]) -> Result<Record, String> {
    if line.len() > MAX_LINE_BYTES {
        return Err(format!("the line holds {} bytes; a line is at most {MAX_LINE_BYTES}", line.len()));
    }
    let text = std::str::from_utf8(line).map_err(|e| format!("not UTF-8 (at byte {})", e.valid_up_to()))?;
    let mut value: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let Some(object) = value.as_object_mut() else { return Err("not a JSON object".to_owned()) };
    if !object.contains_key("type") {
        object.insert("type".to_owned(), Value::String("claim".to_owned()));
    }
    let keyless = !object.contains_key("id");
    let mut record: Record = serde_json::from_value(value).map_err(|e| e.to_string())?;
    if keyless {
        // The line's own content is its key: the same line imported twice is one record.
        let id = content_id(text.trim().as_bytes());
        match &mut record {
            Record::Source(s) => s.id = Some(id),
            Record::Claim(c) => c.id = Some(id),
        }
    }
    Ok(record)
}

/// Stores lines: sources and claims, in one transaction when it can; see the module's
/// documentation. `aliases` maps the ids of imported sources that were already stored under
/// another id (same name) to that id, across batches.
#[derive(Debug, Clone)]
pub struct Importer {
    db: Database,
    actor: String,
}

/// Sources named under another id in the database than in the file.
pub type SourceAliases = HashMap<Uuid, Uuid>;

impl Importer {
    pub fn new(db: Database, actor: String) -> Self {
        Importer { db, actor }
    }

    /// Imports one batch of `(line number, record or why it is none)`; answers each line's
    /// outcome. Claims get their search entry in the same transaction.
    pub async fn import_batch(
        &self,
        lines: Vec<(u64, Result<Record, String>)>,
        aliases: &mut SourceAliases,
    ) -> Result<Vec<(u64, LineOutcome)>, Error> {
        let actor = self.actor.clone();
        let known = aliases.clone();
        // Shared with the transaction, not copied: a batch is the largest thing an import holds.
        let lines = Arc::new(lines);
        let batch = Arc::clone(&lines);
        let whole = self
            .db
            .write(move |conn| {
                let mut aliases = known.clone();
                let mut pending = Pending::load(conn, &batch, &aliases)?;
                let mut outcomes = Vec::with_capacity(batch.len());
                for (line, record) in batch.iter() {
                    let outcome = match record {
                        Ok(record) => import_record(conn, record, &actor, &mut aliases, &mut pending)?,
                        Err(reason) => LineOutcome::Rejected(reason.clone()),
                    };
                    outcomes.push((*line, outcome));
                }
                pending.flush(conn)?;
                Ok((outcomes, aliases))
            })
            .await;
        match whole {
            Ok((outcomes, found)) => {
                *aliases = found;
                Ok(outcomes)
            }
            Err(e @ (Error::Unavailable(_) | Error::Overloaded | Error::DeadlineExceeded)) => Err(e),
            // A line the database refused: each line alone, so that only it is lost.
            Err(_) => {
                let mut outcomes = Vec::with_capacity(lines.len());
                for (line, record) in lines.iter() {
                    let outcome = match record {
                        Err(reason) => LineOutcome::Rejected(reason.clone()),
                        Ok(record) => {
                            let record = record.clone();
                            let (actor, known) = (self.actor.clone(), aliases.clone());
                            let one = self
                                .db
                                .write(move |conn| {
                                    let mut aliases = known.clone();
                                    let one = [(0, Ok(record.clone()))];
                                    let mut pending = Pending::load(conn, &one, &aliases)?;
                                    let outcome = import_record(conn, &record, &actor, &mut aliases, &mut pending)?;
                                    pending.flush(conn)?;
                                    Ok((outcome, aliases))
                                })
                                .await;
                            match one {
                                Ok((outcome, found)) => {
                                    *aliases = found;
                                    outcome
                                }
                                Err(e @ (Error::Unavailable(_) | Error::Overloaded | Error::DeadlineExceeded)) => {
                                    return Err(e);
                                }
                                Err(e) => LineOutcome::Rejected(e.to_string()),
                            }
                        }
                    };
                    outcomes.push((*line, outcome));
                }
                Ok(outcomes)
            }
        }
    }
}

/// A rule's refusal as a line's reason: each field and why.
fn reason(err: Error) -> Result<LineOutcome, Error> {
    match err {
        Error::Validation(v) => Ok(LineOutcome::Rejected(
            v.into_iter().map(|v| format!("{}: {}", v.field, v.description)).collect::<Vec<_>>().join("; "),
        )),
        Error::Precondition { description, .. } => Ok(LineOutcome::Rejected(description)),
        Error::AlreadyExists { message, .. } => Ok(LineOutcome::Rejected(message)),
        other => Err(other),
    }
}

/// What a batch's transaction knows and holds back: which of the ids its lines name are
/// stored (read once for the batch), and the new claims, written together by [`Pending::flush`]
/// in multi-row inserts and indexed together.
#[derive(Debug, Default)]
struct Pending {
    stored_claims: HashSet<Uuid>,
    stored_sources: HashSet<Uuid>,
    ids: HashSet<Uuid>,
    claims: Vec<Claim>,
    attributions: Vec<Attribution>,
    events: Vec<Event>,
}

impl Pending {
    fn load(conn: &mut Conn, batch: &[(u64, Result<Record, String>)], aliases: &SourceAliases) -> Result<Self, Error> {
        let alias = |id: Uuid| aliases.get(&id).copied().unwrap_or(id);
        let mut claim_ids = Vec::new();
        let mut source_ids = Vec::new();
        for (_, record) in batch {
            if let Ok(Record::Claim(c)) = record {
                claim_ids.extend(c.id);
                claim_ids.extend(c.merged_into);
                source_ids.extend(c.claimant_id.map(alias));
                for a in &c.attributions {
                    source_ids.push(alias(a.speaker_id));
                    source_ids.extend(a.relay_ids.iter().copied().map(alias));
                }
            }
        }
        source_ids.sort();
        source_ids.dedup();
        Ok(Pending {
            stored_claims: claims::existing(conn, &claim_ids)?,
            stored_sources: attributions::existing_sources(conn, &source_ids)?,
            ..Pending::default()
        })
    }

    fn flush(&mut self, conn: &mut Conn) -> Result<(), Error> {
        if self.claims.is_empty() {
            return Ok(());
        }
        claims::insert_many(conn, &self.claims)?;
        attributions::insert_many(conn, &self.attributions)?;
        events::append_many(conn, &self.events)?;
        let canonical: Vec<Uuid> = self.claims.iter().filter(|c| c.merged_into.is_none()).map(|c| c.id).collect();
        storage::search::index_new(conn, &canonical)?;
        for into in self.claims.iter().filter_map(|c| c.merged_into) {
            storage::search::index_claim(conn, into)?;
        }
        self.stored_claims.extend(self.ids.drain());
        self.claims.clear();
        self.attributions.clear();
        self.events.clear();
        Ok(())
    }
}

fn import_record(
    conn: &mut Conn,
    record: &Record,
    actor: &str,
    aliases: &mut SourceAliases,
    pending: &mut Pending,
) -> Result<LineOutcome, Error> {
    let outcome = match record {
        Record::Source(s) => import_source(conn, s, aliases, pending),
        Record::Claim(c) => import_claim(conn, c, actor, aliases, pending),
    };
    outcome.or_else(reason)
}

fn import_source(
    conn: &mut Conn,
    record: &SourceRecord,
    aliases: &mut SourceAliases,
    pending: &mut Pending,
) -> Result<LineOutcome, Error> {
    let now = Utc::now();
    let kind = SourceKind::parse(&record.kind).map_err(|e| Error::invalid("kind", e))?;
    let reliability = match &record.reliability {
        Some(r) => Some((
            Some(Grade::parse(&r.grade).map_err(|e| Error::invalid("reliability.grade", e))?),
            r.rationale.clone(),
        )),
        None => None,
    };
    let fields = SourceFields {
        name: record.name.clone(),
        kind: Some(kind),
        descriptor: record.descriptor.clone(),
        homepage: record.homepage.clone(),
        aliases: record.aliases.clone(),
        reliability,
        notes: record.notes.clone(),
    };
    let mut source = fields.into_new_source(now)?;
    let id = record.id.ok_or_else(|| Error::Internal("source record without a key".into()))?;
    source.id = id;
    source.version = record.version.unwrap_or(1).max(1);
    source.created_at = truncate_micros(record.created_at.unwrap_or(now));
    source.updated_at = truncate_micros(record.updated_at.unwrap_or(source.created_at));
    let stored = sources::get(conn, id);
    if let Ok(stored) = &stored {
        // What the line leaves out is what is stored: a rerun of the same line changes nothing.
        if record.created_at.is_none() {
            source.created_at = stored.created_at;
        }
        if record.updated_at.is_none() {
            source.updated_at = stored.updated_at;
        }
    }
    match stored {
        Ok(stored) if stored == source => return Ok(LineOutcome::Unchanged),
        Ok(stored) if source.version > stored.version => {
            sources::update(conn, &source, stored.version)?;
            return Ok(LineOutcome::Updated);
        }
        Ok(stored) => {
            return Ok(LineOutcome::Rejected(format!(
                "source {id} is stored with other content at version {} (the line has {})",
                stored.version, source.version
            )));
        }
        Err(Error::NotFound { .. }) => {}
        Err(other) => return Err(other),
    }
    match sources::insert(conn, &source) {
        Ok(()) => {
            pending.stored_sources.insert(id);
            Ok(LineOutcome::Created)
        }
        // Known under another id: claims of the file that name this id get that source.
        Err(Error::AlreadyExists { existing_id, .. }) => {
            let existing = Uuid::try_parse(&existing_id).map_err(|e| Error::Internal(e.to_string()))?;
            aliases.insert(id, existing);
            pending.stored_sources.insert(existing);
            Ok(LineOutcome::Unchanged)
        }
        Err(other) => Err(other),
    }
}

/// The claim a record describes, checked by the API's rules, with its attributions.
fn checked_claim(record: &ClaimRecord, aliases: &SourceAliases) -> Result<(Claim, Claimant, Vec<Attribution>), Error> {
    let id = record.id.ok_or_else(|| Error::Internal("claim record without a key".into()))?;
    let now = Utc::now();
    let created_at = truncate_micros(record.created_at.unwrap_or(now));
    let alias = |id: Uuid| aliases.get(&id).copied().unwrap_or(id);
    let input = ClaimInput {
        text: record.text.clone(),
        language: record.language.clone(),
        context: record.context.clone(),
        claimant: if record.claimant_id.is_some() { None } else { record.claimant.clone() },
        claimant_id: record.claimant_id.map(|c| alias(c).to_string()),
        claimant_kind: record
            .claimant_kind
            .as_deref()
            .map(SourceKind::parse)
            .transpose()
            .map_err(|e| Error::invalid("claimant_kind", e))?,
        claimed_at: record.claimed_at.clone(),
        tags: record.tags.clone(),
        attributions: Vec::new(),
        reject_duplicates_above: None,
    };
    let new = input.validate(created_at)?;
    let mut claim = new.claim;
    claim.id = id;
    claim.status = match &record.status {
        Some(s) => ClaimStatus::parse(s).map_err(|e| Error::invalid("status", e))?,
        None => ClaimStatus::Unverified,
    };
    claim.created_at = created_at;
    claim.updated_at = truncate_micros(record.updated_at.unwrap_or(created_at));
    claim.merged_into = record.merged_into;
    let mut list = Vec::with_capacity(record.attributions.len());
    for (i, a) in record.attributions.iter().enumerate() {
        let fields = AttributionFields {
            speaker_id: alias(a.speaker_id).to_string(),
            stance: Some(Stance::parse(&a.stance).map_err(|e| Error::invalid(format!("attributions[{i}].stance"), e))?),
            relay_ids: a.relay_ids.iter().map(|r| alias(*r).to_string()).collect(),
            quote: a.quote.clone(),
            url: a.url.clone(),
            published_at: a.published_at.clone(),
        };
        let valid = fields.validate().map_err(|e| match e {
            Error::Validation(v) => Error::Validation(
                v.into_iter()
                    .map(|v| {
                        crate::domain::FieldViolation::new(format!("attributions[{i}].{}", v.field), v.description)
                    })
                    .collect(),
            ),
            other => other,
        })?;
        // A keyless attribution is keyed by its claim and its place in the line.
        let attribution_id = a.id.unwrap_or_else(|| content_id(format!("{id}/{i}").as_bytes()));
        let recorded_by = a.recorded_by.clone().unwrap_or_else(|| IMPORT_ACTOR.to_owned());
        list.push(valid.into_attribution(attribution_id, id, &recorded_by, a.recorded_at.unwrap_or(created_at)));
    }
    Ok((claim, new.claimant, list))
}

fn import_claim(
    conn: &mut Conn,
    record: &ClaimRecord,
    actor: &str,
    aliases: &mut SourceAliases,
    pending: &mut Pending,
) -> Result<LineOutcome, Error> {
    let (mut claim, claimant, attributions) = checked_claim(record, aliases)?;
    // The same claim twice in a batch, or a merged claim whose canonical may be held back:
    // what is held back is written first, and the line then sees it stored.
    if pending.ids.contains(&claim.id) || claim.merged_into.is_some() {
        pending.flush(conn)?;
    }
    let history: Option<Vec<Event>> = record
        .history
        .as_ref()
        .map(|events| {
            events
                .iter()
                .map(|e| {
                    let change = events::change_from_json(&e.change)
                        .map_err(|why| Error::invalid("history", format!("version {}: {why}", e.version)))?;
                    Ok(Event { claim_id: claim.id, version: e.version, actor: e.actor.clone(), at: e.at, change })
                })
                .collect::<Result<Vec<_>, Error>>()
        })
        .transpose()?;

    // Every source the line names must be stored (its own claimant by name aside).
    let mut named: Vec<Uuid> =
        attributions.iter().flat_map(|a| std::iter::once(a.speaker_id).chain(a.relay_ids.clone())).collect();
    if let Claimant::Id(id) = claimant {
        named.push(id);
    }
    named.sort();
    named.dedup();
    let missing: Vec<Uuid> = named.into_iter().filter(|id| !pending.stored_sources.contains(id)).collect();
    if !missing.is_empty() {
        let list: Vec<String> = missing.iter().map(Uuid::to_string).collect();
        return Ok(LineOutcome::Rejected(format!(
            "no source has id {}: import the sources first (export writes them before the claims)",
            list.join(", ")
        )));
    }
    if let Some(canonical) = claim.merged_into
        && !pending.stored_claims.contains(&canonical)
    {
        return Ok(LineOutcome::Rejected(format!("merged_into names claim {canonical}, which is not stored")));
    }
    claim.claimant_id = resolve_claimant(conn, &claimant, &mut HashMap::new())?;

    let events = match history {
        Some(history) => {
            let replayed = replay(&history).map_err(|why| Error::invalid("history", why))?;
            let stated: std::collections::BTreeMap<Uuid, Attribution> =
                attributions.iter().map(|a| (a.id, a.clone())).collect();
            if replayed.claim != ClaimSnapshot::of(&claim) || replayed.attributions != stated {
                return Ok(LineOutcome::Rejected(
                    "the history does not lead to the claim and attributions the line states".to_owned(),
                ));
            }
            claim.version = replayed.version;
            history
        }
        None => synthesized(&mut claim, &attributions, actor),
    };
    if let Some(v) = record.version
        && v != claim.version
    {
        return Ok(LineOutcome::Rejected(format!("version {v}, but the history holds {} change(s)", claim.version)));
    }

    if !pending.stored_claims.contains(&claim.id) {
        pending.ids.insert(claim.id);
        pending.claims.push(claim);
        pending.attributions.extend(attributions);
        pending.events.extend(events);
        return Ok(LineOutcome::Created);
    }
    match claims::get(conn, claim.id) {
        Ok(stored) => {
            let held = attributions::all_for_claim(conn, claim.id)?;
            // What the line leaves out is what is stored: a rerun of the same line changes nothing.
            if record.created_at.is_none() {
                claim.created_at = stored.created_at;
            }
            if record.updated_at.is_none() {
                claim.updated_at = stored.updated_at;
            }
            let mut stated = attributions.clone();
            for (a, given) in stated.iter_mut().zip(&record.attributions) {
                if let Some(h) = held.iter().find(|h| h.id == a.id).filter(|_| given.recorded_at.is_none()) {
                    a.recorded_at = h.recorded_at;
                }
            }
            let mut held_sorted = held.clone();
            held_sorted.sort_by_key(|a| a.id);
            stated.sort_by_key(|a| a.id);
            if stored == claim && held_sorted == stated {
                return Ok(LineOutcome::Unchanged);
            }
            // A later state of the same claim: the history goes on from the stored one.
            let stored_events = events::list(conn, claim.id, 0, u32::MAX)?;
            let extends = claim.version > stored.version
                && record.history.is_some()
                && events.len() >= stored_events.len()
                && events[..stored_events.len()] == stored_events[..];
            if !extends {
                return Ok(LineOutcome::Rejected(format!(
                    "claim {} is stored with other content at version {} (the line has version {})",
                    claim.id, stored.version, claim.version
                )));
            }
            claims::update(conn, &claim, stored.version, true)?;
            for a in &held {
                attributions::delete(conn, a.id)?;
            }
            for a in &attributions {
                attributions::insert(conn, a)?;
            }
            for event in &events[stored_events.len()..] {
                events::append(conn, event)?;
            }
            storage::search::index_claim(conn, claim.id)?;
            Ok(LineOutcome::Updated)
        }
        Err(Error::NotFound { .. }) => {
            pending.ids.insert(claim.id);
            pending.claims.push(claim);
            pending.attributions.extend(attributions);
            pending.events.extend(events);
            Ok(LineOutcome::Created)
        }
        Err(other) => Err(other),
    }
}

/// The steps that lead to a claim stated without its history: created unverified, each
/// statement, then the status through `in_review`.
fn synthesized(claim: &mut Claim, attributions: &[Attribution], actor: &str) -> Vec<Event> {
    let mut snapshot = ClaimSnapshot::of(claim);
    snapshot.status = ClaimStatus::Unverified;
    let mut events = vec![Event {
        claim_id: claim.id,
        version: 1,
        actor: actor.to_owned(),
        at: claim.created_at,
        change: Change::Created { claim: snapshot },
    }];
    let mut push = |change: Change, at: DateTime<Utc>| {
        let version = events.len() as i64 + 1;
        events.push(Event { claim_id: claim.id, version, actor: actor.to_owned(), at, change });
    };
    for a in attributions {
        push(Change::AttributionAdded { attribution: a.clone() }, a.recorded_at);
    }
    let mut steps = Vec::new();
    if claim.status != ClaimStatus::Unverified {
        steps.push((ClaimStatus::Unverified, ClaimStatus::InReview));
    }
    if claim.status.is_verdict() {
        steps.push((ClaimStatus::InReview, claim.status));
    }
    for (from, to) in steps {
        let note = to.is_verdict().then(|| "imported".to_owned());
        push(Change::StatusChanged { from, to, note }, claim.updated_at);
    }
    claim.version = events.len() as i64;
    events
}

/// What export writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// Everything, as import reads it.
    Jsonl,
    /// The claims, one row each, for spreadsheets.
    Csv,
}

/// Rows read per query: memory stays flat whatever the database holds.
const EXPORT_PAGE: i64 = 500;

/// The columns of the CSV export.
pub const CSV_HEADER: [&str; 12] = [
    "id",
    "text",
    "language",
    "status",
    "sourcing_level",
    "claimant",
    "claimed_at",
    "tags",
    "attributions",
    "created_at",
    "updated_at",
    "merged_into",
];

/// Writes the database to `out` page by page; answers how many sources and claims.
pub async fn export(
    db: &Database,
    format: ExportFormat,
    rules: crate::domain::SourcingRules,
    mut out: impl std::io::Write,
) -> Result<(u64, u64), Error> {
    let io = |e: std::io::Error| Error::Internal(format!("cannot write the export: {e}"));
    if format == ExportFormat::Csv {
        out.write_all(&csv_line(&CSV_HEADER)?).map_err(io)?;
    }
    let mut counts = (0, 0);
    if format == ExportFormat::Jsonl {
        let mut after: Option<Uuid> = None;
        loop {
            let page = db.run(move |conn| sources::page_after(conn, after, EXPORT_PAGE)).await?;
            for source in &page {
                let record = Record::Source(Box::new(SourceRecord {
                    id: Some(source.id),
                    name: source.name.clone(),
                    kind: source.kind.as_str().to_owned(),
                    descriptor: source.descriptor.clone(),
                    homepage: source.homepage.clone(),
                    aliases: source.aliases.clone(),
                    reliability: source.reliability.as_ref().map(|r| ReliabilityRecord {
                        grade: r.grade.as_str().to_owned(),
                        rationale: r.rationale.clone(),
                    }),
                    notes: source.notes.clone(),
                    version: Some(source.version),
                    created_at: Some(source.created_at),
                    updated_at: Some(source.updated_at),
                }));
                serde_json::to_writer(&mut out, &record).map_err(|e| Error::Internal(e.to_string()))?;
                out.write_all(b"\n").map_err(io)?;
            }
            counts.0 += page.len() as u64;
            match page.last() {
                Some(last) if page.len() as i64 == EXPORT_PAGE => after = Some(last.id),
                _ => break,
            }
        }
    }
    // Canonical claims first, merged ones after: an import finds what `merged_into` names.
    for merged in [false, true] {
        let mut after: Option<Uuid> = None;
        loop {
            let page = db
                .run(move |conn| {
                    storage::read(conn, |conn| {
                        let claims = claims::page_after(conn, after, merged, EXPORT_PAGE)?;
                        let ids: Vec<Uuid> = claims.iter().map(|c| c.id).collect();
                        let statements = attributions::all_for_claims(conn, &ids)?;
                        let histories = events::for_claims(conn, &ids)?;
                        let views = views(conn, claims.clone(), &rules)?;
                        Ok((claims, statements, histories, views))
                    })
                })
                .await?;
            let (claims, mut statements, mut histories, views) = page;
            for (claim, view) in claims.iter().zip(&views) {
                match format {
                    ExportFormat::Csv => {
                        let count = statements.get(&claim.id).map_or(0, Vec::len).to_string();
                        let row = [
                            claim.id.to_string(),
                            claim.text.clone(),
                            claim.language.clone(),
                            claim.status.as_str().to_owned(),
                            view.sourcing.level.as_str().to_owned(),
                            view.claimant.as_ref().map(|c| c.name.clone()).unwrap_or_default(),
                            claim.claimed_at.map(|d| d.to_string()).unwrap_or_default(),
                            claim.tags.join(";"),
                            count,
                            claim.created_at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
                            claim.updated_at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
                            claim.merged_into.map(|m| m.to_string()).unwrap_or_default(),
                        ];
                        out.write_all(&csv_line(&row)?).map_err(io)?;
                    }
                    ExportFormat::Jsonl => {
                        let record = claim_record(
                            claim,
                            statements.remove(&claim.id).unwrap_or_default(),
                            histories.remove(&claim.id).unwrap_or_default(),
                        )?;
                        serde_json::to_writer(&mut out, &Record::Claim(Box::new(record)))
                            .map_err(|e| Error::Internal(e.to_string()))?;
                        out.write_all(b"\n").map_err(io)?;
                    }
                }
            }
            counts.1 += claims.len() as u64;
            match claims.last() {
                Some(last) if claims.len() as i64 == EXPORT_PAGE => after = Some(last.id),
                _ => break,
            }
        }
    }
    out.flush().map_err(io)?;
    Ok(counts)
}

/// One CSV row, quoted as RFC 4180 says.
fn csv_line<T: AsRef<[u8]>>(fields: &[T]) -> Result<Vec<u8>, Error> {
    let mut w = csv::WriterBuilder::new().has_headers(false).from_writer(Vec::new());
    w.write_record(fields).map_err(|e| Error::Internal(e.to_string()))?;
    w.into_inner().map_err(|e| Error::Internal(e.to_string()))
}

fn claim_record(claim: &Claim, statements: Vec<Attribution>, history: Vec<Event>) -> Result<ClaimRecord, Error> {
    Ok(ClaimRecord {
        id: Some(claim.id),
        text: claim.text.clone(),
        language: claim.language.clone(),
        context: claim.context.clone(),
        claimant_id: claim.claimant_id,
        claimant: None,
        claimant_kind: None,
        claimed_at: claim.claimed_at.map(|d| d.to_string()),
        tags: claim.tags.clone(),
        status: Some(claim.status.as_str().to_owned()),
        version: Some(claim.version),
        created_at: Some(claim.created_at),
        updated_at: Some(claim.updated_at),
        merged_into: claim.merged_into,
        attributions: statements
            .into_iter()
            .map(|a| AttributionRecord {
                id: Some(a.id),
                speaker_id: a.speaker_id,
                stance: a.stance.as_str().to_owned(),
                relay_ids: a.relay_ids,
                quote: a.quote,
                url: a.url,
                published_at: a.published_at.map(|d| d.to_string()),
                recorded_by: Some(a.recorded_by),
                recorded_at: Some(a.recorded_at),
            })
            .collect(),
        history: Some(
            history
                .into_iter()
                .map(|e| {
                    Ok(EventRecord {
                        version: e.version,
                        actor: e.actor,
                        at: e.at,
                        change: events::change_json(&e.change)?,
                    })
                })
                .collect::<Result<Vec<_>, Error>>()?,
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::search::Sql;

    #[test]
    fn a_batch_closes_at_its_line_count_or_its_bytes() {
        let len = |s: &usize| *s;
        // Short lines: BATCH_LINES make a batch; fewer wait for more, unless the input ended.
        assert_eq!(next_batch(&vec![100; BATCH_LINES * 2 + 10], len, false), Some(BATCH_LINES));
        assert_eq!(next_batch(&vec![100; BATCH_LINES - 1], len, false), None);
        assert_eq!(next_batch(&vec![100; BATCH_LINES - 1], len, true), Some(BATCH_LINES - 1));
        assert_eq!(next_batch::<usize>(&[], len, true), None);
        // Lines of a MB: four make a batch (the fourth reaches 4 MiB), whatever comes after.
        assert_eq!(next_batch(&[MAX_LINE_BYTES; 10], len, false), Some(4));
        assert_eq!(next_batch(&[MAX_LINE_BYTES; 3], len, false), None);
        assert_eq!(next_batch(&[MAX_LINE_BYTES; 3], len, true), Some(3));
        // One line past the cap is a batch of its own.
        assert_eq!(next_batch(&[BATCH_BYTES + 1, 10], len, false), Some(1));
    }

    #[derive(Debug, PartialEq, diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        line: String,
    }

    /// The index as rows of text, in order: postings, documents, and non-zero statistics.
    fn index_rows(conn: &mut Conn) -> Vec<String> {
        let mut out = Vec::new();
        for query in [
            "SELECT term || ' ' || claim_id || ' ' || CAST(tf AS TEXT) AS line FROM search_postings ORDER BY term, claim_id",
            "SELECT claim_id || ' ' || CAST(len AS TEXT) || ' ' || sim_text AS line FROM search_docs ORDER BY claim_id",
            "SELECT term || ' ' || CAST(SUM(df) AS TEXT) AS line FROM search_stats GROUP BY term HAVING SUM(df) <> 0 ORDER BY term",
        ] {
            let rows: Vec<Row> = Sql::new(query).load(conn).expect("index read");
            out.extend(rows.into_iter().map(|r| r.line));
        }
        out
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_bulk_import_indexes_claims_as_one_by_one_changes_do() {
        let dir = tempfile::tempdir().expect("temp dir");
        let config = crate::storage::DatabaseConfig {
            url: format!("sqlite://{}", dir.path().join("t.db").display()),
            pool_size: 2,
            connect_timeout: std::time::Duration::ZERO,
            busy_timeout: crate::storage::DatabaseConfig::DEFAULT_BUSY_TIMEOUT,
        };
        let db = Database::open(&config).await.expect("db");
        let source = "01964b6e-7a4f-7c3e-9d2a-5b8c1e0f3a47";
        let lines = [
            format!(
                r#"{{"type":"source","id":"{source}","name":"Miami Herald","kind":"news_outlet","aliases":["El Nuevo Herald"]}}"#
            ),
            format!(
                r#"{{"text":"Les États-Unis se préparaient à bombarder des installations militaires","language":"fr","claimant_id":"{source}","context":"Selon le Miami Herald","attributions":[{{"speaker_id":"{source}","stance":"asserts","quote":"frappes imminentes"}}]}}"#
            ),
            r#"{"text":"Three B-52 bombers flew off the Venezuelan coast","language":"en","tags":["venezuela"]}"#
                .to_owned(),
            r#"{"text":"Maduro a demandé l'aide militaire de la Russie","language":"fr","claimant":"Washington Post"}"#
                .to_owned(),
        ];
        let batch: Vec<(u64, Result<Record, String>)> =
            lines.iter().enumerate().map(|(i, l)| (i as u64 + 1, parse_line(l.as_bytes()))).collect();
        let outcomes = Importer::new(db.clone(), "test".into())
            .import_batch(batch, &mut SourceAliases::new())
            .await
            .expect("imported");
        assert!(outcomes.iter().all(|(_, o)| *o == LineOutcome::Created), "{outcomes:?}");

        let (bulk, again) = db
            .write(|conn| {
                let bulk = index_rows(conn);
                let ids: Vec<Uuid> = claims::page_after(conn, None, false, 100)?.iter().map(|c| c.id).collect();
                assert_eq!(ids.len(), 3);
                for id in ids {
                    storage::search::index_claim(conn, id)?;
                }
                Ok((bulk, index_rows(conn)))
            })
            .await
            .expect("indexed");
        assert!(bulk.iter().any(|l| l.contains("bombard")), "{bulk:?}");
        assert!(bulk.iter().any(|l| l.contains("herald")), "the claimant's names are in: {bulk:?}");
        assert_eq!(bulk, again, "indexing each claim again changes nothing");
    }
}
