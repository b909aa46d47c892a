//! Who may do what: roles, API tokens and the principals they authenticate.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Error, Violations, truncate_micros};

/// Roles, each allowed what the one before it is, and more.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, strum::IntoStaticStr, strum::EnumString, strum::EnumIter,
)]
#[strum(serialize_all = "snake_case")]
pub enum Role {
    /// Reads everything.
    Viewer,
    /// Viewer, and submits claims, adds sources and attributions.
    Reporter,
    /// Reporter, and edits any claim, attribution and source, and sets the status.
    Editor,
    /// Editor, and manages tokens.
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        super::named(s, "role").map_err(|e| format!("{e}: viewer, reporter, editor or admin"))
    }
}

/// What a call needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// A principal with at least this role.
    Role(Role),
    /// A viewer, or anyone when public reads are on (claims and their sourcing only).
    PublicRead,
    /// Who the caller is (`WhoAmI`): like `PublicRead`, but not counted by the rate limit,
    /// since the gateway asks it on the caller's behalf before the call itself.
    Identify,
}

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub token_id: Uuid,
    pub name: String,
    pub role: Role,
}

impl Principal {
    /// The actor recorded in history.
    pub fn actor(&self) -> String {
        format!("{} ({})", self.name, self.role.as_str())
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    pub id: Uuid,
    pub name: String,
    pub role: Role,
    /// The secret's first characters, to tell tokens apart in listings.
    pub prefix: String,
    pub secret_hash: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl Token {
    pub fn is_active(&self, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|at| at > now)
    }

    pub fn principal(&self) -> Principal {
        Principal { token_id: self.id, name: self.name.clone(), role: self.role }
    }
}

const SECRET_PREFIX: &str = "cdk_";
/// Shortest secret accepted from outside (the bootstrap token): 128 bits as hex.
pub const MIN_SECRET_CHARS: usize = 32;

/// 256 random bits from the operating system: the key of every secret claimdesk makes (API
/// tokens, webhook signing secrets).
pub fn random_key() -> Result<[u8; 32], Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| Error::Internal(format!("no randomness: {e}")))?;
    Ok(bytes)
}

/// A new secret: 256 random bits from the operating system.
pub fn new_secret() -> Result<String, Error> {
    use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
    Ok(format!("{SECRET_PREFIX}{}", URL_SAFE_NO_PAD.encode(random_key()?)))
}

/// What is stored of a secret: its SHA-256, in hex. Secrets carry at least 128 random bits, so
/// a fast hash is enough; no salt is needed to look them up.
pub fn hash_secret(secret: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(secret.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// Compares two hashes in constant time.
pub fn same_hash(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// A token as an admin asks for it.
#[derive(Debug, Clone, Default)]
pub struct TokenInput {
    pub name: String,
    pub role: Option<Role>,
    pub expires_at: Option<DateTime<Utc>>,
}

impl TokenInput {
    /// Checks the input and builds the token around `secret`.
    pub fn into_token(self, secret: &str, now: DateTime<Utc>) -> Result<Token, Error> {
        let mut v = Violations::default();
        let name = self.name.trim().to_owned();
        if name.is_empty() || name.chars().count() > 100 {
            v.push("name", "is required: 1 to 100 characters");
        } else if let Err(e) = super::no_nul(&name) {
            v.push("name", e);
        }
        if self.role.is_none() {
            v.push("role", "is required: viewer, reporter, editor or admin");
        }
        if self.expires_at.is_some_and(|at| at <= now) {
            v.push("expires_at", "must be in the future");
        } else if let Some(Err(e)) = self.expires_at.map(super::supported_instant) {
            v.push("expires_at", e);
        }
        if secret.chars().count() < MIN_SECRET_CHARS {
            v.push("secret", format!("must be at least {MIN_SECRET_CHARS} characters"));
        }
        v.into_result()?;
        Ok(Token {
            id: Uuid::now_v7(),
            name,
            role: self.role.unwrap_or(Role::Viewer),
            prefix: secret.chars().take(8).collect(),
            secret_hash: hash_secret(secret),
            created_at: truncate_micros(now),
            expires_at: self.expires_at.map(truncate_micros),
            revoked_at: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_ordered() {
        assert!(Role::Admin > Role::Editor && Role::Editor > Role::Reporter && Role::Reporter > Role::Viewer);
        assert_eq!(Role::parse("editor"), Ok(Role::Editor));
        assert!(Role::parse("Editor").is_err());
    }

    #[test]
    fn secrets_are_long_random_and_stored_hashed() {
        let a = new_secret().expect("secret");
        let b = new_secret().expect("secret");
        assert_ne!(a, b);
        assert!(a.starts_with("cdk_") && a.len() >= 4 + 43, "{a}");
        let token = TokenInput { name: "desk".into(), role: Some(Role::Editor), expires_at: None }
            .into_token(&a, Utc::now())
            .expect("valid");
        assert_eq!(token.secret_hash.len(), 64);
        assert!(!token.secret_hash.contains(&a[4..]));
        assert!(same_hash(&token.secret_hash, &hash_secret(&a)));
        assert!(!same_hash(&token.secret_hash, &hash_secret(&b)));
    }

    #[test]
    fn expired_and_revoked_tokens_are_inactive() {
        let now = Utc::now();
        let mut token = TokenInput {
            name: "x".into(),
            role: Some(Role::Viewer),
            expires_at: Some(now + chrono::Duration::hours(1)),
        }
        .into_token(&"s".repeat(40), now)
        .expect("valid");
        assert!(token.is_active(now));
        assert!(!token.is_active(now + chrono::Duration::hours(2)));
        token.revoked_at = Some(now);
        assert!(!token.is_active(now));
    }

    #[test]
    fn bad_token_input_is_refused() {
        let err = TokenInput { name: " ".into(), role: None, expires_at: Some(Utc::now() - chrono::Duration::days(1)) }
            .into_token("short", Utc::now());
        let Err(Error::Validation(v)) = err else { panic!("accepted") };
        let fields: Vec<&str> = v.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(fields, ["name", "role", "expires_at", "secret"]);
    }
}
