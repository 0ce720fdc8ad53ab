//! `blobhound detectors check`: every detector must find each of its examples and stay silent on
//! each of its negatives. The test suite runs this over `detectors/`, so a regex edit that breaks a
//! documented case fails CI instead of silently losing recall.

use serde_json::Value;

use crate::detectors::{Detector, DetectorSet};
use crate::error::{Error, Result};
use crate::scan::Engine;

/// One example that did not behave as its detector file says.
#[derive(Debug, Clone)]
pub struct Failure {
    /// The detector's id.
    pub detector: String,
    /// Which file it came from.
    pub origin: String,
    /// `example N` or `negative N` (1-based, in file order).
    pub case: String,
    /// What went wrong.
    pub problem: String,
    /// Whether the detector has no examples (or no negatives) at all, rather than one that fails.
    pub missing: bool,
}

/// The outcome of checking a detector set.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// Detectors checked.
    pub detectors: usize,
    /// Positive examples run.
    pub examples: usize,
    /// Negative examples run.
    pub negatives: usize,
    /// Everything that failed.
    pub failures: Vec<Failure>,
}

/// Runs every example and negative of every detector through the full engine, so that checks and
/// shared filters take part exactly as in a real scan.
pub fn run(engine: &Engine) -> Outcome {
    run_where(engine, |_| true)
}

/// Runs the examples of the detectors a user loaded (`--detectors DIR`) before a scan: a detector
/// whose own examples fail would scan wrongly without a word. The first failing example is the
/// error, naming the file; built-in detectors are checked by the test suite instead, and a file
/// without examples is only `detectors check`'s concern.
pub fn check_user_detectors(engine: &Engine) -> Result<()> {
    let outcome = run_where(engine, |d| !d.origin.starts_with("builtin:"));
    let failures: Vec<&Failure> = outcome.failures.iter().filter(|f| !f.missing).collect();
    let Some(first) = failures.first() else {
        return Ok(());
    };
    let more = match failures.len() {
        1 => String::new(),
        n => format!(
            " ({} more failures: see `blobhound detectors check`)",
            n - 1
        ),
    };
    Err(Error::detector(
        first.origin.clone(),
        format!(
            "detector {}: its {} fails: {}{more}",
            first.detector, first.case, first.problem
        ),
    ))
}

/// The detectors of `set` whose id a built-in detector already has: a scan loads both, and there a
/// shared id is an error, so `detectors check` says so first. A file named as the built-in's own
/// source (checking `detectors/` of this repository while editing it) is that detector, not a
/// collision.
pub fn collisions(set: &DetectorSet, builtin: &DetectorSet) -> Vec<Failure> {
    let file_name = |origin: &str| {
        let name = origin.strip_prefix("builtin:").unwrap_or(origin);
        std::path::Path::new(name)
            .file_name()
            .map(|n| n.to_os_string())
    };
    set.detectors()
        .iter()
        .filter_map(|d| {
            let b = builtin.get(&d.id)?;
            (file_name(&d.origin) != file_name(&b.origin)).then(|| Failure {
                detector: d.id.clone(),
                origin: d.origin.clone(),
                case: "id".into(),
                problem: format!(
                    "the built-in detector {} has this id; pick another",
                    b.origin
                ),
                missing: false,
            })
        })
        .collect()
}

fn run_where(engine: &Engine, wanted: impl Fn(&Detector) -> bool) -> Outcome {
    let mut outcome = Outcome::default();
    for (index, detector) in engine.detectors().iter().enumerate() {
        if !wanted(detector) {
            continue;
        }
        outcome.detectors += 1;
        let fail = |case: String, problem: String| Failure {
            detector: detector.id.clone(),
            origin: detector.origin.clone(),
            case,
            problem,
            missing: false,
        };
        if detector.examples.is_empty() {
            outcome.failures.push(Failure {
                missing: true,
                ..fail("examples".into(), "the detector has no examples".into())
            });
        }
        if detector.negative_examples.is_empty() {
            outcome.failures.push(Failure {
                missing: true,
                ..fail(
                    "negatives".into(),
                    "the detector has no negative examples".into(),
                )
            });
        }
        for (n, example) in detector.examples.iter().enumerate() {
            outcome.examples += 1;
            let found: Vec<_> = engine
                .scan(example.text.as_bytes())
                .into_iter()
                .filter(|m| m.detector == index)
                .collect();
            let Some(hit) = found.iter().find(|m| m.secret == example.secret) else {
                let got: Vec<&str> = found.iter().map(|m| m.secret.as_str()).collect();
                outcome.failures.push(fail(
                    format!("example {}", n + 1),
                    format!("expected secret {:?}, found {:?}", example.secret, got),
                ));
                continue;
            };
            for (name, want) in &example.fields {
                let got = hit.fields.get(name).map(|v| match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                });
                if got.as_deref() != Some(want.as_str()) {
                    outcome.failures.push(fail(
                        format!("example {}", n + 1),
                        format!("field {name}: expected {want:?}, found {got:?}"),
                    ));
                }
            }
        }
        for (n, negative) in detector.negative_examples.iter().enumerate() {
            outcome.negatives += 1;
            let found: Vec<String> = engine
                .scan(negative.text.as_bytes())
                .into_iter()
                .filter(|m| m.detector == index)
                .map(|m| m.secret)
                .collect();
            if !found.is_empty() {
                outcome.failures.push(fail(
                    format!("negative {}", n + 1),
                    format!("reported {found:?}"),
                ));
            }
        }
    }
    outcome
}
