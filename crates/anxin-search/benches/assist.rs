//! Reply-suggestion latency over 100,000 synthetic entries: `cargo bench -p anxin-search --bench assist`.
//!
//! One suggestion is what the workspace computes for the message an agent answers: the strategy card
//! (`anxin_domain::strategy::Strategy::choose`) and `assist` — 3 scripts for the emotion and complaint type, 3
//! answers, the repeated-question check. Each held-out question is analysed once beforehand by the embedded text
//! engine (emotion, complaint type, language, signals, risk: what the stored message already carries), then
//! timed over several rounds; we report p50/p99 per suggestion (the bar is p99 ≤ 20 ms). The library is the search
//! benchmark's, except that copies' questions are made distinct: 500 equally close copies of one FAQ are never
//! offered as a repeated question, which would skip that path.

mod support;

use std::time::Instant;

use anxin_domain::model::{ChannelKind, ComplaintType, Emotion, Language};
use anxin_domain::strategy::Strategy;
use anxin_search::assist::{AssistRequest, assist};
use anxin_text::Analyzer;

const ROUNDS: usize = 20;

/// A held-out question with what the text engine found in it.
struct Message {
    text: String,
    emotion: Emotion,
    complaint_type: Option<ComplaintType>,
    lang: Language,
    signals: Vec<String>,
    risk: f64,
}

fn main() {
    let index = support::library(true);
    let analyzer = Analyzer::embedded().expect("embedded model");
    let messages: Vec<Message> = support::queries()
        .into_iter()
        .map(|text| {
            let analysis = analyzer.analyze(&text);
            let risk = analyzer.conversation(std::slice::from_ref(&analysis)).complaint_risk;
            Message {
                emotion: Emotion::parse(analysis.emotion.label.as_str()).expect("same emotion labels"),
                complaint_type: analysis.complaint.map(|c| ComplaintType::parse(c.label.as_str()).expect("same types")),
                // `mixed` counts as Simplified Chinese.
                lang: Language::parse(analysis.language.as_str()).unwrap_or(Language::ZhHans),
                signals: analysis.signals.iter().map(|s| s.kind.as_str().to_owned()).collect(),
                risk: f64::from(risk),
                text,
            }
        })
        .collect();

    let suggest = |message: &Message| {
        let strategy = Strategy::choose(Some(message.emotion.as_str()), &message.signals, message.risk);
        let request = AssistRequest {
            text: &message.text,
            emotion: message.emotion,
            complaint_type: message.complaint_type,
            channel: Some(ChannelKind::WebChat),
            lang: Some(message.lang),
        };
        (strategy, assist(&index, &request).expect("assist"))
    };
    // Warm-up: first touches of the posting lists.
    let (mut scripts, mut answers, mut repeated) = (0, 0, 0);
    for message in &messages {
        let (_, help) = suggest(message);
        scripts += help.scripts.len();
        answers += help.answers.len();
        repeated += usize::from(help.repeated.is_some());
    }
    println!(
        "per question: {:.2} scripts, {:.2} answers; repeated question offered for {repeated} of {}",
        scripts as f64 / messages.len() as f64,
        answers as f64 / messages.len() as f64,
        messages.len()
    );
    let mut times = Vec::with_capacity(messages.len() * ROUNDS);
    for _ in 0..ROUNDS {
        for message in &messages {
            let started = Instant::now();
            let suggestion = suggest(message);
            times.push(started.elapsed());
            std::hint::black_box(suggestion);
        }
    }
    println!(
        "{} suggestions ({} questions x {ROUNDS}: strategy + 3 scripts + 3 answers + repeated check): {}",
        times.len(),
        messages.len(),
        support::summary(&mut times)
    );
}
