//! The rotation plan as one self-contained HTML page: the priority table first, then each entry's
//! steps. No scripts, no external resources, so it can be mailed or attached to a ticket.

use std::io::Write;

use super::{Plan, Urgency};

const STYLE: &str = "body{font:15px/1.5 system-ui,sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b}\
table{border-collapse:collapse;width:100%;margin:1rem 0}th,td{border:1px solid #ccc;padding:.35rem .5rem;text-align:left;vertical-align:top}\
th{background:#f2f2f2}code,pre{font-family:ui-monospace,monospace;font-size:.9em}pre{background:#f6f6f6;padding:.6rem;overflow-x:auto}\
.live{background:#b00020;color:#fff;font-weight:bold;padding:0 .3rem}.in-head{background:#f4c20d;padding:0 .3rem}.history{background:#ddd;padding:0 .3rem}\
section{border-top:1px solid #ddd;margin-top:1.5rem}.why{color:#444}";

/// Writes `plan` as a standalone HTML document.
pub fn write_html(plan: &Plan, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">"
    )?;
    writeln!(
        out,
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
    )?;
    writeln!(out, "<title>Rotation plan: {}</title>", esc(&plan.target))?;
    writeln!(out, "<style>{STYLE}</style>\n</head>\n<body>")?;
    writeln!(
        out,
        "<h1>Rotation plan for <code>{}</code></h1>",
        esc(&plan.target)
    )?;
    if !plan.complete {
        writeln!(out, "<p><strong>The scan behind this plan could not read every object: more secrets may exist.</strong></p>")?;
    }
    if plan.entries.is_empty() {
        writeln!(
            out,
            "<p>Nothing to rotate: the report has no findings.</p>\n</body>\n</html>"
        )?;
        return Ok(());
    }
    writeln!(out, "<table id=\"priorities\">\n<thead><tr><th>#</th><th>status</th><th>secret</th><th>kind</th><th>first commit</th><th>where</th></tr></thead>\n<tbody>")?;
    for e in &plan.entries {
        writeln!(
            out,
            "<tr><td>{}</td><td><span class=\"{}\">{}</span></td><td><code>{}</code></td><td><a href=\"#entry-{}\">{}</a></td><td>{}</td><td>{}</td></tr>",
            e.priority,
            class(e.urgency),
            esc(e.urgency.label()),
            esc(&e.secret_shown()),
            e.priority,
            esc(&e.name),
            esc(&e
                .first_commit
                .as_ref()
                .map(|c| format!("{} ({})", c.id.short(), c.date))
                .unwrap_or_else(|| "none".into())),
            esc(&e.paths.first().cloned().unwrap_or_default())
        )?;
    }
    writeln!(out, "</tbody>\n</table>")?;
    for e in &plan.entries {
        writeln!(out, "<section id=\"entry-{}\">", e.priority)?;
        writeln!(
            out,
            "<h2>{}. {} <span class=\"{}\">{}</span></h2>",
            e.priority,
            esc(&e.name),
            class(e.urgency),
            esc(e.urgency.label())
        )?;
        writeln!(
            out,
            "<p>Secret <code>{}</code>, id <code>{}</code></p>",
            esc(&e.secret_shown()),
            esc(&e.fingerprint)
        )?;
        writeln!(out, "<p class=\"why\">{}</p>", esc(&e.why))?;
        if !e.summary.is_empty() {
            writeln!(out, "<p>{}</p>", esc(&e.summary))?;
        }
        writeln!(out, "<ol>")?;
        for step in &e.steps {
            writeln!(out, "<li>{}</li>", esc(step))?;
        }
        writeln!(out, "</ol>")?;
        if !e.actions.is_empty() {
            writeln!(out, "<p>For this credential:</p>")?;
            for action in &e.actions {
                if let Some(words) = &action.text {
                    writeln!(out, "<p>{}</p>", esc(words))?;
                }
                if let Some(command) = &action.sh {
                    writeln!(
                        out,
                        "<pre><code class=\"language-sh\">{}</code></pre>",
                        esc(command)
                    )?;
                }
            }
        }
        if !e.references.is_empty() {
            writeln!(out, "<ul>")?;
            for reference in &e.references {
                writeln!(out, "<li><a href=\"{0}\">{0}</a></li>", esc(reference))?;
            }
            writeln!(out, "</ul>")?;
        }
        writeln!(out, "</section>")?;
    }
    writeln!(
        out,
        "<section id=\"history\">\n<h2>Taking the secrets out of history</h2>\n<ol>"
    )?;
    for step in &plan.history {
        writeln!(out, "<li>{}</li>", esc(step))?;
    }
    writeln!(out, "</ol>\n</section>\n</body>\n</html>")
}

fn class(urgency: Urgency) -> &'static str {
    match urgency {
        Urgency::Live => "live",
        Urgency::InHead => "in-head",
        Urgency::History => "history",
    }
}

fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::esc;

    #[test]
    fn markup_in_secrets_is_escaped() {
        assert_eq!(esc("<a href='x'>&"), "&lt;a href=&#39;x&#39;&gt;&amp;");
    }
}
