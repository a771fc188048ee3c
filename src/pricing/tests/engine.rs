//! The cost engine: every pricing rule of issue 8 on small hand-computed cases.

use std::sync::Arc;

use azs_usage_core::{StringMap, TenantSubscription, UsageRecord};
use azs_usage_pricing::{
    CostEngine, Directory, FocusOptions, FocusRow, Priced, RateCard, RateCardOptions, Reason, UnpricedReason,
    price_unordered,
};
use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn t(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

const WIN: &str = "9CD92D4C-BAFD-4492-B278-BEDC2DE8232A";
const IP: &str = "F271A8A388C44D93956A063E1D2FA80B";
const BLOB_TX: &str = "43DAF82B-4618-444A-B994-40C23F7CD438";

fn record(sub: &str, meter: &str, quantity: &str, start: &str, uri: &str) -> UsageRecord {
    let start = t(start);
    UsageRecord {
        subscription_id: sub.into(),
        meter_id: meter.into(),
        meter_name: String::new(),
        meter_category: String::new(),
        unit: String::new(),
        quantity: d(quantity),
        usage_start_time: start,
        usage_end_time: start + Duration::hours(1),
        resource_uri: uri.into(),
        resource_group: "rg".into(),
        resource_provider: "Microsoft.Compute".into(),
        resource_type: "virtualMachines".into(),
        resource_name: uri.rsplit('/').next().unwrap_or("").into(),
        location: "local".into(),
        tags: StringMap(vec![("CostCenter".into(), "CC-1".into())]),
        additional_info: StringMap::default(),
        instance_data: String::new(),
    }
}

fn card(text: &str) -> Arc<RateCard> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("card.csv");
    std::fs::write(&path, text).unwrap();
    Arc::new(RateCard::load(&path, &RateCardOptions::default()).unwrap().0)
}

fn directory() -> Arc<Directory> {
    let entry = |id: &str, offer: &str, tenant: &str| TenantSubscription {
        subscription_id: id.into(),
        display_name: format!("{id} display"),
        owner: format!("admin@{tenant}"),
        tenant_id: tenant.into(),
        offer_id: format!("/offers/{offer}"),
        offer_name: offer.into(),
        state: "Enabled".into(),
        delegated_provider_subscription_id: String::new(),
        provider_subscription_id: "provider-1".into(),
    };
    Arc::new(Directory::from_entries(vec![entry("s-gold", "Gold", "t1"), entry("s-silver", "silver", "t2")]))
}

fn engine(text: &str) -> CostEngine {
    CostEngine::new(card(text), directory(), FocusOptions::default())
}

fn row(p: Priced) -> FocusRow {
    match p {
        Priced::Row(r) => *r,
        Priced::Unpriced(why) => panic!("unpriced: {why:?}"),
    }
}

/// Prices records through the unordered path; returns the outcomes in input order.
fn unordered(engine: &mut CostEngine, records: &[UsageRecord]) -> Vec<Priced> {
    let mut out = Vec::new();
    price_unordered(
        engine,
        || Ok(records.iter().cloned().map(Ok)),
        false,
        |_, p| {
            out.push(p);
            Ok(())
        },
    )
    .unwrap();
    out
}

const TIERED: &str = "MeterId,UnitPrice,Currency,IncludedQuantity,TierStart\n\
                      9CD92D4C-BAFD-4492-B278-BEDC2DE8232A,2,EUR,10,0\n\
                      9CD92D4C-BAFD-4492-B278-BEDC2DE8232A,1,EUR,10,100\n";

#[test]
fn included_quantity_first_then_tiers() {
    let mut e = engine(TIERED);
    let billed: Vec<Decimal> = [("8", "vm1"), ("8", "vm2"), ("90", "vm3"), ("10", "vm4")]
        .iter()
        .enumerate()
        .map(|(h, (q, vm))| {
            let start = format!("2026-11-03T{h:02}:00:00Z");
            row(e.price(&record("s1", WIN, q, &start, vm))).billed_cost
        })
        .collect();
    // [0,8) free; [8,16): 2 free + 6 at 2; [16,106): 84 at 2 + 6 at 1; [106,116): 10 at 1.
    assert_eq!(billed, vec![d("0"), d("12"), d("174"), d("10")]);
    let r = row(e.price(&record("s1", WIN, "1", "2026-11-03T05:00:00Z", "vm5")));
    assert_eq!(
        (r.list_unit_price, r.contracted_unit_price, r.list_cost, r.contracted_cost),
        (d("2"), d("2"), d("2"), d("2"))
    );
    assert_eq!(r.billed_cost, d("1"), "the tier-1 price, while list and contracted costs use tier 0");
}

#[test]
fn accumulators_are_per_subscription_meter_and_utc_month() {
    let mut e = engine(TIERED);
    let b = |e: &mut CostEngine, sub: &str, meter: &str, start: &str| {
        row(e.price(&record(sub, meter, "10", start, "vm"))).billed_cost
    };
    assert_eq!(b(&mut e, "s1", WIN, "2026-11-30T23:00:00Z"), d("0"), "within the included 10");
    assert_eq!(b(&mut e, "s1", WIN, "2026-11-30T23:00:00Z"), d("20"));
    assert_eq!(b(&mut e, "s1", WIN, "2026-12-01T00:00:00Z"), d("0"), "a new UTC month starts over");
    assert_eq!(b(&mut e, "S1", WIN, "2026-12-01T01:00:00Z"), d("20"), "subscription ids in any case");
    assert_eq!(b(&mut e, "s2", WIN, "2026-12-01T01:00:00Z"), d("0"), "another subscription has its own");
    assert_eq!(
        b(&mut e, "s1", "9cd92d4cbafd4492b278bedc2de8232a", "2026-12-01T02:00:00Z"),
        d("20"),
        "meter ids in any form"
    );
}

#[test]
fn the_month_is_the_usage_start_in_utc() {
    let mut e = engine(TIERED);
    let r = row(e.price(&record("s1", WIN, "1", "2026-11-30T23:00:00Z", "vm")));
    assert_eq!(r.billing_period_start, t("2026-11-01T00:00:00Z"));
    assert_eq!(r.billing_period_end, t("2026-12-01T00:00:00Z"));
    assert_eq!((r.charge_period_start, r.charge_period_end), (t("2026-11-30T23:00:00Z"), t("2026-12-01T00:00:00Z")));
    let dec = row(e.price(&record("s1", WIN, "1", "2026-12-31T23:00:00Z", "vm")));
    assert_eq!(
        (dec.billing_period_start, dec.billing_period_end),
        (t("2026-12-01T00:00:00Z"), t("2027-01-01T00:00:00Z"))
    );
}

#[test]
fn unordered_input_is_consumed_in_start_then_uri_order() {
    let records = vec![
        record("s1", WIN, "60", "2026-11-03T02:00:00Z", "/r/b"),
        record("s1", WIN, "60", "2026-11-03T01:00:00Z", "/r/z"),
        record("s1", WIN, "60", "2026-11-03T02:00:00Z", "/r/a"),
    ];
    let mut e = engine(TIERED);
    let costs: Vec<Decimal> = unordered(&mut e, &records).into_iter().map(|p| row(p).billed_cost).collect();
    // Order: z@01 [0,60): 50 at 2 = 100; a@02 [60,120): 40 at 2 + 20 at 1 = 100; b@02 [120,180): 60.
    assert_eq!(costs, vec![d("60"), d("100"), d("100")], "results come back in input order");

    // The ordered path on sorted input agrees.
    let mut sorted = records.clone();
    sorted.sort_by(|a, b| (a.usage_start_time, &a.resource_uri).cmp(&(b.usage_start_time, &b.resource_uri)));
    let mut o = engine(TIERED);
    let ordered: Vec<Decimal> = sorted.iter().map(|r| row(o.price(r)).billed_cost).collect();
    assert_eq!(ordered, vec![d("100"), d("100"), d("60")]);
    assert_eq!(o.out_of_order(), 0);

    // The ordered path counts input that breaks its contract.
    let mut bad = engine(TIERED);
    records.iter().for_each(|r| {
        bad.price(r);
    });
    assert_eq!(bad.out_of_order(), 1);
}

const SCOPED: &str = "MeterId,UnitPrice,Currency,Scope\n\
                      9CD92D4C-BAFD-4492-B278-BEDC2DE8232A,3,EUR,*\n\
                      9CD92D4C-BAFD-4492-B278-BEDC2DE8232A,2,EUR,offer:gold\n\
                      9CD92D4C-BAFD-4492-B278-BEDC2DE8232A,1,EUR,subscription:S-GOLD\n\
                      43DAF82B-4618-444A-B994-40C23F7CD438,5,EUR,offer:silver\n";

#[test]
fn the_most_specific_scope_wins_and_list_prices_come_from_star() {
    let mut e = engine(SCOPED);
    let p = |e: &mut CostEngine, sub: &str, meter: &str| {
        row(e.price(&record(sub, meter, "1", "2026-11-03T00:00:00Z", "vm")))
    };
    let gold = p(&mut e, "s-gold", WIN);
    assert_eq!(
        (gold.contracted_unit_price, gold.list_unit_price, gold.billed_cost),
        (d("1"), d("3"), d("1")),
        "subscription scope"
    );
    assert!(gold.sku_price_id.ends_with("/subscription:S-GOLD/*"), "{}", gold.sku_price_id);
    let silver = p(&mut e, "s-silver", WIN);
    assert_eq!((silver.contracted_unit_price, silver.billed_cost), (d("3"), d("3")), "no silver price: the list price");
    let other = p(&mut e, "s-unknown", WIN);
    assert_eq!(other.billed_cost, d("3"), "not in the directory: *");
    let tx = p(&mut e, "s-silver", BLOB_TX);
    assert_eq!((tx.list_unit_price, tx.contracted_unit_price), (d("5"), d("5")), "no * price: list = the winner's");
    assert!(matches!(
        e.price(&record("s-gold", BLOB_TX, "1", "2026-11-03T00:00:00Z", "sa")),
        Priced::Unpriced(UnpricedReason::NoEffectivePrice)
    ));

    // Offer names compare in any case; without a directory offer prices never apply.
    let mut plain = CostEngine::new(card(SCOPED), Arc::new(Directory::empty()), FocusOptions::default());
    assert_eq!(row(plain.price(&record("s-other", WIN, "1", "2026-11-03T00:00:00Z", "vm"))).billed_cost, d("3"));
}

#[test]
fn effective_dates_apply_to_the_usage_start_end_exclusive() {
    let mut e = engine(
        "MeterId,UnitPrice,Currency,EffectiveFrom,EffectiveTo\n\
         9CD92D4C-BAFD-4492-B278-BEDC2DE8232A,2,EUR,,2026-11-15\n\
         9CD92D4C-BAFD-4492-B278-BEDC2DE8232A,3,EUR,2026-11-15,2026-11-20T12:00:00Z\n",
    );
    let at = |e: &mut CostEngine, start: &str| e.price(&record("s1", WIN, "1", start, "vm"));
    assert_eq!(row(at(&mut e, "2026-11-14T23:00:00Z")).billed_cost, d("2"));
    assert_eq!(row(at(&mut e, "2026-11-15T00:00:00Z")).billed_cost, d("3"), "from is inclusive");
    assert_eq!(row(at(&mut e, "2026-11-20T11:00:00Z")).billed_cost, d("3"));
    assert!(
        matches!(at(&mut e, "2026-11-20T12:00:00Z"), Priced::Unpriced(UnpricedReason::NoEffectivePrice)),
        "to is exclusive"
    );
}

#[test]
fn block_sizes_divide_the_quantity() {
    let mut e = engine(
        "MeterId,UnitPrice,Currency,BlockSize,IncludedQuantity,Unit\n\
         43DAF82B-4618-444A-B994-40C23F7CD438,0.4,EUR,10,5,\n\
         F271A8A388C44D93956A063E1D2FA80B,0.05,EUR,1000,0,1000 IP Address-Hours\n",
    );
    let r = row(e.price(&record("s1", BLOB_TX, "25", "2026-11-03T00:00:00Z", "sa")));
    assert_eq!(r.pricing_quantity, d("2.5"));
    assert_eq!((r.list_cost, r.contracted_cost), (d("1.0"), d("1.0")));
    assert_eq!(r.billed_cost, d("0.8"), "5 included, 20 at 0.4 per 10");
    assert_eq!(r.pricing_unit, "10 10000 Requests", "block x the FOCUS form of the meter's unit");
    assert_eq!(r.consumed_unit, "10000 Requests");
    let ip = row(e.price(&record("s1", IP, "3", "2026-11-03T00:00:00Z", "ip")));
    assert_eq!(
        (ip.pricing_unit.as_str(), ip.pricing_quantity, ip.billed_cost),
        ("1000 IP Address-Hours", d("0.003"), d("0.00015"))
    );
}

#[test]
fn list_prices_of_another_block_size_are_per_the_winners_pricing_unit() {
    let mut e = engine(
        "MeterId,UnitPrice,Currency,BlockSize,Scope\n\
         43DAF82B-4618-444A-B994-40C23F7CD438,1,EUR,10,*\n\
         43DAF82B-4618-444A-B994-40C23F7CD438,8,EUR,100,offer:gold\n",
    );
    let r = row(e.price(&record("s-gold", BLOB_TX, "50", "2026-11-03T00:00:00Z", "sa")));
    assert_eq!(r.pricing_quantity, d("0.5"));
    assert_eq!(r.list_unit_price, d("10"), "1 per 10 = 10 per 100");
    assert_eq!((r.list_cost, r.contracted_cost, r.billed_cost), (d("5"), d("4"), d("4")));
}

#[test]
fn negative_quantities_credit_what_they_take_back() {
    let mut e = engine(TIERED);
    let q = |e: &mut CostEngine, q: &str, h: u32| {
        row(e.price(&record("s1", WIN, q, &format!("2026-11-03T{h:02}:00:00Z"), "vm"))).billed_cost
    };
    assert_eq!(q(&mut e, "20", 0), d("20"));
    assert_eq!(q(&mut e, "-5", 1), d("-10"));
    assert_eq!(q(&mut e, "5", 2), d("10"));
}

#[test]
fn unpriced_usage_is_kept_counted_and_never_zero() {
    let mut e = engine(TIERED);
    let records = vec![
        record("s1", "6DAB500F-A4FD-49C4-956D-229BB9C8C793", "1", "2026-11-03T00:00:00Z", "vm"),
        record("s1", WIN, "4", "2026-11-03T00:00:00Z", "vm"),
        record("s1", "custom-meter", "2.5", "2026-11-03T01:00:00Z", "x"),
        record("s1", "6dab500fa4fd49c4956d229bb9c8c793", "1", "2026-11-03T01:00:00Z", "vm"),
    ];
    let out = unordered(&mut e, &records);
    assert!(matches!(out[0], Priced::Unpriced(UnpricedReason::MeterNotOnCard)));
    assert!(matches!(out[1], Priced::Row(_)));
    let s = e.unpriced();
    assert_eq!((s.records, s.quantity), (3, d("4.5")));
    let meters: Vec<(String, u64, Decimal)> = s.meters().map(|m| (m.meter_id.clone(), m.records, m.quantity)).collect();
    assert_eq!(
        meters,
        vec![("6DAB500F-A4FD-49C4-956D-229BB9C8C793".into(), 2, d("2")), ("custom-meter".into(), 1, d("2.5"))]
    );
    let text = s.describe();
    assert!(text.contains("3 records of 2 meters") && text.contains("VM size hours"), "{text}");
}

#[test]
fn unpriced_usage_does_not_consume_included_quantity() {
    let mut e = engine(
        "MeterId,UnitPrice,Currency,IncludedQuantity,EffectiveFrom\n\
         9CD92D4C-BAFD-4492-B278-BEDC2DE8232A,1,EUR,10,2026-11-15\n",
    );
    let out = unordered(
        &mut e,
        &[record("s1", WIN, "50", "2026-11-14T00:00:00Z", "vm"), record("s1", WIN, "12", "2026-11-16T00:00:00Z", "vm")],
    );
    assert!(matches!(out[0], Priced::Unpriced(UnpricedReason::NoEffectivePrice)));
    assert_eq!(row(out[1].clone()).billed_cost, d("2"), "the priced usage gets the month's 10 free");
}

#[test]
fn strict_mode_fails_before_writing_anything_and_names_the_meters() {
    let mut e = engine(TIERED);
    let records =
        [record("s1", WIN, "1", "2026-11-03T00:00:00Z", "vm"), record("s1", IP, "1", "2026-11-03T00:00:00Z", "ip")];
    let mut calls = 0;
    let err = price_unordered(
        &mut e,
        || Ok(records.iter().cloned().map(Ok)),
        true,
        |_, _| {
            calls += 1;
            Ok(())
        },
    )
    .unwrap_err();
    assert_eq!(err.reason(), Reason::UnpricedUsage);
    assert!(err.to_string().contains("Static IP Address Usage") && err.to_string().contains(IP), "{err}");
    assert_eq!(calls, 0);
}

#[test]
fn rows_carry_the_directory_the_catalog_and_focus_values() {
    let mut e = engine(SCOPED);
    let r = row(e.price(&record(
        "s-gold",
        WIN,
        "2",
        "2026-11-03T00:00:00Z",
        "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1",
    )));
    assert_eq!(r.billing_currency, "EUR");
    assert_eq!(
        (r.charge_category.as_str(), r.charge_class.as_deref(), r.charge_frequency.as_str()),
        ("Usage", None, "Usage-Based")
    );
    assert_eq!(
        (r.service_name.as_str(), r.service_category.as_str(), r.service_subcategory.as_str()),
        ("Virtual Machines", "Compute", "Virtual Machines")
    );
    assert_eq!(
        (r.sku_id.as_str(), r.sku_meter.as_str()),
        ("9cd92d4c-bafd-4492-b278-bedc2de8232a", "Windows VM Size Hours")
    );
    assert_eq!(r.consumed_unit, "Core-Hours");
    assert_eq!(
        (r.sub_account_id.as_str(), r.sub_account_name.as_str(), r.sub_account_type.as_str()),
        ("s-gold", "s-gold display", "Subscription")
    );
    assert_eq!((r.x_tenant_id.as_str(), r.x_owner.as_str(), r.x_offer_name.as_str()), ("t1", "admin@t1", "Gold"));
    assert_eq!(r.billing_account_id, "provider-1", "the directory's provider subscription");
    assert_eq!(
        (r.provider_name.as_str(), r.publisher_name.as_str(), r.invoice_issuer_name.as_str()),
        ("Azure Stack Hub", "Microsoft", "Azure Stack Hub")
    );
    assert_eq!(r.resource_type, "Microsoft.Compute/virtualMachines");
    assert_eq!(r.charge_description, "Windows VM Size Hours for vm1");
    assert_eq!(r.tags.get("costcenter"), Some("CC-1"));
    let details: serde_json::Value = serde_json::from_str(&r.sku_price_details).unwrap();
    assert_eq!(details["x_Scope"], "subscription:S-GOLD");
    assert_eq!(details["x_Tiers"], "0:1");
    // Options replace the defaults.
    let options = FocusOptions {
        billing_account_id: "acct".into(),
        billing_account_name: "Contoso Hosting".into(),
        provider_name: "Contoso Hosting".into(),
        invoice_issuer_name: "Contoso Hosting GmbH".into(),
        ..FocusOptions::default()
    };
    let mut o = CostEngine::new(card(SCOPED), Arc::new(Directory::empty()), options);
    let r = row(o.price(&record("x", WIN, "1", "2026-11-03T00:00:00Z", "vm")));
    assert_eq!((r.billing_account_id.as_str(), r.billing_account_name.as_str()), ("acct", "Contoso Hosting"));
    assert_eq!((r.provider_name.as_str(), r.invoice_issuer_name.as_str()), ("Contoso Hosting", "Contoso Hosting GmbH"));
    assert_eq!((r.sub_account_name.as_str(), r.x_tenant_id.as_str()), ("", ""), "unknown to the directory: null");
}

#[test]
fn costs_keep_every_digit() {
    let mut e = engine("MeterId,UnitPrice,Currency,BlockSize\n43DAF82B-4618-444A-B994-40C23F7CD438,0.0036,EUR,1024\n");
    let r = row(e.price(&record("s1", BLOB_TX, "0.0000063646", "2026-11-03T00:00:00Z", "sa")));
    assert_eq!(r.billed_cost, d("0.0000063646") * d("0.0036") / d("1024"));
    assert_eq!(r.billed_cost.to_string(), "0.000000000022375546875");
}
