//! The rotation plan: what to rotate first and exactly how.
//!
//! Live credentials first, then secrets still present at HEAD, then history-only ones (newest
//! exposure first). Each entry says why it sits where it does and carries its detector's steps,
//! plus commands made concrete with the finding's own fields (the database user, the access key id).
//! Rewriting history is advised once for the whole plan, after rotation, never instead of it.

mod html;
mod markdown;
pub mod quote;

use std::cmp::Reverse;

use serde::Serialize;
use serde_json::Value;

pub use html::write_html;
pub use markdown::write_markdown;

use super::refs::RefKinds;
use super::{Finding, Report};
use crate::detectors::DetectorSet;
use crate::model::CommitInfo;
use crate::model::{Outcome, Status};
use quote::{js_string, sh, sql_ident, sql_string};

/// Why an entry is as urgent as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Urgency {
    /// Verified working right now.
    Live,
    /// Still in the files at HEAD.
    InHead,
    /// Only in history.
    History,
}

impl Urgency {
    /// A short label.
    pub fn label(self) -> &'static str {
        match self {
            Urgency::Live => "LIVE",
            Urgency::InHead => "in HEAD",
            Urgency::History => "history",
        }
    }
}

/// One secret to rotate.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    /// 1 is the most urgent.
    pub priority: usize,
    /// The urgency class.
    pub urgency: Urgency,
    /// Why it sits where it does, in a sentence.
    pub why: String,
    /// Detector id.
    pub detector: String,
    /// Detector name.
    pub name: String,
    /// Detector family.
    pub family: String,
    /// The secret, masked unless asked otherwise.
    pub secret: String,
    /// The text matched around it (where a private key's type is).
    #[serde(skip)]
    pub matched: String,
    /// Fingerprint (for baselines and allow lists).
    pub fingerprint: String,
    /// Verification outcome.
    pub verification: Outcome,
    /// Whether it is still at HEAD.
    pub in_head: bool,
    /// The earliest commit that introduced it.
    pub first_commit: Option<CommitInfo>,
    /// The most recent commit that (re)introduced it.
    pub last_commit: Option<CommitInfo>,
    /// The refs that still hold it, summarised (`branch main, 9 tags, 1,380 pull-request
    /// refs`); the report lists every one.
    pub held_by: String,
    /// The access key id of an AWS key, which commands need and which is not a secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    /// How many places hold it.
    pub locations: usize,
    /// Distinct paths that held it.
    pub paths: Vec<String>,
    /// In a server-wide audit, every repository that holds it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub repositories: Vec<String>,
    /// What the secret grants.
    pub summary: String,
    /// The detector's rotation steps.
    pub steps: Vec<String>,
    /// What to do for this very credential: prose, and commands safe to paste.
    pub actions: Vec<Action>,
    /// Provider documentation.
    pub references: Vec<String>,
}

impl Entry {
    /// The secret as the plan shows it on one line (a private key by its type), with the
    /// access key id where there is one.
    pub fn secret_shown(&self) -> String {
        let secret = super::secret_for_people(&self.secret, &self.matched);
        match &self.key_id {
            Some(id) => format!("{secret} (key id {id})"),
            None => secret.into_owned(),
        }
    }
}

/// Paths an entry names at most; the report lists every one.
pub const PATHS_SHOWN: usize = 10;

/// One step for one credential: words, or a shell command to paste as it stands (every value
/// from the finding in it is quoted, see `quote`).
#[derive(Debug, Clone, Serialize)]
pub struct Action {
    /// What to do, in words; never part of a command.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// A command (one or more lines) for `sh`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sh: Option<String>,
}

impl Action {
    fn say(text: impl Into<String>) -> Self {
        Action {
            text: Some(text.into()),
            sh: None,
        }
    }

    fn run(command: impl Into<String>) -> Self {
        Action {
            text: None,
            sh: Some(command.into()),
        }
    }
}

/// The whole plan.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    /// What was scanned.
    pub target: String,
    /// Whether the scan behind the plan read everything.
    pub complete: bool,
    /// The entries, most urgent first.
    pub entries: Vec<Entry>,
    /// How to take the secrets out of history, after rotating them.
    pub history: Vec<String>,
}

/// Builds the plan for `report`; unless `show_secrets`, from the report redacted, so that no
/// secret reaches the plan through a path, a commit summary or a field either.
pub fn plan(report: &Report, detectors: &DetectorSet, show_secrets: bool) -> Plan {
    let redacted;
    let report = if show_secrets {
        report
    } else {
        redacted = report.redacted();
        &redacted
    };
    let mut entries: Vec<Entry> = report
        .findings
        .iter()
        .map(|f| entry(f, detectors))
        .collect();
    entries.sort_by_key(|e| {
        (
            e.urgency,
            Reverse(e.last_commit.as_ref().map_or(0, |c| seconds(&c.date))),
            e.detector.clone(),
            e.fingerprint.clone(),
        )
    });
    for (i, entry) in entries.iter_mut().enumerate() {
        entry.priority = i + 1;
    }
    Plan {
        target: report.target.clone(),
        complete: report.complete,
        entries,
        history: history_steps(),
    }
}

fn seconds(date: &str) -> i64 {
    gix::date::parse(date, None).map_or(0, |t| t.seconds)
}

fn entry(finding: &Finding, detectors: &DetectorSet) -> Entry {
    let urgency = if finding.verification.status == Status::Live {
        Urgency::Live
    } else if finding.in_head {
        Urgency::InHead
    } else {
        Urgency::History
    };
    let commits: Vec<&CommitInfo> = finding
        .locations
        .iter()
        .filter_map(|l| l.commit.as_ref())
        .collect();
    let first_commit = commits.first().map(|c| (*c).clone());
    let last_commit = commits
        .iter()
        .max_by_key(|c| seconds(&c.date))
        .map(|c| (*c).clone());
    let mut paths: Vec<String> = finding
        .locations
        .iter()
        .filter_map(|l| l.path.clone())
        .collect();
    // Each path once, in the order history met it (a file rewritten in many commits is one path).
    let mut seen = std::collections::HashSet::new();
    paths.retain(|p| seen.insert(p.clone()));
    let mut repositories: Vec<String> = finding
        .locations
        .iter()
        .filter_map(|l| l.repository.clone())
        .collect();
    repositories.sort();
    repositories.dedup();
    let why = why(finding, urgency, first_commit.as_ref());
    let detector = detectors.get(&finding.detector);
    let advice = detector.map(|d| d.advice.clone()).unwrap_or_default();
    Entry {
        priority: 0,
        urgency,
        why,
        detector: finding.detector.clone(),
        name: finding.name.clone(),
        family: finding.family.clone(),
        secret: finding.secret.clone(),
        matched: finding.matched.clone(),
        fingerprint: finding.fingerprint.clone(),
        verification: finding.verification.clone(),
        in_head: finding.in_head,
        first_commit,
        last_commit,
        held_by: RefKinds::of(&finding.refs).summary(),
        key_id: (access_key_id(finding) != "<access key id>")
            .then(|| access_key_id(finding).to_string()),
        locations: finding.locations.len(),
        paths,
        repositories,
        summary: advice.summary,
        steps: advice.steps,
        actions: actions(finding),
        references: advice.references,
    }
}

fn why(finding: &Finding, urgency: Urgency, first: Option<&CommitInfo>) -> String {
    let mut parts = Vec::new();
    parts.push(match urgency {
        Urgency::Live => format!(
            "verified live{}",
            finding
                .verification
                .detail
                .as_deref()
                .map(|d| format!(" ({d})"))
                .unwrap_or_default()
        ),
        Urgency::InHead => "still present in the files at HEAD".to_string(),
        Urgency::History => "removed from HEAD but still in history".to_string(),
    });
    if urgency != Urgency::Live && finding.verification.status != Status::NotChecked {
        parts.push(format!(
            "verification: {}",
            serde_json::to_value(finding.verification.status)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default()
        ));
    }
    if let Some(c) = first {
        parts.push(format!(
            "first committed in {} by {} on {}",
            c.id.short(),
            c.author,
            c.date
        ));
    } else {
        parts.push("in an object no ref reaches".to_string());
    }
    if !finding.refs.is_empty() {
        parts.push(format!("held by {}", RefKinds::of(&finding.refs).summary()));
    }
    parts.push(format!(
        "{} location{}",
        finding.locations.len(),
        if finding.locations.len() == 1 {
            ""
        } else {
            "s"
        }
    ));
    parts.join("; ")
}

fn field<'f>(finding: &'f Finding, name: &str) -> Option<&'f str> {
    finding.fields.get(name).and_then(Value::as_str)
}

/// What to do for this very credential: the exact rotation statement for a database user, the AWS
/// CLI calls for a key id, the command that makes a new Django key. Prose and commands are kept
/// apart, so that every command block can be pasted as it stands.
fn actions(finding: &Finding) -> Vec<Action> {
    let mut out = family_actions(finding);
    let kinds = RefKinds::of(&finding.refs);
    let branches = kinds.deletable_branches(finding.in_head);
    if !branches.is_empty() {
        let names: Vec<String> = branches
            .iter()
            .map(|b| sh(quote::value(Some(b), "<branch>")))
            .collect();
        out.push(Action::say(format!(
            "Only {} still {} it (it is not in HEAD). After rotating, delete {} if no longer needed, here and on every remote:",
            RefKinds { branches: branches.to_vec(), ..RefKinds::default() }.summary(),
            if branches.len() == 1 { "holds" } else { "hold" },
            if branches.len() == 1 { "the branch" } else { "the branches" },
        )));
        out.push(Action::run(format!(
            "git push origin --delete {names}\ngit branch -D {names}",
            names = names.join(" ")
        )));
    }
    out
}

fn family_actions(finding: &Finding) -> Vec<Action> {
    match finding.family.as_str() {
        "database" => database_actions(finding),
        "aws" => aws_actions(finding),
        "django" => vec![Action::run(
            "python -c 'from django.core.management.utils import get_random_secret_key; print(get_random_secret_key())'",
        )],
        _ => Vec::new(),
    }
}

/// A client command that reads SQL from a quoted here-document: the shell expands nothing in
/// it, and values in it are SQL-quoted. No value holds a line break (see `quote::value`), so
/// none can end the here-document early.
fn with_sql(client: String, sql: String) -> String {
    format!("{client} <<'SQL'\n{sql}\nSQL")
}

fn database_actions(finding: &Finding) -> Vec<Action> {
    let engine = field(finding, "scheme")
        .or_else(|| field(finding, "engine"))
        .unwrap_or("")
        .to_ascii_lowercase();
    let user = quote::value(field(finding, "username"), "<user>");
    let host = sh(quote::value(field(finding, "host"), "<host>"));
    let admin = sh("<admin>");
    let new_password = "<new password>";
    let mut out = Vec::new();
    if engine.starts_with("postgres") || engine.contains("postgresql") || engine.contains("postgis")
    {
        out.push(Action::run(with_sql(
            format!("psql -h {host} -U {admin} -d postgres"),
            format!(
                "ALTER ROLE {} WITH PASSWORD {};",
                sql_ident(user),
                sql_string(new_password)
            ),
        )));
        out.push(Action::say("Allow connections only from the application's network: pg_hba.conf, and the firewall or security group in front of port 5432."));
    } else if engine.starts_with("mysql")
        || engine.starts_with("mariadb")
        || engine.contains(".mysql")
    {
        let client = format!("mysql -h {host} -u {admin} -p");
        out.push(Action::say("Find the hosts the user may connect from:"));
        out.push(Action::run(with_sql(
            client.clone(),
            format!(
                "SELECT user, host FROM mysql.user WHERE user = {};",
                sql_string(user)
            ),
        )));
        out.push(Action::say(
            "Then, for each host listed (put it in place of <host from above>):",
        ));
        out.push(Action::run(with_sql(
            client,
            format!(
                "ALTER USER {}@{} IDENTIFIED BY {};",
                sql_string(user),
                sql_string("<host from above>"),
                sql_string(new_password)
            ),
        )));
        out.push(Action::say("Allow connections only from the application's network: bind-address, the user's host part, and the firewall or security group in front of port 3306."));
    } else if engine.starts_with("redis") {
        if user == "<user>" || user == "default" {
            out.push(Action::run(format!(
                "redis-cli -h {host} CONFIG SET requirepass {}",
                sh(new_password)
            )));
            out.push(Action::say(
                "Set requirepass in redis.conf too, so that a restart keeps the new password.",
            ));
        } else {
            out.push(Action::run(format!(
                "redis-cli -h {host} ACL SETUSER {} resetpass {}\nredis-cli -h {host} ACL SAVE",
                sh(user),
                sh(&format!(">{new_password}"))
            )));
        }
        out.push(Action::say("Keep Redis off public networks: bind to private addresses, protected-mode yes, and a firewall in front of port 6379."));
    } else if engine.starts_with("amqp") {
        out.push(Action::run(format!(
            "rabbitmqctl change_password {} {}",
            sh(user),
            sh(new_password)
        )));
        out.push(Action::say("Allow AMQP only from the application's network (firewall or security group in front of port 5672/5671)."));
    } else if engine.starts_with("mongodb") {
        let host = quote::value(field(finding, "host"), "<host>");
        out.push(Action::run(format!(
            "mongosh {} --eval {}",
            sh(&format!("mongodb://{host}")),
            sh(&format!(
                "db.getSiblingDB(\"admin\").changeUserPassword({}, passwordPrompt())",
                js_string(user)
            ))
        )));
        out.push(Action::say("Allow connections only from the application's network (IP access list or firewall in front of port 27017)."));
    }
    out
}

/// An access key id as AWS makes them (upper-case letters and digits), or a placeholder.
fn access_key_id(finding: &Finding) -> &str {
    let lone_id = (finding.secret.len() == 20).then_some(finding.secret.as_str());
    field(finding, "access_key_id")
        .or(lone_id)
        .filter(|id| {
            (16..=128).contains(&id.len())
                && id
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        })
        .unwrap_or("<access key id>")
}

fn aws_actions(finding: &Finding) -> Vec<Action> {
    let raw = access_key_id(finding);
    let id = sh(raw);
    let user = sh("<user>");
    let lookup = format!(
        "aws cloudtrail lookup-events --lookup-attributes {}",
        sh(&format!("AttributeKey=AccessKeyId,AttributeValue={raw}"))
    );
    if raw.starts_with("ASIA") {
        return vec![
            Action::say("Find the role that issued the temporary key:"),
            Action::run(lookup),
            Action::say("Revoke the role's active sessions (IAM console: Roles > the role > Revoke active sessions), which denies every session issued before now."),
        ];
    }
    vec![
        Action::run(format!("aws iam get-access-key-last-used --access-key-id {id}")),
        Action::say("Make a new key and deploy it where the old one was used:"),
        Action::run(format!("aws iam create-access-key --user-name {user}")),
        Action::say("Deactivate the old key, then look for its use in every region:"),
        Action::run(format!(
            "aws iam update-access-key --user-name {user} --access-key-id {id} --status Inactive\n{lookup}"
        )),
        Action::say("Once nothing breaks, delete it:"),
        Action::run(format!(
            "aws iam delete-access-key --user-name {user} --access-key-id {id}"
        )),
    ]
}

/// How to take the secrets out of history, for every family.
fn history_steps() -> Vec<String> {
    vec![
        "Rotate first. Rewriting history does not make a leaked secret safe: every clone, fork, CI cache and mirror made before the rewrite still holds it, and so do the hosting service's pull-request refs.".into(),
        "Write the replacement rules: blobhound advise REPORT.json --replace-text replacements.txt (mode 0600; it holds the secrets, delete it afterwards).".into(),
        "In a fresh mirror clone (git clone --mirror URL), run: git filter-repo --replace-text replacements.txt".into(),
        "Check the result: blobhound scan . (the rewritten repository should report none of these secrets).".into(),
        "Force-push every branch and tag (git push --force --mirror URL). Every commit id after the first rewritten one changes: everyone must re-clone (or reset hard to the new branches); old clones and forks keep the old history, and pushing from them brings it back.".into(),
        "Pull-request refs (refs/pull/* on GitHub, refs/merge-requests/* on GitLab) and cached commit views keep the old commits until the host removes them: ask GitHub support to purge them, or on GitLab use Settings > Repository > Remove blobs and run housekeeping.".into(),
        "Delete replacements.txt.".into(),
    ]
}

/// The `git filter-repo --replace-text` rules for every secret of `report` (literal matches,
/// replaced with `***REMOVED***`). An AWS pair's access key id goes too: it names the account and
/// user, and left alone it would be reported again as a lone key id.
pub fn replace_text_rules(report: &Report) -> String {
    let mut secrets: Vec<&str> = report
        .findings
        .iter()
        .flat_map(|f| std::iter::once(f.secret.as_str()).chain(field(f, "access_key_id")))
        .collect();
    secrets.sort_unstable();
    secrets.dedup();
    secrets
        .iter()
        .filter(|s| !s.contains('\n'))
        .map(|s| format!("literal:{s}==>***REMOVED***\n"))
        .collect()
}
