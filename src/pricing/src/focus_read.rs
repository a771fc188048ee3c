//! Reads FOCUS files written by [`crate::FocusWriter`] back into [`FocusRow`]s, streaming: CSV or
//! Parquet, told apart by content (Parquet's `PAR1` magic), not by the file name.
//!
//! Columns are found by name (any order; extra columns are ignored); every column of
//! [`FOCUS_COLUMNS`] must be present. Null cells read back as empty strings (`None` for
//! `ChargeClass`), the inverse of the writers.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Decimal128Type, TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType, TimestampSecondType,
};
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{DataType, TimeUnit};
use azs_usage_core::StringMap;
use azs_usage_core::query::parse_time;
use chrono::{DateTime, Utc};
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};
use rust_decimal::Decimal;

use crate::columns::{KINDS, Kind, Value, from_values};
use crate::error::{Error, Result, shown};
use crate::focus::{FOCUS_COLUMNS, FocusRow};
use crate::focus_write::BATCH_ROWS;

/// Opens a FOCUS file (CSV or Parquet) and yields its rows in file order.
pub fn read_focus(path: &Path) -> Result<FocusReader> {
    let name = shown(path);
    let mut file = File::open(path).map_err(|e| Error::focus_file(&name, None, None, format!("cannot open: {e}")))?;
    let mut magic = [0u8; 4];
    let n = read_up_to(&mut file, &mut magic).map_err(|e| Error::focus_file(&name, None, None, e.to_string()))?;
    drop(file);
    let inner = if n == 4 && &magic == b"PAR1" {
        Inner::Parquet(ParquetRows::open(path, &name)?)
    } else {
        Inner::Csv(CsvRows::open(path, &name)?)
    };
    Ok(FocusReader { inner, name, done: false })
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// The rows of a FOCUS file; see [`read_focus`]. Ends after the first error.
#[derive(Debug)]
pub struct FocusReader {
    inner: Inner,
    name: String,
    done: bool,
}

#[derive(Debug)]
enum Inner {
    Csv(CsvRows),
    Parquet(ParquetRows),
}

impl Iterator for FocusReader {
    type Item = Result<FocusRow>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let next = match &mut self.inner {
            Inner::Csv(c) => c.next(&self.name),
            Inner::Parquet(p) => p.next(&self.name),
        };
        if !matches!(next, Some(Ok(_))) {
            self.done = true;
        }
        next
    }
}

/// Column positions of [`FOCUS_COLUMNS`] in a file's header (case-sensitive, as the spec's names).
fn positions<'a>(header: impl Iterator<Item = &'a str>, name: &str) -> Result<Vec<usize>> {
    let header: Vec<&str> = header.collect();
    let mut out = Vec::with_capacity(FOCUS_COLUMNS.len());
    let mut missing = Vec::new();
    for col in FOCUS_COLUMNS {
        match header.iter().position(|h| h.trim_start_matches('\u{feff}') == col) {
            Some(i) => out.push(i),
            None => missing.push(col),
        }
    }
    if !missing.is_empty() {
        return Err(Error::focus_file(
            name,
            Some(1),
            None,
            format!("not a FOCUS file of this tool: the column(s) {} are missing", missing.join(", ")),
        ));
    }
    Ok(out)
}

#[derive(Debug)]
struct CsvRows {
    reader: csv::Reader<BufReader<File>>,
    positions: Vec<usize>,
    record: csv::StringRecord,
}

impl CsvRows {
    fn open(path: &Path, name: &str) -> Result<CsvRows> {
        let file = File::open(path).map_err(|e| Error::focus_file(name, None, None, format!("cannot open: {e}")))?;
        let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(BufReader::with_capacity(1 << 16, file));
        let header = reader.headers().map_err(|e| csv_error(name, &e))?.clone();
        let positions = positions(header.iter(), name)?;
        Ok(CsvRows { reader, positions, record: csv::StringRecord::new() })
    }

    fn next(&mut self, name: &str) -> Option<Result<FocusRow>> {
        match self.reader.read_record(&mut self.record) {
            Ok(false) => None,
            Err(e) => Some(Err(csv_error(name, &e))),
            Ok(true) => {
                let line = self.record.position().map(|p| p.line());
                let mut values = Vec::with_capacity(FOCUS_COLUMNS.len());
                for ((col, kind), &i) in FOCUS_COLUMNS.iter().zip(KINDS).zip(&self.positions) {
                    let text = self.record.get(i).unwrap_or_default();
                    match parse_cell(text, kind) {
                        Ok(v) => values.push(v),
                        Err(msg) => return Some(Err(Error::focus_file(name, line, Some(col), msg))),
                    }
                }
                Some(
                    from_values(values)
                        .ok_or_else(|| Error::focus_file(name, line, None, "internal error: cell kinds")),
                )
            }
        }
    }
}

fn csv_error(name: &str, e: &csv::Error) -> Error {
    let line = e.position().map(|p| p.line());
    Error::focus_file(name, line, None, format!("not readable as CSV: {e}"))
}

/// A CSV cell in the writers' text forms.
fn parse_cell(text: &str, kind: Kind) -> std::result::Result<Value, String> {
    match kind {
        Kind::Dec => parse_decimal(text).map(Value::Dec),
        Kind::Str | Kind::OptStr => Ok(Value::Str((!text.is_empty()).then(|| text.to_string()))),
        Kind::Time => parse_time(text).map(Value::Time).map_err(|e| format!("'{text}' is not an instant: {e}")),
        Kind::Tags => parse_tags(text).map(Value::Tags),
    }
}

pub(crate) fn parse_decimal(text: &str) -> std::result::Result<Decimal, String> {
    if text.is_empty() {
        return Err("the cell is empty; a decimal is required".into());
    }
    let parsed = if text.contains(['e', 'E']) { Decimal::from_scientific(text) } else { Decimal::from_str_exact(text) };
    parsed.map_err(|_| format!("'{text}' is not a decimal"))
}

/// A FOCUS key-value JSON object as a tag map (order kept; non-string values as their JSON text,
/// `true` for a valueless key becomes an empty value).
pub(crate) fn parse_tags(text: &str) -> std::result::Result<StringMap, String> {
    if text.is_empty() {
        return Ok(StringMap::default());
    }
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("Tags is not a JSON object ({e}): {text}"))?;
    let serde_json::Value::Object(map) = value else {
        return Err(format!("Tags is not a JSON object: {text}"));
    };
    Ok(StringMap(
        map.into_iter()
            .map(|(k, v)| {
                let v = match v {
                    serde_json::Value::String(s) => s,
                    serde_json::Value::Bool(true) | serde_json::Value::Null => String::new(),
                    other => other.to_string(),
                };
                (k, v)
            })
            .collect(),
    ))
}

struct ParquetRows {
    reader: ParquetRecordBatchReader,
    /// Column index in the file's batches of each FOCUS column.
    positions: Vec<usize>,
    batch: Option<RecordBatch>,
    row: usize,
    rows_before: u64,
}

impl std::fmt::Debug for ParquetRows {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParquetRows").field("row", &self.row).finish_non_exhaustive()
    }
}

impl ParquetRows {
    fn open(path: &Path, name: &str) -> Result<ParquetRows> {
        let file = File::open(path).map_err(|e| Error::focus_file(name, None, None, format!("cannot open: {e}")))?;
        let builder = ParquetRecordBatchReaderBuilder::try_new(file)
            .map_err(|e| Error::focus_file(name, None, None, format!("not a readable Parquet file: {e}")))?;
        let schema = builder.schema().clone();
        let positions = positions(schema.fields().iter().map(|f| f.name().as_str()), name)?;
        for ((col, kind), &i) in FOCUS_COLUMNS.iter().zip(KINDS).zip(&positions) {
            let dt = schema.field(i).data_type();
            let ok = match kind {
                Kind::Dec => matches!(dt, DataType::Decimal128(_, _)),
                Kind::Time => matches!(dt, DataType::Timestamp(_, _)),
                _ => matches!(dt, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View),
            };
            if !ok {
                return Err(Error::focus_file(name, None, Some(col), format!("has type {dt}, expected {kind:?}")));
            }
        }
        let reader = builder
            .with_batch_size(BATCH_ROWS)
            .build()
            .map_err(|e| Error::focus_file(name, None, None, format!("not a readable Parquet file: {e}")))?;
        Ok(ParquetRows { reader, positions, batch: None, row: 0, rows_before: 0 })
    }

    fn next(&mut self, name: &str) -> Option<Result<FocusRow>> {
        loop {
            if let Some(batch) = &self.batch {
                if self.row < batch.num_rows() {
                    break;
                }
                self.rows_before += batch.num_rows() as u64;
            }
            match self.reader.next()? {
                Ok(batch) => {
                    self.batch = Some(batch);
                    self.row = 0;
                }
                Err(e) => {
                    return Some(Err(Error::focus_file(name, None, None, format!("cannot read a row group: {e}"))));
                }
            }
        }
        let batch = self.batch.as_ref()?;
        let i = self.row;
        self.row += 1;
        let mut values = Vec::with_capacity(FOCUS_COLUMNS.len());
        for ((col, kind), &c) in FOCUS_COLUMNS.iter().zip(KINDS).zip(&self.positions) {
            match arrow_cell(batch.column(c), i, kind) {
                Ok(v) => values.push(v),
                Err(msg) => {
                    let row = format!("row {}: {msg}", self.rows_before + i as u64 + 1);
                    return Some(Err(Error::focus_file(name, None, Some(col), row)));
                }
            }
        }
        Some(from_values(values).ok_or_else(|| Error::focus_file(name, None, None, "internal error: cell kinds")))
    }
}

fn arrow_cell(array: &ArrayRef, i: usize, kind: Kind) -> std::result::Result<Value, String> {
    let null = array.is_null(i);
    match kind {
        Kind::Dec => {
            if null {
                return Err("null where a decimal is required".into());
            }
            let DataType::Decimal128(_, scale) = array.data_type() else { return Err("not a decimal column".into()) };
            let raw = array.as_primitive::<Decimal128Type>().value(i);
            let scale = u32::try_from(*scale).map_err(|_| "negative decimal scale".to_string())?;
            Decimal::try_from_i128_with_scale(raw, scale)
                .map(|d| Value::Dec(d.normalize()))
                .map_err(|_| format!("decimal {raw}e-{scale} is out of range"))
        }
        Kind::Time => {
            if null {
                return Err("null where an instant is required".into());
            }
            let DataType::Timestamp(unit, _) = array.data_type() else { return Err("not a timestamp column".into()) };
            let t: Option<DateTime<Utc>> = match unit {
                TimeUnit::Second => DateTime::from_timestamp(array.as_primitive::<TimestampSecondType>().value(i), 0),
                TimeUnit::Millisecond => {
                    DateTime::from_timestamp_millis(array.as_primitive::<TimestampMillisecondType>().value(i))
                }
                TimeUnit::Microsecond => {
                    DateTime::from_timestamp_micros(array.as_primitive::<TimestampMicrosecondType>().value(i))
                }
                TimeUnit::Nanosecond => {
                    Some(DateTime::from_timestamp_nanos(array.as_primitive::<TimestampNanosecondType>().value(i)))
                }
            };
            t.map(Value::Time).ok_or_else(|| "instant out of range".to_string())
        }
        Kind::Str | Kind::OptStr | Kind::Tags => {
            let text = if null {
                None
            } else {
                Some(match array.data_type() {
                    DataType::Utf8 => array.as_string::<i32>().value(i),
                    DataType::LargeUtf8 => array.as_string::<i64>().value(i),
                    DataType::Utf8View => array.as_string_view().value(i),
                    other => return Err(format!("type {other} is not text")),
                })
            };
            if kind == Kind::Tags {
                parse_tags(text.unwrap_or_default()).map(Value::Tags)
            } else {
                Ok(Value::Str(text.filter(|s| !s.is_empty()).map(str::to_string)))
            }
        }
    }
}
