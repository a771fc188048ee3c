//! Retry policy: which failures are retried, and how long to wait between attempts.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use reqwest::Method;
use reqwest::header::HeaderMap;
use secrecy::{ExposeSecret, SecretString};
use url::Url;

use crate::client::ClientEvent;
use crate::error::{Error, ErrorKind, Result};
use crate::parse::{describe_body, parse_error_body};

/// How hard the client tries before giving up on a request.
///
/// Retried: HTTP 408, 429, 500, 502, 503, 504, connection failures, timeouts and bodies cut off
/// mid-read. Never retried: any other 4xx. The wait before retry `n` (1-based) is a random
/// duration in `[0, min(max_backoff, initial_backoff * 2^(n-1))]` ("full jitter"), or the server's
/// `Retry-After` when that is longer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (0 = try once).
    pub max_retries: u32,
    /// Upper bound of the first back-off.
    pub initial_backoff: Duration,
    /// Cap on any single computed back-off (a server's `Retry-After` may exceed it).
    pub max_backoff: Duration,
    /// Give up when the next wait would end later than this after the first attempt.
    pub max_elapsed: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 8,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
            max_elapsed: Duration::from_secs(300),
        }
    }
}

impl RetryPolicy {
    /// The computed wait before retry `retry` (1-based): uniform in
    /// `[0, min(max_backoff, initial_backoff * 2^(retry-1))]`.
    pub fn backoff(&self, retry: u32) -> Duration {
        let exp = retry.saturating_sub(1).min(30);
        let cap = self.initial_backoff.saturating_mul(1u32 << exp).min(self.max_backoff);
        let ms = cap.as_millis().min(u64::MAX as u128) as u64;
        if ms == 0 {
            return Duration::ZERO;
        }
        Duration::from_millis(rand::random_range(0..=ms))
    }
}

/// Statuses worth retrying: timeouts, throttling and transient server/gateway failures.
pub(crate) fn is_retryable_status(status: u16) -> bool {
    matches!(status, 408 | 429 | 500 | 502 | 503 | 504)
}

/// The server's requested wait: `Retry-After` (seconds or an HTTP date) or `retry-after-ms`.
pub(crate) fn server_delay(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    if let Some(ms) = get("retry-after-ms").or_else(|| get("x-ms-retry-after-ms")).and_then(|v| v.parse::<u64>().ok()) {
        return Some(Duration::from_millis(ms));
    }
    let v = get("retry-after")?;
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    if let Ok(secs) = v.parse::<f64>()
        && secs.is_finite()
        && secs >= 0.0
    {
        return Some(Duration::from_secs_f64(secs.min(86_400.0)));
    }
    let at = httpdate::parse_http_date(v).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// True when any `x-ms-ratelimit-remaining-*` header says the budget is used up.
pub(crate) fn ratelimit_exhausted(headers: &HeaderMap) -> bool {
    headers.iter().any(|(k, v)| {
        k.as_str().starts_with("x-ms-ratelimit-remaining-")
            && v.to_str().ok().and_then(|s| s.trim().parse::<i64>().ok()).is_some_and(|n| n <= 0)
    })
}

/// Callback type for client events.
pub(crate) type EventHook = Arc<dyn Fn(&ClientEvent) + Send + Sync>;

/// A response whose body has been read completely.
#[derive(Debug)]
pub(crate) struct Response {
    pub(crate) status: u16,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
    pub(crate) request_id: Option<String>,
    pub(crate) attempts: u32,
}

impl Response {
    pub(crate) fn content_type(&self) -> Option<&str> {
        self.headers.get(reqwest::header::CONTENT_TYPE).and_then(|v| v.to_str().ok())
    }
}

/// What a request sends besides the URL.
#[derive(Clone, Copy)]
pub(crate) enum Body<'a> {
    None,
    Form(&'a [(&'a str, &'a str)]),
}

/// Sends requests with retries. Shared by the API calls, metadata discovery and token requests.
#[derive(Clone)]
pub(crate) struct Sender {
    pub(crate) http: reqwest::Client,
    pub(crate) policy: RetryPolicy,
    pub(crate) events: Option<EventHook>,
    /// Set when the server said the rate-limit budget is exhausted: no request before this.
    throttle_until: Arc<Mutex<Option<Instant>>>,
}

impl Sender {
    pub(crate) fn new(http: reqwest::Client, policy: RetryPolicy, events: Option<EventHook>) -> Self {
        Sender { http, policy, events, throttle_until: Arc::new(Mutex::new(None)) }
    }

    pub(crate) fn emit(&self, ev: ClientEvent) {
        if let Some(h) = &self.events {
            h(&ev);
        }
    }

    /// Sends until a final answer: any response that is not retryable (2xx, most 4xx) is returned
    /// as `Ok`; retry exhaustion and non-retryable transport failures are errors.
    pub(crate) async fn send(
        &self,
        method: Method,
        url: &Url,
        bearer: Option<&SecretString>,
        body: Body<'_>,
    ) -> Result<Response> {
        let started = Instant::now();
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            self.wait_for_throttle().await;
            let mut req =
                self.http.request(method.clone(), url.clone()).header(reqwest::header::ACCEPT, "application/json");
            if let Some(tok) = bearer {
                req = req.bearer_auth(tok.expose_secret());
            }
            if let Body::Form(f) = body {
                req = req.form(f);
            }
            self.emit(ClientEvent::Request { method: method.to_string(), url: url.to_string() });
            let sent = Instant::now();
            // Outcome: Ok(response) or Err(reason for a retryable failure).
            let outcome: std::result::Result<Response, (String, Option<Response>)> = match req.send().await {
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    let headers = resp.headers().clone();
                    let request_id = headers.get("x-ms-request-id").and_then(|v| v.to_str().ok()).map(str::to_owned);
                    self.emit(ClientEvent::Response {
                        status,
                        request_id: request_id.clone(),
                        elapsed: sent.elapsed(),
                    });
                    match resp.bytes().await {
                        Ok(body) => {
                            let r = Response { status, headers, body, request_id, attempts: attempt };
                            if is_retryable_status(status) {
                                let reason = describe_status(&r);
                                Err((reason, Some(r)))
                            } else {
                                Ok(r)
                            }
                        }
                        Err(e) => Err((format!("reading the response body failed: {}", error_chain(&e)), None)),
                    }
                }
                Err(e) => {
                    if is_certificate_error(&e) {
                        return Err(Error {
                            attempts: attempt,
                            ..Error::new(
                                ErrorKind::Transport,
                                format!(
                                    "TLS failed for {}: {}; trust the stamp's CA with an extra CA file, or (labs only) \
                                     allow insecure connections",
                                    url_origin(url),
                                    error_chain(&e)
                                ),
                            )
                        });
                    }
                    Err((format!("request failed: {}", error_chain(&e)), None))
                }
            };
            match outcome {
                Ok(r) => {
                    if ratelimit_exhausted(&r.headers) {
                        let d = server_delay(&r.headers, SystemTime::now()).unwrap_or_else(|| self.policy.backoff(1));
                        self.emit(ClientEvent::RetryWait {
                            attempt,
                            delay: d,
                            reason: "rate-limit budget exhausted".into(),
                        });
                        *self.throttle_until.lock().unwrap_or_else(|p| p.into_inner()) = Some(Instant::now() + d);
                    }
                    return Ok(r);
                }
                Err((reason, resp)) => {
                    let server = resp.as_ref().and_then(|r| server_delay(&r.headers, SystemTime::now()));
                    let delay = server.unwrap_or(Duration::ZERO).max(self.policy.backoff(attempt));
                    let elapsed = started.elapsed();
                    if attempt > self.policy.max_retries || elapsed + delay > self.policy.max_elapsed {
                        return Err(give_up(attempt, elapsed, &reason, resp.as_ref()));
                    }
                    self.emit(ClientEvent::RetryWait { attempt, delay, reason: reason.clone() });
                    tracing::debug!(attempt, ?delay, %reason, "retrying");
                    tokio::time::sleep(delay).await;
                }
            }
        }
    }

    async fn wait_for_throttle(&self) {
        let until = *self.throttle_until.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(t) = until {
            tokio::time::sleep_until(t.into()).await;
        }
    }
}

fn give_up(attempts: u32, elapsed: Duration, reason: &str, resp: Option<&Response>) -> Error {
    // No response at all means the connection itself kept failing (error.rs: Transport).
    let kind = if resp.is_some() { ErrorKind::Service } else { ErrorKind::Transport };
    let mut e = Error::new(
        kind,
        format!(
            "gave up after {attempts} attempt(s) over {:.1}s: {reason}{}; the service may be busy: retry later, \
             narrow the time window or split by subscriber",
            elapsed.as_secs_f64(),
            resp.and_then(|r| r.request_id.as_deref()).map(|id| format!(" (request id {id})")).unwrap_or_default()
        ),
    );
    e.attempts = attempts;
    if let Some(r) = resp {
        e.status = Some(r.status);
        e.request_id = r.request_id.clone();
        e.code = parse_error_body(&r.body).and_then(|(c, _)| c);
    }
    e
}

/// "HTTP 503 ServiceUnavailable: message" or "HTTP 503 (body: …)".
pub(crate) fn describe_status(r: &Response) -> String {
    match parse_error_body(&r.body) {
        Some((code, msg)) => format!(
            "HTTP {}{}{}",
            r.status,
            code.map(|c| format!(" {c}")).unwrap_or_default(),
            msg.map(|m| format!(": {m}")).unwrap_or_default()
        ),
        None if r.body.is_empty() => format!("HTTP {}", r.status),
        None => format!("HTTP {} ({})", r.status, describe_body(&r.body, r.content_type())),
    }
}

/// The error and its sources, joined (reqwest's top-level message alone hides the cause).
pub(crate) fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let t = c.to_string();
        if !s.contains(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        cur = c.source();
    }
    s
}

fn is_certificate_error(e: &reqwest::Error) -> bool {
    let chain = error_chain(e).to_ascii_lowercase();
    chain.contains("certificate") || chain.contains("invalidcertificate") || chain.contains("unknownissuer")
}

fn url_origin(u: &Url) -> String {
    u.origin().ascii_serialization()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_is_capped_full_jitter() {
        let p = RetryPolicy::default();
        for retry in 1..40 {
            let cap = Duration::from_millis(500).saturating_mul(1 << (retry - 1).min(30)).min(Duration::from_secs(30));
            for _ in 0..20 {
                assert!(p.backoff(retry) <= cap);
            }
        }
        let zero = RetryPolicy { initial_backoff: Duration::ZERO, ..RetryPolicy::default() };
        assert_eq!(zero.backoff(3), Duration::ZERO);
    }

    #[test]
    fn retry_after_forms() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let mut h = HeaderMap::new();
        assert_eq!(server_delay(&h, now), None);
        h.insert("retry-after", "7".parse().unwrap());
        assert_eq!(server_delay(&h, now), Some(Duration::from_secs(7)));
        let later = httpdate::fmt_http_date(now + Duration::from_secs(12));
        h.insert("retry-after", later.parse().unwrap());
        assert_eq!(server_delay(&h, now), Some(Duration::from_secs(12)));
        let past = httpdate::fmt_http_date(now - Duration::from_secs(12));
        h.insert("retry-after", past.parse().unwrap());
        assert_eq!(server_delay(&h, now), Some(Duration::ZERO));
        h.insert("retry-after", "soon".parse().unwrap());
        assert_eq!(server_delay(&h, now), None);
    }

    #[test]
    fn statuses_and_ratelimit() {
        for s in [408, 429, 500, 502, 503, 504] {
            assert!(is_retryable_status(s));
        }
        for s in [400, 401, 403, 404, 409, 501] {
            assert!(!is_retryable_status(s));
        }
        let mut h = HeaderMap::new();
        h.insert("x-ms-ratelimit-remaining-subscription-reads", "14785".parse().unwrap());
        assert!(!ratelimit_exhausted(&h));
        h.insert("x-ms-ratelimit-remaining-tenant-reads", "0".parse().unwrap());
        assert!(ratelimit_exhausted(&h));
    }
}
