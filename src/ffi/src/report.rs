//! `Export-UsageReport` through the C ABI: the chargeback report (and the per-tenant statements)
//! from a FOCUS file or the billing database, with the options of `azs-usage report`.
// `#[ffi]` generates an undocumented, non-Debug companion item for every function.
#![allow(missing_docs, missing_debug_implementations)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use azs_usage_core::{Granularity, HasReason, MeterCatalog, Reason, format_decimal, parse_time, source_chain};
use azs_usage_report::{
    Browser, Culture, Period, ReportOptions, ReportSource, build_report, check_output, write_report, write_statements,
};
use azs_usage_store::DatabaseUrl;
use interoptopus::ffi;
use interoptopus::wire::Wire;

use crate::convert::{error_of, opt};
use crate::dto::ErrorDto;
use crate::{NativeStatus, guarded};

/// What to report and where to write it: the options of `azs-usage report`, as text (empty = not given). `Debug`
/// never shows the database password.
#[ffi]
#[derive(Clone, PartialEq, Eq)]
pub struct ReportRequestDto {
    /// The report file (HTML).
    pub report_path: String,
    /// A FOCUS file (CSV or Parquet); exclusive with `database`.
    pub focus_file: String,
    /// Unpriced usage records (default: `<input>.unpriced.csv` when it exists).
    pub unpriced: String,
    /// A database URL (`sqlite:PATH`, `postgres://USER@HOST:PORT/DB`); exclusive with `input`.
    pub database: String,
    /// CA certificates (PEM) for the PostgreSQL server.
    pub database_ca_file: String,
    /// The PostgreSQL password (the caller's `PGPASSWORD`: a process's own environment changes are not seen by
    /// the native library on every platform), or empty. Never echoed back.
    pub database_password: String,
    /// `Hourly` or `Daily` (database only; default: the one the period holds).
    pub granularity: String,
    /// `YYYY-MM`; exclusive with `from`/`to`.
    pub month: String,
    /// ISO 8601 start of the period (inclusive), with `to`.
    pub period_start: String,
    /// ISO 8601 end of the period (exclusive), with `from`.
    pub period_end: String,
    /// Tag key of the "cost by tag" section.
    pub tag: String,
    /// Number culture (`en-US`, `de-DE`, ...).
    pub culture: String,
    /// The folder for one statement per tenant, or empty for none.
    pub statements: String,
    /// The browser printing the statements to PDF (default: one found on the machine).
    pub browser: String,
    /// 1: statements as HTML only.
    pub no_pdf: u8,
    /// The provider named on statements.
    pub provider_name: String,
    /// The page title (default `Chargeback report`).
    pub title: String,
    /// A meter file (JSON or CSV) adding meters to the catalog.
    pub meters_file: String,
}

impl std::fmt::Debug for ReportRequestDto {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // A URL may carry a password too (`postgres://user:password@host/db`): only whether it is set is shown.
        let database = if self.database.contains('@') { "<set>" } else { self.database.as_str() };
        f.debug_struct("ReportRequestDto")
            .field("report_path", &self.report_path)
            .field("focus_file", &self.focus_file)
            .field("unpriced", &self.unpriced)
            .field("database", &database)
            .field("database_ca_file", &self.database_ca_file)
            .field("database_password", &crate::dto::redacted(&self.database_password))
            .field("granularity", &self.granularity)
            .field("month", &self.month)
            .field("period_start", &self.period_start)
            .field("period_end", &self.period_end)
            .field("tag", &self.tag)
            .field("culture", &self.culture)
            .field("statements", &self.statements)
            .field("browser", &self.browser)
            .field("no_pdf", &self.no_pdf)
            .field("provider_name", &self.provider_name)
            .field("title", &self.title)
            .field("meters_file", &self.meters_file)
            .finish()
    }
}

/// One statement written.
#[ffi]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementFileDto {
    /// The tenant as the statement names it.
    pub tenant: String,
    /// The HTML file.
    pub html: String,
    /// The PDF file, or empty when none was printed.
    pub pdf: String,
    /// The exact billed total (plain decimal text).
    pub billed: String,
    /// The total as shown, rounded to the currency's minor units.
    pub billed_shown: String,
}

/// The report written, its headline figures, or the error that prevented it.
#[ffi]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportOutcome {
    /// The report file, as written.
    pub path: String,
    /// The period as the report names it.
    pub period: String,
    /// The rows' currency (empty without cost rows).
    pub currency: String,
    /// Sum of `BilledCost` (plain decimal text).
    pub billed: String,
    /// The billed total as shown (rounded to the currency's minor units).
    pub billed_shown: String,
    /// Sum of `ListCost`.
    pub list: String,
    /// Sum of `ContractedCost`.
    pub contracted: String,
    /// Cost rows in the period.
    pub rows: u64,
    /// Unpriced usage records in the period.
    pub unpriced_records: u64,
    /// Tenants with cost rows.
    pub tenants: u32,
    /// The statements written, largest first.
    pub statements: Vec<StatementFileDto>,
    /// Things that make figures incomplete (out-of-date months of the database).
    pub warnings: Vec<String>,
    /// Set (one element) when the report failed; nothing else is then set.
    pub error: Vec<ErrorDto>,
}

/// Builds and writes the report (and the statements) described by `request`. Everything that can be
/// refused (period, culture, output path, browser, source) is refused before any row is read.
#[ffi]
pub fn azs_export_report(mut request: Wire<ReportRequestDto>) -> ffi::Result<Wire<ReportOutcome>, NativeStatus> {
    guarded(|| {
        let request = request.unwire();
        let outcome = export(&request).unwrap_or_else(|e| ReportOutcome { error: vec![*e], ..empty() });
        Wire::from(outcome)
    })
}

fn empty() -> ReportOutcome {
    ReportOutcome {
        path: String::new(),
        period: String::new(),
        currency: String::new(),
        billed: String::new(),
        billed_shown: String::new(),
        list: String::new(),
        contracted: String::new(),
        rows: 0,
        unpriced_records: 0,
        tenants: 0,
        statements: Vec::new(),
        warnings: Vec::new(),
        error: Vec::new(),
    }
}

/// Why a report was refused (boxed: an error DTO is large and the success path is the common one).
type Refused = Box<ErrorDto>;

fn refuse(reason: Reason, message: impl Into<String>) -> Refused {
    Box::new(error_of(reason, message))
}

fn layer(e: &(impl HasReason + 'static)) -> Refused {
    Box::new(layer_error(e))
}

/// Any layer's error as a DTO, its reason kept.
fn layer_error(e: &(impl HasReason + 'static)) -> ErrorDto {
    ErrorDto { causes: source_chain(e), ..error_of(e.reason(), e.to_string()) }
}

fn period(r: &ReportRequestDto) -> Result<Period, Refused> {
    let bad = |m: String| refuse(Reason::InvalidTimeRange, m);
    match (opt(&r.month), opt(&r.period_start), opt(&r.period_end)) {
        (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
            Err(refuse(Reason::InvalidArgument, "-Month and -From/-To are exclusive: pass one of them"))
        }
        (Some(month), None, None) => Period::month(&month).map_err(|e| bad(format!("-Month: {e}"))),
        (None, Some(from), Some(to)) => {
            let from = parse_time(&from).map_err(|e| bad(format!("-From: {}", e.message)))?;
            let to = parse_time(&to).map_err(|e| bad(format!("-To: {}", e.message)))?;
            Period::range(from, to).map_err(bad)
        }
        (None, Some(_), None) | (None, None, Some(_)) => {
            Err(bad("-From and -To go together: pass both, or -Month".to_string()))
        }
        (None, None, None) => Ok(Period::All),
    }
}

fn source(r: &ReportRequestDto) -> Result<ReportSource, Refused> {
    match (opt(&r.focus_file), opt(&r.database)) {
        (Some(input), None) => {
            Ok(ReportSource::File { input: PathBuf::from(input), unpriced: opt(&r.unpriced).map(PathBuf::from) })
        }
        (None, Some(url)) => {
            let password = opt(&r.database_password);
            let url = DatabaseUrl::parse_with_env(&url, |name| {
                if name == "PGPASSWORD" { password.clone() } else { std::env::var(name).ok() }
            })
            .map_err(|e| layer(&e))?
            .with_ca_file(opt(&r.database_ca_file).map(PathBuf::from));
            let granularity = match opt(&r.granularity) {
                Some(g) => Some(g.parse::<Granularity>().map_err(|e| refuse(e.reason, e.message))?),
                None => None,
            };
            Ok(ReportSource::Database { url, granularity })
        }
        (Some(_), Some(_)) => Err(refuse(Reason::InvalidArgument, "pass one of -InputPath or -Database, not both")),
        (None, None) => Err(refuse(Reason::InvalidArgument, "pass -InputPath FILE or -Database URL")),
    }
}

fn export(r: &ReportRequestDto) -> Result<ReportOutcome, Refused> {
    let period = period(r)?;
    let culture = match opt(&r.culture) {
        Some(c) => Culture::find(&c).map_err(|e| refuse(Reason::InvalidArgument, format!("-Culture: {e}")))?,
        None => Culture::default(),
    };
    let output = PathBuf::from(r.report_path.trim());
    if r.report_path.trim().is_empty() {
        return Err(refuse(Reason::OutputPathInvalid, "-Path is empty: pass the report file (HTML) to write"));
    }
    let source = source(r)?;
    check_output(&output).map_err(|e| layer(&e))?;
    let statements = opt(&r.statements).map(PathBuf::from);
    let browser = match (&statements, r.no_pdf != 0) {
        (Some(_), false) => Browser::find(opt(&r.browser).as_deref().map(Path::new)).map_err(|e| layer(&e))?,
        _ => None,
    };
    let mut catalog = MeterCatalog::builtin();
    if let Some(file) = opt(&r.meters_file) {
        catalog.load_file(Path::new(&file)).map_err(|e| layer(&e))?;
    }
    let options = ReportOptions {
        period,
        tag_key: opt(&r.tag),
        culture,
        title: opt(&r.title).unwrap_or_else(|| ReportOptions::default().title),
        provider_name: opt(&r.provider_name),
        statements: statements.is_some(),
        catalog: Arc::new(catalog),
        ..ReportOptions::default()
    };

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| refuse(Reason::InternalError, format!("cannot start the async runtime: {e}")))?;
    let built = runtime.block_on(build_report(&source, options)).map_err(|e| layer(&e))?;
    let report = built.report;
    write_report(&report, &output).map_err(|e| layer(&e))?;
    let written = match &statements {
        Some(dir) => write_statements(&report, dir, browser.as_ref()).map_err(|e| layer(&e))?,
        None => Vec::new(),
    };
    let s = &report.summary;
    let statements = written
        .iter()
        .zip(&report.statements)
        .map(|(w, st)| StatementFileDto {
            tenant: w.tenant.clone(),
            html: w.html.display().to_string(),
            pdf: w.pdf.as_ref().map(|p| p.display().to_string()).unwrap_or_default(),
            billed: format_decimal(&st.billed),
            billed_shown: format_decimal(&st.billed_shown),
        })
        .collect();
    Ok(ReportOutcome {
        path: output.display().to_string(),
        period: s.period.clone(),
        currency: s.currency.clone(),
        billed: format_decimal(&s.billed),
        billed_shown: format_decimal(&s.billed_shown),
        list: format_decimal(&s.list),
        contracted: format_decimal(&s.contracted),
        rows: s.rows,
        unpriced_records: s.unpriced_records,
        tenants: u32::try_from(s.tenants).unwrap_or(u32::MAX),
        statements,
        warnings: built.warnings,
        error: Vec::new(),
    })
}
