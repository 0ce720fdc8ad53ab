//! `blobhound baseline create [TARGET] --output FILE` and `blobhound baseline migrate FILE`.

use std::io::Write;
use std::path::{Path, PathBuf};

use blobhound::baseline::{AllowList, Baseline};
use blobhound::model::Fingerprinter;
use blobhound::report::Report;
use clap::{Args, Subcommand};

use super::output::{note, OutputFile};
use super::scan::{execute, ConfidenceArg, Executed, ScanArgs};
use super::Status;

#[derive(Debug, Subcommand)]
pub enum BaselineCommand {
    /// Scan and write every finding's fingerprint (never a secret) to --output, so later scans
    /// with --baseline report only new findings. Takes the options of `scan`.
    Create(ScanArgs),
    /// Rewrite a baseline or allow file of old-style fingerprints (bare SHA-256, guessable
    /// offline) in the current scheme: scans TARGET and keeps the findings the old file accepts.
    Migrate(MigrateArgs),
}

#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// The baseline (or allow file) to rewrite; written in place unless --output is given.
    old: PathBuf,
    #[command(flatten)]
    scan: ScanArgs,
}

pub fn run(command: BaselineCommand) -> anyhow::Result<Status> {
    match command {
        BaselineCommand::Create(mut args) => {
            if let Some(flag) = args.report_flag_given() {
                anyhow::bail!(
                    "baseline create writes fingerprints, not a report: {flag} does nothing here"
                );
            }
            let Some(output) = args.output.take() else {
                anyhow::bail!("baseline create needs --output FILE");
            };
            let (report, fingerprints) = scan_everything(args)?;
            write(&output, &report, &fingerprints)?;
            Ok(Status::Clean)
        }
        BaselineCommand::Migrate(MigrateArgs { old, mut scan }) => {
            if let Some(flag) = scan.report_flag_given() {
                anyhow::bail!(
                    "baseline migrate writes fingerprints, not a report: {flag} does nothing here"
                );
            }
            let output = scan.output.take().unwrap_or_else(|| old.clone());
            // Read first: a broken file is reported before a long scan.
            let accepted = AllowList::load(&old, &scan.fingerprints.fingerprinter()?)?;
            let (mut report, fingerprints) = scan_everything(scan)?;
            report.findings.retain(|f| accepted.allows(f));
            let written = write(&output, &report, &fingerprints)?;
            let left_out = accepted.finding_entries().saturating_sub(written);
            if left_out > 0 {
                note!(
                    "blobhound: {left_out} entries of {} matched no finding of this scan and were \
                     left out: a fingerprint cannot be remade without its secret (scan the \
                     repository the baseline was made for, with the same options)",
                    old.display()
                );
            }
            Ok(Status::Clean)
        }
    }
}

/// Scans at every confidence, so that lowering --confidence later does not resurface findings.
fn scan_everything(mut args: ScanArgs) -> anyhow::Result<(Report, Fingerprinter)> {
    args.confidence = Some(ConfidenceArg::Low);
    let Executed {
        report,
        fingerprints,
        ..
    } = execute(&args, super::scan::Mode::Scan)?;
    if !report.complete {
        note!("blobhound: warning: the scan was incomplete; the baseline may miss findings");
    }
    Ok((report, fingerprints))
}

/// Writes the baseline of `report`'s findings to `path`; returns how many entries it holds.
fn write(path: &Path, report: &Report, fingerprints: &Fingerprinter) -> anyhow::Result<usize> {
    let baseline = Baseline::from_report(report, fingerprints);
    let text = serde_json::to_string_pretty(&baseline)? + "\n";
    let mut file = OutputFile::create(path)?;
    file.file()
        .write_all(text.as_bytes())
        .and_then(|()| file.commit())
        .map_err(|e| anyhow::Error::new(e).context(format!("writing {}", path.display())))?;
    note!(
        "blobhound: wrote {} fingerprints ({}) to {}",
        baseline.findings.len(),
        fingerprints.scheme(),
        path.display()
    );
    Ok(baseline.findings.len())
}
