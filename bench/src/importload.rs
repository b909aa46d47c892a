//! The bulk import benchmark (docs/benchmarks.md, "Bulk import"): a JSONL file of generated
//! claims, and a client that streams it through gRPC `ImportClaims`, batch after batch.

use std::io::{BufRead, BufWriter, Write};

use claimdesk_proto::v1::{self as pb, claim_service_client::ClaimServiceClient};
use serde_json::json;

use crate::corpus::Corpus;

/// Sources the generated claims name.
const SOURCES: usize = 200;

/// Writes `count` claims (after their sources) as `claimdesk import` reads them: ids given,
/// one statement each, a status, no history (the import writes the steps).
///
/// The claims' ids are claimdesk's own by default: UUIDv7, rising with `created_at`, one claim
/// every 2.5 s from 2025-10-01, as `claimdesk export` writes a desk (by id). `random_ids`
/// gives version 4 ids in no order instead, as another tool might.
pub fn write_lines(path: &str, count: usize, seed: u64, random_ids: bool) -> anyhow::Result<()> {
    let mut out = BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut corpus = Corpus::new(seed);
    let id = |rng: &mut fastrand::Rng| uuid::Builder::from_random_bytes(rng.u128(..).to_le_bytes()).into_uuid();
    let kinds = ["news_outlet", "news_agency", "person", "official_body", "organization"];
    let sources: Vec<uuid::Uuid> = (0..SOURCES).map(|_| id(&mut rng)).collect();
    for (i, source) in sources.iter().enumerate() {
        let line =
            json!({"type": "source", "id": source, "name": format!("Source {i}"), "kind": kinds[i % kinds.len()]});
        writeln!(out, "{line}")?;
    }
    let statuses = ["unverified", "in_review", "disputed", "false", "partly_confirmed", "unverifiable"];
    let start = chrono::DateTime::parse_from_rfc3339("2025-10-01T00:00:00Z")?.to_utc();
    for n in 0..count {
        let claim = corpus.claim();
        let claimant = sources[rng.usize(..SOURCES)];
        let created_at = start + chrono::Duration::milliseconds(2_500 * n as i64);
        let claim_id = if random_ids {
            id(&mut rng)
        } else {
            let mut random = [0u8; 10];
            rng.fill(&mut random);
            uuid::Builder::from_unix_timestamp_millis(created_at.timestamp_millis() as u64, &random).into_uuid()
        };
        let day = created_at.format("%Y-%m-%d").to_string();
        let mut line = json!({
            "id": claim_id,
            "text": claim.text,
            "language": claim.language,
            "claimant_id": claimant,
            "claimed_at": day,
            "status": statuses[rng.usize(..statuses.len())],
            "created_at": created_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "attributions": [{"speaker_id": claimant, "stance": "asserts", "url": format!("https://news.example.org/{n}"), "published_at": day}],
        });
        if let Some(context) = claim.context {
            line["context"] = json!(context);
        }
        if rng.bool() {
            line["tags"] = json!(["bench"]);
        }
        writeln!(out, "{line}")?;
    }
    out.flush()?;
    Ok(())
}

/// Streams the file through `ImportClaims`, `per_message` lines a message; prints the summary,
/// the time taken and the lines per second.
pub async fn stream(addr: &str, token: &str, path: &str, per_message: usize) -> anyhow::Result<()> {
    let channel = tonic::transport::Endpoint::from_shared(addr.to_owned())?.connect().await?;
    let token: tonic::metadata::MetadataValue<_> = format!("Bearer {token}").parse()?;
    let mut client = ClaimServiceClient::with_interceptor(channel, move |mut r: tonic::Request<()>| {
        r.metadata_mut().insert("authorization", token.clone());
        Ok(r)
    })
    .max_encoding_message_size(64 << 20);
    let (tx, rx) = tokio::sync::mpsc::channel::<pb::ImportClaimsRequest>(4);
    let path = path.to_owned();
    let reader = tokio::task::spawn_blocking(move || -> anyhow::Result<u64> {
        let file = std::io::BufReader::with_capacity(1 << 20, std::fs::File::open(path)?);
        let mut lines = Vec::with_capacity(per_message);
        let mut number = 0;
        for line in file.split(b'\n') {
            number += 1;
            lines.push(pb::ImportLine { number, json: line? });
            if lines.len() == per_message {
                tx.blocking_send(pb::ImportClaimsRequest { lines: std::mem::take(&mut lines) })?;
            }
        }
        if !lines.is_empty() {
            tx.blocking_send(pb::ImportClaimsRequest { lines })?;
        }
        Ok(number)
    });
    let started = std::time::Instant::now();
    let summary = client.import_claims(tokio_stream::wrappers::ReceiverStream::new(rx)).await?.into_inner();
    let elapsed = started.elapsed().as_secs_f64();
    let lines = reader.await??;
    println!(
        "import_lines={lines} created={} unchanged={} rejected={} secs={elapsed:.2} lines_per_sec={:.0}",
        summary.created,
        summary.unchanged,
        summary.rejected,
        lines as f64 / elapsed
    );
    Ok(())
}
