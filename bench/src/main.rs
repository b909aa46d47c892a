//! Load generators and anchors for `bench/run.sh`. Each subcommand prints one JSON line of
//! figures; the script puts them side by side.
//!
//! - `grpc-get`: closed-loop `GetClaim` load straight to core.
//! - `tonic-anchor`: a minimal tonic server answering one fixed claim (fetched once from core),
//!   the anchor for `grpc-get`.
//! - `sqlite-anchor`: the three SELECTs of a claim read, run on the database file with no
//!   service in between, at the same concurrency.
//! - `http-rate`: open-loop HTTP load at a fixed rate, for the overload scenario: the status of
//!   every answer, the p99 of the accepted ones, and the throughput second by second.
//! - `load-claims`: a million generated claims straight into a database, indexed for search,
//!   and the queries to run against them (`corpus`).
//! - `http-query`, `http-create`: closed-loop REST searches, similar-claim lookups and
//!   creations, for bench/search_bench.py (`searchload`).
//! - `desk`: the desk's pages (a claim with 50 attributions, the list, a search), for
//!   bench/desk_bench.sh (`deskload`).
//! - `feed`: the change feed's latency from commit to watcher and a watcher's events per
//!   second, for bench/feed_bench.sh (`feedload`).

mod corpus;
mod deskload;
mod extracteval;
mod feedload;
mod importload;
mod searchload;

use std::{
    collections::BTreeMap,
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use anyhow::Context;
use claimdesk_proto::v1::{
    self as pb,
    claim_service_client::ClaimServiceClient,
    claim_service_server::{ClaimService, ClaimServiceServer},
};
use clap::{Parser, Subcommand};
use tonic::{
    Request, Response, Status,
    transport::{Channel, server::TcpIncoming},
};

#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Precision and recall of claim extraction on labelled passages.
    ExtractEval {
        /// Directory of labelled passages (*.json).
        #[arg(default_value = "tests/fixtures/extraction")]
        dir: std::path::PathBuf,
        /// Print what was missed or invented.
        #[arg(long)]
        verbose: bool,
    },
    GrpcGet {
        #[arg(long)]
        addr: String,
        #[arg(long, default_value = "")]
        token: String,
        #[arg(long)]
        id: String,
        #[arg(long)]
        conns: usize,
        #[arg(long)]
        secs: u64,
    },
    TonicAnchor {
        #[arg(long)]
        listen: SocketAddr,
        #[arg(long)]
        from: String,
        #[arg(long, default_value = "")]
        token: String,
        #[arg(long)]
        id: String,
    },
    SqliteAnchor {
        #[arg(long)]
        url: String,
        #[arg(long)]
        id: String,
        #[arg(long)]
        conns: usize,
        #[arg(long)]
        secs: u64,
    },
    HttpRate {
        #[arg(long)]
        url: String,
        #[arg(long, default_value = "")]
        token: String,
        #[arg(long)]
        rate: u64,
        #[arg(long)]
        secs: u64,
    },
    /// Writes a JSONL file of generated sources and claims for `claimdesk import`.
    ImportLines {
        #[arg(long)]
        out: String,
        #[arg(long)]
        count: usize,
        #[arg(long, default_value_t = 7)]
        seed: u64,
        /// Random (version 4) claim ids instead of claimdesk's own (version 7, in creation
        /// order, the order `claimdesk export` writes them in).
        #[arg(long)]
        random_ids: bool,
    },
    /// Streams a JSONL file through gRPC ImportClaims and prints the rate.
    ImportGrpc {
        #[arg(long)]
        addr: String,
        #[arg(long, default_value = "")]
        token: String,
        #[arg(long)]
        file: String,
        #[arg(long, default_value_t = 500)]
        per_message: usize,
    },
    LoadClaims {
        #[arg(long)]
        database_url: String,
        #[arg(long)]
        count: usize,
        #[arg(long, default_value_t = 7)]
        seed: u64,
        /// How many search queries (and as many similar-claim texts) to write.
        #[arg(long, default_value_t = 2000)]
        queries: usize,
        #[arg(long)]
        queries_out: String,
    },
    HttpQuery {
        #[arg(long)]
        url: String,
        #[arg(long, default_value = "")]
        token: String,
        #[arg(long)]
        queries: String,
        /// "search" or "similar".
        #[arg(long)]
        kind: String,
        #[arg(long)]
        conns: usize,
        #[arg(long)]
        secs: u64,
    },
    Feed {
        /// Core's gRPC address (http://host:port).
        #[arg(long)]
        addr: String,
        #[arg(long, default_value = "")]
        token: String,
        #[arg(long, default_value_t = 4)]
        writers: usize,
        #[arg(long)]
        secs: u64,
    },
    /// The desk's page latencies (signs in as a browser does).
    Desk {
        /// The gateway's base URL (http://host:port).
        #[arg(long)]
        url: String,
        /// An editor's or admin's token.
        #[arg(long)]
        token: String,
        #[arg(long, default_value_t = 4)]
        conns: usize,
        #[arg(long, default_value_t = 10)]
        secs: u64,
    },
    HttpCreate {
        #[arg(long)]
        url: String,
        #[arg(long, default_value = "")]
        token: String,
        #[arg(long, default_value_t = 11)]
        seed: u64,
        #[arg(long)]
        conns: usize,
        #[arg(long)]
        secs: u64,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::ExtractEval { dir, verbose } => extracteval::run(&dir, verbose),
        Command::GrpcGet { addr, token, id, conns, secs } => grpc_get(&addr, &token, &id, conns, secs).await,
        Command::TonicAnchor { listen, from, token, id } => tonic_anchor(listen, &from, &token, &id).await,
        Command::SqliteAnchor { url, id, conns, secs } => sqlite_anchor(&url, &id, conns, secs).await,
        Command::HttpRate { url, token, rate, secs } => http_rate(&url, &token, rate, secs).await,
        Command::ImportLines { out, count, seed, random_ids } => importload::write_lines(&out, count, seed, random_ids),
        Command::ImportGrpc { addr, token, file, per_message } => {
            importload::stream(&addr, &token, &file, per_message).await
        }
        Command::LoadClaims { database_url, count, seed, queries, queries_out } => {
            corpus::load_claims(&database_url, count, seed, queries, &queries_out).await
        }
        Command::HttpQuery { url, token, queries, kind, conns, secs } => {
            searchload::http_query(&url, &token, &queries, &kind, conns, secs).await
        }
        Command::Desk { url, token, conns, secs } => deskload::desk(&url, &token, conns, secs).await,
        Command::Feed { addr, token, writers, secs } => feedload::feed(&addr, &token, writers, secs).await,
        Command::HttpCreate { url, token, seed, conns, secs } => {
            searchload::http_create(&url, &token, seed, conns, secs).await
        }
    }
}

/// Latencies in microseconds, and the figures printed from them.
#[derive(Default)]
struct Recorder {
    ok: Vec<u32>,
    failures: u64,
}

impl Recorder {
    fn merge(&mut self, other: Recorder) {
        self.ok.extend(other.ok);
        self.failures += other.failures;
    }

    fn report(mut self, elapsed: Duration) -> serde_json::Value {
        self.ok.sort_unstable();
        let pct = |p: f64| -> f64 {
            if self.ok.is_empty() {
                return 0.0;
            }
            let i = ((self.ok.len() as f64 * p).ceil() as usize).clamp(1, self.ok.len()) - 1;
            f64::from(self.ok[i]) / 1000.0
        };
        serde_json::json!({
            "requests": self.ok.len() as u64 + self.failures,
            "rps": self.ok.len() as f64 / elapsed.as_secs_f64(),
            "p50_ms": pct(0.50),
            "p95_ms": pct(0.95),
            "p99_ms": pct(0.99),
            "failures": self.failures,
        })
    }
}

fn micros(since: Instant) -> u32 {
    since.elapsed().as_micros().min(u128::from(u32::MAX)) as u32
}

fn authorized<T>(token: &str, message: T) -> Request<T> {
    let mut request = Request::new(message);
    if !token.is_empty()
        && let Ok(value) = format!("Bearer {token}").parse()
    {
        request.metadata_mut().insert("authorization", value);
    }
    request
}

async fn channel(addr: &str) -> anyhow::Result<Channel> {
    Ok(Channel::from_shared(addr.to_owned())?.tcp_nodelay(true).connect().await?)
}

async fn grpc_get(addr: &str, token: &str, id: &str, conns: usize, secs: u64) -> anyhow::Result<()> {
    // One HTTP/2 connection per 8 callers, as a pool of clients would hold.
    let mut channels = Vec::new();
    for _ in 0..conns.div_ceil(8) {
        channels.push(channel(addr).await.context("core reachable")?);
    }
    let deadline = Instant::now() + Duration::from_secs(secs);
    let started = Instant::now();
    let tasks: Vec<_> = (0..conns)
        .map(|i| {
            let mut client = ClaimServiceClient::new(channels[i % channels.len()].clone());
            let (token, id) = (token.to_owned(), id.to_owned());
            tokio::spawn(async move {
                let mut rec = Recorder::default();
                while Instant::now() < deadline {
                    let t = Instant::now();
                    match client.get_claim(authorized(&token, pb::GetClaimRequest { id: id.clone() })).await {
                        Ok(_) => rec.ok.push(micros(t)),
                        Err(_) => rec.failures += 1,
                    }
                }
                rec
            })
        })
        .collect();
    let mut all = Recorder::default();
    for task in tasks {
        all.merge(task.await?);
    }
    println!("{}", all.report(started.elapsed()));
    Ok(())
}

/// Answers `GetClaim` with one fixed message; every other call is unimplemented.
struct FixedClaim(pb::Claim);

#[tonic::async_trait]
impl ClaimService for FixedClaim {
    type WatchEventsStream = tonic::codegen::BoxStream<pb::FeedEvent>;

    async fn watch_events(
        &self,
        _: Request<pb::WatchEventsRequest>,
    ) -> Result<Response<Self::WatchEventsStream>, Status> {
        Err(Status::unimplemented("anchor"))
    }
    async fn create_claim(&self, _: Request<pb::CreateClaimRequest>) -> Result<Response<pb::Claim>, Status> {
        Err(Status::unimplemented("anchor"))
    }
    async fn get_claim(&self, _: Request<pb::GetClaimRequest>) -> Result<Response<pb::Claim>, Status> {
        Ok(Response::new(self.0.clone()))
    }
    async fn list_claims(&self, _: Request<pb::ListClaimsRequest>) -> Result<Response<pb::ListClaimsResponse>, Status> {
        Err(Status::unimplemented("anchor"))
    }
    async fn update_claim(&self, _: Request<pb::UpdateClaimRequest>) -> Result<Response<pb::Claim>, Status> {
        Err(Status::unimplemented("anchor"))
    }
    async fn set_status(&self, _: Request<pb::SetStatusRequest>) -> Result<Response<pb::Claim>, Status> {
        Err(Status::unimplemented("anchor"))
    }
    async fn add_attribution(
        &self,
        _: Request<pb::AddAttributionRequest>,
    ) -> Result<Response<pb::AttributionChange>, Status> {
        Err(Status::unimplemented("anchor"))
    }
    async fn update_attribution(
        &self,
        _: Request<pb::UpdateAttributionRequest>,
    ) -> Result<Response<pb::AttributionChange>, Status> {
        Err(Status::unimplemented("anchor"))
    }
    async fn remove_attribution(
        &self,
        _: Request<pb::RemoveAttributionRequest>,
    ) -> Result<Response<pb::AttributionChange>, Status> {
        Err(Status::unimplemented("anchor"))
    }
    async fn list_attributions(
        &self,
        _: Request<pb::ListAttributionsRequest>,
    ) -> Result<Response<pb::ListAttributionsResponse>, Status> {
        Err(Status::unimplemented("anchor"))
    }
    async fn get_attribution(
        &self,
        _: Request<pb::GetAttributionRequest>,
    ) -> Result<Response<pb::Attribution>, Status> {
        Err(Status::unimplemented("anchor"))
    }
    async fn get_sourcing(&self, _: Request<pb::GetSourcingRequest>) -> Result<Response<pb::Sourcing>, Status> {
        Err(Status::unimplemented("anchor"))
    }
    async fn get_claim_review(
        &self,
        _: Request<pb::GetClaimReviewRequest>,
    ) -> Result<Response<pb::ClaimReview>, Status> {
        Err(Status::unimplemented("anchor"))
    }
    async fn list_claim_reviews(
        &self,
        _: Request<pb::ListClaimReviewsRequest>,
    ) -> Result<Response<pb::ClaimReviewFeed>, Status> {
        Err(Status::unimplemented("anchor"))
    }
    async fn import_claim_reviews(
        &self,
        _: Request<pb::ImportClaimReviewsRequest>,
    ) -> Result<Response<pb::ImportReport>, Status> {
        Err(Status::unimplemented("anchor"))
    }
    async fn import_claims(
        &self,
        _: Request<tonic::Streaming<pb::ImportClaimsRequest>>,
    ) -> Result<Response<pb::ImportClaimsResponse>, Status> {
        Err(Status::unimplemented("anchor"))
    }
    async fn list_source_statements(
        &self,
        _: Request<pb::ListSourceStatementsRequest>,
    ) -> Result<Response<pb::ListSourceStatementsResponse>, Status> {
        Err(Status::unimplemented("anchor"))
    }
    async fn get_history(&self, _: Request<pb::GetHistoryRequest>) -> Result<Response<pb::GetHistoryResponse>, Status> {
        Err(Status::unimplemented("anchor"))
    }
    async fn search_claims(
        &self,
        _: Request<pb::SearchClaimsRequest>,
    ) -> Result<Response<pb::SearchClaimsResponse>, Status> {
        Err(Status::unimplemented("anchor"))
    }
    async fn find_similar(
        &self,
        _: Request<pb::FindSimilarRequest>,
    ) -> Result<Response<pb::FindSimilarResponse>, Status> {
        Err(Status::unimplemented("anchor"))
    }
    async fn extract_claims(&self, _: Request<pb::ExtractClaimsRequest>) -> Result<Response<pb::Extraction>, Status> {
        Err(Status::unimplemented("anchor"))
    }
    async fn accept_extraction(
        &self,
        _: Request<pb::AcceptExtractionRequest>,
    ) -> Result<Response<pb::AcceptExtractionResponse>, Status> {
        Err(Status::unimplemented("anchor"))
    }
    async fn merge_claims(
        &self,
        _: Request<pb::MergeClaimsRequest>,
    ) -> Result<Response<pb::MergeClaimsResponse>, Status> {
        Err(Status::unimplemented("anchor"))
    }
}

async fn tonic_anchor(listen: SocketAddr, from: &str, token: &str, id: &str) -> anyhow::Result<()> {
    let mut client = ClaimServiceClient::new(channel(from).await?);
    let claim = client.get_claim(authorized(token, pb::GetClaimRequest { id: id.to_owned() })).await?.into_inner();
    let listener = tokio::net::TcpListener::bind(listen).await?;
    println!("{}", serde_json::json!({"listening": listener.local_addr()?.to_string()}));
    tonic::transport::Server::builder()
        .add_service(ClaimServiceServer::new(FixedClaim(claim)))
        .serve_with_incoming(TcpIncoming::from(listener).with_nodelay(Some(true)))
        .await?;
    Ok(())
}

async fn sqlite_anchor(url: &str, id: &str, conns: usize, secs: u64) -> anyhow::Result<()> {
    use claimdesk_core::storage::{DatabaseUrl, attributions, claims, sources};
    let url = DatabaseUrl::parse(url).map_err(|e| anyhow::anyhow!("{e}"))?;
    let id = uuid::Uuid::try_parse(id)?;
    let deadline = Instant::now() + Duration::from_secs(secs);
    let started = Instant::now();
    let threads: Vec<_> = (0..conns)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || -> anyhow::Result<Recorder> {
                let mut conn = url.connect()?;
                let mut rec = Recorder::default();
                while Instant::now() < deadline {
                    let t = Instant::now();
                    let read = (|| {
                        let claim = claims::get(&mut conn, id)?;
                        sources::refs(&mut conn, &claim.claimant_id.into_iter().collect::<Vec<_>>())?;
                        attributions::statements(&mut conn, &[id])
                    })();
                    match read {
                        Ok(_) => rec.ok.push(micros(t)),
                        Err(_) => rec.failures += 1,
                    }
                }
                Ok(rec)
            })
        })
        .collect();
    let mut all = Recorder::default();
    for thread in threads {
        all.merge(thread.join().map_err(|_| anyhow::anyhow!("reader panicked"))??);
    }
    println!("{}", all.report(started.elapsed()));
    Ok(())
}

async fn http_rate(url: &str, token: &str, rate: u64, secs: u64) -> anyhow::Result<()> {
    let mut headers = reqwest::header::HeaderMap::new();
    if !token.is_empty() {
        headers.insert(reqwest::header::AUTHORIZATION, format!("Bearer {token}").parse()?);
    }
    let client = reqwest::Client::builder()
        .default_headers(headers)
        .timeout(Duration::from_secs(10))
        .pool_max_idle_per_host(1024)
        .build()?;
    const MAX_IN_FLIGHT: u64 = 2048;
    let in_flight = Arc::new(AtomicU64::new(0));
    let not_sent = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(u64, u16, u32)>();
    let started = Instant::now();
    let interval = Duration::from_secs_f64(1.0 / rate as f64);
    let mut next = Instant::now();
    let end = started + Duration::from_secs(secs);
    while Instant::now() < end {
        next += interval;
        if in_flight.load(Ordering::Relaxed) >= MAX_IN_FLIGHT {
            not_sent.fetch_add(1, Ordering::Relaxed);
        } else {
            in_flight.fetch_add(1, Ordering::Relaxed);
            let (client, url, tx, in_flight) = (client.clone(), url.to_owned(), tx.clone(), in_flight.clone());
            tokio::spawn(async move {
                let t = Instant::now();
                let second = t.duration_since(started).as_secs();
                let status = match client.get(&url).send().await {
                    Ok(response) => {
                        let status = response.status().as_u16();
                        let _ = response.bytes().await;
                        status
                    }
                    Err(_) => 0,
                };
                in_flight.fetch_sub(1, Ordering::Relaxed);
                let _ = tx.send((second, status, micros(t)));
            });
        }
        if let Some(wait) = next.checked_duration_since(Instant::now()) {
            tokio::time::sleep(wait).await;
        }
    }
    stop.store(true, Ordering::Relaxed);
    drop(tx);
    let mut statuses: BTreeMap<u16, u64> = BTreeMap::new();
    let mut per_second: BTreeMap<u64, u64> = BTreeMap::new();
    let mut accepted = Recorder::default();
    while let Some((second, status, latency)) = rx.recv().await {
        *statuses.entry(status).or_default() += 1;
        if (200..300).contains(&status) {
            *per_second.entry(second).or_default() += 1;
            accepted.ok.push(latency);
        }
    }
    let mut report = accepted.report(started.elapsed());
    report["statuses"] =
        serde_json::json!(statuses.iter().map(|(k, v)| (k.to_string(), v)).collect::<BTreeMap<_, _>>());
    report["ok_per_second"] = serde_json::json!(per_second.values().collect::<Vec<_>>());
    report["not_sent"] = serde_json::json!(not_sent.load(Ordering::Relaxed));
    println!("{report}");
    Ok(())
}
