//! The usage client: paging, retries, auth and events.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use std::collections::HashSet;

use futures::stream::{self, BoxStream};
use futures::StreamExt;
use percent_encoding::percent_decode_str;
use reqwest::Method;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use url::Url;

use crate::auth::{Authenticator, Credential};
use crate::catalog::{meter_key, MeterCatalog};
use crate::error::{Error, ErrorKind, Result};
use crate::parse::{describe_body, parse_error_body, parse_page, ParsedPage};
use crate::record::format_instant;
use crate::retry::{describe_status, Body, Response, Sender};
use crate::tls::build_http_client;
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
    endpoint: Url,
    catalog: Arc<MeterCatalog>,
    sender: Sender,
    auth: Authenticator,
}

impl fmt::Debug for UsageClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UsageClient").field("endpoint", &self.inner.endpoint.as_str()).finish_non_exhaustive()
    }
}

impl UsageClient {
    /// Builds the HTTP/TLS stack. Authentication is discovered lazily on the first request.
    pub async fn connect(options: ClientOptions) -> Result<UsageClient> {
        let endpoint = options.endpoint;
        if !matches!(endpoint.scheme(), "http" | "https") || endpoint.host_str().is_none() || endpoint.cannot_be_a_base() {
            return Err(Error::invalid(format!(
                "endpoint '{endpoint}' is not an http(s) URL; use the stamp's ARM endpoint, e.g. \
                 https://adminmanagement.local.azurestack.external"
            )));
        }
        let http = build_http_client(&options.tls, options.request_timeout)?;
        let sender = Sender::new(http, options.retry, options.events);
        let auth = Authenticator::new(options.credential, endpoint.clone(), sender.clone());
        Ok(UsageClient { inner: Arc::new(Inner { endpoint, catalog: options.catalog, sender, auth }) })
    }

    /// Pages of a query, following `nextLink` until it is absent or empty, or a page is empty.
    ///
    /// Records keep the service's order. Each page's `continuation_token` resumes right after it.
    /// A failure ends the stream with an error whose `resume_token` is the token of the last page
    /// delivered (or the query's own token). Dropping the stream cancels the pull.
    pub fn pages(&self, query: UsageQuery) -> BoxStream<'static, Result<Page>> {
        self.pages_impl(query, true)
    }

    pub(crate) fn pages_impl(&self, query: UsageQuery, track_duplicates: bool) -> BoxStream<'static, Result<Page>> {
        let client = self.clone();
        async_stream::stream! {
            let mut url = query.url(&client.inner.endpoint);
            let mut resume = query.continuation_token.clone();
            let mut seen_links: HashSet<String> = HashSet::new();
            let mut dups = DuplicateTracker::default();
            let mut first = true;
            loop {
                let (parsed, request_id) = match client.fetch_page(&url).await {
                    Ok(v) => v,
                    Err(e) => {
                        yield Err(e.with_resume_token(resume.clone()));
                        return;
                    }
                };
                let empty = parsed.records.is_empty();
                let mut next: Option<Url> = None;
                let mut link_error: Option<Error> = None;
                if let (Some(link), false) = (parsed.next_link.as_deref(), empty) {
                    match client.check_next_link(link) {
                        Ok(u) if !seen_links.insert(u.as_str().to_string()) => {
                            // A server loop: stop before yielding the same records again.
                            yield Err(Error::new(
                                ErrorKind::Service,
                                format!("the service returned the same nextLink twice ({}); stopping to avoid an endless loop", redact_token(&u)),
                            ).with_resume_token(resume.clone()));
                            return;
                        }
                        Ok(u) => next = Some(u),
                        Err(e) => link_error = Some(e),
                    }
                }
                let token = match (&next, &parsed.next_link, &link_error) {
                    (Some(u), _, _) => continuation_token_of(u.as_str()),
                    // A foreign-host link still carries a token that is valid against our endpoint.
                    (None, Some(l), Some(_)) => continuation_token_of(l),
                    _ => None,
                };
                let duplicates = if track_duplicates { dups.check(&parsed.records, &client.inner.sender) } else { Vec::new() };
                if !empty || first {
                    if token.is_some() {
                        resume = token.clone();
                    }
                    yield Ok(Page { records: parsed.records, continuation_token: token, request_id, duplicates });
                }
                first = false;
                if let Some(e) = link_error {
                    yield Err(e.with_resume_token(resume.clone()));
                    return;
                }
                match next {
                    Some(u) => url = u,
                    None => return,
                }
            }
        }
        .boxed()
    }

    /// Records of a query (pages flattened, service order).
    pub fn records(&self, query: UsageQuery) -> BoxStream<'static, Result<UsageRecord>> {
        self.pages(query)
            .flat_map(|r| {
                stream::iter(match r {
                    Ok(p) => p.records.into_iter().map(Ok).collect::<Vec<_>>(),
                    Err(e) => vec![Err(e)],
                })
            })
            .boxed()
    }

    /// Subscriptions visible to the caller (`GET /subscriptions`, following `nextLink`).
    pub async fn list_subscriptions(&self) -> Result<Vec<Subscription>> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct WireSub {
            #[serde(default)]
            subscription_id: String,
            #[serde(default)]
            display_name: String,
            #[serde(default)]
            state: String,
        }
        #[derive(Deserialize)]
        struct WireList {
            #[serde(default)]
            value: Vec<WireSub>,
            #[serde(rename = "nextLink", default)]
            next_link: Option<String>,
        }
        let mut url = self.endpoint_url(&["subscriptions"]);
        url.query_pairs_mut().append_pair("api-version", "2015-01-01");
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        loop {
            let r = self.get_ok(&url).await?;
            let list: WireList = serde_json::from_slice(&r.body).map_err(|e| {
                Error::new(ErrorKind::Decode, format!("the subscription list is not understood ({e}); {}", describe_body(&r.body, r.content_type())))
            })?;
            out.extend(list.value.into_iter().map(|s| Subscription {
                subscription_id: s.subscription_id,
                display_name: s.display_name,
                state: s.state,
            }));
            match list.next_link.filter(|l| !l.trim().is_empty()) {
                Some(l) if seen.insert(l.clone()) => url = self.check_next_link(&l)?,
                _ => return Ok(out),
            }
        }
    }

    /// The Default Provider Subscription's id (by display name), else the first subscription.
    pub async fn default_subscription(&self) -> Result<String> {
        let subs = self.list_subscriptions().await?;
        subs.iter()
            .find(|s| s.display_name.trim().eq_ignore_ascii_case("Default Provider Subscription"))
            .or_else(|| subs.first())
            .map(|s| s.subscription_id.clone())
            .ok_or_else(|| {
                Error::invalid(
                    "the caller sees no subscription at this endpoint; pass the subscription id explicitly, or check \
                     that the identity has a role (Reader or better) on the Default Provider Subscription",
                )
            })
    }

    pub(crate) fn sender(&self) -> &Sender {
        &self.inner.sender
    }

    /// The endpoint with `segments` appended to its path (prefix kept).
    fn endpoint_url(&self, segments: &[&str]) -> Url {
        let mut url = self.inner.endpoint.clone();
        url.set_query(None);
        url.set_fragment(None);
        if let Ok(mut p) = url.path_segments_mut() {
            p.pop_if_empty().extend(segments);
        }
        url
    }

    /// A `nextLink` is followed as sent, but only to the endpoint's own scheme, host and port, so
    /// the bearer token is never sent elsewhere.
    fn check_next_link(&self, link: &str) -> Result<Url> {
        let u = Url::parse(link.trim()).or_else(|_| self.inner.endpoint.join(link.trim())).map_err(|e| {
            Error::new(ErrorKind::Decode, format!("the service sent an invalid nextLink ({e})"))
        })?;
        let ep = &self.inner.endpoint;
        if u.scheme() != ep.scheme() || u.host_str() != ep.host_str() || u.port_or_known_default() != ep.port_or_known_default() {
            return Err(Error::new(
                ErrorKind::Service,
                format!(
                    "the service's nextLink points to {} but the endpoint is {}; not following it so the token is not \
                     sent elsewhere (resume from the continuation token instead, or use the endpoint the service names)",
                    u.origin().ascii_serialization(),
                    ep.origin().ascii_serialization()
                ),
            ));
        }
        Ok(u)
    }

    async fn fetch_page(&self, url: &Url) -> Result<(ParsedPage, Option<String>)> {
        let r = self.get_ok(url).await?;
        let catalog = self.inner.catalog.clone();
        let parsed = parse_page(&r.body, r.content_type(), &catalog).map_err(|mut e| {
            e.status = Some(r.status);
            e.request_id = r.request_id.clone();
            e.attempts = r.attempts;
            e
        })?;
        Ok((parsed, r.request_id))
    }

    /// GET with auth; a 401 drops the cached token and retries once with a fresh one. Non-2xx
    /// answers become errors of the matching kind.
    async fn get_ok(&self, url: &Url) -> Result<Response> {
        let mut refreshed = false;
        loop {
            let token = self.inner.auth.bearer().await?;
            let r = self.inner.sender.send(Method::GET, url, token.as_ref(), Body::None).await?;
            if r.status == 401 && !refreshed && self.inner.auth.can_refresh() {
                refreshed = true;
                self.inner.auth.invalidate().await;
                self.inner.sender.emit(ClientEvent::RetryWait {
                    attempt: r.attempts,
                    delay: Duration::ZERO,
                    reason: "HTTP 401: token rejected, fetching a new one".into(),
                });
                continue;
            }
            if (200..300).contains(&r.status) {
                return Ok(r);
            }
            return Err(status_error(&r, url));
        }
    }
}

/// Maps a final non-2xx answer to an error that says what to do.
fn status_error(r: &Response, url: &Url) -> Error {
    let code = parse_error_body(&r.body).and_then(|(c, _)| c);
    let detail = describe_status(r);
    let (kind, advice) = match r.status {
        400 => (ErrorKind::Rejected, "the service rejected the query; fix the parameter it names".to_string()),
        401 => (ErrorKind::Unauthenticated, "the token was refused; check the credential, tenant and that the endpoint matches the token audience".to_string()),
        403 => (ErrorKind::PermissionDenied, "the identity lacks a role on the subscription (Reader, Contributor or Owner is needed)".to_string()),
        404 => (ErrorKind::Rejected, format!("nothing at {}; check the endpoint (admin vs tenant ARM) and the subscription id", url.path())),
        s if s < 500 => (ErrorKind::Rejected, "the service rejected the request".to_string()),
        _ => (ErrorKind::Service, "the service failed".to_string()),
    };
    Error {
        code,
        status: Some(r.status),
        request_id: r.request_id.clone(),
        attempts: r.attempts,
        ..Error::new(
            kind,
            format!(
                "{detail}; {advice}{}",
                r.request_id.as_deref().map(|id| format!(" (request id {id})")).unwrap_or_default()
            ),
        )
    }
}

/// The `continuationToken` query value of a link, percent-decoded once (a raw `+` stays `+`).
pub(crate) fn continuation_token_of(link: &str) -> Option<String> {
    let query = link.split_once('?')?.1;
    let query = query.split('#').next().unwrap_or(query);
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        if k.eq_ignore_ascii_case("continuationToken") && !v.is_empty() {
            Some(percent_decode_str(v).decode_utf8_lossy().into_owned())
        } else {
            None
        }
    })
}

/// A URL for messages, with the (long, opaque) token shortened.
fn redact_token(u: &Url) -> String {
    let s = u.as_str();
    match s.find("continuationToken=") {
        Some(i) => format!("{}continuationToken=…", &s[..i]),
        None => s.to_string(),
    }
}

/// Remembers record keys of a pull as 128-bit hashes (memory stays flat-ish: 16 bytes a record).
#[derive(Default)]
pub(crate) struct DuplicateTracker {
    seen: HashSet<u128>,
}

impl DuplicateTracker {
    /// Keys of `records` already seen earlier in the pull (also emitted as events).
    pub(crate) fn check(&mut self, records: &[UsageRecord], sender: &Sender) -> Vec<String> {
        let mut out = Vec::new();
        for r in records {
            let key = duplicate_key(r);
            let digest = Sha256::digest(key.as_bytes());
            let mut h = [0u8; 16];
            h.copy_from_slice(&digest[..16]);
            if !self.seen.insert(u128::from_le_bytes(h)) {
                sender.emit(ClientEvent::Duplicate { key: key.clone() });
                out.push(key);
            }
        }
        out
    }
}

/// `subscription|meter (normalised)|resourceUri (lower-case)|start|end`.
pub(crate) fn duplicate_key(r: &UsageRecord) -> String {
    format!(
        "{}|{}|{}|{}|{}",
        r.subscription_id.to_ascii_lowercase(),
        meter_key(&r.meter_id),
        r.resource_uri.to_ascii_lowercase(),
        format_instant(&r.usage_start_time),
        format_instant(&r.usage_end_time)
    )
}
