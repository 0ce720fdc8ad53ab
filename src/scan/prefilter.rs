//! One keyword search over each blob for every detector at once.
//!
//! A blob is read once no matter how many detectors there are, and a detector's regex only runs
//! near the places its keywords occur, so adding detectors costs in proportion to keyword hits.
//!
//! Keywords match ASCII case-insensitively. Asking `aho-corasick` for that directly disables its
//! SIMD (Teddy) searcher and caps a search near 600 MiB/s on source text, so instead each blob is
//! lowercased a chunk at a time (a vectorised copy) and searched case-sensitively with Teddy.
//!
//! Teddy's cost is one pass over the text per searcher, and a searcher stays fast only while it
//! holds a few dozen patterns (more share its eight fingerprint buckets and every false candidate
//! costs a verification). So the searchers look for *anchors*, not for every keyword: a keyword
//! that contains another keyword (`aws_secret_access_key` contains `secret`) is not searched for
//! itself but checked where its anchor is found. A keyword is still reported exactly where it
//! occurs, for exactly the detectors that listed it; only the number of passes shrinks. Past a few
//! Teddy searchers (hundreds of detectors of one's own), every anchor of four bytes or more goes to
//! one hashed pass instead ([`ManyLiterals`]), whose cost does not grow with their number.

use aho_corasick::packed;
use aho_corasick::{AhoCorasick, AhoCorasickKind, Input, MatchKind, Span};

use super::many_literals::ManyLiterals;
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
/// Anchors per Teddy searcher at most: the fewest searchers that hold every anchor, each
/// Teddy's limit of 64 or fewer, split evenly. Measured with the engine bench: 68 built-in
/// anchors ran fastest as two searchers of 34 (fat Teddy), ahead of three of 23 or 24; 114 took
/// 18% less time as two of 57 than as four of 29 (16.2 against 13.3 ms on 8 MiB: one pass over
/// the text costs more than the extra false candidates of a fuller searcher).
const GROUP: usize = 64;
/// Slim Teddy's fingerprint buckets. A group of more than 32 anchors gets fat Teddy's 16, and
/// pattern `i` then lands in bucket `i % 16`: runs dealt eight apart still share two buckets,
/// which measured faster than dealing sixteen runs of two.
const BUCKETS: usize = 8;
/// Anchors of four bytes or more that Teddy searchers take at most; past this, one
/// [`ManyLiterals`] pass searches all of them. Measured with the engine bench (built-in plus
/// idle detectors): four Teddy searchers of 34 ran at 1.18 GiB/s against 836 MiB/s for the one
/// pass, six at 820 against 842 MiB/s.
const TEDDY_ANCHORS: usize = 170;
/// Searchers at most; past this many (only with hundreds of keywords under four bytes), one
/// automaton searches all anchors instead.
const MAX_PASSES: usize = 12;

/// The searcher for one group of anchors.
#[derive(Debug)]
enum Searcher {
    /// SIMD Teddy, where the CPU supports it.
    Packed(packed::Searcher),
    /// More anchors than a few Teddy searchers hold.
    Many(ManyLiterals),
    /// A DFA elsewhere.
    Automaton(AhoCorasick),
}

impl Searcher {
    /// Teddy over `patterns`, or `None` where the CPU has no SIMD for it.
    fn packed(patterns: &[Vec<u8>]) -> Option<Self> {
        packed::Config::new()
            .match_kind(packed::MatchKind::LeftmostFirst)
            .builder()
            .extend(patterns)
            .build()
            .map(Searcher::Packed)
    }

    fn automaton(patterns: &[Vec<u8>]) -> Result<Self> {
        AhoCorasick::builder()
            .kind(Some(AhoCorasickKind::DFA))
            .match_kind(MatchKind::LeftmostFirst)
            .build(patterns)
            .map(Searcher::Automaton)
            .map_err(|e| Error::detector("keywords", e.to_string()))
    }

    /// The first anchor at or after `from`: its position and its index in the group.
    fn next(&self, haystack: &[u8], from: usize) -> Option<(usize, usize)> {
        match self {
            Searcher::Packed(teddy) => teddy
                .find_in(haystack, Span::from(from..haystack.len()))
                .map(|m| (m.start(), m.pattern().as_usize())),
            Searcher::Many(many) => many.find(haystack, from),
            Searcher::Automaton(ac) => ac
                .find(Input::new(haystack).range(from..))
                .map(|m| (m.start(), m.pattern().as_usize())),
        }
    }
}

/// A distinct lowercase keyword and the detectors that listed it.
#[derive(Debug)]
struct Keyword {
    text: Vec<u8>,
    owners: Vec<usize>,
}

/// The anchors, their searchers and, for each anchor, the keywords checked where it occurs.
#[derive(Debug)]
pub struct Prefilter {
    keywords: Vec<Keyword>,
    /// Anchor texts: the keywords that contain no other keyword. No anchor contains another, so
    /// at most one anchor starts at any position.
    anchors: Vec<Vec<u8>>,
    /// For each anchor, `(keyword, offset of the anchor in the keyword)` for every keyword
    /// checked where the anchor occurs; the first entry is the anchor's own keyword, which needs
    /// no check.
    attached: Vec<Vec<(usize, usize)>>,
    /// Searchers over consecutive groups of `anchors`, with the index of their first anchor (one
    /// automaton over all of them where Teddy is unavailable or would need too many passes).
    searchers: Vec<(usize, Searcher)>,
    /// Length of the longest keyword.
    longest: usize,
}

impl Prefilter {
    /// Chooses the anchors and builds their searchers.
    pub fn new(detectors: &[Detector]) -> Result<Self> {
        Self::with_extra(detectors, &[])
    }

    /// Like [`Prefilter::new`], also finding `extra` literals in the same pass; a hit on
    /// `extra[i]` is reported for detector index `detectors.len() + i`.
    pub fn with_extra(detectors: &[Detector], extra: &[&str]) -> Result<Self> {
        let mut keywords = distinct_keywords(detectors);
        for (i, literal) in extra.iter().enumerate() {
            let owner = detectors.len() + i;
            let lowered = literal.to_ascii_lowercase().into_bytes();
            match keywords.iter_mut().find(|k| k.text == lowered) {
                Some(existing) => existing.owners.push(owner),
                None => keywords.push(Keyword {
                    text: lowered,
                    owners: vec![owner],
                }),
            }
        }
        let contains = |outer: &[u8], inner: &[u8]| -> Option<usize> {
            outer.windows(inner.len()).position(|w| w == inner)
        };
        // Anchors: keywords with no other keyword inside them. Sorted so that each searcher holds
        // keywords with shared prefixes (a family such as gl*- shares fingerprint buckets), and
        // so that the few anchors shorter than four bytes, which shorten Teddy's fingerprint for
        // the whole searcher, come last and together.
        let mut anchors: Vec<usize> = (0..keywords.len())
            .filter(|&k| {
                !keywords.iter().enumerate().any(|(o, other)| {
                    o != k
                        && other.text.len() < keywords[k].text.len()
                        && contains(&keywords[k].text, &other.text).is_some()
                })
            })
            .collect();
        anchors.sort_by(|&a, &b| {
            let (a, b) = (&keywords[a].text, &keywords[b].text);
            (a.len() < 4, a).cmp(&(b.len() < 4, b))
        });
        let mut attached: Vec<Vec<(usize, usize)>> =
            anchors.iter().map(|&k| vec![(k, 0)]).collect();
        for (k, keyword) in keywords.iter().enumerate() {
            if anchors.contains(&k) {
                continue;
            }
            // Every non-anchor keyword contains some anchor (a shortest keyword inside it
            // contains no other keyword); it is checked where the first such anchor occurs.
            let found = anchors.iter().enumerate().find_map(|(a, &anchor)| {
                Some((a, contains(&keyword.text, &keywords[anchor].text)?))
            });
            if let Some((a, offset)) = found {
                attached[a].push((k, offset));
            }
        }
        // Reorder the anchors group by group as the searchers will hold them.
        let groups = plan_groups(
            &anchors
                .iter()
                .map(|&k| &keywords[k].text[..])
                .collect::<Vec<_>>(),
        );
        let order: Vec<usize> = groups.iter().flat_map(Group::anchors).copied().collect();
        let anchor_texts: Vec<Vec<u8>> = order
            .iter()
            .map(|&a| keywords[anchors[a]].text.clone())
            .collect();
        let attached: Vec<Vec<(usize, usize)>> = order
            .iter()
            .map(|&a| std::mem::take(&mut attached[a]))
            .collect();
        let mut searchers = Vec::new();
        if groups.len() <= MAX_PASSES {
            let mut first = 0;
            for group in &groups {
                let texts = &anchor_texts[first..first + group.anchors().len()];
                let searcher = match group {
                    Group::Teddy(_) => Searcher::packed(texts),
                    Group::Many(_) => ManyLiterals::new(texts).map(Searcher::Many),
                };
                let Some(searcher) = searcher else {
                    searchers.clear();
                    break;
                };
                searchers.push((first, searcher));
                first += group.anchors().len();
            }
        }
        if searchers.is_empty() && !anchor_texts.is_empty() {
            // No SIMD here, or so many keywords under four bytes that one automaton pass (about
            // 650 MiB/s, however many keywords) beats that many Teddy passes.
            searchers.push((0, Searcher::automaton(&anchor_texts)?));
        }
        let longest = keywords.iter().map(|k| k.text.len()).max().unwrap_or(0);
        Ok(Prefilter {
            keywords,
            anchors: anchor_texts,
            attached,
            searchers,
            longest,
        })
    }

    /// How many anchors the searchers look for (at most [`GROUP`] per pass).
    #[cfg(test)]
    fn anchor_count(&self) -> usize {
        self.anchors.len()
    }

    /// Every keyword occurrence in `data`, overlapping ones included, sorted by detector then
    /// offset. `scratch` is reused between calls to avoid an allocation per blob.
    pub fn hits(&self, data: &[u8], scratch: &mut Vec<u8>, out: &mut Vec<Hit>) {
        out.clear();
        if self.anchors.is_empty() || data.is_empty() {
            return;
        }
        // Chunks overlap by one byte less than the longest keyword, so a keyword that starts in a
        // chunk ends in it too; a keyword is only taken if it starts in the part of a chunk that
        // the next one does not repeat, and one that starts before the chunk was the previous
        // chunk's.
        let overlap = self.longest.saturating_sub(1);
        let step = CHUNK.max(overlap + 1) - overlap;
        let mut base = 0;
        loop {
            let end = (base + step + overlap).min(data.len());
            let last = end == data.len();
            let owned = if last { end - base } else { step };
            scratch.clear();
            // Lowercased as it is copied: one pass, not a copy and then a pass over the copy.
            scratch.extend(data[base..end].iter().map(u8::to_ascii_lowercase));
            for (first, searcher) in &self.searchers {
                let mut from = 0;
                while let Some((at, local)) = searcher.next(scratch, from) {
                    if at >= owned + overlap {
                        break;
                    }
                    let anchor = first + local;
                    for (n, &(k, offset)) in self.attached[anchor].iter().enumerate() {
                        let Some(start) = at.checked_sub(offset) else {
                            continue;
                        };
                        let keyword = &self.keywords[k];
                        let is_anchor = n == 0;
                        if start >= owned
                            || (!is_anchor && !scratch[start..].starts_with(&keyword.text))
                        {
                            continue;
                        }
                        for &detector in &keyword.owners {
                            out.push(Hit {
                                detector,
                                start: base + start,
                                end: base + start + keyword.text.len(),
                            });
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

/// Anchors searched in one pass, and how.
#[derive(Debug)]
enum Group {
    /// By a Teddy searcher, in this order (see [`deal_into_buckets`]).
    Teddy(Vec<usize>),
    /// By one [`ManyLiterals`] pass.
    Many(Vec<usize>),
}

impl Group {
    fn anchors(&self) -> &[usize] {
        match self {
            Group::Teddy(anchors) | Group::Many(anchors) => anchors,
        }
    }
}

/// Splits anchors (sorted, shortest-under-four last) into searchers and orders each Teddy
/// searcher's patterns so that similar anchors share a fingerprint bucket.
///
/// Anchors shorter than four bytes get a searcher of their own, since the shortest pattern sets
/// the fingerprint length of its whole searcher. The others are split into the fewest even groups
/// of at most [`GROUP`], or, when there are more than [`TEDDY_ANCHORS`], all go to one
/// [`ManyLiterals`] pass. Teddy puts pattern `i` of a searcher into bucket `i % 8` (`i % 16` for fat Teddy,
/// counted from the top), so within a group the alphabetical list is cut into eight runs of
/// neighbours and dealt out run by run: `gho_`, `ghp_` and `ghr_` then share a bucket whose
/// fingerprint is still `gh?_`, instead of each widening a different bucket. (The bucket rule is
/// `aho-corasick`'s; if it changes, only speed does.)
fn plan_groups(anchors: &[&[u8]]) -> Vec<Group> {
    let (long, short): (Vec<usize>, Vec<usize>) =
        (0..anchors.len()).partition(|&a| anchors[a].len() >= 4);
    let mut groups = Vec::new();
    let count = long.len().div_ceil(GROUP);
    if long.len() > TEDDY_ANCHORS {
        groups.push(Group::Many(long));
    } else {
        let mut at = 0;
        for g in 0..count {
            let size = long.len() / count + usize::from(g < long.len() % count);
            groups.push(Group::Teddy(deal_into_buckets(&long[at..at + size])));
            at += size;
        }
    }
    for chunk in short.chunks(GROUP) {
        groups.push(Group::Teddy(deal_into_buckets(chunk)));
    }
    groups
}

/// `sorted` reordered so that runs of neighbours land in the same Teddy bucket.
fn deal_into_buckets(sorted: &[usize]) -> Vec<usize> {
    let mut runs: Vec<&[usize]> = Vec::with_capacity(BUCKETS);
    let mut at = 0;
    for b in 0..BUCKETS {
        let size = sorted.len() / BUCKETS + usize::from(b < sorted.len() % BUCKETS);
        runs.push(&sorted[at..at + size]);
        at += size;
    }
    let longest_run = runs.iter().map(|r| r.len()).max().unwrap_or(0);
    (0..longest_run)
        .flat_map(|j| runs.iter().filter_map(move |run| run.get(j).copied()))
        .collect()
}

/// The detectors' keywords, lowercased, each once with every detector that listed it.
fn distinct_keywords(detectors: &[Detector]) -> Vec<Keyword> {
    let mut keywords: Vec<Keyword> = Vec::new();
    for (index, detector) in detectors.iter().enumerate() {
        for keyword in detector.keywords.iter().filter(|k| !k.is_empty()) {
            let lowered = keyword.to_ascii_lowercase().into_bytes();
            match keywords.iter_mut().find(|k| k.text == lowered) {
                Some(existing) if !existing.owners.contains(&index) => existing.owners.push(index),
                Some(_) => {}
                None => keywords.push(Keyword {
                    text: lowered,
                    owners: vec![index],
                }),
            }
        }
    }
    keywords
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
    fn a_keyword_inside_another_is_the_anchor_and_both_are_reported_exactly() {
        let p = Prefilter::new(&[
            detector("outer", &["aws_secret_access_key"]),
            detector("inner", &["secret"]),
        ])
        .unwrap();
        assert_eq!(p.anchor_count(), 1);
        for at in [0, CHUNK - 12, CHUNK - 4, CHUNK + 3] {
            let mut data = vec![b'.'; 2 * CHUNK];
            data[at..at + 21].copy_from_slice(b"AWS_SECRET_ACCESS_KEY");
            data[at + 40..at + 46].copy_from_slice(b"secret");
            let found = hits(&p, &data);
            assert_eq!(
                found,
                [
                    Hit {
                        detector: 0,
                        start: at,
                        end: at + 21
                    },
                    Hit {
                        detector: 1,
                        start: at + 4,
                        end: at + 10
                    },
                    Hit {
                        detector: 1,
                        start: at + 40,
                        end: at + 46
                    },
                ],
                "keyword at {at}"
            );
        }
    }

    #[test]
    fn a_longer_keyword_is_not_reported_where_only_its_anchor_occurs() {
        let p =
            Prefilter::new(&[detector("a", &["secret_key"]), detector("b", &["secret"])]).unwrap();
        let found = hits(&p, b"secret_value secret_key");
        let owners: Vec<(usize, usize)> = found.iter().map(|h| (h.detector, h.start)).collect();
        assert_eq!(owners, [(0, 13), (1, 0), (1, 13)]);
    }

    /// Every occurrence of every keyword, found the slow way.
    fn brute_force(detectors: &[Detector], data: &[u8]) -> Vec<Hit> {
        let lowered = data.to_ascii_lowercase();
        let mut out = Vec::new();
        for (index, detector) in detectors.iter().enumerate() {
            for keyword in &detector.keywords {
                let keyword = keyword.to_ascii_lowercase().into_bytes();
                for start in 0..lowered.len() {
                    if lowered[start..].starts_with(&keyword) {
                        out.push(Hit {
                            detector: index,
                            start,
                            end: start + keyword.len(),
                        });
                    }
                }
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    #[test]
    fn hits_are_exactly_the_keyword_occurrences_with_few_or_many_keywords() {
        let mut seed = 0x5eed_u64;
        let mut next = move |n: usize| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) as usize % n
        };
        let alphabet = b"abcdeKEY_-s0";
        for (count, many) in [(20, false), (60, false), (400, true)] {
            let keywords: Vec<String> = (0..count)
                .map(|i| {
                    (0..3 + i % 7)
                        .map(|_| char::from(alphabet[next(alphabet.len())]))
                        .collect()
                })
                .collect();
            let detectors: Vec<Detector> = keywords
                .chunks(3)
                .enumerate()
                .map(|(i, chunk)| {
                    let refs: Vec<&str> = chunk.iter().map(String::as_str).collect();
                    detector(&format!("d{i}"), &refs)
                })
                .collect();
            // Keywords (some cut short, some in upper case) between runs of random filler.
            let mut text = Vec::new();
            while text.len() < 3 * CHUNK {
                let keyword = keywords[next(count)].as_bytes();
                let cut = keyword.len() - next(2);
                text.extend(keyword[..cut].iter().map(|&b| match next(3) {
                    0 => b.to_ascii_uppercase(),
                    _ => b,
                }));
                for _ in 0..next(12) {
                    text.push(alphabet[next(alphabet.len())]);
                }
            }
            let p = Prefilter::new(&detectors).unwrap();
            let hashed = p
                .searchers
                .iter()
                .any(|(_, s)| matches!(s, Searcher::Many(_)));
            assert_eq!(
                hashed,
                many,
                "{count} keywords, searchers {:?}",
                p.searchers.len()
            );
            let expected = brute_force(&detectors, &text);
            assert!(
                expected.len() > 10_000,
                "{count} keywords: the text holds many"
            );
            let found = hits(&p, &text);
            let first_difference = found.iter().zip(&expected).position(|(a, b)| a != b);
            assert_eq!(
                (found.len(), first_difference),
                (expected.len(), None),
                "{count} keywords"
            );
        }
    }

    #[test]
    fn more_keywords_than_one_searcher_holds_are_all_searched() {
        for count in [GROUP * 2 + 5, TEDDY_ANCHORS + 1, 1000] {
            let names: Vec<String> = (0..count).map(|i| format!("kw{i:04}x")).collect();
            let mut refs: Vec<&str> = names.iter().map(String::as_str).collect();
            refs.extend(["dsn", "xox", "aws_secret", "secret"]);
            let p = Prefilter::new(&[detector("a", &refs), detector("b", &["SECRET"])]).unwrap();
            let text = names.join(" ") + " dsn xoxb AWS_SECRET";
            let found = hits(&p, text.as_bytes());
            let starts = |detector| found.iter().filter(|h| h.detector == detector).count();
            assert_eq!(starts(0), count + 4, "{count} keywords");
            assert_eq!(starts(1), 1, "{count} keywords");
        }
    }
}
