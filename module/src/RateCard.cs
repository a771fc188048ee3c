using System;
using System.Collections.Generic;
using System.Globalization;
using AzsUsage.Native;

namespace AzsUsage;

/// <summary>
/// A rate card loaded and validated by the core (Import-UsageRateCard): its file, currency, meters and normalised
/// rows. Pass it to ConvertTo-FocusCost or Measure-UsageCost with -RateCard; the rows go back to the core exactly as
/// it loaded them (and are validated again), so the file is not read a second time.
/// </summary>
public sealed class RateCard
{
    /// <summary>The file the card was loaded from.</summary>
    public string Path { get; init; } = "";
    /// <summary>The card's one currency (ISO 4217).</summary>
    public string Currency { get; init; } = "";
    /// <summary>Number of price rows.</summary>
    public int RowCount => Rows.Count;
    /// <summary>Number of distinct meters priced.</summary>
    public int MeterCount => Meters.Count;
    /// <summary>The distinct meters priced (SKU ids: lower case, dashed), in the card's order.</summary>
    public IReadOnlyList<string> Meters { get; init; } = Array.Empty<string>();
    /// <summary>The price rows, normalised (defaults filled in, meter map applied).</summary>
    public IReadOnlyList<RateCardRow> Rows { get; init; } = Array.Empty<RateCardRow>();
    /// <summary>The loader's warnings (also written as warnings when the card was loaded).</summary>
    public IReadOnlyList<string> Warnings { get; init; } = Array.Empty<string>();

    /// <summary>The rows as the core gave them, handed back unchanged.</summary>
    internal List<PriceRowDto> NativeRows { get; init; } = new();

    /// <inheritdoc/>
    public override string ToString() => $"{Path} ({Currency}, {RowCount} rows, {MeterCount} meters)";

    internal static RateCard From(RateCardOutcome o)
    {
        var rows = new List<RateCardRow>(o.rows.Count);
        foreach (var r in o.rows) rows.Add(RateCardRow.From(r));
        var warnings = new List<string>(o.warnings.Count);
        foreach (var w in o.warnings) warnings.Add(w.message);
        return new RateCard
        {
            Path = o.source,
            Currency = o.currency,
            Meters = o.meters,
            Rows = rows,
            Warnings = warnings,
            NativeRows = o.rows,
        };
    }
}

/// <summary>One price of a rate card: the card's columns, normalised.</summary>
public sealed class RateCardRow
{
    /// <summary>The meter id as written.</summary>
    public string MeterId { get; init; } = "";
    /// <summary>Informational meter name.</summary>
    public string MeterName { get; init; } = "";
    /// <summary>The priced unit, when the card names one.</summary>
    public string Unit { get; init; } = "";
    /// <summary>Price of BlockSize units of the meter's unit.</summary>
    public decimal UnitPrice { get; init; }
    /// <summary>ISO 4217 currency.</summary>
    public string Currency { get; init; } = "";
    /// <summary>Units per priced block.</summary>
    public decimal BlockSize { get; init; }
    /// <summary>Free quantity per subscription per calendar month.</summary>
    public decimal IncludedQuantity { get; init; }
    /// <summary>Cumulative monthly quantity from which this price applies.</summary>
    public decimal TierStart { get; init; }
    /// <summary>First usage start the price applies to; null: always.</summary>
    public DateTimeOffset? EffectiveFrom { get; init; }
    /// <summary>First usage start it no longer applies to (exclusive); null: open.</summary>
    public DateTimeOffset? EffectiveTo { get; init; }
    /// <summary><c>*</c>, <c>offer:NAME</c> or <c>subscription:ID</c>.</summary>
    public string Scope { get; init; } = "*";
    /// <summary>Informational.</summary>
    public string Description { get; init; } = "";
    /// <summary>The line of the card's file (0 when none).</summary>
    public long Line { get; init; }

    internal static RateCardRow From(PriceRowDto r) => new()
    {
        MeterId = r.meter_id,
        MeterName = r.meter_name,
        Unit = r.unit,
        UnitPrice = Dec(r.unit_price),
        Currency = r.currency,
        BlockSize = Dec(r.block_size),
        IncludedQuantity = Dec(r.included_quantity),
        TierStart = Dec(r.tier_start),
        EffectiveFrom = Instant(r.effective_from),
        EffectiveTo = Instant(r.effective_to),
        Scope = r.scope,
        Description = r.description,
        Line = (long)r.line,
    };

    internal static decimal Dec(string s) => decimal.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture);

    private static DateTimeOffset? Instant(string s) => s.Length == 0
        ? null
        : DateTimeOffset.Parse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal)
            .ToOffset(TimeSpan.Zero);
}

/// <summary>One group of Measure-UsageCost; the grouping keys are properties named as <c>azs-usage cost</c> names them.</summary>
public static class UsageCostTypeName
{
    /// <summary>The type name of Measure-UsageCost's objects (for the table view).</summary>
    public const string Summary = "AzsUsage.UsageCost";
    /// <summary>The type name of ConvertTo-FocusCost's FOCUS row objects.</summary>
    public const string FocusRow = "AzsUsage.FocusCost";
}
