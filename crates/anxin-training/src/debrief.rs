//! The debrief: the agent's own lines with their scores, what each lacked, and better alternatives (the scenario's
//! model answers and the tone check's rewrite).

use crate::scenario::Need;
use crate::score::{Dimension, Scores};
use crate::session::{Debrief, DebriefTurn, Lack, Outcome, Session, weak_dimensions};

/// At most this many unmet needs are listed per reply: the most pressing ones, in the persona's order.
const NEEDS_PER_TURN: usize = 2;

pub(crate) fn debrief(session: &Session) -> Debrief {
    let scenario = session.scenario();
    let needs = &scenario.persona().needs;
    let mut met_before: Vec<Need> = Vec::new();
    let mut turns = Vec::with_capacity(session.turns().len());
    for turn in session.turns() {
        let mut lacked: Vec<Lack> = turn
            .offences
            .iter()
            .map(|o| Lack::Offence { offence: o.offence, text: o.text.clone(), advice: o.offence.advice().to_owned() })
            .collect();
        let unmet: Vec<Need> = needs
            .iter()
            .copied()
            .filter(|n| !met_before.contains(n) && !turn.met.contains(n))
            .take(NEEDS_PER_TURN)
            .collect();
        lacked.extend(unmet.iter().map(|n| Lack::Need { need: *n, advice: n.advice().to_owned() }));
        lacked.extend(weak_dimensions(&turn.scores).into_iter().map(|d| Lack::Dimension {
            dimension: d,
            score: turn.scores.get(d),
            advice: d.advice().to_owned(),
        }));
        let model_answer = if lacked.is_empty() {
            None
        } else {
            // The model answer covering the most of what was missing; with nothing missing but an offence, the
            // one for the first need still open.
            let wanted: Vec<Need> = if unmet.is_empty() {
                needs.iter().copied().filter(|n| !met_before.contains(n)).take(1).collect()
            } else {
                unmet.clone()
            };
            scenario
                .model_answers()
                .iter()
                .map(|a| (a.covers.iter().filter(|n| wanted.contains(n)).count(), a))
                .filter(|(n, _)| *n > 0)
                .max_by_key(|(n, a)| (*n, std::cmp::Reverse(a.text.len())))
                .map(|(_, a)| a.text.clone())
        };
        turns.push(DebriefTurn {
            number: turn.number,
            customer: turn.customer_before.clone(),
            reply: turn.reply.clone(),
            scores: turn.scores,
            lacked,
            rewrite: turn.rewrite.clone(),
            model_answer,
        });
        for n in &turn.met {
            if !met_before.contains(n) {
                met_before.push(*n);
            }
        }
    }

    let mean = |f: &dyn Fn(&crate::score::Scores) -> u8| -> u8 {
        let n = session.turns().len();
        if n == 0 {
            return 0;
        }
        let sum: u32 = session.turns().iter().map(|t| u32::from(f(&t.scores))).sum();
        (sum as f32 / n as f32).round() as u8
    };
    let means = Scores {
        acknowledgement: mean(&|s| s.acknowledgement),
        empathy: mean(&|s| s.empathy),
        clarity: mean(&|s| s.clarity),
        solution: mean(&|s| s.solution),
        options: mean(&|s| s.options),
        tone: mean(&|s| s.tone),
        overall: mean(&|s| s.overall),
    };
    let needs_met: Vec<Need> = needs.iter().copied().filter(|n| session.met().contains(n)).collect();
    let needs_unmet: Vec<Need> = needs.iter().copied().filter(|n| !session.met().contains(n)).collect();
    let summary = summary(session, &means, &needs_unmet);
    Debrief {
        scenario: scenario.id().to_owned(),
        seed: session.seed(),
        outcome: session.outcome(),
        means,
        needs_met,
        needs_unmet,
        turns,
        summary,
    }
}

fn need_name(need: Need) -> &'static str {
    match need {
        Need::Acknowledgement => "确认问题和感受",
        Need::Apology => "道歉",
        Need::Options => "可选方案",
        Need::NextStep => "带时间的下一步",
        Need::Fact => "具体事实",
        Need::Listening => "倾听和提问",
    }
}

fn dimension_name(dimension: Dimension) -> &'static str {
    match dimension {
        Dimension::Acknowledgement => "确认",
        Dimension::Empathy => "共情",
        Dimension::Clarity => "清晰",
        Dimension::Solution => "解决",
        Dimension::Options => "选项",
        Dimension::Tone => "语气",
    }
}

fn summary(session: &Session, means: &Scores, unmet: &[Need]) -> String {
    let replies = session.turns().len();
    let name = &session.scenario().persona().name;
    let mut out = match session.outcome() {
        Outcome::Resolved => format!("{name}的问题在第{replies}轮回复后解决了。"),
        Outcome::Escalated => format!("{name}在第{replies}轮回复后升级投诉了。"),
        Outcome::Abandoned => format!("{name}等了{replies}轮回复后放弃了沟通。"),
        Outcome::Ongoing if replies == 0 => format!("{name}还在等你的第一条回复。"),
        Outcome::Ongoing => format!("对话进行到第{replies}轮，还没有结束。"),
    };
    if replies > 0 {
        out.push_str(&format!("平均得分{}分。", means.overall));
        let dimensions: Vec<(Dimension, u8)> = Dimension::ALL.iter().map(|d| (*d, means.get(*d))).collect();
        // The first of equals wins: max_by_key keeps the last, so search the reversed list.
        let best = dimensions.iter().rev().max_by_key(|(_, v)| *v).map(|(d, v)| (dimension_name(*d), *v));
        let worst = dimensions.iter().min_by_key(|(_, v)| *v).map(|(d, v)| (dimension_name(*d), *v));
        if let (Some((b, bv)), Some((w, wv))) = (best, worst) {
            if bv > wv {
                out.push_str(&format!("做得最好的是“{b}”（{bv}分），最需要加强的是“{w}”（{wv}分）。"));
            }
        }
        let offences: usize = session.turns().iter().map(|t| t.offences.len()).sum();
        if offences > 0 {
            out.push_str(&format!("有{offences}处措辞激化了情绪，见各轮的标注。"));
        }
    }
    if !unmet.is_empty() {
        let list: Vec<&str> = unmet.iter().map(|n| need_name(*n)).collect();
        out.push_str(&format!("客户始终没有得到：{}。", list.join("、")));
    }
    out
}
