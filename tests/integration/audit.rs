//! `blobhound audit ROOT`: a server directory of bare repositories built with real git, in the
//! plain (`owner/name.git`) and GitLab hashed layouts; one finding per secret across them, each
//! location naming its repository; one rotation entry per secret naming every repository; what
//! could not be audited is named and makes the audit exit 3.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::fixtures::blobhound;
use crate::sandbox::{commit_file, git, Sandbox};

fn audit_json(root: &Path, args: &[&str]) -> (i32, Value) {
    let (code, report, _) = audit_run(root, args);
    (code, report)
}

/// `blobhound audit ROOT --format json --no-progress ARGS`: the exit code, the report and
/// stderr.
pub fn audit_run(root: &Path, args: &[&str]) -> (i32, Value, String) {
    let mut all = vec![
        "audit",
        root.to_str().unwrap(),
        "--format",
        "json",
        "--no-progress",
    ];
    all.extend_from_slice(args);
    let output = blobhound(&all);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let report = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}: {stderr}"));
    (output.status.code().unwrap(), report, stderr)
}

/// Pushes `work`'s HEAD to a new bare repository at `root/relative` as its main branch.
pub fn serve(root: &Path, relative: &str, work: &Path) -> PathBuf {
    let path = root.join(relative);
    std::fs::create_dir_all(&path).unwrap();
    git(
        &path,
        &["init", "-q", "--bare", "--initial-branch=main", "."],
    );
    git(work, &["push", "-q", path.to_str().unwrap(), "HEAD:main"]);
    path
}

fn repositories(finding: &Value) -> Vec<String> {
    let mut names: Vec<String> = finding["locations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["repository"].as_str().unwrap().to_string())
        .collect();
    names.dedup();
    names
}

#[test]
fn one_secret_in_three_repositories_is_one_finding_naming_each() {
    let mut sandbox = Sandbox::new(2001);
    let root = sandbox.path("server");
    let work = sandbox.work();
    let (key_id, secret) = sandbox.aws_pair();
    commit_file(
        &work,
        ".env",
        &format!("AWS_ACCESS_KEY_ID={key_id}\nAWS_SECRET_ACCESS_KEY={secret}\n"),
        "Environment",
    );
    serve(&root, "ops/svc1.git", &work);
    serve(&root, "ops/svc2.git", &work);
    let hashed = serve(
        &root,
        "@hashed/6b/86/6b86b273ff34fce19d6b804eff5a3f57.git",
        &work,
    );
    git(&hashed, &["config", "gitlab.fullpath", "ops/svc3"]);
    let wiki = serve(
        &root,
        "@hashed/6b/86/6b86b273ff34fce19d6b804eff5a3f57.wiki.git",
        &work,
    );
    git(&wiki, &["config", "gitlab.fullpath", "ops/svc3.wiki"]);
    let other = sandbox.clone(&root.join("ops/svc1.git"), "other");
    let key = sandbox.django_key();
    commit_file(
        &other,
        "settings.py",
        &format!("SECRET_KEY = '{key}'\n"),
        "Settings",
    );
    serve(&root, "web/site.git", &other);

    let (code, report) = audit_json(&root, &[]);
    assert_eq!(code, 1, "{report}");
    let findings = report["findings"].as_array().unwrap();
    let aws: Vec<&Value> = findings
        .iter()
        .filter(|f| f["detector"] == "aws-access-key")
        .collect();
    assert_eq!(aws.len(), 1, "one finding across the server: {report}");
    assert_eq!(
        repositories(aws[0]),
        [
            "ops/svc1",
            "ops/svc2",
            "ops/svc3",
            "ops/svc3.wiki",
            "web/site"
        ],
        "{report}"
    );
    let django = findings
        .iter()
        .find(|f| f["detector"] == "django-secret-key")
        .unwrap();
    assert_eq!(repositories(django), ["web/site"]);
    // The report is the usual one: its schema holds.
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/report.schema.json"),
        )
        .unwrap(),
    )
    .unwrap();
    assert!(jsonschema::validator_for(&schema)
        .unwrap()
        .is_valid(&report));

    let (_, without) = audit_json(&root, &["--skip-gitlab-companions"]);
    let aws = without["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["detector"] == "aws-access-key")
        .unwrap();
    assert!(!repositories(aws).contains(&"ops/svc3.wiki".to_string()));

    // advise: one entry per secret, naming every repository.
    let path = sandbox.path("audit.json");
    std::fs::write(&path, serde_json::to_string(&report).unwrap()).unwrap();
    let output = blobhound(&["advise", path.to_str().unwrap(), "--format", "json"]);
    let plan: Value = serde_json::from_slice(&output.stdout).unwrap();
    let entries: Vec<&Value> = plan["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["detector"] == "aws-access-key")
        .collect();
    assert_eq!(entries.len(), 1, "{plan}");
    assert_eq!(entries[0]["repositories"].as_array().unwrap().len(), 5);

    // A list of repositories instead of a walk.
    let list = sandbox.path("repos.txt");
    std::fs::write(&list, "server/web/site.git\n").unwrap();
    let (_, listed) = audit_json(&root, &["--repos", list.to_str().unwrap()]);
    let names: Vec<String> = listed["findings"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(repositories)
        .collect();
    assert!(!names.is_empty());
    assert!(names.iter().all(|n| n == "server/web/site"), "{names:?}");
}

#[test]
fn what_could_not_be_audited_is_named_and_the_audit_exits_3() {
    let sandbox = Sandbox::new(2002);
    let root = sandbox.path("server");
    let work = sandbox.work();
    commit_file(&work, "app.py", "print('hello')\n", "First");
    serve(&root, "ops/ok.git", &work);
    // A repository whose branch names a commit that is not there.
    let broken = serve(&root, "ops/broken.git", &work);
    std::fs::write(
        broken.join("refs/heads/lost"),
        "0123456789abcdef0123456789abcdef01234567\n",
    )
    .unwrap();
    let (code, report) = audit_json(&root, &[]);
    assert_eq!(code, 3, "{report}");
    assert_eq!(report["complete"], false);
    let said = report.to_string();
    assert!(said.contains("ops/broken"), "{report}");
    let output = blobhound(&["audit", sandbox.path("nowhere").to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    let output = blobhound(&["audit", root.to_str().unwrap(), "--range", "a..b"]);
    assert_eq!(output.status.code(), Some(2));
}
