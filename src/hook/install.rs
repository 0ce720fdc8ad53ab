//! Writes hook scripts that call this binary. A hook that already exists is left alone unless the
//! user asks to replace it, because it may be another tool's.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Which hook to install.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HookKind {
    /// Server side: `hooks/pre-receive`.
    PreReceive,
    /// Client side: `.git/hooks/pre-commit`.
    PreCommit,
}

impl HookKind {
    fn file_name(self) -> &'static str {
        match self {
            HookKind::PreReceive => "pre-receive",
            HookKind::PreCommit => "pre-commit",
        }
    }
}

/// The directory git runs the repository's hooks from: `core.hooksPath` when it is set (in the
/// repository's, the user's or the system's configuration, as git reads it; relative to the
/// working tree, or to the git directory of a bare repository), else the git dir's `hooks`.
pub fn hooks_dir(repo: &Path) -> Result<PathBuf> {
    crate::objects::repository::open(repo)?.ok_or_else(|| Error::NotATarget {
        path: repo.to_path_buf(),
    })?;
    // Installing is not scanning: git's own configuration decides where hooks live, so it is
    // read in full here (a scan never reads it).
    let opened = gix::open(repo).map_err(|e| Error::OpenRepository {
        path: repo.to_path_buf(),
        hint: None,
        source: Box::new(e),
    })?;
    let configured = opened
        .config_snapshot()
        .trusted_path("core.hooksPath")
        .map_err(|e| Error::Git(format!("core.hooksPath: {e}")))?;
    Ok(match configured {
        Some(path) if path.is_absolute() => path,
        Some(path) => opened.workdir().unwrap_or(opened.git_dir()).join(path),
        None => opened.git_dir().join("hooks"),
    })
}

/// The script text: run `binary hook <kind> <args...>`, passing git's input through.
pub fn script(kind: HookKind, binary: &Path, args: &[String]) -> String {
    let mut command = vec![shell_quote(&binary.display().to_string())];
    command.push("hook".into());
    command.push(kind.file_name().into());
    command.extend(args.iter().map(|a| shell_quote(a)));
    format!(
        "#!/bin/sh\n# Installed by blobhound: {}.\nexec {}\n",
        match kind {
            HookKind::PreReceive =>
                "rejects pushes whose commits add secrets (it scans only what the push brings)",
            HookKind::PreCommit => "stops commits whose staged changes add secrets",
        },
        command.join(" ")
    )
}

/// Writes the hook into `dir` (created if missing), executable; refuses to replace an existing
/// file unless `force`. Returns the file written.
pub fn install(
    kind: HookKind,
    dir: &Path,
    binary: &Path,
    args: &[String],
    force: bool,
) -> Result<PathBuf> {
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
    let path = dir.join(kind.file_name());
    if path.exists() && !force {
        return Err(Error::Usage(format!(
            "{} exists; pass --force to replace it",
            path.display()
        )));
    }
    std::fs::write(&path, script(kind, binary, args))
        .map_err(|e| Error::io(format!("writing {}", path.display()), e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
            .map_err(|e| Error::io(format!("making {} executable", path.display()), e))?;
    }
    Ok(path)
}

fn shell_quote(text: &str) -> String {
    if !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/._-=+:,".contains(&b))
    {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_quotes_paths_with_spaces() {
        let text = script(
            HookKind::PreReceive,
            Path::new("/opt/my tools/blobhound"),
            &["--timeout".into(), "10".into()],
        );
        assert!(text.starts_with("#!/bin/sh\n"));
        assert!(text.contains("exec '/opt/my tools/blobhound' hook pre-receive --timeout 10"));
    }
}
