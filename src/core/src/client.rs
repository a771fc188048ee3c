//! The usage client: paging, retries, auth and events.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use std::collections::HashSet;

use futures::StreamExt;
use futures::stream::{self, BoxStream};
use percent_encoding::percent_decode_str;
use reqwest::Method;
use serde::Deserialize;
use url::Url;

use crate::auth::{Authenticator, Credential};
use crate::catalog::{MeterCatalog, meter_key};
use crate::endpoint;
use crate::error::{Error, Reason, Result};
use crate::events::ClientEvent;
use crate::http::{Body, Response, Sender, status_error};
use crate::parse::{ParsedPage, describe_body, parse_page, peek_page};
use crate::query::UsageQuery;
use crate::record::{UsageRecord, format_instant};
use crate::retry::RetryPolicy;
use crate::tls::{TlsOptions, build_http_client};

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
    #[allow(clippy::type_complexity)] // the shape is fixed by CONTRACTS.md
    pub events: Option<Arc<dyn Fn(&ClientEvent) + Send + Sync>>,
    /// Request the next page while the current one is parsed and consumed (default true). This
    /// overlaps the service's time with ours; turn it off when a consumer may stop after any page
    /// and no request beyond it should be made (the PowerShell module's `-First`).
    pub prefetch: bool,
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
            prefetch: true,
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
            .field("prefetch", &self.prefetch)
            .finish_non_exhaustive()
    }
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
    prefetch: bool,
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
        endpoint::check(&endpoint)?;
        let http = build_http_client(&options.tls, options.request_timeout)?;
        let sender = Sender::new(http, options.retry, options.events);
        let auth = Authenticator::new(options.credential, endpoint.clone(), sender.clone());
        let prefetch = options.prefetch;
        Ok(UsageClient { inner: Arc::new(Inner { endpoint, catalog: options.catalog, sender, auth, prefetch }) })
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
            // Bad input is reported before any request is made.
            if let Err(e) = query.validate(chrono::Utc::now()) {
                yield Err(e);
                return;
            }
            let mut url = query.url(&client.inner.endpoint);
            let mut resume = query.continuation_token.clone();
            let mut seen_links: HashSet<String> = HashSet::new();
            let mut dups = DuplicateTracker::default();
            let mut first = true;
            // The request for `url`, already under way when the previous page was prefetching.
            let mut prefetched: Option<Prefetch> = None;
            loop {
                let response = match prefetched.take() {
                    Some(p) => p.response().await,
                    None => client.get_ok(&url).await,
                };
                let fetched = response.and_then(|r| {
                    // Start the next request before parsing this page; a link that is foreign or
                    // repeated is left to the checks below, which stop the pull.
                    if client.inner.prefetch
                        && let Some((Some(link), true)) = peek_page(&r.body)
                        && let Ok(next_url) = client.check_next_link(&link)
                        && !seen_links.contains(next_url.as_str())
                    {
                        prefetched = Some(Prefetch::start(&client, next_url));
                    }
                    client.parse_response(r)
                });
                let (parsed, request_id) = match fetched {
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
                                Reason::InvalidResponse,
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
        let mut url = endpoint::subscriptions(&self.inner.endpoint);
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        loop {
            let r = self.get_ok(&url).await?;
            let list: WireList = serde_json::from_slice(&r.body).map_err(|e| {
                r.annotate(Error::new(
                    Reason::InvalidResponse,
                    format!(
                        "the subscription list is not understood ({e}); {}",
                        describe_body(&r.body, r.content_type())
                    ),
                ))
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
                Error::new(
                    Reason::SubscriptionNotFound,
                    "the caller sees no subscription at this endpoint; pass the subscription id explicitly, or check \
                     that the identity has a role (Reader or better) on the Default Provider Subscription",
                )
            })
    }

    pub(crate) fn sender(&self) -> &Sender {
        &self.inner.sender
    }

    /// The configured ARM endpoint.
    pub(crate) fn endpoint(&self) -> &Url {
        &self.inner.endpoint
    }

    /// A `nextLink` is followed as sent, but only to the endpoint's own scheme, host and port, so
    /// the bearer token is never sent elsewhere.
    pub(crate) fn check_next_link(&self, link: &str) -> Result<Url> {
        let u = Url::parse(link.trim()).or_else(|_| self.inner.endpoint.join(link.trim())).map_err(|e| {
            Error::new(Reason::InvalidResponse, format!("the service sent an invalid nextLink ({e})")).with_source(e)
        })?;
        let ep = &self.inner.endpoint;
        if u.scheme() != ep.scheme()
            || u.host_str() != ep.host_str()
            || u.port_or_known_default() != ep.port_or_known_default()
        {
            return Err(Error::new(
                Reason::InvalidResponse,
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

    fn parse_response(&self, r: Response) -> Result<(ParsedPage, Option<String>)> {
        let catalog = self.inner.catalog.clone();
        let parsed = parse_page(&r.body, r.content_type(), &catalog).map_err(|e| r.annotate(e))?;
        Ok((parsed, r.request_id))
    }

    /// GET with auth; a 401 drops the cached token and retries once with a fresh one. Non-2xx
    /// answers become errors of the matching kind.
    pub(crate) async fn get_ok(&self, url: &Url) -> Result<Response> {
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
            if r.is_success() {
                return Ok(r);
            }
            return Err(status_error(&r, url));
        }
    }
}

/// A page request running ahead of the consumer; aborted when dropped (the pull stopped).
struct Prefetch(tokio::task::JoinHandle<Result<Response>>);

impl Prefetch {
    fn start(client: &UsageClient, url: Url) -> Prefetch {
        let client = client.clone();
        Prefetch(tokio::spawn(async move { client.get_ok(&url).await }))
    }

    async fn response(mut self) -> Result<Response> {
        match (&mut self.0).await {
            Ok(r) => r,
            Err(e) => Err(Error::new(Reason::InternalError, "the page request task failed").with_source(e)),
        }
    }
}

impl Drop for Prefetch {
    fn drop(&mut self) {
        self.0.abort();
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

/// Remembers record keys of a pull as 64-bit hashes: 8 bytes a record (about 17 MB of table for a
/// million records) rather than the keys themselves. A hash collision can only cause a spurious
/// duplicate report (odds about n²/2⁶⁵: 3·10⁻⁸ for a million records); records are never merged.
#[derive(Default)]
pub(crate) struct DuplicateTracker {
    seen: HashSet<u64>,
}

impl DuplicateTracker {
    /// Keys of `records` already seen earlier in the pull (also emitted as events).
    pub(crate) fn check(&mut self, records: &[UsageRecord], sender: &Sender) -> Vec<String> {
        let mut out = Vec::new();
        for r in records {
            let key = duplicate_key(r);
            // SipHash with fixed keys: deterministic within the process, which is all a pull needs.
            let mut hasher = std::hash::DefaultHasher::new();
            std::hash::Hash::hash(&key, &mut hasher);
            if !self.seen.insert(std::hash::Hasher::finish(&hasher)) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::{Api, parse_time};
    use crate::testserver::{Canned, TestServer, page_body};
    use futures::TryStreamExt;
    use secrecy::SecretString;
    use std::sync::Mutex;

    const SUB: &str = "42274f77-d385-4df0-b47f-a7822e095571";

    fn query() -> UsageQuery {
        UsageQuery::new(Api::Tenant, SUB, parse_time("2024-05-01").unwrap(), parse_time("2024-05-02").unwrap())
    }

    fn fast_retry() -> RetryPolicy {
        RetryPolicy {
            max_retries: 3,
            initial_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(5),
            max_elapsed: Duration::from_secs(30),
        }
    }

    async fn client_for(server: &TestServer, credential: Credential) -> (UsageClient, Arc<Mutex<Vec<ClientEvent>>>) {
        let events: Arc<Mutex<Vec<ClientEvent>>> = Arc::default();
        let ev = events.clone();
        let mut o = ClientOptions::new(server.url(), credential);
        o.retry = fast_retry();
        o.request_timeout = Duration::from_secs(10);
        o.events = Some(Arc::new(move |e: &ClientEvent| ev.lock().unwrap().push(e.clone())));
        (UsageClient::connect(o).await.unwrap(), events)
    }

    async fn collect(s: BoxStream<'static, Result<Page>>) -> (Vec<Page>, Option<Error>) {
        let mut pages = Vec::new();
        let mut s = s;
        while let Some(p) = s.next().await {
            match p {
                Ok(p) => pages.push(p),
                Err(e) => return (pages, Some(e)),
            }
        }
        (pages, None)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn prefetch_requests_the_next_page_early_and_can_be_turned_off() {
        let path = format!("/subscriptions/{SUB}/providers/Microsoft.Commerce/usageAggregates");
        let pages = || {
            vec![
                Canned::json(200, page_body(0, 2, Some(&format!("{{base}}{path}?api-version=x&continuationToken=t1")))),
                Canned::json(200, page_body(2, 2, Some(&format!("{{base}}{path}?api-version=x&continuationToken=t2")))),
                Canned::json(200, page_body(4, 1, None)),
            ]
        };
        // On: the request for page 2 is under way by the time page 1 is handed out.
        let server = TestServer::queue(pages()).await;
        let (client, _) = client_for(&server, Credential::Anonymous).await;
        let mut stream = client.pages(query());
        let first = stream.next().await.expect("a page").expect("ok");
        assert_eq!(first.records.len(), 2);
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while server.requests().len() < 2 && std::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(server.requests().len(), 2, "page 2 prefetched");
        let rest: Vec<Page> = stream.try_collect().await.expect("rest of the pull");
        assert_eq!(rest.iter().map(|p| p.records.len()).sum::<usize>(), 3, "prefetching changes nothing in the result");
        assert_eq!(server.requests().len(), 3, "no request beyond the last page");

        // Off: stopping after page 1 never asks for page 2.
        let server = TestServer::queue(pages()).await;
        let mut o = ClientOptions::new(server.url(), Credential::Anonymous);
        o.retry = fast_retry();
        o.prefetch = false;
        let client = UsageClient::connect(o).await.expect("client");
        let mut stream = client.pages(query());
        stream.next().await.expect("a page").expect("ok");
        tokio::time::sleep(Duration::from_millis(200)).await;
        drop(stream);
        assert_eq!(server.requests().len(), 1, "no prefetch");
    }

    #[tokio::test]
    async fn follows_next_link_and_hands_out_tokens() {
        let path = format!("/subscriptions/{SUB}/providers/Microsoft.Commerce/usageAggregates");
        let server = TestServer::queue(vec![
            Canned::json(
                200,
                page_body(0, 2, Some(&format!("{{base}}{path}?api-version=x&continuationToken=tok%2B1%3d%3d"))),
            )
            .header("x-ms-request-id", "rid-1"),
            Canned::json(200, page_body(2, 2, Some(&format!("{{base}}{path}?api-version=x&continuationToken=tok2")))),
            Canned::json(200, page_body(4, 1, None)),
        ])
        .await;
        let (client, events) = client_for(&server, Credential::Anonymous).await;
        let (pages, err) = collect(client.pages(query())).await;
        assert!(err.is_none(), "{err:?}");
        assert_eq!(pages.len(), 3);
        assert_eq!(pages[0].continuation_token.as_deref(), Some("tok+1=="));
        assert_eq!(pages[0].request_id.as_deref(), Some("rid-1"));
        assert_eq!(pages[1].continuation_token.as_deref(), Some("tok2"));
        assert_eq!(pages[2].continuation_token, None);
        assert_eq!(pages.iter().map(|p| p.records.len()).sum::<usize>(), 5);
        assert_eq!(pages[2].records[0].resource_name, "vm4");
        let reqs = server.requests();
        assert_eq!(reqs[0].path, path);
        assert_eq!(reqs[0].param("reportedStartTime").as_deref(), Some("2024-05-01T00:00:00Z"));
        // The nextLink is followed verbatim: the token stays encoded exactly as the service sent it.
        assert_eq!(reqs[1].query, "api-version=x&continuationToken=tok%2B1%3d%3d");
        assert!(reqs[0].headers.get("authorization").is_none());
        let ev = events.lock().unwrap();
        assert_eq!(ev.iter().filter(|e| matches!(e, ClientEvent::Request { .. })).count(), 3);
        assert!(ev.iter().any(|e| matches!(e, ClientEvent::Response { status: 200, .. })));

        // Resuming from a page's token asks for exactly the page after it.
        let mut q = query();
        q.continuation_token = pages[0].continuation_token.clone();
        let u = q.url(&server.url());
        assert!(u.as_str().ends_with("continuationToken=tok%2B1%3D%3D"), "{u}");
        assert_eq!(continuation_token_of(u.as_str()).as_deref(), Some("tok+1=="));
    }

    #[tokio::test]
    async fn records_flatten_pages() {
        let server = TestServer::queue(vec![
            Canned::json(200, page_body(0, 2, Some("{base}/next?continuationToken=a"))),
            Canned::json(200, page_body(2, 3, None)),
        ])
        .await;
        let (client, _) = client_for(&server, Credential::Anonymous).await;
        let recs: Vec<UsageRecord> = client.records(query()).try_collect().await.unwrap();
        assert_eq!(recs.iter().map(|r| r.quantity.to_string()).collect::<Vec<_>>(), ["0", "1", "2", "3", "4"]);
    }

    #[tokio::test]
    async fn stops_on_empty_page_and_guards_loops() {
        // An empty page ends the pull even when it carries a nextLink.
        let server = TestServer::queue(vec![
            Canned::json(200, page_body(0, 1, Some("{base}/n?continuationToken=a"))),
            Canned::json(200, page_body(0, 0, Some("{base}/n?continuationToken=b"))),
            Canned::json(200, page_body(9, 1, None)),
        ])
        .await;
        let (client, _) = client_for(&server, Credential::Anonymous).await;
        let (pages, err) = collect(client.pages(query())).await;
        assert!(err.is_none());
        assert_eq!(pages.len(), 1);
        assert_eq!(server.requests().len(), 2);

        // Empty nextLink: stop.
        let server = TestServer::queue(vec![Canned::json(200, page_body(0, 1, Some("")))]).await;
        let (client, _) = client_for(&server, Credential::Anonymous).await;
        let (pages, err) = collect(client.pages(query())).await;
        assert!(err.is_none() && pages.len() == 1 && pages[0].continuation_token.is_none());

        // The same nextLink twice: error, resume from the last page delivered.
        let server = TestServer::queue(vec![
            Canned::json(200, page_body(0, 1, Some("{base}/n?continuationToken=a"))),
            Canned::json(200, page_body(1, 1, Some("{base}/n?continuationToken=a"))),
        ])
        .await;
        let (client, _) = client_for(&server, Credential::Anonymous).await;
        let (pages, err) = collect(client.pages(query())).await;
        let err = err.expect("loop detected");
        assert_eq!(pages.len(), 1);
        assert!(err.message.contains("same nextLink twice"), "{}", err.message);
        assert_eq!(err.resume_token.as_deref(), Some("a"));
    }

    #[tokio::test]
    async fn foreign_next_link_is_not_followed() {
        let server = TestServer::queue(vec![Canned::json(
            200,
            page_body(0, 1, Some("https://evil.example.com/n?continuationToken=zz")),
        )])
        .await;
        let (client, _) = client_for(&server, Credential::Token(SecretString::from("static-token"))).await;
        let (pages, err) = collect(client.pages(query())).await;
        assert_eq!(pages.len(), 1);
        assert_eq!(pages[0].continuation_token.as_deref(), Some("zz"));
        let err = err.unwrap();
        assert!(err.message.contains("evil.example.com") && !err.message.contains("static-token"), "{}", err.message);
        assert_eq!(err.resume_token.as_deref(), Some("zz"));
        assert_eq!(server.requests().len(), 1);
    }

    #[tokio::test]
    async fn failure_carries_resume_token_and_service_error() {
        let server = TestServer::queue(vec![
            Canned::json(200, page_body(0, 1, Some("{base}/n?continuationToken=t1"))),
            Canned::json(400, r#"{"error":{"code":"RequestEndTimeIsInFuture","message":"end is in the future"}}"#)
                .header("x-ms-request-id", "rid-400"),
        ])
        .await;
        let (client, _) = client_for(&server, Credential::Anonymous).await;
        let mut q = query();
        q.continuation_token = Some("t0".into());
        let (pages, err) = collect(client.pages(q.clone())).await;
        assert_eq!(pages.len(), 1);
        let e = err.unwrap();
        assert_eq!(e.reason, Reason::InvalidTimeRange);
        assert_eq!(e.code.as_deref(), Some("RequestEndTimeIsInFuture"));
        assert_eq!(e.status, Some(400));
        assert_eq!(e.request_id.as_deref(), Some("rid-400"));
        assert_eq!(e.resume_token.as_deref(), Some("t1"));
        assert!(e.message.contains("end is in the future"), "{}", e.message);
        assert_eq!(server.requests().len(), 2, "400 is not retried");

        // Failing on the first page: resume from the query's own token.
        let server = TestServer::queue(vec![Canned::json(404, "")]).await;
        let (client, _) = client_for(&server, Credential::Anonymous).await;
        let (_, err) = collect(client.pages(q)).await;
        let e = err.unwrap();
        assert_eq!((e.reason, e.resume_token.as_deref()), (Reason::ServiceRejected, Some("t0")));
        assert!(e.message.contains("/usageAggregates") && e.message.contains("endpoint"), "{}", e.message);

        for (status, reason) in [(401, Reason::AuthenticationFailed), (403, Reason::PermissionDenied)] {
            let server = TestServer::queue(vec![Canned::json(status, r#"{"error":{"code":"X","message":"m"}}"#)]).await;
            let (client, _) = client_for(&server, Credential::Anonymous).await;
            let (_, err) = collect(client.pages(query())).await;
            assert_eq!(err.unwrap().reason, reason);
        }
    }

    #[tokio::test]
    async fn html_body_is_a_decode_error() {
        let server = TestServer::queue(vec![Canned {
            status: 200,
            headers: vec![("content-type".into(), "text/html".into())],
            body: "<html><body>Proxy login</body></html>".into(),
        }])
        .await;
        let (client, _) = client_for(&server, Credential::Anonymous).await;
        let (_, err) = collect(client.pages(query())).await;
        let e = err.unwrap();
        assert_eq!(e.reason, Reason::InvalidResponse);
        assert!(e.message.contains("text/html") && e.message.contains("Proxy login"), "{}", e.message);
    }

    #[tokio::test]
    async fn duplicates_are_reported_not_merged() {
        let server = TestServer::queue(vec![
            Canned::json(200, page_body(0, 2, Some("{base}/n?continuationToken=a"))),
            Canned::json(200, page_body(1, 2, None)), // vm1 again (same key), vm2 new
        ])
        .await;
        let (client, events) = client_for(&server, Credential::Anonymous).await;
        let (pages, _) = collect(client.pages(query())).await;
        assert!(pages[0].duplicates.is_empty());
        assert_eq!(pages[1].records.len(), 2);
        assert_eq!(pages[1].duplicates.len(), 1);
        assert!(pages[1].duplicates[0].contains("virtualmachines/vm1"), "{:?}", pages[1].duplicates);
        assert!(pages[1].duplicates[0].contains("6dab500fa4fd49c4956d229bb9c8c793"));
        assert_eq!(events.lock().unwrap().iter().filter(|e| matches!(e, ClientEvent::Duplicate { .. })).count(), 1);
    }

    #[tokio::test]
    async fn retries_transient_failures_honouring_retry_after() {
        let server = TestServer::queue(vec![
            Canned::json(503, r#"{"error":{"code":"ServiceUnavailable","message":"busy"}}"#).header("retry-after", "1"),
            Canned::json(429, "")
                .header("retry-after", &httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(4))),
            Canned::json(200, page_body(0, 1, None)),
        ])
        .await;
        let (client, events) = client_for(&server, Credential::Anonymous).await;
        let started = std::time::Instant::now();
        let (pages, err) = collect(client.pages(query())).await;
        assert!(err.is_none(), "{err:?}");
        assert_eq!(pages.len(), 1);
        assert!(started.elapsed() >= Duration::from_secs(1), "Retry-After honoured");
        let waits: Vec<(u32, Duration, String)> = events
            .lock()
            .unwrap()
            .iter()
            .filter_map(|e| match e {
                ClientEvent::RetryWait { attempt, delay, reason } => Some((*attempt, *delay, reason.clone())),
                _ => None,
            })
            .collect();
        assert_eq!(waits.len(), 2);
        assert_eq!(waits[0].0, 1);
        assert!(waits[0].1 >= Duration::from_secs(1) && waits[0].2.contains("ServiceUnavailable"), "{waits:?}");
        assert!(waits[1].1 >= Duration::from_secs(1) && waits[1].2.contains("429"), "{waits:?}");
    }

    #[tokio::test]
    async fn exhausted_rate_limit_budget_delays_the_next_request() {
        let server = TestServer::queue(vec![
            Canned::json(200, page_body(0, 1, Some("{base}/n?continuationToken=a")))
                .header("x-ms-ratelimit-remaining-subscription-reads", "0")
                .header("retry-after", "1"),
            Canned::json(200, page_body(1, 1, None)),
        ])
        .await;
        let (client, events) = client_for(&server, Credential::Anonymous).await;
        let started = std::time::Instant::now();
        let (pages, err) = collect(client.pages(query())).await;
        assert!(err.is_none() && pages.len() == 2);
        assert!(started.elapsed() >= Duration::from_secs(1));
        assert!(
            events
                .lock()
                .unwrap()
                .iter()
                .any(|e| matches!(e, ClientEvent::RetryWait { reason, .. } if reason.contains("rate-limit")))
        );
    }

    #[tokio::test]
    async fn gives_up_after_max_retries_with_a_useful_error() {
        let server = TestServer::start(|_| {
            Canned::json(
                504,
                r#"{"error":{"code":"GatewayTimeout","message":"no response from Microsoft.Commerce.Admin"}}"#,
            )
            .header("x-ms-request-id", "rid-504")
        })
        .await;
        let (client, _) = client_for(&server, Credential::Anonymous).await;
        let (_, err) = collect(client.pages(query())).await;
        let e = err.unwrap();
        assert_eq!(e.reason, Reason::ServiceUnavailable);
        assert_eq!(e.attempts, 4);
        assert_eq!(e.status, Some(504));
        assert_eq!(e.code.as_deref(), Some("GatewayTimeout"));
        assert_eq!(e.request_id.as_deref(), Some("rid-504"));
        assert!(
            e.message.contains("gave up after 4 attempt") && e.message.contains("no response from"),
            "{}",
            e.message
        );
        assert_eq!(server.requests().len(), 4);
    }

    #[tokio::test]
    async fn connection_failures_are_retried_then_reported() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let mut o = ClientOptions::new(Url::parse(&format!("http://127.0.0.1:{port}")).unwrap(), Credential::Anonymous);
        o.retry = RetryPolicy { max_retries: 2, ..fast_retry() };
        let client = UsageClient::connect(o).await.unwrap();
        let (_, err) = collect(client.pages(query())).await;
        let e = err.unwrap();
        assert_eq!((e.reason, e.attempts), (Reason::ConnectionFailed, 3));
        assert!(std::error::Error::source(&e).is_some(), "the transport error is kept as the source");
        assert!(e.message.contains("gave up after 3"), "{}", e.message);
    }

    /// Metadata + token endpoint + API on one server.
    async fn auth_server(expires_in: u64, api_401_first: bool) -> (TestServer, Arc<Mutex<u32>>) {
        let tokens = Arc::new(Mutex::new(0u32));
        let t = tokens.clone();
        let api_calls = Arc::new(Mutex::new(0u32));
        let server = TestServer::start(move |req| {
            if req.path == "/metadata/endpoints" {
                return Canned::json(200, r#"{"authentication":{"loginEndpoint":"{base}/login/","audiences":["https://management.azurestack.local/abc"]}}"#);
            }
            if req.path.ends_with("/oauth2/token") {
                let mut n = t.lock().unwrap();
                *n += 1;
                return Canned::json(200, format!(r#"{{"access_token":"access-{n}","token_type":"Bearer","expires_in":"{expires_in}"}}"#));
            }
            let mut calls = api_calls.lock().unwrap();
            *calls += 1;
            let auth = req.headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
            if api_401_first && *calls == 2 && auth == "Bearer access-1" {
                return Canned::json(401, r#"{"error":{"code":"ExpiredAuthenticationToken","message":"expired"}}"#);
            }
            if !auth.starts_with("Bearer access-") {
                return Canned::json(401, "{}");
            }
            let next = if *calls < 3 { Some(format!("{{base}}/n?continuationToken=c{calls}")) } else { None };
            Canned::json(200, page_body(*calls as usize, 1, next.as_deref()))
        })
        .await;
        (server, tokens)
    }

    fn secret_credential(tenant: Option<&str>) -> Credential {
        Credential::ClientSecret {
            tenant: tenant.map(str::to_string),
            client_id: "app-id".into(),
            secret: SecretString::from("SUPER-SECRET-VALUE"),
        }
    }

    #[tokio::test]
    async fn token_is_fetched_once_and_cached() {
        let (server, tokens) = auth_server(3600, false).await;
        let (client, events) = client_for(&server, secret_credential(Some("contoso"))).await;
        let (pages, err) = collect(client.pages(query())).await;
        assert!(err.is_none(), "{err:?}");
        assert_eq!(pages.len(), 3);
        assert_eq!(*tokens.lock().unwrap(), 1);
        let reqs = server.requests();
        let tok = reqs.iter().find(|r| r.path.ends_with("/oauth2/token")).unwrap();
        assert_eq!(tok.path, "/login/contoso/oauth2/token");
        assert_eq!(tok.method, "POST");
        let form: Vec<(String, String)> = url::form_urlencoded::parse(tok.body.as_bytes()).into_owned().collect();
        assert!(form.contains(&("grant_type".into(), "client_credentials".into())));
        assert!(form.contains(&("resource".into(), "https://management.azurestack.local/abc".into())));
        assert!(form.contains(&("client_secret".into(), "SUPER-SECRET-VALUE".into())));
        let ev = format!("{:?}", events.lock().unwrap());
        assert!(!ev.contains("SUPER-SECRET") && !ev.contains("access-1"), "no secrets or tokens in events");
        assert!(!format!("{client:?}").contains("SUPER-SECRET"));
    }

    #[tokio::test]
    async fn short_lived_tokens_are_refreshed() {
        // expires_in below the 5-minute margin: every request fetches a fresh token.
        let (server, tokens) = auth_server(60, false).await;
        let (client, _) = client_for(&server, secret_credential(Some("contoso"))).await;
        let (pages, err) = collect(client.pages(query())).await;
        assert!(err.is_none() && pages.len() == 3);
        assert_eq!(*tokens.lock().unwrap(), 3);
    }

    #[tokio::test]
    async fn a_401_mid_pull_refreshes_the_token_once() {
        let (server, tokens) = auth_server(3600, true).await;
        let (client, _) = client_for(&server, secret_credential(Some("contoso"))).await;
        let (pages, err) = collect(client.pages(query())).await;
        assert!(err.is_none(), "{err:?}");
        assert_eq!(pages.len(), 2);
        assert_eq!(*tokens.lock().unwrap(), 2);
    }

    #[tokio::test]
    async fn auth_errors_are_clear_and_secret_free() {
        // Azure AD without a tenant.
        let (server, _) = auth_server(3600, false).await;
        let (client, _) = client_for(&server, secret_credential(None)).await;
        let (_, err) = collect(client.pages(query())).await;
        let e = err.unwrap();
        assert_eq!(e.reason, Reason::AuthenticationFailed);
        assert!(e.message.contains("tenant"), "{}", e.message);

        // The token endpoint refuses: the OAuth error is shown, the secret is not.
        let server = TestServer::start(|req| {
            if req.path == "/metadata/endpoints" {
                Canned::json(200, r#"{"authentication":{"loginEndpoint":"{base}/adfs/","audiences":["aud"]}}"#)
            } else {
                Canned::json(401, r#"{"error":"invalid_client","error_description":"bad secret SUPER-SECRET-VALUE"}"#)
            }
        })
        .await;
        let (client, _) = client_for(&server, secret_credential(None)).await;
        let (_, err) = collect(client.pages(query())).await;
        let e = err.unwrap();
        assert_eq!(e.reason, Reason::AuthenticationFailed);
        assert!(e.message.contains("invalid_client") && !e.message.contains("SUPER-SECRET"), "{}", e.message);
        assert!(!format!("{e:?}").contains("SUPER-SECRET"));
        // AD FS: token URL is {login}/oauth2/token, no tenant needed.
        assert!(server.requests().iter().any(|r| r.path == "/adfs/oauth2/token"));
    }

    #[tokio::test]
    async fn subscriptions_and_default() {
        let server = TestServer::queue(vec![
            Canned::json(200, r#"{"value":[{"subscriptionId":"a","displayName":"Other","state":"Enabled"},{"subscriptionId":"b","displayName":"Default Provider Subscription","state":"Enabled"}]}"#),
            Canned::json(200, r#"{"value":[{"subscriptionId":"a","displayName":"Other","state":"Enabled"},{"subscriptionId":"b","displayName":"Default Provider Subscription","state":"Enabled"}]}"#),
            Canned::json(200, r#"{"value":[{"subscriptionId":"c","displayName":"X","state":"Enabled"}]}"#),
            Canned::json(200, r#"{"value":[]}"#),
        ])
        .await;
        let (client, _) = client_for(&server, Credential::Anonymous).await;
        let subs = client.list_subscriptions().await.unwrap();
        assert_eq!(subs.len(), 2);
        assert_eq!(
            subs[1],
            Subscription {
                subscription_id: "b".into(),
                display_name: "Default Provider Subscription".into(),
                state: "Enabled".into()
            }
        );
        assert_eq!(client.default_subscription().await.unwrap(), "b");
        assert_eq!(client.default_subscription().await.unwrap(), "c");
        let e = client.default_subscription().await.unwrap_err();
        assert!(e.message.contains("no subscription"), "{}", e.message);
        let r = &server.requests()[0];
        assert_eq!((r.path.as_str(), r.query.as_str()), ("/subscriptions", "api-version=2015-01-01"));
    }

    #[tokio::test]
    async fn endpoint_path_prefix_is_kept_and_bad_endpoints_rejected() {
        let server = TestServer::queue(vec![Canned::json(200, page_body(0, 1, None))]).await;
        let mut o = ClientOptions::new(Url::parse(&format!("{}/arm/", server.base)).unwrap(), Credential::Anonymous);
        o.retry = fast_retry();
        let client = UsageClient::connect(o).await.unwrap();
        let (pages, err) = collect(client.pages(query())).await;
        assert!(err.is_none() && pages.len() == 1);
        assert!(server.requests()[0].path.starts_with("/arm/subscriptions/"));
        let o = ClientOptions::new(Url::parse("ftp://x").unwrap(), Credential::Anonymous);
        assert_eq!(UsageClient::connect(o).await.unwrap_err().reason, Reason::InvalidEndpoint);
    }
}
