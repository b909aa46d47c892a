//! Text analysis for search and similar claims, done in Rust so that both backends index and
//! match exactly alike (ARCHITECTURE.md, "Search and similar claims").
//!
//! - **Words** are maximal runs of letters and digits ("États-Unis" is two words, "l'aide" is
//!   "l" and "aide").
//! - **Terms** are what the index holds: a word lower-cased, stemmed with the Snowball stemmer of
//!   the text's language (French, English and the other languages Snowball knows), then folded
//!   (accents and other marks removed): "bombardé" and "bombarder" are both `bombard`,
//!   "États" and "etats" both `etat`. Stop words of the language and one-letter words are not
//!   indexed.
//! - **Query words** are matched through every term they may stand for: the query's language's
//!   stem when it is known, otherwise the French and English stems and the plain folded word; a
//!   stem of 5 or more characters also matches the terms it begins ("renforc" matches
//!   "renforcent", which Snowball leaves whole).
//! - **Character n-grams** (3 and 4 characters of the folded words, stop words included) are the
//!   similarity measure between two texts: they see through inflections, compounds, hashtags
//!   and typos that whole words miss.

use std::{
    collections::{HashMap, HashSet},
    sync::OnceLock,
};

use rust_stemmers::{Algorithm, Stemmer};
use unicode_normalization::{UnicodeNormalization, char::is_combining_mark};

/// A word of a text and where it is, in characters (Unicode scalar values) from the start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word<'a> {
    pub text: &'a str,
    pub start: usize,
    pub end: usize,
}

/// The words of `text`, in order.
pub fn words(text: &str) -> Vec<Word<'_>> {
    let mut out = Vec::new();
    let mut begin: Option<(usize, usize)> = None; // (byte, char) where the current word starts
    let mut chars = 0;
    for (byte, c) in text.char_indices() {
        if c.is_alphanumeric() {
            begin.get_or_insert((byte, chars));
        } else if let Some((b, s)) = begin.take() {
            out.push(Word { text: &text[b..byte], start: s, end: chars });
        }
        chars += 1;
    }
    if let Some((b, s)) = begin {
        out.push(Word { text: &text[b..], start: s, end: chars });
    }
    out
}

/// Lower case without accents or other marks: "États" is "etats".
pub fn fold(word: &str) -> String {
    word.nfkd().filter(|c| !is_combining_mark(*c)).flat_map(char::to_lowercase).collect()
}

/// The primary subtag of a BCP 47 tag, lower-cased: "fr-CA" is "fr".
pub fn primary(language: &str) -> String {
    language.split(['-', '_']).next().unwrap_or_default().to_ascii_lowercase()
}

fn algorithm(primary: &str) -> Option<Algorithm> {
    Some(match primary {
        "ar" => Algorithm::Arabic,
        "da" => Algorithm::Danish,
        "nl" => Algorithm::Dutch,
        "en" => Algorithm::English,
        "fi" => Algorithm::Finnish,
        "fr" => Algorithm::French,
        "de" => Algorithm::German,
        "el" => Algorithm::Greek,
        "hu" => Algorithm::Hungarian,
        "it" => Algorithm::Italian,
        "no" | "nb" | "nn" => Algorithm::Norwegian,
        "pt" => Algorithm::Portuguese,
        "ro" => Algorithm::Romanian,
        "ru" => Algorithm::Russian,
        "es" => Algorithm::Spanish,
        "sv" => Algorithm::Swedish,
        "ta" => Algorithm::Tamil,
        "tr" => Algorithm::Turkish,
        _ => return None,
    })
}

/// How the words of one language become terms: its stemmer and stop words (none when claimdesk
/// does not know the language: words are then only folded).
pub struct Language {
    stemmer: Option<Stemmer>,
    stop: HashSet<&'static str>,
}

impl Language {
    /// The analysis for a BCP 47 tag; built once per language.
    pub fn of(tag: &str) -> &'static Language {
        static LANGUAGES: OnceLock<std::sync::Mutex<HashMap<String, &'static Language>>> = OnceLock::new();
        let primary = primary(tag);
        let mut known = LANGUAGES.get_or_init(Default::default).lock().unwrap_or_else(|e| e.into_inner());
        known.entry(primary.clone()).or_insert_with(|| {
            Box::leak(Box::new(Language {
                stemmer: algorithm(&primary).map(Stemmer::create),
                stop: stop_words::lookup(&primary).unwrap_or_default().iter().copied().collect(),
            }))
        })
    }

    fn is_stop(&self, lower: &str) -> bool {
        self.stop.contains(lower)
    }

    /// The term a lower-cased word stands for in this language.
    pub fn term(&self, lower: &str) -> String {
        match &self.stemmer {
            Some(stemmer) => fold(&stemmer.stem(lower)),
            None => fold(lower),
        }
    }
}

/// A word worth indexing: not one letter, not a stop word.
fn indexable(lower: &str, stop: impl Fn(&str) -> bool) -> bool {
    let mut chars = lower.chars();
    let short = chars.next().is_some() && chars.next().is_none() && !lower.chars().all(|c| c.is_numeric());
    !short && !stop(lower)
}

/// The terms of a text in `language`, in order, repeated as often as they occur.
pub fn terms(text: &str, language: &str) -> Vec<String> {
    let lang = Language::of(language);
    words(text)
        .into_iter()
        .filter_map(|w| {
            let lower = w.text.to_lowercase();
            indexable(&lower, |l| lang.is_stop(l)).then(|| lang.term(&lower))
        })
        .collect()
}

/// One word of a query: the terms it may stand for. `prefix`: each term also matches the
/// indexed terms it begins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryWord {
    pub word: String,
    pub terms: Vec<String>,
    pub prefix: bool,
}

/// Stems this long or longer also match the terms they begin.
pub const PREFIX_MIN_CHARS: usize = 5;

/// The words of a query, each with the terms it stands for: in `language`'s analysis when given,
/// otherwise in French's, English's and as a plain folded word. Stop words and repeats dropped.
pub fn query_words(text: &str, language: Option<&str>) -> Vec<QueryWord> {
    let languages: Vec<&Language> = match language {
        Some(tag) => vec![Language::of(tag)],
        None => vec![Language::of("fr"), Language::of("en"), Language::of("und")],
    };
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for w in words(text) {
        let lower = w.text.to_lowercase();
        if !indexable(&lower, |l| languages.iter().any(|lang| lang.is_stop(l))) || !seen.insert(lower.clone()) {
            continue;
        }
        let mut terms: Vec<String> = languages.iter().map(|lang| lang.term(&lower)).collect();
        terms.sort();
        terms.dedup();
        let prefix = terms.iter().all(|t| t.chars().count() >= PREFIX_MIN_CHARS);
        out.push(QueryWord { word: lower, terms, prefix });
    }
    out
}

/// The analyses a name is read in: a name has no language of its own.
fn name_languages() -> [&'static Language; 3] {
    [Language::of("fr"), Language::of("en"), Language::of("und")]
}

/// The terms a source is found by, from its names and aliases: each word's French and English
/// stems and its plain folded form, stop words and one-letter words left out, as in a query
/// with no language. A name made only of such words ("The Who") keeps them, folded.
pub fn name_terms<'a>(names: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let languages = name_languages();
    let mut out = HashSet::new();
    for name in names {
        // Compatibility forms first, as a name's key has them: "™" is "TM", "№" is "No".
        let name: String = name.nfkc().collect();
        let lower: Vec<String> = words(&name).iter().map(|w| w.text.to_lowercase()).collect();
        let kept: Vec<&String> =
            lower.iter().filter(|l| indexable(l, |l| languages.iter().any(|lang| lang.is_stop(l)))).collect();
        if !kept.is_empty() {
            out.extend(kept.iter().flat_map(|l| languages.iter().map(|lang| lang.term(l))));
        } else if !lower.is_empty() {
            out.extend(lower.iter().map(|l| fold(l)));
        } else {
            // Nothing a word is made of but what the name's key keeps (look-alike letters of
            // another script): its words, so that every source has terms.
            out.extend(super::names::key(&name).split(' ').filter(|w| !w.is_empty()).map(str::to_owned));
        }
    }
    let mut out: Vec<String> = out.into_iter().collect();
    out.sort();
    out
}

/// One word of a name query: it matches a name term equal to one of `terms`, or beginning
/// with one of `prefixes`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameQueryWord {
    pub terms: Vec<String>,
    pub prefixes: Vec<String>,
}

/// A name typed in part still finds it: a query word of this many characters or more also
/// matches the name words it begins ("madu" finds "Maduro").
pub const NAME_PREFIX_MIN_CHARS: usize = 3;

/// The words of a source search, analysed as [`query_words`] analyses a query with no
/// language; a query made only of stop words keeps them, as [`name_terms`] does.
pub fn name_query(text: &str) -> Vec<NameQueryWord> {
    let text: String = text.nfkc().collect();
    let analysed = query_words(&text, None);
    let analysed = if analysed.is_empty() {
        let mut seen = HashSet::new();
        words(&text)
            .iter()
            .map(|w| fold(&w.text.to_lowercase()))
            .filter(|w| seen.insert(w.clone()))
            .map(|w| QueryWord { word: w.clone(), terms: vec![w], prefix: false })
            .collect()
    } else {
        analysed
    };
    analysed
        .into_iter()
        .map(|w| {
            let mut prefixes: Vec<String> =
                w.terms.iter().filter(|t| w.prefix && t.chars().count() >= PREFIX_MIN_CHARS).cloned().collect();
            let folded = fold(&w.word);
            if folded.chars().count() >= NAME_PREFIX_MIN_CHARS {
                prefixes.push(folded);
            }
            prefixes.sort();
            prefixes.dedup();
            NameQueryWord { terms: w.terms, prefixes }
        })
        .collect()
}

/// Removes what a post on a social network carries besides its statement, before it is
/// compared with claims: links, @mentions, the signature of an embedded tweet ("— Name
/// (@handle) May 7, 2020"); hashtags become their words ("#StayAtHome" is "Stay At Home").
pub fn strip_social(text: &str) -> String {
    let text = strip_embed_signature(text);
    let mut out = String::with_capacity(text.len());
    for token in text.split_whitespace() {
        let lower = token.to_ascii_lowercase();
        if lower.starts_with("http://")
            || lower.starts_with("https://")
            || lower.starts_with("www.")
            || lower.starts_with("pic.twitter.com/")
            || token.starts_with('@')
        {
            continue;
        }
        let token = token.strip_prefix('#').map_or_else(|| token.to_owned(), split_camel_case);
        out.push_str(&token);
        out.push(' ');
    }
    out.truncate(out.trim_end().len());
    out
}

/// "— Jane Doe (@jdoe) May 7, 2020" at the end of an embedded tweet.
fn strip_embed_signature(text: &str) -> &str {
    let Some(dash) = text.rfind('—') else { return text };
    let tail = &text[dash..];
    let ends_with_year =
        tail.trim_end().rsplit(' ').next().is_some_and(|y| y.len() == 4 && y.chars().all(|c| c.is_ascii_digit()));
    if tail.contains("(@") && ends_with_year { &text[..dash] } else { text }
}

fn split_camel_case(tag: &str) -> String {
    let mut out = String::with_capacity(tag.len() + 4);
    let mut previous: Option<char> = None;
    for c in tag.chars() {
        if c.is_uppercase() && previous.is_some_and(char::is_lowercase) {
            out.push(' ');
        }
        out.push(c);
        previous = Some(c);
    }
    out
}

/// What a claim's similarity is measured on: its text, and its context when it has one.
pub fn similarity_text(text: &str, context: Option<&str>) -> String {
    match context {
        Some(context) => format!("{text}\n{context}"),
        None => text.to_owned(),
    }
}

/// A character n-gram, named by the 64-bit FNV-1a hash of its UTF-8 bytes: a stable name (the
/// index stores document frequencies under it) that costs no allocation to compare.
pub type Gram = u64;

/// Grams with their counts, in gram order.
pub type GramCounts = Vec<(Gram, u32)>;

/// The distinct character 3- and 4-grams of a text's folded words (joined by one space, padded
/// with one), with their counts, in gram order.
pub fn grams(text: &str) -> GramCounts {
    use std::hash::Hasher;
    let mut joined = String::from(" ");
    for w in words(text) {
        joined.push_str(&fold(w.text));
        joined.push(' ');
    }
    let chars: Vec<char> = joined.chars().collect();
    let mut all: Vec<Gram> = Vec::with_capacity(chars.len() * 2);
    let mut buf = [0u8; 4];
    for n in [3, 4] {
        for window in chars.windows(n) {
            let mut hash = fnv::FnvHasher::default();
            for c in window {
                hash.write(c.encode_utf8(&mut buf).as_bytes());
            }
            all.push(hash.finish());
        }
    }
    all.sort_unstable();
    let mut out: Vec<(Gram, u32)> = Vec::with_capacity(all.len());
    for gram in all {
        match out.last_mut() {
            Some((last, count)) if *last == gram => *count += 1,
            _ => out.push((gram, 1)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(query: &str, text: &str, language: &str) -> bool {
        let indexed = terms(text, language);
        query_words(query, None)
            .iter()
            .all(|q| q.terms.iter().any(|t| indexed.iter().any(|i| i == t || (q.prefix && i.starts_with(t.as_str())))))
    }

    #[test]
    fn stems_fold_and_match_across_inflections() {
        assert!(matches("bombarder", "les États-Unis se préparaient à bombarder", "fr"));
        assert!(matches("bombardé", "les États-Unis se préparaient à bombarder", "fr"));
        assert!(matches("bombarder", "le port a été bombardé", "fr"));
        assert!(matches("renforcement", "ils renforcent les défenses", "fr"));
        assert!(matches("etats-unis", "les États-Unis se préparaient", "fr"));
        assert!(matches("ETATS UNIS", "les États-Unis se préparaient", "fr"));
        assert!(matches("deploying", "the deployment of warships", "en"));
        assert!(!matches("bombarder", "Maduro a demandé l'aide de la Russie", "fr"));
    }

    #[test]
    fn stop_words_and_single_letters_are_not_terms() {
        assert_eq!(terms("Maduro a demandé l'aide de la Russie", "fr"), ["maduro", "demand", "aid", "russ"]);
        assert!(query_words("the of le la", None).is_empty());
    }

    fn finds(query: &str, names: &[&str]) -> bool {
        let indexed = name_terms(names.iter().copied());
        name_query(query).iter().all(|q| {
            indexed.iter().any(|i| q.terms.contains(i) || q.prefixes.iter().any(|p| i.starts_with(p.as_str())))
        })
    }

    #[test]
    fn names_are_found_by_stems_folded_words_and_their_beginnings() {
        assert!(finds("presidence", &["Élysée", "Présidence de la République"]));
        assert!(finds("PRÉSIDENT", &["Présidence de la République"]));
        assert!(finds("elysee", &["Élysée"]));
        assert!(finds("madu", &["Nicolás Maduro"]));
        assert!(finds("nicolas maduro", &["Nicolás Maduro"]));
        assert!(finds("états-unis", &["Département d'État des États-Unis"]));
        assert!(finds("the who", &["The Who"]), "a name of stop words only");
        assert!(!finds("maduro", &["Agence France-Presse", "AFP"]));
        assert!(!finds("duro", &["Nicolás Maduro"]), "words match from their start");
        assert!(!finds("france maduro", &["Agence France-Presse"]), "every word must match");
        assert!(finds("tm", &["™"]), "compatibility forms, as in the name's key");
        assert!(finds("™", &["TM"]));
        assert!(!name_terms(["℡ №"]).is_empty());
    }

    #[test]
    fn words_carry_character_offsets() {
        let w = words("Élu à Kyïv, l'État");
        let spans: Vec<(&str, usize, usize)> = w.iter().map(|w| (w.text, w.start, w.end)).collect();
        assert_eq!(spans, [("Élu", 0, 3), ("à", 4, 5), ("Kyïv", 6, 10), ("l", 12, 13), ("État", 14, 18)]);
    }

    #[test]
    fn social_noise_is_removed() {
        let tweet =
            "Masks do not work #StayAtHome @who https://t.co/x pic.twitter.com/abc — Jane Doe (@jdoe) May 7, 2020";
        assert_eq!(strip_social(tweet), "Masks do not work Stay At Home");
        assert_eq!(strip_social("a — b"), "a — b");
    }

    #[test]
    fn grams_are_of_folded_words() {
        let g = grams("Été!");
        // " et", "ete", "te ", " ete", "ete ".
        assert_eq!(g.len(), 5, "{g:?}");
        assert!(g.iter().all(|(_, n)| *n == 1));
        assert_eq!(g, grams("ete"));
        assert!(g.windows(2).all(|w| w[0].0 < w[1].0), "in gram order");
        let twice = grams("abc abc");
        assert!(twice.iter().any(|(_, n)| *n == 2), "{twice:?}");
        // FNV-1a of " et": stored in databases, so it must never change.
        assert!(g.iter().any(|(gram, _)| *gram == 0xc2c6a017cdec05ee), "{g:?}");
    }
}
