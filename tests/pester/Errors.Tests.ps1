# The error contract, end to end: every reason of the core crosses the native boundary, has its arm in the module's
# switch, and gets the ErrorId and ErrorCategory docs/errors.md gives it; causes reach -Verbose.
BeforeDiscovery {
    . $PSScriptRoot/ErrorTable.ps1
    $script:Rows = @(Get-DocumentedReason | ForEach-Object { @{ Reason = $_.Reason; ErrorId = $_.ErrorId; Category = $_.Category } })
}

BeforeAll {
    . $PSScriptRoot/Common.ps1
    $script:Documented = @(Get-DocumentedReason)
    # One native error per core reason, mapped by ErrorMapper exactly as a cmdlet's error is.
    $script:Records = @([AzsUsage.NativeDiagnostics]::ErrorRecordsForEveryReason())
}

Describe 'Every reason' {
    It 'docs/errors.md lists every reason the native library knows, in order' {
        $script:Documented.Count | Should -BeGreaterOrEqual 38
        ($script:Records | ForEach-Object { $_.Exception.Reason.ToString() }) -join ',' |
            Should -BeExactly (($script:Documented | ForEach-Object Reason) -join ',')
    }

    It 'AzsUsage.Reason has the values of the native ErrorReason' {
        [enum]::GetNames([AzsUsage.Reason]) -join ',' | Should -BeExactly (($script:Documented | ForEach-Object Reason) -join ',')
        foreach ($p in [AzsUsage.Native.ErrorReason].GetProperties([Reflection.BindingFlags] 'Public,Static')) {
            $native = $p.GetValue($null)
            $native.ToReason().ToString() | Should -BeExactly $native.ToString() -Because "ErrorReason.$($p.Name)"
        }
    }

    It '<Reason> maps to <ErrorId> (<Category>)' -ForEach $script:Rows {
        $record = $script:Records | Where-Object { $_.Exception.Reason.ToString() -eq $Reason }
        $record | Should -HaveCount 1
        $record.FullyQualifiedErrorId | Should -BeExactly $ErrorId
        $record.CategoryInfo.Category.ToString() | Should -BeExactly $Category
        $record.Exception.Message | Should -BeExactly "a test error of reason $Reason"
    }
}

Describe 'Causes' {
    It 'an untrusted certificate is ConnectionFailed (reason TlsFailed), with its causes in -Verbose and InnerException' {
        $https = Start-AzsUsageEmulator -Https -Days 1 -Records 50
        try {
            $token = ConvertTo-SecureString 'not-a-real-token' -AsPlainText -Force
            $err = $null
            # No -CaCertificateFile: the emulator's self-signed certificate is not trusted.
            $out = @(try { Connect-AzsUsage -Endpoint $https.AdminEndpoint -AccessToken $token -MaxRetries 0 -Verbose 4>&1 } catch { $err = $_ })
            $err | Should -Not -BeNullOrEmpty
            $err.FullyQualifiedErrorId | Should -BeExactly (Get-ExpectedErrorId ConnectionFailed Connect-AzsUsage)
            $err.Exception.Reason | Should -Be 'TlsFailed'
            $err.Exception.Message | Should -Match 'TLS failed'
            $err.Exception.InnerException | Should -Not -BeNullOrEmpty
            $verbose = @($out | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | ForEach-Object Message)
            @($verbose | Where-Object { $_ -like 'Caused by: *' }).Count | Should -BeGreaterThan 0
            ($verbose -join "`n") | Should -Not -Match 'not-a-real-token'
        } finally {
            Stop-AzsUsageEmulator $https
        }
    }
}
