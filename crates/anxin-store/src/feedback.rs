//! The customer's side of complaints, stored (PRODUCT.md §6 remedies, §9 CSAT): remedies put to the customer and
//! their choice in the widget, withdrawn remedies, and satisfaction ratings (CSAT, 1–5 with a comment).
//!
//! Remedies are offered and approved by staff in [`crate::complaints`]; here an agent, lead or admin *presents* the
//! approved ones to the customer (`remedy_presentations`), which is what lets the widget's visitor choose one.
//! A remedy never presented is invisible to the customer (`NotFound`).
//!
//! A rating is accepted only as the answer to a request (`csat_requests`), once: a request is recorded when a
//! conversation is resolved (and by the ticket workflow when a ticket is), at most one pending per conversation and
//! ticket. The rating row keeps who was rated at the time (the ticket's owner, else the conversation's assignee),
//! the team and the complaint type (the ticket's, else the conversation's latest ticket's, else the text engine's),
//! so reports do not change when a conversation is later reassigned.
//!
//! Events: `remedies_offered` {ticket_id, remedies: [{id, kind, amount_fen, note}]}, `remedy_chosen` {ticket_id,
//! remedy, by}, `csat_requested` {conversation_id, ticket_id, request_id}, `csat_recorded` {request_id,
//! conversation_id, ticket_id, rating, comment}: all customer-visible, none carrying staff ids, limits or approvers.

use anxin_domain::Role;
use anxin_domain::complaint::RemedyKind;
use anxin_domain::events::EventKind;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::complaints::{REMEDY_COLUMNS, Remedy, RemedyState, remedy_from, wire};
use crate::conn::{Conn, Result, Row, StoreError};
use crate::exec::Tx;
use crate::ops::audit;
use crate::records::Principal;
use crate::{Store, params};

/// Migration 7: remedies presented to the customer, CSAT requests and ratings.
pub(crate) const SCHEMA: &str = r#"
CREATE TABLE remedy_presentations (
    remedy_id BIGINT PRIMARY KEY REFERENCES ticket_remedies(id),
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    ticket_id BIGINT NOT NULL REFERENCES complaint_tickets(id),
    presented_by BIGINT REFERENCES users(id),
    presented_at BIGINT NOT NULL
);
CREATE INDEX remedy_presentations_ticket ON remedy_presentations(ticket_id);
CREATE TABLE csat_requests (
    id {ID},
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    conversation_id BIGINT NOT NULL REFERENCES conversations(id),
    ticket_id BIGINT REFERENCES complaint_tickets(id),
    requested_at BIGINT NOT NULL,
    answered_at BIGINT
);
CREATE INDEX csat_requests_conversation ON csat_requests(conversation_id, id);
CREATE UNIQUE INDEX csat_requests_one_pending ON csat_requests(conversation_id, COALESCE(ticket_id, 0)) WHERE answered_at IS NULL;
CREATE TABLE csat_ratings (
    id {ID},
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    request_id BIGINT NOT NULL REFERENCES csat_requests(id),
    conversation_id BIGINT NOT NULL REFERENCES conversations(id),
    ticket_id BIGINT REFERENCES complaint_tickets(id),
    agent_user_id BIGINT REFERENCES users(id),
    team_id BIGINT REFERENCES teams(id),
    complaint_type TEXT,
    rating BIGINT NOT NULL CHECK (rating BETWEEN 1 AND 5),
    comment TEXT,
    requested_at BIGINT NOT NULL,
    rated_at BIGINT NOT NULL,
    CONSTRAINT csat_ratings_request_key UNIQUE (request_id)
);
CREATE INDEX csat_ratings_org_time ON csat_ratings(org_id, rated_at);
"#;

/// Longest CSAT comment, in characters.
pub const CSAT_COMMENT_MAX_CHARS: usize = 1000;

/// A satisfaction score: 1 (very dissatisfied) to 5 (very satisfied).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Rating(u8);

impl Rating {
    pub fn parse(value: i64) -> std::result::Result<Rating, &'static str> {
        match value {
            1..=5 => Ok(Rating(value as u8)),
            _ => Err("out_of_range"),
        }
    }

    pub fn get(self) -> i64 {
        i64::from(self.0)
    }
}

/// A customer's comment with a rating: trimmed, at most [`CSAT_COMMENT_MAX_CHARS`] characters, no control
/// characters but line breaks. An empty comment is no comment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CsatComment(String);

impl CsatComment {
    pub fn parse(text: &str) -> std::result::Result<Option<CsatComment>, &'static str> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(None);
        }
        if text.chars().count() > CSAT_COMMENT_MAX_CHARS {
            return Err("too_long");
        }
        if text.chars().any(|c| c.is_control() && c != '\n') {
            return Err("invalid");
        }
        Ok(Some(CsatComment(text.to_owned())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A remedy as the customer sees it: no limits, approvers or offerers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OfferedRemedy {
    pub id: i64,
    pub kind: RemedyKind,
    pub amount_fen: Option<i64>,
    pub note: Option<String>,
}

/// The remedies of a ticket as they stand before the customer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RemedyOffer {
    pub ticket_id: i64,
    pub conversation_id: i64,
    /// Presented, approved and not withdrawn (empty once a choice was made or everything was withdrawn).
    pub remedies: Vec<OfferedRemedy>,
    /// The customer's choice, once made.
    pub chosen: Option<OfferedRemedy>,
}

/// A request for a rating, waiting for its answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CsatRequest {
    pub request_id: i64,
    pub conversation_id: i64,
    pub ticket_id: Option<i64>,
    pub requested_at: i64,
}

/// What the customer of a conversation has open: remedy offers and rating requests (the widget draws them again
/// after a reload, when the events are behind it).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CustomerFeedback {
    pub offers: Vec<RemedyOffer>,
    pub csat: Vec<CsatRequest>,
}

/// A recorded rating.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CsatRating {
    pub id: i64,
    pub request_id: i64,
    pub conversation_id: i64,
    pub ticket_id: Option<i64>,
    pub agent_user_id: Option<i64>,
    pub team_id: Option<i64>,
    pub complaint_type: Option<String>,
    pub rating: i64,
    pub comment: Option<String>,
    pub requested_at: i64,
    pub rated_at: i64,
}

/// How a CSAT summary groups ratings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CsatGroupBy {
    Agent,
    Team,
    ComplaintType,
    Conversation,
}

/// Ratings of one group (or all of them).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CsatStats {
    /// The agent's, team's or conversation's id, or the complaint type; `null`: none recorded (e.g. unassigned).
    pub key: Option<Value>,
    /// The agent's display name, the team's name (when there is one).
    pub label: Option<String>,
    pub count: i64,
    /// Mean rating, two decimals (0 when there are none).
    pub average: f64,
    /// How many ratings of 1, 2, 3, 4 and 5.
    pub distribution: [i64; 5],
}

impl CsatStats {
    fn empty(key: Option<Value>, label: Option<String>) -> CsatStats {
        CsatStats { key, label, count: 0, average: 0.0, distribution: [0; 5] }
    }

    fn add(&mut self, rating: i64, n: i64) {
        if let Some(slot) = usize::try_from(rating - 1).ok().and_then(|i| self.distribution.get_mut(i)) {
            *slot += n;
        }
        self.count = self.distribution.iter().sum();
        let sum: i64 = self.distribution.iter().enumerate().map(|(i, n)| (i as i64 + 1) * n).sum();
        self.average = if self.count == 0 { 0.0 } else { (sum as f64 / self.count as f64 * 100.0).round() / 100.0 };
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CsatSummary {
    pub group_by: CsatGroupBy,
    /// Ratings recorded at or after this time (Unix ms).
    pub since: i64,
    /// Whether only the viewer's own ratings are counted (agents).
    pub own_only: bool,
    pub total: CsatStats,
    pub groups: Vec<CsatStats>,
}


fn offered(remedy: &Remedy) -> OfferedRemedy {
    OfferedRemedy { id: remedy.id, kind: remedy.kind, amount_fen: remedy.amount_fen, note: remedy.note.clone() }
}

/// What a ticket row tells this module.
struct TicketRow {
    id: i64,
    conversation_id: i64,
    owner_id: i64,
    department_team_id: Option<i64>,
    complaint_type: String,
    open: bool,
}

fn ticket_row(c: &mut dyn Conn, org_id: i64, ticket_id: i64) -> Result<TicketRow> {
    let r = c.query_one(
        "SELECT id, conversation_id, owner_id, department_team_id, complaint_type, state FROM complaint_tickets WHERE org_id = $1 AND id = $2",
        params![org_id, ticket_id],
    )?;
    let open = wire::<anxin_domain::complaint::TicketState>(&r.text(5)).is_some_and(|s| s.is_open());
    Ok(TicketRow { id: r.int(0), conversation_id: r.int(1), owner_id: r.int(2), department_team_id: r.opt_int(3), complaint_type: r.text(4), open })
}

/// The ticket, for someone who puts remedies to the customer or withdraws them: its agent (owner), a supervisor or
/// an admin. Someone who may only look at it (the conversation's assignee, a handler of its department) is
/// `Forbidden`; anyone else `NotFound`. A ticket that is no longer open is `Conflict("ticket_not_open")`.
fn ticket_for_agent(c: &mut dyn Conn, actor: &Principal, ticket_id: i64) -> Result<TicketRow> {
    let ticket = ticket_row(c, actor.org_id, ticket_id)?;
    let mine = actor.user_id == Some(ticket.owner_id);
    if !(mine || matches!(actor.role, Role::Admin | Role::Supervisor)) {
        let Some(me) = actor.user_id else { return Err(StoreError::NotFound) };
        let assignee = c.query_opt("SELECT 1 FROM conversations WHERE id = $1 AND assignee_id = $2", params![ticket.conversation_id, me])?;
        let handler = match ticket.department_team_id {
            Some(team) if actor.role == Role::Handler => {
                c.query_opt("SELECT 1 FROM team_members WHERE team_id = $1 AND user_id = $2", params![team, me])?.is_some()
            }
            _ => false,
        };
        if assignee.is_some() || handler {
            return Err(StoreError::Forbidden("the ticket's agent, a lead or an admin puts remedies to the customer"));
        }
        return Err(StoreError::NotFound);
    }
    if !ticket.open {
        return Err(StoreError::Conflict("ticket_not_open".into()));
    }
    Ok(ticket)
}

/// The ticket's remedies that stand before the customer now (presented, still approved), oldest first.
fn presented_in(c: &mut dyn Conn, ticket_id: i64) -> Result<Vec<Remedy>> {
    let sql = format!(
        "SELECT {REMEDY_COLUMNS} FROM ticket_remedies r JOIN remedy_presentations p ON p.remedy_id = r.id \
         WHERE r.ticket_id = $1 AND r.state = 'approved' ORDER BY r.id"
    );
    Ok(c.query(&sql, params![ticket_id])?.iter().map(remedy_from).collect())
}

fn chosen_in(c: &mut dyn Conn, ticket_id: i64) -> Result<Option<Remedy>> {
    let sql = format!("SELECT {REMEDY_COLUMNS} FROM ticket_remedies r WHERE r.ticket_id = $1 AND r.state = 'chosen'");
    Ok(c.query_opt(&sql, params![ticket_id])?.as_ref().map(remedy_from))
}

/// Tells the customer which remedies stand before them now.
fn offer_event(tx: &mut Tx<'_>, org_id: i64, ticket: &TicketRow, remedies: &[Remedy]) -> Result<()> {
    let list: Vec<OfferedRemedy> = remedies.iter().map(offered).collect();
    tx.emit(org_id, EventKind::RemediesOffered, Some(ticket.conversation_id), true, json!({"ticket_id": ticket.id, "remedies": list}))?;
    // Staff lists and pages follow tickets through `ticket_updated`.
    crate::sla::announce(tx, org_id, ticket.id, serde_json::Value::Null)
}

/// Asks the customer of a conversation to rate how it was handled (optionally: how a ticket was handled), and tells
/// the widget (`csat_requested`). While a request for the same conversation and ticket waits for its answer,
/// asking again changes nothing. `NotFound` for a conversation or ticket of another organisation.
pub(crate) fn request_csat_in(tx: &mut Tx<'_>, org_id: i64, conversation_id: i64, ticket_id: Option<i64>) -> Result<()> {
    request_in(tx, org_id, conversation_id, ticket_id).map(|_| ())
}

/// [`request_csat_in`], answering the new request's id (`None` when one was already waiting).
fn request_in(tx: &mut Tx<'_>, org_id: i64, conversation_id: i64, ticket_id: Option<i64>) -> Result<Option<i64>> {
    tx.conn.query_one("SELECT id FROM conversations WHERE org_id = $1 AND id = $2", params![org_id, conversation_id])?;
    if let Some(ticket) = ticket_id {
        tx.conn.query_one("SELECT id FROM complaint_tickets WHERE org_id = $1 AND id = $2 AND conversation_id = $3", params![org_id, ticket, conversation_id])?;
    }
    let now = tx.now;
    // The partial unique index keeps one pending request per conversation and ticket, also against a concurrent
    // writer on another connection.
    let inserted = tx.conn.query_opt(
        "INSERT INTO csat_requests (org_id, conversation_id, ticket_id, requested_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT DO NOTHING RETURNING id",
        params![org_id, conversation_id, ticket_id, now],
    )?;
    let Some(row) = inserted else { return Ok(None) };
    let request_id = row.int(0);
    let data = json!({"conversation_id": conversation_id, "ticket_id": ticket_id, "request_id": request_id});
    tx.emit(org_id, EventKind::CsatRequested, Some(conversation_id), true, data)?;
    Ok(Some(request_id))
}

fn rating_row(r: &Row) -> CsatRating {
    CsatRating {
        id: r.int(0),
        request_id: r.int(1),
        conversation_id: r.int(2),
        ticket_id: r.opt_int(3),
        agent_user_id: r.opt_int(4),
        team_id: r.opt_int(5),
        complaint_type: r.opt_text(6),
        rating: r.int(7),
        comment: r.opt_text(8),
        requested_at: r.int(9),
        rated_at: r.int(10),
    }
}

const RATING_SELECT: &str = "SELECT id, request_id, conversation_id, ticket_id, agent_user_id, team_id, complaint_type, rating, comment, \
    requested_at, rated_at FROM csat_ratings";

impl Store {
    /// Puts every approved remedy of the ticket to the customer (`remedies_offered` to the widget). The ticket's
    /// agent, a lead or an admin; audited. `Conflict("no_approved_remedies")` when there is nothing to put,
    /// `Conflict("remedy_already_chosen")` once the customer chose.
    pub async fn present_remedies(&self, actor: Principal, ticket_id: i64) -> Result<RemedyOffer> {
        self.write(move |tx| {
            let org_id = actor.org_id;
            let ticket = ticket_for_agent(tx.conn, &actor, ticket_id)?;
            if chosen_in(tx.conn, ticket.id)?.is_some() {
                return Err(StoreError::Conflict("remedy_already_chosen".into()));
            }
            let approved = tx.conn.query("SELECT id FROM ticket_remedies WHERE ticket_id = $1 AND state = 'approved' ORDER BY id", params![ticket.id])?;
            if approved.is_empty() {
                return Err(StoreError::Conflict("no_approved_remedies".into()));
            }
            let now = tx.now;
            let mut ids = Vec::new();
            for row in &approved {
                let id = row.int(0);
                ids.push(id);
                tx.conn.execute(
                    "INSERT INTO remedy_presentations (remedy_id, org_id, ticket_id, presented_by, presented_at) VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT (remedy_id) DO NOTHING",
                    params![id, org_id, ticket.id, actor.user_id, now],
                )?;
            }
            let remedies = presented_in(tx.conn, ticket.id)?;
            offer_event(tx, org_id, &ticket, &remedies)?;
            audit(tx, org_id, &actor.audit_name(), "ticket.remedies_present", &format!("ticket:{}", ticket.id), json!({"remedy_ids": ids}))?;
            Ok(RemedyOffer { ticket_id: ticket.id, conversation_id: ticket.conversation_id, remedies: remedies.iter().map(offered).collect(), chosen: None })
        })
        .await
    }

    /// Withdraws a remedy that is offered or approved (not the chosen one: `Conflict("remedy_chosen")`); withdrawing
    /// it again changes nothing. When it stood before the customer, the widget is told what remains. The ticket's
    /// agent, a lead or an admin; audited.
    pub async fn withdraw_remedy(&self, actor: Principal, ticket_id: i64, remedy_id: i64) -> Result<Remedy> {
        self.write(move |tx| {
            let org_id = actor.org_id;
            let ticket = ticket_for_agent(tx.conn, &actor, ticket_id)?;
            let select = format!("SELECT {REMEDY_COLUMNS} FROM ticket_remedies r WHERE r.ticket_id = $1 AND r.id = $2");
            let remedy = remedy_from(&tx.conn.query_one(&select, params![ticket.id, remedy_id])?);
            match remedy.state {
                RemedyState::Withdrawn => return Ok(remedy),
                RemedyState::Chosen => return Err(StoreError::Conflict("remedy_chosen".into())),
                RemedyState::Offered | RemedyState::Approved => {}
            }
            let changed = tx.conn.execute(
                "UPDATE ticket_remedies SET state = 'withdrawn' WHERE id = $1 AND state IN ('offered', 'approved')",
                params![remedy_id],
            )?;
            if changed == 0 {
                // The customer chose it a moment ago.
                return Err(StoreError::Conflict("remedy_chosen".into()));
            }
            let presented = tx.conn.query_opt("SELECT 1 FROM remedy_presentations WHERE remedy_id = $1", params![remedy_id])?.is_some();
            if presented {
                let remaining = presented_in(tx.conn, ticket.id)?;
                offer_event(tx, org_id, &ticket, &remaining)?;
            }
            let details = json!({"remedy_id": remedy_id, "kind": remedy.kind, "amount_fen": remedy.amount_fen, "from": remedy.state, "presented": presented});
            audit(tx, org_id, &actor.audit_name(), "ticket.remedy_withdraw", &format!("ticket:{}", ticket.id), details)?;
            Ok(remedy_from(&tx.conn.query_one(&select, params![ticket.id, remedy_id])?))
        })
        .await
    }

    /// The widget's visitor chooses one of the remedies put to them on a ticket of *their* conversation. Anything
    /// not presented on this conversation is `NotFound`; a withdrawn one `Conflict("remedy_withdrawn")`; another
    /// remedy of a ticket whose choice is made `Conflict("remedy_already_chosen")` (choosing the chosen one again
    /// answers it unchanged). Emits `remedy_chosen`; audited with the actor `customer`.
    pub async fn customer_choose_remedy(&self, org_id: i64, conversation_id: i64, remedy_id: i64) -> Result<Remedy> {
        self.write(move |tx| {
            let select = format!(
                "SELECT {REMEDY_COLUMNS} FROM ticket_remedies r JOIN remedy_presentations p ON p.remedy_id = r.id \
                 JOIN complaint_tickets t ON t.id = r.ticket_id WHERE r.id = $1 AND t.org_id = $2 AND t.conversation_id = $3"
            );
            let remedy = remedy_from(&tx.conn.query_one(&select, params![remedy_id, org_id, conversation_id])?);
            let ticket = ticket_row(tx.conn, org_id, remedy.ticket_id)?;
            match remedy.state {
                RemedyState::Chosen => return Ok(remedy),
                RemedyState::Withdrawn | RemedyState::Offered => return Err(StoreError::Conflict("remedy_withdrawn".into())),
                RemedyState::Approved => {}
            }
            if !ticket.open {
                return Err(StoreError::Conflict("ticket_not_open".into()));
            }
            if chosen_in(tx.conn, ticket.id)?.is_some() {
                return Err(StoreError::Conflict("remedy_already_chosen".into()));
            }
            let now = tx.now;
            // The partial unique index `ticket_remedies_one_chosen` holds the line against a concurrent choice.
            let changed = tx
                .conn
                .execute("UPDATE ticket_remedies SET state = 'chosen', chosen_at = $1 WHERE id = $2 AND state = 'approved'", params![now, remedy_id])
                .map_err(|e| if matches!(e, StoreError::Conflict(_)) { StoreError::Conflict("remedy_already_chosen".into()) } else { e })?;
            if changed == 0 {
                return Err(StoreError::Conflict("remedy_withdrawn".into()));
            }
            let chosen = remedy_from(&tx.conn.query_one(&select, params![remedy_id, org_id, conversation_id])?);
            let data = json!({"ticket_id": ticket.id, "remedy": offered(&chosen), "by": "customer"});
            tx.emit(org_id, EventKind::RemedyChosen, Some(conversation_id), true, data)?;
            crate::sla::announce(tx, org_id, ticket.id, serde_json::Value::Null)?;
            let details = json!({"remedy_id": remedy_id, "kind": chosen.kind, "amount_fen": chosen.amount_fen, "conversation_id": conversation_id});
            audit(tx, org_id, "customer", "ticket.remedy_choose", &format!("ticket:{}", ticket.id), details)?;
            Ok(chosen)
        })
        .await
    }

    /// Records the customer's answer to a rating request of their conversation: rating 1–5 (`Conflict("rating")`
    /// otherwise), comment as [`CsatComment`] (`Conflict("comment")`). A request of another conversation, or none,
    /// is `NotFound`; an answered one `Conflict("csat_already_recorded")`. Emits `csat_recorded`.
    pub async fn record_csat(&self, org_id: i64, conversation_id: i64, request_id: i64, rating: i64, comment: Option<String>) -> Result<CsatRating> {
        let rating = Rating::parse(rating).map_err(|_| StoreError::Conflict("rating".into()))?;
        let comment = match comment.as_deref() {
            Some(text) => CsatComment::parse(text).map_err(|_| StoreError::Conflict("comment".into()))?,
            None => None,
        };
        self.write(move |tx| {
            let request = tx.conn.query_one(
                "SELECT ticket_id, requested_at, answered_at FROM csat_requests WHERE org_id = $1 AND conversation_id = $2 AND id = $3",
                params![org_id, conversation_id, request_id],
            )?;
            if request.opt_int(2).is_some() {
                return Err(StoreError::Conflict("csat_already_recorded".into()));
            }
            let (ticket_id, requested_at) = (request.opt_int(0), request.int(1));
            let now = tx.now;
            let answered = tx.conn.execute("UPDATE csat_requests SET answered_at = $1 WHERE id = $2 AND answered_at IS NULL", params![now, request_id])?;
            if answered == 0 {
                return Err(StoreError::Conflict("csat_already_recorded".into()));
            }
            // Who and what is rated, as of now: the ticket's owner and type, else the conversation's assignee.
            let conversation = tx.conn.query_one("SELECT assignee_id, team_id, complaint_type FROM conversations WHERE id = $1", params![conversation_id])?;
            let (mut agent, team, mut complaint_type) = (conversation.opt_int(0), conversation.opt_int(1), conversation.opt_text(2));
            if let Some(ticket) = ticket_id {
                let t = ticket_row(tx.conn, org_id, ticket)?;
                agent = Some(t.owner_id);
                complaint_type = Some(t.complaint_type);
            } else if let Some(latest) = tx.conn.query_opt(
                "SELECT complaint_type FROM complaint_tickets WHERE org_id = $1 AND conversation_id = $2 ORDER BY id DESC LIMIT 1",
                params![org_id, conversation_id],
            )? {
                // A complaint's conversation counts under the type its agent gave the ticket, not the text engine's guess.
                complaint_type = Some(latest.text(0));
            }
            let id = tx
                .conn
                .query_one(
                    "INSERT INTO csat_ratings (org_id, request_id, conversation_id, ticket_id, agent_user_id, team_id, complaint_type, rating, \
                     comment, requested_at, rated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
                    params![
                        org_id,
                        request_id,
                        conversation_id,
                        ticket_id,
                        agent,
                        team,
                        complaint_type,
                        rating.get(),
                        comment.as_ref().map(CsatComment::as_str),
                        requested_at,
                        now
                    ],
                )
                .map_err(|e| if matches!(e, StoreError::Conflict(_)) { StoreError::Conflict("csat_already_recorded".into()) } else { e })?
                .int(0);
            let data = json!({
                "request_id": request_id, "conversation_id": conversation_id, "ticket_id": ticket_id,
                "rating": rating.get(), "comment": comment.as_ref().map(CsatComment::as_str),
            });
            tx.emit(org_id, EventKind::CsatRecorded, Some(conversation_id), true, data)?;
            Ok(rating_row(&tx.conn.query_one(&format!("{RATING_SELECT} WHERE id = $1"), params![id])?))
        })
        .await
    }

    /// What stands open before the customer of a conversation: remedy offers (with the choice once made) and
    /// rating requests without an answer.
    pub async fn customer_feedback(&self, org_id: i64, conversation_id: i64) -> Result<CustomerFeedback> {
        self.read(move |c| {
            c.query_one("SELECT id FROM conversations WHERE org_id = $1 AND id = $2", params![org_id, conversation_id])?;
            let tickets = c.query(
                "SELECT DISTINCT p.ticket_id FROM remedy_presentations p JOIN complaint_tickets t ON t.id = p.ticket_id \
                 WHERE t.org_id = $1 AND t.conversation_id = $2 ORDER BY p.ticket_id",
                params![org_id, conversation_id],
            )?;
            let mut offers = Vec::new();
            for row in tickets {
                let ticket_id = row.int(0);
                let chosen = chosen_in(c, ticket_id)?;
                let remedies = if chosen.is_some() { Vec::new() } else { presented_in(c, ticket_id)?.iter().map(offered).collect() };
                offers.push(RemedyOffer { ticket_id, conversation_id, remedies, chosen: chosen.as_ref().map(offered) });
            }
            let csat = c
                .query(
                    "SELECT id, conversation_id, ticket_id, requested_at FROM csat_requests WHERE org_id = $1 AND conversation_id = $2 \
                     AND answered_at IS NULL ORDER BY id",
                    params![org_id, conversation_id],
                )?
                .iter()
                .map(|r| CsatRequest { request_id: r.int(0), conversation_id: r.int(1), ticket_id: r.opt_int(2), requested_at: r.int(3) })
                .collect();
            Ok(CustomerFeedback { offers, csat })
        })
        .await
    }

    /// Ratings recorded since `since_ms`, grouped, with counts, averages and the 1–5 distribution. Supervisors and
    /// admins see the organisation's; agents only ratings of themselves; other roles are `Forbidden`.
    pub async fn csat_summary(&self, viewer: Principal, group_by: CsatGroupBy, since_ms: i64) -> Result<CsatSummary> {
        let own = match viewer.role {
            Role::Admin | Role::Supervisor => None,
            Role::Agent => Some(viewer.user_id.ok_or(StoreError::Forbidden("ratings of a person are read by that person"))?),
            _ => return Err(StoreError::Forbidden("CSAT reports are for supervisors and admins; agents see their own")),
        };
        self.read(move |c| {
            // (group key, its label and the label's GROUP BY entry, the join that names it)
            let (key, label, label_group, join) = match group_by {
                CsatGroupBy::Agent => ("r.agent_user_id", "u.display_name", ", u.display_name", "LEFT JOIN users u ON u.id = r.agent_user_id"),
                CsatGroupBy::Team => ("r.team_id", "g.name", ", g.name", "LEFT JOIN teams g ON g.id = r.team_id"),
                CsatGroupBy::ComplaintType => ("r.complaint_type", "CAST(NULL AS TEXT)", "", ""),
                CsatGroupBy::Conversation => ("r.conversation_id", "CAST(NULL AS TEXT)", "", ""),
            };
            let mine = if own.is_some() { " AND r.agent_user_id = $3" } else { "" };
            let sql = format!(
                "SELECT {key}, {label}, r.rating, COUNT(*) FROM csat_ratings r {join} WHERE r.org_id = $1 AND r.rated_at >= $2{mine} \
                 GROUP BY {key}{label_group}, r.rating ORDER BY {key}, r.rating"
            );
            let rows = match own {
                Some(me) => c.query(&sql, params![viewer.org_id, since_ms, me])?,
                None => c.query(&sql, params![viewer.org_id, since_ms])?,
            };
            let mut total = CsatStats::empty(None, None);
            let mut groups: Vec<CsatStats> = Vec::new();
            for r in &rows {
                let key = match &r.0[0] {
                    crate::conn::Value::Null => None,
                    crate::conn::Value::Text(t) => Some(json!(t)),
                    _ => Some(json!(r.int(0))),
                };
                let (rating, n) = (r.int(2), r.int(3));
                total.add(rating, n);
                match groups.iter_mut().find(|g| g.key == key) {
                    Some(g) => g.add(rating, n),
                    None => {
                        let mut g = CsatStats::empty(key, r.opt_text(1));
                        g.add(rating, n);
                        groups.push(g);
                    }
                }
            }
            // Most ratings first; ties by key, for a stable order.
            groups.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.key.as_ref().map(Value::to_string).cmp(&b.key.as_ref().map(Value::to_string))));
            Ok(CsatSummary { group_by, since: since_ms, own_only: own.is_some(), total, groups })
        })
        .await
    }

    /// One conversation's ratings, newest first (staff who may read conversations).
    pub async fn csat_ratings(&self, org_id: i64, conversation_id: i64) -> Result<Vec<CsatRating>> {
        self.read(move |c| {
            let sql = format!("{RATING_SELECT} WHERE org_id = $1 AND conversation_id = $2 ORDER BY id DESC");
            Ok(c.query(&sql, params![org_id, conversation_id])?.iter().map(rating_row).collect())
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratings_are_one_to_five() {
        for (value, ok) in [(0, false), (1, true), (3, true), (5, true), (6, false), (-1, false), (i64::MAX, false)] {
            assert_eq!(Rating::parse(value).is_ok(), ok, "{value}");
        }
        assert_eq!(Rating::parse(4).unwrap().get(), 4);
    }

    #[test]
    fn comments_are_short_plain_text() {
        assert_eq!(CsatComment::parse("  很满意，谢谢！ ").unwrap().unwrap().as_str(), "很满意，谢谢！");
        assert_eq!(CsatComment::parse("   "), Ok(None));
        assert_eq!(CsatComment::parse("第一行\n第二行").unwrap().unwrap().as_str(), "第一行\n第二行");
        assert_eq!(CsatComment::parse("a\u{0}b"), Err("invalid"));
        assert_eq!(CsatComment::parse("a\u{1b}[31mb"), Err("invalid"));
        assert_eq!(CsatComment::parse(&"好".repeat(1001)), Err("too_long"));
        assert!(CsatComment::parse(&"好".repeat(1000)).is_ok());
    }

    #[test]
    fn stats_count_average_and_distribute() {
        let mut s = CsatStats::empty(None, None);
        s.add(5, 2);
        s.add(2, 1);
        s.add(9, 4); // not a rating: ignored
        assert_eq!((s.count, s.distribution, s.average), (3, [0, 1, 0, 0, 2], 4.0));
        s.add(4, 1);
        assert_eq!(s.average, 4.0);
        s.add(1, 2);
        assert_eq!((s.count, s.average), (6, 3.0));
    }
}
