//! One role-play: the simulated customer of a scenario, whose emotion and intensity follow what the agent writes.
//!
//! Each reply is assessed ([`crate::score::assess`]); then
//! - every need it meets for the first time calms the customer (more for the needs that matter most to their
//!   emotion), a need met again calms a little, a warm reply a little more;
//! - every offence heats them up (blame, dismissal and sarcasm most), and a reply that meets nothing and offends
//!   nobody still wears on them;
//! - blame, impatience or dismissal takes back an acknowledgement given earlier;
//! - an anxious or disappointed customer who is offended near the limit turns angry;
//! - an offended customer near the limit threatens (regulator, platform, media); at [`THREAT_LIMIT`] threats, or
//!   at intensity [`ESCALATION_LIMIT`], the conversation is **escalated**;
//! - when every need has been met, the last reply offended nobody and intensity is at most [`RESOLVE_AT`], it is
//!   **resolved**; when the persona's patience (in replies) runs out first, it is **abandoned**.
//!
//! The customer's next line is a reaction for the new state (calming / stable / escalating), followed by what
//! they press for while a need is unmet; a seeded SplitMix64 generator picks the variants, preferring ones not yet
//! said, so one seed gives one transcript and different seeds vary it.

use anxin_text::{Analyzer, Emotion};
use serde::Serialize;

use crate::cues::Offence;
use crate::rng::{SplitMix64, fnv1a};
use crate::scenario::{CustomerState, Need, Scenario};
use crate::score::{self, Dimension, OffenceHit, Scores};

/// Intensity at which the customer escalates.
pub const ESCALATION_LIMIT: f32 = 1.0;
/// Threats (counting those in the opening) at which the customer escalates.
pub const THREAT_LIMIT: u32 = 3;
/// Intensity at or below which a customer whose needs are all met is resolved.
pub const RESOLVE_AT: f32 = 0.4;
/// Intensity at or above which an offended customer threatens.
pub const THREAT_AT: f32 = 0.75;
/// Longest reply accepted, in characters.
pub const REPLY_MAX_CHARS: usize = 2_000;

/// Calm from a need met for the first time: the needs that matter most to the emotion, and the others.
const CALM_PRIMARY: f32 = 0.19;
const CALM_OTHER: f32 = 0.14;
/// Calm from a need met again, and from a warm reply (tone ≥ 90, empathy ≥ 40) that met something.
const CALM_AGAIN: f32 = 0.03;
const CALM_WARM: f32 = 0.04;
/// Heat from a reply that meets nothing and offends nobody ("您好，请稍等").
const HEAT_EMPTY: f32 = 0.06;
/// Most heat one reply can add.
const HEAT_MAX: f32 = 0.6;

/// How the conversation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Ongoing,
    Resolved,
    Escalated,
    Abandoned,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ongoing => "ongoing",
            Outcome::Resolved => "resolved",
            Outcome::Escalated => "escalated",
            Outcome::Abandoned => "abandoned",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Speaker {
    Customer,
    Agent,
}

/// One line of the transcript.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Message {
    pub speaker: Speaker,
    pub text: String,
}

/// What one agent reply did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Turn {
    /// 1-based.
    pub number: u32,
    /// The customer line this reply answered.
    pub customer_before: String,
    pub reply: String,
    pub scores: Scores,
    /// Needs this reply met.
    pub met: Vec<Need>,
    pub offences: Vec<OffenceHit>,
    /// The customer after the reply.
    pub emotion: Emotion,
    pub intensity: f32,
    pub state: CustomerState,
    /// The customer's next line (their last one when the conversation ended).
    pub customer: String,
    pub outcome: Outcome,
    /// The tone check's rewrite of the reply, when it found something to improve.
    pub rewrite: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    #[error("the conversation is over ({})", .0.as_str())]
    Finished(Outcome),
    #[error("the reply is empty")]
    EmptyReply,
    #[error("the reply is {chars} characters long; at most {max} are allowed")]
    TooLong { chars: usize, max: usize },
}

/// A role-play in progress. Pure: all state is here, the analyser is passed to each reply.
#[derive(Debug, Clone)]
pub struct Session {
    scenario: Scenario,
    seed: u64,
    rng: SplitMix64,
    emotion: Emotion,
    intensity: f32,
    threats: u32,
    met: Vec<Need>,
    outcome: Outcome,
    transcript: Vec<Message>,
    turns: Vec<Turn>,
    /// How often each variant of each list was said: keyed by list name, then index.
    said: Vec<(&'static str, Vec<u32>)>,
}

impl Session {
    /// Starts a role-play; the customer's opening line is [`Session::opening`].
    pub fn start(scenario: &Scenario, seed: u64) -> Session {
        let persona = scenario.persona();
        let mut session = Session {
            scenario: scenario.clone(),
            seed,
            rng: SplitMix64::new(seed ^ fnv1a(scenario.id())),
            emotion: persona.emotion,
            intensity: persona.intensity,
            threats: persona.threats,
            met: Vec::new(),
            outcome: Outcome::Ongoing,
            transcript: Vec::new(),
            turns: Vec::new(),
            said: Vec::new(),
        };
        let opening = session.pick("opening", |s| &s.customer().opening);
        session.transcript.push(Message { speaker: Speaker::Customer, text: opening });
        session
    }

    /// The customer's first line.
    pub fn opening(&self) -> &str {
        &self.transcript[0].text
    }

    /// The customer's latest line.
    pub fn customer_line(&self) -> &str {
        self.transcript.iter().rev().find(|m| m.speaker == Speaker::Customer).map_or("", |m| m.text.as_str())
    }

    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    pub fn seed(&self) -> u64 {
        self.seed
    }

    pub fn emotion(&self) -> Emotion {
        self.emotion
    }

    pub fn intensity(&self) -> f32 {
        self.intensity
    }

    pub fn threats(&self) -> u32 {
        self.threats
    }

    pub fn outcome(&self) -> Outcome {
        self.outcome
    }

    /// The needs met so far (an acknowledgement can be taken back by a later offence).
    pub fn met(&self) -> &[Need] {
        &self.met
    }

    /// Replies left before the customer gives up.
    pub fn patience_left(&self) -> u32 {
        self.scenario.persona().patience.saturating_sub(self.turns.len() as u32)
    }

    pub fn transcript(&self) -> &[Message] {
        &self.transcript
    }

    pub fn turns(&self) -> &[Turn] {
        &self.turns
    }

    /// The agent replies; the customer reacts.
    pub fn reply(&mut self, agent_text: &str, analyzer: &Analyzer) -> Result<Turn, SessionError> {
        if self.outcome != Outcome::Ongoing {
            return Err(SessionError::Finished(self.outcome));
        }
        let agent_text = agent_text.trim();
        if agent_text.is_empty() {
            return Err(SessionError::EmptyReply);
        }
        let chars = agent_text.chars().count();
        if chars > REPLY_MAX_CHARS {
            return Err(SessionError::TooLong { chars, max: REPLY_MAX_CHARS });
        }

        let customer_before = self.customer_line().to_owned();
        let persona = self.scenario.persona().clone();
        let context = score::ReplyContext {
            customer_line: &customer_before,
            emotion: self.emotion,
            intensity: self.intensity,
            threats: self.threats,
            needs: &persona.needs,
            met: &self.met,
            fact_cues: &persona.fact_cues,
        };
        let assessment = score::assess(analyzer, agent_text, &context);
        let before = self.intensity;

        // Calm from needs met, heat from offences.
        let primary = primary_needs(persona.emotion);
        let mut calm = 0.0;
        for need in &assessment.met {
            calm += match (self.met.contains(need), primary.contains(need)) {
                (true, _) => CALM_AGAIN,
                (false, true) => CALM_PRIMARY,
                (false, false) => CALM_OTHER,
            };
        }
        if !assessment.met.is_empty() && assessment.scores.tone >= 90 && assessment.scores.empathy >= 40 {
            calm += CALM_WARM;
        }
        let offended = !assessment.offences.is_empty();
        let mut heat: f32 = assessment.offences.iter().map(|o| o.offence.heat()).sum::<f32>().min(HEAT_MAX);
        if assessment.met.is_empty() && !offended {
            heat += HEAT_EMPTY;
        }
        self.intensity = (self.intensity - calm + heat).clamp(0.0, 1.2);

        for need in &assessment.met {
            if !self.met.contains(need) {
                self.met.push(*need);
            }
        }
        let dismissive = assessment
            .offences
            .iter()
            .any(|o| matches!(o.offence, Offence::Blame | Offence::Impatience | Offence::Dismissal));
        if dismissive {
            self.met.retain(|n| *n != Need::Acknowledgement);
        }
        if offended && self.intensity >= 0.7 && self.emotion != Emotion::Anger {
            self.emotion = Emotion::Anger;
        }

        let all_met = persona.needs.iter().all(|n| self.met.contains(n));
        let threatens = offended && self.intensity >= THREAT_AT && self.intensity < ESCALATION_LIMIT;
        if threatens {
            self.threats += 1;
        }
        let number = self.turns.len() as u32 + 1;
        self.outcome = if self.intensity >= ESCALATION_LIMIT || self.threats >= THREAT_LIMIT {
            Outcome::Escalated
        } else if all_met && !offended && self.intensity <= RESOLVE_AT {
            Outcome::Resolved
        } else if number >= persona.patience {
            Outcome::Abandoned
        } else {
            Outcome::Ongoing
        };
        let state = match self.outcome {
            Outcome::Resolved => CustomerState::Resolved,
            Outcome::Escalated => CustomerState::Escalated,
            Outcome::Abandoned => CustomerState::Abandoned,
            Outcome::Ongoing if self.intensity < before - 0.02 => CustomerState::Calming,
            Outcome::Ongoing if self.intensity > before + 0.02 => CustomerState::Escalating,
            Outcome::Ongoing => CustomerState::Stable,
        };
        if self.outcome == Outcome::Resolved {
            self.emotion = Emotion::Satisfied;
        }

        let customer = self.next_line(state, threatens, &persona.needs);
        self.transcript.push(Message { speaker: Speaker::Agent, text: agent_text.to_owned() });
        self.transcript.push(Message { speaker: Speaker::Customer, text: customer.clone() });
        let rewrite = assessment.tone_check.suggestion.clone();
        let turn = Turn {
            number,
            customer_before,
            reply: agent_text.to_owned(),
            scores: assessment.scores,
            met: assessment.met,
            offences: assessment.offences,
            emotion: self.emotion,
            intensity: (self.intensity.min(1.0) * 1000.0).round() / 1000.0,
            state,
            customer,
            outcome: self.outcome,
            rewrite,
        };
        self.turns.push(turn.clone());
        Ok(turn)
    }

    fn next_line(&mut self, state: CustomerState, threatens: bool, needs: &[Need]) -> String {
        match state {
            CustomerState::Resolved => return self.pick("resolved", |s| &s.customer().resolved),
            CustomerState::Escalated => return self.pick("escalated", |s| &s.customer().escalated),
            CustomerState::Abandoned => return self.pick("abandoned", |s| &s.customer().abandoned),
            _ if threatens => return self.pick("threatening", |s| &s.customer().threatening),
            _ => {}
        }
        let mut line = match state {
            CustomerState::Calming => self.pick("calming", |s| &s.customer().calming),
            CustomerState::Escalating => self.pick("escalating", |s| &s.customer().escalating),
            _ => self.pick("stable", |s| &s.customer().stable),
        };
        let pressing =
            needs.iter().copied().find(|n| !self.met.contains(n) && self.scenario.customer().asks.contains_key(n));
        if let Some(need) = pressing {
            line.push_str(&self.pick(need.as_str(), move |s| &s.customer().asks[&need]));
        }
        line
    }

    /// Picks a variant of a list, preferring the ones said least often.
    fn pick(&mut self, key: &'static str, list: impl Fn(&Scenario) -> &Vec<String>) -> String {
        let variants = list(&self.scenario);
        let n = variants.len();
        if n == 0 {
            return String::new();
        }
        let counts = match self.said.iter().position(|(k, _)| *k == key) {
            Some(i) => &mut self.said[i].1,
            None => {
                self.said.push((key, vec![0; n]));
                &mut self.said.last_mut().expect("just pushed").1
            }
        };
        let least = counts.iter().copied().min().unwrap_or(0);
        let fresh: Vec<usize> = (0..n).filter(|&i| counts[i] == least).collect();
        let index = fresh[self.rng.below(fresh.len())];
        counts[index] += 1;
        variants[index].clone()
    }

    /// The summary after (or during) the role-play.
    pub fn debrief(&self) -> Debrief {
        crate::debrief::debrief(self)
    }
}

/// The needs that calm an emotion most (the decks: anger wants to be heard and apologised to, anxiety wants facts
/// and a time, disappointment wants solutions).
fn primary_needs(emotion: Emotion) -> &'static [Need] {
    match emotion {
        Emotion::Anger => &[Need::Acknowledgement, Need::Apology, Need::Listening],
        Emotion::Anxiety => &[Need::Fact, Need::NextStep],
        Emotion::Disappointment => &[Need::Options, Need::Apology],
        _ => &[],
    }
}

/// The weakest dimensions worth a remark in the debrief.
pub(crate) fn weak_dimensions(scores: &Scores) -> Vec<Dimension> {
    [Dimension::Clarity].into_iter().filter(|d| scores.get(*d) < 50).collect()
}

/// The summary of a role-play: each of the agent's lines with its scores, what it lacked, and better alternatives.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Debrief {
    pub scenario: String,
    pub seed: u64,
    pub outcome: Outcome,
    /// The mean of each score over the agent's replies (all 0 when there were none).
    pub means: Scores,
    pub needs_met: Vec<Need>,
    pub needs_unmet: Vec<Need>,
    pub turns: Vec<DebriefTurn>,
    /// A few sentences in Simplified Chinese.
    pub summary: String,
}

/// One of the agent's replies, looked back on.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DebriefTurn {
    pub number: u32,
    /// What the customer had said.
    pub customer: String,
    /// The agent's own words.
    pub reply: String,
    pub scores: Scores,
    pub lacked: Vec<Lack>,
    /// The tone check's rewrite of this reply.
    pub rewrite: Option<String>,
    /// The scenario's model answer that best covers what this reply lacked.
    pub model_answer: Option<String>,
}

/// Something a reply lacked or got wrong, with advice in Simplified Chinese.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Lack {
    /// A need the customer still had that this reply did not meet.
    Need { need: Need, advice: String },
    /// A phrase that made things worse, quoted.
    Offence { offence: Offence, text: String, advice: String },
    /// A dimension that scored low although no need names it.
    Dimension { dimension: Dimension, score: u8, advice: String },
}
