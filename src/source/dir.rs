//! Plain directories (and a repository's working tree with `--history none`): every regular file,
//! including the ones `.gitignore` hides, because ignored `.env` files are exactly where secrets sit.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use gix::ObjectId;
use rayon::prelude::*;

use crate::collect::Collector;
use crate::model::SkipReason;

/// Scans every file under `root` (not following symlinks, skipping `.git`), and returns the
/// relative paths of each blob id so findings can name their files.
pub fn scan_dir(
    root: &Path,
    hash: gix::hash::Kind,
    collector: &Collector<'_>,
) -> BTreeMap<ObjectId, Vec<PathBuf>> {
    let mut files = Vec::new();
    let walker = walkdir::WalkDir::new(root)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| !(e.file_type().is_dir() && e.file_name() == ".git"));
    for entry in walker {
        match entry {
            Ok(entry) if entry.file_type().is_file() => files.push(entry.into_path()),
            Ok(_) => {}
            Err(e) => {
                let path = e
                    .path()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default();
                collector.skip(path, SkipReason::Unreadable, Some(e.to_string()));
            }
        }
    }
    let found: Vec<(ObjectId, PathBuf)> = files
        .par_iter()
        .filter_map(|path| {
            let relative = path.strip_prefix(root).unwrap_or(path).to_path_buf();
            let shown = relative.display().to_string();
            let data = match read_limited(path, collector.limits().max_blob_size) {
                Ok(Some(data)) => data,
                Ok(None) => {
                    collector.skip(shown, SkipReason::TooLarge, None);
                    return None;
                }
                Err(e) => {
                    collector.skip(shown, SkipReason::Unreadable, Some(e.to_string()));
                    return None;
                }
            };
            let id = gix::objs::compute_hash(hash, gix::objs::Kind::Blob, &data).ok()?;
            collector.offer_blob_at(id, &data, Some(&shown));
            Some((id, relative))
        })
        .collect();
    let mut paths: BTreeMap<ObjectId, Vec<PathBuf>> = BTreeMap::new();
    for (id, path) in found {
        paths.entry(id).or_default().push(path);
    }
    paths
}

/// The file's bytes, or `None` when it is larger than `limit` (checked before reading it).
fn read_limited(path: &Path, limit: u64) -> std::io::Result<Option<Vec<u8>>> {
    if std::fs::metadata(path)?.len() > limit {
        return Ok(None);
    }
    std::fs::read(path).map(Some)
}
