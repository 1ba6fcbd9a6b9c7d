//! The role-play simulator as agents and trainers use it (issue 8, PRODUCT.md §8): practice conversations against
//! the simulated customers of `anxin_training`, each reply scored, a debrief at the end; trainers turn resolved
//! real conversations into scenarios of their own.
//!
//! A session is stored as scenario + seed + the agent's replies (`anxin_store::roleplay`). Every request that
//! needs the conversation rebuilds it: `Session::start(scenario, seed)`, then `reply()` for each stored reply (on a
//! blocking thread: each reply runs the text engine). A new reply is scored on the rebuilt session and stored with
//! the turn count it started from, so two tabs cannot both write the same turn: the second gets 409
//! `roleplay_changed` and its text back. The session records the digest of the scenario file it started on; a
//! scenario changed since (a new release, an edited starter) makes the rebuilt conversation untrustworthy, and
//! replies are then refused with 409 `roleplay_scenario_changed` (a finished session keeps its stored debrief).
//!
//! JSON API (`/api/v1/roleplay/…`): the scenarios (starter ones and the organisation's own), a scenario saved from
//! TOML (coaches; problems as `file:line: field: message`), a draft from a resolved conversation (coaches; the
//! customer's words from the stored analysis' masked text, the agent's masked here), sessions (start, one with its
//! transcript and scored turns, a reply, finish, the debrief, mine or a person's).
//!
//! Pages: `/academy/roleplay` (scenario cards, my sessions), `/academy/roleplay/{id}` (the practice chat in the
//! workspace's look; a plain form POST without JavaScript, `assets/roleplay.js` posts to the API and appends the
//! bubbles live), `/academy/roleplay/{id}/debrief` (outcome, the mean scores as a server-drawn SVG chart, each of
//! the agent's lines quoted with its scores, what it lacked, the model answer, the tone rewrite), and for coaches
//! `/academy/scenarios/new?from=<conversation id>`.
//!
//! Everyone practises (any role, as a person); trainers, supervisors and admins also read everyone's sessions of
//! their organisation and write scenarios (`anxin_store::roleplay::is_coach`). Another person's session is 404.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::LazyLock;

use askama::Template;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use anxin_store::roleplay::{
    NewRoleplay, NewScenario, RoleplayOutcome, RoleplayResult, RoleplayScores, RoleplaySession, RoleplaySummary, ScenarioSource, SourceCandidate,
    SourceSpeaker, TrainingScenario, is_coach,
};
use anxin_store::{Principal, StoreError};
use anxin_text::{Analyzer, ComplaintType, Emotion};
use anxin_training::scenario::{STARTER_FILES, Scenario};
use anxin_training::{Debrief, Need, Outcome, ReplyContext, Session, SessionError, Turn};

use crate::AppState;
use crate::auth::Staff;
use crate::board::{MenuUser, csrf_ok, menu_user};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::i18n::Lang;
use crate::pages::{Viewer, emotion_badge, forbidden, percent_encode, render, to_login, viewer, xml_escape};

/// UI texts of the role-play pages (see `i18n`).
pub const TEXTS: &[(&str, [&str; 3])] = &[
    ("rp.title", ["情景演练", "情境演練", "Role-play practice"]),
    ("rp.intro", ["和模拟客户练习对话：客户的情绪会随你的回复变化，每条回复都会打分，结束后有复盘。", "和模擬客戶練習對話：客戶的情緒會隨你的回覆變化，每則回覆都會評分，結束後有復盤。", "Practise with simulated customers: their emotion follows what you write, every reply is scored, and a debrief follows."]),
    ("rp.scenarios", ["选择场景", "選擇情境", "Choose a scenario"]),
    ("rp.start", ["开始练习", "開始練習", "Start practice"]),
    ("rp.patience", ["耐心", "耐心", "Patience"]),
    ("rp.replies_unit", ["轮回复", "輪回覆", "replies"]),
    ("rp.custom", ["本店场景", "本店情境", "Our scenario"]),
    ("rp.version", ["版本", "版本", "version"]),
    ("rp.mine", ["我的练习记录", "我的練習紀錄", "My practice sessions"]),
    ("rp.mine.empty", ["还没有练习记录。", "還沒有練習紀錄。", "No sessions yet."]),
    ("rp.col.scenario", ["场景", "情境", "Scenario"]),
    ("rp.col.started", ["开始时间", "開始時間", "Started"]),
    ("rp.col.replies", ["回复数", "回覆數", "Replies"]),
    ("rp.col.outcome", ["结果", "結果", "Outcome"]),
    ("rp.col.score", ["平均分", "平均分", "Mean score"]),
    ("rp.col.open", ["查看", "查看", "Open"]),
    ("rp.outcome.ongoing", ["进行中", "進行中", "In progress"]),
    ("rp.outcome.resolved", ["已解决", "已解決", "Resolved"]),
    ("rp.outcome.escalated", ["升级投诉", "升級投訴", "Escalated"]),
    ("rp.outcome.abandoned", ["已放弃", "已放棄", "Abandoned"]),
    ("rp.outcome.said.resolved", ["客户的问题解决了。", "客戶的問題解決了。", "The customer's problem is resolved."]),
    ("rp.outcome.said.escalated", ["客户升级投诉了。", "客戶升級投訴了。", "The customer escalated the complaint."]),
    ("rp.outcome.said.abandoned", ["对话在没有解决的情况下结束了。", "對話在沒有解決的情況下結束了。", "The conversation ended without a resolution."]),
    ("rp.outcome.said.ongoing", ["对话还在进行。", "對話還在進行。", "The conversation is still going."]),
    ("rp.continue", ["继续练习", "繼續練習", "Continue"]),
    ("rp.view_debrief", ["查看复盘", "查看復盤", "Read the debrief"]),
    ("rp.new_scenario", ["从真实会话创建场景", "從真實會話建立情境", "New scenario from a real case"]),
    ("rp.ok.scenario_saved", ["场景已保存，大家可以开始练习了。", "情境已儲存，大家可以開始練習了。", "Scenario saved: everyone can practise it now."]),
    ("rp.brief", ["情况说明", "情況說明", "Brief"]),
    ("rp.order", ["订单信息", "訂單資訊", "Order"]),
    ("rp.order.number", ["订单号", "訂單編號", "Order no."]),
    ("rp.order.product", ["商品", "商品", "Product"]),
    ("rp.order.amount", ["金额", "金額", "Amount"]),
    ("rp.order.placed", ["下单时间", "下單時間", "Placed"]),
    ("rp.order.facts", ["你能查到的信息", "你能查到的資訊", "What you can look up"]),
    ("rp.messages", ["练习对话", "練習對話", "Practice conversation"]),
    ("rp.reply.label", ["你的回复", "你的回覆", "Your reply"]),
    ("rp.reply.placeholder", ["像对真实客户一样回复……", "像對真實客戶一樣回覆……", "Reply as you would to a real customer…"]),
    ("rp.send", ["发送", "傳送", "Send"]),
    ("rp.sending", ["发送中……", "傳送中……", "Sending…"]),
    ("rp.end", ["结束练习", "結束練習", "End practice"]),
    ("rp.error.empty", ["回复不能为空。", "回覆不能為空。", "The reply is empty."]),
    ("rp.error.too_long", ["回复太长了：最多 2000 个字。", "回覆太長了：最多 2000 個字。", "The reply is too long: at most 2,000 characters."]),
    ("rp.error.changed", ["这个练习已在另一个窗口更新，下面是最新的对话；你写的回复还在输入框里。", "這個練習已在另一個視窗更新，下面是最新的對話；你寫的回覆還在輸入框裡。", "This session changed in another window: the latest is shown below, and your reply is still in the box."]),
    ("rp.error.finished", ["这个练习已经结束了。", "這個練習已經結束了。", "This session has ended."]),
    ("rp.error.scenario_changed", ["这个场景在练习开始后被修改了，练习无法继续；请重新开始一次。", "這個情境在練習開始後被修改了，練習無法繼續；請重新開始一次。", "The scenario changed after this session began, so it cannot go on; please start a new one."]),
    ("rp.error.failed", ["发送失败，请重试；你写的回复还在。", "傳送失敗，請重試；你寫的回覆還在。", "Sending failed; please try again. Your reply is still here."]),
    ("rp.error.not_found", ["找不到这个练习。", "找不到這個練習。", "No such session."]),
    ("rp.error.unknown_scenario", ["没有这个场景。", "沒有這個情境。", "No such scenario."]),
    ("rp.scores", ["本条得分", "本則得分", "Scores"]),
    ("rp.dim.acknowledgement", ["确认", "確認", "Acknowledgement"]),
    ("rp.dim.empathy", ["共情", "共情", "Empathy"]),
    ("rp.dim.clarity", ["清晰", "清晰", "Clarity"]),
    ("rp.dim.solution", ["解决", "解決", "Solution"]),
    ("rp.dim.options", ["选项", "選項", "Options"]),
    ("rp.dim.tone", ["语气", "語氣", "Tone"]),
    ("rp.dim.overall", ["总分", "總分", "Overall"]),
    ("rp.need.acknowledgement", ["确认问题和感受", "確認問題和感受", "Acknowledging the problem and feeling"]),
    ("rp.need.apology", ["道歉", "道歉", "An apology"]),
    ("rp.need.options", ["可选方案", "可選方案", "Options to choose from"]),
    ("rp.need.next_step", ["带时间的下一步", "帶時間的下一步", "A next step with a time"]),
    ("rp.need.fact", ["具体事实", "具體事實", "The concrete fact"]),
    ("rp.need.listening", ["倾听和提问", "傾聽和提問", "Listening and asking"]),
    ("rp.met", ["做到了", "做到了", "Met"]),
    ("rp.offence.blame", ["指责客户", "指責客戶", "Blaming"]),
    ("rp.offence.impatience", ["不耐烦", "不耐煩", "Impatience"]),
    ("rp.offence.dismissal", ["推诿", "推諉", "Dismissal"]),
    ("rp.offence.refusal", ["生硬拒绝", "生硬拒絕", "Flat refusal"]),
    ("rp.offence.stalling", ["拖延", "拖延", "Stalling"]),
    ("rp.offence.sarcasm", ["讽刺", "諷刺", "Sarcasm"]),
    ("rp.offence.lecturing", ["说教", "說教", "Lecturing"]),
    ("rp.offence.cold", ["冷淡", "冷淡", "Coldness"]),
    ("rp.offence.flippant", ["轻浮", "輕浮", "Flippancy"]),
    ("rp.offence.shouting", ["语气激动", "語氣激動", "Shouting"]),
    ("rp.customer_now", ["客户此刻", "客戶此刻", "The customer now"]),
    ("rp.patience_left", ["剩余耐心", "剩餘耐心", "Patience left"]),
    ("rp.debrief.title", ["练习复盘", "練習復盤", "Debrief"]),
    ("rp.debrief.means", ["各维度平均分", "各維度平均分", "Mean scores per dimension"]),
    ("rp.debrief.summary", ["总结", "總結", "Summary"]),
    ("rp.debrief.customer_said", ["客户说", "客戶說", "The customer said"]),
    ("rp.debrief.you_said", ["你的回复", "你的回覆", "You wrote"]),
    ("rp.debrief.lacked", ["缺少或需要改进", "缺少或需要改進", "What it lacked"]),
    ("rp.debrief.nothing_lacked", ["这条回复很到位。", "這則回覆很到位。", "Nothing was missing from this reply."]),
    ("rp.debrief.model", ["参考回答", "參考回答", "Model answer"]),
    ("rp.debrief.rewrite", ["语气改写", "語氣改寫", "Tone rewrite"]),
    ("rp.debrief.needs_met", ["满足了的需求", "滿足了的需求", "Needs met"]),
    ("rp.debrief.needs_unmet", ["没有满足的需求", "沒有滿足的需求", "Needs left unmet"]),
    ("rp.debrief.none", ["无", "無", "None"]),
    ("rp.debrief.again", ["再练一次", "再練一次", "Practise again"]),
    ("rp.debrief.back", ["返回场景列表", "返回情境列表", "Back to the scenarios"]),
    ("rp.debrief.in_progress", ["练习还没有结束，这是到目前为止的复盘。", "練習還沒有結束，這是到目前為止的復盤。", "The session is still going: this is the debrief so far."]),
    ("rp.debrief.no_replies", ["还没有回复可以复盘。", "還沒有回覆可以復盤。", "There are no replies to look back on yet."]),
    ("rp.debrief.content_lang", ["复盘建议为简体中文。", "復盤建議為簡體中文。", "The advice is written in Simplified Chinese."]),
    ("rp.back_to_chat", ["返回对话", "返回對話", "Back to the conversation"]),
    ("rp.by", ["练习人", "練習人", "Practised by"]),
    ("rp.chart.title", ["平均得分", "平均得分", "Mean scores"]),
    ("rp.chart.desc", ["每个维度的平均分，满分 100。", "每個維度的平均分，滿分 100。", "The mean score of each dimension, out of 100."]),
    ("rp.scenario.new.title", ["从真实会话创建场景", "從真實會話建立情境", "New scenario from a real case"]),
    ("rp.scenario.candidates", ["最近已解决的会话", "最近已解決的會話", "Recently resolved conversations"]),
    ("rp.scenario.candidates.none", ["暂时没有已解决的会话。", "暫時沒有已解決的會話。", "No resolved conversations yet."]),
    ("rp.scenario.use", ["用它起草", "用它起草", "Draft from this"]),
    ("rp.scenario.source", ["原会话（已隐去个人信息）", "原會話（已隱去個人資訊）", "The conversation (personal details masked)"]),
    ("rp.scenario.toml", ["场景文件（TOML）", "情境檔案（TOML）", "Scenario file (TOML)"]),
    ("rp.scenario.hint", ["草稿已根据会话生成，客户的个人信息已隐去。保存前请补充人物、订单和台词，格式见 content/training/scenarios/README.md。", "草稿已根據會話產生，客戶的個人資訊已隱去。儲存前請補充人物、訂單和台詞，格式見 content/training/scenarios/README.md。", "A draft was generated from the conversation, with the customer's personal details masked. Fill in the persona, the order and the lines before saving; the format is in content/training/scenarios/README.md."]),
    ("rp.scenario.template_hint", ["可以改写下面的起始场景，也可以从已解决的会话起草。", "可以改寫下面的起始情境，也可以從已解決的會話起草。", "Adapt the starter scenario below, or draft one from a resolved conversation."]),
    ("rp.scenario.save", ["保存场景", "儲存情境", "Save scenario"]),
    ("rp.scenario.error", ["场景文件有问题，没有保存：", "情境檔案有問題，沒有儲存：", "The scenario file has a problem and was not saved:"]),
    ("rp.scenario.error_line", ["出错的行", "出錯的行", "The line"]),
    ("rp.scenario.starter_id", ["这个 id 已被起始场景使用，请换一个。", "這個 id 已被起始情境使用，請換一個。", "This id belongs to a starter scenario; choose another."]),
    ("rp.scenario.source_open", ["这个会话还没有解决，解决后才能改编成场景。", "這個會話還沒有解決，解決後才能改編成情境。", "This conversation is not resolved yet; only resolved ones can become scenarios."]),
    ("rp.scenario.source_missing", ["找不到这个会话。", "找不到這個會話。", "No such conversation."]),
    ("rp.speaker.customer", ["客户", "客戶", "Customer"]),
    ("rp.speaker.agent", ["客服", "客服", "Agent"]),
    ("rp.turn", ["第 {n} 轮", "第 {n} 輪", "Reply {n}"]),
];

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/roleplay/scenarios", get(api_scenarios).post(api_save_scenario))
        .route("/api/v1/roleplay/scenario-draft", get(api_draft))
        .route("/api/v1/roleplay/sessions", get(api_sessions).post(api_start))
        .route("/api/v1/roleplay/sessions/{id}", get(api_session))
        .route("/api/v1/roleplay/sessions/{id}/replies", post(api_reply))
        .route("/api/v1/roleplay/sessions/{id}/finish", post(api_finish))
        .route("/api/v1/roleplay/sessions/{id}/debrief", get(api_debrief))
        .route("/academy/roleplay", get(list_page).post(start_submit))
        .route("/academy/roleplay/{id}", get(session_page).post(reply_submit))
        .route("/academy/roleplay/{id}/finish", post(finish_submit))
        .route("/academy/roleplay/{id}/debrief", get(debrief_page))
        .route("/academy/scenarios/new", get(scenario_page).post(scenario_submit))
        .route(
            "/assets/roleplay.js",
            get(|| async { ([(header::CONTENT_TYPE, "application/javascript; charset=utf-8"), (header::CACHE_CONTROL, "no-cache")], include_str!("../assets/roleplay.js")) }),
        )
        .route(
            "/assets/roleplay.css",
            get(|| async { ([(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "no-cache")], include_str!("../assets/roleplay.css")) }),
        )
}

// ----- errors -----

/// An API error, or a refusal with a code of its own (409 `roleplay_changed`, 422 `scenario_invalid` …).
#[derive(Debug)]
pub enum RpError {
    Api(ApiError),
    Refused { status: StatusCode, code: &'static str, message: String, details: Value },
}

impl From<ApiError> for RpError {
    fn from(e: ApiError) -> Self {
        RpError::Api(e)
    }
}

impl IntoResponse for RpError {
    fn into_response(self) -> Response {
        match self {
            RpError::Api(e) => e.into_response(),
            RpError::Refused { status, code, message, details } => {
                (status, Json(json!({"error": {"code": code, "message": message, "details": details}}))).into_response()
            }
        }
    }
}

type RpResult<T> = Result<T, RpError>;

fn refused(status: StatusCode, code: &'static str, message: &str, details: Value) -> RpError {
    RpError::Refused { status, code, message: message.to_owned(), details }
}

fn changed(turns: i64) -> RpError {
    refused(StatusCode::CONFLICT, "roleplay_changed", "the session changed since you loaded it (another tab replied); reload it", json!({"turns": turns}))
}

fn finished(outcome: RoleplayOutcome) -> RpError {
    refused(StatusCode::CONFLICT, "roleplay_finished", "the role-play is over", json!({"outcome": outcome}))
}

fn scenario_changed() -> RpError {
    refused(
        StatusCode::CONFLICT,
        "roleplay_scenario_changed",
        "the scenario changed after this session began, so its conversation cannot be rebuilt; start a new session",
        Value::Null,
    )
}

/// The store's refusals of this module, with their codes.
fn store_error(e: StoreError) -> RpError {
    let StoreError::Conflict(code) = &e else { return RpError::Api(e.into()) };
    match code.as_str() {
        "roleplay_changed" => refused(StatusCode::CONFLICT, "roleplay_changed", "the session changed since you loaded it (another tab replied); reload it", Value::Null),
        "roleplay_finished" => refused(StatusCode::CONFLICT, "roleplay_finished", "the role-play is over", Value::Null),
        "roleplay_turns" => refused(StatusCode::CONFLICT, "roleplay_finished", "the role-play has too many replies", Value::Null),
        "roleplay_source_open" => refused(StatusCode::CONFLICT, "conversation_not_resolved", "only a resolved conversation can become a scenario", Value::Null),
        "roleplay_reply" => ApiError::invalid("text", "invalid", "the reply is empty or longer than 2000 characters").into(),
        "scenario_id" | "scenario_title" | "scenario_toml" => ApiError::invalid("toml", "invalid", format!("the scenario is not accepted ({code})")).into(),
        other => RpError::Api(ApiError::Internal(format!("role-play: {other}"))),
    }
}

fn session_error(e: SessionError) -> RpError {
    match e {
        SessionError::EmptyReply => ApiError::invalid("text", "empty", "the reply is empty").into(),
        SessionError::TooLong { chars, max } => ApiError::invalid("text", "too_long", format!("the reply is {chars} characters long; at most {max} are allowed")).into(),
        SessionError::Finished(outcome) => finished(outcome_of(outcome)),
    }
}

// ----- scenarios -----

/// A scenario one can practise: a starter one or the organisation's own (with its saved version).
#[derive(Clone)]
pub struct Playable {
    pub scenario: Scenario,
    /// A digest of the scenario file: a session started on it replays only on the same file.
    pub digest: String,
    pub custom: Option<TrainingScenario>,
}

fn digest(text: &str) -> String {
    hex::encode(&Sha256::digest(text.as_bytes())[..16])
}

/// Starter scenario id → digest of its file.
static STARTER_DIGESTS: LazyLock<HashMap<&'static str, String>> =
    LazyLock::new(|| STARTER_FILES.iter().map(|(name, text)| (name.trim_end_matches(".toml"), digest(text))).collect());

fn starter_playable(id: &str) -> Option<Playable> {
    let scenario = anxin_training::starter_scenario(id)?;
    Some(Playable { scenario: scenario.clone(), digest: STARTER_DIGESTS.get(id).cloned().unwrap_or_default(), custom: None })
}

fn is_starter(id: &str) -> bool {
    anxin_training::starter_scenario(id).is_some()
}

/// The name scenario problems are reported under (`scenario:12: persona.intensity: …`).
const SCENARIO_FILE: &str = "scenario";

fn custom_playable(saved: TrainingScenario) -> Option<Playable> {
    match Scenario::parse(SCENARIO_FILE, &saved.toml) {
        Ok(scenario) if scenario.id() == saved.scenario_id => Some(Playable { digest: digest(&saved.toml), scenario, custom: Some(saved) }),
        Ok(_) => None,
        Err(e) => {
            tracing::warn!(scenario = %saved.scenario_id, version = saved.version, error = %e, "stored role-play scenario no longer parses");
            None
        }
    }
}

/// Every scenario the viewer may practise: the starter ones, then the organisation's own.
pub async fn catalog(state: &AppState, p: &Principal) -> Result<Vec<Playable>, ApiError> {
    let mut all: Vec<Playable> = anxin_training::starter().iter().filter_map(|s| starter_playable(s.id())).collect();
    for saved in state.store.training_scenarios(p.clone()).await? {
        if !is_starter(&saved.scenario_id) {
            all.extend(custom_playable(saved));
        }
    }
    Ok(all)
}

/// One scenario to start: a starter one, else the organisation's latest version (`None` when there is none).
async fn playable(state: &AppState, p: &Principal, id: &str) -> Result<Option<Playable>, ApiError> {
    if let Some(found) = starter_playable(id) {
        return Ok(Some(found));
    }
    match state.store.training_scenario(p.clone(), id.to_owned()).await {
        Ok(saved) => Ok(custom_playable(saved)),
        Err(StoreError::NotFound) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// The scenario a session was started on (`None` when it no longer exists or parses).
async fn session_playable(state: &AppState, p: &Principal, record: &RoleplaySession) -> Result<Option<Playable>, ApiError> {
    match record.summary.custom_scenario {
        Some(row) => match state.store.training_scenario_version(p.clone(), row).await {
            Ok(saved) => Ok(custom_playable(saved)),
            Err(StoreError::NotFound) => Ok(None),
            Err(e) => Err(e.into()),
        },
        None => Ok(starter_playable(&record.summary.scenario_id)),
    }
}

fn localized(lang: Lang, text: &anxin_training::Localized) -> (&str, &'static str) {
    match lang {
        Lang::En => (&text.en, "en"),
        _ => (&text.zh_hans, "zh-Hans"),
    }
}

fn scenario_json(p: &Playable, with_toml: bool) -> Value {
    let s = &p.scenario;
    let persona = s.persona();
    let mut out = json!({
        "id": s.id(),
        "source": if p.custom.is_some() { "custom" } else { "starter" },
        "title": s.title(),
        "brief": s.brief(),
        "complaint_type": s.complaint_type(),
        "persona": {
            "name": persona.name, "background": persona.background, "emotion": persona.emotion,
            "intensity": persona.intensity, "patience": persona.patience, "needs": persona.needs,
        },
        "order": s.order(),
    });
    if let Some(c) = &p.custom {
        out["version"] = json!(c.version);
        out["created_by_name"] = json!(c.created_by_name);
        out["created_at"] = json!(c.created_at);
        out["source_conversation_id"] = json!(c.source_conversation_id);
    }
    if with_toml {
        let text = match &p.custom {
            Some(c) => c.toml.clone(),
            None => STARTER_FILES.iter().find(|(n, _)| n.trim_end_matches(".toml") == s.id()).map(|(_, t)| (*t).to_owned()).unwrap_or_default(),
        };
        out["toml"] = json!(text);
    }
    out
}

// ----- sessions: replay and the operations shared by the API and the pages -----

/// A stored session and its conversation rebuilt.
pub struct Loaded {
    pub record: RoleplaySession,
    pub playable: Playable,
    pub session: Session,
    /// Whether the rebuilt conversation is the one the agent had: same scenario file, every reply replayed.
    pub intact: bool,
}

fn outcome_of(outcome: Outcome) -> RoleplayOutcome {
    match outcome {
        Outcome::Ongoing => RoleplayOutcome::Ongoing,
        Outcome::Resolved => RoleplayOutcome::Resolved,
        Outcome::Escalated => RoleplayOutcome::Escalated,
        Outcome::Abandoned => RoleplayOutcome::Abandoned,
    }
}

/// Rebuilds a session by replaying its replies on a blocking thread.
async fn replay(analyzer: &'static Analyzer, playable: &Playable, seed: u64, replies: Vec<String>) -> Result<(Session, bool), ApiError> {
    let scenario = playable.scenario.clone();
    tokio::task::spawn_blocking(move || {
        let mut session = Session::start(&scenario, seed);
        let mut intact = true;
        for reply in &replies {
            if session.reply(reply, analyzer).is_err() {
                intact = false;
                break;
            }
        }
        (session, intact)
    })
    .await
    .map_err(|e| ApiError::Internal(format!("role-play replay: {e}")))
}

/// A session the viewer may see, rebuilt (`NotFound` otherwise).
pub async fn load(state: &AppState, p: &Principal, id: i64) -> RpResult<Loaded> {
    let record = state.store.roleplay_session(p.clone(), id).await.map_err(store_error)?;
    let Some(playable) = session_playable(state, p, &record).await? else { return Err(scenario_changed()) };
    let (session, replayed) = replay(state.analyzer, &playable, record.summary.seed, record.replies.clone()).await?;
    let intact = replayed && playable.digest == record.scenario_digest;
    Ok(Loaded { record, playable, session, intact })
}

/// A seed from the system's randomness, kept below 2^53 so JSON clients read it exactly.
fn new_seed() -> u64 {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).expect("system randomness");
    u64::from_le_bytes(bytes) & ((1 << 53) - 1)
}

/// Starts a session on a scenario (a person of any role).
pub async fn start(state: &AppState, p: &Principal, scenario_id: &str) -> RpResult<RoleplaySession> {
    if p.user_id.is_none() {
        return Err(ApiError::Forbidden("a role-play is practised by a person, not an API token").into());
    }
    let Some(playable) = playable(state, p, scenario_id.trim()).await? else {
        return Err(ApiError::invalid("scenario", "unknown", "no such scenario").into());
    };
    let new = NewRoleplay {
        scenario_id: playable.scenario.id().to_owned(),
        custom_scenario: playable.custom.as_ref().map(|c| c.id),
        scenario_digest: playable.digest.clone(),
        seed: new_seed(),
    };
    state.store.start_roleplay(p.clone(), new).await.map_err(store_error)
}

/// The mean scores and the debrief of a session as it stands, for the store.
fn result_of(debrief: &Debrief) -> RoleplayResult {
    let m = debrief.means;
    let scores = RoleplayScores {
        acknowledgement: m.acknowledgement,
        empathy: m.empathy,
        clarity: m.clarity,
        solution: m.solution,
        options: m.options,
        tone: m.tone,
        overall: m.overall,
    };
    RoleplayResult { scores, debrief: serde_json::to_value(debrief).unwrap_or(Value::Null) }
}

/// A session its owner may still write to at this turn: ongoing, theirs, and nobody wrote this turn first.
fn writable(loaded: &Loaded, p: &Principal, expected_turns: i64, not_owner: &'static str) -> RpResult<()> {
    let summary = &loaded.record.summary;
    if summary.outcome != RoleplayOutcome::Ongoing {
        return Err(finished(summary.outcome));
    }
    if p.user_id != Some(summary.user_id) {
        return Err(ApiError::Forbidden(not_owner).into());
    }
    if summary.turns != expected_turns {
        return Err(changed(summary.turns));
    }
    Ok(())
}

/// The owner's next reply: scored on the rebuilt session and stored if nobody replied to this turn first.
pub async fn reply(state: &AppState, p: &Principal, id: i64, expected_turns: i64, text: String) -> RpResult<(Turn, RoleplaySession)> {
    let loaded = load(state, p, id).await?;
    writable(&loaded, p, expected_turns, "only the person practising replies in a role-play")?;
    if !loaded.intact {
        return Err(scenario_changed());
    }
    let analyzer = state.analyzer;
    let mut session = loaded.session;
    let (turn, session) = tokio::task::spawn_blocking(move || {
        let turn = session.reply(&text, analyzer);
        (turn, session)
    })
    .await
    .map_err(|e| ApiError::Internal(format!("role-play reply: {e}")))?;
    let turn = turn.map_err(session_error)?;
    let outcome = outcome_of(turn.outcome);
    let result = (outcome != RoleplayOutcome::Ongoing).then(|| result_of(&session.debrief()));
    let record = state.store.append_roleplay_reply(p.clone(), id, expected_turns, turn.reply.clone(), outcome, result).await.map_err(store_error)?;
    Ok((turn, record))
}

/// The agent ends an ongoing session (abandoned), storing the debrief so far.
pub async fn finish(state: &AppState, p: &Principal, id: i64, expected_turns: i64) -> RpResult<RoleplaySession> {
    let loaded = load(state, p, id).await?;
    writable(&loaded, p, expected_turns, "only the person practising ends a role-play")?;
    let mut result = result_of(&loaded.session.debrief());
    ended_by_agent(&mut result.debrief, loaded.session.turns().len());
    state.store.finish_roleplay(p.clone(), id, expected_turns, RoleplayOutcome::Abandoned, result).await.map_err(store_error)
}

/// Marks a debrief as ended by the agent: outcome abandoned, its first sentence saying so.
fn ended_by_agent(debrief: &mut Value, replies: usize) {
    debrief["outcome"] = json!("abandoned");
    debrief["ended_by_agent"] = json!(true);
    let summary = debrief["summary"].as_str().unwrap_or_default().to_owned();
    let rest = summary.split_once('。').map_or("", |(_, rest)| rest);
    let first = if replies == 0 { "你没有回复就结束了练习。".to_owned() } else { format!("你在第{replies}轮回复后结束了练习。") };
    debrief["summary"] = json!(format!("{first}{rest}"));
}

/// The debrief of a session: the stored one once finished, else the one so far.
fn debrief_of(loaded: &Loaded) -> Value {
    match &loaded.record.debrief {
        Some(stored) => stored.clone(),
        None => serde_json::to_value(loaded.session.debrief()).unwrap_or(Value::Null),
    }
}

fn session_json(loaded: &Loaded) -> Value {
    let r = &loaded.record.summary;
    let s = &loaded.session;
    json!({
        "id": r.id,
        "user_id": r.user_id,
        "user_name": r.user_name,
        "scenario": {
            "id": r.scenario_id,
            "title": loaded.playable.scenario.title(),
            "source": if loaded.playable.custom.is_some() { "custom" } else { "starter" },
            "version": loaded.playable.custom.as_ref().map(|c| c.version),
        },
        "seed": r.seed,
        "turns": r.turns,
        "outcome": r.outcome,
        "scores": r.scores,
        "started_at": r.started_at,
        "updated_at": r.updated_at,
        "finished_at": r.finished_at,
        "customer": {
            "name": loaded.playable.scenario.persona().name,
            "emotion": s.emotion(),
            "intensity": (s.intensity().min(1.0) * 1000.0).round() / 1000.0,
            "line": s.customer_line(),
            "patience_left": s.patience_left(),
        },
        "transcript": s.transcript(),
        "replies": s.turns(),
        "replay_intact": loaded.intact,
        "debrief_url": format!("/academy/roleplay/{}/debrief", r.id),
    })
}

fn summary_json(s: &RoleplaySummary) -> Value {
    json!(s)
}

// ----- the JSON API -----

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScenariosQuery {
    #[serde(default)]
    toml: bool,
}

/// `GET /api/v1/roleplay/scenarios`: the starter scenarios and the organisation's own; `toml=true` (coaches) adds
/// each file.
async fn api_scenarios(State(state): State<AppState>, staff: Staff, ApiQuery(q): ApiQuery<ScenariosQuery>) -> RpResult<Json<Value>> {
    let p = staff.0;
    if q.toml && !is_coach(p.role) {
        return Err(ApiError::Forbidden("trainers, supervisors and admins read scenario files").into());
    }
    let all = catalog(&state, &p).await?;
    Ok(Json(json!({"scenarios": all.iter().map(|s| scenario_json(s, q.toml)).collect::<Vec<_>>()})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SaveScenario {
    toml: String,
    from_conversation: Option<i64>,
}

/// Parses a scenario file for saving: 422 `scenario_invalid` naming the line, or an id a starter scenario has.
fn parse_for_saving(toml: &str) -> Result<Scenario, RpError> {
    if toml.len() > anxin_store::roleplay::SCENARIO_MAX_BYTES {
        return Err(ApiError::invalid("toml", "too_long", format!("at most {} bytes", anxin_store::roleplay::SCENARIO_MAX_BYTES)).into());
    }
    let scenario = Scenario::parse(SCENARIO_FILE, toml).map_err(|e| {
        refused(
            StatusCode::UNPROCESSABLE_ENTITY,
            "scenario_invalid",
            &e.to_string(),
            json!({"file": e.file, "line": e.line, "field": e.field, "message": e.message}),
        )
    })?;
    if is_starter(scenario.id()) {
        let line = toml.lines().position(|l| l.trim_start().starts_with("id")).map(|i| i + 1);
        return Err(refused(
            StatusCode::UNPROCESSABLE_ENTITY,
            "scenario_invalid",
            &format!("{SCENARIO_FILE}:{}: id: {} is a starter scenario's id; choose another", line.unwrap_or(1), scenario.id()),
            json!({"file": SCENARIO_FILE, "line": line, "field": "id", "message": "is a starter scenario's id; choose another"}),
        ));
    }
    Ok(scenario)
}

async fn save_scenario(state: &AppState, p: &Principal, toml: String, from: Option<i64>) -> RpResult<Playable> {
    if !is_coach(p.role) {
        return Err(ApiError::Forbidden("trainers, supervisors and admins write scenarios").into());
    }
    let scenario = parse_for_saving(&toml)?;
    let new = NewScenario { scenario_id: scenario.id().to_owned(), title: scenario.title().zh_hans.clone(), toml, source_conversation_id: from };
    let saved = state.store.save_training_scenario(p.clone(), new).await.map_err(|e| match e {
        StoreError::NotFound => ApiError::invalid("from_conversation", "unknown", "no such conversation in this organisation").into(),
        e => store_error(e),
    })?;
    Ok(Playable { digest: digest(&saved.toml), scenario, custom: Some(saved) })
}

/// `POST /api/v1/roleplay/scenarios` (coaches): `{toml, from_conversation?}` saved as the next version of its id.
async fn api_save_scenario(State(state): State<AppState>, staff: Staff, ApiJson(body): ApiJson<SaveScenario>) -> RpResult<(StatusCode, Json<Value>)> {
    let saved = save_scenario(&state, &staff.0, body.toml, body.from_conversation).await?;
    Ok((StatusCode::CREATED, Json(json!({"scenario": scenario_json(&saved, true)}))))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DraftQuery {
    from: Option<i64>,
}

async fn draft_for(state: &AppState, p: &Principal, conversation: i64) -> RpResult<(ScenarioSource, String)> {
    if !is_coach(p.role) {
        return Err(ApiError::Forbidden("trainers, supervisors and admins turn conversations into scenarios").into());
    }
    let mut source = state.store.scenario_source(p.clone(), conversation).await.map_err(store_error)?;
    let analyzer = state.analyzer;
    let (source, toml) = tokio::task::spawn_blocking(move || {
        mask_agent_lines(&mut source, analyzer);
        let toml = draft_toml(&source, analyzer);
        (source, toml)
    })
    .await
    .map_err(|e| ApiError::Internal(format!("scenario draft: {e}")))?;
    Ok((source, toml))
}

/// `GET /api/v1/roleplay/scenario-draft?from=<conversation id>` (coaches): a scenario file drafted from a resolved
/// conversation, PII masked, for the trainer to edit before saving.
async fn api_draft(State(state): State<AppState>, staff: Staff, ApiQuery(q): ApiQuery<DraftQuery>) -> RpResult<Json<Value>> {
    let Some(from) = q.from else { return Err(ApiError::invalid("from", "missing", "the conversation id to draft from").into()) };
    let (source, toml) = draft_for(&state, &staff.0, from).await?;
    Ok(Json(json!({"conversation_id": from, "toml": toml, "source": source})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SessionsQuery {
    user: Option<i64>,
    limit: Option<i64>,
}

/// `GET /api/v1/roleplay/sessions`: mine, newest first; `user=<id>` someone's (coaches, or oneself).
async fn api_sessions(State(state): State<AppState>, staff: Staff, ApiQuery(q): ApiQuery<SessionsQuery>) -> RpResult<Json<Value>> {
    let p = staff.0;
    let limit = q.limit.unwrap_or(100);
    if !(1..=anxin_store::roleplay::LIST_MAX).contains(&limit) {
        return Err(ApiError::invalid("limit", "out_of_range", format!("1 to {}", anxin_store::roleplay::LIST_MAX)).into());
    }
    let sessions = match q.user {
        Some(user) => state.store.roleplays_of(p, vec![user], 0, limit).await,
        None => state.store.my_roleplays(p, limit).await,
    }
    .map_err(store_error)?;
    Ok(Json(json!({"sessions": sessions.iter().map(summary_json).collect::<Vec<_>>()})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StartBody {
    scenario: String,
}

/// `POST /api/v1/roleplay/sessions` `{scenario}`: a new session with the customer's opening line.
async fn api_start(State(state): State<AppState>, staff: Staff, ApiJson(body): ApiJson<StartBody>) -> RpResult<(StatusCode, Json<Value>)> {
    let p = staff.0;
    let record = start(&state, &p, &body.scenario).await?;
    let loaded = load(&state, &p, record.summary.id).await?;
    Ok((StatusCode::CREATED, Json(json!({"session": session_json(&loaded)}))))
}

/// `GET /api/v1/roleplay/sessions/{id}`: the session with its transcript and scored replies.
async fn api_session(State(state): State<AppState>, staff: Staff, ApiPath(id): ApiPath<i64>) -> RpResult<Json<Value>> {
    let loaded = load(&state, &staff.0, id).await?;
    Ok(Json(json!({"session": session_json(&loaded)})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReplyBody {
    text: String,
    expected_turns: i64,
}

/// `POST /api/v1/roleplay/sessions/{id}/replies` `{text, expected_turns}`: the reply scored and the customer's
/// reaction; 409 `roleplay_changed` when `expected_turns` is stale, `roleplay_finished` after the end.
async fn api_reply(State(state): State<AppState>, staff: Staff, ApiPath(id): ApiPath<i64>, ApiJson(body): ApiJson<ReplyBody>) -> RpResult<(StatusCode, Json<Value>)> {
    let (turn, record) = reply(&state, &staff.0, id, body.expected_turns, body.text).await?;
    let r = &record.summary;
    let finished = r.outcome != RoleplayOutcome::Ongoing;
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "turn": turn,
            "session": {"id": r.id, "turns": r.turns, "outcome": r.outcome, "scores": r.scores, "finished_at": r.finished_at},
            "debrief_url": finished.then(|| format!("/academy/roleplay/{}/debrief", r.id)),
        })),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FinishBody {
    expected_turns: i64,
}

/// `POST /api/v1/roleplay/sessions/{id}/finish` `{expected_turns}`: the agent ends the session (abandoned).
async fn api_finish(State(state): State<AppState>, staff: Staff, ApiPath(id): ApiPath<i64>, ApiJson(body): ApiJson<FinishBody>) -> RpResult<Json<Value>> {
    let record = finish(&state, &staff.0, id, body.expected_turns).await?;
    Ok(Json(json!({"session": summary_json(&record.summary), "debrief_url": format!("/academy/roleplay/{id}/debrief")})))
}

/// `GET /api/v1/roleplay/sessions/{id}/debrief`: the stored debrief once finished, else the one so far.
async fn api_debrief(State(state): State<AppState>, staff: Staff, ApiPath(id): ApiPath<i64>) -> RpResult<Json<Value>> {
    let loaded = load(&state, &staff.0, id).await?;
    let r = &loaded.record.summary;
    Ok(Json(json!({"session_id": r.id, "outcome": r.outcome, "finished": r.outcome != RoleplayOutcome::Ongoing, "debrief": debrief_of(&loaded)})))
}

// ----- scenario drafts from real conversations -----

/// Masks the agent's lines with the text engine's PII scanner (the customer's come masked from the store).
pub(crate) fn mask_agent_lines(source: &mut ScenarioSource, analyzer: &Analyzer) {
    for line in source.lines.iter_mut().filter(|l| !l.masked) {
        line.text = analyzer.analyze(&line.text).pii.masked;
        line.masked = true;
    }
}

/// One line of text for a file field: control, direction and bidi characters and line breaks become spaces, runs
/// of spaces one, at most `max` characters.
pub(crate) fn one_line(text: &str, max: usize) -> String {
    let cleaned: String = text
        .chars()
        .map(|c| if c.is_control() || matches!(c, '\u{200E}' | '\u{200F}' | '\u{061C}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}') { ' ' } else { c })
        .collect();
    let collapsed = cleaned.split_whitespace().collect::<Vec<_>>().join(" ");
    collapsed.chars().take(max).collect()
}

fn toml_list(items: &[String]) -> String {
    let mut out = String::from("[\n");
    for item in items {
        let _ = writeln!(out, "  {},", crate::training::toml_string(item));
    }
    out.push(']');
    out
}

/// Lines for one list: the conversation's own first, then the generic ones, unique, 2 to 12.
fn variants(own: &[String], generic: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for line in own.iter().map(String::as_str).chain(generic.iter().copied()) {
        let line = one_line(line, anxin_training::scenario::LINE_MAX_CHARS);
        if !line.is_empty() && !out.contains(&line) && out.len() < 12 {
            out.push(line);
        }
    }
    out
}

/// The customer's generic lines per emotion, for the states a real conversation rarely shows.
struct Generic {
    opening: &'static [&'static str],
    calming: &'static [&'static str],
    stable: &'static [&'static str],
    escalating: &'static [&'static str],
    threatening: &'static [&'static str],
    resolved: &'static [&'static str],
    escalated: &'static [&'static str],
    abandoned: &'static [&'static str],
}

fn generic(emotion: Emotion) -> Generic {
    match emotion {
        Emotion::Anger => Generic {
            opening: &["你们到底怎么回事？这个问题必须给我解决！", "我真的很生气，出了问题连个说法都没有。"],
            calming: &["行，你这么说我还能接受。", "好吧，至少你态度还行。", "嗯，那你说怎么处理。"],
            stable: &["然后呢？", "你说的这些我都知道。", "我要的是解决办法。"],
            escalating: &["你这是在敷衍我吗？", "我越听越生气！", "别跟我打官腔。"],
            threatening: &["再这样我就去12315投诉你们。", "我要在平台上投诉，还要发到网上去。"],
            resolved: &["好吧，这样处理我接受了。", "行，就按你说的办，谢谢。"],
            escalated: &["我不跟你说了，直接投诉。", "叫你们领导来，我要投诉到底。"],
            abandoned: &["算了，我不想再浪费时间了。", "不用了，以后不会再买了。"],
        },
        Emotion::Disappointment => Generic {
            opening: &["说实话挺失望的，本来很期待的。", "没想到会是这样，有点失望。"],
            calming: &["嗯，这样还算有点诚意。", "好的，谢谢你这么处理。", "听你这么说好一点了。"],
            stable: &["嗯……", "好吧。", "那现在怎么办呢？"],
            escalating: &["这样说我更失望了。", "你们就是这么对待老客户的吗？", "感觉你们根本不在乎。"],
            threatening: &["这样的话我只能去平台投诉了。", "我会给差评，也会跟朋友说的。"],
            resolved: &["好的，那就这样处理吧，谢谢你。", "行，这个方案我可以接受，谢谢。"],
            escalated: &["我还是去平台投诉吧。", "不用多说了，我要投诉。"],
            abandoned: &["算了，就这样吧。", "不想再说了，以后不买了。"],
        },
        _ => Generic {
            opening: &["你好，我的问题一直没解决，能帮我看看吗？我挺着急的。", "请问一下，我这个情况到底怎么样了？我很担心。"],
            calming: &["好的，谢谢你帮我查。", "听你这么说我放心一点了。", "嗯，有具体消息就好。"],
            stable: &["嗯……", "这个我知道。", "可我还是不知道具体情况。"],
            escalating: &["你这么说我更担心了。", "我已经等很久了！", "我问的是具体情况，你怎么老是绕开？"],
            threatening: &["要是再没个准话，我就去平台投诉了。", "再拖下去我只能申请平台介入。"],
            resolved: &["好的，那我等你的消息，谢谢！", "明白了，有你这句话我就放心了，谢谢。"],
            escalated: &["我不想再等了，直接找平台处理吧。", "你们这样我只能投诉了。"],
            abandoned: &["算了，我自己另想办法吧。", "不等了，我申请退款。"],
        },
    }
}

/// What the customer presses for while a need is unmet.
fn generic_asks(need: Need) -> &'static [&'static str] {
    match need {
        Need::Acknowledgement => &["你能理解我现在的感受吗？", "我希望你先听明白我的问题。"],
        Need::Apology => &["出了这种问题，你们不该先道个歉吗？", "一句抱歉都没有吗？"],
        Need::Options => &["那你们打算怎么解决？有什么方案？", "能给我几个选择吗？"],
        Need::NextStep => &["那接下来怎么办？什么时候能有结果？", "你给我一个准确的时间。"],
        Need::Fact => &["那现在到底是什么情况？", "能告诉我你们具体查到了什么吗？"],
        Need::Listening => &["你们到底有没有在听我说？", "我想说的你还没听完。"],
    }
}

/// A good answer for a need no line of the real conversation met.
fn generic_answer(need: Need) -> &'static str {
    match need {
        Need::Acknowledgement => "非常理解您的心情，换作是我也会着急，这件事确实是我们没做好。",
        Need::Apology => "真的非常抱歉，给您添麻烦了。",
        Need::Options => "我给您两个方案：1. 今天为您补发或更换；2. 直接全额退款。您看选哪一个？",
        Need::NextStep => "我今天下午5点前为您处理好，处理完马上告诉您结果。",
        Need::Fact => "我刚查了，系统显示目前在（请写出客服能查到的具体情况），已经在处理中。",
        Need::Listening => "您最在意的是哪一点？您说，我先听您讲完。",
    }
}

fn needs_for(emotion: Emotion) -> Vec<Need> {
    match emotion {
        Emotion::Anger => vec![Need::Acknowledgement, Need::Apology, Need::Options, Need::NextStep],
        Emotion::Disappointment => vec![Need::Acknowledgement, Need::Apology, Need::Options],
        _ => vec![Need::Acknowledgement, Need::Fact, Need::NextStep],
    }
}

/// Phrases that state a fact, for a persona who needs one (the trainer makes them specific).
const GENERIC_FACT_CUES: &[&str] = &["查到", "显示", "目前在", "现在在", "已到达", "派送", "原因是"];

fn emotion_words(emotion: Emotion) -> (&'static str, &'static str) {
    match emotion {
        Emotion::Anger => ("生气", "angry"),
        Emotion::Disappointment => ("失望", "disappointed"),
        _ => ("着急", "anxious"),
    }
}

/// A scenario file drafted from a resolved conversation whose lines are all masked: the persona's emotion and
/// intensity from the conversation, its needs from the emotion's training deck, the customer's own words as the
/// opening and reactions (generic lines fill the states the conversation did not show), the agent's lines as
/// order facts and — where the scorer finds they met a need — model answers (generic ones cover the rest). The
/// draft parses; the trainer edits it before saving.
pub fn draft_toml(source: &ScenarioSource, analyzer: &Analyzer) -> String {
    let customer: Vec<&anxin_store::roleplay::SourceLine> = source.lines.iter().filter(|l| l.speaker == SourceSpeaker::Customer).collect();
    let emotion_of = |label: Option<&str>| label.and_then(Emotion::parse).filter(|e| matches!(e, Emotion::Anger | Emotion::Anxiety | Emotion::Disappointment));
    let emotion = emotion_of(source.emotion.as_deref())
        .or_else(|| customer.iter().find_map(|l| emotion_of(l.emotion.as_deref())))
        .unwrap_or(Emotion::Anxiety);
    let peak = customer.iter().filter_map(|l| l.intensity).fold(source.peak_intensity, f64::max);
    let intensity = ((peak.clamp(0.3, 0.9) * 100.0).round() / 100.0).max(0.3);
    let complaint = source.complaint_type.as_deref().and_then(ComplaintType::parse).unwrap_or(ComplaintType::Other);
    let needs = needs_for(emotion);
    let fact_cues: Vec<String> = GENERIC_FACT_CUES.iter().map(|s| (*s).to_owned()).collect();
    let g = generic(emotion);
    let id = source.conversation_id;

    // The customer's own words: the first line opens; each later one is a reaction by how the emotion moved.
    let (mut opening, mut calming, mut stable, mut escalating, mut resolved) = (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut previous: Option<f64> = None;
    for (i, line) in customer.iter().enumerate() {
        let text = line.text.clone();
        let now = line.intensity.unwrap_or(0.5);
        let label = line.emotion.as_deref().and_then(Emotion::parse);
        if i == 0 {
            opening.push(text);
        } else if i == customer.len() - 1 && matches!(label, Some(Emotion::Satisfied | Emotion::Neutral)) {
            resolved.push(text);
        } else if matches!(label, Some(Emotion::Satisfied)) || previous.is_some_and(|p| now < p - 0.05) {
            calming.push(text);
        } else if previous.is_some_and(|p| now > p + 0.05) {
            escalating.push(text);
        } else {
            stable.push(text);
        }
        previous = Some(now);
    }

    // The agent's lines: facts the agent could look up, and model answers where they met a need.
    let mut facts = Vec::new();
    let mut answers: Vec<(Vec<Need>, String)> = Vec::new();
    let mut last_customer = customer.first().map(|l| l.text.clone()).unwrap_or_default();
    for line in &source.lines {
        if line.speaker == SourceSpeaker::Customer {
            last_customer = line.text.clone();
            continue;
        }
        let fact = one_line(&line.text, anxin_training::scenario::FACT_MAX_CHARS);
        if !fact.is_empty() && facts.len() < 5 && !facts.contains(&fact) {
            facts.push(fact);
        }
        let text = one_line(&line.text, anxin_training::scenario::ANSWER_MAX_CHARS);
        if text.is_empty() || answers.len() >= 6 || answers.iter().any(|(_, t)| *t == text) {
            continue;
        }
        let context = ReplyContext {
            customer_line: &last_customer,
            emotion,
            intensity: intensity as f32,
            threats: 0,
            needs: &needs,
            met: &[],
            fact_cues: &fact_cues,
        };
        let covers: Vec<Need> = anxin_training::assess(analyzer, &text, &context).met.into_iter().filter(|n| needs.contains(n)).collect();
        if !covers.is_empty() {
            answers.push((covers, text));
        }
    }
    for need in &needs {
        if !answers.iter().any(|(covers, _)| covers.contains(need)) {
            answers.push((vec![*need], generic_answer(*need).to_owned()));
        }
    }
    if facts.is_empty() {
        facts.push("（待补充：客服能查到的订单、物流或政策信息）".to_owned());
    }

    let (zh_emotion, en_emotion) = emotion_words(emotion);
    let first = customer.first().map(|l| one_line(&l.text, 120)).unwrap_or_default();
    let brief_zh = if first.is_empty() {
        format!("由已解决的会话 #{id} 改编，客户的个人信息已隐去。请补充情况说明。")
    } else {
        format!("由已解决的会话 #{id} 改编，客户的个人信息已隐去。客户开场说：“{first}”")
    };
    let needs_list = needs.iter().map(|n| crate::training::toml_string(n.as_str())).collect::<Vec<_>>().join(", ");
    let mut out = String::new();
    let _ = writeln!(out, "# Drafted from resolved conversation #{id}: the customer's personal details are masked. Edit before saving.");
    let _ = writeln!(out, "id = {}", crate::training::toml_string(&format!("case-{id}")));
    let _ = writeln!(out, "complaint_type = {}", crate::training::toml_string(complaint.as_str()));
    let _ = writeln!(out, "\n[title]\nzh-Hans = {}\nen = {}", crate::training::toml_string(&format!("真实案例 #{id}：{zh_emotion}的客户")), crate::training::toml_string(&format!("Real case #{id}: an {en_emotion} customer")));
    let _ = writeln!(
        out,
        "\n[brief]\nzh-Hans = {}\nen = {}",
        crate::training::toml_string(&brief_zh),
        crate::training::toml_string(&format!("Adapted from resolved conversation #{id}, with the customer's personal details masked. Fill in the persona, the order and the lines."))
    );
    let _ = writeln!(out, "\n[persona]\nname = \"客户\"");
    let _ = writeln!(out, "background = {}", crate::training::toml_string("由真实会话改编（个人信息已隐去）。请补充客户的年龄、职业和处境。"));
    let _ = writeln!(out, "emotion = {}\nintensity = {intensity}\npatience = 6\nneeds = [{needs_list}]", crate::training::toml_string(emotion.as_str()));
    if needs.contains(&Need::Fact) {
        let _ = writeln!(out, "fact_cues = [{}]", fact_cues.iter().map(|c| crate::training::toml_string(c)).collect::<Vec<_>>().join(", "));
    }
    let _ = writeln!(
        out,
        "\n[order]\nnumber = \"（待补充）\"\nproduct = \"（待补充）\"\namount = \"（待补充）\"\nplaced = \"（待补充）\"\nfacts = {}",
        toml_list(&facts)
    );
    let _ = writeln!(out, "\n[customer]");
    for (name, own, generic_lines) in [
        ("opening", &opening, g.opening),
        ("calming", &calming, g.calming),
        ("stable", &stable, g.stable),
        ("escalating", &escalating, g.escalating),
        ("threatening", &Vec::new(), g.threatening),
        ("resolved", &resolved, g.resolved),
        ("escalated", &Vec::new(), g.escalated),
        ("abandoned", &Vec::new(), g.abandoned),
    ] {
        let _ = writeln!(out, "{name} = {}", toml_list(&variants(own, generic_lines)));
    }
    let _ = writeln!(out, "\n[customer.asks]");
    for need in &needs {
        let _ = writeln!(out, "{} = {}", need.as_str(), toml_list(&variants(&[], generic_asks(*need))));
    }
    for (covers, text) in answers.iter().take(anxin_training::scenario::MAX_MODEL_ANSWERS) {
        let covers = covers.iter().map(|n| crate::training::toml_string(n.as_str())).collect::<Vec<_>>().join(", ");
        let _ = writeln!(out, "\n[[model_answer]]\ncovers = [{covers}]\ntext = {}", crate::training::toml_string(text));
    }
    out
}

/// A new scenario to adapt when no conversation is chosen: the anxious late-delivery starter under a new id.
fn template_toml() -> String {
    let text = STARTER_FILES.iter().find(|(n, _)| *n == "late-delivery-anxiety.toml").map_or("", |(_, t)| *t);
    text.replacen("id = \"late-delivery-anxiety\"", "id = \"my-late-delivery\"", 1)
}

// ----- pages: shared helpers -----

/// A form body as text fields; not a form counts as empty (and then fails the CSRF check).
type Pairs = Result<Form<Vec<(String, String)>>, FormRejection>;
type QueryPairs = Result<Query<Vec<(String, String)>>, QueryRejection>;

fn pairs(body: Pairs) -> Vec<(String, String)> {
    body.map(|f| f.0).unwrap_or_default()
}

fn first<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str())
}

/// A signed-in person (and, for a form, with the session's CSRF token); coaches only when `coach`.
async fn gate(state: &AppState, headers: &HeaderMap, here: &str, lang: Option<&str>, csrf: Option<&str>, coach: bool) -> Result<(Viewer, Principal), Response> {
    let v = viewer(state, headers, lang).await;
    let Some(p) = v.principal.clone() else { return Err(to_login(here)) };
    if coach && !is_coach(p.role) {
        return Err(forbidden(&v, here));
    }
    if let Some(sent) = csrf
        && !csrf_ok(&p, sent)
    {
        return Err(crate::admin::csrf_failed(state, &v, &p, here).await);
    }
    Ok((v, p))
}

/// A small page for a missing session or scenario.
fn not_found(lang: Lang, key: &str) -> Response {
    let page = format!(
        "<!doctype html><html lang=\"{}\"><meta charset=\"utf-8\"><title>404</title><p id=\"rp-not-found\">{}</p><p><a href=\"/academy/roleplay\">{}</a></p></html>",
        lang.code(),
        xml_escape(lang.t(key)),
        xml_escape(lang.t("rp.title"))
    );
    (StatusCode::NOT_FOUND, [(header::CACHE_CONTROL, "no-store")], axum::response::Html(page)).into_response()
}

fn page_failed(v: &Viewer, here: &str, e: RpError) -> Response {
    match e {
        RpError::Api(ApiError::NotFound) => not_found(v.lang, "rp.error.not_found"),
        RpError::Api(ApiError::Forbidden(_)) => forbidden(v, here),
        e => e.into_response(),
    }
}

/// "2025-05-14 09:30" at a fixed offset.
fn when(at: i64, offset_ms: i64) -> String {
    let local = at + offset_ms;
    let date = anxin_domain::calendar::LocalDate::from_day_number(local.div_euclid(86_400_000));
    let ms = local.rem_euclid(86_400_000);
    format!("{:04}-{:02}-{:02} {:02}:{:02}", date.year(), date.month(), date.day(), ms / 3_600_000, ms / 60_000 % 60)
}

async fn org_offset(state: &AppState, org_id: i64) -> i64 {
    match state.store.organization(org_id).await {
        Ok(org) => crate::wellbeing::utc_offset_ms(&org.timezone),
        Err(_) => 8 * 3_600_000,
    }
}

fn outcome_text(lang: Lang, outcome: RoleplayOutcome) -> &'static str {
    lang.t(&format!("rp.outcome.{}", outcome.as_str()))
}

/// An outcome as a badge: (css key, icon, words) — never colour alone.
struct OutcomeBadge {
    key: &'static str,
    icon: &'static str,
    text: &'static str,
}

fn outcome_badge(lang: Lang, outcome: RoleplayOutcome) -> OutcomeBadge {
    let icon = match outcome {
        RoleplayOutcome::Ongoing => "…",
        RoleplayOutcome::Resolved => "✓",
        RoleplayOutcome::Escalated => "▲",
        RoleplayOutcome::Abandoned => "✕",
    };
    OutcomeBadge { key: outcome.as_str(), icon, text: outcome_text(lang, outcome) }
}

/// An emotion badge's parts with the intensity in percent.
struct EmotionView {
    key: &'static str,
    icon: &'static str,
    text: &'static str,
    percent: u32,
}

fn emotion_view(lang: Lang, emotion: Emotion, intensity: f32) -> EmotionView {
    let (key, icon, text) = emotion_badge(Some(emotion.as_str()));
    EmotionView { key, icon, text: lang.t(text), percent: (intensity.clamp(0.0, 1.0) * 100.0).round() as u32 }
}

const DIMENSIONS: [&str; 7] = ["acknowledgement", "empathy", "clarity", "solution", "options", "tone", "overall"];

/// A score chip: (dimension key, its name, value).
struct ScoreView {
    key: &'static str,
    name: &'static str,
    value: u8,
}

fn score_views(lang: Lang, scores: &anxin_training::Scores) -> Vec<ScoreView> {
    let values = [scores.acknowledgement, scores.empathy, scores.clarity, scores.solution, scores.options, scores.tone, scores.overall];
    DIMENSIONS.iter().zip(values).map(|(key, value)| ScoreView { key, name: lang.t(&format!("rp.dim.{key}")), value }).collect()
}

fn need_text(lang: Lang, need: &str) -> &'static str {
    lang.t(&format!("rp.need.{need}"))
}

fn turn_label(lang: Lang, n: u32) -> String {
    lang.t("rp.turn").replace("{n}", &n.to_string())
}

/// The JSON the page script reads: texts in the viewer's language.
fn script_texts(lang: Lang) -> String {
    let mut texts = serde_json::Map::new();
    for (key, _) in TEXTS {
        if let Some(short) = key.strip_prefix("rp.") {
            texts.insert(short.to_owned(), json!(lang.t(key)));
        }
    }
    for e in ["anger", "anxiety", "disappointment", "neutral", "satisfied"] {
        texts.insert(format!("emotion.{e}"), json!(lang.t(&format!("emotion.{e}"))));
    }
    texts.insert("intensity".into(), json!(lang.t("conversation.intensity")));
    Value::Object(texts).to_string()
}

// ----- /academy/roleplay -----

struct CardView {
    id: String,
    title: String,
    title_lang: &'static str,
    brief: String,
    persona: String,
    emotion: EmotionView,
    complaint: &'static str,
    patience: u32,
    custom: Option<i64>,
}

struct MineRow {
    id: i64,
    title: String,
    started: String,
    turns: i64,
    outcome: OutcomeBadge,
    score: Option<u8>,
    href: String,
    link_text: &'static str,
}

#[derive(Template)]
#[template(path = "roleplay.html")]
struct ListPage {
    lang: Lang,
    langs: [Lang; 3],
    me: Option<MenuUser>,
    csrf: String,
    here: String,
    coach: bool,
    notice: Option<&'static str>,
    error: Option<&'static str>,
    cards: Vec<CardView>,
    mine: Vec<MineRow>,
}

fn title_of(lang: Lang, playables: &[Playable], id: &str) -> String {
    playables.iter().find(|p| p.scenario.id() == id).map_or_else(|| id.to_owned(), |p| localized(lang, p.scenario.title()).0.to_owned())
}

async fn list_view(state: &AppState, v: &Viewer, p: &Principal, notice: Option<&'static str>, error: Option<&'static str>) -> Result<ListPage, RpError> {
    let lang = v.lang;
    let all = catalog(state, p).await?;
    let cards = all
        .iter()
        .map(|s| {
            let persona = s.scenario.persona();
            let (title, title_lang) = localized(lang, s.scenario.title());
            CardView {
                id: s.scenario.id().to_owned(),
                title: title.to_owned(),
                title_lang,
                brief: localized(lang, s.scenario.brief()).0.to_owned(),
                persona: persona.name.clone(),
                emotion: emotion_view(lang, persona.emotion, persona.intensity),
                complaint: lang.t(&format!("complaint.{}", s.scenario.complaint_type().as_str())),
                patience: persona.patience,
                custom: s.custom.as_ref().map(|c| c.version),
            }
        })
        .collect();
    let offset = org_offset(state, p.org_id).await;
    let mine = match p.user_id {
        Some(_) => state.store.my_roleplays(p.clone(), 50).await.map_err(store_error)?,
        None => Vec::new(),
    };
    let mine = mine
        .iter()
        .map(|s| {
            let ongoing = s.outcome == RoleplayOutcome::Ongoing;
            MineRow {
                id: s.id,
                title: title_of(lang, &all, &s.scenario_id),
                started: when(s.started_at, offset),
                turns: s.turns,
                outcome: outcome_badge(lang, s.outcome),
                score: s.scores.map(|x| x.overall).filter(|_| s.turns > 0),
                href: if ongoing { format!("/academy/roleplay/{}", s.id) } else { format!("/academy/roleplay/{}/debrief", s.id) },
                link_text: lang.t(if ongoing { "rp.continue" } else { "rp.view_debrief" }),
            }
        })
        .collect();
    Ok(ListPage {
        lang,
        langs: Lang::ALL,
        me: Some(menu_user(state, p).await),
        csrf: p.csrf_token.clone().unwrap_or_default(),
        here: percent_encode("/academy/roleplay"),
        coach: is_coach(p.role),
        notice,
        error,
        cards,
        mine,
    })
}

async fn list_page(State(state): State<AppState>, headers: HeaderMap, query: QueryPairs) -> Response {
    let q = query.map(|q| q.0).unwrap_or_default();
    let here = "/academy/roleplay";
    let (v, p) = match gate(&state, &headers, here, Some(first(&q, "lang")).filter(|l| !l.is_empty()), None, false).await {
        Ok(ok) => ok,
        Err(r) => return r,
    };
    let notice = (first(&q, "ok") == "scenario_saved").then(|| v.lang.t("rp.ok.scenario_saved"));
    match list_view(&state, &v, &p, notice, None).await {
        Ok(page) => render(&page, StatusCode::OK),
        Err(e) => page_failed(&v, here, e),
    }
}

/// `POST /academy/roleplay` (`scenario`, `csrf`): starts a session and opens it.
async fn start_submit(State(state): State<AppState>, headers: HeaderMap, body: Pairs) -> Response {
    let f = pairs(body);
    let here = "/academy/roleplay";
    let (v, p) = match gate(&state, &headers, here, None, Some(first(&f, "csrf")), false).await {
        Ok(ok) => ok,
        Err(r) => return r,
    };
    match start(&state, &p, first(&f, "scenario")).await {
        Ok(record) => Redirect::to(&format!("/academy/roleplay/{}", record.summary.id)).into_response(),
        Err(RpError::Api(ApiError::Invalid { .. })) => match list_view(&state, &v, &p, None, Some(v.lang.t("rp.error.unknown_scenario"))).await {
            Ok(page) => render(&page, StatusCode::UNPROCESSABLE_ENTITY),
            Err(e) => page_failed(&v, here, e),
        },
        Err(e) => page_failed(&v, here, e),
    }
}

// ----- /academy/roleplay/{id} -----

/// One bubble of the practice chat.
struct Bubble {
    /// `customer` or `agent`.
    kind: &'static str,
    text: String,
    /// Customer bubbles: the simulated emotion after the reply before it (the persona's at the opening).
    emotion: Option<EmotionView>,
    /// Agent bubbles: the turn with its scores and what it met or did wrong.
    turn: Option<TurnView>,
}

struct TurnView {
    number: u32,
    scores: Vec<ScoreView>,
    met: Vec<&'static str>,
    offences: Vec<(&'static str, String)>,
}

#[derive(Template)]
#[template(path = "roleplay_session.html")]
struct SessionPage {
    lang: Lang,
    langs: [Lang; 3],
    me: Option<MenuUser>,
    csrf: String,
    here: String,
    id: i64,
    title: String,
    title_lang: &'static str,
    brief: String,
    persona: String,
    background: String,
    order: anxin_training::Order,
    bubbles: Vec<Bubble>,
    now: EmotionView,
    patience_left: u32,
    turns: i64,
    outcome: OutcomeBadge,
    outcome_said: &'static str,
    ongoing: bool,
    /// The owner may reply (coaches look at others' sessions read-only).
    mine: bool,
    practised_by: String,
    typed: String,
    error: Option<&'static str>,
    texts_json: String,
    max_chars: usize,
}

fn session_view(state_menu: MenuUser, v: &Viewer, p: &Principal, loaded: &Loaded, typed: String, error: Option<&'static str>) -> SessionPage {
    let lang = v.lang;
    let s = &loaded.session;
    let scenario = &loaded.playable.scenario;
    let persona = scenario.persona();
    let mut bubbles = Vec::new();
    let mut emotion = emotion_view(lang, persona.emotion, persona.intensity);
    bubbles.push(Bubble { kind: "customer", text: s.opening().to_owned(), emotion: Some(emotion), turn: None });
    for t in s.turns() {
        let met = t.met.iter().map(|n| need_text(lang, n.as_str())).collect();
        let offences = t.offences.iter().map(|o| (lang.t(&format!("rp.offence.{}", o.offence.as_str())), o.text.clone())).collect();
        let turn = TurnView { number: t.number, scores: score_views(lang, &t.scores), met, offences };
        bubbles.push(Bubble { kind: "agent", text: t.reply.clone(), emotion: None, turn: Some(turn) });
        emotion = emotion_view(lang, t.emotion, t.intensity);
        bubbles.push(Bubble { kind: "customer", text: t.customer.clone(), emotion: Some(emotion), turn: None });
    }
    let r = &loaded.record.summary;
    let (title, title_lang) = localized(lang, scenario.title());
    SessionPage {
        lang,
        langs: Lang::ALL,
        me: Some(state_menu),
        csrf: p.csrf_token.clone().unwrap_or_default(),
        here: percent_encode(&format!("/academy/roleplay/{}", r.id)),
        id: r.id,
        title: title.to_owned(),
        title_lang,
        brief: localized(lang, scenario.brief()).0.to_owned(),
        persona: persona.name.clone(),
        background: persona.background.clone(),
        order: scenario.order().clone(),
        bubbles,
        now: emotion_view(lang, s.emotion(), s.intensity()),
        patience_left: s.patience_left(),
        turns: r.turns,
        outcome: outcome_badge(lang, r.outcome),
        outcome_said: lang.t(&format!("rp.outcome.said.{}", r.outcome.as_str())),
        ongoing: r.outcome == RoleplayOutcome::Ongoing,
        mine: p.user_id == Some(r.user_id),
        practised_by: r.user_name.clone(),
        typed,
        error,
        texts_json: script_texts(lang),
        max_chars: anxin_training::session::REPLY_MAX_CHARS,
    }
}

async fn show_session(state: &AppState, v: &Viewer, p: &Principal, id: i64, typed: String, error: Option<&'static str>, status: StatusCode) -> Response {
    let here = format!("/academy/roleplay/{id}");
    match load(state, p, id).await {
        Ok(loaded) => render(&session_view(menu_user(state, p).await, v, p, &loaded, typed, error), status),
        Err(e) => page_failed(v, &here, e),
    }
}

async fn session_page(State(state): State<AppState>, headers: HeaderMap, Path(id): Path<String>, query: QueryPairs) -> Response {
    let q = query.map(|q| q.0).unwrap_or_default();
    let here = format!("/academy/roleplay/{}", percent_encode(&id));
    let (v, p) = match gate(&state, &headers, &here, Some(first(&q, "lang")).filter(|l| !l.is_empty()), None, false).await {
        Ok(ok) => ok,
        Err(r) => return r,
    };
    let Ok(id) = id.parse::<i64>() else { return not_found(v.lang, "rp.error.not_found") };
    show_session(&state, &v, &p, id, String::new(), None, StatusCode::OK).await
}

/// The page's words for a refused reply.
fn reply_problem(e: &RpError) -> Option<(&'static str, StatusCode)> {
    match e {
        RpError::Api(ApiError::Invalid { reason: "empty", .. }) => Some(("rp.error.empty", StatusCode::UNPROCESSABLE_ENTITY)),
        RpError::Api(ApiError::Invalid { reason: "too_long", .. }) => Some(("rp.error.too_long", StatusCode::UNPROCESSABLE_ENTITY)),
        RpError::Api(ApiError::Invalid { .. }) => Some(("rp.error.empty", StatusCode::UNPROCESSABLE_ENTITY)),
        RpError::Refused { code: "roleplay_changed", .. } => Some(("rp.error.changed", StatusCode::CONFLICT)),
        RpError::Refused { code: "roleplay_finished", .. } => Some(("rp.error.finished", StatusCode::CONFLICT)),
        RpError::Refused { code: "roleplay_scenario_changed", .. } => Some(("rp.error.scenario_changed", StatusCode::CONFLICT)),
        _ => None,
    }
}

/// `POST /academy/roleplay/{id}` (`text`, `turns`, `csrf`): the reply without JavaScript. A refused reply comes
/// back with what was typed and why.
async fn reply_submit(State(state): State<AppState>, headers: HeaderMap, Path(id): Path<String>, body: Pairs) -> Response {
    let f = pairs(body);
    let here = format!("/academy/roleplay/{}", percent_encode(&id));
    let (v, p) = match gate(&state, &headers, &here, None, Some(first(&f, "csrf")), false).await {
        Ok(ok) => ok,
        Err(r) => return r,
    };
    let Ok(id) = id.parse::<i64>() else { return not_found(v.lang, "rp.error.not_found") };
    let text = first(&f, "text").to_owned();
    let turns = first(&f, "turns").trim().parse::<i64>().unwrap_or(-1);
    match reply(&state, &p, id, turns, text.clone()).await {
        Ok((turn, _)) => Redirect::to(&format!("/academy/roleplay/{id}#rp-turn-{}", turn.number)).into_response(),
        Err(e) => match reply_problem(&e) {
            Some((key, status)) => {
                let kept: String = text.chars().take(anxin_training::session::REPLY_MAX_CHARS * 2).collect();
                show_session(&state, &v, &p, id, kept, Some(v.lang.t(key)), status).await
            }
            None => page_failed(&v, &here, e),
        },
    }
}

/// `POST /academy/roleplay/{id}/finish` (`turns`, `csrf`): the agent ends the session; on to the debrief.
async fn finish_submit(State(state): State<AppState>, headers: HeaderMap, Path(id): Path<String>, body: Pairs) -> Response {
    let f = pairs(body);
    let here = format!("/academy/roleplay/{}", percent_encode(&id));
    let (v, p) = match gate(&state, &headers, &here, None, Some(first(&f, "csrf")), false).await {
        Ok(ok) => ok,
        Err(r) => return r,
    };
    let Ok(id) = id.parse::<i64>() else { return not_found(v.lang, "rp.error.not_found") };
    let turns = first(&f, "turns").trim().parse::<i64>().unwrap_or(-1);
    match finish(&state, &p, id, turns).await {
        Ok(_) => Redirect::to(&format!("/academy/roleplay/{id}/debrief")).into_response(),
        Err(e) => match reply_problem(&e) {
            Some((key, status)) => show_session(&state, &v, &p, id, String::new(), Some(v.lang.t(key)), status).await,
            None => page_failed(&v, &here, e),
        },
    }
}

// ----- /academy/roleplay/{id}/debrief -----

/// A stored debrief as the page reads it (lenient: the JSON of `anxin_training::Debrief`).
#[derive(Deserialize, Default)]
#[serde(default)]
struct DebriefData {
    outcome: String,
    means: HashMap<String, u8>,
    needs_met: Vec<String>,
    needs_unmet: Vec<String>,
    turns: Vec<DebriefTurnData>,
    summary: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct DebriefTurnData {
    number: u32,
    customer: String,
    reply: String,
    scores: HashMap<String, u8>,
    lacked: Vec<LackData>,
    rewrite: Option<String>,
    model_answer: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct LackData {
    kind: String,
    need: Option<String>,
    offence: Option<String>,
    dimension: Option<String>,
    text: Option<String>,
    score: Option<u8>,
    advice: String,
}

struct LackView {
    kind: String,
    label: String,
    quote: Option<String>,
    advice: String,
}

struct DebriefTurnView {
    number: u32,
    label: String,
    customer: String,
    reply: String,
    scores: Vec<ScoreView>,
    lacked: Vec<LackView>,
    model_answer: Option<String>,
    rewrite: Option<String>,
}

#[derive(Template)]
#[template(path = "roleplay_debrief.html")]
struct DebriefPage {
    lang: Lang,
    langs: [Lang; 3],
    me: Option<MenuUser>,
    csrf: String,
    here: String,
    id: i64,
    scenario_id: String,
    title: String,
    title_lang: &'static str,
    outcome: OutcomeBadge,
    outcome_said: &'static str,
    finished: bool,
    practised_by: String,
    summary: String,
    chart_svg: String,
    means: Vec<ScoreView>,
    needs_met: Vec<&'static str>,
    needs_unmet: Vec<&'static str>,
    turns: Vec<DebriefTurnView>,
}

fn scores_from_map(lang: Lang, map: &HashMap<String, u8>) -> Vec<ScoreView> {
    DIMENSIONS.iter().map(|key| ScoreView { key, name: lang.t(&format!("rp.dim.{key}")), value: map.get(*key).copied().unwrap_or(0) }).collect()
}

/// The mean scores as a horizontal bar chart drawn here: every bar labelled with its dimension and value (never
/// colour alone), `<title>`/`<desc>` for screen readers, all text escaped.
fn means_svg(lang: Lang, means: &[ScoreView]) -> String {
    const ROW: usize = 26;
    const LABEL: usize = 120;
    const BAR: f64 = 300.0;
    let height = ROW * means.len() + 10;
    let width = LABEL + BAR as usize + 60;
    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg class=\"rp-chart\" id=\"rp-chart\" role=\"img\" aria-labelledby=\"rp-chart-title rp-chart-desc\" viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\">\
         <title id=\"rp-chart-title\">{}</title><desc id=\"rp-chart-desc\">{}</desc>",
        xml_escape(lang.t("rp.chart.title")),
        xml_escape(&format!(
            "{} {}",
            lang.t("rp.chart.desc"),
            means.iter().map(|m| format!("{} {}", m.name, m.value)).collect::<Vec<_>>().join(", ")
        ))
    );
    for (i, m) in means.iter().enumerate() {
        let y = 5 + i * ROW;
        let w = (BAR * f64::from(m.value.min(100)) / 100.0).round();
        let _ = write!(
            svg,
            "<g class=\"rp-bar rp-bar-{key}\" data-dimension=\"{key}\" data-value=\"{value}\">\
             <text x=\"{lx}\" y=\"{ty}\" text-anchor=\"end\">{name}</text>\
             <rect class=\"rp-track\" x=\"{LABEL}\" y=\"{y}\" width=\"{BAR}\" height=\"18\" rx=\"3\"/>\
             <rect class=\"rp-fill\" x=\"{LABEL}\" y=\"{y}\" width=\"{w}\" height=\"18\" rx=\"3\"/>\
             <text x=\"{vx}\" y=\"{ty}\">{value}</text></g>",
            key = m.key,
            value = m.value,
            lx = LABEL - 8,
            ty = y + 14,
            name = xml_escape(m.name),
            vx = LABEL + w as usize + 6,
        );
    }
    svg.push_str("</svg>");
    svg
}

fn lack_view(lang: Lang, l: LackData) -> LackView {
    let label = match l.kind.as_str() {
        "need" => need_text(lang, l.need.as_deref().unwrap_or("")).to_owned(),
        "offence" => lang.t(&format!("rp.offence.{}", l.offence.as_deref().unwrap_or(""))).to_owned(),
        "dimension" => format!("{} {}", lang.t(&format!("rp.dim.{}", l.dimension.as_deref().unwrap_or(""))), l.score.unwrap_or(0)),
        _ => String::new(),
    };
    LackView { kind: l.kind, label, quote: l.text, advice: l.advice }
}

async fn debrief_page(State(state): State<AppState>, headers: HeaderMap, Path(id): Path<String>, query: QueryPairs) -> Response {
    let q = query.map(|q| q.0).unwrap_or_default();
    let here = format!("/academy/roleplay/{}/debrief", percent_encode(&id));
    let (v, p) = match gate(&state, &headers, &here, Some(first(&q, "lang")).filter(|l| !l.is_empty()), None, false).await {
        Ok(ok) => ok,
        Err(r) => return r,
    };
    let lang = v.lang;
    let Ok(id) = id.parse::<i64>() else { return not_found(lang, "rp.error.not_found") };
    let loaded = match load(&state, &p, id).await {
        Ok(loaded) => loaded,
        Err(e) => return page_failed(&v, &here, e),
    };
    let data: DebriefData = serde_json::from_value(debrief_of(&loaded)).unwrap_or_default();
    let r = &loaded.record.summary;
    let outcome = RoleplayOutcome::parse(&data.outcome).unwrap_or(r.outcome);
    let means = scores_from_map(lang, &data.means);
    let (title, title_lang) = localized(lang, loaded.playable.scenario.title());
    let turns = data
        .turns
        .into_iter()
        .map(|t| DebriefTurnView {
            number: t.number,
            label: turn_label(lang, t.number),
            customer: t.customer,
            reply: t.reply,
            scores: scores_from_map(lang, &t.scores),
            lacked: t.lacked.into_iter().map(|l| lack_view(lang, l)).collect(),
            model_answer: t.model_answer,
            rewrite: t.rewrite,
        })
        .collect();
    let page = DebriefPage {
        lang,
        langs: Lang::ALL,
        me: Some(menu_user(&state, &p).await),
        csrf: p.csrf_token.clone().unwrap_or_default(),
        here: percent_encode(&here),
        id,
        scenario_id: r.scenario_id.clone(),
        title: title.to_owned(),
        title_lang,
        outcome: outcome_badge(lang, outcome),
        outcome_said: lang.t(&format!("rp.outcome.said.{}", outcome.as_str())),
        finished: r.outcome != RoleplayOutcome::Ongoing,
        practised_by: r.user_name.clone(),
        summary: data.summary,
        chart_svg: means_svg(lang, &means),
        means,
        needs_met: data.needs_met.iter().map(|n| need_text(lang, n)).collect(),
        needs_unmet: data.needs_unmet.iter().map(|n| need_text(lang, n)).collect(),
        turns,
    };
    render(&page, StatusCode::OK)
}

// ----- /academy/scenarios/new -----

struct CandidateView {
    id: i64,
    when: String,
    emotion: EmotionView,
    complaint: &'static str,
    preview: String,
}

struct SourceView {
    speaker: &'static str,
    text: String,
}

struct ScenarioError {
    message: String,
    line: Option<(usize, String)>,
}

#[derive(Template)]
#[template(path = "roleplay_scenario.html")]
struct ScenarioPage {
    lang: Lang,
    langs: [Lang; 3],
    me: Option<MenuUser>,
    csrf: String,
    here: String,
    from: Option<i64>,
    toml: String,
    hint: &'static str,
    problem: Option<&'static str>,
    error: Option<ScenarioError>,
    source: Vec<SourceView>,
    candidates: Vec<CandidateView>,
}

async fn scenario_view(state: &AppState, v: &Viewer, p: &Principal, from: Option<i64>, toml: Option<String>) -> (ScenarioPage, StatusCode) {
    let lang = v.lang;
    let mut problem = None;
    let mut source = Vec::new();
    let mut status = StatusCode::OK;
    let mut drafted = None;
    if let Some(conversation) = from {
        match draft_for(state, p, conversation).await {
            Ok((s, text)) => {
                source = s
                    .lines
                    .iter()
                    .map(|l| SourceView { speaker: if l.speaker == SourceSpeaker::Customer { "customer" } else { "agent" }, text: l.text.clone() })
                    .collect();
                drafted = Some(text);
            }
            Err(RpError::Refused { code: "conversation_not_resolved", .. }) => {
                problem = Some("rp.scenario.source_open");
                status = StatusCode::CONFLICT;
            }
            Err(_) => {
                problem = Some("rp.scenario.source_missing");
                status = StatusCode::NOT_FOUND;
            }
        }
    }
    let candidates: Vec<SourceCandidate> = if source.is_empty() { state.store.scenario_source_candidates(p.clone(), 20).await.unwrap_or_default() } else { Vec::new() };
    let offset = org_offset(state, p.org_id).await;
    let candidates = candidates
        .into_iter()
        .map(|c| {
            let emotion = c.emotion.as_deref().and_then(Emotion::parse).unwrap_or(Emotion::Neutral);
            CandidateView {
                id: c.conversation_id,
                when: c.resolved_at.map(|at| when(at, offset)).unwrap_or_default(),
                emotion: emotion_view(lang, emotion, c.peak_intensity as f32),
                complaint: c.complaint_type.as_deref().map_or("", |k| lang.t(&format!("complaint.{k}"))),
                preview: c.preview,
            }
        })
        .collect();
    let has_draft = drafted.is_some();
    let here = match from {
        Some(id) => format!("/academy/scenarios/new?from={id}"),
        None => "/academy/scenarios/new".to_owned(),
    };
    let page = ScenarioPage {
        lang,
        langs: Lang::ALL,
        me: Some(menu_user(state, p).await),
        csrf: p.csrf_token.clone().unwrap_or_default(),
        here: percent_encode(&here),
        from: from.filter(|_| has_draft || toml.is_some()),
        toml: toml.or(drafted).unwrap_or_else(template_toml),
        hint: lang.t(if has_draft { "rp.scenario.hint" } else { "rp.scenario.template_hint" }),
        problem,
        error: None,
        source,
        candidates,
    };
    (page, status)
}

async fn scenario_page(State(state): State<AppState>, headers: HeaderMap, query: QueryPairs) -> Response {
    let q = query.map(|q| q.0).unwrap_or_default();
    let from = first(&q, "from").trim().parse::<i64>().ok();
    let here = match from {
        Some(id) => format!("/academy/scenarios/new?from={id}"),
        None => "/academy/scenarios/new".to_owned(),
    };
    let (v, p) = match gate(&state, &headers, &here, Some(first(&q, "lang")).filter(|l| !l.is_empty()), None, true).await {
        Ok(ok) => ok,
        Err(r) => return r,
    };
    let (page, status) = scenario_view(&state, &v, &p, from, None).await;
    render(&page, status)
}

/// `POST /academy/scenarios/new` (`toml`, `from`, `csrf`): saves the scenario; a refused file comes back as typed
/// with the problem and its line.
async fn scenario_submit(State(state): State<AppState>, headers: HeaderMap, body: Pairs) -> Response {
    let f = pairs(body);
    let here = "/academy/scenarios/new";
    let (v, p) = match gate(&state, &headers, here, None, Some(first(&f, "csrf")), true).await {
        Ok(ok) => ok,
        Err(r) => return r,
    };
    let toml = first(&f, "toml").replace("\r\n", "\n");
    let from = first(&f, "from").trim().parse::<i64>().ok();
    match save_scenario(&state, &p, toml.clone(), from).await {
        Ok(saved) => Redirect::to(&format!("/academy/roleplay?ok=scenario_saved#rp-scenario-{}", saved.scenario.id())).into_response(),
        Err(e) => {
            let (message, line) = match &e {
                RpError::Refused { message, details, .. } => {
                    let line = details["line"].as_u64().map(|n| n as usize).filter(|n| *n >= 1);
                    (message.clone(), line)
                }
                RpError::Api(ApiError::Invalid { message, .. }) => (message.clone(), None),
                _ => return page_failed(&v, here, e),
            };
            let message = if message.contains("starter scenario") { format!("{message} — {}", v.lang.t("rp.scenario.starter_id")) } else { message };
            let line = line.map(|n| (n, toml.lines().nth(n - 1).unwrap_or("").chars().take(300).collect()));
            let kept: String = toml.chars().take(anxin_store::roleplay::SCENARIO_MAX_BYTES).collect();
            let (mut page, _) = scenario_view(&state, &v, &p, None, Some(kept)).await;
            page.from = from;
            page.error = Some(ScenarioError { message, line });
            render(&page, StatusCode::UNPROCESSABLE_ENTITY)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use anxin_store::roleplay::SourceLine;

    fn analyzer() -> &'static Analyzer {
        Analyzer::embedded().expect("model")
    }

    fn line(speaker: SourceSpeaker, text: &str, emotion: Option<&str>, intensity: Option<f64>) -> SourceLine {
        SourceLine { speaker, text: text.into(), masked: speaker == SourceSpeaker::Customer, emotion: emotion.map(str::to_owned), intensity }
    }

    #[test]
    fn the_store_and_the_simulator_agree_on_the_longest_reply() {
        assert_eq!(anxin_store::roleplay::REPLY_MAX_CHARS, anxin_training::session::REPLY_MAX_CHARS);
    }

    #[test]
    fn a_draft_from_a_conversation_parses_and_keeps_the_masked_words() {
        let mut source = ScenarioSource {
            conversation_id: 42,
            emotion: Some("anxiety".into()),
            peak_intensity: 0.8,
            complaint_type: Some("logistics".into()),
            resolved_at: Some(1),
            lines: vec![
                line(SourceSpeaker::Customer, "我的快递三天没动了，电话138****5678，\"急\"死了\n怎么办", Some("anxiety"), Some(0.8)),
                line(SourceSpeaker::Agent, "理解您的着急，我查到包裹目前在武汉转运中心，明天下午3点前我再联系您，电话13812345678。", None, None),
                line(SourceSpeaker::Customer, "那好吧", Some("neutral"), Some(0.4)),
                line(SourceSpeaker::Customer, "好的谢谢", Some("satisfied"), Some(0.1)),
            ],
        };
        mask_agent_lines(&mut source, analyzer());
        assert!(!source.lines[1].text.contains("13812345678"), "{}", source.lines[1].text);
        let toml = draft_toml(&source, analyzer());
        let scenario = Scenario::parse("scenario", &toml).unwrap_or_else(|e| panic!("{e}\n{toml}"));
        assert_eq!(scenario.id(), "case-42");
        assert_eq!(scenario.persona().emotion, Emotion::Anxiety);
        assert_eq!(scenario.complaint_type(), ComplaintType::Logistics);
        assert!(scenario.customer().opening[0].starts_with("我的快递三天没动了"), "{:?}", scenario.customer().opening);
        assert!(scenario.customer().resolved.contains(&"好的谢谢".to_owned()));
        assert!(!toml.contains("13812345678"));
        // The agent's own line met needs, so it is a model answer.
        assert!(scenario.model_answers().iter().any(|a| a.text.contains("武汉转运中心")), "{toml}");
    }

    #[test]
    fn a_draft_from_a_bare_conversation_still_parses() {
        for emotion in ["anger", "disappointment", "neutral"] {
            let source = ScenarioSource {
                conversation_id: 7,
                emotion: Some(emotion.into()),
                peak_intensity: 0.0,
                complaint_type: None,
                resolved_at: None,
                lines: vec![line(SourceSpeaker::Customer, "  ", None, None)],
            };
            let toml = draft_toml(&source, analyzer());
            Scenario::parse("scenario", &toml).unwrap_or_else(|e| panic!("{emotion}: {e}\n{toml}"));
        }
        Scenario::parse("scenario", &template_toml()).expect("the template parses");
    }

    #[test]
    fn the_chart_is_balanced_escaped_and_labelled() {
        let means = vec![
            ScoreView { key: "acknowledgement", name: "确认<&>", value: 80 },
            ScoreView { key: "overall", name: "总分", value: 100 },
        ];
        let svg = means_svg(Lang::ZhHans, &means);
        crate::pages::balanced(&svg).unwrap_or_else(|e| panic!("{e}: {svg}"));
        assert!(svg.contains("确认&lt;&amp;&gt;") && svg.contains("data-value=\"80\"") && svg.contains("<title"), "{svg}");
    }

    #[test]
    fn an_agent_ended_debrief_says_so() {
        let mut debrief = json!({"outcome": "ongoing", "summary": "对话进行到第2轮，还没有结束。平均得分50分。"});
        ended_by_agent(&mut debrief, 2);
        assert_eq!(debrief["outcome"], "abandoned");
        assert_eq!(debrief["summary"], "你在第2轮回复后结束了练习。平均得分50分。");
    }

    #[test]
    fn good_replies_resolve_the_late_delivery_customer_for_any_seed() {
        let scenario = anxin_training::starter_scenario("late-delivery-anxiety").expect("scenario");
        for seed in 0..40 {
            let mut session = Session::start(scenario, seed);
            for text in GOOD_LATE_DELIVERY_REPLIES {
                if session.outcome() == Outcome::Ongoing {
                    session.reply(text, analyzer()).expect("reply");
                }
            }
            assert_eq!(session.outcome(), Outcome::Resolved, "seed {seed}: {:?}", session.transcript());
        }
    }

    /// Acknowledge, give the tracking fact, a time-bound next step (the browser story types these).
    pub(crate) const GOOD_LATE_DELIVERY_REPLIES: [&str; 3] = [
        "理解您的着急，孩子的生日礼物肯定想准时收到，换作是我也会着急。",
        "我刚查了，包裹因为暴雨在武汉转运中心滞留了三天，今天上午已经重新分拣发出，目前在去长沙的路上。",
        "预计明天到长沙岳麓网点，后天上午派送。我已经为您申请加急，明天下午3点前我再查一次，把最新位置发给您。",
    ];
}
