//! The SQLite engine: one connection owned by one thread, driven by jobs from the async side.
//!
//! rusqlite is blocking, and a window's transaction spans many awaits (its pages arrive from the
//! network), so the connection lives on its own thread and each step is a job sent to it. Jobs
//! run in order; a window sends its page inserts without waiting for the previous one to finish
//! more than one page ahead, so the pull and the inserts overlap. Several stamps of one run share
//! the connection and take turns per window (`turn`); the sync lock file keeps other processes
//! out (docs/sync.md).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use azs_usage_core::{TenantSubscription, UsageRecord};
use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{Connection, ErrorCode, OpenFlags, OptionalExtension, params};
use tokio::sync::oneshot;

use crate::error::{Error, Result};
use crate::model::{
    DailyKey, DailyValue, Scope, SummaryDelta, Window, decimal_text, instant_text, json_map, map_json, parse_decimal,
    parse_instant,
};
use crate::schema::{self, MigrationReport, OWN_TABLES, SCHEMA_VERSION, TOOL_VERSION};

type Job = Box<dyn FnOnce(&mut Connection) + Send>;

/// How a database file is opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OpenMode {
    /// Read and write; create the file when missing (sync, migrate).
    Create,
    /// Read only; the file must exist (export, report).
    ReadOnly,
}

/// A handle on the connection thread. Clones share the thread and the write turn.
#[derive(Clone)]
pub(crate) struct Sqlite {
    jobs: std::sync::mpsc::Sender<Job>,
    path: Arc<PathBuf>,
    turn: Arc<tokio::sync::Mutex<()>>,
}

impl std::fmt::Debug for Sqlite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sqlite").field("path", &self.path).finish_non_exhaustive()
    }
}

/// Maps an SQLite error to the store's reasons; `what` says what was being done.
pub(crate) fn sql_error(e: rusqlite::Error, path: &Path, what: &str) -> Error {
    if let rusqlite::Error::ToSqlConversionFailure(inner) = &e
        && let Some(ours) = inner.downcast_ref::<Error>()
    {
        return ours.clone();
    }
    let file = path.display();
    match e.sqlite_error_code() {
        Some(ErrorCode::NotADatabase) => Error::database_not_usable(format!(
            "{file} is not an SQLite database (it was left untouched); pass a new path or an azs-usage database"
        )),
        Some(ErrorCode::DatabaseCorrupt) => {
            Error::database_not_usable(format!("{file} is corrupt ({what}: {e}); restore it from a backup"))
        }
        Some(ErrorCode::ReadOnly) => Error::database_not_usable(format!(
            "{file} is read-only ({what}); the sync needs to write it: fix its permissions or pass a writable path"
        )),
        Some(ErrorCode::PermissionDenied) | Some(ErrorCode::AuthorizationForStatementDenied) => {
            Error::database_not_usable(format!("no permission to use {file} ({what}: {e})"))
        }
        Some(ErrorCode::DiskFull) => {
            Error::database_not_usable(format!("the disk holding {file} is full ({what}); free space and rerun"))
        }
        Some(ErrorCode::CannotOpen) => Error::database_unavailable(format!("cannot open {file} ({what}: {e})")),
        Some(ErrorCode::DatabaseBusy) | Some(ErrorCode::DatabaseLocked) => Error::database_unavailable(format!(
            "{file} stayed locked by another connection ({what}); retry when it is free"
        )),
        _ => Error::internal(format!("SQLite failed {what} on {file}: {e}")),
    }
}

impl Sqlite {
    /// Opens `path` on a new connection thread and checks that it is an SQLite database (or a
    /// new, empty file). Nothing is written yet.
    pub(crate) async fn open(path: &Path, mode: OpenMode) -> Result<Sqlite> {
        let shown = path.display().to_string();
        if path.is_dir() {
            return Err(Error::database_not_usable(format!("{shown} is a directory; pass a database file path")));
        }
        match mode {
            OpenMode::ReadOnly if !path.exists() => {
                return Err(Error::database_unavailable(format!(
                    "{shown} does not exist; run `azs-usage sync --database sqlite:{shown}` first"
                )));
            }
            OpenMode::Create => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
                    && !dir.is_dir()
                {
                    return Err(Error::database_unavailable(format!(
                        "the directory {} of {shown} does not exist; create it first",
                        dir.display()
                    )));
                }
            }
            OpenMode::ReadOnly => {}
        }
        let (jobs, queue) = std::sync::mpsc::channel::<Job>();
        let (ready_tx, ready_rx) = oneshot::channel();
        let owned = path.to_path_buf();
        std::thread::Builder::new()
            .name("azs-usage-sqlite".into())
            .spawn(move || {
                let mut conn = match connect(&owned, mode) {
                    Ok(c) => {
                        let _ = ready_tx.send(Ok(()));
                        c
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                while let Ok(job) = queue.recv() {
                    job(&mut conn);
                }
            })
            .map_err(|e| Error::internal(format!("cannot start the SQLite thread: {e}")))?;
        ready_rx.await.map_err(|_| Error::internal("the SQLite thread ended while opening"))??;
        Ok(Sqlite { jobs, path: Arc::new(path.to_path_buf()), turn: Arc::new(tokio::sync::Mutex::new(())) })
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Queues `f` and returns where its result will arrive.
    fn submit<R: Send + 'static>(
        &self,
        what: &'static str,
        f: impl FnOnce(&mut Connection, &Path) -> Result<R> + Send + 'static,
    ) -> oneshot::Receiver<Result<R>> {
        let (tx, rx) = oneshot::channel();
        let path = self.path.clone();
        let job: Job = Box::new(move |c| {
            let _ = tx.send(f(c, &path));
        });
        if self.jobs.send(job).is_err() {
            tracing::error!("the SQLite thread is gone ({what})");
        }
        rx
    }

    /// Runs `f` on the connection thread.
    pub(crate) async fn call<R: Send + 'static>(
        &self,
        what: &'static str,
        f: impl FnOnce(&mut Connection, &Path) -> Result<R> + Send + 'static,
    ) -> Result<R> {
        self.submit(what, f).await.map_err(|_| Error::internal(format!("the SQLite thread ended ({what})")))?
    }

    /// Holds the write turn: one window (or other write) at a time on the shared connection.
    pub(crate) async fn turn(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.turn.lock().await
    }

    /// The applied schema version (0: a new, empty database).
    pub(crate) async fn schema_version(&self) -> Result<u32> {
        self.call("reading the schema version", |c, p| read_version(c, p)).await
    }

    /// Applies pending migrations (and switches the file to WAL first). Refuses a newer schema.
    pub(crate) async fn migrate(&self) -> Result<MigrationReport> {
        let _turn = self.turn().await;
        self.call("migrating", migrate).await
    }

    /// Begins a window's transaction and removes the stored windows inside it; returns how many
    /// records were removed and their (negative) summary delta.
    pub(crate) async fn begin_window(&self, scope: &Scope, window: Window) -> Result<(u64, SummaryDelta)> {
        let scope = scope.clone();
        self.call("replacing a window", move |c, p| {
            begin_window(c, &scope, window).map_err(|e| sql_error(e, p, "replacing a window"))
        })
        .await
    }

    /// Queues one page's inserts; the receiver yields the count and the summary delta.
    pub(crate) fn insert_page(
        &self,
        scope: &Scope,
        window: Window,
        ingested_at: DateTime<Utc>,
        records: Vec<UsageRecord>,
    ) -> oneshot::Receiver<Result<(u64, SummaryDelta)>> {
        let scope = scope.clone();
        self.submit("inserting records", move |c, p| {
            insert_page(c, &scope, window, ingested_at, &records).map_err(|e| sql_error(e, p, "inserting records"))
        })
    }

    /// Writes the window's summaries, state and counters, still inside its transaction.
    pub(crate) async fn finish_window(&self, finish: WindowFinish) -> Result<()> {
        self.call("finishing a window", move |c, p| {
            finish_window(c, &finish).map_err(|e| sql_error(e, p, "finishing a window"))
        })
        .await
    }

    pub(crate) async fn commit(&self) -> Result<()> {
        self.call("committing", |c, p| c.execute_batch("COMMIT").map_err(|e| sql_error(e, p, "committing"))).await
    }

    /// Queues a rollback of whatever transaction is open (no-op when none is).
    pub(crate) fn rollback_soon(&self) {
        drop(self.submit("rolling back", |c, _| {
            if !c.is_autocommit() {
                let _ = c.execute_batch("ROLLBACK");
            }
            Ok(())
        }));
    }

    /// Runs `f` inside one immediate transaction on the connection thread.
    pub(crate) async fn transaction<R: Send + 'static>(
        &self,
        what: &'static str,
        f: impl FnOnce(&Connection) -> rusqlite::Result<R> + Send + 'static,
    ) -> Result<R> {
        let _turn = self.turn().await;
        self.call(what, move |c, p| {
            let tx = c
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                .map_err(|e| sql_error(e, p, what))?;
            let out = f(&tx).map_err(|e| sql_error(e, p, what))?;
            tx.commit().map_err(|e| sql_error(e, p, what))?;
            Ok(out)
        })
        .await
    }

    /// Runs a read-only `f` on the connection thread.
    pub(crate) async fn read<R: Send + 'static>(
        &self,
        what: &'static str,
        f: impl FnOnce(&Connection) -> rusqlite::Result<R> + Send + 'static,
    ) -> Result<R> {
        self.call(what, move |c, p| f(c).map_err(|e| sql_error(e, p, what))).await
    }
}

fn connect(path: &Path, mode: OpenMode) -> Result<Connection> {
    let flags = match mode {
        OpenMode::Create => OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE,
        OpenMode::ReadOnly => OpenFlags::SQLITE_OPEN_READ_ONLY,
    } | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(|e| sql_error(e, path, "opening"))?;
    conn.busy_timeout(Duration::from_secs(30)).map_err(|e| sql_error(e, path, "opening"))?;
    // The first read tells a database from any other file, before anything is written.
    conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get::<_, i64>(0))
        .map_err(|e| sql_error(e, path, "reading the schema"))?;
    if mode == OpenMode::Create && conn.is_readonly(rusqlite::MAIN_DB).unwrap_or(false) {
        return Err(Error::database_not_usable(format!(
            "{} is read-only; the sync needs to write it: fix its permissions or pass a writable path",
            path.display()
        )));
    }
    Ok(conn)
}

fn read_version(c: &Connection, path: &Path) -> Result<u32> {
    let err = |e| sql_error(e, path, "reading the schema version");
    let tables: Vec<String> = {
        let mut st = c
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
            .map_err(err)?;
        st.query_map([], |r| r.get(0)).map_err(err)?.collect::<rusqlite::Result<_>>().map_err(err)?
    };
    if tables.is_empty() {
        return Ok(0);
    }
    if !tables.iter().any(|t| t == "schema_version") {
        let foreign: Vec<&str> =
            tables.iter().map(String::as_str).filter(|t| !OWN_TABLES.contains(t)).take(5).collect();
        return Err(Error::database_not_usable(format!(
            "{} is an SQLite database but not an azs-usage one (tables: {}); it was left untouched: pass a new path",
            path.display(),
            if foreign.is_empty() { tables.join(", ") } else { foreign.join(", ") }
        )));
    }
    let v: Option<i64> = c.query_row("SELECT max(version) FROM schema_version", [], |r| r.get(0)).map_err(err)?;
    Ok(v.unwrap_or(0).max(0) as u32)
}

fn migrate(c: &mut Connection, path: &Path) -> Result<MigrationReport> {
    let from = read_version(c, path)?;
    if from > SCHEMA_VERSION {
        return Err(schema::too_new(from, &path.display().to_string()));
    }
    let err = |e| sql_error(e, path, "migrating");
    // WAL lets BI tools read while a sync writes; NORMAL keeps every commit atomic and consistent
    // (a power cut may lose the last commits, which the next run redoes: the watermark is in them).
    let mode: String = c.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0)).map_err(err)?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(Error::database_not_usable(format!(
            "{} cannot use write-ahead logging (journal mode stays '{mode}'); use a local disk",
            path.display()
        )));
    }
    c.pragma_update(None, "synchronous", "NORMAL").map_err(err)?;
    let mut applied = Vec::new();
    for m in schema::pending(from) {
        let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(err)?;
        // Another process may have migrated meanwhile.
        let now = read_version(&tx, path)?;
        if now >= m.version {
            continue;
        }
        tx.execute_batch(m.sqlite).map_err(err)?;
        tx.execute(
            "INSERT INTO schema_version (version, name, applied_at, tool_version) VALUES (?1, ?2, ?3, ?4)",
            params![m.version, m.name, instant_text(&Utc::now()), TOOL_VERSION],
        )
        .map_err(err)?;
        tx.commit().map_err(err)?;
        applied.push(format!("{:04}_{}", m.version, m.name));
    }
    Ok(MigrationReport { from, to: read_version(c, path)?, applied })
}

const SCOPE_WHERE: &str = "stamp = ?1 AND provider_subscription_id = ?2 AND granularity = ?3";

fn begin_window(c: &mut Connection, scope: &Scope, window: Window) -> rusqlite::Result<(u64, SummaryDelta)> {
    c.execute_batch("BEGIN IMMEDIATE")?;
    let (a, b) = (instant_text(&window.start), instant_text(&window.end));
    let g = scope.granularity_name();
    let cut: i64 = c.query_row(
        &format!(
            "SELECT count(*) FROM sync_windows WHERE {SCOPE_WHERE} AND reported_start < ?5 AND reported_end > ?4
             AND NOT (reported_start >= ?4 AND reported_end <= ?5)"
        ),
        params![scope.stamp, scope.provider_subscription_id, g, a, b],
        |r| r.get(0),
    )?;
    if cut > 0 {
        return Err(module_error(Error::internal(format!(
            "window {window} would cut {cut} stored window(s) in two (planning bug)"
        ))));
    }
    let mut delta = SummaryDelta::default();
    let mut removed = 0u64;
    {
        let mut st = c.prepare_cached(&format!(
            "SELECT usage_start_time, subscription_id, meter_id, quantity FROM usage_records
             WHERE {SCOPE_WHERE} AND reported_start >= ?4 AND reported_end <= ?5"
        ))?;
        let mut rows = st.query(params![scope.stamp, scope.provider_subscription_id, g, a, b])?;
        while let Some(r) = rows.next()? {
            let start = parse_instant(&r.get::<_, String>(0)?, "usage_start_time").map_err(module_error)?;
            let quantity = parse_decimal(&r.get::<_, String>(3)?, "quantity").map_err(module_error)?;
            let (sub, meter): (String, String) = (r.get(1)?, r.get(2)?);
            delta.add_parts(-1, start, &sub, &meter, "", "", "", quantity);
            removed += 1;
        }
    }
    c.execute(
        &format!("DELETE FROM usage_records WHERE {SCOPE_WHERE} AND reported_start >= ?4 AND reported_end <= ?5"),
        params![scope.stamp, scope.provider_subscription_id, g, a, b],
    )?;
    c.execute(
        &format!("DELETE FROM sync_windows WHERE {SCOPE_WHERE} AND reported_start >= ?4 AND reported_end <= ?5"),
        params![scope.stamp, scope.provider_subscription_id, g, a, b],
    )?;
    Ok((removed, delta))
}

/// Carries a store error through a rusqlite result; [`sql_error`] takes it back out unchanged.
pub(crate) fn module_error(e: Error) -> rusqlite::Error {
    rusqlite::Error::ToSqlConversionFailure(Box::new(e))
}

const INSERT_USAGE: &str = "INSERT INTO usage_records (stamp, provider_subscription_id, granularity, reported_start,
    reported_end, subscription_id, meter_id, meter_name, meter_category, unit, quantity, usage_start_time, usage_end_time,
    resource_uri, resource_group, resource_provider, resource_type, resource_name, location, tags, additional_info,
    instance_data, ingested_at) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21,?22,?23)";

fn insert_page(
    c: &Connection,
    scope: &Scope,
    window: Window,
    ingested_at: DateTime<Utc>,
    records: &[UsageRecord],
) -> rusqlite::Result<(u64, SummaryDelta)> {
    let mut st = c.prepare_cached(INSERT_USAGE)?;
    let (a, b, at) = (instant_text(&window.start), instant_text(&window.end), instant_text(&ingested_at));
    let g = scope.granularity_name();
    let mut delta = SummaryDelta::default();
    for r in records {
        st.execute(params![
            scope.stamp,
            scope.provider_subscription_id,
            g,
            a,
            b,
            r.subscription_id,
            r.meter_id,
            r.meter_name,
            r.meter_category,
            r.unit,
            decimal_text(&r.quantity),
            instant_text(&r.usage_start_time),
            instant_text(&r.usage_end_time),
            r.resource_uri,
            r.resource_group,
            r.resource_provider,
            r.resource_type,
            r.resource_name,
            r.location,
            map_json(&r.tags),
            map_json(&r.additional_info),
            r.instance_data,
            at,
        ])?;
        delta.add(1, r);
    }
    Ok((records.len() as u64, delta))
}

/// What closes a window's transaction.
#[derive(Debug)]
pub(crate) struct WindowFinish {
    pub(crate) scope: Scope,
    pub(crate) window: Window,
    pub(crate) run_id: i64,
    pub(crate) inserted: u64,
    pub(crate) replaced: u64,
    pub(crate) delta: SummaryDelta,
    /// Incremental windows move the watermark to their end; re-synced windows only extend a
    /// watermark they touch.
    pub(crate) advance_watermark: bool,
    pub(crate) now: DateTime<Utc>,
}

fn finish_window(c: &Connection, f: &WindowFinish) -> rusqlite::Result<()> {
    let s = &f.scope;
    let g = s.granularity_name();
    let (a, b, now) = (instant_text(&f.window.start), instant_text(&f.window.end), instant_text(&f.now));
    // Daily summaries: merge the delta into the stored rows of the dates it touches.
    let mut existing = BTreeMap::new();
    let dates = f.delta.dates();
    {
        let mut st = c.prepare_cached(
            "SELECT usage_date, subscription_id, meter_id, meter_name, meter_category, unit, records, quantity
             FROM usage_daily WHERE stamp = ?1 AND granularity = ?2 AND usage_date = ?3",
        )?;
        for date in &dates {
            let mut rows = st.query(params![s.stamp, g, date.to_string()])?;
            while let Some(r) = rows.next()? {
                let key = DailyKey { usage_date: *date, subscription_id: r.get(1)?, meter_id: r.get(2)? };
                let quantity = parse_decimal(&r.get::<_, String>(7)?, "quantity").map_err(module_error)?;
                existing.insert(
                    key,
                    DailyValue {
                        meter_name: r.get(3)?,
                        meter_category: r.get(4)?,
                        unit: r.get(5)?,
                        records: r.get(6)?,
                        quantity,
                    },
                );
            }
        }
    }
    let merged = f.delta.merge_into(existing).map_err(module_error)?;
    {
        let mut del =
            c.prepare_cached("DELETE FROM usage_daily WHERE stamp = ?1 AND granularity = ?2 AND usage_date = ?3")?;
        for date in &dates {
            del.execute(params![s.stamp, g, date.to_string()])?;
        }
        let mut ins = c.prepare_cached(
            "INSERT INTO usage_daily (stamp, granularity, usage_date, subscription_id, meter_id, meter_name, meter_category,
             unit, records, quantity) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)",
        )?;
        for (k, v) in &merged {
            ins.execute(params![
                s.stamp,
                g,
                k.usage_date.to_string(),
                k.subscription_id,
                k.meter_id,
                v.meter_name,
                v.meter_category,
                v.unit,
                v.records,
                decimal_text(&v.quantity)
            ])?;
        }
    }
    {
        let mut st = c.prepare_cached(
            "INSERT OR IGNORE INTO cost_dirty_months (stamp, granularity, month_start) VALUES (?1, ?2, ?3)",
        )?;
        for m in &f.delta.months {
            st.execute(params![s.stamp, g, instant_text(m)])?;
        }
    }
    c.execute(
        "INSERT INTO sync_windows (stamp, provider_subscription_id, granularity, reported_start, reported_end, records,
         run_id, synced_at) VALUES (?1,?2,?3,?4,?5,?6,?7,?8)",
        params![s.stamp, s.provider_subscription_id, g, a, b, f.inserted as i64, f.run_id, now],
    )?;
    if f.advance_watermark {
        c.execute(
            "INSERT INTO sync_state (stamp, provider_subscription_id, granularity, watermark, updated_at, run_id)
             VALUES (?1,?2,?3,?4,?5,?6)
             ON CONFLICT (stamp, provider_subscription_id, granularity) DO UPDATE SET
               watermark = max(watermark, excluded.watermark), updated_at = excluded.updated_at, run_id = excluded.run_id",
            params![s.stamp, s.provider_subscription_id, g, b, now, f.run_id],
        )?;
    } else {
        c.execute(
            &format!(
                "UPDATE sync_state SET watermark = ?5, updated_at = ?6, run_id = ?7
                 WHERE {SCOPE_WHERE} AND watermark >= ?4 AND watermark < ?5"
            ),
            params![s.stamp, s.provider_subscription_id, g, a, b, now, f.run_id],
        )?;
    }
    c.execute(
        &format!(
            "UPDATE sync_run_scopes SET windows = windows + 1, records_inserted = records_inserted + ?5,
             records_replaced = records_replaced + ?6 WHERE {SCOPE_WHERE} AND run_id = ?4"
        ),
        params![s.stamp, s.provider_subscription_id, g, f.run_id, f.inserted as i64, f.replaced as i64],
    )?;
    Ok(())
}

// ---- Reads used by the sync ----

pub(crate) fn watermark(c: &Connection, scope: &Scope) -> rusqlite::Result<Option<DateTime<Utc>>> {
    let text: Option<String> = c
        .query_row(
            &format!("SELECT watermark FROM sync_state WHERE {SCOPE_WHERE}"),
            params![scope.stamp, scope.provider_subscription_id, scope.granularity_name()],
            |r| r.get(0),
        )
        .optional()?;
    text.map(|t| parse_instant(&t, "watermark").map_err(module_error)).transpose()
}

pub(crate) fn stored_windows(
    c: &Connection,
    scope: &Scope,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> rusqlite::Result<Vec<Window>> {
    let mut st = c.prepare_cached(&format!(
        "SELECT reported_start, reported_end FROM sync_windows WHERE {SCOPE_WHERE} AND reported_start < ?5 AND reported_end > ?4
         ORDER BY reported_start"
    ))?;
    let rows = st.query_map(
        params![
            scope.stamp,
            scope.provider_subscription_id,
            scope.granularity_name(),
            instant_text(&from),
            instant_text(&to)
        ],
        |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)),
    )?;
    let mut out = Vec::new();
    for row in rows {
        let (a, b) = row?;
        out.push(Window {
            start: parse_instant(&a, "reported_start").map_err(module_error)?,
            end: parse_instant(&b, "reported_end").map_err(module_error)?,
        });
    }
    Ok(out)
}

/// Replaces the directory rows of one stamp.
pub(crate) fn replace_directory(
    c: &Connection,
    stamp: &str,
    rows: &[TenantSubscription],
    now: DateTime<Utc>,
) -> rusqlite::Result<()> {
    c.execute("DELETE FROM subscriptions WHERE stamp = ?1", [stamp])?;
    let mut st = c.prepare_cached(
        "INSERT OR REPLACE INTO subscriptions (stamp, subscription_id, display_name, owner, tenant_id, offer_id, offer_name,
         state, delegated_provider_subscription_id, provider_subscription_id, refreshed_at) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11)",
    )?;
    let at = instant_text(&now);
    for s in rows {
        st.execute(params![
            stamp,
            s.subscription_id.to_ascii_lowercase(),
            s.display_name,
            s.owner,
            s.tenant_id,
            s.offer_id,
            s.offer_name,
            s.state,
            s.delegated_provider_subscription_id,
            s.provider_subscription_id,
            at
        ])?;
    }
    Ok(())
}

/// The directory rows of one stamp.
pub(crate) fn directory(c: &Connection, stamp: &str) -> rusqlite::Result<Vec<TenantSubscription>> {
    let mut st = c.prepare_cached(
        "SELECT subscription_id, display_name, owner, tenant_id, offer_id, offer_name, state,
         delegated_provider_subscription_id, provider_subscription_id FROM subscriptions WHERE stamp = ?1 ORDER BY subscription_id",
    )?;
    st.query_map([stamp], |r| {
        Ok(TenantSubscription {
            subscription_id: r.get(0)?,
            display_name: r.get(1)?,
            owner: r.get(2)?,
            tenant_id: r.get(3)?,
            offer_id: r.get(4)?,
            offer_name: r.get(5)?,
            state: r.get(6)?,
            delegated_provider_subscription_id: r.get(7)?,
            provider_subscription_id: r.get(8)?,
        })
    })?
    .collect()
}

/// Reads one usage row (the columns of [`USAGE_COLUMNS`]) back into a record.
pub(crate) fn usage_record(r: &rusqlite::Row<'_>, offset: usize) -> rusqlite::Result<UsageRecord> {
    let text = |i: usize| r.get::<_, String>(offset + i);
    Ok(UsageRecord {
        subscription_id: text(0)?,
        meter_id: text(1)?,
        meter_name: text(2)?,
        meter_category: text(3)?,
        unit: text(4)?,
        quantity: parse_decimal(&text(5)?, "quantity").map_err(module_error)?,
        usage_start_time: parse_instant(&text(6)?, "usage_start_time").map_err(module_error)?,
        usage_end_time: parse_instant(&text(7)?, "usage_end_time").map_err(module_error)?,
        resource_uri: text(8)?,
        resource_group: text(9)?,
        resource_provider: text(10)?,
        resource_type: text(11)?,
        resource_name: text(12)?,
        location: text(13)?,
        tags: json_map(&text(14)?, "tags").map_err(module_error)?,
        additional_info: json_map(&text(15)?, "additional_info").map_err(module_error)?,
        instance_data: text(16)?,
    })
}

/// The record's columns in schema order.
pub(crate) const USAGE_COLUMNS: &str = "subscription_id, meter_id, meter_name, meter_category, unit, quantity,
    usage_start_time, usage_end_time, resource_uri, resource_group, resource_provider, resource_type, resource_name,
    location, tags, additional_info, instance_data";

/// A date as stored (`YYYY-MM-DD`).
#[allow(dead_code)]
pub(crate) fn date_text(d: &NaiveDate) -> String {
    d.to_string()
}
