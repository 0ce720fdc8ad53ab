//! What a pusher sees when the pre-receive hook rejects a push (git shows it as `remote:` lines):
//! each finding with its commit, file and line, how to take it out of the commits, that it must be
//! rotated, and how to bypass a false positive.

use std::io::Write;

use super::Report;

/// Writes the rejection for `report`'s findings. The pusher may not be the one who should see a
/// secret (a server's hook output can be logged), so the report is redacted here, whatever the
/// caller passed: secrets are masked in summaries and paths too.
pub fn write_rejection(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    let report = &report.redacted();
    let count = report.findings.len();
    writeln!(
        out,
        "blobhound: push rejected: {count} secret{} in the pushed commits",
        if count == 1 { "" } else { "s" }
    )?;
    writeln!(out)?;
    for finding in &report.findings {
        writeln!(
            out,
            "  {} [{}] {}",
            finding.name,
            finding.confidence.as_str(),
            finding.detector
        )?;
        writeln!(out, "    secret  {}", finding.secret)?;
        for location in &finding.locations {
            let commit = location
                .commit
                .as_ref()
                .map(|c| format!("{} \"{}\" ({})", c.id.short(), c.summary, c.author))
                .unwrap_or_else(|| "(no commit)".into());
            writeln!(out, "    commit  {commit}")?;
            writeln!(out, "    file    {}", location.describe())?;
        }
        writeln!(out, "    id      {}", finding.fingerprint)?;
        writeln!(out)?;
    }
    writeln!(
        out,
        "To push, take the secret out of every commit that adds it (removing it in"
    )?;
    writeln!(
        out,
        "a later commit is not enough; every commit is checked):"
    )?;
    writeln!(
        out,
        "  - in the last commit: fix the file, `git add` it, `git commit --amend`"
    )?;
    writeln!(
        out,
        "  - in an older commit: `git rebase -i <that commit>~1`, mark it `edit`,"
    )?;
    writeln!(
        out,
        "    fix the file, `git commit --amend`, `git rebase --continue`"
    )?;
    writeln!(
        out,
        "Load the value from the environment or a secret store instead, and rotate"
    )?;
    writeln!(
        out,
        "the secret if it was ever pushed or shared anywhere else."
    )?;
    writeln!(out, "A false positive? Push again with, for each id above:")?;
    writeln!(out, "  git push -o blobhound.allow=<id>")?;
    writeln!(
        out,
        "(the server must set receive.advertisePushOptions=true), or ask the"
    )?;
    writeln!(
        out,
        "server's administrators to add the id to the hook's allow file."
    )
}

/// Writes the refusal for a scan that could not finish (fail closed).
pub fn write_incomplete(reason: &str, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(
        out,
        "blobhound: push rejected: the secret scan did not finish: {reason}"
    )?;
    writeln!(
        out,
        "Nothing was found, but an unfinished scan proves nothing, so the push is"
    )?;
    writeln!(
        out,
        "refused. Try again; if it keeps failing, tell the server's administrators"
    )?;
    writeln!(
        out,
        "(they can run the hook with --fail-open or a longer --timeout)."
    )
}
