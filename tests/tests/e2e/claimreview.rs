//! `GET /v1/claims/{id}/claimreview` and gRPC `GetClaimReview`: a verdict as schema.org
//! ClaimReview JSON-LD, with Google's required and recommended fields.

use claimdesk_proto::v1 as pb;
use claimdesk_tests::{TestApp, problem, venezuela_claim};
use reqwest::Method;
use serde_json::{Value, json};

/// The seed claim relayed twice with URLs and dates, then judged `status` with a note.
async fn judged(app: &TestApp, status: &str) -> Value {
    let claim = app.claim(venezuela_claim()).await;
    let id = claim["id"].as_str().expect("id").to_owned();
    let post = claim["claimant"]["id"].as_str().expect("claimant").to_owned();
    let afp = app.source(json!({"name": "AFP", "kind": "news_agency"})).await;
    let mut tag = claim["etag"].as_str().expect("etag").to_owned();
    for body in [
        json!({"speaker_id": post, "stance": "asserts", "relay_ids": [afp], "url": "https://www.afp.com/fr/venezuela-maduro", "published_at": "2025-10-26"}),
        json!({"speaker_id": post, "stance": "asserts", "url": "https://www.washingtonpost.com/world/2025/10/24/maduro-russia/", "published_at": "2025-10-24"}),
        json!({"speaker_id": afp, "stance": "context"}),
    ] {
        tag = app.attribute(&id, &tag, body).await;
    }
    for (next, note) in [("in_review", None), (status, Some("Les documents cités ne disent pas cela."))] {
        let body = json!({"status": next, "note": note});
        let response = app.send_if_match(Method::POST, &format!("/v1/claims/{id}/status"), &tag, Some(&body)).await;
        assert_eq!(response.status(), 200, "{next}: {}", response.text().await.unwrap_or_default());
        tag = app.etag(&format!("/v1/claims/{id}")).await;
    }
    app.json(&format!("/v1/claims/{id}")).await
}

async fn review(app: &TestApp, id: &str) -> Value {
    let response = app.get(&format!("/v1/claims/{id}/claimreview")).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/ld+json");
    response.json().await.expect("JSON-LD")
}

async fn a_verdict_is_published_as_claimreview(app: TestApp) {
    let claim = judged(&app, "false").await;
    let id = claim["id"].as_str().expect("id");
    let review = review(&app, id).await;
    assert_eq!(review["@context"], "https://schema.org");
    assert_eq!(review["@type"], "ClaimReview");
    assert_eq!(review["claimReviewed"], claim["text"]);
    assert_eq!(review["inLanguage"], "fr");
    assert_eq!(review["url"], format!("https://factuel.example.org/claims/{id}"));
    assert_eq!(
        review["author"],
        json!({"@type": "Organization", "name": "Desk Factuel", "url": "https://factuel.example.org/"})
    );
    assert_eq!(review["datePublished"], chrono::Utc::now().format("%Y-%m-%d").to_string(), "the verdict's day");
    assert_eq!(
        review["reviewRating"],
        json!({"@type": "Rating", "ratingValue": 1, "worstRating": 1, "bestRating": 4, "alternateName": "Faux"})
    );
    let item = &review["itemReviewed"];
    assert_eq!(item["@type"], "Claim");
    assert_eq!(item["author"], json!({"@type": "Organization", "name": "The Washington Post"}));
    assert_eq!(item["datePublished"], "2025-10");
    // Where it appeared, oldest first: the Post on the 24th, relayed by AFP on the 26th.
    let urls: Vec<&str> =
        item["appearance"].as_array().expect("appearance").iter().map(|a| a["url"].as_str().expect("url")).collect();
    assert_eq!(
        urls,
        ["https://www.washingtonpost.com/world/2025/10/24/maduro-russia/", "https://www.afp.com/fr/venezuela-maduro"]
    );
    assert_eq!(
        item["firstAppearance"],
        json!({"@type": "CreativeWork", "url": "https://www.washingtonpost.com/world/2025/10/24/maduro-russia/", "datePublished": "2025-10-24"})
    );
    assert_eq!(review["keywords"], "venezuela, russie");

    // gRPC answers the same document.
    let mut client = app.grpc().await;
    let answer = client
        .get_claim_review(pb::GetClaimReviewRequest { claim_id: id.to_owned() })
        .await
        .expect("answered")
        .into_inner();
    let over_grpc: Value = serde_json::from_str(&answer.json_ld).expect("JSON-LD");
    assert_eq!(over_grpc, review);
}

async fn an_unverifiable_claim_is_named_without_a_value(app: TestApp) {
    let claim = judged(&app, "unverifiable").await;
    let review = review(&app, claim["id"].as_str().expect("id")).await;
    assert_eq!(review["reviewRating"]["alternateName"], "Invérifiable");
    assert!(review["reviewRating"].get("ratingValue").is_none(), "{review}");
}

async fn no_verdict_no_review(app: TestApp) {
    let claim = app.claim(json!({"text": "Three B-52 bombers flew off the Venezuelan coast", "language": "en"})).await;
    let id = claim["id"].as_str().expect("id");
    let body = problem(app.get(&format!("/v1/claims/{id}/claimreview")).await, 409).await;
    assert_eq!(body["code"], "no_verdict", "{body}");
    assert!(body["detail"].as_str().expect("detail").contains("unverified"), "{body}");
    problem(app.get("/v1/claims/not-an-id/claimreview").await, 400).await;
    problem(app.get("/v1/claims/01964b6e-7a4f-7c3e-9d2a-5b8c1e0f3a47/claimreview").await, 404).await;
}

claimdesk_tests::on_both_backends!(
    a_verdict_is_published_as_claimreview,
    an_unverifiable_claim_is_named_without_a_value,
    no_verdict_no_review,
);
