//! Values shared by both engines: what a sync writes (scope, window), the exact summary deltas,
//! and the text forms SQLite stores.

use std::collections::{BTreeMap, BTreeSet};

use azs_usage_core::{Granularity, StringMap, UsageRecord};
use chrono::{DateTime, Datelike, NaiveDate, SecondsFormat, TimeZone, Utc};
use rust_decimal::Decimal;

use crate::error::{Error, Result};

/// What one watermark covers: a stamp, a provider subscription and a granularity.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Scope {
    /// The stamp's name (as in the stamps file, or `--stamp`).
    pub stamp: String,
    /// The provider subscription whose tenants' usage is pulled.
    pub provider_subscription_id: String,
    /// Hourly or Daily.
    pub granularity: Granularity,
}

impl Scope {
    /// `Hourly` or `Daily`, as stored.
    pub fn granularity_name(&self) -> &'static str {
        granularity_name(self.granularity)
    }
}

impl std::fmt::Display for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "stamp '{}' ({}, {})", self.stamp, self.provider_subscription_id, self.granularity_name())
    }
}

/// The stored name of a granularity.
pub(crate) fn granularity_name(g: Granularity) -> &'static str {
    match g {
        Granularity::Hourly => "Hourly",
        Granularity::Daily => "Daily",
    }
}

/// A reported-time window `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Window {
    /// Inclusive start.
    pub start: DateTime<Utc>,
    /// Exclusive end.
    pub end: DateTime<Utc>,
}

impl std::fmt::Display for Window {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} .. {}", instant_text(&self.start), instant_text(&self.end))
    }
}

/// The stored text form of an instant: ISO 8601, UTC, `Z` (sortable as text).
pub(crate) fn instant_text(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// Parses an instant stored by [`instant_text`].
pub(crate) fn parse_instant(text: &str, column: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| Error::database_not_usable(format!("column {column} holds '{text}', not an instant ({e})")))
}

/// Parses an exact decimal stored as text.
pub(crate) fn parse_decimal(text: &str, column: &str) -> Result<Decimal> {
    Decimal::from_str_exact(text)
        .or_else(|_| Decimal::from_scientific(text))
        .map_err(|e| Error::database_not_usable(format!("column {column} holds '{text}', not a decimal ({e})")))
}

/// The stored text form of a decimal (plain notation, no trailing zeros).
pub(crate) fn decimal_text(d: &Decimal) -> String {
    d.normalize().to_string()
}

/// A map as a JSON object, keys in their order.
pub(crate) fn map_json(map: &StringMap) -> String {
    let mut out = String::with_capacity(2 + map.len() * 24);
    out.push('{');
    for (i, (k, v)) in map.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_json_string(&mut out, k);
        out.push(':');
        push_json_string(&mut out, v);
    }
    out.push('}');
    out
}

fn push_json_string(out: &mut String, s: &str) {
    // serde_json's escaping, without building a Value.
    out.push_str(&serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_string()));
}

/// Reads a JSON object written by [`map_json`] (values that are not strings keep their JSON text).
pub(crate) fn json_map(text: &str, column: &str) -> Result<StringMap> {
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| Error::database_not_usable(format!("column {column} holds invalid JSON ({e})")))?;
    match value {
        serde_json::Value::Object(map) => Ok(StringMap(
            map.into_iter()
                .map(|(k, v)| match v {
                    serde_json::Value::String(s) => (k, s),
                    other => (k, other.to_string()),
                })
                .collect(),
        )),
        serde_json::Value::Null => Ok(StringMap::default()),
        _ => Err(Error::database_not_usable(format!("column {column} holds JSON that is not an object"))),
    }
}

/// The first instant of the UTC month of `t`.
pub(crate) fn month_start(t: &DateTime<Utc>) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(t.year(), t.month(), 1, 0, 0, 0).single().unwrap_or(*t)
}

/// The first instant of the month after `month`.
pub(crate) fn next_month(month: &DateTime<Utc>) -> DateTime<Utc> {
    let (y, m) = if month.month() == 12 { (month.year() + 1, 1) } else { (month.year(), month.month() + 1) };
    Utc.with_ymd_and_hms(y, m, 1, 0, 0, 0).single().unwrap_or(*month)
}

/// The key of a daily summary row.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct DailyKey {
    pub(crate) usage_date: NaiveDate,
    /// Lower case, so the directory joins whatever case the service sent.
    pub(crate) subscription_id: String,
    pub(crate) meter_id: String,
}

/// A daily summary row's values.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct DailyValue {
    pub(crate) meter_name: String,
    pub(crate) meter_category: String,
    pub(crate) unit: String,
    pub(crate) records: i64,
    pub(crate) quantity: Decimal,
}

/// Exact changes to `usage_daily` and the months touched by one window's transaction.
#[derive(Debug, Default)]
pub(crate) struct SummaryDelta {
    pub(crate) daily: BTreeMap<DailyKey, DailyValue>,
    pub(crate) months: BTreeSet<DateTime<Utc>>,
}

impl SummaryDelta {
    /// Adds (`sign` = 1) or removes (`sign` = -1) one record.
    pub(crate) fn add(&mut self, sign: i64, record: &UsageRecord) {
        self.add_parts(
            sign,
            record.usage_start_time,
            &record.subscription_id,
            &record.meter_id,
            &record.meter_name,
            &record.meter_category,
            &record.unit,
            record.quantity,
        );
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn add_parts(
        &mut self,
        sign: i64,
        usage_start: DateTime<Utc>,
        subscription_id: &str,
        meter_id: &str,
        meter_name: &str,
        meter_category: &str,
        unit: &str,
        quantity: Decimal,
    ) {
        self.months.insert(month_start(&usage_start));
        let key = DailyKey {
            usage_date: usage_start.date_naive(),
            subscription_id: subscription_id.to_ascii_lowercase(),
            meter_id: meter_id.to_string(),
        };
        let entry = self.daily.entry(key).or_default();
        if entry.meter_name.is_empty() && sign > 0 {
            entry.meter_name = meter_name.to_string();
            entry.meter_category = meter_category.to_string();
            entry.unit = unit.to_string();
        }
        entry.records += sign;
        if sign > 0 {
            entry.quantity += quantity;
        } else {
            entry.quantity -= quantity;
        }
    }

    /// Adds another delta into this one.
    pub(crate) fn absorb(&mut self, other: SummaryDelta) {
        self.months.extend(other.months);
        for (key, v) in other.daily {
            let entry = self.daily.entry(key).or_default();
            if entry.meter_name.is_empty() {
                entry.meter_name = v.meter_name;
                entry.meter_category = v.meter_category;
                entry.unit = v.unit;
            }
            entry.records += v.records;
            entry.quantity += v.quantity;
        }
    }

    /// The usage dates the delta touches.
    pub(crate) fn dates(&self) -> BTreeSet<NaiveDate> {
        self.daily.keys().map(|k| k.usage_date).collect()
    }

    /// Merges the delta into the stored rows of its dates; returns the rows to store for those
    /// dates (rows whose record count falls to zero disappear).
    pub(crate) fn merge_into(
        &self,
        mut existing: BTreeMap<DailyKey, DailyValue>,
    ) -> Result<BTreeMap<DailyKey, DailyValue>> {
        for (key, delta) in &self.daily {
            let row = existing.entry(key.clone()).or_default();
            if row.meter_name.is_empty() {
                row.meter_name.clone_from(&delta.meter_name);
                row.meter_category.clone_from(&delta.meter_category);
                row.unit.clone_from(&delta.unit);
            }
            row.records += delta.records;
            row.quantity += delta.quantity;
            if row.records < 0 {
                return Err(Error::internal(format!(
                    "the daily summary of {} {} {} would have {} records: usage_daily is out of step with usage_records",
                    key.usage_date, key.subscription_id, key.meter_id, row.records
                )));
            }
        }
        existing.retain(|_, v| v.records > 0);
        Ok(existing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_round_trip_through_json_in_order() {
        let m = StringMap(vec![("b".into(), "2 \"q\"".into()), ("a".into(), "ü".into())]);
        let text = map_json(&m);
        assert_eq!(text, r#"{"b":"2 \"q\"","a":"ü"}"#);
        assert_eq!(json_map(&text, "tags").unwrap(), m);
        assert_eq!(map_json(&StringMap::default()), "{}");
    }

    #[test]
    fn months() {
        let t = Utc.with_ymd_and_hms(2026, 12, 31, 23, 0, 0).unwrap();
        assert_eq!(month_start(&t), Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap());
        assert_eq!(next_month(&month_start(&t)), Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap());
    }

    #[test]
    fn deltas_merge_exactly_and_drop_empty_rows() {
        let day = Utc.with_ymd_and_hms(2026, 11, 3, 5, 0, 0).unwrap();
        let q = |s: &str| s.parse::<Decimal>().unwrap();
        let mut d = SummaryDelta::default();
        d.add_parts(1, day, "ABC", "m1", "Meter", "Cat", "Hours", q("0.0013440860215053762"));
        d.add_parts(1, day, "abc", "m1", "Meter", "Cat", "Hours", q("0.0013440860215053762"));
        d.add_parts(-1, day, "abc", "m2", "", "", "", q("5"));
        let mut existing = BTreeMap::new();
        let k2 = DailyKey { usage_date: day.date_naive(), subscription_id: "abc".into(), meter_id: "m2".into() };
        existing.insert(k2.clone(), DailyValue { records: 1, quantity: q("5"), ..Default::default() });
        let merged = d.merge_into(existing).unwrap();
        assert_eq!(merged.len(), 1);
        let v = merged.values().next().unwrap();
        assert_eq!((v.records, v.quantity), (2, q("0.0026881720430107524")));
        assert!(!merged.contains_key(&k2));
        assert_eq!(d.months.len(), 1);
    }
}
