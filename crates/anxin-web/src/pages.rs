//! Server-rendered pages (askama templates, escaped by default): sign-in, the agent workspace. Every page checks
//! the role on the server; a page without a session redirects to the sign-in page and comes back afterwards.

use std::net::SocketAddr;

use askama::Template;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use anxin_store::Principal;

/// The knowledge base and script library: search, entries, editing, history, import, synonyms, statistics.
pub mod knowledge;
/// Complaint tickets: lists, the ticket with its workflow forms, the SLA risk board, the root-cause view.
pub mod tickets;
/// The training academy: plan, self-assessment, modules and lessons, quizzes, progress, the team, the curriculum.
pub mod training;
/// A resolved conversation turned into a worked case of the curriculum.
pub mod training_cases;
mod workspace;

pub(crate) use workspace::emotion_badge;

use crate::AppState;
use crate::auth::{self, SESSION_COOKIE, cookie_value_in};
use crate::i18n::{LANG_COOKIE, Lang};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_page).post(login_submit))
        .route("/logout", post(logout))
        .route("/lang/{code}", get(switch_language))
        .route("/inbox", get(workspace::inbox))
        .route("/inbox/{id}", post(workspace::act))
        .route("/assets/app.js", get(|| async { asset("application/javascript; charset=utf-8", include_str!("../assets/app.js")) }))
        .route("/assets/app.css", get(|| async { asset("text/css; charset=utf-8", include_str!("../assets/app.css")) }))
        .merge(knowledge::routes())
        .merge(training::routes())
        .merge(training_cases::routes())
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "no-cache")], body).into_response()
}

/// Who is looking at a page, in which language.
pub(crate) struct Viewer {
    pub(crate) lang: Lang,
    pub(crate) principal: Option<Principal>,
}

#[derive(Deserialize, Default)]
pub(crate) struct LangQuery {
    pub(crate) lang: Option<String>,
}

pub(crate) async fn viewer(state: &AppState, headers: &HeaderMap, query_lang: Option<&str>) -> Viewer {
    let chosen = cookie_value_in(headers, LANG_COOKIE);
    let accept = headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok());
    let lang = Lang::negotiate(query_lang, chosen, accept);
    let principal = match cookie_value_in(headers, SESSION_COOKIE) {
        Some(token) => state.store.session_principal(auth::token_hash(token), state.store.now()).await.ok(),
        None => None,
    };
    Viewer { lang, principal }
}

/// A path on this site only (no `//host`, no scheme): where to go after signing in.
/// A form body as text fields; not a form counts as empty (and then fails the CSRF check).
pub(crate) type Pairs = Result<Form<Vec<(String, String)>>, axum::extract::rejection::FormRejection>;
/// A query string as text fields; a malformed one counts as empty.
pub(crate) type QueryPairs = Result<Query<Vec<(String, String)>>, axum::extract::rejection::QueryRejection>;

pub(crate) fn pairs(body: Pairs) -> Vec<(String, String)> {
    body.map(|f| f.0).unwrap_or_default()
}

pub(crate) fn query_pairs(query: QueryPairs) -> Vec<(String, String)> {
    query.map(|q| q.0).unwrap_or_default()
}

/// The first value of a field ("" when absent).
pub(crate) fn first<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str())
}

/// The UI language asked for in the query (`?lang=`), if any.
pub(crate) fn ui_lang(pairs: &[(String, String)]) -> Option<&str> {
    Some(first(pairs, "lang")).filter(|l| !l.is_empty())
}

/// Keeps what was typed, bounded.
pub(crate) fn keep(text: &str, max_chars: usize) -> String {
    text.chars().take(max_chars).collect()
}

pub(crate) fn local_path(next: &str) -> String {
    if next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') && next.len() < 2048 {
        next.to_owned()
    } else {
        "/inbox".to_owned()
    }
}

pub(crate) fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub(crate) struct PageUser {
    pub(crate) name: String,
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    lang: Lang,
    langs: [Lang; 3],
    me: Option<PageUser>,
    csrf: String,
    here: String,
    error: Option<&'static str>,
    next: String,
    username: String,
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    lang: Lang,
    langs: [Lang; 3],
    me: Option<PageUser>,
    csrf: String,
    here: String,
    title: &'static str,
}

pub(crate) fn render(t: &impl Template, status: StatusCode) -> Response {
    match t.render() {
        Ok(html) => (status, [(header::CACHE_CONTROL, "no-store")], Html(html)).into_response(),
        Err(e) => crate::error::ApiError::Internal(format!("template: {e}")).into_response(),
    }
}

#[derive(Deserialize)]
struct LoginQuery {
    next: Option<String>,
    lang: Option<String>,
    expired: Option<String>,
}

async fn login_page(State(state): State<AppState>, headers: HeaderMap, Query(q): Query<LoginQuery>) -> Response {
    let v = viewer(&state, &headers, q.lang.as_deref()).await;
    let next = local_path(q.next.as_deref().unwrap_or("/inbox"));
    let page = LoginPage {
        lang: v.lang,
        langs: Lang::ALL,
        me: None,
        csrf: String::new(),
        here: percent_encode(&format!("/login?next={}", percent_encode(&next))),
        error: q.expired.is_some().then(|| v.lang.t("login.expired")),
        next,
        username: String::new(),
    };
    render(&page, StatusCode::OK)
}

#[derive(Deserialize)]
struct LoginForm {
    username: String,
    password: String,
    next: Option<String>,
}

async fn login_submit(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let v = viewer(&state, &headers, None).await;
    let next = local_path(form.next.as_deref().unwrap_or("/inbox"));
    let fail = |key: &'static str, status: StatusCode| {
        let page = LoginPage {
            lang: v.lang,
            langs: Lang::ALL,
            me: None,
            csrf: String::new(),
            here: percent_encode(&format!("/login?next={}", percent_encode(&next))),
            error: Some(v.lang.t(key)),
            next: next.clone(),
            username: form.username.chars().take(64).collect(),
        };
        render(&page, status)
    };
    match auth::sign_in(&state, &form.username, &form.password, &addr).await {
        Ok((_, token, _)) => {
            let cookie = auth::session_cookie(&token, state.config.secure_cookies);
            ([(header::SET_COOKIE, cookie)], Redirect::to(&next)).into_response()
        }
        Err(crate::error::ApiError::RateLimited(_)) => fail("login.throttled", StatusCode::TOO_MANY_REQUESTS),
        Err(crate::error::ApiError::Unavailable) => {
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
        Err(_) => fail("login.failed", StatusCode::BAD_REQUEST),
    }
}

#[derive(Deserialize)]
struct LogoutForm {
    csrf: String,
}

async fn logout(State(state): State<AppState>, headers: HeaderMap, Form(form): Form<LogoutForm>) -> Response {
    let v = viewer(&state, &headers, None).await;
    if let (Some(p), Some(token)) = (&v.principal, cookie_value_in(&headers, SESSION_COOKIE)) {
        if p.csrf_token.as_deref() == Some(form.csrf.as_str()) {
            let _ = state.store.delete_session(auth::token_hash(token)).await;
        } else {
            return (StatusCode::FORBIDDEN, "missing or wrong CSRF token").into_response();
        }
    }
    ([(header::SET_COOKIE, auth::clear_session_cookie())], Redirect::to("/login")).into_response()
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

/// Remembers the chosen language (a year) and goes back.
async fn switch_language(Path(code): Path<String>, Query(q): Query<NextQuery>) -> Response {
    let Some(lang) = Lang::parse(&code) else {
        return (StatusCode::NOT_FOUND, "unknown language").into_response();
    };
    let cookie = format!("{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax", lang.code());
    let next = local_path(q.next.as_deref().unwrap_or("/inbox"));
    ([(header::SET_COOKIE, cookie)], Redirect::to(&next)).into_response()
}

pub(crate) fn to_login(here: &str) -> Response {
    Redirect::to(&format!("/login?next={}", percent_encode(here))).into_response()
}

pub(crate) fn forbidden(v: &Viewer, here: &str) -> Response {
    let page = ErrorPage {
        lang: v.lang,
        langs: Lang::ALL,
        me: v.principal.as_ref().map(|p| PageUser { name: p.name.clone() }),
        csrf: v.principal.as_ref().and_then(|p| p.csrf_token.clone()).unwrap_or_default(),
        here: percent_encode(here),
        title: v.lang.t("error.forbidden"),
    };
    render(&page, StatusCode::FORBIDDEN)
}

/// Text for server-drawn SVG and hand-built markup: `& < > " '` escaped (askama escapes template output itself).
pub(crate) fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Checks that every tag of our own builders' markup is closed in order (for unit tests of the SVG charts).
#[cfg(test)]
pub(crate) fn balanced(xml: &str) -> Result<(), String> {
    let mut stack: Vec<String> = Vec::new();
    let mut rest = xml;
    while let Some(start) = rest.find('<') {
        if rest[..start].contains('>') {
            return Err("stray > in text".into());
        }
        let end = rest[start..].find('>').ok_or("unclosed <")? + start;
        let tag = &rest[start + 1..end];
        if let Some(name) = tag.strip_prefix('/') {
            let open = stack.pop().ok_or(format!("stray </{name}>"))?;
            if open != name {
                return Err(format!("<{open}> closed by </{name}>"));
            }
        } else if !tag.ends_with('/') {
            stack.push(tag.split_whitespace().next().unwrap_or("").to_owned());
        }
        if tag.contains('<') {
            return Err(format!("'<' inside a tag: {tag}"));
        }
        rest = &rest[end + 1..];
    }
    if rest.contains('>') {
        return Err("stray >".into());
    }
    if stack.is_empty() { Ok(()) } else { Err(format!("unclosed {stack:?}")) }
}


#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_redirects() {
        for (next, expected) in [("/inbox?c=1", "/inbox?c=1"), ("//evil.com", "/inbox"), ("https://evil.com", "/inbox"), ("/\\\\evil", "/inbox"), ("", "/inbox")] {
            assert_eq!(local_path(next), expected, "{next}");
        }
    }
}
