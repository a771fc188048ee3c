using System;
using System.Management.Automation;
using System.Text.RegularExpressions;
using AzsUsage.Native;

namespace AzsUsage;

/// <summary>An error reported by the core, with its kind, code and the token to resume from.</summary>
public sealed class AzsUsageException : Exception
{
    /// <summary>The core's error kind (InvalidInput, Unauthenticated, PermissionDenied, Rejected, Service, ...).</summary>
    public string Kind { get; }
    /// <summary>The service's error code, or empty.</summary>
    public string Code { get; }
    /// <summary>HTTP status of the last response (0 when none).</summary>
    public int Status { get; }
    /// <summary>x-ms-request-id of the last response, or empty.</summary>
    public string RequestId { get; }
    /// <summary>The continuation token to resume from, or empty (start over).</summary>
    public string ResumeToken { get; }

    internal AzsUsageException(ErrorDto e, string message) : base(message)
    {
        Kind = e.kind;
        Code = e.code;
        Status = (int)e.status;
        RequestId = e.request_id;
        ResumeToken = e.resume_token;
    }
}

/// <summary>Maps core errors to ErrorRecords with stable ErrorIds and categories. Returns records; never writes.</summary>
internal static class ErrorMapper
{
    /// <summary>The stable ErrorId and category for an error kind (and, for bad input, the rule it names).</summary>
    internal static (string Id, ErrorCategory Category) Classify(ErrorDto e)
    {
        switch (e.code)
        {
            case "NotConnected": return ("NotConnected", ErrorCategory.InvalidOperation);
            case "InvalidEndpoint": case "InvalidCredential": case "InvalidApi": return ("InvalidArgument", ErrorCategory.InvalidArgument);
            case "AlreadyConnected": return ("InvalidOperation", ErrorCategory.InvalidOperation);
        }
        if (e.kind == "InvalidInput")
        {
            // Query validation carries a stable code (azs_usage_core::query::codes); use it as the ErrorId.
            switch (e.code)
            {
                case "InvalidSubscriptionId": case "InvalidTimeRange": case "InvalidGranularity":
                    return (e.code, ErrorCategory.InvalidArgument);
                case "InvalidApiVersion":
                    return ("InvalidArgument", ErrorCategory.InvalidArgument);
            }
            // Other input errors name the rule they applied: "... (rule: start < end; ...)". Classify by that rule.
            string m = e.message;
            int rule = m.IndexOf("(rule:", StringComparison.Ordinal);
            string r = (rule >= 0 ? m.Substring(rule) : m).ToLowerInvariant();
            if (Regex.IsMatch(r, @"\btoken\b")) return ("InvalidContinuationToken", ErrorCategory.InvalidArgument);
            if (Regex.IsMatch(r, @"subscri")) return ("InvalidSubscriptionId", ErrorCategory.InvalidArgument);
            if (Regex.IsMatch(r, @"\b(start|end)\b|on the hour|00:00z|midnight|future|\bafter now\b|\btime\b|iso 8601"))
                return ("InvalidTimeRange", ErrorCategory.InvalidArgument);
            if (Regex.IsMatch(r, @"granularity")) return ("InvalidGranularity", ErrorCategory.InvalidArgument);
            return ("InvalidArgument", ErrorCategory.InvalidArgument);
        }
        return e.kind switch
        {
            "Unauthenticated" => ("AuthenticationFailed", ErrorCategory.AuthenticationError),
            "PermissionDenied" => ("PermissionDenied", ErrorCategory.PermissionDenied),
            // ARM's InvalidProperty names the property in its message ("The property 'continuationToken' is invalid").
            "Rejected" when e.code == "InvalidProperty" && e.message.Contains("continuationToken", StringComparison.OrdinalIgnoreCase)
                => ("InvalidContinuationToken", ErrorCategory.InvalidArgument),
            "Rejected" when e.code == "InvalidProperty" && e.message.Contains("reported", StringComparison.OrdinalIgnoreCase)
                => ("InvalidTimeRange", ErrorCategory.InvalidArgument),
            "Rejected" when e.code.Contains("Time", StringComparison.OrdinalIgnoreCase) => ("InvalidTimeRange", ErrorCategory.InvalidArgument),
            "Rejected" when e.code.Contains("Token", StringComparison.OrdinalIgnoreCase) => ("InvalidContinuationToken", ErrorCategory.InvalidArgument),
            "Rejected" => ("ServiceRejected", ErrorCategory.InvalidOperation),
            "Service" => ("ServiceUnavailable", ErrorCategory.ResourceUnavailable),
            "Decode" => ("InvalidResponse", ErrorCategory.InvalidResult),
            "Transport" => ("ConnectionFailed", ErrorCategory.ConnectionError),
            "Cancelled" => ("OperationCancelled", ErrorCategory.OperationStopped),
            _ => ("InternalError", ErrorCategory.NotSpecified),
        };
    }

    /// <summary>
    /// An ErrorRecord for a core error. When records were already written, the message and the TargetObject carry
    /// the continuation token to resume from; otherwise TargetObject is <paramref name="target"/>.
    /// </summary>
    internal static ErrorRecord From(ErrorDto e, object? target, bool recordsWritten)
    {
        var (id, category) = Classify(e);
        string message = e.message;
        if (e.code.Length > 0 && !message.Contains(e.code, StringComparison.Ordinal)) message += $" (code {e.code})";
        if (e.request_id.Length > 0) message += $" (x-ms-request-id {e.request_id})";
        object? targetObject = target;
        if (recordsWritten)
        {
            if (e.resume_token.Length > 0)
            {
                message += $" Records before the failure were written; resume with -ContinuationToken '{e.resume_token}'.";
                targetObject = e.resume_token;
            }
            else
            {
                message += " Records before the failure were written; no continuation token is known, so rerun the query.";
            }
        }
        var ex = new AzsUsageException(e, message);
        var record = new ErrorRecord(ex, id, category, targetObject);
        if (recordsWritten && e.resume_token.Length > 0)
            record.ErrorDetails = new ErrorDetails(message) { RecommendedAction = $"Rerun with -ContinuationToken '{e.resume_token}'." };
        return record;
    }

    internal static ErrorRecord NotConnected() => new(
        new InvalidOperationException("Not connected. Run Connect-AzsUsage first (for example: Start-AzsUsageEmulator | Connect-AzsUsage)."),
        "NotConnected", ErrorCategory.InvalidOperation, null);

    internal static ErrorRecord Internal(NativeInternalException ex) => new(ex, "InternalError", ErrorCategory.NotSpecified, null);

    internal static ErrorRecord Invalid(string id, string message, object? target) =>
        new(new ArgumentException(message), id, ErrorCategory.InvalidArgument, target);
}
