//! Closed-loop REST load for the search benchmark: searches, similar-claim lookups and
//! creations, each timed from the client.

use std::time::{Duration, Instant};

use anyhow::Context;

use crate::{Recorder, micros};

fn client(token: &str) -> anyhow::Result<reqwest::Client> {
    let mut headers = reqwest::header::HeaderMap::new();
    if !token.is_empty() {
        headers.insert(reqwest::header::AUTHORIZATION, format!("Bearer {token}").parse()?);
    }
    Ok(reqwest::Client::builder().default_headers(headers).timeout(Duration::from_secs(30)).build()?)
}

/// One query of the file written by `load-claims`.
#[derive(Clone, serde::Deserialize)]
struct Query {
    kind: String,
    text: String,
    language: String,
}

/// `kind` queries ("search" or "similar") from `queries_path`, `conns` at a time, for `secs`.
pub async fn http_query(
    url: &str,
    token: &str,
    queries_path: &str,
    kind: &str,
    conns: usize,
    secs: u64,
) -> anyhow::Result<()> {
    let all: Vec<Query> = std::fs::read_to_string(queries_path)
        .context("queries file")?
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()?;
    let queries: Vec<Query> = all.into_iter().filter(|q| q.kind == kind).collect();
    anyhow::ensure!(!queries.is_empty(), "no {kind} queries in {queries_path}");
    let client = client(token)?;
    let deadline = Instant::now() + Duration::from_secs(secs);
    let started = Instant::now();
    let tasks: Vec<_> = (0..conns)
        .map(|worker| {
            let (client, url, queries) = (client.clone(), url.to_owned(), queries.clone());
            let kind = kind.to_owned();
            tokio::spawn(async move {
                let mut rec = Recorder::default();
                let mut hits = 0u64;
                let mut i = worker;
                while Instant::now() < deadline {
                    let q = &queries[i % queries.len()];
                    i += conns;
                    let t = Instant::now();
                    let request = if kind == "search" {
                        client.get(format!("{url}/v1/claims")).query(&[("q", q.text.as_str()), ("page_size", "20")])
                    } else {
                        client
                            .post(format!("{url}/v1/claims/similar"))
                            .json(&serde_json::json!({"text": q.text, "language": q.language, "limit": 10}))
                    };
                    match request.send().await {
                        Ok(response) if response.status().is_success() => {
                            let body: serde_json::Value = response.json().await.unwrap_or_default();
                            let found = body["claims"].as_array().or(body["matches"].as_array()).map_or(0, Vec::len);
                            rec.ok.push(micros(t));
                            hits += u64::from(found > 0);
                        }
                        _ => rec.failures += 1,
                    }
                }
                (rec, hits)
            })
        })
        .collect();
    let mut all = Recorder::default();
    let mut hits = 0;
    for task in tasks {
        let (rec, h) = task.await?;
        all.merge(rec);
        hits += h;
    }
    let mut report = all.report(started.elapsed());
    report["with_results"] = serde_json::json!(hits);
    println!("{report}");
    Ok(())
}

/// Creates generated claims over REST, `conns` at a time, for `secs`: the creation throughput.
pub async fn http_create(url: &str, token: &str, seed: u64, conns: usize, secs: u64) -> anyhow::Result<()> {
    let client = client(token)?;
    let deadline = Instant::now() + Duration::from_secs(secs);
    let started = Instant::now();
    let tasks: Vec<_> = (0..conns)
        .map(|worker| {
            let (client, url) = (client.clone(), url.to_owned());
            tokio::spawn(async move {
                let mut corpus = crate::corpus::Corpus::new(seed + worker as u64 + 1);
                let mut rec = Recorder::default();
                while Instant::now() < deadline {
                    let claim = corpus.claim();
                    let t = Instant::now();
                    let body =
                        serde_json::json!({"text": claim.text, "language": claim.language, "context": claim.context});
                    match client.post(format!("{url}/v1/claims")).json(&body).send().await {
                        Ok(response) if response.status().as_u16() == 201 => {
                            let _ = response.bytes().await;
                            rec.ok.push(micros(t));
                        }
                        _ => rec.failures += 1,
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
