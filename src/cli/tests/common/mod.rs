//! Shared by the CLI test files: an emulator process on loopback and a clean `azs-usage` command.

use std::path::PathBuf;
use std::process::{Child, Command as StdCommand, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::Command;
use azs_usage_emulator::ReadyInfo;
use chrono::{DateTime, Utc};

pub const BIN: &str = env!("CARGO_BIN_EXE_azs-usage");

/// An emulator process, killed when dropped.
pub struct Emulator {
    child: Child,
    pub ready: PathBuf,
    pub info: ReadyInfo,
    _dir: tempfile::TempDir,
}

/// Every test that runs an emulator checks, as it ends, that `/dev/null` survived the pulls it
/// made (a CLI that renames its output onto the target once turned it into a regular file).
impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if !std::thread::panicking() {
            assert_dev_null_intact();
        }
    }
}

/// Panics unless `/dev/null` is still a character device.
pub fn assert_dev_null_intact() {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let meta = std::fs::symlink_metadata("/dev/null").expect("/dev/null exists");
        assert!(meta.file_type().is_char_device(), "/dev/null is no longer a character device: {meta:?}");
    }
}

/// Starts `azs-usage emulator` with a small in-memory data set (2 days, ~3000 records, pages of
/// 100) plus `extra` flags, and waits for its ready file.
pub fn emulator(extra: &[&str]) -> Emulator {
    let dir = tempfile::tempdir().expect("temp dir");
    let ready = dir.path().join("ready.json");
    let child = StdCommand::new(BIN)
        .args([
            "emulator",
            "--memory",
            "--port",
            "0",
            "--days",
            "2",
            "--records",
            "3000",
            "--page-size",
            "100",
            "--seed",
            "11",
        ])
        .args(extra)
        .arg("--ready-file")
        .arg(&ready)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("emulator starts");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !ready.exists() {
        assert!(Instant::now() < deadline, "emulator did not write its ready file");
        std::thread::sleep(Duration::from_millis(50));
    }
    let info: ReadyInfo =
        serde_json::from_str(&std::fs::read_to_string(&ready).expect("ready file")).expect("ready JSON");
    Emulator { child, ready, info, _dir: dir }
}

/// `azs-usage` with none of its environment variables inherited.
pub fn cli() -> Command {
    let mut c = Command::new(BIN);
    for var in [
        "AZS_USAGE_TOKEN",
        "AZS_USAGE_CLIENT_SECRET",
        "AZS_USAGE_ENDPOINT",
        "AZS_USAGE_SUBSCRIPTION",
        "AZS_USAGE_CLIENT_ID",
        "AZS_USAGE_CA_FILE",
        "AZS_USAGE_TENANT",
        "AZS_USAGE_CERTIFICATE",
        "AZS_USAGE_CERTIFICATE_PASSWORD",
    ] {
        c.env_remove(var);
    }
    c.timeout(Duration::from_secs(120));
    c
}

/// The CLI's time form.
pub fn iso(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}
