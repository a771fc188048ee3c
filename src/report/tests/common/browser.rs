//! Runs `tests/report/check.mjs` (Playwright driving headless Chromium) on a rendered case.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

static NPM: Mutex<()> = Mutex::new(());

/// The folder of the Node check (`tests/report`).
pub fn node_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/report")
}

/// The Chromium the checks drive: `AZS_USAGE_TEST_BROWSER`, else the one the report itself would
/// find (`/usr/bin/chromium`, Chrome or Edge on the PATH or in their Windows folders).
pub fn chromium() -> PathBuf {
    let explicit = std::env::var_os("AZS_USAGE_TEST_BROWSER").map(PathBuf::from);
    match azs_usage_report::Browser::find(explicit.as_deref()) {
        Ok(Some(b)) => b.path().to_path_buf(),
        other => panic!(
            "no browser for the browser tests ({other:?}): ./build.sh setup installs Debian's chromium, \
             or set AZS_USAGE_TEST_BROWSER to a Chromium, Chrome or Edge executable"
        ),
    }
}

/// Installs the check's one dependency (playwright-core, pinned by package-lock.json) when missing.
fn npm_ci() {
    let _guard = NPM.lock().unwrap_or_else(|e| e.into_inner());
    let dir = node_dir();
    if dir.join("node_modules/playwright-core/package.json").is_file() {
        return;
    }
    let npm = if cfg!(windows) { "npm.cmd" } else { "npm" };
    let status = Command::new(npm)
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(&dir)
        .status()
        .unwrap_or_else(|e| panic!("cannot run npm ({e}): the browser tests need Node.js 18+ and npm"));
    assert!(status.success(), "npm ci in {} failed", dir.display());
}

/// Runs the check on `case` (a JSON file); panics with its output when a check fails.
pub fn run_check(case: &Path) {
    npm_ci();
    let node = if cfg!(windows) { "node.exe" } else { "node" };
    let out = Command::new(node)
        .arg(node_dir().join("check.mjs"))
        .arg(case)
        .current_dir(node_dir())
        .output()
        .unwrap_or_else(|e| panic!("cannot run node ({e}): the browser tests need Node.js 18+"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}{stderr}");
    assert!(out.status.success(), "browser check of {} failed:\n{stdout}\n{stderr}", case.display());
    assert!(stdout.contains(" checks passed, 0 failed"), "no summary line:\n{stdout}");
}
