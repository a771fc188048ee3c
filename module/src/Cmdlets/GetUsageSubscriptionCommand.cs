using System;
using System.Collections.Generic;
using System.Management.Automation;

namespace AzsUsage.Commands;

/// <summary>
/// The provider's tenant directory: every tenant subscription with its owner, directory tenant, offer and state
/// (Microsoft.Subscriptions.Admin), optionally filtered by subscription id or state. Needs an operator connection.
/// </summary>
[Cmdlet(VerbsCommon.Get, "UsageSubscription")]
[OutputType(typeof(TenantSubscription))]
public sealed class GetUsageSubscriptionCommand : PSCmdlet
{
    /// <summary>Only these subscriptions (ids compared without case); each id not found is a non-terminating error.</summary>
    [Parameter(Position = 0)]
    [ValidateNotNullOrEmpty]
    public string[]? SubscriptionId { get; set; }

    /// <summary>Only subscriptions in these states.</summary>
    [Parameter]
    [ValidateSet("Enabled", "Disabled", "Deleted", "Warned", "PastDue", "Deleting", "PartiallyDeleted", "NotDefined", IgnoreCase = true)]
    public string[]? State { get; set; }

    /// <summary>The provider subscription to read the directory from (default: the connection's subscription).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? ProviderSubscriptionId { get; set; }

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        var directory = Read();
        var states = State == null ? null : new HashSet<string>(State, StringComparer.OrdinalIgnoreCase);
        var ids = SubscriptionId == null ? null : new HashSet<string>(SubscriptionId, StringComparer.OrdinalIgnoreCase);
        var found = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var s in directory)
        {
            if (ids != null && !ids.Contains(s.SubscriptionId)) continue;
            if (states != null && !states.Contains(s.State)) continue;
            found.Add(s.SubscriptionId);
            WriteObject(s);
        }
        if (SubscriptionId == null) return;
        foreach (var id in SubscriptionId)
        {
            // Filtered out by -State is not "not found".
            if (found.Contains(id) || (states != null && directory.Exists(s => s.SubscriptionId.Equals(id, StringComparison.OrdinalIgnoreCase)))) continue;
            WriteError(new ErrorRecord(
                new ItemNotFoundException($"No tenant subscription '{id}' in the directory of provider subscription {ProviderOf(directory)}."),
                "SubscriptionNotFound", ErrorCategory.ObjectNotFound, id));
        }
    }

    private List<TenantSubscription> Read()
    {
        var connection = AzsUsageConnection.GetCurrent();
        if (connection == null) ThrowTerminatingError(ErrorMapper.NotConnected());
        string provider = ProviderSubscriptionId ?? connection!.SubscriptionId;
        var list = new List<TenantSubscription>();
        try
        {
            var outcome = NativeCalls.TenantSubscriptions(connection!.Session, provider);
            foreach (var e in NativeCalls.DrainEvents(connection.Session)) WriteVerbose(e.message);
            if (outcome.error.Count > 0) ThrowTerminatingError(ErrorMapper.From(outcome.error[0], provider, false));
            foreach (var d in outcome.subscriptions) list.Add(TenantSubscription.From(d));
        }
        catch (NativeInternalException ex) { ThrowTerminatingError(ErrorMapper.Internal(ex)); }
        WriteVerbose($"{list.Count} tenant subscriptions in the directory of provider subscription {provider}.");
        return list;
    }

    private string ProviderOf(List<TenantSubscription> directory) =>
        directory.Count > 0 ? directory[0].ProviderSubscriptionId : ProviderSubscriptionId ?? AzsUsageConnection.GetCurrent()?.SubscriptionId ?? "";
}
