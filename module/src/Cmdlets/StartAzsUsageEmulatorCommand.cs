using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Management.Automation;
using System.Text;
using System.Threading;

namespace AzsUsage.Commands;

/// <summary>
/// Starts the usage emulator (the azs-usage executable shipped in the module folder) with sample data on a free
/// loopback port, waits until it is ready and returns its endpoint, subscriptions and sample credentials.
/// </summary>
[Cmdlet(VerbsLifecycle.Start, "AzsUsageEmulator", DefaultParameterSetName = "Memory")]
[OutputType(typeof(AzsUsageEmulator))]
public sealed class StartAzsUsageEmulatorCommand : PSCmdlet
{
    /// <summary>SQLite database file (created and seeded when empty). Default: an in-memory store.</summary>
    [Parameter(ParameterSetName = "Database", Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string? Database { get; set; }

    /// <summary>Keep the store in memory (the default).</summary>
    [Parameter(ParameterSetName = "Memory")]
    public SwitchParameter Memory { get; set; }

    /// <summary>Seed of the sample data (same seed, same data).</summary>
    [Parameter]
    public long Seed { get; set; } = 1;

    /// <summary>Days of sample data, up to the current hour.</summary>
    [Parameter]
    [ValidateRange(1, 3660)]
    public int Days { get; set; }

    /// <summary>Approximate number of hourly records to generate.</summary>
    [Parameter]
    [ValidateRange(1, long.MaxValue)]
    public long Records { get; set; }

    /// <summary>Number of sample tenants.</summary>
    [Parameter]
    [ValidateRange(1, 10000)]
    public int Tenants { get; set; }

    /// <summary>Records per page (default 1000, as the real service).</summary>
    [Parameter]
    [ValidateRange(1, 100000)]
    public int PageSize { get; set; }

    /// <summary>Faults to inject, e.g. "429:0.1,503:every=7".</summary>
    [Parameter]
    public string? Faults { get; set; }

    /// <summary>Serve HTTPS with a generated self-signed certificate (CaCertificateFile in the result).</summary>
    [Parameter]
    public SwitchParameter Https { get; set; }

    /// <summary>Port (0, the default, picks a free one).</summary>
    [Parameter]
    [ValidateRange(0, 65535)]
    public int Port { get; set; }

    /// <summary>The azs-usage executable; default: the one in the module folder.</summary>
    [Parameter]
    public string? ExecutablePath { get; set; }

    /// <summary>How long to wait for the emulator to be ready.</summary>
    [Parameter]
    [ValidateRange(1, 3600)]
    public int TimeoutSec { get; set; } = 300;

    internal static string DefaultExecutable()
    {
        string dir = Path.GetDirectoryName(typeof(StartAzsUsageEmulatorCommand).Assembly.Location) ?? ".";
        return Path.Combine(dir, OperatingSystem.IsWindows() ? "azs-usage.exe" : "azs-usage");
    }

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        string exe = ExecutablePath != null ? GetUnresolvedProviderPathFromPSPath(ExecutablePath) : DefaultExecutable();
        if (!File.Exists(exe))
            ThrowTerminatingError(new ErrorRecord(new FileNotFoundException($"The emulator executable '{exe}' was not found. Build the module with module/build.sh, or pass -ExecutablePath."),
                "EmulatorExecutableNotFound", ErrorCategory.ObjectNotFound, exe));

        string ready = Path.Combine(Path.GetTempPath(), $"azs-usage-emulator-{Guid.NewGuid():N}.json");
        var psi = new ProcessStartInfo(exe)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            CreateNoWindow = true,
        };
        void Arg(string a) => psi.ArgumentList.Add(a);
        Arg("emulator");
        Arg("--port"); Arg(Port.ToString(CultureInfo.InvariantCulture));
        Arg("--ready-file"); Arg(ready);
        if (Database != null) { Arg("--database"); Arg(GetUnresolvedProviderPathFromPSPath(Database)); }
        else Arg("--memory");
        Arg("--seed"); Arg(Seed.ToString(CultureInfo.InvariantCulture));
        if (Days > 0) { Arg("--days"); Arg(Days.ToString(CultureInfo.InvariantCulture)); }
        if (Records > 0) { Arg("--records"); Arg(Records.ToString(CultureInfo.InvariantCulture)); }
        if (Tenants > 0) { Arg("--tenants"); Arg(Tenants.ToString(CultureInfo.InvariantCulture)); }
        if (PageSize > 0) { Arg("--page-size"); Arg(PageSize.ToString(CultureInfo.InvariantCulture)); }
        if (!string.IsNullOrEmpty(Faults)) { Arg("--faults"); Arg(Faults); }
        if (Https) Arg("--https");
        WriteVerbose($"Starting {exe} {string.Join(" ", psi.ArgumentList)}");

        var log = new StringBuilder();
        void Collect(object _, DataReceivedEventArgs e)
        {
            if (e.Data == null) return;
            lock (log) { if (log.Length < 64 * 1024) log.AppendLine(e.Data); }
        }
        var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        process.OutputDataReceived += Collect;
        process.ErrorDataReceived += Collect;
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var deadline = Stopwatch.StartNew();
        string? json = null;
        while (deadline.Elapsed.TotalSeconds < TimeoutSec && !Stopping)
        {
            if (File.Exists(ready))
            {
                try
                {
                    var text = File.ReadAllText(ready);
                    using var _ = System.Text.Json.JsonDocument.Parse(text); // complete JSON, not a partial write
                    json = text;
                    break;
                }
                catch (Exception) { /* being written */ }
            }
            if (process.HasExited) break;
            Thread.Sleep(50);
        }
        if (json == null)
        {
            string tail;
            lock (log) tail = log.ToString();
            bool exited = process.HasExited;
            if (!exited) { try { process.Kill(true); } catch (Exception) { } }
            TryDelete(ready);
            if (Stopping) return;
            ThrowTerminatingError(new ErrorRecord(
                new InvalidOperationException((exited ? $"The emulator exited with code {process.ExitCode} before it was ready." : $"The emulator was not ready within {TimeoutSec} s.") +
                    (tail.Length > 0 ? " Its output:" + Environment.NewLine + tail : "")),
                "EmulatorStartFailed", ErrorCategory.OpenError, exe));
        }
        var emulator = AzsUsageEmulator.Parse(json!, process.Id, ready, process);
        emulator.TempFiles.Add(ready);
        lock (AzsUsageEmulator.Started) AzsUsageEmulator.Started.Add(emulator);
        WriteVerbose($"Emulator {process.Id} ready at {emulator.Endpoint} ({emulator.Records} records).");
        WriteObject(emulator);
    }

    internal static void TryDelete(string path)
    {
        try { if (File.Exists(path)) File.Delete(path); } catch (Exception) { }
    }
}

