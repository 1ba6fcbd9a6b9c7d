//! What the staff pages read about complaint tickets beyond one ticket or one list (PRODUCT.md §6): follow-ups
//! that are due or overdue, the SLA risk board (open tickets by their nearest deadline), and the root-cause view
//! (complaint types over time, by product, by department, with the emotions they caused and the recovery rate).
//!
//! Reads only: the tickets are written by `complaints` (the workflow) and the SLA timers. The queries fetch plain
//! rows; the grouping and counting are pure functions here ([`risk_board`], [`root_causes`]), tested as tables.
//! Rows are read into this module's own [`TicketLine`], so these views do not depend on every field of
//! [`Ticket`].

use std::collections::BTreeMap;

use anxin_domain::complaint::{TicketActor, TicketState};
use anxin_domain::sla::{SlaStatus, TicketSeverity, TimerKind};
use anxin_domain::{ComplaintType, Role};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use crate::complaints::Ticket;
use crate::conn::{Result, Row, StoreError};
use crate::records::Principal;
use crate::{Store, params};

/// A ticket as the list pages show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TicketLine {
    pub id: i64,
    pub conversation_id: i64,
    pub complaint_type: ComplaintType,
    pub severity: TicketSeverity,
    /// The customer's emotion when the ticket was opened.
    pub emotion: Option<String>,
    pub state: TicketState,
    pub holder: Option<TicketActor>,
    pub owner_id: i64,
    pub owner_name: String,
    pub department_name: Option<String>,
    pub product: Option<String>,
    pub sla_status: SlaStatus,
    pub step_due_at: Option<i64>,
    pub first_response_due_at: Option<i64>,
    pub next_response_due_at: Option<i64>,
    pub resolution_due_at: Option<i64>,
    pub follow_up_due_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    pub resolved_at: Option<i64>,
}

impl From<&Ticket> for TicketLine {
    fn from(t: &Ticket) -> Self {
        TicketLine {
            id: t.id,
            conversation_id: t.conversation_id,
            complaint_type: t.complaint_type,
            severity: t.severity,
            emotion: t.emotion.clone(),
            state: t.state,
            holder: t.holder,
            owner_id: t.owner_id,
            owner_name: t.owner_name.clone(),
            department_name: t.department_name.clone(),
            product: t.product.clone(),
            sla_status: t.sla_status,
            step_due_at: t.step_due_at,
            first_response_due_at: t.first_response_due_at,
            next_response_due_at: t.next_response_due_at,
            resolution_due_at: t.resolution_due_at,
            follow_up_due_at: t.follow_up_due_at,
            created_at: t.created_at,
            updated_at: t.updated_at,
            resolved_at: t.resolved_at,
        }
    }
}

/// Wall-clock hours from resolution to the follow-up when a resolved ticket has no `follow_up_due_at` (resolved
/// before the SLA timers stored one): the SLA settings' default.
pub const DEFAULT_FOLLOW_UP_MS: i64 = 48 * 3_600_000;
/// How long a due follow-up may wait before it counts as overdue and shows on the leads' list, when the
/// organisation's SLA settings cannot be read (their default `follow_up_grace_hours`).
pub const DEFAULT_FOLLOW_UP_GRACE_MS: i64 = 24 * 3_600_000;
/// Most rows a view reads (an organisation with more open tickets than this has bigger problems than this page).
const VIEW_LIMIT: i64 = 2000;

const LINE_SELECT: &str = "SELECT t.id, t.conversation_id, t.complaint_type, t.severity, t.emotion, t.state, t.owner_id, u.display_name, \
    d.name, t.product, t.sla_status, t.step_due_at, t.first_response_due_at, t.next_response_due_at, t.resolution_due_at, \
    t.follow_up_due_at, t.created_at, t.updated_at, t.resolved_at \
    FROM complaint_tickets t JOIN users u ON u.id = t.owner_id LEFT JOIN teams d ON d.id = t.department_team_id";

fn wire<T: DeserializeOwned>(text: &str) -> Option<T> {
    serde_json::from_value(Value::String(text.to_owned())).ok()
}

fn line_from(r: &Row) -> TicketLine {
    let state = wire(&r.text(5)).unwrap_or(TicketState::AwaitingLead);
    TicketLine {
        id: r.int(0),
        conversation_id: r.int(1),
        complaint_type: ComplaintType::parse(&r.text(2)).unwrap_or(ComplaintType::Other),
        severity: wire(&r.text(3)).unwrap_or(TicketSeverity::Normal),
        emotion: r.opt_text(4),
        state,
        holder: state.holder(),
        owner_id: r.int(6),
        owner_name: r.text(7),
        department_name: r.opt_text(8),
        product: r.opt_text(9),
        sla_status: SlaStatus::parse(&r.text(10)).unwrap_or(SlaStatus::None),
        step_due_at: r.opt_int(11),
        first_response_due_at: r.opt_int(12),
        next_response_due_at: r.opt_int(13),
        resolution_due_at: r.opt_int(14),
        follow_up_due_at: r.opt_int(15),
        created_at: r.int(16),
        updated_at: r.int(17),
        resolved_at: r.opt_int(18),
    }
}

/// The SQL list of the open states (`'awaiting_lead', …`).
fn open_states() -> String {
    let spell = |s: TicketState| match serde_json::to_value(s) {
        Ok(Value::String(s)) => format!("'{s}'"),
        _ => unreachable!("ticket states are unit variants"),
    };
    TicketState::ALL.iter().filter(|s| s.is_open()).map(|s| spell(*s)).collect::<Vec<_>>().join(", ")
}

fn require_lead(viewer: &Principal, what: &'static str) -> Result<()> {
    if matches!(viewer.role, Role::Supervisor | Role::Admin) { Ok(()) } else { Err(StoreError::Forbidden(what)) }
}

// ----- follow-ups -----

/// When a resolved ticket's follow-up is due: the stored time, else the default after its resolution.
pub fn follow_up_due(line: &TicketLine) -> Option<i64> {
    line.follow_up_due_at.or(line.resolved_at.map(|r| r + DEFAULT_FOLLOW_UP_MS))
}

/// Follow-ups to do: mine that are due, and (for leads and admins) everyone's that are overdue.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct FollowUps {
    /// My resolved tickets whose follow-up is due, earliest first.
    pub due: Vec<TicketLine>,
    /// Resolved tickets whose follow-up is overdue by more than the grace period, earliest first (leads/admins).
    pub overdue: Vec<TicketLine>,
}

/// Splits resolved tickets into my due follow-ups and everyone's overdue ones (pure).
pub fn follow_ups_of(resolved: Vec<TicketLine>, me: Option<i64>, lead: bool, now: i64, grace_ms: i64) -> FollowUps {
    let mut out = FollowUps::default();
    for line in resolved.into_iter().filter(|l| l.state == TicketState::Resolved) {
        let Some(due) = follow_up_due(&line) else { continue };
        if lead && due + grace_ms <= now {
            out.overdue.push(line.clone());
        }
        if Some(line.owner_id) == me && due <= now {
            out.due.push(line);
        }
    }
    for list in [&mut out.due, &mut out.overdue] {
        list.sort_by_key(|l| (follow_up_due(l), l.id));
    }
    out
}

// ----- the SLA risk board -----

/// The nearest running deadline of an open ticket among its step, first-response, next-response and resolution
/// clocks.
pub fn nearest_deadline(line: &TicketLine) -> Option<(i64, TimerKind)> {
    [
        (line.step_due_at, TimerKind::Step),
        (line.first_response_due_at, TimerKind::FirstResponse),
        (line.next_response_due_at, TimerKind::NextResponse),
        (line.resolution_due_at, TimerKind::Resolution),
    ]
    .into_iter()
    .filter_map(|(at, kind)| at.map(|at| (at, kind)))
    .min_by_key(|(at, _)| *at)
}

/// Where a ticket stands on the board: the stored status (as of the last step or sweep), raised to `breached`
/// once its nearest deadline has passed (the sweeper may not have run yet). No clock at all counts as `ok`.
pub fn board_status(line: &TicketLine, now: i64) -> SlaStatus {
    let passed = nearest_deadline(line).is_some_and(|(at, _)| at <= now);
    match line.sla_status {
        _ if passed => SlaStatus::Breached,
        SlaStatus::None => SlaStatus::Ok,
        status => status,
    }
}

/// One ticket on the risk board.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RiskEntry {
    pub line: TicketLine,
    pub status: SlaStatus,
    /// The nearest deadline and its clock (`None`: no clock runs).
    pub deadline: Option<(i64, TimerKind)>,
}

/// The open tickets grouped by where they stand, each group ordered by the nearest deadline (no deadline last).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RiskBoard {
    pub breached: Vec<RiskEntry>,
    pub warning: Vec<RiskEntry>,
    pub ok: Vec<RiskEntry>,
    /// Per department (`None`: not yet with a department): (breached, warning, ok), by name.
    pub departments: Vec<(Option<String>, [usize; 3])>,
}

/// Groups open tickets for the board (pure).
pub fn risk_board(lines: Vec<TicketLine>, now: i64) -> RiskBoard {
    let mut board = RiskBoard::default();
    let mut departments: BTreeMap<Option<String>, [usize; 3]> = BTreeMap::new();
    for line in lines.into_iter().filter(|l| l.state.is_open()) {
        let status = board_status(&line, now);
        let deadline = nearest_deadline(&line);
        let (group, slot) = match status {
            SlaStatus::Breached => (&mut board.breached, 0),
            SlaStatus::Warning => (&mut board.warning, 1),
            SlaStatus::Ok | SlaStatus::None => (&mut board.ok, 2),
        };
        departments.entry(line.department_name.clone()).or_default()[slot] += 1;
        group.push(RiskEntry { line, status, deadline });
    }
    for group in [&mut board.breached, &mut board.warning, &mut board.ok] {
        group.sort_by_key(|e| (e.deadline.map_or(i64::MAX, |(at, _)| at), e.line.id));
    }
    board.departments = departments.into_iter().collect();
    board
}

// ----- root causes -----

/// One ticket as the root-cause view counts it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CauseRow {
    pub created_at: i64,
    pub complaint_type: ComplaintType,
    pub product: Option<String>,
    pub department_name: Option<String>,
    pub emotion: Option<String>,
    /// Whether the ticket was resolved (now resolved or closed after a resolution).
    pub resolved: bool,
    pub resolved_within_target: Option<bool>,
}

/// The emotions a root-cause view counts, in display order (anything else counts as neutral).
pub const EMOTIONS: [&str; 5] = ["anger", "anxiety", "disappointment", "neutral", "satisfied"];

fn emotion_slot(emotion: Option<&str>) -> usize {
    emotion.and_then(|e| EMOTIONS.iter().position(|x| *x == e)).unwrap_or(3)
}

/// Counts for one group (a complaint type, a product, a department).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CauseGroup {
    pub tickets: usize,
    /// Per emotion at opening, in [`EMOTIONS`] order.
    pub emotions: [usize; 5],
    pub resolved: usize,
    pub resolved_within_target: usize,
}

impl CauseGroup {
    fn add(&mut self, row: &CauseRow) {
        self.tickets += 1;
        self.emotions[emotion_slot(row.emotion.as_deref())] += 1;
        if row.resolved {
            self.resolved += 1;
            if row.resolved_within_target == Some(true) {
                self.resolved_within_target += 1;
            }
        }
    }

    /// The recovery rate: the share of resolved tickets resolved within the target (`None`: nothing resolved).
    pub fn recovery_rate(&self) -> Option<f64> {
        (self.resolved > 0).then(|| self.resolved_within_target as f64 / self.resolved as f64)
    }
}

/// The root-cause view of the last `weeks` weeks.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RootCauses {
    /// The start (Unix ms) of each week, oldest first.
    pub week_starts: Vec<i64>,
    /// Complaint type → tickets per week (only types that occurred), in [`ComplaintType::ALL`] order.
    pub by_week: Vec<(ComplaintType, Vec<usize>)>,
    pub by_type: Vec<(ComplaintType, CauseGroup)>,
    /// Product or SKU label (`None`: not given), most tickets first.
    pub by_product: Vec<(Option<String>, CauseGroup)>,
    /// Department (`None`: never reached one), most tickets first.
    pub by_department: Vec<(Option<String>, CauseGroup)>,
    pub total: CauseGroup,
}

/// The first week's start for a view of `weeks` weeks ending with the week that holds `now`: weeks start on
/// Monday 00:00 at the organisation's fixed UTC offset.
pub fn weeks_start(now: i64, offset_ms: i64, weeks: usize) -> i64 {
    const DAY: i64 = 86_400_000;
    let local_day = (now + offset_ms).div_euclid(DAY);
    // Day 0 (1970-01-01) was a Thursday: Monday is 3 days before.
    let monday = local_day - (local_day + 3).rem_euclid(7);
    (monday - 7 * (weeks.max(1) as i64 - 1)) * DAY - offset_ms
}

/// Counts tickets created in `[start, start + weeks × 7 days)` (pure).
pub fn root_causes(rows: &[CauseRow], start: i64, weeks: usize) -> RootCauses {
    const WEEK: i64 = 7 * 86_400_000;
    let weeks = weeks.max(1);
    let mut out = RootCauses { week_starts: (0..weeks).map(|w| start + w as i64 * WEEK).collect(), ..Default::default() };
    let mut by_week: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    let mut by_type: BTreeMap<usize, CauseGroup> = BTreeMap::new();
    let mut by_product: BTreeMap<Option<String>, CauseGroup> = BTreeMap::new();
    let mut by_department: BTreeMap<Option<String>, CauseGroup> = BTreeMap::new();
    let type_slot = |k: ComplaintType| ComplaintType::ALL.iter().position(|x| *x == k).unwrap_or(usize::MAX);
    for row in rows {
        let offset = row.created_at - start;
        if offset < 0 || offset >= weeks as i64 * WEEK {
            continue;
        }
        let slot = type_slot(row.complaint_type);
        by_week.entry(slot).or_insert_with(|| vec![0; weeks])[(offset / WEEK) as usize] += 1;
        by_type.entry(slot).or_default().add(row);
        by_product.entry(row.product.clone()).or_default().add(row);
        by_department.entry(row.department_name.clone()).or_default().add(row);
        out.total.add(row);
    }
    let kind = |slot: usize| ComplaintType::ALL.get(slot).copied().unwrap_or(ComplaintType::Other);
    out.by_week = by_week.into_iter().map(|(s, counts)| (kind(s), counts)).collect();
    out.by_type = by_type.into_iter().map(|(s, g)| (kind(s), g)).collect();
    let ranked = |map: BTreeMap<Option<String>, CauseGroup>| {
        let mut list: Vec<_> = map.into_iter().collect();
        // Most tickets first; the unnamed group last among equals; names alphabetically.
        list.sort_by(|a, b| b.1.tickets.cmp(&a.1.tickets).then_with(|| a.0.is_none().cmp(&b.0.is_none())).then_with(|| a.0.cmp(&b.0)));
        list
    };
    out.by_product = ranked(by_product);
    out.by_department = ranked(by_department);
    out
}

impl Store {
    /// The follow-ups on the viewer's list: their own resolved tickets whose follow-up is due, and for supervisors
    /// and admins every resolved ticket whose follow-up is overdue by more than `grace_ms`. A ticket resolved
    /// without a stored `follow_up_due_at` is due [`DEFAULT_FOLLOW_UP_MS`] after its resolution.
    /// The caller passes the grace period (the SLA settings' `follow_up_grace_hours`).
    pub async fn follow_ups(&self, viewer: Principal, grace_ms: i64) -> Result<FollowUps> {
        let now = self.now();
        let lead = matches!(viewer.role, Role::Supervisor | Role::Admin);
        let me = viewer.user_id;
        let resolved = self
            .read(move |c| {
                let rows = if lead {
                    c.query(
                        &format!("{LINE_SELECT} WHERE t.org_id = $1 AND t.state = 'resolved' ORDER BY t.resolved_at LIMIT {VIEW_LIMIT}"),
                        params![viewer.org_id],
                    )?
                } else {
                    c.query(
                        &format!("{LINE_SELECT} WHERE t.org_id = $1 AND t.owner_id = $2 AND t.state = 'resolved' ORDER BY t.resolved_at LIMIT {VIEW_LIMIT}"),
                        params![viewer.org_id, me.unwrap_or(0)],
                    )?
                };
                Ok(rows.iter().map(line_from).collect::<Vec<_>>())
            })
            .await?;
        Ok(follow_ups_of(resolved, me, lead, now, grace_ms))
    }

    /// Every open ticket of the organisation for the SLA risk board (supervisors and admins).
    pub async fn open_ticket_lines(&self, viewer: Principal) -> Result<Vec<TicketLine>> {
        require_lead(&viewer, "the SLA risk board is for supervisors and admins")?;
        self.read(move |c| {
            let sql = format!("{LINE_SELECT} WHERE t.org_id = $1 AND t.state IN ({}) ORDER BY t.id LIMIT {VIEW_LIMIT}", open_states());
            Ok(c.query(&sql, params![viewer.org_id])?.iter().map(line_from).collect())
        })
        .await
    }

    /// The tickets created since `since` (Unix ms) as the root-cause view counts them (supervisors and admins).
    pub async fn cause_rows(&self, viewer: Principal, since: i64) -> Result<Vec<CauseRow>> {
        require_lead(&viewer, "the root-cause view is for supervisors and admins")?;
        self.read(move |c| {
            let rows = c.query(
                "SELECT t.created_at, t.complaint_type, t.product, d.name, t.emotion, t.state, t.resolved_at, t.resolved_within_target \
                 FROM complaint_tickets t LEFT JOIN teams d ON d.id = t.department_team_id \
                 WHERE t.org_id = $1 AND t.created_at >= $2 ORDER BY t.created_at LIMIT 50000",
                params![viewer.org_id, since],
            )?;
            Ok(rows
                .iter()
                .map(|r| {
                    let state: Option<TicketState> = wire(&r.text(5));
                    CauseRow {
                        created_at: r.int(0),
                        complaint_type: ComplaintType::parse(&r.text(1)).unwrap_or(ComplaintType::Other),
                        product: r.opt_text(2),
                        department_name: r.opt_text(3),
                        emotion: r.opt_text(4),
                        resolved: matches!(state, Some(TicketState::Resolved | TicketState::Closed)) && r.opt_int(6).is_some(),
                        resolved_within_target: r.opt_int(7).map(|v| v != 0),
                    }
                })
                .collect())
        })
        .await
    }

    /// Whether the conversation has a ticket still in the workflow (not resolved, closed or cancelled).
    pub async fn has_open_ticket(&self, org_id: i64, conversation_id: i64) -> Result<bool> {
        self.read(move |c| {
            let sql = format!("SELECT 1 FROM complaint_tickets WHERE org_id = $1 AND conversation_id = $2 AND state IN ({}) LIMIT 1", open_states());
            Ok(c.query_opt(&sql, params![org_id, conversation_id])?.is_some())
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3_600_000;
    const DAY: i64 = 24 * H;

    fn line(id: i64) -> TicketLine {
        TicketLine {
            id,
            conversation_id: 1,
            complaint_type: ComplaintType::Logistics,
            severity: TicketSeverity::Normal,
            emotion: None,
            state: TicketState::AwaitingLead,
            holder: Some(TicketActor::Lead),
            owner_id: 7,
            owner_name: "agent".into(),
            department_name: None,
            product: None,
            sla_status: SlaStatus::Ok,
            step_due_at: None,
            first_response_due_at: None,
            next_response_due_at: None,
            resolution_due_at: None,
            follow_up_due_at: None,
            created_at: 0,
            updated_at: 0,
            resolved_at: None,
        }
    }

    #[test]
    fn the_nearest_deadline_is_the_earliest_running_clock() {
        let mut l = line(1);
        assert_eq!(nearest_deadline(&l), None);
        l.resolution_due_at = Some(50);
        l.step_due_at = Some(30);
        l.first_response_due_at = Some(40);
        assert_eq!(nearest_deadline(&l), Some((30, TimerKind::Step)));
        l.next_response_due_at = Some(10);
        assert_eq!(nearest_deadline(&l), Some((10, TimerKind::NextResponse)));
    }

    #[test]
    fn the_board_groups_by_status_and_orders_by_deadline() {
        let now = 1_000 * H;
        let at = |id: i64, status: SlaStatus, due: Option<i64>, dept: Option<&str>| {
            let mut l = line(id);
            l.sla_status = status;
            l.step_due_at = due;
            l.department_name = dept.map(str::to_owned);
            l
        };
        let mut closed = at(9, SlaStatus::Breached, Some(now - H), None);
        closed.state = TicketState::Closed;
        let lines = vec![
            at(1, SlaStatus::Ok, Some(now + 5 * H), Some("物流部")),
            at(2, SlaStatus::Ok, Some(now - H), Some("物流部")), // passed, not yet swept: breached
            at(3, SlaStatus::Warning, Some(now + H), None),
            at(4, SlaStatus::Breached, Some(now - 3 * H), Some("品控部")),
            at(5, SlaStatus::None, None, None), // no clock: ok, last
            at(6, SlaStatus::Ok, Some(now + 2 * H), Some("物流部")),
            closed,
        ];
        let board = risk_board(lines, now);
        let ids = |g: &[RiskEntry]| g.iter().map(|e| e.line.id).collect::<Vec<_>>();
        assert_eq!(ids(&board.breached), [4, 2]);
        assert_eq!(ids(&board.warning), [3]);
        assert_eq!(ids(&board.ok), [6, 1, 5]);
        assert_eq!(board.breached[1].status, SlaStatus::Breached);
        assert_eq!(
            board.departments,
            vec![(None, [0, 1, 1]), (Some("品控部".to_owned()), [1, 0, 0]), (Some("物流部".to_owned()), [1, 0, 2])]
        );
    }

    #[test]
    fn follow_ups_are_mine_when_due_and_everyones_when_overdue_for_leads() {
        let now = 100 * DAY;
        let resolved = |id: i64, owner: i64, due: Option<i64>, resolved_at: i64| {
            let mut l = line(id);
            l.state = TicketState::Resolved;
            l.owner_id = owner;
            l.follow_up_due_at = due;
            l.resolved_at = Some(resolved_at);
            l
        };
        let rows = vec![
            resolved(1, 7, Some(now - H), now - 49 * H),        // mine, due
            resolved(2, 7, Some(now + H), now - 47 * H),        // mine, not yet
            resolved(3, 8, Some(now - 25 * H), now - 73 * H),   // someone else's, overdue
            resolved(4, 8, Some(now - 23 * H), now - 71 * H),   // someone else's, due but within grace
            resolved(5, 7, None, now - 80 * H),                 // mine, no stored time: 48 h default → overdue
        ];
        let agent = follow_ups_of(rows.clone(), Some(7), false, now, DEFAULT_FOLLOW_UP_GRACE_MS);
        assert_eq!(agent.due.iter().map(|l| l.id).collect::<Vec<_>>(), [5, 1]);
        assert!(agent.overdue.is_empty());
        let lead = follow_ups_of(rows, Some(9), true, now, DEFAULT_FOLLOW_UP_GRACE_MS);
        assert!(lead.due.is_empty());
        assert_eq!(lead.overdue.iter().map(|l| l.id).collect::<Vec<_>>(), [5, 3]);
    }

    #[test]
    fn weeks_start_on_monday_at_the_local_offset() {
        // 2026-05-14 (a Thursday) 10:00 in Shanghai = 02:00 UTC.
        let day = anxin_domain::calendar::LocalDate::new(2026, 5, 14).unwrap().day_number();
        let now = day * DAY + 2 * H;
        let start = weeks_start(now, 8 * H, 1);
        let monday = anxin_domain::calendar::LocalDate::new(2026, 5, 11).unwrap().day_number();
        assert_eq!(start, monday * DAY - 8 * H);
        assert_eq!(weeks_start(now, 8 * H, 4), start - 3 * 7 * DAY);
        // Just after local midnight on a Monday, that Monday is the week's start.
        assert_eq!(weeks_start(monday * DAY - 8 * H + 1, 8 * H, 1), monday * DAY - 8 * H);
    }

    #[test]
    fn root_causes_count_types_per_week_products_departments_emotions_and_recovery() {
        let start = 10 * 7 * DAY;
        let row = |week: i64, kind: ComplaintType, product: Option<&str>, dept: Option<&str>, emotion: &str, resolved: Option<bool>| CauseRow {
            created_at: start + week * 7 * DAY + H,
            complaint_type: kind,
            product: product.map(str::to_owned),
            department_name: dept.map(str::to_owned),
            emotion: Some(emotion.to_owned()),
            resolved: resolved.is_some(),
            resolved_within_target: resolved,
        };
        use ComplaintType::{Logistics, Quality};
        let rows = vec![
            row(0, Logistics, Some("SKU-1"), Some("物流部"), "anger", Some(true)),
            row(0, Logistics, Some("SKU-1"), Some("物流部"), "anxiety", Some(false)),
            row(2, Logistics, None, None, "anger", None),
            row(1, Quality, Some("SKU-2"), Some("品控部"), "disappointment", Some(true)),
            row(2, Quality, Some("SKU-1"), Some("品控部"), "weird", None),
            row(3, Quality, None, None, "anger", None),   // outside 3 weeks
            row(-1, Quality, None, None, "anger", None),  // before the start
        ];
        let rc = root_causes(&rows, start, 3);
        assert_eq!(rc.week_starts, vec![start, start + 7 * DAY, start + 14 * DAY]);
        assert_eq!(rc.by_week, vec![(Quality, vec![0, 1, 1]), (Logistics, vec![2, 0, 1])]);
        assert_eq!(rc.total.tickets, 5);
        let logistics = &rc.by_type.iter().find(|(k, _)| *k == Logistics).unwrap().1;
        assert_eq!(logistics.emotions, [2, 1, 0, 0, 0]);
        assert_eq!((logistics.resolved, logistics.resolved_within_target, logistics.recovery_rate()), (2, 1, Some(0.5)));
        let quality = &rc.by_type.iter().find(|(k, _)| *k == Quality).unwrap().1;
        assert_eq!(quality.emotions, [0, 0, 1, 1, 0], "an unknown emotion counts as neutral");
        assert_eq!(quality.recovery_rate(), Some(1.0));
        assert_eq!(
            rc.by_product.iter().map(|(p, g)| (p.as_deref(), g.tickets)).collect::<Vec<_>>(),
            vec![(Some("SKU-1"), 3), (Some("SKU-2"), 1), (None, 1)]
        );
        assert_eq!(
            rc.by_department.iter().map(|(d, g)| (d.as_deref(), g.tickets)).collect::<Vec<_>>(),
            vec![(Some("品控部"), 2), (Some("物流部"), 2), (None, 1)]
        );
        assert_eq!(rc.total.recovery_rate(), Some(2.0 / 3.0));
        assert_eq!(root_causes(&[], start, 2).total.recovery_rate(), None);
    }
}
