//! Client core for the Azure Stack Hub usage APIs (provider `subscriberUsageAggregates` and tenant
//! `usageAggregates`, plus Azure's legacy Commerce `UsageAggregates`).
//!
//! The core knows nothing about FFI, CLIs or PowerShell: it turns a [`UsageQuery`] into a stream of
//! typed [`UsageRecord`]s (or [`Page`]s that carry the token to resume from), following `nextLink`,
//! retrying what is retryable and tolerating every quirk of the real service
//! (see `../shared/docs/usage-api.md` §2.3).
#![warn(missing_docs, unreachable_pub, missing_debug_implementations)]

pub mod auth;
pub mod catalog;
pub mod client;
pub mod directory;
pub mod error;
pub mod output_file;
pub mod parse;
pub mod query;
pub mod record;
pub mod retry;
pub mod split;
pub mod tls;

#[cfg(test)]
mod testserver;

pub use auth::Credential;
pub use catalog::{Meter, MeterCatalog};
pub use client::{ClientEvent, ClientOptions, Page, Subscription, UsageClient};
pub use directory::{DIRECTORY_FIELDS, Offer, TenantSubscription};
pub use error::{Error, ErrorKind, HasReason, Reason, Result, source_chain};
pub use output_file::{OutputFile, OutputKind, OutputTarget};
pub use query::{Api, DEFAULT_API_VERSION, Granularity, UsageQuery, parse_time};
pub use record::{FIELD_NAMES, StringMap, UsageRecord};
pub use retry::RetryPolicy;
pub use split::SplitPlan;
pub use tls::TlsOptions;

/// Re-exported so callers can build credentials and streams without naming the crates.
pub use secrecy::SecretString;
pub use url::Url;
