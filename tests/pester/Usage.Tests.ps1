BeforeAll { . $PSScriptRoot/Common.ps1 }

Describe 'Connect-AzsUsage' {
    It 'connects from the emulator object and keeps the connection' {
        $c = Connect-TestAdmin
        $c | Should -BeOfType ([AzsUsage.AzsUsageConnection])
        $c.SubscriptionId | Should -Be $script:Emu.ProviderSubscriptionId
        $c.CredentialKind | Should -Be 'ClientSecret'
        [AzsUsage.AzsUsageConnection]::GetCurrent().Endpoint | Should -Be $c.Endpoint
        ($c | Out-String) | Should -Not -Match ([regex]::Escape($script:Emu.Admin.ClientSecret))
    }

    It 'looks up the default subscription when -SubscriptionId is omitted' {
        $c = Connect-AzsUsage -Endpoint $script:Emu.AdminEndpoint -Credential $script:Emu.Admin.Credential -TenantId $script:Emu.Admin.TenantId
        $c.SubscriptionId | Should -Be $script:Emu.ProviderSubscriptionId
    }

    It 'warns with -SkipCertificateCheck' {
        $null = Connect-AzsUsage -Endpoint $script:Emu.AdminEndpoint -Credential $script:Emu.Admin.Credential -TenantId $script:Emu.Admin.TenantId `
            -SubscriptionId $script:Emu.ProviderSubscriptionId -SkipCertificateCheck -WarningVariable w -WarningAction SilentlyContinue
        $w | Should -Not -BeNullOrEmpty
        "$w" | Should -Match 'SkipCertificateCheck'
    }

    It 'accepts an access token' {
        $token = ConvertTo-SecureString 'not-a-real-token' -AsPlainText -Force
        $c = Connect-AzsUsage -Endpoint $script:Emu.AdminEndpoint -AccessToken $token -SubscriptionId $script:Emu.ProviderSubscriptionId
        $c.CredentialKind | Should -Be 'Token'
        ($c | Format-List * | Out-String) | Should -Not -Match 'not-a-real-token'
    }

    It 'fails with AuthenticationFailed for a wrong secret, and the message has no secret' {
        $bad = [pscredential]::new($script:Emu.Admin.ClientId, (ConvertTo-SecureString 'wrong-secret-123' -AsPlainText -Force))
        $err = { Connect-AzsUsage -Endpoint $script:Emu.AdminEndpoint -Credential $bad -TenantId $script:Emu.Admin.TenantId } |
            Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeExactly (Get-ExpectedErrorId AuthenticationFailed Connect-AzsUsage)
        $err.Exception.Reason | Should -Be 'AuthenticationFailed'
        $err.CategoryInfo.Category | Should -Be 'AuthenticationError'
        $err.Exception.Message | Should -Not -Match 'wrong-secret-123'
    }

    It 'rejects an endpoint that is not a URL with InvalidArgument' {
        $err = { Connect-AzsUsage -Endpoint 'not a url' -SubscriptionId $script:Emu.ProviderSubscriptionId } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeExactly (Get-ExpectedErrorId InvalidArgument Connect-AzsUsage)
        $err.Exception.Reason | Should -Be 'InvalidEndpoint'
    }
}

Describe 'Get-SubscriberUsageAggregate (provider API)' {
    BeforeAll {
        Connect-TestAdmin | Out-Null
        $script:All = @(Get-SubscriberUsageAggregate -ReportedStartTime $script:HourStart -ReportedEndTime $script:HourEnd -AggregationGranularity Hourly)
    }

    It 'writes typed records with the 17 schema properties in order' {
        $script:All.Count | Should -BeGreaterThan 500
        $r = $script:All[0]
        $r | Should -BeOfType ([AzsUsage.UsageRecord])
        $r.PSObject.Properties.Name | Should -Be $script:SchemaColumns
        $r.Quantity | Should -BeOfType ([decimal])
        $r.UsageStartTime | Should -BeOfType ([datetimeoffset])
        $r.UsageStartTime.Offset | Should -Be ([timespan]::Zero)
    }

    It 'indexes Tags like a dictionary and prints them in the schema form' {
        $tagged = $script:All | Where-Object { $_.Tags.Count -gt 0 } | Select-Object -First 1
        $tagged | Should -Not -BeNullOrEmpty
        $key = @($tagged.Tags.Keys)[0]
        $tagged.Tags[$key] | Should -Be (@($tagged.Tags.Values)[0])
        $tagged.Tags[$key.ToUpperInvariant()] | Should -Be $tagged.Tags[$key]
        $tagged.Tags['no-such-tag'] | Should -BeNullOrEmpty
        $tagged.Tags.ToString() | Should -Match '^[^=]+=.*'
        "$($tagged.Tags)" | Should -Not -Match 'AzsUsage\.UsageMap'
    }

    It 'works through the alias Get-SubscriberUsageAggregates' {
        $n = (Get-SubscriberUsageAggregates -ReportedStartTime $script:HourStart -ReportedEndTime $script:HourEnd -AggregationGranularity Hourly | Measure-Object).Count
        $n | Should -Be $script:All.Count
    }

    It 'restricts to one subscriber with -SubscriberId' {
        $sub = $script:Emu.Tenants[0].SubscriptionId
        $one = @(Get-SubscriberUsageAggregate -SubscriberId $sub -ReportedStartTime $script:HourStart -ReportedEndTime $script:HourEnd -AggregationGranularity Hourly)
        $one.Count | Should -BeGreaterThan 0
        $one | ForEach-Object { $_.SubscriptionId | Should -Be $sub }
        $one.Count | Should -Be @($script:All | Where-Object SubscriptionId -eq $sub).Count
    }

    It 'accepts DateTime of any Kind and DateTimeOffset for the same window' {
        $unspecified = [datetime]::SpecifyKind($script:DayStart, 'Unspecified')
        $offset = [datetimeoffset]::new([datetime]::SpecifyKind($script:DayEnd.AddHours(2), 'Unspecified'), [timespan]::FromHours(2))
        $a = (Get-SubscriberUsageAggregate -ReportedStartTime $unspecified -ReportedEndTime $offset | Measure-Object).Count
        $b = (Get-SubscriberUsageAggregate -ReportedStartTime $script:DayStart -ReportedEndTime $script:DayEnd | Measure-Object).Count
        $a | Should -Be $b
        $a | Should -BeGreaterThan 0
        $local = $script:DayStart.ToLocalTime()
        (Get-SubscriberUsageAggregate -ReportedStartTime $local -ReportedEndTime $script:DayEnd | Measure-Object).Count | Should -Be $b
    }

    It 'aggregates per meter with -ShowDetails $false' {
        $agg = @(Get-SubscriberUsageAggregate -ReportedStartTime $script:DayStart -ReportedEndTime $script:DayEnd -ShowDetails $false)
        $det = @(Get-SubscriberUsageAggregate -ReportedStartTime $script:DayStart -ReportedEndTime $script:DayEnd)
        $agg.Count | Should -BeGreaterThan 0
        $agg.Count | Should -BeLessOrEqual $det.Count
    }

    It 'gives the same records with -ThrottleLimit' {
        $par = @(Get-SubscriberUsageAggregate -ReportedStartTime $script:HourStart -ReportedEndTime $script:HourEnd -AggregationGranularity Hourly -ThrottleLimit 4)
        $par.Count | Should -Be $script:All.Count
        ($par | ForEach-Object { Get-RecordKey $_ } | Sort-Object) -join "`n" | Should -Be (($script:All | ForEach-Object { Get-RecordKey $_ } | Sort-Object) -join "`n")
    }

    It 'stops after -First records' {
        @(Get-SubscriberUsageAggregate -ReportedStartTime $script:HourStart -ReportedEndTime $script:HourEnd -AggregationGranularity Hourly -First 7).Count | Should -Be 7
    }

    It 'streams: the first record reaches the pipeline before the last page is requested' {
        $items = @(Get-SubscriberUsageAggregate -ReportedStartTime $script:HourStart -ReportedEndTime $script:HourEnd -AggregationGranularity Hourly -Verbose 4>&1)
        $firstRecord = [array]::FindIndex($items, [Predicate[object]] { param($x) $x -is [AzsUsage.UsageRecord] })
        $gets = @(for ($i = 0; $i -lt $items.Count; $i++) { if ($items[$i] -is [System.Management.Automation.VerboseRecord] -and $items[$i].Message -match '^GET .*UsageAggregates') { $i } })
        $gets.Count | Should -BeGreaterThan 2
        $firstRecord | Should -BeGreaterThan -1
        $firstRecord | Should -BeLessThan $gets[-1]
    }

    It 'Select-Object -First stops fetching (one page requested)' {
        $log = Join-Path $TestDrive 'verbose.txt'
        $got = Get-SubscriberUsageAggregate -ReportedStartTime $script:HourStart -ReportedEndTime $script:HourEnd -AggregationGranularity Hourly -Verbose 4>$log | Select-Object -First 5
        @($got).Count | Should -Be 5
        $requests = @(Get-Content $log | Where-Object { $_ -match '^GET .*UsageAggregates' })
        $requests.Count | Should -Be 1
    }

    It '-Verbose shows requests and statuses without secrets' {
        $v = Get-SubscriberUsageAggregate -ReportedStartTime $script:DayStart -ReportedEndTime $script:DayEnd -First 1 -Verbose 4>&1 |
            Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | ForEach-Object Message
        ($v -join "`n") | Should -Match 'GET http'
        ($v -join "`n") | Should -Match 'HTTP 200'
        ($v -join "`n") | Should -Not -Match ([regex]::Escape($script:Emu.Admin.ClientSecret))
    }
}

Describe 'Paging by hand and resuming' {
    BeforeAll {
        Connect-TestAdmin | Out-Null
        $script:Window = @{ ReportedStartTime = $script:HourStart; ReportedEndTime = $script:HourEnd; AggregationGranularity = 'Hourly' }
        $script:Full = @(Get-SubscriberUsageAggregate @script:Window)
    }

    It 'supports the AzureRM-style -AsPage + -ContinuationToken loop' {
        $token = $null
        $records = [System.Collections.Generic.List[object]]::new()
        $pages = 0
        do {
            $page = Get-SubscriberUsageAggregates @script:Window -AsPage -First 1 -ContinuationToken $token
            $page | Should -BeOfType ([AzsUsage.UsagePage])
            $records.AddRange([object[]] $page.Records)
            $token = $page.ContinuationToken
            $pages++
        } while ($token -and $pages -lt 1000)
        $pages | Should -BeGreaterThan 1
        $records.Count | Should -Be $script:Full.Count
        ($records | ForEach-Object { Get-RecordKey $_ }) -join "`n" | Should -Be (($script:Full | ForEach-Object { Get-RecordKey $_ }) -join "`n")
    }

    It 'resuming from a token gives exactly the remaining records' {
        $first = Get-SubscriberUsageAggregate @script:Window -AsPage -First 1
        $first.ContinuationToken | Should -Not -BeNullOrEmpty
        $rest = @(Get-SubscriberUsageAggregate @script:Window -ContinuationToken $first.ContinuationToken)
        ($first.Records.Count + $rest.Count) | Should -Be $script:Full.Count
        $expected = $script:Full[$first.Records.Count..($script:Full.Count - 1)] | ForEach-Object { Get-RecordKey $_ }
        ($rest | ForEach-Object { Get-RecordKey $_ }) -join "`n" | Should -Be ($expected -join "`n")
    }
}

Describe 'Get-UsageAggregate (tenant API)' {
    It 'reads the connected tenant subscription, also through the alias' {
        $t = $script:Emu.Tenants[0]
        Connect-TestTenant 0 | Out-Null
        $records = @(Get-UsageAggregate -ReportedStartTime $script:DayStart -ReportedEndTime $script:DayEnd)
        $records.Count | Should -BeGreaterThan 0
        $records | ForEach-Object { $_.SubscriptionId | Should -Be $t.SubscriptionId }
        (Get-UsageAggregates -ReportedStartTime $script:DayStart -ReportedEndTime $script:DayEnd | Measure-Object).Count | Should -Be $records.Count
    }

    It 'takes -SubscriptionId from the pipeline by property name' {
        $t = $script:Emu.Tenants[0]
        Connect-TestTenant 0 | Out-Null
        $n = ([pscustomobject]@{ SubscriptionId = $t.SubscriptionId } | Get-UsageAggregate -ReportedStartTime $script:DayStart -ReportedEndTime $script:DayEnd | Measure-Object).Count
        $n | Should -BeGreaterThan 0
    }

    It 'a tenant connection cannot read another tenant' {
        Connect-TestTenant 0 | Out-Null
        $other = $script:Emu.Tenants[1].SubscriptionId
        $err = { Get-UsageAggregate -SubscriptionId $other -ReportedStartTime $script:DayStart -ReportedEndTime $script:DayEnd } |
            Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeExactly (Get-ExpectedErrorId PermissionDenied Get-UsageAggregate)
        $err.CategoryInfo.Category | Should -Be 'PermissionDenied'
    }

    It 'a tenant connection cannot use the provider API' {
        Connect-TestTenant 0 | Out-Null
        $err = { Get-SubscriberUsageAggregate -SubscriptionId $script:Emu.ProviderSubscriptionId -ReportedStartTime $script:DayStart -ReportedEndTime $script:DayEnd } |
            Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeExactly (Get-ExpectedErrorId PermissionDenied Get-SubscriberUsageAggregate)
    }
}

Describe 'Errors' {
    BeforeAll { Connect-TestAdmin | Out-Null }

    It 'end before start is InvalidTimeRange' {
        $err = { Get-SubscriberUsageAggregate -ReportedStartTime $script:DayEnd -ReportedEndTime $script:DayStart } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeExactly (Get-ExpectedErrorId InvalidTimeRange Get-SubscriberUsageAggregate)
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
    }

    It 'an end in the future is InvalidTimeRange' {
        $err = { Get-SubscriberUsageAggregate -ReportedStartTime $script:DayStart -ReportedEndTime $script:DayEnd.AddDays(3) } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeExactly (Get-ExpectedErrorId InvalidTimeRange Get-SubscriberUsageAggregate)
    }

    It 'a Daily window not at midnight is InvalidTimeRange' {
        $err = { Get-SubscriberUsageAggregate -ReportedStartTime $script:DayStart.AddHours(3) -ReportedEndTime $script:DayEnd } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeExactly (Get-ExpectedErrorId InvalidTimeRange Get-SubscriberUsageAggregate)
    }

    It 'a bad granularity is rejected by parameter validation' {
        $err = { Get-SubscriberUsageAggregate -ReportedStartTime $script:DayStart -ReportedEndTime $script:DayEnd -AggregationGranularity Weekly } |
            Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeExactly (Get-ExpectedErrorId ParameterArgumentValidationError Get-SubscriberUsageAggregate)
    }

    It 'a malformed subscription id is InvalidSubscriptionId' {
        $err = { Get-SubscriberUsageAggregate -SubscriberId 'not-a-guid' -ReportedStartTime $script:DayStart -ReportedEndTime $script:DayEnd } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeExactly (Get-ExpectedErrorId InvalidSubscriptionId Get-SubscriberUsageAggregate)
    }

    It 'a garbage continuation token is InvalidContinuationToken' {
        $err = { Get-SubscriberUsageAggregate -ReportedStartTime $script:DayStart -ReportedEndTime $script:DayEnd -ContinuationToken 'garbage!' } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeExactly (Get-ExpectedErrorId InvalidContinuationToken Get-SubscriberUsageAggregate)
        $err.Exception.Reason | Should -Be 'InvalidContinuationToken'
    }

    It 'without a connection the error is NotConnected' {
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript("Import-Module '$($script:ModuleManifest)'; try { Get-UsageAggregate -ReportedStartTime '2026-01-01' -ReportedEndTime '2026-01-02' } catch { `$_.FullyQualifiedErrorId; `$_.CategoryInfo.Category.ToString() }")
            $out = $ps.Invoke()
            $out[0] | Should -BeExactly (Get-ExpectedErrorId NotConnected Get-UsageAggregate)
            $out[1] | Should -Be 'InvalidOperation'
        } finally { $ps.Dispose() }
    }
}

Describe 'A failure after records were written' {
    BeforeAll {
        $script:Window = @{ ReportedStartTime = $script:HourStart; ReportedEndTime = $script:HourEnd; AggregationGranularity = 'Hourly' }
        Connect-TestAdmin | Out-Null
        $script:Full = @(Get-SubscriberUsageAggregate @script:Window)
        $form = @{ grant_type = 'client_credentials'; client_id = $script:Emu.Admin.ClientId; client_secret = $script:Emu.Admin.ClientSecret; resource = $script:Emu.Audience }
        $token = (Invoke-RestMethod -Method Post -Uri "$($script:Emu.LoginEndpoint.TrimEnd('/'))/$($script:Emu.Admin.TenantId)/oauth2/token" -Body $form).access_token
        $script:FaultsUri = "$($script:Emu.AdminEndpoint.TrimEnd('/'))/_emulator/faults"
        $script:AdminHeaders = @{ Authorization = "Bearer $token" }
    }
    AfterAll { Invoke-RestMethod -Method Delete -Uri $script:FaultsUri -Headers $script:AdminHeaders | Out-Null }

    It '-Verbose shows retry waits (503 then success)' {
        $null = Connect-AzsUsage -Endpoint $script:Emu.AdminEndpoint -Credential $script:Emu.Admin.Credential -TenantId $script:Emu.Admin.TenantId `
            -SubscriptionId $script:Emu.ProviderSubscriptionId
        Invoke-RestMethod -Method Post -Uri $script:FaultsUri -Headers $script:AdminHeaders -Body '503=0:next=1' -ContentType 'text/plain' | Out-Null
        try {
            $out = @(Get-SubscriberUsageAggregate -ReportedStartTime $script:DayStart -ReportedEndTime $script:DayEnd -First 1 -Verbose 4>&1)
        } finally {
            Invoke-RestMethod -Method Delete -Uri $script:FaultsUri -Headers $script:AdminHeaders | Out-Null
        }
        @($out | Where-Object { $_ -is [AzsUsage.UsageRecord] }).Count | Should -Be 1
        $verbose = ($out | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | ForEach-Object Message) -join "`n"
        $verbose | Should -Match 'HTTP 503'
        $verbose | Should -Match 'retrying in'
    }

    It 'carries the continuation token in TargetObject and the message, and resuming from it completes the pull' {
        $null = Connect-AzsUsage -Endpoint $script:Emu.AdminEndpoint -Credential $script:Emu.Admin.Credential -TenantId $script:Emu.Admin.TenantId `
            -SubscriptionId $script:Emu.ProviderSubscriptionId -MaxRetries 0
        $got = [System.Collections.Generic.List[object]]::new()
        try {
            $err = {
                Get-SubscriberUsageAggregate @script:Window | ForEach-Object {
                    if ($got.Count -eq 0) {
                        Invoke-RestMethod -Method Post -Uri $script:FaultsUri -Headers $script:AdminHeaders -Body '500:always' -ContentType 'text/plain' | Out-Null
                    }
                    $got.Add($_)
                }
            } | Should -Throw -PassThru
        } finally {
            Invoke-RestMethod -Method Delete -Uri $script:FaultsUri -Headers $script:AdminHeaders | Out-Null
        }
        $err.FullyQualifiedErrorId | Should -BeExactly (Get-ExpectedErrorId ServiceUnavailable Get-SubscriberUsageAggregate)
        $got.Count | Should -BeGreaterThan 0
        $got.Count | Should -BeLessThan $script:Full.Count
        $err.CategoryInfo.Category | Should -Be 'ResourceUnavailable'
        $err.TargetObject | Should -BeOfType ([string])
        $err.TargetObject | Should -Not -BeNullOrEmpty
        $err.Exception.Message | Should -Match ([regex]::Escape($err.TargetObject))
        $err.Exception.ResumeToken | Should -Be $err.TargetObject

        $rest = @(Get-SubscriberUsageAggregate @script:Window -ContinuationToken $err.TargetObject)
        ($got.Count + $rest.Count) | Should -Be $script:Full.Count
        (@($got) + $rest | ForEach-Object { Get-RecordKey $_ }) -join "`n" | Should -Be (($script:Full | ForEach-Object { Get-RecordKey $_ }) -join "`n")
    }
}
