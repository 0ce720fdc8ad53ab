//! Base64 values in text: a whole `.env` encoded into a CI variable, a Kubernetes `Secret`'s
//! `data:` values, a gzip'd and encoded Helm release, a password encoded "to hide it".
//!
//! Every text is searched, so the search is built to cost little on text without such values:
//! long base64 runs are found 64 bytes at a time ([`super::runs`]), and a run is decoded in
//! full only when its first bytes decode to text or to the magic of a packed format. Short
//! values are decoded only where their place says they are base64: the `data:` block of a
//! Kubernetes `Secret`.

use std::ops::Range;

use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine as _;

use super::runs::{base64_runs, is_base64};
use super::sniff;

/// The shortest run decoded anywhere (15 bytes of decoded text): shorter runs are mostly names.
pub const MIN_RUN: usize = 20;
/// The shortest `data:` value of a Kubernetes `Secret` decoded (three bytes).
const MIN_MANIFEST_VALUE: usize = 4;
/// Line lengths that `base64` tools wrap at: a run this long continued on the next line is one
/// value.
const WRAP_WIDTHS: [usize; 2] = [64, 76];

const CONFIG: GeneralPurposeConfig = GeneralPurposeConfig::new()
    .with_decode_padding_mode(DecodePaddingMode::Indifferent)
    .with_decode_allow_trailing_bits(true);
const STANDARD: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, CONFIG);
const URL_SAFE: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, CONFIG);

/// A base64 value found in a text and what it decodes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encoded {
    /// Where the value is.
    pub range: Range<usize>,
    /// Its decoding: text, or bytes that start with a packed format's magic.
    pub decoded: Vec<u8>,
    /// For a `data:` value of a Kubernetes `Secret`: its key, so that the decoded text can
    /// keep the name that says what it is.
    pub key: Option<Range<usize>>,
}

/// Every base64 value in `text` that decodes to text or to a packed format.
pub fn values(text: &[u8]) -> Vec<Encoded> {
    let mut found = Vec::new();
    let mut taken_to = 0;
    base64_runs(text, MIN_RUN, |run| {
        if run.start < taken_to {
            return;
        }
        if let Some(encoded) = value_at(text, run) {
            taken_to = encoded.range.end;
            found.push(encoded);
        }
    });
    if is_kubernetes_secret(text) {
        for encoded in manifest_values(text) {
            if !found
                .iter()
                .any(|f| f.range.start <= encoded.range.start && encoded.range.end <= f.range.end)
            {
                found.push(encoded);
            }
        }
        found.sort_by_key(|e| e.range.start);
    }
    found
}

/// The value at `run` (widened over trailing `=` padding, joined with the lines it is wrapped
/// onto), decoded when its start looks like the encoding of something.
fn value_at(text: &[u8], run: Range<usize>) -> Option<Encoded> {
    let standard = text[run.clone()].iter().any(|&b| b == b'+' || b == b'/');
    let url_safe = text[run.clone()].iter().any(|&b| b == b'-' || b == b'_');
    if standard && url_safe {
        // `static/js/jquery-3.6.0` is a path, not base64: no value mixes the alphabets.
        return None;
    }
    let mut end = run.end;
    let mut padding = 0;
    while padding < 2 && text.get(end) == Some(&b'=') {
        end += 1;
        padding += 1;
    }
    let (encoded, end) = unwrap_lines(text, run.start, end);
    let body: &[u8] = &encoded;
    if !mixed_case(body) || !promising(body, url_safe) {
        return None;
    }
    let decoded = decode(body, url_safe)?;
    acceptable(&decoded).then_some(Encoded {
        range: run.start..end,
        decoded,
        key: None,
    })
}

/// The value's characters, with the lines it is wrapped onto appended (same indentation, each
/// full line exactly a wrap width long), and where it ends.
fn unwrap_lines(text: &[u8], start: usize, end: usize) -> (std::borrow::Cow<'_, [u8]>, usize) {
    let first = &text[start..end];
    if !WRAP_WIDTHS.contains(&first.len()) {
        return (std::borrow::Cow::Borrowed(first), end);
    }
    let width = first.len();
    let mut joined = first.to_vec();
    let mut at = end;
    loop {
        let rest = &text[at..];
        let after_newline = if rest.starts_with(b"\r\n") {
            2
        } else if rest.starts_with(b"\n") {
            1
        } else {
            break;
        };
        let line = at + after_newline;
        let mut value = line;
        while value < text.len() && matches!(text[value], b' ' | b'\t') {
            value += 1;
        }
        let mut value_end = value;
        while value_end < text.len() && (is_base64(text[value_end]) || text[value_end] == b'=') {
            value_end += 1;
        }
        let piece = &text[value..value_end];
        let ends_line = matches!(text.get(value_end), None | Some(b'\n' | b'\r'));
        if piece.is_empty() || piece.len() > width || !ends_line {
            break;
        }
        joined.extend_from_slice(piece);
        at = value_end;
        if piece.len() < width {
            break;
        }
    }
    (std::borrow::Cow::Owned(joined), at)
}

fn mixed_case(body: &[u8]) -> bool {
    body.iter().any(u8::is_ascii_uppercase) && body.iter().any(u8::is_ascii_lowercase)
}

/// Whether the first bytes of `body` decode to the start of text or of a packed format: most
/// runs in source code are names and paths, and this rejects them after decoding six bytes.
fn promising(body: &[u8], url_safe: bool) -> bool {
    let head = &body[..body.len().min(8) / 4 * 4];
    let Some(start) = decode(head, url_safe) else {
        return false;
    };
    sniff::packed(&start).is_some() || start.iter().all(|&b| texty(b))
}

fn decode(body: &[u8], url_safe: bool) -> Option<Vec<u8>> {
    let body = body
        .strip_suffix(b"==")
        .or(body.strip_suffix(b"="))
        .unwrap_or(body);
    // A length of 4n+1 cannot be base64: drop the odd character rather than the value.
    let body = if body.len() % 4 == 1 {
        &body[..body.len() - 1]
    } else {
        body
    };
    let engine = if url_safe { &URL_SAFE } else { &STANDARD };
    engine.decode(body).ok()
}

/// A byte that text holds: printable ASCII, whitespace, or part of a UTF-8 sequence.
fn texty(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | b'\r' | 0x20..=0x7e | 0x80..=0xf4)
}

/// Whether decoded bytes are worth scanning: a packed format, or UTF-8 text without control
/// characters.
fn acceptable(decoded: &[u8]) -> bool {
    if sniff::packed(decoded).is_some() {
        return true;
    }
    std::str::from_utf8(decoded).is_ok() && decoded.iter().all(|&b| texty(b))
}

/// Whether `text` is a Kubernetes `Secret` manifest (one document of a stream is enough).
fn is_kubernetes_secret(text: &[u8]) -> bool {
    memchr::memmem::find(text, b"kind: Secret").is_some()
}

/// The values of every `data:` block: `key: <base64>` lines indented below a `data:` line.
fn manifest_values(text: &[u8]) -> Vec<Encoded> {
    let mut found = Vec::new();
    let mut block_indent: Option<usize> = None;
    let mut offset = 0;
    for line in text.split(|&b| b == b'\n') {
        let line_start = offset;
        offset += line.len() + 1;
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let indent = line.iter().take_while(|&&b| b == b' ').count();
        let content = &line[indent..];
        if content.is_empty() || content.starts_with(b"#") {
            continue;
        }
        if content == b"data:" {
            block_indent = Some(indent);
            continue;
        }
        match block_indent {
            Some(outer) if indent > outer => {}
            _ => {
                block_indent = None;
                continue;
            }
        }
        let Some(colon) = memchr::memchr(b':', content) else {
            continue;
        };
        let key = line_start + indent..line_start + indent + colon;
        let raw = &content[colon + 1..];
        let lead = raw.iter().take_while(|&&b| b == b' ').count();
        let value = raw[lead..].trim_ascii_end();
        let value = value
            .strip_prefix(b"\"")
            .and_then(|v| v.strip_suffix(b"\""))
            .unwrap_or(value);
        if value.len() < MIN_MANIFEST_VALUE || !value.iter().all(|&b| is_base64(b) || b == b'=') {
            continue;
        }
        let value_start =
            line_start + indent + colon + 1 + lead + usize::from(raw[lead..].starts_with(b"\""));
        if let Some(decoded) = decode(value, false).filter(|d| acceptable(d)) {
            found.push(Encoded {
                range: value_start..value_start + value.len(),
                decoded,
                key: Some(key),
            });
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::{STANDARD as B64, URL_SAFE_NO_PAD as B64URL};

    fn decoded(text: &str) -> Vec<String> {
        values(text.as_bytes())
            .into_iter()
            .map(|e| String::from_utf8(e.decoded).unwrap())
            .collect()
    }

    #[test]
    fn a_quoted_or_assigned_value_is_decoded() {
        let env = "DATABASE_URL=postgres://shop:pw@db/shop\nDEBUG=0\n";
        let line = format!("ENV_FILE: \"{}\"\n", B64.encode(env));
        assert_eq!(decoded(&line), [env]);
        let url = format!(
            "token={}\n",
            B64URL.encode("a_secret?with+odd/chars>>>>~~~~")
        );
        assert_eq!(decoded(&url), ["a_secret?with+odd/chars>>>>~~~~"]);
    }

    #[test]
    fn names_paths_hashes_and_binary_are_left_alone() {
        let text = "class AbstractBaseUserManager(models.Manager):\n\
                    path = 'django/contrib/admin/templates/admin'\n\
                    sha = '4b825dc642cb6eb9a060e54bf8d69288fbee4904'\n";
        assert!(values(text.as_bytes()).is_empty());
        let png = format!(
            "img = 'data:image/png;base64,{}'",
            B64.encode([0x89u8, b'P', b'N', b'G', 0, 0, 0, 13, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
        );
        assert!(values(png.as_bytes()).is_empty());
    }

    #[test]
    fn a_value_wrapped_at_76_columns_is_joined() {
        let env = "SECRET_KEY=".to_string() + &"x7Qm2vR9pL4tZ8wN".repeat(6) + "\n";
        let encoded = B64.encode(&env);
        let wrapped: Vec<&str> = encoded
            .as_bytes()
            .chunks(76)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect();
        let text = format!("value: |\n  {}\n", wrapped.join("\n  "));
        assert_eq!(decoded(&text), [env]);
    }

    #[test]
    fn short_data_values_of_a_kubernetes_secret_are_decoded_with_their_keys() {
        let manifest = format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: shop\ndata:\n  DB_PASSWORD: {}\n  DB_USER: {}\ntype: Opaque\n",
            B64.encode("Xk9#mQ2v"),
            B64.encode("shop")
        );
        let found = values(manifest.as_bytes());
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].decoded, b"Xk9#mQ2v");
        assert_eq!(
            &manifest.as_bytes()[found[0].key.clone().unwrap()],
            b"DB_PASSWORD"
        );
    }

    #[test]
    fn gzip_inside_base64_is_kept_as_bytes() {
        let gz = [
            0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
        ];
        let text = format!("release: {}\n", B64.encode(gz));
        let found = values(text.as_bytes());
        assert_eq!(found[0].decoded, gz);
    }
}
