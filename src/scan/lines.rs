//! Line arithmetic on raw bytes: windows around a position and line/column numbers. Blobs are not
//! guaranteed to be UTF-8, so everything works on `\n` only (a CRLF file's `\r` stays in the line).

use std::ops::Range;

/// The bytes from `before` lines above the line holding `range` to `after` lines below it, never more
/// than `max_bytes` beyond `range` on either side (a minified file is one very long line).
pub fn around(
    data: &[u8],
    range: &Range<usize>,
    before: usize,
    after: usize,
    max_bytes: usize,
) -> Range<usize> {
    let floor = range.start.saturating_sub(max_bytes);
    // Walk back over `before + 1` newlines: the first one found ends the line above the range.
    let mut start = range.start;
    let mut found = 0;
    loop {
        match memchr::memrchr(b'\n', &data[floor..start]) {
            Some(pos) if found == before => {
                start = floor + pos + 1;
                break;
            }
            Some(pos) => {
                found += 1;
                start = floor + pos;
            }
            None => {
                start = floor;
                break;
            }
        }
    }
    let ceiling = range.end.saturating_add(max_bytes).min(data.len());
    let mut end = range.end.min(ceiling);
    let mut found = 0;
    loop {
        match memchr::memchr(b'\n', &data[end..ceiling]) {
            Some(pos) if found == after => {
                end += pos;
                break;
            }
            Some(pos) => {
                found += 1;
                end += pos + 1;
            }
            None => {
                end = ceiling;
                break;
            }
        }
    }
    start..end
}

/// The line holding `offset`, its 1-based number, and the 1-based character column of `offset`.
pub fn locate(data: &[u8], offset: usize) -> (Range<usize>, u32, u32) {
    let line_start = memchr::memrchr(b'\n', &data[..offset]).map_or(0, |p| p + 1);
    let line_end = memchr::memchr(b'\n', &data[offset..]).map_or(data.len(), |p| offset + p);
    let line = memchr::memchr_iter(b'\n', &data[..line_start]).count() + 1;
    let column = String::from_utf8_lossy(&data[line_start..offset])
        .chars()
        .count()
        + 1;
    (
        line_start..line_end,
        u32::try_from(line).unwrap_or(u32::MAX),
        u32::try_from(column).unwrap_or(u32::MAX),
    )
}

/// Line starts of a text, for placing many offsets in it without counting from the start each
/// time.
#[derive(Debug, Clone)]
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    /// Indexes the lines of `data`.
    pub fn new(data: &[u8]) -> Self {
        let mut starts = vec![0];
        starts.extend(memchr::memchr_iter(b'\n', data).map(|p| p + 1));
        LineIndex { starts }
    }

    /// The 1-based line and character column of `offset` in `data` (the text indexed).
    pub fn locate(&self, data: &[u8], offset: usize) -> (u32, u32) {
        let line = self.starts.partition_point(|&s| s <= offset).max(1);
        let start = self.starts[line - 1].min(offset);
        let column = String::from_utf8_lossy(&data[start..offset.min(data.len())])
            .chars()
            .count()
            + 1;
        (
            u32::try_from(line).unwrap_or(u32::MAX),
            u32::try_from(column).unwrap_or(u32::MAX),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_whole_lines_around_the_range() {
        let text = b"l1\nl2\nl3\nKEY\nl5\nl6\nl7\n";
        let n = around(text, &(9..12), 1, 1, 1024);
        assert_eq!(&text[n], b"l3\nKEY\nl5");
    }

    #[test]
    fn asymmetric_windows_count_lines_separately() {
        let text = b"l1\nl2\nl3\nKEY\nl5\nl6\nl7\n";
        let n = around(text, &(9..12), 0, 2, 1024);
        assert_eq!(&text[n], b"KEY\nl5\nl6");
    }

    #[test]
    fn stops_at_the_byte_limit_on_one_long_line() {
        let text = [b'a'; 100];
        assert_eq!(around(&text, &(50..52), 5, 5, 10), 40..62);
    }

    #[test]
    fn reaches_the_start_and_end_of_short_input() {
        let text = b"ab\nKEY";
        assert_eq!(around(text, &(3..6), 5, 5, 1024), 0..6);
    }

    #[test]
    fn locate_counts_lines_and_characters() {
        let text = "a\nbé=KEY\n".as_bytes();
        let offset = text.iter().position(|&b| b == b'K').unwrap();
        let (line, number, column) = locate(text, offset);
        assert_eq!(&text[line], "bé=KEY".as_bytes());
        assert_eq!((number, column), (2, 4));
        assert_eq!(LineIndex::new(text).locate(text, offset), (2, 4));
        assert_eq!(LineIndex::new(text).locate(text, 0), (1, 1));
    }
}
