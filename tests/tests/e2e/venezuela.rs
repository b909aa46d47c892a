//! The worked example: the claims of the AFP article on Venezuela
//! (tests/fixtures/article-fr-venezuela.txt), entered through the REST API only, with their
//! sources and stances, and the sourcing status and desk rules that follow.

use claimdesk_tests::{TestApp, etag_of, problem};
use reqwest::Method;
use serde_json::{Value, json};

/// The article, in the repository: the claims below are quoted from it.
const ARTICLE: &str = include_str!("../../fixtures/article-fr-venezuela.txt");
const ASKED: &str =
    "Maduro a demandé l'aide de la Russie, de la Chine et de l'Iran pour renforcer les défenses du pays";
const BOMBING: &str =
    "Les États-Unis se préparaient à bombarder des installations militaires au Venezuela à tout moment";

#[test]
fn the_claims_are_quoted_from_the_article() {
    // Quoted as sentences: typographic apostrophes made plain, the first letter capitalised.
    let article = ARTICLE.replace('’', "'").to_lowercase();
    for claim in [ASKED, BOMBING] {
        assert!(article.contains(&claim.to_lowercase()), "{claim:?} is not in tests/fixtures/article-fr-venezuela.txt");
    }
}

struct Sources {
    wapo: String,
    peskov: String,
    tass: String,
    kremlin: String,
    herald: String,
    wsj: String,
    close_to_trump: String,
    trump: String,
}

async fn sources(app: &TestApp) -> Sources {
    Sources {
        wapo: app.source(json!({"name": "The Washington Post", "kind": "news_outlet", "aliases": ["WaPo"]})).await,
        peskov: app.source(json!({"name": "Dmitri Peskov", "kind": "person", "descriptor": "porte-parole de la présidence russe"})).await,
        tass: app.source(json!({"name": "TASS", "kind": "news_agency", "reliability": {"grade": "D", "rationale": "State agency"}})).await,
        kremlin: app.source(json!({"name": "Kremlin", "kind": "official_body"})).await,
        herald: app.source(json!({"name": "Miami Herald", "kind": "news_outlet"})).await,
        wsj: app.source(json!({"name": "The Wall Street Journal", "kind": "news_outlet"})).await,
        close_to_trump: app
            .source(json!({
                "name": "Sources proches de l'administration Trump",
                "kind": "anonymous",
                "descriptor": "sources proches de l'administration Trump"
            }))
            .await,
        trump: app.source(json!({"name": "Donald Trump", "kind": "person"})).await,
    }
}

async fn set_status(app: &TestApp, id: &str, tag: &str, status: &str, note: Option<&str>) -> reqwest::Response {
    let body = json!({"status": status, "note": note});
    app.send_if_match(Method::POST, &format!("/v1/claims/{id}/status"), tag, Some(&body)).await
}

async fn the_venezuela_article(app: TestApp) {
    let s = sources(&app).await;

    // « Selon le Washington Post, Maduro a demandé l'aide de la Russie, de la Chine et de l'Iran »,
    // told twice in the article (« a demandé », « a sollicité »): one source, twice.
    let help = app
        .claim(json!({
            "text": ASKED,
            "language": "fr",
            "claimant": "Washington Post",
            "claimed_at": "2025-10",
            "tags": ["venezuela", "russie"]
        }))
        .await;
    assert_eq!(help["claimant"]["id"], s.wapo.as_str(), "the claimant's name resolves to the existing source");
    let id = help["id"].as_str().expect("id");
    let mut v = help["etag"].as_str().expect("etag").to_owned();
    v = app.attribute(id, &v, json!({"speaker_id": s.wapo, "stance": "asserts", "quote": "Maduro a demandé l'aide de la Russie", "published_at": "2025-10-24"})).await;
    v = app
        .attribute(
            id,
            &v,
            json!({"speaker_id": s.wapo, "stance": "asserts", "quote": "Maduro a sollicité l'aide de la Russie"}),
        )
        .await;
    // « Nous sommes en contact avec nos amis vénézuéliens », a déclaré Dmitri Peskov, à l'agence TASS:
    // contacts admitted, not the request.
    v = app
        .attribute(
            id,
            &v,
            json!({
                "speaker_id": s.peskov,
                "stance": "context",
                "relay_ids": [s.tass],
                "quote": "« Nous sommes en contact avec nos amis vénézuéliens »",
                "published_at": "2025-10-26"
            }),
        )
        .await;
    assert!(v.starts_with("4-"), "{v}");
    let sourcing = app.json(&format!("/v1/claims/{id}/sourcing")).await;
    assert_eq!(sourcing["level"], "single_source", "{sourcing}");
    assert_eq!(sourcing["independent_supporting"], 1);
    assert_eq!(sourcing["named_supporting"], 1);
    assert_eq!(sourcing["anonymous_only"], false);
    assert_eq!(sourcing["denials"], 0);
    assert_eq!(sourcing["earliest_published_at"], "2025-10-24");
    assert_eq!(sourcing["latest_published_at"], "2025-10-26");
    let explanation = sourcing["explanation"].as_str().expect("explanation");
    assert!(explanation.contains("The Washington Post") && explanation.contains("Dmitri Peskov"), "{explanation}");
    let claim = app.json(&format!("/v1/claims/{id}")).await;
    assert_eq!(claim["sourcing"], sourcing, "claim reads embed the same sourcing");
    assert_eq!(claim["version"], 4);

    // « Le Miami Herald et le Wall Street Journal [...] citant des sources proches de
    // l'administration Trump, [...] se préparaient à bombarder », « malgré les démentis de Donald Trump ».
    let strikes = app
        .claim(json!({
            "text": BOMBING,
            "language": "fr",
            "claimant_id": s.close_to_trump,
            "tags": ["venezuela", "usa"]
        }))
        .await;
    let id = strikes["id"].as_str().expect("id");
    let mut v = strikes["etag"].as_str().expect("etag").to_owned();
    v = app
        .attribute(id, &v, json!({"speaker_id": s.close_to_trump, "stance": "asserts", "relay_ids": [s.herald]}))
        .await;
    v = app.attribute(id, &v, json!({"speaker_id": s.close_to_trump, "stance": "asserts", "relay_ids": [s.wsj]})).await;
    v = app.attribute(id, &v, json!({"speaker_id": s.trump, "stance": "denies"})).await;
    let sourcing = app.json(&format!("/v1/claims/{id}/sourcing")).await;
    assert_eq!(sourcing["level"], "contested", "{sourcing}");
    assert_eq!(sourcing["anonymous_only"], true);
    assert_eq!(sourcing["independent_supporting"], 1, "one anonymous group relayed twice is one source");
    assert_eq!(sourcing["anonymous_supporting"], 1);
    assert_eq!(sourcing["denials"], 1);

    let response = set_status(&app, id, &v, "in_review", None).await;
    assert_eq!(response.status(), 200);
    let v = etag_of(&response);
    let refused = problem(set_status(&app, id, &v, "confirmed", Some("Two papers say so")).await, 409).await;
    assert_eq!(refused["code"], "confirmation_requirements_not_met");
    let detail = refused["detail"].as_str().expect("detail");
    assert!(
        detail.contains("at least 3 independent supporting sources") && detail.contains("all anonymous"),
        "{detail}"
    );
    let after = app.json(&format!("/v1/claims/{id}")).await;
    assert_eq!(
        (after["status"].as_str(), after["etag"].as_str()),
        (Some("in_review"), Some(v.as_str())),
        "nothing written"
    );
    // The desk can still record what it knows.
    let disputed = set_status(&app, id, &v, "disputed", Some("Anonymous sources only, denied by the President")).await;
    assert_eq!(disputed.status(), 200);

    // « Le Kremlin a admis dimanche avoir des contacts avec le Venezuela »: an official body
    // confirming through TASS is a primary confirmation, and the desk may confirm.
    let contacts = app
        .claim(json!({
            "text": "Le Kremlin a des contacts avec le Venezuela au sujet d'une demande d'aide de Nicolás Maduro",
            "language": "fr",
            "claimant_id": s.kremlin
        }))
        .await;
    let id = contacts["id"].as_str().expect("id");
    let first = contacts["etag"].as_str().expect("etag");
    let v =
        app.attribute(id, first, json!({"speaker_id": s.kremlin, "stance": "confirms", "relay_ids": [s.tass]})).await;
    let sourcing = app.json(&format!("/v1/claims/{id}/sourcing")).await;
    assert_eq!(sourcing["level"], "confirmed");
    assert_eq!(sourcing["primary_confirmation"], true);
    let reviewed = set_status(&app, id, &v, "in_review", None).await;
    assert_eq!(reviewed.status(), 200);
    let confirmed = set_status(&app, id, &etag_of(&reviewed), "confirmed", Some("Peskov to TASS, on the record")).await;
    assert_eq!(confirmed.status(), 200);
    let confirmed: Value = confirmed.json().await.expect("json");
    assert_eq!(confirmed["status"], "confirmed");
}

claimdesk_tests::on_both_backends!(the_venezuela_article);
