//! A secret access key with its key id nearby is already reported, paired, by the key id detector;
//! reporting it twice would make one leak look like two.

use std::sync::OnceLock;

use regex::bytes::Regex;

use super::{neighbourhood, Candidate};

fn key_id() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}").expect("static regex")
    })
}

pub(super) fn apply(data: &[u8], candidate: &mut Candidate) -> bool {
    let around = neighbourhood(data, &candidate.secret, 5, 1024);
    !key_id().is_match(&data[around])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Confidence, Fields};

    fn keep(text: &[u8]) -> bool {
        let at = memchr::memmem::find(text, b"hT9r").unwrap();
        let mut candidate = Candidate {
            secret: at..at + 40,
            matched: at..at + 40,
            fields: Fields::new(),
            confidence: Confidence::Medium,
            entropy_skip: 0,
        };
        apply(text, &mut candidate)
    }

    #[test]
    fn lone_secret_key_is_kept() {
        assert!(keep(
            b"aws_secret_access_key = hT9r2Lq8ZpX0vBn4Mw6Yc1Ks3Df5Gj7Ua9Ie2Ro4\n"
        ));
    }

    #[test]
    fn secret_key_next_to_its_id_is_left_to_the_pair() {
        assert!(!keep(b"aws_access_key_id = AKIAQ3EGRT7LWNP2K5XZ\naws_secret_access_key = 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\n"));
    }
}
