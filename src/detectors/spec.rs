//! The on-disk shape of a detector file (see DESIGN.md, "Detector file").

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::model::Confidence;

/// A detector file as written; unknown keys are rejected so that a typo is an error, not a no-op.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct DetectorSpec {
    pub id: String,
    pub name: String,
    pub family: String,
    pub confidence: Confidence,
    pub keywords: Vec<String>,
    pub regex: String,
    #[serde(default = "default_window_lines")]
    pub window_lines: [usize; 2],
    #[serde(default)]
    pub min_entropy: f64,
    #[serde(default)]
    pub placeholders: Vec<String>,
    #[serde(default = "none")]
    pub check: String,
    #[serde(default = "none")]
    pub verify: String,
    #[serde(default)]
    pub advice: Advice,
    #[serde(default)]
    pub examples: Vec<Example>,
    #[serde(default)]
    pub negative_examples: Vec<NegativeExample>,
}

/// Two lines before the keyword's line and four after: room for a Django `DATABASES` or
/// `SIMPLE_JWT` dict, a PEM body, or a name set a few lines above its key.
fn default_window_lines() -> [usize; 2] {
    [2, 4]
}

fn none() -> String {
    "none".to_string()
}

/// How to rotate a secret of this kind; the rotation plan is built from it.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Advice {
    /// One sentence on what the secret grants and why it must be rotated.
    #[serde(default)]
    pub summary: String,
    /// Ordered, concrete steps.
    #[serde(default)]
    pub steps: Vec<String>,
    /// Where the provider documents rotation.
    #[serde(default)]
    pub references: Vec<String>,
}

/// A text the detector must find, and what it must report.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Example {
    /// The input.
    pub text: String,
    /// The secret the finding must carry.
    pub secret: String,
    /// Fields the finding must carry (values compared as strings).
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
}

/// A text the detector must not report anything in.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NegativeExample {
    /// The input.
    pub text: String,
}
