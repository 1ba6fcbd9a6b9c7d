//! Agent wellbeing: mood barometer, self-tests, the private emotion diary (PRODUCT.md §5).
//!
//! - `/me/wellbeing` (anyone signed in as a person): today's check-in, my check-ins and trend, the WHO-5 self-test
//!   with my score trend and when the next one is due, my ABC diary with reframing prompts. Forms are CSRF-checked;
//!   a form with a mistake comes back with the field's error and everything typed.
//! - `/team/wellbeing` (supervisors of the team, admins): the team's weather now, by hour today and by day for
//!   14 days, as aggregates of at least three people, beside the team's load; members' *shared* check-ins
//!   (each view audited by the store). Never diary entries or self-test answers.
//! - JSON: `/api/v1/me/wellbeing/...` (check-ins, self-tests, diary CRUD, export) and `/api/v1/teams/{id}/weather`.
//!
//! Privacy is enforced by the store's signatures (`anxin_store::wellbeing::Me`): every private read here is of the
//! requesting person's own rows, so another person's ids answer 404, never 403.

use std::fmt::Write as _;

use askama::Template;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use anxin_domain::input::InputError;
use anxin_domain::wellbeing::{
    self as wb, CheckIn, DiaryEntry, INSTRUMENTS, Instrument, MOOD_TAGS, REFRAME_QUESTIONS, REFRAMES, Texts, WEATHER, WHO5, WeatherBucket,
};
use anxin_domain::{Action, Role};
use anxin_store::wellbeing::{DiaryRecord, Me, SelfTestResult, TeamWeatherReport, WeatherWindows};
use anxin_store::{Principal, StoreError};

use crate::AppState;
use crate::auth::Staff;
use crate::board::{MenuUser, csrf_ok, menu_user};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiQuery};
use crate::i18n::Lang;
use crate::pages::{Viewer, forbidden, percent_encode, render, to_login, viewer};

/// UI texts of this area (see `i18n`).
pub const TEXTS: &[(&str, [&str; 3])] = &[
    ("wellbeing.title", ["我的身心状态", "我的身心狀態", "My wellbeing"]),
    ("wellbeing.team_title", ["团队情绪晴雨表", "團隊情緒晴雨表", "Team mood barometer"]),
    ("wellbeing.private_note", [
        "这里的日记和自测答案只有你自己能看到。心情打卡只会以至少 3 人的团队汇总形式出现，除非你选择分享给主管。这些数据不会用于任何绩效考核。",
        "這裡的日記和自測答案只有你自己能看到。心情打卡只會以至少 3 人的團隊彙總形式出現，除非你選擇分享給主管。這些資料不會用於任何績效考核。",
        "Your diary and self-test answers are visible only to you. Mood check-ins reach supervisors only as team aggregates of at least 3 people, unless you choose to share. None of this is used for performance reviews.",
    ]),
    ("wellbeing.checkin", ["心情晴雨表", "心情晴雨表", "Mood barometer"]),
    ("wellbeing.checkin_prompt", ["此刻你的心情天气如何？", "此刻你的心情天氣如何？", "What's your mood weather right now?"]),
    ("wellbeing.tags", ["与什么有关（可选）", "與什麼有關（可選）", "What's it about (optional)"]),
    ("wellbeing.note", ["想说点什么（可选，最多 500 字）", "想說點什麼（可選，最多 500 字）", "Anything to add (optional, up to 500 characters)"]),
    ("wellbeing.share", ["分享给我的主管", "分享給我的主管", "Share with my supervisor"]),
    ("wellbeing.share_hint", [
        "默认不分享。分享后，你的主管能看到这一次打卡（会留下查看记录）。",
        "預設不分享。分享後，你的主管能看到這一次打卡（會留下查看紀錄）。",
        "Off by default. If shared, your supervisor can see this check-in (each view is logged).",
    ]),
    ("wellbeing.save_checkin", ["记录心情", "記錄心情", "Check in"]),
    ("wellbeing.recent", ["最近的打卡", "最近的打卡", "Recent check-ins"]),
    ("wellbeing.no_checkins", ["还没有打卡记录", "還沒有打卡紀錄", "No check-ins yet"]),
    ("wellbeing.shared_badge", ["已分享", "已分享", "shared"]),
    ("wellbeing.mood_trend", ["我的心情走势", "我的心情走勢", "My mood trend"]),
    ("wellbeing.mood_trend_desc", ["最近 {n} 次打卡，1 雷雨 至 5 晴", "最近 {n} 次打卡，1 雷雨 至 5 晴", "The last {n} check-ins, 1 storm to 5 sunny"]),
    ("wellbeing.selftest", ["自我测评", "自我測評", "Self-test"]),
    ("wellbeing.selftest_due", ["该做一次自我测评了，只需一分钟。", "該做一次自我測評了，只需一分鐘。", "Your self-test is due; it takes about a minute."]),
    ("wellbeing.selftest_next", ["下次测评：{t}", "下次測評：{t}", "Next self-test: {t}"]),
    ("wellbeing.selftest_every", ["每 {n} 天一次", "每 {n} 天一次", "every {n} days"]),
    ("wellbeing.submit_selftest", ["提交测评", "提交測評", "Submit"]),
    ("wellbeing.your_score", ["你的得分：{s} / 100", "你的得分：{s} / 100", "Your score: {s} / 100"]),
    ("wellbeing.score_trend", ["我的测评得分走势", "我的測評得分走勢", "My self-test scores"]),
    ("wellbeing.score_trend_desc", ["最近 {n} 次得分（0–100），虚线为 28 与 50", "最近 {n} 次得分（0–100），虛線為 28 與 50", "The last {n} scores (0–100); dashed lines at 28 and 50"]),
    ("wellbeing.change.better", ["比上次明显提升", "比上次明顯提升", "clearly better than last time"]),
    ("wellbeing.change.same", ["与上次相近", "與上次相近", "about the same as last time"]),
    ("wellbeing.change.worse", ["比上次明显下降", "比上次明顯下降", "clearly lower than last time"]),
    ("wellbeing.support", [
        "需要支持时：找信任的同事或主管聊聊、联系员工援助（EAP），或先休息一下。如有紧急危险，请立即拨打 120 或当地急救电话。",
        "需要支持時：找信任的同事或主管聊聊、聯絡員工協助方案（EAP），或先休息一下。如有緊急危險，請立即撥打當地急救電話。",
        "When you need support: talk to a colleague or supervisor you trust, contact the employee assistance programme, or take a break. In an emergency, call your local emergency number now.",
    ]),
    ("wellbeing.no_selftests", ["还没有测评结果", "還沒有測評結果", "No results yet"]),
    ("wellbeing.diary", ["情绪日记（ABC）", "情緒日記（ABC）", "Emotion diary (ABC)"]),
    ("wellbeing.diary_intro", [
        "记下发生了什么（A）、你当时怎么想（B）、带来了什么感受和反应（C），再试着换个角度看（新的想法）。",
        "記下發生了什麼（A）、你當時怎麼想（B）、帶來了什麼感受和反應（C），再試著換個角度看（新的想法）。",
        "Write what happened (A), what you thought (B), how you felt and reacted (C), then try another way of seeing it.",
    ]),
    ("wellbeing.event", ["A 发生了什么", "A 發生了什麼", "A – What happened"]),
    ("wellbeing.belief", ["B 我当时的想法", "B 我當時的想法", "B – What I thought"]),
    ("wellbeing.consequence", ["C 感受与反应", "C 感受與反應", "C – How I felt and reacted"]),
    ("wellbeing.reframe", ["换个角度的想法", "換個角度的想法", "Reframed thought"]),
    ("wellbeing.save_entry", ["保存日记", "儲存日記", "Save entry"]),
    ("wellbeing.update_entry", ["保存修改", "儲存修改", "Save changes"]),
    ("wellbeing.cancel_edit", ["取消编辑", "取消編輯", "Cancel"]),
    ("wellbeing.edit", ["编辑", "編輯", "Edit"]),
    ("wellbeing.delete", ["删除", "刪除", "Delete"]),
    ("wellbeing.editing", ["正在编辑日记", "正在編輯日記", "Editing an entry"]),
    ("wellbeing.no_entries", ["还没有日记", "還沒有日記", "No entries yet"]),
    ("wellbeing.reframes", ["换个角度想想", "換個角度想想", "Reframing prompts"]),
    ("wellbeing.questions", ["可以问问自己", "可以問問自己", "Questions to ask yourself"]),
    ("wellbeing.export", ["导出我的全部数据（JSON）", "匯出我的全部資料（JSON）", "Export all my data (JSON)"]),
    ("wellbeing.ok.checkin", ["已记录你的心情", "已記錄你的心情", "Check-in saved"]),
    ("wellbeing.ok.selftest", ["测评已保存", "測評已儲存", "Self-test saved"]),
    ("wellbeing.ok.entry_saved", ["日记已保存", "日記已儲存", "Entry saved"]),
    ("wellbeing.ok.entry_deleted", ["日记已删除", "日記已刪除", "Entry deleted"]),
    ("wellbeing.ok.settings", ["测评周期已保存", "測評週期已儲存", "Schedule saved"]),
    ("wellbeing.error.form", ["请检查标出的内容", "請檢查標出的內容", "Please check the marked fields"]),
    ("wellbeing.error.mood", ["请选择一种心情天气", "請選擇一種心情天氣", "Choose a mood"]),
    ("wellbeing.error.tags", ["标签无效或超过 5 个", "標籤無效或超過 5 個", "Unknown tag, or more than 5"]),
    ("wellbeing.error.note", ["备注最多 500 字，且不能包含控制字符", "備註最多 500 字，且不能包含控制字元", "Up to 500 characters, without control characters"]),
    ("wellbeing.error.answers", ["请回答全部 5 个问题", "請回答全部 5 個問題", "Please answer all 5 items"]),
    ("wellbeing.error.event", ["请写下发生了什么", "請寫下發生了什麼", "Describe what happened"]),
    ("wellbeing.error.text", ["最多 2000 字，且不能包含控制字符", "最多 2000 字，且不能包含控制字元", "Up to 2000 characters, without control characters"]),
    ("wellbeing.error.days", ["请输入 1 到 90 之间的天数", "請輸入 1 到 90 之間的天數", "A number of days from 1 to 90"]),
    ("wellbeing.no_person", ["请以个人账号登录后使用", "請以個人帳號登入後使用", "Sign in as a person to use this"]),
    ("wellbeing.team", ["团队", "團隊", "Team"]),
    ("wellbeing.no_teams", ["你还不是任何团队的主管成员。请管理员把你加入团队。", "你還不是任何團隊的主管成員。請管理員把你加入團隊。", "You are not a member of any team yet. Ask an admin to add you."]),
    ("wellbeing.weather_now", ["此刻的团队天气", "此刻的團隊天氣", "Team weather now"]),
    ("wellbeing.by_hour", ["今天按小时", "今天按小時", "Today by hour"]),
    ("wellbeing.by_day", ["近 14 天按天", "近 14 天按天", "Last 14 days by day"]),
    ("wellbeing.hidden", ["不足 3 人，为保护隐私已隐藏", "不足 3 人，為保護隱私已隱藏", "Fewer than 3 people — hidden to protect privacy"]),
    ("wellbeing.people", ["{n} 人", "{n} 人", "{n} people"]),
    ("wellbeing.average", ["平均 {a}", "平均 {a}", "average {a}"]),
    ("wellbeing.members", ["成员", "成員", "Members"]),
    ("wellbeing.load", ["当前负荷", "當前負荷", "Current load"]),
    (
        "wellbeing.load_value",
        [
            "{o} 个进行中的会话 · {n} 人在线 · 人均情绪负荷 {l}",
            "{o} 個進行中的會話 · {n} 人在線 · 人均情緒負荷 {l}",
            "{o} open conversations · {n} online · mean emotional load {l}",
        ],
    ),
    ("wellbeing.shared", ["成员主动分享的打卡", "成員主動分享的打卡", "Check-ins members chose to share"]),
    ("wellbeing.shared_hint", [
        "只显示成员选择分享的打卡；每次查看都会记入审计日志。日记与自测答案永远不会出现在这里。",
        "只顯示成員選擇分享的打卡；每次查看都會記入稽核日誌。日記與自測答案永遠不會出現在這裡。",
        "Only check-ins members chose to share; every view is recorded in the audit log. Diaries and self-test answers never appear here.",
    ]),
    ("wellbeing.no_shared", ["近 14 天没有分享的打卡", "近 14 天沒有分享的打卡", "No shared check-ins in the last 14 days"]),
    ("wellbeing.settings", ["自我测评周期", "自我測評週期", "Self-test schedule"]),
    ("wellbeing.settings_days", ["间隔天数", "間隔天數", "Every (days)"]),
    ("wellbeing.save", ["保存", "儲存", "Save"]),
    ("wellbeing.when", ["时间", "時間", "When"]),
    ("wellbeing.mood", ["心情", "心情", "Mood"]),
    ("wellbeing.person", ["成员", "成員", "Member"]),
    ("wellbeing.tag.workload", ["工作量", "工作量", "Workload"]),
    ("wellbeing.tag.difficult_customer", ["难缠的客户", "難纏的客戶", "Difficult customer"]),
    ("wellbeing.tag.helped_someone", ["帮到了别人", "幫到了別人", "Helped someone"]),
    ("wellbeing.tag.teamwork", ["团队合作", "團隊合作", "Teamwork"]),
    ("wellbeing.tag.recognition", ["被认可", "被認可", "Recognition"]),
    ("wellbeing.tag.tired", ["疲惫", "疲憊", "Tired"]),
    ("wellbeing.tag.health", ["身体状况", "身體狀況", "Health"]),
    ("wellbeing.tag.personal", ["个人生活", "個人生活", "Personal life"]),
    ("wellbeing.tag.learning", ["学到新东西", "學到新東西", "Learning"]),
    ("wellbeing.tag.system_issue", ["系统问题", "系統問題", "System issue"]),
];

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/me/wellbeing", get(my_page))
        .route("/me/wellbeing/checkin", post(checkin_form))
        .route("/me/wellbeing/selftest", post(selftest_form))
        .route("/me/wellbeing/diary", post(diary_create_form))
        .route("/me/wellbeing/diary/{id}", post(diary_update_form))
        .route("/me/wellbeing/diary/{id}/delete", post(diary_delete_form))
        .route("/team/wellbeing", get(team_page))
        .route("/team/wellbeing/settings", post(settings_form))
        .route("/api/v1/me/wellbeing/checkins", get(api_checkins).post(api_checkin))
        .route("/api/v1/me/wellbeing/selftests", get(api_selftests).post(api_selftest))
        .route("/api/v1/me/wellbeing/selftests/{id}", get(api_selftest_one))
        .route("/api/v1/me/wellbeing/instruments", get(api_instruments))
        .route("/api/v1/me/wellbeing/diary", get(api_diary).post(api_diary_create))
        .route("/api/v1/me/wellbeing/diary/{id}", get(api_diary_one).put(api_diary_update).delete(api_diary_delete))
        .route("/api/v1/me/wellbeing/export", get(api_export))
        .route("/api/v1/teams/{id}/weather", get(api_team_weather))
        .route("/api/v1/teams/{id}/shared-checkins", get(api_team_shared))
        .route("/api/v1/wellbeing/settings", get(api_settings).put(api_settings_put))
        .route(
            "/assets/wellbeing.css",
            get(|| async { ([(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "no-cache")], include_str!("../assets/wellbeing.css")) }),
        )
}

// ----- shared pure helpers -----

/// The text of `texts` in `lang`.
fn tr(lang: Lang, texts: &Texts) -> &'static str {
    texts[lang as usize]
}

/// How far a zone is from UTC, in ms. Fixed offsets for the zones the product is used in (none of them observes
/// daylight saving time); UTC for anything else.
pub(crate) fn utc_offset_ms(timezone: &str) -> i64 {
    let hours = match timezone {
        "Asia/Shanghai" | "Asia/Chongqing" | "Asia/Harbin" | "Asia/Urumqi" | "Asia/Hong_Kong" | "Asia/Macau" | "Asia/Taipei" | "Asia/Singapore"
        | "Asia/Kuala_Lumpur" | "Asia/Manila" | "PRC" => 8,
        "Asia/Tokyo" | "Asia/Seoul" => 9,
        "Asia/Bangkok" | "Asia/Jakarta" | "Asia/Ho_Chi_Minh" => 7,
        _ => 0,
    };
    hours * 3_600_000
}

/// Start of the local day holding `at` (Unix ms), for a fixed offset.
pub(crate) fn local_midnight(at: i64, offset_ms: i64) -> i64 {
    let day = 86_400_000;
    (at + offset_ms).div_euclid(day) * day - offset_ms
}

/// `(month, day, hour, minute)` of a Unix ms time at a fixed offset (civil calendar, proleptic Gregorian).
fn local_parts(at: i64, offset_ms: i64) -> (u32, u32, u32, u32) {
    let local = at + offset_ms;
    let date = anxin_domain::calendar::LocalDate::from_day_number(local.div_euclid(86_400_000));
    let ms = local.rem_euclid(86_400_000);
    (u32::from(date.month()), u32::from(date.day()), (ms / 3_600_000) as u32, (ms / 60_000 % 60) as u32)
}

/// "05-14 09:30".
fn when_text(at: i64, offset_ms: i64) -> String {
    let (m, d, h, min) = local_parts(at, offset_ms);
    format!("{m:02}-{d:02} {h:02}:{min:02}")
}


/// A small line chart of `values` (oldest first) between `lo` and `hi`, with dashed guide lines, a `<title>`, a
/// `<desc>` and a `<title>` per point. All text is escaped here. `None` with no values.
pub(crate) fn trend_svg(id: &str, values: &[(String, f64)], lo: f64, hi: f64, guides: &[f64], title: &str, desc: &str) -> Option<String> {
    if values.is_empty() {
        return None;
    }
    const W: f64 = 320.0;
    const H: f64 = 90.0;
    const PAD: f64 = 8.0;
    let span = (hi - lo).max(1.0);
    let y = |v: f64| PAD + (H - 2.0 * PAD) * (1.0 - (v.clamp(lo, hi) - lo) / span);
    let step = if values.len() > 1 { (W - 2.0 * PAD) / (values.len() - 1) as f64 } else { 0.0 };
    let x = |i: usize| if values.len() > 1 { PAD + step * i as f64 } else { W / 2.0 };
    let id = crate::pages::xml_escape(id);
    let mut s = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="trend" viewBox="0 0 {W} {H}" width="100%" role="img" aria-labelledby="{id}-t {id}-d"><title id="{id}-t">{}</title><desc id="{id}-d">{}</desc>"#,
        crate::pages::xml_escape(title),
        crate::pages::xml_escape(desc)
    );
    for g in guides {
        let _ = write!(s, r##"<line x1="{PAD}" x2="{:.1}" y1="{:.1}" y2="{:.1}" stroke="#94a3b8" stroke-dasharray="4 3"/>"##, W - PAD, y(*g), y(*g));
    }
    let points: Vec<String> = values.iter().enumerate().map(|(i, (_, v))| format!("{:.1},{:.1}", x(i), y(*v))).collect();
    let _ = write!(s, r##"<polyline fill="none" stroke="#0f766e" stroke-width="2" points="{}"/>"##, points.join(" "));
    for (i, (label, v)) in values.iter().enumerate() {
        let _ = write!(s, r##"<circle cx="{:.1}" cy="{:.1}" r="3.5" fill="#0f766e"><title>{}</title></circle>"##, x(i), y(*v), crate::pages::xml_escape(label));
    }
    s.push_str("</svg>");
    Some(s)
}

/// Field errors of a form, in the person's language.
#[derive(Default)]
pub(crate) struct FieldErrors(Vec<(&'static str, &'static str)>);

impl FieldErrors {
    pub(crate) fn get(&self, field: &str) -> Option<&'static str> {
        self.0.iter().find(|(f, _)| *f == field).map(|(_, m)| *m)
    }

    fn add(&mut self, field: &'static str, message: &'static str) {
        if self.get(field).is_none() {
            self.0.push((field, message));
        }
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The catalog key for an input error of the wellbeing forms.
fn error_key(e: &InputError) -> &'static str {
    match e.field {
        "mood" => "wellbeing.error.mood",
        "tags" => "wellbeing.error.tags",
        "note" => "wellbeing.error.note",
        "answers" => "wellbeing.error.answers",
        "event" if e.code == "blank" => "wellbeing.error.event",
        "selftest_every_days" => "wellbeing.error.days",
        _ => "wellbeing.error.text",
    }
}

/// The requesting person, or the API's 403 for a token (tokens have no wellbeing data).
fn me_of(p: &Principal) -> ApiResult<Me> {
    Me::of(p).ok_or(ApiError::Forbidden("an API token has no wellbeing data; sign in as a person"))
}

// ----- the personal page -----

struct WeatherChoice {
    mood: u8,
    key: &'static str,
    icon: &'static str,
    name: &'static str,
    checked: bool,
}

struct TagChoice {
    key: &'static str,
    name: &'static str,
    checked: bool,
}

struct CheckinView {
    icon: &'static str,
    name: &'static str,
    key: &'static str,
    when: String,
    tags: Vec<&'static str>,
    note: Option<String>,
    shared: bool,
}

struct OptionView {
    value: u8,
    label: &'static str,
    checked: bool,
}

struct ItemView {
    index: usize,
    text: &'static str,
    options: Vec<OptionView>,
}

struct ResultView {
    when: String,
    score: u32,
    band: &'static str,
    band_key: &'static str,
}

struct Latest {
    score_text: String,
    band: &'static str,
    band_key: &'static str,
    advice: &'static str,
    concern: bool,
    change: Option<&'static str>,
}

struct EntryView {
    id: i64,
    when: String,
    event: String,
    belief: Option<String>,
    consequence: Option<String>,
    reframe: Option<String>,
}

#[derive(Default, Clone)]
struct CheckinTyped {
    mood: Option<u8>,
    tags: Vec<String>,
    note: String,
    shared: bool,
}

#[derive(Default, Clone)]
struct DiaryTyped {
    event: String,
    belief: String,
    consequence: String,
    reframe: String,
}

#[derive(Template)]
#[template(path = "wellbeing.html")]
struct MyPage {
    lang: Lang,
    langs: [Lang; 3],
    me: Option<MenuUser>,
    csrf: String,
    here: String,
    notice: Option<&'static str>,
    alert: Option<&'static str>,
    // check-in
    weather: Vec<WeatherChoice>,
    tags: Vec<TagChoice>,
    note: String,
    shared: bool,
    checkin_errors: FieldErrors,
    recent: Vec<CheckinView>,
    mood_svg: Option<String>,
    // self-test
    instrument_name: &'static str,
    instructions: &'static str,
    citation: &'static str,
    items: Vec<ItemView>,
    selftest_errors: FieldErrors,
    due: bool,
    next_due: String,
    every_text: String,
    latest: Option<Latest>,
    results: Vec<ResultView>,
    score_svg: Option<String>,
    support: &'static str,
    // diary
    editing: Option<i64>,
    diary: DiaryTyped,
    diary_errors: FieldErrors,
    entries: Vec<EntryView>,
    reframes: Vec<(&'static str, &'static str)>,
    questions: Vec<&'static str>,
    /// My protection state and personal triggers (`crate::protection`).
    protection: Option<crate::protection::MineView>,
}

/// What the forms hold when the page is drawn (what was typed, and errors).
#[derive(Default)]
struct Forms {
    checkin: CheckinTyped,
    checkin_errors: FieldErrors,
    answers: Vec<Option<u8>>,
    selftest_errors: FieldErrors,
    editing: Option<i64>,
    diary: DiaryTyped,
    diary_errors: FieldErrors,
}

fn notice_text(lang: Lang, ok: Option<&str>) -> Option<&'static str> {
    let key = match ok? {
        "checkin" => "wellbeing.ok.checkin",
        "selftest" => "wellbeing.ok.selftest",
        "entry_saved" => "wellbeing.ok.entry_saved",
        "entry_deleted" => "wellbeing.ok.entry_deleted",
        "settings" => "wellbeing.ok.settings",
        "triggers" => "protection.ok.triggers",
        _ => return None,
    };
    Some(lang.t(key))
}

fn tag_name(lang: Lang, tag: &str) -> &'static str {
    MOOD_TAGS.iter().find(|t| **t == tag).map_or("?", |t| lang.t(&format!("wellbeing.tag.{t}")))
}

fn result_views(lang: Lang, instrument: &Instrument, results: &[SelfTestResult], offset: i64) -> Vec<ResultView> {
    results
        .iter()
        .map(|r| {
            let band = instrument.band(r.score);
            ResultView { when: when_text(r.created_at, offset), score: r.score, band: tr(lang, &band.label), band_key: band.key }
        })
        .collect()
}

async fn my_view(state: &AppState, v: &Viewer, p: &Principal, me: Me, forms: Forms) -> Result<MyPage, StoreError> {
    let lang = v.lang;
    let now = state.store.now();
    let org = state.store.organization(p.org_id).await?;
    let offset = utc_offset_ms(&org.timezone);
    let settings = state.store.wellbeing_settings(p.org_id).await?;
    let checkins = state.store.my_checkins(me, 30).await?;
    let results = state.store.my_selftests(me, Some(WHO5.id), 20).await?;
    let entries = state.store.my_diary(me, 100).await?;

    let typed = forms.checkin;
    let weather = WEATHER
        .iter()
        .map(|w| WeatherChoice { mood: w.mood, key: w.key, icon: w.icon, name: tr(lang, &w.name), checked: typed.mood == Some(w.mood) })
        .collect();
    let tags = MOOD_TAGS.iter().map(|t| TagChoice { key: t, name: tag_name(lang, t), checked: typed.tags.iter().any(|x| x == t) }).collect();
    let recent: Vec<CheckinView> = checkins
        .iter()
        .take(8)
        .map(|c| {
            let w = wb::weather(c.mood);
            CheckinView {
                icon: w.icon,
                name: tr(lang, &w.name),
                key: w.key,
                when: when_text(c.created_at, offset),
                tags: c.tags.iter().map(|t| tag_name(lang, t)).collect(),
                note: c.note.clone(),
                shared: c.shared_with_supervisor,
            }
        })
        .collect();
    let mood_points: Vec<(String, f64)> = checkins
        .iter()
        .rev()
        .map(|c| (format!("{} · {}", when_text(c.created_at, offset), tr(lang, &wb::weather(c.mood).name)), c.mood as f64))
        .collect();
    let mood_svg = trend_svg(
        "mood-trend",
        &mood_points,
        1.0,
        5.0,
        &[3.0],
        lang.t("wellbeing.mood_trend"),
        &lang.t("wellbeing.mood_trend_desc").replace("{n}", &mood_points.len().to_string()),
    );

    let items = WHO5
        .items
        .iter()
        .enumerate()
        .map(|(index, item)| ItemView {
            index,
            text: tr(lang, item),
            options: WHO5
                .options
                .iter()
                .map(|o| OptionView { value: o.value, label: tr(lang, &o.label), checked: forms.answers.get(index).copied().flatten() == Some(o.value) })
                .collect(),
        })
        .collect();
    let due_at = wb::next_selftest_due(results.first().map(|r| r.created_at), settings.selftest_every_days, now);
    let latest = results.first().map(|r| {
        let band = WHO5.band(r.score);
        Latest {
            score_text: lang.t("wellbeing.your_score").replace("{s}", &r.score.to_string()),
            band: tr(lang, &band.label),
            band_key: band.key,
            advice: tr(lang, &band.advice),
            concern: band.concern,
            change: results.get(1).map(|prev| match WHO5.change(prev.score, r.score) {
                wb::Change::Better => lang.t("wellbeing.change.better"),
                wb::Change::Same => lang.t("wellbeing.change.same"),
                wb::Change::Worse => lang.t("wellbeing.change.worse"),
            }),
        }
    });
    let score_points: Vec<(String, f64)> =
        results.iter().rev().map(|r| (format!("{} · {}", when_text(r.created_at, offset), r.score), r.score as f64)).collect();
    let score_svg = trend_svg(
        "score-trend",
        &score_points,
        0.0,
        100.0,
        &[28.0, 50.0],
        lang.t("wellbeing.score_trend"),
        &lang.t("wellbeing.score_trend_desc").replace("{n}", &score_points.len().to_string()),
    );

    let protection = crate::protection::mine_view(state, p, lang).await;
    Ok(MyPage {
        protection,
        lang,
        langs: Lang::ALL,
        me: Some(menu_user(state, p).await),
        csrf: p.csrf_token.clone().unwrap_or_default(),
        here: percent_encode("/me/wellbeing"),
        notice: None,
        alert: None,
        weather,
        tags,
        note: typed.note,
        shared: typed.shared,
        checkin_errors: forms.checkin_errors,
        recent,
        mood_svg,
        instrument_name: tr(lang, &WHO5.name),
        instructions: tr(lang, &WHO5.instructions),
        citation: WHO5.citation,
        items,
        selftest_errors: forms.selftest_errors,
        due: due_at <= now,
        next_due: lang.t("wellbeing.selftest_next").replace("{t}", &when_text(due_at, offset)),
        every_text: lang.t("wellbeing.selftest_every").replace("{n}", &settings.selftest_every_days.to_string()),
        latest,
        results: result_views(lang, &WHO5, &results, offset),
        score_svg,
        support: lang.t("wellbeing.support"),
        editing: forms.editing,
        diary: forms.diary,
        diary_errors: forms.diary_errors,
        entries: entries
            .into_iter()
            .map(|e: DiaryRecord| EntryView {
                id: e.id,
                when: when_text(e.created_at, offset),
                event: e.event,
                belief: e.belief,
                consequence: e.consequence,
                reframe: e.reframe,
            })
            .collect(),
        reframes: REFRAMES.iter().map(|r| (tr(lang, &r.belief), tr(lang, &r.reframe))).collect(),
        questions: REFRAME_QUESTIONS.iter().map(|q| tr(lang, q)).collect(),
    })
}

/// Who may use the personal page: a signed-in person (with the session's CSRF token for a form).
async fn person_gate(state: &AppState, headers: &HeaderMap, lang: Option<&str>, csrf: Option<&str>) -> Result<(Viewer, Principal, Me), Response> {
    let here = "/me/wellbeing";
    let v = viewer(state, headers, lang).await;
    let Some(p) = v.principal.clone() else { return Err(to_login(here)) };
    let Some(me) = Me::of(&p) else { return Err(forbidden(&v, here)) };
    if let Some(sent) = csrf
        && !csrf_ok(&p, sent) {
            return Err(crate::admin::csrf_failed(state, &v, &p, here).await);
        }
    Ok((v, p, me))
}

async fn show_my_page(state: &AppState, v: &Viewer, p: &Principal, me: Me, forms: Forms, status: StatusCode, notice: Option<&'static str>) -> Response {
    let alert = (status.is_client_error()).then(|| v.lang.t("wellbeing.error.form"));
    match my_view(state, v, p, me, forms).await {
        Ok(mut page) => {
            page.notice = notice;
            page.alert = alert;
            render(&page, status)
        }
        Err(e) => ApiError::from(e).into_response(),
    }
}

#[derive(Deserialize, Default)]
struct MyQuery {
    lang: Option<String>,
    ok: Option<String>,
    edit: Option<String>,
}

async fn my_page(State(state): State<AppState>, headers: HeaderMap, Query(q): Query<MyQuery>) -> Response {
    let (v, p, me) = match person_gate(&state, &headers, q.lang.as_deref(), None).await {
        Ok(ok) => ok,
        Err(r) => return r,
    };
    let mut forms = Forms::default();
    if let Some(edit) = q.edit.as_deref() {
        // Only my own entry: anyone else's id (or garbage) is simply not found.
        let Ok(id) = edit.parse::<i64>() else { return ApiError::NotFound.into_response() };
        match state.store.my_diary_entry(me, id).await {
            Ok(e) => {
                forms.editing = Some(e.id);
                forms.diary = DiaryTyped {
                    event: e.event,
                    belief: e.belief.unwrap_or_default(),
                    consequence: e.consequence.unwrap_or_default(),
                    reframe: e.reframe.unwrap_or_default(),
                };
            }
            Err(e) => return ApiError::from(e).into_response(),
        }
    }
    let notice = notice_text(v.lang, q.ok.as_deref());
    show_my_page(&state, &v, &p, me, forms, StatusCode::OK, notice).await
}

/// A form body as (name, value) pairs (checkbox groups repeat a name); not a form counts as empty.
type Pairs = Result<Form<Vec<(String, String)>>, FormRejection>;

fn pairs(body: Pairs) -> Vec<(String, String)> {
    body.map(|f| f.0).unwrap_or_default()
}

fn first<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str())
}

/// Keeps what was typed, bounded (a huge field is refused, and what comes back is its first part).
fn keep(text: &str, max_chars: usize) -> String {
    text.chars().take(max_chars).collect()
}

async fn checkin_form(State(state): State<AppState>, headers: HeaderMap, body: Pairs) -> Response {
    let f = pairs(body);
    let (v, p, me) = match person_gate(&state, &headers, None, Some(first(&f, "csrf"))).await {
        Ok(ok) => ok,
        Err(r) => return r,
    };
    let raw_tags: Vec<&str> = f.iter().filter(|(k, _)| k == "tags").map(|(_, v)| v.as_str()).collect();
    let mood_text = first(&f, "mood");
    let note = first(&f, "note");
    let shared = matches!(first(&f, "shared"), "on" | "true" | "1");
    let typed = CheckinTyped {
        mood: mood_text.parse::<u8>().ok().filter(|m| (1..=5).contains(m)),
        tags: raw_tags.iter().take(MOOD_TAGS.len()).map(|t| keep(t, 40)).collect(),
        note: keep(note, wb::NOTE_MAX_CHARS * 4),
        shared,
    };
    let mut errors = FieldErrors::default();
    let mood = mood_text.trim().parse::<i64>().map_err(|_| InputError::new("mood", "missing", "")).and_then(wb::Mood::parse);
    let tags = wb::parse_tags(&raw_tags);
    let parsed_note = wb::parse_note(note);
    for e in [mood.as_ref().err(), tags.as_ref().err(), parsed_note.as_ref().err()].into_iter().flatten() {
        errors.add(e.field, v.lang.t(error_key(e)));
    }
    let (Ok(mood), Ok(tags), Ok(note)) = (mood, tags, parsed_note) else {
        let forms = Forms { checkin: typed, checkin_errors: errors, ..Default::default() };
        return show_my_page(&state, &v, &p, me, forms, StatusCode::UNPROCESSABLE_ENTITY, None).await;
    };
    match state.store.record_checkin(me, CheckIn { mood, tags, note, shared }).await {
        Ok(_) => Redirect::to("/me/wellbeing?ok=checkin#checkin").into_response(),
        Err(e) => ApiError::from(e).into_response(),
    }
}

async fn selftest_form(State(state): State<AppState>, headers: HeaderMap, body: Pairs) -> Response {
    let f = pairs(body);
    let (v, p, me) = match person_gate(&state, &headers, None, Some(first(&f, "csrf"))).await {
        Ok(ok) => ok,
        Err(r) => return r,
    };
    let answers: Vec<Option<i64>> = (0..WHO5.items.len()).map(|i| first(&f, &format!("q{i}")).trim().parse::<i64>().ok()).collect();
    let typed: Vec<Option<u8>> = answers.iter().map(|a| a.and_then(|a| u8::try_from(a).ok())).collect();
    let scored = if answers.iter().all(Option::is_some) {
        WHO5.score(&answers.iter().flatten().copied().collect::<Vec<_>>())
    } else {
        Err(InputError::new("answers", "wrong_count", "answer every item"))
    };
    match scored {
        Ok(scored) => match state.store.record_selftest(me, &WHO5, scored).await {
            Ok(_) => Redirect::to("/me/wellbeing?ok=selftest#selftest").into_response(),
            Err(e) => ApiError::from(e).into_response(),
        },
        Err(e) => {
            let mut errors = FieldErrors::default();
            errors.add("answers", v.lang.t(error_key(&e)));
            let forms = Forms { answers: typed, selftest_errors: errors, ..Default::default() };
            show_my_page(&state, &v, &p, me, forms, StatusCode::UNPROCESSABLE_ENTITY, None).await
        }
    }
}

fn diary_typed(f: &[(String, String)]) -> DiaryTyped {
    let max = wb::DIARY_FIELD_MAX_CHARS * 2;
    DiaryTyped { event: keep(first(f, "event"), max), belief: keep(first(f, "belief"), max), consequence: keep(first(f, "consequence"), max), reframe: keep(first(f, "reframe"), max) }
}

/// Parses the diary form; on a mistake, the page again with every field's error and what was typed.
fn diary_parse(lang: Lang, f: &[(String, String)]) -> Result<DiaryEntry, FieldErrors> {
    let mut errors = FieldErrors::default();
    let (event, belief, consequence, reframe) = (first(f, "event"), first(f, "belief"), first(f, "consequence"), first(f, "reframe"));
    // Each field on its own, so every mistake is marked at once.
    for (field, text) in [("event", event), ("belief", belief), ("consequence", consequence), ("reframe", reframe)] {
        let probe = match field {
            "event" => DiaryEntry::parse(text, "", "", ""),
            "belief" => DiaryEntry::parse("x", text, "", ""),
            "consequence" => DiaryEntry::parse("x", "", text, ""),
            _ => DiaryEntry::parse("x", "", "", text),
        };
        if let Err(e) = probe {
            errors.add(e.field, lang.t(error_key(&e)));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    DiaryEntry::parse(event, belief, consequence, reframe).map_err(|e| {
        let mut errors = FieldErrors::default();
        errors.add(e.field, lang.t(error_key(&e)));
        errors
    })
}

async fn diary_create_form(State(state): State<AppState>, headers: HeaderMap, body: Pairs) -> Response {
    let f = pairs(body);
    let (v, p, me) = match person_gate(&state, &headers, None, Some(first(&f, "csrf"))).await {
        Ok(ok) => ok,
        Err(r) => return r,
    };
    match diary_parse(v.lang, &f) {
        Ok(entry) => match state.store.create_diary_entry(me, entry).await {
            Ok(_) => Redirect::to("/me/wellbeing?ok=entry_saved#diary").into_response(),
            Err(e) => ApiError::from(e).into_response(),
        },
        Err(errors) => {
            let forms = Forms { diary: diary_typed(&f), diary_errors: errors, ..Default::default() };
            show_my_page(&state, &v, &p, me, forms, StatusCode::UNPROCESSABLE_ENTITY, None).await
        }
    }
}

async fn diary_update_form(State(state): State<AppState>, headers: HeaderMap, Path(id): Path<String>, body: Pairs) -> Response {
    let f = pairs(body);
    let (v, p, me) = match person_gate(&state, &headers, None, Some(first(&f, "csrf"))).await {
        Ok(ok) => ok,
        Err(r) => return r,
    };
    let Ok(id) = id.parse::<i64>() else { return ApiError::NotFound.into_response() };
    // Not mine (or gone): 404 before anything is validated, so a stranger learns nothing.
    if let Err(e) = state.store.my_diary_entry(me, id).await {
        return ApiError::from(e).into_response();
    }
    match diary_parse(v.lang, &f) {
        Ok(entry) => match state.store.update_diary_entry(me, id, entry).await {
            Ok(_) => Redirect::to("/me/wellbeing?ok=entry_saved#diary").into_response(),
            Err(e) => ApiError::from(e).into_response(),
        },
        Err(errors) => {
            let forms = Forms { editing: Some(id), diary: diary_typed(&f), diary_errors: errors, ..Default::default() };
            show_my_page(&state, &v, &p, me, forms, StatusCode::UNPROCESSABLE_ENTITY, None).await
        }
    }
}

async fn diary_delete_form(State(state): State<AppState>, headers: HeaderMap, Path(id): Path<String>, body: Pairs) -> Response {
    let f = pairs(body);
    let (_, _, me) = match person_gate(&state, &headers, None, Some(first(&f, "csrf"))).await {
        Ok(ok) => ok,
        Err(r) => return r,
    };
    let Ok(id) = id.parse::<i64>() else { return ApiError::NotFound.into_response() };
    match state.store.delete_diary_entry(me, id).await {
        Ok(()) => Redirect::to("/me/wellbeing?ok=entry_deleted#diary").into_response(),
        Err(e) => ApiError::from(e).into_response(),
    }
}

// ----- the team page -----

/// How far back the team view looks for "now", and for shared check-ins.
const NOW_WINDOW_MS: i64 = 4 * 3_600_000;
const SHARED_WINDOW_MS: i64 = 14 * 86_400_000;
const DAYS: usize = 14;

/// Today's hours up to now and the last 14 local days, for the organisation's time zone.
pub(crate) fn windows(now: i64, offset_ms: i64) -> WeatherWindows {
    let midnight = local_midnight(now, offset_ms);
    let hours = ((now - midnight) / 3_600_000) as usize + 1;
    WeatherWindows { now, now_since: now - NOW_WINDOW_MS, hours_start: midnight, hours, days_start: midnight - (DAYS as i64 - 1) * 86_400_000, days: DAYS }
}

struct BucketView {
    label: String,
    shown: bool,
    icon: &'static str,
    key: &'static str,
    name: &'static str,
    average: String,
    people: String,
}

fn bucket_view(lang: Lang, label: String, b: &WeatherBucket) -> BucketView {
    match &b.weather {
        Some(w) => BucketView {
            label,
            shown: true,
            icon: w.weather.icon,
            key: w.weather.key,
            name: tr(lang, &w.weather.name),
            average: lang.t("wellbeing.average").replace("{a}", &format!("{:.1}", w.average)),
            people: lang.t("wellbeing.people").replace("{n}", &w.people.to_string()),
        },
        None => BucketView { label, shown: false, icon: "", key: "hidden", name: lang.t("wellbeing.hidden"), average: String::new(), people: String::new() },
    }
}

struct SharedView {
    name: String,
    when: String,
    icon: &'static str,
    key: &'static str,
    weather: &'static str,
    tags: Vec<&'static str>,
    note: Option<String>,
}

#[derive(Template)]
#[template(path = "wellbeing_team.html")]
struct TeamPage {
    lang: Lang,
    langs: [Lang; 3],
    me: Option<MenuUser>,
    csrf: String,
    here: String,
    notice: Option<&'static str>,
    teams: Vec<(i64, String, bool)>,
    team_name: String,
    members: usize,
    now: BucketView,
    load: String,
    hourly: Vec<BucketView>,
    daily: Vec<BucketView>,
    shared: Vec<SharedView>,
    is_admin: bool,
    days_error: Option<&'static str>,
    days_typed: String,
}

#[derive(Deserialize, Default)]
struct TeamQuery {
    lang: Option<String>,
    team: Option<String>,
    ok: Option<String>,
}

async fn team_gate(state: &AppState, headers: &HeaderMap, lang: Option<&str>, csrf: Option<&str>) -> Result<(Viewer, Principal), Response> {
    let here = "/team/wellbeing";
    let v = viewer(state, headers, lang).await;
    let Some(p) = v.principal.clone() else { return Err(to_login(here)) };
    if !p.role.can(Action::ViewBoard) {
        return Err(forbidden(&v, here));
    }
    if let Some(sent) = csrf
        && !csrf_ok(&p, sent) {
            return Err(crate::admin::csrf_failed(state, &v, &p, here).await);
        }
    Ok((v, p))
}

#[derive(Template)]
#[template(path = "wellbeing_noteam.html")]
struct NoTeamPage {
    lang: Lang,
    langs: [Lang; 3],
    me: Option<MenuUser>,
    csrf: String,
    here: String,
}

async fn team_view(
    state: &AppState,
    v: &Viewer,
    p: &Principal,
    wanted: Option<i64>,
    notice: Option<&'static str>,
    days_error: Option<&'static str>,
    days_typed: Option<String>,
) -> Response {
    let lang = v.lang;
    let teams = match state.store.wellbeing_teams(p.clone()).await {
        Ok(t) => t,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let status = if days_error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let Some(team_id) = wanted.or_else(|| teams.first().map(|t| t.0)) else {
        let page = NoTeamPage {
            lang,
            langs: Lang::ALL,
            me: Some(menu_user(state, p).await),
            csrf: p.csrf_token.clone().unwrap_or_default(),
            here: percent_encode("/team/wellbeing"),
        };
        return render(&page, status);
    };
    let load = async {
        let org = state.store.organization(p.org_id).await?;
        let settings = state.store.wellbeing_settings(p.org_id).await?;
        let offset = utc_offset_ms(&org.timezone);
        let now = state.store.now();
        let report = state.store.team_weather(p.clone(), team_id, windows(now, offset)).await?;
        let shared = state.store.team_shared_checkins(p.clone(), team_id, now - SHARED_WINDOW_MS).await?;
        Ok::<_, StoreError>((offset, settings, report, shared))
    };
    let (offset, settings, report, shared) = match load.await {
        Ok(x) => x,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let TeamWeatherReport { team_name, members, now, hourly, daily, open_conversations, online, mean_emotional_load, .. } = report;
    let page = TeamPage {
        lang,
        langs: Lang::ALL,
        me: Some(menu_user(state, p).await),
        csrf: p.csrf_token.clone().unwrap_or_default(),
        here: percent_encode(&format!("/team/wellbeing?team={team_id}")),
        notice,
        teams: teams.into_iter().map(|(id, name)| (id, name, id == team_id)).collect(),
        team_name,
        members,
        now: bucket_view(lang, lang.t("wellbeing.weather_now").to_owned(), &WeatherBucket { start: 0, weather: now }),
        load: lang
            .t("wellbeing.load_value")
            .replace("{o}", &open_conversations.to_string())
            .replace("{n}", &online.to_string())
            .replace("{l}", &format!("{mean_emotional_load:.1}")),
        hourly: hourly.iter().map(|b| bucket_view(lang, format!("{:02}:00", local_parts(b.start, offset).2), b)).collect(),
        daily: daily
            .iter()
            .map(|b| {
                let (m, d, _, _) = local_parts(b.start, offset);
                bucket_view(lang, format!("{m:02}-{d:02}"), b)
            })
            .collect(),
        shared: shared
            .into_iter()
            .map(|s| {
                let w = wb::weather(s.mood);
                SharedView {
                    name: s.name,
                    when: when_text(s.created_at, offset),
                    icon: w.icon,
                    key: w.key,
                    weather: tr(lang, &w.name),
                    tags: s.tags.iter().map(|t| tag_name(lang, t)).collect(),
                    note: s.note,
                }
            })
            .collect(),
        is_admin: p.role == Role::Admin,
        days_error,
        days_typed: days_typed.unwrap_or_else(|| settings.selftest_every_days.to_string()),
    };
    render(&page, status)
}

async fn team_page(State(state): State<AppState>, headers: HeaderMap, Query(q): Query<TeamQuery>) -> Response {
    let (v, p) = match team_gate(&state, &headers, q.lang.as_deref(), None).await {
        Ok(ok) => ok,
        Err(r) => return r,
    };
    let wanted = match q.team.as_deref().map(str::parse::<i64>) {
        None => None,
        Some(Ok(id)) => Some(id),
        Some(Err(_)) => return ApiError::NotFound.into_response(),
    };
    let notice = notice_text(v.lang, q.ok.as_deref());
    team_view(&state, &v, &p, wanted, notice, None, None).await
}

async fn settings_form(State(state): State<AppState>, headers: HeaderMap, body: Pairs) -> Response {
    let f = pairs(body);
    let (v, p) = match team_gate(&state, &headers, None, Some(first(&f, "csrf"))).await {
        Ok(ok) => ok,
        Err(r) => return r,
    };
    if !p.role.can(Action::ManageSettings) {
        return forbidden(&v, "/team/wellbeing");
    }
    let typed = keep(first(&f, "days"), 12);
    match typed.trim().parse::<i64>().map_err(|_| InputError::new("selftest_every_days", "invalid", "")).and_then(wb::parse_selftest_days) {
        Ok(days) => match state.store.set_selftest_schedule(p.clone(), days).await {
            Ok(_) => Redirect::to("/team/wellbeing?ok=settings").into_response(),
            Err(e) => ApiError::from(e).into_response(),
        },
        Err(_) => team_view(&state, &v, &p, None, None, Some(v.lang.t("wellbeing.error.days")), Some(typed)).await,
    }
}

// ----- JSON API: my own data -----

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckinBody {
    mood: i64,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    note: Option<String>,
    #[serde(default)]
    shared_with_supervisor: bool,
}

#[derive(Deserialize)]
struct ListQuery {
    limit: Option<i64>,
}

async fn api_checkins(State(state): State<AppState>, staff: Staff, ApiQuery(q): ApiQuery<ListQuery>) -> ApiResult<Json<Value>> {
    let me = me_of(&staff.0)?;
    Ok(Json(json!({"checkins": state.store.my_checkins(me, q.limit.unwrap_or(100)).await?})))
}

/// `POST /api/v1/me/wellbeing/checkins` `{"mood": 1–5, "tags": [...], "note": "...", "shared_with_supervisor": false}`.
async fn api_checkin(State(state): State<AppState>, staff: Staff, ApiJson(body): ApiJson<CheckinBody>) -> ApiResult<(StatusCode, Json<Value>)> {
    let me = me_of(&staff.0)?;
    let checkin = CheckIn::parse(body.mood, &body.tags, body.note.as_deref().unwrap_or(""), body.shared_with_supervisor)?;
    let saved = state.store.record_checkin(me, checkin).await?;
    Ok((StatusCode::CREATED, Json(json!({"checkin": saved.checkin}))))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SelfTestBody {
    #[serde(default)]
    instrument: Option<String>,
    answers: Vec<i64>,
}

fn interpretation(lang: Lang, instrument: &Instrument, score: u32, previous: Option<u32>) -> Value {
    let band = instrument.band(score);
    json!({
        "band": band.key,
        "label": tr(lang, &band.label),
        "advice": tr(lang, &band.advice),
        "concern": band.concern,
        "change": previous.map(|p| instrument.change(p, score)),
    })
}

fn api_lang(headers: &HeaderMap) -> Lang {
    Lang::negotiate(None, crate::auth::cookie_value_in(headers, crate::i18n::LANG_COOKIE), headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()))
}

async fn api_selftests(State(state): State<AppState>, staff: Staff, headers: HeaderMap, ApiQuery(q): ApiQuery<ListQuery>) -> ApiResult<Json<Value>> {
    let me = me_of(&staff.0)?;
    let lang = api_lang(&headers);
    let results = state.store.my_selftests(me, None, q.limit.unwrap_or(100)).await?;
    let settings = state.store.wellbeing_settings(staff.0.org_id).await?;
    let now = state.store.now();
    let last = results.iter().find(|r| r.instrument == WHO5.id).map(|r| r.created_at);
    let list: Vec<Value> = results
        .iter()
        .map(|r| {
            let mut v = json!(r);
            if let Some(i) = wb::instrument(&r.instrument) {
                v["interpretation"] = interpretation(lang, i, r.score, None);
            }
            v
        })
        .collect();
    let due_at = wb::next_selftest_due(last, settings.selftest_every_days, now);
    Ok(Json(json!({"selftests": list, "next_due_at": due_at, "due": due_at <= now, "every_days": settings.selftest_every_days})))
}

async fn api_selftest(State(state): State<AppState>, staff: Staff, headers: HeaderMap, ApiJson(body): ApiJson<SelfTestBody>) -> ApiResult<(StatusCode, Json<Value>)> {
    let me = me_of(&staff.0)?;
    let instrument = match body.instrument.as_deref() {
        None => &INSTRUMENTS[0],
        Some(id) => wb::instrument(id).ok_or_else(|| ApiError::invalid("instrument", "unknown", "no such instrument"))?,
    };
    let scored = instrument.score(&body.answers)?;
    let previous = state.store.my_selftests(me, Some(instrument.id), 1).await?.first().map(|r| r.score);
    let result = state.store.record_selftest(me, instrument, scored).await?;
    let interpretation = interpretation(api_lang(&headers), instrument, result.score, previous);
    Ok((StatusCode::CREATED, Json(json!({"result": result, "interpretation": interpretation}))))
}

fn path_id(id: &str) -> ApiResult<i64> {
    id.parse::<i64>().map_err(|_| ApiError::NotFound)
}

async fn api_selftest_one(State(state): State<AppState>, staff: Staff, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    let me = me_of(&staff.0)?;
    Ok(Json(json!({"result": state.store.my_selftest(me, path_id(&id)?).await?})))
}

/// The instruments as data (for a client to draw the forms).
async fn api_instruments(staff: Staff, headers: HeaderMap) -> ApiResult<Json<Value>> {
    me_of(&staff.0)?;
    let lang = api_lang(&headers);
    let list: Vec<Value> = INSTRUMENTS
        .iter()
        .map(|i| {
            json!({
                "id": i.id,
                "name": tr(lang, &i.name),
                "citation": i.citation,
                "instructions": tr(lang, &i.instructions),
                "items": i.items.iter().map(|t| tr(lang, t)).collect::<Vec<_>>(),
                "options": i.options.iter().map(|o| json!({"value": o.value, "label": tr(lang, &o.label)})).collect::<Vec<_>>(),
                "max_score": i.max_score,
                "bands": i.bands.iter().map(|b| json!({"up_to": b.up_to, "key": b.key, "label": tr(lang, &b.label)})).collect::<Vec<_>>(),
                "significant_change": i.significant_change,
            })
        })
        .collect();
    Ok(Json(json!({"instruments": list})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DiaryBody {
    event: String,
    #[serde(default)]
    belief: Option<String>,
    #[serde(default)]
    consequence: Option<String>,
    #[serde(default)]
    reframe: Option<String>,
}

impl DiaryBody {
    fn parse(&self) -> Result<DiaryEntry, InputError> {
        let s = |o: &Option<String>| o.clone().unwrap_or_default();
        DiaryEntry::parse(&self.event, &s(&self.belief), &s(&self.consequence), &s(&self.reframe))
    }
}

async fn api_diary(State(state): State<AppState>, staff: Staff, ApiQuery(q): ApiQuery<ListQuery>) -> ApiResult<Json<Value>> {
    let me = me_of(&staff.0)?;
    Ok(Json(json!({"entries": state.store.my_diary(me, q.limit.unwrap_or(100)).await?})))
}

async fn api_diary_create(State(state): State<AppState>, staff: Staff, ApiJson(body): ApiJson<DiaryBody>) -> ApiResult<(StatusCode, Json<Value>)> {
    let me = me_of(&staff.0)?;
    let entry = state.store.create_diary_entry(me, body.parse()?).await?;
    Ok((StatusCode::CREATED, Json(json!({"entry": entry}))))
}

async fn api_diary_one(State(state): State<AppState>, staff: Staff, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    let me = me_of(&staff.0)?;
    Ok(Json(json!({"entry": state.store.my_diary_entry(me, path_id(&id)?).await?})))
}

async fn api_diary_update(State(state): State<AppState>, staff: Staff, Path(id): Path<String>, ApiJson(body): ApiJson<Value>) -> ApiResult<Json<Value>> {
    let me = me_of(&staff.0)?;
    let id = path_id(&id)?;
    // Someone else's id is 404 even with a body of the wrong shape: existence is never revealed. (A body that is
    // not JSON at all is a 400 for every id alike.)
    state.store.my_diary_entry(me, id).await?;
    let body: DiaryBody = crate::extract::parse_json(body.to_string().as_bytes())?;
    Ok(Json(json!({"entry": state.store.update_diary_entry(me, id, body.parse()?).await?})))
}

async fn api_diary_delete(State(state): State<AppState>, staff: Staff, Path(id): Path<String>) -> ApiResult<StatusCode> {
    let me = me_of(&staff.0)?;
    state.store.delete_diary_entry(me, path_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Everything of mine, as a JSON download.
async fn api_export(State(state): State<AppState>, staff: Staff) -> ApiResult<Response> {
    let me = me_of(&staff.0)?;
    let export = state.store.export_my_wellbeing(me).await?;
    let body = json!({"export": export, "instruments": INSTRUMENTS.iter().map(|i| json!({"id": i.id, "citation": i.citation})).collect::<Vec<_>>()});
    Ok((
        [(header::CONTENT_DISPOSITION, "attachment; filename=\"anxin-wellbeing.json\""), (header::CACHE_CONTROL, "no-store")],
        Json(body),
    )
        .into_response())
}

// ----- JSON API: supervisors -----

async fn team_offset(state: &AppState, org_id: i64) -> ApiResult<i64> {
    Ok(utc_offset_ms(&state.store.organization(org_id).await?.timezone))
}

/// `GET /api/v1/teams/{id}/weather`: aggregates only (hidden buckets are `null`).
async fn api_team_weather(State(state): State<AppState>, staff: Staff, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    let p = staff.require(Action::ViewBoard)?.clone();
    let id = path_id(&id)?;
    let offset = team_offset(&state, p.org_id).await?;
    let report = state.store.team_weather(p, id, windows(state.store.now(), offset)).await?;
    Ok(Json(json!({"weather": report})))
}

#[derive(Deserialize)]
struct SharedQuery {
    days: Option<i64>,
}

/// `GET /api/v1/teams/{id}/shared-checkins?days=14`: what members chose to share (each person's view audited).
async fn api_team_shared(State(state): State<AppState>, staff: Staff, Path(id): Path<String>, ApiQuery(q): ApiQuery<SharedQuery>) -> ApiResult<Json<Value>> {
    let p = staff.require(Action::ViewBoard)?.clone();
    let id = path_id(&id)?;
    let days = q.days.unwrap_or(14).clamp(1, 90);
    let shared = state.store.team_shared_checkins(p, id, state.store.now() - days * 86_400_000).await?;
    Ok(Json(json!({"checkins": shared})))
}

async fn api_settings(State(state): State<AppState>, staff: Staff) -> ApiResult<Json<Value>> {
    Ok(Json(json!({"settings": state.store.wellbeing_settings(staff.0.org_id).await?})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SettingsBody {
    selftest_every_days: i64,
}

async fn api_settings_put(State(state): State<AppState>, staff: Staff, ApiJson(body): ApiJson<SettingsBody>) -> ApiResult<Json<Value>> {
    let p = staff.require(Action::ManageSettings)?.clone();
    let days = wb::parse_selftest_days(body.selftest_every_days)?;
    Ok(Json(json!({"settings": state.store.set_selftest_schedule(p, days).await?})))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pages::balanced;

    #[test]
    fn local_times_at_fixed_offsets() {
        let h = 3_600_000;
        // 2024-05-14T01:30:00Z is 09:30 in Shanghai.
        let at = 1_715_650_200_000;
        assert_eq!(local_parts(at, 8 * h), (5, 14, 9, 30));
        assert_eq!(local_parts(at, 0), (5, 14, 1, 30));
        assert_eq!(when_text(at, 8 * h), "05-14 09:30");
        assert_eq!(local_parts(0, 0), (1, 1, 0, 0));
        assert_eq!(local_parts(951_782_400_000, 0), (2, 29, 0, 0), "2000-02-29");
        // Local midnight: 2024-05-14T00:00+08:00 = 2024-05-13T16:00Z.
        assert_eq!(local_midnight(at, 8 * h), 1_715_616_000_000);
        assert_eq!(local_parts(local_midnight(at, 8 * h), 8 * h), (5, 14, 0, 0));
        assert_eq!(utc_offset_ms("Asia/Shanghai"), 8 * h);
        assert_eq!(utc_offset_ms("Europe/Paris"), 0);
    }

    #[test]
    fn windows_cover_today_and_fourteen_days() {
        let h = 3_600_000;
        let at = 1_715_650_200_000; // 09:30 local at +8
        let w = windows(at, 8 * h);
        assert_eq!(w.hours, 10, "00:00 to 09:00 buckets");
        assert_eq!(w.hours_start, local_midnight(at, 8 * h));
        assert_eq!(w.days, 14);
        assert_eq!(w.days_start + 14 * 24 * h, w.hours_start + 24 * h, "the last day is today");
    }


    #[test]
    fn trends_are_well_formed_and_escaped() {
        assert_eq!(trend_svg("t", &[], 1.0, 5.0, &[], "t", "d"), None);
        let svg = trend_svg("t", &[("<a>".into(), 1.0), ("b&".into(), 5.0)], 1.0, 5.0, &[3.0], "心情 <走势>", "d\"").unwrap();
        balanced(&svg).unwrap();
        assert!(svg.contains("&lt;a&gt;") && svg.contains("b&amp;") && svg.contains("心情 &lt;走势&gt;") && svg.contains("d&quot;"));
        assert_eq!(svg.matches("<circle").count(), 2);
        let one = trend_svg("t", &[("x".into(), 3.0)], 1.0, 5.0, &[], "t", "d").unwrap();
        balanced(&one).unwrap();
    }

    #[test]
    fn every_tag_and_error_has_a_text() {
        for tag in MOOD_TAGS {
            assert_ne!(tag_name(Lang::En, tag), "?", "{tag}");
        }
        for field in ["mood", "tags", "note", "answers", "event", "belief", "selftest_every_days"] {
            assert_ne!(Lang::ZhHans.t(error_key(&InputError::new(field, "blank", ""))), "?", "{field}");
        }
    }
}
