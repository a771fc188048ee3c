//! The sync's cost model over pricing's rate card and cost engine (`--rate-card`): one engine
//! per (stamp, month), fed the month's records in (UsageStartTime, ResourceUri) order.

use std::path::Path;
use std::sync::Arc;

use azs_usage_core::{TenantSubscription, UsageRecord};
use azs_usage_pricing::{
    CostEngine, Directory, FocusOptions, FocusRow, PriceRow, Priced, RateCard, RateCardOptions, Warning,
};

use crate::costs::{CostModel, MonthPricer};
use crate::error::{Error, Result};

/// A loaded rate card and the FOCUS options to price with.
#[derive(Debug, Clone)]
pub struct RateCardCosts {
    card: Arc<RateCard>,
    options: FocusOptions,
    id: String,
}

impl RateCardCosts {
    /// Loads and validates a rate card (CSV or Azure RateCard JSON); returns its warnings too.
    pub fn load(
        path: &Path,
        card_options: &RateCardOptions,
        focus: FocusOptions,
    ) -> Result<(RateCardCosts, Vec<Warning>)> {
        let (card, warnings) =
            RateCard::load(path, card_options).map_err(|e| Error::rate_card_invalid(e.to_string()))?;
        Ok((Self::new(card, focus), warnings))
    }

    /// Prices with `card`.
    pub fn new(card: RateCard, options: FocusOptions) -> RateCardCosts {
        let id = card_id(&card);
        RateCardCosts { card: Arc::new(card), options, id }
    }
}

/// A stable id from the card's normalised content (FNV-1a over its rows), so that the same card
/// loaded twice is recorded once and every cost row names the card that priced it.
fn card_id(card: &RateCard) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |s: &str| {
        for b in s.bytes().chain(std::iter::once(0x1f)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    };
    eat(card.currency());
    for r in card.rows() {
        eat(&r.meter_id);
        eat(&r.unit_price.normalize().to_string());
        eat(&r.block_size.normalize().to_string());
        eat(&r.included_quantity.normalize().to_string());
        eat(&r.tier_start.normalize().to_string());
        eat(&format!("{:?}{:?}", r.effective_from, r.effective_to));
        eat(&r.scope.to_string());
        eat(&r.unit);
    }
    format!("rc-{h:016x}")
}

impl CostModel for RateCardCosts {
    fn rate_card_id(&self) -> String {
        self.id.clone()
    }
    fn source(&self) -> String {
        self.card.source().to_string()
    }
    fn currency(&self) -> String {
        self.card.currency().to_string()
    }
    fn rows(&self) -> Vec<PriceRow> {
        self.card.rows().to_vec()
    }
    fn month_pricer(&self, directory: Vec<TenantSubscription>) -> Box<dyn MonthPricer> {
        let engine =
            CostEngine::new(self.card.clone(), Arc::new(Directory::from_entries(directory)), self.options.clone());
        Box::new(EnginePricer(engine))
    }
}

struct EnginePricer(CostEngine);

impl MonthPricer for EnginePricer {
    fn price(&mut self, record: &UsageRecord) -> Option<FocusRow> {
        match self.0.price(record) {
            Priced::Row(row) => Some(*row),
            Priced::Unpriced(_) => None,
        }
    }
}
