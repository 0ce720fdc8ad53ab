//! Live verification against real services on loopback: PostgreSQL, MariaDB and Redis started by
//! `servers`, and a moto STS that enforces authentication; plus the SigV4 signature checked
//! against botocore, an independent implementation.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, UNIX_EPOCH};

use serde_json::Value;

use crate::fixtures::{find, scan_json, scan_json_env};
use crate::sandbox::{commit_file, Sandbox};
use crate::servers;

/// A repository whose one commit holds `content` in `path`.
fn repo_with(seed: u64, path: &str, content: &str) -> (Sandbox, PathBuf) {
    let sandbox = Sandbox::new(seed);
    let origin = sandbox.bare("origin.git");
    let repo = sandbox.clone(&origin, "work");
    commit_file(&repo, path, content, "Add configuration");
    (sandbox, repo)
}

fn status(finding: &Value) -> &str {
    finding["verification"]["status"]
        .as_str()
        .unwrap_or_default()
}

/// A password of the same shape as the real one, derived from it, but wrong.
fn wrong(password: &str) -> String {
    password.chars().rev().collect::<String>() + "x9"
}

fn database_url_findings(scheme: &str, db: &servers::Database, seed: u64) -> (Value, Value) {
    let good = format!(
        "{scheme}://{}:{}@{}:{}/{}",
        db.user, db.password, db.host, db.port, db.database
    );
    let bad = format!(
        "{scheme}://{}:{}@{}:{}/{}",
        db.user,
        wrong(&db.password),
        db.host,
        db.port,
        db.database
    );
    let (_sandbox, repo) = repo_with(
        seed,
        ".env",
        &format!("DATABASE_URL={good}\nREPLICA_URL={bad}\n"),
    );
    let (code, report) = scan_json(&repo, &["--verify", "--verify-private"]);
    assert_eq!(code, 1);
    let live = find(&report, "database-url", &db.password)
        .expect("right password found")
        .clone();
    let dead = find(&report, "database-url", &wrong(&db.password))
        .expect("wrong password found")
        .clone();
    (live, dead)
}

#[test]
fn postgres_credentials_are_live_with_the_right_password_and_invalid_with_a_wrong_one() {
    let Some(db) = servers::postgres() else {
        return;
    };
    let (live, dead) = database_url_findings("postgresql", db, 41);
    assert_eq!(status(&live), "live", "{live}");
    assert_eq!(status(&dead), "invalid", "{dead}");
}

#[test]
fn mariadb_credentials_are_live_with_the_right_password_and_invalid_with_a_wrong_one() {
    let Some(db) = servers::mariadb() else { return };
    let (live, dead) = database_url_findings("mysql", db, 42);
    assert_eq!(status(&live), "live", "{live}");
    assert_eq!(status(&dead), "invalid", "{dead}");
}

#[test]
fn redis_credentials_are_live_with_the_right_password_and_invalid_with_a_wrong_one() {
    let Some(db) = servers::redis() else { return };
    let good = format!("redis://:{}@{}:{}/0", db.password, db.host, db.port);
    let bad = format!("redis://:{}@{}:{}/0", wrong(&db.password), db.host, db.port);
    let (_sandbox, repo) = repo_with(
        43,
        "settings.py",
        &format!("CACHE_URL = '{good}'\nBROKER_URL = '{bad}'\n"),
    );
    let (_, report) = scan_json(&repo, &["--verify", "--verify-private"]);
    let live = find(&report, "database-url", &db.password).expect("found");
    let dead = find(&report, "database-url", &wrong(&db.password)).expect("found");
    assert_eq!(status(live), "live", "{live}");
    assert_eq!(status(dead), "invalid", "{dead}");
}

#[test]
fn django_databases_entries_are_verified_with_their_engine_user_and_host() {
    let Some(db) = servers::postgres() else {
        return;
    };
    let settings = format!(
        "DATABASES = {{\n    'default': {{\n        'ENGINE': 'django.db.backends.postgresql',\n        'NAME': '{}',\n        'USER': '{}',\n        'PASSWORD': '{}',\n        'HOST': '{}',\n        'PORT': '{}',\n    }}\n}}\n",
        db.database, db.user, db.password, db.host, db.port
    );
    let (_sandbox, repo) = repo_with(44, "shop/settings.py", &settings);
    let (_, report) = scan_json(&repo, &["--verify", "--verify-private"]);
    let finding = find(&report, "django-database-password", &db.password).expect("found");
    assert_eq!(status(finding), "live", "{finding}");
}

#[test]
fn loopback_is_refused_without_verify_private_and_an_unreachable_server_is_unknown() {
    let (_sandbox, repo) = repo_with(
        45,
        ".env",
        "DATABASE_URL=postgres://shop:Qz81mVx0pLrT@127.0.0.1:1/shop\n",
    );
    let (_, refused) = scan_json(&repo, &["--verify"]);
    let finding = find(&refused, "database-url", "Qz81mVx0pLrT").unwrap();
    assert_eq!(status(finding), "unknown");
    assert!(finding["verification"]["detail"]
        .as_str()
        .unwrap()
        .contains("--verify-private"));
    let (_, unreachable) = scan_json(&repo, &["--verify", "--verify-private"]);
    let finding = find(&unreachable, "database-url", "Qz81mVx0pLrT").unwrap();
    assert_eq!(status(finding), "unknown", "{finding}");
}

#[test]
fn only_live_and_fail_on_live_look_at_verification() {
    let Some(db) = servers::postgres() else {
        return;
    };
    let bad = format!(
        "postgres://{}:{}@{}:{}/{}",
        db.user,
        wrong(&db.password),
        db.host,
        db.port,
        db.database
    );
    let (_sandbox, repo) = repo_with(46, ".env", &format!("DATABASE_URL={bad}\n"));
    let (code, report) = scan_json(
        &repo,
        &["--verify", "--verify-private", "--fail-on", "live"],
    );
    assert_eq!(code, 0, "only an invalid credential: {report}");
    let (_, report) = scan_json(&repo, &["--verify", "--verify-private", "--only-live"]);
    assert_eq!(report["findings"].as_array().unwrap().len(), 0);
    let good = format!(
        "postgres://{}:{}@{}:{}/{}",
        db.user, db.password, db.host, db.port, db.database
    );
    commit_file(
        &repo,
        ".env",
        &format!("DATABASE_URL={good}\n"),
        "Fix password",
    );
    let (code, report) = scan_json(
        &repo,
        &[
            "--verify",
            "--verify-private",
            "--fail-on",
            "live",
            "--only-live",
        ],
    );
    assert_eq!(code, 1);
    assert_eq!(report["findings"].as_array().unwrap().len(), 1);
    let output = crate::fixtures::blobhound(&["scan", repo.to_str().unwrap(), "--fail-on", "live"]);
    assert_eq!(
        output.status.code(),
        Some(2),
        "--fail-on live needs --verify"
    );
}

#[test]
fn django_secret_keys_are_unknown_with_the_reason_and_development_keys_are_named() {
    let mut sandbox = Sandbox::new(47);
    let origin = sandbox.bare("origin.git");
    let repo = sandbox.clone(&origin, "work");
    let key = sandbox.django_key();
    let dev = format!("django-insecure-{}", sandbox.django_key());
    commit_file(
        &repo,
        "settings.py",
        &format!("SECRET_KEY = '{key}'\n"),
        "Settings",
    );
    commit_file(
        &repo,
        "dev.py",
        &format!("SECRET_KEY = '{dev}'\n"),
        "Dev settings",
    );
    let (_, report) = scan_json(&repo, &["--verify"]);
    let plain = find(&report, "django-secret-key", &key).unwrap();
    assert_eq!(status(plain), "unknown");
    assert!(plain["verification"]["detail"]
        .as_str()
        .unwrap()
        .contains("no service can confirm"));
    let insecure = find(&report, "django-secret-key", &dev).unwrap();
    assert!(insecure["verification"]["detail"]
        .as_str()
        .unwrap()
        .contains("development key"));
}

fn credentials_file(id: &str, secret: &str) -> String {
    format!("[default]\naws_access_key_id = {id}\naws_secret_access_key = {secret}\nregion = us-east-1\n")
}

#[test]
fn an_aws_key_created_in_moto_is_live_and_unknown_or_wrong_keys_are_invalid() {
    let Some(aws) = servers::moto_sts() else {
        return;
    };
    let env = [("BLOBHOUND_AWS_STS_ENDPOINT", aws.endpoint.as_str())];
    // The real key.
    let (_s1, repo) = repo_with(
        48,
        "deploy/credentials",
        &credentials_file(&aws.access_key_id, &aws.secret_access_key),
    );
    let (_, report) = scan_json_env(&repo, &["--verify", "--verify-private"], &env);
    let live = find(&report, "aws-access-key", &aws.secret_access_key).expect("pair found");
    assert_eq!(status(live), "live", "{live}");
    assert!(live["verification"]["detail"]
        .as_str()
        .unwrap()
        .contains(&aws.arn));
    // A key id AWS never issued.
    let (random_id, random_secret) = (
        "AKIAZ7Q2WX4RT6YU3IOP",
        "hT9r2Lq8ZpX0vBn4Mw6Yc1Ks3Df5Gj7Ua9Ie2Ro4",
    );
    let (_s2, repo) = repo_with(
        49,
        "deploy/credentials",
        &credentials_file(random_id, random_secret),
    );
    let (_, report) = scan_json_env(&repo, &["--verify", "--verify-private"], &env);
    let unknown_id = find(&report, "aws-access-key", random_secret).expect("pair found");
    assert_eq!(status(unknown_id), "invalid", "{unknown_id}");
    // The real key id with a wrong secret.
    let (_s3, repo) = repo_with(
        50,
        "deploy/credentials",
        &credentials_file(&aws.access_key_id, random_secret),
    );
    let (_, report) = scan_json_env(&repo, &["--verify", "--verify-private"], &env);
    let wrong_secret = find(&report, "aws-access-key", random_secret).expect("pair found");
    assert_eq!(status(wrong_secret), "invalid", "{wrong_secret}");
    assert!(wrong_secret["verification"]["detail"]
        .as_str()
        .unwrap()
        .contains("exists"));
}

#[test]
fn the_sigv4_signature_matches_botocore() {
    let botocore = Command::new("python3")
        .args(["-c", "import botocore"])
        .output();
    if !botocore.is_ok_and(|o| o.status.success()) {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "botocore must be installed under CI (.ci/run installs it)"
        );
        eprintln!("blobhound test: botocore is not installed (pip install botocore); skipping");
        return;
    }
    let url = "https://sts.amazonaws.com/";
    let (id, secret) = (
        "AKIAZ7Q2WX4RT6YU3IOP",
        "hT9r2Lq8ZpX0vBn4Mw6Yc1Ks3Df5Gj7Ua9Ie2Ro4",
    );
    let time = UNIX_EPOCH + Duration::from_secs(1_709_287_200); // 2024-03-01T10:00:00Z
    let ours = blobhound::verify::aws::signed_headers(url, id, secret, None, time).unwrap();
    let authorization = ours
        .iter()
        .find(|(k, _)| k == "authorization")
        .map(|(_, v)| v.clone())
        .expect("signed");
    let script = format!(
        r#"
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
request = AWSRequest(method="POST", url="{url}", data="{body}",
                     headers={{"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}})
signer = SigV4Auth(Credentials("{id}", "{secret}"), "sts", "us-east-1")
request.context["timestamp"] = "20240301T100000Z"
signer._modify_request_before_signing(request)
canonical = signer.canonical_request(request)
signature = signer.signature(signer.string_to_sign(request, canonical), request)
signer._inject_signature_to_request(request, signature)
print(request.headers["Authorization"])
"#,
        body = blobhound::verify::aws::BODY
    );
    let output = Command::new("python3")
        .args(["-c", &script])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        authorization,
        String::from_utf8_lossy(&output.stdout).trim()
    );
}
