//! The report's JSON Schema (`schema/report.schema.json`) holds for what each format writes:
//! `--format json` as a whole, `--format jsonl` line by line, redacted or not, on a fixture that
//! fills every optional field (archive members, decodings, database cells, skipped objects,
//! hidden findings). SARIF has its own schema (see `gate`).

use std::path::Path;

use serde_json::Value;

use crate::fixtures::{blobhound, packed};

fn validator() -> jsonschema::Validator {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/report.schema.json");
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    jsonschema::validator_for(&schema).expect("the schema compiles")
}

fn finding_validator() -> jsonschema::Validator {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/report.schema.json");
    let mut schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let defs = schema["$defs"].clone();
    schema = serde_json::json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$ref": "#/$defs/finding",
        "$defs": defs,
    });
    jsonschema::validator_for(&schema).expect("the finding schema compiles")
}

fn errors(validator: &jsonschema::Validator, value: &Value) -> Vec<String> {
    validator
        .iter_errors(value)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect()
}

fn scan(format: &str, extra: &[&str]) -> Vec<u8> {
    let repo = packed().dir.join("repo");
    let mut args = vec![
        "scan",
        repo.to_str().unwrap(),
        "--no-progress",
        "--format",
        format,
    ];
    args.extend_from_slice(extra);
    let output = blobhound(&args);
    assert!(
        matches!(output.status.code(), Some(1 | 3)),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

#[test]
fn each_json_format_validates_against_the_report_schema() {
    let validator = validator();
    for extra in [&[][..], &["--redact"][..], &["--exclude", "*.zip"][..]] {
        let report: Value = serde_json::from_slice(&scan("json", extra)).unwrap();
        assert!(!report["findings"].as_array().unwrap().is_empty());
        let found = errors(&validator, &report);
        assert!(found.is_empty(), "{extra:?}: {found:#?}");
    }
    let report: Value = serde_json::from_slice(&scan("json", &["--exclude", "*.zip"])).unwrap();
    assert!(
        report["hidden"].as_array().is_some(),
        "the fixture fills `hidden`"
    );
    assert!(
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|f| f["locations"].as_array().unwrap())
            .any(|l| l.get("cell").is_some()),
        "the fixture fills `cell`"
    );
    let finding = finding_validator();
    let lines = scan("jsonl", &[]);
    let mut count = 0;
    for line in String::from_utf8(lines).unwrap().lines() {
        let value: Value = serde_json::from_str(line).unwrap();
        let found = errors(&finding, &value);
        assert!(found.is_empty(), "{found:#?}");
        count += 1;
    }
    assert!(count > 5);
}

#[test]
fn the_report_schema_check_can_fail() {
    let validator = validator();
    let report: Value = serde_json::from_slice(&scan("json", &[])).unwrap();
    let mut renamed = report.clone();
    renamed["findings"][0]["locations"][0]["lines"] = Value::from(3);
    assert!(!validator.is_valid(&renamed), "an unknown field is caught");
    let mut wrong = report;
    wrong["findings"][0]["confidence"] = Value::from("very high");
    assert!(!validator.is_valid(&wrong));
}
