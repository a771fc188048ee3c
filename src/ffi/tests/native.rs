//! The C ABI's guarantees, exercised from Rust against the emulator: panics are contained, errors
//! cross with their reason, a blocked `next_page` returns `Cancelled` promptly after `cancel` from another thread.

use std::sync::Arc;
use std::time::{Duration, Instant};

use azs_usage_emulator::{EmulatorConfig, FaultConfig, StoreLocation};
use azs_usage_native::{
    ConnectOptionsDto, Cursor, ErrorReason, PageDto, QueryDto, Session, azs_debug_errors, azs_debug_panic,
    azs_last_panic, azs_meters, azs_version,
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

#[test]
fn a_panic_is_contained_and_reported() {
    assert!(matches!(azs_debug_panic(9), ffi::Result::Panic));
    let mut msg = ok(azs_last_panic());
    assert!(msg.unwire().contains("azs_debug_panic called with 9"));
    assert!(matches!(azs_debug_panic(u32::MAX), ffi::Ok(u32::MAX)));
    assert_eq!(ok(azs_version()).unwire(), env!("CARGO_PKG_VERSION"));
    assert!(ok(azs_meters()).unwire().meters.len() > 10);
}

#[test]
fn one_debug_error_per_core_reason_crosses_with_its_name() {
    let errors = ok(azs_debug_errors()).unwire().errors;
    let names: Vec<String> = errors.iter().map(|e| format!("{:?}", e.reason)).collect();
    let want: Vec<&str> = azs_usage_core::Reason::ALL.iter().map(|r| r.as_str()).collect();
    assert_eq!(names, want);
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

fn emulator(faults: &str) -> (Emulator, azs_usage_emulator::ReadyInfo) {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let config = EmulatorConfig {
        database: StoreLocation::Memory,
        days: 2,
        approx_records: Some(2000),
        faults: faults.parse::<FaultConfig>().unwrap(),
        ..EmulatorConfig::default()
    };
    let running = rt.block_on(azs_usage_emulator::start(config)).unwrap();
    let info = running.info().clone();
    (Emulator { rt, running: Some(running) }, info)
}

fn connect(info: &azs_usage_emulator::ReadyInfo) -> Session {
    let session = ok(Session::create());
    let mut out = ok(session.connect(Wire::from(ConnectOptionsDto {
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
    out.error.clear();
    session
}

fn query(info: &azs_usage_emulator::ReadyInfo, start: &str, end: &str) -> QueryDto {
    QueryDto {
        api: "Provider".into(),
        subscription_id: info.provider_subscription_id.clone(),
        start: start.into(),
        end: end.into(),
        granularity: "Daily".into(),
        show_details: 1,
        subscriber_id: String::new(),
        continuation_token: String::new(),
        throttle_limit: 1,
    }
}

fn next(cursor: &Cursor) -> PageDto {
    ok(cursor.next_page()).unwire()
}

#[test]
fn a_bad_query_is_reported_as_text_by_the_first_page() {
    let (_emu, info) = emulator("");
    let session = connect(&info);
    let cursor = ok(Cursor::open(&session, Wire::from(query(&info, "2026-01-02T00:00:00Z", "2026-01-01T00:00:00Z"))));
    let page = next(&cursor);
    assert_eq!(page.done, 1);
    assert_eq!(page.error.len(), 1);
    assert_eq!(page.error[0].reason, ErrorReason::InvalidTimeRange);
    assert!(page.error[0].message.contains("start"), "{}", page.error[0].message);
    assert_eq!(next(&cursor).done, 1);
}

#[test]
fn pages_arrive_with_records_and_tokens() {
    let (_emu, info) = emulator("");
    let session = connect(&info);
    let end = Utc::now().duration_trunc(TimeDelta::days(1)).unwrap();
    let start = end - TimeDelta::days(1);
    let cursor = ok(Cursor::open(&session, Wire::from(query(&info, &start.to_rfc3339(), &end.to_rfc3339()))));
    let mut total = 0;
    loop {
        let page = next(&cursor);
        assert!(page.error.is_empty(), "{:?}", page.error);
        total += page.records.len();
        if page.done == 1 || page.continuation_token.is_empty() {
            break;
        }
    }
    assert!(total > 0);
    let events = ok(cursor.drain_events()).unwire().events;
    assert!(events.iter().any(|e| e.kind == "Request" && e.message.starts_with("GET ")));
    assert!(events.iter().all(|e| !e.message.contains(&info.admin.client_secret)));
}

#[test]
fn cancel_from_another_thread_unblocks_next_page() {
    // Every usage request answers after 20 s: next_page blocks until cancelled.
    let (_emu, info) = emulator("delay=20000:always");
    let session = connect(&info);
    let end = Utc::now().duration_trunc(TimeDelta::days(1)).unwrap();
    let start = end - TimeDelta::days(1);
    let cursor = Arc::new(ok(Cursor::open(&session, Wire::from(query(&info, &start.to_rfc3339(), &end.to_rfc3339())))));
    let c2 = Arc::clone(&cursor);
    let canceller = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(500));
        ok(c2.cancel());
    });
    let t0 = Instant::now();
    let page = next(&cursor);
    let waited = t0.elapsed();
    canceller.join().unwrap();
    assert_eq!(page.error.len(), 1, "{page:?}");
    assert_eq!(page.error[0].reason, ErrorReason::OperationCancelled);
    assert!(waited < Duration::from_secs(3), "next_page took {waited:?} after cancel");
    // Cancelled stays cancelled.
    assert_eq!(next(&cursor).error[0].reason, ErrorReason::OperationCancelled);
}

#[test]
fn the_tenant_directory_crosses_as_text_and_a_tenant_is_refused() {
    use azs_usage_native::DirectoryOutcome;
    let (_emu, info) = emulator("");
    let session = connect(&info);
    let directory = |s: &Session, provider: &str| -> DirectoryOutcome {
        ok(s.tenant_subscriptions(Wire::from(provider.to_string()))).unwire()
    };
    let explicit = directory(&session, &info.provider_subscription_id);
    assert!(explicit.error.is_empty(), "{:?}", explicit.error);
    let expected: Vec<_> = info.tenants.iter().flat_map(|t| t.subscriptions.iter()).collect();
    assert_eq!(explicit.subscriptions.len(), expected.len());
    for want in expected {
        let got = explicit.subscriptions.iter().find(|s| s.subscription_id == want.subscription_id).expect("listed");
        assert_eq!((&got.owner, &got.offer_name, &got.state), (&want.owner, &want.offer_name, &want.state));
        assert_eq!(got.provider_subscription_id, info.provider_subscription_id);
    }
    // Empty: the connection's default (provider) subscription.
    assert_eq!(directory(&session, "").subscriptions, explicit.subscriptions);
    let bad = directory(&session, "not a guid");
    assert!(bad.subscriptions.is_empty());
    assert_eq!(bad.error[0].reason, ErrorReason::InvalidSubscriptionId);

    // A tenant identity: PermissionDenied, with what to do.
    let tenant = ok(Session::create());
    let t = &info.tenants[0];
    let connected = ok(tenant.connect(Wire::from(ConnectOptionsDto {
        endpoint: info.tenant_endpoint.clone(),
        credential_kind: "ClientSecret".into(),
        client_id: t.client_id.clone(),
        secret: t.client_secret.clone(),
        tenant: t.tenant_id.clone(),
        certificate_path: String::new(),
        certificate_password: String::new(),
        ca_file: String::new(),
        insecure: 0,
        timeout_seconds: 0,
        max_retries: 0,
    })))
    .unwire();
    assert!(connected.error.is_empty());
    let refused = directory(&tenant, &t.subscription_ids[0]);
    assert_eq!(refused.error[0].reason, ErrorReason::PermissionDenied);
    assert_eq!(refused.error[0].status, 403);
    assert!(refused.error[0].message.contains("provider-only"), "{}", refused.error[0].message);

    // Not connected: an error, not a panic.
    let idle = ok(Session::create());
    assert_eq!(directory(&idle, "").error[0].reason, ErrorReason::NotConnected);
}
