//! Agent protection in the workspace and for supervisors: routing settings, cool-downs, alerts (PRODUCT.md §4–5).

/// UI texts of this area (see `i18n`).
pub const TEXTS: &[(&str, [&str; 3])] = &[];

use axum::Router;

use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
}
