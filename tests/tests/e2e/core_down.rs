//! The gateway with core down: 503 problems and a failing /readyz, a live /healthz, and
//! recovery without a restart when core comes back.

use std::time::{Duration, Instant};

use claimdesk_proto::v1 as pb;
use claimdesk_tests::{Backend, Options, TestApp, problem, venezuela_claim};
use serde_json::Value;

async fn gateway_answers_503_while_core_is_down_and_recovers(mut app: TestApp) {
    let created: Value = app.post_json("/v1/claims", &venezuela_claim()).await.json().await.expect("json");
    let path = format!("/v1/claims/{}", created["id"].as_str().expect("id"));
    assert_eq!(app.get("/readyz").await.status(), 200);

    app.stop_core().await;
    let body = problem(app.get(&path).await, 503).await;
    assert_eq!(body["code"], "core_unavailable");
    let body = problem(app.post_json("/v1/claims", &venezuela_claim()).await, 503).await;
    assert_eq!(body["code"], "core_unavailable");
    let body = problem(app.get("/readyz").await, 503).await;
    assert_eq!(body["code"], "core_unavailable");
    assert_eq!(app.get("/healthz").await.status(), 200, "liveness does not depend on core");

    app.restart_core().await;
    let mut recovered = false;
    for _ in 0..50 {
        if app.get("/readyz").await.status() == 200 {
            recovered = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(recovered, "gateway did not reconnect to core");
    let read: Value = app.get(&path).await.json().await.expect("json");
    assert_eq!(read, created, "the claim survived core's restart");
}

claimdesk_tests::on_both_backends!(gateway_answers_503_while_core_is_down_and_recovers);

/// A core that does not answer (its write waits on a lock held elsewhere) gets the documented
/// 504 at the gateway's deadline, not a 503 after it.
async fn a_hung_core_answers_504_at_the_gateways_deadline(backend: Backend) {
    let options = Options { core_timeout: Some(Duration::from_secs(1)), ..Options::default() };
    let app = TestApp::start_with(backend, options).await;
    app.get("/v1/claims").await;
    let lock = if backend == Backend::Postgres { "LOCK TABLE claims IN ACCESS EXCLUSIVE MODE" } else { "" };
    let holder = app.hold_lock(lock, Duration::from_secs(3));
    let started = Instant::now();
    let body = problem(app.post_json("/v1/claims", &venezuela_claim()).await, 504).await;
    let waited = started.elapsed();
    assert_eq!(body["code"], "core_timeout");
    // Core itself gives up a moment before the gateway's deadline, so that its answer arrives.
    assert!(waited >= Duration::from_millis(900) && waited < Duration::from_millis(2500), "answered after {waited:?}");
    holder.join().expect("lock released");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_core_answers_504_on_sqlite() {
    a_hung_core_answers_504_at_the_gateways_deadline(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_core_answers_504_on_postgres() {
    if claimdesk_tests::postgres_available() {
        a_hung_core_answers_504_at_the_gateways_deadline(Backend::Postgres).await;
    }
}

/// Core gives up at the caller's deadline, down to the database: DEADLINE_EXCEEDED right after
/// it; on PostgreSQL the statement waiting on the lock is cancelled, not left waiting; nothing
/// is written; and the next call is served.
async fn core_honours_the_callers_deadline(backend: Backend) {
    let app = TestApp::start(backend).await;
    let mut grpc = app.grpc().await;
    let lock = if backend == Backend::Postgres { "LOCK TABLE claims IN ACCESS EXCLUSIVE MODE" } else { "" };
    let holder = app.hold_lock(lock, Duration::from_secs(4));
    let mut request = tonic::Request::new(pb::CreateClaimRequest {
        text: "The deadline passes while the table is locked".into(),
        language: "en".into(),
        claimant: Some("Reuters".into()),
        ..Default::default()
    });
    request.set_timeout(Duration::from_millis(500));
    let started = Instant::now();
    let status = grpc.create_claim(request).await.expect_err("deadline");
    let waited = started.elapsed();
    assert_eq!(status.code(), tonic::Code::DeadlineExceeded, "{status:?}");
    assert!(waited < Duration::from_millis(1500), "answered after {waited:?}");
    if backend == Backend::Postgres {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let waiting = app
            .sql_i64(
                "(SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() \
                 AND wait_event_type = 'Lock')",
            )
            .await;
        assert_eq!(waiting, 0, "core's statement still waits on the lock after the deadline");
    }
    holder.join().expect("lock released");
    // Give a write that was left waiting on the lock time to land, had core not given up.
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(app.sql_i64("(SELECT count(*) FROM claims)").await, 0, "nothing was written");
    let created = app.post_json("/v1/claims", &venezuela_claim()).await;
    assert_eq!(created.status(), 201, "the pool serves the next call");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn core_honours_the_callers_deadline_on_sqlite() {
    core_honours_the_callers_deadline(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn core_honours_the_callers_deadline_on_postgres() {
    if claimdesk_tests::postgres_available() {
        core_honours_the_callers_deadline(Backend::Postgres).await;
    }
}
