//! Splitting one query into sub-queries (per subscriber, per time window) fetched concurrently.

use futures::stream::BoxStream;

use crate::client::{Page, UsageClient};
use crate::error::Result;
use crate::query::UsageQuery;

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

impl UsageClient {
    /// Pages of `query` fetched as sub-queries per `plan`, in deterministic order.
    pub fn pages_split(&self, query: UsageQuery, plan: SplitPlan) -> BoxStream<'static, Result<Page>> {
        let _ = (query, plan);
        todo!()
    }
}
