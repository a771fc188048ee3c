#!/usr/bin/env pwsh
# Windows (and any pwsh) twin of scripts/dotnet-tools.sh: installs, idempotently,
#   .tools/pwsh/pwsh(.exe)          PowerShell 7.6.9 (dotnet tool)
#   .tools/nuget/pester/<ver>/      Pester, restored as a NuGet package (import tools/Pester.psd1)
# and prints the pwsh path and the Pester manifest path.
param(
    [string] $PwshVersion = $(if ($env:AZS_PWSH_VERSION) { $env:AZS_PWSH_VERSION } else { '7.6.9' }),
    [string] $PesterVersion = $(if ($env:AZS_PESTER_VERSION) { $env:AZS_PESTER_VERSION } else { '5.7.1' })
)
$ErrorActionPreference = 'Stop'
$env:DOTNET_CLI_TELEMETRY_OPTOUT = '1'; $env:DOTNET_NOLOGO = '1'
$env:POWERSHELL_TELEMETRY_OPTOUT = '1'; $env:POWERSHELL_UPDATECHECK = 'Off'

$root = (Resolve-Path (Join-Path $PSScriptRoot '..')).Path
$tools = Join-Path $root '.tools'
New-Item -ItemType Directory -Force -Path $tools | Out-Null

$pwshDir = Join-Path $tools 'pwsh'
$pwsh = Join-Path $pwshDir ($IsWindows ? 'pwsh.exe' : 'pwsh')
$have = if (Test-Path $pwsh) { & $pwsh -NoProfile -NonInteractive -Command '$PSVersionTable.PSVersion.ToString()' 2>$null } else { $null }
if ($have -ne $PwshVersion) {
    dotnet tool install PowerShell --version $PwshVersion --tool-path $pwshDir
    if ($LASTEXITCODE -ne 0) {
        dotnet tool update PowerShell --version $PwshVersion --tool-path $pwshDir
        if ($LASTEXITCODE -ne 0) { throw "dotnet tool install PowerShell $PwshVersion failed" }
    }
}

$nuget = Join-Path $tools 'nuget'
$pester = Join-Path $nuget "pester/$PesterVersion/tools/Pester.psd1"
if (-not (Test-Path $pester)) {
    $proj = Join-Path $tools 'restore'
    New-Item -ItemType Directory -Force -Path $proj | Out-Null
    @"
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <TargetFramework>net8.0</TargetFramework>
    <RestorePackagesPath>$nuget</RestorePackagesPath>
  </PropertyGroup>
  <ItemGroup>
    <PackageDownload Include="Pester" Version="[$PesterVersion]" />
  </ItemGroup>
</Project>
"@ | Set-Content -LiteralPath (Join-Path $proj 'restore.csproj') -Encoding utf8
    dotnet restore (Join-Path $proj 'restore.csproj')
    if ($LASTEXITCODE -ne 0) { throw "restoring Pester $PesterVersion failed" }
}
if (-not (Test-Path $pester)) { throw "Pester manifest not found at $pester" }
$pwsh
$pester
