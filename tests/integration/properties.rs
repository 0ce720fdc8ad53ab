//! Property tests: what reads untrusted input (blob bytes, detector files, reports, URLs) never
//! panics, and what it returns stays within its input. Case counts are bounded so that CI time
//! stays fixed; `PROPTEST_CASES` raises them for a longer run by hand.

use std::sync::OnceLock;

use blobhound::detectors::{compile, DetectorSet};
use blobhound::report::advice::{plan, write_html, write_markdown};
use blobhound::report::Report;
use blobhound::scan::Engine;
use proptest::prelude::*;
use serde_json::Value;

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| Engine::new(DetectorSet::builtin().unwrap()).unwrap())
}

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(256);
    ProptestConfig {
        cases,
        // Failures are reported with their minimal case; nothing is written to the tree.
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Pieces that wake detectors, so that random input reaches their regexes and checks.
const NEAR_MISSES: &[&str] = &[
    "SECRET_KEY = '",
    "postgres://",
    "mysql://u:",
    "redis://:",
    "@db.example.com:5432/app",
    "AKIA",
    "aws_secret_access_key = ",
    "-----BEGIN RSA PRIVATE KEY-----\n",
    "'PASSWORD': '",
    "DATABASES = {",
    "EMAIL_HOST_PASSWORD=",
    "ghp_",
    "xoxb-",
    "sk_live_",
    "\n",
    "'",
    "\"",
    "\u{0}",
    "\u{ff}\u{fe}",
];

fn text_with_keywords() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(
        prop_oneof![
            prop::sample::select(NEAR_MISSES).prop_map(|s| s.as_bytes().to_vec()),
            prop::collection::vec(any::<u8>(), 0..40),
            "[A-Za-z0-9+/=_.@:-]{0,60}".prop_map(String::into_bytes),
        ],
        0..30,
    )
    .prop_map(|parts| parts.concat())
}

fn lines_in(data: &[u8]) -> u32 {
    data.iter().filter(|&&b| b == b'\n').count() as u32 + 1
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn the_engine_never_panics_and_every_match_lies_within_its_input(
        data in prop_oneof![prop::collection::vec(any::<u8>(), 0..2048), text_with_keywords()]
    ) {
        for m in engine().scan(&data) {
            prop_assert!(m.detector < engine().detectors().len());
            prop_assert!(m.offset <= data.len(), "offset {} of {}", m.offset, data.len());
            prop_assert!(m.line >= 1 && m.line <= lines_in(&data));
            prop_assert!(m.column >= 1);
            prop_assert!(!m.secret.is_empty());
            prop_assert!(m.entropy.is_finite());
        }
    }

    #[test]
    fn the_detector_loader_never_panics_on_arbitrary_toml(text in ".{0,400}") {
        let _ = compile("property", &text);
    }

    #[test]
    fn the_detector_loader_accepts_only_sound_detectors(
        id in "[a-z-]{0,12}",
        regex in prop_oneof![
            Just(r"t=(?P<secret>\w+)".to_string()),
            Just(r"t=(?P<secret>\w*)".to_string()),
            Just(r"t=(\w+)".to_string()),
            Just(r"t=(?P<secret>".to_string()),
            "[a-z()?<>P*+\\\\w]{0,20}",
        ],
        entropy in prop_oneof![any::<f64>(), Just(f64::NAN), Just(f64::INFINITY), 0.0..8.0f64],
        window in (0usize..80, 0usize..80),
    ) {
        let entropy_toml = if entropy.is_nan() {
            "nan".to_string()
        } else if entropy.is_infinite() {
            if entropy > 0.0 { "inf".into() } else { "-inf".into() }
        } else {
            format!("{entropy:?}")
        };
        let text = format!(
            "id = {id:?}\nname = \"n\"\nfamily = \"f\"\nconfidence = \"high\"\n\
             keywords = [\"t=\"]\nregex = '''{regex}'''\nmin_entropy = {entropy_toml}\n\
             window_lines = [{}, {}]\n",
            window.0, window.1
        );
        if let Ok(detector) = compile("property", &text) {
            prop_assert!(!detector.id.is_empty());
            prop_assert!((0.0..=8.0).contains(&detector.min_entropy));
            prop_assert!(detector.window_lines.0 <= 50 && detector.window_lines.1 <= 50);
            let found = detector
                .pattern
                .regex()
                .expect("a loaded pattern compiles")
                .captures(b"t=abc");
            if let Some(caps) = found {
                prop_assert!(caps.name("secret").is_none_or(|s| !s.as_bytes().is_empty()));
            }
        }
    }

    #[test]
    fn the_report_reader_never_panics_on_arbitrary_json(value in json(3)) {
        if let Ok(report) = serde_json::from_value::<Report>(value) {
            render_plans(&report)?;
        }
    }

    #[test]
    fn a_report_with_arbitrary_strings_makes_a_plan_without_panicking(
        strings in prop::collection::vec(".{0,40}", 12),
        port in any::<i64>(),
    ) {
        let s = |i: usize| Value::from(strings[i].clone());
        let report = serde_json::json!({
            "version": 2,
            "tool": {"name": "blobhound", "version": "0"},
            "target": s(0),
            "complete": true,
            "stats": {"blobs_scanned": 0, "bytes_scanned": 0, "blobs_skipped": 0, "commits": 0, "duration_ms": 0},
            "skipped": [],
            "findings": [{
                "detector": s(1), "name": s(2), "family": "database", "confidence": "high",
                "secret": s(3), "fingerprint": s(4), "match": s(5),
                "fields": {"scheme": s(6), "username": s(7), "host": s(8), "port": port},
                "entropy": 1.0,
                "locations": [{"blob": "0000000000000000000000000000000000000000", "path": s(9),
                               "line": 1, "column": 1,
                               "commit": {"id": "1111111111111111111111111111111111111111",
                                          "author": s(10), "email": s(11), "date": s(0), "summary": s(1)}}],
                "in_head": false,
                "verification": {"status": "not-checked"}
            }]
        });
        let report: Report = serde_json::from_value(report).expect("the shape is a report");
        render_plans(&report)?;
        let redacted = serde_json::to_string(&report.redacted()).unwrap();
        prop_assert!(!redacted.contains("secret_sha256"));
    }

    #[test]
    fn url_credentials_are_parsed_within_the_url(
        scheme in prop::sample::select(&["postgres", "mysql", "redis", "amqp", "mongodb", "postgresql+psycopg2"][..]),
        user in "[^\\s'\"`]{0,12}",
        password in "[^\\s'\"`]{0,24}",
        host in "[A-Za-z0-9._%-]{0,20}",
        port in prop::option::of(0u32..200_000),
        database in prop::option::of("[\\w.%-]{0,10}"),
    ) {
        let mut url = format!("{scheme}://{user}:{password}@{host}");
        if let Some(port) = port {
            url.push_str(&format!(":{port}"));
        }
        if let Some(database) = &database {
            url.push_str(&format!("/{database}"));
        }
        let line = format!("DATABASE_URL={url}\n");
        for m in engine().scan(line.as_bytes()) {
            prop_assert!(line.contains(&m.secret), "{} not in {line:?}", m.secret);
            for (name, value) in &m.fields {
                match value {
                    Value::String(text) => prop_assert!(
                        line.contains(text.as_str()) || name == "engine" || name == "scheme",
                        "{name}={text:?} not in {line:?}"
                    ),
                    Value::Number(n) => prop_assert!(
                        n.as_u64().is_some_and(|p| p <= 65_535),
                        "{name}={n} is not a port"
                    ),
                    _ => {}
                }
            }
        }
    }
}

/// Every plan format for `report`, masked and shown.
fn render_plans(report: &Report) -> Result<(), TestCaseError> {
    let detectors = DetectorSet::builtin().unwrap();
    for show in [false, true] {
        let plan = plan(report, &detectors, show);
        let mut out = Vec::new();
        write_markdown(&plan, &mut out).map_err(|e| TestCaseError::fail(e.to_string()))?;
        write_html(&plan, &mut out).map_err(|e| TestCaseError::fail(e.to_string()))?;
        serde_json::to_writer(&mut out, &plan).map_err(|e| TestCaseError::fail(e.to_string()))?;
    }
    Ok(())
}

/// Arbitrary JSON, nested `depth` levels, with the keys a report has so that some parse.
fn json(depth: u32) -> impl Strategy<Value = Value> {
    let keys = prop::sample::select(
        &[
            "version",
            "tool",
            "target",
            "complete",
            "stats",
            "skipped",
            "findings",
            "detector",
            "secret",
            "fields",
            "locations",
            "commit",
            "path",
            "x",
        ][..],
    );
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        ".{0,20}".prop_map(Value::from),
    ];
    leaf.prop_recursive(depth, 64, 8, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
            prop::collection::btree_map(keys.clone().prop_map(String::from), inner, 0..8)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}
