#!/usr/bin/env pwsh
# Windows (and any pwsh) twin of module/build.sh. Builds the native library and the azs-usage executable
# (cargo), the module assembly (dotnet), and lays out out/AzsUsage/:
#   AzsUsage.psd1, AzsUsage.dll, AzsUsage.Format.ps1xml, en-US/AzsUsage.dll-Help.xml,
#   runtimes/<rid>/native/<native lib>, azs-usage(.exe)
# The version comes from one place, [workspace.package] version in Cargo.toml: it is written into the
# manifest's ModuleVersion and the assembly's Version here (the Rust crates read it through cargo).
# Usage: module/build.ps1 [-DebugBuild]      (release by default)
[CmdletBinding()]
param([switch] $DebugBuild)
$ErrorActionPreference = 'Stop'
$env:DOTNET_CLI_TELEMETRY_OPTOUT = '1'; $env:DOTNET_NOLOGO = '1'
$root = (Resolve-Path (Join-Path $PSScriptRoot '..')).Path
$isDebug = $DebugBuild -or $PSBoundParameters.ContainsKey('Debug')
$cargoProfile = $isDebug ? 'debug' : 'release'
$config = $isDebug ? 'Debug' : 'Release'
$target = $env:CARGO_TARGET_DIR ? $env:CARGO_TARGET_DIR : (Join-Path $root 'target')
$version = $null
$inPackage = $false
foreach ($line in Get-Content (Join-Path $root 'Cargo.toml')) {
    if ($line.StartsWith('[')) { $inPackage = $line.Trim() -eq '[workspace.package]'; continue }
    if ($inPackage -and $line -match '^version\s*=\s*"([^"]+)"') { $version = $Matches[1]; break }
}
if (-not $version) { throw "no [workspace.package] version in $(Join-Path $root 'Cargo.toml')" }

Push-Location $root
try {
    # Debug builds (the test run) build the same targets as `cargo test --workspace`, so the features resolve the
    # same and the test run's artifacts are reused instead of compiling every dependency a second time.
    $cargoArgs = $isDebug ? @('build', '--workspace', '--lib', '--bins', '--tests') : @('build', '--release', '-p', 'azs-usage-ffi', '-p', 'azs-usage-cli')
    cargo @cargoArgs
    if ($LASTEXITCODE -ne 0) { throw 'cargo build failed' }
    dotnet build (Join-Path $root 'module/AzsUsage.csproj') -c $config -nologo -v quiet -o (Join-Path $root "module/bin/$config") "-p:Version=$version"
    if ($LASTEXITCODE -ne 0) { throw 'dotnet build failed' }
} finally { Pop-Location }

$os = if ($IsWindows) { 'win' } elseif ($IsMacOS) { 'osx' } else { 'linux' }
$arch = switch ([System.Runtime.InteropServices.RuntimeInformation]::ProcessArchitecture) { 'X64' { 'x64' } 'Arm64' { 'arm64' } default { "$_".ToLowerInvariant() } }
$lib = if ($IsWindows) { 'azs_usage_native.dll' } elseif ($IsMacOS) { 'libazs_usage_native.dylib' } else { 'libazs_usage_native.so' }
$exe = if ($IsWindows) { 'azs-usage.exe' } else { 'azs-usage' }

$out = Join-Path $root 'out/AzsUsage'
if (Test-Path $out) { Remove-Item -Recurse -Force $out }
$native = Join-Path $out "runtimes/$os-$arch/native"
New-Item -ItemType Directory -Force -Path (Join-Path $out 'en-US'), $native | Out-Null
(Get-Content -Raw (Join-Path $root 'module/AzsUsage.psd1')) -replace "(?m)^(\s*ModuleVersion\s*=\s*)'[^']*'", "`${1}'$version'" |
    Set-Content -NoNewline (Join-Path $out 'AzsUsage.psd1')
Copy-Item (Join-Path $root 'module/AzsUsage.Format.ps1xml') $out
Copy-Item (Join-Path $root "module/bin/$config/AzsUsage.dll") $out
Copy-Item (Join-Path $root 'module/en-US/AzsUsage.dll-Help.xml') (Join-Path $out 'en-US')
Copy-Item (Join-Path $target "$cargoProfile/$lib") $native
Copy-Item (Join-Path $target "$cargoProfile/$exe") $out
$out
