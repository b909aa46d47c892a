//! The desk's words in French and English: one TOML file of messages per language
//! (`api/web/messages/*.toml`), built into the binary. A page asks for a message by key; a
//! translator edits the files, not the code.

use std::{collections::HashMap, sync::LazyLock};

use actix_web::{HttpRequest, http::header};

/// A language the desk speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Fr,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Fr];

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fr => "fr",
        }
    }

    pub fn from_code(code: &str) -> Option<Lang> {
        Lang::ALL.into_iter().find(|lang| lang.code().eq_ignore_ascii_case(code))
    }

    /// The language a visitor chose (the `lang` cookie), else the best their browser asks for
    /// (`Accept-Language`, by quality), else English.
    pub fn of(req: &HttpRequest) -> Lang {
        if let Some(lang) = req.cookie(COOKIE).and_then(|c| Lang::from_code(c.value())) {
            return lang;
        }
        let accepted = req.headers().get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).unwrap_or("");
        accepted
            .split(',')
            .enumerate()
            .filter_map(|(at, item)| {
                let mut parts = item.split(';');
                let tag = parts.next()?.trim();
                let quality = parts
                    .find_map(|p| p.trim().strip_prefix("q="))
                    .map_or(Some(1.0), |q| q.trim().parse::<f32>().ok())?;
                let primary = tag.split('-').next()?;
                Lang::from_code(primary).filter(|_| quality > 0.0).map(|lang| (quality, at, lang))
            })
            // Highest quality first; the earlier of equals.
            .max_by(|a, b| a.0.total_cmp(&b.0).then(b.1.cmp(&a.1)))
            .map_or(Lang::En, |(_, _, lang)| lang)
    }

    /// The message `key` in this language (English if the file lacks it, empty if both do;
    /// tests forbid either).
    pub fn t(self, key: &str) -> &'static str {
        let table: &'static Messages = match self {
            Lang::En => &EN,
            Lang::Fr => &FR,
        };
        table.get(key).or_else(|| EN.get(key)).map_or("", String::as_str)
    }

    /// The message `key` with `{name}` placeholders filled.
    pub fn f(self, key: &str, args: &[(&str, &str)]) -> String {
        let mut text = self.t(key).to_owned();
        for (name, value) in args {
            text = text.replace(&format!("{{{name}}}"), value);
        }
        text
    }
}

/// The cookie that keeps a visitor's language.
pub const COOKIE: &str = "claimdesk_lang";

type Messages = HashMap<String, String>;

fn load(name: &str, source: &str) -> Messages {
    match toml::from_str(source) {
        Ok(messages) => messages,
        Err(error) => panic!("api/web/messages/{name}.toml is built in and must parse: {error}"),
    }
}

static EN: LazyLock<Messages> = LazyLock::new(|| load("en", include_str!("../../web/messages/en.toml")));
static FR: LazyLock<Messages> = LazyLock::new(|| load("fr", include_str!("../../web/messages/fr.toml")));

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_languages_have_every_message() {
        let en: std::collections::BTreeSet<_> = EN.keys().collect();
        let fr: std::collections::BTreeSet<_> = FR.keys().collect();
        assert_eq!(en.difference(&fr).collect::<Vec<_>>(), Vec::<&&String>::new(), "missing in fr.toml");
        assert_eq!(fr.difference(&en).collect::<Vec<_>>(), Vec::<&&String>::new(), "missing in en.toml");
        assert!(EN.len() > 50, "{} messages", EN.len());
    }

    #[test]
    fn every_key_the_pages_use_exists() {
        // Keys are written as t("…") / f("…", …) in the page modules.
        let sources = [
            include_str!("mod.rs"),
            include_str!("claims.rs"),
            include_str!("sources.rs"),
            include_str!("extract.rs"),
            include_str!("session.rs"),
        ];
        let mut missing = Vec::new();
        for source in sources {
            for piece in source.split(".t(\"").skip(1).chain(source.split(".f(\"").skip(1)) {
                let key = piece.split('"').next().unwrap_or_default();
                if !EN.contains_key(key) {
                    missing.push(key.to_owned());
                }
            }
        }
        assert!(missing.is_empty(), "keys without a message: {missing:?}");
    }

    /// Keys the pages build from values: every enum value, role and page title has its words.
    #[test]
    fn every_built_key_exists() {
        use super::super::{
            claims::{KINDS, LEVELS, STANCES, STATUSES},
            role_key, wire,
        };
        use claimdesk_proto::v1 as pb;
        let mut keys: Vec<String> = Vec::new();
        keys.extend(STATUSES.iter().map(|v| format!("status.{}", wire(v))));
        keys.extend(LEVELS.iter().map(|v| format!("level.{}", wire(v))));
        keys.extend(STANCES.iter().map(|v| format!("stance.{}", wire(v))));
        keys.extend(KINDS.iter().map(|v| format!("kind.{}", wire(v))));
        keys.extend(
            [pb::Role::Viewer, pb::Role::Reporter, pb::Role::Editor, pb::Role::Admin].map(|r| role_key(r).to_owned()),
        );
        keys.extend(
            [
                "nav.claims",
                "nav.new_claim",
                "nav.extract",
                "nav.sources",
                "error.not_found",
                "error.forbidden",
                "error.unavailable",
                "error.title",
            ]
            .map(str::to_owned),
        );
        assert_eq!(keys.len(), 7 + 5 + 5 + 7 + 4 + 8);
        let missing: Vec<_> = keys.iter().filter(|k| !EN.contains_key(*k) || !FR.contains_key(*k)).collect();
        assert!(missing.is_empty(), "{missing:?}");
    }

    #[test]
    fn the_browser_language_decides_by_quality() {
        let pick = |accept: &str| {
            let req = actix_web::test::TestRequest::default().insert_header((header::ACCEPT_LANGUAGE, accept));
            Lang::of(&req.to_http_request())
        };
        assert_eq!(pick("fr-FR,fr;q=0.9,en;q=0.8"), Lang::Fr);
        assert_eq!(pick("de-DE, en;q=0.5, fr;q=0.7"), Lang::Fr);
        assert_eq!(pick("en-GB,fr;q=0.3"), Lang::En);
        assert_eq!(pick("de"), Lang::En);
        assert_eq!(pick("fr;q=0"), Lang::En);
        assert_eq!(pick(""), Lang::En);
    }
}
