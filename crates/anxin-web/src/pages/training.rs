//! The training academy's pages (issue 8, PRODUCT.md §8), server-rendered with plain forms that work without
//! JavaScript, in the three UI languages:
//!
//! - `/academy`: my plan — each item with why it was recommended, done or not — the self-assessment form
//!   (`#sa-form`) until there is one, and every module. `/academy/self-assessment` assesses again.
//! - `/academy/modules/{id}`, `/academy/lessons/{id}`: the curriculum (Markdown rendered safely by
//!   `markdown::render`), worked cases with their conversation; "I've finished this lesson" completes the plan item.
//! - `/academy/quiz/{module}`: the quiz (radio buttons or checkboxes, `#quiz-submit`); the result page
//!   (`/academy/quiz/{module}/attempts/{id}`) has the score and each question right or wrong with its explanation.
//! - `/academy/progress`: my quizzes, role-plays and the CSAT of my real conversations over time (server-drawn SVG);
//!   a coach adds `?user=<id>` for a trainee.
//! - `/academy/team` (coaches; 403 for others): each trainee's latest quiz, role-play and CSAT figures with trends
//!   (`#team-progress`); `/academy/people/{id}`: a trainee's plan with the coach's adjustments.
//! - `/academy/admin` (coaches): the curriculum's items with edit links, import all or nothing with `file:line`
//!   problems, export, back to the starter curriculum; `/academy/admin/edit/{id}/{lang}`: a lesson or question form.
//!
//! Every change goes through `crate::training`'s operations; role checks are the store's (a person's own records,
//! a coach's trainees; anyone else's is 404).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use askama::Template;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Path, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;

use anxin_domain::Language;
use anxin_domain::training::{Choice, Curriculum, ImportError, QuestionType, Speaker};
use anxin_store::Principal;
use anxin_store::roleplay::RoleplayOutcome;
use anxin_store::training::{CsatPoint, LEVELS, Plan, PlanAdjustment, PlanItemKind, PlanSource, SKILL_AREAS, is_coach};

use super::{Viewer, forbidden, local_path, percent_encode, render, to_login, viewer, xml_escape};
use super::{Pairs, QueryPairs, pairs, query_pairs, first, ui_lang, keep};
use crate::AppState;
use crate::board::{MenuUser, csrf_ok, menu_user};
use crate::error::ApiError;
use crate::i18n::Lang;
use crate::training::{self as academy, ItemEdit, SaveFailure, ScenarioInfo, fill};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/academy", get(home_page))
        .route("/academy/self-assessment", get(assess_page).post(assess_submit))
        .route("/academy/plan/refresh", post(refresh_submit))
        .route("/academy/plan/items/{id}/done", post(done_submit))
        .route("/academy/modules/{id}", get(module_page))
        .route("/academy/lessons/{id}", get(lesson_page))
        .route("/academy/lessons/{id}/done", post(lesson_done_submit))
        .route("/academy/quiz/{id}", get(quiz_page).post(quiz_submit))
        .route("/academy/quiz/{id}/attempts/{attempt}", get(result_page))
        .route("/academy/progress", get(progress_page))
        .route("/academy/team", get(team_page))
        .route("/academy/people/{id}", get(person_page).post(person_submit))
        .route("/academy/admin", get(admin_page))
        .route("/academy/admin/import", post(import_submit).layer(DefaultBodyLimit::disable()))
        .route("/academy/admin/reset", post(reset_submit))
        .route("/academy/admin/edit/{id}/{lang}", get(edit_page).post(edit_submit))
        .route(
            "/assets/training.css",
            get(|| async { ([(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "no-cache")], include_str!("../../assets/training.css")) }),
        )
        .merge(academy::routes())
}

// ----- shared helpers -----

#[derive(Clone, Copy, PartialEq, Eq)]
enum Need {
    /// Anyone signed in as a person.
    Study,
    /// Trainers, supervisors and admins.
    Coach,
}

/// A signed-in person allowed on the page (and, for a form, with the session's CSRF token).
async fn gate(state: &AppState, headers: &HeaderMap, here: &str, lang: Option<&str>, csrf: Option<&str>, need: Need) -> Result<(Viewer, Principal), Response> {
    let v = viewer(state, headers, lang).await;
    let Some(p) = v.principal.clone() else { return Err(to_login(here)) };
    if !academy::studies(&p) || (need == Need::Coach && !is_coach(p.role)) {
        return Err(forbidden(&v, here));
    }
    if let Some(sent) = csrf
        && !csrf_ok(&p, sent)
    {
        return Err(crate::admin::csrf_failed(state, &v, &p, here).await);
    }
    Ok((v, p))
}

fn not_found(lang: Lang) -> Response {
    let page = format!(
        "<!doctype html><html lang=\"{}\"><meta charset=\"utf-8\"><title>404</title><p id=\"academy-not-found\">{}</p><p><a href=\"/academy\">{}</a></p></html>",
        lang.code(),
        xml_escape(lang.t("academy.not_found")),
        xml_escape(lang.t("academy.back"))
    );
    (StatusCode::NOT_FOUND, [(header::CACHE_CONTROL, "no-store")], Html(page)).into_response()
}

/// A failure on a page: 404 and 403 as pages, the rest as the API's error.
fn failed(v: &Viewer, here: &str, e: ApiError) -> Response {
    match e {
        ApiError::NotFound => not_found(v.lang),
        ApiError::Forbidden(_) => forbidden(v, here),
        e => e.into_response(),
    }
}

/// When a text is shown in another language than the reader's, a note saying which.
fn lang_note(lang: Lang, shown: Language) -> Option<String> {
    let wanted = lang.content_language();
    let close = matches!((wanted, shown), (Language::ZhHant, Language::ZhHans) | (Language::ZhHans, Language::ZhHant));
    (shown != wanted && !close).then(|| fill(lang.t("academy.lang_note"), &[("lang", Lang::parse(shown.as_str()).map_or("?", Lang::native_name))]))
}

/// "2025-05-14 09:30" at a fixed offset.
fn when(at: i64, offset_ms: i64) -> String {
    let local = at + offset_ms;
    let date = anxin_domain::calendar::LocalDate::from_day_number(local.div_euclid(86_400_000));
    let ms = local.rem_euclid(86_400_000);
    format!("{:04}-{:02}-{:02} {:02}:{:02}", date.year(), date.month(), date.day(), ms / 3_600_000, ms / 60_000 % 60)
}

/// "05-14".
fn day(at: i64, offset_ms: i64) -> String {
    let date = anxin_domain::calendar::LocalDate::from_day_number((at + offset_ms).div_euclid(86_400_000));
    format!("{:02}-{:02}", date.month(), date.day())
}

async fn org_offset(state: &AppState, org_id: i64) -> i64 {
    match state.store.organization(org_id).await {
        Ok(org) => crate::wellbeing::utc_offset_ms(&org.timezone),
        Err(_) => 8 * 3_600_000,
    }
}

/// What every academy page carries.
struct Frame {
    lang: Lang,
    langs: [Lang; 3],
    me: Option<MenuUser>,
    csrf: String,
    here: String,
    /// The academy navigation's current entry.
    current: &'static str,
    coach: bool,
}

async fn frame(state: &AppState, v: &Viewer, p: &Principal, here: &str, current: &'static str) -> Frame {
    Frame {
        lang: v.lang,
        langs: Lang::ALL,
        me: Some(menu_user(state, p).await),
        csrf: p.csrf_token.clone().unwrap_or_default(),
        here: percent_encode(here),
        current,
        coach: is_coach(p.role),
    }
}

fn notice(lang: Lang, ok: &str) -> Option<&'static str> {
    Some(match ok {
        "sa" => lang.t("academy.sa.saved"),
        "refreshed" => lang.t("academy.plan.refreshed"),
        "lesson" => lang.t("academy.lesson.marked"),
        "saved" => lang.t("academy.coach.saved"),
        "edited" => lang.t("academy.admin.saved"),
        "reset" => lang.t("academy.admin.reset_done"),
        "done" => lang.t("academy.plan.done"),
        _ => return None,
    })
}

fn alert(lang: Lang, ok: &str) -> Option<&'static str> {
    match ok {
        "changed" => Some(lang.t("academy.plan.changed")),
        "curriculum_changed" => Some(lang.t("academy.admin.changed")),
        _ => None,
    }
}

// ----- plans -----

struct PlanItemView {
    id: i64,
    /// `plan-<kind>-<target>`: stable for tests and links.
    dom_id: String,
    kind: &'static str,
    kind_text: &'static str,
    title: String,
    href: String,
    reasons: Vec<String>,
    done: bool,
    note: Option<String>,
    added: Option<String>,
    /// A role-play item: the scenario to start.
    scenario: Option<String>,
    coach_item: bool,
    /// The label of the item's main link or button.
    open_text: &'static str,
}

struct PlanView {
    user_id: i64,
    version: i64,
    /// Where the item forms come back to.
    next: String,
    items: Vec<PlanItemView>,
    progress: String,
    changes: Vec<String>,
}

fn change_text(lang: Lang, c: &anxin_store::training::PlanChange, curriculum: &Curriculum, scenarios: &[ScenarioInfo], offset: i64) -> String {
    let mut text = format!("{} · {} {}", when(c.at, offset), c.actor_name, lang.t(&format!("academy.change.{}", c.action)));
    if let (Some(kind), Some(target)) = (c.kind, c.target.as_deref()) {
        let _ = write!(text, " {}「{}」", lang.t(&format!("academy.kind.{}", kind.as_str())), academy::target_title(lang, kind, target, curriculum, scenarios));
    }
    if let Some(note) = &c.note {
        let _ = write!(text, "：{note}");
    }
    text
}

fn plan_view(lang: Lang, plan: &Plan, curriculum: &Curriculum, scenarios: &[ScenarioInfo], offset: i64, next: String) -> PlanView {
    let items = plan
        .items
        .iter()
        .map(|i| PlanItemView {
            id: i.id,
            dom_id: format!("plan-{}-{}", i.kind.as_str(), i.target),
            kind: i.kind.as_str(),
            kind_text: lang.t(&format!("academy.kind.{}", i.kind.as_str())),
            title: academy::target_title(lang, i.kind, &i.target, curriculum, scenarios),
            href: academy::target_href(i.kind, &i.target),
            reasons: academy::item_reasons(lang, i, curriculum),
            done: i.done_at.is_some(),
            note: i.note.clone(),
            added: i.added_by_name.as_ref().map(|name| fill(lang.t("academy.plan.added_by"), &[("name", name), ("when", &when(i.created_at, offset))])),
            scenario: (i.kind == PlanItemKind::Roleplay).then(|| i.target.clone()),
            coach_item: i.source == PlanSource::Coach,
            open_text: lang.t(match i.kind {
                PlanItemKind::Quiz => "academy.plan.take_quiz",
                PlanItemKind::Roleplay => "academy.plan.practise",
                _ => "academy.plan.open",
            }),
        })
        .collect();
    PlanView {
        user_id: plan.user_id,
        version: plan.version,
        next,
        items,
        progress: fill(lang.t("academy.plan.progress"), &[("done", &plan.done_count().to_string()), ("total", &plan.items.len().to_string())]),
        changes: plan.changes.iter().take(20).map(|c| change_text(lang, c, curriculum, scenarios, offset)).collect(),
    }
}

// ----- /academy -----

struct AreaView {
    key: &'static str,
    name: &'static str,
    /// (level, label, checked).
    levels: Vec<(u8, &'static str, bool)>,
    missing: bool,
}

fn area_views(lang: Lang, chosen: &BTreeMap<String, u8>, show_missing: bool) -> Vec<AreaView> {
    SKILL_AREAS
        .iter()
        .map(|a| AreaView {
            key: a.key,
            name: lang.t(&format!("academy.area.{}", a.key)),
            levels: LEVELS.map(|l| (l, lang.t(&format!("academy.sa.level.{l}")), chosen.get(a.key) == Some(&l))).collect(),
            missing: show_missing && !chosen.contains_key(a.key),
        })
        .collect()
}

struct ModuleCard {
    id: String,
    title: String,
    summary: String,
    lessons: usize,
    questions: usize,
    latest: Option<String>,
}

#[derive(Template)]
#[template(path = "training_home.html")]
struct HomePage {
    lang: Lang,
    langs: [Lang; 3],
    me: Option<MenuUser>,
    csrf: String,
    here: String,
    current: &'static str,
    coach: bool,
    notice: Option<&'static str>,
    alert: Option<&'static str>,
    plan: Option<PlanView>,
    /// The self-assessment form, when there is none yet (or it was refused).
    areas: Option<Vec<AreaView>>,
    sa_error: Option<&'static str>,
    latest_sa: Option<String>,
    modules: Vec<ModuleCard>,
}

async fn home_view(state: &AppState, v: &Viewer, p: &Principal, typed: Option<(BTreeMap<String, u8>, bool)>) -> Result<HomePage, ApiError> {
    let f = frame(state, v, p, "/academy", "home").await;
    let user_id = p.user_id.ok_or(ApiError::Forbidden("people study"))?;
    let in_use = academy::curriculum(state, p).await?;
    let infos = academy::scenarios(state, p).await?;
    let offset = org_offset(state, p.org_id).await;
    let plan = academy::my_plan(state, p, user_id).await?;
    let latest = state.store.latest_self_assessment(p.clone(), user_id).await?;
    let attempts = state.store.quiz_attempts(p.clone(), user_id).await?;
    let lang = v.lang;
    let areas = match (&typed, &latest) {
        (Some((chosen, missing)), _) => Some(area_views(lang, chosen, *missing)),
        (None, None) => Some(area_views(lang, &BTreeMap::new(), false)),
        (None, Some(_)) => None,
    };
    let modules = in_use
        .curriculum
        .modules()
        .iter()
        .map(|m| {
            let text = &m.text().best(lang.content_language()).1;
            ModuleCard {
                id: m.id().to_string(),
                title: text.title.clone(),
                summary: text.summary.clone(),
                lessons: m.lessons().len(),
                questions: m.questions().len(),
                latest: attempts.iter().find(|a| a.module == m.id().as_str()).map(|a| fill(lang.t("academy.module.best"), &[("percent", &a.percent().to_string())])),
            }
        })
        .collect();
    Ok(HomePage {
        lang: f.lang,
        langs: f.langs,
        me: f.me,
        csrf: f.csrf,
        here: f.here,
        current: f.current,
        coach: f.coach,
        notice: None,
        alert: None,
        plan: plan.as_ref().map(|plan| plan_view(lang, plan, &in_use.curriculum, &infos, offset, "/academy#plan".to_owned())),
        sa_error: typed.as_ref().filter(|(_, missing)| *missing).map(|_| lang.t("academy.sa.missing")),
        areas,
        latest_sa: latest.map(|a| fill(lang.t("academy.sa.latest"), &[("when", &when(a.created_at, offset))])),
        modules,
    })
}

async fn home_page(State(state): State<AppState>, headers: HeaderMap, query: QueryPairs) -> Response {
    let q = query_pairs(query);
    let here = "/academy";
    let (v, p) = match gate(&state, &headers, here, ui_lang(&q), None, Need::Study).await {
        Ok(ok) => ok,
        Err(r) => return r,
    };
    match home_view(&state, &v, &p, None).await {
        Ok(mut page) => {
            page.notice = notice(v.lang, first(&q, "ok"));
            page.alert = alert(v.lang, first(&q, "ok"));
            render(&page, StatusCode::OK)
        }
        Err(e) => failed(&v, here, e),
    }
}

#[derive(Template)]
#[template(path = "training_assess.html")]
struct AssessPage {
    lang: Lang,
    langs: [Lang; 3],
    me: Option<MenuUser>,
    csrf: String,
    here: String,
    current: &'static str,
    coach: bool,
    areas: Vec<AreaView>,
    sa_error: Option<&'static str>,
}

async fn assess_page(State(state): State<AppState>, headers: HeaderMap, query: QueryPairs) -> Response {
    let q = query_pairs(query);
    let here = "/academy/self-assessment";
    let (v, p) = match gate(&state, &headers, here, ui_lang(&q), None, Need::Study).await {
        Ok(ok) => ok,
        Err(r) => return r,
    };
    let latest = match state.store.latest_self_assessment(p.clone(), p.user_id.unwrap_or(0)).await {
        Ok(latest) => latest,
        Err(e) => return failed(&v, here, e.into()),
    };
    let f = frame(&state, &v, &p, here, "home").await;
    let page = AssessPage {
        areas: area_views(v.lang, &latest.map(|a| a.answers).unwrap_or_default(), false),
        sa_error: None,
        lang: f.lang,
        langs: f.langs,
        me: f.me,
        csrf: f.csrf,
        here: f.here,
        current: f.current,
        coach: f.coach,
    };
    render(&page, StatusCode::OK)
}

/// `POST /academy/self-assessment`: one level per area (`area.<key>` = 1…5); a missing one comes back with what was
/// chosen.
async fn assess_submit(State(state): State<AppState>, headers: HeaderMap, body: Pairs) -> Response {
    let f = pairs(body);
    let here = "/academy";
    let (v, p) = match gate(&state, &headers, here, None, Some(first(&f, "csrf")), Need::Study).await {
        Ok(ok) => ok,
        Err(r) => return r,
    };
    let mut chosen = BTreeMap::new();
    for area in SKILL_AREAS {
        if let Ok(level) = first(&f, &format!("area.{}", area.key)).parse::<u8>()
            && LEVELS.contains(&level)
        {
            chosen.insert(area.key.to_owned(), level);
        }
    }
    if chosen.len() != SKILL_AREAS.len() {
        return match home_view(&state, &v, &p, Some((chosen, true))).await {
            Ok(page) => render(&page, StatusCode::UNPROCESSABLE_ENTITY),
            Err(e) => failed(&v, here, e),
        };
    }
    match academy::submit_assessment(&state, &p, chosen).await {
        Ok(_) => Redirect::to("/academy?ok=sa#plan").into_response(),
        Err(e) => failed(&v, here, e),
    }
}

async fn refresh_submit(State(state): State<AppState>, headers: HeaderMap, body: Pairs) -> Response {
    let f = pairs(body);
    let here = "/academy";
    let (v, p) = match gate(&state, &headers, here, None, Some(first(&f, "csrf")), Need::Study).await {
        Ok(ok) => ok,
        Err(r) => return r,
    };
    match academy::refresh_plan(&state, &p, p.user_id.unwrap_or(0)).await {
        Ok(_) => Redirect::to("/academy?ok=refreshed#plan").into_response(),
        Err(e) => failed(&v, here, e),
    }
}

/// Adds `ok=<what>` to a local path (before its fragment).
fn with_ok(next: &str, what: &str) -> String {
    let (path, fragment) = next.split_once('#').map_or((next, ""), |(p, f)| (p, f));
    let sep = if path.contains('?') { '&' } else { '?' };
    let fragment = if fragment.is_empty() { String::new() } else { format!("#{fragment}") };
    format!("{path}{sep}ok={what}{fragment}")
}

/// `POST /academy/plan/items/{id}/done` (`user`, `version`, `done` = 1 | 0, `next`): the person or their coach.
async fn done_submit(State(state): State<AppState>, headers: HeaderMap, Path(id): Path<String>, body: Pairs) -> Response {
    let f = pairs(body);
    let next = local_path(if first(&f, "next").is_empty() { "/academy" } else { first(&f, "next") });
    let (v, p) = match gate(&state, &headers, &next, None, Some(first(&f, "csrf")), Need::Study).await {
        Ok(ok) => ok,
        Err(r) => return r,
    };
    let (Ok(item), Ok(user)) = (id.parse::<i64>(), first(&f, "user").parse::<i64>()) else { return not_found(v.lang) };
    let version = first(&f, "version").parse::<i64>().ok();
    let done = first(&f, "done") == "1";
    match academy::adjust(&state, &p, user, version, PlanAdjustment::Done { item, done }).await {
        Ok(_) => Redirect::to(&with_ok(&next, "done")).into_response(),
        Err(ApiError::Conflict(w)) if w == "training_plan_changed" => Redirect::to(&with_ok(&next, "changed")).into_response(),
        Err(e) => failed(&v, &next, e),
    }
}

// ----- modules, lessons, cases -----

struct TurnView {
    speaker: &'static str,
    speaker_text: &'static str,
    html: String,
}

struct CaseView {
    id: String,
    title: String,
    emotion: (&'static str, &'static str, &'static str),
    complaint: Option<&'static str>,
    lang_code: &'static str,
    turns: Vec<TurnView>,
    happened: String,
    analysis: String,
    better: String,
}

fn case_view(lang: Lang, case: &anxin_domain::training::Case) -> CaseView {
    let (shown, text) = case.text().best(lang.content_language());
    let (key, icon, name) = super::emotion_badge(Some(case.emotion().as_str()));
    CaseView {
        id: case.id().to_string(),
        title: text.title.clone(),
        emotion: (key, icon, lang.t(name)),
        complaint: case.complaint_type().map(|c| lang.t(&format!("complaint.{}", c.as_str()))),
        lang_code: shown.as_str(),
        turns: text
            .conversation
            .iter()
            .map(|t| {
                let speaker = match t.speaker {
                    Speaker::Customer => "customer",
                    Speaker::Agent => "agent",
                    Speaker::Lead => "lead",
                    Speaker::Colleague => "colleague",
                };
                TurnView { speaker, speaker_text: lang.t(&format!("academy.speaker.{speaker}")), html: crate::markdown::render(&t.text) }
            })
            .collect(),
        happened: crate::markdown::render(&text.happened),
        analysis: crate::markdown::render(&text.analysis),
        better: crate::markdown::render(&text.better),
    }
}

struct LessonLink {
    id: String,
    title: String,
    minutes: String,
}

#[derive(Template)]
#[template(path = "training_module.html")]
struct ModulePage {
    lang: Lang,
    langs: [Lang; 3],
    me: Option<MenuUser>,
    csrf: String,
    here: String,
    current: &'static str,
    coach: bool,
    id: String,
    title: String,
    summary: String,
    objectives: Vec<String>,
    html: String,
    lang_code: &'static str,
    note: Option<String>,
    lessons: Vec<LessonLink>,
    cases: Vec<CaseView>,
    quiz: Option<String>,
    latest: Option<String>,
}

async fn module_page(State(state): State<AppState>, headers: HeaderMap, Path(id): Path<String>, query: QueryPairs) -> Response {
    let q = query_pairs(query);
    let here = format!("/academy/modules/{id}");
    let (v, p) = match gate(&state, &headers, &here, ui_lang(&q), None, Need::Study).await {
        Ok(ok) => ok,
        Err(r) => return r,
    };
    let in_use = match academy::curriculum(&state, &p).await {
        Ok(c) => c,
        Err(e) => return failed(&v, &here, e),
    };
    let Some(m) = in_use.curriculum.module(&id) else { return not_found(v.lang) };
    let lang = v.lang;
    let (shown, text) = m.text().best(lang.content_language());
    let latest = match state.store.quiz_attempts(p.clone(), p.user_id.unwrap_or(0)).await {
        Ok(a) => a.iter().find(|a| a.module == id).map(|a| fill(lang.t("academy.module.best"), &[("percent", &a.percent().to_string())])),
        Err(e) => return failed(&v, &here, e.into()),
    };
    let f = frame(&state, &v, &p, &here, "home").await;
    let page = ModulePage {
        id: m.id().to_string(),
        title: text.title.clone(),
        summary: text.summary.clone(),
        objectives: text.objectives.clone(),
        html: crate::markdown::render(&text.body),
        lang_code: shown.as_str(),
        note: lang_note(lang, shown),
        lessons: m
            .lessons()
            .iter()
            .map(|l| LessonLink {
                id: l.id().to_string(),
                title: l.text().best(lang.content_language()).1.title.clone(),
                minutes: fill(lang.t("academy.minutes"), &[("n", &l.minutes().to_string())]),
            })
            .collect(),
        cases: m.cases().iter().map(|c| case_view(lang, c)).collect(),
        quiz: (!m.questions().is_empty()).then(|| fill(lang.t("academy.module.quiz"), &[("n", &m.questions().len().to_string())])),
        latest,
        lang: f.lang,
        langs: f.langs,
        me: f.me,
        csrf: f.csrf,
        here: f.here,
        current: f.current,
        coach: f.coach,
    };
    render(&page, StatusCode::OK)
}

#[derive(Template)]
#[template(path = "training_lesson.html")]
struct LessonPage {
    lang: Lang,
    langs: [Lang; 3],
    me: Option<MenuUser>,
    csrf: String,
    here: String,
    current: &'static str,
    coach: bool,
    notice: Option<&'static str>,
    id: String,
    title: String,
    minutes: String,
    html: String,
    lang_code: &'static str,
    note: Option<String>,
    module_id: String,
    module_title: String,
    cases: Vec<CaseView>,
    prev: Option<LessonLink>,
    next: Option<LessonLink>,
    quiz_hint: Option<String>,
}

async fn lesson_page(State(state): State<AppState>, headers: HeaderMap, Path(id): Path<String>, query: QueryPairs) -> Response {
    let q = query_pairs(query);
    let here = format!("/academy/lessons/{id}");
    let (v, p) = match gate(&state, &headers, &here, ui_lang(&q), None, Need::Study).await {
        Ok(ok) => ok,
        Err(r) => return r,
    };
    let in_use = match academy::curriculum(&state, &p).await {
        Ok(c) => c,
        Err(e) => return failed(&v, &here, e),
    };
    let Some(l) = in_use.curriculum.lesson(&id) else { return not_found(v.lang) };
    let Some(m) = in_use.curriculum.module(l.module().as_str()) else { return not_found(v.lang) };
    let lang = v.lang;
    let (shown, text) = l.text().best(lang.content_language());
    let position = m.lessons().iter().position(|x| x.id() == l.id()).unwrap_or(0);
    let link = |i: usize| {
        m.lessons().get(i).map(|x| LessonLink {
            id: x.id().to_string(),
            title: x.text().best(lang.content_language()).1.title.clone(),
            minutes: String::new(),
        })
    };
    let module_title = m.text().best(lang.content_language()).1.title.clone();
    let f = frame(&state, &v, &p, &here, "home").await;
    let page = LessonPage {
        notice: notice(lang, first(&q, "ok")),
        id: l.id().to_string(),
        title: text.title.clone(),
        minutes: fill(lang.t("academy.minutes"), &[("n", &l.minutes().to_string())]),
        html: crate::markdown::render(&text.body),
        lang_code: shown.as_str(),
        note: lang_note(lang, shown),
        module_id: m.id().to_string(),
        cases: m.cases().iter().filter(|c| c.lessons().contains(l.id())).map(|c| case_view(lang, c)).collect(),
        prev: position.checked_sub(1).and_then(link),
        next: link(position + 1),
        quiz_hint: (!m.questions().is_empty()).then(|| fill(lang.t("academy.lesson.quiz_hint"), &[("module", &module_title)])),
        module_title,
        lang: f.lang,
        langs: f.langs,
        me: f.me,
        csrf: f.csrf,
        here: f.here,
        current: f.current,
        coach: f.coach,
    };
    render(&page, StatusCode::OK)
}

/// `POST /academy/lessons/{id}/done`: completes the plan's item for this lesson (if any).
async fn lesson_done_submit(State(state): State<AppState>, headers: HeaderMap, Path(id): Path<String>, body: Pairs) -> Response {
    let f = pairs(body);
    let here = format!("/academy/lessons/{id}");
    let (v, p) = match gate(&state, &headers, &here, None, Some(first(&f, "csrf")), Need::Study).await {
        Ok(ok) => ok,
        Err(r) => return r,
    };
    match academy::curriculum(&state, &p).await {
        Ok(in_use) if in_use.curriculum.lesson(&id).is_some() => {}
        Ok(_) => return not_found(v.lang),
        Err(e) => return failed(&v, &here, e),
    }
    match state.store.complete_plan_items(p.clone(), PlanItemKind::Lesson, id.clone()).await {
        Ok(_) => Redirect::to(&format!("{here}?ok=lesson")).into_response(),
        Err(e) => failed(&v, &here, e.into()),
    }
}

// ----- quizzes -----

struct ChoiceView {
    letter: char,
    text: String,
    checked: bool,
}

struct QuestionView {
    id: String,
    number: usize,
    prompt: String,
    multiple: bool,
    type_text: &'static str,
    lang_code: &'static str,
    choices: Vec<ChoiceView>,
}

#[derive(Template)]
#[template(path = "training_quiz.html")]
struct QuizPage {
    lang: Lang,
    langs: [Lang; 3],
    me: Option<MenuUser>,
    csrf: String,
    here: String,
    current: &'static str,
    coach: bool,
    module_id: String,
    title: String,
    intro: String,
    questions: Vec<QuestionView>,
}

async fn quiz_page(State(state): State<AppState>, headers: HeaderMap, Path(id): Path<String>, query: QueryPairs) -> Response {
    let q = query_pairs(query);
    let here = format!("/academy/quiz/{id}");
    let (v, p) = match gate(&state, &headers, &here, ui_lang(&q), None, Need::Study).await {
        Ok(ok) => ok,
        Err(r) => return r,
    };
    let in_use = match academy::curriculum(&state, &p).await {
        Ok(c) => c,
        Err(e) => return failed(&v, &here, e),
    };
    let Some(m) = in_use.curriculum.module(&id).filter(|m| !m.questions().is_empty()) else { return not_found(v.lang) };
    let lang = v.lang;
    let module_title = m.text().best(lang.content_language()).1.title.clone();
    let questions = m
        .questions()
        .iter()
        .enumerate()
        .map(|(i, question)| {
            let (shown, text) = question.text().best(lang.content_language());
            let multiple = question.question_type() == QuestionType::Multiple;
            QuestionView {
                id: question.id().to_string(),
                number: i + 1,
                prompt: text.prompt.clone(),
                multiple,
                type_text: lang.t(if multiple { "academy.quiz.multiple" } else { "academy.quiz.single" }),
                lang_code: shown.as_str(),
                choices: text
                    .choices
                    .iter()
                    .enumerate()
                    .filter_map(|(n, c)| Choice::from_index(n).map(|choice| ChoiceView { letter: choice.letter(), text: c.clone(), checked: false }))
                    .collect(),
            }
        })
        .collect();
    let f = frame(&state, &v, &p, &here, "home").await;
    let page = QuizPage {
        module_id: m.id().to_string(),
        title: fill(lang.t("academy.quiz.title"), &[("module", &module_title)]),
        intro: fill(lang.t("academy.quiz.intro"), &[("n", &m.questions().len().to_string())]),
        questions,
        lang: f.lang,
        langs: f.langs,
        me: f.me,
        csrf: f.csrf,
        here: f.here,
        current: f.current,
        coach: f.coach,
    };
    render(&page, StatusCode::OK)
}

/// `POST /academy/quiz/{module}`: each question's field (named by its id) holds the chosen letters; graded,
/// recorded, then the result page.
async fn quiz_submit(State(state): State<AppState>, headers: HeaderMap, Path(id): Path<String>, body: Pairs) -> Response {
    let f = pairs(body);
    let here = format!("/academy/quiz/{id}");
    let (v, p) = match gate(&state, &headers, &here, None, Some(first(&f, "csrf")), Need::Study).await {
        Ok(ok) => ok,
        Err(r) => return r,
    };
    let in_use = match academy::curriculum(&state, &p).await {
        Ok(c) => c,
        Err(e) => return failed(&v, &here, e),
    };
    let Some(m) = in_use.curriculum.module(&id).filter(|m| !m.questions().is_empty()) else { return not_found(v.lang) };
    let mut answers: BTreeMap<String, Vec<Choice>> = BTreeMap::new();
    for question in m.questions() {
        let chosen: Vec<Choice> = f.iter().filter(|(k, _)| k == question.id().as_str()).filter_map(|(_, letter)| Choice::parse(letter.trim())).collect();
        answers.insert(question.id().to_string(), chosen);
    }
    match academy::submit_quiz(&state, &p, &id, &answers).await {
        Ok(attempt) => Redirect::to(&format!("/academy/quiz/{id}/attempts/{}#quiz-result", attempt.id)).into_response(),
        Err(e) => failed(&v, &here, e),
    }
}

struct ResultView {
    id: String,
    number: usize,
    prompt: String,
    status: &'static str,
    status_text: &'static str,
    chosen: String,
    answer: String,
    explanation: String,
    lesson_id: String,
    lesson_title: String,
    removed: bool,
}

#[derive(Template)]
#[template(path = "training_result.html")]
struct ResultPage {
    lang: Lang,
    langs: [Lang; 3],
    me: Option<MenuUser>,
    csrf: String,
    here: String,
    current: &'static str,
    coach: bool,
    module_id: String,
    title: String,
    percent: u8,
    score: String,
    passed: bool,
    own: bool,
    person: Option<String>,
    results: Vec<ResultView>,
}

fn letters_text(lang: Lang, letters: &[String]) -> String {
    if letters.is_empty() { lang.t("academy.quiz.none").to_owned() } else { letters.join(" ") }
}

async fn result_page(State(state): State<AppState>, headers: HeaderMap, Path((id, attempt)): Path<(String, String)>, query: QueryPairs) -> Response {
    let q = query_pairs(query);
    let here = format!("/academy/quiz/{id}/attempts/{attempt}");
    let (v, p) = match gate(&state, &headers, &here, ui_lang(&q), None, Need::Study).await {
        Ok(ok) => ok,
        Err(r) => return r,
    };
    let Ok(attempt_id) = attempt.parse::<i64>() else { return not_found(v.lang) };
    let attempt = match state.store.quiz_attempt(p.clone(), attempt_id).await {
        Ok(a) if a.module == id => a,
        Ok(_) => return not_found(v.lang),
        Err(e) => return failed(&v, &here, e.into()),
    };
    let in_use = match academy::curriculum(&state, &p).await {
        Ok(c) => c,
        Err(e) => return failed(&v, &here, e),
    };
    let lang = v.lang;
    let c = &in_use.curriculum;
    let results = attempt
        .results
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let question = c.question(&r.question);
            let (status, key) = match (r.correct, r.score > 0.0) {
                (true, _) => ("right", "academy.quiz.right"),
                (false, true) => ("partial", "academy.quiz.partial"),
                (false, false) => ("wrong", "academy.quiz.wrong"),
            };
            let text = question.map(|q| q.text().best(lang.content_language()).1);
            ResultView {
                id: r.question.clone(),
                number: i + 1,
                prompt: text.map_or_else(|| r.question.clone(), |t| t.prompt.clone()),
                status,
                status_text: lang.t(key),
                chosen: letters_text(lang, &r.chosen),
                answer: question.map(|q| q.answer().iter().map(ToString::to_string).collect::<Vec<_>>().join(" ")).unwrap_or_default(),
                explanation: text.map(|t| crate::markdown::render(&t.explanation)).unwrap_or_default(),
                lesson_title: academy::lesson_title(lang, c, &r.lesson),
                lesson_id: r.lesson.clone(),
                removed: question.is_none(),
            }
        })
        .collect();
    let own = p.user_id == Some(attempt.user_id);
    let person = if own {
        None
    } else {
        match state.store.training_subject(p.clone(), attempt.user_id).await {
            Ok(t) => Some(t.name),
            Err(e) => return failed(&v, &here, e.into()),
        }
    };
    let f = frame(&state, &v, &p, &here, "home").await;
    let page = ResultPage {
        module_id: id.clone(),
        title: fill(lang.t("academy.quiz.title"), &[("module", &academy::module_title(lang, c, &id))]),
        percent: attempt.percent(),
        score: fill(
            lang.t("academy.quiz.score"),
            &[("percent", &attempt.percent().to_string()), ("correct", &attempt.correct.to_string()), ("total", &attempt.total.to_string())],
        ),
        passed: attempt.score >= anxin_store::training::PASS_SCORE,
        own,
        person,
        results,
        lang: f.lang,
        langs: f.langs,
        me: f.me,
        csrf: f.csrf,
        here: f.here,
        current: f.current,
        coach: f.coach,
    };
    render(&page, StatusCode::OK)
}

// ----- progress -----

/// Weekly averages of ratings (weeks starting on the local Monday), oldest first: (week start, average, count).
pub(crate) fn weekly_average(points: &[CsatPoint], offset_ms: i64) -> Vec<(i64, f64, usize)> {
    const WEEK: i64 = 7 * 86_400_000;
    // 1970-01-01 was a Thursday: Monday-based weeks start 3 days before a multiple of 7 days.
    let monday = 4 * 86_400_000;
    let mut weeks: BTreeMap<i64, (u32, usize)> = BTreeMap::new();
    for p in points {
        let local = p.rated_at + offset_ms;
        let start = (local - monday).div_euclid(WEEK) * WEEK + monday - offset_ms;
        let slot = weeks.entry(start).or_default();
        slot.0 += u32::from(p.rating);
        slot.1 += 1;
    }
    weeks.into_iter().map(|(start, (sum, n))| (start, (f64::from(sum) / n as f64 * 10.0).round() / 10.0, n)).collect()
}

struct QuizRow {
    when: String,
    module: String,
    percent: u8,
    href: String,
}

struct RoleplayRow {
    when: String,
    scenario: String,
    outcome: &'static str,
    outcome_key: &'static str,
    overall: String,
    href: String,
}

#[derive(Template)]
#[template(path = "training_progress.html")]
struct ProgressPage {
    lang: Lang,
    langs: [Lang; 3],
    me: Option<MenuUser>,
    csrf: String,
    here: String,
    current: &'static str,
    coach: bool,
    heading: String,
    plan_text: String,
    quiz_svg: Option<String>,
    quizzes: Vec<QuizRow>,
    roleplay_svg: Option<String>,
    roleplays: Vec<RoleplayRow>,
    csat_svg: Option<String>,
    csat_text: Option<String>,
}

fn outcome_key(outcome: RoleplayOutcome) -> &'static str {
    match outcome {
        RoleplayOutcome::Ongoing => "ongoing",
        RoleplayOutcome::Resolved => "resolved",
        RoleplayOutcome::Escalated => "escalated",
        RoleplayOutcome::Abandoned => "abandoned",
    }
}

async fn progress_page(State(state): State<AppState>, headers: HeaderMap, query: QueryPairs) -> Response {
    let q = query_pairs(query);
    let here = match first(&q, "user") {
        "" => "/academy/progress".to_owned(),
        user => format!("/academy/progress?user={}", percent_encode(user)),
    };
    let (v, p) = match gate(&state, &headers, &here, ui_lang(&q), None, Need::Study).await {
        Ok(ok) => ok,
        Err(r) => return r,
    };
    let user_id = match first(&q, "user") {
        "" => p.user_id.unwrap_or(0),
        text => match text.parse::<i64>() {
            Ok(id) => id,
            Err(_) => return not_found(v.lang),
        },
    };
    let now = state.store.now();
    let progress = match state.store.training_progress(p.clone(), user_id, now - academy::PROGRESS_WINDOW_MS).await {
        Ok(progress) => progress,
        Err(e) => return failed(&v, &here, e.into()),
    };
    let (in_use, infos, sessions) = match (academy::curriculum(&state, &p).await, academy::scenarios(&state, &p).await, academy::roleplays(&state, &p, user_id).await) {
        (Ok(a), Ok(b), Ok(c)) => (a, b, c),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return failed(&v, &here, e),
    };
    let lang = v.lang;
    let offset = org_offset(&state, p.org_id).await;
    let c = &in_use.curriculum;

    let quizzes: Vec<QuizRow> = progress
        .quiz_attempts
        .iter()
        .map(|a| QuizRow {
            when: when(a.created_at, offset),
            module: academy::module_title(lang, c, &a.module),
            percent: a.percent(),
            href: format!("/academy/quiz/{}/attempts/{}", a.module, a.id),
        })
        .collect();
    let quiz_points: Vec<(String, f64)> = progress
        .quiz_attempts
        .iter()
        .rev()
        .map(|a| (format!("{} {} {}%", day(a.created_at, offset), academy::module_title(lang, c, &a.module), a.percent()), f64::from(a.percent())))
        .collect();
    let quiz_svg = crate::wellbeing::trend_svg(
        "quiz-trend",
        &quiz_points,
        0.0,
        100.0,
        &[80.0],
        lang.t("academy.progress.chart_quiz"),
        &fill(lang.t("academy.progress.chart_quiz_desc"), &[("n", &quiz_points.len().to_string()), ("last", &quizzes.first().map_or(0, |q| q.percent).to_string())]),
    );

    let finished: Vec<_> = sessions.iter().filter(|s| s.outcome != RoleplayOutcome::Ongoing).collect();
    let roleplays: Vec<RoleplayRow> = sessions
        .iter()
        .map(|s| {
            let key = outcome_key(s.outcome);
            RoleplayRow {
                when: when(s.finished_at.unwrap_or(s.started_at), offset),
                scenario: academy::scenario_title(lang, &infos, &s.scenario_id),
                outcome: lang.t(&format!("academy.outcome.{key}")),
                outcome_key: key,
                overall: s.scores.map_or_else(|| lang.t("academy.none").to_owned(), |sc| sc.overall.to_string()),
                href: if s.outcome == RoleplayOutcome::Ongoing { format!("/academy/roleplay/{}", s.id) } else { format!("/academy/roleplay/{}/debrief", s.id) },
            }
        })
        .collect();
    let rp_points: Vec<(String, f64)> = finished
        .iter()
        .rev()
        .filter_map(|s| {
            s.scores.map(|sc| (format!("{} {} {}", day(s.finished_at.unwrap_or(s.started_at), offset), academy::scenario_title(lang, &infos, &s.scenario_id), sc.overall), f64::from(sc.overall)))
        })
        .collect();
    let roleplay_svg = crate::wellbeing::trend_svg(
        "roleplay-trend",
        &rp_points,
        0.0,
        100.0,
        &[70.0],
        lang.t("academy.progress.chart_roleplay"),
        &fill(
            lang.t("academy.progress.chart_roleplay_desc"),
            &[("n", &rp_points.len().to_string()), ("last", &rp_points.last().map_or(0.0, |p| p.1).to_string())],
        ),
    );

    let weeks = weekly_average(&progress.csat, offset);
    let csat_points: Vec<(String, f64)> = weeks.iter().map(|(start, avg, n)| (format!("{} · {avg:.1} ({n})", day(*start, offset)), *avg)).collect();
    let csat_desc = fill(
        lang.t("academy.progress.chart_csat_desc"),
        &[("n", &progress.csat.len().to_string()), ("weeks", &weeks.len().to_string()), ("last", &weeks.last().map_or("-".to_owned(), |w| format!("{:.1}", w.1)))],
    );
    let csat_svg = crate::wellbeing::trend_svg("csat-trend", &csat_points, 1.0, 5.0, &[3.5], lang.t("academy.progress.chart_csat"), &csat_desc);

    let own = p.user_id == Some(user_id);
    let f = frame(&state, &v, &p, &here, if own { "progress" } else { "team" }).await;
    let page = ProgressPage {
        heading: if own { lang.t("academy.progress").to_owned() } else { fill(lang.t("academy.progress_of"), &[("name", &progress.person.name)]) },
        plan_text: fill(lang.t("academy.plan.progress"), &[("done", &progress.plan_done.to_string()), ("total", &progress.plan_items.to_string())]),
        quiz_svg,
        quizzes,
        roleplay_svg,
        roleplays,
        csat_text: (!progress.csat.is_empty()).then_some(csat_desc),
        csat_svg,
        lang: f.lang,
        langs: f.langs,
        me: f.me,
        csrf: f.csrf,
        here: f.here,
        current: f.current,
        coach: f.coach,
    };
    render(&page, StatusCode::OK)
}

// ----- the team -----

/// A tiny line of values between `lo` and `hi` for a table cell, with a title for screen readers; `None` for fewer
/// than two values. All text escaped.
pub(crate) fn spark_svg(values: &[f64], lo: f64, hi: f64, title: &str) -> Option<String> {
    if values.len() < 2 {
        return None;
    }
    const W: f64 = 80.0;
    const H: f64 = 20.0;
    let span = (hi - lo).max(1.0);
    let step = (W - 4.0) / (values.len() - 1) as f64;
    let points: Vec<String> = values
        .iter()
        .enumerate()
        .map(|(i, v)| format!("{:.1},{:.1}", 2.0 + step * i as f64, 2.0 + (H - 4.0) * (1.0 - (v.clamp(lo, hi) - lo) / span)))
        .collect();
    Some(format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" class="spark" viewBox="0 0 {W} {H}" width="{W}" height="{H}" role="img"><title>{}</title><polyline fill="none" stroke="#0f766e" stroke-width="1.5" points="{}"/></svg>"##,
        xml_escape(title),
        points.join(" ")
    ))
}

/// (arrow, text key) for the change from the first to the last value.
fn trend(lang: Lang, values: &[f64]) -> Option<(&'static str, &'static str)> {
    let (first, last) = (values.first()?, values.last()?);
    if values.len() < 2 {
        return None;
    }
    Some(match last - first {
        d if d > 0.05 => ("↑", lang.t("academy.trend.up")),
        d if d < -0.05 => ("↓", lang.t("academy.trend.down")),
        _ => ("→", lang.t("academy.trend.flat")),
    })
}

struct Figure {
    text: String,
    trend: Option<(&'static str, &'static str)>,
    spark: Option<String>,
}

struct TraineeRow {
    user_id: i64,
    name: String,
    teams: String,
    quiz: Figure,
    roleplay: Figure,
    csat: Figure,
    plan: String,
}

#[derive(Template)]
#[template(path = "training_team.html")]
struct TeamPage {
    lang: Lang,
    langs: [Lang; 3],
    me: Option<MenuUser>,
    csrf: String,
    here: String,
    current: &'static str,
    coach: bool,
    rows: Vec<TraineeRow>,
}

async fn team_page(State(state): State<AppState>, headers: HeaderMap, query: QueryPairs) -> Response {
    let q = query_pairs(query);
    let here = "/academy/team";
    let (v, p) = match gate(&state, &headers, here, ui_lang(&q), None, Need::Coach).await {
        Ok(ok) => ok,
        Err(r) => return r,
    };
    let (figures, in_use, infos) = match (academy::team_figures(&state, &p).await, academy::curriculum(&state, &p).await, academy::scenarios(&state, &p).await) {
        (Ok(a), Ok(b), Ok(c)) => (a, b, c),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return failed(&v, here, e),
    };
    let lang = v.lang;
    let none = || lang.t("academy.none").to_owned();
    let rows = figures
        .iter()
        .map(|f| {
            let pr = &f.progress;
            let quiz_values: Vec<f64> = pr.quiz_attempts.iter().rev().map(|a| f64::from(a.percent())).collect();
            let quiz = Figure {
                text: pr.quiz_attempts.first().map_or_else(none, |a| format!("{} {}%", academy::module_title(lang, &in_use.curriculum, &a.module), a.percent())),
                trend: trend(lang, &quiz_values),
                spark: spark_svg(&quiz_values, 0.0, 100.0, lang.t("academy.progress.chart_quiz")),
            };
            let finished: Vec<_> = f.roleplays.iter().filter(|s| s.outcome != RoleplayOutcome::Ongoing).collect();
            let rp_values: Vec<f64> = finished.iter().rev().filter_map(|s| s.scores.map(|sc| f64::from(sc.overall))).collect();
            let roleplay = Figure {
                text: finished.first().map_or_else(none, |s| {
                    let score = s.scores.map_or_else(String::new, |sc| format!(" · {}", sc.overall));
                    format!("{} · {}{score}", academy::scenario_title(lang, &infos, &s.scenario_id), lang.t(&format!("academy.outcome.{}", outcome_key(s.outcome))))
                }),
                trend: trend(lang, &rp_values),
                spark: spark_svg(&rp_values, 0.0, 100.0, lang.t("academy.progress.chart_roleplay")),
            };
            let csat_values: Vec<f64> = f.csat_before.into_iter().chain(f.csat_recent).collect();
            let csat = Figure {
                text: f.csat_recent.map_or_else(none, |avg| format!("{avg:.1} / 5")),
                trend: if f.csat_recent.is_some() && f.csat_before.is_some() { trend(lang, &csat_values) } else { None },
                spark: spark_svg(&weekly_average(&pr.csat, 0).iter().map(|w| w.1).collect::<Vec<_>>(), 1.0, 5.0, lang.t("academy.progress.chart_csat")),
            };
            TraineeRow {
                user_id: pr.person.user_id,
                name: pr.person.name.clone(),
                teams: pr.person.teams.join("、"),
                quiz,
                roleplay,
                csat,
                plan: format!("{} / {}", pr.plan_done, pr.plan_items),
            }
        })
        .collect();
    let f = frame(&state, &v, &p, here, "team").await;
    let page = TeamPage { rows, lang: f.lang, langs: f.langs, me: f.me, csrf: f.csrf, here: f.here, current: f.current, coach: f.coach };
    render(&page, StatusCode::OK)
}

/// One choice of the coach's "add to the plan" list: `kind:target`.
struct TargetOption {
    value: String,
    text: String,
}

struct TargetGroup {
    label: &'static str,
    options: Vec<TargetOption>,
}

fn target_groups(lang: Lang, curriculum: &Curriculum, scenarios: &[ScenarioInfo]) -> Vec<TargetGroup> {
    let mut modules = Vec::new();
    let mut lessons = Vec::new();
    let mut quizzes = Vec::new();
    for m in curriculum.modules() {
        let title = academy::module_title(lang, curriculum, m.id().as_str());
        modules.push(TargetOption { value: format!("module:{}", m.id()), text: title.clone() });
        for l in m.lessons() {
            lessons.push(TargetOption { value: format!("lesson:{}", l.id()), text: academy::target_title(lang, PlanItemKind::Lesson, l.id().as_str(), curriculum, scenarios) });
        }
        if !m.questions().is_empty() {
            quizzes.push(TargetOption { value: format!("quiz:{}", m.id()), text: fill(lang.t("academy.quiz_of"), &[("module", &title)]) });
        }
    }
    let roleplays = scenarios.iter().map(|s| TargetOption { value: format!("roleplay:{}", s.fact.id), text: s.title(lang).to_owned() }).collect();
    vec![
        TargetGroup { label: lang.t("academy.kind.module"), options: modules },
        TargetGroup { label: lang.t("academy.kind.lesson"), options: lessons },
        TargetGroup { label: lang.t("academy.kind.quiz"), options: quizzes },
        TargetGroup { label: lang.t("academy.kind.roleplay"), options: roleplays },
    ]
}

#[derive(Template)]
#[template(path = "training_person.html")]
struct PersonPage {
    lang: Lang,
    langs: [Lang; 3],
    me: Option<MenuUser>,
    csrf: String,
    here: String,
    current: &'static str,
    coach: bool,
    notice: Option<&'static str>,
    alert: Option<&'static str>,
    user_id: i64,
    heading: String,
    plan: Option<PlanView>,
    version: i64,
    groups: Vec<TargetGroup>,
    note: String,
    note_error: Option<&'static str>,
    target_error: Option<&'static str>,
}

async fn person_view(state: &AppState, v: &Viewer, p: &Principal, user_id: i64) -> Result<PersonPage, ApiError> {
    let here = format!("/academy/people/{user_id}");
    if p.user_id == Some(user_id) {
        return Err(ApiError::NotFound);
    }
    let person = state.store.training_subject(p.clone(), user_id).await?;
    let in_use = academy::curriculum(state, p).await?;
    let infos = academy::scenarios(state, p).await?;
    let offset = org_offset(state, p.org_id).await;
    let plan = academy::my_plan(state, p, user_id).await?;
    let lang = v.lang;
    let f = frame(state, v, p, &here, "team").await;
    Ok(PersonPage {
        notice: None,
        alert: None,
        user_id,
        heading: fill(lang.t("academy.plan_of"), &[("name", &person.name)]),
        version: plan.as_ref().map_or(0, |p| p.version),
        plan: plan.as_ref().map(|plan| plan_view(lang, plan, &in_use.curriculum, &infos, offset, format!("/academy/people/{user_id}#plan"))),
        groups: target_groups(lang, &in_use.curriculum, &infos),
        note: String::new(),
        note_error: None,
        target_error: None,
        lang: f.lang,
        langs: f.langs,
        me: f.me,
        csrf: f.csrf,
        here: f.here,
        current: f.current,
        coach: f.coach,
    })
}

async fn person_page(State(state): State<AppState>, headers: HeaderMap, Path(id): Path<String>, query: QueryPairs) -> Response {
    let q = query_pairs(query);
    let here = format!("/academy/people/{id}");
    let (v, p) = match gate(&state, &headers, &here, ui_lang(&q), None, Need::Coach).await {
        Ok(ok) => ok,
        Err(r) => return r,
    };
    let Ok(user_id) = id.parse::<i64>() else { return not_found(v.lang) };
    match person_view(&state, &v, &p, user_id).await {
        Ok(mut page) => {
            page.notice = notice(v.lang, first(&q, "ok"));
            page.alert = alert(v.lang, first(&q, "ok"));
            render(&page, StatusCode::OK)
        }
        Err(e) => failed(&v, &here, e),
    }
}

/// `POST /academy/people/{id}` with `action` = `add` (`target` = `kind:id`, `note`), `remove` / `note` (`item`,
/// `note`) or `refresh`, and the plan `version` the form was made on.
async fn person_submit(State(state): State<AppState>, headers: HeaderMap, Path(id): Path<String>, body: Pairs) -> Response {
    let f = pairs(body);
    let here = format!("/academy/people/{id}");
    let (v, p) = match gate(&state, &headers, &here, None, Some(first(&f, "csrf")), Need::Coach).await {
        Ok(ok) => ok,
        Err(r) => return r,
    };
    let Ok(user_id) = id.parse::<i64>() else { return not_found(v.lang) };
    let version = first(&f, "version").parse::<i64>().ok();
    let note = Some(first(&f, "note").to_owned()).filter(|n| !n.trim().is_empty());
    let item = first(&f, "item").parse::<i64>().unwrap_or(0);
    let result = match first(&f, "action") {
        "refresh" => academy::refresh_plan(&state, &p, user_id).await,
        "add" => {
            let target = first(&f, "target").split_once(':').and_then(|(k, t)| PlanItemKind::parse(k).map(|k| (k, t.to_owned())));
            match target {
                Some((kind, target)) => academy::adjust(&state, &p, user_id, version, PlanAdjustment::Add { kind, target, note: note.clone() }).await,
                None => Err(ApiError::invalid("target", "required", "choose an item")),
            }
        }
        "remove" => academy::adjust(&state, &p, user_id, version, PlanAdjustment::Remove { item }).await,
        "note" => academy::adjust(&state, &p, user_id, version, PlanAdjustment::Note { item, note: note.clone() }).await,
        _ => Err(ApiError::invalid("action", "unknown", "add, remove, note or refresh")),
    };
    match result {
        Ok(_) => Redirect::to(&format!("{here}?ok=saved#plan")).into_response(),
        Err(ApiError::Conflict(w)) if w == "training_plan_changed" => Redirect::to(&format!("{here}?ok=changed#plan")).into_response(),
        Err(ApiError::Invalid { field, .. }) => match person_view(&state, &v, &p, user_id).await {
            Ok(mut page) => {
                page.note = keep(first(&f, "note"), 400);
                if field == "note" {
                    page.note_error = Some(v.lang.t("academy.coach.bad_note"));
                } else {
                    page.target_error = Some(v.lang.t("academy.coach.bad_target"));
                }
                render(&page, StatusCode::UNPROCESSABLE_ENTITY)
            }
            Err(e) => failed(&v, &here, e),
        },
        Err(e) => failed(&v, &here, e),
    }
}

// ----- curriculum administration -----

struct EditLink {
    lang: &'static str,
    name: &'static str,
    href: String,
    exists: bool,
}

struct AdminItem {
    id: String,
    title: String,
    links: Vec<EditLink>,
}

struct AdminModule {
    id: String,
    title: String,
    lessons: Vec<AdminItem>,
    questions: Vec<AdminItem>,
}

#[derive(Template)]
#[template(path = "training_admin.html")]
struct AdminPage {
    lang: Lang,
    langs: [Lang; 3],
    me: Option<MenuUser>,
    csrf: String,
    here: String,
    current: &'static str,
    coach: bool,
    notice: Option<String>,
    status: String,
    starter: bool,
    version: i64,
    modules: Vec<AdminModule>,
    problems: Vec<String>,
}

fn edit_links(id: &str, languages: &[Language]) -> Vec<EditLink> {
    Language::ALL
        .iter()
        .map(|l| EditLink {
            lang: l.as_str(),
            name: Lang::parse(l.as_str()).map_or("?", Lang::native_name),
            href: format!("/academy/admin/edit/{id}/{}", l.as_str()),
            exists: languages.contains(l),
        })
        .collect()
}

async fn admin_view(state: &AppState, v: &Viewer, p: &Principal) -> Result<AdminPage, ApiError> {
    let in_use = academy::curriculum(state, p).await?;
    let offset = org_offset(state, p.org_id).await;
    let lang = v.lang;
    let s = &in_use.stamp;
    let status = if s.is_starter() {
        lang.t("academy.admin.starter").to_owned()
    } else {
        fill(
            lang.t("academy.admin.stored"),
            &[
                ("version", &s.version.to_string()),
                ("files", &s.file_count.to_string()),
                ("who", s.updated_by_name.as_deref().unwrap_or("?")),
                ("when", &s.updated_at.map(|at| when(at, offset)).unwrap_or_default()),
            ],
        )
    };
    let language = lang.content_language();
    let modules = in_use
        .curriculum
        .modules()
        .iter()
        .map(|m| AdminModule {
            id: m.id().to_string(),
            title: m.text().best(language).1.title.clone(),
            lessons: m
                .lessons()
                .iter()
                .map(|l| AdminItem { id: l.id().to_string(), title: l.text().best(language).1.title.clone(), links: edit_links(l.id().as_str(), &l.text().languages().collect::<Vec<_>>()) })
                .collect(),
            questions: m
                .questions()
                .iter()
                .map(|q| AdminItem { id: q.id().to_string(), title: q.text().best(language).1.prompt.clone(), links: edit_links(q.id().as_str(), &q.text().languages().collect::<Vec<_>>()) })
                .collect(),
        })
        .collect();
    let f = frame(state, v, p, "/academy/admin", "admin").await;
    Ok(AdminPage {
        notice: None,
        status,
        starter: s.is_starter(),
        version: s.version,
        modules,
        problems: Vec::new(),
        lang: f.lang,
        langs: f.langs,
        me: f.me,
        csrf: f.csrf,
        here: f.here,
        current: f.current,
        coach: f.coach,
    })
}

async fn admin_page(State(state): State<AppState>, headers: HeaderMap, query: QueryPairs) -> Response {
    let q = query_pairs(query);
    let here = "/academy/admin";
    let (v, p) = match gate(&state, &headers, here, ui_lang(&q), None, Need::Coach).await {
        Ok(ok) => ok,
        Err(r) => return r,
    };
    match admin_view(&state, &v, &p).await {
        Ok(mut page) => {
            page.notice = match first(&q, "ok") {
                "imported" => Some(fill(
                    v.lang.t("academy.admin.imported"),
                    &[("modules", first(&q, "m")), ("lessons", first(&q, "l")), ("questions", first(&q, "q"))],
                ))
                .filter(|_| [first(&q, "m"), first(&q, "l"), first(&q, "q")].iter().all(|n| n.parse::<u32>().is_ok())),
                other => notice(v.lang, other).or_else(|| alert(v.lang, other)).map(str::to_owned),
            };
            render(&page, StatusCode::OK)
        }
        Err(e) => failed(&v, here, e),
    }
}

async fn admin_refused(state: &AppState, v: &Viewer, p: &Principal, status: StatusCode, problems: Vec<String>) -> Response {
    match admin_view(state, v, p).await {
        Ok(mut page) => {
            page.problems = problems;
            render(&page, status)
        }
        Err(e) => failed(v, "/academy/admin", e),
    }
}

/// Room for the multipart envelope around the files.
const MULTIPART_OVERHEAD: usize = 256 * 1024;

/// An exported JSON file among the uploads: its files.
fn json_bundle(text: &str) -> Option<Vec<(String, String)>> {
    let body: academy::ImportBody = serde_json::from_str(text).ok()?;
    Some(body.files.into_iter().map(|f| (f.name, f.text)).collect())
}

/// `POST /academy/admin/import` (multipart: `csrf`, `version`, `files`): the whole curriculum, all or nothing.
async fn import_submit(State(state): State<AppState>, request: Request) -> Response {
    let here = "/academy/admin";
    let (parts, body) = request.into_parts();
    let (v, p) = match gate(&state, &parts.headers, here, None, None, Need::Coach).await {
        Ok(ok) => ok,
        Err(r) => return r,
    };
    let lang = v.lang;
    let too_large = vec![fill(lang.t("academy.admin.too_large"), &[("n", &(academy::MAX_IMPORT_BYTES / (1024 * 1024)).to_string())])];
    let bytes = match crate::extract::read_limited(body, academy::MAX_IMPORT_BYTES + MULTIPART_OVERHEAD).await {
        Ok(bytes) => bytes,
        Err(ApiError::TooLarge(_)) => return admin_refused(&state, &v, &p, StatusCode::PAYLOAD_TOO_LARGE, too_large).await,
        Err(e) => return e.into_response(),
    };
    let (mut csrf, mut version) = (String::new(), None);
    let (mut files, mut problems, mut broken) = (Vec::new(), Vec::new(), false);
    match Multipart::from_request(Request::from_parts(parts, Body::from(bytes)), &state).await {
        Err(_) => broken = true,
        Ok(mut form) => loop {
            let field = match form.next_field().await {
                Ok(Some(field)) => field,
                Ok(None) => break,
                Err(_) => {
                    broken = true;
                    break;
                }
            };
            let name = field.name().unwrap_or_default().to_owned();
            let file_name = field.file_name().unwrap_or_default().rsplit(['/', '\\']).next().unwrap_or_default().trim().to_owned();
            let Ok(data) = field.bytes().await else {
                broken = true;
                break;
            };
            match name.as_str() {
                "csrf" => csrf = String::from_utf8_lossy(&data).into_owned(),
                "version" => version = String::from_utf8_lossy(&data).trim().parse::<i64>().ok(),
                "files" if data.is_empty() && file_name.is_empty() => {}
                "files" => {
                    let file_name = if file_name.is_empty() { "upload".to_owned() } else { file_name };
                    match String::from_utf8(data.to_vec()) {
                        Ok(text) if file_name.ends_with(".json") => match json_bundle(&text) {
                            Some(bundle) => files.extend(bundle),
                            None => files.push((file_name, text)),
                        },
                        Ok(text) => files.push((file_name, text)),
                        Err(_) => problems.push(fill(lang.t("academy.admin.not_text"), &[("name", &file_name)])),
                    }
                }
                _ => {}
            }
        },
    }
    if !csrf_ok(&p, &csrf) {
        return crate::admin::csrf_failed(&state, &v, &p, here).await;
    }
    if broken {
        return ApiError::bad_request("bad_request", "the upload could not be read").into_response();
    }
    if files.is_empty() && problems.is_empty() {
        problems.push(lang.t("academy.admin.no_files").to_owned());
    }
    if !problems.is_empty() {
        return admin_refused(&state, &v, &p, StatusCode::UNPROCESSABLE_ENTITY, problems).await;
    }
    match academy::import_files(&state, &p, &files, version).await {
        Ok((_, parsed)) => {
            let m = parsed.modules();
            let lessons: usize = m.iter().map(|m| m.lessons().len()).sum();
            let questions: usize = m.iter().map(|m| m.questions().len()).sum();
            Redirect::to(&format!("{here}?ok=imported&m={}&l={lessons}&q={questions}", m.len())).into_response()
        }
        Err(SaveFailure::Invalid(errors)) => admin_refused(&state, &v, &p, StatusCode::UNPROCESSABLE_ENTITY, errors.iter().map(ToString::to_string).collect()).await,
        Err(SaveFailure::Api(ApiError::Conflict(w))) if w == "training_curriculum_changed" => Redirect::to(&format!("{here}?ok=curriculum_changed")).into_response(),
        Err(SaveFailure::Api(e)) => failed(&v, here, e),
    }
}

async fn reset_submit(State(state): State<AppState>, headers: HeaderMap, body: Pairs) -> Response {
    let f = pairs(body);
    let here = "/academy/admin";
    let (v, p) = match gate(&state, &headers, here, None, Some(first(&f, "csrf")), Need::Coach).await {
        Ok(ok) => ok,
        Err(r) => return r,
    };
    let Ok(version) = first(&f, "version").parse::<i64>() else { return not_found(v.lang) };
    match state.store.reset_curriculum(p.clone(), version).await.map_err(academy::conflict_of) {
        Ok(_) => Redirect::to(&format!("{here}?ok=reset")).into_response(),
        Err(ApiError::Conflict(w)) if w == "training_curriculum_changed" => Redirect::to(&format!("{here}?ok=curriculum_changed")).into_response(),
        Err(e) => failed(&v, here, e),
    }
}

/// What the edit form holds (as typed after a refusal).
#[derive(Default)]
struct EditTyped {
    title: String,
    minutes: String,
    body: String,
    prompt: String,
    choices: String,
    answer: String,
    question_type: String,
    explanation: String,
}

#[derive(Template)]
#[template(path = "training_edit.html")]
struct EditPage {
    lang: Lang,
    langs: [Lang; 3],
    me: Option<MenuUser>,
    csrf: String,
    here: String,
    current: &'static str,
    coach: bool,
    id: String,
    item_lang: &'static str,
    item_lang_name: &'static str,
    is_new_lang: bool,
    /// `lesson` or `question`.
    kind: &'static str,
    heading: String,
    version: i64,
    typed: EditTyped,
    /// Field → problem (the importer's message).
    errors: BTreeMap<String, String>,
    problems: Vec<String>,
}

impl EditPage {
    fn error(&self, field: &str) -> Option<&String> {
        self.errors.get(field)
    }
}

/// The item's current text in `lang` (empty fields for a language it lacks).
fn edit_typed(curriculum: &Curriculum, id: &str, lang: Language) -> Option<(&'static str, EditTyped, String, bool)> {
    if let Some(l) = curriculum.lesson(id) {
        let current = l.text().get(lang);
        let title = l.text().best(lang).1.title.clone();
        let typed = EditTyped {
            title: current.map(|t| t.title.clone()).unwrap_or_default(),
            minutes: l.minutes().to_string(),
            body: current.map(|t| t.body.clone()).unwrap_or_default(),
            ..EditTyped::default()
        };
        return Some(("lesson", typed, title, current.is_none()));
    }
    let q = curriculum.question(id)?;
    let current = q.text().get(lang);
    let typed = EditTyped {
        prompt: current.map(|t| t.prompt.clone()).unwrap_or_default(),
        choices: current.map(|t| t.choices.join("\n")).unwrap_or_default(),
        answer: q.answer().iter().map(ToString::to_string).collect::<Vec<_>>().join(" "),
        question_type: q.question_type().as_str().to_owned(),
        explanation: current.map(|t| t.explanation.clone()).unwrap_or_default(),
        ..EditTyped::default()
    };
    Some(("question", typed, q.text().best(lang).1.prompt.clone(), current.is_none()))
}

async fn edit_view(state: &AppState, v: &Viewer, p: &Principal, id: &str, lang: Language) -> Result<EditPage, ApiError> {
    let in_use = academy::curriculum(state, p).await?;
    let (kind, typed, title, is_new_lang) = edit_typed(&in_use.curriculum, id, lang).ok_or(ApiError::NotFound)?;
    let here = format!("/academy/admin/edit/{id}/{}", lang.as_str());
    let f = frame(state, v, p, &here, "admin").await;
    Ok(EditPage {
        id: id.to_owned(),
        item_lang: lang.as_str(),
        item_lang_name: Lang::parse(lang.as_str()).map_or("?", Lang::native_name),
        is_new_lang,
        kind,
        heading: fill(v.lang.t("academy.admin.edit_title"), &[("title", &title)]),
        version: in_use.stamp.version,
        typed,
        errors: BTreeMap::new(),
        problems: Vec::new(),
        lang: f.lang,
        langs: f.langs,
        me: f.me,
        csrf: f.csrf,
        here: f.here,
        current: f.current,
        coach: f.coach,
    })
}

async fn edit_page(State(state): State<AppState>, headers: HeaderMap, Path((id, lang)): Path<(String, String)>, query: QueryPairs) -> Response {
    let q = query_pairs(query);
    let here = format!("/academy/admin/edit/{id}/{lang}");
    let (v, p) = match gate(&state, &headers, &here, ui_lang(&q), None, Need::Coach).await {
        Ok(ok) => ok,
        Err(r) => return r,
    };
    let Some(item_lang) = Language::parse(&lang) else { return not_found(v.lang) };
    match edit_view(&state, &v, &p, &id, item_lang).await {
        Ok(page) => render(&page, StatusCode::OK),
        Err(e) => failed(&v, &here, e),
    }
}

/// `POST /academy/admin/edit/{id}/{lang}`: the item's fields and the curriculum `version` the form was made on.
/// A refusal comes back with what was typed and each problem beside its field.
async fn edit_submit(State(state): State<AppState>, headers: HeaderMap, Path((id, lang)): Path<(String, String)>, body: Pairs) -> Response {
    let f = pairs(body);
    let here = format!("/academy/admin/edit/{id}/{lang}");
    let (v, p) = match gate(&state, &headers, &here, None, Some(first(&f, "csrf")), Need::Coach).await {
        Ok(ok) => ok,
        Err(r) => return r,
    };
    let Some(item_lang) = Language::parse(&lang) else { return not_found(v.lang) };
    let mut page = match edit_view(&state, &v, &p, &id, item_lang).await {
        Ok(page) => page,
        Err(e) => return failed(&v, &here, e),
    };
    let version = first(&f, "version").parse::<i64>().unwrap_or(-1);
    let typed = EditTyped {
        title: keep(first(&f, "title"), 400),
        minutes: keep(first(&f, "minutes"), 20),
        body: keep(&first(&f, "body").replace("\r\n", "\n"), 40_000),
        prompt: keep(first(&f, "prompt"), 800),
        choices: keep(&first(&f, "choices").replace("\r\n", "\n"), 4_000),
        answer: keep(first(&f, "answer"), 40),
        question_type: keep(first(&f, "type"), 20),
        explanation: keep(&first(&f, "explanation").replace("\r\n", "\n"), 8_000),
    };
    let edit = if page.kind == "lesson" {
        let Ok(minutes) = typed.minutes.trim().parse::<i64>() else {
            page.errors.insert("minutes".into(), v.lang.t("academy.admin.bad_minutes").to_owned());
            page.typed = typed;
            return render(&page, StatusCode::UNPROCESSABLE_ENTITY);
        };
        ItemEdit::Lesson { title: typed.title.clone(), minutes, body: typed.body.clone() }
    } else {
        ItemEdit::Question {
            prompt: typed.prompt.clone(),
            choices: typed.choices.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect(),
            answer: typed.answer.split([' ', ',', '，', '、']).map(str::trim).filter(|a| !a.is_empty()).map(str::to_uppercase).collect(),
            question_type: typed.question_type.clone(),
            explanation: typed.explanation.clone(),
        }
    };
    match academy::edit_item(&state, &p, &id, item_lang, &edit, version).await {
        Ok(_) => Redirect::to(&format!("/academy/admin?ok=edited#item-{id}")).into_response(),
        Err(SaveFailure::Invalid(errors)) => {
            page.typed = typed;
            place_errors(&mut page, &errors);
            render(&page, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(SaveFailure::Api(ApiError::Conflict(w))) if w == "training_curriculum_changed" => {
            page.typed = typed;
            page.problems.push(v.lang.t("academy.admin.changed").to_owned());
            render(&page, StatusCode::CONFLICT)
        }
        Err(SaveFailure::Api(e)) => failed(&v, &here, e),
    }
}

/// Puts each import problem of the edited language's file beside its field; the rest (another language's file,
/// a cross-file rule) in the list above the form.
fn place_errors(page: &mut EditPage, errors: &[ImportError]) {
    let own = format!("{}.{}.md", page.id, page.item_lang);
    for e in errors {
        let field = match e.field.as_str() {
            "type" => "type",
            "body" if page.kind == "question" => "explanation",
            other => other,
        };
        let known = ["title", "minutes", "body", "prompt", "choices", "answer", "type", "explanation"].contains(&field);
        if e.file.ends_with(&own) && known && !page.errors.contains_key(field) {
            page.errors.insert(field.to_owned(), e.message.clone());
        } else {
            page.problems.push(e.to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weekly_averages_start_on_local_mondays() {
        let day = 86_400_000;
        // 2024-06-03 was a Monday; 00:30 in Shanghai is still Sunday in UTC.
        let monday = 19_877 * day;
        let offset = 8 * 3_600_000;
        let point = |at: i64, rating: u8| CsatPoint { user_id: 1, rated_at: at, rating, complaint_type: None };
        let points = [point(monday - offset + 30 * 60_000, 5), point(monday + 6 * day, 2), point(monday + 7 * day, 4), point(monday - day, 1)];
        let weeks = weekly_average(&points, offset);
        assert_eq!(weeks.len(), 3);
        assert_eq!(weeks[0], (monday - 7 * day - offset, 1.0, 1));
        assert_eq!(weeks[1], (monday - offset, 3.5, 2));
        assert_eq!(weeks[2].2, 1);
        assert!(weekly_average(&[], 0).is_empty());
    }

    #[test]
    fn sparklines_are_well_formed_and_escaped() {
        assert_eq!(spark_svg(&[50.0], 0.0, 100.0, "t"), None);
        let svg = spark_svg(&[10.0, 120.0, -5.0], 0.0, 100.0, "<测验> & \"x\"").unwrap();
        crate::pages::balanced(&svg).unwrap();
        assert!(svg.contains("&lt;测验&gt; &amp; &quot;x&quot;"));
        assert!(svg.contains("2.0,16.4 40.0,2.0 78.0,18.0"), "{svg}");
    }

    #[test]
    fn trends_and_ok_links() {
        assert_eq!(trend(Lang::En, &[1.0, 3.0]).map(|t| t.0), Some("↑"));
        assert_eq!(trend(Lang::En, &[3.0, 1.0]).map(|t| t.0), Some("↓"));
        assert_eq!(trend(Lang::En, &[3.0, 3.0]).map(|t| t.0), Some("→"));
        assert_eq!(trend(Lang::En, &[3.0]), None);
        assert_eq!(with_ok("/academy#plan", "done"), "/academy?ok=done#plan");
        assert_eq!(with_ok("/academy/progress?user=3", "done"), "/academy/progress?user=3&ok=done");
    }
}
