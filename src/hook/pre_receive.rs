//! The pre-receive hook: scan what a push brings, and nothing else.
//!
//! During pre-receive, git keeps the pushed objects in a quarantine directory
//! (`GIT_QUARANTINE_PATH`) until the hook accepts them, so the new commits are exactly the commit
//! objects found there, and the cost follows the size of the push, not of the repository. Where no
//! quarantine exists (old git, or a hook run by hand), the new commits are those reachable from the
//! new tips and from no existing ref.

use std::collections::BTreeSet;
use std::path::Path;

use gix::objs::Kind;
use gix::ObjectId;

use crate::error::{Error, Result};
use crate::gate::{scan_commits, GateOptions};
use crate::report::Report;
use crate::scan::Engine;
use crate::source::changes::Layered;

/// One line of git's pre-receive input: `<old> <new> <ref>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Update {
    /// The ref's value before the push (all zeros for a new ref).
    pub old: ObjectId,
    /// The ref's value after the push (all zeros for a deletion).
    pub new: ObjectId,
    /// The ref's full name.
    pub refname: String,
}

/// Parses git's pre-receive input; a malformed line is an error (the hook then fails closed).
pub fn parse_updates(input: &str) -> Result<Vec<Update>> {
    input
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let mut parts = line.split_whitespace();
            let (Some(old), Some(new), Some(refname), None) =
                (parts.next(), parts.next(), parts.next(), parts.next())
            else {
                return Err(Error::Usage(format!("not a pre-receive line: {line:?}")));
            };
            let id = |hex: &str| {
                ObjectId::from_hex(hex.as_bytes())
                    .map_err(|e| Error::Usage(format!("bad object id {hex:?}: {e}")))
            };
            Ok(Update {
                old: id(old)?,
                new: id(new)?,
                refname: refname.to_string(),
            })
        })
        .collect()
}

/// The fingerprints a pusher allowed with `git push -o blobhound.allow=<fingerprint>[,<fp>...]`,
/// from git's `GIT_PUSH_OPTION_COUNT` / `GIT_PUSH_OPTION_<n>` variables.
pub fn push_option_allows(env: &dyn Fn(&str) -> Option<String>) -> BTreeSet<String> {
    let count = env("GIT_PUSH_OPTION_COUNT")
        .and_then(|c| c.parse::<usize>().ok())
        .unwrap_or(0);
    (0..count)
        .filter_map(|i| env(&format!("GIT_PUSH_OPTION_{i}")))
        .filter_map(|option| option.strip_prefix("blobhound.allow=").map(str::to_string))
        .flat_map(|list| {
            list.split(',')
                .map(|f| f.trim().to_ascii_lowercase())
                .filter(|f| !f.is_empty())
                .collect::<Vec<_>>()
        })
        .collect()
}

/// What the push brings, scanned.
pub struct PushScan {
    /// The findings and what could not be read.
    pub report: Report,
    /// Whether the new commits came from the quarantine (else from a walk against existing refs).
    pub used_quarantine: bool,
}

/// Scans the commits a push introduces into the repository at `git_dir`.
pub fn scan_push(
    git_dir: &Path,
    updates: &[Update],
    quarantine: Option<&Path>,
    engine: &Engine,
    options: GateOptions,
) -> Result<PushScan> {
    let repo = crate::scanner::open_repository(git_dir)?.ok_or_else(|| Error::NotATarget {
        path: git_dir.to_path_buf(),
    })?;
    let tips: Vec<ObjectId> = updates
        .iter()
        .map(|u| u.new)
        .filter(|id| !id.is_null())
        .collect();
    let target = git_dir.display().to_string();
    if tips.is_empty() {
        // Only deletions: nothing new can enter the repository.
        let report = scan_commits(&repo.objects, &[], &[], engine, options, &target);
        return Ok(PushScan {
            report,
            used_quarantine: quarantine.is_some(),
        });
    }
    match quarantine {
        Some(dir) => {
            let pushed = gix::odb::at(dir, repo.object_hash()).map_err(|e| {
                Error::io(format!("opening the push quarantine {}", dir.display()), e)
            })?;
            let commits = quarantine_commits(&pushed)?;
            let objects = Layered {
                first: &pushed,
                second: &repo.objects,
            };
            let report = scan_commits(&objects, &commits, &tips, engine, options, &target);
            Ok(PushScan {
                report,
                used_quarantine: true,
            })
        }
        None => {
            let existing = existing_tips(&repo)?;
            let walk = repo
                .rev_walk(tips.iter().copied())
                .with_hidden(existing)
                .all()
                .map_err(|e| Error::Git(format!("cannot walk the pushed commits: {e}")))?;
            let mut commits = Vec::new();
            for info in walk {
                let info =
                    info.map_err(|e| Error::Git(format!("cannot walk the pushed commits: {e}")))?;
                commits.push(info.id);
            }
            let report = scan_commits(&repo.objects, &commits, &tips, engine, options, &target);
            Ok(PushScan {
                report,
                used_quarantine: false,
            })
        }
    }
}

/// The commit objects among the pushed objects.
fn quarantine_commits(pushed: &gix::odb::Handle) -> Result<Vec<ObjectId>> {
    use gix::prelude::Header;
    let all = pushed
        .iter()
        .map_err(|e| Error::Git(format!("cannot list the pushed objects: {e}")))?;
    let mut commits = Vec::new();
    for id in all {
        let id = id.map_err(|e| Error::Git(format!("cannot list the pushed objects: {e}")))?;
        match pushed.try_header(&id) {
            Ok(Some(header)) if header.kind() == Kind::Commit => commits.push(id),
            Ok(_) => {}
            Err(e) => return Err(Error::Git(format!("cannot read pushed object {id}: {e}"))),
        }
    }
    commits.sort();
    commits.dedup();
    Ok(commits)
}

/// The commits existing refs point at, which pushed history is walked against.
fn existing_tips(repo: &gix::Repository) -> Result<Vec<ObjectId>> {
    let platform = repo
        .references()
        .map_err(|e| Error::Git(format!("cannot list references: {e}")))?;
    let all = platform
        .all()
        .map_err(|e| Error::Git(format!("cannot list references: {e}")))?;
    let mut tips = Vec::new();
    for reference in all.flatten() {
        let mut reference = reference;
        if let Ok(id) = reference.peel_to_id() {
            if let Ok(object) = id.object() {
                if let Ok(commit) = object.peel_to_commit() {
                    tips.push(commit.id);
                }
            }
        }
    }
    tips.sort();
    tips.dedup();
    Ok(tips)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn updates_parse_and_bad_lines_are_errors() {
        let zero = "0".repeat(40);
        let new = "a".repeat(40);
        let updates = parse_updates(&format!("{zero} {new} refs/heads/main\n")).unwrap();
        assert_eq!(updates[0].refname, "refs/heads/main");
        assert!(updates[0].old.is_null());
        assert!(parse_updates("garbage\n").is_err());
    }

    #[test]
    fn push_options_name_fingerprints() {
        let env = |name: &str| match name {
            "GIT_PUSH_OPTION_COUNT" => Some("2".to_string()),
            "GIT_PUSH_OPTION_0" => Some("ci.skip".to_string()),
            "GIT_PUSH_OPTION_1" => Some("blobhound.allow=AB12,cd34".to_string()),
            _ => None,
        };
        let allowed = push_option_allows(&env);
        assert_eq!(allowed.into_iter().collect::<Vec<_>>(), ["ab12", "cd34"]);
    }
}
