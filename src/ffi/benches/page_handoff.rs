//! Criterion benchmark: handing one core `Page` of 1000 records across the C ABI.
//!
//! What `Cursor::next_page` does with a page once the core yields it (`src/cursor.rs`,
//! `next_inner` + `next_page`): map every `UsageRecord` to a `RecordDto` (`convert::record`: the
//! 17 fields as text, tags/additional info as key/value lists), build the `PageDto`, and serialize
//! it into the `Wire<PageDto>` buffer that crosses the boundary. `next_inner` is private, so the
//! bench rebuilds the same expression from the public pieces (`convert::record`, `PageDto`,
//! `Wire::from`). The C# side's deserialization of the buffer is not measured here; `unwire`
//! (the Rust reader of the same buffer) is measured separately as a stand-in for its cost.
//!
//! Run: `cargo bench -p azs-usage-ffi --bench page_handoff` (about 30 s).

use std::hint::black_box;
use std::time::Duration;

use azs_usage_core::parse::parse_page;
use azs_usage_core::{MeterCatalog, Page};
use azs_usage_native::PageDto;
use azs_usage_native::convert::record;
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use interoptopus::wire::Wire;

#[path = "../../core/benches/page_body.rs"]
mod page_body;

fn core_page() -> Page {
    let body = page_body::page_body(1000);
    let parsed = parse_page(&body, Some("application/json"), &MeterCatalog::builtin()).expect("the bench page parses");
    assert_eq!(parsed.records.len(), 1000);
    Page {
        records: parsed.records,
        continuation_token: Some("eyJmIjoxLCJzIjoyfQ.abcdefghijklmnopqrstuv".to_string()),
        request_id: Some("5b0f6f0e-2f5c-4b53-9f39-1f2e3d4c5b6a".to_string()),
        duplicates: Vec::new(),
    }
}

/// The same construction as `Cursor::next_inner` for a successful page.
fn to_dto(page: &Page) -> PageDto {
    PageDto {
        records: page.records.iter().map(record).collect(),
        continuation_token: page.continuation_token.clone().unwrap_or_default(),
        request_id: page.request_id.clone().unwrap_or_default(),
        duplicates: page.duplicates.clone(),
        done: 0,
        error: Vec::new(),
    }
}

fn bench(c: &mut Criterion) {
    let page = core_page();
    let mut check = Wire::from(to_dto(&page));
    let back = check.unwire();
    assert_eq!(back, to_dto(&page), "the wire round-trips the page");

    let mut g = c.benchmark_group("page_handoff");
    g.sample_size(20).warm_up_time(Duration::from_secs(2)).measurement_time(Duration::from_secs(6));
    g.throughput(Throughput::Elements(1000));
    // Records to DTOs only.
    g.bench_function("to_dto_1000", |b| b.iter(|| to_dto(black_box(&page))));
    // Records to DTOs, serialized into the buffer handed to C#: what next_page does per page.
    g.bench_function("to_wire_1000", |b| b.iter(|| Wire::from(to_dto(black_box(&page)))));
    // Reading the buffer back (stand-in for the C# side's deserialization; not on the Rust path).
    g.bench_function("unwire_1000", |b| {
        b.iter_batched(|| Wire::from(to_dto(&page)), |mut w| w.unwire(), BatchSize::LargeInput)
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
