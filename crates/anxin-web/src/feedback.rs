//! The customer's side of complaints over HTTP (PRODUCT.md §6, §9): the widget's visitor chooses one of the remedies
//! put to them and answers rating requests (CSAT); staff put approved remedies to the customer, withdraw them, and
//! read CSAT summaries.
//!
//! Widget routes authenticate the visitor token like the rest of `/widget/{channel}` (origin checked, CORS) and act
//! only on the visitor's current conversation; their answers carry nothing staff-only (no approvers, limits or user
//! ids). Ids in paths are parsed here: a non-numeric one is 422 naming it, not axum's plain-text rejection. Store
//! refusals become 409s with stable codes (`remedy_already_chosen`, `remedy_withdrawn`, `remedy_chosen`,
//! `no_approved_remedies`, `ticket_not_open`, `csat_already_recorded`).

use std::net::SocketAddr;

use anxin_domain::Action;
use anxin_store::StoreError;
use anxin_store::complaints::Remedy;
use anxin_store::feedback::{CsatComment, CsatGroupBy, OfferedRemedy, Rating};
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::auth::Staff;
use crate::complaints::TicketError;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, parse_json};
use crate::widget::{bearer, channel_for, visitor};

type FeedbackResult<T> = Result<T, TicketError>;

/// Longest CSAT report window, in days.
const MAX_DAYS: i64 = 366;

pub fn routes() -> Router<AppState> {
    let widget = Router::new()
        .route("/api/v1/widget/{channel}/remedies/{id}/choose", post(choose))
        .route("/api/v1/widget/{channel}/csat", post(rate))
        .route("/api/v1/widget/{channel}/feedback", get(pending))
        .layer(axum::middleware::from_fn(crate::widget::cors));
    Router::new()
        .merge(widget)
        .route("/api/v1/tickets/{id}/remedies/present", post(present))
        .route("/api/v1/tickets/{id}/remedies/{rid}/withdraw", post(withdraw))
        .route("/api/v1/csat", get(summary))
}

/// A positive id from a path segment, or 422 naming the parameter.
fn path_id(field: &str, text: &str) -> Result<i64, ApiError> {
    text.parse::<i64>().ok().filter(|id| *id > 0).ok_or_else(|| ApiError::invalid(field, "invalid", "a positive integer id"))
}

/// These actions take no body; an empty one or `{}` is fine, anything else is refused like any other body.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NoFields {}

fn no_body(bytes: &Bytes) -> Result<(), ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(());
    }
    parse_json::<NoFields>(bytes).map(|_| ())
}

/// The store's refusals of this module as coded 409s or field errors; everything else as the tickets' errors.
fn refusal(e: StoreError) -> TicketError {
    let StoreError::Conflict(what) = &e else { return e.into() };
    let conflict = |code: &'static str, message: &str| TicketError::Conflict { code, message: message.to_owned(), details: Value::Null };
    match what.as_str() {
        "no_approved_remedies" => conflict("no_approved_remedies", "no approved remedy to put to the customer: offer one, or approve one first"),
        "remedy_already_chosen" => conflict("remedy_already_chosen", "a remedy was already chosen for this ticket"),
        "remedy_chosen" => conflict("remedy_chosen", "the customer chose this remedy; it cannot be withdrawn"),
        "remedy_withdrawn" => conflict("remedy_withdrawn", "this remedy is no longer offered"),
        "ticket_not_open" => conflict("ticket_not_open", "the ticket is resolved, closed or cancelled"),
        "csat_already_recorded" => conflict("csat_already_recorded", "this rating was already given, thank you"),
        "rating" => ApiError::invalid("rating", "out_of_range", "a whole number from 1 to 5").into(),
        "comment" => ApiError::invalid("comment", "invalid", "at most 1000 characters of plain text").into(),
        _ => e.into(),
    }
}

fn customer_remedy(remedy: &Remedy) -> OfferedRemedy {
    OfferedRemedy { id: remedy.id, kind: remedy.kind, amount_fen: remedy.amount_fen, note: remedy.note.clone() }
}

/// The widget visitor's current conversation on this channel (`None` before their first message).
async fn visitor_conversation(state: &AppState, key: &str, headers: &HeaderMap, addr: &SocketAddr) -> FeedbackResult<(i64, Option<i64>)> {
    let channel = channel_for(state, key, headers, addr).await?;
    let claims = visitor(state, &channel, bearer(headers))?;
    let conversation = state.store.visitor_conversation(channel.org_id, channel.id, claims.visitor).await?;
    Ok((channel.org_id, conversation.map(|c| c.id)))
}

/// `POST /api/v1/widget/{channel}/remedies/{id}/choose` (visitor token): the customer chooses a remedy put to them.
/// 200 `{ticket_id, remedy}`; choosing the chosen one again answers the same; 404 for anything not put to them.
async fn choose(
    State(state): State<AppState>,
    Path((key, id)): Path<(String, String)>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> FeedbackResult<Json<Value>> {
    let (org_id, conversation) = visitor_conversation(&state, &key, &headers, &addr).await?;
    let remedy_id = path_id("id", &id)?;
    no_body(&body)?;
    let conversation = conversation.ok_or(ApiError::NotFound)?;
    let chosen = state.store.customer_choose_remedy(org_id, conversation, remedy_id).await.map_err(refusal)?;
    Ok(Json(json!({"ticket_id": chosen.ticket_id, "remedy": customer_remedy(&chosen), "chosen_at": chosen.chosen_at})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RateBody {
    request_id: i64,
    rating: i64,
    #[serde(default)]
    comment: Option<String>,
}

/// `POST /api/v1/widget/{channel}/csat` `{request_id, rating 1-5, comment?}` (visitor token) → 201 with the rating;
/// 404 without such a request on the visitor's conversation, 409 `csat_already_recorded` the second time.
async fn rate(
    State(state): State<AppState>,
    Path(key): Path<String>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<RateBody>,
) -> FeedbackResult<(axum::http::StatusCode, Json<Value>)> {
    let (org_id, conversation) = visitor_conversation(&state, &key, &headers, &addr).await?;
    if body.request_id < 1 {
        return Err(ApiError::invalid("request_id", "invalid", "the id of the rating request").into());
    }
    Rating::parse(body.rating).map_err(|reason| ApiError::invalid("rating", reason, "a whole number from 1 to 5"))?;
    if let Some(text) = body.comment.as_deref() {
        CsatComment::parse(text).map_err(|reason| ApiError::invalid("comment", reason, "at most 1000 characters of plain text"))?;
    }
    let conversation = conversation.ok_or(ApiError::NotFound)?;
    let rated = state.store.record_csat(org_id, conversation, body.request_id, body.rating, body.comment).await.map_err(refusal)?;
    let rating = json!({"request_id": rated.request_id, "ticket_id": rated.ticket_id, "rating": rated.rating, "comment": rated.comment, "rated_at": rated.rated_at});
    Ok((axum::http::StatusCode::CREATED, Json(json!({"rating": rating}))))
}

/// `GET /api/v1/widget/{channel}/feedback` (visitor token): remedy offers and rating requests still open on the
/// visitor's conversation, so the widget draws them again after a reload.
async fn pending(
    State(state): State<AppState>,
    Path(key): Path<String>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> FeedbackResult<Json<Value>> {
    let (org_id, conversation) = visitor_conversation(&state, &key, &headers, &addr).await?;
    let Some(conversation) = conversation else { return Ok(Json(json!({"conversation_id": null, "offers": [], "csat": []}))) };
    let open = state.store.customer_feedback(org_id, conversation).await?;
    Ok(Json(json!({"conversation_id": conversation, "offers": open.offers, "csat": open.csat})))
}

/// `POST /api/v1/tickets/{id}/remedies/present`: the ticket's agent (a lead, an admin) puts every approved remedy to
/// the customer; the widget shows them as choices. 409 `no_approved_remedies`, `remedy_already_chosen`.
async fn present(State(state): State<AppState>, staff: Staff, Path(id): Path<String>, body: Bytes) -> FeedbackResult<Json<Value>> {
    let p = staff.require(Action::Reply)?.clone();
    let ticket_id = path_id("id", &id)?;
    no_body(&body)?;
    Ok(Json(json!({"offer": state.store.present_remedies(p, ticket_id).await.map_err(refusal)?})))
}

/// `POST /api/v1/tickets/{id}/remedies/{rid}/withdraw`: an offered or approved remedy is withdrawn (the widget is
/// told what remains). 409 `remedy_chosen` for the customer's choice.
async fn withdraw(State(state): State<AppState>, staff: Staff, Path((id, rid)): Path<(String, String)>, body: Bytes) -> FeedbackResult<Json<Value>> {
    let p = staff.require(Action::Reply)?.clone();
    let ticket_id = path_id("id", &id)?;
    let remedy_id = path_id("rid", &rid)?;
    no_body(&body)?;
    Ok(Json(json!({"remedy": state.store.withdraw_remedy(p, ticket_id, remedy_id).await.map_err(refusal)?})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SummaryQuery {
    #[serde(default)]
    group_by: Option<CsatGroupBy>,
    #[serde(default)]
    days: Option<i64>,
}

/// `GET /api/v1/csat?group_by=agent|team|complaint_type|conversation&days=30`: count, average and distribution of
/// ratings per group over the last `days` (1–366, default 30). Supervisors and admins; agents see their own.
async fn summary(State(state): State<AppState>, staff: Staff, ApiQuery(q): ApiQuery<SummaryQuery>) -> FeedbackResult<Json<Value>> {
    let p = staff.require(Action::ReadConversations)?.clone();
    let days = q.days.unwrap_or(30);
    if !(1..=MAX_DAYS).contains(&days) {
        return Err(ApiError::invalid("days", "out_of_range", format!("from 1 to {MAX_DAYS}")).into());
    }
    let since = state.store.now() - days * 86_400_000;
    let summary = state.store.csat_summary(p, q.group_by.unwrap_or(CsatGroupBy::Agent), since).await?;
    Ok(Json(json!({"days": days, "summary": summary})))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_ids_are_positive_integers() {
        for (text, ok) in [("1", true), ("42", true), ("0", false), ("-3", false), ("abc", false), ("1.5", false), ("", false), ("99999999999999999999", false)] {
            assert_eq!(path_id("id", text).is_ok(), ok, "{text}");
        }
    }

    #[test]
    fn action_bodies_are_empty() {
        assert!(no_body(&Bytes::from_static(b"")).is_ok());
        assert!(no_body(&Bytes::from_static(b" {} ")).is_ok());
        assert!(matches!(no_body(&Bytes::from_static(b"{\"rating\":5}")), Err(ApiError::Invalid { .. })));
        assert!(matches!(no_body(&Bytes::from_static(b"{")), Err(ApiError::BadRequest { .. })));
    }
}
