//! Recognising packed formats by their first bytes, never by a file name: a history scan reads
//! blobs before it knows their paths, and a name says nothing about what a base64 value holds.

/// A packed format the decoding layer opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Packed {
    /// A zip archive (and jar, whl, apk, docx ...).
    Zip,
    /// A tar archive (`ustar` at offset 257).
    Tar,
    /// A gzip stream.
    Gzip,
    /// A bzip2 stream.
    Bzip2,
    /// An xz stream.
    Xz,
    /// A zstd frame.
    Zstd,
    /// A zlib stream (what Django's signing and many caches compress with).
    Zlib,
    /// A SQLite database.
    Sqlite,
}

/// The SQLite header string.
pub const SQLITE_MAGIC: &[u8] = b"SQLite format 3\0";

/// The packed format `data` starts with, if any.
pub fn packed(data: &[u8]) -> Option<Packed> {
    // By the first byte: this runs for every long base64 run's first bytes too.
    match data.first()? {
        b'P' if data.starts_with(b"PK\x03\x04") || data.starts_with(b"PK\x05\x06") => {
            Some(Packed::Zip)
        }
        0x1f if data.get(1) == Some(&0x8b) => Some(Packed::Gzip),
        b'B' if data.len() >= 4 && data.starts_with(b"BZh") && (b'1'..=b'9').contains(&data[3]) => {
            Some(Packed::Bzip2)
        }
        0xfd if data.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) => Some(Packed::Xz),
        0x28 if data.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) => Some(Packed::Zstd),
        0x78 if matches!(data, [_, 0x01 | 0x5e | 0x9c | 0xda, _, ..]) => Some(Packed::Zlib),
        b'S' if data.starts_with(SQLITE_MAGIC) => Some(Packed::Sqlite),
        _ if data.get(257..262) == Some(b"ustar") => Some(Packed::Tar),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magics_are_recognised_and_text_is_not() {
        assert_eq!(packed(b"PK\x03\x04rest"), Some(Packed::Zip));
        assert_eq!(packed(&[0x1f, 0x8b, 8]), Some(Packed::Gzip));
        assert_eq!(packed(b"BZh91AY"), Some(Packed::Bzip2));
        assert_eq!(packed(b"BZhx"), None);
        assert_eq!(packed(b"SQLite format 3\0..."), Some(Packed::Sqlite));
        let mut tar = vec![0u8; 512];
        tar[257..262].copy_from_slice(b"ustar");
        assert_eq!(packed(&tar), Some(Packed::Tar));
        assert_eq!(packed(b"DATABASE_URL=postgres://"), None);
    }
}
