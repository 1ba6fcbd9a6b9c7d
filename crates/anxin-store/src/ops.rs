//! The domain-level operations, each a method of [`Store`]: reads run on reader connections, writes in the
//! writer's group-committed transactions with their events and audit entries.

use anxin_domain::events::EventKind;
use anxin_domain::input::{ClientMessageId, Labels, MessageBody, Name, Username};
use anxin_domain::{ChannelKind, ContactKind, ConversationStatus, MessageKind, Priority, Role};
use anxin_text::MessageAnalysis;
use anxin_text::conversation::ConversationState;
use serde_json::{Value, json};

use crate::conn::{Conn, Result, StoreError};
use crate::exec::Tx;
use crate::records::*;
use crate::{Store, params};

/// Inbox previews keep this many characters.
const PREVIEW_CHARS: usize = 80;

/// Which writer handles a customer or a conversation (stable within a process).
fn key_of(value: &impl std::hash::Hash) -> u64 {
    use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
    BuildHasherDefault::<DefaultHasher>::default().hash_one(value)
}

fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).expect("system randomness");
    hex::encode(buf)
}

/// Scores are f32 in the engine; stored rounded so the API does not show float noise (0.535, not 0.5350000262).
fn r3(v: f32) -> f64 {
    (v as f64 * 1000.0).round() / 1000.0
}

fn preview(text: &str) -> String {
    text.chars().take(PREVIEW_CHARS).collect()
}

/// Writes an audit entry in the current transaction.
pub fn audit(tx: &mut Tx<'_>, org_id: i64, actor: &str, action: &str, target: &str, details: Value) -> Result<()> {
    let now = tx.now;
    tx.conn.execute(
        "INSERT INTO audit_log (org_id, actor, action, target, details, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        params![org_id, actor, action, target, details.to_string(), now],
    )?;
    Ok(())
}

pub(crate) fn conversation_in(c: &mut dyn Conn, org_id: i64, id: i64) -> Result<Conversation> {
    let sql = format!("{} WHERE c.org_id = $1 AND c.id = $2", crate::records::CONVERSATION_SELECT);
    Ok(Conversation::from_row(&c.query_one(&sql, params![org_id, id])?))
}

fn message_by_id(c: &mut dyn Conn, id: i64) -> Result<Message> {
    let sql = format!("SELECT {MESSAGE_COLUMNS} FROM messages WHERE id = $1");
    Ok(Message::from_row(&c.query_one(&sql, params![id])?))
}

fn replay(c: &mut dyn Conn, org_id: i64, sender_key: &str, client_id: &Option<ClientMessageId>) -> Result<Option<Posted>> {
    let Some(client_id) = client_id else { return Ok(None) };
    let sql = format!("SELECT {MESSAGE_COLUMNS} FROM messages WHERE org_id = $1 AND sender_key = $2 AND client_message_id = $3");
    let Some(row) = c.query_opt(&sql, params![org_id, sender_key, client_id.as_str()])? else { return Ok(None) };
    let message = Message::from_row(&row);
    let conversation = conversation_in(c, org_id, message.conversation_id)?;
    Ok(Some(Posted { message, conversation, replayed: true }))
}

fn message_event(tx: &mut Tx<'_>, org_id: i64, message: &Message) -> Result<()> {
    let data = json!({ "message": message });
    tx.emit(org_id, EventKind::MessageCreated, Some(message.conversation_id), message.kind.customer_visible(), data)?;
    Ok(())
}

fn conversation_event(tx: &mut Tx<'_>, org_id: i64, kind: EventKind, conversation: &Conversation) -> Result<()> {
    tx.emit(org_id, kind, Some(conversation.id), true, json!({ "conversation": conversation }))?;
    Ok(())
}

/// A message from a customer, as it arrives on a channel.
#[derive(Debug, Clone)]
pub struct InboundMessage {
    pub org_id: i64,
    pub channel_id: i64,
    /// How the customer is recognised on this channel (visitor id, email address, external id …).
    pub contact: (ContactKind, String),
    /// Name for a customer seen for the first time.
    pub customer_name: Option<String>,
    pub client_message_id: Option<ClientMessageId>,
    pub body: MessageBody,
    pub analysis: MessageAnalysis,
}

/// Changes to a conversation; `None` leaves a field alone, `Some(None)` clears an optional one.
#[derive(Debug, Clone, Default)]
pub struct ConversationPatch {
    pub status: Option<ConversationStatus>,
    pub assignee_id: Option<Option<i64>>,
    pub team_id: Option<Option<i64>>,
    pub priority: Option<Priority>,
    pub labels: Option<Labels>,
}

/// Which conversations an inbox shows.
#[derive(Debug, Clone, Default)]
pub struct ConversationFilter {
    pub status: Option<ConversationStatus>,
    /// `Some(None)`: unassigned only.
    pub assignee_id: Option<Option<i64>>,
    pub team_id: Option<i64>,
    /// Any of these teams ("my teams"); an empty list matches nothing.
    pub team_ids: Option<Vec<i64>>,
    pub customer_id: Option<i64>,
    /// The customer's current emotion (`anger`, …).
    pub emotion: Option<String>,
    pub complaint_type: Option<String>,
    /// Complaint risk at least this (0–1).
    pub min_risk: Option<f64>,
    /// Keyset cursor: conversations strictly older than (last_message_at, id).
    pub before: Option<(i64, i64)>,
    pub limit: i64,
}

/// A person to add (the password already hashed by the caller).
#[derive(Debug, Clone)]
pub struct NewUser {
    pub org_id: i64,
    pub username: Username,
    pub display_name: Name,
    pub role: Role,
    pub department: Option<String>,
    pub password_hash: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reader {
    Customer,
    Agent,
}

impl Store {
    // ----- organisations, secrets -----

    pub async fn create_organization(&self, name: Name, slug: &str, timezone: &str) -> Result<Organization> {
        let (slug, timezone) = (slug.to_owned(), timezone.to_owned());
        self.write(move |tx| {
            let now = tx.now;
            let id = tx
                .conn
                .query_one(
                    "INSERT INTO organizations (name, slug, timezone, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
                    params![name.as_str(), &slug, &timezone, now],
                )?
                .int(0);
            Ok(Organization { id, name: name.into_string(), slug, timezone, settings: json!({}), created_at: now })
        })
        .await
    }

    pub async fn organizations(&self) -> Result<Vec<Organization>> {
        self.read(|c| Ok(c.query(&format!("{ORG_SELECT} ORDER BY id"), &[])?.iter().map(organization_from).collect())).await
    }

    pub async fn organization(&self, org_id: i64) -> Result<Organization> {
        self.read(move |c| Ok(organization_from(&c.query_one(&format!("{ORG_SELECT} WHERE id = $1"), params![org_id])?))).await
    }

    /// Renames the organisation, changes its time zone, or replaces its settings object.
    pub async fn update_organization(
        &self,
        actor: Principal,
        name: Option<Name>,
        timezone: Option<String>,
        settings: Option<Value>,
    ) -> Result<Organization> {
        self.write(move |tx| {
            let org_id = actor.org_id;
            let mut changes = serde_json::Map::new();
            if let Some(name) = &name {
                tx.conn.execute("UPDATE organizations SET name = $1 WHERE id = $2", params![name.as_str(), org_id])?;
                changes.insert("name".into(), json!(name.as_str()));
            }
            if let Some(tz) = &timezone {
                tx.conn.execute("UPDATE organizations SET timezone = $1 WHERE id = $2", params![tz, org_id])?;
                changes.insert("timezone".into(), json!(tz));
            }
            if let Some(settings) = &settings {
                tx.conn.execute("UPDATE organizations SET settings = $1 WHERE id = $2", params![settings.to_string(), org_id])?;
                changes.insert("settings".into(), settings.clone());
            }
            if !changes.is_empty() {
                audit(tx, org_id, &actor.audit_name(), "organization.update", &format!("organization:{org_id}"), Value::Object(changes))?;
            }
            Ok(organization_from(&tx.conn.query_one(&format!("{ORG_SELECT} WHERE id = $1"), params![org_id])?))
        })
        .await
    }

    /// A server-wide secret (e.g. the widget token key), created once and shared by every node.
    pub async fn secret(&self, name: &str) -> Result<Vec<u8>> {
        let name = name.to_owned();
        let candidate = random_hex(32);
        let value = self
            .write(move |tx| {
                tx.conn.execute(
                    "INSERT INTO server_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
                    params![&name, &candidate],
                )?;
                Ok(tx.conn.query_one("SELECT value FROM server_secrets WHERE name = $1", params![&name])?.text(0))
            })
            .await?;
        hex::decode(value).map_err(|e| StoreError::Internal(e.to_string()))
    }

    // ----- users, sessions, tokens -----

    pub async fn create_user(&self, new: NewUser, actor: Option<String>) -> Result<User> {
        let NewUser { org_id, username, display_name, role, department, password_hash } = new;
        self.write(move |tx| {
            let now = tx.now;
            let row = tx.conn.query_one(
                &format!(
                    "INSERT INTO users (org_id, username, display_name, role, department, password_hash, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {}",
                    crate::records::USER_COLUMNS
                ),
                params![org_id, username.as_str(), display_name.as_str(), role.as_str(), department, password_hash, now],
            )?;
            let user = User::from_row(&row);
            let actor = actor.unwrap_or_else(|| "system".into());
            audit(tx, org_id, &actor, "user.create", &format!("user:{}", user.id), json!({"username": user.username, "role": role}))?;
            Ok(user)
        })
        .await
    }

    /// The user and their password hash, for sign-in (usernames are unique across the server).
    pub async fn user_for_login(&self, username: &str) -> Result<(User, String)> {
        let username = username.to_owned();
        self.read(move |c| {
            let sql = format!("SELECT {}, password_hash FROM users WHERE username = $1", crate::records::USER_COLUMNS);
            let row = c.query_one(&sql, params![&username])?;
            Ok((User::from_row(&row), row.text(8)))
        })
        .await
    }

    pub async fn user(&self, org_id: i64, id: i64) -> Result<User> {
        self.read(move |c| {
            let sql = format!("SELECT {} FROM users WHERE org_id = $1 AND id = $2", crate::records::USER_COLUMNS);
            Ok(User::from_row(&c.query_one(&sql, params![org_id, id])?))
        })
        .await
    }

    pub async fn users(&self, org_id: i64) -> Result<Vec<User>> {
        self.read(move |c| {
            let sql = format!("SELECT {} FROM users WHERE org_id = $1 ORDER BY id", crate::records::USER_COLUMNS);
            Ok(c.query(&sql, params![org_id])?.iter().map(User::from_row).collect())
        })
        .await
    }

    pub async fn create_session(&self, token_hash: String, user_id: i64, csrf_token: String, expires_at: i64) -> Result<()> {
        self.write(move |tx| {
            let now = tx.now;
            tx.conn.execute(
                "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
                params![token_hash, user_id, csrf_token, now, expires_at],
            )?;
            Ok(())
        })
        .await
    }

    /// The signed-in person behind a session cookie, if the session is live and the user active.
    pub async fn session_principal(&self, token_hash: String, now: i64) -> Result<Principal> {
        self.read(move |c| {
            let row = c.query_one(
                "SELECT u.id, u.org_id, u.role, u.display_name, s.csrf_token FROM sessions s JOIN users u ON u.id = s.user_id \
                 WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.active = 1",
                params![&token_hash, now],
            )?;
            Ok(Principal {
                org_id: row.int(1),
                role: Role::parse(&row.text(2)).unwrap_or(Role::Agent),
                user_id: Some(row.int(0)),
                name: row.text(3),
                csrf_token: Some(row.text(4)),
            })
        })
        .await
    }

    pub async fn delete_session(&self, token_hash: String) -> Result<()> {
        self.write(move |tx| tx.conn.execute("DELETE FROM sessions WHERE token_hash = $1", params![token_hash]).map(|_| ())).await
    }

    pub async fn create_api_token(&self, org_id: i64, name: Name, token_hash: String, role: Role, actor: Principal) -> Result<i64> {
        self.write(move |tx| {
            let now = tx.now;
            let id = tx
                .conn
                .query_one(
                    "INSERT INTO api_tokens (org_id, name, token_hash, role, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                    params![org_id, name.as_str(), token_hash, role.as_str(), actor.user_id, now],
                )?
                .int(0);
            audit(tx, org_id, &actor.audit_name(), "api_token.create", &format!("api_token:{id}"), json!({"name": name.as_str(), "role": role}))?;
            Ok(id)
        })
        .await
    }

    pub async fn token_principal(&self, token_hash: String) -> Result<Principal> {
        self.read(move |c| {
            let row = c.query_one(
                "SELECT org_id, role, name, id FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL",
                params![&token_hash],
            )?;
            Ok(Principal {
                org_id: row.int(0),
                role: Role::parse(&row.text(1)).unwrap_or(Role::Agent),
                user_id: None,
                name: format!("{}#{}", row.text(2), row.int(3)),
                csrf_token: None,
            })
        })
        .await
    }

    // ----- teams, channels -----

    pub async fn create_team(&self, org_id: i64, name: Name, actor: String) -> Result<Team> {
        self.write(move |tx| {
            let now = tx.now;
            let id = tx
                .conn
                .query_one("INSERT INTO teams (org_id, name, created_at) VALUES ($1, $2, $3) RETURNING id", params![org_id, name.as_str(), now])?
                .int(0);
            audit(tx, org_id, &actor, "team.create", &format!("team:{id}"), json!({"name": name.as_str()}))?;
            Ok(Team { id, name: name.into_string(), member_ids: Vec::new() })
        })
        .await
    }

    pub async fn add_team_member(&self, org_id: i64, team_id: i64, user_id: i64, actor: String) -> Result<()> {
        self.write(move |tx| {
            tx.conn.query_one("SELECT id FROM teams WHERE org_id = $1 AND id = $2", params![org_id, team_id])?;
            tx.conn.query_one("SELECT id FROM users WHERE org_id = $1 AND id = $2", params![org_id, user_id])?;
            tx.conn.execute(
                "INSERT INTO team_members (team_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                params![team_id, user_id],
            )?;
            audit(tx, org_id, &actor, "team.add_member", &format!("team:{team_id}"), json!({"user_id": user_id}))
        })
        .await
    }

    pub async fn teams(&self, org_id: i64) -> Result<Vec<Team>> {
        self.read(move |c| {
            let mut teams: Vec<Team> = c
                .query("SELECT id, name FROM teams WHERE org_id = $1 ORDER BY id", params![org_id])?
                .iter()
                .map(|r| Team { id: r.int(0), name: r.text(1), member_ids: Vec::new() })
                .collect();
            for r in c.query(
                "SELECT m.team_id, m.user_id FROM team_members m JOIN teams t ON t.id = m.team_id WHERE t.org_id = $1 ORDER BY m.user_id",
                params![org_id],
            )? {
                if let Some(team) = teams.iter_mut().find(|t| t.id == r.int(0)) {
                    team.member_ids.push(r.int(1));
                }
            }
            Ok(teams)
        })
        .await
    }

    pub async fn create_channel(&self, org_id: i64, kind: ChannelKind, name: Name, allowed_origins: Vec<String>, actor: String) -> Result<Channel> {
        let public_key = format!("ch_{}", random_hex(12));
        self.write(move |tx| {
            let now = tx.now;
            let origins = serde_json::to_string(&allowed_origins).expect("strings serialise");
            let row = tx.conn.query_one(
                &format!(
                    "INSERT INTO channels (org_id, kind, name, public_key, allowed_origins, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING {}",
                    crate::records::CHANNEL_COLUMNS
                ),
                params![org_id, kind.as_str(), name.as_str(), public_key, origins, now],
            )?;
            let channel = Channel::from_row(&row);
            audit(tx, org_id, &actor, "channel.create", &format!("channel:{}", channel.id), json!({"kind": kind, "name": channel.name}))?;
            Ok(channel)
        })
        .await
    }

    pub async fn channels(&self, org_id: i64) -> Result<Vec<Channel>> {
        self.read(move |c| {
            let sql = format!("SELECT {} FROM channels WHERE org_id = $1 ORDER BY id", crate::records::CHANNEL_COLUMNS);
            Ok(c.query(&sql, params![org_id])?.iter().map(Channel::from_row).collect())
        })
        .await
    }

    pub async fn channel(&self, org_id: i64, id: i64) -> Result<Channel> {
        self.read(move |c| {
            let sql = format!("SELECT {} FROM channels WHERE org_id = $1 AND id = $2", crate::records::CHANNEL_COLUMNS);
            Ok(Channel::from_row(&c.query_one(&sql, params![org_id, id])?))
        })
        .await
    }

    /// The channel a widget `<script>` tag names.
    pub async fn channel_by_public_key(&self, public_key: String) -> Result<Channel> {
        self.read(move |c| {
            let sql = format!("SELECT {} FROM channels WHERE public_key = $1", crate::records::CHANNEL_COLUMNS);
            Ok(Channel::from_row(&c.query_one(&sql, params![&public_key])?))
        })
        .await
    }

    // ----- customers -----

    pub async fn customers(&self, org_id: i64, after_id: i64, limit: i64) -> Result<Vec<Customer>> {
        self.read(move |c| {
            let ids: Vec<i64> = c
                .query("SELECT id FROM customers WHERE org_id = $1 AND id > $2 ORDER BY id LIMIT $3", params![org_id, after_id, limit])?
                .iter()
                .map(|r| r.int(0))
                .collect();
            ids.into_iter().map(|id| customer_in(c, org_id, id)).collect()
        })
        .await
    }

    pub async fn customer(&self, org_id: i64, id: i64) -> Result<Customer> {
        self.read(move |c| customer_in(c, org_id, id)).await
    }

    /// A customer with contact points (e.g. imported from a shop); a contact point already taken is a conflict.
    pub async fn create_customer(&self, org_id: i64, name: Name, contacts: Vec<(ContactKind, String)>, actor: String) -> Result<Customer> {
        self.write(move |tx| {
            let id = insert_customer(tx, org_id, name.as_str())?;
            for (kind, value) in &contacts {
                tx.conn.execute(
                    "INSERT INTO contact_points (org_id, customer_id, kind, value) VALUES ($1, $2, $3, $4)",
                    params![org_id, id, kind.as_str(), value],
                )?;
            }
            audit(tx, org_id, &actor, "customer.create", &format!("customer:{id}"), json!({}))?;
            customer_in(tx.conn, org_id, id)
        })
        .await
    }

    // ----- conversations and messages -----

    /// Stores a customer's message (idempotent on the client message id), joins it to the customer's open
    /// conversation on the channel or opens one, folds its analysis into the conversation, and emits events.
    pub async fn post_inbound(&self, m: InboundMessage) -> Result<Posted> {
        let key = key_of(&(m.org_id, m.contact.0.as_str(), &m.contact.1));
        let retry = m.clone();
        match self.write_keyed(key, move |tx| post_inbound(tx, m)).await {
            // Two nodes (PostgreSQL) raced on the same idempotency key or crossed on rows; the second attempt sees
            // the first one's row and answers from it.
            Err(StoreError::Conflict(_)) => self.write_keyed(key, move |tx| post_inbound(tx, retry)).await,
            other => other,
        }
    }

    /// A reply or internal note from staff (idempotent per author and client message id).
    pub async fn post_staff_message(
        &self,
        actor: Principal,
        conversation_id: i64,
        kind: MessageKind,
        client_message_id: Option<ClientMessageId>,
        body: MessageBody,
    ) -> Result<Posted> {
        debug_assert!(matches!(kind, MessageKind::Agent | MessageKind::Note | MessageKind::System));
        self.write_keyed(key_of(&conversation_id), move |tx| {
            let org_id = actor.org_id;
            let sender_key = actor.audit_name();
            if let Some(posted) = replay(tx.conn, org_id, &sender_key, &client_message_id)? {
                if posted.message.conversation_id != conversation_id {
                    return Err(StoreError::Conflict("client_message_id was used for another conversation".into()));
                }
                return Ok(posted);
            }
            conversation_in(tx.conn, org_id, conversation_id)?;
            let now = tx.now;
            let id = tx
                .conn
                .query_one(
                    "INSERT INTO messages (org_id, conversation_id, kind, author_user_id, sender_key, client_message_id, body, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
                    params![
                        org_id,
                        conversation_id,
                        kind.as_str(),
                        actor.user_id,
                        &sender_key,
                        client_message_id.as_ref().map(|c| c.as_str()),
                        body.as_str(),
                        now
                    ],
                )?
                .int(0);
            if kind.customer_visible() {
                tx.conn.execute(
                    "UPDATE conversations SET message_count = message_count + 1, preview = $1, last_message_at = $2, updated_at = $2, \
                     agent_read_id = $3 WHERE id = $4",
                    params![preview(body.as_str()), now, id, conversation_id],
                )?;
            } else {
                tx.conn.execute(
                    "UPDATE conversations SET message_count = message_count + 1, updated_at = $1 WHERE id = $2",
                    params![now, conversation_id],
                )?;
            }
            if kind == MessageKind::Agent {
                crate::sla::on_agent_reply(tx, org_id, conversation_id)?;
            }
            let message = message_by_id(tx.conn, id)?;
            let conversation = conversation_in(tx.conn, org_id, conversation_id)?;
            message_event(tx, org_id, &message)?;
            conversation_event(tx, org_id, EventKind::ConversationUpdated, &conversation)?;
            Ok(Posted { message, conversation, replayed: false })
        })
        .await
    }

    pub async fn update_conversation(&self, actor: Principal, conversation_id: i64, patch: ConversationPatch) -> Result<Conversation> {
        self.write_keyed(key_of(&conversation_id), move |tx| {
            let org_id = actor.org_id;
            let before = conversation_in(tx.conn, org_id, conversation_id)?;
            let now = tx.now;
            let mut changes = serde_json::Map::new();
            if let Some(Some(user)) = patch.assignee_id {
                tx.conn
                    .query_one("SELECT id FROM users WHERE org_id = $1 AND id = $2 AND active = 1", params![org_id, user])
                    .map_err(|e| if e == StoreError::NotFound { StoreError::Conflict("assignee_id".into()) } else { e })?;
            }
            if let Some(Some(team)) = patch.team_id {
                tx.conn
                    .query_one("SELECT id FROM teams WHERE org_id = $1 AND id = $2", params![org_id, team])
                    .map_err(|e| if e == StoreError::NotFound { StoreError::Conflict("team_id".into()) } else { e })?;
            }
            if let Some(status) = patch.status {
                let resolved_at = (status == ConversationStatus::Resolved).then_some(now);
                tx.conn.execute(
                    "UPDATE conversations SET status = $1, resolved_at = $2 WHERE id = $3",
                    params![status.as_str(), resolved_at, conversation_id],
                )?;
                changes.insert("status".into(), json!(status));
            }
            if let Some(assignee) = patch.assignee_id {
                tx.conn.execute("UPDATE conversations SET assignee_id = $1 WHERE id = $2", params![assignee, conversation_id])?;
                changes.insert("assignee_id".into(), json!(assignee));
            }
            if let Some(team) = patch.team_id {
                tx.conn.execute("UPDATE conversations SET team_id = $1 WHERE id = $2", params![team, conversation_id])?;
                changes.insert("team_id".into(), json!(team));
            }
            if let Some(priority) = patch.priority {
                tx.conn.execute("UPDATE conversations SET priority = $1 WHERE id = $2", params![priority.as_str(), conversation_id])?;
                changes.insert("priority".into(), json!(priority));
            }
            if let Some(labels) = &patch.labels {
                let text = serde_json::to_string(labels.as_slice()).expect("strings serialise");
                tx.conn.execute("UPDATE conversations SET labels = $1 WHERE id = $2", params![text, conversation_id])?;
                changes.insert("labels".into(), json!(labels.as_slice()));
            }
            if changes.is_empty() {
                return Ok(before);
            }
            tx.conn.execute("UPDATE conversations SET updated_at = $1 WHERE id = $2", params![now, conversation_id])?;
            let after = conversation_in(tx.conn, org_id, conversation_id)?;
            if patch.status.is_some() || patch.assignee_id.is_some() {
                crate::routing::on_conversation_changed(tx, org_id, &before, &after)?;
            }
            conversation_event(tx, org_id, EventKind::ConversationUpdated, &after)?;
            if after.status == ConversationStatus::Resolved && before.status != ConversationStatus::Resolved {
                // The customer is asked how it went (CSAT), right after they see it resolved.
                crate::feedback::request_csat_in(tx, org_id, conversation_id, None)?;
            }
            audit(tx, org_id, &actor.audit_name(), "conversation.update", &format!("conversation:{conversation_id}"), Value::Object(changes))?;
            Ok(after)
        })
        .await
    }

    pub async fn conversation(&self, org_id: i64, id: i64) -> Result<Conversation> {
        self.read(move |c| conversation_in(c, org_id, id)).await
    }

    pub async fn conversations(&self, org_id: i64, filter: ConversationFilter) -> Result<Vec<Conversation>> {
        self.read(move |c| {
            let mut sql = format!("{} WHERE c.org_id = $1", crate::records::CONVERSATION_SELECT);
            let mut params: Vec<crate::conn::Value> = vec![org_id.into()];
            let mut add = |sql: &mut String, clause: &str, value: crate::conn::Value| {
                params.push(value);
                sql.push_str(&clause.replace('?', &format!("${}", params.len())));
            };
            if let Some(status) = filter.status {
                add(&mut sql, " AND c.status = ?", status.as_str().into());
            }
            match filter.assignee_id {
                Some(Some(user)) => add(&mut sql, " AND c.assignee_id = ?", user.into()),
                Some(None) => sql.push_str(" AND c.assignee_id IS NULL"),
                None => {}
            }
            if let Some(team) = filter.team_id {
                add(&mut sql, " AND c.team_id = ?", team.into());
            }
            if let Some(teams) = &filter.team_ids {
                if teams.is_empty() {
                    sql.push_str(" AND 1 = 0");
                } else {
                    sql.push_str(" AND c.team_id IN (");
                    for (i, team) in teams.iter().take(100).enumerate() {
                        add(&mut sql, if i == 0 { "?" } else { ", ?" }, (*team).into());
                    }
                    sql.push(')');
                }
            }
            if let Some(customer) = filter.customer_id {
                add(&mut sql, " AND c.customer_id = ?", customer.into());
            }
            if let Some(emotion) = &filter.emotion {
                add(&mut sql, " AND c.emotion = ?", emotion.clone().into());
            }
            if let Some(complaint) = &filter.complaint_type {
                add(&mut sql, " AND c.complaint_type = ?", complaint.clone().into());
            }
            if let Some(risk) = filter.min_risk {
                add(&mut sql, " AND c.risk >= ?", risk.into());
            }
            if let Some((at, id)) = filter.before {
                add(&mut sql, " AND (c.last_message_at < ?", at.into());
                add(&mut sql, " OR (c.last_message_at = ?", at.into());
                add(&mut sql, " AND c.id < ?))", id.into());
            }
            sql.push_str(" ORDER BY c.last_message_at DESC, c.id DESC");
            add(&mut sql, " LIMIT ?", filter.limit.clamp(1, 200).into());
            Ok(c.query(&sql, &params)?.iter().map(Conversation::from_row).collect())
        })
        .await
    }

    /// Messages after `after_id`, oldest first; `customer_view` leaves out internal notes.
    pub async fn messages(&self, org_id: i64, conversation_id: i64, after_id: i64, limit: i64, customer_view: bool) -> Result<Vec<Message>> {
        self.read(move |c| {
            conversation_in(c, org_id, conversation_id)?;
            let notes = if customer_view { " AND kind <> 'note'" } else { "" };
            let sql = format!(
                "SELECT {MESSAGE_COLUMNS} FROM messages WHERE conversation_id = $1 AND id > $2{notes} ORDER BY id LIMIT $3"
            );
            Ok(c.query(&sql, params![conversation_id, after_id, limit.clamp(1, 500)])?.iter().map(Message::from_row).collect())
        })
        .await
    }

    /// The conversation a widget visitor currently has on a channel (the newest one), if any.
    pub async fn visitor_conversation(&self, org_id: i64, channel_id: i64, visitor: String) -> Result<Option<Conversation>> {
        self.read(move |c| {
            let Some(row) = c.query_opt(
                "SELECT c.id FROM conversations c JOIN contact_points p ON p.customer_id = c.customer_id \
                 WHERE p.org_id = $1 AND p.kind = 'web_visitor' AND p.value = $2 AND c.channel_id = $3 ORDER BY c.id DESC LIMIT 1",
                params![org_id, &visitor, channel_id],
            )?
            else {
                return Ok(None);
            };
            conversation_in(c, org_id, row.int(0)).map(Some)
        })
        .await
    }

    /// Moves a read marker forward (never back) and tells both sides.
    pub async fn mark_read(&self, org_id: i64, conversation_id: i64, reader: Reader, message_id: i64) -> Result<Conversation> {
        self.write_keyed(key_of(&conversation_id), move |tx| {
            let column = match reader {
                Reader::Customer => "customer_read_id",
                Reader::Agent => "agent_read_id",
            };
            let before = conversation_in(tx.conn, org_id, conversation_id)?;
            let current = match reader {
                Reader::Customer => before.customer_read_id,
                Reader::Agent => before.agent_read_id,
            };
            if message_id <= current {
                return Ok(before);
            }
            let exists = tx.conn.query_opt(
                "SELECT id FROM messages WHERE id = $1 AND conversation_id = $2",
                params![message_id, conversation_id],
            )?;
            if exists.is_none() {
                return Err(StoreError::Conflict("message_id".into()));
            }
            tx.conn.execute(&format!("UPDATE conversations SET {column} = $1 WHERE id = $2"), params![message_id, conversation_id])?;
            let side = match reader {
                Reader::Customer => "customer",
                Reader::Agent => "agent",
            };
            tx.emit(org_id, EventKind::Read, Some(conversation_id), true, json!({"conversation_id": conversation_id, "reader": side, "message_id": message_id}))?;
            conversation_in(tx.conn, org_id, conversation_id)
        })
        .await
    }

    /// Records something a person did outside any other write (e.g. sending a reply the tone check flagged).
    pub async fn record_audit(&self, org_id: i64, actor: String, action: &'static str, target: String, details: Value) -> Result<()> {
        self.write(move |tx| audit(tx, org_id, &actor, action, &target, details)).await
    }

    pub async fn audit_log(&self, org_id: i64, before_id: Option<i64>, limit: i64) -> Result<Vec<AuditEntry>> {
        self.read(move |c| {
            Ok(c.query(
                "SELECT id, actor, action, target, details, created_at FROM audit_log WHERE org_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3",
                params![org_id, before_id.unwrap_or(i64::MAX), limit.clamp(1, 500)],
            )?
            .iter()
            .map(|r| AuditEntry {
                id: r.int(0),
                actor: r.text(1),
                action: r.text(2),
                target: r.text(3),
                details: serde_json::from_str(&r.text(4)).unwrap_or_default(),
                created_at: r.int(5),
            })
            .collect())
        })
        .await
    }

    /// Gives imported (or demo) messages their original times: each message's `created_at`, and the
    /// conversation's start, last message and update times from them.
    pub async fn set_message_times(&self, org_id: i64, conversation_id: i64, times: Vec<(i64, i64)>) -> Result<()> {
        self.write(move |tx| {
            conversation_in(tx.conn, org_id, conversation_id)?;
            for (message_id, at) in &times {
                tx.conn.execute(
                    "UPDATE messages SET created_at = $1 WHERE id = $2 AND conversation_id = $3",
                    params![*at, *message_id, conversation_id],
                )?;
            }
            let (Some(first), Some(last)) = (times.iter().map(|t| t.1).min(), times.iter().map(|t| t.1).max()) else { return Ok(()) };
            tx.conn.execute(
                "UPDATE conversations SET created_at = $1, last_message_at = $2, updated_at = $2, \
                 resolved_at = CASE WHEN resolved_at IS NULL THEN NULL ELSE CAST($2 AS BIGINT) END WHERE id = $3",
                params![first, last, conversation_id],
            )?;
            Ok(())
        })
        .await
    }

    /// Counts for readiness and metrics: (messages, conversations).
    pub async fn totals(&self) -> Result<(i64, i64)> {
        self.read(|c| {
            let m = c.query_one("SELECT COUNT(*) FROM messages", &[])?.int(0);
            let v = c.query_one("SELECT COUNT(*) FROM conversations", &[])?.int(0);
            Ok((m, v))
        })
        .await
    }
}

const ORG_SELECT: &str = "SELECT id, name, slug, timezone, settings, created_at FROM organizations";

fn organization_from(r: &crate::conn::Row) -> Organization {
    Organization {
        id: r.int(0),
        name: r.text(1),
        slug: r.text(2),
        timezone: r.text(3),
        settings: serde_json::from_str(&r.text(4)).unwrap_or_else(|_| json!({})),
        created_at: r.int(5),
    }
}

fn insert_customer(tx: &mut Tx<'_>, org_id: i64, name: &str) -> Result<i64> {
    let now = tx.now;
    Ok(tx
        .conn
        .query_one("INSERT INTO customers (org_id, name, created_at, updated_at) VALUES ($1, $2, $3, $3) RETURNING id", params![org_id, name, now])?
        .int(0))
}

fn customer_in(c: &mut dyn Conn, org_id: i64, id: i64) -> Result<Customer> {
    let row = c.query_one("SELECT id, name, created_at FROM customers WHERE org_id = $1 AND id = $2", params![org_id, id])?;
    let contacts = c
        .query("SELECT kind, value FROM contact_points WHERE customer_id = $1 ORDER BY id", params![id])?
        .iter()
        .filter_map(|r| Some(Contact { kind: ContactKind::parse(&r.text(0))?, value: r.text(1) }))
        .collect();
    Ok(Customer { id: row.int(0), name: row.text(1), contacts, created_at: row.int(2) })
}

fn post_inbound(tx: &mut Tx<'_>, m: InboundMessage) -> Result<Posted> {
    let org_id = m.org_id;
    let now = tx.now;
    let (contact_kind, contact_value) = &m.contact;
    let existing = tx.conn.query_opt(
        "SELECT customer_id FROM contact_points WHERE org_id = $1 AND kind = $2 AND value = $3",
        params![org_id, contact_kind.as_str(), contact_value],
    )?;
    let customer_id = match existing {
        Some(row) => row.int(0),
        None => {
            let fallback = match contact_kind {
                ContactKind::WebVisitor => format!("访客 {}", &contact_value.chars().take(6).collect::<String>()),
                _ => contact_value.clone(),
            };
            let id = insert_customer(tx, org_id, m.customer_name.as_deref().unwrap_or(&fallback))?;
            // Another writer (PostgreSQL) may be creating the same customer right now: the unique contact decides
            // who wins, and the loser uses the winner's customer.
            let claimed = tx.conn.query_opt(
                "INSERT INTO contact_points (org_id, customer_id, kind, value) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (org_id, kind, value) DO NOTHING RETURNING customer_id",
                params![org_id, id, contact_kind.as_str(), contact_value],
            )?;
            match claimed {
                Some(_) => id,
                None => {
                    tx.conn.execute("DELETE FROM customers WHERE id = $1", params![id])?;
                    tx.conn
                        .query_one(
                            "SELECT customer_id FROM contact_points WHERE org_id = $1 AND kind = $2 AND value = $3",
                            params![org_id, contact_kind.as_str(), contact_value],
                        )?
                        .int(0)
                }
            }
        }
    };
    let sender_key = format!("customer:{customer_id}");
    if let Some(posted) = replay(tx.conn, org_id, &sender_key, &m.client_message_id)? {
        return Ok(posted);
    }
    let open = tx.conn.query_opt(
        "SELECT id, state FROM conversations WHERE customer_id = $1 AND channel_id = $2 AND status <> 'resolved' ORDER BY id DESC LIMIT 1",
        params![customer_id, m.channel_id],
    )?;
    let (conversation_id, state_json, created) = match open {
        Some(row) => (row.int(0), row.text(1), false),
        None => {
            let id = tx
                .conn
                .query_one(
                    "INSERT INTO conversations (org_id, channel_id, customer_id, status, priority, last_message_at, created_at, updated_at) \
                     VALUES ($1, $2, $3, 'open', 'normal', $4, $4, $4) RETURNING id",
                    params![org_id, m.channel_id, customer_id, now],
                )?
                .int(0);
            (id, "{}".to_owned(), true)
        }
    };
    // Text first (f32 scores print as 0.535, not 0.5350000262), then the value for the record and the event.
    let analysis_json = serde_json::to_string(&m.analysis).map_err(|e| StoreError::Internal(e.to_string()))?;
    let analysis: Value = serde_json::from_str(&analysis_json).map_err(|e| StoreError::Internal(e.to_string()))?;
    let message_id = tx
        .conn
        .query_one(
            "INSERT INTO messages (org_id, conversation_id, kind, sender_key, client_message_id, body, analysis, created_at) \
             VALUES ($1, $2, 'customer', $3, $4, $5, $6, $7) RETURNING id",
            params![
                org_id,
                conversation_id,
                &sender_key,
                m.client_message_id.as_ref().map(|c| c.as_str()),
                m.body.as_str(),
                analysis_json,
                now
            ],
        )?
        .int(0);
    let language = match m.analysis.language {
        anxin_text::Language::Mixed => "zh-Hans",
        other => other.as_str(),
    };
    crate::routing::after_customer_message(tx, org_id, conversation_id, crate::routing::anger_of(&m.analysis), language)?;
    let mut state: ConversationState = serde_json::from_str(&state_json).unwrap_or_default();
    state.push(&m.analysis);
    let summary = state.analysis();
    let signals: Vec<&str> = state.signals.iter().map(|s| s.as_str()).collect();
    tx.conn.execute(
        "UPDATE conversations SET emotion = $1, intensity = $2, peak_intensity = $3, complaint_type = $4, signals = $5, risk = $6, \
         trajectory = $7, state = $8, message_count = message_count + 1, preview = $9, last_message_at = $10, updated_at = $10, \
         customer_read_id = $11, status = CASE WHEN status IN ('pending', 'snoozed') THEN 'open' ELSE status END WHERE id = $12",
        params![
            summary.current_emotion.map(|e| e.as_str()),
            r3(m.analysis.emotion.intensity),
            r3(summary.peak_intensity),
            state.complaint.map(|c| c.as_str()),
            serde_json::to_string(&signals).expect("strings serialise"),
            r3(summary.complaint_risk),
            summary.trajectory.as_str(),
            serde_json::to_string(&state).expect("state serialises"),
            preview(m.body.as_str()),
            now,
            message_id,
            conversation_id
        ],
    )?;
    if !created {
        // A customer waiting on a complaint ticket starts its next-response clock.
        crate::sla::on_customer_message(tx, org_id, conversation_id)?;
    }
    let message = Message {
        id: message_id,
        conversation_id,
        kind: MessageKind::Customer,
        author_user_id: None,
        text: m.body.into_string(),
        analysis: Some(analysis),
        client_message_id: m.client_message_id.map(|c| c.as_str().to_owned()),
        created_at: now,
    };
    let conversation = conversation_in(tx.conn, org_id, conversation_id)?;
    let kind = if created { EventKind::ConversationCreated } else { EventKind::ConversationUpdated };
    conversation_event(tx, org_id, kind, &conversation)?;
    message_event(tx, org_id, &message)?;
    Ok(Posted { message, conversation, replayed: false })
}
