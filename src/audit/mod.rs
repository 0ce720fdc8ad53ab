//! `blobhound audit ROOT`: every repository on a git server, scanned with the same pipeline as
//! `scan`, and merged into one report with one finding per (detector, secret) across the whole
//! server, each location naming its repository. An AWS key leaked into five repositories is then
//! one finding with five repositories, and one rotation entry.
//!
//! A repository that cannot be audited (unreadable, broken) is named in the report's warnings,
//! makes the report incomplete, and leaves the rest of the audit to go on.

pub mod discover;
pub mod shard;
pub mod snapshot;
pub mod state;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use rayon::prelude::*;
use sha2::{Digest, Sha256};

use self::discover::{DiscoverOptions, Discovery, Found};
use self::shard::Shard;
use self::state::{Access, Entry, State, Summary};
use crate::error::{Error, Result};
use crate::model::{count, hex, Finding, SkipReason};
use crate::objects::repository;
use crate::pipeline::history::{self, Prior};
use crate::pipeline::seen::Seen;
use crate::pipeline::{ScanOptions, ScanProgress};
use crate::report::{Report, Stats};
use crate::scan::Engine;

/// What to audit and how.
#[derive(Debug, Clone)]
pub struct AuditOptions {
    /// Each repository's scan: its target is replaced by each repository in turn.
    pub scan: ScanOptions,
    /// Which repositories discovery keeps.
    pub discover: DiscoverOptions,
    /// Only this share of the repositories.
    pub shard: Option<Shard>,
    /// Where the state is kept (a SQLite file's path or a `postgres://` URL), if anywhere.
    pub state: Option<String>,
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

/// A finished audit.
#[derive(Debug)]
pub struct Audit {
    /// Repositories found and scanned (or tried), in this run's share.
    pub repositories: usize,
    /// Of those, how many the state showed unchanged, whose recorded report was taken as it is.
    pub unchanged: usize,
    /// The merged report.
    pub report: Report,
}

/// The digest of everything that decides what a scan finds: the program, the detector set, the
/// limits, the confidence floor and the fingerprint scheme. A state recorded under another digest
/// is rescanned in full.
pub fn settings_digest(engine: &Engine, scan: &ScanOptions) -> String {
    let mut hasher = Sha256::new();
    for part in [
        concat!("blobhound ", env!("CARGO_PKG_VERSION")).to_string(),
        engine.set().digest(),
        format!("{:?}", scan.limits),
        scan.findings.min_confidence.as_str().to_string(),
        scan.findings.fingerprints.scheme(),
    ] {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    hex(&hasher.finalize())
}

/// Audits every repository `from` names (in `options.shard`'s share), several at once within the
/// scan's threads, and merges their reports, counting in `progress`. With a state, unchanged
/// repositories are taken from it, changed ones have only their new objects read, and each is
/// recorded as it finishes.
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
        mut repositories,
        unreadable,
    } = discovery;
    if let Some(shard) = options.shard {
        repositories.retain(|found| shard.holds(&found.name));
    }
    let mut warnings = Vec::new();
    let recorder = match &options.state {
        None => None,
        Some(spec) => {
            outside_what_is_audited(spec, from, &repositories)?;
            match Recorder::open(spec, settings_digest(engine, &options.scan)) {
                Ok(recorder) => Some(recorder),
                Err(e) => {
                    warnings.push(format!(
                        "{}; the state was neither read nor written, and this audit is not \
                         recorded in it",
                        chain(&e)
                    ));
                    None
                }
            }
        }
    };
    progress
        .total
        .store(repositories.len() as u64, Ordering::Relaxed);
    // Many small repositories: one each per thread. Few large ones: their threads inside.
    let per_repository = (options.scan.threads / repositories.len().max(1)).max(1);
    let scan = ScanOptions {
        threads: per_repository,
        ..options.scan.clone()
    };
    let audited: Vec<Audited> = repositories
        .par_iter()
        .map(|found| {
            let audited = audit_one(found, &scan, engine, recorder.as_ref());
            progress.done.fetch_add(1, Ordering::Relaxed);
            audited
        })
        .collect();
    let unchanged = audited.iter().filter(|a| a.unchanged).count();
    let mut unrecorded = 0u64;
    for a in &audited {
        if let Some(why) = &a.unrecorded {
            unrecorded += 1;
            if unrecorded <= 3 {
                warnings.push(format!("{}: audited but not recorded: {why}", a.name));
            }
        }
    }
    if unrecorded > 0 {
        warnings.push(format!(
            "{} not recorded in the state: the next run audits them again",
            count(unrecorded, "repository was", "repositories were")
        ));
    }
    if let Some(recorder) = &recorder {
        // Repositories of this share that are gone: their findings went with them. Only a walk
        // that read every directory can say a repository is gone.
        if unreadable.is_empty() {
            let found: std::collections::HashSet<&str> =
                repositories.iter().map(|f| f.name.as_str()).collect();
            let gone: Vec<String> = recorder
                .summaries
                .keys()
                .filter(|name| options.shard.is_none_or(|s| s.holds(name)))
                .filter(|name| !found.contains(name.as_str()))
                .cloned()
                .collect();
            if !gone.is_empty() {
                if let Err(e) = recorder.state.with(|store| store.forget(&gone)) {
                    warnings.push(chain(&e));
                }
            }
        }
    }
    let results = audited.into_iter().map(|a| (a.name, a.report)).collect();
    let mut audit = Audit {
        repositories: repositories.len(),
        unchanged,
        report: merge(&target, results),
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
    if !warnings.is_empty() {
        audit.report.complete = false;
        audit.report.warnings.extend(warnings);
    }
    Ok(audit)
}

/// The merged report of everything a state holds (`--report-only`), within `shard` if given:
/// nothing is scanned. A repository whose last audit failed is named, and makes the report
/// incomplete; its last good report, if any, is still merged.
pub fn report_from_state(spec: &str, shard: Option<Shard>) -> Result<Audit> {
    let state = State::open(spec, Access::ReadOnly)?;
    let summaries = state.with(|store| store.summaries())?;
    let mut results = Vec::new();
    let mut problems = Vec::new();
    for summary in summaries
        .into_iter()
        .filter(|s| shard.is_none_or(|shard| shard.holds(&s.name)))
    {
        if let Some(error) = &summary.error {
            problems.push(format!("{}: its last audit failed: {error}", summary.name));
        }
        let recorded = state.with(|store| store.report(&summary.name))?;
        match recorded.map(|json| serde_json::from_str::<Report>(&json)) {
            Some(Ok(report)) => results.push((summary.name, Ok(taken_from_state(report)))),
            Some(Err(e)) => problems.push(format!(
                "{}: its recorded report cannot be read ({e})",
                summary.name
            )),
            None => {}
        }
    }
    let mut audit = Audit {
        repositories: results.len(),
        unchanged: results.len(),
        report: merge(state.described(), results),
    };
    if !problems.is_empty() {
        audit.report.complete = false;
        audit.report.warnings.extend(problems);
    }
    Ok(audit)
}

/// Whether an audit's report met damage that can be repaired in place: a corrupt or unreadable
/// object (a pack replaced by an intact copy keeps its name, so the snapshot would not change),
/// or an incompleteness no skipped object explains (an unreadable pack index). Such a repository
/// is audited again even when its snapshot is unchanged. Objects that were missing are not: one
/// that arrives comes in a new pack or loose file, which changes the snapshot.
fn met_damage(report: &Report) -> bool {
    let damaged = |s: &crate::model::Skipped| {
        matches!(s.reason, SkipReason::Corrupt | SkipReason::Unreadable)
    };
    report.skipped.iter().any(damaged) || (!report.complete && report.unread().next().is_none())
}

/// A recorded report as this run's: the stats of a run count what the run read, and it read
/// nothing of a repository taken from the state.
fn taken_from_state(report: Report) -> Report {
    Report {
        stats: Stats::default(),
        ..report
    }
}

/// One repository's part of an audit.
struct Audited {
    name: String,
    report: Result<Report>,
    /// Taken from the state as it was recorded.
    unchanged: bool,
    /// Why it was audited but could not be recorded.
    unrecorded: Option<String>,
}

/// A state opened for an audit, with what it held when the audit began.
struct Recorder {
    state: State,
    summaries: HashMap<String, Summary>,
    settings: String,
}

impl Recorder {
    fn open(spec: &str, settings: String) -> Result<Recorder> {
        let state = State::open(spec, Access::ReadWrite)?;
        let summaries = state
            .with(|store| store.summaries())?
            .into_iter()
            .map(|s| (s.name.clone(), s))
            .collect();
        Ok(Recorder {
            state,
            summaries,
            settings,
        })
    }

    /// The recorded report of `found`, if the state shows the repository as it is now, audited
    /// with these settings without meeting damage (see [`met_damage`]), and the report reads
    /// back.
    fn unchanged(&self, found: &Found, snapshot: &str) -> Option<Report> {
        let summary = self.summaries.get(&found.name)?;
        let same = summary.snapshot.as_deref() == Some(snapshot)
            && summary.settings.as_deref() == Some(self.settings.as_str())
            && summary.error.is_none();
        if !same {
            return None;
        }
        let json = self.state.with(|store| store.report(&found.name)).ok()??;
        let report: Report = serde_json::from_str(&json).ok()?;
        if met_damage(&report) {
            return None;
        }
        Some(taken_from_state(report))
    }

    /// Whether the state holds an audit of `found` under these settings.
    fn recorded_alike(&self, found: &Found) -> bool {
        self.summaries
            .get(&found.name)
            .is_some_and(|s| s.settings.as_deref() == Some(self.settings.as_str()))
    }

    /// What an earlier audit of `found` under these settings saw and reported (nothing when the
    /// settings changed, or the row cannot be read: then everything is read and traced).
    fn prior(&self, found: &Found, hash: gix::hash::Kind) -> Prior {
        if !self.recorded_alike(found) {
            return Prior::default();
        }
        let seen = match self.state.with(|store| store.known(&found.name)) {
            Ok(Some(bytes)) => Seen::from_bytes(&bytes, hash).unwrap_or_default(),
            _ => Seen::default(),
        };
        let report = self
            .state
            .with(|store| store.report(&found.name))
            .ok()
            .flatten()
            .and_then(|json| serde_json::from_str::<Report>(&json).ok());
        Prior { seen, report }
    }
}

/// Audits one repository: from the state when it is unchanged, else by reading what is new to
/// it, recording the result.
fn audit_one(
    found: &Found,
    scan: &ScanOptions,
    engine: &Engine,
    recorder: Option<&Recorder>,
) -> Audited {
    let mut audited = Audited {
        name: found.name.clone(),
        report: Err(Error::NotATarget {
            path: found.path.clone(),
        }),
        unchanged: false,
        unrecorded: None,
    };
    let started = std::time::Instant::now();
    let scan = ScanOptions {
        target: found.path.clone(),
        ..scan.clone()
    };
    let progress = ScanProgress::default();
    let repo = match repository::open(&found.path) {
        Ok(Some(repo)) => repo,
        Ok(None) => return audited,
        Err(e) => {
            audited.report = Err(e);
            return audited;
        }
    };
    let path = found.path.display().to_string();
    let report = match recorder {
        None => history::scan(&repo, &scan, engine, &progress),
        Some(recorder) => {
            let result = snapshot::take(&repo).and_then(|snapshot| {
                if let Some(report) = recorder.unchanged(found, &snapshot) {
                    audited.unchanged = true;
                    return Ok(report);
                }
                let prior = recorder.prior(found, repo.object_hash());
                // The slow fingerprints of secrets reported before are not made again.
                let made = prior
                    .report
                    .iter()
                    .flat_map(|r| &r.findings)
                    .map(|f| (f.detector.clone(), f.secret.clone(), f.fingerprint.clone()));
                let mut scan = scan.clone();
                scan.findings.fingerprints = scan.findings.fingerprints.clone().remembering(made);
                let (mut report, seen) = history::rescan(&repo, &scan, engine, &progress, &prior)?;
                report.target = path.clone();
                let json = serde_json::to_string(&report)
                    .map_err(|e| Error::Git(format!("cannot serialise the report: {e}")))?;
                let entry = Entry {
                    name: &found.name,
                    path: &path,
                    snapshot: &snapshot,
                    settings: &recorder.settings,
                    known: &seen.to_bytes(),
                    report: &json,
                };
                if let Err(e) = recorder.state.with(|store| store.record(&entry)) {
                    audited.unrecorded = Some(chain(&e));
                }
                Ok(report)
            });
            if let Err(e) = &result {
                let why = chain(e);
                if let Err(e) = recorder
                    .state
                    .with(|store| store.record_failure(&found.name, &path, &why))
                {
                    audited.unrecorded = Some(chain(&e));
                }
            }
            result
        }
    };
    audited.report = report.map(|mut report| {
        report.target = path;
        if !audited.unchanged {
            report.stats.duration_ms =
                u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        }
        report
    });
    audited
}

/// An error and its sources on one line, as the binary prints errors: for warnings in a report.
fn chain(error: &Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Refuses a state file inside the audit's root or inside a repository it audits: an audit
/// never writes to what it reads.
fn outside_what_is_audited(spec: &str, from: Repositories<'_>, found: &[Found]) -> Result<()> {
    let Some(file) = State::file(spec) else {
        return Ok(());
    };
    let absolute = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
    let parent = file
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let place = absolute(parent).join(file.file_name().unwrap_or_default());
    let root = match from {
        Repositories::Under(root) => Some(absolute(root)),
        Repositories::Listed(_) => None,
    };
    let inside = root
        .into_iter()
        .chain(found.iter().map(|f| absolute(&f.path)))
        .find(|dir| place.starts_with(dir));
    match inside {
        Some(dir) => Err(Error::Usage(format!(
            "--state {spec} is inside {}, which the audit reads: keep the state elsewhere",
            dir.display()
        ))),
        None => Ok(()),
    }
}

/// One report for the whole server: findings merged by (detector, secret), every location and
/// skipped object naming its repository, refs prefixed with it (`ops/svc1:refs/heads/main`).
fn merge(target: &str, scanned: Vec<(String, Result<Report>)>) -> Report {
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
    for (name, report) in scanned {
        let report = match report {
            Ok(report) => report,
            Err(e) => {
                failed += 1;
                merged.complete = false;
                merged.warnings.push(format!("{}: not audited: {e}", name));
                continue;
            }
        };
        merged.complete &= report.complete;
        stats.blobs_scanned += report.stats.blobs_scanned;
        stats.bytes_scanned += report.stats.bytes_scanned;
        stats.bytes_decoded += report.stats.bytes_decoded;
        stats.commits += report.stats.commits;
        stats.commits_traced += report.stats.commits_traced;
        stats.content_ms += report.stats.content_ms;
        stats.history_ms += report.stats.history_ms;
        merged.warnings.extend(
            report
                .warnings
                .into_iter()
                .map(|w| format!("{}: {w}", name)),
        );
        merged
            .skipped
            .extend(report.skipped.into_iter().map(|mut s| {
                s.repository = Some(name.clone());
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
                location.repository = Some(name.clone());
            }
            finding.refs = finding
                .refs
                .iter()
                .map(|r| format!("{}:{r}", name))
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
