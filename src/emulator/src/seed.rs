//! Deterministic seeding: tenants, subscriptions, simulated resource providers and their hourly usage.
//!
//! Everything derives from the seed and the (hour-truncated) clock, so the same `--seed` and the same
//! `now` always give the same records. The data mimics a real stamp: a VM emits `VM size hours` = 1.0
//! plus `Windows VM Size Hours` or `Base VM Size Hours` = vCPUs; storage accounts emit capacity and
//! transaction meters with full-precision doubles; disks emit 1/744 per hour; usage is reported 1-4
//! hours after the usage hour starts (reported time = usage end + a deterministic 0..3 h lag).

use anyhow::Result;
use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use rusqlite::params;

use crate::config::IdentitySystem;
use crate::meters::*;
use crate::rng::{Rng, mix};
use crate::store::{IdCache, Store};

/// What to seed.
#[derive(Debug, Clone)]
pub struct SeedOptions {
    /// Seed of every random choice.
    pub seed: u64,
    /// Days of history up to the current hour.
    pub days: u32,
    /// The clock.
    pub now: DateTime<Utc>,
    /// Approximate number of hourly records wanted.
    pub approx_records: u64,
    /// Number of tenants.
    pub tenants: usize,
    /// Identity system (decides the audience's host name).
    pub identity: IdentitySystem,
}

const TENANT_NAMES: &[&str] = &[
    "contoso",
    "fabrikam",
    "northwind",
    "tailspin",
    "wingtip",
    "adatum",
    "litware",
    "proseware",
    "woodgrove",
    "fourthcoffee",
    "lucerne",
    "margie",
    "alpineski",
    "relecloud",
    "wideworld",
    "trey",
];
const SUB_SUFFIXES: &[&str] = &["prod", "dev", "test"];
const LOCATION: &str = "local";

const TAG_CHOICES: &[&str] = &[
    "",
    "null",
    "",
    "null",
    r#"{"Kostenstelle":"Büro-Ä1","owner":"ops"}"#,
    r#"{"RG":"rg","testTag":"1"}"#,
    r#"{"Größe":"groß","env":"prod"}"#,
    r#"{"département":"Fiscalité","projet":"Ça va"}"#,
    r#"{"コスト":"東京","env":"dev"}"#,
    r#"{"costCenter":"CC-1001","app":"billing \"v2\""}"#,
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    WindowsVm,
    LinuxVm,
    Storage,
    PublicIp,
    DataDisk,
    SqlDb,
    MySqlDb,
    AppService,
    KeyVault,
    EventHub,
}

const KINDS: &[Kind] = &[
    Kind::WindowsVm,
    Kind::Storage,
    Kind::LinuxVm,
    Kind::PublicIp,
    Kind::DataDisk,
    Kind::SqlDb,
    Kind::AppService,
    Kind::KeyVault,
    Kind::MySqlDb,
    Kind::EventHub,
];

/// One meter stream of a resource: meter id and how to compute the hourly quantity.
#[derive(Debug, Clone)]
enum Quantity {
    Fixed(&'static str),
    /// A value that drifts per hour: base * (1 + amplitude * noise), printed as a shortest double.
    Drift {
        base: f64,
        amplitude: f64,
    },
}

#[derive(Debug, Clone)]
struct SimResource {
    sub: usize,
    uri: String,
    tags: String,
    info: String,
    streams: Vec<(&'static str, Quantity)>,
    first_hour: i64,
    last_hour: i64, // exclusive
}

struct SimSub {
    id: String,
    display: String,
    tenant: Option<usize>,
    deleted: bool,
    rg: Vec<String>,
}

fn vm_sizes() -> &'static [(&'static str, u32)] {
    &[
        ("Standard_A0", 1),
        ("Standard_D1_v2", 1),
        ("Standard_F2s", 2),
        ("Standard_D11_v2", 2),
        ("Standard_A4", 8),
        ("Standard_F1s", 1),
        ("Standard_DS3_v2", 4),
    ]
}

/// A shortest round-trip double in decimal notation (the service prints doubles).
fn double_text(v: f64) -> String {
    let s = format!("{v}");
    if s.contains('.') { s } else { format!("{s}.0") }
}

/// Seed the store; returns the number of hourly records written.
pub fn seed(store: &Store, opts: &SeedOptions) -> Result<u64> {
    let mut rng = Rng::new(opts.seed);
    let now_hour = opts.now.duration_trunc(TimeDelta::hours(1)).unwrap_or(opts.now);
    let hours = (opts.days.max(1) as i64) * 24;
    let first_hour = now_hour.timestamp() - hours * 3600;
    let end_hour = now_hour.timestamp(); // exclusive: the current hour has not ended yet
    let now_ts = opts.now.timestamp();

    // --- identities -------------------------------------------------------------------------
    let audience_host = match opts.identity {
        IdentitySystem::AzureAD => "https://management.azurestack.local",
        IdentitySystem::ADFS => "https://management.adfs.azurestack.local",
    };
    let audience = format!("{audience_host}/{}", rng.guid());
    let provider_sub = rng.guid();
    let admin_tenant = rng.guid();
    let admin_client = rng.guid();
    let admin_secret = rng.secret(40);
    let hmac_secret = rng.secret(48);

    let ntenants = opts.tenants.clamp(1, 64);
    let mut tenants = Vec::new();
    let mut subs: Vec<SimSub> = Vec::new();
    for t in 0..ntenants {
        let name = if t < TENANT_NAMES.len() {
            TENANT_NAMES[t].to_string()
        } else {
            format!("{}{}", TENANT_NAMES[t % TENANT_NAMES.len()], t / TENANT_NAMES.len() + 1)
        };
        let (tid, cid, sec) = (rng.guid(), rng.guid(), rng.secret(40));
        let nsubs = 1 + rng.below(3) as usize;
        for s in 0..nsubs {
            let id = rng.guid();
            let rg = (0..(1 + rng.below(3)))
                .map(|i| {
                    // Resource group names vary in case, as on real stamps.
                    match i % 3 {
                        0 => format!("{name}-rg"),
                        1 => format!("{}RG", name.to_ascii_uppercase()),
                        _ => format!("rg-{}-{}", SUB_SUFFIXES[s % 3], i),
                    }
                })
                .collect();
            subs.push(SimSub {
                id,
                display: format!("{name}-{}", SUB_SUFFIXES[s % 3]),
                tenant: Some(t),
                deleted: false,
                rg,
            });
        }
        tenants.push((name, tid, cid, sec));
    }
    // A deleted subscription of the first tenant: its usage stops half way and still shows in the provider API.
    subs.push(SimSub {
        id: rng.guid(),
        display: format!("{}-legacy", tenants[0].0),
        tenant: Some(0),
        deleted: true,
        rg: vec!["legacy-rg".into()],
    });
    let deleted_at = first_hour + (hours / 2) * 3600;

    // --- resources ----------------------------------------------------------------------------
    let target = opts.approx_records.max(1);
    let mut resources: Vec<SimResource> = Vec::new();
    let mut estimate: u64 = 0;
    let mut k = 0usize;
    while estimate < target {
        let sub_ix = k % subs.len();
        let kind = if k < KINDS.len() * 2 { KINDS[k % KINDS.len()] } else { *rng.pick(KINDS) };
        let r = make_resource(&mut rng, k, sub_ix, &subs[sub_ix], kind, first_hour, end_hour, deleted_at);
        // Hours whose report would fall after `now` are not written (about 1.25 per stream at the end).
        let unreported = if r.last_hour >= end_hour { 2 } else { 0 };
        estimate += ((r.last_hour - r.first_hour) / 3600 - unreported).max(0) as u64 * r.streams.len() as u64;
        resources.push(r);
        k += 1;
        if k > 10_000_000 {
            break;
        }
    }

    // --- write ----------------------------------------------------------------------------------
    let written = store.with(|c| {
        c.pragma_update(None, "synchronous", "OFF")?;
        let tx = c.transaction()?;
        tx.execute_batch("DROP INDEX IF EXISTS usage_key; DROP INDEX IF EXISTS usage_reported; DROP INDEX IF EXISTS usage_sub_reported;")?;
        let meta = [
            ("audience", audience.clone()),
            ("provider_subscription", provider_sub.clone()),
            ("hmac_secret", hmac_secret.clone()),
            ("seed", opts.seed.to_string()),
            ("identity", format!("{:?}", opts.identity)),
        ];
        for (k, v) in meta {
            tx.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?1, ?2)", params![k, v])?;
        }
        tx.execute(
            "INSERT INTO principals(name, role, tenant_id, client_id, client_secret) VALUES ('admin', 'admin', ?1, ?2, ?3)",
            params![admin_tenant, admin_client, admin_secret],
        )?;
        for (name, tid, cid, sec) in &tenants {
            tx.execute(
                "INSERT INTO principals(name, role, tenant_id, client_id, client_secret) VALUES (?1, 'tenant', ?2, ?3, ?4)",
                params![name, tid, cid, sec],
            )?;
        }
        let provider_subs = [
            (provider_sub.clone(), "Default Provider Subscription"),
            (Rng::new(opts.seed ^ 0xC0).guid(), "Consumption Subscription"),
            (Rng::new(opts.seed ^ 0xE7).guid(), "Metering Subscription"),
        ];
        for (id, name) in provider_subs {
            tx.execute(
                "INSERT INTO subscriptions(subscription_id, display_name, state, kind, tenant) VALUES (?1, ?2, 'Enabled', 'provider', NULL)",
                params![id, name],
            )?;
        }
        let mut cache = IdCache::default();
        let mut sub_rows = Vec::new();
        for s in &subs {
            tx.execute(
                "INSERT INTO subscriptions(subscription_id, display_name, state, kind, tenant) VALUES (?1, ?2, ?3, 'tenant', ?4)",
                params![s.id, s.display, if s.deleted { "Deleted" } else { "Enabled" }, s.tenant.map(|t| tenants[t].0.clone())],
            )?;
            sub_rows.push(cache.sub(&tx, &s.id)?);
        }
        crate::directory::write_directory(&tx)?;
        let mut written = 0u64;
        {
            let mut ins = tx.prepare(
                "INSERT INTO usage(sub, resource, meter, instance, usage_start, reported, quantity) VALUES (?1,?2,?3,?4,?5,?6,?7)",
            )?;
            for (ri, r) in resources.iter().enumerate() {
                let sub = sub_rows[r.sub];
                let res = cache.resource(&tx, sub, &r.uri)?;
                let inst = cache.instance(&tx, LOCATION, &r.tags, &r.info)?;
                let meters: Vec<i64> = r.streams.iter().map(|(m, _)| cache.meter(&tx, m)).collect::<Result<_>>()?;
                let mut h = r.first_hour;
                while h < r.last_hour {
                    for (si, (_, q)) in r.streams.iter().enumerate() {
                        let noise = mix(opts.seed ^ ((ri as u64) << 24) ^ ((si as u64) << 56) ^ (h as u64));
                        // Reported = usage end + lag: mostly within the next hour, sometimes up to 3 h later.
                        let lag = match noise % 100 {
                            0..=79 => (noise >> 8) % 3600,
                            80..=94 => 3600 + (noise >> 8) % 3600,
                            _ => 7200 + (noise >> 8) % 3600,
                        } as i64;
                        let reported = h + 3600 + lag;
                        if reported >= now_ts {
                            continue; // not reported yet
                        }
                        let qty = match q {
                            Quantity::Fixed(s) => (*s).to_string(),
                            Quantity::Drift { base, amplitude } => {
                                let u = ((noise >> 11) as f64) / ((1u64 << 53) as f64);
                                double_text(base * (1.0 + amplitude * (u - 0.5)))
                            }
                        };
                        ins.execute(params![sub, res, meters[si], inst, h, reported, qty])?;
                        written += 1;
                    }
                    h += 3600;
                }
            }
        }
        tx.execute_batch(crate::store::INDEXES_SQL)?;
        tx.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('seeded', ?1)", [Utc::now().to_rfc3339()])?;
        tx.commit()?;
        c.pragma_update(None, "synchronous", "NORMAL")?;
        c.execute_batch("ANALYZE")?;
        Ok(written)
    })?;
    Ok(written)
}

#[allow(clippy::too_many_arguments)]
fn make_resource(
    rng: &mut Rng,
    k: usize,
    sub_ix: usize,
    sub: &SimSub,
    kind: Kind,
    first_hour: i64,
    end_hour: i64,
    deleted_at: i64,
) -> SimResource {
    let rg = rng.pick(&sub.rg).clone();
    let hours = (end_hour - first_hour) / 3600;
    // Most resources live through the whole window; some are created or removed part way.
    let mut first = first_hour;
    let mut last = end_hour;
    if rng.chance(0.25) {
        first = first_hour + (rng.below((hours / 2).max(1) as u64) as i64) * 3600;
    }
    if rng.chance(0.1) {
        last = end_hour - (rng.below((hours / 3).max(1) as u64) as i64) * 3600;
    }
    if sub.deleted {
        last = last.min(deleted_at);
    }
    let mut tags = (*rng.pick(TAG_CHOICES)).to_string();
    let sid = &sub.id;
    let (uri, info, streams): (String, String, Vec<(&'static str, Quantity)>) = match kind {
        Kind::WindowsVm | Kind::LinuxVm => {
            let (size, cores) = *rng.pick(vm_sizes());
            let windows = kind == Kind::WindowsVm;
            let info = if windows {
                let sku = rng.pick(&["2016-Datacenter", "2019-Datacenter", "2012-R2-Datacenter"]);
                format!(
                    r#"{{"ServiceType":"{size}","ImageType":null,"Publisher":"MicrosoftWindowsServer","Offer":"WindowsServer","Sku":"{sku}"}}"#
                )
            } else if rng.chance(0.2) {
                format!(
                    r#"{{"ServiceType":"{size}","ImageType":null,"Publisher":"commvault","Offer":"commvault","Sku":"commvaulttrial"}}"#
                )
            } else {
                format!(
                    r#"{{"ServiceType":"{size}","ImageType":null,"Publisher":"Canonical","Offer":"UbuntuServer","Sku":"16.04-LTS"}}"#
                )
            };
            let cores_meter = if windows { WINDOWS_VM_SIZE_HOURS } else { BASE_VM_SIZE_HOURS };
            let cores_text: &'static str = match cores {
                1 => "1.0",
                2 => "2.0",
                4 => "4.0",
                _ => "8.0",
            };
            (
                format!(
                    "/subscriptions/{sid}/resourceGroups/{rg}/providers/Microsoft.Compute/virtualMachines/vm{k:04}"
                ),
                info,
                vec![(VM_SIZE_HOURS, Quantity::Fixed("1.0")), (cores_meter, Quantity::Fixed(cores_text))],
            )
        }
        Kind::Storage => {
            tags = String::new();
            let base = 5.0 + rng.f64() * 200.0;
            (
                format!(
                    "/subscriptions/{sid}/resourcegroups/{}/providers/Microsoft.Storage/storageAccounts/sa{}{k}",
                    rg.to_ascii_lowercase(),
                    rg.to_ascii_lowercase().replace('-', "")
                ),
                String::new(),
                vec![
                    (BLOCK_BLOB_CAPACITY, Quantity::Drift { base, amplitude: 0.05 }),
                    (PAGE_BLOB_CAPACITY, Quantity::Drift { base: base / 3.0, amplitude: 0.02 }),
                    (TABLE_CAPACITY, Quantity::Drift { base: 0.0004, amplitude: 0.5 }),
                    (BLOB_TRANSACTIONS, Quantity::Drift { base: 0.0123, amplitude: 1.0 }),
                    (BLOB_DATA_IN, Quantity::Drift { base: 0.25, amplitude: 1.0 }),
                    (BLOB_DATA_OUT, Quantity::Drift { base: 0.75, amplitude: 1.0 }),
                ],
            )
        }
        Kind::PublicIp => {
            let meter = if rng.chance(0.5) { STATIC_IP } else { DYNAMIC_IP };
            (
                format!(
                    "/subscriptions/{sid}/resourceGroups/{rg}/providers/Microsoft.Network/publicIPAddresses/pip{k:04}"
                ),
                String::new(),
                vec![(meter, Quantity::Fixed("1.0"))],
            )
        }
        Kind::DataDisk => {
            tags = String::new();
            // Older disks still report the deprecated per-hour S10 meter next to the current one.
            let mut v = vec![
                (if rng.chance(0.5) { S10_CURRENT } else { P10_CURRENT }, Quantity::Fixed("0.0013440860215053762")),
                (ACTUAL_STANDARD_DISK, Quantity::Drift { base: 0.0295888, amplitude: 0.1 }),
            ];
            if rng.chance(0.3) {
                v.push((S10_DEPRECATED, Quantity::Fixed("1.0")));
            }
            (
                format!("/subscriptions/{sid}/resourceGroups/{rg}/providers/Microsoft.Compute/disks/disk{k:04}"),
                String::new(),
                v,
            )
        }
        Kind::SqlDb | Kind::MySqlDb => {
            let (rp, meter) = if kind == Kind::SqlDb {
                ("Microsoft.SQLAdapter", SQL_DB)
            } else {
                ("Microsoft.MySQLAdapter", MYSQL_DB)
            };
            const SIZES: &[&str] = &["100.0", "1024.0", "2048.0", "512.0"];
            let size: &'static str = SIZES[rng.below(SIZES.len() as u64) as usize];
            (
                format!("/subscriptions/{sid}/resourceGroups/{rg}/providers/{rp}/databases/db{k:04}"),
                String::new(),
                vec![(meter, Quantity::Fixed(size))],
            )
        }
        Kind::AppService => (
            format!("/subscriptions/{sid}/resourceGroups/{rg}/providers/Microsoft.Web/serverfarms/plan{k:04}"),
            String::new(),
            vec![
                (APP_SERVICE_SMALL_STANDARD, Quantity::Fixed("1.0")),
                (APP_SERVICE_WEB_PROCESS, Quantity::Fixed("1.0")),
            ],
        ),
        Kind::KeyVault => (
            format!("/subscriptions/{sid}/resourceGroups/{rg}/providers/Microsoft.KeyVault/vaults/kv{k:04}"),
            String::new(),
            vec![(KEY_VAULT_TX, Quantity::Drift { base: 0.0031, amplitude: 1.5 })],
        ),
        Kind::EventHub => (
            format!("/subscriptions/{sid}/resourceGroups/{rg}/providers/Microsoft.EventHub/clusters/eh{k:04}"),
            String::new(),
            vec![(EVENT_HUB_CORE, Quantity::Fixed("10.0"))],
        ),
    };
    SimResource { sub: sub_ix, uri, tags, info, streams, first_hour: first, last_hour: last.max(first) }
}
