//! Agent wellbeing: mood barometer, self-tests, the private emotion diary (PRODUCT.md §5).

/// UI texts of this area (see `i18n`).
pub const TEXTS: &[(&str, [&str; 3])] = &[];

use axum::Router;

use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
}
