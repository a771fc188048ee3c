# Export-UsageReport: the emulator's usage priced by the CLI into a FOCUS CSV (with the emulator's tenant directory),
# then the report and one statement per tenant written through the module. The report's billed total (its data-exact
# attribute) and the returned object's must equal an independent [decimal] sum over the CSV's BilledCost; there must be
# one statement per tenant of the CSV, and their totals must add up to the report's. Then the exact ErrorIds of bad input.
BeforeAll {
    . $PSScriptRoot/Common.ps1
    $script:Cmdlet = 'AzsUsage.Commands.ExportUsageReportCommand'
    $exe = Join-Path (Split-Path $script:ModuleManifest) ($IsWindows ? 'azs-usage.exe' : 'azs-usage')
    $directory = Join-Path $TestDrive 'directory.csv'
    & $exe subscriptions --emulator $script:Emu.ReadyFile -o $directory 2>$null
    $LASTEXITCODE | Should -Be 0
    $script:Focus = Join-Path $TestDrive 'focus.csv'
    & $exe price --rate-card (Join-Path $script:RepoRoot 'docs/samples/ratecard.csv') --emulator $script:Emu.ReadyFile `
        --granularity hourly --start $script:HourStart.ToString('o') --end $script:HourEnd.ToString('o') `
        --directory $directory -o $script:Focus 2>$null
    $LASTEXITCODE | Should -Be 0
    $script:Rows = @(Import-Csv -LiteralPath $script:Focus)
    $inv = [cultureinfo]::InvariantCulture
    $script:Billed = [decimal]0
    foreach ($r in $script:Rows) { $script:Billed += [decimal]::Parse($r.BilledCost, $inv) }
    # A tenant is a directory tenant, or a subscription the directory did not know.
    $script:Tenants = @($script:Rows | ForEach-Object { if ($_.x_TenantId) { $_.x_TenantId } else { "subscription:$($_.SubAccountId)" } } |
        Sort-Object -Unique)

    # The data-exact value of the element after the first match of $Marker in an HTML page.
    function Get-Exact([string] $Path, [string] $Marker) {
        $page = Get-Content -LiteralPath $Path -Raw
        $at = $page.IndexOf($Marker)
        $at | Should -BeGreaterOrEqual 0 -Because "$Path has $Marker"
        $m = [regex]::Match($page.Substring($at), 'data-exact="([^"]*)"')
        [decimal]::Parse($m.Groups[1].Value, [cultureinfo]::InvariantCulture)
    }
}

Describe 'Export-UsageReport' {
    It 'writes the report and one statement per tenant, with figures equal to the FOCUS rows' {
        $script:Rows.Count | Should -BeGreaterThan 100
        $script:Billed | Should -BeGreaterThan 0
        $report = Join-Path $TestDrive 'report.html'
        $statements = Join-Path $TestDrive 'statements'
        $r = Export-UsageReport -Path $report -InputPath $script:Focus -StatementsPath $statements -NoPdf -Tag CostCenter

        $r | Should -BeOfType ([IO.FileInfo])
        $r.FullName | Should -Be (Get-Item -LiteralPath $report).FullName
        Get-Exact $report 'data-figure="billed"' | Should -Be $script:Billed
        $r.BilledCost | Should -BeOfType ([decimal])
        $r.BilledCost | Should -Be $script:Billed
        $r.CostRows | Should -Be $script:Rows.Count
        $r.Tenants | Should -Be $script:Tenants.Count
        $r.Currency | Should -Be $script:Rows[0].BillingCurrency

        $files = @(Get-ChildItem -LiteralPath $statements -Filter '*.html')
        $files.Count | Should -Be $script:Tenants.Count
        @(Get-ChildItem -LiteralPath $statements -Filter '*.pdf').Count | Should -Be 0 -Because '-NoPdf'
        $r.Statements.Count | Should -Be $script:Tenants.Count
        $exact = [decimal]0
        foreach ($f in $files) { $exact += Get-Exact $f.FullName 'id="statement-total"' }
        $exact | Should -Be $script:Billed
        $returned = [decimal]0; $shown = [decimal]0   # Measure-Object -Sum would add doubles
        foreach ($s in $r.Statements) {
            $returned += $s.BilledCost; $shown += $s.BilledCostShown
            $s.Html.Exists | Should -BeTrue; $s.Pdf | Should -BeNullOrEmpty
        }
        $returned | Should -Be $script:Billed
        $shown | Should -Be $r.BilledCostShown -Because 'the statements shown totals add up to the report''s'
    }

    It 'reads the billing database: the same figures as azs-usage report --database' {
        $exe = Join-Path (Split-Path $script:ModuleManifest) ($IsWindows ? 'azs-usage.exe' : 'azs-usage')
        $url = 'sqlite:' + (Join-Path $TestDrive 'usage.db')
        & $exe sync --database $url --stamp lab --since $script:HourStart.ToString('o') --until $script:HourEnd.ToString('o') `
            --emulator $script:Emu.ReadyFile --rate-card (Join-Path $script:RepoRoot 'docs/samples/ratecard.csv') 2>$null
        $LASTEXITCODE | Should -Be 0
        $cli = Join-Path $TestDrive 'db-cli.html'
        & $exe report --database $url -o $cli 2>$null
        $LASTEXITCODE | Should -Be 0
        $r = Export-UsageReport -Path (Join-Path $TestDrive 'db.html') -Database $url -Granularity Hourly -WarningVariable warned
        $warned | Should -BeNullOrEmpty -Because 'every month was priced by the sync'
        $r.CostRows | Should -BeGreaterThan 100
        $r.BilledCost | Should -Be (Get-Exact $cli 'data-figure="billed"')
        Get-Exact $r.FullName 'data-figure="billed"' | Should -Be $r.BilledCost
        $r.UnpricedRecords | Should -Be (Get-Exact $cli 'data-figure="unpriced"')
    }

    It 'resolves relative paths against the current location' {
        Push-Location $TestDrive
        try {
            $r = Export-UsageReport relative.html -InputPath focus.csv -Month 2000-01
            $r.FullName | Should -Be (Join-Path $TestDrive 'relative.html')
            $r.CostRows | Should -Be 0 -Because 'no row starts in January 2000'
        } finally { Pop-Location }
    }

    It '<Name> fails with <Id> and writes nothing' -ForEach @(
        @{ Name = 'a missing input'; Id = 'FocusFileInvalid'; Call = { Export-UsageReport -Path (Join-Path $TestDrive 'x1.html') -InputPath (Join-Path $TestDrive 'missing.csv') } }
        @{ Name = 'an output that is a folder'; Id = 'OutputPathInvalid'; Call = { Export-UsageReport -Path $TestDrive -InputPath $script:Focus } }
        @{ Name = 'a bad month'; Id = 'InvalidTimeRange'; Call = { Export-UsageReport -Path (Join-Path $TestDrive 'x2.html') -InputPath $script:Focus -Month 2026-13 } }
        @{ Name = 'a database URL of an unknown engine'; Id = 'DatabaseUrlInvalid'; Call = { Export-UsageReport -Path (Join-Path $TestDrive 'x3.html') -Database 'mysql://u@h/db' } }
        @{ Name = 'a browser that is not there'; Id = 'BrowserUnavailable'; Call = { Export-UsageReport -Path (Join-Path $TestDrive 'x4.html') -InputPath $script:Focus -StatementsPath (Join-Path $TestDrive 'st') -Browser (Join-Path $TestDrive 'no-chromium') } }
        @{ Name = 'an input and a database'; Id = 'AmbiguousParameterSet'; Call = { Export-UsageReport -Path (Join-Path $TestDrive 'x5.html') -InputPath $script:Focus -Database 'sqlite:x.db' } }
    ) {
        $err = $null
        $out = @()
        try { $out = @(& $Call) } catch { $err = $_ }
        $out.Count | Should -Be 0
        $err.FullyQualifiedErrorId | Should -BeExactly "$Id,$script:Cmdlet"
        $err.Exception.Message | Should -Not -BeNullOrEmpty
        @(Get-ChildItem -LiteralPath $TestDrive -Filter 'x*.html').Count | Should -Be 0
        Test-Path (Join-Path $TestDrive 'st') | Should -BeFalse
    }
}
