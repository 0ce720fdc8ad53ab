//! The history audit: select every object of the database (all packs, loose objects,
//! alternates), then attribute the blobs with findings through provenance: every commit and path
//! that introduced them, the refs that still hold them, whether HEAD has them.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::time::Instant;

use gix::ObjectId;

use super::{elapsed_ms, finish, ScanOptions, ScanProgress, PHASE_HISTORY};
use crate::collect::Collector;
use crate::error::Result;
use crate::model::{count, count_was, thousands, Coverage, SkipReason, Source};
use crate::objects::repository::is_partial_clone;
use crate::provenance::{self, Provenance};
use crate::report::{Attribution, BlobPlace, Report, Submodule};
use crate::scan::{BlobMatch, Engine};
use crate::source::{loose, object_directories, packs};

/// Scans every object of `repo` and traces where the findings came from.
pub fn scan(
    repo: &gix::Repository,
    options: &ScanOptions,
    engine: &Engine,
    progress: &ScanProgress,
) -> Result<Report> {
    let hash = repo.object_hash();
    let objects_dir = repo.objects.store_ref().path().to_path_buf();
    let dirs = object_directories(&objects_dir)?;
    let started = Instant::now();
    let collector = Collector::new(engine, options.limits, &progress.read);

    let indices: Vec<(PathBuf, Vec<PathBuf>)> = dirs
        .iter()
        .map(|d| (d.clone(), packs::pack_indices(d)))
        .collect();
    let expected: u64 = indices
        .iter()
        .map(|(dir, idx)| packs::count_objects(idx, hash) + loose::count_objects(dir, hash))
        .sum();
    progress.total.store(expected, Ordering::Relaxed);

    let mut warnings = Vec::new();
    // Packs whose index could not be read: their objects cannot even be listed, so the scan
    // cannot say it saw everything, whatever else it finds.
    let mut unlisted_packs = 0;
    for (dir, pack_indices) in &indices {
        for index in pack_indices {
            if let Err(broken) = packs::scan_pack(index, hash, options.threads, &collector) {
                if broken.ids.is_empty() {
                    unlisted_packs += 1;
                    warnings.push(format!(
                        "{}: {}; none of its objects could be listed or read (those that history \
                         names are listed as missing; run `git index-pack` on the pack, or fetch \
                         it again)",
                        broken.path.display(),
                        broken.message
                    ));
                } else {
                    warnings.push(format!(
                        "{}: {}; its {} were read one by one",
                        broken.path.display(),
                        broken.message,
                        count(broken.ids.len() as u64, "object", "objects")
                    ));
                }
                let mut buf = Vec::new();
                for id in &broken.ids {
                    collector.read(&repo.objects, *id, None, &mut buf);
                }
            }
        }
        loose::scan_loose(dir, hash, &collector);
    }

    let content_ms = elapsed_ms(started);
    progress.phase.store(PHASE_HISTORY, Ordering::Relaxed);
    collector.keep_reportable(options.findings.min_confidence);
    let read_in_part = collector.blobs_read_in_part();
    let wanted: HashSet<ObjectId> = collector
        .blobs_with_matches()
        .into_iter()
        .chain(read_in_part.iter().copied())
        .collect();
    let provenance = provenance::trace(repo, &wanted, &collector, options.threads)?;
    let history_ms = elapsed_ms(started) - content_ms;
    if provenance.shallow {
        warnings.push(
            "shallow clone: history before the shallow boundary is not in this repository \
             (run `git fetch --unshallow` and scan again)"
                .to_string(),
        );
    }
    if !provenance.submodules.is_empty() {
        let paths: Vec<&str> = provenance.submodules.keys().map(String::as_str).collect();
        warnings.push(format!(
            "{} not scanned (scan each on its own): {}",
            match paths.len() {
                1 => "1 submodule is a separate repository and was".to_string(),
                n => format!(
                    "{} submodules are separate repositories and were",
                    thousands(n as u64)
                ),
            },
            paths.join(", ")
        ));
    }
    let mut collected = collector.finish();
    // Name the blobs read only in part by a path that holds them.
    for skipped in &mut collected.skipped {
        if skipped.path.is_some() {
            continue;
        }
        let Ok(id) = ObjectId::from_hex(skipped.blob.as_bytes()) else {
            continue;
        };
        if read_in_part.contains(&id) {
            skipped.path = provenance
                .origins
                .get(&id)
                .and_then(|origins| origins.iter().find_map(|o| o.path.clone()));
        }
    }
    let missing = collected
        .skipped
        .iter()
        .filter(|s| s.reason == SkipReason::Missing)
        .count();
    if missing > 0 && is_partial_clone(repo) {
        warnings.push(format!(
            "partial clone: {} never fetched; blobhound does not fetch them \
             (clone without --filter, or run `git fetch --refetch`, and scan again)",
            count_was(missing as u64, "object", "objects")
        ));
    }
    let mut report = finish(
        engine,
        collected,
        Coverage::Audit,
        &provenance,
        &options.findings,
    );
    report.complete &= !provenance.shallow && unlisted_packs == 0;
    report.warnings = warnings;
    report.submodules = provenance
        .submodules
        .iter()
        .map(|(path, commit)| Submodule {
            path: path.clone(),
            commit: (*commit).into(),
        })
        .collect();
    report.stats.commits = provenance.reachable_commits as u64;
    report.stats.content_ms = content_ms;
    report.stats.history_ms = history_ms;
    Ok(report)
}

impl Attribution for Provenance {
    /// Every introduction of the object; one with no place when no ref reaches it (it is
    /// reported all the same: a dangling blob is still a leaked secret).
    fn places(&self, id: &ObjectId, _source: Source, _m: &BlobMatch) -> Vec<BlobPlace> {
        let places: Vec<BlobPlace> = self
            .origins
            .get(id)
            .into_iter()
            .flatten()
            .map(|origin| BlobPlace {
                path: origin.path.clone(),
                commit: origin.commit.as_deref().cloned(),
                unreachable_commit: origin.unreachable_commit.as_deref().cloned(),
                tag: origin.tag.clone(),
            })
            .collect();
        if places.is_empty() {
            vec![BlobPlace::default()]
        } else {
            places
        }
    }

    fn present(&self, id: &ObjectId) -> bool {
        self.in_head.contains(id)
    }

    fn refs(&self, id: &ObjectId) -> Vec<String> {
        self.refs.get(id).cloned().unwrap_or_default()
    }
}
