//! Redaction: a report that may be shared holds no secret and no bare hash of one.
//!
//! Masking only a finding's `secret` field is not enough: the same secret can sit in a commit
//! summary ("rotate key sk_live_..."), in a path (`keys/AKIA....json`), in a tag's name, in another
//! finding's match, or in a field. So every free-text string the report carries is searched for
//! every known secret at once, and each occurrence is replaced by its mask. The walk is over the
//! typed report (one function per type, below), so a field added to a type is visible here, and
//! the integration tests plant a secret in each place and read every output format for it.

use aho_corasick::{AhoCorasick, MatchKind};
use serde_json::Value;

use super::{Report, Submodule};
use crate::model::{CommitInfo, Finding, Location, Skipped};

/// Secrets shorter than this are masked in their own finding only: masking every `abc` in every
/// path would make a report unreadable, and no detector reports a secret that short.
const SHORTEST_SEARCHED: usize = 4;

/// A secret with all but a short prefix masked: at most a sixth of it, never more than four
/// characters, so the mask says which secret it is without giving it away.
pub fn mask(secret: &str) -> String {
    let shown = (secret.chars().count() / 6).min(4);
    let prefix: String = secret.chars().take(shown).collect();
    format!("{prefix}*****")
}

/// An AWS access key id (`AKIA…`, `ASIA…`): an identifier, not a secret (AWS documents it as
/// such), and what every rotation command needs. A lone key id found by its own detector still
/// has its `secret` masked, but other text that names it (the pair's `access_key_id` field, a
/// plan's commands) keeps it.
pub fn is_aws_key_id(text: &str) -> bool {
    text.len() == 20
        && [
            "AKIA", "ASIA", "AIDA", "AROA", "AGPA", "ANPA", "ANVA", "AIPA", "ABIA", "ACCA",
        ]
        .iter()
        .any(|p| text.starts_with(p))
        && text
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// Replaces every known secret in a text by its mask.
pub struct Redactor {
    searcher: Option<AhoCorasick>,
    masks: Vec<String>,
}

impl Redactor {
    /// A redactor for `secrets` (duplicates and short ones are fine).
    pub fn new<'s>(secrets: impl IntoIterator<Item = &'s str>) -> Self {
        let mut secrets: Vec<&str> = secrets
            .into_iter()
            .filter(|s| s.chars().count() >= SHORTEST_SEARCHED && !is_aws_key_id(s))
            .collect();
        secrets.sort_unstable();
        secrets.dedup();
        // Leftmost-longest: a secret that contains another is masked whole.
        let searcher = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&secrets)
            .ok();
        Redactor {
            searcher,
            masks: secrets.iter().map(|s| mask(s)).collect(),
        }
    }

    /// `text` with every secret masked.
    pub fn text(&self, text: &str) -> String {
        match &self.searcher {
            Some(searcher) if !self.masks.is_empty() => {
                let mut out = String::with_capacity(text.len());
                searcher.replace_all_with(text, &mut out, |m, _, out| {
                    out.push_str(&self.masks[m.pattern().as_usize()]);
                    true
                });
                out
            }
            _ => text.to_string(),
        }
    }

    fn in_place(&self, text: &mut String) {
        *text = self.text(text);
    }

    fn option(&self, text: &mut Option<String>) {
        if let Some(text) = text {
            self.in_place(text);
        }
    }

    fn value(&self, value: &mut Value) {
        match value {
            Value::String(s) => self.in_place(s),
            Value::Array(items) => items.iter_mut().for_each(|v| self.value(v)),
            Value::Object(map) => map.values_mut().for_each(|v| self.value(v)),
            Value::Null | Value::Bool(_) | Value::Number(_) => {}
        }
    }

    fn commit(&self, commit: &mut Option<CommitInfo>) {
        if let Some(c) = commit {
            self.in_place(&mut c.author);
            self.in_place(&mut c.email);
            self.in_place(&mut c.summary);
        }
    }

    fn location(&self, location: &mut Location) {
        self.option(&mut location.path);
        self.option(&mut location.tag);
        self.commit(&mut location.commit);
        self.commit(&mut location.unreachable_commit);
        self.option(&mut location.origin.member);
        if let Some(cell) = &mut location.origin.cell {
            self.in_place(&mut cell.table);
            self.in_place(&mut cell.column);
        }
    }

    fn finding(&self, finding: &mut Finding) {
        let own = mask(&finding.secret);
        if !finding.secret.is_empty() {
            finding.matched = finding.matched.replace(&finding.secret, &own);
        }
        self.in_place(&mut finding.matched);
        finding.secret = own;
        finding.secret_sha256 = None;
        for value in finding.fields.values_mut() {
            self.value(value);
        }
        finding.locations.iter_mut().for_each(|l| self.location(l));
        finding.refs.iter_mut().for_each(|r| self.in_place(r));
        self.option(&mut finding.verification.detail);
    }

    fn skipped(&self, skipped: &mut Skipped) {
        self.option(&mut skipped.detail);
        self.option(&mut skipped.member);
        self.option(&mut skipped.path);
    }

    fn submodule(&self, submodule: &mut Submodule) {
        self.in_place(&mut submodule.path);
    }

    /// `report` with every secret masked wherever it appears, and no hash of a secret left. The
    /// target and repository paths are the user's own words for what was scanned, not text from
    /// it, and a report must still say what it covers: they are left as they are.
    pub fn report(&self, report: &mut Report) {
        report.warnings.iter_mut().for_each(|w| self.in_place(w));
        report.skipped.iter_mut().for_each(|s| self.skipped(s));
        report.submodules.iter_mut().for_each(|s| self.submodule(s));
        report.findings.iter_mut().for_each(|f| self.finding(f));
        report.redacted = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Skipped;

    #[test]
    fn masks_never_show_more_than_four_characters() {
        assert_eq!(
            mask("django-insecure-abcdefghijklmnopqrstuvwxyz"),
            "djan*****"
        );
        assert_eq!(mask("hunter22"), "h*****");
        assert_eq!(mask("abc"), "*****");
    }

    fn finding(detector: &str, secret: &str, fields: serde_json::Value) -> Finding {
        Finding {
            detector: detector.into(),
            name: detector.into(),
            family: "x".into(),
            confidence: crate::model::Confidence::High,
            confidence_reason: None,
            secret: secret.into(),
            secret_sha256: Some("00".into()),
            fingerprint: "argon2id:00".into(),
            matched: format!("key={secret}"),
            fields: serde_json::from_value(fields).unwrap(),
            entropy: 4.0,
            locations: Vec::new(),
            in_head: false,
            refs: vec![format!("refs/heads/{secret}")],
            verification: crate::model::Outcome::not_checked(),
        }
    }

    #[test]
    fn a_secret_in_another_findings_fields_refs_or_a_skip_is_masked() {
        let mut report = Report::new(
            "repo",
            crate::model::Counts::default(),
            vec![Skipped {
                repository: None,
                blob: "b".into(),
                reason: crate::model::SkipReason::TooLarge,
                path: None,
                member: None,
                detail: Some("dump-Summer2024!.sql".into()),
                size: None,
                unread: true,
            }],
            false,
            vec!["warning about Summer2024!".into()],
            vec![
                finding("database-url", "Summer2024!", serde_json::json!({})),
                finding(
                    "generic",
                    "0123456789abcdef",
                    serde_json::json!({"username": "Summer2024!", "list": ["x Summer2024!"]}),
                ),
            ],
        );
        Redactor::new(
            report
                .findings
                .iter()
                .map(|f| f.secret.clone())
                .collect::<Vec<_>>()
                .iter()
                .map(String::as_str),
        )
        .report(&mut report);
        let text = serde_json::to_string(&report).unwrap();
        assert!(!text.contains("Summer2024!"), "{text}");
        assert!(!text.contains("0123456789abcdef"), "{text}");
        assert!(!text.contains("secret_sha256"), "{text}");
        assert!(report.redacted);
    }

    #[test]
    fn every_occurrence_of_every_secret_is_masked() {
        let redactor = Redactor::new(["Summer2024!", "Summer2024!xyz", "ab"]);
        assert_eq!(
            redactor.text("keys/Summer2024!xyz.txt and Summer2024! ab"),
            "keys/Su*****.txt and S***** ab"
        );
    }
}
