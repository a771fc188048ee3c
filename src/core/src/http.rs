//! The HTTP sender: sends one request with retries (policy in `retry.rs`), emits events, and turns
//! what finally went wrong into an [`Error`] with its [`Reason`]. Shared by the usage calls, the
//! subscription list, metadata discovery and token requests.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use reqwest::Method;
use reqwest::header::HeaderMap;
use secrecy::{ExposeSecret, SecretString};
use url::Url;

use crate::error::{Error, Reason, Result, service_reason};
use crate::events::{ClientEvent, EventHook};
use crate::parse::{ServiceError, describe_body, parse_error_body};
use crate::retry::{RetryPolicy, is_retryable_status, ratelimit_exhausted, server_delay};

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

    pub(crate) fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    pub(crate) fn service_error(&self) -> Option<ServiceError> {
        parse_error_body(&self.body)
    }

    /// Adds what is known of this response to `e`: status, request id (also in the message, so a
    /// person reporting the error has it), attempts, and the service's error code.
    pub(crate) fn annotate(&self, mut e: Error) -> Error {
        e.status = Some(self.status);
        e.attempts = self.attempts;
        if e.code.is_none() {
            e.code = self.service_error().and_then(|s| s.code);
        }
        if let Some(id) = &self.request_id {
            if !e.message.contains(id.as_str()) {
                e.message.push_str(&format!(" (request id {id})"));
            }
            e.request_id = Some(id.clone());
        }
        e
    }
}

/// What a request sends besides the URL.
#[derive(Clone, Copy)]
pub(crate) enum Body<'a> {
    None,
    Form(&'a [(&'a str, &'a str)]),
}

/// Why one attempt failed in a way worth retrying.
struct Retryable {
    /// For events and, on giving up, the message.
    what: String,
    /// The last answer, when the server sent one.
    response: Option<Response>,
    /// The transport error, when there was no answer.
    cause: Option<reqwest::Error>,
}

/// Sends requests with retries.
#[derive(Clone)]
pub(crate) struct Sender {
    http: reqwest::Client,
    policy: RetryPolicy,
    events: Option<EventHook>,
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
    /// as `Ok`; retry exhaustion and TLS failures are errors.
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
            let outcome: std::result::Result<Response, Retryable> = match req.send().await {
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
                                Err(Retryable { what: describe_status(&r), response: Some(r), cause: None })
                            } else {
                                Ok(r)
                            }
                        }
                        Err(e) => Err(Retryable {
                            what: "reading the response body failed".into(),
                            response: None,
                            cause: Some(e),
                        }),
                    }
                }
                Err(e) => {
                    if let Some(tls) = tls_failure(&e) {
                        // A certificate or handshake problem is the same on every attempt.
                        let message = format!(
                            "TLS failed for {}: {tls}; trust the stamp's CA with an extra CA file, or (labs only) \
                             allow insecure connections",
                            url.origin().ascii_serialization()
                        );
                        return Err(Error {
                            attempts: attempt,
                            ..Error::new(Reason::TlsFailed, message).with_source(e)
                        });
                    }
                    Err(Retryable { what: describe_transport(&e, url), response: None, cause: Some(e) })
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
                Err(failed) => {
                    let server = failed.response.as_ref().and_then(|r| server_delay(&r.headers, SystemTime::now()));
                    let delay = server.unwrap_or(Duration::ZERO).max(self.policy.backoff(attempt));
                    let elapsed = started.elapsed();
                    if attempt > self.policy.max_retries || elapsed + delay > self.policy.max_elapsed {
                        return Err(give_up(attempt, elapsed, failed));
                    }
                    // Verbose output shows the whole cause; the final error keeps it as its source.
                    let reason = match &failed.cause {
                        Some(e) => format!("{}: {}", failed.what, error_chain(e)),
                        None => failed.what.clone(),
                    };
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

fn give_up(attempts: u32, elapsed: Duration, failed: Retryable) -> Error {
    // No answer at all means the connection itself kept failing.
    let reason = if failed.response.is_some() { Reason::ServiceUnavailable } else { Reason::ConnectionFailed };
    let e = Error {
        attempts,
        ..Error::new(
            reason,
            format!(
                "gave up after {attempts} attempt(s) over {:.1}s: {}; the service may be busy: retry later, narrow \
                 the time window or split by subscriber",
                elapsed.as_secs_f64(),
                failed.what
            ),
        )
    };
    match (failed.response, failed.cause) {
        (Some(r), _) => r.annotate(e),
        (None, Some(cause)) => e.with_source(cause),
        (None, None) => e,
    }
}

/// Maps a final non-2xx answer of an API call to an error that says what to do.
pub(crate) fn status_error(r: &Response, url: &Url) -> Error {
    let service = r.service_error().unwrap_or_default();
    let property = service.property();
    let reason = service_reason(r.status, service.code.as_deref(), property.as_deref());
    let advice = match r.status {
        400 => "the service rejected the query; fix the parameter it names".to_string(),
        401 => "the token was refused; check the credential, tenant and that the endpoint matches the token audience"
            .to_string(),
        403 => "the identity lacks a role on the subscription (Reader, Contributor or Owner is needed)".to_string(),
        404 => format!("nothing at {}; check the endpoint (admin vs tenant ARM) and the subscription id", url.path()),
        s if s < 500 => "the service rejected the request".to_string(),
        _ => "the service failed".to_string(),
    };
    r.annotate(Error::new(reason, format!("{}; {advice}", describe_status(r))))
}

/// "HTTP 503 ServiceUnavailable: message" or "HTTP 503 (body: …)".
pub(crate) fn describe_status(r: &Response) -> String {
    match r.service_error() {
        Some(s) => format!(
            "HTTP {}{}{}",
            r.status,
            s.code.map(|c| format!(" {c}")).unwrap_or_default(),
            s.message.map(|m| format!(": {m}")).unwrap_or_default()
        ),
        None if r.body.is_empty() => format!("HTTP {}", r.status),
        None => format!("HTTP {} ({})", r.status, describe_body(&r.body, r.content_type())),
    }
}

/// A transport failure in a few words; the error itself becomes the source.
fn describe_transport(e: &reqwest::Error, url: &Url) -> String {
    let origin = url.origin().ascii_serialization();
    if e.is_timeout() {
        format!("the request to {origin} timed out")
    } else if e.is_connect() {
        format!("cannot connect to {origin}")
    } else if e.is_body() || e.is_decode() {
        "reading the response body failed".to_string()
    } else {
        format!("the request to {origin} failed")
    }
}

/// The error and its sources, joined (for verbose events only).
pub(crate) fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut s = e.to_string();
    for part in crate::error::source_chain(e) {
        s.push_str(": ");
        s.push_str(&part);
    }
    s
}

/// The rustls error somewhere in a request error's causes (a certificate the client does not
/// trust, a handshake failure, a server that does not speak TLS). I/O errors hide the error they
/// wrap from `source()`, so they are opened with `get_ref`.
fn tls_failure(e: &reqwest::Error) -> Option<&rustls::Error> {
    fn find<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>()
            && let Some(inner) = io.get_ref()
            && let Some(tls) = find(inner)
        {
            return Some(tls);
        }
        e.source().and_then(find)
    }
    find(e)
}
