//! `POST /v1/import/claimreview` and gRPC `ImportClaimReviews`: other publishers' ClaimReview,
//! from the published pages in `tests/fixtures/claimreview/`, into claims.

use claimdesk_proto::v1 as pb;
use claimdesk_tests::{TestApp, problem};
use reqwest::Method;
use serde_json::{Value, json};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/claimreview");

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{FIXTURES}/{name}")).expect("fixture")
}

async fn send(app: &TestApp, content_type: &str, body: Vec<u8>) -> reqwest::Response {
    app.http
        .post(app.url("/v1/import/claimreview"))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("request sent")
}

async fn import(app: &TestApp, content_type: &str, body: Vec<u8>) -> Value {
    let response = send(app, content_type, body).await;
    assert_eq!(response.status(), 200);
    response.json().await.expect("report")
}

/// How many claims the desk holds (lists are at most 100 a page; the tests hold fewer).
async fn claim_count(app: &TestApp) -> usize {
    app.json("/v1/claims?page_size=100").await["claims"].as_array().expect("claims").len()
}

fn one_review(text: &str, url: &str, label: &str) -> Value {
    json!({
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "url": url,
        "claimReviewed": text,
        "inLanguage": "fr",
        "datePublished": "2025-10-28",
        "author": {"@type": "Organization", "name": "Les Vérificateurs", "url": "https://verif.example.org/"},
        "itemReviewed": {
            "@type": "Claim",
            "author": {"@type": "Person", "name": "Un internaute"},
            "datePublished": "2025-10-25",
            "appearance": [{"@type": "CreativeWork", "url": "https://social.example.com/post/1", "datePublished": "2025-10-25"}],
        },
        "reviewRating": {"@type": "Rating", "alternateName": label},
    })
}

async fn an_afp_page_becomes_a_claim_with_its_verdict_once(app: TestApp) {
    let report = import(&app, "text/html; charset=utf-8", fixture("afp-factuel-page.html")).await;
    assert_eq!((report["created"].as_u64(), report["skipped"].as_u64()), (Some(1), Some(0)), "{report}");
    let item = &report["items"][0];
    assert_eq!(item["outcome"], "created");
    assert_eq!(item["publisher"], "AFP");
    assert_eq!(item["label"], "Faux");
    assert_eq!(item["verdict"], "false");
    assert_eq!(item["review_key"], "https://factuel.afp.com/doc.afp.com.9XC9W4");
    let id = item["claim_id"].as_str().expect("claim id").to_owned();

    let claim = app.json(&format!("/v1/claims/{id}")).await;
    assert_eq!(claim["text"], "Le Mali a rompu ses relations diplomatiques avec la France");
    assert_eq!(claim["language"], "fr");
    assert_eq!(claim["status"], "false");
    assert_eq!(claim["claimed_at"], "2022-01-24");
    assert_eq!(claim["claimant"]["name"], "Sources multiples");
    let attributions = app.json(&format!("/v1/claims/{id}/attributions")).await;
    let attributions = attributions["attributions"].as_array().expect("attributions");
    let stances: Vec<(&str, &str)> =
        attributions.iter().map(|a| (a["stance"].as_str().expect("stance"), a["url"].as_str().expect("url"))).collect();
    assert_eq!(stances.len(), 2, "{attributions:?}");
    assert_eq!(stances[0].0, "asserts");
    assert!(stances[0].1.starts_with("https://www.facebook.com/"), "{stances:?}");
    assert_eq!(stances[1], ("denies", "https://factuel.afp.com/doc.afp.com.9XC9W4"), "AFP rates it false");
    // The verdict came through in_review, with a note naming the review.
    let history = app.json(&format!("/v1/claims/{id}/history")).await;
    let statuses: Vec<&Value> = history["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["change"]["kind"] == "status_changed")
        .collect();
    assert_eq!(statuses.len(), 2, "{history}");
    assert_eq!(statuses[1]["change"]["to"], "false");
    assert!(
        statuses[1]["change"]["note"].as_str().is_some_and(|n| n.contains("AFP") && n.contains("Faux")),
        "{history}"
    );

    // Again: found by its URL, nothing new.
    let again = import(&app, "text/html", fixture("afp-factuel-page.html")).await;
    assert_eq!(again["unchanged"], 1, "{again}");
    assert_eq!(again["items"][0]["claim_id"], id.as_str());
    assert_eq!(claim_count(&app).await, 1);
}

async fn the_other_published_reviews_are_read(app: TestApp) {
    let report = import(&app, "text/html", fixture("20minutes-page.html")).await;
    assert_eq!(report["created"], 1, "{report}");
    assert_eq!(report["items"][0]["verdict"], "false", "really_false");
    assert_eq!(report["items"][0]["publisher"], "20 minutes");

    let report = import(&app, "application/json", fixture("datacommons-feed-item.json")).await;
    assert_eq!(report["created"], 1, "{report}");
    let item = &report["items"][0];
    assert!(item.get("verdict").is_none(), "a sentence maps to no verdict: {item}");
    assert!(item["warnings"].as_array().is_some_and(|w| !w.is_empty()), "{item}");
    let claim = app.json(&format!("/v1/claims/{}", item["claim_id"].as_str().expect("id"))).await;
    assert_eq!(claim["status"], "unverified");
    assert_eq!(claim["language"], "de");
    assert_eq!(claim["claimant"]["name"], "Irmin Suhl");
}

async fn a_changed_review_updates_its_claim_unless_the_desk_decided_since(app: TestApp) {
    let text = "Le Venezuela a reçu des bombardiers russes";
    let url = "https://verif.example.org/2025/bombardiers";
    let first = import(&app, "application/ld+json", one_review(text, url, "Trompeur").to_string().into_bytes()).await;
    let id = first["items"][0]["claim_id"].as_str().expect("id").to_owned();
    assert_eq!(app.json(&format!("/v1/claims/{id}")).await["status"], "disputed");

    let second = import(&app, "application/ld+json", one_review(text, url, "Faux").to_string().into_bytes()).await;
    assert_eq!(second["updated"], 1, "{second}");
    assert_eq!(second["items"][0]["claim_id"], id.as_str());
    assert_eq!(app.json(&format!("/v1/claims/{id}")).await["status"], "false", "follows the publisher");

    // The desk reopens it; the publisher's next change no longer moves it.
    let tag = app.etag(&format!("/v1/claims/{id}")).await;
    let reopened = app
        .send_if_match(Method::POST, &format!("/v1/claims/{id}/status"), &tag, Some(&json!({"status": "in_review"})))
        .await;
    assert_eq!(reopened.status(), 200);
    let third =
        import(&app, "application/ld+json", one_review(text, url, "Invérifiable").to_string().into_bytes()).await;
    assert_eq!(third["updated"], 1, "{third}");
    assert!(third["items"][0]["warnings"].to_string().contains("the desk changed it"), "{third}");
    assert_eq!(app.json(&format!("/v1/claims/{id}")).await["status"], "in_review");
    assert_eq!(claim_count(&app).await, 1);
}

async fn a_review_of_a_stored_claim_is_linked_to_it(app: TestApp) {
    let text = "Nicolás Maduro a demandé l'aide militaire de la Russie face aux États-Unis";
    let stored = app.claim(json!({"text": text, "language": "fr"})).await;
    let id = stored["id"].as_str().expect("id");
    let review = one_review(text, "https://verif.example.org/2025/maduro", "Plutôt vrai");
    let report = import(&app, "application/ld+json", review.to_string().into_bytes()).await;
    assert_eq!(report["linked"], 1, "{report}");
    let item = &report["items"][0];
    assert_eq!(item["claim_id"], id);
    assert!(item["score"].as_f64().is_some_and(|s| s >= 0.8), "{item}");
    let claim = app.json(&format!("/v1/claims/{id}")).await;
    assert_eq!(claim["status"], "unverified", "the desk's status is its own");
    let attributions = app.json(&format!("/v1/claims/{id}/attributions")).await;
    assert_eq!(attributions["attributions"][0]["stance"], "confirms");
    assert_eq!(attributions["attributions"][0]["url"], "https://verif.example.org/2025/maduro");
    assert_eq!(claim_count(&app).await, 1);
}

async fn bad_documents_are_refused_and_bad_reviews_skipped_alone(app: TestApp) {
    for (content_type, body, status) in [
        ("application/ld+json", b"{\"@type\": \"ClaimReview\", oops".to_vec(), 400),
        ("application/ld+json", br#"{"@type": "NewsArticle", "headline": "x"}"#.to_vec(), 400),
        ("text/html", b"<html><body><p>Pas de ClaimReview ici</p></body></html>".to_vec(), 400),
        ("application/ld+json", b"{\"claimReviewed\": \"\xff\xfe\"}".to_vec(), 400),
        ("text/plain", b"{}".to_vec(), 415),
        ("application/ld+json", vec![b' '; 10 * 1024 * 1024 + 1], 413),
    ] {
        let response = send(&app, content_type, body).await;
        let answer = problem(response, status).await;
        assert!(answer["detail"].as_str().is_some_and(|d| !d.is_empty()), "{answer}");
    }
    assert_eq!(claim_count(&app).await, 0, "nothing written");

    let mut outside = one_review("Une affirmation notée hors échelle", "https://verif.example.org/x", "Faux");
    outside["reviewRating"] = json!({"@type": "Rating", "ratingValue": 9, "bestRating": 5, "worstRating": 1});
    let mut too_long = one_review(&"mot ".repeat(3000), "https://verif.example.org/long", "Faux");
    too_long["itemReviewed"]["author"]["name"] = json!("x".repeat(400));
    let good = one_review("Une affirmation correcte à importer", "https://verif.example.org/ok", "Faux");
    let graph = json!({"@context": "https://schema.org", "@graph": [outside, too_long, good]});
    let report = import(&app, "application/ld+json", graph.to_string().into_bytes()).await;
    assert_eq!((report["created"].as_u64(), report["skipped"].as_u64()), (Some(1), Some(2)), "{report}");
    let skipped: Vec<&Value> =
        report["items"].as_array().expect("items").iter().filter(|i| i["outcome"] == "skipped").collect();
    assert!(skipped.iter().any(|i| i["reason"].as_str().is_some_and(|r| r.contains("outside its scale"))), "{report}");
    assert!(skipped.iter().any(|i| i["reason"].as_str().is_some_and(|r| r.contains("text"))), "{report}");
    assert_eq!(claim_count(&app).await, 1, "only the good review");

    // More reviews than a request takes: refused whole, pointing at the command line.
    let many: Vec<Value> = (0..501)
        .map(|i| one_review(&format!("Affirmation numéro {i}"), &format!("https://verif.example.org/{i}"), "Faux"))
        .collect();
    let answer =
        problem(send(&app, "application/ld+json", Value::Array(many).to_string().into_bytes()).await, 400).await;
    assert!(answer.to_string().contains("claimdesk import claimreview"), "{answer}");
    assert_eq!(claim_count(&app).await, 1, "nothing written");
}

async fn grpc_imports_the_same_way(app: TestApp) {
    let mut client = app.grpc().await;
    let report = client
        .import_claim_reviews(pb::ImportClaimReviewsRequest {
            document: fixture("afp-factuel-page.html"),
            content_type: String::new(),
        })
        .await
        .expect("imported")
        .into_inner();
    assert_eq!(report.created, 1);
    assert_eq!(report.items[0].outcome(), pb::ImportOutcome::Created);
    assert_eq!(report.items[0].verdict(), pb::ClaimStatus::False);
    for (document, content_type) in [(&b"not json"[..], "application/json"), (b"{}", "text/csv")] {
        let request = pb::ImportClaimReviewsRequest { document: document.to_vec(), content_type: content_type.into() };
        let refused = client.import_claim_reviews(request).await.expect_err("refused");
        assert_eq!(refused.code(), tonic::Code::InvalidArgument, "{content_type}");
    }
}

/// `ImportClaims` streams JSONL lines: the good ones are stored, the bad ones reported by
/// number, and the same lines again store nothing twice.
async fn bulk_lines_stream_in_over_grpc(app: TestApp) {
    let source_id = "01964b6e-7a4f-7c3e-9d2a-5b8c1e0f3a47";
    let lines = [
        json!({"type": "source", "id": source_id, "name": "Miami Herald", "kind": "news_outlet"}).to_string(),
        "{broken".to_owned(),
        json!({"text": "Les États-Unis préparaient des frappes au Venezuela", "language": "fr", "claimant_id": source_id,
            "tags": ["venezuela"], "status": "disputed",
            "attributions": [{"speaker_id": source_id, "stance": "asserts", "url": "https://www.miamiherald.com/x"}]})
        .to_string(),
        json!({"text": "", "language": "fr"}).to_string(),
    ];
    let send = |lines: Vec<String>| {
        let app = &app;
        async move {
            let mut client = app.grpc().await;
            // Two messages: lines may arrive in any grouping.
            let messages: Vec<pb::ImportClaimsRequest> = lines
                .chunks(2)
                .enumerate()
                .map(|(chunk, group)| pb::ImportClaimsRequest {
                    lines: group
                        .iter()
                        .enumerate()
                        .map(|(i, l)| pb::ImportLine {
                            number: (chunk * 2 + i + 1) as u64,
                            json: l.clone().into_bytes(),
                        })
                        .collect(),
                })
                .collect();
            client.import_claims(tokio_stream::iter(messages)).await.expect("imported").into_inner()
        }
    };
    let first = send(lines.to_vec()).await;
    assert_eq!((first.created, first.rejected), (2, 2), "{first:?}");
    let rejected: Vec<u64> = first.rejections.iter().map(|r| r.number).collect();
    assert_eq!(rejected, [2, 4]);
    assert!(first.rejections[1].reason.contains("text"), "{first:?}");
    let claims = app.json("/v1/claims").await;
    let claim = &claims["claims"][0];
    assert_eq!(claim["status"], "disputed");
    assert_eq!(claim["claimant"]["name"], "Miami Herald");
    assert_eq!(claim["sourcing"]["independent_supporting"], 1, "{claim}");
    // The change feed and the history see the claim as if it had been made here.
    let history = app.json(&format!("/v1/claims/{}/history", claim["id"].as_str().expect("id"))).await;
    assert_eq!(history["events"].as_array().map(Vec::len), Some(4), "created, attributed, in_review, disputed");

    let again = send(lines.to_vec()).await;
    assert_eq!((again.created, again.unchanged), (0, 2), "{again:?}");
    assert_eq!(claim_count(&app).await, 1);
}

claimdesk_tests::on_both_backends!(
    bulk_lines_stream_in_over_grpc,
    an_afp_page_becomes_a_claim_with_its_verdict_once,
    the_other_published_reviews_are_read,
    a_changed_review_updates_its_claim_unless_the_desk_decided_since,
    a_review_of_a_stored_claim_is_linked_to_it,
    bad_documents_are_refused_and_bad_reviews_skipped_alone,
    grpc_imports_the_same_way,
);
