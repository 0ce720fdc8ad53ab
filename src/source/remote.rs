//! Scanning a URL: the repository is cloned into a bare mirror (every ref, as `git clone
//! --mirror` makes it), scanned there, and the mirror removed, unless the user keeps it. The
//! clone is git's own, so every transport and credential helper a user has configured works
//! (https, ssh, git, file), and nothing is ever asked at a prompt.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::error::{Error, Result};

/// Whether `target` names a remote repository rather than a path: `scheme://…`, or git's
/// scp-like `user@host:path`. A path that exists is always a path.
pub fn is_url(target: &str) -> bool {
    if Path::new(target).exists() {
        return false;
    }
    if let Some((scheme, _)) = target.split_once("://") {
        return !scheme.is_empty()
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    }
    // scp-like: `git@host:org/repo.git` (a colon before any slash, and a user).
    match (target.find(':'), target.find('/')) {
        (Some(colon), slash) => {
            target[..colon].contains('@') && slash.is_none_or(|slash| colon < slash)
        }
        _ => false,
    }
}

/// `url` without a password or token in it, for reports and messages:
/// `https://user:token@host/repo` becomes `https://user@host/repo`.
pub fn display_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}@{host}{path}")
        }
        None => url.to_string(),
    }
}

/// A bare mirror of a remote repository on disk.
#[derive(Debug)]
pub struct Mirror {
    path: PathBuf,
    /// Removes the mirror when dropped; `None` when the user keeps it.
    _temporary: Option<tempfile::TempDir>,
}

impl Mirror {
    /// Clones `url` with every ref into a temporary directory, or into `keep` (which must not
    /// exist yet, or be empty) to leave it there.
    pub fn clone(url: &str, keep: Option<&Path>) -> Result<Mirror> {
        let (path, temporary) = match keep {
            Some(dir) => (dir.to_path_buf(), None),
            None => {
                let dir = tempfile::Builder::new()
                    .prefix("blobhound-mirror-")
                    .tempdir()
                    .map_err(|e| Error::io("creating a directory for the clone", e))?;
                (dir.path().join("repo.git"), Some(dir))
            }
        };
        let output = Command::new("git")
            .args(["clone", "--mirror", "--quiet", "--"])
            .arg(url)
            .arg(&path)
            .env("GIT_TERMINAL_PROMPT", "0")
            .env("GIT_SSH_COMMAND", ssh_command())
            .stdin(Stdio::null())
            .output()
            .map_err(|e| Error::io("running git clone (is git installed?)", e))?;
        if !output.status.success() {
            let said = String::from_utf8_lossy(&output.stderr);
            let said = said.trim().replace(url, &display_url(url));
            return Err(Error::Git(format!(
                "cloning {} failed: {}",
                display_url(url),
                if said.is_empty() {
                    "git gave no reason"
                } else {
                    &said
                }
            )));
        }
        Ok(Mirror {
            path,
            _temporary: temporary,
        })
    }

    /// Where the mirror is.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// ssh that fails rather than asks (a password or a new host key) when nothing answers for it.
fn ssh_command() -> String {
    std::env::var("GIT_SSH_COMMAND").unwrap_or_else(|_| "ssh -o BatchMode=yes".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_told_from_paths() {
        assert!(is_url("https://example.test/org/repo.git"));
        assert!(is_url("ssh://git@example.test/org/repo.git"));
        assert!(is_url("git://127.0.0.1:9418/repo.git"));
        assert!(is_url("file:///srv/git/repo.git"));
        assert!(is_url("git@example.test:org/repo.git"));
        assert!(!is_url("org/repo"));
        assert!(!is_url("."));
        assert!(!is_url("dir/with:colon"));
        assert!(!is_url("C:stuff"));
    }

    #[test]
    fn passwords_never_reach_the_report() {
        assert_eq!(
            display_url("https://ci:glpat-abc123@git.example.test/org/repo.git"),
            "https://ci@git.example.test/org/repo.git"
        );
        assert_eq!(
            display_url("https://git.example.test/org/repo.git"),
            "https://git.example.test/org/repo.git"
        );
        assert_eq!(display_url("git@host:org/repo"), "git@host:org/repo");
    }
}
