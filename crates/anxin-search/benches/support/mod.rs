//! What the benchmarks share: the 100,000-entry synthetic library, the held-out queries, percentiles.
//!
//! The entries are the starter content multiplied: each is a real entry with a new id, a title and a body mixed
//! with another entry's, so term statistics look like a large real library rather than 500 copies of one.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anxin_domain::knowledge::{Entry, EntryFields};
use anxin_search::{SearchIndex, Synonyms};

pub const ENTRIES: usize = 100_000;

pub fn content() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../content")
}

fn files_under(dir: &Path, out: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).expect("content directory") {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            files_under(&path, out);
        } else if path.extension().is_some_and(|e| e == "md") {
            out.push((path.display().to_string(), std::fs::read_to_string(&path).expect("content file")));
        }
    }
}

/// Entry `n` of the synthetic library: starter entry `n % len` with part of another entry's title and body.
/// With `distinct_questions`, the questions of every copy after the first get the copy's number, so each question
/// has one closest FAQ — as in a real library — instead of 500 equally close copies.
fn synthetic(starter: &[Entry], n: usize, distinct_questions: bool) -> Entry {
    let base = &starter[n % starter.len()];
    let other = &starter[(n * 7919 + 13) % starter.len()];
    let mut fields = EntryFields::from(base.clone());
    fields.id = Some(format!("{}-s{n}", base.id()));
    let title: String = format!("{} {}", base.title(), other.title()).chars().take(110).collect();
    fields.title = Some(title);
    // The other body's braces would be undeclared placeholders in a script.
    let extra: String = other.body().chars().filter(|c| *c != '{' && *c != '}').take(400).collect();
    fields.body = Some(format!("{}\n\n{extra}", base.body()));
    if distinct_questions && n >= starter.len() {
        fields.questions = fields.questions.map(|questions| questions.iter().map(|q| format!("{q} {n}")).collect());
    }
    Entry::try_from(fields).expect("synthetic entry is valid")
}

/// The synthetic library, indexed (the build time is printed).
pub fn library(distinct_questions: bool) -> SearchIndex {
    let mut files = Vec::new();
    files_under(&content().join("knowledge"), &mut files);
    files_under(&content().join("scripts"), &mut files);
    files.sort();
    let starter = anxin_domain::knowledge::import(&files).expect("starter content imports");
    let entries: Vec<Entry> = (0..ENTRIES).map(|n| synthetic(&starter, n, distinct_questions)).collect();

    let index = SearchIndex::new(Synonyms::default_list()).expect("index");
    let started = Instant::now();
    index.rebuild(&entries).expect("rebuild");
    println!("indexed {} entries in {:.1} s", index.len(), started.elapsed().as_secs_f64());
    index
}

/// The questions of the held-out query set.
pub fn queries() -> Vec<String> {
    let mut reader = csv::Reader::from_path(content().join("eval/search-queries.csv")).expect("query set");
    reader.records().map(|r| r.expect("csv row")[0].to_owned()).collect()
}

pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1]
}

/// p50, p99 and max of some timings, in milliseconds.
pub fn summary(times: &mut [Duration]) -> String {
    times.sort_unstable();
    format!(
        "p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        percentile(times, 0.50).as_secs_f64() * 1e3,
        percentile(times, 0.99).as_secs_f64() * 1e3,
        times.last().expect("timings").as_secs_f64() * 1e3,
    )
}
