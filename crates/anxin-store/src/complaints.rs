//! Complaint tickets, stored (PRODUCT.md §6): tickets opened from a conversation, every workflow step, the remedies
//! offered to the customer, and the escalation path (complaint type → department team) of each organisation.
//!
//! The workflow is `anxin_domain::complaint`'s; this module maps the acting person to a [`TicketActor`], applies
//! [`complaint::next`] inside the write transaction and records the step. A step is applied with
//! `UPDATE … WHERE id = ? AND version = ?`: of two people acting on the same version, one wins and the other is
//! told the ticket changed ([`TicketRefusal::Changed`]); nothing is half-applied.
//!
//! Who the ticket sees in a person (several hats are possible, tried in this order): an admin → `Admin`, a
//! supervisor → `Lead` (any supervisor of the organisation), the ticket's owner → `Agent`, a `handler`-role member
//! of the ticket's department team → `Handler`. Someone with no hat sees the ticket only when the conversation is
//! assigned to them (then acting is 403); anyone else gets `NotFound`.
//!
//! Escalation paths: a type without a stored path goes to its default department (logistics → 物流部, quality →
//! 品控部, refund_return → 售后部, payment → 财务部, size_spec → 仓储部, the rest → 客服主管). The first approval that
//! needs it creates the department team when the organisation has none of that name (audited) and stores the path,
//! so the seeds' flow works without configuration; handlers are then added to the team. A path stored with no
//! team means "the lead chooses": approving then needs `department_team_id`.

use anxin_domain::complaint::{self, RemedyDecision, RemedyKind, RemedyLimits, Refused, RefusedBecause, TicketAction, TicketActor, TicketState};
use anxin_domain::events::EventKind;
use anxin_domain::sla::SlaStatus;
use anxin_domain::{ChannelKind, ComplaintType, Role};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::conn::{Conn, Result, Row, StoreError};
use crate::exec::Tx;
use crate::ops::{audit, conversation_in};
use crate::records::Principal;
use crate::{Store, params};

/// Migration 5: the complaint tables.
pub(crate) const SCHEMA: &str = r#"
CREATE TABLE escalation_paths (
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    complaint_type TEXT NOT NULL,
    team_id BIGINT REFERENCES teams(id),
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, complaint_type)
);
CREATE TABLE complaint_tickets (
    id {ID},
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    conversation_id BIGINT NOT NULL REFERENCES conversations(id),
    complaint_type TEXT NOT NULL,
    severity TEXT NOT NULL,
    emotion TEXT,
    intensity {REAL} NOT NULL DEFAULT 0,
    order_ref TEXT,
    department_team_id BIGINT REFERENCES teams(id),
    owner_id BIGINT NOT NULL REFERENCES users(id),
    state TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    step_due_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    resolved_at BIGINT,
    closed_at BIGINT
);
CREATE INDEX complaint_tickets_owner ON complaint_tickets(org_id, owner_id, state);
CREATE INDEX complaint_tickets_department ON complaint_tickets(org_id, department_team_id, state);
CREATE INDEX complaint_tickets_state ON complaint_tickets(org_id, state, updated_at);
CREATE INDEX complaint_tickets_conversation ON complaint_tickets(conversation_id);
CREATE TABLE ticket_steps (
    id {ID},
    ticket_id BIGINT NOT NULL REFERENCES complaint_tickets(id),
    from_state TEXT,
    to_state TEXT NOT NULL,
    action TEXT NOT NULL,
    actor_user_id BIGINT REFERENCES users(id),
    actor_name TEXT NOT NULL,
    acted_as TEXT,
    comment TEXT,
    department_team_id BIGINT REFERENCES teams(id),
    created_at BIGINT NOT NULL
);
CREATE INDEX ticket_steps_ticket ON ticket_steps(ticket_id, id);
CREATE TABLE ticket_remedies (
    id {ID},
    ticket_id BIGINT NOT NULL REFERENCES complaint_tickets(id),
    kind TEXT NOT NULL,
    amount_fen BIGINT,
    note TEXT,
    state TEXT NOT NULL,
    needs_approval_by TEXT,
    limit_fen BIGINT,
    offered_by BIGINT REFERENCES users(id),
    approved_by BIGINT REFERENCES users(id),
    created_at BIGINT NOT NULL,
    approved_at BIGINT,
    chosen_at BIGINT
);
CREATE INDEX ticket_remedies_ticket ON ticket_remedies(ticket_id, id);
CREATE UNIQUE INDEX ticket_remedies_one_chosen ON ticket_remedies(ticket_id) WHERE state = 'chosen';
"#;

pub use anxin_domain::sla::TicketSeverity;

/// Where an offered remedy stands. `offered`: above the offerer's limit, waiting for approval; `approved`: may be
/// put to the customer (within the limit, or approved); `chosen`: the customer's choice (one per ticket).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RemedyState {
    Offered,
    Approved,
    Chosen,
    Withdrawn,
}

/// An order reference as the customer gives it: 1–64 characters after trimming, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrderRef(String);

impl OrderRef {
    pub const MAX_CHARS: usize = 64;

    pub fn parse(text: &str) -> std::result::Result<OrderRef, &'static str> {
        let text = text.trim();
        if text.is_empty() {
            return Err("empty");
        }
        if text.chars().count() > Self::MAX_CHARS {
            return Err("too_long");
        }
        if text.chars().any(char::is_control) {
            return Err("invalid");
        }
        Ok(OrderRef(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A comment on a step: at most this many characters (checked at the boundary).
pub const COMMENT_MAX_CHARS: usize = 2000;
/// Most tickets a list returns.
const LIST_LIMIT: i64 = 200;

/// What the agent gives when opening a ticket.
#[derive(Debug, Clone)]
pub struct NewTicket {
    pub conversation_id: i64,
    /// `None`: the type the text engine found in the conversation, else `other`.
    pub complaint_type: Option<ComplaintType>,
    pub severity: TicketSeverity,
    pub order_ref: Option<OrderRef>,
    /// The product or SKU label (same rules as an order reference).
    pub product: Option<OrderRef>,
    pub comment: Option<String>,
}

/// One workflow action as someone asks for it.
#[derive(Debug, Clone)]
pub struct TicketAct {
    pub action: TicketAction,
    pub comment: Option<String>,
    /// The version the person saw; a different current version is a [`TicketRefusal::Changed`].
    pub expected_version: i64,
    /// The department a lead chooses when approving (else the escalation path's).
    pub department_team_id: Option<i64>,
}

/// A remedy as offered.
#[derive(Debug, Clone)]
pub struct NewRemedy {
    pub kind: RemedyKind,
    pub amount_fen: Option<i64>,
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ticket {
    pub id: i64,
    pub conversation_id: i64,
    pub complaint_type: ComplaintType,
    pub severity: TicketSeverity,
    /// The customer's emotion and its intensity when the ticket was opened.
    pub emotion: Option<String>,
    pub intensity: f64,
    pub order_ref: Option<String>,
    pub department_team_id: Option<i64>,
    pub department_name: Option<String>,
    pub owner_id: i64,
    pub owner_name: String,
    pub state: TicketState,
    /// Who holds the current step (`None` once nothing is left to do).
    pub holder: Option<TicketActor>,
    /// Goes up by one with every step; acting needs the current one.
    pub version: i64,
    /// The current step's deadline (the `step` clock).
    pub step_due_at: Option<i64>,
    /// The product or SKU label the complaint is about (the root-cause view groups by it).
    pub product: Option<String>,
    /// The conversation's channel when the ticket was opened (SLA policies may depend on it).
    pub channel: Option<ChannelKind>,
    /// Where the ticket stands against its running clocks (as of the last step or sweep).
    pub sla_status: SlaStatus,
    pub first_response_due_at: Option<i64>,
    pub next_response_due_at: Option<i64>,
    pub resolution_due_at: Option<i64>,
    /// When the follow-up with the customer is due (set at resolution).
    pub follow_up_due_at: Option<i64>,
    /// When a breach last escalated the ticket automatically.
    pub escalated_at: Option<i64>,
    /// Set at resolution: whether it came within the resolution target (the recovery rate counts these).
    pub resolved_within_target: Option<bool>,
    pub created_at: i64,
    pub updated_at: i64,
    pub resolved_at: Option<i64>,
    /// When the ticket left the workflow (closed after the follow-up, or cancelled).
    pub closed_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TicketStep {
    pub id: i64,
    /// `None` for the opening step.
    pub from_state: Option<TicketState>,
    pub to_state: TicketState,
    /// A [`TicketAction`] spelling, or `open`.
    pub action: String,
    pub actor_user_id: Option<i64>,
    pub actor_name: String,
    /// The hat the person acted in.
    pub acted_as: Option<TicketActor>,
    pub comment: Option<String>,
    pub department_team_id: Option<i64>,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Remedy {
    pub id: i64,
    pub ticket_id: i64,
    pub kind: RemedyKind,
    pub amount_fen: Option<i64>,
    pub note: Option<String>,
    pub state: RemedyState,
    /// Who must approve it (while `offered`), and the offerer's limit it went over.
    pub needs_approval_by: Option<TicketActor>,
    pub limit_fen: Option<i64>,
    pub offered_by: Option<i64>,
    pub approved_by: Option<i64>,
    pub created_at: i64,
    pub approved_at: Option<i64>,
    pub chosen_at: Option<i64>,
}

/// A ticket with its history and remedies, and what the viewer may do now.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TicketDetail {
    pub ticket: Ticket,
    pub steps: Vec<TicketStep>,
    pub remedies: Vec<Remedy>,
    pub allowed: Vec<TicketAction>,
}

/// Why an action was not applied (nothing was written).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "refusal")]
pub enum TicketRefusal {
    /// The workflow does not allow it; says what is allowed instead.
    Workflow(Refused),
    /// Someone else acted first: the ticket is now at this version and state.
    Changed { version: i64, state: TicketState },
}

/// Which tickets a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketView {
    /// Tickets I own that are not closed or cancelled (resolved ones await my follow-up).
    Mine,
    /// Tickets with a department I am a member of.
    Department,
    /// Every open ticket (supervisors and admins).
    Open,
}

/// A complaint type's escalation path as the organisation sees it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EscalationPath {
    pub complaint_type: ComplaintType,
    pub team_id: Option<i64>,
    pub team_name: Option<String>,
    /// The department used while no path is stored.
    pub default_department: &'static str,
    /// Whether a path is stored (`team_id` `None` with `configured`: the lead chooses at approval).
    pub configured: bool,
}

/// The department a complaint type goes to when the organisation has not said otherwise.
pub fn default_department(kind: ComplaintType) -> &'static str {
    match kind {
        ComplaintType::Logistics => "物流部",
        ComplaintType::Quality => "品控部",
        ComplaintType::RefundReturn => "售后部",
        ComplaintType::Payment => "财务部",
        ComplaintType::SizeSpec => "仓储部",
        ComplaintType::Price | ComplaintType::Service | ComplaintType::Other => "客服主管",
    }
}

/// The wire spelling of a serde enum (what the database stores).
pub(crate) fn spell<T: Serialize>(value: T) -> String {
    match serde_json::to_value(value) {
        Ok(Value::String(s)) => s,
        other => panic!("not a unit enum: {other:?}"),
    }
}

pub(crate) fn wire<T: DeserializeOwned>(text: &str) -> Option<T> {
    serde_json::from_value(Value::String(text.to_owned())).ok()
}

const TICKET_SELECT: &str = "SELECT t.id, t.conversation_id, t.complaint_type, t.severity, t.emotion, t.intensity, t.order_ref, \
    t.department_team_id, d.name, t.owner_id, u.display_name, t.state, t.version, t.step_due_at, t.created_at, t.updated_at, \
    t.resolved_at, t.closed_at, t.product, t.channel, t.sla_status, t.first_response_due_at, t.next_response_due_at, \
    t.resolution_due_at, t.follow_up_due_at, t.escalated_at, t.resolved_within_target FROM complaint_tickets t JOIN users u ON u.id = t.owner_id LEFT JOIN teams d ON d.id = t.department_team_id";

fn ticket_from(r: &Row) -> Ticket {
    let state = wire(&r.text(11)).unwrap_or(TicketState::AwaitingLead);
    Ticket {
        id: r.int(0),
        conversation_id: r.int(1),
        complaint_type: ComplaintType::parse(&r.text(2)).unwrap_or(ComplaintType::Other),
        severity: wire(&r.text(3)).unwrap_or(TicketSeverity::Normal),
        emotion: r.opt_text(4),
        intensity: r.real(5),
        order_ref: r.opt_text(6),
        department_team_id: r.opt_int(7),
        department_name: r.opt_text(8),
        owner_id: r.int(9),
        owner_name: r.text(10),
        state,
        holder: state.holder(),
        version: r.int(12),
        step_due_at: r.opt_int(13),
        created_at: r.int(14),
        updated_at: r.int(15),
        resolved_at: r.opt_int(16),
        closed_at: r.opt_int(17),
        product: r.opt_text(18),
        channel: r.opt_text(19).and_then(|c| ChannelKind::parse(&c)),
        sla_status: SlaStatus::parse(&r.text(20)).unwrap_or(SlaStatus::None),
        first_response_due_at: r.opt_int(21),
        next_response_due_at: r.opt_int(22),
        resolution_due_at: r.opt_int(23),
        follow_up_due_at: r.opt_int(24),
        escalated_at: r.opt_int(25),
        resolved_within_target: r.opt_int(26).map(|v| v != 0),
    }
}

const STEP_SELECT: &str = "SELECT id, from_state, to_state, action, actor_user_id, actor_name, acted_as, comment, department_team_id, \
    created_at FROM ticket_steps";

fn step_from(r: &Row) -> TicketStep {
    TicketStep {
        id: r.int(0),
        from_state: r.opt_text(1).and_then(|s| wire(&s)),
        to_state: wire(&r.text(2)).unwrap_or(TicketState::AwaitingLead),
        action: r.text(3),
        actor_user_id: r.opt_int(4),
        actor_name: r.text(5),
        acted_as: r.opt_text(6).and_then(|s| wire(&s)),
        comment: r.opt_text(7),
        department_team_id: r.opt_int(8),
        created_at: r.int(9),
    }
}

/// The columns of `ticket_remedies` (aliased `r`) that [`remedy_from`] reads.
pub(crate) const REMEDY_COLUMNS: &str = "r.id, r.ticket_id, r.kind, r.amount_fen, r.note, r.state, r.needs_approval_by, r.limit_fen, \
    r.offered_by, r.approved_by, r.created_at, r.approved_at, r.chosen_at";

pub(crate) fn remedy_from(r: &Row) -> Remedy {
    Remedy {
        id: r.int(0),
        ticket_id: r.int(1),
        kind: wire(&r.text(2)).unwrap_or(RemedyKind::Repair),
        amount_fen: r.opt_int(3),
        note: r.opt_text(4),
        state: wire(&r.text(5)).unwrap_or(RemedyState::Withdrawn),
        needs_approval_by: r.opt_text(6).and_then(|s| wire(&s)),
        limit_fen: r.opt_int(7),
        offered_by: r.opt_int(8),
        approved_by: r.opt_int(9),
        created_at: r.int(10),
        approved_at: r.opt_int(11),
        chosen_at: r.opt_int(12),
    }
}

pub(crate) fn ticket_in(c: &mut dyn Conn, org_id: i64, id: i64) -> Result<Ticket> {
    Ok(ticket_from(&c.query_one(&format!("{TICKET_SELECT} WHERE t.org_id = $1 AND t.id = $2"), params![org_id, id])?))
}

/// What the ticket sees in a person: their hats (possibly several, most senior first) and whether they may see it.
struct Viewer {
    hats: Vec<TicketActor>,
    visible: bool,
}

fn viewer_of(c: &mut dyn Conn, ticket: &Ticket, who: &Principal) -> Result<Viewer> {
    let mut hats = Vec::new();
    match who.role {
        Role::Admin => hats.push(TicketActor::Admin),
        Role::Supervisor => hats.push(TicketActor::Lead),
        _ => {}
    }
    let Some(me) = who.user_id else { return Ok(Viewer { visible: !hats.is_empty(), hats }) };
    if ticket.owner_id == me {
        hats.push(TicketActor::Agent);
    }
    if who.role == Role::Handler {
        if let Some(team) = ticket.department_team_id {
            if c.query_opt("SELECT 1 FROM team_members WHERE team_id = $1 AND user_id = $2", params![team, me])?.is_some() {
                hats.push(TicketActor::Handler);
            }
        }
    }
    let visible = !hats.is_empty()
        || c.query_opt("SELECT 1 FROM conversations WHERE id = $1 AND assignee_id = $2", params![ticket.conversation_id, me])?.is_some();
    Ok(Viewer { hats, visible })
}

/// The viewer's hats, or `NotFound` when they may not see the ticket and `Forbidden` when they may see but not act.
fn acting_hats(c: &mut dyn Conn, ticket: &Ticket, who: &Principal) -> Result<Vec<TicketActor>> {
    let viewer = viewer_of(c, ticket, who)?;
    if !viewer.visible {
        return Err(StoreError::NotFound);
    }
    if viewer.hats.is_empty() {
        return Err(StoreError::Forbidden("only the ticket's agent, a lead, its department's handlers or an admin act on it"));
    }
    Ok(viewer.hats)
}

/// What any of the hats may do in `state`, in [`TicketAction::ALL`] order.
fn allowed_for(state: TicketState, hats: &[TicketActor]) -> Vec<TicketAction> {
    let mut all: Vec<TicketAction> = hats.iter().flat_map(|h| complaint::allowed(state, *h)).collect();
    all.sort_by_key(|a| TicketAction::ALL.iter().position(|x| x == a));
    all.dedup();
    all
}

/// Tries the action in each hat; the first that the workflow accepts is the one the person acts in. When none
/// does, the refusal lists everything the person may do, and says "comment required" over "not yours" over "not
/// from this state" (the most useful of the reasons).
fn decide(state: TicketState, action: TicketAction, hats: &[TicketActor], comment: Option<&str>) -> std::result::Result<(TicketState, TicketActor), Refused> {
    let mut best: Option<RefusedBecause> = None;
    for hat in hats {
        match complaint::next(state, action, *hat, comment) {
            Ok(to) => return Ok((to, *hat)),
            Err(refused) => {
                let rank = |r: RefusedBecause| match r {
                    RefusedBecause::CommentRequired => 2,
                    RefusedBecause::NotYours => 1,
                    RefusedBecause::NotFromThisState => 0,
                };
                if best.is_none_or(|b| rank(refused.reason) > rank(b)) {
                    best = Some(refused.reason);
                }
            }
        }
    }
    Err(Refused { state, action, reason: best.unwrap_or(RefusedBecause::NotYours), allowed: allowed_for(state, hats) })
}

fn detail_in(c: &mut dyn Conn, org_id: i64, id: i64, hats: &[TicketActor]) -> Result<TicketDetail> {
    let ticket = ticket_in(c, org_id, id)?;
    let steps = c.query(&format!("{STEP_SELECT} WHERE ticket_id = $1 ORDER BY id"), params![id])?.iter().map(step_from).collect();
    let remedies = c.query(&format!("SELECT {REMEDY_COLUMNS} FROM ticket_remedies r WHERE r.ticket_id = $1 ORDER BY r.id"), params![id])?.iter().map(remedy_from).collect();
    let allowed = allowed_for(ticket.state, hats);
    Ok(TicketDetail { ticket, steps, remedies, allowed })
}

/// Whether a ticket change is its opening or a later one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TicketChange {
    Created,
    Updated,
}

/// The one place a ticket change is announced. Today it writes the audit entry (`audit_action` on
/// `ticket:{id}`); the staff-only events `ticket_created` / `ticket_updated` are to be emitted here too once
/// `EventKind` has them (data: `{"ticket": ticket}`, conversation id set, `customer_visible` false).
fn ticket_event(tx: &mut Tx<'_>, org_id: i64, change: TicketChange, audit_action: &str, actor: &Principal, ticket: &Ticket, details: Value) -> Result<()> {
    let kind = match change {
        TicketChange::Created => EventKind::TicketCreated,
        TicketChange::Updated => EventKind::TicketUpdated,
    };
    tx.emit(org_id, kind, Some(ticket.conversation_id), false, json!({ "ticket": ticket }))?;
    let mut details = details;
    if let Value::Object(map) = &mut details {
        map.insert("state".into(), json!(ticket.state));
        map.insert("version".into(), json!(ticket.version));
    }
    audit(tx, org_id, &actor.audit_name(), audit_action, &format!("ticket:{}", ticket.id), details)
}

/// One step as recorded in `ticket_steps`.
struct StepRecord<'a> {
    from: Option<TicketState>,
    to: TicketState,
    action: &'a str,
    acted_as: Option<TicketActor>,
    comment: Option<&'a str>,
    department: Option<i64>,
}

fn insert_step(tx: &mut Tx<'_>, ticket_id: i64, actor: &Principal, step: StepRecord<'_>) -> Result<()> {
    let now = tx.now;
    tx.conn.execute(
        "INSERT INTO ticket_steps (ticket_id, from_state, to_state, action, actor_user_id, actor_name, acted_as, comment, \
         department_team_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        params![
            ticket_id,
            step.from.map(spell),
            spell(step.to),
            step.action,
            actor.user_id,
            &actor.name,
            step.acted_as.map(spell),
            step.comment,
            step.department,
            now
        ],
    )?;
    Ok(())
}

/// The department a complaint type goes to: the stored path, or the default department (created, with its path,
/// when first needed). `None`: the path says the lead chooses.
fn department_for(tx: &mut Tx<'_>, org_id: i64, kind: ComplaintType, actor: &Principal) -> Result<Option<i64>> {
    let path = "SELECT team_id FROM escalation_paths WHERE org_id = $1 AND complaint_type = $2";
    if let Some(row) = tx.conn.query_opt(path, params![org_id, kind.as_str()])? {
        return Ok(row.opt_int(0));
    }
    let now = tx.now;
    let name = default_department(kind);
    let created = tx.conn.execute(
        "INSERT INTO teams (org_id, name, created_at) VALUES ($1, $2, $3) ON CONFLICT (org_id, name) DO NOTHING",
        params![org_id, name, now],
    )?;
    let team = tx.conn.query_one("SELECT id FROM teams WHERE org_id = $1 AND name = $2", params![org_id, name])?.int(0);
    if created > 0 {
        let details = json!({"name": name, "reason": "default escalation path", "complaint_type": kind});
        audit(tx, org_id, &actor.audit_name(), "team.create", &format!("team:{team}"), details)?;
    }
    tx.conn.execute(
        "INSERT INTO escalation_paths (org_id, complaint_type, team_id, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (org_id, complaint_type) DO NOTHING",
        params![org_id, kind.as_str(), team, now],
    )?;
    Ok(tx.conn.query_one(path, params![org_id, kind.as_str()])?.opt_int(0))
}

fn team_in(c: &mut dyn Conn, org_id: i64, team_id: i64, field: &str) -> Result<i64> {
    c.query_opt("SELECT id FROM teams WHERE org_id = $1 AND id = $2", params![org_id, team_id])?
        .map(|r| r.int(0))
        .ok_or_else(|| StoreError::Conflict(field.to_owned()))
}

/// The organisation's remedy limits (`settings.remedy_limits`), defaults when unset or unreadable.
fn limits_in(c: &mut dyn Conn, org_id: i64) -> Result<RemedyLimits> {
    let settings = c.query_one("SELECT settings FROM organizations WHERE id = $1", params![org_id])?.text(0);
    let settings: Value = serde_json::from_str(&settings).unwrap_or(Value::Null);
    Ok(settings.get("remedy_limits").and_then(|l| serde_json::from_value(l.clone()).ok()).unwrap_or_default())
}

fn remedy_in(c: &mut dyn Conn, ticket_id: i64, remedy_id: i64) -> Result<Remedy> {
    Ok(remedy_from(&c.query_one(&format!("SELECT {REMEDY_COLUMNS} FROM ticket_remedies r WHERE r.ticket_id = $1 AND r.id = $2"), params![ticket_id, remedy_id])?))
}

/// The ticket, visible to `actor` and still open, with the hats they act in.
fn open_ticket_for(c: &mut dyn Conn, actor: &Principal, ticket_id: i64) -> Result<(Ticket, Vec<TicketActor>)> {
    let ticket = ticket_in(c, actor.org_id, ticket_id)?;
    let hats = acting_hats(c, &ticket, actor)?;
    if !ticket.state.is_open() {
        return Err(StoreError::Conflict("ticket_not_open".into()));
    }
    Ok((ticket, hats))
}

impl Store {
    /// Opens a ticket on a conversation; the opener becomes its owner (the agent) and it goes to the lead. The
    /// customer's emotion and intensity are taken from the conversation now. Several tickets per conversation are
    /// allowed.
    pub async fn open_ticket(&self, actor: Principal, new: NewTicket) -> Result<TicketDetail> {
        self.write(move |tx| {
            let org_id = actor.org_id;
            let owner = actor.user_id.ok_or(StoreError::Forbidden("a ticket is opened by a person, not an API token"))?;
            let conversation = conversation_in(tx.conn, org_id, new.conversation_id)?;
            let kind = new
                .complaint_type
                .or_else(|| conversation.complaint_type.as_deref().and_then(ComplaintType::parse))
                .unwrap_or(ComplaintType::Other);
            let now = tx.now;
            let state = TicketState::AwaitingLead;
            let id = tx
                .conn
                .query_one(
                    "INSERT INTO complaint_tickets (org_id, conversation_id, complaint_type, severity, emotion, intensity, order_ref, \
                     owner_id, state, version, created_at, updated_at, product, channel) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1, $10, $10, $11, (SELECT kind FROM channels WHERE id = $12)) RETURNING id",
                    params![
                        org_id,
                        conversation.id,
                        kind.as_str(),
                        spell(new.severity),
                        conversation.emotion.clone(),
                        conversation.intensity,
                        new.order_ref.as_ref().map(OrderRef::as_str),
                        owner,
                        spell(state),
                        now,
                        new.product.as_ref().map(OrderRef::as_str),
                        conversation.channel_id
                    ],
                )?
                .int(0);
            let opening = StepRecord { from: None, to: state, action: "open", acted_as: Some(TicketActor::Agent), comment: new.comment.as_deref(), department: None };
            insert_step(tx, id, &actor, opening)?;
            crate::sla::on_opened(tx, id)?;
            let ticket = ticket_in(tx.conn, org_id, id)?;
            let details = json!({"conversation_id": conversation.id, "complaint_type": kind, "severity": new.severity});
            ticket_event(tx, org_id, TicketChange::Created, "ticket.open", &actor, &ticket, details)?;
            let hats = viewer_of(tx.conn, &ticket, &actor)?.hats;
            detail_in(tx.conn, org_id, id, &hats)
        })
        .await
    }

    /// A ticket with its steps and remedies, for someone who may see it (else `NotFound`).
    pub async fn ticket(&self, viewer: Principal, ticket_id: i64) -> Result<TicketDetail> {
        self.read(move |c| {
            let ticket = ticket_in(c, viewer.org_id, ticket_id)?;
            let seen = viewer_of(c, &ticket, &viewer)?;
            if !seen.visible {
                return Err(StoreError::NotFound);
            }
            detail_in(c, viewer.org_id, ticket_id, &seen.hats)
        })
        .await
    }

    /// A list of tickets, most recently changed first. `Open` is for supervisors and admins.
    pub async fn tickets(&self, viewer: Principal, view: TicketView) -> Result<Vec<Ticket>> {
        if view == TicketView::Open && !matches!(viewer.role, Role::Supervisor | Role::Admin) {
            return Err(StoreError::Forbidden("the open-ticket list is for supervisors and admins"));
        }
        self.read(move |c| {
            let org_id = viewer.org_id;
            let me = viewer.user_id.unwrap_or(0);
            let order = format!("ORDER BY t.updated_at DESC, t.id DESC LIMIT {LIST_LIMIT}");
            let rows = match view {
                TicketView::Mine => c.query(
                    &format!("{TICKET_SELECT} WHERE t.org_id = $1 AND t.owner_id = $2 AND t.state NOT IN ('closed', 'cancelled') {order}"),
                    params![org_id, me],
                )?,
                TicketView::Department => c.query(
                    &format!(
                        "{TICKET_SELECT} WHERE t.org_id = $1 AND t.state = 'with_department' AND t.department_team_id IN \
                         (SELECT team_id FROM team_members WHERE user_id = $2) {order}"
                    ),
                    params![org_id, me],
                )?,
                TicketView::Open => {
                    let open: Vec<String> = TicketState::ALL.iter().filter(|s| s.is_open()).map(|s| format!("'{}'", spell(*s))).collect();
                    c.query(&format!("{TICKET_SELECT} WHERE t.org_id = $1 AND t.state IN ({}) {order}", open.join(", ")), params![org_id])?
                }
            };
            Ok(rows.iter().map(ticket_from).collect())
        })
        .await
    }

    /// Takes a workflow step. `Ok(Err(..))` when it was refused or someone acted first (nothing written);
    /// `NotFound` when the person may not see the ticket, `Forbidden` when they see it but have no hat;
    /// `Conflict("department_team_id")` for a department of another organisation, `Conflict("department_required")`
    /// when approving a type whose path says the lead chooses, without a choice.
    pub async fn act_on_ticket(&self, actor: Principal, ticket_id: i64, act: TicketAct) -> Result<std::result::Result<TicketDetail, TicketRefusal>> {
        self.write(move |tx| {
            let org_id = actor.org_id;
            let ticket = ticket_in(tx.conn, org_id, ticket_id)?;
            let hats = acting_hats(tx.conn, &ticket, &actor)?;
            if ticket.version != act.expected_version {
                return Ok(Err(TicketRefusal::Changed { version: ticket.version, state: ticket.state }));
            }
            let comment = act.comment.as_deref().map(str::trim).filter(|c| !c.is_empty());
            let (to, hat) = match decide(ticket.state, act.action, &hats, comment) {
                Ok(decided) => decided,
                Err(refused) => return Ok(Err(TicketRefusal::Workflow(refused))),
            };
            let department = if act.action == TicketAction::Approve {
                match act.department_team_id {
                    Some(team) => Some(team_in(tx.conn, org_id, team, "department_team_id")?),
                    None => match ticket.department_team_id {
                        // Approved again after a hand-back: the same department unless the lead names another.
                        Some(team) => Some(team),
                        None => Some(
                            department_for(tx, org_id, ticket.complaint_type, &actor)?
                                .ok_or_else(|| StoreError::Conflict("department_required".into()))?,
                        ),
                    },
                }
            } else {
                ticket.department_team_id
            };
            let now = tx.now;
            let (resolved_at, closed_at) = match to {
                TicketState::Resolved => (Some(now), None),
                TicketState::Closed | TicketState::Cancelled => (ticket.resolved_at, Some(now)),
                _ if act.action == TicketAction::Reopen => (None, None),
                _ => (ticket.resolved_at, ticket.closed_at),
            };
            let changed = tx.conn.execute(
                "UPDATE complaint_tickets SET state = $1, version = version + 1, department_team_id = $2, resolved_at = $3, \
                 closed_at = $4, updated_at = $5 WHERE org_id = $6 AND id = $7 AND version = $8",
                params![spell(to), department, resolved_at, closed_at, now, org_id, ticket_id, act.expected_version],
            )?;
            if changed == 0 {
                // Another writer committed a step between our read and our update.
                let current = ticket_in(tx.conn, org_id, ticket_id)?;
                return Ok(Err(TicketRefusal::Changed { version: current.version, state: current.state }));
            }
            let step_department = if act.action == TicketAction::Approve { department } else { None };
            let action = spell(act.action);
            let step = StepRecord { from: Some(ticket.state), to, action: &action, acted_as: Some(hat), comment, department: step_department };
            insert_step(tx, ticket_id, &actor, step)?;
            crate::sla::on_step(tx, ticket_id, ticket.state)?;
            if to == TicketState::Resolved {
                // The customer is asked how the complaint was handled (CSAT), in the widget.
                crate::feedback::request_csat_in(tx, org_id, ticket.conversation_id, Some(ticket_id))?;
            }
            let after = ticket_in(tx.conn, org_id, ticket_id)?;
            let details = json!({"action": act.action, "from": ticket.state, "as": hat, "comment": comment, "department_team_id": step_department});
            ticket_event(tx, org_id, TicketChange::Updated, "ticket.act", &actor, &after, details)?;
            // The person's hats may have changed with the department (a handler now sees it as theirs).
            let hats = viewer_of(tx.conn, &after, &actor)?.hats;
            detail_in(tx.conn, org_id, ticket_id, &hats).map(Ok)
        })
        .await
    }

    /// Offers a remedy on an open ticket. Within the offerer's limit (the organisation's `settings.remedy_limits`,
    /// else the defaults) it is `approved` at once; above it, `offered` until the named role approves.
    /// `Conflict("amount_fen")` when the amount does not fit the kind.
    pub async fn offer_remedy(&self, actor: Principal, ticket_id: i64, remedy: NewRemedy) -> Result<(Remedy, RemedyDecision)> {
        self.write(move |tx| {
            let org_id = actor.org_id;
            let (ticket, hats) = open_ticket_for(tx.conn, &actor, ticket_id)?;
            // The most senior hat sets the limit.
            let offerer = [TicketActor::Admin, TicketActor::Lead, TicketActor::Agent, TicketActor::Handler]
                .into_iter()
                .find(|h| hats.contains(h))
                .expect("acting hats are never empty");
            let limits = limits_in(tx.conn, org_id)?;
            let decision = complaint::check_remedy(&limits, offerer, remedy.kind, remedy.amount_fen)
                .map_err(|_| StoreError::Conflict("amount_fen".into()))?;
            let now = tx.now;
            let (state, needs, limit, approved_at) = match decision {
                RemedyDecision::Allowed => (RemedyState::Approved, None, None, Some(now)),
                RemedyDecision::NeedsApproval { by, limit_fen } => (RemedyState::Offered, Some(by), Some(limit_fen), None),
            };
            let id = tx
                .conn
                .query_one(
                    "INSERT INTO ticket_remedies (ticket_id, kind, amount_fen, note, state, needs_approval_by, limit_fen, offered_by, \
                     created_at, approved_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
                    params![
                        ticket_id,
                        spell(remedy.kind),
                        remedy.amount_fen,
                        remedy.note.clone(),
                        spell(state),
                        needs.map(spell),
                        limit,
                        actor.user_id,
                        now,
                        approved_at
                    ],
                )?
                .int(0);
            let details = json!({"remedy_id": id, "kind": remedy.kind, "amount_fen": remedy.amount_fen, "as": offerer, "decision": decision});
            ticket_event(tx, org_id, TicketChange::Updated, "ticket.remedy_offer", &actor, &ticket, details)?;
            Ok((remedy_in(tx.conn, ticket_id, id)?, decision))
        })
        .await
    }

    /// Approves a remedy waiting for approval: a lead (or admin) for one above the agent's limit, an admin for one
    /// above the lead's. Audited.
    pub async fn approve_remedy(&self, actor: Principal, ticket_id: i64, remedy_id: i64) -> Result<Remedy> {
        self.write(move |tx| {
            let org_id = actor.org_id;
            let (ticket, hats) = open_ticket_for(tx.conn, &actor, ticket_id)?;
            let remedy = remedy_in(tx.conn, ticket_id, remedy_id)?;
            if remedy.state != RemedyState::Offered {
                return Err(StoreError::Conflict("remedy_not_awaiting_approval".into()));
            }
            let may = match remedy.needs_approval_by {
                Some(TicketActor::Admin) => hats.contains(&TicketActor::Admin),
                _ => hats.iter().any(|h| matches!(h, TicketActor::Lead | TicketActor::Admin)),
            };
            if !may {
                return Err(StoreError::Forbidden("this remedy is above your limit: it needs the approval of a more senior role"));
            }
            let now = tx.now;
            let changed = tx.conn.execute(
                "UPDATE ticket_remedies SET state = 'approved', approved_by = $1, approved_at = $2 WHERE id = $3 AND state = 'offered'",
                params![actor.user_id, now, remedy_id],
            )?;
            if changed == 0 {
                return Err(StoreError::Conflict("remedy_not_awaiting_approval".into()));
            }
            let details = json!({"remedy_id": remedy_id, "kind": remedy.kind, "amount_fen": remedy.amount_fen, "limit_fen": remedy.limit_fen});
            ticket_event(tx, org_id, TicketChange::Updated, "ticket.remedy_approve", &actor, &ticket, details)?;
            remedy_in(tx.conn, ticket_id, remedy_id)
        })
        .await
    }

    /// Records the customer's choice of an approved remedy (the ticket's agent, a lead or an admin records it).
    /// Exactly one remedy per ticket is chosen: choosing another is `Conflict("remedy_already_chosen")`; choosing
    /// the chosen one again answers it unchanged.
    pub async fn choose_remedy(&self, actor: Principal, ticket_id: i64, remedy_id: i64) -> Result<Remedy> {
        self.write(move |tx| {
            let org_id = actor.org_id;
            let (ticket, hats) = open_ticket_for(tx.conn, &actor, ticket_id)?;
            if !hats.iter().any(|h| matches!(h, TicketActor::Agent | TicketActor::Lead | TicketActor::Admin)) {
                return Err(StoreError::Forbidden("the ticket's agent records the customer's choice"));
            }
            let remedy = remedy_in(tx.conn, ticket_id, remedy_id)?;
            match remedy.state {
                RemedyState::Chosen => return Ok(remedy),
                RemedyState::Approved => {}
                RemedyState::Offered | RemedyState::Withdrawn => return Err(StoreError::Conflict("remedy_not_approved".into())),
            }
            let chosen = tx.conn.query_opt("SELECT id FROM ticket_remedies WHERE ticket_id = $1 AND state = 'chosen'", params![ticket_id])?;
            if chosen.is_some() {
                return Err(StoreError::Conflict("remedy_already_chosen".into()));
            }
            let now = tx.now;
            // The partial unique index `ticket_remedies_one_chosen` holds the line against a concurrent choice.
            tx.conn
                .execute("UPDATE ticket_remedies SET state = 'chosen', chosen_at = $1 WHERE id = $2 AND state = 'approved'", params![now, remedy_id])
                .map_err(|e| if matches!(e, StoreError::Conflict(_)) { StoreError::Conflict("remedy_already_chosen".into()) } else { e })?;
            let details = json!({"remedy_id": remedy_id, "kind": remedy.kind, "amount_fen": remedy.amount_fen});
            ticket_event(tx, org_id, TicketChange::Updated, "ticket.remedy_choose", &actor, &ticket, details)?;
            remedy_in(tx.conn, ticket_id, remedy_id)
        })
        .await
    }

    /// Every complaint type's escalation path (stored, or the default department with its team when one of that
    /// name exists).
    pub async fn escalation_paths(&self, org_id: i64) -> Result<Vec<EscalationPath>> {
        self.read(move |c| {
            let stored = c.query(
                "SELECT p.complaint_type, p.team_id, t.name FROM escalation_paths p LEFT JOIN teams t ON t.id = p.team_id WHERE p.org_id = $1",
                params![org_id],
            )?;
            let mut out = Vec::new();
            for kind in ComplaintType::ALL {
                let default = default_department(*kind);
                let path = match stored.iter().find(|r| r.text(0) == kind.as_str()) {
                    Some(r) => EscalationPath { complaint_type: *kind, team_id: r.opt_int(1), team_name: r.opt_text(2), default_department: default, configured: true },
                    None => {
                        let team = c.query_opt("SELECT id FROM teams WHERE org_id = $1 AND name = $2", params![org_id, default])?;
                        EscalationPath {
                            complaint_type: *kind,
                            team_id: team.map(|r| r.int(0)),
                            team_name: Some(default.to_owned()),
                            default_department: default,
                            configured: false,
                        }
                    }
                };
                out.push(path);
            }
            Ok(out)
        })
        .await
    }

    /// Sets the paths of the given complaint types (`None`: the lead chooses the department at approval). A team of
    /// another organisation is `Conflict("paths.<type>")`. Audited.
    pub async fn set_escalation_paths(&self, actor: Principal, paths: Vec<(ComplaintType, Option<i64>)>) -> Result<Vec<EscalationPath>> {
        let org_id = actor.org_id;
        self.write(move |tx| {
            let now = tx.now;
            for (kind, team) in &paths {
                if let Some(team) = team {
                    team_in(tx.conn, org_id, *team, &format!("paths.{kind}"))?;
                }
                tx.conn.execute(
                    "INSERT INTO escalation_paths (org_id, complaint_type, team_id, updated_at) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (org_id, complaint_type) DO UPDATE SET team_id = excluded.team_id, updated_at = excluded.updated_at",
                    params![org_id, kind.as_str(), *team, now],
                )?;
            }
            let changes: serde_json::Map<String, Value> = paths.iter().map(|(k, t)| (k.as_str().to_owned(), json!(t))).collect();
            audit(tx, org_id, &actor.audit_name(), "escalation_paths.set", &format!("organization:{org_id}"), Value::Object(changes))
        })
        .await?;
        self.escalation_paths(org_id).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use TicketActor::{Admin, Agent, Handler, Lead};

    #[test]
    fn order_references_are_short_plain_text() {
        assert_eq!(OrderRef::parse("  SO-2024-0001 ").unwrap().as_str(), "SO-2024-0001");
        assert_eq!(OrderRef::parse("   "), Err("empty"));
        assert_eq!(OrderRef::parse(&"单".repeat(65)), Err("too_long"));
        assert!(OrderRef::parse(&"单".repeat(64)).is_ok());
        assert_eq!(OrderRef::parse("a\u{0}b"), Err("invalid"));
    }

    #[test]
    fn a_person_with_several_hats_acts_in_the_one_the_workflow_accepts() {
        // A supervisor who opened the ticket resubmits it as its agent.
        assert_eq!(decide(TicketState::ReturnedToAgent, TicketAction::Submit, &[Lead, Agent], None), Ok((TicketState::AwaitingLead, Agent)));
        // An admin approves as a lead would.
        assert_eq!(decide(TicketState::AwaitingLead, TicketAction::Approve, &[Admin], None), Ok((TicketState::WithDepartment, Admin)));
        // Refusals list everything the person may do and prefer the most useful reason.
        let refused = decide(TicketState::AwaitingLead, TicketAction::ReturnToAgent, &[Lead, Agent], None).unwrap_err();
        assert_eq!(refused.reason, RefusedBecause::CommentRequired);
        assert_eq!(refused.allowed, vec![TicketAction::Approve, TicketAction::ReturnToAgent, TicketAction::Cancel]);
        let handler = decide(TicketState::AwaitingLead, TicketAction::Approve, &[Handler], None).unwrap_err();
        assert_eq!((handler.reason, handler.allowed), (RefusedBecause::NotYours, vec![]));
    }

    #[test]
    fn every_complaint_type_has_a_default_department_and_wire_spellings_round_trip() {
        for kind in ComplaintType::ALL {
            assert!(!default_department(*kind).is_empty());
        }
        assert_eq!(default_department(ComplaintType::Logistics), "物流部");
        assert_eq!(default_department(ComplaintType::SizeSpec), "仓储部");
        for state in TicketState::ALL {
            assert_eq!(wire::<TicketState>(&spell(state)), Some(state));
        }
        assert_eq!(spell(TicketState::WithDepartment), "with_department");
        assert_eq!(spell(RemedyKind::PartialRefund), "partial_refund");
        assert_eq!(wire::<TicketSeverity>("critical"), Some(TicketSeverity::Critical));
        assert_eq!(wire::<TicketSeverity>("urgent"), None);
    }
}
