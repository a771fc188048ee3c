BeforeAll { . $PSScriptRoot/Common.ps1 }

Describe 'Module import and manifest' {
    It 'passes Test-ModuleManifest' {
        $m = Test-ModuleManifest -Path $script:ModuleManifest -ErrorAction Stop
        $m.Name | Should -Be 'AzsUsage'
        $m.CompatiblePSEditions | Should -Contain 'Core'
    }

    It 'exports exactly the listed cmdlets and aliases' {
        $cmdlets = Get-Command -Module AzsUsage -CommandType Cmdlet | ForEach-Object Name | Sort-Object
        $cmdlets | Should -Be @('Connect-AzsUsage', 'ConvertTo-FocusCost', 'Export-UsageReport', 'Get-SubscriberUsageAggregate',
            'Get-UsageAggregate', 'Get-UsageMeter', 'Get-UsageSubscription', 'Import-UsageRateCard', 'Measure-UsageCost',
            'Start-AzsUsageEmulator', 'Stop-AzsUsageEmulator', 'Sync-UsageAggregate')
        (Get-Command -Module AzsUsage -CommandType Function) | Should -BeNullOrEmpty
        (Get-Alias Get-UsageAggregates).ResolvedCommandName | Should -Be 'Get-UsageAggregate'
        (Get-Alias Get-SubscriberUsageAggregates).ResolvedCommandName | Should -Be 'Get-SubscriberUsageAggregate'
        (Get-Alias Get-AzsSubscriberUsage).ResolvedCommandName | Should -Be 'Get-SubscriberUsageAggregate'
    }

    It 'Get-AzsSubscriberUsage takes the Azs.Commerce.Admin parameters' {
        Connect-TestAdmin | Out-Null
        $tenant = $script:Emu.Tenants[0].SubscriptionIds[0]
        $records = @(Get-AzsSubscriberUsage -SubscriberId $tenant -ReportedStartTime $script:DayStart -ReportedEndTime $script:DayEnd `
            -AggregationGranularity Daily -First 5)
        $records.Count | Should -BeGreaterThan 0
        $records | ForEach-Object { $_.SubscriptionId | Should -Be $tenant }
    }

    It 'lists cmdlets and aliases explicitly in the manifest' {
        $data = Import-PowerShellDataFile $script:ModuleManifest
        $data.CmdletsToExport.Count | Should -Be 12
        $data.AliasesToExport | Should -Be @('Get-UsageAggregates', 'Get-SubscriberUsageAggregates', 'Get-AzsSubscriberUsage')
        $data.FunctionsToExport.Count | Should -Be 0
    }

    It 'loads the native library from runtimes/<rid>/native' {
        $first = [AzsUsage.NativeDiagnostics]::NativeLibraryCandidates()[0]
        $first | Should -Match 'runtimes[\\/](linux|osx|win)-(x64|arm64)[\\/]native[\\/]'
        Test-Path $first | Should -BeTrue
        [AzsUsage.NativeDiagnostics]::NativeVersion() | Should -Be (Import-PowerShellDataFile $script:ModuleManifest).ModuleVersion
    }

    It 'has one version: Cargo.toml, the manifest, the assembly, the native library and azs-usage --version agree' {
        $inPackage = $false
        $cargo = $null
        foreach ($line in Get-Content (Join-Path $script:RepoRoot 'Cargo.toml')) {
            if ($line.StartsWith('[')) { $inPackage = $line.Trim() -eq '[workspace.package]'; continue }
            if ($inPackage -and $line -match '^version\s*=\s*"([^"]+)"') { $cargo = $Matches[1]; break }
        }
        $cargo | Should -Not -BeNullOrEmpty
        (Import-PowerShellDataFile $script:ModuleManifest).ModuleVersion | Should -BeExactly $cargo
        (Get-Module AzsUsage).Version.ToString() | Should -BeExactly $cargo
        [AzsUsage.UsageRecord].Assembly.GetName().Version.ToString(3) | Should -BeExactly $cargo
        [AzsUsage.NativeDiagnostics]::NativeVersion() | Should -BeExactly $cargo
        $exe = Join-Path (Split-Path $script:ModuleManifest) ($IsWindows ? 'azs-usage.exe' : 'azs-usage')
        (& $exe --version) | Should -BeExactly "azs-usage $cargo"
    }
}

Describe 'Panic containment' {
    It 'turns a panic in the test-only export into an error, and the process stays healthy' {
        $r = [AzsUsage.Native.Interop]::azs_debug_panic(42)
        $r.IsPanic | Should -BeTrue
        { [AzsUsage.NativeDiagnostics]::InvokeDebugPanic(5) } | Should -Throw '*Internal error in the native library during azs_debug_panic*azs_debug_panic called with 5*'
        # Still alive and the native library still answers.
        [AzsUsage.NativeDiagnostics]::NativeVersion() | Should -Not -BeNullOrEmpty
        (Get-UsageMeter | Measure-Object).Count | Should -BeGreaterThan 10
    }

    It 'survives a panic in a child pwsh too (exit code 0 after the panic)' {
        $script = "Import-Module '$($script:ModuleManifest)'; `$r = [AzsUsage.Native.Interop]::azs_debug_panic(1); if (`$r.IsPanic) { 'contained'; exit 0 } else { exit 3 }"
        $out = Invoke-ChildPwsh -Command $script
        $LASTEXITCODE | Should -Be 0
        $out | Should -Contain 'contained'
    }
}

Describe 'Help' {
    It 'has MAML help with synopsis, description, parameters and examples for <_>' -ForEach @(
        'Connect-AzsUsage', 'Get-UsageAggregate', 'Get-SubscriberUsageAggregate', 'Get-UsageMeter',
        'Get-UsageSubscription', 'Start-AzsUsageEmulator', 'Stop-AzsUsageEmulator', 'Sync-UsageAggregate', 'Export-UsageReport',
        'Import-UsageRateCard', 'ConvertTo-FocusCost', 'Measure-UsageCost') {
        $help = Get-Help $_ -Full
        $help.Synopsis | Should -Not -BeNullOrEmpty
        $help.Synopsis | Should -Not -Match '\['   # the auto-generated help's synopsis is the syntax line
        ($help.description | Out-String).Trim() | Should -Not -BeNullOrEmpty
        @($help.examples.example).Count | Should -BeGreaterOrEqual 1
        (Get-Help $_ -Examples | Out-String) | Should -Match 'Example 1'
    }

    It 'documents how Local and Unspecified DateTime values are read' {
        $p = Get-Help Get-UsageAggregate -Parameter ReportedStartTime | Out-String
        $p | Should -Match 'Unspecified'
        $p | Should -Match 'read as UTC'
        $p | Should -Match 'Local'
    }
}

Describe 'Default view' {
    It 'renders UsageRecord as the default table' {
        Connect-TestAdmin | Out-Null
        $records = Get-SubscriberUsageAggregate -ReportedStartTime $script:DayStart -ReportedEndTime $script:DayEnd -First 3
        $text = $records | Out-String -Width 250
        foreach ($h in 'SubscriptionId', 'MeterName', 'Quantity', 'Unit', 'UsageStartTime', 'ResourceName') { $text | Should -Match $h }
        $text | Should -Not -Match 'InstanceData'
        (Get-FormatData -TypeName AzsUsage.UsageRecord) | Should -Not -BeNullOrEmpty
    }

    It 'shows Quantity rounded to fit its column and keeps the property exact' {
        $cases = @(
            @{ Quantity = [decimal] '0.296994262982'; Shown = '0.296994' }
            @{ Quantity = [decimal] '123456789012.123456'; Shown = '123456789012.123' }
            @{ Quantity = [decimal] '24'; Shown = '24' }
            @{ Quantity = [decimal] '1.0000004'; Shown = '1' }
        )
        foreach ($c in $cases) {
            $r = [AzsUsage.UsageRecord]@{ SubscriptionId = '00000000-1111-2222-3333-444444444444'; MeterName = 'VM size hours'; Quantity = $c.Quantity; ResourceName = 'vm1' }
            $r.Quantity | Should -Be $c.Quantity
            $lines = @(($r | Out-String -Width 200) -split "`r?`n" | Where-Object { $_ -match 'vm1' })
            $lines | Should -HaveCount 1
            # SubscriptionId (36) and MeterName (28) columns, each followed by a space, then Quantity (16, right-aligned).
            $lines[0].Substring(36 + 1 + 28 + 1, 16).Trim() | Should -BeExactly ([AzsUsage.UsageRecord]::DisplayQuantity($c.Quantity))
            [AzsUsage.UsageRecord]::DisplayQuantity($c.Quantity) | Should -BeExactly $c.Shown.Replace('.', [cultureinfo]::CurrentCulture.NumberFormat.NumberDecimalSeparator)
            $lines[0] | Should -Not -Match '…'
        }
    }
}
