//! Whole pricing jobs over files, as the CLI (and later the C ABI) runs them: usage files in,
//! a FOCUS file plus the unpriced side file out, or a grouped summary.
//!
//! Outputs appear under their final names only when the job completed; a failed job leaves
//! nothing behind (and an earlier side file of the same output is removed when the new run
//! has no unpriced usage, so it never describes another run).

use std::path::{Path, PathBuf};

use azs_usage_core::{FIELD_NAMES, UsageRecord};
use rust_decimal::Decimal;

use crate::engine::{CostEngine, Priced, PricingRun, UnpricedSummary, price_unordered};
use crate::error::{Error, Result, shown};
use crate::focus_write::{FocusFormat, FocusWriter};
use crate::output::{OutputFile, create_output, sibling};
use crate::summary::{GroupKey, Period, Summary};
use crate::usage_file::read_usage;

/// The unpriced side file of an output: `<output>.unpriced.csv`.
pub fn unpriced_path(output: &Path) -> PathBuf {
    sibling(output, ".unpriced.csv")
}

/// Writes usage records in the record schema's CSV form (the CLI's CSV), for the unpriced side
/// file and for spooled pulls.
#[derive(Debug)]
pub struct RecordCsvWriter {
    csv: csv::Writer<OutputFile>,
    target: String,
    records: u64,
}

impl RecordCsvWriter {
    /// Creates the file (a temporary file until [`RecordCsvWriter::finish`]).
    pub fn create(path: &Path) -> Result<RecordCsvWriter> {
        let target = shown(path);
        let mut csv = csv::Writer::from_writer(create_output(path)?);
        csv.write_record(FIELD_NAMES).map_err(|e| Error::output_write(&target, e))?;
        Ok(RecordCsvWriter { csv, target, records: 0 })
    }

    /// Writes one record.
    pub fn write(&mut self, record: &UsageRecord) -> Result<()> {
        self.records += 1;
        self.csv.write_record(record.text_fields()).map_err(|e| Error::output_write(&self.target, e))
    }

    /// Records written.
    pub fn records(&self) -> u64 {
        self.records
    }

    /// Completes the file under its name.
    pub fn finish(self) -> Result<PathBuf> {
        let target = self.target;
        self.csv.into_inner().map_err(|e| Error::output_write(&target, e.error()))?.commit()
    }
}

/// The records of several usage files, one after another.
pub fn read_usage_files(inputs: &[PathBuf]) -> impl Iterator<Item = Result<UsageRecord>> + '_ {
    inputs.iter().flat_map(|path| -> Box<dyn Iterator<Item = Result<UsageRecord>>> {
        match read_usage(path) {
            Ok(reader) => Box::new(reader),
            Err(e) => Box::new(std::iter::once(Err(e))),
        }
    })
}

/// What [`price_to_focus`] wrote.
#[derive(Debug, Clone)]
pub struct PriceReport {
    /// Records read, priced and unpriced.
    pub run: PricingRun,
    /// The FOCUS file.
    pub output: PathBuf,
    /// The unpriced side file, when there was unpriced usage.
    pub unpriced_file: Option<PathBuf>,
    /// Unpriced usage by meter.
    pub unpriced: UnpricedSummary,
    /// Sum of `BilledCost` over the FOCUS rows.
    pub billed_cost: Decimal,
    /// The rate card's currency.
    pub currency: String,
}

/// Prices usage files into a FOCUS file (`format`), with unpriced usage in
/// `<output>.unpriced.csv`. With `strict`, unpriced usage is an error and nothing is written.
pub fn price_to_focus(
    engine: &mut CostEngine,
    inputs: &[PathBuf],
    output: &Path,
    format: FocusFormat,
    strict: bool,
) -> Result<PriceReport> {
    let side = unpriced_path(output);
    let mut focus = FocusWriter::create(output, format)?;
    let mut unpriced: Option<RecordCsvWriter> = None;
    let mut billed = Decimal::ZERO;
    let run = price_unordered(
        engine,
        || Ok(read_usage_files(inputs)),
        strict,
        |record, outcome| match outcome {
            Priced::Row(row) => {
                billed += row.billed_cost;
                focus.write(&row)
            }
            Priced::Unpriced(_) => {
                let w = match &mut unpriced {
                    Some(w) => w,
                    None => unpriced.insert(RecordCsvWriter::create(&side)?),
                };
                w.write(record)
            }
        },
    )?;
    let output = focus.finish_file()?;
    let unpriced_file = match unpriced {
        Some(w) => Some(w.finish()?),
        None => {
            if side.is_file() {
                std::fs::remove_file(&side).map_err(|e| {
                    Error::output_write(&shown(&side), format!("cannot remove the side file of an earlier run: {e}"))
                })?;
            }
            None
        }
    };
    Ok(PriceReport {
        run,
        output,
        unpriced_file,
        unpriced: engine.unpriced().clone(),
        billed_cost: billed,
        currency: engine.currency().to_string(),
    })
}

/// Prices usage files into a grouped summary (priced and unpriced records of each group).
pub fn summarize(
    engine: &mut CostEngine,
    inputs: &[PathBuf],
    group_by: Vec<GroupKey>,
    period: Period,
    strict: bool,
) -> Result<(Summary, PricingRun)> {
    let mut summary = Summary::new(group_by, period, engine.currency());
    let directory = engine.directory_handle();
    let run = price_unordered(
        engine,
        || Ok(read_usage_files(inputs)),
        strict,
        |record, outcome| {
            match outcome {
                Priced::Row(row) => summary.add_row(&row),
                Priced::Unpriced(_) => summary.add_unpriced(record, directory.get(&record.subscription_id)),
            }
            Ok(())
        },
    )?;
    Ok((summary, run))
}
