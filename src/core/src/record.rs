//! The one usage record every surface hands out (`../shared/docs/record-schema.md`): its fields,
//! their order, and their text forms.

use std::fmt;

use chrono::{DateTime, SecondsFormat, Utc};
use rust_decimal::Decimal;
use serde::{Serialize, Serializer};

/// Field names in schema order: the CSV header, the JSON keys and the PowerShell property names.
/// Append new fields at the end; never rename or reorder.
pub const FIELD_NAMES: [&str; 17] = [
    "SubscriptionId",
    "MeterId",
    "MeterName",
    "MeterCategory",
    "Unit",
    "Quantity",
    "UsageStartTime",
    "UsageEndTime",
    "ResourceUri",
    "ResourceGroup",
    "ResourceProvider",
    "ResourceType",
    "ResourceName",
    "Location",
    "Tags",
    "AdditionalInfo",
    "InstanceData",
];

/// One usage record, typed and flattened. Serialises (JSON) with the schema's names, order and
/// text forms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct UsageRecord {
    /// The tenant subscription the usage belongs to.
    pub subscription_id: String,
    /// Meter id as sent by the service (any case, with or without dashes).
    pub meter_id: String,
    /// Catalog name; empty when the meter is unknown.
    pub meter_name: String,
    /// Catalog category; empty when the meter is unknown.
    pub meter_category: String,
    /// Catalog unit; empty when the meter is unknown.
    pub unit: String,
    /// Exact quantity, never rounded through a float.
    #[serde(serialize_with = "ser_decimal")]
    pub quantity: Decimal,
    /// Start of the usage bucket (UTC).
    #[serde(serialize_with = "ser_instant")]
    pub usage_start_time: DateTime<Utc>,
    /// End of the usage bucket (UTC).
    #[serde(serialize_with = "ser_instant")]
    pub usage_end_time: DateTime<Utc>,
    /// Resource URI as sent.
    pub resource_uri: String,
    /// Segment after `resourceGroups` (any case).
    pub resource_group: String,
    /// Provider namespace, e.g. `Microsoft.Compute`.
    pub resource_provider: String,
    /// Resource type with child types, e.g. `storageAccounts/blobServices`.
    pub resource_type: String,
    /// Resource name with child names, e.g. `sa01/default`.
    pub resource_name: String,
    /// Region name of the stamp.
    pub location: String,
    /// Resource tags, in their original order.
    #[serde(serialize_with = "ser_map")]
    pub tags: StringMap,
    /// Additional info (VM size, image, ...), values rendered as text.
    #[serde(serialize_with = "ser_map")]
    pub additional_info: StringMap,
    /// The raw `instanceData` string.
    pub instance_data: String,
}

impl UsageRecord {
    /// The record's fields in schema order, in their text forms (for CSV and other flat files).
    pub fn text_fields(&self) -> [String; 17] {
        [
            self.subscription_id.clone(),
            self.meter_id.clone(),
            self.meter_name.clone(),
            self.meter_category.clone(),
            self.unit.clone(),
            format_decimal(&self.quantity),
            format_instant(&self.usage_start_time),
            format_instant(&self.usage_end_time),
            self.resource_uri.clone(),
            self.resource_group.clone(),
            self.resource_provider.clone(),
            self.resource_type.clone(),
            self.resource_name.clone(),
            self.location.clone(),
            self.tags.to_string(),
            self.additional_info.to_string(),
            self.instance_data.clone(),
        ]
    }
}

/// An instant in the schema's text form: ISO 8601, UTC, `Z`, whole seconds unless sub-second.
pub fn format_instant(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// A quantity in the schema's text form: plain notation, `.` separator, no exponent, no
/// trailing zeros.
pub fn format_decimal(d: &Decimal) -> String {
    d.normalize().to_string()
}

/// An ordered string map (tags, additional info). Keys keep the order the service sent them in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StringMap(pub Vec<(String, String)>);

impl StringMap {
    /// The value for `key` (exact match first, then case-insensitive, as ARM tag names are).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .or_else(|| self.0.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)))
            .map(|(_, v)| v.as_str())
    }

    /// True when the map holds no entries.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Entries in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

/// The schema's map form: `key=value` pairs joined by `;`, with `\`, `;` and `=` escaped by `\`.
impl fmt::Display for StringMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (k, v)) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(";")?;
            }
            write_escaped(f, k)?;
            f.write_str("=")?;
            write_escaped(f, v)?;
        }
        Ok(())
    }
}

fn write_escaped(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    for c in s.chars() {
        if matches!(c, '\\' | ';' | '=') {
            f.write_str("\\")?;
        }
        fmt::Write::write_char(f, c)?;
    }
    Ok(())
}

impl StringMap {
    /// Parses the schema's map form back (the inverse of `Display`).
    pub fn parse_text(s: &str) -> StringMap {
        let mut out = Vec::new();
        if s.is_empty() {
            return StringMap(out);
        }
        let (mut key, mut cur, mut in_value, mut escaped) = (String::new(), String::new(), false, false);
        for c in s.chars() {
            if escaped {
                cur.push(c);
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '=' && !in_value {
                key = std::mem::take(&mut cur);
                in_value = true;
            } else if c == ';' {
                out.push((std::mem::take(&mut key), std::mem::take(&mut cur)));
                in_value = false;
            } else {
                cur.push(c);
            }
        }
        out.push((key, cur));
        StringMap(out)
    }
}

fn ser_decimal<S: Serializer>(d: &Decimal, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format_decimal(d))
}

fn ser_instant<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format_instant(t))
}

fn ser_map<S: Serializer>(m: &StringMap, s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut map = s.serialize_map(Some(m.len()))?;
    for (k, v) in m.iter() {
        map.serialize_entry(k, v)?;
    }
    map.end()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_text_form_escapes_and_round_trips() {
        let m = StringMap(vec![("Cost;Center".into(), "a=b\\c".into()), ("Ünïcode".into(), "値".into())]);
        let text = m.to_string();
        assert_eq!(text, "Cost\\;Center=a\\=b\\\\c;Ünïcode=値");
        assert_eq!(StringMap::parse_text(&text), m);
        assert_eq!(StringMap::default().to_string(), "");
    }

    #[test]
    fn decimal_text_form_has_no_exponent() {
        let d: Decimal = "0.0000063646".parse().unwrap();
        assert_eq!(format_decimal(&d), "0.0000063646");
        assert_eq!(format_decimal(&"1.000".parse().unwrap()), "1");
    }

    #[test]
    fn instant_text_form_is_utc_z() {
        let t: DateTime<Utc> = "2026-11-01T13:00:00+00:00".parse().unwrap();
        assert_eq!(format_instant(&t), "2026-11-01T13:00:00Z");
    }
}
