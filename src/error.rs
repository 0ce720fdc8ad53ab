//! The library's error type.
//!
//! Errors carry a kind so that the binary can map them to exit codes and a one-line message without
//! parsing strings; problems with single objects are not errors at all but `skipped` entries in the
//! report, because one unreadable blob must never abort a history audit.

use std::path::PathBuf;

/// Everything that stops a command from producing a result.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The scan target is neither a git repository nor a directory.
    #[error("{}: not a git repository or directory", path.display())]
    NotATarget {
        /// The path the user named.
        path: PathBuf,
    },
    /// The target looks like a repository but gix could not open it.
    #[error("{}: cannot open the repository{}", path.display(), hint.map(|h| format!(" ({h})")).unwrap_or_default())]
    OpenRepository {
        /// The repository path.
        path: PathBuf,
        /// What blobhound knows about the cause, when gix's message alone would not say it.
        hint: Option<&'static str>,
        /// What gix said.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A detector file could not be read, parsed or compiled.
    #[error("{origin}: {message}")]
    Detector {
        /// The file (or built-in name) the detector came from.
        origin: String,
        /// What is wrong with it.
        message: String,
    },
    /// A config file could not be read as one.
    #[error("{}: {message}", path.display())]
    Config {
        /// The file.
        path: std::path::PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// The user asked for something that cannot be done.
    #[error("{0}")]
    Usage(String),
    /// Reading or writing a file failed. The message is the context alone: the cause is the
    /// error's source, which every printer of the chain (`{:#}`) adds once.
    #[error("{context}")]
    Io {
        /// What was being done.
        context: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Reading the repository's refs or commit graph failed as a whole (single objects never do this).
    #[error("{0}")]
    Git(String),
    /// An audit's state (its SQLite file or PostgreSQL database) could not be opened, read or
    /// written. The message is the context; the database's own words are the source.
    #[error("{store}: {message}")]
    State {
        /// The state, as a person names it (a path, or a URL without its password).
        store: String,
        /// What went wrong, or what was being done.
        message: String,
        /// The database's error, when there is one.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
}

impl Error {
    /// Wraps an I/O error with what was being attempted, so the message names the file.
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }

    /// Builds a detector error naming its origin.
    pub fn detector(origin: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Detector {
            origin: origin.into(),
            message: message.into(),
        }
    }
}

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
