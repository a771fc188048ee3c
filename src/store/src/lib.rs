//! The billing database: one logical schema on SQLite (the embedded default) and PostgreSQL,
//! versioned migrations, and the hourly sync that keeps every usage record exactly once
//! (billing.md §4, §5; `docs/sync.md`, `docs/database.md`).
//!
//! ```text
//! let store = Store::open(&DatabaseUrl::parse("sqlite:usage.db")?).await?;
//! let summary = store.sync(SyncRequest::new(targets, SyncRange::Incremental { since: None, until: None }),
//!                          SyncOptions::default()).await?;
//! ```
//!
//! Depends on the core (pulls, directory) and on pricing (cost rows); the CLI and the FFI layer
//! drive it. Every error carries a [`Reason`]; no password ever appears in one.
#![warn(missing_docs, unreachable_pub, missing_debug_implementations)]

mod conn;
mod cost_rows;
mod costs;
mod db;
mod directory;
mod error;
mod events;
mod export;
pub mod failpoint;
mod model;
mod plan;
mod postgres;
mod rate_card;
mod schema;
mod sqlite;
mod stamps;
mod sync;
mod url;

pub use cost_rows::{CostQuery, CostScope};
pub use costs::{CostModel, MonthPricer, UNTAGGED, focus_column_names};
pub use db::{Store, lock_file_path};
pub use error::{Error, Reason, Result};
pub use events::{EventHook, SyncEvent};
pub use export::{ExportFormat, ExportRequest, ExportTable, ExportedFile, QUANTITY_SCALE, USAGE_EXTRA_COLUMNS};
pub use model::{Scope, Window};
pub use rate_card::RateCardCosts;
pub use schema::{MigrationReport, SCHEMA_VERSION};
pub use stamps::{StampConfig, load_stamps, parse_stamps};
pub use sync::{
    CostMonth, RunStatus, RunSummary, ScopeSummary, StampTarget, SyncOptions, SyncRange, SyncRequest, check_stamp_name,
};
pub use url::{DatabaseUrl, PostgresUrl, SslMode};

/// Re-exported for callers that build cancellation tokens.
pub use tokio_util::sync::CancellationToken;
