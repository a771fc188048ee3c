//! Retry policy: which failures are retried, and how long to wait between attempts.

use std::time::Duration;

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
