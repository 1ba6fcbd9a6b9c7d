//! What the store returns: plain records, serialised as the API shows them.

use anxin_domain::{ChannelKind, ContactKind, ConversationStatus, MessageKind, Priority, Role};
use serde::Serialize;
use serde_json::Value;

use crate::conn::Row;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Organization {
    pub id: i64,
    pub name: String,
    pub slug: String,
    pub timezone: String,
    /// Free-form organisation settings (a JSON object: default UI language, business hours, …).
    pub settings: Value,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct User {
    pub id: i64,
    pub org_id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub department: Option<String>,
    pub active: bool,
    pub created_at: i64,
}

pub(crate) const USER_COLUMNS: &str = "id, org_id, username, display_name, role, department, active, created_at";

impl User {
    pub(crate) fn from_row(r: &Row) -> Self {
        Self {
            id: r.int(0),
            org_id: r.int(1),
            username: r.text(2),
            display_name: r.text(3),
            role: Role::parse(&r.text(4)).unwrap_or(Role::Agent),
            department: r.opt_text(5),
            active: r.int(6) != 0,
            created_at: r.int(7),
        }
    }
}

/// Who is acting: a signed-in person or an API token (integrations act with the token's role).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Principal {
    pub org_id: i64,
    pub role: Role,
    /// The person; `None` for an API token.
    pub user_id: Option<i64>,
    pub name: String,
    /// For sessions: the CSRF token state changes must echo.
    #[serde(skip)]
    pub csrf_token: Option<String>,
}

impl Principal {
    /// How the audit log names the actor.
    pub fn audit_name(&self) -> String {
        match self.user_id {
            Some(id) => format!("user:{id}"),
            None => format!("token:{}", self.name),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Team {
    pub id: i64,
    pub name: String,
    pub member_ids: Vec<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Channel {
    pub id: i64,
    pub org_id: i64,
    pub kind: ChannelKind,
    pub name: String,
    /// The public id a shop puts in its `<script>` tag.
    pub public_key: String,
    pub allowed_origins: Vec<String>,
    pub created_at: i64,
}

pub(crate) const CHANNEL_COLUMNS: &str = "id, org_id, kind, name, public_key, allowed_origins, created_at";

impl Channel {
    pub(crate) fn from_row(r: &Row) -> Self {
        Self {
            id: r.int(0),
            org_id: r.int(1),
            kind: ChannelKind::parse(&r.text(2)).unwrap_or(ChannelKind::Api),
            name: r.text(3),
            public_key: r.text(4),
            allowed_origins: serde_json::from_str(&r.text(5)).unwrap_or_default(),
            created_at: r.int(6),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Contact {
    pub kind: ContactKind,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Customer {
    pub id: i64,
    pub name: String,
    pub contacts: Vec<Contact>,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Conversation {
    pub id: i64,
    pub channel_id: i64,
    pub channel_kind: ChannelKind,
    pub channel_name: String,
    pub customer_id: i64,
    pub customer_name: String,
    pub status: ConversationStatus,
    pub assignee_id: Option<i64>,
    pub team_id: Option<i64>,
    pub priority: Priority,
    pub labels: Vec<String>,
    /// The customer's current emotion (of their latest message), and how strongly.
    pub emotion: Option<String>,
    pub intensity: f64,
    pub peak_intensity: f64,
    pub complaint_type: Option<String>,
    /// Escalation signal kinds seen in the conversation so far.
    pub signals: Vec<String>,
    /// Probability-like risk that this becomes a formal complaint.
    pub risk: f64,
    pub trajectory: String,
    pub message_count: i64,
    /// Start of the latest message (customer-visible kinds only), for inbox lists.
    pub preview: String,
    pub last_message_at: i64,
    pub customer_read_id: i64,
    pub agent_read_id: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub resolved_at: Option<i64>,
}

pub(crate) const CONVERSATION_SELECT: &str = "SELECT c.id, c.channel_id, ch.kind, ch.name, c.customer_id, cu.name, c.status, \
    c.assignee_id, c.team_id, c.priority, c.labels, c.emotion, c.intensity, c.peak_intensity, c.complaint_type, c.signals, \
    c.risk, c.trajectory, c.message_count, c.preview, c.last_message_at, c.customer_read_id, c.agent_read_id, c.created_at, \
    c.updated_at, c.resolved_at \
    FROM conversations c JOIN channels ch ON ch.id = c.channel_id JOIN customers cu ON cu.id = c.customer_id";

impl Conversation {
    pub(crate) fn from_row(r: &Row) -> Self {
        Self {
            id: r.int(0),
            channel_id: r.int(1),
            channel_kind: ChannelKind::parse(&r.text(2)).unwrap_or(ChannelKind::Api),
            channel_name: r.text(3),
            customer_id: r.int(4),
            customer_name: r.text(5),
            status: ConversationStatus::parse(&r.text(6)).unwrap_or(ConversationStatus::Open),
            assignee_id: r.opt_int(7),
            team_id: r.opt_int(8),
            priority: Priority::parse(&r.text(9)).unwrap_or(Priority::Normal),
            labels: serde_json::from_str(&r.text(10)).unwrap_or_default(),
            emotion: r.opt_text(11),
            intensity: r.real(12),
            peak_intensity: r.real(13),
            complaint_type: r.opt_text(14),
            signals: serde_json::from_str(&r.text(15)).unwrap_or_default(),
            risk: r.real(16),
            trajectory: r.text(17),
            message_count: r.int(18),
            preview: r.text(19),
            last_message_at: r.int(20),
            customer_read_id: r.int(21),
            agent_read_id: r.int(22),
            created_at: r.int(23),
            updated_at: r.int(24),
            resolved_at: r.opt_int(25),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Message {
    pub id: i64,
    pub conversation_id: i64,
    pub kind: MessageKind,
    pub author_user_id: Option<i64>,
    pub text: String,
    /// The text engine's analysis (customer messages only).
    pub analysis: Option<Value>,
    pub client_message_id: Option<String>,
    pub created_at: i64,
}

pub(crate) const MESSAGE_COLUMNS: &str = "id, conversation_id, kind, author_user_id, body, analysis, client_message_id, created_at";

impl Message {
    pub(crate) fn from_row(r: &Row) -> Self {
        Self {
            id: r.int(0),
            conversation_id: r.int(1),
            kind: MessageKind::parse(&r.text(2)).unwrap_or(MessageKind::System),
            author_user_id: r.opt_int(3),
            text: r.text(4),
            analysis: r.opt_text(5).and_then(|a| serde_json::from_str(&a).ok()),
            client_message_id: r.opt_text(6),
            created_at: r.int(7),
        }
    }
}

/// The result of posting a message: what was stored, and whether this was a retry of an earlier request.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Posted {
    pub message: Message,
    pub conversation: Conversation,
    pub replayed: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditEntry {
    pub id: i64,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub details: Value,
    pub created_at: i64,
}
