//! The entities' enumerations, with their stable wire and database spellings.

use serde::{Deserialize, Serialize};

macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name {
            $(#[serde(rename = $text)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// Position in `ALL` (stable: new variants are only ever appended).
            pub fn index(self) -> u32 {
                self as u32
            }

            /// The stable spelling, or `None` for anything else (callers turn that into a field error).
            pub fn parse(text: &str) -> Option<Self> {
                match text { $($text => Some($name::$variant),)+ _ => None }
            }

            /// Every accepted spelling, for error messages and the API document.
            pub fn spellings() -> Vec<&'static str> {
                Self::ALL.iter().map(|v| v.as_str()).collect()
            }
        }

        impl $crate::model::Indexed for $name {
            fn index(self) -> u32 {
                self as u32
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

/// An enumeration with a small, stable position per variant, so a set of them fits in a bit mask.
pub trait Indexed: Copy {
    fn index(self) -> u32;
}

/// A set of a small enumeration's variants (at most 32), as one bit mask: cheap to copy and test in a hot loop.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Flags<T> {
    bits: u32,
    kind: std::marker::PhantomData<T>,
}

impl<T: Indexed> Flags<T> {
    pub const fn empty() -> Self {
        Flags { bits: 0, kind: std::marker::PhantomData }
    }

    pub fn of(values: impl IntoIterator<Item = T>) -> Self {
        values.into_iter().fold(Self::empty(), |set, value| set.with(value))
    }

    #[must_use]
    pub fn with(self, value: T) -> Self {
        Flags { bits: self.bits | (1 << value.index()), kind: self.kind }
    }

    pub fn contains(self, value: T) -> bool {
        self.bits & (1 << value.index()) != 0
    }

    pub fn is_empty(self) -> bool {
        self.bits == 0
    }
}

impl<T: Indexed> Default for Flags<T> {
    fn default() -> Self {
        Self::empty()
    }
}

impl<T> std::fmt::Debug for Flags<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Flags({:#b})", self.bits)
    }
}

wire_enum!(
    /// What a person may do in Anxin (PRODUCT.md "People").
    Role {
        Admin => "admin",
        Supervisor => "supervisor",
        Agent => "agent",
        Handler => "handler",
        Trainer => "trainer",
    }
);

wire_enum!(
    /// Where a conversation stands. `resolved` closes it: the customer's next message opens a new one.
    ConversationStatus {
        Open => "open",
        Pending => "pending",
        Snoozed => "snoozed",
        Resolved => "resolved",
    }
);

wire_enum!(
    Priority {
        Low => "low",
        Normal => "normal",
        High => "high",
        Urgent => "urgent",
    }
);

wire_enum!(
    /// Who wrote a message. Internal notes are never shown to the customer.
    MessageKind {
        Customer => "customer",
        Agent => "agent",
        System => "system",
        Note => "note",
    }
);

wire_enum!(
    ChannelKind {
        WebChat => "web_chat",
        Email => "email",
        Api => "api",
    }
);

wire_enum!(
    /// How a customer can be reached or recognised.
    ContactKind {
        WebVisitor => "web_visitor",
        Email => "email",
        Phone => "phone",
        External => "external",
    }
);

wire_enum!(
    /// How a team's conversations are assigned automatically (see `routing`).
    Policy {
        EmotionAware => "emotion_aware",
        LeastBusy => "least_busy",
        RoundRobin => "round_robin",
    }
);

wire_enum!(
    /// The customer's emotion as the text engine labels it.
    Emotion {
        Anger => "anger",
        Anxiety => "anxiety",
        Disappointment => "disappointment",
        Neutral => "neutral",
        Satisfied => "satisfied",
    }
);

wire_enum!(
    /// What a complaint is about, as the text engine labels it.
    ComplaintType {
        Quality => "quality",
        Logistics => "logistics",
        Price => "price",
        Service => "service",
        RefundReturn => "refund_return",
        SizeSpec => "size_spec",
        Payment => "payment",
        Other => "other",
    }
);

wire_enum!(
    /// The languages Anxin serves, as the text engine detects them (`mixed` counts as Simplified Chinese).
    Language {
        ZhHans => "zh-Hans",
        ZhHant => "zh-Hant",
        En => "en",
    }
);

impl Emotion {
    /// Whether this emotion weighs on the person who answers it.
    pub fn is_negative(self) -> bool {
        matches!(self, Emotion::Anger | Emotion::Anxiety | Emotion::Disappointment)
    }
}

impl MessageKind {
    /// Whether the customer sees this message in the widget.
    pub fn customer_visible(self) -> bool {
        !matches!(self, MessageKind::Note)
    }
}

impl ConversationStatus {
    /// Whether a new customer message joins this conversation (otherwise a new conversation starts). A snoozed or
    /// pending conversation wakes up: the customer wrote again.
    pub fn accepts_customer_messages(self) -> bool {
        !matches!(self, ConversationStatus::Resolved)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(*role));
            assert_eq!(serde_json::to_string(role).unwrap(), format!("\"{role}\""));
        }
        for status in ConversationStatus::ALL {
            assert_eq!(ConversationStatus::parse(status.as_str()), Some(*status));
        }
        assert_eq!(Role::parse("Admin"), None);
        assert_eq!(Priority::parse(""), None);
        assert_eq!(ChannelKind::parse("web_chat"), Some(ChannelKind::WebChat));
        assert!(serde_json::from_str::<MessageKind>("\"robot\"").is_err());
    }

    #[test]
    fn notes_stay_internal_and_resolved_conversations_close() {
        assert!(!MessageKind::Note.customer_visible());
        assert!(MessageKind::Agent.customer_visible());
        assert!(!ConversationStatus::Resolved.accepts_customer_messages());
        assert!(ConversationStatus::Snoozed.accepts_customer_messages());
    }
}
