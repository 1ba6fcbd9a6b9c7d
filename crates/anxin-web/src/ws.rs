//! WebSocket streams. Staff follow their organisation's events; a widget customer follows their conversation.
//! A client connects with `?after=<last event id it saw>` and first receives what it missed, then live events:
//! nothing lost, nothing repeated. Frames are JSON objects with a `type`; an invalid frame gets an `error` frame
//! and the connection stays usable (after too many, it closes with a reason).
//!
//! Client → server: `ping`, `typing` {conversation_id (staff)}, `read` {message_id (widget)},
//! `send` {client_message_id, text} (widget; answered by `ack` after the commit, or `error`).
//! Server → client: `hello` {last_event_id}, `event` {event}, `ack`, `error`, `pong`.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, header};
use axum::response::Response;
use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::broadcast::error::RecvError;

use anxin_domain::events::{Event, EventKind};
use anxin_domain::token::VisitorClaims;
use anxin_domain::Action;
use anxin_store::{Channel, Principal, Reader};

use crate::AppState;
use crate::auth::Staff;
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiQuery;
use crate::widget::{WidgetMessage, channel_for, post_visitor_message, visitor};

/// Invalid frames tolerated on one connection before it is closed.
const MAX_PROTOCOL_ERRORS: u32 = 20;
const BACKLOG_PAGE: i64 = 500;

#[derive(Deserialize)]
pub struct Connect {
    /// The last event id the client saw; `latest` for live events only.
    after: Option<String>,
    token: Option<String>,
}

impl Connect {
    fn after(&self) -> ApiResult<After> {
        match self.after.as_deref() {
            None | Some("") => Ok(After::Id(0)),
            Some("latest") => Ok(After::Latest),
            Some(n) => n.parse::<i64>().map(|n| After::Id(n.max(0))).map_err(|_| ApiError::invalid("after", "invalid", "an event id or `latest`")),
        }
    }
}

#[derive(Clone, Copy)]
enum After {
    Id(i64),
    Latest,
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
enum ClientFrame {
    Ping,
    Typing { conversation_id: Option<i64> },
    Read { message_id: i64 },
    Send { client_message_id: String, text: String },
}

/// Small buffers: most sockets are idle widgets, and tungstenite's defaults (128 KiB each way) would cost over
/// 250 KiB per socket; they grow on demand for a large frame.
fn tuned(upgrade: WebSocketUpgrade, max_message: usize) -> WebSocketUpgrade {
    upgrade.max_message_size(max_message).read_buffer_size(4 * 1024).write_buffer_size(0)
}

fn frame(value: Value) -> Message {
    Message::Text(value.to_string().into())
}

fn error_frame(e: &ApiError, client_message_id: Option<&str>) -> Message {
    let (code, message, details) = e.parts();
    frame(json!({"type": "error", "code": code, "message": message, "details": details, "client_message_id": client_message_id}))
}

fn protocol_error(message: String) -> Message {
    frame(json!({"type": "error", "code": "protocol_error", "message": message}))
}

fn event_frame(e: &Event) -> Message {
    frame(json!({"type": "event", "event": e}))
}

/// Staff: `GET /api/v1/ws?after=N`. Cookie sessions must come from this server's own pages (the `Origin`
/// must name the `Host`), which stops other sites from opening a socket with the agent's cookie.
pub async fn staff(
    State(state): State<AppState>,
    staff: Staff,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<Connect>,
    upgrade: WebSocketUpgrade,
) -> ApiResult<Response> {
    let principal = staff.require(Action::ReadConversations)?.clone();
    if principal.user_id.is_some()
        && let Some(origin) = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()) {
            let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("");
            let same = origin.split_once("://").is_some_and(|(_, rest)| rest.eq_ignore_ascii_case(host));
            if !same {
                return Err(ApiError::Forbidden("cross-origin WebSocket with a session cookie"));
            }
        }
    let after = q.after()?;
    let limit = state.config.max_body_bytes();
    Ok(tuned(upgrade, limit).on_upgrade(move |socket| async move {
        state.metrics.ws_connections.fetch_add(1, Ordering::Relaxed);
        run_staff(socket, &state, principal, after).await;
        state.metrics.ws_connections.fetch_sub(1, Ordering::Relaxed);
    }))
}

async fn run_staff(socket: WebSocket, state: &AppState, me: Principal, after: After) {
    let (mut out, mut incoming) = socket.split();
    let mut live = state.store.bus().subscribe_org(me.org_id);
    // Subscribed first, so nothing committed after the head read below is missed.
    let mut last = match after {
        After::Id(id) => id,
        After::Latest => match state.store.latest_event_id(me.org_id).await {
            Ok(id) => id,
            Err(e) => {
                let _ = out.send(error_frame(&ApiError::from(e), None)).await;
                return;
            }
        },
    };
    if send_backlog(&mut out, state, me.org_id, None, &mut last, |e| staff_view(&me, e)).await.is_err() {
        return;
    }
    if out.send(frame(json!({"type": "hello", "last_event_id": last}))).await.is_err() {
        return;
    }
    let mut errors = 0;
    loop {
        tokio::select! {
            incoming_frame = incoming.next() => {
                let text = match incoming_frame {
                    Some(Ok(Message::Text(t))) => t,
                    Some(Ok(Message::Binary(_))) => {
                        if reject(&mut out, state, &mut errors, "binary frames are not part of the protocol".into()).await { break } else { continue }
                    }
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                    Some(Ok(_)) => continue,
                };
                let reply = match serde_json::from_str::<ClientFrame>(&text) {
                    Ok(ClientFrame::Ping) => frame(json!({"type": "pong"})),
                    Ok(ClientFrame::Typing { conversation_id: Some(id) }) => {
                        if state.store.conversation(me.org_id, id).await.is_ok() {
                            state.store.bus().typing(Event {
                                id: 0, org_id: me.org_id, kind: EventKind::Typing, conversation_id: Some(id), customer_visible: true,
                                at: anxin_store::now_ms(), data: json!({"conversation_id": id, "side": "agent", "user_id": me.user_id}),
                            });
                        }
                        continue;
                    }
                    Ok(_) => {
                        if reject(&mut out, state, &mut errors, "staff send typing {conversation_id} or ping; replies go through POST /conversations/{id}/messages".into()).await { break } else { continue }
                    }
                    Err(e) => {
                        if reject(&mut out, state, &mut errors, format!("not a valid frame: {e}")).await { break } else { continue }
                    }
                };
                if out.send(reply).await.is_err() { break }
            }
            event = live.recv() => {
                match event {
                    Ok(e) if e.id == 0 => { if out.send(event_frame(&e)).await.is_err() { break } }
                    Ok(e) if e.id > last => {
                        last = e.id;
                        if let Some(seen) = staff_view(&me, &e) && out.send(event_frame(&seen)).await.is_err() { break }
                    }
                    Ok(_) => {}
                    Err(RecvError::Lagged(_)) => {
                        // Too slow for the live stream: read what was skipped from the database.
                        if send_backlog(&mut out, state, me.org_id, None, &mut last, |e| staff_view(&me, e)).await.is_err() { break }
                    }
                    Err(RecvError::Closed) => break,
                }
            }
        }
    }
    if errors > MAX_PROTOCOL_ERRORS {
        finish_closing(&mut incoming).await;
    }
}

/// Personal events (a person's protection state, alerts about them) reach only that person, supervisors and
/// admins; a knowledge update notice reaches only the people it names (without the list of the others); the rest of
/// the organisation's staff stream is everyone's.
fn staff_view(me: &Principal, event: &Event) -> Option<Event> {
    if event.kind == EventKind::KnowledgeUpdated {
        let named = event.data["user_ids"].as_array().is_some_and(|ids| ids.iter().any(|id| id.as_i64().is_some() && id.as_i64() == me.user_id));
        if !named {
            return None;
        }
        let mut notice = event.clone();
        if let Some(data) = notice.data.as_object_mut() {
            data.remove("user_ids");
        }
        return Some(notice);
    }
    let visible = !event.kind.personal()
        || matches!(me.role, anxin_domain::Role::Supervisor | anxin_domain::Role::Admin)
        || (me.user_id.is_some() && event.data["user_id"].as_i64() == me.user_id);
    visible.then(|| event.clone())
}

/// Completes the closing handshake after closing a connection ourselves: reads and drops what the client still
/// sends until its Close (bounded), so the socket is not reset with our Close frame unread (RFC 6455 §7.1.1).
async fn finish_closing(incoming: &mut futures_util::stream::SplitStream<WebSocket>) {
    let drain = async {
        while let Some(Ok(message)) = incoming.next().await {
            if matches!(message, Message::Close(_)) {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), drain).await;
}

/// Answers an invalid frame; `true` when the connection should close.
async fn reject(out: &mut futures_util::stream::SplitSink<WebSocket, Message>, state: &AppState, errors: &mut u32, message: String) -> bool {
    state.metrics.ws_protocol_errors.fetch_add(1, Ordering::Relaxed);
    *errors += 1;
    if *errors > MAX_PROTOCOL_ERRORS {
        let close = CloseFrame { code: 1008, reason: "too many invalid frames".into() };
        let _ = out.send(Message::Close(Some(close))).await;
        return true;
    }
    out.send(protocol_error(message)).await.is_err()
}

/// Sends stored events after `*last` (all of the organisation's, or one conversation's), page by page.
async fn send_backlog(
    out: &mut futures_util::stream::SplitSink<WebSocket, Message>,
    state: &AppState,
    org_id: i64,
    conversation: Option<i64>,
    last: &mut i64,
    view: impl Fn(&Event) -> Option<Event>,
) -> Result<(), ()> {
    loop {
        let page = match conversation {
            None => state.store.events_after(org_id, *last, BACKLOG_PAGE).await,
            Some(id) => state.store.conversation_events_after(org_id, id, *last, BACKLOG_PAGE).await,
        };
        let page = match page {
            Ok(p) => p,
            Err(e) => {
                let _ = out.send(error_frame(&ApiError::from(e), None)).await;
                return Err(());
            }
        };
        let n = page.len() as i64;
        for e in page {
            *last = e.id;
            if let Some(seen) = view(&e) {
                out.send(event_frame(&seen)).await.map_err(|_| ())?;
            }
        }
        if n < BACKLOG_PAGE {
            return Ok(());
        }
    }
}

/// Widget: `GET /api/v1/widget/{channel}/ws?token=…&after=N` (browsers cannot set headers on WebSockets).
pub async fn widget(
    State(state): State<AppState>,
    Path(key): Path<String>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<Connect>,
    upgrade: WebSocketUpgrade,
) -> ApiResult<Response> {
    let channel = channel_for(&state, &key, &headers, &addr).await?;
    let claims = visitor(&state, &channel, q.token.as_deref())?;
    let after = q.after()?;
    let limit = state.config.max_body_bytes();
    Ok(tuned(upgrade, limit).on_upgrade(move |socket| async move {
        state.metrics.ws_connections.fetch_add(1, Ordering::Relaxed);
        run_widget(socket, &state, channel, claims, after).await;
        state.metrics.ws_connections.fetch_sub(1, Ordering::Relaxed);
    }))
}

fn customer_view(e: &Event) -> Option<Event> {
    let seen = e.for_customer()?;
    // Customers see agents typing, not themselves.
    if seen.kind == EventKind::Typing && seen.data.get("side").and_then(Value::as_str) == Some("customer") {
        return None;
    }
    Some(seen)
}

async fn run_widget(socket: WebSocket, state: &AppState, channel: Channel, claims: VisitorClaims, after: After) {
    let (mut out, mut incoming) = socket.split();
    let org = channel.org_id;
    let mut conversation = match state.store.visitor_conversation(org, channel.id, claims.visitor.clone()).await {
        Ok(c) => c.map(|c| c.id),
        Err(e) => {
            let _ = out.send(error_frame(&ApiError::from(e), None)).await;
            return;
        }
    };
    let mut live = conversation.map(|id| state.store.bus().subscribe_conversation(id));
    let mut last = match after {
        After::Id(id) => id,
        After::Latest => state.store.latest_event_id(org).await.unwrap_or(0),
    };
    if let Some(id) = conversation
        && send_backlog(&mut out, state, org, Some(id), &mut last, customer_view).await.is_err() {
            return;
        }
    if out.send(frame(json!({"type": "hello", "last_event_id": last, "conversation_id": conversation}))).await.is_err() {
        return;
    }
    let mut errors = 0;
    loop {
        let next_event = async {
            match live.as_mut() {
                Some(rx) => rx.recv().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            incoming_frame = incoming.next() => {
                let text = match incoming_frame {
                    Some(Ok(Message::Text(t))) => t,
                    Some(Ok(Message::Binary(_))) => {
                        if reject(&mut out, state, &mut errors, "binary frames are not part of the protocol".into()).await { break } else { continue }
                    }
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                    Some(Ok(_)) => continue,
                };
                let parsed = match serde_json::from_str::<ClientFrame>(&text) {
                    Ok(f) => f,
                    Err(e) => {
                        if reject(&mut out, state, &mut errors, format!("not a valid frame: {e}")).await { break } else { continue }
                    }
                };
                let reply = match parsed {
                    ClientFrame::Ping => frame(json!({"type": "pong"})),
                    ClientFrame::Typing { .. } => {
                        if let Some(id) = conversation {
                            state.store.bus().typing(Event {
                                id: 0, org_id: org, kind: EventKind::Typing, conversation_id: Some(id), customer_visible: true,
                                at: anxin_store::now_ms(), data: json!({"conversation_id": id, "side": "customer"}),
                            });
                        }
                        continue;
                    }
                    ClientFrame::Read { message_id } => match conversation {
                        Some(id) => match state.store.mark_read(org, id, Reader::Customer, message_id).await {
                            Ok(_) => continue,
                            Err(e) => error_frame(&ApiError::from(e), None),
                        },
                        None => error_frame(&ApiError::NotFound, None),
                    },
                    ClientFrame::Send { client_message_id, text } => {
                        let body = WidgetMessage { client_message_id: client_message_id.clone(), text };
                        match post_visitor_message(state, &channel, &claims, body).await {
                            Ok(result) => {
                                let id = result.get("conversation_id").and_then(Value::as_i64);
                                if id.is_some() && id != conversation {
                                    // A new conversation began (the first message, or the last one was resolved).
                                    conversation = id;
                                    live = id.map(|id| state.store.bus().subscribe_conversation(id));
                                    let mut from = 0;
                                    if send_backlog(&mut out, state, org, id, &mut from, customer_view).await.is_err() { break }
                                    last = last.max(from);
                                }
                                frame(json!({"type": "ack", "client_message_id": client_message_id, "message": result.get("message"), "conversation_id": id}))
                            }
                            Err(e) => error_frame(&e, Some(&client_message_id)),
                        }
                    }
                };
                if out.send(reply).await.is_err() { break }
            }
            event = next_event => {
                match event {
                    Ok(e) if e.id == 0 => {
                        if let Some(seen) = customer_view(&e) && out.send(event_frame(&seen)).await.is_err() { break }
                    }
                    Ok(e) if e.id > last => {
                        last = e.id;
                        if let Some(seen) = customer_view(&e) && out.send(event_frame(&seen)).await.is_err() { break }
                    }
                    Ok(_) => {}
                    Err(RecvError::Lagged(_)) => {
                        if send_backlog(&mut out, state, org, conversation, &mut last, customer_view).await.is_err() { break }
                    }
                    Err(RecvError::Closed) => break,
                }
            }
        }
    }
    if errors > MAX_PROTOCOL_ERRORS {
        finish_closing(&mut incoming).await;
    }
}

