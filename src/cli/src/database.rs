//! `db migrate` and `export`: thin over the store.

use azs_usage_core::Granularity;
use azs_usage_store::{DatabaseUrl, ExportFormat, ExportRequest, ExportTable, Store};

use crate::args::{DatabaseArgs, ExportArgs, ExportFormatArg, ExportTableArg};
use crate::exit::Failure;

/// Parses `--database` (and `--database-ca-file`).
pub fn database_url(args: &DatabaseArgs) -> Result<DatabaseUrl, Failure> {
    Ok(DatabaseUrl::parse(&args.database)?.with_ca_file(args.database_ca_file.clone()))
}

pub async fn migrate(args: DatabaseArgs) -> Result<(), Failure> {
    let url = database_url(&args)?;
    let store = Store::open(&url).await?;
    let report = store.migrate().await?;
    if report.applied.is_empty() {
        eprintln!("azs-usage: {url}: schema version {} is current", report.to);
    } else {
        eprintln!(
            "azs-usage: {url}: schema version {} -> {} (applied {})",
            report.from,
            report.to,
            report.applied.join(", ")
        );
    }
    Ok(())
}

pub async fn export(args: ExportArgs) -> Result<(), Failure> {
    let url = database_url(&args.database)?;
    let months = args.month.iter().map(|m| parse_month(m)).collect::<Result<Vec<_>, _>>()?;
    let store = Store::open_read_only(&url).await?;
    let request = ExportRequest {
        table: match args.table {
            ExportTableArg::Usage => ExportTable::Usage,
            ExportTableArg::Focus => ExportTable::Focus,
        },
        format: match args.format {
            ExportFormatArg::Parquet => ExportFormat::Parquet,
            ExportFormatArg::Csv => ExportFormat::Csv,
        },
        months,
        output_dir: args.output.clone(),
        granularity: args.granularity.as_deref().map(str::parse::<Granularity>).transpose()?,
    };
    let files = store.export(&request).await?;
    for f in &files {
        eprintln!("azs-usage: {} rows to {}", f.rows, f.path.display());
        if f.rounded > 0 {
            eprintln!(
                "azs-usage: warning: {} quantities had more than {} decimals and were rounded to fit the Parquet decimal type; the CSV export keeps them exact",
                f.rounded,
                azs_usage_store::QUANTITY_SCALE
            );
        }
    }
    if files.is_empty() {
        let what = if args.table == ExportTableArg::Focus { "cost rows (sync with --rate-card)" } else { "usage" };
        eprintln!("azs-usage: the database holds no {what} yet; nothing exported");
    }
    Ok(())
}

fn parse_month(text: &str) -> Result<(i32, u32), Failure> {
    let bad = || Failure::bad_input(format!("--month '{text}' is not a month: use YYYY-MM, e.g. 2026-11"));
    let (y, m) = text.trim().split_once('-').ok_or_else(bad)?;
    let (y, m): (i32, u32) = (y.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if y < 1970 || !(1..=12).contains(&m) {
        return Err(bad());
    }
    Ok((y, m))
}
