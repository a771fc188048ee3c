//! The chargeback report and per-tenant statements: one self-contained HTML file (inline SVG
//! charts, no scripts, fonts or images fetched), built from FOCUS cost rows read from files or
//! from the billing database.
//!
//! ```no_run
//! # fn rows() -> Vec<azs_usage_pricing::FocusRow> { Vec::new() }
//! use azs_usage_report::{ReportInput, ReportOptions, Period, render};
//! let options = ReportOptions { period: Period::month("2026-11").unwrap(), ..ReportOptions::default() };
//! let report = render(ReportInput::from_rows(rows()), &options).unwrap();
//! std::fs::write("report.html", &report.html).unwrap();
//! ```
//!
//! Everything the pages show is summed in one pass ([`ReportBuilder`]), so a million rows cost a
//! few dictionaries of sums, not a million rows in memory, and the file holds aggregates only.
#![warn(missing_docs, unreachable_pub, missing_debug_implementations)]

mod aggregate;
mod browser;
mod charts;
mod error;
mod files;
mod money;
mod period;
mod source;
mod view;

use std::sync::Arc;

use azs_usage_core::{MeterCatalog, UsageRecord};
use azs_usage_pricing::FocusRow;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

pub use browser::Browser;
pub use error::{Error, Reason, Result};
pub use files::{WrittenStatement, check_output, write_report, write_statements};
pub use money::{Culture, apportion, apportion_to, minor_units};
pub use period::Period;
pub use source::{BuiltReport, ReportSource, build_report};

/// What to report and how.
#[derive(Debug, Clone)]
pub struct ReportOptions {
    /// Which rows count (by charge period start). Default: everything in the input.
    pub period: Period,
    /// Tag key for the "cost by tag" section (matched ignoring case); `None` lists the keys found.
    pub tag_key: Option<String>,
    /// How numbers are written.
    pub culture: Culture,
    /// The page title.
    pub title: String,
    /// The provider named on statements. Default: the rows' `InvoiceIssuerName`.
    pub provider_name: Option<String>,
    /// Where the rows came from, shown in the header (a file name, or a database URL without its
    /// password: the caller must not pass secrets).
    pub source: String,
    /// Render one statement per tenant too.
    pub statements: bool,
    /// How many resources the "top resources" and "untagged resources" tables list.
    pub top_resources: usize,
    /// The meter catalog that decides which meters are unknown.
    pub catalog: Arc<MeterCatalog>,
    /// The generation time shown (default: now), fixed in tests for reproducible pages.
    pub generated_at: Option<DateTime<Utc>>,
}

impl Default for ReportOptions {
    fn default() -> ReportOptions {
        ReportOptions {
            period: Period::All,
            tag_key: None,
            culture: Culture::default(),
            title: "Chargeback report".to_string(),
            provider_name: None,
            source: "FOCUS cost rows".to_string(),
            statements: false,
            top_resources: 20,
            catalog: Arc::new(MeterCatalog::builtin()),
            generated_at: None,
        }
    }
}

/// The rendered report.
#[derive(Debug, Clone)]
pub struct Report {
    /// The report page: one self-contained HTML document.
    pub html: String,
    /// One statement per tenant (empty unless [`ReportOptions::statements`]), largest first.
    pub statements: Vec<Statement>,
    /// The headline figures, exact.
    pub summary: Summary,
}

/// One tenant's statement.
#[derive(Debug, Clone)]
pub struct Statement {
    /// The tenant as the statement names it.
    pub tenant: String,
    /// The tenant's key: its directory tenant id, or `subscription:<id>` when the directory did not
    /// know the subscription.
    pub tenant_key: String,
    /// A file name without extension, unique among the statements (`statement-contoso.onmicrosoft.com`).
    pub file_stem: String,
    /// The exact billed total.
    pub billed: Decimal,
    /// The total as shown (rounded; the statements' shown totals add up to the report's).
    pub billed_shown: Decimal,
    /// The statement page: one self-contained HTML document.
    pub html: String,
}

/// The report's headline figures, exact (for a closing message, or the cmdlet's output object).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// The period as the report names it.
    pub period: String,
    /// The rows' currency (empty when there were no cost rows).
    pub currency: String,
    /// Sum of `BilledCost`.
    pub billed: Decimal,
    /// The billed total as shown: rounded to the currency's minor units (the statements' shown
    /// totals add up to it).
    pub billed_shown: Decimal,
    /// Sum of `ListCost`.
    pub list: Decimal,
    /// Sum of `ContractedCost`.
    pub contracted: Decimal,
    /// Cost rows in the period.
    pub rows: u64,
    /// Unpriced usage records in the period.
    pub unpriced_records: u64,
    /// Tenants with cost rows in the period.
    pub tenants: usize,
    /// Cost rows read (in the period or not).
    pub rows_read: u64,
    /// Unpriced records read (in the period or not).
    pub unpriced_read: u64,
}

/// The input of [`render`]: FOCUS cost rows and the usage that had no price (the pricing run's
/// unpriced side file, or the store's unpriced records), each a stream read once.
pub struct ReportInput<'a> {
    rows: Box<dyn Iterator<Item = Result<FocusRow>> + 'a>,
    unpriced: Box<dyn Iterator<Item = Result<UsageRecord>> + 'a>,
}

impl std::fmt::Debug for ReportInput<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReportInput").finish_non_exhaustive()
    }
}

impl<'a> ReportInput<'a> {
    /// Rows already in memory, or any infallible iterator of rows.
    pub fn from_rows(rows: impl IntoIterator<Item = FocusRow> + 'a) -> ReportInput<'a> {
        ReportInput::new(rows.into_iter().map(Ok))
    }

    /// A stream of rows that may fail (a file being read); the first error ends the report.
    pub fn new(rows: impl Iterator<Item = Result<FocusRow>> + 'a) -> ReportInput<'a> {
        ReportInput { rows: Box::new(rows), unpriced: Box::new(std::iter::empty()) }
    }

    /// Adds the unpriced usage records.
    pub fn with_unpriced(mut self, records: impl Iterator<Item = Result<UsageRecord>> + 'a) -> ReportInput<'a> {
        self.unpriced = Box::new(records);
        self
    }
}

/// Renders the report (and the statements, when asked) from `input` in one pass.
pub fn render(input: ReportInput<'_>, options: &ReportOptions) -> Result<Report> {
    let mut builder = ReportBuilder::new(options.clone());
    for row in input.rows {
        builder.add_row(&row?)?;
    }
    for record in input.unpriced {
        builder.add_unpriced(&record?);
    }
    builder.finish()
}

/// The streaming form of [`render`]: feed rows one at a time (by reference, so a caller can reuse
/// one buffer), then [`finish`](ReportBuilder::finish).
#[derive(Debug)]
pub struct ReportBuilder {
    options: ReportOptions,
    aggregate: aggregate::Aggregate,
}

impl ReportBuilder {
    /// A builder for `options`.
    pub fn new(options: ReportOptions) -> ReportBuilder {
        let aggregate = aggregate::Aggregate::new(options.period, options.tag_key.clone(), options.catalog.clone());
        ReportBuilder { options, aggregate }
    }

    /// Adds one FOCUS cost row. Fails (`FocusFileInvalid`) on a second currency.
    pub fn add_row(&mut self, row: &FocusRow) -> Result<()> {
        self.aggregate.add_row(row)
    }

    /// Adds one usage record that has no price.
    pub fn add_unpriced(&mut self, record: &UsageRecord) {
        self.aggregate.add_unpriced(record)
    }

    /// Renders the pages.
    pub fn finish(self) -> Result<Report> {
        let generated = self.options.generated_at.unwrap_or_else(Utc::now);
        let statements = if self.options.statements {
            view::render_statements(&self.aggregate, &self.options, generated)?
        } else {
            Vec::new()
        };
        let (html, summary) = view::render_report(&self.aggregate, &self.options, generated, statements.len())?;
        Ok(Report { html, statements, summary })
    }
}
