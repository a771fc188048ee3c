//! The cost engine: exact costs of usage records under a rate card, as FOCUS rows.
//!
//! Rules (issue 8, "Costs"):
//! - A record is priced by the most specific scope with a price effective at its usage start
//!   (subscription, then offer, then `*`).
//! - Included quantity is consumed first, then tiers, both counted per (subscription, meter,
//!   calendar month of the usage start, UTC), records consumed in order of usage start, then
//!   resource URI (byte order). A record spanning the cumulative quantity `[a, b)` pays, for each
//!   part at or above the included quantity, the price of the tier that part falls in, divided
//!   by the block size. Only priced usage counts towards the month's cumulative quantity.
//! - `ListUnitPrice` is the `*` scope's tier-0 price (the winning scope's when no `*` price
//!   applies), `ContractedUnitPrice` the winning scope's tier-0 price, both per pricing unit;
//!   `PricingQuantity` = quantity / block size; `ListCost` and `ContractedCost` = unit price x
//!   `PricingQuantity`; `BilledCost` = `EffectiveCost` = the cost after included quantity and
//!   tiers. The charge period is the usage period, the billing period its calendar month (UTC).
//! - Nothing is rounded: decimals are exact (a block size that is not 2^a 5^b 10^k divides into
//!   28 significant digits, and the card loader warns about it).
//! - Usage without an effective price is never dropped or priced at zero: it comes back as
//!   [`Priced::Unpriced`] and is counted in [`UnpricedSummary`].

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use azs_usage_core::{MeterCatalog, UsageRecord};
use chrono::{DateTime, Datelike, TimeZone, Utc};
use rust_decimal::Decimal;

use crate::directory::Directory;
use crate::error::{Error, Result};
use crate::focus::FocusRow;
use crate::ratecard::{Price, RateCard, meter_key, sku_id};
use crate::service::{focus_unit, service_of};

/// The names FOCUS wants that a rate card and usage do not carry. Empty strings take the
/// defaults described on each field.
#[derive(Debug, Clone)]
pub struct FocusOptions {
    /// `BillingAccountId`. Empty: the directory's provider subscription of the record's
    /// subscription, else `AzureStackHub`.
    pub billing_account_id: String,
    /// `BillingAccountName`. Empty: the provider name.
    pub billing_account_name: String,
    /// `ProviderName`: who operates the stamp. Default `Azure Stack Hub`.
    pub provider_name: String,
    /// `PublisherName`. Default `Microsoft`.
    pub publisher_name: String,
    /// `InvoiceIssuerName`. Empty: the provider name.
    pub invoice_issuer_name: String,
    /// Names, units and categories of meters the records do not name (a file pulled with an
    /// older catalog, an `Export-Csv` file with the columns removed).
    pub catalog: Arc<MeterCatalog>,
}

impl Default for FocusOptions {
    fn default() -> Self {
        FocusOptions {
            billing_account_id: String::new(),
            billing_account_name: String::new(),
            provider_name: "Azure Stack Hub".into(),
            publisher_name: "Microsoft".into(),
            invoice_issuer_name: String::new(),
            catalog: Arc::new(MeterCatalog::builtin()),
        }
    }
}

/// Why a record has no price.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum UnpricedReason {
    /// The card has no row for the meter.
    MeterNotOnCard,
    /// The card prices the meter, but no price covers the record's subscription and usage start
    /// (an effective range that does not cover it, or only other subscriptions' or offers' prices).
    NoEffectivePrice,
}

impl UnpricedReason {
    /// A short explanation.
    pub fn as_str(self) -> &'static str {
        match self {
            UnpricedReason::MeterNotOnCard => "the rate card has no price for the meter",
            UnpricedReason::NoEffectivePrice => {
                "no price of the meter is effective for this subscription at the usage start"
            }
        }
    }
}

/// The outcome of pricing one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Priced {
    /// The FOCUS row of the record.
    Row(Box<FocusRow>),
    /// No effective price: the record belongs in the unpriced side file.
    Unpriced(UnpricedReason),
}

/// Unpriced usage of one meter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnpricedMeter {
    /// The meter id as the first such record sent it.
    pub meter_id: String,
    /// Its name (record or catalog), empty when unknown.
    pub meter_name: String,
    /// Records without a price.
    pub records: u64,
    /// Their total quantity, in the meter's unit.
    pub quantity: Decimal,
    /// Why (the first record's reason).
    pub reason: UnpricedReason,
}

/// Usage left unpriced so far: never dropped, never zero.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnpricedSummary {
    /// Records without a price.
    pub records: u64,
    /// Their total quantity (across meters and units: a size, not a sum that means anything).
    pub quantity: Decimal,
    meters: BTreeMap<String, UnpricedMeter>,
}

impl UnpricedSummary {
    /// The meters with unpriced usage, by meter key.
    pub fn meters(&self) -> impl Iterator<Item = &UnpricedMeter> {
        self.meters.values()
    }

    /// True when every record was priced.
    pub fn is_empty(&self) -> bool {
        self.records == 0
    }

    fn add(&mut self, record: &UsageRecord, name: &str, reason: UnpricedReason) {
        self.records += 1;
        self.quantity += record.quantity;
        let m = self.meters.entry(meter_key(&record.meter_id)).or_insert_with(|| UnpricedMeter {
            meter_id: record.meter_id.clone(),
            meter_name: name.to_string(),
            records: 0,
            quantity: Decimal::ZERO,
            reason,
        });
        m.records += 1;
        m.quantity += record.quantity;
    }

    /// One line for people: `N records of M meters (quantity Q): name (id) N records, ...`.
    pub fn describe(&self) -> String {
        let meters: Vec<String> = self
            .meters()
            .map(|m| {
                let name = if m.meter_name.is_empty() { String::new() } else { format!("{} ", m.meter_name) };
                format!("{name}({}) {} records, quantity {}", m.meter_id, m.records, m.quantity.normalize())
            })
            .collect();
        format!(
            "{} records of {} meter{} without an effective price (quantity {}): {}",
            self.records,
            self.meters.len(),
            if self.meters.len() == 1 { "" } else { "s" },
            self.quantity.normalize(),
            meters.join("; ")
        )
    }
}

/// Prices records against one rate card and directory. Accumulates included quantity and tiers
/// per (subscription, meter, UTC month); see the module documentation for the rules.
#[derive(Debug)]
pub struct CostEngine {
    card: Arc<RateCard>,
    directory: Arc<Directory>,
    options: FocusOptions,
    cumulative: HashMap<(String, String, i32), Decimal>,
    /// The last (usage start, resource URI) priced per accumulator, to count ordering violations.
    last: HashMap<(String, String, i32), (DateTime<Utc>, String)>,
    out_of_order: u64,
    unpriced: UnpricedSummary,
}

/// Month number of an instant (year * 12 + month - 1), the accumulators' period.
fn month_of(t: DateTime<Utc>) -> i32 {
    t.year() * 12 + t.month0() as i32
}

fn month_start(month: i32) -> DateTime<Utc> {
    let (y, m) = (month.div_euclid(12), month.rem_euclid(12) as u32 + 1);
    Utc.with_ymd_and_hms(y, m, 1, 0, 0, 0).single().unwrap_or_default()
}

impl CostEngine {
    /// An engine with empty accumulators.
    pub fn new(card: Arc<RateCard>, directory: Arc<Directory>, options: FocusOptions) -> CostEngine {
        CostEngine {
            card,
            directory,
            options,
            cumulative: HashMap::new(),
            last: HashMap::new(),
            out_of_order: 0,
            unpriced: UnpricedSummary::default(),
        }
    }

    /// The card's currency.
    pub fn currency(&self) -> &str {
        self.card.currency()
    }

    /// The directory in use.
    pub fn directory(&self) -> &Directory {
        &self.directory
    }

    /// A handle on the directory, for callers that keep it beside a mutable borrow of the engine.
    pub fn directory_handle(&self) -> Arc<Directory> {
        Arc::clone(&self.directory)
    }

    /// Prices one record of an ordered stream: records must arrive ordered by (usage start,
    /// resource URI) within each (subscription, meter, UTC month), e.g. the store's
    /// `ORDER BY usage_start, resource_uri` (byte order: SQLite's BINARY collation, PostgreSQL's
    /// `COLLATE "C"`). Records out of that order are still priced, tiers taken in arrival order,
    /// and counted by [`CostEngine::out_of_order`]. Unordered input: [`price_unordered`].
    pub fn price(&mut self, record: &UsageRecord) -> Priced {
        let card = Arc::clone(&self.card);
        let (winner, list) = match self.quote(&card, record) {
            Ok(q) => q,
            Err(reason) => {
                self.note_unpriced(record, reason);
                return Priced::Unpriced(reason);
            }
        };
        let key = (
            record.subscription_id.trim().to_ascii_lowercase(),
            meter_key(&record.meter_id),
            month_of(record.usage_start_time),
        );
        let here = (record.usage_start_time, record.resource_uri.as_str());
        match self.last.get_mut(&key) {
            Some(last) => {
                if (last.0, last.1.as_str()) > here {
                    self.out_of_order += 1;
                }
                last.0 = record.usage_start_time;
                record.resource_uri.clone_into(&mut last.1);
            }
            None => {
                self.last.insert(key.clone(), (record.usage_start_time, record.resource_uri.clone()));
            }
        }
        let cumulative = self.cumulative.entry(key).or_default();
        let a = *cumulative;
        let b = a + record.quantity;
        *cumulative = b;
        let billed = winner.charge_to(b) - winner.charge_to(a);
        Priced::Row(Box::new(self.row(record, winner, list, billed)))
    }

    /// Usage left unpriced so far.
    pub fn unpriced(&self) -> &UnpricedSummary {
        &self.unpriced
    }

    /// Records [`CostEngine::price`] received out of (usage start, resource URI) order.
    pub fn out_of_order(&self) -> u64 {
        self.out_of_order
    }

    /// The price and the list price of a record, or why it has none.
    fn quote<'c>(&self, card: &'c RateCard, record: &UsageRecord) -> Result<(&'c Price, &'c Price), UnpricedReason> {
        let key = meter_key(&record.meter_id);
        let offer =
            self.directory.get(&record.subscription_id).map(|e| e.offer_name.as_str()).filter(|o| !o.is_empty());
        card.lookup(&key, &record.subscription_id, offer, record.usage_start_time).ok_or(if card.knows_meter(&key) {
            UnpricedReason::NoEffectivePrice
        } else {
            UnpricedReason::MeterNotOnCard
        })
    }

    fn note_unpriced(&mut self, record: &UsageRecord, reason: UnpricedReason) {
        let catalog = self.options.catalog.lookup(&record.meter_id);
        let name = if record.meter_name.is_empty() {
            catalog.map(|m| m.name.as_str()).unwrap_or("")
        } else {
            &record.meter_name
        };
        let name = name.to_string();
        self.unpriced.add(record, &name, reason);
    }

    /// The FOCUS row of a priced record whose billed cost is known.
    fn row(&self, r: &UsageRecord, winner: &Price, list: &Price, billed: Decimal) -> FocusRow {
        let o = &self.options;
        let catalog = o.catalog.lookup(&r.meter_id);
        let pick = |own: &str, from_catalog: Option<&str>| -> String {
            if own.is_empty() { from_catalog.unwrap_or("").to_string() } else { own.to_string() }
        };
        let meter_name = {
            let n = pick(&r.meter_name, catalog.map(|m| m.name.as_str()));
            if !n.is_empty() {
                n
            } else if !winner.meter_name.is_empty() {
                winner.meter_name.clone()
            } else {
                r.meter_id.clone()
            }
        };
        let category = pick(&r.meter_category, catalog.map(|m| m.category.as_str()));
        let consumed_unit = focus_unit(&pick(&r.unit, catalog.map(|m| m.unit.as_str())));
        let block = winner.block_size;
        let pricing_unit = if !winner.unit.is_empty() {
            winner.unit.clone()
        } else if block == Decimal::ONE {
            consumed_unit.clone()
        } else {
            format!("{} {consumed_unit}", block.normalize())
        };
        let pricing_quantity = r.quantity / block;
        let contracted_unit_price = winner.base_price();
        // Per the winning price's pricing unit, so that ListCost = ListUnitPrice x PricingQuantity.
        let list_unit_price =
            if list.block_size == block { list.base_price() } else { list.base_price() * block / list.block_size };
        let entry = self.directory.get(&r.subscription_id);
        let from_directory = |f: fn(&azs_usage_core::TenantSubscription) -> &String| -> String {
            entry.map(|e| f(e).clone()).unwrap_or_default()
        };
        let provider_name =
            if o.provider_name.is_empty() { "Azure Stack Hub".to_string() } else { o.provider_name.clone() };
        let billing_account_id = if !o.billing_account_id.is_empty() {
            o.billing_account_id.clone()
        } else {
            entry
                .map(|e| e.provider_subscription_id.clone())
                .filter(|p| !p.is_empty())
                .unwrap_or_else(|| "AzureStackHub".to_string())
        };
        let service = service_of(&category, &r.resource_provider);
        let resource = [&r.resource_name, &r.resource_uri].into_iter().find(|s| !s.is_empty());
        let month = month_of(r.usage_start_time);
        FocusRow {
            billed_cost: billed,
            billing_account_id,
            billing_account_name: if o.billing_account_name.is_empty() {
                provider_name.clone()
            } else {
                o.billing_account_name.clone()
            },
            billing_currency: self.card.currency().to_string(),
            billing_period_end: month_start(month + 1),
            billing_period_start: month_start(month),
            charge_category: "Usage".into(),
            charge_class: None,
            charge_description: match resource {
                Some(res) => format!("{meter_name} for {res}"),
                None => format!("{meter_name} in subscription {}", r.subscription_id),
            },
            charge_period_end: r.usage_end_time,
            charge_period_start: r.usage_start_time,
            contracted_cost: contracted_unit_price * pricing_quantity,
            effective_cost: billed,
            invoice_issuer_name: if o.invoice_issuer_name.is_empty() {
                provider_name.clone()
            } else {
                o.invoice_issuer_name.clone()
            },
            list_cost: list_unit_price * pricing_quantity,
            pricing_quantity,
            pricing_unit,
            provider_name,
            publisher_name: if o.publisher_name.is_empty() { "Microsoft".into() } else { o.publisher_name.clone() },
            service_category: service.category.into(),
            service_name: service.name,
            charge_frequency: "Usage-Based".into(),
            consumed_quantity: r.quantity,
            consumed_unit,
            contracted_unit_price,
            list_unit_price,
            pricing_category: "Standard".into(),
            region_id: r.location.clone(),
            region_name: r.location.clone(),
            resource_id: r.resource_uri.clone(),
            resource_name: r.resource_name.clone(),
            resource_type: if r.resource_provider.is_empty() || r.resource_type.is_empty() {
                String::new()
            } else {
                format!("{}/{}", r.resource_provider, r.resource_type)
            },
            service_subcategory: service.subcategory.into(),
            sku_id: sku_id(&r.meter_id),
            sku_meter: meter_name,
            sku_price_details: winner.sku_price_details.clone(),
            sku_price_id: winner.sku_price_id.clone(),
            sub_account_id: r.subscription_id.clone(),
            sub_account_name: from_directory(|e| &e.display_name),
            sub_account_type: "Subscription".into(),
            tags: r.tags.clone(),
            x_meter_id: r.meter_id.clone(),
            x_meter_category: category,
            x_resource_group: r.resource_group.clone(),
            x_tenant_id: from_directory(|e| &e.tenant_id),
            x_owner: from_directory(|e| &e.owner),
            x_offer_name: from_directory(|e| &e.offer_name),
        }
    }
}

/// What [`price_unordered`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PricingRun {
    /// Records read.
    pub records: u64,
    /// Records priced (FOCUS rows).
    pub priced: u64,
    /// Records without an effective price.
    pub unpriced: u64,
}

/// The compact key of a priced record: enough to order the month's consumption and compute
/// its cost without keeping the record.
struct Key {
    subscription: u32,
    meter: u32,
    month: i32,
    start: i64,
    /// Rank of the resource URI in byte order.
    uri: u32,
    index: u32,
    quantity: Decimal,
}

/// Interns strings to dense ids (the distinct subscriptions, meters and resources of a run are
/// few compared with its records).
#[derive(Default)]
struct Interner {
    ids: HashMap<String, u32>,
    values: Vec<String>,
}

impl Interner {
    fn id(&mut self, s: &str) -> Result<u32> {
        if let Some(&id) = self.ids.get(s) {
            return Ok(id);
        }
        let id = u32::try_from(self.values.len())
            .map_err(|_| Error::usage_file("input", None, None, "more than 4 billion distinct values"))?;
        self.ids.insert(s.to_string(), id);
        self.values.push(s.to_string());
        Ok(id)
    }
}

/// Prices records that arrive in any order (files, pulls) with small memory, in two passes over
/// the input: the first keeps a compact key per priced record (subscription, meter, month,
/// usage start, resource URI rank, quantity, input index: about 60 bytes), sorts the keys into
/// consumption order and computes every record's billed cost; the second reads the records
/// again and hands each, in input order, to `sink` with its FOCUS row or unpriced reason.
///
/// `open` must yield the same records both times (a file opened twice, a spooled pull). With
/// `strict`, unpriced usage fails after the first pass, before `sink` sees anything: the error
/// (`UnpricedUsage`) names the meters.
pub fn price_unordered<I, F, S>(engine: &mut CostEngine, mut open: F, strict: bool, mut sink: S) -> Result<PricingRun>
where
    F: FnMut() -> Result<I>,
    I: Iterator<Item = Result<UsageRecord>>,
    S: FnMut(&UsageRecord, Priced) -> Result<()>,
{
    let card = Arc::clone(&engine.card);
    let (mut subs, mut meters, mut uris) = (Interner::default(), Interner::default(), Interner::default());
    let mut keys: Vec<Key> = Vec::new();
    let mut run = PricingRun::default();
    for record in open()? {
        let record = record?;
        let index = u32::try_from(run.records)
            .map_err(|_| Error::usage_file("input", None, None, "more than 4 billion records in one run"))?;
        run.records += 1;
        match engine.quote(&card, &record) {
            Err(reason) => {
                run.unpriced += 1;
                engine.note_unpriced(&record, reason);
            }
            Ok(_) => {
                run.priced += 1;
                keys.push(Key {
                    subscription: subs.id(&record.subscription_id.trim().to_ascii_lowercase())?,
                    meter: meters.id(&meter_key(&record.meter_id))?,
                    month: month_of(record.usage_start_time),
                    start: record.usage_start_time.timestamp_micros(),
                    uri: uris.id(&record.resource_uri)?,
                    index,
                    quantity: record.quantity,
                });
            }
        }
    }
    if strict && !engine.unpriced.is_empty() {
        return Err(Error::unpriced(format!(
            "strict mode: {}; add prices for these meters to the rate card, or run without --strict to write them to the unpriced side file",
            engine.unpriced.describe()
        )));
    }

    // URI ids to ranks in byte order, so the sort compares integers.
    let mut order: Vec<u32> = (0..uris.values.len() as u32).collect();
    order.sort_unstable_by(|a, b| uris.values[*a as usize].cmp(&uris.values[*b as usize]));
    let mut rank = vec![0u32; order.len()];
    for (r, id) in order.iter().enumerate() {
        rank[*id as usize] = r as u32;
    }
    for k in &mut keys {
        k.uri = rank[k.uri as usize];
    }
    drop(uris);
    keys.sort_unstable_by_key(|k| (k.subscription, k.meter, k.month, k.start, k.uri, k.index));

    // Consume each (subscription, meter, month) in order.
    let mut billed: Vec<Option<Decimal>> = vec![None; run.records as usize];
    let mut current: Option<(u32, u32, i32)> = None;
    let mut cumulative = Decimal::ZERO;
    for k in &keys {
        let group = (k.subscription, k.meter, k.month);
        if current != Some(group) {
            current = Some(group);
            cumulative = Decimal::ZERO;
        }
        let subscription = &subs.values[k.subscription as usize];
        let offer = engine.directory.get(subscription).map(|e| e.offer_name.as_str()).filter(|o| !o.is_empty());
        let start = DateTime::from_timestamp_micros(k.start).unwrap_or_default();
        let Some((price, _)) = card.lookup(&meters.values[k.meter as usize], subscription, offer, start) else {
            continue; // cannot happen: the first pass found a price for the same inputs
        };
        let a = cumulative;
        cumulative += k.quantity;
        billed[k.index as usize] = Some(price.charge_to(cumulative) - price.charge_to(a));
    }
    drop(keys);

    let mut seen = 0u64;
    for record in open()? {
        let record = record?;
        let cost = billed.get(seen as usize).copied();
        seen += 1;
        let Some(cost) = cost else {
            return Err(Error::usage_file("input", None, None, "the input grew between the two pricing passes"));
        };
        let outcome = match (cost, engine.quote(&card, &record)) {
            (Some(cost), Ok((winner, list))) => Priced::Row(Box::new(engine.row(&record, winner, list, cost))),
            (None, Err(reason)) => Priced::Unpriced(reason),
            _ => {
                return Err(Error::usage_file("input", None, None, "the input changed between the two pricing passes"));
            }
        };
        sink(&record, outcome)?;
    }
    if seen != run.records {
        return Err(Error::usage_file("input", None, None, "the input shrank between the two pricing passes"));
    }
    Ok(run)
}
