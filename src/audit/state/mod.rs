//! What an audit remembers between runs, per repository: the snapshot of its refs and object
//! files, the digest of the settings that decide findings, the objects read and found clean, and
//! its last report. A re-run then takes an unchanged repository's report as it is, reads only the
//! new objects of a changed one, and rescans everything when the detectors or limits change.
//!
//! Two stores keep it: a SQLite file on the auditing machine ([`sqlite`]), and PostgreSQL
//! ([`postgres`]) for several machines auditing together. Each repository is one row written in
//! one transaction, so a worker killed mid-repository leaves that repository's old row (or none)
//! and it is redone; two workers can never count a repository twice, because the merged report
//! reads one row per repository name.

pub mod postgres;
pub mod sqlite;

use std::path::Path;
use std::sync::Mutex;

use crate::error::{Error, Result};

/// What the state says about one repository, without its large columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// The repository's name (`ops/svc1`).
    pub name: String,
    /// Where it was found.
    pub path: String,
    /// Its snapshot when it was last audited (see [`super::snapshot`]); none if never.
    pub snapshot: Option<String>,
    /// The settings digest it was last audited with.
    pub settings: Option<String>,
    /// Why its last audit failed, if it did (its last good report is kept).
    pub error: Option<String>,
}

/// One repository's audit, to record.
#[derive(Debug, Clone)]
pub struct Entry<'a> {
    /// The repository's name.
    pub name: &'a str,
    /// Where it was found.
    pub path: &'a str,
    /// Its snapshot, taken before it was scanned.
    pub snapshot: &'a str,
    /// The settings digest.
    pub settings: &'a str,
    /// The objects read and found clean ([`crate::collect::known::KnownObjects::to_bytes`]).
    pub known: &'a [u8],
    /// Its report, as JSON.
    pub report: &'a str,
}

/// A place an audit's state is kept.
pub trait Store: Send {
    /// Every repository recorded, sorted by name.
    fn summaries(&mut self) -> Result<Vec<Summary>>;
    /// A repository's last report, as JSON.
    fn report(&mut self, name: &str) -> Result<Option<String>>;
    /// The objects a repository's last audit read and found clean.
    fn known(&mut self, name: &str) -> Result<Option<Vec<u8>>>;
    /// Records a repository's audit, replacing its row, in one transaction.
    fn record(&mut self, entry: &Entry<'_>) -> Result<()>;
    /// Records that a repository could not be audited, keeping its last report.
    fn record_failure(&mut self, name: &str, path: &str, error: &str) -> Result<()>;
    /// Drops the rows of repositories that are gone.
    fn forget(&mut self, names: &[String]) -> Result<()>;
}

/// The state of an audit, shared by the threads auditing repositories.
pub struct State {
    store: Mutex<Box<dyn Store>>,
    described: String,
}

/// The format stored beside the rows, so that a database written by something else, or by a
/// later blobhound with another layout, is refused rather than misread.
pub(crate) const FORMAT: &str = "blobhound audit state";
/// The layout version of the rows.
pub(crate) const LAYOUT: &str = "1";

/// How a state is opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// To audit: created if absent.
    ReadWrite,
    /// For `--report-only`: it must exist, and is not written.
    ReadOnly,
}

impl State {
    /// Opens the state `spec` names: a `postgres://` or `postgresql://` URL, or a SQLite file's
    /// path.
    pub fn open(spec: &str, access: Access) -> Result<State> {
        let (store, described): (Box<dyn Store>, String) =
            if spec.starts_with("postgres://") || spec.starts_with("postgresql://") {
                let store = postgres::PostgresStore::connect(spec, access)?;
                let described = store.described().to_string();
                (Box::new(store), described)
            } else {
                let path = Path::new(spec);
                (
                    Box::new(sqlite::SqliteStore::open(path, access)?),
                    spec.to_string(),
                )
            };
        Ok(State {
            store: Mutex::new(store),
            described,
        })
    }

    /// The state as a person names it: the path, or the URL without its password.
    pub fn described(&self) -> &str {
        &self.described
    }

    /// The SQLite file, when that is where the state is: an audit must not write inside what it
    /// audits.
    pub fn file(spec: &str) -> Option<&Path> {
        (!spec.starts_with("postgres://") && !spec.starts_with("postgresql://"))
            .then(|| Path::new(spec))
    }

    /// Runs `f` on the store, one thread at a time.
    pub fn with<T>(&self, f: impl FnOnce(&mut dyn Store) -> Result<T>) -> Result<T> {
        let mut store = self
            .store
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        f(store.as_mut())
    }
}

/// A state error naming the store.
pub(crate) fn error(
    store: &str,
    message: impl Into<String>,
    source: impl std::error::Error + Send + Sync + 'static,
) -> Error {
    Error::State {
        store: store.to_string(),
        message: message.into(),
        source: Some(Box::new(DatabaseError(Box::new(source)))),
    }
}

/// A database's error, without a source that only restates it: SQLite's "file is not a
/// database" comes with a source reading "Error code 26: file is not a database", and a message
/// printed with its sources would say it twice.
#[derive(Debug)]
struct DatabaseError(Box<dyn std::error::Error + Send + Sync>);

impl std::fmt::Display for DatabaseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for DatabaseError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        let below = self.0.source()?;
        if below.to_string().contains(&self.0.to_string()) {
            below.source()
        } else {
            Some(below)
        }
    }
}

/// A state error with no database error below it.
pub(crate) fn refused(store: &str, message: impl Into<String>) -> Error {
    Error::State {
        store: store.to_string(),
        message: message.into(),
        source: None,
    }
}
