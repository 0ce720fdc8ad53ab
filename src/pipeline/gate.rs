//! The gates: `scan --range`, the pre-receive hook and the pre-commit hook. Each selects what
//! its change introduced (a range's commits, a push's commits, tags, trees and blobs, the staged
//! index) and hands it to one [`GateScan`], so the three cannot disagree about what a change
//! added, and cost follows the change, not the repository.
//!
//! "Introduced" means added by the commit: a finding counts when its secret is on a line the
//! commit added relative to each parent's version of the path (following renames). An edit
//! near an old secret passes; copying an old secret to a new file or a new line is reported; a
//! merge reports only what its own resolution added. A line counts as added when the new version
//! holds more copies of it than the parent's version did.
//!
//! Nothing unread passes: a gate scans binary blobs too, and every object it could not read or
//! chose not to (over the size limit) makes the report incomplete, which fails the gate.

use std::collections::{HashMap, HashSet};
use std::rc::Rc;
use std::sync::atomic::AtomicU64;
use std::time::Instant;

use gix::objs::Kind;
use gix::ObjectId;

use super::{elapsed_ms, finish};
use crate::collect::{Collector, Found, Limits, Progress};
use crate::model::{CommitInfo, Coverage, SkipReason, Source};
use crate::objects::commit::{self, Commit};
use crate::objects::tree::blob_at;
use crate::objects::{fetch, Fetched, Objects};
use crate::report::{Attribution, BlobPlace, FindingOptions, Report};
use crate::scan::decode::{DecodeLimits, Decoder};
use crate::scan::line_counts::{lines, LineCounts};
use crate::scan::{BlobMatch, Engine};
use crate::source::changes::{blobs_below, introduced};
use crate::source::renames;

/// Gates draw no progress bar; their collector counts into this.
static UNWATCHED: Progress = Progress {
    objects: AtomicU64::new(0),
    bytes: AtomicU64::new(0),
};

/// A blob a change introduced at a place, with what each parent had there.
#[derive(Debug, Clone)]
pub struct Introduction {
    /// The blob.
    pub blob: ObjectId,
    /// Where it is (none for a blob a tag points at).
    pub path: Option<String>,
    /// The commit that introduced it, with its rank in the change (oldest first); none for a
    /// staged change or what a tag points at.
    pub commit: Option<(ObjectId, u64)>,
    /// Per parent, its version of the path (or of the path the file was renamed from); `None`
    /// when it had none. No bases at all means every line is new.
    pub bases: Vec<Option<ObjectId>>,
    /// The ref that names it, for objects a tag points at directly.
    pub tag: Option<String>,
}

/// A gate's scan: feed it what the change introduced, then [`GateScan::finish`].
pub struct GateScan<'a> {
    objects: &'a dyn Objects,
    collector: Collector<'a>,
    introductions: Vec<Introduction>,
    messages: HashMap<ObjectId, MessagePlace>,
    commits: u64,
    started: Instant,
    buf: Vec<u8>,
}

/// Where a scanned message belongs.
#[derive(Debug, Clone)]
enum MessagePlace {
    Commit(ObjectId, u64),
    Tag(String),
}

impl<'a> GateScan<'a> {
    /// A gate reading through `objects` (for a push: its quarantine, then the repository).
    pub fn new(objects: &'a dyn Objects, engine: &'a Engine, limits: Limits) -> Self {
        let limits = Limits {
            scan_binary: true,
            ..limits
        };
        GateScan {
            objects,
            collector: Collector::new(engine, limits, &UNWATCHED),
            introductions: Vec::new(),
            messages: HashMap::new(),
            commits: 0,
            started: Instant::now(),
            buf: Vec::new(),
        }
    }

    /// Scans what each of `ids` introduced, and its message. Commits are taken oldest first, so
    /// a secret's first location is the commit that added it.
    pub fn commits(&mut self, ids: &[ObjectId]) {
        let mut loaded = Vec::new();
        for id in ids {
            match fetch(self.objects, id, u64::MAX, &mut self.buf) {
                Fetched::Object {
                    kind: Kind::Commit,
                    data,
                } => match Commit::parse(*id, data) {
                    Some(parsed) => {
                        self.collector
                            .offer_message(*id, Source::CommitMessage, data);
                        loaded.push(parsed);
                    }
                    None => self.skip(*id, SkipReason::Corrupt, "cannot parse commit".into()),
                },
                Fetched::Object { kind, .. } => {
                    self.skip(*id, SkipReason::Corrupt, format!("a {kind}, not a commit"))
                }
                Fetched::TooLarge { .. } | Fetched::Missing => {
                    self.skip(*id, SkipReason::Missing, "commit".into())
                }
                Fetched::Corrupt(message) => self.skip(*id, SkipReason::Corrupt, message),
            }
        }
        let base_rank = self.commits;
        for (index, parsed) in commit::oldest_first(loaded).into_iter().enumerate() {
            let rank = base_rank + index as u64 + 1;
            self.commits += 1;
            self.messages
                .insert(parsed.id, MessagePlace::Commit(parsed.id, rank));
            let mut parent_trees = Vec::new();
            for parent in &parsed.parents {
                match commit::read(self.objects, *parent, &mut self.buf) {
                    Some(p) => parent_trees.push(p.tree),
                    None => self.skip(*parent, SkipReason::Missing, "parent commit".into()),
                }
            }
            let mut changes = introduced(self.objects, parsed.tree, &parent_trees);
            for unreadable in changes.unreadable {
                let reason = if unreadable.missing {
                    SkipReason::Missing
                } else {
                    SkipReason::Corrupt
                };
                self.skip(unreadable.id, reason, unreadable.detail);
            }
            for (parent, deleted) in changes.deleted.iter().enumerate() {
                renames::pair(self.objects, &mut changes.changes, parent, deleted);
            }
            for change in changes.changes {
                self.introduce(Introduction {
                    blob: change.blob,
                    path: Some(change.path),
                    commit: Some((parsed.id, rank)),
                    bases: change.bases,
                    tag: None,
                });
            }
        }
    }

    /// Scans one introduced blob (reading it unless it was read already).
    pub fn introduce(&mut self, introduction: Introduction) {
        self.collector.read(
            self.objects,
            introduction.blob,
            introduction.path.as_deref(),
            &mut self.buf,
        );
        self.introductions.push(introduction);
    }

    /// Scans an annotated tag's message; `name` is the ref that names it.
    pub fn tag_message(&mut self, id: ObjectId, data: &[u8], name: &str) {
        self.messages
            .insert(id, MessagePlace::Tag(name.to_string()));
        self.collector.offer_message(id, Source::TagMessage, data);
    }

    /// Scans every blob of a tree a ref points at directly (no commit to diff it against, so all
    /// of it is new).
    pub fn tree(&mut self, tree: ObjectId, name: &str) {
        for (path, blob) in blobs_below(self.objects, tree, "") {
            self.introduce(Introduction {
                blob,
                path: Some(path),
                commit: None,
                bases: Vec::new(),
                tag: Some(name.to_string()),
            });
        }
    }

    /// Records an object the gate needed and could not read.
    pub fn skip(&self, id: ObjectId, reason: SkipReason, detail: String) {
        self.collector.skip(id.to_string(), reason, Some(detail));
    }

    /// Attributes the matches to the commits that added their lines and builds the report;
    /// `tips` are the commits whose trees decide `in_head` (the range's end, the pushed tips).
    pub fn finish(self, tips: &[ObjectId], options: &FindingOptions, target: &str) -> Report {
        let engine = self.collector.engine();
        let limits = self.collector.limits();
        let collected = self.collector.finish();
        let decoder = Decoder::new(
            engine,
            DecodeLimits {
                max_member_size: limits.max_blob_size,
                ..limits.decode
            },
        );
        let attribution = AddedLines::new(
            self.objects,
            &decoder,
            &self.introductions,
            &self.messages,
            &collected.found,
            tips,
        );
        let mut report = finish(engine, collected, Coverage::Gate, &attribution, options);
        report.target = target.to_string();
        report.stats.commits = self.commits;
        report.stats.duration_ms = elapsed_ms(self.started);
        report.stats.content_ms = report.stats.duration_ms;
        report
    }
}

/// The gates' attribution: a match counts at an introduction when one of the lines its secret
/// spans was added against every base. A match inside an archive member, a database or a
/// compressed stream has no line of the blob to compare: it counts when no base held the same
/// secret for the same detector anywhere inside (so re-committing an archive with one member
/// changed reports only what that change added).
struct AddedLines {
    /// Per blob with matches: its text's lines and counts, and the places it was introduced,
    /// each with whether its secret lines are new there (decided per match).
    blobs: HashMap<ObjectId, BlobLines>,
    messages: HashMap<ObjectId, BlobPlace>,
    in_head: HashSet<ObjectId>,
}

struct BlobLines {
    text: Vec<u8>,
    counts: LineCounts,
    places: Vec<(BlobPlace, Vec<Option<Rc<Base>>>)>,
}

/// A parent's version of a path: its lines, and, when the new version has matches inside packed
/// content, the secrets found inside it.
struct Base {
    lines: LineCounts,
    packed: HashSet<(usize, String)>,
}

/// Whether a match's line is a line of the blob itself (its own text, or a value decoded in
/// place: base64, escapes, UTF-16), so that the gate can compare lines.
fn on_a_blob_line(m: &BlobMatch) -> bool {
    use crate::model::Decoding;
    m.origin.member.is_none()
        && m.origin.cell.is_none()
        && m.origin.decoded.iter().all(|d| {
            matches!(
                d,
                Decoding::Base64 | Decoding::JsonEscape | Decoding::Percent | Decoding::Utf16
            )
        })
}

impl AddedLines {
    fn new(
        objects: &dyn Objects,
        decoder: &Decoder<'_>,
        introductions: &[Introduction],
        messages: &HashMap<ObjectId, MessagePlace>,
        found: &[Found],
        tips: &[ObjectId],
    ) -> Self {
        let mut buf = Vec::new();
        let mut infos: HashMap<ObjectId, CommitInfo> = HashMap::new();
        let mut info_of = |id: ObjectId, rank: u64, buf: &mut Vec<u8>| {
            infos
                .entry(id)
                .or_insert_with(|| commit::info(objects, id, rank, buf))
                .clone()
        };
        let mut wanted: HashMap<ObjectId, Vec<&Introduction>> = HashMap::new();
        let with_files: HashSet<ObjectId> = found
            .iter()
            .filter(|f| f.source == Source::File)
            .map(|f| f.id)
            .collect();
        for introduction in introductions {
            if with_files.contains(&introduction.blob) {
                wanted
                    .entry(introduction.blob)
                    .or_default()
                    .push(introduction);
            }
        }
        let packed_matches: HashSet<ObjectId> = found
            .iter()
            .filter(|f| f.source == Source::File && f.matches.iter().any(|m| !on_a_blob_line(m)))
            .map(|f| f.id)
            .collect();
        let mut bases: HashMap<(ObjectId, bool), Option<Rc<Base>>> = HashMap::new();
        let mut blobs = HashMap::new();
        for (blob, intros) in wanted {
            let text = read_text(objects, blob, &mut buf).unwrap_or_default();
            let counts = LineCounts::new(&text);
            let with_packed = packed_matches.contains(&blob);
            let mut places = Vec::new();
            for introduction in intros {
                let base_counts = introduction
                    .bases
                    .iter()
                    .map(|base| {
                        let base = (*base)?;
                        bases
                            .entry((base, with_packed))
                            .or_insert_with(|| {
                                read_base(objects, decoder, base, with_packed, &mut buf)
                            })
                            .clone()
                    })
                    .collect();
                let place = BlobPlace {
                    path: introduction.path.clone(),
                    commit: introduction
                        .commit
                        .map(|(id, rank)| info_of(id, rank, &mut buf)),
                    unreachable_commit: None,
                    tag: introduction.tag.clone(),
                };
                places.push((place, base_counts));
            }
            blobs.insert(
                blob,
                BlobLines {
                    text,
                    counts,
                    places,
                },
            );
        }
        let mut message_places = HashMap::new();
        for f in found.iter().filter(|f| f.source != Source::File) {
            let place = match messages.get(&f.id) {
                Some(MessagePlace::Commit(id, rank)) => BlobPlace {
                    commit: Some(info_of(*id, *rank, &mut buf)),
                    ..BlobPlace::default()
                },
                Some(MessagePlace::Tag(name)) => BlobPlace {
                    tag: Some(name.clone()),
                    ..BlobPlace::default()
                },
                None => BlobPlace::default(),
            };
            message_places.insert(f.id, place);
        }
        let tip_trees: Vec<ObjectId> = tips
            .iter()
            .filter_map(|t| commit::read(objects, *t, &mut buf).map(|c| c.tree))
            .collect();
        let mut in_head = HashSet::new();
        for introduction in introductions {
            if !with_files.contains(&introduction.blob) || in_head.contains(&introduction.blob) {
                continue;
            }
            let Some(path) = introduction.path.as_deref() else {
                continue;
            };
            if tip_trees
                .iter()
                .any(|tree| blob_at(objects, *tree, path, &mut buf) == Some(introduction.blob))
            {
                in_head.insert(introduction.blob);
            }
        }
        AddedLines {
            blobs,
            messages: message_places,
            in_head,
        }
    }
}

/// A parent's version: its lines, and with `packed`, the secrets inside it (the decoding layer's
/// matches); `None` when it cannot be read, which clears nothing.
fn read_base(
    objects: &dyn Objects,
    decoder: &Decoder<'_>,
    id: ObjectId,
    packed: bool,
    buf: &mut Vec<u8>,
) -> Option<Rc<Base>> {
    let lines = LineCounts::new(&read_text(objects, id, buf)?);
    let packed = if packed {
        match fetch(objects, &id, u64::MAX, buf) {
            Fetched::Object {
                kind: Kind::Blob,
                data,
            } => decoder
                .scan(data, true)
                .matches
                .into_iter()
                .map(|m| (m.detector, m.secret))
                .collect(),
            _ => return None,
        }
    } else {
        HashSet::new()
    };
    Some(Rc::new(Base { lines, packed }))
}

/// The text of blob `id` as the engine read it (UTF-16 decoded); `None` when it cannot be read.
fn read_text(objects: &dyn Objects, id: ObjectId, buf: &mut Vec<u8>) -> Option<Vec<u8>> {
    match fetch(objects, &id, u64::MAX, buf) {
        Fetched::Object {
            kind: Kind::Blob,
            data,
        } => crate::scan::decode::text::readable(data, true)
            .text()
            .map(|t| t.into_owned()),
        _ => None,
    }
}

impl Attribution for AddedLines {
    fn places(&self, id: &ObjectId, source: Source, m: &BlobMatch) -> Vec<BlobPlace> {
        if source != Source::File {
            return self.messages.get(id).cloned().into_iter().collect();
        }
        let Some(blob) = self.blobs.get(id) else {
            return Vec::new();
        };
        if !on_a_blob_line(m) {
            let key = (m.detector, m.secret.clone());
            return blob
                .places
                .iter()
                .filter(|(_, bases)| {
                    bases.iter().all(|base| match base {
                        None => true,
                        Some(old) => !old.packed.contains(&key),
                    })
                })
                .map(|(place, _)| place.clone())
                .collect();
        }
        let first = m.line.saturating_sub(1) as usize;
        let spanned = m.secret.bytes().filter(|&b| b == b'\n').count() + 1;
        let secret_lines: Vec<&[u8]> = lines(&blob.text).skip(first).take(spanned).collect();
        // Text that could not be read again cannot clear a match: it counts everywhere.
        let unknown = secret_lines.is_empty();
        blob.places
            .iter()
            .filter(|(_, bases)| {
                unknown
                    || bases.iter().all(|base| match base {
                        None => true,
                        Some(old) => secret_lines
                            .iter()
                            .any(|line| blob.counts.count(line) > old.lines.count(line)),
                    })
            })
            .map(|(place, _)| place.clone())
            .collect()
    }

    fn present(&self, id: &ObjectId) -> bool {
        self.in_head.contains(id)
    }

    fn refs(&self, _id: &ObjectId) -> Vec<String> {
        Vec::new()
    }
}
