//! Reading the schema.org ClaimReview that other fact-checkers publish: a JSON-LD document (one
//! review, a list, a `@graph`, a `DataFeed`) or an HTML page with JSON-LD in
//! `<script type="application/ld+json">` blocks. Each review found becomes an [`ImportedReview`];
//! what cannot be read is passed over with the reason, never guessed.
//!
//! A publisher's rating becomes a desk verdict through a [`RatingTable`]: its label first
//! ("Faux", "Mostly true", "really_false"), compared with case, accents and punctuation ignored;
//! else its value normalised between `worstRating` and `bestRating` (schema.org's defaults 1
//! and 5): below 0.2 false, below 0.45 disputed, below 0.9 partly_confirmed, else confirmed. A
//! review whose rating is neither keeps no verdict (its label is still kept).

use std::collections::HashMap;

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::{ClaimStatus, Error, PartialDate, SourceKind, language, source::web_url, text::fold};

/// The largest document an import takes.
pub const MAX_DOCUMENT_BYTES: usize = 10 * 1024 * 1024;

/// Reviews one request (REST or gRPC) may import: each is a similarity search and a
/// transaction, and the request must answer within the gateway's wait; the command line takes
/// any number.
pub const MAX_REVIEWS_PER_REQUEST: usize = 500;

/// Appearances kept per review: the claim holds them as attributions.
const MAX_APPEARANCES: usize = 100;

/// How deep a document is searched for reviews.
const MAX_DEPTH: usize = 16;

/// How the document is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentKind {
    JsonLd,
    Html,
}

impl DocumentKind {
    /// From a media type: JSON (`application/json`, `application/ld+json`, any `+json`) or HTML;
    /// `None` for anything else.
    pub fn from_media_type(media_type: &str) -> Option<Self> {
        let essence = media_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
        match essence.as_str() {
            "text/html" | "application/xhtml+xml" => Some(DocumentKind::Html),
            "application/json" | "application/ld+json" => Some(DocumentKind::JsonLd),
            other if other.ends_with("+json") => Some(DocumentKind::JsonLd),
            _ => None,
        }
    }

    /// From the content itself, for files: HTML when it opens with `<`.
    pub fn sniff(document: &[u8]) -> Self {
        let start = document.iter().position(|b| !b.is_ascii_whitespace() && *b != 0xEF && *b != 0xBB && *b != 0xBF);
        if start.is_some_and(|i| document[i] == b'<') { DocumentKind::Html } else { DocumentKind::JsonLd }
    }
}

/// The publisher's rating as published, and the desk verdict it maps to.
#[derive(Debug, Clone, PartialEq)]
pub struct Rating {
    pub label: Option<String>,
    pub value: Option<f64>,
    pub best: Option<f64>,
    pub worst: Option<f64>,
    pub verdict: Option<ClaimStatus>,
}

/// One review read from a document, ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedReview {
    /// Where it was in the document: `script[1].@graph[0]`, `[3]`, `dataFeedElement[0].item[0]`.
    pub at: String,
    /// What identifies it across imports: its URL, else `sha256:` and the hash of its JSON.
    pub key: String,
    pub review_url: Option<String>,
    /// `claimReviewed`.
    pub text: String,
    pub language: String,
    /// `itemReviewed.author`: who made the claim.
    pub claimant: Option<(String, SourceKind)>,
    /// `itemReviewed.datePublished`.
    pub claimed_at: Option<PartialDate>,
    /// Where the claim appeared: `appearance`, `firstAppearance`, the item's `url`.
    pub appearances: Vec<(String, Option<PartialDate>)>,
    /// `author`: the reviewing organisation.
    pub publisher: String,
    pub publisher_url: Option<String>,
    pub rating: Rating,
    /// `datePublished` of the review.
    pub reviewed_at: Option<PartialDate>,
    /// What was read past: a date that is no date, a URL that is no web address.
    pub warnings: Vec<String>,
}

/// What a document held: its reviews, and the entries passed over with the reason.
#[derive(Debug, Clone, Default)]
pub struct Document {
    pub reviews: Vec<ImportedReview>,
    /// `(where, why)`.
    pub skipped: Vec<(String, String)>,
}

/// Publisher labels and the verdicts they mean; see the module's documentation.
#[derive(Debug, Clone, PartialEq)]
pub struct RatingTable(HashMap<String, ClaimStatus>);

/// The default labels, French and English (README, "Importing ClaimReview").
const DEFAULT_LABELS: &[(ClaimStatus, &[&str])] = &[
    (
        ClaimStatus::False,
        &[
            "faux",
            "fausse",
            "c est faux",
            "totalement faux",
            "completement faux",
            "archi faux",
            "infonde",
            "false",
            "fake",
            "incorrect",
            "wrong",
            "pants on fire",
            "really false",
            "totally false",
            "unfounded",
            "baseless",
            "fabricated",
            "hoax",
        ],
    ),
    (
        ClaimStatus::Disputed,
        &[
            "trompeur",
            "trompeuse",
            "plutot faux",
            "partiellement faux",
            "en partie faux",
            "manque de contexte",
            "hors contexte",
            "sorti de son contexte",
            "detourne",
            "exagere",
            "conteste",
            "douteux",
            "misleading",
            "mostly false",
            "partly false",
            "partially false",
            "missing context",
            "lacks context",
            "needs context",
            "out of context",
            "exaggerated",
            "exaggeration",
            "disputed",
            "mixture",
            "mixed",
            "distorts the facts",
        ],
    ),
    (
        ClaimStatus::PartlyConfirmed,
        &[
            "plutot vrai",
            "partiellement vrai",
            "en partie vrai",
            "a moitie vrai",
            "partiellement confirme",
            "mostly true",
            "half true",
            "partly true",
            "partially true",
            "partly confirmed",
            "largely accurate",
        ],
    ),
    (ClaimStatus::Confirmed, &["vrai", "c est vrai", "exact", "confirme", "true", "correct", "accurate", "confirmed"]),
    (
        ClaimStatus::Unverifiable,
        &[
            "inverifiable",
            "non prouve",
            "pas de preuve",
            "impossible a verifier",
            "unverifiable",
            "unproven",
            "no evidence",
            "unsupported",
            "cannot be verified",
        ],
    ),
];

/// A label as the table compares it: lower case, no accents, punctuation and `_` as spaces.
fn label_key(label: &str) -> String {
    let folded: String = fold(label).chars().map(|c| if c.is_alphanumeric() { c } else { ' ' }).collect::<String>();
    folded.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl Default for RatingTable {
    fn default() -> Self {
        let mut table = HashMap::new();
        for (status, labels) in DEFAULT_LABELS {
            for label in *labels {
                table.insert(label_key(label), *status);
            }
        }
        RatingTable(table)
    }
}

impl RatingTable {
    /// The default table with `overrides` (label → verdict, as in `CLAIMDESK_CLAIMREVIEW_RATINGS`)
    /// added over it; a verdict must be one of the five.
    pub fn with_overrides(overrides: &HashMap<String, String>) -> Result<Self, String> {
        let mut table = RatingTable::default();
        for (label, status) in overrides {
            let status = ClaimStatus::parse(status).map_err(|e| format!("label {label:?}: {e}"))?;
            if !status.is_verdict() {
                return Err(format!("label {label:?}: {status} is no verdict"));
            }
            let key = label_key(label);
            if key.is_empty() {
                return Err(format!("label {label:?} has no letter or digit"));
            }
            table.0.insert(key, status);
        }
        Ok(table)
    }

    pub fn verdict(&self, label: &str) -> Option<ClaimStatus> {
        self.0.get(&label_key(label)).copied()
    }
}

/// A value normalised on its scale (0 worst, 1 best) as a verdict.
fn verdict_of_score(score: f64) -> ClaimStatus {
    match score {
        s if s < 0.2 => ClaimStatus::False,
        s if s < 0.45 => ClaimStatus::Disputed,
        s if s < 0.9 => ClaimStatus::PartlyConfirmed,
        _ => ClaimStatus::Confirmed,
    }
}

/// Reads a document: every ClaimReview in it, and what was passed over. A document that is not
/// UTF-8, not JSON, or holds no ClaimReview at all is refused whole.
pub fn read_document(bytes: &[u8], kind: DocumentKind, table: &RatingTable) -> Result<Document, Error> {
    if bytes.len() > MAX_DOCUMENT_BYTES {
        return Err(Error::invalid("document", format!("must be at most {MAX_DOCUMENT_BYTES} bytes")));
    }
    let text = std::str::from_utf8(bytes).map_err(|e| {
        Error::invalid("document", format!("is not valid UTF-8 (at byte {}): send it as UTF-8", e.valid_up_to()))
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut document = Document::default();
    let mut found: Vec<(String, Value)> = Vec::new();
    let mut others: Vec<String> = Vec::new();
    let page_language = match kind {
        DocumentKind::JsonLd => {
            let value: Value = serde_json::from_str(text)
                .map_err(|e| Error::invalid("document", format!("is not valid JSON-LD: {e}")))?;
            walk(&value, String::new(), 0, &mut found, &mut others);
            None
        }
        DocumentKind::Html => {
            let html = scraper::Html::parse_document(text);
            let scripts = scraper::Selector::parse("script").map_err(|e| Error::Internal(e.to_string()))?;
            let mut blocks = 0;
            for script in html.select(&scripts) {
                let is_json_ld = script.value().attr("type").is_some_and(|t| {
                    t.split(';').next().unwrap_or_default().trim().eq_ignore_ascii_case("application/ld+json")
                });
                if !is_json_ld {
                    continue;
                }
                blocks += 1;
                let at = format!("script[{}]", blocks - 1);
                let raw: String = script.text().collect();
                match lenient_json(&raw) {
                    Ok(value) => walk(&value, at, 0, &mut found, &mut others),
                    Err(e) => document.skipped.push((at, format!("the block is not valid JSON: {e}"))),
                }
            }
            if blocks == 0 {
                return Err(Error::invalid(
                    "document",
                    "the page has no <script type=\"application/ld+json\"> block: it publishes no ClaimReview",
                ));
            }
            html.root_element().value().attr("lang").and_then(|l| language::normalize(l.trim()).ok())
        }
    };
    if found.is_empty() {
        others.sort();
        others.dedup();
        let seen = if others.is_empty() { String::new() } else { format!(" (found {})", others.join(", ")) };
        let unreadable = if document.skipped.is_empty() {
            String::new()
        } else {
            format!(
                "; unreadable: {}",
                document.skipped.iter().map(|(at, why)| format!("{at}: {why}")).collect::<Vec<_>>().join("; ")
            )
        };
        return Err(Error::invalid("document", format!("holds no ClaimReview{seen}{unreadable}")));
    }
    for (at, value) in found {
        match review(&value, &at, page_language.as_deref(), table) {
            Ok(review) => document.reviews.push(review),
            Err(reason) => document.skipped.push((at, reason)),
        }
    }
    Ok(document)
}

/// JSON as pages write it: strict first; then with the usual breakage mended (an HTML comment or
/// CDATA wrapper, raw line breaks and tabs inside strings, commas before a closing bracket).
fn lenient_json(raw: &str) -> Result<Value, String> {
    let strict = serde_json::from_str(raw.trim());
    let Err(first) = strict else { return strict.map_err(|e| e.to_string()) };
    let mut text = raw.trim();
    for (open, close) in [("<!--", "-->"), ("//<![CDATA[", "//]]>"), ("<![CDATA[", "]]>")] {
        if let Some(inner) = text.strip_prefix(open).and_then(|t| t.trim_end().strip_suffix(close)) {
            text = inner.trim();
        }
    }
    let mut mended = String::with_capacity(text.len());
    let (mut in_string, mut escaped) = (false, false);
    let chars: Vec<char> = text.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if in_string {
            match c {
                _ if escaped => {
                    escaped = false;
                    mended.push(c);
                }
                '\\' => {
                    escaped = true;
                    mended.push(c);
                }
                '"' => {
                    in_string = false;
                    mended.push(c);
                }
                '\n' => mended.push_str("\\n"),
                '\r' => mended.push_str("\\r"),
                '\t' => mended.push_str("\\t"),
                c if c.is_control() => {}
                c => mended.push(c),
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                mended.push(c);
            }
            ',' => {
                let next = chars[i + 1..].iter().find(|c| !c.is_whitespace());
                if !matches!(next, Some(']' | '}')) {
                    mended.push(c);
                }
            }
            c => mended.push(c),
        }
    }
    serde_json::from_str(&mended).map_err(|_| first.to_string())
}

/// The `@type`s of a node, without a `schema:` or schema.org URL prefix.
fn types(node: &Value) -> Vec<&str> {
    let raw: Vec<&str> = match node.get("@type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    raw.into_iter()
        .map(|t| {
            t.strip_prefix("schema:")
                .or_else(|| t.strip_prefix("http://schema.org/"))
                .or_else(|| t.strip_prefix("https://schema.org/"))
                .unwrap_or(t)
        })
        .collect()
}

/// Collects the ClaimReview nodes under `value` with where they are; names the other types met.
fn walk(value: &Value, at: String, depth: usize, found: &mut Vec<(String, Value)>, others: &mut Vec<String>) {
    if depth > MAX_DEPTH {
        return;
    }
    let join = |key: &str| if at.is_empty() { key.to_owned() } else { format!("{at}.{key}") };
    match value {
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                walk(item, format!("{at}[{i}]"), depth + 1, found, others);
            }
        }
        Value::Object(map) => {
            let types = types(value);
            if types.contains(&"ClaimReview") {
                found.push((if at.is_empty() { "document".to_owned() } else { at }, value.clone()));
                return;
            }
            let before = found.len();
            for key in ["@graph", "dataFeedElement", "item", "itemListElement", "mainEntity", "review", "hasPart"] {
                if let Some(inner) = map.get(key).filter(|v| v.is_array() || v.is_object()) {
                    walk(inner, join(key), depth + 1, found, others);
                }
            }
            if found.len() == before {
                others.extend(types.iter().map(|t| (*t).to_owned()));
            }
        }
        _ => {}
    }
}

/// A text value: a string, the first of a list, an object's `@value` or `name`; trimmed, never
/// empty.
fn text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) => Some(s.trim().to_owned()).filter(|s| !s.is_empty()),
        Value::Array(items) => items.iter().find_map(|v| text(Some(v))),
        Value::Object(map) => text(map.get("@value")).or_else(|| text(map.get("name"))),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A number, written as one or as text ("5", "-1").
fn number(value: Option<&Value>) -> Option<f64> {
    match value? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok().filter(|n| n.is_finite()),
        Value::Array(items) => items.iter().find_map(|v| number(Some(v))),
        _ => None,
    }
}

/// The first object of a value that is one object or a list of them.
fn first_object(value: Option<&Value>) -> Option<&Value> {
    match value? {
        v @ Value::Object(_) => Some(v),
        Value::Array(items) => items.iter().find(|v| v.is_object()),
        _ => None,
    }
}

/// A date as publishers write it: ISO 8601 at any precision, or its date part ("2022-01-28
/// 18:35"); a warning names what is not a date.
fn date(value: Option<&Value>, field: &str, warnings: &mut Vec<String>) -> Option<PartialDate> {
    let raw = text(value)?;
    if let Ok(date) = raw.parse::<PartialDate>() {
        return Some(date);
    }
    for len in [10, 7, 4] {
        if let Some(date) = raw.get(..len).and_then(|head| head.parse::<PartialDate>().ok()) {
            return Some(date);
        }
    }
    warnings.push(format!("{field} {} is not a date: left out", super::shown(&raw)));
    None
}

fn language_of(node: &Value) -> Option<String> {
    let tag = match node.get("inLanguage")? {
        Value::Object(map) => text(map.get("alternateName")).or_else(|| text(map.get("name")))?,
        other => text(Some(other))?,
    };
    language::normalize(&tag).ok()
}

/// ISO 639-1 for the languages whatlang tells apart that the search stems.
pub fn detected_language(text: &str) -> Option<&'static str> {
    let info = whatlang::detect(text).filter(whatlang::Info::is_reliable)?;
    use whatlang::Lang::*;
    Some(match info.lang() {
        Fra => "fr",
        Eng => "en",
        Deu => "de",
        Spa => "es",
        Ita => "it",
        Por => "pt",
        Nld => "nl",
        Swe => "sv",
        Dan => "da",
        Nob => "no",
        Fin => "fi",
        Hun => "hu",
        Ron => "ro",
        Rus => "ru",
        Ukr => "uk",
        Pol => "pl",
        Tur => "tr",
        Ell => "el",
        Ara => "ar",
        Tam => "ta",
        _ => return None,
    })
}

fn party_kind(node: &Value) -> SourceKind {
    let types = types(node);
    if types.contains(&"Person") {
        SourceKind::Person
    } else if types.contains(&"NewsMediaOrganization") {
        SourceKind::NewsOutlet
    } else if types.contains(&"GovernmentOrganization") {
        SourceKind::OfficialBody
    } else {
        SourceKind::Organization
    }
}

/// One ClaimReview node as a review to store, or why it cannot be.
fn review(node: &Value, at: &str, page_language: Option<&str>, table: &RatingTable) -> Result<ImportedReview, String> {
    let mut warnings = Vec::new();
    let claim_text = text(node.get("claimReviewed")).ok_or("it has no claimReviewed: the claim's text is required")?;
    let item = first_object(node.get("itemReviewed"));

    let review_url = match text_url(node.get("url")) {
        Some(Ok(url)) => Some(url),
        Some(Err(e)) => {
            warnings.push(format!("url: {e}: the review is keyed on its content"));
            None
        }
        None => None,
    };
    let key = review_url.clone().unwrap_or_else(|| {
        // serde_json orders object keys: the same review hashes alike however it was written.
        format!("sha256:{:x}", Sha256::digest(node.to_string().as_bytes()))
    });

    let author = first_object(node.get("author")).or_else(|| first_object(node.get("publisher")));
    let publisher = author
        .and_then(|a| text(a.get("name")))
        .or_else(|| text(node.get("author")))
        .ok_or("it has no author: the reviewing organisation's name is required")?;
    let publisher_url = author.and_then(|a| text_url(a.get("url"))).and_then(Result::ok);

    let rating_node = first_object(node.get("reviewRating"));
    let label = rating_node.and_then(|r| text(r.get("alternateName")).or_else(|| text(r.get("name"))));
    let value = rating_node.and_then(|r| number(r.get("ratingValue")));
    let best = rating_node.and_then(|r| number(r.get("bestRating")));
    let worst = rating_node.and_then(|r| number(r.get("worstRating")));
    // schema.org: a scale is 1 to 5 unless the rating says otherwise.
    let (scale_best, scale_worst) = (best.unwrap_or(5.0), worst.unwrap_or(1.0));
    let score = match value {
        // A scale of one point (20 Minutes writes -1 for value, best and worst) says nothing.
        Some(_) if scale_best == scale_worst => None,
        Some(v) => {
            let (low, high) = (scale_worst.min(scale_best), scale_worst.max(scale_best));
            if v < low || v > high {
                return Err(format!("its ratingValue {v} is outside its scale ({scale_worst} to {scale_best})"));
            }
            Some((v - scale_worst) / (scale_best - scale_worst))
        }
        None => None,
    };
    let verdict = label.as_deref().and_then(|l| table.verdict(l)).or_else(|| score.map(verdict_of_score));
    if verdict.is_none() {
        warnings.push(match &label {
            Some(label) => format!(
                "the rating {} maps to no verdict: the claim keeps none (add the label to CLAIMDESK_CLAIMREVIEW_RATINGS)",
                super::shown(label)
            ),
            None => "the review has no rating: the claim keeps no verdict".to_owned(),
        });
    }

    let language = language_of(node)
        .or_else(|| item.and_then(language_of))
        .or_else(|| page_language.map(str::to_owned))
        .or_else(|| detected_language(&claim_text).map(str::to_owned))
        .unwrap_or_else(|| {
            warnings.push("no language given or recognised: stored as und (undetermined)".to_owned());
            "und".to_owned()
        });

    let claimant = item.and_then(|item| match item.get("author") {
        Some(Value::String(name)) => Some((name.trim().to_owned(), SourceKind::Organization)),
        other => first_object(other).and_then(|a| text(a.get("name")).map(|name| (name, party_kind(a)))),
    });
    let claimant = claimant.filter(|(name, _)| !name.is_empty());
    let claimed_at = item.and_then(|item| date(item.get("datePublished"), "itemReviewed.datePublished", &mut warnings));
    let reviewed_at = date(node.get("datePublished"), "datePublished", &mut warnings);

    let mut appearances: Vec<(String, Option<PartialDate>)> = Vec::new();
    if let Some(item) = item {
        let mut works: Vec<&Value> = Vec::new();
        for key in ["firstAppearance", "appearance"] {
            match item.get(key) {
                Some(Value::Array(list)) => works.extend(list),
                Some(other) => works.push(other),
                None => {}
            }
        }
        if let Some(url) = item.get("url") {
            works.push(url);
        }
        for work in works {
            let (url, published) = match work {
                Value::Object(map) => (map.get("url").or_else(|| map.get("@id")), map.get("datePublished")),
                other => (Some(other), None),
            };
            match text_url(url) {
                Some(Ok(url)) if !appearances.iter().any(|(u, _)| *u == url) => {
                    let at = date(published, "appearance.datePublished", &mut warnings);
                    appearances.push((url, at));
                }
                Some(Err(e)) => warnings.push(format!("appearance: {e}: left out")),
                _ => {}
            }
        }
    }
    if appearances.len() > MAX_APPEARANCES {
        warnings.push(format!("{} appearances: the first {MAX_APPEARANCES} are kept", appearances.len()));
        appearances.truncate(MAX_APPEARANCES);
    }

    Ok(ImportedReview {
        at: at.to_owned(),
        key,
        review_url,
        text: claim_text,
        language,
        claimant,
        claimed_at,
        appearances,
        publisher,
        publisher_url,
        rating: Rating { label, value, best, worst, verdict },
        reviewed_at,
        warnings,
    })
}

/// A web address from a value (a string or an object's `@id`/`url`): `None` when absent,
/// `Err` when it is no http(s) URL.
fn text_url(value: Option<&Value>) -> Option<Result<String, String>> {
    let raw = match value? {
        Value::Object(map) => text(map.get("@id")).or_else(|| text(map.get("url")))?,
        other => text(Some(other))?,
    };
    Some(web_url(&raw).map_err(|e| format!("{} {e}", super::shown(&raw))))
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/claimreview");

    fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(format!("{FIXTURES}/{name}")).expect("fixture")
    }

    fn read(bytes: &[u8], kind: DocumentKind) -> Document {
        read_document(bytes, kind, &RatingTable::default()).expect("read")
    }

    #[test]
    fn the_afp_page_gives_its_review() {
        let doc = read(&fixture("afp-factuel-page.html"), DocumentKind::Html);
        assert_eq!(doc.reviews.len(), 1, "{:?}", doc.skipped);
        let r = &doc.reviews[0];
        assert_eq!(r.text, "Le Mali a rompu ses relations diplomatiques avec la France");
        assert_eq!(r.key, "https://factuel.afp.com/doc.afp.com.9XC9W4");
        assert_eq!(r.language, "fr", "from the page's lang");
        assert_eq!(r.claimant, Some(("Sources multiples".to_owned(), SourceKind::Organization)));
        assert_eq!(r.claimed_at.map(|d| d.to_string()).as_deref(), Some("2022-01-24"));
        assert_eq!(
            r.reviewed_at.map(|d| d.to_string()).as_deref(),
            Some("2022-01-28"),
            "date part of \"2022-01-28 18:35\""
        );
        assert_eq!(r.publisher, "AFP");
        assert_eq!(r.publisher_url.as_deref(), Some("https://factcheck.afp.com/"));
        assert_eq!(r.rating.label.as_deref(), Some("Faux"));
        assert_eq!((r.rating.value, r.rating.best, r.rating.worst), (Some(1.0), Some(5.0), Some(1.0)));
        assert_eq!(r.rating.verdict, Some(ClaimStatus::False));
        assert_eq!(r.appearances.len(), 1);
        assert!(r.appearances[0].0.starts_with("https://www.facebook.com/101888178896970/"), "{:?}", r.appearances);
    }

    #[test]
    fn the_20_minutes_page_gives_its_review_among_other_blocks() {
        let doc = read(&fixture("20minutes-page.html"), DocumentKind::Html);
        assert_eq!(doc.reviews.len(), 1, "{:?}", doc.skipped);
        let r = &doc.reviews[0];
        assert_eq!(r.at, "script[3]");
        assert!(r.text.starts_with("Le rôle de l'URSS"), "{}", r.text);
        assert_eq!(r.publisher, "20 minutes");
        assert_eq!(r.claimant, Some(("Réseaux sociaux".to_owned(), SourceKind::Person)));
        // -1 on a scale from -1 to -1 says nothing; the label "really_false" does.
        assert_eq!(r.rating.verdict, Some(ClaimStatus::False));
        assert_eq!(r.language, "fr");
    }

    #[test]
    fn a_data_commons_feed_item_gives_its_review_without_a_verdict() {
        let doc = read(&fixture("datacommons-feed-item.json"), DocumentKind::JsonLd);
        assert_eq!(doc.reviews.len(), 1);
        let r = &doc.reviews[0];
        assert_eq!(r.at, "item[0]");
        assert_eq!(r.publisher, "Deutsche Presse-Agentur");
        assert_eq!(r.key, "https://www.presseportal.de/pm/133833/4381130");
        assert_eq!(r.language, "de", "detected from the text");
        assert_eq!(r.claimant, Some(("Irmin Suhl".to_owned(), SourceKind::Person)));
        assert_eq!(r.rating.verdict, None, "a sentence is no label");
        assert!(r.rating.label.as_deref().is_some_and(|l| l.starts_with("Reker hat")));
        assert!(r.warnings.iter().any(|w| w.contains("maps to no verdict")), "{:?}", r.warnings);
    }

    #[test]
    fn labels_compare_without_case_accents_or_punctuation() {
        let table = RatingTable::default();
        for (label, status) in [
            ("Faux", ClaimStatus::False),
            ("FAUX !", ClaimStatus::False),
            ("Infondé", ClaimStatus::False),
            ("really_false", ClaimStatus::False),
            ("Pants on Fire!", ClaimStatus::False),
            ("Trompeur", ClaimStatus::Disputed),
            ("Misleading", ClaimStatus::Disputed),
            ("Plutôt vrai", ClaimStatus::PartlyConfirmed),
            ("Mostly True", ClaimStatus::PartlyConfirmed),
            ("Vrai", ClaimStatus::Confirmed),
            ("True", ClaimStatus::Confirmed),
            ("Invérifiable", ClaimStatus::Unverifiable),
        ] {
            assert_eq!(table.verdict(label), Some(status), "{label}");
        }
        assert_eq!(table.verdict("Satire"), None);
        let custom: HashMap<String, String> = [("Satire".to_owned(), "false".to_owned())].into();
        assert_eq!(RatingTable::with_overrides(&custom).expect("valid").verdict("satire"), Some(ClaimStatus::False));
        let bad: HashMap<String, String> = [("x".to_owned(), "in_review".to_owned())].into();
        assert!(RatingTable::with_overrides(&bad).is_err());
    }

    #[test]
    fn numbers_map_on_their_scale_and_a_value_outside_it_is_refused() {
        let review = |rating: Value| {
            let node = serde_json::json!({
                "@type": "ClaimReview", "claimReviewed": "The moon is made of cheese", "inLanguage": "en",
                "author": {"@type": "Organization", "name": "Checker"}, "reviewRating": rating,
            });
            super::review(&node, "document", None, &RatingTable::default())
        };
        let verdict = |rating| review(rating).expect("read").rating.verdict;
        assert_eq!(
            verdict(serde_json::json!({"ratingValue": 1, "bestRating": 5, "worstRating": 1})),
            Some(ClaimStatus::False)
        );
        assert_eq!(
            verdict(serde_json::json!({"ratingValue": "2", "bestRating": "5", "worstRating": "1"})),
            Some(ClaimStatus::Disputed)
        );
        assert_eq!(
            verdict(serde_json::json!({"ratingValue": 4})),
            Some(ClaimStatus::PartlyConfirmed),
            "1 to 5 by default"
        );
        assert_eq!(
            verdict(serde_json::json!({"ratingValue": 10, "bestRating": 10, "worstRating": 0})),
            Some(ClaimStatus::Confirmed)
        );
        assert_eq!(
            verdict(serde_json::json!({"ratingValue": 5, "bestRating": 5, "worstRating": 1, "alternateName": "Faux"})),
            Some(ClaimStatus::False),
            "the label speaks first"
        );
        let refused =
            review(serde_json::json!({"ratingValue": 7, "bestRating": 5, "worstRating": 1})).expect_err("outside");
        assert!(refused.contains("outside its scale"), "{refused}");
    }

    #[test]
    fn lists_graphs_and_feeds_are_searched_and_broken_blocks_passed_over() {
        let review = |text: &str, url: &str| {
            serde_json::json!({"@type": "ClaimReview", "claimReviewed": text, "url": url, "inLanguage": "en",
                "author": {"name": "Checker"}, "reviewRating": {"alternateName": "False"}})
        };
        let feed = serde_json::json!({"@context": "https://schema.org", "@type": "DataFeed", "dataFeedElement": [
            {"@type": "DataFeedItem", "item": [review("a claim", "https://c.example/1")]},
            {"@type": "DataFeedItem", "item": [{"@type": "ClaimReview", "url": "https://c.example/2"}]},
        ]});
        let doc = read(feed.to_string().as_bytes(), DocumentKind::JsonLd);
        assert_eq!(doc.reviews.len(), 1);
        assert_eq!(doc.reviews[0].at, "dataFeedElement[0].item[0]");
        assert_eq!(doc.skipped.len(), 1);
        assert!(doc.skipped[0].1.contains("claimReviewed"), "{:?}", doc.skipped);

        let page = format!(
            "<html lang=\"en\"><head><script type=\"application/ld+json\">{{\"@type\": \"ClaimReview\", oops</script>\
             <script type=\"application/ld+json\">\n<!--\n{{\"@graph\": [{},]}}\n-->\n</script></head></html>",
            review("a claim written\nover two lines", "https://c.example/3")
        );
        let doc = read(page.as_bytes(), DocumentKind::Html);
        assert_eq!(doc.reviews.len(), 1, "{:?}", doc.skipped);
        assert_eq!(doc.reviews[0].at, "script[1].@graph[0]");
        assert_eq!(doc.skipped.len(), 1);
        assert_eq!(doc.skipped[0].0, "script[0]");
    }

    #[test]
    fn documents_without_reviews_or_not_utf8_are_refused_whole() {
        let table = RatingTable::default();
        let no_review = br#"{"@type": "NewsArticle", "headline": "x"}"#;
        let err = read_document(no_review, DocumentKind::JsonLd, &table).expect_err("no review");
        assert!(err.to_string().contains("NewsArticle") || format!("{err:?}").contains("NewsArticle"), "{err:?}");
        assert!(read_document(b"<html><body>nothing</body></html>", DocumentKind::Html, &table).is_err());
        assert!(read_document(b"{\"@type\": \"ClaimReview\", \xff}", DocumentKind::JsonLd, &table).is_err());
        assert!(read_document(b"not json", DocumentKind::JsonLd, &table).is_err());
        assert_eq!(DocumentKind::sniff(b"  \n<!doctype html>"), DocumentKind::Html);
        assert_eq!(DocumentKind::sniff(b"{}"), DocumentKind::JsonLd);
        assert_eq!(DocumentKind::from_media_type("application/ld+json; charset=utf-8"), Some(DocumentKind::JsonLd));
        assert_eq!(DocumentKind::from_media_type("text/html"), Some(DocumentKind::Html));
        assert_eq!(DocumentKind::from_media_type("text/plain"), None);
    }
}
