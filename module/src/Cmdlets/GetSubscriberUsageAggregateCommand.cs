using System.Management.Automation;

namespace AzsUsage.Commands;

/// <summary>
/// Usage records of every tenant subscription, or of one (-SubscriberId), through the provider
/// subscriberUsageAggregates API on an admin endpoint. Writes AzsUsage.UsageRecord objects as pages arrive.
/// </summary>
[Cmdlet(VerbsCommon.Get, "SubscriberUsageAggregate")]
[Alias("Get-SubscriberUsageAggregates", "Get-AzsSubscriberUsage")]
[OutputType(typeof(UsageRecord))]
[OutputType(typeof(UsagePage))]
public sealed class GetSubscriberUsageAggregateCommand : UsagePullCommand
{
    /// <summary>One tenant subscription; default: all (deleted subscriptions included).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true, HelpMessage = "Tenant subscription id to restrict to (GUID).")]
    [ValidateNotNullOrEmpty]
    public string? SubscriberId { get; set; }

    /// <summary>The provider subscription; default: the connection's subscription.</summary>
    [Parameter(HelpMessage = "Provider subscription id (GUID).")]
    [ValidateNotNullOrEmpty]
    public string? SubscriptionId { get; set; }

    /// <inheritdoc/>
    protected override string Api => "Provider";

    /// <inheritdoc/>
    protected override string Activity => "Get-SubscriberUsageAggregate";

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        var c = RequireConnection();
        string sub = SubscriptionId ?? c.SubscriptionId;
        Pull(c, sub, SubscriberId ?? "", (object?)SubscriberId ?? sub);
    }
}
