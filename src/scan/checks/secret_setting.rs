//! A `*_KEY` setting: the name is what says whether its value is a secret. A regex cannot leave
//! out `RECAPTCHA_PUBLIC_KEY` or `CACHE_KEY` without look-around, so this check reads the
//! setting's name and drops those whose words say the value is public or is itself a name (a
//! cache key, a sort key, a storage path). What is left must look generated: letters and digits
//! both, as keys are and identifiers written by hand rarely are.

use serde_json::Value;

use super::Candidate;

/// Words in a setting's name that make its `KEY` public, or a name rather than a credential.
const NOT_SECRET_WORDS: &[&str] = &[
    // published by design: browser and mobile keys, public halves of key pairs
    "public",
    "publishable",
    "pub",
    "site",
    "recaptcha",
    "vapid",
    "pk",
    "client-side",
    // python-social-auth's SOCIAL_AUTH_<BACKEND>_KEY is the OAuth client id; its secret is
    // SOCIAL_AUTH_<BACKEND>_SECRET, which generic-secret and the provider detectors read
    "social",
    // a key into a map, a cache or a store, not a credential
    "cache",
    "lookup",
    "sort",
    "primary",
    "foreign",
    "partition",
    "idempotency",
    "object",
    "file",
    "bucket",
    "s3",
    "path",
    "prefix",
    "translation",
    "i18n",
    "field",
    "session",
    "cookie",
    "header",
    "query",
    "param",
    "event",
    "metric",
    "id",
    "unique",
    "name",
];

/// Named groups that hold the setting's name: quoted assignments and `.env` lines.
const NAME_GROUPS: [&str; 2] = ["setting", "env_setting"];

pub(super) fn apply(data: &[u8], candidate: &mut Candidate) -> bool {
    let Some(name) = NAME_GROUPS
        .iter()
        .find_map(|group| candidate.fields.remove(*group))
    else {
        return false;
    };
    let Value::String(name) = name else {
        return false;
    };
    if !secret_name(&name) {
        return false;
    }
    let secret = &data[candidate.secret.clone()];
    if !(secret.iter().any(u8::is_ascii_digit) && secret.iter().any(u8::is_ascii_alphabetic)) {
        return false;
    }
    candidate
        .fields
        .insert("setting".into(), Value::String(name));
    true
}

/// Whether a `*_KEY` setting's name leaves its value secret.
fn secret_name(name: &str) -> bool {
    let lowered = name.to_ascii_lowercase();
    !lowered
        .split(['_', '-', '.'])
        .any(|word| NOT_SECRET_WORDS.contains(&word))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Confidence, Fields};

    fn candidate(name: &str, secret: &str) -> (Vec<u8>, Candidate) {
        let mut fields = Fields::new();
        fields.insert("setting".into(), Value::String(name.into()));
        let data = secret.as_bytes().to_vec();
        let candidate = Candidate {
            secret: 0..data.len(),
            matched: 0..data.len(),
            fields,
            confidence: Confidence::Medium,
            entropy_skip: 0,
        };
        (data, candidate)
    }

    #[test]
    fn credential_names_are_kept_with_the_setting_as_a_field() {
        for name in [
            "GOOGLE_CHECKOUT_MERCHANT_KEY",
            "RUDDER_WRITE_KEY",
            "algolia-admin-key",
        ] {
            let (data, mut c) = candidate(name, "Qm3kT9zLx2Wv8Rp4");
            assert!(apply(&data, &mut c), "{name}");
            assert_eq!(c.fields["setting"], Value::String(name.into()));
        }
    }

    #[test]
    fn public_and_lookup_names_are_dropped() {
        for name in [
            "RECAPTCHA_PUBLIC_KEY",
            "STRIPE_PUBLISHABLE_KEY",
            "HCAPTCHA_SITE_KEY",
            "USER_CACHE_KEY",
            "AWS_S3_OBJECT_KEY",
            "SESSION_KEY",
        ] {
            let (data, mut c) = candidate(name, "Qm3kT9zLx2Wv8Rp4");
            assert!(!apply(&data, &mut c), "{name}");
        }
    }

    #[test]
    fn values_without_both_letters_and_digits_are_dropped() {
        for value in ["abcdefghijklmnopq", "1234567890123456"] {
            let (data, mut c) = candidate("MERCHANT_KEY", value);
            assert!(!apply(&data, &mut c), "{value}");
        }
    }
}
