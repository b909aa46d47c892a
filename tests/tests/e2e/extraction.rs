//! From article to claims (issue 14): `POST /v1/extract` and `ExtractClaims` on the seed
//! article, with stored sources and claims resolved; accepting candidates; bad input.

use claimdesk_proto::v1 as pb;
use claimdesk_tests::{TestApp, problem};
use serde_json::{Value, json};

/// The seed article, as labelled for the extraction's evaluation.
fn article() -> String {
    let labelled: Value =
        serde_json::from_str(include_str!("../../fixtures/extraction/fr-venezuela.json")).expect("labelled passage");
    labelled["text"].as_str().expect("text").to_owned()
}

fn candidate<'a>(answer: &'a Value, sentence_part: &str) -> &'a Value {
    answer["candidates"]
        .as_array()
        .expect("candidates")
        .iter()
        .find(|c| c["sentence"].as_str().is_some_and(|s| s.contains(sentence_part)))
        .unwrap_or_else(|| panic!("no candidate holds {sentence_part:?}: {answer:#}"))
}

async fn the_seed_article_is_proposed_with_stored_sources_and_claims(app: TestApp) {
    let article = article();
    let tass = app.source(json!({"name": "TASS", "kind": "news_agency", "aliases": ["ТАСС"]})).await;
    let stored = app
        .claim(json!({
            "text": "Les États-Unis se préparaient à bombarder des installations militaires au Venezuela",
            "language": "fr"
        }))
        .await;
    let stored_id = stored["id"].as_str().expect("id");

    let url = "https://www.example.org/monde/venezuela";
    let response = app.post_json("/v1/extract", &json!({"text": article, "published": "2025-09-01", "url": url})).await;
    assert_eq!(response.status(), 200);
    let answer: Value = response.json().await.expect("json");
    assert_eq!(answer["url"], url, "answered back for the acceptance");
    assert_eq!(answer["language"], "fr", "detected");
    assert_eq!(answer["candidates"].as_array().map(Vec::len), Some(9), "{answer:#}");
    assert!(answer.get("text").is_none(), "plain text: offsets count in the input");

    let peskov = candidate(&answer, "Nous sommes en contact");
    let attribution = &peskov["attributions"][0];
    assert_eq!(attribution["speaker"], json!({"name": "Dmitri Peskov", "kind": "person", "source_id": null}));
    assert_eq!(attribution["relays"], json!([{"name": "TASS", "kind": "news_agency", "source_id": tass}]));
    assert_eq!(attribution["stance"], "asserts");
    assert_eq!(attribution["cue"], "a déclaré");
    // Offsets are code points of the text, and the selector quotes them.
    let chars: Vec<char> = article.chars().collect();
    let (start, end) =
        (peskov["start"].as_u64().expect("start") as usize, peskov["end"].as_u64().expect("end") as usize);
    assert_eq!(chars[start..end].iter().collect::<String>(), peskov["selector"]["exact"].as_str().expect("exact"));
    assert!(peskov["selector"]["prefix"].as_str().expect("prefix").ends_with("Vladimir Poutine.\n"));

    let bombing = candidate(&answer, "bombarder");
    let relays: Vec<&Value> =
        bombing["attributions"].as_array().expect("list").iter().map(|a| &a["relays"][0]["name"]).collect();
    assert_eq!(relays, [&json!("Miami Herald"), &json!("Wall Street Journal")]);
    assert_eq!(bombing["matches"][0]["claim_id"], stored_id, "the stored claim is matched");
    assert!(bombing["matches"][0]["score"].as_f64().expect("score") >= 0.5);

    let asked = candidate(&answer, "Maduro a demandé");
    assert_eq!(asked["merged_spans"].as_array().map(Vec::len), Some(1), "the rewording is merged");
    assert!(asked["matches"].as_array().expect("matches").is_empty());
    let ships = candidate(&answer, "treize");
    let total = ships["numbers"].as_array().expect("numbers").iter().find(|n| n["text"] == "treize").expect("total");
    assert_eq!(total["check"], "total_mismatch");
    assert_eq!(total["detail"], "8 + 3 + 1 = 12, not 13");
    let kremlin = candidate(&answer, "Le Kremlin a admis");
    assert_eq!(kremlin["dates"][0]["expression"], "dimanche");
    assert_eq!(kremlin["dates"][0]["value"], "2025-08-31");
    assert_eq!(kremlin["attributions"][0]["stance"], "confirms");

    // gRPC mirrors it.
    let grpc = app
        .grpc()
        .await
        .extract_claims(pb::ExtractClaimsRequest {
            text: article.clone(),
            language: Some("fr".into()),
            published: "2025-09-01".into(),
            ..Default::default()
        })
        .await
        .expect("extracted")
        .into_inner();
    assert_eq!(grpc.candidates.len(), 9);
    let first = &grpc.candidates[0];
    assert_eq!(first.attributions[0].speaker.as_ref().map(|s| s.name.as_str()), Some("Washington Post"));
    assert_eq!(first.attributions[0].speaker.as_ref().map(|s| s.kind()), Some(pb::SourceKind::NewsOutlet));
}

async fn an_html_page_is_read_without_its_scripts(app: TestApp) {
    let page = "<html><head><script>alert(1)</script></head><body><nav>Menu</nav>\
        <p>“We will not back down,” Prime Minister Jane Doe told Reuters on Tuesday.</p>\
        <p>The weather was mild.<script>document.write('x')</script></p></body></html>";
    let response =
        app.post_json("/v1/extract", &json!({"text": page, "format": "html", "published": "2025-09-03"})).await;
    assert_eq!(response.status(), 200);
    let answer: Value = response.json().await.expect("json");
    assert_eq!(answer["language"], "en");
    let text = answer["text"].as_str().expect("the text offsets count in");
    assert!(!text.contains("alert") && !text.contains("document.write") && !text.contains("Menu"), "{text}");
    assert_eq!(answer["candidates"].as_array().map(Vec::len), Some(1), "{answer:#}");
    let c = &answer["candidates"][0];
    assert_eq!(c["claim"], "We will not back down.");
    assert_eq!(c["attributions"][0]["speaker"]["name"], "Jane Doe");
    assert_eq!(c["attributions"][0]["relays"][0]["name"], "Reuters");
    let chars: Vec<char> = text.chars().collect();
    let (start, end) = (c["start"].as_u64().expect("start") as usize, c["end"].as_u64().expect("end") as usize);
    assert_eq!(chars[start..end].iter().collect::<String>(), c["sentence"].as_str().expect("sentence"));
}

async fn bad_articles_get_clean_problems(app: TestApp) {
    let field_of = |body: &Value| body["errors"][0]["field"].as_str().map(str::to_owned);
    for (body, field) in [
        (json!({"text": ""}), "text"),
        (json!({"text": "   \n "}), "text"),
        (json!({"text": "\u{1}\u{2}\u{3}binary\u{0}junk", "language": "fr"}), "text"),
        (json!({"text": "x".repeat(200_001), "language": "en"}), "text"),
        (
            json!({"text": "Der Minister sagte am Montag, dass die Regierung die Steuern senken werde.", "language": "de"}),
            "language",
        ),
        (
            json!({"text": "Der Minister sagte am Montag, dass die Regierung die Steuern im nächsten Jahr deutlich senken werde, und die Opposition widersprach."}),
            "language",
        ),
        (json!({"text": "Selon l'AFP, il pleut.", "published": "2025-13-01"}), "published"),
        (json!({"text": "Selon l'AFP, il pleut.", "language": "fr", "url": "ftp://example.org/a"}), "url"),
        (json!({"text": "Selon l'AFP, il pleut.", "language": "fr", "url": " "}), "url"),
        (json!({"text": "Selon l'AFP, il pleut.", "language": ""}), "language"),
    ] {
        let response = app.post_json("/v1/extract", &body).await;
        let problem = problem(response, 400).await;
        let got = field_of(&problem).or_else(|| problem["detail"].as_str().map(str::to_owned));
        assert!(got.as_deref().is_some_and(|g| g.contains(field)), "{field}: {problem:#}");
        assert!(!problem.to_string().contains("SQL"), "{problem}");
    }
    let huge = "Selon l'AFP, il pleut. ".repeat(250_000);
    let response = app.post_json("/v1/extract", &json!({"text": huge, "language": "fr"})).await;
    assert_eq!(problem(response, 413).await["code"], "payload_too_large");
    let response = app.post_json("/v1/extract", &json!({"text": "Selon l'AFP, il pleut.", "format": "pdf"})).await;
    problem(response, 400).await;
}

claimdesk_tests::on_both_backends!(
    the_seed_article_is_proposed_with_stored_sources_and_claims,
    an_html_page_is_read_without_its_scripts,
    bad_articles_get_clean_problems,
    accepting_candidates_stores_them_once
);

async fn accepting_candidates_stores_them_once(app: TestApp) {
    let article = article();
    let tass = app.source(json!({"name": "TASS", "kind": "news_agency"})).await;
    let extracted: Value = app
        .post_json("/v1/extract", &json!({"text": article, "language": "fr", "published": "2025-09-01"}))
        .await
        .json()
        .await
        .expect("json");
    let chosen: Vec<Value> = ["Nous sommes en contact", "bombarder", "Le Kremlin a admis"]
        .into_iter()
        .map(|part| candidate(&extracted, part).clone())
        .collect();
    let url = "https://www.example.org/monde/venezuela-russie";
    let body = json!({"url": url, "language": "fr", "published": "2025-09-01", "candidates": chosen});
    let response = app.post_json("/v1/extract/accept", &body).await;
    assert_eq!(response.status(), 201);
    let accepted: Value = response.json().await.expect("json");
    let claims = accepted["claims"].as_array().expect("claims");
    assert_eq!(claims.len(), 3);
    assert!(claims.iter().all(|c| c["created"] == true));

    let quoted = &claims[0]["claim"];
    assert_eq!(quoted["text"], "Nous sommes en contact avec nos amis vénézuéliens.");
    assert!(quoted["context"].as_str().expect("context").starts_with("« Nous sommes en contact"));
    let id = quoted["id"].as_str().expect("id");
    let attributions = app.json(&format!("/v1/claims/{id}/attributions")).await;
    let a = &attributions["attributions"][0];
    let speaker = app.json(&format!("/v1/sources/{}", a["speaker_id"].as_str().expect("speaker"))).await;
    assert_eq!(speaker["name"], "Dmitri Peskov");
    assert_eq!(speaker["kind"], "person");
    assert_eq!(a["relay_ids"], json!([tass]), "the stored TASS, not a new one");
    assert_eq!(a["stance"], "asserts");
    assert_eq!(a["published_at"], "2025-09-01");
    let kept = a["url"].as_str().expect("url");
    assert!(kept.starts_with(&format!("{url}#:~:text=")), "{kept}");
    // A long sentence is quoted by its first and last words, between its neighbours' words.
    assert!(
        kept.ends_with("-,%C2%AB%20Nous%20sommes%20en,l%E2%80%99agence%20de%20presse%20TASS.,-Selon%20le%20Washington"),
        "{kept}"
    );
    assert!(a["quote"].as_str().expect("quote").contains("a déclaré le porte-parole"));

    let bombing = &claims[1]["claim"];
    let id = bombing["id"].as_str().expect("id");
    let sourcing = app.json(&format!("/v1/claims/{id}/sourcing")).await;
    let attributions = app.json(&format!("/v1/claims/{id}/attributions")).await;
    let list = attributions["attributions"].as_array().expect("list");
    let mut relays = Vec::new();
    for a in list {
        let relay = app.json(&format!("/v1/sources/{}", a["relay_ids"][0].as_str().expect("relay"))).await;
        relays.push(relay["name"].as_str().expect("name").to_owned());
    }
    assert_eq!(relays, ["Miami Herald", "Wall Street Journal"]);
    assert_eq!(list[0]["speaker_id"], list[1]["speaker_id"], "one anonymous source, relayed twice");
    let anonymous = app.json(&format!("/v1/sources/{}", list[0]["speaker_id"].as_str().expect("id"))).await;
    assert_eq!(anonymous["kind"], "anonymous");
    assert!(sourcing.to_string().contains("anonymous"), "{sourcing:#}");
    assert_eq!(claims[2]["claim"]["claimed_at"], "2025-08-31", "\"dimanche\": when the Kremlin said it");

    // Again: nothing new.
    let before = app.json("/v1/claims?page_size=100").await["claims"].as_array().map(Vec::len);
    let sources_before = app.json("/v1/sources?page_size=100").await["sources"].as_array().map(Vec::len);
    let response = app.post_json("/v1/extract/accept", &body).await;
    assert_eq!(response.status(), 200);
    let again: Value = response.json().await.expect("json");
    assert!(again["claims"].as_array().expect("claims").iter().all(|c| c["created"] == false));
    assert_eq!(again["claims"][0]["claim"]["id"], claims[0]["claim"]["id"]);
    assert_eq!(app.json("/v1/claims?page_size=100").await["claims"].as_array().map(Vec::len), before);
    assert_eq!(app.json("/v1/sources?page_size=100").await["sources"].as_array().map(Vec::len), sources_before);

    // Nothing half-written: a bad candidate refuses the whole acceptance.
    let mut bad = chosen[1].clone();
    bad["claim"] = json!("Une autre affirmation sur le Venezuela.");
    let unknown = json!({"name": "", "kind": "person", "source_id": "01964b6e-7a4f-7c3e-9d2a-5b8c1e0f3a47"});
    let mut broken = chosen[0].clone();
    broken["claim"] = json!("Encore une affirmation.");
    broken["attributions"][0]["speaker"] = unknown;
    let response =
        app.post_json("/v1/extract/accept", &json!({"url": url, "language": "fr", "candidates": [bad, broken]})).await;
    let refused = problem(response, 400).await;
    assert!(refused.to_string().contains("candidates[1]"), "{refused:#}");
    assert_eq!(app.json("/v1/claims?page_size=100").await["claims"].as_array().map(Vec::len), before, "nothing stored");
    for body in [
        json!({"language": "fr", "candidates": []}),
        json!({"language": "fr", "url": "javascript:alert(1)", "candidates": [chosen[0]]}),
        json!({"language": "fr", "url": "", "candidates": [chosen[0]]}),
        json!({"language": "fr", "candidates": [{"claim": "x", "attributions": []}]}),
    ] {
        let response = app.post_json("/v1/extract/accept", &body).await;
        problem(response, 400).await;
    }
}
