//! The report and the statements rendered from a realistic month: totals equal the rows' sums,
//! the pages are self-contained, the edge cases (empty, unpriced only, two currencies) hold.

mod common;

use azs_usage_report::{Culture, Period, Reason, ReportBuilder, ReportInput, ReportOptions, render};
use chrono::{Datelike, TimeZone, Utc};
use common::*;
use rust_decimal::Decimal;

fn options() -> ReportOptions {
    ReportOptions {
        period: Period::month("2026-11").unwrap(),
        tag_key: Some("CostCenter".into()),
        statements: true,
        generated_at: Some(Utc.with_ymd_and_hms(2026, 12, 2, 8, 0, 0).unwrap()),
        source: "focus.csv".into(),
        ..ReportOptions::default()
    }
}

fn in_november(rows: &[azs_usage_pricing::FocusRow]) -> Vec<&azs_usage_pricing::FocusRow> {
    rows.iter().filter(|r| r.charge_period_start.month() == 11 && r.charge_period_start.year() == 2026).collect()
}

/// Nothing in the page is fetched: no scripts, no external references.
fn assert_self_contained(html: &str) {
    assert!(!html.contains("<script"), "no scripts");
    assert!(!html.contains("<link"), "no linked styles");
    assert!(!html.contains("<img"), "no images");
    assert!(!html.contains("url("), "no CSS urls");
    assert!(!html.contains("@import"), "no CSS imports");
    let without_ns = html.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
    assert!(!without_ns.contains("http://") && !without_ns.contains("https://"), "no absolute URLs");
    assert!(!html.contains(" src="), "no src attributes");
}

#[test]
fn totals_equal_the_sum_of_the_rows_and_statements_add_up() {
    let (rows, unpriced) = normal_month();
    let kept = in_november(&rows);
    let report =
        render(ReportInput::from_rows(rows.clone()).with_unpriced(unpriced.clone().into_iter().map(Ok)), &options())
            .unwrap();
    let s = &report.summary;
    assert_eq!(s.rows as usize, kept.len());
    assert_eq!(s.rows_read as usize, rows.len());
    assert_eq!(s.billed, kept.iter().map(|r| r.billed_cost).sum::<Decimal>());
    assert_eq!(s.list, kept.iter().map(|r| r.list_cost).sum::<Decimal>());
    assert_eq!(s.contracted, kept.iter().map(|r| r.contracted_cost).sum::<Decimal>());
    assert_eq!(s.unpriced_records as usize, unpriced.len());
    assert_eq!(s.tenants, 4);
    assert_eq!(s.currency, "USD");
    assert_eq!(s.period, "2026-11");

    // One statement per tenant; their exact totals and their shown totals add up to the report's.
    assert_eq!(report.statements.len(), 4);
    assert_eq!(report.statements.iter().map(|st| st.billed).sum::<Decimal>(), s.billed);
    assert_eq!(
        report.statements.iter().map(|st| st.billed_shown).sum::<Decimal>(),
        s.billed.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
    );
    let contoso = report.statements.iter().find(|st| st.tenant == "contoso.onmicrosoft.com").unwrap();
    assert_eq!(contoso.file_stem, "statement-contoso.onmicrosoft.com");
    let contoso_sum: Decimal =
        kept.iter().filter(|r| r.x_owner.ends_with("@contoso.onmicrosoft.com")).map(|r| r.billed_cost).sum();
    assert_eq!(contoso.billed, contoso_sum);
    for needle in
        ["Northwest Cloud Services", "contoso-prod", "contoso-dev", "Base VM Size Hours", "Windows VM Size Hours"]
    {
        assert!(contoso.html.contains(needle), "statement shows {needle}");
    }
    let orphan = report.statements.iter().find(|st| st.tenant_key.starts_with("subscription:")).unwrap();
    assert_eq!(orphan.tenant, "subscription 44444444-dddd-4ddd-8ddd-000000000001");

    let html = &report.html;
    let dir = artifacts("content");
    std::fs::write(dir.join("report.html"), html).unwrap();
    std::fs::write(dir.join("statement.html"), &contoso.html).unwrap();
    assert_self_contained(html);
    for st in &report.statements {
        assert_self_contained(&st.html);
    }
    for needle in [
        "Billed cost by tenant (USD)",
        "Billed cost per day by service category (USD)",
        "Daily usage by meter category",
        "Cost by tag <code>CostCenter</code>",
        "(untagged)",
        "Top 20 resources by cost",
        "Key Vault transactions",               // unpriced meter
        "0BADC0DE-1111-4222-8333-444455556666", // unpriced and unknown to the catalog
        "A1B2C3D4-0000-4000-8000-00000000B4C7", // priced but unknown to the catalog
        "Büro-Ä1",                              // tag values shown as they are
    ] {
        assert!(html.contains(needle), "report shows {needle}");
    }
    // The costcenter tag (lower case) counts for CostCenter: contosodata is not untagged.
    assert!(html.contains("data-tag-value=\"CC-1002\""));
    // Each chart has its title, axes and table.
    for id in ["chart-tenants", "chart-daily", "chart-tags", "chart-usage-0"] {
        assert!(html.contains(&format!("<svg id=\"{id}\" role=\"img\"")), "{id}");
    }
    assert!(html.contains("\nDay (UTC)\n") && html.contains("\nTenant\n"));
    let headline_billed = format!("data-exact=\"{}\">USD\u{a0}", s.billed.normalize());
    assert!(html.contains(&headline_billed), "headline billed carries its exact value");
}

#[test]
fn an_empty_month_renders_with_zero_figures() {
    let (rows, unpriced) = normal_month();
    let options = ReportOptions { period: Period::month("2027-01").unwrap(), ..options() };
    let report = render(ReportInput::from_rows(rows).with_unpriced(unpriced.into_iter().map(Ok)), &options).unwrap();
    assert_eq!(report.summary.rows, 0);
    assert_eq!(report.summary.billed, Decimal::ZERO);
    assert!(report.statements.is_empty());
    assert!(report.html.contains("No cost rows in this period."));
    assert!(report.html.contains("No usage in this period."));
    assert!(report.html.contains("<svg id=\"chart-tenants\""), "charts still drawn, without marks");
    assert_self_contained(&report.html);
}

#[test]
fn a_month_of_unpriced_usage_only_says_so() {
    let (_, unpriced) = normal_month();
    let n = unpriced.len();
    let report =
        render(ReportInput::from_rows(Vec::new()).with_unpriced(unpriced.into_iter().map(Ok)), &options()).unwrap();
    assert_eq!(report.summary.rows, 0);
    assert_eq!(report.summary.unpriced_records as usize, n);
    assert!(report.html.contains(&format!("All {n} usage records of the period are unpriced")));
    assert!(report.html.contains("100.0\u{a0}%"), "unpriced share");
    assert!(report.html.contains("Key Vault (Request count in 10,000s)"), "unpriced usage is in the trend");
}

#[test]
fn two_currencies_are_refused_naming_the_row() {
    let (mut rows, _) = normal_month();
    rows[10].billing_currency = "EUR".into();
    let err = render(ReportInput::from_rows(rows), &options()).unwrap_err();
    assert_eq!(err.reason(), Reason::FocusFileInvalid);
    assert!(err.message().contains("cost row 11 is in EUR"), "{err}");
}

#[test]
fn culture_and_minor_units_shape_the_numbers() {
    let t = tenants();
    let r = &resources()[0];
    let mut big = row(&t, r, &BASE_VM, at(2, 0), 1, 1);
    big.billed_cost = dec("1234567.891");
    big.billing_currency = "EUR".into();
    let mut yen = big.clone();
    yen.billing_currency = "JPY".into();
    let de = ReportOptions { culture: Culture::find("de-DE").unwrap(), ..options() };
    let report = render(ReportInput::from_rows(vec![big]), &de).unwrap();
    assert!(report.html.contains("1.234.567,89\u{a0}EUR"), "de-DE amounts");
    let report = render(ReportInput::from_rows(vec![yen]), &options()).unwrap();
    assert!(report.html.contains("JPY\u{a0}1,234,568"), "JPY has no minor units");
}

#[test]
fn statements_show_included_quantity_and_tiers() {
    let t = tenants();
    let r = &resources()[5];
    let mut a = row(&t, r, &SQL_DB, at(3, 0), 1, 1);
    // As the pricing engine writes it (ratecard.rs details_json).
    a.sku_price_details = r#"{"x_Scope":"offer:silver","x_BlockSize":"1000","x_IncludedQuantity":"500","x_Tiers":"0:0.0104;100000:0.0090"}"#.into();
    let mut builder = ReportBuilder::new(options());
    builder.add_row(&a).unwrap();
    let report = builder.finish().unwrap();
    let html = &report.statements[0].html;
    assert!(html.contains("500 MB*hours included per month"), "{html}");
    assert!(html.contains("priced per 1,000 MB*hours"));
    assert!(html.contains("tiers from 0: 0.0104; from 100,000: 0.009"));
    assert!(html.contains("list price 0.0125"));
    assert!(html.contains("price for offer silver"));
}

#[test]
fn bad_output_paths_and_browsers_are_refused_clearly() {
    use azs_usage_report::{Browser, write_report, write_statements};
    let (rows, _) = normal_month();
    let report = render(ReportInput::from_rows(rows), &options()).unwrap();
    let dir = artifacts("bad-paths");
    let err = write_report(&report, &dir).unwrap_err();
    assert_eq!(err.reason(), Reason::OutputPathInvalid, "{err}");
    let err = write_report(&report, &dir.join("missing/report.html")).unwrap_err();
    assert_eq!(err.reason(), Reason::OutputPathInvalid, "{err}");
    assert!(err.message().contains("missing"), "{err}");
    let file = dir.join("a-file");
    std::fs::write(&file, "x").unwrap();
    let err = write_statements(&report, &file, None).unwrap_err();
    assert_eq!(err.reason(), Reason::OutputPathInvalid, "{err}");
    let err = write_statements(&report, &dir.join("missing/statements"), None).unwrap_err();
    assert_eq!(err.reason(), Reason::OutputPathInvalid, "{err}");
    let err = Browser::find(Some(&dir.join("no-such-browser"))).unwrap_err();
    assert_eq!(err.reason(), Reason::BrowserUnavailable, "{err}");
    assert!(err.message().contains("--browser"), "{err}");
    // A "browser" that is not one: printing fails with a clear error, and no PDF is left behind.
    let fake = dir.join("fake-browser");
    std::fs::write(&fake, "#!/bin/sh\necho 'not a browser' >&2\nexit 3\n").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
        let browser = Browser::find(Some(&fake)).unwrap().unwrap();
        let err = write_statements(&report, &dir.join("statements"), Some(&browser)).unwrap_err();
        assert_eq!(err.reason(), Reason::BrowserUnavailable, "{err}");
        assert!(err.message().contains("not a browser"), "{err}");
        let left: Vec<_> = std::fs::read_dir(dir.join("statements")).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert!(left.iter().all(|n| n.to_string_lossy().ends_with(".html")), "{left:?}");
    }
    // Nothing was written by the refused calls.
    assert!(!dir.join("missing").exists());
}
