//! Rename detection for attribution, the way git's default diff does it: a path a commit added is
//! paired with a path it deleted when they hold the same blob, or when at least half of the
//! larger version's bytes are lines the two share. Copies are not followed (git does not by
//! default either), so copying an old secret into a new file reports it.

use std::collections::HashMap;

use gix::objs::{Find, Kind};
use gix::ObjectId;

use super::changes::{blobs_below, Change, Deleted};
use crate::scan::line_counts::LineCounts;

/// Pairs scored beyond this many (added times deleted paths) are not compared by content, as
/// git's `diff.renameLimit` bounds its inexact detection; exact renames are always found. The
/// unpaired paths then count as wholly new, which can only report more, never less.
const INEXACT_PAIRS_AT_MOST: usize = 250_000;
/// Versions larger than this are only paired when identical.
const INEXACT_BYTES_AT_MOST: usize = 1 << 20;
/// The share of the larger version two versions must have in common to be a rename (git's 50%).
const MIN_SCORE_PERCENT: u64 = 50;

/// Sets, for each change that parent `parent` did not have at its path, the base to the blob of
/// the path it was renamed from, if any of `deleted` (that parent's lost paths) is its source.
pub fn pair(objects: &dyn Find, changes: &mut [Change], parent: usize, deleted: &[Deleted]) {
    let added: Vec<usize> = (0..changes.len())
        .filter(|&i| changes[i].bases.get(parent) == Some(&None))
        .collect();
    if added.is_empty() || deleted.is_empty() {
        return;
    }
    let mut sources: Vec<(String, ObjectId)> = Vec::new();
    for entry in deleted {
        match entry {
            Deleted::Blob(path, id) => sources.push((path.clone(), *id)),
            Deleted::Tree(path, id) => sources.extend(blobs_below(objects, *id, path)),
        }
    }
    let mut used = vec![false; sources.len()];
    let mut by_blob: HashMap<ObjectId, Vec<usize>> = HashMap::new();
    for (s, (_, id)) in sources.iter().enumerate().rev() {
        by_blob.entry(*id).or_default().push(s);
    }
    let mut unpaired = Vec::new();
    for &i in &added {
        match by_blob.get_mut(&changes[i].blob).and_then(Vec::pop) {
            Some(s) => {
                changes[i].bases[parent] = Some(sources[s].1);
                used[s] = true;
            }
            None => unpaired.push(i),
        }
    }
    let open: Vec<usize> = (0..sources.len()).filter(|&s| !used[s]).collect();
    if unpaired.is_empty() || open.is_empty() || unpaired.len() * open.len() > INEXACT_PAIRS_AT_MOST
    {
        return;
    }
    let mut buf = Vec::new();
    let mut counts_of = |id: ObjectId| -> Option<LineCounts> {
        let data = objects.try_find(&id, &mut buf).ok()??;
        (data.kind == Kind::Blob && data.data.len() <= INEXACT_BYTES_AT_MOST)
            .then(|| LineCounts::new(data.data))
    };
    let targets: Vec<(usize, LineCounts)> = unpaired
        .iter()
        .filter_map(|&i| counts_of(changes[i].blob).map(|c| (i, c)))
        .collect();
    let candidates: Vec<(usize, LineCounts)> = open
        .iter()
        .filter_map(|&s| counts_of(sources[s].1).map(|c| (s, c)))
        .collect();
    let mut scored: Vec<(u64, usize, usize)> = Vec::new();
    for (t, target) in &targets {
        for (s, source) in &candidates {
            let larger = target.bytes().max(source.bytes()).max(1);
            let smaller = target.bytes().min(source.bytes());
            if smaller * 100 < larger * MIN_SCORE_PERCENT {
                continue; // too different in size to share half
            }
            let score = target.shared_bytes(source) * 1000 / larger;
            if score * 100 >= 1000 * MIN_SCORE_PERCENT {
                scored.push((score, *t, *s));
            }
        }
    }
    // Best pairs first; ties by path order, so the result does not depend on hashing.
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    let mut taken = vec![false; changes.len()];
    for (_, t, s) in scored {
        if taken[t] || used[s] {
            continue;
        }
        taken[t] = true;
        used[s] = true;
        changes[t].bases[parent] = Some(sources[s].1);
    }
}
