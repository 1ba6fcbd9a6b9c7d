//! Embeds the trained model when it exists, so a fresh checkout before the first `anxin train` still builds
//! (the analyser then reports that no model is embedded).

use std::path::Path;

fn main() {
    let model = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/anxin-text.model");
    println!("cargo:rustc-check-cfg=cfg(embedded_model)");
    println!("cargo:rerun-if-changed={}", model.display());
    if model.exists() {
        println!("cargo:rustc-cfg=embedded_model");
    }
}
