//! Exit statuses that survive closed pipes and full disks, scans started inside a repository's
//! subdirectory, the inputs CI systems pass, and checks `hook install` makes before it writes.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::fixtures::{blobhound, scan_json};
use crate::sandbox::{commit_file, git, try_git, Sandbox};

/// A clone whose history holds a key in `app/settings.py`, since removed.
fn repo_with_history(sandbox: &mut Sandbox) -> (PathBuf, String) {
    let origin = sandbox.bare("origin.git");
    let work = sandbox.clone(&origin, "work");
    let key = sandbox.django_key();
    commit_file(
        &work,
        "app/settings.py",
        &format!("SECRET_KEY = '{key}'\n"),
        "Settings",
    );
    commit_file(
        &work,
        "app/settings.py",
        "SECRET_KEY = os.environ['SECRET_KEY']\n",
        "Read the key from the environment",
    );
    commit_file(&work, "docs/index.md", "# Docs\n", "Docs");
    (work, key)
}

/// Runs `script` with bash, the binary as `$BLOBHOUND`; returns (exit status, stderr).
fn bash(script: &str, cwd: &Path) -> (i32, String) {
    let output = Command::new("bash")
        .arg("-c")
        .arg(script)
        .current_dir(cwd)
        .env("BLOBHOUND", env!("CARGO_BIN_EXE_blobhound"))
        .env("GIT_CEILING_DIRECTORIES", env!("CARGO_TARGET_TMPDIR"))
        .output()
        .expect("bash runs");
    (
        output.status.code().expect("exit status"),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// A reader that closes its end at once, so the writer meets a broken pipe.
const CLOSED_READER: &str = "{ exec 0<&-; sleep 1; }";

#[test]
fn findings_exit_1_even_when_the_reader_closed_the_pipe() {
    let mut sandbox = Sandbox::new(301);
    let (work, _) = repo_with_history(&mut sandbox);
    for format in ["human", "json", "sarif"] {
        let (code, stderr) = bash(
            &format!(
                "\"$BLOBHOUND\" scan . --no-progress --format {format} | {CLOSED_READER}; \
                 exit ${{PIPESTATUS[0]}}"
            ),
            &work,
        );
        assert_eq!(code, 1, "{format}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

#[test]
fn listings_into_a_closed_pipe_do_not_panic() {
    let dir = tempfile::tempdir().unwrap();
    let (code, stderr) = bash(
        &format!("\"$BLOBHOUND\" detectors list | {CLOSED_READER}; exit ${{PIPESTATUS[0]}}"),
        dir.path(),
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn a_full_disk_is_an_error_not_a_clean_scan() {
    let mut sandbox = Sandbox::new(302);
    let (work, _) = repo_with_history(&mut sandbox);
    let output = blobhound(&["scan", work.to_str().unwrap(), "-o", "/dev/full"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("No space left"), "{stderr}");
}

#[test]
fn a_hook_whose_stderr_is_closed_still_rejects() {
    let mut sandbox = Sandbox::new(303);
    let server = sandbox.bare("server.git");
    let work = sandbox.clone(&server, "work");
    let key = sandbox.django_key();
    let commit = commit_file(&work, ".env", &format!("DJANGO_SECRET_KEY={key}\n"), "Env");
    let pushed = try_git(&work, &["push", "-q", "origin", "HEAD:refs/heads/incoming"]);
    assert!(pushed.status.success());
    git(&server, &["update-ref", "-d", "refs/heads/incoming"]);
    let zero = "0".repeat(40);
    let script = format!(
        "echo '{zero} {commit} refs/heads/main' | GIT_DIR=. \"$BLOBHOUND\" hook pre-receive \
         2>&1 >/dev/null | {CLOSED_READER}; exit ${{PIPESTATUS[1]}}"
    );
    let (code, _) = bash(&script, &server);
    assert_ne!(code, 0, "a rejected push stays rejected");
    let script = format!(
        "echo '{zero} {commit} refs/heads/main' | GIT_DIR=. \"$BLOBHOUND\" hook pre-receive 2>&-"
    );
    let (code, _) = bash(&script, &server);
    assert_ne!(code, 0);
}

#[test]
fn a_scan_inside_a_subdirectory_scans_the_repository_and_says_so() {
    let mut sandbox = Sandbox::new(304);
    let (work, key) = repo_with_history(&mut sandbox);
    let app = work.join("app");
    let output = Command::new(env!("CARGO_BIN_EXE_blobhound"))
        .args(["scan", "--format", "json", "--no-progress"])
        .current_dir(&app)
        .env("GIT_CEILING_DIRECTORIES", env!("CARGO_TARGET_TMPDIR"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "the history's key is found");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("scanning the repository at"), "{stderr}");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(report["repository"].as_str().is_some());
    assert!(crate::fixtures::find(&report, "django-secret-key", &key).is_some());
    // Only that folder's files with --history none: the key is no longer on disk.
    std::fs::write(app.join("local.env"), "DEBUG=1\n").unwrap();
    std::fs::write(work.join("docs/.env"), format!("DJANGO_SECRET_KEY={key}\n")).unwrap();
    let (code, report) = scan_json(&app, &["--history", "none"]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["stats"]["blobs_scanned"], 2, "{report}");
}

#[test]
fn an_all_zero_base_scans_what_no_other_ref_holds() {
    let mut sandbox = Sandbox::new(305);
    let (work, _) = repo_with_history(&mut sandbox);
    let pushed = try_git(&work, &["push", "-q", "origin", "HEAD"]);
    assert!(pushed.status.success());
    git(&work, &["fetch", "-q", "origin"]);
    let zero = "0".repeat(40);
    let range = format!("{zero}..HEAD");
    // A branch pushed for the first time is everything no other branch holds: on main itself,
    // all of it; on a new branch made from main, nothing until it has commits of its own.
    let (code, report) = scan_json(&work, &["--range", &range]);
    assert_eq!(code, 1, "{report}");
    assert_eq!(report["stats"]["commits"], 3);
    git(&work, &["checkout", "-q", "-b", "feature"]);
    let (code, report) = scan_json(&work, &["--range", &range]);
    assert_eq!(code, 0, "every commit is on origin/main already: {report}");
    assert_eq!(report["stats"]["commits"], 0);
    let key = sandbox.django_key();
    commit_file(
        &work,
        "feature.env",
        &format!("DJANGO_SECRET_KEY={key}\n"),
        "Feature",
    );
    let (code, report) = scan_json(&work, &["--range", &range]);
    assert_eq!(code, 1, "{report}");
    assert_eq!(report["stats"]["commits"], 1);
    assert!(report["warnings"][0]
        .as_str()
        .unwrap()
        .contains("new branch"));
}

#[test]
fn threads_are_bounded() {
    let mut sandbox = Sandbox::new(306);
    let (work, _) = repo_with_history(&mut sandbox);
    for threads in ["0", "4000"] {
        let output = blobhound(&["scan", work.to_str().unwrap(), "--threads", threads]);
        assert_eq!(output.status.code(), Some(2), "--threads {threads}");
        assert!(String::from_utf8_lossy(&output.stderr).contains("--threads"));
    }
    let (code, _) = scan_json(&work, &["--threads", "64"]);
    assert_eq!(code, 1, "more threads than cores are capped, not refused");
}

#[test]
fn the_pre_commit_hook_is_installed_where_core_hooks_path_points() {
    let mut sandbox = Sandbox::new(307);
    let (work, _) = repo_with_history(&mut sandbox);
    git(&work, &["config", "core.hooksPath", ".githooks"]);
    let output = blobhound(&["hook", "install", "--pre-commit", work.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0));
    assert!(work.join(".githooks/pre-commit").is_file());
    let key = sandbox.django_key();
    std::fs::write(work.join(".env"), format!("DJANGO_SECRET_KEY={key}\n")).unwrap();
    git(&work, &["add", ".env"]);
    let blocked = try_git(&work, &["commit", "-q", "-m", "Env"]);
    assert!(!blocked.status.success(), "git runs the installed hook");
}

#[test]
fn install_refuses_an_allow_file_or_argument_the_hook_could_not_use() {
    let sandbox = Sandbox::new(308);
    let server = sandbox.bare("server.git");
    let missing = sandbox.path("no-such-allow-file");
    let output = blobhound(&[
        "hook",
        "install",
        "--pre-receive",
        server.to_str().unwrap(),
        "--",
        "--allow-file",
        missing.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--allow-file"));
    assert!(
        !server.join("hooks/pre-receive").exists(),
        "nothing installed"
    );
    let output = blobhound(&[
        "hook",
        "install",
        "--pre-receive",
        server.to_str().unwrap(),
        "--",
        "--no-such-flag",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(!server.join("hooks/pre-receive").exists());
}
