using ReHome.Bench.Hosting;
using ReHome.Bench.Measure;

namespace ReHome.Bench.Scenarios;

/// <summary>What one server process costs while nothing happens.</summary>
public sealed record IdleProcess(string Name, double CpuPercentOfOneCore, double ContextSwitchesPerSecond, double AllocatedKbPerSecond);

public sealed record IdleResult(string Target, string Mode, double WarmupSeconds, double DurationSeconds, IReadOnlyList<IdleProcess> Processes);

/// <summary>
/// The cost of being up with nothing to do: no streams, no viewers, no producer. After a warm-up (start-up work and
/// JIT tiering settle), each server process's CPU, context switches (wake-ups) and allocation over the window.
/// The processes' own metrics endpoint is read only at the window's edges.
/// </summary>
internal static class IdleScenario
{
    public static async Task<IdleResult> Run(ITarget target, string mode, double warmup, double duration)
    {
        await Task.Delay(TimeSpan.FromSeconds(warmup));
        var processes = target.Processes.ToList();
        if (target is ReHomeTarget { Redis: { } redis })
        {
            processes.Add(redis);
        }

        var allocatedBefore = new Dictionary<string, long?>();
        foreach (var p in processes)
        {
            allocatedBefore[p.Name] = await GcProbe.AllocatedBytes(p);
        }

        var start = processes.ToDictionary(p => p.Name, p => (Cpu: ProcStats.CpuSeconds(p.Pid), Switches: ProcStats.ContextSwitches(p.Pid)));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await Task.Delay(TimeSpan.FromSeconds(duration));
        var end = processes.ToDictionary(p => p.Name, p => (Cpu: ProcStats.CpuSeconds(p.Pid), Switches: ProcStats.ContextSwitches(p.Pid)));
        var seconds = clock.Elapsed.TotalSeconds;

        var results = new List<IdleProcess>();
        foreach (var p in processes)
        {
            var allocated = await GcProbe.AllocatedBytes(p) - allocatedBefore[p.Name];
            results.Add(new IdleProcess(
                p.Name,
                Math.Round(100 * (end[p.Name].Cpu - start[p.Name].Cpu) / seconds, 2),
                Math.Round((end[p.Name].Switches - start[p.Name].Switches) / seconds, 1),
                allocated is { } bytes ? Math.Round(bytes / 1024.0 / seconds, 1) : double.NaN));
        }

        return new IdleResult(target.Name, mode, warmup, Math.Round(seconds, 1), results);
    }
}
