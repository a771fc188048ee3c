//! The tenant directory: who owns each tenant subscription, in which directory and on which offer
//! (`Microsoft.Subscriptions.Admin`, api-version 2015-11-01; billing.md §3).
//!
//! Pricing uses it for offer-scoped prices and for the FOCUS `SubAccount*` and `x_TenantId` /
//! `x_Owner` / `x_OfferName` columns; the sync job stores it; reports name tenants with it.

use serde::{Deserialize, Serialize};

/// Column names of the directory file (`azs-usage subscriptions` CSV, `Get-UsageSubscription |
/// Export-Csv`), in order. The same file is read back wherever costs are computed from files
/// (`--directory FILE`). Append new columns at the end; never rename or reorder.
pub const DIRECTORY_FIELDS: [&str; 9] = [
    "SubscriptionId",
    "DisplayName",
    "Owner",
    "TenantId",
    "OfferId",
    "OfferName",
    "State",
    "DelegatedProviderSubscriptionId",
    "ProviderSubscriptionId",
];

/// One tenant subscription as the provider sees it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TenantSubscription {
    /// Subscription GUID (as sent; compare case-insensitively).
    pub subscription_id: String,
    /// Display name chosen by the tenant.
    pub display_name: String,
    /// Owner (UPN), e.g. `admin@contoso.onmicrosoft.com`.
    pub owner: String,
    /// Directory tenant id (the tenant's Azure AD / AD FS directory).
    pub tenant_id: String,
    /// Resource id of the offer the subscription was created from.
    pub offer_id: String,
    /// The offer's name (last segment of `offer_id`, or the offer's display name when known).
    pub offer_name: String,
    /// `Enabled`, `Disabled`, `Deleted`, `Warned`, `PastDue`, `Deleting`, `PartiallyDeleted`, `NotDefined`.
    pub state: String,
    /// The delegated provider's subscription when a reseller owns the tenant; empty when direct.
    pub delegated_provider_subscription_id: String,
    /// The provider subscription the directory was read from.
    pub provider_subscription_id: String,
}

impl TenantSubscription {
    /// The fields in [`DIRECTORY_FIELDS`] order, as text.
    pub fn text_fields(&self) -> [&str; 9] {
        [
            &self.subscription_id,
            &self.display_name,
            &self.owner,
            &self.tenant_id,
            &self.offer_id,
            &self.offer_name,
            &self.state,
            &self.delegated_provider_subscription_id,
            &self.provider_subscription_id,
        ]
    }
}

/// An offer (`Microsoft.Subscriptions.Admin/offers`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Offer {
    /// Resource id (`/subscriptions/{p}/resourceGroups/{rg}/providers/Microsoft.Subscriptions.Admin/offers/{name}`).
    pub id: String,
    /// Offer name (last segment of the id).
    pub name: String,
    /// Display name.
    pub display_name: String,
    /// `Public`, `Private`, `Decommissioned`.
    pub state: String,
}
