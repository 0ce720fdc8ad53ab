//! A text as a multiset of its lines, which is how attribution decides what a change added (a
//! line is added when the new version holds more copies of it than the old one did) and how
//! rename detection scores two versions of a file (the bytes of the lines they share).

use std::collections::HashMap;

/// How often each distinct line occurs. Lines are compared by their bytes, not by a hash: a
/// pusher who could make a new line collide with an old one would pass a gate.
#[derive(Debug, Default, Clone)]
pub struct LineCounts {
    lines: HashMap<Vec<u8>, u32>,
    bytes: u64,
}

impl LineCounts {
    /// Counts the lines of `text` (split at `\n`; a final line without one counts too).
    pub fn new(text: &[u8]) -> Self {
        let mut counts = LineCounts {
            bytes: text.len() as u64,
            ..LineCounts::default()
        };
        for line in lines(text) {
            *counts.lines.entry(line.to_vec()).or_insert(0) += 1;
        }
        counts
    }

    /// How many times `line` occurs.
    pub fn count(&self, line: &[u8]) -> u32 {
        self.lines.get(line).copied().unwrap_or(0)
    }

    /// The text's size in bytes.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Bytes of the lines both texts hold (each line as often as the rarer side has it): git's
    /// rename score counts copied bytes the same way, over chunks instead of lines.
    pub fn shared_bytes(&self, other: &LineCounts) -> u64 {
        let (small, large) = if self.lines.len() <= other.lines.len() {
            (self, other)
        } else {
            (other, self)
        };
        small
            .lines
            .iter()
            .filter_map(|(line, n)| {
                large
                    .lines
                    .get(line)
                    .map(|m| u64::from((*n).min(*m)) * (line.len() as u64 + 1))
            })
            .sum()
    }
}

/// The lines of `text`, without their `\n`.
pub fn lines(text: &[u8]) -> impl Iterator<Item = &[u8]> {
    let trimmed = text.strip_suffix(b"\n").unwrap_or(text);
    let empty = text.is_empty();
    trimmed.split(|&b| b == b'\n').filter(move |_| !empty)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_lines_and_shared_bytes() {
        let old = LineCounts::new(b"a = 1\nb = 2\nb = 2\n");
        let new = LineCounts::new(b"a = 1\nb = 2\nc = 3");
        assert_eq!(old.count(b"b = 2"), 2);
        assert_eq!(new.count(b"c = 3"), 1);
        assert_eq!(new.count(b"zzz"), 0);
        assert_eq!(old.shared_bytes(&new), 12);
        assert_eq!(lines(b"").count(), 0);
        assert_eq!(lines(b"x\n").collect::<Vec<_>>(), vec![b"x".as_slice()]);
    }
}
