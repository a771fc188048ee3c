//! The chargeback report and per-tenant statements: one self-contained HTML file (inline SVG
//! charts, no scripts, fonts or images fetched), built from FOCUS cost rows read from files or
//! from the billing database.
#![warn(missing_docs, unreachable_pub, missing_debug_implementations)]
