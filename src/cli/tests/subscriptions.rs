//! `azs-usage subscriptions`: the tenant directory against an emulator process, checked against the
//! emulator's ready file; the CSV is the directory file (`DIRECTORY_FIELDS` header), the JSON carries the
//! same names; bad input exits with its documented code, says what was wrong and writes nothing.

use std::collections::BTreeMap;
use std::path::Path;

use azs_usage_core::DIRECTORY_FIELDS;

#[allow(dead_code)] // the shared helpers this file does not use
mod common;

use common::{Emulator, cli, emulator};

/// Rows by subscription id, as field name -> value.
fn read_directory_csv(path: &Path) -> (Vec<String>, BTreeMap<String, BTreeMap<String, String>>) {
    let mut reader = csv::Reader::from_path(path).expect("CSV opens");
    let header: Vec<String> = reader.headers().expect("header").iter().map(str::to_string).collect();
    let mut rows = BTreeMap::new();
    for row in reader.records() {
        let row = row.expect("row");
        let fields: BTreeMap<String, String> = header.iter().cloned().zip(row.iter().map(str::to_string)).collect();
        rows.insert(fields["SubscriptionId"].clone(), fields);
    }
    (header, rows)
}

/// Every subscription of the ready file's tenants appears once with its owner, directory tenant, offer and state.
fn assert_matches_ready_file(emu: &Emulator, rows: &BTreeMap<String, BTreeMap<String, String>>) {
    let expected: usize = emu.info.tenants.iter().map(|t| t.subscriptions.len()).sum();
    assert_eq!(rows.len(), expected, "one row per tenant subscription");
    for tenant in &emu.info.tenants {
        for want in &tenant.subscriptions {
            let got = &rows[&want.subscription_id];
            assert_eq!(got["DisplayName"], want.display_name);
            assert_eq!(got["Owner"], want.owner);
            assert_eq!(got["TenantId"], tenant.tenant_id);
            assert_eq!(got["OfferId"], want.offer_id);
            assert_eq!(got["OfferName"], want.offer_name);
            assert_eq!(got["State"], want.state);
            assert_eq!(got["DelegatedProviderSubscriptionId"], "");
            assert_eq!(got["ProviderSubscriptionId"], emu.info.provider_subscription_id);
        }
    }
    assert_eq!(rows.values().filter(|r| r["State"] == "Deleted").count(), 1, "the deleted subscription keeps its row");
}

#[test]
fn csv_and_json_carry_the_directory_through_pages_and_faults() {
    // Pages of 2 and a 503 on every third data request: the listing still completes, exactly.
    let emu = emulator(&["--page-size", "2", "--faults", "503:every=3"]);
    let dir = tempfile::tempdir().expect("dir");
    let out = dir.path().join("directory.csv");
    let run = cli().args(["subscriptions", "--emulator"]).arg(&emu.ready).arg("-o").arg(&out).output().expect("runs");
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stderr}");
    assert!(run.stdout.is_empty(), "the file gets the rows, not stdout");
    assert!(stderr.contains("tenant subscriptions (1 deleted) to"), "{stderr}");
    let (header, rows) = read_directory_csv(&out);
    assert_eq!(header, DIRECTORY_FIELDS);
    assert_matches_ready_file(&emu, &rows);
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["directory.csv"], "no temporary file left");
    let offers: std::collections::BTreeSet<&str> = rows.values().map(|r| r["OfferName"].as_str()).collect();
    assert!(offers.len() >= 3, "several offers: {offers:?}");

    // The pricing crate reads the file back as the --directory of cost computations, entry for entry.
    let read_back = azs_usage_pricing::Directory::load_csv(&out).expect("the directory file loads");
    assert_eq!(read_back.len(), rows.len());
    for entry in read_back.entries() {
        let row = &rows[&entry.subscription_id];
        assert_eq!(entry.text_fields().to_vec(), DIRECTORY_FIELDS.map(|f| row[f].as_str()).to_vec());
    }

    // JSON to standard output: the same rows, the same property names in the same order.
    let run = cli().args(["subscriptions", "--format", "json", "--emulator"]).arg(&emu.ready).output().expect("runs");
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let json: serde_json::Value = serde_json::from_slice(&run.stdout).expect("JSON array");
    let items = json.as_array().expect("array");
    assert_eq!(items.len(), rows.len());
    for item in items {
        let object = item.as_object().expect("object");
        assert_eq!(object.keys().map(String::as_str).collect::<Vec<_>>(), DIRECTORY_FIELDS);
        let row = &rows[object["SubscriptionId"].as_str().expect("id")];
        for name in DIRECTORY_FIELDS {
            assert_eq!(object[name].as_str(), Some(row[name].as_str()), "{name}");
        }
    }
    let typed: Vec<azs_usage_core::TenantSubscription> = serde_json::from_value(json).expect("the core's type");
    for s in &typed {
        assert_eq!(read_back.get(&s.subscription_id), Some(s), "JSON and CSV carry the same directory");
    }
}

#[test]
fn bad_input_exits_with_its_code_names_the_problem_and_writes_nothing() {
    let emu = emulator(&[]);
    let dir = tempfile::tempdir().expect("dir");
    let out = dir.path().join("never.csv");
    let ready = emu.ready.to_string_lossy().to_string();
    let missing_dir = dir.path().join("no-such-dir").join("x.csv");
    let a_directory = dir.path().to_string_lossy().to_string();
    let cases: Vec<(&str, Vec<String>, i32, &str)> = vec![
        ("no credential", vec!["--endpoint".into(), emu.info.admin_endpoint.clone()], 2, "no credential"),
        ("no endpoint", vec!["--token".into(), "t".into()], 2, "no endpoint"),
        (
            "a tenant identity",
            vec!["--emulator".into(), ready.clone(), "--as-tenant".into(), "contoso".into()],
            3,
            "provider-only",
        ),
        (
            "a provider subscription that is not a GUID",
            vec!["--emulator".into(), ready.clone(), "--subscription".into(), "Default Provider Subscription".into()],
            2,
            "not a GUID",
        ),
        (
            "an unknown provider subscription",
            vec![
                "--emulator".into(),
                ready.clone(),
                "--subscription".into(),
                "00000000-1111-2222-3333-444444444444".into(),
            ],
            2,
            "SubscriptionNotFound",
        ),
        (
            "a format the directory has not",
            vec!["--emulator".into(), ready.clone(), "--format".into(), "ndjson".into()],
            2,
            "ndjson",
        ),
        (
            "a bad token",
            vec![
                "--endpoint".into(),
                emu.info.admin_endpoint.clone(),
                "--token".into(),
                "forged".into(),
                "--subscription".into(),
                emu.info.provider_subscription_id.clone(),
            ],
            3,
            "401",
        ),
    ];
    for (case, args, code, needle) in cases {
        let run = cli().arg("subscriptions").args(&args).arg("-o").arg(&out).output().expect("runs");
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(code), "{case}: {stderr}");
        assert!(stderr.contains(needle), "{case}: {stderr}");
        assert!(!stderr.contains("panicked"), "{case}: {stderr}");
        assert!(!stderr.contains(&emu.info.admin.client_secret), "{case}: the secret leaked");
        let left: Vec<_> = std::fs::read_dir(dir.path()).expect("dir").collect();
        assert!(left.is_empty(), "{case}: something was written: {left:?}");
    }
    for (case, target, needle) in [
        ("a missing directory", missing_dir.to_string_lossy().to_string(), "does not exist"),
        ("a directory", a_directory, "is a folder"),
    ] {
        let run = cli().args(["subscriptions", "--emulator", &ready, "-o", &target]).output().expect("runs");
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(2), "{case}: {stderr}");
        assert!(stderr.contains(needle) && stderr.contains(&target), "{case}: {stderr}");
    }
    assert!(!dir.path().join("no-such-dir").exists());
}
