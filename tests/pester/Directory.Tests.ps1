# The tenant directory through the module: Get-UsageSubscription against the emulator (its ready file is the
# independent source of truth), the Export-Csv round trip to the directory file's columns (the same rows as the CLI's
# `azs-usage subscriptions` file), the deleted subscription, the filters, and the exact ErrorId of each error case.
BeforeAll {
    . $PSScriptRoot/Common.ps1
    # The core's DIRECTORY_FIELDS, in order: the directory file's columns.
    $script:DirectoryFields = @('SubscriptionId', 'DisplayName', 'Owner', 'TenantId', 'OfferId', 'OfferName', 'State',
        'DelegatedProviderSubscriptionId', 'ProviderSubscriptionId')
    $script:Expected = @(foreach ($t in $script:Emu.Tenants) {
        foreach ($s in $t.Subscriptions) { [pscustomobject]@{ Subscription = $s; Tenant = $t } }
    })
    $script:Cmdlet = 'AzsUsage.Commands.GetUsageSubscriptionCommand'
    $script:Unknown = '00000000-1111-2222-3333-444444444444'
}

Describe 'Get-UsageSubscription' {
    BeforeEach { Connect-TestAdmin | Out-Null }

    It 'lists every tenant subscription with its owner, directory tenant, offer and state' {
        $script:Expected.Count | Should -BeGreaterThan 3 -Because 'the emulator seeds several tenants'
        $subs = @(Get-UsageSubscription)
        $subs.Count | Should -Be $script:Expected.Count
        $subs | ForEach-Object { $_ | Should -BeOfType ([AzsUsage.TenantSubscription]) }
        foreach ($e in $script:Expected) {
            $got = @($subs | Where-Object SubscriptionId -EQ $e.Subscription.SubscriptionId)
            $got.Count | Should -Be 1
            $got[0].DisplayName | Should -BeExactly $e.Subscription.DisplayName
            $got[0].Owner | Should -BeExactly $e.Subscription.Owner
            $got[0].TenantId | Should -BeExactly $e.Tenant.TenantId
            $got[0].OfferId | Should -BeExactly $e.Subscription.OfferId
            $got[0].OfferName | Should -BeExactly $e.Subscription.OfferName
            $got[0].State | Should -BeExactly $e.Subscription.State
            $got[0].DelegatedProviderSubscriptionId | Should -BeExactly ''
            $got[0].ProviderSubscriptionId | Should -BeExactly $script:Emu.ProviderSubscriptionId
        }
        @($subs.OfferName | Sort-Object -Unique).Count | Should -BeGreaterOrEqual 3 -Because 'the tenants are on several offers'
    }

    It 'keeps the deleted subscription, with state Deleted, its owner and its offer' {
        $deleted = @(Get-UsageSubscription -State Deleted)
        $deleted.Count | Should -Be 1
        $want = $script:Expected.Subscription | Where-Object State -EQ 'Deleted'
        $deleted[0].SubscriptionId | Should -BeExactly $want.SubscriptionId
        $deleted[0].Owner | Should -BeExactly $want.Owner
        $deleted[0].OfferName | Should -BeExactly 'Legacy 2019'
        $script:Emu.Tenants[0].SubscriptionIds | Should -Not -Contain $want.SubscriptionId -Because 'it is not an active subscription'
    }

    It 'filters by -SubscriptionId (any case) and -State' {
        $ids = @($script:Emu.Tenants[0].SubscriptionIds[0], $script:Emu.Tenants[1].SubscriptionIds[0])
        $got = @(Get-UsageSubscription -SubscriptionId ($ids | ForEach-Object ToUpperInvariant))
        @($got.SubscriptionId | Sort-Object) | Should -Be @($ids | Sort-Object)
        @(Get-UsageSubscription -State enabled).Count | Should -Be ($script:Expected.Count - 1)
        @(Get-UsageSubscription -SubscriptionId $ids[0] -State Deleted).Count | Should -Be 0
    }

    It 'writes the directory file with Export-Csv: the directory columns, the same rows as azs-usage subscriptions' {
        $csv = Join-Path $TestDrive 'directory.csv'
        Get-UsageSubscription | Export-Csv -LiteralPath $csv
        (Get-Content -LiteralPath $csv -TotalCount 1) | Should -BeExactly (($script:DirectoryFields | ForEach-Object { '"' + $_ + '"' }) -join ',')
        $rows = @(Import-Csv -LiteralPath $csv)
        $rows[0].PSObject.Properties.Name | Should -Be $script:DirectoryFields
        $rows.Count | Should -Be $script:Expected.Count

        # The CLI shipped in the module folder writes the same directory file (RFC 4180, quoting only when needed).
        $exe = Join-Path (Split-Path $script:ModuleManifest) ($IsWindows ? 'azs-usage.exe' : 'azs-usage')
        $cliCsv = Join-Path $TestDrive 'cli.csv'
        & $exe subscriptions --emulator $script:Emu.ReadyFile -o $cliCsv 2>$null
        $LASTEXITCODE | Should -Be 0
        (Get-Content -LiteralPath $cliCsv -TotalCount 1) | Should -BeExactly ($script:DirectoryFields -join ',')
        $cliRows = @(Import-Csv -LiteralPath $cliCsv)
        $key = { param($r) ($script:DirectoryFields | ForEach-Object { $r.$_ }) -join '|' }
        @($cliRows | ForEach-Object { & $key $_ } | Sort-Object) | Should -Be @($rows | ForEach-Object { & $key $_ } | Sort-Object)
    }

    It 'shows a table of id, name, owner, offer and state' {
        $text = Get-UsageSubscription | Format-Table | Out-String -Width 160
        foreach ($h in 'SubscriptionId', 'DisplayName', 'Owner', 'OfferName', 'State') { $text | Should -Match $h }
        $text | Should -Match 'owner@contoso.onmicrosoft.com'
    }

    It 'has help with examples' {
        $help = Get-Help Get-UsageSubscription -Full
        $help.Synopsis | Should -Match 'tenant directory'
        @($help.Examples.Example).Count | Should -BeGreaterOrEqual 3
        ($help.Examples | Out-String) | Should -Match 'Export-Csv'
    }

    It 'writes its requests with -Verbose' {
        $verbose = Get-UsageSubscription -Verbose 4>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }
        ($verbose | Out-String) | Should -Match 'Microsoft.Subscriptions.Admin/subscriptions'
        ($verbose | Out-String) | Should -Not -Match ([regex]::Escape($script:Emu.ClientSecret))
    }
}

Describe 'Get-UsageSubscription errors' {
    It 'a tenant identity fails with PermissionDenied, saying the directory is provider-only' {
        Connect-TestTenant | Out-Null
        $err = $null
        try { Get-UsageSubscription } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -BeExactly "PermissionDenied,$script:Cmdlet"
        $err.CategoryInfo.Category | Should -Be 'PermissionDenied'
        $err.Exception.Message | Should -Match 'provider-only'
        $err.Exception.Message | Should -Match 'operator'
    }

    It '<Name> fails with <Id>' -ForEach @(
        @{ Name = 'a provider subscription that is not a GUID'; Id = 'InvalidSubscriptionId'; Call = { Get-UsageSubscription -ProviderSubscriptionId 'Default Provider Subscription' } }
        @{ Name = 'an unknown provider subscription'; Id = 'ServiceRejected'; Call = { Get-UsageSubscription -ProviderSubscriptionId $script:Unknown } }
        @{ Name = 'a state that does not exist'; Id = 'ParameterArgumentValidationError'; Call = { Get-UsageSubscription -State Paused } }
        @{ Name = 'an empty subscription id'; Id = 'ParameterArgumentValidationError'; Call = { Get-UsageSubscription -SubscriptionId '' } }
    ) {
        Connect-TestAdmin | Out-Null
        $err = $null
        $out = @()
        try { $out = @(& $Call) } catch { $err = $_ }
        $out.Count | Should -Be 0
        $err.FullyQualifiedErrorId | Should -BeExactly "$Id,$script:Cmdlet"
        $err.Exception.Message | Should -Not -BeNullOrEmpty
    }

    It 'an id the directory does not hold is a non-terminating SubscriptionNotFound; the others still come' {
        Connect-TestAdmin | Out-Null
        $known = $script:Emu.Tenants[0].SubscriptionIds[0]
        $got = @(Get-UsageSubscription -SubscriptionId $known, $script:Unknown -ErrorVariable errs -ErrorAction SilentlyContinue)
        $got.SubscriptionId | Should -Be @($known)
        $errs.Count | Should -Be 1
        $errs[0].FullyQualifiedErrorId | Should -BeExactly "SubscriptionNotFound,$script:Cmdlet"
        $errs[0].TargetObject | Should -Be $script:Unknown
    }

    It 'without a connection fails with NotConnected' {
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript("Import-Module '$($script:ModuleManifest)'; try { Get-UsageSubscription } catch { `$_.FullyQualifiedErrorId }")
            $result = @($ps.Invoke())
            $result | Should -Be @("NotConnected,$script:Cmdlet")
        } finally { $ps.Dispose() }
    }
}
