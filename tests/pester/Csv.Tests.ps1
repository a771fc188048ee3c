BeforeAll {
    . $PSScriptRoot/Common.ps1
    Connect-TestAdmin | Out-Null
    $script:Records = @(Get-SubscriberUsageAggregate -ReportedStartTime $script:HourStart -ReportedEndTime $script:HourEnd -AggregationGranularity Hourly)
}

Describe 'Export-Csv / Import-Csv round trip under <_> culture' -ForEach @('invariant', 'en-US') {
    BeforeAll {
        $culture = if ($_ -eq 'invariant') { [cultureinfo]::InvariantCulture } else { [cultureinfo]::GetCultureInfo('en-US') }
        $script:Culture = $culture
        $saved = [cultureinfo]::CurrentCulture
        $script:Csv = Join-Path $TestDrive "usage-$_.csv"
        try {
            [cultureinfo]::CurrentCulture = $culture
            $script:Records | Export-Csv -LiteralPath $script:Csv -Encoding utf8
            $script:Rows = @(Import-Csv -LiteralPath $script:Csv -Encoding utf8)
        } finally { [cultureinfo]::CurrentCulture = $saved }
    }

    It 'has the schema columns in order and every record' {
        $script:Rows.Count | Should -Be $script:Records.Count
        $script:Rows[0].PSObject.Properties.Name | Should -Be $script:SchemaColumns
        (Get-Content -LiteralPath $script:Csv -TotalCount 1) | Should -Not -Match '^#TYPE'
    }

    It 'gives back the same instants and quantities' {
        for ($i = 0; $i -lt $script:Rows.Count; $i++) {
            $r = $script:Records[$i]; $row = $script:Rows[$i]
            [datetimeoffset]::Parse($row.UsageStartTime, $script:Culture) | Should -Be $r.UsageStartTime
            [datetimeoffset]::Parse($row.UsageEndTime, $script:Culture) | Should -Be $r.UsageEndTime
            [decimal]::Parse($row.Quantity, [System.Globalization.NumberStyles]::Float, $script:Culture) | Should -Be $r.Quantity
        }
    }

    It 'writes Tags and AdditionalInfo as key=value text, never a type name, non-ASCII intact' {
        ($script:Rows | Where-Object { $_.Tags -match 'AzsUsage|System\.' }) | Should -BeNullOrEmpty
        for ($i = 0; $i -lt $script:Rows.Count; $i++) {
            $script:Rows[$i].Tags | Should -BeExactly $script:Records[$i].Tags.ToString()
            $script:Rows[$i].AdditionalInfo | Should -BeExactly $script:Records[$i].AdditionalInfo.ToString()
        }
        $nonAscii = @($script:Rows | Where-Object { $_.Tags -match '[^\x00-\x7F]' })
        $nonAscii.Count | Should -BeGreaterThan 0
        $parsed = [AzsUsage.UsageMap]::Parse($nonAscii[0].Tags)
        $parsed.Count | Should -BeGreaterThan 0
        $parsed.ToString() | Should -BeExactly $nonAscii[0].Tags
    }
}
