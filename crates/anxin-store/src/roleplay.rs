//! The role-play simulator's records (issue 8, PRODUCT.md §8): practice sessions and an organisation's own
//! scenarios.
//!
//! A session is stored the way `anxin_training` is built to be replayed: the scenario (a starter id, or a row of
//! `training_scenarios` for an organisation's own), the seed and the agent's replies in order. The web layer
//! rebuilds the `Session` by replaying them, scores the next reply and stores it here with the turn count it
//! started from (`expected_turns`): two tabs replying to the same turn cannot both write it — the second is told
//! the session changed. When a session ends the mean scores and the debrief are stored with it, so progress pages
//! read numbers, not replays. The store does not depend on the simulator: it keeps what the web layer computed
//! (and checks what it can: lengths, counts, the outcome).
//!
//! Who sees what: a session is its owner's; trainers, supervisors and admins of the same organisation read
//! everyone's (coaching, progress); an agent sees only their own, anyone else's is `NotFound`, as is any other
//! organisation's. Only the owner replies or ends it. Custom scenarios are written by trainers, supervisors and
//! admins (each save a new version; sessions keep the version they started on) and read by everyone of the
//! organisation, who practise them. A scenario drafted from a resolved conversation reads only the customer's
//! PII-masked text (`analysis.pii.masked`); the agent's lines come back unmasked, flagged, for the caller to mask.

use anxin_domain::Role;
use serde::Serialize;
use serde_json::{Value, json};

use crate::conn::{Conn, Result, Row, StoreError, Value as Param};
use crate::exec::Tx;
use crate::ops::audit;
use crate::records::Principal;
use crate::{Store, params};

/// Migration 10: role-play sessions and an organisation's own scenarios.
pub(crate) const SCHEMA: &str = r#"
CREATE TABLE training_scenarios (
    id {ID},
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    scenario_id TEXT NOT NULL,
    version BIGINT NOT NULL,
    title TEXT NOT NULL,
    toml TEXT NOT NULL,
    source_conversation_id BIGINT REFERENCES conversations(id),
    created_by BIGINT REFERENCES users(id),
    created_by_name TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    CONSTRAINT training_scenarios_key UNIQUE (org_id, scenario_id, version)
);
CREATE TABLE roleplay_sessions (
    id {ID},
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    scenario_id TEXT NOT NULL,
    custom_scenario_id BIGINT REFERENCES training_scenarios(id),
    scenario_digest TEXT NOT NULL,
    seed BIGINT NOT NULL,
    replies TEXT NOT NULL DEFAULT '[]',
    turns BIGINT NOT NULL DEFAULT 0,
    outcome TEXT NOT NULL,
    score_acknowledgement BIGINT,
    score_empathy BIGINT,
    score_clarity BIGINT,
    score_solution BIGINT,
    score_options BIGINT,
    score_tone BIGINT,
    score_overall BIGINT,
    debrief TEXT,
    started_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    finished_at BIGINT
);
CREATE INDEX roleplay_sessions_user ON roleplay_sessions(org_id, user_id, started_at);
CREATE INDEX roleplay_sessions_org ON roleplay_sessions(org_id, finished_at);
"#;

/// Longest reply, in characters (the simulator's own limit, `anxin_training::session::REPLY_MAX_CHARS`).
pub const REPLY_MAX_CHARS: usize = 2_000;
/// Most replies one session holds (the longest patience is 12 replies).
pub const MAX_TURNS: i64 = 50;
/// Largest scenario file, in bytes.
pub const SCENARIO_MAX_BYTES: usize = 64 * 1024;
/// Largest debrief, in bytes of JSON.
pub const DEBRIEF_MAX_BYTES: usize = 256 * 1024;
/// Most sessions a list returns.
pub const LIST_MAX: i64 = 1_000;
/// Most people one progress read covers.
pub const USERS_MAX: usize = 500;
/// Most messages of a conversation a scenario draft reads.
const SOURCE_MESSAGES: i64 = 200;

/// How a role-play stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RoleplayOutcome {
    Ongoing,
    Resolved,
    Escalated,
    Abandoned,
}

impl RoleplayOutcome {
    pub const ALL: [RoleplayOutcome; 4] =
        [RoleplayOutcome::Ongoing, RoleplayOutcome::Resolved, RoleplayOutcome::Escalated, RoleplayOutcome::Abandoned];

    pub fn as_str(self) -> &'static str {
        match self {
            RoleplayOutcome::Ongoing => "ongoing",
            RoleplayOutcome::Resolved => "resolved",
            RoleplayOutcome::Escalated => "escalated",
            RoleplayOutcome::Abandoned => "abandoned",
        }
    }

    pub fn parse(text: &str) -> Option<RoleplayOutcome> {
        RoleplayOutcome::ALL.into_iter().find(|o| o.as_str() == text)
    }
}

/// The mean scores of a finished session, 0–100 each (the simulator's six dimensions and the overall score).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct RoleplayScores {
    pub acknowledgement: u8,
    pub empathy: u8,
    pub clarity: u8,
    pub solution: u8,
    pub options: u8,
    pub tone: u8,
    pub overall: u8,
}

impl RoleplayScores {
    fn values(&self) -> [u8; 7] {
        [self.acknowledgement, self.empathy, self.clarity, self.solution, self.options, self.tone, self.overall]
    }
}

/// What a session ends with: the mean scores and the debrief (the simulator's JSON, kept as it was).
#[derive(Debug, Clone, PartialEq)]
pub struct RoleplayResult {
    pub scores: RoleplayScores,
    pub debrief: Value,
}

/// A session to start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRoleplay {
    /// The scenario's id (a starter scenario's, or the organisation's own).
    pub scenario_id: String,
    /// For the organisation's own scenario: the `training_scenarios` row (the version) it is played on.
    pub custom_scenario: Option<i64>,
    /// A digest of the scenario file the session started on (a later change to it is detected on replay).
    pub scenario_digest: String,
    pub seed: u64,
}

/// A session as lists show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RoleplaySummary {
    pub id: i64,
    pub user_id: i64,
    /// The person's display name.
    pub user_name: String,
    pub scenario_id: String,
    pub custom_scenario: Option<i64>,
    pub seed: u64,
    /// Replies so far: also the version a reply must start from.
    pub turns: i64,
    pub outcome: RoleplayOutcome,
    /// The mean scores, once finished.
    pub scores: Option<RoleplayScores>,
    pub started_at: i64,
    pub updated_at: i64,
    pub finished_at: Option<i64>,
}

/// One session with what replays it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RoleplaySession {
    #[serde(flatten)]
    pub summary: RoleplaySummary,
    pub scenario_digest: String,
    /// The agent's replies, in order.
    pub replies: Vec<String>,
    /// The debrief, once finished.
    pub debrief: Option<Value>,
}

/// A scenario an organisation wrote (the caller has parsed and validated the TOML).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewScenario {
    /// The id inside the file: lowercase ASCII letters, digits and hyphens, 3–64 characters.
    pub scenario_id: String,
    /// Its title for lists (one line, at most 200 characters).
    pub title: String,
    pub toml: String,
    /// The resolved conversation it was made from.
    pub source_conversation_id: Option<i64>,
}

/// One saved version of an organisation's scenario.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrainingScenario {
    /// The row: sessions refer to this exact version.
    pub id: i64,
    pub scenario_id: String,
    pub version: i64,
    pub title: String,
    pub toml: String,
    pub source_conversation_id: Option<i64>,
    pub created_by: Option<i64>,
    pub created_by_name: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceSpeaker {
    Customer,
    Agent,
}

/// One line of a resolved conversation, for a scenario draft.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SourceLine {
    pub speaker: SourceSpeaker,
    /// The customer's words with PII masked (from the stored analysis); the agent's words as sent.
    pub text: String,
    /// Whether `text` is already masked (the customer's lines); the caller masks the others before showing them.
    pub masked: bool,
    /// The analysis' emotion label and intensity (customer lines).
    pub emotion: Option<String>,
    pub intensity: Option<f64>,
}

/// A resolved conversation as a scenario draft starts from it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScenarioSource {
    pub conversation_id: i64,
    pub emotion: Option<String>,
    pub peak_intensity: f64,
    pub complaint_type: Option<String>,
    pub resolved_at: Option<i64>,
    /// Customer and agent messages in order (notes and system messages left out), at most 200.
    pub lines: Vec<SourceLine>,
}

/// A recently resolved conversation a trainer may turn into a scenario.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SourceCandidate {
    pub conversation_id: i64,
    pub emotion: Option<String>,
    pub peak_intensity: f64,
    pub complaint_type: Option<String>,
    pub message_count: i64,
    pub resolved_at: Option<i64>,
    /// The customer's first message, PII masked, at most 80 characters.
    pub preview: String,
}

/// Trainers, supervisors and admins: they read everyone's sessions and write scenarios.
pub fn is_coach(role: Role) -> bool {
    matches!(role, Role::Trainer | Role::Supervisor | Role::Admin)
}

const SUMMARY_SELECT: &str = "SELECT s.id, s.user_id, u.display_name, s.scenario_id, s.custom_scenario_id, s.seed, s.turns, s.outcome, \
    s.score_acknowledgement, s.score_empathy, s.score_clarity, s.score_solution, s.score_options, s.score_tone, s.score_overall, \
    s.started_at, s.updated_at, s.finished_at, s.scenario_digest, s.replies, s.debrief \
    FROM roleplay_sessions s JOIN users u ON u.id = s.user_id";

fn summary_from(r: &Row) -> Result<RoleplaySummary> {
    let outcome = RoleplayOutcome::parse(&r.text(7))
        .ok_or_else(|| StoreError::Internal(format!("role-play {}: unknown outcome {:?}", r.int(0), r.text(7))))?;
    let score = |i: usize| r.opt_int(i).map(|v| v.clamp(0, 100) as u8);
    let scores = (8..15).map(score).collect::<Option<Vec<u8>>>().map(|v| RoleplayScores {
        acknowledgement: v[0],
        empathy: v[1],
        clarity: v[2],
        solution: v[3],
        options: v[4],
        tone: v[5],
        overall: v[6],
    });
    Ok(RoleplaySummary {
        id: r.int(0),
        user_id: r.int(1),
        user_name: r.text(2),
        scenario_id: r.text(3),
        custom_scenario: r.opt_int(4),
        seed: r.int(5) as u64,
        turns: r.int(6),
        outcome,
        scores,
        started_at: r.int(15),
        updated_at: r.int(16),
        finished_at: r.opt_int(17),
    })
}

fn session_from(r: &Row) -> Result<RoleplaySession> {
    let summary = summary_from(r)?;
    let broken = |why: String| StoreError::Internal(format!("role-play {}: {why}", summary.id));
    let replies: Vec<String> = serde_json::from_str(&r.text(19)).map_err(|e| broken(e.to_string()))?;
    let debrief = r.opt_text(20).map(|t| serde_json::from_str(&t)).transpose().map_err(|e| broken(e.to_string()))?;
    Ok(RoleplaySession { summary, scenario_digest: r.text(18), replies, debrief })
}

/// The session if `viewer` may see it: the owner, or a coach of the same organisation; else `NotFound`.
fn visible_in(c: &mut dyn Conn, viewer: &Principal, id: i64) -> Result<RoleplaySession> {
    let row = c.query_one(&format!("{SUMMARY_SELECT} WHERE s.org_id = $1 AND s.id = $2"), params![viewer.org_id, id])?;
    let session = session_from(&row)?;
    if is_coach(viewer.role) || viewer.user_id == Some(session.summary.user_id) {
        Ok(session)
    } else {
        Err(StoreError::NotFound)
    }
}

/// The session for a change by its owner: `NotFound` for those who may not see it, `Forbidden` for a coach's
/// look at someone else's, `roleplay_finished` once it ended, `roleplay_changed` when `expected_turns` is stale.
fn owned_ongoing(c: &mut dyn Conn, actor: &Principal, id: i64, expected_turns: i64) -> Result<RoleplaySession> {
    let session = visible_in(c, actor, id)?;
    if actor.user_id != Some(session.summary.user_id) {
        return Err(StoreError::Forbidden("only the person practising replies in a role-play"));
    }
    if session.summary.outcome != RoleplayOutcome::Ongoing {
        return Err(StoreError::Conflict("roleplay_finished".into()));
    }
    if session.summary.turns != expected_turns {
        return Err(StoreError::Conflict("roleplay_changed".into()));
    }
    Ok(session)
}

fn check_result(outcome: RoleplayOutcome, result: Option<&RoleplayResult>) -> Result<Option<String>> {
    match (outcome, result) {
        (RoleplayOutcome::Ongoing, None) => Ok(None),
        (RoleplayOutcome::Ongoing, Some(_)) | (_, None) => Err(StoreError::Conflict("roleplay_outcome".into())),
        (_, Some(result)) => {
            if result.scores.values().iter().any(|v| *v > 100) {
                return Err(StoreError::Conflict("roleplay_scores".into()));
            }
            let text = result.debrief.to_string();
            if text.len() > DEBRIEF_MAX_BYTES {
                return Err(StoreError::Conflict("roleplay_debrief".into()));
            }
            Ok(Some(text))
        }
    }
}

/// Stores the new state of a session the caller checked with [`owned_ongoing`]; the `turns` guard makes a
/// concurrent writer on another connection lose cleanly.
fn update_session(
    tx: &mut Tx<'_>,
    org_id: i64,
    session: &RoleplaySession,
    replies: &[String],
    outcome: RoleplayOutcome,
    result: Option<&RoleplayResult>,
    debrief: Option<String>,
) -> Result<()> {
    let replies_json = serde_json::to_string(replies).map_err(|e| StoreError::Internal(e.to_string()))?;
    let s = result.map(|r| r.scores);
    let score = |f: fn(&RoleplayScores) -> u8| s.as_ref().map(|s| i64::from(f(s)));
    let finished_at = (outcome != RoleplayOutcome::Ongoing).then_some(tx.now);
    let changed = tx.conn.execute(
        "UPDATE roleplay_sessions SET replies = $1, turns = $2, outcome = $3, score_acknowledgement = $4, score_empathy = $5, \
         score_clarity = $6, score_solution = $7, score_options = $8, score_tone = $9, score_overall = $10, debrief = $11, \
         updated_at = $12, finished_at = $13 \
         WHERE id = $14 AND org_id = $15 AND turns = $16 AND outcome = 'ongoing'",
        params![
            replies_json,
            replies.len() as i64,
            outcome.as_str(),
            score(|s| s.acknowledgement),
            score(|s| s.empathy),
            score(|s| s.clarity),
            score(|s| s.solution),
            score(|s| s.options),
            score(|s| s.tone),
            score(|s| s.overall),
            debrief,
            tx.now,
            finished_at,
            session.summary.id,
            org_id,
            session.summary.turns,
        ],
    )?;
    if changed == 0 {
        return Err(StoreError::Conflict("roleplay_changed".into()));
    }
    Ok(())
}

fn check_scenario_id(text: &str) -> Result<()> {
    let allowed = text.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !allowed || !(3..=64).contains(&text.len()) || text.starts_with('-') || text.ends_with('-') {
        return Err(StoreError::Conflict("scenario_id".into()));
    }
    Ok(())
}

const SCENARIO_SELECT: &str = "SELECT id, scenario_id, version, title, toml, source_conversation_id, created_by, created_by_name, created_at FROM training_scenarios";

fn scenario_from(r: &Row) -> TrainingScenario {
    TrainingScenario {
        id: r.int(0),
        scenario_id: r.text(1),
        version: r.int(2),
        title: r.text(3),
        toml: r.text(4),
        source_conversation_id: r.opt_int(5),
        created_by: r.opt_int(6),
        created_by_name: r.text(7),
        created_at: r.int(8),
    }
}

fn latest_scenario_in(c: &mut dyn Conn, org_id: i64, scenario_id: &str) -> Result<Option<TrainingScenario>> {
    let sql = format!("{SCENARIO_SELECT} WHERE org_id = $1 AND scenario_id = $2 ORDER BY version DESC LIMIT 1");
    Ok(c.query_opt(&sql, params![org_id, scenario_id])?.as_ref().map(scenario_from))
}

/// The customer's masked text, emotion label and intensity from a stored analysis.
fn masked_of(analysis: Option<&str>) -> Option<(String, Option<String>, Option<f64>)> {
    let analysis: Value = serde_json::from_str(analysis?).ok()?;
    let masked = analysis["pii"]["masked"].as_str()?.to_owned();
    Some((masked, analysis["emotion"]["label"].as_str().map(str::to_owned), analysis["emotion"]["intensity"].as_f64()))
}

fn require_person(actor: &Principal) -> Result<i64> {
    actor.user_id.ok_or(StoreError::Forbidden("a role-play is practised by a person, not an API token"))
}

impl Store {
    /// Starts a role-play for the actor (a person: API tokens do not practise). The organisation's own scenario
    /// must be a row of this organisation with the same scenario id (else `NotFound`).
    pub async fn start_roleplay(&self, actor: Principal, new: NewRoleplay) -> Result<RoleplaySession> {
        let user_id = require_person(&actor)?;
        check_scenario_id(&new.scenario_id)?;
        if new.scenario_digest.is_empty() || new.scenario_digest.len() > 128 {
            return Err(StoreError::Conflict("scenario_digest".into()));
        }
        self.write(move |tx| {
            if let Some(row) = new.custom_scenario {
                tx.conn.query_one(
                    "SELECT 1 FROM training_scenarios WHERE org_id = $1 AND id = $2 AND scenario_id = $3",
                    params![actor.org_id, row, new.scenario_id.as_str()],
                )?;
            }
            let id = tx
                .conn
                .query_one(
                    "INSERT INTO roleplay_sessions (org_id, user_id, scenario_id, custom_scenario_id, scenario_digest, seed, outcome, started_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, 'ongoing', $7, $7) RETURNING id",
                    params![actor.org_id, user_id, new.scenario_id.as_str(), new.custom_scenario, new.scenario_digest.as_str(), new.seed as i64, tx.now],
                )?
                .int(0);
            visible_in(tx.conn, &actor, id)
        })
        .await
    }

    /// Adds the owner's next reply to an ongoing session: `expected_turns` is the number of replies the caller
    /// replayed (a stale one is `Conflict("roleplay_changed")`, a finished session `Conflict("roleplay_finished")`).
    /// `outcome` is where the reply left the conversation; a final outcome comes with its `result` (mean scores
    /// and debrief), an ongoing one without.
    pub async fn append_roleplay_reply(
        &self,
        actor: Principal,
        id: i64,
        expected_turns: i64,
        reply: String,
        outcome: RoleplayOutcome,
        result: Option<RoleplayResult>,
    ) -> Result<RoleplaySession> {
        let reply = reply.trim().to_owned();
        let chars = reply.chars().count();
        if chars == 0 || chars > REPLY_MAX_CHARS {
            return Err(StoreError::Conflict("roleplay_reply".into()));
        }
        let debrief = check_result(outcome, result.as_ref())?;
        self.write_keyed(id as u64, move |tx| {
            let session = owned_ongoing(tx.conn, &actor, id, expected_turns)?;
            if session.summary.turns >= MAX_TURNS {
                return Err(StoreError::Conflict("roleplay_turns".into()));
            }
            let mut replies = session.replies.clone();
            replies.push(reply);
            update_session(tx, actor.org_id, &session, &replies, outcome, result.as_ref(), debrief)?;
            visible_in(tx.conn, &actor, id)
        })
        .await
    }

    /// Ends an ongoing session without a new reply (the agent stops practising: `Abandoned`), with its result.
    /// The same checks as [`Store::append_roleplay_reply`].
    pub async fn finish_roleplay(
        &self,
        actor: Principal,
        id: i64,
        expected_turns: i64,
        outcome: RoleplayOutcome,
        result: RoleplayResult,
    ) -> Result<RoleplaySession> {
        let debrief = check_result(outcome, Some(&result))?;
        self.write_keyed(id as u64, move |tx| {
            let session = owned_ongoing(tx.conn, &actor, id, expected_turns)?;
            let replies = session.replies.clone();
            update_session(tx, actor.org_id, &session, &replies, outcome, Some(&result), debrief)?;
            visible_in(tx.conn, &actor, id)
        })
        .await
    }

    /// One session: its owner's, or anyone's of the organisation for trainers, supervisors and admins.
    pub async fn roleplay_session(&self, viewer: Principal, id: i64) -> Result<RoleplaySession> {
        self.read(move |c| visible_in(c, &viewer, id)).await
    }

    /// The viewer's own sessions, newest first (at most `limit`, capped at [`LIST_MAX`]).
    pub async fn my_roleplays(&self, viewer: Principal, limit: i64) -> Result<Vec<RoleplaySummary>> {
        let user_id = require_person(&viewer)?;
        self.read(move |c| {
            let sql = format!("{SUMMARY_SELECT} WHERE s.org_id = $1 AND s.user_id = $2 ORDER BY s.started_at DESC, s.id DESC LIMIT $3");
            c.query(&sql, params![viewer.org_id, user_id, limit.clamp(1, LIST_MAX)])?.iter().map(summary_from).collect()
        })
        .await
    }

    /// The sessions of a set of people started since `since_ms`, newest first (progress pages): coaches read
    /// anyone of their organisation (people of another organisation simply have none), everyone else only
    /// themselves (`Forbidden` for a set naming someone else). At most [`USERS_MAX`] people and `limit` rows.
    pub async fn roleplays_of(&self, viewer: Principal, user_ids: Vec<i64>, since_ms: i64, limit: i64) -> Result<Vec<RoleplaySummary>> {
        if !is_coach(viewer.role) && user_ids.iter().any(|u| Some(*u) != viewer.user_id) {
            return Err(StoreError::Forbidden("trainers, supervisors and admins follow other people's practice"));
        }
        if user_ids.len() > USERS_MAX {
            return Err(StoreError::Conflict("roleplay_users".into()));
        }
        if user_ids.is_empty() {
            return Ok(Vec::new());
        }
        self.read(move |c| {
            let mut values: Vec<Param> = vec![Param::Int(viewer.org_id), Param::Int(since_ms), Param::Int(limit.clamp(1, LIST_MAX))];
            let mut marks = Vec::with_capacity(user_ids.len());
            for user in &user_ids {
                values.push(Param::Int(*user));
                marks.push(format!("${}", values.len()));
            }
            let sql = format!(
                "{SUMMARY_SELECT} WHERE s.org_id = $1 AND s.started_at >= $2 AND s.user_id IN ({}) ORDER BY s.started_at DESC, s.id DESC LIMIT $3",
                marks.join(", ")
            );
            c.query(&sql, &values)?.iter().map(summary_from).collect()
        })
        .await
    }

    /// Saves an organisation's scenario (trainers, supervisors, admins) as the next version of its id, audited.
    /// The caller has parsed the TOML; the store checks the id, the title and the size, and that the source
    /// conversation is this organisation's (`NotFound` otherwise).
    pub async fn save_training_scenario(&self, actor: Principal, new: NewScenario) -> Result<TrainingScenario> {
        if !is_coach(actor.role) {
            return Err(StoreError::Forbidden("trainers, supervisors and admins write scenarios"));
        }
        check_scenario_id(&new.scenario_id)?;
        let title = new.title.trim().to_owned();
        if title.is_empty() || title.chars().count() > 200 || title.chars().any(char::is_control) {
            return Err(StoreError::Conflict("scenario_title".into()));
        }
        if new.toml.trim().is_empty() || new.toml.len() > SCENARIO_MAX_BYTES {
            return Err(StoreError::Conflict("scenario_toml".into()));
        }
        self.write(move |tx| {
            if let Some(conversation) = new.source_conversation_id {
                tx.conn.query_one("SELECT 1 FROM conversations WHERE org_id = $1 AND id = $2", params![actor.org_id, conversation])?;
            }
            let version = latest_scenario_in(tx.conn, actor.org_id, &new.scenario_id)?.map_or(1, |s| s.version + 1);
            let row = tx
                .conn
                .query_one(
                    "INSERT INTO training_scenarios (org_id, scenario_id, version, title, toml, source_conversation_id, created_by, created_by_name, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
                    params![actor.org_id, new.scenario_id.as_str(), version, title.as_str(), new.toml.as_str(), new.source_conversation_id, actor.user_id, actor.name.as_str(), tx.now],
                )?
                .int(0);
            let details = json!({"version": version, "from_conversation": new.source_conversation_id});
            audit(tx, actor.org_id, &actor.audit_name(), "training.scenario.save", &format!("scenario:{}", new.scenario_id), details)?;
            let sql = format!("{SCENARIO_SELECT} WHERE id = $1");
            Ok(scenario_from(&tx.conn.query_one(&sql, params![row])?))
        })
        .await
    }

    /// The organisation's own scenarios, the latest version of each, by id (everyone of the organisation: they
    /// practise them).
    pub async fn training_scenarios(&self, viewer: Principal) -> Result<Vec<TrainingScenario>> {
        self.read(move |c| {
            let sql = format!(
                "{SCENARIO_SELECT} t WHERE t.org_id = $1 AND t.version = \
                 (SELECT MAX(v.version) FROM training_scenarios v WHERE v.org_id = t.org_id AND v.scenario_id = t.scenario_id) \
                 ORDER BY t.scenario_id LIMIT 1000"
            );
            Ok(c.query(&sql, params![viewer.org_id])?.iter().map(scenario_from).collect())
        })
        .await
    }

    /// The latest version of one of the organisation's scenarios.
    pub async fn training_scenario(&self, viewer: Principal, scenario_id: String) -> Result<TrainingScenario> {
        self.read(move |c| latest_scenario_in(c, viewer.org_id, &scenario_id)?.ok_or(StoreError::NotFound)).await
    }

    /// One saved version (a session's `custom_scenario`), of the viewer's organisation.
    pub async fn training_scenario_version(&self, viewer: Principal, row_id: i64) -> Result<TrainingScenario> {
        self.read(move |c| {
            let sql = format!("{SCENARIO_SELECT} WHERE org_id = $1 AND id = $2");
            Ok(scenario_from(&c.query_one(&sql, params![viewer.org_id, row_id])?))
        })
        .await
    }

    /// A resolved conversation's customer and agent lines for a scenario draft (coaches): the customer's with PII
    /// masked. `NotFound` for another organisation's, `Conflict("roleplay_source_open")` for one not resolved.
    pub async fn scenario_source(&self, viewer: Principal, conversation_id: i64) -> Result<ScenarioSource> {
        if !is_coach(viewer.role) {
            return Err(StoreError::Forbidden("trainers, supervisors and admins turn conversations into scenarios"));
        }
        self.read(move |c| {
            let conversation = c.query_one(
                "SELECT status, emotion, peak_intensity, complaint_type, resolved_at FROM conversations WHERE org_id = $1 AND id = $2",
                params![viewer.org_id, conversation_id],
            )?;
            if conversation.text(0) != "resolved" {
                return Err(StoreError::Conflict("roleplay_source_open".into()));
            }
            let rows = c.query(
                "SELECT kind, body, analysis FROM messages WHERE org_id = $1 AND conversation_id = $2 AND kind IN ('customer', 'agent') \
                 ORDER BY id LIMIT $3",
                params![viewer.org_id, conversation_id, SOURCE_MESSAGES],
            )?;
            let mut lines = Vec::with_capacity(rows.len());
            for r in &rows {
                if r.text(0) == "customer" {
                    // Without a stored masked text the line is left out: nothing unmasked of the customer's leaves.
                    if let Some((text, emotion, intensity)) = masked_of(r.opt_text(2).as_deref()) {
                        lines.push(SourceLine { speaker: SourceSpeaker::Customer, text, masked: true, emotion, intensity });
                    }
                } else {
                    lines.push(SourceLine { speaker: SourceSpeaker::Agent, text: r.text(1), masked: false, emotion: None, intensity: None });
                }
            }
            Ok(ScenarioSource {
                conversation_id,
                emotion: conversation.opt_text(1),
                peak_intensity: conversation.real(2),
                complaint_type: conversation.opt_text(3),
                resolved_at: conversation.opt_int(4),
                lines,
            })
        })
        .await
    }

    /// The most recently resolved conversations (coaches), with the customer's first message masked.
    pub async fn scenario_source_candidates(&self, viewer: Principal, limit: i64) -> Result<Vec<SourceCandidate>> {
        if !is_coach(viewer.role) {
            return Err(StoreError::Forbidden("trainers, supervisors and admins turn conversations into scenarios"));
        }
        self.read(move |c| {
            let rows = c.query(
                "SELECT c.id, c.emotion, c.peak_intensity, c.complaint_type, c.message_count, c.resolved_at, \
                   (SELECT m.analysis FROM messages m WHERE m.conversation_id = c.id AND m.kind = 'customer' ORDER BY m.id LIMIT 1) \
                 FROM conversations c WHERE c.org_id = $1 AND c.status = 'resolved' ORDER BY c.last_message_at DESC, c.id DESC LIMIT $2",
                params![viewer.org_id, limit.clamp(1, 200)],
            )?;
            Ok(rows
                .iter()
                .map(|r| SourceCandidate {
                    conversation_id: r.int(0),
                    emotion: r.opt_text(1),
                    peak_intensity: r.real(2),
                    complaint_type: r.opt_text(3),
                    message_count: r.int(4),
                    resolved_at: r.opt_int(5),
                    preview: masked_of(r.opt_text(6).as_deref()).map(|(t, _, _)| t.chars().take(80).collect()).unwrap_or_default(),
                })
                .collect())
        })
        .await
    }
}
