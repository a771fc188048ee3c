using System;
using System.Globalization;
using System.Management.Automation;

namespace AzsUsage;

/// <summary>
/// Accepts DateTime (any Kind), DateTimeOffset or text for the reported-time parameters and yields a DateTimeOffset:
/// Utc as is; Local converted from this machine's time zone; Unspecified read as UTC (so a script gives the same
/// window on every machine); text parsed as ISO 8601 (invariant culture) and read as UTC when it has no offset.
/// </summary>
public sealed class TimeArgumentAttribute : ArgumentTransformationAttribute
{
    /// <inheritdoc/>
    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData) => Convert(inputData);

    internal static object Convert(object inputData)
    {
        object v = inputData is PSObject pso ? pso.BaseObject : inputData;
        return v switch
        {
            null => null!,
            DateTimeOffset dto => dto,
            DateTime dt => FromDateTime(dt),
            string s => DateTimeOffset.Parse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal),
            _ => v,
        };
    }

    internal static DateTimeOffset FromDateTime(DateTime dt) => dt.Kind switch
    {
        DateTimeKind.Utc => new DateTimeOffset(dt, TimeSpan.Zero),
        DateTimeKind.Local => new DateTimeOffset(dt).ToUniversalTime(),
        _ => new DateTimeOffset(DateTime.SpecifyKind(dt, DateTimeKind.Utc), TimeSpan.Zero),
    };

    /// <summary>The ISO 8601 text sent to the core (offset kept; the core normalises to UTC).</summary>
    internal static string Iso(DateTimeOffset t) => t.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFFzzz", CultureInfo.InvariantCulture);
}
