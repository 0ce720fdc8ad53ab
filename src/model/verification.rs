//! What live verification concluded, as findings carry it: reports print it and verification
//! writes it, so it lives below both.

use serde::{Deserialize, Serialize};

/// What verification concluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// The service accepted the credential.
    Live,
    /// The service rejected it.
    Invalid,
    /// No answer either way (unreachable, refused by the guard, not checkable).
    Unknown,
    /// The check itself failed.
    Error,
    /// Verification was not asked for.
    NotChecked,
}

impl Status {
    /// The status as reports spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Live => "live",
            Status::Invalid => "invalid",
            Status::Unknown => "unknown",
            Status::Error => "error",
            Status::NotChecked => "not-checked",
        }
    }
}

/// A verification result as reports carry it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    /// The conclusion.
    pub status: Status,
    /// Why, in a sentence (account and ARN for a live AWS key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl Outcome {
    /// A conclusion with its reason.
    pub fn with(status: Status, detail: String) -> Self {
        Outcome {
            status,
            detail: Some(detail),
        }
    }
    /// The credential works.
    pub fn live(detail: String) -> Self {
        Self::with(Status::Live, detail)
    }
    /// The credential was rejected.
    pub fn invalid(detail: String) -> Self {
        Self::with(Status::Invalid, detail)
    }
    /// No conclusion.
    pub fn unknown(detail: String) -> Self {
        Self::with(Status::Unknown, detail)
    }
    /// The check failed.
    pub fn error(detail: String) -> Self {
        Self::with(Status::Error, detail)
    }
    /// Not checked (no `--verify`).
    pub fn not_checked() -> Self {
        Outcome {
            status: Status::NotChecked,
            detail: None,
        }
    }
}
