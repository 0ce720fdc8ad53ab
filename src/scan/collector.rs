//! The meeting point of sources and the engine: every source hands its blobs here, from any thread.
//! It scans each distinct blob once, sets aside binary and oversized ones, and remembers what could
//! not be read, so a report can say exactly what was and was not covered.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use gix::ObjectId;
use serde::{Deserialize, Serialize};

use super::dedup::OidSet;
use super::{BlobMatch, Engine};
use crate::provenance::commits::Commit;

/// Bytes at the start of a blob inspected for NUL to call it binary (git's own heuristic size).
const BINARY_PROBE: usize = 8000;

/// The detail of a commit whose headers do not parse.
pub const CANNOT_PARSE_COMMIT: &str = "cannot parse commit";

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
}

impl SkipReason {
    /// Whether skipping this object means the scan did not see everything it was asked to.
    pub fn makes_incomplete(self) -> bool {
        matches!(
            self,
            SkipReason::Missing | SkipReason::Corrupt | SkipReason::Unreadable
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
        }
    }
}

/// An object the scan passed over, and why.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Skipped {
    /// The object id (or, for a directory scan, the file path).
    pub blob: String,
    /// Why it was skipped.
    pub reason: SkipReason,
    /// More detail where there is some (the decoder's message, the path).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// What to leave out of content scanning.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Blobs larger than this are skipped as too large.
    pub max_blob_size: u64,
    /// Scan blobs with NUL bytes too.
    pub scan_binary: bool,
}

/// Counters for the report's `stats`.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Counts {
    /// Distinct blobs whose content was scanned.
    pub blobs_scanned: u64,
    /// Their total size.
    pub bytes_scanned: u64,
    /// Blobs skipped for any reason.
    pub blobs_skipped: u64,
}

/// Collects scan results from concurrent sources.
pub struct Collector<'e> {
    engine: &'e Engine,
    limits: Limits,
    seen: OidSet,
    found: Mutex<Vec<(ObjectId, Vec<BlobMatch>)>>,
    skipped: Mutex<Vec<Skipped>>,
    commits: Mutex<Vec<Commit>>,
    blobs_scanned: AtomicU64,
    bytes_scanned: AtomicU64,
    blobs_skipped: AtomicU64,
    objects_seen: &'e AtomicU64,
}

impl<'e> Collector<'e> {
    /// A collector scanning with `engine` within `limits`.
    /// `objects_seen` counts every object handed over, for a progress display to poll.
    pub fn new(engine: &'e Engine, limits: Limits, objects_seen: &'e AtomicU64) -> Self {
        Collector {
            engine,
            limits,
            seen: OidSet::default(),
            found: Mutex::default(),
            skipped: Mutex::default(),
            commits: Mutex::default(),
            blobs_scanned: AtomicU64::new(0),
            bytes_scanned: AtomicU64::new(0),
            blobs_skipped: AtomicU64::new(0),
            objects_seen,
        }
    }

    /// Scans blob `id` unless it was seen already.
    pub fn offer_blob(&self, id: ObjectId, data: &[u8]) {
        self.objects_seen.fetch_add(1, Ordering::Relaxed);
        if !self.seen.insert(id) {
            return;
        }
        if data.len() as u64 > self.limits.max_blob_size {
            self.skip(id.to_string(), SkipReason::TooLarge, None);
            return;
        }
        if !self.limits.scan_binary && is_binary(data) {
            self.skip(id.to_string(), SkipReason::Binary, None);
            return;
        }
        self.blobs_scanned.fetch_add(1, Ordering::Relaxed);
        self.bytes_scanned
            .fetch_add(data.len() as u64, Ordering::Relaxed);
        let matches = self.engine.scan(data);
        if !matches.is_empty() {
            lock(&self.found).push((id, matches));
        }
    }

    /// Notes a non-blob object. Commits are parsed here, while their bytes are at hand, so that
    /// tracing history later need not read them again, and so that commits no ref reaches can be
    /// found; one that does not parse is recorded as corrupt.
    pub fn offer_other(&self, id: ObjectId, kind: gix::objs::Kind, data: &[u8]) {
        self.objects_seen.fetch_add(1, Ordering::Relaxed);
        if kind == gix::objs::Kind::Commit {
            match Commit::parse(id, data) {
                Some(commit) => lock(&self.commits).push(commit),
                None => self.skip(
                    id.to_string(),
                    SkipReason::Corrupt,
                    Some(CANNOT_PARSE_COMMIT.to_string()),
                ),
            }
        }
    }

    /// Records an object that could not be scanned.
    pub fn skip(&self, blob: String, reason: SkipReason, detail: Option<String>) {
        self.blobs_skipped.fetch_add(1, Ordering::Relaxed);
        lock(&self.skipped).push(Skipped {
            blob,
            reason,
            detail,
        });
    }

    /// Whether blob `id` was read (scanned or deliberately skipped for size or binary content).
    pub fn has_blob(&self, id: &ObjectId) -> bool {
        self.seen.contains(id)
    }

    /// The size above which blobs are skipped, so sources can avoid reading them at all.
    pub fn max_blob_size(&self) -> u64 {
        self.limits.max_blob_size
    }

    /// The counters so far.
    pub fn counts(&self) -> Counts {
        Counts {
            blobs_scanned: self.blobs_scanned.load(Ordering::Relaxed),
            bytes_scanned: self.bytes_scanned.load(Ordering::Relaxed),
            blobs_skipped: self.blobs_skipped.load(Ordering::Relaxed),
        }
    }

    /// Ids of the blobs that had matches.
    pub fn blobs_with_matches(&self) -> Vec<ObjectId> {
        lock(&self.found).iter().map(|(id, _)| *id).collect()
    }

    /// Hands over every commit met in the object database, parsed, leaving none behind.
    pub(crate) fn take_commits(&self) -> Vec<Commit> {
        std::mem::take(&mut *lock(&self.commits))
    }

    /// Everything skipped so far, as recorded.
    pub fn skipped(&self) -> Vec<Skipped> {
        lock(&self.skipped).clone()
    }

    /// What a report lists as skipped: one entry per object and reason, in a stable order, and
    /// without objects that were read after all (a corrupt loose copy of a blob that is intact in
    /// a pack costs nothing).
    pub fn settled_skipped(&self) -> Vec<Skipped> {
        let mut by_blob: BTreeMap<(String, SkipReason), Skipped> = BTreeMap::new();
        for entry in self.skipped() {
            let recovered = entry.reason.makes_incomplete()
                && ObjectId::from_hex(entry.blob.as_bytes()).is_ok_and(|id| self.has_blob(&id));
            if !recovered {
                by_blob
                    .entry((entry.blob.clone(), entry.reason))
                    .or_insert(entry);
            }
        }
        let mut settled: Vec<Skipped> = by_blob.into_values().collect();
        settled.sort_by(|a, b| (a.reason, &a.blob).cmp(&(b.reason, &b.blob)));
        settled
    }

    /// Hands over the matches, consuming the collector.
    pub fn into_matches(self) -> Vec<(ObjectId, Vec<BlobMatch>)> {
        self.found.into_inner().unwrap_or_else(|p| p.into_inner())
    }
}

/// Whether `data` looks binary: a NUL byte in its first 8000 bytes, as git decides.
pub fn is_binary(data: &[u8]) -> bool {
    memchr::memchr(0, &data[..data.len().min(BINARY_PROBE)]).is_some()
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
