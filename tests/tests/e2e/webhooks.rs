//! Webhooks: signed deliveries of the change feed to receivers on 127.0.0.1 (the tests' core
//! allows it), retried until acknowledged, in order per claim, surviving a restart of core;
//! refused addresses and redirects; disabling, enabling and replaying; receivers that hang.

use std::{
    collections::{HashMap, HashSet},
    sync::Arc,
    time::{Duration, Instant},
};

use base64::Engine;
use claimdesk_proto::v1 as pb;
use claimdesk_tests::{
    Backend, Options, TestApp, problem, problem_fields, until,
    webhooks::{Received, Receiver},
};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};

/// Registers a webhook over REST; (its JSON, its secret).
async fn register(app: &TestApp, url: &str, events: Value) -> (Value, String) {
    let response = app.post_json("/v1/webhooks", &json!({"url": url, "events": events})).await;
    assert_eq!(response.status(), 201, "registering {url}");
    assert_eq!(response.headers()["cache-control"], "no-store");
    let created: Value = response.json().await.expect("json");
    let secret = created["secret"].as_str().expect("secret").to_owned();
    assert!(secret.starts_with("whsec_"), "{secret}");
    (created["webhook"].clone(), secret)
}

/// Checks a message's signature the way a Standard Webhooks receiver does.
fn assert_signed(message: &Received, secret: &str) {
    let key = base64::engine::general_purpose::STANDARD.decode(&secret["whsec_".len()..]).expect("base64 key");
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&key).expect("key");
    mac.update(format!("{}.{}.{}", message.id, message.timestamp, message.body).as_bytes());
    let expected = format!("v1,{}", base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes()));
    assert_eq!(message.signature, expected, "signature of {}", message.id);
    let sent: i64 = message.timestamp.parse().expect("a Unix timestamp");
    assert!((chrono::Utc::now().timestamp() - sent).abs() < 300, "timestamp {sent} is not now");
}

/// The (claim id, version) a message carries, from its body: the feed's event JSON.
fn event_of(message: &Received) -> (String, i64) {
    let body: Value = serde_json::from_str(&message.body).expect("a JSON body");
    for field in ["cursor", "claim_id", "kind", "event"] {
        assert!(body.get(field).is_some(), "no {field} in {body}");
    }
    assert_eq!(body["kind"], body["event"]["change"]["kind"], "{body}");
    (body["claim_id"].as_str().expect("claim_id").to_owned(), body["event"]["version"].as_i64().expect("version"))
}

/// Waits until the webhook has no deliveries that `query` lists (`"/// Waits until `state` lists none of the webhook's deliveries (`""`: none at all).state=pending"`, or `""`).
async fn until_no_deliveries(app: &TestApp, id: &str, query: &str) {
    until(Duration::from_secs(10), || async {
        let listed = deliveries(app, id, query).await;
        if listed.is_empty() { Ok(()) } else { Err(format!("{listed:#?}")) }
    })
    .await
}

/// Creates `claims` claims and sets each one's status once: two events per claim.
async fn write(app: &TestApp, claims: usize) -> Vec<String> {
    let mut client = app.grpc().await;
    let mut ids = Vec::new();
    for i in 0..claims {
        let claim = client
            .create_claim(pb::CreateClaimRequest {
                text: format!("Hook probe {i}: the navy moved {i} ships into the Caribbean"),
                language: "en".into(),
                ..Default::default()
            })
            .await
            .expect("created")
            .into_inner();
        client
            .set_status(pb::SetStatusRequest {
                claim_id: claim.id.clone(),
                expected_version: claim.version,
                status: pb::ClaimStatus::InReview.into(),
                ..Default::default()
            })
            .await
            .expect("status set");
        ids.push(claim.id);
    }
    ids
}

/// Every event of `claims` (two each) reached the receiver once acknowledged, and a claim's
/// event was only ever sent after the one before it was acknowledged.
fn assert_complete_and_in_order(receiver: &Receiver, claims: &[String], secret: &str) {
    let received = receiver.received();
    let mut acknowledged: HashMap<String, i64> = HashMap::new();
    for message in &received {
        assert_signed(message, secret);
        let (claim, version) = event_of(message);
        let done = acknowledged.get(&claim).copied().unwrap_or(0);
        assert!(
            version <= done + 1,
            "claim {claim} version {version} sent before version {} was acknowledged",
            done + 1
        );
        if (200..300).contains(&message.status) && version == done + 1 {
            acknowledged.insert(claim, version);
        }
    }
    for claim in claims {
        assert_eq!(acknowledged.get(claim), Some(&2), "claim {claim}: events acknowledged {acknowledged:?}");
    }
}

async fn deliveries(app: &TestApp, webhook: &str, query: &str) -> Vec<Value> {
    let page = app.json(&format!("/v1/webhooks/{webhook}/deliveries?page_size=100{query}")).await;
    page["deliveries"].as_array().expect("deliveries").clone()
}

async fn a_receiver_that_fails_three_times_gets_every_event_signed_and_in_order(app: TestApp) {
    // 500, 503, then an answer slower than the attempt's timeout (2 s here); then 200.
    let receiver = Receiver::start(Arc::new(|n| match n {
        0 => (500, Duration::ZERO, None),
        1 => (503, Duration::ZERO, None),
        2 => (200, Duration::from_secs(3), None),
        _ => (200, Duration::ZERO, None),
    }));
    let (webhook, secret) = register(&app, &receiver.url, json!([])).await;
    let id = webhook["id"].as_str().expect("id");
    assert_eq!(webhook["enabled"], true);
    let claims = write(&app, 3).await;
    receiver.wait_for(6, Duration::from_secs(30)).await;
    assert_complete_and_in_order(&receiver, &claims, &secret);
    assert!(receiver.received().len() >= 9, "three failed attempts and six good ones");

    // The deliveries say what happened: every one delivered, the failed ones with their attempts.
    let listed = deliveries(&app, id, "").await;
    assert_eq!(listed.len(), 6, "{listed:#?}");
    let attempts: i64 = listed.iter().map(|d| d["attempts"].as_i64().expect("attempts")).sum();
    assert_eq!(attempts as usize, receiver.received().len(), "{listed:#?}");
    for delivery in &listed {
        assert_eq!(delivery["state"], "delivered", "{delivery}");
        assert_eq!(delivery["last_status"], 200, "{delivery}");
        assert!(delivery["next_attempt_at"].is_null(), "{delivery}");
    }
    let ids: HashSet<&str> = listed.iter().map(|d| d["id"].as_str().expect("id")).collect();
    for message in receiver.received() {
        assert!(ids.contains(message.id.as_str()), "webhook-id {} is a delivery's id", message.id);
    }
    // Newest first, in pages.
    let positions: Vec<&str> = listed.iter().map(|d| d["cursor"].as_str().expect("cursor")).collect();
    let first = app.json(&format!("/v1/webhooks/{id}/deliveries?page_size=4")).await;
    let token = first["next_page_token"].as_str().expect("a next page");
    let second = app.json(&format!("/v1/webhooks/{id}/deliveries?page_size=4&page_token={token}")).await;
    let paged: Vec<&str> = first["deliveries"]
        .as_array()
        .into_iter()
        .chain(second["deliveries"].as_array())
        .flatten()
        .map(|d| d["cursor"].as_str().expect("cursor"))
        .collect();
    assert_eq!(paged, positions);
    let hook = app.json(&format!("/v1/webhooks/{id}")).await;
    assert_eq!(hook["consecutive_failures"], 0, "{hook}");
    assert_eq!(hook["pending_deliveries"], 0, "{hook}");
    assert_eq!(hook["enabled"], true, "{hook}");
    let metrics = app.get("/metrics").await.text().await.expect("text");
    for outcome in ["delivered", "failed"] {
        let line = format!("claimdesk_core_webhook_attempt_duration_seconds_count{{outcome=\"{outcome}\"}}");
        assert!(metrics.contains(&line), "no {line} in /metrics");
    }
}

async fn a_restart_of_core_in_the_middle_of_a_backlog_loses_nothing(mut app: TestApp) {
    let receiver = Receiver::start(Arc::new(|_| (200, Duration::from_millis(100), None)));
    let (webhook, secret) = register(&app, &receiver.url, json!([])).await;
    let claims = write(&app, 15).await;
    receiver.wait_for(4, Duration::from_secs(20)).await;
    app.stop_core().await;
    let before = receiver.acknowledged().len();
    assert!(before < 30, "the backlog was gone before the restart ({before} of 30)");
    app.restart_core().await;
    receiver.wait_for(30, Duration::from_secs(60)).await;
    assert_complete_and_in_order(&receiver, &claims, &secret);
    // The last answers are being recorded.
    until_no_deliveries(&app, webhook["id"].as_str().expect("id"), "&state=pending").await;
}

async fn refused_addresses_and_redirects(app: TestApp) {
    for url in [
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.7/hook",
        "http://127.0.0.2:8080/hook",
        "http://[::1]:8080/hook",
        "http://[::ffff:169.254.169.254]/",
        "ftp://127.0.0.1/hook",
        "http://user:pw@127.0.0.1/hook",
        "not a url",
    ] {
        let response = app.post_json("/v1/webhooks", &json!({"url": url})).await;
        let body = problem(response, 400).await;
        assert_eq!(problem_fields(&body), ["url"], "{url}: {body}");
    }
    let response = app
        .post_json("/v1/webhooks", &json!({"url": "http://127.0.0.1:9/", "events": ["created", "bombed"], "extra": 1}))
        .await;
    assert_eq!(response.status(), 400);
    let response =
        app.post_json("/v1/webhooks", &json!({"url": "http://127.0.0.1:9/", "events": ["created", "bombed"]})).await;
    let body = problem(response, 400).await;
    assert_eq!(problem_fields(&body), ["events"], "{body}");

    // A receiver that redirects to the cloud's metadata service is not followed there.
    let redirecting =
        Receiver::start(Arc::new(|_| (307, Duration::ZERO, Some("http://169.254.169.254/latest/meta-data/".into()))));
    let (webhook, _) = register(&app, &redirecting.url, json!(["created"])).await;
    let id = webhook["id"].as_str().expect("id");
    write(&app, 1).await;
    let failed = until(Duration::from_secs(20), || async {
        let listed = deliveries(&app, id, "").await;
        listed.first().filter(|d| d["attempts"].as_i64() >= Some(1)).cloned().ok_or(format!("no attempt: {listed:#?}"))
    })
    .await;
    assert_eq!(failed["state"], "pending", "{failed}");
    let error = failed["last_error"].as_str().expect("last_error");
    assert!(error.contains("redirect refused") && error.contains("169.254.169.254"), "{error}");
    assert!(failed["next_attempt_at"].is_string(), "{failed}");
}

async fn a_failing_webhook_is_disabled_then_enabled_and_replayed(app: TestApp) {
    let healthy = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let switch = healthy.clone();
    let receiver = Receiver::start(Arc::new(move |_| {
        let ok = switch.load(std::sync::atomic::Ordering::SeqCst);
        (if ok { 204 } else { 500 }, Duration::ZERO, None)
    }));
    let (webhook, secret) = register(&app, &receiver.url, json!(["created"])).await;
    let id = webhook["id"].as_str().expect("id").to_owned();
    let start_cursor = webhook["cursor"].as_str().expect("cursor").to_owned();
    let claims = write(&app, 2).await;
    // Three failed attempts in a row (this app's limit) disable it.
    let disabled = until(Duration::from_secs(20), || async {
        let hook = app.json(&format!("/v1/webhooks/{id}")).await;
        if hook["enabled"] == false { Ok(hook) } else { Err(format!("still enabled: {hook}")) }
    })
    .await;
    let reason = disabled["disabled_reason"].as_str().expect("a reason");
    assert!(reason.starts_with("3 failed attempts in a row") && reason.contains("HTTP 500"), "{reason}");
    // The two claims' first deliveries were in flight together: the attempt that made three
    // may have had company.
    assert!(disabled["consecutive_failures"].as_i64() >= Some(3), "{disabled}");
    assert_eq!(disabled["pending_deliveries"], 2, "{disabled}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let tried = receiver.received().len();
    let failures = app.json(&format!("/v1/webhooks/{id}")).await["consecutive_failures"].as_i64();
    assert_eq!(Some(tried as i64), failures, "every attempt counted");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(receiver.received().len(), tried, "a disabled webhook is not tried");

    // Enabled again: what waited is delivered.
    healthy.store(true, std::sync::atomic::Ordering::SeqCst);
    let response = app.http.post(app.url(&format!("/v1/webhooks/{id}/enable"))).send().await.expect("sent");
    assert_eq!(response.status(), 200);
    let first = receiver.wait_for(2, Duration::from_secs(20)).await;
    let created: HashSet<String> = first.iter().map(|m| event_of(m).0).collect();
    assert_eq!(created, claims.iter().cloned().collect());
    for message in &first {
        assert_signed(message, &secret);
    }

    // Replayed from its first cursor: the same messages again, under the same ids.
    let response = app
        .http
        .post(app.url(&format!("/v1/webhooks/{id}/enable?replay_from={start_cursor}")))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 200);
    until(Duration::from_secs(20), || async {
        let again = receiver.received().iter().filter(|m| m.status == 204).count();
        if again >= 4 { Ok(()) } else { Err(format!("replayed {again} of 4: {:#?}", receiver.received())) }
    })
    .await;
    let mut times: HashMap<String, usize> = HashMap::new();
    for message in receiver.received().iter().filter(|m| m.status == 204) {
        *times.entry(message.id.clone()).or_default() += 1;
    }
    assert!(times.values().all(|&n| n == 2), "each message twice: {times:?}");

    // A replay cursor that this database did not issue, and one that is no cursor.
    for bad in ["nonsense", ""] {
        let path = format!("/v1/webhooks/{id}/enable?replay_from={bad}");
        let response = app.http.post(app.url(&path)).send().await.expect("sent");
        assert_eq!(problem_fields(&problem(response, 400).await), ["replay_from"], "{bad:?}");
    }
    let ahead = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode("e1:99999999");
    let response =
        app.http.post(app.url(&format!("/v1/webhooks/{id}/enable?replay_from={ahead}"))).send().await.expect("sent");
    assert_eq!(problem(response, 400).await["code"], "cursor_out_of_range");
}

async fn a_receiver_that_hangs_does_not_hold_up_the_others(app: TestApp) {
    let hanging = Receiver::start(Arc::new(|_| (200, Duration::from_secs(60), None)));
    let healthy = Receiver::ok();
    let (_, _) = register(&app, &hanging.url, json!([])).await;
    let (_, secret) = register(&app, &healthy.url, json!([])).await;
    let claims = write(&app, 6).await;
    let start = Instant::now();
    healthy.wait_for(12, Duration::from_secs(10)).await;
    assert!(start.elapsed() < Duration::from_secs(5), "the healthy receiver waited {:?}", start.elapsed());
    assert_complete_and_in_order(&healthy, &claims, &secret);
    // At most 4 of the hanging webhook's deliveries were in flight at once.
    assert!(hanging.received().len() <= 4, "{} requests to the hanging receiver", hanging.received().len());
}

async fn webhooks_are_managed_over_rest_and_grpc(app: TestApp) {
    let (webhook, _) = register(&app, "http://127.0.0.1:9/first", json!(["status_changed", "created"])).await;
    let id = webhook["id"].as_str().expect("id");
    assert_eq!(webhook["events"], json!(["status_changed", "created"]));
    assert!(webhook.get("secret").is_none());
    let listed = app.json("/v1/webhooks").await;
    assert_eq!(listed["webhooks"].as_array().map(Vec::len), Some(1), "{listed}");
    assert!(!listed.to_string().contains("whsec_"), "a list never shows secrets");

    let response = app.http.post(app.url(&format!("/v1/webhooks/{id}/disable"))).send().await.expect("sent");
    let disabled: Value = response.json().await.expect("json");
    assert_eq!(disabled["enabled"], false);
    assert_eq!(disabled["disabled_reason"], "disabled by bootstrap (admin)", "{disabled}");

    let mut client =
        pb::webhook_service_client::WebhookServiceClient::new(app.grpc_as(claimdesk_tests::ADMIN_TOKEN).await);
    let created = client
        .create_webhook(pb::CreateWebhookRequest { url: "http://127.0.0.1:9/second".into(), ..Default::default() })
        .await
        .expect("created over gRPC")
        .into_inner();
    assert!(created.secret.starts_with("whsec_"));
    let all = client.list_webhooks(pb::ListWebhooksRequest {}).await.expect("listed").into_inner().webhooks;
    assert_eq!(all.len(), 2);
    let refused = client
        .create_webhook(pb::CreateWebhookRequest { url: "http://169.254.169.254/".into(), ..Default::default() })
        .await
        .expect_err("refused");
    assert_eq!(refused.code(), tonic::Code::InvalidArgument);

    for (path, status) in [
        (format!("/v1/webhooks/{id}/deliveries?state=lost"), 400),
        (format!("/v1/webhooks/{id}/deliveries?page_token=zz"), 400),
        ("/v1/webhooks/not-an-id".to_owned(), 400),
        ("/v1/webhooks/01964b6e-7a4f-7c3e-9d2a-5b8c1e0f3a47".to_owned(), 404),
    ] {
        assert_eq!(app.get(&path).await.status(), status, "{path}");
    }
    let response = app.http.delete(app.url(&format!("/v1/webhooks/{id}"))).send().await.expect("sent");
    assert_eq!(response.status(), 204);
    let response = app.http.delete(app.url(&format!("/v1/webhooks/{id}"))).send().await.expect("sent");
    assert_eq!(response.status(), 404);
}

claimdesk_tests::on_both_backends!(
    a_receiver_that_fails_three_times_gets_every_event_signed_and_in_order,
    a_restart_of_core_in_the_middle_of_a_backlog_loses_nothing,
    refused_addresses_and_redirects,
    a_receiver_that_hangs_does_not_hold_up_the_others,
    webhooks_are_managed_over_rest_and_grpc,
);

async fn disabled_then_replayed(backend: Backend) {
    let options = Options { webhook_disable_after: Some(3), ..Options::default() };
    a_failing_webhook_is_disabled_then_enabled_and_replayed(TestApp::start_with(backend, options).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_a_failing_webhook_is_disabled_then_enabled_and_replayed() {
    disabled_then_replayed(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_failing_webhook_is_disabled_then_enabled_and_replayed() {
    if claimdesk_tests::postgres_available() {
        disabled_then_replayed(Backend::Postgres).await;
    }
}

/// Acknowledged deliveries are deleted once past the retention; waiting ones never are.
async fn old_deliveries_are_deleted(backend: Backend) {
    let options = Options { webhook_retention: Some(Duration::from_secs(1)), ..Options::default() };
    let app = TestApp::start_with(backend, options).await;
    let receiver = Receiver::ok();
    let (webhook, _) = register(&app, &receiver.url, json!(["created"])).await;
    let id = webhook["id"].as_str().expect("id");
    let failing = Receiver::start(Arc::new(|_| (500, Duration::ZERO, None)));
    let (stuck, _) = register(&app, &failing.url, json!(["created"])).await;
    let stuck = stuck["id"].as_str().expect("id");
    write(&app, 2).await;
    receiver.wait_for(2, Duration::from_secs(10)).await;
    until_no_deliveries(&app, id, "").await;
    let waiting = deliveries(&app, stuck, "").await;
    assert_eq!(waiting.len(), 2, "deliveries still waiting are kept: {waiting:#?}");
    assert!(waiting.iter().all(|d| d["state"] == "pending"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_old_deliveries_are_deleted() {
    old_deliveries_are_deleted(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_old_deliveries_are_deleted() {
    if claimdesk_tests::postgres_available() {
        old_deliveries_are_deleted(Backend::Postgres).await;
    }
}

/// Two core instances on one database: every delivery is sent by one of them, once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_two_cores_send_each_delivery_once() {
    if !claimdesk_tests::postgres_available() {
        return;
    }
    let app = TestApp::start(Backend::Postgres).await;
    let _other = app.another_core().await;
    let receiver = Receiver::start(Arc::new(|_| (200, Duration::from_millis(20), None)));
    let (_, secret) = register(&app, &receiver.url, json!([])).await;
    let claims = write(&app, 20).await;
    receiver.wait_for(40, Duration::from_secs(30)).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_complete_and_in_order(&receiver, &claims, &secret);
    let received = receiver.received();
    let distinct: HashSet<&str> = received.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(received.len(), distinct.len(), "a delivery was sent twice");
}
