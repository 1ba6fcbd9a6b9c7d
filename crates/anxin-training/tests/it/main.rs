//! The crate's bars: every scenario driven by scripted agents, determinism, and the scorer against people.

mod agreement;
mod roleplay;

use anxin_text::Analyzer;

pub fn analyzer() -> &'static Analyzer {
    Analyzer::embedded().expect("the text model is embedded (models/anxin-text.model)")
}
