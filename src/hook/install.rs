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

/// The hooks directory of the repository at `repo` (its git dir's `hooks`).
pub fn hooks_dir(repo: &Path) -> Result<PathBuf> {
    let opened = crate::objects::repository::open(repo)?.ok_or_else(|| Error::NotATarget {
        path: repo.to_path_buf(),
    })?;
    Ok(opened.git_dir().join("hooks"))
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
