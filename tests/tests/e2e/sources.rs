//! Sources over REST and gRPC: one source per name whatever the spelling, search, edits.

use claimdesk_proto::v1 as pb;
use claimdesk_tests::{TestApp, problem, problem_fields};
use reqwest::Method;
use serde_json::{Value, json};
use tonic::Code;
use tonic_types::StatusExt;

async fn a_name_or_alias_already_known_is_refused_with_the_existing_id(app: TestApp) {
    let wapo = app.source(json!({"name": "The Washington Post", "kind": "news_outlet", "aliases": ["WaPo"]})).await;
    let equipe = app.source(json!({"name": "L'Équipe", "kind": "news_outlet"})).await;
    for (name, existing) in [
        ("Washington Post", &wapo),
        ("the washington post.", &wapo),
        ("WAPO", &wapo),
        ("Equipe", &equipe),
        ("La Équipe", &equipe),
    ] {
        let body =
            problem(app.post_json("/v1/sources", &json!({"name": name, "kind": "news_outlet"})).await, 409).await;
        assert_eq!(body["code"], "already_exists", "{name}");
        assert_eq!(body["existing_id"], existing.as_str(), "{name}");
    }
    // An alias that is someone else's name is refused too.
    let body = app
        .post_json("/v1/sources", &json!({"name": "Post", "kind": "news_outlet", "aliases": ["Washington Post"]}))
        .await;
    assert_eq!(problem(body, 409).await["existing_id"], wapo.as_str());
    let page = app.json("/v1/sources").await;
    assert_eq!(page["sources"].as_array().map(Vec::len), Some(2), "nothing was stored for the refusals");

    let mut grpc = claimdesk_proto::v1::source_service_client::SourceServiceClient::new(
        app.grpc_as(claimdesk_tests::ADMIN_TOKEN).await,
    );
    let status = grpc
        .create_source(pb::CreateSourceRequest {
            source: Some(pb::SourceFields {
                name: "washington post".into(),
                kind: pb::SourceKind::NewsOutlet.into(),
                ..Default::default()
            }),
            request_id: None,
        })
        .await
        .expect_err("duplicate");
    assert_eq!(status.code(), Code::AlreadyExists);
    let info = status.get_details_error_info().expect("error info");
    assert_eq!(info.metadata.get("existing_id"), Some(&wapo));
}

async fn sources_are_searched_by_name_and_alias_ignoring_accents(app: TestApp) {
    app.source(json!({"name": "Agence France-Presse", "kind": "news_agency", "aliases": ["AFP"]})).await;
    app.source(json!({"name": "Le Monde", "kind": "news_outlet"})).await;
    app.source(json!({"name": "Élysée", "kind": "official_body", "aliases": ["Présidence de la République"]})).await;
    let names = |page: Value| -> Vec<String> {
        page["sources"]
            .as_array()
            .expect("sources")
            .iter()
            .map(|s| s["name"].as_str().expect("name").to_owned())
            .collect()
    };
    assert_eq!(names(app.json("/v1/sources?q=france").await), ["Agence France-Presse"]);
    assert_eq!(names(app.json("/v1/sources?q=afp").await), ["Agence France-Presse"]);
    assert_eq!(names(app.json("/v1/sources?q=presidence").await), ["Élysée"]);
    assert_eq!(names(app.json("/v1/sources?q=elysee").await), ["Élysée"]);
    // The analysis claims are searched with: stems, folding, every word, names typed in part.
    app.source(json!({"name": "Nicolás Maduro", "kind": "person"})).await;
    app.source(json!({"name": "Ministry of Foreign Affairs", "kind": "official_body"})).await;
    assert_eq!(names(app.json("/v1/sources?q=ministries%20affair").await), ["Ministry of Foreign Affairs"]);
    assert_eq!(names(app.json("/v1/sources?q=NICOLAS%20madu").await), ["Nicolás Maduro"]);
    assert_eq!(names(app.json("/v1/sources?q=duro").await), Vec::<String>::new(), "words match from their start");
    assert_eq!(names(app.json("/v1/sources?q=maduro%20afp").await), Vec::<String>::new(), "every word must match");
    assert_eq!(names(app.json("/v1/sources?q=la%20republique").await), ["Élysée"], "stop words are not needed");
    assert_eq!(names(app.json("/v1/sources?kind=news_outlet").await), ["Le Monde"]);
    // Ordered by name, ignoring articles: "Le Monde" sorts as "monde".
    assert_eq!(
        names(app.json("/v1/sources").await),
        ["Agence France-Presse", "Élysée", "Ministry of Foreign Affairs", "Le Monde", "Nicolás Maduro"]
    );
    let first = app.json("/v1/sources?page_size=3").await;
    let token = first["next_page_token"].as_str().expect("a next page");
    assert_eq!(
        names(app.json(&format!("/v1/sources?page_size=3&page_token={token}")).await),
        ["Le Monde", "Nicolás Maduro"]
    );

    for (query, code) in
        [("q=%20%21%21", "validation_failed"), ("kind=tabloid", "invalid_query"), ("page_size=0", "validation_failed")]
    {
        let body = problem(app.get(&format!("/v1/sources?{query}")).await, 400).await;
        assert_eq!(body["code"], code, "{query}");
    }
    let long = "a".repeat(201);
    assert_eq!(problem(app.get(&format!("/v1/sources?q={long}")).await, 400).await["code"], "validation_failed");
}

async fn bad_sources_are_refused(app: TestApp) {
    let cases = [
        (json!({"name": "X", "kind": "tabloid"}), "invalid_body", "kind"),
        (json!({"name": "  ", "kind": "person"}), "validation_failed", "name"),
        (json!({"name": "Des diplomates", "kind": "anonymous"}), "validation_failed", "descriptor"),
        (json!({"name": "TASS", "kind": "news_agency", "homepage": "tass.ru"}), "validation_failed", "homepage"),
        (
            json!({"name": "TASS", "kind": "news_agency", "reliability": {"grade": "Z"}}),
            "invalid_body",
            "reliability.grade",
        ),
        (
            json!({"name": "TASS", "kind": "news_agency", "aliases": ["T.A.S.S.", "tass"]}),
            "validation_failed",
            "aliases",
        ),
    ];
    for (body, code, field) in cases {
        let problem = problem(app.post_json("/v1/sources", &body).await, 400).await;
        assert_eq!(problem["code"], code, "{body}");
        assert_eq!(problem_fields(&problem), [field], "{body}: {problem}");
    }
    assert_eq!(app.json("/v1/sources").await["sources"], json!([]));
}

async fn sources_are_edited_with_if_match(app: TestApp) {
    let tass = app.source(json!({"name": "TASS", "kind": "news_agency"})).await;
    app.source(json!({"name": "RIA Novosti", "kind": "news_agency"})).await;
    let path = format!("/v1/sources/{tass}");
    let patch = json!({"aliases": ["ТАСС"], "reliability": {"grade": "D", "rationale": "State-owned"}});

    let missing = app.http.patch(app.url(&path)).json(&patch).send().await.expect("sent");
    assert_eq!(problem(missing, 428).await["code"], "precondition_required");
    let edited = app.send_if_match(Method::PATCH, &path, 1, Some(&patch)).await;
    assert_eq!(edited.status(), 200);
    assert_eq!(edited.headers()["etag"], "\"2\"");
    let edited: Value = edited.json().await.expect("json");
    assert_eq!(edited["aliases"], json!(["ТАСС"]));
    assert_eq!(edited["reliability"]["grade"], "D");
    assert_eq!(edited["kind"], "news_agency", "fields not in the patch stay");

    let stale = problem(app.send_if_match(Method::PATCH, &path, 1, Some(&json!({"notes": "x"}))).await, 412).await;
    assert_eq!(stale["current_version"], 2);
    let taken = app.send_if_match(Method::PATCH, &path, 2, Some(&json!({"aliases": ["RIA Novosti"]}))).await;
    assert_eq!(problem(taken, 409).await["code"], "already_exists");
    let cleared = app.send_if_match(Method::PATCH, &path, 2, Some(&json!({"reliability": null}))).await;
    assert_eq!(cleared.status(), 200);
    assert!(cleared.json::<Value>().await.expect("json")["reliability"].is_null());
    assert_eq!(app.json(&format!("/v1/sources?q={}", "тасс")).await["sources"][0]["id"], tass.as_str());
}

/// An outlet spelled with invisible characters or look-alike letters is the same outlet: it
/// cannot count as a second independent source.
async fn invisible_and_look_alike_spellings_are_the_same_source(app: TestApp) {
    let reuters = app.source(json!({"name": "Reuters", "kind": "news_agency"})).await;
    let spellings = [
        "Reu\u{200B}ters",
        "Reu\u{200C}ters",
        "Reu\u{200D}ters",
        "Reu\u{200E}ters",
        "Reu\u{200F}ters",
        "Reu\u{202E}ters",
        "Reu\u{2060}ters",
        "\u{FEFF}Reuters",
        "Reu\u{00AD}ters",
        "Reuters\u{E0041}",
        "R\u{0435}uters",
        "ＲＥＵＴＥＲＳ",
    ];
    for name in spellings {
        let refused = app.post_json("/v1/sources", &json!({"name": name, "kind": "news_agency"})).await;
        let refused = problem(refused, 409).await;
        assert_eq!(refused["existing_id"], reuters.as_str(), "{name:?}");
    }
    let claim = app
        .claim(json!({"text": "Treize navires", "language": "fr", "claimant": "Reu\u{200B}ters",
            "attributions": [{"speaker_id": reuters, "stance": "asserts"}]}))
        .await;
    assert_eq!(claim["claimant"]["id"], reuters.as_str(), "the claimant's name resolves to the one outlet");
    assert_eq!(claim["sourcing"]["independent_supporting"], 1);
    let hidden =
        problem(app.post_json("/v1/sources", &json!({"name": "\u{200B}\u{2060}", "kind": "person"})).await, 400).await;
    assert_eq!(problem_fields(&hidden), ["name"], "{hidden}");
    assert_eq!(app.json("/v1/sources").await["sources"].as_array().map(Vec::len), Some(1));
}

/// Racing requests that name the same new source: the claims all land on one claimant, and
/// of the sources created at once one is stored and the others are told its id.
async fn racing_creations_of_one_name_resolve_to_one_source(app: TestApp) {
    let creates = (0..24).map(|i| {
        let body = json!({"text": format!("Claim {i}"), "language": "fr", "claimant": "Un diplomate européen", "claimant_kind": "anonymous"});
        let app = &app;
        async move { app.post_json("/v1/claims", &body).await }
    });
    let mut claimants = std::collections::BTreeSet::new();
    for response in futures_util::future::join_all(creates).await {
        assert_eq!(response.status(), 201, "every claim that could be stored is");
        let claim: Value = response.json().await.expect("json");
        claimants.insert(claim["claimant"]["id"].as_str().expect("claimant").to_owned());
    }
    assert_eq!(claimants.len(), 1, "one claimant for all: {claimants:?}");

    let sources = (0..12).map(|_| {
        let app = &app;
        async move { app.post_json("/v1/sources", &json!({"name": "Le Canard enchaîné", "kind": "news_outlet"})).await }
    });
    let mut created = Vec::new();
    let mut existing = Vec::new();
    for response in futures_util::future::join_all(sources).await {
        match response.status().as_u16() {
            201 => created.push(response.json::<Value>().await.expect("json")["id"].clone()),
            409 => existing.push(problem(response, 409).await),
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(created.len(), 1);
    assert!(existing.iter().all(|p| p["code"] == "already_exists" && p["existing_id"] == created[0]), "{existing:?}");
}

async fn a_sources_statements_list_newest_first_with_their_claims(app: TestApp) {
    let peskov = app.source(json!({"name": "Dmitri Peskov", "kind": "person"})).await;
    let tass = app.source(json!({"name": "TASS", "kind": "news_agency"})).await;
    let mut claims = Vec::new();
    for text in [
        "Le Kremlin a des contacts avec le Venezuela",
        "La Russie soutient le Venezuela",
        "Un accord lie les deux pays",
    ] {
        let claim = app.claim(json!({"text": text, "language": "fr"})).await;
        let tag = claim["etag"].as_str().expect("etag").to_owned();
        let id = claim["id"].as_str().expect("id").to_owned();
        app.attribute(
            &id,
            &tag,
            json!({"speaker_id": peskov, "stance": "confirms", "relay_ids": [tass], "quote": text}),
        )
        .await;
        claims.push((id, text));
    }
    let first = app.json(&format!("/v1/sources/{peskov}/statements?page_size=2")).await;
    let texts = |page: &Value| -> Vec<String> {
        page["statements"]
            .as_array()
            .expect("statements")
            .iter()
            .map(|s| s["claim_text"].as_str().expect("text").to_owned())
            .collect()
    };
    assert_eq!(texts(&first), ["Un accord lie les deux pays", "La Russie soutient le Venezuela"]);
    assert_eq!(first["statements"][0]["claim_status"], "unverified");
    assert_eq!(first["statements"][0]["attribution"]["speaker_id"], peskov.as_str());
    assert_eq!(first["statements"][0]["attribution"]["claim_id"], claims[2].0.as_str());
    let token = first["next_page_token"].as_str().expect("more");
    let second = app.json(&format!("/v1/sources/{peskov}/statements?page_size=2&page_token={token}")).await;
    assert_eq!(texts(&second), ["Le Kremlin a des contacts avec le Venezuela"]);
    assert!(second["next_page_token"].is_null());
    // A relay made no statement; an unknown source is 404; another list's token is refused.
    assert!(texts(&app.json(&format!("/v1/sources/{tass}/statements")).await).is_empty());
    let unknown = app.get("/v1/sources/01964b6e-7a4f-7c3e-9d2a-5b8c1e0f3a47/statements").await;
    assert_eq!(problem(unknown, 404).await["code"], "not_found");
    let claims_page = app.json("/v1/claims?page_size=1").await;
    let other = claims_page["next_page_token"].as_str().expect("more claims");
    let refused = app.get(&format!("/v1/sources/{peskov}/statements?page_token={other}")).await;
    assert_eq!(problem_fields(&problem(refused, 400).await), ["page_token"]);
}

claimdesk_tests::on_both_backends!(
    a_sources_statements_list_newest_first_with_their_claims,
    racing_creations_of_one_name_resolve_to_one_source,
    invisible_and_look_alike_spellings_are_the_same_source,
    a_name_or_alias_already_known_is_refused_with_the_existing_id,
    sources_are_searched_by_name_and_alias_ignoring_accents,
    bad_sources_are_refused,
    sources_are_edited_with_if_match
);
