//! Database URLs: `sqlite:PATH` (the embedded default) or `postgres://user@host:port/db?sslmode=…`.
//!
//! A password may be written in the URL, but the environment (`PGPASSWORD`) keeps it out of
//! process lists and shell history. Either way it is held as a [`SecretString`] and every
//! `Display`/`Debug` form of a URL shows `***` in its place.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use secrecy::SecretString;

use crate::error::{Error, Result};

/// What the URL forms look like, for error messages.
pub(crate) const URL_FORMS: &str =
    "use sqlite:PATH (e.g. sqlite:usage.db) or postgres://USER@HOST:PORT/DATABASE (password in PGPASSWORD)";

/// A parsed database URL.
#[derive(Clone)]
pub enum DatabaseUrl {
    /// An SQLite file (created on first use; its directory must exist).
    Sqlite(PathBuf),
    /// A PostgreSQL server.
    Postgres(PostgresUrl),
}

/// How a PostgreSQL connection uses TLS (libpq's `sslmode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    /// Plain TCP.
    Disable,
    /// TLS when the server offers it (libpq's default); certificates verified only with a CA file.
    Prefer,
    /// TLS required; certificates verified only with a CA file (as libpq does).
    Require,
    /// TLS required, the certificate chain verified (not the host name).
    VerifyCa,
    /// TLS required, the chain and the host name verified.
    VerifyFull,
}

impl SslMode {
    fn parse(text: &str) -> Option<SslMode> {
        Some(match text {
            "disable" => SslMode::Disable,
            "prefer" | "allow" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            _ => return None,
        })
    }
}

/// The parts of a `postgres://` URL.
#[derive(Clone)]
pub struct PostgresUrl {
    /// Host name or address (or a socket directory, from `?host=/path`).
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// Role name.
    pub user: String,
    /// Password, from the URL or `PGPASSWORD`.
    pub password: Option<SecretString>,
    /// Database name.
    pub dbname: String,
    /// TLS use.
    pub sslmode: SslMode,
    /// CA certificates (PEM) to verify the server with (`sslrootcert`, or `--database-ca-file`).
    pub ca_file: Option<PathBuf>,
    /// Connection timeout (`connect_timeout` seconds; default 10).
    pub connect_timeout: Duration,
}

impl DatabaseUrl {
    /// Parses a URL; `PGPASSWORD` supplies the password when the URL has none.
    pub fn parse(text: &str) -> Result<DatabaseUrl> {
        Self::parse_with_env(text, |name| std::env::var(name).ok())
    }

    /// Parses a URL, reading environment variables through `env` (tests pass their own).
    pub fn parse_with_env(text: &str, env: impl Fn(&str) -> Option<String>) -> Result<DatabaseUrl> {
        let text = text.trim();
        if text.is_empty() {
            return Err(Error::database_url_invalid(format!("the database URL is empty; {URL_FORMS}")));
        }
        if let Some(rest) = text.strip_prefix("sqlite:") {
            let path = rest.strip_prefix("//").unwrap_or(rest);
            if path.is_empty() {
                return Err(Error::database_url_invalid(format!("'{text}' names no file; {URL_FORMS}")));
            }
            if path.contains('?') {
                return Err(Error::database_url_invalid(format!(
                    "'{text}': sqlite URLs take no options (the database is opened read-write, in WAL mode)"
                )));
            }
            return Ok(DatabaseUrl::Sqlite(PathBuf::from(path)));
        }
        let scheme = text.split_once(':').map(|(s, _)| s.to_ascii_lowercase()).unwrap_or_default();
        if scheme == "postgres" || scheme == "postgresql" {
            return PostgresUrl::parse(text, &env).map(DatabaseUrl::Postgres);
        }
        let shown = redact_url_text(text);
        Err(Error::database_url_invalid(format!("'{shown}' is not a database URL this tool knows; {URL_FORMS}")))
    }

    /// The engine's name: `sqlite` or `postgres`.
    pub fn engine(&self) -> &'static str {
        match self {
            DatabaseUrl::Sqlite(_) => "sqlite",
            DatabaseUrl::Postgres(_) => "postgres",
        }
    }

    /// The SQLite file, if this is an SQLite URL.
    pub fn sqlite_path(&self) -> Option<&Path> {
        match self {
            DatabaseUrl::Sqlite(p) => Some(p),
            DatabaseUrl::Postgres(_) => None,
        }
    }

    /// Sets the CA file used to verify a PostgreSQL server (no effect on SQLite).
    pub fn with_ca_file(mut self, ca_file: Option<PathBuf>) -> Self {
        if let (DatabaseUrl::Postgres(pg), Some(ca)) = (&mut self, ca_file) {
            pg.ca_file = Some(ca);
        }
        self
    }
}

impl FromStr for DatabaseUrl {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        DatabaseUrl::parse(s)
    }
}

impl PostgresUrl {
    fn parse(text: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<PostgresUrl> {
        let shown = redact_url_text(text);
        let bad = |what: String| Error::database_url_invalid(format!("'{shown}': {what}; {URL_FORMS}"));
        let url = url::Url::parse(text).map_err(|e| bad(format!("not a URL ({e})")))?;
        let decode = |s: &str| percent_decode(s).map_err(|_| bad("invalid percent-encoding".into()));

        let mut host = url.host_str().map(|h| h.trim_start_matches('[').trim_end_matches(']').to_string());
        let port = url.port();
        let mut user = (!url.username().is_empty()).then(|| decode(url.username())).transpose()?;
        let mut password = url.password().map(decode).transpose()?;
        let mut dbname = {
            let path = url.path().trim_start_matches('/');
            if path.contains('/') {
                return Err(bad(format!("'{path}' is not one database name")));
            }
            (!path.is_empty()).then(|| decode(path)).transpose()?
        };
        let mut sslmode = SslMode::Prefer;
        let mut ca_file = None;
        let mut connect_timeout = Duration::from_secs(10);
        let mut port_override = None;
        for (key, value) in url.query_pairs() {
            match key.as_ref() {
                "sslmode" => {
                    sslmode = SslMode::parse(&value).ok_or_else(|| {
                        bad(format!(
                            "sslmode '{value}' is unknown (use disable, prefer, require, verify-ca or verify-full)"
                        ))
                    })?
                }
                "sslrootcert" => ca_file = Some(PathBuf::from(value.as_ref())),
                "connect_timeout" => {
                    let secs: u64 = value
                        .parse()
                        .map_err(|_| bad(format!("connect_timeout '{value}' is not a number of seconds")))?;
                    connect_timeout = Duration::from_secs(secs.max(1));
                }
                "host" => host = Some(value.to_string()),
                "port" => {
                    port_override =
                        Some(value.parse::<u16>().map_err(|_| bad(format!("port '{value}' is not a port number")))?)
                }
                "user" => user = Some(value.to_string()),
                "dbname" => dbname = Some(value.to_string()),
                "password" => password = Some(value.to_string()),
                other => {
                    return Err(bad(format!(
                        "the option '{other}' is not supported (supported: sslmode, sslrootcert, connect_timeout, host, port, user, dbname)"
                    )));
                }
            }
        }
        let user = user.or_else(|| env("PGUSER")).or_else(|| env("USER")).or_else(|| env("USERNAME"));
        let user = user.ok_or_else(|| bad("no user name (write postgres://USER@HOST/DATABASE)".into()))?;
        let password = password.or_else(|| env("PGPASSWORD")).filter(|p| !p.is_empty()).map(SecretString::from);
        let host = host.filter(|h| !h.is_empty()).unwrap_or_else(|| "localhost".to_string());
        Ok(PostgresUrl {
            host,
            port: port_override.or(port).unwrap_or(5432),
            dbname: dbname.unwrap_or_else(|| user.clone()),
            user,
            password,
            sslmode,
            ca_file,
            connect_timeout,
        })
    }
}

/// Replaces the password of a URL-looking text with `***`, without parsing it (the text may not
/// parse at all): the part between `//user:` and the last `@` before the host.
pub(crate) fn redact_url_text(text: &str) -> String {
    let Some(scheme_end) = text.find("://") else { return text.to_string() };
    let rest = &text[scheme_end + 3..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let Some(at) = authority.rfind('@') else { return text.to_string() };
    let userinfo = &authority[..at];
    let Some(colon) = userinfo.find(':') else { return text.to_string() };
    format!("{}{}:***{}", &text[..scheme_end + 3], &userinfo[..colon], &rest[at..])
}

fn percent_decode(s: &str) -> std::result::Result<String, ()> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3).ok_or(())?;
            out.push(u8::from_str_radix(hex, 16).map_err(|_| ())?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| ())
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DatabaseUrl::Sqlite(p) => write!(f, "sqlite:{}", p.display()),
            DatabaseUrl::Postgres(pg) => fmt::Display::fmt(pg, f),
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({self})")
    }
}

/// `postgres://user:***@host:port/db` (the password, when set, is never shown).
impl fmt::Display for PostgresUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secret = if self.password.is_some() { ":***" } else { "" };
        write!(f, "postgres://{}{secret}@{}:{}/{}", self.user, self.host, self.port, self.dbname)
    }
}

impl fmt::Debug for PostgresUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresUrl")
            .field("url", &self.to_string())
            .field("sslmode", &self.sslmode)
            .field("ca_file", &self.ca_file)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn sqlite_urls() {
        let u = DatabaseUrl::parse_with_env("sqlite:usage.db", no_env).unwrap();
        assert_eq!(u.sqlite_path(), Some(Path::new("usage.db")));
        let u = DatabaseUrl::parse_with_env("sqlite:///var/lib/azs/usage.db", no_env).unwrap();
        assert_eq!(u.sqlite_path(), Some(Path::new("/var/lib/azs/usage.db")));
        assert_eq!(u.to_string(), "sqlite:/var/lib/azs/usage.db");
        let e = DatabaseUrl::parse_with_env("sqlite:", no_env).unwrap_err();
        assert!(e.message().contains("names no file"), "{e}");
    }

    #[test]
    fn postgres_urls_and_defaults() {
        let u = DatabaseUrl::parse_with_env("postgres://billing@db.example:6432/azs?sslmode=verify-full", |k| {
            (k == "PGPASSWORD").then(|| "s3cret".to_string())
        })
        .unwrap();
        let DatabaseUrl::Postgres(pg) = &u else { panic!("postgres") };
        assert_eq!(
            (pg.host.as_str(), pg.port, pg.user.as_str(), pg.dbname.as_str()),
            ("db.example", 6432, "billing", "azs")
        );
        assert_eq!(pg.sslmode, SslMode::VerifyFull);
        assert_eq!(pg.password.as_ref().unwrap().expose_secret(), "s3cret");
        assert_eq!(u.to_string(), "postgres://billing:***@db.example:6432/azs");

        let u = DatabaseUrl::parse_with_env("postgresql://bob@localhost", no_env).unwrap();
        let DatabaseUrl::Postgres(pg) = &u else { panic!("postgres") };
        assert_eq!((pg.port, pg.dbname.as_str(), pg.sslmode), (5432, "bob", SslMode::Prefer));
    }

    #[test]
    fn passwords_never_shown() {
        let text = "postgres://bob:hunter2%21@localhost:5432/db";
        let u = DatabaseUrl::parse_with_env(text, no_env).unwrap();
        let DatabaseUrl::Postgres(pg) = &u else { panic!("postgres") };
        assert_eq!(pg.password.as_ref().unwrap().expose_secret(), "hunter2!");
        for shown in [u.to_string(), format!("{u:?}"), format!("{pg:?}")] {
            assert!(!shown.contains("hunter2"), "{shown}");
        }
        // Errors quote the URL with the password masked.
        for bad in ["postgres://bob:hunter2@localhost:5432/db?frobnicate=1", "mysql://bob:hunter2@localhost/db"] {
            let e = DatabaseUrl::parse_with_env(bad, no_env).unwrap_err();
            assert!(!e.message().contains("hunter2"), "{e}");
            assert!(e.message().contains("bob:***@localhost"), "{e}");
        }
    }

    #[test]
    fn malformed_urls_say_what_is_wrong() {
        for (text, expect) in [
            ("", "empty"),
            ("usage.db", "not a database URL"),
            ("postgres://bob@localhost:99999/db", "not a URL"),
            ("postgres://bob@localhost/db?sslmode=sometimes", "sslmode 'sometimes'"),
            ("postgres://bob@localhost/a/b", "not one database name"),
        ] {
            let e = DatabaseUrl::parse_with_env(text, no_env).unwrap_err();
            assert_eq!(e.reason(), crate::Reason::DatabaseUrlInvalid);
            assert!(e.message().contains(expect), "{text}: {e}");
        }
    }
}
