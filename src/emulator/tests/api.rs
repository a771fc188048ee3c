//! In-process (`oneshot`) and loopback tests of the emulator against the usage-api.md contract.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use azs_usage_emulator::store::SubKind;
use azs_usage_emulator::{AppState, EmulatorConfig, FaultConfig, StoreLocation, app, open_store};
use chrono::{DateTime, TimeZone, Utc};
use rust_decimal::Decimal;
use serde_json::Value;
use tower::ServiceExt;

const V: &str = "2015-06-01-preview";

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 3, 15, 12, 30, 0).unwrap()
}

fn config() -> EmulatorConfig {
    EmulatorConfig {
        database: StoreLocation::Memory,
        now: Some(now()),
        approx_records: Some(6_000),
        days: 5,
        page_size: 100,
        ..Default::default()
    }
}

fn state_with(cfg: &EmulatorConfig) -> AppState {
    let store = Arc::new(open_store(cfg).unwrap());
    AppState::new(store, cfg).unwrap()
}

struct T {
    state: AppState,
    admin: String,
}

impl T {
    fn new() -> T {
        Self::with(config())
    }
    fn with(cfg: EmulatorConfig) -> T {
        let state = state_with(&cfg);
        let admin = state.token_for("admin").unwrap();
        T { state, admin }
    }
    fn provider(&self) -> String {
        self.state.identity().provider_subscription_id.clone()
    }
    fn tenant_sub(&self, i: usize) -> String {
        self.state.identity().tenants[i].subscription_ids[0].clone()
    }
    async fn call(
        &self,
        method: &str,
        uri: &str,
        token: Option<&str>,
        body: Option<String>,
    ) -> (StatusCode, axum::http::HeaderMap, String) {
        let mut b = Request::builder().method(method).uri(uri).header("host", "emu.test:8080");
        if let Some(t) = token {
            b = b.header("authorization", format!("Bearer {t}"));
        }
        let req = b.body(body.map(Body::from).unwrap_or_else(Body::empty)).unwrap();
        let resp = app(self.state.clone()).oneshot(req).await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX).await.unwrap();
        (status, headers, String::from_utf8(bytes.to_vec()).unwrap())
    }
    async fn get(&self, uri: &str) -> (StatusCode, String) {
        let (s, _, b) = self.call("GET", uri, Some(&self.admin), None).await;
        (s, b)
    }
    fn provider_url(&self, q: &str) -> String {
        format!(
            "/subscriptions/{}/providers/Microsoft.Commerce.Admin/subscriberUsageAggregates?api-version={V}&{q}",
            self.provider()
        )
    }
    /// Follow nextLinks; returns all records.
    async fn pull(&self, first: &str, token: &str) -> Vec<Value> {
        let mut out = Vec::new();
        let mut url = first.to_string();
        loop {
            let (s, _, b) = self.call("GET", &url, Some(token), None).await;
            assert_eq!(s, StatusCode::OK, "{b}");
            let v: Value = serde_json::from_str(&b).unwrap();
            out.extend(v["value"].as_array().unwrap().iter().cloned());
            match v.get("nextLink") {
                Some(Value::String(n)) => {
                    assert!(n.starts_with("http://emu.test:8080/subscriptions/"), "{n}");
                    url = n.trim_start_matches("http://emu.test:8080").to_string();
                }
                None => break,
                Some(other) => panic!("nextLink must be omitted, got {other}"),
            }
        }
        out
    }
}

fn code(body: &str) -> String {
    let v: Value = serde_json::from_str(body).unwrap_or_else(|_| panic!("not JSON: {body}"));
    v["error"]["code"].as_str().unwrap_or_default().to_string()
}

fn key(r: &Value) -> String {
    let p = &r["properties"];
    let inst: Value =
        p.get("instanceData").and_then(Value::as_str).map(|s| serde_json::from_str(s).unwrap()).unwrap_or(Value::Null);
    format!(
        "{}|{}|{}|{}",
        p["subscriptionId"].as_str().unwrap(),
        p["meterId"].as_str().unwrap().to_ascii_lowercase(),
        inst["Microsoft.Resources"]["resourceUri"].as_str().unwrap_or(""),
        p["usageStartTime"].as_str().unwrap()
    )
}

fn qty(r: &Value) -> Decimal {
    let n = &r["properties"]["quantity"];
    assert!(n.is_number(), "{n}");
    n.to_string().parse::<Decimal>().unwrap()
}

const W: &str = "reportedStartTime=2024-03-12T00:00:00Z&reportedEndTime=2024-03-15T00:00:00Z";

#[tokio::test]
async fn validation_errors_in_order() {
    let t = T::new();
    let p = t.provider();
    let base = format!("/subscriptions/{p}/providers/Microsoft.Commerce.Admin/subscriberUsageAggregates");
    let cases: Vec<(String, &str)> = vec![
        (format!("{base}?{W}"), "NoApiVersion"),
        (format!("{base}?api-version=2099-01-01&{W}"), "NoRegisteredProviderFound"),
        // unescaped '+' arrives as a space: ISO message (checked before the missing end time).
        (format!("{base}?api-version={V}&reportedStartTime=2021-05-20T00:00:00.0000000+00:00"), "BadRequest"),
        (format!("{base}?api-version={V}&reportedStartTime=2024-03-12T00:00:00Z"), "InvalidProperty"),
        (format!("{base}?api-version={V}&{W}&aggregationGranularity=weekly"), "InvalidAggregationGranularity"),
        (
            format!(
                "{base}?api-version={V}&reportedStartTime=2024-03-14T00:00:00Z&reportedEndTime=2024-03-13T00:00:00Z"
            ),
            "InvalidProperty",
        ),
        (
            format!(
                "{base}?api-version={V}&reportedStartTime=2024-03-14T10:00:00Z&reportedEndTime=2024-03-15T00:00:00Z"
            ),
            "InvalidProperty",
        ),
        (
            format!(
                "{base}?api-version={V}&reportedStartTime=2024-03-14T10:30:00Z&reportedEndTime=2024-03-14T12:00:00Z&aggregationGranularity=Hourly"
            ),
            "InvalidProperty",
        ),
        (
            format!(
                "{base}?api-version={V}&reportedStartTime=2024-03-15T00:00:00Z&reportedEndTime=2024-03-16T00:00:00Z"
            ),
            "RequestEndTimeIsInFuture",
        ),
        (format!("{base}?api-version={V}&{W}&subscriberId={p}"), "SubscriberIdIsNotDirectTenant"),
        (
            format!("{base}?api-version={V}&{W}&subscriberId=00000000-0000-0000-0000-000000000000"),
            "SubscriberIdIsNotDirectTenant",
        ),
        (format!("{base}?api-version={V}&{W}&continuationToken=abc.def"), "InvalidProperty"),
    ];
    for (url, want) in cases {
        let (s, b) = t.get(&url).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{url}: {b}");
        assert_eq!(code(&b), want, "{url}: {b}");
    }
    let (_, b) = t.get(&format!("{base}?api-version={V}&reportedStartTime=2021-05-20T00:00:00.0000000+00:00&reportedEndTime=2021-05-21T00:00:00Z")).await;
    let v: Value = serde_json::from_str(&b).unwrap();
    assert_eq!(
        v["error"]["message"],
        "The reported date time '2021-05-20T00:00:00.0000000 00:00' is not in ISO 8601 format(YYYY-MM-DDTHH:mm:ss.sssZ)."
    );
    // Non-aligned errors name the property.
    let (_, b) = t
        .get(&format!(
            "{base}?api-version={V}&reportedStartTime=2024-03-14T10:00:00Z&reportedEndTime=2024-03-15T00:00:00Z"
        ))
        .await;
    assert!(b.contains("reportedStartTime"), "{b}");
    // Offsets, case-insensitive names/paths and escaped '+' are accepted.
    let lower = format!(
        "/SUBSCRIPTIONS/{}/providers/microsoft.commerce.admin/SubscriberUsageAggregates?API-VERSION={V}&reportedstartTime=2024-03-13T15:00:00.0000000-08:00&ReportedEndTime=2024-03-14T00%3a00%3a00%2b00%3a00&aggregationgranularity=hourly",
        p.to_uppercase()
    );
    let (s, b) = t.get(&lower).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    // Legacy namespace.
    let (s, _) = t
        .get(&format!("/subscriptions/{p}/providers/Microsoft.Commerce/subscriberUsageAggregates?api-version={V}&{W}"))
        .await;
    assert_eq!(s, StatusCode::OK);
}

#[tokio::test]
async fn record_shape_and_headers() {
    let t = T::new();
    let (s, h, b) =
        t.call("GET", &t.provider_url(&format!("{W}&aggregationGranularity=Hourly")), Some(&t.admin), None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(h["content-type"], "application/json; charset=utf-8");
    assert!(h.contains_key("x-ms-request-id") && h.contains_key("x-ms-correlation-request-id"));
    assert!(h.contains_key("x-ms-ratelimit-remaining-subscription-reads"));
    let v: Value = serde_json::from_str(&b).unwrap();
    let r = &v["value"][0];
    let p = &r["properties"];
    let name = format!("{}-{}", p["subscriptionId"].as_str().unwrap(), p["meterId"].as_str().unwrap());
    assert_eq!(r["name"], name.as_str());
    assert_eq!(p["name"], name.as_str());
    assert_eq!(r["type"], "Microsoft.Commerce/UsageAggregate");
    assert_eq!(
        r["id"],
        format!("/subscriptions/{}/providers/Microsoft.Commerce/UsageAggregate/{name}", t.provider()).as_str()
    );
    assert!(p["usageStartTime"].as_str().unwrap().ends_with(":00:00+00:00"));
    let inst: Value = serde_json::from_str(p["instanceData"].as_str().unwrap()).unwrap();
    let res = &inst["Microsoft.Resources"];
    assert!(res["resourceUri"].is_string() && res["location"].is_string());
    assert!(res["tags"].is_string() && res["additionalInfo"].is_string());
    let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["value", "nextLink"]);
    // The whole data set has the quirks: "", "null", JSON tags with non-ASCII, upper- and lower-case meters.
    let all = t.pull(&t.provider_url(&format!("{W}&aggregationGranularity=Hourly&pageSize=5000")), &t.admin).await;
    let tags: HashSet<String> = all
        .iter()
        .map(|r| {
            serde_json::from_str::<Value>(r["properties"]["instanceData"].as_str().unwrap())
                .unwrap()["Microsoft.Resources"]["tags"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert!(tags.contains("") && tags.contains("null"));
    assert!(tags.iter().any(|t| t.contains("Büro-Ä1")));
    let meters: HashSet<&str> = all.iter().map(|r| r["properties"]["meterId"].as_str().unwrap()).collect();
    assert!(meters.contains("6dab500f-a4fd-49c4-956d-229bb9c8c793"));
    assert!(meters.contains("B5C15376-6C94-4FDD-B655-1A69D138ACA3"));
    assert!(meters.iter().any(|m| m.len() == 32 && !m.contains('-')));
    assert!(b.contains("\"quantity\":1.0,"), "VM size hours are written as 1.0");
}

#[tokio::test]
async fn paging_loses_and_repeats_nothing_even_with_ingestion_mid_pull() {
    let t = T::new();
    let url = t.provider_url(&format!("{W}&aggregationGranularity=Hourly"));
    let big = t.pull(&t.provider_url(&format!("{W}&aggregationGranularity=Hourly&pageSize=10000")), &t.admin).await;
    let paged = t.pull(&url, &t.admin).await;
    assert!(paged.len() > 300, "need several pages, got {}", paged.len());
    assert_eq!(paged.len(), big.len());
    let keys: HashSet<String> = paged.iter().map(key).collect();
    assert_eq!(keys.len(), paged.len(), "no repeats");
    // The store agrees.
    let (s, b) =
        t.get("/_emulator/stats?reportedStartTime=2024-03-12T00:00:00Z&reportedEndTime=2024-03-15T00:00:00Z").await;
    assert_eq!(s, StatusCode::OK);
    let stats: Value = serde_json::from_str(&b).unwrap();
    assert_eq!(stats["records"].as_u64().unwrap() as usize, paged.len());

    // Now pull again, ingesting records that fall in the window after the first page.
    let (_, _, b) = t.call("GET", &url, Some(&t.admin), None).await;
    let v: Value = serde_json::from_str(&b).unwrap();
    let mut got: Vec<Value> = v["value"].as_array().unwrap().clone();
    let sub = t.tenant_sub(0);
    let recs: Vec<Value> = (0..250)
        .map(|i| serde_json::json!({
            "subscriptionId": sub, "meterId": "6dab500f-a4fd-49c4-956d-229bb9c8c793",
            "usageStartTime": "2024-03-11T23:00:00Z", "reportedTime": "2024-03-12T00:30:00Z", "quantity": 1.0,
            "resourceUri": format!("/subscriptions/{sub}/resourceGroups/late/providers/Microsoft.Compute/virtualMachines/late{i}"),
            "tags": {"k": "v"}, "additionalInfo": null }))
        .collect();
    let (s, _, b) = t.call("POST", "/_emulator/usage", Some(&t.admin), Some(Value::Array(recs).to_string())).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let next = v["nextLink"].as_str().unwrap().trim_start_matches("http://emu.test:8080").to_string();
    got.extend(t.pull(&next, &t.admin).await);
    let keys2: HashSet<String> = got.iter().map(key).collect();
    assert_eq!(keys2, keys, "the snapshot hides records ingested mid-pull and nothing shifts");
    // A fresh pull sees them.
    let fresh = t.pull(&url, &t.admin).await;
    assert_eq!(fresh.len(), paged.len() + 250);
}

#[tokio::test]
async fn daily_equals_sum_of_hourly_and_show_details_false() {
    let t = T::new();
    let hourly = t.pull(&t.provider_url(&format!("{W}&aggregationGranularity=Hourly")), &t.admin).await;
    let daily = t.pull(&t.provider_url(W), &t.admin).await;
    let mut want: BTreeMap<String, Decimal> = BTreeMap::new();
    for r in &hourly {
        let k = key(r);
        let mut parts: Vec<&str> = k.split('|').collect();
        let day = format!("{}T00:00:00+00:00", &parts[3][..10]);
        parts[3] = &day;
        *want.entry(parts.join("|")).or_default() += qty(r);
    }
    let mut got: BTreeMap<String, Decimal> = BTreeMap::new();
    for r in &daily {
        let p = &r["properties"];
        let s = DateTime::parse_from_rfc3339(p["usageStartTime"].as_str().unwrap()).unwrap();
        let e = DateTime::parse_from_rfc3339(p["usageEndTime"].as_str().unwrap()).unwrap();
        assert_eq!((e - s).num_hours(), 24);
        assert!(got.insert(key(r), qty(r)).is_none(), "daily keys are unique");
    }
    assert_eq!(got, want);
    // showDetails=false: one line per (subscription, meter, bucket), no instanceData, same totals.
    let agg = t.pull(&t.provider_url(&format!("{W}&showDetails=false")), &t.admin).await;
    let mut by_sm: BTreeMap<String, Decimal> = BTreeMap::new();
    let mut seen = HashSet::new();
    for r in &agg {
        assert!(r["properties"].get("instanceData").is_none());
        assert!(seen.insert(key(r)));
        let p = &r["properties"];
        *by_sm.entry(format!("{}|{}", p["subscriptionId"], p["meterId"])).or_default() += qty(r);
    }
    let mut by_sm_h: BTreeMap<String, Decimal> = BTreeMap::new();
    for r in &hourly {
        let p = &r["properties"];
        *by_sm_h.entry(format!("{}|{}", p["subscriptionId"], p["meterId"])).or_default() += qty(r);
    }
    assert_eq!(by_sm, by_sm_h);
    assert!(agg.len() < daily.len());
}

#[tokio::test]
async fn rbac_and_tokens() {
    let t = T::new();
    let contoso = t.state.token_for("contoso").unwrap();
    let own = t.tenant_sub(0);
    let other = t.tenant_sub(1);
    let tenant_url =
        |s: &str| format!("/subscriptions/{s}/providers/Microsoft.Commerce/usageAggregates?api-version={V}&{W}");
    let (s, _, b) = t.call("GET", &tenant_url(&own), Some(&contoso), None).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let v: Value = serde_json::from_str(&b).unwrap();
    assert!(v["value"].as_array().unwrap().iter().all(|r| r["properties"]["subscriptionId"] == own.as_str()));
    let (s, _, b) = t.call("GET", &tenant_url(&other), Some(&contoso), None).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_eq!(code(&b), "AuthorizationFailed");
    let (s, _, _) = t.call("GET", &t.provider_url(W), Some(&contoso), None).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _, _) = t.call("GET", &tenant_url(&other), Some(&t.admin), None).await;
    assert_eq!(s, StatusCode::OK);
    // Missing / forged / expired.
    let (s, h, b) = t.call("GET", &t.provider_url(W), None, None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert!(h.contains_key("www-authenticate"));
    assert_eq!(code(&b), "AuthenticationFailed");
    let mut forged = t.admin.clone();
    forged.pop();
    forged.push(if t.admin.ends_with('A') { 'B' } else { 'A' });
    let (s, _, b) = t.call("GET", &t.provider_url(W), Some(&forged), None).await;
    assert_eq!((s, code(&b).as_str()), (StatusCode::UNAUTHORIZED, "InvalidAuthenticationToken"));
    let other_run = state_with(&config()).token_for("admin").unwrap();
    let (s, _, _) = t.call("GET", &t.provider_url(W), Some(&other_run), None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "a token of another run is forged");
    let short = T::with(EmulatorConfig { token_lifetime: std::time::Duration::from_secs(1), ..config() });
    let tok = short.state.token_for("admin").unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let (s, h, b) = short.call("GET", &short.provider_url(W), Some(&tok), None).await;
    assert_eq!((s, code(&b).as_str()), (StatusCode::UNAUTHORIZED, "ExpiredAuthenticationToken"));
    assert!(h["www-authenticate"].to_str().unwrap().starts_with("Bearer "));
    // Tenant cannot use control endpoints.
    let (s, _, _) = t.call("GET", "/_emulator/stats", Some(&contoso), None).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn token_endpoint_and_metadata() {
    let t = T::new();
    let (s, _, b) = t.call("GET", "/metadata/endpoints?api-version=2015-01-01", None, None).await;
    assert_eq!(s, StatusCode::OK);
    let m: Value = serde_json::from_str(&b).unwrap();
    let login = m["authentication"]["loginEndpoint"].as_str().unwrap();
    let aud = m["authentication"]["audiences"][0].as_str().unwrap();
    assert_eq!(login, "http://emu.test:8080/login/");
    assert_eq!(aud, t.state.identity().audience);
    let a = t.state.identity().admin.clone();
    let form = |secret: &str, resource: &str| {
        format!(
            "grant_type=client_credentials&client_id={}&client_secret={}&resource={}",
            a.client_id,
            urlenc(secret),
            urlenc(resource)
        )
    };
    let path = format!("/login/{}/oauth2/token", a.tenant_id);
    let (s, _, b) = t.call("POST", &path, None, Some(form(&a.client_secret, aud))).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let tok: Value = serde_json::from_str(&b).unwrap();
    let access = tok["access_token"].as_str().unwrap();
    let (s, _, _) = t.call("GET", &t.provider_url(W), Some(access), None).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _, b) = t.call("POST", &path, None, Some(form("wrong", aud))).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{b}");
    let (s, _, _) = t.call("POST", &path, None, Some(form(&a.client_secret, "https://other/"))).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    // /subscriptions lists the Default Provider Subscription first for the admin.
    let (s, _, b) = t.call("GET", "/subscriptions?api-version=2015-01-01", Some(access), None).await;
    assert_eq!(s, StatusCode::OK);
    let subs: Value = serde_json::from_str(&b).unwrap();
    assert_eq!(subs["value"][0]["displayName"], "Default Provider Subscription");
    assert_eq!(subs["value"][0]["subscriptionId"], t.provider().as_str());
    // AD FS flavour.
    let adfs = T::with(EmulatorConfig { identity: azs_usage_emulator::IdentitySystem::ADFS, ..config() });
    let (_, _, b) = adfs.call("GET", "/metadata/endpoints?api-version=2015-01-01", None, None).await;
    let m: Value = serde_json::from_str(&b).unwrap();
    assert!(m["authentication"]["loginEndpoint"].as_str().unwrap().ends_with("/adfs/"));
    let a = adfs.state.identity().admin.clone();
    let aud = adfs.state.identity().audience.clone();
    let body = format!(
        "grant_type=client_credentials&client_id={}&client_secret={}&resource={}",
        a.client_id,
        urlenc(&a.client_secret),
        urlenc(&aud)
    );
    let (s, _, b) = adfs.call("POST", "/adfs/oauth2/token", None, Some(body)).await;
    assert_eq!(s, StatusCode::OK, "{b}");
}

fn urlenc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn continuation_tokens_are_bound_and_tamper_evident() {
    let t = T::new();
    let (_, b) = t.get(&t.provider_url(&format!("{W}&aggregationGranularity=Hourly"))).await;
    let v: Value = serde_json::from_str(&b).unwrap();
    let next = v["nextLink"].as_str().unwrap();
    let tok = next.split("continuationToken=").nth(1).unwrap();
    // Same token on a different query.
    let (s, b) = t.get(&t.provider_url(&format!("{W}&continuationToken={tok}"))).await;
    assert_eq!((s, code(&b).as_str()), (StatusCode::BAD_REQUEST, "InvalidProperty"));
    assert!(b.contains("continuationToken"));
    // Modified token.
    let mut bytes = tok.as_bytes().to_vec();
    bytes[3] = if bytes[3] == b'A' { b'B' } else { b'A' };
    let bad = String::from_utf8(bytes).unwrap();
    let (s, b) = t.get(&t.provider_url(&format!("{W}&aggregationGranularity=Hourly&continuationToken={bad}"))).await;
    assert_eq!((s, code(&b).as_str()), (StatusCode::BAD_REQUEST, "InvalidProperty"));
    // The nextLink echoes the original query.
    assert!(next.contains("reportedStartTime=2024-03-12T00:00:00Z&reportedEndTime=2024-03-15T00:00:00Z&aggregationGranularity=Hourly&continuationToken="));
}

#[tokio::test]
async fn ingestion_is_idempotent_and_validated() {
    let t = T::new();
    let sub = t.tenant_sub(1);
    let rec = serde_json::json!([{
        "subscriptionId": sub, "meterId": "B5C15376-6C94-4FDD-B655-1A69D138ACA3", "usageStartTime": "2024-03-14T05:00:00Z",
        "reportedTime": "2024-03-14T06:10:00Z", "quantity": 16.461425899527967,
        "resourceUri": format!("/subscriptions/{sub}/resourcegroups/x/providers/Microsoft.Storage/storageAccounts/ingested"),
        "location": "local", "tags": "", "additionalInfo": ""
    }]);
    let (s, _, b) = t.call("POST", "/_emulator/usage", Some(&t.admin), Some(rec.to_string())).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(serde_json::from_str::<Value>(&b).unwrap(), serde_json::json!({"inserted": 1, "duplicates": 0}));
    let (_, _, b) = t.call("POST", "/_emulator/usage", Some(&t.admin), Some(rec.to_string())).await;
    assert_eq!(serde_json::from_str::<Value>(&b).unwrap(), serde_json::json!({"inserted": 0, "duplicates": 1}));
    // Exact quantity round trip.
    let url = format!(
        "/subscriptions/{sub}/providers/Microsoft.Commerce/usageAggregates?api-version={V}&reportedStartTime=2024-03-14T06:00:00Z&reportedEndTime=2024-03-14T07:00:00Z&aggregationGranularity=Hourly&pageSize=10000"
    );
    let (_, b) = t.get(&url).await;
    assert!(b.contains("\"quantity\":16.461425899527967,"), "{b}");
    for bad in [
        serde_json::json!([{"subscriptionId": "nope"}]),
        serde_json::json!([{"subscriptionId": sub, "meterId": "m", "usageStartTime": "2024-03-14T05:30:00Z", "quantity": 1, "resourceUri": "/x"}]),
        serde_json::json!([{"subscriptionId": sub, "meterId": "m", "usageStartTime": "2024-03-14T05:00:00Z", "quantity": -1, "resourceUri": "/x"}]),
        serde_json::json!({"not": "an array"}),
    ] {
        let (s, _, b) = t.call("POST", "/_emulator/usage", Some(&t.admin), Some(bad.to_string())).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
    }
    let tenant = t.state.token_for("contoso").unwrap();
    let (s, _, _) = t.call("POST", "/_emulator/usage", Some(&tenant), Some(rec.to_string())).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn faults_fire_as_configured() {
    let t = T::with(EmulatorConfig { faults: "429=3:next=1,503:every=3,504:next=0".parse().unwrap(), ..config() });
    let url = t.provider_url(W);
    let (s, h, b) = t.call("GET", &url, Some(&t.admin), None).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(h["retry-after"], "3");
    assert_eq!(code(&b), "TooManyRequests");
    let (s, _, _) = t.call("GET", &url, Some(&t.admin), None).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _, b) = t.call("GET", &url, Some(&t.admin), None).await;
    assert_eq!((s, code(&b).as_str()), (StatusCode::SERVICE_UNAVAILABLE, "ServiceUnavailable"));
    // Metadata and token endpoints are not affected.
    for _ in 0..4 {
        let (s, _, _) = t.call("GET", "/metadata/endpoints?api-version=2015-01-01", None, None).await;
        assert_eq!(s, StatusCode::OK);
    }
    // Runtime change.
    let (s, _, b) = t.call("POST", "/_emulator/faults", Some(&t.admin), Some("504:always".into())).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, h, b) = t.call("GET", &url, Some(&t.admin), None).await;
    assert_eq!((s, code(&b).as_str()), (StatusCode::GATEWAY_TIMEOUT, "GatewayTimeout"));
    assert_eq!(h["x-ms-failure-cause"], "service");
    let (s, _, _) = t.call("POST", "/_emulator/faults", Some(&t.admin), Some("bogus".into())).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    t.state.set_faults(FaultConfig::default());
    let (s, _, _) = t.call("GET", &url, Some(&t.admin), None).await;
    assert_eq!(s, StatusCode::OK);
}

#[tokio::test]
async fn hostile_inputs_never_500() {
    let t = T::new();
    let p = t.provider();
    let long = "A".repeat(20_000);
    let urls = vec![
        format!(
            "/subscriptions/{p}/providers/Microsoft.Commerce.Admin/subscriberUsageAggregates?api-version={V}&reportedStartTime=%27%20OR%201=1%20--&reportedEndTime=x"
        ),
        format!(
            "/subscriptions/{p}/providers/Microsoft.Commerce.Admin/subscriberUsageAggregates?api-version={V}&{W}&subscriberId=%27;DROP%20TABLE%20usage;--"
        ),
        format!(
            "/subscriptions/{p}/providers/Microsoft.Commerce.Admin/subscriberUsageAggregates?api-version={V}&{W}&{W}"
        ),
        format!(
            "/subscriptions/{p}/providers/Microsoft.Commerce.Admin/subscriberUsageAggregates?api-version={V}&reportedStartTime=0001-01-01T00:00:00Z&reportedEndTime=2024-03-15T00:00:00Z&showDetails=false"
        ),
        format!(
            "/subscriptions/{p}/providers/Microsoft.Commerce.Admin/subscriberUsageAggregates?api-version={V}&reportedStartTime=-99999-01-01T00:00:00Z&reportedEndTime=2024-03-15T00:00:00Z"
        ),
        format!(
            "/subscriptions/{p}/providers/Microsoft.Commerce.Admin/subscriberUsageAggregates?api-version={V}&{W}&continuationToken={long}"
        ),
        format!(
            "/subscriptions/{p}/providers/Microsoft.Commerce.Admin/subscriberUsageAggregates?api-version={V}&{W}&continuationToken=%00%ff%fe."
        ),
        format!(
            "/subscriptions/{p}/providers/Microsoft.Commerce.Admin/subscriberUsageAggregates?api-version={V}&{W}&pageSize=99999999999999999999"
        ),
        format!("/subscriptions/{p}/providers/Microsoft.Commerce.Admin/subscriberUsageAggregates?%%%&&&==&api-version"),
        "/subscriptions/%2e%2e/providers/Microsoft.Commerce/usageAggregates?api-version=x".to_string(),
        "/subscriptions/%27/providers/Microsoft.Commerce/usageAggregates".to_string(),
        "/_emulator/stats?reportedStartTime=garbage".to_string(),
        format!(
            "/subscriptions/{p}/providers/Microsoft.Subscriptions.Admin/subscriptions?api-version=2015-11-01&$skipToken=%00%ff&pageSize=99999999999999999999"
        ),
        format!(
            "/subscriptions/{p}/resourceGroups/%27;DROP%20TABLE%20offers;--/providers/Microsoft.Subscriptions.Admin/offers?api-version=2015-11-01"
        ),
        format!(
            "/subscriptions/{p}/providers/Microsoft.Subscriptions.Admin/offers?api-version=2015-11-01&$skipToken={long}"
        ),
        "/nothing/here".to_string(),
    ];
    for u in urls {
        let (s, b) = t.get(&u).await;
        assert!(s.as_u16() < 500, "{u}: {s} {b}");
    }
    for tok in [long.as_str(), "a.b.c", "..", "Bearer", "eyJhbGciOiJub25lIn0.eyJhenNfcm9sZSI6ImFkbWluIn0."] {
        let (s, _, _) = t.call("GET", &t.provider_url(W), Some(tok), None).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
    for body in ["", "{", "[1,2]", &format!("[{{\"quantity\":\"{long}\"}}]"), "null"] {
        let (s, _, _) = t.call("POST", "/_emulator/usage", Some(&t.admin), Some(body.to_string())).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{body:.40}");
        let (s, _, _) = t
            .call(
                "POST",
                &format!("/login/{}/oauth2/token", t.state.identity().admin.tenant_id),
                None,
                Some(body.to_string()),
            )
            .await;
        assert!(s.as_u16() < 500);
    }
    // Data is intact after the injection attempts.
    assert!(t.state.store().record_count().unwrap() > 1000);
    assert_eq!(t.state.store().offers().unwrap().len(), 4);
}

#[tokio::test]
async fn seeding_is_deterministic() {
    let pull_all = |cfg: EmulatorConfig| async move {
        let t = T::with(cfg);
        let id = t.state.identity().clone();
        let recs =
            t.pull(&t.provider_url(&format!("{W}&aggregationGranularity=Hourly&pageSize=10000")), &t.admin).await;
        (id.audience, id.admin.client_secret, recs)
    };
    let a = pull_all(config()).await;
    let b = pull_all(config()).await;
    assert_eq!(a.0, b.0);
    assert_eq!(a.1, b.1);
    assert_eq!(a.2, b.2);
    let c = pull_all(EmulatorConfig { seed: 7, ..config() }).await;
    assert_ne!(a.2, c.2);
}

#[tokio::test]
async fn deleted_subscription_shows_in_provider_api_only() {
    let t = T::new();
    let subs = t.state.store().subscriptions().unwrap();
    let deleted = subs.iter().find(|s| s.state == "Deleted").expect("a deleted subscription").subscription_id.clone();
    assert!(t.state.identity().tenants.iter().all(|p| !p.subscription_ids.contains(&deleted)));
    // Its usage stopped half way through the 5 days: query the first days.
    let w = "reportedStartTime=2024-03-10T00:00:00Z&reportedEndTime=2024-03-12T00:00:00Z";
    let recs = t.pull(&t.provider_url(&format!("{w}&subscriberId={deleted}")), &t.admin).await;
    assert!(!recs.is_empty());
    assert!(recs.iter().all(|r| r["properties"]["subscriptionId"] == deleted.as_str()));
    let (s, b) = t
        .get(&format!("/subscriptions/{deleted}/providers/Microsoft.Commerce/usageAggregates?api-version={V}&{w}"))
        .await;
    assert_eq!((s, code(&b).as_str()), (StatusCode::NOT_FOUND, "SubscriptionNotFound"));
}

#[tokio::test]
async fn start_writes_ready_file_and_serves_over_loopback() {
    let dir = tempfile::tempdir().unwrap();
    let ready = dir.path().join("ready.json");
    let emu = azs_usage_emulator::start(EmulatorConfig {
        database: StoreLocation::File(dir.path().join("emu.db")),
        ready_file: Some(ready.clone()),
        faults: "drop:next=1".parse().unwrap(),
        ..config()
    })
    .await
    .unwrap();
    let text = std::fs::read_to_string(&ready).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "endpoint",
            "adminEndpoint",
            "tenantEndpoint",
            "caCertificateFile",
            "identitySystem",
            "loginEndpoint",
            "audience",
            "providerSubscriptionId",
            "admin",
            "tenants",
            "offers",
            "database",
            "records"
        ]
    );
    let endpoint = v["endpoint"].as_str().unwrap();
    assert!(endpoint.starts_with("http://127.0.0.1:"));
    assert_eq!(v["loginEndpoint"], format!("{endpoint}/login/").as_str());
    assert_eq!(v["identitySystem"], "AzureAD");
    assert!(v["caCertificateFile"].is_null());
    assert_eq!(v["records"].as_u64().unwrap(), emu.state().store().record_count().unwrap());
    assert_eq!(v["tenants"][0]["name"], "contoso");
    assert!(!v["tenants"][0]["subscriptionIds"].as_array().unwrap().is_empty());
    // The directory in the ready file: every subscription of each tenant (the deleted one too) with its owner and
    // offer, and the offers.
    let contoso = v["tenants"][0]["subscriptions"].as_array().unwrap();
    assert!(contoso.len() > v["tenants"][0]["subscriptionIds"].as_array().unwrap().len(), "the deleted one is listed");
    assert!(contoso.iter().any(|s| s["state"] == "Deleted" && s["offerName"] == "Legacy 2019"));
    assert!(contoso.iter().all(|s| s["owner"].as_str().unwrap().ends_with("@contoso.onmicrosoft.com")));
    let offer_names: Vec<&str> = v["offers"].as_array().unwrap().iter().map(|o| o["name"].as_str().unwrap()).collect();
    assert_eq!(offer_names, ["basic", "standard", "premium", "legacy"]);
    let info: azs_usage_emulator::ReadyInfo = serde_json::from_str(&text).unwrap();
    assert_eq!(&info, emu.info());

    // Real token + usage over the socket; the first usage request is dropped mid-body.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::new();
    let tok: Value = http
        .post(format!("{}{}/oauth2/token", info.login_endpoint, info.admin.tenant_id))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", &info.admin.client_id),
            ("client_secret", &info.admin.client_secret),
            ("resource", &info.audience),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let access = tok["access_token"].as_str().unwrap().to_string();
    let url = format!(
        "{endpoint}/subscriptions/{}/providers/Microsoft.Commerce.Admin/subscriberUsageAggregates?api-version={V}&{W}&aggregationGranularity=Hourly",
        info.provider_subscription_id
    );
    let r = http.get(&url).bearer_auth(&access).send().await.unwrap();
    assert_eq!(r.status(), 200, "headers arrive before the drop");
    assert!(r.text().await.is_err(), "the body must be cut off");
    let r = http.get(&url).bearer_auth(&access).send().await.unwrap();
    let v: Value = r.json().await.unwrap();
    assert!(v["nextLink"].as_str().unwrap().starts_with(&format!("{endpoint}/subscriptions/")));
    emu.shutdown().await;

    // Restart on the same file: no reseed, same identity.
    let emu2 = azs_usage_emulator::start(EmulatorConfig {
        database: StoreLocation::File(dir.path().join("emu.db")),
        ..config()
    })
    .await
    .unwrap();
    assert_eq!(emu2.info().audience, info.audience);
    assert_eq!(emu2.info().records, info.records);
    emu2.shutdown().await;
}

#[tokio::test]
async fn https_with_generated_ca() {
    let dir = tempfile::tempdir().unwrap();
    let emu = azs_usage_emulator::start(EmulatorConfig {
        https: true,
        ready_file: Some(dir.path().join("ready.json")),
        ..config()
    })
    .await
    .unwrap();
    let ca = emu.info().ca_certificate_file.clone().unwrap();
    assert!(emu.info().endpoint.starts_with("https://127.0.0.1:"));
    let pem = std::fs::read(&ca).unwrap();
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http =
        reqwest::Client::builder().tls_certs_only([reqwest::Certificate::from_pem(&pem).unwrap()]).build().unwrap();
    let r =
        http.get(format!("{}/metadata/endpoints?api-version=2015-01-01", emu.info().endpoint)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    emu.shutdown().await;
}

// --- The admin directory (Microsoft.Subscriptions.Admin) -------------------------------------------------

const DIR_V: &str = "2015-11-01";

impl T {
    fn directory_url(&self, collection: &str, q: &str) -> String {
        format!(
            "/subscriptions/{}/providers/Microsoft.Subscriptions.Admin/{collection}?api-version={DIR_V}{q}",
            self.provider()
        )
    }
}

#[tokio::test]
async fn directory_lists_every_tenant_subscription_with_owner_directory_tenant_and_offer() {
    let t = T::new();
    let subs = t.pull(&t.directory_url("subscriptions", ""), &t.admin).await;
    let offers = t.pull(&t.directory_url("offers", ""), &t.admin).await;
    let stored: Vec<_> =
        t.state.store().subscriptions().unwrap().into_iter().filter(|s| s.kind == SubKind::Tenant).collect();
    assert_eq!(subs.len(), stored.len(), "every tenant subscription, the deleted one included");
    let offer_ids: HashSet<&str> = offers.iter().map(|o| o["id"].as_str().unwrap()).collect();
    let p = t.provider();
    for (row, s) in subs.iter().zip(&stored) {
        let id = row["subscriptionId"].as_str().unwrap();
        assert_eq!(id, s.subscription_id);
        assert_eq!(
            row["id"],
            format!("/subscriptions/{p}/providers/Microsoft.Subscriptions.Admin/subscriptions/{id}").as_str()
        );
        assert_eq!(row["displayName"], s.display_name.as_str());
        assert_eq!(row["state"], s.state.as_str());
        let tenant = t.state.identity().tenants.iter().find(|p| Some(&p.name) == s.tenant.as_ref()).unwrap();
        assert_eq!(row["tenantId"], tenant.tenant_id.as_str(), "the owning tenant's directory");
        let owner = row["owner"].as_str().unwrap();
        assert!(owner.ends_with(&format!("@{}.onmicrosoft.com", tenant.name)), "{owner}");
        assert!(offer_ids.contains(row["offerId"].as_str().unwrap()), "{row}");
        assert_eq!(row["delegatedProviderSubscriptionId"], "");
        assert!(row.get("properties").is_none(), "subscriptions are flat ARM objects");
    }
    let deleted: Vec<_> = subs.iter().filter(|r| r["state"] == "Deleted").collect();
    assert_eq!(deleted.len(), 1);
    assert!(deleted[0]["offerId"].as_str().unwrap().ends_with("/offers/legacy"));
    let used: HashSet<&str> = subs.iter().map(|r| r["offerId"].as_str().unwrap()).collect();
    assert!(used.len() >= 3, "at least two offers among the live tenants, plus the deleted one's: {used:?}");

    // Offers, across resource groups, with their fields in `properties`.
    let groups: HashSet<&str> = offers.iter().map(|o| o["id"].as_str().unwrap().split('/').nth(4).unwrap()).collect();
    assert_eq!(groups, HashSet::from(["plans", "premium-plans"]));
    let standard = offers.iter().find(|o| o["name"] == "standard").unwrap();
    assert_eq!(standard["properties"]["displayName"], "Standard");
    assert_eq!(standard["properties"]["state"], "Public");
    let on_standard = subs
        .iter()
        .filter(|r| r["state"] != "Deleted" && r["offerId"].as_str().unwrap().ends_with("/offers/standard"))
        .count();
    assert_eq!(standard["properties"]["subscriptionCount"], on_standard as u64);
    let in_group = t
        .pull(&format!("/subscriptions/{p}/resourceGroups/premium-plans/providers/Microsoft.Subscriptions.Admin/offers?api-version={DIR_V}"), &t.admin)
        .await;
    assert_eq!(in_group.iter().map(|o| o["name"].as_str().unwrap()).collect::<Vec<_>>(), ["premium"]);
    let (s, b) = t
        .get(&format!(
            "/subscriptions/{p}/resourceGroups/nope/providers/Microsoft.Subscriptions.Admin/offers?api-version={DIR_V}"
        ))
        .await;
    assert_eq!((s, code(&b).as_str()), (StatusCode::NOT_FOUND, "ResourceGroupNotFound"));
}

#[tokio::test]
async fn directory_pages_with_next_links_and_rejects_bad_skip_tokens() {
    let t = T::new();
    let all = t.pull(&t.directory_url("subscriptions", ""), &t.admin).await;
    assert!(all.len() > 4);
    let (_, b) = t.get(&t.directory_url("subscriptions", "&pageSize=2")).await;
    let first: Value = serde_json::from_str(&b).unwrap();
    assert_eq!(first["value"].as_array().unwrap().len(), 2);
    assert!(first["nextLink"].as_str().unwrap().contains("$skipToken=2"), "{}", first["nextLink"]);
    assert_eq!(
        t.pull(&t.directory_url("subscriptions", "&pageSize=2"), &t.admin).await,
        all,
        "pages lose and repeat nothing"
    );
    assert_eq!(t.pull(&t.directory_url("offers", "&pageSize=1"), &t.admin).await.len(), 4);
    let (_, b) = t.get(&t.directory_url("subscriptions", "")).await;
    assert!(serde_json::from_str::<Value>(&b).unwrap().get("nextLink").is_none(), "one page: no nextLink");
    for q in ["&$skipToken=x", "&$skipToken=-1", "&$skipToken=99999", "&pageSize=0", "&pageSize=x"] {
        let (s, b) = t.get(&t.directory_url("subscriptions", q)).await;
        assert_eq!((s, code(&b).as_str()), (StatusCode::BAD_REQUEST, "InvalidProperty"), "{q}");
    }
}

#[tokio::test]
async fn directory_is_for_the_operator_only() {
    let t = T::new();
    let contoso = t.state.token_for("contoso").unwrap();
    for collection in ["subscriptions", "offers"] {
        let url = t.directory_url(collection, "");
        let (s, _, b) = t.call("GET", &url, Some(&contoso), None).await;
        assert_eq!((s, code(&b).as_str()), (StatusCode::FORBIDDEN, "AuthorizationFailed"), "{collection}");
        assert!(b.contains(&format!("Microsoft.Subscriptions.Admin/{collection}/read")), "{b}");
        let (s, _, _) = t.call("GET", &url, None, None).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
    let own = t.tenant_sub(0);
    let (s, _, _) = t
        .call(
            "GET",
            &format!("/subscriptions/{own}/providers/Microsoft.Subscriptions.Admin/subscriptions?api-version={DIR_V}"),
            Some(&contoso),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "not even over the tenant's own subscription");
    let (s, b) = t
        .get(&format!("/subscriptions/{own}/providers/Microsoft.Subscriptions.Admin/subscriptions?api-version={DIR_V}"))
        .await;
    assert_eq!(
        (s, code(&b).as_str()),
        (StatusCode::FORBIDDEN, "AuthorizationFailed"),
        "a tenant subscription is no provider"
    );
    let (s, b) = t
        .get(&format!("/subscriptions/00000000-1111-2222-3333-444444444444/providers/Microsoft.Subscriptions.Admin/subscriptions?api-version={DIR_V}"))
        .await;
    assert_eq!((s, code(&b).as_str()), (StatusCode::NOT_FOUND, "SubscriptionNotFound"));
    let p = t.provider();
    let (s, b) = t.get(&format!("/subscriptions/{p}/providers/Microsoft.Subscriptions.Admin/subscriptions")).await;
    assert_eq!((s, code(&b).as_str()), (StatusCode::BAD_REQUEST, "MissingApiVersionParameter"));
    let (s, b) =
        t.get(&format!("/subscriptions/{p}/providers/Microsoft.Subscriptions.Admin/offers?api-version={V}")).await;
    assert_eq!((s, code(&b).as_str()), (StatusCode::BAD_REQUEST, "NoRegisteredProviderFound"));
    // Paths are case-insensitive, as everywhere in ARM.
    let (s, _) = t
        .get(&format!("/SUBSCRIPTIONS/{p}/PROVIDERS/microsoft.subscriptions.admin/Subscriptions?api-version={DIR_V}"))
        .await;
    assert_eq!(s, StatusCode::OK);
}

#[tokio::test]
async fn directory_faults_ingested_subscriptions_and_stores_seeded_before_the_directory() {
    let t = T::with(EmulatorConfig { faults: "503:next=1".parse().unwrap(), ..config() });
    let url = t.directory_url("subscriptions", "");
    let (s, b) = t.get(&url).await;
    assert_eq!((s, code(&b).as_str()), (StatusCode::SERVICE_UNAVAILABLE, "ServiceUnavailable"), "faults apply");
    let before = t.pull(&url, &t.admin).await;

    // Usage for a subscription the stamp never saw: listed, with no owner or offer.
    let stranger = "5a5a5a5a-0000-4000-8000-000000000001";
    let rec = serde_json::json!([{
        "subscriptionId": stranger, "meterId": "B5C15376-6C94-4FDD-B655-1A69D138ACA3", "usageStartTime": "2024-03-14T05:00:00Z",
        "quantity": 1, "resourceUri": format!("/subscriptions/{stranger}/resourcegroups/x/providers/Microsoft.Storage/storageAccounts/s"),
    }]);
    let (s, _, b) = t.call("POST", "/_emulator/usage", Some(&t.admin), Some(rec.to_string())).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let after = t.pull(&url, &t.admin).await;
    assert_eq!(&after[..before.len()], &before[..], "rows are appended, never reordered");
    let added = &after[before.len()..];
    assert_eq!(added.len(), 1);
    assert_eq!(
        (added[0]["subscriptionId"].as_str(), added[0]["owner"].as_str(), added[0]["offerId"].as_str()),
        (Some(stranger), Some(""), Some(""))
    );

    // A store seeded before the directory existed gets it on open, the same as a fresh seed.
    let dir = tempfile::tempdir().unwrap();
    let cfg = EmulatorConfig { database: StoreLocation::File(dir.path().join("old.db")), ..config() };
    let fresh = open_store(&cfg).unwrap().directory().unwrap();
    {
        let c = rusqlite::Connection::open(dir.path().join("old.db")).unwrap();
        c.execute_batch("DROP TABLE directory; DROP TABLE offers;").unwrap();
    }
    let reopened = open_store(&cfg).unwrap();
    assert_eq!(reopened.directory().unwrap(), fresh);
    assert_eq!(reopened.offers().unwrap().len(), 4);
}
