using ReHome.Bench.Hosting;
using ReHome.Bench.Measure;

namespace ReHome.Bench.Scenarios;

/// <summary>What one server process costs while nothing happens.</summary>
public sealed record IdleProcess(string Name, double CpuPercentOfOneCore, double ContextSwitchesPerSecond, double AllocatedKbPerSecond, double WorkItemsPerSecond);

public sealed record IdleResult(string Target, string Mode, double WarmupSeconds, double DurationSeconds, IReadOnlyList<IdleProcess> Processes);

/// <summary>
/// The cost of being up with nothing to do: no streams, no viewers, no producer. After a warm-up (start-up work and
/// JIT tiering settle), each server process's CPU and context switches (wake-ups) over the window, and its
/// allocation and thread-pool work items from two reads of its /metrics around it.
/// </summary>
internal static class IdleScenario
{
    /// <summary>
    /// Seconds before measuring: an idle process's steady state, not its start-up. Code that runs periodically reaches
    /// the JIT's tier-up count only after about 30 calls: 30 s for once-a-second code (at 30 s its recompilation was
    /// 68 % of an idle silo's samples), 150 s for the dashboard's 5 s sampling. At two minutes, the warm-up before this
    /// one, the tiered-compilation thread still had 19 % of an idle embedded gateway's samples, and such a gateway
    /// measured about 0.1 % of a core less from its fifth minute on (bench/README, *An idle process over its first ten
    /// minutes*).
    /// </summary>
    public const double DefaultWarmup = 300;

    /// <summary>
    /// Seconds between the read of a process's /metrics that opens the counters and the CPU window. A scrape of ReHome's
    /// OpenTelemetry exporter costs an idle process 100–200 ms of CPU in the seconds after it, as the runtime compiles the
    /// exporter's code again at a higher tier in the background (an idle silo read in 10 s windows: 70–80 ms each, 180
    /// and 270 ms in the windows that began with a scrape, normal again in the next). Inside the window that would be
    /// 0.3–0.6 % of a core, the scraper's cost and not the process's (the baseline's hand-written /metrics, about 0.2 %).
    /// </summary>
    public const double ScrapeSettleSeconds = 10;

    public static async Task<IdleResult> Run(ITarget target, string mode, double warmup, double duration, Profiler profiler)
    {
        await Task.Delay(TimeSpan.FromSeconds(warmup));
        var processes = target.Processes.ToList();
        if (target is ReHomeTarget { Redis: { } redis })
        {
            processes.Add(redis);
        }

        var countersBefore = new Dictionary<string, IReadOnlyDictionary<string, long>>();
        foreach (var p in processes)
        {
            countersBefore[p.Name] = await MetricsScrape.Totals(p, AllocatedBytes, WorkItems);
        }

        var counters = System.Diagnostics.Stopwatch.StartNew();
        await Task.Delay(TimeSpan.FromSeconds(ScrapeSettleSeconds));
        var start = processes.ToDictionary(p => p.Name, p => (Cpu: ProcStats.CpuSeconds(p.Pid), Switches: ProcStats.ContextSwitches(p.Pid)));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        profiler.Start(target, duration);
        await Task.Delay(TimeSpan.FromSeconds(duration));
        var end = processes.ToDictionary(p => p.Name, p => (Cpu: ProcStats.CpuSeconds(p.Pid), Switches: ProcStats.ContextSwitches(p.Pid)));
        var seconds = clock.Elapsed.TotalSeconds;

        var results = new List<IdleProcess>();
        foreach (var p in processes)
        {
            var after = await MetricsScrape.Totals(p, AllocatedBytes, WorkItems);
            var counterSeconds = counters.Elapsed.TotalSeconds;
            double PerSecond(string metric, double unit) =>
                countersBefore[p.Name].TryGetValue(metric, out var before) && after.TryGetValue(metric, out var now)
                    ? Math.Round((now - before) / unit / counterSeconds, 1)
                    : double.NaN;

            results.Add(new IdleProcess(
                p.Name,
                Math.Round(100 * (end[p.Name].Cpu - start[p.Name].Cpu) / seconds, 2),
                Math.Round(ProcStats.ContextSwitchesBetween(start[p.Name].Switches, end[p.Name].Switches) / seconds, 1),
                PerSecond(AllocatedBytes, 1024.0),
                PerSecond(WorkItems, 1)));
        }

        await profiler.Finish();
        return new IdleResult(target.Name, mode, warmup, Math.Round(seconds, 1), results);
    }

    private const string AllocatedBytes = GcProbe.AllocatedBytesMetric;

    /// <summary>Thread-pool work items run since start. When idle, each is a wake-up: a worker taken from its sleep.</summary>
    private const string WorkItems = "dotnet_thread_pool_work_item_count_total";
}
