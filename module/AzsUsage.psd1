@{
    RootModule           = 'AzsUsage.dll'
    ModuleVersion        = '0.1.0'
    GUID                 = '5b0f6f2e-3c7a-4d5e-9a61-2f1c8e7d4b90'
    Author               = 'AzsUsage contributors'
    CompanyName          = 'AzsUsage'
    Copyright            = '(c) AzsUsage contributors. MIT License.'
    Description          = 'Azure Stack Hub usage records (tenant and provider usage APIs) as typed objects, streamed page by page, with continuation, retries and a local emulator. A thin shell over a Rust core.'
    CompatiblePSEditions = @('Core')
    PowerShellVersion    = '7.4'
    FormatsToProcess     = @('AzsUsage.Format.ps1xml')
    CmdletsToExport      = @(
        'Connect-AzsUsage'
        'Get-UsageAggregate'
        'Get-SubscriberUsageAggregate'
        'Get-UsageMeter'
        'Get-UsageSubscription'
        'Start-AzsUsageEmulator'
        'Stop-AzsUsageEmulator'
    )
    AliasesToExport      = @(
        'Get-UsageAggregates'
        'Get-SubscriberUsageAggregates'
    )
    FunctionsToExport    = @()
    VariablesToExport    = @()
    FileList             = @('AzsUsage.psd1', 'AzsUsage.dll', 'AzsUsage.Format.ps1xml', 'en-US/AzsUsage.dll-Help.xml')
    PrivateData          = @{
        PSData = @{
            Tags         = @('AzureStack', 'AzureStackHub', 'Usage', 'Billing', 'Linux', 'Windows', 'MacOS', 'PSEdition_Core')
            LicenseUri   = 'https://opensource.org/licenses/MIT'
            ReleaseNotes = 'First release: Connect-AzsUsage, Get-UsageAggregate, Get-SubscriberUsageAggregate, Get-UsageMeter, Start/Stop-AzsUsageEmulator. Billing: Get-UsageSubscription (the tenant directory).'
        }
    }
}
