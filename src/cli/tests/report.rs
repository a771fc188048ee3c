//! `azs-usage report` end to end on the emulator's data: a month of usage pulled with
//! `subscriber-usage`, priced into FOCUS (Parquet, with an unpriced side file) by the pricing
//! crate from a rate card that leaves some meters unpriced, then `report --input ... --statements`
//! checked in headless Chromium against the Node script's own sums over the FOCUS rows. Also the
//! command's bad input: every case a clear error, exit 2, nothing written.

#[allow(dead_code)]
mod common;

#[path = "../../report/tests/common/browser.rs"]
mod browser;

use std::path::Path;
use std::process::{Command as StdCommand, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use azs_usage_core::TenantSubscription;
use azs_usage_emulator::ReadyInfo;
use azs_usage_pricing::{CostEngine, Directory, FocusFormat, FocusOptions, RateCard, RateCardOptions, price_to_focus};
use common::{BIN, cli};
use serde_json::json;

/// The emulator with a month of data (killed when dropped).
struct Month {
    child: std::process::Child,
    ready: std::path::PathBuf,
    info: ReadyInfo,
}

impl Drop for Month {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if !std::thread::panicking() {
            common::assert_dev_null_intact();
        }
    }
}

fn month_emulator(dir: &Path) -> Month {
    let ready = dir.join("ready.json");
    let child = StdCommand::new(BIN)
        .args(["emulator", "--memory", "--port", "0", "--days", "30", "--records", "12000", "--seed", "7"])
        .arg("--ready-file")
        .arg(&ready)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("emulator starts");
    let deadline = Instant::now() + Duration::from_secs(120);
    while !ready.exists() {
        assert!(Instant::now() < deadline, "emulator did not write its ready file");
        std::thread::sleep(Duration::from_millis(50));
    }
    let info: ReadyInfo = serde_json::from_str(&std::fs::read_to_string(&ready).unwrap()).unwrap();
    Month { child, ready, info }
}

/// Prices for most of the emulator's meters (USD). `VM size hours` stays unpriced (it counts the
/// same hours as the base and Windows meters) and so does Key Vault, so the report has unpriced
/// usage to show. App Service has an included quantity and tiers, SQL a block size, Base VM an
/// offer price below list, so statements show all of them.
const RATE_CARD: &str = "\
MeterId,UnitPrice,Currency,BlockSize,IncludedQuantity,TierStart,Scope,MeterName
FAB6EB84-500B-4A09-A8CA-7358F8BBAEA5,0.0081,USD,1,0,0,*,Base VM Size Hours
FAB6EB84-500B-4A09-A8CA-7358F8BBAEA5,0.0072,USD,1,0,0,offer:gold,Base VM Size Hours
9CD92D4C-BAFD-4492-B278-BEDC2DE8232A,0.046,USD,1,0,0,*,Windows VM Size Hours
09F8879E-87E9-4305-A572-4B7BE209F857,0.0000326,USD,1,0,0,*,BlockBlobCapacity
B5C15376-6C94-4FDD-B655-1A69D138ACA3,0.0000326,USD,1,0,0,*,PageBlobCapacity
B4438D5D-453B-4EE1-B42A-DC72E377F1E4,0.0000326,USD,1,0,0,*,TableCapacity
B03C6AE7-B080-4BFA-84A3-22C800F315C6,0.0000326,USD,1,0,0,*,QueueCapacity
43DAF82B-4618-444A-B994-40C23F7CD438,0.0036,USD,1,0,0,*,BlobTransactions
F271A8A388C44D93956A063E1D2FA80B,0.005,USD,1,0,0,*,Static IP Address Usage
9E2739BA86744796B465F64674B822BA,0.004,USD,1,0,0,*,Dynamic IP Address Usage
CBCFEF9A-B91F-4597-A4D3-01FE334BED82,10.4,USD,1000000,0,0,*,DatabaseSizeHourSqlMeter
E6D8CFCD-7734-495E-B1CC-5AB0B9C24BD3,8.2,USD,1000000,0,0,*,DatabaseSizeHourMySqlMeter
190C935E-9ADA-48FF-9AB8-56EA1CF9ADAA,0.0231,USD,1,100,0,*,App Service
190C935E-9ADA-48FF-9AB8-56EA1CF9ADAA,0.0198,USD,1,100,500,*,App Service
88039D51-A206-3A89-E9DE-C5117E2D10A6,0.0312,USD,1,50,0,*,Small Standard App Service Hours
88039D51-A206-3A89-E9DE-C5117E2D10A6,0.0275,USD,1,50,400,*,Small Standard App Service Hours
73215A6C-FA54-4284-B9C1-7E8EC871CC5B,0.0104,USD,1,0,0,*,Web Process
E554B6BC-96CD-4938-A5B5-0DA990278519,19.71,USD,1,0,0,*,P10
7BA084EC-EF9C-4D64-A179-7732C6CB5E28,0.045,USD,1,0,0,*,ActualStandardDiskSize
9764F92C-E44A-498E-8DC1-AAD66587A810,0,USD,1,0,0,*,BlobDataTransIn
3023FEF4-ECA5-4D7B-87B3-CFBC061931E8,0.087,USD,1,0,0,*,BlobDataTransOut
";

#[test]
fn a_month_of_the_emulator_priced_and_reported_in_chromium() {
    let dir = common_artifacts("emulator");
    let emu = month_emulator(&dir);
    let usage = dir.join("usage.csv");
    cli()
        .args(["subscriber-usage", "--emulator"])
        .arg(&emu.ready)
        .args(["--granularity", "Hourly", "--no-progress", "-o"])
        .arg(&usage)
        .assert()
        .success();

    // The directory from the ready file: each tenant's subscriptions, its owner and an offer.
    let entries: Vec<TenantSubscription> = emu
        .info
        .tenants
        .iter()
        .enumerate()
        .flat_map(|(i, t)| {
            t.subscription_ids.iter().enumerate().map(move |(k, sub)| TenantSubscription {
                subscription_id: sub.clone(),
                display_name: format!("{}-{}", t.name, ["prod", "dev", "test"][k % 3]),
                owner: format!("admin@{}.onmicrosoft.com", t.name),
                tenant_id: t.tenant_id.clone(),
                offer_name: if i % 2 == 0 { "gold".into() } else { "silver".into() },
                state: "Enabled".into(),
                ..TenantSubscription::default()
            })
        })
        .collect();
    let card_file = dir.join("rates.csv");
    std::fs::write(&card_file, RATE_CARD).unwrap();
    let (card, _) = RateCard::load(&card_file, &RateCardOptions::default()).unwrap();
    let options = FocusOptions { invoice_issuer_name: "Northwest Cloud Services".into(), ..FocusOptions::default() };
    let mut engine = CostEngine::new(Arc::new(card), Arc::new(Directory::from_entries(entries)), options);
    let focus = dir.join("focus.parquet");
    price_to_focus(&mut engine, std::slice::from_ref(&usage), &focus, FocusFormat::Parquet, false, None).unwrap();
    // The browser check sums a CSV of the same rows (the reader is the pricing crate's, not the report's).
    let focus_csv = dir.join("focus.csv");
    let mut writer = azs_usage_pricing::FocusWriter::create(&focus_csv, FocusFormat::Csv).unwrap();
    for row in azs_usage_pricing::read_focus(&focus).unwrap() {
        writer.write(&row.unwrap()).unwrap();
    }
    writer.finish_file().unwrap();
    let unpriced = azs_usage_pricing::unpriced_path(&focus);
    assert!(unpriced.is_file(), "the rate card leaves meters unpriced");

    let report = dir.join("report.html");
    let statements = dir.join("statements");
    let out = cli()
        .args(["report", "--input"])
        .arg(&focus)
        .args(["--tag", "ENV", "--culture", "de-DE", "--statements"])
        .arg(&statements)
        .arg("--browser")
        .arg(browser::chromium())
        .arg("-o")
        .arg(&report)
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(stderr.contains("cost rows") && stderr.contains("tenants") && stderr.contains("PDF"), "{stderr}");

    let mut html: Vec<_> = std::fs::read_dir(&statements)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "html"))
        .collect();
    html.sort();
    let pdfs: Vec<_> = html.iter().map(|p| p.with_extension("pdf")).collect();
    assert!(!html.is_empty());
    let case = json!({
        "name": "emulator",
        "report": report,
        "statements": html,
        "pdfs": pdfs,
        "focus": focus_csv,
        "unpriced": unpriced,
        "tagKey": "ENV",
        "culture": { "group": ".", "decimal": "," },
        "period": null,
        "artifacts": dir,
        "browser": browser::chromium(),
    });
    let path = dir.join("case.json");
    std::fs::write(&path, serde_json::to_string_pretty(&case).unwrap()).unwrap();
    browser::run_check(&path);
}

/// A folder under the target directory, kept as a CI artifact (screenshots).
fn common_artifacts(case: &str) -> std::path::PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    let dir = target.join("report-artifacts").join(case);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn bad_report_input_is_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let missing = d.join("nope.csv");
    let garbage = d.join("garbage.csv");
    std::fs::write(&garbage, "not,a,focus,file\n1,2,3,4\n").unwrap();
    let out = d.join("report.html");
    let cases: Vec<(Vec<std::ffi::OsString>, &str)> = vec![
        (vec!["--input".into(), missing.clone().into()], "nope.csv"),
        (vec!["--input".into(), garbage.clone().into()], "garbage.csv"),
        (vec!["--input".into(), garbage.clone().into(), "--month".into(), "2026-13".into()], "YYYY-MM"),
        (vec!["--input".into(), garbage.clone().into(), "--culture".into(), "xx-YY".into()], "unknown culture"),
        (
            vec![
                "--input".into(),
                garbage.clone().into(),
                "--from".into(),
                "2026-11-02".into(),
                "--to".into(),
                "2026-11-01".into(),
            ],
            "empty",
        ),
        (
            vec![
                "--input".into(),
                garbage.clone().into(),
                "--statements".into(),
                d.join("s").into(),
                "--browser".into(),
                d.join("no-browser").into(),
            ],
            "--browser",
        ),
    ];
    for (args, needle) in cases {
        let assert = cli().arg("report").args(&args).arg("-o").arg(&out).assert().code(2);
        let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
        assert!(!out.exists(), "{args:?} wrote the report");
    }
    // A folder as the output, and a folder that does not exist.
    for target in [d.to_path_buf(), d.join("missing/report.html")] {
        let assert = cli().args(["report", "--input"]).arg(&garbage).arg("-o").arg(&target).assert().code(2);
        let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
        assert!(stderr.contains(&target.display().to_string()), "{stderr}");
    }
    assert!(std::fs::read_dir(d).unwrap().count() == 1, "only the garbage file is left");
}
