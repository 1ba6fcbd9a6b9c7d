//! Conversation-level understanding: the emotion trajectory over the customer's messages and the risk that the
//! conversation becomes a formal complaint.
//!
//! No public data labels conversations with their outcome, so the risk is a transparent logistic rule over the
//! per-message analyses, weighted by what the seed decks and service practice say escalates a case (threats to
//! go to a regulator, court or the media; repeated contact; rising anger). Its weights are documented here and in
//! the model card, and tested as a table of stories.

use serde::{Deserialize, Serialize};

use crate::types::{ComplaintType, ConversationAnalysis, Emotion, MessageAnalysis, SignalKind, Trajectory};

/// Change in negativity between the start and the end of a conversation that counts as a trend.
const TREND_THRESHOLD: f32 = 0.15;

/// Signed negativity of one message: −1 (pleased) … 1 (furious).
pub fn negativity(a: &MessageAnalysis) -> f32 {
    let s = a.emotion.scores;
    let negative = s.anger + s.anxiety + s.disappointment;
    let strength = 0.5 + 0.5 * a.emotion.intensity;
    let anger_extra = 0.3 * s.anger;
    ((negative + anger_extra) * strength - 0.6 * s.satisfied * strength).clamp(-1.0, 1.0)
}

pub fn analyze(messages: &[MessageAnalysis]) -> ConversationAnalysis {
    let mut state = ConversationState::default();
    for m in messages {
        state.push(m);
    }
    let negativity: Vec<f32> = messages.iter().map(negativity).map(round3).collect();
    ConversationAnalysis { negativity, ..state.analysis() }
}

fn round3(v: f32) -> f32 {
    (v * 1000.0).round() / 1000.0
}

/// What a conversation needs to remember about its customer messages so far, so that a server can update the
/// conversation with each new message in constant time and space (the result equals [`analyze`] over all messages,
/// except that `negativity` is not kept per message).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ConversationState {
    pub messages: u32,
    pub negative_messages: u32,
    /// Negativity of the first two and of the last two messages (rounded to 3 decimals), oldest first.
    pub first: Vec<f32>,
    pub last: Vec<f32>,
    pub peak_negativity: f32,
    pub peak_intensity: f32,
    pub current_emotion: Option<Emotion>,
    /// The complaint type of the latest message that was a complaint.
    pub complaint: Option<ComplaintType>,
    /// Every signal kind seen so far, in first-seen order.
    pub signals: Vec<SignalKind>,
}

impl ConversationState {
    /// Folds one more customer message into the state.
    pub fn push(&mut self, m: &MessageAnalysis) {
        let v = round3(negativity(m));
        self.messages += 1;
        if m.emotion.label.is_negative() {
            self.negative_messages += 1;
            self.peak_intensity = self.peak_intensity.max(m.emotion.intensity);
        }
        if self.first.len() < 2 {
            self.first.push(v);
        }
        self.last.push(v);
        if self.last.len() > 2 {
            self.last.remove(0);
        }
        self.peak_negativity = self.peak_negativity.max(v);
        self.current_emotion = Some(m.emotion.label);
        if let Some(c) = &m.complaint {
            self.complaint = Some(c.label);
        }
        for s in &m.signals {
            if !self.signals.contains(&s.kind) {
                self.signals.push(s.kind);
            }
        }
    }

    /// Trajectory and complaint risk of the conversation so far (`negativity` is left empty).
    pub fn analysis(&self) -> ConversationAnalysis {
        let n = self.messages as usize;
        // The same ends that `trajectory` reads from the full list.
        let trajectory = match n {
            0 | 1 => Trajectory::Stable,
            2 | 3 => trajectory(&[self.first[0], self.last[self.last.len() - 1]]),
            _ => trajectory(&[self.first[0], self.first[1], self.last[0], self.last[1]]),
        };
        let has = |kinds: &[SignalKind]| self.signals.iter().any(|k| kinds.contains(k));
        let mut z = -3.2;
        z += 2.2 * self.peak_negativity;
        z += if has(&[SignalKind::Regulator, SignalKind::Legal, SignalKind::Media]) { 2.0 } else { 0.0 };
        z += if has(&[SignalKind::PlatformComplaint]) { 1.2 } else { 0.0 };
        z += if has(&[SignalKind::RepeatedContact]) { 0.8 } else { 0.0 };
        z += if has(&[SignalKind::Profanity]) { 0.5 } else { 0.0 };
        z += match trajectory {
            Trajectory::Escalating => 0.7,
            Trajectory::Calming => -0.7,
            Trajectory::Stable => 0.0,
        };
        z += if self.current_emotion == Some(Emotion::Anger) { 0.5 } else { 0.0 };
        z += if self.complaint.is_some() { 0.5 } else { 0.0 };
        z += 0.3 * (1.0 + self.negative_messages as f32).ln();
        z -= if self.current_emotion == Some(Emotion::Satisfied) { 1.5 } else { 0.0 };
        let complaint_risk = if n == 0 { 0.0 } else { 1.0 / (1.0 + (-z).exp()) };
        ConversationAnalysis {
            trajectory,
            complaint_risk: round3(complaint_risk),
            negativity: Vec::new(),
            current_emotion: self.current_emotion,
            peak_intensity: self.peak_intensity,
        }
    }
}

/// Compares the start and the end of the conversation (the mean of up to two messages at each end).
fn trajectory(negativity: &[f32]) -> Trajectory {
    let n = negativity.len();
    if n < 2 {
        return Trajectory::Stable;
    }
    let k = if n >= 4 { 2 } else { 1 };
    let start: f32 = negativity[..k].iter().sum::<f32>() / k as f32;
    let end: f32 = negativity[n - k..].iter().sum::<f32>() / k as f32;
    let delta = end - start;
    if delta > TREND_THRESHOLD {
        Trajectory::Escalating
    } else if delta < -TREND_THRESHOLD {
        Trajectory::Calming
    } else {
        Trajectory::Stable
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trajectory_follows_the_ends() {
        let cases: &[(&[f32], Trajectory)] = &[
            (&[], Trajectory::Stable),
            (&[0.9], Trajectory::Stable),
            (&[0.1, 0.3, 0.7, 0.9], Trajectory::Escalating),
            (&[0.9, 0.8, 0.2, -0.3], Trajectory::Calming),
            (&[0.5, 0.9, 0.3, 0.95], Trajectory::Stable),
        ];
        for (values, expected) in cases {
            assert_eq!(trajectory(values), *expected, "{values:?}");
        }
    }
}
