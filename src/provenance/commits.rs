//! The commit side of provenance: which commits refs reach, their trees and parents, and the
//! order in which history introduced them.

use std::collections::{HashMap, HashSet};

use gix::ObjectId;

use super::Reader;
use crate::collect::CANNOT_PARSE_COMMIT;
use crate::model::SkipReason;
use crate::objects::Commit;

/// Named commit tips and annotated tags (possibly nested ones).
type Tips = (Vec<(String, ObjectId)>, Vec<(String, ObjectId)>);

/// The commit every ref (and HEAD) points at, through annotated tags, with the ref's name; and
/// every annotated tag object met on the way, with the name of the ref that leads to it.
pub(super) fn ref_tips(repo: &gix::Repository, reader: &mut Reader<'_, '_>) -> crate::Result<Tips> {
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
    let mut tags = Vec::new();
    for (name, mut id) in starts {
        // Peel annotated tags (possibly nested) down to what they point at.
        for _ in 0..32 {
            match reader.read(id, true) {
                Some((gix::objs::Kind::Tag, data)) => {
                    tags.push((name.clone(), id));
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
    tags.sort();
    tags.dedup();
    Ok((tips, tags))
}

/// Answers "which refs contain this commit": the refs whose tips descend from it.
pub(super) struct Containment<'c> {
    index: HashMap<ObjectId, usize>,
    children: Vec<Vec<usize>>,
    /// Each named tip (HEAD left out) with its commit's index, looked up once: a mirror with
    /// thousands of pull-request refs would otherwise pay that per blob.
    tips: Vec<(&'c str, usize)>,
    /// Answers given (positions in `tips`), by the sorted commits asked about.
    answered: HashMap<Vec<usize>, Vec<u32>>,
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
        let tips = tips
            .iter()
            .filter(|(name, _)| name != "HEAD")
            .filter_map(|(name, id)| index.get(id).map(|&i| (name.as_str(), i)))
            .collect();
        Containment {
            index,
            children,
            tips,
            answered: HashMap::new(),
        }
    }

    /// The names of the branches and tags whose history holds any of `commits` (HEAD itself
    /// excluded): one walk from all of them at once, so a blob introduced in thousands of commits
    /// costs one pass over history, and no name is held more than once.
    pub(super) fn refs_containing_any(
        &mut self,
        commits: impl IntoIterator<Item = ObjectId>,
    ) -> Vec<String> {
        let mut starts: Vec<usize> = commits
            .into_iter()
            .filter_map(|commit| self.index.get(&commit).copied())
            .collect();
        starts.sort_unstable();
        starts.dedup();
        if starts.is_empty() {
            return Vec::new();
        }
        // Blobs introduced by the same commits (a commit adding several files) share one walk.
        if let Some(tips) = self.answered.get(&starts) {
            return self.names(tips);
        }
        let mut seen = vec![false; self.children.len()];
        for &i in &starts {
            seen[i] = true;
        }
        let mut stack = starts.clone();
        while let Some(i) = stack.pop() {
            for &child in &self.children[i] {
                if !seen[child] {
                    seen[child] = true;
                    stack.push(child);
                }
            }
        }
        let tips: Vec<u32> = (0..self.tips.len())
            .filter(|&t| seen[self.tips[t].1])
            .map(|t| u32::try_from(t).unwrap_or(u32::MAX))
            .collect();
        let names = self.names(&tips);
        self.answered.insert(starts, tips);
        names
    }

    /// The names of the tips at `tips` (positions in `self.tips`), sorted, each once.
    fn names(&self, tips: &[u32]) -> Vec<String> {
        let mut names: Vec<String> = tips
            .iter()
            .filter_map(|&t| self.tips.get(t as usize))
            .map(|(name, _)| name.to_string())
            .collect();
        names.sort();
        names.dedup();
        names
    }
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
