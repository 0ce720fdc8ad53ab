//! Recall and false positives on other tools' rule examples (`tests/data/corpus`, see its README):
//! at least 95% of the positives of every provider we claim, at most 5% of all negatives.

use std::path::Path;

use crate::fixtures::blobhound;

#[test]
fn recall_and_false_positives_meet_their_targets_on_outside_corpora() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/corpus");
    let path = |name: &str| data.join(name).display().to_string();
    let output = blobhound(&[
        "detectors",
        "accuracy",
        "--corpus",
        &path("noseyparker-examples.jsonl"),
        "--corpus",
        &path("kingfisher-examples.jsonl"),
        "--map",
        &path("providers.toml"),
        "--verbose",
    ]);
    let table = String::from_utf8_lossy(&output.stdout);
    println!("{table}");
    assert_eq!(output.status.code(), Some(0), "{table}");
    assert!(table.contains("targets: recall >= 95% per provider"));
    let negatives_row = table
        .lines()
        .find(|l| l.starts_with("overall"))
        .expect("overall row");
    assert!(!negatives_row.contains("below target"));
}

#[test]
fn the_accuracy_command_fails_when_a_target_is_missed() {
    let corpus = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        corpus.path(),
        "{\"rule_id\": \"x.1\", \"kind\": \"positive\", \"text\": \"nothing secret here\"}\n",
    )
    .unwrap();
    let map = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        map.path(),
        "[[providers]]\nname = \"X\"\nrules = [\"x.*\"]\ndetectors = [\"django-secret-key\"]\n",
    )
    .unwrap();
    let output = blobhound(&[
        "detectors",
        "accuracy",
        "--corpus",
        corpus.path().to_str().unwrap(),
        "--map",
        map.path().to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1));
}
