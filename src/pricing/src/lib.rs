//! Pricing for Azure Stack Hub usage: rate cards, the exact cost engine, and FOCUS 1.2 cost rows
//! and files (billing.md §1, §2, §4).
//!
//! Depends on the core's record and directory types only: it never talks to a stamp. The CLI,
//! the FFI layer, the sync job (`azs-usage-store`) and the report (`azs-usage-report`) all price
//! through this crate, so a cost is computed in one place. Every entry point is a plain function
//! over paths, iterators and sinks, so the C ABI can call it as is.
#![warn(missing_docs, unreachable_pub, missing_debug_implementations)]

mod columns;
mod currency;
pub mod directory;
pub mod engine;
pub mod error;
pub mod focus;
mod focus_read;
mod focus_write;
pub mod jobs;
pub mod output;
pub mod ratecard;
mod ratecard_csv;
mod ratecard_json;
mod service;
pub mod summary;
mod usage_file;

pub use directory::Directory;
pub use engine::{
    CostEngine, FocusOptions, Priced, PricingRun, UnpricedMeter, UnpricedReason, UnpricedSummary, price_unordered,
};
pub use error::{Error, Problem, Reason, Result};
pub use focus::{FOCUS_COLUMNS, FocusRow};
pub use focus_read::{FocusReader, read_focus};
pub use focus_write::{
    BATCH_ROWS, FOCUS_VERSION, FocusFormat, FocusWriter, PARQUET_DECIMAL_PRECISION, PARQUET_DECIMAL_SCALE,
    ROW_GROUP_ROWS,
};
pub use jobs::{PriceReport, RecordCsvWriter, price_to_focus, read_usage_files, summarize, unpriced_path};
pub use output::{OutputFile, OutputTarget, commit_output, create_output};
pub use ratecard::{PriceRow, RateCard, RateCardOptions, Scope, Warning, meter_key, sku_id};
pub use summary::{GroupKey, Period, Summary, SummaryRow};
pub use usage_file::{UsageReader, read_usage, record_from_fields};
