//! Machine-readable output: the whole report as JSON, or one finding per line (JSON Lines) for
//! streaming into log pipelines.

use std::io::Write;

use super::Report;

/// Writes the report as pretty-printed JSON.
pub fn write_json(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report)?;
    writeln!(out)
}

/// Writes one finding per line.
pub fn write_jsonl(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    for finding in &report.findings {
        serde_json::to_writer(&mut *out, finding)?;
        writeln!(out)?;
    }
    Ok(())
}
