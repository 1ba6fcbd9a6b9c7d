//! Search latency over 100,000 synthetic entries: `cargo bench -p anxin-search --bench search`.
//!
//! The library is `support::library` (the starter content multiplied). Every query of the held-out set runs
//! several rounds; we report p50/p99 per query (the bar is p99 ≤ 10 ms). A plain timing harness rather than
//! criterion, because the bar is a tail percentile.

mod support;

use std::time::Instant;

use anxin_search::Query;

const ROUNDS: usize = 20;

fn main() {
    let index = support::library(false);
    let queries = support::queries();
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
    println!(
        "{} searches ({} queries x {ROUNDS}, top 10 with snippets): {}",
        times.len(),
        queries.len(),
        support::summary(&mut times)
    );
}
