using ReHome.Bench.Hosting;
using ReHome.Bench.Measure;

namespace ReHome.Bench.Scenarios;

/// <summary>What one server process costs while nothing happens.</summary>
public sealed record IdleProcess(string Name, double CpuPercentOfOneCore, double ContextSwitchesPerSecond, double AllocatedKbPerSecond, double WorkItemsPerSecond);

public sealed record IdleResult(string Target, string Mode, double WarmupSeconds, double DurationSeconds, IReadOnlyList<IdleProcess> Processes);

/// <summary>
/// The cost of being up with nothing to do: no streams, no viewers, no producer. After a warm-up (start-up work and
/// JIT tiering settle), each server process's CPU, context switches (wake-ups) and allocation over the window.
/// The processes' own metrics endpoint is read only at the window's edges.
/// </summary>
internal static class IdleScenario
{
    /// <summary>
    /// Seconds before measuring. Code that runs once a second (timers, heartbeats) reaches the JIT's tier-up count
    /// only after about 30 calls, so a window that starts 30 s after start measures its recompilation: it was 68 % of
    /// an idle silo's samples. Two minutes in, the JIT is quiet and what is left is the steady idle cost.
    /// </summary>
    public const double DefaultWarmup = 120;

    public static async Task<IdleResult> Run(ITarget target, string mode, double warmup, double duration, Profiler profiler)
    {
        await Task.Delay(TimeSpan.FromSeconds(warmup));
        var processes = target.Processes.ToList();
        if (target is ReHomeTarget { Redis: { } redis })
        {
            processes.Add(redis);
        }

        var allocatedBefore = new Dictionary<string, long?>();
        var workItemsBefore = new Dictionary<string, long?>();
        foreach (var p in processes)
        {
            allocatedBefore[p.Name] = await GcProbe.AllocatedBytes(p);
            workItemsBefore[p.Name] = await GcProbe.WorkItems(p);
        }

        var start = processes.ToDictionary(p => p.Name, p => (Cpu: ProcStats.CpuSeconds(p.Pid), Switches: ProcStats.ContextSwitches(p.Pid)));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        profiler.Start(target, duration);
        await Task.Delay(TimeSpan.FromSeconds(duration));
        var end = processes.ToDictionary(p => p.Name, p => (Cpu: ProcStats.CpuSeconds(p.Pid), Switches: ProcStats.ContextSwitches(p.Pid)));
        var seconds = clock.Elapsed.TotalSeconds;

        var results = new List<IdleProcess>();
        foreach (var p in processes)
        {
            var allocated = await GcProbe.AllocatedBytes(p) - allocatedBefore[p.Name];
            var workItems = await GcProbe.WorkItems(p) - workItemsBefore[p.Name];
            results.Add(new IdleProcess(
                p.Name,
                Math.Round(100 * (end[p.Name].Cpu - start[p.Name].Cpu) / seconds, 2),
                Math.Round(ProcStats.ContextSwitchesBetween(start[p.Name].Switches, end[p.Name].Switches) / seconds, 1),
                allocated is { } bytes ? Math.Round(bytes / 1024.0 / seconds, 1) : double.NaN,
                workItems is { } items ? Math.Round(items / seconds, 1) : double.NaN));
        }

        await profiler.Finish();
        return new IdleResult(target.Name, mode, warmup, Math.Round(seconds, 1), results);
    }
}
