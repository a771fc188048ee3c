//! Wire DTOs: plain data that crosses the boundary as one serialized buffer (`Wire<T>`) and arrives
//! in C# as managed classes with `string`/`List<>` fields. Text only: instants are ISO 8601 UTC
//! (`2026-11-01T13:00:00Z`), quantities plain decimal text, so nothing is rounded on the way.

use interoptopus::ffi;

/// One key/value pair of an ordered map (tags, additional info).
#[ffi]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyValue {
    pub key: String,
    pub text: String,
}

/// One usage record: the 17 schema fields (record-schema.md) in order, as text.
#[ffi]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordDto {
    pub subscription_id: String,
    pub meter_id: String,
    pub meter_name: String,
    pub meter_category: String,
    pub unit: String,
    /// Plain decimal text with `.` (never through a float).
    pub quantity: String,
    /// ISO 8601 UTC with `Z`.
    pub usage_start_time: String,
    /// ISO 8601 UTC with `Z`.
    pub usage_end_time: String,
    pub resource_uri: String,
    pub resource_group: String,
    pub resource_provider: String,
    pub resource_type: String,
    pub resource_name: String,
    pub location: String,
    /// In the service's order.
    pub tags: Vec<KeyValue>,
    /// In the service's order.
    pub additional_info: Vec<KeyValue>,
    pub instance_data: String,
}

/// A domain error: what the core reported, translated to text.
#[ffi]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorDto {
    /// The core's `ErrorKind` name: `InvalidInput`, `Unauthenticated`, `PermissionDenied`,
    /// `Rejected`, `Service`, `Decode`, `Transport`, `Cancelled`, `Internal`.
    pub kind: String,
    /// The service's error code, or empty.
    pub code: String,
    /// Human-readable message (no secrets).
    pub message: String,
    /// HTTP status of the last response, 0 when none.
    pub status: u32,
    /// `x-ms-request-id` of the last response, or empty.
    pub request_id: String,
    /// Attempts made for the failing request.
    pub attempts: u32,
    /// The token to resume from (empty: start from the beginning of the query).
    pub resume_token: String,
}

/// One page from a cursor, or the error that ended the pull.
#[ffi]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageDto {
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
    pub message: String,
}

/// A batch of verbose events.
#[ffi]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventList {
    pub events: Vec<EventDto>,
}

/// One meter of the catalog.
#[ffi]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeterDto {
    pub id: String,
    pub name: String,
    pub unit: String,
    pub category: String,
    pub deprecated: u8,
    pub notes: String,
}

/// The meter catalog.
#[ffi]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeterList {
    pub meters: Vec<MeterDto>,
}

/// How to connect: endpoint, credential and TLS.
#[ffi]
#[derive(Debug, Clone, PartialEq, Eq)]
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
    pub subscription_id: String,
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
    pub subscriptions: Vec<TenantSubscriptionDto>,
    /// Set (one element) when the call failed; `subscriptions` is then empty.
    pub error: Vec<ErrorDto>,
}
