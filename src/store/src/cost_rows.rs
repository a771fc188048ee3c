//! Reading the stored FOCUS cost rows back for a report, and the usage that has no cost row.
//!
//! Both are streamed in batches through a channel (as the export does), so a month of a million
//! rows never sits in memory: the SQLite rows are read on the connection thread, the PostgreSQL
//! rows through a portal, and the caller sums each batch as it arrives.

use azs_usage_core::{Granularity, StringMap, UsageRecord};
use azs_usage_pricing::FocusRow;
use chrono::{DateTime, TimeZone, Utc};
use rusqlite::params;
use rust_decimal::Decimal;
use tokio::sync::mpsc;

use crate::costs::focus_column_names;
use crate::db::Store;
use crate::error::{Error, Result};
use crate::model::{granularity_name, instant_text, json_map, parse_decimal, parse_instant};
use crate::postgres::pg_error;
use crate::sqlite::{self, sql_error};

/// Rows per batch sent to the reader.
const BATCH: usize = 4096;

/// Which stored rows a report reads: cost rows by their charge period start, unpriced usage by
/// its usage start (both inclusive start, exclusive end, as FOCUS periods are).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CostQuery {
    /// First instant kept; `None` = from the first row.
    pub start: Option<DateTime<Utc>>,
    /// First instant no longer kept; `None` = to the last row.
    pub end: Option<DateTime<Utc>>,
    /// The granularity whose rows are read. `None`: the one the period holds (a stamp synced at
    /// both holds the same usage twice, so [`Store::cost_scope`] refuses to pick one).
    pub granularity: Option<Granularity>,
}

/// What a report from the database reads, resolved by [`Store::cost_scope`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CostScope {
    query: CostQuery,
    /// `Hourly` or `Daily`; `None` when the period holds no usage and no cost rows at all.
    pub granularity: Option<&'static str>,
    /// Months of the period whose usage changed after their cost rows were computed, or whose
    /// cost rows were never computed (`stamp 'lab', Hourly, 2026-11`): their cost rows are out of
    /// date, and their usage is not counted as unpriced (the store cannot tell yet).
    pub stale_months: Vec<String>,
}

impl CostScope {
    /// The query it was resolved from.
    pub fn query(&self) -> CostQuery {
        self.query
    }
}

/// The bounds of a query; an open side is a year no stored row reaches (and PostgreSQL accepts).
fn bounds(q: &CostQuery) -> (DateTime<Utc>, DateTime<Utc>) {
    let year = |y| Utc.with_ymd_and_hms(y, 1, 1, 0, 0, 0).single().unwrap_or_default();
    (q.start.unwrap_or_else(|| year(1)), q.end.unwrap_or_else(|| year(9999)))
}

/// SQLite text bounds: every stored instant sorts between them.
fn text_bounds(q: &CostQuery) -> (String, String) {
    (
        q.start.map(|t| instant_text(&t)).unwrap_or_default(),
        q.end.map(|t| instant_text(&t)).unwrap_or_else(|| "\u{10FFFF}".to_string()),
    )
}

impl Store {
    /// Resolves `query` for a report: the granularity to read (refused with
    /// [`Reason::InvalidArgument`](crate::Reason::InvalidArgument) when the period holds both
    /// and none was chosen) and the months whose costs are out of date.
    pub async fn cost_scope(&self, query: &CostQuery) -> Result<CostScope> {
        let (stale, held): (Vec<(String, String, String)>, Vec<String>) = if let Some(db) = self.sqlite() {
            let (a, b) = text_bounds(query);
            db.read("reading the cost months", move |c| {
                // A dirty month overlaps the period when it starts before the end and its next
                // month starts after the start: compare by month text (YYYY-MM).
                let mut st = c.prepare(
                    "SELECT stamp, granularity, substr(month_start, 1, 7) FROM cost_dirty_months
                     WHERE month_start < ?2 AND substr(month_start, 1, 7) >= substr(?1, 1, 7)
                     ORDER BY 1, 2, 3",
                )?;
                let stale = st
                    .query_map(params![a, b], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                let mut st = c.prepare(
                    "SELECT granularity FROM focus_costs WHERE charge_period_start >= ?1 AND charge_period_start < ?2
                     UNION SELECT granularity FROM usage_records WHERE usage_start_time >= ?1 AND usage_start_time < ?2
                     ORDER BY 1",
                )?;
                let held = st.query_map(params![a, b], |r| r.get(0))?.collect::<rusqlite::Result<Vec<String>>>()?;
                Ok((stale, held))
            })
            .await?
        } else if let Some(pg) = self.postgres() {
            let pg = pg.lock().await;
            let (a, b) = bounds(query);
            let err = |e: tokio_postgres::Error| pg_error(&e, pg.url(), "reading the cost months");
            let stale = pg
                .client()
                .query(
                    "SELECT stamp, granularity, to_char(month_start AT TIME ZONE 'UTC', 'YYYY-MM') FROM cost_dirty_months
                     WHERE month_start < $2 AND month_start + interval '1 month' > $1 ORDER BY 1, 2, 3",
                    &[&a, &b],
                )
                .await
                .map_err(err)?
                .iter()
                .map(|r| (r.get(0), r.get(1), r.get(2)))
                .collect();
            let held = pg
                .client()
                .query(
                    "SELECT granularity FROM focus_costs WHERE charge_period_start >= $1 AND charge_period_start < $2
                     UNION SELECT granularity FROM usage_records WHERE usage_start_time >= $1 AND usage_start_time < $2
                     ORDER BY 1",
                    &[&a, &b],
                )
                .await
                .map_err(err)?
                .iter()
                .map(|r| r.get(0))
                .collect();
            (stale, held)
        } else {
            (Vec::new(), Vec::new())
        };
        let granularity = match query.granularity {
            Some(g) => Some(granularity_name(g)),
            None => match held.as_slice() {
                [] => None,
                [one] => Some(if one == "Daily" { "Daily" } else { "Hourly" }),
                _ => {
                    return Err(Error::invalid_argument(format!(
                        "{} holds {} usage for this period, the same usage counted twice: choose one with \
                         --granularity (-Granularity)",
                        self.url(),
                        held.join(" and ")
                    )));
                }
            },
        };
        let stale_months = stale
            .into_iter()
            .filter(|(_, g, _)| Some(g.as_str()) == granularity)
            .map(|(stamp, g, month)| format!("stamp '{stamp}', {g}, {month}"))
            .collect();
        Ok(CostScope { query: *query, granularity, stale_months })
    }

    /// Sends the scope's cost rows in batches, in charge period order. Returns the rows sent; a
    /// closed channel (the reader failed) ends it early without an error.
    pub async fn stream_cost_rows(&self, scope: &CostScope, tx: mpsc::Sender<Vec<FocusRow>>) -> Result<u64> {
        let Some(granularity) = scope.granularity else { return Ok(0) };
        let columns = focus_column_names().join(", ");
        let order = "ORDER BY charge_period_start, stamp, sub_account_id, resource_id, x_meter_id";
        if let Some(db) = self.sqlite() {
            let sql = format!(
                "SELECT {columns} FROM focus_costs WHERE granularity = ?1 AND charge_period_start >= ?2
                 AND charge_period_start < ?3 {order}"
            );
            let (a, b) = text_bounds(&scope.query);
            return db
                .call("reading the cost rows", move |c, p| {
                    let err = |e| sql_error(e, p, "reading the cost rows");
                    let mut st = c.prepare(&sql).map_err(err)?;
                    let mut rows = st.query(params![granularity, a, b]).map_err(err)?;
                    stream_sqlite(&mut rows, &tx, |r| focus_row(&SqliteCells(r)), err)
                })
                .await;
        }
        let Some(pg) = self.postgres() else { return Ok(0) };
        let sql = format!(
            "SELECT {columns} FROM focus_costs WHERE granularity = $1 AND charge_period_start >= $2
             AND charge_period_start < $3 {order}"
        );
        let (a, b) = bounds(&scope.query);
        stream_postgres(pg, &sql, &[&granularity, &a, &b], "reading the cost rows", |r| focus_row(&PgCells(r)), &tx)
            .await
    }

    /// Sends the scope's usage records that have no cost row (no rate card row priced them), in
    /// usage start order. A record is priced when a cost row of its stamp and granularity has
    /// its subscription, meter, resource and usage start; months whose costs are out of date
    /// ([`CostScope::stale_months`]) are left out, since their cost rows do not say yet.
    pub async fn stream_unpriced(&self, scope: &CostScope, tx: mpsc::Sender<Vec<UsageRecord>>) -> Result<u64> {
        let Some(granularity) = scope.granularity else { return Ok(0) };
        let columns = sqlite::USAGE_COLUMNS.split(',').map(|c| format!("u.{}", c.trim())).collect::<Vec<_>>();
        let columns = columns.join(", ");
        if let Some(db) = self.sqlite() {
            // NOT IN over a row value: SQLite materialises the period's cost keys into a temporary
            // index once (a correlated NOT EXISTS would scan the stamp's cost rows per record).
            let sql = format!(
                "SELECT {columns} FROM usage_records u WHERE u.granularity = ?1 AND u.usage_start_time >= ?2
                 AND u.usage_start_time < ?3
                 AND NOT EXISTS (SELECT 1 FROM cost_dirty_months d WHERE d.stamp = u.stamp AND d.granularity = u.granularity
                     AND substr(d.month_start, 1, 7) = substr(u.usage_start_time, 1, 7))
                 AND (u.stamp, u.usage_start_time, u.subscription_id, u.meter_id, u.resource_uri) NOT IN (
                     SELECT stamp, charge_period_start, sub_account_id, x_meter_id, resource_id FROM focus_costs
                     WHERE granularity = ?1 AND charge_period_start >= ?2 AND charge_period_start < ?3)
                 ORDER BY u.usage_start_time, u.stamp, u.subscription_id, u.resource_uri, u.meter_id"
            );
            let (a, b) = text_bounds(&scope.query);
            return db
                .call("reading the unpriced usage", move |c, p| {
                    let err = |e| sql_error(e, p, "reading the unpriced usage");
                    let mut st = c.prepare(&sql).map_err(err)?;
                    let mut rows = st.query(params![granularity, a, b]).map_err(err)?;
                    stream_sqlite(&mut rows, &tx, |r| sqlite::usage_record(r, 0).map_err(err), err)
                })
                .await;
        }
        let Some(pg) = self.postgres() else { return Ok(0) };
        let sql = format!(
            "SELECT {columns} FROM usage_records u WHERE u.granularity = $1 AND u.usage_start_time >= $2
             AND u.usage_start_time < $3
             AND NOT EXISTS (SELECT 1 FROM cost_dirty_months d WHERE d.stamp = u.stamp AND d.granularity = u.granularity
                 AND d.month_start = date_trunc('month', u.usage_start_time AT TIME ZONE 'UTC') AT TIME ZONE 'UTC')
             AND NOT EXISTS (SELECT 1 FROM focus_costs f WHERE f.stamp = u.stamp AND f.granularity = u.granularity
                 AND f.charge_period_start = u.usage_start_time AND f.sub_account_id = u.subscription_id
                 AND f.x_meter_id = u.meter_id AND f.resource_id = u.resource_uri)
             ORDER BY u.usage_start_time, u.stamp, u.subscription_id, u.resource_uri, u.meter_id"
        );
        let (a, b) = bounds(&scope.query);
        let convert = |r: &tokio_postgres::Row| crate::postgres::usage_record(r, 0);
        stream_postgres(pg, &sql, &[&granularity, &a, &b], "reading the unpriced usage", convert, &tx).await
    }
}

/// Reads a PostgreSQL query's rows through a portal, in batches, and sends them (the twin of
/// [`stream_sqlite`]). A closed channel (the reader failed) ends it early without an error.
async fn stream_postgres<T>(
    pg: &tokio::sync::Mutex<crate::postgres::Postgres>,
    sql: &str,
    params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    what: &'static str,
    convert: impl Fn(&tokio_postgres::Row) -> Result<T>,
    tx: &mpsc::Sender<Vec<T>>,
) -> Result<u64> {
    let mut pg = pg.lock().await;
    let url = pg.url().clone();
    let err = |e: tokio_postgres::Error| pg_error(&e, &url, what);
    let t = pg.client_mut().transaction().await.map_err(err)?;
    let st = t.prepare(sql).await.map_err(err)?;
    let portal = t.bind(&st, params).await.map_err(err)?;
    let mut sent = 0u64;
    loop {
        let rows = t.query_portal(&portal, BATCH as i32).await.map_err(err)?;
        if rows.is_empty() {
            break;
        }
        let batch = rows.iter().map(&convert).collect::<Result<Vec<_>>>()?;
        sent += batch.len() as u64;
        if tx.send(batch).await.is_err() {
            break;
        }
    }
    t.commit().await.map_err(err)?;
    Ok(sent)
}

/// Reads SQLite rows into batches on the connection thread and sends them.
fn stream_sqlite<T>(
    rows: &mut rusqlite::Rows<'_>,
    tx: &mpsc::Sender<Vec<T>>,
    convert: impl Fn(&rusqlite::Row<'_>) -> Result<T>,
    err: impl Fn(rusqlite::Error) -> Error,
) -> Result<u64> {
    let mut batch = Vec::with_capacity(BATCH);
    let mut sent = 0u64;
    while let Some(r) = rows.next().map_err(&err)? {
        batch.push(convert(r)?);
        if batch.len() == BATCH {
            sent += batch.len() as u64;
            if tx.blocking_send(std::mem::take(&mut batch)).is_err() {
                return Ok(sent); // the reader stopped; it reports why
            }
        }
    }
    if !batch.is_empty() {
        sent += batch.len() as u64;
        let _ = tx.blocking_send(batch);
    }
    Ok(sent)
}

/// Typed cells of one stored row, whichever the engine.
trait Cells {
    fn text(&self, i: usize) -> Result<String>;
    fn nullable_text(&self, i: usize) -> Result<Option<String>>;
    fn decimal(&self, i: usize, column: &str) -> Result<Decimal>;
    fn instant(&self, i: usize, column: &str) -> Result<DateTime<Utc>>;
    fn map(&self, i: usize, column: &str) -> Result<StringMap>;
}

struct SqliteCells<'a, 'b>(&'a rusqlite::Row<'b>);

fn cell_error(e: rusqlite::Error) -> Error {
    Error::database_not_usable(format!("a cost row cannot be read back: {e}"))
}

impl Cells for SqliteCells<'_, '_> {
    fn text(&self, i: usize) -> Result<String> {
        self.0.get(i).map_err(cell_error)
    }
    fn nullable_text(&self, i: usize) -> Result<Option<String>> {
        self.0.get(i).map_err(cell_error)
    }
    fn decimal(&self, i: usize, column: &str) -> Result<Decimal> {
        parse_decimal(&self.text(i)?, column)
    }
    fn instant(&self, i: usize, column: &str) -> Result<DateTime<Utc>> {
        parse_instant(&self.text(i)?, column)
    }
    fn map(&self, i: usize, column: &str) -> Result<StringMap> {
        json_map(&self.text(i)?, column)
    }
}

struct PgCells<'a>(&'a tokio_postgres::Row);

fn pg_cell_error(e: tokio_postgres::Error) -> Error {
    Error::database_not_usable(format!("a cost row cannot be read back: {e}"))
}

impl Cells for PgCells<'_> {
    fn text(&self, i: usize) -> Result<String> {
        self.0.try_get(i).map_err(pg_cell_error)
    }
    fn nullable_text(&self, i: usize) -> Result<Option<String>> {
        self.0.try_get(i).map_err(pg_cell_error)
    }
    fn decimal(&self, i: usize, _column: &str) -> Result<Decimal> {
        self.0.try_get(i).map_err(pg_cell_error)
    }
    fn instant(&self, i: usize, _column: &str) -> Result<DateTime<Utc>> {
        self.0.try_get(i).map_err(pg_cell_error)
    }
    fn map(&self, i: usize, column: &str) -> Result<StringMap> {
        let value: serde_json::Value = self.0.try_get(i).map_err(pg_cell_error)?;
        json_map(&value.to_string(), column)
    }
}

/// One row of `focus_costs` (its FOCUS columns in [`focus_column_names`] order) as a FOCUS row.
fn focus_row(c: &impl Cells) -> Result<FocusRow> {
    Ok(FocusRow {
        billed_cost: c.decimal(0, "billed_cost")?,
        billing_account_id: c.text(1)?,
        billing_account_name: c.text(2)?,
        billing_currency: c.text(3)?,
        billing_period_end: c.instant(4, "billing_period_end")?,
        billing_period_start: c.instant(5, "billing_period_start")?,
        charge_category: c.text(6)?,
        charge_class: c.nullable_text(7)?,
        charge_description: c.text(8)?,
        charge_period_end: c.instant(9, "charge_period_end")?,
        charge_period_start: c.instant(10, "charge_period_start")?,
        contracted_cost: c.decimal(11, "contracted_cost")?,
        effective_cost: c.decimal(12, "effective_cost")?,
        invoice_issuer_name: c.text(13)?,
        list_cost: c.decimal(14, "list_cost")?,
        pricing_quantity: c.decimal(15, "pricing_quantity")?,
        pricing_unit: c.text(16)?,
        provider_name: c.text(17)?,
        publisher_name: c.text(18)?,
        service_category: c.text(19)?,
        service_name: c.text(20)?,
        charge_frequency: c.text(21)?,
        consumed_quantity: c.decimal(22, "consumed_quantity")?,
        consumed_unit: c.text(23)?,
        contracted_unit_price: c.decimal(24, "contracted_unit_price")?,
        list_unit_price: c.decimal(25, "list_unit_price")?,
        pricing_category: c.text(26)?,
        region_id: c.text(27)?,
        region_name: c.text(28)?,
        resource_id: c.text(29)?,
        resource_name: c.text(30)?,
        resource_type: c.text(31)?,
        service_subcategory: c.text(32)?,
        sku_id: c.text(33)?,
        sku_meter: c.text(34)?,
        sku_price_details: c.text(35)?,
        sku_price_id: c.text(36)?,
        sub_account_id: c.text(37)?,
        sub_account_name: c.text(38)?,
        sub_account_type: c.text(39)?,
        tags: c.map(40, "tags")?,
        x_meter_id: c.text(41)?,
        x_meter_category: c.text(42)?,
        x_resource_group: c.text(43)?,
        x_tenant_id: c.text(44)?,
        x_owner: c.text(45)?,
        x_offer_name: c.text(46)?,
    })
}
