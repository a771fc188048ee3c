using System.Collections.Generic;
using System.IO;
using System.Management.Automation;
using AzsUsage.Native;

namespace AzsUsage.Commands;

/// <summary>
/// Prices usage records under a rate card into FOCUS 1.2 cost rows, exactly as <c>azs-usage price</c> does: without
/// -OutFile, one object per priced record (properties in the FOCUS file's column order, values the FOCUS CSV's text,
/// null cells $null) ready for Export-Csv; with -OutFile, the file is written natively (Parquet for .parquet/.pq,
/// else CSV) and its FileInfo returned. Unpriced usage is never dropped: a warning, the side file
/// (&lt;OutFile&gt;.unpriced.csv or -UnpricedPath), or with -Strict a terminating UnpricedUsage error.
/// </summary>
[Cmdlet(VerbsData.ConvertTo, "FocusCost", DefaultParameterSetName = PipelineSet)]
[OutputType(typeof(PSObject), typeof(FileInfo))]
public sealed class ConvertToFocusCostCommand : PricingCommand
{
    /// <summary>Rows handed over per native call.</summary>
    private const uint PageRows = 1000;

    /// <summary>Write the FOCUS file here (.parquet/.pq: Parquet, else CSV) instead of writing row objects.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? OutFile { get; set; }

    /// <summary>Write the unpriced usage (the record schema's CSV) here (default with -OutFile: &lt;OutFile&gt;.unpriced.csv).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? UnpricedPath { get; set; }

    /// <inheritdoc/>
    protected override string SpoolFolder =>
        OutFile == null ? "" : System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(FullPath(OutFile))) ?? "";

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        Flush();
        var request = new PriceRequestDto
        {
            output = OutFile == null ? "" : FullPath(OutFile),
            unpriced_output = UnpricedPath == null ? "" : FullPath(UnpricedPath),
            strict = (byte)(Strict ? 1 : 0),
        };
        try
        {
            var outcome = PricingCalls.Price(Job, request);
            if (outcome.error.Count > 0) Fail(outcome.error[0], OutFile);
            WriteVerbose($"{outcome.records} records, {outcome.priced} priced, {outcome.unpriced} unpriced; billed cost {outcome.billed_cost} {outcome.currency}.");
            WarnUnpriced(outcome.unpriced_summary, outcome.unpriced_file);
            if (outcome.output.Length > 0)
            {
                WriteObject(new FileInfo(outcome.output));
                return;
            }
            WriteRows(outcome.columns);
        }
        catch (NativeInternalException ex) { ThrowTerminatingError(ErrorMapper.Internal(ex)); }
    }

    private void WriteRows(List<string> columns)
    {
        while (true)
        {
            var page = PricingCalls.NextRows(Job, PageRows);
            if (page.error.Count > 0) Fail(page.error[0], null);
            foreach (var row in page.rows)
            {
                var o = new PSObject();
                o.TypeNames.Insert(0, UsageCostTypeName.FocusRow);
                for (int i = 0; i < columns.Count; i++)
                {
                    string cell = i < row.cells.Count ? row.cells[i] : "";
                    o.Properties.Add(new PSNoteProperty(columns[i], cell.Length == 0 ? null : cell));
                }
                WriteObject(o);
            }
            if (page.done != 0) return;
        }
    }
}
