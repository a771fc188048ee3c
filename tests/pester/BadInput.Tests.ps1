# Bad input to the cmdlets: each case fails with its stable ErrorId (and a message naming the problem), writes no
# record, and leaves the session healthy. Counted in the README's robustness figures.
BeforeAll {
    . $PSScriptRoot/Common.ps1
    Connect-TestAdmin | Out-Null
    # A real token to truncate and tamper with.
    $script:Token = (Get-SubscriberUsageAggregate -ReportedStartTime $script:HourStart -ReportedEndTime $script:HourEnd -AggregationGranularity Hourly -AsPage -First 1).ContinuationToken
    $script:Forged = [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes('{"q":"x","k":[0,0],"s":999999}'))
    $script:Unknown = '00000000-1111-2222-3333-444444444444'
}

Describe 'Bad input to the cmdlets' {
    It '<Name> fails with <Id>' -ForEach @(
        @{ Name = 'end before start'; Id = 'InvalidTimeRange'; Call = { Get-SubscriberUsageAggregate -ReportedStartTime $script:DayEnd -ReportedEndTime $script:DayStart } }
        @{ Name = 'start equal to end'; Id = 'InvalidTimeRange'; Call = { Get-SubscriberUsageAggregate -ReportedStartTime $script:DayStart -ReportedEndTime $script:DayStart } }
        @{ Name = 'an end in the future'; Id = 'InvalidTimeRange'; Call = { Get-SubscriberUsageAggregate -ReportedStartTime $script:DayStart -ReportedEndTime $script:DayEnd.AddDays(2) } }
        @{ Name = 'Hourly at half past'; Id = 'InvalidTimeRange'; Call = { Get-SubscriberUsageAggregate -ReportedStartTime $script:HourStart.AddMinutes(30) -ReportedEndTime $script:HourEnd -AggregationGranularity Hourly } }
        @{ Name = 'Daily at 06:00'; Id = 'InvalidTimeRange'; Call = { Get-SubscriberUsageAggregate -ReportedStartTime $script:DayStart.AddHours(6) -ReportedEndTime $script:DayEnd } }
        @{ Name = 'a reversed window on the tenant API'; Id = 'InvalidTimeRange'; Call = { Get-UsageAggregate -SubscriptionId $script:Emu.Tenants[0].SubscriptionIds[0] -ReportedStartTime $script:DayEnd -ReportedEndTime $script:DayStart } }
        @{ Name = 'a malformed subscriber id'; Id = 'InvalidSubscriptionId'; Call = { Get-SubscriberUsageAggregate -SubscriberId 'not-a-guid' -ReportedStartTime $script:DayStart -ReportedEndTime $script:DayEnd } }
        @{ Name = 'a subscriber id with braces and spaces'; Id = 'InvalidSubscriptionId'; Call = { Get-SubscriberUsageAggregate -SubscriberId '{ 0000 }' -ReportedStartTime $script:DayStart -ReportedEndTime $script:DayEnd } }
        @{ Name = 'a malformed tenant subscription id'; Id = 'InvalidSubscriptionId'; Call = { Get-UsageAggregate -SubscriptionId "x'; DROP TABLE usage; --" -ReportedStartTime $script:DayStart -ReportedEndTime $script:DayEnd } }
        @{ Name = 'a subscriber that is not a tenant'; Id = 'ServiceRejected'; Call = { Get-SubscriberUsageAggregate -SubscriberId $script:Unknown -ReportedStartTime $script:DayStart -ReportedEndTime $script:DayEnd } }
        @{ Name = 'a garbage continuation token'; Id = 'InvalidContinuationToken'; Call = { Get-SubscriberUsageAggregate -ReportedStartTime $script:HourStart -ReportedEndTime $script:HourEnd -AggregationGranularity Hourly -ContinuationToken 'garbage!!' } }
        @{ Name = 'a truncated continuation token'; Id = 'InvalidContinuationToken'; Call = { Get-SubscriberUsageAggregate -ReportedStartTime $script:HourStart -ReportedEndTime $script:HourEnd -AggregationGranularity Hourly -ContinuationToken $script:Token.Substring(0, $script:Token.Length - 6) } }
        @{ Name = 'a forged continuation token'; Id = 'InvalidContinuationToken'; Call = { Get-SubscriberUsageAggregate -ReportedStartTime $script:HourStart -ReportedEndTime $script:HourEnd -AggregationGranularity Hourly -ContinuationToken $script:Forged } }
        @{ Name = 'a token of another query'; Id = 'InvalidContinuationToken'; Call = { Get-SubscriberUsageAggregate -ReportedStartTime $script:DayStart -ReportedEndTime $script:DayEnd -ContinuationToken $script:Token } }
        @{ Name = 'an oversized continuation token'; Id = 'InvalidContinuationToken'; Call = { Get-SubscriberUsageAggregate -ReportedStartTime $script:HourStart -ReportedEndTime $script:HourEnd -AggregationGranularity Hourly -ContinuationToken ('A' * 5000) } }
        @{ Name = 'an unknown granularity'; Id = 'ParameterArgumentValidationError'; Call = { Get-SubscriberUsageAggregate -ReportedStartTime $script:DayStart -ReportedEndTime $script:DayEnd -AggregationGranularity Weekly } }
        @{ Name = 'a time that is not a time'; Id = 'ParameterArgumentTransformationError'; Call = { Get-SubscriberUsageAggregate -ReportedStartTime '2026-13-45' -ReportedEndTime $script:DayEnd } }
        @{ Name = 'a ThrottleLimit of 0'; Id = 'ParameterArgumentValidationError'; Call = { Get-SubscriberUsageAggregate -ReportedStartTime $script:DayStart -ReportedEndTime $script:DayEnd -ThrottleLimit 0 } }
        @{ Name = 'a negative -First'; Id = 'ParameterArgumentValidationError'; Call = { Get-SubscriberUsageAggregate -ReportedStartTime $script:DayStart -ReportedEndTime $script:DayEnd -First -5 } }
        @{ Name = 'an endpoint that is not a URL'; Id = 'InvalidArgument'; Call = { Connect-AzsUsage -Endpoint 'not a url' -AccessToken (ConvertTo-SecureString 't' -AsPlainText -Force) -SubscriptionId $script:Unknown } }
    ) {
        $err = $null
        $out = @()
        try { $out = @(& $Call) } catch { $err = $_ }
        $out.Where({ $_ -is [AzsUsage.UsageRecord] }).Count | Should -Be 0 -Because 'nothing is written for bad input'
        $err | Should -Not -BeNullOrEmpty
        $command = ($Call.ToString().Trim() -split '\s+')[0]
        $err.FullyQualifiedErrorId | Should -BeExactly (Get-ExpectedErrorId $Id $command)
        $err.Exception.Message | Should -Not -BeNullOrEmpty
    }

    It 'leaves the session healthy: the same connection still pulls' {
        Connect-TestAdmin | Out-Null
        @(Get-SubscriberUsageAggregate -ReportedStartTime $script:HourStart -ReportedEndTime $script:HourEnd -AggregationGranularity Hourly -First 5).Count | Should -Be 5
    }
}
