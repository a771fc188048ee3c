//! Shared helpers for the end-to-end tests (start an emulator, build clients).
