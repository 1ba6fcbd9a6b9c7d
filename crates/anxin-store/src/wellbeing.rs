//! Agent wellbeing storage: mood check-ins, self-test results and the private emotion diary (PRODUCT.md §5).
//!
//! Privacy is built into the method signatures:
//! - Private data (diary entries, self-test answers, one's own check-ins) is read and written only through [`Me`],
//!   which is made from the requesting person's own [`Principal`]; every query is `WHERE user_id = me`. No method
//!   takes another person's id for these tables, so no caller can read someone else's diary or answers.
//! - Supervisors get team weather only as aggregates of at least [`MIN_GROUP`] people, computed here (raw moods
//!   never leave this module for them), and individuals' check-ins only where the person chose to share them.
//!   Each such view writes a `wellbeing.view` audit entry per person in the same transaction as the read.
//! - Nothing here is read by any performance score.

use anxin_domain::wellbeing::{
    CheckIn, DEFAULT_SELFTEST_DAYS, DROP_LOOKBACK_MS, DiaryEntry, Instrument, MIN_GROUP, MoodSample, Scored, TeamWeather, WeatherBucket,
    bucketed, latest_weather, sharp_mood_drop,
};
use anxin_domain::{Action, Role};
use serde::Serialize;
use serde_json::json;

use crate::conn::{Conn, Result, Row, StoreError};
use crate::exec::Tx;
use crate::ops::audit;
use crate::records::Principal;
use crate::{Store, params};

/// Migration 4: the wellbeing tables.
pub(crate) const SCHEMA: &str = r#"
CREATE TABLE mood_checkins (
    id {ID},
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    mood BIGINT NOT NULL CHECK (mood BETWEEN 1 AND 5),
    tags TEXT NOT NULL DEFAULT '[]',
    note TEXT,
    shared_with_supervisor BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
CREATE INDEX mood_checkins_user ON mood_checkins(user_id, created_at);
CREATE INDEX mood_checkins_org_time ON mood_checkins(org_id, created_at);
CREATE TABLE selftest_results (
    id {ID},
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    instrument TEXT NOT NULL,
    answers TEXT NOT NULL,
    score BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX selftest_results_user ON selftest_results(user_id, instrument, created_at);
CREATE TABLE diary_entries (
    id {ID},
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    event TEXT NOT NULL,
    belief TEXT,
    consequence TEXT,
    reframe TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX diary_entries_user ON diary_entries(user_id, id);
CREATE TABLE wellbeing_settings (
    org_id BIGINT PRIMARY KEY REFERENCES organizations(id),
    selftest_every_days BIGINT NOT NULL DEFAULT 14,
    updated_at BIGINT NOT NULL
);
"#;

/// The requesting person, for their own private wellbeing data. Only made from their own signed-in
/// [`Principal`] (an API token is no person and has no wellbeing data).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Me {
    org_id: i64,
    user_id: i64,
}

impl Me {
    pub fn of(p: &Principal) -> Option<Me> {
        p.user_id.map(|user_id| Me { org_id: p.org_id, user_id })
    }

    pub fn user_id(&self) -> i64 {
        self.user_id
    }
}

/// One mood check-in, as its author sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MoodCheckIn {
    pub id: i64,
    pub mood: u8,
    pub weather: &'static str,
    pub tags: Vec<String>,
    pub note: Option<String>,
    pub shared_with_supervisor: bool,
    pub created_at: i64,
}

/// The result of saving a check-in: the row, and whether it is a shared sharp drop (a mood of 1, or 2 points
/// below the person's previous shared check-in of the last 7 days) — the hook for a supportive supervisor alert.
/// Never set for a check-in the person did not share.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SavedCheckIn {
    pub checkin: MoodCheckIn,
    pub sharp_drop: bool,
}

/// A shared check-in as a supervisor sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SharedCheckIn {
    pub user_id: i64,
    pub name: String,
    pub mood: u8,
    pub weather: &'static str,
    pub tags: Vec<String>,
    pub note: Option<String>,
    pub created_at: i64,
}

/// One self-test result, for its author only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SelfTestResult {
    pub id: i64,
    pub instrument: String,
    pub answers: Vec<u8>,
    pub score: u32,
    pub created_at: i64,
}

/// One diary entry, for its author only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DiaryRecord {
    pub id: i64,
    pub event: String,
    pub belief: Option<String>,
    pub consequence: Option<String>,
    pub reframe: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Everything the platform holds of one person's wellbeing data (their export).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WellbeingExport {
    pub user_id: i64,
    pub exported_at: i64,
    pub checkins: Vec<MoodCheckIn>,
    pub selftests: Vec<SelfTestResult>,
    pub diary: Vec<DiaryRecord>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct WellbeingSettings {
    pub selftest_every_days: i64,
}

/// Which windows of team weather to compute (times in Unix ms; the caller aligns them to local hours and days).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WeatherWindows {
    pub now: i64,
    /// "Now" is each member's latest check-in since this moment.
    pub now_since: i64,
    pub hours_start: i64,
    pub hours: usize,
    pub days_start: i64,
    pub days: usize,
}

/// A team's weather: aggregates only, each hidden (`None`) below [`MIN_GROUP`] people, beside the team's load.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TeamWeatherReport {
    pub team_id: i64,
    pub team_name: String,
    pub members: usize,
    pub min_group: usize,
    pub now: Option<TeamWeather>,
    pub hourly: Vec<WeatherBucket>,
    pub daily: Vec<WeatherBucket>,
    /// Open conversations assigned to members right now.
    pub open_conversations: i64,
    /// Members online right now.
    pub online: i64,
    /// The members' mean emotional load now (routing's decaying sum of the intensities they handled; 1 ≈ one very
    /// angry customer within the last hour).
    pub mean_emotional_load: f64,
}

const CHECKIN_COLUMNS: &str = "id, mood, tags, note, shared_with_supervisor, created_at";
const SELFTEST_COLUMNS: &str = "id, instrument, answers, score, created_at";
const DIARY_COLUMNS: &str = "id, event, belief, consequence, reframe, created_at, updated_at";
/// Most rows of one kind a list or an export returns.
const MAX_ROWS: i64 = 5000;

fn weather_key(mood: i64) -> &'static str {
    anxin_domain::wellbeing::weather(mood.clamp(1, 5) as u8).key
}

fn checkin_from(r: &Row) -> MoodCheckIn {
    MoodCheckIn {
        id: r.int(0),
        mood: r.int(1).clamp(1, 5) as u8,
        weather: weather_key(r.int(1)),
        tags: serde_json::from_str(&r.text(2)).unwrap_or_default(),
        note: r.opt_text(3),
        shared_with_supervisor: r.int(4) != 0,
        created_at: r.int(5),
    }
}

fn selftest_from(r: &Row) -> SelfTestResult {
    SelfTestResult {
        id: r.int(0),
        instrument: r.text(1),
        answers: serde_json::from_str(&r.text(2)).unwrap_or_default(),
        score: r.int(3).max(0) as u32,
        created_at: r.int(4),
    }
}

fn diary_from(r: &Row) -> DiaryRecord {
    DiaryRecord {
        id: r.int(0),
        event: r.text(1),
        belief: r.opt_text(2),
        consequence: r.opt_text(3),
        reframe: r.opt_text(4),
        created_at: r.int(5),
        updated_at: r.int(6),
    }
}

fn my_checkins_in(c: &mut dyn Conn, me: Me, limit: i64) -> Result<Vec<MoodCheckIn>> {
    let sql = format!("SELECT {CHECKIN_COLUMNS} FROM mood_checkins WHERE org_id = $1 AND user_id = $2 ORDER BY created_at DESC, id DESC LIMIT $3");
    Ok(c.query(&sql, params![me.org_id, me.user_id, limit.clamp(1, MAX_ROWS)])?.iter().map(checkin_from).collect())
}

fn my_selftests_in(c: &mut dyn Conn, me: Me, instrument: Option<&str>, limit: i64) -> Result<Vec<SelfTestResult>> {
    let sql = format!(
        "SELECT {SELFTEST_COLUMNS} FROM selftest_results WHERE org_id = $1 AND user_id = $2 AND ($3 = '' OR instrument = $3) \
         ORDER BY created_at DESC, id DESC LIMIT $4"
    );
    Ok(c.query(&sql, params![me.org_id, me.user_id, instrument.unwrap_or(""), limit.clamp(1, MAX_ROWS)])?.iter().map(selftest_from).collect())
}

fn my_diary_in(c: &mut dyn Conn, me: Me, limit: i64) -> Result<Vec<DiaryRecord>> {
    let sql = format!("SELECT {DIARY_COLUMNS} FROM diary_entries WHERE org_id = $1 AND user_id = $2 ORDER BY created_at DESC, id DESC LIMIT $3");
    Ok(c.query(&sql, params![me.org_id, me.user_id, limit.clamp(1, MAX_ROWS)])?.iter().map(diary_from).collect())
}

fn my_diary_entry_in(c: &mut dyn Conn, me: Me, id: i64) -> Result<DiaryRecord> {
    let sql = format!("SELECT {DIARY_COLUMNS} FROM diary_entries WHERE org_id = $1 AND user_id = $2 AND id = $3");
    Ok(diary_from(&c.query_one(&sql, params![me.org_id, me.user_id, id])?))
}

fn settings_in(c: &mut dyn Conn, org_id: i64) -> Result<WellbeingSettings> {
    let row = c.query_opt("SELECT selftest_every_days FROM wellbeing_settings WHERE org_id = $1", params![org_id])?;
    Ok(WellbeingSettings { selftest_every_days: row.map_or(DEFAULT_SELFTEST_DAYS, |r| r.int(0)) })
}

/// Whether `viewer` may see wellbeing views of `team_id`: admins any team of their organisation, supervisors the
/// teams they belong to. `NotFound` otherwise (also for another organisation's team).
fn team_for_viewer(c: &mut dyn Conn, viewer: &Principal, team_id: i64) -> Result<String> {
    if !viewer.role.can(Action::ViewBoard) {
        return Err(StoreError::NotFound);
    }
    let name = c.query_one("SELECT name FROM teams WHERE org_id = $1 AND id = $2", params![viewer.org_id, team_id])?.text(0);
    if viewer.role == Role::Admin {
        return Ok(name);
    }
    let Some(me) = viewer.user_id else { return Err(StoreError::NotFound) };
    c.query_one("SELECT 1 FROM team_members WHERE team_id = $1 AND user_id = $2", params![team_id, me])?;
    Ok(name)
}

/// Active members of a team.
fn member_ids(c: &mut dyn Conn, org_id: i64, team_id: i64) -> Result<Vec<i64>> {
    Ok(c
        .query(
            "SELECT u.id FROM team_members m JOIN users u ON u.id = m.user_id WHERE m.team_id = $1 AND u.org_id = $2 AND u.active = 1 ORDER BY u.id",
            params![team_id, org_id],
        )?
        .iter()
        .map(|r| r.int(0))
        .collect())
}

/// Shared check-ins of `user_ids` since `since`, with an audit entry per person whose data is returned.
fn shared_of(tx: &mut Tx<'_>, viewer: &Principal, user_ids: &[i64], since: i64) -> Result<Vec<SharedCheckIn>> {
    let mut out = Vec::new();
    for &user_id in user_ids {
        let rows = tx.conn.query(
            "SELECT k.mood, k.tags, k.note, k.created_at, u.display_name FROM mood_checkins k JOIN users u ON u.id = k.user_id \
             WHERE k.org_id = $1 AND k.user_id = $2 AND k.shared_with_supervisor = 1 AND k.created_at >= $3 \
             ORDER BY k.created_at DESC, k.id DESC LIMIT 200",
            params![viewer.org_id, user_id, since],
        )?;
        if rows.is_empty() {
            continue;
        }
        audit(tx, viewer.org_id, &viewer.audit_name(), "wellbeing.view", &format!("user:{user_id}"), json!({"what": "shared_checkins", "count": rows.len()}))?;
        out.extend(rows.iter().map(|r| SharedCheckIn {
            user_id,
            name: r.text(4),
            mood: r.int(0).clamp(1, 5) as u8,
            weather: weather_key(r.int(0)),
            tags: serde_json::from_str(&r.text(1)).unwrap_or_default(),
            note: r.opt_text(2),
            created_at: r.int(3),
        }));
    }
    out.sort_by_key(|c| std::cmp::Reverse(c.created_at));
    Ok(out)
}

impl Store {
    // ----- my own data (author only) -----

    /// Saves my check-in; tells whether it is a shared sharp drop (see [`SavedCheckIn`]).
    pub async fn record_checkin(&self, me: Me, checkin: CheckIn) -> Result<SavedCheckIn> {
        self.write(move |tx| {
            let now = tx.now;
            let previous_shared = if checkin.shared {
                tx.conn
                    .query_opt(
                        "SELECT mood FROM mood_checkins WHERE org_id = $1 AND user_id = $2 AND shared_with_supervisor = 1 AND created_at >= $3 \
                         ORDER BY created_at DESC, id DESC LIMIT 1",
                        params![me.org_id, me.user_id, now - DROP_LOOKBACK_MS],
                    )?
                    .map(|r| r.int(0).clamp(1, 5) as u8)
            } else {
                None
            };
            let tags = serde_json::to_string(&checkin.tags).unwrap_or_else(|_| "[]".into());
            let id = tx
                .conn
                .query_one(
                    "INSERT INTO mood_checkins (org_id, user_id, mood, tags, note, shared_with_supervisor, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                    params![me.org_id, me.user_id, checkin.mood.value() as i64, tags, checkin.note.clone(), checkin.shared, now],
                )?
                .int(0);
            let mood = checkin.mood.value();
            let sharp_drop = checkin.shared && sharp_mood_drop(previous_shared, mood);
            if sharp_drop {
                // Only a check-in the person chose to share reaches their supervisor, and then only as an alert
                // with the mood they shared (never the note).
                crate::routing::raise_alert(tx, me.org_id, me.user_id, "mood_drop", serde_json::json!({ "mood": mood, "checkin_id": id }))?;
            }
            Ok(SavedCheckIn {
                checkin: MoodCheckIn {
                    id,
                    mood,
                    weather: checkin.mood.weather().key,
                    tags: checkin.tags.iter().map(|t| t.to_string()).collect(),
                    note: checkin.note,
                    shared_with_supervisor: checkin.shared,
                    created_at: now,
                },
                sharp_drop,
            })
        })
        .await
    }

    /// My check-ins, newest first.
    pub async fn my_checkins(&self, me: Me, limit: i64) -> Result<Vec<MoodCheckIn>> {
        self.read(move |c| my_checkins_in(c, me, limit)).await
    }

    /// Saves my completed self-test (answers already checked and scored by the instrument).
    pub async fn record_selftest(&self, me: Me, instrument: &'static Instrument, scored: Scored) -> Result<SelfTestResult> {
        self.write(move |tx| {
            let now = tx.now;
            let answers = serde_json::to_string(&scored.answers).unwrap_or_else(|_| "[]".into());
            let id = tx
                .conn
                .query_one(
                    "INSERT INTO selftest_results (org_id, user_id, instrument, answers, score, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                    params![me.org_id, me.user_id, instrument.id, answers, scored.score as i64, now],
                )?
                .int(0);
            Ok(SelfTestResult { id, instrument: instrument.id.to_owned(), answers: scored.answers, score: scored.score, created_at: now })
        })
        .await
    }

    /// My self-test results (of one instrument, or all), newest first.
    pub async fn my_selftests(&self, me: Me, instrument: Option<&'static str>, limit: i64) -> Result<Vec<SelfTestResult>> {
        self.read(move |c| my_selftests_in(c, me, instrument, limit)).await
    }

    /// One of my self-test results; `NotFound` for anyone else's.
    pub async fn my_selftest(&self, me: Me, id: i64) -> Result<SelfTestResult> {
        self.read(move |c| {
            let sql = format!("SELECT {SELFTEST_COLUMNS} FROM selftest_results WHERE org_id = $1 AND user_id = $2 AND id = $3");
            Ok(selftest_from(&c.query_one(&sql, params![me.org_id, me.user_id, id])?))
        })
        .await
    }

    pub async fn create_diary_entry(&self, me: Me, entry: DiaryEntry) -> Result<DiaryRecord> {
        self.write(move |tx| {
            let now = tx.now;
            let id = tx
                .conn
                .query_one(
                    "INSERT INTO diary_entries (org_id, user_id, event, belief, consequence, reframe, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
                    params![me.org_id, me.user_id, entry.event, entry.belief, entry.consequence, entry.reframe, now],
                )?
                .int(0);
            my_diary_entry_in(tx.conn, me, id)
        })
        .await
    }

    /// Replaces one of my entries; `NotFound` for anyone else's.
    pub async fn update_diary_entry(&self, me: Me, id: i64, entry: DiaryEntry) -> Result<DiaryRecord> {
        self.write(move |tx| {
            let now = tx.now;
            let changed = tx.conn.execute(
                "UPDATE diary_entries SET event = $1, belief = $2, consequence = $3, reframe = $4, updated_at = $5 \
                 WHERE org_id = $6 AND user_id = $7 AND id = $8",
                params![entry.event, entry.belief, entry.consequence, entry.reframe, now, me.org_id, me.user_id, id],
            )?;
            if changed == 0 {
                return Err(StoreError::NotFound);
            }
            my_diary_entry_in(tx.conn, me, id)
        })
        .await
    }

    /// Deletes one of my entries for good; `NotFound` for anyone else's.
    pub async fn delete_diary_entry(&self, me: Me, id: i64) -> Result<()> {
        self.write(move |tx| {
            let changed =
                tx.conn.execute("DELETE FROM diary_entries WHERE org_id = $1 AND user_id = $2 AND id = $3", params![me.org_id, me.user_id, id])?;
            if changed == 0 { Err(StoreError::NotFound) } else { Ok(()) }
        })
        .await
    }

    /// My diary, newest first.
    pub async fn my_diary(&self, me: Me, limit: i64) -> Result<Vec<DiaryRecord>> {
        self.read(move |c| my_diary_in(c, me, limit)).await
    }

    /// One of my entries; `NotFound` for anyone else's.
    pub async fn my_diary_entry(&self, me: Me, id: i64) -> Result<DiaryRecord> {
        self.read(move |c| my_diary_entry_in(c, me, id)).await
    }

    /// All my wellbeing data, read at one moment.
    pub async fn export_my_wellbeing(&self, me: Me) -> Result<WellbeingExport> {
        let exported_at = self.now();
        self.read(move |c| {
            Ok(WellbeingExport {
                user_id: me.user_id,
                exported_at,
                checkins: my_checkins_in(c, me, MAX_ROWS)?,
                selftests: my_selftests_in(c, me, None, MAX_ROWS)?,
                diary: my_diary_in(c, me, MAX_ROWS)?,
            })
        })
        .await
    }

    // ----- organisation settings -----

    pub async fn wellbeing_settings(&self, org_id: i64) -> Result<WellbeingSettings> {
        self.read(move |c| settings_in(c, org_id)).await
    }

    /// Sets the self-test schedule (days, already checked by the caller); audited.
    pub async fn set_selftest_schedule(&self, actor: Principal, days: i64) -> Result<WellbeingSettings> {
        self.write(move |tx| {
            let now = tx.now;
            let before = settings_in(tx.conn, actor.org_id)?;
            tx.conn.execute(
                "INSERT INTO wellbeing_settings (org_id, selftest_every_days, updated_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (org_id) DO UPDATE SET selftest_every_days = excluded.selftest_every_days, updated_at = excluded.updated_at",
                params![actor.org_id, days, now],
            )?;
            audit(tx, actor.org_id, &actor.audit_name(), "wellbeing.settings", "wellbeing", json!({"selftest_every_days": {"from": before.selftest_every_days, "to": days}}))?;
            settings_in(tx.conn, actor.org_id)
        })
        .await
    }

    // ----- supervisors: aggregates and shared check-ins only -----

    /// The teams whose wellbeing views `viewer` may open (admins: all; supervisors: their own), as (id, name).
    pub async fn wellbeing_teams(&self, viewer: Principal) -> Result<Vec<(i64, String)>> {
        self.read(move |c| {
            if !viewer.role.can(Action::ViewBoard) {
                return Ok(Vec::new());
            }
            let rows = if viewer.role == Role::Admin {
                c.query("SELECT id, name FROM teams WHERE org_id = $1 ORDER BY name, id", params![viewer.org_id])?
            } else {
                c.query(
                    "SELECT t.id, t.name FROM teams t JOIN team_members m ON m.team_id = t.id WHERE t.org_id = $1 AND m.user_id = $2 ORDER BY t.name, t.id",
                    params![viewer.org_id, viewer.user_id.unwrap_or(0)],
                )?
            };
            Ok(rows.iter().map(|r| (r.int(0), r.text(1))).collect())
        })
        .await
    }

    /// A team's weather: every member's check-ins (shared or not) go into aggregates of at least [`MIN_GROUP`]
    /// people; smaller buckets come back empty. `NotFound` for a team the viewer may not see.
    pub async fn team_weather(&self, viewer: Principal, team_id: i64, w: WeatherWindows) -> Result<TeamWeatherReport> {
        self.read(move |c| {
            let team_name = team_for_viewer(c, &viewer, team_id)?;
            let members = member_ids(c, viewer.org_id, team_id)?;
            let since = w.now_since.min(w.hours_start).min(w.days_start);
            let samples: Vec<MoodSample> = c
                .query(
                    "SELECT k.user_id, k.created_at, k.mood FROM mood_checkins k JOIN team_members m ON m.user_id = k.user_id AND m.team_id = $2 \
                     JOIN users u ON u.id = k.user_id AND u.active = 1 \
                     WHERE k.org_id = $1 AND k.created_at >= $3 AND k.created_at <= $4 ORDER BY k.created_at, k.id LIMIT 100000",
                    params![viewer.org_id, team_id, since, w.now],
                )?
                .iter()
                .map(|r| MoodSample { user_id: r.int(0), at: r.int(1), mood: r.int(2).clamp(1, 5) as u8 })
                .collect();
            let load = c.query_one(
                "SELECT COUNT(*) FROM conversations WHERE org_id = $1 AND status = 'open' \
                 AND assignee_id IN (SELECT user_id FROM team_members WHERE team_id = $2)",
                params![viewer.org_id, team_id],
            )?;
            let online = c.query_one(
                "SELECT COUNT(*) FROM agent_presence WHERE org_id = $1 AND state = 'online' \
                 AND user_id IN (SELECT user_id FROM team_members WHERE team_id = $2)",
                params![viewer.org_id, team_id],
            )?;
            let half_life = anxin_domain::routing::Protection::default().load_half_life_secs;
            let loads: Vec<f64> = c
                .query(
                    "SELECT r.load_value, r.load_at FROM agent_routing r JOIN team_members m ON m.user_id = r.user_id AND m.team_id = $2 \
                     WHERE r.org_id = $1",
                    params![viewer.org_id, team_id],
                )?
                .iter()
                .map(|r| anxin_domain::routing::DecayingLoad { value: r.real(0), at_ms: r.int(1) }.at(w.now, half_life))
                .collect();
            let mean_emotional_load = if members.is_empty() { 0.0 } else { loads.iter().sum::<f64>() / members.len() as f64 };
            Ok(TeamWeatherReport {
                mean_emotional_load: (mean_emotional_load * 100.0).round() / 100.0,
                team_id,
                team_name,
                members: members.len(),
                min_group: MIN_GROUP,
                now: latest_weather(&samples, w.now_since),
                hourly: bucketed(&samples, w.hours_start, 3_600_000, w.hours),
                daily: bucketed(&samples, w.days_start, 86_400_000, w.days),
                open_conversations: load.int(0),
                online: online.int(0),
            })
        })
        .await
    }

    /// Check-ins the team's members chose to share since `since`, newest first; one `wellbeing.view` audit entry
    /// per person shown, committed with the read. `NotFound` for a team the viewer may not see.
    pub async fn team_shared_checkins(&self, viewer: Principal, team_id: i64, since: i64) -> Result<Vec<SharedCheckIn>> {
        self.write(move |tx| {
            team_for_viewer(tx.conn, &viewer, team_id)?;
            let members = member_ids(tx.conn, viewer.org_id, team_id)?;
            shared_of(tx, &viewer, &members, since)
        })
        .await
    }

    /// One person's shared check-ins since `since` (audited as above). Admins see anyone of their organisation,
    /// supervisors the members of their teams; `NotFound` otherwise.
    pub async fn member_shared_checkins(&self, viewer: Principal, user_id: i64, since: i64) -> Result<Vec<SharedCheckIn>> {
        self.write(move |tx| {
            if !viewer.role.can(Action::ViewBoard) {
                return Err(StoreError::NotFound);
            }
            tx.conn.query_one("SELECT 1 FROM users WHERE org_id = $1 AND id = $2", params![viewer.org_id, user_id])?;
            if viewer.role != Role::Admin {
                tx.conn.query_one(
                    "SELECT 1 FROM team_members a JOIN team_members b ON a.team_id = b.team_id WHERE a.user_id = $1 AND b.user_id = $2",
                    params![viewer.user_id.unwrap_or(0), user_id],
                )?;
            }
            shared_of(tx, &viewer, &[user_id], since)
        })
        .await
    }
}
