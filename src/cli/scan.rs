//! `blobhound scan [TARGET]`.

use std::io::{BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use anyhow::Context;
use blobhound::baseline::AllowList;
use blobhound::config::Config;
use blobhound::detectors::DetectorSet;
use blobhound::model::Fingerprinter;
use blobhound::model::Status as VerifyStatus;
use blobhound::model::{count, count_was, human_bytes, thousands, Confidence, SkipReason};
use blobhound::pipeline::{scan, History, ScanOptions, ScanProgress, PHASE_HISTORY};
use blobhound::report::human::{write_human, Style, UNREAD_LISTED};
use blobhound::report::json::{write_json, write_jsonl};
use blobhound::report::sarif::write_sarif;
use blobhound::report::{FindingOptions, Hidden, Report};
use blobhound::scan::{selftest, Engine};
use blobhound::source::remote;
use blobhound::verify::{verify_findings, VerifyOptions};
use clap::{Args, ValueEnum};

use super::fingerprint::FingerprintArgs;
use super::limits::LimitArgs;
use super::output::{note, settle, OutputFile};
use super::Status;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Format {
    Human,
    Json,
    Jsonl,
    Sarif,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    /// Any reported finding.
    Any,
    /// Only findings verified live (needs --verify).
    Live,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum HistoryArg {
    /// Every object in the object database.
    All,
    /// Only the files on disk.
    None,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ConfidenceArg {
    Low,
    Medium,
    High,
}

impl From<ConfidenceArg> for Confidence {
    fn from(arg: ConfidenceArg) -> Self {
        match arg {
            ConfidenceArg::Low => Confidence::Low,
            ConfidenceArg::Medium => Confidence::Medium,
            ConfidenceArg::High => Confidence::High,
        }
    }
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Repository (worktree or bare), plain directory, or a repository's URL (https, ssh, git,
    /// file, or user@host:path), cloned with every ref into a temporary mirror.
    #[arg(default_value = ".")]
    pub target: PathBuf,
    /// For a URL: clone into DIR and leave the mirror there.
    #[arg(long, value_name = "DIR")]
    keep_clone: Option<PathBuf>,
    /// For a repository: every object (all), or only the files on disk (none).
    #[arg(long, value_enum, default_value = "all", conflicts_with_all = ["range", "since"])]
    history: HistoryArg,
    /// Only what the commits of BASE..HEAD introduced, every commit (a CI gate).
    #[arg(long, value_name = "BASE..HEAD", conflicts_with = "since")]
    range: Option<String>,
    /// Only what the commits since REV introduced (REV..HEAD).
    #[arg(long, value_name = "REV")]
    since: Option<String>,
    /// Output format [default: human].
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Write the report to FILE instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Never print a whole secret.
    #[arg(long)]
    redact: bool,
    /// Check found credentials against the live service (AWS STS, PostgreSQL, MySQL/MariaDB, Redis).
    #[arg(long)]
    verify: bool,
    /// With --verify: also contact loopback, private and link-local addresses.
    #[arg(long, requires = "verify")]
    verify_private: bool,
    /// With --verify: seconds allowed for each check.
    #[arg(long, value_name = "SECONDS", default_value = "5", requires = "verify")]
    verify_timeout: u64,
    /// With --verify: report only findings verified live.
    #[arg(long, requires = "verify")]
    only_live: bool,
    /// Which findings make the exit status 1: any (default), or only those verified live.
    #[arg(long, value_enum, default_value = "any")]
    fail_on: FailOn,
    /// Print the rotation plan (Markdown) instead of the report (see `blobhound advise`).
    #[arg(long, conflicts_with = "format")]
    advice: bool,
    /// Drop findings whose fingerprint is listed in FILE (see `blobhound baseline create`).
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// Lowest confidence reported [default: medium].
    #[arg(long, value_enum)]
    pub confidence: Option<ConfidenceArg>,
    /// Do not report findings at paths matching GLOB (gitignore-style; archive members too).
    /// Repeatable.
    #[arg(long, value_name = "GLOB")]
    exclude: Vec<String>,
    /// Read options, exclusions and allow lists from FILE instead of the repository's
    /// .blobhound.toml.
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    config: Option<PathBuf>,
    /// Do not read the repository's .blobhound.toml.
    #[arg(long)]
    no_config: bool,
    /// Also load every *.toml detector file in DIR.
    #[arg(long, value_name = "DIR")]
    detectors: Option<PathBuf>,
    /// Run only these detector ids (comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "IDS")]
    only: Vec<String>,
    /// Do not run these detector ids (comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "IDS")]
    skip: Vec<String>,
    /// Threads for decoding and scanning (default: all cores).
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
    #[command(flatten)]
    limits: LimitArgs,
    /// Scan blobs that look binary (NUL bytes in their first 8000 bytes) too.
    #[arg(long)]
    scan_binary: bool,
    /// Exit 0 instead of 3 when nothing was found but some objects could not be read.
    #[arg(long)]
    allow_incomplete: bool,
    /// Never show a progress bar.
    #[arg(long)]
    no_progress: bool,
    #[command(flatten)]
    pub fingerprints: FingerprintArgs,
}

impl ScanArgs {
    /// The first flag given that shapes a printed report, for commands that print none
    /// (`baseline create` writes fingerprints): such a flag would silently do nothing.
    pub fn report_flag_given(&self) -> Option<&'static str> {
        if self.format.is_some() {
            Some("--format")
        } else if self.advice {
            Some("--advice")
        } else if self.redact {
            Some("--redact")
        } else {
            None
        }
    }
}

pub fn run(args: ScanArgs) -> anyhow::Result<Status> {
    run_mode(args, Mode::Scan)
}

/// What a run covers: the target (`scan`), or every repository under it (`audit`).
#[derive(Debug, Clone, Copy)]
pub enum Mode<'m> {
    /// One repository or directory.
    Scan,
    /// Every repository under the target, or those a list names.
    Audit(&'m AuditSpec),
}

/// What `audit` adds to a scan's options.
#[derive(Debug, Clone, Default)]
pub struct AuditSpec {
    /// Audit the repositories this file lists instead of those under the target.
    pub repos: Option<PathBuf>,
    /// Leave out GitLab's `.wiki.git` and `.design.git` repositories.
    pub skip_gitlab_companions: bool,
    /// Where the audit's state is kept.
    pub state: Option<String>,
    /// Only this share of the repositories.
    pub shard: Option<blobhound::audit::shard::Shard>,
    /// Print the merged report from the state, scanning nothing.
    pub report_only: bool,
}

/// Runs a scan or an audit and writes its report: filters, verification, output and exit
/// status are the same for both.
pub fn run_mode(args: ScanArgs, mode: Mode<'_>) -> anyhow::Result<Status> {
    if args.fail_on == FailOn::Live && !args.verify {
        anyhow::bail!("--fail-on live needs --verify");
    }
    let Executed {
        engine,
        mut report,
        fingerprints,
        config,
    } = execute(&args, mode)?;
    // Notes a human report prints itself go to stderr beside a machine-readable one.
    let machine_format = !matches!(args.format, None | Some(Format::Human));
    // Findings left out of the output; their secrets are still masked wherever they appear in
    // what is shown (a commit summary, a path) under --redact.
    let mut dropped = Vec::new();
    if let Some(path) = &args.baseline {
        let accepted = AllowList::load(path, &fingerprints)?;
        dropped = blobhound::baseline::apply(&mut report, &accepted);
        if !dropped.is_empty() {
            report.hidden.push(Hidden::new(
                "baseline",
                dropped.len() as u64,
                format!("in the baseline {}", path.display()),
            ));
        }
        if accepted.legacy_entries() > 0 {
            note!(
                "blobhound: warning: {} entries of {} are old-style fingerprints (a bare SHA-256 \
                 of the secret, which anyone can test guesses against): rewrite the file with \
                 `blobhound baseline migrate {}`",
                accepted.legacy_entries(),
                path.display(),
                path.display()
            );
        }
    }
    dropped.extend(config.hide(&args.exclude, &fingerprints, &mut report)?);
    if args.verify {
        let options = VerifyOptions {
            allow_private: args.verify_private,
            timeout: Duration::from_secs(args.verify_timeout.max(1)),
            ..VerifyOptions::default()
        };
        verify_findings(&mut report.findings, engine.set(), &options);
        if args.only_live {
            let (live, rest) = std::mem::take(&mut report.findings)
                .into_iter()
                .partition(|f| f.verification.status == VerifyStatus::Live);
            report.findings = live;
            if !rest.is_empty() {
                report.hidden.push(Hidden::new(
                    "only-live",
                    rest.len() as u64,
                    format!("not verified live ({}), by --only-live", statuses(&rest)),
                ));
            }
            dropped.extend::<Vec<_>>(rest);
        }
    }

    let redact = args.redact || config.scan.redact == Some(true);
    let shown = if redact {
        report.redacted_also(dropped.iter().map(|f| f.secret.as_str()))
    } else {
        report.clone()
    };
    let failing = match args.fail_on {
        FailOn::Any => report.has_findings(),
        FailOn::Live => report
            .findings
            .iter()
            .any(|f| f.verification.status == VerifyStatus::Live),
    };
    // The verdict is decided before anything is written: a reader that goes away does not
    // change it.
    let status = if failing {
        Status::Findings
    } else if !report.complete && !args.allow_incomplete {
        Status::Incomplete
    } else {
        Status::Clean
    };
    if let Some(repository) = &report.repository {
        note!("blobhound: scanning the repository at {repository}");
    }
    let to_terminal = args.output.is_none() && std::io::stdout().is_terminal();
    let mut file = args.output.as_deref().map(OutputFile::create).transpose()?;
    let mut out: Box<dyn Write + '_> = match &mut file {
        Some(file) => Box::new(BufWriter::new(file.file())),
        None => Box::new(BufWriter::new(std::io::stdout().lock())),
    };
    let written = if args.advice {
        // The plan never shows whole secrets here; `blobhound advise --show-secrets` can.
        let plan = blobhound::report::advice::plan(
            &report.redacted_also(dropped.iter().map(|f| f.secret.as_str())),
            engine.set(),
            false,
        );
        super::advise::write_plan(&plan, super::advise::PlanFormat::Markdown, &mut out)
    } else {
        match args.format.unwrap_or(Format::Human) {
            Format::Human => {
                let color =
                    to_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
                write_human(&shown, engine.set(), Style::new(color), &mut out)
            }
            Format::Json => write_json(&shown, &mut out),
            Format::Jsonl => write_jsonl(&shown, &mut out),
            Format::Sarif => write_sarif(&shown, engine.set(), &mut out),
        }
    };
    let written = written.and_then(|()| out.flush());
    drop(out);
    let written = written.and_then(|()| file.map_or(Ok(()), OutputFile::commit));
    let status = settle(written, status)?;

    if machine_format || args.advice {
        for hidden in &report.hidden {
            note!(
                "blobhound: {} not shown: {}",
                count(hidden.findings, "finding", "findings"),
                hidden.why
            );
        }
    }
    let unread: Vec<_> = report.unread().collect();
    if !report.complete && !unread.is_empty() && machine_format {
        note!(
            "blobhound: scan incomplete: {} not read (see \"skipped\")",
            count_was(unread.len() as u64, "object", "objects")
        );
        for skipped in unread.iter().take(UNREAD_LISTED) {
            note!("blobhound:   {}", skipped.describe());
        }
    }
    if machine_format || args.advice {
        for warning in &report.warnings {
            note!("blobhound: warning: {warning}");
        }
        if !report.complete && unread.is_empty() {
            note!(
                "blobhound: scan incomplete: {}",
                if report.warnings.is_empty() {
                    "the history scanned is not the whole history"
                } else {
                    "see the warnings above"
                }
            );
        }
    }
    if !report.complete && report.unread().any(|s| s.reason == SkipReason::TooLarge) {
        note!(
            "blobhound: blobs over --max-blob-size {} were not scanned: raise the limit to \
                 scan them, or accept the gap with --allow-incomplete",
            human_bytes(args.limits.max_blob_size)
        );
    }
    Ok(status)
}

/// The verification statuses of `findings`, counted: `2 unknown, 1 dead`.
fn statuses(findings: &[blobhound::model::Finding]) -> String {
    let mut counted: std::collections::BTreeMap<&str, u64> = std::collections::BTreeMap::new();
    for finding in findings {
        *counted
            .entry(finding.verification.status.as_str())
            .or_default() += 1;
    }
    let parts: Vec<String> = counted.iter().map(|(s, n)| format!("{n} {s}")).collect();
    parts.join(", ")
}

/// The config that applies to a scan of `args.target`: `--config FILE`, else the `.blobhound.toml`
/// at the root of the repository's working tree (or of the directory scanned), unless
/// `--no-config`. The second value says whether it came from the scanned repository.
fn find_config(args: &ScanArgs) -> anyhow::Result<(Config, bool)> {
    if let Some(path) = &args.config {
        return Ok((Config::load(path)?, false));
    }
    if args.no_config {
        return Ok((Config::default(), false));
    }
    let root = match blobhound::objects::repository::discover(&args.target) {
        Ok(Some(found)) => found.repo.workdir().map(Path::to_path_buf),
        // A directory that is not a repository is its own root; a target that cannot be
        // opened is reported by the scan itself.
        _ => args.target.is_dir().then(|| args.target.clone()),
    };
    Ok(match root {
        Some(root) => (Config::find(&root)?.unwrap_or_default(), true),
        None => (Config::default(), false),
    })
}

/// What a scan produced, with what it ran with.
pub struct Executed {
    /// The engine, with the detectors that ran.
    pub engine: Engine,
    /// The report.
    pub report: Report,
    /// How fingerprints were made.
    pub fingerprints: Fingerprinter,
    /// The config that applied.
    pub config: Config,
}

/// Loads the detectors and runs the scan that `args` describe, with a progress bar on a terminal.
/// Each option is the flag's, else the config's, else the default.
pub fn execute(args: &ScanArgs, mode: Mode<'_>) -> anyhow::Result<Executed> {
    let (config, from_repository) = match mode {
        Mode::Scan => find_config(args)?,
        // A server's storage root is not a repository: its config is the admin's --config.
        Mode::Audit(_) => match &args.config {
            Some(path) => (Config::load(path)?, false),
            None => (Config::default(), false),
        },
    };
    let threads = threads(args.threads)?;
    // A second initialisation keeps the first pool; that is harmless.
    let _ = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build_global();

    let mut set = DetectorSet::builtin().context("loading built-in detectors")?;
    config.add_detectors(&mut set, from_repository, args.detectors.as_deref())?;
    let pick = |flag: &Vec<String>, configured: &Vec<String>| {
        if flag.is_empty() {
            configured.clone()
        } else {
            flag.clone()
        }
    };
    let set = set.select(
        &pick(&args.only, &config.scan.only),
        &pick(&args.skip, &config.scan.skip),
    )?;
    let engine = Engine::new(set)?;
    selftest::check_user_detectors(&engine)?;
    let fingerprints = args.fingerprints.fingerprinter()?;

    // What every scan of this run shares; the target and history are the mode's.
    let scan_options = |target: PathBuf, history: History| ScanOptions {
        target,
        history,
        threads,
        limits: args.limits.limits(args.scan_binary),
        findings: FindingOptions {
            min_confidence: config.min_confidence(args.confidence.map(Confidence::from)),
            fingerprints: fingerprints.clone(),
        },
    };
    if let Mode::Audit(spec) = mode {
        if args.range.is_some() || args.since.is_some() || args.keep_clone.is_some() {
            anyhow::bail!("audit reads every object of every repository: --range, --since and --keep-clone are for scan");
        }
        if spec.report_only {
            let state = spec.state.as_deref().unwrap_or_default();
            let audited = blobhound::audit::report_from_state(state, spec.shard)?;
            note!(
                "blobhound: the state holds {}",
                count(audited.repositories as u64, "repository", "repositories")
            );
            return Ok(Executed {
                engine,
                report: audited.report,
                fingerprints,
                config,
            });
        }
        let options = blobhound::audit::AuditOptions {
            scan: scan_options(args.target.clone(), History::All),
            discover: blobhound::audit::discover::DiscoverOptions {
                skip_gitlab_companions: spec.skip_gitlab_companions,
            },
            shard: spec.shard,
            state: spec.state.clone(),
        };
        let from = match &spec.repos {
            Some(list) => blobhound::audit::Repositories::Listed(list),
            None => blobhound::audit::Repositories::Under(&args.target),
        };
        let progress = blobhound::audit::AuditProgress::default();
        let audited = with_progress(
            args,
            |finished| draw_audit_progress(&progress, finished),
            || blobhound::audit::audit(from, &options, &engine, &progress),
        )?;
        note!(
            "blobhound: audited {}{}",
            count(audited.repositories as u64, "repository", "repositories"),
            match (&spec.state, audited.unchanged) {
                (None, _) => String::new(),
                (Some(_), 0) => " (none unchanged since the state's last run)".to_string(),
                (Some(_), n) => format!(
                    " ({} unchanged since the last run, taken from the state)",
                    thousands(n as u64)
                ),
            }
        );
        return Ok(Executed {
            engine,
            report: audited.report,
            fingerprints,
            config,
        });
    }
    let given = args.target.to_string_lossy().into_owned();
    let mirror = if remote::is_url(&given) {
        note!(
            "blobhound: cloning {} with every ref{}",
            remote::display_url(&given),
            args.keep_clone
                .as_ref()
                .map(|dir| format!(" into {}", dir.display()))
                .unwrap_or_default()
        );
        Some(remote::Mirror::clone(&given, args.keep_clone.as_deref())?)
    } else {
        if args.keep_clone.is_some() {
            anyhow::bail!("--keep-clone is for a URL; {given} is a path");
        }
        None
    };
    let options = scan_options(
        mirror
            .as_ref()
            .map_or_else(|| args.target.clone(), |m| m.path().to_path_buf()),
        history(args)?,
    );

    let progress = ScanProgress::default();
    let mut report = with_progress(
        args,
        |finished| draw_progress(&progress, finished),
        || scan(&options, &engine, &progress),
    )?;
    if mirror.is_some() {
        report.target = remote::display_url(&given);
    }
    Ok(Executed {
        engine,
        report,
        fingerprints,
        config,
    })
}

/// Threads beyond this are refused: each holds its own caches, and far more threads than cores
/// only slow a scan down.
const THREADS_AT_MOST: usize = 256;

/// `--threads`: at most the machine's cores (more only compete for them), all of them by
/// default, and an error for zero or a number past any machine's.
fn threads(asked: Option<usize>) -> anyhow::Result<usize> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    match asked {
        None => Ok(cores),
        Some(0) => anyhow::bail!("--threads must be at least 1"),
        Some(n) if n > THREADS_AT_MOST => {
            anyhow::bail!(
                "--threads {n}: at most {THREADS_AT_MOST} (this machine has {cores} cores)"
            )
        }
        Some(n) => Ok(n.min(cores)),
    }
}

/// The history selection from `--history`, `--range` and `--since`.
fn history(args: &ScanArgs) -> anyhow::Result<History> {
    if let Some(range) = &args.range {
        let Some((from, to)) = range.split_once("..") else {
            anyhow::bail!("--range takes BASE..HEAD, got {range:?}");
        };
        if from.is_empty() || to.starts_with('.') {
            anyhow::bail!("--range takes BASE..HEAD (two dots, both sides), got {range:?}");
        }
        let to = if to.is_empty() { "HEAD" } else { to };
        return Ok(History::Range {
            from: from.to_string(),
            to: to.to_string(),
        });
    }
    if let Some(since) = &args.since {
        return Ok(History::Range {
            from: since.clone(),
            to: "HEAD".to_string(),
        });
    }
    Ok(match args.history {
        HistoryArg::All => History::All,
        HistoryArg::None => History::None,
    })
}

/// The progress bar's text: objects done of all, objects/s and MB/s, at most one decimal each;
/// none while the total is unknown (a `0/0` frame would say the scan had nothing to do).
fn frame(done: u64, total: u64, bytes: u64, seconds: f64) -> Option<String> {
    use blobhound::model::words::{byte_rate, rate, thousands};
    (total > 0).then(|| {
        format!(
            "{}/{} objects, {}, {}",
            thousands(done.min(total)),
            thousands(total),
            rate(done, seconds, "objects"),
            byte_rate(bytes, seconds),
        )
    })
}

/// Runs `work` while `draw` shows its progress on stderr (a terminal, without --no-progress),
/// and stops the drawing when the work is done.
fn with_progress<T>(
    args: &ScanArgs,
    draw: impl FnOnce(&AtomicBool) + Send,
    work: impl FnOnce() -> T,
) -> T {
    let show = !args.no_progress && std::io::stderr().is_terminal();
    let finished = AtomicBool::new(false);
    std::thread::scope(|scope| {
        if show {
            scope.spawn(|| draw(&finished));
        }
        let result = work();
        finished.store(true, Ordering::Relaxed);
        result
    })
}

/// A progress bar of `total` steps, labelled.
fn progress_bar(total: u64, label: &str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(total);
    bar.set_style(
        indicatif::ProgressStyle::with_template(&format!(
            "{label} [{{bar:30}}] {{msg}} eta {{eta}}"
        ))
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar
}

/// Waits until `total` is known and half a second has passed (a quick run draws nothing);
/// `None` when the run finished first.
fn wait_for_total(total: &AtomicU64, finished: &AtomicBool) -> Option<u64> {
    let started = std::time::Instant::now();
    loop {
        if finished.load(Ordering::Relaxed) {
            return None;
        }
        std::thread::sleep(Duration::from_millis(50));
        let total = total.load(Ordering::Relaxed);
        if total > 0 && started.elapsed() >= Duration::from_millis(500) {
            return Some(total);
        }
    }
}

/// One progress bar for a whole audit: repositories done of all, once discovery has counted
/// them and the audit has lasted half a second.
fn draw_audit_progress(progress: &blobhound::audit::AuditProgress, finished: &AtomicBool) {
    let started = std::time::Instant::now();
    let Some(total) = wait_for_total(&progress.total, finished) else {
        return;
    };
    let bar = progress_bar(total, "auditing");
    while !finished.load(Ordering::Relaxed) {
        let done = progress.done.load(Ordering::Relaxed).min(total);
        bar.set_position(done);
        bar.set_message(format!(
            "{}/{} repositories, {}",
            blobhound::model::thousands(done),
            blobhound::model::thousands(total),
            blobhound::model::words::rate(done, started.elapsed().as_secs_f64(), "repositories"),
        ));
        std::thread::sleep(Duration::from_millis(100));
    }
    bar.finish_and_clear();
}

/// Draws a progress bar on stderr once the scan has lasted half a second, and only once the
/// number of objects is known (never a `0/0` frame): objects done of all, objects/s and MB/s
/// read, with at most one decimal each.
fn draw_progress(progress: &ScanProgress, finished: &AtomicBool) {
    let started = std::time::Instant::now();
    let Some(total) = wait_for_total(&progress.total, finished) else {
        return;
    };
    let bar = progress_bar(total, "reading objects");
    let mut tracing = false;
    while !finished.load(Ordering::Relaxed) {
        if !tracing && progress.phase.load(Ordering::Relaxed) == PHASE_HISTORY {
            tracing = true;
            bar.set_style(indicatif::ProgressStyle::default_spinner());
            bar.set_message("tracing commits for the findings");
        }
        if !tracing {
            let done = progress.read.objects.load(Ordering::Relaxed);
            bar.set_position(done.min(total));
            if let Some(message) = frame(
                done,
                total,
                progress.read.bytes.load(Ordering::Relaxed),
                started.elapsed().as_secs_f64(),
            ) {
                bar.set_message(message);
            }
        } else {
            bar.tick();
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    bar.finish_and_clear();
}

#[cfg(test)]
mod tests {
    use super::frame;

    #[test]
    fn the_progress_text_has_sensible_rates_and_no_empty_frame() {
        assert_eq!(frame(0, 0, 0, 0.3), None);
        assert_eq!(
            frame(97_524_209, 120_000_000, 85_300_000, 1.0).as_deref(),
            Some("97,524,209/120,000,000 objects, 97.5M objects/s, 85.3 MB/s")
        );
        assert_eq!(
            frame(1_500, 1_000, 2_000_000, 2.0).as_deref(),
            Some("1,000/1,000 objects, 750 objects/s, 1.0 MB/s")
        );
    }
}
