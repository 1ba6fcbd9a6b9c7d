//! "Wellbeing data never feeds any performance score": the wellbeing tables are named in exactly one module of the
//! whole program, `anxin-store`'s `wellbeing.rs` (whose reads are the person's own, or aggregates). Any other code
//! that starts reading them — routing, the board, a report, a score — fails this test and has to be argued for.

use std::path::{Path, PathBuf};

const TABLES: [&str; 4] = ["mood_checkins", "selftest_results", "diary_entries", "wellbeing_settings"];

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs" || e == "html" || e == "js") {
            out.push(path);
        }
    }
}

#[test]
fn only_the_wellbeing_module_touches_wellbeing_tables() {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf();
    let mut files = Vec::new();
    for krate in std::fs::read_dir(&crates).unwrap() {
        let krate = krate.unwrap().path();
        for part in ["src", "templates", "assets"] {
            if krate.join(part).is_dir() {
                sources(&krate.join(part), &mut files);
            }
        }
    }
    assert!(files.len() > 50, "the program's sources were found ({} files)", files.len());
    let allowed = crates.join("anxin-store").join("src").join("wellbeing.rs");
    // SQL that names a table: `FROM t`, `JOIN t`, `INTO t`, `UPDATE t`, `TABLE t` (any case, any spacing).
    let names_a_table = |text: &str| {
        let text = text.to_lowercase().split_whitespace().collect::<Vec<_>>().join(" ");
        ["from", "join", "into", "update", "table"].iter().any(|kw| TABLES.iter().any(|t| text.contains(&format!("{kw} {t}"))))
    };
    assert!(names_a_table("SELECT x FROM\n   diary_entries WHERE"), "the check itself works");
    assert!(!names_a_table("state.store.wellbeing_settings(org)"), "method names are not SQL");
    let mut offenders = Vec::new();
    for file in &files {
        if file != &allowed && names_a_table(&std::fs::read_to_string(file).unwrap()) {
            offenders.push(file.display().to_string());
        }
    }
    assert!(offenders.is_empty(), "wellbeing tables read outside the wellbeing store module: {offenders:?}");
    let own = std::fs::read_to_string(&allowed).unwrap();
    assert!(names_a_table(&own), "the module still owns the tables");
}
