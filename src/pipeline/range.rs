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
/// git's revision syntax; an all-zero `from` hides every ref that does not point at `to` itself.
pub fn commits(repo: &gix::Repository, from: &str, to: &str) -> Result<Selection> {
    let resolve = |spec: &str| -> Result<ObjectId> {
        let id = repo
            .rev_parse_single(spec)
            .map_err(|e| Error::Usage(format!("cannot resolve {spec:?}: {e}")))?;
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
            "the base is all zeros (a new branch): scanned the {} commits reachable from {to} \
             and from no other ref",
            ids.len()
        )
    });
    Ok(Selection {
        commits: ids,
        tip,
        note,
    })
}

/// The commits every ref points at (through tags), except refs at `tip` itself.
fn other_ref_tips(repo: &gix::Repository, tip: ObjectId) -> Result<Vec<ObjectId>> {
    let mut tips = Vec::new();
    for id in ref_commits(repo)? {
        if id != tip {
            tips.push(id);
        }
    }
    Ok(tips)
}

/// The commit each ref of `repo` points at, through annotated tags; refs that do not lead to a
/// commit are left out.
pub fn ref_commits(repo: &gix::Repository) -> Result<Vec<ObjectId>> {
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
