//! Sign-in, sign-out, and who am I.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use crate::AppState;
use crate::auth::{self, Staff};
use crate::error::ApiResult;
use crate::extract::ApiJson;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/auth/login", post(login))
        .route("/auth/logout", post(logout))
        .route("/auth/me", get(me))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Login {
    username: String,
    password: String,
}

async fn login(State(state): State<AppState>, ConnectInfo(addr): ConnectInfo<SocketAddr>, ApiJson(body): ApiJson<Login>) -> ApiResult<impl IntoResponse> {
    let (user, token, csrf) = auth::sign_in(&state, &body.username, &body.password, &addr).await?;
    let cookie = auth::session_cookie(&token, state.config.secure_cookies);
    Ok(([(header::SET_COOKIE, cookie)], Json(json!({"user": user, "csrf_token": csrf}))))
}

async fn logout(State(state): State<AppState>, staff: Staff, parts: axum::http::HeaderMap) -> ApiResult<impl IntoResponse> {
    let _ = staff;
    let token = parts
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|p| p.trim().split_once('='))
        .find(|(k, _)| *k == auth::SESSION_COOKIE)
        .map(|(_, v)| v.to_owned());
    if let Some(token) = token {
        state.store.delete_session(auth::token_hash(&token)).await?;
    }
    Ok(([(header::SET_COOKIE, auth::clear_session_cookie())], Json(json!({"ok": true}))))
}

async fn me(State(state): State<AppState>, Staff(principal): Staff) -> ApiResult<Json<serde_json::Value>> {
    let user = match principal.user_id {
        Some(id) => Some(state.store.user(principal.org_id, id).await?),
        None => None,
    };
    Ok(Json(json!({"user": user, "role": principal.role, "org_id": principal.org_id, "csrf_token": principal.csrf_token})))
}
