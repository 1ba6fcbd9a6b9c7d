//! Agent protection in the server: the routing dispatcher, the protection state a person and their supervisor
//! see (cool-down, streak, load), and supervisor alerts with their one-click actions (PRODUCT.md §4–5).

use std::time::Duration;

use anxin_domain::routing::RoutingSettings;
use anxin_domain::{Action, ComplaintType};
use anxin_store::routing::{AlertAction, RoutingProfile};
use anxin_store::{Principal, Store};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post, put};
use axum::{Form, Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::auth::Staff;
use crate::board::csrf_ok;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath};
use crate::pages::{to_login, viewer};

/// How often every organisation is swept even when nothing woke the dispatcher: cool-downs end, customers cross
/// the starvation and trigger limits, other nodes' changes arrive, long shifts without a break are noticed.
const SWEEP: Duration = Duration::from_secs(5);

/// Runs automatic assignment whenever a committed change may allow one, and on a periodic sweep. Failures are
/// logged and retried on the next wake-up: assignment is a convenience over a queue that stays correct.
pub async fn dispatcher(store: Store) {
    let mut sweep = tokio::time::interval(SWEEP);
    sweep.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let full = tokio::select! {
            _ = store.routing_wakeup() => false,
            _ = sweep.tick() => true,
        };
        let orgs = match store.routing_orgs().await {
            Ok(orgs) => orgs,
            Err(e) => {
                tracing::warn!(error = %e, "routing: cannot list organisations");
                continue;
            }
        };
        for org in orgs {
            match store.dispatch(org, full).await {
                Ok(made) if !made.is_empty() => tracing::debug!(org, assigned = made.len(), "routing"),
                Ok(_) => {}
                Err(e) => tracing::warn!(org, error = %e, "routing: dispatch failed"),
            }
        }
    }
}

fn person(p: &Principal) -> ApiResult<i64> {
    p.user_id.ok_or(ApiError::Forbidden("an API token has no protection state; sign in as a person"))
}

/// `GET /api/v1/me/protection`: my cool-down, hostile streak, emotional load and routing profile.
async fn my_protection(State(state): State<AppState>, staff: Staff) -> ApiResult<Json<Value>> {
    let me = person(&staff.0)?;
    let protection = state.store.protection_state(staff.0.clone(), me).await?;
    // The server's clock, so the page counts the cool-down down right even when the browser's clock is off.
    Ok(Json(json!({ "protection": protection, "now": state.store.now() })))
}

/// `GET /api/v1/users/{id}/protection`: the person, their supervisor or an admin; anyone else gets 404.
async fn user_protection(State(state): State<AppState>, staff: Staff, ApiPath(id): ApiPath<i64>) -> ApiResult<Json<Value>> {
    let protection = state.store.protection_state(staff.0.clone(), id).await?;
    if staff.0.user_id != Some(id) {
        // Every look at someone else's wellbeing-related state is on the record.
        let actor = staff.0.audit_name();
        state.store.record_audit(staff.0.org_id, actor, "protection.view", format!("user:{id}"), json!({})).await?;
    }
    Ok(Json(json!({ "protection": protection })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TriggersBody {
    triggers: Vec<String>,
}

/// `PUT /api/v1/me/triggers` `{"triggers": ["refund_return", …]}`: complaint types I would rather leave to a
/// colleague when one is free. Only mine; the rest of my profile stays as the admin set it.
async fn my_triggers(State(state): State<AppState>, staff: Staff, ApiJson(body): ApiJson<TriggersBody>) -> ApiResult<Json<Value>> {
    let me = person(&staff.0)?;
    let mut triggers = Vec::new();
    for text in &body.triggers {
        let kind = ComplaintType::parse(text)
            .ok_or_else(|| ApiError::invalid("triggers", "invalid", format!("one of {}", ComplaintType::spellings().join(", "))))?;
        if !triggers.contains(&kind) {
            triggers.push(kind);
        }
    }
    let current = state.store.protection_state(staff.0.clone(), me).await?.profile;
    let profile = RoutingProfile { triggers, ..current };
    Ok(Json(json!({ "profile": state.store.set_routing_profile(staff.0.clone(), me, profile).await? })))
}

/// `PUT /api/v1/users/{id}/routing`: capacity, experience, languages and triggers (admins).
async fn user_routing(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(id): ApiPath<i64>,
    ApiJson(profile): ApiJson<RoutingProfile>,
) -> ApiResult<Json<Value>> {
    let p = staff.require(Action::ManageUsers)?.clone();
    if !(1..=50).contains(&profile.capacity) {
        return Err(ApiError::invalid("capacity", "out_of_range", "between 1 and 50 conversations at once"));
    }
    if profile.experience > 3 {
        return Err(ApiError::invalid("experience", "out_of_range", "0 (new) to 3 (senior)"));
    }
    if profile.languages.is_empty() {
        return Err(ApiError::invalid("languages", "empty", "at least one language"));
    }
    if profile.channels.is_empty() {
        return Err(ApiError::invalid("channels", "empty", "at least one channel"));
    }
    let skill_ok = |s: &String| (1..=40).contains(&s.trim().chars().count()) && !s.chars().any(char::is_control);
    if profile.skills.len() > 20 || !profile.skills.iter().all(skill_ok) {
        return Err(ApiError::invalid("skills", "invalid", "at most 20 skills of 1 to 40 characters"));
    }
    Ok(Json(json!({ "profile": state.store.set_routing_profile(p, id, profile).await? })))
}

/// `GET`/`PUT /api/v1/teams/{id}/routing`: the team's policy and protections.
async fn team_routing_get(State(state): State<AppState>, staff: Staff, ApiPath(id): ApiPath<i64>) -> ApiResult<Json<Value>> {
    let p = staff.require(Action::ReadDirectory)?;
    Ok(Json(json!({ "routing": state.store.team_routing(p.org_id, id).await? })))
}

async fn team_routing_put(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(id): ApiPath<i64>,
    ApiJson(settings): ApiJson<RoutingSettings>,
) -> ApiResult<Json<Value>> {
    let p = staff.require(Action::ManageTeams)?.clone();
    let protection = &settings.protection;
    if !(0.0..=1.0).contains(&protection.hostile_threshold) {
        return Err(ApiError::invalid("protection.hostile_threshold", "out_of_range", "between 0 and 1"));
    }
    if protection.streak_cap == 0 {
        return Err(ApiError::invalid("protection.streak_cap", "out_of_range", "at least 1"));
    }
    if protection.cooldown_secs > 3600 || protection.cooldown_after_cap_secs > 7200 {
        return Err(ApiError::invalid("protection.cooldown_secs", "out_of_range", "at most an hour (two after a streak cap)"));
    }
    Ok(Json(json!({ "routing": state.store.set_team_routing(p, id, settings).await? })))
}

#[derive(Deserialize)]
struct AlertsQuery {
    #[serde(default)]
    include_acknowledged: Option<bool>,
}

/// `GET /api/v1/alerts`: alerts about the people I may watch (myself; my teams' people for supervisors).
async fn alerts(State(state): State<AppState>, staff: Staff, Query(q): Query<AlertsQuery>) -> ApiResult<Json<Value>> {
    let list = state.store.alerts(staff.0.clone(), q.include_acknowledged.unwrap_or(false)).await?;
    Ok(Json(json!({ "alerts": list })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ActBody {
    action: String,
}

fn parse_action(text: &str) -> ApiResult<AlertAction> {
    AlertAction::parse(text).ok_or_else(|| {
        let all: Vec<&str> = AlertAction::ALL.iter().map(|a| a.as_str()).collect();
        ApiError::invalid("action", "invalid", format!("one of {}", all.join(", ")))
    })
}

/// `POST /api/v1/alerts/{id}/act` `{"action": "grant_break" | "calmer_queue" | "one_to_one" | "reroute" | "acknowledge"}`.
async fn act(State(state): State<AppState>, staff: Staff, ApiPath(id): ApiPath<i64>, ApiJson(body): ApiJson<ActBody>) -> ApiResult<Json<Value>> {
    let action = parse_action(&body.action)?;
    Ok(Json(json!({ "alert": state.store.act_on_alert(staff.0.clone(), id, action).await? })))
}

#[derive(Deserialize, Default)]
struct ActForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    action: String,
}

/// The board's one-click buttons: `POST /board/alerts/{id}`, then back to the board.
async fn act_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
    form: Result<Form<ActForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let form = form.map(|f| f.0).unwrap_or_default();
    let v = viewer(&state, &headers, None).await;
    let Some(p) = v.principal.clone() else { return to_login("/board") };
    if !csrf_ok(&p, &form.csrf) {
        return crate::admin::csrf_failed(&state, &v, &p, "/board").await;
    }
    let action = match parse_action(&form.action) {
        Ok(action) => action,
        Err(e) => return e.into_response(),
    };
    match state.store.act_on_alert(p, id, action).await {
        Ok(_) => Redirect::to("/board").into_response(),
        Err(e) => ApiError::from(e).into_response(),
    }
}

/// My protection state as the wellbeing page shows it, with my personal triggers as checkboxes.
pub(crate) struct MineView {
    pub(crate) streak: u16,
    pub(crate) cap: u16,
    pub(crate) load: String,
    /// (complaint type, label, chosen)
    pub(crate) triggers: Vec<(&'static str, &'static str, bool)>,
}

pub(crate) async fn mine_view(state: &AppState, p: &Principal, lang: crate::i18n::Lang) -> Option<MineView> {
    let me = p.user_id?;
    let s = state.store.protection_state(p.clone(), me).await.ok()?;
    Some(MineView {
        streak: s.hostile_streak,
        cap: s.streak_cap,
        load: format!("{:.1}", s.load),
        triggers: ComplaintType::ALL
            .iter()
            .map(|c| (c.as_str(), lang.t(&format!("complaint.{c}")), s.profile.triggers.contains(c)))
            .collect(),
    })
}

/// The wellbeing page's form: `POST /me/triggers` with a `trigger` field per chosen complaint type.
async fn triggers_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Result<Form<Vec<(String, String)>>, axum::extract::rejection::FormRejection>,
) -> Response {
    let pairs = form.map(|f| f.0).unwrap_or_default();
    let v = viewer(&state, &headers, None).await;
    let Some(p) = v.principal.clone() else { return to_login("/me/wellbeing") };
    let csrf = pairs.iter().find(|(k, _)| k == "csrf").map_or("", |(_, v)| v.as_str());
    if !csrf_ok(&p, csrf) {
        return crate::admin::csrf_failed(&state, &v, &p, "/me/wellbeing").await;
    }
    let Some(me) = p.user_id else { return ApiError::Forbidden("sign in as a person").into_response() };
    let mut triggers = Vec::new();
    for (_, value) in pairs.iter().filter(|(k, _)| k == "trigger") {
        match ComplaintType::parse(value) {
            Some(kind) if !triggers.contains(&kind) => triggers.push(kind),
            Some(_) => {}
            None => return ApiError::invalid("trigger", "invalid", "a complaint type").into_response(),
        }
    }
    let current = match state.store.protection_state(p.clone(), me).await {
        Ok(s) => s.profile,
        Err(e) => return ApiError::from(e).into_response(),
    };
    match state.store.set_routing_profile(p, me, RoutingProfile { triggers, ..current }).await {
        Ok(_) => Redirect::to("/me/wellbeing?ok=triggers#protection").into_response(),
        Err(e) => ApiError::from(e).into_response(),
    }
}

/// UI texts of this area (see `i18n`).
pub const TEXTS: &[(&str, [&str; 3])] = &[
    ("alerts.title", ["需要关注的同事", "需要關注的同事", "People who need attention"]),
    ("alerts.none", ["暂无需要关注的同事", "暫無需要關注的同事", "Nobody needs attention right now"]),
    ("alert.streak_cap", ["连续接待了多位情绪激烈的客户", "連續接待了多位情緒激烈的客戶", "Several hostile customers in a row"]),
    ("alert.load_high", ["情绪负荷持续偏高", "情緒負荷持續偏高", "Emotional load high for a while"]),
    ("alert.no_break", ["连续在线很久没有休息", "連續在線很久沒有休息", "No break for a long time"]),
    ("alert.reroute", ["会话中途升级，建议改派", "會話中途升級，建議改派", "A conversation escalated mid-way: re-route suggested"]),
    ("alert.sla_breach", ["投诉工单超时，已自动升级", "投訴工單逾時，已自動升級", "A complaint ticket breached its SLA and was escalated"]),
    ("alert.follow_up_overdue", ["投诉解决后的回访已逾期", "投訴解決後的回訪已逾期", "A complaint's follow-up is overdue"]),
    ("tickets.notice.outcome_ready", ["部门已给出处理结果，请告知顾客", "部門已給出處理結果，請告知顧客", "The department's outcome is ready: tell the customer"]),
    ("tickets.notice.returned_to_agent", ["班长退回了工单，请查看意见", "班長退回了工單，請查看意見", "The lead returned a ticket: see the comment"]),
    ("tickets.notice.warning", ["工单即将超时", "工單即將逾時", "A ticket is close to its deadline"]),
    ("tickets.notice.breach", ["工单已超时并自动升级", "工單已逾時並自動升級", "A ticket breached its deadline and was escalated"]),
    ("alerts.open_ticket", ["查看工单", "查看工單", "Open ticket"]),
    ("alert.mood_drop", ["分享的心情明显下降", "分享的心情明顯下降", "A sharp drop in a shared mood check-in"]),
    ("action.grant_break", ["现在安排休息", "現在安排休息", "Grant a break now"]),
    ("action.calmer_queue", ["1 小时内只接平和客户", "1 小時內只接平和客戶", "Calmer queue for an hour"]),
    ("action.one_to_one", ["安排一对一谈话", "安排一對一談話", "Schedule a one-to-one"]),
    ("action.reroute", ["改派给其他同事", "改派給其他同事", "Re-route to a colleague"]),
    ("action.acknowledge", ["知道了", "知道了", "Acknowledge"]),
    ("cooldown.title", ["休息片刻", "休息片刻", "Take a breath"]),
    (
        "cooldown.body",
        [
            "刚才的客户情绪很激烈。冷静时间内不会给你分配新会话。",
            "剛才的客戶情緒很激烈。冷靜時間內不會給你分配新會話。",
            "That customer was intense. No new conversations come to you until the cool-down ends.",
        ],
    ),
    ("cooldown.left", ["剩余", "剩餘", "Left"]),
    ("cooldown.over", ["冷静时间结束，欢迎回来", "冷靜時間結束，歡迎回來", "Cool-down over — welcome back"]),
    ("breath.in", ["吸气 4 秒", "吸氣 4 秒", "Breathe in, 4 s"]),
    ("breath.hold", ["屏住 4 秒", "屏住 4 秒", "Hold, 4 s"]),
    ("breath.out", ["呼气 6 秒", "呼氣 6 秒", "Breathe out, 6 s"]),
    ("reframe.title", ["换个角度想", "換個角度想", "Another way to see it"]),
    ("reframe.1", ["客户投诉我 → 客户需要帮助", "客戶投訴我 → 客戶需要幫助", "The customer is attacking me → the customer needs help"]),
    ("reframe.2", ["他在骂我 → 他在气这件事，不是气我这个人", "他在罵我 → 他在氣這件事，不是氣我這個人", "He is yelling at me → he is angry at the problem, not at me"]),
    ("reframe.3", ["我又没处理好 → 我已经尽力，下一步我知道怎么做", "我又沒處理好 → 我已經盡力，下一步我知道怎麼做", "I failed again → I did my best, and I know the next step"]),
    ("reframe.4", ["这个客户不讲理 → 他现在很着急，需要先被听见", "這個客戶不講理 → 他現在很著急，需要先被聽見", "This customer is unreasonable → he is anxious and needs to be heard first"]),
    ("reframe.5", ["我受不了了 → 先深呼吸，再处理下一件事", "我受不了了 → 先深呼吸，再處理下一件事", "I can't take it → breathe first, then the next thing"]),
    ("nudge.checkin", ["开工前，记录一下今天的心情？", "開工前，記錄一下今天的心情？", "Starting your shift? Note how you feel today."]),
    ("nudge.selftest", ["你的 WHO-5 身心自评到期了，只需一分钟。", "你的 WHO-5 身心自評到期了，只需一分鐘。", "Your WHO-5 well-being self-test is due; it takes a minute."]),
    ("nudge.go", ["去记录", "去記錄", "Open"]),
    ("nudge.later", ["稍后", "稍後", "Later"]),
    ("protection.mine", ["我的保护设置", "我的保護設定", "My protection"]),
    ("protection.triggers", ["我希望尽量少接的投诉类型", "我希望盡量少接的投訴類型", "Complaint types I would rather leave to a colleague"]),
    (
        "protection.triggers_hint",
        [
            "有同事空闲时，这类会话会优先分给他们；只有你自己和管理员能看到这项设置。",
            "有同事空閒時，這類會話會優先分給他們；只有你自己和管理員能看到這項設定。",
            "When a colleague is free, these go to them first. Only you and admins see this setting.",
        ],
    ),
    ("protection.ok.triggers", ["已保存", "已儲存", "Saved"]),
    ("routing.policy", ["分配方式", "分配方式", "Assignment"]),
    ("routing.emotion_aware", ["情绪感知（推荐）", "情緒感知（推薦）", "Emotion-aware (recommended)"]),
    ("routing.least_busy", ["最空闲优先", "最空閒優先", "Least busy"]),
    ("routing.round_robin", ["轮流分配", "輪流分配", "Round robin"]),
    ("routing.streak_cap", ["连续激烈会话上限", "連續激烈會話上限", "Hostile streak cap"]),
    ("routing.cooldown_minutes", ["冷静时间（分钟）", "冷靜時間（分鐘）", "Cool-down (minutes)"]),
    ("admin.ok.routing_saved", ["分配设置已保存", "分配設定已儲存", "Routing settings saved"]),
    (
        "admin.error.routing",
        [
            "请选择分配方式，上限为 1–20，冷静时间为 0–60 分钟",
            "請選擇分配方式，上限為 1–20，冷靜時間為 0–60 分鐘",
            "Choose an assignment policy, a cap of 1–20 and a cool-down of 0–60 minutes",
        ],
    ),
    ("nav.my_wellbeing", ["我的身心", "我的身心", "My wellbeing"]),
    ("nav.team_wellbeing", ["团队晴雨表", "團隊晴雨表", "Team weather"]),
    ("protection.streak", ["连续激烈会话", "連續激烈會話", "Hostile streak"]),
    ("protection.load", ["情绪负荷", "情緒負荷", "Emotional load"]),
];

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/me/protection", get(my_protection))
        .route("/api/v1/me/triggers", put(my_triggers))
        .route("/api/v1/users/{id}/protection", get(user_protection))
        .route("/api/v1/users/{id}/routing", put(user_routing))
        .route("/api/v1/teams/{id}/routing", get(team_routing_get).put(team_routing_put))
        .route("/api/v1/alerts", get(alerts))
        .route("/api/v1/alerts/{id}/act", post(act))
        .route("/board/alerts/{id}", post(act_form))
        .route("/me/triggers", post(triggers_form))
        .route(
            "/assets/protection.js",
            get(|| async {
                ([(header::CONTENT_TYPE, "application/javascript; charset=utf-8"), (header::CACHE_CONTROL, "no-cache")], include_str!("../assets/protection.js"))
            }),
        )
}
