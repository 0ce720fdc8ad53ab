//! `blobhound audit ROOT`: every repository under a git server's storage root (see
//! `blobhound::audit`). It takes `scan`'s options and writes the same report, merged across
//! repositories.

use std::path::PathBuf;

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
    /// The storage root (bare repositories in owner/name.git or GitLab's @hashed layout, or
    /// working trees), and scan's options.
    #[command(flatten)]
    scan: ScanArgs,
}

pub fn run(args: AuditArgs) -> anyhow::Result<Status> {
    let spec = AuditSpec {
        repos: args.repos,
        skip_gitlab_companions: args.skip_gitlab_companions,
    };
    run_mode(args.scan, Mode::Audit(&spec))
}
