//! Named points in the sync where a test can freeze the process (to kill it there).
//!
//! `AZS_USAGE_FAILPOINT=NAME[:N]` makes the N-th arrival (default 1st) at point NAME print
//! `azs-usage: failpoint NAME reached` on stderr and then sleep until the process is killed.
//! Unset (always, outside tests), a point costs one comparison. docs/sync.md lists the points.

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

/// Every point, in the order a run reaches them.
pub const POINTS: &[&str] = &[
    "run-started",
    "directory-written",
    "window-begun",
    "window-page",
    "window-before-commit",
    "window-committed",
    "costs-mid",
    "costs-committed",
];

fn spec() -> &'static Option<(String, u64)> {
    static SPEC: OnceLock<Option<(String, u64)>> = OnceLock::new();
    SPEC.get_or_init(|| {
        let text = std::env::var("AZS_USAGE_FAILPOINT").ok()?;
        let (name, nth) = match text.split_once(':') {
            Some((n, k)) => (n.to_string(), k.parse().unwrap_or(1)),
            None => (text, 1),
        };
        Some((name, nth.max(1)))
    })
}

/// Marks arrival at point `name`.
pub(crate) fn hit(name: &'static str) {
    let Some((wanted, nth)) = spec() else { return };
    if wanted != name {
        return;
    }
    static COUNTS: OnceLock<Mutex<HashMap<&'static str, u64>>> = OnceLock::new();
    let count = {
        let mut counts = COUNTS.get_or_init(Default::default).lock().unwrap_or_else(|e| e.into_inner());
        let c = counts.entry(name).or_insert(0);
        *c += 1;
        *c
    };
    if count == *nth {
        let mut err = std::io::stderr();
        let _ = writeln!(err, "azs-usage: failpoint {name} reached (pid {})", std::process::id());
        let _ = err.flush();
        loop {
            std::thread::sleep(Duration::from_secs(3600));
        }
    }
}
