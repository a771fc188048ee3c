#!/usr/bin/env pwsh
<#
.SYNOPSIS
    The report benchmark (twin of bench/report.sh): one million usage records into the chargeback
    report and 40 statements, release build. Targets: under 10 s, a report under 5 MB.
#>
param([switch] $SkipBuild)
$ErrorActionPreference = 'Stop'
$root = Split-Path $PSScriptRoot -Parent
$work = Join-Path $root 'bench/work'; $results = Join-Path $root 'bench/results'
New-Item -ItemType Directory -Force $work, $results | Out-Null
$target = if ($env:CARGO_TARGET_DIR) { $env:CARGO_TARGET_DIR } else { Join-Path $root 'target' }
if (-not $SkipBuild) {
    Push-Location $root
    try { cargo build --release -p azs-usage-report --example million_report; if ($LASTEXITCODE) { throw "cargo build failed ($LASTEXITCODE)" } }
    finally { Pop-Location }
}
$exe = Get-ChildItem (Join-Path $target 'release/examples') -Filter 'million_report*' -File |
    Where-Object { $_.Extension -in '', '.exe' } | Select-Object -First 1
if (-not $exe) { throw "no million_report in $target/release/examples (run without -SkipBuild)" }
$html = Join-Path $work 'report-1m.html'
$elapsed = Measure-Command { $script:json = & $exe.FullName $html }
$r = $script:json | ConvertFrom-Json
$size = (Get-Item $html).Length
$met = { param($ok) if ($ok) { '**met**' } else { '**missed**' } }
$md = @(
    "### Report: $($r.records.ToString('N0')) usage records into the chargeback report and $($r.statements) statements"
    ''
    '| figure | value | target | |'
    '|---|---:|---|---|'
    "| report time (pass + rendering) | $($r.report_s.ToString('0.00')) s | < 10 s | $(& $met ($r.report_s -lt 10)) |"
    "| report file | $(($size / 1e6).ToString('0.00')) MB | < 5 MB | $(& $met ($size -lt 5e6)) |"
    "| process wall | $($elapsed.TotalSeconds.ToString('0.00')) s | | |"
)
$md | Set-Content (Join-Path $results 'report.md')
$md
