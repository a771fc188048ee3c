//! One streaming pass over the FOCUS rows and the unpriced usage: every figure of the report and
//! of the statements is a sum kept here, exact (`Decimal`), per tenant, subscription, meter, day,
//! category, tag value and resource. Memory grows with those keys, never with the row count.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

// hashbrown: `entry_ref` looks up by `&str` and allocates the key only on a miss, and its
// foldhash is several times faster than std's SipHash on these short keys (the per-row path).
use hashbrown::HashMap;

use azs_usage_core::{MeterCatalog, UsageRecord};
use azs_usage_pricing::FocusRow;
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;

use crate::error::{Error, Result};
use crate::period::Period;

/// Label of the tag group that collects rows without the chosen key.
pub(crate) const UNTAGGED: &str = "(untagged)";
/// Label of the group of usage whose meter or unit is unknown.
pub(crate) const UNKNOWN: &str = "(unknown)";

/// Cost sums of one group.
#[derive(Debug, Clone, Default)]
pub(crate) struct Costs {
    pub(crate) billed: Decimal,
    pub(crate) list: Decimal,
    pub(crate) contracted: Decimal,
    pub(crate) rows: u64,
}

impl Costs {
    fn add(&mut self, row: &FocusRow) {
        self.billed += row.billed_cost;
        self.list += row.list_cost;
        self.contracted += row.contracted_cost;
        self.rows += 1;
    }
}

/// One statement line: a meter at one price of one subscription.
#[derive(Debug, Clone)]
pub(crate) struct Line {
    pub(crate) meter_id: String,
    pub(crate) meter_name: String,
    pub(crate) pricing_unit: String,
    pub(crate) pricing_quantity: Decimal,
    pub(crate) consumed_unit: String,
    pub(crate) consumed_quantity: Decimal,
    pub(crate) contracted_unit_price: Decimal,
    pub(crate) list_unit_price: Decimal,
    pub(crate) price_details: String,
    pub(crate) costs: Costs,
}

/// A tenant subscription as its rows describe it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Subscription {
    pub(crate) name: String,
    pub(crate) owner: String,
    pub(crate) offer: String,
    pub(crate) costs: Costs,
    /// Lines keyed by `meter id \u{1f} price id`.
    pub(crate) lines: HashMap<String, Line>,
}

/// A tenant: a directory tenant id, or a subscription the directory did not know.
#[derive(Debug, Clone, Default)]
pub(crate) struct Tenant {
    pub(crate) tenant_id: String,
    pub(crate) owners: BTreeSet<String>,
    pub(crate) costs: Costs,
    pub(crate) subscriptions: HashMap<String, Subscription>,
}

impl Tenant {
    /// How people name the tenant: the domain of its owners' sign-in names when they share one
    /// (`admin@contoso.onmicrosoft.com` -> `contoso.onmicrosoft.com`), else the directory tenant
    /// id, else (a subscription missing from the directory) the subscription's name or id.
    pub(crate) fn label(&self) -> String {
        let domains: BTreeSet<&str> =
            self.owners.iter().filter_map(|o| o.rsplit_once('@').map(|(_, d)| d)).filter(|d| !d.is_empty()).collect();
        if domains.len() == 1 {
            return domains.into_iter().next().unwrap_or_default().to_string();
        }
        if !self.tenant_id.is_empty() {
            return self.tenant_id.clone();
        }
        match self.subscriptions.iter().min_by(|a, b| a.0.cmp(b.0)) {
            Some((_, sub)) if !sub.name.is_empty() => format!("subscription {}", sub.name),
            Some((id, _)) => format!("subscription {id}"),
            None => UNKNOWN.to_string(),
        }
    }
}

/// A resource's cost and whether it carries the chosen tag.
#[derive(Debug, Clone, Default)]
pub(crate) struct Resource {
    pub(crate) name: String,
    pub(crate) resource_type: String,
    pub(crate) tenant_key: String,
    pub(crate) billed: Decimal,
    pub(crate) rows: u64,
    pub(crate) tagged: bool,
}

/// Unpriced usage of one meter.
#[derive(Debug, Clone, Default)]
pub(crate) struct UnpricedMeter {
    pub(crate) meter_id: String,
    pub(crate) name: String,
    pub(crate) category: String,
    pub(crate) unit: String,
    pub(crate) records: u64,
    pub(crate) quantity: Decimal,
    pub(crate) subscriptions: BTreeSet<String>,
}

/// A meter id that the catalog does not know, and how often it appeared.
#[derive(Debug, Clone, Default)]
pub(crate) struct UnknownMeter {
    pub(crate) meter_id: String,
    pub(crate) name: String,
    pub(crate) priced_rows: u64,
    pub(crate) unpriced_records: u64,
    pub(crate) billed: Decimal,
}

/// Sums per tag key (any tag), for the coverage table when no key is chosen.
#[derive(Debug, Clone, Default)]
pub(crate) struct TagKey {
    pub(crate) billed: Decimal,
    pub(crate) rows: u64,
}

/// Everything the report and the statements show, summed in one pass.
#[derive(Debug)]
pub(crate) struct Aggregate {
    period: Period,
    tag_key: Option<String>,
    catalog: std::sync::Arc<MeterCatalog>,
    pub(crate) currency: Option<String>,
    pub(crate) invoice_issuer: Option<String>,
    pub(crate) rows_read: u64,
    pub(crate) unpriced_read: u64,
    pub(crate) totals: Costs,
    /// Billed cost and rows carrying the chosen tag key (any tag when no key is chosen).
    pub(crate) tagged: Costs,
    pub(crate) tenants: HashMap<String, Tenant>,
    /// Service categories in first-seen order; `days` indexes them.
    pub(crate) service_categories: Vec<String>,
    pub(crate) days: BTreeMap<NaiveDate, Vec<Decimal>>,
    /// Usage series `(meter category, unit)`, first-seen order; `usage` indexes them.
    pub(crate) usage_series: Vec<(String, String)>,
    usage_index: HashMap<String, usize>,
    pub(crate) usage: Vec<BTreeMap<NaiveDate, Decimal>>,
    pub(crate) resources: HashMap<String, Resource>,
    /// Billed cost per value of the chosen tag key (the untagged rows under [`UNTAGGED`]).
    pub(crate) tag_values: HashMap<String, Costs>,
    /// Sums per tag key as written in the rows (merged ignoring case when shown).
    pub(crate) tag_keys: HashMap<String, TagKey>,
    pub(crate) unpriced: HashMap<String, UnpricedMeter>,
    /// Keyed by the id as written (the view merges ids that differ only in case or dashes).
    pub(crate) unknown_meters: HashMap<String, UnknownMeter>,
    /// First start and last end of everything kept.
    pub(crate) seen: Option<(DateTime<Utc>, DateTime<Utc>)>,
    key: String,
}

impl Aggregate {
    pub(crate) fn new(period: Period, tag_key: Option<String>, catalog: std::sync::Arc<MeterCatalog>) -> Aggregate {
        Aggregate {
            period,
            tag_key: tag_key.filter(|k| !k.trim().is_empty()),
            catalog,
            currency: None,
            invoice_issuer: None,
            rows_read: 0,
            unpriced_read: 0,
            totals: Costs::default(),
            tagged: Costs::default(),
            tenants: HashMap::new(),
            service_categories: Vec::new(),
            days: BTreeMap::new(),
            usage_series: Vec::new(),
            usage_index: HashMap::new(),
            usage: Vec::new(),
            resources: HashMap::new(),
            tag_values: HashMap::new(),
            tag_keys: HashMap::new(),
            unpriced: HashMap::new(),
            unknown_meters: HashMap::new(),
            seen: None,
            key: String::new(),
        }
    }

    pub(crate) fn tag_key(&self) -> Option<&str> {
        self.tag_key.as_deref()
    }

    pub(crate) fn period(&self) -> Period {
        self.period
    }

    /// Adds one cost row (ignored when it starts outside the period).
    pub(crate) fn add_row(&mut self, row: &FocusRow) -> Result<()> {
        self.rows_read += 1;
        if !self.period.contains(row.charge_period_start) {
            return Ok(());
        }
        match &self.currency {
            None => self.currency = Some(row.billing_currency.clone()),
            Some(c) if *c == row.billing_currency => {}
            Some(c) => {
                return Err(Error::focus_invalid(format!(
                    "cost row {} is in {} but the rows before it are in {c}: a report totals one currency; \
                     write one report per rate card (currency)",
                    self.rows_read, row.billing_currency
                )));
            }
        }
        if self.invoice_issuer.is_none() && !row.invoice_issuer_name.is_empty() {
            self.invoice_issuer = Some(row.invoice_issuer_name.clone());
        }
        self.totals.add(row);
        self.see(row.charge_period_start, row.charge_period_end);
        let tenant_key = tenant_of(row);
        let day = row.charge_period_start.date_naive();

        // Tenant, subscription, statement line.
        let tenant =
            slot(&mut self.tenants, &tenant_key, || Tenant { tenant_id: row.x_tenant_id.clone(), ..Tenant::default() });
        tenant.costs.add(row);
        if !row.x_owner.is_empty() && !tenant.owners.contains(row.x_owner.as_str()) {
            tenant.owners.insert(row.x_owner.clone());
        }
        let sub = slot(&mut tenant.subscriptions, &row.sub_account_id, || Subscription {
            name: row.sub_account_name.clone(),
            owner: row.x_owner.clone(),
            offer: row.x_offer_name.clone(),
            ..Subscription::default()
        });
        sub.costs.add(row);
        self.key.clear();
        self.key.push_str(&row.sku_id);
        self.key.push('\u{1f}');
        self.key.push_str(&row.sku_price_id);
        let line = slot(&mut sub.lines, &self.key, || Line {
            meter_id: row.x_meter_id.clone(),
            meter_name: row.sku_meter.clone(),
            pricing_unit: row.pricing_unit.clone(),
            pricing_quantity: Decimal::ZERO,
            consumed_unit: row.consumed_unit.clone(),
            consumed_quantity: Decimal::ZERO,
            contracted_unit_price: row.contracted_unit_price,
            list_unit_price: row.list_unit_price,
            price_details: row.sku_price_details.clone(),
            costs: Costs::default(),
        });
        line.pricing_quantity += row.pricing_quantity;
        line.consumed_quantity += row.consumed_quantity;
        line.costs.add(row);

        // Cost by service category per day.
        let category = match self.service_categories.iter().rposition(|c| *c == row.service_category) {
            Some(i) => i,
            None => {
                self.service_categories.push(row.service_category.clone());
                self.service_categories.len() - 1
            }
        };
        let per_day = self.days.entry(day).or_default();
        if per_day.len() <= category {
            per_day.resize(category + 1, Decimal::ZERO);
        }
        per_day[category] += row.billed_cost;

        // Usage trend, catalog check.
        let category = if row.x_meter_category.is_empty() { &row.service_subcategory } else { &row.x_meter_category };
        self.add_usage(category, &row.consumed_unit, day, row.consumed_quantity);
        if self.catalog.lookup(&row.x_meter_id).is_none() {
            let m = slot(&mut self.unknown_meters, &row.x_meter_id, || UnknownMeter {
                meter_id: row.x_meter_id.clone(),
                name: row.sku_meter.clone(),
                ..UnknownMeter::default()
            });
            m.priced_rows += 1;
            m.billed += row.billed_cost;
        }

        // Tags.
        let value = match &self.tag_key {
            Some(key) => row.tags.get(key),
            None => row.tags.iter().next().map(|_| ""),
        };
        if value.is_some() {
            self.tagged.add(row);
        }
        for (k, _) in row.tags.iter() {
            let t = slot(&mut self.tag_keys, k, TagKey::default);
            t.billed += row.billed_cost;
            t.rows += 1;
        }
        if self.tag_key.is_some() {
            let group = value.unwrap_or(UNTAGGED);
            slot(&mut self.tag_values, group, Costs::default).add(row);
        }

        // Resources.
        let resource = slot(&mut self.resources, &row.resource_id, || Resource {
            name: row.resource_name.clone(),
            resource_type: row.resource_type.clone(),
            tenant_key: tenant_key.into_owned(),
            ..Resource::default()
        });
        resource.billed += row.billed_cost;
        resource.rows += 1;
        resource.tagged |= value.is_some();
        Ok(())
    }

    /// Adds one usage record that has no price (ignored when it starts outside the period).
    pub(crate) fn add_unpriced(&mut self, record: &UsageRecord) {
        self.unpriced_read += 1;
        if !self.period.contains(record.usage_start_time) {
            return;
        }
        self.see(record.usage_start_time, record.usage_end_time);
        let catalog = self.catalog.clone();
        let known = catalog.lookup(&record.meter_id);
        let (name, category, unit) = match &known {
            Some(m) => (m.name.as_str(), m.category.as_str(), m.unit.as_str()),
            None => (record.meter_name.as_str(), record.meter_category.as_str(), record.unit.as_str()),
        };
        let category = if category.is_empty() { UNKNOWN } else { category };
        let unit = if unit.is_empty() { UNKNOWN } else { unit };
        self.add_usage(category, unit, record.usage_start_time.date_naive(), record.quantity);
        let id = known.map(|m| m.id.as_str()).unwrap_or(record.meter_id.as_str());
        let meter = slot(&mut self.unpriced, id, || UnpricedMeter {
            meter_id: id.to_string(),
            name: name.to_string(),
            category: category.to_string(),
            unit: unit.to_string(),
            ..UnpricedMeter::default()
        });
        meter.records += 1;
        meter.quantity += record.quantity;
        if !meter.subscriptions.contains(record.subscription_id.as_str()) {
            meter.subscriptions.insert(record.subscription_id.clone());
        }
        if known.is_none() {
            slot(&mut self.unknown_meters, &record.meter_id, || UnknownMeter {
                meter_id: record.meter_id.clone(),
                name: record.meter_name.clone(),
                ..UnknownMeter::default()
            })
            .unpriced_records += 1;
        }
    }

    /// Unpriced records kept (in the period).
    pub(crate) fn unpriced_records(&self) -> u64 {
        self.unpriced.values().map(|m| m.records).sum()
    }

    fn add_usage(&mut self, category: &str, unit: &str, day: NaiveDate, quantity: Decimal) {
        self.key.clear();
        self.key.push_str(category);
        self.key.push('\u{1f}');
        self.key.push_str(unit);
        let index = match self.usage_index.get(self.key.as_str()) {
            Some(&i) => i,
            None => {
                self.usage_series.push((category.to_string(), unit.to_string()));
                self.usage.push(BTreeMap::new());
                self.usage_index.insert(self.key.clone(), self.usage.len() - 1);
                self.usage.len() - 1
            }
        };
        *self.usage[index].entry(day).or_default() += quantity;
    }

    fn see(&mut self, start: DateTime<Utc>, end: DateTime<Utc>) {
        self.seen = Some(match self.seen {
            None => (start, end),
            Some((s, e)) => (s.min(start), e.max(end)),
        });
    }
}

/// The entry for `key`, made by `make` when missing: one lookup by `&str`, and a hit allocates
/// nothing (the per-row path).
fn slot<'m, V>(map: &'m mut HashMap<String, V>, key: &str, make: impl FnOnce() -> V) -> &'m mut V {
    map.entry_ref(key).or_insert_with(make)
}

/// The tenant a row belongs to: its directory tenant id, or its subscription when the directory
/// did not know the subscription (so no cost is merged into a wrong tenant).
pub(crate) fn tenant_of(row: &FocusRow) -> Cow<'_, str> {
    if row.x_tenant_id.is_empty() {
        Cow::Owned(format!("subscription:{}", row.sub_account_id))
    } else {
        Cow::Borrowed(row.x_tenant_id.as_str())
    }
}
