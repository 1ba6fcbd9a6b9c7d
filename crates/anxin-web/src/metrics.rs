//! Prometheus metrics, in the text exposition format, served on their own listener.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;

use crate::AppState;

#[derive(Default)]
pub struct Metrics {
    /// Responses by status class 1xx..5xx.
    pub responses: [AtomicU64; 5],
    pub customer_messages: AtomicU64,
    pub staff_messages: AtomicU64,
    pub ws_connections: AtomicI64,
    pub ws_protocol_errors: AtomicU64,
}

impl Metrics {
    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str("# HELP anxin_http_responses_total HTTP responses by status class.\n# TYPE anxin_http_responses_total counter\n");
        for (i, n) in self.responses.iter().enumerate() {
            out.push_str(&format!("anxin_http_responses_total{{class=\"{}xx\"}} {}\n", i + 1, n.load(Ordering::Relaxed)));
        }
        let lines = [
            ("anxin_customer_messages_total", "counter", "Customer messages stored.", self.customer_messages.load(Ordering::Relaxed) as i64),
            ("anxin_staff_messages_total", "counter", "Agent replies and notes stored.", self.staff_messages.load(Ordering::Relaxed) as i64),
            ("anxin_websocket_connections", "gauge", "Open WebSocket connections.", self.ws_connections.load(Ordering::Relaxed)),
            ("anxin_websocket_protocol_errors_total", "counter", "WebSocket frames that were not valid protocol.", self.ws_protocol_errors.load(Ordering::Relaxed) as i64),
        ];
        for (name, kind, help, value) in lines {
            out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}\n"));
        }
        out
    }
}

pub async fn count(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let class = (response.status().as_u16() / 100).clamp(1, 5) as usize - 1;
    state.metrics.responses[class].fetch_add(1, Ordering::Relaxed);
    response
}

/// The metrics listener's router.
pub fn router(state: AppState) -> axum::Router {
    axum::Router::new()
        .route("/metrics", axum::routing::get(|State(s): State<AppState>| async move { s.metrics.render() }))
        .with_state(state)
}
