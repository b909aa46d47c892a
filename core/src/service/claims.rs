//! Claim use cases: submit, read, list, edit, set the status, attribute, and the history.

use std::{collections::HashMap, sync::Arc};

use chrono::Utc;
use uuid::Uuid;

mod extract;
mod import;
mod search;

pub use import::{DEFAULT_LINK_THRESHOLD, ImportConfig, ImportOutcome, ImportReport, ImportedItem};
use search::Frequencies;
pub use search::{DUPLICATE_THRESHOLD, Match, SearchHit, SearchParams, Snippet};

use super::{Actor, Created, IdempotencyKey};
use crate::{
    domain::{
        Attribution, AttributionCursor, AttributionFields, Change, Claim, ClaimInput, ClaimPatch, ClaimSnapshot,
        ClaimStatus, ClaimView, Claimant, Error, Event, HistoryCursor, ListParams, NewClaim, Page, Precondition,
        ReviewFeedParams, Source, SourceFields, SourceKind, SourceRef, Sourcing, SourcingRules, Statement,
        StatementCursor, ValidAttribution, attribution,
        claimreview::{self, Publisher},
        paging, parse_id, truncate_micros,
    },
    storage::{self, Conn, Database, attributions, claims, events, sources},
};

#[derive(Clone)]
pub struct Claims {
    db: Database,
    rules: SourcingRules,
    cache: Arc<ViewCache>,
    frequencies: Arc<Frequencies>,
    duplicate_check: bool,
}

impl std::fmt::Debug for Claims {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Claims").field("db", &self.db).field("rules", &self.rules).finish_non_exhaustive()
    }
}

/// What a cached view was assembled at: the claim's version and the sources revision.
type Stamp = (i64, i64);

/// Claim views as last assembled, each under the stamp it was assembled at. A view is served
/// only while the database still reports the same stamp: one cheap statement instead of three,
/// and never stale, whichever instance made the change (ARCHITECTURE.md, "The read cache").
struct ViewCache(quick_cache::sync::Cache<Uuid, (Stamp, Arc<ClaimView>)>);

/// Views kept per core instance: a few MB.
const VIEW_CACHE_CAPACITY: usize = 4096;

impl ViewCache {
    fn get(&self, id: Uuid, stamp: Stamp) -> Option<ClaimView> {
        self.0.get(&id).filter(|(cached, _)| *cached == stamp).map(|(_, view)| ClaimView::clone(&view))
    }

    /// `revision` must have been read before the data the view was assembled from: the view is
    /// then at least that new, and it is served only while the revision has not moved.
    fn put(&self, view: &ClaimView, revision: i64) {
        self.0.insert(view.claim.id, ((view.claim.version, revision), Arc::new(view.clone())));
    }
}

/// An attribution after a change (none after a removal) and the claim as it now reads.
#[derive(Debug, Clone)]
pub struct AttributionChange {
    pub attribution: Option<Attribution>,
    pub claim: ClaimView,
}

impl Claims {
    pub fn new(db: Database, rules: SourcingRules) -> Self {
        Self {
            db,
            rules,
            cache: Arc::new(ViewCache(quick_cache::sync::Cache::new(VIEW_CACHE_CAPACITY))),
            frequencies: Arc::new(Frequencies::new()),
            duplicate_check: true,
        }
    }

    /// The database the claims are stored in.
    pub fn database(&self) -> Database {
        self.db.clone()
    }

    /// Whether every creation looks for near-duplicates (on by default).
    pub fn with_duplicate_check(self, on: bool) -> Self {
        Self { duplicate_check: on, ..self }
    }

    /// Indexes the claims stored before the search index existed, a batch per transaction;
    /// answers how many. Run at start-up (the index is otherwise kept in every change's
    /// transaction).
    pub async fn index_backlog(&self) -> Result<usize, Error> {
        let mut total = 0;
        loop {
            let done = self
                .db
                .write(|conn| {
                    let ids = storage::search::unindexed(conn, 500)?;
                    for id in &ids {
                        storage::search::index_claim(conn, *id)?;
                    }
                    Ok(ids.len())
                })
                .await?;
            total += done;
            if done < 500 {
                return Ok(total);
            }
        }
    }

    /// Creates a claim; with an idempotency key, a retry of the same request answers the claim
    /// it created (`true`: replayed) instead of creating another. Stored claims like it are
    /// looked for first and answered as possible duplicates; with `reject_duplicates_above`,
    /// one scoring that much or more refuses the claim (`Error::Duplicates`).
    pub async fn create(
        &self,
        mut input: ClaimInput,
        actor: Actor,
        key: Option<IdempotencyKey>,
    ) -> Result<(ClaimView, bool, Vec<Match>), Error> {
        let now = Utc::now();
        let reject_above = input.reject_duplicates_above.take();
        if let Some(t) = reject_above
            && !(0.0..=1.0).contains(&t)
        {
            return Err(Error::invalid("reject_duplicates_above", format!("must be between 0 and 1, got {t}")));
        }
        let new = input.validate(now)?;
        let sim_text = crate::domain::text::similarity_text(&new.claim.text, new.claim.context.as_deref());
        let threshold = reject_above.map_or(DUPLICATE_THRESHOLD, |t| t.min(DUPLICATE_THRESHOLD));
        let duplicates = if self.duplicate_check || reject_above.is_some() {
            self.duplicates_of(&sim_text, &new.claim.language, threshold).await?
        } else {
            Vec::new()
        };
        if let Some(t) = reject_above
            && duplicates.first().is_some_and(|m| m.score >= t)
        {
            return Err(Error::Duplicates {
                matches: duplicates.iter().filter(|m| m.score >= t).map(|m| (m.claim.claim.id, m.score)).collect(),
            });
        }
        let duplicates: Vec<Match> = duplicates.into_iter().filter(|m| m.score >= DUPLICATE_THRESHOLD).collect();
        let rules = self.rules;
        let created = self
            .db
            .write(move |conn| {
                if let Some(earlier) = super::claim_key(conn, key.as_ref(), &new.claim.id.to_string(), now)? {
                    return Ok(Created::Replayed(earlier));
                }
                Ok(Created::New(insert_new(conn, new.clone(), &actor, &rules)?))
            })
            .await?;
        match created {
            Created::New(view) => Ok((view, false, duplicates)),
            Created::Replayed(id) => Ok((self.get(&id).await?, true, Vec::new())),
        }
    }

    pub async fn get(&self, id: &str) -> Result<ClaimView, Error> {
        let id = parse_id("id", id)?;
        let (rules, cache) = (self.rules, self.cache.clone());
        self.db
            .run(move |conn| {
                let (version, revision) = claims::stamp(conn, id)?
                    .ok_or_else(|| Error::NotFound { resource: "claim", id: id.to_string() })?;
                if let Some(view) = cache.get(id, (version, revision)) {
                    return Ok(view);
                }
                let view = storage::read(conn, |conn| {
                    let claim = claims::get(conn, id)?;
                    view(conn, claim, &rules)
                })?;
                cache.put(&view, revision);
                Ok(view)
            })
            .await
    }

    pub async fn list(&self, params: ListParams) -> Result<Page<ClaimView>, Error> {
        let filter = params.into_filter()?;
        let (rules, cache) = (self.rules, self.cache.clone());
        self.db
            .run(move |conn| {
                storage::read(conn, |conn| {
                    // Read first: every view assembled below is at least this new.
                    let revision = sources::revision(conn)?;
                    let page = claims::list(conn, &filter)?;
                    let mut found: Vec<Option<ClaimView>> =
                        page.items.iter().map(|c| cache.get(c.id, (c.version, revision))).collect();
                    let missing: Vec<Claim> = page
                        .items
                        .into_iter()
                        .zip(&found)
                        .filter_map(|(claim, hit)| hit.is_none().then_some(claim))
                        .collect();
                    let mut assembled = views(conn, missing, &rules)?.into_iter();
                    for slot in found.iter_mut().filter(|slot| slot.is_none()) {
                        let view = assembled.next().ok_or_else(|| Error::Internal("claim view lost".into()))?;
                        cache.put(&view, revision);
                        *slot = Some(view);
                    }
                    Ok(Page { items: found.into_iter().flatten().collect(), next_page_token: page.next_page_token })
                })
            })
            .await
    }

    pub async fn update(
        &self,
        id: &str,
        expected: Precondition,
        patch: ClaimPatch,
        paths: Vec<String>,
        actor: Actor,
    ) -> Result<ClaimView, Error> {
        let id = parse_id("id", id)?;
        let (view, ()) = self
            .change(id, expected, actor, move |conn, claim, _| {
                let changes = patch.clone().apply(claim, &paths)?;
                if let Some(claimant) = claim.claimant_id
                    && changes.iter().any(|c| c.field == "claimant_id")
                {
                    sources::get(conn, claimant).map_err(|e| unknown_source(e, "claimant_id", claimant))?;
                }
                Ok(((!changes.is_empty()).then_some(Change::Edited { changes }), ()))
            })
            .await?;
        Ok(view)
    }

    pub async fn set_status(
        &self,
        id: &str,
        expected: Precondition,
        to: Option<ClaimStatus>,
        note: Option<String>,
        actor: Actor,
    ) -> Result<ClaimView, Error> {
        let id = parse_id("claim_id", id)?;
        let to = to.ok_or_else(|| {
            Error::invalid(
                "status",
                "is required: in_review, unverified, confirmed, partly_confirmed, unverifiable, disputed or false",
            )
        })?;
        let rules = self.rules;
        let (view, ()) = self
            .change(id, expected, actor, move |_, claim, before| {
                let note = claim.status.check_change(to, note.clone(), &before.sourcing, &rules)?;
                let from = claim.status;
                claim.status = to;
                Ok((Some(Change::StatusChanged { from, to, note }), ()))
            })
            .await?;
        Ok(view)
    }

    pub async fn add_attribution(
        &self,
        claim_id: &str,
        expected: Precondition,
        fields: AttributionFields,
        actor: Actor,
    ) -> Result<AttributionChange, Error> {
        let claim_id = parse_id("claim_id", claim_id)?;
        let valid = fields.validate()?;
        let recorded_by = actor.clone();
        let (claim, added) = self
            .change(claim_id, expected, actor, move |conn, claim, _| {
                if attributions::count_for_claim(conn, claim.id)? >= attribution::MAX_PER_CLAIM {
                    return Err(Error::Precondition {
                        code: "too_many_attributions",
                        subject: "attributions".into(),
                        description: format!("a claim holds at most {} attributions", attribution::MAX_PER_CLAIM),
                    });
                }
                check_sources_exist(conn, &valid)?;
                let added = valid.clone().into_attribution(Uuid::now_v7(), claim.id, &recorded_by, Utc::now());
                attributions::insert(conn, &added)?;
                Ok((Some(Change::AttributionAdded { attribution: added.clone() }), added))
            })
            .await?;
        Ok(AttributionChange { attribution: Some(added), claim })
    }

    pub async fn update_attribution(
        &self,
        claim_id: &str,
        attribution_id: &str,
        expected: Precondition,
        fields: AttributionFields,
        actor: Actor,
    ) -> Result<AttributionChange, Error> {
        let claim_id = parse_id("claim_id", claim_id)?;
        let attribution_id = parse_id("attribution_id", attribution_id)?;
        let valid = fields.validate()?;
        let (claim, after) = self
            .change(claim_id, expected, actor, move |conn, claim, _| {
                let before = attributions::get(conn, claim.id, attribution_id)?;
                check_sources_exist(conn, &valid)?;
                // Who recorded the statement and when stay; the history says who edited it.
                let after = Attribution {
                    recorded_by: before.recorded_by.clone(),
                    recorded_at: before.recorded_at,
                    ..valid.clone().into_attribution(before.id, claim.id, "", Utc::now())
                };
                if after == before {
                    return Ok((None, after));
                }
                attributions::replace(conn, &after)?;
                Ok((Some(Change::AttributionEdited { before, after: after.clone() }), after))
            })
            .await?;
        Ok(AttributionChange { attribution: Some(after), claim })
    }

    pub async fn remove_attribution(
        &self,
        claim_id: &str,
        attribution_id: &str,
        expected: Precondition,
        actor: Actor,
    ) -> Result<AttributionChange, Error> {
        let claim_id = parse_id("claim_id", claim_id)?;
        let attribution_id = parse_id("attribution_id", attribution_id)?;
        let (claim, ()) = self
            .change(claim_id, expected, actor, move |conn, claim, _| {
                let removed = attributions::get(conn, claim.id, attribution_id)?;
                attributions::delete(conn, attribution_id)?;
                Ok((Some(Change::AttributionRemoved { attribution: removed }), ()))
            })
            .await?;
        Ok(AttributionChange { attribution: None, claim })
    }

    /// One change to a claim, in one write transaction: reads the claim as readers see it,
    /// checks the precondition against it, lets `apply` change it and say what changed (`None`:
    /// nothing did, nothing is written), then bumps the version, writes the claim, appends the
    /// event to its history and answers with the claim as it now reads. A transaction that
    /// found the database busy runs again from the start, so `apply` may run more than once.
    async fn change<T, F>(
        &self,
        id: Uuid,
        expected: Precondition,
        actor: Actor,
        mut apply: F,
    ) -> Result<(ClaimView, T), Error>
    where
        T: Send + 'static,
        F: FnMut(&mut Conn, &mut Claim, &ClaimView) -> Result<(Option<Change>, T), Error> + Send + 'static,
    {
        let rules = self.rules;
        self.db
            .write(move |conn| {
                if expected == Precondition::Any {
                    claims::lock(conn, id)?;
                }
                let claim = claims::get(conn, id)?;
                let before = view(conn, claim, &rules)?;
                if let Some(into) = before.claim.merged_into {
                    return Err(Error::Precondition {
                        code: "claim_merged",
                        subject: "id".into(),
                        description: format!("claim {id} was merged into {into}: change the canonical claim"),
                    });
                }
                expected.check(&before)?;
                let mut claim = before.claim.clone();
                let (change, out) = apply(conn, &mut claim, &before)?;
                let Some(change) = change else { return Ok((before, out)) };
                let tags_changed =
                    matches!(&change, Change::Edited { changes } if changes.iter().any(|c| c.field == "tags"));
                // What the search document holds: text, context, claimant, quotes.
                let reindex = match &change {
                    Change::Edited { changes } => changes
                        .iter()
                        .any(|c| matches!(c.field.as_str(), "text" | "context" | "claimant_id" | "language")),
                    Change::StatusChanged { .. } => false,
                    _ => true,
                };
                let event = bump(&mut claim, actor.clone(), change);
                claims::update(conn, &claim, before.claim.version, tags_changed)?;
                events::append(conn, &event)?;
                if reindex {
                    storage::search::index_claim(conn, claim.id)?;
                }
                Ok((view(conn, claim, &rules)?, out))
            })
            .await
    }

    /// One attribution of a claim.
    pub async fn attribution(&self, claim_id: &str, id: &str) -> Result<Attribution, Error> {
        let claim_id = parse_id("claim_id", claim_id)?;
        let id = parse_id("attribution_id", id)?;
        self.db.run(move |conn| attributions::get(conn, claim_id, id)).await
    }

    /// The statements a source made, newest first, with their claims' text and status.
    pub async fn statements_of(
        &self,
        source_id: &str,
        size: Option<i32>,
        token: Option<String>,
    ) -> Result<Page<(Attribution, String, ClaimStatus)>, Error> {
        let source_id = parse_id("source_id", source_id)?;
        let (limit, after) = paging::params::<StatementCursor>(size, token.as_deref())?;
        self.db
            .run(move |conn| {
                storage::read(conn, |conn| {
                    sources::get(conn, source_id)?;
                    let rows = attributions::by_speaker(conn, source_id, after.map(|StatementCursor(c)| c), limit + 1)?;
                    Ok(Page::from_rows(rows, limit, |(a, _, _)| {
                        StatementCursor(AttributionCursor { recorded_at: a.recorded_at, id: a.id })
                    }))
                })
            })
            .await
    }

    pub async fn attributions(
        &self,
        claim_id: &str,
        size: Option<i32>,
        token: Option<String>,
    ) -> Result<Page<Attribution>, Error> {
        let claim_id = parse_id("claim_id", claim_id)?;
        let (limit, after) = paging::params::<AttributionCursor>(size, token.as_deref())?;
        self.db
            .run(move |conn| {
                storage::read(conn, |conn| {
                    claims::get(conn, claim_id)?;
                    let rows = attributions::for_claim(conn, claim_id, after, limit + 1)?;
                    Ok(Page::from_rows(rows, limit, |a| AttributionCursor { recorded_at: a.recorded_at, id: a.id }))
                })
            })
            .await
    }

    /// The claim and its verdict as schema.org `ClaimReview` JSON-LD (`domain::claimreview`):
    /// `no_verdict` while its status is none.
    pub async fn claim_review(&self, claim_id: &str, publisher: &Publisher) -> Result<serde_json::Value, Error> {
        let view = self.get(claim_id).await?;
        let mut reviews = self.db.run(move |conn| storage::read(conn, |conn| review_parts(conn, vec![view]))).await?;
        let (view, claimant, statements, verdict_at) =
            reviews.pop().ok_or_else(|| Error::Internal("claim review lost".into()))?;
        claimreview::claim_review(&view, claimant.as_ref(), &statements, verdict_at, publisher)
    }

    /// A page of the claims with a verdict as a schema.org `DataFeed` of their reviews, oldest
    /// change first; four queries a page, whatever its size.
    pub async fn review_feed(
        &self,
        params: ReviewFeedParams,
        publisher: &Publisher,
    ) -> Result<(serde_json::Value, Option<String>), Error> {
        let filter = params.into_filter()?;
        let rules = self.rules;
        let (parts, next_page_token) = self
            .db
            .run(move |conn| {
                storage::read(conn, |conn| {
                    let page = claims::reviewed(conn, &filter)?;
                    let views = views(conn, page.items, &rules)?;
                    Ok((review_parts(conn, views)?, page.next_page_token))
                })
            })
            .await?;
        let reviews = parts
            .into_iter()
            .map(|(view, claimant, statements, verdict_at)| {
                let review = claimreview::claim_review(&view, claimant.as_ref(), &statements, verdict_at, publisher)?;
                Ok((view.claim, review))
            })
            .collect::<Result<Vec<_>, Error>>()?;
        Ok((claimreview::data_feed(reviews), next_page_token))
    }

    pub async fn sourcing(&self, claim_id: &str) -> Result<Sourcing, Error> {
        Ok(self.get(claim_id).await?.sourcing)
    }

    pub async fn history(
        &self,
        claim_id: &str,
        size: Option<i32>,
        token: Option<String>,
    ) -> Result<Page<Event>, Error> {
        let claim_id = parse_id("claim_id", claim_id)?;
        let (limit, after) = paging::params::<HistoryCursor>(size, token.as_deref())?;
        let after = after.map_or(0, |c| c.0);
        self.db
            .run(move |conn| {
                storage::read(conn, |conn| {
                    claims::get(conn, claim_id)?;
                    let events = events::list(conn, claim_id, after, limit + 1)?;
                    Ok(Page::from_rows(events, limit, |e| HistoryCursor(e.version)))
                })
            })
            .await
    }
}

/// Stores a checked new claim with its statements, in the caller's write transaction: its
/// sources checked (and its claimant found or created by name), the row at its final version,
/// one event per step, the search index; answers the claim as it now reads.
fn insert_new(conn: &mut Conn, new: NewClaim, actor: &str, rules: &SourcingRules) -> Result<ClaimView, Error> {
    let NewClaim { mut claim, claimant, attributions } = new;
    // Every source the request names, in one query: they are checked, and the view is
    // assembled from them without reading back what was just written.
    let mut named: Vec<Uuid> = attributions.iter().flat_map(ValidAttribution::source_ids).collect();
    if let Claimant::Id(id) = claimant {
        named.push(id);
    }
    let mut refs = sources::refs(conn, &named)?;
    let mut violations = crate::domain::Violations::default();
    for (i, valid) in attributions.iter().enumerate() {
        for id in valid.source_ids().into_iter().filter(|id| !refs.contains_key(id)) {
            let field = if id == valid.speaker_id { "speaker_id" } else { "relay_ids" };
            violations.push(format!("attributions[{i}].{field}"), format!("no source has id {id}"));
        }
    }
    if let Claimant::Id(id) = &claimant
        && !refs.contains_key(id)
    {
        violations.push("claimant_id", format!("no source has id {id}"));
    }
    violations.into_result()?;
    claim.claimant_id = resolve_claimant(conn, &claimant, &mut refs)?;
    let claimant_ref = claim.claimant_id.and_then(|id| refs.get(&id).cloned());

    let mut events = vec![Event {
        claim_id: claim.id,
        version: 1,
        actor: actor.to_owned(),
        at: claim.created_at,
        change: Change::Created { claim: ClaimSnapshot::of(&claim) },
    }];
    let mut statements = Vec::with_capacity(attributions.len());
    let mut added = Vec::with_capacity(attributions.len());
    for valid in attributions {
        let attribution = valid.into_attribution(Uuid::now_v7(), claim.id, actor, claim.created_at);
        let speaker = refs
            .get(&attribution.speaker_id)
            .cloned()
            .ok_or_else(|| Error::Internal(format!("speaker {} checked but not found", attribution.speaker_id)))?;
        statements.push(Statement { speaker, stance: attribution.stance, published_at: attribution.published_at });
        claim.version += 1;
        events.push(Event {
            claim_id: claim.id,
            version: claim.version,
            actor: actor.to_owned(),
            at: claim.created_at,
            change: Change::AttributionAdded { attribution: attribution.clone() },
        });
        added.push(attribution);
    }
    // The row is written at its final version: the history holds each step.
    claims::insert(conn, &claim)?;
    for attribution in &added {
        attributions::insert(conn, attribution)?;
    }
    for event in &events {
        events::append(conn, event)?;
    }
    storage::search::index_claim(conn, claim.id)?;
    Ok(ClaimView::assemble(claim, claimant_ref, &statements, rules))
}

/// Bumps the claim's version and stamps the change; returns the event that records it.
fn bump(claim: &mut Claim, actor: Actor, change: Change) -> Event {
    claim.version += 1;
    claim.updated_at = truncate_micros(Utc::now());
    Event { claim_id: claim.id, version: claim.version, actor, at: claim.updated_at, change }
}

/// A source lookup for a field of the request: only its absence is the client's mistake; any
/// other failure is the storage's and keeps its own class.
fn unknown_source(err: Error, field: &str, id: Uuid) -> Error {
    match err {
        Error::NotFound { .. } => Error::invalid(field, format!("no source has id {id}")),
        other => other,
    }
}

fn check_sources_exist(conn: &mut Conn, valid: &ValidAttribution) -> Result<(), Error> {
    let missing = attributions::missing_sources(conn, &valid.source_ids())?;
    let mut violations = crate::domain::Violations::default();
    for id in missing {
        let field = if id == valid.speaker_id { "speaker_id" } else { "relay_ids" };
        violations.push(field, format!("no source has id {id}"));
    }
    violations.into_result()
}

/// The claimant's source id (checked by the caller when given by id), found or created when
/// named; `refs` gains the claimant's reference.
/// The fields of a source created from a name alone: an anonymous group is described by it.
pub(super) fn named_source(name: &str, kind: SourceKind) -> SourceFields {
    let descriptor = (kind == SourceKind::Anonymous).then(|| name.to_owned());
    SourceFields { name: name.to_owned(), kind: Some(kind), descriptor, ..SourceFields::default() }
}

pub(super) fn resolve_claimant(
    conn: &mut Conn,
    claimant: &Claimant,
    refs: &mut HashMap<Uuid, SourceRef>,
) -> Result<Option<Uuid>, Error> {
    match claimant {
        Claimant::None => Ok(None),
        Claimant::Id(id) => Ok(Some(*id)),
        Claimant::Name(name, kind) => {
            if let Some(id) = sources::find_by_name(conn, name)? {
                refs.extend(sources::refs(conn, &[id])?);
                return Ok(Some(id));
            }
            let source = named_source(name, *kind).into_new_source(Utc::now()).map_err(|e| match e {
                Error::Validation(v) => Error::Validation(
                    v.into_iter().map(|v| crate::domain::FieldViolation::new("claimant", v.description)).collect(),
                ),
                other => other,
            })?;
            match sources::insert(conn, &source) {
                Ok(()) => {
                    refs.insert(source.id, SourceRef { id: source.id, name: source.name.clone(), kind: source.kind });
                    Ok(Some(source.id))
                }
                // Another request stored this name since `find_by_name` looked: it is the claimant.
                Err(Error::AlreadyExists { existing_id, .. }) => {
                    let id = parse_id("claimant", &existing_id)?;
                    refs.extend(sources::refs(conn, &[id])?);
                    Ok(Some(id))
                }
                Err(other) => Err(other),
            }
        }
    }
}

/// What the reviews of these claims are made of: each view with its claimant in full, its
/// statements and the date of its verdict (its last change when the history has none), in three
/// queries.
#[allow(clippy::type_complexity)]
fn review_parts(
    conn: &mut Conn,
    views: Vec<ClaimView>,
) -> Result<Vec<(ClaimView, Option<Source>, Vec<Attribution>, chrono::DateTime<Utc>)>, Error> {
    let ids: Vec<Uuid> = views.iter().map(|v| v.claim.id).collect();
    let claimant_ids: Vec<Uuid> = views.iter().filter_map(|v| v.claim.claimant_id).collect();
    let claimants = sources::get_many(conn, &claimant_ids)?;
    let mut statements = attributions::all_for_claims(conn, &ids)?;
    let verdicts = events::status_changed_at(conn, &ids)?;
    Ok(views
        .into_iter()
        .map(|view| {
            let id = view.claim.id;
            let claimant = view.claim.claimant_id.and_then(|c| claimants.get(&c).cloned());
            let verdict_at = verdicts.get(&id).copied().unwrap_or(view.claim.updated_at);
            (view, claimant, statements.remove(&id).unwrap_or_default(), verdict_at)
        })
        .collect())
}

fn view(conn: &mut Conn, claim: Claim, rules: &SourcingRules) -> Result<ClaimView, Error> {
    views(conn, vec![claim], rules)?.pop().ok_or_else(|| Error::Internal("claim view lost".into()))
}

/// The one place claim views are assembled: claims with their claimants, statements in the
/// order they were recorded, sourcing and ETag, in three queries whatever their number.
pub(super) fn views(conn: &mut Conn, claims: Vec<Claim>, rules: &SourcingRules) -> Result<Vec<ClaimView>, Error> {
    let claimant_ids: Vec<Uuid> = claims.iter().filter_map(|c| c.claimant_id).collect();
    let claimants = sources::refs(conn, &claimant_ids)?;
    let ids: Vec<Uuid> = claims.iter().map(|c| c.id).collect();
    let mut statements: HashMap<Uuid, Vec<_>> = attributions::statements(conn, &ids)?;
    Ok(claims
        .into_iter()
        .map(|claim| {
            let claimant = claim.claimant_id.and_then(|id| claimants.get(&id).cloned());
            let statements = statements.remove(&claim.id).unwrap_or_default();
            ClaimView::assemble(claim, claimant, &statements, rules)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        domain::{ClaimSnapshot, Stance, history::replay},
        service::Sources,
    };

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_stored_state_equals_the_replay_of_the_history() {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        let config = crate::storage::DatabaseConfig {
            url,
            pool_size: 4,
            connect_timeout: std::time::Duration::ZERO,
            busy_timeout: crate::storage::DatabaseConfig::DEFAULT_BUSY_TIMEOUT,
        };
        let db = Database::open(&config).await.expect("db");
        let claims = Claims::new(db.clone(), SourcingRules::default());
        let sources = Sources::new(db);
        let actor = || "tester".to_owned();
        let source = |name: &str, kind| SourceFields { name: name.into(), kind: Some(kind), ..SourceFields::default() };
        let (trump, _) = sources.create(source("Donald Trump", SourceKind::Person), None).await.expect("source");
        let (herald, _) = sources.create(source("Miami Herald", SourceKind::NewsOutlet), None).await.expect("source");

        let input = ClaimInput {
            text: "Les États-Unis se préparaient à bombarder".into(),
            language: "fr".into(),
            claimant: Some("Sources proches de l'administration Trump".into()),
            claimant_kind: Some(SourceKind::Anonymous),
            ..ClaimInput::default()
        };
        let (created, _, _) = claims.create(input, actor(), None).await.expect("created");
        let id = created.claim.id.to_string();
        let anonymous = created.claim.claimant_id.expect("claimant created from its name");
        let says = |speaker: Uuid, stance, relays: Vec<Uuid>| AttributionFields {
            speaker_id: speaker.to_string(),
            stance: Some(stance),
            relay_ids: relays.iter().map(Uuid::to_string).collect(),
            ..AttributionFields::default()
        };
        let a = claims
            .add_attribution(&id, Precondition::Version(1), says(anonymous, Stance::Asserts, vec![herald.id]), actor())
            .await
            .expect("added");
        let b = claims
            .add_attribution(&id, Precondition::Version(2), says(trump.id, Stance::Asserts, vec![]), actor())
            .await
            .expect("added");
        let b_id = b.attribution.expect("attribution").id.to_string();
        claims
            .update_attribution(&id, &b_id, Precondition::Version(3), says(trump.id, Stance::Denies, vec![]), actor())
            .await
            .expect("edited");
        let patch = ClaimPatch { tags: vec!["USA".into(), "venezuela".into()], ..ClaimPatch::default() };
        claims.update(&id, Precondition::Version(4), patch, vec!["tags".into()], actor()).await.expect("edited");
        claims
            .set_status(&id, Precondition::Version(5), Some(ClaimStatus::InReview), None, actor())
            .await
            .expect("status");
        let refused = claims
            .set_status(&id, Precondition::Version(6), Some(ClaimStatus::Confirmed), Some("sure".into()), actor())
            .await;
        assert!(matches!(refused, Err(Error::Precondition { code: "confirmation_requirements_not_met", .. })));
        let a_id = a.attribution.expect("attribution").id.to_string();
        claims.remove_attribution(&id, &a_id, Precondition::Version(6), actor()).await.expect("removed");

        let history = claims.history(&id, Some(100), None).await.expect("history");
        assert!(history.items.iter().all(|e| e.actor == "tester"));
        let replayed = replay(&history.items).expect("a clean log");
        let current = claims.get(&id).await.expect("claim");
        assert_eq!(replayed.version, current.claim.version);
        assert_eq!(replayed.version, 7);
        assert_eq!(replayed.claim, ClaimSnapshot::of(&current.claim));
        let attributions: Vec<Attribution> = replayed.attributions.into_values().collect();
        assert_eq!(attributions, claims.attributions(&id, Some(100), None).await.expect("attributions").items);
        assert_eq!(current.sourcing.level, crate::domain::SourcingLevel::Unsourced, "only the denial is left");
    }
}
