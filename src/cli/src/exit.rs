//! Exit codes and the one failure type of the CLI. Scripts branch on the code; people read the
//! message, which always says what was wrong and, for a pull, the token to resume from.
//!
//! The code comes from the failure's [`Reason`] through one match ([`exit_code`]), the same reason
//! the PowerShell module maps to its ErrorId, so the CLI and the cmdlets cannot disagree.

use std::process;

use azs_usage_core::{HasReason, Reason, source_chain};

/// Distinct exit codes (documented in `--help`, the README and `docs/errors.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    /// Something this tool did not expect (a bug, or an I/O failure writing output).
    Internal = 1,
    /// Bad input: arguments, times, ids, files, a database URL, or a request the service rejected
    /// as invalid (clap's own usage errors also exit 2).
    BadInput = 2,
    /// Authentication or authorization failed.
    Auth = 3,
    /// The service or the database failed or answered something unusable, after every retry.
    Service = 4,
    /// Another sync run holds the database's lock.
    Locked = 5,
    /// `--strict` refused usage that no rate card prices.
    Unpriced = 6,
    /// Interrupted by Ctrl+C.
    Interrupted = 130,
}

/// The exit code of a reason: the CLI's one mapping.
pub fn exit_code(reason: Reason) -> ExitCode {
    mapped_exit_code(reason).unwrap_or(ExitCode::Internal)
}

/// One arm per reason. `Reason` is `#[non_exhaustive]`, so a reason added to the core without an
/// arm here is `None` (and exits 1); a test fails when that happens.
fn mapped_exit_code(reason: Reason) -> Option<ExitCode> {
    use ExitCode::*;
    Some(match reason {
        Reason::InvalidArgument
        | Reason::InvalidSubscriptionId
        | Reason::InvalidTimeRange
        | Reason::InvalidGranularity
        | Reason::InvalidApiVersion
        | Reason::InvalidContinuationToken
        | Reason::InvalidEndpoint
        | Reason::InvalidCredential
        | Reason::CaFileInvalid
        | Reason::MeterFileInvalid
        | Reason::SubscriptionNotFound
        | Reason::NotConnected
        | Reason::AlreadyConnected
        // The service's 4xx answers are bad input too (a forged token, a wrong endpoint): rerunning
        // the same command cannot succeed.
        | Reason::ServiceRejected => BadInput,
        Reason::AuthenticationFailed | Reason::PermissionDenied => Auth,
        Reason::ServiceUnavailable | Reason::InvalidResponse | Reason::ConnectionFailed | Reason::TlsFailed => Service,
        Reason::OperationCancelled => Interrupted,
        Reason::InternalError => Internal,
        Reason::RateCardInvalid
        | Reason::RateCardConflict
        | Reason::UsageFileInvalid
        | Reason::DirectoryFileInvalid
        | Reason::FocusFileInvalid
        | Reason::OutputPathInvalid
        | Reason::DatabaseUrlInvalid
        | Reason::DatabaseNotUsable
        | Reason::SchemaTooNew
        | Reason::StampConfigInvalid
        | Reason::BrowserUnavailable => BadInput,
        Reason::UnpricedUsage => Unpriced,
        Reason::OutputWriteFailed | Reason::ReportFailed => Internal,
        Reason::DatabaseUnavailable => Service,
        Reason::SyncLocked => Locked,
        _ => return None,
    })
}

/// A failure to report on stderr with its exit code.
#[derive(Debug)]
pub struct Failure {
    /// The exit code, from the reason.
    pub code: ExitCode,
    /// What was wrong and how to fix it (no secrets).
    pub message: String,
    /// The error's causes (`source()` chain), outermost first; printed with `-v`.
    pub causes: Vec<String>,
}

impl Failure {
    /// A failure of this layer.
    pub fn new(reason: Reason, message: impl Into<String>) -> Self {
        Failure { code: exit_code(reason), message: message.into(), causes: Vec::new() }
    }

    /// Bad command-line input that no more specific reason describes.
    pub fn bad_input(message: impl Into<String>) -> Self {
        Self::new(Reason::InvalidArgument, message)
    }

    /// Something this tool did not expect.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(Reason::InternalError, message)
    }

    /// Prints the message (and with `verbose`, its causes) and ends the process with the failure's code.
    pub fn exit(self, verbose: bool) -> ! {
        eprintln!("azs-usage: error: {}", self.message);
        if verbose {
            for cause in &self.causes {
                eprintln!("azs-usage:   caused by: {cause}");
            }
        }
        process::exit(self.code as i32)
    }
}

/// Any layer's error (core, pricing, store, report) becomes a failure through its reason, keeping its
/// message (which carries the service's code, request id and attempts) and its causes.
impl<E: HasReason + 'static> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure { causes: source_chain(&e), ..Failure::new(e.reason(), e.to_string()) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reason_has_an_exit_code_arm() {
        for reason in Reason::ALL {
            assert!(mapped_exit_code(*reason).is_some(), "{reason} has no arm in exit.rs");
        }
        assert_eq!(exit_code(Reason::SyncLocked) as i32, 5);
        assert_eq!(exit_code(Reason::UnpricedUsage) as i32, 6);
        assert_eq!(exit_code(Reason::OperationCancelled) as i32, 130);
    }

    /// `docs/errors.md`'s reason table: (reason, exit code) per row.
    fn documented_exit_codes() -> Vec<(String, i32)> {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/errors.md");
        let text = std::fs::read_to_string(path).expect("docs/errors.md");
        text.lines()
            .filter(|l| l.starts_with("| `"))
            .filter_map(|l| {
                let cells: Vec<&str> = l.split('|').map(str::trim).collect();
                // | `Reason` | `ErrorId` | `Category` | exit | when | what |
                let exit = cells.get(4)?.parse().ok()?;
                Some((cells[1].trim_matches('`').to_string(), exit))
            })
            .collect()
    }

    #[test]
    fn docs_table_lists_every_reason_with_its_exit_code() {
        let documented = documented_exit_codes();
        let names: Vec<&str> = documented.iter().map(|(r, _)| r.as_str()).collect();
        let all: Vec<&str> = Reason::ALL.iter().map(|r| r.as_str()).collect();
        assert_eq!(names, all, "docs/errors.md must list every reason once, in Reason::ALL order");
        for (name, exit) in &documented {
            let reason: Reason = name.parse().expect("a reason name");
            assert_eq!(exit_code(reason) as i32, *exit, "exit code of {name} in docs/errors.md");
        }
    }

    #[test]
    fn a_core_error_keeps_its_message_and_causes() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
        let e = azs_usage_core::Error::new(Reason::MeterFileInvalid, "cannot read meter file m.csv").with_source(io);
        let f = Failure::from(e);
        assert_eq!((f.code, f.message.as_str()), (ExitCode::BadInput, "cannot read meter file m.csv"));
        assert_eq!(f.causes, vec!["no such file".to_string()]);
    }
}
