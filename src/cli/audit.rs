//! `blobhound audit ROOT`: every repository under a git server's storage root (see
//! `blobhound::audit`). It takes `scan`'s options and writes the same report, merged across
//! repositories.

use std::path::PathBuf;

use blobhound::audit::shard::Shard;
use clap::Args;

use super::scan::{run_mode, AuditSpec, Mode, ScanArgs};
use super::Status;

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Audit the repositories listed in FILE (one path per line, relative to FILE) instead of
    /// those under ROOT.
    #[arg(long, value_name = "FILE")]
    repos: Option<PathBuf>,
    /// Leave out GitLab's .wiki.git and .design.git repositories.
    #[arg(long)]
    skip_gitlab_companions: bool,
    /// Keep what was audited in STATE (a SQLite file, or a postgres:// URL shared by several
    /// workers): a re-run takes unchanged repositories from it, reads only the new objects of
    /// changed ones, and rescans everything when the detectors or limits change.
    #[arg(long, value_name = "STATE")]
    state: Option<String>,
    /// Audit only share K of N (numbered from 0, as $JOB_COMPLETION_INDEX is), chosen by each
    /// repository's name, so that N machines can split a server.
    #[arg(long, value_name = "K/N", value_parser = parse_shard)]
    shard: Option<Shard>,
    /// Print the merged report of everything STATE holds, scanning nothing.
    #[arg(long, requires = "state", conflicts_with = "repos")]
    report_only: bool,
    /// The storage root (bare repositories in owner/name.git or GitLab's @hashed layout, or
    /// working trees), and scan's options.
    #[command(flatten)]
    scan: ScanArgs,
}

pub fn run(args: AuditArgs) -> anyhow::Result<Status> {
    let spec = AuditSpec {
        repos: args.repos,
        skip_gitlab_companions: args.skip_gitlab_companions,
        state: args.state,
        shard: args.shard,
        report_only: args.report_only,
    };
    run_mode(args.scan, Mode::Audit(&spec))
}

fn parse_shard(text: &str) -> Result<Shard, String> {
    Shard::parse(text).map_err(|e| e.to_string())
}
