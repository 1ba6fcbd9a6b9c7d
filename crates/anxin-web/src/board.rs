//! The supervisor's live board (`/board`, supervisors and admins): queues and waits, agents' availability and
//! load, the conversations that need attention, and the emotion mix of the last hour as an SVG chart drawn here.
//! `assets/board.js` re-fetches the `live` block (`/board/live`) on the staff stream's events (throttled) and
//! every 15 s. Also here: each person's availability (`PUT /api/v1/me/availability`, the header's form
//! `POST /me/availability`) and the header's user menu.
//!
//! The pure parts (ranking, SVG, durations, decoding) are plain functions with unit tests.

use std::fmt::Write as _;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use anxin_domain::Action;
use anxin_store::people::EMOTIONS;
use anxin_store::{AgentRow, Availability, Conversation, EmotionMix, Principal};

use crate::AppState;
use crate::auth::Staff;
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiJson;
use crate::i18n::Lang;
use crate::pages::{xml_escape, LangQuery, PageUser, Viewer, emotion_badge, forbidden, local_path, percent_encode, render, to_login, viewer};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/board", get(board))
        .route("/board/live", get(board_live))
        .route("/me/availability", axum::routing::post(availability_form))
        .route("/api/v1/me/availability", get(availability_get).put(availability_put))
        .route(
            "/assets/board.js",
            get(|| async {
                ([(header::CONTENT_TYPE, "application/javascript; charset=utf-8"), (header::CACHE_CONTROL, "no-cache")], include_str!("../assets/board.js"))
            }),
        )
}

// ----- the header's user menu -----

/// What the header shows of the signed-in person on pages that know their role and availability.
pub(crate) struct MenuUser {
    pub(crate) name: String,
    menu: Menu,
}

pub(crate) struct Menu {
    pub(crate) inbox: bool,
    pub(crate) board: bool,
    pub(crate) admin: bool,
    /// The person's own wellbeing pages (people, not API tokens).
    pub(crate) wellbeing: bool,
    /// The team weather (supervisors and admins).
    pub(crate) team_wellbeing: bool,
    /// The current availability (`online`, `break`, `offline`).
    pub(crate) state: &'static str,
}

impl MenuUser {
    pub(crate) fn menu(&self) -> Option<&Menu> {
        Some(&self.menu)
    }
}

/// Pages that only know the person's name show the header without role links and without marking the current
/// availability (the form still works). `base.html` calls this on either type.
impl PageUser {
    pub(crate) fn menu(&self) -> Option<&Menu> {
        None
    }
}

/// The availability choices of the header form: (value, icon, catalog key).
pub(crate) const PRESENCE: [(&str, &str, &str); 3] =
    [("online", "✓", "presence.online"), ("break", "‖", "presence.break"), ("offline", "○", "presence.offline")];

fn presence_badge(state: Availability) -> (&'static str, &'static str, &'static str) {
    PRESENCE.into_iter().find(|(v, _, _)| *v == state.as_str()).unwrap_or(PRESENCE[2])
}

/// The header data for a signed-in person (one read: their availability).
pub(crate) async fn menu_user(state: &AppState, p: &Principal) -> MenuUser {
    let availability = match p.user_id {
        Some(id) => state.store.availability(p.org_id, id).await.map(|a| a.state).unwrap_or(Availability::Offline),
        None => Availability::Offline,
    };
    MenuUser {
        name: p.name.clone(),
        menu: Menu {
            inbox: p.role.can(Action::ReadConversations),
            board: p.role.can(Action::ViewBoard),
            admin: p.role.can(Action::Administer),
            wellbeing: p.user_id.is_some(),
            team_wellbeing: p.role.can(Action::ViewBoard),
            state: availability.as_str(),
        },
    }
}

/// Whether a form's CSRF token is the session's (compared in constant time).
pub(crate) fn csrf_ok(p: &Principal, sent: &str) -> bool {
    let expected = p.csrf_token.as_deref().unwrap_or("").as_bytes();
    let sent = sent.as_bytes();
    !expected.is_empty() && expected.len() == sent.len() && expected.iter().zip(sent).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
}

/// Undoes [`percent_encode`] (and `+` for a space): the header's `here` goes back into a form's `next` field.
pub(crate) fn percent_decode(text: &str) -> String {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() && hex(bytes[i + 1]).is_some() && hex(bytes[i + 2]).is_some() => {
                out.push(hex(bytes[i + 1]).unwrap_or(0) * 16 + hex(bytes[i + 2]).unwrap_or(0));
                i += 3;
                continue;
            }
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

// ----- availability -----

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AvailabilityBody {
    state: String,
}

fn person(p: &Principal) -> ApiResult<i64> {
    p.user_id.ok_or(ApiError::Forbidden("an API token has no availability; sign in as a person"))
}

async fn availability_get(State(state): State<AppState>, staff: Staff) -> ApiResult<Json<Value>> {
    let user = person(&staff.0)?;
    Ok(Json(json!({"availability": state.store.availability(staff.0.org_id, user).await?})))
}

/// `PUT /api/v1/me/availability` `{"state": "online" | "break" | "offline"}`.
async fn availability_put(State(state): State<AppState>, staff: Staff, ApiJson(body): ApiJson<AvailabilityBody>) -> ApiResult<Json<Value>> {
    let user = person(&staff.0)?;
    let Some(wanted) = Availability::parse(&body.state) else {
        return Err(ApiError::invalid("state", "invalid", "one of online, break, offline"));
    };
    let presence = state.store.set_availability(staff.0.org_id, user, wanted).await?;
    Ok(Json(json!({"availability": presence})))
}

#[derive(Deserialize, Default)]
struct AvailabilityForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    next: String,
}

/// The header form: sets the availability and goes back to the page it came from.
async fn availability_form(State(state): State<AppState>, headers: HeaderMap, form: Result<Form<AvailabilityForm>, axum::extract::rejection::FormRejection>) -> Response {
    let form = form.map(|f| f.0).unwrap_or_default();
    let next = local_path(&percent_decode(&form.next));
    let v = viewer(&state, &headers, None).await;
    let Some(p) = v.principal.clone() else { return to_login(&next) };
    if !csrf_ok(&p, &form.csrf) {
        return crate::admin::csrf_failed(&state, &v, &p, &next).await;
    }
    let (Some(user), Some(wanted)) = (p.user_id, Availability::parse(&form.state)) else {
        return (StatusCode::UNPROCESSABLE_ENTITY, v.lang.t("presence.invalid")).into_response();
    };
    match state.store.set_availability(p.org_id, user, wanted).await {
        Ok(_) => Redirect::to(&next).into_response(),
        Err(e) => ApiError::from(e).into_response(),
    }
}

// ----- the board -----

/// Open conversations listed under "needs attention".
const HOT_LIMIT: usize = 6;

/// How much a conversation needs a supervisor's eye: complaint risk or the intensity of a negative emotion,
/// whichever is higher, plus a step per escalation signal (up to three).
pub(crate) fn heat(c: &Conversation) -> f64 {
    let negative = matches!(c.emotion.as_deref(), Some("anger" | "anxiety" | "disappointment"));
    let intensity = if negative { c.intensity } else { 0.0 };
    c.risk.max(intensity) + 0.15 * c.signals.len().min(3) as f64
}

/// The conversations to show: those with an escalation signal, a complaint risk of at least 0.3 or a negative
/// emotion of at least 0.5 intensity, hottest first (newer first on a tie), at most `limit`.
pub(crate) fn rank_hot(candidates: &[Conversation], limit: usize) -> Vec<&Conversation> {
    let negative = |c: &Conversation| matches!(c.emotion.as_deref(), Some("anger" | "anxiety" | "disappointment"));
    let mut hot: Vec<&Conversation> =
        candidates.iter().filter(|c| !c.signals.is_empty() || c.risk >= 0.3 || (negative(c) && c.intensity >= 0.5)).collect();
    hot.sort_by(|a, b| heat(b).total_cmp(&heat(a)).then(b.id.cmp(&a.id)));
    hot.truncate(limit);
    hot
}

/// A duration as a person reads it on the board: "刚刚", "12分钟", "1小时5分钟", "3天".
pub(crate) fn duration_text(lang: Lang, ms: i64) -> String {
    let minutes = ms.max(0) / 60_000;
    let [min, hour, day] = match lang {
        Lang::ZhHans => ["分钟", "小时", "天"],
        Lang::ZhHant => ["分鐘", "小時", "天"],
        Lang::En => [" min", " h", " d"],
    };
    let sep = if lang == Lang::En { " " } else { "" };
    match minutes {
        0 => lang.t("board.just_now").to_owned(),
        1..=59 => format!("{minutes}{min}"),
        60..=1439 if minutes % 60 == 0 => format!("{}{hour}", minutes / 60),
        60..=1439 => format!("{}{hour}{sep}{}{min}", minutes / 60, minutes % 60),
        _ => format!("{}{day}", minutes / 1440),
    }
}

/// "12分钟前", "刚刚".
pub(crate) fn ago_text(lang: Lang, ms: i64) -> String {
    if ms < 60_000 { lang.t("board.just_now").to_owned() } else { lang.t("board.ago").replace("{t}", &duration_text(lang, ms)) }
}


/// The smallest of 1, 2, 5, 10, 20, 50, … at least `n` (the chart's top).
fn nice_max(n: u32) -> u32 {
    let mut step = 1u32;
    loop {
        for m in [1, 2, 5] {
            if step.saturating_mul(m) >= n {
                return step.saturating_mul(m);
            }
        }
        step = step.saturating_mul(10);
    }
}

/// Per emotion ([`EMOTIONS`] order): css key, icon, catalog key, fill pattern (drawn over the colour, so the
/// segments differ without colour).
const MIX_STYLE: [(&str, &str); 5] = [
    ("#fecaca", r##"<rect width="6" height="6" fill="#fecaca"/><path d="M0 6L6 0M-1 1L1 -1M5 7L7 5" stroke="#991b1b" stroke-width="1.4"/>"##),
    ("#fde68a", r##"<rect width="6" height="6" fill="#fde68a"/><circle cx="3" cy="3" r="1.3" fill="#92400e"/>"##),
    ("#c7d2fe", r##"<rect width="6" height="6" fill="#c7d2fe"/><rect width="6" height="1.5" fill="#3730a3"/>"##),
    ("#e2e8f0", r##"<rect width="6" height="6" fill="#e2e8f0"/>"##),
    ("#bbf7d0", r##"<rect width="6" height="6" fill="#bbf7d0"/><path d="M0 0L6 6M6 0L0 6" stroke="#166534" stroke-width=".8"/>"##),
];

/// The emotion mix as a self-contained SVG: a stacked bar per bucket (oldest left), a y axis with counts, time
/// labels, and a legend naming every emotion with its icon, pattern and total. Every segment has a `<title>`;
/// the chart has a `<title>` and a `<desc>` with the totals. All text is escaped here.
pub(crate) fn mix_svg(mix: &EmotionMix, lang: Lang) -> String {
    const W: f64 = 640.0;
    const LEFT: f64 = 40.0;
    const TOP: f64 = 12.0;
    const PLOT_H: f64 = 150.0;
    const RIGHT: f64 = 8.0;
    let plot_w = W - LEFT - RIGHT;
    let axis_y = TOP + PLOT_H;
    let legend_y = axis_y + 40.0;
    let n = mix.buckets.len().max(1);
    let slot = plot_w / n as f64;
    let bar = (slot * 0.72).floor();
    let peak = mix.buckets.iter().map(|b| b.iter().sum::<u32>()).max().unwrap_or(0);
    let top = nice_max(peak.max(1));
    let total: u32 = mix.totals.iter().sum();
    let names: Vec<String> = EMOTIONS.iter().map(|e| lang.t(emotion_badge(Some(e)).2).to_owned()).collect();
    let bucket_minutes = (mix.bucket_ms / 60_000).max(1);
    let ago = |buckets_back: i64| -> String {
        let minutes = buckets_back * bucket_minutes;
        if minutes == 0 { lang.t("board.now").to_owned() } else { lang.t("board.minutes_ago").replace("{n}", &minutes.to_string()) }
    };

    let mut s = String::new();
    let title = lang.t("board.mix");
    let mut desc = lang.t("board.mix_desc").replace("{n}", &total.to_string());
    for (i, name) in names.iter().enumerate() {
        let _ = write!(desc, "{}{name} {}", if i == 0 { "" } else { lang.t("board.list_sep") }, mix.totals[i]);
    }
    let _ = write!(s, r#"<title id="mix-title">{}</title><desc id="mix-desc">{}</desc><defs>"#, xml_escape(title), xml_escape(&desc));
    for (i, (_, pattern)) in MIX_STYLE.iter().enumerate() {
        let _ = write!(s, r#"<pattern id="mix-{}" width="6" height="6" patternUnits="userSpaceOnUse">{pattern}</pattern>"#, EMOTIONS[i]);
    }
    s.push_str("</defs>");

    // Grid lines and y labels: 0, half, top.
    for value in [0, top / 2, top] {
        if value == top / 2 && (top < 2 || top % 2 == 1) {
            continue;
        }
        let y = axis_y - PLOT_H * value as f64 / top as f64;
        let _ = write!(
            s,
            r##"<line x1="{LEFT}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#e2e8f0"/><text x="{:.1}" y="{:.1}" text-anchor="end" fill="#475569">{}</text>"##,
            W - RIGHT,
            LEFT - 6.0,
            y + 4.0,
            xml_escape(&value.to_string())
        );
    }

    // Bars: one stacked bar per bucket.
    for (b, counts) in mix.buckets.iter().enumerate() {
        let x = LEFT + slot * b as f64 + (slot - bar) / 2.0;
        let mut y = axis_y;
        let from = ago((n - b) as i64);
        let to = ago((n - b - 1) as i64);
        for (e, &count) in counts.iter().enumerate() {
            if count == 0 {
                continue;
            }
            let h = PLOT_H * count as f64 / top as f64;
            y -= h;
            let label = format!("{from} – {to} · {} {count}", names[e]);
            let _ = write!(
                s,
                r##"<rect class="seg" data-emotion="{}" x="{x:.1}" y="{y:.1}" width="{bar}" height="{h:.1}" fill="url(#mix-{})" stroke="#fff" stroke-width=".6"><title>{}</title></rect>"##,
                EMOTIONS[e],
                EMOTIONS[e],
                xml_escape(&label)
            );
        }
    }
    let _ = write!(s, r##"<line x1="{LEFT}" y1="{axis_y}" x2="{:.1}" y2="{axis_y}" stroke="#64748b"/>"##, W - RIGHT);

    // Time labels: every third bucket boundary, and "now" at the right end.
    for k in (0..=n).step_by(3) {
        let x = LEFT + slot * k as f64;
        let anchor = if k == 0 { "start" } else if k == n { "end" } else { "middle" };
        let _ = write!(s, r##"<text x="{x:.1}" y="{:.1}" text-anchor="{anchor}" fill="#475569">{}</text>"##, axis_y + 16.0, xml_escape(&ago((n - k) as i64)));
    }
    if total == 0 {
        let _ = write!(
            s,
            r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" fill="#64748b" font-size="13">{}</text>"##,
            LEFT + plot_w / 2.0,
            TOP + PLOT_H / 2.0,
            xml_escape(lang.t("board.mix_empty"))
        );
    }

    // Legend: pattern swatch, icon, name, total; items laid out by their estimated width, wrapping to a new row.
    let mut x = LEFT;
    let mut row = 0.0;
    for (e, emotion) in EMOTIONS.iter().enumerate() {
        let icon = emotion_badge(Some(emotion)).1;
        let count = mix.totals[e].to_string();
        let width = 19.0 + text_width(&format!("{icon} {} {count}", names[e]), 11.0) + 18.0;
        if x > LEFT && x + width > W - RIGHT {
            x = LEFT;
            row += 20.0;
        }
        let y = legend_y + row;
        let _ = write!(
            s,
            r##"<g class="legend" data-emotion="{emotion}"><rect x="{x:.1}" y="{:.1}" width="14" height="14" fill="url(#mix-{emotion})" stroke="#64748b" stroke-width=".6"/><text x="{:.1}" y="{y:.1}" fill="#1f2937">{} {} <tspan font-weight="600">{}</tspan></text></g>"##,
            y - 11.0,
            x + 19.0,
            xml_escape(icon),
            xml_escape(&names[e]),
            xml_escape(&count)
        );
        x += width;
    }
    let height = legend_y + row + 8.0;
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="mix-chart" viewBox="0 0 {W} {height}" width="100%" role="img" aria-labelledby="mix-title mix-desc" font-size="11">{s}</svg>"#
    )
}

/// Roughly how wide a text is at `size` px (CJK and symbols a full em, Latin letters and digits about 0.6 em),
/// so legend items do not overlap.
fn text_width(text: &str, size: f64) -> f64 {
    text.chars()
        .map(|c| match c {
            ' ' => 0.3,
            c if c.is_ascii() => 0.62,
            _ => 1.0,
        })
        .sum::<f64>()
        * size
}

struct QueueView {
    name: String,
    open: i64,
    unassigned: i64,
    wait: String,
}

struct AgentView {
    name: String,
    state: &'static str,
    icon: &'static str,
    state_text: &'static str,
    since: String,
    load: i64,
}

struct HotView {
    id: i64,
    customer: String,
    emotion_key: &'static str,
    emotion_icon: &'static str,
    emotion_text: &'static str,
    intensity: i64,
    risk: i64,
    signals: Vec<&'static str>,
    waiting: String,
}

#[derive(Template)]
#[template(path = "board.html", blocks = ["live"])]
struct BoardPage {
    lang: Lang,
    langs: [Lang; 3],
    me: Option<MenuUser>,
    csrf: String,
    here: String,
    unassigned: i64,
    longest_wait: String,
    open: i64,
    online: usize,
    people: usize,
    queues: Vec<QueueView>,
    agents: Vec<AgentView>,
    hot: Vec<HotView>,
    svg: String,
    truncated: bool,
    alerts: Vec<AlertView>,
}

/// An open alert about one person, with the actions a supervisor takes in one click.
struct AlertView {
    id: i64,
    person: String,
    kind: String,
    text: &'static str,
    ago: String,
    actions: Vec<(&'static str, &'static str)>,
    /// The complaint ticket an SLA alert is about.
    ticket: Option<i64>,
}

fn alert_view(lang: Lang, alert: &anxin_store::routing::Alert, now: i64) -> AlertView {
    use anxin_store::routing::AlertAction as A;
    // An SLA alert is about a ticket, not the person's wellbeing: open the ticket, or acknowledge.
    let ticket = alert.details["ticket_id"].as_i64().filter(|_| matches!(alert.kind.as_str(), "sla_breach" | "follow_up_overdue"));
    let mut actions = if ticket.is_some() { Vec::new() } else { vec![A::GrantBreak, A::CalmerQueue, A::OneToOne] };
    if alert.kind == "reroute" {
        actions.insert(0, A::Reroute);
    }
    actions.push(A::Acknowledge);
    AlertView {
        id: alert.id,
        person: alert.user_name.clone(),
        kind: alert.kind.clone(),
        text: match lang.t(&format!("alert.{}", alert.kind)) {
            "?" => lang.t("alerts.title"),
            text => text,
        },
        ago: ago_text(lang, now - alert.created_at),
        actions: actions.into_iter().map(|a| (a.as_str(), lang.t(&format!("action.{}", a.as_str())))).collect(),
        ticket,
    }
}

/// Orders people: online, then on a break, then offline; busier first; then by name.
fn agent_order(a: &AgentRow, b: &AgentRow) -> std::cmp::Ordering {
    let rank = |s: Availability| Availability::ALL.iter().position(|x| *x == s).unwrap_or(3);
    rank(a.state).cmp(&rank(b.state)).then(b.load.cmp(&a.load)).then(a.name.cmp(&b.name))
}

async fn board_page(state: &AppState, v: &Viewer, p: &Principal) -> ApiResult<BoardPage> {
    let lang = v.lang;
    let now = state.store.now();
    let snap = state.store.board_snapshot(p.org_id, now).await?;
    let queues: Vec<QueueView> = snap
        .queues
        .iter()
        .map(|q| QueueView {
            name: q.team_name.clone().unwrap_or_else(|| lang.t("board.no_team").to_owned()),
            open: q.open,
            unassigned: q.unassigned,
            wait: q.oldest_unassigned_at.map_or_else(|| "—".to_owned(), |at| duration_text(lang, now - at)),
        })
        .collect();
    let oldest = snap.queues.iter().filter_map(|q| q.oldest_unassigned_at).min();
    let mut agents = snap.agents.clone();
    agents.sort_by(agent_order);
    let agents: Vec<AgentView> = agents
        .iter()
        .map(|a| {
            let (state, icon, key) = presence_badge(a.state);
            AgentView {
                name: a.name.clone(),
                state,
                icon,
                state_text: lang.t(key),
                since: a.since.map_or_else(|| "—".to_owned(), |at| duration_text(lang, now - at)),
                load: a.load,
            }
        })
        .collect();
    let hot = rank_hot(&snap.candidates, HOT_LIMIT)
        .into_iter()
        .map(|c| {
            let (key, icon, text) = emotion_badge(c.emotion.as_deref());
            HotView {
                id: c.id,
                customer: c.customer_name.clone(),
                emotion_key: key,
                emotion_icon: icon,
                emotion_text: lang.t(text),
                intensity: (c.intensity * 100.0).round() as i64,
                risk: (c.risk * 100.0).round() as i64,
                signals: c.signals.iter().map(|s| lang.t(&format!("signal.{s}"))).filter(|t| *t != "?").collect(),
                waiting: ago_text(lang, now - c.last_message_at),
            }
        })
        .collect();
    Ok(BoardPage {
        lang,
        langs: Lang::ALL,
        me: Some(menu_user(state, p).await),
        csrf: p.csrf_token.clone().unwrap_or_default(),
        here: percent_encode("/board"),
        unassigned: snap.queues.iter().map(|q| q.unassigned).sum(),
        longest_wait: oldest.map_or_else(|| "—".to_owned(), |at| duration_text(lang, now - at)),
        open: snap.queues.iter().map(|q| q.open).sum(),
        online: snap.agents.iter().filter(|a| a.state == Availability::Online).count(),
        people: snap.agents.len(),
        queues,
        agents,
        hot,
        svg: mix_svg(&snap.mix, lang),
        truncated: snap.mix.truncated,
        alerts: state.store.alerts(p.clone(), false).await?.iter().map(|a| alert_view(lang, a, now)).collect(),
    })
}

async fn board(State(state): State<AppState>, headers: HeaderMap, Query(q): Query<LangQuery>) -> Response {
    let v = viewer(&state, &headers, q.lang.as_deref()).await;
    let Some(p) = v.principal.clone() else { return to_login("/board") };
    if !p.role.can(Action::ViewBoard) {
        return forbidden(&v, "/board");
    }
    match board_page(&state, &v, &p).await {
        Ok(page) => render(&page, StatusCode::OK),
        Err(e) => e.into_response(),
    }
}

/// The board's `live` block alone (for `board.js`): 401 without a session, 403 for other roles.
async fn board_live(State(state): State<AppState>, headers: HeaderMap, Query(q): Query<LangQuery>) -> Response {
    let v = viewer(&state, &headers, q.lang.as_deref()).await;
    let Some(p) = v.principal.clone() else { return ApiError::Unauthenticated.into_response() };
    if !p.role.can(Action::ViewBoard) {
        return ApiError::Forbidden("your role does not allow this").into_response();
    }
    match board_page(&state, &v, &p).await {
        Ok(page) => render(&page.as_live(), StatusCode::OK),
        Err(e) => e.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pages::balanced;
    use anxin_domain::{ChannelKind, ConversationStatus, Priority};

    fn conversation(id: i64, emotion: &str, intensity: f64, risk: f64, signals: &[&str]) -> Conversation {
        Conversation {
            id,
            channel_id: 1,
            channel_kind: ChannelKind::WebChat,
            channel_name: "web".into(),
            customer_id: id,
            customer_name: format!("c{id}"),
            status: ConversationStatus::Open,
            assignee_id: None,
            team_id: None,
            priority: Priority::Normal,
            labels: vec![],
            emotion: Some(emotion.into()),
            intensity,
            peak_intensity: intensity,
            complaint_type: None,
            signals: signals.iter().map(|s| s.to_string()).collect(),
            risk,
            trajectory: "stable".into(),
            message_count: 1,
            preview: String::new(),
            last_message_at: 0,
            customer_read_id: 0,
            agent_read_id: 0,
            created_at: 0,
            updated_at: 0,
            resolved_at: None,
        }
    }

    #[test]
    fn hot_conversations_are_ranked_by_risk_intensity_and_signals() {
        let list = vec![
            conversation(1, "neutral", 0.9, 0.1, &[]),              // calm: not listed, however "intense"
            conversation(2, "anger", 0.8, 0.2, &[]),                // angry: 0.8
            conversation(3, "anxiety", 0.3, 0.5, &["urgency"]),     // 0.5 + 0.15
            conversation(4, "satisfied", 0.2, 0.1, &["regulator", "media", "legal", "shouting"]), // 0.1 + 3 × 0.15
            conversation(5, "disappointment", 0.4, 0.2, &[]),       // below every threshold
            conversation(6, "anger", 0.8, 0.2, &[]),                // ties with 2: newer first
        ];
        let ids: Vec<i64> = rank_hot(&list, 10).iter().map(|c| c.id).collect();
        assert_eq!(ids, [6, 2, 3, 4]);
        assert_eq!(rank_hot(&list, 2).len(), 2);
        assert!(rank_hot(&[], 5).is_empty());
    }

    #[test]
    fn durations_read_naturally() {
        let min = 60_000;
        assert_eq!(duration_text(Lang::ZhHans, 30_000), "刚刚");
        assert_eq!(duration_text(Lang::ZhHans, 12 * min), "12分钟");
        assert_eq!(duration_text(Lang::ZhHant, 65 * min), "1小時5分鐘");
        assert_eq!(duration_text(Lang::En, 65 * min), "1 h 5 min");
        assert_eq!(duration_text(Lang::En, 120 * min), "2 h");
        assert_eq!(duration_text(Lang::ZhHans, 3 * 1440 * min + 5), "3天");
        assert_eq!(duration_text(Lang::En, -5), "just now");
        assert_eq!(ago_text(Lang::ZhHans, 12 * min), "12分钟前");
        assert_eq!(ago_text(Lang::En, 12 * min), "12 min ago");
        assert_eq!(ago_text(Lang::ZhHant, 10), "剛剛");
    }

    #[test]
    fn percent_decoding_undoes_the_header_encoding() {
        for path in ["/inbox?view=all&c=3", "/admin/users", "/board?lang=en", "/搜索?q=退款 100%"] {
            assert_eq!(percent_decode(&percent_encode(path)), path);
        }
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
        assert_eq!(percent_decode("a+b"), "a b");
    }

    #[test]
    fn csrf_tokens_must_match_exactly() {
        let p = Principal { org_id: 1, role: anxin_domain::Role::Agent, user_id: Some(1), name: "a".into(), csrf_token: Some("abc".into()) };
        assert!(csrf_ok(&p, "abc"));
        assert!(!csrf_ok(&p, "abd") && !csrf_ok(&p, "") && !csrf_ok(&p, "abcd"));
        let token = Principal { csrf_token: None, ..p };
        assert!(!csrf_ok(&token, ""));
    }

    #[test]
    fn chart_tops_are_round() {
        assert_eq!([0, 1, 2, 3, 6, 11, 49, 51].map(nice_max), [1, 1, 2, 5, 10, 20, 50, 100]);
    }


    #[test]
    fn the_mix_chart_is_well_formed_labelled_and_escaped() {
        let now = 3_600_000 * 10;
        let samples = [(now - 1000, "anger"), (now - 1000, "anger"), (now - 20 * 60_000, "satisfied"), (now - 59 * 60_000, "neutral")];
        let mix = anxin_store::people::emotion_mix(samples.iter().copied(), now, 3_600_000, 12);
        let svg = mix_svg(&mix, Lang::ZhHans);
        balanced(&svg).unwrap();
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains(r#"<title id="mix-title">近一小时情绪分布</title>"#), "{svg}");
        assert!(svg.contains("共 4 条顾客消息"), "{svg}");
        // Every emotion is named in the legend with its icon and total, and has a pattern of its own.
        for (emotion, text) in [("anger", "▲ 愤怒 <tspan font-weight=\"600\">2</tspan>"), ("anxiety", "◆ 焦虑 <tspan font-weight=\"600\">0</tspan>"), ("satisfied", "★ 满意 <tspan font-weight=\"600\">1</tspan>")] {
            assert!(svg.contains(&format!("<pattern id=\"mix-{emotion}\"")), "{emotion}");
            assert!(svg.contains(text), "{text}");
        }
        // One segment per (bucket, emotion) with a count, each with a title.
        assert_eq!(svg.matches("<rect class=\"seg\"").count(), 3);
        assert!(svg.contains("<title>5分钟前 – 现在 · 愤怒 2</title>"), "{svg}");
        assert_eq!(svg.matches("<title").count(), 3 + 1);
        assert!(!svg.contains("mix_empty") && !svg.contains("暂无"));

        let empty = mix_svg(&anxin_store::people::emotion_mix([], now, 3_600_000, 12), Lang::En);
        balanced(&empty).unwrap();
        assert!(empty.contains("No customer messages in the last hour"));
        assert!(empty.contains("60 min ago") && empty.contains(">now<"));
    }

    #[test]
    fn svg_text_is_escaped() {
        assert_eq!(xml_escape(r#"<b>&"'"#), "&lt;b&gt;&amp;&quot;&#39;");
        assert!(balanced("<a><b/></a>").is_ok() && balanced("<a><b></a>").is_err() && balanced("<a>x > y</a>").is_err());
    }
}
