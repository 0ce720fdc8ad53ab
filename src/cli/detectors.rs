//! `blobhound detectors list | check [DIR]`.

use std::path::PathBuf;

use anyhow::Context;
use blobhound::detectors::{selftest, DetectorSet};
use blobhound::scan::Engine;
use clap::Subcommand;

use super::Status;

#[derive(Debug, Subcommand)]
pub enum DetectorsCommand {
    /// List the built-in detectors (and those in --detectors DIR).
    List {
        /// Also load every *.toml detector file in this directory.
        #[arg(long, value_name = "DIR")]
        detectors: Option<PathBuf>,
    },
    /// Run every detector's examples and negative examples; exits 1 on any failure.
    Check {
        /// Check the detector files in this directory instead of the built-in ones.
        dir: Option<PathBuf>,
    },
}

pub fn run(command: DetectorsCommand) -> anyhow::Result<Status> {
    match command {
        DetectorsCommand::List { detectors } => {
            let mut set = DetectorSet::builtin().context("loading built-in detectors")?;
            if let Some(dir) = detectors {
                set.extend_from_dir(&dir)?;
            }
            println!("{:<28} {:<10} {:<7} NAME", "ID", "FAMILY", "CONF");
            for d in set.detectors() {
                println!(
                    "{:<28} {:<10} {:<7} {}",
                    d.id,
                    d.family,
                    d.confidence.as_str(),
                    d.name
                );
            }
            Ok(Status::Clean)
        }
        DetectorsCommand::Check { dir } => {
            let set = match dir {
                Some(dir) => DetectorSet::from_dir(&dir)?,
                None => DetectorSet::builtin().context("loading built-in detectors")?,
            };
            let engine = Engine::new(set)?;
            let outcome = selftest::run(&engine);
            for failure in &outcome.failures {
                println!(
                    "FAIL {} ({}) {}: {}",
                    failure.detector, failure.origin, failure.case, failure.problem
                );
            }
            println!(
                "{} detectors, {} examples, {} negative examples: {}",
                outcome.detectors,
                outcome.examples,
                outcome.negatives,
                if outcome.failures.is_empty() {
                    "all pass".to_string()
                } else {
                    format!("{} failures", outcome.failures.len())
                }
            );
            Ok(if outcome.failures.is_empty() {
                Status::Clean
            } else {
                Status::Findings
            })
        }
    }
}
