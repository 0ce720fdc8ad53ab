//! One keyword search over each blob for every detector at once.
//!
//! A blob is read once no matter how many detectors there are, and a detector's regex only runs
//! near the places its keywords occur, so adding detectors costs in proportion to keyword hits.
//!
//! Keywords match ASCII case-insensitively. Asking `aho-corasick` for that directly disables its
//! SIMD (Teddy) searcher and caps a search near 600 MiB/s on source text, so instead each blob is
//! lowercased a chunk at a time (a vectorised copy) and searched case-sensitively for the lowercase
//! keywords with Teddy, which runs at several GiB/s. Teddy reports one pattern per position, so at
//! each candidate every keyword is checked, and overlapping keywords of different detectors are
//! all found.

use aho_corasick::packed;
use aho_corasick::{AhoCorasick, Input, MatchKind, Span};

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

/// Bytes lowercased and searched at a time (fits in L2 with room to spare).
const CHUNK: usize = 64 * 1024;
/// Patterns per Teddy searcher: Teddy (fat, 16 buckets) takes at most 64.
const GROUP: usize = 64;

/// The searcher for one group of patterns.
#[derive(Debug)]
enum Searcher {
    /// SIMD Teddy, where the CPU supports it.
    Packed(packed::Searcher),
    /// A DFA elsewhere.
    Automaton(AhoCorasick),
}

impl Searcher {
    fn new(patterns: &[Vec<u8>]) -> Result<Self> {
        if let Some(teddy) = packed::Config::new()
            .match_kind(packed::MatchKind::LeftmostFirst)
            .builder()
            .extend(patterns)
            .build()
        {
            return Ok(Searcher::Packed(teddy));
        }
        AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostFirst)
            .build(patterns)
            .map(Searcher::Automaton)
            .map_err(|e| Error::detector("keywords", e.to_string()))
    }

    /// The first candidate position at or after `from`.
    fn next(&self, haystack: &[u8], from: usize) -> Option<usize> {
        match self {
            Searcher::Packed(teddy) => teddy
                .find_in(haystack, Span::from(from..haystack.len()))
                .map(|m| m.start()),
            Searcher::Automaton(ac) => ac
                .find(Input::new(haystack).range(from..))
                .map(|m| m.start()),
        }
    }
}

/// The keyword searchers and, for each keyword, the detectors that own it.
#[derive(Debug)]
pub struct Prefilter {
    /// Distinct lowercase keywords.
    patterns: Vec<Vec<u8>>,
    /// For each keyword, the detectors that listed it.
    owners: Vec<Vec<usize>>,
    /// Searchers over consecutive groups of `patterns`, with the index of their first pattern.
    searchers: Vec<(usize, Searcher)>,
    /// Length of the longest keyword.
    longest: usize,
}

impl Prefilter {
    /// Builds the searchers; a keyword shared by several detectors is searched once.
    pub fn new(detectors: &[Detector]) -> Result<Self> {
        let mut patterns: Vec<Vec<u8>> = Vec::new();
        let mut owners: Vec<Vec<usize>> = Vec::new();
        for (index, detector) in detectors.iter().enumerate() {
            for keyword in &detector.keywords {
                let lowered = keyword.to_ascii_lowercase().into_bytes();
                match patterns.iter().position(|p| *p == lowered) {
                    Some(existing) if !owners[existing].contains(&index) => {
                        owners[existing].push(index)
                    }
                    Some(_) => {}
                    None => {
                        patterns.push(lowered);
                        owners.push(vec![index]);
                    }
                }
            }
        }
        // Teddy fingerprints a group by the first min(4, shortest pattern) bytes of its patterns,
        // so one three-byte keyword in a group of 64 would make every pattern's filter weaker.
        // Longest first keeps short keywords together in the last group.
        let mut order: Vec<usize> = (0..patterns.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(patterns[i].len()));
        let patterns: Vec<Vec<u8>> = order.iter().map(|&i| patterns[i].clone()).collect();
        let owners: Vec<Vec<usize>> = order.iter().map(|&i| owners[i].clone()).collect();
        let mut searchers = Vec::new();
        for (n, group) in patterns.chunks(GROUP).enumerate() {
            searchers.push((n * GROUP, Searcher::new(group)?));
        }
        let longest = patterns.iter().map(Vec::len).max().unwrap_or(0);
        Ok(Prefilter {
            patterns,
            owners,
            searchers,
            longest,
        })
    }

    /// Every keyword occurrence in `data`, overlapping ones included, sorted by detector then
    /// offset. `scratch` is reused between calls to avoid an allocation per blob.
    pub fn hits(&self, data: &[u8], scratch: &mut Vec<u8>, out: &mut Vec<Hit>) {
        out.clear();
        if self.patterns.is_empty() || data.is_empty() {
            return;
        }
        // Chunks overlap by one byte less than the longest keyword, so a keyword that straddles
        // a boundary is found whole in the next chunk; a candidate is only taken in the part of
        // a chunk that the next one does not repeat.
        let overlap = self.longest.saturating_sub(1);
        let step = CHUNK.max(overlap + 1) - overlap;
        let mut base = 0;
        loop {
            let end = (base + step + overlap).min(data.len());
            let last = end == data.len();
            let owned_end = if last { end } else { base + step };
            scratch.clear();
            scratch.extend_from_slice(&data[base..end]);
            scratch.make_ascii_lowercase();
            for (first, searcher) in &self.searchers {
                let group_end = (*first + GROUP).min(self.patterns.len());
                let mut from = 0;
                while let Some(at) = searcher.next(scratch, from) {
                    if base + at >= owned_end {
                        break;
                    }
                    for p in *first..group_end {
                        let pattern = &self.patterns[p];
                        if scratch[at..].starts_with(pattern) {
                            for &detector in &self.owners[p] {
                                out.push(Hit {
                                    detector,
                                    start: base + at,
                                    end: base + at + pattern.len(),
                                });
                            }
                        }
                    }
                    from = at + 1;
                }
            }
            if last {
                break;
            }
            base += step;
        }
        out.sort_unstable();
        out.dedup();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detectors::compile;

    fn detector(id: &str, keywords: &[&str]) -> Detector {
        let list = keywords
            .iter()
            .map(|k| format!("{k:?}"))
            .collect::<Vec<_>>()
            .join(", ");
        compile(
            id,
            &format!(
                "id = \"{id}\"\nname = \"x\"\nfamily = \"x\"\nconfidence = \"high\"\nkeywords = [{list}]\nregex = '''(?P<secret>x)'''\n"
            ),
        )
        .unwrap()
    }

    fn hits(prefilter: &Prefilter, data: &[u8]) -> Vec<Hit> {
        let mut out = Vec::new();
        prefilter.hits(data, &mut Vec::new(), &mut out);
        out
    }

    #[test]
    fn keywords_match_in_any_case() {
        let p = Prefilter::new(&[detector("a", &["SECRET_KEY"])]).unwrap();
        let found = hits(&p, b"secret_key = 1\nSecret_Key = 2\n");
        assert_eq!(found.iter().map(|h| h.start).collect::<Vec<_>>(), [0, 15]);
    }

    #[test]
    fn overlapping_keywords_of_different_detectors_are_all_found() {
        let p = Prefilter::new(&[
            detector("a", &["aws_secret"]),
            detector("b", &["secret_access_key"]),
            detector("c", &["aws_secret_access"]),
        ])
        .unwrap();
        let found = hits(&p, b"AWS_SECRET_ACCESS_KEY=x");
        let detectors: Vec<usize> = found.iter().map(|h| h.detector).collect();
        assert_eq!(detectors, [0, 1, 2]);
    }

    #[test]
    fn a_keyword_across_a_chunk_boundary_is_found_once() {
        let p = Prefilter::new(&[detector("a", &["postgres"])]).unwrap();
        for at in [CHUNK - 9, CHUNK - 4, CHUNK - 1, CHUNK, 2 * CHUNK - 3] {
            let mut data = vec![b'.'; 3 * CHUNK];
            data[at..at + 8].copy_from_slice(b"POSTGRES");
            let found = hits(&p, &data);
            assert_eq!(found.len(), 1, "keyword at {at}");
            assert_eq!(found[0].start, at);
        }
    }

    #[test]
    fn more_keywords_than_one_searcher_holds_are_all_searched() {
        let names: Vec<String> = (0..(GROUP * 2 + 5)).map(|i| format!("kw{i:03}x")).collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let p = Prefilter::new(&[detector("a", &refs)]).unwrap();
        let text = names.join(" ");
        assert_eq!(hits(&p, text.as_bytes()).len(), names.len());
    }
}
