//! The rotation plan: what to rotate first and exactly how.
//!
//! Live credentials first, then secrets still present at HEAD, then history-only ones (newest
//! exposure first). Each entry says why it sits where it does and carries its detector's steps,
//! plus commands made concrete with the finding's own fields (the database user, the access key id).
//! Rewriting history is advised once for the whole plan, after rotation, never instead of it.

mod html;
mod markdown;

use std::cmp::Reverse;

use serde::Serialize;
use serde_json::Value;

pub use html::write_html;
pub use markdown::write_markdown;

use super::{redact, Finding, Report};
use crate::detectors::DetectorSet;
use crate::model::CommitInfo;
use crate::model::{Outcome, Status};

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
    /// The secret, redacted unless asked otherwise.
    pub secret: String,
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
    /// Branches and tags that still hold it.
    pub refs: Vec<String>,
    /// How many places hold it.
    pub locations: usize,
    /// Distinct paths that held it.
    pub paths: Vec<String>,
    /// What the secret grants.
    pub summary: String,
    /// The detector's rotation steps.
    pub steps: Vec<String>,
    /// Commands for this very credential.
    pub commands: Vec<String>,
    /// Provider documentation.
    pub references: Vec<String>,
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

/// Builds the plan for `report`.
pub fn plan(report: &Report, detectors: &DetectorSet, show_secrets: bool) -> Plan {
    let mut entries: Vec<Entry> = report
        .findings
        .iter()
        .map(|f| entry(f, detectors, show_secrets))
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

fn entry(finding: &Finding, detectors: &DetectorSet, show_secrets: bool) -> Entry {
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
    paths.dedup();
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
        secret: if show_secrets {
            finding.secret.clone()
        } else {
            redact(&finding.secret)
        },
        fingerprint: finding.fingerprint.clone(),
        verification: finding.verification.clone(),
        in_head: finding.in_head,
        first_commit,
        last_commit,
        refs: finding.refs.clone(),
        locations: finding.locations.len(),
        paths,
        summary: advice.summary,
        steps: advice.steps,
        commands: commands(finding),
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
        parts.push(format!("held by {}", finding.refs.join(", ")));
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

/// Commands for this credential: the exact rotation statement for a database user, the AWS CLI
/// calls for a key id, the command that makes a new Django key.
fn commands(finding: &Finding) -> Vec<String> {
    match finding.family.as_str() {
        "database" => database_commands(finding),
        "aws" => aws_commands(finding),
        "django" => vec![
            "python -c 'from django.core.management.utils import get_random_secret_key; print(get_random_secret_key())'".into(),
        ],
        _ => Vec::new(),
    }
}

fn database_commands(finding: &Finding) -> Vec<String> {
    let engine = field(finding, "scheme")
        .or_else(|| field(finding, "engine"))
        .unwrap_or("")
        .to_ascii_lowercase();
    let user = field(finding, "username").unwrap_or("<user>");
    let host = field(finding, "host").unwrap_or("<host>");
    let mut out = Vec::new();
    if engine.starts_with("postgres") || engine.contains("postgresql") || engine.contains("postgis")
    {
        out.push(format!(
            "psql -h {host} -U <admin> -c \"ALTER ROLE \\\"{user}\\\" WITH PASSWORD '<new password>';\""
        ));
        out.push("Allow connections only from the application's network: pg_hba.conf, and the firewall or security group in front of port 5432.".into());
    } else if engine.starts_with("mysql")
        || engine.starts_with("mariadb")
        || engine.contains(".mysql")
    {
        out.push(format!("mysql -h {host} -u <admin> -p -e \"SELECT user, host FROM mysql.user WHERE user = '{user}';\""));
        out.push(format!("mysql -h {host} -u <admin> -p -e \"ALTER USER '{user}'@'<host from above>' IDENTIFIED BY '<new password>';\""));
        out.push("Allow connections only from the application's network: bind-address, the user's host part, and the firewall or security group in front of port 3306.".into());
    } else if engine.starts_with("redis") {
        if user == "<user>" || user == "default" {
            out.push(format!("redis-cli -h {host} CONFIG SET requirepass '<new password>'   (then set requirepass in redis.conf too)"));
        } else {
            out.push(format!(
                "redis-cli -h {host} ACL SETUSER {user} resetpass '><new password>'"
            ));
            out.push(format!("redis-cli -h {host} ACL SAVE"));
        }
        out.push("Keep Redis off public networks: bind to private addresses, protected-mode yes, and a firewall in front of port 6379.".into());
    } else if engine.starts_with("amqp") {
        out.push(format!(
            "rabbitmqctl change_password {user} '<new password>'"
        ));
        out.push("Allow AMQP only from the application's network (firewall or security group in front of port 5672/5671).".into());
    } else if engine.starts_with("mongodb") {
        out.push(format!(
            "mongosh \"mongodb://{host}\" --eval 'db.getSiblingDB(\"admin\").changeUserPassword(\"{user}\", passwordPrompt())'"
        ));
        out.push("Allow connections only from the application's network (IP access list or firewall in front of port 27017).".into());
    }
    out
}

fn aws_commands(finding: &Finding) -> Vec<String> {
    let lone_id = (finding.secret.len() == 20).then_some(finding.secret.as_str());
    let id = field(finding, "access_key_id")
        .or(lone_id)
        .unwrap_or("<access key id>");
    let mut out = vec![
        format!("aws iam get-access-key-last-used --access-key-id {id}"),
        "aws iam create-access-key --user-name <user>   (deploy the new key where the old one was used)".to_string(),
        format!("aws iam update-access-key --user-name <user> --access-key-id {id} --status Inactive"),
        format!("aws cloudtrail lookup-events --lookup-attributes AttributeKey=AccessKeyId,AttributeValue={id}   (in every region)"),
        format!("aws iam delete-access-key --user-name <user> --access-key-id {id}"),
    ];
    if id.starts_with("ASIA") {
        out = vec![
            format!("aws cloudtrail lookup-events --lookup-attributes AttributeKey=AccessKeyId,AttributeValue={id}   (find the role that issued it)"),
            "Revoke the role's active sessions (IAM console: Roles > the role > Revoke active sessions), which denies every session issued before now.".to_string(),
        ];
    }
    out
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
