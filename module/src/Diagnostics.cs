using System.Linq;
using System.Management.Automation;

namespace AzsUsage;

/// <summary>Support and test hooks that prove the native boundary's guarantees.</summary>
public static class NativeDiagnostics
{
    /// <summary>The native library's version.</summary>
    public static string NativeVersion() => NativeCalls.Version();

    /// <summary>
    /// Calls the test-only export that panics inside its guard. Throws <see cref="NativeInternalException"/> (the
    /// contained panic); the process and every session stay usable.
    /// </summary>
    public static uint InvokeDebugPanic(uint code = 1) =>
        NativeCalls.Guard("azs_debug_panic", () => Native.Interop.azs_debug_panic(code).AsOk());

    /// <summary>
    /// One ErrorRecord per reason the native library knows, each made by the native test export and mapped the way
    /// every error is: proves that each reason crosses the boundary and has its documented ErrorId and category.
    /// </summary>
    public static ErrorRecord[] ErrorRecordsForEveryReason() =>
        NativeCalls.DebugErrors().Select(e => ErrorMapper.From(e, null, false)).ToArray();

    /// <summary>Where the module looks for the native library, in order.</summary>
    public static string[] NativeLibraryCandidates() => NativeLoader.Candidates();
}
