//! The knowledge base and the script library as a lead and an agent use them (PRODUCT.md §3, §7), server-rendered
//! with plain forms that work without JavaScript:
//!
//! - `/knowledge`: search over the published entries (filters, highlighted snippets) or, without a query, the
//!   entries the viewer may see, by kind, with their standing; the script proposals waiting for a lead (a lead sees
//!   everyone's, with a publish button; an agent their own).
//! - `/knowledge/{id}/{lang}`: the entry — an FAQ answer or article as sanitised Markdown, a script as its text with
//!   the `{placeholders}` marked and its facets —, its version, the other language variants; a lead edits,
//!   publishes or withdraws it and downloads it as a Markdown file.
//! - `/knowledge/new`, `/knowledge/{id}/{lang}/edit`: every field of the kind and a change note. A refused save
//!   comes back with the problem beside its field and everything typed. Leads edit anything; an agent proposes a
//!   script and revises their own proposal while it waits.
//! - `/knowledge/{id}/{lang}/history`: the versions, and the line diff between two of them.
//! - `/knowledge/import` (leads): files or one pasted file, all or nothing; a refusal lists every problem as
//!   `file:line: field: message`.
//! - `/knowledge/synonyms`: the search synonym groups (leads edit, everyone reads).
//! - `/knowledge/stats` (leads): how the scripts fared.
//!
//! Every change goes through `crate::knowledge`'s shared operations, so this node's search index is up to date
//! when the page answers.

use std::collections::BTreeMap;

use askama::Template;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Path, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::Value;

use anxin_domain::calendar::LocalDate;
use anxin_domain::knowledge::{EntryFields, EntryId, Kind, Situation, Variable};
use anxin_domain::{Action, ChannelKind, ComplaintType, Emotion, Language, Role};
use anxin_store::Principal;
use anxin_store::knowledge::{EntryFilter, KbEntry};

use super::{Viewer, forbidden, percent_encode, render, to_login, viewer, xml_escape};
use super::{Pairs, QueryPairs, pairs, query_pairs, first, ui_lang, keep};
use crate::AppState;
use crate::board::{MenuUser, csrf_ok, menu_user};
use crate::error::ApiError;
use crate::i18n::Lang;
use crate::knowledge as kb;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/knowledge", get(list_page))
        .route("/knowledge/new", get(new_page).post(new_submit))
        // The upload reads its own body with the import's limit (the default 2 MB would refuse it first).
        .route("/knowledge/import", get(import_page).post(import_submit).layer(DefaultBodyLimit::disable()))
        .route("/knowledge/synonyms", get(synonyms_page).post(synonyms_submit))
        .route("/knowledge/stats", get(stats_page))
        .route("/knowledge/{id}/{lang}", get(entry_page))
        .route("/knowledge/{id}/{lang}/edit", get(edit_page).post(edit_submit))
        .route("/knowledge/{id}/{lang}/history", get(history_page))
        .route("/knowledge/{id}/{lang}/publish", post(publish_submit))
        .route(
            "/assets/knowledge.css",
            get(|| async { ([(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "no-cache")], include_str!("../../assets/knowledge.css")) }),
        )
}

// ----- shared helpers -----

/// What a page needs of the viewer's role.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Need {
    /// Everyone who reads knowledge.
    Read,
    /// Leads: admins and supervisors.
    Edit,
}

/// A signed-in person allowed on the page (and, for a form, with the session's CSRF token).
async fn gate(state: &AppState, headers: &HeaderMap, here: &str, lang: Option<&str>, csrf: Option<&str>, need: Need) -> Result<(Viewer, Principal), Response> {
    let v = viewer(state, headers, lang).await;
    let Some(p) = v.principal.clone() else { return Err(to_login(here)) };
    let action = if need == Need::Edit { Action::EditKnowledge } else { Action::ReadKnowledge };
    if !p.role.can(action) {
        return Err(forbidden(&v, here));
    }
    if let Some(sent) = csrf
        && !csrf_ok(&p, sent)
    {
        return Err(crate::admin::csrf_failed(state, &v, &p, here).await);
    }
    Ok((v, p))
}

fn is_lead(p: &Principal) -> bool {
    p.role.can(Action::EditKnowledge)
}

/// Agents propose scripts (people, not API tokens).
fn may_propose(p: &Principal) -> bool {
    p.role == Role::Agent && p.user_id.is_some()
}

/// The viewer's own proposal, still waiting for a lead: theirs to revise.
fn own_pending(p: &Principal, entry: &KbEntry) -> bool {
    p.user_id.is_some() && entry.proposed_by == p.user_id && entry.approved_by.is_none() && !entry.published
}

fn may_edit(p: &Principal, entry: &KbEntry) -> bool {
    is_lead(p) || own_pending(p, entry)
}

fn not_found(lang: Lang) -> Response {
    let page = format!(
        "<!doctype html><title>404</title><p>{}</p><p><a href=\"/knowledge\">{}</a></p>",
        xml_escape(lang.t("kb.error.not_found")),
        xml_escape(lang.t("kb.title"))
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

fn entry_href(id: &str, lang: Language) -> String {
    format!("/knowledge/{id}/{}", lang.as_str())
}

/// "2025-05-14 09:30" at a fixed offset.
fn when(at: i64, offset_ms: i64) -> String {
    let local = at + offset_ms;
    let date = LocalDate::from_day_number(local.div_euclid(86_400_000));
    let ms = local.rem_euclid(86_400_000);
    format!("{:04}-{:02}-{:02} {:02}:{:02}", date.year(), date.month(), date.day(), ms / 3_600_000, ms / 60_000 % 60)
}

async fn org_offset(state: &AppState, org_id: i64) -> i64 {
    match state.store.organization(org_id).await {
        Ok(org) => crate::wellbeing::utc_offset_ms(&org.timezone),
        Err(_) => 8 * 3_600_000,
    }
}

fn kind_text(lang: Lang, kind: Kind) -> &'static str {
    lang.t(&format!("kb.kind.{}", kind.as_str()))
}

fn situation_text(lang: Lang, situation: Situation) -> &'static str {
    lang.t(&format!("kb.situation.{}", situation.as_str()))
}

fn emotion_text(lang: Lang, emotion: Emotion) -> &'static str {
    lang.t(&format!("emotion.{}", emotion.as_str()))
}

fn complaint_text(lang: Lang, kind: Option<ComplaintType>) -> &'static str {
    kind.map_or_else(|| lang.t("kb.any"), |k| lang.t(&format!("complaint.{}", k.as_str())))
}

fn channel_text(lang: Lang, channel: Option<ChannelKind>) -> &'static str {
    channel.map_or_else(|| lang.t("kb.any"), |c| lang.t(&format!("channel.{}", c.as_str())))
}

fn variable_text(lang: Lang, variable: Variable) -> &'static str {
    lang.t(&format!("kb.var.{}", variable.as_str()))
}

/// A content language by its own name ("简体中文", "English").
fn language_name(language: Language) -> &'static str {
    Lang::parse(language.as_str()).map_or("?", Lang::native_name)
}

/// Where an entry stands: (css key, icon, words) — the icon and the words go with the colour.
struct Standing {
    key: &'static str,
    icon: &'static str,
    text: &'static str,
}

fn standing(lang: Lang, entry: &KbEntry) -> Standing {
    let (key, icon, text) = if entry.published {
        ("published", "✓", "kb.state.published")
    } else if entry.proposed_by.is_some() && entry.approved_by.is_none() {
        ("pending", "⏳", "kb.state.pending")
    } else {
        ("draft", "✎", "kb.state.draft")
    };
    Standing { key, icon, text: lang.t(text) }
}

/// A choice in a select or a set of checkboxes.
struct Choice {
    value: String,
    text: String,
    selected: bool,
}

fn choices<'a>(items: impl IntoIterator<Item = (&'a str, &'a str)>, selected: &str) -> Vec<Choice> {
    items.into_iter().map(|(value, text)| Choice { value: value.to_owned(), text: text.to_owned(), selected: value == selected }).collect()
}

fn language_choices(selected: &str) -> Vec<Choice> {
    choices(Language::ALL.iter().map(|l| (l.as_str(), language_name(*l))), selected)
}

/// A script's text as HTML: its Markdown rendered by `markdown::render` (sanitised, like an article's — the chat
/// reply gets the same text as plain words), each `{placeholder}` in the text marked (the braces stay, so it is not
/// marked by colour alone), `{{` and `}}` shown as the single braces the customer will see. Tags and attributes are
/// left alone: pulldown-cmark escapes `<` and `>` inside them, so every `<` … `>` in its output is one tag.
fn script_html(lang: Lang, body: &str) -> String {
    let html = crate::markdown::render(body);
    let mut out = String::with_capacity(html.len() + 64);
    let mut rest = html.as_str();
    while let Some(open) = rest.find('<') {
        out.push_str(&mark_placeholders(lang, &rest[..open]));
        let close = rest[open..].find('>').map_or(rest.len(), |c| open + c + 1);
        out.push_str(&rest[open..close]);
        rest = &rest[close..];
    }
    out.push_str(&mark_placeholders(lang, rest));
    out
}

/// Marks the placeholders of (already escaped) text, cut at its braces as `anxin_domain::knowledge` cuts a script.
fn mark_placeholders(lang: Lang, text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(['{', '}']) {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        if tail.starts_with("{{") || tail.starts_with("}}") {
            out.push_str(&tail[..1]);
            rest = &tail[2..];
            continue;
        }
        if let Some(after) = tail.strip_prefix('{') {
            let name = after.find(['{', '}', '\n']).filter(|end| *end > 0 && after.as_bytes()[*end] == b'}').map(|end| &after[..end]);
            if let Some((name, variable)) = name.and_then(|n| Variable::parse(n).map(|v| (n, v))) {
                out.push_str(&format!(
                    "<mark class=\"placeholder\" data-var=\"{name}\" title=\"{}\">{{{name}}}</mark>",
                    xml_escape(variable_text(lang, variable))
                ));
                rest = &tail[name.len() + 2..];
                continue;
            }
        }
        out.push_str(&tail[..1]);
        rest = &tail[1..];
    }
    out.push_str(rest);
    out
}

// ----- /knowledge -----

struct RowView {
    id: String,
    lang_code: &'static str,
    lang_name: &'static str,
    title: String,
    version: i64,
    state: Standing,
    href: String,
    /// For scripts: emotion · complaint type · situation.
    facets: String,
}

fn row_view(lang: Lang, entry: &KbEntry) -> RowView {
    let e = &entry.entry;
    let facets = e.script().map_or_else(String::new, |s| {
        format!("{} · {} · {}", emotion_text(lang, s.emotion), complaint_text(lang, s.complaint_type), situation_text(lang, s.situation))
    });
    RowView {
        id: e.id().as_str().to_owned(),
        lang_code: e.lang().as_str(),
        lang_name: language_name(e.lang()),
        title: e.title().to_owned(),
        version: entry.version,
        state: standing(lang, entry),
        href: entry_href(e.id().as_str(), e.lang()),
        facets,
    }
}

struct Section {
    key: &'static str,
    heading: &'static str,
    rows: Vec<RowView>,
    /// Rows left off (see [`LIST_SHOWN`]).
    more: usize,
}

struct HitView {
    id: String,
    lang_code: String,
    lang_name: &'static str,
    kind_text: &'static str,
    title: String,
    href: String,
    /// Escaped by `knowledge::hit_json`, with `<mark>` around the matches.
    snippet_html: String,
}

struct PendingView {
    row: RowView,
    by: String,
    at: String,
}

/// Rows shown per kind without a query (the search and the filters narrow the rest).
const LIST_SHOWN: usize = 500;
/// Hits shown for one search.
const HITS_SHOWN: usize = 30;
/// Proposals shown in the review list.
const PENDING_SHOWN: usize = 100;

#[derive(Template)]
#[template(path = "knowledge.html")]
struct ListPage {
    lang: Lang,
    langs: [Lang; 3],
    me: Option<MenuUser>,
    csrf: String,
    here: String,
    current: &'static str,
    lead: bool,
    may_propose: bool,
    notice: Option<&'static str>,
    q: String,
    searching: bool,
    hits: Vec<HitView>,
    search_error: bool,
    sections: Vec<Section>,
    pending: Option<(&'static str, Vec<PendingView>)>,
    kinds: Vec<Choice>,
    languages: Vec<Choice>,
    emotions: Vec<Choice>,
    complaint_types: Vec<Choice>,
    situations: Vec<Choice>,
    filtered: bool,
}

/// The list's filters, parsed leniently: an unknown value is no filter.
#[derive(Default, Clone, Copy)]
struct Filters {
    kind: Option<Kind>,
    language: Option<Language>,
    emotion: Option<Emotion>,
    complaint_type: Option<ComplaintType>,
    situation: Option<Situation>,
}

impl Filters {
    fn parse(q: &[(String, String)]) -> Filters {
        Filters {
            kind: Kind::parse(first(q, "kind")),
            language: Language::parse(first(q, "language")),
            emotion: Emotion::parse(first(q, "emotion")),
            complaint_type: ComplaintType::parse(first(q, "complaint_type")),
            situation: Situation::parse(first(q, "situation")),
        }
    }

    fn is_empty(&self) -> bool {
        self.kind.is_none() && self.language.is_none() && self.script_filters().is_none()
    }

    /// Whether a script-only filter is set (then only scripts are listed).
    fn script_filters(&self) -> Option<()> {
        (self.emotion.is_some() || self.complaint_type.is_some() || self.situation.is_some()).then_some(())
    }

    /// Whether a listed entry passes the script filters (a script for any complaint type fits every type).
    fn keeps(&self, entry: &KbEntry) -> bool {
        if self.script_filters().is_none() {
            return true;
        }
        let Some(s) = entry.entry.script() else { return false };
        self.emotion.is_none_or(|e| e == s.emotion)
            && self.complaint_type.is_none_or(|c| s.complaint_type.is_none_or(|t| t == c))
            && self.situation.is_none_or(|x| x == s.situation)
    }
}

fn list_notice(ok: &str) -> Option<&'static str> {
    Some(match ok {
        "published" => "kb.ok.published",
        _ => return None,
    })
}

async fn list_page(State(state): State<AppState>, headers: HeaderMap, query: QueryPairs) -> Response {
    let q_pairs = query_pairs(query);
    let q = keep(first(&q_pairs, "q").trim(), 500);
    let filters = Filters::parse(&q_pairs);
    let mut here = String::from("/knowledge");
    let kept: Vec<String> = ["q", "kind", "language", "emotion", "complaint_type", "situation"]
        .iter()
        .filter(|k| !first(&q_pairs, k).is_empty())
        .map(|k| format!("{k}={}", percent_encode(first(&q_pairs, k))))
        .collect();
    if !kept.is_empty() {
        here = format!("{here}?{}", kept.join("&"));
    }
    let (v, p) = match gate(&state, &headers, &here, ui_lang(&q_pairs), None, Need::Read).await {
        Ok(ok) => ok,
        Err(r) => return r,
    };
    let lang = v.lang;
    let lead = is_lead(&p);
    let searching = !q.is_empty();
    let (mut hits, mut search_error, mut sections) = (Vec::new(), false, Vec::new());
    if searching {
        let params = kb::SearchParams {
            q: q.clone(),
            kind: filters.kind.map(|k| k.as_str().to_owned()),
            lang: filters.language.map(|l| l.as_str().to_owned()),
            emotion: filters.emotion.map(|e| e.as_str().to_owned()),
            complaint_type: filters.complaint_type.map(|c| c.as_str().to_owned()),
            situation: filters.situation.map(|s| s.as_str().to_owned()),
            // Without a language filter each entry shows once: in the viewer's language when it has that variant.
            prefer: filters.language.is_none().then(|| lang.code().to_owned()),
            limit: Some(HITS_SHOWN),
            ..kb::SearchParams::default()
        };
        let found = match params.query() {
            Ok(query) => state.library.search(&state.store, p.org_id, query).await,
            Err(e) => Err(e),
        };
        match found {
            Ok(found) => {
                hits = found
                    .iter()
                    .map(|hit| {
                        let json = kb::hit_json(hit);
                        let text = |key: &str| json[key].as_str().unwrap_or_default().to_owned();
                        let (id, lang_code) = (text("id"), text("lang"));
                        let language = Language::parse(&lang_code);
                        HitView {
                            href: format!("/knowledge/{id}/{lang_code}"),
                            id,
                            lang_name: language.map_or("?", language_name),
                            kind_text: Kind::parse(json["kind"].as_str().unwrap_or_default()).map_or("?", |k| kind_text(lang, k)),
                            title: text("title"),
                            snippet_html: text("snippet_html"),
                            lang_code,
                        }
                    })
                    .collect();
            }
            Err(ApiError::Unavailable) => return ApiError::Unavailable.into_response(),
            Err(e) => {
                tracing::warn!(error = ?e, "knowledge page: search failed");
                search_error = true;
            }
        }
    } else {
        let filter = EntryFilter { kind: filters.kind, lang: filters.language, ..EntryFilter::default() };
        let entries = match state.store.entries(p.clone(), filter).await {
            Ok(entries) => entries,
            Err(e) => return failed(&v, &here, e.into()),
        };
        for kind in Kind::ALL {
            let mut rows: Vec<RowView> = entries.iter().filter(|e| e.entry.kind() == *kind && filters.keeps(e)).map(|e| row_view(lang, e)).collect();
            if rows.is_empty() && (filters.kind.is_some() || filters.script_filters().is_some()) {
                continue;
            }
            let more = rows.len().saturating_sub(LIST_SHOWN);
            rows.truncate(LIST_SHOWN);
            sections.push(Section { key: kind.as_str(), heading: kind_text(lang, *kind), rows, more });
        }
    }
    let pending = if lead || may_propose(&p) {
        let filter = EntryFilter { pending_only: true, ..EntryFilter::default() };
        let waiting = match state.store.entries(p.clone(), filter).await {
            Ok(entries) => entries,
            Err(e) => return failed(&v, &here, e.into()),
        };
        let offset = org_offset(&state, p.org_id).await;
        let mut views = Vec::new();
        for entry in waiting.iter().take(PENDING_SHOWN) {
            let versions = state.store.entry_versions(p.clone(), entry.entry.id().clone(), entry.entry.lang()).await.unwrap_or_default();
            let (by, at) = versions.first().map_or_else(|| (String::new(), String::new()), |v| (v.author_name.clone(), when(v.created_at, offset)));
            views.push(PendingView { row: row_view(lang, entry), by, at });
        }
        Some((if lead { "kb.pending.title" } else { "kb.pending.mine" }, views))
    } else {
        None
    };
    let selected = |key: &str| first(&q_pairs, key).to_owned();
    let page = ListPage {
        lang,
        langs: Lang::ALL,
        me: Some(menu_user(&state, &p).await),
        csrf: p.csrf_token.clone().unwrap_or_default(),
        here: percent_encode(&here),
        current: "list",
        lead,
        may_propose: may_propose(&p),
        notice: list_notice(first(&q_pairs, "ok")).map(|k| lang.t(k)),
        q,
        searching,
        hits,
        search_error,
        sections,
        pending,
        kinds: choices(Kind::ALL.iter().map(|k| (k.as_str(), kind_text(lang, *k))), &selected("kind")),
        languages: language_choices(&selected("language")),
        emotions: choices(Emotion::ALL.iter().map(|e| (e.as_str(), emotion_text(lang, *e))), &selected("emotion")),
        complaint_types: choices(ComplaintType::ALL.iter().map(|c| (c.as_str(), complaint_text(lang, Some(*c)))), &selected("complaint_type")),
        situations: choices(Situation::ALL.iter().map(|s| (s.as_str(), situation_text(lang, *s))), &selected("situation")),
        filtered: !filters.is_empty(),
    };
    render(&page, StatusCode::OK)
}

// ----- /knowledge/{id}/{lang} -----

struct VariantView {
    code: &'static str,
    name: &'static str,
    href: String,
    title: String,
}

#[derive(Template)]
#[template(path = "knowledge_entry.html")]
struct EntryPage {
    lang: Lang,
    langs: [Lang; 3],
    me: Option<MenuUser>,
    csrf: String,
    here: String,
    current: &'static str,
    lead: bool,
    may_propose: bool,
    notice: Option<&'static str>,
    base: String,
    id: String,
    entry_lang: &'static str,
    entry_lang_name: &'static str,
    title: String,
    kind_key: &'static str,
    kind_text: &'static str,
    state: Standing,
    published: bool,
    version: i64,
    updated: String,
    updated_by: String,
    change_note: Option<String>,
    /// Sanitised article HTML (`markdown::render`, through `knowledge::entry_view`).
    html: Option<String>,
    /// The script's escaped text with its placeholders marked.
    script_html: Option<String>,
    category: Option<String>,
    tags: Vec<String>,
    questions: Vec<String>,
    /// (element id, label, value).
    facets: Vec<(&'static str, &'static str, String)>,
    /// (`{order_no}`, its name).
    variables: Vec<(String, &'static str)>,
    variants: Vec<VariantView>,
    /// Languages without a variant (leads may add one).
    missing: Vec<VariantView>,
    may_edit: bool,
}

fn entry_notice(ok: &str) -> Option<&'static str> {
    Some(match ok {
        "created" => "kb.ok.created",
        "proposed" => "kb.ok.proposed",
        "saved" => "kb.ok.saved",
        "unchanged" => "kb.ok.unchanged",
        "published" => "kb.ok.published",
        "unpublished" => "kb.ok.unpublished",
        _ => return None,
    })
}

async fn entry_page(State(state): State<AppState>, headers: HeaderMap, Path((id, entry_lang)): Path<(String, String)>, query: QueryPairs) -> Response {
    let q = query_pairs(query);
    let here = format!("/knowledge/{}/{}", percent_encode(&id), percent_encode(&entry_lang));
    let (v, p) = match gate(&state, &headers, &here, ui_lang(&q), None, Need::Read).await {
        Ok(ok) => ok,
        Err(r) => return r,
    };
    let lang = v.lang;
    let Ok((id, entry_lang)) = kb::entry_key(&id, &entry_lang) else { return not_found(lang) };
    let current = match state.store.entry(p.clone(), id.clone(), entry_lang).await {
        Ok(entry) => entry,
        Err(e) => return failed(&v, &here, e.into()),
    };
    let versions = match state.store.entry_versions(p.clone(), id.clone(), entry_lang).await {
        Ok(versions) => versions,
        Err(e) => return failed(&v, &here, e.into()),
    };
    let offset = org_offset(&state, p.org_id).await;
    let lead = is_lead(&p);
    let mut variants = Vec::new();
    let mut missing = Vec::new();
    for other in Language::ALL.iter().copied().filter(|l| *l != entry_lang) {
        match state.store.entry(p.clone(), id.clone(), other).await {
            Ok(found) => variants.push(VariantView { code: other.as_str(), name: language_name(other), href: entry_href(id.as_str(), other), title: found.entry.title().to_owned() }),
            Err(anxin_store::StoreError::NotFound) => missing.push(VariantView {
                code: other.as_str(),
                name: language_name(other),
                href: format!("/knowledge/new?id={}&language={}&from={}", id.as_str(), other.as_str(), entry_lang.as_str()),
                title: String::new(),
            }),
            Err(e) => return failed(&v, &here, e.into()),
        }
    }
    let may_edit = may_edit(&p, &current);
    let state_view = standing(lang, &current);
    let (published, version, updated_at) = (current.published, current.version, current.updated_at);
    let view = kb::entry_view(current, true);
    let entry = &view.entry.entry;
    let mut facets = Vec::new();
    let mut variables = Vec::new();
    let (mut category, mut tags, mut questions, mut script) = (None, Vec::new(), Vec::new(), None);
    if let Some(k) = entry.knowledge() {
        category = Some(k.category.clone());
        tags = k.tags.clone();
        questions = k.questions.clone();
    }
    if let Some(s) = entry.script() {
        facets.push(("kb-facet-emotion", lang.t("kb.field.emotion"), emotion_text(lang, s.emotion).to_owned()));
        facets.push(("kb-facet-complaint-type", lang.t("kb.field.complaint_type"), complaint_text(lang, s.complaint_type).to_owned()));
        facets.push(("kb-facet-situation", lang.t("kb.field.situation"), situation_text(lang, s.situation).to_owned()));
        facets.push(("kb-facet-channel", lang.t("kb.field.channel"), channel_text(lang, s.channel).to_owned()));
        if let Some(c) = &s.competitor {
            facets.push(("kb-facet-competitor", lang.t("kb.field.competitor"), c.clone()));
        }
        variables = s.variables.iter().map(|x| (format!("{{{}}}", x.as_str()), variable_text(lang, *x))).collect();
        script = Some(script_html(lang, entry.body()));
    }
    let newest = versions.first();
    let page = EntryPage {
        lang,
        langs: Lang::ALL,
        me: Some(menu_user(&state, &p).await),
        csrf: p.csrf_token.clone().unwrap_or_default(),
        here: percent_encode(&here),
        current: "entry",
        lead,
        may_propose: may_propose(&p),
        notice: entry_notice(first(&q, "ok")).map(|k| lang.t(k)),
        base: entry_href(entry.id().as_str(), entry_lang),
        id: entry.id().as_str().to_owned(),
        entry_lang: entry_lang.as_str(),
        entry_lang_name: language_name(entry_lang),
        title: entry.title().to_owned(),
        kind_key: entry.kind().as_str(),
        kind_text: kind_text(lang, entry.kind()),
        state: state_view,
        published,
        version,
        updated: when(updated_at, offset),
        updated_by: newest.map(|n| n.author_name.clone()).unwrap_or_default(),
        change_note: newest.and_then(|n| n.change_note.clone()),
        html: view.html.clone(),
        script_html: script,
        category,
        tags,
        questions,
        facets,
        variables,
        variants,
        missing: if lead { missing } else { Vec::new() },
        may_edit,
    };
    render(&page, StatusCode::OK)
}

// ----- publish -----

async fn publish_submit(State(state): State<AppState>, headers: HeaderMap, Path((id, entry_lang)): Path<(String, String)>, body: Pairs) -> Response {
    let f = pairs(body);
    let here = format!("/knowledge/{}/{}", percent_encode(&id), percent_encode(&entry_lang));
    let (v, p) = match gate(&state, &headers, &here, None, Some(first(&f, "csrf")), Need::Edit).await {
        Ok(ok) => ok,
        Err(r) => return r,
    };
    let Ok((id, entry_lang)) = kb::entry_key(&id, &entry_lang) else { return not_found(v.lang) };
    let publish = match first(&f, "action") {
        "publish" => true,
        "unpublish" => false,
        _ => return (StatusCode::UNPROCESSABLE_ENTITY, Html(format!("<!doctype html><title>422</title><p>{}</p>", xml_escape(v.lang.t("kb.error.bad_form"))))).into_response(),
    };
    match kb::set_published(&state, &p, id.clone(), entry_lang, publish).await {
        Ok(_) if first(&f, "next") == "list" => Redirect::to("/knowledge?ok=published#kb-pending").into_response(),
        Ok(_) => Redirect::to(&format!("{}?ok={}", entry_href(id.as_str(), entry_lang), if publish { "published" } else { "unpublished" })).into_response(),
        Err(e) => failed(&v, &here, e),
    }
}

// ----- /knowledge/new and /knowledge/{id}/{lang}/edit -----

/// The fields a form can refuse, each with its rule in the catalog (`kb.rule.<field>`).
const FIELDS: [&str; 16] = [
    "id", "kind", "lang", "title", "category", "tags", "questions", "emotion", "complaint_type", "situation", "channel", "variables", "competitor", "body",
    "change_note", "form",
];

fn field_key(name: &str) -> &'static str {
    FIELDS.iter().copied().find(|f| *f == name).unwrap_or("form")
}

/// What the person typed, kept when the form comes back.
#[derive(Default, Clone)]
struct Typed {
    id: String,
    language: String,
    title: String,
    body: String,
    category: String,
    tags: String,
    questions: String,
    emotion: String,
    complaint_type: String,
    situation: String,
    channel: String,
    variables: Vec<String>,
    competitor: String,
    change_note: String,
    /// The version the form was opened on (edits).
    version: i64,
}

impl Typed {
    fn of(entry: &KbEntry) -> Typed {
        let f = EntryFields::from(entry.entry.clone());
        Typed {
            id: f.id.unwrap_or_default(),
            language: f.lang.map(|l| l.as_str().to_owned()).unwrap_or_default(),
            title: f.title.unwrap_or_default(),
            body: f.body.unwrap_or_default(),
            category: f.category.unwrap_or_default(),
            tags: f.tags.unwrap_or_default().join("\n"),
            questions: f.questions.unwrap_or_default().join("\n"),
            emotion: f.emotion.map(|e| e.as_str().to_owned()).unwrap_or_default(),
            complaint_type: f.complaint_type.unwrap_or_default(),
            situation: f.situation.map(|s| s.as_str().to_owned()).unwrap_or_default(),
            channel: f.channel.unwrap_or_default(),
            variables: f.variables.unwrap_or_default().iter().map(|v| v.as_str().to_owned()).collect(),
            competitor: f.competitor.unwrap_or_default(),
            change_note: String::new(),
            version: entry.version,
        }
    }

    fn from_form(f: &[(String, String)]) -> Typed {
        let text = |name: &str, max: usize| keep(first(f, name), max);
        Typed {
            id: text("id", 200),
            language: text("language", 20),
            title: text("title", 1_000),
            body: text("body", anxin_domain::knowledge::BODY_MAX_CHARS * 2),
            category: text("category", 500),
            tags: text("tags", 5_000),
            questions: text("questions", 10_000),
            emotion: text("emotion", 40),
            complaint_type: text("complaint_type", 40),
            situation: text("situation", 40),
            channel: text("channel", 40),
            variables: f.iter().filter(|(k, _)| k == "variables").take(20).map(|(_, v)| keep(v, 40)).collect(),
            competitor: text("competitor", 500),
            change_note: text("change_note", 2_000),
            version: first(f, "version").trim().parse().unwrap_or(0),
        }
    }

    /// The entry fields of a `kind` as typed (script fields only for scripts, filing fields only for the others).
    fn fields(&self, kind: Kind, id: &str, lang: Option<Language>) -> Result<EntryFields, (&'static str, String)> {
        let lines = |text: &str| text.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect::<Vec<_>>();
        let mut f = EntryFields {
            id: Some(id.trim().to_owned()),
            kind: Some(kind),
            lang,
            title: Some(self.title.clone()),
            body: Some(self.body.clone()),
            ..EntryFields::default()
        };
        if kind == Kind::Script {
            let mut variables = Vec::new();
            for name in &self.variables {
                variables.push(Variable::parse(name.trim()).ok_or_else(|| ("variables", format!("{name:?} is not a variable")))?);
            }
            let text = |t: &str| Some(t.trim().to_owned()).filter(|t| !t.is_empty());
            f.emotion = Emotion::parse(self.emotion.trim());
            f.complaint_type = text(&self.complaint_type);
            f.situation = Situation::parse(self.situation.trim());
            f.channel = text(&self.channel);
            f.variables = Some(variables);
            f.competitor = Some(self.competitor.clone());
        } else {
            f.category = Some(self.category.clone());
            f.tags = Some(lines(&self.tags));
            f.questions = Some(lines(&self.questions));
        }
        Ok(f)
    }
}

/// Field → (the rule in the viewer's language, the precise problem).
type Errors = BTreeMap<&'static str, (String, String)>;

fn refuse(errors: &mut Errors, lang: Lang, field: &str, detail: String) {
    let field = field_key(field);
    errors.insert(field, (lang.t(&format!("kb.rule.{field}")).to_owned(), detail));
}

#[derive(Template)]
#[template(path = "knowledge_edit.html")]
struct EditPage {
    lang: Lang,
    langs: [Lang; 3],
    me: Option<MenuUser>,
    csrf: String,
    here: String,
    current: &'static str,
    lead: bool,
    may_propose: bool,
    is_new: bool,
    action: String,
    /// Where "cancel" goes.
    back: String,
    kind_key: &'static str,
    kind_text: &'static str,
    /// On a new entry: (kind, words, href, current) to start another kind.
    kind_links: Vec<(&'static str, &'static str, String, bool)>,
    typed: Typed,
    errors: Errors,
    alert: Option<&'static str>,
    languages: Vec<Choice>,
    entry_lang_name: &'static str,
    emotions: Vec<Choice>,
    complaint_types: Vec<Choice>,
    situations: Vec<Choice>,
    channels: Vec<Choice>,
    variables: Vec<Choice>,
}

/// The form as it comes back: the kind, what was typed, the problems, the message at the top.
struct Filled {
    kind: Kind,
    typed: Typed,
    errors: Errors,
    alert: Option<&'static str>,
}

/// New or existing.
enum Target {
    New,
    Existing(Box<KbEntry>),
}

async fn edit_view(state: &AppState, v: &Viewer, p: &Principal, target: &Target, filled: Filled) -> EditPage {
    let lang = v.lang;
    let Filled { kind, typed, errors, alert } = filled;
    let (is_new, action, back, here) = match target {
        Target::New => (true, "/knowledge/new".to_owned(), "/knowledge".to_owned(), format!("/knowledge/new?kind={}", kind.as_str())),
        Target::Existing(e) => {
            let base = entry_href(e.entry.id().as_str(), e.entry.lang());
            (false, format!("{base}/edit"), base.clone(), format!("{base}/edit"))
        }
    };
    let kind_links = if is_new && is_lead(p) {
        Kind::ALL.iter().map(|k| (k.as_str(), kind_text(lang, *k), format!("/knowledge/new?kind={}", k.as_str()), *k == kind)).collect()
    } else {
        Vec::new()
    };
    let any = lang.t("kb.any");
    let mut complaint_types = choices([("any", any)], &typed.complaint_type);
    complaint_types.extend(choices(ComplaintType::ALL.iter().map(|c| (c.as_str(), complaint_text(lang, Some(*c)))), &typed.complaint_type));
    let mut channels = choices([("any", any)], &typed.channel);
    channels.extend(choices(ChannelKind::ALL.iter().map(|c| (c.as_str(), channel_text(lang, Some(*c)))), &typed.channel));
    let variables = Variable::ALL
        .iter()
        .map(|x| Choice { value: x.as_str().to_owned(), text: variable_text(lang, *x).to_owned(), selected: typed.variables.iter().any(|t| t == x.as_str()) })
        .collect();
    EditPage {
        lang,
        langs: Lang::ALL,
        me: Some(menu_user(state, p).await),
        csrf: p.csrf_token.clone().unwrap_or_default(),
        here: percent_encode(&here),
        current: if is_new { "new" } else { "edit" },
        lead: is_lead(p),
        may_propose: may_propose(p),
        is_new,
        action,
        back,
        kind_key: kind.as_str(),
        kind_text: kind_text(lang, kind),
        kind_links,
        languages: language_choices(&typed.language),
        entry_lang_name: Language::parse(&typed.language).map_or("?", language_name),
        emotions: choices(Emotion::ALL.iter().map(|e| (e.as_str(), emotion_text(lang, *e))), &typed.emotion),
        complaint_types,
        situations: choices(Situation::ALL.iter().map(|s| (s.as_str(), situation_text(lang, *s))), &typed.situation),
        channels,
        variables,
        typed,
        errors,
        alert,
    }
}

async fn show_form(state: &AppState, v: &Viewer, p: &Principal, target: &Target, filled: Filled, status: StatusCode) -> Response {
    let page = edit_view(state, v, p, target, filled).await;
    render(&page, status)
}

async fn new_page(State(state): State<AppState>, headers: HeaderMap, query: QueryPairs) -> Response {
    let q = query_pairs(query);
    let here = "/knowledge/new";
    let (v, p) = match gate(&state, &headers, here, ui_lang(&q), None, Need::Read).await {
        Ok(ok) => ok,
        Err(r) => return r,
    };
    if !is_lead(&p) && !may_propose(&p) {
        return forbidden(&v, here);
    }
    // Adding a language variant starts from an existing one (`?id=…&from=zh-Hans&language=en`).
    let mut typed = Typed::default();
    let mut kind = None;
    if let (Ok(id), Some(from)) = (EntryId::parse(first(&q, "id")), Language::parse(first(&q, "from")))
        && let Ok(existing) = state.store.entry(p.clone(), id, from).await
    {
        typed = Typed::of(&existing);
        kind = Some(existing.entry.kind());
    }
    typed.version = 0;
    if typed.id.is_empty() {
        typed.id = keep(first(&q, "id").trim(), 64);
    }
    typed.language = Language::parse(first(&q, "language")).map_or_else(|| v.lang.code().to_owned(), |l| l.as_str().to_owned());
    let kind = if is_lead(&p) { kind.or_else(|| Kind::parse(first(&q, "kind"))).unwrap_or(Kind::Faq) } else { Kind::Script };
    if kind == Kind::Script {
        for (field, default) in [(&mut typed.complaint_type, "any"), (&mut typed.channel, "any")] {
            if field.is_empty() {
                *field = default.to_owned();
            }
        }
    }
    show_form(&state, &v, &p, &Target::New, Filled { kind, typed, errors: Errors::new(), alert: None }, StatusCode::OK).await
}

async fn new_submit(State(state): State<AppState>, headers: HeaderMap, body: Pairs) -> Response {
    let f = pairs(body);
    let here = "/knowledge/new";
    let (v, p) = match gate(&state, &headers, here, None, Some(first(&f, "csrf")), Need::Read).await {
        Ok(ok) => ok,
        Err(r) => return r,
    };
    let Some(kind) = Kind::parse(first(&f, "kind")) else {
        return (StatusCode::UNPROCESSABLE_ENTITY, Html(format!("<!doctype html><title>422</title><p>{}</p>", xml_escape(v.lang.t("kb.error.bad_form"))))).into_response();
    };
    // An agent proposes scripts; nothing else here is theirs.
    if !(is_lead(&p) || (may_propose(&p) && kind == Kind::Script)) {
        return forbidden(&v, here);
    }
    save_form(&state, &v, &p, Target::New, kind, Typed::from_form(&f)).await
}

async fn edit_page(State(state): State<AppState>, headers: HeaderMap, Path((id, entry_lang)): Path<(String, String)>, query: QueryPairs) -> Response {
    let q = query_pairs(query);
    let here = format!("/knowledge/{}/{}/edit", percent_encode(&id), percent_encode(&entry_lang));
    let (v, p) = match gate(&state, &headers, &here, ui_lang(&q), None, Need::Read).await {
        Ok(ok) => ok,
        Err(r) => return r,
    };
    let Ok((id, entry_lang)) = kb::entry_key(&id, &entry_lang) else { return not_found(v.lang) };
    let current = match state.store.entry(p.clone(), id, entry_lang).await {
        Ok(entry) => entry,
        Err(e) => return failed(&v, &here, e.into()),
    };
    if !may_edit(&p, &current) {
        return forbidden(&v, &here);
    }
    let (kind, typed) = (current.entry.kind(), Typed::of(&current));
    show_form(&state, &v, &p, &Target::Existing(Box::new(current)), Filled { kind, typed, errors: Errors::new(), alert: None }, StatusCode::OK).await
}

async fn edit_submit(State(state): State<AppState>, headers: HeaderMap, Path((id, entry_lang)): Path<(String, String)>, body: Pairs) -> Response {
    let f = pairs(body);
    let here = format!("/knowledge/{}/{}/edit", percent_encode(&id), percent_encode(&entry_lang));
    let (v, p) = match gate(&state, &headers, &here, None, Some(first(&f, "csrf")), Need::Read).await {
        Ok(ok) => ok,
        Err(r) => return r,
    };
    let Ok((id, entry_lang)) = kb::entry_key(&id, &entry_lang) else { return not_found(v.lang) };
    let current = match state.store.entry(p.clone(), id, entry_lang).await {
        Ok(entry) => entry,
        Err(e) => return failed(&v, &here, e.into()),
    };
    if !may_edit(&p, &current) {
        return forbidden(&v, &here);
    }
    let kind = current.entry.kind();
    save_form(&state, &v, &p, Target::Existing(Box::new(current)), kind, Typed::from_form(&f)).await
}

/// Checks and saves a form: back with the problems beside their fields (and everything typed), or on to the entry.
async fn save_form(state: &AppState, v: &Viewer, p: &Principal, target: Target, kind: Kind, mut typed: Typed) -> Response {
    let lang = v.lang;
    let mut errors = Errors::new();
    let (id_text, entry_lang) = match &target {
        Target::New => (typed.id.trim().to_owned(), Language::parse(typed.language.trim())),
        Target::Existing(e) => {
            typed.id = e.entry.id().as_str().to_owned();
            typed.language = e.entry.lang().as_str().to_owned();
            (typed.id.clone(), Some(e.entry.lang()))
        }
    };
    let entry = match typed.fields(kind, &id_text, entry_lang) {
        Err((field, detail)) => {
            refuse(&mut errors, lang, field, detail);
            None
        }
        Ok(fields) => match kb::checked_entry(fields) {
            Ok(entry) => Some(entry),
            Err(ApiError::Invalid { field, message, .. }) => {
                refuse(&mut errors, lang, &field, message);
                None
            }
            Err(e) => return failed(v, "/knowledge", e),
        },
    };
    let note = match kb::change_note(Some(&typed.change_note)) {
        Ok(note) => note,
        Err(ApiError::Invalid { message, .. }) => {
            refuse(&mut errors, lang, "change_note", message);
            None
        }
        Err(e) => return failed(v, "/knowledge", e),
    };
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    let Some(entry) = entry.filter(|_| errors.is_empty()) else {
        return show_form(state, v, p, &target, Filled { kind, typed, errors, alert: Some("form.fix_errors") }, unprocessable).await;
    };
    match &target {
        Target::New => {
            // A new entry never silently becomes a new version of an existing one.
            if state.store.entry(p.clone(), entry.id().clone(), entry.lang()).await.is_ok() {
                refuse(&mut errors, lang, "id", format!("{} ({})", entry.id(), entry.lang()));
                errors.entry("id").and_modify(|e| e.0 = lang.t("kb.error.exists").to_owned());
                return show_form(state, v, p, &target, Filled { kind, typed, errors, alert: Some("form.fix_errors") }, StatusCode::CONFLICT).await;
            }
        }
        Target::Existing(current) => {
            // Someone saved a version since this form was opened: show it, keep what was typed.
            if typed.version != current.version {
                typed.version = current.version;
                return show_form(state, v, p, &target, Filled { kind, typed, errors, alert: Some("kb.error.changed") }, StatusCode::CONFLICT).await;
            }
        }
    }
    let (id, entry_lang) = (entry.id().clone(), entry.lang());
    match kb::save_entry(state, p, entry, note).await {
        Ok(saved) => {
            let ok = match &target {
                Target::New if !is_lead(p) => "proposed",
                Target::New => "created",
                Target::Existing(current) if saved.version == current.version => "unchanged",
                Target::Existing(_) => "saved",
            };
            Redirect::to(&format!("{}?ok={ok}", entry_href(id.as_str(), entry_lang))).into_response()
        }
        Err(ApiError::Conflict(what)) if what == "kb_entry_kind" => {
            refuse(&mut errors, lang, "kind", format!("{id}: {what}"));
            errors.entry("kind").and_modify(|e| e.0 = lang.t("kb.error.kind_conflict").to_owned());
            show_form(state, v, p, &target, Filled { kind, typed, errors, alert: Some("form.fix_errors") }, StatusCode::CONFLICT).await
        }
        Err(ApiError::Conflict(what)) if what == "kb_entry_changed" => {
            if let Ok(now) = state.store.entry(p.clone(), id, entry_lang).await {
                typed.version = now.version;
            }
            show_form(state, v, p, &target, Filled { kind, typed, errors, alert: Some("kb.error.changed") }, StatusCode::CONFLICT).await
        }
        // An agent's new script under an id someone else holds.
        Err(ApiError::Forbidden(_)) if matches!(target, Target::New) && may_propose(p) => {
            refuse(&mut errors, lang, "id", format!("{id} ({entry_lang})"));
            errors.entry("id").and_modify(|e| e.0 = lang.t("kb.error.id_taken").to_owned());
            show_form(state, v, p, &target, Filled { kind, typed, errors, alert: Some("form.fix_errors") }, StatusCode::CONFLICT).await
        }
        Err(e) => failed(v, "/knowledge", e),
    }
}

// ----- /knowledge/{id}/{lang}/history -----

struct VersionView {
    version: i64,
    author: String,
    at: String,
    note: String,
}

struct DiffLineView {
    op: &'static str,
    mark: &'static str,
    said: &'static str,
    text: String,
}

#[derive(Template)]
#[template(path = "knowledge_history.html")]
struct HistoryPage {
    lang: Lang,
    langs: [Lang; 3],
    me: Option<MenuUser>,
    csrf: String,
    here: String,
    current: &'static str,
    lead: bool,
    may_propose: bool,
    base: String,
    id: String,
    title: String,
    entry_lang_name: &'static str,
    versions: Vec<VersionView>,
    from: i64,
    to: i64,
    /// The version numbers, oldest first, for the two selects.
    numbers: Vec<i64>,
    diff: Option<Vec<DiffLineView>>,
    added: usize,
    removed: usize,
}

async fn history_page(State(state): State<AppState>, headers: HeaderMap, Path((id, entry_lang)): Path<(String, String)>, query: QueryPairs) -> Response {
    let q = query_pairs(query);
    let here = format!("/knowledge/{}/{}/history", percent_encode(&id), percent_encode(&entry_lang));
    let (v, p) = match gate(&state, &headers, &here, ui_lang(&q), None, Need::Read).await {
        Ok(ok) => ok,
        Err(r) => return r,
    };
    let lang = v.lang;
    let Ok((id, entry_lang)) = kb::entry_key(&id, &entry_lang) else { return not_found(lang) };
    let versions = match state.store.entry_versions(p.clone(), id.clone(), entry_lang).await {
        Ok(versions) => versions,
        Err(e) => return failed(&v, &here, e.into()),
    };
    let Some(newest) = versions.first() else { return not_found(lang) };
    let latest = newest.version;
    let pick = |name: &str| first(&q, name).trim().parse::<i64>().ok().filter(|n| versions.iter().any(|x| x.version == *n));
    let to = pick("to").unwrap_or(latest);
    let from = pick("from").unwrap_or_else(|| versions.iter().map(|x| x.version).filter(|n| *n < to).max().unwrap_or(to));
    let diff = if versions.len() > 1 {
        match state.store.entry_diff(p.clone(), id.clone(), entry_lang, from, to).await {
            Ok(d) => Some(
                d.lines
                    .into_iter()
                    .map(|l| {
                        let (op, mark, said) = match l.op {
                            anxin_store::knowledge::DiffOp::Added => ("added", "+", "kb.diff.added"),
                            anxin_store::knowledge::DiffOp::Removed => ("removed", "−", "kb.diff.removed"),
                            anxin_store::knowledge::DiffOp::Same => ("same", " ", "kb.diff.same"),
                        };
                        DiffLineView { op, mark, said: lang.t(said), text: l.text }
                    })
                    .collect::<Vec<_>>(),
            ),
            Err(e) => return failed(&v, &here, e.into()),
        }
    } else {
        None
    };
    let offset = org_offset(&state, p.org_id).await;
    let (added, removed) = diff.as_ref().map_or((0, 0), |d| (d.iter().filter(|l| l.op == "added").count(), d.iter().filter(|l| l.op == "removed").count()));
    let page = HistoryPage {
        lang,
        langs: Lang::ALL,
        me: Some(menu_user(&state, &p).await),
        csrf: p.csrf_token.clone().unwrap_or_default(),
        here: percent_encode(&here),
        current: "history",
        lead: is_lead(&p),
        may_propose: may_propose(&p),
        base: entry_href(id.as_str(), entry_lang),
        id: id.as_str().to_owned(),
        title: newest.entry.title().to_owned(),
        entry_lang_name: language_name(entry_lang),
        numbers: versions.iter().rev().map(|x| x.version).collect(),
        versions: versions
            .iter()
            .map(|x| VersionView { version: x.version, author: x.author_name.clone(), at: when(x.created_at, offset), note: x.change_note.clone().unwrap_or_default() })
            .collect(),
        from,
        to,
        diff,
        added,
        removed,
    };
    render(&page, StatusCode::OK)
}

// ----- /knowledge/import -----

/// Room for the multipart framing (boundaries, part headers, the CSRF field) around the files themselves.
const MULTIPART_OVERHEAD: usize = 256 * 1024;

#[derive(Template)]
#[template(path = "knowledge_import.html")]
struct ImportPage {
    lang: Lang,
    langs: [Lang; 3],
    me: Option<MenuUser>,
    csrf: String,
    here: String,
    current: &'static str,
    lead: bool,
    may_propose: bool,
    /// (created, updated, unchanged) after a successful import.
    report: Option<(usize, usize, usize)>,
    /// Every problem, as `file:line: field: message`; nothing was imported.
    problems: Vec<String>,
    name: String,
    text: String,
    limit_text: String,
}

/// The import page after a refusal: every problem, what was pasted (`kept.id`: its name, `kept.body`: its text).
async fn import_refused(state: &AppState, v: &Viewer, p: &Principal, status: StatusCode, problems: Vec<String>, kept: Typed) -> Response {
    let page = import_view(state, v, p, None, problems, kept.id, kept.body).await;
    render(&page, status)
}

async fn import_view(state: &AppState, v: &Viewer, p: &Principal, report: Option<(usize, usize, usize)>, problems: Vec<String>, name: String, text: String) -> ImportPage {
    ImportPage {
        lang: v.lang,
        langs: Lang::ALL,
        me: Some(menu_user(state, p).await),
        csrf: p.csrf_token.clone().unwrap_or_default(),
        here: percent_encode("/knowledge/import"),
        current: "import",
        lead: true,
        may_propose: false,
        report,
        problems,
        name,
        text,
        limit_text: v.lang.t("kb.import.limit").replace("{n}", &(kb::MAX_IMPORT_BYTES / (1024 * 1024)).to_string()),
    }
}

async fn import_page(State(state): State<AppState>, headers: HeaderMap, query: QueryPairs) -> Response {
    let q = query_pairs(query);
    let here = "/knowledge/import";
    let (v, p) = match gate(&state, &headers, here, ui_lang(&q), None, Need::Edit).await {
        Ok(ok) => ok,
        Err(r) => return r,
    };
    let count = |name: &str| first(&q, name).parse::<usize>().ok();
    let report = match (count("created"), count("updated"), count("unchanged")) {
        (Some(c), Some(u), Some(n)) => Some((c, u, n)),
        _ => None,
    };
    let page = import_view(&state, &v, &p, report, Vec::new(), String::new(), String::new()).await;
    render(&page, StatusCode::OK)
}

/// The last component of an uploaded file's name (some browsers send a whole path).
fn base_name(name: &str) -> String {
    name.rsplit(['/', '\\']).next().unwrap_or(name).trim().to_owned()
}

/// A name for pasted text: as given, else after its front matter's `id` and `lang` (`<id>.<lang>.md`, read even
/// when the rest of the file is wrong, so its problems name the file the author means), else `pasted.json` or
/// `pasted.md`.
fn pasted_name(name: &str, text: &str) -> String {
    let name = base_name(name);
    if !name.is_empty() {
        return name;
    }
    if text.trim_start().starts_with('{') {
        return "pasted.json".to_owned();
    }
    let mut lines = text.trim_start_matches('\u{feff}').lines();
    if lines.next().map(str::trim_end) != Some("+++") {
        return "pasted.md".to_owned();
    }
    let front: Vec<&str> = lines.take_while(|l| l.trim_end() != "+++").collect();
    let value = |key: &str| {
        front.iter().find_map(|line| {
            let (k, v) = line.split_once('=')?;
            (k.trim() == key).then(|| v.trim().trim_matches(['"', '\'']).to_owned())
        })
    };
    match (value("id"), value("lang")) {
        (Some(id), Some(lang)) if EntryId::parse(&id).is_ok() && Language::parse(&lang).is_some() => format!("{id}.{lang}.md"),
        _ => "pasted.md".to_owned(),
    }
}

/// An import refused by `knowledge::import_files`: every problem it lists (in the API's JSON), in the viewer's
/// words where we know them.
async fn import_problems(lang: Lang, response: Response) -> (StatusCode, Vec<String>) {
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 8 * 1024 * 1024).await.unwrap_or_default();
    let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    let listed: Vec<String> = body["error"]["details"]["errors"].as_array().into_iter().flatten().filter_map(|e| e["text"].as_str().map(str::to_owned)).collect();
    if !listed.is_empty() {
        return (status, listed);
    }
    let message = body["error"]["message"].as_str().unwrap_or_default();
    let text = if message.contains("kb_entry_kind") {
        lang.t("kb.import.kind_conflict").to_owned()
    } else if message.contains("kb_import_duplicate") {
        format!("{} ({message})", lang.t("kb.import.duplicate"))
    } else if message.is_empty() || status.is_server_error() {
        lang.t("kb.import.failed").to_owned()
    } else {
        message.to_owned()
    };
    (status, vec![text])
}

async fn import_submit(State(state): State<AppState>, request: Request) -> Response {
    let here = "/knowledge/import";
    let (parts, body) = request.into_parts();
    let (v, p) = match gate(&state, &parts.headers, here, None, None, Need::Edit).await {
        Ok(ok) => ok,
        Err(r) => return r,
    };
    let lang = v.lang;
    let too_large = vec![lang.t("kb.import.too_large").replace("{n}", &(kb::MAX_IMPORT_BYTES / (1024 * 1024)).to_string())];
    let bytes = match crate::extract::read_limited(body, kb::MAX_IMPORT_BYTES + MULTIPART_OVERHEAD).await {
        Ok(bytes) => bytes,
        Err(ApiError::TooLarge(_)) => return import_refused(&state, &v, &p, StatusCode::PAYLOAD_TOO_LARGE, too_large, Typed::default()).await,
        Err(e) => return e.into_response(),
    };
    let mut csrf = String::new();
    let (mut files, mut not_text) = (Vec::new(), Vec::new());
    let (mut name, mut text, mut total, mut broken) = (String::new(), String::new(), 0usize, false);
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
            let field_name = field.name().unwrap_or_default().to_owned();
            let file_name = base_name(field.file_name().unwrap_or_default());
            let Ok(data) = field.bytes().await else {
                broken = true;
                break;
            };
            match field_name.as_str() {
                "csrf" => csrf = String::from_utf8_lossy(&data).into_owned(),
                "name" => name = keep(String::from_utf8_lossy(&data).trim(), 200),
                "text" => {
                    total += data.len();
                    text = String::from_utf8_lossy(&data).into_owned();
                }
                "files" if data.is_empty() && file_name.is_empty() => {} // no file chosen
                "files" => {
                    total += data.len();
                    let file_name = if file_name.is_empty() { "upload".to_owned() } else { file_name };
                    match String::from_utf8(data.to_vec()) {
                        Ok(content) => files.push((file_name, content)),
                        Err(_) => not_text.push(file_name),
                    }
                }
                _ => {}
            }
        },
    }
    if !csrf_ok(&p, &csrf) {
        return crate::admin::csrf_failed(&state, &v, &p, here).await;
    }
    // What was typed comes back with a refusal (the files have to be chosen again).
    let kept = Typed { id: name.clone(), body: keep(&text, 200_000), ..Typed::default() };
    if total > kb::MAX_IMPORT_BYTES {
        return import_refused(&state, &v, &p, StatusCode::PAYLOAD_TOO_LARGE, too_large, kept).await;
    }
    if broken {
        return import_refused(&state, &v, &p, StatusCode::BAD_REQUEST, vec![lang.t("kb.import.bad_upload").to_owned()], kept).await;
    }
    if !not_text.is_empty() {
        let problems = not_text.iter().map(|f| format!("{f}: {}", lang.t("kb.import.not_utf8"))).collect();
        return import_refused(&state, &v, &p, StatusCode::UNPROCESSABLE_ENTITY, problems, kept).await;
    }
    if !text.trim().is_empty() {
        files.push((pasted_name(&name, &text), text.replace("\r\n", "\n")));
    }
    if files.is_empty() {
        return import_refused(&state, &v, &p, StatusCode::UNPROCESSABLE_ENTITY, vec![lang.t("kb.import.nothing_given").to_owned()], kept).await;
    }
    match kb::import_files(&state, &p, &files).await {
        Ok(report) => Redirect::to(&format!("{here}?created={}&updated={}&unchanged={}#kb-import-report", report.created, report.updated, report.unchanged)).into_response(),
        Err(response) => {
            let (status, problems) = import_problems(lang, response).await;
            if status == StatusCode::FORBIDDEN {
                return forbidden(&v, here);
            }
            let status = if status.is_client_error() { status } else { StatusCode::SERVICE_UNAVAILABLE };
            import_refused(&state, &v, &p, status, problems, kept).await
        }
    }
}

// ----- /knowledge/synonyms -----

#[derive(Template)]
#[template(path = "knowledge_synonyms.html")]
struct SynonymsPage {
    lang: Lang,
    langs: [Lang; 3],
    me: Option<MenuUser>,
    csrf: String,
    here: String,
    current: &'static str,
    lead: bool,
    may_propose: bool,
    notice: Option<&'static str>,
    text: String,
    custom: bool,
    groups: usize,
    groups_text: String,
    error: Option<(String, String)>,
}

async fn synonyms_view(state: &AppState, v: &Viewer, p: &Principal, typed: Option<String>, error: Option<(String, String)>, notice: Option<&'static str>) -> Result<SynonymsPage, ApiError> {
    let own = state.store.knowledge_synonyms(p.org_id).await?;
    let custom = own.is_some();
    let saved = own.unwrap_or_else(|| anxin_search::DEFAULT_SYNONYMS.to_owned());
    let groups = anxin_search::Synonyms::parse(&saved).groups().len();
    Ok(SynonymsPage {
        lang: v.lang,
        langs: Lang::ALL,
        me: Some(menu_user(state, p).await),
        csrf: p.csrf_token.clone().unwrap_or_default(),
        here: percent_encode("/knowledge/synonyms"),
        current: "synonyms",
        lead: is_lead(p),
        may_propose: may_propose(p),
        notice,
        text: typed.unwrap_or(saved),
        custom,
        groups,
        groups_text: v.lang.t("kb.synonyms.groups").replace("{n}", &groups.to_string()),
        error,
    })
}

async fn synonyms_page(State(state): State<AppState>, headers: HeaderMap, query: QueryPairs) -> Response {
    let q = query_pairs(query);
    let here = "/knowledge/synonyms";
    let (v, p) = match gate(&state, &headers, here, ui_lang(&q), None, Need::Read).await {
        Ok(ok) => ok,
        Err(r) => return r,
    };
    let notice = (first(&q, "ok") == "saved").then(|| v.lang.t("kb.ok.synonyms"));
    match synonyms_view(&state, &v, &p, None, None, notice).await {
        Ok(page) => render(&page, StatusCode::OK),
        Err(e) => failed(&v, here, e),
    }
}

async fn synonyms_submit(State(state): State<AppState>, headers: HeaderMap, body: Pairs) -> Response {
    let f = pairs(body);
    let here = "/knowledge/synonyms";
    let (v, p) = match gate(&state, &headers, here, None, Some(first(&f, "csrf")), Need::Edit).await {
        Ok(ok) => ok,
        Err(r) => return r,
    };
    let text = first(&f, "synonyms").to_owned();
    match kb::set_synonyms(&state, &p, text.clone()).await {
        Ok(_) => Redirect::to(&format!("{here}?ok=saved")).into_response(),
        Err(ApiError::Invalid { message, .. }) => {
            let error = Some((v.lang.t("kb.rule.synonyms").to_owned(), message));
            match synonyms_view(&state, &v, &p, Some(keep(&text, crate::knowledge::MAX_IMPORT_BYTES.min(200_000))), error, None).await {
                Ok(page) => render(&page, StatusCode::UNPROCESSABLE_ENTITY),
                Err(e) => failed(&v, here, e),
            }
        }
        Err(e) => failed(&v, here, e),
    }
}

// ----- /knowledge/stats -----

/// Periods the statistics may cover, in days.
const DAY_CHOICES: [i64; 4] = [7, 30, 90, 365];

struct StatsRow {
    href: String,
    id: String,
    title: String,
    lang_name: &'static str,
    used: i64,
    sent: i64,
    edited: String,
    negative: String,
    csat: String,
}

#[derive(Template)]
#[template(path = "knowledge_stats.html")]
struct StatsPage {
    lang: Lang,
    langs: [Lang; 3],
    me: Option<MenuUser>,
    csrf: String,
    here: String,
    current: &'static str,
    lead: bool,
    may_propose: bool,
    days: i64,
    day_choices: Vec<(i64, String, bool)>,
    rows: Vec<StatsRow>,
}

/// "40%" of a part in a whole, "—" without a whole.
fn percent(part: i64, whole: i64) -> String {
    if whole <= 0 { "—".to_owned() } else { format!("{:.0}%", part as f64 * 100.0 / whole as f64) }
}

async fn stats_page(State(state): State<AppState>, headers: HeaderMap, query: QueryPairs) -> Response {
    let q = query_pairs(query);
    let days = first(&q, "days").trim().parse::<i64>().ok().filter(|d| DAY_CHOICES.contains(d)).unwrap_or(30);
    let here = format!("/knowledge/stats?days={days}");
    let (v, p) = match gate(&state, &headers, &here, ui_lang(&q), None, Need::Edit).await {
        Ok(ok) => ok,
        Err(r) => return r,
    };
    let lang = v.lang;
    let since = state.store.now() - days * 86_400_000;
    let stats = match state.store.script_stats(p.clone(), since).await {
        Ok(stats) => stats,
        Err(e) => return failed(&v, &here, e.into()),
    };
    let rows = stats
        .iter()
        .map(|s| StatsRow {
            href: entry_href(&s.id, s.lang),
            id: s.id.clone(),
            title: s.title.clone(),
            lang_name: language_name(s.lang),
            used: s.used,
            sent: s.sent,
            edited: percent(s.edited, s.sent),
            negative: percent(s.negative_after, s.answered),
            csat: s.csat_average.map_or_else(|| "—".to_owned(), |a| format!("{a:.1} ({})", s.csat_count)),
        })
        .collect();
    let page = StatsPage {
        lang,
        langs: Lang::ALL,
        me: Some(menu_user(&state, &p).await),
        csrf: p.csrf_token.clone().unwrap_or_default(),
        here: percent_encode(&here),
        current: "stats",
        lead: true,
        may_propose: false,
        days,
        day_choices: DAY_CHOICES.iter().map(|d| (*d, lang.t("kb.stats.days").replace("{n}", &d.to_string()), *d == days)).collect(),
        rows,
    };
    render(&page, StatusCode::OK)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_text_is_escaped_with_its_placeholders_marked() {
        let html = script_html(Lang::ZhHans, "您好 {customer_name}，订单 **{order_no}** <b>已发货</b>；{{原样}} {unknown} {");
        assert!(html.contains(r#"<mark class="placeholder" data-var="customer_name" title="顾客称呼">{customer_name}</mark>"#), "{html}");
        assert!(html.contains(r#"<strong><mark class="placeholder" data-var="order_no""#), "{html}");
        assert!(html.contains("&lt;b&gt;已发货&lt;/b&gt;") && !html.contains("<b>"), "{html}");
        assert!(html.contains("{原样}") && html.contains("{unknown}") && html.contains(" {</p>"), "{html}");
        assert_eq!(script_html(Lang::En, "}} x }"), "<p>} x }</p>\n");
        // A placeholder in a link target stays inside its attribute, unmarked; the link's text is marked.
        let html = script_html(Lang::En, "[{order_no}](https://shop.example.com/o/{order_no}) <script>{x}</script>");
        assert!(html.contains(r#"<a href="https://shop.example.com/o/%7Border_no%7D"><mark"#) || html.contains(r#"<a href="https://shop.example.com/o/{order_no}"><mark"#), "{html}");
        assert!(!html.contains("<script"), "{html}");
        crate::pages::balanced(&script_html(Lang::ZhHans, "- {order_no}\n- **{date}** {{x}}\n\n| a | {amount} |\n|-|-|\n| 1 | 2 |\n")).unwrap();
    }

    #[test]
    fn every_catalog_key_of_these_pages_exists() {
        let templates = [
            include_str!("../../templates/knowledge.html"),
            include_str!("../../templates/knowledge_entry.html"),
            include_str!("../../templates/knowledge_edit.html"),
            include_str!("../../templates/knowledge_history.html"),
            include_str!("../../templates/knowledge_import.html"),
            include_str!("../../templates/knowledge_synonyms.html"),
            include_str!("../../templates/knowledge_stats.html"),
            include_str!("../../templates/knowledge_nav.html"),
            include_str!("knowledge.rs"),
        ];
        let mut keys: Vec<String> = Vec::new();
        for text in templates {
            for (at, _) in text.match_indices("\"kb.") {
                let key: String = text[at + 1..].chars().take_while(|c| *c != '"').collect();
                if !key.ends_with('.') && !key.contains('{') {
                    keys.push(key);
                }
            }
        }
        keys.extend(Kind::ALL.iter().map(|k| format!("kb.kind.{}", k.as_str())));
        keys.extend(Situation::ALL.iter().map(|s| format!("kb.situation.{}", s.as_str())));
        keys.extend(Variable::ALL.iter().map(|x| format!("kb.var.{}", x.as_str())));
        keys.extend(FIELDS.iter().map(|f| format!("kb.rule.{f}")));
        keys.extend(ChannelKind::ALL.iter().map(|c| format!("channel.{}", c.as_str())));
        assert!(keys.len() > 100, "{keys:?}");
        for key in keys {
            assert_ne!(Lang::En.t(&key), "?", "{key} is not in the catalog");
        }
    }

    #[test]
    fn the_list_filters_keep_scripts_for_any_complaint_type() {
        let fields = |complaint: &str| EntryFields {
            id: Some("s-1".into()),
            kind: Some(Kind::Script),
            lang: Some(Language::ZhHans),
            title: Some("t".into()),
            emotion: Some(Emotion::Anger),
            complaint_type: Some(complaint.into()),
            situation: Some(Situation::Apology),
            channel: Some("any".into()),
            variables: Some(vec![]),
            body: Some("抱歉".into()),
            ..EntryFields::default()
        };
        let entry = |complaint: &str| KbEntry {
            entry: anxin_domain::knowledge::Entry::try_from(fields(complaint)).unwrap(),
            version: 1,
            published: true,
            proposed_by: None,
            approved_by: None,
            created_at: 0,
            updated_at: 0,
            updated_by: None,
        };
        let f = Filters { complaint_type: Some(ComplaintType::Logistics), ..Filters::default() };
        assert!(f.keeps(&entry("logistics")) && f.keeps(&entry("any")) && !f.keeps(&entry("quality")));
        let f = Filters { emotion: Some(Emotion::Anxiety), ..Filters::default() };
        assert!(!f.keeps(&entry("any")));
        assert!(Filters::default().keeps(&entry("quality")));
    }

    #[test]
    fn pasted_text_is_named_after_its_entry() {
        let text = "+++\nid = \"returns-7-days\"\nkind = \"faq\"\nlang = \"en\"\ntitle = \"t\"\ncategory = \"c\"\n+++\nbody\n";
        assert_eq!(pasted_name("", text), "returns-7-days.en.md");
        assert_eq!(pasted_name("C:\\files\\x.zh-Hans.md", text), "x.zh-Hans.md");
        assert_eq!(pasted_name(" ", "{\"entries\": []}"), "pasted.json");
        assert_eq!(pasted_name("", "no front matter"), "pasted.md");
        assert_eq!(pasted_name("", "+++\nid = 'x-1'\nlang = \"en\"\ntitle = \"broken\n+++\n"), "x-1.en.md", "read from a broken file too");
        assert_eq!(pasted_name("", "+++\nid = \"../etc\"\nlang = \"en\"\n+++\n"), "pasted.md");
    }

    #[test]
    fn times_are_local() {
        assert_eq!(when(0, 8 * 3_600_000), "1970-01-01 08:00");
        assert_eq!(percent(1, 3), "33%");
        assert_eq!(percent(1, 0), "—");
    }
}
