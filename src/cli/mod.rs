//! Command-line definitions, one file per subcommand.

mod advise;
mod baseline;
mod detectors;
mod fingerprint;
mod hook;
mod limits;
mod output;
mod scan;

use clap::{Parser, Subcommand};

/// Exit statuses, as documented in the README.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Finished, nothing found.
    Clean = 0,
    /// Findings reported (or a detector self-check failed).
    Findings = 1,
    /// Bad arguments, unreadable target, broken detector file.
    Error = 2,
    /// No findings, but some objects could not be read.
    Incomplete = 3,
}

impl From<Status> for std::process::ExitCode {
    fn from(status: Status) -> Self {
        std::process::ExitCode::from(status as u8)
    }
}

/// Finds every credential a git repository has ever held.
#[derive(Debug, Parser)]
#[command(name = "blobhound", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Scan a repository's whole history (every object) or a directory.
    Scan(scan::ScanArgs),
    /// List the detectors, or check their examples.
    #[command(subcommand)]
    Detectors(detectors::DetectorsCommand),
    /// Turn a JSON report into a rotation plan: what to rotate first, and exactly how.
    Advise(advise::AdviseArgs),
    /// Git hooks: pre-receive (server), pre-commit (client), and installing them.
    #[command(subcommand)]
    Hook(hook::HookCommand),
    /// Record the current findings' fingerprints so that gates report only new ones.
    #[command(subcommand)]
    Baseline(baseline::BaselineCommand),
}

/// Parses the command line and runs the subcommand.
pub fn run() -> anyhow::Result<Status> {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let usage_error = e.use_stderr();
            e.print()?;
            return Ok(if usage_error {
                Status::Error
            } else {
                Status::Clean
            });
        }
    };
    match cli.command {
        Command::Scan(args) => scan::run(args),
        Command::Detectors(command) => detectors::run(command),
        Command::Baseline(command) => baseline::run(command),
        Command::Hook(command) => hook::run(command),
        Command::Advise(args) => advise::run(args),
    }
}
