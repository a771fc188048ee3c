//! The billing sync through the C ABI (`Sync-UsageAggregate`): the store's run on the session's
//! runtime, in the background, while the caller polls it for progress and verbose lines on its
//! own thread, and may cancel it from another (Ctrl+C, `StopProcessing`).
//!
//! The session's client (its endpoint, credential and TLS options) pulls the usage; everything
//! else mirrors `azs-usage sync` (`src/cli/src/sync.rs`). Bad input never fails `start`: the first
//! `poll` that reports the end carries the error, as text with its reason.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use azs_usage_core::{Granularity, Reason, UsageClient, format_instant, parse_time, source_chain};
use azs_usage_pricing::{FocusOptions, RateCardOptions};
use azs_usage_store::{
    CostModel, DatabaseUrl, EventHook, RateCardCosts, RunStatus, RunSummary, StampTarget, Store, SyncEvent,
    SyncOptions, SyncRange, SyncRequest,
};
use chrono::Utc;
use interoptopus::ffi;
use interoptopus::wire::Wire;
use tokio_util::sync::CancellationToken;

use crate::convert::{error, error_of, opt};
use crate::dto::{ErrorDto, EventDto};
use crate::events::{Queue, drain};
use crate::session::{Runtime, Session};
use crate::{NativeStatus, guarded};

/// At most this many sync events wait for a poll; older ones are dropped first.
const MAX_QUEUED: usize = 2000;

/// What to sync: the parameters of `azs-usage sync` (one stamp, the session's connection). `Debug` never shows the
/// database password.
#[ffi]
#[derive(Clone, PartialEq, Eq)]
pub struct SyncRequestDto {
    /// `sqlite:PATH` or `postgres://user@host:port/db?sslmode=...` (no password in it).
    pub database: String,
    /// The PostgreSQL password (the caller's `PGPASSWORD`), or empty. Never echoed back.
    pub database_password: String,
    /// Extra CA PEM file for the PostgreSQL server's certificate, or empty.
    pub database_ca_file: String,
    /// The stamp's name: the key of every row the run writes.
    pub stamp: String,
    /// The provider subscription, or empty for the connection's Default Provider Subscription.
    pub provider_subscription: String,
    /// `Hourly` (default when empty) or `Daily`.
    pub granularity: String,
    /// Where a first run starts (ISO 8601), or empty (the first day of the previous month).
    pub since: String,
    /// Where the run stops at the latest, or empty (the last complete hour or day).
    pub until: String,
    /// Re-sync from (with `resync_to`), or empty.
    pub resync_from: String,
    /// Re-sync to (with `resync_from`), or empty.
    pub resync_to: String,
    /// The chunk grid in hours (0: 24).
    pub chunk_hours: u32,
    /// 1: wait for another run's lock instead of failing with `SyncLocked`.
    pub wait: u8,
    /// 1: do not refresh the tenant directory.
    pub no_directory: u8,
    /// 1: instance-level records (the default); 0: aggregated per meter.
    pub show_details: u8,
    /// Rate card file (CSV or Azure RateCard JSON), or empty: no cost rows.
    pub rate_card: String,
    /// Meter map for a RateCard JSON, or empty.
    pub meter_map: String,
    /// How long to keep reconnecting to a database that went away, in seconds (0: 60).
    pub reconnect_seconds: u32,
}

impl std::fmt::Debug for SyncRequestDto {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncRequestDto")
            .field("database", &self.database)
            .field("database_password", &crate::dto::redacted(&self.database_password))
            .field("database_ca_file", &self.database_ca_file)
            .field("stamp", &self.stamp)
            .field("provider_subscription", &self.provider_subscription)
            .field("granularity", &self.granularity)
            .field("since", &self.since)
            .field("until", &self.until)
            .field("resync_from", &self.resync_from)
            .field("resync_to", &self.resync_to)
            .field("chunk_hours", &self.chunk_hours)
            .field("wait", &self.wait)
            .field("no_directory", &self.no_directory)
            .field("show_details", &self.show_details)
            .field("rate_card", &self.rate_card)
            .field("meter_map", &self.meter_map)
            .field("reconnect_seconds", &self.reconnect_seconds)
            .finish()
    }
}

/// One scope's part of a run.
#[ffi]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncScopeDto {
    /// The stamp.
    pub stamp: String,
    /// The provider subscription.
    pub provider_subscription_id: String,
    /// `Hourly` or `Daily`.
    pub granularity: String,
    /// Windows committed.
    pub windows: u64,
    /// Records stored.
    pub records_inserted: u64,
    /// Records of re-synced windows replaced.
    pub records_replaced: u64,
    /// The watermark after the run (ISO 8601 UTC), or empty.
    pub watermark: String,
    /// Why the scope stopped early (one element), or empty.
    pub error: Vec<ErrorDto>,
}

/// What a run did (`RunSummary`).
#[ffi]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncSummaryDto {
    /// The run's id in `sync_runs`.
    pub run_id: i64,
    /// `Succeeded`, `Failed` or `Cancelled`.
    pub status: String,
    /// The database URL as shown everywhere (never with a password).
    pub database: String,
    /// ISO 8601 UTC.
    pub started_at: String,
    /// ISO 8601 UTC.
    pub finished_at: String,
    /// Windows committed, over all scopes.
    pub windows: u64,
    /// Records stored.
    pub records_inserted: u64,
    /// Records replaced.
    pub records_replaced: u64,
    /// Tenant subscriptions stored by the directory refresh.
    pub directory_rows: u64,
    /// Months whose cost rows were recomputed.
    pub cost_months: u64,
    /// Cost rows written over those months.
    pub cost_rows: u64,
    /// Per scope.
    pub scopes: Vec<SyncScopeDto>,
    /// Everything that failed (scopes, directories, cost months), in order.
    pub failures: Vec<ErrorDto>,
    /// Warnings (a directory that could not be refreshed, rate card warnings).
    pub warnings: Vec<String>,
}

/// What `poll` saw: new verbose lines, the progress so far, and, once, how the run ended.
#[ffi]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncProgressDto {
    /// Verbose lines since the last poll (the sync's steps and the client's requests), oldest first.
    pub events: Vec<EventDto>,
    /// The latest step, for a progress status line.
    pub status: String,
    /// Windows committed so far.
    pub windows_done: u64,
    /// Windows planned so far (grows as each scope is planned).
    pub windows_total: u64,
    /// Records written so far (committed windows and the open one).
    pub records: u64,
    /// 1 when the run is over (`summary` or `error` then set, on the first such poll only).
    pub done: u8,
    /// How the run ended (one element), when it ran.
    pub summary: Vec<SyncSummaryDto>,
    /// Why it did not run, or stopped as a whole (one element): bad input, locked, database unusable.
    pub error: Vec<ErrorDto>,
}

/// How a run ended, kept until a poll hands it out.
enum Outcome {
    Ran(Box<SyncSummaryDto>),
    Failed(ErrorDto),
}

#[derive(Default)]
struct State {
    events: VecDeque<EventDto>,
    status: String,
    windows_done: u64,
    windows_total: u64,
    records_committed: u64,
    records_open: u64,
    finished: bool,
    outcome: Option<Outcome>,
}

#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    changed: Condvar,
}

impl Shared {
    fn update(&self, f: impl FnOnce(&mut State)) {
        if let Ok(mut s) = self.state.lock() {
            f(&mut s);
        }
        self.changed.notify_all();
    }

    /// Records a sync event: the progress counters, and (except per-page events) a verbose line.
    fn on_event(&self, e: &SyncEvent) {
        let line = e.to_string();
        self.update(|s| {
            let verbose = match e {
                SyncEvent::Planned { windows, .. } => {
                    s.windows_total += windows.len() as u64;
                    true
                }
                SyncEvent::WindowStarted { .. } => {
                    s.records_open = 0;
                    true
                }
                SyncEvent::PageStored { records, .. } => {
                    s.records_open = *records;
                    false
                }
                SyncEvent::WindowCommitted { inserted, .. } => {
                    s.windows_done += 1;
                    s.records_committed += inserted;
                    s.records_open = 0;
                    true
                }
                SyncEvent::Reconnecting { .. } => {
                    s.records_open = 0;
                    true
                }
                _ => true,
            };
            s.status.clone_from(&line);
            if verbose {
                if s.events.len() >= MAX_QUEUED {
                    s.events.pop_front();
                }
                s.events.push_back(EventDto { kind: kind_of(e).to_string(), message: line });
            }
        });
    }
}

fn kind_of(e: &SyncEvent) -> &'static str {
    match e {
        SyncEvent::LockWait { .. } => "LockWait",
        SyncEvent::RunStarted { .. } => "RunStarted",
        SyncEvent::DirectoryRefreshed { .. } => "DirectoryRefreshed",
        SyncEvent::DirectoryFailed { .. } => "DirectoryFailed",
        SyncEvent::Planned { .. } => "Planned",
        SyncEvent::WindowStarted { .. } => "WindowStarted",
        SyncEvent::PageStored { .. } => "PageStored",
        SyncEvent::WindowCommitted { .. } => "WindowCommitted",
        SyncEvent::Duplicate { .. } => "Duplicate",
        SyncEvent::Reconnecting { .. } => "Reconnecting",
        SyncEvent::CostsRecomputed { .. } => "CostsRecomputed",
        _ => "Sync",
    }
}

/// A sync running in the background on a session's runtime. Every method takes `&self`, so
/// `cancel` may run on another thread while `poll` waits on the pipeline thread.
#[ffi(service)]
pub struct SyncRun {
    shared: Arc<Shared>,
    cancel: CancellationToken,
    /// The client's request/response/retry events while the run lasts.
    http_events: Queue,
    /// Keeps the runtime alive as long as the run's handle.
    _runtime: Arc<Runtime>,
}

impl std::fmt::Debug for SyncRun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncRun").field("cancelled", &self.cancel.is_cancelled()).finish_non_exhaustive()
    }
}

impl Drop for SyncRun {
    /// A run nobody polls any more is cancelled (its window rolls back) rather than left running.
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

#[ffi]
impl SyncRun {
    /// Starts a sync on a connected session and returns at once. Never fails for bad input: the
    /// poll that reports the end carries the error.
    pub fn start(session: &Session, mut request: Wire<SyncRequestDto>) -> ffi::Result<Self, NativeStatus> {
        guarded(|| {
            let dto = request.unwire();
            let shared = Arc::new(Shared::default());
            let cancel = CancellationToken::new();
            let run = SyncRun {
                shared: Arc::clone(&shared),
                cancel: cancel.clone(),
                http_events: session.hub.listen(),
                _runtime: Arc::clone(&session.runtime),
            };
            let Some(client) = session.client.get().cloned() else {
                finish(&shared, Outcome::Failed(error_of(Reason::NotConnected, "The session is not connected.")));
                return run;
            };
            session.runtime.get().spawn(async move {
                let outcome = match run_sync(client, dto, &shared, cancel).await {
                    Ok(summary) => Outcome::Ran(Box::new(summary)),
                    Err(e) => Outcome::Failed(*e),
                };
                finish(&shared, outcome);
            });
            run
        })
    }

    /// Waits up to `wait_ms` milliseconds (at most 5000) for something to report, then returns
    /// the new verbose lines and the progress; `done = 1` once the run is over.
    pub fn poll(&self, wait_ms: u32) -> ffi::Result<Wire<SyncProgressDto>, NativeStatus> {
        guarded(|| Wire::from(self.poll_inner(Duration::from_millis(u64::from(wait_ms.min(5000))))))
    }

    /// Cancels the run: the window in progress is rolled back and the run recorded as cancelled.
    /// Thread-safe; keep polling until `done`.
    pub fn cancel(&self) -> ffi::Result<u32, NativeStatus> {
        guarded(|| {
            self.cancel.cancel();
            1
        })
    }
}

impl SyncRun {
    fn poll_inner(&self, wait: Duration) -> SyncProgressDto {
        let Ok(guard) = self.shared.state.lock() else {
            return SyncProgressDto {
                events: Vec::new(),
                status: String::new(),
                windows_done: 0,
                windows_total: 0,
                records: 0,
                done: 1,
                summary: Vec::new(),
                error: vec![error_of(Reason::InternalError, "The sync's state is unusable.")],
            };
        };
        let (mut s, _) = self
            .shared
            .changed
            .wait_timeout_while(guard, wait, |s| s.events.is_empty() && !s.finished)
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        // The client's lines first: they happened before the step that follows them.
        let mut events = drain(&self.http_events);
        events.extend(s.events.drain(..));
        let (summary, error) = match s.outcome.take() {
            Some(Outcome::Ran(summary)) => (vec![*summary], Vec::new()),
            Some(Outcome::Failed(e)) => (Vec::new(), vec![e]),
            None => (Vec::new(), Vec::new()),
        };
        SyncProgressDto {
            events,
            status: s.status.clone(),
            windows_done: s.windows_done,
            windows_total: s.windows_total,
            records: s.records_committed + s.records_open,
            done: u8::from(s.finished),
            summary,
            error,
        }
    }
}

fn finish(shared: &Shared, outcome: Outcome) {
    shared.update(|s| {
        s.finished = true;
        s.outcome = Some(outcome);
    });
}

/// A store error as a DTO: its reason, message and causes.
fn store_error(e: &azs_usage_store::Error) -> ErrorDto {
    ErrorDto {
        reason: e.reason().into(),
        code: String::new(),
        message: e.message().to_string(),
        causes: source_chain(e),
        status: 0,
        request_id: String::new(),
        attempts: 0,
        resume_token: String::new(),
    }
}

fn invalid(reason: Reason, message: String) -> Box<ErrorDto> {
    Box::new(error_of(reason, message))
}

/// Checks the request, opens the database and runs the sync; what the CLI's `sync` does.
async fn run_sync(
    client: UsageClient,
    dto: SyncRequestDto,
    shared: &Arc<Shared>,
    cancel: CancellationToken,
) -> Result<SyncSummaryDto, Box<ErrorDto>> {
    let password = opt(&dto.database_password);
    let url = DatabaseUrl::parse_with_env(&dto.database, |name| {
        if name == "PGPASSWORD" { password.clone() } else { std::env::var(name).ok() }
    })
    .map_err(|e| Box::new(store_error(&e)))?
    .with_ca_file(opt(&dto.database_ca_file).map(PathBuf::from));
    let time = |text: &str, parameter: &str| -> Result<Option<chrono::DateTime<Utc>>, Box<ErrorDto>> {
        opt(text)
            .map(|t| {
                parse_time(&t).map_err(|e| {
                    let mut dto = error(&e);
                    dto.message = format!("-{parameter}: {}", dto.message);
                    Box::new(dto)
                })
            })
            .transpose()
    };
    let range = match (time(&dto.resync_from, "From")?, time(&dto.resync_to, "To")?) {
        (Some(from), Some(to)) => SyncRange::Resync { from, to },
        (None, None) => SyncRange::Incremental { since: time(&dto.since, "Since")?, until: time(&dto.until, "Until")? },
        _ => {
            return Err(invalid(
                Reason::InvalidTimeRange,
                "-From and -To go together: pass both to re-sync a past window, or neither".to_string(),
            ));
        }
    };
    let granularity = match opt(&dto.granularity) {
        None => Granularity::Hourly,
        Some(g) => g.parse::<Granularity>().map_err(|e| Box::new(error(&e)))?,
    };
    let stamp = opt(&dto.stamp).unwrap_or_default();
    azs_usage_store::check_stamp_name(&stamp)
        .map_err(|e| invalid(Reason::InvalidArgument, format!("-Stamp: {}", e.message())))?;
    let mut warnings = Vec::new();
    let costs = match opt(&dto.rate_card) {
        Some(path) => {
            let card_options = RateCardOptions { meter_map: opt(&dto.meter_map).map(PathBuf::from) };
            let (costs, card_warnings) =
                RateCardCosts::load(PathBuf::from(path).as_path(), &card_options, FocusOptions::default())
                    .map_err(|e| Box::new(store_error(&e)))?;
            warnings.extend(card_warnings.into_iter().map(|w| w.message));
            Some(Arc::new(costs) as Arc<dyn CostModel>)
        }
        None => None,
    };
    let target =
        StampTarget { name: stamp, client, provider_subscription: opt(&dto.provider_subscription), granularity };
    let mut request = SyncRequest::new(vec![target], range);
    request.costs = costs;
    request.chunk = chrono::Duration::hours(i64::from(if dto.chunk_hours == 0 { 24 } else { dto.chunk_hours }));
    request.wait_for_lock = dto.wait != 0;
    request.refresh_directory = dto.no_directory == 0;
    request.show_details = dto.show_details != 0;
    request.reconnect_for =
        Duration::from_secs(u64::from(if dto.reconnect_seconds == 0 { 60 } else { dto.reconnect_seconds }));
    request.validate(Utc::now()).map_err(|e| Box::new(store_error(&e)))?;

    let hook: EventHook = {
        let shared = Arc::clone(shared);
        Arc::new(move |e: &SyncEvent| shared.on_event(e))
    };
    shared.update(|s| s.status = format!("opening {url}"));
    let store = tokio::select! {
        _ = cancel.cancelled() => {
            return Err(invalid(Reason::OperationCancelled, "The sync was cancelled before it began.".to_string()));
        }
        store = Store::open(&url) => store.map_err(|e| Box::new(store_error(&e)))?,
    };
    let options = SyncOptions { events: Some(hook), cancel, now: None };
    let summary = store.sync(request, options).await.map_err(|e| Box::new(store_error(&e)))?;
    let mut dto = summary_dto(&summary);
    dto.database = url.to_string();
    warnings.append(&mut dto.warnings);
    dto.warnings = warnings;
    Ok(dto)
}

fn summary_dto(s: &RunSummary) -> SyncSummaryDto {
    SyncSummaryDto {
        run_id: s.run_id,
        status: match s.status {
            RunStatus::Succeeded => "Succeeded",
            RunStatus::Failed => "Failed",
            RunStatus::Cancelled => "Cancelled",
        }
        .to_string(),
        database: String::new(),
        started_at: format_instant(&s.started_at),
        finished_at: format_instant(&s.finished_at),
        windows: s.windows(),
        records_inserted: s.inserted(),
        records_replaced: s.replaced(),
        directory_rows: s.directory_rows,
        cost_months: s.costs.len() as u64,
        cost_rows: s.costs.iter().map(|c| c.rows).sum(),
        scopes: s
            .scopes
            .iter()
            .map(|scope| SyncScopeDto {
                stamp: scope.scope.stamp.clone(),
                provider_subscription_id: scope.scope.provider_subscription_id.clone(),
                granularity: scope.scope.granularity_name().to_string(),
                windows: scope.windows,
                records_inserted: scope.inserted,
                records_replaced: scope.replaced,
                watermark: scope.watermark.as_ref().map(format_instant).unwrap_or_default(),
                error: scope.error.iter().map(store_error).collect(),
            })
            .collect(),
        failures: s.failures.iter().map(store_error).collect(),
        warnings: s.warnings.clone(),
    }
}
