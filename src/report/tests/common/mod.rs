//! A realistic month of FOCUS rows and unpriced usage for the report's tests, and small
//! independent writers for the files the browser checks read (FOCUS CSV, record-schema CSV).
#![allow(dead_code, unreachable_pub)]

pub mod browser;
pub mod million;

use std::path::{Path, PathBuf};

use azs_usage_core::{StringMap, UsageRecord};
use azs_usage_pricing::{FOCUS_COLUMNS, FocusRow};
use chrono::{DateTime, Datelike, Duration, TimeZone, Utc};
use rust_decimal::Decimal;

/// A scratch folder under the target directory (kept after the test as a CI artifact).
pub fn artifacts(case: &str) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    let dir = target.join("report-artifacts").join(case);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub fn at(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, day, hour, 0, 0).unwrap()
}

pub fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

/// A meter stream of a resource: (meter id, name, meter category, service category, service name,
/// consumed unit, pricing unit, block size, unit price, list unit price, hourly quantity base).
#[derive(Debug, Clone, Copy)]
pub struct MeterSpec {
    pub id: &'static str,
    pub name: &'static str,
    pub meter_category: &'static str,
    pub service_category: &'static str,
    pub service_name: &'static str,
    pub unit: &'static str,
    pub pricing_unit: &'static str,
    pub block: i64,
    pub price: &'static str,
    pub list_price: &'static str,
    pub quantity: &'static str,
}

pub const BASE_VM: MeterSpec = MeterSpec {
    id: "fab6eb84-500b-4a09-a8ca-7358f8bbaea5",
    name: "Base VM Size Hours",
    meter_category: "Compute",
    service_category: "Compute",
    service_name: "Virtual Machines",
    unit: "Virtual core hours",
    pricing_unit: "Virtual core hours",
    block: 1,
    price: "0.0081",
    list_price: "0.0095",
    quantity: "4",
};
pub const WINDOWS_VM: MeterSpec = MeterSpec {
    id: "9cd92d4c-bafd-4492-b278-bedc2de8232a",
    name: "Windows VM Size Hours",
    meter_category: "Compute",
    service_category: "Compute",
    service_name: "Virtual Machines",
    unit: "Virtual core hours",
    pricing_unit: "Virtual core hours",
    block: 1,
    price: "0.046",
    list_price: "0.046",
    quantity: "4",
};
pub const BLOB: MeterSpec = MeterSpec {
    id: "09f8879e-87e9-4305-a572-4b7be209f857",
    name: "BlockBlobCapacity",
    meter_category: "Storage",
    service_category: "Storage",
    service_name: "Storage",
    unit: "GB*hours",
    pricing_unit: "GB*hours",
    block: 1,
    price: "0.0000326",
    list_price: "0.0000411",
    quantity: "512.37",
};
pub const BLOB_TX: MeterSpec = MeterSpec {
    id: "43daf82b-4618-444a-b994-40c23f7cd438",
    name: "BlobTransactions",
    meter_category: "Storage",
    service_category: "Storage",
    service_name: "Storage",
    unit: "Requests count in 10,000s",
    pricing_unit: "10000 Requests",
    block: 1,
    price: "0.0036",
    list_price: "0.0036",
    quantity: "0.8123",
};
pub const STATIC_IP: MeterSpec = MeterSpec {
    id: "f271a8a3-88c4-4d93-956a-063e1d2fa80b",
    name: "Static IP Address Usage",
    meter_category: "Network",
    service_category: "Networking",
    service_name: "Virtual Network",
    unit: "IP addresses",
    pricing_unit: "IP address hours",
    block: 1,
    price: "0.0036",
    list_price: "0.004",
    quantity: "1",
};
pub const SQL_DB: MeterSpec = MeterSpec {
    id: "cbcfef9a-b91f-4597-a4d3-01fe334bed82",
    name: "DatabaseSizeHourSqlMeter",
    meter_category: "SQL RP",
    service_category: "Databases",
    service_name: "SQL Server",
    unit: "MB*hours",
    pricing_unit: "1000 MB*hours",
    block: 1000,
    price: "0.0104",
    list_price: "0.0125",
    quantity: "2048",
};
pub const APP_SERVICE: MeterSpec = MeterSpec {
    id: "190c935e-9ada-48ff-9ab8-56ea1cf9adaa",
    name: "App Service",
    meter_category: "App Service",
    service_category: "Web",
    service_name: "App Service",
    unit: "Virtual core hours",
    pricing_unit: "Virtual core hours",
    block: 1,
    price: "0.0231",
    list_price: "0.025",
    quantity: "2",
};
/// A meter the built-in catalog does not know (a rate card may still price it).
pub const BACKUP: MeterSpec = MeterSpec {
    id: "a1b2c3d4-0000-4000-8000-00000000b4c7",
    name: "Backup Vault Storage",
    meter_category: "Backup",
    service_category: "Storage",
    service_name: "Backup",
    unit: "GB*hours",
    pricing_unit: "GB*hours",
    block: 1,
    price: "0.0000139",
    list_price: "0.0000139",
    quantity: "250",
};
pub const KEY_VAULT: MeterSpec = MeterSpec {
    id: "ebf13b9f-b3ea-46fe-bf54-396e93d48ab4",
    name: "Key Vault transactions",
    meter_category: "Key Vault",
    service_category: "Security",
    service_name: "Key Vault",
    unit: "Request count in 10,000s",
    pricing_unit: "10000 Requests",
    block: 1,
    price: "0.03",
    list_price: "0.03",
    quantity: "0.05",
};

/// One tenant of the sample: name, directory tenant id (empty: not in the directory), owner.
#[derive(Debug, Clone)]
pub struct TenantSpec {
    pub name: &'static str,
    pub tenant_id: &'static str,
    pub owner: &'static str,
    pub offer: &'static str,
    pub subscriptions: Vec<(&'static str, &'static str)>,
}

pub fn tenants() -> Vec<TenantSpec> {
    vec![
        TenantSpec {
            name: "contoso",
            tenant_id: "6a0c2f4e-1b2d-4c8e-9f10-3a4b5c6d7e01",
            owner: "admin@contoso.onmicrosoft.com",
            offer: "gold",
            subscriptions: vec![
                ("11111111-aaaa-4aaa-8aaa-000000000001", "contoso-prod"),
                ("11111111-aaaa-4aaa-8aaa-000000000002", "contoso-dev"),
            ],
        },
        TenantSpec {
            name: "fabrikam",
            tenant_id: "7b1d3e5f-2c3e-4d9f-8a21-4b5c6d7e8f02",
            owner: "it@fabrikam.onmicrosoft.com",
            offer: "silver",
            subscriptions: vec![("22222222-bbbb-4bbb-8bbb-000000000001", "fabrikam-prod")],
        },
        TenantSpec {
            name: "northwind",
            tenant_id: "8c2e4f60-3d4f-4ea0-9b32-5c6d7e8f9003",
            owner: "ops@northwind.onmicrosoft.com",
            offer: "gold",
            subscriptions: vec![
                ("33333333-cccc-4ccc-8ccc-000000000001", "northwind-prod"),
                ("33333333-cccc-4ccc-8ccc-000000000002", "northwind-test"),
            ],
        },
        TenantSpec {
            name: "",
            tenant_id: "",
            owner: "",
            offer: "",
            subscriptions: vec![("44444444-dddd-4ddd-8ddd-000000000001", "")],
        },
    ]
}

/// A resource with its meter streams and tags.
#[derive(Debug, Clone)]
pub struct ResourceSpec {
    pub tenant: usize,
    pub subscription: usize,
    pub name: String,
    pub provider_type: &'static str,
    pub meters: Vec<MeterSpec>,
    pub tags: Vec<(&'static str, &'static str)>,
}

impl ResourceSpec {
    pub fn uri(&self, t: &[TenantSpec]) -> String {
        let sub = t[self.tenant].subscriptions[self.subscription].0;
        format!("/subscriptions/{sub}/resourceGroups/rg-{}/providers/{}/{}", self.tenant, self.provider_type, self.name)
    }
}

pub fn resources() -> Vec<ResourceSpec> {
    let r = |tenant, subscription, name: &str, provider_type, meters: Vec<MeterSpec>, tags| ResourceSpec {
        tenant,
        subscription,
        name: name.to_string(),
        provider_type,
        meters,
        tags,
    };
    vec![
        r(
            0,
            0,
            "web01",
            "Microsoft.Compute/virtualMachines",
            vec![BASE_VM, WINDOWS_VM],
            vec![("CostCenter", "CC-1001"), ("env", "prod")],
        ),
        r(
            0,
            0,
            "web02",
            "Microsoft.Compute/virtualMachines",
            vec![BASE_VM, WINDOWS_VM],
            vec![("CostCenter", "CC-1001")],
        ),
        r(
            0,
            0,
            "contosodata",
            "Microsoft.Storage/storageAccounts",
            vec![BLOB, BLOB_TX],
            vec![("costcenter", "CC-1002")],
        ),
        r(0, 1, "build01", "Microsoft.Compute/virtualMachines", vec![BASE_VM], vec![]),
        r(0, 1, "ip-build01", "Microsoft.Network/publicIPAddresses", vec![STATIC_IP], vec![]),
        r(1, 0, "sql-orders", "Microsoft.SQLAdapter/databases", vec![SQL_DB], vec![("CostCenter", "FIN-7")]),
        r(
            1,
            0,
            "shop",
            "Microsoft.Web/sites",
            vec![APP_SERVICE],
            vec![("CostCenter", "FIN-7"), ("app", "billing \"v2\"")],
        ),
        r(1, 0, "vault-backup", "Microsoft.RecoveryServices/vaults", vec![BACKUP], vec![("CostCenter", "Büro-Ä1")]),
        r(2, 0, "erp01", "Microsoft.Compute/virtualMachines", vec![BASE_VM, WINDOWS_VM], vec![("CostCenter", "OPS")]),
        r(2, 0, "erpdata", "Microsoft.Storage/storageAccounts", vec![BLOB], vec![("CostCenter", "OPS")]),
        r(2, 1, "test01", "Microsoft.Compute/virtualMachines", vec![BASE_VM], vec![("env", "test")]),
        r(3, 0, "orphan01", "Microsoft.Compute/virtualMachines", vec![BASE_VM], vec![]),
    ]
}

/// A deterministic wobble, so that quantities differ per hour (exact decimals, 4 places).
fn wobble(seed: u64) -> Decimal {
    let x = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407) >> 33;
    Decimal::new((x % 4000) as i64 + 8000, 4) // 0.8000 .. 1.1999
}

/// One FOCUS row as the pricing engine writes it (no included quantity or tiers: billed = contracted).
pub fn row(t: &[TenantSpec], r: &ResourceSpec, m: &MeterSpec, start: DateTime<Utc>, hours: i64, seed: u64) -> FocusRow {
    let tenant = &t[r.tenant];
    let (sub_id, sub_name) = tenant.subscriptions[r.subscription];
    let consumed = dec(m.quantity) * wobble(seed) * Decimal::from(hours);
    let pricing_quantity = consumed / Decimal::from(m.block);
    let price = dec(m.price);
    let list_price = dec(m.list_price);
    let contracted = price * pricing_quantity;
    let period_start = Utc.with_ymd_and_hms(start.year(), start.month(), 1, 0, 0, 0).unwrap();
    FocusRow {
        billed_cost: contracted,
        billing_account_id: "9f8e7d6c-0000-4000-8000-0000000000aa".into(),
        billing_account_name: "Stamp operator".into(),
        billing_currency: "USD".into(),
        billing_period_end: period_start + chrono::Months::new(1),
        billing_period_start: period_start,
        charge_category: "Usage".into(),
        charge_class: None,
        charge_description: format!("{} for {}", m.name, r.name),
        charge_period_end: start + Duration::hours(hours),
        charge_period_start: start,
        contracted_cost: contracted,
        effective_cost: contracted,
        invoice_issuer_name: "Northwest Cloud Services".into(),
        list_cost: list_price * pricing_quantity,
        pricing_quantity,
        pricing_unit: m.pricing_unit.into(),
        provider_name: "Azure Stack Hub".into(),
        publisher_name: "Microsoft".into(),
        service_category: m.service_category.into(),
        service_name: m.service_name.into(),
        charge_frequency: "Usage-Based".into(),
        consumed_quantity: consumed,
        consumed_unit: m.unit.into(),
        contracted_unit_price: price,
        list_unit_price: list_price,
        pricing_category: "Standard".into(),
        region_id: "local".into(),
        region_name: "local".into(),
        resource_id: r.uri(t),
        resource_name: r.name.clone(),
        resource_type: r.provider_type.into(),
        service_subcategory: m.meter_category.into(),
        sku_id: m.id.into(),
        sku_meter: m.name.into(),
        sku_price_details: format!(
            r#"{{"x_Scope":"*","x_BlockSize":"{}","x_IncludedQuantity":"0","x_Tiers":"0:{}"}}"#,
            m.block, m.price
        ),
        sku_price_id: format!("{}:*:2026-01-01:0", m.id),
        sub_account_id: sub_id.into(),
        sub_account_name: sub_name.into(),
        sub_account_type: "Subscription".into(),
        tags: StringMap(r.tags.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()),
        x_meter_id: m.id.to_uppercase(),
        x_meter_category: m.meter_category.into(),
        x_resource_group: format!("rg-{}", r.tenant),
        x_tenant_id: tenant.tenant_id.into(),
        x_owner: tenant.owner.into(),
        x_offer_name: tenant.offer.into(),
    }
}

/// An unpriced usage record (the record schema, as the pricing run's side file holds it).
pub fn unpriced(t: &[TenantSpec], r: &ResourceSpec, m: &MeterSpec, start: DateTime<Utc>, seed: u64) -> UsageRecord {
    let (sub_id, _) = t[r.tenant].subscriptions[r.subscription];
    let known = azs_usage_core::MeterCatalog::builtin().lookup(m.id).is_some();
    UsageRecord {
        subscription_id: sub_id.into(),
        meter_id: m.id.to_uppercase(),
        meter_name: if known { m.name.into() } else { String::new() },
        meter_category: if known { m.meter_category.into() } else { String::new() },
        unit: if known { m.unit.into() } else { String::new() },
        quantity: dec(m.quantity) * wobble(seed),
        usage_start_time: start,
        usage_end_time: start + Duration::hours(1),
        resource_uri: r.uri(t),
        resource_group: format!("rg-{}", r.tenant),
        resource_provider: r.provider_type.split('/').next().unwrap_or_default().into(),
        resource_type: r.provider_type.split_once('/').map(|(_, t)| t).unwrap_or_default().into(),
        resource_name: r.name.clone(),
        location: "local".into(),
        tags: StringMap(r.tags.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()),
        additional_info: StringMap::default(),
        instance_data: String::new(),
    }
}

/// November 2026 of the sample stamp: hourly rows of every resource (some start late, one stops
/// early), plus unpriced Key Vault usage and an unpriced meter unknown to the catalog.
pub fn normal_month() -> (Vec<FocusRow>, Vec<UsageRecord>) {
    let t = tenants();
    let mut rows = Vec::new();
    let mut unpriced_records = Vec::new();
    let mut seed = 1u64;
    for (ri, r) in resources().iter().enumerate() {
        // Resources start on different days; build01 stops on the 20th.
        let first_day = 1 + (ri as u32 * 3) % 9;
        let last_day = if r.name == "build01" { 20 } else { 30 };
        for day in first_day..=last_day {
            for hour in (0..24).step_by(3) {
                for m in &r.meters {
                    seed += 1;
                    rows.push(row(&t, r, m, at(day, hour), 3, seed));
                }
            }
        }
    }
    let vault = ResourceSpec {
        tenant: 1,
        subscription: 0,
        name: "kv-shop".into(),
        provider_type: "Microsoft.KeyVault/vaults",
        meters: vec![KEY_VAULT],
        tags: vec![("CostCenter", "FIN-7")],
    };
    let mystery = MeterSpec { id: "0badc0de-1111-4222-8333-444455556666", name: "", ..BACKUP };
    for day in 1..=30 {
        for hour in [0, 8, 16] {
            seed += 1;
            unpriced_records.push(unpriced(&t, &vault, &KEY_VAULT, at(day, hour), seed));
        }
        seed += 1;
        unpriced_records.push(unpriced(&t, &resources()[3], &mystery, at(day, 12), seed));
    }
    // Rows of the month before and after: the month filter must leave them out.
    let r = &resources()[0];
    rows.push(row(&t, r, &BASE_VM, Utc.with_ymd_and_hms(2026, 10, 31, 23, 0, 0).unwrap(), 1, 99));
    rows.push(row(&t, r, &BASE_VM, Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap(), 1, 98));
    (rows, unpriced_records)
}

fn csv_instant(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Writes rows as a FOCUS CSV (header = `FOCUS_COLUMNS`), with its own formatting: this is the
/// browser check's input, so it must not go through the report's code.
pub fn write_focus_csv(path: &Path, rows: &[FocusRow]) {
    let mut w = csv::Writer::from_path(path).unwrap();
    w.write_record(FOCUS_COLUMNS).unwrap();
    for r in rows {
        let tags: serde_json::Map<String, serde_json::Value> =
            r.tags.iter().map(|(k, v)| (k.to_string(), serde_json::Value::String(v.to_string()))).collect();
        let d = |x: &Decimal| x.to_string();
        let fields: Vec<String> = vec![
            d(&r.billed_cost),
            r.billing_account_id.clone(),
            r.billing_account_name.clone(),
            r.billing_currency.clone(),
            csv_instant(&r.billing_period_end),
            csv_instant(&r.billing_period_start),
            r.charge_category.clone(),
            r.charge_class.clone().unwrap_or_default(),
            r.charge_description.clone(),
            csv_instant(&r.charge_period_end),
            csv_instant(&r.charge_period_start),
            d(&r.contracted_cost),
            d(&r.effective_cost),
            r.invoice_issuer_name.clone(),
            d(&r.list_cost),
            d(&r.pricing_quantity),
            r.pricing_unit.clone(),
            r.provider_name.clone(),
            r.publisher_name.clone(),
            r.service_category.clone(),
            r.service_name.clone(),
            r.charge_frequency.clone(),
            d(&r.consumed_quantity),
            r.consumed_unit.clone(),
            d(&r.contracted_unit_price),
            d(&r.list_unit_price),
            r.pricing_category.clone(),
            r.region_id.clone(),
            r.region_name.clone(),
            r.resource_id.clone(),
            r.resource_name.clone(),
            r.resource_type.clone(),
            r.service_subcategory.clone(),
            r.sku_id.clone(),
            r.sku_meter.clone(),
            r.sku_price_details.clone(),
            r.sku_price_id.clone(),
            r.sub_account_id.clone(),
            r.sub_account_name.clone(),
            r.sub_account_type.clone(),
            serde_json::Value::Object(tags).to_string(),
            r.x_meter_id.clone(),
            r.x_meter_category.clone(),
            r.x_resource_group.clone(),
            r.x_tenant_id.clone(),
            r.x_owner.clone(),
            r.x_offer_name.clone(),
        ];
        assert_eq!(fields.len(), FOCUS_COLUMNS.len());
        w.write_record(&fields).unwrap();
    }
    w.flush().unwrap();
}

/// Writes usage records as the record schema's CSV (the pricing run's `.unpriced.csv`).
pub fn write_usage_csv(path: &Path, records: &[UsageRecord]) {
    let mut w = csv::Writer::from_path(path).unwrap();
    w.write_record(azs_usage_core::FIELD_NAMES).unwrap();
    for r in records {
        w.write_record(r.text_fields()).unwrap();
    }
    w.flush().unwrap();
}
