//! FOCUS cost rows in the database: the column mapping, the month-at-a-time recomputation's
//! seam to pricing, and the exact monthly summaries written beside the rows.

use std::collections::BTreeMap;

use azs_usage_core::{TenantSubscription, UsageRecord};
use azs_usage_pricing::{FOCUS_COLUMNS, FocusRow};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use crate::model::{decimal_text, instant_text, map_json};

/// Prices the records of one (stamp, granularity, month), fed in (UsageStartTime, ResourceUri)
/// order, the order the cost engine needs for included quantities and tiers.
pub trait MonthPricer: Send {
    /// The cost row of one record, or `None` when no rate card row prices it.
    fn price(&mut self, record: &UsageRecord) -> Option<FocusRow>;
}

/// What the sync prices with (`--rate-card`): a fresh [`MonthPricer`] per month.
pub trait CostModel: Send + Sync {
    /// A stable id of the rate card (stored with every cost row and in `rate_cards`).
    fn rate_card_id(&self) -> String;
    /// Where the card came from (a path), for `rate_cards.source`.
    fn source(&self) -> String;
    /// The card's currency.
    fn currency(&self) -> String;
    /// The card's normalised rows (stored in `rate_card_rows`).
    fn rows(&self) -> Vec<azs_usage_pricing::PriceRow>;
    /// A pricer for one month of one stamp, with the stamp's stored directory.
    fn month_pricer(&self, directory: Vec<TenantSubscription>) -> Box<dyn MonthPricer>;
}

/// Database column names of the FOCUS columns, in [`FOCUS_COLUMNS`] order: the spec's names in
/// snake_case (`BilledCost` → `billed_cost`, `x_MeterId` → `x_meter_id`).
pub fn focus_column_names() -> Vec<String> {
    FOCUS_COLUMNS.iter().map(|c| snake_case(c)).collect()
}

pub(crate) fn snake_case(name: &str) -> String {
    if let Some(rest) = name.strip_prefix("x_") {
        return format!("x_{}", snake_case(rest));
    }
    let mut out = String::with_capacity(name.len() + 4);
    for (i, ch) in name.chars().enumerate() {
        if ch.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(ch.to_ascii_lowercase());
        } else {
            out.push(ch);
        }
    }
    out
}

/// One cell of a FOCUS row, typed.
#[derive(Debug, Clone)]
pub(crate) enum Cell<'a> {
    Text(&'a str),
    NullableText(Option<&'a str>),
    Decimal(Decimal),
    Instant(DateTime<Utc>),
    Json(String),
}

impl Cell<'_> {
    /// The SQLite text form (`None` = NULL).
    pub(crate) fn text(&self) -> Option<String> {
        match self {
            Cell::Text(s) => Some(s.to_string()),
            Cell::NullableText(s) => s.map(str::to_string),
            Cell::Decimal(d) => Some(decimal_text(d)),
            Cell::Instant(t) => Some(instant_text(t)),
            Cell::Json(s) => Some(s.clone()),
        }
    }
}

/// A row's cells in [`FOCUS_COLUMNS`] order.
pub(crate) fn focus_cells(r: &FocusRow) -> [Cell<'_>; 47] {
    use Cell::*;
    [
        Decimal(r.billed_cost),
        Text(&r.billing_account_id),
        Text(&r.billing_account_name),
        Text(&r.billing_currency),
        Instant(r.billing_period_end),
        Instant(r.billing_period_start),
        Text(&r.charge_category),
        NullableText(r.charge_class.as_deref()),
        Text(&r.charge_description),
        Instant(r.charge_period_end),
        Instant(r.charge_period_start),
        Decimal(r.contracted_cost),
        Decimal(r.effective_cost),
        Text(&r.invoice_issuer_name),
        Decimal(r.list_cost),
        Decimal(r.pricing_quantity),
        Text(&r.pricing_unit),
        Text(&r.provider_name),
        Text(&r.publisher_name),
        Text(&r.service_category),
        Text(&r.service_name),
        Text(&r.charge_frequency),
        Decimal(r.consumed_quantity),
        Text(&r.consumed_unit),
        Decimal(r.contracted_unit_price),
        Decimal(r.list_unit_price),
        Text(&r.pricing_category),
        Text(&r.region_id),
        Text(&r.region_name),
        Text(&r.resource_id),
        Text(&r.resource_name),
        Text(&r.resource_type),
        Text(&r.service_subcategory),
        Text(&r.sku_id),
        Text(&r.sku_meter),
        Text(&r.sku_price_details),
        Text(&r.sku_price_id),
        Text(&r.sub_account_id),
        Text(&r.sub_account_name),
        Text(&r.sub_account_type),
        Json(map_json(&r.tags)),
        Text(&r.x_meter_id),
        Text(&r.x_meter_category),
        Text(&r.x_resource_group),
        Text(&r.x_tenant_id),
        Text(&r.x_owner),
        Text(&r.x_offer_name),
    ]
}

/// The value of tag rows without the key (each key's values then add up to the month's total).
pub const UNTAGGED: &str = "(untagged)";

#[derive(Debug, Default, Clone)]
pub(crate) struct Money {
    pub(crate) rows: i64,
    pub(crate) billed: Decimal,
    pub(crate) effective: Decimal,
    pub(crate) list: Decimal,
    pub(crate) contracted: Decimal,
}

impl Money {
    fn add(&mut self, r: &FocusRow) {
        self.rows += 1;
        self.billed += r.billed_cost;
        self.effective += r.effective_cost;
        self.list += r.list_cost;
        self.contracted += r.contracted_cost;
    }
    fn minus(&self, other: &Money) -> Money {
        Money {
            rows: self.rows - other.rows,
            billed: self.billed - other.billed,
            effective: self.effective - other.effective,
            list: self.list - other.list,
            contracted: self.contracted - other.contracted,
        }
    }
}

/// The subscription columns of a monthly row.
#[derive(Debug, Default, Clone)]
pub(crate) struct SubAccount {
    pub(crate) name: String,
    pub(crate) tenant_id: String,
    pub(crate) owner: String,
    pub(crate) offer_name: String,
}

/// Exact sums of one month's cost rows, accumulated as they are written.
#[derive(Debug, Default)]
pub(crate) struct CostSummary {
    /// (currency, subscription) → its columns and sums.
    pub(crate) monthly: BTreeMap<(String, String), (SubAccount, Money)>,
    /// currency → sums of every row.
    pub(crate) totals: BTreeMap<String, Money>,
    /// (currency, lower-case key) → (key as first seen, value → sums).
    pub(crate) tags: BTreeMap<(String, String), (String, BTreeMap<String, Money>)>,
    pub(crate) rows: u64,
}

impl CostSummary {
    pub(crate) fn add(&mut self, r: &FocusRow) {
        self.rows += 1;
        let cur = r.billing_currency.clone();
        let (sub, money) = self.monthly.entry((cur.clone(), r.sub_account_id.to_ascii_lowercase())).or_default();
        if sub.name.is_empty() {
            *sub = SubAccount {
                name: r.sub_account_name.clone(),
                tenant_id: r.x_tenant_id.clone(),
                owner: r.x_owner.clone(),
                offer_name: r.x_offer_name.clone(),
            };
        }
        money.add(r);
        self.totals.entry(cur.clone()).or_default().add(r);
        // Tag keys compare case-insensitively (as ARM's do); a row counts once per key.
        let mut seen: Vec<String> = Vec::new();
        for (k, v) in r.tags.iter() {
            let lower = k.to_lowercase();
            if seen.contains(&lower) {
                continue;
            }
            seen.push(lower.clone());
            let (_, values) = self.tags.entry((cur.clone(), lower)).or_insert_with(|| (k.to_string(), BTreeMap::new()));
            values.entry(v.to_string()).or_default().add(r);
        }
    }

    /// Rows of `cost_by_tag`: (currency, key, value, sums), the untagged bucket included.
    pub(crate) fn tag_rows(&self) -> Vec<(String, String, String, Money)> {
        let mut out = Vec::new();
        for ((cur, _), (key, values)) in &self.tags {
            let mut tagged = Money::default();
            for (value, m) in values {
                tagged.rows += m.rows;
                tagged.billed += m.billed;
                tagged.effective += m.effective;
                tagged.list += m.list;
                tagged.contracted += m.contracted;
                out.push((cur.clone(), key.clone(), value.clone(), m.clone()));
            }
            let total = self.totals.get(cur).cloned().unwrap_or_default();
            let rest = total.minus(&tagged);
            if rest.rows > 0 {
                out.push((cur.clone(), key.clone(), UNTAGGED.to_string(), rest));
            }
        }
        out
    }
}

/// What recomputing one month did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct CostOutcome {
    pub(crate) rows: u64,
    pub(crate) unpriced: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_case_names_match_the_migrations() {
        let names = focus_column_names();
        assert_eq!(names[0], "billed_cost");
        assert_eq!(names[41], "x_meter_id");
        for sql in [
            include_str!("../migrations/sqlite/0001_initial.sql"),
            include_str!("../migrations/postgres/0001_initial.sql"),
        ] {
            let table = sql.split("CREATE TABLE focus_costs (").nth(1).unwrap().split(");").next().unwrap();
            let cols: Vec<&str> = table.lines().filter_map(|l| l.split_whitespace().next()).collect();
            assert_eq!(&cols[2..49], names.iter().map(String::as_str).collect::<Vec<_>>().as_slice());
        }
    }
}
