//! FOCUS file writers: CSV and Parquet, streamed with flat memory, over any [`Write`].
//!
//! Formats (FOCUS 1.2 attributes): instants in UTC as `YYYY-MM-DDTHH:mm:ssZ`, decimals in plain
//! notation (no exponent, `.` separator), `Tags` as a JSON object, null as an empty CSV cell
//! (an empty string in a row is written as null: FOCUS forbids empty strings standing for null).
//!
//! Parquet columns are typed: decimals are `Decimal128(38, 18)` (see [`PARQUET_DECIMAL_SCALE`]),
//! instants `Timestamp(Microsecond, "UTC")`, text UTF-8. Rows are buffered in batches of
//! [`BATCH_ROWS`] and flushed in row groups of at most [`ROW_GROUP_ROWS`], so memory stays flat
//! whatever the number of rows.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::builder::{Decimal128Builder, StringBuilder, TimestampMicrosecondBuilder};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use azs_usage_core::StringMap;
use azs_usage_core::record::{format_decimal, format_instant};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use rust_decimal::{Decimal, RoundingStrategy};

use crate::columns::{Cell, KINDS, Kind, cells};
use crate::error::{Error, Result, shown};
use crate::focus::{FOCUS_COLUMNS, FocusRow};
use crate::output::{OutputFile, create_output};

/// Precision of the Parquet decimal columns (the largest `Decimal128` allows).
pub const PARQUET_DECIMAL_PRECISION: u8 = 38;

/// Scale of the Parquet decimal columns: 18 fractional digits and 20 integer digits. That holds
/// every realistic cost, price and quantity exactly (a month of a petabyte in byte-hours is
/// 7.4e17); digits beyond the 18th decimal place (below 1e-18 of a currency unit, which only
/// products of full-precision double quantities produce) are rounded half to even. The CSV
/// keeps every digit. A value of 1e20 or more cannot be written and fails the write.
pub const PARQUET_DECIMAL_SCALE: i8 = 18;

/// Rows per Arrow batch handed to the Parquet writer.
pub const BATCH_ROWS: usize = 8192;

/// Rows per Parquet row group.
pub const ROW_GROUP_ROWS: usize = 65_536;

/// The FOCUS version the files follow (also in the Parquet file's key-value metadata).
pub const FOCUS_VERSION: &str = "1.2";

/// The file format of a FOCUS cost file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FocusFormat {
    /// CSV, UTF-8, a header line of [`FOCUS_COLUMNS`].
    Csv,
    /// Parquet with typed columns.
    Parquet,
}

impl FocusFormat {
    /// `Parquet` for a `.parquet` / `.pq` file name, else `Csv`.
    pub fn from_path(path: &Path) -> FocusFormat {
        match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
            Some("parquet" | "pq") => FocusFormat::Parquet,
            _ => FocusFormat::Csv,
        }
    }
}

/// Writes FOCUS rows to a sink in one format. Call [`FocusWriter::finish`] to complete the file;
/// a writer dropped unfinished leaves an incomplete document in its sink (with
/// [`FocusWriter::create`], nothing at the final path).
pub struct FocusWriter<W: Write + Send> {
    encoder: Encoder<W>,
    target: String,
    rows: u64,
}

impl<W: Write + Send> std::fmt::Debug for FocusWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FocusWriter").field("target", &self.target).field("rows", &self.rows).finish_non_exhaustive()
    }
}

enum Encoder<W: Write + Send> {
    Csv(Box<csv::Writer<W>>),
    Parquet(Box<ParquetEncoder<W>>),
}

impl FocusWriter<OutputFile> {
    /// Creates the file at `path` (temporary file, renamed by [`FocusWriter::finish_file`]).
    pub fn create(path: &Path, format: FocusFormat) -> Result<FocusWriter<OutputFile>> {
        let out = create_output(path)?;
        FocusWriter::with_target(out, format, shown(path))
    }

    /// Completes the document and renames the file into place; returns its path.
    pub fn finish_file(self) -> Result<PathBuf> {
        self.finish()?.commit()
    }
}

impl<W: Write + Send> FocusWriter<W> {
    /// A writer over any sink (a file, a buffer, a pipe). The CSV header is written at once.
    pub fn new(sink: W, format: FocusFormat) -> Result<FocusWriter<W>> {
        FocusWriter::with_target(sink, format, "the FOCUS output".to_string())
    }

    fn with_target(sink: W, format: FocusFormat, target: String) -> Result<FocusWriter<W>> {
        let encoder = match format {
            FocusFormat::Csv => {
                let mut csv = csv::WriterBuilder::new().has_headers(false).from_writer(sink);
                csv.write_record(FOCUS_COLUMNS).map_err(|e| Error::output_write(&target, e))?;
                Encoder::Csv(Box::new(csv))
            }
            FocusFormat::Parquet => Encoder::Parquet(Box::new(ParquetEncoder::new(sink, &target)?)),
        };
        Ok(FocusWriter { encoder, target, rows: 0 })
    }

    /// Writes one row.
    pub fn write(&mut self, row: &FocusRow) -> Result<()> {
        match &mut self.encoder {
            Encoder::Csv(csv) => {
                let fields = cells(row).map(|c| csv_text(&c));
                csv.write_record(&fields).map_err(|e| Error::output_write(&self.target, e))?;
            }
            Encoder::Parquet(p) => p.push(row, self.rows, &self.target)?,
        }
        self.rows += 1;
        Ok(())
    }

    /// Rows written so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Completes the document (the Parquet footer) and flushes; returns the sink.
    pub fn finish(self) -> Result<W> {
        let target = self.target;
        match self.encoder {
            Encoder::Csv(csv) => csv.into_inner().map_err(|e| Error::output_write(&target, e.error())),
            Encoder::Parquet(p) => p.finish(&target),
        }
    }
}

/// A cell in the CSV's text form.
fn csv_text(cell: &Cell<'_>) -> String {
    match cell {
        Cell::Dec(d) => format_decimal(d),
        Cell::Str(s) => s.unwrap_or_default().to_string(),
        Cell::Time(t) => format_instant(t),
        Cell::Tags(m) => tags_json(m),
    }
}

/// A tag map as a FOCUS key-value JSON object, keys in their original order, values unaltered.
pub(crate) fn tags_json(tags: &StringMap) -> String {
    let mut map = serde_json::Map::with_capacity(tags.len());
    for (k, v) in tags.iter() {
        map.insert(k.to_string(), serde_json::Value::String(v.to_string()));
    }
    serde_json::Value::Object(map).to_string()
}

/// The Arrow schema of a FOCUS Parquet file.
pub(crate) fn arrow_schema() -> SchemaRef {
    let fields: Vec<Field> = FOCUS_COLUMNS
        .iter()
        .zip(KINDS)
        .map(|(name, kind)| match kind {
            Kind::Dec => {
                Field::new(*name, DataType::Decimal128(PARQUET_DECIMAL_PRECISION, PARQUET_DECIMAL_SCALE), false)
            }
            Kind::Time => Field::new(*name, DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())), false),
            Kind::Str | Kind::OptStr | Kind::Tags => Field::new(*name, DataType::Utf8, true),
        })
        .collect();
    Arc::new(Schema::new(fields))
}

enum Builder {
    Dec(Decimal128Builder),
    Str(StringBuilder),
    Time(TimestampMicrosecondBuilder),
}

struct ParquetEncoder<W: Write + Send> {
    writer: ArrowWriter<W>,
    schema: SchemaRef,
    builders: Vec<Builder>,
    buffered: usize,
}

impl<W: Write + Send> ParquetEncoder<W> {
    fn new(sink: W, target: &str) -> Result<Self> {
        let schema = arrow_schema();
        let props = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
            .set_created_by(format!("azs-usage {}", env!("CARGO_PKG_VERSION")))
            .set_key_value_metadata(Some(vec![
                KeyValue::new("FocusVersion".to_string(), FOCUS_VERSION.to_string()),
                KeyValue::new(
                    "x_DecimalColumns".to_string(),
                    format!("Decimal128({PARQUET_DECIMAL_PRECISION}, {PARQUET_DECIMAL_SCALE})"),
                ),
            ]))
            .build();
        let writer =
            ArrowWriter::try_new(sink, schema.clone(), Some(props)).map_err(|e| Error::output_write(target, e))?;
        Ok(ParquetEncoder { writer, schema, builders: new_builders(), buffered: 0 })
    }

    fn push(&mut self, row: &FocusRow, index: u64, target: &str) -> Result<()> {
        for (column, (cell, builder)) in cells(row).iter().zip(self.builders.iter_mut()).enumerate() {
            match (cell, builder) {
                (Cell::Dec(d), Builder::Dec(b)) => b.append_value(to_decimal128(*d).ok_or_else(|| {
                    Error::output_write(
                        target,
                        format!(
                            "row {}: {} = {d} does not fit Parquet's Decimal128({PARQUET_DECIMAL_PRECISION}, {PARQUET_DECIMAL_SCALE}) (1e20 or more); write CSV instead",
                            index + 1,
                            FOCUS_COLUMNS[column]
                        ),
                    )
                })?),
                (Cell::Str(s), Builder::Str(b)) => b.append_option(*s),
                (Cell::Tags(m), Builder::Str(b)) => b.append_value(tags_json(m)),
                (Cell::Time(t), Builder::Time(b)) => b.append_value(t.timestamp_micros()),
                _ => return Err(Error::output_write(target, "internal error: a FOCUS cell does not match its column")),
            }
        }
        self.buffered += 1;
        if self.buffered == BATCH_ROWS {
            self.flush_batch(target)?;
        }
        Ok(())
    }

    fn flush_batch(&mut self, target: &str) -> Result<()> {
        if self.buffered == 0 {
            return Ok(());
        }
        let arrays: Vec<ArrayRef> = self
            .builders
            .iter_mut()
            .map(|b| -> ArrayRef {
                match b {
                    Builder::Dec(b) => Arc::new(
                        b.finish()
                            .with_precision_and_scale(PARQUET_DECIMAL_PRECISION, PARQUET_DECIMAL_SCALE)
                            .expect("valid decimal type"),
                    ),
                    Builder::Str(b) => Arc::new(b.finish()),
                    Builder::Time(b) => Arc::new(b.finish().with_timezone("UTC")),
                }
            })
            .collect();
        let batch = RecordBatch::try_new(self.schema.clone(), arrays).map_err(|e| Error::output_write(target, e))?;
        self.writer.write(&batch).map_err(|e| Error::output_write(target, e))?;
        self.buffered = 0;
        Ok(())
    }

    fn finish(mut self, target: &str) -> Result<W> {
        self.flush_batch(target)?;
        self.writer.into_inner().map_err(|e| Error::output_write(target, e))
    }
}

fn new_builders() -> Vec<Builder> {
    KINDS
        .iter()
        .map(|kind| match kind {
            Kind::Dec => Builder::Dec(Decimal128Builder::with_capacity(BATCH_ROWS)),
            Kind::Time => Builder::Time(TimestampMicrosecondBuilder::with_capacity(BATCH_ROWS)),
            Kind::Str | Kind::OptStr | Kind::Tags => {
                Builder::Str(StringBuilder::with_capacity(BATCH_ROWS, BATCH_ROWS * 32))
            }
        })
        .collect()
}

/// `d` as the unscaled integer of a `Decimal128(38, 18)`; `None` when it is 1e20 or more.
pub(crate) fn to_decimal128(d: Decimal) -> Option<i128> {
    let scale = PARQUET_DECIMAL_SCALE as u32;
    let d = if d.scale() > scale { d.round_dp_with_strategy(scale, RoundingStrategy::MidpointNearestEven) } else { d };
    let unscaled = d.mantissa().checked_mul(10i128.pow(scale - d.scale()))?;
    (unscaled.unsigned_abs() < 10u128.pow(PARQUET_DECIMAL_PRECISION as u32)).then_some(unscaled)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal128_keeps_digits_up_to_the_scale() {
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        assert_eq!(to_decimal128(d("1.5")), Some(15 * 10i128.pow(17)));
        assert_eq!(to_decimal128(d("0.000000000000000001")), Some(1));
        assert_eq!(to_decimal128(d("-2")), Some(-2 * 10i128.pow(18)));
        // Beyond 18 places: half to even.
        assert_eq!(to_decimal128(d("0.0000000000000000015")), Some(2));
        assert_eq!(to_decimal128(d("0.0000000000000000025")), Some(2));
        assert_eq!(
            to_decimal128(d("99999999999999999999.99999999")),
            Some(9999999999999999999999999999i128 * 10i128.pow(10))
        );
        assert_eq!(to_decimal128(d("100000000000000000000")), None, "1e20 does not fit");
    }

    #[test]
    fn format_follows_the_extension() {
        assert_eq!(FocusFormat::from_path(Path::new("a/costs.PARQUET")), FocusFormat::Parquet);
        assert_eq!(FocusFormat::from_path(Path::new("costs.csv")), FocusFormat::Csv);
        assert_eq!(FocusFormat::from_path(Path::new("costs")), FocusFormat::Csv);
    }

    #[test]
    fn tags_are_a_json_object_in_order() {
        let m = StringMap(vec![("b".into(), "x \"q\"".into()), ("Größe".into(), "groß".into())]);
        assert_eq!(tags_json(&m), r#"{"b":"x \"q\"","Größe":"groß"}"#);
        assert_eq!(tags_json(&StringMap::default()), "{}");
    }
}
