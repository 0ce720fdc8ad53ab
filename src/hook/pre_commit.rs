//! The pre-commit hook: scan what the commit being made adds. The staged index is compared with
//! HEAD exactly as a gate compares a commit with its parent (renames followed, only added lines
//! count), so a secret already in HEAD's version of a file is history's problem, found by a full
//! scan, and the hook speaks only of what this commit would add.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use crate::collect::Limits;
use crate::error::{Error, Result};
use crate::objects::repository;
use crate::pipeline::gate::{GateScan, Introduction};
use crate::report::{FindingOptions, Report};
use crate::scan::Engine;
use crate::source::changes::{blobs_below, Change, Deleted};
use crate::source::renames;

/// Scans the staged changes of the repository at `workdir` against HEAD. `index_file` overrides
/// the index (git sets `GIT_INDEX_FILE` to a temporary one for `git commit <paths>`).
pub fn scan_staged(
    workdir: &Path,
    index_file: Option<&Path>,
    engine: &Engine,
    limits: Limits,
    findings: &FindingOptions,
) -> Result<Report> {
    let repo = repository::discover(workdir)?
        .ok_or_else(|| Error::NotATarget {
            path: workdir.to_path_buf(),
        })?
        .repo;
    let index = match index_file {
        Some(path) => gix::index::File::at(path, repo.object_hash(), false, Default::default())
            .map_err(|e| Error::Git(format!("cannot read the index {}: {e}", path.display())))?,
        None => repo
            .open_index()
            .map_err(|e| Error::Git(format!("cannot read the index: {e}")))?,
    };
    let head_tree = repo.head_tree_id().ok().map(|id| id.detach());
    let head_blobs: HashMap<String, gix::ObjectId> = match head_tree {
        Some(tree) => blobs_below(&repo.objects, tree, "").into_iter().collect(),
        None => HashMap::new(),
    };

    let mut changes = Vec::new();
    let mut staged_paths = HashSet::new();
    for entry in index.entries() {
        if entry.stage() != gix::index::entry::Stage::Unconflicted
            || entry
                .flags
                .contains(gix::index::entry::Flags::INTENT_TO_ADD)
            || entry.mode.is_submodule()
        {
            continue;
        }
        let path = entry.path(&index).to_string();
        staged_paths.insert(path.clone());
        let before = head_blobs.get(&path).copied();
        if before == Some(entry.id) || entry.id.is_empty_blob() {
            continue;
        }
        changes.push(Change {
            path,
            blob: entry.id,
            // The commit's one parent is HEAD; a first commit has none, so all of it is new.
            bases: if head_tree.is_some() {
                vec![before]
            } else {
                Vec::new()
            },
        });
    }
    let mut gone: Vec<(&String, &gix::ObjectId)> = head_blobs
        .iter()
        .filter(|(path, _)| !staged_paths.contains(*path))
        .collect();
    gone.sort();
    let deleted: Vec<Deleted> = gone
        .into_iter()
        .map(|(path, id)| Deleted::Blob(path.clone(), *id))
        .collect();
    if head_tree.is_some() {
        renames::pair(&repo.objects, &mut changes, 0, &deleted);
    }

    let mut gate = GateScan::new(&repo.objects, engine, limits);
    for change in changes {
        gate.introduce(Introduction {
            blob: change.blob,
            path: Some(change.path),
            commit: None,
            bases: change.bases,
            tag: None,
        });
    }
    let mut report = gate.finish(&[], findings, &workdir.display().to_string());
    for finding in &mut report.findings {
        finding.in_head = true; // staged: what the commit will hold
    }
    Ok(report)
}
