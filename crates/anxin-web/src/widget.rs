//! The customer widget: `/widget.js` (one `<script>` tag naming a channel), anonymous visitors with signed tokens,
//! per-channel allowed origins (CORS and WebSocket `Origin`), rate limits per visitor and per client address.
//! Routes carry the channel's public key, so even a CORS preflight knows which origins to allow.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use anxin_domain::events::customer_projection;
use anxin_domain::input::ClientMessageId;
use anxin_domain::token::{self, VisitorClaims};
use anxin_domain::{ChannelKind, ContactKind};
use anxin_store::{Channel, InboundMessage, Reader, StoreError};

use crate::AppState;
use crate::api::conversations::message_body;
use crate::auth::random_token;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiQuery};

/// Visitor tokens live 30 days; the widget renews on each visit.
const TOKEN_DAYS: i64 = 30;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/widget/{channel}/session", post(session))
        .route("/widget/{channel}/messages", get(messages).post(send))
        .route("/widget/{channel}/read", post(read))
        .route("/widget/{channel}/ws", get(crate::ws::widget))
        .layer(axum::middleware::from_fn(cors))
}

pub async fn script() -> Response {
    (
        [(header::CONTENT_TYPE, "application/javascript; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=300")],
        include_str!("../assets/widget.js"),
    )
        .into_response()
}

/// The one tag a shop adds to its pages: `server` is Anxin's address as the shop's visitors reach it (empty for
/// a page Anxin serves itself), `channel_key` the web-chat channel's public key.
pub fn snippet(server: &str, channel_key: &str) -> String {
    let attr = |s: &str| s.replace('&', "&amp;").replace('"', "&quot;").replace('<', "&lt;");
    format!(r#"<script src="{}/widget.js" data-channel="{}" async></script>"#, attr(server.trim_end_matches('/')), attr(channel_key))
}

/// A page that embeds the widget for the first web-chat channel (for trying Anxin out).
pub async fn demo_page(State(state): State<AppState>) -> ApiResult<Html<String>> {
    let orgs = state.store.organizations().await?;
    let mut key = None;
    for org in orgs {
        if let Some(c) = state.store.channels(org.id).await?.into_iter().find(|c| c.kind == ChannelKind::WebChat) {
            key = Some(c.public_key);
            break;
        }
    }
    let key = key.ok_or(ApiError::NotFound)?;
    Ok(Html(include_str!("../assets/widget-demo.html").replace("{{WIDGET}}", &snippet("", &key))))
}

/// Answers preflights and adds CORS headers; which origins are allowed is checked per channel in the handlers.
pub(crate) async fn cors(request: Request, next: Next) -> Response {
    let origin = request.headers().get(header::ORIGIN).cloned();
    let mut response = if request.method() == Method::OPTIONS {
        StatusCode::NO_CONTENT.into_response()
    } else {
        next.run(request).await
    };
    if let Some(origin) = origin {
        let h = response.headers_mut();
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        h.insert(header::VARY, HeaderValue::from_static("Origin"));
        h.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("GET, POST, OPTIONS"));
        h.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, HeaderValue::from_static("authorization, content-type"));
        h.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("600"));
    }
    response
}

/// The channel named in the path, if it is a web-chat channel and the browser's origin is allowed on it.
/// Requests without an `Origin` header (apps, scripts) pass: only browsers send it, and only browsers need it.
pub async fn channel_for(state: &AppState, key: &str, headers: &HeaderMap, addr: &SocketAddr) -> ApiResult<Channel> {
    state.limits.ip_requests.take(&addr.ip().to_string())?;
    if key.len() > 64 {
        return Err(ApiError::NotFound);
    }
    let channel = match state.store.channel_by_public_key(key.to_owned()).await {
        Ok(c) if c.kind == ChannelKind::WebChat => c,
        Ok(_) | Err(StoreError::NotFound) => return Err(ApiError::NotFound),
        Err(e) => return Err(e.into()),
    };
    if let Some(origin) = headers.get(header::ORIGIN) {
        let origin = origin.to_str().unwrap_or("");
        let allowed = channel
            .allowed_origins
            .iter()
            .filter_map(|o| anxin_domain::input::AllowedOrigin::parse(o).ok())
            .any(|o| o.matches(origin));
        if !allowed {
            return Err(ApiError::Forbidden("this page's origin may not use this channel"));
        }
    }
    Ok(channel)
}

/// The visitor behind a bearer (or `token` query) visitor token, for this channel.
pub fn visitor(state: &AppState, channel: &Channel, token: Option<&str>) -> ApiResult<VisitorClaims> {
    let token = token.ok_or(ApiError::Unauthenticated)?;
    let claims = token::verify(&state.widget_key, token, state.store.now() / 1000).map_err(|_| ApiError::Unauthenticated)?;
    if claims.channel != channel.id || claims.org != channel.org_id {
        return Err(ApiError::Unauthenticated);
    }
    Ok(claims)
}

pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::AUTHORIZATION)?.to_str().ok()?.strip_prefix("Bearer ").map(str::trim)
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct SessionBody {
    /// A token from an earlier visit; renewed when still valid, replaced when not.
    token: Option<String>,
}

async fn session(
    State(state): State<AppState>,
    Path(key): Path<String>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<SessionBody>,
) -> ApiResult<Json<Value>> {
    let channel = channel_for(&state, &key, &headers, &addr).await?;
    let visitor = match visitor(&state, &channel, body.token.as_deref()) {
        Ok(claims) => claims.visitor,
        Err(_) => format!("v_{}", random_token(12)),
    };
    let exp = state.store.now() / 1000 + TOKEN_DAYS * 86_400;
    let claims = VisitorClaims { org: channel.org_id, channel: channel.id, visitor: visitor.clone(), exp };
    let conversation = state.store.visitor_conversation(channel.org_id, channel.id, visitor.clone()).await?;
    let mut conversation = serde_json::to_value(conversation).expect("serialises");
    customer_projection(&mut conversation);
    Ok(Json(json!({
        "token": token::sign(&state.widget_key, &claims),
        "visitor": visitor,
        "expires_at": exp,
        "channel": {"name": channel.name},
        "conversation": conversation,
        // The widget refuses longer messages itself (the server answers 413 anyway).
        "max_message_bytes": state.config.max_message_bytes,
    })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WidgetMessage {
    pub client_message_id: String,
    pub text: String,
}

/// Stores a visitor's message (shared by HTTP and WebSocket): rate limit, parse, analyse, commit.
pub async fn post_visitor_message(state: &AppState, channel: &Channel, claims: &VisitorClaims, body: WidgetMessage) -> ApiResult<Value> {
    state.limits.visitor_messages.take(&claims.visitor)?;
    let text = message_body(body.text, state.config.max_message_bytes)?;
    let client_id = ClientMessageId::parse(&body.client_message_id)?;
    let analysis = state.analyzer.analyze_customer_message(text.as_str());
    let posted = state
        .store
        .post_inbound(InboundMessage {
            org_id: channel.org_id,
            channel_id: channel.id,
            contact: (ContactKind::WebVisitor, claims.visitor.clone()),
            customer_name: None,
            client_message_id: Some(client_id),
            body: text,
            analysis,
        })
        .await?;
    if !posted.replayed {
        state.metrics.customer_messages.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
    let mut message = serde_json::to_value(&posted.message).expect("serialises");
    customer_projection(&mut message);
    Ok(json!({"message": message, "conversation_id": posted.conversation.id, "replayed": posted.replayed}))
}

async fn send(
    State(state): State<AppState>,
    Path(key): Path<String>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<WidgetMessage>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let channel = channel_for(&state, &key, &headers, &addr).await?;
    let claims = visitor(&state, &channel, bearer(&headers))?;
    Ok((StatusCode::CREATED, Json(post_visitor_message(&state, &channel, &claims, body).await?)))
}

#[derive(Deserialize)]
struct After {
    after: Option<i64>,
}

async fn messages(
    State(state): State<AppState>,
    Path(key): Path<String>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<After>,
) -> ApiResult<Json<Value>> {
    let channel = channel_for(&state, &key, &headers, &addr).await?;
    let claims = visitor(&state, &channel, bearer(&headers))?;
    let Some(conversation) = state.store.visitor_conversation(channel.org_id, channel.id, claims.visitor).await? else {
        return Ok(Json(json!({"messages": [], "conversation_id": null})));
    };
    let list = state.store.messages(channel.org_id, conversation.id, q.after.unwrap_or(0), 500, true).await?;
    let mut list = serde_json::to_value(list).expect("serialises");
    customer_projection(&mut list);
    if let Value::Array(items) = &mut list {
        items.iter_mut().for_each(customer_projection);
    }
    Ok(Json(json!({"messages": list, "conversation_id": conversation.id})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReadBody {
    message_id: i64,
}

async fn read(
    State(state): State<AppState>,
    Path(key): Path<String>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<ReadBody>,
) -> ApiResult<Json<Value>> {
    let channel = channel_for(&state, &key, &headers, &addr).await?;
    let claims = visitor(&state, &channel, bearer(&headers))?;
    let conversation = state.store.visitor_conversation(channel.org_id, channel.id, claims.visitor).await?.ok_or(ApiError::NotFound)?;
    state.store.mark_read(channel.org_id, conversation.id, Reader::Customer, body.message_id).await?;
    Ok(Json(json!({"ok": true})))
}
