//! Live verification (opt-in): does a found credential still work?
//!
//! A secret that still works is an emergency; one that was rotated is history. Each distinct
//! credential is checked once per run (several findings can carry the same one), with bounded
//! concurrency and timeouts, through the SSRF guard, and nothing that holds a secret is logged.

pub mod aws;
pub mod databases;
pub mod guard;

use std::collections::HashMap;
use std::time::Duration;

use rayon::prelude::*;
use serde_json::Value;

use crate::detectors::DetectorSet;
use crate::model::{sha256_hex, Finding};
use crate::model::{Outcome, Status};
use databases::{Engine, Login};

/// How to verify.
#[derive(Debug, Clone)]
pub struct VerifyOptions {
    /// Contact loopback, private and link-local addresses (never the unspecified address).
    pub allow_private: bool,
    /// Connect and answer timeout per check.
    pub timeout: Duration,
    /// Checks running at once.
    pub concurrency: usize,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        VerifyOptions {
            allow_private: false,
            timeout: Duration::from_secs(5),
            concurrency: 8,
        }
    }
}

/// The check a finding gets.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Check {
    Aws {
        access_key_id: String,
        secret_access_key: String,
    },
    Database(Login),
    Settled(Status, String),
}

/// Verifies every finding in place.
pub fn verify_findings(findings: &mut [Finding], detectors: &DetectorSet, options: &VerifyOptions) {
    let checks: Vec<Check> = findings
        .iter()
        .map(|f| {
            plan(
                f,
                detectors
                    .get(&f.detector)
                    .map_or("none", |d| d.verify.as_str()),
            )
        })
        .collect();
    // One check per distinct credential, keyed by a hash so the map holds no secret in the clear.
    let mut unique: HashMap<String, Check> = HashMap::new();
    for check in &checks {
        unique.entry(key(check)).or_insert_with(|| check.clone());
    }
    let unique: Vec<(String, Check)> = unique.into_iter().collect();
    let run = || -> HashMap<String, Outcome> {
        unique
            .par_iter()
            .map(|(key, check)| (key.clone(), run_check(check, options)))
            .collect()
    };
    let outcomes = match rayon::ThreadPoolBuilder::new()
        .num_threads(options.concurrency.max(1))
        .build()
    {
        Ok(pool) => pool.install(run),
        Err(_) => run(),
    };
    for (finding, check) in findings.iter_mut().zip(&checks) {
        if let Some(outcome) = outcomes.get(&key(check)) {
            finding.verification = outcome.clone();
        }
    }
}

fn key(check: &Check) -> String {
    sha256_hex(format!("{check:?}").as_bytes())
}

fn run_check(check: &Check, options: &VerifyOptions) -> Outcome {
    match check {
        Check::Aws {
            access_key_id,
            secret_access_key,
        } => aws::verify(access_key_id, secret_access_key, None, options),
        Check::Database(login) => databases::verify(login, options),
        Check::Settled(status, detail) => Outcome::with(*status, detail.clone()),
    }
}

fn field<'f>(finding: &'f Finding, name: &str) -> Option<&'f str> {
    finding.fields.get(name).and_then(Value::as_str)
}

/// Decides how a finding is verified from its detector's `verify` kind and its fields.
fn plan(finding: &Finding, kind: &str) -> Check {
    let settled = |detail: &str| Check::Settled(Status::Unknown, detail.to_string());
    match kind {
        "aws-sts" => {
            let Some(id) = field(finding, "access_key_id") else {
                return settled("an access key id alone cannot be verified: its secret access key was not found next to it");
            };
            if id.starts_with("ASIA") {
                return settled("temporary (ASIA) credentials need their session token, which is not kept; they expire on their own, but check CloudTrail");
            }
            Check::Aws {
                access_key_id: id.to_string(),
                secret_access_key: finding.secret.clone(),
            }
        }
        "database" => {
            let engine_name = field(finding, "scheme").or_else(|| field(finding, "engine"));
            let Some(engine) = engine_name.and_then(Engine::from_name) else {
                return settled(&format!(
                    "no login check for {} yet",
                    engine_name.unwrap_or("this database")
                ));
            };
            let Some(host) = field(finding, "host").filter(|h| !h.is_empty()) else {
                return settled("the finding names no host to log in to");
            };
            let port = finding
                .fields
                .get("port")
                .and_then(Value::as_u64)
                .and_then(|p| u16::try_from(p).ok())
                .unwrap_or_else(|| engine.default_port());
            let user = field(finding, "username").unwrap_or(match engine {
                Engine::Redis => "default",
                _ => "",
            });
            if user.is_empty() {
                return settled("the finding names no user to log in as");
            }
            Check::Database(Login {
                engine,
                host: host.to_string(),
                port,
                user: user.to_string(),
                password: finding.secret.clone(),
                database: field(finding, "database").map(str::to_string),
            })
        }
        "django-secret-key" => {
            let insecure = finding.secret.starts_with("django-insecure-");
            settled(if insecure {
                "a Django SECRET_KEY signs data inside the application and no service can confirm it; its django-insecure- prefix marks a development key made by startproject, which must not serve production"
            } else {
                "a Django SECRET_KEY signs data inside the application and no service can confirm it; treat it as live wherever the application may use it"
            })
        }
        "none" => settled("no service can confirm this kind of secret"),
        other => settled(&format!("no live check for {other} yet")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Outcome as Verification;

    fn finding(detector: &str, secret: &str, fields: Value) -> Finding {
        Finding {
            detector: detector.into(),
            name: detector.into(),
            family: "x".into(),
            confidence: crate::model::Confidence::High,
            confidence_reason: None,
            secret: secret.into(),
            secret_sha256: None,
            fingerprint: String::new(),
            matched: String::new(),
            fields: serde_json::from_value(fields).unwrap(),
            entropy: 4.0,
            locations: Vec::new(),
            in_head: false,
            refs: Vec::new(),
            verification: Verification::not_checked(),
        }
    }

    #[test]
    fn urls_become_logins_with_default_ports() {
        let f = finding(
            "database-url",
            "pw123456",
            serde_json::json!({"scheme": "postgresql+psycopg2", "username": "app", "host": "db.example"}),
        );
        match plan(&f, "database") {
            Check::Database(login) => {
                assert_eq!(login.engine, Engine::Postgres);
                assert_eq!(login.port, 5432);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn unsupported_and_unverifiable_kinds_are_unknown_with_a_reason() {
        let mongo = finding(
            "database-url",
            "pw123456",
            serde_json::json!({"scheme": "mongodb+srv", "username": "a", "host": "h"}),
        );
        assert!(matches!(
            plan(&mongo, "database"),
            Check::Settled(Status::Unknown, _)
        ));
        let key = finding(
            "django-secret-key",
            "django-insecure-abc",
            serde_json::json!({}),
        );
        match plan(&key, "django-secret-key") {
            Check::Settled(Status::Unknown, why) => assert!(why.contains("development key")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_guard_refuses_private_hosts_without_the_flag() {
        let options = VerifyOptions::default();
        let f = finding(
            "database-url",
            "pw123456",
            serde_json::json!({"scheme": "postgres", "username": "a", "host": "127.0.0.1", "port": 5432}),
        );
        let check = plan(&f, "database");
        let outcome = run_check(&check, &options);
        assert_eq!(outcome.status, Status::Unknown);
        assert!(outcome.detail.unwrap().contains("--verify-private"));
    }
}
