//! `blobhound detectors list | check [DIR]`.

use std::path::PathBuf;

use anyhow::Context;
use blobhound::detectors::DetectorSet;
use blobhound::model::count;
use blobhound::scan::Engine;
use blobhound::scan::{accuracy, selftest};
use clap::Subcommand;

use super::output::print;
use super::Status;

/// Appends a formatted line to a listing (formatting into a String cannot fail).
macro_rules! outln {
    ($out:expr, $($arg:tt)*) => {{
        use std::fmt::Write as _;
        let _ = writeln!($out, $($arg)*);
    }};
}

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
    /// Measure recall and false positives on example corpora (JSON lines of rule_id, kind, text)
    /// mapped to our detectors by provider; exits 1 when a target is missed.
    Accuracy {
        /// A corpus file (repeatable).
        #[arg(long, required = true, value_name = "FILE")]
        corpus: Vec<PathBuf>,
        /// The provider map (TOML: [[providers]] name, rules, detectors; [[wrong]] rule_id, text_sha256, reason).
        #[arg(long, value_name = "FILE")]
        map: PathBuf,
        /// Lowest recall accepted for every provider.
        #[arg(long, default_value = "0.95")]
        min_recall: f64,
        /// Highest share of negatives reported accepted overall.
        #[arg(long, default_value = "0.05")]
        max_false_positives: f64,
        /// Also load every *.toml detector file in DIR.
        #[arg(long, value_name = "DIR")]
        detectors: Option<PathBuf>,
        /// List every missed positive, reported negative and excluded example.
        #[arg(long)]
        verbose: bool,
    },
}

pub fn run(command: DetectorsCommand) -> anyhow::Result<Status> {
    let mut out = String::new();
    match command {
        DetectorsCommand::Accuracy {
            corpus,
            map,
            min_recall,
            max_false_positives,
            detectors,
            verbose,
        } => {
            let mut set = DetectorSet::builtin().context("loading built-in detectors")?;
            if let Some(dir) = detectors {
                set.extend_from_dir(&dir)?;
            }
            let engine = Engine::new(set)?;
            selftest::check_user_detectors(&engine)?;
            let mut examples = Vec::new();
            for path in &corpus {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("reading {}", path.display()))?;
                examples.extend(accuracy::parse_corpus(&path.display().to_string(), &text)?);
            }
            let map_text = std::fs::read_to_string(&map)
                .with_context(|| format!("reading {}", map.display()))?;
            let map = accuracy::parse_map(&map.display().to_string(), &map_text)?;
            let scores = accuracy::evaluate(&engine, &examples, &map);
            outln!(
                out,
                "{:<28} {:>9} {:>7} {:>9} {:>9} {:>7}",
                "PROVIDER",
                "POSITIVES",
                "RECALL",
                "NEGATIVES",
                "REPORTED",
                "EXCL."
            );
            let mut ok = true;
            for score in &scores {
                let overall = score.name == "overall";
                let miss = !overall && score.recall() < min_recall;
                let noisy = overall && score.false_positive_rate() > max_false_positives;
                ok &= !miss && !noisy;
                outln!(
                    out,
                    "{:<28} {:>9} {:>6.1}% {:>9} {:>8.1}% {:>7}{}",
                    score.name,
                    score.positives,
                    score.recall() * 100.0,
                    score.negatives,
                    score.false_positive_rate() * 100.0,
                    score.excluded.len(),
                    if miss || noisy {
                        "  <- below target"
                    } else {
                        ""
                    }
                );
                if verbose {
                    for line in score.missed.iter().map(|m| format!("  missed    {m}")) {
                        outln!(out, "{line}");
                    }
                    for line in score
                        .false_positives
                        .iter()
                        .map(|m| format!("  reported  {m}"))
                    {
                        outln!(out, "{line}");
                    }
                    for line in score.excluded.iter().map(|m| format!("  excluded  {m}")) {
                        outln!(out, "{line}");
                    }
                }
            }
            outln!(
                out,
                "targets: recall >= {:.0}% per provider, negatives reported <= {:.0}% overall: {}",
                min_recall * 100.0,
                max_false_positives * 100.0,
                if ok { "met" } else { "missed" }
            );
            print(&out, if ok { Status::Clean } else { Status::Findings })
        }
        DetectorsCommand::List { detectors } => {
            let mut set = DetectorSet::builtin().context("loading built-in detectors")?;
            if let Some(dir) = detectors {
                set.extend_from_dir(&dir)?;
            }
            outln!(out, "{:<28} {:<10} {:<7} NAME", "ID", "FAMILY", "CONF");
            for d in set.detectors() {
                outln!(
                    out,
                    "{:<28} {:<10} {:<7} {}",
                    d.id,
                    d.family,
                    d.confidence.as_str(),
                    d.name
                );
            }
            print(&out, Status::Clean)
        }
        DetectorsCommand::Check { dir } => {
            let builtin = DetectorSet::builtin().context("loading built-in detectors")?;
            let (engine, collisions) = match dir {
                Some(dir) => {
                    let set = DetectorSet::from_dir(&dir)?;
                    let collisions = selftest::collisions(&set, &builtin);
                    (Engine::new(set)?, collisions)
                }
                None => (Engine::new(builtin)?, Vec::new()),
            };
            let mut outcome = selftest::run(&engine);
            outcome.failures.splice(0..0, collisions);
            for failure in &outcome.failures {
                outln!(
                    out,
                    "FAIL {} ({}) {}: {}",
                    failure.detector,
                    failure.origin,
                    failure.case,
                    failure.problem
                );
            }
            outln!(
                out,
                "{}, {}, {}: {}",
                count(outcome.detectors as u64, "detector", "detectors"),
                count(outcome.examples as u64, "example", "examples"),
                count(
                    outcome.negatives as u64,
                    "negative example",
                    "negative examples"
                ),
                if outcome.failures.is_empty() {
                    "all pass".to_string()
                } else {
                    count(outcome.failures.len() as u64, "failure", "failures")
                }
            );
            let status = if outcome.failures.is_empty() {
                Status::Clean
            } else {
                Status::Findings
            };
            print(&out, status)
        }
    }
}
