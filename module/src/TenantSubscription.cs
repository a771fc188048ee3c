using AzsUsage.Native;

namespace AzsUsage;

/// <summary>
/// One tenant subscription of the provider's directory. The properties are the directory file's columns, in order
/// (SubscriptionId, DisplayName, Owner, TenantId, OfferId, OfferName, State, DelegatedProviderSubscriptionId,
/// ProviderSubscriptionId), so <c>Get-UsageSubscription | Export-Csv</c> writes the file that costs are computed with.
/// </summary>
public sealed class TenantSubscription
{
    /// <summary>Subscription id.</summary>
    public string SubscriptionId { get; init; } = "";
    /// <summary>Display name chosen by the tenant.</summary>
    public string DisplayName { get; init; } = "";
    /// <summary>Owner (UPN).</summary>
    public string Owner { get; init; } = "";
    /// <summary>Directory tenant id.</summary>
    public string TenantId { get; init; } = "";
    /// <summary>Resource id of the offer the subscription was created from.</summary>
    public string OfferId { get; init; } = "";
    /// <summary>The offer's display name (else its name).</summary>
    public string OfferName { get; init; } = "";
    /// <summary>Enabled, Disabled, Deleted, Warned, PastDue, Deleting, PartiallyDeleted or NotDefined.</summary>
    public string State { get; init; } = "";
    /// <summary>The delegated provider's subscription; empty for a direct tenant.</summary>
    public string DelegatedProviderSubscriptionId { get; init; } = "";
    /// <summary>The provider subscription the directory was read from.</summary>
    public string ProviderSubscriptionId { get; init; } = "";

    internal static TenantSubscription From(TenantSubscriptionDto d) => new()
    {
        SubscriptionId = d.subscription_id,
        DisplayName = d.display_name,
        Owner = d.owner,
        TenantId = d.tenant_id,
        OfferId = d.offer_id,
        OfferName = d.offer_name,
        State = d.state,
        DelegatedProviderSubscriptionId = d.delegated_provider_subscription_id,
        ProviderSubscriptionId = d.provider_subscription_id,
    };
}
