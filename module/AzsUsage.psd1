@{
    RootModule           = 'AzsUsage.dll'
    # Substituted at build time (module/build.sh, build.ps1) with [workspace.package] version from Cargo.toml.
    ModuleVersion        = '0.0.0'
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
        'Export-UsageReport'
        'Get-UsageAggregate'
        'Get-SubscriberUsageAggregate'
        'Get-UsageMeter'
        'Get-UsageSubscription'
        'Import-UsageRateCard'
        'ConvertTo-FocusCost'
        'Measure-UsageCost'
        'Start-AzsUsageEmulator'
        'Stop-AzsUsageEmulator'
        'Sync-UsageAggregate'
    )
    AliasesToExport      = @(
        'Get-UsageAggregates'
        'Get-SubscriberUsageAggregates'
        'Get-AzsSubscriberUsage'
    )
    FunctionsToExport    = @()
    VariablesToExport    = @()
    FileList             = @('AzsUsage.psd1', 'AzsUsage.dll', 'AzsUsage.Format.ps1xml', 'en-US/AzsUsage.dll-Help.xml')
    PrivateData          = @{
        PSData = @{
            Tags         = @('AzureStack', 'AzureStackHub', 'Usage', 'Billing', 'Linux', 'Windows', 'MacOS', 'PSEdition_Core')
            LicenseUri   = 'https://opensource.org/licenses/MIT'
            ReleaseNotes = @'
See CHANGELOG.md in the project for the full notes.

Unreleased
- ErrorIds now come from the core's error reason, never from message text; $err.Exception.Reason names it.
  docs/errors.md lists every reason with its ErrorId, ErrorCategory and the CLI's exit code.
- Changed ErrorIds (each was derived from message text and was wrong):
  * No subscription visible to the credential (Connect-AzsUsage without -SubscriptionId):
    InvalidSubscriptionId -> SubscriptionNotFound (ObjectNotFound); no id was invalid.
  * A nextLink that loops or points to another host: ServiceUnavailable -> InvalidResponse (InvalidResult);
    the service answered, wrongly, and waiting does not help.
  * The service rejecting the granularity (InvalidAggregationGranularity): ServiceRejected -> InvalidGranularity.
  * An api-version that is empty or unknown to the service: InvalidArgument / ServiceRejected -> InvalidApiVersion.
  * A service error code containing "Time" or "Token" is no longer guessed to be InvalidTimeRange or
    InvalidContinuationToken: only the documented codes and InvalidProperty's property are mapped.
- -Verbose shows an error's causes ("Caused by: ..."); they are also the exception's InnerException chain.
- New cmdlet Sync-UsageAggregate: the hourly billing sync into SQLite or PostgreSQL (azs-usage sync), with
  Write-Progress, -Verbose and Ctrl+C that rolls the window in progress back; returns the run's summary.
- New cmdlet Export-UsageReport: the chargeback report and per-tenant statements from a FOCUS file or the
  billing database (as azs-usage report); returns the report's FileInfo with its figures and statements.
- New cmdlet Get-UsageSubscription: the provider's tenant directory (owner, directory tenant, offer, state).
- New pricing cmdlets, through the core: Import-UsageRateCard (validated rate cards, every problem with file, line
  and column; ErrorIds RateCardInvalid / RateCardConflict), ConvertTo-FocusCost (FOCUS 1.2 rows for Export-Csv, or
  -OutFile x.parquet|x.csv written natively) and Measure-UsageCost (grouped costs as exact [decimal]).
- New alias Get-AzsSubscriberUsage (the Azs.Commerce.Admin name) for Get-SubscriberUsageAggregate.
- The record table shows Quantity rounded to fit its column; the Quantity property stays exact.

0.1.0
- First release: Connect-AzsUsage, Get-UsageAggregate, Get-SubscriberUsageAggregate, Get-UsageMeter,
  Start/Stop-AzsUsageEmulator.
'@
        }
    }
}
