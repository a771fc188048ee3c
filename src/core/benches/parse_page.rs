//! Criterion benchmark: parsing one realistic 1000-record page body (the emulator's wire shape,
//! see `page_body.rs`) with `azs_usage_core::parse::parse_page`.
//!
//! Run: `cargo bench -p azs-usage-core --bench parse_page` (about 15 s).

use std::hint::black_box;
use std::time::Duration;

use azs_usage_core::MeterCatalog;
use azs_usage_core::parse::parse_page;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

mod page_body;

fn bench(c: &mut Criterion) {
    let catalog = MeterCatalog::builtin();
    let body = page_body::page_body(1000);
    let parsed = parse_page(&body, Some("application/json"), &catalog).expect("the bench page parses");
    assert_eq!(parsed.records.len(), 1000);
    assert!(parsed.next_link.is_some());
    assert!(parsed.records.iter().any(|r| r.tags.len() == 2), "double-encoded tags are decoded");
    assert!(parsed.records.iter().any(|r| r.additional_info.len() == 5), "double-encoded info is decoded");
    assert!(parsed.records.iter().all(|r| !r.meter_name.is_empty()), "every meter is in the catalog");

    eprintln!("page body: 1000 records, {} bytes", body.len());

    let mut g = c.benchmark_group("parse_page");
    g.sample_size(20).warm_up_time(Duration::from_secs(2)).measurement_time(Duration::from_secs(8));
    g.throughput(Throughput::Elements(1000));
    g.bench_function("1000_records", |b| {
        b.iter(|| parse_page(black_box(&body), Some("application/json"), &catalog).unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
