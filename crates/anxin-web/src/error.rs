//! The one web error type. Each variant has a stable snake_case code and an HTTP status; the body is always
//! `{"error": {"code", "message", "details"}}`. Internal causes are logged, never sent.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use anxin_domain::InputError;
use anxin_store::StoreError;

#[derive(Debug)]
pub enum ApiError {
    /// 400: the body is not JSON, not UTF-8, or not the expected shape.
    BadRequest { code: &'static str, message: String, details: Value },
    /// 422: a field is missing, of the wrong type, or holds a value that is not allowed (names the field).
    Invalid { field: String, reason: &'static str, message: String },
    /// 401: no valid session or token.
    Unauthenticated,
    /// 403: signed in, but the role does not allow it (or the CSRF token is missing).
    Forbidden(&'static str),
    /// 404: absent, or belongs to another organisation or customer (indistinguishable on purpose).
    NotFound,
    /// 409: a unique name is taken.
    Conflict(String),
    /// 413: the body is larger than allowed.
    TooLarge(usize),
    /// 429: slow down; retry after this many seconds.
    RateLimited(u64),
    /// 503: the database is unreachable; nothing was stored.
    Unavailable,
    /// 500: a bug; details only in the log.
    Internal(String),
}

impl ApiError {
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        ApiError::BadRequest { code, message: message.into(), details: Value::Null }
    }

    pub fn invalid(field: &str, reason: &'static str, message: impl Into<String>) -> Self {
        ApiError::Invalid { field: field.to_owned(), reason, message: message.into() }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Unauthenticated => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// `(code, message, details)` as sent to the client (also used for WebSocket error frames).
    pub fn parts(&self) -> (&'static str, String, Value) {
        match self {
            ApiError::BadRequest { code, message, details } => (code, message.clone(), details.clone()),
            ApiError::Invalid { field, reason, message } => ("invalid_field", message.clone(), json!({"field": field, "reason": reason})),
            ApiError::Unauthenticated => ("unauthenticated", "sign in or send a valid token".into(), Value::Null),
            ApiError::Forbidden(why) => ("forbidden", (*why).into(), Value::Null),
            ApiError::NotFound => ("not_found", "no such resource".into(), Value::Null),
            ApiError::Conflict(what) => ("conflict", format!("already exists or conflicts: {what}"), Value::Null),
            ApiError::TooLarge(limit) => ("payload_too_large", format!("the body is larger than {limit} bytes"), json!({"limit": limit})),
            ApiError::RateLimited(after) => ("rate_limited", format!("too many requests; retry in {after} s"), json!({"retry_after": after})),
            ApiError::Unavailable => ("service_unavailable", "the database is unavailable; nothing was stored, please retry".into(), Value::Null),
            ApiError::Internal(_) => ("internal_error", "an internal error occurred".into(), Value::Null),
        }
    }
}

impl From<InputError> for ApiError {
    fn from(e: InputError) -> Self {
        ApiError::Invalid { field: e.field.to_owned(), reason: e.code, message: e.to_string() }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ApiError::NotFound,
            StoreError::Forbidden(why) => ApiError::Forbidden(why),
            StoreError::Conflict(what) => match what.as_str() {
                // A reference to something that does not exist in this organisation.
                "assignee_id" | "team_id" | "message_id" => {
                    let field = match what.as_str() {
                        "assignee_id" => "assignee_id",
                        "team_id" => "team_id",
                        _ => "message_id",
                    };
                    InputError::new(field, "unknown", "no such item in this organisation").into()
                }
                // The knowledge base's own conflicts keep their names: kb_entry_kind, kb_import_duplicate,
                // kb_entry_changed.
                w if w.starts_with("kb_") => ApiError::Conflict(w.to_owned()),
                w if w.contains("username") => ApiError::Conflict("username".into()),
                w if w.contains("teams") || w.contains("name") => ApiError::Conflict("name".into()),
                w if w.contains("contact_points") || w.contains("value") => ApiError::Conflict("contact".into()),
                w if w.contains("client_message_id") => ApiError::Conflict("client_message_id".into()),
                _ => ApiError::Conflict("resource".into()),
            },
            StoreError::Unavailable(cause) => {
                tracing::warn!(%cause, "database unavailable");
                ApiError::Unavailable
            }
            StoreError::Internal(cause) => ApiError::Internal(cause),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(cause) = &self {
            tracing::error!(%cause, "internal error");
        }
        let status = self.status();
        let (code, message, details) = self.parts();
        let mut response = (status, axum::Json(json!({"error": {"code": code, "message": message, "details": details}}))).into_response();
        if let ApiError::RateLimited(after) = self {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(after.max(1)));
        }
        response
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
