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

/// A detector file in a directory of its own; `body` replaces the regex and examples.
fn detector_dir(file: &str, id: &str, body: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(file),
        format!(
            "id = \"{id}\"\nname = \"Mine\"\nfamily = \"generic\"\nconfidence = \"high\"\n\
             keywords = [\"token\"]\n{body}"
        ),
    )
    .unwrap();
    dir
}

const GOOD: &str = r#"regex = '''token=(?P<secret>[a-z0-9]{20})'''
[[examples]]
text = "token=abcdefghij0123456789"
secret = "abcdefghij0123456789"
[[negative_examples]]
text = "token=abc"
"#;

#[test]
fn a_user_detector_whose_example_fails_is_an_error_before_any_scan() {
    let dir = detector_dir(
        "strict.toml",
        "strict",
        &GOOD.replace("secret = \"abcdefghij0123456789\"", "secret = \"wrong\""),
    );
    let repo = tempfile::tempdir().unwrap();
    for args in [
        vec!["scan", repo.path().to_str().unwrap(), "--detectors"],
        vec!["hook", "pre-commit", "--detectors"],
    ] {
        let mut args = args;
        args.push(dir.path().to_str().unwrap());
        let output = blobhound(&args);
        let err = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains("strict.toml") && err.contains("example 1"),
            "names the file and the example: {err}"
        );
    }
    // The same file with a passing example scans.
    let dir = detector_dir("strict.toml", "strict", GOOD);
    let output = blobhound(&[
        "scan",
        repo.path().to_str().unwrap(),
        "--detectors",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn non_finite_numbers_and_empty_secret_groups_are_refused() {
    for (what, body, needle) in [
        ("nan", format!("min_entropy = nan\n{GOOD}"), "min_entropy"),
        ("inf", format!("min_entropy = inf\n{GOOD}"), "min_entropy"),
        (
            "negative",
            format!("min_entropy = -1.0\n{GOOD}"),
            "min_entropy",
        ),
        (
            "empty group",
            GOOD.replace("(?P<secret>[a-z0-9]{20})", "(?P<secret>[a-z0-9]*)"),
            "empty string",
        ),
    ] {
        let dir = detector_dir("odd.toml", "odd", &body);
        let output = blobhound(&["detectors", "check", dir.path().to_str().unwrap()]);
        let err = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{what}: {err}");
        assert!(
            err.contains("odd.toml") && err.contains(needle),
            "{what}: {err}"
        );
    }
}

#[test]
fn detectors_check_catches_an_id_a_built_in_detector_has() {
    let dir = detector_dir("mine.toml", "django-secret-key", GOOD);
    let output = blobhound(&["detectors", "check", dir.path().to_str().unwrap()]);
    let text = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(
        text.contains("FAIL django-secret-key") && text.contains("built-in"),
        "{text}"
    );
}

#[test]
fn only_and_skip_that_leave_nothing_are_an_error() {
    let repo = tempfile::tempdir().unwrap();
    let output = blobhound(&[
        "scan",
        repo.path().to_str().unwrap(),
        "--only",
        "django-secret-key",
        "--skip",
        "django-secret-key",
    ]);
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(err.contains("leave no detector"), "{err}");
}
