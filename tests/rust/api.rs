//! Both usage APIs end to end: the core client against the emulator on loopback, checked against
//! the emulator's own store.

use azs_usage_core::{Api, Granularity, Reason, SplitPlan, UsageQuery};
use azs_usage_tests::*;
use chrono::{Duration, DurationRound};

/// The whole seeded range, on whole days, ending before the emulator's clock.
fn whole_range() -> (chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>) {
    let end = fixed_now().duration_trunc(Duration::days(1)).expect("day");
    (end - Duration::days(5), end)
}

fn provider_query(info: &azs_usage_emulator::ReadyInfo, granularity: Granularity) -> UsageQuery {
    let (start, end) = whole_range();
    let mut q = UsageQuery::new(Api::Provider, info.provider_subscription_id.clone(), start, end);
    q.granularity = granularity;
    q
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provider_hourly_pull_matches_the_store_exactly() {
    let emu = start(small_config()).await;
    let info = emu.info().clone();
    let c = client(admin_options(&info)).await;
    let pages = collect_pages(c.pages(provider_query(&info, Granularity::Hourly))).await.expect("pull succeeds");
    assert!(pages.len() > 10, "several pages of 100 expected, got {}", pages.len());
    assert!(pages.last().expect("a page").continuation_token.is_none(), "the last page has no token");
    let records = records_of(&pages);
    let (start, end) = whole_range();
    let (count, store) = store_totals(&info, start, end).await;
    assert!(count > 1000, "the store has data in range");
    assert_eq!(records.len() as u64, count, "every hourly record, once");
    assert_eq!(totals_of(&records), store, "per subscription and meter, counts and exact sums agree");
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn daily_is_the_sum_of_hourly_and_show_details_false_aggregates() {
    let emu = start(small_config()).await;
    let info = emu.info().clone();
    let c = client(admin_options(&info)).await;
    let hourly = records_of(&collect_pages(c.pages(provider_query(&info, Granularity::Hourly))).await.expect("hourly"));
    let daily = records_of(&collect_pages(c.pages(provider_query(&info, Granularity::Daily))).await.expect("daily"));
    let mut summary = provider_query(&info, Granularity::Daily);
    summary.show_details = false;
    let summary = records_of(&collect_pages(c.pages(summary)).await.expect("summary"));

    assert!(daily.len() < hourly.len() / 10, "daily rows aggregate hours: {} vs {}", daily.len(), hourly.len());
    assert!(
        summary.len() < daily.len(),
        "showDetails=false aggregates resources: {} vs {}",
        summary.len(),
        daily.len()
    );
    for r in &daily {
        assert_eq!(r.usage_end_time - r.usage_start_time, Duration::days(1), "daily buckets are one UTC day");
    }
    let sums =
        |rs: &[azs_usage_core::UsageRecord]| totals_of(rs).into_iter().map(|(k, (_, q))| (k, q)).collect::<Vec<_>>();
    assert_eq!(sums(&daily), sums(&hourly), "daily quantities are the exact sums of the hourly ones");
    assert_eq!(sums(&summary), sums(&hourly), "showDetails=false keeps the exact sums");
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenant_api_reads_its_own_subscription_only() {
    let emu = start(small_config()).await;
    let info = emu.info().clone();
    let own = info.tenants[0].subscription_ids[0].clone();
    let other = info.tenants[1].subscription_ids[0].clone();
    let c = client(tenant_options(&info, 0)).await;
    let (start, end) = whole_range();

    let mut q = UsageQuery::new(Api::Tenant, own.clone(), start, end);
    q.granularity = Granularity::Hourly;
    let records = records_of(&collect_pages(c.pages(q)).await.expect("own subscription"));
    assert!(!records.is_empty());
    assert!(records.iter().all(|r| r.subscription_id.eq_ignore_ascii_case(&own)), "only the tenant's own records");
    let admin_view = client(admin_options(&info)).await;
    let mut pq = provider_query(&info, Granularity::Hourly);
    pq.subscriber_id = Some(own.clone());
    let via_provider = records_of(&collect_pages(admin_view.pages(pq)).await.expect("provider, one subscriber"));
    assert_eq!(
        sorted_keys(&records),
        sorted_keys(&via_provider),
        "tenant API and provider API with subscriberId agree"
    );

    let err = collect_pages(c.pages(UsageQuery::new(Api::Tenant, other, start, end)))
        .await
        .expect_err("another tenant's subscription");
    assert_eq!(err.reason, Reason::PermissionDenied, "{err}");
    let err = collect_pages(c.pages(provider_query(&info, Granularity::Daily)))
        .await
        .expect_err("tenant on the provider API");
    assert_eq!(err.reason, Reason::PermissionDenied, "{err}");
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_secret_is_an_authentication_failure_without_the_secret_in_the_message() {
    let emu = start(small_config()).await;
    let info = emu.info().clone();
    let mut options = admin_options(&info);
    options.credential = azs_usage_core::Credential::ClientSecret {
        tenant: Some(info.admin.tenant_id.clone()),
        client_id: info.admin.client_id.clone(),
        secret: secrecy::SecretString::from("not-the-secret-XYZZY".to_string()),
    };
    let c = client(options).await;
    let err = collect_pages(c.pages(provider_query(&info, Granularity::Daily))).await.expect_err("bad secret");
    assert_eq!(err.reason, Reason::AuthenticationFailed, "{err}");
    assert!(!format!("{err} {err:?}").contains("XYZZY"), "the secret never appears in errors");
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resuming_from_a_mid_range_token_gives_exactly_the_remaining_records() {
    let emu = start(small_config()).await;
    let info = emu.info().clone();
    let c = client(admin_options(&info)).await;
    let all = collect_pages(c.pages(provider_query(&info, Granularity::Hourly))).await.expect("full pull");
    let cut = all.len() / 2;
    let token = all[cut - 1].continuation_token.clone().expect("a mid-range page has a token");
    let mut resumed = provider_query(&info, Granularity::Hourly);
    resumed.continuation_token = Some(token);
    let rest = records_of(&collect_pages(c.pages(resumed)).await.expect("resumed pull"));
    let expected = records_of(&all[cut..]);
    assert_eq!(rest, expected, "exactly the records after the token, in order");
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_split_equals_sequential_in_a_deterministic_order() {
    let emu = start(small_config()).await;
    let info = emu.info().clone();
    let c = client(admin_options(&info)).await;
    let sequential =
        records_of(&collect_pages(c.pages(provider_query(&info, Granularity::Hourly))).await.expect("sequential"));
    let plan = || SplitPlan { subscribers: Vec::new(), window: Some(Duration::hours(7)), concurrency: 4 };
    let split1 = records_of(
        &collect_pages(c.pages_split(provider_query(&info, Granularity::Hourly), plan())).await.expect("split"),
    );
    let split2 = records_of(
        &collect_pages(c.pages_split(provider_query(&info, Granularity::Hourly), plan())).await.expect("split again"),
    );
    assert_eq!(sorted_keys(&split1), sorted_keys(&sequential), "same records as the sequential pull");
    assert_eq!(split1, split2, "same order every time");

    let subscribers: Vec<String> = info.tenants.iter().flat_map(|t| t.subscription_ids.clone()).collect();
    let by_subscriber = SplitPlan { subscribers: subscribers.clone(), window: None, concurrency: 3 };
    let split3 = records_of(
        &collect_pages(c.pages_split(provider_query(&info, Granularity::Hourly), by_subscriber))
            .await
            .expect("per subscriber"),
    );
    let tenant_keys: Vec<String> = sorted_keys(
        &sequential
            .iter()
            .filter(|r| subscribers.iter().any(|s| s.eq_ignore_ascii_case(&r.subscription_id)))
            .cloned()
            .collect::<Vec<_>>(),
    );
    assert_eq!(sorted_keys(&split3), tenant_keys, "per-subscriber split covers exactly those subscribers");
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_queries_fail_before_any_request() {
    // Nothing listens on this endpoint: an error other than InvalidInput would mean a request was tried.
    let options = azs_usage_core::ClientOptions::new(
        url::Url::parse("http://127.0.0.1:9/").expect("url"),
        azs_usage_core::Credential::Token(secrecy::SecretString::from("t".to_string())),
    );
    let c = client(options).await;
    let (start, end) = whole_range();
    let sub = "2f0f6e4e-52a5-4a4d-a0a7-6f6a1d6e7d11".to_string();
    let cases: Vec<(UsageQuery, &str, Reason)> = vec![
        (UsageQuery::new(Api::Tenant, sub.clone(), end, start), "start", Reason::InvalidTimeRange),
        (
            UsageQuery::new(Api::Tenant, sub.clone(), start + Duration::minutes(30), end),
            "00:00Z",
            Reason::InvalidTimeRange,
        ),
        (UsageQuery::new(Api::Tenant, "not-a-guid", start, end), "GUID", Reason::InvalidSubscriptionId),
        (
            UsageQuery::new(Api::Tenant, sub.clone(), start, chrono::Utc::now() + Duration::days(2)),
            "future",
            Reason::InvalidTimeRange,
        ),
    ];
    for (q, needle, reason) in cases {
        let err = collect_pages(c.pages(q)).await.expect_err("invalid query");
        assert_eq!(err.reason, reason, "{err}");
        assert!(err.message.contains(needle), "message names the rule ({needle}): {}", err.message);
    }
}

/// The tenant directory end to end: the core's calls against the emulator, with pages of 2 and a fault every third
/// data request, agree with the ready file; a tenant identity is refused with a clear error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenant_directory_matches_the_ready_file_through_pages_and_faults() {
    let emu = start(azs_usage_emulator::EmulatorConfig {
        page_size: 2,
        faults: "503:every=3".parse().expect("faults"),
        ..small_config()
    })
    .await;
    let info = emu.info().clone();
    let c = client(admin_options(&info)).await;
    let subs = c.tenant_subscriptions(&info.provider_subscription_id).await.expect("directory");
    let expected: Vec<&azs_usage_emulator::ReadySubscription> =
        info.tenants.iter().flat_map(|t| t.subscriptions.iter()).collect();
    assert_eq!(subs.len(), expected.len());
    for want in &expected {
        let tenant = info.tenants.iter().find(|t| t.subscriptions.contains(want)).expect("tenant");
        let got = subs.iter().find(|s| s.subscription_id == want.subscription_id).expect("listed");
        assert_eq!(
            (&got.display_name, &got.owner, &got.offer_id, &got.offer_name, &got.state),
            (&want.display_name, &want.owner, &want.offer_id, &want.offer_name, &want.state)
        );
        assert_eq!(got.tenant_id, tenant.tenant_id);
        assert_eq!(got.delegated_provider_subscription_id, "");
        assert_eq!(got.provider_subscription_id, info.provider_subscription_id);
    }
    assert_eq!(subs.iter().filter(|s| s.state == "Deleted").count(), 1);
    let offers = c.offers(&info.provider_subscription_id).await.expect("offers");
    let names: Vec<(&str, &str)> = offers.iter().map(|o| (o.name.as_str(), o.display_name.as_str())).collect();
    assert_eq!(
        names,
        [("basic", "Basic"), ("standard", "Standard"), ("premium", "Premium"), ("legacy", "Legacy 2019")]
    );
    let (usage_requests, _) = fault_counters(&info).await;
    assert!(usage_requests > 8, "several pages, several retried faults: {usage_requests} requests");

    let tenant = client(tenant_options(&info, 0)).await;
    let e = tenant.tenant_subscriptions(&info.provider_subscription_id).await.expect_err("provider only");
    assert_eq!(e.reason, Reason::PermissionDenied);
    assert!(e.message.contains("provider-only") && e.message.contains("operator"), "{}", e.message);
    emu.shutdown().await;
}
