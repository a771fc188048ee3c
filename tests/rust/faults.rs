//! Fault suite: the core client pulls through injected throttling, service errors, gateway
//! timeouts, dropped connections, slow answers, expiring tokens and an emulator restart, and every
//! run must end with exactly the emulator's records: none lost, none repeated (checked against the
//! store's own count and per-(subscription, meter) exact sums, and against a clean pull).
//!
//! Fault cases (counted for the README): 11 fault specs in the table of
//! `every_fault_spec_ends_with_exactly_the_stores_records`, plus Retry-After honoured, request
//! timeouts on slow answers, token expiry mid-pull, emulator restart mid-pull, concurrent split
//! under faults, Daily under faults, tenant API under faults, auth endpoint faults, and retry
//! budget exhaustion with resume: 20 fault cases in all.

use std::time::{Duration, Instant};

use azs_usage_core::{Api, ClientEvent, Granularity, Reason, RetryPolicy, SplitPlan, UsageQuery};
use azs_usage_emulator::store::StoreLocation;
use azs_usage_tests::*;
use futures::StreamExt;

/// Fault specs and the least number of faults each must have fired during one pull.
/// (11 cases)
const SPECS: &[(&str, u64, u64)] = &[
    // (spec, least faults fired, least client retries)
    ("429=0:every=3", 10, 10),                // throttling burst, Retry-After: 0
    ("429=0:next=6", 6, 6),                   // six 429s in a row on the first page
    ("503:next=5", 5, 5),                     // a burst of 503 without Retry-After
    ("503:every=3", 10, 10),                  // every third request fails
    ("503=0:0.3,seed=5", 5, 5),               // 503 with Retry-After: 0, at random
    ("504:every=4", 8, 8),                    // gateway timeouts on the large query
    ("504:next=3,503:every=5", 5, 5),         // gateway timeouts, then 503s
    ("drop:every=4", 8, 8),                   // connection dropped mid-body
    ("drop:0.2,seed=9", 5, 5),                // dropped at random
    ("delay=15:every=2,drop:every=5", 10, 5), // slow answers and drops
    ("429=0:0.1,503:0.1,504:0.05,drop:0.1,delay=10:0.1,seed=11", 8, 5), // everything, seeded
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fault_spec_ends_with_exactly_the_stores_records() {
    let emu = start(small_config()).await;
    let info = emu.info().clone();
    let c = client(admin_options(&info)).await;
    let clean = records_of(&collect_pages(c.pages(provider_hourly(&info))).await.expect("clean pull"));
    let count = assert_matches_store(&info, &clean, "clean pull").await;
    let mut lost = 0i64;
    let mut pulled = 0usize;
    for (spec, min_fired, min_retries) in SPECS {
        set_faults(&info, spec).await;
        let (hook, log) = event_log();
        let mut o = admin_options(&info);
        o.events = Some(hook);
        let c = client(o).await;
        let pages =
            collect_pages(c.pages(provider_hourly(&info))).await.unwrap_or_else(|e| panic!("{spec}: pull fails: {e}"));
        let records = records_of(&pages);
        let (_, fired) = fault_counters(&info).await;
        set_faults(&info, "").await;
        assert!(fired >= *min_fired, "{spec}: at least {min_fired} faults injected, got {fired}");
        let retries =
            log.lock().expect("log").iter().filter(|e| matches!(e, ClientEvent::RetryWait { .. })).count() as u64;
        assert!(retries >= *min_retries, "{spec}: the client retried ({retries} waits for {fired} faults)");
        assert!(pages.iter().all(|p| p.duplicates.is_empty()), "{spec}: no duplicate keys reported");
        lost += count as i64 - records.len() as i64;
        pulled += records.len();
        assert_matches_store(&info, &records, spec).await;
        assert_eq!(records, clean, "{spec}: the same records in the same order as the clean pull");
    }
    assert_eq!(lost, 0, "records lost over all specs");
    eprintln!("fault specs: {}, records pulled under faults: {pulled}, lost: {lost}", SPECS.len());
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_burst_honours_retry_after_and_loses_nothing() {
    let emu = start(small_config()).await;
    let info = emu.info().clone();
    set_faults(&info, "429=1:next=2").await;
    let c = client(admin_options(&info)).await;
    let started = Instant::now();
    let records = records_of(&collect_pages(c.pages(provider_hourly(&info))).await.expect("pull through 429s"));
    let elapsed = started.elapsed();
    assert_eq!(fault_counters(&info).await.1, 2, "two 429s injected");
    assert!(elapsed >= Duration::from_millis(1900), "Retry-After: 1 was honoured twice (took {elapsed:?})");
    set_faults(&info, "").await;
    assert_matches_store(&info, &records, "429=1:next=2").await;
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_answers_beyond_the_request_timeout_are_retried() {
    let emu = start(small_config()).await;
    let info = emu.info().clone();
    set_faults(&info, "delay=2000:every=6").await;
    let mut o = admin_options(&info);
    o.request_timeout = Duration::from_millis(700);
    let (hook, log) = event_log();
    o.events = Some(hook);
    let c = client(o).await;
    // One subscriber keeps the pull short: fewer delayed requests.
    let mut q = provider_hourly(&info);
    q.subscriber_id = Some(info.tenants[0].subscription_ids[0].clone());
    let records = records_of(&collect_pages(c.pages(q.clone())).await.expect("pull through timeouts"));
    let timeouts = log
        .lock()
        .expect("log")
        .iter()
        .filter(|e| matches!(e, ClientEvent::RetryWait { reason, .. } if reason.contains("timed out")))
        .count();
    set_faults(&info, "").await;
    assert!(timeouts >= 1, "at least one request timed out and was retried");
    let clean = records_of(&collect_pages(client(admin_options(&info)).await.pages(q)).await.expect("clean"));
    assert!(!clean.is_empty());
    assert_eq!(sorted_keys(&records), sorted_keys(&clean), "the slow pull equals a clean one");
    assert_eq!(records, clean);
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_expiring_mid_pull_is_refreshed_on_401() {
    let mut config = small_config();
    config.token_lifetime = Duration::from_secs(1);
    // Every fourth usage request is answered after the token it carried has expired.
    config.faults = "delay=1100:every=4".parse().expect("fault spec");
    let emu = start(config).await;
    let info = emu.info().clone();
    let (hook, log) = event_log();
    let mut o = admin_options(&info);
    o.events = Some(hook);
    let c = client(o).await;
    let mut q = provider_hourly(&info);
    q.subscriber_id = Some(info.tenants[0].subscription_ids[0].clone());
    let records = records_of(&collect_pages(c.pages(q.clone())).await.expect("pull outlives its tokens"));
    let refreshes = log
        .lock()
        .expect("log")
        .iter()
        .filter(|e| matches!(e, ClientEvent::RetryWait { reason, .. } if reason.contains("401")))
        .count();
    assert!(refreshes >= 1, "a 401 on an expired token was answered by fetching a new one");
    set_faults(&info, "").await;
    let clean = records_of(&collect_pages(client(admin_options(&info)).await.pages(q)).await.expect("clean"));
    assert!(clean.len() > 100, "several pages");
    assert_eq!(records, clean, "the pull across token expiry equals a clean one");
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_emulator_restarted_mid_pull_resumes_from_the_reported_token() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("emulator.db");
    let mut config = small_config();
    config.database = StoreLocation::File(db.clone());
    let emu = start(config.clone()).await;
    let info = emu.info().clone();
    let c = client(admin_options(&info)).await;
    let mut pages = c.pages(provider_hourly(&info));
    let mut first = Vec::new();
    for _ in 0..5 {
        first.push(pages.next().await.expect("a page").expect("page ok"));
    }
    emu.shutdown().await;

    // The pull goes on against a dead endpoint: the one page the client may have fetched ahead still
    // arrives, then the pull fails, naming the token of the last page delivered.
    let mut late_pages = 0;
    let err = loop {
        match pages.next().await.expect("an item") {
            Ok(page) => {
                late_pages += 1;
                assert!(late_pages <= 1, "at most the prefetched page arrives after the shutdown");
                first.push(page);
            }
            Err(e) => break e,
        }
    };
    let token = first.last().and_then(|p| p.continuation_token.clone()).expect("mid-pull token");
    assert!(matches!(err.reason, Reason::ConnectionFailed | Reason::ServiceUnavailable), "{err}");
    assert_eq!(err.resume_token.as_deref(), Some(token.as_str()), "resume from the last page delivered");
    drop(pages);

    // A new emulator on the same database (new port): the token is still valid there.
    let emu2 = start(config).await;
    let info2 = emu2.info().clone();
    assert_ne!(info.endpoint, info2.endpoint, "a new port");
    let c2 = client(admin_options(&info2)).await;
    let mut resumed = provider_hourly(&info2);
    resumed.continuation_token = err.resume_token.clone();
    let rest = records_of(&collect_pages(c2.pages(resumed)).await.expect("resumed pull"));
    let clean = records_of(&collect_pages(c2.pages(provider_hourly(&info2))).await.expect("clean pull"));
    let mut combined = records_of(&first);
    combined.extend(rest);
    assert_eq!(combined, clean, "records before the restart + after it = a clean pull, in order");
    assert_matches_store(&info2, &combined, "restart").await;
    emu2.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_concurrent_split_under_faults_equals_the_sequential_pull() {
    let emu = start(small_config()).await;
    let info = emu.info().clone();
    let c = client(admin_options(&info)).await;
    let sequential = records_of(&collect_pages(c.pages(provider_hourly(&info))).await.expect("sequential"));
    set_faults(&info, "503:every=3,drop:every=5,429=0:0.1,seed=4").await;
    let plan = SplitPlan { subscribers: Vec::new(), window: Some(chrono::Duration::hours(9)), concurrency: 4 };
    let split =
        records_of(&collect_pages(c.pages_split(provider_hourly(&info), plan)).await.expect("split under faults"));
    let (_, fired) = fault_counters(&info).await;
    set_faults(&info, "").await;
    assert!(fired >= 10, "faults were injected ({fired})");
    assert_eq!(sorted_keys(&split), sorted_keys(&sequential), "same multiset of records");
    assert_matches_store(&info, &split, "split under faults").await;
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn daily_and_tenant_pulls_under_faults_equal_clean_pulls() {
    let emu = start(small_config()).await;
    let info = emu.info().clone();
    let (start_t, end_t) = seeded_range();
    let admin = client(admin_options(&info)).await;
    let tenant = client(tenant_options(&info, 0)).await;
    let mut daily = UsageQuery::new(Api::Provider, info.provider_subscription_id.clone(), start_t, end_t);
    daily.granularity = Granularity::Daily;
    let mut own = UsageQuery::new(Api::Tenant, info.tenants[0].subscription_ids[0].clone(), start_t, end_t);
    own.granularity = Granularity::Hourly;
    let clean_daily = records_of(&collect_pages(admin.pages(daily.clone())).await.expect("daily"));
    let clean_own = records_of(&collect_pages(tenant.pages(own.clone())).await.expect("tenant"));
    assert!(!clean_daily.is_empty() && !clean_own.is_empty());

    set_faults(&info, "drop:every=2,503:every=3").await;
    let faulty_daily = records_of(&collect_pages(admin.pages(daily)).await.expect("daily under faults"));
    let faulty_own = records_of(&collect_pages(tenant.pages(own)).await.expect("tenant under faults"));
    let (_, fired) = fault_counters(&info).await;
    set_faults(&info, "").await;
    assert!(fired >= 4, "faults were injected ({fired})");
    assert_eq!(faulty_daily, clean_daily, "Daily (aggregated, cached pages) under faults");
    assert_eq!(faulty_own, clean_own, "tenant API under faults");
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_token_and_metadata_endpoints_are_retried() {
    let mut config = small_config();
    config.faults = "503:next=3@auth".parse().expect("fault spec");
    let emu = start(config).await;
    let info = emu.info().clone();
    let c = client(admin_options(&info)).await;
    let records = records_of(&collect_pages(c.pages(provider_hourly(&info))).await.expect("pull after auth faults"));
    let token = admin_token(&info).await; // works now: the burst is spent
    assert!(!token.is_empty());
    assert_matches_store(&info, &records, "503:next=3@auth").await;
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exhausted_retry_budget_reports_everything_needed_to_resume_without_loss() {
    let emu = start(small_config()).await;
    let info = emu.info().clone();
    let clean = records_of(
        &collect_pages(client(admin_options(&info)).await.pages(provider_hourly(&info))).await.expect("clean"),
    );
    // Pages 1-4 succeed, then 503 on every request: a budget of 2 retries runs out on page 5.
    set_faults(&info, "delay=0:next=4,503=0").await;
    let budget = RetryPolicy {
        max_retries: 2,
        initial_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(5),
        max_elapsed: Duration::from_secs(10),
    };
    let c = client(admin_options_with(&info, budget)).await;
    let mut pages = c.pages(provider_hourly(&info));
    let mut first = Vec::new();
    let err = loop {
        match pages.next().await.expect("stream ends with an error") {
            Ok(p) => first.push(p),
            Err(e) => break e,
        }
    };
    assert_eq!(first.len(), 4, "four pages before the budget ran out");
    assert_eq!(err.reason, Reason::ServiceUnavailable, "{err}");
    assert_eq!(err.attempts, 3, "one try and two retries: {err:?}");
    assert_eq!(err.status, Some(503));
    assert_eq!(err.code.as_deref(), Some("ServiceUnavailable"), "{err:?}");
    let rid = err.request_id.clone().expect("request id of the last answer");
    assert!(
        err.message.contains(&rid) && err.message.contains("3 attempt"),
        "message names attempts and request id: {}",
        err.message
    );
    assert_eq!(err.resume_token, first[3].continuation_token, "resume token = last page delivered");

    set_faults(&info, "").await;
    let mut q = provider_hourly(&info);
    q.continuation_token = err.resume_token.clone();
    let rest = records_of(&collect_pages(c.pages(q)).await.expect("resumed"));
    let mut combined = records_of(&first);
    combined.extend(rest);
    assert_eq!(combined, clean, "before + after the failure = a clean pull");
    assert_matches_store(&info, &combined, "retry budget").await;
    emu.shutdown().await;
}
