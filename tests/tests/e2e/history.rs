//! Optimistic concurrency and the append-only history: racing editors, replay, bad changes.

use std::collections::BTreeMap;

use claimdesk_proto::v1 as pb;
use claimdesk_tests::{TestApp, etag_of, problem, problem_fields};
use reqwest::Method;
use serde_json::{Value, json};
use tonic::Code;
use tonic_types::StatusExt;

async fn claim_with_source(app: &TestApp) -> (String, String, String) {
    let wapo = app.source(json!({"name": "The Washington Post", "kind": "news_outlet"})).await;
    let tass = app.source(json!({"name": "TASS", "kind": "news_agency"})).await;
    let claim = app
        .claim(json!({"text": "Maduro a demandé l'aide de la Russie", "language": "fr", "claimant_id": wapo, "claimed_at": "2025-10"}))
        .await;
    (claim["id"].as_str().expect("id").to_owned(), wapo, tass)
}

async fn editors_racing_on_one_version_one_wins_the_others_are_told(app: TestApp) {
    let (id, _, _) = claim_with_source(&app).await;
    let path = format!("/v1/claims/{id}");
    let read = app.etag(&path).await;
    let edits = (0..8).map(|i| {
        let app = &app;
        let path = path.clone();
        let read = read.clone();
        async move {
            let body = json!({"context": format!("editor {i}")});
            app.send_if_match(Method::PATCH, &path, read, Some(&body)).await
        }
    });
    let responses = futures_util::future::join_all(edits).await;
    let mut won = Vec::new();
    for response in responses {
        match response.status().as_u16() {
            200 => won.push(response.json::<Value>().await.expect("json")),
            412 => assert_eq!(problem(response, 412).await["current_version"], 2),
            other => panic!("unexpected status {other}"),
        }
    }
    assert_eq!(won.len(), 1, "exactly one editor wins");
    let claim = app.json(&path).await;
    assert_eq!(claim["version"], 2);
    assert_eq!(claim["context"], won[0]["context"], "the winner's edit is the one stored");
    let history = app.json(&format!("{path}/history")).await;
    let versions: Vec<i64> =
        history["events"].as_array().expect("events").iter().filter_map(|e| e["version"].as_i64()).collect();
    assert_eq!(versions, [1, 2]);
}

/// Rebuilds a claim and its attributions from the REST history, page by page.
async fn replay(app: &TestApp, id: &str) -> (Value, i64, BTreeMap<String, Value>) {
    let mut state = json!({});
    let mut version = 0;
    let mut attributions = BTreeMap::new();
    let mut path = format!("/v1/claims/{id}/history?page_size=2");
    loop {
        let page = app.json(&path).await;
        for event in page["events"].as_array().expect("events") {
            assert_eq!(event["version"], version + 1, "no gap, no repeat");
            version += 1;
            assert_eq!(event["actor"], "bootstrap (admin)", "the actor is the authenticated principal");
            let change = &event["change"];
            match change["kind"].as_str().expect("kind") {
                "created" => {
                    state = change["claim"].clone();
                    state["status"] = change["status"].clone();
                }
                "edited" => {
                    for c in change["changes"].as_array().expect("changes") {
                        let field = c["field"].as_str().expect("field");
                        assert_eq!(state[field], c["before"], "before of {field}");
                        state[field] = c["after"].clone();
                    }
                }
                "attribution_added" => {
                    let a = &change["attribution"];
                    attributions.insert(a["id"].as_str().expect("id").to_owned(), a.clone());
                }
                "attribution_edited" => {
                    let a = &change["after"];
                    let id = a["id"].as_str().expect("id").to_owned();
                    assert_eq!(attributions.get(&id), Some(&change["before"]));
                    attributions.insert(id, a.clone());
                }
                "attribution_removed" => {
                    assert!(attributions.remove(change["attribution"]["id"].as_str().expect("id")).is_some());
                }
                "status_changed" => {
                    assert_eq!(state["status"], change["from"]);
                    state["status"] = change["to"].clone();
                }
                other => panic!("unknown change {other}"),
            }
        }
        match page["next_page_token"].as_str() {
            Some(token) => path = format!("/v1/claims/{id}/history?page_size=2&page_token={token}"),
            None => return (state, version, attributions),
        }
    }
}

async fn replaying_the_history_gives_the_current_claim(app: TestApp) {
    let (id, wapo, tass) = claim_with_source(&app).await;
    let path = format!("/v1/claims/{id}");
    let peskov = app.source(json!({"name": "Dmitri Peskov", "kind": "person"})).await;

    let edit = json!({"text": "Maduro a sollicité l'aide de la Russie, de la Chine et de l'Iran", "tags": ["venezuela"], "claimed_at": null});
    let edited = app.send_if_match(Method::PATCH, &path, app.etag(&path).await, Some(&edit)).await;
    assert_eq!(edited.status(), 200);
    let mut v = app.attribute(&id, &etag_of(&edited), json!({"speaker_id": wapo, "stance": "asserts"})).await;
    v = app.attribute(&id, &v, json!({"speaker_id": peskov, "stance": "denies", "relay_ids": [tass]})).await;
    let attributions = app.json(&format!("{path}/attributions")).await;
    let peskov_said = attributions["attributions"][1]["id"].as_str().expect("id").to_owned();
    let fixed =
        json!({"speaker_id": peskov, "stance": "context", "relay_ids": [tass], "quote": "Nous sommes en contact"});
    let response = app.send_if_match(Method::PUT, &format!("{path}/attributions/{peskov_said}"), v, Some(&fixed)).await;
    assert_eq!(response.status(), 200);
    let v = etag_of(&response);
    let wapo_said = attributions["attributions"][0]["id"].as_str().expect("id").to_owned();
    let response = app.send_if_match(Method::DELETE, &format!("{path}/attributions/{wapo_said}"), v, None).await;
    assert_eq!(response.status(), 200);
    let v = etag_of(&response);
    assert!(v.starts_with("6-"), "the ETag names the new version: {v}");
    assert_eq!(v, app.etag(&path).await, "the ETag after a change is the one a read gives");
    let review = json!({"status": "in_review"});
    let reviewed = app.send_if_match(Method::POST, &format!("{path}/status"), v, Some(&review)).await;
    assert_eq!(reviewed.status(), 200);
    let verdict = json!({"status": "unverifiable", "note": "No second source"});
    let decided = app.send_if_match(Method::POST, &format!("{path}/status"), etag_of(&reviewed), Some(&verdict)).await;
    assert_eq!(decided.status(), 200);

    let claim = app.json(&path).await;
    let (state, version, replayed) = replay(&app, &id).await;
    assert_eq!(version, claim["version"].as_i64().expect("version"));
    assert_eq!(version, 8);
    for field in ["text", "language", "context", "claimed_at", "tags", "status"] {
        assert_eq!(state[field], claim[field], "{field}");
    }
    assert_eq!(state["claimant_id"], claim["claimant"]["id"]);
    let current: BTreeMap<String, Value> = app.json(&format!("{path}/attributions")).await["attributions"]
        .as_array()
        .expect("attributions")
        .iter()
        .map(|a| (a["id"].as_str().expect("id").to_owned(), a.clone()))
        .collect();
    assert_eq!(replayed, current);
    assert_eq!(current.len(), 1);
}

async fn bad_changes_are_refused_and_write_nothing(app: TestApp) {
    let (id, wapo, tass) = claim_with_source(&app).await;
    let path = format!("/v1/claims/{id}");
    let attributions = format!("{path}/attributions");
    let unknown = "01964b6e-7a4f-7c3e-9d2a-5b8c1e0f3a47";
    let bad_attributions = [
        (json!({"speaker_id": unknown, "stance": "asserts"}), "validation_failed", "speaker_id"),
        (json!({"speaker_id": wapo, "stance": "asserts", "relay_ids": [unknown]}), "validation_failed", "relay_ids"),
        (json!({"speaker_id": wapo, "stance": "asserts", "relay_ids": [wapo]}), "validation_failed", "relay_ids"),
        (json!({"speaker_id": wapo, "stance": "asserts", "relay_ids": [tass, tass]}), "validation_failed", "relay_ids"),
        (json!({"speaker_id": wapo, "stance": "believes"}), "invalid_body", "stance"),
        (json!({"speaker_id": "not-a-uuid", "stance": "asserts"}), "validation_failed", "speaker_id"),
        (
            json!({"speaker_id": wapo, "stance": "asserts", "published_at": "2025-02-30"}),
            "validation_failed",
            "published_at",
        ),
        (json!({"speaker_id": wapo, "stance": "asserts", "url": "javascript:alert(1)"}), "validation_failed", "url"),
    ];
    let first = app.etag(&path).await;
    for (body, code, field) in bad_attributions {
        let response = app.send_if_match(Method::POST, &attributions, &first, Some(&body)).await;
        let problem = problem(response, 400).await;
        assert_eq!(problem["code"], code, "{body}: {problem}");
        assert_eq!(problem_fields(&problem), [field], "{body}: {problem}");
    }
    let statuses = [
        (json!({"status": "maybe"}), 400, "invalid_body"),
        (json!({"status": "in_review", "verdict": "x"}), 400, "invalid_body"),
        (json!({"status": "false"}), 409, "invalid_transition"),
    ];
    for (body, status, code) in statuses {
        let response = app.send_if_match(Method::POST, &format!("{path}/status"), &first, Some(&body)).await;
        assert_eq!(problem(response, status).await["code"], code, "{body}");
    }
    let review =
        app.send_if_match(Method::POST, &format!("{path}/status"), &first, Some(&json!({"status": "in_review"}))).await;
    assert_eq!(review.status(), 200);
    let second = etag_of(&review);
    let no_note =
        app.send_if_match(Method::POST, &format!("{path}/status"), &second, Some(&json!({"status": "false"}))).await;
    let no_note = problem(no_note, 400).await;
    assert_eq!(
        (no_note["code"].as_str(), problem_fields(&no_note)),
        (Some("validation_failed"), vec!["note".to_owned()])
    );

    // Stale and missing versions.
    let body = json!({"speaker_id": wapo, "stance": "asserts"});
    let stale = problem(app.send_if_match(Method::POST, &attributions, &first, Some(&body)).await, 412).await;
    assert_eq!((stale["current_version"].as_i64(), stale["current_etag"].as_str()), (Some(2), Some(second.as_str())));
    let version_only = app.send_if_match(Method::POST, &attributions, 2, Some(&body)).await;
    assert_eq!(problem(version_only, 412).await["code"], "version_mismatch", "a bare version is not a claim's ETag");
    let missing = app.http.post(app.url(&attributions)).json(&body).send().await.expect("sent");
    assert_eq!(problem(missing, 428).await["code"], "precondition_required");
    let foreign =
        app.http.patch(app.url(&path)).header("if-match", "\"not_ours\"").json(&json!({"context": "x"})).send().await;
    assert_eq!(problem(foreign.expect("sent"), 412).await["code"], "version_mismatch");
    let garbage =
        app.http.patch(app.url(&path)).header("if-match", "\"not ours\"").json(&json!({"context": "x"})).send().await;
    assert_eq!(problem(garbage.expect("sent"), 400).await["code"], "invalid_if_match", "a space is no ETag character");
    let unreadable =
        app.http.patch(app.url(&path)).header("if-match", " , ").json(&json!({"context": "x"})).send().await;
    assert_eq!(problem(unreadable.expect("sent"), 400).await["code"], "invalid_if_match");
    let empty = app.send_if_match(Method::PATCH, &path, &second, Some(&json!({}))).await;
    assert_eq!(problem_fields(&problem(empty, 400).await), ["update_mask"]);
    let bad_edit =
        app.send_if_match(Method::PATCH, &path, &second, Some(&json!({"text": null, "claimant_id": unknown}))).await;
    assert_eq!(problem(bad_edit, 400).await["code"], "validation_failed");

    let claim = app.json(&path).await;
    assert_eq!(claim["version"], 2, "nothing was written by any refused change");
    assert_eq!(app.json(&attributions).await["attributions"], json!([]));
    assert_eq!(app.json(&format!("{path}/history")).await["events"].as_array().map(Vec::len), Some(2));

    // gRPC: the same rules, with FAILED_PRECONDITION carrying the current version.
    let mut grpc = app.grpc().await;
    let status = grpc
        .set_status(pb::SetStatusRequest {
            claim_id: id.clone(),
            expected_version: 1,
            status: pb::ClaimStatus::Disputed.into(),
            note: Some("x".into()),
            etag: String::new(),
        })
        .await
        .expect_err("stale");
    assert_eq!(status.code(), Code::FailedPrecondition);
    let info = status.get_details_error_info().expect("error info");
    assert_eq!(
        (info.reason.as_str(), info.metadata.get("current_version").map(String::as_str)),
        ("version_mismatch", Some("2"))
    );
    assert_eq!(info.metadata.get("current_etag"), Some(&second), "gRPC and REST name one ETag");
    let status = grpc
        .add_attribution(pb::AddAttributionRequest {
            claim_id: id.clone(),
            expected_version: 0,
            attribution: Some(pb::AttributionFields {
                speaker_id: wapo.clone(),
                stance: pb::Stance::Asserts.into(),
                ..Default::default()
            }),
            etag: String::new(),
        })
        .await
        .expect_err("no version");
    assert_eq!(status.code(), Code::InvalidArgument);
    let status = grpc
        .update_claim(pb::UpdateClaimRequest {
            id,
            expected_version: 2,
            claim: Some(pb::ClaimFields { text: "x".into(), ..Default::default() }),
            update_mask: Some(prost_types::FieldMask { paths: vec!["verdict".into()] }),
            etag: String::new(),
        })
        .await
        .expect_err("unknown path");
    assert_eq!(status.code(), Code::InvalidArgument);
}

claimdesk_tests::on_both_backends!(
    editors_racing_on_one_version_one_wins_the_others_are_told,
    replaying_the_history_gives_the_current_claim,
    bad_changes_are_refused_and_write_nothing
);
