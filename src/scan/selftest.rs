//! `blobhound detectors check`: every detector must find each of its examples and stay silent on
//! each of its negatives. The test suite runs this over `detectors/`, so a regex edit that breaks a
//! documented case fails CI instead of silently losing recall.

use serde_json::Value;

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
    let mut outcome = Outcome::default();
    for (index, detector) in engine.detectors().iter().enumerate() {
        outcome.detectors += 1;
        let fail = |case: String, problem: String| Failure {
            detector: detector.id.clone(),
            origin: detector.origin.clone(),
            case,
            problem,
        };
        if detector.examples.is_empty() {
            outcome.failures.push(fail(
                "examples".into(),
                "the detector has no examples".into(),
            ));
        }
        if detector.negative_examples.is_empty() {
            outcome.failures.push(fail(
                "negatives".into(),
                "the detector has no negative examples".into(),
            ));
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
