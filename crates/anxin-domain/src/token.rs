//! Signed widget tokens: an anonymous visitor's identity for one channel, without server-side sessions.
//! Format: `base64url(json claims) "." base64url(HMAC-SHA256(key, claims part))`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitorClaims {
    pub org: i64,
    pub channel: i64,
    /// Random visitor id chosen by the server when the token was first issued; kept by the browser.
    pub visitor: String,
    /// Expiry, Unix seconds.
    pub exp: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenError {
    Malformed,
    BadSignature,
    Expired,
}

pub fn sign(key: &[u8], claims: &VisitorClaims) -> String {
    let body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).expect("claims serialise"));
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(body.as_bytes());
    let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    format!("{body}.{signature}")
}

/// Checks the signature (in constant time) and the expiry against `now` (Unix seconds).
pub fn verify(key: &[u8], token: &str, now: i64) -> Result<VisitorClaims, TokenError> {
    if token.len() > 2048 {
        return Err(TokenError::Malformed);
    }
    let (body, signature) = token.split_once('.').ok_or(TokenError::Malformed)?;
    let signature = URL_SAFE_NO_PAD.decode(signature).map_err(|_| TokenError::Malformed)?;
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(body.as_bytes());
    mac.verify_slice(&signature).map_err(|_| TokenError::BadSignature)?;
    let json = URL_SAFE_NO_PAD.decode(body).map_err(|_| TokenError::Malformed)?;
    let claims: VisitorClaims = serde_json::from_slice(&json).map_err(|_| TokenError::Malformed)?;
    if claims.exp <= now {
        return Err(TokenError::Expired);
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims() -> VisitorClaims {
        VisitorClaims { org: 1, channel: 2, visitor: "v_abc".into(), exp: 1_000 }
    }

    #[test]
    fn round_trip_and_tampering() {
        let key = b"0123456789abcdef0123456789abcdef";
        let token = sign(key, &claims());
        assert_eq!(verify(key, &token, 999), Ok(claims()));
        assert_eq!(verify(key, &token, 1_000), Err(TokenError::Expired));
        assert_eq!(verify(b"another key", &token, 0), Err(TokenError::BadSignature));
        // Changing the claims (another channel) breaks the signature.
        let forged_body = URL_SAFE_NO_PAD.encode(br#"{"org":1,"channel":3,"visitor":"v_abc","exp":1000}"#);
        let signature = token.split_once('.').unwrap().1;
        assert_eq!(verify(key, &format!("{forged_body}.{signature}"), 0), Err(TokenError::BadSignature));
        for junk in ["", ".", "abc", "a.b", "a.!!", &"x".repeat(5000)] {
            assert!(verify(key, junk, 0).is_err(), "{junk}");
        }
    }
}
