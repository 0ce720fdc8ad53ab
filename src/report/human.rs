//! Output for a person at a terminal: one block per finding, the earliest introduction first, what
//! to do about it, and a closing line that says plainly whether the scan saw everything.

use std::collections::BTreeMap;
use std::io::Write;

use serde_json::Value;

use super::{Finding, Location, Report};
use crate::detectors::DetectorSet;
use crate::model::Confidence;
use crate::model::Status;
use crate::model::{count, human_bytes, thousands};

/// Objects not read that the summary names one by one; the JSON report lists them all.
pub const UNREAD_LISTED: usize = 20;

/// ANSI styling, or none (not a terminal, or `NO_COLOR`).
#[derive(Debug, Clone, Copy)]
pub struct Style {
    color: bool,
}

impl Style {
    /// Colors on or off.
    pub fn new(color: bool) -> Self {
        Style { color }
    }

    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
}

/// How many extra locations to list before summarising the rest.
const MORE_LOCATIONS: usize = 5;

/// Writes the report for a person. `detectors` supplies each finding's advice summary.
pub fn write_human(
    report: &Report,
    detectors: &DetectorSet,
    style: Style,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    // Live credentials are emergencies: they come first.
    let live = |f: &&Finding| f.verification.status == Status::Live;
    for finding in report.findings.iter().filter(live) {
        write_finding(finding, detectors, style, out)?;
    }
    for finding in report.findings.iter().filter(|f| !live(f)) {
        write_finding(finding, detectors, style, out)?;
    }
    write_summary(report, style, out)
}

fn write_finding(
    finding: &Finding,
    detectors: &DetectorSet,
    style: Style,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let badge = if finding.verification.status == Status::Live {
        style.paint("1;41", "LIVE")
    } else {
        String::new()
    };
    let badge = badge
        + &match finding.confidence {
            Confidence::High => style.paint("1;31", "HIGH"),
            Confidence::Medium => style.paint("1;33", "MEDIUM"),
            Confidence::Low => style.paint("1;36", "LOW"),
        };
    writeln!(
        out,
        "{badge}  {}  {}",
        style.paint("1", &finding.name),
        style.paint("2", &format!("[{}]", finding.detector))
    )?;
    writeln!(out, "  secret   {}", finding.secret)?;
    let fields = fields_line(&finding.fields);
    if !fields.is_empty() {
        writeln!(out, "  fields   {fields}")?;
    }
    let mut locations = finding.locations.iter();
    if let Some(first) = locations.next() {
        writeln!(out, "  where    {}", place(first))?;
        writeln!(out, "  commit   {}", commit_line(first))?;
    }
    let rest: Vec<&Location> = locations.collect();
    for location in rest.iter().take(MORE_LOCATIONS) {
        writeln!(
            out,
            "  also     {}  ({})",
            place(location),
            short_commit(location)
        )?;
    }
    if rest.len() > MORE_LOCATIONS {
        writeln!(
            out,
            "  also     ... and {} more locations (see --format json)",
            rest.len() - MORE_LOCATIONS
        )?;
    }
    let state = if finding.in_head {
        style.paint("31", "still present in HEAD")
    } else if finding.locations.iter().any(|l| l.commit.is_some()) {
        "removed from HEAD, still in history: rotate it anyway".to_string()
    } else {
        "in an object no ref reaches (still in the object database)".to_string()
    };
    writeln!(out, "  status   {state}")?;
    let verification = &finding.verification;
    if verification.status != Status::NotChecked {
        let (label, code) = match verification.status {
            Status::Live => ("LIVE", "1;31"),
            Status::Invalid => ("invalid", "32"),
            Status::Unknown => ("unknown", "33"),
            Status::Error => ("error", "33"),
            Status::NotChecked => ("not checked", "2"),
        };
        writeln!(
            out,
            "  verified {}{}",
            style.paint(code, label),
            verification
                .detail
                .as_deref()
                .map(|d| format!(": {d}"))
                .unwrap_or_default()
        )?;
    }
    if let Some(detector) = detectors.get(&finding.detector) {
        if !detector.advice.summary.is_empty() {
            writeln!(out, "  fix      {}", detector.advice.summary)?;
        }
    }
    writeln!(out, "  id       {}", style.paint("2", &finding.fingerprint))?;
    writeln!(out)
}

fn fields_line(fields: &BTreeMap<String, Value>) -> String {
    fields
        .iter()
        .map(|(k, v)| match v {
            Value::String(s) => format!("{k}={s}"),
            other => format!("{k}={other}"),
        })
        .collect::<Vec<_>>()
        .join("  ")
}

fn place(location: &Location) -> String {
    location.describe()
}

fn commit_line(location: &Location) -> String {
    match (&location.commit, &location.unreachable_commit) {
        (Some(c), _) => format!(
            "{}  {}  {} <{}>  {}",
            c.id.short(),
            c.date,
            c.author,
            c.email,
            c.summary
        ),
        (None, Some(c)) => format!(
            "none (no ref reaches it; found in unreachable commit {} {})",
            c.id.short(),
            c.summary
        ),
        (None, None) => "none (no commit holds this blob)".to_string(),
    }
}

fn short_commit(location: &Location) -> String {
    match (&location.commit, &location.unreachable_commit) {
        (Some(c), _) => format!("{} {}", c.id.short(), c.date),
        (None, Some(c)) => format!("unreachable {}", c.id.short()),
        (None, None) => "no commit".to_string(),
    }
}

fn write_summary(report: &Report, style: Style, out: &mut dyn Write) -> std::io::Result<()> {
    let stats = &report.stats;
    let found = report.findings.len();
    let hidden: u64 = report.hidden.iter().map(|h| h.findings).sum();
    let headline = match found {
        0 if hidden > 0 => style.paint(
            "1;33",
            &format!(
                "No secrets shown ({} hidden by filters, see below)",
                thousands(hidden)
            ),
        ),
        0 => style.paint("1;32", "No secrets found"),
        1 => style.paint("1;31", "1 secret found"),
        n => style.paint("1;31", &format!("{} secrets found", thousands(n as u64))),
    };
    writeln!(
        out,
        "{headline} in {}: {} ({}) scanned{} in {:.1}s",
        report.target,
        count(stats.blobs_scanned, "blob", "blobs"),
        human_bytes(stats.bytes_scanned),
        if stats.commits > 0 {
            format!(", {}", count(stats.commits, "commit", "commits"))
        } else {
            String::new()
        },
        stats.duration_ms as f64 / 1000.0
    )?;
    let mut reasons: BTreeMap<&str, usize> = BTreeMap::new();
    for skipped in &report.skipped {
        *reasons.entry(skipped.reason.as_str()).or_default() += 1;
    }
    if !reasons.is_empty() {
        let parts: Vec<String> = reasons.iter().map(|(r, n)| format!("{n} {r}")).collect();
        writeln!(out, "Skipped: {}", parts.join(", "))?;
    }
    for hidden in &report.hidden {
        writeln!(
            out,
            "Hidden: {} {}",
            count(hidden.findings, "finding", "findings"),
            hidden.why
        )?;
    }
    for warning in &report.warnings {
        writeln!(out, "{} {warning}", style.paint("1;33", "warning:"))?;
    }
    if !report.complete {
        let unread: Vec<_> = report.unread().collect();
        let what = if unread.is_empty() {
            // A shallow clone: nothing named is missing, the history itself is cut.
            "the history scanned is not the whole history (see the warning above)"
        } else {
            "some objects were not read (listed under \"skipped\" in --format json)"
        };
        writeln!(
            out,
            "{} {what}; a clean result would prove nothing",
            style.paint("1;33", "INCOMPLETE:")
        )?;
        for skipped in unread.iter().take(UNREAD_LISTED) {
            writeln!(out, "  {}", skipped.describe())?;
        }
        if unread.len() > UNREAD_LISTED {
            writeln!(out, "  ... and {} more", unread.len() - UNREAD_LISTED)?;
        }
    }
    Ok(())
}
