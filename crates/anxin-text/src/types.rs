//! The vocabulary of an analysis: labels, spans and result records, all serialisable as the JSON the CLI and the
//! platform emit.

use serde::{Deserialize, Serialize};

/// A half-open range of **character** (Unicode scalar value) indices into the original text.
///
/// Normalisation maps every character to exactly one character, so spans found on the normalised text are valid
/// on the original text too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        debug_assert!(start <= end);
        Self { start, end }
    }

    pub fn len(&self) -> usize {
        self.end - self.start
    }

    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }

    pub fn overlaps(&self, other: &Span) -> bool {
        self.start < other.end && other.start < self.end
    }
}

macro_rules! label_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        pub enum $name {
            $(#[serde(rename = $text)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// Parses the stable label text (as printed in JSON); `None` for anything else.
            pub fn parse(text: &str) -> Option<Self> {
                match text.trim() { $($text => Some($name::$variant),)+ _ => None }
            }

            /// Position in [`Self::ALL`]; used as a class index by the models.
            pub fn index(self) -> usize {
                self as usize
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

label_enum!(
    /// The five customer emotions Anxin recognises (PRODUCT.md §2).
    Emotion {
        Anger => "anger",
        Anxiety => "anxiety",
        Disappointment => "disappointment",
        Neutral => "neutral",
        Satisfied => "satisfied",
    }
);

impl Emotion {
    /// Negative emotions are the ones that make a conversation "hostile" or at risk.
    pub fn is_negative(self) -> bool {
        matches!(self, Emotion::Anger | Emotion::Anxiety | Emotion::Disappointment)
    }
}

label_enum!(
    /// Binary polarity, as used by review data.
    Polarity {
        Positive => "positive",
        Negative => "negative",
    }
);

label_enum!(
    /// What a complaint is about (PRODUCT.md §2).
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

label_enum!(
    /// The script a message is written in.
    Language {
        ZhHans => "zh-Hans",
        ZhHant => "zh-Hant",
        En => "en",
        Mixed => "mixed",
    }
);

label_enum!(
    /// Escalation and intensity signals found in a customer message.
    SignalKind {
        Regulator => "regulator",
        PlatformComplaint => "platform_complaint",
        Media => "media",
        Legal => "legal",
        Urgency => "urgency",
        Shouting => "shouting",
        Profanity => "profanity",
        RepeatedContact => "repeated_contact",
    }
);

impl SignalKind {
    /// Threats to take the matter outside the conversation (regulator, platform, media, court).
    pub fn is_escalation_threat(self) -> bool {
        matches!(
            self,
            SignalKind::Regulator | SignalKind::PlatformComplaint | SignalKind::Media | SignalKind::Legal
        )
    }
}

label_enum!(
    /// Kinds of personal data that must be masked in logs, analytics, training cases and exports.
    PiiKind {
        Phone => "phone",
        IdCard => "id_card",
        BankCard => "bank_card",
        Email => "email",
        Address => "address",
        OrderNo => "order_no",
    }
);

label_enum!(
    /// Direction of a conversation's emotion over its customer messages.
    Trajectory {
        Escalating => "escalating",
        Calming => "calming",
        Stable => "stable",
    }
);

/// One escalation signal: what kind, where, and the matched text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Signal {
    pub kind: SignalKind,
    pub span: Span,
    pub text: String,
}

/// One piece of personal data found in a message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PiiSpan {
    pub kind: PiiKind,
    pub span: Span,
    pub text: String,
}

/// The PII found in a message and the message with every span masked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PiiReport {
    pub spans: Vec<PiiSpan>,
    pub masked: String,
}

/// Scores of the five emotions; they sum to 1.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
pub struct EmotionScores {
    pub anger: f32,
    pub anxiety: f32,
    pub disappointment: f32,
    pub neutral: f32,
    pub satisfied: f32,
}

impl EmotionScores {
    pub fn from_array(p: [f32; 5]) -> Self {
        Self { anger: p[0], anxiety: p[1], disappointment: p[2], neutral: p[3], satisfied: p[4] }
    }

    pub fn to_array(self) -> [f32; 5] {
        [self.anger, self.anxiety, self.disappointment, self.neutral, self.satisfied]
    }

    pub fn get(self, emotion: Emotion) -> f32 {
        self.to_array()[emotion.index()]
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmotionResult {
    pub label: Emotion,
    pub scores: EmotionScores,
    /// How strongly the emotion is felt, 0 (flat) to 1 (extreme).
    pub intensity: f32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SentimentResult {
    /// −1 (very negative) to 1 (very positive).
    pub valence: f32,
    pub label: Polarity,
}

/// Scores of the eight complaint types; they sum to 1.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
pub struct ComplaintScores {
    pub quality: f32,
    pub logistics: f32,
    pub price: f32,
    pub service: f32,
    pub refund_return: f32,
    pub size_spec: f32,
    pub payment: f32,
    pub other: f32,
}

impl ComplaintScores {
    pub fn from_array(p: [f32; 8]) -> Self {
        Self {
            quality: p[0],
            logistics: p[1],
            price: p[2],
            service: p[3],
            refund_return: p[4],
            size_spec: p[5],
            payment: p[6],
            other: p[7],
        }
    }

    pub fn to_array(self) -> [f32; 8] {
        [
            self.quality,
            self.logistics,
            self.price,
            self.service,
            self.refund_return,
            self.size_spec,
            self.payment,
            self.other,
        ]
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComplaintResult {
    pub label: ComplaintType,
    pub scores: ComplaintScores,
}

/// One feature that pushed the emotion decision, with its signed contribution to the chosen label's score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Explanation {
    pub feature: String,
    pub weight: f32,
}

/// Everything Anxin understands about one customer message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessageAnalysis {
    pub language: Language,
    pub emotion: EmotionResult,
    pub sentiment: SentimentResult,
    /// `None` when the message is not a complaint.
    pub complaint: Option<ComplaintResult>,
    pub signals: Vec<Signal>,
    pub pii: PiiReport,
    pub explain: Vec<Explanation>,
}

/// What a sequence of customer messages adds up to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConversationAnalysis {
    pub trajectory: Trajectory,
    /// Probability-like score in [0, 1] that this conversation becomes a formal complaint.
    pub complaint_risk: f32,
    /// Signed negativity per message (−1 calm/positive … 1 furious), oldest first.
    pub negativity: Vec<f32>,
    pub current_emotion: Option<Emotion>,
    pub peak_intensity: f32,
}
