//! Command-line definitions, one file per subcommand.

mod advise;
mod audit;
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
    /// Audit every repository on a git server: each scanned in full, one finding per secret
    /// across all of them.
    Audit(audit::AuditArgs),
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
    /// Print a shell completion script (e.g. `blobhound completions bash > /etc/bash_completion.d/blobhound`).
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff; e.g. `blobhound man | man -l -`), or a subcommand's
    /// (`blobhound man scan`).
    Man {
        /// The subcommand.
        subcommand: Option<String>,
    },
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
        Command::Audit(args) => audit::run(args),
        Command::Detectors(command) => detectors::run(command),
        Command::Baseline(command) => baseline::run(command),
        Command::Hook(command) => hook::run(command),
        Command::Advise(args) => advise::run(args),
        Command::Completions { shell } => {
            let mut command = <Cli as clap::CommandFactory>::command();
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut command, "blobhound", &mut out);
            output::print(&String::from_utf8_lossy(&out), Status::Clean)
        }
        Command::Man { subcommand } => {
            let mut command = <Cli as clap::CommandFactory>::command();
            if let Some(name) = subcommand {
                let Some(sub) = command.find_subcommand(&name).cloned() else {
                    anyhow::bail!("blobhound has no subcommand {name:?}");
                };
                command = sub.display_name(format!("blobhound-{name}"));
            }
            let mut out = Vec::new();
            clap_mangen::Man::new(command).render(&mut out)?;
            output::print(&String::from_utf8_lossy(&out), Status::Clean)
        }
    }
}
