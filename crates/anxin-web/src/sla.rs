//! SLAs in the server (PRODUCT.md §6): the sweeper task that fires due timers, and the API for the settings
//! (working calendar, warning share, follow-up hours, policies by complaint type × priority × channel) and a
//! ticket's clocks. The admin form is in `admin_sla.rs`.

use std::time::Duration;

use anxin_domain::Action;
use anxin_domain::sla::SlaSettings;
use anxin_store::Store;
use anxin_store::sla::{SWEEP_BATCH, zone_supported};
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::AppState;
use crate::auth::Staff;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath};

/// The longest the sweeper sleeps: other nodes' timers and a moved clock are noticed within it.
const SWEEP_MS: i64 = 5_000;

/// Fires SLA timers as they fall due: sleeps until the earliest pending deadline (at most [`SWEEP_MS`]), or until a
/// commit here stores a timer, then sweeps until nothing due is left. Each firing happens once across nodes (the
/// store's conditional update), so every node runs this. Failures are logged and retried after a pause.
pub async fn sweeper(store: Store) {
    loop {
        let wait_ms = match store.next_timer_at().await {
            Ok(Some(at)) => (at - store.now()).clamp(0, SWEEP_MS),
            Ok(None) => SWEEP_MS,
            Err(e) => {
                tracing::warn!(error = %e, "sla: cannot read the next deadline");
                SWEEP_MS
            }
        };
        if wait_ms > 0 {
            tokio::select! {
                _ = store.timer_wakeup() => {}
                _ = tokio::time::sleep(Duration::from_millis(wait_ms as u64)) => {}
            }
        }
        loop {
            match store.sweep_sla().await {
                Ok(report) if report.found as i64 >= SWEEP_BATCH => continue,
                Ok(report) => {
                    if report.found > 0 {
                        tracing::info!(?report, "sla: timers fired");
                    }
                    break;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "sla: sweep failed");
                    tokio::time::sleep(Duration::from_millis(SWEEP_MS as u64)).await;
                    break;
                }
            }
        }
    }
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/sla", get(settings).put(save))
        .route("/api/v1/tickets/{id}/timers", get(timers))
}

/// `GET /api/v1/sla`: the organisation's SLA settings (defaults until saved) and the zones deadlines can use.
async fn settings(State(state): State<AppState>, staff: Staff) -> ApiResult<Json<Value>> {
    let p = staff.require(Action::ReadConversations)?;
    let settings = state.store.sla_settings(p.org_id).await?;
    Ok(Json(json!({ "settings": settings, "supported_time_zones": SUPPORTED_ZONES })))
}

/// Zones offered in the settings form (the API takes any IANA name; daylight saving follows the tz database).
pub(crate) const SUPPORTED_ZONES: [&str; 12] = [
    "Asia/Shanghai",
    "Asia/Hong_Kong",
    "Asia/Taipei",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Asia/Seoul",
    "Europe/London",
    "Europe/Berlin",
    "America/New_York",
    "America/Los_Angeles",
    "Australia/Sydney",
    "UTC",
];

/// Checks settings as an admin sent them: the domain's rules, plus a zone whose deadlines Anxin can compute.
pub(crate) fn check(settings: SlaSettings) -> Result<anxin_domain::sla::Sla, ApiError> {
    let sla = settings.validate()?;
    if !zone_supported(sla.calendar.time_zone()) {
        return Err(ApiError::invalid(
            "calendar.time_zone",
            "unsupported",
            "not a time zone of the IANA database (e.g. Asia/Shanghai, Europe/Berlin)",
        ));
    }
    Ok(sla)
}

/// `PUT /api/v1/sla` (admins): replaces the settings. A calendar without working hours, a warning share outside
/// (0, 1), zero targets or an unsupported zone are 422 naming the field. Clocks already running keep their deadlines.
async fn save(State(state): State<AppState>, staff: Staff, ApiJson(body): ApiJson<SlaSettings>) -> ApiResult<Json<Value>> {
    let p = staff.require(Action::Administer)?.clone();
    let sla = check(body)?;
    let saved = state.store.set_sla_settings(p, sla).await?;
    Ok(Json(json!({ "settings": saved })))
}

/// `GET /api/v1/tickets/{id}/timers`: the ticket's clocks, running and stopped.
async fn timers(State(state): State<AppState>, staff: Staff, ApiPath(id): ApiPath<i64>) -> ApiResult<Json<Value>> {
    let p = staff.require(Action::ReadConversations)?.clone();
    let timers = state.store.ticket_timers(p, id).await?;
    Ok(Json(json!({ "ticket_id": id, "timers": timers })))
}
