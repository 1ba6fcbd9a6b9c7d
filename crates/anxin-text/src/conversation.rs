//! Conversation-level understanding: the emotion trajectory over the customer's messages and the risk that the
//! conversation becomes a formal complaint.
//!
//! No public data labels conversations with their outcome, so the risk is a transparent logistic rule over the
//! per-message analyses, weighted by what the seed decks and service practice say escalates a case (threats to
//! go to a regulator, court or the media; repeated contact; rising anger). Its weights are documented here and in
//! the model card, and tested as a table of stories.

use crate::types::{ConversationAnalysis, Emotion, MessageAnalysis, SignalKind, Trajectory};

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
    let negativity: Vec<f32> = messages.iter().map(negativity).map(|v| (v * 1000.0).round() / 1000.0).collect();
    let trajectory = trajectory(&negativity);
    let peak_intensity = messages
        .iter()
        .filter(|m| m.emotion.label.is_negative())
        .map(|m| m.emotion.intensity)
        .fold(0.0, f32::max);
    let current_emotion = messages.last().map(|m| m.emotion.label);
    let has = |kinds: &[SignalKind]| messages.iter().any(|m| m.signals.iter().any(|s| kinds.contains(&s.kind)));
    let peak_negativity = negativity.iter().copied().fold(0.0, f32::max);
    let negative_messages = messages.iter().filter(|m| m.emotion.label.is_negative()).count() as f32;
    let last_anger = matches!(current_emotion, Some(Emotion::Anger));
    let last_pleased = matches!(current_emotion, Some(Emotion::Satisfied));
    let complaint = messages.iter().any(|m| m.complaint.is_some());
    let mut z = -3.2;
    z += 2.2 * peak_negativity;
    z += if has(&[SignalKind::Regulator, SignalKind::Legal, SignalKind::Media]) { 2.0 } else { 0.0 };
    z += if has(&[SignalKind::PlatformComplaint]) { 1.2 } else { 0.0 };
    z += if has(&[SignalKind::RepeatedContact]) { 0.8 } else { 0.0 };
    z += if has(&[SignalKind::Profanity]) { 0.5 } else { 0.0 };
    z += match trajectory {
        Trajectory::Escalating => 0.7,
        Trajectory::Calming => -0.7,
        Trajectory::Stable => 0.0,
    };
    z += if last_anger { 0.5 } else { 0.0 };
    z += if complaint { 0.5 } else { 0.0 };
    z += 0.3 * (1.0 + negative_messages).ln();
    z -= if last_pleased { 1.5 } else { 0.0 };
    let complaint_risk = if messages.is_empty() { 0.0 } else { 1.0 / (1.0 + (-z).exp()) };
    ConversationAnalysis {
        trajectory,
        complaint_risk: (complaint_risk * 1000.0).round() / 1000.0,
        negativity,
        current_emotion,
        peak_intensity,
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
