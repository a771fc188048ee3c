//! A database for a store test (an SQLite file in a temporary folder, or a database in the test
//! cluster) and direct reads of its tables, written against the tables themselves (rusqlite,
//! tokio-postgres), not through the store: the check is independent of the code under test.

use std::collections::BTreeMap;
use std::path::PathBuf;

use rust_decimal::Decimal;

use crate::pg::{self, PG_PASSWORD, PG_USER};

/// The two engines every store test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// An SQLite file.
    Sqlite,
    /// A database in the shared test cluster.
    Postgres,
}

/// A database for one test.
#[derive(Debug)]
pub struct TestDb {
    /// Which engine.
    pub engine: Engine,
    /// The URL to give the store (no password in it: see [`TestDb::env`]).
    pub url: String,
    /// The SQLite file.
    pub path: Option<PathBuf>,
    /// The PostgreSQL database name.
    pub name: String,
    /// The PostgreSQL cluster's port.
    pub port: u16,
    _dir: Option<tempfile::TempDir>,
}

/// Per-(subscription, meter) record counts and exact sums, keys lower case.
pub type Totals = BTreeMap<(String, String), (u64, Decimal)>;

impl TestDb {
    /// A new, empty database named after the test.
    pub fn new(engine: Engine, name: &str) -> TestDb {
        match engine {
            Engine::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let path = dir.path().join(format!("{name}.db"));
                TestDb {
                    engine,
                    url: format!("sqlite:{}", path.display()),
                    path: Some(path),
                    name: name.to_string(),
                    port: 0,
                    _dir: Some(dir),
                }
            }
            Engine::Postgres => Self::in_cluster(pg::shared(), name),
        }
    }

    /// A new database in `cluster`.
    pub fn in_cluster(cluster: &pg::PgCluster, name: &str) -> TestDb {
        let url = cluster.database(name);
        TestDb { engine: Engine::Postgres, url, path: None, name: name.to_string(), port: cluster.port, _dir: None }
    }

    /// The environment a client of this database needs (`PGPASSWORD`).
    pub fn env(&self) -> Vec<(&'static str, &'static str)> {
        match self.engine {
            Engine::Sqlite => Vec::new(),
            Engine::Postgres => vec![("PGPASSWORD", PG_PASSWORD)],
        }
    }

    /// Reads `name` from [`TestDb::env`] (for `DatabaseUrl::parse_with_env`).
    pub fn env_var(&self, name: &str) -> Option<String> {
        self.env().into_iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string())
    }

    /// `col` as text, whatever its type.
    pub fn text(&self, col: &str) -> String {
        match self.engine {
            Engine::Sqlite => col.to_string(),
            Engine::Postgres => format!("{col}::text"),
        }
    }

    /// Rows of `sql`, every column read as text (NULL as `None`).
    pub async fn rows(&self, sql: &str) -> Vec<Vec<Option<String>>> {
        match self.engine {
            Engine::Sqlite => {
                let conn = rusqlite::Connection::open(self.path.as_ref().expect("sqlite path")).expect("open sqlite");
                let mut st = conn.prepare(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
                let n = st.column_count();
                let rows = st
                    .query_map([], |r| {
                        (0..n)
                            .map(|i| {
                                r.get::<_, rusqlite::types::Value>(i).map(|v| match v {
                                    rusqlite::types::Value::Null => None,
                                    rusqlite::types::Value::Integer(i) => Some(i.to_string()),
                                    rusqlite::types::Value::Real(f) => Some(f.to_string()),
                                    rusqlite::types::Value::Text(t) => Some(t),
                                    rusqlite::types::Value::Blob(b) => Some(format!("{b:?}")),
                                })
                            })
                            .collect::<rusqlite::Result<Vec<_>>>()
                    })
                    .unwrap_or_else(|e| panic!("{sql}: {e}"));
                rows.collect::<rusqlite::Result<Vec<_>>>().unwrap_or_else(|e| panic!("{sql}: {e}"))
            }
            Engine::Postgres => {
                let mut config = tokio_postgres::Config::new();
                config.host("127.0.0.1").port(self.port).user(PG_USER).password(PG_PASSWORD).dbname(&self.name);
                let (client, conn) = config.connect(tokio_postgres::NoTls).await.expect("connect to the test cluster");
                let task = tokio::spawn(conn);
                let out = client
                    .simple_query(sql)
                    .await
                    .unwrap_or_else(|e| panic!("{sql}: {e}"))
                    .into_iter()
                    .filter_map(|m| match m {
                        tokio_postgres::SimpleQueryMessage::Row(r) => {
                            Some((0..r.len()).map(|i| r.get(i).map(str::to_string)).collect())
                        }
                        _ => None,
                    })
                    .collect();
                drop(client);
                let _ = task.await;
                out
            }
        }
    }

    /// One integer.
    pub async fn count(&self, sql: &str) -> i64 {
        let rows = self.rows(sql).await;
        rows.first().and_then(|r| r.first().cloned().flatten()).map(|t| t.parse().expect("an integer")).unwrap_or(0)
    }

    /// Count and per-(subscription, meter) sums of `usage_records` (optionally filtered).
    pub async fn usage_totals(&self, filter: &str) -> (u64, Totals) {
        let sql = format!("SELECT subscription_id, meter_id, {} FROM usage_records {filter}", self.text("quantity"));
        let mut totals = Totals::new();
        let mut n = 0;
        for r in self.rows(&sql).await {
            let key =
                (r[0].clone().unwrap_or_default().to_lowercase(), r[1].clone().unwrap_or_default().to_lowercase());
            let q: Decimal = r[2].as_deref().unwrap_or("0").parse().expect("exact decimal");
            let e = totals.entry(key).or_default();
            e.0 += 1;
            e.1 += q;
            n += 1;
        }
        (n, totals)
    }

    /// The same from `usage_daily` (the summary the sync maintains).
    pub async fn daily_totals(&self) -> (u64, Totals) {
        let sql = format!("SELECT subscription_id, meter_id, records, {} FROM usage_daily", self.text("quantity"));
        let mut totals = Totals::new();
        let mut n = 0;
        for r in self.rows(&sql).await {
            let key =
                (r[0].clone().unwrap_or_default().to_lowercase(), r[1].clone().unwrap_or_default().to_lowercase());
            let records: u64 = r[2].as_deref().unwrap_or("0").parse().expect("count");
            let q: Decimal = r[3].as_deref().unwrap_or("0").parse().expect("exact decimal");
            let e = totals.entry(key).or_default();
            e.0 += records;
            e.1 += q;
            n += records;
        }
        (n, totals)
    }

    /// A stable fingerprint of everything the database holds (SQLite: the file's bytes plus its
    /// WAL; PostgreSQL: the row counts of every table), to check that a failed command changed nothing.
    pub async fn fingerprint(&self) -> String {
        match self.engine {
            Engine::Sqlite => {
                let path = self.path.as_ref().expect("path");
                let mut out = String::new();
                for p in [path.clone(), path.with_extension("db-wal")] {
                    match std::fs::read(&p) {
                        // An empty WAL is no WAL to SQLite: one appears while a closing connection's thread
                        // has not yet removed it, so it does not count as a change.
                        Ok(bytes) if !bytes.is_empty() || p == *path => {
                            out.push_str(&format!("{}:{}:{:x};", p.display(), bytes.len(), fnv(&bytes)))
                        }
                        _ => out.push_str(&format!("{}:absent;", p.display())),
                    }
                }
                out
            }
            Engine::Postgres => {
                let mut out = String::new();
                let tables = self
                    .rows("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1")
                    .await;
                for t in tables.into_iter().filter_map(|r| r.into_iter().next().flatten()) {
                    let n = self.count(&format!("SELECT count(*) FROM \"{t}\"")).await;
                    out.push_str(&format!("{t}={n};"));
                }
                out
            }
        }
    }
}

fn fnv(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}
