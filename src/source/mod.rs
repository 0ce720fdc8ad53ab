//! Where blobs come from. Each source hands blobs to a [`Collector`](crate::collect::Collector)
//! and records what it could not read; none of them writes anything.

pub mod changes;
pub mod dir;
pub mod loose;
pub mod packs;
pub mod remote;
pub mod renames;

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The object directories of a repository: its own first, then its alternates (recursively), so
/// that objects borrowed from another repository are scanned too.
pub fn object_directories(objects_dir: &Path) -> Result<Vec<PathBuf>> {
    let mut dirs = vec![objects_dir.to_path_buf()];
    let cwd = std::env::current_dir().map_err(|e| Error::io("reading the current directory", e))?;
    let alternates =
        gix::odb::alternate::resolve(objects_dir.to_path_buf(), &cwd).map_err(|e| {
            Error::Git(format!(
                "{}: bad alternates file: {e}",
                objects_dir.display()
            ))
        })?;
    for alternate in alternates {
        if !dirs.contains(&alternate) {
            dirs.push(alternate);
        }
    }
    Ok(dirs)
}
