//! People and configuration: users, teams, channels, API tokens, customers, the audit log.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use anxin_domain::input::{AllowedOrigin, Name, NewPassword, Username};
use anxin_domain::{Action, ChannelKind, ContactKind, Role};


use crate::AppState;
use crate::api::Page;
use crate::auth::{self, Staff};
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, ApiQuery};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/users", get(users).post(create_user))
        .route("/teams", get(teams).post(create_team))
        .route("/teams/{id}/members", post(add_member))
        .route("/channels", get(channels).post(create_channel))
        .route("/tokens", post(create_token))
        .route("/customers", get(customers).post(create_customer))
        .route("/customers/{id}", get(customer))
        .route("/audit", get(audit))
        .route("/settings", get(settings).patch(update_settings))
}

async fn users(State(state): State<AppState>, staff: Staff) -> ApiResult<Json<Value>> {
    let me = staff.require(Action::ReadDirectory)?;
    Ok(Json(json!({"users": state.store.users(me.org_id).await?})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewUserBody {
    username: String,
    display_name: String,
    role: Role,
    password: String,
    department: Option<String>,
}

async fn create_user(State(state): State<AppState>, staff: Staff, ApiJson(body): ApiJson<NewUserBody>) -> ApiResult<(StatusCode, Json<Value>)> {
    let me = staff.require(Action::ManageUsers)?.clone();
    let username = Username::parse(&body.username)?;
    let display = Name::parse("display_name", &body.display_name)?;
    let password = NewPassword::parse(&body.password)?;
    let department = body.department.as_deref().map(|d| Name::parse("department", d)).transpose()?.map(Name::into_string);
    let hash = tokio::task::spawn_blocking(move || auth::hash_password(password.as_str()))
        .await
        .map_err(|e| crate::error::ApiError::Internal(e.to_string()))?;
    let new = anxin_store::NewUser { org_id: me.org_id, username, display_name: display, role: body.role, department, password_hash: hash };
    let user = state.store.create_user(new, Some(me.audit_name())).await?;
    Ok((StatusCode::CREATED, Json(json!({"user": user}))))
}

async fn teams(State(state): State<AppState>, staff: Staff) -> ApiResult<Json<Value>> {
    let me = staff.require(Action::ReadDirectory)?;
    Ok(Json(json!({"teams": state.store.teams(me.org_id).await?})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewTeam {
    name: String,
}

async fn create_team(State(state): State<AppState>, staff: Staff, ApiJson(body): ApiJson<NewTeam>) -> ApiResult<(StatusCode, Json<Value>)> {
    let me = staff.require(Action::ManageTeams)?;
    let team = state.store.create_team(me.org_id, Name::parse("name", &body.name)?, me.audit_name()).await?;
    Ok((StatusCode::CREATED, Json(json!({"team": team}))))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewMember {
    user_id: i64,
}

async fn add_member(State(state): State<AppState>, staff: Staff, ApiPath(team): ApiPath<i64>, ApiJson(body): ApiJson<NewMember>) -> ApiResult<Json<Value>> {
    let me = staff.require(Action::ManageTeams)?;
    state.store.add_team_member(me.org_id, team, body.user_id, me.audit_name()).await?;
    Ok(Json(json!({"ok": true})))
}

async fn channels(State(state): State<AppState>, staff: Staff) -> ApiResult<Json<Value>> {
    let me = staff.require(Action::ReadDirectory)?;
    Ok(Json(json!({"channels": state.store.channels(me.org_id).await?})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewChannel {
    kind: ChannelKind,
    name: String,
    #[serde(default)]
    allowed_origins: Vec<String>,
}

async fn create_channel(State(state): State<AppState>, staff: Staff, ApiJson(body): ApiJson<NewChannel>) -> ApiResult<(StatusCode, Json<Value>)> {
    let me = staff.require(Action::ManageChannels)?;
    let origins = body
        .allowed_origins
        .iter()
        .map(|o| AllowedOrigin::parse(o).map(|o| o.as_str().to_owned()))
        .collect::<Result<Vec<_>, _>>()?;
    let channel = state.store.create_channel(me.org_id, body.kind, Name::parse("name", &body.name)?, origins, me.audit_name()).await?;
    Ok((StatusCode::CREATED, Json(json!({"channel": channel}))))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewToken {
    name: String,
    role: Role,
}

/// Creates an API token for an integration; the token is shown once (only its hash is kept).
async fn create_token(State(state): State<AppState>, staff: Staff, ApiJson(body): ApiJson<NewToken>) -> ApiResult<(StatusCode, Json<Value>)> {
    let me = staff.require(Action::ManageApiTokens)?.clone();
    let token = format!("anx_{}", auth::random_token(24));
    let id = state.store.create_api_token(me.org_id, Name::parse("name", &body.name)?, auth::token_hash(&token), body.role, me).await?;
    Ok((StatusCode::CREATED, Json(json!({"id": id, "token": token}))))
}

async fn customers(State(state): State<AppState>, staff: Staff, ApiQuery(page): ApiQuery<Page>) -> ApiResult<Json<Value>> {
    let me = staff.require(Action::ReadCustomers)?;
    let list = state.store.customers(me.org_id, page.after.unwrap_or(0), page.limit.unwrap_or(50).clamp(1, 200)).await?;
    Ok(Json(json!({"customers": list})))
}

async fn customer(State(state): State<AppState>, staff: Staff, ApiPath(id): ApiPath<i64>) -> ApiResult<Json<Value>> {
    let me = staff.require(Action::ReadCustomers)?;
    Ok(Json(json!({"customer": state.store.customer(me.org_id, id).await?})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewContact {
    kind: ContactKind,
    value: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewCustomer {
    name: String,
    #[serde(default)]
    contacts: Vec<NewContact>,
}

async fn create_customer(State(state): State<AppState>, staff: Staff, ApiJson(body): ApiJson<NewCustomer>) -> ApiResult<(StatusCode, Json<Value>)> {
    let me = staff.require(Action::ManageCustomers)?;
    let mut contacts = Vec::new();
    for c in body.contacts {
        let value = c.value.trim();
        if value.is_empty() || value.len() > 256 {
            return Err(crate::error::ApiError::invalid("contacts", "invalid", "each contact value has 1 to 256 bytes"));
        }
        contacts.push((c.kind, value.to_owned()));
    }
    let customer = state.store.create_customer(me.org_id, Name::parse("name", &body.name)?, contacts, me.audit_name()).await?;
    Ok((StatusCode::CREATED, Json(json!({"customer": customer}))))
}

async fn audit(State(state): State<AppState>, staff: Staff, ApiQuery(page): ApiQuery<Page>) -> ApiResult<Json<Value>> {
    let me = staff.require(Action::ReadAudit)?;
    let list = state.store.audit_log(me.org_id, page.before, page.limit.unwrap_or(100)).await?;
    Ok(Json(json!({"entries": list})))
}

async fn settings(State(state): State<AppState>, staff: Staff) -> ApiResult<Json<Value>> {
    let me = staff.require(Action::ReadDirectory)?;
    Ok(Json(json!({"organization": state.store.organization(me.org_id).await?})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SettingsPatch {
    name: Option<String>,
    timezone: Option<String>,
    /// Replaces the settings object (at most 16 KiB of JSON).
    settings: Option<Value>,
}

async fn update_settings(State(state): State<AppState>, staff: Staff, ApiJson(body): ApiJson<SettingsPatch>) -> ApiResult<Json<Value>> {
    let me = staff.require(Action::ManageSettings)?.clone();
    let name = body.name.as_deref().map(|n| Name::parse("name", n)).transpose()?;
    if let Some(tz) = &body.timezone {
        let valid = !tz.is_empty() && tz.len() <= 64 && tz.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '_' | '-' | '+'));
        if !valid {
            return Err(crate::error::ApiError::invalid("timezone", "invalid", "an IANA time zone such as Asia/Shanghai"));
        }
    }
    if let Some(settings) = &body.settings
        && (!settings.is_object() || settings.to_string().len() > 16 * 1024) {
            return Err(crate::error::ApiError::invalid("settings", "invalid", "a JSON object of at most 16 KiB"));
        }
    let org = state.store.update_organization(me, name, body.timezone, body.settings).await?;
    Ok(Json(json!({"organization": org})))
}
