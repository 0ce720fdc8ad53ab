//! The pre-receive and pre-commit hooks, installed with `blobhound hook install` into real
//! repositories and triggered by real `git push` and `git commit`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::fixtures::blobhound;
use crate::sandbox::{commit_file, git, ref_value, try_git, Sandbox};

/// A server with the hook installed (extra hook arguments after `--`) and a clone with one
/// clean commit already pushed.
pub fn server_and_clone(sandbox: &Sandbox, hook_args: &[&str]) -> (PathBuf, PathBuf) {
    let server = sandbox.bare("server.git");
    let mut args = vec!["hook", "install", "--pre-receive", server.to_str().unwrap()];
    if !hook_args.is_empty() {
        args.push("--");
        args.extend_from_slice(hook_args);
    }
    let installed = blobhound(&args);
    assert_eq!(
        installed.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&installed.stderr)
    );
    let work = sandbox.clone(&server, "work");
    commit_file(
        &work,
        "app/views.py",
        "def index(request):\n    return 'ok'\n",
        "Initial commit",
    );
    let pushed = try_git(&work, &["push", "-q", "origin", "HEAD:main"]);
    assert!(
        pushed.status.success(),
        "{}",
        String::from_utf8_lossy(&pushed.stderr)
    );
    (server, work)
}

pub fn push(work: &Path, args: &[&str]) -> (bool, String) {
    let mut all = vec!["push", "origin"];
    all.extend_from_slice(args);
    let output = try_git(work, &all);
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn fingerprint_in(message: &str) -> String {
    message
        .lines()
        .find_map(|l| l.split("id      ").nth(1))
        .map(|f| f.trim().to_string())
        .expect("the rejection names the finding's id")
}

#[test]
fn a_push_that_adds_a_secret_is_rejected_and_the_ref_is_unchanged() {
    let mut sandbox = Sandbox::new(11);
    let (server, work) = server_and_clone(&sandbox, &[]);
    let before = ref_value(&server, "main");
    let key = sandbox.django_key();
    let commit = commit_file(
        &work,
        "shop/settings.py",
        &format!("SECRET_KEY = '{key}'\n"),
        "Add settings",
    );
    let (ok, message) = push(&work, &["HEAD:main"]);
    assert!(!ok, "the push must fail");
    assert_eq!(ref_value(&server, "main"), before, "the ref did not move");
    assert!(
        message.contains("remote: blobhound: push rejected: 1 secret"),
        "{message}"
    );
    assert!(message.contains("shop/settings.py:1"));
    assert!(message.contains(&commit[..12]));
    assert!(message.contains("git push -o blobhound.allow="));
    assert!(
        !message.contains(&key),
        "the pusher sees the secret redacted"
    );
}

#[test]
fn a_clean_push_is_accepted() {
    let sandbox = Sandbox::new(12);
    let (server, work) = server_and_clone(&sandbox, &[]);
    let commit = commit_file(
        &work,
        "app/models.py",
        "class Order:\n    pass\n",
        "Add models",
    );
    let (ok, message) = push(&work, &["HEAD:main"]);
    assert!(ok, "{message}");
    assert_eq!(ref_value(&server, "main"), Some(commit));
}

#[test]
fn adding_then_removing_a_secret_in_two_commits_is_rejected() {
    let mut sandbox = Sandbox::new(13);
    let (server, work) = server_and_clone(&sandbox, &[]);
    let key = sandbox.django_key();
    commit_file(
        &work,
        "settings.py",
        &format!("SECRET_KEY = \"{key}\"\n"),
        "Add key",
    );
    commit_file(
        &work,
        "settings.py",
        "SECRET_KEY = os.environ['SECRET_KEY']\n",
        "Read key from env",
    );
    let before = ref_value(&server, "main");
    let (ok, message) = push(&work, &["HEAD:main"]);
    assert!(!ok, "every commit counts, not the net diff: {message}");
    assert_eq!(ref_value(&server, "main"), before);
}

#[test]
fn a_push_option_naming_the_fingerprint_lets_the_push_through_and_is_logged() {
    let mut sandbox = Sandbox::new(14);
    let (server, work) = server_and_clone(&sandbox, &[]);
    let key = sandbox.django_key();
    let commit = commit_file(
        &work,
        "app/settings_ci.py",
        &format!("SECRET_KEY = '{key}'\n"),
        "CI settings",
    );
    let (ok, message) = push(&work, &["HEAD:main"]);
    assert!(!ok);
    let fingerprint = fingerprint_in(&message);
    let option = format!("blobhound.allow={fingerprint}");
    let (ok, message) = push(&work, &["-o", &option, "HEAD:main"]);
    assert!(ok, "{message}");
    assert!(
        message.contains(&format!("blobhound: allowed {fingerprint}")),
        "{message}"
    );
    assert_eq!(ref_value(&server, "main"), Some(commit));
}

#[test]
fn the_servers_allow_file_lets_a_listed_fingerprint_through() {
    let mut sandbox = Sandbox::new(15);
    let allow = sandbox.path("allow.txt");
    std::fs::write(&allow, "# accepted fixtures\n").unwrap();
    let (server, work) = server_and_clone(&sandbox, &["--allow-file", allow.to_str().unwrap()]);
    let key = sandbox.django_key();
    let commit = commit_file(
        &work,
        "tests/settings.py",
        &format!("SECRET_KEY = '{key}'\n"),
        "Test settings",
    );
    let (ok, message) = push(&work, &["HEAD:main"]);
    assert!(!ok);
    std::fs::write(
        &allow,
        format!("{}  # test settings\n", fingerprint_in(&message)),
    )
    .unwrap();
    let (ok, message) = push(&work, &["HEAD:main"]);
    assert!(ok, "{message}");
    assert_eq!(ref_value(&server, "main"), Some(commit));
}

#[test]
fn tags_new_branches_of_known_commits_deletions_and_force_pushes_are_handled() {
    let mut sandbox = Sandbox::new(16);
    let (server, work) = server_and_clone(&sandbox, &[]);
    // A new branch and a lightweight tag on a commit the server has: nothing new, accepted.
    let (ok, message) = push(&work, &["HEAD:refs/heads/release", "HEAD:refs/tags/v1"]);
    assert!(ok, "{message}");
    // Deleting the branch is accepted.
    let (ok, message) = push(&work, &[":refs/heads/release"]);
    assert!(ok, "{message}");
    assert_eq!(ref_value(&server, "refs/heads/release"), None);
    // An annotated tag on a new commit that adds a secret is rejected.
    let key = sandbox.django_key();
    commit_file(
        &work,
        ".env",
        &format!("DJANGO_SECRET_KEY={key}\n"),
        "Add env",
    );
    git(&work, &["tag", "-a", "v2", "-m", "release 2"]);
    let (ok, _) = push(&work, &["refs/tags/v2"]);
    assert!(!ok);
    assert_eq!(ref_value(&server, "refs/tags/v2"), None);
    // Rewriting the commit without the secret and force-pushing is accepted.
    git(&work, &["tag", "-d", "v2"]);
    std::fs::write(work.join(".env"), "DJANGO_SECRET_KEY=\n").unwrap();
    git(&work, &["add", ".env"]);
    git(
        &work,
        &["commit", "-q", "--amend", "-m", "Add env template"],
    );
    let (ok, message) = push(&work, &["--force", "HEAD:main"]);
    assert!(ok, "{message}");
}

/// Runs `blobhound hook pre-receive` by hand in `repo` (no quarantine) with `input` on stdin.
fn run_hook_by_hand(repo: &Path, input: &str, extra: &[&str]) -> (i32, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_blobhound"))
        .args(["hook", "pre-receive"])
        .args(extra)
        .current_dir(repo)
        .env("GIT_DIR", ".")
        .env_remove("GIT_QUARANTINE_PATH")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run hook");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    (
        output.status.code().unwrap(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn without_a_quarantine_the_hook_walks_the_new_commits_against_existing_refs() {
    let mut sandbox = Sandbox::new(17);
    let server = sandbox.bare("server.git");
    let work = sandbox.clone(&server, "work");
    let old = commit_file(&work, "README.md", "shop\n", "Start");
    git(&work, &["push", "-q", "origin", "HEAD:main"]);
    let key = sandbox.django_key();
    let new = commit_file(
        &work,
        "settings.py",
        &format!("SECRET_KEY = '{key}'\n"),
        "Add settings",
    );
    // Bring the objects over without moving main, then drop the temporary ref.
    git(&work, &["push", "-q", "origin", "HEAD:refs/incoming/x"]);
    git(&server, &["update-ref", "-d", "refs/incoming/x"]);
    let (code, message) = run_hook_by_hand(&server, &format!("{old} {new} refs/heads/main\n"), &[]);
    assert_eq!(code, 1, "{message}");
    assert!(message.contains("settings.py:1"), "{message}");
}

#[test]
fn the_hook_fails_closed_on_what_it_cannot_read_unless_told_to_fail_open() {
    let sandbox = Sandbox::new(18);
    let server = sandbox.bare("server.git");
    let zero = "0".repeat(40);
    let absent = "1".repeat(40);
    let input = format!("{zero} {absent} refs/heads/main\n");
    let (code, message) = run_hook_by_hand(&server, &input, &[]);
    assert_eq!(code, 1, "{message}");
    assert!(message.contains("did not finish"), "{message}");
    let (code, message) = run_hook_by_hand(&server, &input, &["--fail-open"]);
    assert_eq!(code, 0, "{message}");
    let (code, message) = run_hook_by_hand(&server, "not git's input\n", &[]);
    assert_eq!(code, 1, "{message}");
}

#[test]
fn install_does_not_replace_an_existing_hook_without_force() {
    let sandbox = Sandbox::new(19);
    let server = sandbox.bare("server.git");
    let hook = server.join("hooks/pre-receive");
    std::fs::write(&hook, "#!/bin/sh\nexit 0\n").unwrap();
    let output = blobhound(&["hook", "install", "--pre-receive", server.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        std::fs::read_to_string(&hook).unwrap(),
        "#!/bin/sh\nexit 0\n"
    );
    let output = blobhound(&[
        "hook",
        "install",
        "--pre-receive",
        "--force",
        server.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(0));
    assert!(std::fs::read_to_string(&hook)
        .unwrap()
        .contains("hook pre-receive"));
}

#[test]
fn the_pre_commit_hook_blocks_only_what_the_commit_adds() {
    let mut sandbox = Sandbox::new(20);
    let server = sandbox.bare("origin.git");
    let work = sandbox.clone(&server, "work");
    // History already holds a key in settings.py (committed before the hook existed).
    let old_key = sandbox.django_key();
    commit_file(
        &work,
        "settings.py",
        &format!("SECRET_KEY = '{old_key}'\nDEBUG = True\n"),
        "Old settings",
    );
    let installed = blobhound(&["hook", "install", "--pre-commit", work.to_str().unwrap()]);
    assert_eq!(installed.status.code(), Some(0));
    // Editing another line of that file does not add a secret: allowed.
    std::fs::write(
        work.join("settings.py"),
        format!("SECRET_KEY = '{old_key}'\nDEBUG = False\n"),
    )
    .unwrap();
    git(&work, &["add", "settings.py"]);
    let committed = try_git(&work, &["commit", "-q", "-m", "Turn off debug"]);
    assert!(
        committed.status.success(),
        "{}",
        String::from_utf8_lossy(&committed.stderr)
    );
    // Staging a new key is blocked, and nothing is committed.
    let head = ref_value(&work, "HEAD");
    let new_key = sandbox.django_key();
    std::fs::write(work.join(".env"), format!("DJANGO_SECRET_KEY={new_key}\n")).unwrap();
    git(&work, &["add", ".env"]);
    let blocked = try_git(&work, &["commit", "-q", "-m", "Add env"]);
    assert!(!blocked.status.success());
    let message = String::from_utf8_lossy(&blocked.stderr);
    assert!(message.contains("commit blocked"), "{message}");
    assert!(message.contains(".env"), "{message}");
    assert!(!message.contains(&new_key), "redacted");
    assert_eq!(ref_value(&work, "HEAD"), head);
}

#[test]
fn the_pre_commit_framework_manifest_runs_the_hook() {
    let manifest = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join(".pre-commit-hooks.yaml"),
    )
    .expect(".pre-commit-hooks.yaml exists");
    assert!(manifest.contains("id: blobhound"));
    assert!(manifest.contains("entry: blobhound hook pre-commit"));
}
