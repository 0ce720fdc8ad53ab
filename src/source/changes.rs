//! What each commit introduced: the blobs in its tree that no parent has at the same path. This
//! is what a CI gate and a pre-receive hook scan, commit by commit, so a secret added in one
//! commit and removed in the next is still caught (the net diff would show nothing).
//!
//! A merge introduces only what differs from every parent (its conflict resolutions and evil
//! changes); what it brings from a merged branch was introduced by that branch's own commits.

use std::collections::BTreeMap;

use gix::objs::tree::EntryKind;
use gix::objs::{Find, Kind, TreeRefIter};
use gix::ObjectId;

/// An object the diff needed but could not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreadable {
    /// The object.
    pub id: ObjectId,
    /// `true` when absent, `false` when present but unreadable.
    pub missing: bool,
    /// Where it sits (a path), or the reader's message.
    pub detail: String,
}

/// Blobs a commit introduced, each with the path it was introduced at.
#[derive(Debug, Default)]
pub struct Introduced {
    /// (blob, path) pairs, in tree order.
    pub blobs: Vec<(ObjectId, String)>,
    /// Objects that could not be read, so the result may be incomplete.
    pub unreadable: Vec<Unreadable>,
}

/// One tree entry, as the diff needs it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Entry {
    Tree(ObjectId),
    Blob(ObjectId),
    Other,
}

/// Diffs `tree` against the `parents`' trees and returns what it introduced.
pub fn introduced(objects: &dyn Find, tree: ObjectId, parents: &[ObjectId]) -> Introduced {
    let mut out = Introduced::default();
    let mut buf = Vec::new();
    let parent_trees: Vec<Option<ObjectId>> = parents.iter().map(|p| Some(*p)).collect();
    diff(
        objects,
        tree,
        &parent_trees,
        String::new(),
        &mut buf,
        &mut out,
    );
    out
}

fn diff(
    objects: &dyn Find,
    tree: ObjectId,
    parents: &[Option<ObjectId>],
    prefix: String,
    buf: &mut Vec<u8>,
    out: &mut Introduced,
) {
    if parents.contains(&Some(tree)) {
        return; // unchanged against some parent: nothing new below
    }
    let Some(entries) = read_tree(objects, tree, &prefix, buf, out) else {
        return;
    };
    let parent_entries: Vec<BTreeMap<Vec<u8>, Entry>> = parents
        .iter()
        .map(|p| {
            p.and_then(|p| read_tree(objects, p, &prefix, buf, out))
                .unwrap_or_default()
        })
        .collect();
    for (name, entry) in entries {
        let path = if prefix.is_empty() {
            String::from_utf8_lossy(&name).into_owned()
        } else {
            format!("{prefix}/{}", String::from_utf8_lossy(&name))
        };
        match entry {
            Entry::Blob(id) => {
                let known = parent_entries
                    .iter()
                    .any(|p| p.get(&name) == Some(&Entry::Blob(id)));
                if !known {
                    out.blobs.push((id, path));
                }
            }
            Entry::Tree(id) => {
                let below: Vec<Option<ObjectId>> = parent_entries
                    .iter()
                    .map(|p| match p.get(&name) {
                        Some(Entry::Tree(t)) => Some(*t),
                        _ => None,
                    })
                    .collect();
                diff(objects, id, &below, path, buf, out);
            }
            Entry::Other => {}
        }
    }
}

/// A tree's entries by name; `None` (and a note in `out`) when it cannot be read.
fn read_tree(
    objects: &dyn Find,
    id: ObjectId,
    path: &str,
    buf: &mut Vec<u8>,
    out: &mut Introduced,
) -> Option<BTreeMap<Vec<u8>, Entry>> {
    let data = match objects.try_find(&id, buf) {
        Ok(Some(data)) if data.kind == Kind::Tree => data,
        Ok(Some(_)) => return None,
        Ok(None) => {
            out.unreadable.push(Unreadable {
                id,
                missing: true,
                detail: path.to_string(),
            });
            return None;
        }
        Err(e) => {
            out.unreadable.push(Unreadable {
                id,
                missing: false,
                detail: e.to_string(),
            });
            return None;
        }
    };
    let mut entries = BTreeMap::new();
    for entry in TreeRefIter::from_bytes(data.data, id.kind()) {
        let Ok(entry) = entry else {
            out.unreadable.push(Unreadable {
                id,
                missing: false,
                detail: "cannot parse tree".into(),
            });
            break;
        };
        let oid = entry.oid.to_owned();
        let value = match entry.mode.kind() {
            EntryKind::Tree => Entry::Tree(oid),
            EntryKind::Blob | EntryKind::BlobExecutable | EntryKind::Link => Entry::Blob(oid),
            EntryKind::Commit => Entry::Other,
        };
        entries.insert(entry.filename.to_vec(), value);
    }
    Some(entries)
}

/// Something that can say whether it has an object and read it.
pub trait Objects: Find + gix::objs::Exists {}

impl<T: Find + gix::objs::Exists> Objects for T {}

/// Reads objects from `first`, then from `second`: a push's quarantine, then the repository.
pub struct Layered<'a> {
    /// Searched first.
    pub first: &'a dyn Objects,
    /// Searched when `first` lacks the object.
    pub second: &'a dyn Find,
}

impl Find for Layered<'_> {
    fn try_find<'a>(
        &self,
        id: &gix::oid,
        buffer: &'a mut Vec<u8>,
    ) -> gix::Result<Option<gix::objs::Data<'a>>> {
        if self.first.exists(id) {
            self.first.try_find(id, buffer)
        } else {
            self.second.try_find(id, buffer)
        }
    }
}
