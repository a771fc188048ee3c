//! The C ABI over the core.
