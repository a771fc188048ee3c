# Sync-UsageAggregate: the billing sync through the C ABI into a real SQLite file, against the shared emulator. The
# database is read back by the CLI's export (a separate process reading usage_records), and checked against the
# emulator's own count for the window (/_emulator/stats). Every error case asserts its exact FullyQualifiedErrorId.
BeforeAll {
    . $PSScriptRoot/Common.ps1
    $script:Exe = Join-Path (Split-Path $script:ModuleManifest) ($IsWindows ? 'azs-usage.exe' : 'azs-usage')
    $script:Work = Join-Path ([IO.Path]::GetTempPath()) "azs-sync-$PID-$(Get-Random)"
    New-Item -ItemType Directory -Path $script:Work | Out-Null
    # Six hours that the emulator has data for, ending at a complete hour on the 2-hour chunk grid (3 windows).
    $script:Until = $script:HourEnd.AddHours(-1)
    if ($script:Until.Hour % 2) { $script:Until = $script:Until.AddHours(-1) }
    $script:Since = $script:Until.AddHours(-6)
    $script:Window = @{ Stamp = 'lab'; Since = $script:Since; Until = $script:Until; ChunkHours = 2 }

    $form = @{ grant_type = 'client_credentials'; client_id = $script:Emu.Admin.ClientId; client_secret = $script:Emu.Admin.ClientSecret; resource = $script:Emu.Audience }
    $token = (Invoke-RestMethod -Method Post -Uri "$($script:Emu.LoginEndpoint.TrimEnd('/'))/$($script:Emu.Admin.TenantId)/oauth2/token" -Body $form).access_token
    $script:AdminHeaders = @{ Authorization = "Bearer $token" }
    $script:Base = $script:Emu.AdminEndpoint.TrimEnd('/')

    # The emulator's own record count for the reported window.
    function Get-EmulatorCount([datetime] $From, [datetime] $To) {
        $q = "reportedStartTime=$($From.ToString('yyyy-MM-ddTHH:mm:ssZ'))&reportedEndTime=$($To.ToString('yyyy-MM-ddTHH:mm:ssZ'))"
        (Invoke-RestMethod -Uri "$script:Base/_emulator/stats?$q" -Headers $script:AdminHeaders).records
    }

    # The rows of usage_records, read by another process: the CLI's CSV export of every month.
    function Get-StoredCount([string] $Db) {
        $dir = Join-Path $script:Work "export-$(Get-Random)"
        & $script:Exe export --database "sqlite:$Db" --table usage --format csv -o $dir 2>$null
        $LASTEXITCODE | Should -Be 0
        $n = 0
        Get-ChildItem $dir -Recurse -Filter *.csv | ForEach-Object { $n += @(Import-Csv $_.FullName).Count }
        $n
    }

    function Set-Faults([string] $Spec) {
        if ($Spec) {
            Invoke-RestMethod -Method Post -Uri "$script:Base/_emulator/faults" -Headers $script:AdminHeaders -Body $Spec -ContentType 'text/plain' | Out-Null
        } else {
            Invoke-RestMethod -Method Delete -Uri "$script:Base/_emulator/faults" -Headers $script:AdminHeaders | Out-Null
        }
    }

    $script:Cmdlet = 'Sync-UsageAggregate'
    $script:Expected = Get-EmulatorCount $script:Since $script:Until
    $script:DirectoryCount = @($script:Emu.Tenants | ForEach-Object { $_.Subscriptions }).Count
}

AfterAll {
    Set-Faults ''
    Remove-Item -Recurse -Force $script:Work -ErrorAction SilentlyContinue
}

Describe 'Sync-UsageAggregate into SQLite' {
    BeforeAll { Connect-TestAdmin | Out-Null }

    It 'stores every record of the window once, as the emulator counts them; a second run adds nothing' {
        $script:Expected | Should -BeGreaterThan 100 -Because 'the emulator has usage in the window'
        $db = Join-Path $script:Work 'first.db'
        $s = Sync-UsageAggregate -Database "sqlite:$db" @script:Window
        $s | Should -BeOfType ([AzsUsage.SyncRunSummary])
        $s.Status | Should -BeExactly 'Succeeded'
        $s.RunId | Should -Be 1
        $s.Windows | Should -Be 3
        $s.RecordsInserted | Should -Be $script:Expected
        $s.RecordsReplaced | Should -Be 0
        $s.DirectoryRows | Should -Be $script:DirectoryCount
        $s.Database | Should -BeExactly "sqlite:$db"
        $s.Duration | Should -BeGreaterThan ([timespan]::Zero)
        $s.Scopes[0].Watermark.UtcDateTime | Should -Be $script:Until
        Get-StoredCount $db | Should -Be $script:Expected

        $again = Sync-UsageAggregate -Database "sqlite:$db" @script:Window
        $again.Status | Should -BeExactly 'Succeeded'
        $again.RunId | Should -Be 2
        $again.Windows | Should -Be 0
        $again.RecordsInserted | Should -Be 0
        Get-StoredCount $db | Should -Be $script:Expected
    }

    It 're-syncs a past window with -From/-To: every record replaced by itself' {
        $db = Join-Path $script:Work 'resync.db'
        $null = Sync-UsageAggregate -Database "sqlite:$db" @script:Window -NoDirectory
        $s = Sync-UsageAggregate -Database "sqlite:$db" -Stamp lab -From $script:Since -To $script:Until -ChunkHours 2 -NoDirectory
        $s.RecordsInserted | Should -Be $script:Expected
        $s.RecordsReplaced | Should -Be $script:Expected
        $s.DirectoryRows | Should -Be 0
        Get-StoredCount $db | Should -Be $script:Expected
    }

    It '-Verbose shows the steps and progress lines, without secrets' {
        $db = Join-Path $script:Work 'verbose.db'
        $out = @(Sync-UsageAggregate -Database "sqlite:$db" @script:Window -Verbose 4>&1)
        @($out | Where-Object { $_ -is [AzsUsage.SyncRunSummary] }).Count | Should -Be 1
        $verbose = ($out | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | ForEach-Object Message) -join "`n"
        $verbose | Should -Match 'run 1 started for lab'
        $verbose | Should -Match 'directory refreshed'
        $verbose | Should -Match '3 window\(s\) from'
        $verbose | Should -Match 'window 3/3 .* committed \(\d+ records, 0 replaced\)'
        $verbose | Should -Match 'GET '
        $verbose | Should -Not -Match ([regex]::Escape($script:Emu.Admin.ClientSecret))
    }

    It 'Write-Progress shows the windows done of those planned and the records written' {
        $db = Join-Path $script:Work 'progress.db'
        Set-Faults 'delay=100'
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript("`$ProgressPreference = 'Continue'; Import-Module '$($script:ModuleManifest)'; `$args[0] | Connect-AzsUsage | Out-Null; Sync-UsageAggregate -Database 'sqlite:$db' -Stamp lab -ChunkHours 2 -Since '$($script:Since.ToString('o'))' -Until '$($script:Until.ToString('o'))'").AddArgument($script:Emu)
            $out = $ps.Invoke()
            $progress = @($ps.Streams.Progress)
        } finally {
            Set-Faults ''
            $ps.Dispose()
        }
        $out[-1].RecordsInserted | Should -Be $script:Expected
        $progress.Count | Should -BeGreaterThan 1
        $progress[0].Activity | Should -BeExactly 'Sync-UsageAggregate'
        $ops = @($progress | Where-Object { $_.CurrentOperation -match '^\d+/3 window\(s\), \d+ record\(s\)$' })
        $ops.Count | Should -BeGreaterThan 0
        $completed = @($progress | Where-Object { $_.RecordType -eq 'Completed' })
        $completed.Count | Should -Be 1
        $completed[0].CurrentOperation | Should -BeExactly "3/3 window(s), $($script:Expected) record(s)"
    }

    It 'a PostgreSQL password from PGPASSWORD appears neither in -Verbose nor in the error' {
        $secret = 'Pg-Secret-' + (Get-Random)
        $env:PGPASSWORD = $secret
        $out = [System.Collections.Generic.List[object]]::new()
        try {
            $e = { Sync-UsageAggregate -Database 'postgres://billing@127.0.0.1:1/azs?sslmode=disable' -Stamp lab -Verbose 4>&1 | ForEach-Object { $out.Add($_) } } |
                Should -Throw -PassThru
        } finally { Remove-Item Env:PGPASSWORD }
        $e.FullyQualifiedErrorId | Should -BeExactly (Get-ExpectedErrorId DatabaseUnavailable $script:Cmdlet)
        $out.Count | Should -BeGreaterThan 0
        $text = (($out | ForEach-Object { "$_" }) + $e.ToString() + "$($e.TargetObject)") -join "`n"
        $text | Should -Not -Match $secret
        $e.ToString() | Should -Match '127\.0\.0\.1'
    }
}

Describe 'Sync-UsageAggregate errors' {
    BeforeAll { Connect-TestAdmin | Out-Null }

    It 'a malformed database URL is DatabaseUrlInvalid' {
        $e = { Sync-UsageAggregate -Database 'mysql://db.example/azs' -Stamp lab } | Should -Throw -PassThru
        $e.FullyQualifiedErrorId | Should -BeExactly (Get-ExpectedErrorId DatabaseUrlInvalid $script:Cmdlet)
        $e.Exception.Reason | Should -Be ([AzsUsage.Reason]::DatabaseUrlInvalid)
    }

    It 'a file that is not a database is DatabaseNotUsable, and is left as it was' {
        $path = Join-Path $script:Work 'notes.db'
        Set-Content -Path $path -Value ('not a database ' * 200)
        $before = (Get-FileHash $path).Hash
        $e = { Sync-UsageAggregate -Database "sqlite:$path" @script:Window } | Should -Throw -PassThru
        $e.FullyQualifiedErrorId | Should -BeExactly (Get-ExpectedErrorId DatabaseNotUsable $script:Cmdlet)
        (Get-FileHash $path).Hash | Should -Be $before
    }

    It 'a window that is not on whole hours is InvalidTimeRange' {
        $e = { Sync-UsageAggregate -Database "sqlite:$(Join-Path $script:Work 'bad-time.db')" -Stamp lab -Since $script:Since.AddMinutes(30) } |
            Should -Throw -PassThru
        $e.FullyQualifiedErrorId | Should -BeExactly (Get-ExpectedErrorId InvalidTimeRange $script:Cmdlet)
    }

    It 'a lock held by a running azs-usage sync is SyncLocked; with -Wait the cmdlet queues behind it' {
        $db = Join-Path $script:Work 'locked.db'
        $log = Join-Path $script:Work 'cli-sync.log'
        # Slow pages keep the CLI's run (and its lock) alive long enough.
        Set-Faults 'delay=400'
        $cli = Start-Process -FilePath $script:Exe -PassThru -RedirectStandardError $log -RedirectStandardOutput (Join-Path $script:Work 'cli-sync.out') -ArgumentList @(
            'sync', '--database', "sqlite:$db", '--emulator', $script:Emu.ReadyFile, '--stamp', 'lab', '--chunk-hours', '2',
            '--since', $script:Since.ToString('yyyy-MM-ddTHH:mm:ssZ'), '--until', $script:Until.ToString('yyyy-MM-ddTHH:mm:ssZ'), '-v')
        try {
            $deadline = [datetime]::UtcNow.AddSeconds(60)
            while (-not ((Test-Path $log) -and (Get-Content $log -Raw) -match 'run \d+ started') -and [datetime]::UtcNow -lt $deadline) {
                Start-Sleep -Milliseconds 100
            }
            Get-Content $log -Raw | Should -Match 'run \d+ started'
            $e = { Sync-UsageAggregate -Database "sqlite:$db" @script:Window } | Should -Throw -PassThru
            $e.FullyQualifiedErrorId | Should -BeExactly (Get-ExpectedErrorId SyncLocked $script:Cmdlet)
            $e.Exception.Message | Should -Match "pid $($cli.Id)"
            $waited = @(Sync-UsageAggregate -Database "sqlite:$db" @script:Window -Wait -Verbose 4>&1)
            $cli.WaitForExit(60000) | Should -BeTrue
            $cli.ExitCode | Should -Be 0
        } finally {
            Set-Faults ''
            if (-not $cli.HasExited) { $cli.Kill() }
        }
        ($waited | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | ForEach-Object Message) -join "`n" |
            Should -Match 'waiting for the sync lock'
        $summary = @($waited | Where-Object { $_ -is [AzsUsage.SyncRunSummary] })
        $summary.Count | Should -Be 1
        $summary[0].Status | Should -BeExactly 'Succeeded'
        $summary[0].RecordsInserted | Should -Be 0 -Because 'the CLI run synced the window first'
        Get-StoredCount $db | Should -Be $script:Expected
    }

    It 'Stop() cancels the run: the window in progress rolls back, and the next run completes the window exactly' {
        $db = Join-Path $script:Work 'cancelled.db'
        Set-Faults 'delay=300'
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript("Import-Module '$($script:ModuleManifest)'; `$args[0] | Connect-AzsUsage | Out-Null; Sync-UsageAggregate -Database 'sqlite:$db' -Stamp lab -ChunkHours 2 -Since '$($script:Since.ToString('o'))' -Until '$($script:Until.ToString('o'))'").AddArgument($script:Emu)
            $async = $ps.BeginInvoke()
            Start-Sleep -Seconds 3
            $ps.Stop()
            $stopped = [datetime]::UtcNow
            { $ps.EndInvoke($async) } | Should -Throw
            ([datetime]::UtcNow - $stopped).TotalSeconds | Should -BeLessThan 20
        } finally {
            Set-Faults ''
            $ps.Dispose()
        }
        $s = Sync-UsageAggregate -Database "sqlite:$db" @script:Window
        $s.Status | Should -BeExactly 'Succeeded'
        $s.RunId | Should -Be 2 -Because 'the cancelled run was recorded as run 1'
        Get-StoredCount $db | Should -Be $script:Expected
    }
}
