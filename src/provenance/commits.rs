//! The commit side of provenance: which commits refs reach, their trees and parents, and the
//! order in which history introduced them.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};

use gix::objs::CommitRefIter;
use gix::prelude::Find;
use gix::ObjectId;

use super::Reader;
use crate::scan::collector::{SkipReason, CANNOT_PARSE_COMMIT};

/// One commit of the graph.
pub(crate) struct Commit {
    pub id: ObjectId,
    pub tree: ObjectId,
    pub time: i64,
    pub parents: Vec<ObjectId>,
}

/// The commit every ref (and HEAD) points at, through annotated tags, with the ref's name.
pub(super) fn ref_tips(
    repo: &gix::Repository,
    reader: &mut Reader<'_, '_>,
) -> crate::Result<Vec<(String, ObjectId)>> {
    let mut starts = Vec::new();
    let platform = repo
        .references()
        .map_err(|e| crate::Error::Git(format!("cannot list references: {e}")))?;
    let all = platform
        .all()
        .map_err(|e| crate::Error::Git(format!("cannot list references: {e}")))?;
    for reference in all {
        let Ok(reference) = reference else { continue };
        if let Some(id) = reference.target().try_id() {
            starts.push((reference.name().as_bstr().to_string(), id.to_owned()));
        }
    }
    if let Ok(head) = repo.head_id() {
        starts.push(("HEAD".to_string(), head.detach()));
    }
    let mut tips = Vec::new();
    for (name, mut id) in starts {
        // Peel annotated tags (possibly nested) down to what they point at.
        for _ in 0..32 {
            match reader.read(id, true) {
                Some((gix::objs::Kind::Tag, data)) => {
                    match gix::objs::TagRefIter::from_bytes(&data, id.kind()).target_id() {
                        Ok(target) => id = target,
                        Err(_) => break,
                    }
                }
                Some((gix::objs::Kind::Commit, _)) => {
                    tips.push((name, id));
                    break;
                }
                _ => break,
            }
        }
    }
    tips.sort();
    tips.dedup();
    Ok(tips)
}

/// Answers "which refs contain this commit": the refs whose tips descend from it.
pub(super) struct Containment<'c> {
    index: HashMap<ObjectId, usize>,
    children: Vec<Vec<usize>>,
    tips: &'c [(String, ObjectId)],
}

impl<'c> Containment<'c> {
    /// Indexes `commits` (any order) and the named `tips` once.
    pub(super) fn new(commits: &[Commit], tips: &'c [(String, ObjectId)]) -> Self {
        let index: HashMap<ObjectId, usize> =
            commits.iter().enumerate().map(|(i, c)| (c.id, i)).collect();
        let mut children: Vec<Vec<usize>> = vec![Vec::new(); commits.len()];
        for (i, commit) in commits.iter().enumerate() {
            for parent in &commit.parents {
                if let Some(&p) = index.get(parent) {
                    children[p].push(i);
                }
            }
        }
        Containment {
            index,
            children,
            tips,
        }
    }

    /// The names of the branches and tags whose history holds `commit` (HEAD itself excluded).
    pub(super) fn refs_containing(&self, commit: ObjectId) -> Vec<String> {
        let Some(&first) = self.index.get(&commit) else {
            return Vec::new();
        };
        let mut seen = vec![false; self.children.len()];
        let mut stack = vec![first];
        seen[first] = true;
        while let Some(i) = stack.pop() {
            for &child in &self.children[i] {
                if !seen[child] {
                    seen[child] = true;
                    stack.push(child);
                }
            }
        }
        let mut names: Vec<String> = self
            .tips
            .iter()
            .filter(|(name, id)| name != "HEAD" && self.index.get(id).is_some_and(|&i| seen[i]))
            .map(|(name, _)| name.clone())
            .collect();
        names.sort();
        names.dedup();
        names
    }
}

impl Commit {
    /// Reads the tree, parents and committer time from a commit's bytes in one pass over its
    /// headers; `None` when not even the tree parses.
    pub(crate) fn parse(id: ObjectId, data: &[u8]) -> Option<Commit> {
        use gix::objs::commit::ref_iter::Token;
        let mut tree = None;
        let mut parents = Vec::new();
        let mut time = 0;
        for token in CommitRefIter::from_bytes(data, id.kind()) {
            // A damaged line after the tree keeps what was read before it: one bad header does
            // not cut the history behind this commit off.
            let Ok(token) = token else { break };
            match token {
                Token::Tree { id } => tree = Some(id),
                Token::Parent { id } => parents.push(id),
                Token::Author { .. } => {}
                Token::Committer { signature } => {
                    time = signature.seconds();
                    break;
                }
                _ => break,
            }
        }
        Some(Commit {
            id,
            tree: tree?,
            time,
            parents,
        })
    }
}

/// Tree, parents and committer time of commit `id`, or `None` when it is not a readable commit.
pub(crate) fn read(objects: &dyn Find, id: ObjectId, buf: &mut Vec<u8>) -> Option<Commit> {
    let data = objects.try_find(&id, buf).ok()??;
    if data.kind != gix::objs::Kind::Commit {
        return None;
    }
    Commit::parse(id, data.data)
}

/// Every commit reachable from `starts`, stopping at shallow boundaries and at the commits of
/// `loaded` (walked before). Commits are taken out of `known` (those the content pass already
/// parsed) and read from the object database otherwise; with `report` set, commits that cannot be
/// read are recorded as missing or corrupt.
pub(super) fn load(
    reader: &mut Reader<'_, '_>,
    starts: &[ObjectId],
    shallow: &HashSet<ObjectId>,
    report: bool,
    known: &mut HashMap<ObjectId, Commit>,
    loaded: &HashSet<ObjectId>,
) -> Vec<Commit> {
    let mut seen: HashSet<ObjectId> = loaded.iter().chain(starts).copied().collect();
    let mut queue: Vec<ObjectId> = starts.to_vec();
    let mut commits = Vec::new();
    while let Some(id) = queue.pop() {
        let mut commit = match known.remove(&id) {
            Some(commit) => commit,
            None => {
                let Some((gix::objs::Kind::Commit, data)) = reader.read(id, report) else {
                    continue;
                };
                let Some(commit) = Commit::parse(id, &data) else {
                    reader.report(id, SkipReason::Corrupt, Some(CANNOT_PARSE_COMMIT.into()));
                    continue;
                };
                commit
            }
        };
        if shallow.contains(&id) {
            commit.parents.clear();
        }
        for parent in &commit.parents {
            if seen.insert(*parent) {
                queue.push(*parent);
            }
        }
        commits.push(commit);
    }
    commits
}

/// Orders commits so that parents come before children and, among commits ready at the same
/// time, older ones (by committer date) first.
pub(crate) fn oldest_first(graph: Vec<Commit>) -> Vec<Commit> {
    let index: HashMap<ObjectId, usize> =
        graph.iter().enumerate().map(|(i, n)| (n.id, i)).collect();
    let mut waiting = vec![0usize; graph.len()];
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); graph.len()];
    for (i, commit) in graph.iter().enumerate() {
        for parent in &commit.parents {
            if let Some(&p) = index.get(parent) {
                waiting[i] += 1;
                children[p].push(i);
            }
        }
    }
    let mut ready: BinaryHeap<Reverse<(i64, ObjectId, usize)>> = graph
        .iter()
        .enumerate()
        .filter(|(i, _)| waiting[*i] == 0)
        .map(|(i, n)| Reverse((n.time, n.id, i)))
        .collect();
    let mut order = Vec::with_capacity(graph.len());
    while let Some(Reverse((_, _, i))) = ready.pop() {
        order.push(i);
        for &child in &children[i] {
            waiting[child] -= 1;
            if waiting[child] == 0 {
                ready.push(Reverse((graph[child].time, graph[child].id, child)));
            }
        }
    }
    let mut slots: Vec<Option<Commit>> = graph.into_iter().map(Some).collect();
    order.into_iter().filter_map(|i| slots[i].take()).collect()
}

/// Author, date and summary of a commit, for the report.
pub(crate) fn info(
    objects: &dyn Find,
    id: ObjectId,
    rank: u64,
    buf: &mut Vec<u8>,
) -> super::CommitInfo {
    let mut info = super::CommitInfo {
        id: id.to_string(),
        author: String::new(),
        email: String::new(),
        date: String::new(),
        summary: String::new(),
        rank,
    };
    let Ok(Some(data)) = objects.try_find(&id, buf) else {
        return info;
    };
    let Ok(commit) = gix::objs::CommitRef::from_bytes(data.data, id.kind()) else {
        return info;
    };
    if let Ok(author) = commit.author() {
        info.author = author.name.to_string();
        info.email = author.email.to_string();
        if let Ok(time) = author.time() {
            info.date = time.format_or_unix(gix::date::time::format::ISO8601_STRICT);
        }
    }
    info.summary = commit.message_summary().to_string();
    info
}
