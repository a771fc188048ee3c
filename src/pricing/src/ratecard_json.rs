//! The Azure RateCard API's JSON (`Microsoft.Commerce/RateCard`), read as is: top-level
//! `Currency` and `Meters[]`, each with `MeterId`, `MeterRates` (cumulative quantity threshold ->
//! price per unit, `"0"` always present), `IncludedQuantity`, `EffectiveDate`, `Unit`.
//!
//! Azure prices a meter per its own unit (usage quantities are reported in that unit), so the
//! block size is 1. Several entries of one meter with different `EffectiveDate`s are one price
//! history: each applies until the next one's date. An optional CSV (`AzureMeterId,MeterId`)
//! maps Azure meter ids to the ids the stamp reports, which differ for some meters.

use std::collections::HashMap;
use std::path::Path;

use azs_usage_core::query::parse_time;
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::error::{Error, Problem, Reason, Result, shown};
use crate::ratecard::{PriceRow, RateCardOptions, Scope, check_currency, check_row_values, meter_key};
use crate::ratecard_csv::parse_card_decimal;

#[derive(Deserialize)]
struct Document<'a> {
    #[serde(rename = "Currency", alias = "currency")]
    currency: Option<String>,
    #[serde(rename = "Meters", alias = "meters", borrow)]
    meters: Option<Vec<&'a RawValue>>,
}

#[derive(Deserialize)]
struct AzureMeter {
    #[serde(rename = "MeterId", alias = "meterId")]
    meter_id: Option<String>,
    #[serde(rename = "MeterName", alias = "meterName", default)]
    meter_name: String,
    #[serde(rename = "Unit", alias = "unit", default)]
    unit: String,
    #[serde(rename = "MeterRates", alias = "meterRates")]
    meter_rates: Option<serde_json::Map<String, serde_json::Value>>,
    #[serde(rename = "IncludedQuantity", alias = "includedQuantity")]
    included_quantity: Option<serde_json::Value>,
    #[serde(rename = "EffectiveDate", alias = "effectiveDate")]
    effective_date: Option<String>,
    #[serde(rename = "MeterCategory", alias = "meterCategory", default)]
    meter_category: String,
    #[serde(rename = "MeterSubCategory", alias = "meterSubCategory", default)]
    meter_sub_category: String,
}

/// The rows of an Azure RateCard document; problems go to `problems`. A document that is not
/// JSON at all fails at once.
pub(crate) fn parse(
    text: &str,
    file: &str,
    options: &RateCardOptions,
    problems: &mut Vec<Problem>,
) -> Result<Vec<PriceRow>> {
    let mapping = match &options.meter_map {
        Some(path) => load_mapping(path, problems),
        None => HashMap::new(),
    };
    let doc: Document = serde_json::from_str(text).map_err(|e| {
        Error::rate_card_unreadable(
            file,
            format!("line {}, column {}: not an Azure RateCard JSON document: {e}", e.line(), e.column()),
        )
    })?;
    let invalid = |code, line, column: String, message: String| {
        Problem::new(Reason::RateCardInvalid, code, file, line, Some(&column), message)
    };
    let currency = doc.currency.unwrap_or_default().trim().to_ascii_uppercase();
    check_currency(&currency, file, Some(1), "Currency", problems);
    let Some(meters) = doc.meters else {
        problems.push(invalid("MissingMeters", Some(1), "Meters".into(), "the document has no Meters array".into()));
        return Ok(Vec::new());
    };

    let mut rows = Vec::new();
    for (i, raw) in meters.iter().enumerate() {
        let line = line_of(text, raw.get());
        let path = |field: &str| format!("Meters[{i}].{field}");
        let meter: AzureMeter = match serde_json::from_str(raw.get()) {
            Ok(m) => m,
            Err(e) => {
                problems.push(invalid(
                    "BadMeter",
                    Some(line),
                    format!("Meters[{i}]"),
                    format!("not a meter object: {e}"),
                ));
                continue;
            }
        };
        let before = problems.len();
        let Some(azure_id) = meter.meter_id.filter(|id| !id.trim().is_empty()) else {
            problems.push(invalid("MissingMeterId", Some(line), path("MeterId"), "the meter has no MeterId".into()));
            continue;
        };
        let meter_id = mapping.get(&meter_key(&azure_id)).cloned().unwrap_or(azure_id);
        let included_quantity = match &meter.included_quantity {
            None | Some(serde_json::Value::Null) => Decimal::ZERO,
            Some(v) => number(v).unwrap_or_else(|m| {
                problems.push(invalid("BadDecimal", Some(line), path("IncludedQuantity"), m));
                Decimal::ZERO
            }),
        };
        let effective_from = match meter.effective_date.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(t) => match parse_time(t) {
                Ok(t) => Some(t),
                Err(e) => {
                    problems.push(invalid("BadDate", Some(line), path("EffectiveDate"), e.message.clone()));
                    None
                }
            },
        };
        let Some(rates) = meter.meter_rates.filter(|r| !r.is_empty()) else {
            problems.push(invalid(
                "MissingRates",
                Some(line),
                path("MeterRates"),
                "the meter has no MeterRates (an object of quantity threshold -> price, with \"0\")".into(),
            ));
            continue;
        };
        let mut meter_rows = Vec::new();
        for (threshold, price) in &rates {
            let column = path(&format!("MeterRates.\"{threshold}\""));
            let tier_start = parse_card_decimal(threshold).unwrap_or_else(|m| {
                problems.push(invalid("BadDecimal", Some(line), column.clone(), format!("threshold {m}")));
                Decimal::ZERO
            });
            let unit_price = number(price).unwrap_or_else(|m| {
                problems.push(invalid("BadDecimal", Some(line), column.clone(), m));
                Decimal::ZERO
            });
            let mut row = PriceRow::new(meter_id.clone(), unit_price, currency.clone());
            row.included_quantity = included_quantity;
            row.tier_start = tier_start;
            row.effective_from = effective_from;
            row.scope = Scope::All;
            row.meter_name = meter.meter_name.clone();
            row.unit = meter.unit.clone();
            row.description = [meter.meter_category.as_str(), meter.meter_sub_category.as_str()]
                .iter()
                .filter(|s| !s.is_empty())
                .copied()
                .collect::<Vec<_>>()
                .join(" / ");
            row.line = line;
            meter_rows.push(row);
        }
        for row in &meter_rows {
            check_row_values(row, file, problems);
        }
        if problems.len() == before {
            rows.extend(meter_rows);
        }
    }
    chain_effective_dates(&mut rows);
    Ok(rows)
}

/// Entries of one meter with different `EffectiveDate`s: each ends where the next begins.
fn chain_effective_dates(rows: &mut [PriceRow]) {
    let mut starts: HashMap<String, Vec<chrono::DateTime<chrono::Utc>>> = HashMap::new();
    for row in rows.iter() {
        if let Some(f) = row.effective_from {
            starts.entry(meter_key(&row.meter_id)).or_default().push(f);
        }
    }
    for list in starts.values_mut() {
        list.sort();
        list.dedup();
    }
    for row in rows.iter_mut() {
        let Some(list) = starts.get(&meter_key(&row.meter_id)) else { continue };
        row.effective_to = match row.effective_from {
            Some(f) => list.iter().find(|s| **s > f).copied(),
            // An undated entry beside dated ones ends at the first date.
            None => list.first().copied(),
        };
    }
}

/// A JSON number (exact: the document's digits, never a float) or a numeric string.
fn number(v: &serde_json::Value) -> std::result::Result<Decimal, String> {
    match v {
        serde_json::Value::Number(n) => parse_card_decimal(&n.to_string()),
        serde_json::Value::String(s) => parse_card_decimal(s),
        other => Err(format!("{other} is not a number")),
    }
}

/// The 1-based line at which `slice` (a sub-slice of `text`) starts.
fn line_of(text: &str, slice: &str) -> u64 {
    let offset = (slice.as_ptr() as usize).saturating_sub(text.as_ptr() as usize).min(text.len());
    text.as_bytes()[..offset].iter().filter(|b| **b == b'\n').count() as u64 + 1
}

/// The meter-id mapping: CSV `AzureMeterId,MeterId` (headers in any case), keyed by the Azure
/// id's lookup key.
fn load_mapping(path: &Path, problems: &mut Vec<Problem>) -> HashMap<String, String> {
    let file = shown(path);
    let mut out = HashMap::new();
    let invalid = |code, line, column: Option<&str>, message: String| {
        Problem::new(Reason::RateCardInvalid, code, &file, line, column, message)
    };
    let mut reader = match csv::ReaderBuilder::new().trim(csv::Trim::All).comment(Some(b'#')).from_path(path) {
        Ok(r) => r,
        Err(e) => {
            problems.push(invalid("BadMeterMap", None, None, format!("cannot read the meter-id mapping: {e}")));
            return out;
        }
    };
    let header = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            problems.push(invalid("BadMeterMap", Some(1), None, format!("not readable as CSV: {e}")));
            return out;
        }
    };
    let find = |name: &str| header.iter().position(|h| h.trim_start_matches('\u{feff}').eq_ignore_ascii_case(name));
    let (Some(azure), Some(stamp)) = (find("AzureMeterId"), find("MeterId")) else {
        problems.push(invalid(
            "BadMeterMap",
            Some(1),
            None,
            "the meter-id mapping needs the columns AzureMeterId and MeterId".into(),
        ));
        return out;
    };
    let mut seen: HashMap<String, u64> = HashMap::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                problems.push(invalid("BadMeterMap", e.position().map(|p| p.line()), None, e.to_string()));
                continue;
            }
        };
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        let (a, s) = (record.get(azure).unwrap_or(""), record.get(stamp).unwrap_or(""));
        if a.is_empty() && s.is_empty() {
            continue;
        }
        if a.is_empty() || s.is_empty() {
            let column = if a.is_empty() { "AzureMeterId" } else { "MeterId" };
            problems.push(invalid("BadMeterMap", Some(line), Some(column), format!("{column} is empty")));
            continue;
        }
        let key = meter_key(a);
        if let Some(first) = seen.insert(key.clone(), line) {
            problems.push(invalid(
                "BadMeterMap",
                Some(line),
                Some("AzureMeterId"),
                format!("{a} is mapped twice (also on line {first})"),
            ));
            continue;
        }
        out.insert(key, s.to_string());
    }
    out
}
