//! Role-play bars, table-tested over every starter scenario.

use anxin_text::Emotion;
use anxin_training::{Lack, Need, Offence, Outcome, Scenario, Session, SessionError, Speaker, starter};

use crate::analyzer;

/// An agent who is rude, stalls and pushes the customer away.
const RUDE: &[&str] = &[
    "不是跟你说了吗，等着吧。",
    "这不归我管，没办法。",
    "是你自己没看清楚，我们也没办法。",
    "说了多少遍了，再等等。",
    "你要投诉就去投诉吧。",
    "呵呵，随便你。",
];

/// A generic good agent: acknowledge → apologise → two options → a time-bound next step.
const GENERIC_GOOD: &[(Need, &str)] = &[
    (Need::Acknowledgement, "非常理解您的心情，换作是我也会着急，这件事确实是我们没做好。"),
    (Need::Apology, "真的非常抱歉，给您添麻烦了。"),
    (Need::Options, "我给您两个方案：1. 今天为您补发或更换；2. 直接全额退款。您看选哪一个？"),
    (Need::NextStep, "我今天下午5点前为您处理好，处理完马上告诉您结果。"),
];

/// Plays a script until the conversation ends or the script runs out; returns the session.
fn play(scenario: &Scenario, seed: u64, script: &[&str]) -> Session {
    let mut session = Session::start(scenario, seed);
    for line in script {
        if session.outcome() != Outcome::Ongoing {
            break;
        }
        session.reply(line, analyzer()).expect("the session takes the reply");
    }
    session
}

fn transcript(session: &Session) -> String {
    session.transcript().iter().map(|m| format!("{:?}: {}", m.speaker, m.text)).collect::<Vec<_>>().join("\n")
}

/// The generic good agent, with the scenario's model answer for any need it does not cover (a fact, listening).
fn good_script(scenario: &Scenario) -> Vec<String> {
    let needs = &scenario.persona().needs;
    let mut script: Vec<String> = Vec::new();
    for (need, line) in GENERIC_GOOD {
        if *need == Need::NextStep {
            for extra in needs.iter().filter(|n| !GENERIC_GOOD.iter().any(|(g, _)| g == *n)) {
                let answer = scenario.model_answers().iter().find(|a| a.covers.contains(extra)).expect("validated");
                script.push(answer.text.clone());
            }
        }
        script.push((*line).to_owned());
    }
    script
}

#[test]
fn a_rude_stalling_agent_escalates_every_customer() {
    for scenario in starter() {
        for seed in [1, 2, 3] {
            let session = play(scenario, seed, RUDE);
            assert_eq!(
                session.outcome(),
                Outcome::Escalated,
                "{} seed {seed}:\n{}",
                scenario.id(),
                transcript(&session)
            );
            assert_eq!(session.emotion(), Emotion::Anger, "{}", scenario.id());
            let last = session.turns().last().expect("a turn");
            assert!(scenario.customer().escalated.contains(&last.customer), "{}: {:?}", scenario.id(), last.customer);
            assert!(session.turns().iter().all(|t| t.scores.overall < 30), "{}: {:?}", scenario.id(), session.turns());
        }
    }
}

#[test]
fn a_good_generic_agent_resolves_every_customer_within_six_replies() {
    for scenario in starter() {
        let script = good_script(scenario);
        let lines: Vec<&str> = script.iter().map(String::as_str).collect();
        for seed in [1, 2, 3] {
            let session = play(scenario, seed, &lines);
            assert_eq!(
                session.outcome(),
                Outcome::Resolved,
                "{} seed {seed}:\n{}",
                scenario.id(),
                transcript(&session)
            );
            assert!(session.turns().len() <= 6, "{}: {} replies", scenario.id(), session.turns().len());
            assert_eq!(session.emotion(), Emotion::Satisfied);
        }
    }
}

#[test]
fn the_scenario_model_answers_resolve_their_customer() {
    for scenario in starter() {
        let lines: Vec<&str> = scenario.model_answers().iter().map(|a| a.text.as_str()).collect();
        let session = play(scenario, 7, &lines);
        assert_eq!(session.outcome(), Outcome::Resolved, "{}:\n{}", scenario.id(), transcript(&session));
        let intensities: Vec<f32> = session.turns().iter().map(|t| t.intensity).collect();
        assert!(intensities.windows(2).all(|w| w[1] <= w[0]), "{}: {intensities:?}", scenario.id());
        let overall: Vec<u8> = session.turns().iter().map(|t| t.scores.overall).collect();
        let mean = overall.iter().map(|&v| u32::from(v)).sum::<u32>() / overall.len() as u32;
        assert!(mean >= 55 && overall.iter().any(|&v| v >= 70), "{}: {overall:?}", scenario.id());
    }
}

#[test]
fn an_agent_who_only_soothes_runs_out_the_customers_patience() {
    for scenario in starter() {
        let soothing = vec!["非常理解您的心情，真的很抱歉给您添麻烦了。"; 12];
        let session = play(scenario, 5, &soothing);
        assert_eq!(session.outcome(), Outcome::Abandoned, "{}:\n{}", scenario.id(), transcript(&session));
        assert_eq!(session.turns().len() as u32, scenario.persona().patience, "{}", scenario.id());
        assert_eq!(session.patience_left(), 0);
    }
}

#[test]
fn the_same_seed_gives_the_same_transcript() {
    for scenario in starter() {
        for script in [RUDE.to_vec(), good_script(scenario).iter().map(String::as_str).collect()] {
            let a = play(scenario, 42, &script);
            let b = play(scenario, 42, &script);
            assert_eq!(a.transcript(), b.transcript(), "{}", scenario.id());
            assert_eq!(a.turns(), b.turns(), "{}", scenario.id());
        }
    }
}

#[test]
fn different_seeds_vary_the_customers_lines() {
    let soothing = vec!["非常理解您的心情，真的很抱歉给您添麻烦了。"; 3];
    for scenario in starter() {
        let mut openings = std::collections::BTreeSet::new();
        let mut transcripts = std::collections::BTreeSet::new();
        for seed in 0..12 {
            let session = play(scenario, seed, &soothing);
            openings.insert(session.opening().to_owned());
            transcripts.insert(transcript(&session));
        }
        assert!(openings.len() >= 2, "{}: {openings:?}", scenario.id());
        assert!(
            transcripts.len() >= 6,
            "{}: only {} distinct transcripts in 12 seeds",
            scenario.id(),
            transcripts.len()
        );
    }
}

#[test]
fn a_customer_does_not_repeat_a_line_while_fresh_ones_remain() {
    let scenario = anxin_training::starter_scenario("quality-disappointment").expect("scenario");
    let session = play(scenario, 3, &["好的。", "嗯嗯好的。", "好的呢。", "收到。"]);
    let said: Vec<&str> =
        session.transcript().iter().filter(|m| m.speaker == Speaker::Customer).map(|m| m.text.as_str()).collect();
    let unique: std::collections::BTreeSet<&&str> = said.iter().collect();
    assert_eq!(unique.len(), said.len(), "{said:?}");
}

#[test]
fn an_offended_anxious_customer_turns_angry_and_threatens() {
    let scenario = anxin_training::starter_scenario("late-delivery-anxiety").expect("scenario");
    let mut session = Session::start(scenario, 9);
    assert_eq!(session.emotion(), Emotion::Anxiety);
    let turn = session.reply("您再等等吧。", analyzer()).expect("reply");
    assert_eq!(turn.emotion, Emotion::Anger);
    assert!(turn.intensity > scenario.persona().intensity);
    assert_eq!(turn.offences.iter().map(|o| o.offence).collect::<Vec<_>>(), [Offence::Stalling]);
    assert_eq!(turn.outcome, Outcome::Ongoing);
    assert_eq!(session.threats(), 1);
    assert!(scenario.customer().threatening.contains(&turn.customer), "{:?}", turn.customer);
}

#[test]
fn piled_up_threats_escalate_at_the_third() {
    // The irrational customer opens with two threats: one more offence near the limit escalates.
    let scenario = anxin_training::starter_scenario("irrational-insults").expect("scenario");
    let mut session = Session::start(scenario, 1);
    assert_eq!(session.threats(), 2);
    let turn = session.reply("请您文明用语。", analyzer()).expect("reply");
    assert_eq!(turn.outcome, Outcome::Escalated);
}

#[test]
fn a_blaming_reply_takes_back_an_acknowledgement() {
    let scenario = anxin_training::starter_scenario("wrong-size-anger").expect("scenario");
    let mut session = Session::start(scenario, 1);
    session.reply("非常理解您的心情，您下的是M码我们却发了S码，确实是我们的问题。", analyzer()).expect("reply");
    assert!(session.met().contains(&Need::Acknowledgement));
    session.reply("不过您是不是也没仔细看尺码表？", analyzer()).expect("reply");
    assert!(!session.met().contains(&Need::Acknowledgement), "{:?}", session.met());
}

#[test]
fn replies_are_refused_when_empty_too_long_or_after_the_end() {
    let scenario = &starter()[0];
    let mut session = Session::start(scenario, 1);
    assert_eq!(session.reply("  \n ", analyzer()), Err(SessionError::EmptyReply));
    let long = "好".repeat(2_001);
    assert_eq!(session.reply(&long, analyzer()), Err(SessionError::TooLong { chars: 2_001, max: 2_000 }));
    assert!(session.turns().is_empty(), "a refused reply is not a turn");
    let session = play(scenario, 1, RUDE);
    let outcome = session.outcome();
    let mut session = session;
    assert_eq!(session.reply("您好", analyzer()), Err(SessionError::Finished(outcome)));
}

#[test]
fn the_debrief_quotes_each_reply_with_what_it_lacked_and_better_alternatives() {
    let scenario = anxin_training::starter_scenario("wrong-size-anger").expect("scenario");
    let mut session = Session::start(scenario, 11);
    let empty = session.debrief();
    assert_eq!((empty.outcome, empty.means.overall, empty.turns.len()), (Outcome::Ongoing, 0, 0));

    session.reply("亲，我们核实一下哦。", analyzer()).expect("reply");
    session.reply("不是跟你说了吗，等着吧。", analyzer()).expect("reply");
    let debrief = session.debrief();
    assert_eq!(debrief.turns.len(), 2);
    assert_eq!(debrief.turns[1].reply, "不是跟你说了吗，等着吧。");
    assert_eq!(debrief.turns[0].customer, session.opening());
    let offence_texts: Vec<&str> = debrief.turns[1]
        .lacked
        .iter()
        .filter_map(|l| match l {
            Lack::Offence { text, .. } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(offence_texts, ["不是跟你说了吗", "等着吧"]);
    let needs: Vec<Need> = debrief.turns[0]
        .lacked
        .iter()
        .filter_map(|l| if let Lack::Need { need, .. } = l { Some(*need) } else { None })
        .collect();
    assert_eq!(needs, [Need::Acknowledgement, Need::Apology]);
    // The model answer that covers acknowledgement and apology, and the tone check's rewrite of the rude line.
    assert_eq!(debrief.turns[0].model_answer.as_deref(), Some(scenario.model_answers()[0].text.as_str()));
    let rewrite = debrief.turns[1].rewrite.as_deref().expect("a rewrite");
    assert!(!rewrite.contains("不是跟你说了吗"), "{rewrite}");
    assert_eq!(debrief.needs_unmet, scenario.persona().needs);
    assert_eq!(debrief.outcome, Outcome::Escalated);
    assert!(debrief.summary.contains("升级投诉") && debrief.summary.contains("平均得分"), "{}", debrief.summary);

    let json = serde_json::to_value(&debrief).expect("serialisable");
    assert_eq!(json["turns"][1]["lacked"][0]["kind"], "offence");
    assert_eq!(json["turns"][1]["lacked"][0]["offence"], "impatience");
    assert_eq!(json["outcome"], "escalated");
}

#[test]
fn a_resolved_debrief_has_nothing_unmet_and_says_so() {
    let scenario = anxin_training::starter_scenario("refund-not-arrived").expect("scenario");
    let lines: Vec<&str> = scenario.model_answers().iter().map(|a| a.text.as_str()).collect();
    let debrief = play(scenario, 2, &lines).debrief();
    assert_eq!(debrief.outcome, Outcome::Resolved);
    assert!(debrief.needs_unmet.is_empty());
    assert!(debrief.summary.starts_with("吴同学的问题在第"), "{}", debrief.summary);
    assert!(debrief.turns.iter().all(|t| t.lacked.iter().all(|l| !matches!(l, Lack::Offence { .. }))));
}
