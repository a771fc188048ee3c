//! Splitting one query into sub-queries (per subscriber, per time window) fetched concurrently.
//!
//! Sub-queries are disjoint in (subscriber, reported time), so their records together are the
//! sequential query's records (as a multiset). Within one sub-query, records keep the service's
//! order; the sequential API's own order is whatever the service returns, so only the multiset is
//! comparable. Each running sub-query streams into a small bounded channel, so memory stays
//! around `concurrency × CHANNEL_PAGES` pages whatever the size of the pull.

use std::collections::VecDeque;

use futures::stream::BoxStream;
use futures::StreamExt;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::client::{DuplicateTracker, Page, UsageClient};
use crate::error::{Error, Result};
use crate::query::{Api, UsageQuery};
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
    /// The sub-queries of `query`, in output order: subscriber order, then time order.
    pub fn sub_queries(&self, query: &UsageQuery) -> Result<Vec<UsageQuery>> {
        if !self.subscribers.is_empty() && query.api != Api::Provider {
            return Err(Error::invalid(
                "splitting by subscriber needs the provider API (subscriberId is provider-only); drop the subscriber list",
            ));
        }
        if !self.subscribers.is_empty() && query.continuation_token.is_some() || self.window.is_some() && query.continuation_token.is_some() {
            return Err(Error::invalid(
                "a continuation token belongs to one sequential query; resume without a split plan",
            ));
        }
        let step = query.granularity.step();
        let windows = match self.window {
            None => vec![(query.start, query.end)],
            Some(w) => {
                if w <= chrono::Duration::zero() {
                    return Err(Error::invalid("the split window must be positive (e.g. 1 day)"));
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
