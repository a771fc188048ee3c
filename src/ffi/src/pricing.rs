//! Pricing through the C ABI: rate cards (`Import-UsageRateCard`) and a pricing job that takes usage records in
//! batches and prices them at the end (`ConvertTo-FocusCost`, `Measure-UsageCost`).
//!
//! Pricing needs every record before it can price the first one (included quantity and tiers are consumed in order of
//! usage start, then resource URI), so the job spools the records it receives to a temporary CSV file in the record
//! schema's form, then runs the pricing crate's own file jobs (`price_to_focus`, `summarize`) over it: the cmdlets
//! price exactly as `azs-usage price` / `azs-usage cost` do, and memory stays flat in the number of records (the spool
//! is on disk; pricing keeps a compact key per record). FOCUS rows go back the same way, page by page from a
//! temporary FOCUS CSV, so the cells are the CLI's text.

#![allow(clippy::result_large_err)] // ErrorDto is the wire error, built once per failed call; boxing it buys nothing here

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use azs_usage_core::{FIELD_NAMES, format_decimal, format_instant};
use azs_usage_pricing::{
    CostEngine, Directory, FOCUS_COLUMNS, FocusFormat, FocusOptions, GroupKey, Period, PriceRow, RateCard,
    RateCardOptions, Reason, RecordCsvWriter, Scope, Warning, price_to_focus, read_usage, record_from_fields,
    summarize,
};
use interoptopus::ffi;
use interoptopus::wire::Wire;
use rust_decimal::Decimal;

use crate::convert::{error_of, opt};
use crate::dto::ErrorDto;
use crate::{NativeStatus, guarded};

/// One row of a rate card, normalised, as text (decimals plain, instants ISO 8601 UTC, empty when open).
#[ffi]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriceRowDto {
    /// The meter id as written.
    pub meter_id: String,
    /// Price of `block_size` units.
    pub unit_price: String,
    /// ISO 4217 code.
    pub currency: String,
    /// Units per priced block.
    pub block_size: String,
    /// Free quantity per subscription per calendar month.
    pub included_quantity: String,
    /// Cumulative monthly quantity from which this price applies.
    pub tier_start: String,
    /// First usage start the price applies to, or empty.
    pub effective_from: String,
    /// First usage start it no longer applies to, or empty.
    pub effective_to: String,
    /// `*`, `offer:NAME` or `subscription:ID`.
    pub scope: String,
    /// Informational meter name.
    pub meter_name: String,
    /// The priced unit, or empty.
    pub unit: String,
    /// Informational.
    pub description: String,
    /// Line of the source file (0: none).
    pub line: u64,
}

/// A warning about a rate card (it does not stop pricing).
#[ffi]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WarningDto {
    /// `DoubleBilling`, `UnknownColumn`, `InexactBlockSize`, `MeterMapIgnored`.
    pub code: String,
    /// The whole warning, with file and line, for `WriteWarning`.
    pub message: String,
}

/// A loaded rate card, or why it could not be loaded.
#[ffi]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateCardOutcome {
    /// The file, as given.
    pub source: String,
    /// The card's one currency.
    pub currency: String,
    /// The distinct meters priced, as SKU ids, in first-seen order.
    pub meters: Vec<String>,
    /// The normalised rows.
    pub rows: Vec<PriceRowDto>,
    /// Warnings of the loader.
    pub warnings: Vec<WarningDto>,
    /// Set (one element) when the card is unusable; every problem (file, line, column) is in its message.
    pub error: Vec<ErrorDto>,
}

/// The rate card and directory a pricing job uses.
#[ffi]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PricingSetupDto {
    /// A rate card file (CSV or Azure RateCard JSON); ignored when `rows` is not empty.
    pub rate_card_path: String,
    /// Azure RateCard JSON only: the meter mapping file, or empty.
    pub meter_map: String,
    /// The rows of a card loaded before (`RateCardOutcome.rows`), validated again; with `rate_card_source`.
    pub rows: Vec<PriceRowDto>,
    /// Where `rows` came from (shown in messages).
    pub rate_card_source: String,
    /// The tenant directory file (`azs-usage subscriptions` CSV, `Export-Csv` of `Get-UsageSubscription`), or empty.
    pub directory: String,
    /// Folder for the temporary spool of the records (empty: the system's temporary folder).
    pub spool_folder: String,
}

/// The outcome of a call that only succeeds or fails.
#[ffi]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PricingStatus {
    /// Records received so far.
    pub records: u64,
    /// The card's currency (set by `setup`).
    pub currency: String,
    /// Warnings (set by `setup`).
    pub warnings: Vec<WarningDto>,
    /// Set (one element) when the call failed.
    pub error: Vec<ErrorDto>,
}

/// One row of text cells: a usage record's 17 schema fields (`FIELD_NAMES` order), or a FOCUS row's cells
/// (`FOCUS_COLUMNS` order).
#[ffi]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextRowDto {
    /// The cells.
    pub cells: Vec<String>,
}

/// A batch of usage records from the pipeline.
#[ffi]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordBatchDto {
    /// The records, each as the 17 schema fields' text (the forms a usage CSV accepts).
    pub records: Vec<TextRowDto>,
}

/// Usage files to price (the CLI's CSV / NDJSON / JSON, `Export-Csv` files).
#[ffi]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathListDto {
    /// Full paths.
    pub paths: Vec<String>,
}

/// What to write.
#[ffi]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriceRequestDto {
    /// The FOCUS file (`.parquet` / `.pq`: Parquet, else CSV); empty: rows are handed back by `next_rows`.
    pub output: String,
    /// The unpriced side file; empty: `<output>.unpriced.csv` with an output, none without.
    pub unpriced_output: String,
    /// 1: unpriced usage is an error (`UnpricedUsage`), nothing is written.
    pub strict: u8,
}

/// Unpriced usage of one meter.
#[ffi]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnpricedMeterDto {
    /// The meter id.
    pub meter_id: String,
    /// Its name, or empty.
    pub meter_name: String,
    /// Records without a price.
    pub records: u64,
    /// Their quantity (plain decimal).
    pub quantity: String,
}

/// What a pricing run did.
#[ffi]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriceOutcome {
    /// The FOCUS column names, in file order.
    pub columns: Vec<String>,
    /// The FOCUS file written (empty when rows are handed back).
    pub output: String,
    /// The unpriced side file written, or empty.
    pub unpriced_file: String,
    /// Records read.
    pub records: u64,
    /// Records priced.
    pub priced: u64,
    /// Records without an effective price.
    pub unpriced: u64,
    /// Sum of `BilledCost` (plain decimal).
    pub billed_cost: String,
    /// The card's currency.
    pub currency: String,
    /// One line on the unpriced usage (records, meters, quantity); empty when everything was priced.
    pub unpriced_summary: String,
    /// Unpriced usage by meter.
    pub unpriced_meters: Vec<UnpricedMeterDto>,
    /// Set (one element) when the run failed; nothing was written.
    pub error: Vec<ErrorDto>,
}

/// A page of FOCUS rows.
#[ffi]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FocusPageDto {
    /// The rows, each with the cells of `FOCUS_COLUMNS`, as the FOCUS CSV writes them (null = empty).
    pub rows: Vec<TextRowDto>,
    /// 1 when no rows are left.
    pub done: u8,
    /// Set when reading failed.
    pub error: Vec<ErrorDto>,
}

/// A grouped summary to compute.
#[ffi]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SummaryRequestDto {
    /// `subscription`, `tenant`, `offer`, `resource-group`, `resource`, `meter`, `category`, `location`, `tag:KEY`.
    pub group_by: Vec<String>,
    /// `none`, `day` or `month` (empty: none).
    pub period: String,
    /// 1: unpriced usage is an error (`UnpricedUsage`).
    pub strict: u8,
}

/// One group of a summary.
#[ffi]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SummaryRowDto {
    /// The group's values, in `group_by` order.
    pub keys: Vec<String>,
    /// `YYYY-MM-DD`, `YYYY-MM`, or empty.
    pub period: String,
    /// Records of the group, priced and unpriced.
    pub records: u64,
    /// Sum of `ListCost` (plain decimal).
    pub list_cost: String,
    /// Sum of `ContractedCost`.
    pub contracted_cost: String,
    /// Sum of `BilledCost`.
    pub billed_cost: String,
    /// The card's currency.
    pub currency: String,
    /// Records of the group without an effective price.
    pub unpriced_records: u64,
}

/// A grouped summary, or why it failed.
#[ffi]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SummaryOutcome {
    /// The key names (`azs-usage cost`'s header for them: `subscription`, `tag:CostCenter`, ...).
    pub keys: Vec<String>,
    /// The groups, sorted by key and period.
    pub rows: Vec<SummaryRowDto>,
    /// Records read.
    pub records: u64,
    /// Records without an effective price.
    pub unpriced: u64,
    /// One line on the unpriced usage; empty when everything was priced.
    pub unpriced_summary: String,
    /// Set (one element) when it failed.
    pub error: Vec<ErrorDto>,
}

/// The free function of this module (`#[ffi]` generates an undocumented, non-Debug companion item for it).
mod export {
    #![allow(missing_docs, missing_debug_implementations)]
    use super::*;

    /// Loads and validates a rate card (CSV, or Azure RateCard JSON with an optional meter map).
    #[ffi]
    pub fn azs_rate_card_load(
        mut path: Wire<String>,
        mut meter_map: Wire<String>,
    ) -> ffi::Result<Wire<RateCardOutcome>, NativeStatus> {
        guarded(|| {
            let path = path.unwire();
            let options = RateCardOptions { meter_map: opt(&meter_map.unwire()).map(PathBuf::from) };
            let out = match RateCard::load(Path::new(&path), &options) {
                Ok((card, warnings)) => RateCardOutcome {
                    source: path,
                    currency: card.currency().to_string(),
                    meters: meters(card.rows()),
                    rows: card.rows().iter().map(price_row).collect(),
                    warnings: warnings.iter().map(warning).collect(),
                    error: Vec::new(),
                },
                Err(e) => RateCardOutcome {
                    source: path,
                    currency: String::new(),
                    meters: Vec::new(),
                    rows: Vec::new(),
                    warnings: Vec::new(),
                    error: vec![pricing_error(&e)],
                },
            };
            Wire::from(out)
        })
    }
}
pub use export::azs_rate_card_load;

/// A pricing job: `setup` (card, directory), then records in batches (`add_records`, `add_files`), then one of
/// `price` (a FOCUS file, or rows read back with `next_rows`) or `summarize`.
#[ffi(service)]
pub struct PricingJob {
    state: Mutex<JobState>,
}

impl std::fmt::Debug for PricingJob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PricingJob").finish_non_exhaustive()
    }
}

#[derive(Default)]
struct JobState {
    engine: Option<CostEngine>,
    spool_folder: PathBuf,
    /// The temporary record spool (removed when dropped) and its writer, once a batch arrived.
    spool: Option<(tempfile::TempPath, Option<RecordCsvWriter>)>,
    files: Vec<PathBuf>,
    records: u64,
    /// Rows priced into a temporary FOCUS CSV, read back page by page.
    rows: Option<(tempfile::TempPath, csv::Reader<BufReader<File>>)>,
    /// A priced or summarised job cannot take more records.
    finished: bool,
}

#[ffi]
impl PricingJob {
    /// An empty job.
    pub fn create() -> ffi::Result<Self, NativeStatus> {
        guarded(|| PricingJob { state: Mutex::new(JobState::default()) })
    }

    /// Loads the rate card (a file, or rows loaded before) and the directory. Gives the currency and the card's
    /// warnings, or the error that makes the job unusable.
    pub fn setup(&self, mut setup: Wire<PricingSetupDto>) -> ffi::Result<Wire<PricingStatus>, NativeStatus> {
        guarded(|| {
            let s = setup.unwire();
            Wire::from(self.with_state(|state| state.setup(s)))
        })
    }

    /// Appends a batch of pipeline records. A record that cannot be read fails the call, naming the record (its
    /// number in the pipeline, 1-based), the field and what is wrong.
    pub fn add_records(&self, mut batch: Wire<RecordBatchDto>) -> ffi::Result<Wire<PricingStatus>, NativeStatus> {
        guarded(|| {
            let b = batch.unwire();
            Wire::from(self.with_state(|state| state.add_records(b)))
        })
    }

    /// Adds usage files (read at pricing time; opened now, so a missing or unreadable file fails at once).
    pub fn add_files(&self, mut files: Wire<PathListDto>) -> ffi::Result<Wire<PricingStatus>, NativeStatus> {
        guarded(|| {
            let f = files.unwire();
            Wire::from(self.with_state(|state| state.add_files(f)))
        })
    }

    /// Prices everything received into a FOCUS file (`output`), or, with no output, into rows for `next_rows`.
    pub fn price(&self, mut request: Wire<PriceRequestDto>) -> ffi::Result<Wire<PriceOutcome>, NativeStatus> {
        guarded(|| {
            let r = request.unwire();
            let out = match self.state.lock() {
                Ok(mut state) => state.price(r),
                Err(_) => price_failed(busy()),
            };
            Wire::from(out)
        })
    }

    /// The next (at most `max`) FOCUS rows of `price` without an output; `done = 1` when none are left.
    pub fn next_rows(&self, max: u32) -> ffi::Result<Wire<FocusPageDto>, NativeStatus> {
        guarded(|| {
            let out = match self.state.lock() {
                Ok(mut state) => state.next_rows(max.max(1) as usize),
                Err(_) => FocusPageDto { rows: Vec::new(), done: 1, error: vec![busy()] },
            };
            Wire::from(out)
        })
    }

    /// A grouped summary of everything received, as `azs-usage cost` computes it.
    pub fn summarize(&self, mut request: Wire<SummaryRequestDto>) -> ffi::Result<Wire<SummaryOutcome>, NativeStatus> {
        guarded(|| {
            let r = request.unwire();
            let out = match self.state.lock() {
                Ok(mut state) => state.summarize(r),
                Err(_) => summary_failed(busy()),
            };
            Wire::from(out)
        })
    }
}

impl PricingJob {
    fn with_state(&self, f: impl FnOnce(&mut JobState) -> Result<PricingStatus, ErrorDto>) -> PricingStatus {
        let result = match self.state.lock() {
            Ok(mut state) => {
                let records = state.records;
                f(&mut state).map_err(|e| (e, records))
            }
            Err(_) => Err((busy(), 0)),
        };
        result.unwrap_or_else(|(e, records)| PricingStatus {
            records,
            currency: String::new(),
            warnings: Vec::new(),
            error: vec![e],
        })
    }
}

impl JobState {
    fn status(&self) -> PricingStatus {
        PricingStatus { records: self.records, currency: String::new(), warnings: Vec::new(), error: Vec::new() }
    }

    fn setup(&mut self, s: PricingSetupDto) -> Result<PricingStatus, ErrorDto> {
        if self.engine.is_some() {
            return Err(error_of(Reason::InternalError, "the pricing job is set up already"));
        }
        let (card, warnings) = if s.rows.is_empty() {
            let options = RateCardOptions { meter_map: opt(&s.meter_map).map(PathBuf::from) };
            RateCard::load(Path::new(&s.rate_card_path), &options).map_err(|e| pricing_error(&e))?
        } else {
            let rows = s.rows.iter().map(|r| row_from_dto(r, &s.rate_card_source)).collect::<Result<Vec<_>, _>>()?;
            RateCard::from_rows(&s.rate_card_source, rows).map_err(|e| pricing_error(&e))?
        };
        let directory = match opt(&s.directory) {
            Some(path) => Directory::load_csv(Path::new(&path)).map_err(|e| pricing_error(&e))?,
            None => Directory::empty(),
        };
        let currency = card.currency().to_string();
        self.engine = Some(CostEngine::new(Arc::new(card), Arc::new(directory), FocusOptions::default()));
        self.spool_folder = opt(&s.spool_folder).map(PathBuf::from).unwrap_or_else(std::env::temp_dir);
        Ok(PricingStatus { currency, warnings: warnings.iter().map(warning).collect(), ..self.status() })
    }

    fn ready(&self) -> Result<(), ErrorDto> {
        if self.engine.is_none() {
            return Err(error_of(Reason::InternalError, "the pricing job has no rate card (call setup first)"));
        }
        if self.finished {
            return Err(error_of(Reason::InternalError, "the pricing job has run already; start a new one"));
        }
        Ok(())
    }

    fn add_records(&mut self, batch: RecordBatchDto) -> Result<PricingStatus, ErrorDto> {
        self.ready()?;
        if self.spool.is_none() {
            let path = tempfile::Builder::new()
                .prefix(".azs-usage-pipeline-")
                .suffix(".csv")
                .tempfile_in(&self.spool_folder)
                .map_err(|e| {
                    error_of(
                        Reason::OutputPathInvalid,
                        format!(
                            "cannot create the temporary file for the pipeline's records in {}: {e}; free some space or make the folder writable",
                            self.spool_folder.display()
                        ),
                    )
                })?
                .into_temp_path();
            let writer = RecordCsvWriter::create(&path).map_err(|e| pricing_error(&e))?;
            self.spool = Some((path, Some(writer)));
        }
        let Some((_, Some(writer))) = self.spool.as_mut() else {
            return Err(error_of(Reason::InternalError, "the record spool is closed"));
        };
        for row in &batch.records {
            let number = self.records + 1;
            let get = |name: &str| -> &str {
                FIELD_NAMES.iter().position(|f| *f == name).and_then(|i| row.cells.get(i)).map_or("", |s| s.as_str())
            };
            let record = record_from_fields(get).map_err(|(column, message)| {
                error_of(
                    Reason::UsageFileInvalid,
                    format!("pipeline input, record {number}, property {column}: {message}"),
                )
            })?;
            writer.write(&record).map_err(|e| pricing_error(&e))?;
            self.records += 1;
        }
        Ok(self.status())
    }

    fn add_files(&mut self, files: PathListDto) -> Result<PricingStatus, ErrorDto> {
        self.ready()?;
        for path in files.paths {
            let path = PathBuf::from(path);
            read_usage(&path).map_err(|e| pricing_error(&e))?;
            self.files.push(path);
        }
        Ok(self.status())
    }

    /// Closes the spool; the inputs in order: the files, then the pipeline's records.
    fn inputs(&mut self) -> Result<Vec<PathBuf>, ErrorDto> {
        self.ready()?;
        self.finished = true;
        let mut inputs = self.files.clone();
        if let Some((path, writer)) = self.spool.as_mut() {
            if let Some(w) = writer.take() {
                w.finish().map_err(|e| pricing_error(&e))?;
            }
            inputs.push(path.to_path_buf());
        }
        Ok(inputs)
    }

    fn price(&mut self, r: PriceRequestDto) -> PriceOutcome {
        match self.price_inner(r) {
            Ok(out) => out,
            Err(e) => price_failed(e),
        }
    }

    fn price_inner(&mut self, r: PriceRequestDto) -> Result<PriceOutcome, ErrorDto> {
        let inputs = self.inputs()?;
        let spool_folder = self.spool_folder.clone();
        let engine = self.engine.as_mut().ok_or_else(busy)?;
        let (output, format, rows_file) = match opt(&r.output) {
            Some(out) => {
                let path = PathBuf::from(out);
                let format = FocusFormat::from_path(&path);
                (path, format, None)
            }
            None => {
                let temp = tempfile::Builder::new()
                    .prefix(".azs-usage-focus-")
                    .suffix(".csv")
                    .tempfile_in(&spool_folder)
                    .map_err(|e| {
                        error_of(
                            Reason::OutputPathInvalid,
                            format!("cannot create a temporary file in {}: {e}", spool_folder.display()),
                        )
                    })?
                    .into_temp_path();
                (temp.to_path_buf(), FocusFormat::Csv, Some(temp))
            }
        };
        // Without an output, unpriced usage goes to the named side file only (else it is reported, not written):
        // a temporary side file that is removed again.
        let side_temp = match (&rows_file, opt(&r.unpriced_output)) {
            (Some(_), None) => tempfile::TempPath::try_from_path(azs_usage_pricing::unpriced_path(&output)).ok(),
            _ => None,
        };
        let unpriced_output = opt(&r.unpriced_output).map(PathBuf::from);
        let report = price_to_focus(engine, &inputs, &output, format, r.strict != 0, unpriced_output.as_deref())
            .map_err(|e| pricing_error(&e))?;
        drop(side_temp);
        self.spool = None; // the records are priced: free the disk now, not when the job is dropped
        let unpriced = engine.unpriced();
        let outcome = PriceOutcome {
            columns: FOCUS_COLUMNS.iter().map(|c| c.to_string()).collect(),
            output: if rows_file.is_some() { String::new() } else { report.output.display().to_string() },
            unpriced_file: match (&rows_file, &report.unpriced_file, &unpriced_output) {
                (Some(_), _, None) => String::new(),
                (_, Some(p), _) => p.display().to_string(),
                (_, None, Some(p)) => p.display().to_string(),
                (_, None, None) => String::new(),
            },
            records: report.run.records,
            priced: report.run.priced,
            unpriced: report.run.unpriced,
            billed_cost: format_decimal(&report.billed_cost.normalize()),
            currency: report.currency.clone(),
            unpriced_summary: if unpriced.is_empty() { String::new() } else { unpriced.describe() },
            unpriced_meters: unpriced
                .meters()
                .map(|m| UnpricedMeterDto {
                    meter_id: m.meter_id.clone(),
                    meter_name: m.meter_name.clone(),
                    records: m.records,
                    quantity: format_decimal(&m.quantity.normalize()),
                })
                .collect(),
            error: Vec::new(),
        };
        if let Some(temp) = rows_file {
            let file = File::open(&temp)
                .map_err(|e| error_of(Reason::OutputWriteFailed, format!("cannot read back the priced rows: {e}")))?;
            let reader =
                csv::ReaderBuilder::new().has_headers(true).from_reader(BufReader::with_capacity(1 << 16, file));
            self.rows = Some((temp, reader));
        }
        Ok(outcome)
    }

    fn next_rows(&mut self, max: usize) -> FocusPageDto {
        let Some((_, reader)) = self.rows.as_mut() else {
            return FocusPageDto { rows: Vec::new(), done: 1, error: Vec::new() };
        };
        let mut rows = Vec::with_capacity(max.min(4096));
        let mut record = csv::StringRecord::new();
        while rows.len() < max {
            match reader.read_record(&mut record) {
                Ok(true) => rows.push(TextRowDto { cells: record.iter().map(str::to_string).collect() }),
                Ok(false) => {
                    self.rows = None; // removes the temporary file
                    return FocusPageDto { rows, done: 1, error: Vec::new() };
                }
                Err(e) => {
                    self.rows = None;
                    return FocusPageDto {
                        rows: Vec::new(),
                        done: 1,
                        error: vec![error_of(Reason::InternalError, format!("cannot read back the priced rows: {e}"))],
                    };
                }
            }
        }
        FocusPageDto { rows, done: 0, error: Vec::new() }
    }

    fn summarize(&mut self, r: SummaryRequestDto) -> SummaryOutcome {
        match self.summarize_inner(r) {
            Ok(out) => out,
            Err(e) => summary_failed(e),
        }
    }

    fn summarize_inner(&mut self, r: SummaryRequestDto) -> Result<SummaryOutcome, ErrorDto> {
        let group_by = r
            .group_by
            .iter()
            .map(|k| k.parse::<GroupKey>())
            .collect::<Result<Vec<_>, String>>()
            .map_err(|e| error_of(Reason::InvalidArgument, format!("-GroupBy: {e}")))?;
        if group_by.is_empty() {
            return Err(error_of(Reason::InvalidArgument, "-GroupBy: name at least one grouping"));
        }
        let period = match opt(&r.period) {
            Some(p) => p.parse::<Period>().map_err(|e| error_of(Reason::InvalidArgument, format!("-Period: {e}")))?,
            None => Period::None,
        };
        let keys = group_by.iter().map(|k| k.to_string()).collect();
        let inputs = self.inputs()?;
        let engine = self.engine.as_mut().ok_or_else(busy)?;
        let (summary, run) =
            summarize(engine, &inputs, group_by, period, r.strict != 0).map_err(|e| pricing_error(&e))?;
        self.spool = None;
        let unpriced = engine.unpriced();
        Ok(SummaryOutcome {
            keys,
            rows: summary
                .rows()
                .into_iter()
                .map(|row| SummaryRowDto {
                    keys: row.keys,
                    period: row.period,
                    records: row.records,
                    list_cost: format_decimal(&row.list_cost),
                    contracted_cost: format_decimal(&row.contracted_cost),
                    billed_cost: format_decimal(&row.billed_cost),
                    currency: row.currency,
                    unpriced_records: row.unpriced_records,
                })
                .collect(),
            records: run.records,
            unpriced: run.unpriced,
            unpriced_summary: if unpriced.is_empty() { String::new() } else { unpriced.describe() },
            error: Vec::new(),
        })
    }
}

fn busy() -> ErrorDto {
    error_of(Reason::InternalError, "the pricing job is unusable after an earlier failure; start a new one")
}

fn price_failed(e: ErrorDto) -> PriceOutcome {
    PriceOutcome {
        columns: Vec::new(),
        output: String::new(),
        unpriced_file: String::new(),
        records: 0,
        priced: 0,
        unpriced: 0,
        billed_cost: String::new(),
        currency: String::new(),
        unpriced_summary: String::new(),
        unpriced_meters: Vec::new(),
        error: vec![e],
    }
}

fn summary_failed(e: ErrorDto) -> SummaryOutcome {
    SummaryOutcome {
        keys: Vec::new(),
        rows: Vec::new(),
        records: 0,
        unpriced: 0,
        unpriced_summary: String::new(),
        error: vec![e],
    }
}

/// A pricing error as a DTO: its reason, the whole text (summary line and every problem with file, line and
/// column), the first problem's rule name as the code, and each problem as a cause.
fn pricing_error(e: &azs_usage_pricing::Error) -> ErrorDto {
    let mut dto = error_of(e.reason(), e.to_string());
    dto.code = e.problems().first().map(|p| p.code.to_string()).unwrap_or_default();
    dto.causes = e.problems().iter().map(|p| p.to_string()).collect();
    dto
}

fn text_instant(t: &Option<chrono::DateTime<chrono::Utc>>) -> String {
    t.as_ref().map(format_instant).unwrap_or_default()
}

fn price_row(r: &PriceRow) -> PriceRowDto {
    PriceRowDto {
        meter_id: r.meter_id.clone(),
        unit_price: format_decimal(&r.unit_price),
        currency: r.currency.clone(),
        block_size: format_decimal(&r.block_size),
        included_quantity: format_decimal(&r.included_quantity),
        tier_start: format_decimal(&r.tier_start),
        effective_from: text_instant(&r.effective_from),
        effective_to: text_instant(&r.effective_to),
        scope: r.scope.to_string(),
        meter_name: r.meter_name.clone(),
        unit: r.unit.clone(),
        description: r.description.clone(),
        line: r.line,
    }
}

/// A row handed back by the module: the text `price_row` made, read back exactly.
fn row_from_dto(d: &PriceRowDto, source: &str) -> Result<PriceRow, ErrorDto> {
    let bad = |what: &str, text: &str| {
        error_of(
            Reason::RateCardInvalid,
            format!(
                "rate card {source}, line {}: the row's {what} '{text}' cannot be read back; load the card again with Import-UsageRateCard",
                d.line
            ),
        )
    };
    let dec = |what: &str, text: &str| Decimal::from_str_exact(text.trim()).map_err(|_| bad(what, text));
    let instant = |what: &str, text: &str| match opt(text) {
        None => Ok(None),
        Some(t) => azs_usage_core::parse_time(&t).map(Some).map_err(|_| bad(what, text)),
    };
    let mut row = PriceRow::new(d.meter_id.clone(), dec("UnitPrice", &d.unit_price)?, d.currency.clone());
    row.block_size = dec("BlockSize", &d.block_size)?;
    row.included_quantity = dec("IncludedQuantity", &d.included_quantity)?;
    row.tier_start = dec("TierStart", &d.tier_start)?;
    row.effective_from = instant("EffectiveFrom", &d.effective_from)?;
    row.effective_to = instant("EffectiveTo", &d.effective_to)?;
    row.scope = Scope::parse(&d.scope).map_err(|_| bad("Scope", &d.scope))?;
    row.meter_name = d.meter_name.clone();
    row.unit = d.unit.clone();
    row.description = d.description.clone();
    row.line = d.line;
    Ok(row)
}

fn warning(w: &Warning) -> WarningDto {
    WarningDto { code: w.code.to_string(), message: w.to_string() }
}

fn meters(rows: &[PriceRow]) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    rows.iter().map(|r| azs_usage_pricing::sku_id(&r.meter_id)).filter(|id| seen.insert(id.clone())).collect()
}
