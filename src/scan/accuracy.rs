//! Recall and false positives against example corpora nobody on this project wrote.
//!
//! A corpus is JSON lines of `{rule_id, provider_file, kind: positive|negative, text}` (the format
//! of other tools' rule examples). A map file says which of their rules each provider we claim
//! corresponds to, and which of our detectors must answer; examples known to be wrong are listed
//! there with the reason, so they are reported as excluded rather than silently dropped.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::{sha256_hex, Confidence};
use crate::scan::Engine;

/// One corpus example.
#[derive(Debug, Clone, Deserialize)]
pub struct Example {
    /// The other tool's rule id.
    pub rule_id: String,
    /// The other tool's rule file (its provider).
    #[serde(default)]
    pub provider_file: String,
    /// `positive` (holds a secret) or `negative` (must not be reported).
    pub kind: String,
    /// The text.
    pub text: String,
}

/// The map from other tools' rules to our detectors.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CorpusMap {
    /// Providers we claim.
    pub providers: Vec<Provider>,
    /// Examples that are wrong, with the reason.
    #[serde(default)]
    pub wrong: Vec<Wrong>,
}

/// A provider we claim to cover.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provider {
    /// Display name.
    pub name: String,
    /// The other tools' rule ids (exact, or a prefix ending in `*`).
    pub rules: Vec<String>,
    /// Our detectors, any of which may find a positive.
    pub detectors: Vec<String>,
}

/// A corpus example that is not what it claims to be.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Wrong {
    /// Its rule id.
    pub rule_id: String,
    /// The first 12 hex digits of the SHA-256 of its text.
    pub text_sha256: String,
    /// Why it does not count.
    pub reason: String,
}

/// The score for one provider.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Score {
    /// Provider name.
    pub name: String,
    /// Positive examples counted.
    pub positives: usize,
    /// Of which found by one of the provider's detectors (at medium confidence or above).
    pub found: usize,
    /// Negative examples counted.
    pub negatives: usize,
    /// Of which reported by any detector (at medium confidence or above).
    pub reported: usize,
    /// Positives not found: rule id and text hash.
    pub missed: Vec<String>,
    /// Negatives reported: rule id, text hash and the detector that reported it.
    pub false_positives: Vec<String>,
    /// Examples left out as wrong, with the reason.
    pub excluded: Vec<String>,
}

impl Score {
    /// Found positives over counted positives (1.0 when there are none).
    pub fn recall(&self) -> f64 {
        ratio(self.found, self.positives, 1.0)
    }
    /// Reported negatives over counted negatives (0.0 when there are none).
    pub fn false_positive_rate(&self) -> f64 {
        ratio(self.reported, self.negatives, 0.0)
    }
}

fn ratio(part: usize, whole: usize, empty: f64) -> f64 {
    if whole == 0 {
        empty
    } else {
        part as f64 / whole as f64
    }
}

/// Parses corpus JSON lines.
pub fn parse_corpus(origin: &str, text: &str) -> Result<Vec<Example>> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(n, line)| {
            serde_json::from_str(line).map_err(|e| Error::Usage(format!("{origin}:{}: {e}", n + 1)))
        })
        .collect()
}

/// Parses a corpus map (TOML).
pub fn parse_map(origin: &str, text: &str) -> Result<CorpusMap> {
    toml::from_str(text).map_err(|e| Error::Usage(format!("{origin}: {e}")))
}

fn rule_matches(pattern: &str, rule_id: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => rule_id.starts_with(prefix),
        None => pattern == rule_id,
    }
}

/// The short text hash `Wrong::text_sha256` uses.
pub fn text_id(text: &str) -> String {
    sha256_hex(text.as_bytes())[..12].to_string()
}

/// Scores every claimed provider, plus an `overall` row last.
pub fn evaluate(engine: &Engine, examples: &[Example], map: &CorpusMap) -> Vec<Score> {
    // Corpora write rule-scoped negatives: a Slack user token is a negative of the bot-token rule.
    // A text that some rule calls a positive is a secret, so it cannot count as a negative.
    let positive_texts: std::collections::HashSet<&str> = examples
        .iter()
        .filter(|e| e.kind == "positive")
        .map(|e| e.text.as_str())
        .collect();
    let mut scores: BTreeMap<String, Score> = BTreeMap::new();
    for example in examples {
        let claimed = map
            .providers
            .iter()
            .find(|p| p.rules.iter().any(|r| rule_matches(r, &example.rule_id)));
        // Negatives of rules we do not claim still must not be reported.
        let unclaimed = Provider {
            name: "(negatives of unclaimed rules)".into(),
            rules: Vec::new(),
            detectors: Vec::new(),
        };
        let provider = match claimed {
            Some(p) => p,
            None if example.kind != "positive" => &unclaimed,
            None => continue,
        };
        let score = scores
            .entry(provider.name.clone())
            .or_insert_with(|| Score {
                name: provider.name.clone(),
                ..Score::default()
            });
        let id = text_id(&example.text);
        if let Some(wrong) = map
            .wrong
            .iter()
            .find(|w| w.rule_id == example.rule_id && w.text_sha256 == id)
        {
            score
                .excluded
                .push(format!("{} {id}: {}", example.rule_id, wrong.reason));
            continue;
        }
        if example.kind != "positive" && positive_texts.contains(example.text.as_str()) {
            score.excluded.push(format!(
                "{} {id}: rule-scoped negative; another rule counts the same text as a positive",
                example.rule_id
            ));
            continue;
        }
        let found: Vec<(String, Confidence)> = engine
            .scan(example.text.as_bytes())
            .into_iter()
            .map(|m| (engine.detectors()[m.detector].id.clone(), m.confidence))
            .filter(|(_, c)| *c >= Confidence::Medium)
            .collect();
        if example.kind == "positive" {
            score.positives += 1;
            if found.iter().any(|(d, _)| provider.detectors.contains(d)) {
                score.found += 1;
            } else {
                score.missed.push(format!("{} {id}", example.rule_id));
            }
        } else {
            score.negatives += 1;
            if let Some((detector, _)) = found.first() {
                score.reported += 1;
                score
                    .false_positives
                    .push(format!("{} {id} (reported by {detector})", example.rule_id));
            }
        }
    }
    let mut rows: Vec<Score> = scores.into_values().collect();
    let overall = rows.iter().fold(
        Score {
            name: "overall".into(),
            ..Score::default()
        },
        |mut all, s| {
            all.positives += s.positives;
            all.found += s.found;
            all.negatives += s.negatives;
            all.reported += s.reported;
            all
        },
    );
    rows.push(overall);
    rows
}
