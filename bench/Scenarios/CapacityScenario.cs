using ReHome.Bench.Hosting;
using ReHome.Bench.Measure;

namespace ReHome.Bench.Scenarios;

/// <summary>One step of the capacity search: a live run at one offered load.</summary>
public sealed record CapacityStep(int Streams, double OfferedPerSecond, double DeliveredPerSecond, Percentiles DelayMs, bool Clean, double ServerCpuPercent, bool Passed);

/// <summary>The highest offered load that met the latency target with nothing lost, and every step tried.</summary>
public sealed record CapacityResult(string Target, double RatePerStream, double TargetP99Ms, int CapacityStreams, double CapacityTokensPerSecond, IReadOnlyList<CapacityStep> Steps, bool WarmupClean);

/// <summary>
/// Steps the offered load up (streams × rate, one viewer each) on one running system and finds the highest load at
/// which delay p99 stays within the target and every token arrives once, in order, intact. The search stops after two
/// failing steps in a row, so one noisy step does not end it; the highest step that passed below that is then refined
/// by halving the interval to the failed step above it, down to <see cref="Resolution"/> streams.
/// </summary>
internal sealed class CapacityScenario(BenchOptions options, Jwt jwt)
{
    public const double TargetP99Ms = 50;

    /// <summary>
    /// Steps of 100 streams from 400 up, where both systems' figures lie, so the ratio of two capacities is resolved to
    /// within 12–25 % (it was 33 % between 600 and 800, too coarse for a 0.8× goal).
    /// </summary>
    private static readonly int[] DefaultSteps = [25, 50, 100, 150, 200, 250, 300, 350, 400, 500, 600, 700, 800, 900, 1000, 1200];

    /// <summary>
    /// The refined capacity is within this many streams (1,250 tokens/s at 50 per stream): steps of 100 alone left
    /// the ratio of two capacities at 600–800 streams to within 12–17 %, wider than the margin a 0.8× goal is judged by.
    /// </summary>
    private const int Resolution = 25;

    /// <summary>
    /// Streams run before the search and not measured, so that its steps measure a running system, not one compiling its
    /// code: fresh processes' tiered JIT took ReHome's server to 161 % of a core at the first step (1,250 tokens/s),
    /// 132–138 % at the next two and 109–114 % from the fourth on (bench/README, *Capacity from a warm start*).
    /// </summary>
    public const int WarmupStreams = 100;

    /// <summary>How long <see cref="WarmupStreams"/> run, at the steps' rate (so that they run the code the steps will).</summary>
    public const int WarmupSeconds = 40;

    public async Task<CapacityResult> Run(ITarget target, string tag)
    {
        var rate = options.Rate ?? 50;
        var steps = options.Streams is { } max ? DefaultSteps.Where(s => s < max).Append(max).ToArray() : DefaultSteps;
        var noProfile = new Profiler(new HashSet<string>(), options.Profiler, options.Output);
        var warmup = new LiveSpec("capacity warm-up", WarmupStreams, rate, 1, 0, WarmupSeconds);
        var warm = await new LiveScenario(options, jwt, noProfile).Run(target, warmup, $"{tag}w");
        Console.WriteLine($"   {target.Name}: warm-up {warmup.Streams} streams × {rate}/s for {warmup.Duration} s, not measured: p99 {warm.DelayMs.P99} ms, clean {warm.Clean}");
        var results = new List<CapacityStep>();
        var capacity = 0;
        var failuresInARow = 0;
        foreach (var streams in steps)
        {
            if (await Step(streams))
            {
                capacity = streams;
                failuresInARow = 0;
            }
            else if (++failuresInARow == 2)
            {
                break;
            }
        }

        var failedAbove = results.Where(s => s.Streams > capacity && !s.Passed).Select(s => s.Streams).DefaultIfEmpty(0).Min();
        while (capacity > 0 && failedAbove - capacity > Resolution)
        {
            var middle = capacity + Math.Max(Resolution, (failedAbove - capacity) / 2 / Resolution * Resolution);
            if (await Step(middle))
            {
                capacity = middle;
            }
            else
            {
                failedAbove = middle;
            }
        }

        return new CapacityResult(target.Name, rate, TargetP99Ms, capacity, capacity * rate, results, warm.Clean);

        async Task<bool> Step(int streams)
        {
            var spec = new LiveSpec("capacity", streams, rate, 1, options.Warmup ?? 3, options.Duration ?? 10);
            var live = await new LiveScenario(options, jwt, noProfile).Run(target, spec, $"{tag}c{streams}");
            var serverCpu = live.Processes.Where(p => !p.Name.StartsWith("bench", StringComparison.Ordinal) && !p.Name.StartsWith("machine", StringComparison.Ordinal))
                .Sum(p => p.CpuPercentOfOneCore);
            var passed = live.Clean && live.DelayMs.P99 <= TargetP99Ms && live.DeliveredPerSecond >= 0.95 * live.ExpectedDeliveredPerSecond;
            results.Add(new CapacityStep(streams, live.OfferedPerSecond, live.DeliveredPerSecond, live.DelayMs, live.Clean, Math.Round(serverCpu, 1), passed));
            Console.WriteLine($"   {target.Name}: {streams} streams ({live.OfferedPerSecond}/s): p50 {live.DelayMs.P50} ms, p99 {live.DelayMs.P99} ms, " +
                $"clean {live.Clean}, server CPU {serverCpu:0.#} % -> {(passed ? "pass" : "fail")}");
            return passed;
        }
    }
}
