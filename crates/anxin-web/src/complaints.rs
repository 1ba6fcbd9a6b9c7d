//! Complaint tickets over HTTP (PRODUCT.md §6).

use axum::Router;

use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
}
