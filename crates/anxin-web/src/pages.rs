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

use anxin_domain::{Action, ConversationStatus, MessageKind};
use anxin_store::{Conversation, ConversationFilter, Message, Principal, StoreError};

use crate::AppState;
use crate::auth::{self, SESSION_COOKIE, cookie_value_in};
use crate::i18n::{LANG_COOKIE, Lang};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_page).post(login_submit))
        .route("/logout", post(logout))
        .route("/lang/{code}", get(switch_language))
        .route("/inbox", get(inbox))
        .route("/assets/app.js", get(|| async { asset("application/javascript; charset=utf-8", include_str!("../assets/app.js")) }))
        .route("/assets/app.css", get(|| async { asset("text/css; charset=utf-8", include_str!("../assets/app.css")) }))
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
        Some(token) => state.store.session_principal(auth::token_hash(token), anxin_store::now_ms()).await.ok(),
        None => None,
    };
    Viewer { lang, principal }
}

/// A path on this site only (no `//host`, no scheme): where to go after signing in.
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

// ----- the agent workspace -----

struct Row {
    id: i64,
    customer: String,
    preview: String,
    emotion_key: &'static str,
    emotion_icon: &'static str,
    emotion_text: &'static str,
    status_text: &'static str,
    waiting: String,
    selected: bool,
}

struct Current {
    id: i64,
    customer: String,
    channel: String,
    emotion_key: &'static str,
    emotion_icon: &'static str,
    emotion_text: &'static str,
    trajectory_text: &'static str,
    risk_percent: i64,
    complaint_text: Option<&'static str>,
    status_text: &'static str,
    signals: Vec<String>,
}

struct Segment {
    text: String,
    signal: Option<String>,
}

struct EmotionView {
    key: &'static str,
    icon: &'static str,
    text: &'static str,
    intensity: String,
}

struct MessageView {
    id: i64,
    kind: &'static str,
    segments: Vec<Segment>,
    emotion: Option<EmotionView>,
}

#[derive(Template)]
#[template(path = "inbox.html")]
struct InboxPage {
    lang: Lang,
    langs: [Lang; 3],
    me: Option<PageUser>,
    csrf: String,
    here: String,
    view: String,
    views: Vec<(&'static str, &'static str)>,
    rows: Vec<Row>,
    current: Option<Current>,
    messages: Vec<MessageView>,
    strategy: Vec<&'static str>,
    /// Names of the tone check's missing elements in this language, for the script.
    missing_json: String,
}

/// Emotion key → (icon, catalog key). The icon and text go with the colour, so the badge never relies on colour.
pub(crate) fn emotion_badge(emotion: Option<&str>) -> (&'static str, &'static str, &'static str) {
    match emotion {
        Some("anger") => ("anger", "▲", "emotion.anger"),
        Some("anxiety") => ("anxiety", "◆", "emotion.anxiety"),
        Some("disappointment") => ("disappointment", "▼", "emotion.disappointment"),
        Some("satisfied") => ("satisfied", "★", "emotion.satisfied"),
        _ => ("neutral", "●", "emotion.neutral"),
    }
}

fn status_key(s: ConversationStatus) -> &'static str {
    match s {
        ConversationStatus::Open => "status.open",
        ConversationStatus::Pending => "status.pending",
        ConversationStatus::Snoozed => "status.snoozed",
        ConversationStatus::Resolved => "status.resolved",
    }
}

fn waiting(lang: Lang, since_ms: i64, now_ms: i64) -> String {
    let minutes = ((now_ms - since_ms).max(0) / 60_000) as u64;
    let (n, unit) = match minutes {
        0..=59 => (minutes, ["分钟", "分鐘", "min"]),
        60..=2879 => (minutes / 60, ["小时", "小時", "h"]),
        _ => (minutes / 1440, ["天", "天", "d"]),
    };
    let unit = unit[lang as usize];
    if lang == Lang::En { format!("{n} {unit}") } else { format!("{n}{unit}") }
}

/// Splits a message into plain and signal-highlighted segments (spans are character offsets).
fn segments(text: &str, analysis: Option<&serde_json::Value>) -> Vec<Segment> {
    let chars: Vec<char> = text.chars().collect();
    let mut spans: Vec<(usize, usize, String)> = analysis
        .and_then(|a| a.get("signals"))
        .and_then(|s| s.as_array())
        .map(|list| {
            list.iter()
                .filter_map(|s| {
                    let start = s.get("span")?.get("start")?.as_u64()? as usize;
                    let end = s.get("span")?.get("end")?.as_u64()? as usize;
                    let kind = s.get("kind")?.as_str()?.to_owned();
                    (start < end && end <= chars.len()).then_some((start, end, kind))
                })
                .collect()
        })
        .unwrap_or_default();
    spans.sort_by_key(|s| s.0);
    let mut out = Vec::new();
    let mut at = 0;
    for (start, end, kind) in spans {
        if start < at {
            continue; // overlapping signals: keep the first
        }
        if start > at {
            out.push(Segment { text: chars[at..start].iter().collect(), signal: None });
        }
        out.push(Segment { text: chars[start..end].iter().collect(), signal: Some(kind) });
        at = end;
    }
    if at < chars.len() {
        out.push(Segment { text: chars[at..].iter().collect(), signal: None });
    }
    out
}

#[derive(Deserialize)]
struct InboxQuery {
    view: Option<String>,
    c: Option<i64>,
    lang: Option<String>,
}

async fn inbox(State(state): State<AppState>, headers: HeaderMap, Query(q): Query<InboxQuery>) -> Response {
    let v = viewer(&state, &headers, q.lang.as_deref()).await;
    let view = match q.view.as_deref() {
        Some("unassigned") => "unassigned",
        Some("all") => "all",
        _ => "mine",
    };
    let here = match q.c {
        Some(c) => format!("/inbox?view={view}&c={c}"),
        None => format!("/inbox?view={view}"),
    };
    let Some(p) = v.principal.clone() else { return to_login(&here) };
    if !p.role.can(Action::ReadConversations) {
        return forbidden(&v, &here);
    }
    match inbox_page(&state, &v, &p, view, q.c, &here).await {
        Ok(page) => render(&page, StatusCode::OK),
        Err(StoreError::NotFound) => (StatusCode::NOT_FOUND, Html(v.lang.t("error.not_found"))).into_response(),
        Err(e) => crate::error::ApiError::from(e).into_response(),
    }
}

async fn inbox_page(state: &AppState, v: &Viewer, p: &Principal, view: &str, selected: Option<i64>, here: &str) -> Result<InboxPage, StoreError> {
    let lang = v.lang;
    let filter = ConversationFilter {
        status: (view != "all").then_some(ConversationStatus::Open),
        assignee_id: match view {
            "mine" => Some(p.user_id),
            "unassigned" => Some(None),
            _ => None,
        },
        limit: 100,
        ..Default::default()
    };
    let list = state.store.conversations(p.org_id, filter).await?;
    let now = anxin_store::now_ms();
    let rows = list
        .iter()
        .map(|c: &Conversation| {
            let (key, icon, text) = emotion_badge(c.emotion.as_deref());
            Row {
                id: c.id,
                customer: c.customer_name.clone(),
                preview: c.preview.clone(),
                emotion_key: key,
                emotion_icon: icon,
                emotion_text: lang.t(text),
                status_text: lang.t(status_key(c.status)),
                waiting: waiting(lang, c.last_message_at, now),
                selected: Some(c.id) == selected,
            }
        })
        .collect();
    let (current, messages, strategy) = match selected {
        Some(id) => {
            let c = state.store.conversation(p.org_id, id).await?;
            let list: Vec<Message> = state.store.messages(p.org_id, id, 0, 500, false).await?;
            let (key, icon, text) = emotion_badge(c.emotion.as_deref());
            let messages = list
                .iter()
                .map(|m| MessageView {
                    id: m.id,
                    kind: m.kind.as_str(),
                    segments: segments(&m.text, m.analysis.as_ref()),
                    emotion: (m.kind == MessageKind::Customer).then(|| {
                        let label = m.analysis.as_ref().and_then(|a| a["emotion"]["label"].as_str());
                        let (key, icon, text) = emotion_badge(label);
                        let intensity = m.analysis.as_ref().and_then(|a| a["emotion"]["intensity"].as_f64()).unwrap_or(0.0);
                        EmotionView { key, icon, text: lang.t(text), intensity: format!("{:.0}%", intensity * 100.0) }
                    }),
                })
                .collect();
            let strategy = (1..=3).map(|i| lang.t(&format!("strategy.{key}.{i}"))).collect();
            let current = Current {
                id: c.id,
                customer: c.customer_name.clone(),
                channel: c.channel_name.clone(),
                emotion_key: key,
                emotion_icon: icon,
                emotion_text: lang.t(text),
                trajectory_text: lang.t(&format!("conversation.trajectory.{}", c.trajectory)),
                risk_percent: (c.risk * 100.0).round() as i64,
                complaint_text: c.complaint_type.as_ref().map(|k| lang.t(&format!("complaint.{k}"))),
                status_text: lang.t(status_key(c.status)),
                signals: c.signals.clone(),
            };
            (Some(current), messages, strategy)
        }
        None => (None, Vec::new(), Vec::new()),
    };
    Ok(InboxPage {
        lang,
        langs: Lang::ALL,
        me: Some(PageUser { name: p.name.clone() }),
        csrf: p.csrf_token.clone().unwrap_or_default(),
        here: percent_encode(here),
        view: view.to_owned(),
        views: vec![("mine", lang.t("inbox.mine")), ("unassigned", lang.t("inbox.unassigned")), ("all", lang.t("inbox.all"))],
        rows,
        current,
        messages,
        strategy,
        missing_json: serde_json::json!({
            "acknowledgement": lang.t("tone.missing.acknowledgement"),
            "apology": lang.t("tone.missing.apology"),
            "next_step_with_time": lang.t("tone.missing.next_step_with_time"),
            "options": lang.t("tone.missing.options"),
            "answer": lang.t("tone.missing.answer"),
        })
        .to_string(),
    })
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

    #[test]
    fn signals_are_split_out_by_character_offsets() {
        let analysis = serde_json::json!({"signals": [{"kind": "regulator", "span": {"start": 3, "end": 8}}, {"kind": "bogus", "span": {"start": 90, "end": 99}}]});
        let segs = segments("我要去12315投诉", Some(&analysis));
        let parts: Vec<(&str, Option<&str>)> = segs.iter().map(|s| (s.text.as_str(), s.signal.as_deref())).collect();
        assert_eq!(parts, [("我要去", None), ("12315", Some("regulator")), ("投诉", None)]);
    }
}
