//! What the current call carries down to storage: its deadline. Set by the gRPC layer
//! (`grpc::calls`), read by [`crate::storage::Database`], which gives up at the deadline and
//! bounds PostgreSQL's statements by it.

use std::future::Future;

use tokio::time::Instant;

tokio::task_local! {
    static DEADLINE: Instant;
}

/// The instant by which the current call must have answered, if its caller set one.
pub fn deadline() -> Option<Instant> {
    DEADLINE.try_with(|d| *d).ok()
}

/// Runs `call` with `deadline` as its deadline.
pub fn with_deadline<F: Future>(deadline: Instant, call: F) -> impl Future<Output = F::Output> {
    DEADLINE.scope(deadline, call)
}
