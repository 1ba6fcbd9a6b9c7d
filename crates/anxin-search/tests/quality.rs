//! Search quality on the held-out query set (`content/eval/search-queries.csv`) over the starter content: the
//! issue's bars are recall@3 ≥ 0.90 and MRR ≥ 0.75. A hit counts when its id is the expected id (any language
//! variant). Misses are printed with their notes so a failing run says what to look at.

use std::path::{Path, PathBuf};

use anxin_search::{Query, SearchIndex, Synonyms};

const RECALL_AT_3_BAR: f64 = 0.90;
const MRR_BAR: f64 = 0.75;

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

fn starter_index() -> SearchIndex {
    let mut files = Vec::new();
    files_under(&content().join("knowledge"), &mut files);
    files_under(&content().join("scripts"), &mut files);
    files.sort();
    let entries = anxin_domain::knowledge::import(&files).expect("starter content imports");
    let index = SearchIndex::new(Synonyms::default_list()).expect("index");
    index.rebuild(&entries).expect("rebuild");
    assert_eq!(index.len(), entries.len() as u64);
    index
}

#[test]
fn held_out_queries_find_the_expected_entry() {
    let index = starter_index();
    let mut reader = csv::Reader::from_path(content().join("eval/search-queries.csv")).expect("query set");
    let (mut rows, mut found_at_3, mut reciprocal_ranks) = (0usize, 0usize, 0.0f64);
    let mut misses = Vec::new();
    for record in reader.records() {
        let record = record.expect("csv row");
        let (query, expected, lang, note) = (&record[0], &record[1], &record[2], &record[3]);
        rows += 1;
        let hits = index.search(&Query { limit: 10, ..Query::text(query) }).expect("search");
        let rank = hits.iter().position(|hit| hit.id == expected).map(|i| i + 1);
        if let Some(rank) = rank {
            reciprocal_ranks += 1.0 / rank as f64;
        }
        if rank.is_some_and(|r| r <= 3) {
            found_at_3 += 1;
        } else {
            let top: Vec<&str> = hits.iter().take(3).map(|h| h.id.as_str()).collect();
            misses.push(format!("{query} [{lang}; {note}] expected {expected} at {rank:?}, top 3: {top:?}"));
        }
    }
    let recall = found_at_3 as f64 / rows as f64;
    let mrr = reciprocal_ranks / rows as f64;
    println!("{rows} queries: recall@3 {recall:.3}, MRR {mrr:.3}; {} misses:", misses.len());
    for miss in &misses {
        println!("  {miss}");
    }
    assert!(rows >= 100, "the query set has {rows} rows");
    assert!(recall >= RECALL_AT_3_BAR, "recall@3 {recall:.3} < {RECALL_AT_3_BAR}");
    assert!(mrr >= MRR_BAR, "MRR {mrr:.3} < {MRR_BAR}");
}
