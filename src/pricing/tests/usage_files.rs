//! `read_usage`: the CLI's CSV, NDJSON and JSON and the cmdlets' Export-Csv files, read back into
//! the records that were written.

use std::path::{Path, PathBuf};

use azs_usage_core::{StringMap, UsageRecord};
use azs_usage_pricing::{Reason, RecordCsvWriter, read_usage};
use chrono::Duration;

fn records() -> Vec<UsageRecord> {
    (0..5)
        .map(|i| {
            let start: chrono::DateTime<chrono::Utc> = "2026-11-30T22:00:00Z".parse().unwrap();
            let start = start + Duration::hours(i);
            UsageRecord {
                subscription_id: format!("0000000{i}-0000-0000-0000-000000000000"),
                meter_id: "FAB6EB84-500B-4A09-A8CA-7358F8BBAEA5".into(),
                meter_name: "Base VM Size Hours".into(),
                meter_category: "Compute".into(),
                unit: "Virtual core hours".into(),
                quantity: ["2", "0.0000063646", "1234.5678901234567", "0", "0.0000001"][i as usize].parse().unwrap(),
                usage_start_time: start,
                usage_end_time: start + Duration::hours(1),
                resource_uri: format!(
                    "/subscriptions/s/resourceGroups/RG/providers/Microsoft.Compute/virtualMachines/vm{i}"
                ),
                resource_group: "RG".into(),
                resource_provider: "Microsoft.Compute".into(),
                resource_type: "virtualMachines".into(),
                resource_name: format!("vm{i}"),
                location: "local".into(),
                tags: if i % 2 == 0 {
                    StringMap(vec![("Größe".into(), "groß; =x".into()), ("costCenter".into(), "CC-1001".into())])
                } else {
                    StringMap::default()
                },
                additional_info: StringMap(vec![("ServiceType".into(), "Standard_D1_v2".into())]),
                instance_data: r#"{"Microsoft.Resources":{"resourceUri":"x","location":"local"}}"#.into(),
            }
        })
        .collect()
}

fn read_all(path: &Path) -> Vec<UsageRecord> {
    read_usage(path).unwrap().collect::<Result<Vec<_>, _>>().unwrap()
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn the_clis_csv_reads_back_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("usage.csv");
    let mut w = RecordCsvWriter::create(&path).unwrap();
    for r in records() {
        w.write(&r).unwrap();
    }
    w.finish().unwrap();
    assert_eq!(read_all(&path), records());
}

#[test]
fn ndjson_and_json_read_back_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let lines: Vec<String> = records().iter().map(|r| serde_json::to_string(r).unwrap()).collect();
    let nd = write(dir.path(), "usage.ndjson", &(lines.join("\n") + "\n"));
    assert_eq!(read_all(&nd), records());
    let json = write(dir.path(), "usage.json", &format!("[\n{}\n]\n", lines.join(",\n")));
    assert_eq!(read_all(&json), records());
    let pretty = write(dir.path(), "pretty.json", &serde_json::to_string_pretty(&records()).unwrap());
    assert_eq!(read_all(&pretty), records());
}

#[test]
fn convertto_json_shapes_are_accepted() {
    // What ConvertTo-Json makes of the module's objects: numbers, offsets, dictionaries.
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "objects.json",
        r#"[{"subscriptionId":"s1","MeterId":"m","Quantity":0.0000063646,"UsageStartTime":"2026-11-01T14:00:00+01:00","UsageEndTime":"2026-11-01T15:00:00+01:00","Tags":{"a":"b"},"AdditionalInfo":null}]"#,
    );
    let r = read_all(&p);
    assert_eq!(r[0].quantity.to_string(), "0.0000063646");
    assert_eq!(r[0].usage_start_time, "2026-11-01T13:00:00Z".parse::<chrono::DateTime<chrono::Utc>>().unwrap());
    assert_eq!(r[0].tags.get("a"), Some("b"));
    assert_eq!(r[0].resource_uri, "");
}

#[test]
fn export_csv_forms_and_a_type_line() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "export.csv",
        "\u{feff}#TYPE AzsUsage.UsageRecord\n\"SubscriptionId\",\"MeterId\",\"Quantity\",\"UsageStartTime\",\"UsageEndTime\",\"Tags\"\n\
         \"s1\",\"m\",\"0,5\",\"11/30/2026 22:00:00 +00:00\",\"12/1/2026 12:00:00 AM +00:00\",\"a=b\"\n",
    );
    let r = read_all(&p);
    assert_eq!(r[0].quantity.to_string(), "0.5");
    assert_eq!(r[0].usage_end_time, "2026-12-01T00:00:00Z".parse::<chrono::DateTime<chrono::Utc>>().unwrap());
    assert_eq!(r[0].tags.get("a"), Some("b"));
}

#[test]
fn bad_files_name_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let e = read_usage(&dir.path().join("missing.csv")).unwrap_err();
    assert_eq!(e.reason(), Reason::UsageFileInvalid);

    let e = read_usage(&write(dir.path(), "cols.csv", "SubscriptionId,MeterId\ns,m\n")).unwrap_err();
    assert!(e.to_string().contains("Quantity, UsageStartTime, UsageEndTime"), "{e}");

    let bad_q = write(
        dir.path(),
        "q.csv",
        "SubscriptionId,MeterId,Quantity,UsageStartTime,UsageEndTime\ns,m,1,2026-11-01,2026-11-02\ns,m,lots,2026-11-01,2026-11-02\n",
    );
    let errors: Vec<_> = read_usage(&bad_q).unwrap().filter_map(|r| r.err()).collect();
    assert_eq!(errors.len(), 1, "the reader stops at the first bad record");
    let text = errors[0].to_string();
    assert!(text.contains("q.csv, line 3, column Quantity") && text.contains("lots"), "{text}");

    let bad_t = write(
        dir.path(),
        "t.csv",
        "SubscriptionId,MeterId,Quantity,UsageStartTime,UsageEndTime\ns,m,1,13/01/2026 10:00:00 +00:00,2026-11-02\n",
    );
    let e = read_usage(&bad_t).unwrap().next().unwrap().unwrap_err();
    assert!(e.to_string().contains("column UsageStartTime") && e.to_string().contains("day-first"), "{e}");

    let bad_json = write(
        dir.path(),
        "b.ndjson",
        "{\"SubscriptionId\":\"s\",\"MeterId\":\"m\",\"Quantity\":\"1\",\"UsageStartTime\":\"2026-11-01\",\"UsageEndTime\":\"2026-11-01\"}\n{\"SubscriptionId\":\"s\"}\n",
    );
    let errors: Vec<_> = read_usage(&bad_json).unwrap().filter_map(|r| r.err()).collect();
    assert!(errors[0].to_string().contains("line 2") && errors[0].to_string().contains("MeterId"), "{}", errors[0]);

    let open = write(dir.path(), "open.json", "[{\"a\":1},");
    let errors: Vec<_> = read_usage(&open).unwrap().filter_map(|r| r.err()).collect();
    assert!(!errors.is_empty());
}
