//! The sync run: lock, migrate, record the run, then per stamp (concurrently) refresh the
//! directory and replace each planned window in one transaction with its watermark, then
//! recompute the costs of the months that changed. docs/sync.md explains why this holds every
//! record exactly once whatever happens to the process.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use azs_usage_core::{Api, Granularity, UsageClient, UsageQuery};
use chrono::{DateTime, Datelike, TimeZone, Utc};
use tokio_util::sync::CancellationToken;

use crate::conn::{Conn, RunContext, WindowJob};
use crate::costs::CostModel;
use crate::error::{Error, Reason, Result};
use crate::events::{EventHook, SyncEvent};
use crate::failpoint;
use crate::model::{Scope, Window, granularity_name, month_start};
use crate::plan;

/// Runs `$op` (an expression over the connection `$c`, awaited), reconnecting (and re-locking the
/// scope's stamp) while the database connection keeps breaking, for at most `reconnect_for`.
/// Evaluates to the operation's `Result`.
macro_rules! retrying {
    ($conn:expr, $settings:expr, $scope:expr, |$c:ident| $op:expr) => {{
        let started = Instant::now();
        let mut attempt = 0u32;
        loop {
            let result = {
                let $c: &mut Conn = &mut *$conn;
                $op.await
            };
            match result {
                Ok(v) => break Ok(v),
                Err(e) if e.is_transient() && started.elapsed() < $settings.request.reconnect_for => {
                    attempt += 1;
                    let delay = backoff(attempt);
                    $settings.ctx.emit(SyncEvent::Reconnecting {
                        scope: $scope.clone(),
                        attempt,
                        delay,
                        message: e.message().to_string(),
                    });
                    if let Err(e) = sleep_or_cancel(delay, &$settings.ctx.cancel).await {
                        break Err(e);
                    }
                    match $conn.reconnect(Some($scope.stamp.as_str())).await {
                        Ok(()) => {}
                        Err(e) if e.is_transient() => {}
                        Err(e) => break Err(e),
                    }
                }
                Err(e) => break Err(e),
            }
        }
    }};
}

/// One stamp (and granularity) to sync.
pub struct StampTarget {
    /// The stamp's name: the key of every row it writes. Letters, digits, `.`, `_`, `-`.
    pub name: String,
    /// A connected client for the stamp's admin endpoint.
    pub client: UsageClient,
    /// The provider subscription (default: the endpoint's Default Provider Subscription).
    pub provider_subscription: Option<String>,
    /// Hourly (the default) or Daily.
    pub granularity: Granularity,
}

impl std::fmt::Debug for StampTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StampTarget")
            .field("name", &self.name)
            .field("provider_subscription", &self.provider_subscription)
            .field("granularity", &self.granularity)
            .finish_non_exhaustive()
    }
}

/// Which reported times a run covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncRange {
    /// From each scope's watermark (or `since` on a first run; default the first day of the
    /// previous month) to the last complete hour or day (or `until`, when earlier).
    Incremental {
        /// Where a first run starts.
        since: Option<DateTime<Utc>>,
        /// Where the run stops at the latest.
        until: Option<DateTime<Utc>>,
    },
    /// Re-syncs `[from, to)` (grown to whole stored windows), whatever the watermark.
    Resync {
        /// Start (inclusive).
        from: DateTime<Utc>,
        /// End (exclusive), at most the last complete hour or day.
        to: DateTime<Utc>,
    },
}

/// What to sync and how.
pub struct SyncRequest {
    /// The stamps, each with its client (several entries may share a stamp name for different
    /// granularities).
    pub targets: Vec<StampTarget>,
    /// The reported times.
    pub range: SyncRange,
    /// The chunk grid (default 24 hours): one window, one transaction, per cell.
    pub chunk: chrono::Duration,
    /// Instance-level records (default true).
    pub show_details: bool,
    /// Wait for another run's lock instead of failing with [`Reason::SyncLocked`].
    pub wait_for_lock: bool,
    /// Refresh each stamp's tenant directory (default true).
    pub refresh_directory: bool,
    /// Recompute the cost rows of every month whose usage changed.
    pub costs: Option<Arc<dyn CostModel>>,
    /// How long a run keeps reconnecting to a database that went away (default 60 s).
    pub reconnect_for: Duration,
}

impl std::fmt::Debug for SyncRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncRequest")
            .field("targets", &self.targets)
            .field("range", &self.range)
            .field("chunk_hours", &self.chunk.num_hours())
            .field("wait_for_lock", &self.wait_for_lock)
            .field("costs", &self.costs.as_ref().map(|c| c.rate_card_id()))
            .finish_non_exhaustive()
    }
}

impl SyncRequest {
    /// Checks the request (stamp names, alignment, chunk, range) against the clock, before any
    /// database is opened. [`Store::sync`](crate::Store::sync) checks it again.
    pub fn validate(&self, now: DateTime<Utc>) -> Result<()> {
        validate(self, now)
    }

    /// A request with the defaults.
    pub fn new(targets: Vec<StampTarget>, range: SyncRange) -> Self {
        SyncRequest {
            targets,
            range,
            chunk: chrono::Duration::hours(24),
            show_details: true,
            wait_for_lock: false,
            refresh_directory: true,
            costs: None,
            reconnect_for: Duration::from_secs(60),
        }
    }
}

/// Events, cancellation and the clock of a run.
#[derive(Clone, Default)]
pub struct SyncOptions {
    /// Receives progress (CLI `-v`, `Write-Progress`).
    pub events: Option<EventHook>,
    /// Cancels the run: the window in progress is rolled back, the run recorded as cancelled.
    pub cancel: CancellationToken,
    /// The clock (tests); default the system's.
    pub now: Option<DateTime<Utc>>,
}

impl std::fmt::Debug for SyncOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncOptions").field("now", &self.now).finish_non_exhaustive()
    }
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunStatus {
    /// Every scope synced.
    Succeeded,
    /// At least one scope failed (the others were synced).
    Failed,
    /// Cancelled.
    Cancelled,
}

impl RunStatus {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            RunStatus::Succeeded => "succeeded",
            RunStatus::Failed => "failed",
            RunStatus::Cancelled => "cancelled",
        }
    }
}

/// What one scope's sync did.
#[derive(Debug, Clone)]
pub struct ScopeSummary {
    /// The scope.
    pub scope: Scope,
    /// Windows committed.
    pub windows: u64,
    /// Records stored.
    pub inserted: u64,
    /// Records of re-synced windows replaced.
    pub replaced: u64,
    /// The watermark after the run.
    pub watermark: Option<DateTime<Utc>>,
    /// Why it stopped early, if it did.
    pub error: Option<Error>,
}

/// One month whose costs were recomputed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CostMonth {
    /// The stamp.
    pub stamp: String,
    /// The granularity priced.
    pub granularity: String,
    /// First instant of the month.
    pub month: DateTime<Utc>,
    /// Cost rows written.
    pub rows: u64,
    /// Records without a price.
    pub unpriced: u64,
}

/// What a run did.
#[derive(Debug, Clone)]
pub struct RunSummary {
    /// The run's id in `sync_runs`.
    pub run_id: i64,
    /// Start.
    pub started_at: DateTime<Utc>,
    /// End.
    pub finished_at: DateTime<Utc>,
    /// How it ended.
    pub status: RunStatus,
    /// Per scope.
    pub scopes: Vec<ScopeSummary>,
    /// Months whose costs were recomputed.
    pub costs: Vec<CostMonth>,
    /// Everything that failed (scopes, directories, cost months), in order.
    pub failures: Vec<Error>,
    /// Warnings (a directory that could not be refreshed).
    pub warnings: Vec<String>,
    /// Tenant subscriptions stored by the directory refresh, over all stamps (0 when it was
    /// skipped or failed).
    pub directory_rows: u64,
}

impl RunSummary {
    /// Windows committed over all scopes.
    pub fn windows(&self) -> u64 {
        self.scopes.iter().map(|s| s.windows).sum()
    }
    /// Records stored over all scopes.
    pub fn inserted(&self) -> u64 {
        self.scopes.iter().map(|s| s.inserted).sum()
    }
    /// Records replaced over all scopes.
    pub fn replaced(&self) -> u64 {
        self.scopes.iter().map(|s| s.replaced).sum()
    }
}

/// Validates a request before anything is touched.
pub(crate) fn validate(request: &SyncRequest, now: DateTime<Utc>) -> Result<()> {
    if request.targets.is_empty() {
        return Err(Error::invalid_argument("nothing to sync: no stamp was given"));
    }
    let mut seen = std::collections::BTreeSet::new();
    for t in &request.targets {
        check_stamp_name(&t.name)?;
        if !seen.insert((t.name.clone(), granularity_name(t.granularity))) {
            return Err(Error::invalid_argument(format!(
                "stamp '{}' is listed twice for {} data; names must be unique",
                t.name,
                granularity_name(t.granularity)
            )));
        }
        plan::check_chunk(t.granularity, request.chunk)?;
        let lc = plan::last_complete(t.granularity, now);
        match request.range {
            SyncRange::Incremental { since, until } => {
                if let Some(s) = since {
                    plan::check_aligned(t.granularity, s, "--since")?;
                    if s >= lc {
                        return Err(Error::invalid_time_range(format!(
                            "--since {} is not before the last complete {} ({}); nothing could be synced",
                            crate::model::instant_text(&s),
                            if t.granularity == Granularity::Daily { "day" } else { "hour" },
                            crate::model::instant_text(&lc)
                        )));
                    }
                }
                if let Some(u) = until {
                    plan::check_aligned(t.granularity, u, "--until")?;
                }
                if let (Some(s), Some(u)) = (since, until)
                    && s >= u
                {
                    return Err(Error::invalid_time_range("--since must be before --until"));
                }
            }
            SyncRange::Resync { from, to } => {
                plan::check_aligned(t.granularity, from, "--from")?;
                plan::check_aligned(t.granularity, to, "--to")?;
                if from >= to {
                    return Err(Error::invalid_time_range("--from must be before --to"));
                }
                if to > lc {
                    return Err(Error::invalid_time_range(format!(
                        "--to {} is after the last complete reported {} ({}), which is still being processed",
                        crate::model::instant_text(&to),
                        if t.granularity == Granularity::Daily { "day" } else { "hour" },
                        crate::model::instant_text(&lc)
                    )));
                }
            }
        }
    }
    Ok(())
}

/// Stamp names key rows and lock files: keep them plain.
pub fn check_stamp_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err(Error::invalid_argument(format!(
            "stamp name '{name}' is not usable: use 1 to 64 letters, digits, '.', '_' or '-'"
        )))
    }
}

/// The first instant of the month before `now`'s.
pub(crate) fn default_since(now: DateTime<Utc>) -> DateTime<Utc> {
    let m = month_start(&now);
    let (y, mo) = if m.month() == 1 { (m.year() - 1, 12) } else { (m.year(), m.month() - 1) };
    Utc.with_ymd_and_hms(y, mo, 1, 0, 0, 0).single().unwrap_or(m)
}

/// What one stamp's task returns.
pub(crate) struct GroupOutcome {
    pub(crate) scopes: Vec<ScopeSummary>,
    pub(crate) costs: Vec<CostMonth>,
    pub(crate) failures: Vec<Error>,
    pub(crate) warnings: Vec<String>,
    pub(crate) directory_rows: u64,
}

/// Everything a stamp's task needs that is shared across stamps.
pub(crate) struct GroupSettings<'a> {
    pub(crate) request: &'a SyncRequest,
    pub(crate) run_id: i64,
    pub(crate) now: DateTime<Utc>,
    pub(crate) ctx: &'a RunContext,
}

/// Syncs every target of one stamp in order on one connection, then its costs.
pub(crate) async fn run_group(
    mut conn: Conn,
    stamp: String,
    targets: Vec<&StampTarget>,
    settings: &GroupSettings<'_>,
) -> (Conn, GroupOutcome) {
    let mut out = GroupOutcome {
        scopes: Vec::new(),
        costs: Vec::new(),
        failures: Vec::new(),
        warnings: Vec::new(),
        directory_rows: 0,
    };
    let ctx = settings.ctx;
    let mut directory_done = false;
    for target in targets {
        if ctx.cancel.is_cancelled() {
            break;
        }
        let psub = match &target.provider_subscription {
            Some(p) => p.clone(),
            None => match target.client.default_subscription().await {
                Ok(p) => p,
                Err(e) => {
                    out.failures.push(Error::from_client(&e).context(format!("stamp '{stamp}'")));
                    continue;
                }
            },
        };
        let scope =
            Scope { stamp: stamp.clone(), provider_subscription_id: psub.clone(), granularity: target.granularity };
        if let Err(e) = retrying!(&mut conn, settings, &scope, |c| c.start_scope(settings.run_id, &scope)) {
            out.failures.push(e.context(&scope));
            continue;
        }
        if settings.request.refresh_directory && !directory_done {
            directory_done = true;
            match refresh_directory(&mut conn, target, &stamp, &psub, ctx).await {
                Ok(n) => out.directory_rows += n,
                Err(e) if e.reason() == Reason::OperationCancelled || e.is_transient() => {
                    out.failures.push(e.context(format!("stamp '{stamp}' directory")));
                }
                // A tenant identity (403), a tenant endpoint or a directory the service cannot
                // serve must not stop the usage sync: the stored directory is kept and the run
                // history says why (docs/sync.md).
                Err(e) => {
                    ctx.emit(SyncEvent::DirectoryFailed { stamp: stamp.clone(), message: e.message().to_string() });
                    out.warnings.push(format!("stamp '{stamp}': directory not refreshed: {}", e.message()));
                }
            }
        }
        let mut summary =
            ScopeSummary { scope: scope.clone(), windows: 0, inserted: 0, replaced: 0, watermark: None, error: None };
        let result = sync_scope(&mut conn, target, &scope, settings, &mut summary).await;
        let (status, error) = match &result {
            Ok(()) => ("succeeded", String::new()),
            Err(e) if e.reason() == Reason::OperationCancelled => ("cancelled", e.message().to_string()),
            Err(e) => ("failed", e.message().to_string()),
        };
        summary.watermark = conn.watermark(&scope).await.ok().flatten();
        if let Err(e) = result {
            summary.error = Some(e.clone());
            out.failures.push(e);
        }
        let _ = retrying!(&mut conn, settings, &scope, |c| c.finish_scope(settings.run_id, &scope, status, &error));
        out.scopes.push(summary);
    }
    if let Some(model) = &settings.request.costs
        && !ctx.cancel.is_cancelled()
    {
        recompute_costs(
            &mut conn,
            &stamp,
            &out.scopes.iter().map(|s| s.scope.clone()).collect::<Vec<_>>(),
            model,
            settings,
            &mut out,
        )
        .await;
    }
    (conn, out)
}

fn backoff(attempt: u32) -> Duration {
    Duration::from_millis((200u64 << attempt.min(5)).min(4000))
}

async fn sleep_or_cancel(delay: Duration, cancel: &CancellationToken) -> Result<()> {
    tokio::select! {
        _ = cancel.cancelled() => Err(Error::cancelled()),
        _ = tokio::time::sleep(delay) => Ok(()),
    }
}

async fn refresh_directory(
    conn: &mut Conn,
    target: &StampTarget,
    stamp: &str,
    provider_subscription: &str,
    ctx: &RunContext,
) -> Result<u64> {
    let rows = tokio::select! {
        _ = ctx.cancel.cancelled() => return Err(Error::cancelled()),
        rows = crate::directory::fetch(&target.client, provider_subscription) => rows?,
    };
    let n = rows.len();
    conn.replace_directory(stamp, rows).await?;
    ctx.emit(SyncEvent::DirectoryRefreshed { stamp: stamp.to_string(), subscriptions: n });
    Ok(n as u64)
}

async fn sync_scope(
    conn: &mut Conn,
    target: &StampTarget,
    scope: &Scope,
    settings: &GroupSettings<'_>,
    summary: &mut ScopeSummary,
) -> Result<()> {
    let request = settings.request;
    let lc = plan::last_complete(scope.granularity, settings.now);
    let (start, end, advance) = match request.range {
        SyncRange::Incremental { since, until } => {
            let wm = retrying!(conn, settings, scope, |c| c.watermark(scope))?;
            let start = wm.or(since).unwrap_or_else(|| default_since(settings.now));
            let end = until.map_or(lc, |u| u.min(lc));
            (start, end, true)
        }
        SyncRange::Resync { from, to } => (from, to, false),
    };
    let stored = if start < end {
        retrying!(conn, settings, scope, |c| c.stored_windows(scope, start, end))?
    } else {
        Vec::new()
    };
    let windows = plan::plan_windows(start, end, request.chunk, &stored);
    settings.ctx.emit(SyncEvent::Planned { scope: scope.clone(), windows: windows.clone() });
    let total = windows.len();
    for (i, window) in windows.into_iter().enumerate() {
        if settings.ctx.cancel.is_cancelled() {
            return Err(Error::cancelled());
        }
        let job = WindowJob {
            scope: scope.clone(),
            window,
            index: i + 1,
            total,
            run_id: settings.run_id,
            advance_watermark: advance,
        };
        let query = window_query(scope, window, request.show_details)?;
        let outcome: Result<_> = retrying!(conn, settings, scope, |c| c.write_window(
            &job,
            target.client.pages(query.clone()),
            settings.ctx
        ));
        let outcome = outcome.map_err(|e| {
            if e.message().contains("window ") { e } else { e.context(format!("{scope}: window {window}")) }
        })?;
        summary.windows += 1;
        summary.inserted += outcome.inserted;
        summary.replaced += outcome.replaced;
        settings.ctx.emit(SyncEvent::WindowCommitted {
            scope: scope.clone(),
            window,
            inserted: outcome.inserted,
            replaced: outcome.replaced,
            index: i + 1,
            total,
        });
    }
    Ok(())
}

fn window_query(scope: &Scope, window: Window, show_details: bool) -> Result<UsageQuery> {
    let mut q = UsageQuery::new(Api::Provider, scope.provider_subscription_id.clone(), window.start, window.end);
    q.granularity = scope.granularity;
    q.show_details = show_details;
    q.validate(Utc::now()).map_err(|e| Error::from_client(&e))?;
    Ok(q)
}

async fn recompute_costs(
    conn: &mut Conn,
    stamp: &str,
    scopes: &[Scope],
    model: &Arc<dyn CostModel>,
    settings: &GroupSettings<'_>,
    out: &mut GroupOutcome,
) {
    let mut granularities: Vec<&'static str> = scopes.iter().map(Scope::granularity_name).collect();
    granularities.sort();
    granularities.dedup();
    let Some(first) = scopes.first() else { return };
    if let Err(e) = retrying!(conn, settings, first, |c| c.store_rate_card(model.as_ref())) {
        out.failures.push(e.context(format!("stamp '{stamp}' costs")));
        return;
    }
    for g in granularities {
        let months = match retrying!(conn, settings, first, |c| c.dirty_months(stamp, g)) {
            Ok(m) => m,
            Err(e) => {
                out.failures.push(e.context(format!("stamp '{stamp}' costs")));
                return;
            }
        };
        for month in months {
            if settings.ctx.cancel.is_cancelled() {
                return;
            }
            let result: Result<_> = retrying!(conn, settings, first, |c| async {
                let directory = c.directory(stamp).await?;
                let pricer = model.month_pricer(directory);
                c.recompute_month(stamp, g, month, pricer, model.rate_card_id()).await
            });
            match result {
                Ok(o) => {
                    failpoint::hit("costs-committed");
                    settings.ctx.emit(SyncEvent::CostsRecomputed {
                        stamp: stamp.to_string(),
                        granularity: g.to_string(),
                        month,
                        rows: o.rows,
                        unpriced: o.unpriced,
                    });
                    out.costs.push(CostMonth {
                        stamp: stamp.to_string(),
                        granularity: g.to_string(),
                        month,
                        rows: o.rows,
                        unpriced: o.unpriced,
                    });
                }
                Err(e) => out.failures.push(e.context(format!("stamp '{stamp}' costs of {}", month.format("%Y-%m")))),
            }
        }
    }
}

/// Groups targets by stamp, in name order.
pub(crate) fn groups(targets: &[StampTarget]) -> BTreeMap<String, Vec<&StampTarget>> {
    let mut out: BTreeMap<String, Vec<&StampTarget>> = BTreeMap::new();
    for t in targets {
        out.entry(t.name.clone()).or_default().push(t);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_since_is_the_previous_month() {
        let now = Utc.with_ymd_and_hms(2026, 1, 15, 10, 0, 0).unwrap();
        assert_eq!(default_since(now), Utc.with_ymd_and_hms(2025, 12, 1, 0, 0, 0).unwrap());
        let now = Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap();
        assert_eq!(default_since(now), Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap());
    }

    #[test]
    fn stamp_names() {
        assert!(check_stamp_name("east-1.prod").is_ok());
        for bad in ["", "a b", "x/y", &"x".repeat(65)] {
            assert!(check_stamp_name(bad).is_err(), "{bad}");
        }
    }
}
