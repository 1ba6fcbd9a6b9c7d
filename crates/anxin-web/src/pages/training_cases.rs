//! A resolved conversation turned into a worked case of the curriculum (issue 8): `/academy/cases/new?from=<id>`
//! (trainers, supervisors and admins; 403 for others).
//!
//! GET shows the conversation with personal details masked (the customer's words from the stored analysis, the
//! agent's masked here by the text engine's PII scanner; internal notes left out, resolved conversations only, of
//! the viewer's organisation only) beside a form prefilled with a case file draft in the format of
//! `content/training/README.md`: the front matter (module, case id, title, the conversation's emotion and complaint
//! type), the conversation as the case's `## 对话` section, and empty "what happened / analysis / what good looks
//! like" sections for the trainer to write. Without `from`, recently resolved conversations to pick from.
//!
//! POST adds the file to the organisation's curriculum: the whole curriculum is re-imported with it (all or
//! nothing) and saved on the version the form was made on, as an edit of that case. The module select and the id
//! field replace the file's `module` and `id` lines (and its `order` with the module's next free place); a refused
//! file comes back as typed with each problem as `file:line: field: message`; a stale version says so. Saved, the
//! trainer lands on the new case on its module page.

use std::collections::BTreeSet;

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;

use anxin_domain::Language;
use anxin_domain::training::{Curriculum, ImportError, Speaker, case_headings, export, import};
use anxin_store::roleplay::{ScenarioSource, SourceCandidate, SourceSpeaker};
use anxin_store::training::CurriculumChange;
use anxin_store::{Principal, StoreError};

use super::{Viewer, emotion_badge, forbidden, percent_encode, render, to_login, viewer};
use super::{Pairs, QueryPairs, first};
use crate::AppState;
use crate::board::{MenuUser, csrf_ok, menu_user};
use crate::error::ApiError;
use crate::i18n::Lang;
use crate::training::{self as academy, fill};

pub const TEXTS: &[(&str, [&str; 3])] = &[
    ("academy.cases.new", ["把会话做成案例", "把會話做成案例", "Make a case from a conversation"]),
    ("academy.cases.title", ["新建案例", "新增案例", "New case"]),
    (
        "academy.cases.intro",
        [
            "把一段已解决的真实会话加入案例库：客户的个人信息已隐去，内部备注不会带入。请写好“发生了什么”“分析”“更好的做法”三节后保存。",
            "把一段已解決的真實會話加入案例庫：客戶的個人資訊已隱去，內部備註不會帶入。請寫好「發生了什麼」「分析」「更好的做法」三節後儲存。",
            "Add a resolved real conversation to the case library: the customer's personal details are masked and internal notes are left out. Write the \"what happened\", \"analysis\" and \"what good looks like\" sections, then save.",
        ],
    ),
    ("academy.cases.source", ["原会话（已隐去个人信息）", "原會話（已隱去個人資訊）", "The conversation (personal details masked)"]),
    ("academy.cases.candidates", ["最近解决的会话", "最近解決的會話", "Recently resolved conversations"]),
    ("academy.cases.candidates_none", ["还没有已解决的会话。", "還沒有已解決的會話。", "No resolved conversations yet."]),
    ("academy.cases.use", ["做成案例", "做成案例", "Make a case"]),
    ("academy.cases.module", ["所属模块", "所屬模組", "Module"]),
    ("academy.cases.id", ["案例编号", "案例編號", "Case id"]),
    ("academy.cases.id_hint", ["小写字母、数字和连字符，3–64 个字符，在整个课程中唯一。", "小寫字母、數字和連字號，3–64 個字元，在整個課程中唯一。", "Lowercase letters, digits and hyphens, 3–64 characters, unique in the whole curriculum."]),
    ("academy.cases.file", ["案例文件", "案例檔案", "Case file"]),
    (
        "academy.cases.file_hint",
        [
            "格式见 content/training/README.md。所属模块和编号以上面的选择为准，顺序自动排在模块最后；lessons 写该模块的课程编号。",
            "格式見 content/training/README.md。所屬模組和編號以上面的選擇為準，順序自動排在模組最後；lessons 寫該模組的課程編號。",
            "The format is in content/training/README.md. The module and id chosen above replace the file's; the case goes last in its module; lessons lists lessons of that module.",
        ],
    ),
    ("academy.cases.lessons", ["各模块的课程编号", "各模組的課程編號", "Each module's lesson ids"]),
    ("academy.cases.save", ["加入案例库", "加入案例庫", "Add to the case library"]),
    ("academy.cases.refused", ["未保存，请修改以下问题：", "未儲存，請修改以下問題：", "Not saved; please fix these problems:"]),
    ("academy.cases.changed", ["课程在你编辑期间被他人修改过，未保存。你的内容保留在下面，请重新提交。", "課程在你編輯期間被他人修改過，未儲存。你的內容保留在下面，請重新提交。", "The curriculum was changed by someone else while you edited; nothing was saved. Your text is kept below; submit again."]),
    ("academy.cases.open", ["这段会话还没有解决，解决后才能做成案例。", "這段會話還沒有解決，解決後才能做成案例。", "This conversation is not resolved yet; only a resolved conversation can become a case."]),
    ("academy.cases.missing", ["找不到这段会话。", "找不到這段會話。", "No such conversation."]),
    ("academy.cases.draft_title", ["会话 #{id} 的案例：{text}", "會話 #{id} 的案例：{text}", "Case from conversation #{id}: {text}"]),
    ("academy.cases.truncated", ["会话较长，草稿只取了前 {n} 句。", "會話較長，草稿只取了前 {n} 句。", "The conversation is long; the draft keeps its first {n} turns."]),
];

pub fn routes() -> Router<AppState> {
    Router::new().route("/academy/cases/new", get(new_page).post(new_submit))
}

const CASE_EMOTIONS: [&str; 5] = ["anger", "anxiety", "disappointment", "neutral", "satisfied"];
const COMPLAINT_TYPES: [&str; 8] = ["quality", "logistics", "price", "service", "refund_return", "size_spec", "payment", "other"];
/// The most turns a case's conversation holds (`anxin_domain::training::TURNS`).
const MAX_TURNS: usize = 60;
const TURN_MAX_CHARS: usize = 1_000;
const TEXT_MAX_CHARS: usize = 100_000;

/// A coach signed in as a person (and, for a form, with the session's CSRF token).
async fn gate(state: &AppState, headers: &HeaderMap, here: &str, lang: Option<&str>, csrf: Option<&str>) -> Result<(Viewer, Principal), Response> {
    let v = viewer(state, headers, lang).await;
    let Some(p) = v.principal.clone() else { return Err(to_login(here)) };
    if !academy::studies(&p) || !anxin_store::training::is_coach(p.role) {
        return Err(forbidden(&v, here));
    }
    if let Some(sent) = csrf
        && !csrf_ok(&p, sent)
    {
        return Err(crate::admin::csrf_failed(state, &v, &p, here).await);
    }
    Ok((v, p))
}

/// Every id the curriculum uses (modules, lessons, cases, questions).
fn taken_ids(curriculum: &Curriculum) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    for m in curriculum.modules() {
        ids.insert(m.id().to_string());
        ids.extend(m.lessons().iter().map(|l| l.id().to_string()));
        ids.extend(m.cases().iter().map(|c| c.id().to_string()));
        ids.extend(m.questions().iter().map(|q| q.id().to_string()));
    }
    ids
}

/// The next free place among a module's cases.
fn next_order(curriculum: &Curriculum, module: &str) -> u16 {
    curriculum.module(module).map_or(1, |m| m.cases().iter().map(|c| c.order()).max().unwrap_or(0).saturating_add(1))
}

/// A case file drafted from a masked conversation, in `lang`.
fn draft_text(lang: Lang, case_lang: Language, source: &ScenarioSource, curriculum: &Curriculum, module: &str, id: &str) -> String {
    let lessons: Vec<String> = curriculum.module(module).and_then(|m| m.lessons().first()).map(|l| vec![l.id().to_string()]).unwrap_or_default();
    let opening = source.lines.iter().find(|l| l.speaker == SourceSpeaker::Customer).map(|l| crate::roleplay::one_line(&l.text, 40)).unwrap_or_default();
    let title = crate::roleplay::one_line(&fill(lang.t("academy.cases.draft_title"), &[("id", &source.conversation_id.to_string()), ("text", &opening)]), 120);
    let emotion = source.emotion.as_deref().filter(|e| CASE_EMOTIONS.contains(e)).unwrap_or("neutral");
    let mut out = String::from("+++\n");
    out.push_str(&format!("id = {}\nkind = \"case\"\nlang = \"{}\"\nmodule = {}\n", crate::training::toml_string(id), case_lang.as_str(), crate::training::toml_string(module)));
    out.push_str(&format!("order = {}\n", next_order(curriculum, module)));
    out.push_str(&format!("lessons = [{}]\n", lessons.iter().map(|l| crate::training::toml_string(l)).collect::<Vec<_>>().join(", ")));
    out.push_str(&format!("title = {}\nemotion = \"{emotion}\"\n", crate::training::toml_string(title.trim_end_matches(['：', ':', ' ']))));
    if let Some(kind) = source.complaint_type.as_deref().filter(|k| COMPLAINT_TYPES.contains(k)) {
        out.push_str(&format!("complaint_type = \"{kind}\"\n"));
    }
    out.push_str("+++\n");
    let [conversation, happened, analysis, better] = case_headings(case_lang);
    let colon = if case_lang == Language::En { ": " } else { "：" };
    out.push_str(&format!("## {conversation}\n\n"));
    for line in source.lines.iter().take(MAX_TURNS) {
        let text = crate::roleplay::one_line(&line.text, TURN_MAX_CHARS);
        if text.is_empty() {
            continue;
        }
        let speaker = if line.speaker == SourceSpeaker::Customer { Speaker::Customer } else { Speaker::Agent };
        out.push_str(&format!("**{}**{colon}{text}\n\n", speaker.label(case_lang)));
    }
    for heading in [happened, analysis, better] {
        out.push_str(&format!("## {heading}\n\n\n\n"));
    }
    out
}

/// The conversation, masked whole: the customer's lines come masked from the store, the agent's are masked here.
async fn masked_source(state: &AppState, p: &Principal, conversation: i64) -> Result<ScenarioSource, StoreError> {
    let mut source = state.store.scenario_source(p.clone(), conversation).await?;
    let analyzer = state.analyzer;
    tokio::task::spawn_blocking(move || {
        crate::roleplay::mask_agent_lines(&mut source, analyzer);
        source
    })
    .await
    .map_err(|e| StoreError::Internal(format!("case draft: {e}")))
}

struct SourceView {
    speaker: &'static str,
    speaker_text: &'static str,
    text: String,
}

struct CandidateView {
    id: i64,
    emotion: (&'static str, &'static str, &'static str),
    complaint: &'static str,
    messages: i64,
    preview: String,
}

struct ModuleOption {
    id: String,
    title: String,
    selected: bool,
    lessons: String,
}

#[derive(Template)]
#[template(path = "training_case_new.html")]
struct NewCasePage {
    lang: Lang,
    langs: [Lang; 3],
    me: Option<MenuUser>,
    csrf: String,
    here: String,
    current: &'static str,
    coach: bool,
    from: Option<i64>,
    /// An i18n key: the conversation is not resolved, or not there.
    problem: Option<&'static str>,
    note: Option<String>,
    source: Vec<SourceView>,
    candidates: Vec<CandidateView>,
    modules: Vec<ModuleOption>,
    case_id: String,
    case_lang: &'static str,
    text: String,
    version: i64,
    problems: Vec<String>,
    changed: bool,
}

/// What the form holds after a refusal.
struct Typed {
    module: String,
    id: String,
    text: String,
}

/// The page: candidates without `from`; with it the masked conversation and the form (a fresh draft, or `typed`).
async fn view(state: &AppState, v: &Viewer, p: &Principal, from: Option<i64>, typed: Option<Typed>) -> Result<(NewCasePage, StatusCode), ApiError> {
    let lang = v.lang;
    let in_use = academy::curriculum(state, p).await?;
    let curriculum = &in_use.curriculum;
    let language = lang.content_language();
    let (mut problem, mut status, mut note) = (None, StatusCode::OK, None);
    let mut source_lines = Vec::new();
    let mut drafted = None;
    let mut module = typed.as_ref().map(|t| t.module.clone()).unwrap_or_default();
    if curriculum.module(&module).is_none() {
        module = curriculum.modules().first().map(|m| m.id().to_string()).unwrap_or_default();
    }
    let mut case_id = typed.as_ref().map(|t| t.id.clone()).unwrap_or_default();
    if let Some(conversation) = from {
        match masked_source(state, p, conversation).await {
            Ok(source) => {
                if source.lines.len() > MAX_TURNS {
                    note = Some(fill(lang.t("academy.cases.truncated"), &[("n", &MAX_TURNS.to_string())]));
                }
                if typed.is_none() {
                    let taken = taken_ids(curriculum);
                    let base = format!("case-conv-{conversation}");
                    case_id = (1..).map(|n| if n == 1 { base.clone() } else { format!("{base}-{n}") }).find(|id| !taken.contains(id)).unwrap_or(base);
                    drafted = Some(draft_text(lang, language, &source, curriculum, &module, &case_id));
                }
                source_lines = source
                    .lines
                    .iter()
                    .map(|l| {
                        let speaker = if l.speaker == SourceSpeaker::Customer { "customer" } else { "agent" };
                        SourceView { speaker, speaker_text: lang.t(&format!("academy.speaker.{speaker}")), text: l.text.clone() }
                    })
                    .collect();
            }
            Err(StoreError::Forbidden(m)) => return Err(ApiError::Forbidden(m)),
            Err(StoreError::Conflict(_)) => (problem, status) = (Some("academy.cases.open"), StatusCode::CONFLICT),
            Err(StoreError::NotFound) => (problem, status) = (Some("academy.cases.missing"), StatusCode::NOT_FOUND),
            Err(e) => return Err(e.into()),
        }
    }
    let has_source = problem.is_none() && from.is_some();
    let candidates: Vec<SourceCandidate> = if has_source { Vec::new() } else { state.store.scenario_source_candidates(p.clone(), 20).await? };
    let candidates = candidates
        .into_iter()
        .map(|c| {
            let (key, icon, name) = emotion_badge(c.emotion.as_deref());
            CandidateView {
                id: c.conversation_id,
                emotion: (key, icon, lang.t(name)),
                complaint: c.complaint_type.as_deref().map_or("", |k| lang.t(&format!("complaint.{k}"))),
                messages: c.message_count,
                preview: c.preview,
            }
        })
        .collect();
    let modules = curriculum
        .modules()
        .iter()
        .map(|m| ModuleOption {
            id: m.id().to_string(),
            title: m.text().best(language).1.title.clone(),
            selected: m.id().as_str() == module,
            lessons: m.lessons().iter().map(|l| l.id().to_string()).collect::<Vec<_>>().join(", "),
        })
        .collect();
    let here = match from {
        Some(id) => format!("/academy/cases/new?from={id}"),
        None => "/academy/cases/new".to_owned(),
    };
    let page = NewCasePage {
        lang,
        langs: Lang::ALL,
        me: Some(menu_user(state, p).await),
        csrf: p.csrf_token.clone().unwrap_or_default(),
        here: percent_encode(&here),
        current: "admin",
        coach: true,
        from: from.filter(|_| has_source),
        problem,
        note,
        source: source_lines,
        candidates,
        modules,
        case_id,
        case_lang: language.as_str(),
        text: typed.map(|t| t.text).or(drafted).unwrap_or_default(),
        version: in_use.stamp.version,
        problems: Vec::new(),
        changed: false,
    };
    Ok((page, status))
}

fn failed(v: &Viewer, here: &str, e: ApiError) -> Response {
    match e {
        ApiError::Forbidden(_) => forbidden(v, here),
        e => e.into_response(),
    }
}

/// `GET /academy/cases/new[?from=<conversation id>]`.
async fn new_page(State(state): State<AppState>, headers: HeaderMap, query: QueryPairs) -> Response {
    let q = query.map(|q| q.0).unwrap_or_default();
    let from = first(&q, "from").trim().parse::<i64>().ok();
    let here = match from {
        Some(id) => format!("/academy/cases/new?from={id}"),
        None => "/academy/cases/new".to_owned(),
    };
    let (v, p) = match gate(&state, &headers, &here, Some(first(&q, "lang")).filter(|l| !l.is_empty()), None).await {
        Ok(ok) => ok,
        Err(r) => return r,
    };
    match view(&state, &v, &p, from, None).await {
        Ok((page, status)) => render(&page, status),
        Err(e) => failed(&v, &here, e),
    }
}

/// The front matter's `key = …` line replaced by `key = value` (same line count, so problems keep their lines).
fn set_key(text: &str, key: &str, value: &str) -> String {
    let mut out = Vec::new();
    let mut delimiters = 0;
    let mut done = false;
    for line in text.split('\n') {
        let bare = line.trim_end_matches('\r');
        if bare.trim() == "+++" {
            delimiters += 1;
        }
        let is_key = bare.split_once('=').is_some_and(|(k, _)| k.trim() == key);
        if delimiters == 1 && !done && is_key {
            out.push(format!("{key} = {value}"));
            done = true;
        } else {
            out.push(line.to_owned());
        }
    }
    out.join("\n")
}

/// The value of the front matter's `lang = "…"` line.
fn file_lang(text: &str) -> Option<Language> {
    text.lines()
        .skip(1)
        .take_while(|l| l.trim() != "+++")
        .find_map(|l| l.split_once('=').filter(|(k, _)| k.trim() == "lang").map(|(_, v)| v.trim().trim_matches('"').to_owned()))
        .and_then(|l| Language::parse(&l))
}

/// The ids quoted on the front matter's `lessons` line.
fn file_lessons(text: &str) -> Vec<String> {
    let Some(line) = text.lines().skip(1).take_while(|l| l.trim() != "+++").find(|l| l.split_once('=').is_some_and(|(k, _)| k.trim() == "lessons")) else {
        return Vec::new();
    };
    line.split('"').skip(1).step_by(2).map(str::to_owned).collect()
}

/// `POST /academy/cases/new` (`csrf`, `from`, `version`, `module`, `id`, `text`): the case added to the curriculum.
async fn new_submit(State(state): State<AppState>, headers: HeaderMap, body: Pairs) -> Response {
    let f = body.map(|f| f.0).unwrap_or_default();
    let from = first(&f, "from").trim().parse::<i64>().ok();
    let here = match from {
        Some(id) => format!("/academy/cases/new?from={id}"),
        None => "/academy/cases/new".to_owned(),
    };
    let (v, p) = match gate(&state, &headers, &here, None, Some(first(&f, "csrf"))).await {
        Ok(ok) => ok,
        Err(r) => return r,
    };
    let Some(conversation) = from else { return Redirect::to("/academy/cases/new").into_response() };
    let typed = Typed {
        module: crate::roleplay::one_line(first(&f, "module"), 64),
        id: crate::roleplay::one_line(first(&f, "id"), 64),
        text: first(&f, "text").replace("\r\n", "\n").chars().take(TEXT_MAX_CHARS).collect(),
    };
    let (module, id) = (typed.module.clone(), typed.id.clone());
    let version = first(&f, "version").trim().parse::<i64>().unwrap_or(-1);
    let (mut page, status) = match view(&state, &v, &p, Some(conversation), Some(typed)).await {
        Ok(ok) => ok,
        Err(e) => return failed(&v, &here, e),
    };
    if page.problem.is_some() {
        return render(&page, status);
    }
    let in_use = match academy::curriculum(&state, &p).await {
        Ok(c) => c,
        Err(e) => return failed(&v, &here, e),
    };
    if in_use.stamp.version != version {
        page.changed = true;
        return render(&page, StatusCode::CONFLICT);
    }
    let curriculum = &in_use.curriculum;
    // The form's module and id are the file's; the case goes last in its module.
    let mut text = set_key(&page.text, "module", &crate::training::toml_string(&module));
    text = set_key(&text, "id", &crate::training::toml_string(&id));
    text = set_key(&text, "order", &next_order(curriculum, &module).to_string());
    if let Some(m) = curriculum.module(&module) {
        let listed = file_lessons(&text);
        if !listed.is_empty() && !listed.iter().any(|l| m.lessons().iter().any(|x| x.id().as_str() == l))
            && let Some(first_lesson) = m.lessons().first()
        {
            text = set_key(&text, "lessons", &format!("[{}]", crate::training::toml_string(first_lesson.id().as_str())));
        }
    }
    page.text = text.clone();
    let case_lang = file_lang(&text).unwrap_or_else(|| crate::i18n::Lang::content_language(v.lang));
    let path = format!("modules/{module}/cases/{id}.{}.md", case_lang.as_str());
    let mut files: Vec<(String, String)> = export(curriculum).into_iter().filter(|(n, _)| *n != path).collect();
    let replaces = files.len() != export(curriculum).len();
    files.push((path, text));
    let refused = |page: &mut NewCasePage, errors: Vec<ImportError>| {
        page.problems = errors.iter().map(ToString::to_string).collect();
    };
    if replaces {
        // An existing file of that id and language is never overwritten from here.
        let error = ImportError { file: files.last().map(|f| f.0.clone()).unwrap_or_default(), line: Some(2), field: "id".into(), message: format!("\"{id}\" is already a case in this language; choose another id") };
        refused(&mut page, vec![error]);
        return render(&page, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let parsed = match import(&files) {
        Ok(parsed) => parsed,
        Err(errors) => {
            refused(&mut page, errors);
            return render(&page, StatusCode::UNPROCESSABLE_ENTITY);
        }
    };
    let change = CurriculumChange::Edit { item: id.clone(), lang: case_lang.as_str().to_owned() };
    match state.store.save_curriculum(p.clone(), export(&parsed), version, change).await.map_err(academy::conflict_of) {
        Ok(_) => Redirect::to(&format!("/academy/modules/{module}#case-{id}")).into_response(),
        Err(ApiError::Conflict(w)) if w == "training_curriculum_changed" => {
            page.changed = true;
            render(&page, StatusCode::CONFLICT)
        }
        Err(ApiError::Conflict(w)) if w.starts_with("training_curriculum_") => {
            page.problems = vec![w];
            render(&page, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(e) => failed(&v, &here, e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_replaced_in_the_front_matter_only() {
        let text = "+++\nid = \"a\"\nmodule = \"x\"\nlessons = [\"l-1\", \"l-2\"]\n+++\nid = body\n";
        let out = set_key(&set_key(text, "id", "\"b\""), "module", "\"y\"");
        assert_eq!(out, "+++\nid = \"b\"\nmodule = \"y\"\nlessons = [\"l-1\", \"l-2\"]\n+++\nid = body\n");
        assert_eq!(file_lessons(text), ["l-1", "l-2"]);
        assert_eq!(set_key("+++\nkind = \"case\"\n+++\n", "id", "\"b\""), "+++\nkind = \"case\"\n+++\n");
        assert_eq!(crate::roleplay::one_line("a\n\u{202E}b\t c", 10), "a b c");
        assert_eq!(crate::training::toml_string("say \"hi\" \\"), "\"say \\\"hi\\\" \\\\\"");
    }
}
