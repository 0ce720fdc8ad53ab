//! JSON Web Tokens: what a token says about itself, read without its key.
//!
//! A JWT carries its own expiry. An expired token no longer authenticates anyone, so the shared
//! quality judgement lowers it, whichever detector found it (a JWT assigned to `API_KEY` is
//! found by key-assignment); the `jwt` detector's check uses the same reading to tell a token
//! from text that only starts like one.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{Map, Value};

/// The claims of a token that say what it is and how long it lasts.
#[derive(Debug, Clone, PartialEq)]
pub struct Claims {
    /// The signing algorithm from the header (`HS256`, `RS256` ...).
    pub alg: String,
    /// Who issued it, when the token says.
    pub iss: Option<String>,
    /// When it expires, in seconds since the Unix epoch, when the token says.
    pub exp: Option<i64>,
}

impl Claims {
    /// Whether the token had expired by `now` (seconds since the Unix epoch).
    pub fn expired_at(&self, now: i64) -> bool {
        self.exp.is_some_and(|exp| exp < now)
    }
}

/// The claims of `token` (`header.payload.signature`, base64url without padding), if its header
/// and payload are JSON objects and the header names an algorithm.
pub fn parse(token: &[u8]) -> Option<Claims> {
    let mut parts = token.split(|&b| b == b'.');
    let (header, payload, signature) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || signature.is_empty() {
        return None;
    }
    let header = object(header)?;
    let payload = object(payload)?;
    let alg = header.get("alg")?.as_str()?.to_string();
    Some(Claims {
        alg,
        iss: payload
            .get("iss")
            .and_then(Value::as_str)
            .map(str::to_string),
        exp: payload
            .get("exp")
            .and_then(|v| v.as_i64().or_else(|| v.as_f64().map(|f| f as i64))),
    })
}

/// Seconds since the Unix epoch now (0 if the clock is before it).
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

fn object(part: &[u8]) -> Option<Map<String, Value>> {
    let bytes = URL_SAFE_NO_PAD.decode(part).ok()?;
    match serde_json::from_slice(&bytes).ok()? {
        Value::Object(map) => Some(map),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(header: &str, payload: &str) -> String {
        format!(
            "{}.{}.c2lnbmF0dXJlLWJ5dGVz",
            URL_SAFE_NO_PAD.encode(header),
            URL_SAFE_NO_PAD.encode(payload)
        )
    }

    #[test]
    fn claims_are_read_from_header_and_payload() {
        let t = token(
            r#"{"alg":"HS256","typ":"JWT"}"#,
            r#"{"iss":"https://id.example.test","exp":946684800}"#,
        );
        let claims = parse(t.as_bytes()).unwrap();
        assert_eq!(claims.alg, "HS256");
        assert_eq!(claims.iss.as_deref(), Some("https://id.example.test"));
        assert!(claims.expired_at(now()));
        let lasting = token(r#"{"alg":"RS256"}"#, r#"{"exp":4102444800}"#);
        assert!(!parse(lasting.as_bytes()).unwrap().expired_at(now()));
        let forever = token(r#"{"alg":"RS256"}"#, r#"{"sub":"svc"}"#);
        assert!(!parse(forever.as_bytes()).unwrap().expired_at(now()));
    }

    #[test]
    fn text_that_only_looks_like_a_token_is_none() {
        assert_eq!(parse(b"eyJhbGciOiJIUzI1NiJ9"), None);
        assert_eq!(parse(b"eyJub3QganNvbg.eyJ4IjoxfQ.sig"), None);
        let no_alg = token(r#"{"typ":"JWT"}"#, r#"{"exp":1}"#);
        assert_eq!(parse(no_alg.as_bytes()), None);
        let unsigned = format!(
            "{}.",
            token(r#"{"alg":"none"}"#, "{}").rsplit_once('.').unwrap().0
        );
        assert_eq!(parse(unsigned.as_bytes()), None);
    }
}
