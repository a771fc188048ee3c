//! `azs-usage export`: a month of a table as files for data lakes, partitioned
//! `DIR/<table>/YYYY/MM/<table>-YYYY-MM.<ext>`. Each file goes through the core's output rules
//! (`OutputTarget`): written beside its final name and renamed into place when complete, so a
//! re-export replaces a month as a whole and nothing half-written appears under a final name.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::builder::{Decimal128Builder, StringBuilder, TimestampMicrosecondBuilder};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use azs_usage_core::record::{format_decimal, format_instant};
use azs_usage_core::{FIELD_NAMES, Granularity, OutputTarget, UsageRecord};
use azs_usage_pricing::{FocusFormat, FocusRow, FocusWriter};
use chrono::{DateTime, TimeZone, Utc};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use rusqlite::params;
use rust_decimal::Decimal;
use tokio::sync::mpsc;

use crate::cost_rows::CostQuery;
use crate::db::Store;
use crate::error::{Error, Result};
use crate::model::{instant_text, next_month, parse_instant};
use crate::postgres::pg_error;
use crate::sqlite::{self, sql_error};

/// Which table to export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportTable {
    /// `usage_records`: the record schema's columns, then where each record came from.
    Usage,
    /// `focus_costs`: the FOCUS 1.2 cost rows the sync computed with `--rate-card`, in the pricing
    /// crate's FOCUS file format (the same columns and types as `azs-usage price` writes),
    /// partitioned by billing period.
    Focus,
}

impl ExportTable {
    fn name(self) -> &'static str {
        match self {
            ExportTable::Usage => "usage",
            ExportTable::Focus => "focus",
        }
    }
}

/// File format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// Apache Parquet (zstd), typed columns.
    Parquet,
    /// CSV with a header, the record schema's text forms.
    Csv,
}

/// What to export.
#[derive(Debug, Clone)]
pub struct ExportRequest {
    /// The table.
    pub table: ExportTable,
    /// The format.
    pub format: ExportFormat,
    /// Months as (year, month); empty = every month the table holds.
    pub months: Vec<(i32, u32)>,
    /// The root folder (created when missing; its parent must exist).
    pub output_dir: PathBuf,
    /// [`ExportTable::Focus`]: the granularity whose cost rows are written; `None` = the one a
    /// month holds (a month holding both is refused, as it would bill the same usage twice).
    pub granularity: Option<Granularity>,
}

/// One file written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportedFile {
    /// Where.
    pub path: PathBuf,
    /// The month, as (year, month).
    pub month: (i32, u32),
    /// Rows written.
    pub rows: u64,
    /// Quantities with more than [`QUANTITY_SCALE`] decimals, rounded to fit the Parquet decimal.
    pub rounded: u64,
}

/// The decimal scale of `Quantity` in Parquet files: Decimal128(38, 24) holds every value with up
/// to 24 decimals below 10^14.
pub const QUANTITY_SCALE: u32 = 24;

/// Extra columns after the record schema's, in file order.
pub const USAGE_EXTRA_COLUMNS: [&str; 6] =
    ["Stamp", "ProviderSubscriptionId", "Granularity", "ReportedStartTime", "ReportedEndTime", "IngestedAt"];

/// A usage record with where it came from.
#[derive(Debug, Clone)]
pub(crate) struct StoredUsage {
    pub(crate) record: UsageRecord,
    pub(crate) stamp: String,
    pub(crate) provider_subscription_id: String,
    pub(crate) granularity: String,
    pub(crate) reported_start: DateTime<Utc>,
    pub(crate) reported_end: DateTime<Utc>,
    pub(crate) ingested_at: DateTime<Utc>,
}

const BATCH: usize = 8192;

impl Store {
    /// Writes the requested months; returns the files, in month order.
    pub async fn export(&self, request: &ExportRequest) -> Result<Vec<ExportedFile>> {
        let root = &request.output_dir;
        if root.is_file() {
            return Err(Error::output_path_invalid(format!(
                "{} is a file; pass a folder for the export",
                root.display()
            )));
        }
        if let Some(parent) = root.parent().filter(|p| !p.as_os_str().is_empty())
            && !parent.is_dir()
        {
            return Err(Error::output_path_invalid(format!(
                "the parent folder {} of {} does not exist",
                parent.display(),
                root.display()
            )));
        }
        let months = match (request.months.is_empty(), request.table) {
            (false, _) => request.months.clone(),
            (true, ExportTable::Usage) => self.usage_months().await?,
            (true, ExportTable::Focus) => self.cost_months().await?,
        };
        let mut out = Vec::new();
        for (year, month) in months {
            let start = Utc
                .with_ymd_and_hms(year, month, 1, 0, 0, 0)
                .single()
                .ok_or_else(|| Error::invalid_argument(format!("{year}-{month:02} is not a month")))?;
            let dir = root.join(request.table.name()).join(format!("{year:04}")).join(format!("{month:02}"));
            std::fs::create_dir_all(&dir)
                .map_err(|e| Error::output_path_invalid(format!("cannot create {}: {e}", dir.display())))?;
            let ext = match request.format {
                ExportFormat::Parquet => "parquet",
                ExportFormat::Csv => "csv",
            };
            let path = dir.join(format!("{}-{year:04}-{month:02}.{ext}", request.table.name()));
            if request.table == ExportTable::Focus {
                let rows = self.export_focus_month(start, request, &path).await?;
                out.push(ExportedFile { path, month: (year, month), rows, rounded: 0 });
                continue;
            }
            let (tx, rx) = mpsc::channel::<Vec<StoredUsage>>(2);
            let writer = {
                let (path, format) = (path.clone(), request.format);
                tokio::task::spawn_blocking(move || write_usage_file(&path, format, rx))
            };
            let produced = self.stream_usage_month(start, tx).await;
            let written = writer.await.map_err(|e| Error::internal(format!("the export writer failed: {e}")))?;
            produced?;
            let (rows, rounded) = written?;
            out.push(ExportedFile { path, month: (year, month), rows, rounded });
        }
        Ok(out)
    }

    /// Writes one billing period's FOCUS cost rows through the pricing crate's writer (which
    /// follows the core's output rules: nothing appears under `path` until it is complete).
    async fn export_focus_month(&self, start: DateTime<Utc>, request: &ExportRequest, path: &Path) -> Result<u64> {
        let query = CostQuery { start: Some(start), end: Some(next_month(&start)), granularity: request.granularity };
        let scope = self.cost_scope(&query).await?;
        if !scope.stale_months.is_empty() {
            return Err(Error::invalid_argument(format!(
                "the cost rows of {} are out of date (usage changed after they were computed); run azs-usage sync \
                 --rate-card to recompute them, then export",
                scope.stale_months.join(", ")
            )));
        }
        let format = match request.format {
            ExportFormat::Parquet => FocusFormat::Parquet,
            ExportFormat::Csv => FocusFormat::Csv,
        };
        let (tx, rx) = mpsc::channel::<Vec<FocusRow>>(2);
        let writer = {
            let path = path.to_path_buf();
            tokio::task::spawn_blocking(move || write_focus_file(&path, format, rx))
        };
        let produced = self.stream_cost_rows(&scope, tx).await;
        let written = writer.await.map_err(|e| Error::internal(format!("the export writer failed: {e}")))?;
        produced?;
        written
    }

    /// Months (by billing period) that hold FOCUS cost rows.
    async fn cost_months(&self) -> Result<Vec<(i32, u32)>> {
        self.months_of(
            "listing cost months",
            "SELECT DISTINCT substr(billing_period_start, 1, 7) FROM focus_costs ORDER BY 1",
            "SELECT DISTINCT to_char(billing_period_start AT TIME ZONE 'UTC', 'YYYY-MM') FROM focus_costs ORDER BY 1",
        )
        .await
    }

    /// Months (by usage start) that hold usage.
    async fn usage_months(&self) -> Result<Vec<(i32, u32)>> {
        self.months_of(
            "listing months",
            "SELECT DISTINCT substr(usage_date, 1, 7) FROM usage_daily ORDER BY 1",
            "SELECT DISTINCT to_char(usage_date, 'YYYY-MM') FROM usage_daily ORDER BY 1",
        )
        .await
    }

    /// The (year, month) pairs a query of `YYYY-MM` texts returns, on either engine.
    async fn months_of(&self, what: &'static str, sqlite_sql: &'static str, pg_sql: &str) -> Result<Vec<(i32, u32)>> {
        let texts: Vec<String> = if let Some(db) = self.sqlite() {
            db.read(what, move |c| {
                let mut st = c.prepare(sqlite_sql)?;
                st.query_map([], |r| r.get(0))?.collect()
            })
            .await?
        } else if let Some(pg) = self.postgres() {
            let pg = pg.lock().await;
            pg.client()
                .query(pg_sql, &[])
                .await
                .map_err(|e| pg_error(&e, pg.url(), what))?
                .iter()
                .map(|r| r.get(0))
                .collect()
        } else {
            Vec::new()
        };
        Ok(texts
            .iter()
            .filter_map(|t| {
                let (y, m) = t.split_once('-')?;
                Some((y.parse().ok()?, m.parse().ok()?))
            })
            .collect())
    }

    /// Sends the month's usage rows in batches, ordered by stamp, usage start and resource.
    async fn stream_usage_month(&self, month: DateTime<Utc>, tx: mpsc::Sender<Vec<StoredUsage>>) -> Result<()> {
        let end = next_month(&month);
        let columns = format!(
            "stamp, provider_subscription_id, granularity, reported_start, reported_end, ingested_at, {}",
            sqlite::USAGE_COLUMNS
        );
        let order = "ORDER BY stamp, granularity, usage_start_time, resource_uri, meter_id";
        if let Some(db) = self.sqlite() {
            let sql = format!(
                "SELECT {columns} FROM usage_records WHERE usage_start_time >= ?1 AND usage_start_time < ?2 {order}"
            );
            let (a, b) = (instant_text(&month), instant_text(&end));
            return db
                .call("exporting", move |c, p| {
                    let err = |e| sql_error(e, p, "exporting");
                    let mut st = c.prepare(&sql).map_err(err)?;
                    let mut rows = st.query(params![a, b]).map_err(err)?;
                    let mut batch = Vec::with_capacity(BATCH);
                    while let Some(r) = rows.next().map_err(err)? {
                        let text = |i: usize| r.get::<_, String>(i);
                        batch.push(StoredUsage {
                            stamp: text(0).map_err(err)?,
                            provider_subscription_id: text(1).map_err(err)?,
                            granularity: text(2).map_err(err)?,
                            reported_start: parse_instant(&text(3).map_err(err)?, "reported_start")?,
                            reported_end: parse_instant(&text(4).map_err(err)?, "reported_end")?,
                            ingested_at: parse_instant(&text(5).map_err(err)?, "ingested_at")?,
                            record: sqlite::usage_record(r, 6).map_err(err)?,
                        });
                        if batch.len() == BATCH && tx.blocking_send(std::mem::take(&mut batch)).is_err() {
                            return Ok(()); // the writer failed; it reports why
                        }
                    }
                    if !batch.is_empty() {
                        let _ = tx.blocking_send(batch);
                    }
                    Ok(())
                })
                .await;
        }
        let Some(pg) = self.postgres() else { return Ok(()) };
        let mut pg = pg.lock().await;
        let url = pg.url().clone();
        let err = |e: tokio_postgres::Error| pg_error(&e, &url, "exporting");
        let t = pg.client_mut().transaction().await.map_err(err)?;
        let st = t
            .prepare(&format!(
                "SELECT {columns} FROM usage_records WHERE usage_start_time >= $1 AND usage_start_time < $2 {order}"
            ))
            .await
            .map_err(err)?;
        let portal = t.bind(&st, &[&month, &end]).await.map_err(err)?;
        loop {
            let rows = t.query_portal(&portal, BATCH as i32).await.map_err(err)?;
            if rows.is_empty() {
                break;
            }
            let mut batch = Vec::with_capacity(rows.len());
            for r in &rows {
                batch.push(StoredUsage {
                    stamp: r.get(0),
                    provider_subscription_id: r.get(1),
                    granularity: r.get(2),
                    reported_start: r.get(3),
                    reported_end: r.get(4),
                    ingested_at: r.get(5),
                    record: crate::postgres::usage_record(r, 6)?,
                });
            }
            if tx.send(batch).await.is_err() {
                break;
            }
        }
        t.commit().await.map_err(err)?;
        Ok(())
    }
}

/// Writes the FOCUS rows received into one file; returns the rows written. Dropped on an error,
/// the writer removes its temporary file.
fn write_focus_file(path: &Path, format: FocusFormat, mut rx: mpsc::Receiver<Vec<FocusRow>>) -> Result<u64> {
    let err = |e: azs_usage_pricing::Error| Error::from_layer(&e);
    let mut writer = FocusWriter::create(path, format).map_err(err)?;
    let mut rows = 0u64;
    while let Some(batch) = rx.blocking_recv() {
        for row in &batch {
            writer.write(row).map_err(err)?;
        }
        rows += batch.len() as u64;
    }
    writer.finish_file().map_err(err)?;
    Ok(rows)
}

/// Writes one month's file through the core's output rules (`azs_usage_core::OutputTarget`): a
/// temporary file beside `path`, renamed onto it only when complete, so a failed or interrupted
/// export never leaves a half-written file under the final name (the previous one stays).
fn write_usage_file(path: &Path, format: ExportFormat, mut rx: mpsc::Receiver<Vec<StoredUsage>>) -> Result<(u64, u64)> {
    let target = OutputTarget::resolve(path).map_err(|e| Error::from_client(&e))?;
    let out = target.create().map_err(|e| Error::from_client(&e))?;
    let write_err = |e: &dyn std::fmt::Display| Error::output_write_failed(format!("writing {}: {e}", path.display()));
    let (mut rows, mut rounded) = (0u64, 0u64);
    // Dropping `out` (on any error below) removes the temporary file.
    let out = match format {
        ExportFormat::Csv => {
            let mut csv = csv::Writer::from_writer(out);
            csv.write_record(FIELD_NAMES.iter().chain(USAGE_EXTRA_COLUMNS.iter())).map_err(|e| write_err(&e))?;
            while let Some(batch) = rx.blocking_recv() {
                for u in &batch {
                    let mut fields = u.record.text_fields().to_vec();
                    fields.extend([
                        u.stamp.clone(),
                        u.provider_subscription_id.clone(),
                        u.granularity.clone(),
                        format_instant(&u.reported_start),
                        format_instant(&u.reported_end),
                        format_instant(&u.ingested_at),
                    ]);
                    csv.write_record(&fields).map_err(|e| write_err(&e))?;
                    rows += 1;
                }
            }
            csv.into_inner().map_err(|e| write_err(&e))?
        }
        ExportFormat::Parquet => {
            let schema = Arc::new(usage_schema());
            let props = WriterProperties::builder()
                .set_compression(Compression::ZSTD(ZstdLevel::try_new(3).map_err(|e| write_err(&e))?))
                .build();
            let mut writer = ArrowWriter::try_new(out, schema.clone(), Some(props)).map_err(|e| write_err(&e))?;
            while let Some(batch) = rx.blocking_recv() {
                let (record_batch, r) = usage_batch(&schema, &batch).map_err(|e| write_err(&e))?;
                rounded += r;
                rows += batch.len() as u64;
                writer.write(&record_batch).map_err(|e| write_err(&e))?;
            }
            writer.into_inner().map_err(|e| write_err(&e))?
        }
    };
    out.commit().map_err(|e| Error::from_client(&e))?;
    Ok((rows, rounded))
}

/// The usage file's Parquet schema: strings, a decimal quantity, UTC timestamps.
pub(crate) fn usage_schema() -> Schema {
    let ts = || DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()));
    let mut fields: Vec<Field> = FIELD_NAMES
        .iter()
        .map(|name| match *name {
            "Quantity" => Field::new(*name, DataType::Decimal128(38, QUANTITY_SCALE as i8), false),
            "UsageStartTime" | "UsageEndTime" => Field::new(*name, ts(), false),
            _ => Field::new(*name, DataType::Utf8, false),
        })
        .collect();
    for name in USAGE_EXTRA_COLUMNS {
        fields.push(match name {
            "ReportedStartTime" | "ReportedEndTime" | "IngestedAt" => Field::new(name, ts(), false),
            _ => Field::new(name, DataType::Utf8, false),
        });
    }
    Schema::new(fields)
}

fn usage_batch(schema: &Arc<Schema>, rows: &[StoredUsage]) -> std::result::Result<(RecordBatch, u64), String> {
    let n = rows.len();
    let mut rounded = 0u64;
    let strings = |f: &dyn Fn(&StoredUsage) -> String| -> ArrayRef {
        let mut b = StringBuilder::with_capacity(n, n * 16);
        for r in rows {
            b.append_value(f(r));
        }
        Arc::new(b.finish())
    };
    let times = |f: &dyn Fn(&StoredUsage) -> DateTime<Utc>| -> ArrayRef {
        let mut b = TimestampMicrosecondBuilder::with_capacity(n).with_timezone("UTC");
        for r in rows {
            b.append_value(f(r).timestamp_micros());
        }
        Arc::new(b.finish())
    };
    let mut quantity = Decimal128Builder::with_capacity(n)
        .with_precision_and_scale(38, QUANTITY_SCALE as i8)
        .map_err(|e| e.to_string())?;
    for r in rows {
        let (value, was_rounded) = scaled(r.record.quantity).ok_or_else(|| {
            format!(
                "quantity {} of {} does not fit Decimal128(38, {QUANTITY_SCALE})",
                format_decimal(&r.record.quantity),
                r.record.resource_uri
            )
        })?;
        rounded += u64::from(was_rounded);
        quantity.append_value(value);
    }
    let columns: Vec<ArrayRef> = vec![
        strings(&|r| r.record.subscription_id.clone()),
        strings(&|r| r.record.meter_id.clone()),
        strings(&|r| r.record.meter_name.clone()),
        strings(&|r| r.record.meter_category.clone()),
        strings(&|r| r.record.unit.clone()),
        Arc::new(quantity.finish()),
        times(&|r| r.record.usage_start_time),
        times(&|r| r.record.usage_end_time),
        strings(&|r| r.record.resource_uri.clone()),
        strings(&|r| r.record.resource_group.clone()),
        strings(&|r| r.record.resource_provider.clone()),
        strings(&|r| r.record.resource_type.clone()),
        strings(&|r| r.record.resource_name.clone()),
        strings(&|r| r.record.location.clone()),
        strings(&|r| r.record.tags.to_string()),
        strings(&|r| r.record.additional_info.to_string()),
        strings(&|r| r.record.instance_data.clone()),
        strings(&|r| r.stamp.clone()),
        strings(&|r| r.provider_subscription_id.clone()),
        strings(&|r| r.granularity.clone()),
        times(&|r| r.reported_start),
        times(&|r| r.reported_end),
        times(&|r| r.ingested_at),
    ];
    let batch = RecordBatch::try_new(schema.clone(), columns).map_err(|e| e.to_string())?;
    Ok((batch, rounded))
}

/// The unscaled i128 of `d` at [`QUANTITY_SCALE`], and whether digits beyond it were rounded off.
pub(crate) fn scaled(d: Decimal) -> Option<(i128, bool)> {
    let mut v = d;
    let mut rounded = false;
    if v.scale() > QUANTITY_SCALE {
        v = v.round_dp(QUANTITY_SCALE);
        rounded = v != d;
    }
    let mantissa = v.mantissa();
    let factor = 10i128.checked_pow(QUANTITY_SCALE - v.scale())?;
    let value = mantissa.checked_mul(factor)?;
    (value.abs() < 10i128.pow(38)).then_some((value, rounded))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_scale_exactly() {
        let d: Decimal = "0.0013440860215053762".parse().unwrap();
        let (v, r) = scaled(d).unwrap();
        assert_eq!(v, 13_440_860_215_053_762 * 10i128.pow(5));
        assert!(!r);
        assert_eq!(scaled(Decimal::from(5)).unwrap().0, 5 * 10i128.pow(24));
        let tiny: Decimal = "0.0000000000000000000000000012".parse().unwrap();
        assert_eq!(scaled(tiny).unwrap(), (0, true));
    }
}
