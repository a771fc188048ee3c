using System;
using System.Collections.Generic;
using System.Globalization;
using AzsUsage.Native;

namespace AzsUsage;

/// <summary>One scope (stamp, provider subscription, granularity) of a sync run.</summary>
public sealed class SyncScopeSummary
{
    /// <summary>The stamp's name.</summary>
    public string Stamp { get; init; } = "";
    /// <summary>The provider subscription whose tenants' usage was pulled.</summary>
    public string ProviderSubscriptionId { get; init; } = "";
    /// <summary>Hourly or Daily.</summary>
    public string Granularity { get; init; } = "";
    /// <summary>Reported-time windows committed.</summary>
    public long Windows { get; init; }
    /// <summary>Records stored.</summary>
    public long RecordsInserted { get; init; }
    /// <summary>Records of re-synced windows replaced.</summary>
    public long RecordsReplaced { get; init; }
    /// <summary>Every reported time before it is synced (null before the first window).</summary>
    public DateTimeOffset? Watermark { get; init; }
    /// <summary>Why the scope stopped early, or null.</summary>
    public string? Error { get; init; }

    internal static SyncScopeSummary From(SyncScopeDto d) => new()
    {
        Stamp = d.stamp,
        ProviderSubscriptionId = d.provider_subscription_id,
        Granularity = d.granularity,
        Windows = (long)d.windows,
        RecordsInserted = (long)d.records_inserted,
        RecordsReplaced = (long)d.records_replaced,
        Watermark = SyncRunSummary.Instant(d.watermark),
        Error = d.error.Count > 0 ? d.error[0].message : null,
    };
}

/// <summary>What one Sync-UsageAggregate run did: the row it wrote in the database's sync_runs table.</summary>
public sealed class SyncRunSummary
{
    /// <summary>The run's id in sync_runs.</summary>
    public long RunId { get; init; }
    /// <summary>Succeeded, Failed (see the errors written) or Cancelled.</summary>
    public string Status { get; init; } = "";
    /// <summary>The database, its password never shown.</summary>
    public string Database { get; init; } = "";
    /// <summary>When the run began.</summary>
    public DateTimeOffset StartedAt { get; init; }
    /// <summary>When it ended.</summary>
    public DateTimeOffset FinishedAt { get; init; }
    /// <summary>FinishedAt - StartedAt.</summary>
    public TimeSpan Duration { get; init; }
    /// <summary>Reported-time windows committed (each one transaction).</summary>
    public long Windows { get; init; }
    /// <summary>Records stored.</summary>
    public long RecordsInserted { get; init; }
    /// <summary>Records of re-synced windows replaced (a window is replaced as a whole).</summary>
    public long RecordsReplaced { get; init; }
    /// <summary>Tenant subscriptions stored by the directory refresh (0 with -NoDirectory or when it could not be read).</summary>
    public long DirectoryRows { get; init; }
    /// <summary>Months whose FOCUS cost rows were recomputed (-RateCard).</summary>
    public long CostMonths { get; init; }
    /// <summary>Cost rows written over those months.</summary>
    public long CostRows { get; init; }
    /// <summary>Per scope: windows, records and the watermark after the run.</summary>
    public IReadOnlyList<SyncScopeSummary> Scopes { get; init; } = Array.Empty<SyncScopeSummary>();
    /// <summary>Warnings (also written with WriteWarning): a directory that could not be refreshed, rate card notes.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = Array.Empty<string>();
    /// <summary>What failed (also written as errors), in order.</summary>
    public IReadOnlyList<string> Failures { get; init; } = Array.Empty<string>();

    /// <summary>Run id, status and counts.</summary>
    public override string ToString() =>
        $"run {RunId} {Status}: {Windows} windows, {RecordsInserted} records, {RecordsReplaced} replaced";

    internal static DateTimeOffset? Instant(string text) =>
        string.IsNullOrEmpty(text) ? null : DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

    internal static SyncRunSummary From(SyncSummaryDto d)
    {
        var started = Instant(d.started_at) ?? default;
        var finished = Instant(d.finished_at) ?? default;
        var scopes = new List<SyncScopeSummary>();
        foreach (var s in d.scopes) scopes.Add(SyncScopeSummary.From(s));
        var failures = new List<string>();
        foreach (var f in d.failures) failures.Add(f.message);
        return new SyncRunSummary
        {
            RunId = d.run_id,
            Status = d.status,
            Database = d.database,
            StartedAt = started,
            FinishedAt = finished,
            Duration = finished - started,
            Windows = (long)d.windows,
            RecordsInserted = (long)d.records_inserted,
            RecordsReplaced = (long)d.records_replaced,
            DirectoryRows = (long)d.directory_rows,
            CostMonths = (long)d.cost_months,
            CostRows = (long)d.cost_rows,
            Scopes = scopes,
            Warnings = d.warnings,
            Failures = failures,
        };
    }
}

/// <summary>The native sync calls (thin, like <see cref="NativeCalls"/>).</summary>
internal static class SyncCalls
{
    internal static SyncRun Start(Session s, SyncRequestDto r) => NativeCalls.Guard("sync_run_start", () => SyncRun.Start(s, r.Wire()));

    internal static SyncProgressDto Poll(SyncRun run, uint waitMs)
    {
        using var w = NativeCalls.Guard("sync_run_poll", () => run.Poll(waitMs));
        return w.Unwire();
    }

    internal static void Cancel(SyncRun run) => NativeCalls.Guard("sync_run_cancel", run.Cancel);
}
