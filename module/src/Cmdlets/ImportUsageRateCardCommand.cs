using System.Management.Automation;
using AzsUsage.Native;

namespace AzsUsage.Commands;

/// <summary>
/// Loads and validates a rate card (CSV, or the Azure RateCard API's JSON with an optional meter map) through the
/// core. Every problem of the file (file, line, column) is in the error's message; the ErrorId is RateCardInvalid
/// (a bad value) or RateCardConflict (rows that contradict each other). Warnings (a meter billed twice) are written
/// as warnings.
/// </summary>
[Cmdlet(VerbsData.Import, "UsageRateCard")]
[OutputType(typeof(RateCard))]
public sealed class ImportUsageRateCardCommand : PSCmdlet
{
    /// <summary>The rate card file.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName")]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>Azure RateCard JSON only: a CSV mapping Azure meter ids to the stamp's (AzureMeterId,MeterId).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? MeterMap { get; set; }

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        string path = SessionState.Path.GetUnresolvedProviderPathFromPSPath(Path);
        string map = MeterMap == null ? "" : SessionState.Path.GetUnresolvedProviderPathFromPSPath(MeterMap);
        RateCardOutcome outcome;
        try { outcome = PricingCalls.LoadRateCard(path, map); }
        catch (NativeInternalException ex) { ThrowTerminatingError(ErrorMapper.Internal(ex)); return; }
        if (outcome.error.Count > 0)
        {
            foreach (var line in ErrorMapper.CauseLines(outcome.error[0])) WriteVerbose(line);
            ThrowTerminatingError(ErrorMapper.From(outcome.error[0], Path, false));
        }
        foreach (var w in outcome.warnings) WriteWarning(w.message);
        var card = RateCard.From(outcome);
        WriteVerbose($"Rate card {card.Path}: {card.RowCount} rows, {card.MeterCount} meters, {card.Currency}.");
        WriteObject(card);
    }
}
