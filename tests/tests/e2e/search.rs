//! Search, similar claims and merging duplicates (issue 10), on the seed article's claims.

use claimdesk_proto::v1 as pb;
use claimdesk_tests::{TestApp, etag_of, problem};
use serde_json::{Value, json};

const ASKED: &str = "Maduro a demandé l’aide de la Russie, de la Chine et de l’Iran pour renforcer les défenses du pays face aux pressions américaines";
const SOLICITED: &str = "Maduro a sollicité l’aide de la Russie, de la Chine et de l’Iran pour renforcer les défenses du pays face aux pressions américaines";
const BOMBING: &str =
    "Les États-Unis se préparaient à bombarder des installations militaires au Venezuela à tout moment";
const SHIPS: &str = "Les États-Unis déploieront huit navires de guerre, trois bâtiments d’assaut amphibie et un sous-marin dans les Caraïbes";
const CONTACTS: &str = "Le Kremlin a admis avoir des contacts avec le Venezuela";

async fn search(app: &TestApp, query: &str) -> Vec<Value> {
    let url = format!("/v1/claims?q={}", urlencode(query));
    let page = app.json(&url).await;
    page["claims"].as_array().expect("claims").clone()
}

fn urlencode(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

fn texts(claims: &[Value]) -> Vec<&str> {
    claims.iter().filter_map(|c| c["text"].as_str()).collect()
}

async fn seed(app: &TestApp) -> Vec<String> {
    let mut ids = Vec::new();
    for (text, claimant) in
        [(ASKED, "The Washington Post"), (BOMBING, "Miami Herald"), (SHIPS, "CSIS"), (CONTACTS, "Dmitri Peskov")]
    {
        let created = app.claim(json!({"text": text, "language": "fr", "claimant": claimant})).await;
        ids.push(created["id"].as_str().expect("id").to_owned());
    }
    let english =
        app.claim(json!({"text": "The United States is deploying warships to the Caribbean", "language": "en"})).await;
    ids.push(english["id"].as_str().expect("id").to_owned());
    ids
}

async fn search_stems_folds_and_ranks(app: TestApp) {
    seed(&app).await;
    assert_eq!(texts(&search(&app, "bombardé").await), [BOMBING], "bombardé finds bombarder");
    assert_eq!(texts(&search(&app, "renforcement").await), [ASKED], "renforcement finds renforcer");
    assert_eq!(texts(&search(&app, "deployment").await), ["The United States is deploying warships to the Caribbean"]);
    let both = search(&app, "etats-unis").await;
    assert_eq!(both.len(), 2, "etats-unis finds États-Unis: {:?}", texts(&both));
    // Every word must match: the bombing claim only.
    assert_eq!(texts(&search(&app, "ETATS-UNIS bombarder").await), [BOMBING]);
    // A claimant's name finds its claims.
    assert_eq!(texts(&search(&app, "washington post").await), [ASKED]);

    let hit = &search(&app, "bombarder installations").await[0];
    let snippet = &hit["search"]["snippets"][0];
    assert_eq!(snippet["field"], "text");
    let text: Vec<char> = snippet["text"].as_str().expect("text").chars().collect();
    let marked: Vec<String> = snippet["highlights"]
        .as_array()
        .expect("highlights")
        .iter()
        .map(|h| {
            text[h["start"].as_u64().expect("start") as usize..h["end"].as_u64().expect("end") as usize]
                .iter()
                .collect()
        })
        .collect();
    assert_eq!(marked, ["bombarder", "installations"]);
    assert!(hit["search"]["score"].as_f64().expect("score") > 0.0);

    // Filters combine with the search; the sourcing level too.
    let url = format!("/v1/claims?q={}&language=en", urlencode("etats-unis united"));
    assert_eq!(app.json(&url).await["claims"].as_array().expect("claims").len(), 0);
    let url = "/v1/claims?q=venezuela&sourcing_level=unsourced&page_size=1";
    let first = app.json(url).await;
    assert_eq!(first["claims"].as_array().expect("claims").len(), 1);
    let token = first["next_page_token"].as_str().expect("a second page");
    let second = app.json(&format!("{url}&page_token={token}")).await;
    assert_eq!(second["claims"].as_array().expect("claims").len(), 1);
    assert_ne!(first["claims"][0]["id"], second["claims"][0]["id"], "pages do not repeat");
    let url = "/v1/claims?q=venezuela&sourcing_level=confirmed";
    assert_eq!(app.json(url).await["claims"].as_array().expect("claims").len(), 0);

    // Over gRPC too.
    let hits = app
        .grpc()
        .await
        .search_claims(pb::SearchClaimsRequest { query: "bombarder".into(), ..Default::default() })
        .await
        .expect("searched")
        .into_inner()
        .hits;
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].claim.as_ref().map(|c| c.text.as_str()), Some(BOMBING));
}

async fn hostile_queries_get_clean_answers(app: TestApp) {
    seed(&app).await;
    for query in ["\"", "*", "-", ":", "(", "venezuela\" OR 1=1 --", "a:b (c* -d)", "l'aide\\", "%", "_"] {
        let response = app.get(&format!("/v1/claims?q={}", urlencode(query))).await;
        let status = response.status().as_u16();
        let body = response.text().await.expect("body");
        assert!(status == 200 || status == 400, "{query:?}: {status} {body}");
        assert!(!body.to_lowercase().contains("sql"), "{query:?}: {body}");
    }
    problem(app.get("/v1/claims?q=").await, 400).await;
    problem(app.get(&format!("/v1/claims?q={}", "a".repeat(1001))).await, 400).await;
    let long = app.get(&format!("/v1/claims?q={}", "venezuela ".repeat(100))).await;
    assert_eq!(long.status(), 200, "a 1,000-character query is answered");
    problem(app.get("/v1/claims?sourcing_level=confirmed").await, 400).await;
    // /v1/claims/similar is a route of its own, not a claim id.
    let patch = app.send_if_match(reqwest::Method::PATCH, "/v1/claims/similar", "*", Some(&json!({"tags": []}))).await;
    assert_eq!(patch.headers()["allow"], "POST");
    assert_eq!(problem(patch, 405).await["code"], "method_not_allowed");
    let unknown = app.post_json("/v1/claims/similar", &json!({"text": "x y z", "language": "not a tag!"})).await;
    problem(unknown, 400).await;
    let empty = app.post_json("/v1/claims/similar", &json!({"text": "", "language": "fr"})).await;
    problem(empty, 400).await;
}

async fn the_two_wordings_find_each_other_and_unrelated_claims_do_not(app: TestApp) {
    let ids = seed(&app).await;
    let response = app.post_json("/v1/claims", &json!({"text": SOLICITED, "language": "fr"})).await;
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.expect("json");
    let duplicates = created["possible_duplicates"].as_array().expect("possible duplicates");
    assert_eq!(duplicates.len(), 1, "{duplicates:?}");
    assert_eq!(duplicates[0]["claim_id"], ids[0].as_str());
    assert!(duplicates[0]["score"].as_f64().expect("score") > 0.7, "{duplicates:?}");

    let similar = app.json(&format!("/v1/claims/{}/similar", ids[0])).await;
    let matches = similar["matches"].as_array().expect("matches");
    assert_eq!(matches[0]["claim"]["id"], created["id"]);
    let scores: Vec<f64> = matches.iter().map(|m| m["score"].as_f64().expect("score")).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "best first: {scores:?}");
    assert!(scores.iter().all(|s| (0.0..=1.0).contains(s)), "{scores:?}");
    assert!(scores[1..].iter().all(|s| *s < 0.5), "unrelated claims score low: {scores:?}");
    assert!(matches.iter().all(|m| m["claim"]["id"] != ids[0].as_str()), "a claim is not its own match");

    // The unrelated claims of the article have no duplicates.
    let fresh = app
        .post_json(
            "/v1/claims",
            &json!({"text": "Maduro a dénoncé les tentatives de Washington de le renverser", "language": "fr"}),
        )
        .await;
    let fresh: Value = fresh.json().await.expect("json");
    assert!(fresh.get("possible_duplicates").is_none(), "{fresh}");

    // Asked to, creation refuses a duplicate and stores nothing.
    let before = app.sql_i64("(SELECT COUNT(*) FROM claims)").await;
    let refused =
        app.post_json("/v1/claims", &json!({"text": ASKED, "language": "fr", "reject_duplicates_above": 0.8})).await;
    let body = problem(refused, 409).await;
    assert_eq!(body["code"], "possible_duplicate");
    let matched: Vec<&str> =
        body["matches"].as_array().expect("matches").iter().filter_map(|m| m["claim_id"].as_str()).collect();
    assert!(matched.contains(&ids[0].as_str()), "{body}");
    assert_eq!(app.sql_i64("(SELECT COUNT(*) FROM claims)").await, before);

    let text = app
        .post_json("/v1/claims/similar", &json!({"text": "Maduro sollicite l'aide de la Chine #Venezuela https://t.co/x", "language": "fr", "limit": 2}))
        .await;
    assert_eq!(text.status(), 200);
    let text: Value = text.json().await.expect("json");
    assert_eq!(text["matches"].as_array().expect("matches").len(), 2);
    let best = text["matches"][0]["claim"]["text"].as_str().expect("text");
    assert!(best == ASKED || best == SOLICITED, "{best}");
}

async fn a_merged_claim_points_to_its_canonical_claim(app: TestApp) {
    let herald = app.source(json!({"name": "Miami Herald", "kind": "news_outlet"})).await;
    let wsj = app.source(json!({"name": "Wall Street Journal", "kind": "news_outlet"})).await;
    let keep = app.claim(json!({"text": ASKED, "language": "fr"})).await;
    let dup = app.claim(json!({"text": SOLICITED, "language": "fr"})).await;
    let (keep_id, dup_id) = (keep["id"].as_str().expect("id"), dup["id"].as_str().expect("id"));
    let statement = |speaker: &str| json!({"speaker_id": speaker, "stance": "asserts", "url": "https://example.org/a"});
    let keep_tag = app.attribute(keep_id, keep["etag"].as_str().expect("etag"), statement(&herald)).await;
    let dup_tag = app.attribute(dup_id, dup["etag"].as_str().expect("etag"), statement(&herald)).await;
    app.attribute(dup_id, &dup_tag, statement(&wsj)).await;

    let path = format!("/v1/claims/{keep_id}/merge");
    let stale = app.send_if_match(reqwest::Method::POST, &path, "1-0", Some(&json!({"duplicate_id": dup_id}))).await;
    problem(stale, 412).await;
    let merged =
        app.send_if_match(reqwest::Method::POST, &path, &keep_tag, Some(&json!({"duplicate_id": dup_id}))).await;
    assert_eq!(merged.status(), 200);
    let new_tag = etag_of(&merged);
    let merged: Value = merged.json().await.expect("json");
    assert_eq!(merged["canonical"]["etag"], new_tag.as_str());
    assert_eq!(merged["canonical"]["version"], 3, "the canonical claim changed");
    assert_eq!(merged["merged"]["version"], 4, "the duplicate changed");
    assert_eq!(merged["merged"]["merged_into"], keep_id);
    assert_eq!(merged["canonical"]["sourcing"]["independent_supporting"], 2, "the WSJ moved, the Herald is not twice");

    let attributions = app.json(&format!("/v1/claims/{keep_id}/attributions")).await;
    assert_eq!(attributions["attributions"].as_array().expect("list").len(), 2);

    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let read = client
        .get(app.url(&format!("/v1/claims/{dup_id}")))
        .bearer_auth(claimdesk_tests::ADMIN_TOKEN)
        .send()
        .await
        .expect("sent");
    assert_eq!(read.status(), 301);
    assert_eq!(read.headers()["location"], format!("/v1/claims/{keep_id}").as_str());

    let kinds = |history: Value| -> Vec<String> {
        history["events"]
            .as_array()
            .expect("events")
            .iter()
            .filter_map(|e| e["change"]["kind"].as_str().map(str::to_owned))
            .collect()
    };
    assert_eq!(
        kinds(app.json(&format!("/v1/claims/{keep_id}/history")).await).last().map(String::as_str),
        Some("merged")
    );
    assert_eq!(
        kinds(app.json(&format!("/v1/claims/{dup_id}/history")).await).last().map(String::as_str),
        Some("merged_into")
    );

    // Lists and searches show the canonical claim only, found by either wording.
    let listed = app.json("/v1/claims").await;
    let ids: Vec<&str> = listed["claims"].as_array().expect("claims").iter().filter_map(|c| c["id"].as_str()).collect();
    assert_eq!(ids, [keep_id]);
    let found = search(&app, "sollicité").await;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["id"], keep_id);

    // A merged claim takes no more changes, and is not merged twice.
    let again = app.send_if_match(reqwest::Method::POST, &path, &new_tag, Some(&json!({"duplicate_id": dup_id}))).await;
    assert_eq!(problem(again, 409).await["code"], "claim_merged");
    let edit = app
        .send_if_match(reqwest::Method::PATCH, &format!("/v1/claims/{dup_id}"), "*", Some(&json!({"tags": ["x"]})))
        .await;
    assert_eq!(problem(edit, 409).await["code"], "claim_merged");
    let itself =
        app.send_if_match(reqwest::Method::POST, &path, &new_tag, Some(&json!({"duplicate_id": keep_id}))).await;
    problem(itself, 400).await;
}

/// Two core instances on one PostgreSQL database: a claim created through one is found
/// through the other at once (the index is in the database, written in the claim's transaction).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_claim_created_through_one_core_is_found_through_another() {
    if !claimdesk_tests::postgres_available() {
        return;
    }
    let app = TestApp::start(claimdesk_tests::Backend::Postgres).await;
    let other = app.another_core().await;
    let mut theirs = pb::claim_service_client::ClaimServiceClient::new(other.channel.clone());
    let found = |hits: Vec<pb::SearchHit>| -> Vec<String> {
        hits.into_iter().filter_map(|h| h.claim.map(|c| c.text)).collect()
    };
    for (i, (text, own_word)) in
        [(BOMBING, "installations"), (SHIPS, "amphibie"), (ASKED, "Maduro")].into_iter().enumerate()
    {
        // A word no claim holds yet is looked up through the other core first: that it was
        // absent must not be remembered there.
        let search = |query: &str| pb::SearchClaimsRequest { query: query.into(), ..Default::default() };
        let before = theirs.search_claims(search(own_word)).await.expect("searched").into_inner().hits;
        assert!(before.is_empty(), "{own_word} before claim {i}");
        app.claim(json!({"text": text, "language": "fr"})).await;
        let after = theirs.search_claims(search(own_word)).await.expect("searched").into_inner().hits;
        assert_eq!(found(after), [text], "{own_word} after claim {i}");
        let hits = theirs
            .search_claims(pb::SearchClaimsRequest { query: "etats-unis".into(), ..Default::default() })
            .await
            .expect("searched")
            .into_inner()
            .hits;
        assert_eq!(hits.len(), i.min(1) + 1, "after claim {i}");
        let similar = theirs
            .find_similar(pb::FindSimilarRequest {
                subject: Some(pb::find_similar_request::Subject::Text(text.into())),
                language: "fr".into(),
                limit: Some(1),
            })
            .await
            .expect("similar")
            .into_inner()
            .matches;
        assert_eq!(similar[0].claim.as_ref().map(|c| c.text.as_str()), Some(text));
    }
}

/// A desk where some words are common: 110 claims share "Venezuela", "Caracas", "annoncent",
/// "rapport" and "numéro", each with a word of its own.
fn common_words_desk() -> Vec<String> {
    let syllables = ["ka", "lo", "mi", "ta", "ru", "pe", "so", "vi", "ne", "du", "ga"];
    (0..110)
        .map(|i| {
            let own = format!("{}{}{}", syllables[i % 11], syllables[i / 11], syllables[(i * 7) % 11]);
            format!("Le Venezuela et Caracas annoncent le rapport numéro {own}")
        })
        .collect()
}

/// What a similar-claims call and a creation's duplicate check answer for `text`: the matches'
/// texts and scores, best first.
async fn matches_for(app: &TestApp, text: &str) -> (Vec<(String, f64)>, Vec<(String, f64)>) {
    let similar = app.post_json("/v1/claims/similar", &json!({"text": text, "language": "fr", "limit": 8})).await;
    assert_eq!(similar.status(), 200);
    let similar: Value = similar.json().await.expect("json");
    let similar = similar["matches"]
        .as_array()
        .expect("matches")
        .iter()
        .map(|m| (m["claim"]["text"].as_str().expect("text").to_owned(), m["score"].as_f64().expect("score")))
        .collect();
    // Refused above 0.99, so that the creation stores nothing and both desks stay the same.
    let created =
        app.post_json("/v1/claims", &json!({"text": text, "language": "fr", "reject_duplicates_above": 0.99})).await;
    let duplicates: Value = created.json().await.expect("json");
    let mut checked = Vec::new();
    for m in duplicates["possible_duplicates"].as_array().or(duplicates["matches"].as_array()).into_iter().flatten() {
        let id = m["claim_id"].as_str().expect("claim id");
        let claim = app.json(&format!("/v1/claims/{id}")).await;
        checked.push((claim["text"].as_str().expect("text").to_owned(), m["score"].as_f64().expect("score")));
    }
    (similar, checked)
}

/// PostgreSQL reads a text's word frequencies and chooses the words to search in one SQL
/// function (`claimdesk_similar_candidates`); SQLite does the same from core. On the same desk
/// both give the same matches with the same scores, whether the text's rare words alone find
/// its near copies or its common words must (every word held by more than 100 claims).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_and_sqlite_find_the_same_similar_claims() {
    if !claimdesk_tests::postgres_available() {
        return;
    }
    let sqlite = TestApp::start(claimdesk_tests::Backend::Sqlite).await;
    let postgres = TestApp::start(claimdesk_tests::Backend::Postgres).await;
    let desk = common_words_desk();
    for app in [&sqlite, &postgres] {
        seed(app).await;
        for text in &desk {
            app.claim(json!({"text": text, "language": "fr"})).await;
        }
    }
    let rare = desk[7].replace("Le ", "");
    let common = "Le Venezuela et Caracas annoncent le rapport";
    for text in [rare.as_str(), common, SOLICITED, "Washington déploie des navires de guerre au Venezuela"] {
        let (similar_sqlite, checked_sqlite) = matches_for(&sqlite, text).await;
        let (similar_postgres, checked_postgres) = matches_for(&postgres, text).await;
        for (a, b) in [(&similar_sqlite, &similar_postgres), (&checked_sqlite, &checked_postgres)] {
            let texts = |m: &[(String, f64)]| m.iter().map(|(t, _)| t.clone()).collect::<Vec<_>>();
            assert_eq!(texts(a), texts(b), "{text}");
            // Not to the last digit: each core keeps the n-gram frequencies it read for minutes,
            // and which candidates' n-grams an earlier call read (and so when) depends on ties
            // broken by claim ids, which are random. A choice of words that differs changes the
            // matches themselves (reading the rare words alone, where there are none, finds
            // nothing for the common-words text).
            for ((_, x), (_, y)) in a.iter().zip(b) {
                assert!((x - y).abs() < 1e-4, "{text}: {x} against {y}: {a:?} against {b:?}");
            }
        }
        match text {
            t if t == rare => assert_eq!(checked_sqlite.first().map(|m| m.0.as_str()), Some(desk[7].as_str())),
            t if t == common => assert!(checked_sqlite.len() >= 3, "common words find near copies: {checked_sqlite:?}"),
            t if t == SOLICITED => assert_eq!(checked_sqlite.first().map(|m| m.0.as_str()), Some(ASKED)),
            _ => assert!(!similar_sqlite.is_empty()),
        }
    }
}

claimdesk_tests::on_both_backends!(
    search_stems_folds_and_ranks,
    hostile_queries_get_clean_answers,
    the_two_wordings_find_each_other_and_unrelated_claims_do_not,
    a_merged_claim_points_to_its_canonical_claim
);
