//! Scale check (ignored by default): seed >= 1,000,000 hourly records and time a page.
//! Run: `cargo test -p azs-usage-emulator --test scale -- --ignored --nocapture`

use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::http::Request;
use azs_usage_emulator::{AppState, EmulatorConfig, StoreLocation, app, open_store};
use tower::ServiceExt;

#[tokio::test]
#[ignore]
async fn seeds_a_million_records_and_serves_pages_fast() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = EmulatorConfig {
        database: StoreLocation::File(dir.path().join("big.db")),
        approx_records: Some(1_000_000),
        now: Some(chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2024, 3, 15, 12, 0, 0).unwrap()),
        ..Default::default()
    };
    let t = Instant::now();
    let store = Arc::new(open_store(&cfg).unwrap());
    let n = store.record_count().unwrap();
    println!("seeded {n} records in {:?}", t.elapsed());
    assert!(n >= 1_000_000);
    let snap = store.snapshot().unwrap();
    for round in 0..3 {
        let t = Instant::now();
        let sel =
            azs_usage_emulator::store::Selection { sub: None, start: 1708387200, end: 1710460800, snapshot: snap };
        let rows = store.hourly_page(&sel, Some((1709000000, 0)), 1001).unwrap();
        println!("store.hourly_page round {round}: {} rows in {:?}", rows.len(), t.elapsed());
    }
    let state = AppState::new(store, &cfg).unwrap();
    let tok = state.token_for("admin").unwrap();
    let p = state.identity().provider_subscription_id.clone();
    let sub = state.identity().tenants[0].subscription_ids[0].clone();
    for (label, url) in [
        (
            "provider hourly",
            format!(
                "/subscriptions/{p}/providers/Microsoft.Commerce.Admin/subscriberUsageAggregates?api-version=2015-06-01-preview&reportedStartTime=2024-02-20T00:00:00Z&reportedEndTime=2024-03-15T00:00:00Z&aggregationGranularity=Hourly"
            ),
        ),
        (
            "tenant hourly",
            format!(
                "/subscriptions/{sub}/providers/Microsoft.Commerce/usageAggregates?api-version=2015-06-01-preview&reportedStartTime=2024-02-20T00:00:00Z&reportedEndTime=2024-03-15T00:00:00Z&aggregationGranularity=Hourly"
            ),
        ),
        (
            "provider daily",
            format!(
                "/subscriptions/{p}/providers/Microsoft.Commerce.Admin/subscriberUsageAggregates?api-version=2015-06-01-preview&reportedStartTime=2024-03-10T00:00:00Z&reportedEndTime=2024-03-15T00:00:00Z"
            ),
        ),
    ] {
        for round in 0..3 {
            let t = Instant::now();
            let req = Request::get(&url).header("authorization", format!("Bearer {tok}")).body(Body::empty()).unwrap();
            let resp = app(state.clone()).oneshot(req).await.unwrap();
            let status = resp.status();
            let body = axum::body::to_bytes(resp.into_body(), usize::MAX).await.unwrap();
            println!("{label} round {round}: {status} {} bytes in {:?}", body.len(), t.elapsed());
        }
    }
}
