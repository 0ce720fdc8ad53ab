//! Nothing blobhound writes leaks a secret, and nothing it prints can be turned against its user:
//! redaction in every format and message, fingerprints that are not a bare hash, plan commands
//! pasted into a real `bash`, output files that never follow a link.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::fixtures::{blobhound, scan_json, scan_json_env};
use crate::hooks::{push, server_and_clone};
use crate::sandbox::{commit_file, git, Sandbox};

fn sha256_hex(data: &str) -> String {
    Sha256::digest(data.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn text(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr)
}

/// Asserts that `output` holds none of `secrets`, and no SHA-256 of one (bare, or with its
/// detector id as the first fingerprint scheme made it).
fn assert_clean(what: &str, output: &str, secrets: &[(&str, &str)]) {
    for (detector, secret) in secrets {
        assert!(
            !output.contains(secret),
            "{what} shows the secret:\n{output}"
        );
        assert!(
            !output.contains(&sha256_hex(secret)),
            "{what} holds a bare hash of the secret"
        );
        assert!(
            !output.contains(&sha256_hex(&format!("{detector}\0{secret}"))),
            "{what} holds an old-style fingerprint"
        );
    }
}

/// A repository whose password also sits in a commit summary, the author's name, a path, a branch
/// name and an annotated tag's name and message, and whose Django key sits in a commit summary.
fn planted(sandbox: &mut Sandbox) -> (PathBuf, String, String) {
    let repo = sandbox.work();
    let password = sandbox.password();
    let key = sandbox.django_key();
    let url = format!("postgres://shop:{password}@db.example.com:5432/shop");
    std::fs::create_dir_all(repo.join(format!("deploy/{password}"))).unwrap();
    std::fs::write(
        repo.join(format!("deploy/{password}/.env")),
        format!("DATABASE_URL={url}\n"),
    )
    .unwrap();
    git(&repo, &["add", "."]);
    git(
        &repo,
        &[
            "commit",
            "-q",
            "--author",
            &format!("Ops {password} <{password}@example.test>"),
            "-m",
            &format!("Use password {password} for the shop database"),
        ],
    );
    commit_file(
        &repo,
        "shop/settings.py",
        &format!("SECRET_KEY = '{key}'\n"),
        &format!("Set SECRET_KEY to {key}"),
    );
    git(&repo, &["branch", &format!("leak-{password}")]);
    git(
        &repo,
        &[
            "tag",
            "-a",
            &format!("v-{password}"),
            "-m",
            &format!("Release, deployed with {url}"),
        ],
    );
    (repo, password, key)
}

#[test]
fn redaction_masks_a_secret_wherever_it_sits_in_every_format() {
    let mut sandbox = Sandbox::new(1301);
    let (repo, password, key) = planted(&mut sandbox);
    let secrets = [
        ("database-url", password.as_str()),
        ("django-secret-key", key.as_str()),
    ];
    let target = repo.to_str().unwrap();

    // Unredacted, the report shows both secrets and where they sit, and hashes them.
    let (code, report) = scan_json(&repo, &[]);
    assert_eq!(code, 1);
    let whole = report.to_string();
    assert!(whole.contains(&password) && whole.contains(&key));
    assert!(report["findings"][0]["secret_sha256"].is_string());
    assert!(
        whole.contains(&format!("\"tag\":\"refs/tags/v-{password}\"")),
        "the tag message's finding names its tag: {whole}"
    );

    for format in ["human", "json", "jsonl", "sarif"] {
        let output = blobhound(&[
            "scan",
            target,
            "--redact",
            "--no-progress",
            "--format",
            format,
        ]);
        assert_eq!(output.status.code(), Some(1), "{}", text(&output));
        assert_clean(
            &format!("--redact --format {format}"),
            &text(&output),
            &secrets,
        );
    }
    let output = blobhound(&[
        "scan",
        target,
        "--redact",
        "--no-progress",
        "--format",
        "json",
    ]);
    let redacted: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(redacted["redacted"], true);
    for finding in redacted["findings"].as_array().unwrap() {
        assert!(finding.get("secret_sha256").is_none(), "{finding}");
    }
    // What was masked is still there to act on: the masked path, the tag, the commit.
    let rendered = redacted.to_string();
    assert!(rendered.contains("deploy/") && rendered.contains("\"tag\":\"refs/tags/v-"));

    // The plan, from `scan --advice` and from `advise` in each format (masked by default).
    let output = blobhound(&["scan", target, "--advice", "--no-progress"]);
    assert_clean("scan --advice", &text(&output), &secrets);
    let report_file = sandbox.path("report.json");
    std::fs::write(&report_file, report.to_string()).unwrap();
    for format in ["markdown", "html", "json"] {
        let output = blobhound(&["advise", report_file.to_str().unwrap(), "--format", format]);
        assert_eq!(output.status.code(), Some(0), "{}", text(&output));
        assert_clean(
            &format!("advise --format {format}"),
            &text(&output),
            &secrets,
        );
    }

    // The baseline, meant to be committed.
    let baseline = sandbox.path("baseline.json");
    let output = blobhound(&[
        "baseline",
        "create",
        target,
        "--no-progress",
        "-o",
        baseline.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let written = std::fs::read_to_string(&baseline).unwrap();
    assert_clean("the baseline", &written, &secrets);
    assert!(written.contains("argon2id:"), "{written}");
}

#[test]
fn the_hooks_messages_mask_secrets_in_summaries_and_paths() {
    let mut sandbox = Sandbox::new(1302);
    let (server, work) = server_and_clone(&sandbox, &[]);
    let password = sandbox.password();
    let url = format!("mysql://shop:{password}@db.example.com/shop");
    commit_file(
        &work,
        &format!("conf/{password}.env"),
        &format!("DATABASE_URL={url}\n"),
        &format!("Database password is {password}"),
    );
    let (ok, message) = push(&work, &["HEAD:main"]);
    assert!(!ok, "{message}");
    assert!(message.contains("push rejected"), "{message}");
    assert_clean(
        "the push rejection",
        &message,
        &[("database-url", &password)],
    );
    let _ = server;

    // Allowed by its fingerprint, the finding is named in the log line, masked.
    let id = message
        .lines()
        .find_map(|l| l.split("id      ").nth(1))
        .unwrap()
        .trim()
        .to_string();
    let (ok, message) = push(
        &work,
        &["-o", &format!("blobhound.allow={id}"), "HEAD:main"],
    );
    assert!(ok, "{message}");
    assert!(message.contains("blobhound: allowed"), "{message}");
    assert_clean("the allowed line", &message, &[("database-url", &password)]);

    // The pre-commit hook's message.
    let installed = blobhound(&["hook", "install", "--pre-commit", work.to_str().unwrap()]);
    assert_eq!(installed.status.code(), Some(0), "{}", text(&installed));
    let other = sandbox.password();
    std::fs::write(
        work.join(format!("{other}.env")),
        format!("DATABASE_URL=postgres://app:{other}@db.example.com/app\n"),
    )
    .unwrap();
    git(&work, &["add", "."]);
    let committed = Command::new("git")
        .current_dir(&work)
        .args(["commit", "-q", "-m", &format!("Add {other}")])
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .unwrap();
    assert!(!committed.status.success());
    let message = text(&committed);
    assert!(message.contains("commit blocked"), "{message}");
    assert_clean(
        "the pre-commit message",
        &message,
        &[("database-url", &other)],
    );
}

#[test]
fn fingerprints_are_keyed_or_slow_and_old_baselines_are_migrated() {
    let mut sandbox = Sandbox::new(1303);
    let (repo, key) = sandbox.repo_with_a_key();
    let fingerprint = |env: &[(&str, &str)]| {
        let (code, report) = scan_json_env(&repo, &[], env);
        assert_eq!(code, 1);
        report["findings"][0]["fingerprint"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let slow = fingerprint(&[]);
    assert!(slow.starts_with("argon2id:") && slow.len() == 73, "{slow}");
    assert_eq!(slow, fingerprint(&[]), "stable across runs");
    let team = [("BLOBHOUND_FINGERPRINT_KEY", "team-key-0123456789abcdef")];
    let keyed = fingerprint(&team);
    assert!(keyed.starts_with("hmac:"), "{keyed}");
    assert_ne!(
        keyed,
        fingerprint(&[("BLOBHOUND_FINGERPRINT_KEY", "another-key-0123456789ab")])
    );
    for fp in [&slow, &keyed] {
        assert!(!fp.contains(&sha256_hex(&key)));
        assert!(!fp.contains(&sha256_hex(&format!("django-secret-key\0{key}"))));
    }
    // The same key from a file gives the same fingerprints (a trailing newline is not the key).
    let key_file = sandbox.path("fingerprint.key");
    std::fs::write(&key_file, "team-key-0123456789abcdef\n").unwrap();
    let (_, report) = scan_json(
        &repo,
        &["--fingerprint-key-file", key_file.to_str().unwrap()],
    );
    assert_eq!(report["findings"][0]["fingerprint"], keyed.as_str());
    // A key too short to protect anything is refused.
    let (code, _) = run_scan(&repo, &[], &[("BLOBHOUND_FINGERPRINT_KEY", "short")]);
    assert_eq!(code, 2);

    // A keyed baseline without its key is an error, not a baseline that matches nothing.
    let baseline = sandbox.path("keyed.json");
    let (code, err) = run_env(
        &[
            "baseline",
            "create",
            repo.to_str().unwrap(),
            "--no-progress",
            "-o",
            baseline.to_str().unwrap(),
        ],
        &team,
    );
    assert_eq!(code, 0, "{err}");
    let with_baseline = ["--baseline", baseline.to_str().unwrap()];
    let (code, err) = run_scan(&repo, &with_baseline, &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no key is set"), "{err}");
    let (code, err) = run_scan(&repo, &with_baseline, &team);
    assert_eq!(code, 0, "{err}");

    // A baseline of the first scheme still works, says it should be migrated, and is.
    let old = sandbox.path("old.json");
    let legacy = sha256_hex(&format!("django-secret-key\0{key}"));
    std::fs::write(
        &old,
        format!(
            r#"{{"version": 1, "findings": [{{"fingerprint": "{legacy}", "detector": "django-secret-key"}}]}}"#
        ),
    )
    .unwrap();
    let old_baseline = ["--baseline", old.to_str().unwrap()];
    let (code, err) = run_scan(&repo, &old_baseline, &[]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("blobhound baseline migrate"), "{err}");
    let (code, err) = run_env(
        &[
            "baseline",
            "migrate",
            old.to_str().unwrap(),
            repo.to_str().unwrap(),
            "--no-progress",
        ],
        &[],
    );
    assert_eq!(code, 0, "{err}");
    let migrated = std::fs::read_to_string(&old).unwrap();
    assert!(!migrated.contains(&legacy), "{migrated}");
    assert!(migrated.contains(&slow), "{migrated}");
    let (code, err) = run_scan(&repo, &old_baseline, &[]);
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("old-style"), "{err}");
}

fn run_env(args: &[&str], env: &[(&str, &str)]) -> (i32, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_blobhound"))
        .args(args)
        .env("GIT_CEILING_DIRECTORIES", env!("CARGO_TARGET_TMPDIR"))
        .env_remove("BLOBHOUND_FINGERPRINT_KEY")
        .envs(env.iter().copied())
        .output()
        .unwrap();
    (output.status.code().unwrap(), text(&output))
}

fn run_scan(repo: &Path, args: &[&str], env: &[(&str, &str)]) -> (i32, String) {
    let mut all = vec!["scan", repo.to_str().unwrap(), "--no-progress"];
    all.extend_from_slice(args);
    run_env(&all, env)
}

/// Stand-ins for the clients a plan calls: each logs its name, arguments and standard input.
fn stand_ins(dir: &Path) -> PathBuf {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    for name in [
        "psql",
        "mysql",
        "redis-cli",
        "rabbitmqctl",
        "mongosh",
        "aws",
        "python",
    ] {
        let path = bin.join(name);
        std::fs::write(
            &path,
            format!(
                "#!/bin/sh\n{{ printf '%s' {name}; for a in \"$@\"; do printf ' [%s]' \"$a\"; done; echo; \
                 if [ ! -t 0 ]; then cat; fi; }} >> \"$STAND_IN_LOG\"\n"
            ),
        )
        .unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    bin
}

/// The ```sh blocks of a Markdown plan.
fn sh_blocks(plan: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<Vec<&str>> = None;
    for line in plan.lines() {
        match (&mut current, line) {
            (None, "```sh") => current = Some(Vec::new()),
            (Some(lines), "```") => {
                blocks.push(lines.join("\n"));
                current = None;
            }
            (Some(lines), _) => lines.push(line),
            (None, _) => {}
        }
    }
    assert!(current.is_none(), "an unclosed block");
    blocks
}

#[test]
fn every_command_of_the_plan_can_be_pasted_into_bash_and_runs_nothing_else() {
    let mut sandbox = Sandbox::new(1304);
    let repo = sandbox.work();
    // Usernames as a URL can carry them: command substitution without spaces or quotes.
    let hostile = "a$(touch${IFS}PWNED)b;touch${IFS}PWNED";
    let mut env = String::new();
    for scheme in ["postgres", "mysql", "redis", "amqp", "mongodb"] {
        env.push_str(&format!(
            "{}_URL={scheme}://{hostile}:{}@db.example.com:1234/app\n",
            scheme.to_uppercase(),
            sandbox.password()
        ));
    }
    let (key_id, secret) = sandbox.aws_pair();
    env.push_str(&format!(
        "AWS_ACCESS_KEY_ID={key_id}\nAWS_SECRET_ACCESS_KEY={secret}\n"
    ));
    commit_file(&repo, ".env", &env, "Environment");
    let key = sandbox.django_key();
    commit_file(
        &repo,
        "settings.py",
        &format!("SECRET_KEY = '{key}'\n"),
        "Settings",
    );
    let (code, report) = scan_json(&repo, &[]);
    assert_eq!(code, 1, "{report}");
    let from_scan = sandbox.path("scan.json");
    std::fs::write(&from_scan, report.to_string()).unwrap();

    // And a report made by hand (reports are input too): quotes, backticks, semicolons and
    // line breaks in usernames and hosts.
    let mut crafted = report.clone();
    let values = [
        "x'; touch PWNED; '",
        "x\"; touch PWNED; \"",
        "x`touch PWNED`",
        "x\ntouch PWNED",
        "-o;touch PWNED",
        "x$(touch PWNED)",
    ];
    for (i, finding) in crafted["findings"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .enumerate()
    {
        let fields = finding["fields"].as_object_mut().unwrap();
        if fields.contains_key("host") {
            fields.insert("username".into(), Value::from(values[i % values.len()]));
            fields.insert("host".into(), Value::from(values[(i + 1) % values.len()]));
        }
        if fields.contains_key("access_key_id") {
            fields.insert("access_key_id".into(), Value::from("AKIA$(touch PWNED)"));
        }
    }
    let by_hand = sandbox.path("crafted.json");
    std::fs::write(&by_hand, crafted.to_string()).unwrap();

    for (report, show) in [(&from_scan, true), (&by_hand, true), (&by_hand, false)] {
        let mut args = vec!["advise", report.to_str().unwrap()];
        if show {
            args.push("--show-secrets");
        }
        let output = blobhound(&args);
        assert_eq!(output.status.code(), Some(0), "{}", text(&output));
        let plan = String::from_utf8(output.stdout).unwrap();
        let blocks = sh_blocks(&plan);
        let work = tempfile::tempdir().unwrap();
        let bin = stand_ins(work.path());
        let log = work.path().join("log");
        for block in &blocks {
            let script = work.path().join("pasted.sh");
            std::fs::write(&script, block).unwrap();
            let ran = Command::new("bash")
                .arg(&script)
                .current_dir(work.path())
                .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
                .env("STAND_IN_LOG", &log)
                .stdin(Stdio::null())
                .output()
                .unwrap();
            assert!(ran.status.success(), "{block}\n{}", text(&ran));
            assert!(
                !work.path().join("PWNED").exists(),
                "pasting ran a command from the report:\n{block}"
            );
        }
        let log = std::fs::read_to_string(&log).unwrap();
        for client in [
            "psql",
            "mysql",
            "redis-cli",
            "rabbitmqctl",
            "mongosh",
            "aws",
            "python",
        ] {
            assert!(
                log.lines().any(|l| l.starts_with(&format!("{client} ["))),
                "no block called {client}:\n{log}"
            );
        }
        if report == &from_scan {
            // The username reached each program exactly as the URL had it.
            assert!(log.contains(&format!("ALTER ROLE \"{hostile}\"")), "{log}");
            assert!(log.contains(&format!("WHERE user = '{hostile}'")), "{log}");
            assert!(
                log.contains(&format!("rabbitmqctl [{hostile}]"))
                    || log.contains(&format!("[change_password] [{hostile}]")),
                "{log}"
            );
            assert!(log.contains(&format!("AttributeValue={key_id}")), "{log}");
        }
        assert!(
            !plan.contains("```sh\nAllow"),
            "prose stays outside the blocks"
        );
    }
}

#[test]
fn markdown_from_a_report_escapes_markup_from_findings() {
    let mut sandbox = Sandbox::new(1305);
    let (repo, _) = sandbox.repo_with_a_key();
    let (_, mut report) = scan_json(&repo, &[]);
    report["findings"][0]["locations"][0]["path"] =
        Value::from("<script>alert(1)</script>[click](https://evil.test)|x");
    report["findings"][0]["locations"][0]["commit"]["author"] =
        Value::from("<img src=x onerror=alert(1)>");
    let file = sandbox.path("report.json");
    std::fs::write(&file, report.to_string()).unwrap();
    let output = blobhound(&["advise", file.to_str().unwrap()]);
    let plan = String::from_utf8(output.stdout).unwrap();
    // Every `<` and `[` from the report is escaped, so none opens a tag or a link.
    let unescaped = plan.replace(r"\<", "").replace(r"\[", "");
    assert!(!unescaped.contains("<script"), "{plan}");
    assert!(!unescaped.contains("<img"), "{plan}");
    assert!(!unescaped.contains("[click]"), "{plan}");
    assert!(plan.contains(r"\<script\>"), "{plan}");
}

#[test]
fn output_files_are_never_written_through_a_link() {
    let mut sandbox = Sandbox::new(1306);
    let (repo, _) = sandbox.repo_with_a_key();
    let target = repo.to_str().unwrap();
    let victim = sandbox.path("victim.txt");
    std::fs::write(&victim, "precious\n").unwrap();
    let link = sandbox.path("report.json");
    std::os::unix::fs::symlink(&victim, &link).unwrap();
    let dangling = sandbox.path("dangling.json");
    std::os::unix::fs::symlink(sandbox.path("nowhere/new.txt"), &dangling).unwrap();
    let report = sandbox.path("real-report.json");
    let (_, json) = scan_json(&repo, &[]);
    std::fs::write(&report, json.to_string()).unwrap();

    for (what, args) in [
        (
            "scan -o",
            vec![
                "scan",
                target,
                "--no-progress",
                "-o",
                link.to_str().unwrap(),
            ],
        ),
        (
            "scan -o (dangling)",
            vec![
                "scan",
                target,
                "--no-progress",
                "-o",
                dangling.to_str().unwrap(),
            ],
        ),
        (
            "baseline create -o",
            vec![
                "baseline",
                "create",
                target,
                "--no-progress",
                "-o",
                link.to_str().unwrap(),
            ],
        ),
        (
            "advise -o",
            vec![
                "advise",
                report.to_str().unwrap(),
                "-o",
                link.to_str().unwrap(),
            ],
        ),
        (
            "advise --replace-text",
            vec![
                "advise",
                report.to_str().unwrap(),
                "--replace-text",
                link.to_str().unwrap(),
            ],
        ),
    ] {
        let output = blobhound(&args);
        assert_eq!(output.status.code(), Some(2), "{what}: {}", text(&output));
        assert!(
            text(&output).contains("symbolic link"),
            "{what}: {}",
            text(&output)
        );
        assert_eq!(
            std::fs::read_to_string(&victim).unwrap(),
            "precious\n",
            "{what}"
        );
    }
    assert!(!sandbox.path("nowhere").exists());

    // A regular file is replaced whole, private to its owner; a device is written as it is.
    let written = sandbox.path("out.json");
    std::fs::write(&written, "old\n").unwrap();
    let output = blobhound(&[
        "scan",
        target,
        "--no-progress",
        "--format",
        "json",
        "-o",
        written.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    assert!(std::fs::read_to_string(&written)
        .unwrap()
        .contains("django-secret-key"));
    let mode = std::fs::metadata(&written).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let output = blobhound(&[
        "scan",
        target,
        "--no-progress",
        "--format",
        "json",
        "-o",
        "/dev/stdout",
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let _: Value = serde_json::from_slice(&output.stdout).expect("the report went to stdout");
}
