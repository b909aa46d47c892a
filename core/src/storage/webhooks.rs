//! Webhooks and their deliveries (migration 2026-11-29-000011_webhooks).
//!
//! A webhook takes the change feed's events after its `feed_position` into
//! `webhook_deliveries` ([`take_events`]); a sender leases due deliveries ([`lease`]), each the
//! oldest waiting one of its claim, and records what the receiver answered ([`delivered`],
//! [`failed`]). A lease is taken by a conditional `UPDATE`, so two core instances never send a
//! delivery at once; a lease whose holder died expires.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::{
    Conn,
    schema::{webhook_deliveries, webhooks},
    search::{Bind, Sql},
};
use crate::domain::{Delivery, DeliveryState, Error, Webhook, history::ChangeKind};

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = webhooks)]
struct WebhookRow {
    id: String,
    url: String,
    description: Option<String>,
    kinds: String,
    enabled: bool,
    disabled_reason: Option<String>,
    feed_position: i64,
    failures: i32,
    created_by: String,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

fn corrupt(what: &str, e: impl std::fmt::Display) -> Error {
    Error::Internal(format!("stored {what}: {e}"))
}

/// The event kinds stored for a webhook (a JSON list of their names).
fn parse_kinds(raw: &str) -> Result<Vec<ChangeKind>, Error> {
    let names: Vec<String> = serde_json::from_str(raw).map_err(|e| corrupt("webhook kinds", e))?;
    names.iter().map(|k| k.parse().map_err(|e| corrupt("kind", e))).collect()
}

fn uuid(raw: &str) -> Result<Uuid, Error> {
    Uuid::try_parse(raw).map_err(|e| corrupt("id", e))
}

impl WebhookRow {
    fn into_webhook(self, pending: i64) -> Result<Webhook, Error> {
        Ok(Webhook {
            id: uuid(&self.id)?,
            url: self.url,
            description: self.description,
            kinds: parse_kinds(&self.kinds)?,
            enabled: self.enabled,
            disabled_reason: self.disabled_reason,
            failures: self.failures,
            feed_position: self.feed_position,
            pending,
            created_by: self.created_by,
            created_at: self.created_at.and_utc(),
            updated_at: self.updated_at.and_utc(),
        })
    }
}

/// Stores a new webhook, taking events after `feed_position`.
pub fn insert(conn: &mut Conn, webhook: &Webhook, secret: &str) -> Result<(), Error> {
    let kinds: Vec<&str> = webhook.kinds.iter().map(|k| <&str>::from(*k)).collect();
    diesel::insert_into(webhooks::table)
        .values((
            webhooks::id.eq(webhook.id.to_string()),
            webhooks::url.eq(&webhook.url),
            webhooks::description.eq(&webhook.description),
            webhooks::kinds.eq(serde_json::to_string(&kinds).map_err(|e| Error::Internal(e.to_string()))?),
            webhooks::secret.eq(secret),
            webhooks::enabled.eq(webhook.enabled),
            webhooks::feed_position.eq(webhook.feed_position),
            webhooks::failures.eq(0),
            webhooks::created_by.eq(&webhook.created_by),
            webhooks::created_at.eq(webhook.created_at.naive_utc()),
            webhooks::updated_at.eq(webhook.updated_at.naive_utc()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Deliveries not yet acknowledged, per webhook.
fn pending_counts(conn: &mut Conn, ids: &[String]) -> Result<std::collections::HashMap<String, i64>, Error> {
    let counts: Vec<(String, i64)> = webhook_deliveries::table
        .filter(webhook_deliveries::webhook_id.eq_any(ids))
        .filter(webhook_deliveries::delivered_at.is_null())
        .group_by(webhook_deliveries::webhook_id)
        .select((webhook_deliveries::webhook_id, diesel::dsl::count_star()))
        .load(conn)?;
    Ok(counts.into_iter().collect())
}

/// Every webhook, oldest first.
pub fn list(conn: &mut Conn) -> Result<Vec<Webhook>, Error> {
    let rows: Vec<WebhookRow> = webhooks::table
        .order((webhooks::created_at.asc(), webhooks::id.asc()))
        .select(WebhookRow::as_select())
        .load(conn)?;
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let pending = pending_counts(conn, &ids)?;
    rows.into_iter()
        .map(|row| {
            let n = pending.get(&row.id).copied().unwrap_or(0);
            row.into_webhook(n)
        })
        .collect()
}

pub fn get(conn: &mut Conn, id: Uuid) -> Result<Webhook, Error> {
    let row: WebhookRow = webhooks::table
        .find(id.to_string())
        .select(WebhookRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| Error::NotFound { resource: "webhook", id: id.to_string() })?;
    let pending = pending_counts(conn, std::slice::from_ref(&row.id))?;
    let n = pending.get(&row.id).copied().unwrap_or(0);
    row.into_webhook(n)
}

/// Deletes a webhook and its deliveries; false when there was none.
pub fn delete(conn: &mut Conn, id: Uuid) -> Result<bool, Error> {
    diesel::delete(webhook_deliveries::table.filter(webhook_deliveries::webhook_id.eq(id.to_string())))
        .execute(conn)?;
    Ok(diesel::delete(webhooks::table.find(id.to_string())).execute(conn)? == 1)
}

/// Enables a webhook: failures forgotten, its waiting deliveries due now; with `replay_from`,
/// it takes again the events after that position.
pub fn enable(conn: &mut Conn, id: Uuid, replay_from: Option<i64>, now: DateTime<Utc>) -> Result<Webhook, Error> {
    let key = id.to_string();
    let found = diesel::update(webhooks::table.find(&key))
        .set((
            webhooks::enabled.eq(true),
            webhooks::disabled_reason.eq(None::<String>),
            webhooks::failures.eq(0),
            webhooks::updated_at.eq(now.naive_utc()),
        ))
        .execute(conn)?;
    if found == 0 {
        return Err(Error::NotFound { resource: "webhook", id: key });
    }
    if let Some(position) = replay_from {
        diesel::update(webhooks::table.find(&key)).set(webhooks::feed_position.eq(position)).execute(conn)?;
    }
    diesel::update(
        webhook_deliveries::table
            .filter(webhook_deliveries::webhook_id.eq(&key))
            .filter(webhook_deliveries::delivered_at.is_null()),
    )
    .set(webhook_deliveries::next_attempt_at.eq(now.naive_utc()))
    .execute(conn)?;
    get(conn, id)
}

/// Disables a webhook, saying why.
pub fn disable(conn: &mut Conn, id: Uuid, reason: &str, now: DateTime<Utc>) -> Result<Webhook, Error> {
    let found = diesel::update(webhooks::table.find(id.to_string()))
        .set((
            webhooks::enabled.eq(false),
            webhooks::disabled_reason.eq(reason),
            webhooks::updated_at.eq(now.naive_utc()),
        ))
        .execute(conn)?;
    if found == 0 {
        return Err(Error::NotFound { resource: "webhook", id: id.to_string() });
    }
    get(conn, id)
}

/// An enabled webhook behind the feed, locked for this transaction (PostgreSQL: one that
/// another core is serving is skipped).
#[derive(Debug, Clone)]
pub struct Behind {
    pub id: Uuid,
    pub kinds: Vec<ChangeKind>,
    pub feed_position: i64,
}

/// The enabled webhooks whose position is below `head`, each locked for the transaction.
pub fn behind(conn: &mut Conn, head: i64) -> Result<Vec<Behind>, Error> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        id: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        kinds: String,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        feed_position: i64,
    }
    let mut sql =
        Sql::new("SELECT id, kinds, feed_position FROM webhooks WHERE enabled AND feed_position < ? ORDER BY id");
    sql.bind(Bind::Big(head));
    if let Conn::Pg(_) = conn {
        sql.push(" FOR UPDATE SKIP LOCKED");
    }
    sql.load::<Row>(conn)?
        .into_iter()
        .map(|row| Ok(Behind { id: uuid(&row.id)?, kinds: parse_kinds(&row.kinds)?, feed_position: row.feed_position }))
        .collect()
}

/// One event taken by a webhook: what its delivery sends.
#[derive(Debug, Clone)]
pub struct Taken {
    pub feed_position: i64,
    pub claim_id: Uuid,
    pub kind: ChangeKind,
    pub body: String,
}

/// Records the deliveries of events a webhook takes and moves its position to `position`. A
/// delivery of an event already taken (a replay) waits again, under its first id.
pub fn take_events(
    conn: &mut Conn,
    webhook: Uuid,
    taken: Vec<Taken>,
    position: i64,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let key = webhook.to_string();
    for chunk in taken.chunks(100) {
        let mut sql = Sql::new(
            "INSERT INTO webhook_deliveries (id, webhook_id, feed_position, claim_id, kind, body, attempts, \
             next_attempt_at, created_at) VALUES ",
        );
        sql.rows(chunk.iter().map(|t| {
            vec![
                Bind::Text(Uuid::now_v7().to_string()),
                Bind::Text(key.clone()),
                Bind::Big(t.feed_position),
                Bind::Text(t.claim_id.to_string()),
                Bind::Text(<&str>::from(t.kind).to_owned()),
                Bind::Text(t.body.clone()),
                Bind::Int(0),
                Bind::Time(now.naive_utc()),
                Bind::Time(now.naive_utc()),
            ]
        }));
        sql.push(
            " ON CONFLICT (webhook_id, feed_position) DO UPDATE SET delivered_at = NULL, \
             next_attempt_at = excluded.next_attempt_at, lease_owner = NULL, lease_until = NULL",
        );
        sql.execute(conn)?;
    }
    diesel::update(webhooks::table.find(&key)).set(webhooks::feed_position.eq(position)).execute(conn)?;
    Ok(())
}

/// A delivery leased for sending, with what its webhook needs.
#[derive(Debug, Clone, QueryableByName)]
pub struct Leased {
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub id: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub webhook_id: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub url: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub secret: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub body: String,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    pub attempts: i32,
}

/// At most `limit` deliveries due at `now`: each the oldest waiting one of its webhook and
/// claim (per-claim order), of an enabled webhook, with at most `per_webhook` leased per
/// webhook at once (a hanging receiver holds no more). A read: [`lease`] takes them.
pub fn due(conn: &mut Conn, now: DateTime<Utc>, limit: i64, per_webhook: i64) -> Result<Vec<String>, Error> {
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = diesel::sql_types::Text)]
        id: String,
    }
    let now = now.naive_utc();
    let mut choose = Sql::new(
        "SELECT id FROM (\
           SELECT d.id, d.next_attempt_at, d.feed_position, \
                  ROW_NUMBER() OVER (PARTITION BY d.webhook_id ORDER BY d.next_attempt_at, d.feed_position) \
                  + (SELECT COUNT(*) FROM webhook_deliveries l WHERE l.webhook_id = d.webhook_id \
                     AND l.delivered_at IS NULL AND l.lease_until >= ?) AS busy \
           FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id \
           WHERE w.enabled AND d.delivered_at IS NULL AND d.next_attempt_at <= ? \
             AND (d.lease_until IS NULL OR d.lease_until < ?) \
             AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p WHERE p.webhook_id = d.webhook_id \
                             AND p.claim_id = d.claim_id AND p.delivered_at IS NULL \
                             AND p.feed_position < d.feed_position)\
         ) c WHERE busy <= ? ORDER BY next_attempt_at, feed_position LIMIT ?",
    );
    choose
        .bind(Bind::Time(now))
        .bind(Bind::Time(now))
        .bind(Bind::Time(now))
        .bind(Bind::Big(per_webhook))
        .bind(Bind::Big(limit));
    Ok(choose.load::<Id>(conn)?.into_iter().map(|r| r.id).collect())
}

/// Leases the deliveries `ids` (chosen by [`due`]) to `owner` until `until`, those still free:
/// the `UPDATE` checks the lease again under the row's lock, so a delivery two senders chose
/// goes to one. Answers what this sender got.
pub fn lease(
    conn: &mut Conn,
    ids: &[String],
    owner: &str,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Vec<Leased>, Error> {
    let now = now.naive_utc();
    let mut take = Sql::new("UPDATE webhook_deliveries SET lease_owner = ?, lease_until = ? WHERE id IN (");
    take.bind(Bind::Text(owner.to_owned())).bind(Bind::Time(until.naive_utc()));
    take.push(&vec!["?"; ids.len()].join(", "));
    for id in ids {
        take.bind(Bind::Text(id.clone()));
    }
    take.push(") AND delivered_at IS NULL AND (lease_until IS NULL OR lease_until < ?)");
    take.bind(Bind::Time(now));
    take.execute(conn)?;
    let mut leased = Sql::new(
        "SELECT d.id, d.webhook_id, w.url, w.secret, d.body, d.attempts \
         FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id \
         WHERE d.lease_owner = ? AND d.lease_until = ? AND d.delivered_at IS NULL ORDER BY d.feed_position",
    );
    leased.bind(Bind::Text(owner.to_owned())).bind(Bind::Time(until.naive_utc()));
    leased.load::<Leased>(conn)
}

/// The receiver acknowledged the delivery; its webhook's failures are forgotten.
pub fn delivered(conn: &mut Conn, id: &str, owner: &str, status: i32, now: DateTime<Utc>) -> Result<(), Error> {
    let updated = diesel::update(webhook_deliveries::table.find(id).filter(webhook_deliveries::lease_owner.eq(owner)))
        .set((
            webhook_deliveries::delivered_at.eq(Some(now.naive_utc())),
            webhook_deliveries::attempts.eq(webhook_deliveries::attempts + 1),
            webhook_deliveries::last_status.eq(Some(status)),
            webhook_deliveries::last_error.eq(None::<String>),
            webhook_deliveries::last_attempt_at.eq(Some(now.naive_utc())),
            webhook_deliveries::lease_owner.eq(None::<String>),
            webhook_deliveries::lease_until.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)?;
    if updated == 1 {
        let webhook = webhook_deliveries::table.find(id).select(webhook_deliveries::webhook_id);
        diesel::update(webhooks::table.filter(webhooks::id.eq_any(webhook)).filter(webhooks::failures.ne(0)))
            .set(webhooks::failures.eq(0))
            .execute(conn)?;
    }
    Ok(())
}

/// The attempt failed: the delivery waits until `next_attempt`, and its webhook is disabled
/// when this makes `disable_after` failures in a row. False when the lease was lost meanwhile
/// (another sender has the delivery now; its outcome counts).
#[allow(clippy::too_many_arguments)]
pub fn failed(
    conn: &mut Conn,
    id: &str,
    owner: &str,
    status: Option<i32>,
    error: &str,
    now: DateTime<Utc>,
    next_attempt: DateTime<Utc>,
    disable_after: i32,
) -> Result<bool, Error> {
    let updated = diesel::update(webhook_deliveries::table.find(id).filter(webhook_deliveries::lease_owner.eq(owner)))
        .set((
            webhook_deliveries::attempts.eq(webhook_deliveries::attempts + 1),
            webhook_deliveries::last_status.eq(status),
            webhook_deliveries::last_error.eq(Some(error)),
            webhook_deliveries::last_attempt_at.eq(Some(now.naive_utc())),
            webhook_deliveries::next_attempt_at.eq(next_attempt.naive_utc()),
            webhook_deliveries::lease_owner.eq(None::<String>),
            webhook_deliveries::lease_until.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)?;
    if updated == 0 {
        return Ok(false);
    }
    let mut count = Sql::new(
        "UPDATE webhooks SET failures = failures + 1, updated_at = ?, \
         enabled = CASE WHEN failures + 1 >= ? THEN FALSE ELSE enabled END, \
         disabled_reason = CASE WHEN failures + 1 >= ? THEN ? ELSE disabled_reason END \
         WHERE id = (SELECT webhook_id FROM webhook_deliveries WHERE id = ?)",
    );
    count
        .bind(Bind::Time(now.naive_utc()))
        .bind(Bind::Int(disable_after))
        .bind(Bind::Int(disable_after))
        .bind(Bind::Text(format!("{disable_after} failed attempts in a row; the last: {error}")))
        .bind(Bind::Text(id.to_owned()));
    count.execute(conn)?;
    Ok(true)
}

/// Gives up this sender's leases (a stopping core), so that others send them at once.
pub fn release(conn: &mut Conn, owner: &str) -> Result<usize, Error> {
    Ok(diesel::update(
        webhook_deliveries::table
            .filter(webhook_deliveries::lease_owner.eq(owner))
            .filter(webhook_deliveries::delivered_at.is_null()),
    )
    .set((
        webhook_deliveries::lease_owner.eq(None::<String>),
        webhook_deliveries::lease_until.eq(None::<NaiveDateTime>),
    ))
    .execute(conn)?)
}

/// Gives up every lease (SQLite at start-up: its only core died holding them).
pub fn release_all(conn: &mut Conn) -> Result<usize, Error> {
    Ok(diesel::update(webhook_deliveries::table.filter(webhook_deliveries::lease_owner.is_not_null()))
        .set((
            webhook_deliveries::lease_owner.eq(None::<String>),
            webhook_deliveries::lease_until.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)?)
}

/// Deletes at most `limit` deliveries acknowledged before `before`; answers how many.
pub fn prune(conn: &mut Conn, before: DateTime<Utc>, limit: i64) -> Result<usize, Error> {
    let mut sql = Sql::new(
        "DELETE FROM webhook_deliveries WHERE id IN \
         (SELECT id FROM webhook_deliveries WHERE delivered_at IS NOT NULL AND delivered_at < ? LIMIT ?)",
    );
    sql.bind(Bind::Time(before.naive_utc())).bind(Bind::Big(limit));
    sql.execute(conn)
}

type DeliveryRow = (
    String,
    String,
    i64,
    String,
    String,
    i32,
    Option<i32>,
    Option<String>,
    Option<NaiveDateTime>,
    NaiveDateTime,
    Option<NaiveDateTime>,
    NaiveDateTime,
);

/// A webhook's deliveries below feed position `before` (all when `None`), newest first, at
/// most `limit`.
pub fn deliveries(
    conn: &mut Conn,
    webhook: Uuid,
    state: Option<DeliveryState>,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<Delivery>, Error> {
    let mut query = webhook_deliveries::table
        .filter(webhook_deliveries::webhook_id.eq(webhook.to_string()))
        .select((
            webhook_deliveries::id,
            webhook_deliveries::claim_id,
            webhook_deliveries::feed_position,
            webhook_deliveries::kind,
            webhook_deliveries::webhook_id,
            webhook_deliveries::attempts,
            webhook_deliveries::last_status,
            webhook_deliveries::last_error,
            webhook_deliveries::last_attempt_at,
            webhook_deliveries::next_attempt_at,
            webhook_deliveries::delivered_at,
            webhook_deliveries::created_at,
        ))
        .order(webhook_deliveries::feed_position.desc())
        .limit(limit)
        .into_boxed();
    if let Some(before) = before {
        query = query.filter(webhook_deliveries::feed_position.lt(before));
    }
    match state {
        Some(DeliveryState::Pending) => query = query.filter(webhook_deliveries::delivered_at.is_null()),
        Some(DeliveryState::Delivered) => query = query.filter(webhook_deliveries::delivered_at.is_not_null()),
        None => {}
    }
    let rows: Vec<DeliveryRow> = query.load(conn)?;
    rows.into_iter()
        .map(
            |(
                id,
                claim_id,
                feed_position,
                kind,
                webhook_id,
                attempts,
                last_status,
                last_error,
                last_attempt_at,
                next,
                delivered_at,
                created_at,
            )| {
                Ok(Delivery {
                    id: uuid(&id)?,
                    webhook_id: uuid(&webhook_id)?,
                    feed_position,
                    claim_id: uuid(&claim_id)?,
                    kind,
                    attempts,
                    last_status,
                    last_error,
                    last_attempt_at: last_attempt_at.map(|t| t.and_utc()),
                    next_attempt_at: next.and_utc(),
                    delivered_at: delivered_at.map(|t| t.and_utc()),
                    created_at: created_at.and_utc(),
                })
            },
        )
        .collect()
}
