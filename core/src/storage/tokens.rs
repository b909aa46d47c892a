//! API token rows. Secrets are never stored, only their SHA-256.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::{
    Conn,
    schema::{api_tokens, change_counters},
};
use crate::domain::{Error, Role, Token};

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = api_tokens)]
struct TokenRow {
    id: String,
    name: String,
    role: String,
    secret_hash: String,
    prefix: String,
    created_at: NaiveDateTime,
    expires_at: Option<NaiveDateTime>,
    revoked_at: Option<NaiveDateTime>,
}

impl From<&Token> for TokenRow {
    fn from(t: &Token) -> Self {
        TokenRow {
            id: t.id.to_string(),
            name: t.name.clone(),
            role: t.role.as_str().to_owned(),
            secret_hash: t.secret_hash.clone(),
            prefix: t.prefix.clone(),
            created_at: t.created_at.naive_utc(),
            expires_at: t.expires_at.map(|at| at.naive_utc()),
            revoked_at: t.revoked_at.map(|at| at.naive_utc()),
        }
    }
}

impl TryFrom<TokenRow> for Token {
    type Error = Error;

    fn try_from(row: TokenRow) -> Result<Self, Error> {
        Ok(Token {
            id: Uuid::try_parse(&row.id).map_err(|e| Error::Internal(e.to_string()))?,
            role: Role::parse(&row.role).map_err(Error::Internal)?,
            name: row.name,
            secret_hash: row.secret_hash,
            prefix: row.prefix,
            created_at: row.created_at.and_utc(),
            expires_at: row.expires_at.map(|at| at.and_utc()),
            revoked_at: row.revoked_at.map(|at| at.and_utc()),
        })
    }
}

pub fn insert(conn: &mut Conn, token: &Token) -> Result<(), Error> {
    diesel::insert_into(api_tokens::table).values(TokenRow::from(token)).execute(conn)?;
    Ok(())
}

pub fn find_by_hash(conn: &mut Conn, secret_hash: &str) -> Result<Option<Token>, Error> {
    api_tokens::table
        .filter(api_tokens::secret_hash.eq(secret_hash))
        .select(TokenRow::as_select())
        .first(conn)
        .optional()?
        .map(Token::try_from)
        .transpose()
}

pub fn list(conn: &mut Conn) -> Result<Vec<Token>, Error> {
    api_tokens::table
        .order((api_tokens::created_at.asc(), api_tokens::id.asc()))
        .select(TokenRow::as_select())
        .load(conn)?
        .into_iter()
        .map(Token::try_from)
        .collect()
}

/// Revokes a token (once: revoking again keeps the first time) and returns it.
/// Takes the revocation turn: concurrent revocations wait here for each other (a row lock on
/// PostgreSQL; SQLite has one writer anyway). Call first in the transaction.
pub fn take_revocation_turn(conn: &mut Conn) -> Result<(), Error> {
    diesel::update(change_counters::table.find("tokens"))
        .set(change_counters::value.eq(change_counters::value + 1))
        .execute(conn)?;
    Ok(())
}

pub fn revoke(conn: &mut Conn, id: Uuid, now: DateTime<Utc>) -> Result<Token, Error> {
    diesel::update(api_tokens::table.find(id.to_string()).filter(api_tokens::revoked_at.is_null()))
        .set(api_tokens::revoked_at.eq(Some(now.naive_utc())))
        .execute(conn)?;
    api_tokens::table
        .find(id.to_string())
        .select(TokenRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| Error::NotFound { resource: "token", id: id.to_string() })?
        .try_into()
}

/// Whether any admin token can still be used.
pub fn active_admin_exists(conn: &mut Conn, now: DateTime<Utc>) -> Result<bool, Error> {
    let n: i64 = api_tokens::table
        .filter(api_tokens::role.eq(Role::Admin.as_str()))
        .filter(api_tokens::revoked_at.is_null())
        .filter(api_tokens::expires_at.is_null().or(api_tokens::expires_at.gt(now.naive_utc())))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}
