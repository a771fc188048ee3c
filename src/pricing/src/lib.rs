//! Pricing for Azure Stack Hub usage: rate cards, the exact cost engine, and FOCUS 1.2 cost rows
//! and files (billing.md §1, §2, §4).
//!
//! Depends on the core's record and directory types only: it never talks to a stamp. The CLI,
//! the FFI layer, the sync job (`azs-usage-store`) and the report (`azs-usage-report`) all price
//! through this crate, so a cost is computed in one place.
#![warn(missing_docs, unreachable_pub, missing_debug_implementations)]

pub mod focus;

pub use focus::{FocusRow, FOCUS_COLUMNS};
