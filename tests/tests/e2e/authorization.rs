//! Who may do what: every REST route and every RPC, for every role, no token, an expired token
//! and a revoked token. Core decides; the gateway only forwards the credentials.

use std::{future::Future, pin::Pin, time::Duration};

use claimdesk_proto::v1::{
    self as pb, claim_service_client::ClaimServiceClient, source_service_client::SourceServiceClient,
    token_service_client::TokenServiceClient, webhook_service_client::WebhookServiceClient,
};
use claimdesk_tests::{ADMIN_TOKEN, AuthedChannel, Backend, Options, TestApp, client_with_token, problem};
use reqwest::Method;
use serde_json::{Value, json};
use tonic::Code;

/// The callers of the matrix: `rank` is the role's rank, `None` for callers with no valid token.
struct Caller {
    label: &'static str,
    token: String,
    rank: Option<u8>,
}

const VIEWER: u8 = 1;
const REPORTER: u8 = 2;
const EDITOR: u8 = 3;
const ADMIN: u8 = 4;
/// An id no resource has.
const NO_ID: &str = "01964b6e-7a4f-7c3e-9d2a-5b8c1e0f3a47";

async fn token(app: &TestApp, name: &str, role: &str, expires_at: Option<String>) -> (String, String) {
    let body = json!({"name": name, "role": role, "expires_at": expires_at});
    let response = app.post_json("/v1/tokens", &body).await;
    assert_eq!(response.status(), 201, "creating token {name}");
    assert_eq!(response.headers()["cache-control"], "no-store");
    let created: Value = response.json().await.expect("json");
    (created["token"]["id"].as_str().expect("id").to_owned(), created["secret"].as_str().expect("secret").to_owned())
}

async fn callers(app: &TestApp) -> Vec<Caller> {
    let soon = (chrono::Utc::now() + chrono::Duration::milliseconds(800)).to_rfc3339();
    let (_, expired) = token(app, "expired", "admin", Some(soon)).await;
    let (revoked_id, revoked) = token(app, "revoked", "admin", None).await;
    let response = app.http.delete(app.url(&format!("/v1/tokens/{revoked_id}"))).send().await.expect("sent");
    assert_eq!(response.status(), 200);
    let mut callers = vec![
        Caller { label: "no token", token: String::new(), rank: None },
        Caller { label: "malformed", token: "not a token at all".into(), rank: None },
        Caller { label: "unknown", token: "cdk_unknown_unknown_unknown_unknown_unknown".into(), rank: None },
        Caller { label: "revoked", token: revoked, rank: None },
    ];
    for (role, rank) in [("viewer", VIEWER), ("reporter", REPORTER), ("editor", EDITOR)] {
        callers.push(Caller { label: role, token: token(app, role, role, None).await.1, rank: Some(rank) });
    }
    callers.push(Caller { label: "admin", token: ADMIN_TOKEN.into(), rank: Some(ADMIN) });
    tokio::time::sleep(Duration::from_millis(900)).await;
    callers.push(Caller { label: "expired", token: expired, rank: None });
    callers
}

struct Fixtures {
    claim: String,
    source: String,
    attribution: String,
}

async fn fixtures(app: &TestApp) -> Fixtures {
    let source = app.source(json!({"name": "TASS", "kind": "news_agency"})).await;
    let claim = app.claim(json!({"text": "Nous sommes en contact", "language": "fr"})).await;
    let etag = claim["etag"].as_str().expect("etag").to_owned();
    let claim = claim["id"].as_str().expect("id").to_owned();
    app.attribute(&claim, &etag, json!({"speaker_id": source, "stance": "context"})).await;
    let list = app.json(&format!("/v1/claims/{claim}/attributions")).await;
    let attribution = list["attributions"][0]["id"].as_str().expect("id").to_owned();
    Fixtures { claim, source, attribution }
}

async fn every_rest_route_for_every_caller(app: TestApp) {
    let f = fixtures(&app).await;
    let callers = callers(&app).await;
    let (c, s, a) = (&f.claim, &f.source, &f.attribution);
    let claim_body = json!({"text": "x", "language": "fr"});
    let attribution_body = json!({"speaker_id": s, "stance": "asserts"});
    let routes: Vec<(Method, String, Option<Value>, u8)> = vec![
        (Method::GET, "/v1/claims".into(), None, VIEWER),
        (Method::POST, "/v1/claims".into(), Some(claim_body), REPORTER),
        (Method::GET, format!("/v1/claims/{c}"), None, VIEWER),
        (Method::PATCH, format!("/v1/claims/{c}"), Some(json!({"context": "x"})), EDITOR),
        (Method::POST, format!("/v1/claims/{c}/status"), Some(json!({"status": "in_review"})), EDITOR),
        (Method::GET, format!("/v1/claims/{c}/attributions"), None, VIEWER),
        (Method::POST, format!("/v1/claims/{c}/attributions"), Some(attribution_body.clone()), REPORTER),
        (Method::PUT, format!("/v1/claims/{c}/attributions/{a}"), Some(attribution_body), EDITOR),
        (Method::DELETE, format!("/v1/claims/{c}/attributions/{a}"), None, EDITOR),
        (Method::GET, format!("/v1/claims/{c}/sourcing"), None, VIEWER),
        (Method::GET, format!("/v1/claims/{c}/history"), None, VIEWER),
        (Method::GET, format!("/v1/claims/{c}/claimreview"), None, VIEWER),
        (Method::GET, "/v1/claimreview".to_owned(), None, VIEWER),
        (
            Method::POST,
            "/v1/import/claimreview".to_owned(),
            Some(
                json!({"@type": "ClaimReview", "claimReviewed": "Une affirmation", "inLanguage": "fr", "author": {"name": "AFP"}}),
            ),
            EDITOR,
        ),
        (
            Method::POST,
            "/v1/extract".to_owned(),
            Some(json!({"text": "Selon l'AFP, le port a été bombardé dimanche.", "language": "fr"})),
            VIEWER,
        ),
        (
            Method::POST,
            "/v1/extract/accept".to_owned(),
            Some(json!({"language": "fr", "candidates": [{
                "claim": "Le port a été bombardé.",
                "attributions": [{"speaker": {"name": "AFP", "kind": "news_agency"}, "stance": "asserts"}]
            }]})),
            REPORTER,
        ),
        (Method::GET, "/v1/sources".into(), None, VIEWER),
        (Method::POST, "/v1/sources".into(), Some(json!({"name": "AFP", "kind": "news_agency"})), REPORTER),
        (Method::GET, format!("/v1/sources/{s}"), None, VIEWER),
        (Method::GET, format!("/v1/sources/{s}/statements"), None, VIEWER),
        (Method::PATCH, format!("/v1/sources/{s}"), Some(json!({"notes": "x"})), EDITOR),
        (Method::GET, "/v1/tokens".into(), None, ADMIN),
        (Method::POST, "/v1/tokens".into(), Some(json!({"name": "t", "role": "viewer"})), ADMIN),
        (Method::DELETE, "/v1/tokens/01964b6e-7a4f-7c3e-9d2a-5b8c1e0f3a47".into(), None, ADMIN),
        (Method::GET, "/v1/webhooks".into(), None, ADMIN),
        (Method::POST, "/v1/webhooks".into(), Some(json!({"url": "http://127.0.0.1:9/hook"})), ADMIN),
        (Method::GET, format!("/v1/webhooks/{NO_ID}"), None, ADMIN),
        (Method::DELETE, format!("/v1/webhooks/{NO_ID}"), None, ADMIN),
        (Method::POST, format!("/v1/webhooks/{NO_ID}/enable"), None, ADMIN),
        (Method::POST, format!("/v1/webhooks/{NO_ID}/disable"), None, ADMIN),
        (Method::GET, format!("/v1/webhooks/{NO_ID}/deliveries"), None, ADMIN),
    ];
    for caller in &callers {
        let http = client_with_token((!caller.token.is_empty()).then_some(caller.token.as_str()));
        for (method, path, body, needed) in &routes {
            let mut request = http.request(method.clone(), app.url(path)).header("if-match", "\"1\"");
            if let Some(body) = body {
                request = request.json(body);
            }
            let response = request.send().await.expect("sent");
            let status = response.status().as_u16();
            let cell = format!("{} {method} {path}", caller.label);
            match caller.rank {
                None => {
                    assert_eq!(status, 401, "{cell}");
                    assert_eq!(response.headers()["www-authenticate"], "Bearer realm=\"claimdesk\"", "{cell}");
                    let body = problem(response, 401).await;
                    assert_eq!(body["detail"], "a valid bearer token is required", "{cell}: one answer for all");
                }
                Some(rank) if rank < *needed => {
                    assert_eq!(problem(response, 403).await["code"], "permission_denied", "{cell}")
                }
                Some(_) => assert!(status != 401 && status != 403, "{cell}: {status}"),
            }
        }
    }
    // Probes and docs never need a token.
    let anonymous = client_with_token(None);
    for path in ["/healthz", "/readyz", "/openapi.json", "/docs/"] {
        assert_eq!(anonymous.get(app.url(path)).send().await.expect("sent").status(), 200, "{path}");
    }
}

type Call = Box<dyn Fn(AuthedChannel) -> Pin<Box<dyn Future<Output = Result<(), tonic::Status>> + Send>> + Send + Sync>;

fn rpc<F, Fut>(f: F) -> Call
where
    F: Fn(AuthedChannel) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), tonic::Status>> + Send + 'static,
{
    Box::new(move |channel| Box::pin(f(channel)))
}

async fn every_rpc_for_every_caller(app: TestApp) {
    let f = fixtures(&app).await;
    let callers = callers(&app).await;
    let (c, s, a) = (f.claim.clone(), f.source.clone(), f.attribution.clone());
    let attribution =
        pb::AttributionFields { speaker_id: s.clone(), stance: pb::Stance::Asserts.into(), ..Default::default() };
    let calls: Vec<(&str, u8, Call)> = vec![
        (
            "CreateClaim",
            REPORTER,
            rpc(|ch| async move {
                ClaimServiceClient::new(ch)
                    .create_claim(pb::CreateClaimRequest {
                        text: "x".into(),
                        language: "fr".into(),
                        ..Default::default()
                    })
                    .await
                    .map(drop)
            }),
        ),
        ("GetClaim", VIEWER, {
            let c = c.clone();
            rpc(move |ch| {
                let id = c.clone();
                async move { ClaimServiceClient::new(ch).get_claim(pb::GetClaimRequest { id }).await.map(drop) }
            })
        }),
        (
            "ListClaims",
            VIEWER,
            rpc(|ch| async move {
                ClaimServiceClient::new(ch).list_claims(pb::ListClaimsRequest::default()).await.map(drop)
            }),
        ),
        ("UpdateClaim", EDITOR, {
            let c = c.clone();
            rpc(move |ch| {
                let id = c.clone();
                async move {
                    ClaimServiceClient::new(ch)
                        .update_claim(pb::UpdateClaimRequest {
                            id,
                            expected_version: 1,
                            claim: None,
                            update_mask: None,
                            etag: String::new(),
                        })
                        .await
                        .map(drop)
                }
            })
        }),
        ("SetStatus", EDITOR, {
            let c = c.clone();
            rpc(move |ch| {
                let claim_id = c.clone();
                async move {
                    ClaimServiceClient::new(ch)
                        .set_status(pb::SetStatusRequest {
                            claim_id,
                            expected_version: 1,
                            status: 2,
                            note: None,
                            etag: String::new(),
                        })
                        .await
                        .map(drop)
                }
            })
        }),
        ("AddAttribution", REPORTER, {
            let (c, at) = (c.clone(), attribution.clone());
            rpc(move |ch| {
                let (claim_id, at) = (c.clone(), at.clone());
                async move {
                    ClaimServiceClient::new(ch)
                        .add_attribution(pb::AddAttributionRequest {
                            claim_id,
                            expected_version: 1,
                            attribution: Some(at),
                            etag: String::new(),
                        })
                        .await
                        .map(drop)
                }
            })
        }),
        ("UpdateAttribution", EDITOR, {
            let (c, a, at) = (c.clone(), a.clone(), attribution.clone());
            rpc(move |ch| {
                let (claim_id, attribution_id, at) = (c.clone(), a.clone(), at.clone());
                async move {
                    ClaimServiceClient::new(ch)
                        .update_attribution(pb::UpdateAttributionRequest {
                            claim_id,
                            attribution_id,
                            expected_version: 1,
                            attribution: Some(at),
                            etag: String::new(),
                        })
                        .await
                        .map(drop)
                }
            })
        }),
        ("RemoveAttribution", EDITOR, {
            let (c, a) = (c.clone(), a.clone());
            rpc(move |ch| {
                let (claim_id, attribution_id) = (c.clone(), a.clone());
                async move {
                    ClaimServiceClient::new(ch)
                        .remove_attribution(pb::RemoveAttributionRequest {
                            claim_id,
                            attribution_id,
                            expected_version: 1,
                            etag: String::new(),
                        })
                        .await
                        .map(drop)
                }
            })
        }),
        ("ListAttributions", VIEWER, {
            let c = c.clone();
            rpc(move |ch| {
                let claim_id = c.clone();
                async move {
                    ClaimServiceClient::new(ch)
                        .list_attributions(pb::ListAttributionsRequest { claim_id, page_size: None, page_token: None })
                        .await
                        .map(drop)
                }
            })
        }),
        ("GetAttribution", VIEWER, {
            let c = c.clone();
            rpc(move |ch| {
                let claim_id = c.clone();
                async move {
                    let attribution_id = "01964b6e-7a4f-7c3e-9d2a-5b8c1e0f3a47".to_owned();
                    let answer = ClaimServiceClient::new(ch)
                        .get_attribution(pb::GetAttributionRequest { claim_id, attribution_id })
                        .await;
                    // Allowed callers reach the lookup, which finds nothing.
                    match answer {
                        Err(status) if status.code() == tonic::Code::NotFound => Ok(()),
                        other => other.map(drop),
                    }
                }
            })
        }),
        ("GetSourcing", VIEWER, {
            let c = c.clone();
            rpc(move |ch| {
                let claim_id = c.clone();
                async move { ClaimServiceClient::new(ch).get_sourcing(pb::GetSourcingRequest { claim_id }).await.map(drop) }
            })
        }),
        ("GetClaimReview", VIEWER, {
            let c = c.clone();
            rpc(move |ch| {
                let claim_id = c.clone();
                async move {
                    ClaimServiceClient::new(ch).get_claim_review(pb::GetClaimReviewRequest { claim_id }).await.map(drop)
                }
            })
        }),
        ("ListClaimReviews", VIEWER, {
            rpc(move |ch| async move {
                ClaimServiceClient::new(ch).list_claim_reviews(pb::ListClaimReviewsRequest::default()).await.map(drop)
            })
        }),
        ("ImportClaimReviews", EDITOR, {
            rpc(move |ch| async move {
                let document = br#"{"@type": "ClaimReview", "claimReviewed": "Une affirmation", "inLanguage": "fr", "author": {"name": "AFP"}}"#;
                ClaimServiceClient::new(ch)
                    .import_claim_reviews(pb::ImportClaimReviewsRequest {
                        document: document.to_vec(),
                        content_type: String::new(),
                    })
                    .await
                    .map(drop)
            })
        }),
        ("ExtractClaims", VIEWER, {
            rpc(move |ch| async move {
                ClaimServiceClient::new(ch)
                    .extract_claims(pb::ExtractClaimsRequest {
                        text: "According to Reuters, the port was bombed on Sunday.".into(),
                        language: Some("en".into()),
                        ..Default::default()
                    })
                    .await
                    .map(drop)
            })
        }),
        ("AcceptExtraction", REPORTER, {
            rpc(move |ch| async move {
                let speaker = pb::ExtractedParty {
                    name: "Reuters".into(),
                    kind: pb::SourceKind::NewsAgency.into(),
                    source_id: None,
                };
                let candidate = pb::ExtractedClaim {
                    claim: "The port was bombed.".into(),
                    attributions: vec![pb::ExtractedAttribution {
                        speaker: Some(speaker),
                        stance: pb::Stance::Asserts.into(),
                        ..Default::default()
                    }],
                    ..Default::default()
                };
                ClaimServiceClient::new(ch)
                    .accept_extraction(pb::AcceptExtractionRequest {
                        language: "en".into(),
                        candidates: vec![candidate],
                        ..Default::default()
                    })
                    .await
                    .map(drop)
            })
        }),
        ("ImportClaims", ADMIN, {
            rpc(move |ch| async move {
                let line =
                    pb::ImportLine { number: 1, json: br#"{"text": "Une affirmation", "language": "fr"}"#.to_vec() };
                let messages = vec![pb::ImportClaimsRequest { lines: vec![line] }];
                ClaimServiceClient::new(ch).import_claims(tokio_stream::iter(messages)).await.map(drop)
            })
        }),
        ("GetHistory", VIEWER, {
            let c = c.clone();
            rpc(move |ch| {
                let claim_id = c.clone();
                async move {
                    ClaimServiceClient::new(ch)
                        .get_history(pb::GetHistoryRequest { claim_id, ..Default::default() })
                        .await
                        .map(drop)
                }
            })
        }),
        (
            "CreateSource",
            REPORTER,
            rpc(|ch| async move {
                SourceServiceClient::new(ch)
                    .create_source(pb::CreateSourceRequest {
                        source: Some(pb::SourceFields { name: "AFP".into(), kind: 5, ..Default::default() }),
                        request_id: None,
                    })
                    .await
                    .map(drop)
            }),
        ),
        ("ListSourceStatements", VIEWER, {
            let s = s.clone();
            rpc(move |ch| {
                let source_id = s.clone();
                async move {
                    ClaimServiceClient::new(ch)
                        .list_source_statements(pb::ListSourceStatementsRequest {
                            source_id,
                            page_size: None,
                            page_token: None,
                        })
                        .await
                        .map(drop)
                }
            })
        }),
        ("GetSource", VIEWER, {
            let s = s.clone();
            rpc(move |ch| {
                let id = s.clone();
                async move { SourceServiceClient::new(ch).get_source(pb::GetSourceRequest { id }).await.map(drop) }
            })
        }),
        (
            "ListSources",
            VIEWER,
            rpc(|ch| async move {
                SourceServiceClient::new(ch).list_sources(pb::ListSourcesRequest::default()).await.map(drop)
            }),
        ),
        ("UpdateSource", EDITOR, {
            let s = s.clone();
            rpc(move |ch| {
                let id = s.clone();
                async move {
                    SourceServiceClient::new(ch)
                        .update_source(pb::UpdateSourceRequest {
                            id,
                            expected_version: 1,
                            source: None,
                            update_mask: None,
                        })
                        .await
                        .map(drop)
                }
            })
        }),
        (
            "CreateToken",
            ADMIN,
            rpc(|ch| async move {
                TokenServiceClient::new(ch)
                    .create_token(pb::CreateTokenRequest { name: "t".into(), role: 1, expires_at: None })
                    .await
                    .map(drop)
            }),
        ),
        (
            "ListTokens",
            ADMIN,
            rpc(|ch| async move { TokenServiceClient::new(ch).list_tokens(pb::ListTokensRequest {}).await.map(drop) }),
        ),
        (
            "RevokeToken",
            ADMIN,
            rpc(|ch| async move {
                TokenServiceClient::new(ch)
                    .revoke_token(pb::RevokeTokenRequest { id: "01964b6e-7a4f-7c3e-9d2a-5b8c1e0f3a47".into() })
                    .await
                    .map(drop)
            }),
        ),
        (
            "CreateWebhook",
            ADMIN,
            rpc(|ch| async move {
                let request = pb::CreateWebhookRequest { url: "http://127.0.0.1:9/hook".into(), ..Default::default() };
                WebhookServiceClient::new(ch).create_webhook(request).await.map(drop)
            }),
        ),
        (
            "ListWebhooks",
            ADMIN,
            rpc(
                |ch| async move { WebhookServiceClient::new(ch).list_webhooks(pb::ListWebhooksRequest {}).await.map(drop) },
            ),
        ),
        (
            "GetWebhook",
            ADMIN,
            rpc(|ch| async move {
                WebhookServiceClient::new(ch).get_webhook(pb::GetWebhookRequest { id: NO_ID.into() }).await.map(drop)
            }),
        ),
        (
            "DeleteWebhook",
            ADMIN,
            rpc(|ch| async move {
                WebhookServiceClient::new(ch)
                    .delete_webhook(pb::DeleteWebhookRequest { id: NO_ID.into() })
                    .await
                    .map(drop)
            }),
        ),
        (
            "EnableWebhook",
            ADMIN,
            rpc(|ch| async move {
                let request = pb::EnableWebhookRequest { id: NO_ID.into(), ..Default::default() };
                WebhookServiceClient::new(ch).enable_webhook(request).await.map(drop)
            }),
        ),
        (
            "DisableWebhook",
            ADMIN,
            rpc(|ch| async move {
                WebhookServiceClient::new(ch)
                    .disable_webhook(pb::DisableWebhookRequest { id: NO_ID.into() })
                    .await
                    .map(drop)
            }),
        ),
        (
            "ListDeliveries",
            ADMIN,
            rpc(|ch| async move {
                let request = pb::ListDeliveriesRequest { webhook_id: NO_ID.into(), ..Default::default() };
                WebhookServiceClient::new(ch).list_deliveries(request).await.map(drop)
            }),
        ),
    ];
    for caller in &callers {
        let channel = app.grpc_as(&caller.token).await;
        for (name, needed, call) in &calls {
            let result = call(channel.clone()).await;
            let code = result.err().map(|s| s.code());
            let cell = format!("{} {name}", caller.label);
            match caller.rank {
                None => assert_eq!(code, Some(Code::Unauthenticated), "{cell}"),
                Some(rank) if rank < *needed => assert_eq!(code, Some(Code::PermissionDenied), "{cell}"),
                Some(_) => {
                    assert!(!matches!(code, Some(Code::Unauthenticated | Code::PermissionDenied)), "{cell}: {code:?}")
                }
            }
        }
    }
}

async fn history_records_the_principal_not_the_request(app: TestApp) {
    let (_, reporter) = token(&app, "alice", "reporter", None).await;
    let as_alice = client_with_token(Some(&reporter));
    let claim: Value = as_alice
        .post(app.url("/v1/claims"))
        .json(&json!({"text": "Maduro a demandé l'aide de la Russie", "language": "fr"}))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    let history = app.json(&format!("/v1/claims/{}/history", claim["id"].as_str().expect("id"))).await;
    assert_eq!(history["events"][0]["actor"], "alice (reporter)");
    // The listing never shows secrets.
    let tokens = app.json("/v1/tokens").await.to_string();
    assert!(!tokens.contains(&reporter) && !tokens.contains(&reporter[4..]), "a secret leaked into the listing");
    assert!(tokens.contains("alice"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_read_opens_claims_and_sourcing_only() {
    let app = TestApp::start_with(Backend::Sqlite, Options { public_read: true, ..Options::default() }).await;
    let claim = app.claim(json!({"text": "x", "language": "fr"})).await;
    let id = claim["id"].as_str().expect("id");
    let anonymous = client_with_token(None);
    for path in ["/v1/claims".to_owned(), format!("/v1/claims/{id}"), format!("/v1/claims/{id}/sourcing")] {
        assert_eq!(anonymous.get(app.url(&path)).send().await.expect("sent").status(), 200, "{path}");
    }
    for path in [format!("/v1/claims/{id}/history"), format!("/v1/claims/{id}/attributions"), "/v1/sources".to_owned()]
    {
        assert_eq!(anonymous.get(app.url(&path)).send().await.expect("sent").status(), 401, "{path}");
    }
    let write = anonymous.post(app.url("/v1/claims")).json(&json!({"text": "x", "language": "fr"})).send().await;
    assert_eq!(write.expect("sent").status(), 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_over_its_rate_is_told_when_to_come_back() {
    let app = TestApp::start_with(Backend::Sqlite, Options { rate_limit_per_minute: 5, ..Options::default() }).await;
    for _ in 0..5 {
        assert_eq!(app.get("/v1/claims").await.status(), 200);
    }
    let limited = app.get("/v1/claims").await;
    let retry_after: u64 = limited.headers()["retry-after"].to_str().expect("ascii").parse().expect("seconds");
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    assert_eq!(problem(limited, 429).await["code"], "rate_limited");
    let status = app.grpc().await.list_claims(pb::ListClaimsRequest::default()).await.expect_err("limited");
    assert_eq!(status.code(), Code::ResourceExhausted);
}

/// Revoking the last usable admin token would lock everyone out of token management: refused,
/// even when two admins revoke each other at the same moment.
async fn the_last_admin_token_cannot_be_revoked(app: TestApp) {
    let tokens = app.json("/v1/tokens").await;
    let bootstrap = tokens["tokens"][0]["id"].as_str().expect("the bootstrap token").to_owned();
    let refused = app.http.delete(app.url(&format!("/v1/tokens/{bootstrap}"))).send().await.expect("sent");
    let refused = claimdesk_tests::problem(refused, 409).await;
    assert_eq!(refused["code"], "last_admin_token", "{refused}");

    let (second, second_secret) = token(&app, "second admin", "admin", None).await;
    let (third, third_secret) = token(&app, "third admin", "admin", None).await;
    let revoked = app.http.delete(app.url(&format!("/v1/tokens/{bootstrap}"))).send().await.expect("sent");
    assert_eq!(revoked.status(), 200, "another admin token is left");
    // The last two admins revoke each other at once: one of them must stay.
    let as_second = client_with_token(Some(&second_secret));
    let as_third = client_with_token(Some(&third_secret));
    let (a, b) = tokio::join!(
        as_second.delete(app.url(&format!("/v1/tokens/{third}"))).send(),
        as_third.delete(app.url(&format!("/v1/tokens/{second}"))).send(),
    );
    let mut statuses = [a.expect("sent").status().as_u16(), b.expect("sent").status().as_u16()];
    statuses.sort_unstable();
    assert!(statuses == [200, 409] || statuses == [200, 401], "exactly one revocation lands: {statuses:?}");
    let left = [as_second.get(app.url("/v1/tokens")).send(), as_third.get(app.url("/v1/tokens")).send()];
    let [l, r] = left;
    let (l, r) = tokio::join!(l, r);
    let usable = [l.expect("sent").status(), r.expect("sent").status()].iter().filter(|s| s.as_u16() == 200).count();
    assert_eq!(usable, 1, "one admin token is left usable");
}

/// A flood of made-up tokens: each costs a database query only until the client's quota of
/// lookups is spent, then 429 without one; a repeated bad token is remembered; a valid token
/// keeps working throughout.
async fn a_flood_of_unknown_tokens_is_refused_without_reaching_the_database(app: TestApp) {
    // A valid token not cached yet, used by many requests at once: none of them is held up.
    let (_, fresh) = token(&app, "busy tool", "viewer", None).await;
    let busy = client_with_token(Some(&fresh));
    let reads = (0..100).map(|_| busy.get(app.url("/v1/claims")).send());
    for response in futures_util::future::join_all(reads).await {
        assert_eq!(response.expect("sent").status(), 200, "a valid token is never refused for others' failures");
    }
    let same = client_with_token(Some("cdk_this-token-does-not-exist-0123456789abcdef"));
    for _ in 0..80 {
        let response = same.get(app.url("/v1/claims")).send().await.expect("sent");
        assert_eq!(response.status(), 401, "a known bad token is refused, and costs no lookup quota");
    }
    let mut statuses = std::collections::BTreeMap::new();
    for i in 0..90 {
        let random = client_with_token(Some(&format!("cdk_random-{i:04}-0123456789abcdefghijklmnopqrstuv")));
        let response = random.get(app.url("/v1/claims")).send().await.expect("sent");
        let status = response.status().as_u16();
        if status == 429 {
            assert!(response.headers().contains_key("retry-after"));
            assert_eq!(problem(response, 429).await["code"], "rate_limited");
        }
        *statuses.entry(status).or_insert(0) += 1;
        if i % 10 == 0 {
            assert_eq!(app.get("/v1/claims").await.status(), 200, "the valid token is unaffected");
        }
    }
    // 60 failed lookups a minute from this client: one spent on the repeated bad token, 59 on
    // the first random ones; valid tokens never count.
    assert_eq!(statuses.get(&401), Some(&59), "{statuses:?}");
    assert_eq!(statuses.get(&429), Some(&31), "{statuses:?}");
}

claimdesk_tests::on_both_backends!(
    a_flood_of_unknown_tokens_is_refused_without_reaching_the_database,
    the_last_admin_token_cannot_be_revoked,
    every_rest_route_for_every_caller,
    every_rpc_for_every_caller,
    history_records_the_principal_not_the_request
);
