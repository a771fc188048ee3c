//! Command-line arguments. The doc comments are the `--help` text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Pull, price-ready and export Azure Stack Hub usage records.
///
/// Exit codes: 0 success, 2 bad input (ours, or rejected by the service), 3 authentication or authorization failure,
/// 4 service or database failure (after retries), 5 another sync run holds the lock, 6 unpriced usage refused by
/// --strict, 130 interrupted, 1 internal error (docs/errors.md lists every reason).
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
    /// Provider API: the tenant directory, every tenant subscription with its owner, directory tenant, offer and
    /// state (Microsoft.Subscriptions.Admin). The CSV is the --directory file that costs are computed with.
    Subscriptions(SubscriptionsArgs),
    /// Price usage with a rate card into a FOCUS 1.2 cost file (CSV or Parquet); unpriced usage
    /// goes to OUTPUT.unpriced.csv.
    Price(PriceArgs),
    /// Price usage with a rate card and summarise the costs by subscription, tenant, offer,
    /// resource group, resource, meter, category, location or tag, per day or month.
    Cost(CostArgs),
    /// List the meter catalog (built in, plus --meters-file).
    Meters(MetersArgs),
    /// Run the local emulator of the usage service with sample data.
    Emulator(EmulatorArgs),
    /// Sync usage into a database (SQLite or PostgreSQL), exactly once, from each stamp's watermark to the last
    /// complete hour; run it every hour (cron, Task Scheduler, an Automation runbook).
    Sync(Box<SyncArgs>),
    /// Database maintenance.
    #[command(subcommand)]
    Db(DbCommand),
    /// Export a table of the database as files partitioned by month (DIR/TABLE/YYYY/MM/...).
    Export(ExportArgs),
    /// The chargeback report (one self-contained HTML file) and per-tenant statements, from FOCUS cost rows.
    Report(ReportArgs),
    /// Print a shell completion script (e.g. `azs-usage completions bash > /etc/bash_completion.d/azs-usage`).
    Completions(CompletionsArgs),
}

/// The database to use.
#[derive(Debug, Args, Clone)]
pub struct DatabaseArgs {
    /// Database URL: sqlite:PATH (one file, WAL; created when missing) or postgres://USER@HOST:PORT/DATABASE
    /// (add ?sslmode=verify-full to verify the server; the password comes from PGPASSWORD).
    #[arg(long, env = "AZS_USAGE_DATABASE")]
    pub database: String,
    /// CA certificates (PEM) to verify the PostgreSQL server with (same as ?sslrootcert=).
    #[arg(long, env = "AZS_USAGE_DATABASE_CA_FILE")]
    pub database_ca_file: Option<PathBuf>,
}

/// A sync run.
#[derive(Debug, Args)]
pub struct SyncArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    #[command(flatten)]
    pub connection: ConnectionArgs,
    /// A stamps file (TOML) listing several stamps, synced concurrently into the one database (instead of the
    /// connection options). Secrets stay in environment variables the file names.
    #[arg(long, value_name = "STAMPS_TOML", conflicts_with_all = ["endpoint", "emulator", "token", "client_id"])]
    pub config: Option<PathBuf>,
    /// The stamp's name, the key of its rows (default: the endpoint's host name). Keep it stable across runs.
    #[arg(long, conflicts_with = "config")]
    pub stamp: Option<String>,
    /// Hourly or Daily (any case).
    #[arg(long, default_value = "Hourly", conflicts_with = "config")]
    pub granularity: String,
    /// Where a first run starts (reported time; default: the first day of the previous month, 00:00Z).
    #[arg(long, conflicts_with_all = ["from", "to"])]
    pub since: Option<String>,
    /// Stop before this reported time (default: the last complete hour, or day for Daily).
    #[arg(long, conflicts_with_all = ["from", "to"])]
    pub until: Option<String>,
    /// Re-sync a past window from this reported time (with --to), replacing what is stored for it.
    #[arg(long, requires = "to")]
    pub from: Option<String>,
    /// End of the window to re-sync (exclusive; with --from).
    #[arg(long, requires = "from")]
    pub to: Option<String>,
    /// Hours of reported time per window: one request stream and one transaction each (Daily: a multiple of 24).
    #[arg(long, default_value_t = 24, value_parser = clap::value_parser!(u32).range(1..=8784))]
    pub chunk_hours: u32,
    /// Wait for another sync's lock instead of exiting with code 5.
    #[arg(long)]
    pub wait: bool,
    /// Do not refresh the tenant directory.
    #[arg(long)]
    pub no_directory: bool,
    /// Rate card (CSV, or Azure RateCard JSON): recompute the FOCUS cost rows of every month whose usage changed,
    /// each month replaced as a whole.
    #[arg(long)]
    pub rate_card: Option<PathBuf>,
    /// With an Azure RateCard JSON: a CSV mapping Azure meter ids to the stamp's (AzureMeterId,MeterId).
    #[arg(long, requires = "rate_card")]
    pub meter_map: Option<PathBuf>,
    /// Instance-level rows (true) or one row per subscription, meter and bucket (false).
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, value_name = "BOOL")]
    pub show_details: bool,
    /// Retries per request on throttling, 5xx and dropped connections.
    #[arg(long, default_value_t = 8)]
    pub max_retries: u32,
    /// Seconds to keep reconnecting to a database that went away mid-run (the window in progress is redone).
    #[arg(long, default_value_t = 60)]
    pub reconnect_seconds: u64,
}

/// `db` subcommands.
#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Create the schema, or bring it to this version (a newer schema is refused and left untouched).
    Migrate(DatabaseArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportTableArg {
    /// Usage records (the record schema's columns, then stamp, provider subscription, granularity, reported window).
    Usage,
    /// FOCUS 1.2 cost rows (what `sync --rate-card` computed), by billing period, as `price` writes them.
    Focus,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormatArg {
    Parquet,
    Csv,
}

/// An export.
#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// The table.
    #[arg(long, value_enum, default_value_t = ExportTableArg::Usage)]
    pub table: ExportTableArg,
    /// The file format.
    #[arg(long, value_enum, default_value_t = ExportFormatArg::Parquet)]
    pub format: ExportFormatArg,
    /// A month to export, YYYY-MM (repeat for several; default: every month in the database).
    #[arg(long)]
    pub month: Vec<String>,
    /// --table focus: Hourly or Daily cost rows (default: the one a month holds; a month with both is refused).
    #[arg(long)]
    pub granularity: Option<String>,
    /// The root folder of the files (created when missing).
    #[arg(long, short)]
    pub output: PathBuf,
}

/// Shell completion.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Where to connect and as whom.
#[derive(Debug, Args, Clone)]
pub struct ConnectionArgs {
    /// ARM endpoint: https://management.{region}.{fqdn} (tenant) or https://adminmanagement.{region}.{fqdn} (provider).
    #[arg(long, env = "AZS_USAGE_ENDPOINT")]
    pub endpoint: Option<String>,
    /// Subscription: the tenant subscription (usage) or the provider subscription (subscriber-usage and
    /// subscriptions; default: the endpoint's Default Provider Subscription).
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

/// What to pull and how: shared by the pull commands and the pricing commands' pull options.
#[derive(Debug, Args)]
pub struct QueryArgs {
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
    /// Sub-queries fetched at once (split per subscriber and per time window). 1 = sequential.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: u16,
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

/// A usage pull.
#[derive(Debug, Args)]
pub struct PullArgs {
    #[command(flatten)]
    pub query: QueryArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Csv)]
    pub format: Format,
    /// Output file; - or none is standard output. A regular file is written to a temporary file beside it and renamed
    /// into place when the pull completes (keeping the replaced file's permissions); a symbolic link is followed, so
    /// it keeps pointing at the new content; a device or FIFO (e.g. /dev/null) is written directly. A folder, or a
    /// folder that does not exist, is refused before any request.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Stop once this many records are written (at least 1). Pages are kept whole, since a continuation token resumes
    /// at a page boundary: the pull stops at the end of the page in which the limit is reached (with pages of 1,000,
    /// --max-records 10 writes 1,000 records) and prints the token that resumes exactly after it.
    #[arg(long, value_parser = parse_max_records)]
    pub max_records: Option<u64>,
}

/// Output formats of the tenant directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DirectoryFormat {
    /// One row per subscription; the header is the directory file's columns (SubscriptionId, DisplayName, Owner,
    /// TenantId, OfferId, OfferName, State, DelegatedProviderSubscriptionId, ProviderSubscriptionId).
    Csv,
    /// A JSON array of objects with the same property names.
    Json,
}

/// The tenant directory.
#[derive(Debug, Args)]
pub struct SubscriptionsArgs {
    #[command(flatten)]
    pub connection: ConnectionArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = DirectoryFormat::Csv)]
    pub format: DirectoryFormat,
    /// Output file (default: standard output). Written to a temporary file and renamed when complete.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Retries per request on throttling, 5xx and dropped connections (as for the usage pulls).
    #[arg(long, default_value_t = 8)]
    pub max_retries: u32,
}

/// `--max-records`: a count of at least 1 (0 would be "stop before the first page": a no-op pull).
fn parse_max_records(text: &str) -> Result<u64, String> {
    match text.parse::<u64>() {
        Ok(0) => Err("must be at least 1 (leave --max-records out to pull everything)".to_string()),
        Ok(n) => Ok(n),
        Err(e) => Err(format!("{e}: give a whole number of records, at least 1")),
    }
}

/// Which usage API the pricing commands pull from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ApiChoice {
    /// subscriber-usage: every tenant (or --subscriber), as the operator.
    Provider,
    /// usage: one tenant subscription.
    Tenant,
}

/// Rate card, usage source and directory: shared by `price` and `cost`.
#[derive(Debug, Args)]
pub struct PricingArgs {
    /// Rate card: CSV (MeterId, UnitPrice, Currency[, BlockSize, IncludedQuantity, TierStart,
    /// EffectiveFrom, EffectiveTo, Scope, MeterName, Unit, Description]) or the Azure RateCard
    /// API's JSON.
    #[arg(long, value_name = "FILE")]
    pub rate_card: PathBuf,
    /// Azure RateCard JSON only: CSV mapping Azure meter ids to the stamp's (AzureMeterId,MeterId).
    #[arg(long, value_name = "FILE")]
    pub meter_map: Option<PathBuf>,
    /// Usage files to price instead of pulling: the CLI's CSV, NDJSON or JSON, or Export-Csv files
    /// of the cmdlets (repeat, or list several).
    #[arg(long, value_name = "FILE", num_args = 1..)]
    pub input: Vec<PathBuf>,
    /// Directory file (the CSV of `azs-usage subscriptions`): owners, directory tenants and
    /// offers, for offer-scoped prices and the FOCUS SubAccount/x_ columns.
    #[arg(long, value_name = "FILE")]
    pub directory: Option<PathBuf>,
    /// Usage without an effective price is an error (exit 6) naming the meters, and nothing is
    /// written; by default it goes to the side file and a warning.
    #[arg(long)]
    pub strict: bool,
    /// Without --input: the API to pull from.
    #[arg(long, value_enum, default_value_t = ApiChoice::Provider)]
    pub api: ApiChoice,
    /// Without --input: the pull (the options of subscriber-usage / usage).
    #[command(flatten)]
    pub query: QueryArgs,
}

/// FOCUS output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FocusFileFormat {
    FocusCsv,
    FocusParquet,
}

/// `price`.
#[derive(Debug, Args)]
pub struct PriceArgs {
    #[command(flatten)]
    pub pricing: PricingArgs,
    /// FOCUS file format. Default: focus-parquet for a .parquet output, else focus-csv.
    #[arg(long, value_enum)]
    pub format: Option<FocusFileFormat>,
    /// The FOCUS file. A regular file is written beside it and renamed into place when complete;
    /// a device or FIFO is written directly. The unpriced side file is OUTPUT.unpriced.csv.
    #[arg(long, short, value_name = "FILE")]
    pub output: PathBuf,
    /// Where usage without an effective price goes (the record schema's CSV). Default:
    /// OUTPUT.unpriced.csv; required for unpriced usage when --output is - or a device.
    #[arg(long, value_name = "FILE")]
    pub unpriced_output: Option<PathBuf>,
    /// FOCUS BillingAccountId (default: the directory's provider subscription).
    #[arg(long)]
    pub billing_account_id: Option<String>,
    /// FOCUS BillingAccountName (default: the provider name).
    #[arg(long)]
    pub billing_account_name: Option<String>,
    /// FOCUS ProviderName: who operates the stamp.
    #[arg(long, default_value = "Azure Stack Hub")]
    pub provider_name: String,
    /// FOCUS PublisherName.
    #[arg(long, default_value = "Microsoft")]
    pub publisher_name: String,
    /// FOCUS InvoiceIssuerName (default: the provider name).
    #[arg(long)]
    pub invoice_issuer_name: Option<String>,
}

/// Summary formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SummaryFormat {
    Csv,
    Json,
}

/// `cost`.
#[derive(Debug, Args)]
pub struct CostArgs {
    #[command(flatten)]
    pub pricing: PricingArgs,
    /// Grouping keys, comma-separated: subscription, tenant, offer, resource-group, resource,
    /// meter, category, location, tag:KEY (tag keys match in any case; records without the tag
    /// form "(untagged)").
    #[arg(long, value_delimiter = ',', required = true, value_name = "KEYS")]
    pub group_by: Vec<String>,
    /// One row per group (none), or per UTC day or month of the usage start.
    #[arg(long, default_value = "none", value_name = "none|day|month")]
    pub period: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = SummaryFormat::Csv)]
    pub format: SummaryFormat,
    /// Output file; - or none is standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
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
    /// FILE.unpriced.csv when that file exists (or from --unpriced).
    #[arg(long, value_name = "FILE", required_unless_present = "database")]
    pub input: Option<PathBuf>,
    /// Usage records that had no price (the record schema's CSV or NDJSON), for the unpriced share and the data-quality
    /// section. Default: INPUT.unpriced.csv when it exists.
    #[arg(long, value_name = "FILE", requires = "input")]
    pub unpriced: Option<PathBuf>,
    /// Read the cost rows a sync with --rate-card stored instead of a file: sqlite:PATH or
    /// postgres://USER@HOST:PORT/DATABASE (the password from PGPASSWORD). Unpriced usage: the stored usage records
    /// without a cost row.
    #[arg(long, value_name = "URL", conflicts_with = "input")]
    pub database: Option<String>,
    /// CA certificates (PEM) to verify the PostgreSQL server with (same as ?sslrootcert=).
    #[arg(long, value_name = "FILE", requires = "database")]
    pub database_ca_file: Option<PathBuf>,
    /// With --database: Hourly or Daily rows (default: the one the period holds; a stamp synced at both needs it).
    #[arg(long, requires = "database")]
    pub granularity: Option<String>,
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
