//! The tenant directory of a stamp, as each run refreshes it.

use azs_usage_core::{TenantSubscription, UsageClient};

use crate::error::{Error, Result};

/// The stamp's tenant subscriptions (deleted ones included), read from the provider's
/// `Microsoft.Subscriptions.Admin` API. A tenant identity or endpoint gets an error here
/// (`PermissionDenied` for a 403); the run turns it into a warning and keeps the stored directory.
pub(crate) async fn fetch(client: &UsageClient, provider_subscription: &str) -> Result<Vec<TenantSubscription>> {
    client.tenant_subscriptions(provider_subscription).await.map_err(|e| Error::from_client(&e))
}
