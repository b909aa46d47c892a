//! `feed`: the change feed's latency and throughput. Writers create claims over gRPC while one
//! watcher follows `WatchEvents`; each claim's latency runs from the moment its creation was
//! acknowledged (the commit is before it) to the moment the watcher received its event. Then
//! a second watcher reads the whole feed from its beginning, for the events per second one
//! watcher receives from a backlog.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use claimdesk_proto::v1::{self as pb, claim_service_client::ClaimServiceClient};

use crate::{Recorder, authorized, channel};

pub async fn feed(addr: &str, token: &str, writers: usize, secs: u64) -> anyhow::Result<()> {
    let mut watcher = ClaimServiceClient::new(channel(addr).await?);
    let mut live = watcher.watch_events(authorized(token, pb::WatchEventsRequest::default())).await?.into_inner();
    let arrived: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let reader = {
        let arrived = arrived.clone();
        tokio::spawn(async move {
            while let Ok(Some(event)) = live.message().await {
                arrived.lock().expect("lock").insert(event.claim_id, Instant::now());
            }
        })
    };
    let deadline = Instant::now() + Duration::from_secs(secs);
    let started = Instant::now();
    let tasks: Vec<_> = (0..writers)
        .map(|w| {
            let (addr, token) = (addr.to_owned(), token.to_owned());
            tokio::spawn(async move {
                let mut client = ClaimServiceClient::new(channel(&addr).await?);
                let mut acked = Vec::new();
                let mut i = 0u64;
                while Instant::now() < deadline {
                    let request = pb::CreateClaimRequest {
                        text: format!("Feed benchmark claim {w}-{i}: the harbour of port {i} closed at dawn"),
                        language: "en".into(),
                        ..Default::default()
                    };
                    let claim = client.create_claim(authorized(&token, request)).await?.into_inner();
                    acked.push((claim.id, Instant::now()));
                    i += 1;
                }
                anyhow::Ok(acked)
            })
        })
        .collect();
    let mut acked = Vec::new();
    for task in tasks {
        acked.extend(task.await??);
    }
    let written = started.elapsed();
    // Every event delivered, or 5 s for the stragglers.
    let wait_until = Instant::now() + Duration::from_secs(5);
    while arrived.lock().expect("lock").len() < acked.len() && Instant::now() < wait_until {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    reader.abort();
    let arrived = arrived.lock().expect("lock").clone();
    let mut latency = Recorder::default();
    for (id, ack) in &acked {
        match arrived.get(id) {
            Some(at) => {
                latency.ok.push(at.saturating_duration_since(*ack).as_micros().min(u128::from(u32::MAX)) as u32)
            }
            None => latency.failures += 1,
        }
    }
    let live = latency.report(written);

    // The whole feed from its beginning, to one watcher.
    let mut replay = watcher
        .watch_events(authorized(token, pb::WatchEventsRequest { from_beginning: true, ..Default::default() }))
        .await?
        .into_inner();
    let replay_started = Instant::now();
    let mut replayed = 0usize;
    while replayed < acked.len() {
        match tokio::time::timeout(Duration::from_secs(5), replay.message()).await {
            Ok(Ok(Some(_))) => replayed += 1,
            _ => break,
        }
    }
    let replay_secs = replay_started.elapsed().as_secs_f64();
    println!(
        "{}",
        serde_json::json!({
            "writers": writers,
            "events": acked.len(),
            "writes_per_sec": acked.len() as f64 / written.as_secs_f64(),
            "latency_p50_ms": live["p50_ms"],
            "latency_p95_ms": live["p95_ms"],
            "latency_p99_ms": live["p99_ms"],
            "missing": live["failures"],
            "replayed": replayed,
            "replay_events_per_sec": replayed as f64 / replay_secs,
        })
    );
    Ok(())
}
