# The pricing cmdlets against the emulator's data: Import-UsageRateCard, ConvertTo-FocusCost and Measure-UsageCost.
# The independent references are the CLI shipped in the module folder (`azs-usage price` / `azs-usage cost` over the
# same records and card), DuckDB (tests/focus, for the Parquet file) and [decimal] sums computed here.
BeforeAll {
    . $PSScriptRoot/Common.ps1
    $script:Exe = Join-Path (Split-Path $script:ModuleManifest) ($IsWindows ? 'azs-usage.exe' : 'azs-usage')
    $script:Card = Join-Path $script:RepoRoot 'docs/samples/ratecard.csv'
    $script:Focus = Join-Path $script:RepoRoot 'tests/focus'
    Connect-TestAdmin | Out-Null
    # Six hours of every tenant (about 3,000 records: enough for every meter, lean enough for seconds), and the
    # directory (for offer-scoped prices, names, tenants).
    $script:Records = @(Get-SubscriberUsageAggregate -ReportedStartTime $script:HourEnd.AddHours(-6) -ReportedEndTime $script:HourEnd -AggregationGranularity Hourly)
    $script:UsageCsv = Join-Path $TestDrive 'usage.csv'
    $script:Records | Export-Csv -LiteralPath $script:UsageCsv
    $script:DirectoryCsv = Join-Path $TestDrive 'directory.csv'
    Get-UsageSubscription | Export-Csv -LiteralPath $script:DirectoryCsv

    # A card with one priced meter: every other record is unpriced.
    $script:OneMeterCard = Join-Path $TestDrive 'one-meter.csv'
    $meter = ($script:Records | Group-Object MeterId | Sort-Object Count -Descending | Select-Object -First 1).Name
    $script:OneMeter = $meter
    Set-Content -LiteralPath $script:OneMeterCard -Value "MeterId,UnitPrice,Currency`n$meter,0.5,USD"

    function Invoke-Cli { & $script:Exe @args 2>$null; $LASTEXITCODE | Should -Be 0 -Because "azs-usage $args" }

    # Two CSV files compared cell for cell (after Import-Csv: Export-Csv quotes every cell, the CLI only when needed).
    function Assert-SameCsv([string] $Actual, [string] $Expected) {
        $a = @(Import-Csv -LiteralPath $Actual)
        $e = @(Import-Csv -LiteralPath $Expected)
        $a.Count | Should -Be $e.Count
        $columns = @($e[0].PSObject.Properties.Name)
        @($a[0].PSObject.Properties.Name) | Should -Be $columns
        # Both through ConvertTo-Csv (one quoting), compared line by line; a difference is then named by column.
        $left = @($a | ConvertTo-Csv)
        $right = @($e | ConvertTo-Csv)
        for ($i = 0; $i -lt $e.Count; $i++) {
            if ($left[$i + 1] -cne $right[$i + 1]) {
                foreach ($c in $columns) {
                    if ($a[$i].$c -cne $e[$i].$c) { throw "row $($i + 1), column ${c}: '$($a[$i].$c)' <> CLI '$($e[$i].$c)'" }
                }
            }
        }
    }

    # A decimal from text, exactly: PowerShell's [decimal]'...' cast parses through a double and keeps 15 digits.
    function Dec([string] $Text) { [decimal]::Parse($Text, [System.Globalization.NumberStyles]::Float, [cultureinfo]::InvariantCulture) }

    # An exact sum of decimal texts in units of 1e-30, independent of [decimal] arithmetic.
    function Get-ExactSum([string[]] $Values) {
        $sum = [System.Numerics.BigInteger]::Zero
        foreach ($v in $Values) {
            $t = "$v".Trim()
            $negative = $t.StartsWith('-'); $t = $t.TrimStart('-')
            $parts = $t.Split('.')
            $whole = $parts[0]
            $fraction = if ($parts.Count -gt 1) { $parts[1] } else { '' }
            $units = [System.Numerics.BigInteger]::Parse($whole + $fraction.PadRight(30, '0').Substring(0, 30))
            $sum += $negative ? -$units : $units
        }
        $sum
    }

    function Get-BadCard([string] $Name, [string[]] $Lines) {
        $path = Join-Path $TestDrive $Name
        Set-Content -LiteralPath $path -Value (@('MeterId,UnitPrice,Currency,TierStart,EffectiveFrom,EffectiveTo') + $Lines)
        $path
    }
}

Describe 'Import-UsageRateCard' {
    It 'loads the sample card: path, currency, rows with the card''s columns, meters' {
        $card = Import-UsageRateCard -Path $script:Card -WarningVariable warnings
        $card | Should -BeOfType ([AzsUsage.RateCard])
        $card.Path | Should -BeExactly $script:Card
        $card.Currency | Should -BeExactly 'EUR'
        $dataLines = @(Get-Content -LiteralPath $script:Card | Where-Object { $_ -and -not $_.StartsWith('#') }).Count - 1
        $card.RowCount | Should -Be $dataLines
        $card.Rows.Count | Should -Be $dataLines
        $card.MeterCount | Should -Be @($card.Rows.MeterId | ForEach-Object { $_.Replace('-', '').ToLowerInvariant() } | Sort-Object -Unique).Count
        $tier = $card.Rows | Where-Object { $_.MeterName -eq 'Windows VM Size Hours' -and $_.TierStart -eq 2000 -and $_.Scope -eq '*' }
        $tier.UnitPrice | Should -Be ([decimal]'0.016')
        $tier.UnitPrice | Should -BeOfType ([decimal])
        $blob = $card.Rows | Where-Object MeterName -EQ 'BlockBlobCapacity'
        $blob.BlockSize | Should -Be 1000
        ($card.Rows | Where-Object { $_.EffectiveTo -ne $null } | Select-Object -First 1).EffectiveTo |
            Should -Be ([datetimeoffset]'2026-12-01T00:00:00Z')
        $warnings.Count | Should -Be 0 -Because 'the sample prices VM size hours at 0'
    }

    It 'warns when the same VM hours would be billed twice' {
        $twice = Join-Path $TestDrive 'twice.csv'
        Set-Content -LiteralPath $twice -Value "MeterId,UnitPrice,Currency`n6DAB500F-A4FD-49C4-956D-229BB9C8C793,1,EUR`nFAB6EB84-500B-4A09-A8CA-7358F8BBAEA5,0.01,EUR"
        $card = Import-UsageRateCard $twice -WarningVariable warnings -WarningAction SilentlyContinue
        $card.RowCount | Should -Be 2
        $card.Warnings.Count | Should -Be 1
        $warnings.Count | Should -Be 1
        "$warnings" | Should -Match 'billed twice'
        # A pricing cmdlet given the path warns too.
        @($script:Records | Select-Object -First 5 | ConvertTo-FocusCost -RateCard $twice -WarningVariable w2 -WarningAction SilentlyContinue) | Out-Null
        "$w2" | Should -Match 'billed twice'
    }

    It 'reports every problem with file, line and column, as <Id>: <Case>' -ForEach @(
        @{ Case = 'bad decimal'; Id = 'RateCardInvalid'; Column = 'UnitPrice'; Lines = @('m1,1.2.3,EUR,0,,') }
        @{ Case = 'unknown currency'; Id = 'RateCardInvalid'; Column = 'Currency'; Lines = @('m1,1,XYZ,0,,') }
        @{ Case = 'negative price'; Id = 'RateCardInvalid'; Column = 'UnitPrice'; Lines = @('m1,-1,EUR,0,,') }
        @{ Case = 'two currencies'; Id = 'RateCardConflict'; Column = 'Currency'; Lines = @('m1,1,EUR,0,,', 'm2,1,USD,0,,') }
        @{ Case = 'overlapping ranges'; Id = 'RateCardConflict'; Column = 'EffectiveFrom'; Lines = @('m1,1,EUR,0,2026-01-01,2026-03-01', 'm1,2,EUR,0,2026-02-01,') }
        @{ Case = 'duplicate tier'; Id = 'RateCardConflict'; Column = 'TierStart'; Lines = @('m1,1,EUR,0,,', 'm1,2,EUR,0,,') }
        @{ Case = 'tier not starting at 0'; Id = 'RateCardInvalid'; Column = 'TierStart'; Lines = @('m1,1,EUR,10,,') }
    ) {
        $path = Get-BadCard "bad-$($Case -replace ' ', '-').csv" $Lines
        $err = { Import-UsageRateCard -Path $path } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeExactly (Get-ExpectedErrorId $Id 'Import-UsageRateCard')
        $err.Exception.Message | Should -Match ([regex]::Escape($path) + ', line \d+, column ' + $Column)
    }

    It 'names a missing file (RateCardInvalid)' {
        $missing = Join-Path $TestDrive 'no-such-card.csv'
        $err = { Import-UsageRateCard $missing } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeExactly (Get-ExpectedErrorId 'RateCardInvalid' 'Import-UsageRateCard')
        $err.Exception.Message | Should -Match ([regex]::Escape($missing))
        # The same error when the path goes straight to a pricing cmdlet.
        $err = { $script:Records | ConvertTo-FocusCost -RateCard $missing } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeExactly (Get-ExpectedErrorId 'RateCardInvalid' 'ConvertTo-FocusCost')
    }
}

Describe 'ConvertTo-FocusCost' {
    BeforeAll {
        $script:CliFocus = Join-Path $TestDrive 'cli-focus.csv'
        Invoke-Cli price --rate-card $script:Card --directory $script:DirectoryCsv --input $script:UsageCsv --format focus-csv -o $script:CliFocus
        $script:RateCard = Import-UsageRateCard $script:Card -WarningAction SilentlyContinue
    }

    It 'pipes FOCUS rows into Export-Csv that equal azs-usage price --format focus-csv, cell for cell' {
        $script:Records.Count | Should -BeGreaterThan 100
        $rows = @($script:Records | ConvertTo-FocusCost -RateCard $script:RateCard -Directory $script:DirectoryCsv -WarningAction SilentlyContinue)
        $rows[0].PSObject.TypeNames[0] | Should -BeExactly 'AzsUsage.FocusCost'
        $rows[0].PSObject.Properties.Name[0..2] | Should -Be @('BilledCost', 'BillingAccountId', 'BillingAccountName')
        $out = Join-Path $TestDrive 'module-focus.csv'
        $rows | Export-Csv -LiteralPath $out
        Assert-SameCsv $out $script:CliFocus
    }

    It 'prices Import-Csv rows of an Export-Csv file, and -Path files, the same way (rate card by path)' {
        $fromCsv = Join-Path $TestDrive 'from-import-csv.csv'
        Import-Csv -LiteralPath $script:UsageCsv |
            ConvertTo-FocusCost -RateCard $script:Card -Directory $script:DirectoryCsv -WarningAction SilentlyContinue |
            Export-Csv -LiteralPath $fromCsv
        Assert-SameCsv $fromCsv $script:CliFocus
        $fromPath = Join-Path $TestDrive 'from-path.csv'
        ConvertTo-FocusCost -Path $script:UsageCsv -RateCard $script:RateCard -Directory $script:DirectoryCsv -WarningAction SilentlyContinue |
            Export-Csv -LiteralPath $fromPath
        Assert-SameCsv $fromPath $script:CliFocus
    }

    It 'writes -OutFile x.parquet natively: a FileInfo, read back by DuckDB with the same rows and billed total' {
        $parquet = Join-Path $TestDrive 'focus.parquet'
        $file = $script:Records | ConvertTo-FocusCost -RateCard $script:RateCard -Directory $script:DirectoryCsv -OutFile $parquet -WarningAction SilentlyContinue
        $file | Should -BeOfType ([System.IO.FileInfo])
        $file.FullName | Should -BeExactly $parquet
        [System.Text.Encoding]::ASCII.GetString([System.IO.File]::ReadAllBytes($parquet), 0, 4) | Should -BeExactly 'PAR1'
        $cli = @(Import-Csv -LiteralPath $script:CliFocus)
        if (-not (Test-Path (Join-Path $script:Focus 'node_modules/@duckdb/node-api'))) {
            Push-Location $script:Focus
            try { npm ci --no-audit --no-fund | Out-Null } finally { Pop-Location }
        }
        $read = node (Join-Path $script:Focus 'totals.mjs') $parquet | ConvertFrom-Json
        $LASTEXITCODE | Should -Be 0
        $read.rows | Should -Be $cli.Count
        # Row for row: Parquet holds decimals at scale 18, the CSV every digit; so the totals agree within rows x 1e-18.
        $ulp = [decimal]'0.000000000000000001'
        $off = @(for ($i = 0; $i -lt $cli.Count; $i++) {
            if ([math]::Abs((Dec $read.billed[$i]) - (Dec $cli[$i].BilledCost)) -gt $ulp) { "row $($i + 1): $($read.billed[$i]) <> $($cli[$i].BilledCost)" }
        })
        $off | Should -BeNullOrEmpty
        $difference = [System.Numerics.BigInteger]::Abs((Get-ExactSum $read.billed) - (Get-ExactSum $cli.BilledCost))
        $difference | Should -BeLessOrEqual ([System.Numerics.BigInteger]::Parse('1000000000000') * $cli.Count)
    }

    It 'never drops unpriced usage: a warning with records, meters and quantity; the side file; -Strict refuses it' {
        $priced = @($script:Records | Where-Object { $_.MeterId -eq $script:OneMeter }).Count
        $unpriced = $script:Records.Count - $priced
        $unpriced | Should -BeGreaterThan 0
        $side = Join-Path $TestDrive 'unpriced.csv'
        $rows = @($script:Records | ConvertTo-FocusCost -RateCard $script:OneMeterCard -UnpricedPath $side -WarningVariable w -WarningAction SilentlyContinue)
        $rows.Count | Should -Be $priced
        "$w" | Should -Match "^$unpriced records of \d+ meters without an effective price \(quantity [0-9.]+\): "
        "$w" | Should -Match ([regex]::Escape($side))
        $sideRows = @(Import-Csv -LiteralPath $side)
        $sideRows.Count | Should -Be $unpriced
        $sideRows[0].PSObject.Properties.Name | Should -Be $script:SchemaColumns

        # With -OutFile, the side file is <OutFile>.unpriced.csv.
        $out = Join-Path $TestDrive 'one-meter.csv.focus.csv'
        $script:Records | ConvertTo-FocusCost -RateCard $script:OneMeterCard -OutFile $out -WarningAction SilentlyContinue | Out-Null
        @(Import-Csv -LiteralPath "$out.unpriced.csv").Count | Should -Be $unpriced
        @(Import-Csv -LiteralPath $out).Count | Should -Be $priced

        $strictOut = Join-Path $TestDrive 'strict.parquet'
        $err = { $script:Records | ConvertTo-FocusCost -RateCard $script:OneMeterCard -Strict -OutFile $strictOut } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeExactly (Get-ExpectedErrorId 'UnpricedUsage' 'ConvertTo-FocusCost')
        $err.Exception.Message | Should -Match 'strict mode'
        Test-Path -LiteralPath $strictOut | Should -BeFalse -Because 'nothing is written under -Strict'
    }

    It 'refuses input that is not usage, naming the record and the property (UsageFileInvalid)' {
        $err = { 'not a record' | ConvertTo-FocusCost -RateCard $script:RateCard } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeExactly (Get-ExpectedErrorId 'UsageFileInvalid' 'ConvertTo-FocusCost')
        $err.Exception.Message | Should -Match 'record 1: .*SubscriptionId'

        $bad = @(Import-Csv -LiteralPath $script:UsageCsv | Select-Object -First 3)
        $bad[2].Quantity = 'lots'
        $err = { $bad | ConvertTo-FocusCost -RateCard $script:RateCard } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeExactly (Get-ExpectedErrorId 'UsageFileInvalid' 'ConvertTo-FocusCost')
        $err.Exception.Message | Should -Match 'record 3, property Quantity: .lots. is not a decimal quantity'

        $err = { ConvertTo-FocusCost -Path (Join-Path $TestDrive 'missing-usage.csv') -RateCard $script:RateCard } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeExactly (Get-ExpectedErrorId 'UsageFileInvalid' 'ConvertTo-FocusCost')

        $err = { $script:Records | ConvertTo-FocusCost -RateCard $script:RateCard -OutFile (Join-Path $TestDrive 'no/such/folder.csv') } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeExactly (Get-ExpectedErrorId 'OutputPathInvalid' 'ConvertTo-FocusCost')
    }
}

Describe 'Measure-UsageCost' {
    BeforeAll {
        $script:RateCard = Import-UsageRateCard $script:Card -WarningAction SilentlyContinue
        $script:FocusRows = @($script:Records | ConvertTo-FocusCost -RateCard $script:RateCard -Directory $script:DirectoryCsv -WarningAction SilentlyContinue)
    }

    It 'gives per-subscription costs equal to a [decimal] sum over the FOCUS rows' {
        $groups = @($script:Records | Measure-UsageCost -RateCard $script:RateCard -Directory $script:DirectoryCsv -GroupBy subscription -WarningAction SilentlyContinue)
        $groups[0].PSObject.TypeNames[0] | Should -BeExactly 'AzsUsage.UsageCost'
        $groups.Count | Should -Be @($script:FocusRows.SubAccountId | Sort-Object -Unique).Count
        foreach ($g in $groups) {
            $mine = @($script:FocusRows | Where-Object SubAccountId -EQ $g.subscription)
            $g.BilledCost | Should -BeOfType ([decimal])
            $text = { param($d) $d.ToString([cultureinfo]::InvariantCulture) }
            Get-ExactSum (& $text $g.BilledCost) | Should -Be (Get-ExactSum $mine.BilledCost)
            Get-ExactSum (& $text $g.ListCost) | Should -Be (Get-ExactSum $mine.ListCost)
            Get-ExactSum (& $text $g.ContractedCost) | Should -Be (Get-ExactSum $mine.ContractedCost)
            # And a [decimal] sum of the exactly parsed text.
            $billed = [decimal]0; foreach ($r in $mine) { $billed += Dec $r.BilledCost }
            $g.BilledCost | Should -Be $billed
            $g.Records | Should -Be $mine.Count
            $g.Currency | Should -BeExactly 'EUR'
        }
    }

    It 'gives the figures of azs-usage cost, grouped by tenant and tag per day' {
        $cli = Join-Path $TestDrive 'cli-cost.csv'
        Invoke-Cli cost --rate-card $script:Card --directory $script:DirectoryCsv --input $script:UsageCsv --group-by 'tenant,tag:Kostenstelle' --period day --format csv -o $cli
        $groups = @(Measure-UsageCost -Path $script:UsageCsv -RateCard $script:Card -Directory $script:DirectoryCsv -GroupBy tenant, tag:Kostenstelle -Period Day -WarningAction SilentlyContinue)
        $mine = Join-Path $TestDrive 'module-cost.csv'
        $groups | Export-Csv -LiteralPath $mine -UseCulture:$false
        $expected = @(Import-Csv -LiteralPath $cli)
        $groups.Count | Should -Be $expected.Count
        @($groups[0].PSObject.Properties.Name) | Should -Be @($expected[0].PSObject.Properties.Name)
        for ($i = 0; $i -lt $expected.Count; $i++) {
            $groups[$i].tenant | Should -BeExactly $expected[$i].tenant
            $groups[$i].'tag:Kostenstelle' | Should -BeExactly $expected[$i].'tag:Kostenstelle'
            $groups[$i].Period | Should -BeExactly $expected[$i].Period
            $groups[$i].BilledCost | Should -Be (Dec $expected[$i].BilledCost)
            $groups[$i].ListCost | Should -Be (Dec $expected[$i].ListCost)
            $groups[$i].Records | Should -Be ([long]$expected[$i].Records)
        }
        @($groups.'tag:Kostenstelle') | Should -Contain '(untagged)'
    }

    It 'counts unpriced records per group, and -Strict refuses them' {
        $groups = @($script:Records | Measure-UsageCost -RateCard $script:OneMeterCard -GroupBy meter -WarningVariable w -WarningAction SilentlyContinue)
        ($groups | Measure-Object Records -Sum).Sum | Should -Be $script:Records.Count
        ($groups | Measure-Object UnpricedRecords -Sum).Sum | Should -Be @($script:Records | Where-Object MeterId -NE $script:OneMeter).Count
        "$w" | Should -Match 'without an effective price'
        $err = { $script:Records | Measure-UsageCost -RateCard $script:OneMeterCard -GroupBy meter -Strict } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeExactly (Get-ExpectedErrorId 'UnpricedUsage' 'Measure-UsageCost')
        $err = { $script:Records | Measure-UsageCost -RateCard $script:RateCard -GroupBy owner } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeExactly (Get-ExpectedErrorId 'InvalidArgument' 'Measure-UsageCost')
        $err.Exception.Message | Should -Match 'tag:KEY'
    }
}
