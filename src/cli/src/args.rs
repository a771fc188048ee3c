//! Command-line arguments. The doc comments are the `--help` text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Pull, price-ready and export Azure Stack Hub usage records.
///
/// Exit codes: 0 success, 2 bad input (ours, or rejected by the service), 3 authentication or authorization failure,
/// 4 service failure (after retries), 130 interrupted, 1 internal error.
/// A failed pull prints the continuation token to resume from.
#[derive(Debug, Parser)]
#[command(name = "azs-usage", version, about, long_about)]
pub struct Cli {
    /// More diagnostics on stderr (-v requests and retries, -vv everything). Secrets are never shown.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Tenant API: usage of one subscription (Microsoft.Commerce/usageAggregates).
    Usage(PullArgs),
    /// Provider API: usage of every tenant, or one --subscriber (Microsoft.Commerce.Admin/subscriberUsageAggregates).
    SubscriberUsage(PullArgs),
    /// List the meter catalog (built in, plus --meters-file).
    Meters(MetersArgs),
    /// Run the local emulator of the usage service with sample data.
    Emulator(EmulatorArgs),
    /// The chargeback report (one self-contained HTML file) and per-tenant statements, from FOCUS cost rows.
    Report(ReportArgs),
}

/// Where to connect and as whom.
#[derive(Debug, Args, Clone)]
pub struct ConnectionArgs {
    /// ARM endpoint: https://management.{region}.{fqdn} (tenant) or https://adminmanagement.{region}.{fqdn} (provider).
    #[arg(long, env = "AZS_USAGE_ENDPOINT")]
    pub endpoint: Option<String>,
    /// Subscription: the tenant subscription (usage) or the provider subscription (subscriber-usage;
    /// default: the endpoint's Default Provider Subscription).
    #[arg(long, env = "AZS_USAGE_SUBSCRIPTION")]
    pub subscription: Option<String>,
    /// A bearer token to send as is (prefer the environment variable, which stays out of the process list).
    #[arg(long, env = "AZS_USAGE_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Service principal: application (client) id.
    #[arg(long, env = "AZS_USAGE_CLIENT_ID")]
    pub client_id: Option<String>,
    /// Service principal: client secret.
    #[arg(long, env = "AZS_USAGE_CLIENT_SECRET", hide_env_values = true)]
    pub client_secret: Option<String>,
    /// Service principal: PEM file holding the certificate and its private key (client assertion).
    #[arg(long, env = "AZS_USAGE_CERTIFICATE")]
    pub certificate: Option<PathBuf>,
    /// Password of the certificate's private key, if it has one.
    #[arg(long, env = "AZS_USAGE_CERTIFICATE_PASSWORD", hide_env_values = true)]
    pub certificate_password: Option<String>,
    /// Directory tenant (Azure AD id or domain). Ignored with AD FS, which is detected from the endpoint.
    #[arg(long, env = "AZS_USAGE_TENANT")]
    pub tenant: Option<String>,
    /// Extra CA certificates (PEM) to trust, e.g. the stamp's internal root CA.
    #[arg(long, env = "AZS_USAGE_CA_FILE")]
    pub ca_file: Option<PathBuf>,
    /// Skip TLS certificate verification (insecure; prints a warning).
    #[arg(long)]
    pub insecure: bool,
    /// Read endpoint, provider subscription and admin credentials from an emulator's ready file.
    #[arg(long, value_name = "READY_FILE")]
    pub emulator: Option<PathBuf>,
    /// With --emulator: act as this tenant (name from the ready file) instead of the admin.
    #[arg(long, requires = "emulator")]
    pub as_tenant: Option<String>,
    /// Add or override meters from a JSON or CSV file.
    #[arg(long)]
    pub meters_file: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Csv,
    Json,
    Ndjson,
}

/// A usage pull.
#[derive(Debug, Args)]
pub struct PullArgs {
    #[command(flatten)]
    pub connection: ConnectionArgs,
    /// Reported start time (inclusive), ISO 8601 with any offset (e.g. 2026-11-01T00:00:00Z).
    /// Default: 30 days before --end.
    #[arg(long)]
    pub start: Option<String>,
    /// Reported end time (exclusive), not in the future. Default: the current hour (Hourly) or today 00:00Z (Daily).
    #[arg(long)]
    pub end: Option<String>,
    /// Daily or Hourly (any case).
    #[arg(long, default_value = "Daily")]
    pub granularity: String,
    /// Instance-level rows (true) or one row per subscription, meter and bucket (false).
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, value_name = "BOOL")]
    pub show_details: bool,
    /// Provider API only: one tenant subscription (repeat for several; they are fetched concurrently).
    #[arg(long)]
    pub subscriber: Vec<String>,
    /// Resume from this token (printed by a failed or limited run). Forces sequential fetching.
    #[arg(long)]
    pub continuation_token: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Csv)]
    pub format: Format,
    /// Output file; - or none is standard output. A regular file is written to a temporary file beside it and renamed
    /// into place when the pull completes (keeping the replaced file's permissions); a symbolic link is followed, so
    /// it keeps pointing at the new content; a device or FIFO (e.g. /dev/null) is written directly. A folder, or a
    /// folder that does not exist, is refused before any request.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Sub-queries fetched at once (split per subscriber and per time window). 1 = sequential.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: u16,
    /// Stop once this many records are written (at least 1). Pages are kept whole, since a continuation token resumes
    /// at a page boundary: the pull stops at the end of the page in which the limit is reached (with pages of 1,000,
    /// --max-records 10 writes 1,000 records) and prints the token that resumes exactly after it.
    #[arg(long, value_parser = parse_max_records)]
    pub max_records: Option<u64>,
    /// Retries per request on throttling, 5xx and dropped connections (exponential backoff with
    /// jitter, honouring Retry-After). 0 fails on the first error.
    #[arg(long, default_value_t = 8)]
    pub max_retries: u32,
    /// api-version to send.
    #[arg(long, default_value = "2015-06-01-preview")]
    pub api_version: String,
    /// Never show a progress bar (it is shown only when stderr is a terminal).
    #[arg(long)]
    pub no_progress: bool,
}

/// `--max-records`: a count of at least 1 (0 would be "stop before the first page": a no-op pull).
fn parse_max_records(text: &str) -> Result<u64, String> {
    match text.parse::<u64>() {
        Ok(0) => Err("must be at least 1 (leave --max-records out to pull everything)".to_string()),
        Ok(n) => Ok(n),
        Err(e) => Err(format!("{e}: give a whole number of records, at least 1")),
    }
}

/// The meter catalog.
#[derive(Debug, Args)]
pub struct MetersArgs {
    /// Only meters whose id matches (case and dashes ignored).
    #[arg(long)]
    pub id: Option<String>,
    /// Only meters whose name contains this text (case-insensitive).
    #[arg(long)]
    pub name: Option<String>,
    /// Only this category (e.g. Compute, Storage, Network, "Managed Disks", "App Service").
    #[arg(long)]
    pub category: Option<String>,
    /// Output format (csv or json; ndjson is one JSON object per line).
    #[arg(long, value_enum, default_value_t = Format::Csv)]
    pub format: Format,
    /// Add or override meters from a JSON or CSV file.
    #[arg(long)]
    pub meters_file: Option<PathBuf>,
}

/// The emulator.
#[derive(Debug, Args)]
pub struct EmulatorArgs {
    /// Address to bind (loopback by default).
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: std::net::IpAddr,
    /// Port; 0 picks a free one (see the ready file).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Serve HTTPS with a generated self-signed certificate (its PEM path is in the ready file).
    #[arg(long)]
    pub https: bool,
    /// SQLite database file (created and seeded when empty).
    #[arg(long, default_value = "emulator.db", conflicts_with = "memory")]
    pub database: PathBuf,
    /// Keep the store in memory instead of a file.
    #[arg(long)]
    pub memory: bool,
    /// Seed for the sample data (same seed, same data).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Days of sample data, up to the current hour.
    #[arg(long, default_value_t = 30)]
    pub days: u32,
    /// Approximate number of hourly records to generate (e.g. 1000000).
    #[arg(long)]
    pub records: Option<u64>,
    /// Number of sample tenants.
    #[arg(long)]
    pub tenants: Option<usize>,
    /// Records per page (default 1000, as the real service).
    #[arg(long)]
    pub page_size: Option<usize>,
    /// Emulate an AD FS stamp instead of Azure AD.
    #[arg(long)]
    pub adfs: bool,
    /// Faults to inject, e.g. "429:0.1,503:every=7,drop:next=2" (see the README).
    #[arg(long)]
    pub faults: Option<String>,
    /// Lifetime of issued tokens in seconds.
    #[arg(long)]
    pub token_lifetime: Option<u64>,
    /// Write a JSON file with endpoints, subscriptions and sample credentials once ready.
    #[arg(long)]
    pub ready_file: Option<PathBuf>,
}

/// The chargeback report.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// FOCUS cost file (CSV or Parquet, as `price` writes it). Its unpriced usage is read from
    /// <FILE>.unpriced.csv when that file exists (or from --unpriced).
    #[arg(long, value_name = "FILE")]
    pub input: PathBuf,
    /// Usage records that had no price (the record schema's CSV or NDJSON), for the unpriced share and the data-quality
    /// section. Default: <input>.unpriced.csv when it exists.
    #[arg(long, value_name = "FILE")]
    pub unpriced: Option<PathBuf>,
    /// Calendar month to report (UTC), YYYY-MM. Default: every row of the input.
    #[arg(long, conflicts_with_all = ["from", "to"])]
    pub month: Option<String>,
    /// Start of the period (inclusive), ISO 8601 or a date; rows are kept by their charge period start.
    #[arg(long, requires = "to")]
    pub from: Option<String>,
    /// End of the period (exclusive).
    #[arg(long, requires = "from")]
    pub to: Option<String>,
    /// Tag key for the "cost by tag" section, matched ignoring case (e.g. CostCenter); rows without it are (untagged).
    #[arg(long, value_name = "KEY")]
    pub tag: Option<String>,
    /// How numbers are written: en-US (default), en-GB, de-DE, de-CH, fr-FR, es-ES, it-IT, nl-NL, pt-BR, sv-SE, ja-JP,
    /// invariant, ... (a bare language such as de picks its main culture).
    #[arg(long)]
    pub culture: Option<String>,
    /// Also write one statement per tenant into this folder (created when missing): HTML, and PDF when a Chromium,
    /// Chrome or Edge is found (or named with --browser).
    #[arg(long, value_name = "DIR")]
    pub statements: Option<PathBuf>,
    /// The browser that prints the statements to PDF (default: /usr/bin/chromium, or chromium, chrome or msedge found
    /// on the PATH or in their usual folders; AZS_USAGE_BROWSER).
    #[arg(long, value_name = "PATH", requires = "statements", conflicts_with = "no_pdf")]
    pub browser: Option<PathBuf>,
    /// Write the statements as HTML only, even when a browser is found.
    #[arg(long, requires = "statements")]
    pub no_pdf: bool,
    /// The provider named on statements. Default: the rows' InvoiceIssuerName.
    #[arg(long)]
    pub provider_name: Option<String>,
    /// The report's title.
    #[arg(long, default_value = "Chargeback report")]
    pub title: String,
    /// Add or override meters of the catalog (JSON or CSV), so that they are not listed as unknown.
    #[arg(long)]
    pub meters_file: Option<PathBuf>,
    /// The report file (HTML). Written to a temporary file beside it and renamed when complete.
    #[arg(long, short, value_name = "FILE")]
    pub output: PathBuf,
}
