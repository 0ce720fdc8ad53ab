//! AWS access key ids are not secrets on their own; the secret access key next to them is. This
//! check looks around an id for its 40-character partner and, when it finds one, makes the pair a
//! single finding whose secret is the secret key and whose `access_key_id` field says which key it is.

use std::sync::OnceLock;

use regex::bytes::Regex;
use serde_json::Value;

use super::{neighbourhood, Candidate};
use crate::model::Confidence;
use crate::scan::entropy::shannon;

/// Lines either side of the key id searched for its partner.
const PAIR_LINES: usize = 5;
/// Bytes either side of the key id searched at most (minified files are one long line).
const PAIR_BYTES: usize = 1024;

fn secret_key_shape() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"(?:^|[^A-Za-z0-9/+])(?P<key>[A-Za-z0-9/+]{40})(?:[^A-Za-z0-9/+=]|$)")
            .expect("static regex")
    })
}

fn session_token_line() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"(?i)session_?token[^\n]{0,40}?[A-Za-z0-9/+=]{100,}").expect("static regex")
    })
}

/// Whether 40 characters look like a secret access key rather than a hash or an identifier.
fn plausible_secret_key(key: &[u8]) -> bool {
    let upper = key.iter().any(u8::is_ascii_uppercase);
    let lower = key.iter().any(u8::is_ascii_lowercase);
    let digit = key.iter().any(u8::is_ascii_digit);
    upper && lower && digit && shannon(key) >= 4.0
}

pub(super) fn apply(data: &[u8], candidate: &mut Candidate) -> bool {
    let id = candidate.secret.clone();
    let around = neighbourhood(data, &id, PAIR_LINES, PAIR_BYTES);
    let mut best: Option<std::ops::Range<usize>> = None;
    for caps in secret_key_shape().captures_iter(&data[around.clone()]) {
        let Some(key) = caps.name("key") else {
            continue;
        };
        let range = around.start + key.start()..around.start + key.end();
        if !plausible_secret_key(key.as_bytes()) || range.start < id.end && id.start < range.end {
            continue;
        }
        let distance = range.start.abs_diff(id.start);
        if best
            .as_ref()
            .is_none_or(|b| distance < b.start.abs_diff(id.start))
        {
            best = Some(range);
        }
    }
    let id_text = String::from_utf8_lossy(&data[id.clone()]).into_owned();
    match best {
        Some(key) => {
            candidate
                .fields
                .insert("access_key_id".into(), Value::String(id_text));
            candidate.secret = key;
            if session_token_line().is_match(&data[around]) {
                candidate
                    .fields
                    .insert("session_token".into(), Value::from("present"));
            }
        }
        None => {
            candidate.confidence = candidate.confidence.min(Confidence::Medium);
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Fields;

    fn run(text: &[u8]) -> Candidate {
        let at = memchr::memmem::find(text, b"AKIA").unwrap();
        let mut candidate = Candidate {
            secret: at..at + 20,
            matched: at..at + 20,
            fields: Fields::new(),
            confidence: Confidence::High,
            entropy_skip: 0,
        };
        assert!(apply(text, &mut candidate));
        candidate
    }

    #[test]
    fn credentials_file_pairs_id_and_secret() {
        let text = b"[default]\naws_access_key_id = AKIAQ3EGRT7LWNP2K5XZ\naws_secret_access_key = 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\n";
        let c = run(text);
        assert_eq!(
            &text[c.secret.clone()],
            b"hT9r2Lq8ZpX0vBn4Mw6Yc1Ks3Df5Gj7Ua9Ie2Ro4"
        );
        assert_eq!(
            c.fields["access_key_id"],
            Value::from("AKIAQ3EGRT7LWNP2K5XZ")
        );
        assert_eq!(c.confidence, Confidence::High);
    }

    #[test]
    fn a_commit_hash_is_not_a_secret_key() {
        let text = b"AKIAQ3EGRT7LWNP2K5XZ\nfixed in 3f7a2b9c1d4e5f60718293a4b5c6d7e8f9012345\n";
        let c = run(text);
        assert!(!c.fields.contains_key("access_key_id"));
        assert_eq!(c.confidence, Confidence::Medium);
    }
}
