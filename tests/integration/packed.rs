//! The decoding layer: secrets in base64, escaped text, notebooks, archives, compressed dumps,
//! SQLite databases and UTF-16 files, found with their member, decodings and cell; decoys left
//! alone; bombs kept within their bounds; the gates applying the same layer.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::{json, Value};

use crate::fixtures::{blobhound, packed, scan_json};
use crate::hooks::{push, server_and_clone};
use crate::sandbox::{git, Sandbox};

fn location_matches(location: &Value, expected: &Value) -> bool {
    let cell = match &location["cell"] {
        Value::Null => Value::Null,
        cell => json!({"table": cell["table"], "column": cell["column"]}),
    };
    let decoded = location.get("decoded").cloned().unwrap_or(json!([]));
    location["path"] == expected["path"]
        && location.get("member").unwrap_or(&Value::Null) == &expected["member"]
        && decoded == expected["decoded"]
        && cell == expected["cell"]
}

#[test]
fn every_encoded_and_packed_form_is_found_where_it_is() {
    let fixture = packed();
    let section = &fixture.answers["repo"];
    let (code, report) = scan_json(&fixture.dir.join("repo"), &[]);
    assert_eq!(code, 1);
    assert_eq!(report["complete"], true, "{}", report["skipped"]);
    let findings = report["findings"].as_array().unwrap();
    let expected = section["expected"].as_array().unwrap();
    assert!(expected.len() >= 25);
    for e in expected {
        let finding = findings
            .iter()
            .find(|f| f["detector"] == e["detector"] && f["secret"] == e["secret"])
            .unwrap_or_else(|| panic!("{} not found: {e}", e["form"]));
        let locations = finding["locations"].as_array().unwrap();
        assert!(
            locations.iter().any(|l| location_matches(l, e)),
            "{}: expected {e}, got {}",
            e["form"],
            finding["locations"]
        );
    }
    // Nothing else is reported: decoded text brings no duplicates and no noise.
    for f in findings {
        assert!(
            expected
                .iter()
                .any(|e| e["detector"] == f["detector"] && e["secret"] == f["secret"]),
            "unexpected finding {} {} at {}",
            f["detector"],
            f["secret"],
            f["locations"][0]
        );
    }
}

#[test]
fn decoys_in_encoded_forms_are_not_reported_at_any_confidence() {
    let fixture = packed();
    let (_, report) = scan_json(&fixture.dir.join("repo"), &["--confidence", "low"]);
    let text = report.to_string();
    for decoy in fixture.answers["repo"]["decoys"].as_array().unwrap() {
        let secret = decoy["secret"].as_str().unwrap();
        assert!(
            !report["findings"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["secret"].as_str().unwrap().contains(secret)),
            "decoy {secret} ({}) reported",
            decoy["why"]
        );
    }
    // Base64 of ordinary text, a notebook's PNG and an archive of documentation yield nothing.
    for path in ["docs/encoding.md", "docs/manual.zip"] {
        assert!(
            !text.contains(&format!("\"path\":\"{path}\"")),
            "{path} reported"
        );
    }
}

#[test]
fn the_human_report_names_the_member_and_the_cell_and_sarif_keeps_regions_to_real_lines() {
    let dir = packed().dir.join("repo");
    let output = blobhound(&["scan", dir.to_str().unwrap(), "--no-progress"]);
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("backups/shop.zip!shop/.env:1:12"), "{text}");
    assert!(text.contains("backups/nested.tar.gz!bundle/keys.zip!aws/credentials:"));
    assert!(text.contains("db.sqlite3 table socialaccount_socialapp column secret rowid 1"));
    assert!(text.contains("(decoded: base64, gzip)"));
    let output = blobhound(&["scan", dir.to_str().unwrap(), "--format", "sarif"]);
    let sarif: Value = serde_json::from_slice(&output.stdout).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let zipped = results
        .iter()
        .map(|r| &r["locations"][0])
        .find(|l| l["physicalLocation"]["artifactLocation"]["uri"] == "backups/shop.zip")
        .expect("a result in the zip");
    assert!(zipped["physicalLocation"]["region"].is_null());
    assert_eq!(zipped["properties"]["origin"]["member"], "shop/.env");
    let escaped = results
        .iter()
        .map(|r| &r["locations"][0])
        .find(|l| l["physicalLocation"]["artifactLocation"]["uri"] == "config/settings.json")
        .expect("a result in the JSON file");
    assert_eq!(escaped["physicalLocation"]["region"]["startLine"], 2);
}

#[test]
fn redacted_reports_hold_no_decoded_secret() {
    let fixture = packed();
    let dir = fixture.dir.join("repo");
    for format in ["json", "human", "sarif", "jsonl"] {
        let output = blobhound(&[
            "scan",
            dir.to_str().unwrap(),
            "--redact",
            "--format",
            format,
            "--confidence",
            "low",
        ]);
        let text = String::from_utf8_lossy(&output.stdout);
        for e in fixture.answers["repo"]["expected"].as_array().unwrap() {
            let secret = e["secret"].as_str().unwrap();
            assert!(!text.contains(secret), "{format} shows {}", e["form"]);
        }
    }
}

#[test]
fn bombs_stay_within_their_bounds_and_leave_the_scan_incomplete() {
    let fixture = packed();
    let section = &fixture.answers["bombs"];
    let (code, report) = scan_json(&fixture.dir.join("bombs"), &[]);
    assert_eq!(code, 3, "{report}");
    assert_eq!(report["complete"], false);
    assert!(report["findings"].as_array().unwrap().is_empty());
    let skipped = report["skipped"].as_array().unwrap();
    for want in section["skipped"].as_array().unwrap() {
        assert!(
            skipped.iter().any(|s| s["path"] == want["path"]
                && s["reason"] == want["reason"]
                && (want["member"].is_null() || s["member"] == want["member"])
                && s["unread"] == true),
            "{want} not among {skipped:?}"
        );
    }
    // The 4 GiB member was refused by its declared size, before a byte was inflated.
    let zeros = skipped
        .iter()
        .find(|s| s["path"] == "zeros.zip")
        .expect("zeros.zip listed");
    assert_eq!(zeros["size"], 4u64 << 30);
    let (_, report) = scan_json(&fixture.dir.join("bombs"), &["--max-members", "5"]);
    let many = &section["many_members"];
    assert!(report["skipped"].as_array().unwrap().iter().any(|s| {
        s["path"] == many["path"]
            && s["reason"] == "archive-limit"
            && s["detail"]
                .as_str()
                .unwrap()
                .contains(&format!("holds {} members", many["members"]))
    }));
}

#[test]
fn no_decode_reads_archives_as_binary_and_finds_nothing_inside() {
    let dir = packed().dir.join("repo");
    let (_, report) = scan_json(&dir, &["--no-decode"]);
    let text = report.to_string();
    assert!(!text.contains("shop/.env"));
    assert!(report["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["reason"] == "binary"));
}

/// Writes a zip built by Python's zipfile at `path` in `repo`, holding `members`.
fn write_zip(repo: &Path, path: &str, members: &[(&str, &str)]) {
    let file = repo.join(path);
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    let script = "import json, sys, zipfile\n\
                  spec = json.load(sys.stdin)\n\
                  with zipfile.ZipFile(spec['path'], 'w', zipfile.ZIP_DEFLATED) as z:\n\
                  \x20   for name, text in spec['members']:\n\
                  \x20       info = zipfile.ZipInfo(name, date_time=(2021, 1, 4, 10, 0, 0))\n\
                  \x20       info.compress_type = zipfile.ZIP_DEFLATED\n\
                  \x20       z.writestr(info, text)\n";
    let mut child = Command::new("python3")
        .args(["-c", script])
        .stdin(Stdio::piped())
        .spawn()
        .expect("python3");
    let spec = json!({"path": file, "members": members});
    child
        .stdin
        .take()
        .unwrap()
        .write_all(spec.to_string().as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success());
}

fn commit_all(repo: &Path, message: &str) -> String {
    git(repo, &["add", "-A"]);
    git(repo, &["commit", "-q", "-m", message]);
    git(repo, &["rev-parse", "HEAD"])
}

#[test]
fn a_range_reports_only_what_a_recommitted_archive_added() {
    let mut sandbox = Sandbox::new(151);
    let repo = sandbox.work();
    let (old, new) = (sandbox.django_key(), sandbox.django_key());
    write_zip(
        &repo,
        "backups/shop.zip",
        &[("shop/.env", &format!("SECRET_KEY={old}\n"))],
    );
    let first = commit_all(&repo, "Backup");
    write_zip(
        &repo,
        "backups/shop.zip",
        &[
            ("shop/.env", &format!("SECRET_KEY={old}\n")),
            ("shop/README.txt", "notes\n"),
            ("shop/local.env", &format!("SECRET_KEY={new}\n")),
        ],
    );
    let second = commit_all(&repo, "Backup again");
    let (code, report) = scan_json(&repo, &["--range", &format!("{first}..{second}")]);
    assert_eq!(code, 1, "{report}");
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0]["secret"], new.as_str());
    let location = &findings[0]["locations"][0];
    assert_eq!(location["member"], "shop/local.env");
    assert_eq!(location["commit"]["id"], second.as_str());
    // The whole history still holds both.
    let (_, report) = scan_json(&repo, &[]);
    assert_eq!(report["findings"].as_array().unwrap().len(), 2);
}

#[test]
fn a_push_of_an_archive_holding_a_secret_is_rejected_naming_the_member() {
    let mut sandbox = Sandbox::new(152);
    let (_server, work) = server_and_clone(&sandbox, &[]);
    let key = sandbox.django_key();
    write_zip(
        &work,
        "backups/shop.zip",
        &[("shop/.env", &format!("SECRET_KEY={key}\n"))],
    );
    commit_all(&work, "Add a backup");
    let (accepted, message) = push(&work, &["HEAD:main"]);
    assert!(!accepted, "{message}");
    assert!(message.contains("backups/shop.zip!shop/.env"), "{message}");
    assert!(!message.contains(&key), "{message}");
}

#[test]
fn a_push_with_an_archive_member_the_hook_cannot_read_is_rejected() {
    let sandbox = Sandbox::new(153);
    let (_server, work) = server_and_clone(&sandbox, &["--max-blob-size", "64K"]);
    // 200 KiB that compresses to a few: the archive is under the limit, its member is not.
    let filler: String = (0..20_000).map(|i| format!("row {i}: ok\n")).collect();
    write_zip(&work, "data/dump.zip", &[("dump.txt", &filler)]);
    commit_all(&work, "Add a dump");
    let (accepted, message) = push(&work, &["HEAD:main"]);
    assert!(!accepted, "{message}");
    assert!(message.contains("data/dump.zip!dump.txt"), "{message}");
}
