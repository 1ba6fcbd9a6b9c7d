//! Stories against the shipped model: what an agent would see for real messages.

mod analyze;
mod properties;

use anxin_text::Analyzer;

pub fn analyzer() -> &'static Analyzer {
    Analyzer::embedded().expect("the trained model is embedded (models/anxin-text.model)")
}
