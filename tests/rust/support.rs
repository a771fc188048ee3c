//! Shared helpers for the end-to-end tests: start an emulator on loopback, build clients for its
//! principals, pull everything, and read the emulator's own totals to compare against.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use azs_usage_core::{ClientOptions, Credential, Error, MeterCatalog, Page, RetryPolicy, UsageClient, UsageRecord};
use azs_usage_emulator::store::StoreLocation;
use azs_usage_emulator::{EmulatorConfig, ReadyInfo, RunningEmulator};
use chrono::{DateTime, TimeZone, Utc};
use futures::stream::BoxStream;
use futures::StreamExt;
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
        Credential::ClientSecret { tenant: Some(t.tenant_id.clone()), client_id: t.client_id.clone(), secret: secret(&t.client_secret) },
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
    format!("{}|{}|{}|{}|{}|{}", r.subscription_id, r.meter_id, r.resource_uri, r.usage_start_time, r.usage_end_time, r.quantity)
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
