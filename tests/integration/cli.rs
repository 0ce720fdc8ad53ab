//! Command-line behaviour a new user meets first: errors, exit statuses, detector commands.

use std::path::Path;

use crate::fixtures::{blobhound, history};

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn nonexistent_target_exits_2_with_one_line() {
    let output = blobhound(&["scan", "/nonexistent/blobhound-target"]);
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert_eq!(message.lines().count(), 1, "{message}");
    assert!(message.contains("not a git repository or directory"));
}

#[test]
fn a_regular_file_is_not_a_target() {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
    let output = blobhound(&["scan", file.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn unknown_detector_id_is_an_error_not_an_empty_scan() {
    let repo = history().dir.join("repo");
    let output = blobhound(&["scan", repo.to_str().unwrap(), "--only", "no-such-detector"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("unknown detector id"));
}

#[test]
fn bad_arguments_exit_2() {
    let output = blobhound(&["scan", "--format", "yaml"]);
    assert_eq!(output.status.code(), Some(2));
    let output = blobhound(&["scan", "--max-blob-size", "huge"]);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn broken_detector_file_is_named_in_the_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.toml"),
        "id = \"bad\"\nname = \"Bad\"\nfamily = \"generic\"\nconfidence = \"high\"\nkeywords = [\"x\"]\nregex = '''(?P<secret>[a-z'''\n",
    )
    .unwrap();
    let repo = history().dir.join("repo");
    let output = blobhound(&[
        "scan",
        repo.to_str().unwrap(),
        "--detectors",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(message.contains("bad.toml"), "{message}");
    assert!(message.contains("regex"), "{message}");
}

#[test]
fn custom_detector_directory_adds_findings() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("shop-token.toml"),
        r#"id = "shop-token"
name = "Shop internal token"
family = "generic"
confidence = "high"
keywords = ["SECRET_KEY"]
regex = '''SECRET_KEY = '(?P<secret>django-insecure-[^']+)''''
min_entropy = 3.0
"#,
    )
    .unwrap();
    let repo = history().dir.join("repo");
    let output = blobhound(&[
        "scan",
        repo.to_str().unwrap(),
        "--format",
        "json",
        "--detectors",
        dir.path().to_str().unwrap(),
        "--only",
        "shop-token",
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let findings = report["findings"].as_array().unwrap();
    assert!(!findings.is_empty());
    assert!(findings.iter().all(|f| f["detector"] == "shop-token"));
}

#[test]
fn detectors_list_names_the_mission_detectors() {
    let output = blobhound(&["detectors", "list"]);
    assert_eq!(output.status.code(), Some(0));
    let text = String::from_utf8(output.stdout).unwrap();
    for id in [
        "django-secret-key",
        "database-url",
        "django-database-password",
        "aws-access-key",
        "aws-secret-access-key",
    ] {
        assert!(text.contains(id), "{id} listed");
    }
}

#[test]
fn version_and_help_exit_0() {
    assert_eq!(blobhound(&["--version"]).status.code(), Some(0));
    assert_eq!(blobhound(&["scan", "--help"]).status.code(), Some(0));
}

#[test]
fn completions_and_man_pages_are_generated_from_the_command_line_itself() {
    let output = crate::fixtures::blobhound(&["completions", "bash"]);
    assert_eq!(output.status.code(), Some(0));
    let script = String::from_utf8(output.stdout).unwrap();
    assert!(script.contains("_blobhound") && script.contains("--exclude"));
    // Real bash parses it.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("blobhound.bash");
    std::fs::write(&path, &script).unwrap();
    let checked = std::process::Command::new("bash")
        .arg("-n")
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        checked.status.success(),
        "{}",
        String::from_utf8_lossy(&checked.stderr)
    );
    for shell in ["zsh", "fish", "elvish", "powershell"] {
        let output = crate::fixtures::blobhound(&["completions", shell]);
        assert_eq!(output.status.code(), Some(0), "{shell}");
        assert!(
            String::from_utf8_lossy(&output.stdout).contains("exclude"),
            "{shell}"
        );
    }
    let output = crate::fixtures::blobhound(&["man"]);
    let page = String::from_utf8(output.stdout).unwrap();
    assert!(
        page.contains(".TH blobhound 1") && page.contains("completions"),
        "{page}"
    );
    let output = crate::fixtures::blobhound(&["man", "scan"]);
    let page = String::from_utf8(output.stdout).unwrap();
    assert!(
        page.contains(".TH blobhound-scan 1") && page.contains("exclude"),
        "{page}"
    );
    let output = crate::fixtures::blobhound(&["man", "nosuch"]);
    assert_eq!(output.status.code(), Some(2));
}
