//! Reads usage records back from files: the CLI's CSV, NDJSON and JSON, and `Export-Csv` files
//! of the cmdlets' `AzsUsage.UsageRecord` objects. Told apart by content, streamed.
//!
//! - CSV: a header of the record schema's names (any case and order, quoted or not; a leading
//!   `#TYPE` line of Windows PowerShell is skipped). `SubscriptionId`, `MeterId`, `Quantity`,
//!   `UsageStartTime` and `UsageEndTime` are required, the rest default to empty.
//! - `Quantity`: plain decimal or exponent notation; `Export-Csv` under a culture with a decimal
//!   comma writes `0,5`, read as 0.5 (decimal's `ToString()` never writes thousands separators).
//! - Times: ISO 8601 (the CLI), or `Export-Csv`'s `DateTimeOffset` text: invariant culture
//!   `11/01/2026 13:00:00 +00:00`, en-US `11/1/2026 1:00:00 PM +00:00`, or day-first with dots
//!   `01.11.2026 13:00:00 +00:00`. Slash dates are read month first (invariant, en-US); a day
//!   above 12 in the first place (en-GB and similar) is an error asking for an invariant export.
//! - `Tags` / `AdditionalInfo`: the schema's `key=value;...` text, or a JSON object.
//! - NDJSON: one JSON object per line; JSON: an array of objects (the CLI's `--format json`,
//!   or `ConvertTo-Json` of the objects). Quantities as strings or exact JSON numbers.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use azs_usage_core::query::parse_time;
use azs_usage_core::{FIELD_NAMES, StringMap, UsageRecord};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use crate::error::{Error, Result, shown};

const REQUIRED: [&str; 5] = ["SubscriptionId", "MeterId", "Quantity", "UsageStartTime", "UsageEndTime"];

/// Opens a usage file and yields its records in file order (see the module documentation).
pub fn read_usage(path: &Path) -> Result<UsageReader> {
    let name = shown(path);
    let file = File::open(path).map_err(|e| Error::usage_file(&name, None, None, format!("cannot open: {e}")))?;
    let mut reader = BufReader::with_capacity(1 << 16, file);
    let first = first_byte(&mut reader).map_err(|e| Error::usage_file(&name, None, None, e.to_string()))?;
    let inner = match first {
        Some(b'[') | Some(b'{') => Inner::Json(JsonElements::new(reader)),
        _ => Inner::Csv(CsvUsage::open(reader, &name)?),
    };
    Ok(UsageReader { inner, name, done: false })
}

/// Skips a UTF-8 BOM and whitespace; returns the first byte of content (left in the reader).
fn first_byte(r: &mut BufReader<File>) -> std::io::Result<Option<u8>> {
    let buf = r.fill_buf()?;
    if buf.starts_with(b"\xEF\xBB\xBF") {
        r.consume(3);
    }
    loop {
        let buf = r.fill_buf()?;
        if buf.is_empty() {
            return Ok(None);
        }
        let ws = buf.iter().take_while(|b| b.is_ascii_whitespace()).count();
        if ws < buf.len() {
            let b = buf[ws];
            r.consume(ws);
            return Ok(Some(b));
        }
        let n = buf.len();
        r.consume(n);
    }
}

/// The records of a usage file; ends after the first error.
#[derive(Debug)]
pub struct UsageReader {
    inner: Inner,
    name: String,
    done: bool,
}

#[derive(Debug)]
enum Inner {
    Csv(CsvUsage),
    Json(JsonElements<BufReader<File>>),
}

impl Iterator for UsageReader {
    type Item = Result<UsageRecord>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let next = match &mut self.inner {
            Inner::Csv(c) => c.next(&self.name),
            Inner::Json(j) => match j.next_element() {
                Ok(None) => None,
                Ok(Some((line, bytes))) => Some(json_record(&bytes, line, &self.name)),
                Err((line, msg)) => Some(Err(Error::usage_file(&self.name, Some(line), None, msg))),
            },
        };
        if !matches!(next, Some(Ok(_))) {
            self.done = true;
        }
        next
    }
}

#[derive(Debug)]
struct CsvUsage {
    reader: csv::Reader<BufReader<File>>,
    /// Column of each schema field, in FIELD_NAMES order.
    columns: Vec<Option<usize>>,
    record: csv::StringRecord,
    /// Lines before the CSV header (a `#TYPE` line), for line numbers.
    offset: u64,
}

impl CsvUsage {
    fn open(mut reader: BufReader<File>, name: &str) -> Result<CsvUsage> {
        let mut offset = 0;
        if reader.fill_buf().map(|b| b.starts_with(b"#TYPE")).unwrap_or(false) {
            let mut line = String::new();
            reader.read_line(&mut line).map_err(|e| Error::usage_file(name, Some(1), None, e.to_string()))?;
            offset = 1;
        }
        let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(reader);
        let header = reader.headers().map_err(|e| csv_error(name, &e, offset))?.clone();
        let columns: Vec<Option<usize>> =
            FIELD_NAMES.iter().map(|f| header.iter().position(|h| h.trim().eq_ignore_ascii_case(f))).collect();
        let missing: Vec<&str> = REQUIRED.iter().copied().filter(|r| columns[field(r)].is_none()).collect();
        if !missing.is_empty() {
            return Err(Error::usage_file(
                name,
                Some(1 + offset),
                None,
                format!(
                    "not a usage file: the header lacks {} (expected the record schema's columns, as `azs-usage subscriber-usage` or `Export-Csv` of the cmdlets write them)",
                    missing.join(", ")
                ),
            ));
        }
        Ok(CsvUsage { reader, columns, record: csv::StringRecord::new(), offset })
    }

    fn next(&mut self, name: &str) -> Option<Result<UsageRecord>> {
        loop {
            match self.reader.read_record(&mut self.record) {
                Ok(false) => return None,
                Err(e) => return Some(Err(csv_error(name, &e, self.offset))),
                Ok(true) if self.record.iter().all(str::is_empty) => continue,
                Ok(true) => break,
            }
        }
        let line = self.record.position().map(|p| p.line() + self.offset);
        let get = |f: &str| self.columns[field(f)].and_then(|c| self.record.get(c)).unwrap_or("");
        Some(record_from_fields(get).map_err(|(column, msg)| Error::usage_file(name, line, Some(column), msg)))
    }
}

/// One record from the record schema's text fields, read as a usage CSV's cells are (quantities,
/// times and maps in every form the module documentation lists); `get` gives a field's text by
/// its schema name (empty when absent). Errors name the field and what is wrong with it.
///
/// For callers that hold records as text outside a file: the C ABI's pipeline input (rows of
/// `Import-Csv`, the module's record objects).
pub fn record_from_fields<'a>(
    get: impl Fn(&str) -> &'a str,
) -> std::result::Result<UsageRecord, (&'static str, String)> {
    let quantity = parse_quantity(get("Quantity")).map_err(|m| ("Quantity", m))?;
    let start = parse_instant(get("UsageStartTime")).map_err(|m| ("UsageStartTime", m))?;
    let end = parse_instant(get("UsageEndTime")).map_err(|m| ("UsageEndTime", m))?;
    if get("SubscriptionId").is_empty() {
        return Err(("SubscriptionId", "the subscription id is empty".into()));
    }
    if get("MeterId").is_empty() {
        return Err(("MeterId", "the meter id is empty".into()));
    }
    Ok(UsageRecord {
        subscription_id: get("SubscriptionId").to_string(),
        meter_id: get("MeterId").to_string(),
        meter_name: get("MeterName").to_string(),
        meter_category: get("MeterCategory").to_string(),
        unit: get("Unit").to_string(),
        quantity,
        usage_start_time: start,
        usage_end_time: end,
        resource_uri: get("ResourceUri").to_string(),
        resource_group: get("ResourceGroup").to_string(),
        resource_provider: get("ResourceProvider").to_string(),
        resource_type: get("ResourceType").to_string(),
        resource_name: get("ResourceName").to_string(),
        location: get("Location").to_string(),
        tags: parse_map(get("Tags")),
        additional_info: parse_map(get("AdditionalInfo")),
        instance_data: get("InstanceData").to_string(),
    })
}

fn field(name: &str) -> usize {
    FIELD_NAMES.iter().position(|f| *f == name).unwrap_or(0)
}

fn csv_error(name: &str, e: &csv::Error, offset: u64) -> Error {
    Error::usage_file(name, e.position().map(|p| p.line() + offset), None, format!("not readable as CSV: {e}"))
}

/// A quantity: plain or exponent notation; a lone decimal comma (Export-Csv under de-DE) too.
pub(crate) fn parse_quantity(text: &str) -> std::result::Result<Decimal, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("the quantity is empty".into());
    }
    let owned;
    let t = if !t.contains('.') && t.matches(',').count() == 1 {
        owned = t.replace(',', ".");
        owned.as_str()
    } else {
        t
    };
    let parsed = if t.contains(['e', 'E']) { Decimal::from_scientific(t) } else { Decimal::from_str_exact(t) };
    parsed.map_err(|_| format!("'{text}' is not a decimal quantity"))
}

/// An instant: ISO 8601, or Export-Csv's culture forms of a `DateTimeOffset`.
pub(crate) fn parse_instant(text: &str) -> std::result::Result<DateTime<Utc>, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("the time is empty".into());
    }
    if let Ok(dt) = parse_time(t) {
        return Ok(dt);
    }
    if let Some((first, _)) = t.split_once('/')
        && first.trim().parse::<u32>().is_ok_and(|n| n > 12)
    {
        return Err(format!(
            "'{t}' is a day-first date (en-GB and similar cultures), which cannot be told apart from month-first dates; export with the invariant culture ([cultureinfo]::CurrentCulture = [cultureinfo]::InvariantCulture) or use the CLI's CSV"
        ));
    }
    for format in
        ["%m/%d/%Y %H:%M:%S %:z", "%m/%d/%Y %I:%M:%S %p %:z", "%d.%m.%Y %H:%M:%S %:z", "%m/%d/%Y %H:%M:%S%.f %:z"]
    {
        if let Ok(dt) = DateTime::parse_from_str(t, format) {
            return Ok(dt.with_timezone(&Utc));
        }
    }
    Err(format!(
        "'{t}' is not a time: expected ISO 8601 (2026-11-01T13:00:00Z) or Export-Csv's DateTimeOffset text (11/01/2026 13:00:00 +00:00)"
    ))
}

/// A map cell: the schema's `key=value;...` text, or a JSON object.
fn parse_map(text: &str) -> StringMap {
    if text.starts_with('{')
        && let Ok(serde_json::Value::Object(m)) = serde_json::from_str::<serde_json::Value>(text)
    {
        return map_from_json(m);
    }
    StringMap::parse_text(text)
}

fn map_from_json(m: serde_json::Map<String, serde_json::Value>) -> StringMap {
    StringMap(
        m.into_iter()
            .map(|(k, v)| {
                let v = match v {
                    serde_json::Value::String(s) => s,
                    serde_json::Value::Null => String::new(),
                    other => other.to_string(),
                };
                (k, v)
            })
            .collect(),
    )
}

/// One record from a JSON object with the schema's keys (any case).
fn json_record(bytes: &[u8], line: u64, name: &str) -> Result<UsageRecord> {
    let fail = |column: Option<&str>, msg: String| Error::usage_file(name, Some(line), column, msg);
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| fail(None, format!("not a JSON object: {e}")))?;
    let serde_json::Value::Object(obj) = value else {
        return Err(fail(None, "expected a JSON object per record".into()));
    };
    let get = |f: &str| obj.iter().find(|(k, _)| k.eq_ignore_ascii_case(f)).map(|(_, v)| v);
    let text = |f: &str| -> String {
        match get(f) {
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(serde_json::Value::Null) | None => String::new(),
            Some(other) => other.to_string(),
        }
    };
    for r in REQUIRED {
        if get(r).is_none_or(|v| v.is_null()) {
            return Err(fail(Some(r), format!("the record has no {r}")));
        }
    }
    let quantity = parse_quantity(&text("Quantity")).map_err(|m| fail(Some("Quantity"), m))?;
    let start = parse_instant(&text("UsageStartTime")).map_err(|m| fail(Some("UsageStartTime"), m))?;
    let end = parse_instant(&text("UsageEndTime")).map_err(|m| fail(Some("UsageEndTime"), m))?;
    let map = |f: &str| match get(f) {
        Some(serde_json::Value::Object(m)) => map_from_json(m.clone()),
        Some(serde_json::Value::String(s)) => parse_map(s),
        _ => StringMap::default(),
    };
    Ok(UsageRecord {
        subscription_id: text("SubscriptionId"),
        meter_id: text("MeterId"),
        meter_name: text("MeterName"),
        meter_category: text("MeterCategory"),
        unit: text("Unit"),
        quantity,
        usage_start_time: start,
        usage_end_time: end,
        resource_uri: text("ResourceUri"),
        resource_group: text("ResourceGroup"),
        resource_provider: text("ResourceProvider"),
        resource_type: text("ResourceType"),
        resource_name: text("ResourceName"),
        location: text("Location"),
        tags: map("Tags"),
        additional_info: map("AdditionalInfo"),
        instance_data: text("InstanceData"),
    })
}

/// One top-level JSON object: its first line and its bytes.
type Element = (u64, Vec<u8>);

/// Splits a stream of JSON values into top-level objects: the elements of one array, or objects
/// one after another (NDJSON). Tracks strings and nesting only; each object is parsed by serde.
#[derive(Debug)]
struct JsonElements<R> {
    reader: R,
    line: u64,
    in_array: bool,
    ended: bool,
}

impl<R: BufRead> JsonElements<R> {
    fn new(reader: R) -> Self {
        JsonElements { reader, line: 1, in_array: false, ended: false }
    }

    fn byte(&mut self) -> std::result::Result<Option<u8>, (u64, String)> {
        let mut b = [0u8; 1];
        match self.reader.read(&mut b) {
            Ok(0) => Ok(None),
            Ok(_) => {
                if b[0] == b'\n' {
                    self.line += 1;
                }
                Ok(Some(b[0]))
            }
            Err(e) => Err((self.line, e.to_string())),
        }
    }

    /// The next object's bytes and its first line.
    fn next_element(&mut self) -> std::result::Result<Option<Element>, (u64, String)> {
        if self.ended {
            return Ok(None);
        }
        // Between elements: whitespace, commas, the array's brackets.
        let first = loop {
            match self.byte()? {
                None => {
                    if self.in_array {
                        return Err((self.line, "the JSON array is not closed (missing ']')".into()));
                    }
                    self.ended = true;
                    return Ok(None);
                }
                Some(b) if b.is_ascii_whitespace() || b == b',' => continue,
                Some(b'[') if !self.in_array => self.in_array = true,
                Some(b']') if self.in_array => {
                    self.ended = true;
                    return Ok(None);
                }
                Some(b'{') => break b'{',
                Some(other) => {
                    return Err((self.line, format!("expected a JSON object per record, found '{}'", other as char)));
                }
            }
        };
        let line = self.line;
        let mut out = vec![first];
        let (mut depth, mut in_string, mut escaped) = (1u32, false, false);
        while depth > 0 {
            let Some(b) = self.byte()? else {
                return Err((line, "the JSON object starting here is not closed".into()));
            };
            out.push(b);
            if in_string {
                if escaped {
                    escaped = false;
                } else if b == b'\\' {
                    escaped = true;
                } else if b == b'"' {
                    in_string = false;
                }
            } else {
                match b {
                    b'"' => in_string = true,
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => depth -= 1,
                    _ => {}
                }
            }
        }
        Ok(Some((line, out)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn quantities_in_every_written_form() {
        assert_eq!(parse_quantity("0.0000063646").unwrap(), d("0.0000063646"));
        assert_eq!(parse_quantity("6.3646E-06").unwrap(), d("0.0000063646"));
        assert_eq!(parse_quantity("0,5").unwrap(), d("0.5"));
        assert!(parse_quantity("1,000.5").is_err());
        assert!(parse_quantity("").is_err());
        assert!(parse_quantity("abc").unwrap_err().contains("abc"));
    }

    #[test]
    fn instants_in_every_written_form() {
        let want: DateTime<Utc> = "2026-11-01T13:00:00Z".parse().unwrap();
        for text in [
            "2026-11-01T13:00:00Z",
            "2026-11-01T14:00:00+01:00",
            "11/01/2026 13:00:00 +00:00",
            "11/1/2026 1:00:00 PM +00:00",
            "01.11.2026 13:00:00 +00:00",
        ] {
            assert_eq!(parse_instant(text).unwrap(), want, "{text}");
        }
        assert!(parse_instant("13/01/2026 13:00:00 +00:00").unwrap_err().contains("day-first"));
        assert!(parse_instant("yesterday").is_err());
    }

    #[test]
    fn json_elements_split_arrays_and_lines() {
        let text = b"[\n{\"a\":\"x}\\\"{\"},\n{\"b\":{\"c\":[1,2]}}\n]\n";
        let mut j = JsonElements::new(&text[..]);
        let (line, first) = j.next_element().unwrap().unwrap();
        assert_eq!((line, first.as_slice()), (2, &b"{\"a\":\"x}\\\"{\"}"[..]));
        let (line, second) = j.next_element().unwrap().unwrap();
        assert_eq!((line, second.as_slice()), (3, &b"{\"b\":{\"c\":[1,2]}}"[..]));
        assert!(j.next_element().unwrap().is_none());

        let mut n = JsonElements::new(&b"{\"a\":1}\n{\"a\":2}\n"[..]);
        assert!(n.next_element().unwrap().is_some() && n.next_element().unwrap().is_some());
        assert!(n.next_element().unwrap().is_none());
        let mut open = JsonElements::new(&b"[{\"a\":1}"[..]);
        open.next_element().unwrap();
        assert!(open.next_element().unwrap_err().1.contains("not closed"));
    }
}
