//! Fingerprints: how baselines, allow lists, push options and SARIF name a secret without holding
//! it. They must be stable across runs and machines (a baseline made in CI matches on a laptop),
//! yet a file meant to be committed or shared must not let anyone confirm a guessed secret cheaply
//! offline. A bare hash would: anyone can hash a word list. So a fingerprint is either
//!
//! - **keyed**, `hmac:<key id>:<hex>`: HMAC-SHA-256 under a key the team keeps (a CI secret). Without
//!   the key a fingerprint says nothing about the secret; the key id (a hash of the key, not the
//!   key) lets a run tell that a baseline was made with another key instead of silently matching
//!   nothing; or
//! - **slow**, `argon2id:<hex>`: Argon2id with fixed, documented parameters, when no key is set.
//!   Each guess costs tens of milliseconds and 19 MiB of memory, so a word list of millions costs
//!   hours of a machine rather than a second of a GPU. A secret in a short list of common passwords
//!   can still be confirmed: set a key wherever fingerprints leave the team.
//!
//! Both bind the detector id, so one secret under two detectors has two fingerprints. The first
//! scheme, `sha256(detector, NUL, secret)` as bare hex, is kept only to read old baselines
//! ([`legacy`]).

use argon2::{Algorithm, Argon2, Block, Params, Version};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use super::hashing::hex;

/// What ties a fingerprint to blobhound's second scheme, in both the HMAC message and the Argon2
/// salt: a hash made for another purpose never collides with a fingerprint.
const DOMAIN: &[u8] = b"blobhound fingerprint v2";

/// Argon2id memory in KiB, passes and lanes: the minimum OWASP recommends for password storage.
/// Changing them changes every unkeyed fingerprint, so they are part of the format.
const ARGON2_MEMORY_KIB: u32 = 19 * 1024;
const ARGON2_PASSES: u32 = 2;
const ARGON2_LANES: u32 = 1;

/// A key shorter than this could itself be guessed.
pub const MIN_KEY_BYTES: usize = 16;

/// The key given is too short to protect anything.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the fingerprint key has {len} bytes; it needs at least {MIN_KEY_BYTES} (e.g. `openssl rand -hex 32`)")]
pub struct WeakKey {
    /// How long the key was.
    pub len: usize,
}

/// Computes fingerprints under one scheme: keyed when the team set a key, slow otherwise.
#[derive(Clone)]
pub struct Fingerprinter {
    key: Option<(Hmac<Sha256>, String)>,
    /// Fingerprints an earlier run made under this scheme, by (detector, secret): a re-run of an
    /// audit need not pay the slow scheme again for every secret it already reported.
    made: Option<std::sync::Arc<std::collections::HashMap<(String, String), String>>>,
}

impl std::fmt::Debug for Fingerprinter {
    /// Names the scheme, never the key.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Fingerprinter({})", self.scheme())
    }
}

impl Default for Fingerprinter {
    fn default() -> Self {
        Fingerprinter::unkeyed()
    }
}

impl Fingerprinter {
    /// The slow scheme, for when no key is set.
    pub fn unkeyed() -> Self {
        Fingerprinter {
            key: None,
            made: None,
        }
    }

    /// The keyed scheme; the key's bytes are used as they are (surrounding whitespace trimmed, so
    /// a key file's trailing newline does not change every fingerprint).
    pub fn keyed(key: &[u8]) -> Result<Self, WeakKey> {
        let key = key.trim_ascii();
        if key.len() < MIN_KEY_BYTES {
            return Err(WeakKey { len: key.len() });
        }
        let mac = <Hmac<Sha256> as Mac>::new_from_slice(key).map_err(|_| WeakKey { len: 0 })?;
        let mut id_mac = mac.clone();
        id_mac.update(DOMAIN);
        id_mac.update(b"\0key id");
        let id = hex(&id_mac.finalize().into_bytes()[..4]);
        Ok(Fingerprinter {
            key: Some((mac, id)),
            made: None,
        })
    }

    /// This fingerprinter, remembering the `(detector, secret, fingerprint)` triples an earlier run
    /// made; those of another scheme are left out (they would not be this run's fingerprints).
    pub fn remembering(self, made: impl IntoIterator<Item = (String, String, String)>) -> Self {
        let prefix = format!("{}:", self.scheme());
        let made: std::collections::HashMap<(String, String), String> = made
            .into_iter()
            .filter(|(_, _, fingerprint)| fingerprint.starts_with(&prefix))
            .map(|(detector, secret, fingerprint)| ((detector, secret), fingerprint))
            .collect();
        Fingerprinter {
            made: (!made.is_empty()).then(|| std::sync::Arc::new(made)),
            ..self
        }
    }

    /// The scheme as fingerprints spell it: `hmac:<key id>` or `argon2id`.
    pub fn scheme(&self) -> String {
        match &self.key {
            Some((_, id)) => format!("hmac:{id}"),
            None => "argon2id".to_string(),
        }
    }

    /// The fingerprint of `secret` found by `detector`.
    pub fn fingerprint(&self, detector: &str, secret: &str) -> String {
        if let Some(made) = self
            .made
            .as_ref()
            .and_then(|made| made.get(&(detector.to_string(), secret.to_string())))
        {
            return made.clone();
        }
        match &self.key {
            Some((mac, id)) => {
                let mut mac = mac.clone();
                mac.update(DOMAIN);
                mac.update(b"\0");
                mac.update(detector.as_bytes());
                mac.update(b"\0");
                mac.update(secret.as_bytes());
                format!("hmac:{id}:{}", hex(&mac.finalize().into_bytes()))
            }
            None => format!("argon2id:{}", hex(&slow_hash(detector, secret))),
        }
    }

    /// Whether `fingerprint` could have been made by this scheme; otherwise why not, in words a
    /// user can act on.
    pub fn can_match(&self, fingerprint: &str) -> Result<(), String> {
        match (Kind::of(fingerprint), &self.key) {
            (Some(Kind::Legacy), _) => Ok(()),
            (Some(Kind::Slow), None) => Ok(()),
            (Some(Kind::Keyed(id)), Some((_, ours))) if id == ours => Ok(()),
            (Some(Kind::Keyed(id)), Some((_, ours))) => Err(format!(
                "it was made with fingerprint key {id}, but this run's key is {ours}"
            )),
            (Some(Kind::Keyed(id)), None) => Err(format!(
                "it was made with fingerprint key {id}, but no key is set \
                 (BLOBHOUND_FINGERPRINT_KEY or --fingerprint-key-file)"
            )),
            (Some(Kind::Slow), Some((_, ours))) => Err(format!(
                "it was made without a fingerprint key, but this run uses key {ours}"
            )),
            (None, _) => Err("it is not a blobhound fingerprint".to_string()),
        }
    }
}

/// What a fingerprint string is, from its shape alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind<'a> {
    /// `hmac:<key id>:<64 hex>`.
    Keyed(&'a str),
    /// `argon2id:<64 hex>`.
    Slow,
    /// 64 hex digits: the first scheme, read from old baselines.
    Legacy,
}

impl<'a> Kind<'a> {
    /// Recognises a fingerprint; `None` for anything else.
    pub fn of(text: &'a str) -> Option<Kind<'a>> {
        if is_hex(text, 64) {
            return Some(Kind::Legacy);
        }
        if let Some(digest) = text.strip_prefix("argon2id:") {
            return is_hex(digest, 64).then_some(Kind::Slow);
        }
        let (id, digest) = text.strip_prefix("hmac:")?.split_once(':')?;
        (is_hex(id, 8) && is_hex(digest, 64)).then_some(Kind::Keyed(id))
    }
}

fn is_hex(text: &str, len: usize) -> bool {
    text.len() == len
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

thread_local! {
    static BLOCKS: std::cell::RefCell<Vec<Block>> = const { std::cell::RefCell::new(Vec::new()) };
}

fn slow_hash(detector: &str, secret: &str) -> [u8; 32] {
    let mut out = [0u8; 32];
    let mut input = Vec::with_capacity(detector.len() + 1 + secret.len());
    input.extend_from_slice(detector.as_bytes());
    input.push(0);
    input.extend_from_slice(secret.as_bytes());
    let hashed = Params::new(
        ARGON2_MEMORY_KIB,
        ARGON2_PASSES,
        ARGON2_LANES,
        Some(out.len()),
    )
    .map(|params| Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
    .and_then(|argon| {
        // One 19 MiB block area per thread, reused: allocating it per fingerprint left the
        // allocator holding several of them.
        BLOCKS.with_borrow_mut(|blocks| {
            blocks.resize(ARGON2_MEMORY_KIB as usize, Block::default());
            argon.hash_password_into_with_memory(&input, DOMAIN, &mut out, &mut blocks[..])
        })
    });
    // Fixed, valid parameters and a salt of the required length: this cannot fail, and a
    // fingerprint must never be empty, so a failure falls back to a hash that still binds both.
    if hashed.is_err() {
        out.copy_from_slice(&Sha256::digest([DOMAIN, &input].concat()));
    }
    out
}

/// The first scheme's fingerprint, SHA-256 of detector id, NUL, secret: only to match entries of
/// baselines written before the second scheme, never written anew.
pub fn legacy(detector: &str, secret: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(detector.as_bytes());
    hasher.update([0u8]);
    hasher.update(secret.as_bytes());
    hex(&hasher.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"team-key-0123456789abcdef";

    #[test]
    fn fingerprints_are_stable_and_bind_the_detector() {
        let slow = Fingerprinter::unkeyed();
        let a = slow.fingerprint("ab", "c");
        assert_eq!(a, slow.fingerprint("ab", "c"));
        assert_ne!(a, slow.fingerprint("a", "bc"));
        assert_eq!(Kind::of(&a), Some(Kind::Slow));
        let keyed = Fingerprinter::keyed(KEY).unwrap();
        let b = keyed.fingerprint("ab", "c");
        assert_eq!(b, Fingerprinter::keyed(KEY).unwrap().fingerprint("ab", "c"));
        assert!(matches!(Kind::of(&b), Some(Kind::Keyed(_))));
        assert_ne!(b, keyed.fingerprint("a", "bc"));
    }

    #[test]
    fn remembered_fingerprints_are_used_only_under_their_own_scheme() {
        let slow = Fingerprinter::unkeyed();
        let made = slow.fingerprint("d", "s");
        let keyed = Fingerprinter::keyed(KEY).unwrap();
        let remembered = |f: &Fingerprinter| {
            f.clone().remembering([
                ("d".to_string(), "s".to_string(), made.clone()),
                ("d".to_string(), "t".to_string(), "argon2id:00".to_string()),
            ])
        };
        // Taken as made for the same scheme (a stand-in value shows it was not recomputed) ...
        assert_eq!(remembered(&slow).fingerprint("d", "s"), made);
        assert_eq!(remembered(&slow).fingerprint("d", "t"), "argon2id:00");
        assert_eq!(
            remembered(&slow).fingerprint("e", "s"),
            slow.fingerprint("e", "s")
        );
        // ... and ignored under another.
        assert_eq!(
            remembered(&keyed).fingerprint("d", "s"),
            keyed.fingerprint("d", "s")
        );
    }

    #[test]
    fn neither_scheme_is_a_bare_hash_of_the_secret() {
        let secret = "Summer2024!";
        for fp in [
            Fingerprinter::unkeyed().fingerprint("database-url", secret),
            Fingerprinter::keyed(KEY)
                .unwrap()
                .fingerprint("database-url", secret),
        ] {
            assert!(!fp.contains(&legacy("database-url", secret)));
            assert!(!fp.contains(&super::super::hashing::sha256_hex(secret.as_bytes())));
        }
    }

    #[test]
    fn the_unkeyed_scheme_is_argon2id_with_its_documented_parameters() {
        // Pinned: changing a parameter silently invalidates every unkeyed baseline.
        assert_eq!(
            Fingerprinter::unkeyed().fingerprint("d", "s"),
            "argon2id:".to_string() + &hex(&slow_hash("d", "s"))
        );
        let mut out = [0u8; 32];
        Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(19456, 2, 1, Some(32)).unwrap(),
        )
        .hash_password_into(b"d\0s", b"blobhound fingerprint v2", &mut out)
        .unwrap();
        assert_eq!(out, slow_hash("d", "s"));
    }

    #[test]
    fn keys_are_checked_and_named_without_being_shown() {
        assert_eq!(
            Fingerprinter::keyed(b"short").unwrap_err(),
            WeakKey { len: 5 }
        );
        let keyed = Fingerprinter::keyed(KEY).unwrap();
        let debug = format!("{keyed:?}");
        assert!(!debug.contains("team-key"), "{debug}");
        // A key file's newline does not change the key.
        let with_newline = Fingerprinter::keyed(&[KEY, b"\n"].concat()).unwrap();
        assert_eq!(keyed.scheme(), with_newline.scheme());
    }

    #[test]
    fn a_fingerprint_of_another_scheme_is_explained() {
        let keyed = Fingerprinter::keyed(KEY).unwrap();
        let other = Fingerprinter::keyed(b"another-team-key-0123456789").unwrap();
        let slow = Fingerprinter::unkeyed();
        let fp = keyed.fingerprint("d", "s");
        assert!(keyed.can_match(&fp).is_ok());
        assert!(other.can_match(&fp).unwrap_err().contains("this run's key"));
        assert!(slow.can_match(&fp).unwrap_err().contains("no key is set"));
        assert!(keyed
            .can_match(&slow.fingerprint("d", "s"))
            .unwrap_err()
            .contains("without a fingerprint key"));
        assert!(slow.can_match(&legacy("d", "s")).is_ok());
        assert!(slow.can_match("hmac:zz:00").is_err());
    }
}
