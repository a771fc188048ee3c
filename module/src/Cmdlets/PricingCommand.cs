using System;
using System.Collections.Generic;
using System.IO;
using System.Management.Automation;
using AzsUsage.Native;

namespace AzsUsage.Commands;

/// <summary>
/// What ConvertTo-FocusCost and Measure-UsageCost share: the rate card and directory, and usage records from the
/// pipeline or from -Path files, handed to a native pricing job in batches. Pricing needs every record before the
/// first one can be priced (included quantity and tiers are consumed in order of usage start), so the job spools the
/// records natively (a temporary file) and the work happens in EndProcessing.
/// </summary>
public abstract class PricingCommand : PSCmdlet, IDisposable
{
    /// <summary>Records per native call.</summary>
    internal const int BatchSize = 1000;

    /// <summary>The parameter set of pipeline input.</summary>
    protected const string PipelineSet = "Pipeline";
    /// <summary>The parameter set of usage files.</summary>
    protected const string PathSet = "Path";

    /// <summary>An AzsUsage.RateCard from Import-UsageRateCard, or the path of a rate card file (CSV or Azure RateCard JSON).</summary>
    [Parameter(Mandatory = true)]
    [ValidateNotNull]
    public object RateCard { get; set; } = null!;

    /// <summary>With a rate card path to Azure RateCard JSON: the CSV mapping Azure meter ids to the stamp's.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? MeterMap { get; set; }

    /// <summary>The tenant directory file (Get-UsageSubscription | Export-Csv, or azs-usage subscriptions): names, owners, tenants and offers (offer-scoped prices need it).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Directory { get; set; }

    /// <summary>Unpriced usage is a terminating error (ErrorId UnpricedUsage) and nothing is written.</summary>
    [Parameter]
    public SwitchParameter Strict { get; set; }

    /// <summary>Usage records: AzsUsage.UsageRecord objects, or objects with the record schema's properties (Import-Csv rows).</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = PipelineSet)]
    public PSObject? InputObject { get; set; }

    /// <summary>Usage files: the CLI's CSV, NDJSON or JSON, or Export-Csv files of the usage cmdlets.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = PathSet)]
    [ValidateNotNullOrEmpty]
    public string[]? Path { get; set; }

    private PricingJob? _job;
    private readonly List<TextRowDto> _batch = new(BatchSize);
    private long _received;

    /// <summary>The native job, once set up.</summary>
    internal PricingJob Job => _job!;

    /// <summary>The card's currency.</summary>
    protected string Currency { get; private set; } = "";

    /// <summary>The folder for the native spool (default: the system's temporary folder).</summary>
    protected virtual string SpoolFolder => "";

    /// <summary>A path as the provider gives it, relative to the current location.</summary>
    protected string FullPath(string path) => SessionState.Path.GetUnresolvedProviderPathFromPSPath(path);

    /// <inheritdoc/>
    protected override void BeginProcessing()
    {
        var setup = new PricingSetupDto
        {
            rate_card_path = "",
            meter_map = MeterMap == null ? "" : FullPath(MeterMap),
            rows = new List<PriceRowDto>(),
            rate_card_source = "",
            directory = Directory == null ? "" : FullPath(Directory),
            spool_folder = SpoolFolder,
        };
        object card = RateCard is PSObject pso ? pso.BaseObject : RateCard;
        switch (card)
        {
            case AzsUsage.RateCard loaded:
                setup.rows = loaded.NativeRows;
                setup.rate_card_source = loaded.Path;
                break;
            case FileInfo file:
                setup.rate_card_path = file.FullName;
                break;
            case string path:
                setup.rate_card_path = FullPath(path);
                break;
            default:
                ThrowTerminatingError(new ErrorRecord(
                    new ArgumentException($"-RateCard takes an AzsUsage.RateCard (from Import-UsageRateCard) or the path of a rate card file, not a {card.GetType().FullName}."),
                    "InvalidArgument", ErrorCategory.InvalidArgument, RateCard));
                return;
        }
        try
        {
            _job = PricingCalls.CreateJob();
            var status = PricingCalls.Setup(_job, setup);
            if (status.error.Count > 0) Fail(status.error[0], RateCard);
            foreach (var w in status.warnings) WriteWarning(w.message);
            Currency = status.currency;
            if (Path != null)
            {
                var files = new PathListDto { paths = new List<string>() };
                foreach (var p in Path) files.paths.Add(FullPath(p));
                var added = PricingCalls.AddFiles(_job, files);
                if (added.error.Count > 0) Fail(added.error[0], Path);
            }
        }
        catch (NativeInternalException ex) { ThrowTerminatingError(ErrorMapper.Internal(ex)); }
    }

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        if (InputObject == null) return;
        _received++;
        var cells = PipelineRecord.Cells(InputObject, out var missing);
        if (cells == null)
        {
            var (id, category) = ErrorMapper.Classify(Reason.UsageFileInvalid);
            ThrowTerminatingError(new ErrorRecord(
                new ArgumentException(
                    $"pipeline input, record {_received}: a {InputObject.BaseObject.GetType().Name} is not a usage record: it has no {string.Join(", ", missing)} " +
                    "property; pipe AzsUsage.UsageRecord objects (Get-UsageAggregate, Get-SubscriberUsageAggregate) or Import-Csv rows of their Export-Csv files."),
                id, category, InputObject));
        }
        _batch.Add(new TextRowDto { cells = cells! });
        if (_batch.Count >= BatchSize) Flush();
    }

    /// <summary>Hands the buffered records to the native job.</summary>
    protected void Flush()
    {
        if (_batch.Count == 0 || _job == null) return;
        try
        {
            var status = PricingCalls.AddRecords(_job, new RecordBatchDto { records = new List<TextRowDto>(_batch) });
            _batch.Clear();
            if (status.error.Count > 0) Fail(status.error[0], null);
        }
        catch (NativeInternalException ex) { ThrowTerminatingError(ErrorMapper.Internal(ex)); }
    }

    /// <summary>A native error as a terminating error (its ErrorId from its reason).</summary>
    protected void Fail(ErrorDto e, object? target)
    {
        foreach (var line in ErrorMapper.CauseLines(e)) WriteVerbose(line);
        ThrowTerminatingError(ErrorMapper.From(e, target, false));
    }

    /// <summary>Writes the unpriced-usage warning.</summary>
    protected void WarnUnpriced(string summary, string sideFile)
    {
        if (summary.Length == 0) return;
        WriteWarning(sideFile.Length > 0
            ? $"{summary}; they are in {sideFile}"
            : $"{summary}; they are not in the output (use -UnpricedPath or -OutFile to keep them, -Strict to refuse them, or add their prices)");
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _job?.Dispose();
        _job = null;
        GC.SuppressFinalize(this);
    }
}
