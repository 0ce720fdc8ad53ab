//! Output for a person at a terminal: one block per finding, the earliest introduction first, what
//! to do about it, and a closing line that says plainly whether the scan saw everything.

use std::collections::BTreeMap;
use std::io::Write;

use serde_json::Value;

use super::refs::RefKinds;
use super::{secret_for_people, Finding, Location, Report};
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
    writeln!(
        out,
        "  secret   {}",
        secret_for_people(&finding.secret, &finding.matched)
    )?;
    let fields = fields_line(&finding.fields);
    if !fields.is_empty() {
        writeln!(out, "  fields   {fields}")?;
    }
    let mut locations = finding.locations.iter();
    if let Some(first) = locations.next() {
        writeln!(out, "  where    {}", place(first))?;
        writeln!(out, "  commit   {}", commit_line(first))?;
    }
    let groups = also_groups(finding.locations.get(1..).unwrap_or_default());
    for group in groups.iter().take(MORE_LOCATIONS) {
        writeln!(out, "  also     {group}")?;
    }
    if groups.len() > MORE_LOCATIONS {
        let more: usize = groups[MORE_LOCATIONS..].iter().map(|g| g.count).sum();
        writeln!(
            out,
            "  also     ... and {} at {} (see --format json)",
            count(more as u64, "location", "locations"),
            count(
                (groups.len() - MORE_LOCATIONS) as u64,
                "other path",
                "other paths"
            )
        )?;
    }
    let kinds = RefKinds::of(&finding.refs);
    let state = if finding.in_head {
        style.paint("31", "still present in HEAD")
    } else if finding.locations.iter().any(|l| l.commit.is_some()) {
        match kinds.summary().as_str() {
            "" => "removed from HEAD, still in history: rotate it anyway".to_string(),
            held => format!("removed from HEAD, still in the history of {held}: rotate it anyway"),
        }
    } else {
        "in an object no ref reaches (still in the object database)".to_string()
    };
    writeln!(out, "  status   {state}")?;
    let deletable = kinds.deletable_branches(finding.in_head);
    if !deletable.is_empty() {
        let names: Vec<&str> = deletable.iter().map(String::as_str).collect();
        writeln!(
            out,
            "  branch   if {} no longer needed, delete {}: git push origin --delete {}",
            if names.len() == 1 {
                "it is"
            } else {
                "they are"
            },
            if names.len() == 1 { "it" } else { "them" },
            names.join(" ")
        )?;
    }
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

/// Locations after the first, one line per path in the order history met them: the first
/// line and commit there, and how many more versions hold it.
struct AlsoGroup<'l> {
    first: &'l Location,
    last: &'l Location,
    count: usize,
}

impl std::fmt::Display for AlsoGroup<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}  ({}", place(self.first), short_commit(self.first))?;
        if self.count > 1 {
            write!(
                f,
                "; {}, the last {}",
                count((self.count - 1) as u64, "more version", "more versions"),
                short_commit(self.last)
            )?;
        }
        write!(f, ")")
    }
}

fn also_groups(locations: &[Location]) -> Vec<AlsoGroup<'_>> {
    let mut groups: Vec<AlsoGroup<'_>> = Vec::new();
    let mut index: BTreeMap<(Option<&str>, Option<&str>), usize> = BTreeMap::new();
    for location in locations {
        let key = (location.path.as_deref(), location.origin.member.as_deref());
        match index.get(&key) {
            Some(&at) => {
                let group = &mut groups[at];
                group.count += 1;
                group.last = location;
            }
            None => {
                index.insert(key, groups.len());
                groups.push(AlsoGroup {
                    first: location,
                    last: location,
                    count: 1,
                });
            }
        }
    }
    groups
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
    if found > 0 {
        let verify = if report
            .findings
            .iter()
            .all(|f| f.verification.status == Status::NotChecked)
        {
            "; add --verify to check which still work"
        } else {
            ""
        };
        writeln!(
            out,
            "Next: the rotation plan, with the exact commands: run this again with --format json \
             -o report.json, then blobhound advise report.json{verify}"
        )?;
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
