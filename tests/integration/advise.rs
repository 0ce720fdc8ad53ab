//! `blobhound advise`: the plan's order, its family-specific steps, the HTML page as a browser
//! renders it, and a filter-repo rules file that really purges the secrets.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::fixtures::{blobhound, history, scan_json};
use crate::sandbox::{commit_file, git, Sandbox};
use crate::servers;

fn write_report(target: &Path, args: &[&str], out: &Path) {
    let (code, report) = scan_json(target, args);
    assert_eq!(code, 1, "{report}");
    std::fs::write(out, serde_json::to_string(&report).unwrap()).unwrap();
}

fn advise(report: &Path, args: &[&str]) -> String {
    let mut all = vec!["advise", report.to_str().unwrap()];
    all.extend_from_slice(args);
    let output = blobhound(&all);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// A repository with a history-only key, a key still at HEAD and, when PostgreSQL is available, a
/// live database URL.
fn mixed_repo(sandbox: &mut Sandbox) -> (PathBuf, Option<String>) {
    let origin = sandbox.bare("origin.git");
    let repo = sandbox.clone(&origin, "work");
    let old = sandbox.django_key();
    commit_file(
        &repo,
        "old_settings.py",
        &format!("SECRET_KEY = '{old}'\n"),
        "Old settings",
    );
    std::fs::remove_file(repo.join("old_settings.py")).unwrap();
    git(&repo, &["commit", "-q", "-am", "Remove old settings"]);
    let current = sandbox.django_key();
    commit_file(
        &repo,
        "settings.py",
        &format!("SECRET_KEY = '{current}'\n"),
        "Settings",
    );
    let live = servers::postgres().map(|db| {
        let url = format!(
            "postgres://{}:{}@{}:{}/{}",
            db.user, db.password, db.host, db.port, db.database
        );
        // Committed, then removed: only its liveness can put it first.
        commit_file(
            &repo,
            "deploy.env",
            &format!("DATABASE_URL={url}\n"),
            "Deploy env",
        );
        std::fs::remove_file(repo.join("deploy.env")).unwrap();
        git(&repo, &["commit", "-q", "-am", "Drop deploy env"]);
        db.password.clone()
    });
    (repo, live)
}

#[test]
fn the_plan_puts_live_first_then_head_then_history_and_says_why() {
    let mut sandbox = Sandbox::new(61);
    let (repo, live) = mixed_repo(&mut sandbox);
    let report = sandbox.path("report.json");
    write_report(&repo, &["--verify", "--verify-private"], &report);
    let plan: Value = serde_json::from_str(&advise(&report, &["--format", "json"])).unwrap();
    let urgencies: Vec<&str> = plan["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["urgency"].as_str().unwrap())
        .collect();
    let expected: Vec<&str> = if live.is_some() {
        vec!["live", "in-head", "history"]
    } else {
        vec!["in-head", "history"]
    };
    assert_eq!(urgencies, expected);
    let first = &plan["entries"][0];
    assert_eq!(first["priority"], 1);
    assert!(first["why"]
        .as_str()
        .unwrap()
        .contains("first committed in"));
    assert!(first["why"].as_str().unwrap().contains("held by branch "));
    for entry in plan["entries"].as_array().unwrap() {
        assert!(
            entry["secret"].as_str().unwrap().ends_with("*****"),
            "redacted by default"
        );
    }
}

#[test]
fn each_family_gets_its_own_concrete_steps() {
    let fixture = history();
    let report = fixture.dir.join("advise-report.json");
    write_report(&fixture.dir.join("repo"), &[], &report);
    let plan = advise(&report, &[]);
    for needle in [
        "get_random_secret_key",
        "SECRET_KEY_FALLBACKS",
        "sessions",
        "aws cloudtrail lookup-events --lookup-attributes AttributeKey=AccessKeyId,AttributeValue=AKIA",
        "--status Inactive",
        "Revoke the role's active sessions",
        "ALTER ROLE",
        "ALTER USER",
        "IDENTIFIED BY",
        "requirepass",
        "rabbitmqctl change_password",
        "changeUserPassword",
        "git filter-repo --replace-text",
        "Force-push",
        "Rotate first",
    ] {
        assert!(plan.contains(needle), "the plan mentions {needle:?}");
    }
    let shown = advise(&report, &["--show-secrets"]);
    let secret = fixture.answers["expected"][0]["secret"].as_str().unwrap();
    assert!(shown.contains(secret));
    assert!(!plan.contains(secret));
}

fn chromium() -> Option<&'static str> {
    for candidate in ["chromium", "chromium-browser", "google-chrome"] {
        if Command::new(candidate)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
        {
            return Some(candidate);
        }
    }
    assert_ne!(
        std::env::var("CI").as_deref(),
        Ok("true"),
        "chromium must be installed under CI (.ci/run installs it)"
    );
    eprintln!("blobhound test: chromium is not installed (apt-get install chromium); skipping");
    None
}

#[test]
fn the_html_plan_renders_in_a_browser_with_the_priority_table_first() {
    let Some(browser) = chromium() else { return };
    let fixture = history();
    let report = fixture.dir.join("advise-html-report.json");
    write_report(&fixture.dir.join("repo"), &[], &report);
    let page = fixture.dir.join("plan.html");
    advise(
        &report,
        &["--format", "html", "--output", page.to_str().unwrap()],
    );
    let profile = tempfile::tempdir().unwrap();
    let output = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs");
    let dom = String::from_utf8_lossy(&output.stdout);
    assert!(dom.contains("<table id=\"priorities\">"), "{dom}");
    let rows = dom.matches("<tr><td>").count();
    let findings = fixture.answers["expected"].as_array().unwrap().len();
    assert_eq!(rows, findings, "one table row per finding");
    let table = dom.find("id=\"priorities\"").unwrap();
    let first_section = dom.find("<section").unwrap();
    assert!(table < first_section, "the table comes first");
    assert!(dom.contains("id=\"history\""));
}

#[test]
fn the_replace_text_rules_purge_every_secret_with_filter_repo() {
    let available = Command::new("git")
        .args(["filter-repo", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !available {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "git-filter-repo must be installed under CI"
        );
        eprintln!("blobhound test: git-filter-repo is not installed (pip install git-filter-repo); skipping");
        return;
    }
    let fixture = history();
    let scratch = tempfile::tempdir().unwrap();
    let report = scratch.path().join("report.json");
    write_report(&fixture.dir.join("repo"), &["--confidence", "low"], &report);
    let rules = scratch.path().join("replacements.txt");
    advise(&report, &["--replace-text", rules.to_str().unwrap()]);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&rules).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    let copy = scratch.path().join("copy");
    git(
        scratch.path(),
        &[
            "clone",
            "-q",
            "--mirror",
            fixture.dir.join("repo").to_str().unwrap(),
            copy.to_str().unwrap(),
        ],
    );
    git(
        &copy,
        &[
            "filter-repo",
            "--force",
            "--quiet",
            "--replace-text",
            rules.to_str().unwrap(),
        ],
    );
    let (code, rescanned) = scan_json(&copy, &["--confidence", "low"]);
    let left: Vec<&str> = rescanned["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["secret"].as_str().unwrap())
        .collect();
    assert!(left.is_empty(), "secrets left after filter-repo: {left:?}");
    assert_eq!(code, 0);
}

#[test]
fn a_report_whose_commit_id_is_not_hex_is_a_clear_error_not_a_panic() {
    let mut sandbox = Sandbox::new(41);
    let origin = sandbox.bare("origin.git");
    let work = sandbox.clone(&origin, "work");
    let key = sandbox.django_key();
    let commit = commit_file(
        &work,
        "settings.py",
        &format!("SECRET_KEY = '{key}'\n"),
        "Key",
    );
    let (code, report) = scan_json(&work, &[]);
    assert_eq!(code, 1);
    // Twelve bytes of the id replaced by two-byte characters: slicing it would split one.
    let forged = serde_json::to_string(&report)
        .unwrap()
        .replace(&commit, &format!("ééééééé{}", &commit[14..]));
    let path = sandbox.path("forged.json");
    std::fs::write(&path, forged).unwrap();
    let output = blobhound(&["advise", path.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("not a blobhound JSON report"), "{stderr}");
    assert!(stderr.contains("not an object id"), "{stderr}");
}
