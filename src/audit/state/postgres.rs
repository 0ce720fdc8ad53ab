//! The state in PostgreSQL, for several machines auditing one server's storage (or several
//! servers) together: each worker takes its shard, and every repository is one row, upserted in
//! one transaction. Its tables are prefixed `blobhound_`, so the state can share a database.
//!
//! A connection that drops mid-run fails the write in hand (the audit says that repository was
//! not recorded), and the next write connects again: what is committed stays committed.
//!
//! The rows hold the secrets found, so the connection is encrypted whenever the server offers
//! TLS, with `sslmode` read as libpq reads it: `prefer` (the default) and `require` encrypt
//! without checking the server's certificate; `verify-ca` and `verify-full` check it against
//! the public roots and the PEM file `sslrootcert=` names, for the host name too (both are
//! `verify-full` here), as does any mode with `sslrootcert=`; `disable` is plain text.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use postgres::Client;
use tokio_postgres_rustls::MakeRustlsConnect;

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
    tls: MakeRustlsConnect,
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
        let shown = without_password(url);
        let (url, verify, root_cert) = tls_parameters(url);
        let mut config: postgres::Config = url
            .parse()
            .map_err(|e| error(&shown, "not a PostgreSQL connection URL", e))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_WAIT);
        }
        let described = described(&config);
        // A root certificate named is there to be checked against (as libpq does).
        let verify = verify || root_cert.is_some();
        let tls = tls(verify, root_cert.as_deref().map(Path::new), &described)?;
        let mut store = PostgresStore {
            described,
            config,
            tls,
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
                .connect(self.tls.clone())
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

/// `url` with the TLS parameters the client library does not read taken out: whether the
/// certificate is to be verified (`sslmode=verify-ca` or `verify-full`, passed on as `require`),
/// and the `sslrootcert=` file.
fn tls_parameters(url: &str) -> (String, bool, Option<String>) {
    let Some((base, query)) = url.split_once('?') else {
        return (url.to_string(), false, None);
    };
    let mut verify = false;
    let mut root_cert = None;
    let mut kept = Vec::new();
    for pair in query.split('&') {
        match pair.split_once('=') {
            Some(("sslrootcert", value)) => root_cert = Some(crate::model::percent::decoded(value)),
            Some(("sslmode", "verify-ca" | "verify-full")) => {
                verify = true;
                kept.push("sslmode=require");
            }
            _ => kept.push(pair),
        }
    }
    let url = if kept.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    (url, verify, root_cert)
}

/// The TLS client: with `verify`, checking the server's certificate against the public roots
/// and those of `root_cert` (PEM); without, encrypting only, as libpq's `prefer` and `require`.
fn tls(verify: bool, root_cert: Option<&Path>, described: &str) -> Result<MakeRustlsConnect> {
    use rustls::pki_types::{pem::PemObject, CertificateDer};
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| error(described, "cannot set up TLS", e))?;
    if !verify {
        let config = builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(EncryptOnly(provider)))
            .with_no_client_auth();
        return Ok(MakeRustlsConnect::new(config));
    }
    let mut roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    if let Some(path) = root_cert {
        let unreadable = |e: rustls::pki_types::pem::Error| {
            error(
                described,
                format!("cannot read the root certificate {}", path.display()),
                e,
            )
        };
        let mut added = 0;
        for cert in CertificateDer::pem_file_iter(path).map_err(unreadable)? {
            roots.add(cert.map_err(unreadable)?).map_err(|e| {
                error(
                    described,
                    format!("a root certificate in {} is not usable", path.display()),
                    e,
                )
            })?;
            added += 1;
        }
        if added == 0 {
            return Err(refused(
                described,
                format!("{} holds no PEM certificate", path.display()),
            ));
        }
    }
    let config = builder.with_root_certificates(roots).with_no_client_auth();
    Ok(MakeRustlsConnect::new(config))
}

/// Accepts any server certificate, as libpq does under `sslmode=prefer` and `require`: the
/// connection is encrypted against a listener, not against a server in the middle. The
/// handshake's signatures are still checked.
#[derive(Debug)]
struct EncryptOnly(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for EncryptOnly {
    fn verify_server_cert(
        &self,
        _end_entity: &rustls::pki_types::CertificateDer<'_>,
        _intermediates: &[rustls::pki_types::CertificateDer<'_>],
        _server_name: &rustls::pki_types::ServerName<'_>,
        _ocsp_response: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> std::result::Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> std::result::Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> std::result::Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_parameters_the_client_does_not_read_are_taken_out() {
        assert_eq!(
            tls_parameters("postgres://u@h/db"),
            ("postgres://u@h/db".to_string(), false, None)
        );
        assert_eq!(
            tls_parameters("postgres://u@h/db?sslmode=verify-full&sslrootcert=%2Fetc%2Fca%20x.pem"),
            (
                "postgres://u@h/db?sslmode=require".to_string(),
                true,
                Some("/etc/ca x.pem".to_string())
            )
        );
        assert_eq!(
            tls_parameters("postgres://u@h/db?sslrootcert=ca.pem&options=-csearch_path%3Ds"),
            (
                "postgres://u@h/db?options=-csearch_path%3Ds".to_string(),
                false,
                Some("ca.pem".to_string())
            )
        );
    }

    #[test]
    fn a_root_certificate_file_without_certificates_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").unwrap();
        let err = tls(true, Some(&empty), "postgres://u@h/db").err().unwrap();
        assert!(
            err.to_string().contains("holds no PEM certificate"),
            "{err}"
        );
        let missing = dir.path().join("missing.pem");
        let err = tls(true, Some(&missing), "postgres://u@h/db")
            .err()
            .unwrap();
        assert!(
            err.to_string().contains("cannot read the root certificate"),
            "{err}"
        );
    }
}
