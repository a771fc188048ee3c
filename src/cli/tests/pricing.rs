//! `azs-usage price` and `azs-usage cost` end to end: the emulator's usage, pulled by the CLI,
//! priced under a rate card with tiers, included quantities, block sizes, an effective-date
//! change, an offer scope and a subscription scope, then checked against
//!
//! - an independent computation in Python (`tests/pricing/independent_costs.py`, exact
//!   `decimal` arithmetic written from the rules, not from this code): per-subscription,
//!   per-tenant and per-tag billed, list and contracted costs;
//! - the FOCUS 1.2 rule model of the FinOps validator, evaluated by DuckDB on the CSV and the
//!   Parquet file (`tests/focus/conformance.mjs`), the independent reader of both.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::{DateTime, Duration, DurationRound, Utc};
use predicates::prelude::*;
use rust_decimal::Decimal;
use serde_json::Value;

mod common;

use common::{Emulator, cli, emulator, iso};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut rdr = csv::Reader::from_path(path).expect("CSV file");
    let header = rdr.headers().expect("header").iter().map(String::from).collect();
    let rows = rdr.records().map(|r| r.expect("row").iter().map(String::from).collect()).collect();
    (header, rows)
}

fn column(header: &[String], name: &str) -> usize {
    header.iter().position(|h| h == name).unwrap_or_else(|| panic!("no column {name}"))
}

const WINDOWS: &str = "9CD92D4C-BAFD-4492-B278-BEDC2DE8232A";
const BASE: &str = "FAB6EB84-500B-4A09-A8CA-7358F8BBAEA5";
const EVENT_HUBS: &str = "CB6A35C5-FADE-406C-B14D-6DDB7C4CA3D5";

/// The test's rate card: every rule in play on the emulator's meters. Event Hubs stays unpriced.
fn rate_card(mid: DateTime<Utc>, scoped_subscription: &str) -> String {
    let mid = iso(mid);
    format!(
        "# test card (EUR)\n\
         MeterId,UnitPrice,Currency,BlockSize,IncludedQuantity,TierStart,EffectiveFrom,EffectiveTo,Scope,Unit\n\
         6DAB500F-A4FD-49C4-956D-229BB9C8C793,0,EUR,,,,,,,Hours\n\
         {WINDOWS},0.020,EUR,,,0,,,*,Core-Hours\n\
         {WINDOWS},0.016,EUR,,,40,,,*,Core-Hours\n\
         {WINDOWS},0.018,EUR,,3,0,,,offer:gold,Core-Hours\n\
         {WINDOWS},0.012,EUR,,3,25,,,offer:gold,Core-Hours\n\
         {BASE},0.010,EUR,,,,,{mid},*,\n\
         {BASE},0.0125,EUR,,,,{mid},,*,\n\
         {BASE},0.005,EUR,,,,,,subscription:{scoped_subscription},\n\
         F271A8A388C44D93956A063E1D2FA80B,0.004,EUR,,10,,,,,IP Address-Hours\n\
         9E2739BA86744796B465F64674B822BA,0.003,EUR,,5,,,,,\n\
         09F8879E-87E9-4305-A572-4B7BE209F857,0.03,EUR,1000,,,,,,1000 GB-Hours\n\
         B5C15376-6C94-4FDD-B655-1A69D138ACA3,0.05,EUR,1000,,,,,,1000 GB-Hours\n\
         B4438D5D-453B-4EE1-B42A-DC72E377F1E4,0.04,EUR,1000,,,,,,1000 GB-Hours\n\
         43DAF82B-4618-444A-B994-40C23F7CD438,0.004,EUR,10,,,,,,\n\
         9764F92C-E44A-498E-8DC1-AAD66587A810,0,EUR,,,,,,,GB\n\
         3023FEF4-ECA5-4D7B-87B3-CFBC061931E8,0.08,EUR,,,,,,,GB\n\
         d5f7731b-f639-404a-89d0-e46186e22c8d,4.5,EUR,,,,,,,Disk-Months\n\
         e5572fce-9f58-49d7-840c-b168c0f01fff,0.0062,EUR,,,,,,,Disk-Hours\n\
         e554b6bc-96cd-4938-a5b5-0da990278519,9,EUR,,,,,,,Disk-Months\n\
         7ba084ec-ef9c-4d64-a179-7732c6cb5e28,0.04,EUR,,,,,,,GB-Months\n\
         CBCFEF9A-B91F-4597-A4D3-01FE334BED82,0.0001,EUR,,,,,,,MB-Hours\n\
         E6D8CFCD-7734-495E-B1CC-5AB0B9C24BD3,0.00008,EUR,,,,,,,MB-Hours\n\
         EBF13B9F-B3EA-46FE-BF54-396E93D48AB4,0.03,EUR,,,,,,,10000 Requests\n\
         88039D51-A206-3A89-E9DE-C5117E2D10A6,0.1,EUR,,,,,,,Hours\n\
         73215A6C-FA54-4284-B9C1-7E8EC871CC5B,0,EUR,,,,,,,Hours\n"
    )
}

/// The directory file: the ready file's tenants, the even ones on offer "Gold", the others on
/// "silver" (the card says `offer:gold`: names match in any case).
fn directory(emu: &Emulator) -> String {
    let mut out = String::from(
        "SubscriptionId,DisplayName,Owner,TenantId,OfferId,OfferName,State,DelegatedProviderSubscriptionId,ProviderSubscriptionId\n",
    );
    for (i, t) in emu.info.tenants.iter().enumerate() {
        let offer = if i % 2 == 0 { "Gold" } else { "silver" };
        for (j, s) in t.subscription_ids.iter().enumerate() {
            out.push_str(&format!(
                "{s},{}-{j},admin@{}.onmicrosoft.com,{},/subscriptions/{p}/resourceGroups/plans/providers/Microsoft.Subscriptions.Admin/offers/{offer},{offer},Enabled,,{p}\n",
                t.name,
                t.name,
                t.tenant_id,
                p = emu.info.provider_subscription_id
            ));
        }
    }
    out
}

fn python(usage: &Path, card: &Path, directory: &Path, tag: &str) -> Value {
    // python3 on Linux and macOS; Windows installs often name it python.
    let exe = if Command::new("python3").arg("--version").output().is_ok_and(|o| o.status.success()) {
        "python3"
    } else {
        "python"
    };
    let out = Command::new(exe)
        .arg(repo().join("tests/pricing/independent_costs.py"))
        .args([usage, card, directory])
        .arg(tag)
        .output()
        .expect("python3 runs (./build.sh setup installs it)");
    assert!(out.status.success(), "independent computation failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("JSON from the independent computation")
}

/// `cost --group-by KEY --format json`: group -> (billed, list, contracted), groups with priced
/// records only, keys lower-cased for subscriptions.
fn cost(emu_args: &[&Path], card: &Path, dir: &Path, key: &str, out: &Path) -> (BTreeMap<String, [String; 3]>, u64) {
    cli()
        .args(["cost", "--rate-card"])
        .arg(card)
        .arg("--input")
        .args(emu_args)
        .arg("--directory")
        .arg(dir)
        .args(["--group-by", key, "--format", "json", "-o"])
        .arg(out)
        .assert()
        .success();
    let rows: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(out).unwrap()).expect("summary JSON");
    let mut groups = BTreeMap::new();
    let mut unpriced = 0;
    for r in rows {
        let records = r["Records"].as_u64().unwrap();
        let u = r["UnpricedRecords"].as_u64().unwrap();
        unpriced += u;
        if records == u {
            continue;
        }
        let mut label = r[key].as_str().unwrap().to_string();
        if key == "subscription" {
            label = label.to_lowercase();
        }
        let text = |c: &str| r[c].as_str().unwrap().to_string();
        groups.insert(label, [text("BilledCost"), text("ListCost"), text("ContractedCost")]);
    }
    (groups, unpriced)
}

fn expected(python: &Value, dim: &str) -> BTreeMap<String, [String; 3]> {
    let map = |kind: &str| python[kind][dim].as_object().unwrap().clone();
    let (billed, list, contracted) = (map("billed"), map("list"), map("contracted"));
    billed
        .iter()
        .map(|(k, v)| {
            let s = |m: &serde_json::Map<String, Value>| m[k].as_str().unwrap().to_string();
            (k.clone(), [v.as_str().unwrap().to_string(), s(&list), s(&contracted)])
        })
        .collect()
}

fn node_conformance(files: &[&Path]) -> Value {
    let (ok, report) = run_conformance(files);
    assert!(ok, "FOCUS rules failed:\n{}", serde_json::to_string_pretty(&report["files"]).unwrap());
    report
}

/// Runs the rule evaluator; (all files pass, its report).
fn run_conformance(files: &[&Path]) -> (bool, Value) {
    let dir = repo().join("tests/focus");
    if !dir.join("node_modules/@duckdb/node-api").exists() {
        let ci = Command::new(if cfg!(windows) { "npm.cmd" } else { "npm" })
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&dir)
            .output()
            .expect("npm runs");
        assert!(ci.status.success(), "npm ci in tests/focus failed: {}", String::from_utf8_lossy(&ci.stderr));
    }
    let out = Command::new("node").arg(dir.join("conformance.mjs")).args(files).output().expect("node runs");
    let report: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("conformance output ({e}): {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.success(), report)
}

#[test]
fn priced_costs_equal_an_independent_computation_and_the_files_pass_focus_rules() {
    let emu = emulator(&[]);
    let work = tempfile::tempdir().expect("dir");
    let dir = work.path();
    let end = Utc::now().duration_trunc(Duration::hours(1)).unwrap();
    let usage = dir.join("usage.csv");
    cli()
        .args(["subscriber-usage", "--granularity", "hourly", "--concurrency", "1"])
        .args(["--start", &iso(end - Duration::days(4)), "--end", &iso(end), "--emulator"])
        .arg(&emu.ready)
        .arg("-o")
        .arg(&usage)
        .assert()
        .success();
    let (uh, urows) = read_csv(&usage);
    assert!(urows.len() > 1000, "usage to price");

    // The effective-date change falls in the middle of the data; the subscription scope goes to
    // the subscription with the most Base VM records.
    let start_col = column(&uh, "UsageStartTime");
    let mut starts: Vec<&str> = urows.iter().map(|r| r[start_col].as_str()).collect();
    starts.sort();
    let mid: DateTime<Utc> = starts[starts.len() / 2].parse().unwrap();
    let mut base_counts: BTreeMap<&str, usize> = BTreeMap::new();
    for r in &urows {
        if r[column(&uh, "MeterId")].eq_ignore_ascii_case(BASE) {
            *base_counts.entry(r[0].as_str()).or_default() += 1;
        }
    }
    let scoped = base_counts.iter().max_by_key(|(_, n)| **n).map(|(s, _)| s.to_string()).expect("Base VM usage");
    let card = dir.join("card.csv");
    std::fs::write(&card, rate_card(mid, &scoped)).unwrap();
    let directory_file = dir.join("directory.csv");
    std::fs::write(&directory_file, directory(&emu)).unwrap();

    // FOCUS CSV and Parquet.
    let focus_csv = dir.join("focus.csv");
    let priced = cli()
        .args(["price", "--rate-card"])
        .arg(&card)
        .arg("--input")
        .arg(&usage)
        .arg("--directory")
        .arg(&directory_file)
        .arg("-o")
        .arg(&focus_csv)
        .assert()
        .success()
        .stderr(predicate::str::contains("FOCUS 1.2 CSV"))
        .stderr(predicate::str::contains("1 Core").and(predicate::str::contains(EVENT_HUBS)));
    let stderr = String::from_utf8_lossy(&priced.get_output().stderr).to_string();
    assert!(!stderr.contains("billed twice"), "VM size hours at 0 is no double billing: {stderr}");
    let focus_parquet = dir.join("focus.parquet");
    cli()
        .args(["price", "--rate-card"])
        .arg(&card)
        .arg("--input")
        .arg(&usage)
        .arg("--directory")
        .arg(&directory_file)
        .args(["--provider-name", "Contoso Hosting", "-o"])
        .arg(&focus_parquet)
        .assert()
        .success()
        .stderr(predicate::str::contains("FOCUS 1.2 Parquet"));

    let expect = python(&usage, &card, &directory_file, "costcenter");
    let priced_count = expect["priced"].as_u64().unwrap();
    let unpriced_count = expect["unpriced"].as_u64().unwrap();
    assert!(unpriced_count > 0, "Event Hubs is unpriced");

    // The FOCUS CSV: one row per priced record, the billed total exact.
    let (fh, frows) = read_csv(&focus_csv);
    assert_eq!(fh, azs_usage_pricing::FOCUS_COLUMNS.to_vec());
    assert_eq!(frows.len() as u64, priced_count);
    let billed_col = column(&fh, "BilledCost");
    let total: Decimal = frows.iter().map(|r| r[billed_col].parse::<Decimal>().unwrap()).sum();
    assert_eq!(total.normalize().to_string(), expect["billed_total"].as_str().unwrap());
    // The unpriced side file: the record schema, every unpriced record, nothing lost.
    let side = dir.join("focus.csv.unpriced.csv");
    let (sh, srows) = read_csv(&side);
    assert_eq!(sh, azs_usage_core::FIELD_NAMES.to_vec());
    assert_eq!(srows.len() as u64, unpriced_count);
    assert_eq!(frows.len() + srows.len(), urows.len(), "every record priced or set aside");
    assert!(srows.iter().all(|r| r[1].eq_ignore_ascii_case(EVENT_HUBS)));

    // The Parquet file read back (18 decimal places: within rows x 1e-18 of the exact total).
    let back: Vec<azs_usage_pricing::FocusRow> =
        azs_usage_pricing::read_focus(&focus_parquet).unwrap().collect::<Result<_, _>>().unwrap();
    assert_eq!(back.len() as u64, priced_count);
    assert!(back.iter().all(|r| r.provider_name == "Contoso Hosting"));
    let ptotal: Decimal = back.iter().map(|r| r.billed_cost).sum();
    let diff = (ptotal - total).abs();
    assert!(diff <= Decimal::new(back.len() as i64, 18), "Parquet total {ptotal} vs {total}");

    // Costs per subscription, tenant and tag equal the independent computation, digit for digit.
    for (key, dim) in [("subscription", "subscription"), ("tenant", "tenant"), ("tag:costcenter", "tag")] {
        let out = dir.join(format!("cost-{dim}.json"));
        let (got, unpriced) = cost(&[&usage], &card, &directory_file, key, &out);
        assert_eq!(got, expected(&expect, dim), "costs by {key}");
        assert_eq!(unpriced, unpriced_count, "unpriced records by {key}");
        assert!(got.len() > 1, "several {key} groups");
    }

    // The files pass the FOCUS rules, read by DuckDB.
    let report = node_conformance(&[&focus_csv, &focus_parquet]);
    for f in report["files"].as_array().unwrap() {
        assert_eq!(f["rows"].as_u64(), Some(priced_count), "{}", f["file"]);
        assert!(f["evaluated"].as_u64().unwrap() > 100, "rules evaluated: {}", f["evaluated"]);
        assert_eq!(f["must"]["fail"].as_u64(), Some(0));
    }
    let parquet = &report["files"][1];
    assert!(parquet["types"]["BilledCost"].as_str().unwrap().starts_with("DECIMAL(38,18)"), "{}", parquet["types"]);
    assert!(parquet["types"]["ChargePeriodStart"].as_str().unwrap().starts_with("TIMESTAMP WITH TIME ZONE"));
    // DuckDB's sum of the CSV agrees with the exact total (to its 12 decimal places).
    let duck: Decimal = report["files"][0]["totals"]["BilledCost"].as_str().unwrap().parse().unwrap();
    assert!((duck - total).abs() < Decimal::new(1, 9), "DuckDB {duck} vs {total}");

    // The evaluator is not a rubber stamp: a copy with a bad currency, a list cost that is not
    // unit price x quantity and an unknown charge category fails those rules.
    let broken = dir.join("broken.csv");
    {
        let mut w = csv::Writer::from_path(&broken).unwrap();
        w.write_record(&fh).unwrap();
        for (i, r) in frows.iter().enumerate() {
            let mut r = r.clone();
            match i {
                0 => r[column(&fh, "BillingCurrency")] = "EURO".into(),
                1 => r[column(&fh, "ListCost")] = "12345.5".into(),
                2 => r[column(&fh, "ChargeCategory")] = "Usages".into(),
                _ => {}
            }
            w.write_record(&r).unwrap();
        }
        w.flush().unwrap();
    }
    let (ok, bad) = run_conformance(&[&broken]);
    assert!(!ok, "the broken copy must fail");
    let failed: Vec<String> = bad["files"][0]["failures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .collect();
    for column in ["BillingCurrency", "ListCost", "ChargeCategory"] {
        assert!(failed.iter().any(|r| r.contains(column)), "a {column} rule fails: {failed:?}");
    }

    // Strict mode: an error naming the meter, exit 6 (UnpricedUsage), nothing written.
    let strict_out = dir.join("strict.csv");
    cli()
        .args(["price", "--strict", "--rate-card"])
        .arg(&card)
        .arg("--input")
        .arg(&usage)
        .arg("-o")
        .arg(&strict_out)
        .assert()
        .code(6)
        .stderr(predicate::str::contains("strict mode").and(predicate::str::contains(EVENT_HUBS)));
    assert!(!strict_out.exists() && !dir.join("strict.csv.unpriced.csv").exists());
}

#[test]
fn a_pull_can_be_priced_directly() {
    let emu = emulator(&[]);
    let work = tempfile::tempdir().expect("dir");
    let card = work.path().join("card.csv");
    std::fs::write(&card, rate_card(Utc::now(), "none")).unwrap();
    let out = work.path().join("pulled.parquet");
    cli()
        .args(["price", "--granularity", "daily", "--rate-card"])
        .arg(&card)
        .arg("--emulator")
        .arg(&emu.ready)
        .arg("-o")
        .arg(&out)
        .assert()
        .success()
        .stderr(predicate::str::contains("pulled").and(predicate::str::contains("FOCUS 1.2 Parquet")));
    let rows = azs_usage_pricing::read_focus(&out).unwrap().count();
    assert!(rows > 0);
    let leftovers: Vec<_> = std::fs::read_dir(work.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.contains("azs-usage-pull") || n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "the spooled pull is removed: {leftovers:?}");
}

#[test]
fn bad_rate_cards_exit_2_listing_every_problem_and_write_nothing() {
    let work = tempfile::tempdir().expect("dir");
    let usage = work.path().join("usage.csv");
    std::fs::write(
        &usage,
        "SubscriptionId,MeterId,Quantity,UsageStartTime,UsageEndTime\ns,m,1,2026-11-01,2026-11-02\n",
    )
    .unwrap();
    let card = work.path().join("card.csv");
    std::fs::write(&card, "MeterId,UnitPrice,Currency\nm,-1,EUR\nm2,1,USD\nm3,x,EUR\n").unwrap();
    let out = work.path().join("focus.csv");
    cli()
        .args(["price", "--rate-card"])
        .arg(&card)
        .arg("--input")
        .arg(&usage)
        .arg("-o")
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("3 problems"))
        .stderr(predicate::str::contains("line 2, column UnitPrice"))
        .stderr(predicate::str::contains("line 3, column Currency"))
        .stderr(predicate::str::contains("line 4, column UnitPrice"));
    assert!(!out.exists());

    // The double-billing warning.
    std::fs::write(
        &card,
        format!("MeterId,UnitPrice,Currency\n6DAB500F-A4FD-49C4-956D-229BB9C8C793,0.05,EUR\n{BASE},0.01,EUR\n"),
    )
    .unwrap();
    cli()
        .args(["cost", "--group-by", "meter", "--rate-card"])
        .arg(&card)
        .arg("--input")
        .arg(&usage)
        .assert()
        .success()
        .stderr(predicate::str::contains("billed twice"));

    // A bad usage file names its line and column; a bad directory file too.
    std::fs::write(&usage, "SubscriptionId,MeterId,Quantity,UsageStartTime,UsageEndTime\ns,m,1,2026-11-01,nope\n")
        .unwrap();
    cli()
        .args(["price", "--rate-card"])
        .arg(&card)
        .arg("--input")
        .arg(&usage)
        .arg("-o")
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("line 2, column UsageEndTime"));
    assert!(!out.exists());
    let dir_file = work.path().join("dir.csv");
    std::fs::write(&dir_file, "Name\nx\n").unwrap();
    cli()
        .args(["cost", "--group-by", "tenant", "--rate-card"])
        .arg(&card)
        .arg("--input")
        .arg(&usage)
        .arg("--directory")
        .arg(&dir_file)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("SubscriptionId"));
    // Neither input nor pull; both.
    cli()
        .args(["cost", "--group-by", "tenant", "--rate-card"])
        .arg(&card)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--input"));
    cli()
        .args(["cost", "--group-by", "owner", "--rate-card"])
        .arg(&card)
        .arg("--input")
        .arg(&usage)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("tag:KEY"));
}

#[test]
fn focus_to_standard_output_needs_a_named_side_file_for_unpriced_usage() {
    let work = tempfile::tempdir().expect("dir");
    let usage = work.path().join("usage.csv");
    std::fs::write(
        &usage,
        format!(
            "SubscriptionId,MeterId,Quantity,UsageStartTime,UsageEndTime\ns,{BASE},2,2026-11-01T00:00:00Z,2026-11-01T01:00:00Z\ns,{EVENT_HUBS},1,2026-11-01T00:00:00Z,2026-11-01T01:00:00Z\n"
        ),
    )
    .unwrap();
    let card = work.path().join("card.csv");
    std::fs::write(&card, format!("MeterId,UnitPrice,Currency\n{BASE},0.5,EUR\n")).unwrap();
    cli()
        .args(["price", "--format", "focus-csv", "-o", "-", "--rate-card"])
        .arg(&card)
        .arg("--input")
        .arg(&usage)
        .assert()
        .code(6)
        .stdout("")
        .stderr(predicate::str::contains("--unpriced-output").and(predicate::str::contains(EVENT_HUBS)));
    let side = work.path().join("unpriced.csv");
    let ok = cli()
        .args(["price", "--format", "focus-csv", "-o", "-", "--rate-card"])
        .arg(&card)
        .arg("--input")
        .arg(&usage)
        .arg("--unpriced-output")
        .arg(&side)
        .assert()
        .success();
    let out = String::from_utf8(ok.get_output().stdout.clone()).unwrap();
    assert!(out.starts_with("BilledCost,") && out.lines().count() == 2, "{out}");
    assert!(out.lines().nth(1).unwrap().starts_with("1,"), "2 x 0.5");
    assert_eq!(read_csv(&side).1.len(), 1);
}
