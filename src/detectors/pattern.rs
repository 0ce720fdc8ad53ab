//! A detector's regex, compiled the first time a keyword hit needs it.
//!
//! Compiling a pattern (Unicode classes become large automata) costs about a millisecond, and the
//! built-in set has dozens: compiling them all up front was most of a small scan's start-up,
//! although a small repository wakes only a few detectors. Every pattern's syntax and its `secret`
//! group are still checked when the detector is loaded, so a broken detector file fails at once.

use std::sync::OnceLock;

use regex::bytes::{Regex, RegexBuilder};
use regex_syntax::hir::{Hir, HirKind};

/// When a pattern's automaton is built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compilation {
    /// At load: the regex crate's size limits apply and any refusal is a load error. For detector
    /// files a user wrote, whose patterns no test has compiled.
    AtLoad,
    /// At the first keyword hit, without a size limit. For the built-in detectors, every one of
    /// which the test suite compiles.
    OnFirstUse,
}

/// The regex of one detector.
#[derive(Debug)]
pub struct Pattern {
    source: String,
    compiled: OnceLock<Option<Regex>>,
}

impl Pattern {
    /// Checks `source` (syntax as `regex::bytes` reads it, and a named group `secret`) and compiles
    /// it now or later; the error says what is wrong, for the detector file's error message.
    pub fn new(source: &str, when: Compilation) -> Result<Pattern, String> {
        let hir = regex_syntax::ParserBuilder::new()
            .utf8(false)
            .build()
            .parse(source)
            .map_err(|e| format!("regex does not compile: {e}"))?;
        let Some(secret) = group(&hir, "secret") else {
            return Err("regex has no named group `secret`".into());
        };
        // An empty secret would be a finding of nothing, fingerprinted and reported HIGH.
        if secret.properties().minimum_len() == Some(0) {
            return Err("the `secret` group can match an empty string".into());
        }
        let pattern = Pattern {
            source: source.to_string(),
            compiled: OnceLock::new(),
        };
        if when == Compilation::AtLoad {
            let regex = Regex::new(source).map_err(|e| format!("regex does not compile: {e}"))?;
            let _ = pattern.compiled.set(Some(regex));
        }
        Ok(pattern)
    }

    /// The compiled regex, built on first call. `None` only if the regex crate refused a pattern
    /// its own parser accepted, with no size limit in the way: the test suite rules that out for
    /// every built-in detector.
    pub fn regex(&self) -> Option<&Regex> {
        self.compiled
            .get_or_init(|| {
                RegexBuilder::new(&self.source)
                    .size_limit(usize::MAX)
                    .build()
                    .ok()
            })
            .as_ref()
    }
}

/// What the group `name` matches, if the pattern has it.
fn group<'h>(hir: &'h Hir, name: &str) -> Option<&'h Hir> {
    match hir.kind() {
        HirKind::Capture(capture) if capture.name.as_deref() == Some(name) => Some(&capture.sub),
        HirKind::Capture(capture) => group(&capture.sub, name),
        HirKind::Repetition(repetition) => group(&repetition.sub, name),
        HirKind::Concat(parts) | HirKind::Alternation(parts) => {
            parts.iter().find_map(|part| group(part, name))
        }
        HirKind::Empty | HirKind::Literal(_) | HirKind::Class(_) | HirKind::Look(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_and_the_secret_group_are_checked_without_compiling() {
        let later = Pattern::new(r"key=(?P<secret>\w{20})", Compilation::OnFirstUse).unwrap();
        assert!(later.compiled.get().is_none(), "nothing compiled yet");
        assert!(later.regex().unwrap().is_match(b"key=abcdefghijklmnopqrst"));

        let unclosed = Pattern::new(r"key=(?P<secret>\w+", Compilation::OnFirstUse);
        assert!(unclosed.unwrap_err().starts_with("regex does not compile"));
        let unnamed = Pattern::new(r"key=(\w+)", Compilation::OnFirstUse);
        assert_eq!(unnamed.unwrap_err(), "regex has no named group `secret`");
        let nested = Pattern::new(r"(?:a|(b(?P<secret>c)*))", Compilation::OnFirstUse);
        assert!(
            nested.is_ok(),
            "a group inside alternation and repetition counts"
        );
        for empty in [
            r"key=(?P<secret>)",
            r"key=(?P<secret>\w*)",
            r"(?P<secret>a?|b)",
        ] {
            assert_eq!(
                Pattern::new(empty, Compilation::OnFirstUse).unwrap_err(),
                "the `secret` group can match an empty string",
                "{empty}"
            );
        }
    }

    #[test]
    fn a_pattern_compiled_at_load_is_held_to_the_size_limit() {
        let huge = r"(?P<secret>\w{2000})";
        let refused = Pattern::new(huge, Compilation::AtLoad).unwrap_err();
        assert!(refused.contains("size limit"), "{refused}");
        assert!(Pattern::new(huge, Compilation::OnFirstUse).is_ok());
    }

    #[test]
    fn bytes_patterns_may_match_invalid_utf8_as_regex_bytes_allows() {
        let pattern = Pattern::new(r"(?-u:\xFF)(?P<secret>.)", Compilation::OnFirstUse).unwrap();
        assert!(pattern.regex().unwrap().is_match(b"\xFFx"));
    }
}
