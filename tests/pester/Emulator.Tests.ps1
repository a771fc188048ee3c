BeforeAll { . $PSScriptRoot/Common.ps1 }

Describe 'Start-AzsUsageEmulator / Stop-AzsUsageEmulator' {
    It 'starts an emulator with sample data and credentials, and stops it' {
        $emu = Start-AzsUsageEmulator -Days 2 -Seed 3   # 2: the previous UTC day has data at any time of day
        try {
            $emu | Should -BeOfType ([AzsUsage.AzsUsageEmulator])
            $emu.Endpoint | Should -Match '^https?://127\.0\.0\.1:\d+'
            $emu.ProviderSubscriptionId | Should -Match '^[0-9a-f-]{36}$'
            $emu.Admin.ClientSecret | Should -Not -BeNullOrEmpty
            $emu.Tenants.Count | Should -BeGreaterThan 1
            $emu.Tenants[0].SubscriptionIds.Count | Should -BeGreaterThan 0
            $emu.Tenants[0].Credential | Should -BeOfType ([pscredential])
            (Get-Process -Id $emu.ProcessId).HasExited | Should -BeFalse
            ($emu | Out-String) | Should -Match 'ProviderSubscriptionId'
            ($emu | Connect-AzsUsage).SubscriptionId | Should -Be $emu.ProviderSubscriptionId
            $end = [datetime]::SpecifyKind([datetime]::UtcNow.Date, 'Utc')
            (Get-SubscriberUsageAggregate -ReportedStartTime $end.AddDays(-1) -ReportedEndTime $end -First 1) | Should -Not -BeNullOrEmpty
        } finally {
            $emu | Stop-AzsUsageEmulator
        }
        Start-Sleep -Milliseconds 200
        Get-Process -Id $emu.ProcessId -ErrorAction SilentlyContinue | Where-Object { -not $_.HasExited } | Should -BeNullOrEmpty
        Test-Path $emu.ReadyFile | Should -BeFalse
    }

    It 'fails with EmulatorExecutableNotFound for a missing executable' {
        $err = { Start-AzsUsageEmulator -ExecutablePath (Join-Path $TestDrive 'nope') } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeExactly (Get-ExpectedErrorId EmulatorExecutableNotFound Start-AzsUsageEmulator)
    }
}
