//! `WatchEvents`: the change feed as a gRPC server stream.
//!
//! A task per stream moves the subscription's events into a bounded channel, so a watcher that
//! does not read holds at most [`BUFFER`] events in core (and HTTP/2's window in the socket):
//! when the channel stays full for `CLAIMDESK_FEED_SLOW_CONSUMER_SECS` (30), the stream ends with ABORTED
//! (`slow_consumer`) and the cursor to resume from. The token is checked again every
//! [`TOKEN_RECHECK`] by a task of its own: a revoked or expired token's stream ends with
//! UNAUTHENTICATED within the token cache's window.

use std::{
    pin::Pin,
    sync::{Arc, Mutex},
    task::{Context, Poll},
    time::Duration,
};

use claimdesk_proto::v1 as pb;
use tokio::sync::{mpsc, oneshot};
use tokio_stream::Stream;
use tonic::{Request, Response, Status};

use super::{authorize, client_address, convert::ProtoEnum};
use crate::{
    domain::{Access, ClaimStatus, Error, Role},
    service::{
        Auth, Feed,
        feed::{FeedEvent, Subscription, WatchFilter},
    },
};

/// Events waiting for a watcher to read them, at most.
const BUFFER: usize = 256;
/// How often a stream's token is checked again.
const TOKEN_RECHECK: Duration = Duration::from_secs(1);

/// The events of one stream, then the status that ended it.
pub struct EventStream {
    events: mpsc::Receiver<pb::FeedEvent>,
    end: Arc<Mutex<Option<Status>>>,
    done: bool,
}

impl Stream for EventStream {
    type Item = Result<pb::FeedEvent, Status>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.done {
            return Poll::Ready(None);
        }
        match self.events.poll_recv(cx) {
            Poll::Ready(Some(event)) => Poll::Ready(Some(Ok(event))),
            Poll::Ready(None) => {
                self.done = true;
                let end = self.end.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take();
                Poll::Ready(end.map(Err))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl From<FeedEvent> for pb::FeedEvent {
    fn from(FeedEvent { cursor, event }: FeedEvent) -> Self {
        pb::FeedEvent {
            cursor,
            claim_id: event.claim_id.to_string(),
            kind: event.change.kind().to_owned(),
            event: Some(event.into()),
        }
    }
}

pub async fn watch(
    feed: &Feed,
    auth: &Auth,
    request: Request<pb::WatchEventsRequest>,
) -> Result<Response<EventStream>, Status> {
    authorize(auth, &request, Access::Role(Role::Viewer)).await?;
    let header = request.metadata().get("authorization").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let client = client_address(&request);
    let pb::WatchEventsRequest { since, from_beginning, claim_ids, kinds, statuses, tags } = request.into_inner();
    // An unknown status goes on as its name, for the filter's check to report with the rest.
    let statuses: Vec<String> = statuses
        .into_iter()
        .map(|raw| match ClaimStatus::from_proto(raw) {
            Ok(Some(status)) => status.as_str().to_owned(),
            Ok(None) => "CLAIM_STATUS_UNSPECIFIED".to_owned(),
            Err(e) => e,
        })
        .collect();
    let subscription = feed.subscribe(&since, from_beginning, WatchFilter { claim_ids, kinds, statuses, tags }).await?;
    let start = subscription.cursor();
    let (tx, events) = mpsc::channel(BUFFER);
    let end = Arc::new(Mutex::new(None));
    let (revoked_tx, revoked) = oneshot::channel();
    tokio::spawn(recheck(auth.clone(), header, client, revoked_tx));
    tokio::spawn(pump(subscription, tx, end.clone(), revoked, feed.slow_consumer));
    let mut response = Response::new(EventStream { events, end, done: false });
    // Where the stream starts: a client that receives no event before it reconnects resumes
    // from here, not from a later "now" (the SSE relay sends it as the first `id`).
    if let Ok(value) = start.parse() {
        response.metadata_mut().insert(claimdesk_proto::FEED_START_CURSOR, value);
    }
    Ok(response)
}

/// Checks the stream's token again every [`TOKEN_RECHECK`], apart from the pump (a check
/// racing the pump's reads would cancel them), until the token is refused (sent to the pump)
/// or the pump ends. A database that cannot answer the check does not end the stream.
async fn recheck(
    auth: Auth,
    header: Option<String>,
    client: Option<std::net::IpAddr>,
    mut revoked: oneshot::Sender<Error>,
) {
    loop {
        tokio::select! {
            () = tokio::time::sleep(TOKEN_RECHECK) => {}
            () = revoked.closed() => return,
        }
        match auth.check(header.as_deref(), Access::Identify, client).await {
            Err(e @ (Error::Unauthenticated | Error::PermissionDenied { .. })) => {
                let _ = revoked.send(e);
                return;
            }
            Err(e) => tracing::debug!(error = %e, "change feed: the token could not be checked again; next time"),
            Ok(_) => {}
        }
    }
}

/// Moves the subscription's events into the stream until the client leaves or the stream must
/// end; then leaves the ending status for the stream to deliver after the events already queued.
async fn pump(
    mut subscription: Subscription,
    tx: mpsc::Sender<pb::FeedEvent>,
    end: Arc<Mutex<Option<Status>>>,
    mut revoked: oneshot::Receiver<Error>,
    slow_consumer: Duration,
) {
    let mut queued = subscription.cursor();
    let ended: Error = 'stream: loop {
        tokio::select! {
            batch = subscription.next() => match batch {
                Ok(events) => {
                    for event in events {
                        let cursor = event.cursor.clone();
                        match tx.send_timeout(event.into(), slow_consumer).await {
                            Ok(()) => queued = cursor,
                            Err(mpsc::error::SendTimeoutError::Timeout(_)) => {
                                break 'stream Error::StreamEnded {
                                    code: "slow_consumer",
                                    reason: format!(
                                        "the client read nothing for {} s while {BUFFER} events waited",
                                        slow_consumer.as_secs_f64()
                                    ),
                                    resume_from: queued,
                                };
                            }
                            Err(mpsc::error::SendTimeoutError::Closed(_)) => return,
                        }
                    }
                }
                Err(e) => break 'stream e,
            },
            Ok(refused) = &mut revoked => break 'stream refused,
            () = tx.closed() => return,
        }
    };
    *end.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(ended.into());
}
