//! The inbox: conversations, their messages, replies and internal notes, assignment and status, read markers.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use anxin_domain::input::{ClientMessageId, Labels, MessageBody};
use anxin_domain::{Action, ConversationStatus, MessageKind, Priority};
use anxin_store::{ConversationFilter, ConversationPatch, Reader};

use crate::AppState;
use crate::auth::Staff;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, ApiQuery};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/conversations", get(list))
        .route("/conversations/{id}", get(show).patch(update))
        .route("/conversations/{id}/messages", get(messages).post(post_message))
        .route("/conversations/{id}/read", post(read))
        .route("/conversations/{id}/tone-check", post(tone_check))
        .route("/events", get(events))
}

#[derive(Deserialize)]
struct ListQuery {
    status: Option<String>,
    /// `me`, `none`, or a user id.
    assignee: Option<String>,
    team: Option<i64>,
    customer: Option<i64>,
    /// The customer's current emotion: anger, anxiety, disappointment, neutral, satisfied.
    emotion: Option<String>,
    /// Complaint type: quality, logistics, price, service, refund_return, size_spec, payment, other.
    complaint: Option<String>,
    /// Complaint risk at least this (0–1).
    min_risk: Option<f64>,
    /// Cursor from the previous page: `last_message_at:id`.
    before: Option<String>,
    limit: Option<i64>,
}

async fn list(State(state): State<AppState>, staff: Staff, ApiQuery(q): ApiQuery<ListQuery>) -> ApiResult<Json<Value>> {
    let me = staff.require(Action::ReadConversations)?;
    let status = match q.status.as_deref() {
        None | Some("") | Some("all") => None,
        Some(s) => Some(ConversationStatus::parse(s).ok_or_else(|| {
            ApiError::invalid("status", "unknown", format!("status must be one of {:?}", ConversationStatus::spellings()))
        })?),
    };
    let assignee_id = match q.assignee.as_deref() {
        None | Some("") | Some("any") => None,
        Some("me") => Some(me.user_id),
        Some("none") => Some(None),
        Some(id) => Some(Some(id.parse().map_err(|_| ApiError::invalid("assignee", "invalid", "me, none, any or a user id"))?)),
    };
    let before = match q.before.as_deref() {
        None | Some("") => None,
        Some(cursor) => {
            let parsed = cursor.split_once(':').and_then(|(a, b)| Some((a.parse().ok()?, b.parse().ok()?)));
            Some(parsed.ok_or_else(|| ApiError::invalid("before", "invalid", "a cursor from next_cursor"))?)
        }
    };
    let limit = q.limit.unwrap_or(50).clamp(1, 200);
    const EMOTIONS: [&str; 5] = ["anger", "anxiety", "disappointment", "neutral", "satisfied"];
    const COMPLAINTS: [&str; 8] = ["quality", "logistics", "price", "service", "refund_return", "size_spec", "payment", "other"];
    let emotion = match q.emotion.as_deref() {
        None | Some("") => None,
        Some(e) if EMOTIONS.contains(&e) => Some(e.to_owned()),
        Some(_) => return Err(ApiError::invalid("emotion", "unknown", format!("emotion must be one of {EMOTIONS:?}"))),
    };
    let complaint_type = match q.complaint.as_deref() {
        None | Some("") => None,
        Some(k) if COMPLAINTS.contains(&k) => Some(k.to_owned()),
        Some(_) => return Err(ApiError::invalid("complaint", "unknown", format!("complaint must be one of {COMPLAINTS:?}"))),
    };
    if q.min_risk.is_some_and(|r| !(0.0..=1.0).contains(&r)) {
        return Err(ApiError::invalid("min_risk", "out_of_range", "min_risk is between 0 and 1"));
    }
    let filter = ConversationFilter {
        status,
        assignee_id,
        team_id: q.team,
        customer_id: q.customer,
        emotion,
        complaint_type,
        min_risk: q.min_risk,
        before,
        limit,
        ..Default::default()
    };
    let list = state.store.conversations(me.org_id, filter).await?;
    let next = (list.len() as i64 == limit).then(|| list.last().map(|c| format!("{}:{}", c.last_message_at, c.id))).flatten();
    Ok(Json(json!({"conversations": list, "next_cursor": next})))
}

async fn show(State(state): State<AppState>, staff: Staff, ApiPath(id): ApiPath<i64>) -> ApiResult<Json<Value>> {
    let me = staff.require(Action::ReadConversations)?;
    let conversation = state.store.conversation(me.org_id, id).await?;
    let customer = state.store.customer(me.org_id, conversation.customer_id).await?;
    Ok(Json(json!({"conversation": conversation, "customer": customer})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Patch {
    status: Option<ConversationStatus>,
    #[serde(default, deserialize_with = "double_option")]
    assignee_id: Option<Option<i64>>,
    #[serde(default, deserialize_with = "double_option")]
    team_id: Option<Option<i64>>,
    priority: Option<Priority>,
    labels: Option<Vec<String>>,
}

/// Tells "absent" (leave alone) from `null` (clear).
fn double_option<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<i64>>, D::Error> {
    Option::<i64>::deserialize(d).map(Some)
}

async fn update(State(state): State<AppState>, staff: Staff, ApiPath(id): ApiPath<i64>, ApiJson(body): ApiJson<Patch>) -> ApiResult<Json<Value>> {
    let me = staff.require(Action::UpdateConversation)?.clone();
    let assigning_other = matches!(body.assignee_id, Some(Some(user)) if Some(user) != me.user_id);
    if assigning_other || body.team_id.is_some() {
        staff.require(Action::AssignOthers)?;
    }
    let patch = ConversationPatch {
        status: body.status,
        assignee_id: body.assignee_id,
        team_id: body.team_id,
        priority: body.priority,
        labels: body.labels.as_deref().map(Labels::parse).transpose()?,
    };
    let conversation = state.store.update_conversation(me, id, patch).await?;
    Ok(Json(json!({"conversation": conversation})))
}

#[derive(Deserialize)]
struct MessagesQuery {
    after: Option<i64>,
    limit: Option<i64>,
}

async fn messages(State(state): State<AppState>, staff: Staff, ApiPath(id): ApiPath<i64>, ApiQuery(q): ApiQuery<MessagesQuery>) -> ApiResult<Json<Value>> {
    let me = staff.require(Action::ReadConversations)?;
    let list = state.store.messages(me.org_id, id, q.after.unwrap_or(0), q.limit.unwrap_or(200), false).await?;
    Ok(Json(json!({"messages": list})))
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
enum StaffMessageKind {
    Reply,
    Note,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewMessage {
    #[serde(default = "reply")]
    kind: StaffMessageKind,
    text: String,
    client_message_id: Option<String>,
    /// The agent saw the tone warning for this draft and chose to send it unchanged ("send anyway").
    #[serde(default)]
    tone_override: bool,
    /// The script the reply was made from (inserted from the reply assistant), for its outcome statistics.
    script: Option<ScriptRef>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScriptRef {
    id: String,
    lang: String,
}

fn reply() -> StaffMessageKind {
    StaffMessageKind::Reply
}

/// Parses a message body, answering 413 (not 422) when it is over the size limit.
pub fn message_body(text: String, limit: usize) -> ApiResult<MessageBody> {
    MessageBody::parse(text, limit).map_err(|e| if e.code == "too_long" { ApiError::TooLarge(limit) } else { e.into() })
}

async fn post_message(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<NewMessage>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let (kind, action) = match body.kind {
        StaffMessageKind::Reply => (MessageKind::Agent, Action::Reply),
        StaffMessageKind::Note => (MessageKind::Note, Action::WriteNote),
    };
    let me = staff.require(action)?.clone();
    let script = match &body.script {
        Some(_) if kind != MessageKind::Agent => return Err(ApiError::invalid("script", "not_a_reply", "scripts are recorded with replies")),
        Some(s) => Some(crate::knowledge::entry_key(&s.id, &s.lang).map_err(|_| ApiError::invalid("script", "invalid", "an entry id and zh-Hans, zh-Hant or en"))?),
        None => None,
    };
    let text = message_body(body.text, state.config.max_message_bytes)?;
    let client_id = body.client_message_id.as_deref().map(ClientMessageId::parse).transpose()?;
    // The tone check runs on replies against the customer's latest message: the agent sees it with the ack.
    let tone = if kind == MessageKind::Agent {
        let last_customer = state
            .store
            .messages(me.org_id, id, 0, 500, false)
            .await?
            .into_iter()
            .rev()
            .find(|m| m.kind == MessageKind::Customer)
            .map(|m| m.text);
        Some(state.analyzer.check_reply(text.as_str(), last_customer.as_deref()))
    } else {
        None
    };
    let actor = me.audit_name();
    let org_id = me.org_id;
    let posted = state.store.post_staff_message(me.clone(), id, kind, client_id, text).await?;
    if let (Some((entry_id, lang)), false) = (script, posted.replayed)
        && let Err(e) = crate::assist::record_script_reply(&state, &me, id, &posted.message, entry_id, lang).await {
            tracing::warn!(error = ?e, conversation = id, "could not record the script used in a reply");
        }
    if !posted.replayed {
        state.metrics.staff_messages.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        // A reply that went out with tone problems is recorded for review and training, with whether the agent
        // chose "send anyway" after seeing the warning. The reply itself is already committed and stands.
        if let Some(check) = tone.as_ref().filter(|t| !t.problems.is_empty()) {
            let details = json!({
                "message_id": posted.message.id,
                "score": check.score,
                "verdict": check.verdict,
                "problems": check.problems.iter().map(|p| p.kind).collect::<Vec<_>>(),
                "sent_anyway": body.tone_override,
            });
            let recorded = state.store.record_audit(org_id, actor, "reply.tone_flagged", format!("conversation:{id}"), details).await;
            if let Err(e) = recorded {
                tracing::warn!(error = %e, conversation = id, "could not record a tone-flagged reply");
            }
        }
    }
    Ok((StatusCode::CREATED, Json(json!({"message": posted.message, "conversation": posted.conversation, "replayed": posted.replayed, "tone": tone}))))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReadBody {
    message_id: i64,
}

async fn read(State(state): State<AppState>, staff: Staff, ApiPath(id): ApiPath<i64>, ApiJson(body): ApiJson<ReadBody>) -> ApiResult<Json<Value>> {
    let me = staff.require(Action::ReadConversations)?;
    let conversation = state.store.mark_read(me.org_id, id, Reader::Agent, body.message_id).await?;
    Ok(Json(json!({"conversation": conversation})))
}

#[derive(Deserialize)]
struct EventsQuery {
    after: Option<i64>,
    limit: Option<i64>,
}

/// Polling alternative to the WebSocket: committed events after `after`.
async fn events(State(state): State<AppState>, staff: Staff, ApiQuery(q): ApiQuery<EventsQuery>) -> ApiResult<Json<Value>> {
    let me = staff.require(Action::ReadConversations)?;
    let list = state.store.events_after(me.org_id, q.after.unwrap_or(0).max(0), q.limit.unwrap_or(500).clamp(1, 1000)).await?;
    Ok(Json(json!({"events": list})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Draft {
    text: String,
}

/// Checks a draft reply against the customer's latest message, without sending it.
async fn tone_check(State(state): State<AppState>, staff: Staff, ApiPath(id): ApiPath<i64>, ApiJson(body): ApiJson<Draft>) -> ApiResult<Json<Value>> {
    let me = staff.require(Action::Reply)?;
    let text = message_body(body.text, state.config.max_message_bytes)?;
    let last_customer = state
        .store
        .messages(me.org_id, id, 0, 500, false)
        .await?
        .into_iter()
        .rev()
        .find(|m| m.kind == MessageKind::Customer)
        .map(|m| m.text);
    Ok(Json(json!({"tone": state.analyzer.check_reply(text.as_str(), last_customer.as_deref())})))
}
