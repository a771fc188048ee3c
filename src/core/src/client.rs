//! The usage client: paging, retries, auth and events.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use futures::stream::BoxStream;
use url::Url;

use crate::auth::Credential;
use crate::catalog::MeterCatalog;
use crate::error::Result;
use crate::query::UsageQuery;
use crate::record::UsageRecord;
use crate::retry::RetryPolicy;
use crate::tls::TlsOptions;

/// Everything the client needs to connect.
#[derive(Clone)]
pub struct ClientOptions {
    /// ARM endpoint (admin or tenant); may carry a path prefix.
    pub endpoint: Url,
    /// How to authenticate.
    pub credential: Credential,
    /// TLS trust.
    pub tls: TlsOptions,
    /// Retry policy.
    pub retry: RetryPolicy,
    /// Meter catalog used to fill names, units and categories.
    pub catalog: Arc<MeterCatalog>,
    /// Timeout of one HTTP request (connect + response + body).
    pub request_timeout: Duration,
    /// Verbose hook: requests, responses, retry waits, duplicates.
    pub events: Option<Arc<dyn Fn(&ClientEvent) + Send + Sync>>,
}

impl ClientOptions {
    /// Options with defaults: OS trust store, default retry, built-in catalog, 120 s timeout, no hook.
    pub fn new(endpoint: Url, credential: Credential) -> Self {
        ClientOptions {
            endpoint,
            credential,
            tls: TlsOptions::default(),
            retry: RetryPolicy::default(),
            catalog: Arc::new(MeterCatalog::builtin()),
            request_timeout: Duration::from_secs(120),
            events: None,
        }
    }
}

impl fmt::Debug for ClientOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientOptions")
            .field("endpoint", &self.endpoint.as_str())
            .field("credential", &self.credential)
            .field("tls", &self.tls)
            .field("retry", &self.retry)
            .field("request_timeout", &self.request_timeout)
            .field("events", &self.events.as_ref().map(|_| "Fn"))
            .finish_non_exhaustive()
    }
}

/// What the client is doing, for verbose output. URLs carry no secrets; tokens never appear.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientEvent {
    /// A request is about to be sent.
    Request {
        /// HTTP method.
        method: String,
        /// Full URL (no secrets are ever put in URLs).
        url: String,
    },
    /// A response arrived (headers).
    Response {
        /// HTTP status.
        status: u16,
        /// `x-ms-request-id`.
        request_id: Option<String>,
        /// Time from sending to the response headers.
        elapsed: Duration,
    },
    /// Waiting before a retry.
    RetryWait {
        /// The attempt that failed (1-based).
        attempt: u32,
        /// How long the client waits.
        delay: Duration,
        /// Why (status, error).
        reason: String,
    },
    /// A record key repeated from earlier in the same pull (reported, never merged).
    Duplicate {
        /// `subscription|meter|resourceUri|start|end`.
        key: String,
    },
}

/// One page of records.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    /// Records in service order.
    pub records: Vec<UsageRecord>,
    /// Token that resumes right after this page; `None` on the last page.
    pub continuation_token: Option<String>,
    /// `x-ms-request-id` of the response.
    pub request_id: Option<String>,
    /// Keys repeated from an earlier page of the same pull.
    pub duplicates: Vec<String>,
}

/// An ARM subscription as listed by `GET /subscriptions`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    /// Subscription GUID.
    pub subscription_id: String,
    /// Display name.
    pub display_name: String,
    /// State (`Enabled`, ...).
    pub state: String,
}

/// The usage client. Cheap to clone (shares connections, token cache and catalog).
#[derive(Clone)]
pub struct UsageClient {
    inner: Arc<Inner>,
}

struct Inner {
    options: ClientOptions,
}

impl fmt::Debug for UsageClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UsageClient").field("endpoint", &self.inner.options.endpoint.as_str()).finish_non_exhaustive()
    }
}

impl UsageClient {
    /// Builds the HTTP/TLS stack. Authentication is discovered lazily on the first request.
    pub async fn connect(options: ClientOptions) -> Result<UsageClient> {
        Ok(UsageClient { inner: Arc::new(Inner { options }) })
    }

    /// Pages of a query, following `nextLink`.
    pub fn pages(&self, query: UsageQuery) -> BoxStream<'static, Result<Page>> {
        let _ = query;
        todo!()
    }

    /// Records of a query (pages flattened).
    pub fn records(&self, query: UsageQuery) -> BoxStream<'static, Result<UsageRecord>> {
        let _ = query;
        todo!()
    }

    /// Subscriptions visible to the caller.
    pub async fn list_subscriptions(&self) -> Result<Vec<Subscription>> {
        todo!()
    }

    /// The Default Provider Subscription's id (by display name), else the first subscription.
    pub async fn default_subscription(&self) -> Result<String> {
        todo!()
    }
}
