//! The report: findings grouped by `(detector, secret)`, each with every place it was introduced,
//! plus what the scan covered and what it could not read. Building the report is separate from
//! printing it, so every output format shows the same findings in the same order.

pub mod advice;
pub mod human;
pub mod json;
pub mod push;
pub mod sarif;

use std::collections::{BTreeMap, BTreeSet};

use gix::ObjectId;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::detectors::{Confidence, Fields};
use crate::provenance::CommitInfo;
use crate::scan::collector::{Counts, Skipped};
use crate::scan::{BlobMatch, Engine};

/// Version of the JSON report layout.
pub const REPORT_VERSION: u32 = 1;

/// A whole scan's result.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    /// Layout version.
    pub version: u32,
    /// Which program wrote it.
    pub tool: Tool,
    /// The scanned path as given.
    pub target: String,
    /// False when some object could not be read: the absence of findings then proves nothing.
    pub complete: bool,
    /// Coverage counters.
    pub stats: Stats,
    /// Conditions that make the scan partial without naming an object (a shallow clone).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// Objects not scanned, and why.
    pub skipped: Vec<Skipped>,
    /// The findings, sorted by first location.
    pub findings: Vec<Finding>,
}

/// Program name and version.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Tool {
    /// Always `blobhound`.
    pub name: String,
    /// The crate version.
    pub version: String,
}

impl Default for Tool {
    fn default() -> Self {
        Tool {
            name: "blobhound".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        }
    }
}

/// Coverage counters.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct Stats {
    /// Distinct blobs scanned.
    pub blobs_scanned: u64,
    /// Bytes scanned.
    pub bytes_scanned: u64,
    /// Blobs skipped (binary, too large, missing, corrupt).
    pub blobs_skipped: u64,
    /// Commits reachable from refs (0 for a directory).
    pub commits: u64,
    /// Wall time.
    pub duration_ms: u64,
    /// Of which reading and scanning every object.
    #[serde(default)]
    pub content_ms: u64,
    /// Of which tracing commits and paths (and finding missing objects).
    #[serde(default)]
    pub history_ms: u64,
}

/// One secret, wherever it occurs.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Finding {
    /// Detector id.
    pub detector: String,
    /// Detector name.
    pub name: String,
    /// Detector family.
    pub family: String,
    /// Confidence after checks (the highest over its occurrences).
    pub confidence: Confidence,
    /// The secret (redacted on request when printed).
    pub secret: String,
    /// SHA-256 of the secret, to correlate findings without holding the secret.
    pub secret_sha256: String,
    /// SHA-256 of detector id, NUL, secret: what baselines and allow lists store.
    pub fingerprint: String,
    /// The whole matched text.
    #[serde(rename = "match")]
    pub matched: String,
    /// Extra fields (username, host, port, database, access key id ...).
    pub fields: Fields,
    /// Shannon entropy of the secret.
    pub entropy: f64,
    /// Every place the secret was introduced; the first is the earliest.
    pub locations: Vec<Location>,
    /// Whether some location's blob is in HEAD's tree (or on disk, for a directory scan).
    pub in_head: bool,
    /// The branches and tags whose history still holds the secret (history scans).
    #[serde(default)]
    pub refs: Vec<String>,
    /// Live verification result.
    pub verification: Verification,
}

/// One place a secret was introduced.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Location {
    /// The blob holding it.
    pub blob: String,
    /// Its path, when some tree names the blob.
    pub path: Option<String>,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
    /// The commit that introduced the blob; null when no ref reaches it.
    pub commit: Option<CommitInfo>,
    /// For a blob no ref reaches: an unreachable commit that holds it, if one exists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unreachable_commit: Option<CommitInfo>,
}

/// Live verification outcome (see [`crate::verify`]).
pub type Verification = crate::verify::Outcome;

/// Where a blob is, as a source or provenance knows it.
#[derive(Debug, Clone, Default)]
pub struct BlobPlace {
    /// Its path.
    pub path: Option<String>,
    /// Its introducing commit.
    pub commit: Option<CommitInfo>,
    /// An unreachable commit holding it.
    pub unreachable_commit: Option<CommitInfo>,
}

/// Groups blob matches into findings at or above `min_confidence`.
///
/// `places` says where each blob is (one place per history blob; one per file for a directory);
/// `present` says whether the blob is in HEAD or on disk.
pub fn build_findings(
    engine: &Engine,
    matches: Vec<(ObjectId, Vec<BlobMatch>)>,
    min_confidence: Confidence,
    places: &dyn Fn(&ObjectId) -> Vec<BlobPlace>,
    present: &dyn Fn(&ObjectId) -> bool,
    refs: &dyn Fn(&ObjectId) -> Vec<String>,
) -> Vec<Finding> {
    let mut grouped: BTreeMap<(String, String), Finding> = BTreeMap::new();
    // Ref names per finding, as a set: a file rewritten in thousands of commits of a repository
    // with hundreds of tags would make a list's `contains` quadratic.
    let mut ref_names: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    for (blob, blob_matches) in matches {
        for m in blob_matches {
            if m.confidence < min_confidence {
                continue;
            }
            let detector = &engine.detectors()[m.detector];
            let key = (detector.id.clone(), m.secret.clone());
            ref_names
                .entry(key.clone())
                .or_default()
                .extend(refs(&blob));
            let finding = grouped.entry(key).or_insert_with(|| Finding {
                detector: detector.id.clone(),
                name: detector.name.clone(),
                family: detector.family.clone(),
                confidence: m.confidence,
                secret_sha256: sha256_hex(m.secret.as_bytes()),
                fingerprint: fingerprint(&detector.id, &m.secret),
                secret: m.secret.clone(),
                matched: m.matched.clone(),
                fields: m.fields.clone(),
                entropy: m.entropy,
                locations: Vec::new(),
                in_head: false,
                refs: Vec::new(),
                verification: Verification::not_checked(),
            });
            finding.confidence = finding.confidence.max(m.confidence);
            finding.in_head |= present(&blob);
            let mut blob_places = places(&blob);
            if blob_places.is_empty() {
                blob_places.push(BlobPlace::default());
            }
            for place in blob_places {
                finding.locations.push(Location {
                    blob: blob.to_string(),
                    path: place.path,
                    line: m.line,
                    column: m.column,
                    commit: place.commit,
                    unreachable_commit: place.unreachable_commit,
                });
            }
        }
    }
    let mut findings: Vec<Finding> = grouped
        .into_iter()
        .map(|(key, mut finding)| {
            finding.refs = ref_names
                .remove(&key)
                .unwrap_or_default()
                .into_iter()
                .collect();
            finding
        })
        .collect();
    for finding in &mut findings {
        finding.locations.sort_by_key(location_order);
        finding.locations.dedup_by(|a, b| {
            a.blob == b.blob && a.line == b.line && a.column == b.column && a.path == b.path
        });
    }
    findings.sort_by(|a, b| {
        let first = |f: &Finding| f.locations.first().map(location_order);
        first(a)
            .cmp(&first(b))
            .then_with(|| a.detector.cmp(&b.detector))
            .then_with(|| a.secret.cmp(&b.secret))
    });
    findings
}

/// Earliest introduction first; blobs no ref reaches last; then path, line and column.
fn location_order(l: &Location) -> (bool, u64, Option<String>, u32, u32, String) {
    (
        l.commit.is_none(),
        l.commit.as_ref().map_or(0, |c| c.rank),
        l.path.clone(),
        l.line,
        l.column,
        l.blob.clone(),
    )
}

/// SHA-256 of detector id, NUL, secret, as lowercase hex: stable across runs and machines, and
/// safe to store where the secret itself must not be.
pub fn fingerprint(detector_id: &str, secret: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(detector_id.as_bytes());
    hasher.update([0u8]);
    hasher.update(secret.as_bytes());
    hex(&hasher.finalize())
}

/// SHA-256 as lowercase hex.
pub fn sha256_hex(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::new(), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

/// A secret with all but a short prefix masked, for output that may be shared.
pub fn redact(secret: &str) -> String {
    let shown = (secret.chars().count() / 6).min(4);
    let prefix: String = secret.chars().take(shown).collect();
    format!("{prefix}*****")
}

impl Report {
    /// A report whose completeness follows from what was skipped: it is incomplete when some
    /// object could not be read, or when `partial` says so for a reason no object names (a
    /// shallow clone). Callers fill in the commit count and timings they know.
    pub fn new(
        target: impl Into<String>,
        counts: Counts,
        skipped: Vec<Skipped>,
        warnings: Vec<String>,
        partial: bool,
        findings: Vec<Finding>,
    ) -> Report {
        Report {
            version: REPORT_VERSION,
            tool: Tool::default(),
            target: target.into(),
            complete: !partial && !skipped.iter().any(|s| s.reason.makes_incomplete()),
            stats: Stats {
                blobs_scanned: counts.blobs_scanned,
                bytes_scanned: counts.bytes_scanned,
                blobs_skipped: skipped.len() as u64,
                ..Stats::default()
            },
            warnings,
            skipped,
            findings,
        }
    }

    /// The report with every secret masked (in `secret` and in `match`).
    pub fn redacted(&self) -> Report {
        let mut report = self.clone();
        for finding in &mut report.findings {
            let masked = redact(&finding.secret);
            if !finding.secret.is_empty() {
                finding.matched = finding.matched.replace(&finding.secret, &masked);
            }
            finding.secret = masked;
        }
        report
    }

    /// Whether any finding is reported.
    pub fn has_findings(&self) -> bool {
        !self.findings.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_separates_detector_and_secret() {
        assert_ne!(fingerprint("ab", "c"), fingerprint("a", "bc"));
        assert_eq!(fingerprint("x", "y").len(), 64);
    }

    #[test]
    fn redaction_never_shows_more_than_four_characters() {
        assert_eq!(
            redact("django-insecure-abcdefghijklmnopqrstuvwxyz"),
            "djan*****"
        );
        assert_eq!(redact("hunter22"), "h*****");
        assert_eq!(redact("abc"), "*****");
    }
}
