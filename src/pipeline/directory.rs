//! A plain directory (or a working tree with `--history none`): select every file, attribute
//! each match to the paths holding that content.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use gix::ObjectId;

use super::{finish, ScanOptions, ScanProgress};
use crate::collect::Collector;
use crate::model::{Coverage, Source};
use crate::report::{Attribution, BlobPlace, Report};
use crate::scan::{BlobMatch, Engine};
use crate::source::dir;

/// Scans every file under `root`.
pub fn scan(
    root: &Path,
    hash: gix::hash::Kind,
    options: &ScanOptions,
    engine: &Engine,
    progress: &ScanProgress,
) -> Report {
    let collector = Collector::new(engine, options.limits, &progress.read);
    let paths = Files(dir::scan_dir(root, hash, &collector));
    finish(
        engine,
        collector.finish(),
        Coverage::Audit,
        &paths,
        &options.findings,
    )
}

/// The files holding each blob.
struct Files(BTreeMap<ObjectId, Vec<PathBuf>>);

impl Attribution for Files {
    fn places(&self, id: &ObjectId, _source: Source, _m: &BlobMatch) -> Vec<BlobPlace> {
        self.0
            .get(id)
            .into_iter()
            .flatten()
            .map(|p| BlobPlace {
                path: Some(p.display().to_string()),
                ..BlobPlace::default()
            })
            .collect()
    }

    fn present(&self, _id: &ObjectId) -> bool {
        true
    }

    fn refs(&self, _id: &ObjectId) -> Vec<String> {
        Vec::new()
    }
}
