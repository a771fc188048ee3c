#!/usr/bin/env pwsh
<#
.SYNOPSIS
    The main job, end to end on the embedded default: start the emulator with 30 days of sample data, pull every
    tenant's usage through the provider API into CSV with the CLI and with the module, and compare the totals.
.DESCRIPTION
    Expects the module built into out/AzsUsage (./build.sh build). Files land in out/demo/.
#>
$ErrorActionPreference = 'Stop'
$root = Split-Path -Parent $PSScriptRoot
$module = Join-Path $root 'out/AzsUsage'
Import-Module (Join-Path $module 'AzsUsage.psd1')
$work = New-Item -ItemType Directory -Force (Join-Path $root 'out/demo')
$database = Join-Path $work 'emulator.db'
$cliCsv = Join-Path $work 'usage-cli.csv'
$moduleCsv = Join-Path $work 'usage-module.csv'
$exe = Join-Path $module ($IsWindows ? 'azs-usage.exe' : 'azs-usage')

Write-Host "==> starting the emulator ($database)"
$emulator = Start-AzsUsageEmulator -Database $database
try {
    Write-Host "    $($emulator.Endpoint): $($emulator.Records) hourly records, $($emulator.Tenants.Count) tenants"
    # The whole sample: 31 days of reported time up to the current hour.
    $now = [DateTimeOffset]::UtcNow
    $end = [DateTimeOffset]::new($now.Year, $now.Month, $now.Day, $now.Hour, 0, 0, [TimeSpan]::Zero)
    $start = $end.AddDays(-31)
    $iso = { param($t) $t.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", [cultureinfo]::InvariantCulture) }

    Write-Host "==> CLI: azs-usage subscriber-usage -> $cliCsv"
    & $exe subscriber-usage --emulator $emulator.ReadyFile --granularity Hourly --start (& $iso $start) --end (& $iso $end) --output $cliCsv
    if ($LASTEXITCODE) { throw "azs-usage failed with exit code $LASTEXITCODE" }

    Write-Host "==> module: Get-SubscriberUsageAggregate | Export-Csv -> $moduleCsv"
    $emulator | Connect-AzsUsage | Out-Null
    $elapsed = Measure-Command {
        Get-SubscriberUsageAggregate -ReportedStartTime $start -ReportedEndTime $end -AggregationGranularity Hourly |
            Export-Csv -Path $moduleCsv -NoTypeInformation -Encoding utf8
    }
    Write-Host ("    done in {0:N1}s" -f $elapsed.TotalSeconds)

    Write-Host '==> totals per subscription (CLI vs module)'
    $summarise = {
        param($path)
        $rows = Import-Csv $path
        $rows | Group-Object SubscriptionId | ForEach-Object {
            $sum = [decimal]0
            foreach ($r in $_.Group) { $sum += [decimal]::Parse($r.Quantity, [cultureinfo]::InvariantCulture) }
            [pscustomobject]@{ SubscriptionId = $_.Name; Records = $_.Count; Quantity = $sum }
        } | Sort-Object SubscriptionId
    }
    $cli = & $summarise $cliCsv
    $mod = & $summarise $moduleCsv
    $names = @{}
    foreach ($t in $emulator.Tenants) { foreach ($s in $t.SubscriptionIds) { $names[$s] = $t.Name } }
    $table = foreach ($c in $cli) {
        $m = $mod | Where-Object SubscriptionId -EQ $c.SubscriptionId
        [pscustomobject]@{
            Tenant         = $names[$c.SubscriptionId] ?? '(deleted or provider)'
            SubscriptionId = $c.SubscriptionId
            CliRecords     = $c.Records
            ModuleRecords  = $m.Records
            CliQuantity    = $c.Quantity
            ModuleQuantity = $m.Quantity
        }
    }
    $table | Format-Table -AutoSize | Out-String -Width 220 | Write-Host
    $cliTotal = ($cli | Measure-Object Records -Sum).Sum
    $modTotal = ($mod | Measure-Object Records -Sum).Sum
    $same = ($cliTotal -eq $modTotal) -and -not ($table | Where-Object { $_.CliRecords -ne $_.ModuleRecords -or $_.CliQuantity -ne $_.ModuleQuantity })
    if (-not $same) { throw "the CLI ($cliTotal records) and the module ($modTotal records) disagree" }
    Write-Host "==> CLI and module agree: $cliTotal records across $($cli.Count) subscriptions"
}
finally {
    $emulator | Stop-AzsUsageEmulator
}
