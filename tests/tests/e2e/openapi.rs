//! The OpenAPI document: committed file equals the generated one, and the docs work offline.

use claimdesk_tests::TestApp;
use serde_json::Value;

const COMMITTED: &str = include_str!("../../../openapi/openapi.json");

#[test]
fn committed_openapi_matches_the_code() {
    let generated = claimdesk_api::openapi_json();
    if generated != COMMITTED {
        panic!(
            "openapi/openapi.json is stale. Regenerate it with:\n    \
             cargo run -- openapi > openapi/openapi.json"
        );
    }
}

#[test]
fn the_document_is_openapi_3_1_and_documents_every_error() {
    let doc: Value = serde_json::from_str(COMMITTED).expect("json");
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.1")));
    let create = &doc["paths"]["/v1/claims"]["post"]["responses"];
    for status in ["201", "400", "413", "415", "503"] {
        assert!(create.get(status).is_some(), "POST /v1/claims lacks {status}");
    }
    let get = &doc["paths"]["/v1/claims/{id}"]["get"]["responses"];
    for status in ["200", "400", "404", "503"] {
        assert!(get.get(status).is_some(), "GET /v1/claims/{{id}} lacks {status}");
    }
    assert!(doc["components"]["schemas"]["Problem"].is_object());
    assert!(doc["components"]["schemas"]["Claim"]["example"].is_object());
}

async fn the_gateway_serves_the_document_and_offline_docs(app: TestApp) {
    let served: Value = app.get("/openapi.json").await.json().await.expect("json");
    let committed: Value = serde_json::from_str(COMMITTED).expect("json");
    assert_eq!(served, committed);

    let no_redirect = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let redirect = no_redirect.get(app.url("/docs")).send().await.expect("sent");
    assert_eq!(redirect.status(), 308);
    assert_eq!(redirect.headers()["location"], "/docs/");

    let page = app.get("/docs/").await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("html");
    assert!(html.contains("swagger-ui"), "not the Swagger UI page");
    // Every asset the page loads is served by the gateway itself.
    for asset in ["swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "swagger-initializer.js"]
    {
        let response = app.get(&format!("/docs/{asset}")).await;
        assert_eq!(response.status(), 200, "{asset}");
    }
    let init = app.get("/docs/swagger-initializer.js").await.text().await.expect("js");
    assert!(init.contains("/openapi.json"), "docs UI does not point at /openapi.json");
    assert!(!html.contains("https://") && !init.contains("https://unpkg"), "docs load assets from the network");
}

claimdesk_tests::on_both_backends!(the_gateway_serves_the_document_and_offline_docs);
