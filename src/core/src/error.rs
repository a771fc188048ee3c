//! The core's one error type. Every variant says whether it is retried and what to do about it;
//! none carries a secret (tokens, client secrets and passwords are redacted before they get here).

/// What went wrong, coarsely: the CLI maps it to an exit code, the FFI layer to an error kind,
/// the cmdlets to an `ErrorCategory`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The caller's input was wrong (bad time, GUID, granularity, token, file). Never retried.
    InvalidInput,
    /// Authentication failed (401, token endpoint refused, bad credential). Never retried.
    Unauthenticated,
    /// Authenticated but not allowed (403). Never retried.
    PermissionDenied,
    /// The service answered 4xx with an error body (e.g. `RequestEndTimeIsInFuture`). Never retried.
    Rejected,
    /// The service kept failing (429/5xx/connection errors) after every allowed retry.
    Service,
    /// The response could not be understood (malformed JSON, HTML from a proxy, truncated body).
    Decode,
    /// TLS / connection set-up failed (untrusted certificate, refused connection).
    Transport,
    /// The operation was cancelled by the caller.
    Cancelled,
    /// A bug in this crate (should never happen; reported rather than panicking).
    Internal,
}

/// The core's error: a kind, a human message that names what was wrong and how to fix it, and
/// what is known about the failed request.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct Error {
    /// Coarse classification.
    pub kind: ErrorKind,
    /// Human-readable message (no secrets).
    pub message: String,
    /// The service's `error.code`, when it sent one (e.g. `InvalidAggregationGranularity`).
    pub code: Option<String>,
    /// HTTP status of the last response, when there was one.
    pub status: Option<u16>,
    /// `x-ms-request-id` of the last response, when there was one.
    pub request_id: Option<String>,
    /// How many attempts were made for the failing request.
    pub attempts: u32,
    /// The continuation token of the last page fully delivered: resuming from it loses and
    /// repeats nothing. `None` means "start from the beginning of the query".
    pub resume_token: Option<String>,
}

impl Error {
    /// A new error of `kind` with `message` and nothing else known.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            code: None,
            status: None,
            request_id: None,
            attempts: 0,
            resume_token: None,
        }
    }

    /// Shorthand for an [`ErrorKind::InvalidInput`] error.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidInput, message)
    }

    /// Adds the service's error code.
    pub fn with_code(mut self, code: impl Into<String>) -> Self {
        self.code = Some(code.into());
        self
    }

    /// Records the continuation token to resume from.
    pub fn with_resume_token(mut self, token: Option<String>) -> Self {
        self.resume_token = token;
        self
    }
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
