//! The sync against a real emulator (in process, on loopback) into real databases: every case runs
//! on SQLite and on PostgreSQL (a throwaway cluster, `azs_usage_tests::pg`), and every case ends by
//! checking the database's tables, read directly, against the emulator's own store
//! (`/_emulator/stats`): the same count and the same exact sums per subscription and meter.

use std::sync::{Arc, Mutex};

use azs_usage_core::{Granularity, UsageClient};
use azs_usage_emulator::RunningEmulator;
use azs_usage_store::{
    DatabaseUrl, Reason, RunStatus, RunSummary, StampTarget, Store, SyncEvent, SyncOptions, SyncRange, SyncRequest,
};
use azs_usage_tests::db::{Engine, TestDb};
use chrono::{DateTime, Duration, Utc};

/// The emulator's clock, and the last complete hour the syncs stop at.
fn now() -> DateTime<Utc> {
    azs_usage_tests::fixed_now()
}

/// Where the first runs start: before the seeded data.
fn since() -> DateTime<Utc> {
    now() - Duration::days(4)
}

async fn emulator() -> RunningEmulator {
    azs_usage_tests::start(azs_usage_tests::small_config()).await
}

async fn client(emu: &RunningEmulator, max_retries: u32) -> UsageClient {
    let mut retry = azs_usage_tests::quick_retry();
    retry.max_retries = max_retries;
    azs_usage_tests::client(azs_usage_tests::admin_options_with(emu.info(), retry)).await
}

async fn open(db: &TestDb) -> Store {
    let url = DatabaseUrl::parse_with_env(&db.url, |k| db.env_var(k)).expect("database URL");
    Store::open(&url).await.expect("store opens")
}

fn request(client: UsageClient, range: SyncRange) -> SyncRequest {
    let target =
        StampTarget { name: "lab".into(), client, provider_subscription: None, granularity: Granularity::Hourly };
    let mut r = SyncRequest::new(vec![target], range);
    r.chunk = Duration::hours(12);
    r
}

fn options() -> SyncOptions {
    SyncOptions { now: Some(now()), ..SyncOptions::default() }
}

fn incremental(until: Option<DateTime<Utc>>) -> SyncRange {
    SyncRange::Incremental { since: Some(since()), until }
}

/// Asserts that the database holds exactly the emulator's records reported in `[since, until)`,
/// and that the daily summaries agree with the records. Returns the count.
async fn assert_exact(emu: &RunningEmulator, db: &TestDb, until: DateTime<Utc>, what: &str) -> u64 {
    let (expected, expected_totals) = azs_usage_tests::store_totals(emu.info(), since(), until).await;
    let (count, totals) = db.usage_totals("").await;
    assert!(expected > 100, "{what}: the emulator has records in the window");
    assert_eq!(count, expected, "{what}: every record once (missing or extra: {})", count as i64 - expected as i64);
    assert_eq!(totals, expected_totals, "{what}: counts and exact sums per subscription and meter");
    let (daily, daily_totals) = db.daily_totals().await;
    assert_eq!((daily, daily_totals), (count, totals), "{what}: usage_daily agrees with usage_records");
    count
}

fn succeeded(s: &RunSummary) {
    assert_eq!(s.status, RunStatus::Succeeded, "run failed: {:?}", s.failures);
}

/// Each case as one async fn over an engine; the macro makes a test per engine.
macro_rules! both_engines {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name(super::Engine::Sqlite).await })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                if azs_usage_tests::pg::skip_postgres() { return; }
                super::$name(super::Engine::Postgres).await
            })*
        }
    };
}

both_engines!(
    first_sync_holds_every_record_once,
    the_same_window_twice_adds_nothing,
    late_records_are_picked_up_by_the_next_run,
    the_emulator_failing_mid_window_loses_and_repeats_nothing,
    retried_faults_do_not_change_the_result,
    a_cancelled_run_rolls_back_its_window,
    a_second_run_is_refused_while_the_first_holds_the_lock,
    two_stamps_sync_concurrently_into_one_database,
    a_newer_schema_is_refused_untouched,
    the_directory_follows_the_emulator_and_is_never_duplicated,
    a_directory_that_cannot_be_read_is_a_warning_not_a_failure,
);

async fn first_sync_holds_every_record_once(engine: Engine) {
    let emu = emulator().await;
    let db = TestDb::new(engine, "first_sync");
    let store = open(&db).await;
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = events.clone();
    let mut opts = options();
    opts.events = Some(Arc::new(move |e: &SyncEvent| sink.lock().unwrap().push(e.to_string())));
    let s = store.sync(request(client(&emu, 8).await, incremental(None)), opts).await.expect("sync");
    succeeded(&s);
    let n = assert_exact(&emu, &db, now(), "first run").await;
    assert_eq!(s.inserted(), n);
    assert_eq!(s.replaced(), 0);
    // 4 days on a 12-hour grid.
    assert_eq!(s.windows(), 8);
    assert_eq!(s.scopes[0].watermark, Some(now()));
    assert_eq!(db.count("SELECT count(*) FROM sync_windows").await, 8);
    let runs = db
        .rows(&format!("SELECT status, {}, {} FROM sync_runs", db.text("windows"), db.text("records_inserted")))
        .await;
    assert_eq!(runs, vec![vec![Some("succeeded".into()), Some("8".into()), Some(n.to_string())]]);
    {
        let events = events.lock().unwrap();
        assert!(events.iter().any(|e| e.contains("window 8/8") && e.contains("committed")), "{events:?}");
    }
    // An immediate rerun has nothing to do.
    let s = store.sync(request(client(&emu, 8).await, incremental(None)), options()).await.expect("rerun");
    succeeded(&s);
    assert_eq!((s.windows(), s.inserted()), (0, 0));
    assert_exact(&emu, &db, now(), "after an idle rerun").await;
}

async fn the_same_window_twice_adds_nothing(engine: Engine) {
    let emu = emulator().await;
    let db = TestDb::new(engine, "same_window_twice");
    let store = open(&db).await;
    let first = store.sync(request(client(&emu, 8).await, incremental(None)), options()).await.expect("sync");
    succeeded(&first);
    let n = assert_exact(&emu, &db, now(), "first run").await;
    // Re-sync the whole range, then a window inside one stored window (it is widened to the whole window).
    let again = SyncRange::Resync { from: since(), to: now() };
    let s = store.sync(request(client(&emu, 8).await, again), options()).await.expect("re-sync");
    succeeded(&s);
    assert_eq!((s.inserted(), s.replaced()), (n, n), "every record replaced by itself");
    assert_exact(&emu, &db, now(), "after re-syncing everything").await;
    let inner = SyncRange::Resync { from: now() - Duration::hours(30), to: now() - Duration::hours(29) };
    let s = store.sync(request(client(&emu, 8).await, inner), options()).await.expect("re-sync of one hour");
    succeeded(&s);
    assert_eq!(s.windows(), 1, "one stored window re-pulled");
    assert!(s.inserted() > 0 && s.inserted() == s.replaced());
    assert_exact(&emu, &db, now(), "after re-syncing one hour").await;
    assert_eq!(db.count("SELECT count(*) FROM sync_windows").await, 8, "windows never split");
}

async fn late_records_are_picked_up_by_the_next_run(engine: Engine) {
    let emu = emulator().await;
    let db = TestDb::new(engine, "late_records");
    let store = open(&db).await;
    let t1 = now() - Duration::hours(6);
    let s = store.sync(request(client(&emu, 8).await, incremental(Some(t1))), options()).await.expect("sync to t1");
    succeeded(&s);
    assert_exact(&emu, &db, t1, "first run").await;
    // Records for hours long synced, reported after t1: late, as the real service reports them.
    let sub = emu.info().tenants[0].subscription_ids[0].clone();
    let late: Vec<serde_json::Value> = (0..5)
        .map(|i| {
            serde_json::json!({
                "subscriptionId": sub,
                "meterId": "FAB6EB84-500B-4A09-A8CA-7358F8BBAEA5",
                "usageStartTime": (now() - Duration::hours(40 + i)).format("%Y-%m-%dT%H:00:00Z").to_string(),
                "reportedTime": (t1 + Duration::minutes(30 + 10 * i)).format("%Y-%m-%dT%H:%M:%SZ").to_string(),
                "quantity": "0.123456789012345678",
                "resourceUri": format!("/subscriptions/{sub}/resourceGroups/late/providers/Microsoft.Compute/virtualMachines/late{i}"),
                "tags": {"CostCenter": "late"},
            })
        })
        .collect();
    let (inserted, _) = azs_usage_tests::ingest(emu.info(), serde_json::Value::Array(late)).await;
    assert_eq!(inserted, 5);
    assert_exact(&emu, &db, t1, "the late records are not in the synced windows").await;
    let s = store.sync(request(client(&emu, 8).await, incremental(None)), options()).await.expect("next run");
    succeeded(&s);
    assert_exact(&emu, &db, now(), "the next run picked them up").await;
    assert_eq!(db.count("SELECT count(*) FROM usage_records WHERE resource_group = 'late'").await, 5);
}

async fn the_emulator_failing_mid_window_loses_and_repeats_nothing(engine: Engine) {
    let emu = emulator().await;
    let db = TestDb::new(engine, "emulator_fails");
    let store = open(&db).await;
    // Twelve good pages (the first window and a part of the second), then the service is down.
    azs_usage_tests::set_faults(emu.info(), "delay=1:next=12,503").await;
    let s = store.sync(request(client(&emu, 1).await, incremental(None)), options()).await.expect("run");
    assert_eq!(s.status, RunStatus::Failed);
    assert_eq!(s.failures[0].reason(), Reason::ServiceUnavailable, "{:?}", s.failures);
    assert!(s.failures[0].message().contains("window"), "{}", s.failures[0]);
    let watermark = s.scopes[0].watermark.expect("a window was committed");
    assert!(watermark > since() && watermark < now());
    // Exactly the committed windows: the window that failed left nothing.
    let (expected, expected_totals) = azs_usage_tests::store_totals(emu.info(), since(), watermark).await;
    let (count, totals) = db.usage_totals("").await;
    assert_eq!((count, totals), (expected, expected_totals), "only whole windows up to the watermark");
    let runs = db.rows("SELECT status, errors FROM sync_runs").await;
    assert_eq!(runs[0][0].as_deref(), Some("failed"));
    assert!(runs[0][1].as_deref().unwrap_or("").contains("ServiceUnavailable"), "{runs:?}");
    // The service comes back; the next run completes the range.
    azs_usage_tests::set_faults(emu.info(), "").await;
    let s = store.sync(request(client(&emu, 1).await, incremental(None)), options()).await.expect("rerun");
    succeeded(&s);
    assert_exact(&emu, &db, now(), "after the service came back").await;
}

async fn retried_faults_do_not_change_the_result(engine: Engine) {
    let emu = emulator().await;
    let db = TestDb::new(engine, "retried_faults");
    let store = open(&db).await;
    azs_usage_tests::set_faults(emu.info(), "503:every=4,drop:every=7,429=0:every=9").await;
    let s = store.sync(request(client(&emu, 12).await, incremental(None)), options()).await.expect("sync");
    succeeded(&s);
    let (_, fired) = azs_usage_tests::fault_counters(emu.info()).await;
    assert!(fired > 5, "faults fired: {fired}");
    assert_exact(&emu, &db, now(), "through retried faults").await;
}

async fn a_cancelled_run_rolls_back_its_window(engine: Engine) {
    let emu = emulator().await;
    let db = TestDb::new(engine, "cancelled");
    let store = open(&db).await;
    azs_usage_tests::set_faults(emu.info(), "delay=30").await;
    let mut opts = options();
    let cancel = opts.cancel.clone();
    let pages = Arc::new(Mutex::new(0u32));
    let seen = pages.clone();
    opts.events = Some(Arc::new(move |e: &SyncEvent| {
        if matches!(e, SyncEvent::PageStored { .. }) {
            let mut n = seen.lock().unwrap();
            *n += 1;
            if *n == 15 {
                cancel.cancel();
            }
        }
    }));
    let s = store.sync(request(client(&emu, 8).await, incremental(None)), opts).await.expect("run");
    assert_eq!(s.status, RunStatus::Cancelled);
    let watermark = s.scopes[0].watermark.expect("the first window was committed");
    let (expected, _) = azs_usage_tests::store_totals(emu.info(), since(), watermark).await;
    assert_eq!(db.usage_totals("").await.0, expected, "the window in progress was rolled back");
    assert_eq!(db.rows("SELECT status FROM sync_runs").await[0][0].as_deref(), Some("cancelled"));
    azs_usage_tests::set_faults(emu.info(), "").await;
    let s = store.sync(request(client(&emu, 8).await, incremental(None)), options()).await.expect("rerun");
    succeeded(&s);
    assert_exact(&emu, &db, now(), "after the cancelled run").await;
}

async fn a_second_run_is_refused_while_the_first_holds_the_lock(engine: Engine) {
    let emu = emulator().await;
    let db = TestDb::new(engine, "locked");
    let store = Arc::new(open(&db).await);
    azs_usage_tests::set_faults(emu.info(), "delay=40").await;
    let (started_tx, started_rx) = tokio::sync::oneshot::channel();
    let started_tx = Mutex::new(Some(started_tx));
    let mut opts = options();
    opts.events = Some(Arc::new(move |e: &SyncEvent| {
        if matches!(e, SyncEvent::PageStored { .. })
            && let Some(tx) = started_tx.lock().unwrap().take()
        {
            let _ = tx.send(());
        }
    }));
    let first = {
        let (store, client) = (store.clone(), client(&emu, 8).await);
        tokio::spawn(async move { store.sync(request(client, incremental(None)), opts).await })
    };
    started_rx.await.expect("the first run is writing");
    let second = open(&db).await;
    let e = second.sync(request(client(&emu, 8).await, incremental(None)), options()).await.unwrap_err();
    assert_eq!(e.reason(), Reason::SyncLocked, "{e}");
    assert!(e.message().contains(&format!("pid {}", std::process::id())), "names the holder: {e}");
    // --wait queues behind the first run, which then finishes; the second finds nothing to do.
    let mut waiting = request(client(&emu, 8).await, incremental(None));
    waiting.wait_for_lock = true;
    let waited = tokio::spawn(async move { second.sync(waiting, options()).await });
    let s = first.await.expect("first task").expect("first run");
    succeeded(&s);
    azs_usage_tests::set_faults(emu.info(), "").await;
    let w = waited.await.expect("second task").expect("second run");
    succeeded(&w);
    assert_eq!(w.inserted(), 0);
    assert_exact(&emu, &db, now(), "two runs, one after the other").await;
}

async fn two_stamps_sync_concurrently_into_one_database(engine: Engine) {
    let east = emulator().await;
    let mut cfg = azs_usage_tests::small_config();
    cfg.seed = 99;
    let west = azs_usage_tests::start(cfg).await;
    let db = TestDb::new(engine, "two_stamps");
    let store = open(&db).await;
    let target = |name: &str, client| StampTarget {
        name: name.into(),
        client,
        provider_subscription: None,
        granularity: Granularity::Hourly,
    };
    let mut r = SyncRequest::new(
        vec![target("east", client(&east, 8).await), target("west", client(&west, 8).await)],
        incremental(None),
    );
    r.chunk = Duration::hours(24);
    let s = store.sync(r, options()).await.expect("sync");
    succeeded(&s);
    assert_eq!(s.scopes.len(), 2);
    for (name, emu) in [("east", &east), ("west", &west)] {
        let (expected, expected_totals) = azs_usage_tests::store_totals(emu.info(), since(), now()).await;
        let (count, totals) = db.usage_totals(&format!("WHERE stamp = '{name}'")).await;
        assert_eq!((count, totals), (expected, expected_totals), "stamp {name}: every record once");
    }
}

async fn a_newer_schema_is_refused_untouched(engine: Engine) {
    let emu = emulator().await;
    let db = TestDb::new(engine, "newer_schema");
    let store = open(&db).await;
    succeeded(
        &store
            .sync(request(client(&emu, 8).await, incremental(Some(now() - Duration::hours(60)))), options())
            .await
            .unwrap(),
    );
    drop(store);
    let insert = "INSERT INTO schema_version (version, name, applied_at, tool_version) VALUES (999, 'future', '2030-01-01T00:00:00Z', '9.0.0')";
    match engine {
        Engine::Sqlite => {
            let c = rusqlite::Connection::open(db.path.as_ref().unwrap()).unwrap();
            c.execute(insert, []).unwrap();
        }
        Engine::Postgres => {
            db.rows(insert).await;
        }
    }
    let before = db.fingerprint().await;
    let url = DatabaseUrl::parse_with_env(&db.url, |k| db.env_var(k)).unwrap();
    let e = Store::open(&url).await.unwrap_err();
    assert_eq!(e.reason(), Reason::SchemaTooNew, "{e}");
    assert!(e.message().contains("999") && e.message().contains("upgrade"), "{e}");
    assert_eq!(db.fingerprint().await, before, "the database was left as it was");
}

/// The emulator's directory as the ready file lists it (the deleted subscription included), in the
/// form the `subscriptions` table is compared in: (id lower case, name, owner, tenant, offer id,
/// offer name, state, provider), sorted.
fn emulator_directory(emu: &RunningEmulator) -> Vec<Vec<Option<String>>> {
    let info = emu.info();
    let mut rows: Vec<Vec<Option<String>>> = info
        .tenants
        .iter()
        .flat_map(|t| {
            t.subscriptions.iter().map(move |s| {
                [
                    s.subscription_id.to_lowercase(),
                    s.display_name.clone(),
                    s.owner.clone(),
                    t.tenant_id.clone(),
                    s.offer_id.clone(),
                    s.offer_name.clone(),
                    s.state.clone(),
                    info.provider_subscription_id.clone(),
                ]
                .into_iter()
                .map(Some)
                .collect()
            })
        })
        .collect();
    rows.sort();
    rows
}

async fn stored_directory(db: &TestDb) -> Vec<Vec<Option<String>>> {
    db.rows(
        "SELECT subscription_id, display_name, owner, tenant_id, offer_id, offer_name, state, provider_subscription_id
         FROM subscriptions WHERE stamp = 'lab' ORDER BY subscription_id",
    )
    .await
}

async fn the_directory_follows_the_emulator_and_is_never_duplicated(engine: Engine) {
    let emu = emulator().await;
    let db = TestDb::new(engine, "directory");
    let store = open(&db).await;
    let until = Some(since() + Duration::hours(12));
    let s = store.sync(request(client(&emu, 8).await, incremental(until)), options()).await.expect("sync");
    succeeded(&s);
    let expected = emulator_directory(&emu);
    assert!(expected.iter().any(|r| r[6].as_deref() == Some("Deleted")), "the emulator has a deleted subscription");
    assert_eq!(s.directory_rows, expected.len() as u64);
    assert_eq!(stored_directory(&db).await, expected, "the subscriptions table is the emulator's directory");
    // Stale data in the table (a renamed row, a subscription the stamp no longer lists): the next
    // run replaces the stamp's directory as a whole.
    let stale = &expected[0][0].clone().unwrap();
    db.rows(&format!(
        "UPDATE subscriptions SET display_name = 'stale', state = 'Warned' WHERE subscription_id = '{stale}'"
    ))
    .await;
    db.rows(
        "INSERT INTO subscriptions (stamp, subscription_id, display_name, owner, tenant_id, offer_id, offer_name, state,
         delegated_provider_subscription_id, provider_subscription_id, refreshed_at)
         VALUES ('lab', '00000000-0000-0000-0000-00000000dead', 'gone', '', '', '', '', 'Enabled', '', '', '2026-01-01T00:00:00Z')",
    )
    .await;
    let s = store.sync(request(client(&emu, 8).await, incremental(None)), options()).await.expect("second sync");
    succeeded(&s);
    assert_eq!(stored_directory(&db).await, expected, "updated, never duplicated");
    assert_eq!(db.count("SELECT count(*) FROM subscriptions").await, expected.len() as i64);
    // Usage of every tenant joins its directory row (the view's tenant is filled).
    let untenanted = db.count("SELECT count(*) FROM usage_daily d LEFT JOIN subscriptions s ON s.subscription_id = d.subscription_id WHERE s.subscription_id IS NULL").await;
    assert_eq!(untenanted, 0, "every usage subscription is in the directory");
}

async fn a_directory_that_cannot_be_read_is_a_warning_not_a_failure(engine: Engine) {
    let emu = emulator().await;
    let db = TestDb::new(engine, "directory_fails");
    let store = open(&db).await;
    // The first data request is the directory's (the provider subscription is given, so no
    // lookup precedes it); without retries it fails once, and the usage that follows is served.
    azs_usage_tests::set_faults(emu.info(), "500:next=1").await;
    let mut r = request(client(&emu, 0).await, incremental(None));
    r.targets[0].provider_subscription = Some(emu.info().provider_subscription_id.clone());
    let s = store.sync(r, options()).await.expect("sync");
    succeeded(&s);
    assert_eq!(s.directory_rows, 0);
    assert_eq!(s.warnings.len(), 1, "{:?}", s.warnings);
    assert!(s.warnings[0].contains("directory not refreshed"), "{:?}", s.warnings);
    assert!(s.inserted() > 0, "the usage was synced");
    assert_eq!(db.count("SELECT count(*) FROM subscriptions").await, 0);
    let runs = db.rows("SELECT status, errors FROM sync_runs").await;
    assert_eq!(runs[0][0].as_deref(), Some("succeeded"));
    assert!(
        runs[0][1].as_deref().unwrap_or("").contains("directory not refreshed"),
        "the run history says so: {runs:?}"
    );
    assert_exact(&emu, &db, now(), "usage despite the directory").await;
}

/// Reads one Parquet file with DuckDB (`tests/focus/totals.mjs`; an engine independent of this project): its row
/// count and the exact sum of one decimal column.
fn duckdb_sum(path: &std::path::Path, column: &str) -> (u64, rust_decimal::Decimal) {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/focus/totals.mjs");
    let out = std::process::Command::new("node")
        .arg(script)
        .arg(path)
        .arg(column)
        .output()
        .expect("node runs (build.sh setup installs Node.js and DuckDB)");
    assert!(out.status.success(), "DuckDB read {}: {}", path.display(), String::from_utf8_lossy(&out.stderr));
    let read: serde_json::Value = serde_json::from_slice(&out.stdout).expect("totals.mjs prints JSON");
    let values = read["billed"].as_array().expect("values");
    let sum = values
        .iter()
        .map(|v| v.as_str().and_then(|t| t.parse::<rust_decimal::Decimal>().ok()).expect("a decimal"))
        .sum();
    (read["rows"].as_u64().expect("rows"), sum)
}

mod costs {
    use super::*;
    use azs_usage_pricing::FocusOptions;
    use azs_usage_store::{ExportFormat, ExportRequest, ExportTable, RateCardCosts};
    use rust_decimal::Decimal;

    /// A rate card pricing every meter the database holds at 0.01 USD per unit, but one.
    async fn rate_card(db: &TestDb, dir: &std::path::Path) -> (RateCardCosts, String) {
        let mut meters: Vec<String> = db
            .rows("SELECT DISTINCT meter_id FROM usage_records")
            .await
            .into_iter()
            .filter_map(|r| r[0].clone())
            .collect();
        meters.sort();
        let unpriced = meters.pop().expect("meters");
        let mut csv = String::from("MeterId,UnitPrice,Currency\n");
        for m in &meters {
            csv.push_str(&format!("{m},0.01,USD\n"));
        }
        let path = dir.join("card.csv");
        std::fs::write(&path, csv).unwrap();
        let (costs, _) = RateCardCosts::load(&path, &Default::default(), FocusOptions::default()).expect("rate card");
        (costs, unpriced)
    }

    async fn check(db: &TestDb, unpriced: &str, what: &str) {
        let priced = db.usage_totals(&format!("WHERE meter_id <> '{unpriced}'")).await;
        let expected: Decimal = priced.1.values().map(|(_, q)| *q).sum::<Decimal>() * Decimal::new(1, 2);
        let rows = db.count("SELECT count(*) FROM focus_costs").await as u64;
        assert_eq!(rows, priced.0, "{what}: one cost row per priced record");
        let sum = |sql: String| async move {
            db.rows(&sql)
                .await
                .iter()
                .map(|r| r[0].as_deref().unwrap_or("0").parse::<Decimal>().unwrap())
                .sum::<Decimal>()
        };
        let billed = sum(format!("SELECT {} FROM focus_costs", db.text("billed_cost"))).await;
        assert_eq!(billed, expected, "{what}: billed cost = quantity x price, exactly");
        let monthly = sum(format!("SELECT {} FROM v_monthly_cost_by_tenant", db.text("billed_cost"))).await;
        assert_eq!(monthly, expected, "{what}: the monthly view adds up");
        for key in db.rows("SELECT DISTINCT tag_key FROM v_cost_by_tag").await {
            let key = key[0].clone().unwrap();
            let by_tag =
                sum(format!("SELECT {} FROM v_cost_by_tag WHERE tag_key = '{key}'", db.text("billed_cost"))).await;
            assert_eq!(by_tag, expected, "{what}: tag {key}'s values (untagged included) add up to the total");
        }
        assert_eq!(db.count("SELECT count(*) FROM cost_dirty_months").await, 0, "{what}: no month left stale");
    }

    async fn costs_follow_usage_month_by_month(engine: Engine) {
        let emu = emulator().await;
        let db = TestDb::new(engine, "costs");
        let store = open(&db).await;
        succeeded(
            &store
                .sync(request(client(&emu, 8).await, incremental(Some(since() + Duration::hours(48)))), options())
                .await
                .unwrap(),
        );
        let dir = tempfile::tempdir().unwrap();
        let (costs, unpriced) = rate_card(&db, dir.path()).await;
        let costs = Arc::new(costs);
        let mut r = request(client(&emu, 8).await, incremental(None));
        r.costs = Some(costs.clone());
        let s = store.sync(r, options()).await.expect("sync with costs");
        succeeded(&s);
        assert!(!s.costs.is_empty() && s.costs.iter().map(|c| c.unpriced).sum::<u64>() > 0, "{:?}", s.costs);
        assert_exact(&emu, &db, now(), "usage").await;
        check(&db, &unpriced, "first pricing").await;
        // The cost rows exported as FOCUS Parquet and CSV: DuckDB finds every row and the same billed total.
        let url = DatabaseUrl::parse_with_env(&db.url, |k| db.env_var(k)).unwrap();
        let reader = Store::open_read_only(&url).await.expect("read-only store");
        let stored_rows = db.count("SELECT count(*) FROM focus_costs").await as u64;
        let stored: Vec<Decimal> = db
            .rows(&format!("SELECT {} FROM focus_costs", db.text("billed_cost")))
            .await
            .iter()
            .map(|r| r[0].as_deref().unwrap_or("0").parse::<Decimal>().unwrap())
            .collect();
        // Parquet's Decimal128(38, 18) holds each amount to 18 decimals (half to even); the CSV keeps every digit.
        let stored_billed_18: Decimal = stored
            .iter()
            .map(|d| d.round_dp_with_strategy(18, rust_decimal::RoundingStrategy::MidpointNearestEven))
            .sum();
        for format in [ExportFormat::Parquet, ExportFormat::Csv] {
            let request = ExportRequest {
                table: ExportTable::Focus,
                format,
                months: Vec::new(),
                output_dir: dir.path().join("lake"),
                granularity: None,
            };
            let files = reader.export(&request).await.expect("focus export");
            assert!(!files.is_empty() && files.iter().all(|f| f.path.to_string_lossy().contains("focus")), "{files:?}");
            assert_eq!(files.iter().map(|f| f.rows).sum::<u64>(), stored_rows, "{format:?}: every cost row");
            if format == ExportFormat::Parquet {
                let (mut rows, mut billed) = (0u64, Decimal::ZERO);
                for f in &files {
                    let (n, sum) = duckdb_sum(&f.path, "BilledCost");
                    rows += n;
                    billed += sum;
                }
                assert_eq!((rows, billed), (stored_rows, stored_billed_18), "DuckDB reads the exported FOCUS rows");
            } else {
                // The CSV is the pricing crate's FOCUS CSV: its reader takes it back row for row.
                let (mut read, mut billed) = (0u64, Decimal::ZERO);
                for f in &files {
                    for row in azs_usage_pricing::read_focus(&f.path).expect("FOCUS CSV") {
                        billed += row.expect("a FOCUS row").billed_cost;
                        read += 1;
                    }
                }
                assert_eq!((read, billed), (stored_rows, stored.iter().sum::<Decimal>()), "the CSV keeps every digit");
            }
        }
        assert_eq!(db.count("SELECT count(*) FROM rate_cards").await, 1);
        assert!(db.count("SELECT count(*) FROM rate_card_rows").await > 3);
        // A re-synced window marks its month; its costs are replaced as a whole, to the same figures.
        let mut r = request(client(&emu, 8).await, SyncRange::Resync { from: now() - Duration::hours(24), to: now() });
        r.costs = Some(costs);
        let s = store.sync(r, options()).await.expect("re-sync with costs");
        succeeded(&s);
        assert!(!s.costs.is_empty());
        check(&db, &unpriced, "after a re-sync").await;
        let tag_rows = db.count("SELECT count(*) FROM cost_by_tag WHERE tag_value = '(untagged)'").await;
        assert!(tag_rows > 0, "the untagged bucket is there");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite_costs_follow_usage_month_by_month() {
        costs_follow_usage_month_by_month(Engine::Sqlite).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres_costs_follow_usage_month_by_month() {
        if azs_usage_tests::pg::skip_postgres() {
            return;
        }
        costs_follow_usage_month_by_month(Engine::Postgres).await
    }
}

mod export {
    use super::*;
    use arrow_array::{Array, Decimal128Array};
    use azs_usage_store::{ExportFormat, ExportRequest, ExportTable, QUANTITY_SCALE};
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    use rust_decimal::Decimal;

    async fn exports_months_as_parquet_and_csv(engine: Engine) {
        let emu = emulator().await;
        let db = TestDb::new(engine, "export");
        let store = open(&db).await;
        succeeded(&store.sync(request(client(&emu, 8).await, incremental(None)), options()).await.unwrap());
        let (count, totals) = db.usage_totals("").await;
        let expected_sum: Decimal = totals.values().map(|(_, q)| *q).sum();
        let dir = tempfile::tempdir().unwrap();
        let url = DatabaseUrl::parse_with_env(&db.url, |k| db.env_var(k)).unwrap();
        let reader = Store::open_read_only(&url).await.expect("read-only store");
        for format in [ExportFormat::Parquet, ExportFormat::Csv] {
            let files = reader
                .export(&ExportRequest {
                    table: ExportTable::Usage,
                    format,
                    months: Vec::new(),
                    output_dir: dir.path().join("lake"),
                    granularity: None,
                })
                .await
                .expect("export");
            assert_eq!(files.len(), 2, "October and November: {files:?}");
            assert!(files[0].path.ends_with("usage/2026/10/usage-2026-10.parquet") || format == ExportFormat::Csv);
            let (mut rows, mut sum) = (0u64, Decimal::ZERO);
            let listed: u64 = files.iter().map(|f| f.rows).sum();
            for f in &files {
                assert_eq!(f.rounded, 0);
                if format == ExportFormat::Parquet {
                    let file = std::fs::File::open(&f.path).unwrap();
                    let batches = ParquetRecordBatchReaderBuilder::try_new(file).unwrap().build().unwrap();
                    for batch in batches {
                        let batch = batch.unwrap();
                        let q = batch
                            .column_by_name("Quantity")
                            .unwrap()
                            .as_any()
                            .downcast_ref::<Decimal128Array>()
                            .unwrap();
                        for i in 0..q.len() {
                            sum += Decimal::from_i128_with_scale(q.value(i), QUANTITY_SCALE);
                        }
                        rows += batch.num_rows() as u64;
                        assert!(
                            batch.column_by_name("Stamp").is_some()
                                && batch.column_by_name("ReportedStartTime").is_some()
                        );
                    }
                } else {
                    let mut csv = csv::Reader::from_path(&f.path).unwrap();
                    let header: Vec<String> = csv.headers().unwrap().iter().map(String::from).collect();
                    assert_eq!(&header[..17], azs_usage_core::FIELD_NAMES.as_slice());
                    for r in csv.records() {
                        sum += r.unwrap()[5].parse::<Decimal>().unwrap();
                        rows += 1;
                    }
                }
            }
            assert_eq!((rows, sum), (count, expected_sum), "{format:?}: every record, exact quantities");
            assert_eq!(listed, count);
            if format == ExportFormat::Parquet {
                // An independent engine reads the same files and finds the same rows and quantities.
                let (mut rows, mut sum) = (0u64, Decimal::ZERO);
                for f in &files {
                    let (n, q) = duckdb_sum(&f.path, "Quantity");
                    rows += n;
                    sum += q;
                }
                assert_eq!((rows, sum), (count, expected_sum), "DuckDB reads the exported usage");
            }
        }
        // A missing parent folder is refused before anything is written.
        let e = reader
            .export(&ExportRequest {
                table: ExportTable::Usage,
                format: ExportFormat::Parquet,
                months: vec![(2026, 11)],
                output_dir: dir.path().join("no/such/parent/lake"),
                granularity: None,
            })
            .await
            .unwrap_err();
        assert_eq!(e.reason(), Reason::OutputPathInvalid, "{e}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite_exports_months_as_parquet_and_csv() {
        exports_months_as_parquet_and_csv(Engine::Sqlite).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres_exports_months_as_parquet_and_csv() {
        if azs_usage_tests::pg::skip_postgres() {
            return;
        }
        exports_months_as_parquet_and_csv(Engine::Postgres).await
    }
}
