//! Sources: whoever says or relays things, under one name and any number of aliases.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Error, Violations, names, truncate_micros};

pub const MAX_ALIASES: usize = 50;
const MAX_NAME_CHARS: usize = 300;
const MAX_TEXT_CHARS: usize = 10_000;
const MAX_URL_CHARS: usize = 2_000;

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
pub enum SourceKind {
    Person,
    Organization,
    OfficialBody,
    NewsOutlet,
    NewsAgency,
    Document,
    Anonymous,
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        super::named(s, "source kind")
    }

    /// A person, organisation or official body speaking for itself: its confirmation settles
    /// a claim ("primary source"). Outlets, agencies and documents report; anonymous groups
    /// cannot be held to what they say.
    pub fn is_primary(self) -> bool {
        matches!(self, SourceKind::Person | SourceKind::Organization | SourceKind::OfficialBody)
    }
}

/// Admiralty code reliability grade: A (completely reliable) to F (cannot be judged).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::EnumIter,
)]
pub enum Grade {
    A,
    B,
    C,
    D,
    E,
    F,
}

impl Grade {
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        super::named(s, "reliability grade")
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reliability {
    pub grade: Grade,
    pub rationale: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    pub id: Uuid,
    pub name: String,
    pub kind: SourceKind,
    pub descriptor: Option<String>,
    pub homepage: Option<String>,
    pub aliases: Vec<String>,
    pub reliability: Option<Reliability>,
    pub notes: Option<String>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Source {
    /// Every name under which this source is known, as (key, name) pairs: the name first.
    pub fn name_keys(&self) -> Vec<(String, String)> {
        std::iter::once(&self.name).chain(&self.aliases).map(|n| (names::key(n), n.clone())).collect()
    }
}

/// The editable fields of a source, as a client sends them. `kind` is `None` when the client
/// left it unset.
#[derive(Debug, Clone, Default)]
pub struct SourceFields {
    pub name: String,
    pub kind: Option<SourceKind>,
    pub descriptor: Option<String>,
    pub homepage: Option<String>,
    pub aliases: Vec<String>,
    pub reliability: Option<(Option<Grade>, Option<String>)>,
    pub notes: Option<String>,
}

/// Fields of [`SourceFields`] an update may name.
pub const SOURCE_PATHS: [&str; 7] = ["name", "kind", "descriptor", "homepage", "aliases", "reliability", "notes"];

impl SourceFields {
    /// Checks every rule; builds the source with a new id.
    pub fn into_new_source(self, now: DateTime<Utc>) -> Result<Source, Error> {
        let now = truncate_micros(now);
        let mut source = Source {
            id: Uuid::now_v7(),
            name: String::new(),
            kind: SourceKind::Person,
            descriptor: None,
            homepage: None,
            aliases: Vec::new(),
            reliability: None,
            notes: None,
            version: 1,
            created_at: now,
            updated_at: now,
        };
        self.apply(&mut source, &SOURCE_PATHS)?;
        Ok(source)
    }

    /// Copies the fields named in `paths` onto `source` after checking them, and checks the
    /// result as a whole.
    pub fn apply(self, source: &mut Source, paths: &[&str]) -> Result<(), Error> {
        let mut v = Violations::default();
        for path in paths {
            match *path {
                "name" => {
                    if let Some(name) = v.check("name", required_name(&self.name)) {
                        source.name = name;
                    }
                }
                "kind" => match self.kind {
                    Some(kind) => source.kind = kind,
                    None => v.push("kind", "is required: one of person, organization, official_body, news_outlet, news_agency, document, anonymous"),
                },
                "descriptor" => source.descriptor = v.check("descriptor", optional(self.descriptor.clone(), MAX_NAME_CHARS)).flatten(),
                "homepage" => source.homepage = v.check("homepage", homepage(self.homepage.clone())).flatten(),
                "aliases" => {
                    if let Some(aliases) = v.check("aliases", aliases(&self.aliases)) {
                        source.aliases = aliases;
                    }
                }
                "reliability" => source.reliability = v.check("reliability", reliability(self.reliability.clone())).flatten(),
                "notes" => source.notes = v.check("notes", optional(self.notes.clone(), MAX_TEXT_CHARS)).flatten(),
                other => v.push("update_mask", format!("unknown field {}; use {}", super::shown(other), SOURCE_PATHS.join(", "))),
            }
        }
        v.into_result()?;
        // Rules on the whole source, after the update.
        let mut v = Violations::default();
        if source.kind == SourceKind::Anonymous && source.descriptor.is_none() {
            v.push(
                "descriptor",
                "is required for an anonymous source: say who they are (\"sources proches de l'administration Trump\")",
            );
        }
        let name_key = names::key(&source.name);
        if name_key.is_empty() {
            v.push("name", "must contain a letter or a digit");
        }
        let mut keys = vec![name_key];
        for alias in &source.aliases {
            let key = names::key(alias);
            if key.is_empty() {
                v.push("aliases", format!("alias {} must contain a letter or a digit", super::shown(alias)));
            } else if keys.contains(&key) {
                v.push("aliases", format!("alias {} repeats the name or another alias", super::shown(alias)));
            } else {
                keys.push(key);
            }
        }
        v.into_result()
    }
}

/// A name as stored: trimmed and NFKC-normalised (full-width, ligatures and other
/// compatibility forms in their usual form); it must still hold a letter or digit once
/// invisible characters are left out.
fn required_name(raw: &str) -> Result<String, String> {
    use unicode_normalization::UnicodeNormalization;
    let name: String = raw.trim().nfkc().collect();
    if name.is_empty() {
        return Err("is required and must not be blank".into());
    }
    if names::key(&name).is_empty() {
        return Err("must contain a visible letter or digit".into());
    }
    bounded(&name, MAX_NAME_CHARS).map(str::to_owned)
}

fn bounded(s: &str, max: usize) -> Result<&str, String> {
    let s = super::no_nul(s)?;
    let chars = s.chars().count();
    if chars > max { Err(format!("must be at most {max} characters, got {chars}")) } else { Ok(s) }
}

pub(crate) fn optional(raw: Option<String>, max: usize) -> Result<Option<String>, String> {
    let Some(raw) = raw else { return Ok(None) };
    let trimmed = bounded(raw.trim(), max)?;
    Ok((!trimmed.is_empty()).then(|| trimmed.to_owned()))
}

/// An absolute http(s) URL.
pub(crate) fn web_url(raw: &str) -> Result<String, String> {
    let raw = bounded(raw.trim(), MAX_URL_CHARS)?;
    let url = url::Url::parse(raw).map_err(|e| format!("{} is not a URL ({e})", super::shown(raw)))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(format!("{} is not an http or https URL", super::shown(raw)));
    }
    Ok(url.to_string())
}

fn homepage(raw: Option<String>) -> Result<Option<String>, String> {
    match raw.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(raw) => web_url(raw).map(Some),
    }
}

fn aliases(raw: &[String]) -> Result<Vec<String>, String> {
    if raw.len() > MAX_ALIASES {
        return Err(format!("at most {MAX_ALIASES} aliases, got {}", raw.len()));
    }
    raw.iter().map(|a| required_name(a)).collect::<Result<Vec<_>, _>>().map_err(|e| format!("every alias {e}"))
}

fn reliability(raw: Option<(Option<Grade>, Option<String>)>) -> Result<Option<Reliability>, String> {
    match raw {
        None => Ok(None),
        Some((None, _)) => Err("grade is required: A to F".into()),
        Some((Some(grade), rationale)) => {
            Ok(Some(Reliability { grade, rationale: optional(rationale, MAX_TEXT_CHARS)? }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(name: &str, kind: SourceKind) -> SourceFields {
        SourceFields { name: name.into(), kind: Some(kind), ..SourceFields::default() }
    }

    #[test]
    fn a_valid_source() {
        let source = SourceFields {
            aliases: vec!["Washington Post".into(), "WaPo".into()],
            homepage: Some("https://www.washingtonpost.com".into()),
            reliability: Some((Some(Grade::B), Some("  Established daily  ".into()))),
            ..fields("The Washington Post", SourceKind::NewsOutlet)
        }
        .into_new_source(Utc::now());
        let source = source.expect_err("alias repeats the name");
        assert!(source.to_string().contains("repeats the name"), "{source}");
    }

    #[test]
    fn anonymous_sources_need_a_descriptor() {
        let err = fields("Sources proches de l'administration Trump", SourceKind::Anonymous)
            .into_new_source(Utc::now())
            .expect_err("no descriptor");
        assert!(err.to_string().contains("descriptor"));
        let ok = SourceFields {
            descriptor: Some("proches de l'administration Trump".into()),
            ..fields("Sources proches de l'administration Trump", SourceKind::Anonymous)
        };
        assert!(ok.into_new_source(Utc::now()).is_ok());
    }

    #[test]
    fn kind_is_required_and_urls_must_be_web_urls() {
        let err = SourceFields { name: "TASS".into(), ..SourceFields::default() }.into_new_source(Utc::now());
        assert!(matches!(err, Err(Error::Validation(v)) if v[0].field == "kind"));
        for bad in ["tass.ru", "ftp://tass.ru", "javascript:alert(1)"] {
            let err = SourceFields { homepage: Some(bad.into()), ..fields("TASS", SourceKind::NewsAgency) }
                .into_new_source(Utc::now());
            assert!(matches!(err, Err(Error::Validation(v)) if v[0].field == "homepage"), "{bad}");
        }
    }

    #[test]
    fn grade_is_required_in_a_reliability() {
        let err =
            SourceFields { reliability: Some((None, Some("why".into()))), ..fields("TASS", SourceKind::NewsAgency) }
                .into_new_source(Utc::now());
        assert!(matches!(err, Err(Error::Validation(v)) if v[0].field == "reliability"));
    }
}
