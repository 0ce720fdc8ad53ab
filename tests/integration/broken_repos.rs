//! Damaged, partial, shallow, bare and plain targets from `testrepos/broken.py`: the scan carries
//! on, says what it could not read, and never passes off an incomplete scan as clean.

use serde_json::Value;

use crate::fixtures::{assert_expected_findings, assert_no_decoys, broken, scan_json};

fn section(name: &str) -> (&'static Value, std::path::PathBuf) {
    let fixture = broken();
    (&fixture.answers[name], fixture.dir.join(name))
}

fn skipped_ids(report: &Value, reason: &str) -> Vec<String> {
    report["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["reason"] == reason)
        .map(|s| s["blob"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn missing_blob_is_listed_and_the_rest_is_still_scanned() {
    let (answers, dir) = section("missing");
    let (code, report) = scan_json(&dir, &[]);
    assert_eq!(code, 1, "findings outrank incompleteness");
    assert_eq!(report["complete"], false);
    let missing = skipped_ids(&report, "missing");
    for id in answers["missing"].as_array().unwrap() {
        assert!(missing.contains(&id.as_str().unwrap().to_string()));
    }
    assert_expected_findings(&report, answers);
    assert_no_decoys(&report, answers);
}

#[test]
fn corrupt_loose_object_is_listed_as_corrupt() {
    let (answers, dir) = section("corrupt");
    let (code, report) = scan_json(&dir, &[]);
    assert_eq!(code, 1);
    assert_eq!(report["complete"], false);
    let corrupt = skipped_ids(&report, "corrupt");
    for id in answers["corrupt"].as_array().unwrap() {
        assert!(corrupt.contains(&id.as_str().unwrap().to_string()));
    }
    assert_expected_findings(&report, answers);
}

#[test]
fn one_bad_object_in_a_pack_loses_only_that_object() {
    let (answers, dir) = section("corrupt-pack");
    let (code, report) = scan_json(&dir, &[]);
    assert_eq!(code, 1);
    assert_eq!(report["complete"], false);
    let corrupt = skipped_ids(&report, "corrupt");
    for id in answers["corrupt_pack"].as_array().unwrap() {
        assert!(corrupt.contains(&id.as_str().unwrap().to_string()));
    }
    assert_expected_findings(&report, answers);
    assert_no_decoys(&report, answers);
}

#[test]
fn partial_clone_without_findings_exits_3_not_0() {
    let (answers, dir) = section("partial");
    let (code, report) = scan_json(&dir, &[]);
    assert_eq!(code, 3, "a scan that read no blobs must not pass");
    assert_eq!(report["complete"], false);
    let missing = skipped_ids(&report, "missing");
    for id in answers["absent_blobs"].as_array().unwrap() {
        assert!(missing.contains(&id.as_str().unwrap().to_string()));
    }
    assert!(report["warnings"][0]
        .as_str()
        .unwrap()
        .contains("partial clone"));
}

#[test]
fn allow_incomplete_turns_exit_3_into_0() {
    let (_, dir) = section("partial");
    let (code, _) = scan_json(&dir, &["--allow-incomplete"]);
    assert_eq!(code, 0);
}

#[test]
fn shallow_clone_is_reported_incomplete_with_a_warning() {
    let (answers, dir) = section("shallow");
    let (code, report) = scan_json(&dir, &[]);
    assert_eq!(code, 1);
    assert_eq!(report["complete"], false);
    assert!(report["warnings"][0].as_str().unwrap().contains("shallow"));
    assert_expected_findings(&report, answers);
    assert_no_decoys(&report, answers);
}

#[test]
fn bare_repository_is_scanned_like_a_worktree() {
    let (answers, dir) = section("bare");
    let (code, report) = scan_json(&dir, &[]);
    assert_eq!(code, 1);
    assert_eq!(report["complete"], true);
    assert_expected_findings(&report, answers);
}

#[test]
fn plain_directory_findings_carry_paths_and_no_commit() {
    let (answers, dir) = section("plain");
    let (code, report) = scan_json(&dir, &[]);
    assert_eq!(code, 1);
    assert_eq!(report["complete"], true);
    assert_eq!(report["stats"]["commits"], 0);
    assert_expected_findings(&report, answers);
}
