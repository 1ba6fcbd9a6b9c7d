//! Search latency over 100,000 synthetic entries: `cargo bench -p anxin-search --bench search`.
//!
//! The entries are the starter content multiplied: each is a real entry with a new id, a title and a body mixed
//! with another entry's, so term statistics look like a large real library rather than 500 copies of one.
//! Every query of the held-out set runs several rounds; we report p50/p99 per query (the bar is p99 ≤ 10 ms).
//! A plain timing harness rather than criterion, because the bar is a tail percentile.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anxin_domain::knowledge::{Entry, EntryFields};
use anxin_search::{Query, SearchIndex, Synonyms};

const ENTRIES: usize = 100_000;
const ROUNDS: usize = 20;

fn content() -> PathBuf {
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
fn synthetic(starter: &[Entry], n: usize) -> Entry {
    let base = &starter[n % starter.len()];
    let other = &starter[(n * 7919 + 13) % starter.len()];
    let mut fields = EntryFields::from(base.clone());
    fields.id = Some(format!("{}-s{n}", base.id()));
    let title: String = format!("{} {}", base.title(), other.title()).chars().take(110).collect();
    fields.title = Some(title);
    // The other body's braces would be undeclared placeholders in a script.
    let extra: String = other.body().chars().filter(|c| *c != '{' && *c != '}').take(400).collect();
    fields.body = Some(format!("{}\n\n{extra}", base.body()));
    Entry::try_from(fields).expect("synthetic entry is valid")
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1]
}

fn main() {
    let mut files = Vec::new();
    files_under(&content().join("knowledge"), &mut files);
    files_under(&content().join("scripts"), &mut files);
    files.sort();
    let starter = anxin_domain::knowledge::import(&files).expect("starter content imports");
    let entries: Vec<Entry> = (0..ENTRIES).map(|n| synthetic(&starter, n)).collect();

    let index = SearchIndex::new(Synonyms::default_list()).expect("index");
    let started = Instant::now();
    index.rebuild(&entries).expect("rebuild");
    println!("indexed {} entries in {:.1} s", index.len(), started.elapsed().as_secs_f64());

    let mut reader = csv::Reader::from_path(content().join("eval/search-queries.csv")).expect("query set");
    let queries: Vec<String> = reader.records().map(|r| r.expect("csv row")[0].to_owned()).collect();
    // Warm-up: first touches of the posting lists.
    for query in &queries {
        index.search(&Query::text(query.as_str())).expect("search");
    }
    let mut times = Vec::with_capacity(queries.len() * ROUNDS);
    for _ in 0..ROUNDS {
        for query in &queries {
            let started = Instant::now();
            let hits = index.search(&Query::text(query.as_str())).expect("search");
            times.push(started.elapsed());
            std::hint::black_box(hits);
        }
    }
    times.sort_unstable();
    println!(
        "{} searches ({} queries x {ROUNDS}, top 10 with snippets): p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        times.len(),
        queries.len(),
        percentile(&times, 0.50).as_secs_f64() * 1e3,
        percentile(&times, 0.99).as_secs_f64() * 1e3,
        times.last().expect("timings").as_secs_f64() * 1e3,
    );
}
