//! The tree side of provenance, in two passes.
//!
//! Git stores trees as deltas against newer versions of themselves, and gix caches only the end
//! of each delta chain, so reading trees oldest commit first rebuilds long chains again and again.
//! The decode pass therefore reads history newest first (as git does), each distinct (tree, path)
//! once, into a compact graph: a node per (tree, path), its subtree edges, and the wanted blobs
//! directly in it. The replay pass then visits commits oldest first over that graph without
//! decoding anything, so a (tree, path) is new exactly at the first commit that holds it, and so
//! is every wanted blob inside it.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::BuildHasherDefault;
use std::ops::Range;

use gix::objs::tree::EntryKind;
use gix::objs::TreeRefIter;
use gix::prelude::Find;
use gix::ObjectId;

use super::Reader;
use crate::model::SkipReason;

/// A (tree, path) seen in history.
#[derive(Debug, Clone, Default)]
struct Node {
    /// Its subtrees, as a range of `TreeGraph::edges`.
    edges: Range<u32>,
    /// The wanted blobs directly in it, as a range of `TreeGraph::blobs`.
    blobs: Range<u32>,
}

/// Every distinct (tree, path) of the walked commits, with subtree edges and wanted blobs.
#[derive(Default)]
pub(super) struct TreeGraph {
    index: HashMap<(ObjectId, u64), u32, BuildHasherDefault<PlaceHasher>>,
    nodes: Vec<Node>,
    edges: Vec<u32>,
    blobs: Vec<(ObjectId, String)>,
    checked_blobs: gix::hashtable::HashSet<ObjectId>,
    tree_buf: Vec<u8>,
    /// Gitlinks by path, the first (newest) commit met for each.
    pub(super) submodules: BTreeMap<String, ObjectId>,
}

/// Identity of the root path in [`child_path_hash`].
const ROOT_PATH_HASH: u64 = 0xcbf2_9ce4_8422_2325;

/// A 64-bit hash of `parent/name` from the parent path's hash (FNV-1a), so that a (tree, path)
/// can be looked up without building its path.
fn child_path_hash(parent: u64, name: &[u8]) -> u64 {
    let mut hash = (parent ^ u64::from(b'/')).wrapping_mul(0x0100_0000_01b3);
    for &byte in name {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// Hashes `(tree id, path hash)` keys by mixing bytes they already carry: object ids are
/// uniformly random, so running SipHash over them again would only cost time.
#[derive(Default, Clone, Copy)]
struct PlaceHasher(u64);

impl std::hash::Hasher for PlaceHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut word = [0u8; 8];
        let n = bytes.len().min(8);
        word[..n].copy_from_slice(&bytes[..n]);
        self.0 ^= u64::from_le_bytes(word);
    }
    fn write_u64(&mut self, value: u64) {
        self.0 = (self.0 ^ value).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
    fn write_usize(&mut self, value: usize) {
        self.write_u64(value as u64);
    }
}

impl TreeGraph {
    /// The node of `(tree, path_hash)`, and whether it was just created.
    fn node(&mut self, tree: ObjectId, path_hash: u64) -> (u32, bool) {
        let next = u32::try_from(self.nodes.len()).unwrap_or(u32::MAX);
        match self.index.entry((tree, path_hash)) {
            std::collections::hash_map::Entry::Occupied(e) => (*e.get(), false),
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(next);
                self.nodes.push(Node::default());
                (next, true)
            }
        }
    }

    /// The root node of a commit's tree, if the decode pass has seen it.
    pub(super) fn root(&self, tree: ObjectId) -> Option<u32> {
        self.index.get(&(tree, ROOT_PATH_HASH)).copied()
    }

    /// Decode pass: reads the (tree, path) pairs under `root` not read before. With `report`
    /// set, trees and blobs the object database lacks are recorded as missing (or corrupt).
    pub(super) fn decode(
        &mut self,
        reader: &mut Reader<'_, '_>,
        root: ObjectId,
        wanted: &HashSet<ObjectId>,
        report: bool,
    ) {
        let (node, new) = self.node(root, ROOT_PATH_HASH);
        if !new {
            return;
        }
        let mut buf = std::mem::take(&mut self.tree_buf);
        let mut stack: Vec<(u32, ObjectId, String, u64)> =
            vec![(node, root, String::new(), ROOT_PATH_HASH)];
        while let Some((node, tree, prefix, prefix_hash)) = stack.pop() {
            let kind = match reader.objects.try_find(&tree, &mut buf) {
                Ok(Some(data)) if data.kind == gix::objs::Kind::Tree => tree.kind(),
                Ok(Some(_)) => continue,
                Ok(None) => {
                    if report {
                        reader.report(tree, SkipReason::Missing, Some(prefix));
                    }
                    continue;
                }
                Err(e) => {
                    if report {
                        reader.report(tree, SkipReason::Corrupt, Some(e.to_string()));
                    }
                    continue;
                }
            };
            let join = |name: &[u8]| {
                let name = String::from_utf8_lossy(name);
                if prefix.is_empty() {
                    name.into_owned()
                } else {
                    format!("{prefix}/{name}")
                }
            };
            let edges_start = self.edges.len();
            let blobs_start = self.blobs.len();
            for entry in TreeRefIter::from_bytes(&buf, kind) {
                let Ok(entry) = entry else {
                    if report {
                        reader.report(tree, SkipReason::Corrupt, Some("cannot parse tree".into()));
                    }
                    break;
                };
                let id = entry.oid.to_owned();
                match entry.mode.kind() {
                    EntryKind::Tree => {
                        let hash = child_path_hash(prefix_hash, entry.filename);
                        let (child, new) = self.node(id, hash);
                        self.edges.push(child);
                        if new {
                            stack.push((child, id, join(entry.filename), hash));
                        }
                    }
                    EntryKind::Blob | EntryKind::BlobExecutable | EntryKind::Link => {
                        if report
                            && self.checked_blobs.insert(id)
                            && !reader.collector.has_blob(&id)
                        {
                            reader.report(id, SkipReason::Missing, Some(join(entry.filename)));
                        }
                        if wanted.contains(&id) {
                            self.blobs.push((id, join(entry.filename)));
                        }
                    }
                    EntryKind::Commit => {
                        self.submodules.entry(join(entry.filename)).or_insert(id);
                    }
                }
            }
            let as_u32 = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
            self.nodes[node as usize] = Node {
                edges: as_u32(edges_start)..as_u32(self.edges.len()),
                blobs: as_u32(blobs_start)..as_u32(self.blobs.len()),
            };
        }
        self.tree_buf = buf;
    }

    /// Adds the nodes of a graph decoded on another thread. A (tree, path) both graphs hold has the
    /// same content in each, so only the nodes new to this graph are copied.
    pub(super) fn absorb(&mut self, other: TreeGraph) {
        if self.nodes.is_empty() {
            *self = other;
            return;
        }
        for (path, id) in &other.submodules {
            self.submodules.entry(path.clone()).or_insert(*id);
        }
        let mut mine = vec![(0u32, false); other.nodes.len()];
        for (&(tree, path_hash), &theirs) in &other.index {
            mine[theirs as usize] = self.node(tree, path_hash);
        }
        let as_u32 = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        for (theirs, node) in other.nodes.iter().enumerate() {
            let (index, new) = mine[theirs];
            if !new {
                continue;
            }
            let edges_start = self.edges.len();
            self.edges.extend(
                other.edges[node.edges.start as usize..node.edges.end as usize]
                    .iter()
                    .map(|&child| mine[child as usize].0),
            );
            let blobs_start = self.blobs.len();
            self.blobs.extend_from_slice(
                &other.blobs[node.blobs.start as usize..node.blobs.end as usize],
            );
            self.nodes[index as usize] = Node {
                edges: as_u32(edges_start)..as_u32(self.edges.len()),
                blobs: as_u32(blobs_start)..as_u32(self.blobs.len()),
            };
        }
    }

    /// Every wanted blob (with its path) under `root`, visiting only nodes not yet marked in
    /// `visited`, and marking them. Replaying commits oldest first with one `visited` set yields
    /// each wanted blob at each path at the first commit that holds it.
    pub(super) fn new_blobs_under(
        &self,
        root: u32,
        visited: &mut Vec<bool>,
    ) -> Vec<(ObjectId, String)> {
        if visited.len() < self.nodes.len() {
            visited.resize(self.nodes.len(), false);
        }
        let mut found = Vec::new();
        let mut stack = vec![root];
        while let Some(node) = stack.pop() {
            let slot = &mut visited[node as usize];
            if *slot {
                continue;
            }
            *slot = true;
            let Node { edges, blobs } = &self.nodes[node as usize];
            found.extend(
                self.blobs[blobs.start as usize..blobs.end as usize]
                    .iter()
                    .cloned(),
            );
            stack.extend_from_slice(&self.edges[edges.start as usize..edges.end as usize]);
        }
        found
    }
}
