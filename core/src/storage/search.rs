//! The search index, in the database: postings (term -> claims, with BM25 impacts), each claim's indexed length
//! and similarity text, and sharded document frequencies. Written in the transaction of every
//! change to what a claim's search document holds; read by portable SQL on both backends (the
//! candidates of similar claims through a function of the same statement on PostgreSQL).

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

use diesel::{
    pg::Pg,
    prelude::*,
    query_builder::BoxedSqlQuery,
    sql_types::{BigInt, Double, Integer, Nullable, Text, Timestamp},
    sqlite::Sqlite,
};
use uuid::Uuid;

use super::{
    Conn,
    schema::{attributions, claims, search_docs, search_postings, search_stats, source_names},
};
use crate::domain::{ClaimFilter, Error, text};

/// Shards of each document frequency (see the migration).
const SHARDS: u128 = 8;

/// Statistics keys: the number of indexed claims and their total length in terms.
pub const DOCS: &str = "#docs";
pub const LENGTH: &str = "#len";

pub fn word_key(term: &str) -> String {
    let mut key = String::new();
    push_word_key(&mut key, term);
    key
}

pub fn gram_key(gram: text::Gram) -> String {
    let mut key = String::new();
    push_gram_key(&mut key, gram);
    key
}

/// Appends `word_key(term)` to `key`: the one place the format is written.
fn push_word_key(key: &mut String, term: &str) {
    key.push_str("w:");
    key.push_str(term);
}

/// Appends `gram_key(gram)` to `key`.
fn push_gram_key(key: &mut String, gram: text::Gram) {
    let _ = write!(key, "g:{gram:016x}");
}

/// Statistics moves summed by key: a batch's come to some 100,000 keys, each counted for
/// every claim holding it, so a key already there is found by its hash and not formatted again.
#[derive(Default)]
struct Counts {
    by_key: fnv::FnvHashMap<String, i64>,
    key: String,
}

impl Counts {
    fn add(&mut self, key: &str, by: i64) {
        match self.by_key.get_mut(key) {
            Some(count) => *count += by,
            None => {
                self.by_key.insert(key.to_owned(), by);
            }
        }
    }

    /// Adds `by` to the key that `fill` writes, in a buffer reused from key to key.
    fn add_with(&mut self, by: i64, fill: impl FnOnce(&mut String)) {
        let mut key = std::mem::take(&mut self.key);
        key.clear();
        fill(&mut key);
        self.add(&key, by);
        self.key = key;
    }

    fn add_word(&mut self, term: &str, by: i64) {
        self.add_with(by, |key| push_word_key(key, term));
    }

    fn add_gram(&mut self, gram: text::Gram, by: i64) {
        self.add_with(by, |key| push_gram_key(key, gram));
    }

    /// The moves that move something, in key order (what `add_stats` takes).
    fn into_sorted(self) -> Vec<(String, i64)> {
        let mut moves: Vec<(String, i64)> = self.by_key.into_iter().filter(|(_, d)| *d != 0).collect();
        moves.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        moves
    }
}

/// The statistics shard a claim's counts go to.
pub fn shard(id: Uuid) -> i32 {
    (id.as_u128() % SHARDS) as i32
}

/// A value bound to a raw statement.
#[derive(Debug, Clone)]
pub enum Bind {
    Text(String),
    Int(i32),
    Big(i64),
    Float(f64),
    Time(chrono::NaiveDateTime),
    OptText(Option<String>),
    OptTime(Option<chrono::NaiveDateTime>),
}

/// A raw statement written with `?` placeholders (PostgreSQL gets `$1`, `$2`...): for what
/// diesel's DSL cannot say on a `MultiConnection` (multi-row inserts, `VALUES` lists, upserts).
pub struct Sql {
    text: String,
    binds: Vec<Bind>,
}

impl Sql {
    pub fn new(text: impl Into<String>) -> Self {
        Sql { text: text.into(), binds: Vec::new() }
    }

    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends another statement's text and values.
    pub fn append(&mut self, other: Sql) -> &mut Self {
        self.text.push_str(&other.text);
        self.binds.extend(other.binds);
        self
    }

    pub fn bind(&mut self, value: Bind) -> &mut Self {
        self.binds.push(value);
        self
    }

    /// `(?, ?, ...)` rows for `rows`, each of `width` values, comma-separated.
    pub fn rows(&mut self, rows: impl IntoIterator<Item = Vec<Bind>>) -> &mut Self {
        let mut first = true;
        for row in rows {
            if !first {
                self.text.push_str(", ");
            }
            first = false;
            self.text.push('(');
            self.text.push_str(&vec!["?"; row.len()].join(", "));
            self.text.push(')');
            self.binds.extend(row);
        }
        self
    }

    fn pg_text(&self) -> String {
        let mut out = String::with_capacity(self.text.len() + 16);
        let mut n = 0;
        for c in self.text.chars() {
            if c == '?' {
                n += 1;
                out.push_str(&format!("${n}"));
            } else {
                out.push(c);
            }
        }
        out
    }

    fn boxed<'a, DB>(text: String, binds: Vec<Bind>) -> BoxedSqlQuery<'a, DB, diesel::query_builder::SqlQuery>
    where
        String: diesel::serialize::ToSql<Text, DB>,
        i32: diesel::serialize::ToSql<Integer, DB>,
        i64: diesel::serialize::ToSql<BigInt, DB>,
        f64: diesel::serialize::ToSql<Double, DB>,
        chrono::NaiveDateTime: diesel::serialize::ToSql<Timestamp, DB>,
        Option<String>: diesel::serialize::ToSql<diesel::sql_types::Nullable<Text>, DB>,
        Option<chrono::NaiveDateTime>: diesel::serialize::ToSql<diesel::sql_types::Nullable<Timestamp>, DB>,
        DB: diesel::backend::Backend
            + diesel::sql_types::HasSqlType<Text>
            + diesel::sql_types::HasSqlType<Integer>
            + diesel::sql_types::HasSqlType<BigInt>
            + diesel::sql_types::HasSqlType<Double>
            + diesel::sql_types::HasSqlType<Timestamp>,
    {
        let mut query = diesel::sql_query(text).into_boxed::<DB>();
        for bind in binds {
            query = match bind {
                Bind::Text(v) => query.bind::<Text, _>(v),
                Bind::Int(v) => query.bind::<Integer, _>(v),
                Bind::Big(v) => query.bind::<BigInt, _>(v),
                Bind::Float(v) => query.bind::<Double, _>(v),
                Bind::Time(v) => query.bind::<Timestamp, _>(v),
                Bind::OptText(v) => query.bind::<diesel::sql_types::Nullable<Text>, _>(v),
                Bind::OptTime(v) => query.bind::<diesel::sql_types::Nullable<Timestamp>, _>(v),
            };
        }
        query
    }

    pub fn execute(self, conn: &mut Conn) -> Result<usize, Error> {
        Ok(match conn {
            Conn::Pg(pg) => Self::boxed::<Pg>(self.pg_text(), self.binds).execute(pg)?,
            Conn::Sqlite(lite) => Self::boxed::<Sqlite>(self.text, self.binds).execute(lite)?,
        })
    }

    pub fn load<T>(self, conn: &mut Conn) -> Result<Vec<T>, Error>
    where
        T: QueryableByName<Pg> + QueryableByName<Sqlite> + 'static,
    {
        Ok(match conn {
            Conn::Pg(pg) => Self::boxed::<Pg>(self.pg_text(), self.binds).load(pg)?,
            Conn::Sqlite(lite) => Self::boxed::<Sqlite>(self.text, self.binds).load(lite)?,
        })
    }
}

/// What a claim's search document is made of, as stored now.
struct Document {
    /// Term -> occurrences.
    terms: HashMap<String, i32>,
    len: i32,
    /// Text and context: what similarity is measured on.
    sim_text: String,
}

impl Document {
    /// A claim's document from what it is made of: `parts` (text, context, the claimant's names,
    /// quotes, merged claims' texts) for the terms, text and context for similarity.
    fn of(parts: &[String], language: &str, claim_text: &str, context: Option<&str>) -> Document {
        let mut terms = HashMap::new();
        let mut len = 0;
        for part in parts {
            for term in text::terms(part, language) {
                *terms.entry(term).or_insert(0) += 1;
                len += 1;
            }
        }
        Document { terms, len, sim_text: text::similarity_text(claim_text, context) }
    }

    /// Adds what this document counts for to the statistics `delta`.
    fn count(&self, delta: &mut Counts) {
        for term in self.terms.keys() {
            delta.add_word(term, 1);
        }
        delta.add(DOCS, 1);
        delta.add(LENGTH, i64::from(self.len));
        for (gram, _) in text::grams(&self.sim_text) {
            delta.add_gram(gram, 1);
        }
    }

    /// Its `search_postings` rows, for claim `key`.
    fn postings<'a>(&'a self, key: &'a str) -> impl Iterator<Item = Vec<Bind>> + 'a {
        self.terms.iter().map(move |(term, tf)| {
            vec![
                Bind::Text(word_key(term)),
                Bind::Text(key.to_owned()),
                Bind::Int(*tf),
                Bind::Float(impact(*tf, self.len)),
            ]
        })
    }
}

fn document(conn: &mut Conn, id: Uuid) -> Result<Option<Document>, Error> {
    let key = id.to_string();
    type Row = (String, String, Option<String>, Option<String>, Option<String>);
    let row: Option<Row> = claims::table
        .find(&key)
        .select((claims::text, claims::language, claims::context, claims::claimant_id, claims::merged_into))
        .first(conn)
        .optional()?;
    // A merged claim is found through its canonical claim only.
    let Some((claim_text, language, context, claimant, None)) = row else { return Ok(None) };
    let mut parts = vec![claim_text.clone()];
    parts.extend(context.clone());
    if let Some(claimant) = claimant {
        parts.extend(
            source_names::table
                .filter(source_names::source_id.eq(claimant))
                .select(source_names::name)
                .load::<String>(conn)?,
        );
    }
    parts.extend(
        attributions::table
            .filter(attributions::claim_id.eq(&key))
            .select(attributions::quote)
            .load::<Option<String>>(conn)?
            .into_iter()
            .flatten(),
    );
    parts.extend(claims::table.filter(claims::merged_into.eq(&key)).select(claims::text).load::<String>(conn)?);
    Ok(Some(Document::of(&parts, &language, &claim_text, context.as_deref())))
}

/// Indexes claims just stored, which the index does not hold yet (a bulk import): the same
/// documents as [`index_claim`], read for all of them at once, written in multi-row inserts,
/// and the statistics moved once per shard for the whole set.
pub fn index_new(conn: &mut Conn, ids: &[Uuid]) -> Result<(), Error> {
    if ids.is_empty() {
        return Ok(());
    }
    let keys: Vec<String> = ids.iter().map(Uuid::to_string).collect();
    type Row = (String, String, String, Option<String>, Option<String>);
    let mut rows: Vec<Row> = Vec::with_capacity(keys.len());
    let mut quotes: HashMap<String, Vec<String>> = HashMap::new();
    let mut merged_texts: HashMap<String, Vec<String>> = HashMap::new();
    for chunk in keys.chunks(1000) {
        rows.extend(
            claims::table
                .filter(claims::id.eq_any(chunk))
                .filter(claims::merged_into.is_null())
                .select((claims::id, claims::text, claims::language, claims::context, claims::claimant_id))
                .load::<Row>(conn)?,
        );
        let quoted: Vec<(String, Option<String>)> = attributions::table
            .filter(attributions::claim_id.eq_any(chunk))
            .order((attributions::recorded_at.asc(), attributions::id.asc()))
            .select((attributions::claim_id, attributions::quote))
            .load(conn)?;
        for (claim, quote) in quoted {
            quotes.entry(claim).or_default().extend(quote);
        }
        let merged: Vec<(Option<String>, String)> = claims::table
            .filter(claims::merged_into.eq_any(chunk))
            .select((claims::merged_into, claims::text))
            .load(conn)?;
        for (into, text) in merged {
            merged_texts.entry(into.unwrap_or_default()).or_default().push(text);
        }
    }
    let claimants: Vec<String> = rows.iter().filter_map(|r| r.4.clone()).collect::<HashSet<_>>().into_iter().collect();
    let mut names: HashMap<String, Vec<String>> = HashMap::new();
    for chunk in claimants.chunks(1000) {
        let found: Vec<(String, String)> = source_names::table
            .filter(source_names::source_id.eq_any(chunk))
            .select((source_names::source_id, source_names::name))
            .load(conn)?;
        for (source, name) in found {
            names.entry(source).or_default().push(name);
        }
    }
    let mut postings: Vec<Vec<Bind>> = Vec::new();
    let mut docs: Vec<Vec<Bind>> = Vec::with_capacity(rows.len());
    // The whole set's counts go to one shard: statistics are read as the sum of the shards, so
    // any shard is right, and one holds far fewer rows to move than one per claim (a batch's
    // claims share most of their grams). A claim changed later moves its own shard's counts;
    // the sums stay exact.
    let batch_shard = shard(ids[0]);
    let mut deltas = Counts::default();
    for (key, claim_text, language, context, claimant) in rows {
        let mut parts = vec![claim_text.clone()];
        parts.extend(context.clone());
        if let Some(claimant) = &claimant {
            parts.extend(names.get(claimant).cloned().unwrap_or_default());
        }
        parts.extend(quotes.remove(&key).unwrap_or_default());
        parts.extend(merged_texts.remove(&key).unwrap_or_default());
        let doc = Document::of(&parts, &language, &claim_text, context.as_deref());
        postings.extend(doc.postings(&key));
        doc.count(&mut deltas);
        docs.push(vec![Bind::Text(key), Bind::Int(doc.len), Bind::Text(doc.sim_text)]);
    }
    // In key order: a batch then visits each B-tree page once, in one pass, instead of again
    // and again in claim order after the page cache evicted it (12 % of SQLite's import
    // time at 20,000 claims, docs/benchmarks.md "Bulk import").
    postings.sort_unstable_by(|a, b| text_key(a).cmp(&text_key(b)));
    docs.sort_unstable_by(|a, b| text_key(a).cmp(&text_key(b)));
    for chunk in postings.chunks(2000) {
        let mut sql = Sql::new("INSERT INTO search_postings (term, claim_id, tf, impact) VALUES ");
        sql.rows(chunk.to_vec());
        sql.execute(conn)?;
    }
    for chunk in docs.chunks(2000) {
        let mut sql = Sql::new("INSERT INTO search_docs (claim_id, len, sim_text) VALUES ");
        sql.rows(chunk.to_vec());
        sql.execute(conn)?;
    }
    add_stats(conn, batch_shard, deltas.into_sorted())
}

/// A row's key in the tables above: its first two columns where they are text.
fn text_key(row: &[Bind]) -> (Option<&str>, Option<&str>) {
    let text = |i: usize| match row.get(i) {
        Some(Bind::Text(text)) => Some(text.as_str()),
        _ => None,
    };
    (text(0), text(1))
}

/// Makes the index hold what the database now says of claim `id` (nothing when it is merged):
/// its postings are replaced and the statistics moved by the difference. Call inside the
/// transaction of the change.
pub fn index_claim(conn: &mut Conn, id: Uuid) -> Result<(), Error> {
    let key = id.to_string();
    let new = document(conn, id)?;
    let old_terms: Vec<String> =
        search_postings::table.filter(search_postings::claim_id.eq(&key)).select(search_postings::term).load(conn)?;
    let old_doc: Option<(i32, String)> =
        search_docs::table.find(&key).select((search_docs::len, search_docs::sim_text)).first(conn).optional()?;

    let mut delta = Counts::default();
    for term in &old_terms {
        delta.add(term, -1);
    }
    if let Some((len, sim_text)) = &old_doc {
        delta.add(DOCS, -1);
        delta.add(LENGTH, -i64::from(*len));
        for (gram, _) in text::grams(sim_text) {
            delta.add_gram(gram, -1);
        }
    }
    if let Some(doc) = &new {
        doc.count(&mut delta);
    }

    diesel::delete(search_postings::table.filter(search_postings::claim_id.eq(&key))).execute(conn)?;
    diesel::delete(search_docs::table.find(&key)).execute(conn)?;
    if let Some(doc) = new {
        let rows: Vec<Vec<Bind>> = doc.postings(&key).collect();
        for chunk in rows.chunks(500) {
            let mut sql = Sql::new("INSERT INTO search_postings (term, claim_id, tf, impact) VALUES ");
            sql.rows(chunk.to_vec());
            sql.execute(conn)?;
        }
        diesel::insert_into(search_docs::table)
            .values((
                search_docs::claim_id.eq(&key),
                search_docs::len.eq(doc.len),
                search_docs::sim_text.eq(doc.sim_text),
            ))
            .execute(conn)?;
    }
    add_stats(conn, shard(id), delta.into_sorted())
}

/// Moves document frequencies by `delta` in `shard`, in key order (so that two writers never
/// wait on each other's rows in opposite orders).
pub fn add_stats(conn: &mut Conn, shard: i32, delta: Vec<(String, i64)>) -> Result<(), Error> {
    for chunk in delta.chunks(500) {
        let mut sql = Sql::new("INSERT INTO search_stats (term, shard, df) VALUES ");
        sql.rows(chunk.iter().map(|(term, d)| vec![Bind::Text(term.clone()), Bind::Int(shard), Bind::Big(*d)]));
        sql.push(" ON CONFLICT (term, shard) DO UPDATE SET df = search_stats.df + excluded.df");
        sql.execute(conn)?;
    }
    Ok(())
}

/// Document frequencies of `keys`, shards added up; absent keys are 0.
pub fn stats(conn: &mut Conn, keys: &[String]) -> Result<HashMap<String, i64>, Error> {
    let mut out: HashMap<String, i64> = HashMap::with_capacity(keys.len());
    for chunk in keys.chunks(2000) {
        let rows: Vec<(String, i64)> = search_stats::table
            .filter(search_stats::term.eq_any(chunk))
            .select((search_stats::term, search_stats::df))
            .load(conn)?;
        for (term, df) in rows {
            *out.entry(term).or_default() += df;
        }
    }
    Ok(out)
}

/// Indexed word terms that begin with `prefix` (a word key), at most `limit`.
pub fn expand(conn: &mut Conn, prefix: &str, limit: i64) -> Result<Vec<String>, Error> {
    let end = format!("{prefix}\u{10FFFF}");
    Ok(search_stats::table
        .filter(search_stats::term.ge(prefix).and(search_stats::term.lt(end)).and(search_stats::df.gt(0)))
        .select(search_stats::term)
        .distinct()
        .order(search_stats::term)
        .limit(limit)
        .load(conn)?)
}

/// Claims not indexed yet (stored before the index existed), at most `limit`.
pub fn unindexed(conn: &mut Conn, limit: i64) -> Result<Vec<Uuid>, Error> {
    let ids: Vec<String> = claims::table
        .filter(claims::merged_into.is_null())
        .filter(diesel::dsl::not(diesel::dsl::exists(search_docs::table.filter(search_docs::claim_id.eq(claims::id)))))
        .select(claims::id)
        .limit(limit)
        .load(conn)?;
    ids.iter().map(|id| Uuid::try_parse(id).map_err(|e| Error::Internal(format!("claim id {id}: {e}")))).collect()
}

/// A query term with its weight and the query word it stands for.
#[derive(Debug, Clone)]
pub struct Weighted {
    pub key: String,
    pub word: i32,
    /// The number of claims holding the term.
    pub df: i64,
    pub idf: f64,
}

/// BM25's parameters (k1, b): tuned on the CLEF 2020 train split.
pub const K1: f64 = 0.9;
pub const B: f64 = 0.4;
/// The document length, in terms, that BM25's length normalisation is relative to: a typical
/// claim with its context. Fixed rather than the collection's average, so that a posting's
/// impact is computed once, when it is written, and postings can be read best first.
pub const REFERENCE_LEN: f64 = 24.0;

/// A posting's BM25 weight before the term's idf: `tf (k1 + 1) / (tf + k1 (1 - b + b len / L))`.
pub fn impact(tf: i32, len: i32) -> f64 {
    let tf = f64::from(tf);
    tf * (K1 + 1.0) / (tf + K1 * (1.0 - B + B * f64::from(len) / REFERENCE_LEN))
}

/// A search reads at most this many postings of its rarest word, best first: beyond them, a
/// word so common adds nothing a reader would page to.
pub const SEARCH_DRIVER_POSTINGS: i64 = 1000;

#[derive(Debug, QueryableByName)]
pub struct Scored {
    #[diesel(sql_type = Text)]
    pub claim_id: String,
    #[diesel(sql_type = Double)]
    pub score: f64,
}

/// `(SELECT claim_id, impact FROM search_postings WHERE term = ? ORDER BY impact DESC, claim_id
/// LIMIT ?)`: one term's best postings, read from the (term, impact, claim id) index. Postings of
/// equal impact come oldest claim first on both backends (ids are UUIDv7), so that which of them
/// make the cut does not depend on the order they were written in.
fn best_postings(sql: &mut Sql, term: &str, limit: i64, weight: Option<f64>) {
    let weighted = if weight.is_some() { ", d.impact * ? AS w" } else { "" };
    sql.push(&format!(
        "SELECT d.claim_id AS claim_id{weighted} FROM (SELECT claim_id, impact FROM search_postings \
         WHERE term = ? ORDER BY impact DESC, claim_id LIMIT ?) d"
    ));
    if let Some(weight) = weight {
        sql.bind(Bind::Float(weight));
    }
    sql.bind(Bind::Text(term.to_owned())).bind(Bind::Big(limit));
}

/// How many of its best postings each of the driving word's terms reads (its stems and their
/// prefix expansions, of frequencies `dfs`): `budget` shared out so that the rarer terms are read
/// whole and the rest split evenly between the commoner ones. A term is always given an even
/// share at least, so that one whose frequency grew since it was read (frequencies are kept a
/// few seconds) still finds its newest claims. Thirty expansions of a word thus read about
/// `budget` postings in all, not thirty times an even share.
fn driver_shares(dfs: impl Iterator<Item = i64>, budget: i64) -> Vec<i64> {
    let dfs: Vec<i64> = dfs.collect();
    let even = (budget / dfs.len().max(1) as i64).max(1);
    let mut order: Vec<usize> = (0..dfs.len()).collect();
    order.sort_by_key(|i| dfs[*i]);
    let mut shares = vec![even; dfs.len()];
    let mut left = budget;
    for (n, i) in order.iter().enumerate() {
        let fair = left / (dfs.len() - n) as i64;
        let take = dfs[*i].clamp(0, fair.max(0));
        shares[*i] = take.max(even);
        left -= take;
    }
    shares
}

/// Where a search page starts: after this score and id.
#[derive(Debug, Clone, PartialEq)]
pub struct After {
    pub score: f64,
    pub id: String,
}

/// Claims holding every query word (through any of its terms), best BM25 score first, after
/// the list filters; canonical claims only. At most `limit`. `words` are the query's words,
/// each the indexes in `terms` of the terms it stands for, rarest word first. The candidates
/// are the claims where the rarest word weighs most, at most [`SEARCH_DRIVER_POSTINGS`] of
/// them; each is then checked for the other words, rarest first (most candidates fail on the
/// first check), and the survivors scored.
pub fn search(
    conn: &mut Conn,
    terms: &[Weighted],
    words: &[Vec<usize>],
    filter: &ClaimFilter,
    after: Option<&After>,
    limit: i64,
) -> Result<Vec<Scored>, Error> {
    let Some((driver, others)) = words.split_first() else { return Ok(Vec::new()) };
    if words.iter().any(Vec::is_empty) {
        // A word no claim holds: no claim holds every word.
        return Ok(Vec::new());
    }
    let shares = driver_shares(driver.iter().map(|i| terms[*i].df), SEARCH_DRIVER_POSTINGS);
    let mut sql = Sql::new("WITH ");
    if others.is_empty() {
        // One word: its best postings are the answer, scored as they are read.
        sql.push("cand AS (");
        for (i, (t, share)) in driver.iter().map(|i| &terms[*i]).zip(&shares).enumerate() {
            if i > 0 {
                sql.push(" UNION ALL ");
            }
            best_postings(&mut sql, &t.key, *share, Some(t.idf));
        }
        sql.push("), hits AS (SELECT claim_id, SUM(w) AS score FROM cand GROUP BY claim_id) ");
    } else {
        sql.push("q(term, idf) AS (VALUES ");
        sql.rows(terms.iter().map(|t| vec![Bind::Text(t.key.clone()), Bind::Float(t.idf)]));
        sql.push("), cand AS (");
        for (i, (t, share)) in driver.iter().map(|i| &terms[*i]).zip(&shares).enumerate() {
            if i > 0 {
                sql.push(" UNION ");
            }
            best_postings(&mut sql, &t.key, *share, None);
        }
        // Each candidate is probed through the (claim_id, term) index: first for each other
        // word (correlated EXISTS, evaluated in order and given up at the first that fails),
        // then, for the claims holding them all, for the score (a join would let PostgreSQL,
        // which cannot know how common the VALUES terms are, read every posting of every term).
        sql.push(
            "), hits AS (SELECT cand.claim_id AS claim_id, \
             (SELECT SUM(q.idf * p.impact) FROM q JOIN search_postings p ON p.term = q.term AND p.claim_id = cand.claim_id) AS score \
             FROM cand WHERE ",
        );
        for (i, word) in others.iter().enumerate() {
            if i > 0 {
                sql.push(" AND ");
            }
            sql.push("EXISTS (SELECT 1 FROM search_postings p WHERE p.claim_id = cand.claim_id AND p.term IN (");
            sql.push(&vec!["?"; word.len()].join(", "));
            // `OFFSET 0` keeps the probe correlated: PostgreSQL would otherwise turn the EXISTS
            // into a semi-join that hashes every posting of the word (99,174 of a common one, at
            // a million claims) to keep the few candidates holding it (docs/benchmarks.md).
            sql.push(") LIMIT 1 OFFSET 0)");
            for t in word {
                sql.bind(Bind::Text(terms[*t].key.clone()));
            }
        }
        sql.push(") ");
    }
    // The list filters, on the claims table.
    let mut filters = Sql::new("");
    if let Some(status) = filter.status {
        filters.push(" AND c.status = ?").bind(Bind::Text(status.as_str().to_owned()));
    }
    if let Some(language) = &filter.language {
        filters
            .push(" AND (c.language = ? OR c.language LIKE ?)")
            .bind(Bind::Text(language.clone()))
            .bind(Bind::Text(format!("{language}-%")));
    }
    if let Some(claimant) = filter.claimant_id {
        filters.push(" AND c.claimant_id = ?").bind(Bind::Text(claimant.to_string()));
    }
    if let Some(tag) = &filter.tag {
        filters.push(" AND c.id IN (SELECT claim_id FROM claim_tags WHERE tag = ?)").bind(Bind::Text(tag.clone()));
    }
    if let Some(from) = filter.created_from {
        filters.push(" AND c.created_at >= ?").bind(Bind::Time(from.naive_utc()));
    }
    if let Some(to) = filter.created_to {
        filters.push(" AND c.created_at <= ?").bind(Bind::Time(to.naive_utc()));
    }
    if let Some(from) = filter.claimed_from {
        filters.push(" AND c.claimed_end > ?").bind(Bind::Time(from.naive_utc()));
    }
    if let Some(until) = filter.claimed_until {
        filters.push(" AND c.claimed_start < ?").bind(Bind::Time(until.naive_utc()));
    }
    if filters.text.is_empty() {
        // Merged claims have no postings: without a filter, the claims table has nothing to say.
        sql.push("SELECT h.claim_id AS claim_id, h.score AS score FROM hits h WHERE 1 = 1");
    } else {
        sql.push(
            "SELECT h.claim_id AS claim_id, h.score AS score FROM hits h JOIN claims c ON c.id = h.claim_id \
             WHERE c.merged_into IS NULL",
        );
        sql.append(filters);
    }
    if let Some(after) = after {
        // Scores are sums of floats, recomputed per page: equal within rounding.
        sql.push(" AND (h.score < ? OR (h.score <= ? AND h.claim_id < ?))")
            .bind(Bind::Float(after.score - 1e-9))
            .bind(Bind::Float(after.score + 1e-9))
            .bind(Bind::Text(after.id.clone()));
    }
    sql.push(" ORDER BY h.score DESC, h.claim_id DESC LIMIT ?").bind(Bind::Big(limit));
    sql.load(conn)
}

/// A claim like a text: its BM25 score over the text's terms, and its similarity text.
#[derive(Debug, QueryableByName)]
pub struct Candidate {
    #[diesel(sql_type = Text)]
    pub claim_id: String,
    #[diesel(sql_type = Double)]
    pub score: f64,
    #[diesel(sql_type = Text)]
    pub sim_text: String,
}

/// The claims sharing the most weight of `terms` with a text (BM25 over any of them, each
/// term's best `per_term` postings read), scoring `min_score` or more, at most `limit`, with
/// their similarity texts. Merged claims are not indexed, so never among them.
pub fn candidates(
    conn: &mut Conn,
    terms: &[Weighted],
    per_term: i64,
    min_score: f64,
    limit: i64,
) -> Result<Vec<Candidate>, Error> {
    if terms.is_empty() {
        return Ok(Vec::new());
    }
    // Terms held by `per_term` claims or fewer are read whole, in one scan of the primary key
    // (each weighted by a CASE); only the more common ones need their best postings apart.
    let (rare, common): (Vec<&Weighted>, Vec<&Weighted>) = terms.iter().partition(|t| t.df <= per_term);
    if let Conn::Pg(pg) = conn {
        // The same statement, as a function with a plan made once per connection (migration
        // 2026-11-29-000009_candidates_function): written out, it was planned on every call.
        use diesel::sql_types::Array;
        let (rare_terms, rare_idf): (Vec<String>, Vec<f64>) = rare.iter().map(|t| (t.key.clone(), t.idf)).unzip();
        let (common_terms, common_idf): (Vec<String>, Vec<f64>) = common.iter().map(|t| (t.key.clone(), t.idf)).unzip();
        return Ok(diesel::sql_query(
            "SELECT claim_id, score, sim_text FROM claimdesk_candidates($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind::<Array<Text>, _>(rare_terms)
        .bind::<Array<Double>, _>(rare_idf)
        .bind::<Array<Text>, _>(common_terms)
        .bind::<Array<Double>, _>(common_idf)
        .bind::<BigInt, _>(per_term)
        .bind::<Double, _>(min_score)
        .bind::<BigInt, _>(limit)
        .load(pg)?);
    }
    let mut sql = Sql::new("WITH cand AS (");
    if !rare.is_empty() {
        sql.push("SELECT claim_id, impact * CASE term");
        for term in &rare {
            sql.push(" WHEN ? THEN ?").bind(Bind::Text(term.key.clone())).bind(Bind::Float(term.idf));
        }
        sql.push(" END AS w FROM search_postings WHERE term IN (");
        sql.push(&vec!["?"; rare.len()].join(", "));
        for term in &rare {
            sql.bind(Bind::Text(term.key.clone()));
        }
        sql.push(")");
    }
    for (i, term) in common.iter().enumerate() {
        if i > 0 || !rare.is_empty() {
            sql.push(" UNION ALL ");
        }
        best_postings(&mut sql, &term.key, per_term, Some(term.idf));
    }
    sql.push(
        "), best AS (SELECT claim_id, SUM(w) AS score FROM cand GROUP BY claim_id HAVING SUM(w) >= ? \
         ORDER BY score DESC, claim_id LIMIT ?) \
         SELECT b.claim_id AS claim_id, b.score AS score, d.sim_text AS sim_text \
         FROM best b JOIN search_docs d ON d.claim_id = b.claim_id ORDER BY b.score DESC, b.claim_id",
    )
    .bind(Bind::Float(min_score))
    .bind(Bind::Big(limit));
    sql.load(conn)
}

/// How deep the word-level search of a similarity text goes (see `claimdesk_similar_candidates`).
#[derive(Debug, Clone, Copy)]
pub struct Choice {
    pub per_term: i64,
    pub budget: i64,
    pub min_share: f64,
    pub rare_enough: f64,
    pub max_rows: i64,
}

/// The text's words: their keys (sorted), their BM25 impact in the text itself, and their
/// frequencies where the caller keeps them.
pub struct TextWords<'a> {
    pub keys: &'a [String],
    pub own_impact: &'a [f64],
    pub known_df: &'a [Option<i64>],
}

/// A row of `claimdesk_similar_candidates`: a frequency read, or a candidate.
#[derive(Debug, QueryableByName)]
struct SimilarRow {
    #[diesel(sql_type = Nullable<Text>)]
    term: Option<String>,
    #[diesel(sql_type = Nullable<BigInt>)]
    df: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    claim_id: Option<String>,
    #[diesel(sql_type = Nullable<Double>)]
    score: Option<f64>,
    #[diesel(sql_type = Nullable<Text>)]
    sim_text: Option<String>,
}

/// PostgreSQL: the frequencies a similarity call lacks and its candidates, in one round trip
/// (migration 2026-11-30-000014_similar_function). Reads the frequencies of the words of
/// `words` with no `known_df`, of `more_keys`, and of [`DOCS`] unless `known_docs`; chooses
/// the words as `service::claims::search` does on SQLite and returns [`candidates`] for them.
/// The frequencies read come back by key (absent keys are 0); the candidates best first.
pub fn similar_candidates(
    pg: &mut diesel::PgConnection,
    words: TextWords<'_>,
    more_keys: &[String],
    known_docs: Option<i64>,
    choice: Choice,
) -> Result<(HashMap<String, i64>, Vec<Candidate>), Error> {
    use diesel::sql_types::Array;
    let rows: Vec<SimilarRow> = diesel::sql_query(
        "SELECT term, df, claim_id, score, sim_text \
         FROM claimdesk_similar_candidates($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind::<Array<Text>, _>(words.keys)
    .bind::<Array<Double>, _>(words.own_impact)
    .bind::<Array<Nullable<BigInt>>, _>(words.known_df)
    .bind::<Array<Text>, _>(more_keys)
    .bind::<Nullable<BigInt>, _>(known_docs)
    .bind::<BigInt, _>(choice.per_term)
    .bind::<BigInt, _>(choice.budget)
    .bind::<Double, _>(choice.min_share)
    .bind::<Double, _>(choice.rare_enough)
    .bind::<BigInt, _>(choice.max_rows)
    .load(pg)?;
    let mut read = HashMap::new();
    let mut found = Vec::new();
    for row in rows {
        match row {
            SimilarRow { term: Some(term), df: Some(df), .. } => {
                read.insert(term, df);
            }
            SimilarRow { claim_id: Some(claim_id), score: Some(score), sim_text: Some(sim_text), .. } => {
                found.push(Candidate { claim_id, score, sim_text });
            }
            other => return Err(Error::Internal(format!("claimdesk_similar_candidates returned {other:?}"))),
        }
    }
    found.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.claim_id.cmp(&b.claim_id)));
    Ok((read, found))
}

/// The quotes of the attributions of `ids`, by claim.
pub fn quotes(conn: &mut Conn, ids: &[String]) -> Result<HashMap<String, Vec<String>>, Error> {
    let rows: Vec<(String, Option<String>)> = attributions::table
        .filter(attributions::claim_id.eq_any(ids))
        .filter(attributions::quote.is_not_null())
        .select((attributions::claim_id, attributions::quote))
        .order((attributions::recorded_at, attributions::id))
        .load(conn)?;
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    for (id, quote) in rows {
        out.entry(id).or_default().extend(quote);
    }
    Ok(out)
}

/// Every claim whose claimant is `source`: re-indexed when the source's names change.
pub fn claims_of(conn: &mut Conn, source: Uuid) -> Result<Vec<Uuid>, Error> {
    let ids: Vec<String> = claims::table
        .filter(claims::claimant_id.eq(source.to_string()))
        .filter(claims::merged_into.is_null())
        .select(claims::id)
        .load(conn)?;
    let ids: HashSet<String> = ids.into_iter().collect();
    ids.iter().map(|id| Uuid::try_parse(id).map_err(|e| Error::Internal(format!("claim id {id}: {e}")))).collect()
}

#[cfg(test)]
mod tests {
    use super::driver_shares;

    #[test]
    fn a_word_alone_reads_the_whole_budget() {
        assert_eq!(driver_shares([5000].into_iter(), 1000), [1000]);
        assert_eq!(driver_shares([10_000; 4].into_iter(), 1000), [250; 4]);
    }

    #[test]
    fn rare_expansions_are_read_whole_and_the_common_term_gets_the_rest() {
        // "hafield" and 29 expansions held by two claims each: 1,000 postings in all, not 30 × 250.
        let mut dfs = vec![5000];
        dfs.extend([2; 29]);
        let shares = driver_shares(dfs.iter().copied(), 1000);
        assert_eq!(shares[0], 1000 - 29 * 2);
        let read: i64 = shares.iter().zip(&dfs).map(|(s, df)| s.min(df)).sum();
        assert_eq!(read, 1000);
        // Each rare term may still read an even share, should it have grown since it was read.
        assert!(shares[1..].iter().all(|s| *s == 1000 / 30), "{shares:?}");
    }

    #[test]
    fn the_budget_left_by_rare_terms_is_split_between_the_common_ones() {
        assert_eq!(driver_shares([600, 10, 5000].into_iter(), 1000), [495, 333, 495]);
    }
}
