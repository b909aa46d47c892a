//! The sourcing status: computed from a claim's attributions on every read, never stored.
//!
//! The rules (ARCHITECTURE.md lists them with their tests):
//! 1. A statement supports the claim when its stance is `asserts` or `confirms`, and opposes it
//!    when `denies` or `disputes`; `context` neither supports nor opposes.
//! 2. A statement's origin is its speaker. Relays carry a statement, they do not add a source:
//!    two outlets relaying one agency dispatch, or one anonymous group quoted by two papers,
//!    are one origin. `independent_supporting` counts distinct origins of supporting statements.
//! 3. Named and anonymous supporting sources split those origins by the speaker's kind.
//! 4. `confirmations`, `denials`, `disputes` count distinct speakers with that stance.
//! 5. A primary confirmation is a `confirms` statement by a person, organisation or official body.
//! 6. Level, first match wins: `contested` when supporting and opposing statements are both
//!    present; `confirmed` with a primary confirmation or at least N independent supporting
//!    sources (N configurable, default 3); `corroborated` with two or more; `single_source` with
//!    one; `unsourced` with none.
//! 7. `anonymous_only` when there is support and all of it comes from anonymous speakers.
//! 8. Earliest and latest `published_at` over all statements that carry one, by period start.

use std::collections::BTreeSet;

use uuid::Uuid;

use super::{PartialDate, SourceKind, Stance};

/// A source as a claim's reader sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceRef {
    pub id: Uuid,
    pub name: String,
    pub kind: SourceKind,
}

/// One attribution, with its speaker resolved.
#[derive(Debug, Clone)]
pub struct Statement {
    pub speaker: SourceRef,
    pub stance: Stance,
    pub published_at: Option<PartialDate>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SourcingRules {
    /// Independent supporting sources that make a claim `confirmed` without a primary confirmation.
    pub confirmed_min_sources: u32,
}

impl Default for SourcingRules {
    fn default() -> Self {
        Self { confirmed_min_sources: 3 }
    }
}

impl SourcingRules {
    /// The one rule for "confirmed", used by the sourcing level and by the desk's gate on the
    /// `confirmed` verdict: a primary confirmation, or enough independent supporting sources.
    pub fn confirmation_met(&self, independent_supporting: u32, primary_confirmation: bool) -> bool {
        primary_confirmation || independent_supporting >= self.confirmed_min_sources
    }

    /// The rule in words, for explanations and refusals.
    pub fn confirmation_rule(&self) -> String {
        format!(
            "a confirmation by a named person, organisation or official body, or at least {} independent supporting sources",
            self.confirmed_min_sources
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumString, strum::EnumIter)]
#[strum(serialize_all = "snake_case")]
pub enum SourcingLevel {
    Unsourced,
    SingleSource,
    Corroborated,
    Confirmed,
    Contested,
}

impl SourcingLevel {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Sourcing {
    pub level: SourcingLevel,
    pub anonymous_only: bool,
    pub independent_supporting: u32,
    pub named_supporting: u32,
    pub anonymous_supporting: u32,
    pub confirmations: u32,
    pub denials: u32,
    pub disputes: u32,
    pub primary_confirmation: bool,
    /// Whether the claim meets [`SourcingRules::confirmation_met`], contested or not.
    pub confirmation_met: bool,
    pub earliest_published_at: Option<PartialDate>,
    pub latest_published_at: Option<PartialDate>,
    /// Plain-language reasons for the level, most important first.
    pub reasons: Vec<String>,
}

impl Sourcing {
    pub fn explanation(&self) -> String {
        self.reasons.join(" ")
    }
}

pub fn compute(statements: &[Statement], rules: &SourcingRules) -> Sourcing {
    let speakers = |pred: &dyn Fn(&Statement) -> bool| -> Vec<&SourceRef> {
        let mut seen = BTreeSet::new();
        statements.iter().filter(|s| pred(s)).map(|s| &s.speaker).filter(|sp| seen.insert(sp.id)).collect()
    };
    let supporting = speakers(&|s| s.stance.supports());
    let named: Vec<&SourceRef> = supporting.iter().copied().filter(|s| s.kind != SourceKind::Anonymous).collect();
    let anonymous = supporting.len() - named.len();
    let confirming = speakers(&|s| s.stance == Stance::Confirms);
    let denying = speakers(&|s| s.stance == Stance::Denies);
    let disputing = speakers(&|s| s.stance == Stance::Disputes);
    let context = speakers(&|s| s.stance == Stance::Context);
    let primary: Vec<&SourceRef> = confirming.iter().copied().filter(|s| s.kind.is_primary()).collect();

    let independent = supporting.len() as u32;
    let opposed = !denying.is_empty() || !disputing.is_empty();
    let confirmation_met = rules.confirmation_met(independent, !primary.is_empty());
    let level = if independent > 0 && opposed {
        SourcingLevel::Contested
    } else if confirmation_met {
        SourcingLevel::Confirmed
    } else if independent >= 2 {
        SourcingLevel::Corroborated
    } else if independent == 1 {
        SourcingLevel::SingleSource
    } else {
        SourcingLevel::Unsourced
    };
    let anonymous_only = independent > 0 && named.is_empty();

    let mut reasons = Vec::new();
    match independent {
        0 => reasons.push("No source asserts or confirms the claim.".to_owned()),
        1 => reasons.push(format!("One independent source supports the claim: {}.", names(&supporting))),
        n => reasons.push(format!("{n} independent sources support the claim: {}.", names(&supporting))),
    }
    let supporting_statements = statements.iter().filter(|s| s.stance.supports()).count();
    if supporting_statements > supporting.len() {
        reasons.push(format!(
            "{supporting_statements} supporting statements come from {} origin(s): statements of one origin count once, whoever relays them.",
            supporting.len()
        ));
    }
    if anonymous_only {
        reasons.push("Every supporting statement comes from an anonymous source.".to_owned());
    } else if anonymous > 0 {
        reasons.push(format!("{anonymous} of the supporting sources are anonymous."));
    }
    if !primary.is_empty() {
        reasons.push(format!("Confirmed by a primary source: {}.", names(&primary)));
    } else if !confirming.is_empty() {
        reasons.push(format!(
            "Confirmed by {}, which is not a primary source (a named person, organisation or official body).",
            names(&confirming)
        ));
    }
    if !denying.is_empty() {
        reasons.push(format!("Denied by {}.", names(&denying)));
    }
    if !disputing.is_empty() {
        reasons.push(format!("Disputed by {}.", names(&disputing)));
    }
    if !context.is_empty() {
        reasons.push(format!("Context, neither support nor denial, from {}.", names(&context)));
    }
    reasons.push(
        match level {
            SourcingLevel::Contested => {
                let mut against = Vec::new();
                if !denying.is_empty() {
                    against.push(format!("denied by {}", names(&denying)));
                }
                if !disputing.is_empty() {
                    against.push(format!("disputed by {}", names(&disputing)));
                }
                format!("Level contested: supported, but {}.", against.join(" and "))
            }
            SourcingLevel::Confirmed if primary.is_empty() => format!(
                "Level confirmed: at least {} independent supporting sources.",
                rules.confirmed_min_sources
            ),
            SourcingLevel::Confirmed => "Level confirmed: a primary source confirms it.".to_owned(),
            SourcingLevel::Corroborated => format!(
                "Level corroborated: two or more independent sources, short of the {} needed for confirmed and with no primary confirmation.",
                rules.confirmed_min_sources
            ),
            SourcingLevel::SingleSource => "Level single_source: one independent source.".to_owned(),
            SourcingLevel::Unsourced => "Level unsourced.".to_owned(),
        },
    );

    let dated = statements.iter().filter_map(|s| s.published_at);
    Sourcing {
        level,
        anonymous_only,
        independent_supporting: independent,
        named_supporting: named.len() as u32,
        anonymous_supporting: anonymous as u32,
        confirmations: confirming.len() as u32,
        denials: denying.len() as u32,
        disputes: disputing.len() as u32,
        primary_confirmation: !primary.is_empty(),
        confirmation_met,
        earliest_published_at: dated.clone().min_by_key(PartialDate::start),
        latest_published_at: dated.max_by_key(PartialDate::start),
        reasons,
    }
}

/// Sources named in one reason; the rest are counted. Keeps every explanation, and so every
/// claim, bounded in size whatever the number of statements.
const NAMED_PER_REASON: usize = 10;

fn names(sources: &[&SourceRef]) -> String {
    let shown = sources.iter().take(NAMED_PER_REASON).map(|s| s.name.as_str()).collect::<Vec<_>>().join(", ");
    match sources.len().saturating_sub(NAMED_PER_REASON) {
        0 => shown,
        more => format!("{shown} and {more} more"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(name: &str, kind: SourceKind) -> SourceRef {
        SourceRef { id: Uuid::now_v7(), name: name.into(), kind }
    }

    fn says(speaker: &SourceRef, stance: Stance) -> Statement {
        Statement { speaker: speaker.clone(), stance, published_at: None }
    }

    fn level(statements: &[Statement]) -> SourcingLevel {
        compute(statements, &SourcingRules::default()).level
    }

    #[test]
    fn rule_1_context_neither_supports_nor_opposes() {
        let peskov = source("Dmitri Peskov", SourceKind::Person);
        let s = compute(&[says(&peskov, Stance::Context)], &SourcingRules::default());
        assert_eq!(s.level, SourcingLevel::Unsourced);
        assert_eq!((s.independent_supporting, s.denials, s.disputes), (0, 0, 0));
        assert!(s.explanation().contains("Context"));
    }

    #[test]
    fn rule_2_statements_of_one_origin_count_once() {
        let anonymous = source("Sources proches de l'administration Trump", SourceKind::Anonymous);
        let s =
            compute(&[says(&anonymous, Stance::Asserts), says(&anonymous, Stance::Asserts)], &SourcingRules::default());
        assert_eq!(s.independent_supporting, 1);
        assert_eq!(s.level, SourcingLevel::SingleSource);
        assert!(s.explanation().contains("count once"), "{}", s.explanation());
    }

    #[test]
    fn rule_3_named_and_anonymous_split_the_origins() {
        let wapo = source("The Washington Post", SourceKind::NewsOutlet);
        let anonymous = source("Des diplomates", SourceKind::Anonymous);
        let s = compute(&[says(&wapo, Stance::Asserts), says(&anonymous, Stance::Asserts)], &SourcingRules::default());
        assert_eq!((s.independent_supporting, s.named_supporting, s.anonymous_supporting), (2, 1, 1));
        assert!(!s.anonymous_only);
    }

    #[test]
    fn rule_4_stances_count_distinct_speakers() {
        let trump = source("Donald Trump", SourceKind::Person);
        let s = compute(&[says(&trump, Stance::Denies), says(&trump, Stance::Denies)], &SourcingRules::default());
        assert_eq!(s.denials, 1);
        assert_eq!(s.level, SourcingLevel::Unsourced, "a denial alone supports nothing");
    }

    #[test]
    fn rule_5_only_a_primary_source_confirmation_confirms() {
        let kremlin = source("Kremlin", SourceKind::OfficialBody);
        assert_eq!(level(&[says(&kremlin, Stance::Confirms)]), SourcingLevel::Confirmed);
        let outlet = source("TASS", SourceKind::NewsAgency);
        let s = compute(&[says(&outlet, Stance::Confirms)], &SourcingRules::default());
        assert_eq!(s.level, SourcingLevel::SingleSource);
        assert!(!s.primary_confirmation);
        assert_eq!(s.confirmations, 1);
        let anonymous = source("Un responsable", SourceKind::Anonymous);
        assert_eq!(level(&[says(&anonymous, Stance::Confirms)]), SourcingLevel::SingleSource);
    }

    #[test]
    fn rule_6_levels_in_order() {
        let a = source("A", SourceKind::NewsOutlet);
        let b = source("B", SourceKind::NewsOutlet);
        let c = source("C", SourceKind::NewsOutlet);
        let trump = source("Donald Trump", SourceKind::Person);
        assert_eq!(level(&[]), SourcingLevel::Unsourced);
        assert_eq!(level(&[says(&a, Stance::Asserts)]), SourcingLevel::SingleSource);
        assert_eq!(level(&[says(&a, Stance::Asserts), says(&b, Stance::Asserts)]), SourcingLevel::Corroborated);
        let three = [says(&a, Stance::Asserts), says(&b, Stance::Asserts), says(&c, Stance::Asserts)];
        assert_eq!(level(&three), SourcingLevel::Confirmed);
        let strict = compute(&three, &SourcingRules { confirmed_min_sources: 4 });
        assert_eq!(strict.level, SourcingLevel::Corroborated, "N is configurable");
        let mut contested = three.to_vec();
        contested.push(says(&trump, Stance::Denies));
        let s = compute(&contested, &SourcingRules::default());
        assert_eq!(s.level, SourcingLevel::Contested, "contested takes precedence");
        assert_eq!(s.independent_supporting, 3, "the counts still show the support");
        assert_eq!(level(&[says(&a, Stance::Asserts), says(&b, Stance::Disputes)]), SourcingLevel::Contested);
    }

    #[test]
    fn a_contested_explanation_names_exactly_what_stands_against_the_claim() {
        let a = source("A", SourceKind::NewsOutlet);
        let b = source("B", SourceKind::NewsOutlet);
        let trump = source("Donald Trump", SourceKind::Person);
        let disputed = compute(&[says(&a, Stance::Asserts), says(&b, Stance::Disputes)], &SourcingRules::default());
        let last = disputed.reasons.last().expect("a level reason");
        assert_eq!(last, "Level contested: supported, but disputed by B.");
        assert!(!disputed.explanation().contains("deny"), "{}", disputed.explanation());
        let both = compute(
            &[says(&a, Stance::Asserts), says(&trump, Stance::Denies), says(&b, Stance::Disputes)],
            &SourcingRules::default(),
        );
        assert_eq!(
            both.reasons.last().map(String::as_str),
            Some("Level contested: supported, but denied by Donald Trump and disputed by B.")
        );
    }

    #[test]
    fn one_rule_decides_confirmed_for_the_level_and_for_the_desk() {
        let a = source("A", SourceKind::NewsOutlet);
        let b = source("B", SourceKind::NewsOutlet);
        let two = [says(&a, Stance::Asserts), says(&b, Stance::Asserts)];
        for n in 1..=4 {
            let rules = SourcingRules { confirmed_min_sources: n };
            let s = compute(&two, &rules);
            assert_eq!(s.confirmation_met, n <= 2, "N = {n}");
            assert_eq!(s.level == SourcingLevel::Confirmed, s.confirmation_met, "N = {n}");
        }
    }

    #[test]
    fn rule_7_anonymous_only() {
        let anonymous = source("Sources proches", SourceKind::Anonymous);
        let s = compute(&[says(&anonymous, Stance::Asserts)], &SourcingRules::default());
        assert!(s.anonymous_only);
        assert!(!compute(&[], &SourcingRules::default()).anonymous_only, "no support is not anonymous-only");
    }

    #[test]
    fn an_explanation_names_ten_sources_and_counts_the_rest() {
        let many: Vec<SourceRef> = (0..25).map(|i| source(&format!("Outlet {i:02}"), SourceKind::NewsOutlet)).collect();
        let statements: Vec<Statement> = many.iter().map(|s| says(s, Stance::Asserts)).collect();
        let s = compute(&statements, &SourcingRules::default());
        assert_eq!(s.independent_supporting, 25);
        assert!(s.reasons[0].ends_with("Outlet 09 and 15 more."), "{}", s.reasons[0]);
        assert!(!s.reasons[0].contains("Outlet 10"));
    }

    #[test]
    fn rule_8_earliest_and_latest_by_period_start() {
        let a = source("A", SourceKind::NewsOutlet);
        let dated = |d: &str| Statement { published_at: Some(d.parse().expect("date")), ..says(&a, Stance::Context) };
        let s =
            compute(&[dated("2025-10-26"), dated("2025-05"), dated("2025-10-24T08:00:00Z")], &SourcingRules::default());
        assert_eq!(s.earliest_published_at.map(|d| d.to_string()).as_deref(), Some("2025-05"));
        assert_eq!(s.latest_published_at.map(|d| d.to_string()).as_deref(), Some("2025-10-26"));
    }
}
