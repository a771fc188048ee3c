using System.Management.Automation;

namespace AzsUsage.Commands;

/// <summary>The built-in meter catalog, filtered by id, name (wildcards) and category.</summary>
[Cmdlet(VerbsCommon.Get, "UsageMeter")]
[OutputType(typeof(UsageMeter))]
public sealed class GetUsageMeterCommand : PSCmdlet
{
    /// <summary>Meter id(s); case and dashes are ignored.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("MeterId")]
    public string[]? Id { get; set; }

    /// <summary>Meter name; wildcards allowed.</summary>
    [Parameter]
    [SupportsWildcards]
    [Alias("MeterName")]
    public string? Name { get; set; }

    /// <summary>Category (Compute, Storage, Network, ...); wildcards allowed.</summary>
    [Parameter]
    [SupportsWildcards]
    [Alias("MeterCategory")]
    public string? Category { get; set; }

    private static string Norm(string id) => id.Replace("-", "").ToLowerInvariant();

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        System.Collections.Generic.List<Native.MeterDto> meters;
        try { meters = NativeCalls.Meters(); }
        catch (NativeInternalException ex) { ThrowTerminatingError(ErrorMapper.Internal(ex)); return; }
        var name = Name == null ? null : new WildcardPattern(Name, WildcardOptions.IgnoreCase);
        var category = Category == null ? null : new WildcardPattern(Category, WildcardOptions.IgnoreCase);
        var ids = new System.Collections.Generic.HashSet<string>();
        if (Id != null) foreach (var i in Id) ids.Add(Norm(i));
        var found = new System.Collections.Generic.HashSet<string>();
        foreach (var m in meters)
        {
            if (ids.Count > 0 && !ids.Contains(Norm(m.id))) continue;
            if (name != null && !name.IsMatch(m.name)) continue;
            if (category != null && !category.IsMatch(m.category)) continue;
            found.Add(Norm(m.id));
            WriteObject(new UsageMeter { Id = m.id, Name = m.name, Unit = m.unit, Category = m.category, Deprecated = m.deprecated != 0, Notes = m.notes });
        }
        if (Id != null && Name == null && Category == null)
            foreach (var i in Id)
                if (!found.Contains(Norm(i)))
                    WriteError(new ErrorRecord(new ItemNotFoundException($"No meter with id '{i}' in the catalog."),
                        "MeterNotFound", ErrorCategory.ObjectNotFound, i));
    }
}
