using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Management.Automation;
using AzsUsage.Native;

namespace AzsUsage.Commands;

/// <summary>
/// The chargeback report (one self-contained HTML file) and, with -StatementsPath, one statement per tenant (HTML,
/// and PDF when a Chromium, Chrome or Edge is found), from a FOCUS file written by `azs-usage price` or from the cost
/// rows a sync stored in the billing database. The same report as `azs-usage report`. Returns the report's FileInfo
/// with the headline figures and the statements written as extra properties.
/// </summary>
[Cmdlet(VerbsData.Export, "UsageReport", DefaultParameterSetName = FileSet)]
[OutputType(typeof(FileInfo))]
public sealed class ExportUsageReportCommand : PSCmdlet
{
    private const string FileSet = "File";
    private const string DatabaseSet = "Database";

    /// <summary>The report file (HTML). Written beside its name and renamed when complete.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>A FOCUS cost file (CSV or Parquet) as `azs-usage price` writes it.</summary>
    [Parameter(Mandatory = true, ParameterSetName = FileSet)]
    [ValidateNotNullOrEmpty]
    public string InputPath { get; set; } = "";

    /// <summary>The usage records that had no price (default: the input's .unpriced.csv side file when it exists).</summary>
    [Parameter(ParameterSetName = FileSet)]
    [ValidateNotNullOrEmpty]
    public string? UnpricedPath { get; set; }

    /// <summary>The billing database: sqlite:PATH or postgres://USER@HOST:PORT/DATABASE (password from PGPASSWORD).</summary>
    [Parameter(Mandatory = true, ParameterSetName = DatabaseSet)]
    [ValidateNotNullOrEmpty]
    public string Database { get; set; } = "";

    /// <summary>CA certificates (PEM) to verify the PostgreSQL server with.</summary>
    [Parameter(ParameterSetName = DatabaseSet)]
    [ValidateNotNullOrEmpty]
    public string? DatabaseCaFile { get; set; }

    /// <summary>Which rows of the database (default: the one granularity the period holds).</summary>
    [Parameter(ParameterSetName = DatabaseSet)]
    [ValidateSet("Hourly", "Daily", IgnoreCase = true)]
    public string? Granularity { get; set; }

    /// <summary>The calendar month (UTC) to report, YYYY-MM. Default: every row.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Month { get; set; }

    /// <summary>Start of the period (inclusive; rows kept by their charge period start), with -To.</summary>
    [Parameter]
    [TimeArgument]
    public DateTimeOffset? From { get; set; }

    /// <summary>End of the period (exclusive), with -From.</summary>
    [Parameter]
    [TimeArgument]
    public DateTimeOffset? To { get; set; }

    /// <summary>The tag key of the "cost by tag" section (ignoring case); rows without it are (untagged).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Tag { get; set; }

    /// <summary>How numbers are written: en-US (default), en-GB, de-DE, fr-FR, ja-JP, invariant, ...</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Culture { get; set; }

    /// <summary>Also write one statement per tenant into this folder (created when missing; its parent must exist).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? StatementsPath { get; set; }

    /// <summary>The Chromium, Chrome or Edge executable that prints the statements to PDF (default: one found).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Browser { get; set; }

    /// <summary>Write the statements as HTML only.</summary>
    [Parameter]
    public SwitchParameter NoPdf { get; set; }

    /// <summary>The provider named on statements (default: the rows' InvoiceIssuerName).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? ProviderName { get; set; }

    /// <summary>The report's title (default: Chargeback report).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Title { get; set; }

    /// <summary>A meter file (JSON or CSV) adding meters to the catalog, so that they are not listed as unknown.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? MetersFile { get; set; }

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        var request = new ReportRequestDto
        {
            report_path = FullPath(Path),
            focus_file = ParameterSetName == FileSet ? FullPath(InputPath) : "",
            unpriced = FullPath(UnpricedPath),
            database = ParameterSetName == DatabaseSet ? Database : "",
            database_ca_file = FullPath(DatabaseCaFile),
            // Passed explicitly: on Linux the native library does not see $env: changes made in this session.
            database_password = ParameterSetName == DatabaseSet ? Environment.GetEnvironmentVariable("PGPASSWORD") ?? "" : "",
            granularity = Granularity ?? "",
            month = Month ?? "",
            period_start = From is { } f ? TimeArgumentAttribute.Iso(f) : "",
            period_end = To is { } t ? TimeArgumentAttribute.Iso(t) : "",
            tag = Tag ?? "",
            culture = Culture ?? "",
            statements = FullPath(StatementsPath),
            browser = FullPath(Browser),
            no_pdf = (byte)(NoPdf ? 1 : 0),
            provider_name = ProviderName ?? "",
            title = Title ?? "",
            meters_file = FullPath(MetersFile),
        };
        ReportOutcome outcome;
        try
        {
            using var wire = NativeCalls.Guard("azs_export_report", () => Interop.azs_export_report(request.Wire()).AsOk());
            outcome = wire.Unwire();
        }
        catch (NativeInternalException ex) { ThrowTerminatingError(ErrorMapper.Internal(ex)); return; }
        if (outcome.error.Count > 0)
        {
            foreach (var line in ErrorMapper.CauseLines(outcome.error[0])) WriteVerbose(line);
            ThrowTerminatingError(ErrorMapper.From(outcome.error[0], Path, false));
        }
        foreach (var w in outcome.warnings) WriteWarning(w);
        WriteVerbose($"{outcome.path}: {outcome.period}, {outcome.rows} cost rows, {outcome.billed_shown} {outcome.currency} billed, " +
                     $"{outcome.tenants} tenants, {outcome.unpriced_records} unpriced records, {outcome.statements.Count} statements.");
        WriteObject(ReportFile.From(outcome));
    }

    /// <summary>A path as PowerShell resolves it (relative to the current location, ~ expanded); empty stays empty.</summary>
    private string FullPath(string? path) =>
        string.IsNullOrWhiteSpace(path) ? "" : SessionState.Path.GetUnresolvedProviderPathFromPSPath(path);
}

/// <summary>One statement that Export-UsageReport wrote: the tenant, its exact and shown totals, its files.</summary>
public sealed class ReportStatement
{
    /// <summary>The tenant as the statement names it.</summary>
    public string Tenant { get; init; } = "";
    /// <summary>The exact billed total.</summary>
    public decimal BilledCost { get; init; }
    /// <summary>The total as the statement shows it (rounded to the currency's minor units); these add up to the report's.</summary>
    public decimal BilledCostShown { get; init; }
    /// <summary>The HTML statement.</summary>
    public FileInfo Html { get; init; } = null!;
    /// <summary>The PDF statement, or null when none was printed (-NoPdf, or no browser found).</summary>
    public FileInfo? Pdf { get; init; }
}

/// <summary>The report's FileInfo, with its headline figures and statements as note properties.</summary>
internal static class ReportFile
{
    internal static PSObject From(ReportOutcome o)
    {
        var file = new PSObject(new FileInfo(o.path));
        file.TypeNames.Insert(0, "AzsUsage.UsageReportFile");
        var statements = new List<ReportStatement>();
        foreach (var s in o.statements)
        {
            statements.Add(new ReportStatement
            {
                Tenant = s.tenant,
                BilledCost = Exact(s.billed),
                BilledCostShown = Exact(s.billed_shown),
                Html = new FileInfo(s.html),
                Pdf = s.pdf.Length > 0 ? new FileInfo(s.pdf) : null,
            });
        }
        void Add(string name, object? value) => file.Properties.Add(new PSNoteProperty(name, value));
        Add("Period", o.period);
        Add("Currency", o.currency);
        Add("BilledCost", Exact(o.billed));
        Add("BilledCostShown", Exact(o.billed_shown));
        Add("ListCost", Exact(o.list));
        Add("ContractedCost", Exact(o.contracted));
        Add("CostRows", (long)o.rows);
        Add("UnpricedRecords", (long)o.unpriced_records);
        Add("Tenants", (int)o.tenants);
        Add("Statements", statements.ToArray());
        return file;
    }

    /// <summary>Plain decimal text from the core, exact (rust_decimal and System.Decimal share 28 digits).</summary>
    private static decimal Exact(string text) =>
        text.Length == 0 ? 0m : decimal.Parse(text, NumberStyles.Number, CultureInfo.InvariantCulture);
}
