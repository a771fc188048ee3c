//! The free functions of the C ABI (the services are in `session.rs` and `cursor.rs`).
// `#[ffi]` generates an undocumented, non-Debug companion item for every function.
#![allow(missing_docs, missing_debug_implementations)]

use interoptopus::ffi;
use interoptopus::wire::Wire;

use crate::dto::{ErrorList, MeterList};
use crate::{LAST_PANIC, NativeStatus, convert, guarded};

/// The crate version (`0.1.0`), to check that the module and the native library match.
#[ffi]
pub fn azs_version() -> ffi::Result<Wire<String>, NativeStatus> {
    guarded(|| Wire::from(env!("CARGO_PKG_VERSION").to_string()))
}

/// The message of the last panic contained by an export (empty when none).
#[ffi]
pub fn azs_last_panic() -> ffi::Result<Wire<String>, NativeStatus> {
    guarded(|| Wire::from(LAST_PANIC.lock().map(|g| g.clone()).unwrap_or_default()))
}

/// Test-only: panics inside the guard, to prove that a panic is contained (returns `Panic`).
#[ffi]
pub fn azs_debug_panic(code: u32) -> ffi::Result<u32, NativeStatus> {
    guarded(|| {
        if code != u32::MAX {
            panic!("azs_debug_panic called with {code}");
        }
        code
    })
}

/// Test-only: one error per core reason, made the way every error crosses (`convert::error`), so
/// the module's tests can prove that each reason maps to its documented ErrorId and category.
#[ffi]
pub fn azs_debug_errors() -> ffi::Result<Wire<ErrorList>, NativeStatus> {
    guarded(|| {
        let errors = azs_usage_core::Reason::ALL
            .iter()
            .map(|r| convert::error_of(*r, format!("a test error of reason {r}")))
            .collect();
        Wire::from(ErrorList { errors })
    })
}

/// The built-in meter catalog, in its stable order.
#[ffi]
pub fn azs_meters() -> ffi::Result<Wire<MeterList>, NativeStatus> {
    guarded(|| {
        let catalog = azs_usage_core::MeterCatalog::builtin();
        Wire::from(MeterList { meters: catalog.meters().map(convert::meter).collect() })
    })
}
