//! `blobhound scan URL`: a real `git daemon` on 127.0.0.1 and a `file://` URL. The mirror has
//! every ref (a secret only on an unmerged branch is found), is removed afterwards unless
//! `--keep-clone DIR`, and a password in the URL never reaches the report.

use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::fixtures::{blobhound, find, scan_json};
use crate::sandbox::{commit_file, git, Sandbox};

/// A git daemon serving `base` on a free loopback port; killed when dropped.
struct Daemon {
    child: Child,
    port: u16,
}

impl Daemon {
    fn start(base: &std::path::Path) -> Daemon {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("git")
            .arg("daemon")
            .arg("--reuseaddr")
            .arg("--export-all")
            .arg("--listen=127.0.0.1")
            .arg(format!("--port={port}"))
            .arg(format!("--base-path={}", base.display()))
            .arg(base)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("git daemon starts");
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "git daemon did not listen"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Daemon { child, port }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A server repository with a key on `main` and another only on a feature branch.
fn served(seed: u64) -> (Sandbox, std::path::PathBuf, String, String) {
    let mut sandbox = Sandbox::new(seed);
    let origin = sandbox.bare("origin.git");
    let work = sandbox.clone(&origin, "work");
    let main_key = sandbox.django_key();
    let branch_key = sandbox.django_key();
    commit_file(
        &work,
        "app/settings.py",
        &format!("SECRET_KEY = '{main_key}'\n"),
        "Settings",
    );
    git(&work, &["push", "-q", "origin", "HEAD:main"]);
    git(&work, &["checkout", "-q", "-b", "feature"]);
    commit_file(
        &work,
        "app/local.py",
        &format!("SECRET_KEY = '{branch_key}'\n"),
        "Local",
    );
    git(&work, &["push", "-q", "origin", "feature"]);
    (sandbox, origin, main_key, branch_key)
}

#[test]
fn a_repository_served_by_git_daemon_is_cloned_with_every_ref_and_removed() {
    let (_sandbox, origin, main_key, branch_key) = served(1801);
    let daemon = Daemon::start(origin.parent().unwrap());
    let url = format!("git://127.0.0.1:{}/origin.git", daemon.port);
    let before: Vec<_> = mirrors();
    let (code, report) = scan_json(std::path::Path::new(&url), &[]);
    assert_eq!(code, 1, "{report}");
    assert_eq!(report["target"], url.as_str());
    assert!(
        find(&report, "django-secret-key", &main_key).is_some(),
        "{report}"
    );
    assert!(
        find(&report, "django-secret-key", &branch_key).is_some(),
        "a branch-only secret is in the mirror: {report}"
    );
    assert_eq!(mirrors(), before, "the temporary mirror is removed");
}

#[test]
fn a_file_url_can_keep_its_clone_and_a_bad_url_is_a_clear_error() {
    let (sandbox, origin, main_key, _) = served(1802);
    let url = format!("file://{}", origin.display());
    let keep = sandbox.path("kept.git");
    let (code, report) = scan_json(
        std::path::Path::new(&url),
        &["--keep-clone", keep.to_str().unwrap()],
    );
    assert_eq!(code, 1, "{report}");
    assert!(find(&report, "django-secret-key", &main_key).is_some());
    assert!(keep.join("HEAD").is_file(), "the mirror is kept");
    assert_eq!(
        git(&keep, &["config", "--get", "remote.origin.mirror"]).trim(),
        "true"
    );
    // Nothing listens on this port; the password in the URL is not printed.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let bad = format!("http://ci:s3cr3tT0ken@127.0.0.1:{port}/none.git");
    let output = blobhound(&["scan", &bad, "--no-progress"]);
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(err.contains("cloning http://ci@127.0.0.1"), "{err}");
    assert!(!err.contains("s3cr3tT0ken"), "{err}");
    let output = blobhound(&["scan", ".", "--keep-clone", "x"]);
    assert_eq!(output.status.code(), Some(2));
}

/// The temporary mirrors that exist now.
fn mirrors() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(std::env::temp_dir())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("blobhound-mirror-"))
        .collect();
    names.sort();
    names
}
