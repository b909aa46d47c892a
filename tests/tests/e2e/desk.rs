//! The desk's pages over plain HTTP: signing in, the session cookie, CSRF, escaping, the
//! security headers, conflicts, languages. (The browser walk-through, with axe-core, is
//! `.ci/web/desk.py`.)

use claimdesk_proto::v1 as pb;
use claimdesk_tests::{ADMIN_TOKEN, TestApp};
use reqwest::{StatusCode, header};
use serde_json::json;

/// A browser without redirects followed, carrying the cookies it was given by hand.
struct Browser {
    http: reqwest::Client,
    base: String,
    cookies: Vec<(String, String)>,
}

impl Browser {
    fn new(app: &TestApp) -> Browser {
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
        Browser { http, base: app.base_url.clone(), cookies: Vec::new() }
    }

    fn cookie_header(&self) -> String {
        self.cookies.iter().map(|(n, v)| format!("{n}={v}")).collect::<Vec<_>>().join("; ")
    }

    /// Keeps the cookies an answer sets (and drops those it expires).
    fn take_cookies(&mut self, response: &reqwest::Response) {
        for set in response.headers().get_all(header::SET_COOKIE) {
            let set = set.to_str().expect("cookie");
            let (pair, _) = set.split_once(';').unwrap_or((set, ""));
            let (name, value) = pair.split_once('=').expect("name=value");
            self.cookies.retain(|(n, _)| n != name);
            if !value.is_empty() && !set.contains("Max-Age=0") {
                self.cookies.push((name.to_owned(), value.to_owned()));
            }
        }
    }

    async fn get(&mut self, path: &str) -> reqwest::Response {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .header(header::COOKIE, self.cookie_header())
            .send()
            .await
            .expect("GET");
        self.take_cookies(&response);
        response
    }

    async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .header(header::COOKIE, self.cookie_header())
            .form(form)
            .send()
            .await
            .expect("POST");
        self.take_cookies(&response);
        response
    }

    async fn page(&mut self, path: &str) -> String {
        let response = self.get(path).await;
        assert_eq!(response.status(), StatusCode::OK, "GET {path}");
        response.text().await.expect("body")
    }

    /// Signs in with the sign-in form; answers the CSRF token of the session's forms.
    async fn sign_in(&mut self, token: &str) -> String {
        self.get("/sign-in").await;
        let nonce = self.cookie("claimdesk_login").expect("sign-in form cookie");
        let response = self.post("/sign-in", &[("csrf", &nonce), ("token", token), ("next", "/")]).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(response.headers()[header::LOCATION], "/");
        let body = self.page("/").await;
        hidden(&body, "csrf").expect("csrf field")
    }

    fn cookie(&self, name: &str) -> Option<String> {
        self.cookies.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone())
    }
}

/// The value of the first hidden field with this name.
fn hidden(html: &str, name: &str) -> Option<String> {
    let at = html.find(&format!("name=\"{name}\" value=\""))?;
    let rest = &html[at + name.len() + 15..];
    Some(rest[..rest.find('"')?].to_owned())
}

async fn signed_out_visitors_get_the_sign_in_page_and_a_token_signs_in(app: TestApp) {
    let mut browser = Browser::new(&app);
    let response = browser.get("/").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()[header::LOCATION], "/sign-in?next=%2F");

    let response = browser.get("/sign-in").await;
    assert_eq!(response.status(), StatusCode::OK);
    let csp = response.headers()[header::CONTENT_SECURITY_POLICY].to_str().expect("csp").to_owned();
    assert!(csp.contains("default-src 'none'") && !csp.contains("unsafe-inline") && !csp.contains("script-src"));
    assert_eq!(response.headers()[header::X_FRAME_OPTIONS], "DENY");
    let body = response.text().await.expect("body");
    assert!(body.contains("<h1>Sign in</h1>") && !body.contains("<script"), "{body}");
    let nonce = browser.cookie("claimdesk_login").expect("double-submit cookie");

    // Another form's token, no token, a bad token: refused, no session.
    let forged =
        browser.post("/sign-in", &[("csrf", "0123456789abcdef0123456789abcdef"), ("token", ADMIN_TOKEN)]).await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let wrong = browser.post("/sign-in", &[("csrf", &nonce), ("token", "cdk_nobody-0123456789abcdef")]).await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.headers()[header::WWW_AUTHENTICATE], "Bearer realm=\"claimdesk\"");
    assert!(wrong.text().await.expect("body").contains("not valid"));
    assert_eq!(browser.cookie("claimdesk_session"), None);

    // The good token: a session cookie the page's scripts could not read, then home.
    let response =
        browser.post("/sign-in", &[("csrf", &nonce), ("token", ADMIN_TOKEN), ("next", "/\t/evil.example")]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()[header::LOCATION], "/", "never to another host");
    let set: Vec<_> = response.headers().get_all(header::SET_COOKIE).iter().filter_map(|v| v.to_str().ok()).collect();
    let session = set.iter().find(|c| c.starts_with("claimdesk_session=")).expect("session cookie");
    assert!(session.contains("HttpOnly") && session.contains("SameSite=Strict") && session.contains("Path=/"));
    let home = browser.page("/").await;
    assert!(home.contains("<h1>Claims</h1>") && home.contains("bootstrap"), "{home}");

    // Signing out needs the form's token, and ends the session.
    let csrf = hidden(&home, "csrf").expect("csrf");
    assert_eq!(browser.post("/sign-out", &[]).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(browser.post("/sign-out", &[("csrf", &csrf)]).await.status(), StatusCode::SEE_OTHER);
    assert_eq!(browser.get("/").await.status(), StatusCode::SEE_OTHER);
}

async fn forms_without_the_csrf_token_are_refused_and_change_nothing(app: TestApp) {
    let claim = app.claim(json!({"text": "Le Kremlin a des contacts avec le Venezuela", "language": "fr"})).await;
    let id = claim["id"].as_str().expect("id");
    let mut browser = Browser::new(&app);
    let csrf = browser.sign_in(ADMIN_TOKEN).await;
    let path = format!("/claims/{id}/status");
    for form in [
        vec![("version", "1"), ("status", "in_review")],
        vec![("version", "1"), ("status", "in_review"), ("csrf", "00000000000000000000000000000000")],
    ] {
        let response = browser.post(&path, &form).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        assert!(response.text().await.expect("body").contains("did not come from this desk"));
    }
    let stored = app.json(&format!("/v1/claims/{id}")).await;
    assert_eq!((stored["status"].as_str(), stored["version"].as_i64()), (Some("unverified"), Some(1)));

    // Another session's token does not do either.
    let mut other = Browser::new(&app);
    let reporter = app
        .post_json("/v1/tokens", &json!({"name": "second desk", "role": "editor"}))
        .await
        .json::<serde_json::Value>()
        .await
        .expect("token");
    let other_csrf = other.sign_in(reporter["secret"].as_str().expect("secret")).await;
    assert_ne!(other_csrf, csrf);
    let response = browser.post(&path, &[("version", "1"), ("status", "in_review"), ("csrf", &other_csrf)]).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);

    let response = browser.post(&path, &[("version", "1"), ("status", "in_review"), ("csrf", &csrf)]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.json(&format!("/v1/claims/{id}")).await["status"], "in_review");
}

async fn stored_text_is_shown_as_text(app: TestApp) {
    let evil = "<script>alert(1)</script> & \"quotes\" <img src=x onerror=alert(2)>";
    let claim =
        app.claim(json!({"text": evil, "language": "en", "claimant": "<b>Bold</b> Org", "tags": ["<i>x</i>"]})).await;
    let id = claim["id"].as_str().expect("id");
    let mut browser = Browser::new(&app);
    browser.sign_in(ADMIN_TOKEN).await;
    for path in [format!("/claims/{id}"), "/".to_owned(), "/?q=alert".to_owned()] {
        let body = browser.page(&path).await;
        assert!(!body.contains("<script") && !body.contains("<img") && !body.contains("<b>Bold"), "{path}: {body}");
        assert!(body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "{path}");
    }
}

async fn a_stale_page_shows_what_changed_and_keeps_what_was_typed(app: TestApp) {
    let claim = app.claim(json!({"text": "Maduro a demandé l'aide de la Russie", "language": "fr"})).await;
    let id = claim["id"].as_str().expect("id");
    let mut browser = Browser::new(&app);
    let csrf = browser.sign_in(ADMIN_TOKEN).await;
    // Someone else adds a statement: version 2.
    let post = app.source(json!({"name": "The Washington Post", "kind": "news_outlet"})).await;
    app.attribute(id, claim["etag"].as_str().expect("etag"), json!({"speaker_id": post, "stance": "asserts"})).await;
    // The page still says version 1.
    let response = browser
        .post(
            &format!("/claims/{id}/status"),
            &[("csrf", &csrf), ("version", "1"), ("status", "in_review"), ("note", "Mon analyse <em>prudente</em>")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::PRECONDITION_FAILED);
    let body = response.text().await.expect("body");
    assert!(body.contains("id=\"conflict\"") && body.contains("version 1 became 2"), "{body}");
    assert!(body.contains("The Washington Post"), "the change names the party: {body}");
    assert!(body.contains("Mon analyse &lt;em&gt;prudente&lt;/em&gt;</textarea>"), "typed note kept: {body}");
    assert_eq!(hidden(&body, "version").as_deref(), Some("2"), "the form now carries the current version");
    assert!(
        body.contains(&format!("back=%2Fclaims%2F{id}\"")),
        "the language switch goes back to a page, not the form's address"
    );
    assert_eq!(app.json(&format!("/v1/claims/{id}")).await["status"], "unverified");
}

async fn pages_speak_the_browsers_language_or_the_chosen_one(app: TestApp) {
    let mut browser = Browser::new(&app);
    let french = browser
        .http
        .get(format!("{}/sign-in", browser.base))
        .header(header::ACCEPT_LANGUAGE, "fr-CA,fr;q=0.9,en;q=0.5")
        .send()
        .await
        .expect("GET");
    assert_eq!(french.headers()[header::CONTENT_LANGUAGE], "fr");
    let body = french.text().await.expect("body");
    assert!(body.contains("<html lang=\"fr\">") && body.contains("<h1>Connexion</h1>"), "{body}");
    // The switch keeps the choice and goes back, never off-site.
    let response = browser.get("/language?lang=fr&back=%2Fsign-in").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()[header::LOCATION], "/sign-in");
    assert!(browser.page("/sign-in").await.contains("<h1>Connexion</h1>"));
    for back in ["https%3A%2F%2Fevil.example", "%2F%09%2Fevil.example", "%2F%5Cevil.example", "%2F%2Fevil.example"] {
        let response = browser.get(&format!("/language?lang=en&back={back}")).await;
        assert_eq!(response.headers()[header::LOCATION], "/", "{back}");
    }
    assert!(browser.page("/sign-in").await.contains("<h1>Sign in</h1>"));
    assert_eq!(browser.get("/language?lang=de").await.status(), StatusCode::BAD_REQUEST);
}

async fn a_viewer_reads_and_core_refuses_their_edits(app: TestApp) {
    let claim = app.claim(json!({"text": "Peskov a parlé à TASS", "language": "fr"})).await;
    let id = claim["id"].as_str().expect("id");
    let viewer = app
        .post_json("/v1/tokens", &json!({"name": "reader", "role": "viewer"}))
        .await
        .json::<serde_json::Value>()
        .await
        .expect("token");
    let mut browser = Browser::new(&app);
    let csrf = browser.sign_in(viewer["secret"].as_str().expect("secret")).await;
    let body = browser.page(&format!("/claims/{id}")).await;
    assert!(
        body.contains("Peskov a parlé à TASS")
            && !body.contains("id=\"new-status\"")
            && !body.contains("id=\"speaker\"")
    );
    let response = browser
        .post(&format!("/claims/{id}/status"), &[("csrf", &csrf), ("version", "1"), ("status", "false"), ("note", "x")])
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.json(&format!("/v1/claims/{id}")).await["status"], "unverified");
}

async fn statements_are_added_and_edited_by_name(app: TestApp) {
    let claim = app.claim(json!({"text": "Maduro a demandé l'aide de la Russie", "language": "fr"})).await;
    let id = claim["id"].as_str().expect("id");
    let post = app.source(json!({"name": "The Washington Post", "kind": "news_outlet", "aliases": ["WaPo"]})).await;
    let mut browser = Browser::new(&app);
    let csrf = browser.sign_in(ADMIN_TOKEN).await;
    // The speaker by an alias, a relay new to the desk: found, and created.
    let response = browser
        .post(
            &format!("/claims/{id}/attributions"),
            &[
                ("csrf", &csrf),
                ("version", "1"),
                ("speaker", "wapo"),
                ("speaker_kind", "person"),
                ("stance", "asserts"),
                ("relays", "Agence France-Presse"),
                ("relay_kind", "news_agency"),
                ("quote", ""),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let listed = app.json(&format!("/v1/claims/{id}/attributions")).await;
    let stored = &listed["attributions"][0];
    assert_eq!(stored["speaker_id"], post.as_str(), "the alias found the stored source");
    let afp = stored["relay_ids"][0].as_str().expect("relay").to_owned();
    assert_eq!(app.json(&format!("/v1/sources/{afp}")).await["kind"], "news_agency");
    let attribution = stored["id"].as_str().expect("id");

    // The edit form replaces it; a blank speaker is refused and nothing changes.
    let path = format!("/claims/{id}/attributions/{attribution}");
    let refused =
        browser.post(&path, &[("csrf", &csrf), ("version", "2"), ("speaker", " "), ("stance", "denies")]).await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    assert!(refused.text().await.expect("body").contains("Name the speaker"));
    let edited = browser
        .post(
            &path,
            &[
                ("csrf", &csrf),
                ("version", "2"),
                ("speaker", "The Washington Post"),
                ("stance", "denies"),
                ("relays", "Agence France-Presse"),
                ("quote", "« faux »"),
            ],
        )
        .await;
    assert_eq!(edited.status(), StatusCode::SEE_OTHER);
    let after = app.json(&format!("/v1/claims/{id}/attributions")).await;
    assert_eq!(after["attributions"][0]["stance"], "denies");
    assert_eq!(after["attributions"][0]["quote"], "« faux »");
    assert_eq!(after["attributions"][0]["relay_ids"][0], afp.as_str(), "the relay created once");
    let page = browser.page(&format!("/claims/{id}")).await;
    assert!(page.contains("Statement edited") && page.contains("« faux »"), "{page}");
}

/// One call names every party of a claim's page: ListSources by ids.
async fn sources_are_listed_by_id(app: TestApp) {
    let a = app.source(json!({"name": "Agence France-Presse", "kind": "news_agency"})).await;
    let b = app.source(json!({"name": "Dmitri Peskov", "kind": "person"})).await;
    app.source(json!({"name": "TASS", "kind": "news_agency"})).await;
    let mut sources = pb::source_service_client::SourceServiceClient::new(app.grpc_as(ADMIN_TOKEN).await);
    let unknown = "00000000-0000-7000-8000-000000000000".to_owned();
    let page = sources
        .list_sources(pb::ListSourcesRequest { ids: vec![b.clone(), a.clone(), unknown], ..Default::default() })
        .await
        .expect("listed")
        .into_inner();
    let names: Vec<_> = page.sources.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["Agence France-Presse", "Dmitri Peskov"]);
    for ids in [vec!["not-a-uuid".to_owned()], vec![a.clone(); 101]] {
        let refused =
            sources.list_sources(pb::ListSourcesRequest { ids, ..Default::default() }).await.expect_err("refused");
        assert_eq!(refused.code(), tonic::Code::InvalidArgument, "{refused:?}");
    }
}

claimdesk_tests::on_both_backends!(
    signed_out_visitors_get_the_sign_in_page_and_a_token_signs_in,
    forms_without_the_csrf_token_are_refused_and_change_nothing,
    stored_text_is_shown_as_text,
    a_stale_page_shows_what_changed_and_keeps_what_was_typed,
    pages_speak_the_browsers_language_or_the_chosen_one,
    a_viewer_reads_and_core_refuses_their_edits,
    statements_are_added_and_edited_by_name,
    sources_are_listed_by_id,
);
