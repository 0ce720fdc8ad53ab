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
