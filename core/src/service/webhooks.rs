//! Webhooks (ARCHITECTURE.md, "Webhooks"): admins register URLs; every core instance runs a
//! [`Deliverer`] that takes the change feed's events into the database as deliveries and sends
//! the due ones, signed after the Standard Webhooks specification.
//!
//! - **Taking events.** A webhook keeps the feed position of the last event it took. The
//!   deliverer locks the webhooks behind the feed's head (PostgreSQL: `FOR UPDATE SKIP LOCKED`,
//!   so two cores never take the same events), records one delivery per event it wants, with the
//!   event's JSON as the feed gives it, and moves the position, in one transaction.
//! - **Sending.** A delivery is sent under a lease (`storage::webhooks::lease`): only the oldest
//!   waiting delivery of a claim is due (per-claim order), at most [`WebhookConfig::per_webhook`]
//!   of a webhook are in flight, at most [`WebhookConfig::concurrency`] in all, each bounded by
//!   [`WebhookConfig::timeout`]. A 2xx acknowledges it; anything else is retried after an
//!   exponential backoff with jitter, and [`WebhookConfig::disable_after`] failed attempts in a
//!   row disable the webhook (an admin enables it again, optionally replaying from a cursor).
//! - **Where it may connect.** Every address a URL resolves to is checked when the delivery
//!   connects (and for every redirect): private, loopback, link-local and reserved addresses are
//!   refused unless `CLAIMDESK_WEBHOOK_ALLOWED_HOSTS` lists them.

use std::{collections::HashMap, net::SocketAddr, sync::Arc, time::Duration};

use base64::Engine;
use chrono::Utc;
use hmac::{Hmac, Mac};
use tokio::{sync::watch, task::JoinSet};
use uuid::Uuid;

use crate::{
    domain::{
        AllowedHosts, Delivery, DeliveryState, Error, Webhook, WebhookInput,
        auth::random_key,
        history::ChangeKind,
        paging::{self, Cursor, Page},
        parse_id, truncate_micros,
        webhook::receives,
    },
    service::feed::{self, FeedEvent},
    storage::{Database, events, webhooks},
};

/// Renders a feed event as the JSON the change feed's clients see (the gateway's `FeedEvent`):
/// a webhook's body is that same document.
pub type RenderEvent = Arc<dyn Fn(FeedEvent) -> Result<String, String> + Send + Sync>;

/// How webhooks are delivered.
#[derive(Debug, Clone)]
pub struct WebhookConfig {
    /// Hosts and networks a webhook may reach besides public addresses.
    pub allowed_hosts: AllowedHosts,
    /// The longest an attempt may take, connection and answer included.
    pub timeout: Duration,
    /// The first retry's delay; each later one doubles it, up to `retry_cap`, with jitter.
    pub retry_base: Duration,
    pub retry_cap: Duration,
    /// Failed attempts in a row that disable a webhook.
    pub disable_after: i32,
    /// Deliveries in flight at once, per core instance.
    pub concurrency: usize,
    /// Deliveries of one webhook in flight at once, across core instances.
    pub per_webhook: usize,
    /// How long acknowledged deliveries stay readable before they are deleted.
    pub retention: Duration,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        WebhookConfig {
            allowed_hosts: AllowedHosts::default(),
            timeout: Duration::from_secs(10),
            retry_base: Duration::from_secs(5),
            retry_cap: Duration::from_secs(3600),
            disable_after: 30,
            concurrency: 32,
            per_webhook: 4,
            retention: Duration::from_secs(30 * 24 * 3600),
        }
    }
}

impl WebhookConfig {
    /// How long a sender holds a delivery: past this, another takes it (its sender died).
    fn lease(&self) -> Duration {
        self.timeout + Duration::from_secs(5)
    }

    /// The delay before attempt `attempt + 1`, after `attempt` failed ones: `retry_base`
    /// doubled for each, at most `retry_cap`, then a random part of it taken off (half at
    /// most), so that receivers that failed together are not retried together.
    pub fn backoff(&self, attempts: i32) -> Duration {
        let doublings = u32::try_from(attempts.saturating_sub(1)).unwrap_or(0).min(30);
        let full = self.retry_base.saturating_mul(1 << doublings).min(self.retry_cap);
        let mut byte = [0u8; 1];
        let jitter = if getrandom::fill(&mut byte).is_ok() { f64::from(byte[0]) / 255.0 } else { 0.5 };
        full.mul_f64(1.0 - 0.5 * jitter)
    }
}

/// The deliveries list's cursor: the feed position of the last one listed.
#[derive(Debug, Clone, Copy, PartialEq)]
struct DeliveryCursor {
    position: i64,
}

impl Cursor for DeliveryCursor {
    const KIND: &'static str = "d1";
    const FIELDS: usize = 1;

    fn fields(&self) -> Vec<String> {
        vec![self.position.to_string()]
    }

    fn from_fields(fields: &[&str]) -> Option<Self> {
        Some(DeliveryCursor { position: fields[0].parse().ok()? })
    }
}

/// The admins' operations on webhooks.
#[derive(Debug, Clone)]
pub struct Webhooks {
    db: Database,
    allowed: AllowedHosts,
}

impl Webhooks {
    pub fn new(db: Database, config: &WebhookConfig) -> Self {
        Webhooks { db, allowed: config.allowed_hosts.clone() }
    }

    /// Registers a webhook that takes the events committed from now on; answers its secret,
    /// which is not shown again.
    pub async fn create(&self, input: WebhookInput, actor: String) -> Result<(Webhook, String), Error> {
        let valid = input.validate(&self.allowed)?;
        let secret = new_secret()?;
        let stored = secret.clone();
        let now = truncate_micros(Utc::now());
        let webhook = self
            .db
            .write(move |conn| {
                let webhook = Webhook {
                    id: Uuid::now_v7(),
                    url: valid.url.to_string(),
                    description: valid.description.clone(),
                    kinds: valid.kinds.clone(),
                    enabled: true,
                    disabled_reason: None,
                    failures: 0,
                    feed_position: events::head(conn)?,
                    pending: 0,
                    created_by: actor.clone(),
                    created_at: now,
                    updated_at: now,
                };
                webhooks::insert(conn, &webhook, &stored)?;
                Ok(webhook)
            })
            .await?;
        tracing::info!(webhook = %webhook.id, url = %webhook.url, "webhook registered");
        Ok((webhook, secret))
    }

    pub async fn get(&self, id: &str) -> Result<Webhook, Error> {
        let id = parse_id("id", id)?;
        self.db.run(move |conn| webhooks::get(conn, id)).await
    }

    pub async fn list(&self) -> Result<Vec<Webhook>, Error> {
        self.db.run(webhooks::list).await
    }

    pub async fn delete(&self, id: &str) -> Result<(), Error> {
        let id = parse_id("id", id)?;
        if self.db.write(move |conn| webhooks::delete(conn, id)).await? {
            tracing::info!(webhook = %id, "webhook deleted");
            Ok(())
        } else {
            Err(Error::NotFound { resource: "webhook", id: id.to_string() })
        }
    }

    /// Enables a webhook; with a cursor, it takes again every event after it.
    pub async fn enable(&self, id: &str, replay_from: &str) -> Result<Webhook, Error> {
        let id = parse_id("id", id)?;
        let replay = if replay_from.is_empty() {
            None
        } else {
            Some(feed::position_of(replay_from).map_err(|e| Error::invalid("replay_from", e))?)
        };
        let webhook = self
            .db
            .write(move |conn| {
                if let Some(position) = replay {
                    feed::issued_here("replay_from", position, events::head(conn)?, "")?;
                }
                webhooks::enable(conn, id, replay, truncate_micros(Utc::now()))
            })
            .await?;
        tracing::info!(webhook = %id, replay_from = ?replay, "webhook enabled");
        Ok(webhook)
    }

    pub async fn disable(&self, id: &str, actor: &str) -> Result<Webhook, Error> {
        let id = parse_id("id", id)?;
        let reason = format!("disabled by {actor}");
        let webhook =
            self.db.write(move |conn| webhooks::disable(conn, id, &reason, truncate_micros(Utc::now()))).await?;
        tracing::info!(webhook = %id, "webhook disabled");
        Ok(webhook)
    }

    /// A webhook's deliveries, newest first.
    pub async fn deliveries(
        &self,
        id: &str,
        state: &str,
        page_size: Option<i32>,
        page_token: Option<&str>,
    ) -> Result<Page<Delivery>, Error> {
        let mut v = crate::domain::Violations::default();
        let id = v.absorb(parse_id("webhook_id", id))?;
        let state = match state {
            "" => None,
            s => v.check(
                "state",
                s.parse::<DeliveryState>()
                    .map_err(|_| format!("{} is not pending or delivered", crate::domain::shown(s))),
            ),
        };
        let params = v.absorb(paging::params::<DeliveryCursor>(page_size, page_token))?;
        v.into_result()?;
        let (Some(id), Some((limit, after))) = (id, params) else {
            return Err(Error::Internal("checked but absent".into()));
        };
        let rows = self
            .db
            .run(move |conn| {
                webhooks::get(conn, id)?;
                webhooks::deliveries(conn, id, state, after.map(|c| c.position), i64::from(limit) + 1)
            })
            .await?;
        Ok(Page::from_rows(rows, limit, |d: &Delivery| DeliveryCursor { position: d.feed_position }))
    }
}

/// `whsec_` and 32 random bytes in base64, as Standard Webhooks' libraries take a secret.
fn new_secret() -> Result<String, Error> {
    Ok(format!("whsec_{}", base64::engine::general_purpose::STANDARD.encode(random_key()?)))
}

/// The `webhook-signature` of a message: `v1,` and the base64 HMAC-SHA256 of
/// `{id}.{timestamp}.{body}`, keyed with the secret's bytes.
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &str) -> Result<String, String> {
    let key = base64::engine::general_purpose::STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap_or(secret))
        .map_err(|e| format!("the stored secret is not base64: {e}"))?;
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&key).map_err(|e| e.to_string())?;
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body.as_bytes());
    Ok(format!("v1,{}", base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())))
}

/// Events taken per webhook and pass.
const TAKE_BATCH: i64 = 500;
/// How often the deliverer looks for work when nothing wakes it.
const TICK: Duration = Duration::from_millis(250);
/// Acknowledged deliveries deleted at once by the retention.
const PRUNE_BATCH: i64 = 1000;
/// The most of a receiver's answer kept in `last_error`.
const ERROR_BODY_CHARS: usize = 200;

/// Takes events into deliveries and sends them, until core stops.
pub struct Deliverer {
    db: Database,
    config: WebhookConfig,
    render: RenderEvent,
    client: reqwest::Client,
    /// This core's name on its leases.
    owner: String,
}

impl Deliverer {
    pub fn new(db: Database, config: WebhookConfig, render: RenderEvent) -> Result<Self, Error> {
        let client = http_client(&config).map_err(|e| Error::Internal(format!("webhook HTTP client: {e}")))?;
        Ok(Deliverer { db, config, render, client, owner: format!("core-{}", Uuid::now_v7().simple()) })
    }

    /// Runs until `stopping` turns true, then lets the attempts in flight finish (within their
    /// timeout) and gives up its other leases.
    pub fn start(self, mut stopping: watch::Receiver<bool>) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let this = Arc::new(self);
            // One core owns a SQLite database (its lock file): leases still held are a dead
            // core's, sent again at once rather than when they run out.
            if this.db.backend() == crate::storage::Backend::Sqlite {
                match this.db.write(webhooks::release_all).await {
                    Ok(n) if n > 0 => {
                        tracing::info!(released = n, "webhooks: took back the leases of a core that died")
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "webhooks: cannot take back old leases; they run out"),
                }
            }
            let mut in_flight = JoinSet::new();
            let tick = TICK.min(this.config.retry_base.max(Duration::from_millis(20)));
            // Every hour (or sooner with a short retention), acknowledged deliveries past it go.
            let prune_every = this.config.retention.min(Duration::from_secs(3600));
            let mut pruned = tokio::time::Instant::now();
            loop {
                if *stopping.borrow() {
                    break;
                }
                if pruned.elapsed() >= prune_every {
                    pruned = tokio::time::Instant::now();
                    if let Err(e) = this.prune().await {
                        tracing::warn!(error = %e, "webhooks: cannot delete old deliveries; next time");
                    }
                }
                if let Err(e) = this.take_events().await {
                    tracing::warn!(error = %e, "webhooks: cannot take new events; trying again");
                }
                let room = this.config.concurrency.saturating_sub(in_flight.len());
                if room > 0 {
                    match this.lease(room).await {
                        Ok(leased) => {
                            for delivery in leased {
                                let this = this.clone();
                                in_flight.spawn(async move { this.attempt(delivery).await });
                            }
                        }
                        Err(e) => tracing::warn!(error = %e, "webhooks: cannot lease deliveries; trying again"),
                    }
                }
                tokio::select! {
                    Some(_) = in_flight.join_next(), if !in_flight.is_empty() => {}
                    () = tokio::time::sleep(tick) => {}
                    // An error: the server that would say "stop" is gone (its task aborted).
                    changed = stopping.changed() => if changed.is_err() { break },
                }
            }
            let grace = this.config.timeout + Duration::from_secs(1);
            let _ = tokio::time::timeout(grace, async { while in_flight.join_next().await.is_some() {} }).await;
            in_flight.abort_all();
            let owner = this.owner.clone();
            match this.db.write(move |conn| webhooks::release(conn, &owner)).await {
                Ok(n) if n > 0 => tracing::info!(released = n, "webhooks: gave up this core's leases"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "webhooks: cannot give up leases; they expire by themselves"),
            }
        })
    }

    /// Takes the events the enabled webhooks have not taken yet into deliveries.
    async fn take_events(&self) -> Result<(), Error> {
        let head = self.db.run(events::head).await?;
        if self.db.run(move |conn| webhooks::behind(conn, head)).await?.is_empty() {
            return Ok(());
        }
        let render = self.render.clone();
        self.db
            .write(move |conn| {
                let now = truncate_micros(Utc::now());
                // Webhooks at the same place take the same events: each is rendered once.
                let mut rendered: HashMap<i64, String> = HashMap::new();
                for webhook in webhooks::behind(conn, head)? {
                    let rows = events::feed(conn, webhook.feed_position, TAKE_BATCH)?;
                    let Some(&(last, _)) = rows.last() else { continue };
                    let mut taken = Vec::new();
                    for (position, event) in rows {
                        let kind = ChangeKind::from(&event.change);
                        if !receives(&webhook.kinds, kind) {
                            continue;
                        }
                        let claim_id = event.claim_id;
                        let body = match rendered.get(&position) {
                            Some(body) => body.clone(),
                            None => {
                                let body = render(FeedEvent { cursor: feed::cursor_of(position), event })
                                    .map_err(|e| Error::Internal(format!("cannot render event {position}: {e}")))?;
                                rendered.insert(position, body.clone());
                                body
                            }
                        };
                        taken.push(webhooks::Taken { feed_position: position, claim_id, kind, body });
                    }
                    webhooks::take_events(conn, webhook.id, taken, last, now)?;
                }
                Ok(())
            })
            .await
    }

    /// Deletes the deliveries acknowledged longer than the retention ago, a batch at a time.
    async fn prune(&self) -> Result<(), Error> {
        let retention =
            chrono::Duration::from_std(self.config.retention).unwrap_or_else(|_| chrono::Duration::days(30));
        let before = Utc::now() - retention;
        loop {
            let n = self.db.write(move |conn| webhooks::prune(conn, before, PRUNE_BATCH)).await?;
            if n > 0 {
                tracing::debug!(deleted = n, "webhooks: deleted acknowledged deliveries past the retention");
            }
            if (n as i64) < PRUNE_BATCH {
                return Ok(());
            }
        }
    }

    async fn lease(&self, room: usize) -> Result<Vec<webhooks::Leased>, Error> {
        let owner = self.owner.clone();
        let lease = chrono::Duration::from_std(self.config.lease()).unwrap_or_else(|_| chrono::Duration::seconds(15));
        let (limit, per_webhook) = (room as i64, self.config.per_webhook as i64);
        // Chosen by a read, taken by a write only when there is something: an idle deliverer
        // never takes SQLite's writer turn.
        let due = self.db.run(move |conn| webhooks::due(conn, truncate_micros(Utc::now()), limit, per_webhook)).await?;
        if due.is_empty() {
            return Ok(Vec::new());
        }
        self.db
            .write(move |conn| {
                let now = truncate_micros(Utc::now());
                webhooks::lease(conn, &due, &owner, now, now + lease)
            })
            .await
    }

    /// One attempt at a delivery, and its outcome recorded.
    async fn attempt(&self, delivery: webhooks::Leased) {
        let started = std::time::Instant::now();
        let sent = self.send(&delivery).await;
        let outcome = if sent.is_ok() { "delivered" } else { "failed" };
        crate::metrics::metrics()
            .webhook_attempts
            .get_or_create(&crate::metrics::AttemptLabels { outcome: outcome.to_owned() })
            .observe(started.elapsed().as_secs_f64());
        let now = truncate_micros(Utc::now());
        let (id, owner) = (delivery.id.clone(), self.owner.clone());
        let recorded = match sent {
            Ok(status) => {
                tracing::debug!(delivery = %id, status, "webhook delivered");
                self.db.write(move |conn| webhooks::delivered(conn, &id, &owner, status, now)).await
            }
            Err((status, error)) => {
                let next = now
                    + chrono::Duration::from_std(self.config.backoff(delivery.attempts + 1))
                        .unwrap_or_else(|_| chrono::Duration::hours(1));
                tracing::info!(delivery = %delivery.id, webhook = %delivery.webhook_id, ?status, %error, retry_at = %next, "webhook delivery failed");
                let disable_after = self.config.disable_after;
                self.db
                    .write(move |conn| {
                        webhooks::failed(conn, &id, &owner, status, &error, now, next, disable_after).map(|_| ())
                    })
                    .await
            }
        };
        if let Err(e) = recorded {
            // The lease runs out and the delivery is sent again: at least once.
            tracing::warn!(delivery = %delivery.id, error = %e, "webhooks: cannot record an attempt's outcome");
        }
    }

    /// POSTs the delivery, signed; the receiver's 2xx status, or its status and what went wrong.
    async fn send(&self, delivery: &webhooks::Leased) -> Result<i32, (Option<i32>, String)> {
        let url = url::Url::parse(&delivery.url).map_err(|e| (None, format!("bad URL: {e}")))?;
        let host = url.host().ok_or((None, "the URL names no host".to_owned()))?;
        self.config.allowed_hosts.check_host(&host).map_err(|e| (None, e))?;
        let timestamp = Utc::now().timestamp();
        let signature = sign(&delivery.secret, &delivery.id, timestamp, &delivery.body).map_err(|e| (None, e))?;
        let response = self
            .client
            .post(url)
            .header("content-type", "application/json")
            .header("webhook-id", &delivery.id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(delivery.body.clone())
            .send()
            .await
            .map_err(|e| (None, describe(&e)))?;
        let status = i32::from(response.status().as_u16());
        if response.status().is_success() {
            return Ok(status);
        }
        let mut error = format!("HTTP {status}");
        if response.status().is_redirection() {
            if let Some(location) = response.headers().get("location").and_then(|l| l.to_str().ok()) {
                error.push_str(&format!(" to {}", location.chars().take(ERROR_BODY_CHARS).collect::<String>()));
            }
        } else if let Ok(Ok(Some(chunk))) = tokio::time::timeout(Duration::from_secs(1), { response }.chunk()).await {
            let text: String =
                String::from_utf8_lossy(&chunk).chars().filter(|c| !c.is_control()).take(ERROR_BODY_CHARS).collect();
            if !text.trim().is_empty() {
                error.push_str(": ");
                error.push_str(text.trim());
            }
        }
        Err((Some(status), error))
    }
}

/// An error and its causes, on one line ("error sending request: ...: 127.0.0.1 is private").
fn describe(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// The client every delivery goes through: no proxy (it would resolve names itself), names
/// resolved by [`CheckedResolver`], redirects followed (three at most) only to addresses that
/// may be reached.
fn http_client(config: &WebhookConfig) -> reqwest::Result<reqwest::Client> {
    let allowed = config.allowed_hosts.clone();
    let redirects = reqwest::redirect::Policy::custom(move |attempt| {
        if attempt.previous().len() >= 3 {
            return attempt.error("more than 3 redirects");
        }
        let checked = match attempt.url().host() {
            Some(host) if matches!(attempt.url().scheme(), "http" | "https") => allowed.check_host(&host),
            _ => Err("a redirect to something other than an http(s) host".to_owned()),
        };
        match checked {
            Ok(()) => attempt.follow(),
            Err(reason) => attempt.error(format!("redirect refused: {reason}")),
        }
    });
    reqwest::Client::builder()
        .no_proxy()
        .redirect(redirects)
        .timeout(config.timeout)
        .connect_timeout(config.timeout.min(Duration::from_secs(5)))
        .user_agent(concat!("claimdesk-webhooks/", env!("CARGO_PKG_VERSION")))
        .dns_resolver(Arc::new(CheckedResolver { allowed: config.allowed_hosts.clone() }))
        .build()
}

/// Resolves a webhook's host and keeps only the addresses it may reach: the check happens when
/// the connection is made, so a name that resolves somewhere else later (DNS rebinding) is
/// caught too.
struct CheckedResolver {
    allowed: AllowedHosts,
}

impl reqwest::dns::Resolve for CheckedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allowed = self.allowed.clone();
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let mut refused = None;
            let reachable: Vec<SocketAddr> = found
                .into_iter()
                .filter(|addr| match allowed.check_address(&host, addr.ip()) {
                    Ok(()) => true,
                    Err(reason) => {
                        refused = Some(reason);
                        false
                    }
                })
                .collect();
            if reachable.is_empty() {
                let reason = refused.unwrap_or_else(|| format!("{host} has no address"));
                return Err(format!("{host}: {reason}").into());
            }
            let addrs: reqwest::dns::Addrs = Box::new(reachable.into_iter());
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_the_standard_webhooks_one() {
        // The example of the Standard Webhooks specification's reference libraries.
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let body = r#"{"test": 2432232314}"#;
        let signature = sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body).expect("signed");
        assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[tokio::test]
    async fn names_are_checked_where_they_resolve() {
        use reqwest::dns::Resolve;
        let name = |n: &str| n.parse::<reqwest::dns::Name>().expect("a name");
        let refused = CheckedResolver { allowed: AllowedHosts::default() };
        let error = refused.resolve(name("localhost")).await.err().expect("loopback refused");
        assert!(error.to_string().contains("CLAIMDESK_WEBHOOK_ALLOWED_HOSTS"), "{error}");
        let listed = CheckedResolver { allowed: AllowedHosts::parse("localhost").expect("a list") };
        let addrs: Vec<SocketAddr> = listed.resolve(name("localhost")).await.expect("listed by name").collect();
        assert!(addrs.iter().all(|a| a.ip().is_loopback()) && !addrs.is_empty(), "{addrs:?}");
    }

    #[test]
    fn backoff_doubles_up_to_its_cap_with_at_most_half_taken_off() {
        let config = WebhookConfig {
            retry_base: Duration::from_secs(1),
            retry_cap: Duration::from_secs(60),
            ..WebhookConfig::default()
        };
        for (attempts, full) in [(1, 1), (2, 2), (3, 4), (7, 60), (40, 60)] {
            for _ in 0..20 {
                let delay = config.backoff(attempts);
                let full = Duration::from_secs(full);
                assert!(
                    delay <= full && delay >= full / 2,
                    "attempt {attempts}: {delay:?} outside [{:?}, {full:?}]",
                    full / 2
                );
            }
        }
    }
}
