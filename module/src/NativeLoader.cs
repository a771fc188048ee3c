using System;
using System.IO;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using AzsUsage.Native;

namespace AzsUsage;

/// <summary>
/// Finds the native library (the Rust core's C ABI) in the module's per-platform layout,
/// <c>runtimes/&lt;rid&gt;/native/&lt;file&gt;</c>, then next to the assembly. Registered once, when the
/// assembly loads, before any P/Invoke (the generated <c>Interop</c> static constructor calls native code).
/// </summary>
internal static class NativeLoader
{
    private static int _registered;

    [ModuleInitializer]
    internal static void Init()
    {
        if (System.Threading.Interlocked.Exchange(ref _registered, 1) == 1) return;
        NativeLibrary.SetDllImportResolver(typeof(Interop).Assembly, Resolve);
    }

    /// <summary>The runtime identifier of this process, built from OS and architecture (never distro-specific).</summary>
    internal static string Rid
    {
        get
        {
            string os = OperatingSystem.IsWindows() ? "win" : OperatingSystem.IsMacOS() ? "osx" : "linux";
            string arch = RuntimeInformation.ProcessArchitecture switch
            {
                Architecture.X64 => "x64",
                Architecture.Arm64 => "arm64",
                Architecture.X86 => "x86",
                Architecture.Arm => "arm",
                var a => a.ToString().ToLowerInvariant(),
            };
            return os + "-" + arch;
        }
    }

    /// <summary>The native library's file name on this OS.</summary>
    internal static string FileName =>
        OperatingSystem.IsWindows() ? Interop.NativeLib + ".dll"
        : OperatingSystem.IsMacOS() ? "lib" + Interop.NativeLib + ".dylib"
        : "lib" + Interop.NativeLib + ".so";

    /// <summary>Where the library is looked for, in order.</summary>
    internal static string[] Candidates()
    {
        string dir = Path.GetDirectoryName(typeof(NativeLoader).Assembly.Location) ?? AppContext.BaseDirectory;
        return new[]
        {
            Path.Combine(dir, "runtimes", Rid, "native", FileName),
            Path.Combine(dir, FileName),
        };
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? path)
    {
        if (!string.Equals(name, Interop.NativeLib, StringComparison.Ordinal)) return IntPtr.Zero;
        foreach (var candidate in Candidates())
        {
            if (File.Exists(candidate) && NativeLibrary.TryLoad(candidate, out var handle)) return handle;
        }
        return IntPtr.Zero; // fall back to default probing; a failure then names the library
    }
}
