//! Paging, for every list: page sizes, one page type, and one codec for the opaque page tokens
//! of claims, sources and history.
//!
//! A token is base64url (no padding) of `<kind>1:<field>:<field>…`; the kind keeps a token of
//! one list from being accepted by another, and the `1` lets a later format coexist.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

pub const DEFAULT_PAGE_SIZE: u32 = 20;
pub const MAX_PAGE_SIZE: u32 = 100;

/// One page of results, and the token of the next page when there is one.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_page_token: Option<String>,
}

impl<T> Page<T> {
    /// From up to `limit + 1` rows in list order: the extra row only says a next page exists,
    /// and the last row kept gives its cursor.
    pub fn from_rows<C: Cursor>(mut rows: Vec<T>, limit: u32, cursor: impl Fn(&T) -> C) -> Self {
        let more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        let next_page_token = if more { rows.last().map(|last| encode(&cursor(last))) } else { None };
        Page { items: rows, next_page_token }
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page { items: self.items.into_iter().map(f).collect(), next_page_token: self.next_page_token }
    }
}

/// A position in one list's order, written into a page token as text fields.
pub trait Cursor: Sized {
    /// Names the list ("c1", "s1", "h1").
    const KIND: &'static str;
    /// How many fields the token holds; the last may contain anything but is never split.
    const FIELDS: usize;
    fn fields(&self) -> Vec<String>;
    fn from_fields(fields: &[&str]) -> Option<Self>;
}

pub fn encode<C: Cursor>(cursor: &C) -> String {
    let mut raw = C::KIND.to_owned();
    for field in cursor.fields() {
        raw.push(':');
        raw.push_str(&field);
    }
    URL_SAFE_NO_PAD.encode(raw)
}

/// The cursor in `token`; any token this service did not issue for this list is refused.
pub fn decode<C: Cursor>(token: &str) -> Result<C, String> {
    let invalid = || "is not a page token issued by this service".to_owned();
    let raw = String::from_utf8(URL_SAFE_NO_PAD.decode(token).map_err(|_| invalid())?).map_err(|_| invalid())?;
    let mut parts = raw.splitn(C::FIELDS + 1, ':');
    if parts.next() != Some(C::KIND) {
        return Err(invalid());
    }
    let fields: Vec<&str> = parts.collect();
    if fields.len() != C::FIELDS {
        return Err(invalid());
    }
    C::from_fields(&fields).ok_or_else(invalid)
}

/// A token from a request: absent or empty means the first page.
pub fn decode_token<C: Cursor>(token: Option<&str>) -> Result<Option<C>, String> {
    token.filter(|t| !t.is_empty()).map(decode).transpose()
}

/// A list's `page_size` and `page_token` from a request, checked together (both violations
/// reported at once): the page size and the cursor to start after.
pub fn params<C: Cursor>(size: Option<i32>, token: Option<&str>) -> Result<(u32, Option<C>), super::Error> {
    let mut v = super::Violations::default();
    let limit = v.check("page_size", page_size(size));
    let after = v.check("page_token", decode_token::<C>(token));
    v.into_result()?;
    Ok((limit.unwrap_or(DEFAULT_PAGE_SIZE), after.flatten()))
}

pub fn page_size(raw: Option<i32>) -> Result<u32, String> {
    match raw {
        None => Ok(DEFAULT_PAGE_SIZE),
        Some(n) if n >= 1 && n as u32 <= MAX_PAGE_SIZE => Ok(n as u32),
        Some(n) => Err(format!("must be between 1 and {MAX_PAGE_SIZE}, got {n}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq)]
    struct Pair(u32, String);

    impl Cursor for Pair {
        const KIND: &'static str = "t1";
        const FIELDS: usize = 2;
        fn fields(&self) -> Vec<String> {
            vec![self.0.to_string(), self.1.clone()]
        }
        fn from_fields(fields: &[&str]) -> Option<Self> {
            Some(Pair(fields[0].parse().ok()?, fields[1].to_owned()))
        }
    }

    #[test]
    fn tokens_round_trip_and_keep_their_last_field_whole() {
        let cursor = Pair(7, "a:b c".into());
        assert_eq!(decode::<Pair>(&encode(&cursor)), Ok(cursor));
    }

    #[test]
    fn foreign_and_garbage_tokens_are_refused() {
        for raw in ["x1:7:a", "t1:7", "t1:x:a", "t2:7:a"] {
            assert!(decode::<Pair>(&URL_SAFE_NO_PAD.encode(raw)).is_err(), "{raw}");
        }
        assert!(decode::<Pair>("!!!").is_err());
        assert_eq!(decode_token::<Pair>(Some("")), Ok(None));
    }

    #[test]
    fn a_page_knows_whether_another_follows() {
        let page = Page::from_rows(vec![1, 2, 3], 2, |n| Pair(*n, String::new()));
        assert_eq!(page.items, [1, 2]);
        assert_eq!(page.next_page_token.as_deref().map(decode::<Pair>), Some(Ok(Pair(2, String::new()))));
        assert!(Page::from_rows(vec![1, 2], 2, |n| Pair(*n, String::new())).next_page_token.is_none());
    }
}
