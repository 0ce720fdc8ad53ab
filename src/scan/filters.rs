//! Filters every detector shares: templating syntax, masked values and obvious filler.
//!
//! They sit outside the detector files because they describe how people write *non*-secrets in any
//! format (a Jinja variable is never a credential), so repeating them in every regex would be noise.

/// Why a secret candidate looks like something other than a real secret, if it does.
pub fn looks_fake(secret: &[u8]) -> Option<&'static str> {
    if secret.len() < 6 {
        return Some("shorter than 6 bytes");
    }
    if is_variable_reference(secret) {
        return Some("a shell or template variable");
    }
    const TEMPLATE_MARKERS: [&[u8]; 4] = [b"${", b"{{", b"}}", b"{%"];
    if TEMPLATE_MARKERS
        .iter()
        .any(|marker| contains(secret, marker))
        || has_printf_placeholder(secret)
    {
        return Some("template syntax");
    }
    if secret.first() == Some(&b'<') && secret.last() == Some(&b'>') {
        return Some("an angle-bracket placeholder");
    }
    if mostly_runs(secret) {
        return Some("filler: runs of five or more identical characters");
    }
    if is_identifier(secret) {
        return Some("an identifier (it names a variable or setting, it is not a value)");
    }
    if contains(secret, b"***") {
        return Some("a masked value (***, as redaction and git filter-repo leave)");
    }
    None
}

/// `AWS_SECRET_ACCESS_KEY`, `aws_secret_access_key`, `AWSSecretKey`: letters joined by underscores,
/// or several capitalised words, and no digit. Such a value names a setting (botocore maps
/// `SECRET_KEY = 'AWS_SECRET_ACCESS_KEY'`); generated keys and typed passwords look different.
fn is_identifier(secret: &[u8]) -> bool {
    if !secret.iter().all(|b| b.is_ascii_alphabetic() || *b == b'_') {
        return false;
    }
    // One case throughout: a token such as `hf_JnYyCByeFwwaw...` joins a prefix to random
    // mixed-case letters with an underscore too.
    let one_case = secret.iter().all(|b| !b.is_ascii_lowercase())
        || secret.iter().all(|b| !b.is_ascii_uppercase());
    let snake = one_case
        && secret.contains(&b'_')
        && secret.first() != Some(&b'_')
        && secret.last() != Some(&b'_')
        && !secret.windows(2).any(|w| w == b"__");
    snake || is_camel_case(secret)
}

/// Two or more words, each a capital and at least two lowercase letters, optionally after an
/// acronym (`AWSSecretKey`, `SecretAccessKey`). Random mixed-case letters, a generated password
/// such as `RxlNtencYFJEeAgYzQJjOIfP`, nearly always have a capital with fewer than two lowercase
/// letters after it somewhere.
fn is_camel_case(secret: &[u8]) -> bool {
    let mut words = 0;
    let mut rest = secret;
    while !rest.is_empty() {
        let upper = rest.iter().take_while(|b| b.is_ascii_uppercase()).count();
        let lower = rest[upper..]
            .iter()
            .take_while(|b| b.is_ascii_lowercase())
            .count();
        let trailing_acronym = lower == 0 && upper == rest.len();
        if upper == 0 || (lower < 2 && !trailing_acronym) {
            return false;
        }
        words += 1;
        rest = &rest[upper + lower..];
    }
    words >= 2
}

/// `$NAME` or `$(command)`: a reference to a value, not the value. A Django key may start with `$`
/// too, but then symbols follow, so only a whole identifier or command substitution counts.
fn is_variable_reference(secret: &[u8]) -> bool {
    match secret {
        [b'$', b'(', .., b')'] => true,
        [b'$', first, rest @ ..] => {
            (first.is_ascii_alphabetic() || *first == b'_')
                && rest.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_')
        }
        _ => false,
    }
}

/// Python's `%(name)s` interpolation. Generated Django keys contain `%(` by chance, so only the
/// whole `%(identifier)` followed by a conversion letter counts.
fn has_printf_placeholder(secret: &[u8]) -> bool {
    let mut rest = secret;
    while let Some(at) = memchr::memmem::find(rest, b"%(") {
        let after = &rest[at + 2..];
        let name_len = after
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
            .count();
        if name_len > 0
            && after.get(name_len) == Some(&b')')
            && after
                .get(name_len + 1)
                .is_some_and(|b| b"sdirf".contains(b))
        {
            return true;
        }
        rest = after;
    }
    false
}

/// True when `placeholders` (already lowercase) has an entry contained in `secret`, ignoring ASCII case.
pub fn contains_placeholder(secret: &[u8], placeholders: &[String]) -> bool {
    if placeholders.is_empty() {
        return false;
    }
    let lower = secret.to_ascii_lowercase();
    placeholders.iter().any(|p| contains(&lower, p.as_bytes()))
}

/// Whether `haystack` contains `needle`.
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && memchr::memmem::find(haystack, needle).is_some()
}

/// Runs of five or more identical bytes mark filler (`xxxxx`, `00000`) in a short secret, or in
/// a long one when they cover a quarter of it. Long real secrets have them by structure: every
/// OpenSSH private key body starts with `AAAAA`, and Heroku's `HRKU-` tokens hold `_____`.
fn mostly_runs(secret: &[u8]) -> bool {
    let mut in_runs = 0usize;
    let mut i = 0;
    while i < secret.len() {
        let mut j = i + 1;
        while j < secret.len() && secret[j] == secret[i] {
            j += 1;
        }
        if j - i >= 5 && !secret[i].is_ascii_whitespace() {
            in_runs += j - i;
        }
        i = j;
    }
    in_runs > 0 && (secret.len() < 64 || in_runs * 4 >= secret.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_variables_are_fake() {
        for s in [
            "${DB_PASSWORD}",
            "{{ db_password }}",
            "%(password)s",
            "$PASSWORD_X",
            "<your-password>",
        ] {
            assert!(looks_fake(s.as_bytes()).is_some(), "{s}");
        }
    }

    #[test]
    fn masked_values_are_fake() {
        assert!(looks_fake(b"django-insecure-xxxxxxxxxxxx").is_some());
        assert!(looks_fake(b"**********").is_some());
        assert!(looks_fake(b"***REMOVED***").is_some());
    }

    #[test]
    fn django_keys_with_dollar_or_percent_paren_are_not_templates() {
        assert_eq!(looks_fake(b"$k9#2m%(x0z!p4r-w7t=s9x+u&q8v"), None);
        assert_eq!(looks_fake(b"a%(b1)#c$d(e)f"), None);
    }

    #[test]
    fn identifiers_are_not_values() {
        for s in [
            "AWS_SECRET_ACCESS_KEY",
            "aws_secret_access_key",
            "AWSSecretKey",
            "SecretAccessKey",
            "ApiKeyID",
        ] {
            assert!(looks_fake(s.as_bytes()).is_some(), "{s}");
        }
        // Not identifiers, so never dropped here; the first two are typed filler, which the
        // quality judgement lowers to LOW (see `quality`), and the rest stay as they are.
        for s in [
            "jlsfadjlasdjflajsdflasjdf",
            "someRandOmSecrEtKey23",
            "Hunter_2024!",
            "RxlNtencYFJEeAgYzQJjOIfP",
            "HdwkljHnAvygNkmfGESWFRVL",
            "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",
        ] {
            assert_eq!(looks_fake(s.as_bytes()), None, "{s}");
        }
    }

    #[test]
    fn long_keys_with_structural_runs_pass() {
        let openssh = format!(
            "AAAAB3NzaC1yc2EAAAADAQABAAABAQC{}",
            "q8Zr2Lm7Xv4Tn1Rb9Hc6Yd3Jf0Gs5Pa8Ue2Io7K".repeat(3)
        );
        assert_eq!(looks_fake(openssh.as_bytes()), None);
        assert!(looks_fake(
            b"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
        )
        .is_some());
    }

    #[test]
    fn random_keys_pass() {
        assert_eq!(looks_fake(b"q8#v2m!k0z(p4r-w7t=s9x+u"), None);
    }

    #[test]
    fn placeholders_match_case_insensitively() {
        let list = vec!["example".to_string()];
        assert!(contains_placeholder(b"AKIAIOSFODNN7EXAMPLE", &list));
        assert!(!contains_placeholder(b"AKIAQWERTYUIOPASDFGH", &list));
    }
}
