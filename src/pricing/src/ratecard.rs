//! Rate cards: the prices usage is billed at (billing.md §2).
//!
//! Two sources: a CSV card (one row per price; [`RateCard::load`] documents the columns) and
//! the Azure RateCard API's JSON, with an optional file mapping Azure meter ids to the stamp's.
//! Both become [`PriceRow`]s and go through one validation that reports every problem with its
//! file, line and column before failing.
//!
//! Rows of one meter, scope and effective range form a *price*: its rows are tiers (by
//! `TierStart`), and they share the block size and included quantity. A record is priced by the
//! most specific scope that has a price effective at its usage start (subscription, then offer,
//! then `*`).

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};

use azs_usage_core::record::{format_decimal, format_instant};
use chrono::{DateTime, Timelike, Utc};
use rust_decimal::Decimal;

use crate::currency::is_iso4217;
use crate::error::{Error, Problem, Reason, Result, shown};

/// `VM size hours`: the same VM hours as the two meters below, without the core count.
pub const VM_SIZE_HOURS: &str = "6dab500fa4fd49c4956d229bb9c8c793";
/// `Base VM Size Hours` and `Windows VM Size Hours`.
pub const VM_CORE_HOUR_METERS: [&str; 2] = ["fab6eb84500b4a09a8ca7358f8bbaea5", "9cd92d4cbafd4492b278bedc2de8232a"];

/// Who a price applies to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    /// One tenant subscription (compared case-insensitively).
    Subscription(String),
    /// Subscriptions created from one offer (by offer name, case-insensitively; needs the directory).
    Offer(String),
    /// Everyone (`*`): the list price.
    All,
}

impl Scope {
    /// Parses `*` (or empty), `offer:<name>`, `subscription:<id>` (prefixes in any case).
    pub fn parse(text: &str) -> std::result::Result<Scope, String> {
        let t = text.trim();
        if t.is_empty() || t == "*" {
            return Ok(Scope::All);
        }
        let (kind, value) = t.split_once(':').ok_or_else(|| {
            format!("'{t}' is not a scope: use *, offer:<offer name> or subscription:<subscription id>")
        })?;
        let value = value.trim();
        if value.is_empty() {
            return Err(format!("scope '{t}' names nothing after the colon"));
        }
        match kind.trim().to_ascii_lowercase().as_str() {
            "offer" => Ok(Scope::Offer(value.to_string())),
            "subscription" => Ok(Scope::Subscription(value.trim_matches(['{', '}']).to_string())),
            other => Err(format!("unknown scope kind '{other}' in '{t}': use *, offer:<name> or subscription:<id>")),
        }
    }

    /// The lookup key: the scope with its name folded to lower case.
    fn key(&self) -> Scope {
        match self {
            Scope::Subscription(s) => Scope::Subscription(s.to_ascii_lowercase()),
            Scope::Offer(o) => Scope::Offer(o.to_lowercase()),
            Scope::All => Scope::All,
        }
    }

    /// Whether the scope covers a subscription on an offer (`offer` from the directory).
    fn covers(&self, subscription: &str, offer: Option<&str>) -> bool {
        match self {
            Scope::All => true,
            Scope::Subscription(s) => s.eq_ignore_ascii_case(subscription.trim().trim_matches(['{', '}'])),
            Scope::Offer(o) => offer.is_some_and(|name| name.to_lowercase() == o.to_lowercase()),
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::All => f.write_str("*"),
            Scope::Offer(o) => write!(f, "offer:{o}"),
            Scope::Subscription(s) => write!(f, "subscription:{s}"),
        }
    }
}

/// One normalised rate-card row (what the store keeps in its `rate_card` table).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriceRow {
    /// The meter id as written.
    pub meter_id: String,
    /// Price of `block_size` units of the meter's unit, `>= 0`.
    pub unit_price: Decimal,
    /// ISO 4217 code.
    pub currency: String,
    /// Units per priced block (`> 0`; default 1).
    pub block_size: Decimal,
    /// Free quantity per subscription per calendar month (default 0).
    pub included_quantity: Decimal,
    /// Cumulative monthly quantity from which this row's price applies (default 0).
    pub tier_start: Decimal,
    /// First usage start the price applies to (inclusive); `None` = always.
    pub effective_from: Option<DateTime<Utc>>,
    /// First usage start it no longer applies to (exclusive); `None` = open.
    pub effective_to: Option<DateTime<Utc>>,
    /// Who the price applies to.
    pub scope: Scope,
    /// Informational: the meter's name.
    pub meter_name: String,
    /// The priced unit (FOCUS `PricingUnit` when set), e.g. `10000 Requests`.
    pub unit: String,
    /// Informational.
    pub description: String,
    /// Line of the source file (0 when the row did not come from a file).
    pub line: u64,
}

impl PriceRow {
    /// A row with the defaults (block 1, nothing included, tier 0, always, `*`).
    pub fn new(meter_id: impl Into<String>, unit_price: Decimal, currency: impl Into<String>) -> PriceRow {
        PriceRow {
            meter_id: meter_id.into(),
            unit_price,
            currency: currency.into(),
            block_size: Decimal::ONE,
            included_quantity: Decimal::ZERO,
            tier_start: Decimal::ZERO,
            effective_from: None,
            effective_to: None,
            scope: Scope::All,
            meter_name: String::new(),
            unit: String::new(),
            description: String::new(),
            line: 0,
        }
    }
}

/// Options of [`RateCard::load`].
#[derive(Debug, Clone, Default)]
pub struct RateCardOptions {
    /// Azure RateCard JSON only: a CSV mapping Azure meter ids to the stamp's
    /// (`AzureMeterId,MeterId`), for the meters whose ids differ.
    pub meter_map: Option<PathBuf>,
}

/// Something worth telling the user that does not stop pricing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// A stable name (`DoubleBilling`, `UnknownColumn`, `InexactBlockSize`).
    pub code: &'static str,
    /// The file, as given.
    pub file: String,
    /// 1-based line, when it has one.
    pub line: Option<u64>,
    /// What and why.
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ", line {line}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// One tier of a price: from `start` (cumulative monthly quantity) on, `price` per block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Tier {
    pub(crate) start: Decimal,
    pub(crate) price: Decimal,
}

/// The rows of one meter, scope and effective range: a tiered price.
#[derive(Debug, Clone)]
pub(crate) struct Price {
    pub(crate) scope: Scope,
    pub(crate) from: Option<DateTime<Utc>>,
    pub(crate) to: Option<DateTime<Utc>>,
    pub(crate) block_size: Decimal,
    pub(crate) included: Decimal,
    /// Sorted by start; the first starts at 0.
    pub(crate) tiers: Vec<Tier>,
    pub(crate) sku_price_id: String,
    pub(crate) sku_price_details: String,
    pub(crate) unit: String,
    pub(crate) meter_name: String,
}

impl Price {
    fn effective_at(&self, t: DateTime<Utc>) -> bool {
        self.from.is_none_or(|f| t >= f) && self.to.is_none_or(|e| t < e)
    }

    /// The tier-0 price per block.
    pub(crate) fn base_price(&self) -> Decimal {
        self.tiers[0].price
    }

    /// Cost of the cumulative monthly quantity `[0, x)`: every part at or above the included
    /// quantity pays its tier's price per block. The cost of a record spanning `[a, b)` is
    /// `charge_to(b) - charge_to(a)`. Below 0 (credits beyond the month's usage) the tier-0 price
    /// applies.
    pub(crate) fn charge_to(&self, x: Decimal) -> Decimal {
        if x <= Decimal::ZERO {
            return x * self.base_price() / self.block_size;
        }
        let mut total = Decimal::ZERO;
        for (i, tier) in self.tiers.iter().enumerate() {
            let lo = tier.start.max(self.included);
            let hi = match self.tiers.get(i + 1) {
                Some(next) => next.start.min(x),
                None => x,
            };
            if hi > lo {
                total += (hi - lo) * tier.price;
            }
            if self.tiers.get(i + 1).is_none_or(|next| next.start >= x) {
                break;
            }
        }
        total / self.block_size
    }
}

/// A validated rate card: one currency, no contradictions.
#[derive(Debug, Clone)]
pub struct RateCard {
    source: String,
    currency: String,
    rows: Vec<PriceRow>,
    /// Prices by meter key (see [`meter_key`]).
    prices: HashMap<String, Vec<Price>>,
}

/// The lookup key of a meter id: lower case, no dashes, braces or surrounding spaces (the
/// stamp sends ids in any case, with or without dashes).
pub fn meter_key(id: &str) -> String {
    id.trim().chars().filter(|c| !matches!(c, '-' | '{' | '}')).flat_map(char::to_lowercase).collect()
}

/// A meter id as FOCUS `SkuId`: a GUID in lower case with dashes, any other id in lower case.
pub fn sku_id(meter_id: &str) -> String {
    let key = meter_key(meter_id);
    if key.len() == 32 && key.bytes().all(|b| b.is_ascii_hexdigit()) {
        format!("{}-{}-{}-{}-{}", &key[..8], &key[8..12], &key[12..16], &key[16..20], &key[20..])
    } else {
        meter_id.trim().to_lowercase()
    }
}

impl RateCard {
    /// Loads and validates a rate card: CSV, or the Azure RateCard API's JSON (told apart by
    /// content). Returns the card and its warnings, or every problem found.
    ///
    /// CSV columns (header names in any case; one row per price): `MeterId` (required),
    /// `UnitPrice` (required, >= 0, the price of `BlockSize` units), `Currency` (required, ISO
    /// 4217, one per card), `BlockSize` (default 1), `IncludedQuantity` (default 0, per
    /// subscription per calendar month), `TierStart` (default 0), `EffectiveFrom` /
    /// `EffectiveTo` (dates or instants, applied to the usage start, end exclusive), `Scope`
    /// (`*`, `offer:<name>`, `subscription:<id>`), and informational `MeterName`, `Unit`,
    /// `Description`. Lines starting with `#` are comments.
    pub fn load(path: &Path, options: &RateCardOptions) -> Result<(RateCard, Vec<Warning>)> {
        let name = shown(path);
        let bytes = std::fs::read(path).map_err(|e| Error::rate_card_unreadable(&name, format!("cannot read: {e}")))?;
        let text = String::from_utf8(bytes).map_err(|e| {
            Error::rate_card_unreadable(
                &name,
                format!("not UTF-8 text (byte {}); save it as UTF-8", e.utf8_error().valid_up_to()),
            )
        })?;
        let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
        let mut problems = Vec::new();
        let mut warnings = Vec::new();
        let rows = if text.trim_start().starts_with('{') {
            crate::ratecard_json::parse(text, &name, options, &mut problems)?
        } else {
            if options.meter_map.is_some() {
                warnings.push(Warning {
                    code: "MeterMapIgnored",
                    file: name.clone(),
                    line: None,
                    message: "the meter-id mapping applies to Azure RateCard JSON only; a CSV card names the stamp's meter ids itself".into(),
                });
            }
            crate::ratecard_csv::parse(text, &name, &mut problems, &mut warnings)
        };
        let card = build(&name, rows, &mut problems, &mut warnings);
        if !problems.is_empty() {
            return Err(Error::rate_card(&name, problems));
        }
        Ok((card, warnings))
    }

    /// A card from rows already normalised (e.g. the store's table), with the same validation.
    pub fn from_rows(source: &str, rows: Vec<PriceRow>) -> Result<(RateCard, Vec<Warning>)> {
        let mut problems = Vec::new();
        let mut warnings = Vec::new();
        for row in &rows {
            check_row_values(row, source, &mut problems);
            check_currency(&row.currency, source, (row.line > 0).then_some(row.line), "Currency", &mut problems);
        }
        let currencies: Vec<(u64, String)> = rows.iter().map(|r| (r.line, r.currency.clone())).collect();
        check_one_currency(&currencies, source, &mut problems);
        let card = build(source, rows, &mut problems, &mut warnings);
        if !problems.is_empty() {
            return Err(Error::rate_card(source, problems));
        }
        Ok((card, warnings))
    }

    /// The card's ISO 4217 currency.
    pub fn currency(&self) -> &str {
        &self.currency
    }

    /// The normalised rows, in file order.
    pub fn rows(&self) -> &[PriceRow] {
        &self.rows
    }

    /// Where the card came from (its path as given).
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The price a record is billed at, and the list price (`*` scope, else the same):
    /// the most specific scope with a price effective at `start`.
    pub(crate) fn lookup(
        &self,
        meter_key: &str,
        subscription: &str,
        offer: Option<&str>,
        start: DateTime<Utc>,
    ) -> Option<(&Price, &Price)> {
        let prices = self.prices.get(meter_key)?;
        let effective = || prices.iter().filter(move |p| p.effective_at(start));
        let winner =
            effective().filter(|p| p.scope.covers(subscription, offer)).min_by_key(|p| scope_rank(&p.scope))?;
        let list = effective().find(|p| p.scope == Scope::All).unwrap_or(winner);
        Some((winner, list))
    }

    /// True when the card has a price of any scope or period for this meter key.
    pub(crate) fn knows_meter(&self, meter_key: &str) -> bool {
        self.prices.contains_key(meter_key)
    }
}

fn scope_rank(scope: &Scope) -> u8 {
    match scope {
        Scope::Subscription(_) => 0,
        Scope::Offer(_) => 1,
        Scope::All => 2,
    }
}

/// Value checks every source shares, but the currency (see [`check_currency`]).
pub(crate) fn check_row_values(row: &PriceRow, file: &str, problems: &mut Vec<Problem>) {
    let line = (row.line > 0).then_some(row.line);
    let mut invalid = |code, column: &str, message: String| {
        problems.push(Problem::new(Reason::RateCardInvalid, code, file, line, Some(column), message))
    };
    if meter_key(&row.meter_id).is_empty() {
        invalid("MissingMeterId", "MeterId", "the meter id is empty".into());
    }
    if row.unit_price < Decimal::ZERO {
        invalid("NegativePrice", "UnitPrice", format!("the price {} is negative; prices are >= 0", row.unit_price));
    }
    if row.block_size <= Decimal::ZERO {
        invalid("BadBlockSize", "BlockSize", format!("the block size {} must be greater than 0", row.block_size));
    }
    if row.included_quantity < Decimal::ZERO {
        invalid("NegativeIncludedQuantity", "IncludedQuantity", format!("{} is negative", row.included_quantity));
    }
    if row.tier_start < Decimal::ZERO {
        invalid("NegativeTierStart", "TierStart", format!("{} is negative; tiers start at 0 or above", row.tier_start));
    }
    if let (Some(from), Some(to)) = (row.effective_from, row.effective_to)
        && from >= to
    {
        invalid(
            "EmptyEffectiveRange",
            "EffectiveTo",
            format!("EffectiveTo {} is not after EffectiveFrom {}", format_instant(&to), format_instant(&from)),
        );
    }
}

/// The currency check (once per document for the Azure JSON, once per row for CSV).
pub(crate) fn check_currency(currency: &str, file: &str, line: Option<u64>, column: &str, problems: &mut Vec<Problem>) {
    let mut invalid = |code, message: String| {
        problems.push(Problem::new(Reason::RateCardInvalid, code, file, line, Some(column), message))
    };
    if currency.is_empty() {
        invalid("MissingCurrency", "the currency is empty; write an ISO 4217 code such as EUR".into());
    } else if !is_iso4217(currency) {
        invalid("UnknownCurrency", format!("'{currency}' is not an ISO 4217 currency code (e.g. USD, EUR, GBP)"));
    }
}

/// One currency per card: every valid currency that differs from the first one is a conflict.
/// `rows` are (line, currency) of every row, including rows with other problems.
pub(crate) fn check_one_currency(rows: &[(u64, String)], file: &str, problems: &mut Vec<Problem>) {
    let Some((first_line, first)) = rows.iter().find(|(_, c)| is_iso4217(c)) else { return };
    let at = if *first_line > 0 { format!("line {first_line}") } else { "another row".to_string() };
    for (line, c) in rows.iter().filter(|(_, c)| c != first && is_iso4217(c)) {
        problems.push(Problem::new(
            Reason::RateCardConflict,
            "TwoCurrencies",
            file,
            (*line > 0).then_some(*line),
            Some("Currency"),
            format!("currency {c} differs from {first} ({at}); a rate card has one currency: split it into one card per currency"),
        ));
    }
}

type GroupKey = (String, Scope, Option<DateTime<Utc>>, Option<DateTime<Utc>>);

/// Groups rows into prices and checks what rows say about each other: one currency, no
/// duplicate tiers, tiers from 0 that agree on block size and included quantity, no overlapping
/// effective ranges; plus the warnings (double billing, inexact block sizes).
fn build(file: &str, rows: Vec<PriceRow>, problems: &mut Vec<Problem>, warnings: &mut Vec<Warning>) -> RateCard {
    let line_of = |row: &PriceRow| (row.line > 0).then_some(row.line);
    let at = |row: &PriceRow| if row.line > 0 { format!("line {}", row.line) } else { "another row".to_string() };
    if rows.is_empty() && problems.is_empty() {
        problems.push(Problem::new(
            Reason::RateCardInvalid,
            "EmptyRateCard",
            file,
            None,
            None,
            "the card has no price rows: add one row per meter price (MeterId, UnitPrice, Currency)",
        ));
    }

    // One currency (checked by the sources over every row, valid or not).
    let currency = rows.first().map(|r| r.currency.clone()).unwrap_or_default();

    // Rows into prices.
    let mut groups: BTreeMap<GroupKey, Vec<&PriceRow>> = BTreeMap::new();
    for row in &rows {
        let key = (meter_key(&row.meter_id), row.scope.key(), row.effective_from, row.effective_to);
        groups.entry(key).or_default().push(row);
    }
    let mut prices: HashMap<String, Vec<Price>> = HashMap::new();
    for ((meter, _, from, to), members) in &groups {
        let first = members[0];
        let mut by_start: BTreeMap<Decimal, &PriceRow> = BTreeMap::new();
        for row in members {
            if let Some(earlier) = by_start.get(&row.tier_start.normalize()) {
                problems.push(Problem::new(
                    Reason::RateCardConflict,
                    "DuplicateTier",
                    file,
                    line_of(row),
                    Some("TierStart"),
                    format!(
                        "meter {} (scope {}{}) has two prices for TierStart {} ({} and this one); keep one",
                        row.meter_id,
                        row.scope,
                        range_text(*from, *to),
                        format_decimal(&row.tier_start),
                        at(earlier)
                    ),
                ));
                continue;
            }
            for (column, a, b) in [
                ("BlockSize", first.block_size, row.block_size),
                ("IncludedQuantity", first.included_quantity, row.included_quantity),
            ] {
                if a.normalize() != b.normalize() {
                    problems.push(Problem::new(
                        Reason::RateCardConflict,
                        "TierMismatch",
                        file,
                        line_of(row),
                        Some(column),
                        format!(
                            "{column} {} differs from {} ({}): the tiers of one meter, scope and period share {column}; repeat the same value on every tier row",
                            format_decimal(&b),
                            format_decimal(&a),
                            at(first)
                        ),
                    ));
                }
            }
            by_start.insert(row.tier_start.normalize(), row);
        }
        let tiers: Vec<Tier> = by_start.iter().map(|(s, r)| Tier { start: *s, price: r.unit_price }).collect();
        match tiers.first() {
            Some(t) if t.start.is_zero() => {}
            Some(t) => {
                let row = by_start.values().next().copied().unwrap_or(first);
                problems.push(Problem::new(
                    Reason::RateCardInvalid,
                    "TierNotFromZero",
                    file,
                    line_of(row),
                    Some("TierStart"),
                    format!(
                        "the tiers of meter {} (scope {}{}) start at {}: add a row with TierStart 0 (the price of the first units)",
                        row.meter_id,
                        row.scope,
                        range_text(*from, *to),
                        format_decimal(&t.start)
                    ),
                ));
                continue;
            }
            None => continue,
        }
        let base = by_start.values().next().copied().unwrap_or(first);
        let sku = sku_id(&base.meter_id);
        let from_text = from.map(|f| instant_or_date(&f)).unwrap_or_else(|| "*".into());
        let sku_price_id = format!("{sku}/{}/{from_text}", base.scope);
        let price = Price {
            scope: base.scope.clone(),
            from: *from,
            to: *to,
            block_size: base.block_size,
            included: base.included_quantity,
            sku_price_details: details_json(base, &tiers),
            tiers,
            sku_price_id,
            unit: members.iter().map(|r| r.unit.trim()).find(|u| !u.is_empty()).unwrap_or_default().to_string(),
            meter_name: members
                .iter()
                .map(|r| r.meter_name.trim())
                .find(|n| !n.is_empty())
                .unwrap_or_default()
                .to_string(),
        };
        prices.entry(meter.clone()).or_default().push(price);
        if !is_terminating(base.block_size) {
            warnings.push(Warning {
                code: "InexactBlockSize",
                file: file.to_string(),
                line: line_of(base),
                message: format!(
                    "BlockSize {} of meter {} divides quantities into non-terminating decimals; they are rounded at 28 significant digits (block sizes such as 1, 10, 1000 or 1024 divide exactly)",
                    format_decimal(&base.block_size),
                    base.meter_id
                ),
            });
        }
    }

    // Effective ranges of one meter and scope must not overlap.
    type Range<'a> = (Option<DateTime<Utc>>, Option<DateTime<Utc>>, &'a PriceRow);
    let mut by_scope: BTreeMap<(String, Scope), Vec<Range<'_>>> = BTreeMap::new();
    for ((meter, scope, from, to), members) in &groups {
        by_scope.entry((meter.clone(), scope.clone())).or_default().push((*from, *to, members[0]));
    }
    for ranges in by_scope.values_mut() {
        // None sorts first: an open start comes before any date.
        ranges.sort_by_key(|(from, _, _)| *from);
        for pair in ranges.windows(2) {
            let (a_from, a_to, a_row) = pair[0];
            let (b_from, b_to, b_row) = pair[1];
            let overlaps = match (a_to, b_from) {
                (None, _) => true,
                (Some(end), Some(start)) => end > start,
                (Some(_), None) => true,
            };
            if overlaps {
                problems.push(Problem::new(
                    Reason::RateCardConflict,
                    "OverlappingEffectiveRanges",
                    file,
                    line_of(b_row),
                    Some("EffectiveFrom"),
                    format!(
                        "meter {} (scope {}) has two prices at once: {} here and {} ({}); make the earlier one end (EffectiveTo) where the later one starts",
                        b_row.meter_id,
                        b_row.scope,
                        range_text(b_from, b_to).trim_start_matches(", "),
                        range_text(a_from, a_to).trim_start_matches(", "),
                        at(a_row)
                    ),
                ));
            }
        }
    }

    // The same VM hours priced twice (a zero price bills nothing twice).
    let priced_lines = |keys: &[&str]| -> Vec<u64> {
        rows.iter()
            .filter(|r| r.unit_price > Decimal::ZERO && keys.contains(&meter_key(&r.meter_id).as_str()))
            .map(|r| r.line)
            .collect()
    };
    let vm = priced_lines(&[VM_SIZE_HOURS]);
    let cores = priced_lines(&VM_CORE_HOUR_METERS);
    if !vm.is_empty() && !cores.is_empty() {
        let list = |l: &[u64]| {
            let known: Vec<String> = l.iter().filter(|n| **n > 0).map(u64::to_string).collect();
            if known.is_empty() { String::new() } else { format!(", line {}", known.join(", ")) }
        };
        warnings.push(Warning {
            code: "DoubleBilling",
            file: file.to_string(),
            line: vm.first().copied().filter(|l| *l > 0),
            message: format!(
                "the card prices VM size hours (6DAB500F-A4FD-49C4-956D-229BB9C8C793{}) and Base or Windows VM Size Hours (FAB6EB84-500B-4A09-A8CA-7358F8BBAEA5 / 9CD92D4C-BAFD-4492-B278-BEDC2DE8232A{}): they count the same VM hours, so each VM would be billed twice; price one or the other (or VM size hours at 0)",
                list(&vm),
                list(&cores),
            ),
        });
    }

    RateCard { source: file.to_string(), currency, rows, prices }
}

fn range_text(from: Option<DateTime<Utc>>, to: Option<DateTime<Utc>>) -> String {
    match (from, to) {
        (None, None) => String::new(),
        (f, t) => format!(
            ", {} .. {}",
            f.map(|f| instant_or_date(&f)).unwrap_or_else(|| "always".into()),
            t.map(|t| instant_or_date(&t)).unwrap_or_else(|| "open".into())
        ),
    }
}

/// A date when the instant is a UTC midnight, else the full instant.
fn instant_or_date(t: &DateTime<Utc>) -> String {
    if t.num_seconds_from_midnight() == 0 && t.nanosecond() == 0 {
        t.format("%Y-%m-%d").to_string()
    } else {
        format_instant(t)
    }
}

/// FOCUS `SkuPriceDetails`: the price's terms as a key-value JSON object (provider-defined keys,
/// so `x_` prefixed; values are text).
fn details_json(base: &PriceRow, tiers: &[Tier]) -> String {
    let mut m = serde_json::Map::new();
    let mut put = |k: &str, v: String| {
        m.insert(k.to_string(), serde_json::Value::String(v));
    };
    put("x_Scope", base.scope.to_string());
    put("x_BlockSize", format_decimal(&base.block_size));
    put("x_IncludedQuantity", format_decimal(&base.included_quantity));
    put(
        "x_Tiers",
        tiers
            .iter()
            .map(|t| format!("{}:{}", format_decimal(&t.start), format_decimal(&t.price)))
            .collect::<Vec<_>>()
            .join(";"),
    );
    if let Some(f) = base.effective_from {
        put("x_EffectiveFrom", format_instant(&f));
    }
    if let Some(t) = base.effective_to {
        put("x_EffectiveTo", format_instant(&t));
    }
    serde_json::Value::Object(m).to_string()
}

/// Whether dividing by `d` always gives a terminating decimal: `d` = 2^a * 5^b * 10^k.
fn is_terminating(d: Decimal) -> bool {
    let mut m = d.normalize().mantissa().unsigned_abs();
    if m == 0 {
        return true;
    }
    while m.is_multiple_of(2) {
        m /= 2;
    }
    while m.is_multiple_of(5) {
        m /= 5;
    }
    m == 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn price(included: &str, block: &str, tiers: &[(&str, &str)]) -> Price {
        Price {
            scope: Scope::All,
            from: None,
            to: None,
            block_size: d(block),
            included: d(included),
            tiers: tiers.iter().map(|(s, p)| Tier { start: d(s), price: d(p) }).collect(),
            sku_price_id: String::new(),
            sku_price_details: String::new(),
            unit: String::new(),
            meter_name: String::new(),
        }
    }

    #[test]
    fn charge_consumes_included_quantity_then_tiers() {
        // 100 free, 0..1000 at 2, 1000.. at 1, per block of 10.
        let p = price("100", "10", &[("0", "2"), ("1000", "1")]);
        assert_eq!(p.charge_to(d("50")), d("0"));
        assert_eq!(p.charge_to(d("100")), d("0"));
        assert_eq!(p.charge_to(d("150")), d("10")); // 50 * 2 / 10
        assert_eq!(p.charge_to(d("1000")), d("180")); // 900 * 2 / 10
        assert_eq!(p.charge_to(d("1500")), d("230")); // + 500 * 1 / 10
        // A record spanning [900, 1100): 100 at 2 and 100 at 1, per 10.
        assert_eq!(p.charge_to(d("1100")) - p.charge_to(d("900")), d("30"));
    }

    #[test]
    fn included_quantity_beyond_a_tier_start_skips_that_tier() {
        let p = price("1500", "1", &[("0", "2"), ("1000", "1")]);
        assert_eq!(p.charge_to(d("1400")), d("0"));
        assert_eq!(p.charge_to(d("2000")), d("500"));
    }

    #[test]
    fn negative_cumulative_is_credited_at_tier_zero() {
        let p = price("0", "1", &[("0", "3")]);
        assert_eq!(p.charge_to(d("-2")), d("-6"));
    }

    #[test]
    fn scopes_parse_and_cover() {
        assert_eq!(Scope::parse("").unwrap(), Scope::All);
        assert_eq!(Scope::parse(" * ").unwrap(), Scope::All);
        assert_eq!(Scope::parse("Offer: Gold").unwrap(), Scope::Offer("Gold".into()));
        assert_eq!(Scope::parse("SUBSCRIPTION:{ABC}").unwrap(), Scope::Subscription("ABC".into()));
        assert!(Scope::parse("tenant:x").unwrap_err().contains("unknown scope kind"));
        assert!(Scope::parse("offer:").is_err());
        assert!(Scope::parse("gold").is_err());
        assert!(Scope::Offer("Gold".into()).covers("s", Some("gold")));
        assert!(!Scope::Offer("Gold".into()).covers("s", None));
        assert!(Scope::Subscription("ABC".into()).covers("{abc}", None));
    }

    #[test]
    fn ids_normalise() {
        assert_eq!(meter_key(" {FAB6EB84-500B-4A09-A8CA-7358F8BBAEA5} "), "fab6eb84500b4a09a8ca7358f8bbaea5");
        assert_eq!(sku_id("F271A8A388C44D93956A063E1D2FA80B"), "f271a8a3-88c4-4d93-956a-063e1d2fa80b");
        assert_eq!(sku_id("Custom-Worker"), "custom-worker");
    }

    #[test]
    fn terminating_block_sizes() {
        for ok in ["1", "10", "10000", "1024", "0.5", "2.5"] {
            assert!(is_terminating(d(ok)), "{ok}");
        }
        for bad in ["3", "7", "0.3", "744"] {
            assert!(!is_terminating(d(bad)), "{bad}");
        }
    }
}
