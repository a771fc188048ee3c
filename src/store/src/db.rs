//! [`Store`]: an opened database, its migrations, the run lock and the run history.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::Utc;
use rusqlite::params;
use tokio::sync::Mutex;

use crate::conn::{Conn, RunContext};
use crate::error::{Error, Reason, Result};
use crate::events::SyncEvent;
use crate::failpoint;
use crate::model::instant_text;
use crate::postgres::{Postgres, pg_error};
use crate::schema::{self, MigrationReport, SCHEMA_VERSION, TOOL_VERSION};
use crate::sqlite::{OpenMode, Sqlite};
use crate::sync::{self, GroupSettings, RunStatus, RunSummary, SyncOptions, SyncRequest};
use crate::url::DatabaseUrl;

/// An opened billing database (SQLite file or PostgreSQL database).
pub struct Store {
    url: DatabaseUrl,
    engine: Engine,
}

#[allow(clippy::large_enum_variant)] // one per store
enum Engine {
    Sqlite(Sqlite),
    /// The control connection (run history); each stamp of a run gets its own.
    Postgres(Mutex<Postgres>),
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("url", &self.url).finish_non_exhaustive()
    }
}

/// What holds the run lock: the lock file (SQLite) or one locked session per stamp (PostgreSQL).
enum RunLock {
    Sqlite(std::fs::File),
    Postgres(BTreeMap<String, Postgres>),
}

/// The lock file beside an SQLite database.
pub fn lock_file_path(database: &Path) -> PathBuf {
    let mut name = database.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".sync-lock");
    database.with_file_name(name)
}

impl Store {
    /// Opens a database for reading and writing (an SQLite file is created when missing). Checks
    /// that it is an azs-usage database of a version this build knows; writes nothing.
    pub async fn open(url: &DatabaseUrl) -> Result<Store> {
        Self::open_mode(url, OpenMode::Create).await
    }

    /// Opens an existing database to read (export, reports): an SQLite file is never created.
    pub async fn open_read_only(url: &DatabaseUrl) -> Result<Store> {
        let store = Self::open_mode(url, OpenMode::ReadOnly).await?;
        match store.schema_version().await? {
            0 => Err(Error::database_not_usable(format!(
                "{url} holds no azs-usage data yet; run `azs-usage sync --database {url}` first"
            ))),
            v if v < SCHEMA_VERSION => Err(Error::database_not_usable(format!(
                "{url} has schema version {v}; run `azs-usage db migrate --database {url}` to bring it to version {SCHEMA_VERSION}"
            ))),
            _ => Ok(store),
        }
    }

    async fn open_mode(url: &DatabaseUrl, mode: OpenMode) -> Result<Store> {
        let engine = match url {
            DatabaseUrl::Sqlite(path) => Engine::Sqlite(Sqlite::open(path, mode).await?),
            DatabaseUrl::Postgres(pg) => Engine::Postgres(Mutex::new(Postgres::connect(pg).await?)),
        };
        let store = Store { url: url.clone(), engine };
        let version = store.schema_version().await?;
        if version > SCHEMA_VERSION {
            return Err(schema::too_new(version, &url.to_string()));
        }
        Ok(store)
    }

    /// The database's URL (its `Display` hides the password).
    pub fn url(&self) -> &DatabaseUrl {
        &self.url
    }

    /// The applied schema version (0 for a new database).
    pub async fn schema_version(&self) -> Result<u32> {
        match &self.engine {
            Engine::Sqlite(db) => db.schema_version().await,
            Engine::Postgres(pg) => pg.lock().await.schema_version().await,
        }
    }

    /// Applies pending migrations. A newer schema is refused ([`Reason::SchemaTooNew`]) untouched.
    pub async fn migrate(&self) -> Result<MigrationReport> {
        match &self.engine {
            Engine::Sqlite(db) => db.migrate().await,
            Engine::Postgres(pg) => pg.lock().await.migrate().await,
        }
    }

    /// Runs one sync (docs/sync.md). Errors of a scope are in the summary's `failures`; the
    /// returned error is for the run as a whole (locked, unusable database, cancelled early).
    pub async fn sync(&self, request: SyncRequest, options: SyncOptions) -> Result<RunSummary> {
        let now = options.now.unwrap_or_else(Utc::now);
        sync::validate(&request, now)?;
        let ctx = RunContext { events: options.events.clone(), cancel: options.cancel.clone() };
        let groups = sync::groups(&request.targets);
        let stamps: Vec<String> = groups.keys().cloned().collect();

        let lock = self.acquire_lock(&stamps, request.wait_for_lock, &ctx).await?;
        self.migrate().await?;
        let started_at = Utc::now();
        let run_id = self.start_run(&stamps).await?;
        failpoint::hit("run-started");
        ctx.emit(SyncEvent::RunStarted { run_id, stamps: stamps.clone() });

        let mut locked = match lock {
            RunLock::Sqlite(file) => (Some(file), BTreeMap::new()),
            RunLock::Postgres(map) => (None, map),
        };
        let settings = GroupSettings { request: &request, run_id, now, ctx: &ctx };
        let mut tasks = Vec::new();
        for (stamp, targets) in groups {
            let conn = match &self.engine {
                Engine::Sqlite(db) => Conn::Sqlite(db.clone()),
                Engine::Postgres(_) => match locked.1.remove(&stamp) {
                    Some(pg) => Conn::Postgres(pg),
                    None => return Err(Error::internal(format!("no locked connection for stamp '{stamp}'"))),
                },
            };
            tasks.push(sync::run_group(conn, stamp, targets, &settings));
        }
        let results = futures::future::join_all(tasks).await;

        let mut summary = RunSummary {
            run_id,
            started_at,
            finished_at: started_at,
            status: RunStatus::Succeeded,
            scopes: Vec::new(),
            costs: Vec::new(),
            failures: Vec::new(),
            warnings: Vec::new(),
            directory_rows: 0,
        };
        let mut conns = Vec::new();
        for (conn, out) in results {
            conns.push(conn);
            summary.scopes.extend(out.scopes);
            summary.costs.extend(out.costs);
            summary.failures.extend(out.failures);
            summary.warnings.extend(out.warnings);
            summary.directory_rows += out.directory_rows;
        }
        summary.status =
            if ctx.cancel.is_cancelled() || summary.failures.iter().any(|e| e.reason() == Reason::OperationCancelled) {
                RunStatus::Cancelled
            } else if summary.failures.is_empty() {
                RunStatus::Succeeded
            } else {
                RunStatus::Failed
            };
        summary.finished_at = Utc::now();
        self.finish_run(&summary, request.reconnect_for).await?;
        // The stamp sessions (and their advisory locks) end here; the lock file is unlocked on close.
        drop(conns);
        drop(locked);
        Ok(summary)
    }

    async fn acquire_lock(&self, stamps: &[String], wait: bool, ctx: &RunContext) -> Result<RunLock> {
        let mut announced = false;
        match &self.engine {
            Engine::Sqlite(db) => {
                let path = lock_file_path(db.path());
                let file =
                    std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(&path).map_err(|e| {
                        Error::database_not_usable(format!("cannot create the lock file {}: {e}", path.display()))
                    })?;
                loop {
                    match file.try_lock() {
                        Ok(()) => return Ok(RunLock::Sqlite(file)),
                        Err(std::fs::TryLockError::WouldBlock) => {
                            let holder = self.holder(None).await;
                            if !wait {
                                return Err(locked_error(&self.url, &holder));
                            }
                            if !announced {
                                announced = true;
                                ctx.emit(SyncEvent::LockWait { holder });
                            }
                            wait_a_little(ctx).await?;
                        }
                        Err(std::fs::TryLockError::Error(e)) => {
                            return Err(Error::database_not_usable(format!("cannot lock {}: {e}", path.display())));
                        }
                    }
                }
            }
            Engine::Postgres(control) => {
                let url = control.lock().await.url().clone();
                let mut map = BTreeMap::new();
                for stamp in stamps {
                    let pg = Postgres::connect(&url).await?;
                    loop {
                        if pg.lock_stamp(stamp, false).await? {
                            break;
                        }
                        let mut holder = self.holder(Some(stamp)).await;
                        if let Ok(Some(session)) = pg.lock_holder(stamp).await {
                            holder.push_str(&format!("; session: {session}"));
                        }
                        if !wait {
                            return Err(locked_error(&self.url, &holder).context(format!("stamp '{stamp}'")));
                        }
                        if !announced {
                            announced = true;
                            ctx.emit(SyncEvent::LockWait { holder });
                        }
                        wait_a_little(ctx).await?;
                    }
                    map.insert(stamp.clone(), pg);
                }
                Ok(RunLock::Postgres(map))
            }
        }
    }

    /// Describes the newest running run (of `stamp`), for a lock message.
    async fn holder(&self, stamp: Option<&str>) -> String {
        let row: Result<Option<(i64, String, i64, String)>> = match &self.engine {
            Engine::Sqlite(db) => {
                db.read("looking up the lock holder", |c| {
                    let has_runs: bool = c
                        .query_row("SELECT count(*) FROM sqlite_master WHERE name = 'sync_runs'", [], |r| r.get::<_, i64>(0))
                        .map(|n| n > 0)?;
                    if !has_runs {
                        return Ok(None);
                    }
                    let mut st = c.prepare(
                        "SELECT run_id, host, pid, started_at FROM sync_runs WHERE status = 'running' ORDER BY run_id DESC LIMIT 1",
                    )?;
                    let mut rows = st.query([])?;
                    Ok(match rows.next()? {
                        Some(r) => Some((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                        None => None,
                    })
                })
                .await
            }
            Engine::Postgres(pg) => {
                let pg = pg.lock().await;
                pg.client()
                    .query(
                        "SELECT run_id, host, pid, started_at::text FROM sync_runs
                         WHERE status = 'running' AND $1 = ANY(string_to_array(stamps, ','))
                         ORDER BY run_id DESC LIMIT 1",
                        &[&stamp.unwrap_or_default()],
                    )
                    .await
                    .map(|rows| rows.first().map(|r| (r.get(0), r.get(1), r.get(2), r.get(3))))
                    .map_err(|e| pg_error(&e, pg.url(), "looking up the lock holder"))
            }
        };
        match row {
            Ok(Some((run, host, pid, started))) => format!("run {run} (pid {pid} on {host}, started {started})"),
            _ => "another azs-usage sync (its run is not recorded yet)".to_string(),
        }
    }

    /// Marks runs that can no longer be running as interrupted, and records this one.
    async fn start_run(&self, stamps: &[String]) -> Result<i64> {
        let host = host_name();
        let pid = i64::from(std::process::id());
        let list = stamps.join(",");
        const INTERRUPTED: &str = "the run ended without finishing (killed, crashed or lost its database)";
        match &self.engine {
            Engine::Sqlite(db) => {
                db.transaction("recording the run", move |c| {
                    // The lock file covers the whole database: no other run is alive.
                    c.execute("UPDATE sync_run_scopes SET status = 'interrupted', error = ?1 WHERE status = 'running'", [INTERRUPTED])?;
                    c.execute("UPDATE sync_runs SET status = 'interrupted', errors = ?1 WHERE status = 'running'", [INTERRUPTED])?;
                    c.execute(
                        "INSERT INTO sync_runs (started_at, status, host, pid, tool_version, stamps) VALUES (?1, 'running', ?2, ?3, ?4, ?5)",
                        params![instant_text(&Utc::now()), host, pid, TOOL_VERSION, list],
                    )?;
                    Ok(c.last_insert_rowid())
                })
                .await
            }
            Engine::Postgres(pg) => {
                let mut pg = pg.lock().await;
                let url = pg.url().clone();
                let err = |e: tokio_postgres::Error| pg_error(&e, &url, "recording the run");
                let tx = pg.client_mut().transaction().await.map_err(err)?;
                // Only runs of stamps whose locks this run holds are known to be dead.
                tx.execute(
                    "UPDATE sync_run_scopes SET status = 'interrupted', error = $2 WHERE status = 'running' AND stamp = ANY($1)",
                    &[&stamps, &INTERRUPTED],
                )
                .await
                .map_err(err)?;
                tx.execute(
                    "UPDATE sync_runs SET status = 'interrupted', errors = $2
                     WHERE status = 'running' AND string_to_array(stamps, ',') <@ $1::text[]",
                    &[&stamps, &INTERRUPTED],
                )
                .await
                .map_err(err)?;
                let row = tx
                    .query_one(
                        "INSERT INTO sync_runs (started_at, status, host, pid, tool_version, stamps)
                         VALUES (now(), 'running', $1, $2, $3, $4) RETURNING run_id",
                        &[&host, &pid, &TOOL_VERSION, &list],
                    )
                    .await
                    .map_err(err)?;
                tx.commit().await.map_err(err)?;
                Ok(row.get(0))
            }
        }
    }

    async fn finish_run(&self, s: &RunSummary, reconnect_for: Duration) -> Result<()> {
        let errors: Vec<String> = s
            .failures
            .iter()
            .map(|e| format!("[{}] {}", e.reason(), e.message()))
            .chain(s.warnings.iter().cloned())
            .collect();
        let errors = errors.join("\n");
        let (windows, inserted, replaced, months) =
            (s.windows() as i64, s.inserted() as i64, s.replaced() as i64, s.costs.len() as i64);
        let (status, run_id, finished) = (s.status.as_str(), s.run_id, s.finished_at);
        match &self.engine {
            Engine::Sqlite(db) => {
                db.transaction("recording the run", move |c| {
                    c.execute(
                        "UPDATE sync_runs SET finished_at = ?2, status = ?3, windows = ?4, records_inserted = ?5,
                         records_replaced = ?6, cost_months = ?7, errors = ?8 WHERE run_id = ?1",
                        params![run_id, instant_text(&finished), status, windows, inserted, replaced, months, errors],
                    )?;
                    Ok(())
                })
                .await
            }
            Engine::Postgres(pg) => {
                let started = Instant::now();
                let mut pg = pg.lock().await;
                loop {
                    let result = pg
                        .client()
                        .execute(
                            "UPDATE sync_runs SET finished_at = $2, status = $3, windows = $4, records_inserted = $5,
                             records_replaced = $6, cost_months = $7, errors = $8 WHERE run_id = $1",
                            &[&run_id, &finished, &status, &windows, &inserted, &replaced, &months, &errors],
                        )
                        .await
                        .map_err(|e| pg_error(&e, pg.url(), "recording the run"));
                    match result {
                        Ok(_) => return Ok(()),
                        Err(e) if e.is_transient() && started.elapsed() < reconnect_for => {
                            tokio::time::sleep(Duration::from_millis(500)).await;
                            if let Ok(fresh) = Postgres::connect(pg.url()).await {
                                *pg = fresh;
                            }
                        }
                        Err(e) => return Err(e),
                    }
                }
            }
        }
    }

    pub(crate) fn sqlite(&self) -> Option<&Sqlite> {
        match &self.engine {
            Engine::Sqlite(db) => Some(db),
            Engine::Postgres(_) => None,
        }
    }

    pub(crate) fn postgres(&self) -> Option<&Mutex<Postgres>> {
        match &self.engine {
            Engine::Sqlite(_) => None,
            Engine::Postgres(pg) => Some(pg),
        }
    }
}

fn locked_error(url: &DatabaseUrl, holder: &str) -> Error {
    Error::sync_locked(format!(
        "another sync is running on {url}: {holder}; this run did nothing. Wait for it to finish, or pass --wait to queue behind it"
    ))
}

async fn wait_a_little(ctx: &RunContext) -> Result<()> {
    tokio::select! {
        _ = ctx.cancel.cancelled() => Err(Error::cancelled()),
        _ = tokio::time::sleep(Duration::from_millis(300)) => Ok(()),
    }
}

/// This machine's name, for the run history (who holds a lock).
pub(crate) fn host_name() -> String {
    std::env::var("COMPUTERNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/proc/sys/kernel/hostname").ok())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown host".to_string())
}
