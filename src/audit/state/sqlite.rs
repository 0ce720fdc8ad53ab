//! The state in a SQLite file: one machine's audits, with nothing to run beside them. The file is
//! created readable by its owner only, since the reports in it hold the secrets found. It is
//! kept in write-ahead-log mode, so a reader (`--report-only`) never waits for an audit, and each
//! commit is safe from a killed process without a flush to disk per repository.

use std::path::Path;
use std::time::Duration;

use rusqlite::{params, Connection, OpenFlags, OptionalExtension};

use super::{error, refused, Access, Entry, Store, Summary, FORMAT, LAYOUT};
use crate::error::Result;

/// How long a write waits for another process's transaction on the same file.
const BUSY_WAIT: Duration = Duration::from_secs(60);

/// A state kept in a SQLite file.
pub struct SqliteStore {
    connection: Connection,
    described: String,
}

const SCHEMA: &str = "
CREATE TABLE blobhound_state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE blobhound_repositories (
    name TEXT PRIMARY KEY,
    path TEXT NOT NULL,
    snapshot TEXT,
    settings TEXT,
    known BLOB,
    report TEXT,
    error TEXT,
    audited_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);";

impl SqliteStore {
    /// Opens (or, to audit, creates) the state file at `path`.
    pub fn open(path: &Path, access: Access) -> Result<SqliteStore> {
        let described = path.display().to_string();
        let d = described.as_str();
        match std::fs::symlink_metadata(path) {
            Ok(meta) if !meta.is_file() => {
                return Err(refused(d, "not a regular file (a state file must be one)"))
            }
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && access == Access::ReadWrite => {
                create_private(path).map_err(|e| error(d, "cannot create the state file", e))?;
            }
            Err(e) => return Err(error(d, "cannot read the state file", e)),
        }
        let flags = match access {
            Access::ReadWrite => OpenFlags::SQLITE_OPEN_READ_WRITE,
            Access::ReadOnly => OpenFlags::SQLITE_OPEN_READ_ONLY,
        } | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let connection = Connection::open_with_flags(path, flags)
            .map_err(|e| error(d, "cannot open the state file", e))?;
        connection
            .busy_timeout(BUSY_WAIT)
            .map_err(|e| error(d, "cannot open the state file", e))?;
        let mut store = SqliteStore {
            connection,
            described,
        };
        store.check(access)?;
        Ok(store)
    }

    /// Makes sure the file is a blobhound state of this layout (or an empty file, which becomes
    /// one): anything else is refused before a row is written.
    fn check(&mut self, access: Access) -> Result<()> {
        let d = self.described.as_str();
        let not_state = |e| error(d, "not a SQLite database (or a damaged one)", e);
        let tables: Vec<String> = self
            .connection
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .and_then(|mut statement| {
                statement
                    .query_map([], |row| row.get(0))?
                    .collect::<rusqlite::Result<_>>()
            })
            .map_err(not_state)?;
        if tables.is_empty() {
            if access == Access::ReadOnly {
                return Err(refused(d, "holds no audit yet"));
            }
            let _: String = self
                .connection
                .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
                .map_err(|e| error(d, "cannot set up the state file", e))?;
            let transaction = self
                .connection
                .transaction()
                .map_err(|e| error(d, "cannot set up the state file", e))?;
            transaction
                .execute_batch(SCHEMA)
                .and_then(|()| {
                    transaction.execute(
                        "INSERT INTO blobhound_state (key, value) VALUES ('format', ?1), ('layout', ?2)",
                        params![FORMAT, LAYOUT],
                    )
                })
                .and_then(|_| transaction.commit())
                .map_err(|e| error(d, "cannot set up the state file", e))?;
            return self.commit_without_flush();
        }
        if !tables.iter().any(|t| t == "blobhound_state") {
            return Err(refused(
                d,
                format!(
                    "not a blobhound audit state: it holds other tables ({}); name a new file",
                    tables.join(", ")
                ),
            ));
        }
        let value = |key: &str| -> Result<Option<String>> {
            self.connection
                .query_row(
                    "SELECT value FROM blobhound_state WHERE key = ?1",
                    [key],
                    |row| row.get(0),
                )
                .optional()
                .map_err(not_state)
        };
        if value("format")?.as_deref() != Some(FORMAT) {
            return Err(refused(d, "not a blobhound audit state"));
        }
        match value("layout")? {
            Some(layout) if layout == LAYOUT => {}
            layout => {
                return Err(refused(
                    d,
                    format!(
                        "written in state layout {}, which this blobhound (layout {LAYOUT}) \
                         does not read",
                        layout.as_deref().unwrap_or("(none)")
                    ),
                ))
            }
        }
        if access == Access::ReadWrite {
            let _: String = self
                .connection
                .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
                .map_err(|e| error(d, "cannot open the state file", e))?;
        }
        self.commit_without_flush()
    }

    /// In write-ahead-log mode, `synchronous = NORMAL` makes a commit safe from a killed process
    /// (a machine's crash may lose the last commits, never the file), without a flush to disk
    /// for every repository.
    fn commit_without_flush(&self) -> Result<()> {
        self.connection
            .execute_batch("PRAGMA synchronous = NORMAL")
            .map_err(|e| error(&self.described, "cannot open the state file", e))
    }

    fn fail(&self, message: &'static str) -> impl Fn(rusqlite::Error) -> crate::Error + '_ {
        move |e| error(&self.described, message, e)
    }
}

/// Creates an empty file only its owner can read: the reports the state keeps hold secrets.
fn create_private(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path).map(drop)
}

impl Store for SqliteStore {
    fn summaries(&mut self) -> Result<Vec<Summary>> {
        let fail = self.fail("cannot read the recorded repositories");
        let mut statement = self
            .connection
            .prepare(
                "SELECT name, path, snapshot, settings, error FROM blobhound_repositories \
                 ORDER BY name",
            )
            .map_err(&fail)?;
        let rows = statement
            .query_map([], |row| {
                Ok(Summary {
                    name: row.get(0)?,
                    path: row.get(1)?,
                    snapshot: row.get(2)?,
                    settings: row.get(3)?,
                    error: row.get(4)?,
                })
            })
            .map_err(&fail)?;
        let mut summaries = rows.collect::<rusqlite::Result<Vec<_>>>().map_err(&fail)?;
        summaries.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(summaries)
    }

    fn report(&mut self, name: &str) -> Result<Option<String>> {
        self.connection
            .query_row(
                "SELECT report FROM blobhound_repositories WHERE name = ?1",
                [name],
                |row| row.get(0),
            )
            .optional()
            .map(Option::flatten)
            .map_err(self.fail("cannot read a recorded report"))
    }

    fn known(&mut self, name: &str) -> Result<Option<Vec<u8>>> {
        self.connection
            .query_row(
                "SELECT known FROM blobhound_repositories WHERE name = ?1",
                [name],
                |row| row.get(0),
            )
            .optional()
            .map(Option::flatten)
            .map_err(self.fail("cannot read the objects recorded as read"))
    }

    fn record(&mut self, entry: &Entry<'_>) -> Result<()> {
        let d = self.described.clone();
        let fail = |e| error(&d, format!("cannot record {}", entry.name), e);
        let transaction = self.connection.transaction().map_err(fail)?;
        transaction
            .execute(
                "INSERT INTO blobhound_repositories (name, path, snapshot, settings, known, report, error, audited_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, NULL, strftime('%Y-%m-%dT%H:%M:%SZ', 'now')) \
                 ON CONFLICT (name) DO UPDATE SET path = excluded.path, snapshot = excluded.snapshot, \
                 settings = excluded.settings, known = excluded.known, report = excluded.report, \
                 error = NULL, audited_at = excluded.audited_at",
                params![
                    entry.name,
                    entry.path,
                    entry.snapshot,
                    entry.settings,
                    entry.known,
                    entry.report
                ],
            )
            .map_err(fail)?;
        transaction.commit().map_err(fail)
    }

    fn record_failure(&mut self, name: &str, path: &str, why: &str) -> Result<()> {
        let d = self.described.clone();
        self.connection
            .execute(
                "INSERT INTO blobhound_repositories (name, path, error) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (name) DO UPDATE SET path = excluded.path, error = excluded.error",
                params![name, path, why],
            )
            .map(drop)
            .map_err(|e| error(&d, format!("cannot record that {name} failed"), e))
    }

    fn forget(&mut self, names: &[String]) -> Result<()> {
        let d = self.described.clone();
        let fail = |e| error(&d, "cannot drop repositories that are gone", e);
        let transaction = self.connection.transaction().map_err(fail)?;
        for name in names {
            transaction
                .execute("DELETE FROM blobhound_repositories WHERE name = ?1", [name])
                .map_err(fail)?;
        }
        transaction.commit().map_err(fail)
    }
}
