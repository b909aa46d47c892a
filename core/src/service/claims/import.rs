//! Importing ClaimReview (`domain::review_import` reads the documents): each review becomes a
//! claim with the publisher's verdict, updates what its earlier import stored, or is linked to a
//! stored claim like it. One write transaction per review: a review that cannot be stored is
//! reported and leaves nothing behind, and the others go on.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Claims, bump, insert_new, resolve_claimant, view};
use crate::{
    domain::{
        AttributionFields, Change, ClaimInput, ClaimStatus, ClaimView, Claimant, Error, SourceKind, SourcingRules,
        Stance, attribution,
        review_import::{Document, ImportedReview, RatingTable},
        text::similarity_text,
    },
    service::Actor,
    storage::{
        Conn, attributions, claims, events,
        reviews::{self, StoredReview},
        search,
    },
};

/// How alike a stored claim must be (similar-claims score, 0 to 1) for an imported review to be
/// linked to it instead of making a claim of its own (`CLAIMDESK_IMPORT_LINK_THRESHOLD`).
pub const DEFAULT_LINK_THRESHOLD: f64 = 0.8;

/// How imports read ratings and when they link instead of creating.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportConfig {
    pub ratings: RatingTable,
    pub link_threshold: f64,
}

impl Default for ImportConfig {
    fn default() -> Self {
        ImportConfig { ratings: RatingTable::default(), link_threshold: DEFAULT_LINK_THRESHOLD }
    }
}

/// The longest rating label quoted in an attribution or a status note.
const MAX_LABEL_CHARS: usize = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
pub enum ImportOutcome {
    /// A new claim holds the review.
    Created,
    /// The review was imported before and has changed since: stored anew.
    Updated,
    /// The review was imported before, as it is.
    Unchanged,
    /// A stored claim like it now holds the review.
    Linked,
    /// Not stored: `reason` says why.
    Skipped,
}

impl ImportOutcome {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// What became of one review of the document.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedItem {
    /// Where the review was in the document.
    pub at: String,
    pub outcome: ImportOutcome,
    pub claim_id: Option<Uuid>,
    pub review_key: Option<String>,
    pub publisher: Option<String>,
    pub label: Option<String>,
    /// The verdict the publisher's rating maps to.
    pub verdict: Option<ClaimStatus>,
    /// Linked: how alike the claim it was linked to is.
    pub score: Option<f64>,
    /// Skipped: why.
    pub reason: Option<String>,
    pub warnings: Vec<String>,
}

impl ImportedItem {
    fn skipped(at: String, reason: String, warnings: Vec<String>) -> Self {
        ImportedItem {
            at,
            outcome: ImportOutcome::Skipped,
            claim_id: None,
            review_key: None,
            publisher: None,
            label: None,
            verdict: None,
            score: None,
            reason: Some(reason),
            warnings,
        }
    }

    fn of(review: &ImportedReview, outcome: ImportOutcome, claim_id: Uuid, warnings: Vec<String>) -> Self {
        ImportedItem {
            at: review.at.clone(),
            outcome,
            claim_id: Some(claim_id),
            review_key: Some(review.key.clone()),
            publisher: Some(review.publisher.clone()),
            label: review.rating.label.clone(),
            verdict: review.rating.verdict,
            score: None,
            reason: None,
            warnings,
        }
    }
}

/// What an import did, review by review, in the document's order (skipped entries last).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImportReport {
    pub items: Vec<ImportedItem>,
}

impl ImportReport {
    pub fn count(&self, outcome: ImportOutcome) -> usize {
        self.items.iter().filter(|i| i.outcome == outcome).count()
    }
}

impl Claims {
    /// Stores the reviews of a document read by `domain::review_import`. A review the rules
    /// refuse (a text too long, a claimant name that is no name) is reported as skipped; a
    /// storage failure ends the import with an error, what was stored before it staying stored
    /// (importing the document again finds those reviews by key and stores the rest).
    pub async fn import_reviews(
        &self,
        document: Document,
        actor: Actor,
        link_threshold: f64,
    ) -> Result<ImportReport, Error> {
        let mut report = ImportReport::default();
        for review in document.reviews {
            let item = match self.import_review(&review, &actor, link_threshold).await {
                Ok(item) => item,
                Err(e @ (Error::Validation(_) | Error::Precondition { .. } | Error::AlreadyExists { .. })) => {
                    ImportedItem::skipped(review.at.clone(), e.to_string(), review.warnings.clone())
                }
                Err(other) => return Err(other),
            };
            report.items.push(item);
        }
        for (at, reason) in document.skipped {
            report.items.push(ImportedItem::skipped(at, reason, Vec::new()));
        }
        Ok(report)
    }

    async fn import_review(
        &self,
        review: &ImportedReview,
        actor: &Actor,
        link_threshold: f64,
    ) -> Result<ImportedItem, Error> {
        let key = review.key.clone();
        let known = self.db.run(move |conn| reviews::get(conn, &key)).await?.is_some();
        // Only a review never imported looks for a claim to join.
        let link = if known {
            None
        } else {
            let like = similarity_text(&review.text, None);
            self.duplicates_of(&like, &review.language, link_threshold)
                .await?
                .into_iter()
                .find(|m| m.score >= link_threshold)
                .map(|m| (m.claim.claim.id, m.score))
        };
        let (review, actor, rules) = (review.clone(), actor.clone(), self.rules);
        self.db
            .write(move |conn| {
                let now = crate::domain::truncate_micros(Utc::now());
                let record = record(&review, &actor, now);
                if let Some(stored) = reviews::get(conn, &review.key)? {
                    return update(conn, &review, stored, record, &actor, &rules);
                }
                match link {
                    Some((claim_id, score)) => link_to(conn, &review, claim_id, score, record, &actor),
                    None => create(conn, &review, record, &actor, &rules, now),
                }
            })
            .await
    }
}

/// The row a review is stored as (its claim set by the caller).
fn record(review: &ImportedReview, actor: &str, now: DateTime<Utc>) -> StoredReview {
    StoredReview {
        key: review.key.clone(),
        claim_id: Uuid::nil(),
        review_url: review.review_url.clone(),
        publisher: review.publisher.clone(),
        publisher_url: review.publisher_url.clone(),
        label: review.rating.label.clone(),
        rating_value: review.rating.value,
        best_rating: review.rating.best,
        worst_rating: review.rating.worst,
        verdict: review.rating.verdict,
        reviewed_at: review.reviewed_at,
        imported_by: actor.to_owned(),
        imported_at: now,
        updated_at: now,
    }
}

fn short_label(review: &ImportedReview) -> Option<String> {
    review.rating.label.as_ref().map(|l| {
        let mut chars = l.chars();
        let head: String = chars.by_ref().take(MAX_LABEL_CHARS).collect();
        if chars.next().is_some() { format!("{head}…") } else { head }
    })
}

/// The reviewing organisation's statement: it denies what it rates false, disputes what it
/// rates disputed, confirms what it rates true or partly true; otherwise it gives context.
fn review_statement(review: &ImportedReview, publisher: Uuid) -> AttributionFields {
    let stance = match review.rating.verdict {
        Some(ClaimStatus::False) => Stance::Denies,
        Some(ClaimStatus::Disputed) => Stance::Disputes,
        Some(ClaimStatus::Confirmed | ClaimStatus::PartlyConfirmed) => Stance::Confirms,
        _ => Stance::Context,
    };
    AttributionFields {
        speaker_id: publisher.to_string(),
        stance: Some(stance),
        relay_ids: Vec::new(),
        quote: short_label(review),
        url: review.review_url.clone(),
        published_at: review.reviewed_at.map(|d| d.to_string()),
    }
}

/// The source of a name, found or created (an organisation when created).
fn source_named(conn: &mut Conn, name: &str, kind: SourceKind) -> Result<Uuid, Error> {
    let mut refs = std::collections::HashMap::new();
    resolve_claimant(conn, &Claimant::Name(name.to_owned(), kind), &mut refs)?
        .ok_or_else(|| Error::Internal(format!("source {name:?} resolved to none")))
}

fn create(
    conn: &mut Conn,
    review: &ImportedReview,
    mut record: StoredReview,
    actor: &str,
    rules: &SourcingRules,
    now: DateTime<Utc>,
) -> Result<ImportedItem, Error> {
    let mut warnings = review.warnings.clone();
    let claimant = match &review.claimant {
        Some((name, kind)) => match source_named(conn, name, *kind) {
            Ok(id) => Some(id),
            Err(Error::Validation(v)) => {
                let why: Vec<String> = v.into_iter().map(|v| v.description).collect();
                warnings.push(format!("the claimant {} is left out: {}", crate::domain::shown(name), why.join("; ")));
                None
            }
            Err(other) => return Err(other),
        },
        None => None,
    };
    let publisher = source_named(conn, &review.publisher, SourceKind::Organization)?;
    let mut statements: Vec<AttributionFields> = Vec::new();
    match claimant {
        Some(claimant) => statements.extend(review.appearances.iter().map(|(url, at)| AttributionFields {
            speaker_id: claimant.to_string(),
            stance: Some(Stance::Asserts),
            relay_ids: Vec::new(),
            quote: None,
            url: Some(url.clone()),
            published_at: at.map(|d| d.to_string()),
        })),
        None if !review.appearances.is_empty() => {
            warnings.push("the appearances are left out: with no claimant, nobody made them".to_owned());
        }
        None => {}
    }
    statements.push(review_statement(review, publisher));
    let input = ClaimInput {
        text: review.text.clone(),
        language: review.language.clone(),
        claimant_id: claimant.map(|id| id.to_string()),
        claimed_at: review.claimed_at.map(|d| d.to_string()),
        attributions: statements,
        ..ClaimInput::default()
    };
    let created = insert_new(conn, input.validate(now)?, actor, rules)?;
    let claim_id = created.claim.id;
    if let Some(verdict) = review.rating.verdict {
        give_verdict(conn, created, verdict, review, actor, rules, &mut warnings)?;
    }
    record.claim_id = claim_id;
    reviews::insert(conn, &record)?;
    Ok(ImportedItem::of(review, ImportOutcome::Created, claim_id, warnings))
}

fn link_to(
    conn: &mut Conn,
    review: &ImportedReview,
    claim_id: Uuid,
    score: f64,
    mut record: StoredReview,
    actor: &str,
) -> Result<ImportedItem, Error> {
    let mut warnings = review.warnings.clone();
    claims::lock(conn, claim_id)?;
    let claim = claims::get(conn, claim_id)?;
    // Found by the similarity search, which answers canonical claims; merged since: its canonical.
    let mut claim = match claim.merged_into {
        Some(canonical) => {
            claims::lock(conn, canonical)?;
            claims::get(conn, canonical)?
        }
        None => claim,
    };
    if attributions::count_for_claim(conn, claim.id)? >= attribution::MAX_PER_CLAIM {
        return Err(Error::Precondition {
            code: "too_many_attributions",
            subject: "attributions".into(),
            description: format!(
                "the claim {} it matches holds {} attributions already, the most a claim holds",
                claim.id,
                attribution::MAX_PER_CLAIM
            ),
        });
    }
    let publisher = source_named(conn, &review.publisher, SourceKind::Organization)?;
    let statement =
        review_statement(review, publisher).validate()?.into_attribution(Uuid::now_v7(), claim.id, actor, Utc::now());
    attributions::insert(conn, &statement)?;
    let before = claim.version;
    let event = bump(&mut claim, actor.to_owned(), Change::AttributionAdded { attribution: statement });
    claims::update(conn, &claim, before, false)?;
    events::append(conn, &event)?;
    search::index_claim(conn, claim.id)?;
    if review.rating.verdict.is_some_and(|v| v != claim.status) {
        warnings.push(format!("the claim's status stays {}: the desk's verdict is its own", claim.status));
    }
    record.claim_id = claim.id;
    reviews::insert(conn, &record)?;
    let mut item = ImportedItem::of(review, ImportOutcome::Linked, claim.id, warnings);
    item.score = Some(score);
    Ok(item)
}

fn update(
    conn: &mut Conn,
    review: &ImportedReview,
    stored: StoredReview,
    mut record: StoredReview,
    actor: &str,
    rules: &SourcingRules,
) -> Result<ImportedItem, Error> {
    let mut warnings = review.warnings.clone();
    record.claim_id = stored.claim_id;
    record.imported_by = stored.imported_by.clone();
    record.imported_at = stored.imported_at;
    if stored.same_review(&record) {
        return Ok(ImportedItem::of(review, ImportOutcome::Unchanged, stored.claim_id, warnings));
    }
    reviews::update(conn, &record)?;
    if let Some(verdict) = record.verdict.filter(|v| Some(*v) != stored.verdict) {
        claims::lock(conn, stored.claim_id)?;
        let claim = claims::get(conn, stored.claim_id)?;
        // The claim follows the publisher's new verdict only while the desk has not decided
        // otherwise since the last import.
        let follows = match stored.verdict {
            Some(previous) => claim.status == previous,
            None => !claim.status.is_verdict(),
        };
        if follows && claim.merged_into.is_none() {
            let current = view(conn, claim, rules)?;
            give_verdict(conn, current, verdict, review, actor, rules, &mut warnings)?;
        } else if !follows {
            warnings
                .push(format!("the claim's status stays {}: the desk changed it since the last import", claim.status));
        }
    }
    Ok(ImportedItem::of(review, ImportOutcome::Updated, stored.claim_id, warnings))
}

/// Gives the claim the publisher's verdict through the usual steps (unverified → in_review →
/// the verdict), each in the history with a note naming the review. Confirmed needs what the
/// desk's rules need: short of it, the claim stays in review and a warning says why.
fn give_verdict(
    conn: &mut Conn,
    mut current: ClaimView,
    verdict: ClaimStatus,
    review: &ImportedReview,
    actor: &str,
    rules: &SourcingRules,
    warnings: &mut Vec<String>,
) -> Result<(), Error> {
    let note = format!(
        "ClaimReview by {}: {}{}",
        review.publisher,
        short_label(review).unwrap_or_else(|| verdict.as_str().to_owned()),
        review.review_url.as_deref().map(|u| format!(" ({u})")).unwrap_or_default()
    );
    let mut steps = Vec::new();
    if current.claim.status == ClaimStatus::Unverified {
        steps.push(ClaimStatus::InReview);
    }
    if verdict == ClaimStatus::Confirmed && !current.sourcing.confirmation_met {
        warnings.push(format!(
            "rated confirmed, but confirmed needs {}: the claim stays in_review",
            rules.confirmation_rule()
        ));
    } else if current.claim.status != verdict {
        steps.push(verdict);
    }
    for to in steps {
        let mut claim = current.claim.clone();
        let from = claim.status;
        let note = to.is_verdict().then(|| note.clone());
        claim.status = to;
        let event = bump(&mut claim, actor.to_owned(), Change::StatusChanged { from, to, note });
        claims::update(conn, &claim, current.claim.version, false)?;
        events::append(conn, &event)?;
        current = view(conn, claim, rules)?;
    }
    Ok(())
}
