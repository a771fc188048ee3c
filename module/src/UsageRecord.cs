using System;
using System.Collections.Generic;
using System.Globalization;
using AzsUsage.Native;

namespace AzsUsage;

/// <summary>
/// One usage record, with the 17 properties of the record schema (docs/record-schema.md) in schema order:
/// the same names and order as the CLI's CSV columns.
/// </summary>
public sealed class UsageRecord
{
    /// <summary>The tenant subscription the usage belongs to.</summary>
    public string SubscriptionId { get; init; } = "";
    /// <summary>Meter id as sent by the service.</summary>
    public string MeterId { get; init; } = "";
    /// <summary>Catalog name; empty when the meter is unknown.</summary>
    public string MeterName { get; init; } = "";
    /// <summary>Catalog category; empty when unknown.</summary>
    public string MeterCategory { get; init; } = "";
    /// <summary>Catalog unit; empty when unknown.</summary>
    public string Unit { get; init; } = "";
    /// <summary>Exact quantity.</summary>
    public decimal Quantity { get; init; }
    /// <summary>Start of the usage bucket (UTC, offset 0).</summary>
    public DateTimeOffset UsageStartTime { get; init; }
    /// <summary>End of the usage bucket (UTC, offset 0).</summary>
    public DateTimeOffset UsageEndTime { get; init; }
    /// <summary>Resource URI as sent.</summary>
    public string ResourceUri { get; init; } = "";
    /// <summary>Resource group parsed from the URI.</summary>
    public string ResourceGroup { get; init; } = "";
    /// <summary>Provider namespace, e.g. Microsoft.Compute.</summary>
    public string ResourceProvider { get; init; } = "";
    /// <summary>Resource type with child types.</summary>
    public string ResourceType { get; init; } = "";
    /// <summary>Resource name with child names.</summary>
    public string ResourceName { get; init; } = "";
    /// <summary>Region.</summary>
    public string Location { get; init; } = "";
    /// <summary>Resource tags, in the service's order.</summary>
    public UsageMap Tags { get; init; } = new();
    /// <summary>Additional info (VM size, image, ...), values as text.</summary>
    public UsageMap AdditionalInfo { get; init; } = new();
    /// <summary>The raw instanceData string.</summary>
    public string InstanceData { get; init; } = "";

    internal static UsageRecord From(RecordDto r) => new()
    {
        SubscriptionId = r.subscription_id,
        MeterId = r.meter_id,
        MeterName = r.meter_name,
        MeterCategory = r.meter_category,
        Unit = r.unit,
        Quantity = decimal.Parse(r.quantity, NumberStyles.Float, CultureInfo.InvariantCulture),
        UsageStartTime = Instant(r.usage_start_time),
        UsageEndTime = Instant(r.usage_end_time),
        ResourceUri = r.resource_uri,
        ResourceGroup = r.resource_group,
        ResourceProvider = r.resource_provider,
        ResourceType = r.resource_type,
        ResourceName = r.resource_name,
        Location = r.location,
        Tags = Map(r.tags),
        AdditionalInfo = Map(r.additional_info),
        InstanceData = r.instance_data,
    };

    /// <summary>The width of the Quantity column of the default table (AzsUsage.Format.ps1xml).</summary>
    public const int QuantityColumnWidth = 16;

    /// <summary>
    /// The quantity as the default table shows it: rounded (half away from zero) to at most 6 decimals, and to fewer
    /// when the integer part needs the room, so it fits <paramref name="width"/> characters and is never cut off.
    /// Display only: the Quantity property, Export-Csv and ConvertTo-Json keep every digit.
    /// </summary>
    public static string DisplayQuantity(decimal quantity, int width = QuantityColumnWidth)
    {
        var culture = CultureInfo.CurrentCulture;
        for (int decimals = 6; decimals >= 0; decimals--)
        {
            string text = Math.Round(quantity, decimals, MidpointRounding.AwayFromZero)
                .ToString(decimals == 0 ? "0" : "0." + new string('#', decimals), culture);
            if (text.Length <= width) return text;
        }
        return quantity.ToString("0.####E+0", culture);
    }

    private static DateTimeOffset Instant(string s) =>
        DateTimeOffset.Parse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal)
            .ToOffset(TimeSpan.Zero);

    private static UsageMap Map(List<KeyValue> kvs)
    {
        var items = new List<KeyValuePair<string, string>>(kvs.Count);
        foreach (var kv in kvs) items.Add(new(kv.key, kv.text));
        return new UsageMap(items);
    }
}

/// <summary>One page of records with the token that resumes right after it (for scripts that page by hand).</summary>
public sealed class UsagePage
{
    /// <summary>The page's records, in service order.</summary>
    public IReadOnlyList<UsageRecord> Records { get; init; } = Array.Empty<UsageRecord>();
    /// <summary>Pass to -ContinuationToken to get the next page; $null on the last page.</summary>
    public string? ContinuationToken { get; init; }
    /// <summary>The service's x-ms-request-id for this page.</summary>
    public string? RequestId { get; init; }
    /// <summary>Record keys repeated from an earlier page of the same pull.</summary>
    public IReadOnlyList<string> Duplicates { get; init; } = Array.Empty<string>();
    /// <summary>Number of records.</summary>
    public int Count => Records.Count;
}

/// <summary>One meter of the catalog.</summary>
public sealed class UsageMeter
{
    /// <summary>Meter id as published.</summary>
    public string Id { get; init; } = "";
    /// <summary>Meter name.</summary>
    public string Name { get; init; } = "";
    /// <summary>Unit of the quantity.</summary>
    public string Unit { get; init; } = "";
    /// <summary>Category.</summary>
    public string Category { get; init; } = "";
    /// <summary>Superseded meter still recognised in old data.</summary>
    public bool Deprecated { get; init; }
    /// <summary>Short description.</summary>
    public string Notes { get; init; } = "";
}
