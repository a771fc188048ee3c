#!/usr/bin/env pwsh
# Runs the Pester suite against the built module (out/AzsUsage) and one shared emulator.
# Usage: .tools/pwsh/pwsh -NoProfile -NonInteractive -File tests/pester/run.ps1 [-Path <test file>]
# Prints "N passed, N failed" as its last line and exits non-zero on any failure.
param([string[]] $Path = @($PSScriptRoot))
$Path = @($Path | ForEach-Object { $_ -split ',' } | Where-Object { $_ })

$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$PSStyle.OutputRendering = 'PlainText'
$env:POWERSHELL_TELEMETRY_OPTOUT = '1'
$env:POWERSHELL_UPDATECHECK = 'Off'

$root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
$pester = Get-ChildItem -Path (Join-Path $root '.tools/nuget/pester') -Filter Pester.psd1 -Recurse -ErrorAction SilentlyContinue |
    Sort-Object { [version]$_.Directory.Parent.Name } -Descending | Select-Object -First 1
if (-not $pester) { Write-Host 'Pester not found under .tools/nuget; run scripts/dotnet-tools.sh'; Write-Host '0 passed, 1 failed'; exit 2 }
Import-Module $pester.FullName -Force

$manifest = if ($env:AZS_MODULE_PATH) { $env:AZS_MODULE_PATH } else { Join-Path $root 'out/AzsUsage/AzsUsage.psd1' }
if (-not (Test-Path $manifest)) { Write-Host "Module not built: $manifest (run module/build.sh)"; Write-Host '0 passed, 1 failed'; exit 2 }
Import-Module $manifest

$failed = 1
$passed = 0
try {
    $global:AzsTestEmulator = Start-AzsUsageEmulator -Days 3 -PageSize 250 -Seed 7
    $config = New-PesterConfiguration
    $config.Run.Path = $Path
    $config.Run.PassThru = $true
    $config.Output.Verbosity = 'Detailed'
    $config.Output.RenderMode = 'Plaintext'
    $result = Invoke-Pester -Configuration $config
    if ($null -eq $result) {
        $failed = 1
    } else {
        $passed = [int] $result.PassedCount
        $failed = [int] $result.FailedCount + [int] $result.FailedBlocksCount + [int] $result.FailedContainersCount
        if ($result.Result -ne 'Passed' -and $failed -eq 0) { $failed = 1 }
    }
} catch {
    Write-Host "Test run failed: $_"
} finally {
    Stop-AzsUsageEmulator
}
Write-Host ('{0} passed, {1} failed' -f $passed, $failed)
if ($failed -gt 0) { exit 1 }
exit 0
