# The reason table of docs/errors.md (Reason, ErrorId, Category, Exit per row). Dot-sourced by Common.ps1, and by
# Errors.Tests.ps1 at discovery, where its rows become test cases.
function Get-DocumentedReason {
    $path = Join-Path $PSScriptRoot '../../docs/errors.md'
    Get-Content $path | Where-Object { $_.StartsWith('| `') } | ForEach-Object {
        $cells = $_.Split('|') | ForEach-Object { $_.Trim() }
        $exit = 0
        if ([int]::TryParse($cells[4], [ref] $exit)) {
            [pscustomobject]@{ Reason = $cells[1].Trim('`'); ErrorId = $cells[2].Trim('`'); Category = $cells[3].Trim('`'); Exit = $exit }
        }
    }
}
