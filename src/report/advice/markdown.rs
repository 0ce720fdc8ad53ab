//! The rotation plan as Markdown, for issues, pull requests and terminals.

use std::io::Write;

use super::{Entry, Plan};

/// Writes `plan` as Markdown.
pub fn write_markdown(plan: &Plan, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(out, "# Rotation plan for {}\n", plan.target)?;
    if !plan.complete {
        writeln!(
            out,
            "> The scan behind this plan could not read every object: more secrets may exist.\n"
        )?;
    }
    if plan.entries.is_empty() {
        writeln!(out, "Nothing to rotate: the report has no findings.")?;
        return Ok(());
    }
    writeln!(out, "| # | status | secret | kind | first commit | where |")?;
    writeln!(out, "| ---: | --- | --- | --- | --- | --- |")?;
    for e in &plan.entries {
        writeln!(
            out,
            "| {} | {} | `{}` | {} | {} | {} |",
            e.priority,
            e.urgency.label(),
            cell(&e.secret),
            cell(&e.name),
            e.first_commit
                .as_ref()
                .map(|c| format!("{} ({})", c.id.short(), c.date))
                .unwrap_or_else(|| "none".into()),
            cell(&e.paths.first().cloned().unwrap_or_default())
        )?;
    }
    writeln!(out)?;
    for e in &plan.entries {
        write_entry(e, out)?;
    }
    writeln!(out, "## Taking the secrets out of history\n")?;
    for (i, step) in plan.history.iter().enumerate() {
        writeln!(out, "{}. {step}", i + 1)?;
    }
    Ok(())
}

fn write_entry(e: &Entry, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(
        out,
        "## {}. {} ({})\n",
        e.priority,
        e.name,
        e.urgency.label()
    )?;
    writeln!(out, "- secret: `{}`", e.secret)?;
    writeln!(out, "- why here: {}", e.why)?;
    if !e.paths.is_empty() {
        writeln!(out, "- paths: {}", e.paths.join(", "))?;
    }
    writeln!(out, "- id: `{}`\n", e.fingerprint)?;
    if !e.summary.is_empty() {
        writeln!(out, "{}\n", e.summary)?;
    }
    for (i, step) in e.steps.iter().enumerate() {
        writeln!(out, "{}. {step}", i + 1)?;
    }
    if !e.commands.is_empty() {
        writeln!(out, "\nFor this credential:\n")?;
        writeln!(out, "```sh")?;
        for command in &e.commands {
            writeln!(out, "{command}")?;
        }
        writeln!(out, "```")?;
    }
    if !e.references.is_empty() {
        writeln!(out)?;
        for reference in &e.references {
            writeln!(out, "- <{reference}>")?;
        }
    }
    writeln!(out)
}

fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('`', "'")
}
