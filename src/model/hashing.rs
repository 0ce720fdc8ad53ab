//! The hashes reports, baselines and verification caches use, defined once so that a fingerprint
//! written by one command is recognised by every other.

use sha2::{Digest, Sha256};

/// SHA-256 of detector id, NUL, secret, as lowercase hex: stable across runs and machines, and
/// safe to store where the secret itself must not be.
pub fn fingerprint(detector_id: &str, secret: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(detector_id.as_bytes());
    hasher.update([0u8]);
    hasher.update(secret.as_bytes());
    hex(&hasher.finalize())
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_separates_detector_and_secret() {
        assert_ne!(fingerprint("ab", "c"), fingerprint("a", "bc"));
        assert_eq!(fingerprint("x", "y").len(), 64);
    }
}
