//! Exit codes and the one failure type of the CLI. Scripts branch on the code; people read the
//! message, which always says what was wrong and, for a pull, the token to resume from.

use std::process;

use azs_usage_core::{Error, ErrorKind};

/// Distinct exit codes (documented in `--help` and the README).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    /// Something this tool did not expect (a bug or an I/O failure writing output).
    Internal = 1,
    /// Bad input: arguments, times, ids, files, or a request the service rejected as invalid
    /// (clap's own usage errors also exit 2).
    BadInput = 2,
    /// Authentication or authorization failed.
    Auth = 3,
    /// The service (or the database) failed or answered something unusable, after every retry.
    Service = 4,
    /// Another sync holds the lock (`sync` without `--wait`).
    Locked = 5,
    /// Interrupted by Ctrl+C.
    Interrupted = 130,
}

/// A failure to report on stderr with its exit code.
#[derive(Debug)]
pub struct Failure {
    pub code: ExitCode,
    pub message: String,
}

impl Failure {
    pub fn new(code: ExitCode, message: impl Into<String>) -> Self {
        Failure { code, message: message.into() }
    }

    pub fn bad_input(message: impl Into<String>) -> Self {
        Self::new(ExitCode::BadInput, message)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ExitCode::Internal, message)
    }

    /// Prints the message and ends the process with the failure's code.
    pub fn exit(self) -> ! {
        eprintln!("azs-usage: error: {}", self.message);
        process::exit(self.code as i32)
    }
}

/// Maps a core error to the CLI's exit code, keeping the core's message (which carries the
/// service's code, request id and attempts).
impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        let code = match e.kind {
            // The service's 400/404 answers are bad input too (a forged token, a wrong endpoint or
            // api-version): rerunning the same command cannot succeed.
            ErrorKind::InvalidInput | ErrorKind::Rejected => ExitCode::BadInput,
            ErrorKind::Unauthenticated | ErrorKind::PermissionDenied => ExitCode::Auth,
            ErrorKind::Cancelled => ExitCode::Interrupted,
            ErrorKind::Internal => ExitCode::Internal,
            _ => ExitCode::Service,
        };
        let mut message = e.message.clone();
        // Show the service's own error code; our validation codes are for programs, not people.
        if let (Some(c), Some(_)) = (&e.code, e.status)
            && !message.contains(c.as_str())
        {
            message = format!("{c}: {message}");
        }
        Failure { code, message }
    }
}

/// Maps a store error to its exit code by reason.
impl From<azs_usage_store::Error> for Failure {
    fn from(e: azs_usage_store::Error) -> Self {
        use azs_usage_store::Reason as R;
        let code = match e.reason() {
            R::AuthenticationFailed | R::PermissionDenied => ExitCode::Auth,
            R::DatabaseUnavailable
            | R::ServiceUnavailable
            | R::InvalidResponse
            | R::ConnectionFailed
            | R::TlsFailed => ExitCode::Service,
            R::SyncLocked => ExitCode::Locked,
            R::OperationCancelled => ExitCode::Interrupted,
            R::OutputWriteFailed | R::InternalError => ExitCode::Internal,
            _ => ExitCode::BadInput,
        };
        Failure { code, message: e.message().to_string() }
    }
}
