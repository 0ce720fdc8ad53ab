//! Reading what a tree holds: one path, or every blob with its path.

use gix::objs::tree::EntryKind;
use gix::objs::{Find, Kind, TreeRefIter};
use gix::ObjectId;

/// The blob at `path` in `tree`, if there is one.
pub fn blob_at(
    objects: &dyn Find,
    tree: ObjectId,
    path: &str,
    buf: &mut Vec<u8>,
) -> Option<ObjectId> {
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

/// Every blob of a tree by path (symlinks included: their target text is a blob too).
pub fn blobs_by_path(
    objects: &dyn Find,
    root: ObjectId,
    buf: &mut Vec<u8>,
) -> std::collections::HashMap<String, ObjectId> {
    let mut out = std::collections::HashMap::new();
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
            match entry.mode.kind() {
                EntryKind::Tree => stack.push((entry.oid.to_owned(), path)),
                EntryKind::Commit => {}
                _ => {
                    out.insert(path, entry.oid.to_owned());
                }
            }
        }
    }
    out
}
