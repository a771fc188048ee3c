#!/usr/bin/env pwsh
<#
.SYNOPSIS
    One entry point for building, demonstrating and testing AzsUsage (twin of build.sh).
.DESCRIPTION
    setup  install the repo-local tools (PowerShell tool, Pester) and check cargo and dotnet
    build  build the CLI, the native library and the PowerShell module into out/
    demo   start the emulator with sample data and pull every tenant's usage into CSV, with the
           CLI and with the module, and compare the totals
    test   run every test suite; the last line is "N passed, N failed"
.EXAMPLE
    ./build.ps1 demo
#>
param(
    [Parameter(Position = 0, Mandatory)]
    [ValidateSet('setup', 'build', 'demo', 'test')]
    [string] $Task,
    [ValidateSet('debug', 'release')]
    [string] $Profile
)
$ErrorActionPreference = 'Stop'
Set-Location $PSScriptRoot

function Invoke-Setup {
    $activate = Join-Path $PSScriptRoot '../shared/crates/activate'
    if (Test-Path $activate) { & bash $activate | Out-Null }
    foreach ($tool in 'cargo', 'dotnet') {
        if (-not (Get-Command $tool -ErrorAction SilentlyContinue)) { throw "$tool not found: install it first (Rust from rustup.rs, the .NET SDK 8 or later)" }
    }
    & (Join-Path $PSScriptRoot 'scripts/dotnet-tools.ps1')
    # The report's browser tests: Playwright (pinned by tests/report/package-lock.json) drives a
    # Chromium, Chrome or Edge (AZS_USAGE_TEST_BROWSER names it when not at /usr/bin/chromium).
    if (-not (Get-Command npm -ErrorAction SilentlyContinue)) { throw 'npm not found: install Node.js 18 or later' }
    if (-not (Test-Path (Join-Path $PSScriptRoot 'tests/report/node_modules/playwright-core/package.json'))) {
        Push-Location (Join-Path $PSScriptRoot 'tests/report')
        try { npm ci --no-audit --no-fund | Out-Null; if ($LASTEXITCODE) { throw "npm ci failed ($LASTEXITCODE)" } } finally { Pop-Location }
    }
}

function Invoke-Build([string] $BuildProfile) {
    & (Join-Path $PSScriptRoot 'module/build.ps1') -DebugBuild:($BuildProfile -eq 'debug')
    if ($LASTEXITCODE) { throw "module build failed ($LASTEXITCODE)" }
}

function Invoke-Tests {
    $logs = Join-Path $PSScriptRoot 'target/test-logs'
    New-Item -ItemType Directory -Force $logs | Out-Null
    $passed = 0; $failed = 0
    cargo test --workspace --no-fail-fast 2>&1 | Tee-Object (Join-Path $logs 'cargo.log')
    $cargoExit = $LASTEXITCODE
    foreach ($line in Get-Content (Join-Path $logs 'cargo.log')) {
        if ($line -match '^test result: .*? (\d+) passed; (\d+) failed') { $passed += [int]$Matches[1]; $failed += [int]$Matches[2] }
    }
    if ($cargoExit -and -not $failed) { $failed++ }
    Invoke-Build ($Profile ? $Profile : 'debug')
    $pwsh = Get-ChildItem (Join-Path $PSScriptRoot '.tools/pwsh') -Filter 'pwsh*' -File | Select-Object -First 1
    & $pwsh.FullName -NoProfile -NonInteractive -File (Join-Path $PSScriptRoot 'tests/pester/run.ps1') 2>&1 | Tee-Object (Join-Path $logs 'pester.log')
    $pesterExit = $LASTEXITCODE
    $summary = Get-Content (Join-Path $logs 'pester.log') | Where-Object { $_ -match '^(\d+) passed, (\d+) failed' } | Select-Object -Last 1
    if ($summary -match '^(\d+) passed, (\d+) failed') { $passed += [int]$Matches[1]; $failed += [int]$Matches[2] }
    elseif ($pesterExit) { $failed++ }
    "$passed passed, $failed failed"
    if ($failed) { exit 1 }
}

switch ($Task) {
    'setup' { Invoke-Setup }
    'build' { Invoke-Setup; Invoke-Build ($Profile ? $Profile : 'release') }
    'demo' {
        Invoke-Setup; Invoke-Build ($Profile ? $Profile : 'release')
        & (Join-Path $PSScriptRoot 'scripts/demo.ps1')
    }
    'test' { Invoke-Setup; Invoke-Tests }
}
