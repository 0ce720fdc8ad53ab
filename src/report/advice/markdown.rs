//! The rotation plan as Markdown, for issues, pull requests and terminals.
//!
//! Text from a finding (a path, a commit summary, a name from a user's detector file) is data, not
//! markup: a path like `<img src=x onerror=...>` or `[click](https://evil)` must show as written
//! wherever the plan is rendered. So every such text goes through [`text`], which backslash-escapes
//! the characters that open markup inside a line (CommonMark renders `\<` as a literal `<`) and
//! folds line breaks, which would otherwise end a table row or start a new block. Such text never
//! starts a line, so the characters that matter only there (`#`, `-`, `1.`) need nothing. Commands go in fenced blocks, where
//! nothing is markup, and no command line starts with a fence.

use std::io::Write;

use super::{Entry, Plan, PATHS_SHOWN};

/// Writes `plan` as Markdown.
pub fn write_markdown(plan: &Plan, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(out, "# Rotation plan for {}\n", text(&plan.target))?;
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
            "| {} | {} | {} | {} | {} | {} |",
            e.priority,
            e.urgency.label(),
            code(&e.secret_shown()).replace('|', "\\|"),
            text(&e.name),
            e.first_commit
                .as_ref()
                .map(|c| text(&format!("{} ({})", c.id.short(), c.date)))
                .unwrap_or_else(|| "none".into()),
            text(&e.paths.first().cloned().unwrap_or_default())
        )?;
    }
    writeln!(out)?;
    for e in &plan.entries {
        write_entry(e, out)?;
    }
    writeln!(out, "## Taking the secrets out of history\n")?;
    for (i, step) in plan.history.iter().enumerate() {
        writeln!(out, "{}", wrap(&format!("{}. {step}", i + 1), "   "))?;
    }
    Ok(())
}

fn write_entry(e: &Entry, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(
        out,
        "## {}. {} ({})\n",
        e.priority,
        text(&e.name),
        e.urgency.label()
    )?;
    writeln!(out, "- secret: {}", code(&e.secret_shown()))?;
    writeln!(
        out,
        "{}",
        wrap(&format!("- why here: {}", text(&e.why)), "  ")
    )?;
    if !e.repositories.is_empty() {
        let names: Vec<String> = e.repositories.iter().map(|r| text(r)).collect();
        writeln!(
            out,
            "{}",
            wrap(
                &format!("- repositories ({}): {}", names.len(), names.join(", ")),
                "  "
            )
        )?;
    }
    if !e.paths.is_empty() {
        writeln!(out, "- paths:")?;
        for path in e.paths.iter().take(PATHS_SHOWN) {
            writeln!(out, "  - {}", text(path))?;
        }
        if e.paths.len() > PATHS_SHOWN {
            writeln!(
                out,
                "  - and {} more (see the report)",
                e.paths.len() - PATHS_SHOWN
            )?;
        }
    }
    writeln!(out, "- id: {}\n", text(&e.fingerprint))?;
    // The summary, steps and references come from the detector file, written as Markdown.
    if !e.summary.is_empty() {
        writeln!(out, "{}\n", wrap(&e.summary, ""))?;
    }
    for (i, step) in e.steps.iter().enumerate() {
        writeln!(out, "{}", wrap(&format!("{}. {step}", i + 1), "   "))?;
    }
    if !e.actions.is_empty() {
        writeln!(out, "\nFor this credential:\n")?;
        for action in &e.actions {
            if let Some(words) = &action.text {
                writeln!(out, "{}\n", text(words))?;
            }
            if let Some(command) = &action.sh {
                writeln!(out, "```sh\n{command}\n```\n")?;
            }
        }
    }
    if !e.references.is_empty() {
        writeln!(out)?;
        for reference in &e.references {
            if reference.starts_with("https://")
                && !reference
                    .chars()
                    .any(|c| c.is_whitespace() || c.is_control() || "<>\"`".contains(c))
            {
                writeln!(out, "- <{reference}>")?;
            } else {
                writeln!(out, "- {}", text(reference))?;
            }
        }
    }
    writeln!(out)
}

/// Lines of prose a plan wraps at: a plan is read in terminals and diffs as well as rendered.
const WIDTH: usize = 100;

/// `prose` wrapped at [`WIDTH`] between words, each continuation line indented by `indent` (so
/// that it stays in its list item). Markdown joins the lines again when it renders them.
fn wrap(prose: &str, indent: &str) -> String {
    let mut out = String::with_capacity(prose.len() + prose.len() / WIDTH * (indent.len() + 1));
    let mut line = 0;
    for word in prose.split(' ') {
        if line > 0 && line + 1 + word.len() > WIDTH {
            out.push('\n');
            out.push_str(indent);
            line = indent.len();
        } else if line > 0 {
            out.push(' ');
            line += 1;
        }
        out.push_str(word);
        line += word.len();
    }
    out
}

/// Characters that start markup inside a line: HTML and entities, code, emphasis, links and
/// images, tables, strike-through, and the escape itself.
const MARKUP: &str = "\\`*_[]<>|&~!";

/// `raw` as literal Markdown text: markup characters backslash-escaped, line breaks and other
/// control characters turned into spaces.
pub fn text(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len() + raw.len() / 4);
    for c in raw.chars() {
        if MARKUP.contains(c) {
            out.push('\\');
            out.push(c);
        } else if c.is_control() {
            out.push(' ');
        } else {
            out.push(c);
        }
    }
    out
}

/// `raw` as a code span, shown exactly as it is (with `--show-secrets`, a secret must be copied
/// as it is): fenced by more backticks than any run inside it, line breaks folded to spaces. In a
/// table cell, GitHub's tables also need each `|` escaped, even there.
pub fn code(raw: &str) -> String {
    let folded: String = raw
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let longest_run = folded.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest_run + 1);
    let pad = if folded.starts_with('`') || folded.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{folded}{pad}{fence}")
}

#[cfg(test)]
mod tests {
    use super::{code, text};

    #[test]
    fn prose_wraps_between_words_inside_its_list_item() {
        let step = format!("1. {}", "word ".repeat(60).trim_end());
        let wrapped = super::wrap(&step, "   ");
        assert!(
            wrapped.lines().all(|l| l.len() <= super::WIDTH),
            "{wrapped}"
        );
        assert!(wrapped.lines().skip(1).all(|l| l.starts_with("   word")));
        assert_eq!(wrapped.replace("\n   ", " "), step);
    }

    #[test]
    fn code_spans_hold_any_text() {
        assert_eq!(code("a*b_<c>"), "`a*b_<c>`");
        assert_eq!(code("a``b`"), "``` a``b` ```");
        assert_eq!(code("a\nb"), "`a b`");
    }

    #[test]
    fn markup_from_findings_is_escaped() {
        assert_eq!(
            text("<script>[x](y)|`\n2021-11-19"),
            r"\<script\>\[x\](y)\|\` 2021-11-19"
        );
    }
}
