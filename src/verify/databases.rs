//! Database credentials: really log in (PostgreSQL, MySQL/MariaDB, Redis) with a connect timeout,
//! run nothing beyond what the login needs, and close. A wrong password is `invalid`; a server that
//! cannot be reached says nothing about the credential, so that is `unknown`.

use std::net::SocketAddr;
use std::time::Duration;

use super::{guard, Outcome, VerifyOptions};

/// Where and as whom to log in.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Login {
    /// Which server.
    pub engine: Engine,
    /// Host name or address as written.
    pub host: String,
    /// Port (the engine's default when the finding had none).
    pub port: u16,
    /// User name (empty for Redis' default user).
    pub user: String,
    /// The password.
    pub password: String,
    /// Database name, if any.
    pub database: Option<String>,
}

/// Database engines blobhound can log in to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Engine {
    /// PostgreSQL.
    Postgres,
    /// MySQL or MariaDB.
    Mysql,
    /// Redis.
    Redis,
}

impl Engine {
    /// The engine a URL scheme (`postgresql+psycopg2`, `rediss` ...) or Django `ENGINE` names.
    pub fn from_name(name: &str) -> Option<Engine> {
        let name = name.to_ascii_lowercase();
        let base = name.split(['+', ':']).next().unwrap_or("");
        if base.starts_with("postgres") || name.contains("postgresql") || name.ends_with("postgis")
        {
            Some(Engine::Postgres)
        } else if base == "mysql" || base == "mariadb" || name.ends_with(".mysql") {
            Some(Engine::Mysql)
        } else if base == "redis" || base == "rediss" {
            Some(Engine::Redis)
        } else {
            None
        }
    }

    /// The engine's usual port.
    pub fn default_port(self) -> u16 {
        match self {
            Engine::Postgres => 5432,
            Engine::Mysql => 3306,
            Engine::Redis => 6379,
        }
    }
}

/// Logs in once and reports what the server said.
pub fn verify(login: &Login, options: &VerifyOptions) -> Outcome {
    let address = match guard::resolve(&login.host, login.port, options.allow_private) {
        Ok(address) => address,
        Err(refused) => return Outcome::unknown(refused.0),
    };
    match login.engine {
        Engine::Postgres => postgres(login, address, options.timeout),
        Engine::Mysql => mysql(login, address, options.timeout),
        Engine::Redis => redis(login, address, options.timeout),
    }
}

fn postgres(login: &Login, address: SocketAddr, timeout: Duration) -> Outcome {
    let mut config = postgres::Config::new();
    config
        .hostaddr(address.ip())
        .port(address.port())
        .user(&login.user)
        .password(&login.password)
        .dbname(login.database.as_deref().unwrap_or("postgres"))
        .connect_timeout(timeout)
        .application_name("blobhound-verify");
    match config.connect(postgres::NoTls) {
        Ok(client) => {
            drop(client.close());
            Outcome::live(format!("logged in to PostgreSQL at {} as {}", login.host, login.user))
        }
        Err(e) => match e.as_db_error().map(|d| d.code().code()) {
            Some("28P01") => Outcome::invalid("PostgreSQL rejected the password".into()),
            Some("3D000") => Outcome::live(format!(
                "the password was accepted, but database {} does not exist",
                login.database.as_deref().unwrap_or("postgres")
            )),
            Some("28000") => Outcome::unknown(
                "PostgreSQL refused the connection before checking the password (pg_hba.conf or TLS required)".into(),
            ),
            Some(code) => Outcome::unknown(format!("PostgreSQL answered with error {code}")),
            None => Outcome::unknown(format!("cannot reach PostgreSQL at {}: {}", login.host, short(&e.to_string()))),
        },
    }
}

fn mysql(login: &Login, address: SocketAddr, timeout: Duration) -> Outcome {
    let options = mysql::OptsBuilder::new()
        .ip_or_hostname(Some(address.ip().to_string()))
        .tcp_port(address.port())
        .user(Some(login.user.clone()))
        .pass(Some(login.password.clone()))
        .db_name(login.database.clone())
        .prefer_socket(false)
        .tcp_connect_timeout(Some(timeout))
        .read_timeout(Some(timeout))
        .write_timeout(Some(timeout));
    match mysql::Conn::new(options) {
        Ok(conn) => {
            drop(conn);
            Outcome::live(format!(
                "logged in to MySQL/MariaDB at {} as {}",
                login.host, login.user
            ))
        }
        Err(mysql::Error::MySqlError(e)) => match e.code {
            1045 => Outcome::invalid("MySQL/MariaDB rejected the password".into()),
            1044 | 1049 => Outcome::live(format!(
                "the password was accepted, but the database is not open to this user ({})",
                e.code
            )),
            code => Outcome::unknown(format!("MySQL/MariaDB answered with error {code}")),
        },
        Err(e) => Outcome::unknown(format!(
            "cannot reach MySQL/MariaDB at {}: {}",
            login.host,
            short(&e.to_string())
        )),
    }
}

fn redis(login: &Login, address: SocketAddr, timeout: Duration) -> Outcome {
    let info = redis::ConnectionInfo {
        addr: redis::ConnectionAddr::Tcp(address.ip().to_string(), address.port()),
        redis: redis::RedisConnectionInfo {
            db: login
                .database
                .as_deref()
                .and_then(|d| d.parse().ok())
                .unwrap_or(0),
            username: (!login.user.is_empty() && login.user != "default")
                .then(|| login.user.clone()),
            password: Some(login.password.clone()),
            protocol: Default::default(),
        },
    };
    let client = match redis::Client::open(info) {
        Ok(client) => client,
        Err(e) => return Outcome::error(format!("bad Redis address: {e}")),
    };
    match client.get_connection_with_timeout(timeout) {
        Ok(connection) => {
            drop(connection);
            Outcome::live(format!("authenticated to Redis at {}", login.host))
        }
        Err(e) if e.kind() == redis::ErrorKind::AuthenticationFailed => {
            Outcome::invalid("Redis rejected the password".into())
        }
        Err(e)
            if e.to_string().contains("WRONGPASS")
                || e.to_string().contains("invalid password") =>
        {
            Outcome::invalid("Redis rejected the password".into())
        }
        Err(e) => Outcome::unknown(format!(
            "cannot reach Redis at {}: {}",
            login.host,
            short(&e.to_string())
        )),
    }
}

/// A message cut to one line of reasonable length; drivers never echo the password, but a
/// message is still no place for long dumps.
fn short(message: &str) -> String {
    let line = message.lines().next().unwrap_or("");
    line.chars().take(160).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemes_and_django_engines_name_the_engine() {
        assert_eq!(
            Engine::from_name("postgresql+psycopg2"),
            Some(Engine::Postgres)
        );
        assert_eq!(Engine::from_name("postgres"), Some(Engine::Postgres));
        assert_eq!(
            Engine::from_name("django.db.backends.postgresql"),
            Some(Engine::Postgres)
        );
        assert_eq!(
            Engine::from_name("django.contrib.gis.db.backends.postgis"),
            Some(Engine::Postgres)
        );
        assert_eq!(Engine::from_name("mysql+pymysql"), Some(Engine::Mysql));
        assert_eq!(Engine::from_name("mariadb"), Some(Engine::Mysql));
        assert_eq!(
            Engine::from_name("django.db.backends.mysql"),
            Some(Engine::Mysql)
        );
        assert_eq!(Engine::from_name("rediss"), Some(Engine::Redis));
        assert_eq!(Engine::from_name("mongodb+srv"), None);
        assert_eq!(Engine::from_name("amqp"), None);
    }
}
