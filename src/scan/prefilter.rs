//! One Aho-Corasick automaton over every detector's keywords.
//!
//! A blob is read once no matter how many detectors there are; a detector's regex only runs near
//! the places its keywords occur, so adding detectors costs in proportion to keyword hits, not to
//! the number of detectors.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use crate::detectors::Detector;
use crate::error::{Error, Result};

/// Where a detector's keyword occurs in a blob.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Hit {
    /// Index of the detector in the engine's list.
    pub detector: usize,
    /// Byte offset where the keyword starts.
    pub start: usize,
    /// Byte offset just past the keyword.
    pub end: usize,
}

/// The automaton and, for each of its patterns, the detectors that own that keyword.
#[derive(Debug)]
pub struct Prefilter {
    automaton: AhoCorasick,
    owners: Vec<Vec<usize>>,
}

impl Prefilter {
    /// Builds the automaton; a keyword shared by several detectors becomes one pattern.
    pub fn new(detectors: &[Detector]) -> Result<Self> {
        let mut patterns: Vec<String> = Vec::new();
        let mut owners: Vec<Vec<usize>> = Vec::new();
        for (index, detector) in detectors.iter().enumerate() {
            for keyword in &detector.keywords {
                let lowered = keyword.to_ascii_lowercase();
                match patterns.iter().position(|p| *p == lowered) {
                    Some(existing) => {
                        if !owners[existing].contains(&index) {
                            owners[existing].push(index);
                        }
                    }
                    None => {
                        patterns.push(lowered);
                        owners.push(vec![index]);
                    }
                }
            }
        }
        let automaton = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .build(&patterns)
            .map_err(|e| Error::detector("keywords", e.to_string()))?;
        Ok(Prefilter { automaton, owners })
    }

    /// Every keyword occurrence in `data`, overlapping ones included, sorted by detector then offset.
    pub fn hits(&self, data: &[u8], out: &mut Vec<Hit>) {
        out.clear();
        for m in self.automaton.find_overlapping_iter(data) {
            for &detector in &self.owners[m.pattern().as_usize()] {
                out.push(Hit {
                    detector,
                    start: m.start(),
                    end: m.end(),
                });
            }
        }
        out.sort_unstable();
    }
}
