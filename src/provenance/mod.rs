//! Which commit and path first introduced a blob.
//!
//! Commits reachable from any ref are ordered oldest first (parents before children, then by
//! committer date). The first commit in which a blob appears at a path is where it was introduced
//! there; a blob that was renamed or copied gets one origin per path, earliest first. Only blobs
//! with findings are remembered. Each distinct (tree, path) is read once (see the `trees` module), on several
//! threads for a long history, and commits are not read again: the content pass parsed them. The walk
//! also notices objects that history names but the object database lacks, which is how a partial
//! or damaged clone is reported as incomplete instead of clean.

mod commits;
mod trees;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use gix::prelude::Find;
use gix::ObjectId;

use crate::collect::known::KnownObjects;
use crate::collect::Collector;
use crate::model::{CommitInfo, SkipReason};
use crate::objects::commit::{self as commit_objects, Commit};
use trees::TreeGraph;

/// Where a blob was first seen.
#[derive(Debug, Clone)]
pub struct Origin {
    /// The introducing commit; `None` when no ref reaches the blob.
    pub commit: Option<Arc<CommitInfo>>,
    /// The path in that commit's tree.
    pub path: Option<String>,
    /// For a blob no ref reaches: an unreachable (dangling) commit whose tree holds it.
    pub unreachable_commit: Option<Arc<CommitInfo>>,
    /// For an annotated tag's message: the tag's name.
    pub tag: Option<String>,
}

/// Provenance for the blobs that had findings, and what history lacked.
#[derive(Debug, Default)]
pub struct Provenance {
    /// Introductions of each wanted blob, one per path, earliest first.
    pub origins: HashMap<ObjectId, Vec<Origin>>,
    /// Wanted blobs present in HEAD's tree.
    pub in_head: HashSet<ObjectId>,
    /// Whether the repository is a shallow clone (history before the boundary is absent).
    pub shallow: bool,
    /// Commits reachable from refs.
    pub reachable_commits: usize,
    /// For each wanted blob, the branches and tags whose history still holds it.
    pub refs: HashMap<ObjectId, Vec<String>>,
    /// Submodules (gitlinks) history holds, by path, with the newest commit each names: separate
    /// repositories this scan did not read.
    pub submodules: BTreeMap<String, ObjectId>,
    /// The commits the refs name, for a later trace to start past them.
    pub tips: Vec<ObjectId>,
    /// The shallow boundary, likewise.
    pub shallow_boundary: Vec<ObjectId>,
    /// Commits whose trees were read: every reachable one, or those past an earlier trace.
    pub commits_traced: usize,
    /// Whether only the history past an earlier trace was walked (the rest taken from it).
    pub incremental: bool,
    /// The commits no ref reaches that were walked.
    pub dangling: Vec<ObjectId>,
}

/// Reads objects for provenance and remembers, once each, the objects it could not read. One
/// reader serves one thread; a thread's findings join the main reader's in a fixed order, so the
/// report does not depend on how the work was split.
pub(crate) struct Reader<'c, 'e> {
    objects: gix::OdbHandle,
    collector: &'c Collector<'e>,
    buf: Vec<u8>,
    reported: HashSet<ObjectId>,
    problems: Vec<(ObjectId, SkipReason, Option<String>)>,
}

impl<'c, 'e> Reader<'c, 'e> {
    /// A reader for `repo` that knows what the content pass already recorded as unreadable.
    fn new(repo: &gix::Repository, collector: &'c Collector<'e>) -> Self {
        Reader {
            objects: repo.objects.clone(),
            collector,
            buf: Vec::new(),
            reported: collector
                .skipped()
                .into_iter()
                .filter_map(|s| ObjectId::from_hex(s.blob.as_bytes()).ok())
                .collect(),
            problems: Vec::new(),
        }
    }

    /// A reader for another thread: its own object cache, the same knowledge of what was reported.
    fn fork(&self) -> Self {
        Reader {
            objects: self.objects.clone(),
            collector: self.collector,
            buf: Vec::new(),
            reported: self.reported.clone(),
            problems: Vec::new(),
        }
    }

    /// Takes over what a forked reader found, as if this reader had found it next.
    fn join(&mut self, other: Reader<'_, '_>) {
        for (id, reason, detail) in other.problems {
            self.report(id, reason, detail);
        }
    }

    /// Hands what could not be read to the collector.
    fn finish(self) {
        for (id, reason, detail) in self.problems {
            self.collector.skip(id.to_string(), reason, detail);
        }
    }

    /// Reads an object; with `report` set, records it as missing or corrupt when it cannot be read.
    fn read(&mut self, id: ObjectId, report: bool) -> Option<(gix::objs::Kind, Vec<u8>)> {
        match self.objects.try_find(&id, &mut self.buf) {
            Ok(Some(data)) => Some((data.kind, data.data.to_vec())),
            Ok(None) => {
                if report {
                    self.report(id, SkipReason::Missing, None);
                }
                None
            }
            Err(e) => {
                if report {
                    self.report(id, SkipReason::Corrupt, Some(e.to_string()));
                }
                None
            }
        }
    }

    fn report(&mut self, id: ObjectId, reason: SkipReason, detail: Option<String>) {
        if self.reported.insert(id) {
            self.problems.push((id, reason, detail));
        }
    }
}

/// Below this many commits per thread, decoding trees on more threads costs more than it saves:
/// each thread reads the whole tree of the first commit it takes.
const COMMITS_PER_THREAD_AT_LEAST: usize = 512;

/// What an earlier trace of a repository established, so that a re-run traces only the history
/// past it: the trees of commits the earlier refs reached are not read again, and the
/// introductions found in them are taken as they were.
#[derive(Debug, Default)]
pub struct Since {
    /// The commits its refs named.
    pub tips: KnownObjects,
    /// Its shallow boundary.
    pub shallow: KnownObjects,
    /// The commits no ref reached then: walked again as unreachable history, with the earlier
    /// tips that no ref reaches now.
    pub dangling: KnownObjects,
    /// Every object the repository held then: a wanted object among them was traced then, or
    /// history did not only grow.
    pub listed: KnownObjects,
    /// The introductions it found, by object; commit ranks are set by the trace, from history
    /// as it is now.
    pub origins: HashMap<ObjectId, Vec<Origin>>,
    /// Every object it traced (some have no introduction: a dangling blob).
    pub traced: HashSet<ObjectId>,
    /// The submodules it met.
    pub submodules: BTreeMap<String, ObjectId>,
}

/// Traces every blob in `wanted` (and every commit or tag whose message is wanted) to its
/// introduction and records objects history names but the object database does not have (as
/// `missing`, or `corrupt` when they exist but cannot be read). Trees are decoded on up to
/// `threads` threads.
///
/// With `since`, only the commits its tips do not reach have their trees read, when history
/// only grew since: every earlier tip is still reachable, the shallow boundary is the same, and
/// every wanted object the earlier scan held was traced then. Otherwise every commit is.
pub fn trace(
    repo: &gix::Repository,
    wanted: &HashSet<ObjectId>,
    collector: &Collector<'_>,
    threads: usize,
    since: Option<&Since>,
) -> crate::Result<Provenance> {
    let mut reader = Reader::new(repo, collector);
    let provenance = trace_with(repo, &mut reader, wanted, threads, since);
    reader.finish();
    provenance
}

/// The commits of `reachable` past what `since` traced, if a trace of them alone is a whole one
/// (see [`trace`]).
fn past(
    since: &Since,
    reachable: &[Commit],
    shallow: &HashSet<ObjectId>,
    wanted: &HashSet<ObjectId>,
) -> Option<HashSet<ObjectId>> {
    let same_boundary =
        since.shallow.len() == shallow.len() && shallow.iter().all(|id| since.shallow.contains(id));
    if since.tips.is_empty() || !same_boundary {
        return None;
    }
    if wanted
        .iter()
        .any(|id| since.listed.contains(id) && !since.traced.contains(id))
    {
        return None;
    }
    let index: HashMap<ObjectId, usize> = reachable
        .iter()
        .enumerate()
        .map(|(i, c)| (c.id, i))
        .collect();
    let mut old = vec![false; reachable.len()];
    let mut stack = Vec::new();
    for tip in since.tips.iter() {
        stack.push(*index.get(tip)?);
    }
    while let Some(i) = stack.pop() {
        if std::mem::replace(&mut old[i], true) {
            continue;
        }
        stack.extend(reachable[i].parents.iter().filter_map(|p| index.get(p)));
    }
    Some(
        reachable
            .iter()
            .zip(old)
            .filter(|(_, old)| !old)
            .map(|(c, _)| c.id)
            .collect(),
    )
}

fn trace_with(
    repo: &gix::Repository,
    reader: &mut Reader<'_, '_>,
    wanted: &HashSet<ObjectId>,
    threads: usize,
    since: Option<&Since>,
) -> crate::Result<Provenance> {
    let shallow: HashSet<ObjectId> = repo
        .shallow_commits()
        .ok()
        .flatten()
        .map(|c| c.iter().copied().collect())
        .unwrap_or_default();
    let mut provenance = Provenance {
        shallow: !shallow.is_empty(),
        shallow_boundary: shallow.iter().copied().collect(),
        ..Provenance::default()
    };

    let (named_tips, tags) = commits::ref_tips(repo, reader)?;
    // An annotated tag whose message holds a secret is found under its own id; its names are
    // where it is.
    for (name, tag) in &tags {
        if wanted.contains(tag) {
            provenance.origins.entry(*tag).or_default().push(Origin {
                commit: None,
                path: None,
                unreachable_commit: None,
                tag: Some(name.clone()),
            });
            provenance.refs.entry(*tag).or_default().push(name.clone());
        }
    }
    let mut tips: Vec<ObjectId> = named_tips.iter().map(|(_, id)| *id).collect();
    tips.sort();
    tips.dedup();
    let mut known: HashMap<ObjectId, Commit> = reader
        .collector
        .take_commits()
        .into_iter()
        .map(|commit| (commit.id, commit))
        .collect();
    let reachable = commit_objects::oldest_first(commits::load(
        reader,
        &tips,
        &shallow,
        true,
        &mut known,
        &HashSet::new(),
    ));
    provenance.tips = tips;
    provenance.reachable_commits = reachable.len();

    // Past an earlier trace, only the new commits' trees are read; what it found is the start.
    let new = since.and_then(|since| past(since, &reachable, &shallow, wanted));
    let mut places: HashSet<(ObjectId, String)> = HashSet::new();
    // The rank of the commit each carried (blob, path) was introduced at: a new commit that
    // history orders before it (an old date on an unrelated line) introduced it instead.
    let mut carried_at: HashMap<(ObjectId, String), u64> = HashMap::new();
    if let (Some(since), Some(_)) = (since, &new) {
        carried_at = carry(since, &reachable, &mut provenance);
        places.extend(carried_at.keys().cloned());
    }
    let walked: Vec<&Commit> = reachable
        .iter()
        .filter(|c| new.as_ref().is_none_or(|new| new.contains(&c.id)))
        .collect();
    provenance.commits_traced = walked.len();
    provenance.incremental = new.is_some();
    let mut graph = decode_trees(reader, &walked, wanted, threads);

    // What is left of the commits the content pass met is what no ref reaches; their walk stops
    // where it joins reachable history.
    // So are the commits an earlier trace found unreachable, and its tips that are unreachable
    // now (a deleted branch): their objects were passed by, so the content pass did not meet them.
    let reachable_ids: HashSet<ObjectId> = reachable.iter().map(|c| c.id).collect();
    let mut dangling_tips: Vec<ObjectId> = known
        .keys()
        .copied()
        .chain(
            since
                .into_iter()
                .flat_map(|s| s.dangling.iter().chain(s.tips.iter()))
                .filter(|id| !reachable_ids.contains(*id) && !known.contains_key(*id))
                .copied(),
        )
        .collect();
    dangling_tips.sort();
    dangling_tips.dedup();
    let dangling = if dangling_tips.is_empty() {
        Vec::new()
    } else {
        commit_objects::oldest_first(commits::load(
            reader,
            &dangling_tips,
            &shallow,
            false,
            &mut known,
            &reachable_ids,
        ))
    };
    for commit in dangling.iter().rev() {
        graph.decode(reader, commit.tree, wanted, false);
    }
    provenance.dangling = dangling.iter().map(|c| c.id).collect();

    let mut visited = Vec::new();
    let mut rank = 0u64;
    for (commits, reachable) in [(&reachable, true), (&dangling, false)] {
        if !reachable {
            settle_carried_dangling(&mut provenance.origins, &mut places);
        }
        for commit in commits.iter() {
            rank += 1;
            if reachable && new.as_ref().is_some_and(|new| !new.contains(&commit.id)) {
                continue;
            }
            let Some(root) = graph.root(commit.tree) else {
                continue;
            };
            let mut firsts = graph.new_blobs_under(root, &mut visited);
            firsts.retain(|place| {
                if places.insert(place.clone()) {
                    return true;
                }
                // Carried, but introduced earlier here: the carried introduction goes.
                let earlier = carried_at.get(place).is_some_and(|&at| rank < at);
                if earlier {
                    carried_at.remove(place);
                    if let Some(origins) = provenance.origins.get_mut(&place.0) {
                        origins.retain(|o| o.path.as_ref() != Some(&place.1) || o.commit.is_none());
                    }
                }
                earlier
            });
            if !reachable {
                // An unreachable commit only explains blobs that no reachable commit holds.
                firsts.retain(|(id, _)| {
                    provenance
                        .origins
                        .get(id)
                        .is_none_or(|o| o.iter().all(|o| o.commit.is_none()))
                });
            }
            let message = wanted.contains(&commit.id);
            if firsts.is_empty() && !message {
                continue;
            }
            let info = Arc::new(commit_objects::info(
                &reader.objects,
                commit.id,
                rank,
                &mut reader.buf,
            ));
            let places = firsts.into_iter().map(|(id, path)| (id, Some(path)));
            // A commit whose message holds a secret is its own origin, without a path.
            let own = message.then_some((commit.id, None));
            for (id, path) in places.chain(own) {
                provenance.origins.entry(id).or_default().push(Origin {
                    commit: reachable.then(|| info.clone()),
                    path,
                    unreachable_commit: (!reachable).then(|| info.clone()),
                    tag: None,
                });
            }
        }
    }
    for origins in provenance.origins.values_mut() {
        origins.sort_by_key(|o| o.commit.as_ref().map_or(u64::MAX, |c| c.rank));
    }

    // The branches and tags that still contain each wanted blob: those whose history holds any
    // commit that introduced it.
    let mut containment = commits::Containment::new(&reachable, &named_tips);
    for (blob, origins) in &provenance.origins {
        let introducing = origins
            .iter()
            .filter_map(|origin| origin.commit.as_ref().map(|c| c.id.id()));
        let names = containment.refs_containing_any(introducing);
        let entry = provenance.refs.entry(*blob).or_default();
        entry.extend(names);
        entry.sort();
        entry.dedup();
    }

    for (path, commit) in std::mem::take(&mut graph.submodules) {
        provenance.submodules.insert(path, commit);
    }
    if let Ok(head) = repo.head_tree_id() {
        let head = head.detach();
        graph.decode(reader, head, wanted, false);
        if let Some(root) = graph.root(head) {
            let found = graph.new_blobs_under(root, &mut Vec::new());
            provenance
                .in_head
                .extend(found.into_iter().map(|(id, _)| id));
        }
    }
    Ok(provenance)
}

/// Takes over what `since` found: its introductions, with the ranks of their commits in
/// `reachable` as it is now, and its submodules. Returns the rank of each carried (blob, path)
/// a reachable commit introduced.
fn carry(
    since: &Since,
    reachable: &[Commit],
    provenance: &mut Provenance,
) -> HashMap<(ObjectId, String), u64> {
    let ranks: HashMap<ObjectId, u64> = reachable
        .iter()
        .zip(1u64..)
        .map(|(c, rank)| (c.id, rank))
        .collect();
    let mut carried_at = HashMap::new();
    for (id, origins) in &since.origins {
        for origin in origins {
            let mut origin = origin.clone();
            if let Some(info) = &origin.commit {
                let rank = ranks.get(&info.id.id()).copied().unwrap_or_default();
                origin.commit = Some(Arc::new(CommitInfo {
                    rank,
                    ..(**info).clone()
                }));
                if let Some(path) = &origin.path {
                    carried_at.insert((*id, path.clone()), rank);
                }
            }
            provenance.origins.entry(*id).or_default().push(origin);
        }
    }
    provenance.submodules = since.submodules.clone();
    carried_at
}

/// Once reachable history is placed: an unreachable introduction carried from an earlier trace
/// stays only for a blob no reachable commit holds (as a trace of all history would find it),
/// and its places then keep unreachable commits from introducing it again.
fn settle_carried_dangling(
    origins: &mut HashMap<ObjectId, Vec<Origin>>,
    places: &mut HashSet<(ObjectId, String)>,
) {
    for (id, origins) in origins.iter_mut() {
        if origins.iter().any(|o| o.commit.is_some()) {
            origins.retain(|o| o.unreachable_commit.is_none());
        } else {
            for path in origins.iter().filter_map(|o| o.path.clone()) {
                places.insert((*id, path));
            }
        }
    }
}

/// Decodes the trees of `commits` (oldest first) into one graph. With several threads, each takes
/// a contiguous run of commits and reads it newest first, as one thread would; runs overlap only in
/// the trees alive where one run ends and the next begins.
fn decode_trees(
    reader: &mut Reader<'_, '_>,
    commits: &[&Commit],
    wanted: &HashSet<ObjectId>,
    threads: usize,
) -> TreeGraph {
    let runs = threads
        .min(commits.len() / COMMITS_PER_THREAD_AT_LEAST)
        .max(1);
    let decode_run = |reader: &mut Reader<'_, '_>, run: &[&Commit]| {
        let mut graph = TreeGraph::default();
        for commit in run.iter().rev() {
            graph.decode(reader, commit.tree, wanted, true);
        }
        graph
    };
    if runs == 1 {
        return decode_run(reader, commits);
    }
    let decoded: Vec<(TreeGraph, Reader<'_, '_>)> = std::thread::scope(|scope| {
        let workers: Vec<_> = commits
            .chunks(commits.len().div_ceil(runs))
            .map(|run| {
                let mut worker = reader.fork();
                scope.spawn(move || (decode_run(&mut worker, run), worker))
            })
            .collect();
        workers
            .into_iter()
            .map(|w| {
                w.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    });
    // Newest run first, so problems are reported where a single thread would have met them first.
    let mut graph = TreeGraph::default();
    for (run_graph, worker) in decoded.into_iter().rev() {
        reader.join(worker);
        graph.absorb(run_graph);
    }
    graph
}
