//! A full-history audit of `testrepos/history.py`'s repository.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::fixtures::{
    assert_expected_findings, assert_no_decoys, blobhound, find, history, scan_json, secrets,
    synthetic,
};

#[test]
fn every_planted_secret_is_found_at_its_first_commit_and_path() {
    let fixture = history();
    let (code, report) = scan_json(&fixture.dir.join("repo"), &[]);
    assert_eq!(code, 1, "findings mean exit status 1");
    assert_eq!(report["complete"], true);
    assert_expected_findings(&report, &fixture.answers);
}

#[test]
fn no_decoy_is_reported_and_nothing_unexpected_either() {
    let fixture = history();
    let (_, report) = scan_json(&fixture.dir.join("repo"), &[]);
    assert_no_decoys(&report, &fixture.answers);
    let expected = fixture.answers["expected"].as_array().unwrap();
    assert_eq!(
        report["findings"].as_array().unwrap().len(),
        expected.len(),
        "one finding per expected secret: {:?}",
        secrets(&report)
    );
}

#[test]
fn blob_reachable_only_from_a_dangling_commit_has_no_commit_but_names_the_dangling_one() {
    let fixture = history();
    let (_, report) = scan_json(&fixture.dir.join("repo"), &[]);
    let dangling: Vec<&Value> = fixture.answers["expected"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["commit"].is_null())
        .collect();
    assert!(!dangling.is_empty(), "the fixture plants a dangling secret");
    let dangling_commits = fixture.answers["dangling_commits"].as_array().unwrap();
    for e in dangling {
        let f = find(
            &report,
            e["detector"].as_str().unwrap(),
            e["secret"].as_str().unwrap(),
        )
        .expect("dangling secret found");
        let location = &f["locations"][0];
        assert!(location["commit"].is_null());
        assert!(dangling_commits.contains(&location["unreachable_commit"]["id"]));
        assert_eq!(f["in_head"], false);
    }
}

#[test]
fn binary_blobs_are_skipped_and_counted() {
    let (_, report) = scan_json(&history().dir.join("repo"), &[]);
    let binary = report["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["reason"] == "binary")
        .count();
    assert_eq!(binary, 1, "the PNG");
    assert!(report["stats"]["blobs_skipped"].as_u64().unwrap() >= 1);
}

#[test]
fn scanning_binary_blobs_on_request_finds_the_key_inside_the_png() {
    let fixture = history();
    let (_, report) = scan_json(&fixture.dir.join("repo"), &["--scan-binary"]);
    let png_decoy = fixture.answers["decoys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["path"].as_str().is_some_and(|p| p.ends_with(".png")))
        .expect("the fixture has a PNG decoy");
    assert!(secrets(&report).contains(&png_decoy["secret"].as_str().unwrap().to_string()));
}

#[test]
fn a_secret_in_two_files_is_one_finding_with_every_location() {
    let fixture = history();
    let (_, report) = scan_json(&fixture.dir.join("repo"), &[]);
    for e in fixture.answers["expected"].as_array().unwrap() {
        let Some(also) = e["also"].as_array() else {
            continue;
        };
        let f = find(
            &report,
            e["detector"].as_str().unwrap(),
            e["secret"].as_str().unwrap(),
        )
        .unwrap();
        let paths: Vec<&Value> = f["locations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| &l["path"])
            .collect();
        for other in also {
            assert!(
                paths.contains(&&other["path"]),
                "missing location {}",
                other["path"]
            );
        }
    }
}

#[test]
fn results_do_not_depend_on_the_number_of_threads() {
    let repo = history().dir.join("repo");
    let (_, one) = scan_json(&repo, &["--threads", "1"]);
    let (_, two) = scan_json(&repo, &["--threads", "2"]);
    assert_eq!(one["findings"], two["findings"]);
    assert_eq!(one["skipped"], two["skipped"]);
}

#[test]
fn jsonl_prints_one_finding_per_line() {
    let repo = history().dir.join("repo");
    let (_, report) = scan_json(&repo, &[]);
    let output = blobhound(&["scan", repo.to_str().unwrap(), "--format", "jsonl"]);
    let lines: Vec<Value> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    assert_eq!(&Value::Array(lines), &report["findings"]);
}

#[test]
fn redact_never_prints_a_whole_secret_in_any_format() {
    let fixture = history();
    let repo = fixture.dir.join("repo");
    for format in ["human", "json", "jsonl"] {
        let output = blobhound(&[
            "scan",
            repo.to_str().unwrap(),
            "--redact",
            "--format",
            format,
        ]);
        assert_eq!(output.status.code(), Some(1));
        let text = String::from_utf8_lossy(&output.stdout);
        for e in fixture.answers["expected"].as_array().unwrap() {
            let secret = e["secret"].as_str().unwrap();
            assert!(!text.contains(secret), "{format} output shows a secret");
        }
    }
}

#[test]
fn confidence_filter_drops_findings_below_it() {
    let repo = history().dir.join("repo");
    let (_, medium) = scan_json(&repo, &[]);
    let (_, high) = scan_json(&repo, &["--confidence", "high"]);
    let high_findings = high["findings"].as_array().unwrap();
    assert!(high_findings.iter().all(|f| f["confidence"] == "high"));
    let medium_count = medium["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["confidence"] == "medium")
        .count();
    assert!(
        medium_count > 0,
        "the fixture has medium-confidence findings"
    );
    assert_eq!(
        high_findings.len() + medium_count,
        medium["findings"].as_array().unwrap().len()
    );
}

#[test]
fn human_output_names_path_commit_and_advice_without_color_when_piped() {
    let repo = history().dir.join("repo");
    let output = blobhound(&["scan", repo.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(
        !text.contains('\x1b'),
        "no escape codes when stdout is not a terminal"
    );
    assert!(text.contains("Django SECRET_KEY"));
    assert!(text.contains("settings.py:3:"));
    assert!(text.contains("Dev One <dev1@example.test>"));
    assert!(text.contains("fix "));
    assert!(text.contains("secrets found"));
}

#[test]
fn history_none_scans_only_the_files_on_disk() {
    let fixture = history();
    let (code, report) = scan_json(&fixture.dir.join("repo"), &["--history", "none"]);
    assert_eq!(code, 1);
    let in_head: Vec<&Value> = fixture.answers["expected"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["in_head"] == true)
        .collect();
    assert!(!in_head.is_empty());
    for e in &in_head {
        assert!(
            find(
                &report,
                e["detector"].as_str().unwrap(),
                e["secret"].as_str().unwrap()
            )
            .is_some(),
            "HEAD secret at {} found on disk",
            e["path"]
        );
    }
    let deleted = fixture.answers["expected"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["in_head"] == false)
        .filter(|e| {
            find(
                &report,
                e["detector"].as_str().unwrap(),
                e["secret"].as_str().unwrap(),
            )
            .is_some()
        })
        .count();
    assert_eq!(deleted, 0, "history-only secrets are not on disk");
}

/// Every file under `dir` with its size, modification time and content.
fn snapshot(dir: &Path) -> BTreeMap<String, (u64, std::time::SystemTime, Vec<u8>)> {
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let entry = entry.unwrap();
            let path = entry.path();
            let meta = entry.metadata().unwrap();
            if meta.is_dir() {
                stack.push(path);
            } else {
                files.insert(
                    path.display().to_string(),
                    (
                        meta.len(),
                        meta.modified().unwrap(),
                        std::fs::read(&path).unwrap(),
                    ),
                );
            }
        }
    }
    files
}

#[test]
fn scanning_never_writes_to_the_repository() {
    let repo = history().dir.join("repo");
    let before = snapshot(&repo);
    let (code, _) = scan_json(&repo, &[]);
    assert_eq!(code, 1);
    let (code, _) = scan_json(&repo, &["--history", "none"]);
    assert_eq!(code, 1);
    assert_eq!(before, snapshot(&repo), "no file added, removed or changed");
}

/// Runs real git with an isolated configuration.
fn git(args: &[&str]) -> std::process::Output {
    let output = std::process::Command::new("git")
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .expect("git runs");
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

#[test]
fn every_distinct_blob_git_knows_is_scanned_or_skipped_exactly_once() {
    let repo = history().dir.join("repo");
    let listing = git(&[
        "-C",
        repo.to_str().unwrap(),
        "cat-file",
        "--batch-all-objects",
        "--batch-check=%(objecttype)",
    ]);
    let blobs = String::from_utf8(listing.stdout)
        .unwrap()
        .lines()
        .filter(|l| *l == "blob")
        .count() as u64;
    let (_, report) = scan_json(&repo, &[]);
    let scanned = report["stats"]["blobs_scanned"].as_u64().unwrap();
    let skipped = report["stats"]["blobs_skipped"].as_u64().unwrap();
    assert_eq!(scanned + skipped, blobs);
}

#[test]
fn objects_borrowed_through_alternates_are_scanned() {
    let fixture = history();
    let shared = fixture.dir.join("shared-clone");
    let _ = std::fs::remove_dir_all(&shared);
    git(&[
        "clone",
        "--quiet",
        "--shared",
        "--no-checkout",
        fixture.dir.join("repo").to_str().unwrap(),
        shared.to_str().unwrap(),
    ]);
    let own_objects = std::fs::read_dir(shared.join(".git/objects/pack"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(own_objects, 0, "a shared clone keeps no packs of its own");
    let (code, report) = scan_json(&shared, &[]);
    assert_eq!(code, 1);
    for e in fixture.answers["expected"].as_array().unwrap() {
        assert!(
            find(
                &report,
                e["detector"].as_str().unwrap(),
                e["secret"].as_str().unwrap()
            )
            .is_some(),
            "{} from the alternate's objects",
            e["path"]
        );
    }
}

#[test]
fn blobs_over_the_size_limit_are_skipped_and_listed() {
    let fixture = history();
    let (_, report) = scan_json(&fixture.dir.join("repo"), &["--max-blob-size", "100K"]);
    let too_large: Vec<&Value> = report["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["reason"] == "too-large")
        .collect();
    assert_eq!(too_large.len(), 1, "the 300 kB minified file");
    let minified = fixture.answers["expected"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["path"].as_str().unwrap().ends_with(".min.js"))
        .expect("fixture has the minified file");
    assert_eq!(too_large[0]["blob"], minified["blob"]);
    assert!(find(
        &report,
        "aws-access-key",
        minified["secret"].as_str().unwrap()
    )
    .is_none());
    assert_eq!(
        report["complete"], true,
        "a size limit the user chose is not a failure"
    );
}

#[test]
fn the_benchmark_history_generator_plants_exactly_what_its_answer_key_says() {
    let fixture = synthetic();
    let (code, report) = scan_json(&fixture.dir.join("repo"), &["--confidence", "low"]);
    assert_eq!(code, 1);
    assert_eq!(report["complete"], true);
    assert_expected_findings(&report, &fixture.answers);
    assert_eq!(
        report["findings"].as_array().unwrap().len(),
        fixture.answers["expected"].as_array().unwrap().len(),
        "no finding beyond the planted ones: {:?}",
        secrets(&report)
    );
}

#[test]
fn a_long_history_traced_on_two_threads_gives_what_one_thread_gives() {
    let fixture = synthetic();
    let repo = fixture.dir.join("repo");
    let (_, one) = scan_json(&repo, &["--threads", "1", "--confidence", "low"]);
    let (_, two) = scan_json(&repo, &["--threads", "2", "--confidence", "low"]);
    assert_expected_findings(&two, &fixture.answers);
    assert_eq!(one["findings"], two["findings"]);
}

#[test]
fn a_missing_blob_is_listed_at_the_path_a_single_thread_meets_first_on_any_thread_count() {
    // 1,100 commits (enough for two threads): a file lives at `old/kept.txt` from the first commit
    // and moves to `new/kept.txt` in the last. History is read newest first, so one thread meets
    // the blob at `new/`; two threads must say the same although the older half sees only `old/`.
    let dir = tempfile::tempdir().expect("temp dir");
    let source = dir.path().join("source.git");
    git(&["init", "--quiet", "--bare", source.to_str().unwrap()]);
    let mut stream = String::new();
    for n in 1..=1100u32 {
        stream.push_str(&format!(
            "commit refs/heads/main\ncommitter Dev One <dev1@example.test> {} +0000\n\
             data 0\n",
            1_600_000_000 + n * 60
        ));
        if n == 1 {
            stream.push_str("M 100644 inline old/kept.txt\ndata 10\nkept text\n");
        }
        if n == 1100 {
            stream.push_str("R old/kept.txt new/kept.txt\n");
        }
        let counter = n.to_string();
        stream.push_str(&format!(
            "M 100644 inline counter.txt\ndata {}\n{counter}\n",
            counter.len()
        ));
    }
    let mut import = std::process::Command::new("git")
        .args(["-C", source.to_str().unwrap(), "fast-import", "--quiet"])
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("git fast-import runs");
    std::io::Write::write_all(import.stdin.as_mut().unwrap(), stream.as_bytes()).unwrap();
    assert!(import.wait().unwrap().success(), "fast-import");
    let kept = git(&[
        "-C",
        source.to_str().unwrap(),
        "rev-parse",
        "main:new/kept.txt",
    ]);
    let kept = String::from_utf8(kept.stdout).unwrap().trim().to_string();

    let clone = dir.path().join("partial.git");
    git(&[
        "clone",
        "--quiet",
        "--bare",
        "--no-local",
        "--filter=blob:none",
        "--upload-pack=git -c uploadpack.allowFilter=true upload-pack",
        &format!("file://{}", source.display()),
        clone.to_str().unwrap(),
    ]);
    for threads in ["1", "2"] {
        let (code, report) = scan_json(&clone, &["--threads", threads]);
        assert_eq!(code, 3, "nothing was read, so nothing can pass");
        let skipped = report["skipped"].as_array().unwrap();
        assert_eq!(skipped.len(), 1101, "1,100 counters and the kept file");
        let entry = skipped
            .iter()
            .find(|s| s["blob"] == kept.as_str())
            .expect("the kept file is listed as missing");
        assert_eq!(entry["detail"], "new/kept.txt", "with --threads {threads}");
    }
}

#[test]
fn findings_name_the_branches_and_tags_that_still_hold_them() {
    let fixture = history();
    let (_, report) = scan_json(&fixture.dir.join("repo"), &[]);
    let refs_at = |path: &str| -> Vec<String> {
        let e = fixture.answers["expected"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["path"] == path)
            .unwrap_or_else(|| panic!("answer key has {path}"));
        let f = find(
            &report,
            e["detector"].as_str().unwrap(),
            e["secret"].as_str().unwrap(),
        )
        .unwrap();
        serde_json::from_value(f["refs"].clone()).unwrap()
    };
    assert_eq!(
        refs_at("deploy/aws_credentials"),
        ["refs/heads/feature/aws"],
        "branch only"
    );
    assert_eq!(
        refs_at("scripts/cache.py"),
        ["refs/tags/v0.9-rc"],
        "tag only"
    );
    assert!(refs_at("settings.py").contains(&"refs/heads/main".to_string()));
}
