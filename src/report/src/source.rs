//! Where a report's rows come from: a FOCUS file written by `price` (with its unpriced side
//! file), or the FOCUS cost rows a sync stored in the billing database (with the usage that has
//! no cost row). Both feed one [`ReportBuilder`], so both give the same figures for the same rows.

use std::path::{Path, PathBuf};

use azs_usage_core::{Granularity, HasReason};
use azs_usage_store::{CostQuery, DatabaseUrl, Store};
use tokio::sync::mpsc;

use crate::error::{Error, Result};
use crate::period::Period;
use crate::{Report, ReportBuilder, ReportOptions};

/// The rows of a report.
#[derive(Debug, Clone)]
pub enum ReportSource {
    /// A FOCUS CSV or Parquet file, and the usage that had no price: `unpriced`, else
    /// `<input>.unpriced.csv` when `price` left one beside it.
    File {
        /// The FOCUS file.
        input: PathBuf,
        /// The unpriced usage records (record schema CSV or NDJSON).
        unpriced: Option<PathBuf>,
    },
    /// The billing database a sync with `--rate-card` keeps.
    Database {
        /// Its URL (shown only through its password-hiding `Display`).
        url: DatabaseUrl,
        /// Which granularity to read; `None`: the one the period holds.
        granularity: Option<Granularity>,
    },
}

impl ReportSource {
    /// How the report's header names the source: the file, or the URL without its password.
    pub fn label(&self) -> String {
        match self {
            ReportSource::File { input, .. } => input.display().to_string(),
            ReportSource::Database { url, .. } => url.to_string(),
        }
    }
}

/// A rendered report and what the reader should know about its input.
#[derive(Debug, Clone)]
pub struct BuiltReport {
    /// The pages.
    pub report: Report,
    /// Things that make figures incomplete, for a warning each (months whose stored costs are out
    /// of date).
    pub warnings: Vec<String>,
}

impl Error {
    /// Keeps another layer's error with its reason, message and cause.
    pub(crate) fn from_layer(e: impl HasReason + Send + Sync + 'static) -> Error {
        Error::with_reason(e.reason(), e.to_string()).with_source(e)
    }
}

/// Reads `source` in one streaming pass and renders the report (the header names the source by
/// [`ReportSource::label`]).
pub async fn build_report(source: &ReportSource, mut options: ReportOptions) -> Result<BuiltReport> {
    options.source = source.label();
    match source {
        ReportSource::File { input, unpriced } => {
            let mut builder = ReportBuilder::new(options);
            add_file(&mut builder, input, unpriced.as_deref())?;
            Ok(BuiltReport { report: builder.finish()?, warnings: Vec::new() })
        }
        ReportSource::Database { url, granularity } => {
            let (start, end) = match options.period {
                Period::All => (None, None),
                Period::Range { start, end } => (Some(start), Some(end)),
            };
            let query = CostQuery { start, end, granularity: *granularity };
            let store = Store::open_read_only(url).await.map_err(Error::from_layer)?;
            let scope = store.cost_scope(&query).await.map_err(Error::from_layer)?;
            let warnings = scope
                .stale_months
                .iter()
                .map(|m| {
                    format!(
                        "{m}: the usage changed after its costs were computed (or they never were), so its cost rows \
                         are out of date and its unpriced usage is not counted; run `azs-usage sync --rate-card ...` \
                         to recompute them"
                    )
                })
                .collect();
            let mut builder = ReportBuilder::new(options);
            let (tx, mut rx) = mpsc::channel(2);
            let (read, summed) = tokio::join!(store.stream_cost_rows(&scope, tx), async {
                while let Some(batch) = rx.recv().await {
                    for row in &batch {
                        builder.add_row(row)?;
                    }
                }
                Ok::<_, Error>(())
            });
            summed?;
            read.map_err(Error::from_layer)?;
            let (tx, mut rx) = mpsc::channel(2);
            let (read, ()) = tokio::join!(store.stream_unpriced(&scope, tx), async {
                while let Some(batch) = rx.recv().await {
                    for record in &batch {
                        builder.add_unpriced(record);
                    }
                }
            });
            read.map_err(Error::from_layer)?;
            Ok(BuiltReport { report: builder.finish()?, warnings })
        }
    }
}

/// Adds a FOCUS file's rows and its unpriced usage to `builder`.
fn add_file(builder: &mut ReportBuilder, input: &Path, unpriced: Option<&Path>) -> Result<()> {
    for row in azs_usage_pricing::read_focus(input).map_err(Error::from_layer)? {
        builder.add_row(&row.map_err(Error::from_layer)?)?;
    }
    let beside = azs_usage_pricing::unpriced_path(input);
    let unpriced = match unpriced {
        Some(path) => Some(path.to_path_buf()),
        None => beside.is_file().then_some(beside),
    };
    if let Some(path) = unpriced {
        for record in azs_usage_pricing::read_usage(&path).map_err(Error::from_layer)? {
            builder.add_unpriced(&record.map_err(Error::from_layer)?);
        }
    }
    Ok(())
}
