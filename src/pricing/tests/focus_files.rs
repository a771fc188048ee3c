//! FOCUS files: CSV and Parquet written through `FocusWriter` and read back by `read_focus`.

use std::path::Path;

use azs_usage_core::StringMap;
use azs_usage_pricing::{FOCUS_COLUMNS, FocusFormat, FocusRow, FocusWriter, Reason, read_focus};
use chrono::{DateTime, TimeZone, Utc};
use rust_decimal::Decimal;

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn at(h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 3, h, 0, 0).unwrap()
}

fn row(i: u32) -> FocusRow {
    FocusRow {
        billed_cost: dec("0.000123456789012345") * Decimal::from(i + 1),
        billing_account_id: "provider-sub".into(),
        billing_account_name: "Provider".into(),
        billing_currency: "EUR".into(),
        billing_period_end: Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap(),
        billing_period_start: Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap(),
        charge_category: "Usage".into(),
        charge_class: None,
        charge_description: format!("Base VM Size Hours for vm{i:02}, \"quoted\""),
        charge_period_end: at(i % 23 + 1),
        charge_period_start: at(i % 23),
        contracted_cost: dec("12.5"),
        effective_cost: dec("0.000123456789012345") * Decimal::from(i + 1),
        invoice_issuer_name: "Provider".into(),
        list_cost: dec("1234567890.123456789"),
        pricing_quantity: dec("0.0000063646"),
        pricing_unit: "10000 Requests".into(),
        provider_name: "Azure Stack Hub".into(),
        publisher_name: "Microsoft".into(),
        service_category: "Compute".into(),
        service_name: "Virtual Machines".into(),
        charge_frequency: "Usage-Based".into(),
        consumed_quantity: dec("-3"),
        consumed_unit: "Core-Hours".into(),
        contracted_unit_price: dec("0.05"),
        list_unit_price: dec("0"),
        pricing_category: "Standard".into(),
        region_id: "local".into(),
        region_name: "local".into(),
        resource_id: format!("/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm{i}"),
        resource_name: format!("vm{i}"),
        resource_type: "Microsoft.Compute/virtualMachines".into(),
        service_subcategory: "Virtual Machines".into(),
        sku_id: "fab6eb84-500b-4a09-a8ca-7358f8bbaea5".into(),
        sku_meter: "Base VM Size Hours".into(),
        sku_price_details: r#"{"x_BlockSize":"1"}"#.into(),
        sku_price_id: "fab6eb84-500b-4a09-a8ca-7358f8bbaea5/*/2026-01-01".into(),
        sub_account_id: "sub-1".into(),
        // Empty: written as null, read back empty.
        sub_account_name: if i.is_multiple_of(2) { String::new() } else { "Contoso prod".into() },
        sub_account_type: "Subscription".into(),
        tags: if i.is_multiple_of(3) {
            StringMap::default()
        } else {
            StringMap(vec![("Größe".into(), "groß, \"sehr\"".into()), ("costCenter".into(), "CC-1001".into())])
        },
        x_meter_id: "FAB6EB84500B4A09A8CA7358F8BBAEA5".into(),
        x_meter_category: "Compute".into(),
        x_resource_group: "rg".into(),
        x_tenant_id: String::new(),
        x_owner: "admin@contoso.onmicrosoft.com".into(),
        x_offer_name: "gold".into(),
    }
}

fn write(path: &Path, format: FocusFormat, rows: &[FocusRow]) {
    let mut w = FocusWriter::create(path, format).unwrap();
    for r in rows {
        w.write(r).unwrap();
    }
    assert_eq!(w.rows(), rows.len() as u64);
    assert_eq!(w.finish_file().unwrap(), path);
}

fn read_all(path: &Path) -> Vec<FocusRow> {
    read_focus(path).unwrap().collect::<Result<Vec<_>, _>>().unwrap()
}

#[test]
fn csv_round_trips_in_the_spec_formats() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("costs.csv");
    let rows: Vec<FocusRow> = (0..40).map(row).collect();
    write(&path, FocusFormat::Csv, &rows);
    assert_eq!(read_all(&path), rows);

    let mut rdr = csv::Reader::from_path(&path).unwrap();
    assert_eq!(rdr.headers().unwrap().iter().collect::<Vec<_>>(), FOCUS_COLUMNS.to_vec());
    let first = rdr.records().next().unwrap().unwrap();
    let cell = |name: &str| first.get(FOCUS_COLUMNS.iter().position(|c| *c == name).unwrap()).unwrap().to_string();
    assert_eq!(cell("ChargePeriodStart"), "2026-11-03T00:00:00Z");
    assert_eq!(cell("BillingPeriodEnd"), "2026-12-01T00:00:00Z");
    assert_eq!(cell("PricingQuantity"), "0.0000063646", "plain notation");
    assert_eq!(cell("ListCost"), "1234567890.123456789");
    assert_eq!(cell("ContractedCost"), "12.5");
    assert_eq!(cell("ChargeClass"), "", "null");
    assert_eq!(cell("SubAccountName"), "", "an empty string is written as null");
    assert_eq!(cell("Tags"), "{}");
    let second = rdr.records().next().unwrap().unwrap();
    let tags = second.get(FOCUS_COLUMNS.iter().position(|c| *c == "Tags").unwrap()).unwrap();
    assert_eq!(tags, r#"{"Größe":"groß, \"sehr\"","costCenter":"CC-1001"}"#);
}

#[test]
fn parquet_round_trips_across_batches() {
    let dir = tempfile::tempdir().unwrap();
    // Named .csv on purpose: the reader goes by content.
    let path = dir.path().join("costs-really-parquet.csv");
    let rows: Vec<FocusRow> = (0..20_000).map(row).collect();
    write(&path, FocusFormat::Parquet, &rows);
    assert_eq!(&std::fs::read(&path).unwrap()[..4], b"PAR1");
    let back = read_all(&path);
    assert_eq!(back.len(), rows.len());
    assert_eq!(back, rows, "every value back exactly (all within 18 decimal places)");
}

#[test]
fn writer_over_any_sink() {
    let mut w = FocusWriter::new(Vec::new(), FocusFormat::Csv).unwrap();
    w.write(&row(1)).unwrap();
    let bytes = w.finish().unwrap();
    let text = String::from_utf8(bytes).unwrap();
    assert_eq!(text.lines().count(), 2);
    assert!(text.starts_with("BilledCost,BillingAccountId,"));

    let mut p = FocusWriter::new(Vec::new(), FocusFormat::Parquet).unwrap();
    p.write(&row(1)).unwrap();
    let bytes = p.finish().unwrap();
    assert_eq!(&bytes[..4], b"PAR1");
    assert_eq!(&bytes[bytes.len() - 4..], b"PAR1");
}

#[test]
fn an_empty_file_has_a_header_or_a_schema() {
    let dir = tempfile::tempdir().unwrap();
    for format in [FocusFormat::Csv, FocusFormat::Parquet] {
        let path = dir.path().join(format!("empty-{format:?}"));
        write(&path, format, &[]);
        assert!(read_all(&path).is_empty());
    }
}

#[test]
fn unreadable_files_name_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let missing = read_focus(&dir.path().join("nope.csv")).unwrap_err();
    assert_eq!(missing.reason(), Reason::FocusFileInvalid);

    let wrong = dir.path().join("usage.csv");
    std::fs::write(&wrong, "SubscriptionId,MeterId\na,b\n").unwrap();
    let e = read_focus(&wrong).unwrap_err();
    assert_eq!(e.reason(), Reason::FocusFileInvalid);
    assert!(e.to_string().contains("BilledCost"), "{e}");

    let good = dir.path().join("good.csv");
    write(&good, FocusFormat::Csv, &[row(0), row(1)]);
    let text = std::fs::read_to_string(&good).unwrap().replacen("0.000123456789012345", "1x5", 1);
    std::fs::write(&good, text).unwrap();
    let e = read_focus(&good).unwrap().find_map(|r| r.err()).unwrap();
    assert!(e.to_string().contains("line 2") && e.to_string().contains("BilledCost"), "{e}");

    let truncated = dir.path().join("trunc.parquet");
    write(&truncated, FocusFormat::Parquet, &[row(0)]);
    let bytes = std::fs::read(&truncated).unwrap();
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    assert_eq!(read_focus(&truncated).unwrap_err().reason(), Reason::FocusFileInvalid);
}
