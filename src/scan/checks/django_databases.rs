//! Django `DATABASES` entries: the password alone is useless to the owner without knowing which
//! database it opens, so the surrounding dict's USER, HOST, PORT, NAME and ENGINE become fields.

use std::sync::OnceLock;

use regex::bytes::Regex;
use serde_json::Value;

use super::{neighbourhood, Candidate};

fn sibling_key() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            r#"['"](?P<key>USER|HOST|PORT|NAME|ENGINE)['"]\s*:\s*['"]?(?P<value>[^'",\s}]+)"#,
        )
        .expect("static regex")
    })
}

pub(super) fn apply(data: &[u8], candidate: &mut Candidate) -> bool {
    let around = neighbourhood(data, &candidate.secret, 15, 4096);
    let mut nearest: [Option<(usize, String)>; 5] = Default::default();
    for caps in sibling_key().captures_iter(&data[around.clone()]) {
        let (Some(key), Some(value)) = (caps.name("key"), caps.name("value")) else {
            continue;
        };
        let slot = match key.as_bytes() {
            b"USER" => 0,
            b"HOST" => 1,
            b"PORT" => 2,
            b"NAME" => 3,
            _ => 4,
        };
        let at = around.start + key.start();
        let distance = at.abs_diff(candidate.secret.start);
        if nearest[slot].as_ref().is_none_or(|(d, _)| distance < *d) {
            nearest[slot] = Some((distance, String::from_utf8_lossy(value.as_bytes()).into()));
        }
    }
    let names = ["username", "host", "port", "database", "engine"];
    for (name, found) in names.iter().zip(nearest) {
        let Some((_, value)) = found else { continue };
        let value = if *name == "port" {
            match value.parse::<u16>() {
                Ok(port) => Value::from(port),
                Err(_) => continue,
            }
        } else {
            Value::String(value)
        };
        candidate.fields.insert((*name).to_string(), value);
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Confidence, Fields};

    #[test]
    fn fields_come_from_the_same_dict() {
        let text = b"DATABASES = {\n  'default': {\n    'ENGINE': 'django.db.backends.postgresql',\n    'NAME': 'shop',\n    'USER': 'shop_app',\n    'PASSWORD': 'Vt8rQ2mZx91L',\n    'HOST': 'pg.internal.test',\n    'PORT': '5432',\n  }\n}\n";
        let at = memchr::memmem::find(text, b"Vt8r").unwrap();
        let mut candidate = Candidate {
            secret: at..at + 12,
            matched: at..at + 12,
            fields: Fields::new(),
            confidence: Confidence::Medium,
            entropy_skip: 0,
        };
        assert!(apply(text, &mut candidate));
        assert_eq!(candidate.fields["username"], Value::from("shop_app"));
        assert_eq!(candidate.fields["host"], Value::from("pg.internal.test"));
        assert_eq!(candidate.fields["port"], Value::from(5432));
        assert_eq!(candidate.fields["database"], Value::from("shop"));
        assert_eq!(
            candidate.fields["engine"],
            Value::from("django.db.backends.postgresql")
        );
    }
}
