//! Complaint tickets over HTTP (PRODUCT.md §6): opening a ticket from a conversation, the lists (mine, my
//! department's queue, every open one), a ticket with its steps and remedies, workflow actions, remedies with
//! their approval and the customer's choice, and the escalation paths.
//!
//! Bodies are parsed here once (unknown fields, wrong types and out-of-range values are 422 naming the field); the
//! store decides who may do what to a ticket. A refused transition is 409 `transition_refused` with the allowed
//! actions in `details`; someone acting first is 409 `ticket_changed` with the current version.

use std::collections::BTreeMap;

use anxin_domain::complaint::{self, RemedyKind, TicketAction};
use anxin_domain::{Action, ComplaintType};
use anxin_store::StoreError;
use anxin_store::complaints::{
    COMMENT_MAX_CHARS, NewRemedy, NewTicket, OrderRef, TicketAct, TicketRefusal, TicketSeverity, TicketView,
};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::auth::Staff;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath, ApiQuery};

/// Largest money remedy accepted at all (¥10,000,000 in fen); limits per role are far below it.
const MAX_AMOUNT_FEN: i64 = 1_000_000_000;
/// Longest note on a remedy.
const NOTE_MAX_CHARS: usize = 500;

/// This module's errors: the common [`ApiError`], or a 409 whose `details` carry what the client needs to recover
/// (the allowed actions, the current version). Same body shape as `ApiError`: `{"error": {code, message, details}}`.
#[derive(Debug)]
pub enum TicketError {
    Api(ApiError),
    Conflict { code: &'static str, message: String, details: Value },
}

impl From<ApiError> for TicketError {
    fn from(e: ApiError) -> Self {
        TicketError::Api(e)
    }
}

impl From<StoreError> for TicketError {
    /// The store's ticket-specific conflicts become field errors or coded 409s.
    fn from(e: StoreError) -> Self {
        let conflict = |code, message: &str| TicketError::Conflict { code, message: message.to_owned(), details: Value::Null };
        let StoreError::Conflict(what) = &e else { return TicketError::Api(e.into()) };
        match what.as_str() {
            "department_team_id" => ApiError::invalid("department_team_id", "unknown", "no such team in this organisation").into(),
            "department_required" => ApiError::invalid(
                "department_team_id",
                "required",
                "this complaint type's escalation path leaves the department to the lead: choose one",
            )
            .into(),
            "amount_fen" => ApiError::invalid("amount_fen", "invalid", "partial refunds, coupons and compensation need a positive amount; other remedies none").into(),
            "ticket_not_open" => conflict("ticket_not_open", "the ticket is resolved, closed or cancelled"),
            "remedy_not_approved" => conflict("remedy_not_approved", "only an approved remedy can be chosen"),
            "remedy_not_awaiting_approval" => conflict("remedy_not_awaiting_approval", "this remedy is not waiting for approval"),
            "remedy_already_chosen" => conflict("remedy_already_chosen", "the customer already chose a remedy for this ticket"),
            path if path.starts_with("paths.") => ApiError::invalid(path, "unknown", "no such team in this organisation").into(),
            _ => TicketError::Api(e.into()),
        }
    }
}

impl From<TicketRefusal> for TicketError {
    fn from(refusal: TicketRefusal) -> Self {
        match refusal {
            TicketRefusal::Workflow(r) => TicketError::Conflict {
                code: "transition_refused",
                message: match r.reason {
                    complaint::RefusedBecause::CommentRequired => "this step needs a comment saying why".to_owned(),
                    complaint::RefusedBecause::NotYours => "someone else takes this step".to_owned(),
                    complaint::RefusedBecause::NotFromThisState => "this step is not possible in the ticket's state".to_owned(),
                },
                details: json!({"state": r.state, "action": r.action, "reason": r.reason, "allowed": r.allowed}),
            },
            TicketRefusal::Changed { version, state } => TicketError::Conflict {
                code: "ticket_changed",
                message: "the ticket changed since you loaded it; reload it and try again".to_owned(),
                details: json!({"version": version, "state": state}),
            },
        }
    }
}

impl IntoResponse for TicketError {
    fn into_response(self) -> Response {
        match self {
            TicketError::Api(e) => e.into_response(),
            TicketError::Conflict { code, message, details } => {
                (StatusCode::CONFLICT, Json(json!({"error": {"code": code, "message": message, "details": details}}))).into_response()
            }
        }
    }
}

type TicketResult<T> = Result<T, TicketError>;

/// A comment as given: trimmed, empty is none, at most [`COMMENT_MAX_CHARS`] characters.
fn comment(field: &str, text: Option<String>, max: usize) -> Result<Option<String>, ApiError> {
    let Some(text) = text.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()) else { return Ok(None) };
    if text.chars().count() > max {
        return Err(ApiError::invalid(field, "too_long", format!("at most {max} characters")));
    }
    if text.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(ApiError::invalid(field, "invalid", "control characters are not allowed"));
    }
    Ok(Some(text))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OpenBody {
    #[serde(default)]
    complaint_type: Option<ComplaintType>,
    #[serde(default)]
    severity: Option<TicketSeverity>,
    #[serde(default)]
    order_ref: Option<String>,
    #[serde(default)]
    product: Option<String>,
    #[serde(default)]
    comment: Option<String>,
}

/// `POST /api/v1/conversations/{id}/tickets` `{complaint_type?, severity?, order_ref?, product?, comment?}` → 201: the agent
/// opens a ticket (type defaults to the one the text engine found, severity to `normal`).
async fn open(State(state): State<AppState>, staff: Staff, ApiPath(id): ApiPath<i64>, ApiJson(body): ApiJson<OpenBody>) -> TicketResult<Response> {
    let p = staff.require(Action::UpdateConversation)?.clone();
    let label = |field: &'static str, text: Option<&str>| match text {
        None => Ok(None),
        Some(text) => OrderRef::parse(text)
            .map(Some)
            .map_err(|reason| ApiError::invalid(field, reason, format!("1 to {} characters of plain text", OrderRef::MAX_CHARS))),
    };
    let order_ref = label("order_ref", body.order_ref.as_deref())?;
    let product = label("product", body.product.as_deref())?;
    let new = NewTicket {
        conversation_id: id,
        complaint_type: body.complaint_type,
        severity: body.severity.unwrap_or(TicketSeverity::Normal),
        order_ref,
        product,
        comment: comment("comment", body.comment, COMMENT_MAX_CHARS)?,
    };
    let detail = state.store.open_ticket(p, new).await?;
    Ok((StatusCode::CREATED, Json(detail)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    #[serde(default)]
    view: Option<TicketView>,
}

/// `GET /api/v1/tickets?view=mine|department|open` (default `mine`; `open` for supervisors and admins).
async fn list(State(state): State<AppState>, staff: Staff, ApiQuery(q): ApiQuery<ListQuery>) -> TicketResult<Json<Value>> {
    let p = staff.require(Action::ReadConversations)?.clone();
    let view = q.view.unwrap_or(TicketView::Mine);
    let tickets = state.store.tickets(p, view).await?;
    Ok(Json(json!({"view": view, "tickets": tickets})))
}

/// `GET /api/v1/tickets/{id}`: the ticket, its steps and remedies, and the actions I may take now.
async fn show(State(state): State<AppState>, staff: Staff, ApiPath(id): ApiPath<i64>) -> TicketResult<Response> {
    let p = staff.require(Action::ReadConversations)?.clone();
    Ok(Json(state.store.ticket(p, id).await?).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ActBody {
    action: TicketAction,
    #[serde(default)]
    comment: Option<String>,
    expected_version: i64,
    #[serde(default)]
    department_team_id: Option<i64>,
}

/// `POST /api/v1/tickets/{id}/actions` `{action, comment?, expected_version, department_team_id?}` → 200 with the
/// ticket; 409 `transition_refused` (details: state, action, reason, allowed) or `ticket_changed` (details:
/// version, state).
async fn act(State(state): State<AppState>, staff: Staff, ApiPath(id): ApiPath<i64>, ApiJson(body): ApiJson<ActBody>) -> TicketResult<Response> {
    if body.expected_version < 1 {
        return Err(ApiError::invalid("expected_version", "out_of_range", "the ticket's version as you loaded it (1 or more)").into());
    }
    if body.department_team_id.is_some() && body.action != TicketAction::Approve {
        return Err(ApiError::invalid("department_team_id", "invalid", "a department is chosen only when approving").into());
    }
    let act = TicketAct {
        action: body.action,
        comment: comment("comment", body.comment, COMMENT_MAX_CHARS)?,
        expected_version: body.expected_version,
        department_team_id: body.department_team_id,
    };
    match state.store.act_on_ticket(staff.0.clone(), id, act).await? {
        Ok(detail) => Ok(Json(detail).into_response()),
        Err(refusal) => Err(refusal.into()),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RemedyBody {
    kind: RemedyKind,
    #[serde(default)]
    amount_fen: Option<i64>,
    #[serde(default)]
    note: Option<String>,
}

/// `POST /api/v1/tickets/{id}/remedies` `{kind, amount_fen?, note?}` → 201 `{remedy, decision}`: within my limit
/// the remedy is `approved`; above it `offered`, and `decision` names who approves and the limit.
async fn offer(State(state): State<AppState>, staff: Staff, ApiPath(id): ApiPath<i64>, ApiJson(body): ApiJson<RemedyBody>) -> TicketResult<Response> {
    if let Some(amount) = body.amount_fen
        && !(1..=MAX_AMOUNT_FEN).contains(&amount) {
            return Err(ApiError::invalid("amount_fen", "out_of_range", format!("between 1 and {MAX_AMOUNT_FEN} fen")).into());
        }
    // The shape rules do not depend on who offers: check them before asking the store.
    complaint::check_remedy(&Default::default(), complaint::TicketActor::Admin, body.kind, body.amount_fen)
        .map_err(|why| ApiError::invalid("amount_fen", "invalid", why))?;
    let remedy = NewRemedy { kind: body.kind, amount_fen: body.amount_fen, note: comment("note", body.note, NOTE_MAX_CHARS)? };
    let (remedy, decision) = state.store.offer_remedy(staff.0.clone(), id, remedy).await?;
    Ok((StatusCode::CREATED, Json(json!({"remedy": remedy, "decision": decision}))).into_response())
}

/// `POST /api/v1/tickets/{id}/remedies/{rid}/approve`: a lead (an admin above the lead's limit) approves.
async fn approve(State(state): State<AppState>, staff: Staff, ApiPath((id, rid)): ApiPath<(i64, i64)>) -> TicketResult<Json<Value>> {
    Ok(Json(json!({"remedy": state.store.approve_remedy(staff.0.clone(), id, rid).await?})))
}

/// `POST /api/v1/tickets/{id}/remedies/{rid}/choose`: records the customer's choice (one per ticket).
async fn choose(State(state): State<AppState>, staff: Staff, ApiPath((id, rid)): ApiPath<(i64, i64)>) -> TicketResult<Json<Value>> {
    Ok(Json(json!({"remedy": state.store.choose_remedy(staff.0.clone(), id, rid).await?})))
}

/// `GET /api/v1/escalation-paths`: every complaint type's department.
async fn paths_get(State(state): State<AppState>, staff: Staff) -> TicketResult<Json<Value>> {
    let p = staff.require(Action::ReadConversations)?;
    Ok(Json(json!({"paths": state.store.escalation_paths(p.org_id).await?})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PathsBody {
    /// complaint type → team id, or `null` for "the lead chooses at approval".
    paths: BTreeMap<String, Option<i64>>,
}

/// `PUT /api/v1/escalation-paths` `{"paths": {"logistics": 12, "price": null}}` (supervisors and admins); types not
/// named keep their path.
async fn paths_put(State(state): State<AppState>, staff: Staff, ApiJson(body): ApiJson<PathsBody>) -> TicketResult<Json<Value>> {
    let p = staff.require(Action::ManageTeams)?.clone();
    let mut paths = Vec::new();
    for (kind, team) in body.paths {
        let parsed = ComplaintType::parse(&kind).ok_or_else(|| {
            ApiError::invalid(&format!("paths.{kind}"), "invalid", format!("a complaint type: one of {}", ComplaintType::spellings().join(", ")))
        })?;
        paths.push((parsed, team));
    }
    Ok(Json(json!({"paths": state.store.set_escalation_paths(p, paths).await?})))
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/conversations/{id}/tickets", post(open))
        .route("/api/v1/tickets", get(list))
        .route("/api/v1/tickets/{id}", get(show))
        .route("/api/v1/tickets/{id}/actions", post(act))
        .route("/api/v1/tickets/{id}/remedies", post(offer))
        .route("/api/v1/tickets/{id}/remedies/{rid}/approve", post(approve))
        .route("/api/v1/tickets/{id}/remedies/{rid}/choose", post(choose))
        .route("/api/v1/escalation-paths", get(paths_get).put(paths_put))
}
