//! Nothing a gate did not read passes it, and what the audit reads beyond files: blobs over the
//! size limit, binary and UTF-16 files, objects a tag points at directly, tag and commit
//! messages, submodules.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::fixtures::{blobhound, find, scan_json};
use crate::hooks::{push, server_and_clone};
use crate::sandbox::{commit_file, git, ref_value, try_git, Sandbox};

/// Runs `git` with `input` on stdin and returns its stdout, trimmed.
fn git_with_input(repo: &Path, args: &[&str], input: &[u8]) -> String {
    let mut child = Command::new("git")
        .current_dir(repo)
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("git runs");
    child.stdin.take().unwrap().write_all(input).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "git {args:?}");
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

fn utf16le(text: &str) -> Vec<u8> {
    let mut out = vec![0xFF, 0xFE];
    for unit in text.encode_utf16() {
        out.extend_from_slice(&unit.to_le_bytes());
    }
    out
}

#[test]
fn a_blob_over_the_size_limit_fails_every_gate_and_names_the_file() {
    let sandbox = Sandbox::new(201);
    let (server, work) = server_and_clone(&sandbox, &["--max-blob-size", "1K"]);
    let installed = blobhound(&[
        "hook",
        "install",
        "--pre-commit",
        work.to_str().unwrap(),
        "--",
        "--max-blob-size",
        "1K",
    ]);
    assert_eq!(installed.status.code(), Some(0));
    std::fs::write(
        work.join("dump.sql"),
        "INSERT INTO t VALUES (1);\n".repeat(200),
    )
    .unwrap();
    git(&work, &["add", "dump.sql"]);
    let blocked = try_git(&work, &["commit", "-q", "-m", "Add a dump"]);
    assert!(
        !blocked.status.success(),
        "pre-commit blocks what it did not scan"
    );
    let message = String::from_utf8_lossy(&blocked.stderr);
    assert!(message.contains("dump.sql"), "{message}");
    assert!(message.contains("over the size limit"), "{message}");
    git(&work, &["commit", "-q", "--no-verify", "-m", "Add a dump"]);

    let output = blobhound(&[
        "scan",
        work.to_str().unwrap(),
        "--range",
        "origin/main..HEAD",
        "--max-blob-size",
        "1K",
        "--format",
        "json",
    ]);
    assert_eq!(
        output.status.code(),
        Some(3),
        "a gate never passes unread blobs"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("dump.sql"), "{stderr}");
    assert!(stderr.contains("--max-blob-size"), "{stderr}");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["complete"], false);
    assert_eq!(report["skipped"][0]["reason"], "too-large");
    assert_eq!(report["skipped"][0]["size"], 5200);
    assert_eq!(report["skipped"][0]["unread"], true);

    let (ok, message) = push(&work, &["HEAD:main"]);
    assert!(!ok, "the hook rejects what it did not scan");
    assert!(message.contains("dump.sql"), "{message}");
    assert!(message.contains("over the size limit"), "{message}");
    let blob = git(&work, &["rev-parse", "HEAD:dump.sql"]);
    let option = format!("blobhound.allow={blob}");
    let (ok, message) = push(&work, &["-o", &option, "HEAD:main"]);
    assert!(ok, "a blob allowed by its id passes: {message}");
    assert_eq!(ref_value(&server, "main"), ref_value(&work, "HEAD"));
}

#[test]
fn binary_and_utf16_files_are_scanned_by_gates_and_utf16_by_audits() {
    let mut sandbox = Sandbox::new(202);
    let origin = sandbox.bare("origin.git");
    let work = sandbox.clone(&origin, "work");
    let base = commit_file(&work, "app.py", "print('hi')\n", "Base");
    let in_binary = sandbox.django_key();
    let in_utf16 = sandbox.django_key();
    let mut binary = vec![0u8, 1, 2, 3, 0, 0];
    binary.extend_from_slice(format!("\nSECRET_KEY = '{in_binary}'\n").as_bytes());
    std::fs::write(work.join("blob.bin"), binary).unwrap();
    std::fs::write(
        work.join("windows.env"),
        utf16le(&format!("DJANGO_SECRET_KEY={in_utf16}\r\nDEBUG=0\r\n")),
    )
    .unwrap();
    git(&work, &["add", "-A"]);
    git(&work, &["commit", "-q", "-m", "Binary and UTF-16"]);
    let (code, report) = scan_json(&work, &["--range", &format!("{base}..HEAD")]);
    assert_eq!(code, 1);
    assert!(
        find(&report, "django-secret-key", &in_binary).is_some(),
        "{report}"
    );
    let utf16 = find(&report, "django-secret-key", &in_utf16).expect("UTF-16 decoded");
    assert_eq!(utf16["locations"][0]["path"], "windows.env");
    assert_eq!(utf16["locations"][0]["line"], 1);
    let (code, audit) = scan_json(&work, &[]);
    assert_eq!(code, 1);
    assert!(find(&audit, "django-secret-key", &in_utf16).is_some());
}

#[test]
fn a_tag_pointing_straight_at_a_blob_or_tree_and_tag_messages_are_scanned_by_the_hook() {
    let mut sandbox = Sandbox::new(203);
    let (server, work) = server_and_clone(&sandbox, &[]);
    let key = sandbox.django_key();
    let blob = git_with_input(
        &work,
        &["hash-object", "-w", "--stdin"],
        format!("DJANGO_SECRET_KEY={key}\n").as_bytes(),
    );
    git(&work, &["tag", "leak", &blob]);
    let (ok, message) = push(&work, &["refs/tags/leak"]);
    assert!(!ok, "a tag at a blob is scanned: {message}");
    assert_eq!(ref_value(&server, "refs/tags/leak"), None);

    let tree = git_with_input(
        &work,
        &["mktree"],
        format!("100644 blob {blob}\tsettings.env\n").as_bytes(),
    );
    git(&work, &["tag", "tree-leak", &tree]);
    let (ok, message) = push(&work, &["refs/tags/tree-leak"]);
    assert!(!ok, "a tag at a tree is scanned: {message}");
    assert!(message.contains("settings.env"), "{message}");

    let other = sandbox.django_key();
    git(
        &work,
        &[
            "tag",
            "-a",
            "v1",
            "-m",
            &format!("Release\n\nDJANGO_SECRET_KEY={other}\n"),
        ],
    );
    let (ok, message) = push(&work, &["refs/tags/v1"]);
    assert!(!ok, "an annotated tag's message is scanned: {message}");
    assert_eq!(ref_value(&server, "refs/tags/v1"), None);

    // The audit reads the same objects: the tag's message, named by its tag, and the blob.
    let (code, audit) = scan_json(&work, &[]);
    assert_eq!(code, 1);
    let in_message = find(&audit, "django-secret-key", &other).expect("tag message audited");
    let location = &in_message["locations"][0];
    assert_eq!(location["source"], "tag-message");
    assert_eq!(location["tag"], "refs/tags/v1");
    assert_eq!(location["blob"], git(&work, &["rev-parse", "v1"]).as_str());
    assert!(find(&audit, "django-secret-key", &key).is_some());
}

#[test]
fn commit_messages_are_scanned_by_the_range_the_hook_and_the_audit() {
    let mut sandbox = Sandbox::new(204);
    let (server, work) = server_and_clone(&sandbox, &[]);
    let key = sandbox.django_key();
    std::fs::write(work.join("README"), "docs\n").unwrap();
    git(&work, &["add", "README"]);
    git(
        &work,
        &[
            "commit",
            "-q",
            "-m",
            &format!("Deploy notes\n\nDJANGO_SECRET_KEY={key}\n"),
        ],
    );
    let commit = git(&work, &["rev-parse", "HEAD"]);
    let (code, report) = scan_json(&work, &["--range", "origin/main..HEAD"]);
    assert_eq!(code, 1);
    let finding = find(&report, "django-secret-key", &key).expect("message scanned");
    let location = &finding["locations"][0];
    assert_eq!(location["source"], "commit-message");
    assert_eq!(location["blob"], commit.as_str());
    assert_eq!(location["commit"]["id"], commit.as_str());
    assert_eq!(location["line"], 3);
    let (code, audit) = scan_json(&work, &[]);
    assert_eq!(code, 1);
    let finding = find(&audit, "django-secret-key", &key).expect("audit reads messages");
    assert_eq!(finding["locations"][0]["commit"]["id"], commit.as_str());
    let (ok, _) = push(&work, &["HEAD:main"]);
    assert!(!ok);
    assert_ne!(ref_value(&server, "main"), Some(commit));
}

#[test]
fn an_audit_lists_submodules_it_did_not_scan() {
    let sandbox = Sandbox::new(205);
    let origin = sandbox.bare("origin.git");
    let work = sandbox.clone(&origin, "work");
    commit_file(&work, "app.py", "print('hi')\n", "Base");
    let pinned = "1234567890abcdef1234567890abcdef12345678";
    git(
        &work,
        &[
            "update-index",
            "--add",
            "--cacheinfo",
            &format!("160000,{pinned},vendor/lib"),
        ],
    );
    git(&work, &["commit", "-q", "-m", "Vendor a library"]);
    let output = blobhound(&["scan", work.to_str().unwrap(), "--format", "json"]);
    assert_eq!(output.status.code(), Some(0));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["submodules"][0]["path"], "vendor/lib");
    assert_eq!(report["submodules"][0]["commit"], pinned);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        report["warnings"][0]
            .as_str()
            .unwrap()
            .contains("vendor/lib"),
        "{report} {stderr}"
    );
}

#[test]
fn an_audit_skips_an_oversized_packed_or_loose_blob_by_its_header_and_reads_the_rest() {
    let mut sandbox = Sandbox::new(206);
    let origin = sandbox.bare("origin.git");
    let work = sandbox.clone(&origin, "work");
    let key = sandbox.django_key();
    commit_file(
        &work,
        "settings.py",
        &format!("SECRET_KEY = '{key}'\n"),
        "Settings",
    );
    commit_file(
        &work,
        "dump.sql",
        &"INSERT INTO t VALUES (1);\n".repeat(400),
        "Dump",
    );
    for packed in [false, true] {
        if packed {
            git(&work, &["gc", "-q"]);
        }
        let (code, report) = scan_json(&work, &["--max-blob-size", "4K"]);
        assert_eq!(code, 1, "packed={packed}: {report}");
        assert!(find(&report, "django-secret-key", &key).is_some());
        let skipped = &report["skipped"][0];
        assert_eq!(skipped["reason"], "too-large", "packed={packed}");
        assert_eq!(
            skipped["size"], 10400,
            "the size comes from the object's header"
        );
        assert_eq!(
            report["complete"], true,
            "an audit's own limit is not a gap"
        );
    }
}
