//! Bad input to the `azs-usage` binary, against an emulator process: every case exits with the
//! documented code (2 bad input, including a request the service itself rejects, e.g. a forged
//! continuation token or an unknown api-version), says on stderr what was wrong, writes nothing
//! (no `-o` target, no `.tmp`, no `.partial`), and ends normally (no panic).
//!
//! Cases (counted for the README): 41 in the table of `every_bad_input_exits_cleanly_naming_the_problem`,
//! plus a 10-year Hourly range bounded by --max-records and non-ASCII tags through CSV = 43 CLI cases.

use std::path::Path;
use std::time::{Duration, Instant};

use chrono::{DurationRound, Utc};

mod common;

use common::{Emulator, cli, emulator, iso};

fn window() -> (String, String) {
    let end = Utc::now().duration_trunc(chrono::Duration::hours(1)).expect("hour");
    (iso(end - chrono::Duration::days(3)), iso(end))
}

/// A real continuation token of the hourly provider query over `window()`, from the first page.
fn real_token(emu: &Emulator) -> String {
    let (start, end) = window();
    let out = cli()
        .args([
            "subscriber-usage",
            "--granularity",
            "hourly",
            "--start",
            &start,
            "--end",
            &end,
            "--max-records",
            "1",
            "--format",
            "ndjson",
            "--emulator",
        ])
        .arg(&emu.ready)
        .output()
        .expect("runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    stderr.split("--continuation-token '").nth(1).and_then(|t| t.split('\'').next()).expect("token printed").to_string()
}

fn b64(bytes: &[u8]) -> String {
    // base64url without padding, enough for forging a token payload.
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

/// Asserts the run wrote nothing at `out`, nor a temporary (`.<name>.tmp-…`) or partial sibling.
fn assert_nothing_written(out: &Path, case: &str) {
    let name = out.file_name().expect("name").to_string_lossy().to_string();
    for entry in std::fs::read_dir(out.parent().expect("folder")).expect("folder") {
        let found = entry.expect("entry").file_name().to_string_lossy().to_string();
        let hidden = format!(".{name}");
        assert!(!found.starts_with(&name) && !found.starts_with(&hidden), "{case}: {found} was left behind");
    }
}

#[test]
fn every_bad_input_exits_cleanly_naming_the_problem() {
    let emu = emulator(&[]);
    let dir = tempfile::tempdir().expect("dir");
    let out = dir.path().join("never.csv");
    let ready = emu.ready.to_string_lossy().to_string();
    let (start, end) = window();
    let sub = emu.info.tenants[0].subscription_ids[0].clone();
    let token = real_token(&emu);

    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).expect("fixture");
        p.to_string_lossy().to_string()
    };
    let meters_garbage = write("meters.json", "[{\"id\": 42, ");
    let meters_csv_bad = write("meters.csv", "Id,Name\n\"unterminated,quote\n");
    let ready_not_json = write("ready.txt", "<html>this is not a ready file</html>");
    let ready_wrong_shape = write("ready-shape.json", "{\"endpoint\": 5}");
    let ca_garbage = write("ca.pem", "not a certificate");
    let missing = dir.path().join("missing").join("file").to_string_lossy().to_string();
    let forged = {
        let (_, tag) = token.split_once('.').expect("payload.tag");
        format!("{}.{tag}", b64(br#"{"f":"000000000000000000000000","s":1,"k":0}"#))
    };
    let truncated = token[..token.len() / 2].to_string();
    let wrong_dir = dir.path().join("no-such-dir").join("out.csv").to_string_lossy().to_string();
    let a_folder = dir.path().join("a-folder");
    std::fs::create_dir(&a_folder).expect("folder");
    let a_folder = a_folder.to_string_lossy().to_string();

    // (subcommand, arguments, exit code, text stderr must contain). `@E` = --emulator READY,
    // `@W` = --start/--end of the test window with Hourly. (41 cases)
    let cases: Vec<(&str, Vec<String>, i32, &str)> = vec![
        // times
        ("subscriber-usage", s(&["--start", "2026-13-01", "@E"]), 2, "--start"),
        ("subscriber-usage", s(&["--start", "yesterday", "@E"]), 2, "'yesterday'"),
        ("subscriber-usage", s(&["--end", "2026-11-01T10:00:00", "@E"]), 2, "no time zone"),
        (
            "subscriber-usage",
            s(&["--start", "2026-10-01T10:30:00Z", "--end", "2026-10-02T00:00:00Z", "@E"]),
            2,
            "00:00Z",
        ),
        (
            "subscriber-usage",
            s(&["--granularity", "hourly", "--start", "2026-10-01T10:30:00Z", "--end", "2026-10-02T00:00:00Z", "@E"]),
            2,
            "not on the hour",
        ),
        (
            "subscriber-usage",
            s(&["--start", "2026-10-02T00:00:00Z", "--end", "2026-10-01T00:00:00Z", "@E"]),
            2,
            "not before end",
        ),
        (
            "subscriber-usage",
            s(&["--start", "2026-10-02T00:00:00Z", "--end", "2026-10-02T00:00:00Z", "@E"]),
            2,
            "not before end",
        ),
        ("subscriber-usage", s(&["--end", "2099-01-01T00:00:00Z", "@E"]), 2, "future"),
        ("usage", s(&["--start", "", "@E"]), 2, "--start"),
        // granularity and GUIDs
        ("subscriber-usage", s(&["--granularity", "weekly", "@E"]), 2, "weekly"),
        ("subscriber-usage", s(&["--granularity", "", "@E"]), 2, "Daily and Hourly"),
        ("subscriber-usage", s(&["--subscriber", "not-a-guid", "@E"]), 2, "not-a-guid"),
        ("subscriber-usage", s(&["--subscriber", "'; DROP TABLE usage; --", "@E"]), 2, "not a GUID"),
        ("subscriber-usage", s(&["--subscription", "tenant-one", "@E"]), 2, "tenant-one"),
        ("usage", s(&["--subscription", "12345678-1234-1234-1234-1234567890ab}", "@E"]), 2, "not a GUID"),
        ("usage", s(&["--subscriber", &sub, "@E"]), 2, "--subscriber is for subscriber-usage"),
        // continuation tokens (the service rejects them as invalid: exit 2, naming the token)
        ("subscriber-usage", s(&["@W", "--continuation-token", "garbage!!", "@E"]), 2, "continuationToken"),
        ("subscriber-usage", s(&["@W", "--continuation-token", &truncated, "@E"]), 2, "continuationToken"),
        ("subscriber-usage", s(&["@W", "--continuation-token", &forged, "@E"]), 2, "continuationToken"),
        (
            "subscriber-usage",
            s(&["--granularity", "daily", "--continuation-token", &token, "@E"]),
            2,
            "continuationToken",
        ),
        (
            "subscriber-usage",
            s(&[
                "@W",
                "--subscriber",
                &sub,
                "--subscriber",
                &emu.info.tenants[1].subscription_ids[0],
                "--continuation-token",
                &token,
                "@E",
            ]),
            2,
            "continuation token",
        ),
        // files
        ("subscriber-usage", s(&["--meters-file", &missing, "@E"]), 2, "cannot read meter file"),
        ("subscriber-usage", s(&["--meters-file", &meters_garbage, "@E"]), 2, "meters.json"),
        ("subscriber-usage", s(&["--meters-file", &meters_csv_bad, "@E"]), 2, "meters.csv"),
        ("meters", s(&["--meters-file", &meters_garbage]), 2, "meters.json"),
        ("subscriber-usage", s(&["--ca-file", &missing, "@E"]), 2, "cannot read CA file"),
        ("subscriber-usage", s(&["--ca-file", &ca_garbage, "@E"]), 2, "ca.pem"),
        ("subscriber-usage", s(&["--emulator", &ready_not_json]), 2, "is not an emulator ready file"),
        ("subscriber-usage", s(&["--emulator", &ready_wrong_shape]), 2, "is not an emulator ready file"),
        ("subscriber-usage", s(&["--emulator", &missing]), 2, "cannot read the emulator ready file"),
        (
            "subscriber-usage",
            vec!["--emulator".into(), ready.clone(), "-o".into(), wrong_dir.clone()],
            2,
            "does not exist",
        ),
        ("subscriber-usage", vec!["--emulator".into(), ready.clone(), "-o".into(), a_folder.clone()], 2, "is a folder"),
        // flags
        ("usage", s(&["--as-tenant", "nobody", "@E"]), 2, "no tenant 'nobody'"),
        ("usage", s(&["--as-tenant", "contoso"]), 2, "--emulator"),
        (
            "usage",
            s(&[
                "--endpoint",
                "http://127.0.0.1:9",
                "--token",
                "t",
                "--client-id",
                "c",
                "--client-secret",
                "x",
                "--subscription",
                &sub,
            ]),
            2,
            "conflicting credentials",
        ),
        ("usage", s(&["--endpoint", "not a url", "--token", "t", "--subscription", &sub]), 2, "not a URL"),
        ("usage", s(&["--endpoint", "ftp://127.0.0.1/", "--token", "t", "--subscription", &sub]), 2, "http(s)"),
        ("subscriber-usage", s(&["--concurrency", "0", "@E"]), 2, "--concurrency"),
        ("subscriber-usage", s(&["--max-records", "0", "@E"]), 2, "--max-records"),
        ("subscriber-usage", s(&["--format", "xml", "@E"]), 2, "xml"),
        ("subscriber-usage", s(&["@W", "--api-version", "1999-01-01", "@E"]), 2, "NoRegisteredProviderFound"),
    ];
    assert_eq!(cases.len(), 41);
    for (cmd, args, code, needle) in &cases {
        let mut full: Vec<String> = Vec::new();
        for a in args {
            match a.as_str() {
                "@E" => full.extend(["--emulator".to_string(), ready.clone()]),
                "@W" => full.extend(["--granularity", "hourly", "--start", &start, "--end", &end].map(String::from)),
                _ => full.push(a.clone()),
            }
        }
        let case = format!("{cmd} {}", full.join(" "));
        let mut c = cli();
        c.arg(cmd).args(&full);
        if *cmd != "meters" && !full.iter().any(|a| a == "-o") {
            c.arg("-o").arg(&out);
        }
        let output = c.output().expect("runs");
        let stderr = String::from_utf8_lossy(&output.stderr).to_string();
        assert_eq!(output.status.code(), Some(*code), "{case}: exit code; stderr: {stderr}");
        assert!(stderr.contains(needle), "{case}: stderr names the problem ({needle}): {stderr}");
        assert!(!stderr.contains("panicked"), "{case}: no panic: {stderr}");
        assert!(output.stdout.is_empty(), "{case}: nothing on stdout");
        assert_nothing_written(&out, &case);
    }
}

fn s(args: &[&str]) -> Vec<String> {
    args.iter().map(|a| a.to_string()).collect()
}

#[test]
fn a_ten_year_hourly_range_is_bounded_by_max_records() {
    let emu = emulator(&[]);
    let dir = tempfile::tempdir().expect("dir");
    let out = dir.path().join("huge.csv");
    let end = Utc::now().duration_trunc(chrono::Duration::hours(1)).expect("hour");
    let started = Instant::now();
    let run = cli()
        .args([
            "subscriber-usage",
            "--granularity",
            "hourly",
            "--start",
            &iso(end - chrono::Duration::days(3650)),
            "--end",
            &iso(end),
        ])
        .args(["--max-records", "250", "--emulator"])
        .arg(&emu.ready)
        .arg("-o")
        .arg(&out)
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stderr}");
    assert!(started.elapsed() < Duration::from_secs(30), "no hang");
    assert!(stderr.contains("--continuation-token"), "says how to continue: {stderr}");
    let rows = csv::Reader::from_path(&out).expect("csv").records().count();
    assert_eq!(rows, 300, "whole pages up to --max-records");
}

#[test]
fn non_ascii_tags_survive_the_csv() {
    let emu = emulator(&[]);
    let sub = emu.info.tenants[0].subscription_ids[0].clone();
    let hour = Utc::now().duration_trunc(chrono::Duration::hours(1)).expect("hour") - chrono::Duration::hours(5);
    let uri = format!("/subscriptions/{sub}/resourceGroups/rg-ß/providers/Microsoft.Compute/virtualMachines/büro-vm");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let (inserted, _) = rt.block_on(azs_usage_tests::ingest(
        &emu.info,
        serde_json::json!([{ "subscriptionId": sub, "meterId": "6dab500fa4fd49c4956d229bb9c8c793", "usageStartTime": iso(hour),
            "reportedTime": iso(hour + chrono::Duration::hours(1)), "quantity": 3, "resourceUri": uri,
            "tags": {"Kostenstelle": "Büro-Ä1", "部署": "開発"} }]),
    ));
    assert_eq!(inserted, 1);
    let dir = tempfile::tempdir().expect("dir");
    let out = dir.path().join("tags.csv");
    let (start, end) = window();
    cli()
        .args([
            "subscriber-usage",
            "--granularity",
            "hourly",
            "--start",
            &start,
            "--end",
            &end,
            "--subscriber",
            &sub,
            "--emulator",
        ])
        .arg(&emu.ready)
        .arg("-o")
        .arg(&out)
        .assert()
        .success();
    let mut rdr = csv::Reader::from_path(&out).expect("csv");
    let header: Vec<String> = rdr.headers().expect("header").iter().map(String::from).collect();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h.eq_ignore_ascii_case(name))
            .unwrap_or_else(|| panic!("column {name} in {header:?}"))
    };
    let (uri_col, tags_col) = (col("ResourceUri"), col("Tags"));
    let row = rdr.records().map(|r| r.expect("row")).find(|r| r[uri_col] == uri).expect("the ingested row, URI intact");
    assert!(
        row[tags_col].contains("Büro-Ä1") && row[tags_col].contains("開発"),
        "UTF-8 kept in the file: {}",
        &row[tags_col]
    );
    let tags = azs_usage_core::StringMap::parse_text(&row[tags_col]);
    assert_eq!(tags.get("Kostenstelle"), Some("Büro-Ä1"));
    assert_eq!(tags.get("部署"), Some("開発"));
}
