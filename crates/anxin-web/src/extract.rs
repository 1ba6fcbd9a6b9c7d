//! Request parsing at the boundary: bodies read with a size limit, checked for UTF-8, parsed as JSON with the
//! failing field named; query strings the same way.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use serde_json::json;

use crate::AppState;
use crate::error::ApiError;

/// A JSON body of type `T`. Errors: 413 over the limit, 400 `invalid_utf8`, 400 `malformed_json`,
/// 422 `invalid_field` naming the field (wrong type, unknown enum value, missing field).
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        let limit = state.config.max_body_bytes();
        let content_type = req.headers().get(axum::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
        if !content_type.is_empty() && !content_type.starts_with("application/json") {
            return Err(ApiError::bad_request("unsupported_media_type", "send the body as application/json"));
        }
        let bytes = read_limited(req.into_body(), limit).await?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// How much of an oversized body is read and thrown away, so the client gets its 413 instead of a reset
/// connection (closing a socket with unread data makes the peer's TCP stack drop our answer).
const DRAIN_LIMIT: usize = 4 * 1024 * 1024;

pub(crate) async fn read_limited(body: axum::body::Body, limit: usize) -> Result<Vec<u8>, ApiError> {
    use futures_util::StreamExt;
    let mut stream = body.into_data_stream();
    let mut out = Vec::new();
    let mut total = 0usize;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| ApiError::bad_request("bad_request", "the request body could not be read"))?;
        total += chunk.len();
        if total > limit + DRAIN_LIMIT {
            break;
        }
        if total <= limit {
            out.extend_from_slice(&chunk);
        }
    }
    if total > limit {
        return Err(ApiError::TooLarge(limit));
    }
    Ok(out)
}

pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let text = std::str::from_utf8(bytes).map_err(|e| ApiError::BadRequest {
        code: "invalid_utf8",
        message: "the body is not valid UTF-8".into(),
        details: json!({"byte_offset": e.valid_up_to()}),
    })?;
    // Syntax first, so that broken JSON is a 400 and a well-formed body with a bad field is a 422.
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| ApiError::BadRequest {
        code: "malformed_json",
        message: format!("the body is not valid JSON: {e}"),
        details: json!({"line": e.line(), "column": e.column()}),
    })?;
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." { "body".to_owned() } else { path };
        ApiError::invalid(&field, "invalid", format!("{field}: {}", e.inner()))
    })
}

/// A query string of type `T`, with the same errors as bodies.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or("");
        let deserializer = serde_urlencoded_de(query)?;
        Ok(ApiQuery(deserializer))
    }
}

fn serde_urlencoded_de<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    axum::extract::Query::<T>::try_from_uri(&format!("/?{query}").parse().map_err(|_| ApiError::bad_request("invalid_query", "bad query string"))?)
        .map(|q| q.0)
        .map_err(|e| ApiError::invalid("query", "invalid", e.body_text()))
}

/// Path parameters of type `T` (ids), with the API's JSON error: a non-numeric or out-of-range id is 400
/// `invalid_path`, not axum's plain-text rejection.
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(ApiPath(value)),
            Err(e) => Err(ApiError::bad_request("invalid_path", e.body_text())),
        }
    }
}
