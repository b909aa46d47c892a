//! What a claim read shows: an ETag that changes whenever the representation does (a source's
//! edit included), sourcing that reads byte-identical every time, and storage failures that
//! keep their own class instead of blaming the client.

use claimdesk_proto::v1 as pb;
use claimdesk_tests::{Backend, TestApp, etag_of, problem};
use reqwest::Method;
use serde_json::{Value, json};
use tonic::Code;
use tonic_types::StatusExt;

async fn a_source_edit_changes_the_etag_of_every_claim_that_shows_it(app: TestApp) {
    let wapo = app.source(json!({"name": "The Washington Post", "kind": "news_outlet"})).await;
    let created =
        app.claim(json!({"text": "Maduro a demandé l'aide de la Russie", "language": "fr", "claimant_id": wapo})).await;
    let id = created["id"].as_str().expect("id");
    let path = format!("/v1/claims/{id}");
    let tag = app
        .attribute(id, created["etag"].as_str().expect("etag"), json!({"speaker_id": wapo, "stance": "asserts"}))
        .await;
    let review =
        app.send_if_match(Method::POST, &format!("{path}/status"), &tag, Some(&json!({"status": "in_review"}))).await;
    assert_eq!(review.status(), 200);
    let seen = etag_of(&review);
    let before: Value = review.json().await.expect("json");
    assert_eq!(
        (before["sourcing"]["level"].as_str(), before["sourcing"]["anonymous_only"].as_bool()),
        (Some("single_source"), Some(false))
    );

    // Unchanged: 304 for the tag the editor holds.
    let unchanged =
        app.http.get(app.url(&path)).header("if-none-match", format!("\"{seen}\"")).send().await.expect("sent");
    assert_eq!(unchanged.status(), 304);

    // Someone reclassifies the speaker: the claim's version stays, what it shows does not.
    let source = format!("/v1/sources/{wapo}");
    let edited = app
        .send_if_match(
            Method::PATCH,
            &source,
            1,
            Some(
                &json!({"kind": "anonymous", "name": "Un diplomate", "descriptor": "un diplomate en poste à Caracas"}),
            ),
        )
        .await;
    assert_eq!(edited.status(), 200);

    let fresh = app.http.get(app.url(&path)).header("if-none-match", format!("\"{seen}\"")).send().await.expect("sent");
    assert_eq!(fresh.status(), 200, "an old tag must not vouch for the new sourcing");
    let now = etag_of(&fresh);
    let after: Value = fresh.json().await.expect("json");
    assert_ne!(now, seen);
    assert_eq!(after["version"], before["version"], "no change was made to the claim itself");
    assert_eq!(after["etag"], now.as_str());
    assert_eq!(after["sourcing"]["anonymous_only"], true);
    assert_eq!(after["claimant"]["name"], "Un diplomate");

    // A verdict made against the old picture is refused, naming the current tag; nothing is written.
    let verdict = json!({"status": "unverifiable", "note": "One named outlet only"});
    let stale = app.send_if_match(Method::POST, &format!("{path}/status"), &seen, Some(&verdict)).await;
    let stale = problem(stale, 412).await;
    assert_eq!(stale["code"], "version_mismatch");
    assert_eq!(
        (stale["current_version"].as_i64(), stale["current_etag"].as_str()),
        (after["version"].as_i64(), Some(now.as_str()))
    );
    assert_eq!(app.json(&path).await["status"], "in_review", "nothing written");
    // Re-read, then decide: accepted.
    let decided = app.send_if_match(Method::POST, &format!("{path}/status"), &now, Some(&verdict)).await;
    assert_eq!(decided.status(), 200);
    let decided_tag = etag_of(&decided);

    // gRPC clients get the same tag and the same guarantee.
    let mut grpc = app.grpc().await;
    let read = grpc.get_claim(pb::GetClaimRequest { id: id.to_owned() }).await.expect("read").into_inner();
    assert_eq!(read.etag, decided_tag, "gRPC and REST name one representation alike");
    let refused = grpc
        .set_status(pb::SetStatusRequest {
            claim_id: id.to_owned(),
            expected_version: 0,
            status: pb::ClaimStatus::InReview.into(),
            note: None,
            etag: now.clone(),
        })
        .await
        .expect_err("a stale etag");
    assert_eq!(refused.code(), Code::FailedPrecondition);
    let info = refused.get_details_error_info().expect("error info");
    assert_eq!((info.reason.as_str(), info.metadata.get("current_etag")), ("version_mismatch", Some(&decided_tag)));
    let reopened = grpc
        .set_status(pb::SetStatusRequest {
            claim_id: id.to_owned(),
            expected_version: 0,
            status: pb::ClaimStatus::InReview.into(),
            note: None,
            etag: decided_tag.clone(),
        })
        .await
        .expect("a current etag")
        .into_inner();
    assert_ne!(reopened.etag, decided_tag);
    let list = app.json("/v1/claims").await;
    assert_eq!(list["claims"][0]["etag"], reopened.etag.as_str(), "lists carry each claim's tag");
}

async fn the_same_data_gives_byte_identical_sourcing_every_time(app: TestApp) {
    let mut names = Vec::new();
    let mut speakers = Vec::new();
    for name in ["Agence Alpha", "Bravo Presse", "Charlie Hebdo"] {
        speakers.push(app.source(json!({"name": name, "kind": "news_outlet"})).await);
        names.push(name);
    }
    let created = app.claim(json!({"text": "Treize navires de guerre croisent au large", "language": "fr"})).await;
    let id = created["id"].as_str().expect("id");
    let mut tag = created["etag"].as_str().expect("etag").to_owned();
    for speaker in &speakers {
        tag = app.attribute(id, &tag, json!({"speaker_id": speaker, "stance": "asserts"})).await;
    }
    // Editing the first statement rewrites its row (on PostgreSQL, a new tuple at the heap's
    // end): its place in the explanation must not move.
    let attributions = app.json(&format!("/v1/claims/{id}/attributions")).await;
    let first = attributions["attributions"][0]["id"].as_str().expect("id");
    let body = json!({"speaker_id": speakers[0], "stance": "asserts", "quote": "treize navires"});
    let edited =
        app.send_if_match(Method::PUT, &format!("/v1/claims/{id}/attributions/{first}"), &tag, Some(&body)).await;
    assert_eq!(edited.status(), 200);

    let expected = "3 independent sources support the claim: Agence Alpha, Bravo Presse, Charlie Hebdo. \
                    Level confirmed: at least 3 independent supporting sources.";
    let mut seen = Vec::new();
    for _ in 0..5 {
        let response = app.get(&format!("/v1/claims/{id}")).await;
        let tag = etag_of(&response);
        let claim: Value = response.json().await.expect("json");
        assert_eq!(claim["sourcing"]["explanation"], expected, "the same words on both backends");
        seen.push((tag, serde_json::to_string(&claim["sourcing"]).expect("json")));
    }
    seen.dedup();
    assert_eq!(seen.len(), 1, "byte-identical sourcing and tag on every read");
    let sourcing = app.json(&format!("/v1/claims/{id}/sourcing")).await;
    let embedded: Value = serde_json::from_str(&seen[0].1).expect("json");
    assert_eq!(sourcing, embedded, "the sourcing route says exactly what the claim embeds");
}

async fn a_claimant_the_storage_cannot_resolve_is_not_blamed_on_the_client(app: TestApp) {
    let wapo = app.source(json!({"name": "The Washington Post", "kind": "news_outlet"})).await;
    // The token check is cached, so the request reaches the claimant lookup; make it fail.
    app.get("/v1/claims").await;
    app.sql("ALTER TABLE sources RENAME TO sources_elsewhere").await;
    let response = app.post_json("/v1/claims", &json!({"text": "x", "language": "fr", "claimant_id": wapo})).await;
    let body = problem(response, 500).await;
    assert_eq!(body["code"], "internal", "a storage failure, not 'no source has id'");
    assert!(!body["detail"].as_str().unwrap_or_default().contains(&wapo), "{body}");
    app.sql("ALTER TABLE sources_elsewhere RENAME TO sources").await;
    assert_eq!(app.json("/v1/claims").await["claims"], json!([]), "nothing half-written");
}

/// Each core keeps a cache of claim views; a change made through another instance must show
/// at once, whether it changed the claim or a source it shows.
async fn a_change_through_another_core_is_seen_at_once(app: TestApp) {
    use claimdesk_proto::v1::{claim_service_client::ClaimServiceClient, source_service_client::SourceServiceClient};
    let tass = app.source(json!({"name": "TASS", "kind": "news_agency"})).await;
    let created = app
        .claim(json!({"text": "Nous sommes en contact", "language": "fr", "attributions": [{"speaker_id": tass, "stance": "asserts"}]}))
        .await;
    let id = created["id"].as_str().expect("id");
    let path = format!("/v1/claims/{id}");
    for _ in 0..2 {
        assert_eq!(app.json(&path).await["sourcing"]["level"], "single_source", "read, and cached, by the first core");
    }
    assert_eq!(app.json("/v1/claims").await["claims"][0]["etag"], created["etag"]);

    let other = app.another_core().await;
    let mut sources = SourceServiceClient::new(other.channel.clone());
    sources
        .update_source(pb::UpdateSourceRequest {
            id: tass.clone(),
            expected_version: 1,
            source: Some(pb::SourceFields { name: "ТАСС".into(), ..Default::default() }),
            update_mask: Some(prost_types::FieldMask { paths: vec!["name".into()] }),
        })
        .await
        .expect("renamed through the other core");
    let read = app.json(&path).await;
    assert!(read["sourcing"]["explanation"].as_str().unwrap_or_default().contains("ТАСС"), "{read}");
    assert_ne!(read["etag"], created["etag"]);
    let listed = app.json("/v1/claims").await;
    assert_eq!(listed["claims"][0]["etag"], read["etag"], "lists are as fresh as reads");

    let mut claims = ClaimServiceClient::new(other.channel.clone());
    let reviewed = claims
        .set_status(pb::SetStatusRequest {
            claim_id: id.to_owned(),
            expected_version: 0,
            status: pb::ClaimStatus::InReview.into(),
            note: None,
            etag: read["etag"].as_str().expect("etag").to_owned(),
        })
        .await
        .expect("status set through the other core")
        .into_inner();
    let read = app.json(&path).await;
    assert_eq!((read["status"].as_str(), read["etag"].as_str()), (Some("in_review"), Some(reviewed.etag.as_str())));
    assert_eq!(app.json("/v1/claims").await["claims"][0]["status"], "in_review");
}

/// Answers past tonic's default 4 MiB once made claims unreadable (a 400 blaming the client):
/// every answer is bounded below the limits both sides now set, and long lists are paged.
async fn large_claims_and_pages_stay_readable(app: TestApp) {
    let speaker = app.source(json!({"name": "TASS", "kind": "news_agency"})).await;
    let quote = "𝄞".repeat(9_000);
    let attributions: Vec<pb::AttributionFields> = (0..120)
        .map(|i| pb::AttributionFields {
            speaker_id: speaker.clone(),
            stance: pb::Stance::Asserts.into(),
            quote: Some(format!("{i} {quote}")),
            ..Default::default()
        })
        .collect();
    let mut grpc = app.grpc().await;
    let created = grpc
        .create_claim(pb::CreateClaimRequest {
            text: "Nous sommes en contact".into(),
            language: "fr".into(),
            attributions,
            ..Default::default()
        })
        .await
        .expect("a 4 MB request is within core's limit")
        .into_inner();
    assert_eq!(created.version, 121);
    let id = created.id;
    assert_eq!(app.json(&format!("/v1/claims/{id}")).await["version"], 121, "the claim reads back");
    let mut seen = 0;
    let mut path = format!("/v1/claims/{id}/attributions?page_size=100");
    loop {
        let response = app.get(&path).await;
        assert_eq!(response.status(), 200, "{path}");
        let link = response.headers().get("link").map(|l| l.to_str().expect("ascii").to_owned());
        let page: Value = response.json().await.expect("json");
        seen += page["attributions"].as_array().map_or(0, Vec::len);
        match page["next_page_token"].as_str() {
            Some(token) => {
                assert!(link.is_some_and(|l| l.contains("rel=\"next\"")));
                path = format!("/v1/claims/{id}/attributions?page_size=100&page_token={token}");
            }
            None => break,
        }
    }
    assert_eq!(seen, 120, "every statement, page by page");

    // Forty claims of 10,000 + 20,000 four-byte characters: a page of about 5 MB.
    for i in 0..40 {
        let body =
            json!({"text": format!("{i} {}", "𝄞".repeat(9_990)), "language": "fr", "context": "𝄞".repeat(20_000)});
        assert_eq!(app.post_json("/v1/claims", &body).await.status(), 201);
    }
    let page = app.get("/v1/claims?page_size=40").await;
    assert_eq!(page.status(), 200);
    let page: Value = page.json().await.expect("json");
    assert_eq!(page["claims"].as_array().map(Vec::len), Some(40));
}

/// `If-Match: *` (any current representation) and lists of tags (RFC 9110 13.1.1) are
/// honoured on claims and sources; a list without the current tag is 412 naming it.
/// Sends `method` to `path` with `If-Match: if_match`, as written.
async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    if_match: impl AsRef<str>,
    body: Option<&Value>,
) -> reqwest::Response {
    let mut request = app.http.request(method, app.url(path)).header("if-match", if_match.as_ref());
    if let Some(body) = body {
        request = request.json(body);
    }
    request.send().await.expect("sent")
}

async fn if_match_takes_a_star_and_lists(app: TestApp) {
    let claim = app.claim(json!({"text": "x", "language": "fr"})).await;
    let path = format!("/v1/claims/{}", claim["id"].as_str().expect("id"));
    let first = etag_of(&app.get(&path).await);
    let edited = send(&app, Method::PATCH, &path, "*", Some(&json!({"context": "one"}))).await;
    assert_eq!(edited.status(), 200);
    let second = etag_of(&edited);
    let listed = format!("\"{first}\", \"0-0\", \"{second}\"");
    let edited = send(&app, Method::PATCH, &path, &listed, Some(&json!({"context": "two"}))).await;
    assert_eq!(edited.status(), 200, "the list holds the current tag");
    let third = etag_of(&edited);
    let stale =
        send(&app, Method::PATCH, &path, format!("\"{first}\", \"{second}\""), Some(&json!({"context": "3"}))).await;
    let stale = problem(stale, 412).await;
    assert_eq!(stale["current_etag"].as_str(), Some(third.as_str()));
    let weak = send(&app, Method::PATCH, &path, format!("W/\"{third}\""), Some(&json!({"context": "3"}))).await;
    assert_eq!(weak.status(), 412, "If-Match compares strongly");
    assert_eq!(app.json(&path).await["context"], "two");

    let source = app.source(json!({"name": "Agence France-Presse", "kind": "news_agency"})).await;
    let source_path = format!("/v1/sources/{source}");
    let edited = send(&app, Method::PATCH, &source_path, "*", Some(&json!({"aliases": ["AFP"]}))).await;
    assert_eq!(edited.status(), 200);
    let edited = send(&app, Method::PATCH, &source_path, "\"1\", \"2\"", Some(&json!({"aliases": []}))).await;
    assert_eq!(edited.status(), 200);
    // `*` racing itself: every change applies, one after the other, on either backend.
    let racers =
        (0..20).map(|i| {
            let app = &app;
            let path = path.clone();
            async move {
                send(app, Method::PATCH, &path, "*", Some(&json!({"context": format!("racer {i}")}))).await.status()
            }
        });
    let statuses = futures_util::future::join_all(racers).await;
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    assert_eq!(app.json(&path).await["version"], 23);
    for bad in ["*, \"1-0000000000000000\"", "\"a\" \"b\""] {
        let answer = send(&app, Method::PATCH, &path, bad, Some(&json!({"context": "x"}))).await;
        assert_eq!(problem(answer, 400).await["code"], "invalid_if_match", "{bad}");
    }
    let missing =
        send(&app, Method::PATCH, "/v1/claims/01964b6e-7a4f-7c3e-9d2a-5b8c1e0f3a47", "*", Some(&json!({}))).await;
    assert_eq!(missing.status(), 404, "* needs a current representation");
}

/// An added attribution's `Location` answers it, and only under its own claim.
async fn an_attributions_location_answers_it(app: TestApp) {
    let claim = app.claim(json!({"text": "x", "language": "fr"})).await;
    let claim_id = claim["id"].as_str().expect("id");
    let speaker = app.source(json!({"name": "Dmitri Peskov", "kind": "person"})).await;
    let tag = app.etag(&format!("/v1/claims/{claim_id}")).await;
    let body = json!({"speaker_id": speaker, "stance": "context", "quote": "Nous sommes en contact"});
    let added =
        app.send_if_match(Method::POST, &format!("/v1/claims/{claim_id}/attributions"), &tag, Some(&body)).await;
    assert_eq!(added.status(), 201);
    let location = added.headers()["location"].to_str().expect("ascii").to_owned();
    let change: Value = added.json().await.expect("json");
    let read = app.get(&location).await;
    assert_eq!(read.status(), 200, "{location}");
    assert_eq!(read.json::<Value>().await.expect("json"), change["attribution"]);
    let other = app.claim(json!({"text": "y", "language": "fr"})).await;
    let elsewhere = location.replace(claim_id, other["id"].as_str().expect("id"));
    assert_eq!(problem(app.get(&elsewhere).await, 404).await["code"], "not_found");
}

claimdesk_tests::on_both_backends!(
    an_attributions_location_answers_it,
    if_match_takes_a_star_and_lists,
    large_claims_and_pages_stay_readable,
    a_source_edit_changes_the_etag_of_every_claim_that_shows_it,
    the_same_data_gives_byte_identical_sourcing_every_time,
    a_claimant_the_storage_cannot_resolve_is_not_blamed_on_the_client
);

/// PostgreSQL only: several cores share a database there; a SQLite database has one core
/// (a second is refused at start-up, tests/process.rs).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_change_through_another_core_is_seen_at_once() {
    if !claimdesk_tests::postgres_available() {
        return;
    }
    a_change_through_another_core_is_seen_at_once(TestApp::start(claimdesk_tests::Backend::Postgres).await).await;
}

/// PostgreSQL only: SQLite has no server to lose (its busy state is covered by core's storage
/// tests).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_postgres_connection_is_unavailable_then_replaced() {
    if !claimdesk_tests::postgres_available() {
        return;
    }
    let app = TestApp::start(Backend::Postgres).await;
    app.get("/v1/claims").await;
    // Core's own background work (the webhook deliverer polls every 50 ms here) also meets the
    // lost connections and replaces some: the server ends them again until a request meets
    // one, at most 20 times.
    let mut statuses = Vec::new();
    for i in 0..20 {
        app.sql(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND pid <> pg_backend_pid()",
        )
        .await;
        let response = app.post_json("/v1/claims", &json!({"text": format!("claim {i}"), "language": "fr"})).await;
        let status = response.status().as_u16();
        statuses.push(status);
        if status == 503 {
            assert_eq!(problem(response, 503).await["code"], "database_unavailable");
            break;
        }
    }
    assert!(statuses.iter().all(|s| *s == 201 || *s == 503), "only 503 while connections are replaced: {statuses:?}");
    assert_eq!(statuses.last(), Some(&503), "a request that meets a lost connection is 503: {statuses:?}");
    // Then at most one failure per pooled connection (4), and the pool heals without a restart.
    let mut after = Vec::new();
    for i in 0..8 {
        let response = app.post_json("/v1/claims", &json!({"text": format!("after {i}"), "language": "fr"})).await;
        after.push(response.status().as_u16());
    }
    assert!(after.iter().all(|s| *s == 201 || *s == 503), "{after:?}");
    assert!(after.iter().filter(|s| **s == 503).count() <= 3, "at most one failure per pooled connection: {after:?}");
    assert_eq!(after[after.len() - 4..], [201; 4], "the pool healed without a restart: {after:?}");
}
