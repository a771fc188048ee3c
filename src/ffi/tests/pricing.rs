//! The pricing exports through the C ABI: a rate card crosses with its rows and warnings; a pricing job fed in batches
//! prices exactly like the pricing crate's file job; bad input of every kind comes back as an error with its reason,
//! never as a panic.

use std::path::{Path, PathBuf};

use azs_usage_core::{FIELD_NAMES, UsageRecord};
use azs_usage_native::{
    ErrorReason, PathListDto, PriceRequestDto, PriceRowDto, PricingJob, PricingSetupDto, RecordBatchDto,
    SummaryRequestDto, TextRowDto, azs_rate_card_load,
};
use interoptopus::ffi;
use interoptopus::wire::Wire;

fn ok<T, E: std::fmt::Debug>(r: ffi::Result<T, E>) -> T {
    match r {
        ffi::Ok(t) => t,
        ffi::Err(e) => panic!("Err({e:?})"),
        ffi::Result::Panic => panic!("a panic crossed the ABI"),
        ffi::Result::Null => panic!("Null"),
    }
}

fn sample_card() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/samples/ratecard.csv")
}

const METER: &str = "FAB6EB84-500B-4A09-A8CA-7358F8BBAEA5"; // Base VM Size Hours: 0.010 EUR until December 2026

fn record(sub: &str, quantity: &str, hour: u32, uri: &str) -> Vec<String> {
    let mut cells = vec![String::new(); FIELD_NAMES.len()];
    let mut set = |name: &str, v: String| cells[FIELD_NAMES.iter().position(|f| *f == name).unwrap()] = v;
    set("SubscriptionId", sub.into());
    set("MeterId", METER.into());
    set("Quantity", quantity.into());
    set("UsageStartTime", format!("2026-11-01T{hour:02}:00:00Z"));
    set("UsageEndTime", format!("2026-11-01T{:02}:00:00Z", hour + 1));
    set("ResourceUri", uri.into());
    set("Tags", "CostCenter=CC-1".into());
    cells
}

fn setup(job: &PricingJob, card: &Path, spool: &Path) -> azs_usage_native::PricingStatus {
    ok(job.setup(Wire::from(PricingSetupDto {
        rate_card_path: card.display().to_string(),
        meter_map: String::new(),
        rows: Vec::new(),
        rate_card_source: String::new(),
        directory: String::new(),
        spool_folder: spool.display().to_string(),
    })))
    .unwire()
}

fn batch(records: Vec<Vec<String>>) -> Wire<RecordBatchDto> {
    Wire::from(RecordBatchDto { records: records.into_iter().map(|cells| TextRowDto { cells }).collect() })
}

#[test]
fn a_rate_card_crosses_with_rows_meters_and_warnings_and_its_problems_with_their_reason() {
    let out =
        ok(azs_rate_card_load(Wire::from(sample_card().display().to_string()), Wire::from(String::new()))).unwire();
    assert!(out.error.is_empty(), "{:?}", out.error);
    assert_eq!(out.currency, "EUR");
    assert!(
        out.rows.len() > 20 && out.meters.len() < out.rows.len(),
        "{} rows, {} meters",
        out.rows.len(),
        out.meters.len()
    );
    assert!(out.warnings.is_empty(), "the sample prices VM size hours at 0: {:?}", out.warnings);
    let tier = out.rows.iter().find(|r| r.tier_start == "2000" && r.scope == "*").expect("a tier row");
    assert_eq!(tier.unit_price, "0.016");

    let dir = tempfile::tempdir().unwrap();
    let twice = dir.path().join("twice.csv");
    std::fs::write(
        &twice,
        format!("MeterId,UnitPrice,Currency\n6DAB500F-A4FD-49C4-956D-229BB9C8C793,1,EUR\n{METER},1,EUR\n"),
    )
    .unwrap();
    let out = ok(azs_rate_card_load(Wire::from(twice.display().to_string()), Wire::from(String::new()))).unwire();
    assert!(out.error.is_empty(), "{:?}", out.error);
    assert!(
        out.warnings.iter().any(|w| w.code == "DoubleBilling" && w.message.contains("twice.csv")),
        "{:?}",
        out.warnings
    );
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "MeterId,UnitPrice,Currency\nm1,1.2.3,EUR\nm2,-1,EUR\n").unwrap();
    let out = ok(azs_rate_card_load(Wire::from(bad.display().to_string()), Wire::from(String::new()))).unwire();
    let e = &out.error[0];
    assert_eq!(e.reason, ErrorReason::RateCardInvalid);
    assert!(
        e.message.contains("line 2, column UnitPrice") && e.message.contains("line 3, column UnitPrice"),
        "{}",
        e.message
    );
    assert_eq!(e.causes.len(), 2, "each problem is a cause: {:?}", e.causes);

    let two = dir.path().join("two.csv");
    std::fs::write(&two, "MeterId,UnitPrice,Currency\nm1,1,EUR\nm2,1,USD\n").unwrap();
    let out = ok(azs_rate_card_load(Wire::from(two.display().to_string()), Wire::from(String::new()))).unwire();
    assert_eq!(out.error[0].reason, ErrorReason::RateCardConflict);

    let missing =
        ok(azs_rate_card_load(Wire::from("/no/such/card.csv".to_string()), Wire::from(String::new()))).unwire();
    assert_eq!(missing.error[0].reason, ErrorReason::RateCardInvalid);
    assert!(missing.error[0].message.contains("/no/such/card.csv"));
}

#[test]
fn batches_price_like_the_file_job_in_usage_order_and_rows_come_back_as_focus_csv_text() {
    let dir = tempfile::tempdir().unwrap();
    let job = ok(PricingJob::create());
    let status = setup(&job, &sample_card(), dir.path());
    assert!(status.error.is_empty(), "{:?}", status.error);
    assert_eq!(status.currency, "EUR");
    // Out of usage order across two batches: the engine orders them (start, then URI) before consuming tiers.
    let sub = "11111111-2222-3333-4444-555555555555";
    let first = ok(job.add_records(batch(vec![record(sub, "2", 5, "/b"), record(sub, "1.5", 3, "/a")]))).unwire();
    assert!(first.error.is_empty(), "{:?}", first.error);
    let second = ok(job.add_records(batch(vec![record(sub, "0.25", 4, "/c")]))).unwire();
    assert_eq!(second.records, 3);

    let priced =
        ok(job.price(Wire::from(PriceRequestDto { output: String::new(), unpriced_output: String::new(), strict: 0 })))
            .unwire();
    assert!(priced.error.is_empty(), "{:?}", priced.error);
    assert_eq!((priced.records, priced.priced, priced.unpriced), (3, 3, 0));
    assert_eq!(priced.billed_cost, "0.0375", "3.75 core-hours at 0.010 EUR");
    assert_eq!(priced.columns.len(), azs_usage_pricing::FOCUS_COLUMNS.len());
    let mut rows = Vec::new();
    loop {
        let page = ok(job.next_rows(2)).unwire();
        assert!(page.error.is_empty(), "{:?}", page.error);
        rows.extend(page.rows);
        if page.done == 1 {
            break;
        }
    }
    assert_eq!(rows.len(), 3);
    let col = |name: &str| priced.columns.iter().position(|c| c == name).unwrap();
    // Input order is kept; the cells are the FOCUS CSV's text.
    let billed: Vec<&str> = rows.iter().map(|r| r.cells[col("BilledCost")].as_str()).collect();
    assert_eq!(billed, ["0.02", "0.015", "0.0025"]);
    assert_eq!(rows[1].cells[col("ChargePeriodStart")], "2026-11-01T03:00:00Z");
    assert_eq!(rows[0].cells[col("Tags")], r#"{"CostCenter":"CC-1"}"#);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "the spool and the row file are removed");

    // The job has run: more records are refused, not lost silently.
    let late = ok(job.add_records(batch(vec![record(sub, "1", 6, "/d")]))).unwire();
    assert_eq!(late.error[0].reason, ErrorReason::InternalError);
}

#[test]
fn a_summary_and_a_parquet_file_from_a_job_unpriced_usage_is_reported_and_strict_refuses_it() {
    let dir = tempfile::tempdir().unwrap();
    let sub = "11111111-2222-3333-4444-555555555555";
    let mut unknown = record(sub, "7", 2, "/x");
    unknown[1] = "not-on-the-card".into();

    let job = ok(PricingJob::create());
    setup(&job, &sample_card(), dir.path());
    ok(job.add_records(batch(vec![record(sub, "2", 1, "/a"), unknown.clone()])));
    let summary = ok(job.summarize(Wire::from(SummaryRequestDto {
        group_by: vec!["tag:costcenter".into(), "meter".into()],
        period: "day".into(),
        strict: 0,
    })))
    .unwire();
    assert!(summary.error.is_empty(), "{:?}", summary.error);
    assert_eq!(summary.keys, ["tag:costcenter", "meter"]);
    assert_eq!(summary.rows.len(), 2);
    assert_eq!(summary.unpriced, 1);
    assert!(summary.unpriced_summary.contains("not-on-the-card"), "{}", summary.unpriced_summary);
    let priced = summary.rows.iter().find(|r| r.unpriced_records == 0).unwrap();
    assert_eq!(
        (priced.billed_cost.as_str(), priced.period.as_str(), priced.keys[0].as_str()),
        ("0.02", "2026-11-01", "CC-1")
    );

    let job = ok(PricingJob::create());
    setup(&job, &sample_card(), dir.path());
    ok(job.add_records(batch(vec![record(sub, "2", 1, "/a"), unknown.clone()])));
    let out = dir.path().join("focus.parquet");
    let priced = ok(job.price(Wire::from(PriceRequestDto {
        output: out.display().to_string(),
        unpriced_output: String::new(),
        strict: 0,
    })))
    .unwire();
    assert!(priced.error.is_empty(), "{:?}", priced.error);
    assert_eq!(priced.output, out.display().to_string());
    assert_eq!(priced.unpriced_file, format!("{}.unpriced.csv", out.display()));
    assert_eq!(priced.unpriced_meters[0].quantity, "7");
    let back: Vec<_> = azs_usage_pricing::read_focus(&out).unwrap().collect::<Result<_, _>>().unwrap();
    assert_eq!(back.len(), 1);
    let side: Vec<UsageRecord> =
        azs_usage_pricing::read_usage(Path::new(&priced.unpriced_file)).unwrap().collect::<Result<_, _>>().unwrap();
    assert_eq!(side.len(), 1);

    let job = ok(PricingJob::create());
    setup(&job, &sample_card(), dir.path());
    ok(job.add_records(batch(vec![unknown])));
    let strict_out = dir.path().join("strict.csv");
    let refused = ok(job.price(Wire::from(PriceRequestDto {
        output: strict_out.display().to_string(),
        unpriced_output: String::new(),
        strict: 1,
    })))
    .unwire();
    assert_eq!(refused.error[0].reason, ErrorReason::UnpricedUsage);
    assert!(!strict_out.exists());
}

#[test]
fn no_bad_input_panics_across_the_abi() {
    let dir = tempfile::tempdir().unwrap();
    // A job used before setup, and set up twice.
    let job = ok(PricingJob::create());
    assert_eq!(ok(job.add_records(batch(vec![vec![]]))).unwire().error[0].reason, ErrorReason::InternalError);
    assert_eq!(ok(job.next_rows(0)).unwire().done, 1);
    let mut priced =
        ok(job.price(Wire::from(PriceRequestDto { output: String::new(), unpriced_output: String::new(), strict: 0 })));
    assert_eq!(priced.unwire().error[0].reason, ErrorReason::InternalError);
    assert!(setup(&job, &sample_card(), dir.path()).error.is_empty());
    assert!(!setup(&job, &sample_card(), dir.path()).error.is_empty());

    // Records with too few cells, garbage, a bad quantity (named by record number and property).
    let out = ok(job.add_records(batch(vec![vec![]]))).unwire();
    assert_eq!(out.error[0].reason, ErrorReason::UsageFileInvalid);
    let mut bad = record("s", "lots", 1, "/a");
    let out = ok(job.add_records(batch(vec![record("s", "1", 1, "/a"), bad.clone()]))).unwire();
    assert_eq!(out.error[0].reason, ErrorReason::UsageFileInvalid);
    assert!(out.error[0].message.contains("record 2, property Quantity"), "{}", out.error[0].message);
    bad[6] = "\u{0}\u{ffff}".into();
    bad.extend(std::iter::repeat_n("x".to_string(), 100));
    assert!(!ok(job.add_records(batch(vec![bad]))).unwire().error.is_empty());

    // Files that do not exist, or are not usage.
    let files = |p: &str| Wire::from(PathListDto { paths: vec![p.to_string()] });
    assert_eq!(ok(job.add_files(files("/no/such/usage.csv"))).unwire().error[0].reason, ErrorReason::UsageFileInvalid);
    assert_eq!(ok(job.add_files(files(""))).unwire().error[0].reason, ErrorReason::UsageFileInvalid);

    // Bad groupings and periods.
    let summary = |group_by: Vec<String>, period: &str| {
        ok(job.summarize(Wire::from(SummaryRequestDto { group_by, period: period.into(), strict: 0 }))).unwire()
    };
    assert_eq!(summary(vec!["owner".into()], "").error[0].reason, ErrorReason::InvalidArgument);
    assert_eq!(summary(vec![], "").error[0].reason, ErrorReason::InvalidArgument);
    assert_eq!(summary(vec!["meter".into()], "week").error[0].reason, ErrorReason::InvalidArgument);

    // An output in a folder that does not exist.
    let out = ok(job.price(Wire::from(PriceRequestDto {
        output: dir.path().join("no/such/focus.csv").display().to_string(),
        unpriced_output: String::new(),
        strict: 0,
    })))
    .unwire();
    assert_eq!(out.error[0].reason, ErrorReason::OutputPathInvalid);

    // Rate card rows handed back that are not the core's text, and an empty card.
    let job = ok(PricingJob::create());
    let row = PriceRowDto {
        meter_id: "m".into(),
        unit_price: "one".into(),
        currency: "EUR".into(),
        block_size: "1".into(),
        included_quantity: "0".into(),
        tier_start: "0".into(),
        effective_from: "yesterday".into(),
        effective_to: String::new(),
        scope: "planet:earth".into(),
        meter_name: String::new(),
        unit: String::new(),
        description: String::new(),
        line: 3,
    };
    let status = ok(job.setup(Wire::from(PricingSetupDto {
        rate_card_path: String::new(),
        meter_map: String::new(),
        rows: vec![row],
        rate_card_source: "card.csv".into(),
        directory: "/no/such/directory.csv".into(),
        spool_folder: "/no/such/folder".into(),
    })))
    .unwire();
    assert_eq!(status.error[0].reason, ErrorReason::RateCardInvalid);
    assert!(status.error[0].message.contains("card.csv, line 3"), "{}", status.error[0].message);
    let empty = setup(&ok(PricingJob::create()), Path::new(""), dir.path());
    assert_eq!(empty.error[0].reason, ErrorReason::RateCardInvalid);

    // A spool folder that does not exist: the first batch says so.
    let job = ok(PricingJob::create());
    assert!(setup(&job, &sample_card(), Path::new("/no/such/folder")).error.is_empty());
    let out = ok(job.add_records(batch(vec![record("s", "1", 1, "/a")]))).unwire();
    assert_eq!(out.error[0].reason, ErrorReason::OutputPathInvalid);
    assert!(out.error[0].message.contains("/no/such/folder"), "{}", out.error[0].message);
}
