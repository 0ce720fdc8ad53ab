//! What an earlier history scan of a repository saw, as an audit's state keeps it, so that a
//! re-run costs what the repository gained, not its size:
//!
//! - the objects it read whole and found nothing in are passed by;
//! - the other objects it listed (with matches, skipped, read in part) tell, with those, what
//!   is new: an object in neither set arrived since;
//! - its ref tips and shallow boundary say which history it traced: the commits the tips reach;
//!   and the commits no ref reached, which are walked again (a commit whose object is passed by
//!   is not met otherwise);
//! - the introductions it found for every object it traced (the commit and path of each, also
//!   for objects the report left out as below its confidence floor), which stand as long as
//!   history only grew;
//! - the matches it found in each object it read whole, below the confidence floor too: they
//!   are taken over unread, and decided again with the new ones, so a copy of a secret found
//!   later at a higher confidence still brings every copy into the report.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use gix::ObjectId;
use serde::{Deserialize, Serialize};

use crate::collect::known::KnownObjects;
use crate::collect::Found;
use crate::model::{CommitInfo, Confidence, Fields, Oid, Origin, Source};
use crate::provenance::{self, Provenance, Since};
use crate::scan::{BlobMatch, Engine};

/// One introduction of a traced object, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Introduction {
    /// The object (a blob, or a commit for its message).
    pub object: Oid,
    /// Its path, when a tree names it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The reachable commit that introduced it there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<CommitInfo>,
    /// Or the unreachable commit that holds it, when no reachable one does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unreachable_commit: Option<CommitInfo>,
}

/// An object with matches, as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Held {
    /// The blob, commit or tag.
    pub object: Oid,
    /// Which of its texts.
    #[serde(default)]
    pub source: Source,
    /// What was found in it.
    pub matches: Vec<HeldMatch>,
}

/// One match, as stored: the engine's match with its detector named by id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HeldMatch {
    /// The detector's id.
    pub detector: String,
    /// The secret.
    pub secret: String,
    /// The whole matched text.
    pub matched: String,
    /// Byte offset of the secret.
    pub offset: usize,
    /// Its line and column.
    pub line: u32,
    /// (1-based, in characters.)
    pub column: u32,
    /// Named groups and check output.
    #[serde(default)]
    pub fields: Fields,
    /// Entropy of the secret.
    pub entropy: f64,
    /// Confidence after checks.
    pub confidence: Confidence,
    /// Why it was judged typed, if it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence_reason: Option<String>,
    /// How its text was reached inside the object.
    #[serde(default)]
    pub origin: Origin,
}

/// The parts of a record kept as JSON.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Traced {
    introductions: Vec<Introduction>,
    #[serde(default)]
    held: Vec<Held>,
}

/// What an earlier scan of one repository saw.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Seen {
    /// Objects read whole in which nothing was found: a re-run passes them by.
    pub clean: KnownObjects,
    /// The other objects it listed (with matches, skipped, read in part).
    pub others: KnownObjects,
    /// The commits its refs named: the history it traced is everything they reach.
    pub tips: KnownObjects,
    /// The shallow boundary it saw: a changed boundary changes old history.
    pub shallow: KnownObjects,
    /// The commits no ref reached: their objects are passed by, so they are named here to be
    /// walked again.
    pub dangling: KnownObjects,
    /// Every object it traced (everything with matches, and what it read in part), and each
    /// introduction it found for them; an object without a place has one with no path and no
    /// commit.
    pub introductions: Vec<Introduction>,
    /// Every object it read whole that had matches, with them.
    pub held: Vec<Held>,
}

impl Introduction {
    /// The introductions of every object in `wanted`, for the next trace to start from: each
    /// object once at least, with no place when it has none (a tag's names are read afresh each
    /// time, so they are not kept).
    pub fn all_of(provenance: &Provenance, wanted: &HashSet<ObjectId>) -> Vec<Introduction> {
        let mut kept = Vec::new();
        let mut objects: Vec<&ObjectId> = wanted.iter().collect();
        objects.sort();
        for object in objects {
            let before = kept.len();
            for origin in provenance.origins.get(object).into_iter().flatten() {
                if origin.commit.is_some() || origin.unreachable_commit.is_some() {
                    kept.push(Introduction {
                        object: (*object).into(),
                        path: origin.path.clone(),
                        commit: origin.commit.as_deref().cloned(),
                        unreachable_commit: origin.unreachable_commit.as_deref().cloned(),
                    });
                }
            }
            if kept.len() == before {
                kept.push(Introduction {
                    object: (*object).into(),
                    path: None,
                    commit: None,
                    unreachable_commit: None,
                });
            }
        }
        kept
    }
}

impl Held {
    /// The matches of `found` as stored, detectors named by id.
    pub fn of(engine: &Engine, found: &Found) -> Held {
        let detectors = engine.detectors();
        Held {
            object: found.id.into(),
            source: found.source,
            matches: found
                .matches
                .iter()
                .map(|m| HeldMatch {
                    detector: detectors[m.detector].id.clone(),
                    secret: m.secret.clone(),
                    matched: m.matched.clone(),
                    offset: m.offset,
                    line: m.line,
                    column: m.column,
                    fields: m.fields.clone(),
                    entropy: m.entropy,
                    confidence: m.confidence,
                    confidence_reason: m.confidence_reason.as_deref().map(str::to_string),
                    origin: m.origin.clone(),
                })
                .collect(),
        }
    }

    /// The stored matches for `engine`; none when a detector is not among its own (then the
    /// object is read again).
    pub fn restored(&self, engine: &Engine) -> Option<Found> {
        let detectors = engine.detectors();
        let matches = self
            .matches
            .iter()
            .map(|m| {
                let detector = detectors.iter().position(|d| d.id == m.detector)?;
                Some(BlobMatch {
                    detector,
                    secret: m.secret.clone(),
                    matched: m.matched.clone(),
                    offset: m.offset,
                    line: m.line,
                    column: m.column,
                    fields: m.fields.clone(),
                    entropy: m.entropy,
                    confidence: m.confidence,
                    confidence_reason: m.confidence_reason.clone().map(std::borrow::Cow::Owned),
                    origin: m.origin.clone(),
                })
            })
            .collect::<Option<Vec<BlobMatch>>>()?;
        Some(Found {
            id: self.object.id(),
            source: self.source,
            matches,
        })
    }
}

/// A stored record that cannot be read back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the record of the last scan is torn or of another form ({0})")]
pub struct TornRecord(String);

/// Opens the stored form of a [`Seen`]; a bare list of ids (the first stored form) has none.
const MAGIC: &[u8; 8] = b"bhseen2\n";

/// How many sets of ids the stored form holds.
const SETS: usize = 5;

impl Seen {
    /// Whether the repository held `id` when it was seen.
    pub fn listed(&self, id: &ObjectId) -> bool {
        self.clean.contains(id) || self.others.contains(id)
    }

    /// Whether the record says enough to trace only the history past it: a record without tips
    /// (of the first stored form, or of an empty repository) does not.
    pub fn has_history(&self) -> bool {
        !self.tips.is_empty()
    }

    /// What this scan traced, as a trace that starts past it takes it, with the `submodules`
    /// its report named.
    pub fn since(&self, submodules: BTreeMap<String, ObjectId>) -> Since {
        let mut since = Since {
            tips: self.tips.clone(),
            shallow: self.shallow.clone(),
            dangling: self.dangling.clone(),
            listed: KnownObjects::new(
                self.clean
                    .iter()
                    .chain(self.others.iter())
                    .copied()
                    .collect(),
            ),
            submodules,
            ..Since::default()
        };
        for introduction in &self.introductions {
            let object = introduction.object.id();
            since.traced.insert(object);
            if introduction.commit.is_none() && introduction.unreachable_commit.is_none() {
                continue;
            }
            since
                .origins
                .entry(object)
                .or_default()
                .push(provenance::Origin {
                    commit: introduction.commit.clone().map(Arc::new),
                    path: introduction.path.clone(),
                    unreachable_commit: introduction.unreachable_commit.clone().map(Arc::new),
                    tag: None,
                });
        }
        since
    }

    /// The stored form: a magic line, a little-endian count for each set, each set's ids, then
    /// the introductions and the matches as JSON.
    pub fn to_bytes(&self) -> Vec<u8> {
        let sets = [
            &self.clean,
            &self.others,
            &self.tips,
            &self.shallow,
            &self.dangling,
        ];
        let mut bytes = MAGIC.to_vec();
        for set in sets {
            bytes.extend_from_slice(&(set.len() as u64).to_le_bytes());
        }
        for set in sets {
            bytes.extend_from_slice(&set.to_bytes());
        }
        #[derive(Serialize)]
        struct TracedRef<'s> {
            introductions: &'s [Introduction],
            held: &'s [Held],
        }
        let traced = TracedRef {
            introductions: &self.introductions,
            held: &self.held,
        };
        // Plain data of strings, numbers and ids: serialising it cannot fail (a non-finite
        // entropy would be written as null and refused on reading, which only costs a re-read).
        bytes.extend(serde_json::to_vec(&traced).unwrap_or_else(|_| b"{}".to_vec()));
        bytes
    }

    /// The record [`Self::to_bytes`] wrote. A bare list of ids (the first stored form) is the
    /// clean objects alone, which still spares their reading.
    pub fn from_bytes(bytes: &[u8], hash: gix::hash::Kind) -> Result<Self, TornRecord> {
        let torn = |why: &str| TornRecord(why.to_string());
        let Some(rest) = bytes.strip_prefix(MAGIC.as_slice()) else {
            return Ok(Seen {
                clean: KnownObjects::from_bytes(bytes, hash).map_err(|e| torn(&e.to_string()))?,
                ..Seen::default()
            });
        };
        let (counts, mut rest) = rest
            .split_at_checked(8 * SETS)
            .ok_or_else(|| torn("no counts"))?;
        let mut sets = Vec::with_capacity(SETS);
        for count in counts.chunks_exact(8) {
            let count = u64::from_le_bytes(count.try_into().map_err(|_| torn("a count"))?);
            let len = usize::try_from(count)
                .ok()
                .and_then(|n| n.checked_mul(hash.len_in_bytes()))
                .ok_or_else(|| torn("a count too large"))?;
            let (set, after) = rest
                .split_at_checked(len)
                .ok_or_else(|| torn("fewer ids than counted"))?;
            sets.push(KnownObjects::from_bytes(set, hash).map_err(|e| torn(&e.to_string()))?);
            rest = after;
        }
        let traced: Traced =
            serde_json::from_slice(rest).map_err(|e| torn(&format!("introductions: {e}")))?;
        let [clean, others, tips, shallow, dangling]: [KnownObjects; SETS] =
            sets.try_into().map_err(|_| torn("the sets"))?;
        Ok(Seen {
            clean,
            others,
            tips,
            shallow,
            dangling,
            introductions: traced.introductions,
            held: traced.held,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(byte: u8) -> ObjectId {
        ObjectId::from_bytes_or_panic(&[byte; 20])
    }

    #[test]
    fn a_record_round_trips_and_the_first_form_reads_as_clean_objects() {
        let sha1 = gix::hash::Kind::Sha1;
        let seen = Seen {
            clean: KnownObjects::new(vec![id(1), id(2)]),
            others: KnownObjects::new(vec![id(3)]),
            tips: KnownObjects::new(vec![id(4), id(5), id(6)]),
            shallow: KnownObjects::default(),
            dangling: KnownObjects::new(vec![id(8)]),
            introductions: vec![Introduction {
                object: id(3).into(),
                path: Some("app/.env".into()),
                commit: Some(CommitInfo {
                    id: id(4).into(),
                    author: "A U Thor".into(),
                    email: "author@example.com".into(),
                    date: "2026-01-01T00:00:00Z".into(),
                    summary: "Settings".into(),
                    rank: 0,
                }),
                unreachable_commit: None,
            }],
            held: vec![Held {
                object: id(3).into(),
                source: Source::File,
                matches: vec![HeldMatch {
                    detector: "django-secret-key".into(),
                    secret: "s3cr3t".into(),
                    matched: "SECRET_KEY = 's3cr3t'".into(),
                    offset: 14,
                    line: 1,
                    column: 15,
                    fields: Fields::new(),
                    entropy: 2.585,
                    confidence: Confidence::High,
                    confidence_reason: None,
                    origin: Origin::default(),
                }],
            }],
        };
        let bytes = seen.to_bytes();
        assert_eq!(Seen::from_bytes(&bytes, sha1).unwrap(), seen);
        assert!(seen.listed(&id(3)) && !seen.listed(&id(4)) && seen.has_history());
        // Torn anywhere, it is refused rather than half read.
        for cut in [1, 12, 48, bytes.len() - 1] {
            assert!(Seen::from_bytes(&bytes[..cut], sha1).is_err(), "{cut}");
        }
        // The first form, a bare list of ids, is the clean objects alone.
        let first = KnownObjects::new(vec![id(7)]);
        let read = Seen::from_bytes(&first.to_bytes(), sha1).unwrap();
        assert!(!read.has_history());
        assert_eq!(read.clean, first);
    }
}
