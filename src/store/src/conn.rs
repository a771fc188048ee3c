//! One database connection of a run, whichever the engine: the operations the sync performs,
//! each in its own transaction, and the window transaction that streams pages in.

use azs_usage_core::{Page, TenantSubscription};
use chrono::{DateTime, Utc};
use futures::StreamExt;
use futures::stream::BoxStream;
use postgres_types::{ToSql, Type};
use rusqlite::params;
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_util::sync::CancellationToken;

use crate::costs::{Cell, CostModel, CostOutcome, CostSummary, MonthPricer, focus_cells, focus_column_names};
use crate::error::{Error, Result};
use crate::events::{EventHook, SyncEvent};
use crate::failpoint;
use crate::model::{Scope, SummaryDelta, Window, decimal_text, instant_text, next_month};
use crate::postgres::{self, JsonText, Postgres, pg_error};
use crate::sqlite::{self, Sqlite, WindowFinish};

/// Where events go and what cancels the run.
#[derive(Clone)]
pub(crate) struct RunContext {
    pub(crate) events: Option<EventHook>,
    pub(crate) cancel: CancellationToken,
}

impl RunContext {
    pub(crate) fn emit(&self, event: SyncEvent) {
        if let Some(hook) = &self.events {
            hook(&event);
        }
    }
}

/// A window to write.
#[derive(Debug, Clone)]
pub(crate) struct WindowJob {
    pub(crate) scope: Scope,
    pub(crate) window: Window,
    pub(crate) index: usize,
    pub(crate) total: usize,
    pub(crate) run_id: i64,
    pub(crate) advance_watermark: bool,
}

/// What a committed window did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct WindowOutcome {
    pub(crate) inserted: u64,
    pub(crate) replaced: u64,
}

/// A connection of the run.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)] // one per stamp of a run: boxing would buy nothing
pub(crate) enum Conn {
    Sqlite(Sqlite),
    Postgres(Postgres),
}

/// Rolls an SQLite window back unless disarmed (errors, cancellation, panics).
struct Rollback<'a>(Option<&'a Sqlite>);

impl Drop for Rollback<'_> {
    fn drop(&mut self) {
        if let Some(db) = self.0 {
            db.rollback_soon();
        }
    }
}

async fn next_page(
    pages: &mut BoxStream<'static, azs_usage_core::Result<Page>>,
    ctx: &RunContext,
    job: &WindowJob,
) -> Result<Option<Page>> {
    let next = tokio::select! {
        biased;
        _ = ctx.cancel.cancelled() => return Err(Error::cancelled()),
        next = pages.next() => next,
    };
    match next {
        None => Ok(None),
        Some(Err(e)) => Err(Error::from_client(&e).context(format!("{}: window {}", job.scope, job.window))),
        Some(Ok(page)) => {
            for key in &page.duplicates {
                ctx.emit(SyncEvent::Duplicate { scope: job.scope.clone(), key: key.clone() });
            }
            Ok(Some(page))
        }
    }
}

impl Conn {
    /// The watermark of `scope`, if it was ever synced.
    pub(crate) async fn watermark(&mut self, scope: &Scope) -> Result<Option<DateTime<Utc>>> {
        match self {
            Conn::Sqlite(db) => {
                let scope = scope.clone();
                db.read("reading the watermark", move |c| sqlite::watermark(c, &scope)).await
            }
            Conn::Postgres(pg) => postgres::watermark(pg_client(pg), pg.url(), scope).await,
        }
    }

    /// Stored windows of `scope` overlapping `[from, to)`, in order.
    pub(crate) async fn stored_windows(
        &mut self,
        scope: &Scope,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Window>> {
        match self {
            Conn::Sqlite(db) => {
                let scope = scope.clone();
                db.read("reading the stored windows", move |c| sqlite::stored_windows(c, &scope, from, to)).await
            }
            Conn::Postgres(pg) => postgres::stored_windows(pg_client(pg), pg.url(), scope, from, to).await,
        }
    }

    /// Replaces a window's records with the pages of `pages`, in one transaction with the
    /// window's summaries, its row in `sync_windows`, the watermark and the run's counters.
    pub(crate) async fn write_window(
        &mut self,
        job: &WindowJob,
        mut pages: BoxStream<'static, azs_usage_core::Result<Page>>,
        ctx: &RunContext,
    ) -> Result<WindowOutcome> {
        let ingested_at = Utc::now();
        match self {
            Conn::Sqlite(db) => {
                let _turn = db.turn().await;
                let mut guard = Rollback(Some(&*db));
                let (replaced, mut delta) = db.begin_window(&job.scope, job.window).await?;
                emit_started(job, ctx);
                let mut inserted = 0u64;
                let mut pending: Option<tokio::sync::oneshot::Receiver<Result<(u64, SummaryDelta)>>> = None;
                let stored = |rx: tokio::sync::oneshot::Receiver<Result<(u64, SummaryDelta)>>| async move {
                    rx.await.map_err(|_| Error::internal("the SQLite thread ended while inserting"))?
                };
                while let Some(page) = next_page(&mut pages, ctx, job).await? {
                    if let Some(rx) = pending.take() {
                        let (n, d) = stored(rx).await?;
                        inserted += n;
                        delta.absorb(d);
                        page_stored(job, ctx, inserted);
                    }
                    pending = Some(db.insert_page(&job.scope, job.window, ingested_at, page.records));
                }
                if let Some(rx) = pending.take() {
                    let (n, d) = stored(rx).await?;
                    inserted += n;
                    delta.absorb(d);
                    page_stored(job, ctx, inserted);
                }
                db.finish_window(finish(job, inserted, replaced, delta)).await?;
                failpoint::hit("window-before-commit");
                db.commit().await?;
                guard.0 = None;
                failpoint::hit("window-committed");
                Ok(WindowOutcome { inserted, replaced })
            }
            Conn::Postgres(pg) => {
                let url = pg.url().clone();
                let err = |what: &'static str| {
                    let url = &url;
                    move |e: tokio_postgres::Error| pg_error(&e, url, what)
                };
                let tx = pg.client_mut().transaction().await.map_err(err("beginning a window"))?;
                let (replaced, mut delta) = postgres::remove_window(&tx, &url, &job.scope, job.window).await?;
                emit_started(job, ctx);
                let sink = tx.copy_in(postgres::USAGE_COPY).await.map_err(err("starting the copy"))?;
                let writer = BinaryCopyInWriter::new(sink, &postgres::USAGE_TYPES);
                futures::pin_mut!(writer);
                let mut inserted = 0u64;
                while let Some(page) = next_page(&mut pages, ctx, job).await? {
                    let d =
                        postgres::copy_page(writer.as_mut(), &url, &job.scope, job.window, ingested_at, &page.records)
                            .await?;
                    inserted += page.records.len() as u64;
                    delta.absorb(d);
                    page_stored(job, ctx, inserted);
                }
                let copied = writer.as_mut().finish().await.map_err(err("finishing the copy"))?;
                if copied != inserted {
                    return Err(Error::internal(format!("COPY stored {copied} of {inserted} records")));
                }
                postgres::finish_window(&tx, &url, &finish(job, inserted, replaced, delta)).await?;
                failpoint::hit("window-before-commit");
                tx.commit().await.map_err(err("committing a window"))?;
                failpoint::hit("window-committed");
                Ok(WindowOutcome { inserted, replaced })
            }
        }
    }

    /// Replaces a stamp's directory rows.
    pub(crate) async fn replace_directory(&mut self, stamp: &str, rows: Vec<TenantSubscription>) -> Result<()> {
        let now = Utc::now();
        match self {
            Conn::Sqlite(db) => {
                let stamp = stamp.to_string();
                db.transaction("storing the directory", move |c| {
                    sqlite::replace_directory(c, &stamp, &rows, now)?;
                    failpoint::hit("directory-written");
                    Ok(())
                })
                .await
            }
            Conn::Postgres(pg) => {
                let url = pg.url().clone();
                let tx =
                    pg.client_mut().transaction().await.map_err(|e| pg_error(&e, &url, "storing the directory"))?;
                postgres::replace_directory(&tx, &url, stamp, &rows, now).await?;
                failpoint::hit("directory-written");
                tx.commit().await.map_err(|e| pg_error(&e, &url, "storing the directory"))
            }
        }
    }

    /// A stamp's stored directory.
    pub(crate) async fn directory(&mut self, stamp: &str) -> Result<Vec<TenantSubscription>> {
        match self {
            Conn::Sqlite(db) => {
                let stamp = stamp.to_string();
                db.read("reading the directory", move |c| sqlite::directory(c, &stamp)).await
            }
            Conn::Postgres(pg) => postgres::directory(pg_client(pg), pg.url(), stamp).await,
        }
    }

    /// Adds the scope's row to the run's history.
    pub(crate) async fn start_scope(&mut self, run_id: i64, scope: &Scope) -> Result<()> {
        let g = scope.granularity_name();
        match self {
            Conn::Sqlite(db) => {
                let s = scope.clone();
                db.transaction("recording the run", move |c| {
                    c.execute(
                        "INSERT OR REPLACE INTO sync_run_scopes (run_id, stamp, provider_subscription_id, granularity, status)
                         VALUES (?1, ?2, ?3, ?4, 'running')",
                        params![run_id, s.stamp, s.provider_subscription_id, g],
                    )?;
                    Ok(())
                })
                .await
            }
            Conn::Postgres(pg) => pg_client(pg)
                .execute(
                    "INSERT INTO sync_run_scopes (run_id, stamp, provider_subscription_id, granularity, status)
                     VALUES ($1, $2, $3, $4, 'running') ON CONFLICT DO NOTHING",
                    &[&run_id, &scope.stamp, &scope.provider_subscription_id, &g],
                )
                .await
                .map(|_| ())
                .map_err(|e| pg_error(&e, pg.url(), "recording the run")),
        }
    }

    /// Sets the scope's final status and error in the run's history.
    pub(crate) async fn finish_scope(&mut self, run_id: i64, scope: &Scope, status: &str, error: &str) -> Result<()> {
        let g = scope.granularity_name();
        let (status, error) = (status.to_string(), error.to_string());
        match self {
            Conn::Sqlite(db) => {
                let s = scope.clone();
                db.transaction("recording the run", move |c| {
                    c.execute(
                        "UPDATE sync_run_scopes SET status = ?5, error = ?6
                         WHERE run_id = ?1 AND stamp = ?2 AND provider_subscription_id = ?3 AND granularity = ?4",
                        params![run_id, s.stamp, s.provider_subscription_id, g, status, error],
                    )?;
                    Ok(())
                })
                .await
            }
            Conn::Postgres(pg) => pg_client(pg)
                .execute(
                    "UPDATE sync_run_scopes SET status = $5, error = $6
                     WHERE run_id = $1 AND stamp = $2 AND provider_subscription_id = $3 AND granularity = $4",
                    &[&run_id, &scope.stamp, &scope.provider_subscription_id, &g, &status, &error],
                )
                .await
                .map(|_| ())
                .map_err(|e| pg_error(&e, pg.url(), "recording the run")),
        }
    }

    /// Months of (stamp, granularity) whose usage changed since their costs were computed.
    pub(crate) async fn dirty_months(&mut self, stamp: &str, granularity: &str) -> Result<Vec<DateTime<Utc>>> {
        match self {
            Conn::Sqlite(db) => {
                let (stamp, granularity) = (stamp.to_string(), granularity.to_string());
                let texts: Vec<String> = db
                    .read("reading the months to price", move |c| {
                        let mut st = c.prepare(
                            "SELECT month_start FROM cost_dirty_months WHERE stamp = ?1 AND granularity = ?2 ORDER BY month_start",
                        )?;
                        st.query_map(params![stamp, granularity], |r| r.get(0))?.collect()
                    })
                    .await?;
                texts.iter().map(|t| crate::model::parse_instant(t, "month_start")).collect()
            }
            Conn::Postgres(pg) => Ok(pg_client(pg)
                .query(
                    "SELECT month_start FROM cost_dirty_months WHERE stamp = $1 AND granularity = $2 ORDER BY month_start",
                    &[&stamp, &granularity],
                )
                .await
                .map_err(|e| pg_error(&e, pg.url(), "reading the months to price"))?
                .iter()
                .map(|r| r.get(0))
                .collect()),
        }
    }

    /// Records the rate card (idempotent: its id is its content hash).
    pub(crate) async fn store_rate_card(&mut self, model: &dyn CostModel) -> Result<()> {
        let (id, source, currency, now) = (model.rate_card_id(), model.source(), model.currency(), Utc::now());
        let rows = model.rows();
        match self {
            Conn::Sqlite(db) => {
                db.transaction("storing the rate card", move |c| {
                    let new = c.execute(
                        "INSERT OR IGNORE INTO rate_cards (rate_card_id, source, currency, loaded_at) VALUES (?1, ?2, ?3, ?4)",
                        params![id, source, currency, instant_text(&now)],
                    )?;
                    if new == 1 {
                        let mut st = c.prepare(
                            "INSERT INTO rate_card_rows (rate_card_id, row_number, meter_id, unit_price, currency, block_size,
                             included_quantity, tier_start, effective_from, effective_to, scope, meter_name, unit, description,
                             source_line) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15)",
                        )?;
                        for (i, r) in rows.iter().enumerate() {
                            st.execute(params![
                                id,
                                i as i64 + 1,
                                r.meter_id,
                                decimal_text(&r.unit_price),
                                r.currency,
                                decimal_text(&r.block_size),
                                decimal_text(&r.included_quantity),
                                decimal_text(&r.tier_start),
                                r.effective_from.as_ref().map(instant_text),
                                r.effective_to.as_ref().map(instant_text),
                                r.scope.to_string(),
                                r.meter_name,
                                r.unit,
                                r.description,
                                r.line as i64
                            ])?;
                        }
                    }
                    Ok(())
                })
                .await
            }
            Conn::Postgres(pg) => {
                let url = pg.url().clone();
                let err = |e: tokio_postgres::Error| pg_error(&e, &url, "storing the rate card");
                let tx = pg.client_mut().transaction().await.map_err(err)?;
                let new = tx
                    .execute(
                        "INSERT INTO rate_cards (rate_card_id, source, currency, loaded_at) VALUES ($1, $2, $3, $4)
                         ON CONFLICT DO NOTHING",
                        &[&id, &source, &currency, &now],
                    )
                    .await
                    .map_err(err)?;
                if new == 1 {
                    let st = tx
                        .prepare(
                            "INSERT INTO rate_card_rows (rate_card_id, row_number, meter_id, unit_price, currency, block_size,
                             included_quantity, tier_start, effective_from, effective_to, scope, meter_name, unit, description,
                             source_line) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15)",
                        )
                        .await
                        .map_err(err)?;
                    for (i, r) in rows.iter().enumerate() {
                        tx.execute(
                            &st,
                            &[
                                &id,
                                &(i as i32 + 1),
                                &r.meter_id,
                                &r.unit_price,
                                &r.currency,
                                &r.block_size,
                                &r.included_quantity,
                                &r.tier_start,
                                &r.effective_from,
                                &r.effective_to,
                                &r.scope.to_string(),
                                &r.meter_name,
                                &r.unit,
                                &r.description,
                                &(r.line as i32),
                            ],
                        )
                        .await
                        .map_err(err)?;
                    }
                }
                tx.commit().await.map_err(err)
            }
        }
    }

    /// Replaces the cost rows and cost summaries of one month as a whole, from the month's usage
    /// records in (UsageStartTime, ResourceUri) order, and clears the month's mark.
    pub(crate) async fn recompute_month(
        &mut self,
        stamp: &str,
        granularity: &str,
        month: DateTime<Utc>,
        mut pricer: Box<dyn MonthPricer>,
        rate_card_id: String,
    ) -> Result<CostOutcome> {
        let end = next_month(&month);
        let now = Utc::now();
        match self {
            Conn::Sqlite(db) => {
                let (stamp, granularity) = (stamp.to_string(), granularity.to_string());
                db.transaction("recomputing costs", move |c| {
                    let (m, e) = (instant_text(&month), instant_text(&end));
                    for table in ["focus_costs", "cost_monthly", "cost_by_tag"] {
                        c.execute(
                            &format!("DELETE FROM {table} WHERE stamp = ?1 AND granularity = ?2 AND billing_period_start = ?3"),
                            params![stamp, granularity, m],
                        )?;
                    }
                    let mut insert = c.prepare(&sqlite_focus_insert())?;
                    let mut read = c.prepare(&format!(
                        "SELECT {} FROM usage_records WHERE stamp = ?1 AND granularity = ?2 AND usage_start_time >= ?3
                         AND usage_start_time < ?4 ORDER BY usage_start_time, resource_uri",
                        sqlite::USAGE_COLUMNS
                    ))?;
                    let mut rows = read.query(params![stamp, granularity, m, e])?;
                    let mut summary = CostSummary::default();
                    let mut outcome = CostOutcome::default();
                    let (at, card) = (instant_text(&now), rate_card_id.clone());
                    while let Some(row) = rows.next()? {
                        let record = sqlite::usage_record(row, 0)?;
                        let Some(cost) = pricer.price(&record) else {
                            outcome.unpriced += 1;
                            continue;
                        };
                        let cells: Vec<Option<String>> = focus_cells(&cost).iter().map(Cell::text).collect();
                        let mut values: Vec<&dyn rusqlite::ToSql> = vec![&stamp, &granularity];
                        values.extend(cells.iter().map(|c| c as &dyn rusqlite::ToSql));
                        values.push(&card);
                        values.push(&at);
                        insert.execute(values.as_slice())?;
                        summary.add(&cost);
                        outcome.rows += 1;
                        if outcome.rows == 1 {
                            failpoint::hit("costs-mid");
                        }
                    }
                    write_summaries_sqlite(c, &stamp, &granularity, &m, &summary)?;
                    c.execute(
                        "DELETE FROM cost_dirty_months WHERE stamp = ?1 AND granularity = ?2 AND month_start = ?3",
                        params![stamp, granularity, m],
                    )?;
                    Ok(outcome)
                })
                .await
            }
            Conn::Postgres(pg) => {
                let url = pg.url().clone();
                let err = |e: tokio_postgres::Error| pg_error(&e, &url, "recomputing costs");
                let tx = pg.client_mut().transaction().await.map_err(err)?;
                for table in ["focus_costs", "cost_monthly", "cost_by_tag"] {
                    tx.execute(
                        &format!(
                            "DELETE FROM {table} WHERE stamp = $1 AND granularity = $2 AND billing_period_start = $3"
                        ),
                        &[&stamp, &granularity, &month],
                    )
                    .await
                    .map_err(err)?;
                }
                let read = tx
                    .prepare(&format!(
                        // Byte order, as SQLite's BINARY collation and the pricing crate expect: a database's
                        // locale collation would order resource URIs differently and move the tier boundaries.
                        "SELECT {} FROM usage_records WHERE stamp = $1 AND granularity = $2 AND usage_start_time >= $3
                         AND usage_start_time < $4 ORDER BY usage_start_time, resource_uri COLLATE \"C\"",
                        sqlite::USAGE_COLUMNS
                    ))
                    .await
                    .map_err(err)?;
                let portal = tx.bind(&read, &[&stamp, &granularity, &month, &end]).await.map_err(err)?;
                let mut summary = CostSummary::default();
                let mut outcome = CostOutcome::default();
                loop {
                    let batch = tx.query_portal(&portal, 5000).await.map_err(err)?;
                    if batch.is_empty() {
                        break;
                    }
                    let mut costs = Vec::with_capacity(batch.len());
                    for row in &batch {
                        match pricer.price(&postgres::usage_record(row, 0)?) {
                            Some(cost) => costs.push(cost),
                            None => outcome.unpriced += 1,
                        }
                    }
                    let sink = tx.copy_in(&postgres_focus_copy()).await.map_err(err)?;
                    let writer = BinaryCopyInWriter::new(sink, &focus_types());
                    futures::pin_mut!(writer);
                    for cost in &costs {
                        write_focus_row(writer.as_mut(), stamp, granularity, cost, &rate_card_id, now)
                            .await
                            .map_err(err)?;
                        summary.add(cost);
                        outcome.rows += 1;
                        if outcome.rows == 1 {
                            failpoint::hit("costs-mid");
                        }
                    }
                    writer.finish().await.map_err(err)?;
                }
                write_summaries_postgres(&tx, stamp, granularity, month, &summary).await.map_err(err)?;
                tx.execute(
                    "DELETE FROM cost_dirty_months WHERE stamp = $1 AND granularity = $2 AND month_start = $3",
                    &[&stamp, &granularity, &month],
                )
                .await
                .map_err(err)?;
                tx.commit().await.map_err(err)?;
                Ok(outcome)
            }
        }
    }

    /// Reconnects a PostgreSQL connection and takes `stamp`'s lock again (no-op on SQLite).
    pub(crate) async fn reconnect(&mut self, stamp: Option<&str>) -> Result<()> {
        if let Conn::Postgres(pg) = self {
            let fresh = Postgres::connect(pg.url()).await.map_err(Error::transient)?;
            if let Some(stamp) = stamp
                && !fresh.lock_stamp(stamp, false).await?
            {
                return Err(Error::sync_locked(format!(
                    "stamp '{stamp}': the connection was lost and another run took the lock meanwhile"
                )));
            }
            *pg = fresh;
        }
        Ok(())
    }
}

fn pg_client(pg: &Postgres) -> &tokio_postgres::Client {
    pg.client()
}

fn emit_started(job: &WindowJob, ctx: &RunContext) {
    ctx.emit(SyncEvent::WindowStarted {
        scope: job.scope.clone(),
        window: job.window,
        index: job.index,
        total: job.total,
    });
    failpoint::hit("window-begun");
}

fn page_stored(job: &WindowJob, ctx: &RunContext, records: u64) {
    ctx.emit(SyncEvent::PageStored { scope: job.scope.clone(), window: job.window, records });
    failpoint::hit("window-page");
}

fn finish(job: &WindowJob, inserted: u64, replaced: u64, delta: SummaryDelta) -> WindowFinish {
    WindowFinish {
        scope: job.scope.clone(),
        window: job.window,
        run_id: job.run_id,
        inserted,
        replaced,
        delta,
        advance_watermark: job.advance_watermark,
        now: Utc::now(),
    }
}

fn sqlite_focus_insert() -> String {
    let cols = focus_column_names();
    let n = cols.len() + 4;
    let marks: Vec<String> = (1..=n).map(|i| format!("?{i}")).collect();
    format!(
        "INSERT INTO focus_costs (stamp, granularity, {}, rate_card_id, computed_at) VALUES ({})",
        cols.join(", "),
        marks.join(",")
    )
}

fn postgres_focus_copy() -> String {
    format!(
        "COPY focus_costs (stamp, granularity, {}, rate_card_id, computed_at) FROM STDIN (FORMAT binary)",
        focus_column_names().join(", ")
    )
}

fn focus_types() -> Vec<Type> {
    let mut types = vec![Type::TEXT, Type::TEXT];
    let sample = azs_usage_pricing::FOCUS_COLUMNS;
    for (i, _) in sample.iter().enumerate() {
        types.push(match i {
            0 | 11 | 12 | 14 | 15 | 22 | 24 | 25 => Type::NUMERIC,
            4 | 5 | 9 | 10 => Type::TIMESTAMPTZ,
            40 => Type::JSON,
            _ => Type::TEXT,
        });
    }
    types.push(Type::TEXT);
    types.push(Type::TIMESTAMPTZ);
    types
}

async fn write_focus_row(
    writer: std::pin::Pin<&mut BinaryCopyInWriter>,
    stamp: &str,
    granularity: &str,
    row: &azs_usage_pricing::FocusRow,
    rate_card_id: &str,
    now: DateTime<Utc>,
) -> std::result::Result<(), tokio_postgres::Error> {
    let cells = focus_cells(row);
    let owned: Vec<PgCell<'_>> = cells.iter().map(PgCell::from).collect();
    let mut values: Vec<&(dyn ToSql + Sync)> = vec![&stamp, &granularity];
    values.extend(owned.iter().map(|c| c.as_sql()));
    values.push(&rate_card_id);
    values.push(&now);
    writer.write(&values).await
}

/// A FOCUS cell as a PostgreSQL value.
enum PgCell<'a> {
    Text(&'a str),
    Null(Option<&'a str>),
    Decimal(rust_decimal::Decimal),
    Instant(DateTime<Utc>),
    Json(JsonText<'a>),
}

impl<'a> From<&'a Cell<'a>> for PgCell<'a> {
    fn from(c: &'a Cell<'a>) -> Self {
        match c {
            Cell::Text(s) => PgCell::Text(s),
            Cell::NullableText(s) => PgCell::Null(*s),
            Cell::Decimal(d) => PgCell::Decimal(*d),
            Cell::Instant(t) => PgCell::Instant(*t),
            Cell::Json(s) => PgCell::Json(JsonText(s)),
        }
    }
}

impl PgCell<'_> {
    fn as_sql(&self) -> &(dyn ToSql + Sync) {
        match self {
            PgCell::Text(s) => s,
            PgCell::Null(s) => s,
            PgCell::Decimal(d) => d,
            PgCell::Instant(t) => t,
            PgCell::Json(j) => j,
        }
    }
}

fn write_summaries_sqlite(
    c: &rusqlite::Connection,
    stamp: &str,
    granularity: &str,
    month: &str,
    s: &CostSummary,
) -> rusqlite::Result<()> {
    let mut monthly = c.prepare(
        "INSERT INTO cost_monthly (stamp, granularity, billing_period_start, billing_currency, sub_account_id,
         sub_account_name, tenant_id, owner, offer_name, cost_rows, billed_cost, effective_cost, list_cost, contracted_cost)
         VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14)",
    )?;
    for ((cur, sub), (acct, m)) in &s.monthly {
        monthly.execute(params![
            stamp,
            granularity,
            month,
            cur,
            sub,
            acct.name,
            acct.tenant_id,
            acct.owner,
            acct.offer_name,
            m.rows,
            decimal_text(&m.billed),
            decimal_text(&m.effective),
            decimal_text(&m.list),
            decimal_text(&m.contracted)
        ])?;
    }
    let mut tags = c.prepare(
        "INSERT INTO cost_by_tag (stamp, granularity, billing_period_start, billing_currency, tag_key, tag_value,
         cost_rows, billed_cost, effective_cost) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9)",
    )?;
    for (cur, key, value, m) in s.tag_rows() {
        tags.execute(params![
            stamp,
            granularity,
            month,
            cur,
            key,
            value,
            m.rows,
            decimal_text(&m.billed),
            decimal_text(&m.effective)
        ])?;
    }
    Ok(())
}

async fn write_summaries_postgres(
    tx: &tokio_postgres::Transaction<'_>,
    stamp: &str,
    granularity: &str,
    month: DateTime<Utc>,
    s: &CostSummary,
) -> std::result::Result<(), tokio_postgres::Error> {
    let monthly = tx
        .prepare(
            "INSERT INTO cost_monthly (stamp, granularity, billing_period_start, billing_currency, sub_account_id,
             sub_account_name, tenant_id, owner, offer_name, cost_rows, billed_cost, effective_cost, list_cost, contracted_cost)
             VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14)",
        )
        .await?;
    for ((cur, sub), (acct, m)) in &s.monthly {
        tx.execute(
            &monthly,
            &[
                &stamp,
                &granularity,
                &month,
                cur,
                sub,
                &acct.name,
                &acct.tenant_id,
                &acct.owner,
                &acct.offer_name,
                &m.rows,
                &m.billed,
                &m.effective,
                &m.list,
                &m.contracted,
            ],
        )
        .await?;
    }
    let tags = tx
        .prepare(
            "INSERT INTO cost_by_tag (stamp, granularity, billing_period_start, billing_currency, tag_key, tag_value,
             cost_rows, billed_cost, effective_cost) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)",
        )
        .await?;
    for (cur, key, value, m) in s.tag_rows() {
        tx.execute(&tags, &[&stamp, &granularity, &month, &cur, &key, &value, &m.rows, &m.billed, &m.effective])
            .await?;
    }
    Ok(())
}
