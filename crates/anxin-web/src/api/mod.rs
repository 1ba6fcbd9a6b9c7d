//! `/api/v1`: each resource module owns its routes; merged here.

mod auth_routes;
pub mod conversations;
mod directory;
mod inbound;

use axum::Router;
use axum::routing::get;

use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(auth_routes::routes())
        .merge(conversations::routes())
        .merge(directory::routes())
        .merge(inbound::routes())
        .merge(crate::widget::routes())
        .route("/ws", get(crate::ws::staff))
        .route("/openapi.json", get(crate::openapi::document))
        .fallback(|| async { crate::error::ApiError::NotFound })
}

/// Common query for lists: `limit` (bounded) and a cursor.
#[derive(Debug, serde::Deserialize)]
pub struct Page {
    pub limit: Option<i64>,
    pub after: Option<i64>,
    pub before: Option<i64>,
}
