//! The gateway's front door: request ids, authentication before the body, slow and greedy
//! clients, 405 and HEAD, CORS and metrics. Gateway behaviour, the same on either backend:
//! run on SQLite.

use std::time::{Duration, Instant};

use claimdesk_tests::{ADMIN_TOKEN, Backend, Options, TestApp, client_with_token, problem};
use serde_json::json;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

/// Opens a connection and sends a request's head and `body_part`, announcing `length` bytes
/// of body: a client that then goes quiet.
async fn slow_request(app: &TestApp, token: Option<&str>, length: usize, body_part: &str) -> TcpStream {
    let mut stream = TcpStream::connect(app.http_addr()).await.expect("connect");
    let auth = token.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
    let head = format!(
        "POST /v1/claims HTTP/1.1\r\nHost: test\r\n{auth}Content-Type: application/json\r\nContent-Length: {length}\r\n\r\n{body_part}"
    );
    stream.write_all(head.as_bytes()).await.expect("head sent");
    stream
}

/// The status line of whatever the server answers on `stream` within `within`.
async fn status_of(stream: &mut TcpStream, within: Duration) -> Option<u16> {
    let mut answer = vec![0; 4096];
    let n = tokio::time::timeout(within, stream.read(&mut answer)).await.ok()?.ok()?;
    let text = String::from_utf8_lossy(&answer[..n]);
    text.strip_prefix("HTTP/1.1 ")?.get(..3)?.parse().ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_ids_come_back_and_appear_in_problems() {
    let app = TestApp::start(Backend::Sqlite).await;
    let missing = "/v1/claims/01964b6e-7a4f-7c3e-9d2a-5b8c1e0f3a47";
    let response = app.http.get(app.url(missing)).header("x-request-id", "desk-42").send().await.expect("sent");
    assert_eq!(response.headers()["x-request-id"], "desk-42");
    assert_eq!(problem(response, 404).await["request_id"], "desk-42");

    let response = app.get(missing).await;
    let made = response.headers()["x-request-id"].to_str().expect("ascii").to_owned();
    assert_eq!(made.len(), 32, "a UUIDv7 in hex: {made}");
    assert_eq!(problem(response, 404).await["request_id"], made.as_str());

    // An unusable id (too long) is replaced, not echoed.
    let response = app.http.get(app.url(missing)).header("x-request-id", "x".repeat(300)).send().await.expect("sent");
    assert_eq!(response.headers()["x-request-id"].len(), 32);

    // Core keeps a gRPC caller's id too.
    let mut request = tonic::Request::new(claimdesk_proto::v1::ListClaimsRequest::default());
    request.metadata_mut().insert("x-request-id", "tool-7".parse().expect("ascii"));
    let answer = app.grpc().await.list_claims(request).await.expect("listed");
    assert_eq!(answer.metadata().get("x-request-id").and_then(|v| v.to_str().ok()), Some("tool-7"));
}

/// Without a token, every /v1 request is 401, whatever else is wrong with it, and a body is
/// never waited for.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strangers_get_401_before_anything_else() {
    let app = TestApp::start(Backend::Sqlite).await;
    let claim = app.claim(json!({"text": "x", "language": "fr"})).await;
    let path = format!("/v1/claims/{}", claim["id"].as_str().expect("id"));
    let anonymous = client_with_token(None);
    let checks = [
        anonymous.post(app.url("/v1/claims")).header("content-type", "text/plain").body("x"),
        anonymous.patch(app.url(&path)).json(&json!({"text": "y"})),
        anonymous.patch(app.url(&path)).header("if-match", "*").header("content-type", "application/json").body("{"),
        anonymous.get(app.url("/v1/claims?page_size=oops")),
        anonymous.delete(app.url("/v1/tokens/not-a-uuid")),
    ];
    for request in checks {
        assert_eq!(problem(request.send().await.expect("sent"), 401).await["code"], "unauthenticated");
    }
    // A bad token, likewise.
    let stranger = client_with_token(Some("cdk_made-up-0123456789abcdefghijklmnopqrstuv"));
    let response = stranger.post(app.url("/v1/claims")).header("content-type", "text/plain").body("x").send().await;
    assert_eq!(response.expect("sent").status(), 401);

    // A header too large to be a token is 401 too, and hurts no one else: it never reaches core.
    let huge = format!("Bearer {}", "a".repeat(100_000));
    let response = reqwest::Client::new().get(app.url("/v1/claims")).header("authorization", huge).send().await;
    assert_eq!(problem(response.expect("sent"), 401).await["code"], "unauthenticated");
    assert_eq!(app.get("/v1/claims").await.status(), 200);
    // A body announced and never sent: answered at once, not waited for.
    let started = Instant::now();
    let mut stream = slow_request(&app, None, 1000, "").await;
    assert_eq!(status_of(&mut stream, Duration::from_secs(2)).await, Some(401));
    assert!(started.elapsed() < Duration::from_secs(1), "took {:?}", started.elapsed());
    // The scheme is case-insensitive.
    let shouting = reqwest::Client::new();
    let response =
        shouting.get(app.url("/v1/claims")).header("authorization", format!("BEARER {ADMIN_TOKEN}")).send().await;
    assert_eq!(response.expect("sent").status(), 200);
}

/// Clients that send their bodies slowly are cut off at the body timeout (408), cannot take
/// more than their share of requests in flight (429), and never slow anyone else down.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_bodies_time_out_and_do_not_hold_up_others() {
    let options =
        Options { body_timeout: Some(Duration::from_secs(3)), max_requests_per_client: Some(60), ..Options::default() };
    let app = TestApp::start_with(Backend::Sqlite, options).await;
    app.get("/v1/claims").await;
    let started = Instant::now();
    let mut slow = Vec::new();
    for _ in 0..50 {
        slow.push(slow_request(&app, Some(ADMIN_TOKEN), 1000, r#"{"text": "#).await);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Meanwhile another client (another address: 127.0.0.2) is served as usual.
    let normal = reqwest::Client::builder().local_address(std::net::IpAddr::from([127, 0, 0, 2])).build();
    let normal = normal.expect("client");
    for _ in 0..10 {
        let asked = Instant::now();
        let response =
            normal.get(app.url("/v1/claims")).header("authorization", format!("Bearer {ADMIN_TOKEN}")).send().await;
        assert_eq!(response.expect("sent").status(), 200);
        assert!(asked.elapsed() < Duration::from_millis(500), "a normal read took {:?}", asked.elapsed());
    }
    // Past its share, the slow client's next requests are refused at once.
    let mut over = Vec::new();
    for _ in 0..15 {
        over.push(slow_request(&app, Some(ADMIN_TOKEN), 1000, "").await);
    }
    let mut refused = 0;
    for stream in &mut over {
        if status_of(stream, Duration::from_millis(100)).await == Some(429) {
            refused += 1;
        }
    }
    assert_eq!(refused, 5, "50 requests in flight, 15 more, a cap of 60");
    assert!(started.elapsed() < Duration::from_secs(3), "the checks above ran while the slow bodies were pending");
    // The slow ones are answered 408 once the body timeout has passed.
    let mut timed_out = 0;
    for stream in &mut slow {
        if status_of(stream, Duration::from_secs(5)).await == Some(408) {
            timed_out += 1;
        }
    }
    assert_eq!(timed_out, 50, "every slow body gets 408");
    assert_eq!(app.sql_i64("(SELECT count(*) FROM claims)").await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_methods_get_405_with_allow_and_head_answers_like_get() {
    let app = TestApp::start(Backend::Sqlite).await;
    for (method, path, allow) in [
        (reqwest::Method::PUT, "/v1/claims", "GET, HEAD, POST"),
        (reqwest::Method::DELETE, "/healthz", "GET, HEAD"),
        (reqwest::Method::POST, "/v1/claims/01964b6e-7a4f-7c3e-9d2a-5b8c1e0f3a47", "GET, HEAD, PATCH"),
        (reqwest::Method::POST, "/metrics", "GET, HEAD"),
        (reqwest::Method::DELETE, "/openapi.json", "GET, HEAD"),
    ] {
        let response = app.http.request(method.clone(), app.url(path)).send().await.expect("sent");
        assert_eq!(response.headers().get("allow").and_then(|v| v.to_str().ok()), Some(allow), "{method} {path}");
        assert_eq!(problem(response, 405).await["code"], "method_not_allowed");
    }
    assert_eq!(problem(app.get("/v1/nothing").await, 404).await["code"], "route_not_found");
    // A query parameter no operation declares is named, on every route.
    for path in ["/v1/claims/01964b6e-7a4f-7c3e-9d2a-5b8c1e0f3a47?x=1", "/v1/tokens?x=1", "/v1/claims?sttaus=confirmed"]
    {
        let refused = problem(app.get(path).await, 400).await;
        assert_eq!(refused["code"], "invalid_query", "{path}");
        assert_ne!(refused["errors"][0]["field"], "body", "{path}");
    }
    let twice = problem(app.get("/v1/claims?page_size=1&page_size=2").await, 400).await;
    assert_eq!(twice["errors"][0]["field"], "page_size");

    let claim = app.claim(json!({"text": "x", "language": "fr"})).await;
    let path = format!("/v1/claims/{}", claim["id"].as_str().expect("id"));
    let get = app.get(&path).await;
    let head = app.http.head(app.url(&path)).send().await.expect("sent");
    assert_eq!(head.status(), 200);
    assert_eq!(head.headers()["etag"], get.headers()["etag"]);
    assert_eq!(head.headers().get("content-length"), get.headers().get("content-length"));
    assert!(head.bytes().await.expect("body").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cors_is_off_by_default_and_on_for_configured_origins() {
    let preflight = |app: &TestApp| {
        app.http
            .request(reqwest::Method::OPTIONS, app.url("/v1/claims"))
            .header("origin", "https://desk.example")
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "authorization, content-type")
            .send()
    };
    let closed = TestApp::start(Backend::Sqlite).await;
    let answer = preflight(&closed).await.expect("sent");
    assert!(answer.headers().get("access-control-allow-origin").is_none());

    let open = TestApp::start_with(
        Backend::Sqlite,
        Options { cors_origin: Some("https://desk.example"), ..Options::default() },
    )
    .await;
    let answer = preflight(&open).await.expect("sent");
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.headers()["access-control-allow-origin"], "https://desk.example");
    let read = open.http.get(open.url("/v1/claims")).header("origin", "https://desk.example").send().await;
    let read = read.expect("sent");
    assert_eq!(read.headers()["access-control-allow-origin"], "https://desk.example");
    let exposed = read.headers()["access-control-expose-headers"].to_str().expect("ascii").to_lowercase();
    assert!(exposed.contains("etag") && exposed.contains("link"), "{exposed}");
    let other = open.http.get(open.url("/v1/claims")).header("origin", "https://elsewhere.example").send().await;
    assert!(other.expect("sent").headers().get("access-control-allow-origin").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_requests_calls_and_the_pool() {
    let app = TestApp::start(Backend::Sqlite).await;
    assert_eq!(app.get("/v1/claims").await.status(), 200);
    app.get("/v1/claims/01964b6e-7a4f-7c3e-9d2a-5b8c1e0f3a47").await;
    // A method no service has: counted as `other`, not under its made-up name.
    let status =
        app.raw_grpc_call("/claimdesk.v1.ClaimService/MadeUp42", Vec::new()).await.expect_err("no such method");
    assert_eq!(status.code(), tonic::Code::Unimplemented);
    let response = client_with_token(None).get(app.url("/metrics")).send().await.expect("sent");
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"].to_str().expect("ascii").starts_with("application/openmetrics-text"));
    let text = response.text().await.expect("text");
    for expected in [
        r#"claimdesk_gateway_http_request_duration_seconds_count{method="GET",route="/v1/claims",status="200"} 1"#,
        r#"claimdesk_gateway_http_request_duration_seconds_count{method="GET",route="/v1/claims/{id}",status="404"} 1"#,
        r#"claimdesk_core_grpc_call_duration_seconds_count{method="/claimdesk.v1.ClaimService/ListClaims",code="Ok""#,
        r#"claimdesk_core_errors_total{code="not_found"}"#,
        "claimdesk_core_db_pool_size",
        "claimdesk_core_db_pool_in_use",
        "claimdesk_core_db_pool_idle",
        "claimdesk_gateway_build_info",
    ] {
        assert!(text.contains(expected), "no {expected} in\n{text}");
    }
    assert!(text.ends_with("# EOF\n"));
    assert!(!text.contains("MadeUp42"), "a made-up method became a label");
    assert!(text.contains(r#"method="other",code="Unimplemented""#), "{text}");
}
