//! Every object in every pack, each decoded once: gix's delta-tree traversal resolves each delta
//! chain from its base exactly once, on all threads, and hands us each object as it is decoded, so
//! scanning happens while decoding instead of after it.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use gix::odb::pack;
use gix::ObjectId;

use crate::collect::Collector;

/// A pack whose traversal stopped before the end, and the ids it lists (to be read one by one).
pub struct BrokenPack {
    /// The `.pack` file.
    pub path: PathBuf,
    /// What the traversal said.
    pub message: String,
    /// Every object id the pack's index lists.
    pub ids: Vec<ObjectId>,
}

/// The `.idx` files in `objects_dir/pack`, sorted so scans are reproducible.
pub fn pack_indices(objects_dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(objects_dir.join("pack")) else {
        return Vec::new();
    };
    let mut found: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "idx"))
        .collect();
    found.sort();
    found
}

/// Every object id the pack index at `index_path` lists; `None` when it cannot be read (the
/// pack's scan then says why).
pub fn object_ids(index_path: &Path, hash: gix::hash::Kind) -> Option<Vec<ObjectId>> {
    let index = pack::index::File::at(index_path, hash).ok()?;
    Some(index.iter().map(|e| e.oid).collect())
}

/// How many objects the packs of `objects_dir` hold, for progress display.
pub fn count_objects(indices: &[PathBuf], hash: gix::hash::Kind) -> u64 {
    indices
        .iter()
        .filter_map(|p| pack::index::File::at(p, hash).ok())
        .map(|i| u64::from(i.num_objects()))
        .sum()
}

/// Decodes every object of the pack behind `index_path`, blobs to `collector`.
///
/// Returns the pack as broken when it cannot be opened or its traversal fails part-way; the caller
/// then reads its objects one at a time so that one bad object costs one object, not the pack.
pub fn scan_pack(
    index_path: &Path,
    hash: gix::hash::Kind,
    threads: usize,
    collector: &Collector<'_>,
) -> Result<(), BrokenPack> {
    let pack_path = index_path.with_extension("pack");
    let broken = |message: String, ids: Vec<ObjectId>| BrokenPack {
        path: pack_path.clone(),
        message,
        ids,
    };
    let index = pack::index::File::at(index_path, hash)
        .map_err(|e| broken(format!("cannot read pack index: {e}"), Vec::new()))?;
    let ids = || index.iter().map(|e| e.oid).collect::<Vec<_>>();
    let data = pack::data::File::at(&pack_path, hash)
        .map_err(|e| broken(format!("cannot read pack: {e}"), ids()))?;
    let interrupt = AtomicBool::new(false);
    let mut progress = gix::progress::Discard;
    let result = index.traverse(
        &data,
        &mut progress,
        &interrupt,
        |kind, bytes, entry, _progress| {
            if kind == gix::objs::Kind::Blob {
                collector.offer_blob(entry.oid, bytes);
            } else {
                collector.offer_other(entry.oid, kind, bytes);
            }
            Ok(())
        },
        pack::index::traverse::Options {
            traversal: pack::index::traverse::Algorithm::DeltaTreeLookup,
            thread_limit: Some(threads.max(1)),
            check: pack::index::traverse::SafetyCheck::SkipFileAndObjectChecksumVerification,
            // Past the size limit the traversal stops before allocating; the caller then reads
            // the pack's objects one by one, header first, so the oversized blob is skipped
            // without ever being inflated.
            alloc_limit_bytes: usize::try_from(collector.limits().max_blob_size).ok(),
            make_pack_lookup_cache: || pack::cache::Never,
        },
    );
    match result {
        Ok(_) => Ok(()),
        Err(e) => Err(broken(format!("{e}"), ids())),
    }
}
