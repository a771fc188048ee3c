BeforeAll { . $PSScriptRoot/Common.ps1 }

Describe 'Module import and manifest' {
    It 'passes Test-ModuleManifest' {
        $m = Test-ModuleManifest -Path $script:ModuleManifest -ErrorAction Stop
        $m.Name | Should -Be 'AzsUsage'
        $m.CompatiblePSEditions | Should -Contain 'Core'
    }

    It 'exports exactly the listed cmdlets and aliases' {
        $cmdlets = Get-Command -Module AzsUsage -CommandType Cmdlet | ForEach-Object Name | Sort-Object
        $cmdlets | Should -Be @('Connect-AzsUsage', 'Get-SubscriberUsageAggregate', 'Get-UsageAggregate', 'Get-UsageMeter',
            'Get-UsageSubscription', 'Start-AzsUsageEmulator', 'Stop-AzsUsageEmulator')
        (Get-Command -Module AzsUsage -CommandType Function) | Should -BeNullOrEmpty
        (Get-Alias Get-UsageAggregates).ResolvedCommandName | Should -Be 'Get-UsageAggregate'
        (Get-Alias Get-SubscriberUsageAggregates).ResolvedCommandName | Should -Be 'Get-SubscriberUsageAggregate'
    }

    It 'lists cmdlets and aliases explicitly in the manifest' {
        $data = Import-PowerShellDataFile $script:ModuleManifest
        $data.CmdletsToExport.Count | Should -Be 7
        $data.AliasesToExport | Should -Be @('Get-UsageAggregates', 'Get-SubscriberUsageAggregates')
        $data.FunctionsToExport.Count | Should -Be 0
    }

    It 'loads the native library from runtimes/<rid>/native' {
        $first = [AzsUsage.NativeDiagnostics]::NativeLibraryCandidates()[0]
        $first | Should -Match 'runtimes[\\/](linux|osx|win)-(x64|arm64)[\\/]native[\\/]'
        Test-Path $first | Should -BeTrue
        [AzsUsage.NativeDiagnostics]::NativeVersion() | Should -Be (Import-PowerShellDataFile $script:ModuleManifest).ModuleVersion
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
        'Get-UsageSubscription', 'Start-AzsUsageEmulator', 'Stop-AzsUsageEmulator') {
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
}
