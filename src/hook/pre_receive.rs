//! The pre-receive hook: scan what a push brings, and nothing else.
//!
//! During pre-receive, git keeps the pushed objects in a quarantine directory
//! (`GIT_QUARANTINE_PATH`) until the hook accepts them, so the new commits are exactly the commit
//! objects found there, and the cost follows the size of the push, not of the repository. Where no
//! quarantine exists (old git, or a hook run by hand), the new commits are those reachable from the
//! new tips and from no existing ref.

use std::collections::BTreeSet;
use std::path::Path;

use gix::objs::{Exists, FindHeader, Kind, TagRefIter};
use gix::ObjectId;

use crate::collect::Limits;
use crate::error::{Error, Result};
use crate::model::SkipReason;
use crate::objects::{fetch, repository, Fetched, Layered, Objects};
use crate::pipeline::gate::{GateScan, Introduction};
use crate::pipeline::range::ref_commits;
use crate::report::{FindingOptions, Report};
use crate::scan::Engine;

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
                return Err(Error::Usage(format!(
                    "not a pre-receive line (<old id> <new id> <ref>): {}",
                    shown(line)
                )));
            };
            let id = |hex: &str| {
                ObjectId::from_hex(hex.as_bytes())
                    .map_err(|e| Error::Usage(format!("bad object id {}: {e}", shown(hex))))
            };
            Ok(Update {
                old: id(old)?,
                new: id(new)?,
                refname: refname.to_string(),
            })
        })
        .collect()
}

/// Input as an error message quotes it: at most a line's worth, so that a hook fed megabytes of
/// garbage does not echo them back to the pusher and into the server's logs.
fn shown(input: &str) -> String {
    const SHOWN: usize = 100;
    let mut quoted = format!("{:?}", input.chars().take(SHOWN).collect::<String>());
    let total = input.chars().count();
    if total > SHOWN {
        quoted.push_str(&format!(" ... ({total} characters)"));
    }
    quoted
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

/// Tags nested deeper than this are not followed (git itself never makes such chains).
const TAG_DEPTH_AT_MOST: usize = 32;

/// Scans what a push introduces into the repository at `git_dir`: the commits it adds, and
/// whatever its refs point at directly (annotated tags and their messages, trees, blobs).
pub fn scan_push(
    git_dir: &Path,
    updates: &[Update],
    quarantine: Option<&Path>,
    engine: &Engine,
    limits: Limits,
    findings: &FindingOptions,
) -> Result<PushScan> {
    let repo = repository::open(git_dir)?.ok_or_else(|| Error::NotATarget {
        path: git_dir.to_path_buf(),
    })?;
    let target = git_dir.display().to_string();
    let pushed = match quarantine {
        Some(dir) => {
            let mut pushed = gix::odb::at(dir, repo.object_hash()).map_err(|e| {
                Error::io(format!("opening the push quarantine {}", dir.display()), e)
            })?;
            repository::cache_delta_bases(&mut pushed);
            Some(pushed)
        }
        None => None,
    };
    let layered;
    let objects: &dyn Objects = match &pushed {
        Some(pushed) => {
            layered = Layered {
                first: pushed,
                second: &repo.objects,
            };
            &layered
        }
        None => &repo.objects,
    };
    // An object counts as new when the quarantine holds it; without one, everything is offered.
    let is_new = |id: &ObjectId| pushed.as_ref().is_none_or(|p| p.exists(id));

    let mut gate = GateScan::new(objects, engine, limits);
    let mut tips = Vec::new();
    let mut buf = Vec::new();
    for update in updates.iter().filter(|u| !u.new.is_null()) {
        let mut id = update.new;
        for _ in 0..TAG_DEPTH_AT_MOST {
            match fetch(objects, &id, limits.max_blob_size, &mut buf) {
                Fetched::Object {
                    kind: Kind::Tag,
                    data,
                } => {
                    let target = TagRefIter::from_bytes(data, id.kind()).target_id();
                    if is_new(&id) {
                        gate.tag_message(id, data, &update.refname);
                    }
                    match target {
                        Ok(target) => id = target,
                        Err(e) => {
                            gate.skip(id, SkipReason::Corrupt, format!("tag: {e}"));
                            break;
                        }
                    }
                }
                Fetched::Object {
                    kind: Kind::Commit, ..
                } => {
                    tips.push(id);
                    break;
                }
                Fetched::Object {
                    kind: Kind::Tree, ..
                } => {
                    if is_new(&id) {
                        gate.tree(id, &update.refname);
                    }
                    break;
                }
                Fetched::Object {
                    kind: Kind::Blob, ..
                }
                | Fetched::TooLarge { .. } => {
                    if is_new(&id) {
                        gate.introduce(Introduction {
                            blob: id,
                            path: None,
                            commit: None,
                            bases: Vec::new(),
                            tag: Some(update.refname.clone()),
                        });
                    }
                    break;
                }
                Fetched::Missing => {
                    gate.skip(id, SkipReason::Missing, update.refname.clone());
                    break;
                }
                Fetched::Corrupt(message) => {
                    gate.skip(id, SkipReason::Corrupt, message);
                    break;
                }
            }
        }
    }
    let commits = match &pushed {
        Some(pushed) => quarantine_commits(pushed)?,
        None if tips.is_empty() => Vec::new(),
        None => {
            let existing = ref_commits(&repo)?;
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
            commits
        }
    };
    gate.commits(&commits);
    let report = gate.finish(&tips, findings, &target);
    Ok(PushScan {
        report,
        used_quarantine: pushed.is_some(),
    })
}

/// The commit objects among the pushed objects.
fn quarantine_commits(pushed: &gix::odb::Handle) -> Result<Vec<ObjectId>> {
    let all = pushed
        .iter()
        .map_err(|e| Error::Git(format!("cannot list the pushed objects: {e}")))?;
    let mut commits = Vec::new();
    for id in all {
        let id = id.map_err(|e| Error::Git(format!("cannot list the pushed objects: {e}")))?;
        match pushed.try_header(&id) {
            Ok(Some(header)) if header.kind == Kind::Commit => commits.push(id),
            Ok(_) => {}
            Err(e) => return Err(Error::Git(format!("cannot read pushed object {id}: {e}"))),
        }
    }
    commits.sort();
    commits.dedup();
    Ok(commits)
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

    #[test]
    fn a_garbage_line_is_quoted_only_in_part() {
        let garbage = format!("{}\n", "x".repeat(10 << 20));
        let error = parse_updates(&garbage).unwrap_err().to_string();
        assert!(error.len() < 300, "{}", error.len());
        assert!(error.contains("10485760 characters"), "{error}");
    }
}
