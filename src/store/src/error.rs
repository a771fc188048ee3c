//! The store's one error type. Every constructor names the core's [`Reason`] it reports (the
//! error contract, `docs/errors.md`); [`HasReason`] gives it to the CLI and the C ABI.
//!
//! Messages never carry a database password: URLs are shown through
//! [`DatabaseUrl`](crate::DatabaseUrl)'s redacting `Display`, and driver errors are reduced to
//! their text (tokio-postgres and rusqlite never put the password in theirs).

use std::fmt;

use azs_usage_core::HasReason;

pub use azs_usage_core::Reason;

/// A store error: why, and a message that says what was wrong and how to fix it.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct Error {
    reason: Reason,
    message: String,
    /// A database connection that broke mid-operation (the server restarted, the network dropped):
    /// the sync reconnects and redoes the window instead of failing the run.
    transient: bool,
}

impl Error {
    fn new(reason: Reason, message: impl Into<String>) -> Self {
        Error { reason, message: message.into(), transient: false }
    }

    /// Why the operation failed.
    pub fn reason(&self) -> Reason {
        self.reason
    }

    /// The message (also the `Display` form).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// True for a lost database connection that a reconnect may fix.
    pub fn is_transient(&self) -> bool {
        self.transient
    }

    /// Prefixes the message with context (e.g. the stamp's name).
    pub fn context(mut self, what: impl fmt::Display) -> Self {
        self.message = format!("{what}: {}", self.message);
        self
    }

    pub(crate) fn transient(mut self) -> Self {
        self.transient = true;
        self
    }

    /// [`Reason::InvalidArgument`].
    pub fn invalid_argument(message: impl Into<String>) -> Self {
        Self::new(Reason::InvalidArgument, message)
    }
    /// [`Reason::InvalidTimeRange`].
    pub fn invalid_time_range(message: impl Into<String>) -> Self {
        Self::new(Reason::InvalidTimeRange, message)
    }
    /// [`Reason::DatabaseUrlInvalid`].
    pub fn database_url_invalid(message: impl Into<String>) -> Self {
        Self::new(Reason::DatabaseUrlInvalid, message)
    }
    /// [`Reason::DatabaseUnavailable`].
    pub fn database_unavailable(message: impl Into<String>) -> Self {
        Self::new(Reason::DatabaseUnavailable, message)
    }
    /// [`Reason::DatabaseNotUsable`].
    pub fn database_not_usable(message: impl Into<String>) -> Self {
        Self::new(Reason::DatabaseNotUsable, message)
    }
    /// [`Reason::SchemaTooNew`].
    pub fn schema_too_new(message: impl Into<String>) -> Self {
        Self::new(Reason::SchemaTooNew, message)
    }
    /// [`Reason::SyncLocked`].
    pub fn sync_locked(message: impl Into<String>) -> Self {
        Self::new(Reason::SyncLocked, message)
    }
    /// [`Reason::StampConfigInvalid`].
    pub fn stamp_config_invalid(message: impl Into<String>) -> Self {
        Self::new(Reason::StampConfigInvalid, message)
    }
    /// [`Reason::RateCardInvalid`].
    pub fn rate_card_invalid(message: impl Into<String>) -> Self {
        Self::new(Reason::RateCardInvalid, message)
    }
    /// [`Reason::OutputPathInvalid`].
    pub fn output_path_invalid(message: impl Into<String>) -> Self {
        Self::new(Reason::OutputPathInvalid, message)
    }
    /// [`Reason::OutputWriteFailed`].
    pub fn output_write_failed(message: impl Into<String>) -> Self {
        Self::new(Reason::OutputWriteFailed, message)
    }
    /// [`Reason::OperationCancelled`].
    pub fn cancelled() -> Self {
        Self::new(Reason::OperationCancelled, "the sync was cancelled; the window in progress was rolled back")
    }
    /// [`Reason::InternalError`].
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(Reason::InternalError, message)
    }

    /// Another layer's error (the pricing crate's writer), keeping its reason and message.
    pub(crate) fn from_layer(e: &impl azs_usage_core::HasReason) -> Self {
        Self::new(e.reason(), e.to_string())
    }

    /// A usage-client error from a stamp, keeping the core's message (service code, request id).
    pub fn from_client(e: &azs_usage_core::Error) -> Self {
        let reason = e.reason;
        let mut message = e.message.clone();
        if let (Some(code), Some(_)) = (&e.code, e.status)
            && !message.contains(code.as_str())
        {
            message = format!("{code}: {message}");
        }
        Self::new(reason, message)
    }
}

impl HasReason for Error {
    fn reason(&self) -> Reason {
        self.reason
    }
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
