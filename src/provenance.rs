//! Which commit and path first introduced a blob.
//!
//! Commits reachable from any ref are visited oldest first (parents before children, then by
//! committer date); each commit's tree is walked, skipping every subtree already walked at the same
//! path for an earlier commit, so each distinct (tree, path) is read once. The first commit in
//! which a blob appears at a path is where it was introduced there; a blob that was renamed or
//! copied gets one origin per path, earliest first. Only blobs with findings are remembered. The walk also notices objects
//! that history names but the object database lacks, which is how a partial or damaged clone is
//! reported as incomplete instead of clean.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::sync::Arc;

use gix::objs::tree::EntryKind;
use gix::objs::{CommitRefIter, TreeRefIter};
use gix::prelude::Find;
use gix::ObjectId;
use serde::Serialize;

use crate::scan::collector::{Collector, SkipReason};

/// The commit a finding is attributed to, as a report shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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
    /// Committer time in seconds since the epoch, for ordering.
    #[serde(skip)]
    pub time: i64,
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
}

struct Node {
    id: ObjectId,
    tree: ObjectId,
    time: i64,
    parents: Vec<ObjectId>,
}

/// Traces every blob in `wanted` to its introduction and records objects history names but the
/// object database does not have (as `missing`, or `corrupt` when they exist but cannot be read).
pub fn trace(
    repo: &gix::Repository,
    wanted: &HashSet<ObjectId>,
    collector: &Collector<'_>,
) -> crate::Result<Provenance> {
    let mut walker = Walker {
        repo,
        collector,
        buf: Vec::new(),
        seen_trees: HashSet::new(),
        seen_places: HashSet::new(),
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

    let tips = walker.ref_tips()?;
    let graph = walker.load_graph(&tips, &shallow, true);
    provenance.reachable_commits = graph.len();
    let reachable: HashSet<ObjectId> = graph.iter().map(|n| n.id).collect();
    for node in oldest_first(graph) {
        walker.attribute(&node, wanted, &mut provenance, true);
    }

    if wanted.iter().any(|id| !provenance.origins.contains_key(id)) {
        let dangling: Vec<ObjectId> = collector
            .commits()
            .into_iter()
            .filter(|id| !reachable.contains(id))
            .collect();
        let graph = walker.load_graph(&dangling, &shallow, false);
        for node in oldest_first(graph) {
            walker.attribute(&node, wanted, &mut provenance, false);
        }
    }

    if let Ok(head) = repo.head_tree_id() {
        let mut found = Vec::new();
        walker.walk_tree(
            head.detach(),
            String::new(),
            &mut |id, _| {
                if wanted.contains(&id) {
                    found.push(id);
                }
            },
            Walk::Whole,
        );
        provenance.in_head.extend(found);
    }
    Ok(provenance)
}

/// Orders commits so that parents come before children and, among commits ready at the same time,
/// older ones first.
fn oldest_first(graph: Vec<Node>) -> Vec<Node> {
    let index: HashMap<ObjectId, usize> =
        graph.iter().enumerate().map(|(i, n)| (n.id, i)).collect();
    let mut waiting = vec![0usize; graph.len()];
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); graph.len()];
    for (i, node) in graph.iter().enumerate() {
        for parent in &node.parents {
            if let Some(&p) = index.get(parent) {
                waiting[i] += 1;
                children[p].push(i);
            }
        }
    }
    let mut ready: BinaryHeap<Reverse<(i64, ObjectId, usize)>> = graph
        .iter()
        .enumerate()
        .filter(|(i, _)| waiting[*i] == 0)
        .map(|(i, n)| Reverse((n.time, n.id, i)))
        .collect();
    let mut order = Vec::with_capacity(graph.len());
    while let Some(Reverse((_, _, i))) = ready.pop() {
        order.push(i);
        for &child in &children[i] {
            waiting[child] -= 1;
            if waiting[child] == 0 {
                ready.push(Reverse((graph[child].time, graph[child].id, child)));
            }
        }
    }
    let mut slots: Vec<Option<Node>> = graph.into_iter().map(Some).collect();
    order.into_iter().filter_map(|i| slots[i].take()).collect()
}

/// How a tree walk treats what it meets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Walk {
    /// Reachable history: skip what was walked, report what is missing.
    History,
    /// Unreachable commits: skip what was walked; their missing objects are not history's loss.
    Unreachable,
    /// One whole tree (HEAD's), nothing skipped or reported.
    Whole,
}

/// A 64-bit hash of a path, so that pruning by (tree, path) does not store every path.
fn path_hash(path: &str) -> u64 {
    use std::hash::Hasher;
    let mut hasher = std::hash::DefaultHasher::new();
    hasher.write(path.as_bytes());
    hasher.finish()
}

struct Walker<'r, 'c, 'e> {
    repo: &'r gix::Repository,
    collector: &'c Collector<'e>,
    buf: Vec<u8>,
    /// (tree, hash of its path) pairs already walked.
    seen_trees: HashSet<(ObjectId, u64)>,
    /// (wanted blob, path) pairs already attributed.
    seen_places: HashSet<(ObjectId, String)>,
    reported: HashSet<ObjectId>,
}

impl Walker<'_, '_, '_> {
    /// Commits every ref (and HEAD) points at, through annotated tags.
    fn ref_tips(&mut self) -> crate::Result<Vec<ObjectId>> {
        let mut starts = Vec::new();
        let platform = self
            .repo
            .references()
            .map_err(|e| crate::Error::Git(format!("cannot list references: {e}")))?;
        let all = platform
            .all()
            .map_err(|e| crate::Error::Git(format!("cannot list references: {e}")))?;
        for reference in all {
            let Ok(reference) = reference else { continue };
            if let Some(id) = reference.target().try_id() {
                starts.push(id.to_owned());
            }
        }
        if let Ok(head) = self.repo.head_id() {
            starts.push(head.detach());
        }
        let mut tips = Vec::new();
        for mut id in starts {
            // Peel annotated tags (possibly nested) down to what they point at.
            for _ in 0..32 {
                match self.read(id) {
                    Some((gix::objs::Kind::Tag, data)) => {
                        match gix::objs::TagRefIter::from_bytes(&data, id.kind()).target_id() {
                            Ok(target) => id = target,
                            Err(_) => break,
                        }
                    }
                    Some((gix::objs::Kind::Commit, _)) => {
                        tips.push(id);
                        break;
                    }
                    _ => break,
                }
            }
        }
        tips.sort();
        tips.dedup();
        Ok(tips)
    }

    /// Reads an object, recording it as missing or corrupt when it cannot be read.
    fn read(&mut self, id: ObjectId) -> Option<(gix::objs::Kind, Vec<u8>)> {
        match self.repo.objects.try_find(&id, &mut self.buf) {
            Ok(Some(data)) => Some((data.kind, data.data.to_vec())),
            Ok(None) => {
                self.report(id, SkipReason::Missing, None);
                None
            }
            Err(e) => {
                self.report(id, SkipReason::Corrupt, Some(e.to_string()));
                None
            }
        }
    }

    fn report(&mut self, id: ObjectId, reason: SkipReason, detail: Option<String>) {
        if self.reported.insert(id) {
            self.collector.skip(id.to_string(), reason, detail);
        }
    }

    /// Every commit reachable from `starts`, stopping at shallow boundaries.
    fn load_graph(
        &mut self,
        starts: &[ObjectId],
        shallow: &HashSet<ObjectId>,
        report_missing: bool,
    ) -> Vec<Node> {
        let mut seen: HashSet<ObjectId> = starts.iter().copied().collect();
        let mut queue: Vec<ObjectId> = starts.to_vec();
        let mut nodes = Vec::new();
        while let Some(id) = queue.pop() {
            let object = if report_missing {
                self.read(id)
            } else {
                self.repo
                    .objects
                    .try_find(&id, &mut self.buf)
                    .ok()
                    .flatten()
                    .map(|d| (d.kind, d.data.to_vec()))
            };
            let Some((gix::objs::Kind::Commit, data)) = object else {
                continue;
            };
            let mut iter = CommitRefIter::from_bytes(&data, id.kind());
            let Ok(tree) = iter.tree_id() else {
                self.report(id, SkipReason::Corrupt, Some("cannot parse commit".into()));
                continue;
            };
            let parents: Vec<ObjectId> = if shallow.contains(&id) {
                Vec::new()
            } else {
                CommitRefIter::from_bytes(&data, id.kind())
                    .parent_ids()
                    .collect()
            };
            let time = CommitRefIter::from_bytes(&data, id.kind())
                .committer()
                .map(|s| s.seconds())
                .unwrap_or(0);
            for parent in &parents {
                if seen.insert(*parent) {
                    queue.push(*parent);
                }
            }
            nodes.push(Node {
                id,
                tree,
                time,
                parents,
            });
        }
        nodes
    }

    /// Walks the commit's new subtrees, attributing wanted blobs seen for the first time.
    fn attribute(
        &mut self,
        node: &Node,
        wanted: &HashSet<ObjectId>,
        provenance: &mut Provenance,
        reachable: bool,
    ) {
        let mut firsts: Vec<(ObjectId, String)> = Vec::new();
        self.walk_tree(
            node.tree,
            String::new(),
            &mut |id, path| {
                if wanted.contains(&id) {
                    firsts.push((id, path.to_string()));
                }
            },
            if reachable {
                Walk::History
            } else {
                Walk::Unreachable
            },
        );
        firsts.retain(|place| self.seen_places.insert(place.clone()));
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
            return;
        }
        let info = Arc::new(self.commit_info(node.id));
        for (id, path) in firsts {
            provenance.origins.entry(id).or_default().push(Origin {
                commit: reachable.then(|| info.clone()),
                path: Some(path),
                unreachable_commit: (!reachable).then(|| info.clone()),
            });
        }
    }

    /// Walks a tree, calling `visit` for each blob. `mode` decides whether subtrees already walked
    /// at the same path are skipped and whether objects the database lacks are reported.
    fn walk_tree(
        &mut self,
        tree: ObjectId,
        prefix: String,
        visit: &mut dyn FnMut(ObjectId, &str),
        mode: Walk,
    ) {
        let prune = mode != Walk::Whole;
        let check = mode == Walk::History;
        let mut stack = vec![(tree, prefix)];
        while let Some((tree, prefix)) = stack.pop() {
            if prune && !self.seen_trees.insert((tree, path_hash(&prefix))) {
                continue;
            }
            let data = if check {
                match self.read(tree) {
                    Some((gix::objs::Kind::Tree, data)) => data,
                    _ => continue,
                }
            } else {
                match self.repo.objects.try_find(&tree, &mut self.buf) {
                    Ok(Some(d)) if d.kind == gix::objs::Kind::Tree => d.data.to_vec(),
                    _ => continue,
                }
            };
            for entry in TreeRefIter::from_bytes(&data, tree.kind()) {
                let Ok(entry) = entry else {
                    self.report(tree, SkipReason::Corrupt, Some("cannot parse tree".into()));
                    break;
                };
                let path = if prefix.is_empty() {
                    entry.filename.to_string()
                } else {
                    format!("{prefix}/{}", entry.filename)
                };
                let id = entry.oid.to_owned();
                match entry.mode.kind() {
                    EntryKind::Tree => stack.push((id, path)),
                    EntryKind::Blob | EntryKind::BlobExecutable | EntryKind::Link => {
                        if check && !self.collector.has_blob(&id) {
                            self.report(id, SkipReason::Missing, Some(path.clone()));
                        }
                        visit(id, &path);
                    }
                    EntryKind::Commit => {}
                }
            }
        }
    }

    fn commit_info(&mut self, id: ObjectId) -> CommitInfo {
        let mut info = CommitInfo {
            id: id.to_string(),
            author: String::new(),
            email: String::new(),
            date: String::new(),
            summary: String::new(),
            time: 0,
        };
        let Ok(Some(data)) = self.repo.objects.try_find(&id, &mut self.buf) else {
            return info;
        };
        let Ok(commit) = gix::objs::CommitRef::from_bytes(data.data, id.kind()) else {
            return info;
        };
        if let Ok(author) = commit.author() {
            info.author = author.name.to_string();
            info.email = author.email.to_string();
            if let Ok(time) = author.time() {
                info.time = time.seconds;
                info.date = time.format_or_unix(gix::date::time::format::ISO8601_STRICT);
            }
        }
        info.summary = commit.message_summary().to_string();
        info
    }
}
