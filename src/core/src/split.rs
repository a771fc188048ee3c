//! Splitting one query into sub-queries (per subscriber, per time window) fetched concurrently.
//!
//! Sub-queries are disjoint in (subscriber, reported time), so their records together are the
//! sequential query's records (as a multiset). Within one sub-query, records keep the service's
//! order; the sequential API's own order is whatever the service returns, so only the multiset is
//! comparable. Each running sub-query streams into a small bounded channel, so memory stays
//! around `concurrency × CHANNEL_PAGES` pages whatever the size of the pull.

use std::collections::VecDeque;

use futures::StreamExt;
use futures::stream::BoxStream;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::client::{DuplicateTracker, Page, UsageClient};
use crate::error::{Error, Reason, Result};
use crate::query::{Api, Granularity, UsageQuery};
use crate::record::format_instant;

/// Pages buffered per running sub-query.
const CHANNEL_PAGES: usize = 2;

/// How to split a query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitPlan {
    /// Provider API: one sub-query per subscriber id, in this order. Empty: no split by subscriber.
    pub subscribers: Vec<String>,
    /// Window length (rounded up to whole hours/days of the granularity). `None`: no time split.
    pub window: Option<chrono::Duration>,
    /// Sub-queries in flight at once (at least 1).
    pub concurrency: usize,
}

impl SplitPlan {
    /// The plan every surface uses by default for `query` with `concurrency` workers: no split for
    /// one worker or a resumed query; Hourly pulls cut into about two whole-hour windows per
    /// worker. Daily pulls are never cut by time: a reported-time boundary would split one usage
    /// day into two partial rows, so the result would no longer equal the sequential one.
    pub fn for_query(query: &UsageQuery, concurrency: usize) -> SplitPlan {
        let window = (concurrency > 1
            && query.continuation_token.is_none()
            && query.granularity == Granularity::Hourly)
            .then(|| {
                let hours = (query.end - query.start).num_hours().max(1);
                let pieces = (concurrency as i64 * 2).max(1);
                chrono::Duration::hours((hours + pieces - 1) / pieces)
            });
        SplitPlan { subscribers: Vec::new(), window, concurrency: concurrency.max(1) }
    }

    /// True when the plan cuts nothing: the query is best fetched with [`UsageClient::pages`].
    pub fn is_trivial(&self) -> bool {
        self.subscribers.len() <= 1 && self.window.is_none()
    }

    /// The sub-queries of `query`, in output order: subscriber order, then time order.
    pub fn sub_queries(&self, query: &UsageQuery) -> Result<Vec<UsageQuery>> {
        if !self.subscribers.is_empty() && query.api != Api::Provider {
            return Err(Error::new(
                Reason::InvalidArgument,
                "splitting by subscriber needs the provider API (subscriberId is provider-only); drop the subscriber list",
            ));
        }
        if !self.subscribers.is_empty() && query.continuation_token.is_some()
            || self.window.is_some() && query.continuation_token.is_some()
        {
            return Err(Error::new(
                Reason::InvalidContinuationToken,
                "a continuation token belongs to one sequential query; resume without a split plan",
            ));
        }
        let step = query.granularity.step();
        let windows = match self.window {
            None => vec![(query.start, query.end)],
            Some(w) => {
                if w <= chrono::Duration::zero() {
                    return Err(Error::new(Reason::InvalidArgument, "the split window must be positive (e.g. 1 day)"));
                }
                // Round up to whole buckets so every window stays aligned to the granularity.
                let units = (w.num_seconds() + step.num_seconds() - 1) / step.num_seconds();
                let w = step * units.max(1) as i32;
                let mut out = Vec::new();
                let mut t = query.start;
                while t < query.end {
                    let e = (t + w).min(query.end);
                    out.push((t, e));
                    t = e;
                }
                out
            }
        };
        let subscribers: Vec<Option<String>> = if self.subscribers.is_empty() {
            vec![query.subscriber_id.clone()]
        } else {
            self.subscribers.iter().map(|s| Some(s.trim().to_string())).collect()
        };
        let mut out = Vec::with_capacity(subscribers.len() * windows.len());
        for sub in &subscribers {
            for (s, e) in &windows {
                let mut q = query.clone();
                q.subscriber_id = sub.clone();
                q.start = *s;
                q.end = *e;
                out.push(q);
            }
        }
        Ok(out)
    }
}

/// Aborts the sub-query task when the split stream is dropped (cancellation = drop).
struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl UsageClient {
    /// Pages of `query` fetched as sub-queries per `plan`, with at most `plan.concurrency` in
    /// flight, yielded in deterministic order (subscriber order, then time). Duplicates are
    /// tracked across the whole split pull. An error names the failing sub-query; its
    /// `resume_token` applies to that sub-query only.
    pub fn pages_split(&self, query: UsageQuery, plan: SplitPlan) -> BoxStream<'static, Result<Page>> {
        let client = self.clone();
        async_stream::stream! {
            let subs = match plan.sub_queries(&query) {
                Ok(s) => s,
                Err(e) => {
                    yield Err(e);
                    return;
                }
            };
            let concurrency = plan.concurrency.max(1);
            let mut pending = subs.into_iter();
            let mut running: VecDeque<(UsageQuery, mpsc::Receiver<Result<Page>>, AbortOnDrop)> = VecDeque::new();
            let mut dups = DuplicateTracker::default();
            loop {
                while running.len() < concurrency {
                    let Some(q) = pending.next() else { break };
                    let (tx, rx) = mpsc::channel(CHANNEL_PAGES);
                    let mut pages = client.pages_impl(q.clone(), false);
                    let task = tokio::spawn(async move {
                        while let Some(p) = pages.next().await {
                            let stop = p.is_err();
                            if tx.send(p).await.is_err() || stop {
                                return;
                            }
                        }
                    });
                    running.push_back((q, rx, AbortOnDrop(task)));
                }
                let Some((q, mut rx, guard)) = running.pop_front() else { return };
                while let Some(item) = rx.recv().await {
                    match item {
                        Ok(mut page) => {
                            page.duplicates = dups.check(&page.records, client.sender());
                            yield Ok(page);
                        }
                        Err(mut e) => {
                            e.message = format!(
                                "{} (sub-query {}{} to {})",
                                e.message,
                                q.subscriber_id.as_deref().map(|s| format!("subscriber {s}, ")).unwrap_or_default(),
                                format_instant(&q.start),
                                format_instant(&q.end)
                            );
                            yield Err(e);
                            return;
                        }
                    }
                }
                drop(guard);
            }
        }
        .boxed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Credential;
    use crate::client::ClientOptions;
    use crate::query::{Granularity, parse_time};
    use crate::testserver::{Canned, TestServer};
    use std::time::Duration;

    const PROV: &str = "11111111-1111-1111-1111-111111111111";
    const SUBS: [&str; 2] = ["aaaaaaaa-0000-0000-0000-000000000000", "bbbbbbbb-0000-0000-0000-000000000000"];

    fn t(s: &str) -> chrono::DateTime<chrono::Utc> {
        parse_time(s).unwrap()
    }

    #[test]
    fn windows_are_aligned_and_ordered() {
        let mut q = UsageQuery::new(Api::Provider, PROV, t("2024-05-01T00:00:00Z"), t("2024-05-01T05:00:00Z"));
        q.granularity = Granularity::Hourly;
        let plan = SplitPlan {
            subscribers: SUBS.iter().map(|s| s.to_string()).collect(),
            window: Some(chrono::Duration::minutes(90)),
            concurrency: 2,
        };
        let subs = plan.sub_queries(&q).unwrap();
        let got: Vec<_> = subs
            .iter()
            .map(|q| {
                (q.subscriber_id.clone().unwrap(), q.start.format("%H").to_string(), q.end.format("%H").to_string())
            })
            .collect();
        let want: Vec<_> = SUBS
            .iter()
            .flat_map(|s| {
                [("00", "02"), ("02", "04"), ("04", "05")].map(|(a, b)| (s.to_string(), a.to_string(), b.to_string()))
            })
            .collect();
        assert_eq!(got, want);
        let tenant = UsageQuery::new(Api::Tenant, PROV, q.start, q.end);
        assert!(plan.sub_queries(&tenant).is_err());
        let none = SplitPlan { subscribers: vec![], window: None, concurrency: 1 };
        assert_eq!(none.sub_queries(&q).unwrap(), vec![q.clone()]);
    }

    /// Records for (subscriber, day): quantity = 1000*sub + 10*day + i, 2 per (sub, day);
    /// pages of 3 records linked by nextLink.
    fn usage_server_handler(req: &crate::testserver::Req) -> Canned {
        let subs: Vec<usize> = match req.param("subscriberId") {
            Some(s) => vec![SUBS.iter().position(|x| *x == s).unwrap()],
            None => vec![0, 1],
        };
        let start = t(&req.param("reportedStartTime").unwrap());
        let end = t(&req.param("reportedEndTime").unwrap());
        let mut all = Vec::new();
        for s in subs {
            let mut d = start;
            while d < end {
                let day = d.format("%d").to_string().parse::<usize>().unwrap();
                for i in 0..2 {
                    all.push((s, day, 1000 * s + 10 * day + i));
                }
                d += chrono::Duration::days(1);
            }
        }
        let page: usize = req.param("continuationToken").map(|c| c.parse().unwrap()).unwrap_or(0);
        let chunk: Vec<_> = all.iter().skip(page * 3).take(3).collect();
        let recs: Vec<String> = chunk
            .iter()
            .map(|(s, day, q)| {
                let inst = serde_json::to_string(&format!(
                    "{{\"Microsoft.Resources\":{{\"resourceUri\":\"/subscriptions/{}/resourceGroups/g/providers/P/t/r{q}\"}}}}",
                    SUBS[*s]
                ))
                .unwrap();
                format!(
                    r#"{{"properties":{{"subscriptionId":"{}","usageStartTime":"2024-05-{day:02}T00:00:00+00:00","usageEndTime":"2024-05-{:02}T00:00:00+00:00","instanceData":{inst},"quantity":{q},"meterId":"m"}}}}"#,
                    SUBS[*s],
                    day + 1
                )
            })
            .collect();
        let next = if all.len() > (page + 1) * 3 {
            let mut u = url::Url::parse(&format!("http://x{}?{}", req.path, req.query)).unwrap();
            let pairs: Vec<(String, String)> = u
                .query_pairs()
                .filter(|(k, _)| k != "continuationToken")
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            u.query_pairs_mut().clear().extend_pairs(pairs).append_pair("continuationToken", &(page + 1).to_string());
            format!(r#","nextLink":"{{base}}{}?{}""#, u.path(), u.query().unwrap())
        } else {
            String::new()
        };
        Canned::json(200, format!(r#"{{"value":[{}]{next}}}"#, recs.join(",")))
    }

    #[tokio::test]
    async fn split_equals_sequential_in_deterministic_order() {
        let server = TestServer::start(usage_server_handler).await;
        let mut o = ClientOptions::new(server.url(), Credential::Anonymous);
        o.request_timeout = Duration::from_secs(10);
        let client = UsageClient::connect(o).await.unwrap();
        let q = UsageQuery::new(Api::Provider, PROV, t("2024-05-01"), t("2024-05-04"));

        let quantities = |pages: Vec<Page>| -> Vec<String> {
            pages.into_iter().flat_map(|p| p.records).map(|r| r.quantity.to_string()).collect()
        };
        let seq: Vec<Page> = futures::TryStreamExt::try_collect(client.pages(q.clone())).await.unwrap();
        let mut seq = quantities(seq);
        assert_eq!(seq.len(), 12);

        let plan = SplitPlan {
            subscribers: SUBS.iter().map(|s| s.to_string()).collect(),
            window: Some(chrono::Duration::days(1)),
            concurrency: 3,
        };
        for _ in 0..3 {
            let split: Vec<Page> =
                futures::TryStreamExt::try_collect(client.pages_split(q.clone(), plan.clone())).await.unwrap();
            assert!(split.iter().all(|p| p.duplicates.is_empty()));
            let got = quantities(split);
            // Deterministic: subscriber order, then time.
            assert_eq!(got, ["10", "11", "20", "21", "30", "31", "1010", "1011", "1020", "1021", "1030", "1031"]);
            let mut sorted = got.clone();
            sorted.sort();
            seq.sort();
            assert_eq!(sorted, seq);
        }
        // Two-day windows page (4 records > 3 per page), still the same multiset and order.
        let plan = SplitPlan { window: Some(chrono::Duration::days(2)), concurrency: 1, ..plan };
        let split: Vec<Page> = futures::TryStreamExt::try_collect(client.pages_split(q.clone(), plan)).await.unwrap();
        assert_eq!(
            quantities(split),
            ["10", "11", "20", "21", "30", "31", "1010", "1011", "1020", "1021", "1030", "1031"]
        );
    }

    #[tokio::test]
    async fn dropping_the_stream_stops_the_pull() {
        let server = TestServer::start(usage_server_handler).await;
        let client = UsageClient::connect(ClientOptions::new(server.url(), Credential::Anonymous)).await.unwrap();
        let q = UsageQuery::new(Api::Provider, PROV, t("2024-05-01"), t("2024-05-21"));
        let plan = SplitPlan {
            subscribers: SUBS.iter().map(|s| s.to_string()).collect(),
            window: Some(chrono::Duration::days(1)),
            concurrency: 2,
        };
        let mut s = client.pages_split(q, plan);
        assert!(s.next().await.unwrap().is_ok());
        drop(s);
        tokio::time::sleep(Duration::from_millis(100)).await;
        let after_drop = server.requests().len();
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(server.requests().len(), after_drop, "no requests after the stream is dropped");
        assert!(after_drop < 10, "bounded channels kept the pull from running ahead ({after_drop} requests)");
    }

    #[tokio::test]
    async fn split_error_names_the_sub_query() {
        let server = TestServer::start(|req| {
            if req.param("subscriberId").as_deref() == Some(SUBS[1]) {
                Canned::json(400, r#"{"error":{"code":"SubscriberIdIsNotDirectTenant","message":"not yours"}}"#)
            } else {
                usage_server_handler(req)
            }
        })
        .await;
        let client = UsageClient::connect(ClientOptions::new(server.url(), Credential::Anonymous)).await.unwrap();
        let q = UsageQuery::new(Api::Provider, PROV, t("2024-05-01"), t("2024-05-02"));
        let plan =
            SplitPlan { subscribers: SUBS.iter().map(|s| s.to_string()).collect(), window: None, concurrency: 2 };
        let mut s = client.pages_split(q, plan);
        let mut records = 0;
        let err = loop {
            match s.next().await {
                Some(Ok(p)) => records += p.records.len(),
                Some(Err(e)) => break e,
                None => panic!("expected an error"),
            }
        };
        assert_eq!(records, 2, "first subscriber delivered before the error");
        assert_eq!(err.code.as_deref(), Some("SubscriberIdIsNotDirectTenant"));
        assert_eq!(err.reason, crate::Reason::ServiceRejected);
        assert!(err.message.contains(SUBS[1]), "{}", err.message);
    }
}
