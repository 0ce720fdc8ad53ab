//! Ref lists for people. A secret in a large history is held by thousands of refs (every
//! `refs/pull/NNNN/head` of a GitHub mirror), and listing them made one line of a plan 337,888
//! characters long. People need the kinds and counts, and the branch by name, since a branch
//! that alone holds a secret may be deleted; the full list stays in the JSON report.

use crate::model::{count, thousands};

/// Refs sorted into what people act on differently.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RefKinds {
    /// Branch names (`main`; remote-tracking ones as `origin/main`), the default branch first.
    pub branches: Vec<String>,
    /// Tag names.
    pub tags: Vec<String>,
    /// Pull- and merge-request refs (`refs/pull/*`, `refs/merge-requests/*`).
    pub pull_requests: usize,
    /// Anything else (notes, stash, `refs/original/*` left by a rewrite).
    pub other: Vec<String>,
}

impl RefKinds {
    /// Sorts `refs` (full names, as reports carry them).
    pub fn of(refs: &[String]) -> RefKinds {
        let mut kinds = RefKinds::default();
        for full in refs {
            // A server-wide audit prefixes each ref with its repository: `ops/svc1:refs/heads/main`.
            let (repository, name) = match full.split_once(":refs/") {
                Some((repository, rest)) => (format!("{repository}:"), format!("refs/{rest}")),
                None => (String::new(), full.clone()),
            };
            if let Some(branch) = name.strip_prefix("refs/heads/") {
                kinds.branches.push(format!("{repository}{branch}"));
            } else if let Some(branch) = name.strip_prefix("refs/remotes/") {
                if !branch.ends_with("/HEAD") {
                    kinds.branches.push(format!("{repository}{branch}"));
                }
            } else if let Some(tag) = name.strip_prefix("refs/tags/") {
                kinds.tags.push(format!("{repository}{tag}"));
            } else if name.starts_with("refs/pull/") || name.starts_with("refs/merge-requests/") {
                kinds.pull_requests += 1;
            } else {
                kinds.other.push(full.clone());
            }
        }
        // The default branch, when it is among them, is named first.
        kinds.branches.sort_by_key(|b| {
            (
                !matches!(b.as_str(), "main" | "master" | "trunk" | "develop"),
                b.clone(),
            )
        });
        kinds.branches.dedup();
        kinds
    }

    /// `main, 2 other branches, 9 tags, 1,380 pull-request refs`: the first branch and the
    /// first tag by name, every kind counted, never longer than a line.
    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        match self.branches.as_slice() {
            [] => {}
            [only] => parts.push(format!("branch {only}")),
            [first, rest @ ..] => parts.push(format!(
                "branch {first}, {}",
                count(rest.len() as u64, "other branch", "other branches")
            )),
        }
        match self.tags.as_slice() {
            [] => {}
            [only] => parts.push(format!("tag {only}")),
            many => parts.push(count(many.len() as u64, "tag", "tags")),
        }
        if self.pull_requests > 0 {
            parts.push(count(
                self.pull_requests as u64,
                "pull-request ref",
                "pull-request refs",
            ));
        }
        match self.other.as_slice() {
            [] => {}
            [only] => parts.push(only.clone()),
            many => parts.push(format!("{} other refs", thousands(many.len() as u64))),
        }
        parts.join(", ")
    }

    /// The branches that alone keep a secret no longer at HEAD (`in_head` false), to delete
    /// if unneeded: every branch that holds it, when there are few enough to name (a secret
    /// held by dozens of branches is in shared history, and deleting branches is not the
    /// remedy) and no pull-request ref holds it too (the host keeps those).
    pub fn deletable_branches(&self, in_head: bool) -> &[String] {
        const AT_MOST: usize = 5;
        // In an audit each branch is in its own repository, and one command cannot delete them.
        let one_repository = !self.branches.iter().any(|b| b.contains(':'));
        if !in_head && self.pull_requests == 0 && self.branches.len() <= AT_MOST && one_repository {
            &self.branches
        } else {
            &[]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(refs: &[&str]) -> Vec<String> {
        refs.iter().map(|r| r.to_string()).collect()
    }

    #[test]
    fn thousands_of_refs_fit_on_one_short_line() {
        let mut refs = names(&[
            "refs/heads/feature",
            "refs/heads/main",
            "refs/heads/release",
        ]);
        refs.extend((0..9).map(|i| format!("refs/tags/v1.{i}")));
        refs.extend((0..1380).map(|i| format!("refs/pull/{i}/head")));
        let kinds = RefKinds::of(&refs);
        assert_eq!(
            kinds.summary(),
            "branch main, 2 other branches, 9 tags, 1,380 pull-request refs"
        );
        // Pull-request refs keep it whatever branches are deleted.
        assert!(kinds.deletable_branches(false).is_empty());
        let branches_only = RefKinds::of(&refs[..12]);
        assert!(branches_only
            .deletable_branches(false)
            .contains(&"feature".to_string()));
        assert!(
            branches_only.deletable_branches(true).is_empty(),
            "still at HEAD"
        );
    }

    #[test]
    fn an_audits_refs_keep_their_repository() {
        let kinds = RefKinds::of(&names(&[
            "ops/svc1:refs/heads/main",
            "ops/svc2:refs/heads/main",
            "ops/svc2:refs/pull/4/head",
        ]));
        assert_eq!(
            kinds.summary(),
            "branch ops/svc1:main, 1 other branch, 1 pull-request ref"
        );
    }

    #[test]
    fn one_of_a_kind_is_named() {
        let kinds = RefKinds::of(&names(&[
            "refs/heads/feature/payments",
            "refs/tags/v2.0",
            "refs/remotes/origin/HEAD",
            "refs/stash",
        ]));
        assert_eq!(
            kinds.summary(),
            "branch feature/payments, tag v2.0, refs/stash"
        );
        let many = RefKinds::of(
            &(0..40)
                .map(|i| format!("refs/heads/b{i}"))
                .collect::<Vec<_>>(),
        );
        assert!(many.deletable_branches(false).is_empty());
    }
}
