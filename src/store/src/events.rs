//! What a sync reports while it runs: for `-v` on the CLI, and for `Write-Progress` / `-Verbose`
//! through the C ABI. Events carry no secrets.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::model::{Scope, Window};

/// One step of a run.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum SyncEvent {
    /// The lock is held by another run; this one waits (`--wait`).
    LockWait {
        /// Who holds it.
        holder: String,
    },
    /// The run's history row exists; work begins.
    RunStarted {
        /// The run's id in `sync_runs`.
        run_id: i64,
        /// The stamps it covers.
        stamps: Vec<String>,
    },
    /// A stamp's tenant directory was stored.
    DirectoryRefreshed {
        /// The stamp.
        stamp: String,
        /// Tenant subscriptions stored.
        subscriptions: usize,
    },
    /// A stamp's directory could not be read; the stored one is kept.
    DirectoryFailed {
        /// The stamp.
        stamp: String,
        /// Why.
        message: String,
    },
    /// The windows of a scope are known.
    Planned {
        /// The scope.
        scope: Scope,
        /// Windows to sync, in order.
        windows: Vec<Window>,
    },
    /// A window's transaction began.
    WindowStarted {
        /// The scope.
        scope: Scope,
        /// The window.
        window: Window,
        /// Its position (1-based) among the scope's windows.
        index: usize,
        /// How many windows the scope has.
        total: usize,
    },
    /// A page of records was written into the open transaction.
    PageStored {
        /// The scope.
        scope: Scope,
        /// The window.
        window: Window,
        /// Records written in this window so far.
        records: u64,
    },
    /// A window was committed with its watermark.
    WindowCommitted {
        /// The scope.
        scope: Scope,
        /// The window.
        window: Window,
        /// Records stored.
        inserted: u64,
        /// Records of the earlier copy of this window, replaced.
        replaced: u64,
        /// Its position (1-based).
        index: usize,
        /// How many windows the scope has.
        total: usize,
    },
    /// The service repeated a record key within a window (kept as sent).
    Duplicate {
        /// The scope.
        scope: Scope,
        /// The repeated key.
        key: String,
    },
    /// The database connection broke; the window is redone after reconnecting.
    Reconnecting {
        /// The scope.
        scope: Scope,
        /// Attempt number.
        attempt: u32,
        /// Wait before it.
        delay: Duration,
        /// What broke.
        message: String,
    },
    /// A month's cost rows were recomputed.
    CostsRecomputed {
        /// The stamp.
        stamp: String,
        /// The granularity priced.
        granularity: String,
        /// First instant of the month.
        month: DateTime<Utc>,
        /// Cost rows written.
        rows: u64,
        /// Records no rate card row priced.
        unpriced: u64,
    },
}

/// The callback that receives events (must be cheap; called on the sync's tasks).
pub type EventHook = Arc<dyn Fn(&SyncEvent) + Send + Sync>;

impl std::fmt::Display for SyncEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SyncEvent::LockWait { holder } => write!(f, "waiting for the sync lock, held by {holder}"),
            SyncEvent::RunStarted { run_id, stamps } => write!(f, "run {run_id} started for {}", stamps.join(", ")),
            SyncEvent::DirectoryRefreshed { stamp, subscriptions } => {
                write!(f, "stamp '{stamp}': directory refreshed ({subscriptions} tenant subscriptions)")
            }
            SyncEvent::DirectoryFailed { stamp, message } => {
                write!(f, "stamp '{stamp}': directory not refreshed ({message}); the stored one is kept")
            }
            SyncEvent::Planned { scope, windows } => match (windows.first(), windows.last()) {
                (Some(a), Some(b)) => {
                    write!(f, "{scope}: {} window(s) from {} to {}", windows.len(), a.start, b.end)
                }
                _ => write!(f, "{scope}: up to date"),
            },
            SyncEvent::WindowStarted { scope, window, index, total } => {
                write!(f, "{scope}: window {index}/{total} {window} started")
            }
            SyncEvent::PageStored { scope, window, records } => {
                write!(f, "{scope}: window {window}: {records} records written")
            }
            SyncEvent::WindowCommitted { scope, window, inserted, replaced, index, total } => write!(
                f,
                "{scope}: window {index}/{total} {window} committed ({inserted} records, {replaced} replaced)"
            ),
            SyncEvent::Duplicate { scope, key } => write!(f, "{scope}: the service repeated record key {key}"),
            SyncEvent::Reconnecting { scope, attempt, delay, message } => write!(
                f,
                "{scope}: database connection lost ({message}); reconnecting in {:.1}s (attempt {attempt})",
                delay.as_secs_f64()
            ),
            SyncEvent::CostsRecomputed { stamp, granularity, month, rows, unpriced } => write!(
                f,
                "stamp '{stamp}' ({granularity}): costs of {} recomputed ({rows} rows, {unpriced} unpriced records)",
                month.format("%Y-%m")
            ),
        }
    }
}
