//! Wire DTOs: plain data that crosses the boundary as one serialized buffer (`Wire<T>`) and arrives
//! in C# as managed classes with `string`/`List<>` fields. Text only: instants are ISO 8601 UTC
//! (`2026-11-01T13:00:00Z`), quantities plain decimal text, so nothing is rounded on the way.

use interoptopus::ffi;

/// One key/value pair of an ordered map (tags, additional info).
#[ffi]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyValue {
    /// The key.
    pub key: String,
    /// The value, as text.
    pub text: String,
}

/// One usage record: the 17 schema fields (record-schema.md) in order, as text.
#[ffi]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordDto {
    /// The tenant subscription the usage belongs to.
    pub subscription_id: String,
    /// Meter id as sent by the service.
    pub meter_id: String,
    /// Catalog name; empty when the meter is unknown.
    pub meter_name: String,
    /// Catalog category; empty when unknown.
    pub meter_category: String,
    /// Catalog unit; empty when unknown.
    pub unit: String,
    /// Plain decimal text with `.` (never through a float).
    pub quantity: String,
    /// ISO 8601 UTC with `Z`.
    pub usage_start_time: String,
    /// ISO 8601 UTC with `Z`.
    pub usage_end_time: String,
    /// Resource URI as sent.
    pub resource_uri: String,
    /// Resource group parsed from the URI.
    pub resource_group: String,
    /// Provider namespace, e.g. `Microsoft.Compute`.
    pub resource_provider: String,
    /// Resource type with child types.
    pub resource_type: String,
    /// Resource name with child names.
    pub resource_name: String,
    /// Region.
    pub location: String,
    /// In the service's order.
    pub tags: Vec<KeyValue>,
    /// In the service's order.
    pub additional_info: Vec<KeyValue>,
    /// The raw `instanceData` string.
    pub instance_data: String,
}

/// Why a call failed: `azs_usage_core::Reason` as a C-like enum, so the module maps a value rather
/// than text (`module/src/Errors.cs`, one switch). Append new reasons at the end with the next
/// number; never renumber (the module's `AzsUsage.Reason` mirrors these values, and a test checks
/// both against `docs/errors.md`).
#[ffi]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorReason {
    /// `Reason::InvalidArgument`.
    InvalidArgument = 0,
    /// `Reason::InvalidSubscriptionId`.
    InvalidSubscriptionId = 1,
    /// `Reason::InvalidTimeRange`.
    InvalidTimeRange = 2,
    /// `Reason::InvalidGranularity`.
    InvalidGranularity = 3,
    /// `Reason::InvalidApiVersion`.
    InvalidApiVersion = 4,
    /// `Reason::InvalidContinuationToken`.
    InvalidContinuationToken = 5,
    /// `Reason::InvalidEndpoint`.
    InvalidEndpoint = 6,
    /// `Reason::InvalidCredential`.
    InvalidCredential = 7,
    /// `Reason::CaFileInvalid`.
    CaFileInvalid = 8,
    /// `Reason::MeterFileInvalid`.
    MeterFileInvalid = 9,
    /// `Reason::SubscriptionNotFound`.
    SubscriptionNotFound = 10,
    /// `Reason::NotConnected`.
    NotConnected = 11,
    /// `Reason::AlreadyConnected`.
    AlreadyConnected = 12,
    /// `Reason::AuthenticationFailed`.
    AuthenticationFailed = 13,
    /// `Reason::PermissionDenied`.
    PermissionDenied = 14,
    /// `Reason::ServiceRejected`.
    ServiceRejected = 15,
    /// `Reason::ServiceUnavailable`.
    ServiceUnavailable = 16,
    /// `Reason::InvalidResponse`.
    InvalidResponse = 17,
    /// `Reason::ConnectionFailed`.
    ConnectionFailed = 18,
    /// `Reason::TlsFailed`.
    TlsFailed = 19,
    /// `Reason::OperationCancelled`.
    OperationCancelled = 20,
    /// `Reason::InternalError`.
    InternalError = 21,
    /// `Reason::RateCardInvalid`.
    RateCardInvalid = 22,
    /// `Reason::RateCardConflict`.
    RateCardConflict = 23,
    /// `Reason::UsageFileInvalid`.
    UsageFileInvalid = 24,
    /// `Reason::DirectoryFileInvalid`.
    DirectoryFileInvalid = 25,
    /// `Reason::UnpricedUsage`.
    UnpricedUsage = 26,
    /// `Reason::FocusFileInvalid`.
    FocusFileInvalid = 27,
    /// `Reason::OutputPathInvalid`.
    OutputPathInvalid = 28,
    /// `Reason::OutputWriteFailed`.
    OutputWriteFailed = 29,
    /// `Reason::DatabaseUrlInvalid`.
    DatabaseUrlInvalid = 30,
    /// `Reason::DatabaseUnavailable`.
    DatabaseUnavailable = 31,
    /// `Reason::DatabaseNotUsable`.
    DatabaseNotUsable = 32,
    /// `Reason::SchemaTooNew`.
    SchemaTooNew = 33,
    /// `Reason::SyncLocked`.
    SyncLocked = 34,
    /// `Reason::StampConfigInvalid`.
    StampConfigInvalid = 35,
    /// `Reason::ReportFailed`.
    ReportFailed = 36,
    /// `Reason::BrowserUnavailable`.
    BrowserUnavailable = 37,
}

/// A domain error: what the core (or this layer) reported.
#[ffi]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorDto {
    /// Why it failed: decides the cmdlet's ErrorId and ErrorCategory.
    pub reason: ErrorReason,
    /// The service's error code, or empty.
    pub code: String,
    /// Human-readable message (no secrets).
    pub message: String,
    /// The error's causes (`std::error::Error::source`), outermost first, for `-Verbose`.
    pub causes: Vec<String>,
    /// HTTP status of the last response, 0 when none.
    pub status: u32,
    /// `x-ms-request-id` of the last response, or empty.
    pub request_id: String,
    /// Attempts made for the failing request.
    pub attempts: u32,
    /// The token to resume from (empty: start from the beginning of the query).
    pub resume_token: String,
}

/// A list of errors (the test-only `azs_debug_errors`).
#[ffi]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorList {
    /// One error per reason, in `Reason::ALL` order.
    pub errors: Vec<ErrorDto>,
}

/// One page from a cursor, or the error that ended the pull.
#[ffi]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageDto {
    /// The page's records, in service order.
    pub records: Vec<RecordDto>,
    /// Resumes right after this page; empty on the last page.
    pub continuation_token: String,
    /// `x-ms-request-id` of the response, or empty.
    pub request_id: String,
    /// Keys repeated from an earlier page of the same pull.
    pub duplicates: Vec<String>,
    /// 1 when the pull is over (no records in this page, nothing more to fetch).
    pub done: u8,
    /// Set when the pull failed; `records` is then empty.
    pub error: Vec<ErrorDto>,
}

/// A text result (default subscription, connection check) or its error.
#[ffi]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextOutcome {
    /// The result; empty when the call failed.
    pub text: String,
    /// Set (one element) when the call failed.
    pub error: Vec<ErrorDto>,
}

/// One verbose event, already rendered for `WriteVerbose` (secrets are never in it).
#[ffi]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventDto {
    /// `Request`, `Response`, `RetryWait`, `Duplicate`.
    pub kind: String,
    /// The rendered line.
    pub message: String,
}

/// A batch of verbose events.
#[ffi]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventList {
    /// The events, oldest first.
    pub events: Vec<EventDto>,
}

/// One meter of the catalog.
#[ffi]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeterDto {
    /// Meter id as published.
    pub id: String,
    /// Meter name.
    pub name: String,
    /// Unit of the quantity.
    pub unit: String,
    /// Category.
    pub category: String,
    /// 1 for a superseded meter still recognised in old data.
    pub deprecated: u8,
    /// Short description.
    pub notes: String,
}

/// The meter catalog.
#[ffi]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeterList {
    /// The meters, in the catalog's stable order.
    pub meters: Vec<MeterDto>,
}

/// How to connect: endpoint, credential and TLS. `Debug` never shows the secret or the certificate password.
#[ffi]
#[derive(Clone, PartialEq, Eq)]
pub struct ConnectOptionsDto {
    /// ARM endpoint URL.
    pub endpoint: String,
    /// `Anonymous`, `Token`, `ClientSecret` or `Certificate`.
    pub credential_kind: String,
    /// Client (application) id for `ClientSecret`/`Certificate`.
    pub client_id: String,
    /// The token or client secret (never echoed back).
    pub secret: String,
    /// Directory tenant, or empty.
    pub tenant: String,
    /// PEM file for `Certificate`.
    pub certificate_path: String,
    /// Password of the certificate's key, or empty.
    pub certificate_password: String,
    /// Extra CA PEM file, or empty.
    pub ca_file: String,
    /// 1: accept any server certificate.
    pub insecure: u8,
    /// Request timeout in seconds (0: the core's default).
    pub timeout_seconds: u32,
    /// Retries per request after the first attempt (-1: the core's default policy).
    pub max_retries: i32,
}

impl std::fmt::Debug for ConnectOptionsDto {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectOptionsDto")
            .field("endpoint", &self.endpoint)
            .field("credential_kind", &self.credential_kind)
            .field("client_id", &self.client_id)
            .field("secret", &redacted(&self.secret))
            .field("tenant", &self.tenant)
            .field("certificate_path", &self.certificate_path)
            .field("certificate_password", &redacted(&self.certificate_password))
            .field("ca_file", &self.ca_file)
            .field("insecure", &self.insecure)
            .field("timeout_seconds", &self.timeout_seconds)
            .field("max_retries", &self.max_retries)
            .finish()
    }
}

/// How a secret field shows in `Debug`: whether it is set, never its text.
pub(crate) fn redacted(secret: &str) -> &'static str {
    if secret.is_empty() { "<empty>" } else { "<redacted>" }
}

/// A usage query.
#[ffi]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryDto {
    /// `Tenant` or `Provider`.
    pub api: String,
    /// Tenant API: the subscription; provider API: the provider subscription.
    pub subscription_id: String,
    /// ISO 8601 with an offset.
    pub start: String,
    /// ISO 8601 with an offset.
    pub end: String,
    /// `Daily` or `Hourly` (any case).
    pub granularity: String,
    /// 1: instance-level records; 0: aggregated per meter.
    pub show_details: u8,
    /// Provider API: one tenant subscription, or empty.
    pub subscriber_id: String,
    /// Resume from this token, or empty.
    pub continuation_token: String,
    /// Sub-queries in flight (split by window); 0 or 1: one sequential pull.
    pub throttle_limit: u32,
}

/// One tenant subscription of the provider's directory: the directory file's columns (`DIRECTORY_FIELDS`), in
/// order, as text.
#[ffi]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantSubscriptionDto {
    /// The tenant subscription's id (GUID).
    pub subscription_id: String,
    /// Its display name.
    pub display_name: String,
    /// Owner (UPN).
    pub owner: String,
    /// Directory tenant id.
    pub tenant_id: String,
    /// Resource id of the offer.
    pub offer_id: String,
    /// The offer's display name (else its name).
    pub offer_name: String,
    /// `Enabled`, `Disabled`, `Deleted`, `Warned`, `PastDue`, `Deleting`, `PartiallyDeleted`, `NotDefined`.
    pub state: String,
    /// Empty for a direct tenant.
    pub delegated_provider_subscription_id: String,
    /// The provider subscription the directory was read from.
    pub provider_subscription_id: String,
}

/// The tenant directory, or the error that prevented reading it.
#[ffi]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryOutcome {
    /// Every tenant subscription, deleted ones included.
    pub subscriptions: Vec<TenantSubscriptionDto>,
    /// Set (one element) when the call failed; `subscriptions` is then empty.
    pub error: Vec<ErrorDto>,
}
