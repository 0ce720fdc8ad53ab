//! Real git repositories made on the fly for hook and gate tests, with secrets from a seeded
//! generator (never literals).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A temporary directory holding repositories.
pub struct Sandbox {
    dir: tempfile::TempDir,
    seed: u64,
}

impl Sandbox {
    pub fn new(seed: u64) -> Self {
        Sandbox {
            dir: tempfile::tempdir().expect("temp dir"),
            seed,
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// A fresh Django-style secret key (50 characters of Django's alphabet).
    pub fn django_key(&mut self) -> String {
        self.random(b"abcdefghijklmnopqrstuvwxyz0123456789!@#%^&*(-_=+)", 50)
    }

    /// `len` characters of `alphabet` from the seeded generator.
    pub fn random(&mut self, alphabet: &[u8], len: usize) -> String {
        (0..len)
            .map(|_| {
                self.seed = self
                    .seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                alphabet[(self.seed >> 33) as usize % alphabet.len()] as char
            })
            .collect()
    }

    /// A password of letters and digits, as a generator would make one.
    pub fn password(&mut self) -> String {
        self.random(
            b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789",
            20,
        )
    }

    /// An AWS access key id (`AKIA…`) and its secret access key, of the real shapes.
    pub fn aws_pair(&mut self) -> (String, String) {
        let id = format!(
            "AKIA{}",
            self.random(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)
        );
        let secret = self.random(
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
            40,
        );
        (id, secret)
    }

    /// A bare repository with push options advertised.
    pub fn bare(&self, name: &str) -> PathBuf {
        let path = self.path(name);
        git(
            self.dir.path(),
            &["init", "-q", "--bare", path.to_str().unwrap()],
        );
        git(&path, &["config", "receive.advertisePushOptions", "true"]);
        path
    }

    /// A working repository `work`, cloned from an empty bare `origin.git`.
    pub fn work(&self) -> PathBuf {
        let origin = self.bare("origin.git");
        self.clone(&origin, "work")
    }

    /// [`Sandbox::work`] with one commit that adds a fresh Django key to `settings.py`.
    pub fn repo_with_a_key(&mut self) -> (PathBuf, String) {
        let repo = self.work();
        let key = self.django_key();
        commit_file(
            &repo,
            "settings.py",
            &format!("SECRET_KEY = '{key}'\n"),
            "Settings",
        );
        (repo, key)
    }

    /// A working repository cloned from `origin`.
    pub fn clone(&self, origin: &Path, name: &str) -> PathBuf {
        let path = self.path(name);
        git(
            self.dir.path(),
            &[
                "clone",
                "-q",
                origin.to_str().unwrap(),
                path.to_str().unwrap(),
            ],
        );
        git(&path, &["config", "user.name", "Dev One"]);
        git(&path, &["config", "user.email", "dev1@example.test"]);
        path
    }
}

/// Environment that keeps git away from this machine's configuration.
fn isolate(command: &mut Command) -> &mut Command {
    command
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_DATE", "2024-03-01T10:00:00+00:00")
        .env("GIT_COMMITTER_DATE", "2024-03-01T10:00:00+00:00")
        .env("GIT_AUTHOR_NAME", "Dev One")
        .env("GIT_AUTHOR_EMAIL", "dev1@example.test")
        .env("GIT_COMMITTER_NAME", "Dev One")
        .env("GIT_COMMITTER_EMAIL", "dev1@example.test")
        .env_remove("GIT_DIR")
        .env_remove("GIT_INDEX_FILE")
}

/// Runs git in `dir`; panics when it fails.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let output = try_git(dir, args);
    assert!(
        output.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

/// Runs git in `dir` and returns what happened.
pub fn try_git(dir: &Path, args: &[&str]) -> Output {
    isolate(Command::new("git").current_dir(dir).args(args))
        .output()
        .expect("git runs")
}

/// Writes `content` to `path` in `repo` and commits it with `message`.
pub fn commit_file(repo: &Path, path: &str, content: &str, message: &str) -> String {
    let file = repo.join(path);
    if let Some(parent) = file.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&file, content).unwrap();
    git(repo, &["add", path]);
    git(repo, &["commit", "-q", "-m", message]);
    git(repo, &["rev-parse", "HEAD"])
}

/// The commit a ref points at in `repo`, if any.
pub fn ref_value(repo: &Path, name: &str) -> Option<String> {
    let output = try_git(repo, &["rev-parse", "--verify", "-q", name]);
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_string())
}
