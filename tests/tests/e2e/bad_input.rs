//! Every kind of bad input gets a 4xx problem (REST) or INVALID_ARGUMENT (gRPC) naming the
//! offending field, and nothing is stored.

use claimdesk_proto::v1 as pb;
use claimdesk_tests::{TestApp, problem, problem_fields, venezuela_claim};
use serde_json::{Value, json};
use tonic::Code;
use tonic_types::StatusExt;

/// A valid claim with one field replaced.
fn claim_with(field: &str, value: Value) -> Value {
    let mut claim = venezuela_claim();
    claim[field] = value;
    claim
}

async fn assert_nothing_stored(app: &TestApp) {
    let page: Value = app.get("/v1/claims").await.json().await.expect("json");
    assert_eq!(page["claims"], json!([]), "a rejected request stored something");
}

async fn bad_json_bodies_are_refused_with_the_field_named(app: TestApp) {
    let mut without_text = venezuela_claim();
    without_text.as_object_mut().expect("object").remove("text");
    let cases: Vec<(&str, Value, &str, &str)> = vec![
        ("wrong type", claim_with("text", json!(42)), "invalid_body", "text"),
        ("wrong item type", claim_with("tags", json!(["ok", 3])), "invalid_body", "tags[1]"),
        ("null text", claim_with("text", Value::Null), "invalid_body", "text"),
        ("unknown field", claim_with("verdict", json!("true")), "invalid_body", "verdict"),
        ("missing text", without_text, "invalid_body", "text"),
        ("empty text", claim_with("text", json!("")), "validation_failed", "text"),
        ("whitespace text", claim_with("text", json!(" \n\t ")), "validation_failed", "text"),
        ("text over 10,000 characters", claim_with("text", json!("a".repeat(10_001))), "validation_failed", "text"),
        ("language not BCP 47", claim_with("language", json!("en_US")), "validation_failed", "language"),
        ("language a word", claim_with("language", json!("english")), "validation_failed", "language"),
        ("impossible date", claim_with("claimed_at", json!("2025-02-30")), "validation_failed", "claimed_at"),
        ("garbage date", claim_with("claimed_at", json!("en mai dernier")), "validation_failed", "claimed_at"),
        ("blank tag", claim_with("tags", json!(["ok", "  "])), "validation_failed", "tags"),
    ];
    for (case, body, code, field) in cases {
        let body = problem(app.post_json("/v1/claims", &body).await, 400).await;
        assert_eq!(body["code"], code, "{case}: {body}");
        assert_eq!(problem_fields(&body), [field], "{case}: {body}");
    }
    assert_nothing_stored(&app).await;
}

async fn ten_thousand_characters_is_the_limit_not_over_it(app: TestApp) {
    let response = app.post_json("/v1/claims", &claim_with("text", json!("é".repeat(10_000)))).await;
    assert_eq!(response.status(), 201);
}

async fn several_broken_rules_are_reported_together(app: TestApp) {
    let body = json!({"text": "", "language": "xx_YY", "claimed_at": "2025-13"});
    let body = problem(app.post_json("/v1/claims", &body).await, 400).await;
    assert_eq!(body["code"], "validation_failed");
    assert_eq!(problem_fields(&body), ["text", "language", "claimed_at"]);
    assert_nothing_stored(&app).await;
}

async fn malformed_bodies_are_refused(app: TestApp) {
    let post_raw = |body: Vec<u8>, content_type: &'static str| {
        let app = &app;
        async move {
            app.http
                .post(app.url("/v1/claims"))
                .header("content-type", content_type)
                .body(body)
                .send()
                .await
                .expect("sent")
        }
    };
    let body = problem(post_raw(br#"{"text": "x", "language": "#.to_vec(), "application/json").await, 400).await;
    assert_eq!(body["code"], "malformed_json");
    let body = problem(post_raw(b"{} trailing".to_vec(), "application/json").await, 400).await;
    assert_eq!(body["code"], "malformed_json");
    let body = problem(post_raw(b"text=x".to_vec(), "application/x-www-form-urlencoded").await, 415).await;
    assert_eq!(body["code"], "unsupported_media_type");

    // Over 1 MiB, even when the JSON itself would be fine.
    let mut big = venezuela_claim();
    big["context"] = json!("x".repeat(1024 * 1024));
    let body = problem(post_raw(serde_json::to_vec(&big).expect("json"), "application/json").await, 413).await;
    assert_eq!(body["code"], "payload_too_large");
    assert_nothing_stored(&app).await;
}

async fn bad_list_parameters_are_refused(app: TestApp) {
    let cases = [
        ("page_size=0", "validation_failed", "page_size"),
        ("page_size=10000", "validation_failed", "page_size"),
        ("page_size=-3", "validation_failed", "page_size"),
        ("page_size=ten", "invalid_query", "page_size"),
        ("page_token=garbage", "validation_failed", "page_token"),
        ("status=maybe", "invalid_query", "status"),
        ("language=en_US", "validation_failed", "language"),
        ("claimed_from=2025-02-30", "validation_failed", "claimed_from"),
        ("claimed_from=2025-06&claimed_to=2025-05", "validation_failed", "claimed_to"),
        ("created_from=yesterday", "invalid_query", "created_from"),
        ("colour=red", "invalid_query", "colour"),
    ];
    for (query, code, field) in cases {
        let body = problem(app.get(&format!("/v1/claims?{query}")).await, 400).await;
        assert_eq!(body["code"], code, "{query}: {body}");
        assert_eq!(problem_fields(&body), [field], "{query}: {body}");
    }
}

async fn ids_that_are_not_uuids_and_unknown_ids(app: TestApp) {
    let body = problem(app.get("/v1/claims/not-a-uuid").await, 400).await;
    assert_eq!(body["code"], "validation_failed");
    assert_eq!(problem_fields(&body), ["id"]);

    let body = problem(app.get("/v1/claims/01964b6e-7a4f-7c3e-9d2a-5b8c1e0f3a47").await, 404).await;
    assert_eq!(body["code"], "not_found");

    let body = problem(app.get("/v1/nothing-here").await, 404).await;
    assert_eq!(body["code"], "route_not_found");
}

async fn grpc_answers_invalid_argument_with_field_violations(app: TestApp) {
    let mut grpc = app.grpc().await;
    let status = grpc
        .create_claim(pb::CreateClaimRequest {
            text: "   ".into(),
            language: "english".into(),
            claimed_at: Some("2025-02-30".into()),
            ..Default::default()
        })
        .await
        .expect_err("refused");
    assert_eq!(status.code(), Code::InvalidArgument);
    let details = status.get_error_details();
    let fields: Vec<&str> =
        details.bad_request().expect("field violations").field_violations.iter().map(|v| v.field.as_str()).collect();
    assert_eq!(fields, ["text", "language", "claimed_at"]);
    assert_eq!(details.error_info().map(|i| i.reason.as_str()), Some("validation_failed"));

    for request in [
        pb::ListClaimsRequest { page_size: Some(0), ..Default::default() },
        pb::ListClaimsRequest { page_size: Some(10_000), ..Default::default() },
        pb::ListClaimsRequest { page_token: Some("garbage".into()), ..Default::default() },
        pb::ListClaimsRequest { status: 99, ..Default::default() },
    ] {
        let status = grpc.list_claims(request.clone()).await.expect_err("refused");
        assert_eq!(status.code(), Code::InvalidArgument, "{request:?}");
        assert!(status.get_details_bad_request().is_some(), "{request:?}");
    }

    let status = grpc.get_claim(pb::GetClaimRequest { id: "42".into() }).await.expect_err("refused");
    assert_eq!(status.code(), Code::InvalidArgument);
    let status = grpc
        .get_claim(pb::GetClaimRequest { id: "01964b6e-7a4f-7c3e-9d2a-5b8c1e0f3a47".into() })
        .await
        .expect_err("unknown");
    assert_eq!(status.code(), Code::NotFound);
    assert_nothing_stored(&app).await;
}

/// A long value is quoted back cut short: the answer does not grow with the input (a 100 KB id
/// once made core's status details overflow the gateway's header limit: a 500).
async fn long_values_are_refused_without_echoing_them_whole(app: TestApp) {
    let long = "x".repeat(6_000);
    let body = problem(app.get(&format!("/v1/claims/{long}")).await, 400).await;
    let detail = body["errors"][0]["message"].as_str().expect("message");
    assert!(detail.len() < 200 && detail.contains("6000 characters"), "{detail}");

    let mut grpc = app.grpc().await;
    let status = grpc.get_claim(pb::GetClaimRequest { id: "y".repeat(100_000) }).await.expect_err("not a UUID");
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(status.message().len() < 300, "{}", status.message());
    let violations = status.get_details_bad_request().expect("bad request").field_violations;
    assert!(violations.iter().all(|v| v.description.len() < 200), "{violations:?}");

    let mut many = venezuela_claim();
    many["attributions"] =
        json!((0..60).map(|_| json!({"speaker_id": long, "stance": "asserts", "url": long})).collect::<Vec<_>>());
    let body = problem(app.post_json("/v1/claims", &many).await, 400).await;
    let errors = body["errors"].as_array().expect("errors");
    assert!(!errors.is_empty() && errors.len() <= 50, "{} violations sent", errors.len());
    assert_nothing_stored(&app).await;
}

/// PostgreSQL cannot store NUL in text and refuses years it cannot represent; SQLite would
/// take both. The domain refuses them first: the same 400 on both backends, never a 500.
async fn nul_characters_and_impossible_years_get_the_same_400_on_both_backends(app: TestApp) {
    let source = app.source(json!({"name": "TASS", "kind": "news_agency"})).await;
    let nul = "avant\u{0}après";
    let claims = [
        ("text", claim_with("text", json!(nul))),
        ("context", claim_with("context", json!(nul))),
        ("claimant", claim_with("claimant", json!(nul))),
        ("tags", claim_with("tags", json!([nul]))),
        ("claimed_at", claim_with("claimed_at", json!("0000-05"))),
        (
            "attributions[0].quote",
            claim_with("attributions", json!([{"speaker_id": source, "stance": "asserts", "quote": nul}])),
        ),
    ];
    for (field, body) in claims {
        let refused = problem(app.post_json("/v1/claims", &body).await, 400).await;
        assert!(problem_fields(&refused).iter().any(|f| f.starts_with(field)), "{field}: {refused}");
    }
    let refused = problem(app.post_json("/v1/sources", &json!({"name": nul, "kind": "person"})).await, 400).await;
    assert_eq!(problem_fields(&refused), ["name"]);
    let refused = problem(app.post_json("/v1/tokens", &json!({"name": nul, "role": "viewer"})).await, 400).await;
    assert_eq!(problem_fields(&refused), ["name"]);
    for query in ["created_from=-4713-01-01T00:00:00Z", "created_to=0000-12-31T00:00:00Z", "claimed_from=0000"] {
        let refused = problem(app.get(&format!("/v1/claims?{query}")).await, 400).await;
        assert_eq!(refused["code"], "validation_failed", "{query}: {refused}");
    }
    assert_nothing_stored(&app).await;
}

claimdesk_tests::on_both_backends!(
    nul_characters_and_impossible_years_get_the_same_400_on_both_backends,
    long_values_are_refused_without_echoing_them_whole,
    bad_json_bodies_are_refused_with_the_field_named,
    ten_thousand_characters_is_the_limit_not_over_it,
    several_broken_rules_are_reported_together,
    malformed_bodies_are_refused,
    bad_list_parameters_are_refused,
    ids_that_are_not_uuids_and_unknown_ids,
    grpc_answers_invalid_argument_with_field_violations
);
