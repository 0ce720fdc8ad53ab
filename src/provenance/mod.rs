//! Which commit and path first introduced a blob.
//!
//! Commits reachable from any ref are ordered oldest first (parents before children, then by
//! committer date). The first commit in which a blob appears at a path is where it was introduced
//! there; a blob that was renamed or copied gets one origin per path, earliest first. Only blobs
//! with findings are remembered. Each distinct (tree, path) is read once (see [`trees`]). The walk
//! also notices objects that history names but the object database lacks, which is how a partial
//! or damaged clone is reported as incomplete instead of clean.

pub(crate) mod commits;
mod trees;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use gix::prelude::Find;
use gix::ObjectId;
use serde::{Deserialize, Serialize};

use crate::scan::collector::{Collector, SkipReason};
use trees::TreeGraph;

/// The commit a finding is attributed to, as a report shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitInfo {
    /// Full commit id.
    pub id: String,
    /// Author name.
    pub author: String,
    /// Author email.
    pub email: String,
    /// Author date, RFC 3339.
    pub date: String,
    /// First line of the message.
    pub summary: String,
    /// Position in history, oldest first (parents before children), for ordering locations:
    /// timestamps tie and skew, topology does not.
    #[serde(skip)]
    pub rank: u64,
}

/// Where a blob was first seen.
#[derive(Debug, Clone)]
pub struct Origin {
    /// The introducing commit; `None` when no ref reaches the blob.
    pub commit: Option<Arc<CommitInfo>>,
    /// The path in that commit's tree.
    pub path: Option<String>,
    /// For a blob no ref reaches: an unreachable (dangling) commit whose tree holds it.
    pub unreachable_commit: Option<Arc<CommitInfo>>,
}

/// Provenance for the blobs that had findings, and what history lacked.
#[derive(Debug, Default)]
pub struct Provenance {
    /// Introductions of each wanted blob, one per path, earliest first.
    pub origins: HashMap<ObjectId, Vec<Origin>>,
    /// Wanted blobs present in HEAD's tree.
    pub in_head: HashSet<ObjectId>,
    /// Whether the repository is a shallow clone (history before the boundary is absent).
    pub shallow: bool,
    /// Commits reachable from refs.
    pub reachable_commits: usize,
    /// For each wanted blob, the branches and tags whose history still holds it.
    pub refs: HashMap<ObjectId, Vec<String>>,
}

/// Reads objects for provenance, recording each one it cannot read once.
pub(crate) struct Reader<'r, 'c, 'e> {
    repo: &'r gix::Repository,
    collector: &'c Collector<'e>,
    buf: Vec<u8>,
    reported: HashSet<ObjectId>,
}

impl Reader<'_, '_, '_> {
    /// Reads an object; with `report` set, records it as missing or corrupt when it cannot be read.
    fn read(&mut self, id: ObjectId, report: bool) -> Option<(gix::objs::Kind, Vec<u8>)> {
        match self.repo.objects.try_find(&id, &mut self.buf) {
            Ok(Some(data)) => Some((data.kind, data.data.to_vec())),
            Ok(None) => {
                if report {
                    self.report(id, SkipReason::Missing, None);
                }
                None
            }
            Err(e) => {
                if report {
                    self.report(id, SkipReason::Corrupt, Some(e.to_string()));
                }
                None
            }
        }
    }

    fn report(&mut self, id: ObjectId, reason: SkipReason, detail: Option<String>) {
        if self.reported.insert(id) {
            self.collector.skip(id.to_string(), reason, detail);
        }
    }
}

/// Traces every blob in `wanted` to its introduction and records objects history names but the
/// object database does not have (as `missing`, or `corrupt` when they exist but cannot be read).
pub fn trace(
    repo: &gix::Repository,
    wanted: &HashSet<ObjectId>,
    collector: &Collector<'_>,
) -> crate::Result<Provenance> {
    let mut reader = Reader {
        repo,
        collector,
        buf: Vec::new(),
        reported: collector
            .skipped()
            .into_iter()
            .filter_map(|s| ObjectId::from_hex(s.blob.as_bytes()).ok())
            .collect(),
    };
    let shallow: HashSet<ObjectId> = repo
        .shallow_commits()
        .ok()
        .flatten()
        .map(|c| c.iter().copied().collect())
        .unwrap_or_default();
    let mut provenance = Provenance {
        shallow: !shallow.is_empty(),
        ..Provenance::default()
    };
    let mut graph = TreeGraph::default();

    let named_tips = commits::ref_tips(&mut reader)?;
    let mut tips: Vec<ObjectId> = named_tips.iter().map(|(_, id)| *id).collect();
    tips.sort();
    tips.dedup();
    let reachable = commits::oldest_first(commits::load(&mut reader, &tips, &shallow, true));
    provenance.reachable_commits = reachable.len();
    for commit in reachable.iter().rev() {
        graph.decode(&mut reader, commit.tree, wanted, true);
    }

    let reachable_ids: HashSet<ObjectId> = reachable.iter().map(|c| c.id).collect();
    let dangling_tips: Vec<ObjectId> = collector
        .commits()
        .into_iter()
        .filter(|id| !reachable_ids.contains(id))
        .collect();
    let dangling = if dangling_tips.is_empty() {
        Vec::new()
    } else {
        commits::oldest_first(commits::load(&mut reader, &dangling_tips, &shallow, false))
    };
    for commit in dangling.iter().rev() {
        graph.decode(&mut reader, commit.tree, wanted, false);
    }

    let mut visited = Vec::new();
    let mut places: HashSet<(ObjectId, String)> = HashSet::new();
    let mut rank = 0u64;
    for (commits, reachable) in [(&reachable, true), (&dangling, false)] {
        for commit in commits.iter() {
            rank += 1;
            let Some(root) = graph.root(commit.tree) else {
                continue;
            };
            let mut firsts = graph.new_blobs_under(root, &mut visited);
            firsts.retain(|place| places.insert(place.clone()));
            if !reachable {
                // An unreachable commit only explains blobs that no reachable commit holds.
                firsts.retain(|(id, _)| {
                    provenance
                        .origins
                        .get(id)
                        .is_none_or(|o| o.iter().all(|o| o.commit.is_none()))
                });
            }
            if firsts.is_empty() {
                continue;
            }
            let info = Arc::new(commits::info(
                &repo.objects,
                commit.id,
                rank,
                &mut reader.buf,
            ));
            for (id, path) in firsts {
                provenance.origins.entry(id).or_default().push(Origin {
                    commit: reachable.then(|| info.clone()),
                    path: Some(path),
                    unreachable_commit: (!reachable).then(|| info.clone()),
                });
            }
        }
    }

    // The branches and tags that still contain each wanted blob (from every commit that
    // introduced it), computed once per introducing commit.
    let containment = commits::Containment::new(&reachable, &named_tips);
    let mut by_commit: HashMap<String, Vec<String>> = HashMap::new();
    for (blob, origins) in &provenance.origins {
        let mut names = Vec::new();
        for origin in origins {
            let Some(commit) = &origin.commit else {
                continue;
            };
            let refs = by_commit.entry(commit.id.clone()).or_insert_with(|| {
                ObjectId::from_hex(commit.id.as_bytes())
                    .map(|id| containment.refs_containing(id))
                    .unwrap_or_default()
            });
            names.extend(refs.iter().cloned());
        }
        names.sort();
        names.dedup();
        provenance.refs.insert(*blob, names);
    }

    if let Ok(head) = repo.head_tree_id() {
        let head = head.detach();
        graph.decode(&mut reader, head, wanted, false);
        if let Some(root) = graph.root(head) {
            let found = graph.new_blobs_under(root, &mut Vec::new());
            provenance
                .in_head
                .extend(found.into_iter().map(|(id, _)| id));
        }
    }
    Ok(provenance)
}
