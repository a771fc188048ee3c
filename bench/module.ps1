<#
.SYNOPSIS
(b) of the benchmark: the AzsUsage module, Get-SubscriberUsageAggregate | Export-Csv.

.DESCRIPTION
Imports the built module (out/AzsUsage), connects as the emulator's admin with the client
credentials from its ready file, and streams every Hourly record of the window into Export-Csv.
Prints the elapsed time of the pull alone (after import and connect) on the last line as
"pull-seconds N", for reference; the harness times the whole process.
#>
param(
    [Parameter(Mandatory)] [string] $ReadyFile,
    [Parameter(Mandatory)] [string] $Start,
    [Parameter(Mandatory)] [string] $End,
    [Parameter(Mandatory)] [string] $Output,
    [string] $Module = (Join-Path $PSScriptRoot '../out/AzsUsage/AzsUsage.psd1'),
    [int] $ThrottleLimit = 1
)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
Import-Module $Module

$ready = Get-Content -Raw $ReadyFile | ConvertFrom-Json
$secret = ConvertTo-SecureString $ready.admin.clientSecret -AsPlainText -Force
$cred = [pscredential]::new($ready.admin.clientId, $secret)
Connect-AzsUsage -Endpoint $ready.adminEndpoint -Credential $cred -TenantId $ready.admin.tenantId `
    -SubscriptionId $ready.providerSubscriptionId | Out-Null

$sw = [Diagnostics.Stopwatch]::StartNew()
Get-SubscriberUsageAggregate -ReportedStartTime $Start -ReportedEndTime $End -AggregationGranularity Hourly `
    -ThrottleLimit $ThrottleLimit |
    Export-Csv -Path $Output -NoTypeInformation -Encoding utf8
'pull-seconds {0:F2}' -f $sw.Elapsed.TotalSeconds
