//! The report's speed and size at a million usage records (the benchmark's step g):
//!
//! ```text
//! cargo run --release -p azs-usage-report --example million_report -- [OUT.html]
//! cargo run --release -p azs-usage-report --example million_report -- --write-focus FILE.parquet
//! ```
//!
//! Generates 990,000 FOCUS cost rows and 10,000 unpriced records in memory (the tests' generator),
//! feeds them through the report's one pass, renders the report and the 40 statements, and
//! prints one line of JSON: seconds for the pass and the rendering, and the report's size.
//! With `--write-focus`, writes the same rows as a FOCUS file instead (Parquet, or CSV for a
//! `.csv` name; the unpriced records beside it as `<FILE>.unpriced.csv`), for timing
//! `azs-usage report --input FILE` end to end.

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::Instant;

use azs_usage_report::{Period, ReportBuilder, ReportOptions};
use common::million::Million;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--write-focus") {
        write_focus(std::path::Path::new(args.get(1).expect("--write-focus FILE")));
        return;
    }
    let out = args.first().cloned();
    let mut million = Million::new();
    let options = ReportOptions {
        period: Period::month("2026-11").expect("a month"),
        tag_key: Some("CostCenter".into()),
        statements: true,
        source: "1,000,000 generated records".into(),
        ..ReportOptions::default()
    };
    // Generation alone, for the baseline: the report's time is the difference.
    let started = Instant::now();
    let mut rows = 0u64;
    million.each_row(|_| rows += 1);
    let generation = started.elapsed().as_secs_f64();

    let mut million = Million::new();
    let started = Instant::now();
    let mut builder = ReportBuilder::new(options);
    million.each_row(|row| builder.add_row(row).expect("one currency"));
    million.each_unpriced(|record| builder.add_unpriced(record));
    let aggregated = started.elapsed().as_secs_f64();
    let report = builder.finish().expect("rendered");
    let total = started.elapsed().as_secs_f64();
    if let Some(path) = out {
        std::fs::write(&path, &report.html).expect("written");
    }
    println!(
        "{{\"records\":{},\"generation_s\":{generation:.3},\"aggregate_s\":{:.3},\"render_s\":{:.3},\"report_s\":{:.3},\"report_bytes\":{},\"statements\":{}}}",
        report.summary.rows + report.summary.unpriced_records,
        aggregated - generation,
        total - aggregated,
        total - generation,
        report.html.len(),
        report.statements.len()
    );
}

fn write_focus(path: &std::path::Path) {
    use azs_usage_pricing::{FocusFormat, FocusWriter, RecordCsvWriter, unpriced_path};
    let format = if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv")) {
        FocusFormat::Csv
    } else {
        FocusFormat::Parquet
    };
    let mut million = Million::new();
    let mut writer = FocusWriter::create(path, format).expect("FOCUS file created");
    million.each_row(|row| writer.write(row).expect("row written"));
    writer.finish_file().expect("FOCUS file complete");
    let mut side = RecordCsvWriter::create(&unpriced_path(path)).expect("unpriced file created");
    million.each_unpriced(|record| side.write(record).expect("record written"));
    side.finish().expect("unpriced file complete");
}
