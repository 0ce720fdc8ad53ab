//! Finding the repositories under a git server's storage root, in the layouts servers keep:
//! plain trees (`owner/name.git`, as Gitea, Forgejo and gitolite do), GitLab's hashed storage
//! (`@hashed/ab/cd/<sha256>.git`, each named by its `gitlab.fullpath` config), and working trees
//! (a `.git` inside). The walk never follows a symbolic link (a loop under ROOT cannot trap it),
//! never descends into a repository, and lists what it could not read instead of stopping.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// A repository found, and the name reports give it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Found {
    /// `owner/name` for a plain tree; the `gitlab.fullpath` of a hashed one.
    pub name: String,
    /// Its git directory (the bare repository, or the `.git` of a working tree).
    pub path: PathBuf,
}

/// A directory the walk could not read, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreadable {
    /// The directory.
    pub path: PathBuf,
    /// Why, for a person.
    pub reason: String,
}

/// What a walk found.
#[derive(Debug, Default)]
pub struct Discovery {
    /// The repositories, sorted by name.
    pub repositories: Vec<Found>,
    /// Directories that could not be read.
    pub unreadable: Vec<Unreadable>,
}

/// Which repositories a walk keeps.
#[derive(Debug, Clone, Copy, Default)]
pub struct DiscoverOptions {
    /// Leave out GitLab's `.wiki.git` and `.design.git` companions.
    pub skip_gitlab_companions: bool,
}

/// Every repository under `root`.
pub fn discover(root: &Path, options: DiscoverOptions) -> Result<Discovery> {
    let meta = std::fs::metadata(root)
        .map_err(|e| Error::io(format!("reading the audit root {}", root.display()), e))?;
    if !meta.is_dir() {
        return Err(Error::Usage(format!(
            "{}: the audit root must be a directory",
            root.display()
        )));
    }
    let mut found = Discovery::default();
    let mut walk = walkdir::WalkDir::new(root).follow_links(false).into_iter();
    while let Some(entry) = walk.next() {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                found.unreadable.push(Unreadable {
                    path: e
                        .path()
                        .map_or_else(|| root.to_path_buf(), Path::to_path_buf),
                    reason: e
                        .io_error()
                        .map_or_else(|| e.to_string(), std::io::Error::to_string),
                });
                continue;
            }
        };
        if !entry.file_type().is_dir() {
            continue;
        }
        let dir = entry.path();
        let git_dir = if is_git_dir(dir) {
            dir.to_path_buf()
        } else if is_git_dir(&dir.join(".git")) {
            dir.join(".git")
        } else {
            continue;
        };
        walk.skip_current_dir();
        let relative = dir.strip_prefix(root).unwrap_or(dir);
        let name = name_of(relative, &git_dir);
        if options.skip_gitlab_companions && (name.ends_with(".wiki") || name.ends_with(".design"))
        {
            continue;
        }
        found.repositories.push(Found {
            name,
            path: git_dir,
        });
    }
    found.repositories.sort();
    Ok(found)
}

/// The repositories listed in `file`, one path per line (`#` starts a comment), relative to the
/// file's folder unless absolute; each named by its path as written.
pub fn from_list(file: &Path) -> Result<Discovery> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| Error::io(format!("reading the repository list {}", file.display()), e))?;
    let base = file.parent().unwrap_or(Path::new("."));
    let mut found = Discovery::default();
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let path = base.join(line);
        let git_dir = if is_git_dir(&path) {
            path.clone()
        } else if is_git_dir(&path.join(".git")) {
            path.join(".git")
        } else {
            found.unreadable.push(Unreadable {
                path,
                reason: "not a git repository".to_string(),
            });
            continue;
        };
        found.repositories.push(Found {
            name: line
                .trim_end_matches('/')
                .trim_end_matches(".git")
                .to_string(),
            path: git_dir,
        });
    }
    found.repositories.sort();
    found.repositories.dedup_by(|a, b| a.path == b.path);
    Ok(found)
}

/// Whether `dir` is a git directory: `HEAD`, `objects/` and `refs/` (or a `commondir`).
fn is_git_dir(dir: &Path) -> bool {
    dir.join("HEAD").is_file()
        && dir.join("objects").is_dir()
        && (dir.join("refs").is_dir() || dir.join("commondir").is_file())
}

/// The name of the repository at `relative` (from the root): GitLab's `gitlab.fullpath` for
/// hashed storage, else the path without `.git`.
fn name_of(relative: &Path, git_dir: &Path) -> String {
    if let Some(full) = gitlab_fullpath(git_dir) {
        let suffix = relative
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| {
                [".wiki.git", ".design.git"]
                    .into_iter()
                    .find(|s| n.ends_with(s))
            })
            .map(|s| s.trim_end_matches(".git"))
            .unwrap_or("");
        if full.ends_with(suffix) {
            return full;
        }
        return format!("{full}{suffix}");
    }
    let text = relative.to_string_lossy().replace('\\', "/");
    let text = text.trim_end_matches(".git").trim_end_matches('/');
    if text.is_empty() {
        ".".to_string()
    } else {
        text.to_string()
    }
}

/// `gitlab.fullpath` from a repository's `config`, as GitLab writes it into hashed storage.
fn gitlab_fullpath(git_dir: &Path) -> Option<String> {
    let text = std::fs::read_to_string(git_dir.join("config")).ok()?;
    let mut in_gitlab = false;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_gitlab = line
                .trim_matches(['[', ']'])
                .trim()
                .eq_ignore_ascii_case("gitlab");
        } else if in_gitlab {
            if let Some((key, value)) = line.split_once('=') {
                if key.trim().eq_ignore_ascii_case("fullpath") {
                    let value = value.trim().trim_matches('"').to_string();
                    return (!value.is_empty()).then_some(value);
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    fn git(args: &[&str], dir: &Path) {
        let ok = Command::new("git")
            .args(args)
            .current_dir(dir)
            .output()
            .unwrap()
            .status
            .success();
        assert!(ok, "git {args:?}");
    }

    fn bare(root: &Path, relative: &str) -> PathBuf {
        let path = root.join(relative);
        std::fs::create_dir_all(&path).unwrap();
        git(&["init", "-q", "--bare", "."], &path);
        path
    }

    #[test]
    fn plain_and_hashed_layouts_are_found_and_named() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        bare(root, "ops/svc1.git");
        bare(root, "ops/svc2.git");
        let hashed = bare(root, "@hashed/6b/86/6b86b273ff34fce1.git");
        git(&["config", "gitlab.fullpath", "ops/svc3"], &hashed);
        let wiki = bare(root, "@hashed/6b/86/6b86b273ff34fce1.wiki.git");
        git(&["config", "gitlab.fullpath", "ops/svc3"], &wiki);
        let work = root.join("people/dev/tool");
        std::fs::create_dir_all(&work).unwrap();
        git(&["init", "-q", "."], &work);
        // A symlink loop is not followed.
        std::os::unix::fs::symlink(root, root.join("ops/loop")).unwrap();
        let found = discover(root, DiscoverOptions::default()).unwrap();
        let names: Vec<&str> = found.repositories.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "ops/svc1",
                "ops/svc2",
                "ops/svc3",
                "ops/svc3.wiki",
                "people/dev/tool"
            ]
        );
        assert!(found.repositories[4].path.ends_with("tool/.git"));
        let found = discover(
            root,
            DiscoverOptions {
                skip_gitlab_companions: true,
            },
        )
        .unwrap();
        assert_eq!(found.repositories.len(), 4);
    }

    #[test]
    fn a_list_names_repositories_and_flags_what_is_not_one() {
        let dir = tempfile::tempdir().unwrap();
        bare(dir.path(), "a.git");
        std::fs::create_dir_all(dir.path().join("plain")).unwrap();
        let list = dir.path().join("repos.txt");
        std::fs::write(&list, "# the server's repositories\na.git\nplain\n").unwrap();
        let found = from_list(&list).unwrap();
        assert_eq!(found.repositories.len(), 1);
        assert_eq!(found.repositories[0].name, "a");
        assert_eq!(found.unreadable.len(), 1);
        assert!(discover(&list, DiscoverOptions::default()).is_err());
    }
}
