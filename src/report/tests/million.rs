//! One bounded test of the large case: a million usage records (990,000 cost rows, 10,000
//! unpriced) make a report under 5 MB whose figures equal the generator's own tally, checked in
//! headless Chromium like the other cases. The 10-second goal is measured in release mode by the
//! benchmark (`scripts/bench.sh`, step f), not here.

mod common;

use std::time::Instant;

use azs_usage_report::{Period, ReportBuilder, ReportOptions, write_report, write_statements};
use chrono::{TimeZone, Utc};
use common::artifacts;
use common::browser::{chromium, run_check};
use common::million::{Million, PRICED, UNPRICED};
use rust_decimal::Decimal;
use serde_json::json;

#[test]
fn a_million_records_make_a_small_report_with_exact_figures() {
    let mut million = Million::new();
    let options = ReportOptions {
        period: Period::month("2026-11").unwrap(),
        tag_key: Some("CostCenter".into()),
        statements: true,
        source: "1,000,000 generated records".into(),
        generated_at: Some(Utc.with_ymd_and_hms(2026, 12, 2, 8, 0, 0).unwrap()),
        ..ReportOptions::default()
    };
    let started = Instant::now();
    let mut builder = ReportBuilder::new(options);
    let mut failure = None;
    million.each_row(|row| {
        if let Err(e) = builder.add_row(row) {
            failure.get_or_insert(e);
        }
    });
    assert!(failure.is_none(), "{failure:?}");
    million.each_unpriced(|record| builder.add_unpriced(record));
    let report = builder.finish().unwrap();
    eprintln!(
        "generated and rendered 1,000,000 records in {:.1?} (debug build; see the benchmark for release)",
        started.elapsed()
    );

    let facts = million.facts();
    assert_eq!(report.summary.rows as usize, PRICED);
    assert_eq!(report.summary.unpriced_records as usize, UNPRICED);
    assert_eq!(report.summary.tenants, 40);
    assert_eq!(report.summary.billed, facts["billed"].as_str().unwrap().parse::<Decimal>().unwrap());
    assert_eq!(report.statements.len(), 40);
    assert_eq!(report.statements.iter().map(|s| s.billed).sum::<Decimal>(), report.summary.billed);
    assert!(report.html.len() < 5_000_000, "report is {} bytes", report.html.len());
    eprintln!("report: {} bytes", report.html.len());

    let dir = artifacts("million");
    let html = dir.join("report.html");
    write_report(&report, &html).unwrap();
    let written = write_statements(&report, &dir.join("statements"), None).unwrap();
    let case = json!({
        "name": "million",
        "report": html,
        "statements": written.iter().map(|w| &w.html).collect::<Vec<_>>(),
        "expected": facts,
        "tagKey": "CostCenter",
        "culture": { "group": ",", "decimal": "." },
        "period": { "start": "2026-11-01T00:00:00Z", "end": "2026-12-01T00:00:00Z" },
        "maxBytes": 5_000_000,
        "browserStatements": 4,
        "artifacts": dir,
        "browser": chromium(),
    });
    let path = dir.join("case.json");
    std::fs::write(&path, serde_json::to_string(&case).unwrap()).unwrap();
    run_check(&path);
}
