//! `blobhound audit --state`: a real SQLite file and a private PostgreSQL on 127.0.0.1. A re-run
//! takes unchanged repositories from the state and reads only a changed one's new objects, with
//! the findings of a full audit; a rewrite's removed objects take their findings with them; a
//! detector change rescans everything; a broken or foreign state is never written and makes the
//! audit incomplete; two shards against one PostgreSQL, one killed mid-run and restarted, give
//! the report a single audit gives.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::audit::{audit_run as audit, serve};
use crate::fixtures::{blobhound, secrets};
use crate::sandbox::{commit_file, git, Sandbox};
use crate::servers;

fn scanned(report: &Value) -> u64 {
    report["stats"]["blobs_scanned"].as_u64().unwrap()
}

/// A server of three repositories, one Django key in the first.
fn small_server(sandbox: &mut Sandbox) -> (PathBuf, PathBuf, String) {
    let root = sandbox.path("server");
    let (work, key) = sandbox.repo_with_a_key();
    for i in 0..20 {
        commit_file(
            &work,
            &format!("app/m{i}.py"),
            &format!("X = {i}\n"),
            "More",
        );
    }
    serve(&root, "ops/one.git", &work);
    let other = sandbox.path("other");
    std::fs::create_dir_all(&other).unwrap();
    git(&other, &["init", "-q", "--initial-branch=main", "."]);
    commit_file(&other, "README", "hello\n", "First");
    serve(&root, "ops/two.git", &other);
    serve(&root, "web/three.git", &other);
    (root, work, key)
}

#[test]
fn a_rerun_reads_only_what_changed_and_reports_what_a_full_audit_does() {
    let mut sandbox = Sandbox::new(2101);
    let (root, work, key) = small_server(&mut sandbox);
    let db = sandbox.path("state.db");
    let state = db.to_str().unwrap();

    let (code, first, stderr) = audit(&root, &["--state", state]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(secrets(&first).as_slice(), std::slice::from_ref(&key));
    assert!(stderr.contains("none unchanged"), "{stderr}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&db).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "the state holds secrets: owner only");
    }

    // Unchanged: nothing is read, the same findings come back.
    let (code, again, stderr) = audit(&root, &["--state", state]);
    assert_eq!(code, 1);
    assert!(stderr.contains("3 unchanged"), "{stderr}");
    assert_eq!(scanned(&again), 0);
    assert_eq!(again["findings"], first["findings"]);
    // The same server reached by another spelling of its path is the same server.
    let respelled = root.join("..").join(root.file_name().unwrap());
    let (_, _, stderr) = audit(&respelled, &["--state", state]);
    assert!(stderr.contains("3 unchanged"), "{stderr}");

    // One repository gains a commit with a new secret: only it is read, and only its new
    // objects.
    let clone = sandbox.clone(&root.join("ops/two.git"), "two");
    let password = sandbox.password();
    commit_file(
        &clone,
        ".env",
        &format!("DATABASE_URL=postgres://shop:{password}@db.internal:5432/shop\n"),
        "Env",
    );
    git(&clone, &["push", "-q", "origin", "HEAD:main"]);
    let (code, changed, stderr) = audit(&root, &["--state", state]);
    assert_eq!(code, 1);
    assert!(stderr.contains("2 unchanged"), "{stderr}");
    assert_eq!(scanned(&changed), 1, "only the new .env: {changed}");
    let (_, full, _) = audit(&root, &[]);
    assert_eq!(changed["findings"], full["findings"]);
    assert_ne!(
        changed["findings"], first["findings"],
        "the new secret is found"
    );

    // A rewrite: the secret's commit is dropped and pruned; its finding goes with it.
    git(&work, &["checkout", "-q", "--orphan", "rewritten"]);
    git(&work, &["rm", "-rfq", "."]);
    commit_file(&work, "README", "rewritten\n", "Rewritten");
    git(
        &work,
        &[
            "push",
            "-q",
            "-f",
            root.join("ops/one.git").to_str().unwrap(),
            "HEAD:main",
        ],
    );
    let (_, unreachable, _) = audit(&root, &["--state", state]);
    assert!(
        secrets(&unreachable).contains(&key),
        "before a gc the objects are still on the server, unreachable: {unreachable}"
    );
    git(
        &root.join("ops/one.git"),
        &["reflog", "expire", "--expire=now", "--all"],
    );
    git(&root.join("ops/one.git"), &["gc", "-q", "--prune=now"]);
    let (_, rewritten, stderr) = audit(&root, &["--state", state]);
    assert!(!secrets(&rewritten).contains(&key), "{rewritten} {stderr}");
    let (_, full, _) = audit(&root, &[]);
    assert_eq!(rewritten["findings"], full["findings"]);

    // The detector set changes: everything is read again.
    let (_, skipped, stderr) = audit(&root, &["--state", state, "--skip", "aws-access-key"]);
    assert!(stderr.contains("none unchanged"), "{stderr}");
    assert_eq!(scanned(&skipped), scanned(&full), "{skipped}");

    // --report-only prints the merged report from the state alone.
    let (_, from_state, stderr) = audit(&root, &["--state", state, "--report-only"]);
    assert!(stderr.contains("holds 3 repositories"), "{stderr}");
    assert_eq!(from_state["findings"], skipped["findings"]);

    // A repository that is gone is dropped from the state.
    std::fs::remove_dir_all(root.join("web/three.git")).unwrap();
    audit(&root, &["--state", state, "--skip", "aws-access-key"]);
    let (_, _, stderr) = audit(&root, &["--state", state, "--report-only"]);
    assert!(stderr.contains("holds 2 repositories"), "{stderr}");
}

#[test]
fn a_state_that_is_not_one_is_never_written_and_the_audit_is_incomplete() {
    let sandbox = Sandbox::new(2102);
    let root = sandbox.path("server");
    let clean = sandbox.path("clean");
    std::fs::create_dir_all(&clean).unwrap();
    git(&clean, &["init", "-q", "--initial-branch=main", "."]);
    commit_file(&clean, "README", "hello\n", "First");
    serve(&root, "ops/clean.git", &clean);

    let garbage = sandbox.path("garbage.db");
    std::fs::write(
        &garbage,
        b"this is not a database, it is a note\n".repeat(200),
    )
    .unwrap();
    let (code, report, stderr) = audit(&root, &["--state", garbage.to_str().unwrap()]);
    assert_eq!(code, 3, "{stderr}");
    assert_eq!(report["complete"], false);
    assert!(stderr.contains("not a SQLite database"), "{stderr}");
    assert_eq!(
        stderr.matches("file is not a database").count(),
        1,
        "the database's words are said once: {stderr}"
    );
    assert!(stderr.contains("not recorded"), "{stderr}");
    assert!(
        stderr.contains("incomplete: see the warnings above"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read(&garbage).unwrap(),
        b"this is not a database, it is a note\n".repeat(200)
    );

    let foreign = sandbox.path("foreign.db");
    let made = Command::new("python3")
        .arg("-c")
        .arg(
            "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); \
             c.execute('create table users (name text)'); c.commit()",
        )
        .arg(&foreign)
        .status()
        .unwrap();
    assert!(made.success());
    let before = std::fs::read(&foreign).unwrap();
    let (code, _, stderr) = audit(&root, &["--state", foreign.to_str().unwrap()]);
    assert_eq!(code, 3, "{stderr}");
    assert!(stderr.contains("other tables (users)"), "{stderr}");
    assert_eq!(std::fs::read(&foreign).unwrap(), before);

    // Inside what is audited: refused before anything is written.
    let inside = root.join("state.db");
    let output = blobhound(&[
        "audit",
        root.to_str().unwrap(),
        "--state",
        inside.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(!inside.exists());
    // --report-only of a state that does not exist is an error, not an empty report.
    let output = blobhound(&[
        "audit",
        "--report-only",
        "--state",
        sandbox.path("none.db").to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(!sandbox.path("none.db").exists());
    let output = blobhound(&["audit", root.to_str().unwrap(), "--shard", "2/2"]);
    assert_eq!(output.status.code(), Some(2));
}

/// A generated server (`testrepos/server.py`) of `repos` repositories.
fn generated_server(sandbox: &Sandbox, repos: usize) -> PathBuf {
    let out = sandbox.path("generated");
    let status = Command::new("python3")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("testrepos/server.py"))
        .arg(&out)
        .args(["--repos", &repos.to_string(), "--commits", "12"])
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    out.join("server")
}

/// A fresh schema of the test database for one test, as a state URL.
fn postgres_state(db: &servers::Database, schema: &str) -> String {
    let url = format!(
        "postgres://{}:{}@{}:{}/{}",
        db.user, db.password, db.host, db.port, db.database
    );
    let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    client
        .batch_execute(&format!(
            "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"
        ))
        .unwrap();
    format!("{url}?options=-csearch_path%3D{schema}")
}

fn recorded(url: &str) -> i64 {
    let mut client = postgres::Client::connect(url, postgres::NoTls).unwrap();
    client
        .query_opt(
            "SELECT count(*) FROM blobhound_repositories WHERE error IS NULL",
            &[],
        )
        .ok()
        .flatten()
        .map_or(0, |row| row.get(0))
}

/// The parts of a report that say what the server holds (not how long it took).
fn holdings(report: &Value) -> Value {
    serde_json::json!({
        "complete": report["complete"],
        "findings": report["findings"],
        "skipped": report["skipped"],
        "warnings": report["warnings"],
    })
}

#[test]
fn two_shards_with_one_killed_and_restarted_give_the_single_audits_report() {
    let Some(db) = servers::postgres() else {
        return;
    };
    let sandbox = Sandbox::new(2103);
    let root = generated_server(&sandbox, 120);
    let url = postgres_state(db, "audit_shards");
    let (_, single, _) = audit(&root, &[]);
    assert!(!single["findings"].as_array().unwrap().is_empty());

    let shard = |k: &str| {
        Command::new(env!("CARGO_BIN_EXE_blobhound"))
            .args(["audit", root.to_str().unwrap(), "--state", &url])
            .args([
                "--shard",
                &format!("{k}/2"),
                "--threads",
                "1",
                "--no-progress",
            ])
            .args(["--format", "json", "-o", "/dev/null"])
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    // The first starts alone, so every row recorded before the second starts is its own; it is
    // killed once it has recorded some, while both are at work.
    let mut first = shard("0");
    let deadline = Instant::now() + Duration::from_secs(60);
    while recorded(&url) < 4 {
        assert!(Instant::now() < deadline, "nothing was recorded");
        std::thread::sleep(Duration::from_millis(5));
    }
    let mut second = shard("1");
    assert!(
        first.try_wait().unwrap().is_none(),
        "shard 0 finished before it could be killed: make the server larger"
    );
    first.kill().unwrap();
    let killed = first.wait().unwrap();
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(killed.signal(), Some(9));
    let at_kill = recorded(&url);
    assert!(second.wait().unwrap().code() == Some(1));
    assert!(recorded(&url) >= at_kill);

    // The restart redoes what the killed worker had not recorded, and takes the rest as it is.
    let restarted = shard("0").wait_with_output().unwrap();
    assert_eq!(restarted.status.code(), Some(1));
    let said = String::from_utf8_lossy(&restarted.stderr);
    assert!(said.contains("unchanged since the last run"), "{said}");
    assert_eq!(recorded(&url), 120);

    let (code, merged, stderr) = audit(&root, &["--state", &url, "--report-only"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("holds 120 repositories"), "{stderr}");
    assert_eq!(holdings(&merged), holdings(&single));
}

/// A TCP relay to PostgreSQL that the test can cut: to the audit, the database goes away.
struct Relay {
    port: u16,
    cut: std::sync::Arc<std::sync::atomic::AtomicBool>,
    streams: std::sync::Arc<std::sync::Mutex<Vec<std::net::TcpStream>>>,
}

impl Relay {
    fn to(port: u16) -> Relay {
        use std::sync::atomic::Ordering;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let relay = Relay {
            port: listener.local_addr().unwrap().port(),
            cut: Default::default(),
            streams: Default::default(),
        };
        let (cut, streams) = (relay.cut.clone(), relay.streams.clone());
        std::thread::spawn(move || {
            while !cut.load(Ordering::SeqCst) {
                let Ok((client, _)) = listener.accept() else {
                    std::thread::sleep(Duration::from_millis(2));
                    continue;
                };
                client.set_nonblocking(false).unwrap();
                let Ok(server) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
                    continue;
                };
                let mut held = streams.lock().unwrap();
                held.push(client.try_clone().unwrap());
                held.push(server.try_clone().unwrap());
                for (mut from, mut to) in [
                    (client.try_clone().unwrap(), server.try_clone().unwrap()),
                    (server, client),
                ] {
                    std::thread::spawn(move || {
                        let _ = std::io::copy(&mut from, &mut to);
                        let _ = to.shutdown(std::net::Shutdown::Both);
                    });
                }
            }
        });
        relay
    }

    /// Closes every connection and refuses new ones.
    fn cut(&self) {
        self.cut.store(true, std::sync::atomic::Ordering::SeqCst);
        for stream in self.streams.lock().unwrap().iter() {
            let _ = stream.shutdown(std::net::Shutdown::Both);
        }
    }
}

#[test]
fn a_postgresql_that_goes_away_mid_run_loses_nothing_recorded() {
    let Some(db) = servers::postgres() else {
        return;
    };
    let sandbox = Sandbox::new(2104);
    let root = generated_server(&sandbox, 150);
    let direct = postgres_state(db, "audit_gone");
    let relay = Relay::to(db.port);
    let relayed = direct.replacen(&format!(":{}/", db.port), &format!(":{}/", relay.port), 1);
    let report = sandbox.path("report.json");
    let run = Command::new(env!("CARGO_BIN_EXE_blobhound"))
        .args(["audit", root.to_str().unwrap(), "--state", &relayed])
        .args(["--threads", "1", "--no-progress", "--format", "json", "-o"])
        .arg(&report)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while recorded(&direct) < 5 {
        assert!(Instant::now() < deadline, "nothing was recorded");
        std::thread::sleep(Duration::from_millis(5));
    }
    relay.cut();
    let at_cut = recorded(&direct);
    let output = run.wait_with_output().unwrap();
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(
        at_cut < 150,
        "the audit finished before the database went away: make the server larger"
    );
    // The server holds secrets (exit 1); the report says what was not recorded.
    assert_eq!(output.status.code(), Some(1), "{said}");
    let written: Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    assert_eq!(written["complete"], false);
    assert!(said.contains("not recorded in the state"), "{said}");
    assert!(
        said.contains("cannot connect") || said.contains("cannot record"),
        "{said}"
    );
    // Nothing recorded was lost, and the next run redoes only the rest.
    assert!(recorded(&direct) >= at_cut);
    let (_, again, stderr) = audit(&root, &["--state", &direct]);
    let unchanged: i64 = stderr
        .split(" (")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no unchanged count: {stderr}"));
    assert!(
        unchanged >= at_cut && unchanged < 150,
        "{unchanged} {at_cut}: {stderr}"
    );
    assert_eq!(recorded(&direct), 150);
    let (_, single, _) = audit(&root, &[]);
    assert_eq!(holdings(&again), holdings(&single));
}

/// Runs `blobhound audit` as a user whom permissions bind: as root, without the capabilities
/// that let root read what its mode denies.
fn audit_bound_by_permissions(root: &Path, args: &[&str]) -> (i32, Value, String) {
    let root_user = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    let mut command = if root_user {
        let mut c = Command::new("setpriv");
        c.args(["--bounding-set=-dac_override,-dac_read_search", "--"])
            .arg(env!("CARGO_BIN_EXE_blobhound"));
        c
    } else {
        Command::new(env!("CARGO_BIN_EXE_blobhound"))
    };
    let output = command
        .args([
            "audit",
            root.to_str().unwrap(),
            "--format",
            "json",
            "--no-progress",
        ])
        .args(args)
        .output()
        .expect("setpriv (util-linux) runs the audit without root's override");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let report = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}: {stderr}"));
    (output.status.code().unwrap(), report, stderr)
}

#[test]
fn damaged_and_denied_repositories_are_named_and_redone_once_repaired() {
    use std::os::unix::fs::PermissionsExt;
    let mut sandbox = Sandbox::new(2105);
    let (root, _, key) = small_server(&mut sandbox);
    // A repository whose only pack is damaged in the middle.
    let damaged = sandbox.path("damaged");
    std::fs::create_dir_all(&damaged).unwrap();
    git(&damaged, &["init", "-q", "--initial-branch=main", "."]);
    for i in 0..40 {
        let body: String = (0..200).map(|j| format!("line {i} {j}\n")).collect();
        commit_file(&damaged, &format!("f{i}.txt"), &body, "More");
    }
    let broken = serve(&root, "ops/broken.git", &damaged);
    git(&broken, &["repack", "-adq"]);
    let pack = std::fs::read_dir(broken.join("objects/pack"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "pack"))
        .unwrap();
    let intact = std::fs::read(&pack).unwrap();
    let mut bytes = intact.clone();
    let middle = bytes.len() / 2;
    bytes[middle..middle + 256].fill(0x5a);
    std::fs::set_permissions(&pack, std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::write(&pack, &bytes).unwrap();
    // A directory the audit may not read, with a repository inside.
    let hidden = sandbox.path("hidden");
    std::fs::create_dir_all(&hidden).unwrap();
    git(&hidden, &["init", "-q", "--initial-branch=main", "."]);
    let hidden_key = sandbox.django_key();
    commit_file(
        &hidden,
        "settings.py",
        &format!("SECRET_KEY = '{hidden_key}'\n"),
        "Settings",
    );
    serve(&root, "private/vault.git", &hidden);
    let private = root.join("private");
    std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o000)).unwrap();

    let db = sandbox.path("state.db");
    let state = db.to_str().unwrap();
    let (code, first, stderr) = audit_bound_by_permissions(&root, &["--state", state]);
    std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o755)).unwrap();
    // Secrets were found (exit 1 outranks 3), and the report says it is incomplete.
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(first["complete"], false);
    let said = format!("{first} {stderr}");
    assert!(
        said.contains("private"),
        "the denied directory is named: {said}"
    );
    assert!(
        said.contains("ops/broken"),
        "the damaged repository is named: {said}"
    );
    assert!(
        secrets(&first).contains(&key),
        "the rest is audited: {first}"
    );
    assert!(!secrets(&first).contains(&hidden_key));

    // Still damaged, and readable now: the damaged one is audited again (not taken from the
    // state as if complete), the denied one for the first time, the rest from the state.
    let (code, second, stderr) = audit(&root, &["--state", state]);
    assert_eq!(
        (code, &second["complete"]),
        (1, &Value::Bool(false)),
        "{stderr}"
    );
    assert!(stderr.contains("3 unchanged"), "{stderr}");
    assert!(secrets(&second).contains(&hidden_key), "{second}");

    // Repaired: the report is complete, and what was recorded before is still there.
    std::fs::write(&pack, &intact).unwrap();
    let (code, repaired, stderr) = audit(&root, &["--state", state]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(repaired["complete"], true, "{repaired}");
    assert!(stderr.contains("4 unchanged"), "{stderr}");
    let (_, full, _) = audit(&root, &[]);
    assert_eq!(holdings(&repaired), holdings(&full));
}

fn traced(report: &Value) -> u64 {
    report["stats"]["commits_traced"].as_u64().unwrap()
}

#[test]
fn a_rerun_traces_only_new_commits_while_history_only_grows_and_places_as_a_full_audit() {
    let mut sandbox = Sandbox::new(2106);
    let root = sandbox.path("server");
    let (work, key) = sandbox.repo_with_a_key();
    let password = sandbox.password();
    commit_file(
        &work,
        "tests/fixtures/mail.py",
        &format!("EMAIL_HOST_PASSWORD = '{password}'\n"),
        "Test mail settings",
    );
    for i in 0..8 {
        commit_file(
            &work,
            &format!("app/m{i}.py"),
            &format!("X = {i}\n"),
            "More",
        );
    }
    let bare = serve(&root, "ops/app.git", &work);
    let push = |args: &[&str]| {
        let mut all = vec!["push", "-q", bare.to_str().unwrap()];
        all.extend_from_slice(args);
        git(&work, &all);
    };
    push(&["HEAD~3:refs/heads/old-line"]);
    let db = sandbox.path("state.db");
    let state = db.to_str().unwrap();
    let (_, first, _) = audit(&root, &["--state", state]);
    assert_eq!(traced(&first), 10, "a first audit traces all history");
    // Some(n): only the n new commits are traced; None: all of history is. Only new blobs are
    // read: the matches of the old ones, the key's too, are taken from the state.
    let rerun = |step: &str, new_commits: Option<u64>, new_blobs: u64| {
        let (_, again, stderr) = audit(&root, &["--state", state]);
        assert_eq!(scanned(&again), new_blobs, "{step}: {again}");
        let (_, full, _) = audit(&root, &[]);
        assert_eq!(holdings(&again), holdings(&full), "{step}: {stderr}");
        let all = again["stats"]["commits"].as_u64().unwrap();
        assert_eq!(
            traced(&again),
            new_commits.unwrap_or(all),
            "{step}: {again}"
        );
        again
    };

    // A copy of the old key at a new path: a new introduction of an old finding.
    commit_file(
        &work,
        "deploy/settings.py",
        &format!("SECRET_KEY = '{key}'\n"),
        "Deploy settings",
    );
    push(&["HEAD:main"]);
    let copied = rerun("copy", Some(1), 0);
    let paths: Vec<&str> = copied["findings"][0]["locations"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|l| l["path"].as_str())
        .collect();
    assert!(paths.contains(&"deploy/settings.py"), "{copied}");

    // A branch from an old commit with a new secret: the old key's finding names it too.
    git(&work, &["checkout", "-q", "-b", "hotfix", "HEAD~6"]);
    let (id, secret) = sandbox.aws_pair();
    commit_file(
        &work,
        "deploy/aws.env",
        &format!("AWS_ACCESS_KEY_ID={id}\nAWS_SECRET_ACCESS_KEY={secret}\n"),
        "Hotfix",
    );
    push(&["hotfix"]);
    let branched = rerun("branch", Some(1), 1);
    assert!(
        branched.to_string().contains("refs/heads/hotfix"),
        "{branched}"
    );

    // Main drops the key from HEAD and puts the test password in a real file.
    git(&work, &["checkout", "-q", "-"]);
    git(&work, &["rm", "-q", "settings.py", "deploy/settings.py"]);
    commit_file(
        &work,
        ".env",
        &format!("EMAIL_HOST_PASSWORD={password}\n"),
        "Env",
    );
    push(&["HEAD:main"]);
    let moved = rerun("head", Some(1), 1);
    assert!(secrets(&moved).contains(&password), "{moved}");

    // A branch deleted unmerged: its commit is no longer reachable, so all history is traced.
    push(&[":refs/heads/hotfix"]);
    let deleted = rerun("deletion", None, 0);
    assert!(
        deleted.to_string().contains("unreachable_commit"),
        "{deleted}"
    );
    // And past that, only new commits again, the unreachable one still placed.
    commit_file(&work, "app/late.py", "X = 1\n", "Late");
    push(&["HEAD:main"]);
    let late = rerun("after the deletion", Some(1), 0);
    assert!(late.to_string().contains("unreachable_commit"), "{late}");
}

#[test]
fn a_postgresql_state_is_reached_over_tls_with_the_servers_certificate_checked() {
    let Some(db) = servers::postgres() else {
        return;
    };
    let ca = db.tls_ca.as_ref().expect("the test PostgreSQL speaks TLS");
    let mut sandbox = Sandbox::new(2107);
    let (root, _, _) = small_server(&mut sandbox);
    let url = postgres_state(db, "audit_tls");

    // Encryption required, the certificate checked against the server's CA: recorded.
    let verified = format!("{url}&sslmode=verify-full&sslrootcert={}", ca.display());
    let (code, report, stderr) = audit(&root, &["--state", &verified]);
    assert_eq!(
        (code, &report["complete"]),
        (1, &Value::Bool(true)),
        "{stderr}"
    );
    assert_eq!(recorded(&url), 3);

    // A certificate no root the client knows has signed: refused before a row is read or
    // written, and the audit says so and is incomplete.
    let untrusted = postgres_state(db, "audit_tls_untrusted");
    let (code, report, stderr) = audit(
        &root,
        &["--state", &format!("{untrusted}&sslmode=verify-full")],
    );
    assert_eq!(
        (code, &report["complete"]),
        (1, &Value::Bool(false)),
        "{stderr}"
    );
    assert!(stderr.contains("cannot connect"), "{stderr}");
    assert!(stderr.contains("certificate"), "{stderr}");
    assert_eq!(recorded(&untrusted), 0);

    // Encrypted without the check, as libpq's require.
    let (code, _, stderr) = audit(&root, &["--state", &format!("{url}&sslmode=require")]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("3 unchanged"), "{stderr}");

    // Without TLS when asked.
    let plain = format!("{url}&sslmode=disable");
    let (code, _, stderr) = audit(&root, &["--state", &plain]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("3 unchanged"), "{stderr}");
}

#[test]
fn a_repository_missing_an_object_is_taken_from_the_state_until_the_object_arrives() {
    let mut sandbox = Sandbox::new(2108);
    let (root, _, _) = small_server(&mut sandbox);
    let partial = sandbox.path("partial");
    std::fs::create_dir_all(&partial).unwrap();
    git(&partial, &["init", "-q", "--initial-branch=main", "."]);
    let text = "a note the server lost\n";
    commit_file(&partial, "notes.txt", text, "Notes");
    let bare = serve(&root, "ops/partial.git", &partial);
    let blob = git(&bare, &["rev-parse", "HEAD:notes.txt"]);
    std::fs::remove_file(bare.join("objects").join(&blob[..2]).join(&blob[2..])).unwrap();

    let db = sandbox.path("state.db");
    let state = db.to_str().unwrap();
    let (_, first, _) = audit(&root, &["--state", state]);
    assert_eq!(first["complete"], false);
    assert!(
        first.to_string().contains(&blob),
        "the missing blob is named: {first}"
    );
    // Nothing changed: taken from the state, and still incomplete.
    let (_, again, stderr) = audit(&root, &["--state", state]);
    assert!(stderr.contains("4 unchanged"), "{stderr}");
    assert_eq!(again["complete"], false);
    assert_eq!(again["skipped"], first["skipped"]);
    // The object arrives: the repository changed, and its audit is complete.
    let lost = sandbox.path("lost.txt");
    std::fs::write(&lost, text).unwrap();
    let written = git(&bare, &["hash-object", "-w", lost.to_str().unwrap()]);
    assert_eq!(written.trim(), blob);
    let (_, repaired, stderr) = audit(&root, &["--state", state]);
    assert!(stderr.contains("3 unchanged"), "{stderr}");
    assert_eq!(repaired["complete"], true, "{repaired}");
}
