//! Path filters over a report: `--exclude` and a config's `exclude` and `allow.paths`, as
//! gitignore-style globs. A finding is scanned wherever it sits (objects are read before their
//! paths are known), and the filter then drops the locations at excluded paths; a finding left
//! with none is hidden, and counted, never silently gone.
//!
//! The glob rules are gitignore's, as far as paths go: a pattern without a `/` (other than a
//! trailing one) matches a name at any depth (`*.min.js`, `site-packages/`); one with a `/`
//! matches from the root (`tests/fixtures/`, `/settings.py`); `**` crosses folders; a pattern
//! matching a folder matches everything under it; a trailing `/` matches folders only, here any
//! path under it; `!` re-includes what an earlier pattern excluded. Archive members are paths
//! too: `.env` matches `backups/shop.zip!shop/.env`.

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

use crate::model::{Finding, Location};

/// Compiled gitignore-style globs, in the order given (the last match decides).
#[derive(Debug, Clone, Default)]
pub struct PathGlobs {
    rules: Vec<Rule>,
}

#[derive(Debug, Clone)]
struct Rule {
    matcher: GlobSet,
    include: bool,
}

impl PathGlobs {
    /// Compiles `patterns`; an invalid one is named in the error.
    pub fn new(patterns: &[String]) -> Result<PathGlobs, String> {
        let mut rules = Vec::new();
        for pattern in patterns {
            let (include, body) = match pattern.strip_prefix('!') {
                Some(rest) => (true, rest),
                None => (false, pattern.as_str()),
            };
            let body = body.trim();
            if body.is_empty() {
                continue;
            }
            let folder_only = body.ends_with('/');
            let body = body.trim_end_matches('/');
            let anchored = body.contains('/');
            let body = body.trim_start_matches('/');
            let base = if anchored {
                body.to_string()
            } else {
                format!("**/{body}")
            };
            let mut set = GlobSetBuilder::new();
            let mut forms = vec![format!("{base}/**")];
            if !folder_only {
                forms.push(base.clone());
            }
            for form in forms {
                let glob = GlobBuilder::new(&form)
                    .literal_separator(true)
                    .build()
                    .map_err(|e| format!("{pattern:?}: {}", e.kind()))?;
                set.add(glob);
            }
            let matcher = set
                .build()
                .map_err(|e| format!("{pattern:?}: {}", e.kind()))?;
            rules.push(Rule { matcher, include });
        }
        Ok(PathGlobs { rules })
    }

    /// Whether there are no patterns.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Whether `path` is excluded: the last rule that matches it says.
    pub fn excludes(&self, path: &str) -> bool {
        let mut excluded = false;
        for rule in &self.rules {
            if rule.matcher.is_match(path) {
                excluded = !rule.include;
            }
        }
        excluded
    }

    /// Whether a location is excluded: by its path, or by its archive member's path (each
    /// level of a nested member, `inner.zip!shop/.env`, and the whole `outer!inner` form).
    pub fn excludes_location(&self, location: &Location) -> bool {
        let Some(path) = location.path.as_deref() else {
            return false;
        };
        if self.excludes(path) {
            return true;
        }
        match location.origin.member.as_deref() {
            Some(member) => {
                member.split('!').any(|part| self.excludes(part))
                    || self.excludes(&format!("{path}!{member}"))
            }
            None => false,
        }
    }
}

/// Drops the locations `globs` exclude from every finding; returns the findings left with
/// none, which the caller counts as hidden.
pub fn apply(findings: &mut Vec<Finding>, globs: &PathGlobs) -> Vec<Finding> {
    if globs.is_empty() {
        return Vec::new();
    }
    let mut dropped = Vec::new();
    for mut finding in std::mem::take(findings) {
        let before = finding.locations.len();
        finding.locations.retain(|l| !globs.excludes_location(l));
        if finding.locations.is_empty() && before > 0 {
            dropped.push(finding);
        } else {
            findings.push(finding);
        }
    }
    dropped
}

#[cfg(test)]
mod tests {
    use super::*;

    fn globs(patterns: &[&str]) -> PathGlobs {
        PathGlobs::new(&patterns.iter().map(|p| p.to_string()).collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn patterns_follow_gitignore_rules_for_paths() {
        let g = globs(&[
            "*.min.js",
            "site-packages/",
            "tests/fixtures/",
            "/settings.py",
        ]);
        assert!(g.excludes("static/app.min.js"));
        assert!(g.excludes("app.min.js"));
        assert!(!g.excludes("static/app.js"));
        assert!(g.excludes("venv/lib/python3.11/site-packages/x/conf.py"));
        assert!(g.excludes("tests/fixtures/users.json"));
        assert!(!g.excludes("app/tests/fixtures/users.json"), "anchored");
        assert!(g.excludes("settings.py"));
        assert!(
            !g.excludes("app/settings.py"),
            "anchored by its leading slash"
        );
        let g = globs(&["tests", "!tests/test_keys.py"]);
        assert!(g.excludes("tests/a.py"));
        assert!(g.excludes("app/tests/a.py"), "a name matches at any depth");
        assert!(!g.excludes("tests/test_keys.py"), "re-included");
        let g = globs(&["docs/**/*.md"]);
        assert!(g.excludes("docs/a/b/c.md"));
        assert!(!g.excludes("docs/a/b/c.txt"));
        let g = globs(&["*.py"]);
        assert!(g.excludes("a/b.py"));
    }

    #[test]
    fn a_bad_pattern_is_named() {
        let err = PathGlobs::new(&["a[".to_string()]).unwrap_err();
        assert!(err.contains("a["), "{err}");
    }
}
