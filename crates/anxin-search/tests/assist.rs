//! Reply assistance over the starter content in `content/`: scripts and answers for real questions, and the
//! one-click answer to a repeated question, whose bar is precision ≥ 0.95 on the held-out query set
//! (`content/eval/search-queries.csv`: each row a realistic customer question and the entry that answers it). The
//! run prints the precision and coverage at several thresholds, so a recalibration starts from the numbers.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anxin_domain::knowledge::{Entry, Kind};
use anxin_domain::model::{ChannelKind, ComplaintType, Emotion, Language};
use anxin_search::assist::{AssistRequest, REPEATED_THRESHOLD, assist, repeat_similarity};
use anxin_search::{SearchIndex, Synonyms};

const PRECISION_BAR: f64 = 0.95;
/// Below this the one-click answer would hardly ever show; a guard against a threshold raised into uselessness.
const COVERAGE_FLOOR: f64 = 0.08;

fn content() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../content")
}

fn files_under(dir: &Path, out: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).expect("content directory") {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            files_under(&path, out);
        } else if path.extension().is_some_and(|e| e == "md") {
            let name = path.display().to_string();
            out.push((name, std::fs::read_to_string(&path).expect("content file")));
        }
    }
}

fn starter() -> (Vec<Entry>, SearchIndex) {
    let mut files = Vec::new();
    files_under(&content().join("knowledge"), &mut files);
    files_under(&content().join("scripts"), &mut files);
    files.sort();
    let entries = anxin_domain::knowledge::import(&files).expect("starter content imports");
    let index = SearchIndex::new(Synonyms::default_list()).expect("index");
    index.rebuild(&entries).expect("rebuild");
    (entries, index)
}

fn request(text: &str, emotion: Emotion, complaint_type: Option<ComplaintType>) -> AssistRequest<'_> {
    AssistRequest { text, emotion, complaint_type, channel: Some(ChannelKind::WebChat), lang: None }
}

#[test]
fn an_anxious_question_gets_scripts_for_anxiety_and_the_faq_that_answers_it() {
    let (_, index) = starter();
    let help = assist(&index, &request("退货运费谁出？", Emotion::Anxiety, Some(ComplaintType::RefundReturn)))
        .expect("assist");
    let scripts: Vec<&str> = help.scripts.iter().map(|hit| hit.id.as_str()).collect();
    let answers: Vec<&str> = help.answers.iter().map(|hit| hit.id.as_str()).collect();
    assert_eq!(scripts.len(), 3, "{scripts:?}");
    // Starter script ids spell emotion-complaint type-situation.
    assert!(scripts.iter().all(|id| id.starts_with("anxiety-")), "{scripts:?}");
    assert!(help.scripts.iter().all(|hit| hit.kind == Kind::Script && hit.lang == Language::ZhHans));
    assert_eq!(answers.first(), Some(&"return-shipping-fee"), "{answers:?}");
    assert!(help.answers.iter().all(|hit| hit.kind != Kind::Script && !hit.body.is_empty()));

    let help = assist(&index, &request("快递三天没动了", Emotion::Anxiety, Some(ComplaintType::Logistics)))
        .expect("assist");
    assert!(help.scripts[0].id.starts_with("anxiety-logistics-"), "{:?}", help.scripts[0]);
    assert!(help.answers.iter().any(|hit| hit.id == "tracking-not-updating"), "{:?}", help.answers);
}

#[test]
fn the_one_click_answer_is_right_when_offered_on_the_held_out_questions() {
    let (entries, index) = starter();
    let faqs: Vec<&Entry> = entries.iter().filter(|entry| entry.kind() == Kind::Faq).collect();
    let mut reader = csv::Reader::from_path(content().join("eval/search-queries.csv")).expect("query set");
    // (closest FAQ over the whole library by brute force, its similarity, the expected id) per question.
    let mut rows: Vec<(String, f32, String)> = Vec::new();
    let (mut offered, mut right) = (0usize, 0usize);
    for record in reader.records() {
        let record = record.expect("csv row");
        let (question, expected) = (&record[0], &record[1]);
        // The closest FAQ by comparing with every variant; tied when another FAQ is as close.
        let mut by_id: BTreeMap<&str, f32> = BTreeMap::new();
        for faq in &faqs {
            let closest = by_id.entry(faq.id().as_str()).or_default();
            *closest = closest.max(repeat_similarity(question, faq));
        }
        let mut ranked: Vec<(&str, f32)> = by_id.into_iter().collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
        let (best, similarity) = ranked[0];
        let tied = ranked[1].1 >= similarity;

        let repeated = assist(&index, &request(question, Emotion::Neutral, None)).expect("assist").repeated;
        // The index's candidates must not lose what comparing with every FAQ finds.
        let scanned = (similarity >= REPEATED_THRESHOLD && !tied).then_some(best);
        assert_eq!(repeated.as_ref().map(|r| r.id.as_str()), scanned, "{question}: {repeated:?} vs {similarity}");
        if let Some(repeated) = &repeated {
            offered += 1;
            if repeated.id == expected {
                right += 1;
            } else {
                println!("  wrong: {question} → {} ({:.3}), expected {expected}", repeated.id, repeated.similarity);
            }
        }
        if !tied {
            rows.push((best.to_owned(), similarity, expected.to_owned()));
        } else {
            rows.push((String::new(), similarity, expected.to_owned()));
        }
    }

    println!("threshold  offered  precision  coverage (of {} questions)", rows.len());
    for threshold in [0.5, 0.55, 0.6, REPEATED_THRESHOLD, 0.7, 0.75, 0.8] {
        let above: Vec<_> =
            rows.iter().filter(|(best, similarity, _)| *similarity >= threshold && !best.is_empty()).collect();
        let correct = above.iter().filter(|(best, _, expected)| best == expected).count();
        println!(
            "{threshold:9.2}  {:7}  {:9.3}  {:8.3}",
            above.len(),
            correct as f64 / above.len().max(1) as f64,
            above.len() as f64 / rows.len() as f64
        );
    }
    let precision = right as f64 / offered.max(1) as f64;
    let coverage = offered as f64 / rows.len() as f64;
    let threshold = REPEATED_THRESHOLD;
    println!("at {threshold}: {offered} offered, {right} right: precision {precision:.3}, coverage {coverage:.3}");
    assert!(precision >= PRECISION_BAR, "precision {precision:.3} < {PRECISION_BAR}");
    assert!(coverage >= COVERAGE_FLOOR, "coverage {coverage:.3} < {COVERAGE_FLOOR}");
}

#[test]
fn unrelated_messages_offer_nothing_and_repunctuated_or_traditional_questions_are_offered() {
    let (entries, index) = starter();
    for unrelated in ["你们老板是谁", "hello", "能退吗", "？？？", "在吗"] {
        let help = assist(&index, &request(unrelated, Emotion::Neutral, None)).expect("assist");
        assert_eq!(help.repeated, None, "{unrelated}");
    }

    let cases = [
        ("退回去的運費誰付？？", "return-shipping-fee"),
        ("能不能發順豐!", "shipping-time-carriers"),
        ("物流 好几天 没动了。。。", "tracking-not-updating"),
        ("Is my parcel lost?!", "delivery-delay"),
    ];
    for (message, expected) in cases {
        let repeated = assist(&index, &request(message, Emotion::Anxiety, None)).expect("assist").repeated;
        assert_eq!(repeated.as_ref().map(|r| r.id.as_str()), Some(expected), "{message}: {repeated:?}");
    }
    // Every question an FAQ lists, asked with other punctuation, is offered as that FAQ (or one asking the very
    // same thing), in the customer's language.
    for faq in entries.iter().filter(|entry| entry.kind() == Kind::Faq) {
        let knowledge = faq.knowledge().expect("an FAQ has knowledge fields");
        for question in &knowledge.questions {
            let message = format!("  {question}？！");
            let lang = Some(faq.lang());
            let repeated = assist(&index, &AssistRequest { lang, ..request(&message, Emotion::Neutral, None) })
                .expect("assist")
                .repeated
                .unwrap_or_else(|| panic!("{message} is not offered"));
            assert_eq!(repeated.similarity, 1.0, "{message}: {repeated:?}");
            assert_eq!(repeated.lang, faq.lang(), "{message}: {repeated:?}");
            if repeated.id != faq.id().as_str() {
                let other = entries.iter().find(|e| e.id().as_str() == repeated.id && e.kind() == Kind::Faq);
                assert!(other.is_some_and(|e| repeat_similarity(question, e) == 1.0), "{message}: {repeated:?}");
            }
        }
    }
}
