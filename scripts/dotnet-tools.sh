#!/usr/bin/env bash
# Installs the repo-local .NET tooling the PowerShell module needs, idempotently:
#   .tools/pwsh/pwsh            PowerShell 7.6.9 (dotnet tool)
#   .tools/nuget/pester/<ver>/  Pester (restored as a NuGet package; import tools/Pester.psd1)
# Usage: scripts/dotnet-tools.sh        (prints the pwsh path and the Pester manifest path)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="$root/.tools"
pwsh_version="${AZS_PWSH_VERSION:-7.6.9}"
pester_version="${AZS_PESTER_VERSION:-5.7.1}"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 POWERSHELL_TELEMETRY_OPTOUT=1 POWERSHELL_UPDATECHECK=Off

mkdir -p "$tools"

# PowerShell as a dotnet tool in a repo-local folder.
if [[ -x "$tools/pwsh/pwsh" ]] && "$tools/pwsh/pwsh" -NoProfile -NonInteractive -Command '$PSVersionTable.PSVersion.ToString()' 2>/dev/null | grep -qx "$pwsh_version"; then
  :
else
  dotnet tool install PowerShell --version "$pwsh_version" --tool-path "$tools/pwsh" >&2 \
    || dotnet tool update PowerShell --version "$pwsh_version" --tool-path "$tools/pwsh" >&2
fi

# Pester from the NuGet feed: a restore-only project with PackageDownload into .tools/nuget.
pester_psd1="$tools/nuget/pester/$pester_version/tools/Pester.psd1"
if [[ ! -f "$pester_psd1" ]]; then
  proj="$tools/restore"
  mkdir -p "$proj"
  cat > "$proj/restore.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <TargetFramework>net8.0</TargetFramework>
    <RestorePackagesPath>$tools/nuget</RestorePackagesPath>
  </PropertyGroup>
  <ItemGroup>
    <PackageDownload Include="Pester" Version="[$pester_version]" />
  </ItemGroup>
</Project>
XML
  dotnet restore "$proj/restore.csproj" >&2
fi
[[ -f "$pester_psd1" ]] || { echo "Pester manifest not found at $pester_psd1" >&2; exit 1; }
echo "$tools/pwsh/pwsh"
echo "$pester_psd1"
