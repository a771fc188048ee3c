//! A usage query: which API, which subscription, which reported-time window, and how it is
//! validated and turned into a request URL.

use chrono::{DateTime, Utc};

use crate::error::Result;

/// The default `api-version` of both usage APIs.
pub const DEFAULT_API_VERSION: &str = "2015-06-01-preview";

/// Which usage API a query targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Api {
    /// `{arm}/subscriptions/{sub}/providers/Microsoft.Commerce/usageAggregates` (one subscription).
    Tenant,
    /// `{adminArm}/subscriptions/{providerSub}/providers/Microsoft.Commerce.Admin/subscriberUsageAggregates`.
    Provider,
}

/// Aggregation granularity. Parses any case (`hourly`, `HOURLY`); prints the canonical form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Granularity {
    /// One bucket per UTC day; times must be at 00:00Z.
    #[default]
    Daily,
    /// One bucket per UTC hour; times must be on the hour.
    Hourly,
}

/// A fully specified query. Build it, call [`UsageQuery::validate`], then hand it to the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageQuery {
    /// Which API.
    pub api: Api,
    /// Tenant API: the subscription to read. Provider API: the provider subscription.
    pub subscription_id: String,
    /// Reported start (inclusive), normalised to UTC.
    pub start: DateTime<Utc>,
    /// Reported end (exclusive), normalised to UTC.
    pub end: DateTime<Utc>,
    /// Daily or Hourly.
    pub granularity: Granularity,
    /// `showDetails` (instance-level rows when true).
    pub show_details: bool,
    /// Provider API only: restrict to one tenant subscription.
    pub subscriber_id: Option<String>,
    /// Resume from this token (as handed out by a previous page), percent-decoded.
    pub continuation_token: Option<String>,
    /// `api-version` to send.
    pub api_version: String,
}
