//! `blobhound hook pre-receive | pre-commit | install`.

use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::Context;
use blobhound::baseline::{self, AllowList};
use blobhound::collect::Limits;
use blobhound::config::Config;
use blobhound::detectors::DetectorSet;
use blobhound::hook::install::{hooks_dir, install, HookKind};
use blobhound::hook::{pre_commit, pre_receive};
use blobhound::model::{count, count_was, human_bytes, Finding, SkipReason};
use blobhound::report::human::{write_human, Style};
use blobhound::report::push::{write_incomplete, write_rejection};
use blobhound::report::{FindingOptions, Redactor};
use blobhound::scan::{selftest, Engine};
use clap::{Args, Subcommand};

use super::fingerprint::FingerprintArgs;
use super::limits::LimitArgs;
use super::output::note;
use super::scan::ConfidenceArg;
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
    /// Lowest confidence that blocks [default: medium].
    #[arg(long, value_enum)]
    confidence: Option<ConfidenceArg>,
    #[command(flatten)]
    limits: LimitArgs,
    #[command(flatten)]
    fingerprints: FingerprintArgs,
    /// Exclusions, allow lists and options from FILE. Default: for pre-receive, blobhound.toml
    /// in the bare repository (never a file from the pushed commits); for pre-commit, the
    /// working tree's .blobhound.toml.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Do not block on findings at paths matching GLOB (gitignore-style). Repeatable.
    #[arg(long, value_name = "GLOB")]
    exclude: Vec<String>,
}

/// Where a hook's config comes from when `--config` is not given.
#[derive(Debug, Clone, Copy)]
enum ConfigHome {
    /// `blobhound.toml` in the bare repository: the server's own file, which a push cannot
    /// change.
    Server,
    /// `.blobhound.toml` at the root of the working tree (confined to it).
    WorkingTree,
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
    findings: FindingOptions,
    /// The server's (or working tree's) config.
    config: Config,
    /// `--exclude`.
    excludes: Vec<String>,
}

/// The hook's engine, limits and filters; `home` is where its config lives when `--config` is
/// not given (`None`: nowhere, for checking a hook's arguments at install).
fn setup(common: &CommonArgs, home: Option<ConfigHome>) -> anyhow::Result<HookSetup> {
    let (config, confine) = match (&common.config, home) {
        (Some(path), _) => (Config::load(path)?, false),
        (None, None) => (Config::default(), false),
        (None, Some(ConfigHome::Server)) => {
            let git_dir =
                std::env::var_os("GIT_DIR").map_or_else(|| PathBuf::from("."), PathBuf::from);
            let path = git_dir.join("blobhound.toml");
            let config = if path.is_file() {
                Config::load(&path)?
            } else {
                Config::default()
            };
            (config, false)
        }
        (None, Some(ConfigHome::WorkingTree)) => (
            Config::find(&std::env::current_dir()?)?.unwrap_or_default(),
            true,
        ),
    };
    let mut set = DetectorSet::builtin().context("loading built-in detectors")?;
    config.add_detectors(&mut set, confine, common.detectors.as_deref())?;
    let engine = Engine::new(set)?;
    selftest::check_user_detectors(&engine)?;
    Ok(HookSetup {
        engine,
        limits: common.limits.limits(true),
        findings: FindingOptions {
            min_confidence: config.min_confidence(common.confidence.map(Into::into)),
            fingerprints: common.fingerprints.fingerprinter()?,
        },
        config,
        excludes: common.exclude.clone(),
    })
}

fn pre_receive(args: PreReceiveArgs) -> anyhow::Result<Status> {
    let started = Instant::now();
    // The message is written once the verdict is known, and a stderr git closed cannot change
    // the verdict: a push the hook could not explain is still rejected.
    let mut message = Vec::new();
    let verdict = pre_receive_verdict(&args, started, &mut message);
    let _ = std::io::stderr().write_all(&message);
    Ok(verdict)
}

fn pre_receive_verdict(args: &PreReceiveArgs, started: Instant, err: &mut Vec<u8>) -> Status {
    // Writing into memory cannot fail.
    let mut say = |line: String| err.extend_from_slice(format!("{line}\n").as_bytes());
    let (mut report, allowed, hidden) = match pre_receive_scan(args) {
        Ok(Some(scanned)) => scanned,
        Ok(None) => return fail(args, &format!("timed out after {} s", args.timeout), err),
        Err(e) => return fail(args, &format!("{e:#}"), err),
    };
    let dropped = baseline::apply(&mut report, &allowed);
    // Everything the pusher sees is redacted, including what names an allowed finding.
    // One redactor, built from the secrets before masking, serves the report and the log lines.
    let redactor = Redactor::new(
        dropped
            .iter()
            .chain(&hidden)
            .chain(&report.findings)
            .map(|f| f.secret.as_str()),
    );
    redactor.report(&mut report);
    for finding in &dropped {
        say(format!(
            "blobhound: allowed {} ({} in {}): bypass by push option or allow file",
            finding.fingerprint,
            finding.detector,
            redactor.text(
                finding
                    .locations
                    .first()
                    .and_then(|l| l.path.as_deref())
                    .unwrap_or("?")
            )
        ));
    }
    for hidden in report.hidden.iter().filter(|h| h.filter != "confidence") {
        say(format!(
            "blobhound: not blocking {}: {}",
            count(hidden.findings, "finding", "findings"),
            hidden.why
        ));
    }
    // An object left unscanned can be allowed by its id, as a finding is by its fingerprint.
    for skipped in report.skipped.iter_mut().filter(|s| s.unread) {
        if allowed.allows_blob(&skipped.blob) {
            skipped.unread = false;
            say(format!(
                "blobhound: allowed unscanned {}: bypass by push option or allow file",
                skipped.describe()
            ));
        }
    }
    let unread: Vec<String> = report.unread().map(|s| s.describe()).collect();
    if report.has_findings() {
        let _ = write_rejection(&report, err);
        Status::Findings
    } else if !unread.is_empty() {
        let too_large = report.unread().any(|s| s.reason == SkipReason::TooLarge);
        let mut reason = format!(
            "{} not scanned:\n  {}",
            count_was(unread.len() as u64, "object", "objects"),
            unread.join("\n  ")
        );
        if too_large {
            reason.push_str(&format!(
                "\nObjects over the hook's --max-blob-size ({}) are not scanned: the server's \
                 administrators can raise it, or allow a blob with \
                 `git push -o blobhound.allow=<blob id>`",
                human_bytes(args.common.limits.max_blob_size)
            ));
        }
        fail(args, &reason, err)
    } else {
        say(format!(
            "blobhound: nothing to block in {} ({}, {} ms)",
            count(report.stats.commits, "new commit", "new commits"),
            count(report.stats.blobs_scanned, "blob", "blobs"),
            started.elapsed().as_millis()
        ));
        Status::Clean
    }
}

/// Rejects (fail closed) or, with --fail-open, accepts with a warning.
fn fail(args: &PreReceiveArgs, reason: &str, err: &mut Vec<u8>) -> Status {
    if args.fail_open {
        let _ = writeln!(
            err,
            "blobhound: warning: scan did not finish ({reason}); accepted (--fail-open)"
        );
        Status::Clean
    } else {
        let _ = write_incomplete(reason, err);
        Status::Findings
    }
}

/// Runs the push scan within the timeout: `Ok(None)` when it ran out of time.
#[allow(clippy::type_complexity)]
fn pre_receive_scan(
    args: &PreReceiveArgs,
) -> anyhow::Result<Option<(blobhound::report::Report, AllowList, Vec<Finding>)>> {
    let mut input = String::new();
    std::io::stdin()
        .read_to_string(&mut input)
        .context("reading git's ref updates on stdin")?;
    let updates = pre_receive::parse_updates(&input)?;
    let hook = setup(&args.common, Some(ConfigHome::Server))?;
    let mut allowed = AllowList::default();
    allowed.extend_unchecked(pre_receive::push_option_allows(&|name| {
        std::env::var(name).ok()
    }));
    if let Some(path) = &args.allow_file {
        allowed.extend(AllowList::load(path, &hook.findings.fingerprints)?);
    }
    let git_dir = std::env::var_os("GIT_DIR").map_or_else(|| PathBuf::from("."), PathBuf::from);
    let quarantine = std::env::var_os("GIT_QUARANTINE_PATH").map(PathBuf::from);
    let config = hook.config.clone();
    let excludes = hook.excludes.clone();
    let fingerprints = hook.findings.fingerprints.clone();
    let (send, receive) = mpsc::channel();
    std::thread::spawn(move || {
        let result = pre_receive::scan_push(
            &git_dir,
            &updates,
            quarantine.as_deref(),
            &hook.engine,
            hook.limits,
            &hook.findings,
        );
        let _ = send.send(result);
    });
    match receive.recv_timeout(Duration::from_secs(args.timeout.max(1))) {
        Ok(result) => {
            let mut report = result?.report;
            let hidden = config.hide(&excludes, &fingerprints, &mut report)?;
            Ok(Some((report, allowed, hidden)))
        }
        Err(mpsc::RecvTimeoutError::Timeout) => Ok(None),
        Err(mpsc::RecvTimeoutError::Disconnected) => anyhow::bail!("the scan stopped unexpectedly"),
    }
}

fn pre_commit(args: CommonArgs) -> anyhow::Result<Status> {
    let hook = setup(&args, Some(ConfigHome::WorkingTree))?;
    let engine = &hook.engine;
    let workdir = std::env::current_dir()?;
    let index = std::env::var_os("GIT_INDEX_FILE").map(PathBuf::from);
    let mut report = pre_commit::scan_staged(
        &workdir,
        index.as_deref(),
        engine,
        hook.limits,
        &hook.findings,
    )?;
    hook.config
        .hide(&hook.excludes, &hook.findings.fingerprints, &mut report)?;
    let mut err = Vec::new();
    let status = if report.has_findings() {
        let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
        let _ = writeln!(
            err,
            "blobhound: commit blocked: the staged changes add secrets"
        );
        let _ = write_human(
            &report.redacted(),
            engine.set(),
            Style::new(color),
            &mut err,
        );
        let _ = writeln!(
            err,
            "Unstage or fix the files; `git commit --no-verify` skips this check."
        );
        Status::Findings
    } else if !report.complete {
        let _ = writeln!(
            err,
            "blobhound: commit blocked: staged files were not scanned:"
        );
        for skipped in report.unread() {
            let _ = writeln!(err, "  {}", skipped.describe());
        }
        let _ = writeln!(
            err,
            "Raise the hook's --max-blob-size to scan them; `git commit --no-verify` skips this check."
        );
        Status::Incomplete
    } else {
        Status::Clean
    };
    // A closed stderr must not turn a blocked commit into an allowed one.
    let _ = std::io::stderr().write_all(&err);
    Ok(status)
}

/// Parses the arguments a hook is installed with exactly as the hook will, and loads every file
/// they name, so that a typo or a missing allow file is an error now rather than a hook that
/// rejects every push later.
fn check_hook_args(kind: HookKind, args: &[String]) -> anyhow::Result<()> {
    #[derive(Debug, clap::Parser)]
    struct PreReceiveCli {
        #[command(flatten)]
        args: PreReceiveArgs,
    }
    #[derive(Debug, clap::Parser)]
    struct PreCommitCli {
        #[command(flatten)]
        args: CommonArgs,
    }
    use clap::Parser as _;
    let name = match kind {
        HookKind::PreReceive => "blobhound hook pre-receive",
        HookKind::PreCommit => "blobhound hook pre-commit",
    };
    let argv = std::iter::once(name.to_string()).chain(args.iter().cloned());
    let (common, allow_file) = match kind {
        HookKind::PreReceive => {
            let parsed = PreReceiveCli::try_parse_from(argv)
                .map_err(|e| anyhow::anyhow!("the hook's arguments: {e}"))?;
            (parsed.args.common, parsed.args.allow_file)
        }
        HookKind::PreCommit => {
            let parsed = PreCommitCli::try_parse_from(argv)
                .map_err(|e| anyhow::anyhow!("the hook's arguments: {e}"))?;
            (parsed.args, None)
        }
    };
    let hook = setup(&common, None).context("the hook's --detectors or fingerprint key")?;
    if let Some(path) = &allow_file {
        AllowList::load(path, &hook.findings.fingerprints)
            .with_context(|| format!("--allow-file {}", path.display()))?;
    }
    Ok(())
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
    check_hook_args(kind, &args.args)?;
    let binary = std::env::current_exe().context("finding this program's path")?;
    let binary = binary.canonicalize().unwrap_or(binary);
    let path = install(kind, &dir, &binary, &args.args, args.force)?;
    note!("blobhound: installed {}", path.display());
    Ok(Status::Clean)
}
