//! The state in PostgreSQL, for several machines auditing one server's storage (or several
//! servers) together: each worker takes its shard, and every repository is one row, upserted in
//! one transaction. Its tables are prefixed `blobhound_`, so the state can share a database.
//!
//! A connection that drops mid-run fails the write in hand (the audit says that repository was
//! not recorded), and the next write connects again: what is committed stays committed.

use std::time::Duration;

use postgres::{Client, NoTls};

use super::{error, refused, Access, Entry, Store, Summary, FORMAT, LAYOUT};
use crate::error::Result;

/// How long connecting may take, unless the URL says (`connect_timeout=`).
const CONNECT_WAIT: Duration = Duration::from_secs(10);

/// A lock id for setting up the tables, so that workers starting together do not race to create
/// them (`blob` in ASCII).
const SETUP_LOCK: i64 = 0x626c_6f62;

/// A state kept in PostgreSQL.
pub struct PostgresStore {
    config: postgres::Config,
    client: Option<Client>,
    described: String,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS blobhound_state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS blobhound_repositories (
    name TEXT PRIMARY KEY,
    path TEXT NOT NULL,
    snapshot TEXT,
    settings TEXT,
    known BYTEA,
    report TEXT,
    error TEXT,
    audited_at TIMESTAMPTZ NOT NULL DEFAULT now()
);";

impl PostgresStore {
    /// Connects to the database `url` names and makes sure it holds a state of this layout.
    pub fn connect(url: &str, access: Access) -> Result<PostgresStore> {
        let mut config: postgres::Config = url
            .parse()
            .map_err(|e| error(&without_password(url), "not a PostgreSQL connection URL", e))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_WAIT);
        }
        let mut store = PostgresStore {
            described: described(&config),
            config,
            client: None,
        };
        store.set_up(access)?;
        Ok(store)
    }

    /// The database, as `postgres://user@host:port/name`, never with a password.
    pub fn described(&self) -> &str {
        &self.described
    }

    /// The connection, made again if the last one dropped.
    fn client(&mut self) -> Result<&mut Client> {
        let client = match self.client.take() {
            Some(client) if !client.is_closed() => client,
            _ => self
                .config
                .connect(NoTls)
                .map_err(|e| error(&self.described, "cannot connect", e))?,
        };
        Ok(self.client.insert(client))
    }

    fn set_up(&mut self, access: Access) -> Result<()> {
        let d = self.described.clone();
        let fail = |e| error(&d, "cannot set up the audit state", e);
        let client = self.client()?;
        if access == Access::ReadWrite {
            client
                .batch_execute(&format!("SELECT pg_advisory_lock({SETUP_LOCK})"))
                .map_err(fail)?;
            let made = client.batch_execute(SCHEMA).and_then(|()| {
                client.execute(
                    "INSERT INTO blobhound_state (key, value) VALUES ('format', $1), ('layout', $2) \
                     ON CONFLICT (key) DO NOTHING",
                    &[&FORMAT, &LAYOUT],
                )
            });
            let unlocked =
                client.batch_execute(&format!("SELECT pg_advisory_unlock({SETUP_LOCK})"));
            made.map_err(fail)?;
            unlocked.map_err(fail)?;
        }
        let rows = client
            .query(
                "SELECT key, value FROM blobhound_state WHERE key IN ('format', 'layout')",
                &[],
            )
            .map_err(|e| match e.code() {
                Some(&postgres::error::SqlState::UNDEFINED_TABLE) => {
                    refused(&d, "holds no blobhound audit state")
                }
                _ => error(&d, "cannot read the audit state", e),
            })?;
        let value = |key: &str| {
            rows.iter()
                .find(|row| row.get::<_, &str>(0) == key)
                .map(|row| row.get::<_, String>(1))
        };
        if value("format").as_deref() != Some(FORMAT) {
            return Err(refused(
                &d,
                "its blobhound_state table is not a blobhound audit state",
            ));
        }
        match value("layout") {
            Some(layout) if layout == LAYOUT => Ok(()),
            layout => Err(refused(
                &d,
                format!(
                    "written in state layout {}, which this blobhound (layout {LAYOUT}) does \
                     not read",
                    layout.as_deref().unwrap_or("(none)")
                ),
            )),
        }
    }

    /// Runs `f` on the connection; a failure that closed it leaves it to be made again.
    fn run<T>(
        &mut self,
        message: String,
        f: impl FnOnce(&mut Client) -> std::result::Result<T, postgres::Error>,
    ) -> Result<T> {
        let described = self.described.clone();
        let client = self.client()?;
        f(client).map_err(|e| error(&described, message, e))
    }
}

impl Store for PostgresStore {
    fn summaries(&mut self) -> Result<Vec<Summary>> {
        let rows = self.run("cannot read the recorded repositories".into(), |c| {
            c.query(
                "SELECT name, path, snapshot, settings, error FROM blobhound_repositories",
                &[],
            )
        })?;
        let mut summaries: Vec<Summary> = rows
            .iter()
            .map(|row| Summary {
                name: row.get(0),
                path: row.get(1),
                snapshot: row.get(2),
                settings: row.get(3),
                error: row.get(4),
            })
            .collect();
        // The database's collation is not the report's order.
        summaries.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(summaries)
    }

    fn report(&mut self, name: &str) -> Result<Option<String>> {
        let row = self.run("cannot read a recorded report".into(), |c| {
            c.query_opt(
                "SELECT report FROM blobhound_repositories WHERE name = $1",
                &[&name],
            )
        })?;
        Ok(row.and_then(|row| row.get(0)))
    }

    fn known(&mut self, name: &str) -> Result<Option<Vec<u8>>> {
        let row = self.run("cannot read the objects recorded as read".into(), |c| {
            c.query_opt(
                "SELECT known FROM blobhound_repositories WHERE name = $1",
                &[&name],
            )
        })?;
        Ok(row.and_then(|row| row.get(0)))
    }

    fn record(&mut self, entry: &Entry<'_>) -> Result<()> {
        self.run(format!("cannot record {}", entry.name), |c| {
            let mut transaction = c.transaction()?;
            transaction.execute(
                "INSERT INTO blobhound_repositories (name, path, snapshot, settings, known, report, error, audited_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, NULL, now()) \
                 ON CONFLICT (name) DO UPDATE SET path = excluded.path, snapshot = excluded.snapshot, \
                 settings = excluded.settings, known = excluded.known, report = excluded.report, \
                 error = NULL, audited_at = excluded.audited_at",
                &[
                    &entry.name,
                    &entry.path,
                    &entry.snapshot,
                    &entry.settings,
                    &entry.known,
                    &entry.report,
                ],
            )?;
            transaction.commit()
        })
    }

    fn record_failure(&mut self, name: &str, path: &str, why: &str) -> Result<()> {
        self.run(format!("cannot record that {name} failed"), |c| {
            c.execute(
                "INSERT INTO blobhound_repositories (name, path, error) VALUES ($1, $2, $3) \
                 ON CONFLICT (name) DO UPDATE SET path = excluded.path, error = excluded.error",
                &[&name, &path, &why],
            )
            .map(drop)
        })
    }

    fn forget(&mut self, names: &[String]) -> Result<()> {
        self.run("cannot drop repositories that are gone".into(), |c| {
            let mut transaction = c.transaction()?;
            for name in names {
                transaction.execute(
                    "DELETE FROM blobhound_repositories WHERE name = $1",
                    &[name],
                )?;
            }
            transaction.commit()
        })
    }
}

/// The URL a person may see: user, hosts, ports and database, never the password.
fn described(config: &postgres::Config) -> String {
    let user = config
        .get_user()
        .map(|u| format!("{u}@"))
        .unwrap_or_default();
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .zip(config.get_ports().iter().chain(std::iter::repeat(&5432)))
        .map(|(host, port)| match host {
            postgres::config::Host::Tcp(name) => format!("{name}:{port}"),
            #[cfg(unix)]
            postgres::config::Host::Unix(path) => path.display().to_string(),
        })
        .collect();
    format!(
        "postgres://{user}{}/{}",
        hosts.join(","),
        config.get_dbname().unwrap_or("")
    )
}

/// A URL that did not parse, shown without what looks like a password.
fn without_password(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{}{user}@{}", &url[..scheme + 3], &url[at + 1..])
        }
        _ => url.to_string(),
    }
}
