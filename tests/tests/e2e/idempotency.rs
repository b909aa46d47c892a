//! Idempotency-Key (REST) and request_id (gRPC): a retried creation creates nothing new.

use claimdesk_proto::v1 as pb;
use claimdesk_tests::{Backend, TestApp, client_with_token, problem, venezuela_claim};
use serde_json::{Value, json};

async fn create_with_key(app: &TestApp, http: &reqwest::Client, key: &str, body: &Value) -> reqwest::Response {
    http.post(app.url("/v1/claims")).header("idempotency-key", key).json(body).send().await.expect("sent")
}

async fn claims(app: &TestApp) -> i64 {
    app.sql_i64("(SELECT count(*) FROM claims)").await
}

async fn a_retried_creation_answers_what_the_first_created(app: TestApp) {
    let body = venezuela_claim();
    let first = create_with_key(&app, &app.http, "desk-retry-1", &body).await;
    assert_eq!(first.status(), 201);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let location = first.headers()["location"].clone();
    let first: Value = first.json().await.expect("json");

    let again = create_with_key(&app, &app.http, "desk-retry-1", &body).await;
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(again.headers()["location"], location);
    let again: Value = again.json().await.expect("json");
    assert_eq!(again, first, "the same claim, as first answered");
    assert_eq!(claims(&app).await, 1);

    // The same key with another body: refused, nothing created.
    let other = json!({"text": "Un autre texte", "language": "fr"});
    let refused = problem(create_with_key(&app, &app.http, "desk-retry-1", &other).await, 422).await;
    assert_eq!(refused["code"], "idempotency_key_reused");
    assert_eq!(claims(&app).await, 1);

    // Keys belong to their token: another token's same key is another request.
    let (_, secret) = {
        let created: Value =
            app.post_json("/v1/tokens", &json!({"name": "tool", "role": "reporter"})).await.json().await.expect("json");
        (created["token"]["id"].clone(), created["secret"].as_str().expect("secret").to_owned())
    };
    let tool = client_with_token(Some(&secret));
    assert_eq!(create_with_key(&app, &tool, "desk-retry-1", &body).await.status(), 201);
    assert_eq!(claims(&app).await, 2);

    // Without a key, every request creates.
    assert_eq!(app.post_json("/v1/claims", &body).await.status(), 201);
    assert_eq!(claims(&app).await, 3);

    // A key is kept 24 hours, then forgotten.
    let expire = match app.backend {
        Backend::Postgres => "UPDATE idempotency_keys SET created_at = now() - interval '25 hours'",
        Backend::Sqlite => "UPDATE idempotency_keys SET created_at = datetime('now', '-25 hours')",
    };
    app.sql(expire).await;
    let later = create_with_key(&app, &app.http, "desk-retry-1", &body).await;
    assert_eq!(later.status(), 201);
    assert!(later.headers().get("idempotent-replayed").is_none());
    assert_eq!(claims(&app).await, 4);

    let bad = app.http.post(app.url("/v1/claims")).header("idempotency-key", "x".repeat(201)).json(&body).send();
    assert_eq!(problem(bad.await.expect("sent"), 400).await["code"], "invalid_idempotency_key");
    let two = app.http.post(app.url("/v1/claims")).header("idempotency-key", "a").header("idempotency-key", "b");
    let two = two.json(&body).send().await.expect("sent");
    assert_eq!(problem(two, 400).await["code"], "invalid_idempotency_key", "which key would it be?");
    assert_eq!(claims(&app).await, 4);
}

/// Retries racing each other: exactly one claim, and every answer is that claim or "in use".
async fn racing_retries_create_one_claim(app: TestApp) {
    let body = venezuela_claim();
    let retries = (0..10).map(|_| create_with_key(&app, &app.http, "race-1", &body));
    let answers = futures_util::future::join_all(retries).await;
    let mut ids = Vec::new();
    for answer in answers {
        match answer.status().as_u16() {
            201 => ids.push(answer.json::<Value>().await.expect("json")["id"].clone()),
            409 => assert_eq!(problem(answer, 409).await["code"], "idempotency_key_in_use"),
            other => panic!("unexpected {other}"),
        }
    }
    assert!(!ids.is_empty());
    assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
    assert_eq!(claims(&app).await, 1);
}

async fn sources_and_grpc_take_keys_too(app: TestApp) {
    let body = json!({"name": "Agence France-Presse", "kind": "news_agency"});
    let send = || app.http.post(app.url("/v1/sources")).header("idempotency-key", "afp-1").json(&body).send();
    let first: Value = send().await.expect("sent").json().await.expect("json");
    let again = send().await.expect("sent");
    assert_eq!(again.status(), 201, "a retry is not a name conflict");
    assert_eq!(again.json::<Value>().await.expect("json")["id"], first["id"]);

    let mut grpc = app.grpc().await;
    let request = || pb::CreateClaimRequest {
        text: "Trump a autorisé des opérations secrètes de la CIA au Venezuela".into(),
        language: "fr".into(),
        request_id: Some("grpc-1".into()),
        ..Default::default()
    };
    let first = grpc.create_claim(request()).await.expect("created");
    assert!(first.metadata().get("idempotent-replayed").is_none());
    let again = grpc.create_claim(request()).await.expect("replayed");
    assert_eq!(again.metadata().get("idempotent-replayed").and_then(|v| v.to_str().ok()), Some("true"));
    assert_eq!(again.into_inner().id, first.into_inner().id);
    let other = pb::CreateClaimRequest { text: "Autre chose".into(), ..request() };
    let status = grpc.create_claim(other).await.expect_err("reused");
    assert_eq!(status.code(), tonic::Code::FailedPrecondition);
    assert_eq!(claims(&app).await, 1);
}

claimdesk_tests::on_both_backends!(
    a_retried_creation_answers_what_the_first_created,
    racing_retries_create_one_claim,
    sources_and_grpc_take_keys_too
);

/// PostgreSQL: a retry while the first request is still in its transaction is told so (409),
/// and creates nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_in_flight_is_409_on_postgres() {
    if !claimdesk_tests::postgres_available() {
        return;
    }
    let app = TestApp::start(Backend::Postgres).await;
    let tokens: Value = app.json("/v1/tokens").await;
    let admin = tokens["tokens"][0]["id"].as_str().expect("the admin token's id").to_owned();
    // The first request's transaction, holding the key, not committed yet.
    let first = format!(
        "INSERT INTO idempotency_keys VALUES ('{admin}:CreateClaim:in-flight', 'first', \
         '01964b6e-7a4f-7c3e-9d2a-5b8c1e0f3a47', now())"
    );
    let holder = app.hold_lock(&first, std::time::Duration::from_secs(1));
    let retry = create_with_key(&app, &app.http, "in-flight", &venezuela_claim()).await;
    assert_eq!(problem(retry, 409).await["code"], "idempotency_key_in_use");
    holder.join().expect("committed");
    assert_eq!(claims(&app).await, 0);
}
