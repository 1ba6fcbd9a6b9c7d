//! Automatic assignment and agent protection, stored: each person's routing profile and protection state
//! (`agent_routing`), team routing settings (`teams.routing`), what a conversation's routing needs (peak anger,
//! language, since when it waits, whether it counted in its agent's hostile streak) and supervisor alerts.
//!
//! The decisions are `anxin_domain::routing`'s; this module loads the roster and the waiting line, applies the
//! decisions and records them. Assignment runs on events (a new conversation, someone available, a conversation
//! resolved) and on a periodic sweep (cool-downs ending, starvation, triggers' grace), in a write transaction that
//! first takes the organisation's routing lock — an advisory lock on PostgreSQL, the single writer on SQLite — so
//! two nodes never assign on stale state; the assignment itself also only takes a conversation still unassigned.

use anxin_domain::events::EventKind;
use anxin_domain::routing::{self, AgentState, Choice, DecayingLoad, RoutingSettings, WaitQueue, WaitingConversation};
use anxin_domain::{ChannelKind, ComplaintType, ConversationStatus, Emotion, Flags, Language, Priority, Role};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::conn::{Conn, Dialect, Result, StoreError};
use crate::exec::Tx;
use crate::ops::{audit, conversation_in};
use crate::people::Availability;
use crate::records::{Conversation, Principal};
use crate::{Store, params};

/// Key space of the routing advisory lock on PostgreSQL ("anxin" in ASCII, then the organisation).
const LOCK_SPACE: i64 = 0x616e78696e << 24;
/// Online this long without a break raises a `no_break` alert.
pub const NO_BREAK_MS: i64 = 2 * 3_600_000;

/// A person's routing profile (what they can and want to take), as admins and the person edit it. A conversation
/// labelled `skill:<name>` goes only to people with that skill.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RoutingProfile {
    pub capacity: u16,
    pub experience: u8,
    pub languages: Vec<Language>,
    pub channels: Vec<ChannelKind>,
    pub skills: Vec<String>,
    pub triggers: Vec<ComplaintType>,
}

impl Default for RoutingProfile {
    fn default() -> Self {
        RoutingProfile {
            capacity: 3,
            experience: 1,
            languages: Language::ALL.to_vec(),
            channels: ChannelKind::ALL.to_vec(),
            skills: Vec::new(),
            triggers: Vec::new(),
        }
    }
}

/// The label prefix that makes a conversation require a skill.
pub const SKILL_LABEL: &str = "skill:";

/// A skill's id for routing: a stable hash of its trimmed, lower-cased name (FNV-1a), so the roster and the waiting
/// line agree without a shared table.
pub fn skill_id(name: &str) -> u32 {
    name.trim().to_lowercase().bytes().fold(0x811c_9dc5u32, |hash, byte| (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193))
}

fn skill_ids<'a>(names: impl Iterator<Item = &'a str>) -> Vec<u32> {
    let mut ids: Vec<u32> = names.filter(|n| !n.trim().is_empty()).map(skill_id).collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// What the person and their supervisor see of the protection state.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProtectionState {
    pub user_id: i64,
    pub profile: RoutingProfile,
    pub hostile_streak: u16,
    pub streak_cap: u16,
    /// Emotional load now (decayed), and the level at which the supervisor is alerted.
    pub load: f64,
    pub load_alert: f64,
    pub cooldown_started_at: i64,
    pub cooldown_until: i64,
    /// Until when only calm conversations come (a supervisor's "calmer queue").
    pub calm_until: i64,
    pub active: i64,
}

/// A supervisor alert about one person.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alert {
    pub id: i64,
    pub user_id: i64,
    pub user_name: String,
    pub kind: String,
    pub details: Value,
    pub created_at: i64,
    pub acknowledged_by: Option<i64>,
    pub acknowledged_at: Option<i64>,
    pub action: Option<String>,
}

/// What a supervisor does about an alert, in one click.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertAction {
    /// Puts the person on a break now.
    GrantBreak,
    /// Only calm conversations for the next hour.
    CalmerQueue,
    /// A one-to-one is scheduled (recorded; the person sees it).
    OneToOne,
    /// Moves the escalated conversation back to the queue for someone else (re-route suggestions).
    Reroute,
    /// Seen; nothing else to do.
    Acknowledge,
}

impl AlertAction {
    pub const ALL: [AlertAction; 5] =
        [AlertAction::GrantBreak, AlertAction::CalmerQueue, AlertAction::OneToOne, AlertAction::Reroute, AlertAction::Acknowledge];

    pub fn as_str(self) -> &'static str {
        match self {
            AlertAction::GrantBreak => "grant_break",
            AlertAction::CalmerQueue => "calmer_queue",
            AlertAction::OneToOne => "one_to_one",
            AlertAction::Reroute => "reroute",
            AlertAction::Acknowledge => "acknowledge",
        }
    }

    pub fn parse(text: &str) -> Option<AlertAction> {
        Self::ALL.into_iter().find(|a| a.as_str() == text)
    }
}

const CALMER_QUEUE_MS: i64 = 3_600_000;

fn lock(tx: &mut Tx<'_>, org_id: i64) -> Result<()> {
    if tx.dialect() == Dialect::Postgres {
        tx.conn.execute("SELECT pg_advisory_xact_lock($1)", params![LOCK_SPACE + org_id])?;
    }
    Ok(())
}

/// A team's routing settings (defaults when none are stored, or for conversations without a team).
pub(crate) fn settings_for(c: &mut dyn Conn, org_id: i64, team_id: Option<i64>) -> Result<RoutingSettings> {
    let Some(team) = team_id else { return Ok(RoutingSettings::default()) };
    let row = c.query_opt("SELECT routing FROM teams WHERE org_id = $1 AND id = $2", params![org_id, team])?;
    Ok(row.and_then(|r| r.opt_text(0)).and_then(|text| serde_json::from_str(&text).ok()).unwrap_or_default())
}

fn parse_list<T: for<'de> Deserialize<'de>>(text: &str) -> Vec<T> {
    serde_json::from_str(text).unwrap_or_default()
}

/// The routing row of a person (defaults when they never had one), plus how many open conversations they hold.
struct Stored {
    state: AgentState,
    calm_until: i64,
}

const AGENT_SELECT: &str = "SELECT u.id, COALESCE(r.capacity, 3), COALESCE(r.experience, 1), \
    COALESCE(r.languages, '[\"zh-Hans\",\"zh-Hant\",\"en\"]'), COALESCE(r.triggers, '[]'), COALESCE(r.hostile_streak, 0), \
    COALESCE(r.load_value, 0), COALESCE(r.load_at, 0), COALESCE(r.cooldown_started_at, 0), COALESCE(r.cooldown_until, 0), \
    COALESCE(r.last_assigned_at, 0), COALESCE(r.calm_until, 0), p.state, \
    COALESCE(r.skills, '[]'), COALESCE(r.channels, '[\"web_chat\",\"email\",\"api\"]') \
    FROM users u LEFT JOIN agent_routing r ON r.user_id = u.id LEFT JOIN agent_presence p ON p.user_id = u.id";

/// One person's routing state from an `AGENT_SELECT` row; `active` and `teams` come from the caller.
fn stored_from_row(r: &crate::conn::Row, now: i64) -> Stored {
    let id = r.int(0);
    let mut state = AgentState::new(id, r.int(1).clamp(1, 50) as u16);
    state.experience = r.int(2).clamp(0, 3) as u8;
    state.languages = Flags::of(parse_list::<Language>(&r.text(3)));
    state.triggers = Flags::of(parse_list::<ComplaintType>(&r.text(4)));
    state.hostile_streak = r.int(5).clamp(0, u16::MAX.into()) as u16;
    state.load = DecayingLoad { value: r.real(6), at_ms: r.int(7) };
    state.cooldown_started_ms = r.int(8);
    state.cooldown_until_ms = r.int(9);
    state.last_assigned_ms = match r.int(10) {
        0 => i64::MIN,
        t => t,
    };
    let calm_until = r.int(11);
    // A supervisor's "calmer queue": hostile customers skip this person while anyone else can take them.
    if calm_until > now {
        state.experience = 0;
    }
    state.accepting = r.opt_text(12).as_deref() == Some(Availability::Online.as_str());
    let skills: Vec<String> = parse_list(&r.text(13));
    state.skills = skill_ids(skills.iter().map(String::as_str));
    state.channels = Flags::of(parse_list::<ChannelKind>(&r.text(14)));
    Stored { state, calm_until }
}

/// Everyone who can be assigned conversations automatically (active agents), in three queries whatever the size
/// of the roster: people with their routing rows, open conversations per assignee, team memberships.
fn roster(c: &mut dyn Conn, org_id: i64, now: i64) -> Result<Vec<AgentState>> {
    let sql = format!("{AGENT_SELECT} WHERE u.org_id = $1 AND u.active = 1 AND u.role = $2 ORDER BY u.id");
    let mut agents: Vec<AgentState> =
        c.query(&sql, params![org_id, Role::Agent.as_str()])?.iter().map(|r| stored_from_row(r, now).state).collect();
    let index: std::collections::HashMap<i64, usize> = agents.iter().enumerate().map(|(i, a)| (a.id, i)).collect();
    let open = c.query(
        "SELECT assignee_id, COUNT(*) FROM conversations WHERE org_id = $1 AND assignee_id IS NOT NULL AND status <> 'resolved' \
         GROUP BY assignee_id",
        params![org_id],
    )?;
    for row in open {
        if let Some(&i) = index.get(&row.int(0)) {
            agents[i].active = row.int(1).clamp(0, u16::MAX.into()) as u16;
        }
    }
    let memberships = c.query(
        "SELECT m.user_id, m.team_id FROM team_members m JOIN teams t ON t.id = m.team_id WHERE t.org_id = $1 ORDER BY m.team_id",
        params![org_id],
    )?;
    for row in memberships {
        if let Some(&i) = index.get(&row.int(0)) {
            agents[i].teams.push(row.int(1));
        }
    }
    Ok(agents)
}

fn stored(c: &mut dyn Conn, org_id: i64, user_id: i64, now: i64) -> Result<Stored> {
    let sql = format!("{AGENT_SELECT} WHERE u.org_id = $1 AND u.id = $2");
    let mut stored = stored_from_row(&c.query_one(&sql, params![org_id, user_id])?, now);
    stored.state.active = c
        .query_one(
            "SELECT COUNT(*) FROM conversations WHERE org_id = $1 AND assignee_id = $2 AND status <> 'resolved'",
            params![org_id, user_id],
        )?
        .int(0)
        .clamp(0, u16::MAX.into()) as u16;
    stored.state.teams = c
        .query("SELECT team_id FROM team_members WHERE user_id = $1 ORDER BY team_id", params![user_id])?
        .iter()
        .map(|row| row.int(0))
        .collect();
    Ok(stored)
}

fn save(c: &mut dyn Conn, org_id: i64, agent: &AgentState, now: i64) -> Result<()> {
    let last = if agent.last_assigned_ms == i64::MIN { 0 } else { agent.last_assigned_ms };
    c.execute(
        "INSERT INTO agent_routing (user_id, org_id, hostile_streak, load_value, load_at, cooldown_started_at, cooldown_until, \
         last_assigned_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         ON CONFLICT (user_id) DO UPDATE SET hostile_streak = excluded.hostile_streak, load_value = excluded.load_value, \
         load_at = excluded.load_at, cooldown_started_at = excluded.cooldown_started_at, cooldown_until = excluded.cooldown_until, \
         last_assigned_at = excluded.last_assigned_at, updated_at = excluded.updated_at",
        params![
            agent.id,
            org_id,
            i64::from(agent.hostile_streak),
            agent.load.value,
            agent.load.at_ms,
            agent.cooldown_started_ms,
            agent.cooldown_until_ms,
            last,
            now
        ],
    )?;
    Ok(())
}

const WAITING_SELECT: &str = "SELECT c.id, c.waiting_since, c.priority, c.emotion, c.peak_anger, c.intensity, c.complaint_type, \
    c.team_id, c.language, ch.kind, c.labels FROM conversations c JOIN channels ch ON ch.id = c.channel_id";

fn waiting_from_row(r: &crate::conn::Row, settings: &RoutingSettings) -> WaitingConversation {
    let emotion = r.opt_text(3).and_then(|e| Emotion::parse(&e)).unwrap_or(Emotion::Neutral);
    let peak_anger = r.real(4);
    let intensity = if emotion == Emotion::Anger { peak_anger.max(r.real(5)) } else { r.real(5) };
    WaitingConversation {
        id: r.int(0),
        waiting_since_ms: r.opt_int(1).unwrap_or(0),
        priority: Priority::parse(&r.text(2)).unwrap_or(Priority::Normal),
        emotion,
        intensity,
        hostile: peak_anger >= settings.protection.hostile_threshold,
        complaint: r.opt_text(6).and_then(|c| ComplaintType::parse(&c)),
        team: r.opt_int(7),
        language: r.opt_text(8).and_then(|l| Language::parse(&l)).unwrap_or(Language::ZhHans),
        channel: ChannelKind::parse(&r.text(9)).unwrap_or(ChannelKind::WebChat),
        skills: skill_ids(parse_list::<String>(&r.text(10)).iter().filter_map(|label| label.strip_prefix(SKILL_LABEL))),
    }
}

/// The waiting conversations of one team (`None`: those without a team).
fn waiting(c: &mut dyn Conn, org_id: i64, team: Option<i64>, settings: &RoutingSettings) -> Result<Vec<WaitingConversation>> {
    let rows = match team {
        Some(team) => c.query(
            &format!("{WAITING_SELECT} WHERE c.org_id = $1 AND c.waiting_since IS NOT NULL AND c.team_id = $2"),
            params![org_id, team],
        )?,
        None => c.query(
            &format!("{WAITING_SELECT} WHERE c.org_id = $1 AND c.waiting_since IS NOT NULL AND c.team_id IS NULL"),
            params![org_id],
        )?,
    };
    Ok(rows.iter().map(|r| waiting_from_row(r, settings)).collect())
}

fn emit_protection(tx: &mut Tx<'_>, org_id: i64, agent: &AgentState) -> Result<()> {
    let data = json!({ "user_id": agent.id, "hostile_streak": agent.hostile_streak,
        "cooldown_started_at": agent.cooldown_started_ms, "cooldown_until": agent.cooldown_until_ms });
    tx.emit(org_id, EventKind::ProtectionChanged, None, false, data)
}

/// Raises an alert unless the same kind is already open for the person (one open alert per kind is enough).
pub(crate) fn raise_alert(tx: &mut Tx<'_>, org_id: i64, user_id: i64, kind: &str, details: Value) -> Result<Option<i64>> {
    let open = tx.conn.query_opt(
        "SELECT id FROM alerts WHERE org_id = $1 AND user_id = $2 AND kind = $3 AND acknowledged_at IS NULL",
        params![org_id, user_id, kind],
    )?;
    if open.is_some() {
        return Ok(None);
    }
    let now = tx.now;
    let id = tx
        .conn
        .query_one(
            "INSERT INTO alerts (org_id, user_id, kind, details, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
            params![org_id, user_id, kind, details.to_string(), now],
        )?
        .int(0);
    tx.emit(org_id, EventKind::AlertRaised, None, false, json!({ "alert_id": id, "user_id": user_id, "kind": kind }))?;
    Ok(Some(id))
}

/// Gives a waiting conversation to an agent (only if it is still unassigned), with the bookkeeping: the agent's
/// streak, load and last assignment, the conversation's event, the audit entry and any alert it causes.
fn assign(
    tx: &mut Tx<'_>,
    org_id: i64,
    agent: &mut AgentState,
    conversation: &WaitingConversation,
    choice: &Choice,
    settings: &RoutingSettings,
) -> Result<bool> {
    let now = tx.now;
    let taken = tx.conn.execute(
        "UPDATE conversations SET assignee_id = $1, waiting_since = NULL, hostile_counted = $2, updated_at = $3 \
         WHERE id = $4 AND org_id = $5 AND assignee_id IS NULL AND status <> 'resolved'",
        params![agent.id, i64::from(conversation.hostile), now, conversation.id, org_id],
    )?;
    if taken == 0 {
        return Ok(false);
    }
    let was_cooling = agent.cooling(now);
    agent.on_assigned(conversation, settings, now);
    save(tx.conn, org_id, agent, now)?;
    let after = conversation_in(tx.conn, org_id, conversation.id)?;
    tx.emit(org_id, EventKind::ConversationUpdated, Some(after.id), true, json!({ "conversation": after }))?;
    if was_cooling || conversation.hostile {
        emit_protection(tx, org_id, agent)?;
    }
    let why = serde_json::to_value(choice.why).unwrap_or(Value::Null);
    audit(
        tx,
        org_id,
        "routing",
        "conversation.auto_assign",
        &format!("conversation:{}", conversation.id),
        json!({ "assignee_id": agent.id, "why": why, "policy": settings.policy, "hostile": conversation.hostile,
                "waited_ms": now - conversation.waiting_since_ms }),
    )?;
    let protection = &settings.protection;
    if conversation.hostile && agent.hostile_streak >= protection.streak_cap {
        raise_alert(tx, org_id, agent.id, "streak_cap", json!({ "streak": agent.hostile_streak, "conversation_id": conversation.id }))?;
    }
    let load = agent.load.at(now, protection.load_half_life_secs);
    if load > protection.load_alert {
        raise_alert(tx, org_id, agent.id, "load_high", json!({ "load": (load * 100.0).round() / 100.0 }))?;
    }
    Ok(true)
}

/// Assigns what can be assigned now: each waiting conversation in queue order to the best free agent, then each
/// agent with room (cooling ones included, for calm customers kept waiting) takes from the queue. Also raises
/// `no_break` alerts. Returns the assignments made.
fn dispatch_in(tx: &mut Tx<'_>, org_id: i64, sweep: bool) -> Result<Vec<Choice>> {
    lock(tx, org_id)?;
    let now = tx.now;
    // The teams with someone waiting (`None`: conversations without a team); nobody waiting, no roster to load.
    let teams: Vec<Option<i64>> = tx
        .conn
        .query("SELECT DISTINCT team_id FROM conversations WHERE org_id = $1 AND waiting_since IS NOT NULL", params![org_id])?
        .iter()
        .map(|r| r.opt_int(0))
        .collect();
    let mut agents = if teams.is_empty() { Vec::new() } else { roster(tx.conn, org_id, now)? };
    let mut made = Vec::new();
    for team in teams {
        let settings = settings_for(tx.conn, org_id, team)?;
        let list = waiting(tx.conn, org_id, team, &settings)?;
        if list.is_empty() {
            continue;
        }
        let mut queue = WaitQueue::new(&settings);
        for conversation in list {
            queue.push(conversation);
        }
        // Conversations first, in queue order: each goes to the agent the policy prefers among those free.
        // With nobody free (the usual state when a line forms) this is skipped: a long line costs nothing here.
        let ranked: Vec<WaitingConversation> =
            if agents.iter().any(|a| a.free(now)) { queue.ranked().cloned().collect() } else { Vec::new() };
        for conversation in ranked {
            if let Some(choice) = routing::choose_agent(&settings, &conversation, &agents, now) {
                let agent = agents.iter_mut().find(|a| a.id == choice.agent).expect("chosen from the roster");
                if assign(tx, org_id, agent, &conversation, &choice, &settings)? {
                    made.push(choice);
                }
                queue.remove(conversation.id);
                if !agents.iter().any(|a| a.free(now)) {
                    break;
                }
            }
        }
        // Then agents with room take what the queue-side rules allow (starvation, cool-downs yielding, triggers).
        for index in 0..agents.len() {
            while let Some(choice) = queue.choose_for(&settings, &agents[index], &agents, now) {
                let conversation = queue.remove(choice.conversation).expect("chosen from the queue");
                if assign(tx, org_id, &mut agents[index], &conversation, &choice, &settings)? {
                    made.push(choice);
                }
            }
        }
    }
    if !sweep {
        return Ok(made);
    }
    // Someone online for hours without a break gets their supervisor's attention.
    let long = tx.conn.query(
        "SELECT p.user_id, p.since FROM agent_presence p JOIN users u ON u.id = p.user_id \
         WHERE p.org_id = $1 AND p.state = 'online' AND p.since > 0 AND p.since < $2 AND u.active = 1 AND u.role = $3",
        params![org_id, now - NO_BREAK_MS, Role::Agent.as_str()],
    )?;
    for row in long {
        raise_alert(tx, org_id, row.int(0), "no_break", json!({ "online_since": row.int(1) }))?;
    }
    Ok(made)
}

/// Bookkeeping when a conversation changes hands or closes outside routing (a person claimed, transferred,
/// resolved or reopened it): the previous agent's cool-down starts on a hostile resolution; the new agent's streak
/// and load count it; an unassigned open conversation rejoins the waiting line.
pub(crate) fn on_conversation_changed(tx: &mut Tx<'_>, org_id: i64, before: &Conversation, after: &Conversation) -> Result<()> {
    let now = tx.now;
    let settings = settings_for(tx.conn, org_id, after.team_id)?;
    let row = tx.conn.query_one("SELECT hostile_counted, peak_anger FROM conversations WHERE id = $1", params![after.id])?;
    let counted = row.int(0) != 0;
    let hostile_now = row.real(1) >= settings.protection.hostile_threshold;
    let resolved = after.status == ConversationStatus::Resolved && before.status != ConversationStatus::Resolved;
    let handed_over = before.assignee_id != after.assignee_id;
    if let Some(previous) = before.assignee_id
        && (resolved || handed_over)
        && before.status != ConversationStatus::Resolved
    {
        let mut agent = stored(tx.conn, org_id, previous, now)?.state;
        // `active` was counted after the change; the release only starts the cool-down.
        agent.active = agent.active.saturating_add(1);
        agent.on_released(counted && resolved, &settings, now);
        save(tx.conn, org_id, &agent, now)?;
        if agent.cooling(now) {
            emit_protection(tx, org_id, &agent)?;
        }
    }
    if handed_over && let Some(next) = after.assignee_id {
        let mut agent = stored(tx.conn, org_id, next, now)?.state;
        let conversation = WaitingConversation {
            hostile: hostile_now,
            ..waiting_from_row(
                &tx.conn.query_one(&format!("{WAITING_SELECT} WHERE c.id = $1"), params![after.id])?,
                &settings,
            )
        };
        agent.on_assigned(&conversation, &settings, now);
        agent.active = agent.active.saturating_sub(1);
        save(tx.conn, org_id, &agent, now)?;
        tx.conn.execute(
            "UPDATE conversations SET waiting_since = NULL, hostile_counted = $1 WHERE id = $2",
            params![i64::from(hostile_now), after.id],
        )?;
    }
    let open = after.status != ConversationStatus::Resolved;
    if after.assignee_id.is_none() && open && (handed_over || before.status == ConversationStatus::Resolved) {
        tx.conn.execute(
            "UPDATE conversations SET waiting_since = $1, hostile_counted = 0 WHERE id = $2 AND waiting_since IS NULL",
            params![now, after.id],
        )?;
    }
    if !open {
        tx.conn.execute("UPDATE conversations SET waiting_since = NULL WHERE id = $1", params![after.id])?;
    }
    Ok(())
}

/// After a customer message: a new conversation starts waiting (routing picks it up after the commit); an
/// assigned one whose anger just crossed the hostile threshold joins its agent's streak and load, and when that
/// is too much the supervisor is offered a re-route.
pub(crate) fn after_customer_message(tx: &mut Tx<'_>, org_id: i64, conversation_id: i64, anger: f64, language: &str) -> Result<()> {
    let now = tx.now;
    tx.conn.execute(
        "UPDATE conversations SET peak_anger = CASE WHEN peak_anger < $1 THEN $1 ELSE peak_anger END, \
         language = COALESCE(language, $2), \
         waiting_since = CASE WHEN assignee_id IS NULL AND waiting_since IS NULL THEN $3 ELSE waiting_since END \
         WHERE id = $4",
        params![anger, language, now, conversation_id],
    )?;
    let row = tx.conn.query_one(
        "SELECT assignee_id, team_id, peak_anger, hostile_counted FROM conversations WHERE id = $1",
        params![conversation_id],
    )?;
    let (Some(agent_id), counted) = (row.opt_int(0), row.int(3) != 0) else { return Ok(()) };
    let settings = settings_for(tx.conn, org_id, row.opt_int(1))?;
    if counted || row.real(2) < settings.protection.hostile_threshold {
        return Ok(());
    }
    tx.conn.execute("UPDATE conversations SET hostile_counted = 1 WHERE id = $1", params![conversation_id])?;
    let mut agent = stored(tx.conn, org_id, agent_id, now)?.state;
    let reroute = agent.on_turned_hostile(row.real(2), &settings, now);
    save(tx.conn, org_id, &agent, now)?;
    emit_protection(tx, org_id, &agent)?;
    if let Some(reason) = reroute {
        let reason = serde_json::to_value(reason).unwrap_or(Value::Null);
        raise_alert(tx, org_id, agent_id, "reroute", json!({ "conversation_id": conversation_id, "reason": reason }))?;
    }
    Ok(())
}

/// The anger intensity of one analysed message (0 when its emotion is not anger).
pub(crate) fn anger_of(analysis: &anxin_text::MessageAnalysis) -> f64 {
    if analysis.emotion.label == anxin_text::Emotion::Anger { f64::from(analysis.emotion.intensity) } else { 0.0 }
}

fn alert_from_row(r: &crate::conn::Row) -> Alert {
    Alert {
        id: r.int(0),
        user_id: r.int(1),
        user_name: r.text(2),
        kind: r.text(3),
        details: serde_json::from_str(&r.text(4)).unwrap_or(Value::Null),
        created_at: r.int(5),
        acknowledged_by: r.opt_int(6),
        acknowledged_at: r.opt_int(7),
        action: r.opt_text(8),
    }
}

const ALERT_SELECT: &str = "SELECT a.id, a.user_id, u.display_name, a.kind, a.details, a.created_at, a.acknowledged_by, \
    a.acknowledged_at, a.action FROM alerts a JOIN users u ON u.id = a.user_id";

/// Whether `viewer` may see `subject`'s computed load and alerts: the person themself, an admin, or a supervisor
/// who shares a team with them.
fn may_watch(c: &mut dyn Conn, org_id: i64, viewer: &Principal, subject: i64) -> Result<bool> {
    let Some(viewer_id) = viewer.user_id else { return Ok(false) };
    if viewer_id == subject || viewer.role == Role::Admin {
        return Ok(true);
    }
    if viewer.role != Role::Supervisor {
        return Ok(false);
    }
    let shared = c.query_opt(
        "SELECT 1 FROM team_members a JOIN team_members b ON a.team_id = b.team_id JOIN teams t ON t.id = a.team_id \
         WHERE t.org_id = $1 AND a.user_id = $2 AND b.user_id = $3",
        params![org_id, viewer_id, subject],
    )?;
    Ok(shared.is_some())
}

/// Event kinds after which an assignment may have become possible.
pub(crate) fn wakes_routing(kind: EventKind) -> bool {
    matches!(kind, EventKind::ConversationCreated | EventKind::ConversationUpdated | EventKind::PresenceChanged)
}

impl Store {
    /// Runs automatic assignment for the organisation now; returns what it assigned. Without `sweep` it returns
    /// at once when nobody waits (checked on a reader, so a busy writer is not asked for nothing); a sweep also
    /// raises `no_break` alerts.
    pub async fn dispatch(&self, org_id: i64, sweep: bool) -> Result<Vec<Choice>> {
        if !sweep {
            let waiting = self
                .read(move |c| {
                    c.query_opt("SELECT 1 FROM conversations WHERE org_id = $1 AND waiting_since IS NOT NULL LIMIT 1", params![org_id])
                })
                .await?;
            if waiting.is_none() {
                return Ok(Vec::new());
            }
        }
        self.write(move |tx| dispatch_in(tx, org_id, sweep)).await
    }

    /// The organisations that have waiting conversations or agents online (what the periodic sweep visits).
    pub async fn routing_orgs(&self) -> Result<Vec<i64>> {
        self.read(|c| {
            Ok(c.query(
                "SELECT DISTINCT org_id FROM agent_presence WHERE state = 'online' \
                 UNION SELECT DISTINCT org_id FROM conversations WHERE waiting_since IS NOT NULL",
                params![],
            )?
            .iter()
            .map(|r| r.int(0))
            .collect())
        })
        .await
    }

    /// A person's protection state, for themselves or someone allowed to watch it (else `NotFound`).
    pub async fn protection_state(&self, viewer: Principal, user_id: i64) -> Result<ProtectionState> {
        let now = self.now();
        self.read(move |c| {
            let org_id = viewer.org_id;
            if !may_watch(c, org_id, &viewer, user_id)? {
                return Err(StoreError::NotFound);
            }
            let s = stored(c, org_id, user_id, now)?;
            let row = c.query_opt(
                "SELECT capacity, experience, languages, triggers, channels, skills FROM agent_routing WHERE user_id = $1",
                params![user_id],
            )?;
            let profile = row
                .map(|r| RoutingProfile {
                    capacity: r.int(0).clamp(1, 50) as u16,
                    experience: r.int(1).clamp(0, 3) as u8,
                    languages: parse_list(&r.text(2)),
                    triggers: parse_list(&r.text(3)),
                    channels: parse_list(&r.text(4)),
                    skills: parse_list(&r.text(5)),
                })
                .unwrap_or_default();
            let team = c.query_opt("SELECT team_id FROM team_members WHERE user_id = $1 ORDER BY team_id LIMIT 1", params![user_id])?;
            let settings = settings_for(c, org_id, team.map(|r| r.int(0)))?;
            Ok(ProtectionState {
                user_id,
                profile,
                hostile_streak: s.state.hostile_streak,
                streak_cap: settings.protection.streak_cap,
                load: (s.state.load.at(now, settings.protection.load_half_life_secs) * 100.0).round() / 100.0,
                load_alert: settings.protection.load_alert,
                cooldown_started_at: s.state.cooldown_started_ms,
                cooldown_until: s.state.cooldown_until_ms,
                calm_until: s.calm_until,
                active: i64::from(s.state.active),
            })
        })
        .await
    }

    /// Sets a person's routing profile (themselves for triggers and languages; admins for everything).
    pub async fn set_routing_profile(&self, actor: Principal, user_id: i64, profile: RoutingProfile) -> Result<RoutingProfile> {
        self.write(move |tx| {
            let org_id = actor.org_id;
            tx.conn.query_one("SELECT id FROM users WHERE org_id = $1 AND id = $2", params![org_id, user_id])?;
            let now = tx.now;
            let languages = serde_json::to_string(&profile.languages).expect("serialises");
            let triggers = serde_json::to_string(&profile.triggers).expect("serialises");
            let channels = serde_json::to_string(&profile.channels).expect("serialises");
            let skills = serde_json::to_string(&profile.skills).expect("serialises");
            tx.conn.execute(
                "INSERT INTO agent_routing (user_id, org_id, capacity, experience, languages, triggers, channels, skills, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (user_id) DO UPDATE SET capacity = excluded.capacity, \
                 experience = excluded.experience, languages = excluded.languages, triggers = excluded.triggers, \
                 channels = excluded.channels, skills = excluded.skills, updated_at = excluded.updated_at",
                params![
                    user_id,
                    org_id,
                    i64::from(profile.capacity),
                    i64::from(profile.experience),
                    languages,
                    triggers,
                    channels,
                    skills,
                    now
                ],
            )?;
            audit(tx, org_id, &actor.audit_name(), "routing.profile", &format!("user:{user_id}"), json!(profile))?;
            Ok(profile)
        })
        .await
    }

    /// A team's routing settings.
    pub async fn team_routing(&self, org_id: i64, team_id: i64) -> Result<RoutingSettings> {
        self.read(move |c| {
            c.query_one("SELECT id FROM teams WHERE org_id = $1 AND id = $2", params![org_id, team_id])?;
            settings_for(c, org_id, Some(team_id))
        })
        .await
    }

    pub async fn set_team_routing(&self, actor: Principal, team_id: i64, settings: RoutingSettings) -> Result<RoutingSettings> {
        self.write(move |tx| {
            let org_id = actor.org_id;
            let text = serde_json::to_string(&settings).expect("settings serialise");
            let changed =
                tx.conn.execute("UPDATE teams SET routing = $1 WHERE org_id = $2 AND id = $3", params![text, org_id, team_id])?;
            if changed == 0 {
                return Err(StoreError::NotFound);
            }
            audit(tx, org_id, &actor.audit_name(), "routing.team_settings", &format!("team:{team_id}"), json!(settings))?;
            Ok(settings)
        })
        .await
    }

    /// Open alerts (and the last day's acknowledged ones) about the people `viewer` may watch, newest first.
    pub async fn alerts(&self, viewer: Principal, include_acknowledged: bool) -> Result<Vec<Alert>> {
        let since = self.now() - 86_400_000;
        self.read(move |c| {
            let org_id = viewer.org_id;
            let sql = format!(
                "{ALERT_SELECT} WHERE a.org_id = $1 AND (a.acknowledged_at IS NULL OR ($2 = 1 AND a.acknowledged_at > $3)) \
                 ORDER BY a.id DESC LIMIT 200"
            );
            let rows = c.query(&sql, params![org_id, i64::from(include_acknowledged), since])?;
            let mut out = Vec::new();
            for row in rows {
                let alert = alert_from_row(&row);
                if may_watch(c, org_id, &viewer, alert.user_id)? {
                    out.push(alert);
                }
            }
            Ok(out)
        })
        .await
    }

    /// Acts on an alert in one step and acknowledges it. Only the person's own supervisor or an admin may; the
    /// person themself only sees their alerts.
    pub async fn act_on_alert(&self, actor: Principal, alert_id: i64, action: AlertAction) -> Result<Alert> {
        self.write(move |tx| {
            let org_id = actor.org_id;
            let now = tx.now;
            let alert = alert_from_row(
                &tx.conn.query_one(&format!("{ALERT_SELECT} WHERE a.org_id = $1 AND a.id = $2"), params![org_id, alert_id])?,
            );
            let watcher = may_watch(tx.conn, org_id, &actor, alert.user_id)?;
            if !watcher {
                return Err(StoreError::NotFound);
            }
            if actor.user_id == Some(alert.user_id) || !matches!(actor.role, Role::Supervisor | Role::Admin) {
                return Err(StoreError::Forbidden("only the person's supervisor or an admin acts on an alert"));
            }
            if alert.acknowledged_at.is_some() {
                return Err(StoreError::Conflict("alert already acknowledged".into()));
            }
            match action {
                AlertAction::GrantBreak => {
                    crate::people::set_presence(tx, org_id, alert.user_id, Availability::Break)?;
                }
                AlertAction::CalmerQueue => {
                    tx.conn.execute(
                        "INSERT INTO agent_routing (user_id, org_id, calm_until, updated_at) VALUES ($1, $2, $3, $4) \
                         ON CONFLICT (user_id) DO UPDATE SET calm_until = excluded.calm_until, updated_at = excluded.updated_at",
                        params![alert.user_id, org_id, now + CALMER_QUEUE_MS, now],
                    )?;
                }
                AlertAction::Reroute => {
                    let conversation_id = alert.details["conversation_id"]
                        .as_i64()
                        .ok_or_else(|| StoreError::Conflict("this alert has no conversation to re-route".into()))?;
                    let before = conversation_in(tx.conn, org_id, conversation_id)?;
                    if before.assignee_id == Some(alert.user_id) && before.status != ConversationStatus::Resolved {
                        tx.conn.execute(
                            "UPDATE conversations SET assignee_id = NULL, updated_at = $1 WHERE id = $2",
                            params![now, conversation_id],
                        )?;
                        let after = conversation_in(tx.conn, org_id, conversation_id)?;
                        on_conversation_changed(tx, org_id, &before, &after)?;
                        let after = conversation_in(tx.conn, org_id, conversation_id)?;
                        tx.emit(org_id, EventKind::ConversationUpdated, Some(after.id), true, json!({ "conversation": after }))?;
                    }
                }
                AlertAction::OneToOne | AlertAction::Acknowledge => {}
            }
            tx.conn.execute(
                "UPDATE alerts SET acknowledged_by = $1, acknowledged_at = $2, action = $3 WHERE id = $4",
                params![actor.user_id, now, action.as_str(), alert_id],
            )?;
            tx.emit(org_id, EventKind::AlertUpdated, None, false, json!({ "alert_id": alert_id, "user_id": alert.user_id, "action": action }))?;
            audit(
                tx,
                org_id,
                &actor.audit_name(),
                "alert.act",
                &format!("user:{}", alert.user_id),
                json!({ "alert_id": alert_id, "kind": alert.kind, "action": action }),
            )?;
            let updated = tx.conn.query_one(&format!("{ALERT_SELECT} WHERE a.id = $1"), params![alert_id])?;
            Ok(alert_from_row(&updated))
        })
        .await
    }
}
