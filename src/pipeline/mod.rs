//! One scan pipeline for every mode: choose the objects, feed them to the collector (the sink
//! that reads, skips, counts and scans), attribute the matches to places, build the report.
//!
//! A mode supplies only its selection and its [`Attribution`]: a history audit selects every
//! object of the database and attributes through provenance ([`history`]); a directory scan
//! selects files ([`directory`]); the gates (a commit range, a push, a staged change) select what
//! commits introduced and attribute only the lines they added ([`gate`]). Everything else, and in
//! particular what makes a report incomplete, is decided here once.

pub mod directory;
pub mod gate;
pub mod history;
pub mod range;
pub mod seen;

use std::path::PathBuf;
use std::sync::atomic::AtomicU64;
use std::time::Instant;

use crate::collect::{Collected, Limits};
use crate::error::{Error, Result};
use crate::model::Coverage;
use crate::objects::repository;
use crate::report::{build_findings, Attribution, FindingOptions, Hidden, Report};
use crate::scan::Engine;

/// How much of a repository to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum History {
    /// Every object in the object database (the default for a repository).
    All,
    /// Only the files on disk (a repository's working tree, or the subdirectory named).
    None,
    /// What the commits of `from..to` introduced, each of them (a CI gate).
    Range {
        /// Commits reachable from here are excluded; all zeros means a new branch.
        from: String,
        /// Commits reachable from here are included.
        to: String,
    },
}

/// What to scan and how.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// Repository (worktree or bare), a directory inside one, or a plain directory.
    pub target: PathBuf,
    /// History depth for repositories.
    pub history: History,
    /// Decoding and scanning threads.
    pub threads: usize,
    /// What not to scan.
    pub limits: Limits,
    /// Which findings are reported, and how they are fingerprinted.
    pub findings: FindingOptions,
}

/// Progress counters a caller may poll from another thread (for a progress bar).
#[derive(Debug, Default)]
pub struct ScanProgress {
    /// Objects expected in the content pass (0 while unknown).
    pub total: AtomicU64,
    /// Objects (and their bytes) handed to the engine so far.
    pub read: crate::collect::Progress,
    /// 0 while reading objects, 1 while tracing history for the findings.
    pub phase: AtomicU64,
}

/// [`ScanProgress::phase`] while provenance is traced.
pub const PHASE_HISTORY: u64 = 1;

/// Runs a scan of `options.target`: the history of the repository it is (or is in), the files of a
/// directory, or what a commit range introduced.
pub fn scan(options: &ScanOptions, engine: &Engine, progress: &ScanProgress) -> Result<Report> {
    let started = Instant::now();
    let target = &options.target;
    if !target.exists() {
        return Err(Error::NotATarget {
            path: target.clone(),
        });
    }
    let mut report = match repository::discover(target)? {
        Some(found) => {
            let repo = &found.repo;
            let mut report = match &options.history {
                History::All => history::scan(repo, options, engine, progress)?,
                History::Range { from, to } => {
                    let selection = range::commits(repo, from, to)?;
                    let mut gate = gate::GateScan::new(&repo.objects, engine, options.limits);
                    gate.commits(&selection.commits);
                    let mut report = gate.finish(&[selection.tip], &options.findings, "");
                    report.warnings.extend(selection.note);
                    report
                }
                History::None => {
                    let workdir = repo.workdir().ok_or_else(|| {
                        Error::Usage(format!(
                            "{}: a bare repository has no files on disk; use --history all",
                            target.display()
                        ))
                    })?;
                    let root = match &found.subdirectory {
                        Some(sub) => workdir.join(sub),
                        None => workdir.to_path_buf(),
                    };
                    directory::scan(&root, repo.object_hash(), options, engine, progress)
                }
            };
            if let Some(sub) = &found.subdirectory {
                report.repository = Some(
                    repo.workdir()
                        .unwrap_or(repo.git_dir())
                        .display()
                        .to_string(),
                );
                if options.history != History::None {
                    report.warnings.push(format!(
                        "{} is inside the repository {}: its whole history was scanned \
                         (--history none scans only the files of {})",
                        target.display(),
                        repo.workdir().unwrap_or(repo.git_dir()).display(),
                        sub.display()
                    ));
                }
            }
            report
        }
        None if matches!(options.history, History::Range { .. }) => {
            return Err(Error::Usage(format!(
                "{}: --range and --since need a git repository",
                target.display()
            )))
        }
        None if target.is_dir() => {
            directory::scan(target, gix::hash::Kind::Sha1, options, engine, progress)
        }
        None => {
            return Err(Error::NotATarget {
                path: target.clone(),
            })
        }
    };
    report.target = target.display().to_string();
    report.stats.duration_ms = elapsed_ms(started);
    Ok(report)
}

/// The last step of every mode: findings from what was collected, placed by the mode's
/// attribution, in a report whose completeness follows from the mode's coverage.
pub fn finish(
    engine: &Engine,
    mut collected: Collected,
    coverage: Coverage,
    attribution: &dyn Attribution,
    options: &FindingOptions,
) -> Report {
    for skipped in &mut collected.skipped {
        skipped.unread = coverage.incomplete_without(skipped.reason);
    }
    let complete = !collected.skipped.iter().any(|s| s.unread);
    let built = build_findings(engine, collected.found, options, attribution);
    let mut report = Report::new(
        "",
        collected.counts,
        collected.skipped,
        complete,
        Vec::new(),
        built.findings,
    );
    let below = collected.below_confidence + built.below_confidence;
    if below > 0 {
        report.hidden.push(Hidden::new(
            "confidence",
            below,
            format!("below --confidence {}", options.min_confidence.as_str()),
        ));
    }
    report
}

fn elapsed_ms(since: Instant) -> u64 {
    u64::try_from(since.elapsed().as_millis()).unwrap_or(u64::MAX)
}
