using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Management.Automation;

namespace AzsUsage.Commands;

/// <summary>Stops emulators started by Start-AzsUsageEmulator (all of them when none is given).</summary>
[Cmdlet(VerbsLifecycle.Stop, "AzsUsageEmulator")]
[OutputType(typeof(void))]
public sealed class StopAzsUsageEmulatorCommand : PSCmdlet
{
    /// <summary>The emulator(s) to stop, as returned by Start-AzsUsageEmulator.</summary>
    [Parameter(Position = 0, ValueFromPipeline = true)]
    public AzsUsageEmulator[]? InputObject { get; set; }

    private readonly List<AzsUsageEmulator> _targets = new();

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        if (InputObject != null) _targets.AddRange(InputObject);
    }

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        List<AzsUsageEmulator> targets;
        if (_targets.Count > 0) targets = _targets;
        else lock (AzsUsageEmulator.Started) targets = new List<AzsUsageEmulator>(AzsUsageEmulator.Started);
        foreach (var e in targets)
        {
            try
            {
                var p = e.Process ?? Process.GetProcessById(e.ProcessId);
                if (!p.HasExited)
                {
                    p.Kill(true);
                    p.WaitForExit(10000);
                }
                WriteVerbose($"Stopped emulator {e.ProcessId} at {e.Endpoint}.");
            }
            catch (ArgumentException) { WriteVerbose($"Emulator {e.ProcessId} is not running."); }
            catch (InvalidOperationException) { WriteVerbose($"Emulator {e.ProcessId} is not running."); }
            foreach (var f in e.TempFiles) StartAzsUsageEmulatorCommand.TryDelete(f);
            lock (AzsUsageEmulator.Started) AzsUsageEmulator.Started.Remove(e);
        }
    }
}
