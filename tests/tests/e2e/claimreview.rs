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
    // AFP is stored once; a second judged claim finds it (409 names it).
    let response = app.post_json("/v1/sources", &json!({"name": "AFP", "kind": "news_agency"})).await;
    let created = response.status();
    let afp: Value = response.json().await.expect("json");
    let afp = match created.as_u16() {
        201 => afp["id"].as_str().expect("id").to_owned(),
        409 => afp["existing_id"].as_str().expect("existing_id").to_owned(),
        other => panic!("creating AFP: {other} {afp}"),
    };
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

/// Reads the whole feed at `path`, following `next_page_token`: the reviews in feed order.
async fn read_feed(app: &TestApp, path: &str) -> Vec<Value> {
    let mut reviews = Vec::new();
    let mut next = path.to_owned();
    loop {
        let response = app.get(&next).await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "application/ld+json");
        let link = response.headers().get("link").map(|l| l.to_str().expect("ascii").to_owned());
        let page: Value = response.json().await.expect("JSON-LD");
        assert_eq!(page["@context"], "https://schema.org");
        assert_eq!(page["@type"], "DataFeed");
        for element in page["dataFeedElement"].as_array().expect("elements") {
            assert_eq!(element["@type"], "DataFeedItem");
            assert!(element["dateModified"].as_str().is_some_and(|d| d.ends_with('Z')), "{element}");
            let items = element["item"].as_array().expect("item");
            assert_eq!(items.len(), 1, "{element}");
            reviews.push(items[0].clone());
        }
        match page.get("next_page_token").and_then(Value::as_str) {
            None => {
                assert!(link.is_none(), "no next page, no Link: {link:?}");
                return reviews;
            }
            Some(token) => {
                let link = link.expect("a Link header beside next_page_token");
                assert!(link.contains(&format!("page_token={token}")), "{link}");
                let separator = if path.contains('?') { '&' } else { '?' };
                next = format!("{path}{separator}page_token={token}");
            }
        }
    }
}

async fn the_feed_pages_through_the_reviewed_claims_oldest_change_first(app: TestApp) {
    let disputed = judged(&app, "disputed").await;
    let untouched =
        app.claim(json!({"text": "Three B-52 bombers flew off the Venezuelan coast", "language": "en"})).await;
    let false_one = judged(&app, "false").await;
    let id = |claim: &Value| claim["id"].as_str().expect("id").to_owned();

    let all = read_feed(&app, "/v1/claimreview?page_size=1").await;
    let ids: Vec<&str> = all.iter().map(|r| r["identifier"].as_str().expect("identifier")).collect();
    assert_eq!(ids, [id(&disputed), id(&false_one)], "only verdicts, oldest change first, one per page");
    assert!(!ids.contains(&id(&untouched).as_str()));
    // Each item is the claim's own review.
    assert_eq!(all[1], review(&app, &id(&false_one)).await);

    assert_eq!(read_feed(&app, "/v1/claimreview?status=false").await.len(), 1);
    assert_eq!(read_feed(&app, "/v1/claimreview?status=confirmed").await.len(), 0);

    // A change moves the claim to the end; updated_since then finds only it.
    let before_change = chrono::Utc::now();
    let tag = app.etag(&format!("/v1/claims/{}", id(&disputed))).await;
    let response = app
        .send_if_match(
            Method::POST,
            &format!("/v1/claims/{}/status", id(&disputed)),
            &tag,
            Some(&json!({"status": "false", "note": "Démenti officiel."})),
        )
        .await;
    assert_eq!(response.status(), 200);
    let since = before_change.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let recent = read_feed(&app, &format!("/v1/claimreview?updated_since={since}")).await;
    let ids: Vec<&str> = recent.iter().map(|r| r["identifier"].as_str().expect("identifier")).collect();
    assert_eq!(ids, [id(&disputed)]);
    assert_eq!(recent[0]["reviewRating"]["alternateName"], "Faux");

    // Over gRPC: the same document.
    let mut client = app.grpc().await;
    let answer = client
        .list_claim_reviews(pb::ListClaimReviewsRequest { status: pb::ClaimStatus::False.into(), ..Default::default() })
        .await
        .expect("answered")
        .into_inner();
    assert!(answer.next_page_token.is_empty());
    let feed: Value = serde_json::from_str(&answer.json_ld).expect("JSON-LD");
    assert_eq!(feed["dataFeedElement"].as_array().expect("elements").len(), 2, "{feed}");
}

async fn the_feed_refuses_what_is_no_verdict(app: TestApp) {
    for query in
        ["status=in_review", "status=unverified", "status=bogus", "page_size=0", "page_token=garbage", "colour=red"]
    {
        let body = problem(app.get(&format!("/v1/claimreview?{query}")).await, 400).await;
        assert!(body["code"] == "validation_failed" || body["code"] == "invalid_query", "{query}: {body}");
    }
    let body = problem(app.get("/v1/claimreview?status=in_review").await, 400).await;
    assert_eq!(body["errors"][0]["field"], "status", "{body}");
}

claimdesk_tests::on_both_backends!(
    a_verdict_is_published_as_claimreview,
    an_unverifiable_claim_is_named_without_a_value,
    no_verdict_no_review,
    the_feed_pages_through_the_reviewed_claims_oldest_change_first,
    the_feed_refuses_what_is_no_verdict,
);
