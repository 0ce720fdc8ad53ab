//! `blobhound advise REPORT.json`: a rotation plan from a JSON report.

use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use blobhound::detectors::DetectorSet;
use blobhound::report::advice::{plan, replace_text_rules, write_html, write_markdown, Plan};
use blobhound::report::Report;
use clap::{Args, ValueEnum};

use super::output::{note, settle, OutputFile};
use super::Status;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum PlanFormat {
    Markdown,
    Html,
    Json,
}

#[derive(Debug, Args)]
pub struct AdviseArgs {
    /// A report written by `blobhound scan --format json` (`-` for standard input).
    report: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value = "markdown")]
    format: PlanFormat,
    /// Write the plan to FILE instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Show whole secrets in the plan (redacted by default).
    #[arg(long)]
    show_secrets: bool,
    /// Also write `git filter-repo --replace-text` rules for every secret to FILE (mode 0600).
    #[arg(long, value_name = "FILE")]
    replace_text: Option<PathBuf>,
    /// Also load every *.toml detector file in DIR (for its advice).
    #[arg(long, value_name = "DIR")]
    detectors: Option<PathBuf>,
}

pub fn run(args: AdviseArgs) -> anyhow::Result<Status> {
    let mut text = String::new();
    if args.report == Path::new("-") {
        std::io::stdin().read_to_string(&mut text)?;
    } else {
        text = std::fs::read_to_string(&args.report)
            .with_context(|| format!("reading {}", args.report.display()))?;
    }
    let report: Report = serde_json::from_str(&text).with_context(|| {
        format!(
            "{} is not a blobhound JSON report (make one with `blobhound scan --format json -o FILE`)",
            args.report.display()
        )
    })?;
    let mut detectors = DetectorSet::builtin()?;
    if let Some(dir) = &args.detectors {
        detectors.extend_from_dir(dir)?;
    }
    if let Some(path) = &args.replace_text {
        write_rules(&report, path)?;
    }
    let plan = plan(&report, &detectors, args.show_secrets);
    let mut file = args.output.as_deref().map(OutputFile::create).transpose()?;
    let mut out: Box<dyn Write + '_> = match &mut file {
        Some(file) => Box::new(BufWriter::new(file.file())),
        None => Box::new(BufWriter::new(std::io::stdout().lock())),
    };
    let written = write_plan(&plan, args.format, &mut out).and_then(|()| out.flush());
    drop(out);
    let written = written.and_then(|()| file.map_or(Ok(()), OutputFile::commit));
    settle(written, Status::Clean)
}

/// Writes `plan` in `format`.
pub fn write_plan(plan: &Plan, format: PlanFormat, out: &mut dyn Write) -> std::io::Result<()> {
    match format {
        PlanFormat::Markdown => write_markdown(plan, out),
        PlanFormat::Html => write_html(plan, out),
        PlanFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, plan)?;
            writeln!(out)
        }
    }
}

fn write_rules(report: &Report, path: &Path) -> anyhow::Result<()> {
    // Reports from before the `redacted` field show it only in their masks.
    if report.redacted || report.findings.iter().any(|f| f.secret.ends_with("*****")) {
        anyhow::bail!("the report was written with --redact, so it cannot tell filter-repo what to replace; scan again without --redact");
    }
    // Mode 0600, never through a link, complete or not at all (see `OutputFile`).
    let mut file = OutputFile::create(path)?;
    file.file()
        .write_all(replace_text_rules(report).as_bytes())
        .and_then(|()| file.commit())
        .with_context(|| format!("writing {}", path.display()))?;
    note!(
        "blobhound: wrote {} (mode 0600). It holds every secret in clear text: use it with `git filter-repo --replace-text {}`, then delete it.",
        path.display(),
        path.display()
    );
    Ok(())
}
