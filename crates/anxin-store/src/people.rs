//! People at work: each person's availability (online, on a break, offline), the administration of users (role
//! changes, deactivation), and the snapshot the supervisor board shows (queues and waits, agents' availability and
//! load, the conversations that need attention, the emotion mix of the last hour).
//!
//! Every change writes its audit entry (or, for availability, a staff-only event) in its own transaction, like
//! [`crate::ops`].

use anxin_domain::Role;
use anxin_domain::events::EventKind;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::conn::{Conn, Result, StoreError};
use crate::ops::audit;
use crate::records::{CONVERSATION_SELECT, Conversation, Principal, USER_COLUMNS, User};
use crate::{Store, params};

/// Whether a person takes conversations right now. A person without a row is offline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Availability {
    Online,
    Break,
    Offline,
}

impl Availability {
    pub const ALL: [Availability; 3] = [Availability::Online, Availability::Break, Availability::Offline];

    pub fn as_str(self) -> &'static str {
        match self {
            Availability::Online => "online",
            Availability::Break => "break",
            Availability::Offline => "offline",
        }
    }

    pub fn parse(text: &str) -> Option<Availability> {
        Availability::ALL.into_iter().find(|a| a.as_str() == text)
    }
}

/// A person's availability and since when (Unix ms; 0 when they never set it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Presence {
    pub user_id: i64,
    pub state: Availability,
    pub since: i64,
}

/// Open conversations of one team (or of no team: `team_id` `None`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QueueRow {
    pub team_id: Option<i64>,
    pub team_name: Option<String>,
    pub open: i64,
    pub unassigned: i64,
    /// When the longest-waiting unassigned conversation started (Unix ms).
    pub oldest_unassigned_at: Option<i64>,
}

/// A person who can take conversations, with their availability and current load.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AgentRow {
    pub user_id: i64,
    pub name: String,
    pub role: Role,
    pub state: Availability,
    pub since: Option<i64>,
    /// Open conversations assigned to them.
    pub load: i64,
}

/// The emotions of the board's chart, in display order (the text engine's labels).
pub const EMOTIONS: [&str; 5] = ["anger", "anxiety", "disappointment", "neutral", "satisfied"];

/// Counts of customer messages per emotion ([`EMOTIONS`] order) in equal time buckets, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EmotionMix {
    /// Start of the first bucket (Unix ms); bucket `i` covers `[start + i·bucket_ms, start + (i+1)·bucket_ms)`.
    pub start: i64,
    pub bucket_ms: i64,
    pub buckets: Vec<[u32; 5]>,
    pub totals: [u32; 5],
    /// More messages than the board reads were sent in the window; the counts cover the newest ones.
    pub truncated: bool,
}

/// Everything the supervisor board shows, read at one moment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BoardSnapshot {
    pub at: i64,
    pub queues: Vec<QueueRow>,
    pub agents: Vec<AgentRow>,
    /// Open conversations with the strongest risk, intensity or escalation signals first (candidates: the
    /// caller ranks them).
    pub candidates: Vec<Conversation>,
    pub mix: EmotionMix,
}

/// How far back the emotion mix looks, and in how many buckets.
pub const MIX_WINDOW_MS: i64 = 60 * 60 * 1000;
pub const MIX_BUCKETS: usize = 12;
/// Most customer messages the mix reads (the newest of the window); bounds the board's cost on a busy hour.
pub const MIX_LIMIT: i64 = 5000;
/// Most open conversations considered for the "needs attention" list.
const CANDIDATES: i64 = 100;
/// Most people listed on the board.
const MAX_AGENTS: i64 = 500;

/// Buckets `(time, emotion label)` samples into `buckets` equal slices of the `window_ms` ending at `now`
/// (inclusive). Older samples are left out; samples from a clock slightly ahead count in the last bucket;
/// labels outside [`EMOTIONS`] are not counted.
pub fn emotion_mix<'a>(samples: impl IntoIterator<Item = (i64, &'a str)>, now: i64, window_ms: i64, buckets: usize) -> EmotionMix {
    let buckets = buckets.max(1);
    let bucket_ms = (window_ms / buckets as i64).max(1);
    let start = now - bucket_ms * buckets as i64;
    let mut out = vec![[0u32; 5]; buckets];
    let mut totals = [0u32; 5];
    for (at, label) in samples {
        let Some(e) = EMOTIONS.iter().position(|k| *k == label) else { continue };
        if at < start {
            continue;
        }
        let i = (((at - start) / bucket_ms) as usize).min(buckets - 1);
        out[i][e] += 1;
        totals[e] += 1;
    }
    EmotionMix { start, bucket_ms, buckets: out, totals, truncated: false }
}

/// The emotion label inside a stored analysis (`analysis.emotion.label`).
fn emotion_label(analysis: &str) -> Option<String> {
    #[derive(Deserialize)]
    struct Analysis {
        emotion: Emotion,
    }
    #[derive(Deserialize)]
    struct Emotion {
        label: String,
    }
    serde_json::from_str::<Analysis>(analysis).ok().map(|a| a.emotion.label)
}

fn presence_in(c: &mut dyn Conn, org_id: i64, user_id: i64) -> Result<Presence> {
    let row = c.query_opt("SELECT state, since FROM agent_presence WHERE org_id = $1 AND user_id = $2", params![org_id, user_id])?;
    Ok(match row {
        Some(r) => Presence { user_id, state: Availability::parse(&r.text(0)).unwrap_or(Availability::Offline), since: r.int(1) },
        None => Presence { user_id, state: Availability::Offline, since: 0 },
    })
}

fn user_in(c: &mut dyn Conn, org_id: i64, user_id: i64) -> Result<User> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE org_id = $1 AND id = $2");
    Ok(User::from_row(&c.query_one(&sql, params![org_id, user_id])?))
}

/// Sets the availability in the current transaction; emits `presence_changed` when it changed.
pub(crate) fn set_presence(tx: &mut crate::exec::Tx<'_>, org_id: i64, user_id: i64, state: Availability) -> Result<Presence> {
    let before = presence_in(tx.conn, org_id, user_id)?;
    if before.state == state && before.since != 0 {
        return Ok(before);
    }
    let now = tx.now;
    tx.conn.execute(
        "INSERT INTO agent_presence (user_id, org_id, state, since) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (user_id) DO UPDATE SET state = excluded.state, since = excluded.since",
        params![user_id, org_id, state.as_str(), now],
    )?;
    let presence = Presence { user_id, state, since: now };
    if before.state != state {
        tx.emit(org_id, EventKind::PresenceChanged, None, false, json!({ "presence": presence }))?;
    }
    Ok(presence)
}

impl Store {
    // ----- availability -----

    /// A person's availability (offline when never set).
    pub async fn availability(&self, org_id: i64, user_id: i64) -> Result<Presence> {
        self.read(move |c| presence_in(c, org_id, user_id)).await
    }

    /// Everyone's availability in the organisation (people without a row are offline and left out).
    pub async fn availabilities(&self, org_id: i64) -> Result<Vec<Presence>> {
        self.read(move |c| {
            Ok(c.query("SELECT user_id, state, since FROM agent_presence WHERE org_id = $1 ORDER BY user_id", params![org_id])?
                .iter()
                .map(|r| Presence {
                    user_id: r.int(0),
                    state: Availability::parse(&r.text(1)).unwrap_or(Availability::Offline),
                    since: r.int(2),
                })
                .collect())
        })
        .await
    }

    /// Sets a person's own availability; tells the organisation's staff streams when it changed.
    pub async fn set_availability(&self, org_id: i64, user_id: i64, state: Availability) -> Result<Presence> {
        self.write(move |tx| {
            let user = user_in(tx.conn, org_id, user_id)?;
            if !user.active {
                return Err(StoreError::NotFound);
            }
            set_presence(tx, org_id, user_id, state)
        })
        .await
    }

    // ----- user administration -----

    /// Changes a person's role (audited). Nobody changes their own role, so an organisation always keeps the
    /// admin who is doing the changing.
    pub async fn set_user_role(&self, actor: Principal, user_id: i64, role: Role) -> Result<User> {
        self.write(move |tx| {
            let org_id = actor.org_id;
            if actor.user_id == Some(user_id) {
                return Err(StoreError::Conflict("self".into()));
            }
            let before = user_in(tx.conn, org_id, user_id)?;
            if before.role == role {
                return Ok(before);
            }
            tx.conn.execute("UPDATE users SET role = $1 WHERE org_id = $2 AND id = $3", params![role.as_str(), org_id, user_id])?;
            audit(tx, org_id, &actor.audit_name(), "user.role", &format!("user:{user_id}"), json!({"from": before.role, "to": role}))?;
            user_in(tx.conn, org_id, user_id)
        })
        .await
    }

    /// Deactivates (signs out everywhere, sets offline) or reactivates a person (audited). Nobody deactivates
    /// themselves.
    pub async fn set_user_active(&self, actor: Principal, user_id: i64, active: bool) -> Result<User> {
        self.write(move |tx| {
            let org_id = actor.org_id;
            if actor.user_id == Some(user_id) {
                return Err(StoreError::Conflict("self".into()));
            }
            let before = user_in(tx.conn, org_id, user_id)?;
            if before.active == active {
                return Ok(before);
            }
            tx.conn.execute("UPDATE users SET active = $1 WHERE org_id = $2 AND id = $3", params![active, org_id, user_id])?;
            if !active {
                tx.conn.execute("DELETE FROM sessions WHERE user_id = $1", params![user_id])?;
                set_presence(tx, org_id, user_id, Availability::Offline)?;
            }
            let action = if active { "user.reactivate" } else { "user.deactivate" };
            audit(tx, org_id, &actor.audit_name(), action, &format!("user:{user_id}"), json!({}))?;
            user_in(tx.conn, org_id, user_id)
        })
        .await
    }

    // ----- the supervisor board -----

    /// What the supervisor board shows at `now`: bounded reads (open conversations grouped by team, at most
    /// [`MAX_AGENTS`] people, [`CANDIDATES`] conversations and [`MIX_LIMIT`] customer messages).
    pub async fn board_snapshot(&self, org_id: i64, now: i64) -> Result<BoardSnapshot> {
        self.read(move |c| {
            // Queues: every team (even with nothing open), then "no team" when it has open conversations.
            let mut queues: Vec<QueueRow> = c
                .query("SELECT id, name FROM teams WHERE org_id = $1 ORDER BY name, id", params![org_id])?
                .iter()
                .map(|r| QueueRow { team_id: Some(r.int(0)), team_name: Some(r.text(1)), open: 0, unassigned: 0, oldest_unassigned_at: None })
                .collect();
            let grouped = c.query(
                "SELECT team_id, COUNT(*), COUNT(CASE WHEN assignee_id IS NULL THEN 1 END), \
                 MIN(CASE WHEN assignee_id IS NULL THEN created_at END) \
                 FROM conversations WHERE org_id = $1 AND status = 'open' GROUP BY team_id",
                params![org_id],
            )?;
            for r in grouped {
                let team_id = r.opt_int(0);
                let row = match queues.iter_mut().find(|q| q.team_id == team_id && team_id.is_some()) {
                    Some(row) => row,
                    None => {
                        queues.push(QueueRow { team_id: None, team_name: None, open: 0, unassigned: 0, oldest_unassigned_at: None });
                        queues.last_mut().expect("just pushed")
                    }
                };
                row.open += r.int(1);
                row.unassigned += r.int(2);
                row.oldest_unassigned_at = match (row.oldest_unassigned_at, r.opt_int(3)) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
            }

            // People who take conversations, with their availability and load.
            let loads: Vec<(i64, i64)> = c
                .query(
                    "SELECT assignee_id, COUNT(*) FROM conversations WHERE org_id = $1 AND status = 'open' \
                     AND assignee_id IS NOT NULL GROUP BY assignee_id",
                    params![org_id],
                )?
                .iter()
                .map(|r| (r.int(0), r.int(1)))
                .collect();
            let agents = c
                .query(
                    "SELECT u.id, u.display_name, u.role, p.state, p.since FROM users u \
                     LEFT JOIN agent_presence p ON p.user_id = u.id \
                     WHERE u.org_id = $1 AND u.active = 1 ORDER BY u.id LIMIT $2",
                    params![org_id, MAX_AGENTS],
                )?
                .iter()
                .filter_map(|r| {
                    let role = Role::parse(&r.text(2))?;
                    role.can(anxin_domain::Action::Reply).then(|| {
                        let user_id = r.int(0);
                        AgentRow {
                            user_id,
                            name: r.text(1),
                            role,
                            state: r.opt_text(3).and_then(|s| Availability::parse(&s)).unwrap_or(Availability::Offline),
                            since: r.opt_int(4),
                            load: loads.iter().find(|(id, _)| *id == user_id).map_or(0, |(_, n)| *n),
                        }
                    })
                })
                .collect();

            let sql = format!(
                "{CONVERSATION_SELECT} WHERE c.org_id = $1 AND c.status = 'open' \
                 ORDER BY c.risk DESC, c.peak_intensity DESC, c.id DESC LIMIT $2"
            );
            let candidates = c.query(&sql, params![org_id, CANDIDATES])?.iter().map(Conversation::from_row).collect();

            // The emotion mix: the newest customer messages of the last hour (index messages_customer_time).
            let rows = c.query(
                "SELECT created_at, analysis FROM messages WHERE org_id = $1 AND kind = 'customer' AND created_at >= $2 \
                 ORDER BY created_at DESC LIMIT $3",
                params![org_id, now - MIX_WINDOW_MS, MIX_LIMIT],
            )?;
            let truncated = rows.len() as i64 >= MIX_LIMIT;
            let samples: Vec<(i64, String)> =
                rows.iter().filter_map(|r| Some((r.int(0), emotion_label(&r.opt_text(1)?)?))).collect();
            let mut mix = emotion_mix(samples.iter().map(|(at, l)| (*at, l.as_str())), now, MIX_WINDOW_MS, MIX_BUCKETS);
            mix.truncated = truncated;

            Ok(BoardSnapshot { at: now, queues, agents, candidates, mix })
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn availability_spellings() {
        for a in Availability::ALL {
            assert_eq!(Availability::parse(a.as_str()), Some(a));
        }
        assert_eq!(Availability::parse("Online"), None);
        assert_eq!(Availability::parse(""), None);
        assert_eq!(serde_json::to_value(Availability::Break).unwrap(), json!("break"));
    }

    #[test]
    fn mix_buckets_the_last_hour() {
        let now = 10_000_000;
        let min = 60_000;
        let samples = [
            (now, "anger"),                // newest: last bucket
            (now + 5_000, "anger"),        // a clock slightly ahead: last bucket
            (now - 5 * min + 1, "anxiety"), // just inside the last bucket
            (now - 5 * min, "anxiety"),     // the boundary belongs to the later bucket
            (now - 5 * min - 1, "satisfied"), // second to last bucket
            (now - 60 * min, "neutral"),    // the oldest moment of the window: first bucket
            (now - 60 * min - 1, "neutral"), // outside the window
            (now - 30 * min, "boredom"),    // not one of ours
        ];
        let mix = emotion_mix(samples.iter().copied(), now, 60 * min, 12);
        assert_eq!(mix.start, now - 60 * min);
        assert_eq!(mix.bucket_ms, 5 * min);
        assert_eq!(mix.buckets.len(), 12);
        assert_eq!(mix.buckets[11], [2, 2, 0, 0, 0]);
        assert_eq!(mix.buckets[10], [0, 0, 0, 0, 1]);
        assert_eq!(mix.buckets[0], [0, 0, 0, 1, 0]);
        assert_eq!(mix.totals, [2, 2, 0, 1, 1]);
        let counted: u32 = mix.buckets.iter().flatten().sum();
        assert_eq!(counted, mix.totals.iter().sum::<u32>());
    }

    #[test]
    fn labels_come_from_the_stored_analysis() {
        assert_eq!(emotion_label(r#"{"emotion":{"label":"anger","intensity":0.8},"signals":[]}"#).as_deref(), Some("anger"));
        assert_eq!(emotion_label(r#"{"sentiment":{}}"#), None);
        assert_eq!(emotion_label("not json"), None);
    }

    /// A fresh PostgreSQL schema when `ANXIN_TEST_POSTGRES_URL` is set (a set but dead URL fails).
    fn postgres_url() -> Option<String> {
        let url = std::env::var("ANXIN_TEST_POSTGRES_URL").ok().filter(|u| !u.is_empty())?;
        Some(
            std::thread::spawn(move || {
                let mut admin = postgres::Client::connect(&url, postgres::NoTls).expect("ANXIN_TEST_POSTGRES_URL reachable");
                let mut suffix = [0u8; 6];
                getrandom::fill(&mut suffix).unwrap();
                let schema = format!("anxin_people_{}", hex::encode(suffix));
                admin.batch_execute(&format!("CREATE SCHEMA {schema}")).unwrap();
                let sep = if url.contains('?') { '&' } else { '?' };
                format!("{url}{sep}options=-csearch_path%3D{schema}")
            })
            .join()
            .unwrap(),
        )
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn availability_administration_and_board() {
        let dir = tempfile::tempdir().unwrap();
        let mut backends = vec![crate::Backend::Sqlite(dir.path().join("anxin.db"))];
        if let Some(url) = postgres_url() {
            backends.push(crate::Backend::Postgres(url));
        }
        for backend in backends {
            let name = backend.dialect().to_string();
            let store = Store::open(backend).await.unwrap();
            story(&store).await.unwrap_or_else(|e| panic!("{name}: {e}"));
            store.close().await;
        }
    }

    async fn story(store: &Store) -> Result<()> {
        use anxin_domain::input::{MessageBody, Name, Username};
        use anxin_domain::{Action, ChannelKind, ContactKind};
        let org = store.create_organization(Name::parse("n", "店").unwrap(), "shop", "Asia/Shanghai").await?;
        let other = store.create_organization(Name::parse("n", "别家").unwrap(), "other", "UTC").await?;
        let mut ids = Vec::new();
        for (username, role, org_id) in [("boss", Role::Admin, org.id), ("amy", Role::Agent, org.id), ("tia", Role::Trainer, org.id), ("zed", Role::Agent, other.id)] {
            let new = crate::NewUser {
                org_id,
                username: Username::parse(username).unwrap(),
                display_name: Name::parse("n", username).unwrap(),
                role,
                department: None,
                password_hash: "x".into(),
            };
            ids.push(store.create_user(new, None).await?.id);
        }
        let (boss, amy, zed) = (ids[0], ids[1], ids[3]);
        let actor = Principal { org_id: org.id, role: Role::Admin, user_id: Some(boss), name: "boss".into(), csrf_token: None };

        // Availability: offline until set; a change is one staff-only event; setting it again is no change.
        assert_eq!(store.availability(org.id, amy).await?.state, Availability::Offline);
        let head = store.latest_event_id(org.id).await?;
        let set = store.set_availability(org.id, amy, Availability::Online).await?;
        assert_eq!(set.state, Availability::Online);
        assert_eq!(store.set_availability(org.id, amy, Availability::Online).await?.since, set.since);
        let events = store.events_after(org.id, head, 10).await?;
        assert_eq!(events.len(), 1, "{events:?}");
        assert_eq!(events[0].kind, EventKind::PresenceChanged);
        assert!(!events[0].customer_visible);
        assert_eq!(events[0].data["presence"]["state"], "online");
        // Another organisation's person is not found here.
        assert_eq!(store.set_availability(org.id, zed, Availability::Online).await, Err(StoreError::NotFound));

        // Roles and deactivation are audited; nobody changes themselves.
        assert_eq!(store.set_user_role(actor.clone(), boss, Role::Agent).await, Err(StoreError::Conflict("self".into())));
        assert_eq!(store.set_user_active(actor.clone(), boss, false).await, Err(StoreError::Conflict("self".into())));
        assert_eq!(store.set_user_role(actor.clone(), zed, Role::Admin).await, Err(StoreError::NotFound));
        assert_eq!(store.set_user_role(actor.clone(), amy, Role::Supervisor).await?.role, Role::Supervisor);
        store.create_session("t".into(), amy, "c".into(), i64::MAX).await?;
        assert!(!store.set_user_active(actor.clone(), amy, false).await?.active);
        assert_eq!(store.session_principal("t".into(), 0).await, Err(StoreError::NotFound), "signed out");
        assert_eq!(store.availability(org.id, amy).await?.state, Availability::Offline);
        assert_eq!(store.set_availability(org.id, amy, Availability::Online).await, Err(StoreError::NotFound));
        assert!(store.set_user_active(actor.clone(), amy, true).await?.active);
        let actions: Vec<String> = store.audit_log(org.id, None, 10).await?.into_iter().map(|e| e.action).collect();
        assert!(actions.starts_with(&["user.reactivate".into(), "user.deactivate".into(), "user.role".into()]), "{actions:?}");

        // The board: queues, people who take conversations, candidates and the emotion mix.
        let team = store.create_team(org.id, Name::parse("n", "售后").unwrap(), "t".into()).await?;
        let channel = store.create_channel(org.id, ChannelKind::WebChat, Name::parse("n", "web").unwrap(), vec![], "t".into()).await?;
        let analyzer = anxin_text::Analyzer::embedded().unwrap();
        let mut conversation = 0;
        for (visitor, text) in [("v1", "气死我了，再不退款我就去12315投诉！"), ("v2", "你好，请问什么时候发货"), ("v1", "太过分了")] {
            let posted = store
                .post_inbound(crate::InboundMessage {
                    org_id: org.id,
                    channel_id: channel.id,
                    contact: (ContactKind::WebVisitor, visitor.into()),
                    customer_name: None,
                    client_message_id: None,
                    body: MessageBody::parse(text.into(), 1000).unwrap(),
                    analysis: analyzer.analyze_customer_message(text),
                })
                .await?;
            conversation = posted.conversation.id;
        }
        let patch = crate::ConversationPatch { assignee_id: Some(Some(amy)), team_id: Some(Some(team.id)), ..Default::default() };
        store.update_conversation(actor.clone(), conversation, patch).await?;
        store.set_availability(org.id, amy, Availability::Break).await?;

        let board = store.board_snapshot(org.id, crate::now_ms() + 1000).await?;
        assert_eq!(board.queues.len(), 2, "{:?}", board.queues);
        assert_eq!((board.queues[0].team_name.as_deref(), board.queues[0].open, board.queues[0].unassigned), (Some("售后"), 1, 0));
        assert_eq!((board.queues[1].team_id, board.queues[1].open, board.queues[1].unassigned), (None, 1, 1));
        assert!(board.queues[1].oldest_unassigned_at.is_some());
        let people: Vec<(&str, Availability, i64)> = board.agents.iter().map(|a| (a.name.as_str(), a.state, a.load)).collect();
        assert_eq!(people, [("boss", Availability::Offline, 0), ("amy", Availability::Break, 1)], "trainers do not take conversations");
        assert!(board.agents.iter().all(|a| a.role.can(Action::Reply)));
        assert_eq!(board.candidates.len(), 2);
        assert_eq!(board.mix.totals.iter().sum::<u32>(), 3, "{:?}", board.mix);
        assert!(!board.mix.truncated);
        let later = store.board_snapshot(org.id, crate::now_ms() + 2 * MIX_WINDOW_MS).await?;
        assert_eq!(later.mix.totals.iter().sum::<u32>(), 0, "an hour later the mix is empty");
        let elsewhere = store.board_snapshot(other.id, crate::now_ms()).await?;
        assert!(elsewhere.queues.is_empty() && elsewhere.candidates.is_empty());
        assert_eq!(elsewhere.agents.len(), 1);
        Ok(())
    }
}
