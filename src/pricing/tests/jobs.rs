//! Whole jobs over files: the FOCUS file and its unpriced side file appear complete or not at all.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use azs_usage_pricing::{
    CostEngine, Directory, FocusFormat, FocusOptions, GroupKey, Period, RateCard, RateCardOptions, Reason,
    price_to_focus, read_focus, summarize,
};

const BASE: &str = "FAB6EB84-500B-4A09-A8CA-7358F8BBAEA5";
const IP: &str = "F271A8A388C44D93956A063E1D2FA80B";

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn usage(dir: &Path, name: &str, meters: &[&str]) -> PathBuf {
    let mut text = String::from("SubscriptionId,MeterId,Quantity,UsageStartTime,UsageEndTime,Tags\n");
    for (i, m) in meters.iter().enumerate() {
        text.push_str(&format!("s{i},{m},2,2026-11-01T0{i}:00:00Z,2026-11-01T0{}:00:00Z,CostCenter=CC-{i}\n", i + 1));
    }
    write(dir, name, &text)
}

fn engine(dir: &Path) -> CostEngine {
    let card = write(dir, "card.csv", &format!("MeterId,UnitPrice,Currency\n{BASE},0.5,EUR\n"));
    let (card, _) = RateCard::load(&card, &RateCardOptions::default()).unwrap();
    CostEngine::new(Arc::new(card), Arc::new(Directory::empty()), FocusOptions::default())
}

#[test]
fn unpriced_usage_goes_to_the_side_file_and_a_stale_one_is_removed() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let input = usage(d, "u.csv", &[BASE, IP, BASE]);
    let out = d.join("costs.parquet");
    let report = price_to_focus(&mut engine(d), &[input], &out, FocusFormat::Parquet, false, None).unwrap();
    assert_eq!((report.run.records, report.run.priced, report.run.unpriced), (3, 2, 1));
    assert_eq!(report.billed_cost.to_string(), "2.0");
    let side = report.unpriced_file.clone().expect("a side file");
    assert_eq!(side, d.join("costs.parquet.unpriced.csv"));
    assert_eq!(std::fs::read_to_string(&side).unwrap().lines().count(), 2);
    assert_eq!(read_focus(&out).unwrap().count(), 2);

    // Rerun with everything priced: the old side file would describe another run.
    let all = usage(d, "all.csv", &[BASE]);
    let report =
        price_to_focus(&mut engine(d), std::slice::from_ref(&all), &out, FocusFormat::Parquet, false, None).unwrap();
    assert!(report.unpriced_file.is_none());
    assert!(!side.exists());

    // A side file the caller names is always written.
    let named = d.join("named.csv");
    price_to_focus(&mut engine(d), &[all], &d.join("c.csv"), FocusFormat::Csv, false, Some(&named)).unwrap();
    assert_eq!(std::fs::read_to_string(&named).unwrap().lines().count(), 1, "the header only");
}

#[test]
fn a_bad_record_in_any_input_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let good = usage(d, "good.csv", &[BASE, IP]);
    let bad = write(
        d,
        "bad.csv",
        "SubscriptionId,MeterId,Quantity,UsageStartTime,UsageEndTime\ns,m,x,2026-11-01,2026-11-02\n",
    );
    let out = d.join("costs.csv");
    let e = price_to_focus(&mut engine(d), &[good, bad], &out, FocusFormat::Csv, false, None).unwrap_err();
    assert_eq!(e.reason(), Reason::UsageFileInvalid);
    assert!(e.to_string().contains("bad.csv, line 2, column Quantity"), "{e}");
    let left: Vec<String> =
        std::fs::read_dir(d).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into()).collect();
    assert!(left.iter().all(|n| !n.starts_with("costs") && !n.contains(".tmp")), "{left:?}");
}

#[test]
fn summaries_count_priced_and_unpriced_records_per_group() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let input = usage(d, "u.csv", &[BASE, IP, BASE]);
    let (summary, run) =
        summarize(&mut engine(d), &[input], vec![GroupKey::Tag("costcenter".into())], Period::Month, false).unwrap();
    assert_eq!(run.records, 3);
    let rows = summary.rows();
    let got: Vec<(String, String, u64, u64, String)> = rows
        .iter()
        .map(|r| (r.keys[0].clone(), r.period.clone(), r.records, r.unpriced_records, r.billed_cost.to_string()))
        .collect();
    assert_eq!(
        got,
        vec![
            ("CC-0".into(), "2026-11".into(), 1, 0, "1".into()),
            ("CC-1".into(), "2026-11".into(), 1, 1, "0".into()),
            ("CC-2".into(), "2026-11".into(), 1, 0, "1".into()),
        ]
    );
    let e = summarize(&mut engine(d), &[d.join("u.csv")], vec![GroupKey::Meter], Period::None, true).unwrap_err();
    assert_eq!(e.reason(), Reason::UnpricedUsage);
}
