//! Anxin's text understanding engine.
//!
//! For a customer message it finds the emotion (with intensity), sentiment, complaint type, escalation signals,
//! PII and language; for a conversation the emotion trajectory and complaint risk; for an agent's draft reply a
//! tone check with a suggested rewrite.
//!
//! Architecture invariant: this crate is pure and synchronous. It does no I/O: the model arrives as bytes (embedded
//! in the binary, or passed in), and training takes labelled texts that the caller has read.

pub mod features;
pub mod lexicon;
pub mod model;
pub mod normalize;
pub mod pii;
pub mod signals;
pub mod tone;
pub mod types;

pub use types::*;

pub mod analyzer;
pub mod extract;
pub mod metrics;
pub mod train;

pub use analyzer::{Analyzer, HeadScores};
pub mod conversation;
