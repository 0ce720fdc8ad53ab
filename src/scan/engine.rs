//! The detector engine: bytes in, matches out. It knows nothing about git, files or reports, so the
//! same engine serves history scans, directory scans, hooks and the detector self-test.

use std::ops::Range;

use regex::bytes::{Captures, Regex};
use serde_json::Value;

use super::checks::Candidate;
use super::entropy::shannon;
use super::filters::{contains_placeholder, looks_fake};
use super::lines::{around, locate};
use super::prefilter::{Hit, Prefilter};
use super::triggers::{Triggers, LITERALS};
use crate::detectors::{Detector, DetectorSet};
use crate::error::Result;
use crate::model::{Confidence, Fields, Origin};

/// Bytes either side of a keyword that its detector's regex may see at most (long lines).
const WINDOW_BYTES: usize = 2048;
/// The inline marker that silences findings on its line.
const ALLOW_MARKER: &[u8] = b"blobhound:allow";

/// One secret found in one blob.
#[derive(Debug, Clone, PartialEq)]
pub struct BlobMatch {
    /// Index of the detector in the engine's set.
    pub detector: usize,
    /// The secret, lossily decoded as UTF-8.
    pub secret: String,
    /// The whole matched text (e.g. the URL around a password).
    pub matched: String,
    /// Byte offset of the secret in the blob.
    pub offset: usize,
    /// 1-based line of the secret.
    pub line: u32,
    /// 1-based column (in characters) of the secret.
    pub column: u32,
    /// Named groups and check output.
    pub fields: Fields,
    /// Shannon entropy of the secret, bits per byte.
    pub entropy: f64,
    /// Confidence after checks.
    pub confidence: Confidence,
    /// Why the value was judged typed rather than generated (and lowered to LOW), if it was.
    /// (Owned when the match was restored from an earlier scan's record.)
    pub confidence_reason: Option<std::borrow::Cow<'static, str>>,
    /// How the text was reached inside the blob (set by the decoding layer; plain for the
    /// blob's own text).
    pub origin: Origin,
}

/// Compiled detectors plus their shared prefilter.
#[derive(Debug)]
pub struct Engine {
    set: DetectorSet,
    prefilter: Prefilter,
}

impl Engine {
    /// Builds the prefilter over the set's keywords.
    pub fn new(set: DetectorSet) -> Result<Self> {
        let triggers: Vec<&str> = LITERALS.iter().map(|(_, literal)| *literal).collect();
        let prefilter = Prefilter::with_extra(set.detectors(), &triggers)?;
        Ok(Engine { set, prefilter })
    }

    /// The detector set, for lookups by id (advice, names).
    pub fn set(&self) -> &DetectorSet {
        &self.set
    }

    /// The detectors, indexed as in [`BlobMatch::detector`].
    pub fn detectors(&self) -> &[Detector] {
        self.set.detectors()
    }

    /// Finds every secret in `data`.
    pub fn scan(&self, data: &[u8]) -> Vec<BlobMatch> {
        self.scan_text(data).0
    }

    /// Finds every secret in `data`, and says which of the decoding layer's triggers it holds
    /// (found in the same pass as the keywords).
    pub fn scan_text(&self, data: &[u8]) -> (Vec<BlobMatch>, Triggers) {
        thread_local! {
            static SCRATCH: std::cell::RefCell<(Vec<u8>, Vec<Hit>)> =
                const { std::cell::RefCell::new((Vec::new(), Vec::new())) };
        }
        SCRATCH.with(|scratch| match scratch.try_borrow_mut() {
            Ok(mut scratch) => {
                let (lowered, hits) = &mut *scratch;
                self.scan_with(data, lowered, hits)
            }
            Err(_) => self.scan_with(data, &mut Vec::new(), &mut Vec::new()),
        })
    }

    fn scan_with(
        &self,
        data: &[u8],
        lowered: &mut Vec<u8>,
        hits: &mut Vec<Hit>,
    ) -> (Vec<BlobMatch>, Triggers) {
        self.prefilter.hits(data, lowered, hits);
        let mut found: Vec<BlobMatch> = Vec::new();
        let mut triggers = Triggers::default();
        let detectors = self.detectors().len();
        let mut start = 0;
        while start < hits.len() {
            let detector = hits[start].detector;
            if detector >= detectors {
                // Hits are sorted by detector: the rest are triggers.
                for hit in &hits[start..] {
                    if let Some((trigger, _)) = LITERALS.get(hit.detector - detectors) {
                        triggers.set_at(*trigger, hit.start);
                    }
                }
                break;
            }
            let end = hits[start..]
                .iter()
                .position(|h| h.detector != detector)
                .map_or(hits.len(), |n| start + n);
            self.run_detector(detector, data, &hits[start..end], &mut found);
            start = end;
        }
        // The same secret at the same place found by a more specific, more confident detector:
        // the weaker duplicate (the generic assignment detector, typically) adds only noise.
        // A generic detector also yields to a specific one at the same confidence.
        let generic = |m: &BlobMatch| self.detectors()[m.detector].is_generic();
        // A generic match inside a specific detector's secret (a Django key that holds a `#`
        // the generic assignment stops at) is a piece of that secret.
        let stronger = |m: &BlobMatch| {
            found.iter().any(|o| {
                let same = o.offset == m.offset && o.secret == m.secret;
                let inside = generic(m)
                    && !generic(o)
                    && o.confidence >= m.confidence
                    && o.offset <= m.offset
                    && m.offset + m.secret.len() <= o.offset + o.secret.len()
                    && o.secret.len() > m.secret.len();
                inside
                    || same
                        && (o.confidence > m.confidence
                            || (o.confidence == m.confidence && generic(m) && !generic(o)))
            })
        };
        let keep: Vec<bool> = found.iter().map(|m| !stronger(m)).collect();
        let found = found
            .into_iter()
            .zip(keep)
            .filter_map(|(m, keep)| keep.then_some(m))
            .collect();
        (found, triggers)
    }

    fn run_detector(&self, index: usize, data: &[u8], hits: &[Hit], found: &mut Vec<BlobMatch>) {
        let detector = &self.detectors()[index];
        let Some(regex) = detector.pattern.regex() else {
            return;
        };
        let first_new = found.len();
        for window in merged_windows(data, hits, detector.window_lines) {
            let haystack = &data[..window.end];
            let mut at = window.start;
            while at < window.end {
                let Some(caps) = regex.captures_at(haystack, at) else {
                    break;
                };
                let whole = caps.get(0).map_or(at..at, |m| m.range());
                at = if whole.end > whole.start {
                    whole.end
                } else {
                    whole.end + 1
                };
                if let Some(m) = self.judge(index, regex, data, &caps) {
                    let duplicate = found[first_new..]
                        .iter()
                        .any(|f| f.offset == m.offset && f.secret == m.secret);
                    if !duplicate {
                        found.push(m);
                    }
                }
            }
        }
    }

    /// Turns a regex match into a finding, or rejects it.
    fn judge(
        &self,
        index: usize,
        regex: &Regex,
        data: &[u8],
        caps: &Captures<'_>,
    ) -> Option<BlobMatch> {
        let detector = &self.detectors()[index];
        let secret = caps.name("secret")?;
        let mut fields = Fields::new();
        for name in regex.capture_names().flatten() {
            if name == "secret" {
                continue;
            }
            if let Some(m) = caps.name(name) {
                fields.insert(
                    name.to_string(),
                    Value::String(String::from_utf8_lossy(m.as_bytes()).into_owned()),
                );
            }
        }
        let mut candidate = Candidate {
            secret: secret.range(),
            matched: caps.get(0)?.range(),
            fields,
            confidence: detector.confidence,
            entropy_skip: 0,
        };
        if !super::checks::apply(detector.check, data, caps, &mut candidate) {
            return None;
        }
        let secret = &data[candidate.secret.clone()];
        if secret.is_empty() || looks_fake(secret).is_some() {
            return None;
        }
        if contains_placeholder(secret, &detector.placeholders) {
            return None;
        }
        let random_part = &secret[candidate.entropy_skip.min(secret.len())..];
        let entropy = shannon(random_part);
        if entropy < detector.min_entropy {
            return None;
        }
        let confidence_reason = super::quality::judge(random_part, &candidate.fields);
        if confidence_reason.is_some() {
            candidate.confidence = Confidence::Low;
        }
        let (line_range, line, column) = locate(data, candidate.secret.start);
        if self.allowed_inline(&data[line_range], &detector.id) {
            return None;
        }
        Some(BlobMatch {
            detector: index,
            secret: String::from_utf8_lossy(secret).into_owned(),
            matched: String::from_utf8_lossy(&data[candidate.matched]).into_owned(),
            offset: candidate.secret.start,
            line,
            column,
            fields: candidate.fields,
            entropy: (entropy * 1000.0).round() / 1000.0,
            confidence: candidate.confidence,
            confidence_reason: confidence_reason.map(std::borrow::Cow::Borrowed),
            origin: Origin::default(),
        })
    }

    /// Whether the line carries `blobhound:allow`, either bare or naming this detector. A word after
    /// the marker that is not a detector id is taken as the reason, not as a restriction.
    fn allowed_inline(&self, line: &[u8], detector_id: &str) -> bool {
        let Some(at) = memchr::memmem::find(line, ALLOW_MARKER) else {
            return false;
        };
        let rest = &line[at + ALLOW_MARKER.len()..];
        let word: Vec<u8> = rest
            .iter()
            .skip_while(|b| b.is_ascii_whitespace() || **b == b':' || **b == b'=')
            .take_while(|b| b.is_ascii_alphanumeric() || **b == b'-')
            .copied()
            .collect();
        let names_a_detector = self
            .detectors()
            .iter()
            .any(|d| d.id.as_bytes() == word.as_slice());
        !names_a_detector || word == detector_id.as_bytes()
    }
}

/// The windows around a detector's keyword hits, merged where they overlap.
fn merged_windows(data: &[u8], hits: &[Hit], (before, after): (usize, usize)) -> Vec<Range<usize>> {
    let mut windows: Vec<Range<usize>> = Vec::new();
    for hit in hits {
        let window = around(data, &(hit.start..hit.end), before, after, WINDOW_BYTES);
        match windows.last_mut() {
            Some(last) if window.start <= last.end => last.end = last.end.max(window.end),
            _ => windows.push(window),
        }
    }
    windows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn engine() -> Engine {
        Engine::new(DetectorSet::builtin().expect("built-in detectors")).expect("engine")
    }

    #[test]
    fn invalid_utf8_around_a_secret_does_not_hide_it() {
        let mut blob = vec![0xff, 0xfe, b'\n'];
        blob.extend_from_slice(b"DATABASE_URL=postgres://shop:Qm7vX2pL9rT4@db.test:5432/shop\n");
        blob.extend_from_slice(&[0xc3, 0x28, b'\n']);
        let found = engine().scan(&blob);
        assert!(found
            .iter()
            .any(|m| m.secret == "Qm7vX2pL9rT4" && m.line == 2));
    }

    #[test]
    fn blobhound_allow_silences_its_line_only() {
        let text = b"DATABASE_URL=postgres://shop:Qm7vX2pL9rT4@db.test/shop  # blobhound:allow test fixture\nOTHER=postgres://shop:Zx8cV3bN6mK1@db.test/shop\n";
        let found = engine().scan(text);
        let secrets: Vec<&str> = found.iter().map(|m| m.secret.as_str()).collect();
        assert_eq!(secrets, ["Zx8cV3bN6mK1"]);
    }

    #[test]
    fn blobhound_allow_naming_another_detector_does_not_silence_this_one() {
        let text =
            b"DATABASE_URL=postgres://shop:Qm7vX2pL9rT4@db.test/shop  # blobhound:allow aws-access-key\n";
        assert_eq!(engine().scan(text).len(), 1);
    }

    #[test]
    fn crlf_line_endings_stay_out_of_secrets() {
        let text = b"SECRET_KEY=k3#v9!q2m(z8x0p4r-w7t=s1u+y6e\r\nDEBUG=1\r\n";
        let found = engine().scan(text);
        assert_eq!(found[0].secret, "k3#v9!q2m(z8x0p4r-w7t=s1u+y6e");
    }

    #[test]
    fn text_without_keywords_costs_no_regex_and_finds_nothing() {
        assert!(engine()
            .scan(b"fn main() { println!(\"hello\"); }")
            .is_empty());
    }
}
