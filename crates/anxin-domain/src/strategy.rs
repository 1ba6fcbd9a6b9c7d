//! Which way of responding fits the customer right now (the strategy card in the agent workspace).
//!
//! The training decks teach one approach per emotional state: anger needs listening and acknowledgement, anxiety
//! needs precise information and a next step with a time, disappointment needs solutions to choose from. A customer
//! who insults, or piles up threats to go outside (regulator, platform, media, court), is an *irrational complaint*:
//! arguing facts fails there, so the card switches to accepting the emotion, finding the root cause and asking
//! open questions.

/// The strategy card to show. Its texts live in the UI catalog under `strategy.<key>.*`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    Anger,
    Anxiety,
    Disappointment,
    IrrationalComplaint,
    Neutral,
    Satisfied,
}

/// Signal kinds (as the text engine spells them) that threaten to take the matter outside the conversation.
const THREATS: [&str; 4] = ["regulator", "platform_complaint", "media", "legal"];

impl Strategy {
    pub fn key(self) -> &'static str {
        match self {
            Strategy::Anger => "anger",
            Strategy::Anxiety => "anxiety",
            Strategy::Disappointment => "disappointment",
            Strategy::IrrationalComplaint => "irrational",
            Strategy::Neutral => "neutral",
            Strategy::Satisfied => "satisfied",
        }
    }

    /// Chooses from the conversation's current emotion, the signal kinds seen so far and its complaint risk.
    pub fn choose(emotion: Option<&str>, signals: &[String], risk: f64) -> Strategy {
        let negative = matches!(emotion, Some("anger" | "anxiety" | "disappointment"));
        let insulting = signals.iter().any(|s| s == "profanity");
        let threats = THREATS.iter().filter(|t| signals.iter().any(|s| s == *t)).count();
        if negative && (insulting || threats >= 2 || (threats == 1 && risk >= 0.8)) {
            return Strategy::IrrationalComplaint;
        }
        match emotion {
            Some("anger") => Strategy::Anger,
            Some("anxiety") => Strategy::Anxiety,
            Some("disappointment") => Strategy::Disappointment,
            Some("satisfied") => Strategy::Satisfied,
            _ => Strategy::Neutral,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn emotion_decides_unless_the_complaint_turned_irrational() {
        let cases: &[(Option<&str>, &[&str], f64, Strategy)] = &[
            (Some("anger"), &[], 0.4, Strategy::Anger),
            (Some("anxiety"), &["urgency"], 0.3, Strategy::Anxiety),
            (Some("disappointment"), &[], 0.2, Strategy::Disappointment),
            (Some("satisfied"), &[], 0.0, Strategy::Satisfied),
            (None, &[], 0.0, Strategy::Neutral),
            (Some("bogus"), &["profanity"], 0.9, Strategy::Neutral),
            (Some("anger"), &["profanity"], 0.1, Strategy::IrrationalComplaint),
            (Some("anger"), &["legal", "media"], 0.5, Strategy::IrrationalComplaint),
            (Some("disappointment"), &["regulator"], 0.85, Strategy::IrrationalComplaint),
            (Some("anger"), &["regulator"], 0.5, Strategy::Anger),
            (Some("satisfied"), &["legal", "media"], 0.9, Strategy::Satisfied),
        ];
        for &(emotion, signals, risk, expected) in cases {
            assert_eq!(Strategy::choose(emotion, &kinds(signals), risk), expected, "{emotion:?} {signals:?} {risk}");
        }
    }
}
