BeforeAll { . $PSScriptRoot/Common.ps1 }

Describe 'Get-UsageMeter' {
    It 'lists the catalog' {
        $all = @(Get-UsageMeter)
        $all.Count | Should -BeGreaterThan 10
        $all[0] | Should -BeOfType ([AzsUsage.UsageMeter])
        $all[0].PSObject.Properties.Name | Should -Contain 'Category'
    }

    It 'filters by id ignoring case and dashes' {
        $m = Get-UsageMeter | Where-Object { $_.Id -match '-' } | Select-Object -First 1
        $id = $m.Id.Replace('-', '').ToLowerInvariant()
        (Get-UsageMeter -Id $id).Name | Should -Be $m.Name
    }

    It 'filters by name with wildcards and by category' {
        $storage = @(Get-UsageMeter -Category Storage)
        $storage.Count | Should -BeGreaterThan 0
        $storage | ForEach-Object { $_.Category | Should -Be 'Storage' }
        $named = @(Get-UsageMeter -Name '*ip address*')
        $named.Count | Should -BeGreaterThan 0
        $named | ForEach-Object { $_.Name | Should -BeLike '*IP Address*' }
    }

    It 'reports an unknown id as MeterNotFound' {
        Get-UsageMeter -Id 'not-a-meter' -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeExactly (Get-ExpectedErrorId MeterNotFound Get-UsageMeter)
    }
}
