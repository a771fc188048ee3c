//! Hostile requests against the emulator: oversized and forged tokens, odd query strings,
//! injection-like values, traversal-like paths and huge headers. The emulator never answers 500,
//! never dies, and a normal pull still matches its store afterwards. A tenant can never read
//! another tenant's records, nor use the operator's control endpoints.
//!
//! Counted for the README: 42 hostile requests in `hostile_requests_never_get_a_500_and_the_emulator_keeps_serving`
//! and 17 cross-tenant attempts in `a_tenant_never_reads_another_tenants_records` = 59 hostile requests.

use std::time::Duration;

use azs_usage_tests::*;
use chrono::{DateTime, Utc};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn iso(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Sends raw bytes as one HTTP/1.1 request and returns the status code, or `None` when the server
/// closed the connection without an answer (acceptable for malformed HTTP, never a hang).
async fn raw(addr: std::net::SocketAddr, request: Vec<u8>) -> Option<u16> {
    let io = async {
        let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
        if s.write_all(&request).await.is_err() {
            return None;
        }
        let mut buf = Vec::new();
        let mut chunk = [0u8; 8192];
        loop {
            match s.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    buf.extend_from_slice(&chunk[..n]);
                    if buf.windows(4).any(|w| w == b"\r\n\r\n") {
                        break;
                    }
                }
            }
        }
        let text = String::from_utf8_lossy(&buf);
        text.strip_prefix("HTTP/1.1 ").and_then(|r| r.get(..3)).and_then(|c| c.parse().ok())
    };
    tokio::time::timeout(Duration::from_secs(20), io).await.expect("the emulator answers or closes; it never hangs")
}

fn get(target: &str, headers: &[(&str, String)]) -> Vec<u8> {
    let mut r = format!("GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n").into_bytes();
    for (k, v) in headers {
        r.extend_from_slice(format!("{k}: {v}\r\n").as_bytes());
    }
    r.extend_from_slice(b"\r\n");
    r
}

fn with_body(method: &str, target: &str, headers: &[(&str, String)], body: &[u8]) -> Vec<u8> {
    let mut r = format!(
        "{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    )
    .into_bytes();
    for (k, v) in headers {
        r.extend_from_slice(format!("{k}: {v}\r\n").as_bytes());
    }
    r.extend_from_slice(b"\r\n");
    r.extend_from_slice(body);
    r
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_requests_never_get_a_500_and_the_emulator_keeps_serving() {
    let emu = start(small_config()).await;
    let info = emu.info().clone();
    let addr = emu.local_addr();
    let admin = admin_token(&info).await;
    let (start_t, end_t) = seeded_range();
    let p = format!(
        "/subscriptions/{}/providers/Microsoft.Commerce.Admin/subscriberUsageAggregates",
        info.provider_subscription_id
    );
    let q = format!(
        "api-version=2015-06-01-preview&reportedStartTime={}&reportedEndTime={}&aggregationGranularity=Hourly",
        iso(start_t),
        iso(end_t)
    );
    let auth = vec![("Authorization", format!("Bearer {admin}"))];
    let big = "A".repeat(100 * 1024);
    let many_params: String = (0..10_000).map(|i| format!("&p{i}=v{i}")).collect();
    let forged_none = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJyb2xlIjoiYWRtaW4iLCJleHAiOjQxMDI0NDQ4MDB9.";
    let forged_sig =
        format!("{}.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", admin.rsplit_once('.').map_or("x", |(head, _)| head));
    let many_headers: Vec<(&str, String)> = (0..90).map(|i| ("X-Junk", format!("value-{i}"))).collect();
    let url = |extra: &str| format!("{p}?{q}{extra}");

    // (name, raw request) — 42 requests
    let requests: Vec<(&str, Vec<u8>)> = vec![
        ("100 KB continuation token", get(&url(&format!("&continuationToken={big}")), &auth)),
        ("100 KB token with a dot", get(&url(&format!("&continuationToken={big}.{big}")), &auth)),
        ("100 KB bearer token", get(&url(""), &[("Authorization", format!("Bearer {big}"))])),
        ("forged alg=none token", get(&url(""), &[("Authorization", format!("Bearer {forged_none}"))])),
        ("admin claims, forged signature", get(&url(""), &[("Authorization", format!("Bearer {forged_sig}"))])),
        ("bearer without a token", get(&url(""), &[("Authorization", "Bearer".to_string())])),
        ("basic auth", get(&url(""), &[("Authorization", "Basic YWRtaW46YWRtaW4=".to_string())])),
        ("repeated reportedStartTime", get(&url(&format!("&reportedStartTime={}", iso(start_t))), &auth)),
        ("repeated granularity", get(&url("&aggregationGranularity=Daily"), &auth)),
        ("repeated api-version", get(&url("&api-version=2015-06-01-preview"), &auth)),
        ("empty names", get(&url("&=&==&&=x&"), &auth)),
        ("percent garbage", get(&url("&%zz%%%ff%fe=%G0%"), &auth)),
        ("invalid UTF-8 time", get(&format!("{p}?api-version=2015-06-01-preview&reportedStartTime=%C3%28&reportedEndTime={}", iso(end_t)), &auth)),
        ("encoded NUL in a time", get(&format!("{p}?api-version=2015-06-01-preview&reportedStartTime=2026%00-10-01&reportedEndTime={}", iso(end_t)), &auth)),
        ("raw NUL byte in the target", {
            let mut r = get(&url("&x=AB"), &auth);
            let i = r.windows(4).position(|w| w == b"x=AB").expect("marker") + 2;
            r[i] = 0;
            r
        }),
        ("10,000 parameters", get(&url(&many_params), &auth)),
        ("1,000 repeated parameters", get(&url(&"&a=1".repeat(1000)), &auth)),
        ("5 KB continuation token", get(&url(&format!("&continuationToken={}.{}", "A".repeat(5000), "B".repeat(22))), &auth)),
        ("SQL injection in subscriberId", get(&url("&subscriberId=%27%20OR%201%3D1%20--"), &auth)),
        ("DROP TABLE in a time", get(&format!("{p}?api-version=2015-06-01-preview&reportedStartTime=%3B%20DROP%20TABLE%20usage&reportedEndTime={}", iso(end_t)), &auth)),
        ("injection in the path subscription", get(&format!("/subscriptions/%27%20OR%201%3D1%20--/providers/Microsoft.Commerce/usageAggregates?{q}"), &auth)),
        ("injection in the continuation token", get(&url("&continuationToken=%27%20OR%201%3D1%20--.x"), &auth)),
        ("huge pageSize", get(&url("&pageSize=99999999999999999999999"), &auth)),
        ("negative pageSize", get(&url("&pageSize=-1"), &auth)),
        ("showDetails garbage", get(&url("&showDetails=maybe"), &auth)),
        ("year 9999", get(&format!("{p}?api-version=2015-06-01-preview&reportedStartTime=9999-12-31T22:00:00Z&reportedEndTime=9999-12-31T23:00:00Z&aggregationGranularity=Hourly"), &auth)),
        ("year 1", get(&format!("{p}?api-version=2015-06-01-preview&reportedStartTime=0001-01-01T00:00:00Z&reportedEndTime=0001-01-02T00:00:00Z"), &auth)),
        ("traversal to the control API", get("/subscriptions/../_emulator/stats", &auth)),
        ("encoded traversal", get("/%2e%2e/%2e%2e/etc/passwd", &auth)),
        ("traversal after the usage path", get(&format!("{p}/..%2f..%2f_emulator%2ffaults?{q}"), &auth)),
        ("backslash traversal", get("/subscriptions/..\\..\\windows\\win.ini", &auth)),
        ("100 KB path", get(&format!("/subscriptions/{big}/providers/Microsoft.Commerce/usageAggregates?{q}"), &auth)),
        ("200 KB header", get(&url(""), &[auth[0].clone(), ("X-Junk", "B".repeat(200 * 1024))])),
        ("90 headers", get(&url(""), &[auth.clone(), many_headers].concat())),
        ("10 KB correlation id", get(&url(""), &[auth[0].clone(), ("x-ms-correlation-request-id", "C".repeat(10 * 1024))])),
        ("garbage Host", get(&url(""), &[auth[0].clone(), ("Host", "evil.example.com/<script>".to_string())])),
        ("DELETE on the usage API", with_body("DELETE", &url(""), &auth, b"")),
        ("POST 2 MB to the usage API", with_body("POST", &url(""), &auth, &vec![b'x'; 2 << 20])),
        ("garbage ingestion body", with_body("POST", "/_emulator/usage", &auth, b"[{\"subscriptionId\": ")),
        ("ingestion with absurd quantity", with_body("POST", "/_emulator/usage", &auth, format!("[{{\"subscriptionId\":\"{}\",\"meterId\":\"x\",\"usageStartTime\":\"nope\",\"quantity\":1e999999,\"resourceUri\":\"'; DROP TABLE usage\"}}]", info.tenants[0].subscription_ids[0]).as_bytes())),
        ("garbage fault spec", with_body("POST", "/_emulator/faults", &auth, b"429=;;;:every=-1@nowhere")),
        ("2 MB token request", with_body("POST", &format!("/login/{}/oauth2/token", info.admin.tenant_id), &[("Content-Type", "application/x-www-form-urlencoded".to_string())], &vec![b'a'; 2 << 20])),
    ];
    assert_eq!(requests.len(), 42);
    let (before, _) = store_totals(&info, start_t, end_t).await;
    for (name, request) in requests {
        let status = raw(addr, request).await;
        eprintln!("{name}: {status:?}");
        assert_ne!(status, Some(500), "{name}: never a 500");
        assert!(status.is_none_or(|s| (200..500).contains(&s)), "{name}: answered {status:?}");
        // Still serving after each one.
        let ok = raw(addr, get("/metadata/endpoints?api-version=2015-01-01", &[])).await;
        assert_eq!(ok, Some(200), "after {name}: the emulator still serves");
    }
    let faults = fault_counters(&info).await;
    assert_eq!(faults.1, 0, "no fault rule was installed by the garbage spec");
    let c = client(admin_options(&info)).await;
    let records = records_of(&collect_pages(c.pages(provider_hourly(&info))).await.expect("a normal pull afterwards"));
    let after = assert_matches_store(&info, &records, "after hostile requests").await;
    assert_eq!(before, after, "no hostile request changed the store");
    emu.shutdown().await;
}

/// Flips the case of every letter of a GUID.
fn swap_case(s: &str) -> String {
    s.chars().map(|c| if c.is_ascii_lowercase() { c.to_ascii_uppercase() } else { c.to_ascii_lowercase() }).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_never_reads_another_tenants_records() {
    let emu = start(small_config()).await;
    let info = emu.info().clone();
    let http = raw_http();
    let tenant = emu.state().token_for(&info.tenants[0].name).expect("tenant token");
    let own = info.tenants[0].subscription_ids[0].clone();
    let other = info.tenants[1].subscription_ids[0].clone();
    let prov = info.provider_subscription_id.clone();
    let (start_t, end_t) = seeded_range();
    let q = format!(
        "api-version=2015-06-01-preview&reportedStartTime={}&reportedEndTime={}&aggregationGranularity=Hourly",
        iso(start_t),
        iso(end_t)
    );
    let base = info.endpoint.trim_end_matches('/').to_string();
    let tenant_api = |sub: &str| format!("{base}/subscriptions/{sub}/providers/Microsoft.Commerce/usageAggregates?{q}");
    let provider_api =
        |sub: &str, ns: &str| format!("{base}/subscriptions/{sub}/providers/{ns}/subscriberUsageAggregates?{q}");
    let (before, _) = store_totals(&info, start_t, end_t).await;

    // (name, method, URL, body) — 17 attempts, each must be refused with no record in the answer.
    let attempts: Vec<(&str, &str, String, &str)> = vec![
        ("other subscription", "GET", tenant_api(&other), ""),
        ("other subscription, upper case", "GET", tenant_api(&other.to_uppercase()), ""),
        ("other subscription, swapped case", "GET", tenant_api(&swap_case(&other)), ""),
        ("other subscription, braces", "GET", tenant_api(&format!("{{{other}}}")), ""),
        ("other subscription, padded", "GET", tenant_api(&format!("%20{other}%20")), ""),
        ("provider subscription on the tenant API", "GET", tenant_api(&prov), ""),
        ("provider API", "GET", provider_api(&prov, "Microsoft.Commerce.Admin"), ""),
        ("provider API, legacy namespace", "GET", provider_api(&prov, "Microsoft.Commerce"), ""),
        (
            "provider API with subscriberId",
            "GET",
            format!("{}&subscriberId={other}", provider_api(&prov, "Microsoft.Commerce.Admin")),
            "",
        ),
        (
            "provider API on the own subscription",
            "GET",
            format!("{}&subscriberId={own}", provider_api(&own, "Microsoft.Commerce.Admin")),
            "",
        ),
        ("other subscription's details", "GET", format!("{base}/subscriptions/{other}?api-version=2015-01-01"), ""),
        ("stats", "GET", format!("{base}/_emulator/stats"), ""),
        ("stats of the other subscription", "GET", format!("{base}/_emulator/stats?subscriptionId={other}"), ""),
        ("read faults", "GET", format!("{base}/_emulator/faults"), ""),
        ("set faults", "POST", format!("{base}/_emulator/faults"), "503"),
        ("clear faults", "DELETE", format!("{base}/_emulator/faults"), ""),
        ("ingest", "POST", format!("{base}/_emulator/usage"), "[]"),
    ];
    assert_eq!(attempts.len(), 17);
    for (name, method, url, body) in attempts {
        let r = http
            .request(method.parse().expect("method"), &url)
            .bearer_auth(&tenant)
            .body(body.to_string())
            .send()
            .await
            .expect("request");
        let status = r.status().as_u16();
        let text = r.text().await.unwrap_or_default();
        assert!(matches!(status, 403 | 404), "{name}: refused, got {status}: {}", &text[..text.len().min(200)]);
        assert!(
            !text.contains("\"value\"") && !text.contains("\"totals\"") && !text.contains("\"rules\""),
            "{name}: no data in the answer: {text}"
        );
        assert!(!text.contains("usageStartTime"), "{name}: no usage record in the answer");
    }

    // The subscription list shows only the tenant's own subscriptions.
    let subs: serde_json::Value = http
        .get(format!("{base}/subscriptions?api-version=2015-01-01"))
        .bearer_auth(&tenant)
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("JSON");
    let ids: Vec<String> = subs["value"]
        .as_array()
        .expect("value")
        .iter()
        .map(|s| s["subscriptionId"].as_str().unwrap_or_default().to_lowercase())
        .collect();
    assert!(
        !ids.is_empty()
            && ids.iter().all(|id| info.tenants[0].subscription_ids.iter().any(|s| s.eq_ignore_ascii_case(id))),
        "own subscriptions only: {ids:?}"
    );

    // subscriberId on the tenant API is ignored: still only the tenant's own records.
    let c = client(tenant_options(&info, 0)).await;
    let mut own_q = azs_usage_core::UsageQuery::new(azs_usage_core::Api::Tenant, own.clone(), start_t, end_t);
    own_q.granularity = azs_usage_core::Granularity::Hourly;
    let r: serde_json::Value = http
        .get(format!("{}&subscriberId={other}", tenant_api(&own)))
        .bearer_auth(&tenant)
        .send()
        .await
        .expect("own")
        .json()
        .await
        .expect("JSON");
    let rows = r["value"].as_array().expect("value");
    assert!(
        !rows.is_empty()
            && rows
                .iter()
                .all(|v| v["properties"]["subscriptionId"].as_str().is_some_and(|s| s.eq_ignore_ascii_case(&own))),
        "own records only"
    );

    // Another tenant's continuation token does not open its pull to us.
    let other_client = client(tenant_options(&info, 1)).await;
    let mut other_q = azs_usage_core::UsageQuery::new(azs_usage_core::Api::Tenant, other.clone(), start_t, end_t);
    other_q.granularity = azs_usage_core::Granularity::Hourly;
    let other_token = collect_pages(other_client.pages(other_q)).await.expect("tenant 1 pulls its own")[0]
        .continuation_token
        .clone()
        .expect("token");
    own_q.continuation_token = Some(other_token);
    let err = collect_pages(c.pages(own_q)).await.expect_err("a foreign token");
    assert_eq!(err.reason, azs_usage_core::Reason::InvalidContinuationToken, "{err}");

    // Nothing the tenant did changed the faults or the store.
    assert_eq!(fault_counters(&info).await.1, 0);
    let admin = client(admin_options(&info)).await;
    let records = records_of(&collect_pages(admin.pages(provider_hourly(&info))).await.expect("admin pull"));
    let after = assert_matches_store(&info, &records, "after the tenant's attempts").await;
    assert_eq!(before, after);
    let faults: serde_json::Value = http
        .get(format!("{base}/_emulator/faults"))
        .bearer_auth(admin_token(&info).await)
        .send()
        .await
        .expect("faults")
        .json()
        .await
        .expect("JSON");
    assert!(!faults.to_string().contains("503"), "the tenant's fault spec was not installed: {faults}");
    emu.shutdown().await;
}
