//! Signing in and out, and the language switch.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use maud::html;
use serde::Deserialize;

use super::{Desk, Lang, SESSION, form, query, same};
use crate::{CoreClients, problem::Problem};

/// The sign-in form's own CSRF cookie (double submit): there is no session to derive one from.
const LOGIN: &str = "claimdesk_login";

/// A value that can be a token in a cookie: visible ASCII without the cookie's separators, no
/// longer than core takes. Anything else is not sent to core at all.
pub fn plausible_token(token: &str) -> bool {
    !token.is_empty()
        && token.len() <= 200
        && token.bytes().all(|b| b.is_ascii_graphic() && !matches!(b, b';' | b',' | b'"' | b'\\'))
}

/// Where to go after signing in: a path of this site, never another host. Only visible ASCII
/// is taken (a browser drops tabs and line breaks from a URL, which would turn `/\t/host` into
/// `//host`), and neither `//` nor a backslash may start it.
fn local(next: Option<&str>) -> String {
    match next {
        Some(next)
            if next.starts_with('/')
                && !next.starts_with("//")
                && !next.contains('\\')
                && next.bytes().all(|b| b.is_ascii_graphic()) =>
        {
            next.to_owned()
        }
        _ => "/".to_owned(),
    }
}

#[derive(Deserialize)]
pub struct Next {
    next: Option<String>,
}

/// `GET /sign-in`.
pub async fn sign_in_page(req: HttpRequest, desk: Desk) -> HttpResponse {
    let next = query::<Next>(&req).ok().and_then(|q| q.next);
    render(&req, &desk, StatusCode::OK, next.as_deref(), None)
}

fn render(req: &HttpRequest, desk: &Desk, status: StatusCode, next: Option<&str>, error: Option<&str>) -> HttpResponse {
    // A fresh double-submit value unless the browser holds one.
    let nonce = req.cookie(LOGIN).map(|c| c.value().to_owned()).filter(|v| v.len() == 32).unwrap_or_else(nonce);
    let body = html! {
        @if let Some(error) = error {
            div.alert role="alert" #sign-in-error { p { (error) } }
        }
        form.card method="post" action="/sign-in" {
            input type="hidden" name="csrf" value=(nonce);
            input type="hidden" name="next" value=(local(next));
            p {
                label for="token" { (desk.t("sign_in.token")) }
                input #token type="password" name="token" required autocomplete="off" spellcheck="false"
                    aria-describedby="token-help" aria-invalid=[error.map(|_| "true")];
                small #token-help { (desk.t("sign_in.help")) }
            }
            button type="submit" { (desk.t("sign_in.submit")) }
        }
    };
    let mut response = desk.page(status, None, desk.t("sign_in.title"), body);
    let _ = response.add_cookie(&desk.cookie(LOGIN, nonce, false));
    response
}

fn nonce() -> String {
    let mut bytes = [0u8; 16];
    if getrandom::fill(&mut bytes).is_err() {
        // No randomness: the form then fails its CSRF check rather than accept a guessable one.
        return String::new();
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[derive(Deserialize)]
struct SignIn {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    token: String,
    next: Option<String>,
}

/// `POST /sign-in`: the token is checked with core (`WhoAmI`); a good one becomes the session.
pub async fn sign_in(req: HttpRequest, desk: Desk, core: web::Data<CoreClients>, body: web::Bytes) -> HttpResponse {
    let form: SignIn = match form(&body) {
        Ok(form) => form,
        Err(problem) => return desk.error_page(None, &problem),
    };
    let expected = req.cookie(LOGIN).map(|c| c.value().to_owned()).unwrap_or_default();
    if !same(&form.csrf, &expected) {
        return render(&req, &desk, StatusCode::FORBIDDEN, form.next.as_deref(), Some(desk.t("error.csrf")));
    }
    let token = form.token.trim().strip_prefix("Bearer ").unwrap_or(form.token.trim()).trim().to_owned();
    let refused = |desk: &Desk| {
        let mut page =
            render(&req, desk, StatusCode::UNAUTHORIZED, form.next.as_deref(), Some(desk.t("sign_in.refused")));
        // A 401 names its scheme: the API's bearer token, typed in this form.
        page.headers_mut().insert(
            actix_web::http::header::WWW_AUTHENTICATE,
            actix_web::http::header::HeaderValue::from_static("Bearer realm=\"claimdesk\""),
        );
        page
    };
    if !plausible_token(&token) {
        return refused(&desk);
    }
    let session = Desk { token: Some(token.clone()), ..desk.clone() };
    match session.caller(&req, &core).await {
        Ok(_) => {
            let mut response = Desk::see_other(&local(form.next.as_deref()));
            let _ = response.add_cookie(&desk.cookie(SESSION, token, false));
            let _ = response.add_cookie(&desk.cookie(LOGIN, String::new(), true));
            response
        }
        Err(problem) if problem.status == StatusCode::UNAUTHORIZED => refused(&desk),
        Err(problem) => desk.error_page(None, &problem),
    }
}

#[derive(Deserialize)]
struct Csrf {
    #[serde(default)]
    csrf: String,
}

/// `POST /sign-out`: the session cookie is cleared.
pub async fn sign_out(desk: Desk, body: web::Bytes) -> HttpResponse {
    let checked = form::<Csrf>(&body).and_then(|f| desk.check_csrf(&f.csrf));
    if let Err(problem) = checked {
        return desk.error_page(None, &problem);
    }
    let mut response = Desk::see_other("/sign-in");
    let _ = response.add_cookie(&desk.cookie(SESSION, String::new(), true));
    response
}

#[derive(Deserialize)]
pub struct Switch {
    lang: String,
    back: Option<String>,
}

/// `GET /language?lang=fr&back=/…`: keeps the choice in a cookie and goes back.
pub async fn language(req: HttpRequest, desk: Desk) -> HttpResponse {
    let switch = query::<Switch>(&req).and_then(|s| match Lang::from_code(&s.lang) {
        Some(lang) => Ok((lang, s.back)),
        None => Err(Problem::bad_field("invalid_query", "lang", desk.t("error.language"))),
    });
    match switch {
        Ok((lang, back)) => {
            let mut response = Desk::see_other(&local(back.as_deref()));
            let mut cookie = desk.cookie(super::i18n::COOKIE, lang.code().to_owned(), false);
            cookie.set_max_age(actix_web::cookie::time::Duration::days(365));
            let _ = response.add_cookie(&cookie);
            response
        }
        Err(problem) => desk.error_page(None, &problem),
    }
}
