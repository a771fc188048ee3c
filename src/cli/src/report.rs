//! `report`: the chargeback report (one self-contained HTML file) and, with `--statements`, one
//! statement per tenant (HTML, and PDF through a headless Chromium when one is found), from a FOCUS
//! cost file written by `price` (CSV or Parquet) and its unpriced side file.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use azs_usage_core::{MeterCatalog, parse_time};
use azs_usage_report::{
    Browser, Culture, Period, ReportBuilder, ReportOptions, check_output, write_report, write_statements,
};

use crate::args::ReportArgs;
use crate::exit::Failure;

fn period(args: &ReportArgs) -> Result<Period, Failure> {
    match (&args.month, &args.from, &args.to) {
        (Some(month), _, _) => Period::month(month).map_err(|e| Failure::bad_input(format!("--month: {e}"))),
        (None, Some(from), Some(to)) => {
            let from = parse_time(from).map_err(|e| Failure::bad_input(format!("--from: {}", e.message)))?;
            let to = parse_time(to).map_err(|e| Failure::bad_input(format!("--to: {}", e.message)))?;
            Period::range(from, to).map_err(Failure::bad_input)
        }
        _ => Ok(Period::All),
    }
}

/// The unpriced side file: `--unpriced`, or `<input>.unpriced.csv` when `price` left one.
fn unpriced_file(args: &ReportArgs, input: &Path) -> Option<PathBuf> {
    if let Some(path) = &args.unpriced {
        return Some(path.clone());
    }
    let beside = azs_usage_pricing::unpriced_path(input);
    beside.is_file().then_some(beside)
}

pub fn run(args: ReportArgs) -> Result<(), Failure> {
    // Everything that can be refused is refused before any row is read.
    let period = period(&args)?;
    let culture = match &args.culture {
        Some(c) => Culture::find(c).map_err(|e| Failure::bad_input(format!("--culture: {e}")))?,
        None => Culture::default(),
    };
    check_output(&args.output).map_err(Failure::from)?;
    let browser = match &args.statements {
        Some(_) if !args.no_pdf => Browser::find(args.browser.as_deref()).map_err(Failure::from)?,
        _ => None,
    };
    let mut catalog = MeterCatalog::builtin();
    if let Some(file) = &args.meters_file {
        catalog.load_file(file).map_err(Failure::from)?;
    }
    let input = args.input.clone();
    let options = ReportOptions {
        period,
        tag_key: args.tag.clone(),
        culture,
        title: args.title.clone(),
        provider_name: args.provider_name.clone(),
        source: input.display().to_string(),
        statements: args.statements.is_some(),
        catalog: Arc::new(catalog),
        ..ReportOptions::default()
    };

    let mut builder = ReportBuilder::new(options);
    let rows = azs_usage_pricing::read_focus(&input).map_err(|e| Failure::bad_input(e.message().to_string()))?;
    for row in rows {
        let row = row.map_err(|e| Failure::bad_input(e.message().to_string()))?;
        builder.add_row(&row).map_err(Failure::from)?;
    }
    if let Some(path) = unpriced_file(&args, &input) {
        let records = azs_usage_pricing::read_usage(&path).map_err(|e| Failure::bad_input(e.message().to_string()))?;
        for record in records {
            builder.add_unpriced(&record.map_err(|e| Failure::bad_input(e.message().to_string()))?);
        }
    }
    let report = builder.finish().map_err(Failure::from)?;
    write_report(&report, &args.output).map_err(Failure::from)?;
    let s = &report.summary;
    let count = |n: u64| culture.number(n.into(), 0);
    eprintln!(
        "{}: {} · {} cost rows · {} billed · {} tenants · {} unpriced records",
        args.output.display(),
        s.period,
        count(s.rows),
        culture.money(s.billed_shown, &s.currency),
        count(s.tenants as u64),
        count(s.unpriced_records)
    );
    if let Some(dir) = &args.statements {
        let written = write_statements(&report, dir, browser.as_ref()).map_err(Failure::from)?;
        let pdfs = written.iter().filter(|w| w.pdf.is_some()).count();
        eprintln!(
            "{}: {} statements{}",
            dir.display(),
            written.len(),
            match (&browser, args.no_pdf) {
                (Some(_), _) => format!(", {pdfs} PDF"),
                (None, true) => " (HTML only)".to_string(),
                (None, false) => " (HTML only: no Chromium, Chrome or Edge found; name one with --browser)".to_string(),
            }
        );
    }
    Ok(())
}
