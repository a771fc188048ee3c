//! The report and the statements in a real browser: headless Chromium driven by Playwright
//! (`tests/report/check.mjs`) checks that the pages load with no console error and no request,
//! that every chart has the marks its data implies, and that every figure equals the Node
//! script's own sum over the input CSV files. Screenshots go to `target/report-artifacts/<case>/`.

mod common;

use std::path::Path;

use azs_usage_report::{Browser, Period, ReportInput, ReportOptions, render, write_report, write_statements};
use chrono::{TimeZone, Utc};
use common::browser::{chromium, run_check};
use common::*;
use serde_json::json;

fn render_case(
    name: &str,
    rows: &[azs_usage_pricing::FocusRow],
    unpriced: &[azs_usage_core::UsageRecord],
    period: &str,
    pdf: bool,
) -> std::path::PathBuf {
    let dir = artifacts(name);
    let focus = dir.join("focus.csv");
    let unpriced_csv = dir.join("focus.csv.unpriced.csv");
    write_focus_csv(&focus, rows);
    write_usage_csv(&unpriced_csv, unpriced);
    let options = ReportOptions {
        period: Period::month(period).unwrap(),
        tag_key: Some("CostCenter".into()),
        statements: true,
        source: "focus.csv".into(),
        generated_at: Some(Utc.with_ymd_and_hms(2026, 12, 2, 8, 0, 0).unwrap()),
        ..ReportOptions::default()
    };
    let report =
        render(ReportInput::from_rows(rows.to_vec()).with_unpriced(unpriced.iter().cloned().map(Ok)), &options)
            .unwrap();
    let html = dir.join("report.html");
    write_report(&report, &html).unwrap();
    let browser = if pdf { Some(Browser::find(Some(&chromium())).unwrap().unwrap()) } else { None };
    let written = write_statements(&report, &dir.join("statements"), browser.as_ref()).unwrap();
    let Period::Range { start, end } = options.period else { unreachable!() };
    let case = json!({
        "name": name,
        "report": html,
        "statements": written.iter().map(|w| &w.html).collect::<Vec<_>>(),
        "pdfs": written.iter().filter_map(|w| w.pdf.as_ref()).collect::<Vec<_>>(),
        "focus": focus,
        "unpriced": unpriced_csv,
        "tagKey": "CostCenter",
        "culture": { "group": ",", "decimal": "." },
        "period": { "start": start.to_rfc3339(), "end": end.to_rfc3339() },
        "artifacts": dir,
        "browser": chromium(),
    });
    let path = dir.join("case.json");
    std::fs::write(&path, serde_json::to_string_pretty(&case).unwrap()).unwrap();
    path
}

fn pdfs_in(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "pdf"))
        .count()
}

#[test]
fn a_normal_month_in_chromium() {
    let (rows, unpriced) = normal_month();
    let case = render_case("normal", &rows, &unpriced, "2026-11", true);
    assert_eq!(pdfs_in(&case.parent().unwrap().join("statements")), 4, "one PDF per tenant");
    run_check(&case);
}

#[test]
fn an_empty_month_in_chromium() {
    let (rows, unpriced) = normal_month();
    run_check(&render_case("empty", &rows, &unpriced, "2027-02", false));
}

#[test]
fn a_month_of_unpriced_usage_only_in_chromium() {
    let (_, unpriced) = normal_month();
    run_check(&render_case("unpriced-only", &[], &unpriced, "2026-11", false));
}
