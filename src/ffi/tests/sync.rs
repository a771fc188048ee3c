//! The sync through the C ABI, from Rust: a bad request comes back from `poll` as an error with
//! its reason (never a panic, never a failed `start`), and a real sync of the emulator into an
//! SQLite file stores what the emulator counts, then a second run adds nothing.

use std::time::{Duration, Instant};

use azs_usage_emulator::{EmulatorConfig, StoreLocation};
use azs_usage_native::{
    ConnectOptionsDto, ErrorReason, Session, SyncProgressDto, SyncRequestDto, SyncRun, SyncSummaryDto,
};
use chrono::{Duration as TimeDelta, DurationRound, Utc};
use interoptopus::ffi;
use interoptopus::wire::Wire;

fn ok<T, E: std::fmt::Debug>(r: ffi::Result<T, E>) -> T {
    match r {
        ffi::Ok(t) => t,
        ffi::Err(e) => panic!("Err({e:?})"),
        ffi::Result::Panic => panic!("Panic"),
        ffi::Result::Null => panic!("Null"),
    }
}

struct Emulator {
    rt: tokio::runtime::Runtime,
    running: Option<azs_usage_emulator::RunningEmulator>,
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(r) = self.running.take() {
            self.rt.block_on(async move { drop(r) });
        }
    }
}

fn emulator() -> (Emulator, azs_usage_emulator::ReadyInfo) {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let config = EmulatorConfig {
        database: StoreLocation::Memory,
        days: 2,
        approx_records: Some(2000),
        ..EmulatorConfig::default()
    };
    let running = rt.block_on(azs_usage_emulator::start(config)).unwrap();
    let info = running.info().clone();
    (Emulator { rt, running: Some(running) }, info)
}

fn connect(info: &azs_usage_emulator::ReadyInfo) -> Session {
    let session = ok(Session::create());
    let out = ok(session.connect(Wire::from(ConnectOptionsDto {
        endpoint: info.admin_endpoint.clone(),
        credential_kind: "ClientSecret".into(),
        client_id: info.admin.client_id.clone(),
        secret: info.admin.client_secret.clone(),
        tenant: info.admin.tenant_id.clone(),
        certificate_path: String::new(),
        certificate_password: String::new(),
        ca_file: String::new(),
        insecure: 0,
        timeout_seconds: 0,
        max_retries: 0,
    })))
    .unwire();
    assert!(out.error.is_empty(), "{:?}", out.error);
    session
}

fn request(database: &str) -> SyncRequestDto {
    SyncRequestDto {
        database: database.into(),
        database_password: String::new(),
        database_ca_file: String::new(),
        stamp: "lab".into(),
        provider_subscription: String::new(),
        granularity: "Hourly".into(),
        since: String::new(),
        until: String::new(),
        resync_from: String::new(),
        resync_to: String::new(),
        chunk_hours: 0,
        wait: 0,
        no_directory: 0,
        show_details: 1,
        rate_card: String::new(),
        meter_map: String::new(),
        reconnect_seconds: 0,
    }
}

/// Polls until the run is over; returns the last poll and every verbose line seen.
fn follow(run: &SyncRun) -> (SyncProgressDto, Vec<String>) {
    let started = Instant::now();
    let mut lines = Vec::new();
    loop {
        let p = ok(run.poll(200)).unwire();
        lines.extend(p.events.iter().map(|e| e.message.clone()));
        if p.done == 1 {
            return (p, lines);
        }
        assert!(started.elapsed() < Duration::from_secs(120), "the run never finished");
    }
}

fn summary(p: &SyncProgressDto) -> &SyncSummaryDto {
    assert!(p.error.is_empty(), "{:?}", p.error);
    &p.summary[0]
}

#[test]
fn bad_requests_come_back_as_errors_with_their_reason() {
    let (_emu, info) = emulator();
    let dir = tempfile::tempdir().unwrap();
    let not_a_db = dir.path().join("notes.db");
    std::fs::write(&not_a_db, "not a database ".repeat(200)).unwrap();
    let in_file = |name: &str| format!("sqlite:{}", dir.path().join(name).display());
    let session = connect(&info);
    let cases: Vec<(SyncRequestDto, ErrorReason)> = vec![
        (request("mysql://db.example/azs"), ErrorReason::DatabaseUrlInvalid),
        (request(""), ErrorReason::DatabaseUrlInvalid),
        (request(&format!("sqlite:{}", not_a_db.display())), ErrorReason::DatabaseNotUsable),
        (SyncRequestDto { since: "yesterday".into(), ..request(&in_file("a.db")) }, ErrorReason::InvalidTimeRange),
        (
            SyncRequestDto { since: "2026-11-01T00:30:00Z".into(), ..request(&in_file("b.db")) },
            ErrorReason::InvalidTimeRange,
        ),
        (
            SyncRequestDto { resync_from: "2026-11-01T00:00:00Z".into(), ..request(&in_file("c.db")) },
            ErrorReason::InvalidTimeRange,
        ),
        (SyncRequestDto { granularity: "Weekly".into(), ..request(&in_file("d.db")) }, ErrorReason::InvalidGranularity),
        (SyncRequestDto { stamp: "a b".into(), ..request(&in_file("e.db")) }, ErrorReason::InvalidArgument),
        (
            SyncRequestDto { granularity: "Daily".into(), chunk_hours: 5, ..request(&in_file("f.db")) },
            ErrorReason::InvalidArgument,
        ),
        (
            SyncRequestDto { rate_card: "/no/such/card.csv".into(), ..request(&in_file("g.db")) },
            ErrorReason::RateCardInvalid,
        ),
    ];
    for (dto, want) in cases {
        let what = format!("{dto:?}");
        let run = ok(SyncRun::start(&session, Wire::from(dto)));
        let (p, _) = follow(&run);
        assert!(p.summary.is_empty(), "{what}: no run");
        assert_eq!(p.error.len(), 1, "{what}");
        assert_eq!(p.error[0].reason, want, "{what}: {}", p.error[0].message);
        assert!(!p.error[0].message.is_empty());
        // Polled again: still done, the error handed out once.
        let again = ok(run.poll(0)).unwire();
        assert_eq!((again.done, again.error.len()), (1, 0));
    }
    assert!(std::fs::read_to_string(&not_a_db).unwrap().starts_with("not a database"), "left as it was");
    // An unconnected session: an error, not a panic.
    let unconnected = ok(Session::create());
    let run = ok(SyncRun::start(&unconnected, Wire::from(request(&in_file("h.db")))));
    let (p, _) = follow(&run);
    assert_eq!(p.error[0].reason, ErrorReason::NotConnected);
}

#[test]
fn a_password_never_crosses_back() {
    let (_emu, info) = emulator();
    let session = connect(&info);
    let secret = "Pg-Secret-Never-Shown-42";
    let dto = SyncRequestDto {
        database_password: secret.into(),
        ..request("postgres://billing@127.0.0.1:1/azs?sslmode=disable")
    };
    // Nor does Debug show it, of the request or of the connection's options.
    let shown = format!("{dto:?}");
    assert!(!shown.contains(secret) && shown.contains("database_password: \"<redacted>\""), "{shown}");
    let options = ConnectOptionsDto {
        endpoint: "https://adminmanagement.local.azurestack.external".into(),
        credential_kind: "Certificate".into(),
        client_id: "app".into(),
        secret: "Client-Secret-Never-Shown".into(),
        tenant: String::new(),
        certificate_path: "cert.pfx".into(),
        certificate_password: "Pfx-Password-Never-Shown".into(),
        ca_file: String::new(),
        insecure: 0,
        timeout_seconds: 0,
        max_retries: 0,
    };
    let shown = format!("{options:?}");
    assert!(!shown.contains("Never-Shown") && shown.contains("cert.pfx"), "{shown}");
    let run = ok(SyncRun::start(&session, Wire::from(dto)));
    let (p, lines) = follow(&run);
    assert_eq!(p.error[0].reason, ErrorReason::DatabaseUnavailable, "{:?}", p.error);
    let text = format!("{:?} {:?} {}", p.error, lines, p.status);
    assert!(!text.contains(secret), "{text}");
}

#[test]
fn a_sync_stores_what_the_emulator_holds_and_a_rerun_adds_nothing() {
    let (emu, info) = emulator();
    let session = connect(&info);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("usage.db");
    // Complete hours, on the 4-hour chunk grid: three windows.
    let until = (Utc::now() - TimeDelta::hours(1)).duration_trunc(TimeDelta::hours(4)).unwrap();
    let since = until - TimeDelta::hours(12);
    let dto = SyncRequestDto {
        since: since.to_rfc3339(),
        until: until.to_rfc3339(),
        chunk_hours: 4,
        ..request(&format!("sqlite:{}", path.display()))
    };
    let run = ok(SyncRun::start(&session, Wire::from(dto.clone())));
    let (p, lines) = follow(&run);
    let s = summary(&p);
    assert_eq!(s.status, "Succeeded", "{:?}", s.failures);
    assert_eq!((s.windows, p.windows_done, p.windows_total), (3, 3, 3));
    assert!(s.records_inserted > 0);
    assert_eq!(p.records, s.records_inserted, "progress counted every record");
    assert!(s.directory_rows > 3, "the directory was refreshed");
    assert_eq!(s.scopes[0].watermark, azs_usage_core::format_instant(&until));
    assert!(lines.iter().any(|l| l.contains("window 3/3") && l.contains("committed")), "{lines:?}");
    assert!(!lines.iter().any(|l| l.contains(&info.admin.client_secret)));
    drop(run);

    // Read the table directly: the count the summary reported.
    let conn = rusqlite::Connection::open(&path).unwrap();
    let stored: i64 = conn.query_row("SELECT count(*) FROM usage_records", [], |r| r.get(0)).unwrap();
    assert_eq!(stored as u64, s.records_inserted);
    drop(conn);
    let (expected, _) = emu.rt.block_on(azs_usage_tests::store_totals(&info, since, until));
    assert_eq!(s.records_inserted, expected, "the emulator's own count for the window");

    let run = ok(SyncRun::start(&session, Wire::from(dto)));
    let (p, _) = follow(&run);
    let again = summary(&p);
    assert_eq!((again.status.as_str(), again.windows, again.records_inserted), ("Succeeded", 0, 0));
    assert_eq!(again.run_id, s.run_id + 1);
}
