//! What a change introduced, judged the same by all three gates: `scan --range` in a clone, the
//! pre-receive hook on a bare server receiving a real `git push`, and the pre-commit hook on a
//! real staged commit. Each case makes one change on top of a history that already holds a
//! secret and asks every gate for its verdict.

use std::path::{Path, PathBuf};

use crate::fixtures::{blobhound, scan_json};
use crate::sandbox::{commit_file, git, try_git, Sandbox};

/// A server and a clone whose pushed history already holds `old` in `settings.py`, with the
/// pre-receive hook on the server and the pre-commit hook in the clone installed after it.
fn history_with_an_old_secret(sandbox: &mut Sandbox) -> (PathBuf, PathBuf, String) {
    let server = sandbox.bare("server.git");
    let work = sandbox.clone(&server, "work");
    let old = sandbox.django_key();
    commit_file(
        &work,
        "settings.py",
        &format!("DEBUG = True\nSECRET_KEY = '{old}'\nALLOWED_HOSTS = []\n"),
        "Settings",
    );
    commit_file(&work, "app/views.py", &views(0), "Views");
    let pushed = try_git(&work, &["push", "-q", "origin", "HEAD:main"]);
    assert!(pushed.status.success());
    for (kind, repo) in [("--pre-receive", &server), ("--pre-commit", &work)] {
        let installed = blobhound(&["hook", "install", kind, repo.to_str().unwrap()]);
        assert_eq!(installed.status.code(), Some(0), "{kind}");
    }
    git(&work, &["fetch", "-q", "origin"]);
    (server, work, old)
}

fn views(n: usize) -> String {
    let mut text = String::from("from django.http import HttpResponse\n\n");
    for i in 0..12 + n {
        text.push_str(&format!(
            "def view_{i}(request):\n    return HttpResponse('page {i}')\n\n"
        ));
    }
    text
}

/// The three verdicts on the change staged in `work`: (pre-commit accepted, `--range` exit
/// status, push accepted).
fn verdicts(work: &Path, message: &str) -> (bool, i32, bool) {
    let committed = try_git(work, &["commit", "-q", "-m", message]);
    let commit_ok = committed.status.success();
    if !commit_ok {
        let forced = try_git(work, &["commit", "-q", "--no-verify", "-m", message]);
        assert!(forced.status.success());
    }
    let (range, report) = scan_json(work, &["--range", "origin/main..HEAD"]);
    assert!(report["complete"].as_bool().unwrap(), "{report}");
    let pushed = try_git(work, &["push", "-q", "origin", "HEAD:main"]);
    (commit_ok, range, pushed.status.success())
}

#[test]
fn an_edit_beside_an_old_secret_passes_every_gate() {
    let mut sandbox = Sandbox::new(101);
    let (_server, work, old) = history_with_an_old_secret(&mut sandbox);
    std::fs::write(
        work.join("settings.py"),
        format!("DEBUG = True\nSECRET_KEY = '{old}'\nALLOWED_HOSTS = ['shop.example.test']\n"),
    )
    .unwrap();
    git(&work, &["add", "-A"]);
    assert_eq!(verdicts(&work, "Allow the shop host"), (true, 0, true));
}

#[test]
fn copying_an_old_secret_into_a_new_file_fails_every_gate() {
    let mut sandbox = Sandbox::new(102);
    let (_server, work, old) = history_with_an_old_secret(&mut sandbox);
    std::fs::write(work.join(".env"), format!("DJANGO_SECRET_KEY={old}\n")).unwrap();
    git(&work, &["add", "-A"]);
    assert_eq!(verdicts(&work, "Env file"), (false, 1, false));
}

#[test]
fn copying_an_old_secret_to_a_new_line_of_the_same_file_fails_every_gate() {
    let mut sandbox = Sandbox::new(103);
    let (_server, work, old) = history_with_an_old_secret(&mut sandbox);
    std::fs::write(
        work.join("settings.py"),
        format!("DEBUG = True\nSECRET_KEY = '{old}'\nALLOWED_HOSTS = []\nSECRET_KEY = '{old}'\n"),
    )
    .unwrap();
    git(&work, &["add", "-A"]);
    assert_eq!(verdicts(&work, "Repeat the key"), (false, 1, false));
}

#[test]
fn renaming_a_file_that_holds_an_old_secret_passes_every_gate() {
    let mut sandbox = Sandbox::new(104);
    let (_server, work, old) = history_with_an_old_secret(&mut sandbox);
    git(&work, &["mv", "settings.py", "config_settings.py"]);
    std::fs::write(
        work.join("config_settings.py"),
        format!("DEBUG = False\nSECRET_KEY = '{old}'\nALLOWED_HOSTS = []\n"),
    )
    .unwrap();
    // The unchanged views file moves too, into a new directory.
    std::fs::create_dir_all(work.join("shop")).unwrap();
    git(&work, &["mv", "app/views.py", "shop/views.py"]);
    git(&work, &["add", "-A"]);
    assert_eq!(verdicts(&work, "Move settings"), (true, 0, true));
}

#[test]
fn a_new_secret_fails_every_gate_and_is_blamed_on_its_commit() {
    let mut sandbox = Sandbox::new(105);
    let (_server, work, _old) = history_with_an_old_secret(&mut sandbox);
    let new = sandbox.django_key();
    std::fs::write(
        work.join("app/views.py"),
        format!("{}SECRET_KEY = '{new}'\n", views(1)),
    )
    .unwrap();
    git(&work, &["add", "-A"]);
    assert_eq!(verdicts(&work, "Inline secret"), (false, 1, false));
    let (_, report) = scan_json(&work, &["--range", "origin/main..HEAD"]);
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "only the new key: {report}");
    assert_eq!(findings[0]["secret"], new.as_str());
    let location = &findings[0]["locations"][0];
    assert_eq!(location["path"], "app/views.py");
    assert_eq!(location["commit"]["id"], git(&work, &["rev-parse", "HEAD"]));
}

#[test]
fn a_merge_reports_only_what_its_resolution_added() {
    let mut sandbox = Sandbox::new(106);
    let origin = sandbox.bare("origin.git");
    let work = sandbox.clone(&origin, "work");
    commit_file(&work, "app.py", "print('base')\n", "Base");
    git(&work, &["checkout", "-q", "-b", "feature"]);
    let branch_key = sandbox.django_key();
    commit_file(
        &work,
        "feature.py",
        &format!("SECRET_KEY = '{branch_key}'\n"),
        "Feature with a key",
    );
    git(&work, &["checkout", "-q", "-"]);
    commit_file(&work, "app.py", "print('main')\n", "Main moves on");
    git(
        &work,
        &["merge", "-q", "--no-ff", "-m", "Merge feature", "feature"],
    );
    // The feature's own commit is outside the range: the merge did not add its key.
    let (code, report) = scan_json(&work, &["--range", "feature..HEAD"]);
    assert_eq!(code, 0, "{report}");
    // A resolution that adds a line is the merge's own.
    git(&work, &["checkout", "-q", "feature"]);
    commit_file(&work, "app.py", "print('feature')\n", "Feature edits app");
    git(&work, &["checkout", "-q", "-"]);
    let merged = try_git(&work, &["merge", "-q", "-m", "Merge again", "feature"]);
    assert!(!merged.status.success(), "the merge conflicts");
    let resolved_key = sandbox.django_key();
    std::fs::write(
        work.join("app.py"),
        format!("print('both')\nSECRET_KEY = '{resolved_key}'\n"),
    )
    .unwrap();
    git(&work, &["add", "app.py"]);
    git(&work, &["commit", "-q", "--no-edit"]);
    let (code, report) = scan_json(&work, &["--range", "feature..HEAD"]);
    assert_eq!(code, 1, "{report}");
    let secrets: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["secret"].as_str().unwrap())
        .collect();
    assert_eq!(secrets, [resolved_key.as_str()]);
}
