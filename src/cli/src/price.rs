//! `price` and `cost`: load the rate card and directory, take usage from files or a pull (spooled
//! to a temporary CSV beside the output, since pricing reads its input twice), and write a FOCUS
//! file or a grouped summary. The work is the pricing crate's; this is translation.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use azs_usage_core::MeterCatalog;
use azs_usage_pricing::{
    CostEngine, Directory, FocusFormat, FocusOptions, GroupKey, Period, RateCard, RateCardOptions, Reason,
    RecordCsvWriter, price_to_focus, summarize,
};
use futures::StreamExt;

use crate::args::{ApiChoice, CostArgs, FocusFileFormat, PriceArgs, PricingArgs, SummaryFormat};
use crate::exit::Failure;
use crate::pull::{Target, open_pages, progress_bar};

/// The rate card, directory and engine a command prices with; warnings go to stderr.
fn engine(args: &PricingArgs, focus: FocusOptions) -> Result<CostEngine, Failure> {
    let options = RateCardOptions { meter_map: args.meter_map.clone() };
    let (card, warnings) = RateCard::load(&args.rate_card, &options).map_err(Failure::from)?;
    for w in &warnings {
        eprintln!("azs-usage: warning: {w}");
    }
    let directory = match &args.directory {
        Some(path) => Directory::load_csv(path).map_err(Failure::from)?,
        None => Directory::empty(),
    };
    Ok(CostEngine::new(Arc::new(card), Arc::new(directory), focus))
}

/// A usage source: the --input files, or a spool of the pull.
struct Inputs {
    files: Vec<PathBuf>,
    /// Keeps the spooled pull alive (removed when dropped).
    _spool: Option<tempfile::TempPath>,
}

async fn inputs(args: &PricingArgs, spool_dir: &Path, verbose: u8) -> Result<Inputs, Failure> {
    let c = &args.query.connection;
    let pulling = c.endpoint.is_some() || c.emulator.is_some();
    if !args.input.is_empty() {
        if pulling {
            return Err(Failure::bad_input(
                "give either --input files or the pull options (--emulator / --endpoint ...), not both",
            ));
        }
        return Ok(Inputs { files: args.input.clone(), _spool: None });
    }
    if !pulling {
        return Err(Failure::bad_input(
            "no usage: pass --input FILE (a usage CSV, NDJSON or JSON file, or Export-Csv of the cmdlets) or pull it with --emulator READY_FILE / --endpoint URL",
        ));
    }
    let target = match args.api {
        ApiChoice::Provider => Target::Provider,
        ApiChoice::Tenant => Target::Tenant,
    };
    // The spool is created before the first request, so a folder that cannot take it costs none.
    let (mut pages, _, (spool, mut writer)) = open_pages(target, &args.query, false, verbose, || {
        let spool = tempfile::Builder::new()
            .prefix(".azs-usage-pull-")
            .suffix(".csv")
            .tempfile_in(spool_dir)
            .map_err(|e| Failure::bad_input(format!("cannot create a temporary file in {}: {e}", spool_dir.display())))?
            .into_temp_path();
        let writer = RecordCsvWriter::create(&spool).map_err(Failure::from)?;
        Ok((spool, writer))
    })
    .await?;
    let progress = progress_bar(args.query.no_progress);
    let started = Instant::now();
    let interrupt = tokio::signal::ctrl_c();
    tokio::pin!(interrupt);
    loop {
        let next = tokio::select! {
            next = pages.next() => next,
            _ = &mut interrupt => return Err(Failure::new(Reason::OperationCancelled, "interrupted; nothing was written")),
        };
        match next {
            None => break,
            Some(Err(e)) => {
                let mut f = Failure::from(e);
                f.message.push_str("\nnothing was written; rerun the same command");
                return Err(f);
            }
            Some(Ok(page)) => {
                for r in &page.records {
                    writer.write(r).map_err(Failure::from)?;
                }
                progress.set_message(format!("{} records pulled", writer.records()));
            }
        }
    }
    progress.finish_and_clear();
    let pulled = writer.records();
    writer.finish().map_err(Failure::from)?;
    eprintln!("azs-usage: pulled {pulled} records in {:.1}s", started.elapsed().as_secs_f64());
    Ok(Inputs { files: vec![spool.to_path_buf()], _spool: Some(spool) })
}

/// Where a pull is spooled: beside the output file (same disk, same permissions), or the
/// temporary folder for standard output and devices.
fn spool_folder(output: Option<&Path>) -> PathBuf {
    match output {
        Some(path) if !azs_usage_pricing::output::is_stream(path) => match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        },
        _ => std::env::temp_dir(),
    }
}

fn catalog(args: &PricingArgs) -> Result<Arc<MeterCatalog>, Failure> {
    let mut catalog = MeterCatalog::builtin();
    if let Some(path) = &args.query.connection.meters_file {
        catalog.load_file(path)?;
    }
    Ok(Arc::new(catalog))
}

pub async fn run_price(args: PriceArgs, verbose: u8) -> Result<(), Failure> {
    let focus = FocusOptions {
        billing_account_id: args.billing_account_id.clone().unwrap_or_default(),
        billing_account_name: args.billing_account_name.clone().unwrap_or_default(),
        provider_name: args.provider_name.clone(),
        publisher_name: args.publisher_name.clone(),
        invoice_issuer_name: args.invoice_issuer_name.clone().unwrap_or_default(),
        catalog: catalog(&args.pricing)?,
    };
    let mut engine = engine(&args.pricing, focus)?;
    let format = match args.format {
        Some(FocusFileFormat::FocusCsv) => FocusFormat::Csv,
        Some(FocusFileFormat::FocusParquet) => FocusFormat::Parquet,
        None => FocusFormat::from_path(&args.output),
    };
    // A bad output path is refused before a long pull.
    azs_usage_pricing::OutputTarget::resolve(&args.output)?;
    let inputs = inputs(&args.pricing, &spool_folder(Some(&args.output)), verbose).await?;
    let started = Instant::now();
    let report = price_to_focus(
        &mut engine,
        &inputs.files,
        &args.output,
        format,
        args.pricing.strict,
        args.unpriced_output.as_deref(),
    )
    .map_err(Failure::from)?;
    eprintln!(
        "azs-usage: {} records priced into {} ({}), billed cost {} {} ({:.1}s)",
        report.run.priced,
        report.output.display(),
        if format == FocusFormat::Parquet { "FOCUS 1.2 Parquet" } else { "FOCUS 1.2 CSV" },
        report.billed_cost.normalize(),
        report.currency,
        started.elapsed().as_secs_f64()
    );
    if let Some(side) = &report.unpriced_file {
        eprintln!("azs-usage: warning: {}; they are in {}", report.unpriced.describe(), side.display());
    }
    Ok(())
}

pub async fn run_cost(args: CostArgs, verbose: u8) -> Result<(), Failure> {
    let group_by: Vec<GroupKey> =
        args.group_by.iter().map(|k| k.parse()).collect::<Result<_, String>>().map_err(Failure::bad_input)?;
    let period: Period = args.period.parse().map_err(|e: String| Failure::bad_input(format!("--period: {e}")))?;
    let focus = FocusOptions { catalog: catalog(&args.pricing)?, ..FocusOptions::default() };
    let mut engine = engine(&args.pricing, focus)?;
    if let Some(out) = &args.output {
        azs_usage_pricing::OutputTarget::resolve(out)?;
    }
    let inputs = inputs(&args.pricing, &spool_folder(args.output.as_deref()), verbose).await?;
    let (summary, run) =
        summarize(&mut engine, &inputs.files, group_by, period, args.pricing.strict).map_err(Failure::from)?;

    let mut text = Vec::new();
    match args.format {
        SummaryFormat::Csv => {
            let mut csv = csv::Writer::from_writer(&mut text);
            let io = |e: csv::Error| Failure::internal(format!("cannot write the summary: {e}"));
            csv.write_record(summary.header()).map_err(io)?;
            for row in summary.rows() {
                csv.write_record(summary.cells(&row)).map_err(io)?;
            }
            csv.flush().map_err(|e| Failure::internal(e.to_string()))?;
        }
        SummaryFormat::Json => {
            let rows: Vec<serde_json::Value> = summary.rows().iter().map(|r| summary.json(r)).collect();
            serde_json::to_writer_pretty(&mut text, &rows).map_err(|e| Failure::internal(e.to_string()))?;
            text.push(b'\n');
        }
    }
    match &args.output {
        None => std::io::stdout()
            .write_all(&text)
            .map_err(|e| Failure::internal(format!("cannot write the summary: {e}")))?,
        Some(path) => {
            let mut out = azs_usage_pricing::create_output(path).map_err(Failure::from)?;
            out.write_all(&text).map_err(|e| Failure::internal(format!("cannot write {}: {e}", path.display())))?;
            azs_usage_pricing::commit_output(out).map_err(Failure::from)?;
        }
    }
    eprintln!("azs-usage: {} records, {} priced, {} unpriced", run.records, run.priced, run.unpriced);
    if !engine.unpriced().is_empty() {
        eprintln!(
            "azs-usage: warning: {} (counted as UnpricedRecords, not in the costs)",
            engine.unpriced().describe()
        );
    }
    Ok(())
}
