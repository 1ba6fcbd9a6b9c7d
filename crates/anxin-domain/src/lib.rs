//! Anxin's domain: the vocabulary every other crate shares (roles, conversation statuses, message kinds, events),
//! the input types that cannot hold bad values, the permission rules, and the signed widget token.
//!
//! **Invariant:** pure — no I/O, no clock (time arrives as arguments), no knowledge of HTTP or SQL.

pub mod events;
pub mod front_matter;
pub mod calendar;
pub mod complaint;
pub mod input;
pub mod knowledge;
pub mod model;
pub mod permissions;
pub mod routing;
pub mod sla;
pub mod strategy;
pub mod token;
pub mod training;
pub mod wellbeing;

pub use input::InputError;
pub use model::*;
pub use permissions::Action;
