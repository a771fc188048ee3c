<#
.SYNOPSIS
The benchmark comparison (issue 4), from PowerShell: runs scripts/bench.sh.

.DESCRIPTION
The harness measures peak memory with GNU time and fetches the transfer floor with curl in bash, so it runs
on Linux or macOS (or WSL on Windows). This wrapper passes -Quick/-Records/-SkipBuild/-Only through.

.EXAMPLE
./scripts/bench.ps1 -Quick
#>
param(
    [switch] $Quick,
    [long] $Records,
    [long] $BaselineRecords,
    [switch] $SkipBuild,
    # Runs to do, e.g. 'a,e' (a: CLI pulls, b: module, c: baseline, d: curl floor, e: pricing).
    [string] $Only
)
$ErrorActionPreference = 'Stop'
$script = Join-Path $PSScriptRoot 'bench.sh'
$bash = Get-Command bash -ErrorAction SilentlyContinue
if (-not $bash) { throw 'scripts/bench.ps1 needs bash (Linux, macOS, or WSL on Windows), GNU time and curl.' }
$argv = @()
if ($Quick) { $argv += '--quick' }
if ($Records) { $argv += '--records', $Records }
if ($BaselineRecords) { $argv += '--baseline-records', $BaselineRecords }
if ($SkipBuild) { $argv += '--skip-build' }
if ($Only) { $argv += '--only', $Only }
& $bash.Source $script @argv
exit $LASTEXITCODE
