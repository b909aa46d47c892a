//! The desk: server-rendered pages for editors at `/`, beside the API at `/v1`.
//!
//! Every page is HTML built with `maud` (which escapes every value it is given) from the same
//! gRPC calls to core as the API, with the signed-in user's token: core decides what each role
//! may see and do, the pages only hide what a role cannot use. Reading works without
//! JavaScript; no page carries a script, and the Content-Security-Policy allows none.
//!
//! - The session is a cookie holding the API token (HttpOnly, SameSite=Strict, Secure over
//!   TLS). Every form carries a CSRF token derived from it (an HMAC), checked before anything
//!   is done; the sign-in form, before there is a session, uses a double-submit cookie.
//! - The language is the visitor's choice (a cookie), else their browser's.

mod claims;
mod extract;
mod i18n;
mod session;
mod sources;

use std::future::{Ready, ready};

use actix_web::{
    FromRequest, HttpRequest, HttpResponse,
    cookie::{Cookie, SameSite},
    dev::Payload,
    http::{StatusCode, header},
    web,
};
use claimdesk_proto::v1 as pb;
use futures_util::future::LocalBoxFuture;
use hmac::{Hmac, Mac};
use maud::{DOCTYPE, Markup, html};
use serde::Serialize;

pub use i18n::Lang;

use crate::{CoreClients, problem::Problem};

/// The session cookie: the API token the visitor signed in with.
const SESSION: &str = "claimdesk_session";

/// Content-Security-Policy of every page: nothing but this origin's stylesheet and forms; no
/// script at all.
const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
                   frame-ancestors 'none'; base-uri 'none'";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(claims::list))
        .route("/sign-in", web::get().to(session::sign_in_page))
        .route("/sign-in", web::post().to(session::sign_in))
        .route("/sign-out", web::post().to(session::sign_out))
        .route("/language", web::get().to(session::language))
        .route("/claims/new", web::get().to(claims::new_claim))
        .route("/claims/new", web::post().to(claims::submit_claim))
        .route("/claims/{id}", web::get().to(claims::show))
        .route("/claims/{id}/status", web::post().to(claims::set_status))
        .route("/claims/{id}/attributions", web::post().to(claims::add_attribution))
        .route("/claims/{id}/attributions/{attribution_id}", web::post().to(claims::edit_attribution))
        .route("/claims/{id}/merge", web::post().to(claims::merge))
        .route("/extract", web::get().to(extract::paste))
        .route("/extract", web::post().to(extract::read))
        .route("/extract/accept", web::post().to(extract::accept))
        .route("/sources", web::get().to(sources::list))
        .route("/sources/{id}", web::get().to(sources::show))
        .route("/assets/desk.css", web::get().to(stylesheet));
}

/// `GET /assets/desk.css`: the desk's only asset, built in.
async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(include_str!("../../web/desk.css"))
}

/// Who is signed in, as core knows them.
#[derive(Debug, Clone)]
pub struct Caller {
    pub name: String,
    pub role: pb::Role,
}

impl Caller {
    /// The caller's role is at least `role` (viewer < reporter < editor < admin).
    pub fn can(&self, role: pb::Role) -> bool {
        self.role as i32 >= role as i32
    }
}

/// What every page knows of its request: the visitor's language, their session token if any,
/// and the CSRF token their forms carry.
#[derive(Debug, Clone)]
pub struct Desk {
    pub lang: Lang,
    token: Option<String>,
    csrf: String,
    secure: bool,
    /// The path and query asked for (where to come back after signing in).
    here: String,
}

impl FromRequest for Desk {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Desk::of(req)))
    }
}

/// The signed-in user, as core knows them: a handler taking it runs only for a valid session.
/// Without one, the visitor is sent to the sign-in page (or shown why core could not answer).
pub struct Signed(pub Caller);

impl FromRequest for Signed {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let desk = Desk::of(&req);
            let problem = match req.app_data::<web::Data<CoreClients>>() {
                Some(core) => match desk.caller(&req, core).await {
                    Ok(caller) => return Ok(Signed(caller)),
                    Err(problem) => problem,
                },
                None => Problem::new(StatusCode::SERVICE_UNAVAILABLE, "core_unavailable", "no core configured"),
            };
            Err(actix_web::error::InternalError::from_response("not signed in", desk.answer(None, Err(problem))).into())
        })
    }
}

/// The CSRF token of a session: an HMAC of a fixed label keyed by the session's token, so only
/// a page of this session can hold it, and it needs no server-side state.
fn csrf_for(token: &str) -> String {
    let Ok(mut mac) = Hmac::<sha2::Sha256>::new_from_slice(token.as_bytes()) else { return String::new() };
    mac.update(b"claimdesk desk form");
    mac.finalize().into_bytes().iter().take(16).map(|b| format!("{b:02x}")).collect()
}

/// Equal strings, compared in constant time.
fn same(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    !a.is_empty() && a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

impl Desk {
    fn of(req: &HttpRequest) -> Desk {
        let token = req.cookie(SESSION).map(|c| c.value().to_owned()).filter(|t| session::plausible_token(t));
        let csrf = token.as_deref().map(csrf_for).unwrap_or_default();
        Desk {
            lang: Lang::of(req),
            token,
            csrf,
            secure: req.connection_info().scheme() == "https",
            here: Desk::readable(req),
        }
    }

    /// Where this page can be read again with a GET (the language switch and the sign-in page
    /// come back there): the address itself, or for a form's answer, the page it was posted from.
    fn readable(req: &HttpRequest) -> String {
        let path = req.path();
        if req.method() == actix_web::http::Method::GET {
            return req.uri().path_and_query().map_or(path, |p| p.as_str()).to_owned();
        }
        match path.split('/').collect::<Vec<_>>().as_slice() {
            ["", "claims", id, _, ..] if *id != "new" => format!("/claims/{id}"),
            ["", "extract", ..] => "/extract".to_owned(),
            ["", "claims", "new"] => "/claims/new".to_owned(),
            _ => "/".to_owned(),
        }
    }

    /// A gRPC request to core as the signed-in user.
    pub fn call<T>(&self, req: &HttpRequest, message: T) -> tonic::Request<T> {
        let authorization = self.token.as_ref().map(|token| format!("Bearer {token}"));
        crate::core_client::grpc_as(req, authorization.as_deref().map(str::as_bytes), message)
    }

    /// The signed-in user, asked of core; 401 without a session or with a token core refuses.
    pub async fn caller(&self, req: &HttpRequest, core: &CoreClients) -> Result<Caller, Problem> {
        if self.token.is_none() {
            return Err(Problem::unauthenticated());
        }
        let caller = core.tokens.clone().who_am_i(self.call(req, pb::WhoAmIRequest {})).await?.into_inner();
        if caller.anonymous {
            return Err(Problem::unauthenticated());
        }
        Ok(Caller { role: caller.role(), name: caller.name })
    }

    /// Refuses a form without this session's CSRF token (403), before anything is done.
    pub fn check_csrf(&self, sent: &str) -> Result<(), Problem> {
        if self.token.is_some() && same(sent, &self.csrf) {
            Ok(())
        } else {
            Err(Problem::new(StatusCode::FORBIDDEN, "csrf_failed", self.lang.t("error.csrf")))
        }
    }

    /// The hidden field every form of a signed-in page carries.
    pub fn csrf_field(&self) -> Markup {
        html! { input type="hidden" name="csrf" value=(self.csrf); }
    }

    pub fn t(&self, key: &str) -> &'static str {
        self.lang.t(key)
    }

    pub fn f(&self, key: &str, args: &[(&str, &str)]) -> String {
        self.lang.f(key, args)
    }

    /// A whole page: the layout around `body`, with the desk's security headers.
    pub fn page(&self, status: StatusCode, caller: Option<&Caller>, title: &str, body: Markup) -> HttpResponse {
        let lang = self.lang;
        let other = Lang::ALL.into_iter().find(|l| *l != lang).unwrap_or(Lang::En);
        let nav = [
            ("/", "nav.claims"),
            ("/claims/new", "nav.new_claim"),
            ("/extract", "nav.extract"),
            ("/sources", "nav.sources"),
        ];
        let path = self.here.split('?').next().unwrap_or("/");
        let markup = html! {
            (DOCTYPE)
            html lang=(lang.code()) {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    title { (title) " · claimdesk" }
                    link rel="stylesheet" href="/assets/desk.css";
                }
                body {
                    a.skip href="#main" { (lang.t("nav.skip")) }
                    header.top {
                        a.brand href="/" { "claimdesk" }
                        @if let Some(caller) = caller {
                            nav aria-label=(lang.t("nav.label")) {
                                ul {
                                    @for (href, key) in nav {
                                        li {
                                            @if path == href {
                                                a href=(href) aria-current="page" { (lang.t(key)) }
                                            } @else {
                                                a href=(href) { (lang.t(key)) }
                                            }
                                        }
                                    }
                                }
                            }
                            div.who {
                                span { (caller.name) " · " (lang.t(role_key(caller.role))) }
                                form method="post" action="/sign-out" {
                                    (self.csrf_field())
                                    button.link type="submit" { (lang.t("nav.sign_out")) }
                                }
                            }
                        }
                        a.lang href=(format!("/language?lang={}&back={}", other.code(), encode(&self.here)))
                            lang=(other.code()) hreflang=(other.code()) {
                            (lang.t("nav.other_language"))
                        }
                    }
                    main #main {
                        h1 { (title) }
                        (body)
                    }
                }
            }
        };
        let mut response = HttpResponse::build(status);
        security_headers(&mut response, lang);
        response.content_type("text/html; charset=utf-8").body(markup.into_string())
    }

    /// A page's answer: the page, or when core said no, the page that says why (and for a
    /// visitor without a valid session, the way to the sign-in page).
    pub fn answer(&self, caller: Option<&Caller>, result: Result<HttpResponse, Problem>) -> HttpResponse {
        match result {
            Ok(response) => response,
            Err(problem) if problem.status == StatusCode::UNAUTHORIZED => self.to_sign_in(),
            Err(problem) => self.error_page(caller, &problem),
        }
    }

    /// 303 to the sign-in page, coming back here after; an invalid session cookie is dropped.
    pub fn to_sign_in(&self) -> HttpResponse {
        let next = if self.here.starts_with("/sign-") { "/".to_owned() } else { self.here.clone() };
        let mut response = HttpResponse::SeeOther();
        response.insert_header((header::LOCATION, format!("/sign-in?next={}", encode(&next))));
        if self.token.is_some() {
            response.cookie(self.cookie(SESSION, String::new(), true));
        }
        response.finish()
    }

    pub fn error_page(&self, caller: Option<&Caller>, problem: &Problem) -> HttpResponse {
        let title = self.t(match problem.status {
            StatusCode::NOT_FOUND => "error.not_found",
            StatusCode::FORBIDDEN => "error.forbidden",
            s if s.is_server_error() => "error.unavailable",
            _ => "error.title",
        });
        let body = html! {
            div.alert role="alert" { p { (problem.detail) } (field_errors(&problem.errors)) }
            p { a href="/" { (self.t("error.back")) } }
        };
        self.page(problem.status, caller, title, body)
    }

    /// A cookie of the desk's: HttpOnly, SameSite=Strict, Secure over TLS, for the whole site;
    /// `expired` clears it.
    fn cookie(&self, name: &'static str, value: String, expired: bool) -> Cookie<'static> {
        let mut cookie = Cookie::build(name, value).path("/").http_only(true).same_site(SameSite::Strict);
        if self.secure {
            cookie = cookie.secure(true);
        }
        if expired {
            cookie = cookie.max_age(actix_web::cookie::time::Duration::ZERO);
        }
        cookie.finish()
    }

    /// 303 to `to` (after a form that worked: reloading the next page does not post again).
    pub fn see_other(to: &str) -> HttpResponse {
        HttpResponse::SeeOther().insert_header((header::LOCATION, to.to_owned())).finish()
    }
}

/// The headers every desk page carries.
fn security_headers(response: &mut actix_web::HttpResponseBuilder, lang: Lang) {
    response
        .insert_header((header::CONTENT_SECURITY_POLICY, CSP))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "same-origin"))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::CONTENT_LANGUAGE, lang.code()))
        .insert_header((header::VARY, "Cookie, Accept-Language"));
}

/// A `select` of an API enum's values (sent as their wire names), each named by the message
/// `{messages}.{wire name}`; `any` adds a first, empty choice.
fn options<T: Serialize>(
    desk: &Desk,
    id: &str,
    name: &str,
    values: &[T],
    messages: &str,
    chosen: Option<&str>,
    any: bool,
) -> Markup {
    html! {
        select id=(id) name=(name) {
            @if any { option value="" { (desk.t("claims.any")) } }
            @for value in values {
                @let wire = wire(value);
                option value=(wire) selected[chosen == Some(wire.as_str())] { (desk.t(&format!("{messages}.{wire}"))) }
            }
        }
    }
}

/// The offending fields of a refusal, as a list under its message.
fn field_errors(errors: &[crate::problem::FieldError]) -> Markup {
    html! {
        @if !errors.is_empty() {
            ul { @for e in errors { li { code { (e.field) } ": " (e.message) } } }
        }
    }
}

/// A form's body, parsed: 400 when it is not the form the page sends.
fn form<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, Problem> {
    serde_urlencoded::from_bytes(body).map_err(|e| Problem::new(StatusCode::BAD_REQUEST, "invalid_form", e.to_string()))
}

/// A query string, parsed: 400 when it is not one the pages make.
fn query<T: serde::de::DeserializeOwned>(req: &HttpRequest) -> Result<T, Problem> {
    serde_urlencoded::from_str(req.query_string())
        .map_err(|e| Problem::new(StatusCode::BAD_REQUEST, "invalid_query", e.to_string()))
}

/// A value for a URL's query.
fn encode(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// An API enum's wire name (`partly_confirmed`), the key of its label in the messages.
fn wire<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

/// A value sent as its API wire name (`in_review`), parsed.
pub fn parse_wire<T: serde::de::DeserializeOwned>(
    desk: &Desk,
    field: &str,
    value: Option<String>,
) -> Result<Option<T>, Problem> {
    match filled(value) {
        None => Ok(None),
        Some(v) => serde_json::from_value(serde_json::Value::String(v.clone()))
            .map(Some)
            .map_err(|_| Problem::bad_field("invalid_query", field, desk.f("error.not_in_list", &[("value", &v)]))),
    }
}

/// A refusal the page that was posted shows again, with what was typed: the client's own
/// mistakes, but an expired session (sent to sign in) and the service's failures (the error
/// page).
fn on_page(problem: &Problem) -> bool {
    problem.status.is_client_error() && problem.status != StatusCode::UNAUTHORIZED
}

/// An empty form field is no value.
fn filled(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

pub fn role_key(role: pb::Role) -> &'static str {
    match role {
        pb::Role::Admin => "role.admin",
        pb::Role::Editor => "role.editor",
        pb::Role::Reporter => "role.reporter",
        _ => "role.viewer",
    }
}
