//! The tenant directory the provider sees (`Microsoft.Subscriptions.Admin`): offers, and for each
//! tenant subscription its owner, directory tenant and offer.
//!
//! Derived deterministically from the seeded tenants and subscriptions, without drawing from the
//! seed's random stream (so the usage data of a seed is unchanged), and written when the store is
//! seeded, or on first open of a store seeded before the directory existed:
//! - offers `basic` (Public), `standard` (Public) and `legacy` (Decommissioned) in resource group
//!   `plans`, `premium` (Private) in `premium-plans`;
//! - a tenant's `-prod` subscription is on `standard`, `premium` or `basic` (tenant 1, 2, 3, then
//!   again), its `-dev` and `-test` subscriptions on `basic`, the deleted subscription on `legacy`;
//! - owners are `owner@{tenant}.onmicrosoft.com` (prod and the deleted one),
//!   `dev.lead@{tenant}.onmicrosoft.com` (dev), `qa@{tenant}.onmicrosoft.com` (test);
//! - the directory tenant is the tenant principal's tenant id; no subscription is delegated.
//!
//! Subscriptions ingested for ids the stamp never saw have no directory row: they are listed with
//! an empty owner, directory tenant and offer.

use anyhow::Result;
use rusqlite::{Connection, params};

use crate::store::Store;

/// One offer of the seeded directory: name, display name, resource group, state.
const OFFERS: &[(&str, &str, &str, &str)] = &[
    ("basic", "Basic", "plans", "Public"),
    ("standard", "Standard", "plans", "Public"),
    ("premium", "Premium", "premium-plans", "Private"),
    ("legacy", "Legacy 2019", "plans", "Decommissioned"),
];

/// The offer of each tenant's production subscription, by tenant position.
const PROD_OFFERS: &[&str] = &["standard", "premium", "basic"];

/// An offer as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfferInfo {
    /// Offer name (last segment of its resource id).
    pub name: String,
    /// Display name.
    pub display_name: String,
    /// Resource group of the offer.
    pub resource_group: String,
    /// `Public`, `Private` or `Decommissioned`.
    pub state: String,
    /// Subscriptions on the offer that are not deleted.
    pub subscription_count: u64,
}

/// One tenant subscription with its directory data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryEntry {
    /// Subscription GUID.
    pub subscription_id: String,
    /// Display name.
    pub display_name: String,
    /// `Enabled` or `Deleted`.
    pub state: String,
    /// Owning tenant's name (None for ingested unknown subscriptions).
    pub tenant: Option<String>,
    /// Owner UPN (empty without a directory row).
    pub owner: String,
    /// Directory tenant id (empty without a directory row).
    pub directory_tenant_id: String,
    /// The offer (None without a directory row).
    pub offer: Option<OfferInfo>,
    /// Delegated provider subscription (empty: a direct tenant).
    pub delegated_provider_subscription_id: String,
}

/// Writes the offers and the directory rows of every seeded tenant subscription that has none yet.
pub(crate) fn write_directory(c: &Connection) -> Result<()> {
    for (name, display, rg, state) in OFFERS {
        c.execute(
            "INSERT OR IGNORE INTO offers(name, display_name, resource_group, state) VALUES (?1, ?2, ?3, ?4)",
            params![name, display, rg, state],
        )?;
    }
    let tenants: Vec<(String, String)> = {
        let mut st = c.prepare("SELECT name, tenant_id FROM principals WHERE role = 'tenant' ORDER BY id")?;
        st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<_>>()?
    };
    let subs: Vec<(i64, String, String, String)> = {
        let mut st = c.prepare(
            "SELECT id, display_name, state, tenant FROM subscriptions WHERE kind = 'tenant' AND tenant IS NOT NULL ORDER BY id",
        )?;
        st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?.collect::<rusqlite::Result<_>>()?
    };
    for (row, display, state, tenant) in subs {
        let Some(position) = tenants.iter().position(|(name, _)| *name == tenant) else { continue };
        let suffix = display.rsplit('-').next().unwrap_or("");
        let (user, offer) = match (state.as_str(), suffix) {
            ("Deleted", _) => ("owner", "legacy"),
            (_, "prod") => ("owner", PROD_OFFERS[position % PROD_OFFERS.len()]),
            (_, "dev") => ("dev.lead", "basic"),
            _ => ("qa", "basic"),
        };
        c.execute(
            "INSERT OR IGNORE INTO directory(sub, owner, directory_tenant, offer, delegated_provider)
             VALUES (?1, ?2, ?3, (SELECT id FROM offers WHERE name = ?4), '')",
            params![row, format!("{user}@{tenant}.onmicrosoft.com"), tenants[position].1, offer],
        )?;
    }
    Ok(())
}

const OFFER_SELECT: &str = "SELECT o.name, o.display_name, o.resource_group, o.state,
    (SELECT COUNT(*) FROM directory d JOIN subscriptions s ON s.id = d.sub WHERE d.offer = o.id AND s.state <> 'Deleted')
    FROM offers o";

fn offer_of(r: &rusqlite::Row<'_>, first: usize) -> rusqlite::Result<OfferInfo> {
    Ok(OfferInfo {
        name: r.get(first)?,
        display_name: r.get(first + 1)?,
        resource_group: r.get(first + 2)?,
        state: r.get(first + 3)?,
        subscription_count: r.get::<_, i64>(first + 4)? as u64,
    })
}

impl Store {
    /// Writes the directory of a store seeded before the directory existed (no-op otherwise).
    pub(crate) fn ensure_directory(&self) -> Result<()> {
        self.with(|c| {
            let offers: i64 = c.query_row("SELECT COUNT(*) FROM offers", [], |r| r.get(0))?;
            if offers == 0 {
                let tx = c.transaction()?;
                write_directory(&tx)?;
                tx.commit()?;
            }
            Ok(())
        })
    }

    /// Every offer, in creation order.
    pub fn offers(&self) -> Result<Vec<OfferInfo>> {
        self.with(|c| {
            let mut st = c.prepare(&format!("{OFFER_SELECT} ORDER BY o.id"))?;
            Ok(st.query_map([], |r| offer_of(r, 0))?.collect::<rusqlite::Result<_>>()?)
        })
    }

    /// Every tenant subscription (deleted and ingested ones included) with its directory data, in
    /// creation order.
    pub fn directory(&self) -> Result<Vec<DirectoryEntry>> {
        self.with(|c| {
            let mut st = c.prepare(
                "SELECT s.subscription_id, s.display_name, s.state, s.tenant, d.owner, d.directory_tenant,
                        d.delegated_provider, o.name, o.display_name, o.resource_group, o.state,
                        (SELECT COUNT(*) FROM directory d2 JOIN subscriptions s2 ON s2.id = d2.sub
                          WHERE d2.offer = o.id AND s2.state <> 'Deleted')
                 FROM subscriptions s LEFT JOIN directory d ON d.sub = s.id LEFT JOIN offers o ON o.id = d.offer
                 WHERE s.kind = 'tenant' ORDER BY s.id",
            )?;
            let rows = st.query_map([], |r| {
                let offer = match r.get::<_, Option<String>>(7)? {
                    Some(_) => Some(offer_of(r, 7)?),
                    None => None,
                };
                Ok(DirectoryEntry {
                    subscription_id: r.get(0)?,
                    display_name: r.get(1)?,
                    state: r.get(2)?,
                    tenant: r.get(3)?,
                    owner: r.get::<_, Option<String>>(4)?.unwrap_or_default(),
                    directory_tenant_id: r.get::<_, Option<String>>(5)?.unwrap_or_default(),
                    delegated_provider_subscription_id: r.get::<_, Option<String>>(6)?.unwrap_or_default(),
                    offer,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }
}
