//! Baselines and allow lists: fingerprints of findings a team has accepted (or rotated and left
//! in history), so that a gate reports only what is new. They hold fingerprints, never secrets,
//! so the file can be committed.

use std::collections::BTreeSet;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::report::Report;

/// Layout version of the baseline file.
pub const BASELINE_VERSION: u32 = 1;

/// The baseline file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Baseline {
    /// Layout version.
    pub version: u32,
    /// One entry per accepted finding.
    pub findings: Vec<BaselineEntry>,
}

/// One accepted finding: its fingerprint, plus context for the people reading the file.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct BaselineEntry {
    /// SHA-256 of detector id, NUL, secret: what is matched.
    pub fingerprint: String,
    /// The detector id.
    pub detector: String,
    /// Where the finding was first introduced (for people, not matched).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The commit that introduced it (for people, not matched).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
}

impl Baseline {
    /// A baseline accepting every finding of `report`.
    pub fn from_report(report: &Report) -> Self {
        let mut findings: Vec<BaselineEntry> = report
            .findings
            .iter()
            .map(|f| BaselineEntry {
                fingerprint: f.fingerprint.clone(),
                detector: f.detector.clone(),
                path: f.locations.first().and_then(|l| l.path.clone()),
                commit: f
                    .locations
                    .first()
                    .and_then(|l| l.commit.as_ref().map(|c| c.id.to_string())),
            })
            .collect();
        findings.sort();
        findings.dedup_by(|a, b| a.fingerprint == b.fingerprint);
        Baseline {
            version: BASELINE_VERSION,
            findings,
        }
    }
}

/// The fingerprints listed in `path`: a baseline file (JSON), or plain text with one fingerprint
/// per line (`#` starts a comment), which suits a server-side allow file.
pub fn load_fingerprints(path: &Path) -> Result<BTreeSet<String>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
    parse_fingerprints(&text)
        .map_err(|message| Error::Usage(format!("{}: {message}", path.display())))
}

fn parse_fingerprints(text: &str) -> std::result::Result<BTreeSet<String>, String> {
    if text.trim_start().starts_with('{') {
        let baseline: Baseline =
            serde_json::from_str(text).map_err(|e| format!("not a blobhound baseline: {e}"))?;
        if baseline.version != BASELINE_VERSION {
            return Err(format!("unsupported baseline version {}", baseline.version));
        }
        return baseline
            .findings
            .into_iter()
            .map(|f| checked(f.fingerprint.trim()))
            .collect();
    }
    text.lines()
        .map(|line| line.split('#').next().unwrap_or("").trim())
        .filter(|line| !line.is_empty())
        .map(checked)
        .collect()
}

/// A fingerprint is 64 lowercase hex digits (an allow list may also name a blob a gate could not
/// scan by its 40-digit id); anything else is a mistake worth an error, because an allow list that
/// silently matches nothing would make a gate pass or fail for the wrong reason.
fn checked(fingerprint: &str) -> std::result::Result<String, String> {
    if matches!(fingerprint.len(), 40 | 64)
        && fingerprint
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        Ok(fingerprint.to_string())
    } else {
        Err(format!(
            "{fingerprint:?} is not a blobhound fingerprint (64 hex digits) or blob id (40)"
        ))
    }
}

/// Drops the findings whose fingerprint is in `accepted`; returns how many were dropped.
pub fn apply(report: &mut Report, accepted: &BTreeSet<String>) -> usize {
    let before = report.findings.len();
    report
        .findings
        .retain(|f| !accepted.contains(&f.fingerprint));
    before - report.findings.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    const FP: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";

    #[test]
    fn plain_text_allow_files_take_comments() {
        let parsed =
            parse_fingerprints(&format!("# accepted test key\n{FP}  # fixture\n\n")).unwrap();
        assert_eq!(parsed.into_iter().collect::<Vec<_>>(), [FP]);
    }

    #[test]
    fn baseline_json_round_trips() {
        let baseline = Baseline {
            version: BASELINE_VERSION,
            findings: vec![BaselineEntry {
                fingerprint: FP.into(),
                detector: "django-secret-key".into(),
                path: Some("settings.py".into()),
                commit: None,
            }],
        };
        let text = serde_json::to_string(&baseline).unwrap();
        assert!(parse_fingerprints(&text).unwrap().contains(FP));
    }

    #[test]
    fn a_secret_instead_of_a_fingerprint_is_an_error() {
        assert!(parse_fingerprints("django-insecure-abcdef\n").is_err());
    }
}
