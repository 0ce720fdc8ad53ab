//! The sink every mode feeds: sources hand objects here, from any thread. It scans each distinct
//! blob (and each commit or tag message) once, sets aside binary and oversized blobs, and
//! remembers what could not be read, so a report can say exactly what was and was not covered.
//! Reading, skipping and counting exist here once for every mode.

pub mod dedup;
pub mod known;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use gix::objs::Kind;
use gix::ObjectId;

use crate::model::{Confidence, Counts, SkipReason, Skipped, Source};
use crate::objects::{commit, fetch, Commit, Fetched, Objects};
use crate::scan::decode::{DecodeLimits, Decoder};
use crate::scan::{BlobMatch, Engine};
use dedup::OidSet;

/// The detail of a commit whose headers do not parse.
pub const CANNOT_PARSE_COMMIT: &str = "cannot parse commit";

/// What to leave out of content scanning.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Blobs larger than this are skipped as too large.
    pub max_blob_size: u64,
    /// Scan blobs with NUL bytes too.
    pub scan_binary: bool,
    /// How far archives, databases and encoded values are opened.
    pub decode: DecodeLimits,
}

/// The matches in one scanned object.
#[derive(Debug, Clone)]
pub struct Found {
    /// The blob, commit or tag.
    pub id: ObjectId,
    /// Which text of it was scanned.
    pub source: Source,
    /// What the engine found there.
    pub matches: Vec<BlobMatch>,
}

/// Drops every match of a secret that no match of its detector reaches `min_confidence` for.
///
/// Nothing after the engine raises a match: the value's quality and where its copies sit can
/// only lower it. A secret whose every match is below the floor is therefore below it in the
/// report, and placing it would only cost a history trace of each object holding it (a typed
/// `password = "password"` sits in thousands of test-file versions). A secret with one match at
/// the floor keeps all of its matches, so the report still lists every copy, the lowered ones
/// too.
/// Returns how many secrets (detector and secret) it dropped, for the report to say.
pub fn keep_reportable(found: &mut Vec<Found>, min_confidence: Confidence) -> u64 {
    if min_confidence == Confidence::Low {
        return 0;
    }
    let mut reaching: HashMap<usize, HashSet<String>> = HashMap::new();
    for m in found.iter().flat_map(|f| &f.matches) {
        if m.confidence >= min_confidence {
            reaching
                .entry(m.detector)
                .or_default()
                .insert(m.secret.clone());
        }
    }
    let mut dropped: HashSet<(usize, String)> = HashSet::new();
    for f in found.iter_mut() {
        f.matches.retain(|m| {
            let keep = reaching
                .get(&m.detector)
                .is_some_and(|secrets| secrets.contains(m.secret.as_str()));
            if !keep {
                dropped.insert((m.detector, m.secret.clone()));
            }
            keep
        });
    }
    let dropped = dropped.len() as u64;
    found.retain(|f| !f.matches.is_empty());
    dropped
}

/// Everything a collector gathered, settled.
pub struct Collected {
    /// The objects with matches.
    pub found: Vec<Found>,
    /// What was not scanned, one entry per object and reason.
    pub skipped: Vec<Skipped>,
    /// Coverage counters.
    pub counts: Counts,
    /// Secrets already dropped as below the report's confidence floor.
    pub below_confidence: u64,
}

/// What a collector has been handed so far, for a progress display to poll while it works.
#[derive(Debug, Default)]
pub struct Progress {
    /// Objects handed over (a blob seen twice counts twice: it was read twice).
    pub objects: AtomicU64,
    /// Their bytes, as read (before any decoding).
    pub bytes: AtomicU64,
}

impl Progress {
    fn saw(&self, bytes: usize) {
        self.objects.fetch_add(1, Ordering::Relaxed);
        self.bytes.fetch_add(bytes as u64, Ordering::Relaxed);
    }
}

/// Collects scan results from concurrent sources.
pub struct Collector<'e> {
    engine: &'e Engine,
    decoder: Decoder<'e>,
    limits: Limits,
    seen: OidSet,
    found: Mutex<Vec<Found>>,
    skipped: Mutex<Vec<Skipped>>,
    /// Parts of blobs that were read but not wholly (archive members over a bound, corrupt
    /// archives): unlike an object skipped, they are never recovered by reading the blob again.
    unread_parts: Mutex<Vec<Skipped>>,
    commits: Mutex<Vec<Commit>>,
    blobs_scanned: AtomicU64,
    bytes_scanned: AtomicU64,
    bytes_decoded: AtomicU64,
    progress: &'e Progress,
    /// Secrets [`Self::keep_reportable`] dropped.
    below_confidence: AtomicU64,
}

impl<'e> Collector<'e> {
    /// A collector scanning with `engine` within `limits`, counting what it is handed in
    /// `progress`.
    pub fn new(engine: &'e Engine, limits: Limits, progress: &'e Progress) -> Self {
        let decode = DecodeLimits {
            max_member_size: limits.max_blob_size,
            ..limits.decode
        };
        Collector {
            engine,
            decoder: Decoder::new(engine, decode),
            limits,
            seen: OidSet::default(),
            found: Mutex::default(),
            skipped: Mutex::default(),
            unread_parts: Mutex::default(),
            commits: Mutex::default(),
            blobs_scanned: AtomicU64::new(0),
            bytes_scanned: AtomicU64::new(0),
            bytes_decoded: AtomicU64::new(0),
            progress,
            below_confidence: AtomicU64::new(0),
        }
    }

    /// The engine this collector scans with.
    pub fn engine(&self) -> &'e Engine {
        self.engine
    }

    /// Scans blob `id` unless it was seen already.
    pub fn offer_blob(&self, id: ObjectId, data: &[u8]) {
        self.offer_blob_at(id, data, None);
    }

    /// Scans blob `id`, which sits at `path` (when the source knows), unless it was seen
    /// already; the path names the parts of it that could not be read.
    pub fn offer_blob_at(&self, id: ObjectId, data: &[u8], path: Option<&str>) {
        self.progress.saw(data.len());
        if !self.seen.insert(id) {
            return;
        }
        let size = data.len() as u64;
        if size > self.limits.max_blob_size {
            self.skip_sized(id.to_string(), SkipReason::TooLarge, None, Some(size));
            return;
        }
        let scanned = self.decoder.scan(data, self.limits.scan_binary);
        if scanned.binary {
            self.skip_sized(id.to_string(), SkipReason::Binary, None, Some(size));
            return;
        }
        self.blobs_scanned.fetch_add(1, Ordering::Relaxed);
        self.bytes_scanned.fetch_add(size, Ordering::Relaxed);
        self.bytes_decoded
            .fetch_add(scanned.decoded_bytes, Ordering::Relaxed);
        if !scanned.unread.is_empty() {
            let mut skipped = lock(&self.unread_parts);
            for part in scanned.unread {
                skipped.push(Skipped {
                    repository: None,
                    blob: id.to_string(),
                    reason: part.reason,
                    path: path.map(str::to_string),
                    member: part.member,
                    detail: Some(part.detail),
                    size: part.size,
                    unread: false,
                });
            }
        }
        if !scanned.matches.is_empty() {
            lock(&self.found).push(Found {
                id,
                source: Source::File,
                matches: scanned.matches,
            });
        }
    }

    /// Notes a non-blob object. Commits are parsed here, while their bytes are at hand, so that
    /// tracing history later need not read them again, and so that commits no ref reaches can be
    /// found; one that does not parse is recorded as corrupt. Commit and tag messages are scanned.
    pub fn offer_other(&self, id: ObjectId, kind: Kind, data: &[u8]) {
        self.progress.saw(data.len());
        match kind {
            Kind::Commit => {
                let Some(parsed) = Commit::parse(id, data) else {
                    self.skip(
                        id.to_string(),
                        SkipReason::Corrupt,
                        Some(CANNOT_PARSE_COMMIT.to_string()),
                    );
                    return;
                };
                lock(&self.commits).push(parsed);
                self.offer_message(id, Source::CommitMessage, data);
            }
            Kind::Tag => self.offer_message(id, Source::TagMessage, data),
            Kind::Blob | Kind::Tree => {}
        }
    }

    /// Scans the message of commit or tag `id` (its raw object bytes), once.
    pub fn offer_message(&self, id: ObjectId, source: Source, data: &[u8]) {
        if !self.seen.insert(id) {
            return;
        }
        self.scan(id, source, commit::message(data));
    }

    /// Reads object `id` through `objects` and offers it: a blob over the size limit is skipped by
    /// its header without being inflated; what cannot be read is recorded with `path` (where the
    /// object sits) as detail. Every mode that reads single objects reads them here.
    pub fn read(&self, objects: &dyn Objects, id: ObjectId, path: Option<&str>, buf: &mut Vec<u8>) {
        if self.has_blob(&id) {
            return;
        }
        let detail = || path.map(str::to_string);
        match fetch(objects, &id, self.limits.max_blob_size, buf) {
            Fetched::Object {
                kind: Kind::Blob,
                data,
            } => self.offer_blob_at(id, data, path),
            Fetched::Object { kind, data } => self.offer_other(id, kind, data),
            Fetched::TooLarge { size } => self.skip_too_large(id, size, detail()),
            Fetched::Missing => self.skip(id.to_string(), SkipReason::Missing, detail()),
            Fetched::Corrupt(message) => self.skip(
                id.to_string(),
                SkipReason::Corrupt,
                Some(path.map_or(message.clone(), |p| format!("{p}: {message}"))),
            ),
        }
    }

    fn scan(&self, id: ObjectId, source: Source, text: &[u8]) {
        let matches = self.engine.scan(text);
        if !matches.is_empty() {
            lock(&self.found).push(Found {
                id,
                source,
                matches,
            });
        }
    }

    /// Records a blob found over the size limit by its header, without inflating it; `detail`
    /// says where it sits, when the source knows.
    pub fn skip_too_large(&self, id: ObjectId, size: u64, detail: Option<String>) {
        self.progress.saw(0);
        if self.seen.insert(id) {
            self.skip_sized(id.to_string(), SkipReason::TooLarge, detail, Some(size));
        }
    }

    /// Records an object that could not be scanned.
    pub fn skip(&self, blob: String, reason: SkipReason, detail: Option<String>) {
        self.skip_sized(blob, reason, detail, None);
    }

    /// Records an object that could not be scanned, with its size where known.
    pub fn skip_sized(
        &self,
        blob: String,
        reason: SkipReason,
        detail: Option<String>,
        size: Option<u64>,
    ) {
        lock(&self.skipped).push(Skipped {
            repository: None,
            blob,
            reason,
            path: None,
            member: None,
            detail,
            size,
            unread: false,
        });
    }

    /// Counts object `id` as read without reading it: an earlier scan read it whole and found
    /// nothing (see [`known`]). Sources then pass it by, and history does not call it missing.
    pub fn assume_read(&self, id: ObjectId) {
        self.seen.insert(id);
    }

    /// Takes over what an earlier scan recorded of an object without reading it again: a blob
    /// skipped as binary or too large is skipped again under the same limits, and one history
    /// named but the database lacked is still lacking while no object file holds it.
    pub fn carry(&self, entry: Skipped) {
        if !entry.reason.makes_incomplete() {
            if let Ok(id) = ObjectId::from_hex(entry.blob.as_bytes()) {
                self.seen.insert(id);
            }
        }
        lock(&self.skipped).push(entry);
    }

    /// Whether object `id` was read (scanned or deliberately skipped for size or binary content).
    pub fn has_blob(&self, id: &ObjectId) -> bool {
        self.seen.contains(id)
    }

    /// The limits this collector applies, so sources can avoid reading too-large files at all.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Takes over the matches an earlier scan found in an object it read whole, without
    /// reading it again: the object is the same, and so are the detectors.
    pub fn restore(&self, found: Found) {
        self.seen.insert(found.id);
        lock(&self.found).push(found);
    }

    /// Every object with matches so far, with them (before any is dropped as below a floor).
    pub fn found(&self) -> Vec<Found> {
        lock(&self.found).clone()
    }

    /// Ids of the objects that had matches.
    pub fn blobs_with_matches(&self) -> Vec<ObjectId> {
        lock(&self.found).iter().map(|f| f.id).collect()
    }

    /// Ids of the blobs read in part only (an archive member over a bound, a corrupt archive),
    /// for a mode to find their paths.
    pub fn blobs_read_in_part(&self) -> Vec<ObjectId> {
        lock(&self.unread_parts)
            .iter()
            .filter_map(|s| ObjectId::from_hex(s.blob.as_bytes()).ok())
            .collect()
    }

    /// Forgets the matches no report at `min_confidence` can show (see [`keep_reportable`]), so
    /// that history is traced only for objects that hold something to report.
    pub fn keep_reportable(&self, min_confidence: Confidence) {
        let dropped = keep_reportable(&mut lock(&self.found), min_confidence);
        self.below_confidence.fetch_add(dropped, Ordering::Relaxed);
    }

    /// Hands over every commit met in the object database, parsed, leaving none behind.
    pub fn take_commits(&self) -> Vec<Commit> {
        std::mem::take(&mut *lock(&self.commits))
    }

    /// Everything skipped so far, as recorded.
    pub fn skipped(&self) -> Vec<Skipped> {
        lock(&self.skipped).clone()
    }

    /// What a report lists as skipped: one entry per object and reason, in a stable order, and
    /// without objects that were read after all (a corrupt loose copy of a blob that is intact in
    /// a pack costs nothing).
    fn settled_skipped(&self) -> Vec<Skipped> {
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
        settled.extend(lock(&self.unread_parts).iter().cloned());
        settled.sort_by(|a, b| (a.reason, &a.blob, &a.member).cmp(&(b.reason, &b.blob, &b.member)));
        settled
    }

    /// Settles what was skipped and hands over everything, consuming the collector.
    pub fn finish(self) -> Collected {
        let skipped = self.settled_skipped();
        let counts = Counts {
            blobs_scanned: self.blobs_scanned.load(Ordering::Relaxed),
            bytes_scanned: self.bytes_scanned.load(Ordering::Relaxed),
            bytes_decoded: self.bytes_decoded.load(Ordering::Relaxed),
            blobs_skipped: skipped.len() as u64,
        };
        let mut found = self.found.into_inner().unwrap_or_else(|p| p.into_inner());
        found.sort_by_key(|f| (f.id, f.source));
        Collected {
            found,
            skipped,
            counts,
            below_confidence: self.below_confidence.load(Ordering::Relaxed),
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
