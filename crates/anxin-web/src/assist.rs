//! Reply assistance for the message an agent is answering (PRODUCT.md §3): the strategy for the customer's
//! emotion, the three scripts that fit it and the complaint type, the three knowledge answers for the question, and
//! a one-click answer when the question repeats an FAQ. Scripts come with the variables Anxin knows filled in; what
//! is left (a date, an amount) stays visible as `{placeholder}` for the agent.

use std::collections::BTreeMap;

use anxin_domain::knowledge::{Entry, EntryId, Variable};
use anxin_domain::model::{ComplaintType, Emotion};
use anxin_domain::strategy::Strategy;
use anxin_domain::{Action, Language, MessageKind};
use anxin_search::assist::{AssistRequest, assist};
use anxin_search::Hit;
use anxin_store::records::{Conversation, Message};
use anxin_store::knowledge::Usage;
use anxin_store::Principal;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::AppState;
use crate::auth::Staff;
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiPath;
use crate::i18n::Lang;
use crate::knowledge::{fill_script, hit_json};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/conversations/{id}/assist", get(suggestions))
        .route("/inbox/{id}/assist", get(panel_page))
}

/// `GET /inbox/{id}/assist`: the panel alone (HTML), for the workspace to refresh in place.
async fn panel_page(State(state): State<AppState>, headers: HeaderMap, axum::extract::Path(id): axum::extract::Path<String>) -> axum::response::Response {
    use axum::response::IntoResponse;
    let v = crate::pages::viewer(&state, &headers, None).await;
    let Some(me) = v.principal.clone() else { return axum::http::StatusCode::UNAUTHORIZED.into_response() };
    if !me.role.can(Action::Reply) {
        return axum::http::StatusCode::FORBIDDEN.into_response();
    }
    let Ok(id) = id.parse::<i64>() else { return axum::http::StatusCode::NOT_FOUND.into_response() };
    match panel(&state, &me, id, v.lang).await {
        Ok(panel) => crate::pages::render(&panel, axum::http::StatusCode::OK),
        Err(e) => e.into_response(),
    }
}

/// What Anxin knows for a conversation's script variables.
pub fn known_variables(me: &Principal, conversation: &Conversation, messages: &[Message]) -> BTreeMap<Variable, String> {
    let mut known = BTreeMap::new();
    // A visitor without a name has a label like "访客 3f2a9c", which is no way to address anyone.
    let name = conversation.customer_name.trim();
    if !name.is_empty() && !name.starts_with("访客 ") && !name.starts_with("Visitor ") {
        known.insert(Variable::CustomerName, name.to_owned());
    }
    let order = messages.iter().rev().filter(|m| m.kind == MessageKind::Customer).find_map(|m| {
        let spans = m.analysis.as_ref()?["pii"]["spans"].as_array()?.clone();
        spans.iter().rev().find(|s| s["kind"] == "order_no").and_then(|s| s["text"].as_str().map(str::to_owned))
    });
    if let Some(order) = order {
        known.insert(Variable::OrderNo, order);
    }
    if me.user_id.is_some() && !me.name.trim().is_empty() {
        known.insert(Variable::AgentName, me.name.clone());
    }
    known
}

/// The `{placeholders}` a filled script still shows, in order.
pub fn unfilled(text: &str) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for variable in Variable::ALL {
        let placeholder = format!("{{{}}}", variable.as_str());
        if text.contains(&placeholder) && !out.contains(&variable.as_str()) {
            out.push(variable.as_str());
        }
    }
    out
}

fn language_of(analysis: Option<&Value>) -> Option<Language> {
    analysis.and_then(|a| a["language"].as_str()).and_then(Language::parse)
}

/// `GET /api/v1/conversations/{id}/assist`: suggestions for the customer's latest message.
async fn suggestions(State(state): State<AppState>, staff: Staff, headers: HeaderMap, ApiPath(id): ApiPath<i64>) -> ApiResult<Json<Value>> {
    let me = staff.require(Action::Reply)?.clone();
    let lang = Lang::negotiate(None, None, headers.get("accept-language").and_then(|v| v.to_str().ok()));
    Ok(Json(suggest(&state, &me, id, lang).await?))
}

/// A script offered for this conversation: the hit, its text with what is known filled in, what is left.
pub struct ScriptSuggestion {
    pub hit: Hit,
    pub text: String,
    pub unfilled: Vec<&'static str>,
}

/// Everything the assistant offers for the customer's latest message.
pub struct Suggestions {
    pub message_id: Option<i64>,
    pub emotion: Emotion,
    pub complaint_type: Option<ComplaintType>,
    pub strategy: Strategy,
    pub scripts: Vec<ScriptSuggestion>,
    pub answers: Vec<Hit>,
    /// The FAQ the message repeats, with its answer as plain text for the chat.
    pub repeated: Option<(anxin_search::assist::Repeated, String)>,
}

/// Computes the suggestions for a conversation the viewer may read.
pub async fn suggestions_for(state: &AppState, me: &Principal, conversation_id: i64) -> ApiResult<Suggestions> {
    let conversation = state.store.conversation(me.org_id, conversation_id).await?;
    let messages = state.store.messages(me.org_id, conversation_id, 0, 500, false).await?;
    let Some(last) = messages.iter().rev().find(|m| m.kind == MessageKind::Customer) else {
        let strategy = Strategy::choose(None, &conversation.signals, conversation.risk);
        return Ok(Suggestions { message_id: None, emotion: Emotion::Neutral, complaint_type: None, strategy, scripts: Vec::new(), answers: Vec::new(), repeated: None });
    };
    let analysis = last.analysis.as_ref();
    let emotion = analysis.and_then(|a| a["emotion"]["label"].as_str()).and_then(Emotion::parse).unwrap_or(Emotion::Neutral);
    let complaint_type = conversation.complaint_type.as_deref().and_then(ComplaintType::parse);
    let strategy = Strategy::choose(Some(emotion.as_str()), &conversation.signals, conversation.risk);
    let index = state.library.index(&state.store, me.org_id).await?;
    let text = last.text.clone();
    let preferred = language_of(analysis);
    let channel = conversation.channel_kind;
    let found = tokio::task::spawn_blocking(move || {
        let request = AssistRequest { text: &text, emotion, complaint_type, channel: Some(channel), lang: preferred };
        assist(&index, &request)
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))?
    .map_err(|e| ApiError::Internal(e.to_string()))?;

    let known = known_variables(me, &conversation, &messages);
    let scripts = found
        .scripts
        .into_iter()
        .map(|hit| {
            let text = script_text(&hit, &known);
            let unfilled = unfilled(&text);
            ScriptSuggestion { hit, text, unfilled }
        })
        .collect();
    let repeated = match found.repeated {
        None => None,
        Some(r) => {
            let body = match found.answers.iter().find(|a| a.id == r.id && a.lang == r.lang) {
                Some(answer) => answer.body.clone(),
                None => match EntryId::parse(&r.id) {
                    Ok(id) => state.store.entry(me.clone(), id, r.lang).await?.entry.body().to_owned(),
                    Err(_) => String::new(),
                },
            };
            let text = crate::markdown::plain_text(&body);
            Some((r, text))
        }
    };
    Ok(Suggestions { message_id: Some(last.id), emotion, complaint_type, strategy, scripts, answers: found.answers, repeated })
}

/// The suggestions as JSON.
pub async fn suggest(state: &AppState, me: &Principal, conversation_id: i64, ui: Lang) -> ApiResult<Value> {
    let s = suggestions_for(state, me, conversation_id).await?;
    let scripts: Vec<Value> = s
        .scripts
        .iter()
        .map(|script| {
            let mut view = hit_json(&script.hit);
            view["text"] = json!(script.text);
            view["unfilled"] = json!(script.unfilled);
            view
        })
        .collect();
    let answers: Vec<Value> = s
        .answers
        .iter()
        .map(|hit| {
            let mut view = hit_json(hit);
            view["text"] = json!(crate::markdown::plain_text(&hit.body));
            view
        })
        .collect();
    let repeated = s.repeated.as_ref().map(|(r, text)| json!({ "id": r.id, "lang": r.lang, "title": r.title, "similarity": r.similarity, "text": text }));
    let key = s.strategy.key();
    let title = if s.strategy == Strategy::IrrationalComplaint { ui.t("strategy.irrational") } else { ui.t(&format!("emotion.{key}")) };
    Ok(json!({
        "message_id": s.message_id,
        "emotion": s.emotion,
        "complaint_type": s.complaint_type,
        "strategy": {
            "key": key,
            "title": title,
            "lines": (1..=3).map(|i| ui.t(&format!("strategy.{key}.{i}"))).collect::<Vec<_>>(),
        },
        "scripts": scripts,
        "answers": answers,
        "repeated": repeated,
    }))
}

/// A piece of a script as shown: text, or a placeholder still to fill (marked so the agent sees it).
pub struct Piece {
    pub text: String,
    pub placeholder: bool,
}

fn pieces(text: &str) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find('{') {
        let Some(len) = rest[start..].find('}') else { break };
        let name = &rest[start + 1..start + len];
        if Variable::parse(name).is_none() {
            out.push(Piece { text: rest[..start + 1].to_owned(), placeholder: false });
            rest = &rest[start + 1..];
            continue;
        }
        if start > 0 {
            out.push(Piece { text: rest[..start].to_owned(), placeholder: false });
        }
        out.push(Piece { text: rest[start..start + len + 1].to_owned(), placeholder: true });
        rest = &rest[start + len + 1..];
    }
    if !rest.is_empty() {
        out.push(Piece { text: rest.to_owned(), placeholder: false });
    }
    out
}

pub struct ScriptCard {
    pub n: usize,
    pub id: String,
    pub lang: String,
    pub title: String,
    pub pieces: Vec<Piece>,
    pub text: String,
    pub unfilled: String,
}

pub struct AnswerCard {
    pub n: usize,
    pub id: String,
    pub lang: String,
    pub title: String,
    pub snippet_html: String,
    pub text: String,
}

/// The reply assistant's panel in the workspace (`templates/inbox_assist.html`); also served alone at
/// `/inbox/{id}/assist` so the page refreshes it when the customer writes again.
#[derive(askama::Template)]
#[template(path = "inbox_assist.html")]
pub struct AssistPanel {
    pub lang: Lang,
    pub conversation_id: i64,
    pub scripts: Vec<ScriptCard>,
    pub answers: Vec<AnswerCard>,
    pub repeated: Option<AnswerCard>,
}

/// Renders the panel for a conversation.
pub async fn panel(state: &AppState, me: &Principal, conversation_id: i64, lang: Lang) -> ApiResult<AssistPanel> {
    let s = suggestions_for(state, me, conversation_id).await?;
    let scripts = s
        .scripts
        .into_iter()
        .enumerate()
        .map(|(n, script)| {
            ScriptCard {
                n,
                id: script.hit.id.clone(),
                lang: script.hit.lang.as_str().to_owned(),
                title: script.hit.title.clone(),
                pieces: pieces(&script.text),
                unfilled: script.unfilled.iter().map(|v| format!("{{{v}}}")).collect::<Vec<_>>().join(" "),
                text: script.text,
            }
        })
        .collect();
    let answer_card = |n: usize, hit: &Hit| AnswerCard {
        n,
        id: hit.id.clone(),
        lang: hit.lang.as_str().to_owned(),
        title: hit.title.clone(),
        snippet_html: hit_json(hit)["snippet_html"].as_str().unwrap_or_default().to_owned(),
        text: crate::markdown::plain_text(&hit.body),
    };
    let answers = s.answers.iter().enumerate().map(|(n, hit)| answer_card(n, hit)).collect();
    let repeated = s.repeated.map(|(r, text)| AnswerCard {
        n: 0,
        id: r.id,
        lang: r.lang.as_str().to_owned(),
        title: r.title,
        snippet_html: String::new(),
        text,
    });
    Ok(AssistPanel { lang, conversation_id, scripts, answers, repeated })
}

/// A script hit's text with the known variables filled in.
fn script_text(hit: &Hit, known: &BTreeMap<Variable, String>) -> String {
    fill_script(&hit.body, known)
}

/// After a reply that used a script: records the use with the reply, and whether the agent changed the script's
/// text (compared with the script as the assistant filled it for this conversation). Failures are logged: the
/// reply itself is committed and stands.
/// Texts of the reply assistant (the catalog's `assist.*` section).
pub const TEXTS: &[(&str, [&str; 3])] = &[
    ("assist.title", ["回复助手", "回覆助手", "Reply assistant"]),
    ("assist.scripts", ["推荐话术", "推薦話術", "Suggested scripts"]),
    ("assist.answers", ["知识库答案", "知識庫答案", "Knowledge answers"]),
    ("assist.repeated", ["重复问题：知识库已有答案", "重複問題：知識庫已有答案", "Repeated question: the knowledge base answers it"]),
    ("assist.send_answer", ["一键回答", "一鍵回答", "Answer in one click"]),
    ("assist.insert", ["插入回复框", "插入回覆框", "Insert into reply"]),
    ("assist.open", ["在知识库中打开", "在知識庫中開啟", "Open in knowledge base"]),
    ("assist.unfilled", ["待填写", "待填寫", "To fill in"]),
    ("assist.none", ["没有匹配的话术或答案", "沒有匹配的話術或答案", "No matching scripts or answers"]),
    ("assist.fill_first", ["发送前请先填写", "傳送前請先填寫", "Fill these in before sending"]),
    ("assist.updated", ["你用过的知识已更新", "你用過的知識已更新", "Knowledge you used was updated"]),
];

pub async fn record_script_reply(state: &AppState, me: &Principal, conversation_id: i64, message: &Message, id: EntryId, lang: Language) -> ApiResult<()> {
    let entry: Entry = state.store.entry(me.clone(), id.clone(), lang).await?.entry;
    if entry.script().is_none() {
        return Err(ApiError::invalid("script.id", "not_a_script", "this entry is not a script"));
    }
    let conversation = state.store.conversation(me.org_id, conversation_id).await?;
    let messages = state.store.messages(me.org_id, conversation_id, 0, 500, false).await?;
    let suggested = fill_script(entry.body(), &known_variables(me, &conversation, &messages));
    let edited = suggested.trim() != message.text.trim();
    let usage = Usage { conversation_id: Some(conversation_id), message_id: Some(message.id), edited: Some(edited) };
    state.store.record_usage(me.clone(), id, lang, usage).await?;
    Ok(())
}
