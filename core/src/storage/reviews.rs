//! Reviews imported from other publishers (migration 2026-11-29-000012_claim_reviews), each
//! under its key so that importing it again finds it.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::{Conn, schema::claim_reviews};
use crate::domain::{ClaimStatus, Error, PartialDate};

/// A stored review: whose claim it is, and the publisher's rating as published.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredReview {
    pub key: String,
    pub claim_id: Uuid,
    pub review_url: Option<String>,
    pub publisher: String,
    pub publisher_url: Option<String>,
    pub label: Option<String>,
    pub rating_value: Option<f64>,
    pub best_rating: Option<f64>,
    pub worst_rating: Option<f64>,
    pub verdict: Option<ClaimStatus>,
    pub reviewed_at: Option<PartialDate>,
    pub imported_by: String,
    pub imported_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl StoredReview {
    /// Whether `other` says the same as this one (who imported it and when aside).
    pub fn same_review(&self, other: &StoredReview) -> bool {
        (
            &self.review_url,
            &self.publisher,
            &self.publisher_url,
            &self.label,
            self.rating_value,
            self.best_rating,
            self.worst_rating,
            self.verdict,
            self.reviewed_at,
        ) == (
            &other.review_url,
            &other.publisher,
            &other.publisher_url,
            &other.label,
            other.rating_value,
            other.best_rating,
            other.worst_rating,
            other.verdict,
            other.reviewed_at,
        )
    }
}

#[derive(Debug, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = claim_reviews)]
#[diesel(treat_none_as_null = true)]
struct ReviewRow {
    review_key: String,
    claim_id: String,
    review_url: Option<String>,
    publisher: String,
    publisher_url: Option<String>,
    label: Option<String>,
    rating_value: Option<f64>,
    best_rating: Option<f64>,
    worst_rating: Option<f64>,
    verdict: Option<String>,
    reviewed_at: Option<String>,
    imported_by: String,
    imported_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

impl From<&StoredReview> for ReviewRow {
    fn from(r: &StoredReview) -> Self {
        ReviewRow {
            review_key: r.key.clone(),
            claim_id: r.claim_id.to_string(),
            review_url: r.review_url.clone(),
            publisher: r.publisher.clone(),
            publisher_url: r.publisher_url.clone(),
            label: r.label.clone(),
            rating_value: r.rating_value,
            best_rating: r.best_rating,
            worst_rating: r.worst_rating,
            verdict: r.verdict.map(|v| v.as_str().to_owned()),
            reviewed_at: r.reviewed_at.map(|d| d.to_string()),
            imported_by: r.imported_by.clone(),
            imported_at: r.imported_at.naive_utc(),
            updated_at: r.updated_at.naive_utc(),
        }
    }
}

impl TryFrom<ReviewRow> for StoredReview {
    type Error = Error;

    fn try_from(row: ReviewRow) -> Result<Self, Error> {
        let corrupt = |e: String| Error::Internal(format!("review {}: {e}", row.review_key));
        Ok(StoredReview {
            claim_id: Uuid::try_parse(&row.claim_id).map_err(|e| corrupt(e.to_string()))?,
            verdict: row.verdict.as_deref().map(ClaimStatus::parse).transpose().map_err(corrupt)?,
            reviewed_at: row.reviewed_at.as_deref().map(str::parse).transpose().map_err(corrupt)?,
            key: row.review_key,
            review_url: row.review_url,
            publisher: row.publisher,
            publisher_url: row.publisher_url,
            label: row.label,
            rating_value: row.rating_value,
            best_rating: row.best_rating,
            worst_rating: row.worst_rating,
            imported_by: row.imported_by,
            imported_at: row.imported_at.and_utc(),
            updated_at: row.updated_at.and_utc(),
        })
    }
}

pub fn get(conn: &mut Conn, key: &str) -> Result<Option<StoredReview>, Error> {
    claim_reviews::table
        .find(key)
        .select(ReviewRow::as_select())
        .first(conn)
        .optional()?
        .map(StoredReview::try_from)
        .transpose()
}

pub fn insert(conn: &mut Conn, review: &StoredReview) -> Result<(), Error> {
    diesel::insert_into(claim_reviews::table).values(ReviewRow::from(review)).execute(conn)?;
    Ok(())
}

pub fn update(conn: &mut Conn, review: &StoredReview) -> Result<(), Error> {
    diesel::update(claim_reviews::table.find(&review.key)).set(ReviewRow::from(review)).execute(conn)?;
    Ok(())
}

/// A merge: the duplicate's reviews now belong to the canonical claim.
pub fn move_to(conn: &mut Conn, from: Uuid, to: Uuid) -> Result<(), Error> {
    diesel::update(claim_reviews::table.filter(claim_reviews::claim_id.eq(from.to_string())))
        .set(claim_reviews::claim_id.eq(to.to_string()))
        .execute(conn)?;
    Ok(())
}
