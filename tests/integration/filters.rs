//! Filters say what they hid, and flags that would do nothing are errors: a report never says
//! "No secrets found" of a scan whose findings were only filtered away.

use crate::fixtures::{blobhound, scan_json};
use crate::sandbox::{commit_file, Sandbox};

fn text(output: &std::process::Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn only_live_says_how_many_findings_it_hid_and_why() {
    let mut sandbox = Sandbox::new(1601);
    let repo = sandbox.work();
    let password = sandbox.password();
    // A private address: without --verify-private the check is refused, so the finding is
    // `unknown`, never live.
    commit_file(
        &repo,
        ".env",
        &format!("DATABASE_URL=postgres://app:{password}@10.11.12.13:5432/shop\n"),
        "Add configuration",
    );
    let output = blobhound(&[
        "scan",
        repo.to_str().unwrap(),
        "--no-progress",
        "--verify",
        "--only-live",
    ]);
    let (stdout, _) = text(&output);
    assert!(!stdout.contains("No secrets found"), "{stdout}");
    assert!(stdout.contains("No secrets shown (1 hidden"), "{stdout}");
    assert!(
        stdout.contains("Hidden: 1 finding not verified live (1 unknown), by --only-live"),
        "{stdout}"
    );
    let (_, report) = scan_json(&repo, &["--verify", "--only-live"]);
    assert_eq!(report["findings"].as_array().unwrap().len(), 0);
    assert_eq!(report["hidden"][0]["filter"], "only-live", "{report}");
    assert_eq!(report["hidden"][0]["findings"], 1, "{report}");
}

#[test]
fn the_confidence_floor_says_how_many_findings_it_hid() {
    let mut sandbox = Sandbox::new(1602);
    let repo = sandbox.work();
    let password = sandbox.password();
    // A generic assignment only in a test file is LOW.
    commit_file(
        &repo,
        "tests/test_login.py",
        &format!("PASSWORD = \"{password}\"\n"),
        "Add a test",
    );
    let (code, report) = scan_json(&repo, &[]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["hidden"][0]["filter"], "confidence", "{report}");
    assert_eq!(report["hidden"][0]["findings"], 1, "{report}");
    assert_eq!(report["hidden"][0]["why"], "below --confidence medium");
    let (_, low) = scan_json(&repo, &["--confidence", "low"]);
    assert_eq!(low["findings"].as_array().unwrap().len(), 1, "{low}");
    assert!(low.get("hidden").is_none(), "{low}");
    let output = blobhound(&["scan", repo.to_str().unwrap(), "--no-progress"]);
    let (stdout, _) = text(&output);
    assert!(
        stdout.contains("Hidden: 1 finding below --confidence medium"),
        "{stdout}"
    );
}

#[test]
fn the_summary_counts_in_words_with_the_right_plural() {
    let sandbox = Sandbox::new(1603);
    let repo = sandbox.work();
    commit_file(&repo, "app.py", "print('hello')\n", "First");
    let output = blobhound(&["scan", repo.to_str().unwrap(), "--no-progress"]);
    let (stdout, _) = text(&output);
    assert!(
        stdout.contains(": 1 blob (") && stdout.contains(", 1 commit in"),
        "{stdout}"
    );
    let output = blobhound(&["detectors", "check"]);
    let (stdout, _) = text(&output);
    assert!(!stdout.contains(" 1 detectors"), "{stdout}");
}

#[test]
fn flags_that_would_do_nothing_are_errors() {
    let sandbox = Sandbox::new(1604);
    let repo = sandbox.work();
    commit_file(&repo, "app.py", "print('hello')\n", "First");
    let target = repo.to_str().unwrap();
    let sarif = sandbox.path("x.sarif");
    let output = blobhound(&[
        "scan",
        target,
        "--advice",
        "--format",
        "sarif",
        "-o",
        sarif.to_str().unwrap(),
    ]);
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--advice") && stderr.contains("--format"),
        "{stderr}"
    );
    assert!(!sarif.exists(), "nothing is written");
    let baseline = sandbox.path("baseline.json");
    let output = blobhound(&[
        "baseline",
        "create",
        target,
        "--format",
        "json",
        "-o",
        baseline.to_str().unwrap(),
    ]);
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--format does nothing here"), "{stderr}");
    assert!(!baseline.exists());
}
