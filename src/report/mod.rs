//! The report: findings grouped by `(detector, secret)`, each with every place it was introduced,
//! plus what the scan covered and what it could not read. Building the report is separate from
//! printing it, so every output format shows the same findings in the same order.

pub mod advice;
pub mod exclude;
pub mod human;
pub mod json;
pub mod push;
pub mod redact;
pub mod refs;
pub mod sarif;

use std::collections::{BTreeMap, BTreeSet};

use gix::ObjectId;
use serde::{Deserialize, Serialize};

use crate::collect::Found;
use crate::model::{
    sha256_hex, CommitInfo, Confidence, Counts, Finding, Fingerprinter, Location, Oid, Outcome,
    Skipped, Source,
};
use crate::scan::{BlobMatch, Engine};
use rayon::prelude::*;
pub use redact::{mask, Redactor};

/// Version of the JSON report layout: 2 since fingerprints are keyed or slow (`hmac:` or
/// `argon2id:`), `secret_sha256` may be absent, and `redacted` says whether secrets were masked.
pub const REPORT_VERSION: u32 = 2;

/// A whole scan's result.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    /// Layout version.
    pub version: u32,
    /// Which program wrote it.
    pub tool: Tool,
    /// The scanned path as given.
    pub target: String,
    /// Whether every secret was masked (`--redact`): such a report holds no secret and no hash of
    /// one, and cannot drive `advise --replace-text`.
    #[serde(default)]
    pub redacted: bool,
    /// The repository scanned, when the target is a directory inside it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository: Option<String>,
    /// False when some object could not be read: the absence of findings then proves nothing.
    pub complete: bool,
    /// Coverage counters.
    pub stats: Stats,
    /// Conditions that make the scan partial without naming an object (a shallow clone).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// Objects not scanned, and why.
    pub skipped: Vec<Skipped>,
    /// Submodules the history names: separate repositories this scan did not read.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub submodules: Vec<Submodule>,
    /// Findings found but left out of this report, by the filter that left them out.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hidden: Vec<Hidden>,
    /// The findings, sorted by first location.
    pub findings: Vec<Finding>,
}

/// A finding's secret as a person reads it on one line: a private key (which may be kilobytes,
/// with real or escaped line breaks) becomes its type and size, the body staying in the JSON
/// report; anything else is as it is. The type comes from the key's `-----BEGIN … PRIVATE
/// KEY-----` line, in the secret or in the text matched around it.
pub fn secret_for_people<'f>(secret: &'f str, matched: &str) -> std::borrow::Cow<'f, str> {
    let header = |text: &str| -> Option<String> {
        let at = text.find("-----BEGIN ")?;
        let kind = text[at + 11..].split("-----").next()?;
        kind.ends_with("PRIVATE KEY").then(|| kind.to_string())
    };
    let multiline = secret.contains('\n') || secret.contains("\\n");
    let Some(kind) = header(secret).or_else(|| header(matched).filter(|_| multiline)) else {
        return secret.into();
    };
    let kind = match kind.trim_end_matches("PRIVATE KEY").trim() {
        "" => "PKCS#8".to_string(),
        "OPENSSH" => "OpenSSH".to_string(),
        "ENCRYPTED" => "encrypted PKCS#8".to_string(),
        other => other.to_string(),
    };
    let lines = secret
        .lines()
        .count()
        .max(secret.matches("\\n").count() + 1);
    format!(
        "{kind} private key ({}, {}; the body is in --format json)",
        crate::model::count(lines as u64, "line", "lines"),
        crate::model::count(secret.len() as u64, "byte", "bytes")
    )
    .into()
}

/// Findings a filter left out of a report: a count and a reason, so that "No secrets found"
/// is never said of a scan whose findings were only filtered away.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hidden {
    /// The filter: `confidence`, `baseline`, `only-live`, `exclude` or `allow`.
    pub filter: String,
    /// How many findings it hid.
    pub findings: u64,
    /// Why, for a person: `below --confidence medium`.
    pub why: String,
}

impl Hidden {
    /// `findings` hidden by `filter`, because `why`.
    pub fn new(filter: &str, findings: u64, why: impl Into<String>) -> Hidden {
        Hidden {
            filter: filter.to_string(),
            findings,
            why: why.into(),
        }
    }
}

/// A submodule (gitlink) in history: another repository, scanned on its own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Submodule {
    /// Its path in the superproject.
    pub path: String,
    /// The newest commit of it that history records.
    pub commit: Oid,
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
    /// Bytes unpacked or decoded inside them, and scanned too.
    #[serde(default)]
    pub bytes_decoded: u64,
    /// Blobs skipped (binary, too large, missing, corrupt).
    pub blobs_skipped: u64,
    /// Commits reachable from refs (0 for a directory).
    pub commits: u64,
    /// Of which those whose trees were read to place findings: all of them, except in an
    /// audit's re-run, which reads only those past the refs it saw before.
    #[serde(default)]
    pub commits_traced: u64,
    /// Wall time.
    pub duration_ms: u64,
    /// Of which reading and scanning every object.
    #[serde(default)]
    pub content_ms: u64,
    /// Of which tracing commits and paths (and finding missing objects).
    #[serde(default)]
    pub history_ms: u64,
}

/// Where an object with matches is, as a mode's attribution knows it.
#[derive(Debug, Clone, Default)]
pub struct BlobPlace {
    /// Its path.
    pub path: Option<String>,
    /// Its introducing commit.
    pub commit: Option<CommitInfo>,
    /// An unreachable commit holding it.
    pub unreachable_commit: Option<CommitInfo>,
    /// The tag's name, for an annotated tag's message.
    pub tag: Option<String>,
}

/// What a mode knows about where matches are: the step that differs between a history audit
/// (every place a blob was introduced), a gate (only the commits that added the secret's line)
/// and a directory scan (file paths).
pub trait Attribution {
    /// Where match `m` of object `id` (its `source` text) counts; an empty list drops it.
    fn places(&self, id: &ObjectId, source: Source, m: &BlobMatch) -> Vec<BlobPlace>;
    /// Whether the object is in HEAD's tree (or on disk).
    fn present(&self, id: &ObjectId) -> bool;
    /// The branches and tags whose history still holds the object.
    fn refs(&self, id: &ObjectId) -> Vec<String>;
}

/// Which findings a report keeps, and how it names them.
#[derive(Debug, Clone)]
pub struct FindingOptions {
    /// Findings below this are not reported.
    pub min_confidence: Confidence,
    /// How fingerprints are made (keyed, or slow without a key).
    pub fingerprints: Fingerprinter,
}

impl FindingOptions {
    /// Findings at `min_confidence` or above, fingerprinted without a key.
    pub fn at(min_confidence: Confidence) -> Self {
        FindingOptions {
            min_confidence,
            fingerprints: Fingerprinter::unkeyed(),
        }
    }
}

/// Findings grouped from matches, and how many fell below the confidence floor.
#[derive(Debug, Default)]
pub struct Built {
    /// At or above the floor, sorted by first location.
    pub findings: Vec<Finding>,
    /// Secrets below it, left out.
    pub below_confidence: u64,
}

/// Groups matches into findings at or above the options' confidence, placed by `attribution`.
pub fn build_findings(
    engine: &Engine,
    found: Vec<Found>,
    options: &FindingOptions,
    attribution: &dyn Attribution,
) -> Built {
    let min_confidence = options.min_confidence;
    let mut found = found;
    let mut below_confidence = crate::collect::keep_reportable(&mut found, min_confidence);
    let mut grouped: BTreeMap<(String, String), Finding> = BTreeMap::new();
    // Ref names per finding, as a set: a file rewritten in thousands of commits of a repository
    // with hundreds of tags would make a list's `contains` quadratic.
    let mut ref_names: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    for Found {
        id: blob,
        source,
        matches,
    } in found
    {
        for m in matches {
            let blob_places = attribution.places(&blob, source, &m);
            if blob_places.is_empty() {
                continue;
            }
            let generic = engine.detectors()[m.detector].is_generic();
            let (confidence, reason) = occurrence_confidence(&m, generic, &blob_places);
            let detector = &engine.detectors()[m.detector];
            let key = (detector.id.clone(), m.secret.clone());
            ref_names
                .entry(key.clone())
                .or_default()
                .extend(attribution.refs(&blob));
            let finding = grouped.entry(key).or_insert_with(|| Finding {
                detector: detector.id.clone(),
                name: detector.name.clone(),
                family: detector.family.clone(),
                confidence,
                confidence_reason: reason.map(str::to_string),
                secret_sha256: Some(sha256_hex(m.secret.as_bytes())),
                // Made below, once per finding and on every core: the slow scheme costs
                // tens of milliseconds each.
                fingerprint: String::new(),
                secret: m.secret.clone(),
                matched: m.matched.clone(),
                fields: m.fields.clone(),
                entropy: m.entropy,
                locations: Vec::new(),
                in_head: false,
                refs: Vec::new(),
                verification: Outcome::not_checked(),
            });
            if confidence > finding.confidence {
                finding.confidence = confidence;
                finding.confidence_reason = reason.map(str::to_string);
            }
            finding.in_head |= attribution.present(&blob);
            for place in blob_places {
                finding.locations.push(Location {
                    repository: None,
                    blob: blob.into(),
                    path: place.path,
                    line: m.line,
                    column: m.column,
                    commit: place.commit,
                    unreachable_commit: place.unreachable_commit,
                    source,
                    tag: place.tag,
                    origin: m.origin.clone(),
                });
            }
        }
    }
    let before = grouped.len();
    grouped.retain(|_, finding| finding.confidence >= min_confidence);
    below_confidence += (before - grouped.len()) as u64;
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
    findings.par_iter_mut().for_each(|finding| {
        finding.fingerprint = options
            .fingerprints
            .fingerprint(&finding.detector, &finding.secret);
    });
    for finding in &mut findings {
        finding.locations.sort_by_key(location_order);
        finding.locations.dedup_by(|a, b| {
            a.blob == b.blob
                && a.origin == b.origin
                && a.line == b.line
                && a.column == b.column
                && a.path == b.path
                && a.commit.as_ref().map(|c| c.id) == b.commit.as_ref().map(|c| c.id)
        });
    }
    findings.sort_by(|a, b| {
        let first = |f: &Finding| f.locations.first().map(location_order);
        first(a)
            .cmp(&first(b))
            .then_with(|| a.detector.cmp(&b.detector))
            .then_with(|| a.secret.cmp(&b.secret))
    });
    Built {
        findings,
        below_confidence,
    }
}

/// The confidence one occurrence earns: the match's own, or LOW when every place it sits is an
/// example, sample or documentation file (its values are meant to be replaced) or third-party code
/// committed with the project, or (for a generic detector) test files, with the reason. A secret
/// that also sits in a real file keeps that occurrence's confidence, and the other copies stay
/// among its locations.
fn occurrence_confidence<'m>(
    m: &'m BlobMatch,
    generic: bool,
    places: &[BlobPlace],
) -> (Confidence, Option<&'m str>) {
    if let Some(reason) = &m.confidence_reason {
        return (m.confidence, Some(reason));
    }
    use crate::scan::quality::{sample_path, test_path, vendored_path};
    let all = |test: fn(&str) -> bool| places.iter().all(|p| p.path.as_deref().is_some_and(test));
    if m.confidence == Confidence::Low {
        (m.confidence, None)
    } else if all(vendored_path) {
        (
            Confidence::Low,
            Some("only in third-party code committed with the project"),
        )
    } else if all(sample_path) {
        (
            Confidence::Low,
            Some("only in example, sample or documentation files"),
        )
    } else if generic && all(test_path) {
        (
            Confidence::Low,
            Some("a generic assignment only in test files (a fixture)"),
        )
    } else {
        (m.confidence, None)
    }
}

/// Earliest introduction first; blobs no ref reaches last; then path, line and column.
fn location_order(l: &Location) -> (bool, u64, Option<String>, u32, u32, Oid) {
    (
        l.commit.is_none(),
        l.commit.as_ref().map_or(0, |c| c.rank),
        l.path.clone(),
        l.line,
        l.column,
        l.blob,
    )
}

impl Report {
    /// A report of a finished scan; `complete` says whether it saw everything it was asked to
    /// (the pipeline decides that from what was skipped and the mode's coverage). Callers fill
    /// in the commit count and timings they know.
    pub fn new(
        target: impl Into<String>,
        counts: Counts,
        skipped: Vec<Skipped>,
        complete: bool,
        warnings: Vec<String>,
        findings: Vec<Finding>,
    ) -> Report {
        Report {
            version: REPORT_VERSION,
            tool: Tool::default(),
            target: target.into(),
            redacted: false,
            repository: None,
            complete,
            stats: Stats {
                blobs_scanned: counts.blobs_scanned,
                bytes_scanned: counts.bytes_scanned,
                bytes_decoded: counts.bytes_decoded,
                blobs_skipped: skipped.len() as u64,
                ..Stats::default()
            },
            warnings,
            skipped,
            submodules: Vec::new(),
            hidden: Vec::new(),
            findings,
        }
    }

    /// The report with every secret of its findings masked wherever it appears (see
    /// [`redact`]); a report already redacted is returned as it is.
    pub fn redacted(&self) -> Report {
        self.redacted_also(std::iter::empty())
    }

    /// Like [`Report::redacted`], also masking `more` secrets: those of findings a caller dropped
    /// (a baseline's, or not verified live) can still sit in the summaries and paths it shows.
    pub fn redacted_also<'s>(&'s self, more: impl IntoIterator<Item = &'s str>) -> Report {
        let mut report = self.clone();
        if !self.redacted {
            let secrets = self.findings.iter().map(|f| f.secret.as_str()).chain(more);
            Redactor::new(secrets).report(&mut report);
        }
        report
    }

    /// A finding's secret as shown where a whole secret never is (SARIF messages, the push
    /// rejection): its mask, whether or not the report was redacted.
    pub fn masked_secret(&self, finding: &Finding) -> String {
        if self.redacted {
            finding.secret.clone()
        } else {
            mask(&finding.secret)
        }
    }

    /// The skipped objects that leave this report incomplete, for every place that names them.
    pub fn unread(&self) -> impl Iterator<Item = &Skipped> {
        self.skipped.iter().filter(|s| s.unread)
    }

    /// Whether any finding is reported.
    pub fn has_findings(&self) -> bool {
        !self.findings.is_empty()
    }
}
