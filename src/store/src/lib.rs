//! The billing database: one logical schema on SQLite (the embedded default) and PostgreSQL,
//! versioned migrations, and the hourly sync that keeps every usage record exactly once
//! (billing.md §4, §5).
//!
//! Depends on the core (pulls, directory) and on pricing (cost rows); the CLI and the FFI layer
//! drive it.
#![warn(missing_docs, unreachable_pub, missing_debug_implementations)]
