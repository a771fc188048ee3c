using System;
using System.Management.Automation;
using System.Net;
using System.Security;
using AzsUsage.Native;

namespace AzsUsage.Commands;

/// <summary>
/// Connects to an Azure Stack Hub ARM endpoint (tenant or admin) and keeps the connection for this session. Accepts
/// the object Start-AzsUsageEmulator returns (Endpoint, Credential, TenantId, SubscriptionId, CaCertificateFile).
/// </summary>
[Cmdlet(VerbsCommunications.Connect, "AzsUsage", DefaultParameterSetName = Anonymous)]
[OutputType(typeof(AzsUsageConnection))]
public sealed class ConnectAzsUsageCommand : PSCmdlet
{
    private const string Anonymous = "Anonymous";
    private const string Token = "AccessToken";
    private const string Secret = "Credential";
    private const string Certificate = "Certificate";

    /// <summary>The ARM endpoint, e.g. https://adminmanagement.local.azurestack.external.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("ArmEndpoint", "ResourceManagerEndpoint")]
    [ValidateNotNullOrEmpty]
    public string Endpoint { get; set; } = "";

    /// <summary>A bearer token obtained elsewhere.</summary>
    [Parameter(Mandatory = true, ParameterSetName = Token)]
    public SecureString? AccessToken { get; set; }

    /// <summary>Service principal: user name = application (client) id, password = client secret.</summary>
    [Parameter(Mandatory = true, ParameterSetName = Secret, ValueFromPipelineByPropertyName = true)]
    [Credential]
    public PSCredential? Credential { get; set; }

    /// <summary>PEM file with the service principal's certificate and private key.</summary>
    [Parameter(Mandatory = true, ParameterSetName = Certificate)]
    [ValidateNotNullOrEmpty]
    public string? CertificatePath { get; set; }

    /// <summary>Password of the certificate's private key.</summary>
    [Parameter(ParameterSetName = Certificate)]
    public SecureString? CertificatePassword { get; set; }

    /// <summary>The application (client) id for -CertificatePath.</summary>
    [Parameter(Mandatory = true, ParameterSetName = Certificate)]
    [Alias("ApplicationId")]
    [ValidateNotNullOrEmpty]
    public string? ClientId { get; set; }

    /// <summary>Directory tenant (GUID or domain) for Azure AD; not needed for AD FS.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("DirectoryTenantId", "Tenant")]
    public string? TenantId { get; set; }

    /// <summary>Extra CA certificate(s) (PEM) to trust, e.g. the stamp's internal root.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("CaCertificatePath")]
    public string? CaCertificateFile { get; set; }

    /// <summary>Accept any server certificate (labs only; a warning is written).</summary>
    [Parameter]
    public SwitchParameter SkipCertificateCheck { get; set; }

    /// <summary>Default subscription; looked up from the endpoint's subscription list when omitted.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string? SubscriptionId { get; set; }

    /// <summary>Timeout of one HTTP request, in seconds (default: 120).</summary>
    [Parameter]
    [ValidateRange(1, 3600)]
    public int TimeoutSec { get; set; }

    /// <summary>Retries per request after the first attempt (default: the core's policy, 8).</summary>
    [Parameter]
    [ValidateRange(0, 100)]
    public int MaxRetries { get; set; } = -1;

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        if (SkipCertificateCheck)
            WriteWarning("-SkipCertificateCheck: server certificates are not checked. Use this only in a lab; prefer -CaCertificateFile.");

        var o = new ConnectOptionsDto
        {
            endpoint = Endpoint,
            credential_kind = Anonymous,
            client_id = "",
            secret = "",
            tenant = TenantId ?? "",
            certificate_path = "",
            certificate_password = "",
            ca_file = string.IsNullOrEmpty(CaCertificateFile) ? "" : GetUnresolvedProviderPathFromPSPath(CaCertificateFile),
            insecure = (byte)(SkipCertificateCheck ? 1 : 0),
            timeout_seconds = (uint)TimeoutSec,
            max_retries = MaxRetries,
        };
        string? clientId = null;
        switch (ParameterSetName)
        {
            case Token:
                o.credential_kind = "Token";
                o.secret = new NetworkCredential("", AccessToken).Password;
                break;
            case Secret:
                o.credential_kind = "ClientSecret";
                o.client_id = clientId = Credential!.UserName;
                o.secret = Credential.GetNetworkCredential().Password;
                break;
            case Certificate:
                o.credential_kind = "Certificate";
                o.client_id = clientId = ClientId!;
                o.certificate_path = GetUnresolvedProviderPathFromPSPath(CertificatePath);
                o.certificate_password = CertificatePassword == null ? "" : new NetworkCredential("", CertificatePassword).Password;
                break;
        }

        Session session;
        try { session = NativeCalls.CreateSession(); }
        catch (NativeInternalException ex) { ThrowTerminatingError(ErrorMapper.Internal(ex)); return; }
        bool keep = false;
        try
        {
            var connected = NativeCalls.Connect(session, o);
            Verbose(session);
            if (connected.error.Count > 0) Fail(connected.error[0]);

            string subscription = SubscriptionId ?? "";
            if (subscription.Length == 0)
            {
                WriteVerbose("No -SubscriptionId: looking up the default subscription from the endpoint.");
                var found = NativeCalls.DefaultSubscription(session);
                Verbose(session);
                if (found.error.Count > 0) Fail(found.error[0]);
                subscription = found.text;
            }
            var connection = new AzsUsageConnection
            {
                Endpoint = connected.text,
                SubscriptionId = subscription,
                TenantId = string.IsNullOrEmpty(TenantId) ? null : TenantId,
                CredentialKind = o.credential_kind,
                ClientId = clientId,
                SkipCertificateCheck = SkipCertificateCheck,
                ConnectedAt = DateTimeOffset.Now,
                Session = session,
            };
            AzsUsageConnection.SetCurrent(connection);
            keep = true;
            WriteObject(connection);
        }
        catch (NativeInternalException ex) { ThrowTerminatingError(ErrorMapper.Internal(ex)); }
        finally
        {
            o.secret = "";
            o.certificate_password = "";
            if (!keep) session.Dispose();
        }
    }

    private void Fail(ErrorDto e)
    {
        foreach (var line in ErrorMapper.CauseLines(e)) WriteVerbose(line);
        ThrowTerminatingError(ErrorMapper.From(e, Endpoint, false));
    }

    private void Verbose(Session session)
    {
        foreach (var e in NativeCalls.DrainEvents(session)) WriteVerbose(e.message);
    }
}
