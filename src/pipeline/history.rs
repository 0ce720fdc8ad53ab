//! The history audit: select every object of the database (all packs, loose objects,
//! alternates), then attribute the blobs with findings through provenance: every commit and path
//! that introduced them, the refs that still hold them, whether HEAD has them.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::time::Instant;

use gix::ObjectId;

use super::seen::{Held, Introduction, Seen};
use super::{elapsed_ms, finish, ScanOptions, ScanProgress, PHASE_HISTORY};
use crate::collect::known::KnownObjects;
use crate::collect::{Collector, Found};
use crate::error::Result;
use crate::model::{count, count_was, thousands, Coverage, SkipReason, Skipped, Source};
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
    scan_objects(repo, options, engine, progress, None).map(|(report, _)| report)
}

/// What an audit's state recalls of a repository's last scan under the same settings.
#[derive(Debug, Default)]
pub struct Prior {
    /// What it saw: the objects it read clean, the others it listed, its tips.
    pub seen: Seen,
    /// What it reported (its findings' places, its skipped objects), when the state has it.
    pub report: Option<Report>,
}

/// A scan of `repo` again, reading only the objects `prior` did not read clean, and tracing
/// only the history past its tips. Returns the report, as a full scan would make it, and what
/// this scan saw, for the next.
///
/// The findings are those of a full scan. The matches of every object read before are taken
/// over, those below the floor too, and decided again with the new ones, so a copy of a secret
/// found later at a higher confidence still brings every copy into the report. A blob skipped
/// as binary or too large is skipped again unread, under the same limits; one read only in part
/// is read again. An object a rewrite removed is simply not listed any more,
/// so its findings are gone. When history only grew (every earlier tip still reachable, the
/// same shallow boundary), the earlier introductions stand and only the new commits' trees are
/// read; after a rewrite or a deleted branch, all history is traced again.
pub fn rescan(
    repo: &gix::Repository,
    options: &ScanOptions,
    engine: &Engine,
    progress: &ScanProgress,
    prior: &Prior,
) -> Result<(Report, Seen)> {
    let (report, seen) = scan_objects(repo, options, engine, progress, Some(prior))?;
    Ok((report, seen.unwrap_or_default()))
}

/// Skips a re-run takes over unread: the object is the same, and so are the limits.
fn carried_unread(reason: SkipReason) -> bool {
    matches!(reason, SkipReason::Binary | SkipReason::TooLarge)
}

/// How a re-run reads one pack.
enum PackPlan {
    /// Every object in it was read before: the pack is passed by.
    Known,
    /// A few are new: they are read one at a time, cheaper than decoding the pack.
    Few(Vec<ObjectId>),
    /// Many are new (or its index cannot be read): the pack is decoded whole, and the collector
    /// passes by what was read before.
    Whole,
}

/// A pack whose new objects are at most this share of it (1/N) has them read one by one.
const FEW_NEW_OBJECTS: usize = 8;

/// Every object a re-run's object directories list, and how each pack is to be read.
struct Listing {
    ids: KnownObjects,
    packs: std::collections::HashMap<PathBuf, PackPlan>,
}

impl Listing {
    /// Lists the objects of `indices` and of the loose directories, and counts those of `prior`
    /// (read before, clean or skipped unread) as read in `collector`.
    fn of(
        indices: &[(PathBuf, Vec<PathBuf>)],
        hash: gix::hash::Kind,
        prior: &KnownObjects,
        collector: &Collector<'_>,
    ) -> Listing {
        let mut listed = Vec::new();
        let mut packs = std::collections::HashMap::new();
        let note = |id: ObjectId, new: &mut Vec<ObjectId>| {
            if prior.contains(&id) {
                collector.assume_read(id);
            } else {
                new.push(id);
            }
            id
        };
        for (dir, pack_indices) in indices {
            for index in pack_indices {
                let plan = match packs::object_ids(index, hash) {
                    None => PackPlan::Whole,
                    Some(ids) => {
                        let mut new = Vec::new();
                        listed.extend(ids.iter().map(|id| note(*id, &mut new)));
                        if new.is_empty() {
                            PackPlan::Known
                        } else if new.len() * FEW_NEW_OBJECTS <= ids.len() {
                            PackPlan::Few(new)
                        } else {
                            PackPlan::Whole
                        }
                    }
                };
                packs.insert(index.clone(), plan);
            }
            let mut new = Vec::new();
            for id in loose::object_ids(dir, hash) {
                listed.push(note(id, &mut new));
            }
        }
        Listing {
            ids: KnownObjects::new(listed),
            packs,
        }
    }
}

fn scan_objects(
    repo: &gix::Repository,
    options: &ScanOptions,
    engine: &Engine,
    progress: &ScanProgress,
    prior: Option<&Prior>,
) -> Result<(Report, Option<Seen>)> {
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

    // Skips taken over unread, and the objects passed by: those read clean, and those.
    let carried: Vec<Skipped> = prior
        .and_then(|p| p.report.as_ref())
        .map(|report| {
            report
                .skipped
                .iter()
                .filter(|s| carried_unread(s.reason) && s.member.is_none())
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    // And the objects whose matches are taken over unread.
    let restorable: Vec<Found> = prior
        .map(|p| {
            p.seen
                .held
                .iter()
                .filter_map(|h| h.restored(engine))
                .collect()
        })
        .unwrap_or_default();
    let listing = prior.map(|prior| {
        let passed = KnownObjects::new(
            prior
                .seen
                .clean
                .iter()
                .copied()
                .chain(
                    carried
                        .iter()
                        .filter_map(|s| ObjectId::from_hex(s.blob.as_bytes()).ok()),
                )
                .chain(restorable.iter().map(|f| f.id))
                .collect(),
        );
        Listing::of(&indices, hash, &passed, &collector)
    });
    if let Some(listing) = &listing {
        // Only what the repository still holds.
        for entry in carried {
            if ObjectId::from_hex(entry.blob.as_bytes()).is_ok_and(|id| listing.ids.contains(&id)) {
                collector.carry(entry);
            }
        }
        for found in restorable {
            if listing.ids.contains(&found.id) {
                collector.restore(found);
            }
        }
    }
    let mut warnings = Vec::new();
    // Packs whose index could not be read: their objects cannot even be listed, so the scan
    // cannot say it saw everything, whatever else it finds.
    let mut unlisted_packs = 0;
    for (dir, pack_indices) in &indices {
        for index in pack_indices {
            match listing.as_ref().and_then(|l| l.packs.get(index)) {
                Some(PackPlan::Known) => continue,
                Some(PackPlan::Few(ids)) => {
                    let mut buf = Vec::new();
                    for id in ids {
                        collector.read(&repo.objects, *id, None, &mut buf);
                    }
                    continue;
                }
                Some(PackPlan::Whole) | None => {}
            }
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
    // Whatever had a match, even one below the floor, is kept with its matches for next time: a
    // copy of the secret found later at a higher confidence brings every copy into the report.
    let found_before_floor = match &listing {
        Some(_) => collector.found(),
        None => Vec::new(),
    };
    collector.keep_reportable(options.findings.min_confidence);
    let read_in_part = collector.blobs_read_in_part();
    let wanted: HashSet<ObjectId> = collector
        .blobs_with_matches()
        .into_iter()
        .chain(read_in_part.iter().copied())
        .collect();
    let since = prior.map(|prior| {
        let submodules = prior.report.iter().flat_map(|r| &r.submodules);
        prior.seen.since(
            submodules
                .map(|s| (s.path.clone(), s.commit.id()))
                .collect(),
        )
    });
    let provenance = provenance::trace(repo, &wanted, &collector, options.threads, since.as_ref())?;
    let prior_report = prior.and_then(|p| p.report.as_ref());
    if provenance.incremental {
        // Old history was not walked again: what it lacked, it still lacks while no object
        // file holds it.
        let listed = listing.as_ref().map(|l| &l.ids);
        for entry in prior_report.into_iter().flat_map(|r| &r.skipped) {
            let lacking = matches!(entry.reason, SkipReason::Missing | SkipReason::Corrupt)
                && ObjectId::from_hex(entry.blob.as_bytes())
                    .is_ok_and(|id| !listed.is_some_and(|l| l.contains(&id)));
            if lacking {
                collector.carry(entry.clone());
            }
        }
    }
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
    let seen = listing.map(|listing| {
        let skipped: HashSet<ObjectId> = collected
            .skipped
            .iter()
            .filter_map(|s| ObjectId::from_hex(s.blob.as_bytes()).ok())
            .collect();
        // What was read in part is read again, so its matches are not kept.
        let held: Vec<Held> = found_before_floor
            .iter()
            .filter(|f| !skipped.contains(&f.id))
            .map(|f| Held::of(engine, f))
            .collect();
        let retry: HashSet<ObjectId> = skipped
            .iter()
            .copied()
            .chain(found_before_floor.iter().map(|f| f.id))
            .collect();
        let (others, clean): (Vec<ObjectId>, Vec<ObjectId>) = listing
            .ids
            .iter()
            .copied()
            .partition(|id| retry.contains(id));
        Seen {
            clean: KnownObjects::new(clean),
            others: KnownObjects::new(others),
            tips: KnownObjects::new(provenance.tips.clone()),
            shallow: KnownObjects::new(provenance.shallow_boundary.clone()),
            dangling: KnownObjects::new(provenance.dangling.clone()),
            introductions: Introduction::all_of(&provenance, &wanted),
            held,
        }
    });
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
    report.stats.commits_traced = provenance.commits_traced as u64;
    report.stats.content_ms = content_ms;
    report.stats.history_ms = history_ms;
    Ok((report, seen))
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
