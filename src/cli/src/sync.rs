//! `sync`: the hourly job. Resolves the stamps (flags or `--config`), checks every input before
//! the database is opened, then hands the run to the store and reports what it did.

use std::sync::Arc;
use std::time::{Duration, Instant};

use azs_usage_core::query::parse_time;
use azs_usage_core::{ClientOptions, Granularity, MeterCatalog, Reason, UsageClient};
use azs_usage_pricing::{FocusOptions, RateCardOptions};
use azs_usage_store::CancellationToken;
use azs_usage_store::{
    RateCardCosts, RunStatus, RunSummary, StampTarget, Store, SyncEvent, SyncOptions, SyncRange, SyncRequest,
    load_stamps,
};
use chrono::{DateTime, Utc};

use crate::args::SyncArgs;
use crate::connection;
use crate::database::database_url;
use crate::exit::Failure;

pub async fn run(args: SyncArgs, verbose: u8) -> Result<(), Failure> {
    let started = Instant::now();
    let url = database_url(&args.database)?;
    let time = |text: &Option<String>, flag: &str| -> Result<Option<DateTime<Utc>>, Failure> {
        text.as_deref().map(|t| parse_time(t).map_err(|e| Failure::bad_input(format!("{flag}: {e}")))).transpose()
    };
    let range = match (time(&args.from, "--from")?, time(&args.to, "--to")?) {
        (Some(from), Some(to)) => SyncRange::Resync { from, to },
        _ => SyncRange::Incremental { since: time(&args.since, "--since")?, until: time(&args.until, "--until")? },
    };
    let costs = match &args.rate_card {
        Some(path) => {
            let card_options = RateCardOptions { meter_map: args.meter_map.clone() };
            let (costs, warnings) = RateCardCosts::load(path, &card_options, FocusOptions::default())?;
            for w in warnings {
                eprintln!("azs-usage: warning: {}", w.message);
            }
            Some(Arc::new(costs) as Arc<dyn azs_usage_store::CostModel>)
        }
        None => None,
    };
    let targets = targets(&args).await?;
    let mut request = SyncRequest::new(targets, range);
    request.costs = costs;
    request.chunk = chrono::Duration::hours(i64::from(args.chunk_hours));
    request.wait_for_lock = args.wait;
    request.refresh_directory = !args.no_directory;
    request.show_details = args.show_details;
    request.reconnect_for = Duration::from_secs(args.reconnect_seconds);

    let cancel = CancellationToken::new();
    {
        let cancel = cancel.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                eprintln!("azs-usage: interrupted: rolling back the window in progress");
                cancel.cancel();
            }
        });
    }
    let events: azs_usage_store::EventHook = Arc::new(move |event: &SyncEvent| {
        let show = match event {
            SyncEvent::PageStored { .. } | SyncEvent::Duplicate { .. } => verbose >= 2,
            SyncEvent::LockWait { .. } | SyncEvent::DirectoryFailed { .. } | SyncEvent::Reconnecting { .. } => true,
            _ => verbose >= 1,
        };
        if show {
            eprintln!("azs-usage: {event}");
        }
    });
    let options = SyncOptions { events: Some(events), cancel, now: None };
    request.validate(Utc::now())?;
    let store = Store::open(&url).await?;
    let summary = store.sync(request, options).await?;
    report(&summary, started.elapsed());
    match summary.status {
        RunStatus::Succeeded => Ok(()),
        RunStatus::Cancelled => {
            Err(Failure::new(Reason::OperationCancelled, "interrupted; rerun to continue from the watermark"))
        }
        RunStatus::Failed => {
            let mut failures = summary.failures.into_iter();
            let first = failures.next().map(Failure::from).unwrap_or_else(|| Failure::internal("the run failed"));
            let mut message = first.message;
            for more in failures {
                message.push_str(&format!("\n{}", more.message()));
            }
            message.push_str("\nwhat was committed stays; rerun to continue from the watermark");
            Err(Failure { message, ..first })
        }
    }
}

/// The run's stamps: from the stamps file, or one from the connection options.
async fn targets(args: &SyncArgs) -> Result<Vec<StampTarget>, Failure> {
    let mut catalog = MeterCatalog::builtin();
    if let Some(path) = &args.connection.meters_file {
        catalog.load_file(path)?;
    }
    let catalog = Arc::new(catalog);
    let mut out = Vec::new();
    if let Some(path) = &args.config {
        for stamp in load_stamps(path)? {
            if stamp.tls.insecure {
                eprintln!(
                    "azs-usage: warning: stamp '{}': insecure = true: TLS certificates are not verified",
                    stamp.name
                );
            }
            let mut options = ClientOptions::new(stamp.endpoint.clone(), stamp.credential);
            options.tls = stamp.tls;
            options.catalog = catalog.clone();
            options.retry.max_retries = args.max_retries;
            let client = UsageClient::connect(options).await?;
            for g in stamp.granularities {
                out.push(StampTarget {
                    name: stamp.name.clone(),
                    client: client.clone(),
                    provider_subscription: stamp.provider_subscription.clone(),
                    granularity: g,
                });
            }
        }
        return Ok(out);
    }
    let granularity: Granularity = args.granularity.parse()?;
    let mut conn = connection::resolve(&args.connection, true)?;
    conn.options.retry.max_retries = args.max_retries;
    conn.options.catalog = catalog;
    let name = match &args.stamp {
        Some(n) => n.clone(),
        None => conn.options.endpoint.host_str().unwrap_or("stamp").to_string(),
    };
    azs_usage_store::check_stamp_name(&name).map_err(|e| Failure::bad_input(format!("--stamp: {}", e.message())))?;
    let client = UsageClient::connect(conn.options).await?;
    out.push(StampTarget { name, client, provider_subscription: conn.subscription, granularity });
    Ok(out)
}

fn report(s: &RunSummary, elapsed: Duration) {
    let secs = elapsed.as_secs_f64().max(1e-3);
    eprintln!(
        "azs-usage: run {} {}: {} windows, {} records stored, {} replaced ({:.1}s, {:.0} records/s)",
        s.run_id,
        s.status_text(),
        s.windows(),
        s.inserted(),
        s.replaced(),
        secs,
        s.inserted() as f64 / secs
    );
    for scope in &s.scopes {
        let wm = scope.watermark.map(|w| w.format("%Y-%m-%dT%H:%M:%SZ").to_string()).unwrap_or_else(|| "none".into());
        eprintln!(
            "azs-usage:   {}: {} windows, {} records, {} replaced; watermark {wm}",
            scope.scope, scope.windows, scope.inserted, scope.replaced
        );
    }
    for c in &s.costs {
        eprintln!(
            "azs-usage:   costs of {} ({}, {}): {} rows, {} unpriced records",
            c.month.format("%Y-%m"),
            c.stamp,
            c.granularity,
            c.rows,
            c.unpriced
        );
    }
    for w in &s.warnings {
        eprintln!("azs-usage: warning: {w}");
    }
}

trait StatusText {
    fn status_text(&self) -> &'static str;
}

impl StatusText for RunSummary {
    fn status_text(&self) -> &'static str {
        match self.status {
            RunStatus::Succeeded => "succeeded",
            RunStatus::Failed => "failed",
            RunStatus::Cancelled => "cancelled",
        }
    }
}
