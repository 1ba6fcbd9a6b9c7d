//! The reply scorer: six dimensions of one agent reply, 0–100 each, and an overall score weighted by what this
//! customer needs right now.
//!
//! - **acknowledgement**: the problem and the feeling recognised — acknowledging phrases ("理解您", "换作是我"),
//!   owning or confirming the problem ("是我们发错了", "我查到"), and restating the customer's own words;
//! - **empathy**: an apology, the customer's feeling named or reassured, a respectful address;
//! - **clarity**: a readable length, specifics (numbers, times, a numbered list, the scenario's fact), minus vague
//!   ("尽快", "应该") and boilerplate ("深表歉意", "致力于") wording;
//! - **solution**: a remedy (refund, resend, compensation …) or at least an action, a time-bound commitment, the
//!   fact the customer lacks; capped when the reply stalls or sends the customer elsewhere;
//! - **options**: two or more remedies joined as alternatives or a numbered list, and an invitation to choose;
//! - **tone**: 100 minus the penalties of the text engine's tone check (`check_reply` against the customer's last
//!   line: impatient, blaming, dismissive, refusing, sarcastic, cold, shouting, stalling, lecturing, brushing off)
//!   and of our own offence phrases (stalling, lecturing, flippancy, redirecting …) that it does not flag.
//!
//! The overall score is a weighted mean whose weights follow the response strategy for the customer
//! (`anxin_domain::strategy`: anger, anxiety, disappointment, irrational complaint), raised for the persona's needs
//! and for what the customer's line asks (a time, a remedy, a fact), lowered for needs already met in the
//! conversation; then scaled by tone, so a rude reply cannot score well on content alone.

use anxin_domain::strategy::Strategy;
use anxin_text::tone::{ToneCheck, ToneProblemKind};
use anxin_text::{Analyzer, Emotion, Span};
use serde::Serialize;

use crate::cues::{self, Cues, Offence};
use crate::scenario::{Need, Scenario};

/// One of the six scored dimensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    Acknowledgement,
    Empathy,
    Clarity,
    Solution,
    Options,
    Tone,
}

impl Dimension {
    pub const ALL: [Dimension; 6] = [
        Dimension::Acknowledgement,
        Dimension::Empathy,
        Dimension::Clarity,
        Dimension::Solution,
        Dimension::Options,
        Dimension::Tone,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Dimension::Acknowledgement => "acknowledgement",
            Dimension::Empathy => "empathy",
            Dimension::Clarity => "clarity",
            Dimension::Solution => "solution",
            Dimension::Options => "options",
            Dimension::Tone => "tone",
        }
    }

    /// What a low score here means, in Simplified Chinese.
    pub fn advice(self) -> &'static str {
        match self {
            Dimension::Acknowledgement => "没有确认客户的问题和感受，客户会觉得没被听见。",
            Dimension::Empathy => "缺少道歉或共情的话，显得公事公办。",
            Dimension::Clarity => "表达不够具体：少用“尽快”“应该”和套话，给出数字、时间、步骤。",
            Dimension::Solution => "没有给出实际的处理动作或时间。",
            Dimension::Options => "没有可选的方案，客户只能被动接受。",
            Dimension::Tone => "措辞会激化情绪。",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// The scores of one reply, 0–100.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Scores {
    pub acknowledgement: u8,
    pub empathy: u8,
    pub clarity: u8,
    pub solution: u8,
    pub options: u8,
    pub tone: u8,
    pub overall: u8,
}

impl Scores {
    pub fn get(&self, dimension: Dimension) -> u8 {
        match dimension {
            Dimension::Acknowledgement => self.acknowledgement,
            Dimension::Empathy => self.empathy,
            Dimension::Clarity => self.clarity,
            Dimension::Solution => self.solution,
            Dimension::Options => self.options,
            Dimension::Tone => self.tone,
        }
    }
}

/// An offence found in a reply, with the agent's own words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OffenceHit {
    pub offence: Offence,
    /// Character indices into the reply.
    pub span: Span,
    pub text: String,
}

/// Who the reply answers.
#[derive(Debug, Clone, Copy)]
pub struct ReplyContext<'a> {
    /// The customer's last line.
    pub customer_line: &'a str,
    /// The customer's emotion now.
    pub emotion: Emotion,
    /// 0–1.
    pub intensity: f32,
    /// Threats made so far in the conversation (regulator, platform, media, court).
    pub threats: u32,
    /// What this customer needs before they are satisfied.
    pub needs: &'a [Need],
    /// Needs already met earlier in the conversation.
    pub met: &'a [Need],
    /// Folded phrases that state the fact the customer needs.
    pub fact_cues: &'a [String],
}

impl Scenario {
    /// The context of a reply to `customer_line` at the start of this scenario (nothing met yet).
    pub fn context<'a>(&'a self, customer_line: &'a str) -> ReplyContext<'a> {
        let p = self.persona();
        ReplyContext {
            customer_line,
            emotion: p.emotion,
            intensity: p.intensity,
            threats: p.threats,
            needs: &p.needs,
            met: &[],
            fact_cues: &p.fact_cues,
        }
    }
}

/// Everything the scorer found in one reply.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Assessment {
    pub scores: Scores,
    /// The needs (of the context's list) this reply meets.
    pub met: Vec<Need>,
    /// In order of position.
    pub offences: Vec<OffenceHit>,
    /// The strategy the weights followed (`anxin_domain::strategy::Strategy::key`).
    pub strategy: &'static str,
    /// The text engine's tone check of the reply against the customer's line (its rewrite is the debrief's).
    pub tone_check: ToneCheck,
}

/// Scores one reply.
pub fn assess(analyzer: &Analyzer, reply: &str, context: &ReplyContext<'_>) -> Assessment {
    let folded = cues::fold(reply);
    let customer = cues::fold(context.customer_line);
    let c = cues::read(folded.as_str(), customer.as_str(), context.fact_cues);
    let tone_check = analyzer.check_reply(reply, Some(context.customer_line));
    let offences = offences(reply, &folded, &tone_check, &c);

    let strategy = strategy(analyzer, context);
    let stalls =
        offences.iter().any(|o| matches!(o.offence, Offence::Stalling | Offence::Dismissal | Offence::Refusal));
    let blames = offences.iter().any(|o| matches!(o.offence, Offence::Blame | Offence::Dismissal));

    let mut s = [0u32; 6];
    s[Dimension::Acknowledgement.index()] = acknowledgement(&c, blames);
    s[Dimension::Empathy.index()] = empathy(&c, blames);
    s[Dimension::Clarity.index()] = clarity(&c);
    s[Dimension::Solution.index()] = solution(&c, stalls);
    s[Dimension::Options.index()] = options(&c);
    let penalty: u32 = offences.iter().map(|o| o.offence.penalty()).sum();
    s[Dimension::Tone.index()] = 100u32.saturating_sub(penalty);

    let weights = weights(strategy, context, cues::asks(customer.as_str()));
    let total: f32 = weights.iter().sum();
    let mean: f32 = weights.iter().zip(s).map(|(w, v)| w * v as f32).sum::<f32>() / total;
    let tone = s[Dimension::Tone.index()] as f32 / 100.0;
    let overall = mean * (0.3 + 0.7 * tone);

    let met = context.needs.iter().copied().filter(|n| meets(*n, &c, &s, stalls)).collect();
    let byte = |v: u32| v.min(100) as u8;
    Assessment {
        scores: Scores {
            acknowledgement: byte(s[0]),
            empathy: byte(s[1]),
            clarity: byte(s[2]),
            solution: byte(s[3]),
            options: byte(s[4]),
            tone: byte(s[5]),
            overall: overall.round().clamp(0.0, 100.0) as u8,
        },
        met,
        offences,
        strategy: strategy.key(),
        tone_check,
    }
}

/// The strategy card the workspace would show for this customer (irrational on insults or piled-up threats).
fn strategy(analyzer: &Analyzer, context: &ReplyContext<'_>) -> Strategy {
    let analysis = analyzer.analyze_customer_message(context.customer_line);
    let mut signals: Vec<String> = analysis.signals.iter().map(|s| s.kind.as_str().to_owned()).collect();
    // Threats made earlier in the conversation count as seen, as in the workspace.
    for kind in ["regulator", "platform_complaint", "media", "legal"].iter().take(context.threats as usize) {
        signals.push((*kind).to_owned());
    }
    Strategy::choose(Some(context.emotion.as_str()), &signals, f64::from(context.intensity))
}

fn acknowledgement(c: &Cues, blames: bool) -> u32 {
    let restated = match c.restated {
        0 => 0,
        1 => 5,
        2 => 15,
        _ => 25,
    };
    let score = 50 * u32::from(c.ack_feeling) + 35 * u32::from(c.ack_own) + restated;
    if blames { score.min(30) } else { score }
}

fn empathy(c: &Cues, blames: bool) -> u32 {
    let feeling = c.feeling || c.ack_feeling;
    let score = 45 * u32::from(c.apology) + 40 * u32::from(feeling || c.reassure) + 15 * u32::from(c.warm);
    if blames { score.min(40) } else { score }
}

fn clarity(c: &Cues) -> u32 {
    let base: i32 = match c.units {
        0..6 => 25,
        6..12 => 45,
        12..20 => 60,
        20..=140 => 75,
        141..=220 => 65,
        _ => 50,
    };
    let specifics =
        10 * i32::from(c.number) + 10 * i32::from(c.time) + 10 * i32::from(c.numbered >= 2) + 10 * i32::from(c.fact);
    let vague = 12 * c.vague.min(3) as i32;
    let boilerplate = 8 * c.boilerplate.min(3) as i32;
    (base + specifics.min(25) - vague - boilerplate).clamp(0, 100) as u32
}

fn solution(c: &Cues, stalls: bool) -> u32 {
    let act = if c.remedies > 0 {
        40
    } else if c.action {
        20
    } else {
        0
    };
    let time = if c.time_commitment { 40 } else { 0 };
    let fact = if c.fact {
        20
    } else if c.number {
        10
    } else {
        0
    };
    let score = act + time + fact;
    if stalls { score.min(25) } else { score }
}

fn options(c: &Cues) -> u32 {
    let two = c.numbered >= 2 || (c.alternative && c.remedies >= 2);
    match (two, c.alternative || c.remedies >= 2, c.choose) {
        (true, _, true) => 100,
        (true, _, false) => 80,
        (false, true, true) => 55,
        (false, true, false) => 40,
        (false, false, true) => 25,
        (false, false, false) => 0,
    }
}

/// Whether the reply meets a need, from its cues and dimension scores.
fn meets(need: Need, c: &Cues, s: &[u32; 6], stalls: bool) -> bool {
    match need {
        Need::Acknowledgement => s[Dimension::Acknowledgement.index()] >= 50,
        Need::Apology => c.apology && s[Dimension::Tone.index()] >= 50,
        Need::Options => s[Dimension::Options.index()] >= 80,
        Need::NextStep => c.time_commitment && !stalls,
        Need::Fact => c.fact,
        Need::Listening => c.listening,
    }
}

/// Dimension weights: the strategy's base, the persona's needs, what the customer asks now, what is already met.
fn weights(strategy: Strategy, context: &ReplyContext<'_>, asks: cues::Asks) -> [f32; 6] {
    // acknowledgement, empathy, clarity, solution, options, tone
    let mut w: [f32; 6] = match strategy {
        Strategy::Anger => [0.20, 0.20, 0.10, 0.25, 0.10, 0.15],
        Strategy::Anxiety => [0.15, 0.15, 0.20, 0.30, 0.05, 0.15],
        Strategy::Disappointment => [0.15, 0.20, 0.10, 0.25, 0.15, 0.15],
        Strategy::IrrationalComplaint => [0.25, 0.20, 0.05, 0.20, 0.05, 0.25],
        Strategy::Neutral | Strategy::Satisfied => [0.10, 0.10, 0.25, 0.30, 0.10, 0.15],
    };
    let dims = |need: Need| -> &'static [Dimension] {
        match need {
            Need::Acknowledgement | Need::Listening => &[Dimension::Acknowledgement],
            Need::Apology => &[Dimension::Empathy],
            Need::Options => &[Dimension::Options],
            Need::NextStep => &[Dimension::Solution],
            Need::Fact => &[Dimension::Clarity],
        }
    };
    for need in context.needs {
        let factor = if context.met.contains(need) { 0.4 } else { 1.5 };
        for d in dims(*need) {
            w[d.index()] *= factor;
        }
    }
    if !context.needs.contains(&Need::Options) && !asks.remedy {
        w[Dimension::Options.index()] *= 0.5;
    }
    if asks.time {
        w[Dimension::Solution.index()] *= 1.5;
        w[Dimension::Clarity.index()] *= 1.2;
    }
    if asks.remedy {
        w[Dimension::Solution.index()] *= 1.3;
        w[Dimension::Options.index()] *= 1.5;
    }
    if asks.fact {
        w[Dimension::Solution.index()] *= 1.3;
        w[Dimension::Clarity.index()] *= 1.3;
    }
    // A direct question wants a direct answer more than another round of feelings; so does a customer who has
    // calmed down, while a furious one needs to be heard first.
    let mut feelings = 0.5 + context.intensity.clamp(0.0, 1.0);
    if asks.time || asks.remedy || asks.fact {
        feelings *= 0.6;
    }
    w[Dimension::Acknowledgement.index()] *= feelings;
    w[Dimension::Empathy.index()] *= feelings;
    w
}

/// The tone check's problems and our own offence phrases (where the tone check flagged nothing), in order.
fn offences(reply: &str, folded: &anxin_text::normalize::Normalized, tone: &ToneCheck, c: &Cues) -> Vec<OffenceHit> {
    // "请耐心等待，明天下午3点前给您回复" asks for patience with a time: not stalling. The tone check has its own
    // notion of a time-bound next step; ours (`Cues::time_commitment`) decides here, for its phrases and ours alike.
    let excused = |offence: Offence| offence == Offence::Stalling && c.time_commitment;
    let mut hits: Vec<OffenceHit> = tone
        .problems
        .iter()
        .map(|p| OffenceHit {
            offence: match p.kind {
                ToneProblemKind::Impatient => Offence::Impatience,
                ToneProblemKind::Blaming => Offence::Blame,
                ToneProblemKind::Dismissive => Offence::Dismissal,
                ToneProblemKind::AbsoluteRefusal => Offence::Refusal,
                ToneProblemKind::Sarcasm => Offence::Sarcasm,
                ToneProblemKind::Cold => Offence::Cold,
                ToneProblemKind::Shouting => Offence::Shouting,
                ToneProblemKind::Stalling => Offence::Stalling,
                ToneProblemKind::Lecturing => Offence::Lecturing,
                // "正常现象" was already blame in our own list (the problem is put back on the customer).
                ToneProblemKind::BrushOff => Offence::Blame,
            },
            span: p.span,
            text: p.text.clone(),
        })
        .filter(|h| !excused(h.offence))
        .collect();
    for found in cues::offences(folded.as_str()) {
        if excused(found.offence) {
            continue;
        }
        let span = Span::new(folded.char_index(found.start), folded.char_index(found.end));
        if hits.iter().any(|h| h.span.overlaps(&span)) {
            continue;
        }
        let text = anxin_text::normalize::original_slice(reply, span.start, span.end);
        hits.push(OffenceHit { offence: found.offence, span, text });
    }
    hits.sort_by_key(|h| h.span.start);
    hits
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::starter_scenario;

    fn analyzer() -> &'static Analyzer {
        Analyzer::embedded().expect("the model is embedded")
    }

    fn score(scenario: &str, customer: &str, reply: &str) -> Assessment {
        let s = starter_scenario(scenario).expect("scenario");
        assess(analyzer(), reply, &s.context(customer))
    }

    const ANGRY: &str = "你们怎么搞的？我买的是M码，寄来的是S码！你们发货前都不看一眼吗？";

    #[test]
    fn each_dimension_reads_its_cues() {
        // (reply, dimension, at least, at most)
        let cases: &[(&str, Dimension, u8, u8)] = &[
            ("非常理解您的心情，是我们发错了码。", Dimension::Acknowledgement, 80, 100),
            ("好的。", Dimension::Acknowledgement, 0, 0),
            ("真的非常抱歉，让您生气了。", Dimension::Empathy, 90, 100),
            ("申请换货即可。", Dimension::Empathy, 0, 0),
            ("1. 今天补发M码；2. 全额退款。您选哪个？", Dimension::Options, 100, 100),
            ("可以给您换货。", Dimension::Options, 0, 0),
            ("今天下午5点前给您发出M码，单号出来就发您。", Dimension::Solution, 80, 100),
            ("我们会尽快处理。", Dimension::Solution, 20, 20),
            ("请您耐心等待，我们会尽快处理。", Dimension::Solution, 0, 25),
            ("是你自己没看清楚吧。", Dimension::Tone, 0, 70),
            ("请您文明用语。", Dimension::Tone, 0, 75),
            ("我们一直致力于提供优质服务，对于给您带来的不便深表歉意，会尽快处理。", Dimension::Clarity, 0, 50),
        ];
        for (reply, dimension, lo, hi) in cases {
            let got = score("wrong-size-anger", ANGRY, reply).scores.get(*dimension);
            assert!((*lo..=*hi).contains(&got), "{reply:?}: {dimension:?} = {got}, expected {lo}..={hi}");
        }
    }

    #[test]
    fn a_complete_reply_beats_a_polite_empty_one_which_beats_a_rude_one() {
        let good = score(
            "wrong-size-anger",
            ANGRY,
            "真的非常抱歉，您下的是M码我们却发了S码，换谁都会生气。我给您两个方案：1. 今天下午5点前补发M码；2. 全额退款。您看选哪个？",
        );
        let polite = score("wrong-size-anger", ANGRY, "亲，给您带来不便很抱歉，我们会尽快处理的。");
        let rude = score("wrong-size-anger", ANGRY, "不是跟你说了吗，等着吧。");
        assert!(good.scores.overall >= 75, "{:?}", good.scores);
        assert!(good.scores.overall > polite.scores.overall && polite.scores.overall > rude.scores.overall);
        assert!(rude.scores.overall <= 25, "{:?}", rude.scores);
        let kinds: Vec<Offence> = rude.offences.iter().map(|o| o.offence).collect();
        assert_eq!(kinds, [Offence::Impatience, Offence::Stalling]);
        assert_eq!(rude.offences[1].text, "等着吧");
        assert_eq!(good.met, [Need::Acknowledgement, Need::Apology, Need::Options, Need::NextStep]);
        assert_eq!(good.strategy, "anger");
    }

    #[test]
    fn patience_with_a_time_is_not_stalling() {
        let a = score("late-delivery-anxiety", "还能到吗？", "请您耐心等待，明天下午3点前我给您回复最新位置。");
        assert!(a.offences.is_empty(), "{:?}", a.offences);
        assert_eq!(a.met, [Need::NextStep]);
    }

    #[test]
    fn insults_switch_to_the_irrational_strategy() {
        let a = score("irrational-insults", "你们这帮骗子！再不退钱我马上打12315，再发微博曝光你们！", "非常抱歉。");
        assert_eq!(a.strategy, "irrational");
    }

    #[test]
    fn traditional_replies_score_like_simplified_ones() {
        let customer = "物流顯示已簽收，可是我沒收到！";
        let hant = score(
            "signed-not-received-hk",
            customer,
            "明白你的擔心。簽收人是大廈管理處，你今天可以去拿；找不到的話我48小時內給你結果。",
        );
        let hans = score(
            "signed-not-received-hk",
            customer,
            "明白你的担心。签收人是大厦管理处，你今天可以去拿；找不到的话我48小时内给你结果。",
        );
        assert_eq!(hant.scores, hans.scores);
        assert_eq!(hant.met, [Need::Acknowledgement, Need::Fact, Need::NextStep]);
    }
}
