//! `desk`: how fast the desk's pages answer. Makes a claim with 50 attributions (25 parties,
//! relay chains, quotes) and a history to match, signs in through the sign-in form as a
//! browser does, then reads the claim's page, the claims list and a search page one request at
//! a time (so each latency is the server's work plus loopback), then with `conns` at once.

use std::time::{Duration, Instant};

use anyhow::Context;
use reqwest::header;
use serde_json::{Value, json};

use crate::Recorder;

pub async fn desk(url: &str, token: &str, conns: usize, secs: u64) -> anyhow::Result<()> {
    let api = reqwest::Client::builder()
        .default_headers({
            let mut h = header::HeaderMap::new();
            h.insert(header::AUTHORIZATION, format!("Bearer {token}").parse()?);
            h
        })
        .build()?;
    let mut sources = Vec::new();
    for i in 0..25 {
        let kind = if i % 3 == 0 { "news_outlet" } else { "person" };
        let body = json!({"name": format!("Desk bench source {i}"), "kind": kind});
        let created: Value = api.post(format!("{url}/v1/sources")).json(&body).send().await?.json().await?;
        sources.push(created["id"].as_str().context("source id")?.to_owned());
    }
    let stances = ["asserts", "confirms", "denies", "disputes", "context"];
    let attributions: Vec<Value> = (0..50)
        .map(|i| {
            json!({
                "speaker_id": sources[i % 25],
                "stance": stances[i % 5],
                "relay_ids": [sources[(i + 3) % 25], sources[(i + 7) % 25]],
                "quote": format!("« Déclaration numéro {i} sur les installations militaires au Venezuela »"),
                "url": format!("https://example.org/article/{i}"),
                "published_at": "2025-10-26",
            })
        })
        .collect();
    let claim = json!({
        "text": "Les États-Unis se préparaient à bombarder des installations militaires au Venezuela",
        "language": "fr",
        "claimant": "Sources proches de l'administration Trump",
        "claimant_kind": "anonymous",
        "tags": ["venezuela", "usa"],
        "attributions": attributions,
    });
    let created: Value = api.post(format!("{url}/v1/claims")).json(&claim).send().await?.json().await?;
    let id = created["id"].as_str().with_context(|| format!("claim id in {created}"))?.to_owned();

    // Signed in as a browser is: the form's cookie, then the session cookie.
    let browser = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
    let form = browser.get(format!("{url}/sign-in")).send().await?;
    let nonce = cookie(&form, "claimdesk_login").context("sign-in cookie")?;
    let signed = browser
        .post(format!("{url}/sign-in"))
        .header(header::COOKIE, format!("claimdesk_login={nonce}"))
        .form(&[("csrf", nonce.as_str()), ("token", token)])
        .send()
        .await?;
    let session = cookie(&signed, "claimdesk_session").context("session cookie")?;
    let session = format!("claimdesk_session={session}");

    let mut report = serde_json::Map::new();
    for (name, path) in [
        ("claim_page_50_attributions", format!("/claims/{id}")),
        ("claims_list", "/".to_owned()),
        ("search_page", "/?q=installations+militaires".to_owned()),
    ] {
        let page = format!("{url}{path}");
        let check = browser.get(&page).header(header::COOKIE, &session).send().await?;
        anyhow::ensure!(check.status() == 200, "{path}: {}", check.status());
        let size = check.bytes().await?.len();
        let one = load(&browser, &page, &session, 1, secs).await;
        let many = load(&browser, &page, &session, conns, secs).await;
        report.insert(name.to_owned(), json!({"bytes": size, "one_at_a_time": one, format!("{conns}_at_once"): many}));
    }
    println!("{}", Value::Object(report));
    Ok(())
}

fn cookie(response: &reqwest::Response, name: &str) -> Option<String> {
    response.headers().get_all(header::SET_COOKIE).iter().find_map(|v| {
        let v = v.to_str().ok()?;
        let value = v.strip_prefix(&format!("{name}="))?;
        Some(value.split(';').next()?.to_owned())
    })
}

async fn load(client: &reqwest::Client, page: &str, session: &str, conns: usize, secs: u64) -> Value {
    let deadline = Instant::now() + Duration::from_secs(secs);
    let started = Instant::now();
    let tasks: Vec<_> = (0..conns)
        .map(|_| {
            let (client, page, session) = (client.clone(), page.to_owned(), session.to_owned());
            tokio::spawn(async move {
                let mut rec = Recorder::default();
                while Instant::now() < deadline {
                    let t = Instant::now();
                    let read = match client.get(&page).header(header::COOKIE, &session).send().await {
                        Ok(r) if r.status() == 200 => r.bytes().await.is_ok(),
                        _ => false,
                    };
                    if read { rec.ok.push(crate::micros(t)) } else { rec.failures += 1 }
                }
                rec
            })
        })
        .collect();
    let mut all = Recorder::default();
    for task in tasks {
        if let Ok(rec) = task.await {
            all.merge(rec);
        }
    }
    all.report(started.elapsed())
}
