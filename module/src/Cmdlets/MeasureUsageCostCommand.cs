using System.Globalization;
using System.Management.Automation;
using AzsUsage.Native;

namespace AzsUsage.Commands;

/// <summary>
/// Grouped costs of usage records under a rate card, the figures of <c>azs-usage cost</c>: one object per group
/// (and period) with the group's keys (named as <c>azs-usage cost</c> names its columns: subscription, tenant,
/// offer, resource-group, resource, meter, category, location, tag:KEY), Period, Records, ListCost,
/// ContractedCost and BilledCost as exact [decimal], Currency and UnpricedRecords.
/// </summary>
[Cmdlet(VerbsDiagnostic.Measure, "UsageCost", DefaultParameterSetName = PipelineSet)]
[OutputType(typeof(PSObject))]
public sealed class MeasureUsageCostCommand : PricingCommand
{
    /// <summary>subscription, tenant, offer, resource-group, resource, meter, category, location or tag:KEY (one or more).</summary>
    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string[] GroupBy { get; set; } = System.Array.Empty<string>();

    /// <summary>None (one row per group), Day or Month (of the usage start, UTC).</summary>
    [Parameter]
    [ValidateSet("None", "Day", "Month", IgnoreCase = true)]
    public string Period { get; set; } = "None";

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        Flush();
        var keys = new System.Collections.Generic.List<string>();
        foreach (var g in GroupBy)
            foreach (var part in g.Split(','))
                if (part.Trim().Length > 0) keys.Add(part.Trim());
        var request = new SummaryRequestDto { group_by = keys, period = Period, strict = (byte)(Strict ? 1 : 0) };
        try
        {
            var outcome = PricingCalls.Summarize(Job, request);
            if (outcome.error.Count > 0) Fail(outcome.error[0], GroupBy);
            WriteVerbose($"{outcome.records} records in {outcome.rows.Count} groups, {outcome.unpriced} unpriced.");
            if (outcome.unpriced_summary.Length > 0)
                WriteWarning(outcome.unpriced_summary + " (counted as UnpricedRecords, not in the costs; -Strict refuses them)");
            bool withPeriod = !Period.Equals("None", System.StringComparison.OrdinalIgnoreCase);
            foreach (var row in outcome.rows)
            {
                var o = new PSObject();
                o.TypeNames.Insert(0, UsageCostTypeName.Summary);
                for (int i = 0; i < outcome.keys.Count; i++)
                    o.Properties.Add(new PSNoteProperty(outcome.keys[i], i < row.keys.Count ? row.keys[i] : ""));
                if (withPeriod) o.Properties.Add(new PSNoteProperty("Period", row.period));
                o.Properties.Add(new PSNoteProperty("Records", (long)row.records));
                o.Properties.Add(new PSNoteProperty("ListCost", Dec(row.list_cost)));
                o.Properties.Add(new PSNoteProperty("ContractedCost", Dec(row.contracted_cost)));
                o.Properties.Add(new PSNoteProperty("BilledCost", Dec(row.billed_cost)));
                o.Properties.Add(new PSNoteProperty("Currency", row.currency));
                o.Properties.Add(new PSNoteProperty("UnpricedRecords", (long)row.unpriced_records));
                WriteObject(o);
            }
        }
        catch (NativeInternalException ex) { ThrowTerminatingError(ErrorMapper.Internal(ex)); }
    }

    private static decimal Dec(string s) => decimal.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture);
}
