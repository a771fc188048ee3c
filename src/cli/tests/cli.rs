//! The `azs-usage` binary end to end: an emulator process on loopback, pulls into files, exit
//! codes, resumable failures and bad input.

use std::path::Path;

use chrono::{DateTime, DurationRound, Utc};
use predicates::prelude::*;
use rust_decimal::Decimal;

mod common;

use common::{Emulator, cli, emulator, iso};

/// Rows of a CSV file (header excluded) and its header.
fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut rdr = csv::Reader::from_path(path).expect("CSV file");
    let header = rdr.headers().expect("header").iter().map(String::from).collect();
    let rows = rdr.records().map(|r| r.expect("row").iter().map(String::from).collect()).collect();
    (header, rows)
}

/// The reported window of the tests' hourly pulls: fixed, so the store can be asked about the same one.
fn window() -> (DateTime<Utc>, DateTime<Utc>) {
    let end = Utc::now().duration_trunc(chrono::Duration::hours(1)).expect("hour");
    (end - chrono::Duration::days(4), end)
}

fn hourly_pull(emu: &Emulator, out: &Path) -> assert_cmd::assert::Assert {
    let (start, end) = window();
    cli()
        .args([
            "subscriber-usage",
            "--granularity",
            "hourly",
            "--concurrency",
            "1",
            "--start",
            &iso(start),
            "--end",
            &iso(end),
            "--emulator",
        ])
        .arg(&emu.ready)
        .arg("--output")
        .arg(out)
        .assert()
}

#[test]
fn provider_pull_writes_the_schema_and_matches_the_store() {
    let emu = emulator(&[]);
    let dir = tempfile::tempdir().expect("dir");
    let out = dir.path().join("usage.csv");
    hourly_pull(&emu, &out).success().stderr(predicate::str::contains("records"));
    let (header, rows) = read_csv(&out);
    assert_eq!(header, azs_usage_core::FIELD_NAMES.to_vec(), "the schema's columns, in order");
    let (start, end) = window();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let (count, _) = runtime.block_on(azs_usage_tests::store_totals(&emu.info, start, end));
    assert!(count > 1000, "data in the window");
    assert_eq!(rows.len() as u64, count, "every record of the window in the store, once");
    let total: Decimal = rows.iter().map(|r| r[5].parse::<Decimal>().expect("plain decimal quantity")).sum();
    assert!(total > Decimal::ZERO);
    assert!(rows.iter().all(|r| r[6].ends_with('Z') && r[7].ends_with('Z')), "instants in UTC with Z");

    // Concurrency changes nothing but speed.
    let out4 = dir.path().join("usage4.csv");
    cli()
        .args(["subscriber-usage", "--granularity", "Hourly", "--concurrency", "4", "--format", "csv"])
        .args(["--start", &iso(window().0), "--end", &iso(window().1), "--emulator"])
        .arg(&emu.ready)
        .arg("-o")
        .arg(&out4)
        .assert()
        .success();
    let (_, mut rows4) = read_csv(&out4);
    let mut rows1 = rows.clone();
    rows1.sort();
    rows4.sort();
    assert_eq!(rows1, rows4, "concurrent pull equals sequential");
}

#[test]
fn json_and_ndjson_carry_the_same_records_with_the_schema_names() {
    let emu = emulator(&[]);
    let json = cli()
        .args(["usage", "--as-tenant", "contoso", "--format", "json", "--emulator"])
        .arg(&emu.ready)
        .assert()
        .success();
    let value: serde_json::Value = serde_json::from_slice(&json.get_output().stdout).expect("valid JSON array");
    let records = value.as_array().expect("array");
    assert!(!records.is_empty());
    let keys: Vec<&String> = records[0].as_object().expect("object").keys().collect();
    assert_eq!(keys, azs_usage_core::FIELD_NAMES.to_vec().iter().collect::<Vec<_>>(), "JSON keys in schema order");
    let nd = cli()
        .args(["usage", "--as-tenant", "contoso", "--format", "ndjson", "--emulator"])
        .arg(&emu.ready)
        .assert()
        .success();
    let lines = String::from_utf8(nd.get_output().stdout.clone()).expect("utf-8");
    assert_eq!(lines.lines().count(), records.len());
}

#[test]
fn a_failure_mid_pull_keeps_a_partial_file_and_resumes_without_loss_or_repeat() {
    let emu = emulator(&["--faults", "503:every=4"]);
    let dir = tempfile::tempdir().expect("dir");
    let out = dir.path().join("usage.csv");
    let failed = cli()
        .args(["subscriber-usage", "--granularity", "hourly", "--max-retries", "0", "--concurrency", "1"])
        .args(["--start", &iso(window().0), "--end", &iso(window().1), "--emulator"])
        .arg(&emu.ready)
        .arg("-o")
        .arg(&out)
        .assert()
        .code(4)
        .stderr(predicate::str::contains("ServiceUnavailable"))
        .stderr(predicate::str::contains("--continuation-token"));
    assert!(!out.exists(), "the target is written only when complete");
    let stderr = String::from_utf8_lossy(&failed.get_output().stderr).to_string();
    let token = stderr
        .split("--continuation-token '")
        .nth(1)
        .and_then(|t| t.split('\'').next())
        .expect("token printed")
        .to_string();
    let partial = dir.path().join("usage.csv.partial");
    let (_, first) = read_csv(&partial);
    assert_eq!(first.len(), 300, "three whole pages before the 4th request failed");

    let rest_file = dir.path().join("rest.csv");
    cli()
        .args(["subscriber-usage", "--granularity", "hourly", "--max-retries", "3"])
        .args(["--start", &iso(window().0), "--end", &iso(window().1), "--emulator"])
        .arg(&emu.ready)
        .args(["--continuation-token", &token, "-o"])
        .arg(&rest_file)
        .assert()
        .success();
    let (_, rest) = read_csv(&rest_file);
    let full_file = dir.path().join("full.csv");
    hourly_pull(&emu, &full_file).success();
    let (_, full) = read_csv(&full_file);
    let mut joined: Vec<Vec<String>> = first.into_iter().chain(rest).collect();
    assert_eq!(joined.len(), full.len(), "nothing lost, nothing repeated");
    let mut full_sorted = full.clone();
    joined.sort();
    full_sorted.sort();
    assert_eq!(joined, full_sorted);
}

#[test]
fn bad_input_exits_2_with_a_message_naming_the_problem_and_writes_nothing() {
    let emu = emulator(&[]);
    let dir = tempfile::tempdir().expect("dir");
    let out = dir.path().join("never.csv");
    let cases: &[(&[&str], &str)] = &[
        (&["--start", "2026-13-01"], "--start"),
        (&["--start", "2026-11-01T10:30:00Z", "--end", "2026-11-02T00:00:00Z"], "00:00Z"),
        (&["--start", "2026-11-02T00:00:00Z", "--end", "2026-11-01T00:00:00Z"], "before"),
        (&["--granularity", "weekly"], "Hourly"),
        (&["--subscriber", "not-a-guid"], "GUID"),
        (&["--end", "2099-01-01T00:00:00Z"], "future"),
    ];
    for (args, needle) in cases {
        cli()
            .arg("subscriber-usage")
            .args(*args)
            .arg("--emulator")
            .arg(&emu.ready)
            .arg("-o")
            .arg(&out)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(*needle));
        assert!(!out.exists(), "nothing written for {args:?}");
    }
    cli()
        .args(["usage", "--endpoint", "http://127.0.0.1:9", "--subscription", "x"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("credential"));
}

#[test]
fn auth_failures_exit_3_and_never_print_the_secret() {
    let emu = emulator(&[]);
    let other = emu.info.tenants[1].subscription_ids[0].clone();
    cli()
        .args(["usage", "--as-tenant", "contoso", "--subscription", &other, "--emulator"])
        .arg(&emu.ready)
        .assert()
        .code(3)
        .stderr(predicate::str::contains("AuthorizationFailed"));
    let secret = "wrong-secret-PLUGH";
    cli()
        .args(["subscriber-usage", "--endpoint", &emu.info.admin_endpoint, "--tenant", &emu.info.admin.tenant_id])
        .args(["--client-id", &emu.info.admin.client_id, "--client-secret", secret, "-v"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains(secret).not());
}

#[test]
fn meters_lists_the_catalog_with_filters() {
    let all = cli().args(["meters", "--format", "json"]).assert().success();
    let meters: serde_json::Value = serde_json::from_slice(&all.get_output().stdout).expect("JSON");
    assert!(meters.as_array().expect("array").len() >= 84, "every catalog row");
    cli()
        .args(["meters", "--id", "6dab500fa4fd49c4956d229bb9c8c793"])
        .assert()
        .success()
        .stdout(predicate::str::contains("VM size hours"));
    let net = cli().args(["meters", "--category", "network"]).assert().success();
    assert_eq!(String::from_utf8_lossy(&net.get_output().stdout).lines().count(), 3, "header + two network meters");
}

#[test]
fn an_untrusted_certificate_exits_4_naming_tls_and_shows_its_causes_with_v() {
    let emu = emulator(&["--https"]);
    assert!(emu.info.admin_endpoint.starts_with("https://"), "{}", emu.info.admin_endpoint);
    let sub = emu.info.tenants[0].subscription_ids[0].clone();
    // --endpoint without --ca-file: the emulator's self-signed certificate is not trusted.
    let run = |verbose: bool| {
        let mut c = cli();
        c.args(["usage", "--endpoint", &emu.info.tenant_endpoint, "--token", "t", "--subscription", &sub]);
        if verbose {
            c.arg("-v");
        }
        let out = c.output().expect("runs");
        (out.status.code(), String::from_utf8_lossy(&out.stderr).to_string())
    };
    let (code, quiet) = run(false);
    assert_eq!(code, Some(4), "{quiet}");
    assert!(quiet.contains("TLS failed") && quiet.contains("CA file"), "{quiet}");
    assert!(!quiet.contains("caused by"), "causes only with -v: {quiet}");
    let (code, verbose) = run(true);
    assert_eq!(code, Some(4), "{verbose}");
    assert!(verbose.contains("caused by:"), "-v shows the source chain: {verbose}");
    // Trusting the emulator's CA gets past TLS: the made-up token is then refused (exit 3, not 4).
    let ca = emu.info.ca_certificate_file.clone().expect("the emulator's CA file");
    cli()
        .args(["usage", "--endpoint", &emu.info.tenant_endpoint, "--token", "t", "--subscription", &sub])
        .args(["--ca-file", &ca])
        .assert()
        .code(3);
}

#[test]
fn completions_print_a_script_for_every_shell() {
    for (shell, marker) in [
        ("bash", "complete"),
        ("zsh", "#compdef"),
        ("fish", "complete -c"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let out = cli().args(["completions", shell]).assert().success();
        let script = String::from_utf8_lossy(&out.get_output().stdout).to_string();
        assert!(script.contains(marker), "{shell}: {marker}");
        assert!(script.contains("subscriber-usage") && script.contains("continuation-token"), "{shell}");
    }
    cli().args(["completions", "tcsh"]).assert().code(2);
}
