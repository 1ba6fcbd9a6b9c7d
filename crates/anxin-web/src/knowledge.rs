//! The knowledge base and script library in the server (PRODUCT.md §3, §7): each node's search index, kept in step
//! with the database, and the JSON API (`/api/v1/knowledge…`). The HTML pages are in `pages/knowledge.rs`.
//!
//! The index of an organisation is built from its published entries the first time it is needed (every existing
//! organisation's at start-up) and then follows the `knowledge_changed` events of the event log, so a change made on
//! any node reaches every node's index; a change made here is also applied before the request answers, so its author
//! finds it at once. A lagging subscriber rebuilds from the database: the index is a cache, never a source.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, PoisonError};

use anxin_domain::events::EventKind;
use anxin_domain::knowledge::{self as domain, Entry, EntryFields, EntryId, Kind, Situation, Variable};
use anxin_domain::model::{ComplaintType, Emotion};
use anxin_domain::{Action, Language};
use anxin_search::{Hit, Query, SearchIndex, Synonyms};
use anxin_store::knowledge::{ChangeNote, EntryFilter, ImportReport, KbEntry, MAX_IMPORT, MAX_SYNONYMS_BYTES, Usage};
use anxin_store::{Principal, Store};
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::sync::OnceCell;
use tokio::sync::broadcast::error::RecvError;

use crate::AppState;
use crate::auth::Staff;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, ApiQuery, parse_json, read_limited};

/// Largest import request (all files together).
pub const MAX_IMPORT_BYTES: usize = 16 * 1024 * 1024;
/// Most hits one search returns.
const MAX_LIMIT: usize = 50;

/// Every organisation's search index on this node.
#[derive(Default)]
pub struct Library {
    indexes: Mutex<HashMap<i64, Arc<OnceCell<Arc<SearchIndex>>>>>,
}

fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError::Internal(format!("search index: {e}"))
}

impl Library {
    /// The organisation's index, built on first use. Subscribes to the organisation's events before reading the
    /// database, so no change committed in between is missed.
    pub async fn index(&self, store: &Store, org_id: i64) -> ApiResult<Arc<SearchIndex>> {
        let cell = self.indexes.lock().unwrap_or_else(PoisonError::into_inner).entry(org_id).or_default().clone();
        let index = cell
            .get_or_try_init(|| async {
                let events = store.bus().subscribe_org(org_id);
                let index = Arc::new(SearchIndex::new(Synonyms::default_list()).map_err(internal)?);
                rebuild(store, org_id, &index).await?;
                tokio::spawn(follow(store.clone(), org_id, Arc::downgrade(&index), events));
                Ok::<_, ApiError>(index)
            })
            .await?;
        Ok(index.clone())
    }

    /// Builds the index of every organisation (at start-up, so the first search is not the slow one).
    pub async fn warm_up(&self, store: &Store) -> ApiResult<()> {
        for org in store.organizations().await? {
            let org_id = org.id;
            let index = self.index(store, org_id).await?;
            tracing::info!(org_id, entries = index.len(), "knowledge index built");
        }
        Ok(())
    }

    /// Applies changes made on this node right away (the event will apply them again, harmlessly).
    pub async fn refresh(&self, store: &Store, org_id: i64, changed: &[(EntryId, Language)]) -> ApiResult<()> {
        let index = self.index(store, org_id).await?;
        refresh_entries(store, org_id, &index, changed).await
    }

    /// Searches the organisation's published entries.
    pub async fn search(&self, store: &Store, org_id: i64, query: Query) -> ApiResult<Vec<Hit>> {
        let index = self.index(store, org_id).await?;
        tokio::task::spawn_blocking(move || index.search(&query)).await.map_err(internal)?.map_err(internal)
    }
}

/// Replaces the index's content and synonyms with the database's.
async fn rebuild(store: &Store, org_id: i64, index: &Arc<SearchIndex>) -> ApiResult<()> {
    let synonyms = synonyms_of(store, org_id).await?;
    let entries = store.published_entries(org_id).await?;
    let index = index.clone();
    tokio::task::spawn_blocking(move || {
        index.set_synonyms(synonyms);
        index.rebuild(&entries)
    })
    .await
    .map_err(internal)?
    .map_err(internal)
}

async fn synonyms_of(store: &Store, org_id: i64) -> ApiResult<Synonyms> {
    Ok(match store.knowledge_synonyms(org_id).await? {
        Some(text) => Synonyms::parse(&text),
        None => Synonyms::default_list(),
    })
}

async fn refresh_entries(store: &Store, org_id: i64, index: &Arc<SearchIndex>, changed: &[(EntryId, Language)]) -> ApiResult<()> {
    for (id, lang) in changed {
        let current = store.published_entry(org_id, id.clone(), *lang).await?;
        let (index, id, lang) = (index.clone(), id.clone(), *lang);
        tokio::task::spawn_blocking(move || match current {
            Some(entry) => index.upsert(&entry),
            None => index.remove(id.as_str(), lang),
        })
        .await
        .map_err(internal)?
        .map_err(internal)?;
    }
    Ok(())
}

/// Keeps one organisation's index in step with the event log until the index is dropped.
async fn follow(store: Store, org_id: i64, index: std::sync::Weak<SearchIndex>, mut events: tokio::sync::broadcast::Receiver<Arc<anxin_domain::events::Event>>) {
    loop {
        let event = events.recv().await;
        let Some(index) = index.upgrade() else { return };
        let result = match event {
            Ok(e) if e.kind == EventKind::KnowledgeChanged => apply(&store, org_id, &index, &e.data).await,
            Ok(_) => Ok(()),
            Err(RecvError::Lagged(_)) => rebuild(&store, org_id, &index).await,
            Err(RecvError::Closed) => return,
        };
        if let Err(e) = result {
            // The database may be briefly away: rebuild once it answers again, so nothing stays stale.
            tracing::warn!(org_id, error = ?e, "knowledge index: change not applied; rebuilding");
            loop {
                tokio::time::sleep(std::time::Duration::from_secs(2)).await;
                if rebuild(&store, org_id, &index).await.is_ok() {
                    break;
                }
            }
        }
    }
}

/// One `knowledge_changed` event.
async fn apply(store: &Store, org_id: i64, index: &Arc<SearchIndex>, data: &Value) -> ApiResult<()> {
    if data["rebuild"] == true {
        return rebuild(store, org_id, index).await;
    }
    if data["synonyms"] == true {
        index.set_synonyms(synonyms_of(store, org_id).await?);
    }
    let changed: Vec<(EntryId, Language)> = data["entries"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| Some((EntryId::parse(e["id"].as_str()?).ok()?, Language::parse(e["lang"].as_str()?)?)))
        .collect();
    refresh_entries(store, org_id, index, &changed).await
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/knowledge", get(list))
        .route("/api/v1/knowledge/search", get(search))
        .route("/api/v1/knowledge/import", post(import))
        .route("/api/v1/knowledge/export", get(export))
        .route("/api/v1/knowledge/synonyms", get(synonyms).put(save_synonyms))
        .route("/api/v1/knowledge/stats", get(stats))
        .route("/api/v1/knowledge/reindex", post(reindex))
        .route("/api/v1/knowledge/{id}/{lang}", get(show).put(save))
        .route("/api/v1/knowledge/{id}/{lang}/versions", get(versions))
        .route("/api/v1/knowledge/{id}/{lang}/diff", get(diff))
        .route("/api/v1/knowledge/{id}/{lang}/markdown", get(markdown_file))
        .route("/api/v1/knowledge/{id}/{lang}/publish", post(publish))
        .route("/api/v1/knowledge/{id}/{lang}/unpublish", post(unpublish))
        .route("/api/v1/knowledge/{id}/{lang}/use", post(record_use))
}

/// An `{id}/{lang}` path: a malformed one is a 400 naming the part, like other path ids.
pub(crate) fn entry_key(id: &str, lang: &str) -> ApiResult<(EntryId, Language)> {
    let id = EntryId::parse(id).map_err(|e| ApiError::bad_request("invalid_path", format!("entry id: {}", e.message)))?;
    let lang = Language::parse(lang).ok_or_else(|| ApiError::bad_request("invalid_path", "language: zh-Hans, zh-Hant or en"))?;
    Ok((id, lang))
}

/// An entry as the API shows it: its fields, standing and (for articles and FAQ) the sanitised HTML.
#[derive(Serialize)]
pub struct EntryView {
    #[serde(flatten)]
    pub entry: KbEntry,
    pub kind: Kind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub html: Option<String>,
}

pub fn entry_view(entry: KbEntry, with_html: bool) -> EntryView {
    let kind = entry.entry.kind();
    let html = (with_html && kind != Kind::Script).then(|| crate::markdown::render(entry.entry.body()));
    EntryView { entry, kind, html }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    kind: Option<String>,
    lang: Option<String>,
    #[serde(default)]
    pending: bool,
}

/// `GET /api/v1/knowledge`: the entries the caller may see (published ones; leads also drafts; an agent also
/// their own proposals), filtered by kind and language; `pending=true` for proposals awaiting approval.
async fn list(State(state): State<AppState>, staff: Staff, ApiQuery(q): ApiQuery<ListQuery>) -> ApiResult<Json<Value>> {
    let me = staff.require(Action::ReadKnowledge)?.clone();
    let filter = EntryFilter {
        kind: q.kind.as_deref().map(|k| Kind::parse(k).ok_or_else(|| ApiError::invalid("kind", "unknown", "faq, article or script"))).transpose()?,
        lang: q.lang.as_deref().map(parse_lang).transpose()?,
        published_only: false,
        pending_only: q.pending,
    };
    let entries = state.store.entries(me, filter).await?;
    let views: Vec<EntryView> = entries.into_iter().map(|e| entry_view(e, false)).collect();
    Ok(Json(json!({ "entries": views })))
}

fn parse_lang(text: &str) -> ApiResult<Language> {
    Language::parse(text).ok_or_else(|| ApiError::invalid("lang", "unknown", "zh-Hans, zh-Hant or en"))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct SearchParams {
    #[serde(default)]
    pub q: String,
    pub kind: Option<String>,
    pub lang: Option<String>,
    pub emotion: Option<String>,
    pub complaint_type: Option<String>,
    pub situation: Option<String>,
    pub channel: Option<String>,
    /// Without `lang`: the variant to show when an entry has several.
    pub prefer: Option<String>,
    pub limit: Option<usize>,
}

impl SearchParams {
    /// The index query these parameters ask for; an unknown filter value is a 422 naming it.
    pub fn query(&self) -> ApiResult<Query> {
        fn pick<T>(field: &str, value: Option<&str>, parse: impl Fn(&str) -> Option<T>) -> ApiResult<Option<T>> {
            value
                .filter(|v| !v.is_empty())
                .map(|v| parse(v).ok_or_else(|| ApiError::invalid(field, "unknown", format!("not a known {field}"))))
                .transpose()
        }
        if self.q.chars().count() > 500 {
            return Err(ApiError::invalid("q", "too_long", "at most 500 characters"));
        }
        let mut query = Query::text(self.q.trim());
        query.kinds = pick("kind", self.kind.as_deref(), Kind::parse)?.into_iter().collect();
        query.lang = pick("lang", self.lang.as_deref(), Language::parse)?;
        query.emotion = pick("emotion", self.emotion.as_deref(), Emotion::parse)?;
        query.complaint_type = pick("complaint_type", self.complaint_type.as_deref(), ComplaintType::parse)?;
        query.situation = pick("situation", self.situation.as_deref(), Situation::parse)?;
        query.channel = pick("channel", self.channel.as_deref(), anxin_domain::ChannelKind::parse)?;
        query.prefer = pick("prefer", self.prefer.as_deref(), Language::parse)?;
        query.limit = match self.limit {
            Some(0) => return Err(ApiError::invalid("limit", "out_of_range", format!("1 to {MAX_LIMIT}"))),
            Some(n) if n > MAX_LIMIT => return Err(ApiError::invalid("limit", "out_of_range", format!("1 to {MAX_LIMIT}"))),
            Some(n) => n,
            None => 10,
        };
        Ok(query)
    }
}

/// A hit as the API shows it: the snippet as text with the matched parts as character ranges, and as HTML with
/// `<mark>` around them (everything else escaped).
pub fn hit_json(hit: &Hit) -> Value {
    let mut ranges = Vec::new();
    let mut html = String::new();
    let mut at = 0;
    for range in &hit.ranges {
        if range.start < at || range.end > hit.snippet.len() || !hit.snippet.is_char_boundary(range.start) || !hit.snippet.is_char_boundary(range.end) {
            continue;
        }
        html.push_str(&escape(&hit.snippet[at..range.start]));
        html.push_str("<mark>");
        html.push_str(&escape(&hit.snippet[range.clone()]));
        html.push_str("</mark>");
        let start = hit.snippet[..range.start].chars().count();
        ranges.push([start, start + hit.snippet[range.clone()].chars().count()]);
        at = range.end;
    }
    html.push_str(&escape(&hit.snippet[at..]));
    json!({
        "id": hit.id, "lang": hit.lang, "kind": hit.kind, "title": hit.title, "score": hit.score,
        "snippet": hit.snippet, "highlights": ranges, "snippet_html": html,
    })
}

pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
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

/// `GET /api/v1/knowledge/search?q=…`: published entries by relevance, with filters (kind, lang, emotion,
/// complaint_type, situation) and highlighted snippets.
async fn search(State(state): State<AppState>, staff: Staff, ApiQuery(params): ApiQuery<SearchParams>) -> ApiResult<Json<Value>> {
    let me = staff.require(Action::ReadKnowledge)?;
    let query = params.query()?;
    let hits = state.library.search(&state.store, me.org_id, query).await?;
    Ok(Json(json!({ "hits": hits.iter().map(hit_json).collect::<Vec<_>>() })))
}

/// `GET /api/v1/knowledge/{id}/{lang}`.
async fn show(State(state): State<AppState>, staff: Staff, ApiPath((id, lang)): ApiPath<(String, String)>) -> ApiResult<Json<EntryView>> {
    let me = staff.require(Action::ReadKnowledge)?.clone();
    let (id, lang) = entry_key(&id, &lang)?;
    Ok(Json(entry_view(state.store.entry(me, id, lang).await?, true)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SaveBody {
    entry: EntryFields,
    change_note: Option<String>,
}

/// Checks a change note as typed in a form or a request.
pub fn change_note(text: Option<&str>) -> ApiResult<Option<ChangeNote>> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(t) => ChangeNote::parse(t).map(Some).map_err(|reason| ApiError::invalid("change_note", reason, "one line of at most 500 characters")),
    }
}

/// Checks entry fields from a form or request, naming the first broken field (`body` problems with their line).
pub fn checked_entry(fields: EntryFields) -> ApiResult<Entry> {
    Entry::try_from(fields).map_err(|e| {
        let message = match e.body_line {
            Some(line) => format!("line {line}: {}", e.message),
            None => e.message.clone(),
        };
        ApiError::invalid(e.field, "invalid", message)
    })
}

/// Saves an entry and brings this node's index up to date (the shared path of the API and the pages).
pub async fn save_entry(state: &AppState, me: &Principal, entry: Entry, note: Option<ChangeNote>) -> ApiResult<KbEntry> {
    let key = (entry.id().clone(), entry.lang());
    let saved = state.store.save_entry(me.clone(), entry, note).await?;
    state.library.refresh(&state.store, me.org_id, &[key]).await?;
    Ok(saved)
}

/// Publishes or withdraws an entry and updates this node's index.
pub async fn set_published(state: &AppState, me: &Principal, id: EntryId, lang: Language, published: bool) -> ApiResult<KbEntry> {
    let saved = state.store.set_published(me.clone(), id.clone(), lang, published).await?;
    state.library.refresh(&state.store, me.org_id, &[(id, lang)]).await?;
    Ok(saved)
}

/// Why an import was refused: every problem with its file and line; nothing was imported.
pub struct ImportFailure(pub Vec<domain::ImportError>);

impl IntoResponse for ImportFailure {
    fn into_response(self) -> Response {
        let errors: Vec<Value> = self
            .0
            .iter()
            .map(|e| json!({"file": e.file, "line": e.line, "field": e.field, "message": e.message, "text": e.to_string()}))
            .collect();
        let message = self.0.first().map(|e| e.to_string()).unwrap_or_default();
        let body = json!({"error": {"code": "import_invalid", "message": format!("nothing was imported: {message}"), "details": {"errors": errors}}});
        (StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response()
    }
}

/// Parses and imports files, all or nothing, and updates this node's index.
pub async fn import_files(state: &AppState, me: &Principal, files: &[(String, String)]) -> Result<ImportReport, Response> {
    let entries = domain::import(files).map_err(|errors| ImportFailure(errors).into_response())?;
    if entries.len() > MAX_IMPORT {
        return Err(ApiError::invalid("files", "too_many", format!("at most {MAX_IMPORT} entries per import")).into_response());
    }
    let changed: Vec<(EntryId, Language)> = entries.iter().map(|e| (e.id().clone(), e.lang())).collect();
    let report = state.store.import_knowledge(me.clone(), entries).await.map_err(|e| ApiError::from(e).into_response())?;
    let refreshed = if changed.len() > 200 {
        match state.library.index(&state.store, me.org_id).await {
            Ok(index) => rebuild(&state.store, me.org_id, &index).await,
            Err(e) => Err(e),
        }
    } else {
        state.library.refresh(&state.store, me.org_id, &changed).await
    };
    refreshed.map_err(IntoResponse::into_response)?;
    Ok(report)
}

/// `PUT /api/v1/knowledge/{id}/{lang}` `{"entry": {…}, "change_note": "…"}`: saves a version (leads), or an agent's
/// script proposal. The path names the entry; the body may repeat its id and language but not contradict them.
async fn save(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath((id, lang)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<SaveBody>,
) -> ApiResult<Json<EntryView>> {
    let me = staff.require(Action::ReadKnowledge)?.clone();
    let (id, lang) = entry_key(&id, &lang)?;
    let mut fields = body.entry;
    if fields.id.as_deref().is_some_and(|given| given != id.as_str()) {
        return Err(ApiError::invalid("entry.id", "mismatch", "the body's id differs from the path's"));
    }
    if fields.lang.is_some_and(|given| given != lang) {
        return Err(ApiError::invalid("entry.lang", "mismatch", "the body's language differs from the path's"));
    }
    (fields.id, fields.lang) = (Some(id.as_str().to_owned()), Some(lang));
    let entry = checked_entry(fields)?;
    let note = change_note(body.change_note.as_deref())?;
    Ok(Json(entry_view(save_entry(&state, &me, entry, note).await?, true)))
}

async fn publish(State(state): State<AppState>, staff: Staff, ApiPath((id, lang)): ApiPath<(String, String)>) -> ApiResult<Json<EntryView>> {
    let me = staff.require(Action::EditKnowledge)?.clone();
    let (id, lang) = entry_key(&id, &lang)?;
    Ok(Json(entry_view(set_published(&state, &me, id, lang, true).await?, false)))
}

async fn unpublish(State(state): State<AppState>, staff: Staff, ApiPath((id, lang)): ApiPath<(String, String)>) -> ApiResult<Json<EntryView>> {
    let me = staff.require(Action::EditKnowledge)?.clone();
    let (id, lang) = entry_key(&id, &lang)?;
    Ok(Json(entry_view(set_published(&state, &me, id, lang, false).await?, false)))
}

/// `GET /api/v1/knowledge/{id}/{lang}/versions`: every version, newest first.
async fn versions(State(state): State<AppState>, staff: Staff, ApiPath((id, lang)): ApiPath<(String, String)>) -> ApiResult<Json<Value>> {
    let me = staff.require(Action::ReadKnowledge)?.clone();
    let (id, lang) = entry_key(&id, &lang)?;
    Ok(Json(json!({ "versions": state.store.entry_versions(me, id, lang).await? })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DiffQuery {
    from: i64,
    to: i64,
}

/// `GET /api/v1/knowledge/{id}/{lang}/diff?from=1&to=2`: line changes between two versions (as exported).
async fn diff(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath((id, lang)): ApiPath<(String, String)>,
    ApiQuery(q): ApiQuery<DiffQuery>,
) -> ApiResult<Json<Value>> {
    let me = staff.require(Action::ReadKnowledge)?.clone();
    let (id, lang) = entry_key(&id, &lang)?;
    Ok(Json(json!({ "diff": state.store.entry_diff(me, id, lang, q.from, q.to).await? })))
}

/// `GET /api/v1/knowledge/{id}/{lang}/markdown`: the entry as an importable Markdown file.
async fn markdown_file(State(state): State<AppState>, staff: Staff, ApiPath((id, lang)): ApiPath<(String, String)>) -> ApiResult<Response> {
    let me = staff.require(Action::ReadKnowledge)?.clone();
    let (id, lang) = entry_key(&id, &lang)?;
    let entry = state.store.entry(me, id.clone(), lang).await?.entry;
    let disposition = format!("attachment; filename=\"{}.{}.md\"", id.as_str(), lang.as_str());
    Ok(([(header::CONTENT_TYPE, "text/markdown; charset=utf-8".to_owned()), (header::CONTENT_DISPOSITION, disposition)], domain::to_markdown(&entry))
        .into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ImportBody {
    files: Vec<ImportFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ImportFile {
    name: String,
    text: String,
}

/// `POST /api/v1/knowledge/import` `{"files": [{"name": "x.zh-Hans.md", "text": "…"}, …]}` (leads; Markdown with
/// front matter or JSON, up to 16 MB together): all or nothing — a malformed file is a 422 listing every problem
/// with its file and line, and nothing is stored.
async fn import(State(state): State<AppState>, staff: Staff, request: Request) -> Response {
    let content_type = request.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    // Read before refusing, so a large refused upload gets its answer rather than a reset connection.
    let bytes = read_limited(request.into_body(), MAX_IMPORT_BYTES).await;
    let me = match staff.require(Action::EditKnowledge) {
        Ok(me) => me.clone(),
        Err(e) => return e.into_response(),
    };
    if !content_type.is_empty() && !content_type.starts_with("application/json") {
        return ApiError::bad_request("unsupported_media_type", "send the body as application/json").into_response();
    }
    let body: ImportBody = match bytes.and_then(|bytes| parse_json(&bytes)) {
        Ok(body) => body,
        Err(e) => return e.into_response(),
    };
    if body.files.is_empty() {
        return ApiError::invalid("files", "empty", "send at least one file").into_response();
    }
    let files: Vec<(String, String)> = body.files.into_iter().map(|f| (f.name, f.text)).collect();
    match import_files(&state, &me, &files).await {
        Ok(report) => Json(json!({ "report": report })).into_response(),
        Err(response) => response,
    }
}

/// `GET /api/v1/knowledge/export`: every entry (published or not) as one JSON file that imports back unchanged.
async fn export(State(state): State<AppState>, staff: Staff) -> ApiResult<Response> {
    let me = staff.require(Action::EditKnowledge)?.clone();
    let entries = state.store.export_knowledge(me).await?;
    Ok((
        [(header::CONTENT_TYPE, "application/json; charset=utf-8"), (header::CONTENT_DISPOSITION, "attachment; filename=\"anxin-knowledge.json\"")],
        domain::to_json(&entries),
    )
        .into_response())
}

/// `GET /api/v1/knowledge/synonyms`: the organisation's list (one group of interchangeable words per line) and
/// whether it is its own or the built-in one.
async fn synonyms(State(state): State<AppState>, staff: Staff) -> ApiResult<Json<Value>> {
    let me = staff.require(Action::ReadKnowledge)?;
    let own = state.store.knowledge_synonyms(me.org_id).await?;
    let custom = own.is_some();
    let text = own.unwrap_or_else(|| anxin_search::DEFAULT_SYNONYMS.to_owned());
    let groups = Synonyms::parse(&text).groups().len();
    Ok(Json(json!({ "synonyms": text, "custom": custom, "groups": groups })))
}

/// Checks a synonym list as typed: bounded, no control characters but line ends and tabs.
pub fn checked_synonyms(text: String) -> ApiResult<String> {
    if text.len() > MAX_SYNONYMS_BYTES {
        return Err(ApiError::invalid("synonyms", "too_long", format!("at most {MAX_SYNONYMS_BYTES} bytes")));
    }
    if text.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
        return Err(ApiError::invalid("synonyms", "invalid", "control characters are not allowed"));
    }
    Ok(text.replace("\r\n", "\n"))
}

/// Saves a synonym list and applies it to this node's index at once.
pub async fn set_synonyms(state: &AppState, me: &Principal, text: String) -> ApiResult<usize> {
    let text = checked_synonyms(text)?;
    let synonyms = Synonyms::parse(&text);
    let groups = synonyms.groups().len();
    state.store.set_knowledge_synonyms(me.clone(), text).await?;
    state.library.index(&state.store, me.org_id).await?.set_synonyms(synonyms);
    Ok(groups)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SynonymsBody {
    synonyms: String,
}

/// `PUT /api/v1/knowledge/synonyms` (leads): replaces the list; every node uses it for the next query.
async fn save_synonyms(State(state): State<AppState>, staff: Staff, ApiJson(body): ApiJson<SynonymsBody>) -> ApiResult<Json<Value>> {
    let me = staff.require(Action::EditKnowledge)?.clone();
    let groups = set_synonyms(&state, &me, body.synonyms).await?;
    Ok(Json(json!({ "groups": groups })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StatsQuery {
    days: Option<i64>,
}

/// `GET /api/v1/knowledge/stats?days=30` (leads): how each script fared.
async fn stats(State(state): State<AppState>, staff: Staff, ApiQuery(q): ApiQuery<StatsQuery>) -> ApiResult<Json<Value>> {
    let me = staff.require(Action::EditKnowledge)?.clone();
    let days = q.days.unwrap_or(30);
    if !(1..=365).contains(&days) {
        return Err(ApiError::invalid("days", "out_of_range", "1 to 365"));
    }
    let since = state.store.now() - days * 86_400_000;
    Ok(Json(json!({ "days": days, "scripts": state.store.script_stats(me, since).await? })))
}

/// `POST /api/v1/knowledge/reindex` (leads): every node rebuilds this organisation's index from the database.
async fn reindex(State(state): State<AppState>, staff: Staff) -> ApiResult<Json<Value>> {
    let me = staff.require(Action::EditKnowledge)?.clone();
    state.store.request_reindex(me.clone()).await?;
    let index = state.library.index(&state.store, me.org_id).await?;
    rebuild(&state.store, me.org_id, &index).await?;
    Ok(Json(json!({ "entries": index.len() })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UseBody {
    conversation_id: Option<i64>,
}

/// `POST /api/v1/knowledge/{id}/{lang}/use` `{"conversation_id": 1}`: the caller used this entry (opened it for a
/// customer, sent its link); they will be told about its next version. Scripts sent in a reply are recorded with
/// the reply (`script` in `POST /conversations/{id}/messages`).
async fn record_use(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath((id, lang)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<UseBody>,
) -> ApiResult<StatusCode> {
    let me = staff.require(Action::ReadKnowledge)?.clone();
    let (id, lang) = entry_key(&id, &lang)?;
    state.store.record_usage(me, id, lang, Usage { conversation_id: body.conversation_id, ..Usage::default() }).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A script's text for one conversation, as it goes into a chat reply: Markdown emphasis and list marks written by
/// authors become plain text (chat shows no Markdown), the variables Anxin knows are filled in (customer name
/// unless it is only a visitor label, the order number the customer gave most recently, the agent's name), the rest
/// stay as `{placeholders}` for the agent — a wrong date or amount is worse than a visible gap.
pub fn fill_script(body: &str, known: &BTreeMap<Variable, String>) -> String {
    domain::render_placeholders(&crate::markdown::plain_text(body), known)
}
