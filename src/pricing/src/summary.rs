//! Grouped cost summaries: records, list / contracted / billed cost and unpriced records per
//! group of any of `subscription`, `tenant`, `offer`, `resource-group`, `resource`, `meter`,
//! `category`, `location`, `tag:KEY`, per period (`none`, `day`, `month` of the usage start,
//! UTC).
//!
//! Tag keys match case-insensitively (an exact match first, as ARM tag names); records without
//! the key form the group `(untagged)`. Text keys other than tags group case-insensitively (ARM
//! names are case-insensitive) and show the first spelling seen. Unknown directory values show
//! as `(unknown)`.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use azs_usage_core::record::format_decimal;
use azs_usage_core::{StringMap, TenantSubscription, UsageRecord};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::focus::FocusRow;
use crate::ratecard::sku_id;

/// The group of records without the tag.
pub const UNTAGGED: &str = "(untagged)";
/// The group of records whose directory value is not known.
pub const UNKNOWN: &str = "(unknown)";

/// One grouping dimension.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum GroupKey {
    /// The tenant subscription id.
    Subscription,
    /// The directory tenant (`x_TenantId`).
    Tenant,
    /// The offer name.
    Offer,
    /// The resource group.
    ResourceGroup,
    /// The resource URI.
    Resource,
    /// The meter (`name (id)`).
    Meter,
    /// The meter category.
    Category,
    /// The region.
    Location,
    /// A tag's value.
    Tag(String),
}

impl FromStr for GroupKey {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        if let Some((kind, key)) = t.split_once(':')
            && kind.eq_ignore_ascii_case("tag")
            && !key.is_empty()
        {
            return Ok(GroupKey::Tag(key.to_string()));
        }
        Ok(match t.to_ascii_lowercase().as_str() {
            "subscription" => GroupKey::Subscription,
            "tenant" => GroupKey::Tenant,
            "offer" => GroupKey::Offer,
            "resource-group" | "resourcegroup" => GroupKey::ResourceGroup,
            "resource" => GroupKey::Resource,
            "meter" => GroupKey::Meter,
            "category" => GroupKey::Category,
            "location" => GroupKey::Location,
            _ => {
                return Err(format!(
                    "'{t}' is not a grouping: use subscription, tenant, offer, resource-group, resource, meter, category, location or tag:KEY"
                ));
            }
        })
    }
}

impl fmt::Display for GroupKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            GroupKey::Subscription => "subscription",
            GroupKey::Tenant => "tenant",
            GroupKey::Offer => "offer",
            GroupKey::ResourceGroup => "resource-group",
            GroupKey::Resource => "resource",
            GroupKey::Meter => "meter",
            GroupKey::Category => "category",
            GroupKey::Location => "location",
            GroupKey::Tag(k) => return write!(f, "tag:{k}"),
        })
    }
}

/// The period of a summary row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Period {
    /// One row per group.
    #[default]
    None,
    /// Per UTC day of the usage start (`YYYY-MM-DD`).
    Day,
    /// Per UTC month of the usage start (`YYYY-MM`).
    Month,
}

impl FromStr for Period {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "none" => Ok(Period::None),
            "day" => Ok(Period::Day),
            "month" => Ok(Period::Month),
            other => Err(format!("'{other}' is not a period: use none, day or month")),
        }
    }
}

impl Period {
    fn label(self, t: DateTime<Utc>) -> String {
        match self {
            Period::None => String::new(),
            Period::Day => t.format("%Y-%m-%d").to_string(),
            Period::Month => t.format("%Y-%m").to_string(),
        }
    }
}

/// One row of a summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SummaryRow {
    /// The group's values, in the order of the grouping keys.
    pub keys: Vec<String>,
    /// `YYYY-MM-DD` or `YYYY-MM`; empty for `Period::None`.
    pub period: String,
    /// All records of the group, priced and unpriced.
    pub records: u64,
    /// Sum of `ListCost`.
    pub list_cost: Decimal,
    /// Sum of `ContractedCost`.
    pub contracted_cost: Decimal,
    /// Sum of `BilledCost`.
    pub billed_cost: Decimal,
    /// The rate card's currency.
    pub currency: String,
    /// Records of the group without an effective price (not in the costs).
    pub unpriced_records: u64,
}

#[derive(Debug, Default, Clone)]
struct Totals {
    /// First spelling seen of each key.
    display: Vec<String>,
    records: u64,
    list: Decimal,
    contracted: Decimal,
    billed: Decimal,
    unpriced: u64,
}

/// Accumulates rows into groups.
#[derive(Debug, Clone)]
pub struct Summary {
    group_by: Vec<GroupKey>,
    period: Period,
    currency: String,
    groups: BTreeMap<(Vec<String>, String), Totals>,
}

/// The fields a group key reads, from a FOCUS row or an unpriced record.
struct Fields<'a> {
    subscription: &'a str,
    tenant: &'a str,
    offer: &'a str,
    resource_group: &'a str,
    resource: &'a str,
    meter: String,
    category: &'a str,
    location: &'a str,
    tags: &'a StringMap,
    start: DateTime<Utc>,
}

impl Summary {
    /// An empty summary.
    pub fn new(group_by: Vec<GroupKey>, period: Period, currency: impl Into<String>) -> Summary {
        Summary { group_by, period, currency: currency.into(), groups: BTreeMap::new() }
    }

    /// Counts a priced record.
    pub fn add_row(&mut self, row: &FocusRow) {
        let fields = Fields {
            subscription: &row.sub_account_id,
            tenant: &row.x_tenant_id,
            offer: &row.x_offer_name,
            resource_group: &row.x_resource_group,
            resource: &row.resource_id,
            meter: meter_label(&row.sku_meter, &row.x_meter_id),
            category: &row.x_meter_category,
            location: &row.region_id,
            tags: &row.tags,
            start: row.charge_period_start,
        };
        let t = self.totals(&fields);
        t.records += 1;
        t.list += row.list_cost;
        t.contracted += row.contracted_cost;
        t.billed += row.billed_cost;
    }

    /// Counts an unpriced record (its directory entry, if known, gives tenant and offer).
    pub fn add_unpriced(&mut self, record: &UsageRecord, entry: Option<&TenantSubscription>) {
        let fields = Fields {
            subscription: &record.subscription_id,
            tenant: entry.map(|e| e.tenant_id.as_str()).unwrap_or(""),
            offer: entry.map(|e| e.offer_name.as_str()).unwrap_or(""),
            resource_group: &record.resource_group,
            resource: &record.resource_uri,
            meter: meter_label(&record.meter_name, &record.meter_id),
            category: &record.meter_category,
            location: &record.location,
            tags: &record.tags,
            start: record.usage_start_time,
        };
        let t = self.totals(&fields);
        t.records += 1;
        t.unpriced += 1;
    }

    fn totals(&mut self, f: &Fields<'_>) -> &mut Totals {
        let or_unknown = |s: &str| if s.is_empty() { UNKNOWN.to_string() } else { s.to_string() };
        let display: Vec<String> = self
            .group_by
            .iter()
            .map(|k| match k {
                GroupKey::Subscription => or_unknown(f.subscription),
                GroupKey::Tenant => or_unknown(f.tenant),
                GroupKey::Offer => or_unknown(f.offer),
                GroupKey::ResourceGroup => or_unknown(f.resource_group),
                GroupKey::Resource => or_unknown(f.resource),
                GroupKey::Meter => f.meter.clone(),
                GroupKey::Category => or_unknown(f.category),
                GroupKey::Location => or_unknown(f.location),
                GroupKey::Tag(key) => f.tags.get(key).map(str::to_string).unwrap_or_else(|| UNTAGGED.to_string()),
            })
            .collect();
        let folded: Vec<String> = self
            .group_by
            .iter()
            .zip(&display)
            .map(|(k, v)| if matches!(k, GroupKey::Tag(_)) { v.clone() } else { v.to_lowercase() })
            .collect();
        let period = self.period.label(f.start);
        self.groups.entry((folded, period)).or_insert_with(|| Totals { display, ..Totals::default() })
    }

    /// The column names of [`Summary::rows`] in CSV order.
    pub fn header(&self) -> Vec<String> {
        let mut h: Vec<String> = self.group_by.iter().map(|k| k.to_string()).collect();
        if self.period != Period::None {
            h.push("Period".into());
        }
        h.extend(
            ["Records", "ListCost", "ContractedCost", "BilledCost", "Currency", "UnpricedRecords"].map(String::from),
        );
        h
    }

    /// The groups, sorted by key and period.
    pub fn rows(&self) -> Vec<SummaryRow> {
        self.groups
            .iter()
            .map(|((_, period), t)| SummaryRow {
                keys: t.display.clone(),
                period: period.clone(),
                records: t.records,
                list_cost: t.list.normalize(),
                contracted_cost: t.contracted.normalize(),
                billed_cost: t.billed.normalize(),
                currency: self.currency.clone(),
                unpriced_records: t.unpriced,
            })
            .collect()
    }

    /// A row's cells in [`Summary::header`] order.
    pub fn cells(&self, row: &SummaryRow) -> Vec<String> {
        let mut c = row.keys.clone();
        if self.period != Period::None {
            c.push(row.period.clone());
        }
        c.extend([
            row.records.to_string(),
            format_decimal(&row.list_cost),
            format_decimal(&row.contracted_cost),
            format_decimal(&row.billed_cost),
            row.currency.clone(),
            row.unpriced_records.to_string(),
        ]);
        c
    }

    /// A row as a JSON object with the header's names (decimals as strings, exact).
    pub fn json(&self, row: &SummaryRow) -> serde_json::Value {
        let mut m = serde_json::Map::new();
        for (name, value) in self.header().into_iter().zip(self.cells(row)) {
            let v = match name.as_str() {
                "Records" | "UnpricedRecords" => serde_json::Value::from(value.parse::<u64>().unwrap_or_default()),
                _ => serde_json::Value::String(value),
            };
            m.insert(name, v);
        }
        serde_json::Value::Object(m)
    }
}

fn meter_label(name: &str, id: &str) -> String {
    if name.is_empty() { sku_id(id) } else { format!("{name} ({})", sku_id(id)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_periods_parse() {
        assert_eq!("Resource-Group".parse::<GroupKey>().unwrap(), GroupKey::ResourceGroup);
        assert_eq!("tag:CostCenter".parse::<GroupKey>().unwrap(), GroupKey::Tag("CostCenter".into()));
        assert_eq!("TAG:x".parse::<GroupKey>().unwrap().to_string(), "tag:x");
        assert!("tag:".parse::<GroupKey>().is_err());
        assert!("owner".parse::<GroupKey>().unwrap_err().contains("tag:KEY"));
        assert_eq!("MONTH".parse::<Period>().unwrap(), Period::Month);
        assert!("week".parse::<Period>().is_err());
    }

    fn row(sub: &str, rg: &str, tags: &[(&str, &str)], billed: &str, day: u32) -> FocusRow {
        FocusRow {
            sub_account_id: sub.into(),
            x_resource_group: rg.into(),
            tags: StringMap(tags.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()),
            billed_cost: billed.parse().unwrap(),
            list_cost: billed.parse().unwrap(),
            contracted_cost: billed.parse().unwrap(),
            charge_period_start: format!("2026-11-{day:02}T05:00:00Z").parse().unwrap(),
            ..FocusRow::default()
        }
    }

    #[test]
    fn groups_by_tag_case_insensitively_with_untagged() {
        let mut s = Summary::new(vec![GroupKey::Tag("costcenter".into())], Period::None, "EUR");
        s.add_row(&row("a", "rg", &[("CostCenter", "CC-1")], "1.5", 1));
        s.add_row(&row("b", "rg", &[("costCenter", "CC-1")], "2", 1));
        s.add_row(&row("b", "rg", &[("costCenter", "cc-1")], "4", 1)); // values are not folded
        s.add_row(&row("c", "rg", &[], "0.25", 1));
        let rows = s.rows();
        let by: Vec<(String, String, u64)> =
            rows.iter().map(|r| (r.keys[0].clone(), r.billed_cost.to_string(), r.records)).collect();
        assert_eq!(
            by,
            vec![
                (UNTAGGED.to_string(), "0.25".into(), 1),
                ("CC-1".to_string(), "3.5".into(), 2),
                ("cc-1".to_string(), "4".into(), 1)
            ]
        );
        assert_eq!(
            s.header(),
            ["tag:costcenter", "Records", "ListCost", "ContractedCost", "BilledCost", "Currency", "UnpricedRecords"]
        );
    }

    #[test]
    fn groups_by_day_and_counts_unpriced() {
        let mut s = Summary::new(vec![GroupKey::Subscription, GroupKey::ResourceGroup], Period::Day, "USD");
        s.add_row(&row("S1", "RG", &[], "1", 1));
        s.add_row(&row("s1", "rg", &[], "1", 1));
        s.add_row(&row("s1", "rg", &[], "1", 2));
        let rec = UsageRecord {
            subscription_id: "s1".into(),
            meter_id: "m".into(),
            meter_name: String::new(),
            meter_category: String::new(),
            unit: String::new(),
            quantity: Decimal::ONE,
            usage_start_time: "2026-11-02T00:00:00Z".parse().unwrap(),
            usage_end_time: "2026-11-02T01:00:00Z".parse().unwrap(),
            resource_uri: String::new(),
            resource_group: "Rg".into(),
            resource_provider: String::new(),
            resource_type: String::new(),
            resource_name: String::new(),
            location: String::new(),
            tags: StringMap::default(),
            additional_info: StringMap::default(),
            instance_data: String::new(),
        };
        s.add_unpriced(&rec, None);
        let rows = s.rows();
        assert_eq!(rows.len(), 2);
        assert_eq!(
            (rows[0].keys.clone(), rows[0].period.as_str(), rows[0].records),
            (vec!["S1".into(), "RG".into()], "2026-11-01", 2)
        );
        assert_eq!((rows[1].records, rows[1].unpriced_records, rows[1].billed_cost), (2, 1, Decimal::ONE));
        assert_eq!(s.cells(&rows[1])[2], "2026-11-02");
        assert_eq!(s.json(&rows[1])["UnpricedRecords"], serde_json::json!(1));
    }
}
