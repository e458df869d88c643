using System.Globalization;
using ReHome.Bench.Hosting;
using ReHome.Bench.Measure;
using ReHome.Bench.Report;

namespace ReHome.Bench.Scenarios;

/// <summary>
/// The edge-security scenarios (issue 8), run against ReHome only: <c>refused</c> (the cost of refused hub calls
/// from one connection, round after round) and <c>hostile</c> (a soak of hostile traffic and the gateway's heap).
/// Their results go to the JSON report and, as lines, to the Markdown one.
/// </summary>
internal static class EdgeScenarios
{
    public const string Names = "refused, hostile";

    public static bool Handles(string scenario) => scenario is "refused" or "hostile";

    public static void Prepare(string scenario, BenchOptions options, ScenarioSection section)
    {
        if (scenario == "refused")
        {
            foreach (var (key, value) in RefusedScenario.Env)
            {
                if (options.Env.TryAdd(key, value))
                {
                    section.Notes.Add($"{key} = {value}: the per-connection invocation quota is lifted, so the refusal path is measured rather than the rate limiter.");
                }
            }
        }
    }

    public static async Task<bool> Run(string scenario, ITarget target, ScenarioSection section, BenchOptions options, Jwt jwt, Profiler profiler, string tag)
    {
        switch (scenario)
        {
            case "refused":
                var rounds = await new RefusedScenario(jwt, profiler).Run(target, tag);
                section.Results.AddRange(rounds);
                foreach (var r in rounds)
                {
                    var line = string.Create(CultureInfo.InvariantCulture,
                        $"{r.Kind} round {r.Round}: {r.Calls:N0} calls in {r.Seconds} s, per call p50 {r.LatencyMs.P50} / p99 {r.LatencyMs.P99} / max {r.LatencyMs.Max} ms, " +
                        $"CPU gateway {r.GatewayCpuSeconds} s silo {r.SiloCpuSeconds} s, heap after gateway {r.GatewayHeapAfterBytes / 1048576.0:F1} MB silo {r.SiloHeapAfterBytes / 1048576.0:F1} MB, " +
                        $"Redis keys {r.RedisKeysAfter?.ToString(CultureInfo.InvariantCulture) ?? "–"}, answer '{r.FirstAnswer}', accepted {r.Unrefused}");
                    section.Notes.Add(line);
                    Console.WriteLine("   " + line);
                }

                return rounds.All(r => r.Unrefused == 0);
            default:
                throw new ArgumentException($"Unknown scenario {scenario}.");
        }
    }
}
