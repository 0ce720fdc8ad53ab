//! Plain hashes, for ids that need no secrecy (verification cache keys, corpus example ids);
//! fingerprints of secrets have a module of their own, `fingerprint`.

use sha2::{Digest, Sha256};

/// SHA-256 as lowercase hex.
pub fn sha256_hex(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}

/// Bytes as lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::new(), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}
