//! `report`: the chargeback report (one self-contained HTML file) and, with `--statements`, one
//! statement per tenant (HTML, and PDF through a headless Chromium when one is found), from a FOCUS
//! cost file written by `price` (CSV or Parquet) and its unpriced side file, or from the cost rows
//! a sync stored in the billing database.

use std::sync::Arc;

use azs_usage_core::{Granularity, MeterCatalog, parse_time};
use azs_usage_report::{
    Browser, Culture, Period, ReportOptions, ReportSource, build_report, check_output, write_report, write_statements,
};
use azs_usage_store::DatabaseUrl;

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

/// The rows to report: a FOCUS file or the database.
fn source(args: &ReportArgs) -> Result<ReportSource, Failure> {
    match (&args.input, &args.database) {
        (Some(input), None) => Ok(ReportSource::File { input: input.clone(), unpriced: args.unpriced.clone() }),
        (None, Some(url)) => {
            let url = DatabaseUrl::parse(url)?.with_ca_file(args.database_ca_file.clone());
            let granularity = args.granularity.as_deref().map(str::parse::<Granularity>).transpose()?;
            Ok(ReportSource::Database { url, granularity })
        }
        _ => Err(Failure::bad_input("pass one of --input FILE or --database URL")),
    }
}

pub async fn run(args: ReportArgs) -> Result<(), Failure> {
    // Everything that can be refused is refused before any row is read.
    let period = period(&args)?;
    let culture = match &args.culture {
        Some(c) => Culture::find(c).map_err(|e| Failure::bad_input(format!("--culture: {e}")))?,
        None => Culture::default(),
    };
    let source = source(&args)?;
    check_output(&args.output).map_err(Failure::from)?;
    let browser = match &args.statements {
        Some(_) if !args.no_pdf => Browser::find(args.browser.as_deref()).map_err(Failure::from)?,
        _ => None,
    };
    let mut catalog = MeterCatalog::builtin();
    if let Some(file) = &args.meters_file {
        catalog.load_file(file).map_err(Failure::from)?;
    }
    let options = ReportOptions {
        period,
        tag_key: args.tag.clone(),
        culture,
        title: args.title.clone(),
        provider_name: args.provider_name.clone(),
        statements: args.statements.is_some(),
        catalog: Arc::new(catalog),
        ..ReportOptions::default()
    };

    let built = build_report(&source, options).await.map_err(Failure::from)?;
    for warning in &built.warnings {
        eprintln!("azs-usage: warning: {warning}");
    }
    let report = built.report;
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
