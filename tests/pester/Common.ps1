# Shared set-up for the Pester files: the built module and one emulator for the whole run.
# run.ps1 imports the module and starts the emulator once ($global:AzsTestEmulator); a file run on its own
# (Invoke-Pester tests/pester/X.Tests.ps1) starts its own.
$script:RepoRoot = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
$script:ModuleManifest = if ($env:AZS_MODULE_PATH) { $env:AZS_MODULE_PATH } else { Join-Path $script:RepoRoot 'out/AzsUsage/AzsUsage.psd1' }
if (-not (Get-Module AzsUsage)) { Import-Module $script:ModuleManifest -ErrorAction Stop }
if (-not $global:AzsTestEmulator) {
    $global:AzsTestEmulator = Start-AzsUsageEmulator -Days 3 -PageSize 250 -Seed 7
}
$script:Emu = $global:AzsTestEmulator

# A window that the emulator has data for: the previous whole UTC day, and the last 24 whole hours.
$script:DayEnd = [datetime]::SpecifyKind([datetime]::UtcNow.Date, 'Utc')
$script:DayStart = $script:DayEnd.AddDays(-1)
$script:HourEnd = [datetime]::SpecifyKind([datetime]::UtcNow.Date.AddHours([datetime]::UtcNow.Hour), 'Utc')
$script:HourStart = $script:HourEnd.AddHours(-24)

$script:SchemaColumns = @(
    'SubscriptionId', 'MeterId', 'MeterName', 'MeterCategory', 'Unit', 'Quantity', 'UsageStartTime', 'UsageEndTime',
    'ResourceUri', 'ResourceGroup', 'ResourceProvider', 'ResourceType', 'ResourceName', 'Location', 'Tags',
    'AdditionalInfo', 'InstanceData')

function Connect-TestAdmin { $script:Emu | Connect-AzsUsage }

# The exact FullyQualifiedErrorId a cmdlet's error has: "<ErrorId>,<the cmdlet's class>".
function Get-ExpectedErrorId([string] $Id, [string] $Command) {
    "$Id,$((Get-Command $Command -CommandType Cmdlet).ImplementingType.FullName)"
}

. $PSScriptRoot/ErrorTable.ps1

function Connect-TestTenant([int] $Index = 0) { $script:Emu.Tenants[$Index] | Connect-AzsUsage }

# A stable identity for a record (no field is dropped), to compare pulls.
function Get-RecordKey($r) {
    '{0}|{1}|{2}|{3}|{4}|{5}|{6}' -f $r.SubscriptionId, $r.MeterId, $r.ResourceUri, $r.UsageStartTime.UtcTicks,
        $r.UsageEndTime.UtcTicks, $r.Quantity, $r.InstanceData
}

# Runs a child pwsh (this same PowerShell: an apphost, or the dotnet-tool's pwsh.dll under dotnet).
function Invoke-ChildPwsh([string] $Command) {
    $self = (Get-Process -Id $PID).Path
    if ([IO.Path]::GetFileNameWithoutExtension($self) -eq 'dotnet') {
        & $self (Join-Path $PSHOME 'pwsh.dll') -NoProfile -NonInteractive -Command $Command
    } else {
        & $self -NoProfile -NonInteractive -Command $Command
    }
}
