//! What a user reads when something is wrong: one clear sentence, the cause printed once, no
//! library internals, and never megabytes of their own input echoed back.

use std::io::Write;
use std::process::{Command, Stdio};

use crate::fixtures::{blobhound, broken};
use crate::sandbox::{commit_file, git, Sandbox};

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn small_repo(sandbox: &Sandbox) -> std::path::PathBuf {
    let repo = sandbox.work();
    for i in 0..3 {
        commit_file(
            &repo,
            "notes.txt",
            &format!("note {i}\n"),
            &format!("Note {i}"),
        );
    }
    repo
}

#[test]
fn a_range_past_the_root_says_so_in_words() {
    let sandbox = Sandbox::new(1310);
    let repo = small_repo(&sandbox);
    let output = blobhound(&["scan", repo.to_str().unwrap(), "--range", "HEAD~100..HEAD"]);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(
        err.contains("HEAD~100") && err.contains("out of range"),
        "{err}"
    );
    assert!(
        !err.contains("delegate") && !err.contains("NthAncestor"),
        "{err}"
    );
    let output = blobhound(&["scan", repo.to_str().unwrap(), "--range", "nosuch..HEAD"]);
    assert!(
        stderr(&output).contains("\"nosuch\" could not be found"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn an_io_error_names_its_cause_once() {
    let sandbox = Sandbox::new(1311);
    let repo = small_repo(&sandbox);
    let missing = sandbox.path("no-such-baseline.json");
    let output = blobhound(&[
        "scan",
        repo.to_str().unwrap(),
        "--baseline",
        missing.to_str().unwrap(),
    ]);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert_eq!(err.matches("No such file or directory").count(), 1, "{err}");
}

#[test]
fn a_sha256_repository_is_named_as_such() {
    let sandbox = Sandbox::new(1312);
    let repo = sandbox.path("sha256");
    git(
        sandbox.path("").as_path(),
        &[
            "init",
            "-q",
            "--object-format=sha256",
            repo.to_str().unwrap(),
        ],
    );
    commit_file(&repo, "a.txt", "a\n", "First");
    let output = blobhound(&["scan", repo.to_str().unwrap()]);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(err.contains("SHA-256"), "{err}");
}

#[test]
fn a_shallow_clone_says_the_history_is_cut_not_that_objects_are_listed() {
    let dir = broken().dir.join("shallow");
    let output = blobhound(&["scan", dir.to_str().unwrap(), "--no-progress"]);
    let out = String::from_utf8_lossy(&output.stdout);
    assert!(
        out.contains("INCOMPLETE: the history scanned is not the whole history"),
        "{out}"
    );
    assert!(!out.contains("listed under"), "{out}");
}

#[test]
fn an_unreadable_pack_index_does_not_claim_its_objects_were_read() {
    let sandbox = Sandbox::new(1313);
    let repo = small_repo(&sandbox);
    git(&repo, &["gc", "-q"]);
    let pack_dir = repo.join(".git/objects/pack");
    let index = std::fs::read_dir(&pack_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "idx"))
        .expect("a pack index");
    let mut permissions = std::fs::metadata(&index).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    permissions.set_readonly(false);
    std::fs::set_permissions(&index, permissions).unwrap();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&index)
        .unwrap()
        .set_len(100)
        .unwrap();
    let output = blobhound(&["scan", repo.to_str().unwrap(), "--no-progress"]);
    let out = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(3), "{out}");
    assert!(out.contains("none of its objects could be listed"), "{out}");
    assert!(!out.contains("read one by one"), "{out}");
}

#[test]
fn a_garbage_line_on_the_hooks_stdin_is_not_echoed_whole() {
    let sandbox = Sandbox::new(1314);
    let server = sandbox.bare("server.git");
    let mut child = Command::new(env!("CARGO_BIN_EXE_blobhound"))
        .args(["hook", "pre-receive"])
        .current_dir(&server)
        .env("GIT_DIR", ".")
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let garbage = "z".repeat(10 << 20) + "\n";
    // The hook may stop reading once it has refused: a closed pipe is fine.
    let _ = child.stdin.take().unwrap().write_all(garbage.as_bytes());
    let output = child.wait_with_output().unwrap();
    let err = stderr(&output);
    assert_eq!(
        output.status.code(),
        Some(1),
        "fails closed: {}",
        &err[..err.len().min(500)]
    );
    assert!(err.len() < 2000, "{} bytes of stderr", err.len());
    assert!(err.contains("not a pre-receive line"), "{err}");
}
