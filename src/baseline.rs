//! Baselines and allow lists: fingerprints of findings a team has accepted (or rotated and left
//! in history), so that a gate reports only what is new. They hold fingerprints, never secrets,
//! so the file can be committed.

use std::collections::BTreeSet;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::fingerprint::{legacy, Kind};
use crate::model::{Finding, Fingerprinter};
use crate::report::Report;

/// Layout version of the baseline file: 2 since fingerprints are keyed or slow. Version 1 files
/// (bare SHA-256 fingerprints) are still read; `blobhound baseline migrate` rewrites them.
pub const BASELINE_VERSION: u32 = 2;

/// The baseline file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Baseline {
    /// Layout version.
    pub version: u32,
    /// The scheme the fingerprints were made with (`argon2id` or `hmac:<key id>`), for people:
    /// each fingerprint names its scheme too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheme: Option<String>,
    /// One entry per accepted finding.
    pub findings: Vec<BaselineEntry>,
}

/// One accepted finding: its fingerprint, plus context for the people reading the file.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct BaselineEntry {
    /// What is matched (see `model::fingerprint`).
    pub fingerprint: String,
    /// The detector id.
    pub detector: String,
    /// Where the finding was first introduced (for people, not matched; masked where it holds a
    /// secret).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The commit that introduced it (for people, not matched).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
}

impl Baseline {
    /// A baseline accepting every finding of `report`, made with `scheme`. The file is meant to
    /// be committed, so its paths come from the report redacted: a secret in a file name stays out.
    pub fn from_report(report: &Report, scheme: &Fingerprinter) -> Self {
        let report = report.redacted();
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
            scheme: Some(scheme.scheme()),
            findings,
        }
    }
}

/// What a baseline, an allow file or push options accept: fingerprints of this scheme,
/// fingerprints of the first scheme (matched by recomputing them while the secret is at hand), and
/// ids of blobs a gate could not scan.
#[derive(Debug, Clone, Default)]
pub struct AllowList {
    fingerprints: BTreeSet<String>,
    legacy: BTreeSet<String>,
    blobs: BTreeSet<String>,
}

impl AllowList {
    /// The entries listed in `path`: a baseline file (JSON), or plain text with one entry per
    /// line (`#` starts a comment), which suits a server-side allow file. An entry `scheme` can
    /// never match (made with another key, or none) is an error, because an allow list that
    /// silently matches nothing would make a gate pass or fail for the wrong reason.
    pub fn load(path: &Path, scheme: &Fingerprinter) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
        Self::parse(&text, scheme)
            .map_err(|message| Error::Usage(format!("{}: {message}", path.display())))
    }

    fn parse(text: &str, scheme: &Fingerprinter) -> std::result::Result<Self, String> {
        let entries: Vec<String> = if text.trim_start().starts_with('{') {
            let baseline: Baseline =
                serde_json::from_str(text).map_err(|e| format!("not a blobhound baseline: {e}"))?;
            if baseline.version == 0 || baseline.version > BASELINE_VERSION {
                return Err(format!("unsupported baseline version {}", baseline.version));
            }
            baseline
                .findings
                .into_iter()
                .map(|f| f.fingerprint.trim().to_string())
                .collect()
        } else {
            text.lines()
                .map(|line| line.split('#').next().unwrap_or("").trim().to_string())
                .filter(|line| !line.is_empty())
                .collect()
        };
        let mut list = AllowList::default();
        for entry in entries {
            list.insert_checked(&entry, scheme)?;
        }
        Ok(list)
    }

    /// The entries of a config file's allow list, checked as [`AllowList::load`] checks a file's.
    pub fn from_entries(
        entries: &[String],
        scheme: &Fingerprinter,
    ) -> std::result::Result<Self, String> {
        let mut list = AllowList::default();
        for entry in entries {
            list.insert_checked(entry.trim(), scheme)?;
        }
        Ok(list)
    }

    fn insert_checked(
        &mut self,
        entry: &str,
        scheme: &Fingerprinter,
    ) -> std::result::Result<(), String> {
        if is_blob_id(entry) {
            self.blobs.insert(entry.to_string());
            return Ok(());
        }
        let Some(kind) = Kind::of(entry) else {
            return Err(format!(
                "{:?} is not a blobhound fingerprint (argon2id:<hex>, hmac:<key id>:<hex>, or the \
                 64 hex digits of an old baseline) or a blob id (40 hex digits)",
                shorten(entry)
            ));
        };
        scheme
            .can_match(entry)
            .map_err(|why| format!("{} cannot match: {why}", shorten(entry)))?;
        match kind {
            Kind::Legacy => self.legacy.insert(entry.to_string()),
            Kind::Keyed(_) | Kind::Slow => self.fingerprints.insert(entry.to_string()),
        };
        Ok(())
    }

    /// Adds entries a pusher gave (`git push -o blobhound.allow=...`) by their shape. They are not
    /// checked: one that matches nothing allows nothing.
    pub fn extend_unchecked(&mut self, entries: impl IntoIterator<Item = String>) {
        for entry in entries {
            if is_blob_id(&entry) {
                self.blobs.insert(entry);
            } else if Kind::of(&entry) == Some(Kind::Legacy) {
                self.legacy.insert(entry);
            } else {
                self.fingerprints.insert(entry);
            }
        }
    }

    /// Adds every entry of `other`.
    pub fn extend(&mut self, other: AllowList) {
        self.fingerprints.extend(other.fingerprints);
        self.legacy.extend(other.legacy);
        self.blobs.extend(other.blobs);
    }

    /// Whether `finding` is accepted. Needs the finding's secret (not a redacted one) when the
    /// list holds old-style entries.
    pub fn allows(&self, finding: &Finding) -> bool {
        self.fingerprints.contains(&finding.fingerprint)
            || (!self.legacy.is_empty()
                && self
                    .legacy
                    .contains(&legacy(&finding.detector, &finding.secret)))
    }

    /// Whether the blob a gate could not scan is accepted by its id.
    pub fn allows_blob(&self, id: &str) -> bool {
        self.blobs.contains(id)
    }

    /// How many entries are old-style fingerprints, which anyone can test guesses against.
    pub fn legacy_entries(&self) -> usize {
        self.legacy.len()
    }

    /// How many entries name findings (rather than unscanned blobs).
    pub fn finding_entries(&self) -> usize {
        self.fingerprints.len() + self.legacy.len()
    }

    /// Whether the list accepts nothing.
    pub fn is_empty(&self) -> bool {
        self.fingerprints.is_empty() && self.legacy.is_empty() && self.blobs.is_empty()
    }
}

fn is_blob_id(entry: &str) -> bool {
    entry.len() == 40
        && entry
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// An entry as an error message shows it: a line of garbage (or a pasted secret) is cut short.
fn shorten(entry: &str) -> String {
    const SHOWN: usize = 80;
    if entry.chars().count() <= SHOWN {
        entry.to_string()
    } else {
        entry.chars().take(SHOWN).collect::<String>() + "..."
    }
}

/// Drops the findings `accepted` allows; returns them.
pub fn apply(report: &mut Report, accepted: &AllowList) -> Vec<Finding> {
    let (dropped, kept) = std::mem::take(&mut report.findings)
        .into_iter()
        .partition(|f| accepted.allows(f));
    report.findings = kept;
    dropped
}

#[cfg(test)]
mod tests {
    use super::*;

    const FP: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";

    fn slow() -> Fingerprinter {
        Fingerprinter::unkeyed()
    }

    #[test]
    fn plain_text_allow_files_take_comments() {
        let fp = format!("argon2id:{FP}");
        let parsed = AllowList::parse(
            &format!("# accepted test key\n{fp}  # fixture\n\n"),
            &slow(),
        )
        .unwrap();
        assert_eq!(parsed.fingerprints.into_iter().collect::<Vec<_>>(), [fp]);
    }

    #[test]
    fn baseline_json_round_trips() {
        let fp = format!("argon2id:{FP}");
        let baseline = Baseline {
            version: BASELINE_VERSION,
            scheme: Some("argon2id".into()),
            findings: vec![BaselineEntry {
                fingerprint: fp.clone(),
                detector: "django-secret-key".into(),
                path: Some("settings.py".into()),
                commit: None,
            }],
        };
        let text = serde_json::to_string(&baseline).unwrap();
        assert!(AllowList::parse(&text, &slow())
            .unwrap()
            .fingerprints
            .contains(&fp));
    }

    #[test]
    fn a_secret_instead_of_a_fingerprint_is_an_error() {
        assert!(AllowList::parse("django-insecure-abcdef\n", &slow()).is_err());
    }

    #[test]
    fn an_entry_made_with_another_key_is_an_error() {
        let keyed = Fingerprinter::keyed(b"0123456789abcdef0123").unwrap();
        let entry = keyed.fingerprint("d", "s");
        let error = AllowList::parse(&entry, &slow()).unwrap_err();
        assert!(error.contains("no key is set"), "{error}");
        assert!(AllowList::parse(&entry, &keyed).is_ok());
    }

    #[test]
    fn a_long_bad_line_is_cut_short_in_the_error() {
        let error = AllowList::parse(&"x".repeat(100_000), &slow()).unwrap_err();
        assert!(error.len() < 400, "{}", error.len());
    }
}
