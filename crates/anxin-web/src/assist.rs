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
    Router::new().route("/api/v1/conversations/{id}/assist", get(suggestions))
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

/// The suggestions as JSON (shared by the API and the workspace page).
pub async fn suggest(state: &AppState, me: &Principal, conversation_id: i64, ui: Lang) -> ApiResult<Value> {
    let conversation = state.store.conversation(me.org_id, conversation_id).await?;
    let messages = state.store.messages(me.org_id, conversation_id, 0, 500, false).await?;
    let Some(last) = messages.iter().rev().find(|m| m.kind == MessageKind::Customer) else {
        return Ok(json!({ "message_id": null, "strategy": null, "scripts": [], "answers": [], "repeated": null }));
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
    let scripts: Vec<Value> = found
        .scripts
        .iter()
        .map(|hit| {
            let filled = script_text(hit, &known);
            let mut view = hit_json(hit);
            view["text"] = json!(filled);
            view["unfilled"] = json!(unfilled(&filled));
            view
        })
        .collect();
    let answers: Vec<Value> = found.answers.iter().map(hit_json).collect();
    let repeated = match found.repeated.as_ref() {
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
            Some(json!({ "id": r.id, "lang": r.lang, "title": r.title, "similarity": r.similarity, "text": text }))
        }
    };
    let key = strategy.key();
    let title = if strategy == Strategy::IrrationalComplaint { ui.t("strategy.irrational") } else { ui.t(&format!("emotion.{key}")) };
    Ok(json!({
        "message_id": last.id,
        "emotion": emotion,
        "complaint_type": complaint_type,
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

/// A script hit's text with the known variables filled in.
fn script_text(hit: &Hit, known: &BTreeMap<Variable, String>) -> String {
    anxin_domain::knowledge::render_placeholders(&hit.body, known)
}

/// After a reply that used a script: records the use with the reply, and whether the agent changed the script's
/// text (compared with the script as the assistant filled it for this conversation). Failures are logged: the
/// reply itself is committed and stands.
pub async fn record_script_reply(state: &AppState, me: &Principal, conversation_id: i64, message: &Message, id: EntryId, lang: Language) -> ApiResult<()> {
    let entry: Entry = state.store.entry(me.clone(), id.clone(), lang).await?.entry;
    if entry.script().is_none() {
        return Err(ApiError::invalid("script.id", "not_a_script", "this entry is not a script"));
    }
    let conversation = state.store.conversation(me.org_id, conversation_id).await?;
    let messages = state.store.messages(me.org_id, conversation_id, 0, 500, false).await?;
    let suggested = fill_script(&entry, &known_variables(me, &conversation, &messages));
    let edited = suggested.trim() != message.text.trim();
    let usage = Usage { conversation_id: Some(conversation_id), message_id: Some(message.id), edited: Some(edited) };
    state.store.record_usage(me.clone(), id, lang, usage).await?;
    Ok(())
}
