//! Every shipped detector finds its examples and stays silent on its negatives.

use std::path::Path;

use crate::fixtures::blobhound;

#[test]
fn builtin_detectors_pass_their_own_examples() {
    let output = blobhound(&["detectors", "check"]);
    let text = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{text}");
    assert!(text.contains("all pass"));
}

#[test]
fn detector_directory_check_reads_the_files_on_disk() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("detectors");
    let output = blobhound(&["detectors", "check", dir.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{text}");
}

#[test]
fn a_failing_example_fails_the_check() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("strict.toml"),
        r#"id = "strict"
name = "Strict"
family = "generic"
confidence = "high"
keywords = ["token"]
regex = '''token=(?P<secret>[a-z0-9]{20})'''
[[examples]]
text = "token=UPPERCASEISNOTMATCHED"
secret = "UPPERCASEISNOTMATCHED"
[[negative_examples]]
text = "token=abc"
"#,
    )
    .unwrap();
    let output = blobhound(&["detectors", "check", dir.path().to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stdout).contains("FAIL strict"));
}
