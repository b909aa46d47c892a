//! Claim extraction: `POST /v1/extract`.

use claimdesk_proto::v1 as pb;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{SourceKind, Stance};
use crate::problem::Problem;

/// What the article is written in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExtractFormat {
    #[default]
    Text,
    /// An HTML page: scripts, styles and page furniture are dropped, offsets count in the
    /// returned `text`.
    Html,
}

/// An article to read.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "text": "Selon le Washington Post, Maduro a demandé l’aide de la Russie. « Nous sommes en contact avec nos amis vénézuéliens », a déclaré le porte-parole de la présidence russe, Dmitri Peskov, à l’agence de presse TASS.",
    "language": "fr",
    "published": "2025-09-01"
}))]
pub struct ExtractRequest {
    /// The article: at most 200,000 characters of text (1 MiB of body).
    pub text: String,
    /// `text` (default) or `html`.
    #[serde(default)]
    pub format: ExtractFormat,
    /// `fr` or `en` (BCP 47); detected when absent.
    #[serde(default)]
    pub language: Option<String>,
    /// Publication date (YYYY-MM-DD) that relative dates ("dimanche", "last Friday") resolve
    /// against; they are listed unresolved without it.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Date)]
    pub published: Option<chrono::NaiveDate>,
}

impl From<ExtractRequest> for pb::ExtractClaimsRequest {
    fn from(r: ExtractRequest) -> Self {
        pb::ExtractClaimsRequest {
            text: r.text,
            format: match r.format {
                ExtractFormat::Text => "text",
                ExtractFormat::Html => "html",
            }
            .into(),
            language: r.language.unwrap_or_default(),
            published: r.published.map(|d| d.to_string()).unwrap_or_default(),
        }
    }
}

/// W3C Web Annotation TextQuoteSelector: the quoted text with up to 32 characters either side.
#[derive(Debug, Serialize, ToSchema)]
pub struct TextQuoteSelector {
    pub exact: String,
    pub prefix: String,
    pub suffix: String,
}

impl From<pb::TextQuoteSelector> for TextQuoteSelector {
    fn from(s: pb::TextQuoteSelector) -> Self {
        TextQuoteSelector { exact: s.exact, prefix: s.prefix, suffix: s.suffix }
    }
}

/// Another sentence saying the same thing, merged into the candidate.
#[derive(Debug, Serialize, ToSchema)]
pub struct TextSpan {
    /// Offset in Unicode code points of the text.
    pub start: u32,
    pub end: u32,
    pub selector: TextQuoteSelector,
}

/// A speaker or a relay.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExtractedParty {
    /// As written in the article.
    pub name: String,
    pub kind: SourceKind,
    /// The stored source with this name or alias; null: a source to create.
    pub source_id: Option<String>,
}

impl TryFrom<pb::ExtractedParty> for ExtractedParty {
    type Error = Problem;

    fn try_from(p: pb::ExtractedParty) -> Result<Self, Problem> {
        let kind = SourceKind::try_from(p.kind())?;
        Ok(ExtractedParty { name: p.name, kind, source_id: p.source_id })
    }
}

/// Who said it, through whom, and how.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExtractedAttribution {
    pub speaker: ExtractedParty,
    /// From the speaker towards the article: Peskov, then TASS.
    pub relays: Vec<ExtractedParty>,
    pub stance: Stance,
    /// The words that triggered it, as written ("selon", "a déclaré", "démentis").
    pub cue: String,
}

/// A date expression of the sentence.
#[derive(Debug, Serialize, ToSchema)]
pub struct DateMention {
    /// As written.
    pub expression: String,
    /// The partial date it stands for ("2025-08-31", "2025-05"); null without `published`, or
    /// when the period spans two years.
    pub value: Option<String>,
    pub start: u32,
    pub end: u32,
}

/// A number of the sentence.
#[derive(Debug, Serialize, ToSchema)]
pub struct NumberMention {
    pub text: String,
    pub value: f64,
    pub start: u32,
    pub end: u32,
    /// `part` (of a stated total), `total_ok` or `total_mismatch`; null for a lone number.
    pub check: Option<String>,
    /// "8 + 3 + 1 = 12, not 13".
    pub detail: Option<String>,
}

/// A stored claim like the candidate.
#[derive(Debug, Serialize, ToSchema)]
pub struct CandidateMatch {
    pub claim_id: String,
    /// 0.5 to 1.
    pub score: f64,
}

/// A claim proposed for tracking.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExtractedClaim {
    /// The claim, normalised (attribution removed, a sentence).
    pub claim: String,
    /// The sentence it was read from.
    pub sentence: String,
    /// The sentence's offsets, in Unicode code points of the text.
    pub start: u32,
    pub end: u32,
    pub selector: TextQuoteSelector,
    pub attributions: Vec<ExtractedAttribution>,
    pub dates: Vec<DateMention>,
    pub numbers: Vec<NumberMention>,
    pub merged_spans: Vec<TextSpan>,
    /// Stored claims scoring 0.5 or more against it, best first.
    pub matches: Vec<CandidateMatch>,
}

/// The claims proposed in an article. Nothing is stored.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExtractionResult {
    /// `fr` or `en`.
    pub language: String,
    /// The text the offsets count in, when the input was HTML.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    pub candidates: Vec<ExtractedClaim>,
}

impl TryFrom<pb::Extraction> for ExtractionResult {
    type Error = Problem;

    fn try_from(x: pb::Extraction) -> Result<Self, Problem> {
        let selector = |s: Option<pb::TextQuoteSelector>| TextQuoteSelector::from(s.unwrap_or_default());
        let party = |p: Option<pb::ExtractedParty>| ExtractedParty::try_from(p.unwrap_or_default());
        let candidates = x
            .candidates
            .into_iter()
            .map(|c| {
                let attributions = c
                    .attributions
                    .into_iter()
                    .map(|a| {
                        let stance = Stance::try_from(a.stance())?;
                        Ok(ExtractedAttribution {
                            speaker: party(a.speaker)?,
                            relays: a
                                .relays
                                .into_iter()
                                .map(ExtractedParty::try_from)
                                .collect::<Result<_, Problem>>()?,
                            stance,
                            cue: a.cue,
                        })
                    })
                    .collect::<Result<_, Problem>>()?;
                Ok(ExtractedClaim {
                    claim: c.claim,
                    sentence: c.sentence,
                    start: c.start,
                    end: c.end,
                    selector: selector(c.selector),
                    attributions,
                    dates: c
                        .dates
                        .into_iter()
                        .map(|d| DateMention { expression: d.expression, value: d.value, start: d.start, end: d.end })
                        .collect(),
                    numbers: c
                        .numbers
                        .into_iter()
                        .map(|n| NumberMention {
                            text: n.text,
                            value: n.value,
                            start: n.start,
                            end: n.end,
                            check: n.check,
                            detail: n.detail,
                        })
                        .collect(),
                    merged_spans: c
                        .merged_spans
                        .into_iter()
                        .map(|s| TextSpan { start: s.start, end: s.end, selector: selector(s.selector) })
                        .collect(),
                    matches: c
                        .matches
                        .into_iter()
                        .map(|m| CandidateMatch { claim_id: m.claim_id, score: m.score })
                        .collect(),
                })
            })
            .collect::<Result<_, Problem>>()?;
        Ok(ExtractionResult { language: x.language, text: x.text, candidates })
    }
}
