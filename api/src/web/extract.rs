//! Paste an article: the extraction's candidates highlighted in the text, and the ones the
//! user ticks accepted in one click.
//!
//! Nothing is kept between the two steps: the accept form carries the article back and core
//! reads it again (extraction is deterministic), so what is accepted is what was shown.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use claimdesk_proto::v1 as pb;
use maud::{Markup, html};

use super::{Caller, Desk, Signed, field_errors, filled, on_page};
use crate::{
    CoreClients,
    dto::{SourceKind, Stance},
    problem::Problem,
};

/// What the paste form sends.
#[derive(Debug, Clone, Default)]
struct Article {
    csrf: String,
    text: String,
    language: String,
    published: String,
    url: String,
    /// The candidates ticked (their positions in the extraction).
    picked: Vec<usize>,
}

impl Article {
    /// The form's fields; `pick` may repeat, which serde's form reader does not take.
    fn parse(body: &[u8]) -> Article {
        let mut article = Article::default();
        for (name, value) in form_urlencoded::parse(body) {
            match &*name {
                "csrf" => article.csrf = value.into_owned(),
                "text" => article.text = value.into_owned(),
                "language" => article.language = value.trim().to_owned(),
                "published" => article.published = value.trim().to_owned(),
                "url" => article.url = value.trim().to_owned(),
                "pick" => article.picked.extend(value.parse::<usize>().ok()),
                _ => {}
            }
        }
        article
    }

    fn request(&self) -> pb::ExtractClaimsRequest {
        pb::ExtractClaimsRequest {
            text: self.text.clone(),
            format: "text".to_owned(),
            language: filled(Some(self.language.clone())),
            published: self.published.clone(),
            url: filled(Some(self.url.clone())),
        }
    }
}

/// `GET /extract`.
pub async fn paste(desk: Desk, Signed(caller): Signed) -> HttpResponse {
    page(&desk, &caller, StatusCode::OK, &Article::default(), None, None)
}

/// `POST /extract`: the article read, its candidates shown.
pub async fn read(
    req: HttpRequest,
    desk: Desk,
    Signed(caller): Signed,
    core: web::Data<CoreClients>,
    body: web::Bytes,
) -> HttpResponse {
    let article = Article::parse(&body);
    if let Err(problem) = desk.check_csrf(&article.csrf) {
        return desk.error_page(Some(&caller), &problem);
    }
    match core.claims.clone().extract_claims(desk.call(&req, article.request())).await {
        Ok(extraction) => page(&desk, &caller, StatusCode::OK, &article, Some(&extraction.into_inner()), None),
        Err(status) => refused(&desk, &caller, &article, None, Problem::from(status)),
    }
}

/// `POST /extract/accept`: the ticked candidates become claims with their attributions.
pub async fn accept(
    req: HttpRequest,
    desk: Desk,
    Signed(caller): Signed,
    core: web::Data<CoreClients>,
    body: web::Bytes,
) -> HttpResponse {
    let article = Article::parse(&body);
    if let Err(problem) = desk.check_csrf(&article.csrf) {
        return desk.error_page(Some(&caller), &problem);
    }
    let extraction = match core.claims.clone().extract_claims(desk.call(&req, article.request())).await {
        Ok(extraction) => extraction.into_inner(),
        Err(status) => return refused(&desk, &caller, &article, None, Problem::from(status)),
    };
    let candidates: Vec<pb::ExtractedClaim> = extraction
        .candidates
        .iter()
        .enumerate()
        .filter(|(at, _)| article.picked.contains(at))
        .map(|(_, c)| c.clone())
        .collect();
    if candidates.is_empty() {
        let problem = Problem::bad_field("validation_failed", "pick", desk.t("extract.pick_one"));
        return page(&desk, &caller, StatusCode::BAD_REQUEST, &article, Some(&extraction), Some(&problem));
    }
    let request = pb::AcceptExtractionRequest {
        url: extraction.url.clone(),
        language: extraction.language.clone(),
        published: article.published.clone(),
        candidates,
    };
    match core.claims.clone().accept_extraction(desk.call(&req, request)).await {
        Ok(accepted) => {
            let accepted = accepted.into_inner();
            let body = html! {
                p role="status" { (desk.f("extract.accepted", &[("n", &accepted.claims.len().to_string())])) }
                ul.accepted {
                    @for a in &accepted.claims {
                        @if let Some(claim) = &a.claim {
                            li {
                                a href=(format!("/claims/{}", claim.id)) { (claim.text) }
                                @if !a.created { " " span.badge { (desk.t("extract.already")) } }
                            }
                        }
                    }
                }
                p { a href="/extract" { (desk.t("extract.another")) } }
            };
            desk.page(StatusCode::OK, Some(&caller), desk.t("extract.accepted_title"), body)
        }
        Err(status) => refused(&desk, &caller, &article, Some(&extraction), Problem::from(status)),
    }
}

/// Core refused: the page again with the article (and what was read of it), or, for what the
/// page cannot show, sign-in or the error page.
fn refused(
    desk: &Desk,
    caller: &Caller,
    article: &Article,
    extraction: Option<&pb::Extraction>,
    problem: Problem,
) -> HttpResponse {
    if on_page(&problem) {
        page(desk, caller, problem.status, article, extraction, Some(&problem))
    } else {
        desk.answer(Some(caller), Err(problem))
    }
}

fn page(
    desk: &Desk,
    caller: &Caller,
    status: StatusCode,
    article: &Article,
    extraction: Option<&pb::Extraction>,
    error: Option<&Problem>,
) -> HttpResponse {
    let body = html! {
        @if let Some(problem) = error {
            div.alert role="alert" #extract-error { p { (problem.detail) } (field_errors(&problem.errors)) }
        }
        @if let Some(x) = extraction { (candidates(desk, caller, article, x)) }
        form.card method="post" action="/extract" {
            (desk.csrf_field())
            p {
                label for="article" { (desk.t("extract.text")) }
                textarea #article name="text" rows="12" required { (article.text) }
            }
            p {
                label for="article-language" { (desk.t("extract.language")) }
                select #article-language name="language" {
                    option value="" selected[article.language.is_empty()] { (desk.t("extract.detect")) }
                    option value="fr" selected[article.language == "fr"] lang="fr" { "Français" }
                    option value="en" selected[article.language == "en"] lang="en" { "English" }
                }
            }
            p {
                label for="published" { (desk.t("extract.published")) }
                input #published name="published" type="date" value=(article.published);
            }
            p {
                label for="article-url" { (desk.t("extract.url")) }
                input #article-url name="url" type="url" value=(article.url);
            }
            button type="submit" { (desk.t("extract.submit")) }
        }
    };
    desk.page(status, Some(caller), desk.t("extract.title"), body)
}

/// The text with every candidate's sentences marked, then the candidates to tick.
fn candidates(desk: &Desk, caller: &Caller, article: &Article, x: &pb::Extraction) -> Markup {
    let text = x.text.as_deref().unwrap_or(&article.text);
    html! {
        section aria-labelledby="found-h" {
            h2 #found-h { (desk.f("extract.found", &[("n", &x.candidates.len().to_string())])) }
            div.article lang=(x.language) { (highlighted(text, x)) }
            @if !x.candidates.is_empty() {
                form.card method="post" action="/extract/accept" {
                    (desk.csrf_field())
                    input type="hidden" name="text" value=(article.text);
                    input type="hidden" name="language" value=(article.language);
                    input type="hidden" name="published" value=(article.published);
                    input type="hidden" name="url" value=(article.url);
                    fieldset {
                        legend { (desk.t("extract.pick")) }
                        ol.candidates {
                            @for (at, c) in x.candidates.iter().enumerate() {
                                li #(format!("candidate-{}", at + 1)) {
                                    input type="checkbox" name="pick" value=(at) id=(format!("pick-{at}"));
                                    " "
                                    label for=(format!("pick-{at}")) { span.num { "[" (at + 1) "] " } (c.claim) }
                                    ul.who {
                                        @for a in &c.attributions { li { (attribution(desk, a)) } }
                                    }
                                    @if !c.matches.is_empty() {
                                        p.matches {
                                            (desk.t("extract.matches")) " "
                                            @for m in &c.matches {
                                                a href=(format!("/claims/{}", m.claim_id)) { (desk.f("claim.score", &[("score", &format!("{:.0}", m.score * 100.0))])) } " "
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                    @if caller.can(pb::Role::Reporter) {
                        button type="submit" { (desk.t("extract.accept")) }
                    } @else {
                        p { (desk.t("error.needs_reporter")) }
                    }
                }
            }
        }
    }
}

fn attribution(desk: &Desk, a: &pb::ExtractedAttribution) -> Markup {
    let party = |p: &pb::ExtractedParty| {
        let kind = SourceKind::try_from(p.kind()).map(|k| super::wire(&k)).unwrap_or_default();
        html! { (p.name) @if !kind.is_empty() { " (" (desk.t(&format!("kind.{kind}"))) ")" } }
    };
    let stance = Stance::try_from(a.stance()).map(|s| super::wire(&s)).unwrap_or_default();
    html! {
        @if let Some(speaker) = &a.speaker { (party(speaker)) }
        @for relay in &a.relays { " → " (party(relay)) }
        " " span class=(format!("badge stance stance-{stance}")) { (desk.t(&format!("stance.{stance}"))) }
        " " q { (a.cue) }
    }
}

/// The text as paragraphs, each candidate's sentence (and the sentences merged into it) in a
/// `mark` numbered as in the list.
fn highlighted(text: &str, x: &pb::Extraction) -> Markup {
    let mut spans: Vec<(usize, usize, usize)> = Vec::new();
    for (at, c) in x.candidates.iter().enumerate() {
        spans.push((c.start as usize, c.end as usize, at));
        spans.extend(c.merged_spans.iter().map(|s| (s.start as usize, s.end as usize, at)));
    }
    spans.sort_unstable();
    let chars: Vec<char> = text.chars().collect();
    let mut pieces: Vec<(String, Option<usize>)> = Vec::new();
    let mut at = 0;
    for (start, end, candidate) in spans {
        if start < at || end > chars.len() || start >= end {
            continue;
        }
        pieces.push((chars[at..start].iter().collect(), None));
        pieces.push((chars[start..end].iter().collect(), Some(candidate)));
        at = end;
    }
    pieces.push((chars[at..].iter().collect(), None));
    // Paragraphs at blank lines (or single line breaks, as pasted articles have).
    let mut paragraphs: Vec<Vec<(String, Option<usize>)>> = vec![Vec::new()];
    for (piece, mark) in pieces {
        let mut lines = piece.split('\n').peekable();
        while let Some(line) = lines.next() {
            if let Some(last) = paragraphs.last_mut()
                && !line.is_empty()
            {
                last.push((line.to_owned(), mark));
            }
            if lines.peek().is_some() && paragraphs.last().is_some_and(|p| !p.is_empty()) {
                paragraphs.push(Vec::new());
            }
        }
    }
    html! {
        @for p in paragraphs.iter().filter(|p| !p.is_empty()) {
            p {
                @for (piece, mark) in p {
                    @match mark {
                        Some(n) => mark { (piece) sup { a href=(format!("#candidate-{}", n + 1)) { "[" (n + 1) "]" } } },
                        None => (piece),
                    }
                }
            }
        }
    }
}
