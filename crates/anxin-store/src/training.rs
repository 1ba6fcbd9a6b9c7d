//! The training academy's records (issue 8, PRODUCT.md §8): the organisation's curriculum as its files, quiz
//! attempts, self-assessments, personal plans with the reason for every item, and the facts a plan is made from.
//!
//! **Curriculum.** An organisation's curriculum is the set of files `anxin_domain::training::import` reads, stored
//! as the canonical files `export` writes. None stored means the starter curriculum compiled into the server
//! applies. An import replaces every file at once; a trainer's edit of one item is the whole set with that item's
//! files changed — both re-validated here as a whole (a set the importer refuses is `Conflict
//! ("training_curriculum_invalid")`, nothing stored) and guarded by the version the editor started from
//! (`Conflict("training_curriculum_changed")`). Each save gets a random `revision` that caches key on.
//!
//! **Who sees whom.** A person reads and acts on their own records. Coaches — trainers, supervisors and admins —
//! read and adjust their *trainees*: an admin's trainees are every active agent of the organisation; a trainer's or
//! a supervisor's are the active agents who share a team with them (`team_members`). Anyone else's records are
//! `NotFound`, as is everything of another organisation. An agent marks their own plan items done; only a coach
//! adds, removes or annotates items (each adjustment recorded with who and when, and in the audit log). Coaches
//! edit the curriculum; everyone of the organisation reads it.
//!
//! **Plans.** [`recommend`] is the plan engine: a pure function over gathered facts ([`PlanFacts`]: the latest
//! self-assessment, the latest quiz attempt per module, the person's own signals from their real work — tone-check
//! flags, complaint types and intense customers handled, CSAT — and role-play outcomes) that returns
//! recommendations, each with its reasons. [`Store::save_generated_plan`] merges them into the stored plan: items a
//! coach added stay, items done stay done, items a coach removed are not brought back.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use anxin_domain::training::{Curriculum, import as import_curriculum};
use anxin_domain::{ComplaintType, Emotion, Role};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::conn::{Conn, Result, Row, StoreError, Value as Param};
use crate::exec::Tx;
use crate::ops::audit;
use crate::records::Principal;
use crate::{Store, params};

/// Migration 11: the academy's tables, and an index for reading one person's audit entries of one kind (tone flags).
pub(crate) const SCHEMA: &str = r#"
CREATE TABLE training_curricula (
    org_id BIGINT PRIMARY KEY REFERENCES organizations(id),
    version BIGINT NOT NULL,
    revision TEXT NOT NULL,
    file_count BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    updated_by BIGINT REFERENCES users(id),
    updated_by_name TEXT NOT NULL
);
CREATE TABLE training_curriculum_files (
    id {ID},
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    name TEXT NOT NULL,
    body TEXT NOT NULL,
    CONSTRAINT training_curriculum_files_key UNIQUE (org_id, name)
);
CREATE TABLE training_quiz_attempts (
    id {ID},
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    module_id TEXT NOT NULL,
    results TEXT NOT NULL,
    score {REAL} NOT NULL,
    correct BIGINT NOT NULL,
    total BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX training_quiz_attempts_user ON training_quiz_attempts(org_id, user_id, created_at);
CREATE TABLE training_self_assessments (
    id {ID},
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    answers TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX training_self_assessments_user ON training_self_assessments(org_id, user_id, created_at);
CREATE TABLE training_plans (
    id {ID},
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    version BIGINT NOT NULL,
    generated_at BIGINT,
    updated_at BIGINT NOT NULL,
    CONSTRAINT training_plans_key UNIQUE (org_id, user_id)
);
CREATE TABLE training_plan_items (
    id {ID},
    plan_id BIGINT NOT NULL REFERENCES training_plans(id),
    kind TEXT NOT NULL,
    target TEXT NOT NULL,
    source TEXT NOT NULL,
    position BIGINT NOT NULL,
    reasons TEXT NOT NULL,
    note TEXT,
    added_by BIGINT REFERENCES users(id),
    added_by_name TEXT,
    created_at BIGINT NOT NULL,
    done_at BIGINT,
    removed_at BIGINT,
    removed_by_name TEXT,
    CONSTRAINT training_plan_items_key UNIQUE (plan_id, kind, target)
);
CREATE TABLE training_plan_changes (
    id {ID},
    plan_id BIGINT NOT NULL REFERENCES training_plans(id),
    actor_id BIGINT REFERENCES users(id),
    actor_name TEXT NOT NULL,
    action TEXT NOT NULL,
    kind TEXT,
    target TEXT,
    note TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX training_plan_changes_plan ON training_plan_changes(plan_id, id);
CREATE INDEX audit_log_actor_action ON audit_log(org_id, actor, action, created_at);
"#;

/// Most files one curriculum holds.
pub const MAX_CURRICULUM_FILES: usize = 5_000;
/// Largest curriculum, all files together, in bytes.
pub const MAX_CURRICULUM_BYTES: usize = 16 * 1024 * 1024;
/// Most questions one quiz attempt answers.
pub const MAX_QUIZ_QUESTIONS: usize = 200;
/// Longest note on a plan item, in characters.
pub const NOTE_MAX_CHARS: usize = 300;
/// Most items a plan holds (generated and added together).
pub const MAX_PLAN_ITEMS: usize = 60;
/// How far back a plan looks at a person's real work (tone flags, conversations, CSAT).
pub const SIGNAL_WINDOW_MS: i64 = 90 * 86_400_000;
/// Most rows a list returns.
const LIST_LIMIT: i64 = 1_000;
/// Most audit entries read for tone flags.
const TONE_ROWS: i64 = 5_000;

/// Trainers, supervisors and admins: they coach their trainees and edit the curriculum.
pub fn is_coach(role: Role) -> bool {
    matches!(role, Role::Trainer | Role::Supervisor | Role::Admin)
}

/// A curriculum, item or scenario id: 3–64 lowercase ASCII letters, digits and hyphens, not starting or ending
/// with a hyphen (`anxin_domain::knowledge::EntryId`'s rule).
pub fn valid_id(text: &str) -> bool {
    (3..=64).contains(&text.len())
        && text.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !text.starts_with('-')
        && !text.ends_with('-')
}

fn person(actor: &Principal) -> Result<i64> {
    actor.user_id.ok_or(StoreError::Forbidden("the academy is for people, not API tokens"))
}

fn internal(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Internal(format!("{what}: {e}"))
}

// ----- who sees whom -----

/// A person a coach looks after (or the viewer themself).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Trainee {
    pub user_id: i64,
    pub username: String,
    pub name: String,
    /// Names of the teams the trainee belongs to.
    pub teams: Vec<String>,
}

/// The trainees a coach sees: every active agent for an admin, the active agents sharing a team for a trainer or a
/// supervisor (never the viewer themself).
const TRAINEES_SQL: &str = "SELECT u.id, u.username, u.display_name FROM users u WHERE u.org_id = $1 AND u.role = 'agent' AND u.active = 1 \
    AND u.id <> $2 AND ($3 = 1 OR EXISTS (SELECT 1 FROM team_members a JOIN team_members b ON a.team_id = b.team_id \
    JOIN teams t ON t.id = a.team_id WHERE t.org_id = $1 AND a.user_id = $2 AND b.user_id = u.id))";

fn trainees_in(c: &mut dyn Conn, viewer: &Principal, only: Option<i64>) -> Result<Vec<Trainee>> {
    if !is_coach(viewer.role) {
        return Ok(Vec::new());
    }
    let admin = i64::from(viewer.role == Role::Admin);
    let viewer_id = viewer.user_id.unwrap_or(0);
    // An API token acts with its role: an admin token sees everyone, a trainer's or supervisor's token nobody.
    if viewer.user_id.is_none() && admin == 0 {
        return Ok(Vec::new());
    }
    let mut sql = TRAINEES_SQL.to_owned();
    let mut values: Vec<Param> = vec![viewer.org_id.into(), viewer_id.into(), admin.into()];
    if let Some(id) = only {
        values.push(id.into());
        sql.push_str(" AND u.id = $4");
    }
    sql.push_str(" ORDER BY u.display_name, u.id LIMIT 2000");
    let rows = c.query(&sql, &values)?;
    let mut trainees: Vec<Trainee> =
        rows.iter().map(|r| Trainee { user_id: r.int(0), username: r.text(1), name: r.text(2), teams: Vec::new() }).collect();
    if trainees.is_empty() {
        return Ok(trainees);
    }
    let teams = c.query(
        "SELECT m.user_id, t.name FROM team_members m JOIN teams t ON t.id = m.team_id WHERE t.org_id = $1 ORDER BY t.name",
        params![viewer.org_id],
    )?;
    let mut by_user: HashMap<i64, Vec<String>> = HashMap::new();
    for r in &teams {
        by_user.entry(r.int(0)).or_default().push(r.text(1));
    }
    for t in &mut trainees {
        t.teams = by_user.remove(&t.user_id).unwrap_or_default();
    }
    Ok(trainees)
}

/// The person whose records `viewer` asks for: themself, or one of their trainees; `NotFound` otherwise.
fn subject_in(c: &mut dyn Conn, viewer: &Principal, user_id: i64) -> Result<Trainee> {
    if viewer.user_id == Some(user_id) {
        let r = c.query_one(
            "SELECT id, username, display_name FROM users WHERE org_id = $1 AND id = $2 AND active = 1",
            params![viewer.org_id, user_id],
        )?;
        return Ok(Trainee { user_id: r.int(0), username: r.text(1), name: r.text(2), teams: Vec::new() });
    }
    trainees_in(c, viewer, Some(user_id))?.into_iter().next().ok_or(StoreError::NotFound)
}

/// A coach's trainee (not themself): `NotFound` for anyone else, `Forbidden` for a person's own records.
fn coached_in(c: &mut dyn Conn, actor: &Principal, user_id: i64) -> Result<Trainee> {
    if actor.user_id == Some(user_id) || !is_coach(actor.role) {
        subject_in(c, actor, user_id)?;
        return Err(StoreError::Forbidden("a trainer, supervisor or admin adjusts a trainee's plan"));
    }
    subject_in(c, actor, user_id)
}

// ----- curriculum -----

/// Which curriculum an organisation uses now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CurriculumStamp {
    /// Counts saves (1 for the first); 0 is the starter curriculum (nothing stored).
    pub version: i64,
    /// A random token of this save (caches key on it); `"starter"` for the starter curriculum.
    pub revision: String,
    pub file_count: i64,
    pub updated_at: Option<i64>,
    pub updated_by: Option<i64>,
    pub updated_by_name: Option<String>,
}

impl CurriculumStamp {
    fn starter() -> CurriculumStamp {
        CurriculumStamp {
            version: 0,
            revision: "starter".into(),
            file_count: 0,
            updated_at: None,
            updated_by: None,
            updated_by_name: None,
        }
    }

    /// Whether this is the starter curriculum (nothing stored).
    pub fn is_starter(&self) -> bool {
        self.version == 0
    }
}

/// The organisation's stored curriculum: its stamp and files, `(name, text)` by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCurriculum {
    pub stamp: CurriculumStamp,
    pub files: Vec<(String, String)>,
}

/// What a curriculum save is, for the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CurriculumChange {
    /// Every file replaced by an import.
    Import,
    /// One item edited (its id and language).
    Edit { item: String, lang: String },
    /// Back to the starter curriculum (every stored file removed).
    Reset,
}

fn stamp_in(c: &mut dyn Conn, org_id: i64) -> Result<Option<CurriculumStamp>> {
    let row = c.query_opt(
        "SELECT version, revision, file_count, updated_at, updated_by, updated_by_name FROM training_curricula WHERE org_id = $1",
        params![org_id],
    )?;
    Ok(row.map(|r| CurriculumStamp {
        version: r.int(0),
        revision: r.text(1),
        file_count: r.int(2),
        updated_at: Some(r.int(3)),
        updated_by: r.opt_int(4),
        updated_by_name: Some(r.text(5)),
    }))
}

fn random_revision() -> Result<String> {
    let mut bytes = [0u8; 12];
    getrandom::fill(&mut bytes).map_err(|e| internal("randomness", e))?;
    Ok(hex::encode(bytes))
}

/// Checks a curriculum before anything is written: size limits, and that the importer takes it whole.
pub fn check_curriculum(files: &[(String, String)]) -> Result<Curriculum> {
    if files.is_empty() || files.len() > MAX_CURRICULUM_FILES {
        return Err(StoreError::Conflict("training_curriculum_size".into()));
    }
    let bytes: usize = files.iter().map(|(n, t)| n.len() + t.len()).sum();
    if bytes > MAX_CURRICULUM_BYTES {
        return Err(StoreError::Conflict("training_curriculum_size".into()));
    }
    let mut names = BTreeSet::new();
    if files.iter().any(|(n, _)| n.is_empty() || n.len() > 300 || !names.insert(n.as_str())) {
        return Err(StoreError::Conflict("training_curriculum_names".into()));
    }
    import_curriculum(files).map_err(|_| StoreError::Conflict("training_curriculum_invalid".into()))
}

// ----- quizzes -----

/// One answered question of an attempt, as graded by `anxin_domain::training::grade`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuestionResult {
    pub question: String,
    /// The lesson the question tests (to send the learner back to it).
    pub lesson: String,
    /// The letters chosen, in letter order.
    pub chosen: Vec<String>,
    pub correct: bool,
    /// 0 to 1 (partial credit for multiple choice).
    pub score: f64,
}

/// A graded attempt at a module's quiz, to record.
#[derive(Debug, Clone, PartialEq)]
pub struct NewQuizAttempt {
    pub module: String,
    pub results: Vec<QuestionResult>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QuizAttempt {
    pub id: i64,
    pub user_id: i64,
    pub module: String,
    pub results: Vec<QuestionResult>,
    /// The mean of the questions' scores, 0 to 1.
    pub score: f64,
    /// Questions answered exactly right.
    pub correct: i64,
    pub total: i64,
    pub created_at: i64,
}

impl QuizAttempt {
    /// The score in whole percent.
    pub fn percent(&self) -> u8 {
        (self.score * 100.0).round().clamp(0.0, 100.0) as u8
    }
}

const ATTEMPT_SELECT: &str =
    "SELECT id, user_id, module_id, results, score, correct, total, created_at FROM training_quiz_attempts";

fn attempt_from(r: &Row) -> Result<QuizAttempt> {
    Ok(QuizAttempt {
        id: r.int(0),
        user_id: r.int(1),
        module: r.text(2),
        results: serde_json::from_str(&r.text(3)).map_err(|e| internal("quiz attempt results", e))?,
        score: r.real(4),
        correct: r.int(5),
        total: r.int(6),
        created_at: r.int(7),
    })
}

fn check_attempt(attempt: &NewQuizAttempt) -> Result<()> {
    let bad = |what: &str| Err(StoreError::Conflict(format!("training_quiz_{what}")));
    if !valid_id(&attempt.module) {
        return bad("module");
    }
    if attempt.results.is_empty() || attempt.results.len() > MAX_QUIZ_QUESTIONS {
        return bad("size");
    }
    let mut seen = BTreeSet::new();
    for r in &attempt.results {
        if !valid_id(&r.question) || !valid_id(&r.lesson) || !seen.insert(r.question.as_str()) {
            return bad("question");
        }
        if !(0.0..=1.0).contains(&r.score) || r.score.is_nan() || (r.correct && r.score < 1.0) {
            return bad("score");
        }
        if r.chosen.len() > 6 || r.chosen.iter().any(|c| !matches!(c.as_bytes(), [b'A'..=b'F'])) {
            return bad("choice");
        }
    }
    Ok(())
}

// ----- self-assessment -----

/// A skill area of the self-assessment: what the agent rates their confidence in (1 = not at all, 5 = very), and
/// what the starter curriculum and scenarios offer for it. Ids missing from an organisation's own curriculum are
/// skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SkillArea {
    pub key: &'static str,
    pub module: &'static str,
    pub lessons: &'static [&'static str],
    pub scenarios: &'static [&'static str],
}

pub const SKILL_AREAS: &[SkillArea] = &[
    SkillArea {
        key: "listening_empathy",
        module: "communication",
        lessons: &["comm-listening", "comm-empathy"],
        scenarios: &["third-time-asking"],
    },
    SkillArea {
        key: "clear_answers",
        module: "communication",
        lessons: &["comm-structured-answers", "comm-clear-writing"],
        scenarios: &["invoice-problem"],
    },
    SkillArea {
        key: "anxious_customers",
        module: "communication",
        lessons: &["comm-reading-emotions", "comm-closing"],
        scenarios: &["late-delivery-anxiety", "refund-not-arrived"],
    },
    SkillArea {
        key: "product_knowledge",
        module: "product-knowledge",
        lessons: &["prod-product-card", "prod-specs-plain-words", "prod-sizing-fit"],
        scenarios: &["wrong-size-anger"],
    },
    SkillArea {
        key: "order_exceptions",
        module: "system-operations",
        lessons: &["ops-logistics-exceptions", "ops-refunds-returns", "ops-payment-exceptions"],
        scenarios: &["signed-not-received-hk", "damaged-on-arrival"],
    },
    SkillArea {
        key: "stress_coping",
        module: "emotion-management",
        lessons: &["emo-tiered-stress", "emo-breathing-mindfulness", "emo-abc-reframing"],
        scenarios: &[],
    },
    SkillArea {
        key: "angry_customers",
        module: "conflict-management",
        lessons: &["conf-de-escalation", "conf-options-negotiation"],
        scenarios: &["wrong-size-anger", "price-drop-dispute"],
    },
    SkillArea {
        key: "irrational_complaints",
        module: "conflict-management",
        lessons: &["conf-irrational-complaints", "conf-escalation-follow-up"],
        scenarios: &["irrational-insults", "regulator-12315"],
    },
    SkillArea {
        key: "teamwork",
        module: "team-effectiveness",
        lessons: &["team-handover", "team-feedback-support"],
        scenarios: &[],
    },
];

pub fn skill_area(key: &str) -> Option<&'static SkillArea> {
    SKILL_AREAS.iter().find(|a| a.key == key)
}

/// The confidence levels of the self-assessment.
pub const LEVELS: std::ops::RangeInclusive<u8> = 1..=5;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SelfAssessment {
    pub id: i64,
    pub user_id: i64,
    /// Every skill area's key with its level.
    pub answers: BTreeMap<String, u8>,
    pub created_at: i64,
}

fn assessment_from(r: &Row) -> Result<SelfAssessment> {
    Ok(SelfAssessment {
        id: r.int(0),
        user_id: r.int(1),
        answers: serde_json::from_str(&r.text(2)).map_err(|e| internal("self-assessment answers", e))?,
        created_at: r.int(3),
    })
}

fn latest_assessment_in(c: &mut dyn Conn, org_id: i64, user_id: i64) -> Result<Option<SelfAssessment>> {
    c.query_opt(
        "SELECT id, user_id, answers, created_at FROM training_self_assessments WHERE org_id = $1 AND user_id = $2 \
         ORDER BY created_at DESC, id DESC LIMIT 1",
        params![org_id, user_id],
    )?
    .as_ref()
    .map(assessment_from)
    .transpose()
}

/// Checks a self-assessment: every skill area once, each a level from 1 to 5, nothing else.
pub fn check_assessment(answers: &BTreeMap<String, u8>) -> Result<()> {
    let known = answers.keys().all(|k| skill_area(k).is_some());
    if !known || answers.len() != SKILL_AREAS.len() {
        return Err(StoreError::Conflict("training_assessment_areas".into()));
    }
    if answers.values().any(|v| !LEVELS.contains(v)) {
        return Err(StoreError::Conflict("training_assessment_level".into()));
    }
    Ok(())
}

// ----- signals from real work -----

/// What a person's own work says, over [`SIGNAL_WINDOW_MS`].
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct AgentSignals {
    /// Replies sent with tone problems, by problem (`impatient`, `blaming`, …).
    pub tone_flags: BTreeMap<String, u32>,
    /// Conversations assigned to them, by complaint type.
    pub complaints: BTreeMap<String, u32>,
    /// Conversations whose customer reached an intensity of 0.7 or more, by emotion.
    pub intense: BTreeMap<String, u32>,
    pub csat_count: u32,
    pub csat_average: Option<f64>,
    /// Ratings of 1 or 2, by complaint type (`"none"` without one).
    pub csat_low: BTreeMap<String, u32>,
    /// Average rating by complaint type.
    pub csat_by_type: BTreeMap<String, f64>,
}

/// Gathers a person's signals since `since`.
fn signals_in(c: &mut dyn Conn, org_id: i64, user_id: i64, since: i64) -> Result<AgentSignals> {
    let mut signals = AgentSignals::default();
    let flagged = c.query(
        "SELECT details FROM audit_log WHERE org_id = $1 AND actor = $2 AND action = 'reply.tone_flagged' AND created_at >= $3 \
         ORDER BY created_at DESC LIMIT $4",
        params![org_id, format!("user:{user_id}"), since, TONE_ROWS],
    )?;
    for r in &flagged {
        let details: serde_json::Value = serde_json::from_str(&r.text(0)).unwrap_or_default();
        // One reply counts once per kind of problem it had.
        let kinds: BTreeSet<&str> =
            details["problems"].as_array().into_iter().flatten().filter_map(|p| p.as_str()).collect();
        for kind in kinds {
            *signals.tone_flags.entry(kind.to_owned()).or_default() += 1;
        }
    }
    let handled = c.query(
        "SELECT complaint_type, emotion, peak_intensity FROM conversations WHERE org_id = $1 AND assignee_id = $2 AND last_message_at >= $3 \
         ORDER BY last_message_at DESC LIMIT 10000",
        params![org_id, user_id, since],
    )?;
    for r in &handled {
        if let Some(kind) = r.opt_text(0) {
            *signals.complaints.entry(kind).or_default() += 1;
        }
        if let Some(emotion) = r.opt_text(1).filter(|_| r.real(2) >= 0.7) {
            *signals.intense.entry(emotion).or_default() += 1;
        }
    }
    let ratings = c.query(
        "SELECT rating, complaint_type FROM csat_ratings WHERE org_id = $1 AND agent_user_id = $2 AND rated_at >= $3 LIMIT 10000",
        params![org_id, user_id, since],
    )?;
    let mut by_type: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    let mut sum = 0i64;
    for r in &ratings {
        let (rating, kind) = (r.int(0), r.opt_text(1).unwrap_or_else(|| "none".into()));
        sum += rating;
        let slot = by_type.entry(kind.clone()).or_default();
        slot.0 += rating;
        slot.1 += 1;
        if rating <= 2 {
            *signals.csat_low.entry(kind).or_default() += 1;
        }
    }
    signals.csat_count = ratings.len() as u32;
    signals.csat_average = (!ratings.is_empty()).then(|| round1(sum as f64 / ratings.len() as f64));
    signals.csat_by_type = by_type.into_iter().map(|(k, (s, n))| (k, round1(s as f64 / n as f64))).collect();
    Ok(signals)
}

fn round1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

// ----- the plan engine (pure) -----

/// What a plan item asks the person to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanItemKind {
    /// Study a module (its introduction and lessons).
    Module,
    Lesson,
    /// Take (or retake) a module's quiz; the target is the module.
    Quiz,
    /// Practise a role-play scenario.
    Roleplay,
}

impl PlanItemKind {
    pub const ALL: [PlanItemKind; 4] = [PlanItemKind::Module, PlanItemKind::Lesson, PlanItemKind::Quiz, PlanItemKind::Roleplay];

    pub fn as_str(self) -> &'static str {
        match self {
            PlanItemKind::Module => "module",
            PlanItemKind::Lesson => "lesson",
            PlanItemKind::Quiz => "quiz",
            PlanItemKind::Roleplay => "roleplay",
        }
    }

    pub fn parse(text: &str) -> Option<PlanItemKind> {
        PlanItemKind::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

/// Why an item is in a plan. The UI words each one in the reader's language.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reason {
    /// The person rated a skill area low (1–3 of 5).
    SelfAssessment { area: String, level: u8 },
    /// The latest attempt at the module's quiz scored below the pass mark.
    QuizScore { module: String, percent: u8 },
    /// Questions on this lesson were answered wrongly in the latest attempt.
    QuizMissed { module: String, lesson: String, missed: u32 },
    /// The module is recommended but its quiz was never taken.
    NotQuizzed { module: String },
    /// Replies were flagged by the tone check with this problem.
    ToneFlags { problem: String, count: u32 },
    /// Conversations of this complaint type were handled.
    ComplaintsHandled { complaint_type: String, count: u32 },
    /// Customers of this emotion reached a high intensity in conversations handled.
    IntenseCustomers { emotion: String, count: u32 },
    /// Satisfaction ratings were low (overall, or for one complaint type).
    LowCsat { complaint_type: Option<String>, average: f64, count: u32 },
    /// The last practice of this scenario ended escalated or abandoned.
    RoleplayOutcome { scenario: String, outcome: String },
    /// Nothing stands out yet: where everyone starts.
    Starter,
    /// A coach added it.
    Coach { note: Option<String> },
}

/// One recommended item with every reason for it and its weight (higher first).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Recommendation {
    pub kind: PlanItemKind,
    pub target: String,
    pub reasons: Vec<Reason>,
    pub weight: u32,
}

/// The latest attempt at one module's quiz, as the engine sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct QuizFact {
    pub module: String,
    pub score: f64,
    /// Lessons with wrongly answered questions, and how many.
    pub missed: BTreeMap<String, u32>,
}

/// The latest finished practice of one scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct RoleplayFact {
    pub scenario: String,
    /// `resolved`, `escalated` or `abandoned`.
    pub outcome: String,
    /// The overall score, 0–100.
    pub overall: Option<u8>,
}

/// A role-play scenario the engine may recommend.
#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioFact {
    pub id: String,
    pub emotion: Emotion,
    pub complaint_type: ComplaintType,
}

/// Everything a plan is made from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PlanFacts {
    pub self_assessment: Option<BTreeMap<String, u8>>,
    pub quizzes: Vec<QuizFact>,
    pub signals: AgentSignals,
    pub roleplays: Vec<RoleplayFact>,
}

/// A quiz at or above this score passes.
pub const PASS_SCORE: f64 = 0.8;
/// A role-play resolved with at least this overall score is mastered: not recommended again.
pub const MASTERED_SCORE: u8 = 70;
/// Replies flagged with one problem before it counts.
pub const TONE_THRESHOLD: u32 = 2;
/// Conversations of one complaint type before it counts.
pub const COMPLAINTS_THRESHOLD: u32 = 3;
/// High-intensity angry customers before stress coping is suggested.
pub const INTENSE_THRESHOLD: u32 = 5;
/// Ratings before an average counts, and the average below which it is low.
pub const CSAT_MIN_COUNT: u32 = 3;
pub const CSAT_LOW_AVERAGE: f64 = 3.5;
/// Most items one generated plan holds.
pub const PLAN_SIZE: usize = 12;

/// The lessons (and a scenario complaint type) for a tone problem.
fn tone_lessons(problem: &str) -> &'static [&'static str] {
    match problem {
        "impatient" => &["comm-listening", "comm-empathy"],
        "blaming" => &["comm-clear-writing", "conf-de-escalation"],
        "dismissive" => &["conf-escalation-follow-up", "ops-escalation-tickets"],
        "absolute_refusal" => &["conf-options-negotiation"],
        "sarcasm" => &["comm-empathy", "emo-abc-reframing"],
        "cold" => &["comm-clear-writing", "comm-empathy"],
        "shouting" => &["emo-tiered-stress", "emo-breathing-mindfulness"],
        "stalling" => &["comm-closing", "ops-escalation-tickets"],
        "lecturing" => &["conf-de-escalation", "conf-irrational-complaints"],
        "brush_off" => &["comm-empathy", "prod-specs-plain-words"],
        _ => &[],
    }
}

/// The role-play to practise for a tone problem.
fn tone_scenario(problem: &str) -> Option<&'static str> {
    match problem {
        "impatient" | "dismissive" => Some("third-time-asking"),
        "blaming" => Some("wrong-size-anger"),
        "absolute_refusal" => Some("price-drop-dispute"),
        "sarcasm" => Some("irrational-insults"),
        "cold" | "brush_off" => Some("quality-disappointment"),
        "stalling" => Some("late-delivery-anxiety"),
        "lecturing" => Some("irrational-insults"),
        _ => None,
    }
}

/// The lesson that teaches a complaint type's procedures.
fn complaint_lesson(kind: &str) -> Option<&'static str> {
    match kind {
        "logistics" => Some("ops-logistics-exceptions"),
        "refund_return" => Some("ops-refunds-returns"),
        "payment" => Some("ops-payment-exceptions"),
        "size_spec" => Some("prod-sizing-fit"),
        "quality" => Some("prod-warranty"),
        "price" => Some("conf-options-negotiation"),
        "service" => Some("comm-empathy"),
        _ => None,
    }
}

/// Recommends what a person should study and practise next, and why: a pure function of the gathered facts, the
/// curriculum in use and the scenarios available. The rules (weights in brackets, summed per item):
///
/// - **Self-assessment**: an area rated 1–2 brings its module [30 − 5 × level], its lessons [20], the module's
///   quiz [10] and its first scenario [15]; rated 3, its first lesson [10] and first scenario [8].
/// - **Quizzes** (latest attempt per module): below 80 % → retake the quiz [25] and study each lesson with wrong
///   answers [15 + 5 per wrong answer]. A recommended module never quizzed → its quiz [8].
/// - **Tone check**: a problem flagged on 2+ replies → its lessons [12 + 4 per flag, at most 40] and a role-play
///   that exercises the opposite [10].
/// - **Complaint types handled**: 3+ conversations of a type → a scenario of that type not yet mastered [6 + 1
///   per conversation, at most 20].
/// - **Intense customers**: 5+ conversations with an angry customer at intensity ≥ 0.7 → stress coping lessons
///   [14] — protection as much as skill.
/// - **CSAT**: 3+ ratings averaging below 3.5 → empathy and closing lessons [18]; 2+ ratings of 1–2 on one
///   complaint type → that type's lesson and a scenario of it [16].
/// - **Role-play**: a scenario whose latest practice ended escalated or abandoned → try it again [12]; a scenario
///   resolved with an overall score of 70+ is never recommended.
/// - Nothing at all → the first module, its quiz and the first scenario, as a start.
///
/// Items whose target is not in the curriculum (or not a scenario) are left out. The result is ordered by weight,
/// then module, lesson, quiz, role-play, then target; at most [`PLAN_SIZE`] items.
pub fn recommend(facts: &PlanFacts, curriculum: &Curriculum, scenarios: &[ScenarioFact]) -> Vec<Recommendation> {
    let mut recs: BTreeMap<(PlanItemKind, String), (u32, Vec<Reason>)> = BTreeMap::new();
    let mastered: BTreeSet<&str> = facts
        .roleplays
        .iter()
        .filter(|r| r.outcome == "resolved" && r.overall.unwrap_or(0) >= MASTERED_SCORE)
        .map(|r| r.scenario.as_str())
        .collect();
    let exists = |kind: PlanItemKind, target: &str| match kind {
        PlanItemKind::Module | PlanItemKind::Quiz => {
            curriculum.module(target).is_some_and(|m| kind == PlanItemKind::Module || !m.questions().is_empty())
        }
        PlanItemKind::Lesson => curriculum.lesson(target).is_some(),
        PlanItemKind::Roleplay => scenarios.iter().any(|s| s.id == target) && !mastered.contains(target),
    };
    type Recs = BTreeMap<(PlanItemKind, String), (u32, Vec<Reason>)>;
    fn push(recs: &mut Recs, exists: &dyn Fn(PlanItemKind, &str) -> bool, kind: PlanItemKind, target: &str, weight: u32, reason: Reason) {
        if !exists(kind, target) {
            return;
        }
        let slot = recs.entry((kind, target.to_owned())).or_insert((0, Vec::new()));
        slot.0 += weight;
        if !slot.1.contains(&reason) {
            slot.1.push(reason);
        }
    }
    macro_rules! add {
        ($kind:expr, $target:expr, $weight:expr, $reason:expr) => {
            push(&mut recs, &exists, $kind, $target, $weight, $reason)
        };
    }

    // Self-assessment.
    if let Some(answers) = &facts.self_assessment {
        for area in SKILL_AREAS {
            let Some(&level) = answers.get(area.key) else { continue };
            let reason = || Reason::SelfAssessment { area: area.key.to_owned(), level };
            if level <= 2 {
                add!(PlanItemKind::Module, area.module, 30 - 5 * u32::from(level), reason());
                for lesson in area.lessons {
                    add!(PlanItemKind::Lesson, lesson, 20, reason());
                }
                add!(PlanItemKind::Quiz, area.module, 10, reason());
                if let Some(s) = area.scenarios.iter().find(|s| exists(PlanItemKind::Roleplay, s)) {
                    add!(PlanItemKind::Roleplay, s, 15, reason());
                }
            } else if level == 3 {
                if let Some(lesson) = area.lessons.first() {
                    add!(PlanItemKind::Lesson, lesson, 10, reason());
                }
                if let Some(s) = area.scenarios.iter().find(|s| exists(PlanItemKind::Roleplay, s)) {
                    add!(PlanItemKind::Roleplay, s, 8, reason());
                }
            }
        }
    }

    // Quizzes.
    for quiz in &facts.quizzes {
        if quiz.score >= PASS_SCORE {
            continue;
        }
        let percent = (quiz.score * 100.0).round().clamp(0.0, 100.0) as u8;
        add!(PlanItemKind::Quiz, &quiz.module, 25, Reason::QuizScore { module: quiz.module.clone(), percent });
        for (lesson, &missed) in &quiz.missed {
            let reason = Reason::QuizMissed { module: quiz.module.clone(), lesson: lesson.clone(), missed };
            add!(PlanItemKind::Lesson, lesson, 15 + 5 * missed.min(5), reason);
        }
    }

    // Tone flags.
    let signals = &facts.signals;
    for (problem, &count) in &signals.tone_flags {
        if count < TONE_THRESHOLD {
            continue;
        }
        let reason = || Reason::ToneFlags { problem: problem.clone(), count };
        for lesson in tone_lessons(problem) {
            add!(PlanItemKind::Lesson, lesson, (12 + 4 * count).min(40), reason());
        }
        if let Some(s) = tone_scenario(problem) {
            add!(PlanItemKind::Roleplay, s, 10, reason());
        }
    }

    // Complaint types handled, and their ratings.
    for (kind, &count) in &signals.complaints {
        if count < COMPLAINTS_THRESHOLD {
            continue;
        }
        let reason = Reason::ComplaintsHandled { complaint_type: kind.clone(), count };
        let first = scenarios.iter().find(|s| s.complaint_type.as_str() == kind && exists(PlanItemKind::Roleplay, &s.id));
        if let Some(s) = first {
            add!(PlanItemKind::Roleplay, &s.id, (6 + count).min(20), reason);
        }
    }
    for (kind, &low) in &signals.csat_low {
        if low < 2 {
            continue;
        }
        let average = signals.csat_by_type.get(kind).copied().unwrap_or(0.0);
        let reason = || Reason::LowCsat { complaint_type: Some(kind.clone()), average, count: low };
        if let Some(lesson) = complaint_lesson(kind) {
            add!(PlanItemKind::Lesson, lesson, 16, reason());
        }
        let first = scenarios.iter().find(|s| s.complaint_type.as_str() == kind && exists(PlanItemKind::Roleplay, &s.id));
        if let Some(s) = first {
            add!(PlanItemKind::Roleplay, &s.id, 16, reason());
        }
    }
    if let Some(average) = signals.csat_average.filter(|a| signals.csat_count >= CSAT_MIN_COUNT && *a < CSAT_LOW_AVERAGE) {
        let reason = || Reason::LowCsat { complaint_type: None, average, count: signals.csat_count };
        add!(PlanItemKind::Lesson, "comm-empathy", 18, reason());
        add!(PlanItemKind::Lesson, "comm-closing", 18, reason());
    }

    // Intense customers.
    if let Some(&count) = signals.intense.get("anger").filter(|&&n| n >= INTENSE_THRESHOLD) {
        let reason = || Reason::IntenseCustomers { emotion: "anger".into(), count };
        add!(PlanItemKind::Lesson, "emo-tiered-stress", 14, reason());
        add!(PlanItemKind::Lesson, "emo-breathing-mindfulness", 14, reason());
    }

    // Role-plays that went badly.
    for r in &facts.roleplays {
        if matches!(r.outcome.as_str(), "escalated" | "abandoned") {
            add!(PlanItemKind::Roleplay, &r.scenario, 12, Reason::RoleplayOutcome { scenario: r.scenario.clone(), outcome: r.outcome.clone() });
        }
    }

    // A recommended module whose quiz was never taken.
    let quizzed: BTreeSet<&str> = facts.quizzes.iter().map(|q| q.module.as_str()).collect();
    let modules: Vec<String> = recs.keys().filter(|(k, _)| *k == PlanItemKind::Module).map(|(_, t)| t.clone()).collect();
    for module in modules {
        if !quizzed.contains(module.as_str()) {
            add!(PlanItemKind::Quiz, &module, 8, Reason::NotQuizzed { module: module.clone() });
        }
    }

    // A start for someone with nothing to go on.
    if recs.is_empty() {
        if let Some(first) = curriculum.modules().first() {
            let id = first.id().as_str();
            add!(PlanItemKind::Module, id, 3, Reason::Starter);
            if !quizzed.contains(id) {
                add!(PlanItemKind::Quiz, id, 2, Reason::NotQuizzed { module: id.to_owned() });
            }
        }
        if facts.roleplays.is_empty()
            && let Some(s) = scenarios.iter().find(|s| exists(PlanItemKind::Roleplay, &s.id))
        {
            add!(PlanItemKind::Roleplay, &s.id, 1, Reason::Starter);
        }
    }

    let mut out: Vec<Recommendation> =
        recs.into_iter().map(|((kind, target), (weight, reasons))| Recommendation { kind, target, reasons, weight }).collect();
    out.sort_by(|a, b| b.weight.cmp(&a.weight).then(a.kind.cmp(&b.kind)).then(a.target.cmp(&b.target)));
    out.truncate(PLAN_SIZE);
    out
}

/// The engine's view of quiz attempts: the latest per module.
pub fn latest_quizzes(attempts: &[QuizAttempt]) -> Vec<QuizFact> {
    let mut latest: BTreeMap<&str, &QuizAttempt> = BTreeMap::new();
    for a in attempts {
        let slot = latest.entry(a.module.as_str()).or_insert(a);
        if (a.created_at, a.id) > (slot.created_at, slot.id) {
            *slot = a;
        }
    }
    latest
        .into_values()
        .map(|a| {
            let mut missed: BTreeMap<String, u32> = BTreeMap::new();
            for r in a.results.iter().filter(|r| !r.correct) {
                *missed.entry(r.lesson.clone()).or_default() += 1;
            }
            QuizFact { module: a.module.clone(), score: a.score, missed }
        })
        .collect()
}

// ----- stored plans -----

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanSource {
    /// Recommended by the engine.
    Engine,
    /// Added by a coach.
    Coach,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlanItem {
    pub id: i64,
    pub kind: PlanItemKind,
    pub target: String,
    pub source: PlanSource,
    pub position: i64,
    pub reasons: Vec<Reason>,
    /// A coach's note.
    pub note: Option<String>,
    /// The coach who added it.
    pub added_by: Option<i64>,
    pub added_by_name: Option<String>,
    pub created_at: i64,
    pub done_at: Option<i64>,
}

/// One change to a plan: who did what, when.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlanChange {
    pub actor_id: Option<i64>,
    pub actor_name: String,
    /// `generated`, `added`, `removed`, `noted`, `done`, `undone`.
    pub action: String,
    pub kind: Option<PlanItemKind>,
    pub target: Option<String>,
    pub note: Option<String>,
    pub at: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    pub user_id: i64,
    pub user_name: String,
    /// Counts changes: an adjustment names the version it was made on.
    pub version: i64,
    pub generated_at: Option<i64>,
    pub updated_at: i64,
    /// Open items first (coach-added before recommended, each in order), then done ones.
    pub items: Vec<PlanItem>,
    /// The latest changes, newest first (at most 50).
    pub changes: Vec<PlanChange>,
}

impl Plan {
    pub fn done_count(&self) -> usize {
        self.items.iter().filter(|i| i.done_at.is_some()).count()
    }
}

/// A coach's or the person's change to a plan.
#[derive(Debug, Clone, PartialEq)]
pub enum PlanAdjustment {
    /// A coach adds an item, with an optional note.
    Add { kind: PlanItemKind, target: String, note: Option<String> },
    /// A coach removes an item (the engine does not bring it back).
    Remove { item: i64 },
    /// A coach sets or clears an item's note.
    Note { item: i64, note: Option<String> },
    /// The person (or a coach) marks an item done or not done.
    Done { item: i64, done: bool },
}

fn check_note(note: Option<&str>) -> Result<Option<String>> {
    let Some(note) = note.map(str::trim).filter(|n| !n.is_empty()) else { return Ok(None) };
    if note.chars().count() > NOTE_MAX_CHARS || note.chars().any(char::is_control) {
        return Err(StoreError::Conflict("training_plan_note".into()));
    }
    Ok(Some(note.to_owned()))
}

const ITEM_SELECT: &str = "SELECT id, kind, target, source, position, reasons, note, added_by, added_by_name, created_at, done_at \
    FROM training_plan_items";

fn item_from(r: &Row) -> Result<PlanItem> {
    Ok(PlanItem {
        id: r.int(0),
        kind: PlanItemKind::parse(&r.text(1)).ok_or_else(|| internal("plan item kind", r.text(1)))?,
        target: r.text(2),
        source: if r.text(3) == "coach" { PlanSource::Coach } else { PlanSource::Engine },
        position: r.int(4),
        reasons: serde_json::from_str(&r.text(5)).map_err(|e| internal("plan item reasons", e))?,
        note: r.opt_text(6),
        added_by: r.opt_int(7),
        added_by_name: r.opt_text(8),
        created_at: r.int(9),
        done_at: r.opt_int(10),
    })
}

/// A plan's row: (id, version, generated_at, updated_at).
type PlanRow = (i64, i64, Option<i64>, i64);

fn plan_row(c: &mut dyn Conn, org_id: i64, user_id: i64) -> Result<Option<PlanRow>> {
    Ok(c.query_opt(
        "SELECT id, version, generated_at, updated_at FROM training_plans WHERE org_id = $1 AND user_id = $2",
        params![org_id, user_id],
    )?
    .map(|r| (r.int(0), r.int(1), r.opt_int(2), r.int(3))))
}

fn plan_in(c: &mut dyn Conn, org_id: i64, subject: &Trainee) -> Result<Option<Plan>> {
    let Some((plan_id, version, generated_at, updated_at)) = plan_row(c, org_id, subject.user_id)? else { return Ok(None) };
    let rows = c.query(
        &format!("{ITEM_SELECT} WHERE plan_id = $1 AND removed_at IS NULL ORDER BY position, id"),
        params![plan_id],
    )?;
    let mut items: Vec<PlanItem> = rows.iter().map(item_from).collect::<Result<_>>()?;
    items.sort_by_key(|i| (i.done_at.is_some(), i.source != PlanSource::Coach, i.position, i.id));
    let changes = c
        .query(
            "SELECT actor_id, actor_name, action, kind, target, note, created_at FROM training_plan_changes WHERE plan_id = $1 \
             ORDER BY id DESC LIMIT 50",
            params![plan_id],
        )?
        .iter()
        .map(|r| PlanChange {
            actor_id: r.opt_int(0),
            actor_name: r.text(1),
            action: r.text(2),
            kind: r.opt_text(3).and_then(|k| PlanItemKind::parse(&k)),
            target: r.opt_text(4),
            note: r.opt_text(5),
            at: r.int(6),
        })
        .collect();
    Ok(Some(Plan { user_id: subject.user_id, user_name: subject.name.clone(), version, generated_at, updated_at, items, changes }))
}

/// The plan's id, created empty when missing, and its version bumped (the row lock orders concurrent changes).
/// `expected` (the version the caller saw) must match when given.
fn bump_plan(tx: &mut Tx<'_>, org_id: i64, user_id: i64, expected: Option<i64>, generated: bool) -> Result<i64> {
    let now = tx.now;
    let existing = plan_row(tx.conn, org_id, user_id)?;
    let plan_id = match existing {
        None => {
            if expected.is_some_and(|v| v != 0) {
                return Err(StoreError::Conflict("training_plan_changed".into()));
            }
            tx.conn
                .query_one(
                    "INSERT INTO training_plans (org_id, user_id, version, generated_at, updated_at) VALUES ($1, $2, 1, $3, $4) RETURNING id",
                    params![org_id, user_id, generated.then_some(now), now],
                )?
                .int(0)
        }
        Some((id, version, _, _)) => {
            if expected.is_some_and(|v| v != version) {
                return Err(StoreError::Conflict("training_plan_changed".into()));
            }
            let generated_sql = if generated { ", generated_at = $2" } else { "" };
            let moved = tx.conn.execute(
                &format!("UPDATE training_plans SET version = version + 1, updated_at = $2{generated_sql} WHERE id = $1 AND version = $3"),
                params![id, now, version],
            )?;
            if moved == 0 {
                return Err(StoreError::Conflict("training_plan_changed".into()));
            }
            id
        }
    };
    Ok(plan_id)
}

fn record_change(tx: &mut Tx<'_>, plan_id: i64, actor: &Principal, action: &str, item: Option<(PlanItemKind, &str)>, note: Option<&str>) -> Result<()> {
    tx.conn.execute(
        "INSERT INTO training_plan_changes (plan_id, actor_id, actor_name, action, kind, target, note, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        params![plan_id, actor.user_id, actor.name.as_str(), action, item.map(|(k, _)| k.as_str()), item.map(|(_, t)| t), note, tx.now],
    )?;
    Ok(())
}

fn item_in(c: &mut dyn Conn, plan_id: i64, item: i64) -> Result<PlanItem> {
    let row = c.query_one(&format!("{ITEM_SELECT} WHERE plan_id = $1 AND id = $2 AND removed_at IS NULL"), params![plan_id, item])?;
    item_from(&row)
}

// ----- progress -----

/// One CSAT rating of a person's real conversation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CsatPoint {
    pub user_id: i64,
    pub rated_at: i64,
    pub rating: u8,
    pub complaint_type: Option<String>,
}

/// A person's academy record, for their progress page (and their coach's view of it).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Progress {
    pub person: Trainee,
    /// Newest first.
    pub quiz_attempts: Vec<QuizAttempt>,
    /// Oldest first.
    pub csat: Vec<CsatPoint>,
    pub self_assessment: Option<SelfAssessment>,
    pub plan_items: usize,
    pub plan_done: usize,
}

fn attempts_of(c: &mut dyn Conn, org_id: i64, user_ids: &[i64], since: i64) -> Result<Vec<QuizAttempt>> {
    if user_ids.is_empty() {
        return Ok(Vec::new());
    }
    let (marks, mut values) = id_list(user_ids, 3);
    values.splice(0..0, [Param::Int(org_id), Param::Int(since)]);
    let sql = format!("{ATTEMPT_SELECT} WHERE org_id = $1 AND created_at >= $2 AND user_id IN ({marks}) ORDER BY created_at DESC, id DESC LIMIT 5000");
    c.query(&sql, &values)?.iter().map(attempt_from).collect()
}

fn csat_of(c: &mut dyn Conn, org_id: i64, user_ids: &[i64], since: i64) -> Result<Vec<CsatPoint>> {
    if user_ids.is_empty() {
        return Ok(Vec::new());
    }
    let (marks, mut values) = id_list(user_ids, 3);
    values.splice(0..0, [Param::Int(org_id), Param::Int(since)]);
    let sql = format!(
        "SELECT agent_user_id, rated_at, rating, complaint_type FROM csat_ratings WHERE org_id = $1 AND rated_at >= $2 \
         AND agent_user_id IN ({marks}) ORDER BY rated_at, id LIMIT 20000"
    );
    Ok(c.query(&sql, &values)?
        .iter()
        .map(|r| CsatPoint { user_id: r.int(0), rated_at: r.int(1), rating: r.int(2).clamp(1, 5) as u8, complaint_type: r.opt_text(3) })
        .collect())
}

/// `$first, $first+1, …` for the ids, and the ids as parameters.
fn id_list(ids: &[i64], first: usize) -> (String, Vec<Param>) {
    let marks: Vec<String> = (0..ids.len()).map(|i| format!("${}", first + i)).collect();
    (marks.join(", "), ids.iter().map(|id| Param::Int(*id)).collect())
}

fn plan_counts(c: &mut dyn Conn, org_id: i64, user_id: i64) -> Result<(usize, usize)> {
    let r = c.query_one(
        "SELECT COUNT(i.id), COUNT(i.done_at) FROM training_plans p LEFT JOIN training_plan_items i ON i.plan_id = p.id AND i.removed_at IS NULL \
         WHERE p.org_id = $1 AND p.user_id = $2",
        params![org_id, user_id],
    )?;
    Ok((r.int(0) as usize, r.int(1) as usize))
}

impl Store {
    // ----- people -----

    /// The viewer's trainees (see the module documentation); empty for anyone who is not a coach.
    pub async fn trainees(&self, viewer: Principal) -> Result<Vec<Trainee>> {
        self.read(move |c| trainees_in(c, &viewer, None)).await
    }

    /// The person `viewer` asks about: themself or one of their trainees; `NotFound` otherwise.
    pub async fn training_subject(&self, viewer: Principal, user_id: i64) -> Result<Trainee> {
        self.read(move |c| subject_in(c, &viewer, user_id)).await
    }

    // ----- curriculum -----

    /// Which curriculum the organisation uses (the starter one when nothing is stored). Everyone reads it.
    pub async fn curriculum_stamp(&self, viewer: Principal) -> Result<CurriculumStamp> {
        self.read(move |c| Ok(stamp_in(c, viewer.org_id)?.unwrap_or_else(CurriculumStamp::starter))).await
    }

    /// The organisation's stored curriculum files, or `None` when the starter curriculum applies.
    pub async fn curriculum_files(&self, viewer: Principal) -> Result<Option<StoredCurriculum>> {
        self.read(move |c| {
            let Some(stamp) = stamp_in(c, viewer.org_id)? else { return Ok(None) };
            let files = c
                .query("SELECT name, body FROM training_curriculum_files WHERE org_id = $1 ORDER BY name", params![viewer.org_id])?
                .iter()
                .map(|r| (r.text(0), r.text(1)))
                .collect();
            Ok(Some(StoredCurriculum { stamp, files }))
        })
        .await
    }

    /// Replaces the organisation's curriculum with `files` (coaches), all or nothing, if it is still at
    /// `expected_version` (0: the starter curriculum). The files must import whole (see [`check_curriculum`]);
    /// they are stored as given, so callers pass `export`'s canonical files. Audited.
    pub async fn save_curriculum(&self, actor: Principal, files: Vec<(String, String)>, expected_version: i64, change: CurriculumChange) -> Result<CurriculumStamp> {
        if !is_coach(actor.role) {
            return Err(StoreError::Forbidden("trainers, supervisors and admins edit the curriculum"));
        }
        if change == CurriculumChange::Reset {
            return Err(StoreError::Conflict("training_curriculum_reset".into()));
        }
        let curriculum = check_curriculum(&files)?;
        let revision = random_revision()?;
        self.write(move |tx| {
            let org_id = actor.org_id;
            let current = stamp_in(tx.conn, org_id)?;
            if current.as_ref().map_or(0, |s| s.version) != expected_version {
                return Err(StoreError::Conflict("training_curriculum_changed".into()));
            }
            let version = expected_version + 1;
            if current.is_some() {
                let moved = tx.conn.execute(
                    "UPDATE training_curricula SET version = $1, revision = $2, file_count = $3, updated_at = $4, updated_by = $5, updated_by_name = $6 \
                     WHERE org_id = $7 AND version = $8",
                    params![version, revision.as_str(), files.len() as i64, tx.now, actor.user_id, actor.name.as_str(), org_id, expected_version],
                )?;
                if moved == 0 {
                    return Err(StoreError::Conflict("training_curriculum_changed".into()));
                }
            } else {
                tx.conn.execute(
                    "INSERT INTO training_curricula (org_id, version, revision, file_count, updated_at, updated_by, updated_by_name) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    params![org_id, version, revision.as_str(), files.len() as i64, tx.now, actor.user_id, actor.name.as_str()],
                )?;
            }
            tx.conn.execute("DELETE FROM training_curriculum_files WHERE org_id = $1", params![org_id])?;
            for (name, body) in &files {
                tx.conn.execute(
                    "INSERT INTO training_curriculum_files (org_id, name, body) VALUES ($1, $2, $3)",
                    params![org_id, name.as_str(), body.as_str()],
                )?;
            }
            let counts = json!({
                "version": version,
                "files": files.len(),
                "modules": curriculum.modules().len(),
                "lessons": curriculum.modules().iter().map(|m| m.lessons().len()).sum::<usize>(),
                "questions": curriculum.modules().iter().map(|m| m.questions().len()).sum::<usize>(),
            });
            let (action, target) = match &change {
                CurriculumChange::Import => ("training.curriculum.import", "curriculum".to_owned()),
                CurriculumChange::Edit { item, lang } => ("training.curriculum.edit", format!("training:{item}:{lang}")),
                CurriculumChange::Reset => unreachable!("refused above"),
            };
            audit(tx, org_id, &actor.audit_name(), action, &target, counts)?;
            Ok(stamp_in(tx.conn, org_id)?.expect("just written"))
        })
        .await
    }

    /// Goes back to the starter curriculum (coaches): every stored file removed, if still at `expected_version`.
    pub async fn reset_curriculum(&self, actor: Principal, expected_version: i64) -> Result<CurriculumStamp> {
        if !is_coach(actor.role) {
            return Err(StoreError::Forbidden("trainers, supervisors and admins edit the curriculum"));
        }
        self.write(move |tx| {
            let org_id = actor.org_id;
            let current = stamp_in(tx.conn, org_id)?.map_or(0, |s| s.version);
            if current != expected_version {
                return Err(StoreError::Conflict("training_curriculum_changed".into()));
            }
            tx.conn.execute("DELETE FROM training_curriculum_files WHERE org_id = $1", params![org_id])?;
            tx.conn.execute("DELETE FROM training_curricula WHERE org_id = $1", params![org_id])?;
            audit(tx, org_id, &actor.audit_name(), "training.curriculum.reset", "curriculum", json!({"from_version": current}))?;
            Ok(CurriculumStamp::starter())
        })
        .await
    }

    // ----- quizzes -----

    /// Records the actor's graded attempt at a module's quiz (a person; the caller graded it against the
    /// curriculum). `Conflict("training_quiz_…")` for a malformed attempt.
    pub async fn record_quiz_attempt(&self, actor: Principal, attempt: NewQuizAttempt) -> Result<QuizAttempt> {
        let user_id = person(&actor)?;
        check_attempt(&attempt)?;
        let total = attempt.results.len() as i64;
        let correct = attempt.results.iter().filter(|r| r.correct).count() as i64;
        let score = attempt.results.iter().map(|r| r.score).sum::<f64>() / total as f64;
        let score = (score * 10_000.0).round() / 10_000.0;
        let results = serde_json::to_string(&attempt.results).map_err(|e| internal("quiz results", e))?;
        self.write(move |tx| {
            let row = tx.conn.query_one(
                "INSERT INTO training_quiz_attempts (org_id, user_id, module_id, results, score, correct, total, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
                params![actor.org_id, user_id, attempt.module.as_str(), results, score, correct, total, tx.now],
            )?;
            let sql = format!("{ATTEMPT_SELECT} WHERE id = $1");
            attempt_from(&tx.conn.query_one(&sql, params![row.int(0)])?)
        })
        .await
    }

    /// One attempt: the viewer's own or a trainee's; `NotFound` otherwise.
    pub async fn quiz_attempt(&self, viewer: Principal, id: i64) -> Result<QuizAttempt> {
        self.read(move |c| {
            let sql = format!("{ATTEMPT_SELECT} WHERE org_id = $1 AND id = $2");
            let attempt = attempt_from(&c.query_one(&sql, params![viewer.org_id, id])?)?;
            subject_in(c, &viewer, attempt.user_id)?;
            Ok(attempt)
        })
        .await
    }

    /// A person's attempts, newest first (themself or a trainee).
    pub async fn quiz_attempts(&self, viewer: Principal, user_id: i64) -> Result<Vec<QuizAttempt>> {
        self.read(move |c| {
            subject_in(c, &viewer, user_id)?;
            let sql = format!("{ATTEMPT_SELECT} WHERE org_id = $1 AND user_id = $2 ORDER BY created_at DESC, id DESC LIMIT $3");
            c.query(&sql, params![viewer.org_id, user_id, LIST_LIMIT])?.iter().map(attempt_from).collect()
        })
        .await
    }

    // ----- self-assessment -----

    /// Records the actor's self-assessment: every skill area with a level 1–5 (`Conflict("training_assessment_…")`
    /// otherwise).
    pub async fn record_self_assessment(&self, actor: Principal, answers: BTreeMap<String, u8>) -> Result<SelfAssessment> {
        let user_id = person(&actor)?;
        check_assessment(&answers)?;
        let text = serde_json::to_string(&answers).map_err(|e| internal("self-assessment", e))?;
        self.write(move |tx| {
            tx.conn.execute(
                "INSERT INTO training_self_assessments (org_id, user_id, answers, created_at) VALUES ($1, $2, $3, $4)",
                params![actor.org_id, user_id, text, tx.now],
            )?;
            Ok(latest_assessment_in(tx.conn, actor.org_id, user_id)?.expect("just written"))
        })
        .await
    }

    /// A person's latest self-assessment (themself or a trainee).
    pub async fn latest_self_assessment(&self, viewer: Principal, user_id: i64) -> Result<Option<SelfAssessment>> {
        self.read(move |c| {
            subject_in(c, &viewer, user_id)?;
            latest_assessment_in(c, viewer.org_id, user_id)
        })
        .await
    }

    // ----- plans -----

    /// Everything the plan engine needs of the store for a person (themself or a trainee): their latest
    /// self-assessment, latest quiz per module and signals over the last [`SIGNAL_WINDOW_MS`]. Role-play outcomes
    /// come from the role-play store; the caller adds them.
    pub async fn plan_facts(&self, viewer: Principal, user_id: i64) -> Result<PlanFacts> {
        let since = self.now() - SIGNAL_WINDOW_MS;
        self.read(move |c| {
            subject_in(c, &viewer, user_id)?;
            let org_id = viewer.org_id;
            Ok(PlanFacts {
                self_assessment: latest_assessment_in(c, org_id, user_id)?.map(|a| a.answers),
                quizzes: latest_quizzes(&attempts_of(c, org_id, &[user_id], 0)?),
                signals: signals_in(c, org_id, user_id, since)?,
                roleplays: Vec::new(),
            })
        })
        .await
    }

    /// A person's signals from their real work since `since` (themself or a trainee).
    pub async fn agent_signals(&self, viewer: Principal, user_id: i64, since: i64) -> Result<AgentSignals> {
        self.read(move |c| {
            subject_in(c, &viewer, user_id)?;
            signals_in(c, viewer.org_id, user_id, since)
        })
        .await
    }

    /// A person's plan (themself or a trainee), `None` before the first one.
    pub async fn plan(&self, viewer: Principal, user_id: i64) -> Result<Option<Plan>> {
        self.read(move |c| {
            let subject = subject_in(c, &viewer, user_id)?;
            plan_in(c, viewer.org_id, &subject)
        })
        .await
    }

    /// Merges the engine's recommendations into a person's plan (themself or a trainee's coach): recommended items
    /// are added or get their new reasons and order; open recommended items no longer recommended go; items a
    /// coach added, items done and items a coach removed stay as they are (a removed one is not brought back).
    pub async fn save_generated_plan(&self, actor: Principal, user_id: i64, recommendations: Vec<Recommendation>) -> Result<Plan> {
        if recommendations.len() > MAX_PLAN_ITEMS
            || recommendations.iter().any(|r| !valid_id(&r.target) || r.reasons.is_empty() || r.reasons.len() > 20)
        {
            return Err(StoreError::Conflict("training_plan_items".into()));
        }
        self.write(move |tx| {
            let subject = subject_in(tx.conn, &actor, user_id)?;
            let org_id = actor.org_id;
            let plan_id = bump_plan(tx, org_id, user_id, None, true)?;
            let existing: Vec<(PlanItem, bool)> = tx
                .conn
                .query(
                    "SELECT id, kind, target, source, position, reasons, note, added_by, added_by_name, created_at, done_at, removed_at \
                     FROM training_plan_items WHERE plan_id = $1",
                    params![plan_id],
                )?
                .iter()
                .map(|r| item_from(r).map(|i| (i, r.opt_int(11).is_some())))
                .collect::<Result<_>>()?;
            let wanted: BTreeSet<(PlanItemKind, &str)> = recommendations.iter().map(|r| (r.kind, r.target.as_str())).collect();
            for (item, removed) in &existing {
                let keep = *removed || item.source == PlanSource::Coach || item.done_at.is_some() || wanted.contains(&(item.kind, item.target.as_str()));
                if !keep {
                    tx.conn.execute("DELETE FROM training_plan_items WHERE id = $1", params![item.id])?;
                }
            }
            for (position, rec) in recommendations.iter().enumerate() {
                let reasons = serde_json::to_string(&rec.reasons).map_err(|e| internal("plan reasons", e))?;
                match existing.iter().find(|(i, _)| i.kind == rec.kind && i.target == rec.target) {
                    Some((_, true)) => {}
                    Some((item, false)) if item.source == PlanSource::Coach => {}
                    Some((item, false)) => {
                        tx.conn.execute(
                            "UPDATE training_plan_items SET reasons = $1, position = $2 WHERE id = $3",
                            params![reasons, 1000 + position as i64, item.id],
                        )?;
                    }
                    None => {
                        tx.conn.execute(
                            "INSERT INTO training_plan_items (plan_id, kind, target, source, position, reasons, created_at) VALUES ($1, $2, $3, 'engine', $4, $5, $6)",
                            params![plan_id, rec.kind.as_str(), rec.target.as_str(), 1000 + position as i64, reasons, tx.now],
                        )?;
                    }
                }
            }
            record_change(tx, plan_id, &actor, "generated", None, None)?;
            Ok(plan_in(tx.conn, org_id, &subject)?.expect("just written"))
        })
        .await
    }

    /// Changes a person's plan, if it is still at `expected_version` (when given; `Conflict("training_plan_changed")`
    /// otherwise). Adding, removing and annotating are a coach's (of that trainee: `Forbidden` for the person
    /// themself, `NotFound` for anyone else); marking done is the person's or their coach's. Each change is
    /// recorded with its author and time, and audited.
    pub async fn adjust_plan(&self, actor: Principal, user_id: i64, expected_version: Option<i64>, change: PlanAdjustment) -> Result<Plan> {
        let change = match change {
            PlanAdjustment::Add { kind, target, note } => {
                if !valid_id(&target) {
                    return Err(StoreError::Conflict("training_plan_target".into()));
                }
                PlanAdjustment::Add { kind, target, note: check_note(note.as_deref())? }
            }
            PlanAdjustment::Note { item, note } => PlanAdjustment::Note { item, note: check_note(note.as_deref())? },
            other => other,
        };
        self.write(move |tx| {
            let org_id = actor.org_id;
            let subject = match &change {
                PlanAdjustment::Done { .. } => subject_in(tx.conn, &actor, user_id)?,
                _ => coached_in(tx.conn, &actor, user_id)?,
            };
            let plan_id = bump_plan(tx, org_id, user_id, expected_version, false)?;
            let now = tx.now;
            let (action, kind, target, note): (&str, PlanItemKind, String, Option<String>) = match &change {
                PlanAdjustment::Add { kind, target, note } => {
                    let open = tx.conn.query_one(
                        "SELECT COUNT(*) FROM training_plan_items WHERE plan_id = $1 AND removed_at IS NULL",
                        params![plan_id],
                    )?;
                    if open.int(0) as usize >= MAX_PLAN_ITEMS {
                        return Err(StoreError::Conflict("training_plan_items".into()));
                    }
                    let reasons = serde_json::to_string(&[Reason::Coach { note: note.clone() }]).map_err(|e| internal("plan reasons", e))?;
                    let position = tx.conn.query_one("SELECT COUNT(*) FROM training_plan_items WHERE plan_id = $1", params![plan_id])?.int(0);
                    // Added again after a removal (or over a recommendation): the coach's item replaces it.
                    tx.conn.execute(
                        "DELETE FROM training_plan_items WHERE plan_id = $1 AND kind = $2 AND target = $3",
                        params![plan_id, kind.as_str(), target.as_str()],
                    )?;
                    tx.conn.execute(
                        "INSERT INTO training_plan_items (plan_id, kind, target, source, position, reasons, note, added_by, added_by_name, created_at) \
                         VALUES ($1, $2, $3, 'coach', $4, $5, $6, $7, $8, $9)",
                        params![plan_id, kind.as_str(), target.as_str(), position, reasons, note.clone(), actor.user_id, actor.name.as_str(), now],
                    )?;
                    ("added", *kind, target.clone(), note.clone())
                }
                PlanAdjustment::Remove { item } => {
                    let it = item_in(tx.conn, plan_id, *item)?;
                    tx.conn.execute(
                        "UPDATE training_plan_items SET removed_at = $1, removed_by_name = $2 WHERE id = $3",
                        params![now, actor.name.as_str(), it.id],
                    )?;
                    ("removed", it.kind, it.target, None)
                }
                PlanAdjustment::Note { item, note } => {
                    let it = item_in(tx.conn, plan_id, *item)?;
                    tx.conn.execute("UPDATE training_plan_items SET note = $1 WHERE id = $2", params![note.clone(), it.id])?;
                    ("noted", it.kind, it.target, note.clone())
                }
                PlanAdjustment::Done { item, done } => {
                    let it = item_in(tx.conn, plan_id, *item)?;
                    let at = done.then_some(now);
                    tx.conn.execute("UPDATE training_plan_items SET done_at = $1 WHERE id = $2", params![at, it.id])?;
                    (if *done { "done" } else { "undone" }, it.kind, it.target, None)
                }
            };
            record_change(tx, plan_id, &actor, action, Some((kind, &target)), note.as_deref())?;
            let details = json!({"action": action, "kind": kind.as_str(), "target": target, "note": note});
            audit(tx, org_id, &actor.audit_name(), "training.plan.adjust", &format!("user:{user_id}"), details)?;
            Ok(plan_in(tx.conn, org_id, &subject)?.expect("just written"))
        })
        .await
    }

    /// Marks the actor's own open plan items of `kind` and `target` done (a lesson read, a quiz passed, a role-play
    /// resolved); returns how many. Nothing happens without a plan or such an item.
    pub async fn complete_plan_items(&self, actor: Principal, kind: PlanItemKind, target: String) -> Result<usize> {
        let user_id = person(&actor)?;
        self.write(move |tx| {
            let Some((plan_id, _, _, _)) = plan_row(tx.conn, actor.org_id, user_id)? else { return Ok(0) };
            let open = tx.conn.query(
                "SELECT id FROM training_plan_items WHERE plan_id = $1 AND kind = $2 AND target = $3 AND done_at IS NULL AND removed_at IS NULL",
                params![plan_id, kind.as_str(), target.as_str()],
            )?;
            if open.is_empty() {
                return Ok(0);
            }
            bump_plan(tx, actor.org_id, user_id, None, false)?;
            for r in &open {
                tx.conn.execute("UPDATE training_plan_items SET done_at = $1 WHERE id = $2", params![tx.now, r.int(0)])?;
            }
            record_change(tx, plan_id, &actor, "done", Some((kind, &target)), None)?;
            Ok(open.len())
        })
        .await
    }

    // ----- progress -----

    /// A person's progress (themself or a trainee): quiz attempts, CSAT of their conversations since `since`, the
    /// latest self-assessment and how much of their plan is done.
    pub async fn training_progress(&self, viewer: Principal, user_id: i64, since: i64) -> Result<Progress> {
        self.read(move |c| {
            let person = subject_in(c, &viewer, user_id)?;
            let org_id = viewer.org_id;
            let (plan_items, plan_done) = plan_counts(c, org_id, user_id)?;
            Ok(Progress {
                quiz_attempts: attempts_of(c, org_id, &[user_id], 0)?,
                csat: csat_of(c, org_id, &[user_id], since)?,
                self_assessment: latest_assessment_in(c, org_id, user_id)?,
                plan_items,
                plan_done,
                person,
            })
        })
        .await
    }

    /// Every trainee's progress for a coach (see [`Store::trainees`]), in one read: quiz attempts and CSAT since
    /// `since`. `Forbidden` for anyone who is not a coach.
    pub async fn team_training_progress(&self, viewer: Principal, since: i64) -> Result<Vec<Progress>> {
        if !is_coach(viewer.role) {
            return Err(StoreError::Forbidden("trainers, supervisors and admins follow their trainees' progress"));
        }
        self.read(move |c| {
            let trainees = trainees_in(c, &viewer, None)?;
            let ids: Vec<i64> = trainees.iter().map(|t| t.user_id).collect();
            let org_id = viewer.org_id;
            let mut attempts: HashMap<i64, Vec<QuizAttempt>> = HashMap::new();
            for chunk in ids.chunks(500) {
                for a in attempts_of(c, org_id, chunk, since)? {
                    attempts.entry(a.user_id).or_default().push(a);
                }
            }
            let mut csat: HashMap<i64, Vec<CsatPoint>> = HashMap::new();
            for chunk in ids.chunks(500) {
                for p in csat_of(c, org_id, chunk, since)? {
                    csat.entry(p.user_id).or_default().push(p);
                }
            }
            let mut out = Vec::with_capacity(trainees.len());
            for person in trainees {
                let (plan_items, plan_done) = plan_counts(c, org_id, person.user_id)?;
                out.push(Progress {
                    quiz_attempts: attempts.remove(&person.user_id).unwrap_or_default(),
                    csat: csat.remove(&person.user_id).unwrap_or_default(),
                    self_assessment: latest_assessment_in(c, org_id, person.user_id)?,
                    plan_items,
                    plan_done,
                    person,
                });
            }
            Ok(out)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn curriculum() -> Curriculum {
        fn collect(dir: &std::path::Path, found: &mut Vec<std::path::PathBuf>) {
            for item in std::fs::read_dir(dir).unwrap() {
                let path = item.unwrap().path();
                if path.is_dir() { collect(&path, found) } else { found.push(path) }
            }
        }
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../content/training");
        let mut paths = Vec::new();
        collect(&root.join("modules"), &mut paths);
        let files: Vec<(String, String)> = paths
            .iter()
            .map(|p| (p.strip_prefix(&root).unwrap().to_string_lossy().into_owned(), std::fs::read_to_string(p).unwrap()))
            .collect();
        import_curriculum(&files).unwrap()
    }

    fn scenarios() -> Vec<ScenarioFact> {
        use ComplaintType as C;
        use Emotion as E;
        [
            ("wrong-size-anger", E::Anger, C::SizeSpec),
            ("late-delivery-anxiety", E::Anxiety, C::Logistics),
            ("quality-disappointment", E::Disappointment, C::Quality),
            ("price-drop-dispute", E::Anger, C::Price),
            ("irrational-insults", E::Anger, C::RefundReturn),
            ("third-time-asking", E::Anger, C::Service),
            ("refund-not-arrived", E::Anxiety, C::RefundReturn),
        ]
        .into_iter()
        .map(|(id, emotion, complaint_type)| ScenarioFact { id: id.into(), emotion, complaint_type })
        .collect()
    }

    fn all_levels(level: u8) -> BTreeMap<String, u8> {
        SKILL_AREAS.iter().map(|a| (a.key.to_owned(), level)).collect()
    }

    fn find<'a>(recs: &'a [Recommendation], kind: PlanItemKind, target: &str) -> Option<&'a Recommendation> {
        recs.iter().find(|r| r.kind == kind && r.target == target)
    }

    #[test]
    fn nothing_known_gives_a_start() {
        let recs = recommend(&PlanFacts::default(), &curriculum(), &scenarios());
        let listed: Vec<(PlanItemKind, &str)> = recs.iter().map(|r| (r.kind, r.target.as_str())).collect();
        assert_eq!(
            listed,
            [(PlanItemKind::Module, "communication"), (PlanItemKind::Quiz, "communication"), (PlanItemKind::Roleplay, "wrong-size-anger")]
        );
        assert_eq!(recs[0].reasons, [Reason::Starter]);
        // Confident in everything: still a start, never an empty plan.
        let confident = PlanFacts { self_assessment: Some(all_levels(5)), ..PlanFacts::default() };
        assert_eq!(recommend(&confident, &curriculum(), &scenarios()).len(), 3);
    }

    #[test]
    fn a_weak_area_brings_its_module_lessons_quiz_and_scenario() {
        let mut answers = all_levels(4);
        answers.insert("anxious_customers".into(), 1);
        answers.insert("stress_coping".into(), 3);
        let facts = PlanFacts { self_assessment: Some(answers), ..PlanFacts::default() };
        let recs = recommend(&facts, &curriculum(), &scenarios());
        let reason = Reason::SelfAssessment { area: "anxious_customers".into(), level: 1 };
        let module = find(&recs, PlanItemKind::Module, "communication").unwrap();
        assert_eq!(module.reasons, std::slice::from_ref(&reason));
        assert_eq!(find(&recs, PlanItemKind::Lesson, "comm-reading-emotions").unwrap().reasons, std::slice::from_ref(&reason));
        assert!(find(&recs, PlanItemKind::Lesson, "comm-closing").is_some());
        let quiz = find(&recs, PlanItemKind::Quiz, "communication").unwrap();
        assert_eq!(quiz.reasons, [reason.clone(), Reason::NotQuizzed { module: "communication".into() }]);
        assert_eq!(find(&recs, PlanItemKind::Roleplay, "late-delivery-anxiety").unwrap().reasons, [reason]);
        // Rated 3: only the first lesson (emotion management has no scenario).
        assert!(find(&recs, PlanItemKind::Lesson, "emo-tiered-stress").is_some());
        assert!(find(&recs, PlanItemKind::Lesson, "emo-breathing-mindfulness").is_none());
        assert!(find(&recs, PlanItemKind::Module, "emotion-management").is_none());
        // Heaviest first: the module (25) before a lesson (20).
        assert_eq!((recs[0].kind, recs[0].target.as_str()), (PlanItemKind::Module, "communication"));
    }

    #[test]
    fn a_failed_quiz_sends_back_to_its_lessons_and_a_passed_one_does_not() {
        let failed = QuizFact {
            module: "conflict-management".into(),
            score: 0.43,
            missed: BTreeMap::from([("conf-de-escalation".to_owned(), 2), ("conf-causes-types".to_owned(), 1)]),
        };
        let passed = QuizFact { module: "communication".into(), score: 0.86, missed: BTreeMap::from([("comm-closing".to_owned(), 1)]) };
        let facts = PlanFacts { quizzes: vec![failed, passed], ..PlanFacts::default() };
        let recs = recommend(&facts, &curriculum(), &scenarios());
        assert_eq!(
            find(&recs, PlanItemKind::Quiz, "conflict-management").unwrap().reasons,
            [Reason::QuizScore { module: "conflict-management".into(), percent: 43 }]
        );
        let lesson = find(&recs, PlanItemKind::Lesson, "conf-de-escalation").unwrap();
        assert_eq!(lesson.weight, 25);
        assert_eq!(lesson.reasons, [Reason::QuizMissed { module: "conflict-management".into(), lesson: "conf-de-escalation".into(), missed: 2 }]);
        assert_eq!(find(&recs, PlanItemKind::Lesson, "conf-causes-types").unwrap().weight, 20);
        assert!(find(&recs, PlanItemKind::Lesson, "comm-closing").is_none(), "a passed quiz sends nobody back");
        assert!(find(&recs, PlanItemKind::Quiz, "communication").is_none());
    }

    #[test]
    fn real_work_signals_bring_lessons_and_practice() {
        let signals = AgentSignals {
            tone_flags: BTreeMap::from([("impatient".to_owned(), 3), ("cold".to_owned(), 1)]),
            complaints: BTreeMap::from([("logistics".to_owned(), 7), ("price".to_owned(), 2)]),
            intense: BTreeMap::from([("anger".to_owned(), 6)]),
            csat_count: 5,
            csat_average: Some(2.8),
            csat_low: BTreeMap::from([("size_spec".to_owned(), 2), ("logistics".to_owned(), 1)]),
            csat_by_type: BTreeMap::from([("size_spec".to_owned(), 1.5), ("logistics".to_owned(), 3.3)]),
        };
        let facts = PlanFacts { signals, ..PlanFacts::default() };
        let recs = recommend(&facts, &curriculum(), &scenarios());
        let tone = Reason::ToneFlags { problem: "impatient".into(), count: 3 };
        assert!(find(&recs, PlanItemKind::Lesson, "comm-listening").unwrap().reasons.contains(&tone));
        assert!(find(&recs, PlanItemKind::Roleplay, "third-time-asking").unwrap().reasons.contains(&tone));
        // One cold reply is not a pattern.
        assert!(recs.iter().all(|r| !r.reasons.iter().any(|x| matches!(x, Reason::ToneFlags { problem, .. } if problem == "cold"))));
        assert_eq!(
            find(&recs, PlanItemKind::Roleplay, "late-delivery-anxiety").unwrap().reasons,
            [Reason::ComplaintsHandled { complaint_type: "logistics".into(), count: 7 }]
        );
        assert!(find(&recs, PlanItemKind::Roleplay, "price-drop-dispute").is_none(), "two price conversations are not enough");
        let stress = find(&recs, PlanItemKind::Lesson, "emo-breathing-mindfulness").unwrap();
        assert_eq!(stress.reasons, [Reason::IntenseCustomers { emotion: "anger".into(), count: 6 }]);
        let low = Reason::LowCsat { complaint_type: Some("size_spec".into()), average: 1.5, count: 2 };
        assert_eq!(find(&recs, PlanItemKind::Lesson, "prod-sizing-fit").unwrap().reasons, std::slice::from_ref(&low));
        assert!(find(&recs, PlanItemKind::Roleplay, "wrong-size-anger").unwrap().reasons.contains(&low));
        let overall = Reason::LowCsat { complaint_type: None, average: 2.8, count: 5 };
        assert!(find(&recs, PlanItemKind::Lesson, "comm-empathy").unwrap().reasons.contains(&overall));
        assert!(find(&recs, PlanItemKind::Lesson, "comm-closing").unwrap().reasons.contains(&overall));
        assert!(recs.len() <= PLAN_SIZE);
        let weights: Vec<u32> = recs.iter().map(|r| r.weight).collect();
        assert!(weights.windows(2).all(|w| w[0] >= w[1]), "{weights:?}");
    }

    #[test]
    fn every_tone_problem_brings_a_lesson_of_the_curriculum() {
        for kind in anxin_text::tone::ToneProblemKind::ALL {
            let signals = AgentSignals { tone_flags: BTreeMap::from([(kind.as_str().to_owned(), 3)]), ..AgentSignals::default() };
            let recs = recommend(&PlanFacts { signals, ..PlanFacts::default() }, &curriculum(), &scenarios());
            let flagged = |r: &&Recommendation| r.reasons.iter().any(|x| matches!(x, Reason::ToneFlags { .. }));
            assert!(recs.iter().filter(flagged).any(|r| r.kind == PlanItemKind::Lesson), "{kind:?}: {recs:?}");
        }
    }

    #[test]
    fn roleplays_mastered_are_not_recommended_and_failed_ones_are() {
        let mut answers = all_levels(4);
        answers.insert("anxious_customers".into(), 2);
        answers.insert("angry_customers".into(), 2);
        let roleplays = vec![
            RoleplayFact { scenario: "late-delivery-anxiety".into(), outcome: "resolved".into(), overall: Some(82) },
            RoleplayFact { scenario: "price-drop-dispute".into(), outcome: "escalated".into(), overall: Some(40) },
        ];
        let facts = PlanFacts { self_assessment: Some(answers), roleplays, ..PlanFacts::default() };
        let recs = recommend(&facts, &curriculum(), &scenarios());
        assert!(find(&recs, PlanItemKind::Roleplay, "late-delivery-anxiety").is_none(), "mastered");
        assert_eq!(find(&recs, PlanItemKind::Roleplay, "refund-not-arrived").unwrap().reasons.len(), 1, "the area's next scenario");
        let retry = find(&recs, PlanItemKind::Roleplay, "price-drop-dispute").unwrap();
        assert!(retry.reasons.contains(&Reason::RoleplayOutcome { scenario: "price-drop-dispute".into(), outcome: "escalated".into() }));
    }

    #[test]
    fn targets_missing_from_the_curriculum_are_left_out() {
        let facts = PlanFacts {
            quizzes: vec![QuizFact { module: "gone".into(), score: 0.1, missed: BTreeMap::from([("gone-lesson".to_owned(), 3)]) }],
            signals: AgentSignals { tone_flags: BTreeMap::from([("unknown_problem".to_owned(), 9)]), ..AgentSignals::default() },
            ..PlanFacts::default()
        };
        let recs = recommend(&facts, &curriculum(), &[]);
        assert!(recs.iter().all(|r| r.target != "gone" && r.target != "gone-lesson"));
        assert!(recs.iter().all(|r| r.kind != PlanItemKind::Roleplay), "no scenarios, no role-play");
        assert_eq!(recs.iter().map(|r| r.reasons.clone()).collect::<Vec<_>>(), [vec![Reason::Starter], vec![Reason::NotQuizzed { module: "communication".into() }]]);
    }

    #[test]
    fn latest_quiz_per_module_with_missed_lessons() {
        let result = |q: &str, lesson: &str, correct: bool| QuestionResult {
            question: q.into(),
            lesson: lesson.into(),
            chosen: vec!["A".into()],
            correct,
            score: f64::from(u8::from(correct)),
        };
        let attempt = |id: i64, at: i64, module: &str, results: Vec<QuestionResult>| QuizAttempt {
            id,
            user_id: 1,
            module: module.into(),
            score: results.iter().map(|r| r.score).sum::<f64>() / results.len() as f64,
            correct: 0,
            total: results.len() as i64,
            results,
            created_at: at,
        };
        let attempts = vec![
            attempt(1, 10, "communication", vec![result("q-a", "l-a", false), result("q-b", "l-b", false)]),
            attempt(2, 20, "communication", vec![result("q-a", "l-a", true), result("q-b", "l-b", false), result("q-c", "l-b", false)]),
            attempt(3, 15, "conflict-management", vec![result("q-x", "l-x", true)]),
        ];
        let facts = latest_quizzes(&attempts);
        assert_eq!(facts.len(), 2);
        assert_eq!(facts[0].module, "communication");
        assert_eq!(facts[0].missed, BTreeMap::from([("l-b".to_owned(), 2)]));
        assert!((facts[0].score - 1.0 / 3.0).abs() < 1e-9);
        assert!(facts[1].missed.is_empty());
    }

    #[test]
    fn ids_and_assessments_are_checked() {
        for good in ["abc", "comm-q-1", "a".repeat(64).as_str()] {
            assert!(valid_id(good), "{good}");
        }
        for bad in ["ab", "-abc", "abc-", "ABC", "a_b", "a b", "a".repeat(65).as_str(), "中文名"] {
            assert!(!valid_id(bad), "{bad}");
        }
        assert_eq!(check_assessment(&all_levels(3)), Ok(()));
        let mut missing = all_levels(3);
        missing.remove("teamwork");
        assert!(check_assessment(&missing).is_err());
        let mut extra = all_levels(3);
        extra.insert("juggling".into(), 3);
        assert!(check_assessment(&extra).is_err());
        assert!(check_assessment(&all_levels(0)).is_err());
        assert!(check_assessment(&all_levels(6)).is_err());
    }
}
