//! `blobhound hook pre-receive | pre-commit | install`.

use std::collections::BTreeSet;
use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::Context;
use blobhound::baseline;
use blobhound::collect::Limits;
use blobhound::detectors::DetectorSet;
use blobhound::hook::install::{hooks_dir, install, HookKind};
use blobhound::hook::{pre_commit, pre_receive};
use blobhound::model::Confidence;
use blobhound::report::human::{write_human, Style};
use blobhound::report::push::{write_incomplete, write_rejection};
use blobhound::scan::Engine;
use clap::{Args, Subcommand};

use super::scan::{parse_size, ConfidenceArg};
use super::Status;

#[derive(Debug, Subcommand)]
pub enum HookCommand {
    /// Server-side hook: reads git's `<old> <new> <ref>` lines and rejects pushes that add secrets.
    PreReceive(PreReceiveArgs),
    /// Client-side hook: rejects a commit whose staged changes add secrets.
    PreCommit(CommonArgs),
    /// Write a hook script that runs this binary.
    Install(InstallArgs),
}

#[derive(Debug, Args)]
pub struct CommonArgs {
    /// Also load every *.toml detector file in DIR.
    #[arg(long, value_name = "DIR")]
    detectors: Option<PathBuf>,
    /// Lowest confidence that blocks.
    #[arg(long, value_enum, default_value = "medium")]
    confidence: ConfidenceArg,
    /// Blobs larger than this are not scanned, and so block (e.g. 500K, 64M, 1G).
    #[arg(long, value_name = "SIZE", default_value = "64M", value_parser = parse_size)]
    max_blob_size: u64,
}

#[derive(Debug, Args)]
pub struct PreReceiveArgs {
    #[command(flatten)]
    common: CommonArgs,
    /// Give up (and reject, unless --fail-open) after this many seconds.
    #[arg(long, value_name = "SECONDS", default_value = "30")]
    timeout: u64,
    /// Fingerprints the server accepts (a baseline file, or one fingerprint per line).
    #[arg(long, value_name = "FILE")]
    allow_file: Option<PathBuf>,
    /// Accept the push when the scan cannot finish (error, unreadable object, timeout). Findings
    /// still reject it.
    #[arg(long)]
    fail_open: bool,
}

#[derive(Debug, Args)]
pub struct InstallArgs {
    /// Install the server-side pre-receive hook.
    #[arg(
        long,
        conflicts_with = "pre_commit",
        required_unless_present = "pre_commit"
    )]
    pre_receive: bool,
    /// Install the client-side pre-commit hook.
    #[arg(long)]
    pre_commit: bool,
    /// The repository (bare for --pre-receive).
    #[arg(default_value = ".")]
    repo: PathBuf,
    /// Write into DIR instead of the repository's hooks directory (e.g. GitLab's custom_hooks).
    #[arg(long, value_name = "DIR")]
    hooks_dir: Option<PathBuf>,
    /// Replace an existing hook file.
    #[arg(long)]
    force: bool,
    /// Arguments for the hook command (e.g. `-- --timeout 10 --allow-file /etc/blobhound/allow`).
    #[arg(last = true)]
    args: Vec<String>,
}

pub fn run(command: HookCommand) -> anyhow::Result<Status> {
    match command {
        HookCommand::PreReceive(args) => pre_receive(args),
        HookCommand::PreCommit(args) => pre_commit(args),
        HookCommand::Install(args) => install_hook(args),
    }
}

/// What a hook scans with: the engine, the limits, and the lowest confidence that blocks.
struct HookSetup {
    engine: Engine,
    limits: Limits,
    min_confidence: Confidence,
}

fn setup(common: &CommonArgs) -> anyhow::Result<HookSetup> {
    let mut set = DetectorSet::builtin().context("loading built-in detectors")?;
    if let Some(dir) = &common.detectors {
        set.extend_from_dir(dir)?;
    }
    Ok(HookSetup {
        engine: Engine::new(set)?,
        limits: Limits {
            max_blob_size: common.max_blob_size,
            scan_binary: true,
        },
        min_confidence: common.confidence.into(),
    })
}

fn pre_receive(args: PreReceiveArgs) -> anyhow::Result<Status> {
    let started = Instant::now();
    let mut err = std::io::stderr().lock();
    let outcome = pre_receive_scan(&args);
    let verdict = match outcome {
        Ok(Some((mut report, allowed))) => {
            for finding in &report.findings {
                if allowed.contains(&finding.fingerprint) {
                    writeln!(
                        err,
                        "blobhound: allowed {} ({} in {}): bypass by push option or allow file",
                        finding.fingerprint,
                        finding.detector,
                        finding
                            .locations
                            .first()
                            .and_then(|l| l.path.as_deref())
                            .unwrap_or("?")
                    )?;
                }
            }
            baseline::apply(&mut report, &allowed);
            if report.has_findings() {
                write_rejection(&report, &mut err)?;
                Status::Findings
            } else if !report.complete {
                let unread = report
                    .skipped
                    .iter()
                    .filter(|s| s.reason.makes_incomplete())
                    .map(|s| format!("{} ({})", s.blob, s.reason.as_str()))
                    .collect::<Vec<_>>();
                fail(
                    &args,
                    &format!("objects could not be read: {}", unread.join(", ")),
                    &mut err,
                )?
            } else {
                writeln!(
                    err,
                    "blobhound: nothing to block in {} new commits ({} blobs, {} ms)",
                    report.stats.commits,
                    report.stats.blobs_scanned,
                    started.elapsed().as_millis()
                )?;
                Status::Clean
            }
        }
        Ok(None) => fail(
            &args,
            &format!("timed out after {} s", args.timeout),
            &mut err,
        )?,
        Err(e) => fail(&args, &format!("{e:#}"), &mut err)?,
    };
    Ok(verdict)
}

/// Rejects (fail closed) or, with --fail-open, accepts with a warning.
fn fail(args: &PreReceiveArgs, reason: &str, err: &mut dyn Write) -> anyhow::Result<Status> {
    if args.fail_open {
        writeln!(
            err,
            "blobhound: warning: scan did not finish ({reason}); accepted (--fail-open)"
        )?;
        Ok(Status::Clean)
    } else {
        write_incomplete(reason, err)?;
        Ok(Status::Findings)
    }
}

/// Runs the push scan within the timeout: `Ok(None)` when it ran out of time.
#[allow(clippy::type_complexity)]
fn pre_receive_scan(
    args: &PreReceiveArgs,
) -> anyhow::Result<Option<(blobhound::report::Report, BTreeSet<String>)>> {
    let mut input = String::new();
    std::io::stdin()
        .read_to_string(&mut input)
        .context("reading git's ref updates on stdin")?;
    let updates = pre_receive::parse_updates(&input)?;
    let mut allowed = pre_receive::push_option_allows(&|name| std::env::var(name).ok());
    if let Some(path) = &args.allow_file {
        allowed.extend(baseline::load_fingerprints(path)?);
    }
    let git_dir = std::env::var_os("GIT_DIR").map_or_else(|| PathBuf::from("."), PathBuf::from);
    let quarantine = std::env::var_os("GIT_QUARANTINE_PATH").map(PathBuf::from);
    let hook = setup(&args.common)?;
    let (send, receive) = mpsc::channel();
    std::thread::spawn(move || {
        let result = pre_receive::scan_push(
            &git_dir,
            &updates,
            quarantine.as_deref(),
            &hook.engine,
            hook.limits,
            hook.min_confidence,
        );
        let _ = send.send(result);
    });
    match receive.recv_timeout(Duration::from_secs(args.timeout.max(1))) {
        Ok(result) => Ok(Some((result?.report, allowed))),
        Err(mpsc::RecvTimeoutError::Timeout) => Ok(None),
        Err(mpsc::RecvTimeoutError::Disconnected) => anyhow::bail!("the scan stopped unexpectedly"),
    }
}

fn pre_commit(args: CommonArgs) -> anyhow::Result<Status> {
    let hook = setup(&args)?;
    let engine = &hook.engine;
    let workdir = std::env::current_dir()?;
    let index = std::env::var_os("GIT_INDEX_FILE").map(PathBuf::from);
    let report = pre_commit::scan_staged(
        &workdir,
        index.as_deref(),
        engine,
        hook.limits,
        hook.min_confidence,
    )?;
    if report.has_findings() {
        let mut err = std::io::stderr().lock();
        let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
        writeln!(
            err,
            "blobhound: commit blocked: the staged changes add secrets"
        )?;
        write_human(
            &report.redacted(),
            engine.set(),
            Style::new(color),
            &mut err,
        )?;
        writeln!(
            err,
            "Unstage or fix the files; `git commit --no-verify` skips this check."
        )?;
        return Ok(Status::Findings);
    }
    if !report.complete {
        eprintln!("blobhound: commit blocked: some staged objects could not be read");
        return Ok(Status::Incomplete);
    }
    Ok(Status::Clean)
}

fn install_hook(args: InstallArgs) -> anyhow::Result<Status> {
    let kind = if args.pre_receive {
        HookKind::PreReceive
    } else {
        HookKind::PreCommit
    };
    let dir = match &args.hooks_dir {
        Some(dir) => dir.clone(),
        None => hooks_dir(&args.repo)?,
    };
    let binary = std::env::current_exe().context("finding this program's path")?;
    let binary = binary.canonicalize().unwrap_or(binary);
    let path = install(kind, &dir, &binary, &args.args, args.force)?;
    eprintln!("blobhound: installed {}", path.display());
    Ok(Status::Clean)
}
