//! Submitting, reading and listing claims over REST and gRPC, against real servers.

use claimdesk_proto::v1 as pb;
use claimdesk_tests::{TestApp, problem, problem_fields, venezuela_claim};
use serde_json::{Value, json};

async fn a_claim_submitted_over_rest_reads_back_over_rest_and_grpc(app: TestApp) {
    let response = app.post_json("/v1/claims", &venezuela_claim()).await;
    assert_eq!(response.status(), 201);
    let location = response.headers()["location"].to_str().expect("ascii").to_owned();
    let etag = response.headers()["etag"].to_str().expect("ascii").to_owned();
    let created: Value = response.json().await.expect("json");

    let id = created["id"].as_str().expect("id");
    assert_eq!(location, format!("/v1/claims/{id}"));
    assert_eq!(
        etag,
        format!("\"{}\"", created["etag"].as_str().expect("etag")),
        "the header and the body name one ETag"
    );
    assert!(etag.starts_with("\"1-"), "the ETag starts with the version: {etag}");
    assert_eq!(uuid_version(id), 7);
    assert_eq!(created["status"], "unverified");
    assert_eq!(created["version"], 1);
    assert_eq!(created["text"], venezuela_claim()["text"]);
    assert_eq!(created["language"], "fr");
    assert_eq!(created["claimant"]["name"], "The Washington Post");
    assert_eq!(created["claimant"]["kind"], "news_outlet");
    assert_eq!(created["sourcing"]["level"], "unsourced");
    assert_eq!(created["claimed_at"], "2025-10");
    assert_eq!(created["context"], venezuela_claim()["context"]);
    assert_eq!(created["tags"], json!(["venezuela", "russie"]));
    assert_eq!(created["created_at"], created["updated_at"]);
    assert!(created["created_at"].as_str().expect("time").ends_with('Z'));

    let read = app.get(&location).await;
    assert_eq!(read.status(), 200);
    assert_eq!(read.headers()["etag"], etag.as_str());
    assert_eq!(read.json::<Value>().await.expect("json"), created);

    let claim = app.grpc().await.get_claim(pb::GetClaimRequest { id: id.to_owned() }).await.expect("found");
    let claim = claim.into_inner();
    assert_eq!(claim.id, id);
    assert_eq!(claim.text, created["text"].as_str().expect("text"));
    assert_eq!(claim.status(), pb::ClaimStatus::Unverified);
    assert_eq!(claim.claimant.map(|c| c.name).as_deref(), Some("The Washington Post"));
    assert_eq!(claim.claimed_at.as_deref(), Some("2025-10"));
    assert_eq!(claim.tags, ["venezuela", "russie"]);
    assert_eq!(claim.version, 1);
}

async fn a_claim_submitted_over_grpc_reads_back_over_rest(app: TestApp) {
    let claim = app
        .grpc()
        .await
        .create_claim(pb::CreateClaimRequest {
            text: "« Nous sommes en contact avec nos amis vénézuéliens »".into(),
            language: "FR-fr".into(),
            claimant: Some("Dmitri Peskov".into()),
            claimed_at: Some("2025-10-26T09:30:00+03:00".into()),
            context: Some("Déclaration à l'agence TASS".into()),
            tags: vec!["Kremlin".into()],
            ..Default::default()
        })
        .await
        .expect("created")
        .into_inner();
    assert_eq!(claim.language, "fr-FR");
    assert_eq!(claim.claimed_at.as_deref(), Some("2025-10-26T06:30:00Z"));

    let read: Value = app.get(&format!("/v1/claims/{}", claim.id)).await.json().await.expect("json");
    assert_eq!(read["id"], claim.id);
    assert_eq!(read["text"], claim.text);
    assert_eq!(read["language"], "fr-FR");
    assert_eq!(read["claimant"]["name"], "Dmitri Peskov");
    assert_eq!(read["claimant"]["kind"], "person", "a claimant named without a kind is a person");
    assert_eq!(read["claimed_at"], "2025-10-26T06:30:00Z");
    assert_eq!(read["tags"], json!(["kremlin"]));
    assert_eq!(read["status"], "unverified");
}

async fn if_none_match_with_the_current_etag_answers_304(app: TestApp) {
    let created = app.post_json("/v1/claims", &venezuela_claim()).await;
    let location = created.headers()["location"].to_str().expect("ascii").to_owned();
    let etag = created.headers()["etag"].to_str().expect("ascii").to_owned();
    let unchanged = app.http.get(app.url(&location)).header("if-none-match", &etag).send().await.expect("sent");
    assert_eq!(unchanged.status(), 304);
    let listed = format!("\"7-0000000000000000\", {etag}");
    let among = app.http.get(app.url(&location)).header("if-none-match", listed).send().await.expect("sent");
    assert_eq!(among.status(), 304, "any listed tag may match");
    let any = app.http.get(app.url(&location)).header("if-none-match", "*").send().await.expect("sent");
    assert_eq!(any.status(), 304, "* matches whatever is current");
    for other in ["\"1\"", "\"7-0000000000000000\""] {
        let response = app.http.get(app.url(&location)).header("if-none-match", other).send().await.expect("sent");
        assert_eq!(response.status(), 200, "{other}");
    }
}

async fn listing_pages_through_every_claim_newest_first(app: TestApp) {
    let mut ids = Vec::new();
    for i in 0..7 {
        let body = json!({"text": format!("claim {i}"), "language": "en"});
        let created: Value = app.post_json("/v1/claims", &body).await.json().await.expect("json");
        ids.push(created["id"].as_str().expect("id").to_owned());
    }
    ids.reverse();

    let mut seen = Vec::new();
    let mut path = "/v1/claims?page_size=3".to_owned();
    let mut pages = 0;
    loop {
        let response = app.get(&path).await;
        assert_eq!(response.status(), 200);
        let link = response.headers().get("link").map(|v| v.to_str().expect("ascii").to_owned());
        let page: Value = response.json().await.expect("json");
        pages += 1;
        let claims = page["claims"].as_array().expect("claims");
        assert!(claims.len() <= 3);
        seen.extend(claims.iter().map(|c| c["id"].as_str().expect("id").to_owned()));
        match page["next_page_token"].as_str() {
            Some(token) => {
                let link = link.expect("a Link header on every page but the last");
                assert!(link.ends_with("; rel=\"next\""), "{link}");
                assert!(link.contains(token));
                path = format!("/v1/claims?page_size=3&page_token={token}");
            }
            None => {
                assert!(link.is_none());
                break;
            }
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, ids, "every claim once, newest first");

    let default_page: Value = app.get("/v1/claims").await.json().await.expect("json");
    assert_eq!(default_page["claims"].as_array().map(Vec::len), Some(7));
    assert!(default_page["next_page_token"].is_null());
}

async fn listing_filters_combine(app: TestApp) {
    let claims = [
        json!({"text": "a", "language": "fr", "claimant": "The Washington Post", "claimed_at": "2025-05", "tags": ["venezuela"]}),
        json!({"text": "b", "language": "fr-CA", "claimant": "TASS", "claimed_at": "2025-05-18", "tags": ["russie", "venezuela"]}),
        json!({"text": "c", "language": "en", "claimant": "washington post", "claimed_at": "2024", "tags": ["usa"]}),
        json!({"text": "d", "language": "en-GB", "tags": []}),
    ];
    let mut wapo = String::new();
    for claim in &claims {
        let response = app.post_json("/v1/claims", claim).await;
        assert_eq!(response.status(), 201);
        let created: Value = response.json().await.expect("json");
        if created["claimant"]["name"] == "The Washington Post" {
            wapo = created["claimant"]["id"].as_str().expect("id").to_owned();
        }
    }
    let texts = |query: String| {
        let app = &app;
        async move {
            let response = app.get(&format!("/v1/claims?{query}")).await;
            assert_eq!(response.status(), 200, "{query}");
            let page: Value = response.json().await.expect("json");
            let mut texts: Vec<String> = page["claims"]
                .as_array()
                .expect("claims")
                .iter()
                .map(|c| c["text"].as_str().expect("text").to_owned())
                .collect();
            texts.sort();
            texts
        }
    };
    assert_eq!(texts("language=fr".to_owned()).await, ["a", "b"]);
    assert_eq!(texts("language=FR-ca".to_owned()).await, ["b"]);
    assert_eq!(texts("language=en".to_owned()).await, ["c", "d"]);
    assert_eq!(texts("tag=Venezuela".to_owned()).await, ["a", "b"]);
    assert_eq!(texts("tag=venezuela&language=fr-CA".to_owned()).await, ["b"]);
    assert_eq!(texts(format!("claimant_id={wapo}")).await, ["a", "c"], "one source under both spellings");
    assert_eq!(texts("status=unverified".to_owned()).await, ["a", "b", "c", "d"]);
    assert!(texts("status=confirmed".to_owned()).await.is_empty());
    // Claimed ranges match overlapping periods: "2025-05" overlaps the day 2025-05-18 and the year 2025.
    assert_eq!(texts("claimed_from=2025-05-10".to_owned()).await, ["a", "b"]);
    assert_eq!(texts("claimed_to=2024-12".to_owned()).await, ["c"]);
    assert_eq!(texts("claimed_from=2025&claimed_to=2025".to_owned()).await, ["a", "b"]);
    assert!(texts("claimed_from=2026".to_owned()).await.is_empty());
    assert_eq!(texts("created_from=2000-01-01T00:00:00Z".to_owned()).await, ["a", "b", "c", "d"]);
    assert!(texts("created_to=2000-01-01T00:00:00Z".to_owned()).await.is_empty());
}

async fn listing_over_grpc_matches_rest(app: TestApp) {
    for i in 0..3 {
        app.post_json("/v1/claims", &json!({"text": format!("c{i}"), "language": "es", "tags": ["t"]})).await;
    }
    let mut grpc = app.grpc().await;
    let first = grpc
        .list_claims(pb::ListClaimsRequest { page_size: Some(2), tag: Some("t".into()), ..Default::default() })
        .await
        .expect("listed")
        .into_inner();
    assert_eq!(first.claims.len(), 2);
    assert!(!first.next_page_token.is_empty());
    let second = grpc
        .list_claims(pb::ListClaimsRequest {
            page_size: Some(2),
            page_token: Some(first.next_page_token.clone()),
            ..Default::default()
        })
        .await
        .expect("listed")
        .into_inner();
    assert_eq!(second.claims.len(), 1);
    assert!(second.next_page_token.is_empty());

    let rest: Value = app.get("/v1/claims").await.json().await.expect("json");
    let rest_ids: Vec<&str> =
        rest["claims"].as_array().expect("claims").iter().filter_map(|c| c["id"].as_str()).collect();
    let grpc_ids: Vec<&str> = first.claims.iter().chain(&second.claims).map(|c| c.id.as_str()).collect();
    assert_eq!(rest_ids, grpc_ids);
}

async fn lists_read_oldest_first_when_asked(app: TestApp) {
    for i in 0..5 {
        app.post_json("/v1/claims", &json!({"text": format!("claim {i}"), "language": "en"})).await;
    }
    let texts = |page: &Value| -> Vec<String> {
        page["claims"]
            .as_array()
            .expect("claims")
            .iter()
            .map(|c| c["text"].as_str().expect("text").to_owned())
            .collect()
    };
    let first = app.json("/v1/claims?order=oldest_first&page_size=2").await;
    assert_eq!(texts(&first), ["claim 0", "claim 1"]);
    let token = first["next_page_token"].as_str().expect("more");
    let second = app.json(&format!("/v1/claims?order=oldest_first&page_size=2&page_token={token}")).await;
    assert_eq!(texts(&second), ["claim 2", "claim 3"]);
    let newest = app.json("/v1/claims?order=newest_first&page_size=2").await;
    assert_eq!(texts(&newest), ["claim 4", "claim 3"]);
    assert_eq!(texts(&app.json("/v1/claims?page_size=2").await), texts(&newest), "newest first by default");

    // A token continues its own order only; a search has no order but the best match.
    let newest_token = newest["next_page_token"].as_str().expect("more");
    let mixed = app.get(&format!("/v1/claims?order=oldest_first&page_token={newest_token}")).await;
    assert_eq!(problem_fields(&problem(mixed, 400).await), ["page_token"]);
    let search = app.get("/v1/claims?q=claim&order=oldest_first").await;
    assert_eq!(problem_fields(&problem(search, 400).await), ["order"]);

    // Over gRPC, the same order.
    let listed = app
        .grpc()
        .await
        .list_claims(pb::ListClaimsRequest {
            page_size: Some(1),
            order: pb::ClaimOrder::OldestFirst.into(),
            ..Default::default()
        })
        .await
        .expect("listed")
        .into_inner();
    assert_eq!(listed.claims[0].text, "claim 0");
    let refused = app
        .grpc()
        .await
        .list_claims(pb::ListClaimsRequest { order: 7, ..Default::default() })
        .await
        .expect_err("unknown order");
    assert_eq!(refused.code(), tonic::Code::InvalidArgument);
}

async fn a_claim_is_submitted_with_its_statements_in_one_request(app: TestApp) {
    let herald = app.source(json!({"name": "Miami Herald", "kind": "news_outlet"})).await;
    let wsj = app.source(json!({"name": "The Wall Street Journal", "kind": "news_outlet"})).await;
    let trump = app.source(json!({"name": "Donald Trump", "kind": "person"})).await;
    let unknown = "01964b6e-7a4f-7c3e-9d2a-5b8c1e0f3a47";
    let mut body = json!({
        "text": "Les États-Unis se préparaient à bombarder des installations militaires au Venezuela",
        "language": "fr",
        "claimant": "Sources proches de l'administration Trump",
        "claimant_kind": "anonymous",
        "attributions": [
            {"speaker_id": herald, "stance": "asserts", "published_at": "2025-10-31"},
            {"speaker_id": unknown, "stance": "asserts", "relay_ids": [wsj]},
            {"speaker_id": trump, "stance": "believes"}
        ]
    });
    let refused = problem(app.post_json("/v1/claims", &body).await, 400).await;
    assert_eq!(refused["code"], "invalid_body", "an unknown stance is a shape error: {refused}");
    body["attributions"][2]["stance"] = json!("denies");
    let refused = problem(app.post_json("/v1/claims", &body).await, 400).await;
    assert_eq!(problem_fields(&refused), ["attributions[1].speaker_id"], "{refused}");
    assert_eq!(app.json("/v1/claims").await["claims"], json!([]), "nothing stored for a refused claim");
    assert_eq!(app.json("/v1/sources").await["sources"].as_array().map(Vec::len), Some(3), "nor its claimant");

    body["attributions"][1]["speaker_id"] = json!(wsj);
    body["attributions"][1]["relay_ids"] = json!([]);
    let created = app.claim(body).await;
    assert_eq!(created["version"], 4, "created, then one version per statement");
    assert_eq!(created["sourcing"]["level"], "contested");
    assert_eq!(created["sourcing"]["independent_supporting"], 2);
    let id = created["id"].as_str().expect("id");
    let history = app.json(&format!("/v1/claims/{id}/history")).await;
    let kinds: Vec<&str> =
        history["events"].as_array().expect("events").iter().filter_map(|e| e["change"]["kind"].as_str()).collect();
    assert_eq!(kinds, ["created", "attribution_added", "attribution_added", "attribution_added"]);
    let attributions = app.json(&format!("/v1/claims/{id}/attributions")).await;
    let speakers: Vec<&str> = attributions["attributions"]
        .as_array()
        .expect("attributions")
        .iter()
        .filter_map(|a| a["speaker_id"].as_str())
        .collect();
    assert_eq!(speakers, [herald.as_str(), wsj.as_str(), trump.as_str()], "in the order sent");
    assert_eq!(app.json(&format!("/v1/claims/{id}")).await["etag"], created["etag"]);
}

fn uuid_version(id: &str) -> u32 {
    id.chars().nth(14).and_then(|c| c.to_digit(16)).expect("uuid")
}

claimdesk_tests::on_both_backends!(
    lists_read_oldest_first_when_asked,
    a_claim_submitted_over_rest_reads_back_over_rest_and_grpc,
    a_claim_submitted_over_grpc_reads_back_over_rest,
    if_none_match_with_the_current_etag_answers_304,
    listing_pages_through_every_claim_newest_first,
    listing_filters_combine,
    listing_over_grpc_matches_rest,
    a_claim_is_submitted_with_its_statements_in_one_request
);
