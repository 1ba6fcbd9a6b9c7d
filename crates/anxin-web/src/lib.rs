//! Anxin's server: the versioned REST API (`/api/v1`), session and token auth, WebSocket streams for staff and
//! widget customers, the embeddable widget script, health, readiness and metrics.
//!
//! **Invariant:** every inbound customer message is analysed by the text engine before it is stored, and is
//! acknowledged only after the store committed it.
//! **Invariant:** roles are checked here, on the server, for every endpoint ([`auth::Staff::require`]).

pub mod admin;
pub mod api;
pub mod assist;
pub mod auth;
pub mod complaints;
pub mod board;
pub mod demo;
pub mod error;
pub mod extract;
pub mod feedback;
pub mod i18n;
pub mod knowledge;
pub mod markdown;
pub mod metrics;
pub mod openapi;
pub mod pages;
pub mod protection;
pub mod ratelimit;
pub mod roleplay;
pub mod sla;
pub mod training;
pub mod wellbeing;
pub mod widget;
pub mod ws;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use serde::Deserialize;

use anxin_store::Store;

/// Server settings: from a TOML file, then `ANXIN_*` environment variables, then flags (the binary merges them).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub listen: String,
    /// Prometheus metrics on a separate listener (not exposed with the API).
    pub metrics_listen: Option<String>,
    pub data_dir: PathBuf,
    /// `postgres://…` for PostgreSQL; empty for SQLite under `data_dir`.
    pub database_url: Option<String>,
    /// Largest message text in bytes (413 beyond it).
    pub max_message_bytes: usize,
    /// Mark cookies `Secure` (behind HTTPS).
    pub secure_cookies: bool,
    /// Widget messages per visitor per minute, and burst.
    pub visitor_messages_per_minute: u32,
    pub visitor_burst: u32,
    /// Widget requests per client address per minute.
    pub ip_requests_per_minute: u32,
    /// Assign conversations automatically (teams' routing policies); off, everything is claimed by hand.
    pub auto_assign: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            metrics_listen: None,
            data_dir: PathBuf::from("data"),
            database_url: None,
            max_message_bytes: anxin_domain::input::DEFAULT_MAX_MESSAGE_BYTES,
            secure_cookies: false,
            visitor_messages_per_minute: 30,
            visitor_burst: 10,
            ip_requests_per_minute: 600,
            auto_assign: true,
        }
    }
}

impl Config {
    /// Request bodies may carry one message plus its envelope.
    pub fn max_body_bytes(&self) -> usize {
        self.max_message_bytes + 16 * 1024
    }

    pub fn backend(&self) -> anxin_store::Backend {
        match self.database_url.as_deref().filter(|u| !u.is_empty()) {
            Some(url) => anxin_store::Backend::from_url(url),
            None => anxin_store::Backend::Sqlite(self.data_dir.join("anxin.db")),
        }
    }
}

/// Shared by every request.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub config: Arc<Config>,
    pub analyzer: &'static anxin_text::Analyzer,
    pub widget_key: Arc<Vec<u8>>,
    pub throttle: Arc<auth::LoginThrottle>,
    pub limits: Arc<ratelimit::Limits>,
    pub metrics: Arc<metrics::Metrics>,
    /// Each organisation's knowledge search index on this node.
    pub library: Arc<knowledge::Library>,
}

impl AppState {
    pub async fn new(store: Store, config: Config) -> anyhow::Result<Self> {
        let analyzer = anxin_text::Analyzer::embedded().map_err(|e| anyhow::anyhow!("text model: {e}"))?;
        let widget_key = store.secret("widget_token_key").await?;
        let limits = ratelimit::Limits::new(&config);
        Ok(Self {
            store,
            config: Arc::new(config),
            analyzer,
            widget_key: Arc::new(widget_key),
            throttle: Arc::default(),
            limits: Arc::new(limits),
            metrics: Arc::default(),
            library: Arc::default(),
        })
    }
}

/// The whole HTTP application (testable without a socket).
pub fn app(state: AppState) -> Router {
    Router::new()
        .route("/", get(|| async { axum::response::Redirect::to("/inbox") }))
        .route("/about", get(index))
        .merge(pages::routes())
        .merge(admin::routes())
        .merge(board::routes())
        .merge(protection::routes())
        .merge(wellbeing::routes())
        .merge(complaints::routes())
        .merge(pages::tickets::routes())
        .merge(feedback::routes())
        .merge(sla::routes())
        .merge(knowledge::routes())
        .merge(assist::routes())
        .merge(roleplay::routes())
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(ready))
        .route("/widget.js", get(widget::script))
        .route("/widget-demo", get(widget::demo_page))
        .nest("/api/v1", api::routes())
        .layer(axum::middleware::from_fn_with_state(state.clone(), metrics::count))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(|_: Box<dyn std::any::Any + Send>| {
            error::ApiError::Internal("handler panicked".into()).into_response()
        }))
        .with_state(state)
}

async fn ready(State(state): State<AppState>) -> impl IntoResponse {
    match state.store.ping().await {
        Ok(()) => (StatusCode::OK, "ready"),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "database unavailable"),
    }
}

async fn index() -> Html<&'static str> {
    Html(include_str!("../assets/index.html"))
}

/// Serves until `shutdown` resolves, then stops taking connections, lets requests in flight finish, and closes
/// the store (which commits what it already accepted).
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let store = state.store.clone();
    let dispatcher = state.config.auto_assign.then(|| tokio::spawn(protection::dispatcher(store.clone())));
    let sweeper = tokio::spawn(sla::sweeper(store.clone()));
    // The search indexes are built before the first request, so no agent waits for it.
    if let Err(e) = state.library.warm_up(&store).await {
        tracing::warn!(error = ?e, "knowledge index: not built at start; it will be built on first use");
    }
    let router = app(state).into_make_service_with_connect_info::<SocketAddr>();
    let result = axum::serve(listener, router).with_graceful_shutdown(shutdown).await;
    if let Some(task) = dispatcher {
        task.abort();
    }
    sweeper.abort();
    store.close().await;
    result
}
