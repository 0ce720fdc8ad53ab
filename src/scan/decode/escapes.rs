//! Escaped text: JSON string escapes (`"postgres:\/\/app:pw@db\/shop"`, a notebook's source
//! lines, a whole `.env` held in one JSON string) and percent-encoded URLs inside URLs
//! (`?next=postgres%3A%2F%2Fapp%3Apw%40db`). The decoded text keeps what stood before the string on
//! its line, so a detector still sees the key that names the value.

use std::ops::Range;

/// One line of the source whose escaped strings were decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unescaped {
    /// Where the first decoded string starts in the source (the location reported).
    pub at: usize,
    /// The line with its escaped strings decoded (may hold newlines the escapes encoded).
    pub text: Vec<u8>,
}

/// Every line of `text` holding a double-quoted string with JSON escapes, decoded. Strings
/// whose escapes are not JSON's (a regex's `\d`) are left as they are.
pub fn json_strings(text: &[u8]) -> Vec<Unescaped> {
    let mut out = Vec::new();
    if memchr::memchr(b'\\', text).is_none() {
        return out;
    }
    let mut line_start = 0;
    while line_start < text.len() {
        let line_end =
            memchr::memchr(b'\n', &text[line_start..]).map_or(text.len(), |p| line_start + p);
        let line = &text[line_start..line_end];
        if memchr::memchr(b'\\', line).is_some() {
            if let Some((at, decoded)) = unescape_line(line) {
                out.push(Unescaped {
                    at: line_start + at,
                    text: decoded,
                });
            }
        }
        line_start = line_end + 1;
    }
    out
}

/// `line` with each escaped JSON string replaced by its content (quotes dropped), and the offset
/// of the first; `None` when no string on the line had an escape JSON defines.
fn unescape_line(line: &[u8]) -> Option<(usize, Vec<u8>)> {
    let mut out = Vec::with_capacity(line.len());
    let mut first = None;
    let mut i = 0;
    while i < line.len() {
        if line[i] != b'"' {
            out.push(line[i]);
            i += 1;
            continue;
        }
        let Some(string) = string_at(line, i) else {
            out.extend_from_slice(&line[i..]);
            break;
        };
        let body = &line[i + 1..string.end - 1];
        match decode_json(body) {
            Some(decoded) if memchr::memchr(b'\\', body).is_some() => {
                first.get_or_insert(i + 1);
                out.extend_from_slice(&decoded);
            }
            _ => out.extend_from_slice(&line[string.clone()]),
        }
        i = string.end;
    }
    first.map(|at| (at, out))
}

/// The double-quoted string starting at `open` (quotes included), if it closes on this line.
fn string_at(line: &[u8], open: usize) -> Option<Range<usize>> {
    let mut i = open + 1;
    while i < line.len() {
        match line[i] {
            b'\\' => i += 2,
            b'"' => return Some(open..i + 1),
            _ => i += 1,
        }
    }
    None
}

/// The content of a JSON string body; `None` on an escape JSON does not define.
fn decode_json(body: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(body.len());
    let mut i = 0;
    while i < body.len() {
        let b = body[i];
        if b != b'\\' {
            out.push(b);
            i += 1;
            continue;
        }
        let escape = *body.get(i + 1)?;
        i += 2;
        let simple = match escape {
            b'"' => b'"',
            b'\\' => b'\\',
            b'/' => b'/',
            b'b' => 0x08,
            b'f' => 0x0c,
            b'n' => b'\n',
            b'r' => b'\r',
            b't' => b'\t',
            b'u' => {
                let (c, used) = unicode_escape(body, i)?;
                i += used;
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                continue;
            }
            _ => return None,
        };
        out.push(simple);
    }
    Some(out)
}

/// The character of `\uXXXX` (a surrogate pair takes two) whose hex digits start at `at`, and how
/// many bytes after the `\u` it used.
fn unicode_escape(body: &[u8], at: usize) -> Option<(char, usize)> {
    let hex = |from: usize| -> Option<u32> {
        let digits = std::str::from_utf8(body.get(from..from + 4)?).ok()?;
        u32::from_str_radix(digits, 16).ok()
    };
    let high = hex(at)?;
    if (0xD800..0xDC00).contains(&high) && body.get(at + 4..at + 6) == Some(b"\\u") {
        let low = hex(at + 6)?;
        let c = char::from_u32(0x10000 + ((high - 0xD800) << 10) + (low.checked_sub(0xDC00)?))?;
        return Some((c, 10));
    }
    Some((
        char::from_u32(high).unwrap_or(char::REPLACEMENT_CHARACTER),
        4,
    ))
}

/// Percent-encoded URLs held in a text (their `://` encoded as `%3A%2F%2F`), decoded, each in
/// its line.
pub fn percent_urls(text: &[u8]) -> Vec<Unescaped> {
    let mut out = Vec::new();
    let finder = memchr::memmem::Finder::new(b"%3A%2F%2F");
    let lower = memchr::memmem::Finder::new(b"%3a%2f%2f");
    let mut hits: Vec<usize> = finder
        .find_iter(text)
        .chain(lower.find_iter(text))
        .collect();
    hits.sort_unstable();
    let mut done_to = 0;
    for hit in hits {
        if hit < done_to {
            continue;
        }
        let line_start = memchr::memrchr(b'\n', &text[..hit]).map_or(0, |p| p + 1);
        let line_end = memchr::memchr(b'\n', &text[hit..]).map_or(text.len(), |p| hit + p);
        let line = &text[line_start..line_end];
        let mut decoded = Vec::with_capacity(line.len());
        let mut i = 0;
        while i < line.len() {
            match (line[i], hex_pair(line.get(i + 1..i + 3))) {
                (b'%', Some(byte)) => {
                    decoded.push(byte);
                    i += 3;
                }
                (b, _) => {
                    decoded.push(b);
                    i += 1;
                }
            }
        }
        let scheme_start = text[line_start..hit]
            .iter()
            .rposition(|b| !b.is_ascii_alphanumeric() && *b != b'+')
            .map_or(line_start, |p| line_start + p + 1);
        out.push(Unescaped {
            at: scheme_start,
            text: decoded,
        });
        done_to = line_end;
    }
    out
}

fn hex_pair(pair: Option<&[u8]>) -> Option<u8> {
    let pair = std::str::from_utf8(pair?).ok()?;
    u8::from_str_radix(pair, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_escaped_url_is_decoded_in_its_line() {
        let text = br#"{"DATABASE_URL": "postgres:\/\/app:pw@db\/shop", "DEBUG": "0"}"#;
        let found = json_strings(text);
        assert_eq!(found.len(), 1);
        assert_eq!(
            String::from_utf8_lossy(&found[0].text),
            r#"{"DATABASE_URL": postgres://app:pw@db/shop, "DEBUG": "0"}"#
        );
        assert_eq!(found[0].at, 18);
    }

    #[test]
    fn notebook_source_lines_become_code_and_unicode_escapes_characters() {
        let text = b"   \"source\": [\n    \"SECRET_KEY = \\\"k\\u00e9y\\\"\\n\",\n    \"x = 1\"\n";
        let found = json_strings(text);
        assert_eq!(found.len(), 1);
        assert_eq!(
            String::from_utf8_lossy(&found[0].text),
            "    SECRET_KEY = \"k\u{e9}y\"\n,"
        );
    }

    #[test]
    fn strings_with_escapes_json_lacks_and_lines_without_escapes_are_left_alone() {
        assert!(json_strings(br#"pattern = "\d+\.\d+""#).is_empty());
        assert!(json_strings(br#"{"a": "b"}"#).is_empty());
    }

    #[test]
    fn a_percent_encoded_url_inside_a_url_is_decoded() {
        let text = b"LOGIN=https://sso.test/?next=postgres%3A%2F%2Fapp%3Ap%40ss%40db%2Fshop&x=1\n";
        let found = percent_urls(text);
        assert_eq!(found.len(), 1);
        assert_eq!(
            String::from_utf8_lossy(&found[0].text),
            "LOGIN=https://sso.test/?next=postgres://app:p@ss@db/shop&x=1"
        );
        assert_eq!(&text[found[0].at..found[0].at + 8], b"postgres");
    }
}
