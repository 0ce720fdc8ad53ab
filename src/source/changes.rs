//! What each commit introduced: the blobs in its tree that no parent has at the same path, each
//! with what every parent held there (or, for a renamed file, at the path it came from). This is
//! what a CI gate and a pre-receive hook scan, commit by commit, so a secret added in one commit
//! and removed in the next is still caught (the net diff would show nothing); the parents'
//! versions let attribution report only lines the commit added.
//!
//! A merge introduces only what differs from every parent (its conflict resolutions and evil
//! changes); what it brings from a merged branch was introduced by that branch's own commits.
//!
//! Trees are compared the way git compares them: both entry lists are sorted, so one merge pass
//! over the two lists finds what changed without building a map, and a subtree whose id a parent
//! shares is skipped whole. The cost of a commit is the size of the trees it changed.

use std::cmp::Ordering;

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

/// A path at which a commit (or a staged index) has a blob no parent has there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The path.
    pub path: String,
    /// The blob now at the path.
    pub blob: ObjectId,
    /// Per parent, the blob that parent held at this path (or at the path the file was renamed
    /// from); `None` when it had none, so every line is new against it.
    pub bases: Vec<Option<ObjectId>>,
}

/// Something a parent had that the commit no longer has at that path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Deleted {
    /// A blob at a path.
    Blob(String, ObjectId),
    /// A whole subtree at a path (read only if rename detection needs its blobs).
    Tree(String, ObjectId),
}

/// What a commit introduced.
#[derive(Debug, Default)]
pub struct Introduced {
    /// The changed paths, in tree order.
    pub changes: Vec<Change>,
    /// Per parent, what it had that the commit lost: where renamed files come from.
    pub deleted: Vec<Vec<Deleted>>,
    /// Objects that could not be read, so the result may be incomplete.
    pub unreadable: Vec<Unreadable>,
}

/// Diffs `tree` against the `parents`' trees and returns what it introduced.
pub fn introduced(objects: &dyn Find, tree: ObjectId, parents: &[ObjectId]) -> Introduced {
    let mut out = Introduced {
        deleted: vec![Vec::new(); parents.len()],
        ..Introduced::default()
    };
    let parent_trees: Vec<Option<ObjectId>> = parents.iter().map(|p| Some(*p)).collect();
    let mut buffers = Vec::new();
    diff(objects, tree, &parent_trees, "", &mut buffers, &mut out);
    out
}

/// One tree entry as the diff compares it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Entry {
    Tree(ObjectId),
    Blob(ObjectId),
    Other,
}

/// Orders entry names as git sorts a tree: byte-wise, a tree's name as if it ended in `/`.
fn git_order(a: &[u8], a_tree: bool, b: &[u8], b_tree: bool) -> Ordering {
    let n = a.len().min(b.len());
    match a[..n].cmp(&b[..n]) {
        Ordering::Equal => {}
        other => return other,
    }
    let next = |name: &[u8], tree: bool| name.get(n).copied().or(tree.then_some(b'/'));
    next(a, a_tree).cmp(&next(b, b_tree))
}

fn join(prefix: &str, name: &[u8]) -> String {
    let name = String::from_utf8_lossy(name);
    if prefix.is_empty() {
        name.into_owned()
    } else {
        format!("{prefix}/{name}")
    }
}

fn diff(
    objects: &dyn Find,
    tree: ObjectId,
    parents: &[Option<ObjectId>],
    prefix: &str,
    buffers: &mut Vec<Vec<u8>>,
    out: &mut Introduced,
) {
    if parents.contains(&Some(tree)) {
        return; // unchanged against some parent: nothing new below
    }
    let mut own = buffers.pop().unwrap_or_default();
    let mut parent_bufs: Vec<Vec<u8>> = parents
        .iter()
        .map(|_| buffers.pop().unwrap_or_default())
        .collect();
    if read_tree(objects, tree, prefix, &mut own, out) {
        let readable: Vec<bool> = parents
            .iter()
            .zip(parent_bufs.iter_mut())
            .map(|(p, buf)| p.is_some_and(|p| read_tree(objects, p, prefix, buf, out)))
            .collect();
        let mut parent_iters: Vec<std::iter::Peekable<EntryIter<'_>>> = parent_bufs
            .iter()
            .zip(&readable)
            .map(|(buf, ok)| EntryIter::new(if *ok { buf } else { &[] }, tree.kind()).peekable())
            .collect();
        let mut subtrees: Vec<(String, ObjectId, Vec<Option<ObjectId>>)> = Vec::new();
        let mut entries = EntryIter::new(&own, tree.kind());
        for (name, entry) in entries.by_ref() {
            let is_tree = matches!(entry, Entry::Tree(_));
            let mut at_parents = Vec::with_capacity(parents.len());
            for (index, iter) in parent_iters.iter_mut().enumerate() {
                let mut same_name = None;
                while let Some((pname, pentry)) = iter.peek() {
                    let p_tree = matches!(pentry, Entry::Tree(_));
                    match git_order(pname, p_tree, name, is_tree) {
                        Ordering::Less => {
                            // The parent's entry sorts before ours: ours does not have it.
                            note_deleted(prefix, pname, *pentry, &mut out.deleted[index]);
                            iter.next();
                        }
                        Ordering::Equal => {
                            same_name = Some(*pentry);
                            iter.next();
                            break;
                        }
                        Ordering::Greater => break,
                    }
                }
                at_parents.push(same_name);
            }
            match entry {
                Entry::Blob(id) => {
                    if at_parents.contains(&Some(Entry::Blob(id))) {
                        continue;
                    }
                    let bases = at_parents
                        .iter()
                        .map(|p| match p {
                            Some(Entry::Blob(b)) => Some(*b),
                            _ => None,
                        })
                        .collect();
                    out.changes.push(Change {
                        path: join(prefix, name),
                        blob: id,
                        bases,
                    });
                }
                Entry::Tree(id) => {
                    let below = at_parents
                        .iter()
                        .map(|p| match p {
                            Some(Entry::Tree(t)) => Some(*t),
                            _ => None,
                        })
                        .collect();
                    subtrees.push((join(prefix, name), id, below));
                }
                Entry::Other => {}
            }
        }
        for (index, iter) in parent_iters.iter_mut().enumerate() {
            for (pname, pentry) in iter {
                note_deleted(prefix, pname, pentry, &mut out.deleted[index]);
            }
        }
        drop(parent_iters);
        if entries.damaged {
            // What follows the damage is unread: say so rather than pass it.
            out.unreadable.push(Unreadable {
                id: tree,
                missing: false,
                detail: format!("{prefix}: cannot parse tree"),
            });
        }
        for (path, id, below) in subtrees {
            diff(objects, id, &below, &path, buffers, out);
        }
    }
    buffers.push(own);
    buffers.append(&mut parent_bufs);
}

fn note_deleted(prefix: &str, name: &[u8], entry: Entry, deleted: &mut Vec<Deleted>) {
    match entry {
        Entry::Blob(id) => deleted.push(Deleted::Blob(join(prefix, name), id)),
        Entry::Tree(id) => deleted.push(Deleted::Tree(join(prefix, name), id)),
        Entry::Other => {}
    }
}

/// A tree's entries, in the order it stores them; a damaged entry ends the list and is noted.
struct EntryIter<'a> {
    inner: TreeRefIter<'a>,
    damaged: bool,
}

impl<'a> EntryIter<'a> {
    fn new(data: &'a [u8], kind: gix::hash::Kind) -> Self {
        EntryIter {
            inner: TreeRefIter::from_bytes(data, kind),
            damaged: false,
        }
    }
}

impl<'a> Iterator for EntryIter<'a> {
    type Item = (&'a [u8], Entry);

    fn next(&mut self) -> Option<Self::Item> {
        let entry = match self.inner.next()? {
            Ok(entry) => entry,
            Err(_) => {
                self.damaged = true;
                return None;
            }
        };
        let oid = entry.oid.to_owned();
        let value = match entry.mode.kind() {
            EntryKind::Tree => Entry::Tree(oid),
            EntryKind::Blob | EntryKind::BlobExecutable | EntryKind::Link => Entry::Blob(oid),
            EntryKind::Commit => Entry::Other,
        };
        Some((entry.filename.as_ref(), value))
    }
}

/// Reads tree `id` into `buf`; `false` (and a note in `out`) when it cannot be read or parsed.
fn read_tree(
    objects: &dyn Find,
    id: ObjectId,
    path: &str,
    buf: &mut Vec<u8>,
    out: &mut Introduced,
) -> bool {
    match objects.try_find(&id, buf) {
        Ok(Some(data)) if data.kind == Kind::Tree => true,
        Ok(Some(_)) => false,
        Ok(None) => {
            out.unreadable.push(Unreadable {
                id,
                missing: true,
                detail: path.to_string(),
            });
            false
        }
        Err(e) => {
            out.unreadable.push(Unreadable {
                id,
                missing: false,
                detail: e.to_string(),
            });
            false
        }
    }
}

/// Every blob under `tree` (symlinks included: their target is a blob too) with its path below
/// `prefix`: a deleted subtree whose files may have been renamed elsewhere, HEAD's files for the
/// pre-commit hook, a tree a tag points at.
pub fn blobs_below(objects: &dyn Find, tree: ObjectId, prefix: &str) -> Vec<(String, ObjectId)> {
    let mut found = Vec::new();
    let mut stack = vec![(tree, prefix.to_string())];
    let mut buf = Vec::new();
    while let Some((tree, prefix)) = stack.pop() {
        let Ok(Some(data)) = objects.try_find(&tree, &mut buf) else {
            continue;
        };
        if data.kind != Kind::Tree {
            continue;
        }
        for (name, entry) in EntryIter::new(data.data, tree.kind()) {
            match entry {
                Entry::Blob(id) => found.push((join(&prefix, name), id)),
                Entry::Tree(id) => stack.push((id, join(&prefix, name))),
                Entry::Other => {}
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::git_order;
    use std::cmp::Ordering;

    #[test]
    fn entries_sort_as_git_sorts_trees() {
        // git sorts a tree named "a" as "a/", after the blob "a.txt" ('.' < '/').
        assert_eq!(git_order(b"a.txt", false, b"a", true), Ordering::Less);
        assert_eq!(git_order(b"a", false, b"a.txt", false), Ordering::Less);
        assert_eq!(git_order(b"a", true, b"a0", false), Ordering::Less);
        assert_eq!(git_order(b"b", false, b"b", false), Ordering::Equal);
        assert_eq!(git_order(b"b", false, b"b", true), Ordering::Less);
    }
}
