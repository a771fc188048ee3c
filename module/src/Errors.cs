using System;
using System.Collections.Generic;
using System.Management.Automation;
using AzsUsage.Native;

namespace AzsUsage
{
    /// <summary>
    /// Why a call failed: the core's reason (azs_usage_core::Reason), with the values of the native ErrorReason.
    /// docs/errors.md lists each one with its ErrorId, ErrorCategory, exit code, when it happens and what to do.
    /// Append only, with the next value (the native enum is numbered the same way).
    /// </summary>
    public enum Reason
    {
        InvalidArgument = 0,
        InvalidSubscriptionId = 1,
        InvalidTimeRange = 2,
        InvalidGranularity = 3,
        InvalidApiVersion = 4,
        InvalidContinuationToken = 5,
        InvalidEndpoint = 6,
        InvalidCredential = 7,
        CaFileInvalid = 8,
        MeterFileInvalid = 9,
        SubscriptionNotFound = 10,
        NotConnected = 11,
        AlreadyConnected = 12,
        AuthenticationFailed = 13,
        PermissionDenied = 14,
        ServiceRejected = 15,
        ServiceUnavailable = 16,
        InvalidResponse = 17,
        ConnectionFailed = 18,
        TlsFailed = 19,
        OperationCancelled = 20,
        InternalError = 21,
        RateCardInvalid = 22,
        RateCardConflict = 23,
        UsageFileInvalid = 24,
        DirectoryFileInvalid = 25,
        UnpricedUsage = 26,
        FocusFileInvalid = 27,
        OutputPathInvalid = 28,
        OutputWriteFailed = 29,
        DatabaseUrlInvalid = 30,
        DatabaseUnavailable = 31,
        DatabaseNotUsable = 32,
        SchemaTooNew = 33,
        SyncLocked = 34,
        StampConfigInvalid = 35,
        ReportFailed = 36,
        BrowserUnavailable = 37,
    }

    /// <summary>An error reported by the core: its reason, the service's code, and the token to resume from.</summary>
    public sealed class AzsUsageException : Exception
    {
        /// <summary>Why it failed (what the ErrorId and the CLI's exit code are computed from).</summary>
        public Reason Reason { get; }
        /// <summary>The service's error code, or empty.</summary>
        public string Code { get; }
        /// <summary>HTTP status of the last response (0 when none).</summary>
        public int Status { get; }
        /// <summary>x-ms-request-id of the last response, or empty.</summary>
        public string RequestId { get; }
        /// <summary>The continuation token to resume from, or empty (start over).</summary>
        public string ResumeToken { get; }

        internal AzsUsageException(ErrorDto e, string message, Exception? cause) : base(message, cause)
        {
            Reason = e.reason.ToReason();
            Code = e.code;
            Status = (int)e.status;
            RequestId = e.request_id;
            ResumeToken = e.resume_token;
        }
    }

    /// <summary>Maps reasons to ErrorRecords with stable ErrorIds and categories. Returns records; never writes.</summary>
    internal static class ErrorMapper
    {
        /// <summary>
        /// The one mapping from a reason to its ErrorId and ErrorCategory (docs/errors.md). No default arm: with
        /// warnings as errors, a reason without an arm does not compile (CS8509); only values outside the enum
        /// (CS8524, a newer native library) are left to the runtime, which throws.
        /// </summary>
#pragma warning disable CS8524
        internal static (string Id, ErrorCategory Category) Classify(Reason reason) => reason switch
        {
            Reason.InvalidArgument => ("InvalidArgument", ErrorCategory.InvalidArgument),
            Reason.InvalidSubscriptionId => ("InvalidSubscriptionId", ErrorCategory.InvalidArgument),
            Reason.InvalidTimeRange => ("InvalidTimeRange", ErrorCategory.InvalidArgument),
            Reason.InvalidGranularity => ("InvalidGranularity", ErrorCategory.InvalidArgument),
            Reason.InvalidApiVersion => ("InvalidApiVersion", ErrorCategory.InvalidArgument),
            Reason.InvalidContinuationToken => ("InvalidContinuationToken", ErrorCategory.InvalidArgument),
            Reason.InvalidEndpoint => ("InvalidArgument", ErrorCategory.InvalidArgument),
            Reason.InvalidCredential => ("InvalidArgument", ErrorCategory.InvalidArgument),
            Reason.CaFileInvalid => ("InvalidArgument", ErrorCategory.InvalidArgument),
            Reason.MeterFileInvalid => ("MeterFileInvalid", ErrorCategory.InvalidData),
            Reason.SubscriptionNotFound => ("SubscriptionNotFound", ErrorCategory.ObjectNotFound),
            Reason.NotConnected => ("NotConnected", ErrorCategory.InvalidOperation),
            Reason.AlreadyConnected => ("InvalidOperation", ErrorCategory.InvalidOperation),
            Reason.AuthenticationFailed => ("AuthenticationFailed", ErrorCategory.AuthenticationError),
            Reason.PermissionDenied => ("PermissionDenied", ErrorCategory.PermissionDenied),
            Reason.ServiceRejected => ("ServiceRejected", ErrorCategory.InvalidOperation),
            Reason.ServiceUnavailable => ("ServiceUnavailable", ErrorCategory.ResourceUnavailable),
            Reason.InvalidResponse => ("InvalidResponse", ErrorCategory.InvalidResult),
            Reason.ConnectionFailed => ("ConnectionFailed", ErrorCategory.ConnectionError),
            Reason.TlsFailed => ("ConnectionFailed", ErrorCategory.ConnectionError),
            Reason.OperationCancelled => ("OperationCancelled", ErrorCategory.OperationStopped),
            Reason.InternalError => ("InternalError", ErrorCategory.NotSpecified),
            Reason.RateCardInvalid => ("RateCardInvalid", ErrorCategory.InvalidData),
            Reason.RateCardConflict => ("RateCardConflict", ErrorCategory.InvalidData),
            Reason.UsageFileInvalid => ("UsageFileInvalid", ErrorCategory.InvalidData),
            Reason.DirectoryFileInvalid => ("DirectoryFileInvalid", ErrorCategory.InvalidData),
            Reason.UnpricedUsage => ("UnpricedUsage", ErrorCategory.InvalidData),
            Reason.FocusFileInvalid => ("FocusFileInvalid", ErrorCategory.InvalidData),
            Reason.OutputPathInvalid => ("OutputPathInvalid", ErrorCategory.InvalidArgument),
            Reason.OutputWriteFailed => ("OutputWriteFailed", ErrorCategory.WriteError),
            Reason.DatabaseUrlInvalid => ("DatabaseUrlInvalid", ErrorCategory.InvalidArgument),
            Reason.DatabaseUnavailable => ("DatabaseUnavailable", ErrorCategory.ConnectionError),
            Reason.DatabaseNotUsable => ("DatabaseNotUsable", ErrorCategory.OpenError),
            Reason.SchemaTooNew => ("SchemaTooNew", ErrorCategory.InvalidOperation),
            Reason.SyncLocked => ("SyncLocked", ErrorCategory.ResourceBusy),
            Reason.StampConfigInvalid => ("StampConfigInvalid", ErrorCategory.InvalidData),
            Reason.ReportFailed => ("ReportFailed", ErrorCategory.InvalidResult),
            Reason.BrowserUnavailable => ("BrowserUnavailable", ErrorCategory.NotInstalled),
        };
#pragma warning restore CS8524

        /// <summary>
        /// An ErrorRecord for a core error. When records were already written, the message and the TargetObject carry
        /// the continuation token to resume from; otherwise TargetObject is <paramref name="target"/>. The causes
        /// become the exception's InnerException chain.
        /// </summary>
        internal static ErrorRecord From(ErrorDto e, object? target, bool recordsWritten)
        {
            var (id, category) = Classify(e.reason.ToReason());
            string message = e.message;
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
            Exception? cause = null;
            for (int i = e.causes.Count - 1; i >= 0; i--) cause = new Exception(e.causes[i], cause);
            var ex = new AzsUsageException(e, message, cause);
            var record = new ErrorRecord(ex, id, category, targetObject);
            if (recordsWritten && e.resume_token.Length > 0)
                record.ErrorDetails = new ErrorDetails(message) { RecommendedAction = $"Rerun with -ContinuationToken '{e.resume_token}'." };
            return record;
        }

        /// <summary>The lines -Verbose shows for an error's causes, outermost first.</summary>
        internal static IEnumerable<string> CauseLines(ErrorDto e)
        {
            foreach (var c in e.causes) yield return $"Caused by: {c}";
        }

        internal static ErrorRecord NotConnected()
        {
            var (id, category) = Classify(Reason.NotConnected);
            return new ErrorRecord(
                new InvalidOperationException("Not connected. Run Connect-AzsUsage first (for example: Start-AzsUsageEmulator | Connect-AzsUsage)."),
                id, category, null);
        }

        internal static ErrorRecord Internal(NativeInternalException ex)
        {
            var (id, category) = Classify(Reason.InternalError);
            return new ErrorRecord(ex, id, category, null);
        }
    }
}

namespace AzsUsage.Native
{
    /// <summary>The generated native enum, as the module's <see cref="AzsUsage.Reason"/> (same values).</summary>
    public partial struct ErrorReason
    {
        /// <summary>This reason as <see cref="AzsUsage.Reason"/>.</summary>
        public AzsUsage.Reason ToReason() => (AzsUsage.Reason)_variant;
    }
}
