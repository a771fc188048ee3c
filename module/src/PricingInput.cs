using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Management.Automation;
using System.Text.Json;
using AzsUsage.Native;

namespace AzsUsage;

/// <summary>
/// The native calls of the pricing cmdlets (rate cards, pricing jobs), with the same guard as <see cref="NativeCalls"/>.
/// </summary>
internal static class PricingCalls
{
    internal static RateCardOutcome LoadRateCard(string path, string meterMap)
    {
        using var w = NativeCalls.Guard("azs_rate_card_load", () => Interop.azs_rate_card_load(path.Wire(), meterMap.Wire()).AsOk());
        return w.Unwire();
    }

    internal static PricingJob CreateJob() => NativeCalls.Guard("pricing_job_create", PricingJob.Create);

    internal static PricingStatus Setup(PricingJob job, PricingSetupDto s)
    {
        using var w = NativeCalls.Guard("pricing_job_setup", () => job.Setup(s.Wire()));
        return w.Unwire();
    }

    internal static PricingStatus AddRecords(PricingJob job, RecordBatchDto batch)
    {
        using var w = NativeCalls.Guard("pricing_job_add_records", () => job.AddRecords(batch.Wire()));
        return w.Unwire();
    }

    internal static PricingStatus AddFiles(PricingJob job, PathListDto files)
    {
        using var w = NativeCalls.Guard("pricing_job_add_files", () => job.AddFiles(files.Wire()));
        return w.Unwire();
    }

    internal static PriceOutcome Price(PricingJob job, PriceRequestDto r)
    {
        using var w = NativeCalls.Guard("pricing_job_price", () => job.Price(r.Wire()));
        return w.Unwire();
    }

    internal static FocusPageDto NextRows(PricingJob job, uint max)
    {
        using var w = NativeCalls.Guard("pricing_job_next_rows", () => job.NextRows(max));
        return w.Unwire();
    }

    internal static SummaryOutcome Summarize(PricingJob job, SummaryRequestDto r)
    {
        using var w = NativeCalls.Guard("pricing_job_summarize", () => job.Summarize(r.Wire()));
        return w.Unwire();
    }
}

/// <summary>
/// Turns pipeline objects into the record schema's 17 text fields, in schema order: an <see cref="UsageRecord"/>
/// exactly (quantity invariant, instants ISO 8601 UTC, maps in the schema's text), any other object (rows of
/// Import-Csv, ConvertFrom-Json objects) by property name, ignoring case. The core parses the text with the rules of
/// a usage CSV file, so Import-Csv rows of an Export-Csv file price exactly like the file.
/// </summary>
internal static class PipelineRecord
{
    /// <summary>The record schema's field names, in order (docs/record-schema.md).</summary>
    internal static readonly string[] Fields =
    {
        "SubscriptionId", "MeterId", "MeterName", "MeterCategory", "Unit", "Quantity", "UsageStartTime",
        "UsageEndTime", "ResourceUri", "ResourceGroup", "ResourceProvider", "ResourceType", "ResourceName",
        "Location", "Tags", "AdditionalInfo", "InstanceData",
    };

    internal static readonly string[] Required = { "SubscriptionId", "MeterId", "Quantity", "UsageStartTime", "UsageEndTime" };

    /// <summary>The text cells of a record, or null with the missing required properties.</summary>
    internal static List<string>? Cells(PSObject input, out List<string> missing)
    {
        missing = new List<string>();
        if (input.BaseObject is UsageRecord r)
        {
            return new List<string>
            {
                r.SubscriptionId, r.MeterId, r.MeterName, r.MeterCategory, r.Unit,
                r.Quantity.ToString(CultureInfo.InvariantCulture), Instant(r.UsageStartTime), Instant(r.UsageEndTime),
                r.ResourceUri, r.ResourceGroup, r.ResourceProvider, r.ResourceType, r.ResourceName, r.Location,
                r.Tags.ToString(), r.AdditionalInfo.ToString(), r.InstanceData,
            };
        }
        var cells = new List<string>(Fields.Length);
        foreach (var name in Fields)
        {
            var p = input.Properties[name];
            if (p == null && Array.IndexOf(Required, name) >= 0) missing.Add(name);
            cells.Add(Text(p?.Value));
        }
        return missing.Count > 0 ? null : cells;
    }

    private static string Instant(DateTimeOffset t) => t.ToUniversalTime().ToString("o", CultureInfo.InvariantCulture);

    private static string Text(object? value)
    {
        if (value is PSObject pso) value = pso.BaseObject;
        return value switch
        {
            null => "",
            string s => s,
            DateTimeOffset t => Instant(t),
            DateTime d => (d.Kind == DateTimeKind.Local ? d.ToUniversalTime() : DateTime.SpecifyKind(d, DateTimeKind.Utc))
                .ToString("o", CultureInfo.InvariantCulture),
            UsageMap m => m.ToString(),
            IDictionary dict => Json(dict),
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            _ => value.ToString() ?? "",
        };
    }

    /// <summary>A hashtable of tags as a JSON object (the core reads a map cell as JSON or as key=value text).</summary>
    private static string Json(IDictionary dict)
    {
        var map = new Dictionary<string, string>();
        foreach (DictionaryEntry e in dict) map[e.Key?.ToString() ?? ""] = Text(e.Value);
        return JsonSerializer.Serialize(map);
    }
}
