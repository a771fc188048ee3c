<#
.SYNOPSIS
The baseline: what admins do today without the module.

.DESCRIPTION
Gets a token with the admin client credentials (Invoke-RestMethod to the token endpoint), then loops
Invoke-RestMethod over subscriberUsageAggregates following nextLink, runs ConvertFrom-Json on each
record's instanceData (and once more on the double-encoded tags/additionalInfo), builds one
[pscustomobject] per record with the same 17 columns as the CLI and the module (meter names from a
hashtable, resource URI split with a regex) and streams them into Export-Csv.

This is the *good* version of the admin script: it streams through the pipeline instead of
accumulating `$all += $obj` (which is quadratic), so it is a conservative baseline.

.EXAMPLE
pwsh -File bench/baseline.ps1 -ReadyFile ready.json -Start 2026-10-01T00:00:00Z -End 2026-10-31T00:00:00Z -Output out.csv -MetersCsv meters.csv
#>
param(
    [Parameter(Mandatory)] [string] $ReadyFile,
    [Parameter(Mandatory)] [string] $Start,
    [Parameter(Mandatory)] [string] $End,
    [Parameter(Mandatory)] [string] $Output,
    # Id,Name,Unit,Category (e.g. `azs-usage meters`); admins paste this table from the docs.
    [string] $MetersCsv
)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'

$ready = Get-Content -Raw $ReadyFile | ConvertFrom-Json
$meters = @{}
if ($MetersCsv) {
    foreach ($m in Import-Csv $MetersCsv) { $meters[$m.Id.Replace('-', '').ToLowerInvariant()] = $m }
}

# 1. A token with the admin service principal (Azure AD v1 client credentials).
$tokenUri = '{0}{1}/oauth2/token' -f $ready.loginEndpoint, $ready.admin.tenantId
$token = Invoke-RestMethod -Method Post -Uri $tokenUri -Body @{
    grant_type    = 'client_credentials'
    client_id     = $ready.admin.clientId
    client_secret = $ready.admin.clientSecret
    resource      = $ready.audience
}
$headers = @{ Authorization = "Bearer $($token.access_token)" }

function ConvertFrom-MaybeJson($text) {
    if ($null -eq $text) { return $null }
    if ($text -is [string]) {
        if ($text -eq '' -or $text -eq 'null') { return $null }
        return $text | ConvertFrom-Json
    }
    $text
}
function Format-Map($obj) {
    if ($null -eq $obj) { return '' }
    ($obj.PSObject.Properties | ForEach-Object { '{0}={1}' -f $_.Name, $_.Value }) -join ';'
}

# 2. The paging loop, streamed into Export-Csv.
$uri = '{0}/subscriptions/{1}/providers/Microsoft.Commerce.Admin/subscriberUsageAggregates?api-version=2015-06-01-preview&reportedStartTime={2}&reportedEndTime={3}&aggregationGranularity=Hourly&showDetails=true' -f `
    $ready.adminEndpoint.TrimEnd('/'), $ready.providerSubscriptionId, [uri]::EscapeDataString($Start), [uri]::EscapeDataString($End)

& {
    while ($uri) {
        $page = Invoke-RestMethod -Uri $uri -Headers $headers
        foreach ($item in $page.value) {
            $p = $item.properties
            $inst = ConvertFrom-MaybeJson $p.instanceData
            $res = $inst.'Microsoft.Resources'
            $tags = ConvertFrom-MaybeJson $res.tags
            $info = ConvertFrom-MaybeJson $res.additionalInfo
            $meter = $meters[$p.meterId.Replace('-', '').ToLowerInvariant()]
            $rg = $rp = $rt = $rn = ''
            if ($res.resourceUri -match '(?i)/resourceGroups/([^/]+)/providers/([^/]+)/([^/]+)/(.+)$') {
                $rg = $Matches[1]; $rp = $Matches[2]; $rt = $Matches[3]; $rn = $Matches[4]
            }
            [pscustomobject]@{
                SubscriptionId   = $p.subscriptionId
                MeterId          = $p.meterId
                MeterName        = $meter.Name
                MeterCategory    = $meter.Category
                Unit             = $meter.Unit
                Quantity         = $p.quantity
                UsageStartTime   = $p.usageStartTime
                UsageEndTime     = $p.usageEndTime
                ResourceUri      = $res.resourceUri
                ResourceGroup    = $rg
                ResourceProvider = $rp
                ResourceType     = $rt
                ResourceName     = $rn
                Location         = $res.location
                Tags             = Format-Map $tags
                AdditionalInfo   = Format-Map $info
                InstanceData     = $p.instanceData
            }
        }
        $uri = $page.nextLink
    }
} | Export-Csv -Path $Output -NoTypeInformation -Encoding utf8
