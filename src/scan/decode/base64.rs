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

use super::runs::{is_base64, MIN_RUN};
use super::sniff;

/// The shortest run decoded in a text that names base64 (`| base64 -d`, `SECRET_B64=`): 15
/// bytes, a short password.
pub const MIN_NAMED_RUN: usize = 20;
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

/// How far from a name of base64 its short values are looked for, each way, at most (the line
/// ends first, except in minified text).
const NAMED_REACH: usize = 2048;

/// The runs of [`MIN_NAMED_RUN`] to [`MIN_RUN`] characters on the lines where `text` names
/// base64 (`names`, offsets of the names), in order: `DB_PASSWORD_B64=c2hvcC1wYXNzd29yZA==`.
pub fn named_runs(text: &[u8], names: &[usize]) -> Vec<Range<usize>> {
    let mut lines: Vec<Range<usize>> = names
        .iter()
        .map(|&at| {
            let from = at.saturating_sub(NAMED_REACH);
            let to = (at + NAMED_REACH).min(text.len());
            let start = memchr::memrchr(b'\n', &text[from..at]).map_or(from, |n| from + n + 1);
            let end = memchr::memchr(b'\n', &text[at..to]).map_or(to, |n| at + n);
            start..end
        })
        .collect();
    lines.sort_by_key(|line| line.start);
    lines.dedup();
    let mut runs = Vec::new();
    for line in lines {
        let mut at = line.start;
        while at < line.end {
            if !is_base64(text[at]) {
                at += 1;
                continue;
            }
            let start = at;
            while at < line.end && is_base64(text[at]) {
                at += 1;
            }
            // A run cut by the reach is not whole.
            let cut = (start > 0 && is_base64(text[start - 1]))
                || (at < text.len() && is_base64(text[at]));
            if !cut && (MIN_NAMED_RUN..MIN_RUN).contains(&(at - start)) {
                runs.push(start..at);
            }
        }
    }
    runs
}

/// Every base64 value among `runs` (runs of base64 characters in `text`, in order, as
/// [`super::runs`] finds them) that decodes to text or to a packed format; with `manifest` (the
/// text holds `kind: Secret`), the short `data:` values of a Kubernetes Secret too.
pub fn values(
    text: &[u8],
    runs: impl IntoIterator<Item = Range<usize>>,
    manifest: bool,
) -> Vec<Encoded> {
    let mut found: Vec<Encoded> = Vec::new();
    let mut taken_to = 0;
    for run in runs {
        if run.start < taken_to {
            continue;
        }
        if let Some(encoded) = value_at(text, run) {
            taken_to = encoded.range.end;
            found.push(encoded);
        }
    }
    if manifest {
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
    // Most runs are names, paths, digests and embedded images: the first eight characters
    // decide, before anything looks at the rest of a run that may be megabytes long.
    let head = &text[run.start..run.start + 8];
    if !promising(head) {
        return None;
    }
    // Then the first 64 characters, before the whole run.
    let probe = &text[run.start..run.start + run.len().min(64) / 4 * 4];
    if probe.len() < run.len() && !probe_decodes(probe) {
        return None;
    }
    let (mut upper, mut lower, mut standard, mut url_safe) = (false, false, false, false);
    for &b in &text[run.clone()] {
        upper |= b.is_ascii_uppercase();
        lower |= b.is_ascii_lowercase();
        standard |= b == b'+' || b == b'/';
        url_safe |= b == b'-' || b == b'_';
    }
    // `static/js/jquery-3.6.0` is a path, not base64: no value mixes the alphabets; and
    // base64 of text has both cases (a run of one case is a name or a hex digest).
    if (standard && url_safe) || !(upper && lower) {
        return None;
    }
    let mut end = run.end;
    let mut padding = 0;
    while padding < 2 && text.get(end) == Some(&b'=') {
        end += 1;
        padding += 1;
    }
    let (encoded, end) = unwrap_lines(text, run.start, end);
    let decoded = decode(&encoded, url_safe)?;
    worth_scanning(&decoded, Cut::Whole).then_some(Encoded {
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

/// Whether the first eight characters decode to the start of text or of a packed format: most
/// runs in source code are names and paths, and this rejects them after decoding six bytes.
fn promising(head: &[u8]) -> bool {
    let Some(head) = head.get(..8) else {
        return false;
    };
    // Table lookups, no branch per character: this runs for every long run of a history.
    let (mut bits, mut seen) = (0u64, 0u8);
    for &c in head {
        let sextet = SEXTETS[usize::from(c)];
        seen |= sextet;
        bits = bits << 6 | u64::from(sextet & 63);
    }
    // Not base64 at all, or both alphabets (`+` or `/` with `-` or `_`).
    if seen & REJECT == REJECT {
        return false;
    }
    let start: [u8; 6] = std::array::from_fn(|i| (bits >> (40 - 8 * i)) as u8);
    // The start of text is ASCII (a key, a line, a byte-order mark); random bytes are that
    // only once in three hundred times.
    start
        .iter()
        .all(|&b| matches!(b, b'\t' | b'\n' | b'\r' | 0x20..=0x7e))
        || start.starts_with(&[0xef, 0xbb, 0xbf])
        || sniff::packed(&start).is_some()
}

/// Flags above a character's six bits in [`SEXTETS`]: `+` and `/` have one, `-` and `_` the
/// other, and a byte that is not base64 has both, so that a head holding both (not base64, or
/// two alphabets) is rejected by one test.
const STANDARD_ONLY: u8 = 0x40;
const URL_SAFE_ONLY: u8 = 0x80;
const REJECT: u8 = STANDARD_ONLY | URL_SAFE_ONLY;

/// Each byte's value as a base64 character, in either alphabet, with the flags above.
const SEXTETS: [u8; 256] = {
    let mut table = [REJECT; 256];
    let mut i = 0;
    while i < 26 {
        table[b'A' as usize + i] = i as u8;
        table[b'a' as usize + i] = 26 + i as u8;
        if i < 10 {
            table[b'0' as usize + i] = 52 + i as u8;
        }
        i += 1;
    }
    table[b'+' as usize] = 62 | STANDARD_ONLY;
    table[b'/' as usize] = 63 | STANDARD_ONLY;
    table[b'-' as usize] = 62 | URL_SAFE_ONLY;
    table[b'_' as usize] = 63 | URL_SAFE_ONLY;
    table
};

/// Whether the start of a run decodes to the start of text or of a packed format, in the one
/// alphabet it uses (a run that mixes them is not base64).
fn probe_decodes(probe: &[u8]) -> bool {
    let standard = probe.iter().any(|&b| b == b'+' || b == b'/');
    let url_safe = probe.iter().any(|&b| b == b'-' || b == b'_');
    if standard && url_safe {
        return false;
    }
    let engine = if url_safe { &URL_SAFE } else { &STANDARD };
    let mut buffer = [0u8; 48];
    let Ok(length) = engine.decode_slice(probe, &mut buffer) else {
        return false;
    };
    // The probe may end inside a character.
    worth_scanning(&buffer[..length], Cut::MayEndMidCharacter)
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

/// Whether decoded bytes are the whole value or only its start.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Cut {
    Whole,
    MayEndMidCharacter,
}

/// Whether decoded bytes are worth scanning: a packed format, or UTF-8 text without control
/// characters (whose last character may be cut short when only the start was decoded).
fn worth_scanning(decoded: &[u8], cut: Cut) -> bool {
    if sniff::packed(decoded).is_some() {
        return true;
    }
    let utf8 = match std::str::from_utf8(decoded) {
        Ok(_) => true,
        Err(e) => cut == Cut::MayEndMidCharacter && e.error_len().is_none(),
    };
    utf8 && decoded.iter().all(|&b| texty(b))
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
        if let Some(decoded) = decode(value, false).filter(|d| worth_scanning(d, Cut::Whole)) {
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

    /// The values of `text`, its runs found as the decoding layer finds them; with `names`, as
    /// if it named base64 at its start.
    fn values(text: &[u8], names: bool, manifest: bool) -> Vec<Encoded> {
        let mut runs = Vec::new();
        super::super::runs::runs_and_escapes(text, |r| runs.push(r), |_| {});
        if names {
            runs.extend(named_runs(text, &[0]));
            runs.sort_by_key(|r| r.start);
        }
        super::values(text, runs, manifest)
    }

    fn decoded(text: &str) -> Vec<String> {
        values(text.as_bytes(), true, false)
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
        assert!(values(text.as_bytes(), true, false).is_empty());
        let png = format!(
            "img = 'data:image/png;base64,{}'",
            B64.encode([0x89u8, b'P', b'N', b'G', 0, 0, 0, 13, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
        );
        assert!(values(png.as_bytes(), true, false).is_empty());
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
        let found = values(manifest.as_bytes(), false, true);
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].decoded, b"Xk9#mQ2v");
        assert_eq!(
            &manifest.as_bytes()[found[0].key.clone().unwrap()],
            b"DB_PASSWORD"
        );
    }

    proptest::proptest! {
        #[test]
        fn the_head_test_agrees_with_decoding_the_head(
            head in proptest::collection::vec(proptest::sample::select(
                b"AZaz09+/-_Qm.\x80 ".to_vec()), 8),
        ) {
            let standard = head.iter().any(|&b| b == b'+' || b == b'/');
            let url_safe = head.iter().any(|&b| b == b'-' || b == b'_');
            let engine = if url_safe { &URL_SAFE } else { &STANDARD };
            let expected = !(standard && url_safe)
                && engine.decode(&head).is_ok_and(|start| {
                    start.iter().all(|&b| matches!(b, b'\t' | b'\n' | b'\r' | 0x20..=0x7e))
                        || start.starts_with(&[0xef, 0xbb, 0xbf])
                        || sniff::packed(&start).is_some()
                });
            proptest::prop_assert_eq!(promising(&head), expected);
        }
    }

    #[test]
    fn gzip_inside_base64_is_kept_as_bytes() {
        let gz = [
            0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
        ];
        let text = format!("release: {}\n", B64.encode(gz));
        let found = values(text.as_bytes(), true, false);
        assert_eq!(found[0].decoded, gz);
    }
}
