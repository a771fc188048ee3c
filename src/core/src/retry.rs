//! Retry policy: which failures are retried, and how long to wait between attempts (the sender in
//! `http.rs` applies it).

use std::time::{Duration, SystemTime};

use reqwest::header::HeaderMap;

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
