# Makes the Export-Csv fixtures in this folder: the real module's records exported under three
# cultures, and the same records in the CLI's text forms (ISO instants, invariant decimals) as the reference.
#   pwsh make-export-fixtures.ps1 [-Module out/AzsUsage/AzsUsage.psd1]   (module/build.sh --debug builds it)
param([string] $Module = (Join-Path $PSScriptRoot '../../../../out/AzsUsage/AzsUsage.psd1'))
$ErrorActionPreference = 'Stop'
Import-Module $Module
Set-Location $PSScriptRoot
$emu = Start-AzsUsageEmulator -Days 2 -Seed 5 -PageSize 100
try {
    $emu | Connect-AzsUsage | Out-Null
    $end = [datetime]::SpecifyKind([datetime]::UtcNow.Date.AddHours([datetime]::UtcNow.Hour), 'Utc')
    $records = @(Get-SubscriberUsageAggregate -ReportedStartTime $end.AddHours(-30) -ReportedEndTime $end -AggregationGranularity Hourly)
    # One record of every meter the emulator emits, plus tagged ones (non-ASCII keys and values too).
    $pick = @($records | Group-Object MeterId | ForEach-Object { $_.Group | Select-Object -First 1 })
    $pick += @($records | Where-Object { $_.Tags.Count -gt 0 } | Group-Object { $_.Tags.ToString() } | ForEach-Object { $_.Group[0] } | Select-Object -First 5)
    $saved = [cultureinfo]::CurrentCulture
    try {
        foreach ($c in 'invariant', 'en-US', 'de-DE') {
            [cultureinfo]::CurrentCulture = if ($c -eq 'invariant') { [cultureinfo]::InvariantCulture } else { [cultureinfo]::GetCultureInfo($c) }
            $pick | Export-Csv -LiteralPath "export-$c.csv" -Encoding utf8
        }
    } finally { [cultureinfo]::CurrentCulture = $saved }
    $inv = [cultureinfo]::InvariantCulture
    $pick | Select-Object SubscriptionId, MeterId, MeterName, MeterCategory, Unit,
        @{ n = 'Quantity'; e = { $_.Quantity.ToString($inv) } },
        @{ n = 'UsageStartTime'; e = { $_.UsageStartTime.UtcDateTime.ToString('yyyy-MM-ddTHH:mm:ssZ', $inv) } },
        @{ n = 'UsageEndTime'; e = { $_.UsageEndTime.UtcDateTime.ToString('yyyy-MM-ddTHH:mm:ssZ', $inv) } },
        ResourceUri, ResourceGroup, ResourceProvider, ResourceType, ResourceName, Location,
        @{ n = 'Tags'; e = { $_.Tags.ToString() } }, @{ n = 'AdditionalInfo'; e = { $_.AdditionalInfo.ToString() } }, InstanceData |
        Export-Csv -LiteralPath 'export-reference.csv' -Encoding utf8
    "records: $($records.Count), fixture: $($pick.Count)"
} finally { Stop-AzsUsageEmulator -ErrorAction SilentlyContinue }
