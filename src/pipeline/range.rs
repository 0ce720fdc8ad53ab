//! The selection of `--range BASE..HEAD` and `--since REV`: the commits reachable from HEAD and
//! not from BASE, each of which the gate scans. CI systems pass an all-zero BASE for a branch
//! pushed for the first time; that means the commits no other ref already holds.

use gix::ObjectId;

use crate::error::{Error, Result};

/// The commits a range selects.
pub struct Selection {
    /// Every commit of the range, in walk order.
    pub commits: Vec<ObjectId>,
    /// The range's end, whose tree decides `in_head`.
    pub tip: ObjectId,
    /// What the report should say about how the range was read (a new branch).
    pub note: Option<String>,
}

/// The commits reachable from `to` but not from `from` (git's `from..to`), resolving both with
/// git's revision syntax; an all-zero `from` (a new branch) hides every ref but the branch's own.
pub fn commits(repo: &gix::Repository, from: &str, to: &str) -> Result<Selection> {
    let resolve = |spec: &str| -> Result<ObjectId> {
        let id = repo.rev_parse_single(spec).map_err(|e| {
            // gix's outer error names its parser's internals ("delegate.traverse(...)
            // failed"); the one below it says what is wrong with the name in words.
            let why =
                std::error::Error::source(&e).map_or_else(|| e.to_string(), |s| s.to_string());
            Error::Usage(format!("cannot resolve {spec:?}: {why}"))
        })?;
        id.object()
            .and_then(|o| o.peel_to_commit())
            .map(|c| c.id)
            .map_err(|e| Error::Usage(format!("{spec:?} is not a commit: {e}")))
    };
    let tip = resolve(to)?;
    let new_branch = !from.is_empty() && from.bytes().all(|b| b == b'0');
    let hidden = if new_branch {
        other_ref_tips(repo, tip)?
    } else {
        vec![resolve(from)?]
    };
    let walk = repo
        .rev_walk([tip])
        .with_hidden(hidden)
        .all()
        .map_err(|e| Error::Git(format!("cannot walk {from}..{to}: {e}")))?;
    let mut ids = Vec::new();
    for info in walk {
        let info = info.map_err(|e| Error::Git(format!("cannot walk {from}..{to}: {e}")))?;
        ids.push(info.id);
    }
    let note = new_branch.then(|| {
        format!(
            "the base is all zeros (a new branch): scanned the {} reachable from {to} \
             and from no other ref",
            crate::model::count(ids.len() as u64, "commit", "commits")
        )
    });
    Ok(Selection {
        commits: ids,
        tip,
        note,
    })
}

/// What a new branch is walked against: every ref but the branch itself. The branch is the one
/// HEAD names, locally (`refs/heads/NAME`) and as any remote has it (`refs/remotes/*/NAME`); with
/// a detached HEAD it is whatever points at `tip`.
fn other_ref_tips(repo: &gix::Repository, tip: ObjectId) -> Result<Vec<ObjectId>> {
    let branch = repo.head_name().ok().flatten().and_then(|name| {
        name.as_bstr()
            .to_string()
            .strip_prefix("refs/heads/")
            .map(str::to_string)
    });
    let is_the_branch = |name: &str, id: ObjectId| match &branch {
        Some(branch) => {
            name.strip_prefix("refs/heads/") == Some(branch.as_str())
                || name
                    .strip_prefix("refs/remotes/")
                    .and_then(|rest| rest.split_once('/'))
                    .is_some_and(|(_, short)| short == branch)
        }
        None => id == tip,
    };
    Ok(named_ref_commits(repo)?
        .into_iter()
        .filter(|(name, id)| !is_the_branch(name, *id))
        .map(|(_, id)| id)
        .collect())
}

/// The commit each ref of `repo` points at, through annotated tags; refs that do not lead to a
/// commit are left out.
pub fn ref_commits(repo: &gix::Repository) -> Result<Vec<ObjectId>> {
    let mut tips: Vec<ObjectId> = named_ref_commits(repo)?
        .into_iter()
        .map(|(_, id)| id)
        .collect();
    tips.sort();
    tips.dedup();
    Ok(tips)
}

/// Each ref's full name and the commit it leads to.
fn named_ref_commits(repo: &gix::Repository) -> Result<Vec<(String, ObjectId)>> {
    let platform = repo
        .references()
        .map_err(|e| Error::Git(format!("cannot list references: {e}")))?;
    let all = platform
        .all()
        .map_err(|e| Error::Git(format!("cannot list references: {e}")))?;
    let mut tips = Vec::new();
    for reference in all {
        let mut reference =
            reference.map_err(|e| Error::Git(format!("cannot read a reference: {e}")))?;
        let name = reference.name().as_bstr().to_string();
        if let Ok(id) = reference.peel_to_id() {
            if let Ok(object) = id.object() {
                if let Ok(commit) = object.peel_to_commit() {
                    tips.push((name, commit.id));
                }
            }
        }
    }
    Ok(tips)
}
