//! Scanning what a set of commits introduced: the CI gate (`--range`, `--since`) and the
//! pre-receive hook. Every commit counts, not the net diff, and the cost follows the number of
//! commits and the blobs they changed, not the size of the repository.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::AtomicU64;
use std::time::Instant;

use gix::objs::tree::EntryKind;
use gix::objs::{Find, Kind, TreeRefIter};
use gix::ObjectId;

use crate::detectors::Confidence;
use crate::provenance::commits;
use crate::report::{build_findings, BlobPlace, Report};
use crate::scan::collector::{Collector, Limits, SkipReason};
use crate::scan::Engine;
use crate::source::changes::introduced;

/// What to report from a commit scan.
#[derive(Debug, Clone, Copy)]
pub struct GateOptions {
    /// What not to scan.
    pub limits: Limits,
    /// Findings below this are not reported.
    pub min_confidence: Confidence,
}

/// Scans the blobs each of `commit_ids` introduced, reading objects through `objects`.
/// `tips` are the commits whose trees decide `in_head` (the range's end, the pushed tips).
pub fn scan_commits(
    objects: &dyn Find,
    commit_ids: &[ObjectId],
    tips: &[ObjectId],
    engine: &Engine,
    options: GateOptions,
    target: &str,
) -> Report {
    let started = Instant::now();
    let seen = AtomicU64::new(0);
    let collector = Collector::new(engine, options.limits, &seen);
    let mut buf = Vec::new();
    let mut loaded = Vec::new();
    for id in commit_ids {
        match commits::read(objects, *id, &mut buf) {
            Some(commit) => loaded.push(commit),
            None => collector.skip(id.to_string(), SkipReason::Missing, Some("commit".into())),
        }
    }
    let ordered = commits::oldest_first(loaded);
    let commit_count = ordered.len();

    let mut places: HashMap<ObjectId, Vec<BlobPlace>> = HashMap::new();
    let mut blob_buf = Vec::new();
    for (rank, commit) in ordered.iter().enumerate() {
        let parent_trees: Vec<ObjectId> = commit
            .parents
            .iter()
            .filter_map(|p| match commits::read(objects, *p, &mut buf) {
                Some(parent) => Some(parent.tree),
                None => {
                    collector.skip(
                        p.to_string(),
                        SkipReason::Missing,
                        Some("parent commit".into()),
                    );
                    None
                }
            })
            .collect();
        let changes = introduced(objects, commit.tree, &parent_trees);
        for unreadable in changes.unreadable {
            let reason = if unreadable.missing {
                SkipReason::Missing
            } else {
                SkipReason::Corrupt
            };
            collector.skip(unreadable.id.to_string(), reason, Some(unreadable.detail));
        }
        if changes.blobs.is_empty() {
            continue;
        }
        let info = commits::info(objects, commit.id, rank as u64 + 1, &mut buf);
        for (blob, path) in changes.blobs {
            let first_time = !places.contains_key(&blob);
            places.entry(blob).or_default().push(BlobPlace {
                path: Some(path.clone()),
                commit: Some(info.clone()),
                unreachable_commit: None,
            });
            if !first_time || collector.has_blob(&blob) {
                continue;
            }
            match objects.try_find(&blob, &mut blob_buf) {
                Ok(Some(data)) if data.kind == Kind::Blob => collector.offer_blob(blob, data.data),
                Ok(Some(_)) => {}
                Ok(None) => collector.skip(blob.to_string(), SkipReason::Missing, Some(path)),
                Err(e) => {
                    collector.skip(blob.to_string(), SkipReason::Corrupt, Some(e.to_string()))
                }
            }
        }
    }

    let tip_trees: Vec<ObjectId> = tips
        .iter()
        .filter_map(|t| commits::read(objects, *t, &mut buf).map(|c| c.tree))
        .collect();
    let mut in_head = HashSet::new();
    for blob in collector.blobs_with_matches() {
        let present = places.get(&blob).into_iter().flatten().any(|place| {
            place.path.as_deref().is_some_and(|path| {
                tip_trees
                    .iter()
                    .any(|tree| blob_at(objects, *tree, path, &mut buf) == Some(blob))
            })
        });
        if present {
            in_head.insert(blob);
        }
    }

    let skipped = collector.settled_skipped();
    let counts = collector.counts();
    let matches = collector.into_matches();
    let findings = build_findings(
        engine,
        matches,
        options.min_confidence,
        &|blob| places.get(blob).cloned().unwrap_or_default(),
        &|blob| in_head.contains(blob),
        &|_| Vec::new(),
    );
    let duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let mut report = Report::new(target, counts, skipped, Vec::new(), false, findings);
    report.stats.commits = commit_count as u64;
    report.stats.duration_ms = duration_ms;
    report.stats.content_ms = duration_ms;
    report
}

/// The blob at `path` in `tree`, if there is one.
fn blob_at(objects: &dyn Find, tree: ObjectId, path: &str, buf: &mut Vec<u8>) -> Option<ObjectId> {
    let mut current = tree;
    let mut parts = path.split('/').peekable();
    while let Some(name) = parts.next() {
        let data = objects.try_find(&current, buf).ok()??;
        if data.kind != Kind::Tree {
            return None;
        }
        let entry = TreeRefIter::from_bytes(data.data, current.kind())
            .filter_map(Result::ok)
            .find(|e| e.filename == name.as_bytes())?;
        let id = entry.oid.to_owned();
        let is_tree = entry.mode.kind() == EntryKind::Tree;
        match (parts.peek().is_some(), is_tree) {
            (true, true) => current = id,
            (false, false) => return Some(id),
            _ => return None,
        }
    }
    None
}

/// The commits reachable from `to` but not from `from` (git's `from..to`), resolving both with
/// git's revision syntax.
pub fn commits_in_range(
    repo: &gix::Repository,
    from: &str,
    to: &str,
) -> crate::Result<(Vec<ObjectId>, ObjectId)> {
    let resolve = |spec: &str| -> crate::Result<ObjectId> {
        let id = repo
            .rev_parse_single(spec)
            .map_err(|e| crate::Error::Usage(format!("cannot resolve {spec:?}: {e}")))?;
        id.object()
            .and_then(|o| o.peel_to_commit())
            .map(|c| c.id)
            .map_err(|e| crate::Error::Usage(format!("{spec:?} is not a commit: {e}")))
    };
    let to_id = resolve(to)?;
    let from_id = resolve(from)?;
    let walk = repo
        .rev_walk([to_id])
        .with_hidden([from_id])
        .all()
        .map_err(|e| crate::Error::Git(format!("cannot walk {from}..{to}: {e}")))?;
    let mut ids = Vec::new();
    for info in walk {
        let info = info.map_err(|e| crate::Error::Git(format!("cannot walk {from}..{to}: {e}")))?;
        ids.push(info.id);
    }
    Ok((ids, to_id))
}
