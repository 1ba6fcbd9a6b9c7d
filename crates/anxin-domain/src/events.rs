//! Real-time events. Every state change a client must see is an event with a per-organisation sequence number,
//! stored in the same transaction as the change, so a client that reconnects asks for "everything after N" and
//! misses nothing. Typing indicators are the exception: ephemeral, never stored, never resumed.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What happened. The payload is the new state of the object (conversation or message), as the API shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    ConversationCreated,
    ConversationUpdated,
    MessageCreated,
    /// A read marker moved (payload: conversation id, reader side, last read message id).
    Read,
    /// Ephemeral: someone is typing (payload: conversation id, side, optional user).
    Typing,
    /// A person's availability changed (payload: user id, state, since). Staff only.
    PresenceChanged,
    /// A person's protection state changed: hostile streak, cool-down (payload: user id and the state). Delivered
    /// only to the person, supervisors and admins.
    ProtectionChanged,
    /// A supervisor alert was raised (payload: alert id, user id, kind). Same audience.
    AlertRaised,
    /// An alert was acted on (payload: alert id, user id, action). Same audience.
    AlertUpdated,
    /// A complaint ticket was opened from a conversation (payload: the ticket). Staff only.
    TicketCreated,
    /// A complaint ticket moved a step or its remedies changed (payload: the ticket). Staff only.
    TicketUpdated,
    /// Remedies were put to the customer to choose from (payload: ticket id and the remedies as the customer sees
    /// them). Customer-visible.
    RemediesOffered,
    /// The customer (or the agent for them) chose a remedy (payload: ticket id, remedy). Customer-visible.
    RemedyChosen,
    /// The customer is asked to rate how their issue was handled (payload: conversation id, ticket id or null).
    /// Customer-visible.
    CsatRequested,
    /// A satisfaction rating was recorded (payload: the rating). Customer-visible (the widget thanks them).
    CsatRecorded,
    /// A new version of a published knowledge entry or script was saved (payload: id, lang, title, version,
    /// change_note, and `user_ids`: the people who used it in the last 30 days, whom the web layer tells). Staff
    /// only.
    KnowledgeUpdated,
    /// Knowledge entries were created, changed, published or withdrawn, or the search synonyms changed (payload:
    /// `entries`, a list of {id, lang}; or `rebuild: true`; or `synonyms: true`). Every node refreshes its search
    /// index from the database on it. Staff only.
    KnowledgeChanged,
}

impl EventKind {
    /// Whether the event concerns one person's wellbeing-adjacent state, so only they, supervisors and admins get
    /// it (the payload's `user_id` names the person).
    pub fn personal(self) -> bool {
        matches!(self, EventKind::ProtectionChanged | EventKind::AlertRaised | EventKind::AlertUpdated)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::ConversationCreated => "conversation_created",
            EventKind::ConversationUpdated => "conversation_updated",
            EventKind::MessageCreated => "message_created",
            EventKind::Read => "read",
            EventKind::Typing => "typing",
            EventKind::PresenceChanged => "presence_changed",
            EventKind::ProtectionChanged => "protection_changed",
            EventKind::AlertRaised => "alert_raised",
            EventKind::AlertUpdated => "alert_updated",
            EventKind::TicketCreated => "ticket_created",
            EventKind::TicketUpdated => "ticket_updated",
            EventKind::RemediesOffered => "remedies_offered",
            EventKind::RemedyChosen => "remedy_chosen",
            EventKind::CsatRequested => "csat_requested",
            EventKind::CsatRecorded => "csat_recorded",
            EventKind::KnowledgeUpdated => "knowledge_updated",
            EventKind::KnowledgeChanged => "knowledge_changed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [
            Self::ConversationCreated,
            Self::ConversationUpdated,
            Self::MessageCreated,
            Self::Read,
            Self::Typing,
            Self::PresenceChanged,
            Self::ProtectionChanged,
            Self::AlertRaised,
            Self::AlertUpdated,
            Self::TicketCreated,
            Self::TicketUpdated,
            Self::RemediesOffered,
            Self::RemedyChosen,
            Self::CsatRequested,
            Self::CsatRecorded,
            Self::KnowledgeUpdated,
            Self::KnowledgeChanged,
        ]
        .into_iter()
            .find(|k| k.as_str() == text)
    }
}

/// A committed (or, for typing, ephemeral) event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Per-organisation sequence number; 0 for ephemeral events.
    pub id: i64,
    #[serde(skip)]
    pub org_id: i64,
    pub kind: EventKind,
    pub conversation_id: Option<i64>,
    /// Whether the customer of `conversation_id` may see a projection of this event.
    #[serde(skip)]
    pub customer_visible: bool,
    /// Unix milliseconds.
    pub at: i64,
    pub data: Value,
}

/// Keys of a message or conversation that only staff see: the analysis of the customer's feelings, internal
/// labels and routing. The widget gets what remains.
const STAFF_ONLY_KEYS: &[&str] = &[
    "analysis", "emotion", "intensity", "peak_intensity", "complaint_type", "signals", "risk", "trajectory", "labels",
    "priority", "team_id", "assignee_id", "author_user_id", "customer_id", "client_message_id",
];

impl Event {
    /// What the customer of the conversation sees of this event, or `None` when it is staff-only.
    pub fn for_customer(&self) -> Option<Event> {
        if !self.customer_visible {
            return None;
        }
        let mut data = self.data.clone();
        customer_projection(&mut data);
        Some(Event { data, ..self.clone() })
    }
}

/// Removes what only staff may see from a message or conversation (recursively).
pub fn customer_projection(value: &mut Value) {
    strip(value)
}

fn strip(value: &mut Value) {
    if let Value::Object(map) = value {
        for key in STAFF_ONLY_KEYS {
            map.remove(*key);
        }
        for (_, v) in map.iter_mut() {
            strip(v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn customers_see_messages_without_analysis_and_never_notes() {
        let message = Event {
            id: 7,
            org_id: 1,
            kind: EventKind::MessageCreated,
            conversation_id: Some(3),
            customer_visible: true,
            at: 0,
            data: json!({"message": {"id": 9, "kind": "customer", "text": "急！", "analysis": {"emotion": "anxiety"},
                        "client_message_id": "c1"}}),
        };
        let seen = message.for_customer().unwrap();
        assert_eq!(seen.data, json!({"message": {"id": 9, "kind": "customer", "text": "急！"}}));
        let note = Event { customer_visible: false, ..message };
        assert_eq!(note.for_customer(), None);
        for kind in [EventKind::ConversationCreated, EventKind::Read, EventKind::Typing, EventKind::PresenceChanged] {
            assert_eq!(EventKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(EventKind::parse("drop_tables"), None);
    }
}
