//! Reports people can act on at real scale: thousands of pull-request refs are summarised, a
//! branch-only secret names its branch and the way to delete it, locations are grouped by path
//! in history order, a private key is one line, the AWS key id is shown where commands need it,
//! and the human output ends with the next step.

use std::io::Write;
use std::process::{Command, Stdio};

use crate::fixtures::{blobhound, scan_json};
use crate::sandbox::{commit_file, git, Sandbox};

/// A repository whose history holds a key held by 3,000 pull-request refs and 40 tags, a key
/// only on a feature branch, an AWS pair and a private key, each edited in several commits.
fn big_refs_repo(seed: u64) -> (Sandbox, std::path::PathBuf, String, String) {
    let mut sandbox = Sandbox::new(seed);
    let repo = sandbox.work();
    let key = sandbox.django_key();
    for i in 0..6 {
        commit_file(
            &repo,
            "shop/settings.py",
            &format!("DEBUG = {i}\nSECRET_KEY = '{key}'\n"),
            &format!("Settings {i}"),
        );
    }
    let (key_id, secret) = sandbox.aws_pair();
    commit_file(
        &repo,
        "deploy/.env",
        &format!("AWS_ACCESS_KEY_ID={key_id}\nAWS_SECRET_ACCESS_KEY={secret}\n"),
        "Deploy settings",
    );
    let body: Vec<String> = (0..20)
        .map(|_| {
            sandbox.random(
                b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
                64,
            )
        })
        .collect();
    commit_file(
        &repo,
        "deploy/id_rsa",
        &format!(
            "-----BEGIN RSA PRIVATE KEY-----\n{}\n-----END RSA PRIVATE KEY-----\n",
            body.join("\n")
        ),
        "Deploy key",
    );
    let head = git(&repo, &["rev-parse", "HEAD"]).trim().to_string();
    let mut refs = String::new();
    for i in 0..3000 {
        refs.push_str(&format!("create refs/pull/{i}/head {head}\n"));
    }
    for i in 0..40 {
        refs.push_str(&format!("create refs/tags/v1.{i} {head}\n"));
    }
    let mut child = Command::new("git")
        .args(["update-ref", "--stdin"])
        .current_dir(&repo)
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(refs.as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success());
    // Removed from main, so that only history holds the key.
    git(&repo, &["rm", "-q", "shop/settings.py", "deploy/id_rsa"]);
    git(&repo, &["commit", "-q", "-m", "Remove settings"]);
    let default = git(&repo, &["rev-parse", "--abbrev-ref", "HEAD"])
        .trim()
        .to_string();
    git(&repo, &["checkout", "-q", "-b", "experiment"]);
    let branch_key = sandbox.django_key();
    commit_file(
        &repo,
        "shop/local.py",
        &format!("SECRET_KEY = '{branch_key}'\n"),
        "Local settings",
    );
    git(&repo, &["checkout", "-q", &default]);
    (sandbox, repo, key_id, default)
}

#[test]
fn plans_and_human_output_stay_small_with_thousands_of_refs() {
    let (sandbox, repo, key_id, default) = big_refs_repo(1901);
    let (code, report) = scan_json(&repo, &[]);
    assert_eq!(code, 1, "{report}");
    let most_refs = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["refs"].as_array().unwrap().len())
        .max()
        .unwrap();
    assert!(most_refs > 3000, "the JSON report keeps every ref");
    let path = sandbox.path("report.json");
    std::fs::write(&path, serde_json::to_string(&report).unwrap()).unwrap();
    let output = blobhound(&["advise", path.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0));
    let plan = String::from_utf8(output.stdout).unwrap();
    let longest = plan.lines().map(str::len).max().unwrap();
    assert!(longest <= 200, "longest plan line {longest}");
    assert!(plan.len() < 40_000, "plan of {} bytes", plan.len());
    // Prose is wrapped; read it as a renderer would.
    let flat = plan.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains(&format!(
            "held by branch {default}, 1 other branch, 40 tags, 3,000 pull-request refs"
        )),
        "{plan}"
    );
    assert!(
        plan.contains(&key_id),
        "the key id is shown for the commands: {plan}"
    );
    let shown = blobhound(&["advise", path.to_str().unwrap(), "--show-secrets"]);
    let shown = String::from_utf8(shown.stdout).unwrap();
    assert!(shown.contains("RSA private key ("), "{shown}");
    assert!(shown.lines().map(str::len).max().unwrap() <= 200);
    assert!(
        plan.contains("git push origin --delete experiment"),
        "{plan}"
    );
    assert!(!flat.contains("refs/pull/1"), "no ref is listed one by one");

    let output = blobhound(&["scan", repo.to_str().unwrap(), "--no-progress"]);
    let human = String::from_utf8(output.stdout).unwrap();
    let longest = human.lines().map(str::len).max().unwrap();
    assert!(longest <= 600, "longest human line {longest}");
    assert!(human.contains("RSA private key ("), "{human}");
    assert!(!human.contains("-----BEGIN"), "no key body: {human}");
    assert!(
        human.contains(&format!(
            "removed from HEAD, still in the history of branch {default}, 1 other branch, 40 tags, 3,000 pull-request refs"
        )),
        "{human}"
    );
    assert!(
        human.contains("still in the history of branch experiment")
            && human.contains("branch   if it is no longer needed, delete it: git push origin --delete experiment"),
        "{human}"
    );
    // One line per path, in history order: settings.py's six versions are one line.
    let also: Vec<&str> = human.lines().filter(|l| l.starts_with("  also")).collect();
    assert!(
        also.iter()
            .any(|l| l.contains("shop/settings.py") && l.contains("4 more versions")),
        "{also:#?}"
    );
    assert!(
        human.contains("Next: the rotation plan") && human.contains("blobhound advise report.json"),
        "{human}"
    );
    // Redacted, the AWS key id is still shown (it is not a secret), the secret is not.
    let output = blobhound(&["scan", repo.to_str().unwrap(), "--no-progress", "--redact"]);
    let redacted = String::from_utf8(output.stdout).unwrap();
    assert!(
        redacted.contains(&format!("access_key_id={key_id}")),
        "{redacted}"
    );
}
