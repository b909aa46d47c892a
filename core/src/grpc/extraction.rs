//! `ExtractClaims`: the request read into the extractor's input, its answer written out.

use claimdesk_proto::v1 as pb;

use super::convert::ProtoEnum;

use crate::{
    domain::{Error, Violations},
    extract::{
        Acceptance, Attribution, Candidate, DateMention, Extraction, Input, NumberMention, Party, Selector, Span,
    },
};

/// An article's publication date: empty for none, else YYYY-MM-DD.
fn published(date: &str, v: &mut Violations) -> Option<chrono::NaiveDate> {
    match date.trim() {
        "" => None,
        date => v.check(
            "published",
            date.parse::<chrono::NaiveDate>().map_err(|_| format!("must be a date YYYY-MM-DD, got {date:?}")),
        ),
    }
}

impl TryFrom<pb::ExtractClaimsRequest> for Input {
    type Error = Error;

    fn try_from(m: pb::ExtractClaimsRequest) -> Result<Self, Error> {
        let mut v = Violations::default();
        let html = match m.format.trim() {
            "" | "text" => false,
            "html" => true,
            other => {
                v.push("format", format!("must be \"text\" or \"html\", got {other:?}"));
                false
            }
        };
        let published = published(&m.published, &mut v);
        v.into_result()?;
        Ok(Input { text: m.text, html, language: m.language, published, url: m.url })
    }
}

fn offset(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl From<Selector> for pb::TextQuoteSelector {
    fn from(s: Selector) -> Self {
        pb::TextQuoteSelector { exact: s.exact, prefix: s.prefix, suffix: s.suffix }
    }
}

impl From<Span> for pb::TextSpan {
    fn from(s: Span) -> Self {
        pb::TextSpan { start: offset(s.start), end: offset(s.end), selector: Some(s.selector.into()) }
    }
}

impl From<Party> for pb::ExtractedParty {
    fn from(p: Party) -> Self {
        pb::ExtractedParty { name: p.name, kind: pb::SourceKind::from(p.kind).into(), source_id: p.source_id }
    }
}

impl From<Attribution> for pb::ExtractedAttribution {
    fn from(a: Attribution) -> Self {
        pb::ExtractedAttribution {
            speaker: Some(a.speaker.into()),
            relays: a.relays.into_iter().map(Into::into).collect(),
            stance: pb::Stance::from(a.stance).into(),
            cue: a.cue,
        }
    }
}

impl From<DateMention> for pb::DateMention {
    fn from(d: DateMention) -> Self {
        pb::DateMention {
            expression: d.expression,
            value: d.value.map(|v| v.to_string()),
            start: offset(d.start),
            end: offset(d.end),
        }
    }
}

impl From<NumberMention> for pb::NumberMention {
    fn from(n: NumberMention) -> Self {
        pb::NumberMention {
            text: n.text,
            value: n.value,
            start: offset(n.start),
            end: offset(n.end),
            check: n.check.map(str::to_owned),
            detail: n.detail,
        }
    }
}

impl From<Candidate> for pb::ExtractedClaim {
    fn from(c: Candidate) -> Self {
        pb::ExtractedClaim {
            claim: c.claim,
            sentence: c.sentence,
            start: offset(c.start),
            end: offset(c.end),
            selector: Some(c.selector.into()),
            attributions: c.attributions.into_iter().map(Into::into).collect(),
            dates: c.dates.into_iter().map(Into::into).collect(),
            numbers: c.numbers.into_iter().map(Into::into).collect(),
            merged_spans: c.merged_spans.into_iter().map(Into::into).collect(),
            matches: c.matches.into_iter().map(|(claim_id, score)| pb::CandidateMatch { claim_id, score }).collect(),
        }
    }
}

impl From<Extraction> for pb::Extraction {
    fn from(x: Extraction) -> Self {
        pb::Extraction {
            language: x.language,
            text: x.text,
            candidates: x.candidates.into_iter().map(Into::into).collect(),
            url: x.url,
        }
    }
}

impl TryFrom<pb::ExtractedParty> for Party {
    type Error = Error;

    fn try_from(p: pb::ExtractedParty) -> Result<Self, Error> {
        let kind = crate::domain::SourceKind::from_proto(p.kind)
            .map_err(|e| Error::invalid("kind", e))?
            .ok_or_else(|| Error::invalid("kind", "is required"))?;
        Ok(Party { name: p.name, kind, source_id: p.source_id })
    }
}

fn selector(s: Option<pb::TextQuoteSelector>) -> Selector {
    let s = s.unwrap_or_default();
    Selector { exact: s.exact, prefix: s.prefix, suffix: s.suffix }
}

impl TryFrom<pb::AcceptExtractionRequest> for Acceptance {
    type Error = Error;

    fn try_from(m: pb::AcceptExtractionRequest) -> Result<Self, Error> {
        let mut v = Violations::default();
        let published = published(&m.published, &mut v);
        let mut candidates = Vec::with_capacity(m.candidates.len());
        for (i, c) in m.candidates.into_iter().enumerate() {
            let mut attributions = Vec::with_capacity(c.attributions.len());
            for (j, a) in c.attributions.into_iter().enumerate() {
                let field = format!("candidates[{i}].attributions[{j}]");
                let stance = v.check(
                    &format!("{field}.stance"),
                    crate::domain::Stance::from_proto(a.stance).and_then(|s| s.ok_or_else(|| "is required".to_owned())),
                );
                let speaker = v.check(
                    &format!("{field}.speaker"),
                    a.speaker
                        .ok_or_else(|| "is required".to_owned())
                        .and_then(|p| Party::try_from(p).map_err(|e| e.to_string())),
                );
                let relays: Vec<Option<Party>> = a
                    .relays
                    .into_iter()
                    .enumerate()
                    .map(|(k, p)| {
                        v.check(&format!("{field}.relays[{k}]"), Party::try_from(p).map_err(|e| e.to_string()))
                    })
                    .collect();
                if let (Some(stance), Some(speaker)) = (stance, speaker) {
                    attributions.push(Attribution {
                        speaker,
                        relays: relays.into_iter().flatten().collect(),
                        stance,
                        cue: a.cue,
                    });
                }
            }
            let dates = c
                .dates
                .into_iter()
                .map(|d| DateMention {
                    value: d.value.as_deref().and_then(|v| v.parse().ok()),
                    expression: d.expression,
                    start: d.start as usize,
                    end: d.end as usize,
                })
                .collect();
            candidates.push(Candidate {
                claim: c.claim,
                sentence: c.sentence,
                start: c.start as usize,
                end: c.end as usize,
                selector: selector(c.selector),
                attributions,
                dates,
                numbers: Vec::new(),
                merged_spans: Vec::new(),
                matches: Vec::new(),
            });
        }
        v.into_result()?;
        Ok(Acceptance { url: m.url, language: m.language, published, candidates })
    }
}
