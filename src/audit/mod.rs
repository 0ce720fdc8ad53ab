//! `blobhound audit ROOT`: every repository on a git server, scanned with the same pipeline as
//! `scan`, and merged into one report with one finding per (detector, secret) across the whole
//! server, each location naming its repository. An AWS key leaked into five repositories is then
//! one finding with five repositories, and one rotation entry.
//!
//! A repository that cannot be audited (unreadable, broken) is named in the report's warnings,
//! makes the report incomplete, and leaves the rest of the audit to go on.

pub mod discover;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use rayon::prelude::*;

use self::discover::{DiscoverOptions, Discovery, Found};
use crate::error::Result;
use crate::model::{count, Finding};
use crate::pipeline::{self, History, ScanOptions, ScanProgress};
use crate::report::{Report, Stats};
use crate::scan::Engine;

/// What to audit and how.
#[derive(Debug, Clone)]
pub struct AuditOptions {
    /// Each repository's scan: its target is replaced by each repository in turn.
    pub scan: ScanOptions,
    /// Which repositories discovery keeps.
    pub discover: DiscoverOptions,
}

/// Where the repositories come from.
#[derive(Debug, Clone)]
pub enum Repositories<'p> {
    /// Every repository under this root.
    Under(&'p Path),
    /// The repositories listed in this file.
    Listed(&'p Path),
}

/// Counters a progress display polls while an audit runs.
#[derive(Debug, Default)]
pub struct AuditProgress {
    /// Repositories found (0 until discovery has finished).
    pub total: AtomicU64,
    /// Repositories finished.
    pub done: AtomicU64,
}

/// Audits every repository `from` names, several at once within the scan's threads, and merges
/// their reports, counting in `progress`.
pub fn audit(
    from: Repositories<'_>,
    options: &AuditOptions,
    engine: &Engine,
    progress: &AuditProgress,
) -> Result<Audit> {
    let started = std::time::Instant::now();
    let (target, discovery) = match from {
        Repositories::Under(root) => (
            root.display().to_string(),
            discover::discover(root, options.discover)?,
        ),
        Repositories::Listed(file) => (file.display().to_string(), discover::from_list(file)?),
    };
    let Discovery {
        repositories,
        unreadable,
    } = discovery;
    progress
        .total
        .store(repositories.len() as u64, Ordering::Relaxed);
    // Many small repositories: one each per thread. Few large ones: their threads inside.
    let per_repository = (options.scan.threads / repositories.len().max(1)).max(1);
    let scanned: Vec<(Found, Result<Report>)> = repositories
        .into_par_iter()
        .map(|found| {
            let scan = ScanOptions {
                target: found.path.clone(),
                history: History::All,
                threads: per_repository,
                ..options.scan.clone()
            };
            let report = pipeline::scan(&scan, engine, &ScanProgress::default());
            progress.done.fetch_add(1, Ordering::Relaxed);
            (found, report)
        })
        .collect();
    let mut audit = Audit {
        repositories: scanned.len(),
        report: merge(&target, scanned),
    };
    audit.report.stats.duration_ms =
        u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    for problem in unreadable {
        audit.report.complete = false;
        audit.report.warnings.push(format!(
            "{}: not audited: {}",
            problem.path.display(),
            problem.reason
        ));
    }
    Ok(audit)
}

/// A finished audit.
#[derive(Debug)]
pub struct Audit {
    /// Repositories found and scanned (or tried).
    pub repositories: usize,
    /// The merged report.
    pub report: Report,
}

/// One report for the whole server: findings merged by (detector, secret), every location and
/// skipped object naming its repository, refs prefixed with it (`ops/svc1:refs/heads/main`).
fn merge(target: &str, scanned: Vec<(Found, Result<Report>)>) -> Report {
    let mut merged = Report::new(
        target,
        crate::model::Counts::default(),
        Vec::new(),
        true,
        Vec::new(),
        Vec::new(),
    );
    let mut stats = Stats::default();
    let mut findings: BTreeMap<(String, String), Finding> = BTreeMap::new();
    let mut failed = 0;
    for (found, report) in scanned {
        let report = match report {
            Ok(report) => report,
            Err(e) => {
                failed += 1;
                merged.complete = false;
                merged
                    .warnings
                    .push(format!("{}: not audited: {e}", found.name));
                continue;
            }
        };
        merged.complete &= report.complete;
        stats.blobs_scanned += report.stats.blobs_scanned;
        stats.bytes_scanned += report.stats.bytes_scanned;
        stats.bytes_decoded += report.stats.bytes_decoded;
        stats.commits += report.stats.commits;
        stats.content_ms += report.stats.content_ms;
        stats.history_ms += report.stats.history_ms;
        merged.warnings.extend(
            report
                .warnings
                .into_iter()
                .map(|w| format!("{}: {w}", found.name)),
        );
        merged
            .skipped
            .extend(report.skipped.into_iter().map(|mut s| {
                s.repository = Some(found.name.clone());
                s
            }));
        for hidden in report.hidden {
            match merged
                .hidden
                .iter_mut()
                .find(|h| h.filter == hidden.filter && h.why == hidden.why)
            {
                Some(same) => same.findings += hidden.findings,
                None => merged.hidden.push(hidden),
            }
        }
        for mut finding in report.findings {
            for location in &mut finding.locations {
                location.repository = Some(found.name.clone());
            }
            finding.refs = finding
                .refs
                .iter()
                .map(|r| format!("{}:{r}", found.name))
                .collect();
            match findings.entry((finding.detector.clone(), finding.secret.clone())) {
                std::collections::btree_map::Entry::Vacant(slot) => {
                    slot.insert(finding);
                }
                std::collections::btree_map::Entry::Occupied(mut slot) => {
                    let kept = slot.get_mut();
                    if finding.confidence > kept.confidence {
                        kept.confidence = finding.confidence;
                        kept.confidence_reason = finding.confidence_reason.clone();
                    }
                    kept.in_head |= finding.in_head;
                    kept.locations.extend(finding.locations);
                    kept.refs.extend(finding.refs);
                }
            }
        }
    }
    if failed > 0 {
        merged.warnings.push(format!(
            "{} could not be audited",
            count(failed as u64, "repository", "repositories")
        ));
    }
    stats.blobs_skipped = merged.skipped.len() as u64;
    merged.stats = stats;
    merged.findings = findings.into_values().collect();
    merged.findings.sort_by(|a, b| {
        let first = |f: &Finding| {
            f.locations
                .first()
                .map(|l| (l.repository.clone(), l.path.clone(), l.line))
        };
        first(a)
            .cmp(&first(b))
            .then_with(|| a.detector.cmp(&b.detector))
    });
    merged
}
