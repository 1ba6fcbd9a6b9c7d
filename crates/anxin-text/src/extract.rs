//! Feature extraction shared by training and inference: tokens, n-grams, lexicon cues and message-level features.
//!
//! Invariant: training and analysis call the same [`extract`], so the model never sees features computed two
//! different ways. Any change here changes [`FEATURE_FINGERPRINT`] input and forces a retrain.

use std::sync::LazyLock;

use crate::features::{self, Feature, Origin, Token};
use crate::lexicon::{CueCounts, Hit, LEXICON};
use crate::normalize::Normalized;

/// Bumped whenever the extraction below changes meaning.
const FEATURE_VERSION: &[u8] = b"anxin-features-v2";

/// Identifies the feature extractor (code version + lexicon content); stored in the model.
pub static FEATURE_FINGERPRINT: LazyLock<u64> =
    LazyLock::new(|| features::mix(features::hash_bytes(FEATURE_VERSION) ^ LEXICON.fingerprint));

/// Everything extracted from one message, reusable across messages to avoid allocation.
#[derive(Debug, Default)]
pub struct Extracted {
    pub tokens: Vec<Token>,
    pub hits: Vec<Hit>,
    pub features: Vec<Feature>,
    pub counts: CueCounts,
    /// Longest run of '!' and of '?' (ASCII after folding).
    pub exclamations: u32,
    pub questions: u32,
}

fn meta(name: &'static str, bits: u32, out: &mut Vec<Feature>) {
    out.push(Feature { bucket: features::cue_bucket(features::hash_bytes(name.as_bytes()), bits), origin: Origin::Meta(name) });
}

/// Fills `ex` with the features of `norm` for a model of `bits` hash bits.
pub fn extract(norm: &Normalized, bits: u32, ex: &mut Extracted) {
    features::tokenize(norm, &mut ex.tokens);
    LEXICON.scan(norm, &mut ex.hits);
    ex.counts = CueCounts::from_hits(&LEXICON, &ex.hits);
    ex.features.clear();
    features::ngram_features(&ex.tokens, bits, &mut ex.features);
    for (i, hit) in ex.hits.iter().enumerate() {
        for (cue, _) in LEXICON.cues(hit) {
            let mut h = features::hash_bytes(cue.name().as_bytes());
            if hit.negated {
                h = features::mix(h ^ 0x5555);
            }
            ex.features.push(Feature { bucket: features::cue_bucket(h, bits), origin: Origin::Cue(i as u32) });
        }
    }
    let (mut excl, mut ques, mut run_e, mut run_q) = (0u32, 0u32, 0u32, 0u32);
    for c in norm.as_str().chars() {
        match c {
            '!' => {
                run_e += 1;
                excl = excl.max(run_e);
            }
            '?' => {
                run_q += 1;
                ques = ques.max(run_q);
            }
            _ => {
                run_e = 0;
                run_q = 0;
            }
        }
    }
    ex.exclamations = excl;
    ex.questions = ques;
    let chars = norm.char_len();
    meta(
        match chars {
            0..=4 => "len:tiny",
            5..=12 => "len:short",
            13..=40 => "len:medium",
            41..=120 => "len:long",
            _ => "len:very_long",
        },
        bits,
        &mut ex.features,
    );
    if excl >= 2 {
        meta("punct:exclaim_burst", bits, &mut ex.features);
    }
    if ques >= 2 {
        meta("punct:question_burst", bits, &mut ex.features);
    }
    if ex.hits.is_empty() {
        meta("cue:none", bits, &mut ex.features);
    }
}

/// Human-readable text of a feature, for explanations.
pub fn describe(feature: &Feature, ex: &Extracted, norm: &Normalized) -> String {
    match feature.origin {
        Origin::Tokens { first, len } => {
            let first = first as usize;
            let last = (first + len.max(1) as usize - 1).min(ex.tokens.len().saturating_sub(1));
            match (ex.tokens.get(first), ex.tokens.get(last)) {
                (Some(a), Some(b)) => norm.slice_chars(a.start as usize, b.end as usize).to_string(),
                _ => String::new(),
            }
        }
        Origin::Cue(i) => match ex.hits.get(i as usize) {
            Some(hit) => {
                let word = norm.slice_chars(hit.start as usize, hit.end as usize);
                if hit.negated { format!("{word} (negated)") } else { word.to_string() }
            }
            None => String::new(),
        },
        Origin::Meta(name) => name.to_string(),
    }
}
