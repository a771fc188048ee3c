using System.Management.Automation;

namespace AzsUsage.Commands;

/// <summary>
/// Usage records of one tenant subscription (the tenant usageAggregates API), with the AzureRM
/// Get-UsageAggregates parameters. Writes AzsUsage.UsageRecord objects as pages arrive.
/// </summary>
[Cmdlet(VerbsCommon.Get, "UsageAggregate")]
[Alias("Get-UsageAggregates")]
[OutputType(typeof(UsageRecord))]
[OutputType(typeof(UsagePage))]
public sealed class GetUsageAggregateCommand : UsagePullCommand
{
    /// <summary>The tenant subscription; default: the connection's subscription.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true, HelpMessage = "Tenant subscription id (GUID).")]
    [ValidateNotNullOrEmpty]
    public string? SubscriptionId { get; set; }

    /// <inheritdoc/>
    protected override string Api => "Tenant";

    /// <inheritdoc/>
    protected override string Activity => "Get-UsageAggregate";

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        var c = RequireConnection();
        string sub = SubscriptionId ?? c.SubscriptionId;
        Pull(c, sub, "", sub);
    }
}
