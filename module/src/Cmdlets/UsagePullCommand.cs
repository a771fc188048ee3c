using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Management.Automation;
using AzsUsage.Native;

namespace AzsUsage.Commands;

/// <summary>
/// The parameters both usage cmdlets share (the AzureRM Get-UsageAggregates set plus paging), and the pull loop:
/// open a native cursor, then on the pipeline thread write each page's records as it arrives. StopProcessing only
/// cancels the cursor; the cursor is disposed once, on the pipeline thread.
/// </summary>
public abstract class UsagePullCommand : PSCmdlet, IDisposable
{
    /// <summary>Reported start time (inclusive). DateTime of any Kind, DateTimeOffset or ISO 8601 text.</summary>
    [Parameter(Mandatory = true, Position = 0, HelpMessage = "Reported start time (inclusive).")]
    [TimeArgument]
    public DateTimeOffset ReportedStartTime { get; set; }

    /// <summary>Reported end time (exclusive), not in the future.</summary>
    [Parameter(Mandatory = true, Position = 1, HelpMessage = "Reported end time (exclusive), not in the future.")]
    [TimeArgument]
    public DateTimeOffset ReportedEndTime { get; set; }

    /// <summary>Daily (default) or Hourly.</summary>
    [Parameter]
    [ValidateSet("Daily", "Hourly", IgnoreCase = true)]
    public string AggregationGranularity { get; set; } = "Daily";

    /// <summary>Instance-level records ($true, default) or aggregated per meter ($false).</summary>
    [Parameter]
    public bool ShowDetails { get; set; } = true;

    /// <summary>Resume from this token (from -AsPage output or from an error's TargetObject).</summary>
    [Parameter]
    [AllowNull, AllowEmptyString]
    public string? ContinuationToken { get; set; }

    /// <summary>Fetch sub-queries (time windows) with at most this many in flight. 1 (default): one sequential pull.</summary>
    [Parameter]
    [ValidateRange(1, 64)]
    public int ThrottleLimit { get; set; } = 1;

    /// <summary>Stop after this many records (with -AsPage: pages); the native pull stops too.</summary>
    [Parameter]
    [ValidateRange(1, long.MaxValue)]
    public long First { get; set; }

    /// <summary>Write one AzsUsage.UsagePage per page (Records, ContinuationToken) instead of records.</summary>
    [Parameter]
    public SwitchParameter AsPage { get; set; }

    private readonly object _gate = new();
    private Cursor? _cursor;
    private bool _stopping;

    /// <summary>"Tenant" or "Provider".</summary>
    protected abstract string Api { get; }

    /// <summary>The progress activity name.</summary>
    protected abstract string Activity { get; }

    /// <summary>The connection of this runspace; terminates with NotConnected when there is none.</summary>
    protected AzsUsageConnection RequireConnection()
    {
        var c = AzsUsageConnection.GetCurrent();
        if (c == null) ThrowTerminatingError(ErrorMapper.NotConnected());
        return c!;
    }

    /// <summary>Runs one pull and writes its output.</summary>
    protected void Pull(AzsUsageConnection connection, string subscriptionId, string subscriberId, object target)
    {
        var query = new QueryDto
        {
            api = Api,
            subscription_id = subscriptionId,
            start = TimeArgumentAttribute.Iso(ReportedStartTime),
            end = TimeArgumentAttribute.Iso(ReportedEndTime),
            granularity = AggregationGranularity,
            show_details = (byte)(ShowDetails ? 1 : 0),
            subscriber_id = subscriberId,
            continuation_token = ContinuationToken ?? "",
            throttle_limit = (uint)ThrottleLimit,
        };
        WriteVerbose($"{Activity}: {Api} API, subscription {subscriptionId}" +
            (subscriberId.Length > 0 ? $", subscriber {subscriberId}" : "") +
            $", {query.start} to {query.end}, {AggregationGranularity}, ShowDetails {ShowDetails}" +
            (!string.IsNullOrEmpty(ContinuationToken) ? ", resuming from a continuation token" : ""));

        Cursor cursor;
        try { cursor = NativeCalls.OpenCursor(connection.Session, query); }
        catch (NativeInternalException ex) { ThrowTerminatingError(ErrorMapper.Internal(ex)); return; }
        lock (_gate)
        {
            _cursor = cursor;
            if (_stopping) NativeCalls.Cancel(cursor);
        }
        try { Loop(cursor, target); }
        finally { CloseCursor(); }
    }

    private void Loop(Cursor cursor, object target)
    {
        long written = 0, received = 0;
        int pages = 0;
        var progress = new ProgressRecord(Math.Abs(Activity.GetHashCode() % 100000), Activity,
            $"{TimeArgumentAttribute.Iso(ReportedStartTime)} to {TimeArgumentAttribute.Iso(ReportedEndTime)}");
        var lastProgress = Stopwatch.StartNew();
        try
        {
            while (true)
            {
                PageDto page;
                try { page = NativeCalls.NextPage(cursor); }
                catch (NativeInternalException ex) { ThrowTerminatingError(ErrorMapper.Internal(ex)); return; }
                WriteEvents(cursor);
                if (page.error.Count > 0)
                {
                    var e = page.error[0];
                    if (e.reason.ToReason() == Reason.OperationCancelled && (Stopping || _stopping)) return;
                    foreach (var line in ErrorMapper.CauseLines(e)) WriteVerbose(line);
                    ThrowTerminatingError(ErrorMapper.From(e, target, written > 0));
                    return;
                }
                if (page.records.Count > 0)
                {
                    pages++;
                    received += page.records.Count;
                    long room = First > 0 ? First - written : long.MaxValue;
                    int take = (int)Math.Min(room, page.records.Count);
                    if (AsPage)
                    {
                        var records = new List<UsageRecord>(page.records.Count);
                        foreach (var r in page.records) records.Add(UsageRecord.From(r));
                        WriteObject(new UsagePage
                        {
                            Records = records,
                            ContinuationToken = page.continuation_token.Length > 0 ? page.continuation_token : null,
                            RequestId = page.request_id.Length > 0 ? page.request_id : null,
                            Duplicates = page.duplicates,
                        });
                        written++; // with -AsPage, -First counts pages
                    }
                    else
                    {
                        for (int i = 0; i < take; i++)
                        {
                            WriteObject(UsageRecord.From(page.records[i]));
                            written++;
                        }
                    }
                    if (pages == 1 || lastProgress.ElapsedMilliseconds >= 250)
                    {
                        progress.StatusDescription = $"{pages} page(s), {received} record(s); window {TimeArgumentAttribute.Iso(ReportedStartTime)} to {TimeArgumentAttribute.Iso(ReportedEndTime)}";
                        WriteProgress(progress);
                        lastProgress.Restart();
                    }
                    if (First > 0 && written >= First) return;
                }
                // Only the cursor knows the pull is over: with -ThrottleLimit, every sub-query's last page
                // has no token although more sub-queries follow.
                if (page.done != 0) return;
            }
        }
        finally
        {
            WriteVerbose($"{Activity}: {received} record(s) received in {pages} page(s).");
            if (pages > 0)
            {
                progress.RecordType = ProgressRecordType.Completed;
                try { WriteProgress(progress); } catch (PipelineStoppedException) { } catch (InvalidOperationException) { }
            }
        }
    }

    private void WriteEvents(Cursor cursor)
    {
        List<EventDto> events;
        try { events = NativeCalls.DrainEvents(cursor); }
        catch (NativeInternalException) { return; }
        foreach (var e in events) WriteVerbose(e.message);
    }

    private void CloseCursor()
    {
        Cursor? c;
        lock (_gate) { c = _cursor; _cursor = null; }
        c?.Dispose();
    }

    /// <summary>Ctrl+C, PowerShell.Stop(): cancel the native pull so a blocked NextPage returns promptly.</summary>
    protected override void StopProcessing()
    {
        lock (_gate)
        {
            _stopping = true;
            if (_cursor != null)
            {
                try { NativeCalls.Cancel(_cursor); } catch (NativeInternalException) { }
            }
        }
    }

    /// <summary>Releases the native cursor if the pipeline ended while it was open.</summary>
    public void Dispose()
    {
        CloseCursor();
        GC.SuppressFinalize(this);
    }
}
