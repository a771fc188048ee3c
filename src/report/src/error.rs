//! The report's one error type. Every constructor sets its [`Reason`] (the core's error contract),
//! so the CLI's exit code and the module's ErrorId follow from it.

use std::fmt;
use std::path::Path;

pub use azs_usage_core::Reason;

/// A report error: a reason, a message that says what was wrong and how to fix it, and the cause.
#[derive(Debug)]
pub struct Error {
    reason: Reason,
    message: String,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

/// The report's result type.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    fn new(reason: Reason, message: impl Into<String>) -> Error {
        Error { reason, message: message.into(), source: None }
    }

    /// An error with the reason another layer gave it.
    pub(crate) fn with_reason(reason: Reason, message: impl Into<String>) -> Error {
        Error::new(reason, message)
    }

    /// The input rows are unusable (`FocusFileInvalid`); `message` names the row and the fix.
    pub fn focus_invalid(message: impl Into<String>) -> Error {
        Error::new(Reason::FocusFileInvalid, message)
    }

    /// The unpriced usage is unusable (`UsageFileInvalid`).
    pub fn usage_invalid(message: impl Into<String>) -> Error {
        Error::new(Reason::UsageFileInvalid, message)
    }

    /// Rendering failed (`ReportFailed`).
    pub fn report_failed(message: impl Into<String>) -> Error {
        Error::new(Reason::ReportFailed, message)
    }

    /// No usable browser, or it failed to print (`BrowserUnavailable`).
    pub fn browser_unavailable(message: impl Into<String>) -> Error {
        Error::new(Reason::BrowserUnavailable, message)
    }

    /// An output path cannot be written to (`OutputPathInvalid`).
    pub fn output_path_invalid(path: &Path, why: &str) -> Error {
        Error::new(Reason::OutputPathInvalid, format!("cannot write {}: {why}", path.display()))
    }

    /// An output path cannot be written to (`OutputPathInvalid`), as the message says.
    pub fn output_path_invalid_text(message: impl Into<String>) -> Error {
        Error::new(Reason::OutputPathInvalid, message)
    }

    /// Writing an output failed (`OutputWriteFailed`), as the message says.
    pub fn output_write_failed_text(message: impl Into<String>) -> Error {
        Error::new(Reason::OutputWriteFailed, message)
    }

    /// Writing `path` failed (`OutputWriteFailed`).
    pub fn output_write_failed(path: &Path, cause: std::io::Error) -> Error {
        Error::new(Reason::OutputWriteFailed, format!("writing {} failed: {cause}", path.display())).with_source(cause)
    }

    /// Keeps `cause` as this error's source.
    pub fn with_source(mut self, cause: impl std::error::Error + Send + Sync + 'static) -> Error {
        self.source = Some(Box::new(cause));
        self
    }

    /// Why it failed.
    pub fn reason(&self) -> Reason {
        self.reason
    }

    /// What was wrong and how to fix it.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl azs_usage_core::HasReason for Error {
    fn reason(&self) -> Reason {
        self.reason
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_deref().map(|e| e as &(dyn std::error::Error + 'static))
    }
}
