//! The error contract shared by every layer: one [`Reason`] per failure, set where the error is
//! created, and the core's own error type.
//!
//! Scripts branch on the CLI's exit code and on a cmdlet's `FullyQualifiedErrorId`; both come from
//! the reason alone (the CLI's one exit-code match, the module's one C# switch), never from message
//! text, so rewording a message cannot change them. `docs/errors.md` lists every reason with its
//! ErrorId, `ErrorCategory`, exit code, when it happens and what to do; tests fail when a reason is
//! missing there or from either mapping.

use std::fmt;

/// Why an operation failed. Set where each error is created; every error of every layer carries one
/// (through [`HasReason`]).
///
/// New variants may be added (the enum is `#[non_exhaustive]`): a `match` in another crate needs a
/// wildcard arm, and completeness is checked by tests over [`Reason::ALL`] instead.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    strum::VariantArray,
    strum::IntoStaticStr,
    strum::EnumString,
)]
#[non_exhaustive]
pub enum Reason {
    // ---- Bad input to a usage pull (never retried) ----
    /// An argument is wrong and no more specific reason applies (conflicting options, an unknown API
    /// name, a split plan that cannot apply). Fix the argument the message names.
    InvalidArgument,
    /// A subscription or subscriber id is not a GUID, or a subscriber id was given to the tenant API.
    /// Pass the subscription's GUID, not its name.
    InvalidSubscriptionId,
    /// A time does not parse, start is not before end, end is in the future, or a time is not aligned
    /// to the granularity (also the service's `RequestEndTimeIsInFuture` and rejected reported
    /// times). Use ISO 8601 times on the hour (Hourly) or at 00:00Z (Daily), end not after now.
    InvalidTimeRange,
    /// The granularity is neither Daily nor Hourly (also the service's
    /// `InvalidAggregationGranularity`). Use Daily or Hourly.
    InvalidGranularity,
    /// The api-version is empty, or the service does not know it (`NoApiVersion`,
    /// `NoRegisteredProviderFound`). Use the default, `2015-06-01-preview`.
    InvalidApiVersion,
    /// The service rejected the continuation token (malformed, truncated, forged, or from another
    /// query), or a token was combined with a split plan. Resume with the token exactly as printed,
    /// with the same query; or start over without a token.
    InvalidContinuationToken,
    /// The endpoint is not an http(s) URL. Use the stamp's ARM endpoint, e.g.
    /// `https://adminmanagement.local.azurestack.external`.
    InvalidEndpoint,
    /// The credential options do not make one credential (none, several, or an unknown kind). Pass one
    /// of a token, a client secret, or a certificate with its client id.
    InvalidCredential,
    /// The extra CA file cannot be read, is not PEM, or holds no usable certificate. Pass the PEM file
    /// of the stamp's root CA.
    CaFileInvalid,
    /// A meter file cannot be read or has a bad row (the message gives the line). Fix the file (JSON
    /// array of meters, or CSV with Id,Name,Unit,Category).
    MeterFileInvalid,
    /// The credential sees no subscription at the endpoint, so none could be chosen. Pass the
    /// subscription id, or give the identity a role on the Default Provider Subscription.
    SubscriptionNotFound,

    // ---- Connection state (the PowerShell module) ----
    /// No connection in this session. Run `Connect-AzsUsage` first.
    NotConnected,
    /// The native session is already connected (a module bug if it reaches a user). Connect again with
    /// a new session.
    AlreadyConnected,

    // ---- Authentication and authorization (never retried) ----
    /// Authentication failed: the metadata endpoint or the token endpoint refused or could not be
    /// read, the token was rejected (401), the certificate file is unusable, or Azure AD needs a
    /// tenant. Check the credential, the tenant, and that the endpoint matches the token's audience.
    AuthenticationFailed,
    /// Authenticated but not allowed (403). Give the identity a role (Reader or better) on the
    /// subscription.
    PermissionDenied,

    // ---- The service ----
    /// The service answered 4xx to a well-formed query for a reason not listed above (e.g.
    /// `SubscriberIdIsNotDirectTenant`, a 404 from a wrong endpoint). Fix what the message names;
    /// rerunning the same command cannot succeed.
    ServiceRejected,
    /// The service kept failing (429, 5xx) after every allowed retry. Retry later, narrow the time
    /// window, or split by subscriber; resume from the printed continuation token.
    ServiceUnavailable,
    /// The service answered something that is not a usage page (HTML from a proxy, truncated or
    /// malformed JSON, a bad record, a `nextLink` that loops or points to another host). Check proxies
    /// and the endpoint; resume from the printed continuation token.
    InvalidResponse,
    /// The connection kept failing (refused, reset, timed out) after every allowed retry. Check the
    /// endpoint, the network and proxies; resume from the printed continuation token.
    ConnectionFailed,
    /// TLS failed: the server's certificate is not trusted (or not valid), or the endpoint does not
    /// speak TLS. Trust the stamp's CA with an extra CA file (labs only: skip certificate checks).
    TlsFailed,

    // ---- Control ----
    /// The caller cancelled the operation (Ctrl+C, `Stop-Pipeline`). Rerun; resume from the printed
    /// continuation token.
    OperationCancelled,
    /// A bug (a broken invariant, a contained panic). Report it with the message; the session stays
    /// usable.
    InternalError,

    // ---- Billing: pricing inputs ----
    /// A rate card has a bad row or value (the message gives file, line and column). Fix the rate card.
    RateCardInvalid,
    /// A rate card contradicts itself: two currencies, overlapping validity ranges, duplicate tiers.
    /// Keep one currency and one price per meter, offer, tier and date.
    RateCardConflict,
    /// A usage file (CLI CSV/NDJSON, `Export-Csv`) cannot be read or has a bad row (file, line,
    /// column). Fix or re-export the file.
    UsageFileInvalid,
    /// A directory file (`azs-usage subscriptions` CSV) cannot be read or has a bad row. Fix or
    /// re-export the file.
    DirectoryFileInvalid,
    /// `--strict` refused usage that no rate card row prices (the message names the meters). Add the
    /// prices, or run without `--strict` to report the unpriced usage separately.
    UnpricedUsage,
    /// A FOCUS file cannot be read or is not a FOCUS file this tool wrote. Pass a FOCUS CSV or Parquet
    /// file written by `azs-usage`.
    FocusFileInvalid,

    // ---- Billing: output ----
    /// The output path cannot be used (it is a directory, or its parent does not exist). Pass a file
    /// path in an existing directory.
    OutputPathInvalid,
    /// Writing the output failed (disk full, permissions, I/O error); nothing is left under the final
    /// name. Free space or fix permissions, then rerun.
    OutputWriteFailed,

    // ---- Billing: the database ----
    /// The database URL does not parse or names an unknown engine. Use `sqlite:PATH` or
    /// `postgres://user@host:port/db`.
    DatabaseUrlInvalid,
    /// The database server cannot be reached (refused, timed out, authentication failed). Check the
    /// server, the network and the password variable; retry later.
    DatabaseUnavailable,
    /// The database cannot be used: the file is not a database, is read-only, or is corrupt. Point to
    /// a writable database file, or a new path.
    DatabaseNotUsable,
    /// The database was migrated by a newer azs-usage. Upgrade azs-usage (never downgrade a schema).
    SchemaTooNew,
    /// Another sync run holds the database's lock. Wait for it to finish (runs are serialised); the
    /// next scheduled run catches up.
    SyncLocked,
    /// The stamps file is bad: a syntax error, a missing field, a secret written in it, or a missing
    /// environment variable it names. Fix the file; put secrets in the environment variables it names.
    StampConfigInvalid,

    // ---- Billing: reports ----
    /// The report could not be built (no rows for the period, a template or chart failure). Check
    /// the period and the input; report a bug if the input is fine.
    ReportFailed,
    /// No headless browser was found to print the report to PDF. Install Chromium or Edge, or pass
    /// its path; the HTML report needs none.
    BrowserUnavailable,
}

impl Reason {
    /// Every reason, in declaration order. Tests iterate it to prove that each one is in
    /// `docs/errors.md`, the FFI enum, the module's switch and the CLI's exit-code match.
    pub const ALL: &'static [Reason] = <Reason as strum::VariantArray>::VARIANTS;

    /// The variant's name (`InvalidTimeRange`), stable: it is the name in `docs/errors.md` and the
    /// FFI enum.
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error that knows its [`Reason`]. Every layer's error type implements it (the core's
/// [`Error`], the pricing, store and report errors), so the CLI's exit code and the module's
/// ErrorId are computed from any of them in one place.
pub trait HasReason: std::error::Error {
    /// Why the operation failed.
    fn reason(&self) -> Reason;
}

/// The error's sources, outermost first, each as its own text (a part already contained in the
/// text before it is skipped, as some libraries repeat their cause). For `-v` / `-Verbose`.
pub fn source_chain(error: &(dyn std::error::Error + 'static)) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut shown = error.to_string();
    let mut next = error.source();
    while let Some(cause) = next {
        let text = cause.to_string();
        if !text.is_empty() && !shown.contains(&text) {
            shown.push_str(&text);
            out.push(text);
        }
        next = cause.source();
    }
    out
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reason_has_a_stable_unique_name() {
        let mut names: Vec<&str> = Reason::ALL.iter().map(|r| r.as_str()).collect();
        assert!(names.len() >= 38, "{names:?}");
        for r in Reason::ALL {
            assert_eq!(r.as_str().parse::<Reason>(), Ok(*r));
            assert_eq!(r.to_string(), format!("{r:?}"));
        }
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Reason::ALL.len());
    }
}
