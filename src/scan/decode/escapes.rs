//! Escaped text: JSON string escapes (`"postgres:\/\/app:pw@db\/shop"`, a notebook's source
//! lines, a whole `.env` held in one JSON string) and percent-encoded URLs inside URLs
//! (`?next=postgres%3A%2F%2Fapp%3Apw%40db`). The decoded text keeps what stood before the string on
//! its line, so a detector still sees the key that names the value.

use std::ops::Range;

/// Bytes of the line before a decoded value kept with it: enough for the name that says what the
/// value is (`"DATABASE_URL": `), not the whole of a minified file's one line.
pub const CONTEXT: usize = 80;
/// Strings longer than this are not decoded: configuration values, notebook lines and a whole
/// `.env` are shorter, while the HTML bodies of JSON documentation pages would double the text
/// scanned for nothing.
const MAX_STRING: usize = 16 * 1024;
/// Encoded URLs longer than this are not decoded.
const MAX_URL: usize = 4 * 1024;

/// A decoded value, with the text before it on its line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unescaped {
    /// Where the value starts in the source (the location reported).
    pub at: usize,
    /// The context and the decoded value (which may hold newlines the escapes encoded).
    pub text: Vec<u8>,
}

/// Every double-quoted string of `text` whose JSON escapes hide text from the detectors,
/// decoded: `\"`, `\/` and `\u` escapes, or a `\n` inside the string (a whole `.env` in one
/// string). A string whose only escape is a final `\n` (a notebook's source line) reads the same
/// without decoding and is left alone, as are strings whose escapes are not JSON's (a regex's
/// `\d`). Only lines holding a backslash are looked at.
pub fn json_strings(text: &[u8]) -> Vec<Unescaped> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(found) = memchr::memchr(b'\\', &text[at..]) {
        let backslash = at + found;
        let line_start = memchr::memrchr(b'\n', &text[..backslash]).map_or(0, |p| p + 1);
        let line_end =
            memchr::memchr(b'\n', &text[backslash..]).map_or(text.len(), |p| backslash + p);
        decode_line(text, line_start..line_end, &mut out);
        at = line_end;
    }
    out
}

/// The escaped strings of one line, each decoded after its context.
fn decode_line(text: &[u8], line: Range<usize>, out: &mut Vec<Unescaped>) {
    let mut at = line.start;
    while let Some(quote) = memchr::memchr(b'"', &text[at..line.end]) {
        let open = at + quote;
        let Some(string) = string_at(&text[..line.end], open) else {
            break;
        };
        let body = &text[open + 1..string.end - 1];
        if body.len() <= MAX_STRING && hides_text(body) {
            if let Some(decoded) = decode_json(body) {
                let context = open.saturating_sub(CONTEXT).max(line.start);
                let mut value = text[context..open].to_vec();
                value.extend_from_slice(&decoded);
                out.push(Unescaped {
                    at: open + 1,
                    text: value,
                });
            }
        }
        at = string.end;
    }
}

/// Whether a string body's escapes hide anything a detector would read differently.
fn hides_text(body: &[u8]) -> bool {
    let mut i = 0;
    while let Some(at) = memchr::memchr(b'\\', &body[i..]) {
        let at = i + at;
        match body.get(at + 1) {
            Some(b'"' | b'/' | b'u') => return true,
            Some(b'n') if at + 2 < body.len() => return true,
            _ => {}
        }
        i = at + 2;
        if i >= body.len() {
            break;
        }
    }
    false
}

/// The double-quoted string starting at `open` (quotes included), if it closes on this line.
fn string_at(line: &[u8], open: usize) -> Option<Range<usize>> {
    let mut i = open + 1;
    while i < line.len() {
        let found = memchr::memchr2(b'"', b'\\', &line[i..])?;
        let at = i + found;
        if line[at] == b'"' {
            return Some(open..at + 1);
        }
        i = at + 2;
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

/// Percent-encoded URLs held in a text (their `://` encoded as `%3A%2F%2F`), each decoded after
/// its context.
pub fn percent_urls(text: &[u8]) -> Vec<Unescaped> {
    let mut out = Vec::new();
    let upper = memchr::memmem::find_iter(text, b"%3A%2F%2F");
    let lower = memchr::memmem::find_iter(text, b"%3a%2f%2f");
    let mut hits: Vec<usize> = upper.chain(lower).collect();
    hits.sort_unstable();
    let mut done_to = 0;
    for hit in hits {
        if hit < done_to {
            continue;
        }
        let scheme = text[..hit]
            .iter()
            .rposition(|b| !b.is_ascii_alphanumeric() && !matches!(b, b'+' | b'-' | b'.'))
            .map_or(0, |p| p + 1);
        let end = text[hit..]
            .iter()
            .position(|b| b.is_ascii_whitespace() || matches!(b, b'"' | b'\'' | b'<' | b'>' | b'&'))
            .map_or(text.len(), |p| hit + p);
        done_to = end;
        if end - scheme > MAX_URL {
            continue;
        }
        let line_start = memchr::memrchr(b'\n', &text[..scheme]).map_or(0, |p| p + 1);
        let context = scheme.saturating_sub(CONTEXT).max(line_start);
        let mut decoded = text[context..scheme].to_vec();
        decoded.extend(crate::model::percent::decode(&text[scheme..end]));
        out.push(Unescaped {
            at: scheme,
            text: decoded,
        });
    }
    out
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
            r#"{"DATABASE_URL": postgres://app:pw@db/shop"#
        );
        assert_eq!(found[0].at, 18);
    }

    #[test]
    fn notebook_source_lines_become_code_and_unicode_escapes_characters() {
        let text =
            b"   \"source\": [\n    \"SECRET_KEY = \\\"k\\u00e9y\\\"\\n\",\n    \"x = 1\\n\"\n";
        let found = json_strings(text);
        assert_eq!(
            found.len(),
            1,
            "a final newline alone is not worth decoding"
        );
        assert_eq!(
            String::from_utf8_lossy(&found[0].text),
            "    SECRET_KEY = \"k\u{e9}y\"\n"
        );
    }

    #[test]
    fn a_whole_env_in_one_string_becomes_lines() {
        let text = br#"{"env": "DB_PASSWORD=Xk9mQ2v\nDEBUG=0"}"#;
        let found = json_strings(text);
        assert_eq!(
            String::from_utf8_lossy(&found[0].text),
            "{\"env\": DB_PASSWORD=Xk9mQ2v\nDEBUG=0"
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
            "LOGIN=https://sso.test/?next=postgres://app:p@ss@db/shop"
        );
        assert_eq!(&text[found[0].at..found[0].at + 8], b"postgres");
    }
}
