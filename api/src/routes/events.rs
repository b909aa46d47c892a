//! `/v1/events`: the change feed as Server-Sent Events, relayed from core's `WatchEvents`.

use std::time::Duration;

use actix_web::{HttpRequest, HttpResponse, get, http::header, web};
use claimdesk_proto::v1 as pb;
use futures_util::stream;
use tonic_types::StatusExt;

use crate::{
    CoreClients, Stopping,
    dto::{ClaimStatus, EventsQuery, FeedEvent},
    extract::QueryParams,
    grpc,
    problem::{CommonErrors, Problem, ProblemDocument},
};

/// A comment line this often keeps proxies from closing a quiet stream.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

fn list(value: Option<String>) -> Vec<String> {
    value.map(|v| v.split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect()).unwrap_or_default()
}

/// The change feed, as Server-Sent Events.
///
/// Every history event of every claim, in commit order, as it commits (through any core on the
/// database). Each SSE message has the event's cursor as `id`, its kind as `event`, and a
/// `FeedEvent` as JSON `data`. A client that reconnects with `Last-Event-ID` (browsers'
/// `EventSource` does it by itself) or `since` receives exactly the events it missed. A comment
/// line (`: keep-alive`) comes every 15 s. When the stream must end (core stopping, a client
/// too slow, a revoked token), a last message `event: error` carries a problem document with
/// `resume_from`, the cursor to reconnect with.
///
/// A malformed cursor or filter is 400 before anything streams; a cursor that this database did
/// not issue (ahead of its newest event) is 400 `cursor_out_of_range`. History is never
/// deleted, so no cursor is too old.
///
/// **Role:** viewer.
#[utoipa::path(
    tag = "claims",
    operation_id = "watch_events",
    security(("bearer" = [])),
    params(
        EventsQuery,
        ("Last-Event-ID" = Option<String>, Header, description = "Resume after this cursor (takes precedence over `since`)"),
    ),
    responses(
        (status = 200, description = "An endless `text/event-stream`; each `data` line is a FeedEvent", content_type = "text/event-stream", body = FeedEvent),
        (status = 400, description = "Bad cursor or filter", body = ProblemDocument, content_type = "application/problem+json"),
        CommonErrors,
    )
)]
#[get("/events")]
pub async fn watch_events(
    req: HttpRequest,
    core: web::Data<CoreClients>,
    QueryParams(query): QueryParams<EventsQuery>,
) -> Result<HttpResponse, Problem> {
    let EventsQuery { since, from_beginning, claim_ids, kinds, statuses, tags } = query;
    let last_event_id =
        req.headers().get("last-event-id").map(|v| v.to_str().map(str::to_owned)).transpose().map_err(|_| {
            Problem::bad_field("validation_failed", "Last-Event-ID", "must be a cursor from this feed (visible ASCII)")
        })?;
    let since = last_event_id.filter(|id| !id.is_empty()).or(since).unwrap_or_default();
    let statuses = list(statuses)
        .into_iter()
        .map(|s| {
            serde_json::from_value::<ClaimStatus>(serde_json::Value::String(s.clone()))
                .map(|status| pb::ClaimStatus::from(status) as i32)
                .map_err(|_| {
                    Problem::bad_field("validation_failed", "statuses", format!("{s:?} is not a claim status"))
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let request = pb::WatchEventsRequest {
        // With Last-Event-ID, a reconnecting EventSource resumes: from_beginning applied once.
        from_beginning: from_beginning.unwrap_or(false) && since.is_empty(),
        since,
        claim_ids: list(claim_ids),
        kinds: list(kinds),
        statuses,
        tags: list(tags),
    };
    let mut request = grpc(&req, request);
    // The stream lasts as long as the client stays: no deadline.
    request.metadata_mut().remove("grpc-timeout");
    let response = core.claims.clone().watch_events(request).await?;
    // The first message: the cursor the stream starts after, as an `id` alone, so that an
    // EventSource that reconnects before any event resumes from there.
    let start = response
        .metadata()
        .get(claimdesk_proto::FEED_START_CURSOR)
        .and_then(|v| v.to_str().ok())
        .filter(|c| is_cursor(c))
        .map(str::to_owned);
    let start_cursor = start.clone();
    let start = start.map(|c| web::Bytes::from(format!("id: {c}\n\n")));
    let events = response.into_inner();
    // A task reads core's stream into a bounded buffer, always promptly: the gateway's calls to
    // core share one HTTP/2 connection per worker, and a stream left unread would hold its
    // flow-control window for everyone. A client too slow to drain the buffer within
    // RELAY_STALL loses its stream (core's is dropped) and reconnects with Last-Event-ID.
    let (tx, rx) = tokio::sync::mpsc::channel::<web::Bytes>(RELAY_BUFFER);
    if let Some(start) = start {
        let _ = tx.try_send(start);
    }
    let stopping = req.app_data::<web::Data<Stopping>>().map(|s| s.0.clone());
    actix_web::rt::spawn(relay(events, tx, start_cursor, stopping));
    let body =
        stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|frame| (Ok::<_, actix_web::Error>(frame), rx)) });
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        // nginx buffers responses unless told not to.
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(body))
}

/// Frames waiting for a slow SSE client, at most.
const RELAY_BUFFER: usize = 1024;
/// How long the buffer may stay full before the relay gives the stream up.
const RELAY_STALL: Duration = Duration::from_secs(5);

/// Moves core's events into `tx` as SSE frames, with keep-alive comments, until core ends the
/// stream (its error as the last frame), the client leaves, or the client stalls.
async fn relay(
    mut events: tonic::Streaming<pb::FeedEvent>,
    tx: tokio::sync::mpsc::Sender<web::Bytes>,
    mut cursor: Option<String>,
    stopping: Option<tokio::sync::watch::Receiver<bool>>,
) {
    let mut keep_alive = tokio::time::interval(KEEP_ALIVE);
    keep_alive.reset();
    let mut stopping = stopping.unwrap_or_else(|| tokio::sync::watch::channel(false).1);
    loop {
        let (frame, last) = tokio::select! {
            message = events.message() => match message {
                Ok(Some(event)) => match FeedEvent::try_from(event) {
                    Ok(event) => {
                        cursor = Some(event.cursor.clone());
                        (sse_message(&event), false)
                    }
                    Err(problem) => (error_message(&problem, None), true),
                },
                Ok(None) => return,
                Err(status) => {
                    let resume_from = status
                        .get_details_error_info()
                        .and_then(|info| info.metadata.get("resume_from").cloned());
                    (error_message(&Problem::from(status), resume_from), true)
                }
            },
            _ = keep_alive.tick() => (web::Bytes::from_static(b": keep-alive\n\n"), false),
            Ok(_) = stopping.wait_for(|stop| *stop) => {
                let problem = Problem::new(
                    actix_web::http::StatusCode::SERVICE_UNAVAILABLE,
                    "gateway_stopping",
                    "the gateway is stopping; reconnect with Last-Event-ID",
                );
                (error_message(&problem, cursor.clone()), true)
            }
            () = tx.closed() => return,
        };
        if tx.send_timeout(frame, RELAY_STALL).await.is_err() || last {
            // Dropping `events` cancels core's stream and frees its window.
            return;
        }
    }
}

/// A cursor as core issues them (base64url): safe on an SSE line.
fn is_cursor(value: &str) -> bool {
    !value.is_empty() && value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// One SSE message: `id`, `event`, `data` (JSON on one line).
fn sse_message(event: &FeedEvent) -> web::Bytes {
    let data = serde_json::to_string(event).unwrap_or_else(|_| "{}".to_owned());
    web::Bytes::from(format!("id: {}\nevent: {}\ndata: {data}\n\n", event.cursor, event.kind))
}

/// The stream's last message: the problem that ended it, with the cursor to resume from (also
/// as its `id`, which an EventSource sends back as `Last-Event-ID`).
fn error_message(problem: &Problem, resume_from: Option<String>) -> web::Bytes {
    let mut document = serde_json::to_value(problem.document()).unwrap_or_default();
    let mut id = String::new();
    if let (Some(cursor), Some(map)) = (resume_from.filter(|c| is_cursor(c)), document.as_object_mut()) {
        id = format!("id: {cursor}\n");
        map.insert("resume_from".to_owned(), cursor.into());
    }
    web::Bytes::from(format!("{id}event: error\ndata: {document}\n\n"))
}
