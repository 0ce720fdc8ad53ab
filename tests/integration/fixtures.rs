//! Builds the fixture repositories once per test run (with the `testrepos/` scripts and real git)
//! and runs the binary against them.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use serde_json::Value;

/// A built fixture: its directory and answer key.
pub struct Fixture {
    pub dir: PathBuf,
    pub answers: Value,
}

fn build(script: &str) -> Fixture {
    build_with(script, &[])
}

fn build_with(script: &str, args: &[&str]) -> Fixture {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("fixture-{script}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let status = Command::new("python3")
        .arg(root.join("testrepos").join(format!("{script}.py")))
        .arg(&dir)
        .args(args)
        .status()
        .expect("python3 must be installed to build fixtures");
    assert!(status.success(), "testrepos/{script}.py failed");
    let answers = std::fs::read_to_string(dir.join("answers.json")).expect("answers.json");
    Fixture {
        dir,
        answers: serde_json::from_str(&answers).expect("answers.json parses"),
    }
}

/// `testrepos/history.py`: one repository with secrets planted across its history.
pub fn history() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| build("history"))
}

/// `testrepos/broken.py`: damaged, partial, shallow, bare and plain variants.
pub fn broken() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| build("broken"))
}

/// `testrepos/packed.py`: secrets in encoded and packed forms, and bombs.
pub fn packed() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| build("packed"))
}

/// `testrepos/synthetic.py` at 1,200 commits: the benchmark generator, small enough for a test
/// and long enough that tracing history splits its trees between two threads (it does from 1,024
/// commits on).
pub fn synthetic() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| build_with("synthetic", &["--commits", "1200"]))
}

/// Runs the binary with `args`, never fetching anything.
pub fn blobhound(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_blobhound"))
        .args(args)
        .env("GIT_NO_LAZY_FETCH", "1")
        .env("GIT_CEILING_DIRECTORIES", env!("CARGO_TARGET_TMPDIR"))
        .env_remove("NO_COLOR")
        .output()
        .expect("run blobhound")
}

/// Runs a JSON scan of `target` with extra `args`; returns the exit code and the parsed report.
pub fn scan_json(target: &Path, args: &[&str]) -> (i32, Value) {
    scan_json_env(target, args, &[])
}

/// Like [`scan_json`], with extra environment variables.
pub fn scan_json_env(target: &Path, args: &[&str], env: &[(&str, &str)]) -> (i32, Value) {
    let target = target.to_str().expect("utf-8 path");
    let mut all = vec!["scan", target, "--format", "json", "--no-progress"];
    all.extend_from_slice(args);
    let output = Command::new(env!("CARGO_BIN_EXE_blobhound"))
        .args(&all)
        .env("GIT_NO_LAZY_FETCH", "1")
        // Fixtures live under the build directory, inside this project's own checkout: a plain
        // directory there must not be taken for a subdirectory of it.
        .env("GIT_CEILING_DIRECTORIES", env!("CARGO_TARGET_TMPDIR"))
        .envs(env.iter().copied())
        .output()
        .expect("run blobhound");
    let code = output.status.code().expect("exit code");
    let report = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "report is not JSON ({e}); stderr: {}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (code, report)
}

/// The finding with this detector and secret, if reported.
pub fn find<'r>(report: &'r Value, detector: &str, secret: &str) -> Option<&'r Value> {
    report["findings"]
        .as_array()
        .expect("findings array")
        .iter()
        .find(|f| f["detector"] == detector && f["secret"] == secret)
}

/// Every reported secret.
pub fn secrets(report: &Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .expect("findings array")
        .iter()
        .map(|f| f["secret"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// Asserts that every expected entry of an answer-key section is reported with its first location.
pub fn assert_expected_findings(report: &Value, section: &Value) {
    let expected = section["expected"].as_array().expect("expected list");
    assert!(!expected.is_empty());
    for e in expected {
        let detector = e["detector"].as_str().unwrap();
        let secret = e["secret"].as_str().unwrap();
        let finding = find(report, detector, secret).unwrap_or_else(|| {
            panic!(
                "missing {detector} finding at {} ({})",
                e["path"], e["note"]
            )
        });
        let first = &finding["locations"][0];
        assert_eq!(first["path"], e["path"], "{detector} path");
        assert_eq!(first["line"], e["line"], "{detector} line at {}", e["path"]);
        assert_eq!(first["blob"], e["blob"], "{detector} blob at {}", e["path"]);
        let commit = &first["commit"];
        if e["commit"].is_null() {
            assert!(
                commit.is_null(),
                "{detector} at {}: expected no commit",
                e["path"]
            );
        } else {
            assert_eq!(
                commit["id"], e["commit"],
                "{detector} first commit at {}",
                e["path"]
            );
            assert_eq!(commit["summary"], e["commit_summary"]);
        }
        if let Some(in_head) = e["in_head"].as_bool() {
            assert_eq!(
                finding["in_head"], in_head,
                "{detector} in_head at {}",
                e["path"]
            );
        }
        for (name, want) in e["fields"].as_object().into_iter().flatten() {
            let got = &finding["fields"][name];
            let got = got.as_str().map_or_else(|| got.to_string(), str::to_string);
            assert_eq!(Some(got.as_str()), want.as_str(), "{detector} field {name}");
        }
    }
}

/// Asserts that no decoy and no listed-absent secret was reported.
pub fn assert_no_decoys(report: &Value, section: &Value) {
    let reported = secrets(report);
    for decoy in section["decoys"].as_array().into_iter().flatten() {
        let secret = decoy["secret"].as_str().unwrap();
        assert!(
            !reported.iter().any(|s| s == secret),
            "decoy reported: {secret:?} ({})",
            decoy["why"]
        );
    }
    for absent in section["absent_secrets"].as_array().into_iter().flatten() {
        let secret = absent.as_str().unwrap();
        assert!(
            !reported.iter().any(|s| s == secret),
            "absent secret reported"
        );
    }
}
