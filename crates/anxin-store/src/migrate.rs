//! Schema migrations, applied automatically at start-up. The schema is written once; `{ID}` and `{REAL}` become
//! each backend's spelling. With PostgreSQL an advisory lock keeps two nodes from migrating at once.

use crate::conn::{Conn, Dialect, Result};

/// (version, schema). Append only: a released migration is never edited.
const MIGRATIONS: &[(i64, &str)] = &[(1, V1), (2, V2), (3, V3), (4, crate::wellbeing::SCHEMA), (5, crate::complaints::SCHEMA), (6, crate::sla::SCHEMA), (7, crate::feedback::SCHEMA), (8, crate::knowledge::SCHEMA), (9, crate::knowledge::SCHEMA_V9), (10, crate::roleplay::SCHEMA), (11, crate::training::SCHEMA)];

const V1: &str = r#"
CREATE TABLE organizations (
    id {ID},
    name TEXT NOT NULL,
    slug TEXT NOT NULL UNIQUE,
    timezone TEXT NOT NULL,
    settings TEXT NOT NULL DEFAULT '{}',
    event_seq BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
CREATE TABLE server_secrets (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE users (
    id {ID},
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    username TEXT NOT NULL,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL,
    department TEXT,
    password_hash TEXT NOT NULL,
    active BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    CONSTRAINT users_username_key UNIQUE (username)
);
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id),
    csrf_token TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);
CREATE TABLE api_tokens (
    id {ID},
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    created_by BIGINT REFERENCES users(id),
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE TABLE teams (
    id {ID},
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    CONSTRAINT teams_name_key UNIQUE (org_id, name)
);
CREATE TABLE team_members (
    team_id BIGINT NOT NULL REFERENCES teams(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    PRIMARY KEY (team_id, user_id)
);
CREATE TABLE channels (
    id {ID},
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    public_key TEXT NOT NULL UNIQUE,
    allowed_origins TEXT NOT NULL DEFAULT '[]',
    created_at BIGINT NOT NULL
);
CREATE TABLE customers (
    id {ID},
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX customers_org ON customers(org_id, id);
CREATE TABLE contact_points (
    id {ID},
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    customer_id BIGINT NOT NULL REFERENCES customers(id),
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    CONSTRAINT contact_points_value_key UNIQUE (org_id, kind, value)
);
CREATE INDEX contact_points_customer ON contact_points(customer_id);
CREATE TABLE conversations (
    id {ID},
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    channel_id BIGINT NOT NULL REFERENCES channels(id),
    customer_id BIGINT NOT NULL REFERENCES customers(id),
    status TEXT NOT NULL,
    assignee_id BIGINT REFERENCES users(id),
    team_id BIGINT REFERENCES teams(id),
    priority TEXT NOT NULL,
    labels TEXT NOT NULL DEFAULT '[]',
    emotion TEXT,
    intensity {REAL} NOT NULL DEFAULT 0,
    peak_intensity {REAL} NOT NULL DEFAULT 0,
    complaint_type TEXT,
    signals TEXT NOT NULL DEFAULT '[]',
    risk {REAL} NOT NULL DEFAULT 0,
    trajectory TEXT NOT NULL DEFAULT 'stable',
    state TEXT NOT NULL DEFAULT '{}',
    message_count BIGINT NOT NULL DEFAULT 0,
    preview TEXT NOT NULL DEFAULT '',
    last_message_at BIGINT NOT NULL,
    customer_read_id BIGINT NOT NULL DEFAULT 0,
    agent_read_id BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    resolved_at BIGINT
);
CREATE INDEX conversations_inbox ON conversations(org_id, status, last_message_at);
CREATE INDEX conversations_customer ON conversations(customer_id, channel_id, status);
CREATE TABLE messages (
    id {ID},
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    conversation_id BIGINT NOT NULL REFERENCES conversations(id),
    kind TEXT NOT NULL,
    author_user_id BIGINT REFERENCES users(id),
    sender_key TEXT NOT NULL,
    client_message_id TEXT,
    body TEXT NOT NULL,
    analysis TEXT,
    created_at BIGINT NOT NULL,
    CONSTRAINT messages_idempotency_key UNIQUE (org_id, sender_key, client_message_id)
);
CREATE INDEX messages_conversation ON messages(conversation_id, id);
CREATE TABLE events (
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    seq BIGINT NOT NULL,
    kind TEXT NOT NULL,
    conversation_id BIGINT,
    customer_visible BIGINT NOT NULL,
    data TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, seq)
);
CREATE INDEX events_conversation ON events(conversation_id, seq);
CREATE TABLE audit_log (
    id {ID},
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    details TEXT NOT NULL DEFAULT '{}',
    created_at BIGINT NOT NULL
);
CREATE INDEX audit_log_org ON audit_log(org_id, id);
"#;

/// Agents' availability (one row per person, absent = offline), and the index the supervisor board's emotion mix
/// reads: customer messages of an organisation by time.
const V2: &str = r#"
CREATE TABLE agent_presence (
    user_id BIGINT PRIMARY KEY REFERENCES users(id),
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    state TEXT NOT NULL,
    since BIGINT NOT NULL
);
CREATE INDEX agent_presence_org ON agent_presence(org_id);
CREATE INDEX messages_customer_time ON messages(org_id, created_at) WHERE kind = 'customer';
"#;

/// Emotion-aware routing: each person's routing profile and protection state, per-team routing settings, what a
/// conversation's routing needs to know (peak anger, since when it waits, whether it counted in its agent's hostile
/// streak), and supervisor alerts.
const V3: &str = r#"
CREATE TABLE agent_routing (
    user_id BIGINT PRIMARY KEY REFERENCES users(id),
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    capacity BIGINT NOT NULL DEFAULT 3,
    experience BIGINT NOT NULL DEFAULT 1,
    languages TEXT NOT NULL DEFAULT '["zh-Hans","zh-Hant","en"]',
    skills TEXT NOT NULL DEFAULT '[]',
    triggers TEXT NOT NULL DEFAULT '[]',
    channels TEXT NOT NULL DEFAULT '["web_chat","email","api"]',
    hostile_streak BIGINT NOT NULL DEFAULT 0,
    load_value {REAL} NOT NULL DEFAULT 0,
    load_at BIGINT NOT NULL DEFAULT 0,
    cooldown_started_at BIGINT NOT NULL DEFAULT 0,
    cooldown_until BIGINT NOT NULL DEFAULT 0,
    last_assigned_at BIGINT NOT NULL DEFAULT 0,
    calm_until BIGINT NOT NULL DEFAULT 0,
    updated_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX agent_routing_org ON agent_routing(org_id);
ALTER TABLE teams ADD COLUMN routing TEXT;
ALTER TABLE conversations ADD COLUMN peak_anger {REAL} NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN waiting_since BIGINT;
ALTER TABLE conversations ADD COLUMN language TEXT;
ALTER TABLE conversations ADD COLUMN hostile_counted BIGINT NOT NULL DEFAULT 0;
CREATE INDEX conversations_waiting ON conversations(org_id, waiting_since) WHERE waiting_since IS NOT NULL;
UPDATE conversations SET waiting_since = last_message_at WHERE assignee_id IS NULL AND status <> 'resolved';
CREATE TABLE alerts (
    id {ID},
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    kind TEXT NOT NULL,
    details TEXT NOT NULL DEFAULT '{}',
    created_at BIGINT NOT NULL,
    acknowledged_by BIGINT REFERENCES users(id),
    acknowledged_at BIGINT,
    action TEXT
);
CREATE INDEX alerts_org_open ON alerts(org_id, acknowledged_at, id);
"#;

fn render(sql: &str, dialect: Dialect) -> String {
    let (id, real) = match dialect {
        Dialect::Sqlite => ("INTEGER PRIMARY KEY AUTOINCREMENT", "REAL"),
        Dialect::Postgres => ("BIGSERIAL PRIMARY KEY", "DOUBLE PRECISION"),
    };
    sql.replace("{ID}", id).replace("{REAL}", real)
}

/// Brings the schema up to date; returns the versions it applied.
pub fn migrate(conn: &mut dyn Conn, now_ms: i64) -> Result<Vec<i64>> {
    let dialect = conn.dialect();
    conn.batch("CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)")?;
    let mut applied = Vec::new();
    if dialect == Dialect::Postgres {
        conn.batch("SELECT pg_advisory_lock(4242001)")?;
    }
    let result = (|| {
        for &(version, sql) in MIGRATIONS {
            let done = conn.query_opt("SELECT version FROM schema_migrations WHERE version = $1", crate::params![version])?;
            if done.is_some() {
                continue;
            }
            conn.batch("BEGIN")?;
            let step = conn.batch(&render(sql, dialect)).and_then(|_| {
                conn.execute("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)", crate::params![version, now_ms])
            });
            match step {
                Ok(_) => conn.batch("COMMIT")?,
                Err(e) => {
                    let _ = conn.batch("ROLLBACK");
                    return Err(e);
                }
            }
            applied.push(version);
        }
        Ok(())
    })();
    if dialect == Dialect::Postgres {
        conn.batch("SELECT pg_advisory_unlock(4242001)")?;
    }
    result.map(|_| applied)
}
