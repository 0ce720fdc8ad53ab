//! Django `SECRET_KEY`: keys made by `startproject` carry a fixed `django-insecure-` prefix that
//! says nothing about randomness, so the entropy floor looks only at what follows it, and the
//! finding notes the prefix (a development key that reached a repository).

use serde_json::Value;

use super::Candidate;

const INSECURE_PREFIX: &[u8] = b"django-insecure-";

pub(super) fn apply(data: &[u8], candidate: &mut Candidate) -> bool {
    if data[candidate.secret.clone()].starts_with(INSECURE_PREFIX) {
        candidate.entropy_skip = INSECURE_PREFIX.len();
        candidate
            .fields
            .insert("insecure_prefix".into(), Value::Bool(true));
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Confidence, Fields};

    #[test]
    fn insecure_prefix_is_skipped_for_entropy() {
        let text = b"django-insecure-abc";
        let mut candidate = Candidate {
            secret: 0..text.len(),
            matched: 0..text.len(),
            fields: Fields::new(),
            confidence: Confidence::High,
            entropy_skip: 0,
        };
        assert!(apply(text, &mut candidate));
        assert_eq!(candidate.entropy_skip, 16);
        assert_eq!(candidate.fields["insecure_prefix"], Value::Bool(true));
    }
}
