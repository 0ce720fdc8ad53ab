//! How sure a finding is.

use serde::{Deserialize, Serialize};

/// How sure a detector is that a match is a real secret; the report filters on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    /// Worth a look, often noisy (generic patterns).
    Low,
    /// Likely a secret.
    Medium,
    /// Almost certainly a secret.
    High,
}

impl Confidence {
    /// The lowercase name used on the command line and in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }
}
