//! The channel API: apps, marketplaces and adapters post customer messages with an API token.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use anxin_domain::input::{ClientMessageId, Name};
use anxin_domain::{Action, ChannelKind, ContactKind};
use anxin_store::InboundMessage;

use crate::AppState;
use crate::api::conversations::message_body;
use crate::auth::Staff;
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiJson;

pub fn routes() -> Router<AppState> {
    Router::new().route("/inbound/messages", post(inbound))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InboundCustomer {
    /// The customer's id in the shop or app (e.g. `tmall:wang_2023`).
    external_id: String,
    name: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Inbound {
    channel_id: i64,
    customer: InboundCustomer,
    client_message_id: String,
    text: String,
}

async fn inbound(State(state): State<AppState>, staff: Staff, ApiJson(body): ApiJson<Inbound>) -> ApiResult<(StatusCode, Json<Value>)> {
    // Integrations post as the customer's channel: an admin or supervisor token (they manage channels).
    let me = staff.require(Action::AssignOthers)?.clone();
    let channel = state.store.channel(me.org_id, body.channel_id).await?;
    if channel.kind == ChannelKind::WebChat {
        return Err(ApiError::invalid("channel_id", "wrong_kind", "web chat channels take messages from the widget"));
    }
    let external = body.customer.external_id.trim();
    if external.is_empty() || external.len() > 256 {
        return Err(ApiError::invalid("customer.external_id", "invalid", "1 to 256 bytes"));
    }
    let name = body.customer.name.as_deref().map(|n| Name::parse("customer.name", n)).transpose()?.map(Name::into_string);
    let text = message_body(body.text, state.config.max_message_bytes)?;
    let client_id = ClientMessageId::parse(&body.client_message_id)?;
    let analysis = state.analyzer.analyze_customer_message(text.as_str());
    let kind = if channel.kind == ChannelKind::Email { ContactKind::Email } else { ContactKind::External };
    let posted = state
        .store
        .post_inbound(InboundMessage {
            org_id: me.org_id,
            channel_id: channel.id,
            contact: (kind, external.to_owned()),
            customer_name: name,
            client_message_id: Some(client_id),
            body: text,
            analysis,
        })
        .await?;
    if !posted.replayed {
        state.metrics.customer_messages.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
    Ok((StatusCode::CREATED, Json(json!({"message": posted.message, "conversation": posted.conversation, "replayed": posted.replayed}))))
}
