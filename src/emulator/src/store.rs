//! The SQLite store: identities, subscriptions, and hourly usage records.
//!
//! Layout: `usage` holds one row per hourly record and only integer foreign keys plus the exact
//! decimal quantity (TEXT), so a million rows stay small; resource URIs, meter IDs and the
//! `(location, tags, additionalInfo)` triple live in side tables. The record key
//! `(subscription, meter, resource, usage start)` is a unique index, which makes ingestion
//! idempotent (`INSERT OR IGNORE`). Rows are never updated or deleted, and `id` only grows, so
//! "all rows with `id <= snapshot`" is a stable snapshot that paging can rely on.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Mutex;

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use rust_decimal::Decimal;
use serde::Serialize;

/// Where the store lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreLocation {
    /// A SQLite file (created if missing).
    File(PathBuf),
    /// A private in-memory database (gone when the emulator stops).
    Memory,
}

impl Default for StoreLocation {
    fn default() -> Self {
        StoreLocation::File(PathBuf::from("emulator.db"))
    }
}

/// Role of a principal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Role {
    /// The operator (service admin): provider API and every tenant subscription.
    Admin,
    /// A tenant principal: only its own subscriptions through the tenant API.
    Tenant,
}

/// A service principal the emulator's token endpoint knows.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Principal {
    /// Tenant name (`admin` for the operator).
    pub name: String,
    /// Directory tenant GUID.
    pub tenant_id: String,
    /// Application (client) id.
    pub client_id: String,
    /// Client secret.
    pub client_secret: String,
    /// Role.
    #[serde(skip)]
    pub role: Role,
    /// Active subscriptions owned by this principal (tenants only).
    pub subscription_ids: Vec<String>,
}

/// Identity material of the stamp.
#[derive(Debug, Clone)]
pub struct Identity {
    /// Token audience (`audiences[0]` of the metadata endpoint).
    pub audience: String,
    /// The Default Provider Subscription.
    pub provider_subscription_id: String,
    /// Operator principal.
    pub admin: Principal,
    /// One principal per tenant.
    pub tenants: Vec<Principal>,
}

/// Kind of subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubKind {
    /// Operator-side subscription (Default Provider Subscription, ...).
    Provider,
    /// A user (tenant) subscription.
    Tenant,
}

/// A subscription known to the stamp.
#[derive(Debug, Clone)]
pub struct SubscriptionInfo {
    /// Internal row id.
    pub row: i64,
    /// Subscription GUID (canonical lower-case).
    pub subscription_id: String,
    /// Display name.
    pub display_name: String,
    /// `Enabled` or `Deleted`.
    pub state: String,
    /// Provider or tenant subscription.
    pub kind: SubKind,
    /// Owning tenant name (None for provider subscriptions and ingested unknown subscriptions).
    pub tenant: Option<String>,
}

/// One hourly record, ready to be written to the wire.
#[derive(Debug, Clone)]
pub struct HourlyRow {
    /// Row id (insertion order).
    pub id: i64,
    /// Reported time (unix seconds).
    pub reported: i64,
    /// Consuming subscription.
    pub subscription_id: String,
    /// Meter id as stored.
    pub meter_id: String,
    /// Resource URI.
    pub resource_uri: String,
    /// Location.
    pub location: String,
    /// Tags, the already-serialised string.
    pub tags: String,
    /// additionalInfo, the already-serialised string.
    pub additional_info: String,
    /// Usage hour start (unix seconds).
    pub usage_start: i64,
    /// Exact decimal quantity.
    pub quantity: String,
}

/// A record to ingest.
#[derive(Debug, Clone)]
pub struct NewRecord {
    /// Consuming subscription GUID.
    pub subscription_id: String,
    /// Meter id (any string; casing kept).
    pub meter_id: String,
    /// Resource URI.
    pub resource_uri: String,
    /// Location.
    pub location: String,
    /// Tags as the wire string.
    pub tags: String,
    /// additionalInfo as the wire string.
    pub additional_info: String,
    /// Usage hour start (aligned).
    pub usage_start: DateTime<Utc>,
    /// Reported time.
    pub reported: DateTime<Utc>,
    /// Exact decimal quantity text.
    pub quantity: String,
}

/// Outcome of an ingestion call.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct IngestOutcome {
    /// Newly stored records.
    pub inserted: u64,
    /// Records whose key already existed (no-ops).
    pub duplicates: u64,
}

/// Which rows a query selects.
#[derive(Debug, Clone, Copy)]
pub struct Selection {
    /// Restrict to one subscription row (None = every subscription).
    pub sub: Option<i64>,
    /// Reported time, inclusive (unix seconds).
    pub start: i64,
    /// Reported time, exclusive (unix seconds).
    pub end: i64,
    /// Highest row id visible (snapshot).
    pub snapshot: i64,
}

/// Totals for tests: count and exact sums per (subscription, meter).
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Totals {
    /// Number of hourly records selected.
    pub records: u64,
    /// One entry per (subscription, meter), ordered.
    pub totals: Vec<MeterTotal>,
}

/// Sum of one (subscription, meter).
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct MeterTotal {
    /// Subscription GUID.
    pub subscription_id: String,
    /// Meter id as stored.
    pub meter_id: String,
    /// Number of hourly records.
    pub records: u64,
    /// Exact decimal sum, as text.
    pub quantity: String,
}

/// The store. Cheap operations hold the connection mutex briefly; call it from `spawn_blocking`.
#[derive(Debug)]
pub struct Store {
    conn: Mutex<Connection>,
    location: StoreLocation,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS principals(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, role TEXT NOT NULL,
    tenant_id TEXT NOT NULL, client_id TEXT NOT NULL UNIQUE, client_secret TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS subscriptions(id INTEGER PRIMARY KEY, subscription_id TEXT NOT NULL UNIQUE COLLATE NOCASE,
    display_name TEXT NOT NULL, state TEXT NOT NULL, kind TEXT NOT NULL, tenant TEXT);
CREATE TABLE IF NOT EXISTS resources(id INTEGER PRIMARY KEY, sub INTEGER NOT NULL, uri TEXT NOT NULL, UNIQUE(sub, uri));
CREATE TABLE IF NOT EXISTS instances(id INTEGER PRIMARY KEY, location TEXT NOT NULL, tags TEXT NOT NULL, info TEXT NOT NULL,
    UNIQUE(location, tags, info));
CREATE TABLE IF NOT EXISTS meters(id INTEGER PRIMARY KEY, meter_id TEXT NOT NULL UNIQUE COLLATE NOCASE);
CREATE TABLE IF NOT EXISTS usage(id INTEGER PRIMARY KEY, sub INTEGER NOT NULL, resource INTEGER NOT NULL,
    meter INTEGER NOT NULL, instance INTEGER NOT NULL, usage_start INTEGER NOT NULL, reported INTEGER NOT NULL,
    quantity TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS offers(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    display_name TEXT NOT NULL, resource_group TEXT NOT NULL, state TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS directory(sub INTEGER PRIMARY KEY, owner TEXT NOT NULL, directory_tenant TEXT NOT NULL,
    offer INTEGER, delegated_provider TEXT NOT NULL);
";

pub(crate) const INDEXES_SQL: &str = "
CREATE UNIQUE INDEX IF NOT EXISTS usage_key ON usage(resource, meter, usage_start);
CREATE INDEX IF NOT EXISTS usage_reported ON usage(reported, id);
CREATE INDEX IF NOT EXISTS usage_sub_reported ON usage(sub, reported, id);
";

const ROW_SELECT: &str = "SELECT u.id, u.reported, s.subscription_id, m.meter_id, r.uri, i.location, i.tags, i.info, u.usage_start, u.quantity
 FROM usage u JOIN subscriptions s ON s.id = u.sub JOIN resources r ON r.id = u.resource
 JOIN meters m ON m.id = u.meter JOIN instances i ON i.id = u.instance";

fn row_to_hourly(r: &rusqlite::Row<'_>) -> rusqlite::Result<HourlyRow> {
    Ok(HourlyRow {
        id: r.get(0)?,
        reported: r.get(1)?,
        subscription_id: r.get(2)?,
        meter_id: r.get(3)?,
        resource_uri: r.get(4)?,
        location: r.get(5)?,
        tags: r.get(6)?,
        additional_info: r.get(7)?,
        usage_start: r.get(8)?,
        quantity: r.get(9)?,
    })
}

/// Lookup caches used while inserting many rows in one transaction.
#[derive(Default)]
pub(crate) struct IdCache {
    subs: HashMap<String, i64>,
    resources: HashMap<(i64, String), i64>,
    meters: HashMap<String, i64>,
    instances: HashMap<(String, String, String), i64>,
}

impl IdCache {
    pub(crate) fn sub(&mut self, tx: &Connection, subscription_id: &str) -> Result<i64> {
        let key = subscription_id.to_ascii_lowercase();
        if let Some(id) = self.subs.get(&key) {
            return Ok(*id);
        }
        let found: Option<i64> =
            tx.query_row("SELECT id FROM subscriptions WHERE subscription_id = ?1", [&key], |r| r.get(0)).optional()?;
        let id = match found {
            Some(id) => id,
            None => {
                // Usage for a subscription the stamp has never seen (ingested from outside): register it
                // as a tenant subscription with no principal, so the provider API reports it.
                tx.execute(
                    "INSERT INTO subscriptions(subscription_id, display_name, state, kind, tenant) VALUES (?1, ?2, 'Enabled', 'tenant', NULL)",
                    params![key, format!("Subscription {key}")],
                )?;
                tx.last_insert_rowid()
            }
        };
        self.subs.insert(key, id);
        Ok(id)
    }
    pub(crate) fn resource(&mut self, tx: &Connection, sub: i64, uri: &str) -> Result<i64> {
        if let Some(id) = self.resources.get(&(sub, uri.to_string())) {
            return Ok(*id);
        }
        tx.execute("INSERT OR IGNORE INTO resources(sub, uri) VALUES (?1, ?2)", params![sub, uri])?;
        let id: i64 =
            tx.query_row("SELECT id FROM resources WHERE sub = ?1 AND uri = ?2", params![sub, uri], |r| r.get(0))?;
        self.resources.insert((sub, uri.to_string()), id);
        Ok(id)
    }
    pub(crate) fn meter(&mut self, tx: &Connection, meter_id: &str) -> Result<i64> {
        let key = meter_id.to_ascii_lowercase();
        if let Some(id) = self.meters.get(&key) {
            return Ok(*id);
        }
        tx.execute("INSERT OR IGNORE INTO meters(meter_id) VALUES (?1)", [meter_id])?;
        let id: i64 = tx.query_row("SELECT id FROM meters WHERE meter_id = ?1", [meter_id], |r| r.get(0))?;
        self.meters.insert(key, id);
        Ok(id)
    }
    pub(crate) fn instance(&mut self, tx: &Connection, location: &str, tags: &str, info: &str) -> Result<i64> {
        let key = (location.to_string(), tags.to_string(), info.to_string());
        if let Some(id) = self.instances.get(&key) {
            return Ok(*id);
        }
        tx.execute(
            "INSERT OR IGNORE INTO instances(location, tags, info) VALUES (?1, ?2, ?3)",
            params![location, tags, info],
        )?;
        let id: i64 = tx.query_row(
            "SELECT id FROM instances WHERE location = ?1 AND tags = ?2 AND info = ?3",
            params![location, tags, info],
            |r| r.get(0),
        )?;
        self.instances.insert(key, id);
        Ok(id)
    }
}

/// A parsed, exact decimal quantity; `None` if the text is not a non-negative decimal.
pub fn parse_quantity(text: &str) -> Option<Decimal> {
    let t = text.trim();
    if t.is_empty() || t.len() > 64 {
        return None;
    }
    let d = if t.contains(['e', 'E']) { Decimal::from_scientific(t).ok()? } else { Decimal::from_str_exact(t).ok()? };
    if d.is_sign_negative() && !d.is_zero() { None } else { Some(d) }
}

/// Sum exact decimal texts. Values that cannot be parsed (never stored by this crate) are skipped.
pub(crate) fn add_quantity(acc: &mut Decimal, text: &str) {
    if let Some(d) = parse_quantity(text) {
        *acc = acc.checked_add(d).unwrap_or(*acc);
    }
}

/// Format a decimal sum so it stays a JSON number with a fractional part (like the service's doubles).
pub(crate) fn format_decimal(d: &Decimal) -> String {
    let s = d.normalize().to_string();
    if s.contains('.') { s } else { format!("{s}.0") }
}

impl Store {
    /// Open (and create the schema of) a store.
    pub fn open(location: &StoreLocation) -> Result<Store> {
        let conn = match location {
            StoreLocation::File(p) => {
                if let Some(dir) = p.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
                }
                let c = Connection::open(p).with_context(|| format!("opening {}", p.display()))?;
                c.pragma_update(None, "journal_mode", "WAL")?;
                c.pragma_update(None, "synchronous", "NORMAL")?;
                c
            }
            StoreLocation::Memory => Connection::open_in_memory()?,
        };
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.execute_batch(SCHEMA)?;
        Ok(Store { conn: Mutex::new(conn), location: location.clone() })
    }

    /// Where this store lives.
    pub fn location(&self) -> &StoreLocation {
        &self.location
    }

    pub(crate) fn with<T>(&self, f: impl FnOnce(&mut Connection) -> Result<T>) -> Result<T> {
        let mut guard = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut guard)
    }

    /// True once identities and usage have been seeded.
    pub fn is_seeded(&self) -> Result<bool> {
        Ok(self.meta("seeded")?.is_some())
    }

    /// Read a meta value.
    pub fn meta(&self, key: &str) -> Result<Option<String>> {
        self.with(|c| Ok(c.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0)).optional()?))
    }

    /// Total number of hourly records.
    pub fn record_count(&self) -> Result<u64> {
        self.with(|c| Ok(c.query_row("SELECT COUNT(*) FROM usage", [], |r| r.get::<_, i64>(0))? as u64))
    }

    /// Highest row id (the snapshot bound for a new pull).
    pub fn snapshot(&self) -> Result<i64> {
        self.with(|c| Ok(c.query_row("SELECT COALESCE(MAX(id), 0) FROM usage", [], |r| r.get(0))?))
    }

    /// Every subscription, provider subscriptions first.
    pub fn subscriptions(&self) -> Result<Vec<SubscriptionInfo>> {
        self.with(|c| {
            let mut st = c.prepare(
                "SELECT id, subscription_id, display_name, state, kind, tenant FROM subscriptions ORDER BY kind = 'tenant', id",
            )?;
            let rows = st.query_map([], |r| {
                Ok(SubscriptionInfo {
                    row: r.get(0)?,
                    subscription_id: r.get(1)?,
                    display_name: r.get(2)?,
                    state: r.get(3)?,
                    kind: if r.get::<_, String>(4)? == "provider" { SubKind::Provider } else { SubKind::Tenant },
                    tenant: r.get(5)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    /// The stamp's identities (audience, provider subscription, principals).
    pub fn identity(&self) -> Result<Identity> {
        let audience = self.meta("audience")?.context("store is not seeded (no audience)")?;
        let provider_subscription_id = self.meta("provider_subscription")?.context("no provider subscription")?;
        let subs = self.subscriptions()?;
        let principals: Vec<(String, String, String, String, String)> = self.with(|c| {
            let mut st =
                c.prepare("SELECT name, role, tenant_id, client_id, client_secret FROM principals ORDER BY id")?;
            let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })?;
        let mut admin = None;
        let mut tenants = Vec::new();
        for (name, role, tenant_id, client_id, client_secret) in principals {
            let role = if role == "admin" { Role::Admin } else { Role::Tenant };
            let subscription_ids = subs
                .iter()
                .filter(|s| role == Role::Tenant && s.tenant.as_deref() == Some(name.as_str()) && s.state == "Enabled")
                .map(|s| s.subscription_id.clone())
                .collect();
            let p = Principal { name, tenant_id, client_id, client_secret, role, subscription_ids };
            match role {
                Role::Admin => admin = Some(p),
                Role::Tenant => tenants.push(p),
            }
        }
        Ok(Identity { audience, provider_subscription_id, admin: admin.context("no admin principal")?, tenants })
    }

    /// Insert hourly records idempotently (the record key decides); one transaction.
    pub fn insert_records(&self, records: &[NewRecord]) -> Result<IngestOutcome> {
        self.with(|c| {
            let tx = c.transaction()?;
            let mut out = IngestOutcome::default();
            {
                let mut cache = IdCache::default();
                let mut ins = tx.prepare_cached(
                    "INSERT OR IGNORE INTO usage(sub, resource, meter, instance, usage_start, reported, quantity) VALUES (?1,?2,?3,?4,?5,?6,?7)",
                )?;
                for r in records {
                    let sub = cache.sub(&tx, &r.subscription_id)?;
                    let res = cache.resource(&tx, sub, &r.resource_uri)?;
                    let meter = cache.meter(&tx, &r.meter_id)?;
                    let inst = cache.instance(&tx, &r.location, &r.tags, &r.additional_info)?;
                    let n = ins.execute(params![
                        sub,
                        res,
                        meter,
                        inst,
                        r.usage_start.timestamp(),
                        r.reported.timestamp(),
                        r.quantity
                    ])?;
                    if n == 1 { out.inserted += 1 } else { out.duplicates += 1 }
                }
            }
            tx.commit()?;
            Ok(out)
        })
    }

    /// One page of hourly rows in `(reported, id)` order, strictly after `after`.
    pub fn hourly_page(&self, sel: &Selection, after: Option<(i64, i64)>, limit: usize) -> Result<Vec<HourlyRow>> {
        let (ar, ai) = after.unwrap_or((i64::MIN, i64::MIN));
        self.with(|c| {
            let rows = if let Some(sub) = sel.sub {
                let mut st = c.prepare_cached(&format!(
                    "{ROW_SELECT} WHERE u.sub = ?1 AND u.reported >= ?2 AND u.reported < ?3 AND u.id <= ?4 AND (u.reported, u.id) > (?5, ?6)
                     ORDER BY u.reported, u.id LIMIT ?7"
                ))?;
                st.query_map(params![sub, sel.start, sel.end, sel.snapshot, ar, ai, limit as i64], row_to_hourly)?
                    .collect::<rusqlite::Result<Vec<_>>>()?
            } else {
                let mut st = c.prepare_cached(&format!(
                    "{ROW_SELECT} WHERE u.reported >= ?1 AND u.reported < ?2 AND u.id <= ?3 AND (u.reported, u.id) > (?4, ?5)
                     ORDER BY u.reported, u.id LIMIT ?6"
                ))?;
                st.query_map(params![sel.start, sel.end, sel.snapshot, ar, ai, limit as i64], row_to_hourly)?
                    .collect::<rusqlite::Result<Vec<_>>>()?
            };
            Ok(rows)
        })
    }

    /// Visit every selected row (for aggregation), in `(reported, id)` order.
    pub fn for_each_row(&self, sel: &Selection, mut f: impl FnMut(HourlyRow)) -> Result<()> {
        self.with(|c| {
            let sub_clause = if sel.sub.is_some() { "u.sub = ?4 AND" } else { "?4 IS NULL AND" };
            let mut st = c.prepare_cached(&format!(
                "{ROW_SELECT} WHERE {sub_clause} u.reported >= ?1 AND u.reported < ?2 AND u.id <= ?3 ORDER BY u.reported, u.id"
            ))?;
            let mut rows = st.query(params![sel.start, sel.end, sel.snapshot, sel.sub])?;
            while let Some(r) = rows.next()? {
                f(row_to_hourly(r)?);
            }
            Ok(())
        })
    }

    /// Count and exact per-(subscription, meter) sums over a reported window (None = everything).
    pub fn totals(
        &self,
        window: Option<(DateTime<Utc>, DateTime<Utc>)>,
        subscription_id: Option<&str>,
    ) -> Result<Totals> {
        let (start, end) = window.map(|(a, b)| (a.timestamp(), b.timestamp())).unwrap_or((i64::MIN, i64::MAX));
        let mut acc: BTreeMap<(String, String), (u64, Decimal)> = BTreeMap::new();
        let mut records = 0u64;
        self.with(|c| {
            let mut st = c.prepare_cached(
                "SELECT s.subscription_id, m.meter_id, u.quantity FROM usage u JOIN subscriptions s ON s.id = u.sub
                 JOIN meters m ON m.id = u.meter WHERE u.reported >= ?1 AND u.reported < ?2
                 AND (?3 IS NULL OR s.subscription_id = ?3)",
            )?;
            let mut rows = st.query(params![start, end, subscription_id.map(|s| s.to_ascii_lowercase())])?;
            while let Some(r) = rows.next()? {
                let sub: String = r.get(0)?;
                let meter: String = r.get(1)?;
                let q: String = r.get(2)?;
                let e = acc.entry((sub, meter)).or_insert((0, Decimal::ZERO));
                e.0 += 1;
                add_quantity(&mut e.1, &q);
                records += 1;
            }
            Ok(())
        })?;
        Ok(Totals {
            records,
            totals: acc
                .into_iter()
                .map(|((subscription_id, meter_id), (n, q))| MeterTotal {
                    subscription_id,
                    meter_id,
                    records: n,
                    quantity: format_decimal(&q),
                })
                .collect(),
        })
    }
}
