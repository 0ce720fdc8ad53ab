//! What a repository holds right now, as one digest: every ref and what it points at, the shallow
//! boundary, and the names of its object files (pack indices and loose objects, its alternates'
//! too). Packs and loose objects are named by their content, so equal digests mean the same refs
//! over the same objects, and an audit's re-run can take the recorded report as it is.
//!
//! It is taken before the repository is scanned: a push during the scan changes the digest the
//! next run sees, so nothing pushed meanwhile is taken as audited.

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::model::hex;
use crate::source::{loose, object_directories, packs};

/// The digest of `repo`'s refs and object files.
pub fn take(repo: &gix::Repository) -> Result<String> {
    let mut hasher = Sha256::new();
    let mut field = |tag: &str, value: &[u8]| {
        hasher.update(tag.as_bytes());
        hasher.update([0]);
        hasher.update(value);
        hasher.update([0]);
    };
    let cannot = |e: &dyn std::fmt::Display| Error::Git(format!("cannot list references: {e}"));
    let platform = repo.references().map_err(|e| cannot(&e))?;
    let mut refs: Vec<(String, String)> = Vec::new();
    for reference in platform.all().map_err(|e| cannot(&e))? {
        let reference = reference.map_err(|e| cannot(&e))?;
        refs.push((
            reference.name().as_bstr().to_string(),
            target(&reference.target()),
        ));
    }
    if let Ok(head) = repo.find_reference("HEAD") {
        refs.push(("HEAD".into(), target(&head.target())));
    }
    refs.sort();
    for (name, to) in &refs {
        field("ref", name.as_bytes());
        field("to", to.as_bytes());
    }
    if let Ok(Some(shallow)) = repo.shallow_commits() {
        for id in shallow.iter() {
            field("shallow", id.as_slice());
        }
    }
    let hash = repo.object_hash();
    for (i, dir) in object_directories(repo.objects.store_ref().path())?
        .into_iter()
        .enumerate()
    {
        // The repository's own objects by position, so that the same repository reached by
        // another spelling of its path (a relative ROOT, another mount) is the same snapshot;
        // an alternate by where it really is.
        let place = match i {
            0 => std::path::PathBuf::from("."),
            _ => dir.canonicalize().unwrap_or_else(|_| dir.clone()),
        };
        field("objects", place.as_os_str().as_encoded_bytes());
        for index in packs::pack_indices(&dir) {
            if let Some(name) = index.file_name() {
                field("pack", name.as_encoded_bytes());
            }
        }
        let mut ids = loose::object_ids(&dir, hash);
        ids.sort_unstable();
        for id in ids {
            field("loose", id.as_slice());
        }
    }
    Ok(hex(&hasher.finalize()))
}

/// A ref's target as text: an object id, or `ref: NAME` for a symbolic ref.
fn target(to: &gix::refs::TargetRef<'_>) -> String {
    match to {
        gix::refs::TargetRef::Object(id) => id.to_string(),
        gix::refs::TargetRef::Symbolic(name) => format!("ref: {}", name.as_bstr()),
    }
}
