//! `--fingerprint-key-file`: the key that makes fingerprints keyed (see `model::fingerprint`).

use std::path::PathBuf;

use anyhow::Context;
use blobhound::model::Fingerprinter;
use clap::Args;

/// The environment variable that holds the key when no file is named (a CI secret).
pub const KEY_VARIABLE: &str = "BLOBHOUND_FINGERPRINT_KEY";

/// How fingerprints are made, for every command that makes or matches them.
#[derive(Debug, Clone, Args)]
pub struct FingerprintArgs {
    /// Make fingerprints with the key in FILE (HMAC-SHA-256) instead of the slow unkeyed hash;
    /// default: the BLOBHOUND_FINGERPRINT_KEY variable, if set.
    #[arg(long, value_name = "FILE")]
    fingerprint_key_file: Option<PathBuf>,
}

impl FingerprintArgs {
    /// The fingerprinter these arguments (and the environment) ask for.
    pub fn fingerprinter(&self) -> anyhow::Result<Fingerprinter> {
        let key = match &self.fingerprint_key_file {
            Some(path) => Some(
                std::fs::read(path)
                    .with_context(|| format!("reading the fingerprint key {}", path.display()))?,
            ),
            None => std::env::var_os(KEY_VARIABLE)
                .filter(|v| !v.is_empty())
                .map(|v| v.into_encoded_bytes()),
        };
        match key {
            Some(key) => {
                let source = self
                    .fingerprint_key_file
                    .as_ref()
                    .map_or_else(|| KEY_VARIABLE.to_string(), |p| p.display().to_string());
                Fingerprinter::keyed(&key).with_context(|| source)
            }
            None => Ok(Fingerprinter::unkeyed()),
        }
    }
}
