//! Database URLs: `scheme://user:password@host:port/database`.
//!
//! The regex finds the URL; this check knows which passwords are documentation filler
//! (`user:password@localhost`) and turns the port into a number so verification can use it.

use regex::bytes::Captures;
use serde_json::Value;

use super::{group_text, Candidate};

/// Passwords that appear in tutorials, READMEs and templates rather than in real deployments.
const PLACEHOLDER_PASSWORDS: &[&str] = &[
    "password",
    "passw0rd",
    "pass",
    "passwd",
    "pwd",
    "secret",
    "changeme",
    "change_me",
    "change-me",
    "test",
    "example",
    "mypassword",
    "my_password",
    "yourpassword",
    "your_password",
    "your-password",
    "dbpassword",
    "db_password",
    "db-password",
    "xxx",
    "***",
    "...",
    "redacted",
    "pa$$word",
    "masterkey", // a product default (Firebird) that documentation copies around
];

pub(super) fn apply(_data: &[u8], caps: &Captures<'_>, candidate: &mut Candidate) -> bool {
    let Some(password) = group_text(caps, "secret") else {
        return false;
    };
    // Documentation writes optional parts in brackets: `redis://[:password]@host`. URLs carry
    // reserved characters percent-encoded (`p%40ss` is `p@ss`), so both forms are compared.
    let decoded = crate::model::percent::decoded(&password);
    let lowered = decoded
        .trim_matches(|c| matches!(c, '[' | ']' | '(' | ')' | '<' | '>'))
        .to_ascii_lowercase();
    if PLACEHOLDER_PASSWORDS.contains(&lowered.as_str()) {
        return false;
    }
    if let Some(Value::String(user)) = candidate.fields.get("username") {
        if user.eq_ignore_ascii_case(&password)
            || crate::model::percent::decoded(user).eq_ignore_ascii_case(&decoded)
        {
            return false;
        }
        if user.is_empty() {
            candidate.fields.remove("username");
        }
    }
    if let Some(Value::String(port)) = candidate.fields.get("port") {
        match port.parse::<u16>() {
            Ok(number) => {
                candidate.fields.insert("port".into(), Value::from(number));
            }
            Err(_) => {
                candidate.fields.remove("port");
            }
        }
    }
    if let Some(Value::String(database)) = candidate.fields.get("database") {
        if database.is_empty() {
            candidate.fields.remove("database");
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use regex::bytes::Regex;

    use super::*;
    use crate::model::{Confidence, Fields};

    fn run(text: &str) -> Option<Candidate> {
        let re = Regex::new(
            r"(?P<scheme>postgres)://(?P<username>[^:@/]*):(?P<secret>[^@]+)@(?P<host>[^:/]+)(?::(?P<port>\d+))?(?:/(?P<database>\w*))?",
        )
        .unwrap();
        let caps = re.captures(text.as_bytes())?;
        let mut fields = Fields::new();
        for name in ["username", "host", "port", "database"] {
            if let Some(v) = group_text(&caps, name) {
                fields.insert(name.into(), Value::String(v));
            }
        }
        let secret = caps.name("secret").unwrap().range();
        let mut candidate = Candidate {
            secret: secret.clone(),
            matched: secret,
            fields,
            confidence: Confidence::High,
            entropy_skip: 0,
        };
        apply(text.as_bytes(), &caps, &mut candidate).then_some(candidate)
    }

    #[test]
    fn real_password_keeps_port_as_number() {
        let c = run("postgres://shop:Zq81mVx0pLr@db.test:5432/shop").unwrap();
        assert_eq!(c.fields["port"], Value::from(5432));
        assert_eq!(c.fields["database"], Value::from("shop"));
    }

    #[test]
    fn percent_encoded_placeholders_are_placeholders_too() {
        assert_eq!(crate::model::percent::decoded("p%40ss%2Fw0rd"), "p@ss/w0rd");
        assert_eq!(crate::model::percent::decoded("100%"), "100%");
        assert!(run("postgres://user:pass%77ord@localhost/db").is_none());
    }

    #[test]
    fn documentation_passwords_are_dropped() {
        assert!(run("postgres://user:password@localhost/db").is_none());
        assert!(run("postgres://user:pass@localhost:5432/db").is_none());
    }

    #[test]
    fn bracketed_documentation_syntax_is_a_placeholder() {
        assert!(run("postgres://[user]:[password]@localhost/db").is_none());
    }

    #[test]
    fn password_equal_to_user_is_dropped() {
        assert!(run("postgres://postgres:postgres@localhost/db").is_none());
    }

    #[test]
    fn empty_user_is_not_a_field() {
        let c = run("postgres://:Zq81mVx0pLr@cache:6379/0").unwrap();
        assert!(!c.fields.contains_key("username"));
    }
}
