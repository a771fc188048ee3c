//! One FOCUS 1.2 cost row per priced usage record: the shape every writer, reader, table and
//! report shares. Column names are the spec's; extras carry the `x_` prefix (column_handling.md).
//!
//! The row is typed (decimals, UTC instants, a tag map) so that CSV and Parquet writers, the
//! database and the report format it once each, in the spec's formats.

use azs_usage_core::StringMap;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

/// Column names in file order: the 21 mandatory columns, the conditional and recommended ones a
/// stamp's usage supports, then the `x_` extras. Append new columns at the end; never rename or
/// reorder (the database and BI models follow this list).
pub const FOCUS_COLUMNS: [&str; 47] = [
    // Mandatory (FOCUS 1.2).
    "BilledCost",
    "BillingAccountId",
    "BillingAccountName",
    "BillingCurrency",
    "BillingPeriodEnd",
    "BillingPeriodStart",
    "ChargeCategory",
    "ChargeClass",
    "ChargeDescription",
    "ChargePeriodEnd",
    "ChargePeriodStart",
    "ContractedCost",
    "EffectiveCost",
    "InvoiceIssuerName",
    "ListCost",
    "PricingQuantity",
    "PricingUnit",
    "ProviderName",
    "PublisherName",
    "ServiceCategory",
    "ServiceName",
    // Conditional and recommended columns this data supports.
    "ChargeFrequency",
    "ConsumedQuantity",
    "ConsumedUnit",
    "ContractedUnitPrice",
    "ListUnitPrice",
    "PricingCategory",
    "RegionId",
    "RegionName",
    "ResourceId",
    "ResourceName",
    "ResourceType",
    "ServiceSubcategory",
    "SkuId",
    "SkuMeter",
    "SkuPriceDetails",
    "SkuPriceId",
    "SubAccountId",
    "SubAccountName",
    "SubAccountType",
    "Tags",
    // Extras.
    "x_MeterId",
    "x_MeterCategory",
    "x_ResourceGroup",
    "x_TenantId",
    "x_Owner",
    "x_OfferName",
];

/// One FOCUS row. Field order follows [`FOCUS_COLUMNS`]; `None` is a null cell, and so is an empty
/// string: the writers write it as null (FOCUS forbids empty strings standing for null), the
/// readers give it back as an empty string.
///
/// Invariants the cost engine guarantees (and the conformance tests check):
/// `ListCost == ListUnitPrice * PricingQuantity`, `ContractedCost == ContractedUnitPrice *
/// PricingQuantity`, `PricingQuantity == ConsumedQuantity / block size`, `BilledCost ==
/// EffectiveCost` (no commitment discounts on a stamp), every unit price `>= 0`, instants UTC.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FocusRow {
    /// The cost after included quantity and tiers, in `billing_currency`.
    pub billed_cost: Decimal,
    /// The provider's billing account (an option; default the provider subscription id).
    pub billing_account_id: String,
    /// Display name of the billing account (an option).
    pub billing_account_name: String,
    /// ISO 4217 code of the rate card.
    pub billing_currency: String,
    /// First instant after the record's calendar month (UTC), exclusive.
    pub billing_period_end: DateTime<Utc>,
    /// First instant of the record's calendar month (UTC).
    pub billing_period_start: DateTime<Utc>,
    /// Always `Usage` for priced usage records.
    pub charge_category: String,
    /// Null for regular rows (`Correction` only for corrections, which this engine never writes).
    pub charge_class: Option<String>,
    /// Human description, e.g. `Base VM Size Hours for vm01 (12 Virtual core hours)`.
    pub charge_description: String,
    /// The record's `UsageEndTime`.
    pub charge_period_end: DateTime<Utc>,
    /// The record's `UsageStartTime`.
    pub charge_period_start: DateTime<Utc>,
    /// `ContractedUnitPrice * PricingQuantity`.
    pub contracted_cost: Decimal,
    /// Equal to `billed_cost`.
    pub effective_cost: Decimal,
    /// Who issues the invoice (an option; default the provider name).
    pub invoice_issuer_name: String,
    /// `ListUnitPrice * PricingQuantity`.
    pub list_cost: Decimal,
    /// `ConsumedQuantity / BlockSize`.
    pub pricing_quantity: Decimal,
    /// The priced unit, e.g. `10000 Requests` for a block of 10,000.
    pub pricing_unit: String,
    /// The cloud provider (an option; default `Azure Stack Hub`).
    pub provider_name: String,
    /// The publisher (an option; default `Microsoft`).
    pub publisher_name: String,
    /// One of FOCUS's 19 service categories.
    pub service_category: String,
    /// The service, e.g. `Virtual Machines`, `Storage`, `App Service`.
    pub service_name: String,
    /// `Usage-Based`.
    pub charge_frequency: String,
    /// The record's `Quantity`.
    pub consumed_quantity: Decimal,
    /// The meter's unit (the catalog's).
    pub consumed_unit: String,
    /// Price per pricing unit of the winning scope at tier 0.
    pub contracted_unit_price: Decimal,
    /// Price per pricing unit of the `*` scope at tier 0 (the winning scope's when no `*` row applies).
    pub list_unit_price: Decimal,
    /// `Standard`.
    pub pricing_category: String,
    /// The record's `Location`.
    pub region_id: String,
    /// The record's `Location` (the stamp's region name).
    pub region_name: String,
    /// The record's `ResourceUri`.
    pub resource_id: String,
    /// The record's `ResourceName`.
    pub resource_name: String,
    /// `ResourceProvider/ResourceType`, e.g. `Microsoft.Compute/virtualMachines`.
    pub resource_type: String,
    /// Finer service grouping (the meter category).
    pub service_subcategory: String,
    /// The meter id, normalised (lower case, dashes).
    pub sku_id: String,
    /// The meter name.
    pub sku_meter: String,
    /// JSON object describing the price applied (block size, included quantity, tiers, scope).
    pub sku_price_details: String,
    /// The id of the rate-card price row applied (stable across runs of the same card).
    pub sku_price_id: String,
    /// The tenant subscription id.
    pub sub_account_id: String,
    /// The subscription's display name from the directory (empty when unknown).
    pub sub_account_name: String,
    /// `Subscription`.
    pub sub_account_type: String,
    /// The record's tags (values never altered); written as a JSON object.
    pub tags: StringMap,
    /// The meter id as the stamp sent it.
    pub x_meter_id: String,
    /// The catalog's meter category.
    pub x_meter_category: String,
    /// The record's resource group.
    pub x_resource_group: String,
    /// The subscription's directory tenant id (empty when the directory does not know it).
    pub x_tenant_id: String,
    /// The subscription's owner (empty when unknown).
    pub x_owner: String,
    /// The subscription's offer name (empty when unknown).
    pub x_offer_name: String,
}
