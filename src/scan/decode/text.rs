//! What of a blob the engine reads: its bytes as they are, UTF-16 text decoded to UTF-8 (Windows
//! editors and PowerShell write `.env` and config files that way, and a NUL every other byte
//! would otherwise make them "binary"), or nothing for binary data unless asked.

use std::borrow::Cow;

/// Bytes at the start of a blob inspected for NUL to call it binary (git's own heuristic size).
const BINARY_PROBE: usize = 8000;

/// Code units inspected to recognise UTF-16 without a byte-order mark.
const UTF16_PROBE_UNITS: usize = 4000;

/// What the engine reads of some bytes.
#[derive(Debug, PartialEq, Eq)]
pub enum Readable<'a> {
    /// The bytes as they are: text, or binary read as bytes on request.
    Bytes(&'a [u8]),
    /// UTF-16 text, decoded to UTF-8.
    Utf16(Vec<u8>),
    /// Binary, and not asked to read binary.
    Binary,
}

impl Readable<'_> {
    /// The text, unless binary was left out.
    pub fn text(&self) -> Option<Cow<'_, [u8]>> {
        match self {
            Readable::Bytes(b) => Some(Cow::Borrowed(b)),
            Readable::Utf16(t) => Some(Cow::Borrowed(t)),
            Readable::Binary => None,
        }
    }
}

/// What the engine should read of `data`: binary is left out unless `scan_binary`.
pub fn readable(data: &[u8], scan_binary: bool) -> Readable<'_> {
    // UTF-16 text of ASCII characters has a NUL every other byte, so only blobs that look binary
    // (or start with a byte-order mark) are worth the closer look; text pays one memchr.
    let marked = data.starts_with(&[0xFF, 0xFE]) || data.starts_with(&[0xFE, 0xFF]);
    if marked || is_binary(data) {
        if let Some(text) = utf16(data) {
            return Readable::Utf16(text);
        }
        if !scan_binary {
            return Readable::Binary;
        }
    }
    Readable::Bytes(data)
}

/// Whether `data` looks binary: a NUL byte in its first 8000 bytes, as git decides.
pub fn is_binary(data: &[u8]) -> bool {
    memchr::memchr(0, &data[..data.len().min(BINARY_PROBE)]).is_some()
}

/// `data` decoded from UTF-16 to UTF-8, when it is UTF-16 text: it starts with a byte-order mark,
/// or (without one) nearly every one of its first code units is a printable ASCII character or
/// whitespace with a zero high byte, which binary formats do not produce.
fn utf16(data: &[u8]) -> Option<Vec<u8>> {
    let (body, little_endian) = match data {
        [0xFF, 0xFE, rest @ ..] => (rest, true),
        [0xFE, 0xFF, rest @ ..] => (rest, false),
        _ => {
            let little = looks_like_utf16(data, true);
            if !little && !looks_like_utf16(data, false) {
                return None;
            }
            (data, little)
        }
    };
    let units = body.chunks_exact(2).map(|pair| {
        if little_endian {
            u16::from_le_bytes([pair[0], pair[1]])
        } else {
            u16::from_be_bytes([pair[0], pair[1]])
        }
    });
    let text: String = char::decode_utf16(units)
        .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect();
    Some(text.into_bytes())
}

fn looks_like_utf16(data: &[u8], little_endian: bool) -> bool {
    if data.len() < 8 || !data.len().is_multiple_of(2) {
        return false;
    }
    let units = data.chunks_exact(2).take(UTF16_PROBE_UNITS);
    let total = units.len();
    let ascii = units
        .filter(|pair| {
            let (low, high) = if little_endian {
                (pair[0], pair[1])
            } else {
                (pair[1], pair[0])
            };
            high == 0 && (low.is_ascii_graphic() || matches!(low, b' ' | b'\t' | b'\n' | b'\r'))
        })
        .count();
    ascii * 100 >= total * 95
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(text: &str, little: bool, bom: bool) -> Vec<u8> {
        let mut out = Vec::new();
        if bom {
            out.extend_from_slice(if little { &[0xFF, 0xFE] } else { &[0xFE, 0xFF] });
        }
        for unit in text.encode_utf16() {
            out.extend_from_slice(&if little {
                unit.to_le_bytes()
            } else {
                unit.to_be_bytes()
            });
        }
        out
    }

    #[test]
    fn utf16_in_both_byte_orders_with_and_without_a_mark_is_decoded() {
        let text = "DB_PASSWORD=s3cr3t-value\r\nDEBUG=1\r\n";
        for little in [true, false] {
            for bom in [true, false] {
                let data = encode(text, little, bom);
                let read = readable(&data, false);
                assert_eq!(
                    read,
                    Readable::Utf16(text.as_bytes().to_vec()),
                    "little={little} bom={bom}"
                );
            }
        }
    }

    #[test]
    fn binary_stays_binary_and_plain_text_is_borrowed() {
        let png = [0x89, b'P', b'N', b'G', 0, 0, 0, 13, b'I', b'H', b'D', b'R'];
        assert_eq!(readable(&png, false), Readable::Binary);
        assert_eq!(readable(&png, true), Readable::Bytes(&png));
        assert_eq!(
            readable(b"plain text", false),
            Readable::Bytes(b"plain text")
        );
    }
}
