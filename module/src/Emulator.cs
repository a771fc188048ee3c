using System;
using System.Collections.Generic;
using System.Management.Automation;
using System.Security;
using System.Text.Json;

namespace AzsUsage;

/// <summary>A principal of the emulator's sample data (plain-text credentials: they guard nothing real).</summary>
public class EmulatorPrincipal
{
    /// <summary>Directory tenant id.</summary>
    public string TenantId { get; init; } = "";
    /// <summary>Application (client) id.</summary>
    public string ClientId { get; init; } = "";
    /// <summary>Client secret (sample data).</summary>
    public string ClientSecret { get; init; } = "";
    /// <summary>The ARM endpoint this principal connects to.</summary>
    public string Endpoint { get; init; } = "";
    /// <summary>The CA certificate to trust (HTTPS emulators), or null.</summary>
    public string? CaCertificateFile { get; init; }
    /// <summary>The principal's default subscription.</summary>
    public string SubscriptionId { get; init; } = "";

    /// <summary>The credential for Connect-AzsUsage -Credential (user name = client id).</summary>
    public PSCredential Credential
    {
        get
        {
            var s = new SecureString();
            foreach (var c in ClientSecret) s.AppendChar(c);
            s.MakeReadOnly();
            return new PSCredential(ClientId, s);
        }
    }
}

/// <summary>A sample tenant of the emulator.</summary>
public sealed class EmulatorTenant : EmulatorPrincipal
{
    /// <summary>Tenant name, e.g. contoso.</summary>
    public string Name { get; init; } = "";
    /// <summary>The tenant's subscriptions.</summary>
    public string[] SubscriptionIds { get; init; } = Array.Empty<string>();
    /// <summary>All the tenant's subscriptions (the deleted one too) with owner and offer, as the directory lists them.</summary>
    public EmulatorSubscription[] Subscriptions { get; init; } = Array.Empty<EmulatorSubscription>();
}

/// <summary>A tenant subscription of the emulator's directory (from its ready file).</summary>
public sealed class EmulatorSubscription
{
    /// <summary>Subscription id.</summary>
    public string SubscriptionId { get; init; } = "";
    /// <summary>Display name.</summary>
    public string DisplayName { get; init; } = "";
    /// <summary>Owner (UPN).</summary>
    public string Owner { get; init; } = "";
    /// <summary>The offer's resource id.</summary>
    public string OfferId { get; init; } = "";
    /// <summary>The offer's display name (the directory file's OfferName).</summary>
    public string OfferName { get; init; } = "";
    /// <summary>Enabled or Deleted.</summary>
    public string State { get; init; } = "";
}

/// <summary>An offer of the emulator's directory.</summary>
public sealed class EmulatorOffer
{
    /// <summary>Resource id.</summary>
    public string Id { get; init; } = "";
    /// <summary>Name.</summary>
    public string Name { get; init; } = "";
    /// <summary>Display name.</summary>
    public string DisplayName { get; init; } = "";
    /// <summary>Public, Private or Decommissioned.</summary>
    public string State { get; init; } = "";
}

/// <summary>
/// A running emulator (Start-AzsUsageEmulator). Pipe it to Connect-AzsUsage to connect as the admin (provider API),
/// or pipe one of its <see cref="Tenants"/> to connect as that tenant.
/// </summary>
public sealed class AzsUsageEmulator : EmulatorPrincipal
{
    /// <summary>Admin ARM endpoint.</summary>
    public string AdminEndpoint { get; init; } = "";
    /// <summary>Tenant ARM endpoint.</summary>
    public string TenantEndpoint { get; init; } = "";
    /// <summary>AzureAD or ADFS.</summary>
    public string IdentitySystem { get; init; } = "";
    /// <summary>The login endpoint.</summary>
    public string LoginEndpoint { get; init; } = "";
    /// <summary>The token audience.</summary>
    public string Audience { get; init; } = "";
    /// <summary>The Default Provider Subscription.</summary>
    public string ProviderSubscriptionId { get; init; } = "";
    /// <summary>The admin principal.</summary>
    public EmulatorPrincipal Admin { get; init; } = new();
    /// <summary>Sample tenants.</summary>
    public EmulatorTenant[] Tenants { get; init; } = Array.Empty<EmulatorTenant>();
    /// <summary>The provider's offers.</summary>
    public EmulatorOffer[] Offers { get; init; } = Array.Empty<EmulatorOffer>();
    /// <summary>The SQLite database, or null (in memory).</summary>
    public string? Database { get; init; }
    /// <summary>Records in the store.</summary>
    public long Records { get; init; }
    /// <summary>The emulator process id.</summary>
    public int ProcessId { get; init; }
    /// <summary>The ready file the emulator wrote.</summary>
    public string ReadyFile { get; init; } = "";

    internal System.Diagnostics.Process? Process { get; set; }
    internal List<string> TempFiles { get; } = new();

    /// <summary>The endpoint.</summary>
    public override string ToString() => Endpoint;

    /// <summary>Emulators started in this process (Stop-AzsUsageEmulator with no argument stops them all).</summary>
    internal static readonly List<AzsUsageEmulator> Started = new();

    internal static AzsUsageEmulator Parse(string json, int pid, string readyFile, System.Diagnostics.Process? process)
    {
        using var doc = JsonDocument.Parse(json);
        var r = doc.RootElement;
        string S(JsonElement e, string name) =>
            e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() ?? "" : "";
        string? N(JsonElement e, string name) { var s = S(e, name); return s.Length == 0 ? null : s; }
        string endpoint = S(r, "endpoint");
        string admin = N(r, "adminEndpoint") ?? endpoint;
        string tenantEndpoint = N(r, "tenantEndpoint") ?? endpoint;
        string? ca = N(r, "caCertificateFile");
        string providerSub = S(r, "providerSubscriptionId");
        var a = r.TryGetProperty("admin", out var av) ? av : default;
        var adminP = new EmulatorPrincipal
        {
            TenantId = a.ValueKind == JsonValueKind.Object ? S(a, "tenantId") : "",
            ClientId = a.ValueKind == JsonValueKind.Object ? S(a, "clientId") : "",
            ClientSecret = a.ValueKind == JsonValueKind.Object ? S(a, "clientSecret") : "",
            Endpoint = admin,
            CaCertificateFile = ca,
            SubscriptionId = providerSub,
        };
        var tenants = new List<EmulatorTenant>();
        if (r.TryGetProperty("tenants", out var tv) && tv.ValueKind == JsonValueKind.Array)
        {
            foreach (var t in tv.EnumerateArray())
            {
                var subs = new List<string>();
                if (t.TryGetProperty("subscriptionIds", out var sv) && sv.ValueKind == JsonValueKind.Array)
                    foreach (var s in sv.EnumerateArray()) if (s.ValueKind == JsonValueKind.String) subs.Add(s.GetString()!);
                var directory = new List<EmulatorSubscription>();
                if (t.TryGetProperty("subscriptions", out var dv) && dv.ValueKind == JsonValueKind.Array)
                    foreach (var d in dv.EnumerateArray())
                        if (d.ValueKind == JsonValueKind.Object)
                            directory.Add(new EmulatorSubscription
                            {
                                SubscriptionId = S(d, "subscriptionId"),
                                DisplayName = S(d, "displayName"),
                                Owner = S(d, "owner"),
                                OfferId = S(d, "offerId"),
                                OfferName = S(d, "offerName"),
                                State = S(d, "state"),
                            });
                tenants.Add(new EmulatorTenant
                {
                    Subscriptions = directory.ToArray(),
                    Name = S(t, "name"),
                    TenantId = S(t, "tenantId"),
                    ClientId = S(t, "clientId"),
                    ClientSecret = S(t, "clientSecret"),
                    SubscriptionIds = subs.ToArray(),
                    SubscriptionId = subs.Count > 0 ? subs[0] : "",
                    Endpoint = tenantEndpoint,
                    CaCertificateFile = ca,
                });
            }
        }
        var offers = new List<EmulatorOffer>();
        if (r.TryGetProperty("offers", out var ov) && ov.ValueKind == JsonValueKind.Array)
            foreach (var o in ov.EnumerateArray())
                if (o.ValueKind == JsonValueKind.Object)
                    offers.Add(new EmulatorOffer { Id = S(o, "id"), Name = S(o, "name"), DisplayName = S(o, "displayName"), State = S(o, "state") });
        long records = r.TryGetProperty("records", out var rv) && rv.ValueKind == JsonValueKind.Number && rv.TryGetInt64(out var n) ? n : 0;
        return new AzsUsageEmulator
        {
            Endpoint = admin,
            AdminEndpoint = admin,
            TenantEndpoint = tenantEndpoint,
            CaCertificateFile = ca,
            IdentitySystem = S(r, "identitySystem"),
            LoginEndpoint = S(r, "loginEndpoint"),
            Audience = S(r, "audience"),
            ProviderSubscriptionId = providerSub,
            SubscriptionId = providerSub,
            TenantId = adminP.TenantId,
            ClientId = adminP.ClientId,
            ClientSecret = adminP.ClientSecret,
            Admin = adminP,
            Tenants = tenants.ToArray(),
            Offers = offers.ToArray(),
            Database = N(r, "database"),
            Records = records,
            ProcessId = pid,
            ReadyFile = readyFile,
            Process = process,
        };
    }
}
