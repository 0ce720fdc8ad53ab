//! SARIF 2.1.0, the format code-scanning services (GitHub, GitLab, Azure DevOps) import. One rule
//! per detector, with its rotation advice as help text; one result per finding at its earliest
//! location, with the others as related locations, and the fingerprint as a partial fingerprint
//! so that the service tracks the same secret across runs. Messages never carry a whole secret.

use std::io::Write;

use serde_json::{json, Value};

use super::{Finding, Location, Report};
use crate::detectors::DetectorSet;
use crate::model::Confidence;

/// Writes `report` as SARIF, describing every detector of `detectors` as a rule.
pub fn write_sarif(
    report: &Report,
    detectors: &DetectorSet,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let rules: Vec<Value> = detectors
        .detectors()
        .iter()
        .map(|d| {
            let steps: Vec<String> = d
                .advice
                .steps
                .iter()
                .enumerate()
                .map(|(i, step)| format!("{}. {step}", i + 1))
                .collect();
            let mut markdown = format!("{}\n\n{}", d.advice.summary, steps.join("\n"));
            if !d.advice.references.is_empty() {
                markdown.push_str("\n\n");
                for reference in &d.advice.references {
                    markdown.push_str(&format!("- <{reference}>\n"));
                }
            }
            let mut rule = json!({
                "id": d.id,
                "name": d.id,
                "shortDescription": {"text": d.name},
                "fullDescription": {"text": if d.advice.summary.is_empty() { &d.name } else { &d.advice.summary }},
                "help": {"text": format!("{}\n{}", d.advice.summary, steps.join("\n")), "markdown": markdown},
                "defaultConfiguration": {"level": level(d.confidence)},
                "properties": {
                    "tags": ["security", "secret", d.family],
                    "precision": precision(d.confidence),
                    "security-severity": "9.0",
                },
            });
            if let Some(uri) = d.advice.references.first() {
                rule["helpUri"] = json!(uri);
            }
            rule
        })
        .collect();
    let rule_index = |id: &str| detectors.detectors().iter().position(|d| d.id == id);
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| result(f, &report.masked_secret(f), rule_index(&f.detector)))
        .collect();
    let notifications: Vec<Value> = report
        .warnings
        .iter()
        .map(|w| json!({"level": "warning", "message": {"text": w}}))
        .chain(
            report
                .skipped
                .iter()
                .filter(|s| s.reason.makes_incomplete())
                .map(|s| {
                    json!({
                        "level": "error",
                        "message": {"text": format!("object {} not scanned: {}", s.blob, s.reason.as_str())},
                    })
                }),
        )
        .collect();
    let sarif = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": report.tool.name,
                "version": report.tool.version,
                "semanticVersion": report.tool.version,
                "rules": rules,
            }},
            "invocations": [{
                "executionSuccessful": report.complete,
                "toolExecutionNotifications": notifications,
            }],
            "results": results,
        }],
    });
    serde_json::to_writer_pretty(&mut *out, &sarif)?;
    writeln!(out)
}

fn result(f: &Finding, secret: &str, rule_index: Option<usize>) -> Value {
    let first = f.locations.first();
    let when = first
        .and_then(|l| l.commit.as_ref())
        .map(|c| {
            format!(
                " introduced in commit {} ({}, {})",
                c.id.short(),
                c.author,
                c.date
            )
        })
        .unwrap_or_default();
    let state = if f.in_head {
        "still present"
    } else {
        "in history only; rotate it anyway"
    };
    let mut result = json!({
        "ruleId": f.detector,
        "level": level(f.confidence),
        "message": {"text": format!("{} {}{when}; {state}.", f.name, secret)},
        "locations": first.map(|l| vec![physical(l, None)]).unwrap_or_default(),
        "partialFingerprints": {"blobhound/v2": f.fingerprint},
        "properties": {
            "blob": first.map(|l| l.blob),
            "commit": first.and_then(|l| l.commit.as_ref().map(|c| c.id)),
            "in_head": f.in_head,
        },
    });
    if let Some(index) = rule_index {
        result["ruleIndex"] = json!(index);
    }
    let related: Vec<Value> = f
        .locations
        .iter()
        .skip(1)
        .enumerate()
        .map(|(i, l)| physical(l, Some(i + 1)))
        .collect();
    if !related.is_empty() {
        result["relatedLocations"] = json!(related);
    }
    result
}

fn physical(location: &Location, id: Option<usize>) -> Value {
    let uri = location
        .path
        .clone()
        .unwrap_or_else(|| format!("git-object/{}", location.blob));
    let mut value = json!({
        "physicalLocation": {
            "artifactLocation": {"uri": uri},
        },
    });
    // Lines of an archive member or a database cell are not lines of the file the URI names:
    // such a location names the file only, and says where inside it in its properties.
    let inside = location.origin.member.is_some() || location.origin.cell.is_some();
    if !inside {
        value["physicalLocation"]["region"] =
            json!({"startLine": location.line.max(1), "startColumn": location.column.max(1)});
    }
    if !location.origin.is_plain() {
        value["properties"] = json!({"inside": location.describe(), "origin": location.origin});
    }
    if let Some(id) = id {
        value["id"] = json!(id);
        if let Some(commit) = &location.commit {
            value["message"] = json!({"text": format!("also in commit {}", commit.id)});
        }
    }
    value
}

fn level(confidence: Confidence) -> &'static str {
    match confidence {
        Confidence::High => "error",
        Confidence::Medium => "warning",
        Confidence::Low => "note",
    }
}

fn precision(confidence: Confidence) -> &'static str {
    match confidence {
        Confidence::High => "high",
        Confidence::Medium => "medium",
        Confidence::Low => "low",
    }
}
