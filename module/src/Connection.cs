using System;
using System.Management.Automation.Runspaces;
using System.Runtime.CompilerServices;
using AzsUsage.Native;

namespace AzsUsage;

/// <summary>
/// A connection made by Connect-AzsUsage: the endpoint, the default subscription and how it authenticates. It holds
/// the native session (a Tokio runtime and the core's client); it never holds or shows a secret.
/// </summary>
public sealed class AzsUsageConnection
{
    /// <summary>The ARM endpoint.</summary>
    public string Endpoint { get; init; } = "";
    /// <summary>The default subscription (tenant subscription, or the provider subscription on an admin endpoint).</summary>
    public string SubscriptionId { get; init; } = "";
    /// <summary>Directory tenant, when given.</summary>
    public string? TenantId { get; init; }
    /// <summary>Anonymous, Token, ClientSecret or Certificate.</summary>
    public string CredentialKind { get; init; } = "";
    /// <summary>The service principal's client id, when one is used.</summary>
    public string? ClientId { get; init; }
    /// <summary>True when server certificates are not checked.</summary>
    public bool SkipCertificateCheck { get; init; }
    /// <summary>When the connection was made.</summary>
    public DateTimeOffset ConnectedAt { get; init; }

    internal Session Session { get; init; } = null!;

    /// <summary>The endpoint and subscription (no secrets).</summary>
    public override string ToString() => $"{Endpoint} ({SubscriptionId})";

    // One current connection per runspace ("the session"): a Runspace key so [powershell]::Create() pipelines and
    // other runspaces do not see each other's connections.
    private static readonly ConditionalWeakTable<object, AzsUsageConnection> Current = new();
    private static readonly object NoRunspace = new();

    private static object Key => (object?)Runspace.DefaultRunspace ?? NoRunspace;

    /// <summary>The current runspace's connection, or null.</summary>
    public static AzsUsageConnection? GetCurrent() => Current.TryGetValue(Key, out var c) ? c : null;

    internal static void SetCurrent(AzsUsageConnection c) => Current.AddOrUpdate(Key, c);
}
