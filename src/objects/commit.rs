//! Commits as every mode needs them: tree, parents and time parsed in one pass over the headers,
//! the order history introduced them in, the author and summary a report shows, and the message
//! (scanned like a file: people paste credentials into commit messages too).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

use gix::objs::{CommitRefIter, Find};
use gix::ObjectId;

use crate::model::CommitInfo;

/// One commit of the graph.
pub struct Commit {
    /// Its id.
    pub id: ObjectId,
    /// Its root tree.
    pub tree: ObjectId,
    /// Committer time, seconds since the epoch.
    pub time: i64,
    /// Its parents, in order.
    pub parents: Vec<ObjectId>,
}

impl Commit {
    /// Reads the tree, parents and committer time from a commit's bytes in one pass over its
    /// headers; `None` when not even the tree parses.
    pub fn parse(id: ObjectId, data: &[u8]) -> Option<Commit> {
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
pub fn read(objects: &dyn Find, id: ObjectId, buf: &mut Vec<u8>) -> Option<Commit> {
    let data = objects.try_find(&id, buf).ok()??;
    if data.kind != gix::objs::Kind::Commit {
        return None;
    }
    Commit::parse(id, data.data)
}

/// Orders commits so that parents come before children and, among commits ready at the same
/// time, older ones (by committer date) first.
pub fn oldest_first(graph: Vec<Commit>) -> Vec<Commit> {
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
pub fn info(objects: &dyn Find, id: ObjectId, rank: u64, buf: &mut Vec<u8>) -> CommitInfo {
    let mut info = CommitInfo {
        id: id.into(),
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

/// The message of a commit or annotated tag: what follows the blank line that ends the headers.
pub fn message(data: &[u8]) -> &[u8] {
    memchr::memmem::find(data, b"\n\n").map_or(&[][..], |end| &data[end + 2..])
}
