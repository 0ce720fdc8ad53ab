//! The decoding layer, between reading a blob and the prefilter: it turns encoded and packed
//! content into text the detectors read, so that no detector is written twice.
//!
//! A blob is first recognised by its bytes ([`sniff`]): an archive or compressed stream
//! ([`archive`]) or a SQLite database ([`sqlite`]) is opened and each member visited as if it
//! were a file; UTF-16 is decoded ([`text`]). Every text is then scanned, and searched for
//! values that hide more text: base64 ([`base64`]), JSON string escapes and percent-encoded URLs
//! ([`escapes`]). Those are decoded and visited in turn, to a bounded depth.
//!
//! Every expansion is bounded ([`bounded`]): bytes unpacked per member, per blob and per scan,
//! members per archive, and nesting depth; what a bound stops is reported as not read, so the
//! scan is incomplete rather than silently partial. A match remembers how its text was reached
//! ([`Origin`]): the member path, the decodings, the database cell. Its line and column are those
//! of the member's or decompressed text, or, for a value decoded in place, those of the encoded
//! value.

pub mod archive;
pub mod base64;
pub mod bounded;
pub mod escapes;
pub mod runs;
pub mod sniff;
pub mod sqlite;
pub mod text;

use std::cell::Cell as Counter;
use std::collections::HashSet;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use self::archive::{Bounds, Part};
use self::bounded::{Allowance, Stop, MAX_RATIO};
use self::sniff::Packed;
use self::text::Readable;
use super::lines::LineIndex;
use super::triggers::{self, Trigger};
use super::{BlobMatch, Engine};
use crate::model::{human_bytes, Cell, Decoding, Origin, SkipReason};

/// How far the decoding layer goes.
#[derive(Debug, Clone, Copy)]
pub struct DecodeLimits {
    /// Whether to decode and unpack at all (`--no-decode` turns it off).
    pub enabled: bool,
    /// Decodings applied one inside another at most (a zip in a tarball in gzip is three).
    pub max_depth: u32,
    /// Members read from one archive at most.
    pub max_members: u64,
    /// The largest archive member or database value read (the blob size limit).
    pub max_member_size: u64,
    /// Bytes unpacked or decoded from one blob at most.
    pub max_unpacked: u64,
    /// Bytes unpacked or decoded by the whole scan at most.
    pub max_unpacked_total: u64,
}

impl Default for DecodeLimits {
    fn default() -> Self {
        DecodeLimits {
            enabled: true,
            max_depth: 8,
            max_members: 100_000,
            max_member_size: 64 << 20,
            max_unpacked: 256 << 20,
            max_unpacked_total: 16 << 30,
        }
    }
}

/// Part of a blob that was not read, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unread {
    /// The member, when the part is inside an archive.
    pub member: Option<String>,
    /// Why.
    pub reason: SkipReason,
    /// The detail for a person.
    pub detail: String,
    /// Its size, when known.
    pub size: Option<u64>,
}

/// What the layer found in one blob.
#[derive(Debug, Default)]
pub struct Scanned {
    /// The matches, with their origins.
    pub matches: Vec<BlobMatch>,
    /// Parts not read.
    pub unread: Vec<Unread>,
    /// Whether the blob itself was binary and left out (nothing of it was read).
    pub binary: bool,
    /// Bytes unpacked or decoded from it, and scanned.
    pub decoded_bytes: u64,
}

/// Where a line of a decoded text is in the text a location names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spot {
    /// The line there.
    pub line: u32,
    /// The column there, unless `prefix` is set.
    pub column: u32,
    /// When set, the column is the decoded text's own minus this many characters (a
    /// database cell rendered after its column name).
    pub prefix: Option<u32>,
    /// The database cell the line belongs to.
    pub cell: Option<Arc<Cell>>,
}

impl Spot {
    /// A line that is nowhere in particular (a table's heading).
    pub const NOWHERE: Spot = Spot {
        line: 1,
        column: 1,
        prefix: None,
        cell: None,
    };
}

/// How a text's lines map to the place a location names.
#[derive(Debug, Clone)]
enum Place {
    /// The text has lines of its own (a blob, a member, a decompressed stream).
    Own,
    /// Each line maps to a spot (the last spot serves the lines after it).
    Mapped(Arc<[Spot]>),
}

impl Place {
    fn resolve(&self, line: u32, column: u32) -> (u32, u32, Option<Arc<Cell>>) {
        match self {
            Place::Own => (line, column, None),
            Place::Mapped(spots) => {
                let index = (line.max(1) as usize - 1).min(spots.len().saturating_sub(1));
                match spots.get(index) {
                    Some(spot) => {
                        let column = match spot.prefix {
                            Some(prefix) => column.saturating_sub(prefix).max(1),
                            None => spot.column,
                        };
                        (spot.line, column, spot.cell.clone())
                    }
                    None => (line, column, None),
                }
            }
        }
    }
}

/// A text being visited: how it was reached and where its lines are.
#[derive(Debug, Clone)]
struct Frame {
    origin: Origin,
    depth: u32,
    place: Place,
    /// Whether the bytes are a packed format only by a guess: a decoded value whose first bytes
    /// happen to be a magic (one base64'd hash in 30,000 starts like zlib). Such bytes that do
    /// not open are not an unread archive, and are not reported as one.
    guessed: bool,
}

/// The decoding layer over an engine: one per scan, shared by its threads.
#[derive(Debug)]
pub struct Decoder<'e> {
    engine: &'e Engine,
    limits: DecodeLimits,
    scan_left: AtomicU64,
}

impl<'e> Decoder<'e> {
    /// A decoder scanning with `engine` within `limits`.
    pub fn new(engine: &'e Engine, limits: DecodeLimits) -> Self {
        Decoder {
            engine,
            limits,
            scan_left: AtomicU64::new(limits.max_unpacked_total),
        }
    }

    /// The engine it scans with.
    pub fn engine(&self) -> &'e Engine {
        self.engine
    }

    /// Scans `data` (a blob) and everything encoded or packed inside it; binary that is not a
    /// packed format is left out unless `scan_binary`.
    pub fn scan(&self, data: &[u8], scan_binary: bool) -> Scanned {
        let allowance = Allowance {
            blob_left: Counter::new(self.limits.max_unpacked),
            scan_left: &self.scan_left,
        };
        let mut walk = Walk {
            decoder: self,
            scan_binary,
            found: Scanned::default(),
            seen: HashSet::new(),
        };
        let root = Frame {
            origin: Origin::default(),
            depth: 0,
            place: Place::Own,
            guessed: false,
        };
        walk.found.binary = !walk.bytes(data, &root, &allowance);
        walk.found.decoded_bytes = self.limits.max_unpacked - allowance.blob_left.get();
        walk.found
    }
}

/// One blob's visit.
struct Walk<'d, 'e> {
    decoder: &'d Decoder<'e>,
    scan_binary: bool,
    found: Scanned,
    /// Matches kept, by what makes a copy the same: a value found both as it stands and in
    /// its decoded form on the same line is one occurrence.
    seen: HashSet<(usize, String, Origin, u32)>,
}

impl Walk<'_, '_> {
    fn limits(&self) -> DecodeLimits {
        self.decoder.limits
    }

    /// Visits bytes: opens a packed format, or reads text. False when the bytes are binary
    /// and were left out.
    fn bytes(&mut self, data: &[u8], frame: &Frame, allowance: &Allowance<'_>) -> bool {
        let limits = self.limits();
        if limits.enabled {
            if let Some(format) = sniff::packed(data) {
                if frame.depth >= limits.max_depth {
                    self.unread(
                        &frame.origin,
                        None,
                        SkipReason::DecodeLimit,
                        format!(
                            "packed more than {} levels deep (--max-depth)",
                            limits.max_depth
                        ),
                        Some(data.len() as u64),
                    );
                    return true;
                }
                self.packed(format, data, frame, allowance);
                return true;
            }
        }
        match text::readable(data, self.scan_binary) {
            Readable::Bytes(text) => self.text(text, frame, allowance),
            Readable::Utf16(text) => {
                let frame = Frame {
                    origin: frame.origin.then(Decoding::Utf16, None),
                    ..frame.clone()
                };
                self.text(&text, &frame, allowance);
            }
            Readable::Binary => return false,
        }
        true
    }

    fn packed(&mut self, format: Packed, data: &[u8], frame: &Frame, allowance: &Allowance<'_>) {
        let limits = self.limits();
        let depth = frame.depth + 1;
        if format == Packed::Sqlite {
            let origin = frame.origin.then(Decoding::Sqlite, None);
            sqlite::read(
                data,
                limits.max_member_size,
                allowance,
                &mut |item| match item {
                    sqlite::Item::Table(table) => {
                        let child = Frame {
                            origin: origin.clone(),
                            depth,
                            place: Place::Mapped(table.spots.into()),
                            guessed: false,
                        };
                        self.text(&table.text, &child, allowance);
                    }
                    sqlite::Item::Packed { cell, data } => {
                        let mut origin = origin.clone();
                        origin.cell = Some(cell);
                        let child = Frame {
                            origin,
                            depth,
                            place: Place::Own,
                            guessed: true,
                        };
                        self.bytes(&data, &child, allowance);
                    }
                    sqlite::Item::Unread {
                        stop: Stop::Corrupt(_),
                        ..
                    } if frame.guessed => {}
                    sqlite::Item::Unread { table, stop } => {
                        let detail_origin = match table {
                            Some(table) => Origin {
                                cell: Some(Cell {
                                    table,
                                    column: String::new(),
                                    rowid: None,
                                }),
                                ..origin.clone()
                            },
                            None => origin.clone(),
                        };
                        self.stopped(&detail_origin, None, stop, None);
                    }
                },
            );
            return;
        }
        let decoding = match format {
            Packed::Zip => Decoding::Zip,
            Packed::Tar => Decoding::Tar,
            Packed::Gzip => Decoding::Gzip,
            Packed::Bzip2 => Decoding::Bzip2,
            Packed::Xz => Decoding::Xz,
            Packed::Zstd => Decoding::Zstd,
            Packed::Zlib => Decoding::Zlib,
            Packed::Sqlite => Decoding::Sqlite,
        };
        let bounds = Bounds {
            max_member_size: limits.max_member_size,
            max_members: limits.max_members,
        };
        archive::open(format, data, bounds, allowance, &mut |part| match part {
            Part::Member { path, unpacked } => {
                let child = Frame {
                    origin: frame.origin.then(decoding, path.as_deref()),
                    depth,
                    place: Place::Own,
                    guessed: false,
                };
                self.bytes(&unpacked.data, &child, allowance);
                let guess_failed = frame.guessed && matches!(unpacked.stop, Some(Stop::Corrupt(_)));
                if let Some(stop) = unpacked.stop.filter(|_| !guess_failed) {
                    let read = unpacked.data.len() as u64;
                    self.stopped(&child.origin, None, stop, Some(read));
                }
            }
            Part::Unread {
                stop: Stop::Corrupt(_),
                ..
            } if frame.guessed => {}
            Part::Unread { path, stop, size } => {
                let origin = frame.origin.then(decoding, path.as_deref());
                self.stopped(&origin, None, stop, size);
            }
            Part::TooManyMembers { total } => {
                let held = total.map_or("more".to_string(), |t| t.to_string());
                self.unread(
                    &frame.origin,
                    None,
                    SkipReason::ArchiveLimit,
                    format!(
                        "{} holds {held} members; the first {} were read (--max-members)",
                        decoding.as_str(),
                        limits.max_members
                    ),
                    None,
                );
            }
        });
    }

    /// Scans a text and visits what is encoded in it.
    fn text(&mut self, text: &[u8], frame: &Frame, allowance: &Allowance<'_>) {
        let first_match = self.found.matches.len();
        let (matches, mut triggers) = self.decoder.engine.scan_text(text);
        for mut m in matches {
            let (line, column, cell) = frame.place.resolve(m.line, m.column);
            m.line = line;
            m.column = column;
            m.origin = frame.origin.clone();
            if let Some(cell) = cell {
                m.origin.cell = Some((*cell).clone());
            }
            let key = (m.detector, m.secret.clone(), plain_place(&m.origin), m.line);
            if self.seen.insert(key) {
                self.found.matches.push(m);
            }
        }
        let limits = self.limits();
        if !limits.enabled || frame.depth >= limits.max_depth {
            return;
        }
        let index = std::cell::OnceCell::new();
        let spot_of = |offset: usize| -> Spot {
            let index = index.get_or_init(|| LineIndex::new(text));
            let (line, column) = index.locate(text, offset);
            let (line, column, cell) = frame.place.resolve(line, column);
            Spot {
                line,
                column,
                prefix: None,
                cell,
            }
        };
        let depth = frame.depth + 1;
        // One pass for the base64 runs and the escape marks.
        let json_document = triggers::json_document(text);
        let mut runs = Vec::new();
        runs::runs_and_escapes(
            text,
            |run| runs.push(run),
            |at| triggers.see_escape(text, at, json_document),
        );
        let named = base64::named_runs(text, triggers.base64_names());
        if !named.is_empty() {
            runs.extend(named);
            runs.sort_by_key(|run| run.start);
        }
        for (decoding, lines) in [
            (
                Decoding::JsonEscape,
                if triggers.has(Trigger::JsonEscapes) {
                    escapes::json_strings(text)
                } else {
                    Vec::new()
                },
            ),
            (
                Decoding::Percent,
                if triggers.has(Trigger::PercentUrl) {
                    escapes::percent_urls(text)
                } else {
                    Vec::new()
                },
            ),
        ] {
            if lines.is_empty() {
                continue;
            }
            let mut child = Lines::default();
            for line in lines {
                child.push(&line.text, spot_of(line.at));
            }
            self.child_text(child, decoding, frame, depth, allowance);
        }
        let mut in_place = Lines::default();
        let values = base64::values(text, runs, triggers.has(Trigger::KubernetesSecret));
        // A value that is base64 of text is judged by its decoding: the encoded characters
        // are not the secret (an encoded `changeme` is still a placeholder).
        if !values.is_empty() {
            let mut own = self.found.matches.split_off(first_match);
            own.retain(|m| {
                let end = m.offset + m.secret.len();
                !values
                    .iter()
                    .any(|v| v.range.start <= m.offset && end <= v.range.end)
            });
            self.found.matches.append(&mut own);
        }
        for value in values {
            let spot = spot_of(value.range.start);
            if sniff::packed(&value.decoded).is_some() {
                let child = Frame {
                    origin: frame.origin.then(Decoding::Base64, None),
                    depth,
                    place: Place::Mapped(Arc::from(vec![spot])),
                    guessed: true,
                };
                if allowance.charge(value.decoded.len() as u64).is_ok() {
                    self.bytes(&value.decoded, &child, allowance);
                }
                continue;
            }
            if memchr::memchr(b'\n', &value.decoded).is_some() {
                let mut own = Lines::default();
                own.push(&value.decoded, spot);
                self.child_text(own, Decoding::Base64, frame, depth, allowance);
                continue;
            }
            // A one-line value is decoded in its line, which keeps the name before it (and
            // no more of a minified file's one line than a name needs).
            let line_start = memchr::memrchr(b'\n', &text[..value.range.start])
                .map_or(0, |p| p + 1)
                .max(value.range.start.saturating_sub(escapes::CONTEXT));
            let line_end = memchr::memchr(b'\n', &text[value.range.end..])
                .map_or(text.len(), |p| value.range.end + p)
                .min(value.range.end + escapes::CONTEXT);
            let mut line = text[line_start..value.range.start].to_vec();
            line.extend_from_slice(&value.decoded);
            line.extend_from_slice(&text[value.range.end..line_end]);
            in_place.push(&line, spot);
        }
        if !in_place.text.is_empty() {
            self.child_text(in_place, Decoding::Base64, frame, depth, allowance);
        }
    }

    /// Visits decoded lines as a text of their own, charged to the allowance.
    fn child_text(
        &mut self,
        child: Lines,
        decoding: Decoding,
        frame: &Frame,
        depth: u32,
        allowance: &Allowance<'_>,
    ) {
        if let Err(stop) = allowance.charge(child.text.len() as u64) {
            let origin = frame.origin.then(decoding, None);
            self.stopped(&origin, None, stop, Some(child.text.len() as u64));
            return;
        }
        let child_frame = Frame {
            origin: frame.origin.then(decoding, None),
            depth,
            place: Place::Mapped(child.spots.into()),
            guessed: false,
        };
        self.text(&child.text, &child_frame, allowance);
    }

    fn stopped(&mut self, origin: &Origin, member: Option<&str>, stop: Stop, size: Option<u64>) {
        let limits = self.limits();
        let (reason, detail) = match stop {
            Stop::TooLarge { limit } => (
                SkipReason::ArchiveLimit,
                format!(
                    "over the {} member limit (--max-blob-size)",
                    human_bytes(limit)
                ),
            ),
            Stop::BlobAllowance => (
                SkipReason::ArchiveLimit,
                format!(
                    "over the {} unpacked from one blob (--max-unpacked)",
                    human_bytes(limits.max_unpacked)
                ),
            ),
            Stop::ScanAllowance => (
                SkipReason::DecodeLimit,
                format!(
                    "the scan's {} of unpacked bytes ran out (--max-unpacked-total)",
                    human_bytes(limits.max_unpacked_total)
                ),
            ),
            Stop::Ratio => (
                SkipReason::ArchiveLimit,
                format!("expands more than {MAX_RATIO} times (a decompression bomb)"),
            ),
            Stop::Corrupt(message) => (SkipReason::Corrupt, message),
        };
        let detail = match &origin.cell {
            Some(cell) => format!("table {}: {detail}", cell.table),
            None => detail,
        };
        self.unread(origin, member, reason, detail, size);
    }

    fn unread(
        &mut self,
        origin: &Origin,
        member: Option<&str>,
        reason: SkipReason,
        detail: String,
        size: Option<u64>,
    ) {
        let member = member.map(str::to_string).or_else(|| origin.member.clone());
        self.found.unread.push(Unread {
            member,
            reason,
            detail,
            size,
        });
    }
}

/// The place part of an origin that identifies an occurrence (the member and cell; how it was
/// decoded does not make it another occurrence).
fn plain_place(origin: &Origin) -> Origin {
    Origin {
        member: origin.member.clone(),
        decoded: Vec::new(),
        cell: origin.cell.clone(),
    }
}

/// Decoded lines being gathered into one text, each with its spot.
#[derive(Default)]
struct Lines {
    text: Vec<u8>,
    spots: Vec<Spot>,
}

impl Lines {
    /// Appends `decoded` (which may span lines), every line of it at `spot`.
    fn push(&mut self, decoded: &[u8], spot: Spot) {
        let decoded = decoded.strip_suffix(b"\n").unwrap_or(decoded);
        let lines = memchr::memchr_iter(b'\n', decoded).count() + 1;
        self.text.extend_from_slice(decoded);
        self.text.push(b'\n');
        self.spots.extend(std::iter::repeat_n(spot, lines));
    }
}
