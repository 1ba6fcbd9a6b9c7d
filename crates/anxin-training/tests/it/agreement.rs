//! Does the scorer agree with people? Spearman rank correlation between the overall score and hand labels.

use anxin_training::{assess, starter_scenario};

use crate::analyzer;

/// A labelled reply.
struct Row {
    scenario: String,
    customer: String,
    reply: String,
    label: f64,
}

fn rows(csv_text: &str) -> Vec<Row> {
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let headers = reader.headers().expect("header").clone();
    assert_eq!(headers.iter().collect::<Vec<_>>(), ["scenario", "customer_line", "reply", "label"]);
    reader
        .records()
        .enumerate()
        .map(|(i, record)| {
            let record = record.unwrap_or_else(|e| panic!("row {}: {e}", i + 2));
            let label = match &record[3] {
                "good" => 3.0,
                "acceptable" => 2.0,
                "poor" => 1.0,
                other => panic!("row {}: label {other:?} is not good/acceptable/poor", i + 2),
            };
            Row { scenario: record[0].to_owned(), customer: record[1].to_owned(), reply: record[2].to_owned(), label }
        })
        .collect()
}

/// Ranks from 1, ties given the mean of the ranks they span.
fn ranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut out = vec![0.0; values.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && values[order[j + 1]] == values[order[i]] {
            j += 1;
        }
        let mean = (i + j) as f64 / 2.0 + 1.0;
        for &k in &order[i..=j] {
            out[k] = mean;
        }
        i = j + 1;
    }
    out
}

fn pearson(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len() as f64;
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let cov: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let vx: f64 = x.iter().map(|a| (a - mx).powi(2)).sum();
    let vy: f64 = y.iter().map(|b| (b - my).powi(2)).sum();
    cov / (vx * vy).sqrt()
}

pub fn spearman(x: &[f64], y: &[f64]) -> f64 {
    pearson(&ranks(x), &ranks(y))
}

/// Scores every row; prints each with its label when `verbose`.
fn correlation(csv_text: &str, verbose: bool) -> (f64, usize) {
    let rows = rows(csv_text);
    let mut scores = Vec::with_capacity(rows.len());
    for row in &rows {
        let scenario = starter_scenario(&row.scenario).unwrap_or_else(|| panic!("unknown scenario {}", row.scenario));
        let a = assess(analyzer(), &row.reply, &scenario.context(&row.customer));
        if verbose {
            let s = a.scores;
            println!(
                "{} {:>3} | ack {:>3} emp {:>3} cla {:>3} sol {:>3} opt {:>3} tone {:>3} | {}",
                row.label, s.overall, s.acknowledgement, s.empathy, s.clarity, s.solution, s.options, s.tone, row.reply
            );
        }
        scores.push(f64::from(a.scores.overall));
    }
    let labels: Vec<f64> = rows.iter().map(|r| r.label).collect();
    (spearman(&scores, &labels), rows.len())
}

#[test]
fn spearman_handles_ties_by_averaging() {
    assert_eq!(ranks(&[3.0, 1.0, 3.0, 2.0]), [3.5, 1.0, 3.5, 2.0]);
    assert!((spearman(&[1.0, 2.0, 3.0], &[10.0, 20.0, 30.0]) - 1.0).abs() < 1e-12);
    assert!((spearman(&[1.0, 2.0, 3.0], &[3.0, 2.0, 1.0]) + 1.0).abs() < 1e-12);
}

/// The held-out set: labelled before the scorer existed, never used for tuning.
#[test]
fn scorer_agrees_with_people() {
    let (rho, n) = correlation(include_str!("../../../../content/training/eval/replies.csv"), false);
    println!("Spearman rank correlation, overall score vs. labels, held-out set ({n} replies): {rho:.3}");
    assert!(n >= 120, "only {n} labelled replies");
    assert!(rho >= 0.7, "Spearman {rho:.3} < 0.7");
}

/// The tuning set (reported, with a lower bar: it guards against a regression while tuning).
#[test]
fn scorer_agrees_with_people_on_the_dev_set() {
    let verbose = std::env::var_os("ANXIN_TRAINING_VERBOSE").is_some();
    let (rho, n) = correlation(include_str!("../../../../content/training/eval/dev.csv"), verbose);
    println!("Spearman rank correlation, overall score vs. labels, dev set ({n} replies): {rho:.3}");
    assert!(rho >= 0.7, "Spearman {rho:.3} < 0.7");
}
