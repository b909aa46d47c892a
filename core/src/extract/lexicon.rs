//! The cue lexicons: data files under `core/lexicons/`, one per language plus the names shared
//! by all, compiled into the binary and read once.

use std::{
    collections::{HashMap, HashSet},
    sync::OnceLock,
};

use serde::Deserialize;

use crate::domain::{SourceKind, Stance, text};

/// The languages claimdesk extracts from, with their lexicon files.
const FILES: &[(&str, &str)] =
    &[("fr", include_str!("../../lexicons/fr.toml")), ("en", include_str!("../../lexicons/en.toml"))];
const NAMES: &str = include_str!("../../lexicons/names.toml");

/// The languages extraction supports.
pub fn supported() -> impl Iterator<Item = &'static str> {
    FILES.iter().map(|(code, _)| *code)
}

/// A phrase as folded words: "D’après" is `["d", "apres"]`.
pub type Phrase = Vec<String>;

pub fn phrase(s: &str) -> Phrase {
    text::words(s).iter().map(|w| text::fold(w.text)).collect()
}

/// Phrases by their first word, longest first, each with a value.
#[derive(Debug)]
pub struct PhraseMap<V> {
    by_first: HashMap<String, Vec<(Phrase, V)>>,
}

impl<V> Default for PhraseMap<V> {
    fn default() -> Self {
        PhraseMap { by_first: HashMap::new() }
    }
}

impl<V: Clone> PhraseMap<V> {
    fn add(&mut self, entry: &str, value: V) {
        let words = phrase(entry);
        let Some(first) = words.first().cloned() else { return };
        let list = self.by_first.entry(first).or_default();
        list.push((words, value));
        list.sort_by_key(|(p, _)| std::cmp::Reverse(p.len()));
    }

    fn of<'a>(entries: impl IntoIterator<Item = (&'a String, V)>) -> Self {
        let mut map = PhraseMap::default();
        for (entry, value) in entries {
            map.add(entry, value);
        }
        map
    }

    /// The longest phrase that the folded words `words` (tokens, or plain strings) begin with:
    /// its length and value.
    pub fn at<W: AsRef<str>>(&self, words: &[W]) -> Option<(usize, &V)> {
        let first = words.first()?;
        self.by_first.get(first.as_ref())?.iter().find_map(|(p, v)| {
            (p.len() <= words.len() && p.iter().zip(words).all(|(a, b)| a == b.as_ref())).then_some((p.len(), v))
        })
    }
}

fn set(entries: &[String]) -> PhraseMap<()> {
    PhraseMap::of(entries.iter().map(|e| (e, ())))
}

/// A relative date expression's meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relative {
    /// Days from the publication date, both ends included.
    Days(i64, i64),
    ThisWeek,
    LastWeek,
    NextWeek,
    ThisMonth,
    LastMonth,
    ThisYear,
    LastYear,
}

/// One language's cues, ready to match.
#[derive(Debug)]
pub struct Lexicon {
    pub language: &'static str,
    pub source_markers: PhraseMap<()>,
    pub complementizers: PhraseMap<()>,
    pub auxiliaries: HashSet<String>,
    pub determiners: HashSet<String>,
    pub pronouns: HashSet<String>,
    pub demonstratives: HashSet<String>,
    pub definite: HashSet<String>,
    pub indefinite: HashSet<String>,
    pub passive: HashSet<String>,
    pub agent: HashSet<String>,
    pub initial_source_markers: PhraseMap<()>,
    pub anonymity: PhraseMap<()>,
    pub denial_words: PhraseMap<()>,
    pub quantifiers: HashSet<String>,
    pub verbs: PhraseMap<Stance>,
    pub object_verbs: PhraseMap<()>,
    pub nouns: PhraseMap<Stance>,
    pub of: HashSet<String>,
    pub relay_to: HashSet<String>,
    pub citing: PhraseMap<()>,
    pub relayed_by: PhraseMap<()>,
    pub concessive: PhraseMap<()>,
    pub what: PhraseMap<()>,
    pub described_by: PhraseMap<()>,
    pub context: PhraseMap<()>,
    /// Head words of descriptions, by kind (titles are `Person`).
    pub heads: HashMap<String, SourceKind>,
    /// "the report": the latest outlet or agency named.
    pub press_items: HashSet<String>,
    /// Known names' words, by kind.
    pub names: PhraseMap<SourceKind>,
    pub weekdays: Vec<String>,
    pub months: Vec<String>,
    pub past: HashSet<String>,
    pub date_lead_in: HashSet<String>,
    pub future: HashSet<String>,
    pub date_phrases: PhraseMap<Relative>,
    pub number_words: HashMap<String, u64>,
    pub totals: PhraseMap<()>,
    pub and: HashSet<String>,
    pub abbreviations: HashSet<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    language: String,
    #[allow(dead_code)]
    name: String,
    source_markers: Vec<String>,
    complementizers: Vec<String>,
    auxiliaries: Vec<String>,
    determiners: Vec<String>,
    pronouns: Vec<String>,
    demonstratives: Vec<String>,
    definite: Vec<String>,
    indefinite: Vec<String>,
    passive: Vec<String>,
    agent: Vec<String>,
    initial_source_markers: Vec<String>,
    anonymity: Vec<String>,
    denial_words: Vec<String>,
    quantifiers: Vec<String>,
    verbs: ByStance,
    object_verbs: Vec<String>,
    nouns: ByStance,
    links: Links,
    kinds: Kinds,
    dates: Dates,
    numbers: Numbers,
    abbreviations: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ByStance {
    #[serde(default)]
    asserts: Vec<String>,
    #[serde(default)]
    confirms: Vec<String>,
    #[serde(default)]
    denies: Vec<String>,
    #[serde(default)]
    disputes: Vec<String>,
}

impl ByStance {
    fn map(&self) -> PhraseMap<Stance> {
        let mut map = PhraseMap::default();
        for (list, stance) in [
            (&self.asserts, Stance::Asserts),
            (&self.confirms, Stance::Confirms),
            (&self.denies, Stance::Denies),
            (&self.disputes, Stance::Disputes),
        ] {
            for entry in list {
                map.add(entry, stance);
            }
        }
        map
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Links {
    of: Vec<String>,
    relay_to: Vec<String>,
    citing: Vec<String>,
    relayed_by: Vec<String>,
    concessive: Vec<String>,
    what: Vec<String>,
    described_by: Vec<String>,
    context: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Kinds {
    press_items: Vec<String>,
    news_agency: Vec<String>,
    news_outlet: Vec<String>,
    official_body: Vec<String>,
    organisation: Vec<String>,
    anonymous: Vec<String>,
    titles: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Dates {
    weekdays: Vec<String>,
    months: Vec<String>,
    past: Vec<String>,
    future: Vec<String>,
    lead_in: Vec<String>,
    phrases: Vec<DatePhrase>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DatePhrase {
    words: String,
    days: Option<[i64; 2]>,
    period: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Numbers {
    words: HashMap<String, u64>,
    totals: Vec<String>,
    and: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Names {
    news_agency: Vec<String>,
    news_outlet: Vec<String>,
    official_body: Vec<String>,
}

fn folded(list: &[String]) -> HashSet<String> {
    list.iter().flat_map(|e| phrase(e)).collect()
}

impl Lexicon {
    /// The lexicon of a primary language subtag, if extraction supports it.
    pub fn of(language: &str) -> Option<&'static Lexicon> {
        static ALL: OnceLock<Vec<Lexicon>> = OnceLock::new();
        ALL.get_or_init(|| {
            let names: Names = toml::from_str(NAMES).unwrap_or_else(|e| panic!("lexicons/names.toml: {}", e.message()));
            FILES
                .iter()
                .map(|(code, source)| {
                    let file: File =
                        toml::from_str(source).unwrap_or_else(|e| panic!("lexicons/{code}.toml: {}", e.message()));
                    Lexicon::build(code, file, &names)
                })
                .collect()
        })
        .iter()
        .find(|l| l.language == language)
    }

    fn build(code: &'static str, f: File, names: &Names) -> Lexicon {
        assert_eq!(f.language, code, "lexicon file of {code}");
        let mut heads = HashMap::new();
        for (list, kind) in [
            (&f.kinds.organisation, SourceKind::Organization),
            (&f.kinds.official_body, SourceKind::OfficialBody),
            (&f.kinds.news_outlet, SourceKind::NewsOutlet),
            (&f.kinds.news_agency, SourceKind::NewsAgency),
            (&f.kinds.anonymous, SourceKind::Anonymous),
            // Last: a title is a person's ("the minister Jane Doe"); a title without a name
            // stands for the office.
            (&f.kinds.titles, SourceKind::Person),
        ] {
            for word in folded(list) {
                heads.insert(word, kind);
            }
        }
        let mut name_map = PhraseMap::default();
        for (list, kind) in [
            (&names.official_body, SourceKind::OfficialBody),
            (&names.news_outlet, SourceKind::NewsOutlet),
            (&names.news_agency, SourceKind::NewsAgency),
        ] {
            for entry in list {
                name_map.add(entry, kind);
            }
        }
        let mut date_phrases = PhraseMap::default();
        for p in &f.dates.phrases {
            let relative = match (p.days, p.period.as_deref()) {
                (Some([from, to]), None) => Relative::Days(from, to),
                (None, Some("this_week")) => Relative::ThisWeek,
                (None, Some("last_week")) => Relative::LastWeek,
                (None, Some("next_week")) => Relative::NextWeek,
                (None, Some("this_month")) => Relative::ThisMonth,
                (None, Some("last_month")) => Relative::LastMonth,
                (None, Some("this_year")) => Relative::ThisYear,
                (None, Some("last_year")) => Relative::LastYear,
                _ => panic!("lexicon {code}: date phrase {:?} needs days = [from, to] or a known period", p.words),
            };
            date_phrases.add(&p.words, relative);
        }
        Lexicon {
            language: code,
            source_markers: set(&f.source_markers),
            complementizers: set(&f.complementizers),
            auxiliaries: folded(&f.auxiliaries),
            determiners: folded(&f.determiners),
            pronouns: folded(&f.pronouns),
            demonstratives: folded(&f.demonstratives),
            definite: folded(&f.definite),
            indefinite: folded(&f.indefinite),
            passive: folded(&f.passive),
            agent: folded(&f.agent),
            initial_source_markers: set(&f.initial_source_markers),
            anonymity: set(&f.anonymity),
            denial_words: set(&f.denial_words),
            quantifiers: folded(&f.quantifiers),
            verbs: f.verbs.map(),
            object_verbs: set(&f.object_verbs),
            nouns: f.nouns.map(),
            of: folded(&f.links.of),
            relay_to: folded(&f.links.relay_to),
            citing: set(&f.links.citing),
            relayed_by: set(&f.links.relayed_by),
            concessive: set(&f.links.concessive),
            what: set(&f.links.what),
            described_by: set(&f.links.described_by),
            context: set(&f.links.context),
            heads,
            press_items: folded(&f.kinds.press_items),
            names: name_map,
            weekdays: f.dates.weekdays.iter().map(|w| text::fold(w)).collect(),
            months: f.dates.months.iter().map(|m| text::fold(m)).collect(),
            past: folded(&f.dates.past),
            date_lead_in: folded(&f.dates.lead_in),
            future: folded(&f.dates.future),
            date_phrases,
            number_words: f.numbers.words.iter().map(|(w, n)| (text::fold(w), *n)).collect(),
            totals: set(&f.numbers.totals),
            and: folded(&f.numbers.and),
            abbreviations: f.abbreviations.iter().map(|a| text::fold(a)).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_lexicon_file_reads() {
        for code in supported() {
            let lexicon = Lexicon::of(code).expect(code);
            assert!(lexicon.verbs.at(&[if code == "fr" { "declare" } else { "said" }]).is_some());
        }
        assert!(Lexicon::of("de").is_none());
    }

    #[test]
    fn phrases_match_folded_and_longest_first() {
        let fr = Lexicon::of("fr").expect("lexicon");
        assert_eq!(fr.source_markers.at(&["d", "apres", "le"]).map(|(n, _)| n), Some(2));
        assert_eq!(fr.totals.at(&["soit", "un", "total", "de", "treize"]).map(|(n, _)| n), Some(4));
        assert_eq!(fr.totals.at(&["soit", "treize"]).map(|(n, _)| n), Some(1));
        assert_eq!(fr.verbs.at(&["dementi"]).map(|(_, s)| *s), Some(Stance::Denies));
    }
}
