//! Escalation and intensity signals: regulator, platform complaint, media, legal threats, urgency, shouting,
//! profanity and repeated contact.

use crate::normalize::Normalized;
use crate::types::Signal;

/// Finds the signals in a message. Spans are character indices valid on `original`.
pub fn detect(original: &str, norm: &Normalized) -> Vec<Signal> {
    let _ = (original, norm);
    Vec::new()
}
