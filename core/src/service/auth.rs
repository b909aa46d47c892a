//! Authentication and authorization for every RPC, and the token use cases.

use std::{
    collections::HashMap,
    net::IpAddr,
    num::NonZeroU32,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use chrono::Utc;
use governor::{
    DefaultKeyedRateLimiter, Quota, RateLimiter,
    clock::{Clock, DefaultClock},
};
use uuid::Uuid;

use crate::{
    domain::{
        Access, Error, Principal, Role, Token, TokenInput,
        auth::{hash_secret, new_secret, same_hash},
        parse_id,
    },
    storage::{Database, tokens},
};

/// How long a looked-up token is trusted without asking the database again. Revocation takes
/// effect at once on the instance that revokes, and within this delay on the others.
const CACHE_TTL: Duration = Duration::from_secs(5);

/// Bad secrets remembered per core instance.
const UNKNOWN_CAPACITY: usize = 10_000;
/// Failed token lookups a client address may make in a minute.
const FAILURES_PER_MINUTE: u32 = 60;
const FAILURE_WINDOW: Duration = Duration::from_secs(60);

#[derive(Clone)]
pub struct Auth {
    inner: Arc<Inner>,
}

struct Inner {
    db: Database,
    public_read: bool,
    cache: Mutex<HashMap<String, (Token, Instant)>>,
    /// Secrets (by hash) that matched no token, remembered as long as a found one: repeating a
    /// bad token costs no query.
    unknown: quick_cache::sync::Cache<String, Instant>,
    /// Per client address, per core instance: its failed lookups (secrets that matched no
    /// token) in the current minute. Past the limit, a client's uncached secrets meet 429
    /// instead of the database; valid tokens never count, however many look up at once.
    failures: quick_cache::sync::Cache<IpAddr, (u32, Instant)>,
    /// Per token, per core instance: with N cores a token gets up to N times the quota.
    limiter: Option<DefaultKeyedRateLimiter<Uuid>>,
    /// Bumped by every revocation here: a lookup that read the database before a revocation
    /// and finishes after it does not cache what it read (it may be the revoked token).
    revocations: std::sync::atomic::AtomicU64,
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Auth").field("public_read", &self.inner.public_read).finish_non_exhaustive()
    }
}

impl Auth {
    /// `rate_per_minute` of 0 turns rate limiting off.
    pub fn new(db: Database, public_read: bool, rate_per_minute: u32) -> Self {
        let limiter = NonZeroU32::new(rate_per_minute).map(|n| RateLimiter::keyed(Quota::per_minute(n)));
        Auth {
            inner: Arc::new(Inner {
                db,
                public_read,
                cache: Mutex::new(HashMap::new()),
                unknown: quick_cache::sync::Cache::new(UNKNOWN_CAPACITY),
                failures: quick_cache::sync::Cache::new(UNKNOWN_CAPACITY),
                limiter,
                revocations: std::sync::atomic::AtomicU64::new(0),
            }),
        }
    }

    /// Checks the `authorization` value (`Bearer <token>`) against what the call needs. Every
    /// kind of bad credential gets the same answer, so that nobody learns which tokens exist.
    /// `None` is an anonymous reader allowed by public reads.
    pub async fn check(
        &self,
        authorization: Option<&str>,
        access: Access,
        client: Option<IpAddr>,
    ) -> Result<Option<Principal>, Error> {
        let Some(header) = authorization else {
            return match access {
                Access::PublicRead | Access::Identify if self.inner.public_read => Ok(None),
                _ => Err(Error::Unauthenticated),
            };
        };
        // RFC 9110: the scheme is case-insensitive.
        let secret = header
            .split_once(' ')
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, secret)| secret.trim())
            .filter(|s| !s.is_empty() && s.len() <= 200)
            .ok_or(Error::Unauthenticated)?;
        let token =
            self.lookup(secret, client).await?.filter(|t| t.is_active(Utc::now())).ok_or(Error::Unauthenticated)?;
        let needed = match access {
            Access::Role(role) => role,
            Access::PublicRead | Access::Identify => Role::Viewer,
        };
        if token.role < needed {
            return Err(Error::PermissionDenied { needed: needed.as_str(), has: token.role.as_str() });
        }
        if let Some(limiter) = &self.inner.limiter
            && access != Access::Identify
            && let Err(not_until) = limiter.check_key(&token.id)
        {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            return Err(Error::RateLimited { retry_after_secs: wait.as_secs().max(1) });
        }
        Ok(Some(token.principal()))
    }

    /// The token with this secret: from the cache, else from the database, which answers every
    /// secret in the same way (one indexed lookup of its SHA-256, compared in constant time).
    async fn lookup(&self, secret: &str, client: Option<IpAddr>) -> Result<Option<Token>, Error> {
        let hash = hash_secret(secret);
        if let Some((token, at)) = self.cache().get(&hash)
            && at.elapsed() < CACHE_TTL
        {
            return Ok(Some(token.clone()));
        }
        if self.inner.unknown.get(&hash).is_some_and(|at| at.elapsed() < CACHE_TTL) {
            return Ok(None);
        }
        let failed =
            client.and_then(|c| self.inner.failures.get(&c)).filter(|(_, since)| since.elapsed() < FAILURE_WINDOW);
        if let Some((count, since)) = failed
            && count >= FAILURES_PER_MINUTE
        {
            let retry_after_secs = FAILURE_WINDOW.saturating_sub(since.elapsed()).as_secs().max(1);
            tracing::warn!(client = ?client, "too many unknown tokens from one client; refused without a lookup");
            return Err(Error::RateLimited { retry_after_secs });
        }
        let key = hash.clone();
        let epoch = self.inner.revocations.load(std::sync::atomic::Ordering::SeqCst);
        let found = self.inner.db.run(move |conn| tokens::find_by_hash(conn, &key)).await?;
        let found = found.filter(|t| same_hash(&t.secret_hash, &hash));
        match &found {
            Some(token) => {
                let mut cache = self.cache();
                if self.inner.revocations.load(std::sync::atomic::Ordering::SeqCst) == epoch {
                    cache.insert(hash, (token.clone(), Instant::now()));
                }
            }
            None => {
                self.inner.unknown.insert(hash, Instant::now());
                if let Some(client) = client {
                    let (count, since) = failed.unwrap_or((0, Instant::now()));
                    self.inner.failures.insert(client, (count + 1, since));
                }
            }
        }
        Ok(found)
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Token, Instant)>> {
        self.inner.cache.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn forget(&self, token_id: Uuid) {
        let mut cache = self.cache();
        self.inner.revocations.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        cache.retain(|_, (token, _)| token.id != token_id);
    }

    /// Creates a token; returns it with its secret, which is not kept anywhere.
    pub async fn create_token(&self, input: TokenInput) -> Result<(Token, String), Error> {
        let secret = new_secret()?;
        let token = input.into_token(&secret, Utc::now())?;
        let stored = token.clone();
        self.inner.db.write(move |conn| tokens::insert(conn, &stored)).await?;
        tracing::info!(token = %token.id, name = %token.name, role = token.role.as_str(), "token created");
        Ok((token, secret))
    }

    pub async fn list_tokens(&self) -> Result<Vec<Token>, Error> {
        self.inner.db.run(tokens::list).await
    }

    pub async fn revoke_token(&self, id: &str) -> Result<Token, Error> {
        let id = parse_id("id", id)?;
        let token = self
            .inner
            .db
            .write(move |conn| {
                tokens::take_revocation_turn(conn)?;
                let now = Utc::now();
                let token = tokens::revoke(conn, id, now)?;
                // Without an admin token nobody could manage tokens again but by the command line
                // on the database's host: the last one stays.
                if token.role == Role::Admin && !tokens::active_admin_exists(conn, now)? {
                    return Err(Error::Precondition {
                        code: "last_admin_token",
                        subject: "token".into(),
                        description: "this is the last usable admin token: create another admin token first".into(),
                    });
                }
                Ok(token)
            })
            .await?;
        self.forget(id);
        tracing::info!(token = %token.id, name = %token.name, "token revoked");
        Ok(token)
    }

    /// Stores `secret` as an admin token named "bootstrap" when no admin token can be used:
    /// automation's way in, without a shell on the host.
    pub async fn bootstrap(&self, secret: String) -> Result<bool, Error> {
        let input = TokenInput { name: "bootstrap".into(), role: Some(Role::Admin), expires_at: None };
        let token = input.into_token(&secret, Utc::now()).map_err(|_| {
            Error::invalid("CLAIMDESK_BOOTSTRAP_TOKEN", "must be at least 32 characters of random text")
        })?;
        let stored = self
            .inner
            .db
            .write(move |conn| {
                let now = Utc::now();
                if tokens::active_admin_exists(conn, now)? || tokens::find_by_hash(conn, &token.secret_hash)?.is_some()
                {
                    return Ok(false);
                }
                tokens::insert(conn, &token)?;
                Ok(true)
            })
            .await;
        match stored {
            // Another instance starting at the same moment stored it first.
            Err(Error::Precondition { code: "conflict", .. }) => Ok(false),
            other => other,
        }
    }
}
