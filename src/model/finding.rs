//! A finding and the places it was introduced: what reports print, baselines fingerprint and
//! verification checks.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::confidence::Confidence;
use super::ids::Oid;
use super::origin::Origin;
use super::verification::Outcome;

/// Fields a finding carries beside its secret (username, host, port, access key id ...).
pub type Fields = BTreeMap<String, serde_json::Value>;

/// The commit a finding is attributed to, as a report shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitInfo {
    /// Full commit id.
    pub id: Oid,
    /// Author name.
    pub author: String,
    /// Author email.
    pub email: String,
    /// Author date, RFC 3339.
    pub date: String,
    /// First line of the message.
    pub summary: String,
    /// Position in history, oldest first (parents before children), for ordering locations:
    /// timestamps tie and skew, topology does not.
    #[serde(skip)]
    pub rank: u64,
}

/// One secret, wherever it occurs.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Finding {
    /// Detector id.
    pub detector: String,
    /// Detector name.
    pub name: String,
    /// Detector family.
    pub family: String,
    /// Confidence after checks (the highest over its occurrences).
    pub confidence: Confidence,
    /// Why the confidence was lowered: the value looks typed (`dictionary words`, `a sequence or
    /// a repetition`, `a well-known default` ...) or sits only in example or sample files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence_reason: Option<String>,
    /// The secret (redacted on request when printed).
    pub secret: String,
    /// SHA-256 of the secret, to correlate findings across tools; absent when the report is
    /// redacted, since anyone can hash a word list against it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_sha256: Option<String>,
    /// What baselines, allow lists and SARIF store: keyed (`hmac:`) or slow (`argon2id:`), never
    /// a bare hash of the secret (see `model::fingerprint`).
    pub fingerprint: String,
    /// The whole matched text.
    #[serde(rename = "match")]
    pub matched: String,
    /// Extra fields (username, host, port, database, access key id ...).
    pub fields: Fields,
    /// Shannon entropy of the secret.
    pub entropy: f64,
    /// Every place the secret was introduced; the first is the earliest.
    pub locations: Vec<Location>,
    /// Whether some location's blob is in HEAD's tree (or on disk, for a directory scan).
    pub in_head: bool,
    /// The branches and tags whose history still holds the secret (history scans).
    #[serde(default)]
    pub refs: Vec<String>,
    /// Live verification result.
    pub verification: Outcome,
}

/// What kind of text a location is in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    /// A file's content (a blob).
    #[default]
    File,
    /// A commit's message; `blob` is the commit's id.
    CommitMessage,
    /// An annotated tag's message; `blob` is the tag object's id.
    TagMessage,
}

impl Source {
    /// Whether this is the default, so that reports leave the field out for files.
    pub fn is_file(&self) -> bool {
        *self == Source::File
    }
}

/// One place a secret was introduced.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Location {
    /// The blob holding it (for a message, the commit or tag object).
    /// The repository holding it, in a server-wide audit (`ops/svc3`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository: Option<String>,
    pub blob: Oid,
    /// Its path, when some tree names the blob.
    pub path: Option<String>,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
    /// The commit that introduced the blob; null when no ref reaches it.
    pub commit: Option<CommitInfo>,
    /// For a blob no ref reaches: an unreachable commit that holds it, if one exists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unreachable_commit: Option<CommitInfo>,
    /// Whether the secret is in a file, a commit message or a tag message.
    #[serde(default, skip_serializing_if = "Source::is_file")]
    pub source: Source,
    /// The tag's name, for a secret in an annotated tag's message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    /// Where inside the blob, when it had to be unpacked or decoded (`member`, `decoded`,
    /// `cell`); `line` and `column` are then in the member or decompressed text, or, for a
    /// base64, escaped or percent-encoded value, those of the encoded text.
    #[serde(flatten)]
    pub origin: Origin,
}

impl Location {
    /// Where, for a person: `path:line:column`, the member after a `!`
    /// (`backups/shop.zip!shop/.env:3:14`), a database cell by table, column and rowid, and the
    /// decodings that the path does not show.
    pub fn describe(&self) -> String {
        let path = self.path.as_deref().unwrap_or("(no path: blob in no tree)");
        let mut out = match &self.repository {
            Some(repository) => format!("{repository}: {}", self.origin.member_path(path)),
            None => self.origin.member_path(path),
        };
        match &self.origin.cell {
            Some(cell) => {
                out.push_str(&format!(" table {} column {}", cell.table, cell.column));
                if let Some(rowid) = cell.rowid {
                    out.push_str(&format!(" rowid {rowid}"));
                }
            }
            None => out.push_str(&format!(":{}:{}", self.line, self.column)),
        }
        let hidden = self.origin.hidden_decodings();
        if !hidden.is_empty() {
            out.push_str(&format!(" (decoded: {})", hidden.join(", ")));
        }
        out
    }
}
