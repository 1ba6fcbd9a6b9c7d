//! Untrusted input parsed once, at the boundary, into types that cannot hold bad values. Each error names the
//! field so the API can answer 400/422 with it.

use std::fmt;

/// A field that failed to parse, and why (English; the UI translates by `code`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    pub field: &'static str,
    pub code: &'static str,
    pub message: String,
}

impl InputError {
    pub fn new(field: &'static str, code: &'static str, message: impl Into<String>) -> Self {
        Self { field, code, message: message.into() }
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl std::error::Error for InputError {}

/// Default limit of one message body, in bytes (configurable on the server).
pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 64 * 1024;

/// A message body: not blank, at most the configured size. Stored verbatim (HTML included): it is escaped when
/// shown, never sanitised into something the customer did not write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageBody(String);

impl MessageBody {
    pub fn parse(text: String, max_bytes: usize) -> Result<Self, InputError> {
        if text.trim().is_empty() {
            return Err(InputError::new("text", "blank", "the message is empty"));
        }
        if text.len() > max_bytes {
            return Err(InputError::new("text", "too_long", format!("the message is longer than {max_bytes} bytes")));
        }
        if text.contains('\0') {
            return Err(InputError::new("text", "invalid_character", "the message contains a NUL character"));
        }
        Ok(Self(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// A client's idempotency key: 1–128 printable ASCII characters (a UUID, a counter, anything unique per sender).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClientMessageId(String);

impl ClientMessageId {
    pub fn parse(text: &str) -> Result<Self, InputError> {
        if text.is_empty() || text.len() > 128 || !text.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(InputError::new(
                "client_message_id",
                "invalid",
                "must be 1 to 128 printable ASCII characters without spaces",
            ));
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A login name: 2–64 characters of letters, digits, `.`, `_`, `-` (Chinese letters allowed), case kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub fn parse(text: &str) -> Result<Self, InputError> {
        let text = text.trim();
        let n = text.chars().count();
        if !(2..=64).contains(&n) || !text.chars().all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-')) {
            return Err(InputError::new(
                "username",
                "invalid",
                "2 to 64 letters, digits, '.', '_' or '-'",
            ));
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A new password: 10–256 characters (length is what makes passwords strong; no composition rules).
#[derive(Clone, PartialEq, Eq)]
pub struct NewPassword(String);

impl NewPassword {
    pub fn parse(text: &str) -> Result<Self, InputError> {
        let n = text.chars().count();
        if !(10..=256).contains(&n) {
            return Err(InputError::new("password", "invalid", "10 to 256 characters"));
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NewPassword(***)")
    }
}

/// A display name (of a person, team, channel or customer): 1–100 characters after trimming, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Name(String);

impl Name {
    pub fn into_string(self) -> String {
        self.0
    }

    pub fn parse(field: &'static str, text: &str) -> Result<Self, InputError> {
        let text = text.trim();
        let n = text.chars().count();
        if n == 0 || n > 100 || text.chars().any(char::is_control) {
            return Err(InputError::new(field, "invalid", "1 to 100 characters, no control characters"));
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Conversation labels: at most 20, each 1–40 characters, no duplicates (order kept).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Labels(Vec<String>);

impl Labels {
    pub fn parse(labels: &[String]) -> Result<Self, InputError> {
        if labels.len() > 20 {
            return Err(InputError::new("labels", "too_many", "at most 20 labels"));
        }
        let mut out: Vec<String> = Vec::with_capacity(labels.len());
        for label in labels {
            let label = label.trim();
            let n = label.chars().count();
            if n == 0 || n > 40 || label.chars().any(char::is_control) {
                return Err(InputError::new("labels", "invalid", "each label has 1 to 40 characters"));
            }
            if !out.iter().any(|l| l == label) {
                out.push(label.to_owned());
            }
        }
        Ok(Self(out))
    }

    pub fn as_slice(&self) -> &[String] {
        &self.0
    }
}

/// A web origin allowed to embed the widget: `scheme://host[:port]`, nothing after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedOrigin(String);

impl AllowedOrigin {
    pub fn parse(text: &str) -> Result<Self, InputError> {
        let text = text.trim().trim_end_matches('/');
        let rest = text.strip_prefix("https://").or_else(|| text.strip_prefix("http://"));
        let valid = rest.is_some_and(|host| {
            !host.is_empty()
                && host.len() <= 253
                && host.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
        });
        if !valid {
            return Err(InputError::new("allowed_origins", "invalid", "an origin like https://shop.example.com"));
        }
        Ok(Self(text.to_ascii_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether a browser's `Origin` header names this origin (scheme and host are case-insensitive).
    pub fn matches(&self, origin_header: &str) -> bool {
        origin_header.trim_end_matches('/').eq_ignore_ascii_case(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_bodies() {
        assert!(MessageBody::parse("你好".into(), 64).is_ok());
        assert_eq!(MessageBody::parse("   \n".into(), 64).unwrap_err().code, "blank");
        assert_eq!(MessageBody::parse("长".repeat(30), 64).unwrap_err().code, "too_long");
        assert_eq!(MessageBody::parse("a\0b".into(), 64).unwrap_err().code, "invalid_character");
        // Markup is kept verbatim: escaping is the renderer's job.
        let html = "<script>alert(1)</script>";
        assert_eq!(MessageBody::parse(html.into(), 64).unwrap().as_str(), html);
    }

    #[test]
    fn identifiers_and_names() {
        let cases: &[(&str, bool)] =
            &[("c-1", true), ("", false), ("has space", false), ("中文", false), (&"x".repeat(129), false), (&"x".repeat(128), true)];
        for (text, ok) in cases {
            assert_eq!(ClientMessageId::parse(text).is_ok(), *ok, "{text}");
        }
        assert!(Username::parse("agent1").is_ok());
        assert!(Username::parse("小周").is_ok());
        assert!(Username::parse("a").is_err());
        assert!(Username::parse("a b").is_err());
        assert!(Username::parse("<script>").is_err());
        assert!(NewPassword::parse("short").is_err());
        assert!(NewPassword::parse("long enough pass").is_ok());
        assert_eq!(format!("{:?}", NewPassword::parse("long enough pass").unwrap()), "NewPassword(***)");
        assert!(Name::parse("name", "  售后组 ").is_ok_and(|n| n.as_str() == "售后组"));
        assert!(Name::parse("name", "a\u{7}b").is_err());
    }

    #[test]
    fn labels_and_origins() {
        let labels = Labels::parse(&["物流".into(), " 物流 ".into(), "VIP".into()]).unwrap();
        assert_eq!(labels.as_slice(), ["物流", "VIP"]);
        assert!(Labels::parse(&vec!["x".to_string(); 21]).is_err());
        assert!(Labels::parse(&["".into()]).is_err());
        let origin = AllowedOrigin::parse("https://Shop.Example.com/").unwrap();
        assert!(origin.matches("https://shop.example.com"));
        assert!(!origin.matches("https://shop.example.com.evil.com"));
        assert!(!origin.matches("http://shop.example.com"));
        for bad in ["shop.example.com", "https://", "https://a/b", "javascript:alert(1)", "https://a b"] {
            assert!(AllowedOrigin::parse(bad).is_err(), "{bad}");
        }
    }
}
