//! Attributions: a source's statement about a claim, and the chain that carried it to us.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Error, PartialDate, Violations, source::optional, source::web_url};

const MAX_QUOTE_CHARS: usize = 10_000;
pub const MAX_RELAYS: usize = 20;
/// Attributions one claim may carry; far above any real claim, low enough to bound a read.
pub const MAX_PER_CLAIM: usize = 500;

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::EnumIter,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Stance {
    Asserts,
    Confirms,
    Denies,
    Disputes,
    Context,
}

impl Stance {
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        super::named(s, "stance")
    }

    /// Asserting or confirming: a statement that stands behind the claim.
    pub fn supports(self) -> bool {
        matches!(self, Stance::Asserts | Stance::Confirms)
    }

    /// Denying or disputing: a statement against the claim.
    pub fn opposes(self) -> bool {
        matches!(self, Stance::Denies | Stance::Disputes)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attribution {
    pub id: Uuid,
    pub claim_id: Uuid,
    /// Who made the statement: its origin.
    pub speaker_id: Uuid,
    pub stance: Stance,
    /// Through whom it reached the newsroom, in order: Peskov → TASS is speaker Peskov, relays [TASS].
    pub relay_ids: Vec<Uuid>,
    pub quote: Option<String>,
    pub url: Option<String>,
    pub published_at: Option<PartialDate>,
    pub recorded_by: String,
    pub recorded_at: DateTime<Utc>,
}

/// An attribution as a client sends it. `stance` is `None` when left unset.
#[derive(Debug, Clone, Default)]
pub struct AttributionFields {
    pub speaker_id: String,
    pub stance: Option<Stance>,
    pub relay_ids: Vec<String>,
    pub quote: Option<String>,
    pub url: Option<String>,
    pub published_at: Option<String>,
}

/// Checked attribution fields; the storage still has to confirm the sources exist.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidAttribution {
    pub speaker_id: Uuid,
    pub stance: Stance,
    pub relay_ids: Vec<Uuid>,
    pub quote: Option<String>,
    pub url: Option<String>,
    pub published_at: Option<PartialDate>,
}

impl AttributionFields {
    pub fn validate(self) -> Result<ValidAttribution, Error> {
        let mut v = Violations::default();
        let speaker = v.check("speaker_id", uuid(&self.speaker_id, "speaker_id"));
        let stance = v.check(
            "stance",
            self.stance.ok_or_else(|| "is required: one of asserts, confirms, denies, disputes, context".to_owned()),
        );
        let relays = v.check("relay_ids", relays(&self.relay_ids, speaker));
        let quote = v.check("quote", optional(self.quote, MAX_QUOTE_CHARS));
        let url = v.check(
            "url",
            match self.url.as_deref().map(str::trim) {
                None | Some("") => Ok(None),
                Some(raw) => web_url(raw).map(Some),
            },
        );
        let published_at = v.check("published_at", self.published_at.as_deref().map(str::parse).transpose());
        v.into_result()?;
        match (speaker, stance, relays, quote, url, published_at) {
            (Some(speaker_id), Some(stance), Some(relay_ids), Some(quote), Some(url), Some(published_at)) => {
                Ok(ValidAttribution { speaker_id, stance, relay_ids, quote, url, published_at })
            }
            _ => Err(Error::Internal("attribution validation passed without values".into())),
        }
    }
}

impl ValidAttribution {
    pub fn into_attribution(self, id: Uuid, claim_id: Uuid, actor: &str, now: DateTime<Utc>) -> Attribution {
        let ValidAttribution { speaker_id, stance, relay_ids, quote, url, published_at } = self;
        Attribution {
            id,
            claim_id,
            speaker_id,
            stance,
            relay_ids,
            quote,
            url,
            published_at,
            recorded_by: actor.to_owned(),
            recorded_at: super::truncate_micros(now),
        }
    }

    /// Every source the attribution names: the speaker, then the relays.
    pub fn source_ids(&self) -> Vec<Uuid> {
        std::iter::once(self.speaker_id).chain(self.relay_ids.iter().copied()).collect()
    }
}

fn uuid(raw: &str, what: &str) -> Result<Uuid, String> {
    if raw.trim().is_empty() {
        return Err(format!("{what} is required"));
    }
    Uuid::try_parse(raw.trim()).map_err(|_| format!("{} is not a UUID", super::shown(raw)))
}

/// A relay chain names each source once and never the speaker: a statement does not reach us
/// through the one who made it.
fn relays(raw: &[String], speaker: Option<Uuid>) -> Result<Vec<Uuid>, String> {
    if raw.len() > MAX_RELAYS {
        return Err(format!("at most {MAX_RELAYS} relays, got {}", raw.len()));
    }
    let mut out: Vec<Uuid> = Vec::with_capacity(raw.len());
    for (i, relay) in raw.iter().enumerate() {
        let id = uuid(relay, &format!("relay {i}"))?;
        if Some(id) == speaker {
            return Err(format!("relay {i} is the speaker: a statement does not reach us through the one who made it"));
        }
        if out.contains(&id) {
            return Err(format!("relay {i} repeats a source already in the chain"));
        }
        out.push(id);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields() -> AttributionFields {
        AttributionFields {
            speaker_id: Uuid::now_v7().to_string(),
            stance: Some(Stance::Asserts),
            relay_ids: vec![Uuid::now_v7().to_string()],
            quote: Some("« Nous sommes en contact avec nos amis vénézuéliens »".into()),
            url: Some("https://tass.ru/politika/1".into()),
            published_at: Some("2025-10-26".into()),
        }
    }

    #[test]
    fn a_valid_attribution() {
        let valid = fields().validate().expect("valid");
        assert_eq!(valid.relay_ids.len(), 1);
        assert_eq!(valid.published_at.map(|d| d.to_string()).as_deref(), Some("2025-10-26"));
    }

    #[test]
    fn the_speaker_is_not_a_relay_and_relays_do_not_repeat() {
        let f = fields();
        let speaker = f.speaker_id.clone();
        let err = AttributionFields { relay_ids: vec![speaker], ..f.clone() }.validate();
        assert!(
            matches!(err, Err(Error::Validation(v)) if v[0].field == "relay_ids" && v[0].description.contains("speaker"))
        );
        let relay = Uuid::now_v7().to_string();
        let err = AttributionFields { relay_ids: vec![relay.clone(), relay], ..f }.validate();
        assert!(matches!(err, Err(Error::Validation(v)) if v[0].description.contains("repeats")));
    }

    #[test]
    fn stance_and_speaker_are_required_and_urls_checked() {
        let err =
            AttributionFields { speaker_id: String::new(), stance: None, url: Some("not a url".into()), ..fields() }
                .validate();
        let Err(Error::Validation(v)) = err else { panic!("accepted") };
        let fields: Vec<&str> = v.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(fields, ["speaker_id", "stance", "url"]);
    }
}
