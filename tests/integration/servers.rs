//! Real servers for live-verification tests: PostgreSQL, MariaDB and Redis that enforce a
//! password, and a local AWS (moto) that enforces request signatures.
//!
//! Each server is private to this test process: it listens on 127.0.0.1 on a free port, keeps
//! its data under `CARGO_TARGET_TMPDIR/blobhound-servers/<pid>/` (under the system temporary
//! directory instead when running as root and the server users could not reach that one), and is
//! started at most once per process, on first use. Passwords are fresh for every process (24 characters of
//! `[A-Za-z0-9]` from a time-seeded generator; there are no literal secrets here).
//!
//! ```ignore
//! let Some(db) = servers::postgres() else { return }; // not installed: skipped (panics under CI)
//! ```
//!
//! * A server that is not installed makes its function return `None` after one line on stderr
//!   (`blobhound test: PostgreSQL is not installed (apt-get install postgresql); skipping`),
//!   except when `CI` is `true`: then it panics, because under CI a missing server is a failure.
//! * A server that is installed but does not come up panics with its log tail, in every test
//!   that asks for it (the attempt is made once).
//! * Servers are children spawned from one long-lived thread with a parent-death signal, so they
//!   stop when the test process ends, however it ends; moto also stops when its stdin closes.
//!   The first server start of a process also stops whatever a dead test process left behind
//!   (by the pid files in its directory) and removes that directory.
//! * PostgreSQL and MariaDB refuse to run as root: when the tests run as root they run as the
//!   `postgres` and `mysql` system users the Debian packages create; otherwise as the caller.
//!
//! Linux only (parent-death signal, `/proc`).

use std::ffi::OsStr;
use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::fs::{chown, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{mpsc, Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// A database server and the credentials of its test account.
#[derive(Debug)]
pub struct Database {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: String,
    pub database: String,
    /// The CA (PEM) that signed the server's TLS certificate for 127.0.0.1, when it speaks TLS.
    pub tls_ca: Option<PathBuf>,
}

/// A local AWS endpoint (moto) and an IAM user's access key that it accepts.
#[derive(Debug)]
pub struct Aws {
    /// `http://127.0.0.1:PORT`; STS, IAM and every other moto service answer there.
    pub endpoint: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    /// The 12-digit account of the user (moto's default account).
    pub account: String,
    /// `arn:aws:iam::<account>:user/blobhound-verify`: what GetCallerIdentity returns.
    pub arn: String,
}

/// The role (PostgreSQL), user (MariaDB) and database name of the test account.
const ACCOUNT: &str = "blobhound_test";
const READY_TIMEOUT: Duration = Duration::from_secs(30);

/// Real PostgreSQL: role `blobhound_test` (LOGIN, password) owning database `blobhound_test`;
/// TCP on 127.0.0.1 requires the password (scram-sha-256 in `pg_hba.conf`, no trust).
pub fn postgres() -> Option<&'static Database> {
    static SERVER: OnceLock<Started<Database>> = OnceLock::new();
    get(&SERVER, "PostgreSQL", start_postgres)
}

/// Real MariaDB: `'blobhound_test'@'127.0.0.1'` and `@'localhost'` identified by the password,
/// with all privileges on database `blobhound_test`; TCP on 127.0.0.1.
pub fn mariadb() -> Option<&'static Database> {
    static SERVER: OnceLock<Started<Database>> = OnceLock::new();
    get(&SERVER, "MariaDB", start_mariadb)
}

/// Real Redis with `requirepass` and protected mode (`user` is `default`, `database` is `0`).
pub fn redis() -> Option<&'static Database> {
    static SERVER: OnceLock<Started<Database>> = OnceLock::new();
    get(&SERVER, "Redis", start_redis)
}

/// `python3 testrepos/moto_server.py`: moto with authentication enforced, and an IAM user with
/// an access key; sts:GetCallerIdentity signed with that key returns [`Aws::arn`], signed with
/// an unknown key id it fails with `InvalidClientTokenId`.
pub fn moto_sts() -> Option<&'static Aws> {
    static SERVER: OnceLock<Started<Aws>> = OnceLock::new();
    get(&SERVER, "moto", start_moto)
}

/// Starts the named server (`postgres`, `mariadb`, `redis` or `moto`) if needed: `true` when it
/// runs, `false` (after the skip line) when it is not installed. Panics like the server's own
/// function (under CI when it is missing; always when it fails to start).
pub fn require(name: &str) -> bool {
    match name.to_ascii_lowercase().as_str() {
        "postgres" | "postgresql" => postgres().is_some(),
        "mariadb" | "mysql" => mariadb().is_some(),
        "redis" => redis().is_some(),
        "moto" | "aws" | "sts" => moto_sts().is_some(),
        other => panic!("servers::require: unknown server {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Outcome of a start, kept for the whole process.

/// A started server: what tests see, and the process(es) kept alive with it.
struct Running<T> {
    info: T,
    _process: Mutex<Proc>,
}

enum Started<T> {
    Up(Running<T>),
    /// Not installed: the message names the package.
    Missing(String),
    /// Installed but did not come up: the message holds the log tail.
    Failed(String),
}

#[derive(Debug)]
enum Fail {
    Missing(String),
    Failed(String),
}

fn failed(message: impl Into<String>) -> Fail {
    Fail::Failed(message.into())
}

fn get<T>(
    slot: &'static OnceLock<Started<T>>,
    name: &str,
    start: fn() -> Result<Running<T>, Fail>,
) -> Option<&'static T> {
    let started = slot.get_or_init(|| {
        let begun = Instant::now();
        match start() {
            Ok(running) => {
                eprintln!(
                    "blobhound test: {name} is up ({:.1} s)",
                    begun.elapsed().as_secs_f64()
                );
                Started::Up(running)
            }
            Err(Fail::Missing(message)) => Started::Missing(message),
            Err(Fail::Failed(message)) => Started::Failed(message),
        }
    });
    match started {
        Started::Up(running) => Some(&running.info),
        Started::Missing(message) if under_ci() => {
            panic!("blobhound test: {message}; under CI a missing server is a failure, not a skip")
        }
        Started::Missing(message) => {
            eprintln!("blobhound test: {message}; skipping");
            None
        }
        Started::Failed(message) => panic!("blobhound test: {message}"),
    }
}

fn under_ci() -> bool {
    matches!(
        std::env::var("CI").as_deref(),
        Ok("true" | "TRUE" | "True" | "1")
    )
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL

fn start_postgres() -> Result<Running<Database>, Fail> {
    let bin = postgres_bindir().ok_or_else(|| {
        Fail::Missing("PostgreSQL is not installed (apt-get install postgresql)".into())
    })?;
    let psql = [bin.join("psql"), PathBuf::from("psql")]
        .into_iter()
        .find(|p| p.is_file() || find_program(p).is_some())
        .ok_or_else(|| {
            Fail::Missing("psql is not installed (apt-get install postgresql-client)".into())
        })?;
    let owner = service_user("postgres")?;
    let password = password();
    retry_on_port_clash(|attempt, port| {
        let dir = server_dir(&format!("postgres-{attempt}"))?;
        let data = dir.join("data");
        make_dir(&data, 0o700, owner)?;
        let log = dir.join("postgres.log");

        let initdb = run(as_user(Command::new(bin.join("initdb")), owner, &data)
            .arg("--pgdata")
            .arg(&data)
            .args(["--username=postgres", "--auth=trust", "--encoding=UTF8"])
            .args(["--locale=C", "--no-sync"]))?;
        fs::write(dir.join("initdb.log"), output_text(&initdb)).map_err(io_fail)?;
        if !initdb.status.success() {
            return Err(failed(format!(
                "PostgreSQL initdb failed ({}):\n{}",
                initdb.status,
                tail(&output_text(&initdb))
            )));
        }
        // The superuser only over the unix socket, which lives in the 0700 data directory;
        // every TCP login needs its password.
        write_file(
            &data.join("pg_hba.conf"),
            "# blobhound tests\n\
             local all postgres trust\n\
             local all all scram-sha-256\n\
             host all all 127.0.0.1/32 scram-sha-256\n\
             host all all ::1/128 scram-sha-256\n",
            0o600,
            owner,
        )?;
        // TLS offered (not required) with a certificate for 127.0.0.1 from a CA of the test's.
        let (ca, cert, key) = make_certificates(&dir)?;
        for (from, name) in [(&cert, "server.pem"), (&key, "server.key")] {
            let text = fs::read_to_string(from).map_err(io_fail)?;
            write_file(&data.join(name), &text, 0o600, owner)?;
        }
        let socket_dir = short_socket_dir(&data, "postgres", owner)?;
        let mut server = as_user(Command::new(bin.join("postgres")), owner, &data);
        server
            .arg("-D")
            .arg(&data)
            .args(["-c", "listen_addresses=127.0.0.1"])
            .args(["-c", &format!("port={port}")])
            .arg("-c")
            .arg(format!("unix_socket_directories={}", socket_dir.display()))
            .args(["-c", "unix_socket_permissions=0700"])
            .args(["-c", "password_encryption=scram-sha-256"])
            .args(["-c", "fsync=off", "-c", "synchronous_commit=off"])
            .args(["-c", "full_page_writes=off", "-c", "logging_collector=off"])
            .args(["-c", "ssl=on", "-c", "ssl_cert_file=server.pem"])
            .args(["-c", "ssl_key_file=server.key"]);
        let mut process = spawn("PostgreSQL", server, &log, SIGINT, true)?;

        let isready = bin.join("pg_isready");
        wait_until(&mut process, &log, || {
            if isready.is_file() {
                Command::new(&isready)
                    .arg("-q")
                    .arg("-h")
                    .arg(&socket_dir)
                    .args(["-p", &port.to_string(), "-U", "postgres"])
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status()
                    .is_ok_and(|s| s.success())
            } else {
                tcp_open(port)
            }
        })?;

        let setup = run_with_input(
            clean_env(&mut Command::new(&psql))
                .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-h"])
                .arg(&socket_dir)
                .args(["-p", &port.to_string(), "-U", "postgres", "-d", "postgres"]),
            &format!(
                "CREATE ROLE {ACCOUNT} WITH LOGIN PASSWORD '{password}';\n\
                 CREATE DATABASE {ACCOUNT} OWNER {ACCOUNT};\n"
            ),
        )?;
        if !setup.status.success() {
            return Err(failed(format!(
                "PostgreSQL: creating the test role failed:\n{}\nlog {}:\n{}",
                output_text(&setup),
                log.display(),
                tail_file(&log)
            )));
        }
        let db = Database {
            host: "127.0.0.1".into(),
            port,
            user: ACCOUNT.into(),
            password: password.clone(),
            database: ACCOUNT.into(),
            tls_ca: Some(ca.clone()),
        };
        let login = psql_login(&psql, &db, Some(&db.password), "SELECT 1")?;
        if !login.status.success() {
            return Err(failed(format!(
                "PostgreSQL: the test role cannot log in over TCP:\n{}\nlog {}:\n{}",
                output_text(&login),
                log.display(),
                tail_file(&log)
            )));
        }
        Ok(Running {
            info: db,
            _process: Mutex::new(process),
        })
    })
}

/// A CA, and a server certificate for 127.0.0.1 it signed, made with openssl in `dir`: the paths
/// of the CA's certificate, the server's certificate and the server's key (all PEM).
fn make_certificates(dir: &Path) -> Result<(PathBuf, PathBuf, PathBuf), Fail> {
    let openssl = find_program(Path::new("openssl")).ok_or_else(|| {
        Fail::Missing("openssl is not installed (apt-get install openssl)".into())
    })?;
    write_file(
        &dir.join("server.ext"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=critical,CA:FALSE\n\
         keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n",
        0o600,
        None,
    )?;
    // One step per line, arguments split at spaces.
    let steps = [
        "req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem \
         -days 2 -subj /CN=blobhound-test-CA -addext basicConstraints=critical,CA:TRUE \
         -addext keyUsage=critical,keyCertSign,cRLSign",
        "req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout server.key \
         -out server.csr -subj /CN=127.0.0.1",
        "x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem \
         -days 2 -extfile server.ext",
    ];
    for step in steps {
        let output = run(clean_env(&mut Command::new(&openssl))
            .current_dir(dir)
            .args(step.split_whitespace()))?;
        if !output.status.success() {
            return Err(failed(format!(
                "openssl {step} failed:\n{}",
                output_text(&output)
            )));
        }
    }
    Ok((
        dir.join("ca.pem"),
        dir.join("server.pem"),
        dir.join("server.key"),
    ))
}

/// The newest `/usr/lib/postgresql/<version>/bin` (Debian), else the directory of `postgres`
/// on `PATH`; it must hold `initdb` and `postgres`.
fn postgres_bindir() -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            Some((version, entry.path().join("bin")))
        })
        .collect();
    versions.sort();
    let debian = versions.into_iter().rev().map(|(_, bin)| bin);
    let on_path = find_program(Path::new("postgres")).and_then(|p| Some(p.parent()?.to_owned()));
    debian
        .chain(on_path)
        .find(|bin| bin.join("postgres").is_file() && bin.join("initdb").is_file())
}

/// `psql` over TCP as the test role; `password` `None` means none at all (no prompt).
fn psql_login(
    psql: &Path,
    db: &Database,
    password: Option<&str>,
    sql: &str,
) -> Result<Output, Fail> {
    let mut cmd = Command::new(psql);
    clean_env(&mut cmd)
        .env("PGPASSFILE", "/dev/null")
        .env("PGCONNECT_TIMEOUT", "10")
        .args(["-X", "-w", "-A", "-t", "-v", "ON_ERROR_STOP=1"])
        .args(["-h", &db.host, "-p", &db.port.to_string()])
        .args(["-U", &db.user, "-d", &db.database, "-c", sql]);
    if let Some(password) = password {
        cmd.env("PGPASSWORD", password);
    }
    run(&mut cmd)
}

// ---------------------------------------------------------------------------------------------
// MariaDB

fn start_mariadb() -> Result<Running<Database>, Fail> {
    let missing =
        || Fail::Missing("MariaDB is not installed (apt-get install mariadb-server)".into());
    let server_bin = find_any(&["mariadbd", "mysqld"]).ok_or_else(missing)?;
    let install_db = find_any(&["mariadb-install-db", "mysql_install_db"]).ok_or_else(missing)?;
    let client = find_any(&["mariadb", "mysql"]).ok_or_else(|| {
        Fail::Missing("the MariaDB client is not installed (apt-get install mariadb-client)".into())
    })?;
    let owner = service_user("mysql")?;
    let password = password();
    retry_on_port_clash(|attempt, port| {
        let dir = server_dir(&format!("mariadb-{attempt}"))?;
        let data = dir.join("data");
        make_dir(&data, 0o700, owner)?;
        let log = dir.join("mariadb.log");

        let install = run(as_user(Command::new(&install_db), owner, &data)
            .arg("--no-defaults")
            .arg(format!("--datadir={}", data.display()))
            .args(["--skip-test-db", "--skip-name-resolve"])
            .arg("--auth-root-authentication-method=socket"))?;
        fs::write(dir.join("install-db.log"), output_text(&install)).map_err(io_fail)?;
        if !install.status.success() {
            return Err(failed(format!(
                "MariaDB install-db failed ({}):\n{}",
                install.status,
                tail(&output_text(&install))
            )));
        }
        // Run by the server before it accepts connections; no admin login needed.
        let init = dir.join("init.sql");
        let mut sql = format!("CREATE DATABASE IF NOT EXISTS {ACCOUNT};\n");
        for host in ["127.0.0.1", "localhost"] {
            sql += &format!(
                "CREATE USER '{ACCOUNT}'@'{host}' IDENTIFIED BY '{password}';\n\
                 GRANT ALL PRIVILEGES ON {ACCOUNT}.* TO '{ACCOUNT}'@'{host}';\n"
            );
        }
        write_file(&init, &sql, 0o600, owner)?;
        let socket_dir = short_socket_dir(&data, "mariadb", owner)?;
        let mut server = as_user(Command::new(&server_bin), owner, &data);
        server
            .arg("--no-defaults")
            .arg(format!("--datadir={}", data.display()))
            .arg(format!(
                "--socket={}",
                socket_dir.join("mariadbd.sock").display()
            ))
            .arg(format!(
                "--pid-file={}",
                data.join("mariadbd.pid").display()
            ))
            .arg(format!("--init-file={}", init.display()))
            .arg(format!("--port={port}"))
            .args([
                "--bind-address=127.0.0.1",
                "--skip-networking=0",
                "--skip-name-resolve",
            ])
            .args([
                "--innodb-buffer-pool-size=32M",
                "--innodb-flush-log-at-trx-commit=0",
            ])
            .args(["--performance-schema=OFF", "--skip-log-bin"]);
        let mut process = spawn("MariaDB", server, &log, SIGTERM, true)?;

        let db = Database {
            host: "127.0.0.1".into(),
            port,
            user: ACCOUNT.into(),
            password: password.clone(),
            database: ACCOUNT.into(),
            tls_ca: None,
        };
        // The init file runs before the server listens; still, ready means the test user
        // can log in.
        wait_until(&mut process, &log, || {
            tcp_open(port)
                && mariadb_login(&client, &db, Some(&db.password), "SELECT 1")
                    .is_ok_and(|o| o.status.success())
        })?;
        Ok(Running {
            info: db,
            _process: Mutex::new(process),
        })
    })
}

/// The `mariadb` (or `mysql`) client over TCP as the test user; `password` `None` means none.
fn mariadb_login(
    client: &Path,
    db: &Database,
    password: Option<&str>,
    sql: &str,
) -> Result<Output, Fail> {
    let mut cmd = Command::new(client);
    clean_env(&mut cmd)
        .arg("--no-defaults")
        .args([
            "--protocol=TCP",
            "--connect-timeout=10",
            "--batch",
            "--skip-column-names",
        ])
        .args(["-h", &db.host, "-P", &db.port.to_string(), "-u", &db.user])
        .args(["-e", sql, &db.database]);
    if let Some(password) = password {
        cmd.env("MYSQL_PWD", password);
    }
    run(&mut cmd)
}

// ---------------------------------------------------------------------------------------------
// Redis

fn start_redis() -> Result<Running<Database>, Fail> {
    let server_bin = find_any(&["redis-server"]).ok_or_else(|| {
        Fail::Missing("Redis is not installed (apt-get install redis-server)".into())
    })?;
    let password = password();
    retry_on_port_clash(|attempt, port| {
        let dir = server_dir(&format!("redis-{attempt}"))?;
        let log = dir.join("redis.log");
        let conf = dir.join("redis.conf");
        write_file(
            &conf,
            &format!(
                "bind 127.0.0.1\n\
                 port {port}\n\
                 protected-mode yes\n\
                 requirepass {password}\n\
                 daemonize no\n\
                 dir {dir}\n\
                 pidfile {dir}/redis.pid\n\
                 logfile \"\"\n\
                 save \"\"\n\
                 appendonly no\n",
                dir = dir.display()
            ),
            0o600,
            None,
        )?;
        let mut server = Command::new(&server_bin);
        clean_env(&mut server).arg(&conf).current_dir(&dir);
        let mut process = spawn("Redis", server, &log, SIGTERM, true)?;
        wait_until(&mut process, &log, || {
            redis_ping(port, &password).is_ok_and(|reply| reply.contains("+PONG"))
        })?;
        Ok(Running {
            info: Database {
                host: "127.0.0.1".into(),
                port,
                user: "default".into(),
                password: password.clone(),
                database: "0".into(),
                tls_ca: None,
            },
            _process: Mutex::new(process),
        })
    })
}

/// `AUTH <password>` then `PING` over raw RESP; the replies as text.
fn redis_ping(port: u16, password: &str) -> std::io::Result<String> {
    let mut stream = TcpStream::connect_timeout(&local(port), Duration::from_secs(2))?;
    stream.set_read_timeout(Some(Duration::from_secs(2)))?;
    stream.write_all(format!("AUTH {password}\r\nPING\r\n").as_bytes())?;
    let mut reader = BufReader::new(stream);
    let mut replies = String::new();
    for _ in 0..2 {
        reader.read_line(&mut replies)?;
    }
    Ok(replies)
}

// ---------------------------------------------------------------------------------------------
// moto

fn start_moto() -> Result<Running<Aws>, Fail> {
    let missing_moto = "moto is not installed (python3 -m pip install 'moto[server]' boto3)";
    let python = find_any(&["python3"]).ok_or_else(|| Fail::Missing(missing_moto.into()))?;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("testrepos/moto_server.py");
    let dir = server_dir("moto")?;
    let log = dir.join("moto.log");
    let mut cmd = Command::new(python);
    clean_env(&mut cmd)
        .arg(&script)
        .arg("--pidfile")
        .arg(dir.join("moto.pid"))
        .current_dir(&dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped());
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("AWS_") {
            cmd.env_remove(name);
        }
    }
    let mut process = spawn("moto", cmd, &log, SIGTERM, false)?;
    // The child's stdin stays open as long as this process: the server stops when it closes.
    let stdout = process.child.stdout.take().expect("piped stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = tx.send(BufReader::new(stdout).read_line(&mut line).map(|_| line));
    });
    let line = match rx.recv_timeout(READY_TIMEOUT * 2) {
        Ok(Ok(line)) if !line.trim().is_empty() => line,
        Ok(_) => {
            let status = process.child.wait().map_err(io_fail)?;
            if status.code() == Some(3) {
                return Err(Fail::Missing(missing_moto.into()));
            }
            return Err(failed(format!(
                "moto_server.py exited ({status}) before it was ready; log {}:\n{}",
                log.display(),
                tail_file(&log)
            )));
        }
        Err(_) => {
            return Err(failed(format!(
                "moto_server.py was not ready after {} s; log {}:\n{}",
                (READY_TIMEOUT * 2).as_secs(),
                log.display(),
                tail_file(&log)
            )))
        }
    };
    let json: serde_json::Value = serde_json::from_str(&line)
        .map_err(|e| failed(format!("moto_server.py printed {line:?}: {e}")))?;
    let field = |name: &str| {
        json[name]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| failed(format!("moto_server.py printed no {name:?}: {line}")))
    };
    Ok(Running {
        info: Aws {
            endpoint: field("endpoint")?,
            access_key_id: field("access_key_id")?,
            secret_access_key: field("secret_access_key")?,
            account: field("account")?,
            arn: field("arn")?,
        },
        _process: Mutex::new(process),
    })
}

// ---------------------------------------------------------------------------------------------
// Processes

const SIGINT: i32 = 2;
const SIGKILL: i32 = 9;
const SIGTERM: i32 = 15;

mod sys {
    use std::os::raw::c_int;
    extern "C" {
        pub fn geteuid() -> u32;
        pub fn kill(pid: c_int, signal: c_int) -> c_int;
        #[cfg(target_os = "linux")]
        pub fn prctl(option: c_int, ...) -> c_int;
    }
}

/// A server process; dropping it (only on a failed start: the started ones live in statics,
/// which are never dropped) kills it.
struct Proc {
    what: String,
    child: Child,
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Spawns `cmd` (stdout and stderr appended to `log` unless piped already) from the one
/// long-lived spawner thread, with `death_signal` as its parent-death signal. The signal is
/// sent when the *thread* that forked the child ends, so it must not be a test thread; the
/// spawner thread lives until the process exits.
fn spawn(
    what: &str,
    mut cmd: Command,
    log: &Path,
    death_signal: i32,
    stdout_to_log: bool,
) -> Result<Proc, Fail> {
    type Job = (Command, mpsc::Sender<std::io::Result<Child>>);
    static SPAWNER: OnceLock<mpsc::Sender<Job>> = OnceLock::new();
    let spawner = SPAWNER.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("blobhound-test-servers".into())
            .spawn(move || {
                for (mut cmd, reply) in rx {
                    let _ = reply.send(cmd.spawn());
                }
            })
            .expect("start the server spawner thread");
        tx
    });
    let out = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .map_err(io_fail)?;
    cmd.stderr(out.try_clone().map_err(io_fail)?);
    if stdout_to_log {
        cmd.stdout(out);
    }
    // SAFETY: prctl is async-signal-safe and touches no memory of the parent.
    #[cfg(target_os = "linux")]
    unsafe {
        cmd.pre_exec(move || {
            const PR_SET_PDEATHSIG: i32 = 1;
            if sys::prctl(PR_SET_PDEATHSIG, death_signal as std::os::raw::c_ulong) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let (tx, rx) = mpsc::channel();
    spawner
        .send((cmd, tx))
        .map_err(|_| failed("the server spawner thread is gone"))?;
    let child = rx
        .recv()
        .map_err(|_| failed("the server spawner thread is gone"))?
        .map_err(|e| failed(format!("cannot start {what}: {e}")))?;
    Ok(Proc {
        what: what.to_owned(),
        child,
    })
}

/// Polls `ready` every 100 ms for up to 30 s; fails with the log tail if the process exits
/// first or time runs out.
fn wait_until(process: &mut Proc, log: &Path, mut ready: impl FnMut() -> bool) -> Result<(), Fail> {
    let deadline = Instant::now() + READY_TIMEOUT;
    loop {
        if let Some(status) = process.child.try_wait().map_err(io_fail)? {
            return Err(failed(format!(
                "{} exited ({status}) before it was ready; log {}:\n{}",
                process.what,
                log.display(),
                tail_file(log)
            )));
        }
        if ready() {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(failed(format!(
                "{} was not ready after {} s; log {}:\n{}",
                process.what,
                READY_TIMEOUT.as_secs(),
                log.display(),
                tail_file(log)
            )));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Runs `start` with a free port, again (up to three times, each in a fresh directory) if the
/// port was taken between choosing it and the server binding it.
fn retry_on_port_clash<T>(
    mut start: impl FnMut(u32, u16) -> Result<Running<T>, Fail>,
) -> Result<Running<T>, Fail> {
    let mut attempt = 1;
    loop {
        let port = free_port()?;
        match start(attempt, port) {
            Err(Fail::Failed(message)) if attempt < 3 && message.contains("in use") => {
                eprintln!("blobhound test: port {port} was taken; retrying");
                attempt += 1;
            }
            result => return result,
        }
    }
}

fn free_port() -> Result<u16, Fail> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(io_fail)?;
    Ok(listener.local_addr().map_err(io_fail)?.port())
}

fn local(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

fn tcp_open(port: u16) -> bool {
    TcpStream::connect_timeout(&local(port), Duration::from_millis(500)).is_ok()
}

/// Removes every `PG*`/`MYSQL*`/`REDISCLI_*` variable, so a developer's settings cannot
/// redirect the servers or the clients.
fn clean_env(cmd: &mut Command) -> &mut Command {
    for (name, _) in std::env::vars_os() {
        let text = name.to_string_lossy();
        if text.starts_with("PG") || text.starts_with("MYSQL") || text.starts_with("REDISCLI_") {
            cmd.env_remove(&name);
        }
    }
    cmd.env("LC_ALL", "C")
}

/// `cmd` in `cwd`, run as `owner` when given (only when this process is root).
fn as_user(mut cmd: Command, owner: Option<(u32, u32)>, cwd: &Path) -> Command {
    clean_env(&mut cmd).current_dir(cwd);
    if let Some((uid, gid)) = owner {
        cmd.uid(uid).gid(gid);
    }
    cmd
}

fn run(cmd: &mut Command) -> Result<Output, Fail> {
    cmd.stdin(Stdio::null())
        .output()
        .map_err(|e| failed(format!("cannot run {:?}: {e}", cmd.get_program())))
}

fn run_with_input(cmd: &mut Command, input: &str) -> Result<Output, Fail> {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| failed(format!("cannot run {:?}: {e}", cmd.get_program())))?;
    let mut stdin = child.stdin.take().expect("piped stdin");
    stdin.write_all(input.as_bytes()).map_err(io_fail)?;
    drop(stdin);
    child.wait_with_output().map_err(io_fail)
}

fn output_text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}

fn tail_file(path: &Path) -> String {
    match fs::read(path) {
        Ok(bytes) => tail(&String::from_utf8_lossy(&bytes)),
        Err(e) => format!("(cannot read: {e})"),
    }
}

fn io_fail(e: std::io::Error) -> Fail {
    failed(format!("I/O error: {e}"))
}

fn find_program(name: &Path) -> Option<PathBuf> {
    if name.components().count() > 1 {
        return name.is_file().then(|| name.to_owned());
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/local/sbin", "/usr/sbin", "/sbin"].map(PathBuf::from))
        .map(|dir| dir.join(name))
        .find(|candidate| {
            fs::metadata(candidate)
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

fn find_any(names: &[&str]) -> Option<PathBuf> {
    names.iter().find_map(|name| find_program(Path::new(name)))
}

// ---------------------------------------------------------------------------------------------
// Users, directories, leftovers

fn is_root() -> bool {
    // SAFETY: geteuid cannot fail and has no side effects.
    unsafe { sys::geteuid() == 0 }
}

/// As root: the uid and gid of system user `name` (servers that refuse root run as it);
/// otherwise `None` (they run as the caller).
fn service_user(name: &str) -> Result<Option<(u32, u32)>, Fail> {
    if !is_root() {
        return Ok(None);
    }
    let passwd = fs::read_to_string("/etc/passwd").map_err(io_fail)?;
    passwd
        .lines()
        .map(|line| line.split(':').collect::<Vec<_>>())
        .find(|fields| fields.len() > 3 && fields[0] == name)
        .and_then(|fields| Some((fields[2].parse().ok()?, fields[3].parse().ok()?)))
        .map(Some)
        .ok_or_else(|| {
            failed(format!(
                "running as root, but there is no `{name}` system user to run the server as \
                 (the distribution package creates it)"
            ))
        })
}

fn make_dir(dir: &Path, mode: u32, owner: Option<(u32, u32)>) -> Result<(), Fail> {
    fs::create_dir_all(dir).map_err(io_fail)?;
    fs::set_permissions(dir, fs::Permissions::from_mode(mode)).map_err(io_fail)?;
    if let Some((uid, gid)) = owner {
        chown(dir, Some(uid), Some(gid)).map_err(io_fail)?;
    }
    Ok(())
}

fn write_file(path: &Path, text: &str, mode: u32, owner: Option<(u32, u32)>) -> Result<(), Fail> {
    fs::write(path, text).map_err(io_fail)?;
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).map_err(io_fail)?;
    if let Some((uid, gid)) = owner {
        chown(path, Some(uid), Some(gid)).map_err(io_fail)?;
    }
    Ok(())
}

/// `preferred` if a unix socket path in it fits the 107-byte limit, else a private directory
/// under the system temporary directory.
fn short_socket_dir(
    preferred: &Path,
    name: &str,
    owner: Option<(u32, u32)>,
) -> Result<PathBuf, Fail> {
    if preferred.as_os_str().len() + 24 < 100 {
        return Ok(preferred.to_owned());
    }
    let dir = std::env::temp_dir().join(format!("blobhound-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    make_dir(&dir, 0o700, owner)?;
    Ok(dir)
}

/// A fresh directory for one server under this process's directory.
fn server_dir(name: &str) -> Result<PathBuf, Fail> {
    let dir = process_dir().join(name);
    let _ = fs::remove_dir_all(&dir);
    make_dir(&dir, 0o755, None)?;
    Ok(dir)
}

/// `<root>/<pid>`, created on first use after cleaning up after dead test processes.
fn process_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let root = servers_root();
        fs::create_dir_all(&root).expect("create the test servers directory");
        sweep(&root);
        let dir = root.join(std::process::id().to_string());
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("create the test servers directory");
        let _ = fs::set_permissions(&dir, fs::Permissions::from_mode(0o755));
        let me = std::process::id();
        fs::write(
            dir.join("owner"),
            format!("{me} {}\n", start_time(me).unwrap_or_default()),
        )
        .expect("write the owner file");
        dir
    })
}

/// `CARGO_TARGET_TMPDIR/blobhound-servers`, unless this runs as root and a server user could
/// not reach it (a directory on the way that others cannot enter, e.g. a clone under /root):
/// then `blobhound-test-servers` in the system temporary directory.
fn servers_root() -> PathBuf {
    let preferred = Path::new(env!("CARGO_TARGET_TMPDIR")).join("blobhound-servers");
    let reachable = !is_root()
        || Path::new(env!("CARGO_TARGET_TMPDIR"))
            .ancestors()
            .all(|dir| fs::metadata(dir).is_ok_and(|m| m.permissions().mode() & 0o001 != 0));
    if reachable {
        preferred
    } else {
        std::env::temp_dir().join("blobhound-test-servers")
    }
}

/// Field 22 of `/proc/<pid>/stat`: tells a live test process from a reused pid.
fn start_time(pid: u32) -> Option<u64> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit_once(')')?
        .1
        .split_whitespace()
        .nth(19)?
        .parse()
        .ok()
}

/// Stops the servers of test processes that are gone (by the pid files in their directories;
/// normally the parent-death signal has already done it) and removes their directories.
fn sweep(root: &Path) {
    let me = std::process::id();
    for entry in fs::read_dir(root).into_iter().flatten().flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        if pid == me {
            continue;
        }
        let dir = entry.path();
        let alive = match fs::read_to_string(dir.join("owner")) {
            Ok(owner) => {
                let recorded = owner.split_whitespace().nth(1).and_then(|t| t.parse().ok());
                recorded.is_some() && start_time(pid) == recorded
            }
            // Being created right now, or broken: leave it for a minute.
            Err(_) => entry
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|t| t.elapsed().unwrap_or_default() < Duration::from_secs(60)),
        };
        if alive {
            continue;
        }
        let mut pids = Vec::new();
        for server in fs::read_dir(&dir).into_iter().flatten().flatten() {
            for (file, program) in [
                ("data/postmaster.pid", "postgres"),
                ("data/mariadbd.pid", "mariadbd"),
                ("data/mariadbd.pid", "mysqld"),
                ("redis.pid", "redis-server"),
                ("moto.pid", "moto_server"),
            ] {
                let Ok(text) = fs::read_to_string(server.path().join(file)) else {
                    continue;
                };
                let Some(pid) = text
                    .lines()
                    .next()
                    .and_then(|l| l.trim().parse::<i32>().ok())
                else {
                    continue;
                };
                let cmdline = fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
                if String::from_utf8_lossy(&cmdline).contains(program) {
                    // SAFETY: plain kill(2).
                    unsafe { sys::kill(pid, SIGTERM) };
                    pids.push(pid);
                }
            }
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while pids.iter().any(|&pid| running(pid)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(100));
        }
        for pid in pids {
            // SAFETY: plain kill(2); harmless if it is gone.
            unsafe { sys::kill(pid, SIGKILL) };
        }
        let _ = fs::remove_dir_all(&dir);
    }
}

/// The process exists and is not a zombie.
fn running(pid: i32) -> bool {
    fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| Some(stat.rsplit_once(')')?.1.trim_start().starts_with('Z')))
        .is_some_and(|zombie| !zombie)
}

// ---------------------------------------------------------------------------------------------
// Passwords

/// 24 characters of `[A-Za-z0-9]`, three of them digits, from a splitmix64 generator seeded with
/// the time, the pid and a counter.
fn password() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    static STATE: Mutex<u64> = Mutex::new(0);
    let mut state = STATE.lock().unwrap_or_else(|e| e.into_inner());
    if *state == 0 {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or_default();
        *state = (nanos ^ (u64::from(std::process::id()) << 32)) | 1;
    }
    // Three digits in fixed places: a password must look like one to every detector, whatever
    // the draw (24 random letters are sometimes read as an identifier).
    (0..24)
        .map(|i| {
            if [5, 11, 17].contains(&i) {
                return char::from(b'0' + (next_random(&mut state) % 10) as u8);
            }
            ALPHABET[(next_random(&mut state) % ALPHABET.len() as u64) as usize] as char
        })
        .collect()
}

/// SplitMix64: one step of the password generator.
fn next_random(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

// ---------------------------------------------------------------------------------------------
// Self-tests: each server takes its own password and nothing else.

fn wrong_password(right: &str) -> String {
    let mut wrong = password();
    if wrong == right {
        wrong.push('x');
    }
    wrong
}

fn text(output: &Output) -> String {
    output_text(output).trim().to_owned()
}

fn client(name: &str) -> PathBuf {
    find_program(Path::new(name)).unwrap_or_else(|| panic!("{name} is not installed"))
}

#[test]
fn passwords_are_fresh_and_alphanumeric() {
    let (a, b) = (password(), password());
    assert_ne!(a, b);
    for p in [a, b] {
        assert!(
            p.len() >= 20 && p.bytes().all(|c| c.is_ascii_alphanumeric()),
            "{p}"
        );
    }
}

#[test]
fn postgres_accepts_the_test_role_only_with_its_password() {
    let Some(db) = postgres() else { return };
    let psql = postgres_bindir()
        .map(|bin| bin.join("psql"))
        .filter(|p| p.is_file())
        .unwrap_or_else(|| client("psql"));
    let sql = "SELECT current_user || ' ' || current_database()";
    let ok = psql_login(&psql, db, Some(&db.password), sql).expect("run the client");
    assert!(ok.status.success(), "{}", text(&ok));
    assert_eq!(text(&ok), format!("{} {}", db.user, db.database));

    let wrong =
        psql_login(&psql, db, Some(&wrong_password(&db.password)), sql).expect("run the client");
    assert!(!wrong.status.success());
    assert!(
        text(&wrong).contains("password authentication failed"),
        "{}",
        text(&wrong)
    );

    let none = psql_login(&psql, db, None, sql).expect("run the client");
    assert!(
        !none.status.success(),
        "logged in without a password: not `trust`"
    );
    assert!(
        text(&none).contains("no password supplied"),
        "{}",
        text(&none)
    );
}

#[test]
fn mariadb_accepts_the_test_user_only_with_its_password() {
    let Some(db) = mariadb() else { return };
    let client = find_any(&["mariadb", "mysql"]).expect("the MariaDB client");
    let sql = "SELECT CONCAT(CURRENT_USER(), ' ', DATABASE())";
    let ok = mariadb_login(&client, db, Some(&db.password), sql).expect("run the client");
    assert!(ok.status.success(), "{}", text(&ok));
    assert_eq!(
        text(&ok),
        format!("{}@{} {}", db.user, db.host, db.database)
    );

    for password in [Some(wrong_password(&db.password)), None] {
        let denied = mariadb_login(&client, db, password.as_deref(), sql).expect("run the client");
        assert!(!denied.status.success(), "logged in with {password:?}");
        assert!(text(&denied).contains("Access denied"), "{}", text(&denied));
    }
}

#[test]
fn redis_requires_its_password() {
    let Some(db) = redis() else { return };
    assert_eq!((db.user.as_str(), db.database.as_str()), ("default", "0"));
    let cli = |password: Option<&str>| {
        let mut cmd = Command::new(client("redis-cli"));
        clean_env(&mut cmd)
            .args([
                "-h",
                &db.host,
                "-p",
                &db.port.to_string(),
                "-n",
                &db.database,
            ])
            .args(["--user", &db.user, "PING"]);
        if let Some(password) = password {
            cmd.env("REDISCLI_AUTH", password);
        }
        text(&run(&mut cmd).expect("run redis-cli"))
    };
    assert_eq!(cli(Some(&db.password)), "PONG");
    let wrong = cli(Some(&wrong_password(&db.password)));
    assert!(wrong.contains("WRONGPASS"), "{wrong}");
    let none = cli(None);
    assert!(none.contains("NOAUTH"), "{none}");
}

#[test]
fn moto_sts_knows_the_created_key_only() {
    let Some(aws) = moto_sts() else { return };
    assert!(
        aws.endpoint.starts_with("http://127.0.0.1:"),
        "{}",
        aws.endpoint
    );
    assert_eq!(
        aws.arn,
        format!("arn:aws:iam::{}:user/blobhound-verify", aws.account)
    );
    let script = r#"
import sys, boto3, botocore.exceptions
endpoint, key, secret = sys.argv[1:4]
sts = boto3.client("sts", endpoint_url=endpoint, region_name="us-east-1",
                   aws_access_key_id=key, aws_secret_access_key=secret)
try:
    print(sts.get_caller_identity()["Arn"])
except botocore.exceptions.ClientError as e:
    print(e.response["Error"]["Code"])
"#;
    let identity = |key: &str, secret: &str| {
        let mut cmd = Command::new("python3");
        cmd.args(["-c", script, &aws.endpoint, key, secret]);
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("AWS_") {
                cmd.env_remove(name);
            }
        }
        let output = cmd
            .env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
            .output()
            .expect("python3");
        assert!(output.status.success(), "{}", text(&output));
        text(&output)
    };
    assert_eq!(
        identity(&aws.access_key_id, &aws.secret_access_key),
        aws.arn
    );
    let unknown_id = format!("AKIA{}", password()[..16].to_ascii_uppercase());
    assert_eq!(
        identity(&unknown_id, &aws.secret_access_key),
        "InvalidClientTokenId"
    );
    assert_eq!(
        identity(&aws.access_key_id, &wrong_password(&aws.secret_access_key)),
        "SignatureDoesNotMatch"
    );
}

#[test]
fn require_answers_for_every_server() {
    let named = ["postgres", "mariadb", "redis", "moto"].map(require);
    let direct = [
        postgres().is_some(),
        mariadb().is_some(),
        redis().is_some(),
        moto_sts().is_some(),
    ];
    assert_eq!(named, direct);
    for db in [postgres(), mariadb(), redis()].into_iter().flatten() {
        assert!(
            TcpListener::bind(local(db.port)).is_err(),
            "port {} is free",
            db.port
        );
    }
    let me = std::process::id().to_string();
    assert!(process_dir().ends_with(OsStr::new(&me)));
}
