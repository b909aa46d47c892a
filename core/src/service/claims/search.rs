//! Finding what the desk holds: full-text search, similar claims, and merging a duplicate into
//! its canonical claim (ARCHITECTURE.md, "Search and similar claims").

use std::{
    collections::HashMap,
    time::{Duration, Instant},
};

use fnv::{FnvHashMap, FnvHashSet};

use uuid::Uuid;

use super::{Claims, bump, views};
use crate::service::Actor;
use crate::{
    domain::{
        Change, ClaimView, Error, ListParams, Page, Precondition, SourcingLevel, Violations, attribution,
        paging::{self, Cursor},
        parse_id,
        text::{self, Gram},
    },
    storage::{
        Conn, attributions, claims, events,
        search::{self, After, DOCS, Weighted},
    },
};

/// The longest query or similarity text, in characters.
pub const MAX_QUERY_CHARS: usize = 1000;
/// The longest similarity text.
pub const MAX_SIMILAR_TEXT_CHARS: usize = 10_000;
/// How deep a similarity search looks: the word-level candidate search reads each chosen word's
/// best `per_term` postings, choosing the text's rarest words until their postings add up to
/// `budget` (a text's common words find everything and tell little), and the best
/// `candidates` are re-ranked by character n-grams.
#[derive(Debug, Clone, Copy)]
pub(super) struct Depth {
    candidates: i64,
    per_term: i64,
    budget: i64,
    /// Candidates weighing less than this share of the text's BM25 weight against itself are
    /// not re-ranked.
    min_share: f64,
}

/// A similar-claims call: deep enough for a tweet to find the claim it repeats (CLEF).
pub(super) const SIMILAR: Depth = Depth { candidates: 100, per_term: 500, budget: 5000, min_share: 0.0 };
/// The duplicate check of every creation: it wants the few near copies, which share most of the
/// text's rarest words, so come first in the word search and weigh a good share of what the
/// text weighs against itself.
const DUPLICATES: Depth = Depth { candidates: 10, per_term: 100, budget: 400, min_share: 0.25 };
/// The duplicate check reads only the words held by at most `per_term` claims when they make
/// this share of the text's weight.
const RARE_ENOUGH: f64 = 0.5;

impl Depth {
    /// The word search's settings, for PostgreSQL's `claimdesk_similar_candidates`, which
    /// chooses as [`Depth::choose`] does.
    fn choice(&self) -> search::Choice {
        search::Choice {
            per_term: self.per_term,
            budget: self.budget,
            min_share: self.min_share,
            rare_enough: RARE_ENOUGH,
            max_rows: self.candidates + 1,
        }
    }

    /// The words of a text (`keys`, sorted; `dfs` their frequencies in `n` claims) that its
    /// word search reads, and the least BM25 score a candidate must reach. A word weighs its
    /// idf times `own_impact`, its impact in the text itself.
    fn choose(
        &self,
        keys: &[String],
        dfs: &HashMap<String, i64>,
        n: i64,
        own_impact: impl Fn(&String) -> f64,
    ) -> (Vec<Weighted>, f64) {
        let mut weighted: Vec<(Weighted, f64)> = keys
            .iter()
            .filter_map(|k| {
                let df = dfs.get(k).copied().unwrap_or(0);
                let idf = bm25_idf(n, df);
                (df > 0).then(|| (Weighted { key: k.clone(), word: 0, df, idf }, idf * own_impact(k)))
            })
            .collect();
        weighted.sort_by_key(|(w, _)| w.df);
        let rare = |w: &Weighted| w.df <= self.per_term;
        let rare_weight: f64 = weighted.iter().filter(|(w, _)| rare(w)).map(|(_, weight)| weight).sum();
        let all_weight: f64 = weighted.iter().map(|(_, weight)| weight).sum();
        let chosen: Vec<(Weighted, f64)> = if self.min_share > 0.0 && rare_weight >= RARE_ENOUGH * all_weight {
            // A near copy holds most of the rare words: they alone find it.
            weighted.into_iter().filter(|(w, _)| rare(w)).collect()
        } else {
            let mut budget = 0;
            weighted
                .into_iter()
                .take_while(|(w, _)| {
                    let first = budget == 0;
                    budget += w.df.min(self.per_term);
                    first || budget <= self.budget
                })
                .collect()
        };
        let floor = self.min_share * chosen.iter().map(|(_, weight)| weight).sum::<f64>();
        (chosen.into_iter().map(|(w, _)| w).collect(), floor)
    }
}

/// Prefix expansions per query word.
const EXPANSIONS: i64 = 30;
/// With a sourcing filter, a search page looks at most this many ranked claims.
const SCAN_LIMIT: usize = 1000;
/// Weight of the (relative) BM25 score beside the n-gram cosine in a similarity score.
const BM25_WEIGHT: f64 = 0.1;
/// Rounding room when a candidate's best possible score is compared with the least wanted.
const BOUND_SLACK: f64 = 1e-9;
/// Matches at or above this score are returned as a new claim's `possible_duplicates`.
pub const DUPLICATE_THRESHOLD: f64 = 0.5;
/// How long a word's document frequency is reused by similar claims and the duplicate check
/// before it is read again. A frequency grown since only makes them read more postings of that
/// word (it looks rarer than it is), never fewer.
const WORD_FREQUENCY_TTL: Duration = Duration::from_secs(300);
/// ... and by a search, where frequencies choose the word read first: a word that turns
/// common within seconds of a story breaking is read as common after this long.
const SEARCH_WORD_FREQUENCY_TTL: Duration = Duration::from_secs(10);
/// How long a character n-gram's document frequency is reused before it is read again.
const GRAM_FREQUENCY_TTL: Duration = Duration::from_secs(300);

/// A search as a client sends it.
#[derive(Debug, Clone, Default)]
pub struct SearchParams {
    pub query: String,
    pub list: ListParams,
    pub sourcing_level: Option<SourcingLevel>,
}

/// A highlighted passage of a field that matched.
#[derive(Debug, Clone, PartialEq)]
pub struct Snippet {
    /// "text", "context", "claimant" or "quote".
    pub field: &'static str,
    pub text: String,
    /// Character ranges (start, end) of the matching words within `text`.
    pub highlights: Vec<(usize, usize)>,
}

#[derive(Debug, Clone)]
pub struct SearchHit {
    pub claim: ClaimView,
    pub score: f64,
    pub snippets: Vec<Snippet>,
}

#[derive(Debug, Clone)]
pub struct Match {
    pub claim: ClaimView,
    /// 0 to 1.
    pub score: f64,
}

/// Position after the last hit of a search page.
#[derive(Debug, Clone, PartialEq)]
struct SearchCursor {
    score: f64,
    id: Uuid,
}

impl Cursor for SearchCursor {
    const KIND: &'static str = "q1";
    const FIELDS: usize = 2;

    fn fields(&self) -> Vec<String> {
        vec![self.score.to_string(), self.id.simple().to_string()]
    }

    fn from_fields(fields: &[&str]) -> Option<Self> {
        let score: f64 = fields[0].parse().ok().filter(|s: &f64| s.is_finite())?;
        Some(SearchCursor { score, id: Uuid::try_parse(fields[1]).ok()? })
    }
}

/// Document frequencies, kept a while: a similarity score needs those of every word of the
/// text and every gram of every candidate, and they move slowly. Each is kept with the number of
/// claims it was read at, and read again after its time to live or once that number grew by
/// 2 % (a bulk load), so that an idf never mixes an old frequency with a new collection size.
/// A frequency of zero is never kept: the term may appear with the next claim, and a search
/// must find that claim at once.
struct Cached<K>(quick_cache::sync::Cache<K, (i64, i64, Instant)>);

impl<K: Clone + Eq + std::hash::Hash> Cached<K> {
    fn new(capacity: usize) -> Self {
        Cached(quick_cache::sync::Cache::new(capacity))
    }

    /// The kept frequencies of `keys` read less than `ttl` ago and still good for a collection
    /// of `n` claims, and the keys to read.
    fn split(
        &self,
        keys: impl IntoIterator<Item = K>,
        n: i64,
        now: Instant,
        ttl: Duration,
    ) -> (FnvHashMap<K, i64>, Vec<K>) {
        let mut kept = FnvHashMap::default();
        let mut missing = Vec::new();
        for key in keys {
            match self.0.get(&key) {
                Some((df, at_n, at)) if now.duration_since(at) < ttl && n * 50 <= at_n * 51 => {
                    kept.insert(key, df);
                }
                _ => missing.push(key),
            }
        }
        (kept, missing)
    }

    /// The frequencies read for `missing` (stored under `keys`, in the same order) into `out`,
    /// each kept.
    fn keep_read(
        &self,
        missing: Vec<K>,
        keys: &[String],
        read: &HashMap<String, i64>,
        n: i64,
        now: Instant,
        out: &mut impl Extend<(K, i64)>,
    ) {
        out.extend(missing.into_iter().zip(keys).map(|(k, key)| {
            let df = read.get(key).copied().unwrap_or(0);
            self.keep(k.clone(), df, n, now);
            (k, df)
        }));
    }

    /// Keeps `df`, read at `now` in a collection of `n` claims (never 0).
    fn keep(&self, key: K, df: i64, n: i64, now: Instant) {
        if df > 0 {
            self.0.insert(key, (df, n, now));
        }
    }
}

/// The document frequencies of words (statistics keys) and character n-grams, cached.
pub struct Frequencies {
    /// The number of indexed claims at the last read, and when.
    docs: std::sync::Mutex<(i64, Instant)>,
    words: Cached<String>,
    grams: Cached<Gram>,
}

/// Document frequencies read together: the number of indexed claims, words (by key), grams.
struct Read {
    n: i64,
    words: HashMap<String, i64>,
    grams: FnvHashMap<Gram, i64>,
}

/// A text's frequencies as kept ([`Frequencies::lookup`]): the kept ones, the missing ones, and
/// the number of indexed claims when it was counted a moment ago.
struct Lookup {
    now: Instant,
    docs: Option<i64>,
    words: FnvHashMap<String, i64>,
    missing_words: Vec<String>,
    grams: FnvHashMap<Gram, i64>,
    missing_grams: Vec<Gram>,
    /// The statistics keys of `missing_grams`, in the same order.
    gram_keys: Vec<String>,
}

impl Lookup {
    /// The statistics keys to read: the missing words and n-grams, and [`DOCS`] unless counted.
    fn keys(&self) -> Vec<String> {
        let mut keys = self.missing_words.clone();
        keys.extend(self.gram_keys.iter().cloned());
        if self.docs.is_none() {
            keys.push(DOCS.to_owned());
        }
        keys
    }
}

/// A collection this large is counted again at most every [`DOCS_TTL`]: a second's creations
/// move its idfs by well under 1 %. A smaller one is counted with every call.
const DOCS_KEPT_FROM: i64 = 10_000;
const DOCS_TTL: Duration = Duration::from_secs(1);

impl Frequencies {
    pub fn new() -> Self {
        Frequencies {
            docs: std::sync::Mutex::new((0, Instant::now())),
            words: Cached::new(200_000),
            grams: Cached::new(1_000_000),
        }
    }

    /// The number of indexed claims and the frequencies of `words` (word keys), in one read,
    /// or none when every frequency is kept and the collection was counted a moment ago.
    /// Frequencies kept longer than `ttl` are read again.
    fn words(&self, conn: &mut Conn, words: &[String], ttl: Duration) -> Result<(i64, HashMap<String, i64>), Error> {
        let read = self.words_and_grams(conn, words, ttl, std::iter::empty())?;
        Ok((read.n, read.words))
    }

    /// [`Self::words`] and the frequencies of `grams` too, in the same read: a similarity call
    /// needs its text's words and n-grams both, and one round trip fewer is a good part of
    /// what the duplicate check costs a creation.
    fn words_and_grams(
        &self,
        conn: &mut Conn,
        words: &[String],
        ttl: Duration,
        grams: impl IntoIterator<Item = Gram>,
    ) -> Result<Read, Error> {
        let lookup = self.lookup(words, ttl, grams);
        self.read(conn, lookup)
    }

    /// `lookup` completed by reading what it misses (nothing when it misses nothing).
    fn read(&self, conn: &mut Conn, lookup: Lookup) -> Result<Read, Error> {
        let keys = lookup.keys();
        let read = if keys.is_empty() { HashMap::new() } else { search::stats(conn, &keys)? };
        Ok(self.complete(lookup, &read))
    }

    /// What is kept of the frequencies of `words` (kept less than `ttl`) and `grams`, and of
    /// the collection's size, and what is not.
    fn lookup(&self, words: &[String], ttl: Duration, grams: impl IntoIterator<Item = Gram>) -> Lookup {
        let now = Instant::now();
        let (known, at) = *self.docs.lock().unwrap_or_else(|e| e.into_inner());
        let (words, missing_words) = self.words.split(words.iter().cloned(), known, now, ttl);
        let (grams, missing_grams) = self.grams.split(grams, known, now, GRAM_FREQUENCY_TTL);
        let counted = known >= DOCS_KEPT_FROM && now.duration_since(at) < DOCS_TTL;
        let gram_keys = missing_grams.iter().map(|g| search::gram_key(*g)).collect();
        Lookup { now, docs: counted.then_some(known), words, missing_words, grams, missing_grams, gram_keys }
    }

    /// `lookup` completed by `read`, the frequencies read of its [`Lookup::keys`] (absent keys
    /// are 0), which are kept.
    fn complete(&self, lookup: Lookup, read: &HashMap<String, i64>) -> Read {
        let Lookup { now, docs, words, missing_words, grams, missing_grams, gram_keys } = lookup;
        let n = docs.unwrap_or_else(|| {
            let n = corpus_size(read);
            *self.docs.lock().unwrap_or_else(|e| e.into_inner()) = (n, now);
            n
        });
        let mut word_dfs: HashMap<String, i64> = words.into_iter().collect();
        let word_keys = missing_words.clone();
        self.words.keep_read(missing_words, &word_keys, read, n, now, &mut word_dfs);
        let mut gram_dfs = grams;
        self.grams.keep_read(missing_grams, &gram_keys, read, n, now, &mut gram_dfs);
        Read { n, words: word_dfs, grams: gram_dfs }
    }

    /// The frequencies of `grams` in a collection of `n` claims.
    fn grams(
        &self,
        conn: &mut Conn,
        grams: impl IntoIterator<Item = Gram>,
        n: i64,
    ) -> Result<FnvHashMap<Gram, i64>, Error> {
        let now = Instant::now();
        let (mut out, missing) = self.grams.split(grams, n, now, GRAM_FREQUENCY_TTL);
        if missing.is_empty() {
            return Ok(out);
        }
        let keys: Vec<String> = missing.iter().map(|g| search::gram_key(*g)).collect();
        let read = search::stats(conn, &keys)?;
        self.grams.keep_read(missing, &keys, &read, n, now, &mut out);
        Ok(out)
    }
}

/// A weighted gram vector, in gram order, and its norm.
struct GramVector {
    weights: Vec<(Gram, f64)>,
    norm: f64,
}

impl GramVector {
    fn new(grams: &[(Gram, u32)], idf: &FnvHashMap<Gram, f64>) -> Self {
        let weights: Vec<(Gram, f64)> = grams
            .iter()
            .map(|(g, tf)| (*g, (1.0 + f64::from(*tf).ln()) * idf.get(g).copied().unwrap_or(0.0)))
            .collect();
        let norm = weights.iter().map(|(_, w)| w * w).sum::<f64>().sqrt();
        GramVector { weights, norm }
    }

    /// The largest cosine this vector can have with a text holding `grams` (sorted), whatever
    /// that text's weights: the norm of this vector on the grams both hold over its whole norm
    /// (Cauchy–Schwarz). Needs no frequency of the other text's own grams.
    fn cosine_bound(&self, grams: &[(Gram, u32)]) -> f64 {
        if self.norm == 0.0 {
            return 0.0;
        }
        let mut shared = 0.0;
        for_shared(&self.weights, grams, |(_, w), _| shared += w * w);
        (shared.sqrt() / self.norm).min(1.0)
    }

    /// Cosine similarity, 0 to 1 (weights are never negative).
    fn cosine(&self, other: &GramVector) -> f64 {
        if self.norm == 0.0 || other.norm == 0.0 {
            return 0.0;
        }
        let mut dot = 0.0;
        for_shared(&self.weights, &other.weights, |(_, a), (_, b)| dot += a * b);
        dot / (self.norm * other.norm)
    }
}

/// Calls `both` with the entries of `a` and `b` (each sorted by gram) that name the same gram.
fn for_shared<A, B>(a: &[(Gram, A)], b: &[(Gram, B)], mut both: impl FnMut(&(Gram, A), &(Gram, B))) {
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match a[i].0.cmp(&b[j].0) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                both(&a[i], &b[j]);
                i += 1;
                j += 1;
            }
        }
    }
}

fn check_query(query: &str, max: usize) -> Result<(), String> {
    let chars = query.chars().count();
    if chars > max {
        return Err(format!("must be at most {max} characters, got {chars}"));
    }
    crate::domain::no_nul(query)?;
    Ok(())
}

/// BM25's idf; a frequency kept from before the collection shrank (merges) counts as `n`.
fn bm25_idf(n: i64, df: i64) -> f64 {
    let (n, df) = (n as f64, df.min(n) as f64);
    (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
}

/// How many claims are indexed.
fn corpus_size(stats: &HashMap<String, i64>) -> i64 {
    stats.get(DOCS).copied().unwrap_or(0).max(0)
}

impl Claims {
    /// Claims holding every word of the query (stemmed, accents and case folded), best BM25
    /// score first, narrowed by the list filters and the sourcing level.
    pub async fn search(&self, params: SearchParams) -> Result<Page<SearchHit>, Error> {
        let mut v = Violations::default();
        v.check("query", check_query(&params.query, MAX_QUERY_CHARS));
        let mut list = params.list;
        let token = list.page_token.take();
        let after = v.check("page_token", paging::decode_token::<SearchCursor>(token.as_deref())).flatten();
        let filter = v.absorb(list.into_filter())?;
        v.into_result()?;
        let filter = filter.ok_or_else(|| Error::Internal("filter checked but absent".into()))?;
        let words = text::query_words(&params.query, filter.language.as_deref());
        if words.is_empty() {
            return Err(Error::invalid("query", "must contain a word that is not a stop word"));
        }
        let (rules, cache, level) = (self.rules, self.cache.clone(), params.sourcing_level);
        let frequencies = self.frequencies.clone();
        self.db
            .run(move |conn| {
                crate::storage::read(conn, |conn| {
                    let (weighted, by_word) = weigh_query(conn, &frequencies, &words)?;
                    let limit = filter.limit as usize;
                    let mut after = after.as_ref().map(|c| After { score: c.score, id: c.id.to_string() });
                    let mut hits: Vec<SearchHit> = Vec::new();
                    let mut scanned = 0;
                    let batch = if level.is_some() { 100 } else { limit as i64 + 1 };
                    let mut last_scanned = None;
                    loop {
                        let rows = search::search(conn, &weighted, &by_word, &filter, after.as_ref(), batch)?;
                        let exhausted = (rows.len() as i64) < batch;
                        scanned += rows.len();
                        if let Some(last) = rows.last() {
                            after = Some(After { score: last.score, id: last.claim_id.clone() });
                        }
                        let scores: Vec<(String, f64)> = rows.into_iter().map(|r| (r.claim_id, r.score)).collect();
                        for (view, score) in load_views(conn, &scores, &rules, &cache)? {
                            last_scanned = Some(SearchCursor { score, id: view.claim.id });
                            if level.is_none_or(|l| view.sourcing.level == l) {
                                hits.push(SearchHit { claim: view, score, snippets: Vec::new() });
                            }
                            if hits.len() > limit {
                                break;
                            }
                        }
                        if hits.len() > limit || exhausted || scanned >= SCAN_LIMIT {
                            break;
                        }
                    }
                    let mut page =
                        Page::from_rows(hits, filter.limit, |h| SearchCursor { score: h.score, id: h.claim.claim.id });
                    // A sourcing filter that stopped at the scan limit: the next page goes on
                    // from the last claim looked at, even when this page is short.
                    if page.next_page_token.is_none() && scanned >= SCAN_LIMIT {
                        page.next_page_token = last_scanned.map(|c| paging::encode(&c));
                    }
                    add_snippets(conn, &mut page.items, &words)?;
                    Ok(page)
                })
            })
            .await
    }

    /// Stored claims most like a text, best first, each with a score from 0 to 1.
    pub async fn similar_to_text(&self, text: &str, language: &str, limit: Option<i32>) -> Result<Vec<Match>, Error> {
        let mut v = Violations::default();
        v.check("text", check_query(text, MAX_SIMILAR_TEXT_CHARS));
        if text.trim().is_empty() {
            v.push("text", "must not be empty");
        }
        let language = v.check("language", crate::domain::language::normalize(language));
        let limit = v.check("limit", paging::page_size(limit));
        v.into_result()?;
        let (Some(language), Some(limit)) = (language, limit) else {
            return Err(Error::Internal("checked but absent".into()));
        };
        self.similar(text.to_owned(), language, limit as usize, None, 0.0, SIMILAR).await
    }

    /// Claims most like a stored one (itself left out).
    pub async fn similar_to_claim(&self, id: &str, limit: Option<i32>) -> Result<Vec<Match>, Error> {
        let id = parse_id("id", id)?;
        let (limit, _) = paging::params::<SearchCursor>(limit, None)?;
        let claim = self.db.run(move |conn| claims::get(conn, id)).await?;
        let text = text::similarity_text(&claim.text, claim.context.as_deref());
        self.similar(text, claim.language.clone(), limit as usize, Some(id), 0.0, SIMILAR).await
    }

    /// Near-duplicates of a claim about to be created: matches scoring `min_score` or more.
    pub(super) async fn duplicates_of(&self, text: &str, language: &str, min_score: f64) -> Result<Vec<Match>, Error> {
        self.similar(text.to_owned(), language.to_owned(), 5, None, min_score, DUPLICATES).await
    }

    pub(super) async fn similar(
        &self,
        text: String,
        language: String,
        limit: usize,
        exclude: Option<Uuid>,
        min_score: f64,
        depth: Depth,
    ) -> Result<Vec<Match>, Error> {
        let (rules, cache, frequencies) = (self.rules, self.cache.clone(), self.frequencies.clone());
        self.db
            .run(move |conn| {
                let started = Instant::now();
                let cleaned = text::strip_social(&text);
                // Its own terms, counted: a claim's BM25 weight against itself.
                let mut own: HashMap<String, i32> = HashMap::new();
                let mut own_len = 0;
                for term in text::terms(&cleaned, &language) {
                    *own.entry(search::word_key(&term)).or_default() += 1;
                    own_len += 1;
                }
                let mut keys: Vec<String> = own.keys().cloned().collect();
                keys.sort();
                let query_grams = text::grams(&cleaned);
                let lookup = frequencies.lookup(&keys, WORD_FREQUENCY_TTL, query_grams.iter().map(|(g, _)| *g));
                // Each word's BM25 impact in the text against itself (its weight before the idf).
                let own_impact = |key: &String| search::impact(own.get(key).copied().unwrap_or(1), own_len);
                let (n, query_dfs, found, weighed) = if let Conn::Pg(pg) = conn {
                    // One round trip: the function reads what is not kept and chooses the words.
                    let impacts: Vec<f64> = keys.iter().map(own_impact).collect();
                    let known_df: Vec<Option<i64>> = keys.iter().map(|k| lookup.words.get(k).copied()).collect();
                    let words = search::TextWords { keys: &keys, own_impact: &impacts, known_df: &known_df };
                    let (read, found) =
                        search::similar_candidates(pg, words, &lookup.gram_keys, lookup.docs, depth.choice())?;
                    let Read { n, grams, .. } = frequencies.complete(lookup, &read);
                    (n, grams, found, started.elapsed())
                } else {
                    let Read { n, words: stats, grams } = frequencies.read(conn, lookup)?;
                    if n == 0 {
                        return Ok(Vec::new());
                    }
                    let (chosen, floor) = depth.choose(&keys, &stats, n, own_impact);
                    let weighed = started.elapsed();
                    let found = search::candidates(conn, &chosen, depth.per_term, floor, depth.candidates + 1)?;
                    (n, grams, found, weighed)
                };
                if n == 0 {
                    return Ok(Vec::new());
                }
                let exclude = exclude.map(|e| e.to_string());
                let found: Vec<_> = found.into_iter().filter(|c| Some(&c.claim_id) != exclude.as_ref()).collect();
                let searched = started.elapsed();
                let Some(best_bm25) = found.first().map(|c| c.score).filter(|s| *s > 0.0) else {
                    return Ok(Vec::new());
                };

                let mut doc_grams: Vec<(&str, f64, text::GramCounts)> =
                    found.iter().map(|c| (c.claim_id.as_str(), c.score, text::grams(&c.sim_text))).collect();
                // Smoothed: common grams weigh little but never nothing, so that a small
                // collection still compares texts.
                let idf_of = |dfs: FnvHashMap<Gram, i64>| {
                    dfs.into_iter().map(|(g, df)| (g, (1.0 + n as f64 / (df.max(0) as f64 + 1.0)).ln()))
                };
                let mut idf: FnvHashMap<Gram, f64> = idf_of(query_dfs).collect();
                // The query's weights need only its own grams' frequencies, read with its words.
                let query = GramVector::new(&query_grams, &idf);
                if min_score > 0.0 {
                    // A candidate that cannot reach `min_score`, whatever its own grams weigh,
                    // goes before their frequencies are read (most of a duplicate check's
                    // candidates, and with them most of its reading).
                    doc_grams.retain(|(_, bm25, grams)| {
                        let bound = (query.cosine_bound(grams) + BM25_WEIGHT * bm25 / best_bm25) / (1.0 + BM25_WEIGHT);
                        bound >= min_score - BOUND_SLACK
                    });
                }
                let rest: FnvHashSet<Gram> = doc_grams
                    .iter()
                    .flat_map(|(_, _, grams)| grams.iter().map(|(g, _)| *g))
                    .filter(|g| !idf.contains_key(g))
                    .collect();
                idf.extend(idf_of(frequencies.grams(conn, rest, n)?));
                let counted = started.elapsed();
                let mut scored: Vec<(String, f64)> = doc_grams
                    .iter()
                    .map(|(id, bm25, g)| {
                        let cosine = query.cosine(&GramVector::new(g, &idf));
                        let score = (cosine + BM25_WEIGHT * bm25 / best_bm25) / (1.0 + BM25_WEIGHT);
                        ((*id).to_owned(), score.clamp(0.0, 1.0))
                    })
                    .filter(|(_, score)| *score >= min_score)
                    .collect();
                // Ties go to the older claim (ids are UUIDv7, in creation order): the desk's first record.
                scored.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
                scored.truncate(limit);
                let views = load_views(conn, &scored, &rules, &cache)?;
                tracing::debug!(
                    candidates = found.len(),
                    matches = views.len(),
                    weighed_ms = weighed.as_secs_f64() * 1e3,
                    searched_ms = searched.as_secs_f64() * 1e3,
                    counted_ms = counted.as_secs_f64() * 1e3,
                    total_ms = started.elapsed().as_secs_f64() * 1e3,
                    "similar claims: where the time went (cumulative)"
                );
                Ok(views.into_iter().map(|(claim, score)| Match { claim, score }).collect())
            })
            .await
    }

    /// Merges `duplicate` into `canonical`: the duplicate's attributions move (those the
    /// canonical claim already holds are dropped), both claims change version and record the
    /// event, and the duplicate then points to the canonical claim and leaves lists and searches.
    pub async fn merge(
        &self,
        canonical: &str,
        duplicate: &str,
        expected: Precondition,
        duplicate_expected: Option<Precondition>,
        actor: Actor,
    ) -> Result<(ClaimView, ClaimView), Error> {
        let canonical = parse_id("id", canonical)?;
        let duplicate = parse_id("duplicate_id", duplicate)?;
        if canonical == duplicate {
            return Err(Error::invalid("duplicate_id", "a claim cannot be merged into itself"));
        }
        let rules = self.rules;
        self.db
            .write(move |conn| {
                // Locked in id order: two merges of the same pair cannot deadlock.
                for id in if canonical < duplicate { [canonical, duplicate] } else { [duplicate, canonical] } {
                    claims::lock(conn, id)?;
                }
                let target = claims::get(conn, canonical)?;
                let target = super::view(conn, target, &rules)?;
                let source = claims::get(conn, duplicate)?;
                let source = super::view(conn, source, &rules)?;
                for (view, field) in [(&target, "id"), (&source, "duplicate_id")] {
                    if let Some(into) = view.claim.merged_into {
                        return Err(Error::Precondition {
                            code: "claim_merged",
                            subject: field.into(),
                            description: format!("claim {} was merged into {into}", view.claim.id),
                        });
                    }
                }
                expected.check(&target)?;
                if let Some(expected) = &duplicate_expected {
                    expected.check(&source)?;
                }
                let held = attributions::all_for_claim(conn, canonical)?;
                let incoming = attributions::all_for_claim(conn, duplicate)?;
                let same = |a: &crate::domain::Attribution, b: &crate::domain::Attribution| {
                    a.speaker_id == b.speaker_id
                        && a.stance == b.stance
                        && a.relay_ids == b.relay_ids
                        && a.quote == b.quote
                        && a.url == b.url
                        && a.published_at == b.published_at
                };
                let (dropped, moving): (Vec<_>, Vec<_>) =
                    incoming.into_iter().partition(|a| held.iter().any(|h| same(h, a)));
                if held.len() + moving.len() > attribution::MAX_PER_CLAIM {
                    return Err(Error::Precondition {
                        code: "too_many_attributions",
                        subject: "attributions".into(),
                        description: format!(
                            "the merged claim would hold {} attributions; a claim holds at most {}",
                            held.len() + moving.len(),
                            attribution::MAX_PER_CLAIM
                        ),
                    });
                }
                let mut moved = Vec::with_capacity(moving.len());
                for mut attribution in moving {
                    attribution.claim_id = canonical;
                    attributions::move_to(conn, attribution.id, canonical)?;
                    moved.push(attribution);
                }
                for attribution in &dropped {
                    attributions::delete(conn, attribution.id)?;
                }
                crate::storage::reviews::move_to(conn, duplicate, canonical)?;

                let mut merged = source.claim.clone();
                merged.merged_into = Some(canonical);
                let event = bump(
                    &mut merged,
                    actor.clone(),
                    Change::MergedInto {
                        canonical_id: canonical,
                        moved: moved.iter().map(|a| a.id).collect(),
                        dropped: dropped.iter().map(|a| a.id).collect(),
                    },
                );
                claims::update(conn, &merged, source.claim.version, false)?;
                events::append(conn, &event)?;

                let mut kept = target.claim.clone();
                let event = bump(&mut kept, actor.clone(), Change::Merged { duplicate_id: duplicate, moved });
                claims::update(conn, &kept, target.claim.version, false)?;
                events::append(conn, &event)?;

                search::index_claim(conn, duplicate)?;
                search::index_claim(conn, canonical)?;
                let mut both = views(conn, vec![kept, merged], &rules)?.into_iter();
                match (both.next(), both.next()) {
                    (Some(kept), Some(merged)) => Ok((kept, merged)),
                    _ => Err(Error::Internal("merged views lost".into())),
                }
            })
            .await
    }
}

/// The query's terms (prefix expansions included) with their idf, and its words as the indexes
/// of their terms, rarest word first (fewest claims over its terms); a word no claim holds has
/// none.
fn weigh_query(
    conn: &mut Conn,
    frequencies: &Frequencies,
    words: &[text::QueryWord],
) -> Result<(Vec<Weighted>, Vec<Vec<usize>>), Error> {
    let mut keyed: Vec<(i32, String)> = Vec::new();
    for (i, word) in words.iter().enumerate() {
        for term in &word.terms {
            let key = search::word_key(term);
            if word.prefix {
                for expanded in search::expand(conn, &key, EXPANSIONS)? {
                    keyed.push((i as i32, expanded));
                }
            }
            keyed.push((i as i32, key));
        }
    }
    keyed.sort();
    keyed.dedup();
    let keys: Vec<String> = keyed.iter().map(|(_, k)| k.clone()).collect();
    let (n, stats) = frequencies.words(conn, &keys, SEARCH_WORD_FREQUENCY_TTL)?;
    let weighted: Vec<Weighted> = keyed
        .into_iter()
        .filter_map(|(word, key)| {
            let df = stats.get(&key).copied().unwrap_or(0);
            (df > 0).then(|| Weighted { idf: bm25_idf(n, df), key, word, df })
        })
        .collect();
    let mut by_word: Vec<(i64, Vec<usize>)> = (0..words.len() as i32)
        .map(|word| {
            let of_word: Vec<usize> = (0..weighted.len()).filter(|i| weighted[*i].word == word).collect();
            (of_word.iter().map(|i| weighted[*i].df).sum(), of_word)
        })
        .collect();
    by_word.sort_by_key(|(df, _)| *df);
    Ok((weighted, by_word.into_iter().map(|(_, terms)| terms).collect()))
}

/// Views of claims by id, in the given order, each with its score; cached views are reused.
fn load_views(
    conn: &mut Conn,
    scored: &[(String, f64)],
    rules: &crate::domain::SourcingRules,
    cache: &super::ViewCache,
) -> Result<Vec<(ClaimView, f64)>, Error> {
    if scored.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<Uuid> = scored
        .iter()
        .map(|(id, _)| Uuid::try_parse(id).map_err(|e| Error::Internal(format!("claim id {id}: {e}"))))
        .collect::<Result<_, _>>()?;
    let revision = crate::storage::sources::revision(conn)?;
    let rows = claims::get_many(conn, &ids)?;
    let mut found: HashMap<Uuid, ClaimView> = HashMap::new();
    let mut missing = Vec::new();
    for claim in rows {
        match cache.get(claim.id, (claim.version, revision)) {
            Some(view) => {
                found.insert(claim.id, view);
            }
            None => missing.push(claim),
        }
    }
    for view in views(conn, missing, rules)? {
        cache.put(&view, revision);
        found.insert(view.claim.id, view);
    }
    Ok(ids.iter().zip(scored).filter_map(|(id, (_, score))| found.remove(id).map(|v| (v, *score))).collect())
}

/// The passages of each hit where the query's words appear: its text, context, claimant and
/// quotes, in that order, each cut to about 200 characters around the first match.
fn add_snippets(conn: &mut Conn, hits: &mut [SearchHit], words: &[text::QueryWord]) -> Result<(), Error> {
    let ids: Vec<String> = hits.iter().map(|h| h.claim.claim.id.to_string()).collect();
    let mut quotes = search::quotes(conn, &ids)?;
    for hit in hits {
        let claim = &hit.claim.claim;
        let language = claim.language.clone();
        let mut fields: Vec<(&'static str, String)> = vec![("text", claim.text.clone())];
        fields.extend(claim.context.clone().map(|c| ("context", c)));
        fields.extend(hit.claim.claimant.as_ref().map(|c| ("claimant", c.name.clone())));
        fields.extend(quotes.remove(&claim.id.to_string()).unwrap_or_default().into_iter().map(|q| ("quote", q)));
        hit.snippets =
            fields.into_iter().filter_map(|(field, value)| snippet(field, &value, &language, words)).collect();
    }
    Ok(())
}

/// The longest snippet, in characters.
const SNIPPET_CHARS: usize = 200;

fn snippet(field: &'static str, value: &str, language: &str, words: &[text::QueryWord]) -> Option<Snippet> {
    let lang = text::Language::of(language);
    let matching: Vec<(usize, usize)> = text::words(value)
        .into_iter()
        .filter(|w| {
            let lower = w.text.to_lowercase();
            let term = lang.term(&lower);
            let folded = text::fold(&lower);
            words.iter().any(|q| {
                q.terms.iter().any(|t| {
                    *t == term
                        || *t == folded
                        || (q.prefix && (term.starts_with(t.as_str()) || folded.starts_with(t.as_str())))
                })
            })
        })
        .map(|w| (w.start, w.end))
        .collect();
    let first = matching.first()?;
    let chars: Vec<char> = value.chars().collect();
    let (start, end) = if chars.len() <= SNIPPET_CHARS {
        (0, chars.len())
    } else {
        let mut start = first.0.saturating_sub(SNIPPET_CHARS / 4);
        while start > 0 && !chars[start - 1].is_whitespace() {
            start -= 1;
        }
        let mut end = (start + SNIPPET_CHARS).min(chars.len());
        while end < chars.len() && !chars[end].is_whitespace() && end - start < SNIPPET_CHARS + 30 {
            end += 1;
        }
        (start, end)
    };
    let prefix = if start > 0 { "…" } else { "" };
    let suffix = if end < chars.len() { "…" } else { "" };
    let shift = prefix.chars().count();
    let text = format!("{prefix}{}{suffix}", chars[start..end].iter().collect::<String>());
    let highlights = matching
        .into_iter()
        .filter(|(s, e)| *s >= start && *e <= end)
        .map(|(s, e)| (s - start + shift, e - start + shift))
        .collect();
    Some(Snippet { field, text, highlights })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Frequencies for every gram of `texts`: each gram's df is its length-weighted hash, so
    /// weights differ from gram to gram.
    fn idf_of(texts: &[&str]) -> FnvHashMap<Gram, f64> {
        texts.iter().flat_map(|t| text::grams(t)).map(|(g, _)| (g, 1.0 + (g % 7) as f64)).collect()
    }

    #[test]
    fn the_cosine_bound_is_never_below_the_cosine() {
        let texts = [
            "Maduro a demandé l'aide de la Russie, de la Chine et de l'Iran",
            "Maduro a sollicité l'aide de la Russie, de la Chine et de l'Iran pour renforcer ses défenses",
            "Les États-Unis se préparaient à bombarder des installations militaires au Venezuela",
            "Le Kremlin dit être en contact avec ses amis vénézuéliens",
            "",
        ];
        let idf = idf_of(&texts);
        for a in texts {
            let query = GramVector::new(&text::grams(a), &idf);
            for b in texts {
                let grams = text::grams(b);
                let cosine = query.cosine(&GramVector::new(&grams, &idf));
                let bound = query.cosine_bound(&grams);
                assert!(bound + 1e-12 >= cosine, "{a:?} / {b:?}: bound {bound} < cosine {cosine}");
                assert!((0.0..=1.0).contains(&bound));
            }
        }
        // The same text: both are 1. Nothing shared: both are 0.
        let same = text::grams(texts[0]);
        assert!((GramVector::new(&same, &idf).cosine_bound(&same) - 1.0).abs() < 1e-12);
        assert_eq!(GramVector::new(&same, &idf).cosine_bound(&text::grams("zzzz qqqq")), 0.0);
    }

    #[test]
    fn the_bound_prunes_what_shares_little() {
        let idf = idf_of(&["Maduro a demandé l'aide de la Russie", "Le marché du cacao recule à Abidjan"]);
        let query = GramVector::new(&text::grams("Maduro a demandé l'aide de la Russie"), &idf);
        assert!(query.cosine_bound(&text::grams("Le marché du cacao recule à Abidjan")) < 0.45);
    }
}
