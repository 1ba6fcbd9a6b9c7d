//! Embeds the starter knowledge base and script library (`content/knowledge`, `content/scripts` at the repository
//! root) so `anxin serve --demo` loads them without reading files at run time, and the starter training curriculum
//! (`content/training/modules`) that applies to an organisation until it imports its own.

use std::path::{Path, PathBuf};

fn collect(dir: &Path, found: &mut Vec<PathBuf>) {
    let Ok(items) = std::fs::read_dir(dir) else { return };
    for item in items.flatten() {
        let path = item.path();
        if path.is_dir() {
            collect(&path, found);
        } else if path.extension().is_some_and(|ext| ext == "md" || ext == "json") {
            found.push(path);
        }
    }
}

fn main() {
    let content = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../content");
    println!("cargo::rerun-if-changed={}", content.display());
    let mut paths = Vec::new();
    for part in ["knowledge", "scripts"] {
        let dir = content.join(part);
        println!("cargo::rerun-if-changed={}", dir.display());
        collect(&dir, &mut paths);
    }
    paths.sort();
    let mut out = String::from("/// The starter content: (file name relative to `content/`, text).\npub const STARTER_CONTENT: &[(&str, &str)] = &[\n");
    for path in &paths {
        let canonical = path.canonicalize().expect("content file");
        let name = path.strip_prefix(&content).unwrap_or(path).display().to_string();
        println!("cargo::rerun-if-changed={}", canonical.display());
        out.push_str(&format!("    ({name:?}, include_str!({:?})),\n", canonical.display().to_string()));
    }
    out.push_str("];\n");
    let target = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR")).join("starter_content.rs");
    std::fs::write(target, out).expect("write starter_content.rs");

    // The starter curriculum (`content/training/modules`): what an organisation without its own uses.
    let training = content.join("training");
    println!("cargo::rerun-if-changed={}", training.join("modules").display());
    let mut paths = Vec::new();
    collect(&training.join("modules"), &mut paths);
    paths.sort();
    let mut out = String::from("/// The starter curriculum: (file name relative to `content/training/`, text).\npub const STARTER_CURRICULUM: &[(&str, &str)] = &[\n");
    for path in paths.iter().filter(|p| p.extension().is_some_and(|ext| ext == "md")) {
        let canonical = path.canonicalize().expect("curriculum file");
        let name = path.strip_prefix(&training).unwrap_or(path).display().to_string().replace('\\', "/");
        println!("cargo::rerun-if-changed={}", canonical.display());
        out.push_str(&format!("    ({name:?}, include_str!({:?})),\n", canonical.display().to_string()));
    }
    out.push_str("];\n");
    let target = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR")).join("starter_curriculum.rs");
    std::fs::write(target, out).expect("write starter_curriculum.rs");
}
