//! `blobhound baseline create [TARGET] --output FILE`.

use anyhow::Context;
use blobhound::baseline::Baseline;
use clap::Subcommand;

use super::output::note;
use super::scan::{execute, ConfidenceArg, ScanArgs};
use super::Status;

#[derive(Debug, Subcommand)]
pub enum BaselineCommand {
    /// Scan and write every finding's fingerprint (never a secret) to --output, so later scans
    /// with --baseline report only new findings. Takes the options of `scan`.
    Create(ScanArgs),
}

pub fn run(command: BaselineCommand) -> anyhow::Result<Status> {
    match command {
        BaselineCommand::Create(mut args) => {
            let output = args
                .output
                .take()
                .context("baseline create needs --output FILE")?;
            // Every confidence, so that lowering --confidence later does not resurface them.
            args.confidence = ConfidenceArg::Low;
            let (_, report) = execute(&args)?;
            let baseline = Baseline::from_report(&report);
            let text = serde_json::to_string_pretty(&baseline)?;
            std::fs::write(&output, text + "\n")
                .with_context(|| format!("writing {}", output.display()))?;
            note!(
                "blobhound: wrote {} fingerprints to {}",
                baseline.findings.len(),
                output.display()
            );
            if !report.complete {
                note!(
                    "blobhound: warning: the scan was incomplete; the baseline may miss findings"
                );
            }
            Ok(Status::Clean)
        }
    }
}
