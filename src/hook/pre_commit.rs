//! The pre-commit hook: scan what the commit being made adds. A staged file is compared with its
//! version in HEAD, and a secret already in HEAD's version is not reported again (it is history's
//! problem, found by a full scan), so the hook speaks only of what this commit would add.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::atomic::AtomicU64;

use gix::objs::{Find, Kind, TreeRefIter};
use gix::ObjectId;

use crate::error::{Error, Result};
use crate::gate::GateOptions;
use crate::report::{build_findings, BlobPlace, Report};
use crate::scan::collector::{Collector, SkipReason};
use crate::scan::Engine;

/// Scans the staged changes of the repository at `workdir` against HEAD. `index_file` overrides
/// the index (git sets `GIT_INDEX_FILE` to a temporary one for `git commit <paths>`).
pub fn scan_staged(
    workdir: &Path,
    index_file: Option<&Path>,
    engine: &Engine,
    options: GateOptions,
) -> Result<Report> {
    let repo = crate::scanner::open_repository(workdir)?.ok_or_else(|| Error::NotATarget {
        path: workdir.to_path_buf(),
    })?;
    let index = match index_file {
        Some(path) => gix::index::File::at(path, repo.object_hash(), false, Default::default())
            .map_err(|e| Error::Git(format!("cannot read the index {}: {e}", path.display())))?,
        None => repo
            .open_index()
            .map_err(|e| Error::Git(format!("cannot read the index: {e}")))?,
    };
    let head_tree = repo.head_tree_id().ok().map(|id| id.detach());
    let mut buf = Vec::new();
    let head_blobs = match head_tree {
        Some(tree) => blobs_by_path(&repo.objects, tree, &mut buf),
        None => HashMap::new(),
    };

    let seen = AtomicU64::new(0);
    let collector = Collector::new(engine, options.limits, &seen);
    let mut places: HashMap<ObjectId, Vec<BlobPlace>> = HashMap::new();
    let mut previous: HashMap<ObjectId, ObjectId> = HashMap::new();
    for entry in index.entries() {
        if entry.stage() != gix::index::entry::Stage::Unconflicted
            || entry
                .flags
                .contains(gix::index::entry::Flags::INTENT_TO_ADD)
            || !entry.mode.is_submodule() && entry.id.is_empty_blob()
        {
            continue;
        }
        if entry.mode.is_submodule() {
            continue;
        }
        let path = entry.path(&index).to_string();
        let before = head_blobs.get(&path).copied();
        if before == Some(entry.id) {
            continue;
        }
        places.entry(entry.id).or_default().push(BlobPlace {
            path: Some(path.clone()),
            commit: None,
            unreachable_commit: None,
        });
        if let Some(before) = before {
            previous.insert(entry.id, before);
        }
        if collector.has_blob(&entry.id) {
            continue;
        }
        match repo.objects.try_find(&entry.id, &mut buf) {
            Ok(Some(data)) if data.kind == Kind::Blob => collector.offer_blob(entry.id, data.data),
            Ok(_) => collector.skip(entry.id.to_string(), SkipReason::Missing, Some(path)),
            Err(e) => collector.skip(
                entry.id.to_string(),
                SkipReason::Corrupt,
                Some(e.to_string()),
            ),
        }
    }

    let skipped = collector.settled_skipped();
    let counts = collector.counts();
    let mut matches = collector.into_matches();
    // Drop what the file already held in HEAD.
    for (blob, found) in &mut matches {
        let Some(before) = previous.get(blob) else {
            continue;
        };
        let Ok(Some(data)) = repo.objects.try_find(before, &mut buf) else {
            continue;
        };
        let old: HashSet<(usize, String)> = engine
            .scan(data.data)
            .into_iter()
            .map(|m| (m.detector, m.secret))
            .collect();
        found.retain(|m| !old.contains(&(m.detector, m.secret.clone())));
    }
    matches.retain(|(_, found)| !found.is_empty());
    let findings = build_findings(
        engine,
        matches,
        options.min_confidence,
        &|blob| places.get(blob).cloned().unwrap_or_default(),
        &|_| true,
        &|_| Vec::new(),
    );
    Ok(Report::new(
        workdir.display().to_string(),
        counts,
        skipped,
        Vec::new(),
        false,
        findings,
    ))
}

/// Every blob of a tree by path.
fn blobs_by_path(
    objects: &dyn Find,
    root: ObjectId,
    buf: &mut Vec<u8>,
) -> HashMap<String, ObjectId> {
    let mut out = HashMap::new();
    let mut stack = vec![(root, String::new())];
    while let Some((tree, prefix)) = stack.pop() {
        let Ok(Some(data)) = objects.try_find(&tree, buf) else {
            continue;
        };
        if data.kind != Kind::Tree {
            continue;
        }
        for entry in TreeRefIter::from_bytes(data.data, tree.kind()).filter_map(Result::ok) {
            let path = if prefix.is_empty() {
                entry.filename.to_string()
            } else {
                format!("{prefix}/{}", entry.filename)
            };
            if entry.mode.is_tree() {
                stack.push((entry.oid.to_owned(), path));
            } else {
                out.insert(path, entry.oid.to_owned());
            }
        }
    }
    out
}
