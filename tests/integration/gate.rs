//! The CI gate: `--range`, `--since`, baselines and SARIF.

use std::path::Path;

use serde_json::Value;

use crate::fixtures::{blobhound, find, scan_json};
use crate::sandbox::{commit_file, Sandbox};

/// A repository with a clean base commit; returns (sandbox, repo, base commit).
fn repo_with_base(seed: u64) -> (Sandbox, std::path::PathBuf, String) {
    let sandbox = Sandbox::new(seed);
    let origin = sandbox.bare("origin.git");
    let repo = sandbox.clone(&origin, "work");
    let base = commit_file(&repo, "app.py", "print('hello')\n", "Base");
    (sandbox, repo, base)
}

#[test]
fn a_range_finds_a_secret_added_and_removed_inside_it() {
    let (mut sandbox, repo, base) = repo_with_base(31);
    let key = sandbox.django_key();
    let added = commit_file(
        &repo,
        "settings.py",
        &format!("SECRET_KEY = '{key}'\n"),
        "Add key",
    );
    commit_file(
        &repo,
        "settings.py",
        "SECRET_KEY = os.environ['SECRET_KEY']\n",
        "Remove key",
    );
    let range = format!("{base}..HEAD");
    let (code, report) = scan_json(&repo, &["--range", &range]);
    assert_eq!(code, 1);
    let finding = find(&report, "django-secret-key", &key).expect("found inside the range");
    assert_eq!(finding["locations"][0]["commit"]["id"], added);
    assert_eq!(finding["in_head"], false);
    assert_eq!(report["stats"]["commits"], 2);
}

#[test]
fn a_range_ignores_what_came_before_it_and_since_means_up_to_head() {
    let (mut sandbox, repo, _) = repo_with_base(32);
    let key = sandbox.django_key();
    commit_file(
        &repo,
        "settings.py",
        &format!("SECRET_KEY = '{key}'\n"),
        "Add key",
    );
    let after = commit_file(
        &repo,
        "views.py",
        "def v(request):\n    return None\n",
        "Add view",
    );
    let (code, report) = scan_json(&repo, &["--range", &format!("{after}~1..{after}")]);
    assert_eq!(code, 0, "{report}");
    let (code, _) = scan_json(&repo, &["--since", &format!("{after}~1")]);
    assert_eq!(code, 0);
    let (code, _) = scan_json(&repo, &["--since", &format!("{after}~2")]);
    assert_eq!(code, 1);
}

#[test]
fn bad_ranges_are_errors() {
    let (_sandbox, repo, _) = repo_with_base(33);
    for range in ["HEAD", "nosuchref..HEAD", "..HEAD"] {
        let output = blobhound(&["scan", repo.to_str().unwrap(), "--range", range]);
        assert_eq!(output.status.code(), Some(2), "{range}");
    }
}

#[test]
fn a_baseline_drops_known_findings_but_not_a_new_secret_on_the_same_line() {
    let (mut sandbox, repo, _) = repo_with_base(34);
    let old = sandbox.django_key();
    commit_file(
        &repo,
        "settings.py",
        &format!("SECRET_KEY = '{old}'\n"),
        "Add key",
    );
    let baseline = sandbox.path("baseline.json");
    let output = blobhound(&[
        "baseline",
        "create",
        repo.to_str().unwrap(),
        "--output",
        baseline.to_str().unwrap(),
    ]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = std::fs::read_to_string(&baseline).unwrap();
    assert!(!text.contains(&old), "a baseline never holds a secret");
    let (code, _) = scan_json(&repo, &["--baseline", baseline.to_str().unwrap()]);
    assert_eq!(code, 0, "everything is baselined");
    // The same line now holds a new key next to the old one.
    let new = sandbox.django_key();
    commit_file(
        &repo,
        "settings.py",
        &format!("SECRET_KEY = '{old}' if DEBUG else os.environ.get('SECRET_KEY', '{new}')\n"),
        "Add fallback",
    );
    let (code, report) = scan_json(&repo, &["--baseline", baseline.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(find(&report, "django-secret-key", &new).is_some());
    assert!(find(&report, "django-secret-key", &old).is_none());
}

fn sarif_schema() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sarif-schema-2.1.0.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn sarif_output_validates_against_the_sarif_2_1_0_schema() {
    let (mut sandbox, repo, _) = repo_with_base(35);
    let key = sandbox.django_key();
    commit_file(
        &repo,
        "shop/settings.py",
        &format!("DEBUG = 1\nSECRET_KEY = '{key}'\n"),
        "Add key",
    );
    commit_file(
        &repo,
        "shop/prod.py",
        &format!("SECRET_KEY = '{key}'\n"),
        "Copy key",
    );
    let output = blobhound(&["scan", repo.to_str().unwrap(), "--format", "sarif"]);
    assert_eq!(output.status.code(), Some(1));
    let sarif: Value = serde_json::from_slice(&output.stdout).unwrap();
    let schema = sarif_schema();
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let run = &sarif["runs"][0];
    assert_eq!(sarif["version"], "2.1.0");
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert!(rules.iter().any(|r| r["id"] == "django-secret-key"
        && r["help"]["text"].as_str().is_some_and(|t| !t.is_empty())));
    let result = &run["results"][0];
    assert_eq!(result["ruleId"], "django-secret-key");
    assert_eq!(
        result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "shop/settings.py"
    );
    assert_eq!(
        result["locations"][0]["physicalLocation"]["region"]["startLine"],
        2
    );
    assert!(result["partialFingerprints"]["blobhound/v2"]
        .as_str()
        .is_some_and(|f| f.starts_with("argon2id:") && f.len() == 73));
    assert!(
        !String::from_utf8_lossy(&output.stdout).contains(&key),
        "SARIF never carries the secret"
    );
}

#[test]
fn the_sarif_schema_check_can_fail() {
    let validator = jsonschema::validator_for(&sarif_schema()).unwrap();
    let broken = serde_json::json!({"version": "2.1.0", "runs": [{"results": []}]});
    assert!(
        !validator.is_valid(&broken),
        "a run without a tool is not SARIF"
    );
}
