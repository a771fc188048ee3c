//! What the client is doing, for verbose output (PowerShell `-Verbose`, the CLI's `-v`). The HTTP
//! sender and the pull emit these; nothing here depends on either.

use std::sync::Arc;
use std::time::Duration;

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

/// The verbose hook's type (`ClientOptions::events`).
pub(crate) type EventHook = Arc<dyn Fn(&ClientEvent) + Send + Sync>;
