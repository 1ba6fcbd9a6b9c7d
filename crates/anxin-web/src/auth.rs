//! Who is calling: session cookies for people (Argon2id passwords, HttpOnly + SameSite cookies, CSRF token on
//! state changes), bearer API tokens for integrations, and login throttling.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{Method, header};
use sha2::{Digest, Sha256};

use anxin_domain::Action;
use anxin_store::{Principal, StoreError};

use crate::AppState;
use crate::error::ApiError;

pub const SESSION_COOKIE: &str = "anxin_session";
pub const CSRF_HEADER: &str = "x-csrf-token";
pub const SESSION_DAYS: i64 = 14;

pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).expect("system randomness");
    hex::encode(buf)
}

/// Tokens are stored as their SHA-256: a leaked database does not hand out sessions.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

pub fn hash_password(password: &str) -> String {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).expect("system randomness");
    let salt = SaltString::encode_b64(&salt).expect("16-byte salt");
    Argon2::default().hash_password(password.as_bytes(), &salt).expect("argon2 hashes any password").to_string()
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
}

/// A hash to verify against when the user does not exist, so both cases take the same time.
pub fn dummy_hash() -> &'static str {
    use std::sync::LazyLock;
    static DUMMY: LazyLock<String> = LazyLock::new(|| hash_password("not a real password, only for timing"));
    &DUMMY
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub fn cookie_value<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    cookie_value_in(&parts.headers, name)
}

pub fn cookie_value_in<'a>(headers: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

pub fn session_cookie(token: &str, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}", SESSION_DAYS * 86_400)
}

pub fn clear_session_cookie() -> String {
    format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0")
}

/// The authenticated caller of a staff endpoint. Extracting it enforces authentication and, for cookie
/// sessions, the CSRF token on every state-changing method.
pub struct Staff(pub Principal);

impl Staff {
    /// 403 unless the caller's role allows `action`.
    pub fn require(&self, action: Action) -> Result<&Principal, ApiError> {
        if self.0.role.can(action) {
            Ok(&self.0)
        } else {
            Err(ApiError::Forbidden("your role does not allow this"))
        }
    }
}

impl FromRequestParts<AppState> for Staff {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let auth = parts.headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
        if let Some(token) = auth.and_then(|a| a.strip_prefix("Bearer ")) {
            // Visitor (widget) tokens contain a '.', API tokens never do.
            if !token.starts_with("anx_") {
                return Err(ApiError::Unauthenticated);
            }
            return match state.store.token_principal(token_hash(token.trim())).await {
                Ok(p) => Ok(Staff(p)),
                Err(StoreError::NotFound) => Err(ApiError::Unauthenticated),
                Err(e) => Err(e.into()),
            };
        }
        let Some(token) = cookie_value(parts, SESSION_COOKIE) else {
            return Err(ApiError::Unauthenticated);
        };
        let principal = match state.store.session_principal(token_hash(token), state.store.now()).await {
            Ok(p) => p,
            Err(StoreError::NotFound) => return Err(ApiError::Unauthenticated),
            Err(e) => return Err(e.into()),
        };
        if !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS) {
            let sent = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
            let expected = principal.csrf_token.as_deref().unwrap_or("");
            if expected.is_empty() || !constant_time_eq(sent.as_bytes(), expected.as_bytes()) {
                return Err(ApiError::Forbidden("missing or wrong CSRF token (send the X-CSRF-Token header)"));
            }
        }
        Ok(Staff(principal))
    }
}

/// Checks a username and password (throttled per username and per address) and opens a session.
/// Returns the user, the session token (for the cookie) and the CSRF token.
pub async fn sign_in(
    state: &AppState,
    username: &str,
    password: &str,
    addr: &std::net::SocketAddr,
) -> Result<(anxin_store::User, String, String), ApiError> {
    if username.len() > 256 || password.len() > 1024 {
        return Err(ApiError::invalid("username", "invalid", "too long"));
    }
    let keys = vec![format!("user:{}", username.to_lowercase()), format!("ip:{}", addr.ip())];
    if let Some(wait) = state.throttle.check(&keys) {
        return Err(ApiError::RateLimited(wait));
    }
    let found = match state.store.user_for_login(username).await {
        Ok(found) => Some(found),
        Err(StoreError::NotFound) => None,
        Err(e) => return Err(e.into()),
    };
    let password = password.to_owned();
    let hash = found.as_ref().map_or_else(|| dummy_hash().to_owned(), |(_, h)| h.clone());
    let valid = tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let user = match found {
        Some((user, _)) if valid && user.active => user,
        _ => {
            state.throttle.failed(&keys);
            return Err(ApiError::BadRequest {
                code: "invalid_credentials",
                message: "wrong username or password".into(),
                details: serde_json::Value::Null,
            });
        }
    };
    state.throttle.succeeded(&keys);
    let token = random_token(32);
    let csrf = random_token(16);
    let expires = state.store.now() + SESSION_DAYS * 86_400_000;
    state.store.create_session(token_hash(&token), user.id, csrf.clone(), expires).await?;
    Ok((user, token, csrf))
}

/// Failed sign-ins per username and per client address; after `MAX_FAILURES` in the window, 429.
pub struct LoginThrottle {
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

const MAX_FAILURES: u32 = 5;
const WINDOW: Duration = Duration::from_secs(15 * 60);

impl Default for LoginThrottle {
    fn default() -> Self {
        Self { failures: Mutex::new(HashMap::new()) }
    }
}

impl LoginThrottle {
    /// Seconds to wait if any of the keys is locked out.
    pub fn check(&self, keys: &[String]) -> Option<u64> {
        let map = self.failures.lock().expect("throttle lock");
        keys.iter()
            .filter_map(|k| map.get(k))
            .filter(|(n, since)| *n >= MAX_FAILURES && since.elapsed() < WINDOW)
            .map(|(_, since)| WINDOW.saturating_sub(since.elapsed()).as_secs().max(1))
            .max()
    }

    pub fn failed(&self, keys: &[String]) {
        let mut map = self.failures.lock().expect("throttle lock");
        if map.len() > 100_000 {
            map.retain(|_, (_, since)| since.elapsed() < WINDOW);
        }
        for k in keys {
            let entry = map.entry(k.clone()).or_insert((0, Instant::now()));
            if entry.1.elapsed() >= WINDOW {
                *entry = (0, Instant::now());
            }
            entry.0 += 1;
        }
    }

    pub fn succeeded(&self, keys: &[String]) {
        let mut map = self.failures.lock().expect("throttle lock");
        for k in keys {
            map.remove(k);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_and_tokens() {
        let hash = hash_password("correct horse battery");
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &hash));
        assert!(!verify_password("wrong", &hash));
        assert!(!verify_password("x", "not a hash"));
        assert_ne!(hash_password("same"), hash_password("same"), "salted");
        assert_eq!(token_hash("a").len(), 64);
        assert!(constant_time_eq(b"abc", b"abc") && !constant_time_eq(b"abc", b"abd") && !constant_time_eq(b"a", b"ab"));
    }

    #[test]
    fn throttle_locks_after_five_failures() {
        let t = LoginThrottle::default();
        let keys = vec!["user:a".to_string(), "ip:1".to_string()];
        for _ in 0..4 {
            t.failed(&keys);
        }
        assert_eq!(t.check(&keys), None);
        t.failed(&keys);
        assert!(t.check(&["ip:1".to_string()]).is_some());
        t.succeeded(&keys);
        assert_eq!(t.check(&keys), None);
    }
}
