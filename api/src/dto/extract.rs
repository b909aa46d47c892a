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
    /// The article's address (http or https): answered back, to give `POST /v1/extract/accept`.
    #[serde(default)]
    pub url: Option<String>,
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
            language: r.language,
            published: r.published.map(|d| d.to_string()).unwrap_or_default(),
            url: r.url,
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
    /// The article's address, when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
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
        Ok(ExtractionResult { language: x.language, text: x.text, url: x.url, candidates })
    }
}

/// A speaker or relay to record: a stored source by `source_id`, else by `name` (an existing
/// source of that name or alias, or a new one of `kind`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptParty {
    /// As written in the article; the name of the source to create when `source_id` is absent.
    pub name: String,
    pub kind: SourceKind,
    #[serde(default)]
    pub source_id: Option<String>,
}

impl From<AcceptParty> for pb::ExtractedParty {
    fn from(p: AcceptParty) -> Self {
        pb::ExtractedParty { name: p.name, kind: pb::SourceKind::from(p.kind).into(), source_id: p.source_id }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptAttribution {
    pub speaker: AcceptParty,
    #[serde(default)]
    #[schema(max_items = 20)]
    pub relays: Vec<AcceptParty>,
    pub stance: Stance,
    /// As extracted; not stored.
    #[serde(default)]
    pub cue: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptSelector {
    pub exact: String,
    #[serde(default)]
    pub prefix: String,
    #[serde(default)]
    pub suffix: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptDate {
    pub expression: String,
    #[serde(default)]
    pub value: Option<String>,
    #[serde(default, deserialize_with = "offset")]
    pub start: Option<u32>,
    #[serde(default, deserialize_with = "offset")]
    pub end: Option<u32>,
}

/// An offset: a JSON number with no fractional part (`12` or `12.0`, as JSON Schema's
/// `integer` takes both) from 0 to 2^31 - 1 (the document's int32).
fn offset<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<u32>, D::Error> {
    let Some(n) = Option::<f64>::deserialize(deserializer)? else { return Ok(None) };
    if n.fract() != 0.0 || !(0.0..=f64::from(i32::MAX)).contains(&n) {
        return Err(serde::de::Error::custom(format!("expected an offset (a whole number from 0), got {n}")));
    }
    Ok(Some(n as u32))
}

/// Fields of a proposal that accepting ignores: any list of objects.
type Ignored = Option<Vec<serde_json::Map<String, serde_json::Value>>>;

/// A candidate to store, as `POST /v1/extract` proposed it (possibly edited). `claim`,
/// `sentence`, `selector`, `attributions` and `dates` are used; the other fields of the
/// proposal are accepted and ignored.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptCandidate {
    /// The claim's text (1 to 10,000 characters).
    pub claim: String,
    /// The sentence: the claim's context and its attributions' quote.
    #[serde(default)]
    pub sentence: String,
    #[serde(default, deserialize_with = "offset")]
    pub start: Option<u32>,
    #[serde(default, deserialize_with = "offset")]
    pub end: Option<u32>,
    /// Quoted by the text fragment kept on the attributions' URL.
    #[serde(default)]
    pub selector: Option<AcceptSelector>,
    #[schema(min_items = 1, max_items = 500)]
    pub attributions: Vec<AcceptAttribution>,
    /// The first that lies before the publication date is the claim's `claimed_at`.
    #[serde(default)]
    pub dates: Vec<AcceptDate>,
    #[serde(default)]
    #[schema(value_type = Option<Vec<Object>>)]
    pub numbers: Ignored,
    #[serde(default)]
    #[schema(value_type = Option<Vec<Object>>)]
    pub merged_spans: Ignored,
    #[serde(default)]
    #[schema(value_type = Option<Vec<Object>>)]
    pub matches: Ignored,
}

/// The candidates of an article to track.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptRequest {
    /// The article's address: kept on every attribution, with a text fragment quoting the
    /// sentence (`#:~:text=`).
    #[serde(default)]
    pub url: Option<String>,
    /// The article's language (BCP 47), as `POST /v1/extract` answered.
    pub language: String,
    /// The article's publication date: the attributions' `published_at`.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Date)]
    pub published: Option<chrono::NaiveDate>,
    /// 1 to 100.
    #[schema(min_items = 1, max_items = 100)]
    pub candidates: Vec<AcceptCandidate>,
}

impl From<AcceptRequest> for pb::AcceptExtractionRequest {
    fn from(r: AcceptRequest) -> Self {
        let candidates = r
            .candidates
            .into_iter()
            .map(|c| pb::ExtractedClaim {
                claim: c.claim,
                sentence: c.sentence,
                start: c.start.unwrap_or_default(),
                end: c.end.unwrap_or_default(),
                selector: c.selector.map(|s| pb::TextQuoteSelector {
                    exact: s.exact,
                    prefix: s.prefix,
                    suffix: s.suffix,
                }),
                attributions: c
                    .attributions
                    .into_iter()
                    .map(|a| pb::ExtractedAttribution {
                        speaker: Some(a.speaker.into()),
                        relays: a.relays.into_iter().map(Into::into).collect(),
                        stance: pb::Stance::from(a.stance).into(),
                        cue: a.cue.unwrap_or_default(),
                    })
                    .collect(),
                dates: c
                    .dates
                    .into_iter()
                    .map(|d| pb::DateMention {
                        expression: d.expression,
                        value: d.value,
                        start: d.start.unwrap_or_default(),
                        end: d.end.unwrap_or_default(),
                    })
                    .collect(),
                numbers: Vec::new(),
                merged_spans: Vec::new(),
                matches: Vec::new(),
            })
            .collect();
        pb::AcceptExtractionRequest {
            url: r.url,
            language: r.language,
            published: r.published.map(|d| d.to_string()).unwrap_or_default(),
            candidates,
        }
    }
}

/// A candidate stored: its claim, and whether this acceptance created it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AcceptedClaim {
    pub claim: super::Claim,
    /// False when an earlier acceptance created it.
    pub created: bool,
}

/// The claims of the accepted candidates, in their order.
#[derive(Debug, Serialize, ToSchema)]
pub struct AcceptResult {
    pub claims: Vec<AcceptedClaim>,
}

impl TryFrom<pb::AcceptExtractionResponse> for AcceptResult {
    type Error = Problem;

    fn try_from(r: pb::AcceptExtractionResponse) -> Result<Self, Problem> {
        let claims = r
            .claims
            .into_iter()
            .map(|c| {
                Ok(AcceptedClaim { claim: super::Claim::try_from(c.claim.unwrap_or_default())?, created: c.created })
            })
            .collect::<Result<_, Problem>>()?;
        Ok(AcceptResult { claims })
    }
}
