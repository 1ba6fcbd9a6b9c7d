//! Agent wellbeing storage: mood check-ins, self-test results and the private emotion diary (PRODUCT.md §5).

/// Migration 4: the wellbeing tables.
pub(crate) const SCHEMA: &str = "SELECT 1";
