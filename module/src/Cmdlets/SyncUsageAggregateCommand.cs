using System;
using System.Diagnostics;
using System.Management.Automation;
using AzsUsage.Native;

namespace AzsUsage.Commands;

/// <summary>
/// The hourly billing sync from PowerShell (azs-usage sync): pulls the usage of the connected stamp into an SQLite or
/// PostgreSQL database, every record exactly once, through the C ABI. The run happens on the native runtime in the
/// background; this cmdlet polls it for Write-Progress and -Verbose lines on the pipeline thread. StopProcessing
/// (Ctrl+C) cancels it: the window in progress rolls back and the run is recorded as cancelled.
/// </summary>
[Cmdlet(VerbsData.Sync, "UsageAggregate", DefaultParameterSetName = Incremental)]
[OutputType(typeof(SyncRunSummary))]
public sealed class SyncUsageAggregateCommand : PSCmdlet, IDisposable
{
    private const string Incremental = "Incremental";
    private const string Resync = "Resync";

    /// <summary>sqlite:PATH (one file, WAL) or postgres://user@host:port/db?sslmode=... (password from $env:PGPASSWORD).</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Database { get; set; } = "";

    /// <summary>The stamp's name, the key of every row (default: the endpoint's host name).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Stamp { get; set; }

    /// <summary>Hourly (default) or Daily.</summary>
    [Parameter]
    [ValidateSet("Hourly", "Daily", IgnoreCase = true)]
    public string Granularity { get; set; } = "Hourly";

    /// <summary>Where a first run starts (default: the first day of the previous month, 00:00Z).</summary>
    [Parameter(ParameterSetName = Incremental)]
    [TimeArgument]
    public DateTimeOffset? Since { get; set; }

    /// <summary>Stop before the last complete hour (or day).</summary>
    [Parameter(ParameterSetName = Incremental)]
    [TimeArgument]
    public DateTimeOffset? Until { get; set; }

    /// <summary>Re-sync a past window from here (inclusive), whatever the watermark.</summary>
    [Parameter(Mandatory = true, ParameterSetName = Resync)]
    [TimeArgument]
    public DateTimeOffset? From { get; set; }

    /// <summary>Re-sync a past window up to here (exclusive).</summary>
    [Parameter(Mandatory = true, ParameterSetName = Resync)]
    [TimeArgument]
    public DateTimeOffset? To { get; set; }

    /// <summary>The chunk grid in hours: one window, one transaction, per cell (default 24).</summary>
    [Parameter]
    [ValidateRange(1, 8784)]
    public int ChunkHours { get; set; } = 24;

    /// <summary>Wait for another run's lock instead of failing with SyncLocked.</summary>
    [Parameter]
    public SwitchParameter Wait { get; set; }

    /// <summary>Do not refresh the tenant directory.</summary>
    [Parameter]
    public SwitchParameter NoDirectory { get; set; }

    /// <summary>Recompute the FOCUS cost rows of every month the run touched with this rate card (CSV or Azure RateCard JSON).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? RateCard { get; set; }

    /// <summary>Meter map for an Azure RateCard JSON rate card.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? MeterMap { get; set; }

    /// <summary>Extra CA certificate (PEM) for the PostgreSQL server.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? DatabaseCaFile { get; set; }

    /// <summary>The provider subscription (default: the connection's subscription).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? ProviderSubscriptionId { get; set; }

    /// <summary>Instance-level records ($true, default) or aggregated per meter ($false).</summary>
    [Parameter]
    public bool ShowDetails { get; set; } = true;

    /// <summary>How long to keep reconnecting to a database that went away, in seconds (default 60).</summary>
    [Parameter]
    [ValidateRange(1, 86400)]
    public int ReconnectSeconds { get; set; } = 60;

    private readonly object _gate = new();
    private SyncRun? _run;
    private bool _stopping;

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        var connection = AzsUsageConnection.GetCurrent();
        if (connection == null) { ThrowTerminatingError(ErrorMapper.NotConnected()); return; }
        string stamp = Stamp ?? DefaultStamp(connection.Endpoint);
        var request = new SyncRequestDto
        {
            database = Database,
            database_password = Environment.GetEnvironmentVariable("PGPASSWORD") ?? "",
            database_ca_file = Path(DatabaseCaFile),
            stamp = stamp,
            provider_subscription = ProviderSubscriptionId ?? connection.SubscriptionId,
            granularity = Granularity,
            since = Since is { } s ? TimeArgumentAttribute.Iso(s) : "",
            until = Until is { } u ? TimeArgumentAttribute.Iso(u) : "",
            resync_from = From is { } f ? TimeArgumentAttribute.Iso(f) : "",
            resync_to = To is { } t ? TimeArgumentAttribute.Iso(t) : "",
            chunk_hours = (uint)ChunkHours,
            wait = (byte)(Wait ? 1 : 0),
            no_directory = (byte)(NoDirectory ? 1 : 0),
            show_details = (byte)(ShowDetails ? 1 : 0),
            rate_card = Path(RateCard),
            meter_map = Path(MeterMap),
            reconnect_seconds = (uint)ReconnectSeconds,
        };
        // The database URL is not echoed: it may carry a password; the native side shows it redacted.
        WriteVerbose($"Sync-UsageAggregate: stamp '{stamp}' ({Granularity}) from {connection.Endpoint}, " +
            (ParameterSetName == Resync ? $"re-syncing {request.resync_from} to {request.resync_to}" : "incremental from the watermark") +
            (RateCard != null ? ", with costs" : "") + (NoDirectory ? ", without the directory" : ""));

        SyncRun run;
        try { run = SyncCalls.Start(connection.Session, request); }
        catch (NativeInternalException ex) { ThrowTerminatingError(ErrorMapper.Internal(ex)); return; }
        finally { request.database_password = ""; }
        lock (_gate)
        {
            _run = run;
            if (_stopping) SyncCalls.Cancel(run);
        }
        try { Follow(run, stamp); }
        finally { Close(); }
    }

    private void Follow(SyncRun run, string stamp)
    {
        // A new record per write: hosts and Streams.Progress keep each one as written.
        int activityId = Math.Abs("Sync-UsageAggregate".GetHashCode() % 100000);
        ProgressRecord? last = null;
        var sinceProgress = Stopwatch.StartNew();
        var sinceStop = new Stopwatch();
        while (true)
        {
            SyncProgressDto p;
            try { p = SyncCalls.Poll(run, 250); }
            catch (NativeInternalException ex) { ThrowTerminatingError(ErrorMapper.Internal(ex)); return; }
            bool stopping = Stopping || _stopping;
            if (!stopping)
            {
                foreach (var e in p.events) WriteVerbose(e.message);
                if (p.done == 0 && sinceProgress.ElapsedMilliseconds >= 250 && p.status.Length > 0)
                {
                    last = new ProgressRecord(activityId, "Sync-UsageAggregate", p.status)
                    {
                        CurrentOperation = $"{p.windows_done}/{p.windows_total} window(s), {p.records} record(s)",
                        PercentComplete = p.windows_total > 0 ? (int)Math.Min(100, p.windows_done * 100 / p.windows_total) : -1,
                    };
                    WriteProgress(last);
                    sinceProgress.Restart();
                }
            }
            else if (!sinceStop.IsRunning) sinceStop.Start();
            if (p.done != 0)
            {
                if (last != null && !stopping)
                {
                    WriteProgress(new ProgressRecord(activityId, "Sync-UsageAggregate", last.StatusDescription)
                    {
                        CurrentOperation = $"{p.windows_done}/{p.windows_total} window(s), {p.records} record(s)",
                        RecordType = ProgressRecordType.Completed,
                    });
                }
                Finish(p, stopping, stamp);
                return;
            }
            // Cancelled: the run rolls its window back and records itself; do not wait forever for a database
            // that went away (disposing the handle cancels whatever is left).
            if (stopping && sinceStop.Elapsed > TimeSpan.FromSeconds(30)) return;
        }
    }

    private void Finish(SyncProgressDto p, bool stopping, string stamp)
    {
        if (p.error.Count > 0)
        {
            var e = p.error[0];
            if (stopping && e.reason.ToReason() == Reason.OperationCancelled) return;
            foreach (var line in ErrorMapper.CauseLines(e)) WriteVerbose(line);
            ThrowTerminatingError(ErrorMapper.From(e, stamp, false));
            return;
        }
        if (p.summary.Count == 0 || stopping) return;
        var dto = p.summary[0];
        var summary = SyncRunSummary.From(dto);
        foreach (var w in summary.Warnings) WriteWarning(w);
        WriteVerbose($"Sync-UsageAggregate: {summary} in {summary.Duration.TotalSeconds:0.0} s; " +
            $"{summary.DirectoryRows} directory row(s), {summary.CostMonths} cost month(s).");
        WriteObject(summary);
        // Each failure (a scope, a cost month) as its own error, with the ErrorId of its reason; what was
        // committed stays, and the next run continues from the watermark.
        foreach (var f in dto.failures)
        {
            foreach (var line in ErrorMapper.CauseLines(f)) WriteVerbose(line);
            WriteError(ErrorMapper.From(f, stamp, false));
        }
    }

    private string Path(string? path) => string.IsNullOrEmpty(path) ? "" : GetUnresolvedProviderPathFromPSPath(path);

    /// <summary>The endpoint's host, as azs-usage sync names a stamp without --stamp.</summary>
    private static string DefaultStamp(string endpoint) =>
        Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) && uri.Host.Length > 0 ? uri.Host : "stamp";

    private void Close()
    {
        SyncRun? r;
        lock (_gate) { r = _run; _run = null; }
        r?.Dispose();
    }

    /// <summary>Ctrl+C, PowerShell.Stop(): cancel the native run; the pipeline thread waits for its rollback.</summary>
    protected override void StopProcessing()
    {
        lock (_gate)
        {
            _stopping = true;
            if (_run != null)
            {
                try { SyncCalls.Cancel(_run); } catch (NativeInternalException) { }
            }
        }
    }

    /// <summary>Releases (and so cancels) the native run if the pipeline ended while it was open.</summary>
    public void Dispose()
    {
        Close();
        GC.SuppressFinalize(this);
    }
}
