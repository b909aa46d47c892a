//! Scoring extraction against labelled passages (`tests/fixtures/extraction/*.json`): the seed
//! article's test and the evaluation command under `bench/` share it.
//!
//! A candidate matches a labelled claim when its sentence, or one merged into it, holds the
//! label's `quote` (or one of `also`). Names match folded, one holding the other's words
//! ("Washington Post" and "le Washington Post"). Precision and recall are counted for claims,
//! speakers (a candidate's speaker that the matched claim's labels name), relay chains (speaker
//! and relays in order) and stances (speaker and stance).

use serde::Deserialize;

use super::{Candidate, Extraction};
use crate::domain::text;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Passage {
    /// Where the passage comes from.
    pub source: String,
    pub language: String,
    pub published: Option<chrono::NaiveDate>,
    pub text: String,
    pub claims: Vec<GoldClaim>,
    /// Sentences that must not be proposed.
    #[serde(default)]
    pub not_claims: Vec<String>,
    #[serde(default)]
    pub dates: Vec<GoldDate>,
    #[serde(default)]
    pub numbers: Vec<GoldNumber>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GoldClaim {
    pub quote: String,
    #[serde(default)]
    pub also: Vec<String>,
    pub attributions: Vec<GoldAttribution>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GoldAttribution {
    pub speaker: String,
    pub kind: String,
    #[serde(default)]
    pub relays: Vec<String>,
    pub stance: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GoldDate {
    pub expression: String,
    pub value: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GoldNumber {
    pub text: String,
    pub check: String,
}

/// Found, predicted and labelled counts of one measure.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Count {
    /// Predictions that are right.
    pub correct: usize,
    pub predicted: usize,
    /// Labels that were found.
    pub found: usize,
    pub labelled: usize,
}

impl Count {
    pub fn precision(&self) -> f64 {
        if self.predicted == 0 { 1.0 } else { self.correct as f64 / self.predicted as f64 }
    }

    pub fn recall(&self) -> f64 {
        if self.labelled == 0 { 1.0 } else { self.found as f64 / self.labelled as f64 }
    }

    fn add(&mut self, other: Count) {
        self.correct += other.correct;
        self.predicted += other.predicted;
        self.found += other.found;
        self.labelled += other.labelled;
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Score {
    pub claims: Count,
    pub speakers: Count,
    pub relays: Count,
    pub stances: Count,
    /// What went wrong, a line each, for the report.
    pub misses: Vec<String>,
}

impl Score {
    pub fn add(&mut self, other: Score) {
        self.claims.add(other.claims);
        self.speakers.add(other.speakers);
        self.relays.add(other.relays);
        self.stances.add(other.stances);
        self.misses.extend(other.misses);
    }
}

fn folded_words(s: &str) -> Vec<String> {
    text::words(s).iter().map(|w| text::fold(w.text)).collect()
}

fn contains_words(hay: &[String], needle: &[String]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}

/// Names match when one's words hold the other's.
pub fn same_name(a: &str, b: &str) -> bool {
    let (a, b) = (folded_words(a), folded_words(b));
    contains_words(&a, &b) || contains_words(&b, &a)
}

fn normalized(s: &str) -> String {
    s.replace(['’', 'ʼ'], "'").split_whitespace().collect::<Vec<_>>().join(" ")
}

fn holds(candidate: &Candidate, text: &str, quote: &str) -> bool {
    let quote = normalized(quote);
    normalized(&candidate.sentence).contains(&quote)
        || candidate.merged_spans.iter().any(|s| {
            let chars: String = text.chars().skip(s.start).take(s.end - s.start).collect();
            normalized(&chars).contains(&quote)
        })
}

fn relays_match(found: &[super::Party], gold: &[String]) -> bool {
    found.len() == gold.len() && found.iter().zip(gold).all(|(f, g)| same_name(&f.name, g))
}

/// Scores one passage's extraction against its labels.
pub fn score(passage: &Passage, extraction: &Extraction) -> Score {
    let text = extraction.text.as_deref().unwrap_or(&passage.text);
    let mut s = Score::default();
    s.claims.predicted = extraction.candidates.len();
    s.claims.labelled = passage.claims.len();
    // A candidate matches every labelled claim its sentences hold: a merged candidate may
    // stand for two labelled rewordings.
    let matched: Vec<Vec<&GoldClaim>> = extraction
        .candidates
        .iter()
        .map(|c| {
            passage
                .claims
                .iter()
                .filter(|g| std::iter::once(&g.quote).chain(&g.also).any(|q| holds(c, text, q)))
                .collect()
        })
        .collect();
    for (c, golds) in extraction.candidates.iter().zip(&matched) {
        let Some(first) = golds.first() else {
            s.misses.push(format!("invented claim: {}", c.sentence));
            continue;
        };
        s.claims.correct += 1;
        for a in &c.attributions {
            s.speakers.predicted += 1;
            s.relays.predicted += 1;
            s.stances.predicted += 1;
            let same: Vec<&GoldAttribution> =
                golds.iter().flat_map(|g| &g.attributions).filter(|g| same_name(&a.speaker.name, &g.speaker)).collect();
            if same.is_empty() {
                s.misses.push(format!("wrong speaker {:?} for {:?}", a.speaker.name, first.quote));
                continue;
            }
            s.speakers.correct += 1;
            if same.iter().any(|g| relays_match(&a.relays, &g.relays)) {
                s.relays.correct += 1;
            } else {
                s.misses.push(format!(
                    "wrong relays {:?} of {:?} for {:?}",
                    a.relays.iter().map(|r| &r.name).collect::<Vec<_>>(),
                    a.speaker.name,
                    first.quote
                ));
            }
            if same.iter().any(|g| g.stance == a.stance.as_str()) {
                s.stances.correct += 1;
            } else {
                s.misses.push(format!(
                    "wrong stance {} of {:?} for {:?}",
                    a.stance.as_str(),
                    a.speaker.name,
                    first.quote
                ));
            }
        }
    }
    for gold in &passage.claims {
        let found: Vec<&Candidate> = extraction
            .candidates
            .iter()
            .zip(&matched)
            .filter(|(_, golds)| golds.iter().any(|g| std::ptr::eq(*g, gold)))
            .map(|(c, _)| c)
            .collect();
        if !found.is_empty() {
            s.claims.found += 1;
        } else {
            s.misses.push(format!("missed claim: {:?}", gold.quote));
        }
        for g in &gold.attributions {
            s.speakers.labelled += 1;
            s.relays.labelled += 1;
            s.stances.labelled += 1;
            let same: Vec<&super::Attribution> =
                found.iter().flat_map(|c| &c.attributions).filter(|a| same_name(&a.speaker.name, &g.speaker)).collect();
            if same.is_empty() {
                if !found.is_empty() {
                    s.misses.push(format!("missed speaker {:?} for {:?}", g.speaker, gold.quote));
                }
                continue;
            }
            s.speakers.found += 1;
            if same.iter().any(|a| relays_match(&a.relays, &g.relays)) {
                s.relays.found += 1;
            }
            if same.iter().any(|a| a.stance.as_str() == g.stance) {
                s.stances.found += 1;
            }
        }
    }
    s
}
