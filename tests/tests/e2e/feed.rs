//! The change feed (`WatchEvents`): every event once, in commit order, resumable at any point,
//! across core instances; its errors; its filters; streams that end (revoked token, core
//! stopping) and resume.

use std::{
    collections::{HashMap, HashSet},
    time::{Duration, Instant},
};

use claimdesk_proto::v1::{self as pb, claim_service_client::ClaimServiceClient};
use claimdesk_tests::{AuthedChannel, TestApp};
use tonic::{Code, Streaming};
use tonic_types::StatusExt;

type Client = ClaimServiceClient<AuthedChannel>;

fn watch_from(since: &str) -> pb::WatchEventsRequest {
    pb::WatchEventsRequest { since: since.into(), from_beginning: since.is_empty(), ..Default::default() }
}

async fn open(client: &mut Client, request: pb::WatchEventsRequest) -> Streaming<pb::FeedEvent> {
    client.watch_events(request).await.expect("stream opens").into_inner()
}

/// The next event of `stream`, waiting at most `wait`.
async fn next_within(stream: &mut Streaming<pb::FeedEvent>, wait: Duration) -> Option<pb::FeedEvent> {
    match tokio::time::timeout(wait, stream.message()).await {
        Ok(Ok(Some(event))) => Some(event),
        Ok(Ok(None)) => panic!("the stream ended"),
        Ok(Err(status)) => panic!("the stream failed: {status:?}"),
        Err(_) => None,
    }
}

/// `n` events from `stream`, failing when one takes longer than 10 s.
async fn take(stream: &mut Streaming<pb::FeedEvent>, n: usize) -> Vec<pb::FeedEvent> {
    let mut got = Vec::with_capacity(n);
    while got.len() < n {
        let event = next_within(stream, Duration::from_secs(10))
            .await
            .unwrap_or_else(|| panic!("waited 10 s for event {} of {n}", got.len() + 1));
        got.push(event);
    }
    got
}

/// (claim id, version): what identifies an event.
fn key(e: &pb::FeedEvent) -> (String, i64) {
    (e.claim_id.clone(), e.event.as_ref().expect("event").version)
}

async fn create(client: &mut Client, text: String) -> String {
    client
        .create_claim(pb::CreateClaimRequest { text, language: "en".into(), ..Default::default() })
        .await
        .expect("created")
        .into_inner()
        .id
}

async fn edit(client: &mut Client, id: &str, context: String) {
    client
        .update_claim(pb::UpdateClaimRequest {
            id: id.into(),
            claim: Some(pb::ClaimFields { context: Some(context), ..Default::default() }),
            update_mask: Some(prost_types::FieldMask { paths: vec!["context".into()] }),
            etag: "*".into(),
            ..Default::default()
        })
        .await
        .expect("edited");
}

/// `claims` claims by `writers` concurrent writers, each claim created then edited `edits`
/// times: every acknowledged write with the instant it began and the instant it was answered.
async fn write_concurrently(
    clients: Vec<Client>,
    claims: usize,
    edits: usize,
    tag: &str,
) -> Vec<((String, i64), Instant, Instant)> {
    let writers = clients.len();
    let tasks = clients.into_iter().enumerate().map(|(w, mut client)| {
        let tag = tag.to_owned();
        tokio::spawn(async move {
            let mut done = Vec::new();
            for i in (w..claims).step_by(writers) {
                let began = Instant::now();
                let id = create(&mut client, format!("Feed claim {tag} {i}: the bridge {i} was closed")).await;
                done.push(((id.clone(), 1), began, Instant::now()));
                for version in 2..=(edits as i64 + 1) {
                    let began = Instant::now();
                    edit(&mut client, &id, format!("edit {version}")).await;
                    done.push(((id.clone(), version), began, Instant::now()));
                }
            }
            done
        })
    });
    let mut all = Vec::new();
    for task in futures_util::future::join_all(tasks).await {
        all.extend(task.expect("writer"));
    }
    all
}

/// The feed's order is commit order: a write answered before another began comes first, and
/// each claim's events come in version order; no event twice.
fn assert_commit_order(delivered: &[pb::FeedEvent], writes: &[((String, i64), Instant, Instant)]) {
    let position: HashMap<(String, i64), usize> = delivered.iter().enumerate().map(|(i, e)| (key(e), i)).collect();
    assert_eq!(position.len(), delivered.len(), "an event came twice");
    for w in writes {
        assert!(position.contains_key(&w.0), "event {:?} never came", w.0);
    }
    let mut by_end: Vec<_> = writes.iter().collect();
    by_end.sort_by_key(|w| w.2);
    let mut by_start: Vec<_> = writes.iter().collect();
    by_start.sort_by_key(|w| w.1);
    // For each write b, every write answered before b began sits earlier in the feed: the
    // latest position among those must be below b's.
    let mut latest_before = None::<usize>;
    let mut answered = by_end.iter().peekable();
    for b in by_start {
        while let Some(a) = answered.peek() {
            if a.2 < b.1 {
                let p = position[&a.0];
                latest_before = Some(latest_before.map_or(p, |l| l.max(p)));
                answered.next();
            } else {
                break;
            }
        }
        if let Some(before) = latest_before {
            assert!(before < position[&b.0], "{:?} was answered before {:?} began but comes after it", before, b.0);
        }
    }
    let mut last_version: HashMap<&str, i64> = HashMap::new();
    for e in delivered {
        let (claim, version) = (e.claim_id.as_str(), e.event.as_ref().expect("event").version);
        let last = last_version.insert(claim, version).unwrap_or(0);
        assert_eq!(version, last + 1, "claim {claim}: version {version} after {last}");
    }
}

async fn a_watcher_that_reconnects_anywhere_misses_and_repeats_nothing(app: TestApp) {
    let mut client = app.grpc().await;
    // A live watcher from now: it disconnects after every 37th event and resumes from the
    // last cursor it received, while four writers make 1,000 events.
    let mut live = open(&mut client, pb::WatchEventsRequest::default()).await;
    let writers = (0..4).map(|_| app.grpc());
    let clients = futures_util::future::join_all(writers).await;
    let writing = tokio::spawn(async move { write_concurrently(clients, 250, 3, "resume").await });
    let mut seen: Vec<pb::FeedEvent> = Vec::new();
    while seen.len() < 1000 {
        let event = next_within(&mut live, Duration::from_secs(20)).await.expect("an event within 20 s");
        seen.push(event);
        if seen.len().is_multiple_of(37) {
            drop(live);
            live = open(&mut client, watch_from(&seen.last().expect("seen").cursor)).await;
        }
    }
    let writes = writing.await.expect("writers");
    assert_eq!(writes.len(), 1000);
    assert!(next_within(&mut live, Duration::from_millis(300)).await.is_none(), "an event beyond the 1,000");
    assert_commit_order(&seen, &writes);

    // The whole feed from its beginning is what the live watcher saw, and resuming after any
    // event gives the one that followed it.
    let mut whole = open(&mut client, watch_from("")).await;
    let all = take(&mut whole, 1000).await;
    assert_eq!(all.iter().map(key).collect::<Vec<_>>(), seen.iter().map(key).collect::<Vec<_>>());
    assert_eq!(all.iter().map(|e| &e.cursor).collect::<Vec<_>>(), seen.iter().map(|e| &e.cursor).collect::<Vec<_>>());
    for (i, event) in all.iter().enumerate().take(999) {
        let mut resumed = open(&mut client, watch_from(&event.cursor)).await;
        let next = take(&mut resumed, 1).await;
        assert_eq!(key(&next[0]), key(&all[i + 1]), "resumed after event {i}");
    }
    let mut at_end = open(&mut client, watch_from(&all[999].cursor)).await;
    assert!(next_within(&mut at_end, Duration::from_millis(300)).await.is_none(), "an event after the last");
}

async fn bad_cursors_and_filters_are_refused_with_the_field(app: TestApp) {
    let mut client = app.grpc().await;
    create(&mut client, "The port was closed on Sunday".into()).await;
    let mut whole = open(&mut client, watch_from("")).await;
    let first = take(&mut whole, 1).await.remove(0);
    let refused = |request: pb::WatchEventsRequest| {
        let mut client = client.clone();
        async move { client.watch_events(request).await.expect_err("refused") }
    };
    for since in ["garbage", "42", "ZTE6LTE"] {
        let status = refused(watch_from(since)).await;
        assert_eq!(status.code(), Code::InvalidArgument, "{since}");
        let fields: Vec<String> =
            status.get_details_bad_request().expect("details").field_violations.into_iter().map(|v| v.field).collect();
        assert_eq!(fields, ["since"], "{since}");
    }
    // A cursor this database never issued: ahead of its newest event.
    let ahead = base64_cursor(1_000_000);
    let status = refused(watch_from(&ahead)).await;
    assert_eq!(status.code(), Code::OutOfRange);
    assert_eq!(status.get_details_error_info().expect("info").reason, "cursor_out_of_range");
    let status = refused(pb::WatchEventsRequest {
        since: first.cursor.clone(),
        from_beginning: true,
        kinds: vec!["deleted".into()],
        statuses: vec![0],
        claim_ids: vec!["nope".into()],
        ..Default::default()
    })
    .await;
    assert_eq!(status.code(), Code::InvalidArgument);
    let mut fields: Vec<String> =
        status.get_details_bad_request().expect("details").field_violations.into_iter().map(|v| v.field).collect();
    fields.sort();
    assert_eq!(fields, ["claim_ids", "from_beginning", "kinds", "statuses"]);
    // No token: refused before anything streams.
    let mut anonymous = ClaimServiceClient::new(app.grpc_channel().await);
    let status = anonymous.watch_events(watch_from("")).await.expect_err("refused");
    assert_eq!(status.code(), Code::Unauthenticated);
}

/// The feed's cursor format (base64url of `e1:<position>`), for a position never issued.
fn base64_cursor(position: i64) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("e1:{position}"))
}

async fn filters_narrow_the_stream(app: TestApp) {
    let mut client = app.grpc().await;
    let tagged = client
        .create_claim(pb::CreateClaimRequest {
            text: "The strike hit the harbour".into(),
            language: "en".into(),
            tags: vec!["venezuela".into()],
            ..Default::default()
        })
        .await
        .expect("created")
        .into_inner()
        .id;
    let other = create(&mut client, "Ships left the base at dawn".into()).await;
    edit(&mut client, &other, "a".into()).await;
    edit(&mut client, &tagged, "b".into()).await;
    client
        .set_status(pb::SetStatusRequest {
            claim_id: tagged.clone(),
            status: pb::ClaimStatus::InReview.into(),
            etag: "*".into(),
            ..Default::default()
        })
        .await
        .expect("status set");
    let collect = |request: pb::WatchEventsRequest, n: usize| {
        let mut client = client.clone();
        async move {
            let mut stream = open(&mut client, request).await;
            let got = take(&mut stream, n).await;
            assert!(next_within(&mut stream, Duration::from_millis(300)).await.is_none(), "more than {n}");
            got.iter().map(|e| (e.claim_id.clone(), e.kind.clone())).collect::<Vec<_>>()
        }
    };
    let all = |f: pb::WatchEventsRequest| pb::WatchEventsRequest { from_beginning: true, ..f };
    let by_kind = collect(all(pb::WatchEventsRequest { kinds: vec!["edited".into()], ..Default::default() }), 2).await;
    assert_eq!(by_kind, [(other.clone(), "edited".into()), (tagged.clone(), "edited".into())]);
    let by_claim =
        collect(all(pb::WatchEventsRequest { claim_ids: vec![other.clone()], ..Default::default() }), 2).await;
    assert_eq!(by_claim, [(other.clone(), "created".into()), (other.clone(), "edited".into())]);
    // Tags are matched as stored (lower-cased).
    let by_tag = collect(all(pb::WatchEventsRequest { tags: vec!["Venezuela".into()], ..Default::default() }), 3).await;
    assert_eq!(by_tag.iter().map(|(_, k)| k.as_str()).collect::<Vec<_>>(), ["created", "edited", "status_changed"]);
    let by_status = collect(
        all(pb::WatchEventsRequest {
            statuses: vec![pb::ClaimStatus::Unverified.into()],
            kinds: vec!["created".into()],
            ..Default::default()
        }),
        1,
    )
    .await;
    assert_eq!(by_status, [(other, "created".into())]);
}

async fn a_revoked_tokens_stream_ends_and_a_stopping_core_says_where_to_resume(mut app: TestApp) {
    let mut admin = app.grpc().await;
    let mut tokens = pb::token_service_client::TokenServiceClient::new(app.grpc_as(claimdesk_tests::ADMIN_TOKEN).await);
    let created = tokens
        .create_token(pb::CreateTokenRequest {
            name: "watcher".into(),
            role: pb::Role::Viewer.into(),
            expires_at: None,
        })
        .await
        .expect("token")
        .into_inner();
    let mut viewer = ClaimServiceClient::new(app.grpc_as(&created.secret).await);
    let mut stream = viewer.watch_events(pb::WatchEventsRequest::default()).await.expect("opens").into_inner();
    create(&mut admin, "A claim the viewer sees".into()).await;
    take(&mut stream, 1).await;
    tokens.revoke_token(pb::RevokeTokenRequest { id: created.token.expect("token").id }).await.expect("revoked");
    let ended = tokio::time::timeout(Duration::from_secs(10), stream.message()).await.expect("ends within 10 s");
    assert_eq!(ended.err().map(|s| s.code()), Some(Code::Unauthenticated));

    // Core stopping: the stream ends with UNAVAILABLE and the cursor to resume from.
    let mut stream = open(&mut admin, watch_from("")).await;
    let first = take(&mut stream, 1).await.remove(0);
    let stopping = tokio::time::timeout(Duration::from_secs(10), app.stop_core());
    let (stopped, ended) = tokio::join!(stopping, stream.message());
    stopped.expect("core stops within 10 s with a stream open");
    let status = ended.expect_err("the stream ends with a status");
    assert_eq!(status.code(), Code::Unavailable);
    let info = status.get_details_error_info().expect("info");
    assert_eq!(info.reason, "core_stopping");
    assert_eq!(info.metadata.get("resume_from"), Some(&first.cursor));
    app.restart_core().await;
    let mut admin = app.grpc().await;
    create(&mut admin, "Written after the restart".into()).await;
    let mut resumed = open(&mut admin, watch_from(&first.cursor)).await;
    let next = take(&mut resumed, 1).await.remove(0);
    assert_eq!(next.kind, "created");
    assert_eq!(
        next.event.and_then(|e| e.change).map(|c| matches!(c, pb::history_event::Change::Created(_))),
        Some(true)
    );
}

/// A watcher that reads nothing while thousands of events wait: core stops filling its buffer,
/// ends the stream with ABORTED `slow_consumer` and the last cursor it queued, and the watcher
/// resumes from the last event it read with nothing lost or repeated.
async fn a_watcher_that_reads_nothing_loses_its_stream_and_resumes_without_a_gap(backend: claimdesk_tests::Backend) {
    let options = claimdesk_tests::Options { feed_slow_consumer: Some(Duration::from_secs(2)), ..Default::default() };
    let app = TestApp::start_with(backend, options).await;
    let mut client = app.grpc().await;
    let afp = app.source(serde_json::json!({"name": "Agence France-Presse", "kind": "news_agency"})).await;
    let mut stream = open(&mut client, watch_from("")).await;
    // About 5 MB of events: far more than HTTP/2's windows and core's 256-event buffer hold.
    let mut expected = 0;
    for i in 0..8 {
        let attributions = (0..500)
            .map(|j| pb::AttributionFields {
                speaker_id: afp.clone(),
                stance: pb::Stance::Asserts.into(),
                quote: Some(format!("statement {i}-{j}: {}", "the harbour stayed closed all week; ".repeat(28))),
                ..Default::default()
            })
            .collect();
        client
            .create_claim(pb::CreateClaimRequest {
                text: format!("Claim {i} relayed five hundred times"),
                language: "en".into(),
                attributions,
                ..Default::default()
            })
            .await
            .expect("created");
        expected += 501;
    }
    tokio::time::sleep(Duration::from_secs(4)).await;
    let mut read = Vec::new();
    let status = loop {
        match tokio::time::timeout(Duration::from_secs(10), stream.message()).await.expect("no stall") {
            Ok(Some(event)) => read.push(event),
            Ok(None) => panic!("the stream ended without a status after {} events", read.len()),
            Err(status) => break status,
        }
    };
    assert_eq!(status.code(), Code::Aborted, "{status:?}");
    let info = status.get_details_error_info().expect("info");
    assert_eq!(info.reason, "slow_consumer");
    let last = read.last().expect("some events were queued before the stream ended");
    assert_eq!(info.metadata.get("resume_from"), Some(&last.cursor));
    assert!(read.len() < expected, "every event fit in the buffers: the test proves nothing");
    let mut resumed = open(&mut client, watch_from(&last.cursor)).await;
    read.extend(take(&mut resumed, expected - read.len()).await);
    assert!(next_within(&mut resumed, Duration::from_millis(300)).await.is_none(), "an event twice or extra");
    let keys: HashSet<(String, i64)> = read.iter().map(key).collect();
    assert_eq!(keys.len(), expected, "an event came twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_a_watcher_that_reads_nothing_loses_its_stream_and_resumes_without_a_gap() {
    a_watcher_that_reads_nothing_loses_its_stream_and_resumes_without_a_gap(claimdesk_tests::Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_watcher_that_reads_nothing_loses_its_stream_and_resumes_without_a_gap() {
    if claimdesk_tests::postgres_available() {
        a_watcher_that_reads_nothing_loses_its_stream_and_resumes_without_a_gap(claimdesk_tests::Backend::Postgres)
            .await;
    }
}

/// A stopping gateway ends its event streams at once, each with a last message saying where to
/// resume, instead of holding its graceful shutdown for 30 s and then cutting them.
async fn a_stopping_gateway_ends_its_event_streams_with_where_to_resume(app: TestApp) {
    app.claim(serde_json::json!({"text": "The consulate reopened on Tuesday", "language": "en"})).await;
    let mut sse = Sse::open(&app, "?from_beginning=true", None).await;
    let (id, _, _) = sse.next().await;
    let stopping = tokio::time::timeout(Duration::from_secs(10), app.stop_gateway());
    let (stopped, (_, event, data)) = tokio::join!(stopping, sse.next());
    stopped.expect("the gateway stops within 10 s with an event stream open");
    assert_eq!(event, "error");
    assert_eq!(data["code"], "gateway_stopping");
    assert_eq!(data["resume_from"], id.as_str());
    assert_eq!(sse.last_id.as_deref(), Some(id.as_str()));
}

claimdesk_tests::on_both_backends!(
    a_watcher_that_reconnects_anywhere_misses_and_repeats_nothing,
    bad_cursors_and_filters_are_refused_with_the_field,
    filters_narrow_the_stream,
    a_revoked_tokens_stream_ends_and_a_stopping_core_says_where_to_resume,
    the_gateway_relays_the_feed_as_server_sent_events_and_resumes_from_last_event_id,
    an_sse_stream_ends_with_an_error_message_that_says_where_to_resume,
    a_stopping_gateway_ends_its_event_streams_with_where_to_resume,
);

/// Two cores on one PostgreSQL database: writers on both, a watcher on each; every event
/// reaches both watchers once, in commit order, and one written through one core reaches the
/// other's watcher within a second.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_watchers_on_two_cores_see_every_event_in_commit_order() {
    if !claimdesk_tests::postgres_available() {
        return;
    }
    let app = TestApp::start(claimdesk_tests::Backend::Postgres).await;
    let other = app.another_core().await;
    let mut ours = app.grpc().await;
    let mut theirs = ClaimServiceClient::new(other.channel.clone());
    let mut on_ours = open(&mut ours, pb::WatchEventsRequest::default()).await;
    let mut on_theirs = open(&mut theirs, pb::WatchEventsRequest::default()).await;
    let clients = vec![ours.clone(), theirs.clone(), ours.clone(), theirs.clone(), ours.clone(), theirs.clone()];
    let writes = write_concurrently(clients, 120, 2, "two cores").await;
    let a = take(&mut on_ours, writes.len()).await;
    let b = take(&mut on_theirs, writes.len()).await;
    assert_eq!(a.iter().map(|e| &e.cursor).collect::<Vec<_>>(), b.iter().map(|e| &e.cursor).collect::<Vec<_>>());
    assert_commit_order(&a, &writes);
    let ids: HashSet<String> = a.iter().map(|e| e.claim_id.clone()).collect();
    assert_eq!(ids.len(), 120);

    // From one core to the other's watcher: within a second, each time.
    for i in 0..5 {
        let written = Instant::now();
        let id = create(&mut ours, format!("Latency probe {i}: the airport reopened")).await;
        let event = next_within(&mut on_theirs, Duration::from_secs(1)).await.expect("within a second");
        assert_eq!(event.claim_id, id);
        assert!(written.elapsed() < Duration::from_secs(1), "probe {i} took {:?}", written.elapsed());
        take(&mut on_ours, 1).await;
    }
}

/// An SSE reader over a gateway response: messages as (id, event, data) lines, and the last
/// `id` seen (an `id` alone moves it, as in an EventSource).
struct Sse {
    response: reqwest::Response,
    buffer: String,
    last_id: Option<String>,
}

impl Sse {
    async fn open(app: &TestApp, query: &str, last_event_id: Option<&str>) -> Sse {
        let mut request = app.http.get(app.url(&format!("/v1/events{query}")));
        if let Some(id) = last_event_id {
            request = request.header("Last-Event-ID", id);
        }
        let response = request.send().await.expect("sent");
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "text/event-stream");
        assert_eq!(response.headers()["cache-control"], "no-cache");
        Sse { response, buffer: String::new(), last_id: None }
    }

    /// The next message that is not a comment: (id, event, data as JSON).
    async fn next(&mut self) -> (String, String, serde_json::Value) {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let message: String = self.buffer.drain(..end + 2).collect();
                let mut fields = HashMap::new();
                for line in message.lines().filter(|l| !l.is_empty() && !l.starts_with(':')) {
                    let (name, value) = line.split_once(": ").expect("field: value");
                    fields.insert(name.to_owned(), value.to_owned());
                }
                if let Some(id) = fields.get("id") {
                    self.last_id = Some(id.clone());
                }
                if !fields.contains_key("data") {
                    continue;
                }
                let data = serde_json::from_str(&fields["data"]).expect("data is JSON");
                return (fields.remove("id").unwrap_or_default(), fields["event"].clone(), data);
            }
            let chunk = tokio::time::timeout(Duration::from_secs(10), self.response.chunk())
                .await
                .expect("a message within 10 s")
                .expect("readable")
                .expect("the stream goes on");
            self.buffer.push_str(std::str::from_utf8(&chunk).expect("UTF-8"));
        }
    }
}

async fn the_gateway_relays_the_feed_as_server_sent_events_and_resumes_from_last_event_id(app: TestApp) {
    let first = app.claim(serde_json::json!({"text": "The embassy was closed on Friday", "language": "en"})).await;
    let mut sse = Sse::open(&app, "?from_beginning=true", None).await;
    let (id, event, data) = sse.next().await;
    assert_eq!(sse.last_id.as_deref(), Some(id.as_str()));
    assert_eq!(event, "created");
    assert_eq!(data["cursor"], id.as_str());
    assert_eq!(data["claim_id"], first["id"]);
    assert_eq!(data["kind"], "created");
    assert_eq!(data["event"]["version"], 1);
    assert_eq!(data["event"]["change"]["kind"], "created");
    assert_eq!(data["event"]["change"]["claim"]["text"], "The embassy was closed on Friday");
    let second = app.claim(serde_json::json!({"text": "Flights resumed on Monday", "language": "en"})).await;
    let (second_id, _, data) = sse.next().await;
    assert_eq!(data["claim_id"], second["id"]);
    drop(sse);

    // A reconnecting EventSource sends Last-Event-ID (and the URL it first used).
    let third = app.claim(serde_json::json!({"text": "The border reopened", "language": "en"})).await;
    let mut resumed = Sse::open(&app, "?from_beginning=true", Some(&id)).await;
    let (_, _, data) = resumed.next().await;
    assert_eq!(data["claim_id"], second["id"], "resumed after the first event");
    let (_, _, data) = resumed.next().await;
    assert_eq!(data["claim_id"], third["id"]);
    let mut by_query = Sse::open(&app, &format!("?since={second_id}&kinds=created"), None).await;
    assert_eq!(by_query.next().await.2["claim_id"], third["id"]);

    for (query, field) in [
        ("?since=garbage", "since"),
        ("?statuses=maybe", "statuses"),
        ("?kinds=deleted", "kinds"),
        ("?claim_ids=nope", "claim_ids"),
        ("?follow=1", "follow"),
    ] {
        let response = app.http.get(app.url(&format!("/v1/events{query}"))).send().await.expect("sent");
        let problem = claimdesk_tests::problem(response, 400).await;
        assert_eq!(claimdesk_tests::problem_fields(&problem), [field], "{query}");
    }
    // A stream from now that ends before any event: its first message, an `id` alone, is where
    // a reconnecting EventSource resumes, so a claim created meanwhile is not missed.
    let mut quiet = Sse::open(&app, "", None).await;
    let started = loop {
        if let Some(id) = quiet.buffer.lines().find_map(|l| l.strip_prefix("id: ")) {
            break id.to_owned();
        }
        let chunk = tokio::time::timeout(Duration::from_secs(10), quiet.response.chunk())
            .await
            .expect("the first message at once")
            .expect("readable")
            .expect("the stream goes on");
        quiet.buffer.push_str(std::str::from_utf8(&chunk).expect("UTF-8"));
    };
    drop(quiet);
    let meanwhile = app.claim(serde_json::json!({"text": "The ferry left without passengers", "language": "en"})).await;
    let mut back = Sse::open(&app, "", Some(&started)).await;
    assert_eq!(back.next().await.2["claim_id"], meanwhile["id"]);

    let ahead =
        app.http.get(app.url(&format!("/v1/events?since={}", base64_cursor(999_999)))).send().await.expect("sent");
    assert_eq!(claimdesk_tests::problem(ahead, 400).await["code"], "cursor_out_of_range");
    let anonymous = claimdesk_tests::client_with_token(None).get(app.url("/v1/events")).send().await.expect("sent");
    assert_eq!(anonymous.status(), 401);
}

async fn an_sse_stream_ends_with_an_error_message_that_says_where_to_resume(mut app: TestApp) {
    app.claim(serde_json::json!({"text": "The airport closed at noon", "language": "en"})).await;
    let mut sse = Sse::open(&app, "?from_beginning=true", None).await;
    let (id, _, _) = sse.next().await;
    app.stop_core().await;
    let (_, event, data) = sse.next().await;
    assert_eq!(event, "error");
    assert_eq!(data["code"], "core_stopping");
    assert_eq!(data["resume_from"], id.as_str());
    assert_eq!(sse.last_id.as_deref(), Some(id.as_str()), "the error's id is where to resume");
}
