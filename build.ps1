#!/usr/bin/env pwsh
<#
.SYNOPSIS
    One entry point for building, demonstrating and testing AzsUsage (twin of build.sh).
.DESCRIPTION
    setup  install the repo-local tools (PowerShell tool, Pester) and check cargo and dotnet
    build  build the CLI, the native library and the PowerShell module into out/
    demo   start the emulator with sample data and pull every tenant's usage into CSV, with the
           CLI and with the module, and compare the totals
    test   the CI gates (format, lints, docs, C# warnings), then every test suite; the last line is
           "N passed, N failed" (each gate counts as one test)
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
    foreach ($tool in 'python3', 'node', 'npm') {
        if (-not (Get-Command $tool -ErrorAction SilentlyContinue) -and -not ($tool -eq 'python3' -and (Get-Command python -ErrorAction SilentlyContinue))) {
            throw "$tool not found: the pricing and report tests need Python 3 and Node.js (npm)"
        }
    }
    # npm packages at their locked versions: DuckDB for the FOCUS conformance test (tests/focus), and Playwright,
    # which drives a Chromium, Chrome or Edge for the report's browser tests (tests/report; AZS_USAGE_TEST_BROWSER
    # names the browser when it is not at /usr/bin/chromium).
    foreach ($suite in @(@('tests/focus', 'node_modules/@duckdb/node-api'), @('tests/report', 'node_modules/playwright-core/package.json'))) {
        if (Test-Path (Join-Path $PSScriptRoot $suite[0] $suite[1])) { continue }
        Push-Location (Join-Path $PSScriptRoot $suite[0])
        try { npm ci --no-audit --no-fund | Out-Null; if ($LASTEXITCODE) { throw "npm ci failed ($LASTEXITCODE)" } } finally { Pop-Location }
    }
}

function Invoke-Build([string] $BuildProfile) {
    & (Join-Path $PSScriptRoot 'module/build.ps1') -DebugBuild:($BuildProfile -eq 'debug')
    if ($LASTEXITCODE) { throw "module build failed ($LASTEXITCODE)" }
}

function Get-WorkspaceVersion {
    $inPackage = $false
    foreach ($line in Get-Content (Join-Path $PSScriptRoot 'Cargo.toml')) {
        if ($line.StartsWith('[')) { $inPackage = $line.Trim() -eq '[workspace.package]'; continue }
        if ($inPackage -and $line -match '^version\s*=\s*"([^"]+)"') { return $Matches[1] }
    }
    throw 'no [workspace.package] version in Cargo.toml'
}

# One CI gate, counted as one test; its output is shown only when it fails.
function Invoke-Gate([string] $Name, [scriptblock] $Command, [string] $Logs) {
    Write-Host "==> gate: $Name"
    $log = Join-Path $Logs "gate-$Name.log"
    $watch = [Diagnostics.Stopwatch]::StartNew()
    & $Command *> $log
    $ok = $LASTEXITCODE -eq 0
    if ($ok) { Write-Host "gate ${Name}: ok ($([int]$watch.Elapsed.TotalSeconds) s)" }
    else { Get-Content $log -Tail 60 | Write-Host; Write-Host "gate ${Name}: FAILED (full output in $log)" }
    $ok
}

function Invoke-Tests {
    $targetDir = $env:CARGO_TARGET_DIR ? $env:CARGO_TARGET_DIR : (Join-Path $PSScriptRoot 'target')
    $logs = Join-Path $targetDir 'test-logs'
    New-Item -ItemType Directory -Force $logs | Out-Null
    $passed = 0; $failed = 0
    $version = Get-WorkspaceVersion
    $gates = [ordered]@{
        fmt    = { cargo fmt --all --check }
        clippy = { cargo clippy --workspace --all-targets -- -D warnings }
        doc    = { $env:RUSTDOCFLAGS = '-D warnings'; try { cargo doc --workspace --no-deps } finally { Remove-Item Env:RUSTDOCFLAGS } }
        csharp = { dotnet build (Join-Path $PSScriptRoot 'module/AzsUsage.csproj') -c Debug -nologo -v quiet -warnaserror "-p:Version=$version" -o (Join-Path $PSScriptRoot 'module/bin/gate') }
    }
    foreach ($g in $gates.GetEnumerator()) {
        if (Invoke-Gate $g.Key $g.Value $logs) { $passed++ } else { $failed++ }
    }
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
