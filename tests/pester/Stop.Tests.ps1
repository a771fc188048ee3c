BeforeAll { . $PSScriptRoot/Common.ps1 }

Describe 'Stopping a pull ([powershell]::Create() + Stop(), the Ctrl+C path)' {
    It 'Stop() returns within 2 s and the runspace and process stay healthy (run <_>)' -ForEach (1..3) {
        $flag = [hashtable]::Synchronized(@{ seen = 0 })
        $rs = [runspacefactory]::CreateRunspace()
        $rs.Open()
        $rs.SessionStateProxy.SetVariable('flag', $flag)
        $ps = [powershell]::Create()
        $ps.Runspace = $rs
        try {
            $script = @"
Import-Module '$($script:ModuleManifest)'
`$null = Connect-AzsUsage -Endpoint '$($script:Emu.AdminEndpoint)' -Credential ([pscredential]::new('$($script:Emu.Admin.ClientId)', (ConvertTo-SecureString '$($script:Emu.Admin.ClientSecret)' -AsPlainText -Force))) -TenantId '$($script:Emu.Admin.TenantId)' -SubscriptionId '$($script:Emu.ProviderSubscriptionId)'
while (`$true) {
    Get-SubscriberUsageAggregate -ReportedStartTime '$($script:DayStart.AddDays(-1).ToString('o'))' -ReportedEndTime '$($script:HourEnd.ToString('o'))' -AggregationGranularity Hourly | ForEach-Object { `$flag.seen++ }
}
"@
            $null = $ps.AddScript($script)
            $handle = $ps.BeginInvoke()
            $deadline = [datetime]::UtcNow.AddSeconds(60)
            while ($flag.seen -lt 300 -and [datetime]::UtcNow -lt $deadline -and -not $handle.IsCompleted) { Start-Sleep -Milliseconds 100 }
            $flag.seen | Should -BeGreaterThan 0
            $ps.InvocationStateInfo.State | Should -Be 'Running'
            $sw = [System.Diagnostics.Stopwatch]::StartNew()
            $ps.Stop()
            $sw.Stop()
            $sw.Elapsed.TotalSeconds | Should -BeLessThan 2
            $ps.InvocationStateInfo.State | Should -Be 'Stopped'

            # The same runspace still works, and so does the native library.
            $ps.Commands.Clear()
            $null = $ps.AddScript('(Get-UsageMeter | Measure-Object).Count')
            $ps.Invoke()[0] | Should -BeGreaterThan 10
        } finally { $ps.Dispose(); $rs.Dispose() }
        (Get-UsageMeter -Category Storage | Measure-Object).Count | Should -BeGreaterThan 0
    }
}

Describe 'Progress' {
    It 'writes progress with pages, records and the window, then completes' {
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript(@"
Import-Module '$($script:ModuleManifest)'
`$null = Connect-AzsUsage -Endpoint '$($script:Emu.AdminEndpoint)' -Credential ([pscredential]::new('$($script:Emu.Admin.ClientId)', (ConvertTo-SecureString '$($script:Emu.Admin.ClientSecret)' -AsPlainText -Force))) -TenantId '$($script:Emu.Admin.TenantId)' -SubscriptionId '$($script:Emu.ProviderSubscriptionId)'
`$ProgressPreference = 'Continue'
Get-SubscriberUsageAggregate -ReportedStartTime '$($script:HourStart.ToString('o'))' -ReportedEndTime '$($script:HourEnd.ToString('o'))' -AggregationGranularity Hourly | Measure-Object | ForEach-Object Count
"@)
            $count = $ps.Invoke()[0]
            $count | Should -BeGreaterThan 0
            $progress = @($ps.Streams.Progress)
            $progress.Count | Should -BeGreaterThan 0
            $progress[0].Activity | Should -Be 'Get-SubscriberUsageAggregate'
            $progress[0].StatusDescription | Should -Match '\d+ page\(s\), \d+ record\(s\); window '
            $progress[-1].RecordType | Should -Be 'Completed'
        } finally { $ps.Dispose() }
    }
}
