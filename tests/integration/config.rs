//! `.blobhound.toml`, `--config` and `--exclude`: what they hide is counted, the flag wins over
//! the config, and a repository's config is data that cannot reach outside the repository.

use serde_json::Value;

use crate::fixtures::{blobhound, packed, scan_json};
use crate::sandbox::{commit_file, Sandbox};

fn paths(report: &Value) -> Vec<String> {
    let mut all: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["locations"].as_array().unwrap().iter())
        .map(|l| {
            let path = l["path"].as_str().unwrap_or_default().to_string();
            match l["member"].as_str() {
                Some(member) => format!("{path}!{member}"),
                None => path,
            }
        })
        .collect();
    all.sort();
    all.dedup();
    all
}

fn hidden<'r>(report: &'r Value, filter: &str) -> Option<&'r Value> {
    report["hidden"]
        .as_array()?
        .iter()
        .find(|h| h["filter"] == filter)
}

/// A repository with one Django key in `app/settings.py` and another in a fixture.
fn two_keys(seed: u64) -> (Sandbox, std::path::PathBuf) {
    let mut sandbox = Sandbox::new(seed);
    let repo = sandbox.work();
    let real = sandbox.django_key();
    let fixture = sandbox.django_key();
    commit_file(
        &repo,
        "app/settings.py",
        &format!("SECRET_KEY = '{real}'\n"),
        "Settings",
    );
    commit_file(
        &repo,
        "tests/fixtures/settings.py",
        &format!("SECRET_KEY = '{fixture}'\n"),
        "Fixture",
    );
    (sandbox, repo)
}

#[test]
fn the_repository_config_excludes_paths_and_says_how_many_it_hid() {
    let (_sandbox, repo) = two_keys(1701);
    let (_, before) = scan_json(&repo, &[]);
    assert_eq!(
        paths(&before),
        ["app/settings.py", "tests/fixtures/settings.py"],
        "{before}"
    );
    commit_file(
        &repo,
        ".blobhound.toml",
        "exclude = [\"tests/fixtures/\"]\n",
        "Exclude fixtures",
    );
    let (code, report) = scan_json(&repo, &[]);
    assert_eq!(code, 1);
    assert_eq!(paths(&report), ["app/settings.py"], "{report}");
    assert_eq!(
        hidden(&report, "exclude").unwrap()["findings"],
        1,
        "{report}"
    );
    // --no-config reads none of it.
    let (_, ignored) = scan_json(&repo, &["--no-config"]);
    assert_eq!(paths(&ignored).len(), 2, "{ignored}");
    // A subdirectory of the working tree finds the root's config.
    let (_, from_below) = scan_json(&repo.join("app"), &[]);
    assert!(hidden(&from_below, "exclude").is_some(), "{from_below}");
}

#[test]
fn allow_lists_and_defaults_come_from_the_config_and_flags_win() {
    let (sandbox, repo) = two_keys(1702);
    let config = sandbox.path("team.toml");
    std::fs::write(
        &config,
        "[allow]\ndetectors = [\"django-secret-key\"]\n[scan]\nconfidence = \"low\"\n",
    )
    .unwrap();
    let (code, report) = scan_json(&repo, &["--config", config.to_str().unwrap()]);
    assert_eq!(report["findings"].as_array().unwrap().len(), 0, "{report}");
    assert_eq!(code, 0);
    let allowed = hidden(&report, "allow").unwrap();
    assert_eq!(allowed["findings"], 2, "{report}");
    assert!(allowed["why"].as_str().unwrap().contains("allow.detectors"));
    // The flag wins over the config: --confidence high hides what the config's low showed.
    std::fs::write(
        &config,
        "[scan]\nconfidence = \"low\"\nonly = [\"aws-access-key\"]\n",
    )
    .unwrap();
    let (_, only_aws) = scan_json(&repo, &["--config", config.to_str().unwrap()]);
    assert_eq!(
        only_aws["findings"].as_array().unwrap().len(),
        0,
        "{only_aws}"
    );
    let (_, flag) = scan_json(
        &repo,
        &[
            "--config",
            config.to_str().unwrap(),
            "--only",
            "django-secret-key",
        ],
    );
    assert_eq!(flag["findings"].as_array().unwrap().len(), 2, "{flag}");
}

#[test]
fn exclude_globs_reach_archive_members() {
    let repo = packed().dir.join("repo");
    let (_, all) = scan_json(&repo, &[]);
    assert!(
        paths(&all).contains(&"backups/shop.zip!shop/.env".to_string()),
        "{:?}",
        paths(&all)
    );
    let (_, report) = scan_json(&repo, &["--no-config", "--exclude", ".env"]);
    let left = paths(&report);
    let name = |p: &str| p.rsplit(['/', '!']).next().unwrap_or_default().to_string();
    assert!(left.iter().all(|p| name(p) != ".env"), "{left:?}");
    assert!(
        left.contains(&"deploy/windows/local.env".to_string()),
        "only the name .env"
    );
    assert!(
        left.contains(&"backups/site.tar!site/settings.py".to_string()),
        "{left:?}"
    );
    assert!(hidden(&report, "exclude").is_some(), "{report}");
}

#[test]
fn a_broken_or_reaching_config_is_a_clear_error() {
    let (_sandbox, repo) = two_keys(1703);
    let target = repo.to_str().unwrap();
    std::fs::write(repo.join(".blobhound.toml"), "exclude = \"tests/\"\n").unwrap();
    let output = blobhound(&["scan", target, "--no-progress"]);
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(
        err.contains(".blobhound.toml") && err.contains("sequence"),
        "{err}"
    );
    // A repository's config may not load detectors from outside the repository.
    std::fs::write(
        repo.join(".blobhound.toml"),
        "[scan]\ndetectors = [\"..\"]\n",
    )
    .unwrap();
    let output = blobhound(&["scan", target, "--no-progress"]);
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(err.contains("outside the repository"), "{err}");
    // Nor be a link to a file elsewhere.
    let elsewhere = repo.parent().unwrap().join("elsewhere.toml");
    std::fs::write(&elsewhere, "exclude = []\n").unwrap();
    std::fs::remove_file(repo.join(".blobhound.toml")).unwrap();
    std::os::unix::fs::symlink(&elsewhere, repo.join(".blobhound.toml")).unwrap();
    let output = blobhound(&["scan", target, "--no-progress"]);
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(err.contains("symbolic link"), "{err}");
}

#[test]
fn the_pre_receive_hook_reads_the_servers_config_never_the_pushed_one() {
    use crate::hooks::{push, server_and_clone};
    let mut sandbox = Sandbox::new(1704);
    let (server, work) = server_and_clone(&sandbox, &[]);
    std::fs::write(
        server.join("blobhound.toml"),
        "exclude = [\"tests/fixtures/\"]\n",
    )
    .unwrap();
    let fixture_key = sandbox.django_key();
    commit_file(
        &work,
        "tests/fixtures/settings.py",
        &format!("SECRET_KEY = '{fixture_key}'\n"),
        "Add a fixture",
    );
    let (ok, message) = push(&work, &["HEAD:main"]);
    assert!(ok, "the server's config excludes the fixture: {message}");
    assert!(
        message.contains("not blocking 1 finding: only at excluded paths"),
        "{message}"
    );
    // A config in the pushed commits does not open the gate.
    let key = sandbox.django_key();
    commit_file(
        &work,
        ".blobhound.toml",
        "exclude = [\"*\"]\n",
        "Exclude all",
    );
    commit_file(
        &work,
        "shop/settings.py",
        &format!("SECRET_KEY = '{key}'\n"),
        "Add settings",
    );
    let (ok, message) = push(&work, &["HEAD:main"]);
    assert!(!ok, "a pushed config is never read: {message}");
    assert!(message.contains("shop/settings.py"), "{message}");
}
