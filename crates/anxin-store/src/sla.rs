//! SLA timers, stored (PRODUCT.md §6). Every ticket runs clocks — first response, next response, resolution, the
//! current step, and after resolution the follow-up — each a row of `sla_timers` with its deadlines computed once,
//! in business time, when the clock starts ([`anxin_domain::sla`]). Deadlines are stored, so a restart loses nothing:
//! the sweeper ([`Store::sweep_sla`]) finds rows whose `next_fire_at` has passed through a partial index and fires
//! each warning and breach exactly once — the firing is an `UPDATE … WHERE id = ? AND next_fire_at = ?` in the same
//! transaction as its effects, so of two nodes sweeping at once only one changes the row (PostgreSQL re-checks the
//! condition after the other's commit) and the other skips it.
//!
//! A breach escalates automatically: the ticket's priority goes up one step, the ticket's agent gets an
//! `sla_breach` alert (which their supervisors see), and the audit log says so. A follow-up due shows on the
//! agent's list; overdue, it raises `follow_up_overdue`. Changing the settings affects clocks started afterwards.

use anxin_domain::calendar::{FixedOffset, TimeZoneRules};
use anxin_domain::complaint::{TicketActor, TicketState};
use anxin_domain::events::EventKind;
use anxin_domain::sla::{self, Deadlines, Sla, SlaSettings, TicketSeverity, TimerKind, TimerState};
use anxin_domain::{ChannelKind, ComplaintType, Role};
use serde::Serialize;
use serde_json::json;

use crate::conn::{Conn, Result, Row, StoreError};
use crate::exec::Tx;
use crate::ops::audit;
use crate::records::Principal;
use crate::{Store, params};

/// Migration 6: SLA settings per organisation, durable timers, and the ticket columns the views read.
pub(crate) const SCHEMA: &str = r#"
CREATE TABLE sla_settings (
    org_id BIGINT PRIMARY KEY REFERENCES organizations(id),
    settings TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE TABLE sla_timers (
    id {ID},
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    ticket_id BIGINT NOT NULL REFERENCES complaint_tickets(id),
    kind TEXT NOT NULL,
    target_ms BIGINT NOT NULL,
    started_at BIGINT NOT NULL,
    warn_at BIGINT,
    due_at BIGINT NOT NULL,
    next_fire_at BIGINT,
    warned_at BIGINT,
    breached_at BIGINT,
    stopped_at BIGINT
);
CREATE INDEX sla_timers_next_fire ON sla_timers(next_fire_at) WHERE next_fire_at IS NOT NULL;
CREATE INDEX sla_timers_ticket ON sla_timers(ticket_id, kind);
ALTER TABLE complaint_tickets ADD COLUMN product TEXT;
ALTER TABLE complaint_tickets ADD COLUMN channel TEXT;
ALTER TABLE complaint_tickets ADD COLUMN sla_status TEXT NOT NULL DEFAULT 'none';
ALTER TABLE complaint_tickets ADD COLUMN first_response_due_at BIGINT;
ALTER TABLE complaint_tickets ADD COLUMN next_response_due_at BIGINT;
ALTER TABLE complaint_tickets ADD COLUMN resolution_due_at BIGINT;
ALTER TABLE complaint_tickets ADD COLUMN follow_up_due_at BIGINT;
ALTER TABLE complaint_tickets ADD COLUMN escalated_at BIGINT;
ALTER TABLE complaint_tickets ADD COLUMN resolved_within_target BIGINT;
CREATE INDEX complaint_tickets_created ON complaint_tickets(org_id, created_at);
"#;

pub(crate) fn wakes_sweeper(kind: EventKind) -> bool {
    matches!(kind, EventKind::TicketCreated | EventKind::TicketUpdated | EventKind::MessageCreated)
}

/// Most timers one sweep transaction fires; the sweeper goes again at once when a pass was full.
pub const SWEEP_BATCH: i64 = 500;

/// A zone with daylight saving, from the IANA time-zone database compiled into the binary.
struct IanaZone(chrono_tz::Tz);

impl TimeZoneRules for IanaZone {
    fn offset_secs_at(&self, utc_ms: i64) -> i32 {
        use chrono::{Offset, TimeZone};
        match chrono::DateTime::from_timestamp(utc_ms.div_euclid(1000), 0) {
            Some(at) => self.0.offset_from_utc_datetime(&at.naive_utc()).fix().local_minus_utc(),
            None => 0,
        }
    }
}

/// The rules of a zone by IANA name: the fixed-offset zones built into the calendar (Asia/Shanghai …), else the
/// tz database (Europe/Berlin, America/Los_Angeles … with their daylight-saving changes); `None` for an unknown name.
pub fn zone_rules(name: &str) -> Option<Box<dyn TimeZoneRules + Send + Sync>> {
    if let Some(fixed) = FixedOffset::for_name(name) {
        return Some(Box::new(fixed));
    }
    name.parse::<chrono_tz::Tz>().ok().map(|tz| Box::new(IanaZone(tz)) as Box<dyn TimeZoneRules + Send + Sync>)
}

/// The time-zone rules of a validated calendar. Settings with an unknown zone are refused at save, so the fallback
/// (the default zone) is only reached by a database edited by hand.
fn zone_of(sla: &Sla) -> Box<dyn TimeZoneRules + Send + Sync> {
    zone_rules(sla.calendar.time_zone()).unwrap_or_else(|| Box::new(FixedOffset::default()))
}

/// Whether Anxin can compute deadlines in this zone (any IANA name it knows).
pub fn zone_supported(name: &str) -> bool {
    zone_rules(name).is_some()
}

pub(crate) fn settings_in(c: &mut dyn Conn, org_id: i64) -> Result<Sla> {
    let stored = c.query_opt("SELECT settings FROM sla_settings WHERE org_id = $1", params![org_id])?;
    let settings = match stored {
        Some(row) => serde_json::from_str::<SlaSettings>(&row.text(0)).map_err(|e| StoreError::Internal(format!("sla settings: {e}")))?,
        None => SlaSettings::default(),
    };
    settings.validate().map_err(|e| StoreError::Internal(format!("stored sla settings: {}", e.message)))
}

/// A ticket as its clocks see it.
struct Clocked {
    org_id: i64,
    conversation_id: i64,
    owner_id: i64,
    kind: ComplaintType,
    severity: TicketSeverity,
    channel: Option<ChannelKind>,
    state: TicketState,
}

fn clocked(c: &mut dyn Conn, ticket_id: i64) -> Result<Clocked> {
    let r = c.query_one(
        "SELECT org_id, conversation_id, owner_id, complaint_type, severity, channel, state FROM complaint_tickets WHERE id = $1",
        params![ticket_id],
    )?;
    use crate::complaints::wire;
    Ok(Clocked {
        org_id: r.int(0),
        conversation_id: r.int(1),
        owner_id: r.int(2),
        kind: ComplaintType::parse(&r.text(3)).unwrap_or(ComplaintType::Other),
        severity: wire(&r.text(4)).unwrap_or(TicketSeverity::Normal),
        channel: r.opt_text(5).and_then(|c| ChannelKind::parse(&c)),
        state: wire(&r.text(6)).unwrap_or(TicketState::AwaitingLead),
    })
}

fn start(tx: &mut Tx<'_>, org_id: i64, ticket_id: i64, kind: TimerKind, clock: Deadlines) -> Result<()> {
    let timer = TimerState { warn_at: clock.warn_at, due_at: clock.due_at, warned: false, breached: false };
    tx.conn.execute(
        "INSERT INTO sla_timers (org_id, ticket_id, kind, target_ms, started_at, warn_at, due_at, next_fire_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        params![org_id, ticket_id, kind.as_str(), clock.target_ms, tx.now, clock.warn_at, clock.due_at, sla::next_fire_at(&timer)],
    )?;
    Ok(())
}

/// Starts a business-time clock of `kind` on the ticket, with the target its policy gives.
fn start_business(tx: &mut Tx<'_>, sla: &Sla, ticket_id: i64, t: &Clocked, kind: TimerKind, holder: Option<TicketActor>) -> Result<()> {
    let (targets, _) = sla.targets_for(t.kind, t.severity, t.channel);
    let Some(target) = targets.target_ms(kind, holder) else { return Ok(()) };
    let clock = sla.business_clock(zone_of(sla).as_ref(), tx.now, target);
    start(tx, t.org_id, ticket_id, kind, clock)
}

/// Stops the running clocks of these kinds; returns how many stopped.
fn stop(tx: &mut Tx<'_>, ticket_id: i64, kinds: &[TimerKind]) -> Result<u64> {
    let mut stopped = 0;
    for kind in kinds {
        stopped += tx.conn.execute(
            "UPDATE sla_timers SET stopped_at = $1, next_fire_at = NULL WHERE ticket_id = $2 AND kind = $3 AND stopped_at IS NULL",
            params![tx.now, ticket_id, kind.as_str()],
        )?;
    }
    Ok(stopped)
}

/// Writes the ticket's SLA columns from its running clocks: the status (the follow-up aside), their deadlines and the
/// follow-up's due time. A stopped clock leaves its column empty (`resolved_within_target` keeps the outcome).
fn refresh(tx: &mut Tx<'_>, ticket_id: i64) -> Result<()> {
    let rows = tx.conn.query(
        "SELECT kind, warn_at, due_at, warned_at, breached_at, stopped_at FROM sla_timers WHERE ticket_id = $1 ORDER BY id",
        params![ticket_id],
    )?;
    let mut running = Vec::new();
    let (mut first, mut next, mut step, mut resolution, mut follow_up) = (None, None, None, None, None);
    for r in &rows {
        let Some(kind) = TimerKind::parse(&r.text(0)) else { continue };
        let timer = TimerState { warn_at: r.opt_int(1), due_at: r.int(2), warned: r.opt_int(3).is_some(), breached: r.opt_int(4).is_some() };
        if r.opt_int(5).is_some() {
            continue;
        }
        match kind {
            TimerKind::FirstResponse => first = Some(timer.due_at),
            TimerKind::NextResponse => next = Some(timer.due_at),
            TimerKind::Step => step = Some(timer.due_at),
            TimerKind::FollowUp => follow_up = timer.warn_at,
            TimerKind::Resolution => resolution = Some(timer.due_at),
        }
        if kind != TimerKind::FollowUp {
            running.push(timer);
        }
    }
    let status = sla::status(running.iter(), tx.now);
    tx.conn.execute(
        "UPDATE complaint_tickets SET sla_status = $1, first_response_due_at = $2, next_response_due_at = $3, step_due_at = $4, \
         resolution_due_at = $5, follow_up_due_at = $6 WHERE id = $7",
        params![status.as_str(), first, next, step, resolution, follow_up, ticket_id],
    )?;
    Ok(())
}

/// A new ticket: first response, resolution and the lead's step start.
pub(crate) fn on_opened(tx: &mut Tx<'_>, ticket_id: i64) -> Result<()> {
    let t = clocked(tx.conn, ticket_id)?;
    let sla = settings_in(tx.conn, t.org_id)?;
    start_business(tx, &sla, ticket_id, &t, TimerKind::FirstResponse, None)?;
    start_business(tx, &sla, ticket_id, &t, TimerKind::Resolution, None)?;
    start_business(tx, &sla, ticket_id, &t, TimerKind::Step, t.state.holder())?;
    refresh(tx, ticket_id)
}

/// A workflow step was taken (the ticket row already holds the new state): the step clock restarts for the new
/// holder; resolution stops the clocks, records whether it came within target and schedules the follow-up; closing
/// or cancelling stops everything; a reopened ticket gets a fresh resolution clock.
pub(crate) fn on_step(tx: &mut Tx<'_>, ticket_id: i64, from: TicketState) -> Result<()> {
    let t = clocked(tx.conn, ticket_id)?;
    let sla = settings_in(tx.conn, t.org_id)?;
    stop(tx, ticket_id, &[TimerKind::Step])?;
    match t.state {
        TicketState::Resolved => {
            let within = tx.conn.query_opt(
                "SELECT breached_at, due_at FROM sla_timers WHERE ticket_id = $1 AND kind = 'resolution' ORDER BY id DESC LIMIT 1",
                params![ticket_id],
            )?;
            let within = within.map(|r| r.opt_int(0).is_none() && tx.now <= r.int(1));
            tx.conn.execute(
                "UPDATE complaint_tickets SET resolved_within_target = $1 WHERE id = $2",
                params![within.map(i64::from), ticket_id],
            )?;
            stop(tx, ticket_id, &[TimerKind::FirstResponse, TimerKind::NextResponse, TimerKind::Resolution])?;
            start(tx, t.org_id, ticket_id, TimerKind::FollowUp, sla.follow_up_clock(tx.now))?;
        }
        TicketState::Closed | TicketState::Cancelled => {
            stop(tx, ticket_id, &TimerKind::ALL)?;
        }
        state => {
            if matches!(from, TicketState::Resolved | TicketState::Closed) {
                stop(tx, ticket_id, &[TimerKind::FollowUp])?;
                tx.conn.execute("UPDATE complaint_tickets SET resolved_within_target = NULL WHERE id = $1", params![ticket_id])?;
                start_business(tx, &sla, ticket_id, &t, TimerKind::Resolution, None)?;
            }
            start_business(tx, &sla, ticket_id, &t, TimerKind::Step, state.holder())?;
        }
    }
    refresh(tx, ticket_id)
}

/// The open (unresolved) tickets of a conversation.
fn open_tickets_of(c: &mut dyn Conn, org_id: i64, conversation_id: i64) -> Result<Vec<i64>> {
    let open: Vec<String> = TicketState::ALL.iter().filter(|s| s.is_open()).map(|s| format!("'{}'", crate::complaints::spell(*s))).collect();
    let sql = format!(
        "SELECT id FROM complaint_tickets WHERE org_id = $1 AND conversation_id = $2 AND state IN ({}) ORDER BY id",
        open.join(", ")
    );
    Ok(c.query(&sql, params![org_id, conversation_id])?.iter().map(|r| r.int(0)).collect())
}

/// An agent replied in the conversation: its open tickets' response clocks stop.
pub(crate) fn on_agent_reply(tx: &mut Tx<'_>, org_id: i64, conversation_id: i64) -> Result<()> {
    for ticket_id in open_tickets_of(tx.conn, org_id, conversation_id)? {
        if stop(tx, ticket_id, &[TimerKind::FirstResponse, TimerKind::NextResponse])? > 0 {
            refresh(tx, ticket_id)?;
            announce(tx, org_id, ticket_id, json!(null))?;
        }
    }
    Ok(())
}

/// The customer wrote again: an open ticket whose first response has been given starts a next-response clock
/// (unless one already runs).
pub(crate) fn on_customer_message(tx: &mut Tx<'_>, org_id: i64, conversation_id: i64) -> Result<()> {
    let tickets = open_tickets_of(tx.conn, org_id, conversation_id)?;
    if tickets.is_empty() {
        return Ok(());
    }
    let sla = settings_in(tx.conn, org_id)?;
    for ticket_id in tickets {
        let clocks = tx.conn.query(
            "SELECT kind FROM sla_timers WHERE ticket_id = $1 AND stopped_at IS NULL AND kind IN ('first_response', 'next_response')",
            params![ticket_id],
        )?;
        if !clocks.is_empty() {
            continue;
        }
        let answered = tx.conn.query_opt(
            "SELECT 1 FROM sla_timers WHERE ticket_id = $1 AND kind = 'first_response' AND stopped_at IS NOT NULL",
            params![ticket_id],
        )?;
        if answered.is_none() {
            continue;
        }
        let t = clocked(tx.conn, ticket_id)?;
        start_business(tx, &sla, ticket_id, &t, TimerKind::NextResponse, None)?;
        refresh(tx, ticket_id)?;
        announce(tx, org_id, ticket_id, json!(null))?;
    }
    Ok(())
}

/// The staff event for a ticket whose clocks changed (`sla`: what fired, or null).
pub(crate) fn announce(tx: &mut Tx<'_>, org_id: i64, ticket_id: i64, sla: serde_json::Value) -> Result<()> {
    let ticket = crate::complaints::ticket_in(tx.conn, org_id, ticket_id)?;
    tx.emit(org_id, EventKind::TicketUpdated, Some(ticket.conversation_id), false, json!({ "ticket": ticket, "sla": sla }))
}

/// What one sweep did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SweepReport {
    /// Due timers found (all of them were fired here or by another node).
    pub found: usize,
    pub warnings: usize,
    pub breaches: usize,
    /// Tickets whose priority a breach raised.
    pub escalations: usize,
    pub follow_ups_due: usize,
    pub follow_ups_overdue: usize,
}

struct DueTimer {
    id: i64,
    org_id: i64,
    ticket_id: i64,
    kind: TimerKind,
    state: TimerState,
    next_fire_at: i64,
}

fn due_from(r: &Row) -> Option<DueTimer> {
    Some(DueTimer {
        id: r.int(0),
        org_id: r.int(1),
        ticket_id: r.int(2),
        kind: TimerKind::parse(&r.text(3))?,
        state: TimerState { warn_at: r.opt_int(4), due_at: r.int(5), warned: r.opt_int(7).is_some(), breached: r.opt_int(8).is_some() },
        next_fire_at: r.int(6),
    })
}

/// The due timers at `now`, soonest first (the sweeper's one query; `sla_timers_next_fire` answers it).
pub(crate) fn due_timers(c: &mut dyn Conn, now: i64, limit: i64) -> Result<Vec<Row>> {
    c.query(
        "SELECT id, org_id, ticket_id, kind, warn_at, due_at, next_fire_at, warned_at, breached_at FROM sla_timers \
         WHERE next_fire_at IS NOT NULL AND next_fire_at <= $1 ORDER BY next_fire_at LIMIT $2",
        params![now, limit],
    )
}

fn fire_one(tx: &mut Tx<'_>, due: &DueTimer, report: &mut SweepReport) -> Result<bool> {
    let now = tx.now;
    let firing = sla::fire(&due.state, now);
    let claimed = tx.conn.execute(
        "UPDATE sla_timers SET warned_at = CASE WHEN $1 = 1 AND warned_at IS NULL THEN $2 ELSE warned_at END, \
         breached_at = CASE WHEN $3 = 1 THEN $2 ELSE breached_at END, next_fire_at = $4 \
         WHERE id = $5 AND next_fire_at = $6 AND stopped_at IS NULL",
        params![i64::from(firing.warn || firing.breach), now, i64::from(firing.breach), firing.next_fire_at, due.id, due.next_fire_at],
    )?;
    if claimed == 0 {
        // Another node fired it (or the clock stopped) between our read and our update.
        return Ok(false);
    }
    if !firing.warn && !firing.breach {
        return Ok(true);
    }
    let t = clocked(tx.conn, due.ticket_id)?;
    let target = format!("ticket:{}", due.ticket_id);
    let details = json!({"timer": due.kind, "due_at": due.state.due_at, "warn_at": due.state.warn_at});
    match (due.kind, firing.breach) {
        (TimerKind::FollowUp, false) => report.follow_ups_due += 1,
        (TimerKind::FollowUp, true) => {
            report.follow_ups_overdue += 1;
            crate::routing::raise_alert(tx, t.org_id, t.owner_id, "follow_up_overdue", json!({"ticket_id": due.ticket_id, "due_at": due.state.warn_at}))?;
            audit(tx, t.org_id, "system:sla", "ticket.follow_up_overdue", &target, details)?;
        }
        (_, false) => report.warnings += 1,
        (kind, true) => {
            report.breaches += 1;
            if kind.escalates() {
                let raised = t.severity.raised();
                // Conditional on the priority read: of two nodes breaching two clocks of one ticket at once, one
                // raises it (the other's update waits for that commit and then matches nothing).
                let escalated = raised != t.severity
                    && tx.conn.execute(
                        "UPDATE complaint_tickets SET severity = $1, escalated_at = $2, updated_at = $2 WHERE id = $3 AND severity = $4",
                        params![crate::complaints::spell(raised), now, due.ticket_id, crate::complaints::spell(t.severity)],
                    )? > 0;
                if escalated {
                    report.escalations += 1;
                }
                let alert = json!({"ticket_id": due.ticket_id, "conversation_id": t.conversation_id, "timer": kind, "severity": raised});
                crate::routing::raise_alert(tx, t.org_id, t.owner_id, "sla_breach", alert)?;
                let mut details = details;
                details["severity"] = json!({"from": t.severity, "to": if escalated { raised } else { t.severity }});
                audit(tx, t.org_id, "system:sla", "ticket.sla_breach", &target, details)?;
            }
        }
    }
    Ok(true)
}

impl Store {
    /// One sweeper pass: fires every timer due now (up to [`SWEEP_BATCH`]) in one transaction, each exactly once
    /// across nodes. Returns what fired; `found == SWEEP_BATCH` means more may be due.
    pub async fn sweep_sla(&self) -> Result<SweepReport> {
        self.write(|tx| {
            let rows = due_timers(tx.conn, tx.now, SWEEP_BATCH)?;
            let mut report = SweepReport { found: rows.len(), ..SweepReport::default() };
            // One refresh and one event per ticket, naming its most serious firing (a breach over a warning).
            let mut touched: std::collections::BTreeMap<i64, (i64, TimerKind, bool)> = std::collections::BTreeMap::new();
            for due in rows.iter().filter_map(due_from) {
                let firing = sla::fire(&due.state, tx.now);
                if fire_one(tx, &due, &mut report)? && (firing.warn || firing.breach) {
                    let entry = touched.entry(due.ticket_id).or_insert((due.org_id, due.kind, firing.breach));
                    if firing.breach && !entry.2 {
                        *entry = (due.org_id, due.kind, true);
                    }
                }
            }
            for (ticket_id, (org_id, kind, breach)) in touched {
                refresh(tx, ticket_id)?;
                let fired = json!({"timer": kind, "fired": if breach { "breach" } else { "warning" }});
                announce(tx, org_id, ticket_id, fired)?;
            }
            Ok(report)
        })
        .await
    }

    /// The timers the sweeper would fire at `at` (ids, soonest first, at most `limit`): the sweeper's find query on
    /// its own, for the benchmark and for operators checking a backlog.
    pub async fn due_timer_ids(&self, at: i64, limit: i64) -> Result<Vec<i64>> {
        self.read(move |c| Ok(due_timers(c, at, limit)?.iter().map(|r| r.int(0)).collect())).await
    }

    /// The earliest instant a timer needs the sweeper (`None`: nothing pending).
    pub async fn next_timer_at(&self) -> Result<Option<i64>> {
        // Spelled as an ordered scan so both backends answer from the partial index.
        let sql = "SELECT next_fire_at FROM sla_timers WHERE next_fire_at IS NOT NULL ORDER BY next_fire_at LIMIT 1";
        self.read(move |c| Ok(c.query_opt(sql, &[])?.map(|r| r.int(0)))).await
    }

    /// The organisation's SLA settings (the defaults until an admin saves some).
    pub async fn sla_settings(&self, org_id: i64) -> Result<SlaSettings> {
        self.read(move |c| Ok(settings_in(c, org_id)?.settings)).await
    }

    /// Saves validated settings (admins; audited). Clocks already running keep their deadlines.
    pub async fn set_sla_settings(&self, actor: Principal, sla: Sla) -> Result<SlaSettings> {
        if actor.role != Role::Admin {
            return Err(StoreError::Forbidden("only admins change SLA policies"));
        }
        if !zone_supported(sla.calendar.time_zone()) {
            return Err(StoreError::Conflict("time_zone_unsupported".into()));
        }
        self.write(move |tx| {
            let org_id = actor.org_id;
            let text = serde_json::to_string(&sla.settings).map_err(|e| StoreError::Internal(e.to_string()))?;
            tx.conn.execute(
                "INSERT INTO sla_settings (org_id, settings, updated_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (org_id) DO UPDATE SET settings = excluded.settings, updated_at = excluded.updated_at",
                params![org_id, text.as_str(), tx.now],
            )?;
            let details = json!({"policies": sla.settings.policies.len(), "time_zone": sla.calendar.time_zone()});
            audit(tx, org_id, &actor.audit_name(), "sla.update", &format!("org:{org_id}"), details)?;
            Ok(sla.settings)
        })
        .await
    }

    /// A ticket's clocks (for its page and the API), oldest first.
    pub async fn ticket_timers(&self, viewer: Principal, ticket_id: i64) -> Result<Vec<TimerRecord>> {
        // Visibility is the ticket's.
        self.ticket(viewer.clone(), ticket_id).await?;
        self.read(move |c| {
            let rows = c.query(
                "SELECT kind, target_ms, started_at, warn_at, due_at, warned_at, breached_at, stopped_at FROM sla_timers \
                 WHERE ticket_id = $1 AND org_id = $2 ORDER BY id",
                params![ticket_id, viewer.org_id],
            )?;
            Ok(rows
                .iter()
                .filter_map(|r| {
                    Some(TimerRecord {
                        kind: TimerKind::parse(&r.text(0))?,
                        target_ms: r.int(1),
                        started_at: r.int(2),
                        warn_at: r.opt_int(3),
                        due_at: r.int(4),
                        warned_at: r.opt_int(5),
                        breached_at: r.opt_int(6),
                        stopped_at: r.opt_int(7),
                    })
                })
                .collect())
        })
        .await
    }
}

/// One clock of a ticket, as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TimerRecord {
    pub kind: TimerKind,
    pub target_ms: i64,
    pub started_at: i64,
    pub warn_at: Option<i64>,
    pub due_at: i64,
    pub warned_at: Option<i64>,
    pub breached_at: Option<i64>,
    /// When the clock stopped (answered, resolved, the step taken); `None` while it runs.
    pub stopped_at: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use anxin_domain::calendar::{self, CalendarSpec, WeeklySpec, WorkingCalendar};

    const HOUR: i64 = 3_600_000;

    #[test]
    fn zones_with_daylight_saving_come_from_the_tz_database() {
        let berlin = zone_rules("Europe/Berlin").expect("a known zone");
        // 2026-01-15 12:00 UTC (winter, +1) and 2026-07-15 12:00 UTC (summer, +2).
        assert_eq!(berlin.offset_secs_at(1_768_478_400_000), 3_600);
        assert_eq!(berlin.offset_secs_at(1_784_116_800_000), 7_200);
        // The spring-forward instant, 2026-03-29 01:00 UTC, found by the trait's search.
        let before = 1_774_746_000_000 - HOUR;
        assert_eq!(berlin.next_change(before, before + 2 * HOUR), Some(1_774_746_000_000));
        assert_eq!(zone_rules("Asia/Shanghai").unwrap().offset_secs_at(0), 8 * 3_600);
        assert!(zone_rules("Mars/Olympus_Mons").is_none());
        assert!(zone_rules("").is_none());
    }

    #[test]
    fn a_deadline_over_the_spring_forward_weekend_counts_local_hours() {
        let weekday = || vec!["09:00-17:00".to_owned()];
        let spec = CalendarSpec {
            time_zone: "Europe/Berlin".into(),
            hours: WeeklySpec { monday: weekday(), tuesday: weekday(), wednesday: weekday(), thursday: weekday(), friday: weekday(), ..Default::default() },
            holidays: Vec::new(),
            extra_workdays: Vec::new(),
        };
        let calendar = WorkingCalendar::try_from(spec).unwrap();
        let berlin = zone_rules("Europe/Berlin").unwrap();
        // Friday 2026-03-27 16:00 CET (15:00 UTC) + 2 business hours: one on Friday, one on Monday 2026-03-30 from
        // 09:00 CEST (07:00 UTC) → 08:00 UTC.
        let friday_16 = 1_774_623_600_000;
        assert_eq!(calendar::add_business(&calendar, berlin.as_ref(), friday_16, 2 * HOUR), Some(1_774_857_600_000));
    }
}
