//! Shared helpers for the end-to-end tests: start an emulator on loopback, build clients for its
//! principals, pull everything, and read the emulator's own totals to compare against.

pub mod db;
pub mod pg;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use azs_usage_core::{ClientOptions, Credential, Error, MeterCatalog, Page, RetryPolicy, UsageClient, UsageRecord};
use azs_usage_emulator::store::StoreLocation;
use azs_usage_emulator::{EmulatorConfig, ReadyInfo, RunningEmulator};
use chrono::{DateTime, TimeZone, Utc};
use futures::StreamExt;
use futures::stream::BoxStream;
use rust_decimal::Decimal;
use url::Url;

/// The emulator's clock in these tests: data covers the days before it.
pub fn fixed_now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 1, 12, 0, 0).single().expect("valid instant")
}

/// A small, deterministic emulator: in memory, 3 days of data, pages of 100.
pub fn small_config() -> EmulatorConfig {
    EmulatorConfig {
        database: StoreLocation::Memory,
        seed: 7,
        days: 3,
        approx_records: Some(6_000),
        page_size: 100,
        now: Some(fixed_now()),
        ..EmulatorConfig::default()
    }
}

/// Starts an emulator with `config`.
pub async fn start(config: EmulatorConfig) -> RunningEmulator {
    azs_usage_emulator::start(config).await.expect("emulator starts")
}

/// A retry policy quick enough for tests but with the production shape.
pub fn quick_retry() -> RetryPolicy {
    RetryPolicy {
        max_retries: 12,
        initial_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(50),
        max_elapsed: Duration::from_secs(60),
    }
}

fn options(endpoint: &str, credential: Credential) -> ClientOptions {
    let mut o = ClientOptions::new(Url::parse(endpoint).expect("endpoint URL"), credential);
    o.retry = quick_retry();
    o.catalog = Arc::new(MeterCatalog::builtin());
    o
}

fn secret(text: &str) -> secrecy::SecretString {
    secrecy::SecretString::from(text.to_string())
}

/// Client options for the operator (admin) principal.
pub fn admin_options(info: &ReadyInfo) -> ClientOptions {
    options(
        &info.admin_endpoint,
        Credential::ClientSecret {
            tenant: Some(info.admin.tenant_id.clone()),
            client_id: info.admin.client_id.clone(),
            secret: secret(&info.admin.client_secret),
        },
    )
}

/// Client options for tenant `index` of the ready info.
pub fn tenant_options(info: &ReadyInfo, index: usize) -> ClientOptions {
    let t = &info.tenants[index];
    options(
        &info.tenant_endpoint,
        Credential::ClientSecret {
            tenant: Some(t.tenant_id.clone()),
            client_id: t.client_id.clone(),
            secret: secret(&t.client_secret),
        },
    )
}

/// Connects a client.
pub async fn client(options: ClientOptions) -> UsageClient {
    UsageClient::connect(options).await.expect("client connects")
}

/// Collects a page stream, stopping at the first error.
pub async fn collect_pages(mut pages: BoxStream<'static, Result<Page, Error>>) -> Result<Vec<Page>, Error> {
    let mut out = Vec::new();
    while let Some(page) = pages.next().await {
        out.push(page?);
    }
    Ok(out)
}

/// All records of a page list, in order.
pub fn records_of(pages: &[Page]) -> Vec<UsageRecord> {
    pages.iter().flat_map(|p| p.records.iter().cloned()).collect()
}

/// Record count and exact quantity sum per (subscription, meter id in lower case).
pub fn totals_of(records: &[UsageRecord]) -> BTreeMap<(String, String), (u64, Decimal)> {
    let mut out: BTreeMap<(String, String), (u64, Decimal)> = BTreeMap::new();
    for r in records {
        let e = out.entry((r.subscription_id.to_lowercase(), r.meter_id.to_lowercase())).or_default();
        e.0 += 1;
        e.1 += r.quantity;
    }
    out
}

/// A stable text key per record, to compare pulls as multisets.
pub fn record_key(r: &UsageRecord) -> String {
    format!(
        "{}|{}|{}|{}|{}|{}",
        r.subscription_id, r.meter_id, r.resource_uri, r.usage_start_time, r.usage_end_time, r.quantity
    )
}

/// Sorted record keys (multiset view of a pull).
pub fn sorted_keys(records: &[UsageRecord]) -> Vec<String> {
    let mut keys: Vec<String> = records.iter().map(record_key).collect();
    keys.sort();
    keys
}

/// A plain HTTP client for talking to the emulator directly (rustls needs its provider first).
fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

/// An admin bearer token, fetched the way any client would (client credentials).
pub async fn admin_token(info: &ReadyInfo) -> String {
    let url = format!("{}{}/oauth2/token", info.login_endpoint, info.admin.tenant_id);
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", info.admin.client_id.as_str()),
        ("client_secret", info.admin.client_secret.as_str()),
        ("resource", info.audience.as_str()),
    ];
    let body: serde_json::Value =
        http().post(url).form(&form).send().await.expect("token request").json().await.expect("token JSON");
    body["access_token"].as_str().expect("access_token").to_string()
}

/// The emulator's own count and per-(subscription, meter) sums for a reported window.
pub async fn store_totals(
    info: &ReadyInfo,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> (u64, BTreeMap<(String, String), (u64, Decimal)>) {
    let token = admin_token(info).await;
    let url = format!(
        "{}/_emulator/stats?reportedStartTime={}&reportedEndTime={}",
        info.endpoint.trim_end_matches('/'),
        start.format("%Y-%m-%dT%H:%M:%SZ"),
        end.format("%Y-%m-%dT%H:%M:%SZ")
    );
    let body: serde_json::Value =
        http().get(url).bearer_auth(token).send().await.expect("stats request").json().await.expect("stats JSON");
    let mut map = BTreeMap::new();
    for t in body["totals"].as_array().expect("totals array") {
        let key = (
            t["subscriptionId"].as_str().unwrap_or_default().to_lowercase(),
            t["meterId"].as_str().unwrap_or_default().to_lowercase(),
        );
        let quantity: Decimal = t["quantity"].as_str().unwrap_or("0").parse().expect("decimal quantity");
        let records = t["records"].as_u64().unwrap_or_default();
        let e: &mut (u64, Decimal) = map.entry(key).or_default();
        e.0 += records;
        e.1 += quantity;
    }
    (body["records"].as_u64().expect("records count"), map)
}

// ---------------------------------------------------------------------------------------------
// Helpers of the fault, bad-input and hostile suites.
// ---------------------------------------------------------------------------------------------

/// The whole seeded range of [`small_config`], on whole days, ending before the emulator's clock.
pub fn seeded_range() -> (DateTime<Utc>, DateTime<Utc>) {
    use chrono::DurationRound;
    let end = fixed_now().duration_trunc(chrono::Duration::days(1)).expect("day");
    (end - chrono::Duration::days(5), end)
}

/// The provider API, Hourly, over [`seeded_range`].
pub fn provider_hourly(info: &ReadyInfo) -> azs_usage_core::UsageQuery {
    let (start, end) = seeded_range();
    let mut q = azs_usage_core::UsageQuery::new(
        azs_usage_core::Api::Provider,
        info.provider_subscription_id.clone(),
        start,
        end,
    );
    q.granularity = azs_usage_core::Granularity::Hourly;
    q
}

/// Replaces the emulator's fault rules through `POST /_emulator/faults` (counters restart).
pub async fn set_faults(info: &ReadyInfo, spec: &str) {
    let token = admin_token(info).await;
    let url = format!("{}/_emulator/faults", info.endpoint.trim_end_matches('/'));
    let r = http().post(url).bearer_auth(token).body(spec.to_string()).send().await.expect("faults request");
    assert!(r.status().is_success(), "fault spec '{spec}' accepted: {}", r.status());
}

/// `(usage requests seen, faults fired)` since the rules were last set (`GET /_emulator/faults`).
pub async fn fault_counters(info: &ReadyInfo) -> (u64, u64) {
    let token = admin_token(info).await;
    let url = format!("{}/_emulator/faults", info.endpoint.trim_end_matches('/'));
    let v: serde_json::Value =
        http().get(url).bearer_auth(token).send().await.expect("faults GET").json().await.expect("faults JSON");
    (v["usageRequests"].as_u64().unwrap_or_default(), v["fired"].as_u64().unwrap_or_default())
}

/// Checks a pull against the emulator's store for the same reported window: same count, same
/// per-(subscription, meter) counts and exact sums, and no record key twice. Returns the count.
pub async fn assert_matches_store(info: &ReadyInfo, records: &[UsageRecord], what: &str) -> u64 {
    let (start, end) = seeded_range();
    let (count, store) = store_totals(info, start, end).await;
    assert!(count > 1000, "{what}: the store has data in range");
    let keys = sorted_keys(records);
    let repeated: Vec<&String> = keys.windows(2).filter(|w| w[0] == w[1]).map(|w| &w[0]).take(3).collect();
    assert!(repeated.is_empty(), "{what}: records repeated: {repeated:?}");
    assert_eq!(
        records.len() as u64,
        count,
        "{what}: every record of the store, once (lost = {})",
        count as i64 - records.len() as i64
    );
    assert_eq!(totals_of(records), store, "{what}: per subscription and meter, counts and exact sums agree");
    count
}

/// Client options for the admin with a custom retry policy.
pub fn admin_options_with(info: &ReadyInfo, retry: RetryPolicy) -> ClientOptions {
    let mut o = admin_options(info);
    o.retry = retry;
    o
}

/// A client event hook, as `ClientOptions::events` takes it.
pub type EventHook = Arc<dyn Fn(&azs_usage_core::ClientEvent) + Send + Sync>;
/// The events a hook of [`event_log`] recorded.
pub type EventLog = Arc<std::sync::Mutex<Vec<azs_usage_core::ClientEvent>>>;

/// A hook that records every client event, and the shared list it fills.
pub fn event_log() -> (EventHook, EventLog) {
    let log = Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = log.clone();
    (Arc::new(move |e: &azs_usage_core::ClientEvent| sink.lock().expect("event log").push(e.clone())), log)
}

/// `POST /_emulator/usage` with `records` (a JSON array); returns `(inserted, duplicates)`.
pub async fn ingest(info: &ReadyInfo, records: serde_json::Value) -> (u64, u64) {
    let token = admin_token(info).await;
    let url = format!("{}/_emulator/usage", info.endpoint.trim_end_matches('/'));
    let r = http().post(url).bearer_auth(token).json(&records).send().await.expect("ingest request");
    let status = r.status();
    let v: serde_json::Value = r.json().await.expect("ingest JSON");
    assert!(status.is_success(), "ingestion accepted: {status} {v}");
    (v["inserted"].as_u64().unwrap_or_default(), v["duplicates"].as_u64().unwrap_or_default())
}

/// A plain HTTP client for raw requests (rustls provider installed).
pub fn raw_http() -> reqwest::Client {
    http()
}

/// A loopback server that answers every request with `status`, `content_type` (if any) and
/// `body`: a stand-in for a broken proxy in front of the usage service. Returns its base URL.
pub async fn canned_server(
    status: u16,
    content_type: Option<&'static str>,
    body: Vec<u8>,
) -> (Url, tokio::task::JoinHandle<()>) {
    use axum::http::{HeaderValue, StatusCode};
    use axum::response::IntoResponse;
    let body = Arc::new(body);
    let app = axum::Router::new().fallback(move || {
        let body = body.clone();
        async move {
            let mut r = (StatusCode::from_u16(status).expect("status"), body.as_ref().clone()).into_response();
            r.headers_mut().remove(axum::http::header::CONTENT_TYPE);
            if let Some(ct) = content_type {
                r.headers_mut().insert(axum::http::header::CONTENT_TYPE, HeaderValue::from_static(ct));
            }
            r
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
    let addr = listener.local_addr().expect("address");
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (Url::parse(&format!("http://{addr}/")).expect("URL"), task)
}
