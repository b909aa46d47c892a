//! The change feed: every history event of every claim, in commit order, each with the cursor
//! a watcher resumes from (ARCHITECTURE.md, "Change feed").
//!
//! Events get their feed positions in storage (`storage::events`): at once on SQLite, from a
//! sequencer after commit on PostgreSQL. One task per core runs that sequencer and follows the
//! newest position, woken by this core's commits and every [`POLL`] for other cores'; each
//! watcher reads the events above its cursor from the database when the newest position passes
//! it, so watchers cost nothing while nothing changes and never hold a connection while waiting.

use std::{
    collections::HashSet,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use strum::VariantNames;
use tokio::sync::{Notify, watch};
use uuid::Uuid;

use crate::{
    domain::{
        ClaimStatus, Error, Event, Violations,
        claim::normalize_tag,
        history::ChangeKind,
        paging::{self, Cursor},
        parse_id,
    },
    storage::{Backend, Database, claims, events},
};

/// How often the feed looks for events committed by other core instances.
pub const POLL: Duration = Duration::from_millis(100);
/// Events read from the database at once, by the sequencer and by a watcher.
const BATCH: i64 = 500;
/// The most values of one filter.
const MAX_FILTER_VALUES: usize = 100;

/// A position in the feed: the events after it are still to come.
#[derive(Debug, Clone, Copy, PartialEq)]
struct FeedCursor {
    position: i64,
}

impl Cursor for FeedCursor {
    const KIND: &'static str = "e1";
    const FIELDS: usize = 1;

    fn fields(&self) -> Vec<String> {
        vec![self.position.to_string()]
    }

    fn from_fields(fields: &[&str]) -> Option<Self> {
        let position: i64 = fields[0].parse().ok().filter(|p| *p >= 0)?;
        Some(FeedCursor { position })
    }
}

/// The cursor of the event at a feed position.
pub fn cursor_of(position: i64) -> String {
    paging::encode(&FeedCursor { position })
}

/// Refuses a position ahead of the feed's newest event `head` (OUT_OF_RANGE): its cursor was not
/// issued by this database. History is never deleted, so no position below it is too old.
pub fn issued_here(field: &'static str, position: i64, head: i64, hint: &str) -> Result<(), Error> {
    if position <= head {
        return Ok(());
    }
    Err(Error::OutOfRange {
        field,
        description: format!(
            "the cursor is ahead of this feed's newest event ({position} > {head}): it was not issued by this \
             database{hint}"
        ),
    })
}

/// The feed position a cursor this feed issued stands for.
pub fn position_of(cursor: &str) -> Result<i64, String> {
    paging::decode::<FeedCursor>(cursor).map(|c| c.position)
}

/// One event as the feed delivers it.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedEvent {
    /// Resume after this event by passing it as `since`.
    pub cursor: String,
    pub event: Event,
}

/// Where a watch starts.
#[derive(Debug, Clone, PartialEq)]
enum Start {
    /// With the events committed from now on.
    Now,
    /// With the first event ever recorded.
    Beginning,
    /// After the event at this position.
    After(i64),
}

/// Which events a watcher wants; an empty list does not filter. Statuses and tags are the
/// claim's as they are when the event is delivered.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WatchFilter {
    pub claim_ids: Vec<String>,
    pub kinds: Vec<String>,
    pub statuses: Vec<String>,
    pub tags: Vec<String>,
}

/// A filter checked: ids parsed, kinds and statuses known.
#[derive(Debug, Clone, Default)]
struct Filter {
    claim_ids: HashSet<Uuid>,
    kinds: HashSet<ChangeKind>,
    statuses: Vec<ClaimStatus>,
    tags: Vec<String>,
}

impl WatchFilter {
    fn check(self) -> Result<Filter, Error> {
        let mut v = Violations::default();
        for (field, len) in [
            ("claim_ids", self.claim_ids.len()),
            ("kinds", self.kinds.len()),
            ("statuses", self.statuses.len()),
            ("tags", self.tags.len()),
        ] {
            if len > MAX_FILTER_VALUES {
                v.push(field, format!("at most {MAX_FILTER_VALUES} values, got {len}"));
            }
        }
        let mut filter = Filter::default();
        for id in &self.claim_ids {
            match parse_id("claim_ids", id) {
                Ok(id) => {
                    filter.claim_ids.insert(id);
                }
                Err(_) => v.push("claim_ids", format!("{:?} is not a claim id (a UUID)", cut(id))),
            }
        }
        for kind in &self.kinds {
            match kind.parse::<ChangeKind>() {
                Ok(k) => {
                    filter.kinds.insert(k);
                }
                Err(_) => v.push(
                    "kinds",
                    format!("{:?} is not an event kind; one of {}", cut(kind), ChangeKind::VARIANTS.join(", ")),
                ),
            }
        }
        for status in &self.statuses {
            match ClaimStatus::parse(status) {
                Ok(s) => filter.statuses.push(s),
                Err(e) => v.push("statuses", e),
            }
        }
        // As stored: a filter on "Venezuela" finds the claims tagged "venezuela".
        for tag in &self.tags {
            if let Some(tag) = v.check("tags", normalize_tag(tag)) {
                filter.tags.push(tag);
            }
        }
        v.into_result()?;
        Ok(filter)
    }
}

fn cut(value: &str) -> String {
    value.chars().take(60).collect()
}

/// The feed of one core: the sequencer and the newest position, shared by its watchers.
#[derive(Debug, Clone)]
pub struct Feed {
    db: Database,
    head: watch::Receiver<i64>,
    stopping: watch::Receiver<bool>,
    /// Subscriptions open on this core.
    watchers: Arc<AtomicUsize>,
    /// How long a stream's buffer may stay full before the stream ends (`slow_consumer`).
    pub slow_consumer: Duration,
}

impl Feed {
    /// Starts the task that sequences events (PostgreSQL) and follows the newest position,
    /// until `stopping` turns true; watchers then end with `core_stopping`.
    pub fn start(
        db: Database,
        stopping: watch::Receiver<bool>,
        slow_consumer: Duration,
    ) -> (Feed, tokio::task::JoinHandle<()>) {
        let (head_tx, head) = watch::channel(0);
        let watchers = Arc::new(AtomicUsize::new(0));
        let task = tokio::spawn(follow(db.clone(), db.commits(), head_tx, watchers.clone(), stopping.clone()));
        (Feed { db, head, stopping, watchers, slow_consumer }, task)
    }

    /// A watch after the cursor `since`, else from now or `from_beginning`, checked: a cursor this feed did not issue is refused, and one
    /// ahead of the newest event (another database's) is out of range. History is never
    /// deleted, so no cursor this database issued is ever too old to resume from.
    pub async fn subscribe(
        &self,
        since: &str,
        from_beginning: bool,
        filter: WatchFilter,
    ) -> Result<Subscription, Error> {
        let mut v = Violations::default();
        let start = match (since.is_empty(), from_beginning) {
            (true, false) => Some(Start::Now),
            (true, true) => Some(Start::Beginning),
            (false, false) => v.check("since", paging::decode::<FeedCursor>(since).map(|c| Start::After(c.position))),
            (false, true) => {
                v.push("from_beginning", "cannot be set with since: resume from a cursor, or start from the beginning");
                None
            }
        };
        let filter = v.absorb(filter.check())?;
        v.into_result()?;
        let (Some(start), Some(filter)) = (start, filter) else {
            return Err(Error::Internal("checked but absent".into()));
        };
        let head = self.db.run(events::head).await?;
        let cursor = match start {
            Start::Now => head,
            Start::Beginning => 0,
            Start::After(after) => {
                issued_here("since", after, head, "; start from the beginning or from now")?;
                after
            }
        };
        self.watchers.fetch_add(1, Ordering::Relaxed);
        Ok(Subscription { feed: self.clone(), cursor, filter, head: self.head.clone() })
    }
}

/// Sequences (PostgreSQL) and publishes the newest position: after each of this core's
/// commits, and every [`POLL`] for the other cores'.
async fn follow(
    db: Database,
    commits: Arc<Notify>,
    head: watch::Sender<i64>,
    watchers: Arc<AtomicUsize>,
    mut stopping: watch::Receiver<bool>,
) {
    loop {
        if *stopping.borrow() {
            return;
        }
        while db.backend() == Backend::Postgres {
            match db.run(|conn| events::sequence(conn, BATCH)).await {
                Ok(n) if n as i64 == BATCH => continue,
                Ok(_) => break,
                Err(e) => {
                    tracing::warn!(error = %e, "change feed: cannot number new events; trying again");
                    break;
                }
            }
        }
        match db.run(events::head).await {
            Ok(newest) => {
                head.send_if_modified(|h| {
                    let moved = *h != newest;
                    *h = newest;
                    moved
                });
            }
            Err(e) => tracing::warn!(error = %e, "change feed: cannot read the newest position; trying again"),
        }
        // This core's commits matter at once only to its own watchers; without any, the
        // next poll numbers them (for other cores' watchers) at a tenth of the cost under load.
        let watched = watchers.load(Ordering::Relaxed) > 0;
        tokio::select! {
            () = commits.notified(), if watched => {}
            () = tokio::time::sleep(POLL) => {}
            // An error: the server that would say "stop" is gone (its task aborted).
            changed = stopping.changed() => if changed.is_err() { return },
        }
    }
}

/// One watcher's place in the feed.
pub struct Subscription {
    feed: Feed,
    cursor: i64,
    filter: Filter,
    head: watch::Receiver<i64>,
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.feed.watchers.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Subscription {
    /// The cursor of the last event looked at (delivered or filtered out).
    pub fn cursor(&self) -> String {
        cursor_of(self.cursor)
    }

    /// The next events after the cursor that pass the filter, in feed order, waiting until
    /// there are some; `StreamEnded` (`core_stopping`) when core stops.
    pub async fn next(&mut self) -> Result<Vec<FeedEvent>, Error> {
        loop {
            if *self.feed.stopping.borrow() {
                return Err(self.ended());
            }
            let newest = *self.head.borrow_and_update();
            if newest > self.cursor {
                let after = self.cursor;
                let rows = self.feed.db.run(move |conn| events::feed(conn, after, BATCH)).await?;
                if let Some(&(last, _)) = rows.last() {
                    // The cursor moves only once the events are in hand: a call dropped at an
                    // await (its stream cancelled) leaves it where it was.
                    let passed = self.pass(rows).await?;
                    self.cursor = last;
                    if !passed.is_empty() {
                        return Ok(passed);
                    }
                    continue;
                }
            }
            let mut stopping = self.feed.stopping.clone();
            tokio::select! {
                changed = self.head.changed() => if changed.is_err() { return Err(self.ended()) },
                _ = stopping.wait_for(|stop| *stop) => return Err(self.ended()),
            }
        }
    }

    fn ended(&self) -> Error {
        Error::StreamEnded { code: "core_stopping", reason: "core is stopping".into(), resume_from: self.cursor() }
    }

    /// The events of `rows` that pass the filter, with their cursors.
    async fn pass(&self, rows: Vec<(i64, Event)>) -> Result<Vec<FeedEvent>, Error> {
        let f = &self.filter;
        let mut rows: Vec<(i64, Event)> = rows
            .into_iter()
            .filter(|(_, e)| f.claim_ids.is_empty() || f.claim_ids.contains(&e.claim_id))
            .filter(|(_, e)| f.kinds.is_empty() || f.kinds.contains(&ChangeKind::from(&e.change)))
            .collect();
        if !rows.is_empty() && (!f.statuses.is_empty() || !f.tags.is_empty()) {
            let ids: Vec<String> = rows.iter().map(|(_, e)| e.claim_id.to_string()).collect();
            let (statuses, tags) = (f.statuses.clone(), f.tags.clone());
            let matching = self.feed.db.run(move |conn| claims::matching(conn, &ids, &statuses, &tags)).await?;
            rows.retain(|(_, e)| matching.contains(&e.claim_id.to_string()));
        }
        Ok(rows.into_iter().map(|(position, event)| FeedEvent { cursor: cursor_of(position), event }).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_is_refused_unless_this_feed_issued_it() {
        assert_eq!(paging::decode::<FeedCursor>(&cursor_of(42)), Ok(FeedCursor { position: 42 }));
        for token in ["", "42", "not base64!", &paging::encode(&FeedCursor { position: -1 })] {
            assert!(paging::decode::<FeedCursor>(token).is_err(), "{token:?} accepted");
        }
    }

    #[test]
    fn a_filter_reports_every_bad_value() {
        let filter = WatchFilter {
            claim_ids: vec!["nope".into()],
            kinds: vec!["created".into(), "deleted".into()],
            statuses: vec!["maybe".into()],
            tags: vec![" ".into()],
        };
        let Err(Error::Validation(errors)) = filter.check() else { panic!("a bad filter passed") };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["claim_ids", "kinds", "statuses", "tags"]);
        let ok =
            WatchFilter { kinds: ChangeKind::VARIANTS.iter().map(|k| k.to_string()).collect(), ..Default::default() };
        assert_eq!(ok.check().expect("every kind is known").kinds.len(), 8);
    }
}
