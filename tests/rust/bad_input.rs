//! Bad input to the core: each case gets a clear error of the right reason naming what was wrong,
//! and nothing half-done. Queries are refused before any request; continuation tokens the service
//! does not recognise come back as a rejection naming the token; bodies a proxy might send
//! (malformed JSON, HTML, truncated, wrong content type, empty) are decode errors naming what was
//! received; huge ranges work page by page; non-ASCII tags survive the round trip.
//!
//! Cases (counted for the README): 15 query cases + 6 time texts + 3 granularities + 6 continuation
//! tokens + 10 bodies + 1 huge range + 1 non-ASCII tags = 42 core cases.

use std::time::Duration;

use azs_usage_core::{Api, Credential, Granularity, Reason, UsageQuery, parse_time};
use azs_usage_tests::*;
use base64::Engine;
use chrono::{DateTime, Duration as Span, Utc};
use futures::StreamExt;

const SUB: &str = "2f0f6e4e-52a5-4a4d-a0a7-6f6a1d6e7d11";

fn day(d: u32, h: u32) -> DateTime<Utc> {
    use chrono::TimeZone;
    Utc.with_ymd_and_hms(2026, 10, d, h, 0, 0).single().expect("instant")
}

fn q(api: Api, sub: &str, start: DateTime<Utc>, end: DateTime<Utc>, g: Granularity) -> UsageQuery {
    let mut q = UsageQuery::new(api, sub, start, end);
    q.granularity = g;
    q
}

/// A client for an endpoint where nothing listens: a query that reaches the network fails with
/// ConnectionFailed, so a validation reason proves the query was refused before any request.
async fn offline_client() -> azs_usage_core::UsageClient {
    let mut o = azs_usage_core::ClientOptions::new(
        url::Url::parse("http://127.0.0.1:9/").expect("url"),
        Credential::Token("t".to_string().into()),
    );
    o.retry = azs_usage_core::RetryPolicy { max_retries: 0, ..quick_retry() };
    client(o).await
}

#[tokio::test]
async fn invalid_queries_are_refused_before_any_request_naming_the_rule() {
    let (h, d) = (Granularity::Hourly, Granularity::Daily);
    let mut with_subscriber = q(Api::Provider, SUB, day(1, 0), day(2, 0), h);
    with_subscriber.subscriber_id = Some("tenant-one".into());
    let mut subscriber_on_tenant_api = q(Api::Tenant, SUB, day(1, 0), day(2, 0), h);
    subscriber_on_tenant_api.subscriber_id = Some(SUB.into());
    let mut injection = q(Api::Provider, SUB, day(1, 0), day(2, 0), h);
    injection.subscriber_id = Some("'; DROP TABLE usage; --".into());
    let mut no_version = q(Api::Tenant, SUB, day(1, 0), day(2, 0), h);
    no_version.api_version = "  ".into();
    let far_future = Utc::now() + Span::days(3650);
    // (15 cases)
    let cases: Vec<(&str, UsageQuery, &str)> = vec![
        ("reversed", q(Api::Tenant, SUB, day(2, 0), day(1, 0), d), "not before end"),
        ("empty range", q(Api::Tenant, SUB, day(2, 0), day(2, 0), d), "not before end"),
        (
            "hourly start off the hour",
            q(Api::Tenant, SUB, day(1, 0) + Span::minutes(30), day(2, 0), h),
            "not on the hour",
        ),
        ("hourly end with seconds", q(Api::Tenant, SUB, day(1, 0), day(2, 0) + Span::seconds(1), h), "not on the hour"),
        ("daily start at 01:00", q(Api::Provider, SUB, day(1, 1), day(2, 0), d), "00:00Z"),
        ("daily end at noon", q(Api::Provider, SUB, day(1, 0), day(2, 12), d), "00:00Z"),
        ("future end", q(Api::Tenant, SUB, day(1, 0), far_future, d), "future"),
        ("subscription not a GUID", q(Api::Tenant, "not-a-guid", day(1, 0), day(2, 0), d), "not a GUID"),
        ("subscription GUID cut short", q(Api::Tenant, &SUB[..35], day(1, 0), day(2, 0), d), "not a GUID"),
        ("subscription empty", q(Api::Tenant, "", day(1, 0), day(2, 0), d), "not a GUID"),
        ("subscription with a path", q(Api::Tenant, &format!("{SUB}/../x"), day(1, 0), day(2, 0), d), "not a GUID"),
        ("subscriber not a GUID", with_subscriber, "subscriber id 'tenant-one' is not a GUID"),
        ("subscriber injection", injection, "DROP TABLE"),
        ("subscriber on the tenant API", subscriber_on_tenant_api, "provider"),
        ("blank api-version", no_version, "api-version"),
    ];
    let c = offline_client().await;
    for (name, query, needle) in cases {
        let err = collect_pages(c.pages(query)).await.expect_err(name);
        let want = if name.contains("api-version") {
            Reason::InvalidApiVersion
        } else if name.starts_with("subscri") {
            Reason::InvalidSubscriptionId
        } else {
            Reason::InvalidTimeRange
        };
        assert_eq!(err.reason, want, "{name}: {err}");
        assert!(err.message.contains(needle), "{name}: message names the rule ({needle}): {}", err.message);
        assert_eq!(err.attempts, 0, "{name}: no request was made");
    }
}

#[test]
fn unparsable_times_and_granularities_are_named() {
    // (6 cases)
    for text in ["2026-13-01", "yesterday", "", "2026-11-01T25:00:00Z", "2026-02-30", "2026-11-01T10:00:00"] {
        let err = parse_time(text).expect_err(text);
        assert_eq!(err.reason, Reason::InvalidTimeRange);
        assert!(
            err.message.contains(&format!("'{text}'")) && err.message.contains("ISO 8601"),
            "names the text: {}",
            err.message
        );
    }
    assert!(parse_time("2026-11-01T10:00:00").expect_err("no zone").message.contains("no time zone"));
    // (3 cases)
    for text in ["weekly", "", "Hourly; DROP TABLE usage"] {
        let err = text.parse::<Granularity>().expect_err(text);
        assert_eq!(err.reason, Reason::InvalidGranularity);
        assert!(err.message.contains("Daily and Hourly"), "{}", err.message);
    }
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unrecognised_continuation_tokens_are_rejected_naming_the_token() {
    let emu = start(small_config()).await;
    let info = emu.info().clone();
    let c = client(admin_options(&info)).await;
    let mut pages = c.pages(provider_hourly(&info));
    let real = pages.next().await.expect("page").expect("ok").continuation_token.expect("token");
    drop(pages);
    let (payload, tag) = real.split_once('.').expect("payload.tag");
    let decoded = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).expect("base64url payload");
    let mut json: serde_json::Value = serde_json::from_slice(&decoded).expect("JSON payload");
    json["s"] = serde_json::json!(json["s"].as_i64().unwrap_or(0) + 1);
    let forged_payload = format!("{}.{tag}", b64(json.to_string().as_bytes()));
    let fake_tag = format!("{payload}.{}", b64(&[0u8; 16]));
    let mut flipped = real.clone().into_bytes();
    flipped[5] = if flipped[5] == b'A' { b'B' } else { b'A' };
    let flipped = String::from_utf8(flipped).expect("ascii");
    // A token of a different query (one subscriber) is not valid for this one.
    let mut other = provider_hourly(&info);
    other.subscriber_id = Some(info.tenants[0].subscription_ids[0].clone());
    let foreign =
        collect_pages(c.pages(other)).await.expect("other query")[0].continuation_token.clone().expect("token");
    // (6 cases)
    let cases: Vec<(&str, String)> = vec![
        ("garbage", "garbage!!".to_string()),
        ("truncated", real[..real.len() / 2].to_string()),
        ("forged payload, real tag", forged_payload),
        ("real payload, forged tag", fake_tag),
        ("one character changed", flipped),
        ("token of another query", foreign),
    ];
    for (name, token) in cases {
        let mut query = provider_hourly(&info);
        query.continuation_token = Some(token);
        let err = collect_pages(c.pages(query)).await.expect_err(name);
        assert_eq!(err.reason, Reason::InvalidContinuationToken, "{name}: {err}");
        assert_eq!(err.status, Some(400), "{name}");
        assert!(err.message.contains("continuationToken"), "{name}: names the token: {}", err.message);
        assert_eq!(err.attempts, 1, "{name}: a 400 is not retried");
    }
    emu.shutdown().await;
}

/// One valid page of the wire shape, for truncation.
fn valid_page() -> String {
    let rec = |i: u32| {
        format!(
            r#"{{"id":"/subscriptions/{SUB}/providers/Microsoft.Commerce/UsageAggregate/x{i}","name":"x{i}","type":"Microsoft.Commerce/UsageAggregate","properties":{{"subscriptionId":"{SUB}","usageStartTime":"2026-10-01T00:00:00+00:00","usageEndTime":"2026-10-01T01:00:00+00:00","instanceData":"{{\"Microsoft.Resources\":{{\"resourceUri\":\"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm{i}\",\"location\":\"local\"}}}}","quantity":1.5,"meterId":"6dab500f-a4fd-49c4-956d-229bb9c8c793"}}}}"#
        )
    };
    format!(r#"{{"value":[{},{}]}}"#, rec(1), rec(2))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_a_proxy_might_send_are_decode_errors_naming_what_was_received() {
    let page = valid_page();
    let html =
        "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>";
    // (status, content type, body, expected reason, text the message must contain) — 10 cases
    type Case = (u16, Option<&'static str>, Vec<u8>, Reason, &'static str);
    let cases: Vec<Case> = vec![
        (
            200,
            Some("application/json"),
            br#"{"value":[{"properties":"#.to_vec(),
            Reason::InvalidResponse,
            "application/json",
        ),
        (200, Some("text/html"), html.as_bytes().to_vec(), Reason::InvalidResponse, "text/html"),
        (200, Some("application/json"), page.as_bytes()[..page.len() - 40].to_vec(), Reason::InvalidResponse, "bytes"),
        (
            200,
            Some("application/xml"),
            b"<UsageAggregates><value/></UsageAggregates>".to_vec(),
            Reason::InvalidResponse,
            "application/xml",
        ),
        (200, Some("application/json"), Vec::new(), Reason::InvalidResponse, "0 bytes"),
        (200, None, b"not json at all".to_vec(), Reason::InvalidResponse, "(none)"),
        (200, Some("application/json"), br#"{"items":[]}"#.to_vec(), Reason::InvalidResponse, "no 'value' array"),
        (
            200,
            Some("application/json"),
            page.replace("1.5", "\"lots\"").into_bytes(),
            Reason::InvalidResponse,
            "quantity",
        ),
        (
            200,
            Some("application/json"),
            page.replace("2026-10-01T00:00:00+00:00", "first of October").into_bytes(),
            Reason::InvalidResponse,
            "usageStartTime",
        ),
        (502, Some("text/html"), html.as_bytes().to_vec(), Reason::ServiceUnavailable, "text/html"),
    ];
    for (status, ct, body, reason, needle) in cases {
        let shown = String::from_utf8_lossy(&body[..body.len().min(30)]).to_string();
        let (url, server) = canned_server(status, ct, body).await;
        let mut o = azs_usage_core::ClientOptions::new(url, Credential::Token("t".to_string().into()));
        o.retry = azs_usage_core::RetryPolicy { max_retries: 1, ..quick_retry() };
        let c = client(o).await;
        let err = collect_pages(c.pages(q(Api::Tenant, SUB, day(1, 0), day(2, 0), Granularity::Daily)))
            .await
            .expect_err(&shown);
        assert_eq!(err.reason, reason, "{status} {ct:?} {shown}: {err}");
        assert!(
            err.message.contains(needle),
            "{status} {ct:?} {shown}: names what was received ({needle}): {}",
            err.message
        );
        assert_eq!(err.status, Some(status), "{shown}");
        server.abort();
    }
    // The same valid page under a lax content type is still read (tolerated, not a case of failure).
    let (url, server) = canned_server(200, Some("text/plain"), page.clone().into_bytes()).await;
    let c = client(azs_usage_core::ClientOptions::new(url, Credential::Token("t".to_string().into()))).await;
    let pages = collect_pages(c.pages(q(Api::Tenant, SUB, day(1, 0), day(2, 0), Granularity::Daily)))
        .await
        .expect("valid JSON as text/plain");
    assert_eq!(records_of(&pages).len(), 2);
    server.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ten_year_hourly_range_pages_without_hanging() {
    let emu = start(small_config()).await;
    let info = emu.info().clone();
    let c = client(admin_options(&info)).await;
    let (_, end) = seeded_range();
    let huge = q(Api::Provider, &info.provider_subscription_id, end - Span::days(3650), end, Granularity::Hourly);
    let first: Vec<_> = tokio::time::timeout(Duration::from_secs(20), c.pages(huge).take(3).collect::<Vec<_>>())
        .await
        .expect("no hang");
    assert_eq!(first.len(), 3);
    for p in first {
        let p = p.expect("a page of a 10-year range");
        assert_eq!(p.records.len(), 100);
        assert!(p.continuation_token.is_some());
    }
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn non_ascii_tags_come_back_intact() {
    let emu = start(small_config()).await;
    let info = emu.info().clone();
    let sub = info.tenants[0].subscription_ids[0].clone();
    let (_, end) = seeded_range();
    let hour = end - Span::hours(30);
    let uri =
        format!("/subscriptions/{sub}/resourceGroups/Gruppe-Ü/providers/Microsoft.Compute/virtualMachines/vm-日本");
    let body = serde_json::json!([{
        "subscriptionId": sub, "meterId": "6DAB500F-A4FD-49C4-956D-229BB9C8C793",
        "usageStartTime": hour.format("%Y-%m-%dT%H:%M:%SZ").to_string(), "reportedTime": (hour + Span::hours(2)).format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        "quantity": "2.5", "resourceUri": uri, "location": "local",
        "tags": {"Kostenstelle": "Büro-Ä1", "部署": "開発", "emoji": "🚀 \"quoted\" \\ back"},
    }]);
    assert_eq!(ingest(&info, body).await, (1, 0));
    let c = client(admin_options(&info)).await;
    let mut query = provider_hourly(&info);
    query.subscriber_id = Some(sub.clone());
    let records = records_of(&collect_pages(c.pages(query)).await.expect("pull"));
    let r = records.iter().find(|r| r.resource_uri == uri).expect("the ingested record, URI intact");
    assert_eq!(r.tags.get("Kostenstelle"), Some("Büro-Ä1"));
    assert_eq!(r.tags.get("部署"), Some("開発"));
    assert_eq!(r.tags.get("emoji"), Some("🚀 \"quoted\" \\ back"));
    assert_eq!(r.resource_group, "Gruppe-Ü");
    assert_eq!(r.resource_name, "vm-日本");
    emu.shutdown().await;
}
