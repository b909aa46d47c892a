//! A claim and the desk's verdict as schema.org `ClaimReview` JSON-LD, the format fact-checkers
//! publish and search engines read (Google's required and recommended fields).
//!
//! The rating scale: 1 `false`, 2 `disputed`, 3 `partly_confirmed`, 4 `confirmed` (worst 1, best
//! 4); `unverifiable` is named (`alternateName`) without a value. A claim still `unverified` or
//! `in_review` has no verdict to publish.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::{Attribution, Claim, ClaimStatus, ClaimView, Error, Source, SourceKind};

/// Who publishes the reviews: `CLAIMDESK_PUBLISHER_NAME`, `CLAIMDESK_PUBLISHER_URL`, and
/// `CLAIMDESK_CLAIMREVIEW_URL`, the address of a claim's published review with `{id}` for its id.
#[derive(Debug, Clone, PartialEq)]
pub struct Publisher {
    pub name: String,
    pub url: Option<String>,
    pub review_url: Option<String>,
}

impl Default for Publisher {
    fn default() -> Self {
        Publisher { name: "claimdesk".to_owned(), url: None, review_url: None }
    }
}

pub const WORST_RATING: i32 = 1;
pub const BEST_RATING: i32 = 4;

/// A verdict's value on the scale (none for `unverifiable`) and its name in the claim's language
/// (French, else English); `None` when the status is no verdict.
pub fn rating(status: ClaimStatus, language: &str) -> Option<(Option<i32>, &'static str)> {
    let french = language.get(..2).is_some_and(|l| l.eq_ignore_ascii_case("fr"));
    let pick = |fr: &'static str, en: &'static str| if french { fr } else { en };
    Some(match status {
        ClaimStatus::Unverified | ClaimStatus::InReview => return None,
        ClaimStatus::False => (Some(1), pick("Faux", "False")),
        ClaimStatus::Disputed => (Some(2), pick("Contesté", "Disputed")),
        ClaimStatus::PartlyConfirmed => (Some(3), pick("Partiellement confirmé", "Partly confirmed")),
        ClaimStatus::Confirmed => (Some(4), pick("Confirmé", "Confirmed")),
        ClaimStatus::Unverifiable => (None, pick("Invérifiable", "Unverifiable")),
    })
}

/// schema.org's type for a source: people are `Person`, everything else an `Organization`.
fn party(source: &Source) -> Value {
    let kind = if source.kind == SourceKind::Person { "Person" } else { "Organization" };
    let mut party = json!({"@type": kind, "name": source.name});
    if let Some(homepage) = &source.homepage {
        party["url"] = json!(homepage);
    }
    party
}

/// The review of `view`, whose verdict was given at `verdict_at`; `claimant` is its claimant's
/// source, `attributions` its statements (those with a URL are where it appeared).
pub fn claim_review(
    view: &ClaimView,
    claimant: Option<&Source>,
    attributions: &[Attribution],
    verdict_at: DateTime<Utc>,
    publisher: &Publisher,
) -> Result<Value, Error> {
    let claim = &view.claim;
    let Some((value, name)) = rating(claim.status, &claim.language) else {
        return Err(Error::Precondition {
            code: "no_verdict",
            subject: "status".into(),
            description: format!(
                "claim {} has no verdict to publish (its status is {}): set it to confirmed, partly_confirmed, \
                 unverifiable, disputed or false first",
                claim.id,
                claim.status.as_str()
            ),
        });
    };
    let mut rating =
        json!({"@type": "Rating", "alternateName": name, "worstRating": WORST_RATING, "bestRating": BEST_RATING});
    if let Some(value) = value {
        rating["ratingValue"] = json!(value);
    }
    let mut item = json!({"@type": "Claim"});
    if let Some(claimant) = claimant {
        item["author"] = party(claimant);
    }
    if let Some(claimed_at) = &claim.claimed_at {
        item["datePublished"] = json!(claimed_at.to_string());
    }
    let mut appearances: Vec<&Attribution> = attributions.iter().filter(|a| a.url.is_some()).collect();
    // Dated ones first, oldest first; undated after, in recorded order.
    appearances.sort_by_key(|a| (a.published_at.is_none(), a.published_at.as_ref().map(ToString::to_string)));
    let creative_work = |a: &Attribution| {
        let mut work = json!({"@type": "CreativeWork", "url": a.url});
        if let Some(at) = &a.published_at {
            work["datePublished"] = json!(at.to_string());
        }
        work
    };
    if !appearances.is_empty() {
        item["appearance"] = appearances.iter().map(|a| creative_work(a)).collect();
        if let Some(first) = appearances.first().filter(|a| a.published_at.is_some()) {
            item["firstAppearance"] = creative_work(first);
        }
    }
    let mut author = json!({"@type": "Organization", "name": publisher.name});
    if let Some(url) = &publisher.url {
        author["url"] = json!(url);
    }
    let mut review = json!({
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "identifier": claim.id.to_string(),
        "claimReviewed": claim.text,
        "inLanguage": claim.language,
        "itemReviewed": item,
        "author": author,
        "datePublished": verdict_at.format("%Y-%m-%d").to_string(),
        "dateModified": claim.updated_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "reviewRating": rating,
    });
    if let Some(template) = &publisher.review_url {
        review["url"] = json!(template.replace("{id}", &claim.id.to_string()));
    }
    if !claim.tags.is_empty() {
        review["keywords"] = json!(claim.tags.join(", "));
    }
    Ok(review)
}

/// Reviews as a schema.org `DataFeed` (the form Google's Fact Check Tools and Data Commons read):
/// one `DataFeedItem` per claim, dated by the claim's creation and last change.
pub fn data_feed(reviews: Vec<(Claim, Value)>) -> Value {
    let stamp = |t: DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let items: Vec<Value> = reviews
        .into_iter()
        .map(|(claim, review)| {
            json!({
                "@type": "DataFeedItem",
                "dateCreated": stamp(claim.created_at),
                "dateModified": stamp(claim.updated_at),
                "item": [review],
            })
        })
        .collect();
    json!({"@context": "https://schema.org", "@type": "DataFeed", "dataFeedElement": items})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_verdict_has_a_place_on_the_scale_and_a_name_in_the_claims_language() {
        assert_eq!(rating(ClaimStatus::False, "fr"), Some((Some(1), "Faux")));
        assert_eq!(rating(ClaimStatus::False, "en-GB"), Some((Some(1), "False")));
        assert_eq!(rating(ClaimStatus::Confirmed, "fr-CA"), Some((Some(BEST_RATING), "Confirmé")));
        assert_eq!(rating(ClaimStatus::Unverifiable, "de"), Some((None, "Unverifiable")));
        assert_eq!(rating(ClaimStatus::InReview, "fr"), None);
        assert_eq!(rating(ClaimStatus::Unverified, "en"), None);
        let values: Vec<i32> =
            [ClaimStatus::False, ClaimStatus::Disputed, ClaimStatus::PartlyConfirmed, ClaimStatus::Confirmed]
                .into_iter()
                .filter_map(|s| rating(s, "en").and_then(|r| r.0))
                .collect();
        assert_eq!(values, [1, 2, 3, 4], "worse verdicts rate lower");
    }
}
