//! The agent workspace (`/inbox`): the conversation list with filters, the open conversation with its emotion
//! trajectory, the customer's profile and history, the strategy card, the reply box (tone check in `app.js`), and
//! the conversation actions (assign, transfer, resolve, reopen, priority, labels) as plain forms, so every action
//! works without JavaScript and is checked on the server like the API.

use std::fmt::Write as _;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;

use anxin_domain::input::Labels;
use anxin_domain::strategy::Strategy;
use anxin_domain::{Action, ConversationStatus, MessageKind, Priority, Role};
use anxin_store::{Conversation, ConversationFilter, ConversationPatch, Customer, Message, Principal, StoreError};

use super::{Viewer, forbidden, local_path, percent_encode, render, to_login, viewer};
use crate::AppState;
use crate::i18n::Lang;

/// Conversations per page of the list (keyset paging beyond).
const PAGE_SIZE: i64 = 50;
const EMOTIONS: [&str; 5] = ["anger", "anxiety", "disappointment", "neutral", "satisfied"];
const COMPLAINTS: [&str; 8] = ["quality", "logistics", "price", "service", "refund_return", "size_spec", "payment", "other"];
const STATUSES: [&str; 4] = ["open", "pending", "snoozed", "resolved"];
/// Complaint risk from which a conversation counts as high risk in the list filter and row flag.
const HIGH_RISK: f64 = 0.6;

/// Emotion key → (css key, icon, catalog key). The icon and text go with the colour, so a badge never relies on
/// colour alone.
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

/// A date (UTC) for the profile: `2026-11-25`.
fn date(ms: i64) -> String {
    anxin_domain::calendar::LocalDate::from_day_number(ms.div_euclid(86_400_000)).to_string()
}

// ----- the list's filters, read from and written to the query string -----

#[derive(Deserialize, Default)]
pub(super) struct InboxQuery {
    view: Option<String>,
    status: Option<String>,
    emotion: Option<String>,
    complaint: Option<String>,
    risk: Option<String>,
    before: Option<String>,
    c: Option<String>,
    lang: Option<String>,
    notice: Option<String>,
}

/// What the list shows. Unknown values fall back to the defaults: a filter link is not an API, and a stale
/// bookmark should still open the inbox.
#[derive(Debug, Clone, PartialEq)]
struct InboxFilter {
    view: &'static str,
    /// `None`: any status.
    status: Option<&'static str>,
    emotion: Option<&'static str>,
    complaint: Option<&'static str>,
    high_risk: bool,
    before: Option<(i64, i64)>,
}

fn pick(value: Option<&str>, allowed: &[&'static str]) -> Option<&'static str> {
    value.and_then(|v| allowed.iter().copied().find(|a| *a == v))
}

impl InboxFilter {
    /// `default_view` applies when the query names none: agents start with their own conversations, people who
    /// oversee the queue with all of them.
    fn from_query(q: &InboxQuery, default_view: &'static str) -> Self {
        let status = match q.status.as_deref() {
            Some("any") => None,
            other => Some(pick(other, &STATUSES).unwrap_or("open")),
        };
        let before = q.before.as_deref().and_then(|c| {
            let (at, id) = c.split_once(':')?;
            Some((at.parse().ok()?, id.parse().ok()?))
        });
        Self {
            view: pick(q.view.as_deref(), &["mine", "unassigned", "team", "all"]).unwrap_or(default_view),
            status,
            emotion: pick(q.emotion.as_deref(), &EMOTIONS),
            complaint: pick(q.complaint.as_deref(), &COMPLAINTS),
            high_risk: q.risk.as_deref() == Some("high"),
            before,
        }
    }

    /// The query string for this filter (without paging), with `view` replaced when given.
    fn query(&self, view: Option<&str>) -> String {
        let mut out = format!("view={}&status={}", view.unwrap_or(self.view), self.status.unwrap_or("any"));
        if let Some(e) = self.emotion {
            let _ = write!(out, "&emotion={e}");
        }
        if let Some(k) = self.complaint {
            let _ = write!(out, "&complaint={k}");
        }
        if self.high_risk {
            out.push_str("&risk=high");
        }
        out
    }

    fn store_filter(&self, me: &Principal, my_teams: Vec<i64>) -> ConversationFilter {
        ConversationFilter {
            status: self.status.and_then(ConversationStatus::parse),
            assignee_id: match self.view {
                "mine" => Some(me.user_id),
                "unassigned" => Some(None),
                _ => None,
            },
            team_ids: (self.view == "team").then_some(my_teams),
            emotion: self.emotion.map(str::to_owned),
            complaint_type: self.complaint.map(str::to_owned),
            min_risk: self.high_risk.then_some(HIGH_RISK),
            before: self.before,
            limit: PAGE_SIZE,
            ..Default::default()
        }
    }
}

// ----- the emotion trajectory as a small server-rendered SVG -----

/// One customer message on the trajectory: its emotion and intensity (0–1).
pub(crate) struct TrajectoryPoint<'a> {
    pub emotion: &'a str,
    pub intensity: f64,
    pub label: String,
}

/// A line of intensity across the customer's messages, each point marked with its emotion's icon (so the chart
/// does not rely on colour) and a `<title>` naming emotion and intensity. Empty for no points.
pub(crate) fn trajectory_svg(points: &[TrajectoryPoint<'_>], title: &str) -> String {
    if points.is_empty() {
        return String::new();
    }
    let points = &points[points.len().saturating_sub(30)..];
    let (w, h, pad) = (240.0, 64.0, 10.0);
    let step = if points.len() > 1 { (w - 2.0 * pad) / (points.len() - 1) as f64 } else { 0.0 };
    let xy: Vec<(f64, f64)> = points
        .iter()
        .enumerate()
        .map(|(i, p)| (pad + step * i as f64, h - pad - p.intensity.clamp(0.0, 1.0) * (h - 2.0 * pad)))
        .collect();
    let mut svg = format!(
        "<svg class=\"trajectory\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\" aria-label=\"{}\"><title>{}</title>",
        crate::pages::xml_escape(title),
        crate::pages::xml_escape(title)
    );
    let _ = write!(svg, "<line x1=\"{pad}\" y1=\"{0}\" x2=\"{1}\" y2=\"{0}\" class=\"axis\"/>", h - pad, w - pad);
    let line: Vec<String> = xy.iter().map(|(x, y)| format!("{x:.1},{y:.1}")).collect();
    let _ = write!(svg, "<polyline points=\"{}\" class=\"line\"/>", line.join(" "));
    for (p, (x, y)) in points.iter().zip(&xy) {
        let (key, icon, _) = emotion_badge(Some(p.emotion));
        let _ = write!(
            svg,
            "<g class=\"pt emo-{key}\"><title>{}</title><circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"7\"/><text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{icon}</text></g>",
            crate::pages::xml_escape(&p.label),
            y + 3.5
        );
    }
    svg.push_str("</svg>");
    svg
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

// ----- the page -----

struct Row {
    id: i64,
    customer: String,
    preview: String,
    emotion_key: &'static str,
    emotion_icon: &'static str,
    emotion_text: &'static str,
    intensity_percent: i64,
    status_text: &'static str,
    waiting: String,
    high_risk: bool,
    has_signals: bool,
    selected: bool,
}

struct Choice {
    value: String,
    text: String,
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
    trajectory_svg: String,
    risk_percent: i64,
    complaint_text: Option<&'static str>,
    status_text: &'static str,
    resolved: bool,
    assigned_to_me: bool,
    assignee_text: String,
    team_text: String,
    labels: String,
    signals: Vec<&'static str>,
    agents: Vec<Choice>,
    teams: Vec<Choice>,
    priorities: Vec<Choice>,
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
    complaint_text: Option<&'static str>,
}

struct ProfileView {
    name: String,
    contacts: Vec<(&'static str, String)>,
    since: String,
    history: Vec<HistoryRow>,
}

struct HistoryRow {
    id: i64,
    date: String,
    preview: String,
    emotion_key: &'static str,
    emotion_icon: &'static str,
    emotion_text: &'static str,
    status_text: &'static str,
}

struct StrategyView {
    title: &'static str,
    lines: Vec<&'static str>,
    script: &'static str,
}

#[derive(Template)]
#[template(path = "inbox.html")]
struct InboxPage {
    lang: Lang,
    langs: [Lang; 3],
    me: Option<crate::board::MenuUser>,
    csrf: String,
    here: String,
    me_id: i64,
    /// The page's own URL (not percent-encoded), where actions come back to.
    back: String,
    filter_query: String,
    view: &'static str,
    views: Vec<(&'static str, &'static str, String)>,
    statuses: Vec<Choice>,
    emotions: Vec<Choice>,
    complaints: Vec<Choice>,
    high_risk: bool,
    rows: Vec<Row>,
    more: Option<String>,
    current: Option<Current>,
    messages: Vec<MessageView>,
    strategy: Option<StrategyView>,
    profile: Option<ProfileView>,
    can_assign_others: bool,
    can_reply: bool,
    notice: Option<&'static str>,
    /// The "建议立案" card (`templates/tickets_suggestion.html`), when `tickets::suggested_ticket` says so.
    suggestion: Option<super::tickets::Suggestion>,
    /// The reply assistant's panel (`templates/inbox_assist.html`), rendered, for someone who may reply.
    assist_html: Option<String>,
    /// Names of the tone check's missing elements and problem kinds in this language, for the script.
    texts_json: String,
}

pub(super) async fn inbox(State(state): State<AppState>, headers: HeaderMap, Query(q): Query<InboxQuery>) -> Response {
    let v = viewer(&state, &headers, q.lang.as_deref()).await;
    let default_view = match v.principal.as_ref().map(|p| p.role) {
        Some(Role::Agent) | None => "mine",
        Some(_) => "all",
    };
    let filter = InboxFilter::from_query(&q, default_view);
    let selected = q.c.as_deref().and_then(|c| c.parse::<i64>().ok());
    let mut here = format!("/inbox?{}", filter.query(None));
    if let Some(c) = selected {
        let _ = write!(here, "&c={c}");
    }
    let Some(p) = v.principal.clone() else { return to_login(&here) };
    if !p.role.can(Action::ReadConversations) {
        return forbidden(&v, &here);
    }
    let notice = match q.notice.as_deref() {
        Some("updated") => Some("action.updated"),
        Some("failed") => Some("error.action_failed"),
        _ => None,
    };
    match inbox_page(&state, &v, &p, &filter, selected, &here, notice).await {
        Ok(page) => render(&page, StatusCode::OK),
        Err(StoreError::NotFound) => (StatusCode::NOT_FOUND, Html(v.lang.t("error.not_found"))).into_response(),
        Err(e) => crate::error::ApiError::from(e).into_response(),
    }
}

fn choices(lang: Lang, values: &[&'static str], prefix: &str, selected: Option<&str>) -> Vec<Choice> {
    let mut out = vec![Choice { value: String::new(), text: lang.t("filter.any").to_owned(), selected: selected.is_none() }];
    out.extend(values.iter().map(|v| Choice {
        value: (*v).to_owned(),
        text: lang.t(&format!("{prefix}.{v}")).to_owned(),
        selected: selected == Some(*v),
    }));
    out
}

async fn inbox_page(
    state: &AppState,
    v: &Viewer,
    p: &Principal,
    filter: &InboxFilter,
    selected: Option<i64>,
    here: &str,
    notice: Option<&'static str>,
) -> Result<InboxPage, StoreError> {
    let lang = v.lang;
    let teams = state.store.teams(p.org_id).await?;
    let my_teams: Vec<i64> = teams.iter().filter(|t| p.user_id.is_some_and(|me| t.member_ids.contains(&me))).map(|t| t.id).collect();
    let list = state.store.conversations(p.org_id, filter.store_filter(p, my_teams)).await?;
    let now = state.store.now();
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
                intensity_percent: (c.intensity * 100.0).round() as i64,
                status_text: lang.t(status_key(c.status)),
                waiting: waiting(lang, c.last_message_at, now),
                high_risk: c.risk >= HIGH_RISK,
                has_signals: !c.signals.is_empty(),
                selected: Some(c.id) == selected,
            }
        })
        .collect();
    let more = (list.len() as i64 == PAGE_SIZE)
        .then(|| list.last().map(|c| format!("/inbox?{}&before={}:{}", filter.query(None), c.last_message_at, c.id)))
        .flatten();

    let (mut current, mut messages, mut strategy, mut profile, mut suggestion) = (None, Vec::new(), None, None, None);
    if let Some(id) = selected {
        let c = state.store.conversation(p.org_id, id).await?;
        let list: Vec<Message> = state.store.messages(p.org_id, id, 0, 500, false).await?;
        let customer = state.store.customer(p.org_id, c.customer_id).await?;
        let history = state
            .store
            .conversations(p.org_id, ConversationFilter { customer_id: Some(c.customer_id), limit: 20, ..Default::default() })
            .await?;
        let users = state.store.users(p.org_id).await?;
        messages = list.iter().map(|m| message_view(lang, m)).collect();
        let points: Vec<TrajectoryPoint<'_>> = list
            .iter()
            .filter(|m| m.kind == MessageKind::Customer)
            .filter_map(|m| {
                let a = m.analysis.as_ref()?;
                let emotion = a["emotion"]["label"].as_str()?;
                let intensity = a["emotion"]["intensity"].as_f64().unwrap_or(0.0);
                let (_, _, text) = emotion_badge(Some(emotion));
                Some(TrajectoryPoint { emotion, intensity, label: format!("{} {:.0}%", lang.t(text), intensity * 100.0) })
            })
            .collect();
        let chosen = Strategy::choose(c.emotion.as_deref(), &c.signals, c.risk);
        let key = chosen.key();
        let (emotion_key, icon, text) = emotion_badge(c.emotion.as_deref());
        strategy = Some(StrategyView {
            title: if chosen == Strategy::IrrationalComplaint { lang.t("strategy.irrational") } else { lang.t(text) },
            lines: (1..=3).map(|i| lang.t(&format!("strategy.{key}.{i}"))).collect(),
            script: lang.t(&format!("strategy.{key}.script")),
        });
        profile = Some(profile_view(lang, &customer, &history, c.id));
        if p.role.can(Action::UpdateConversation) && p.user_id.is_some() {
            let open_ticket = state.store.has_open_ticket(p.org_id, c.id).await?;
            suggestion = super::tickets::suggested_ticket(c.complaint_type.as_deref(), c.risk, &c.signals, open_ticket)
                .map(|kind| super::tickets::Suggestion::new(lang, c.id, kind, c.risk, &c.signals));
        }
        let name_of = |id: i64| users.iter().find(|u| u.id == id).map(|u| u.display_name.clone()).unwrap_or_else(|| format!("#{id}"));
        current = Some(Current {
            id: c.id,
            customer: c.customer_name.clone(),
            channel: c.channel_name.clone(),
            emotion_key,
            emotion_icon: icon,
            emotion_text: lang.t(text),
            trajectory_text: lang.t(&format!("conversation.trajectory.{}", c.trajectory)),
            trajectory_svg: trajectory_svg(&points, lang.t("conversation.trajectory")),
            risk_percent: (c.risk * 100.0).round() as i64,
            complaint_text: c.complaint_type.as_ref().map(|k| lang.t(&format!("complaint.{k}"))),
            status_text: lang.t(status_key(c.status)),
            resolved: c.status == ConversationStatus::Resolved,
            assigned_to_me: c.assignee_id.is_some() && c.assignee_id == p.user_id,
            assignee_text: c.assignee_id.map(name_of).unwrap_or_else(|| lang.t("conversation.nobody").to_owned()),
            team_text: c
                .team_id
                .and_then(|t| teams.iter().find(|x| x.id == t).map(|x| x.name.clone()))
                .unwrap_or_else(|| lang.t("conversation.no_team").to_owned()),
            labels: c.labels.join(", "),
            signals: c.signals.iter().map(|s| lang.t(&format!("signal.{s}"))).collect(),
            agents: users
                .iter()
                .filter(|u| u.active && matches!(u.role, Role::Agent | Role::Supervisor | Role::Admin))
                .map(|u| Choice { value: u.id.to_string(), text: u.display_name.clone(), selected: Some(u.id) == c.assignee_id })
                .collect(),
            teams: teams.iter().map(|t| Choice { value: t.id.to_string(), text: t.name.clone(), selected: Some(t.id) == c.team_id }).collect(),
            priorities: ["low", "normal", "high", "urgent"]
                .into_iter()
                .map(|k| Choice { value: k.to_owned(), text: lang.t(&format!("priority.{k}")).to_owned(), selected: c.priority.as_str() == k })
                .collect(),
        });
    }
    let filter_query = filter.query(None);
    let mut assist_html = None;
    if let (Some(id), true) = (selected, p.role.can(Action::Reply)) {
        // Suggestions help; their absence must not cost the agent the conversation.
        match crate::assist::panel(state, p, id, lang).await {
            Ok(panel) => assist_html = askama::Template::render(&panel).ok(),
            Err(e) => tracing::warn!(error = ?e, conversation = id, "reply assistant unavailable"),
        }
    }
    Ok(InboxPage {
        lang,
        langs: Lang::ALL,
        me: Some(crate::board::menu_user(state, p).await),
        csrf: p.csrf_token.clone().unwrap_or_default(),
        here: percent_encode(here),
        me_id: p.user_id.unwrap_or(0),
        back: here.to_owned(),
        view: filter.view,
        views: ["mine", "unassigned", "team", "all"]
            .into_iter()
            .map(|k| (k, lang.t(&format!("inbox.{k}")), filter.query(Some(k))))
            .collect(),
        statuses: {
            let mut s = choices(lang, &STATUSES, "status", filter.status);
            s[0].value = "any".into();
            s
        },
        emotions: choices(lang, &EMOTIONS, "emotion", filter.emotion),
        complaints: choices(lang, &COMPLAINTS, "complaint", filter.complaint),
        high_risk: filter.high_risk,
        filter_query,
        rows,
        more,
        current,
        messages,
        strategy,
        profile,
        can_assign_others: p.role.can(Action::AssignOthers),
        can_reply: p.role.can(Action::Reply),
        notice,
        suggestion,
        assist_html,
        texts_json: serde_json::json!({
            "missing": {
                "acknowledgement": lang.t("tone.missing.acknowledgement"),
                "apology": lang.t("tone.missing.apology"),
                "next_step_with_time": lang.t("tone.missing.next_step_with_time"),
                "options": lang.t("tone.missing.options"),
                "answer": lang.t("tone.missing.answer"),
            },
            "emotion": EMOTIONS.iter().map(|e| (e.to_string(), serde_json::Value::from(lang.t(&format!("emotion.{e}"))))).collect::<serde_json::Map<_, _>>(),
            // The tone check's advice per problem, in the agent's language (the API's own advice is Simplified Chinese).
            "problems": anxin_text::tone::ToneProblemKind::ALL
                .iter()
                .map(|k| (k.as_str().to_string(), serde_json::Value::from(lang.t(&format!("tone.problem.{}", k.as_str())))))
                .collect::<serde_json::Map<_, _>>(),
            "checking": lang.t("tone.checking"),
            "failed": lang.t("error.action_failed"),
            "too_long": lang.t("error.too_long"),
            "intensity": lang.t("conversation.intensity"),
            "typing": lang.t("inbox.customer_typing"),
            "just_now": lang.t("inbox.just_now"),
            "risk": lang.t("conversation.risk"),
            "status": STATUSES.iter().map(|k| (k.to_string(), serde_json::Value::from(lang.t(&format!("status.{k}"))))).collect::<serde_json::Map<_, _>>(),
            "new_conversations": lang.t("inbox.new_conversations"),
            "fill_first": lang.t("assist.fill_first"),
            "knowledge_updated": lang.t("assist.updated"),
            "ticket_notice": {
                "outcome_ready": lang.t("tickets.notice.outcome_ready"),
                "returned_to_agent": lang.t("tickets.notice.returned_to_agent"),
                "warning": lang.t("tickets.notice.warning"),
                "breach": lang.t("tickets.notice.breach"),
                "open": lang.t("alerts.open_ticket"),
            },
            "protection": crate::protection::TEXTS
                .iter()
                .map(|(key, _)| (key.to_string(), serde_json::Value::from(lang.t(key))))
                .collect::<serde_json::Map<_, _>>(),
        })
        .to_string(),
    })
}

fn message_view(lang: Lang, m: &Message) -> MessageView {
    let customer = m.kind == MessageKind::Customer;
    MessageView {
        id: m.id,
        kind: m.kind.as_str(),
        segments: segments(&m.text, m.analysis.as_ref()),
        emotion: customer.then(|| {
            let label = m.analysis.as_ref().and_then(|a| a["emotion"]["label"].as_str());
            let (key, icon, text) = emotion_badge(label);
            let intensity = m.analysis.as_ref().and_then(|a| a["emotion"]["intensity"].as_f64()).unwrap_or(0.0);
            EmotionView { key, icon, text: lang.t(text), intensity: format!("{:.0}%", intensity * 100.0) }
        }),
        complaint_text: customer
            .then(|| m.analysis.as_ref().and_then(|a| a["complaint"]["label"].as_str()))
            .flatten()
            .and_then(|k| COMPLAINTS.contains(&k).then(|| lang.t(&format!("complaint.{k}")))),
    }
}

fn profile_view(lang: Lang, customer: &Customer, history: &[Conversation], current: i64) -> ProfileView {
    ProfileView {
        name: customer.name.clone(),
        contacts: customer
            .contacts
            .iter()
            .map(|c| (lang.t(&format!("contact.{}", c.kind.as_str())), c.value.clone()))
            .collect(),
        since: date(customer.created_at),
        history: history
            .iter()
            .filter(|c| c.id != current)
            .map(|c| {
                let (key, icon, text) = emotion_badge(c.emotion.as_deref());
                HistoryRow {
                    id: c.id,
                    date: date(c.created_at),
                    preview: c.preview.clone(),
                    emotion_key: key,
                    emotion_icon: icon,
                    emotion_text: lang.t(text),
                    status_text: lang.t(status_key(c.status)),
                }
            })
            .collect(),
    }
}

// ----- actions on the open conversation -----

#[derive(Deserialize)]
pub(super) struct ActionForm {
    csrf: String,
    op: String,
    #[serde(default)]
    value: String,
    #[serde(default)]
    back: String,
}

/// One conversation action from the workspace's forms; answers with a redirect back to where the agent was.
pub(super) async fn act(State(state): State<AppState>, headers: HeaderMap, Path(id): Path<i64>, Form(form): Form<ActionForm>) -> Response {
    let v = viewer(&state, &headers, None).await;
    let back = local_path(&form.back);
    let Some(p) = v.principal.clone() else { return to_login(&back) };
    if p.csrf_token.as_deref() != Some(form.csrf.as_str()) {
        return (StatusCode::FORBIDDEN, "missing or wrong CSRF token").into_response();
    }
    let (patch, needs) = match action_patch(&form.op, form.value.trim(), p.user_id) {
        Ok(x) => x,
        Err(()) => return redirect_notice(&back, "failed"),
    };
    if !needs.iter().all(|a| p.role.can(*a)) {
        return forbidden(&v, &back);
    }
    match state.store.update_conversation(p, id, patch).await {
        Ok(_) => redirect_notice(&back, "updated"),
        Err(StoreError::NotFound) => (StatusCode::NOT_FOUND, Html(v.lang.t("error.not_found"))).into_response(),
        Err(StoreError::Conflict(_)) => redirect_notice(&back, "failed"),
        Err(e) => crate::error::ApiError::from(e).into_response(),
    }
}

fn redirect_notice(back: &str, notice: &str) -> Response {
    let base: String = back.split("&notice=").next().unwrap_or(back).to_owned();
    let sep = if base.contains('?') { '&' } else { '?' };
    Redirect::to(&format!("{base}{sep}notice={notice}")).into_response()
}

/// The store patch for a form action, and the permissions it needs (pure; tested directly).
fn action_patch(op: &str, value: &str, me: Option<i64>) -> Result<(ConversationPatch, Vec<Action>), ()> {
    let mut patch = ConversationPatch::default();
    let mut needs = vec![Action::UpdateConversation];
    match op {
        "assign_me" => patch.assignee_id = Some(Some(me.ok_or(())?)),
        "assign" => {
            let user = if value.is_empty() { None } else { Some(value.parse::<i64>().map_err(|_| ())?) };
            if user != me {
                needs.push(Action::AssignOthers);
            }
            patch.assignee_id = Some(user);
        }
        "transfer" => {
            let team = if value.is_empty() { None } else { Some(value.parse::<i64>().map_err(|_| ())?) };
            needs.push(Action::AssignOthers);
            patch.team_id = Some(team);
        }
        "resolve" => patch.status = Some(ConversationStatus::Resolved),
        "reopen" => patch.status = Some(ConversationStatus::Open),
        "priority" => patch.priority = Some(Priority::parse(value).ok_or(())?),
        "labels" => {
            let list: Vec<String> = value.split([',', '，', '、']).map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect();
            patch.labels = Some(Labels::parse(&list).map_err(|_| ())?);
        }
        _ => return Err(()),
    }
    Ok((patch, needs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signals_are_split_out_by_character_offsets() {
        let analysis = serde_json::json!({"signals": [{"kind": "regulator", "span": {"start": 3, "end": 8}}, {"kind": "bogus", "span": {"start": 90, "end": 99}}]});
        let segs = segments("我要去12315投诉", Some(&analysis));
        let parts: Vec<(&str, Option<&str>)> = segs.iter().map(|s| (s.text.as_str(), s.signal.as_deref())).collect();
        assert_eq!(parts, [("我要去", None), ("12315", Some("regulator")), ("投诉", None)]);
    }

    #[test]
    fn filters_round_trip_and_ignore_unknown_values() {
        let q = InboxQuery {
            view: Some("team".into()),
            status: Some("pending".into()),
            emotion: Some("anger".into()),
            complaint: Some("<script>".into()),
            risk: Some("high".into()),
            before: Some("1700000000000:42".into()),
            ..Default::default()
        };
        let f = InboxFilter::from_query(&q, "mine");
        assert_eq!((f.view, f.status, f.emotion, f.complaint, f.high_risk, f.before), ("team", Some("pending"), Some("anger"), None, true, Some((1_700_000_000_000, 42))));
        assert_eq!(f.query(None), "view=team&status=pending&emotion=anger&risk=high");
        assert_eq!(f.query(Some("mine")), "view=mine&status=pending&emotion=anger&risk=high");

        let defaults = InboxFilter::from_query(&InboxQuery { view: Some("everything".into()), before: Some("x:y".into()), ..Default::default() }, "mine");
        assert_eq!((defaults.view, defaults.status, defaults.before), ("mine", Some("open"), None));
        assert_eq!(InboxFilter::from_query(&InboxQuery::default(), "all").view, "all");
        let any = InboxFilter::from_query(&InboxQuery { status: Some("any".into()), ..Default::default() }, "mine");
        assert_eq!(any.status, None);
    }

    #[test]
    fn actions_need_the_right_permissions() {
        let (patch, needs) = action_patch("assign", "7", Some(3)).unwrap();
        assert_eq!((patch.assignee_id, needs), (Some(Some(7)), vec![Action::UpdateConversation, Action::AssignOthers]));
        let (patch, needs) = action_patch("assign", "3", Some(3)).unwrap();
        assert_eq!((patch.assignee_id, needs), (Some(Some(3)), vec![Action::UpdateConversation]));
        let (patch, needs) = action_patch("transfer", "", Some(3)).unwrap();
        assert_eq!((patch.team_id, needs.contains(&Action::AssignOthers)), (Some(None), true));
        assert_eq!(action_patch("resolve", "", Some(3)).unwrap().0.status, Some(ConversationStatus::Resolved));
        let labels = action_patch("labels", "催发货，退款, ", Some(3)).unwrap().0.labels.unwrap();
        assert_eq!(labels.as_slice(), ["催发货", "退款"]);
        for (op, value) in [("assign", "abc"), ("priority", "highest"), ("drop_table", ""), ("assign_me", "")] {
            let me = if op == "assign_me" { None } else { Some(3) };
            assert!(action_patch(op, value, me).is_err(), "{op} {value}");
        }
    }

    #[test]
    fn trajectory_marks_each_message_and_escapes_labels() {
        assert_eq!(trajectory_svg(&[], "t"), "");
        let points = [
            TrajectoryPoint { emotion: "anxiety", intensity: 0.3, label: "焦虑 30%".into() },
            TrajectoryPoint { emotion: "anger", intensity: 0.9, label: "<b>".into() },
        ];
        let svg = trajectory_svg(&points, "情绪轨迹");
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert_eq!(svg.matches("<circle").count(), 2);
        assert!(svg.contains("emo-anger") && svg.contains('▲') && svg.contains('◆'));
        assert!(svg.contains("&lt;b&gt;") && !svg.contains("<b>"));
        // Higher intensity is drawn higher (smaller y).
        let ys: Vec<f64> = svg.match_indices("cy=\"").map(|(i, _)| svg[i + 4..].split('"').next().unwrap().parse().unwrap()).collect();
        assert!(ys[1] < ys[0], "{ys:?}");
    }

    #[test]
    fn dates_are_civil_utc() {
        assert_eq!(date(0), "1970-01-01");
        assert_eq!(date(1_764_028_800_000), "2025-11-25");
        assert_eq!(date(951_782_400_000), "2000-02-29");
    }
}
