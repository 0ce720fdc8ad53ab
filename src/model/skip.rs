//! What a scan could not read, and why: every mode records skips the same way, so that a report's
//! completeness means the same thing whichever mode wrote it.

use super::words::human_bytes;
use serde::{Deserialize, Serialize};

/// Why an object was not scanned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SkipReason {
    /// Referenced but absent (partial clone, dropped object, broken alternate).
    Missing,
    /// Present but unreadable (bad zlib stream, bad delta, checksum mismatch).
    Corrupt,
    /// A file of a directory scan that could not be opened (permissions, vanished).
    Unreadable,
    /// Larger than `--max-blob-size`.
    TooLarge,
    /// Has NUL bytes near its start.
    Binary,
    /// An archive member, or a whole archive or database, over an unpacking bound: member size,
    /// member count, bytes unpacked from one blob, or a compression ratio no real file has.
    ArchiveLimit,
    /// Encoded or packed text nested deeper than the decoding depth, or decoded after the
    /// scan's budget of decoded bytes ran out.
    DecodeLimit,
}

impl SkipReason {
    /// Whether skipping this object means a history audit did not see everything it was asked
    /// to. Size and binary skips are the user's own limits there; a gate treats every skip as
    /// unread (see [`Coverage`]).
    pub fn makes_incomplete(self) -> bool {
        matches!(
            self,
            SkipReason::Missing
                | SkipReason::Corrupt
                | SkipReason::Unreadable
                | SkipReason::ArchiveLimit
                | SkipReason::DecodeLimit
        )
    }

    /// The name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::Missing => "missing",
            SkipReason::Corrupt => "corrupt",
            SkipReason::Unreadable => "unreadable",
            SkipReason::TooLarge => "too-large",
            SkipReason::Binary => "binary",
            SkipReason::ArchiveLimit => "archive-limit",
            SkipReason::DecodeLimit => "decode-limit",
        }
    }
}

/// What a mode promises about the objects it selected, which decides when a skip makes the
/// report incomplete.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coverage {
    /// A history audit or directory scan: limits the user set (size, binary) are reported, not
    /// failures; only objects that could not be read make the scan incomplete.
    Audit,
    /// A gate (range, push, staged change): nothing may pass unread, so every skipped object,
    /// whatever the reason, makes the report incomplete and the gate fail.
    Gate,
}

impl Coverage {
    /// Whether a skip for `reason` leaves the scan incomplete under this coverage.
    pub fn incomplete_without(self, reason: SkipReason) -> bool {
        match self {
            Coverage::Audit => reason.makes_incomplete(),
            Coverage::Gate => true,
        }
    }
}

/// An object the scan passed over, and why.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Skipped {
    /// The repository holding it, in a server-wide audit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository: Option<String>,
    /// The object id (or, for a directory scan, the file path).
    pub blob: String,
    /// Why it was skipped.
    pub reason: SkipReason,
    /// Where the blob sits, for a part of it that was not read (an archive member over a
    /// bound, a corrupt archive), when the mode knows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The archive member (nested members joined with `!`), when the part not read is inside
    /// the blob.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member: Option<String>,
    /// More detail where there is some (the decoder's message, the path).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The object's size in bytes, where its header was read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// Whether this skip leaves the report incomplete (every skip does in a gate; in an audit,
    /// only objects that could not be read).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unread: bool,
}

impl Skipped {
    /// One line saying what was not scanned and why, for a person: the path where the mode
    /// knows it, else the object id.
    pub fn describe(&self) -> String {
        let what = match self.reason {
            SkipReason::TooLarge => format!(
                "{}, over the size limit, not scanned",
                self.size.map_or("too large".to_string(), human_bytes)
            ),
            SkipReason::Binary => "binary, not scanned".to_string(),
            SkipReason::Missing => "missing from the object database".to_string(),
            SkipReason::Corrupt => "present but cannot be read".to_string(),
            SkipReason::Unreadable => "cannot be opened".to_string(),
            SkipReason::ArchiveLimit | SkipReason::DecodeLimit => "not read".to_string(),
        };
        let inner = match (&self.path, &self.member) {
            (Some(path), Some(member)) => Some(format!("{path}!{member}")),
            (Some(path), None) => Some(path.clone()),
            (None, Some(member)) => Some(format!("{}!{member}", self.blob)),
            (None, None) => None,
        };
        match (inner, &self.detail) {
            (Some(inner), Some(detail)) => format!("{inner} ({}): {detail}; {what}", self.blob),
            (Some(inner), None) => format!("{inner} ({}): {what}", self.blob),
            (None, Some(detail)) if !detail.is_empty() => {
                format!("{detail} ({}): {what}", self.blob)
            }
            _ => format!("{}: {what}", self.blob),
        }
    }
}

/// Counters for the report's `stats`.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Counts {
    /// Distinct blobs whose content was scanned.
    pub blobs_scanned: u64,
    /// Their total size.
    pub bytes_scanned: u64,
    /// Bytes unpacked from archives and compressed files, or decoded from base64, escapes and
    /// databases, and scanned too.
    pub bytes_decoded: u64,
    /// Blobs skipped for any reason.
    pub blobs_skipped: u64,
}
