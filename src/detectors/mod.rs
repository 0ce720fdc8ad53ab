//! Detector definitions: loaded from TOML data files, compiled once, shared by every scan thread.
//!
//! Detectors are data rather than code so that a reviewer can read a rule together with its examples,
//! negatives and rotation advice in one file, and so that users can add their own without a rebuild.
//! The built-in files under `detectors/` are embedded into the binary at compile time.

mod builtin;
mod check;
mod pattern;
mod spec;

use std::path::Path;

use sha2::Digest;

use crate::error::{Error, Result};
use crate::model::Confidence;
pub use check::Check;
pub use pattern::{Compilation, Pattern};
pub use spec::{Advice, Example, NegativeExample};

/// One compiled detector.
#[derive(Debug)]
pub struct Detector {
    /// Stable identifier, used in fingerprints, baselines and `--only`/`--skip`.
    pub id: String,
    /// Human-readable name.
    pub name: String,
    /// Which kind of service the secret belongs to; drives rotation advice.
    pub family: String,
    /// Confidence of a finding unless a check lowers it.
    pub confidence: Confidence,
    /// Literals whose presence (case-insensitive) makes the regex worth running.
    pub keywords: Vec<String>,
    /// The pattern; its `secret` group is the credential.
    pub pattern: Pattern,
    /// Lines before and after a keyword's line that the regex sees. Most of the regex's cost is
    /// scanning this window at every keyword hit, so a detector whose matches never span lines
    /// (a token, a URL, a one-line assignment) says `[0, 0]` and runs several times faster.
    pub window_lines: (usize, usize),
    /// Shannon entropy floor, in bits per byte, for the secret.
    pub min_entropy: f64,
    /// Lowercased substrings that mark a secret as a placeholder.
    pub placeholders: Vec<String>,
    /// Code run on each match where a pattern alone cannot decide.
    pub check: Check,
    /// Which live verification applies (declared now; used by `--verify`).
    pub verify: String,
    /// Rotation advice shown with findings.
    pub advice: Advice,
    /// Texts the detector must find, with the secret it must report.
    pub examples: Vec<Example>,
    /// Texts the detector must stay silent on.
    pub negative_examples: Vec<NegativeExample>,
    /// Where the detector came from (file path or `builtin:<file>`), for error messages.
    pub origin: String,
    /// SHA-256 of the file's text: an audit's state notes the detector set by it, so that any
    /// change to a rule (its pattern, a placeholder, a check) rescans what the old rule read.
    pub source_sha256: [u8; 32],
}

impl Detector {
    /// Whether this detector matches by setting name alone (the `generic` family): it yields to
    /// a specific detector that finds the same value, and its finds in test files are fixtures.
    pub fn is_generic(&self) -> bool {
        self.family == "generic"
    }
}

/// A compiled, validated set of detectors with unique ids.
#[derive(Debug, Default)]
pub struct DetectorSet {
    detectors: Vec<Detector>,
}

impl DetectorSet {
    /// The detectors shipped inside the binary.
    pub fn builtin() -> Result<Self> {
        let mut set = DetectorSet::default();
        for (file, text) in builtin::FILES {
            set.push(compile_with(
                &format!("builtin:{file}"),
                text,
                Compilation::OnFirstUse,
            )?)?;
        }
        Ok(set)
    }

    /// Every `*.toml` file in `dir`, in file-name order.
    pub fn from_dir(dir: &Path) -> Result<Self> {
        let mut set = DetectorSet::default();
        set.extend_from_dir(dir)?;
        Ok(set)
    }

    /// Adds every `*.toml` file in `dir`; a duplicate id is an error rather than a silent override.
    pub fn extend_from_dir(&mut self, dir: &Path) -> Result<()> {
        let entries = std::fs::read_dir(dir)
            .map_err(|e| Error::io(format!("reading detector directory {}", dir.display()), e))?;
        let mut files = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| Error::io(format!("reading {}", dir.display()), e))?;
            let path = entry.path();
            if path.extension().is_some_and(|ext| ext == "toml") {
                files.push(path);
            }
        }
        files.sort();
        if files.is_empty() {
            return Err(Error::detector(
                dir.display().to_string(),
                "no *.toml detector files in this directory",
            ));
        }
        for path in files {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
            self.push(compile(&path.display().to_string(), &text)?)?;
        }
        Ok(())
    }

    /// Adds one compiled detector; a duplicate id is an error.
    pub fn add(&mut self, detector: Detector) -> Result<()> {
        self.push(detector)
    }

    fn push(&mut self, detector: Detector) -> Result<()> {
        if let Some(existing) = self.detectors.iter().find(|d| d.id == detector.id) {
            return Err(Error::detector(
                detector.origin.clone(),
                format!(
                    "detector id {:?} is already defined by {}",
                    detector.id, existing.origin
                ),
            ));
        }
        self.detectors.push(detector);
        Ok(())
    }

    /// Keeps only the named detectors (`--only`), or drops them (`--skip`); unknown ids are an error
    /// because a typo there would silently scan for nothing.
    pub fn select(self, only: &[String], skip: &[String]) -> Result<Self> {
        for id in only.iter().chain(skip) {
            if !self.detectors.iter().any(|d| &d.id == id) {
                return Err(Error::Usage(format!(
                    "unknown detector id {id:?} (see `blobhound detectors list`)"
                )));
            }
        }
        let detectors: Vec<Detector> = self
            .detectors
            .into_iter()
            .filter(|d| only.is_empty() || only.contains(&d.id))
            .filter(|d| !skip.contains(&d.id))
            .collect();
        if detectors.is_empty() {
            return Err(Error::Usage(
                "--only and --skip leave no detector to run: a scan would find nothing".into(),
            ));
        }
        Ok(DetectorSet { detectors })
    }

    /// The detectors, in load order.
    pub fn detectors(&self) -> &[Detector] {
        &self.detectors
    }

    /// One digest of every detector's id and text, in id order: equal digests mean the same rules,
    /// whichever files or order they were loaded from.
    pub fn digest(&self) -> String {
        let mut rules: Vec<(&str, &[u8; 32])> = self
            .detectors
            .iter()
            .map(|d| (d.id.as_str(), &d.source_sha256))
            .collect();
        rules.sort();
        let mut hasher = sha2::Sha256::new();
        for (id, text) in rules {
            hasher.update(id.as_bytes());
            hasher.update([0]);
            hasher.update(text);
        }
        crate::model::hex(&hasher.finalize())
    }

    /// Looks a detector up by id.
    pub fn get(&self, id: &str) -> Option<&Detector> {
        self.detectors.iter().find(|d| d.id == id)
    }
}

/// A parser's message with each line cut short: TOML errors quote the offending line, and a file
/// of one enormous line must not fill the terminal.
fn bounded(message: &str) -> String {
    const LINE: usize = 200;
    message
        .lines()
        .take(20)
        .map(|line| {
            if line.chars().count() > LINE {
                line.chars().take(LINE).collect::<String>() + " ..."
            } else {
                line.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Lines either side of a keyword a detector may ask to see; the window is also capped in bytes.
const MAX_WINDOW_LINES: usize = 50;

/// Parses and compiles one detector file, reporting every problem against `origin`.
pub fn compile(origin: &str, text: &str) -> Result<Detector> {
    compile_with(origin, text, Compilation::AtLoad)
}

/// Parses a detector file and checks everything in it, compiling its pattern `when` asked.
fn compile_with(origin: &str, text: &str, when: Compilation) -> Result<Detector> {
    let spec: spec::DetectorSpec =
        toml::from_str(text).map_err(|e| Error::detector(origin, bounded(&e.to_string())))?;
    let fail = |message: String| Error::detector(origin, message);
    if spec.id.is_empty()
        || !spec
            .id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err(fail(format!(
            "id {:?} must be non-empty lowercase letters, digits and '-'",
            spec.id
        )));
    }
    if spec.keywords.is_empty() || spec.keywords.iter().any(|k| k.is_empty()) {
        return Err(fail(
            "keywords must list at least one non-empty literal (the prefilter needs it)".into(),
        ));
    }
    if spec.window_lines.iter().any(|&n| n > MAX_WINDOW_LINES) {
        return Err(fail(format!(
            "window_lines {:?}: at most {MAX_WINDOW_LINES} lines either side",
            spec.window_lines
        )));
    }
    // NaN would compare false with every entropy (a floor that lets nothing through, or everything,
    // depending on how the comparison is written); no byte string has more than 8 bits per byte.
    if !(0.0..=8.0).contains(&spec.min_entropy) {
        return Err(fail(format!(
            "min_entropy {} must be a number from 0 to 8 (bits per byte)",
            spec.min_entropy
        )));
    }
    let pattern = Pattern::new(&spec.regex, when).map_err(fail)?;
    let check = Check::from_name(&spec.check).ok_or_else(|| {
        fail(format!(
            "unknown check {:?}; known: {}",
            spec.check,
            Check::NAMES.join(", ")
        ))
    })?;
    // A kind names the service that could confirm the secret; kinds without a check yet
    // (github, slack, stripe ...) are declared now and verified as `unknown` until one exists.
    if spec.verify.is_empty()
        || !spec
            .verify
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err(fail(format!(
            "verify kind {:?} must be lowercase letters, digits and '-' (\"none\" for no service)",
            spec.verify
        )));
    }
    Ok(Detector {
        id: spec.id,
        name: spec.name,
        family: spec.family,
        confidence: spec.confidence,
        keywords: spec.keywords,
        pattern,
        window_lines: (spec.window_lines[0], spec.window_lines[1]),
        min_entropy: spec.min_entropy,
        placeholders: spec
            .placeholders
            .iter()
            .map(|p| p.to_ascii_lowercase())
            .collect(),
        check,
        verify: spec.verify,
        advice: spec.advice,
        examples: spec.examples,
        negative_examples: spec.negative_examples,
        origin: origin.to_string(),
        source_sha256: sha2::Sha256::digest(text.as_bytes()).into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_built_in_pattern_compiles_when_first_used() {
        let set = DetectorSet::builtin().unwrap();
        assert!(set.detectors().len() > 20);
        for detector in set.detectors() {
            assert!(detector.pattern.regex().is_some(), "{}", detector.id);
        }
    }
}
