//! Loose objects: one zlib file each under `objects/xx/`. Recent commits live here until git packs
//! them, so a scan that read only packs would miss the newest leaks.

use std::path::Path;

use gix::ObjectId;
use rayon::prelude::*;

use crate::collect::Collector;
use crate::model::SkipReason;

/// Reads every loose object in `objects_dir` in parallel, blobs to `collector`; unreadable ones are
/// recorded as corrupt.
pub fn scan_loose(objects_dir: &Path, hash: gix::hash::Kind, collector: &Collector<'_>) {
    let store = gix::odb::loose::Store::at(objects_dir, hash);
    let ids: Vec<ObjectId> = store.iter().filter_map(Result::ok).collect();
    let limit = collector.limits().max_blob_size;
    ids.par_iter().for_each_init(Vec::new, |buf, id| {
        if collector.has_blob(id) {
            return;
        }
        // The header first: a blob over the limit is skipped without being inflated.
        if let Ok(Some((size, gix::objs::Kind::Blob))) = store.try_header(id) {
            if size > limit {
                collector.skip_too_large(*id, size, None);
                return;
            }
        }
        match store.try_find(id, buf) {
            Ok(Some(object)) => {
                if object.kind == gix::objs::Kind::Blob {
                    collector.offer_blob(*id, object.data);
                } else {
                    collector.offer_other(*id, object.kind, object.data);
                }
            }
            Ok(None) => {}
            Err(e) => collector.skip(id.to_string(), SkipReason::Corrupt, Some(e.to_string())),
        }
    });
}

/// The ids of the loose objects in `objects_dir`.
pub fn object_ids(objects_dir: &Path, hash: gix::hash::Kind) -> Vec<ObjectId> {
    gix::odb::loose::Store::at(objects_dir, hash)
        .iter()
        .filter_map(Result::ok)
        .collect()
}

/// How many loose objects `objects_dir` holds, for progress display.
pub fn count_objects(objects_dir: &Path, hash: gix::hash::Kind) -> u64 {
    gix::odb::loose::Store::at(objects_dir, hash).iter().count() as u64
}
