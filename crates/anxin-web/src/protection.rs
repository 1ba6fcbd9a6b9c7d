//! Agent protection in the server: the routing dispatcher, the protection state a person and their supervisor
//! see (cool-down, streak, load), and supervisor alerts with their one-click actions (PRODUCT.md §4–5).

use std::time::Duration;

use anxin_store::Store;
use axum::Router;

use crate::AppState;

/// How often every organisation is swept even when nothing woke the dispatcher: cool-downs end, customers cross
/// the starvation and trigger limits, other nodes' changes arrive, long shifts without a break are noticed.
const SWEEP: Duration = Duration::from_secs(5);

/// Runs automatic assignment whenever a committed change may allow one, and on a periodic sweep. Failures are
/// logged and retried on the next wake-up: assignment is a convenience over a queue that stays correct.
pub async fn dispatcher(store: Store) {
    let mut sweep = tokio::time::interval(SWEEP);
    sweep.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let full = tokio::select! {
            _ = store.routing_wakeup() => false,
            _ = sweep.tick() => true,
        };
        let orgs = match store.routing_orgs().await {
            Ok(orgs) => orgs,
            Err(e) => {
                tracing::warn!(error = %e, "routing: cannot list organisations");
                continue;
            }
        };
        for org in orgs {
            match store.dispatch(org, full).await {
                Ok(made) if !made.is_empty() => tracing::debug!(org, assigned = made.len(), "routing"),
                Ok(_) => {}
                Err(e) => tracing::warn!(org, error = %e, "routing: dispatch failed"),
            }
        }
    }
}

/// UI texts of this area (see `i18n`).
pub const TEXTS: &[(&str, [&str; 3])] = &[];

pub fn routes() -> Router<AppState> {
    Router::new()
}
