//! The tenant directory of a stamp, as each run refreshes it.

use azs_usage_core::{TenantSubscription, UsageClient};

use crate::error::Result;

/// The stamp's tenant subscriptions, or `None` when this build has no directory client yet.
// The admin directory client (`UsageClient::tenant_subscriptions`) is being added to the core on
// the `directory` branch; until it lands the stored directory is kept as it is.
pub(crate) async fn fetch(
    _client: &UsageClient,
    _provider_subscription: &str,
) -> Result<Option<Vec<TenantSubscription>>> {
    Ok(None)
}
