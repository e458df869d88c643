using System.Globalization;
using ReHome.Bench.Hosting;
using ReHome.Bench.Measure;
using ReHome.Bench.Report;

namespace ReHome.Bench.Scenarios;

/// <summary>
/// The edge-security scenarios (issue 8), run against ReHome only: <c>refused</c> (the cost of refused hub calls
/// from one connection, round after round) and <c>hostile</c> (a 60 s soak of hostile traffic and the gateway's heap).
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
                var rounds = await new RefusedScenario(options, jwt, profiler).Run(target, tag);
                section.Results.AddRange(rounds);
                foreach (var r in rounds)
                {
                    var line = string.Create(CultureInfo.InvariantCulture,
                        $"{r.Kind} round {r.Round}: {r.Calls:N0} calls in {r.Seconds} s, per call p50 {r.LatencyMs.P50} / p99 {r.LatencyMs.P99} / max {r.LatencyMs.Max} ms, " +
                        $"CPU gateway {r.GatewayCpuSeconds} s silo {r.SiloCpuSeconds} s, heap after gateway {r.GatewayHeapAfterBytes / 1048576.0:F1} MB silo {r.SiloHeapAfterBytes / 1048576.0:F1} MB, " +
                        $"Redis keys {r.RedisKeysAfter?.ToString(CultureInfo.InvariantCulture) ?? "–"}, answers {string.Join(", ", r.Answers.Select(a => $"{a.Key} {a.Value:N0}"))}");
                    section.Notes.Add(line);
                    Console.WriteLine("   " + line);
                }

                return rounds.All(r => r.Unrefused == 0 && r.Answers.Count == 1);
            case "hostile":
                var soak = await new HostileScenario(options, jwt).Run(target, tag);
                section.Results.Add(soak);
                var lines = new List<string>
                {
                    string.Create(CultureInfo.InvariantCulture,
                        $"gateway live heap after a full GC: {soak.HeapBeforeBytes / 1048576.0:F1} MB after a {soak.WarmupSeconds} s warm-up, {soak.HeapAfterBytes / 1048576.0:F1} MB after the {soak.SoakSeconds} s soak ({soak.HeapChangePercent:+0.0;-0.0} %, {(soak.WithinTenPercent ? "within" : "NOT within")} 10 %); fresh process {soak.HeapFreshBytes / 1048576.0:F1} MB; each reading after {soak.SettleSeconds} s quiet"),
                    string.Create(CultureInfo.InvariantCulture, $"gateway CPU during the soak {soak.GatewayCpuPercent} % of one core, peak RSS {soak.PeakRssBytes / 1048576.0:F0} MB"),
                    $"honest viewer: {soak.HonestViewerDetail}",
                    "answers: " + string.Join(", ", soak.Outcomes.Select(kv => $"{kv.Key} {kv.Value:N0}")),
                };
                foreach (var line in lines)
                {
                    section.Notes.Add(line);
                    Console.WriteLine("   " + line);
                }

                return soak.WithinTenPercent && soak.HonestViewerComplete;
            default:
                throw new ArgumentException($"Unknown scenario {scenario}.");
        }
    }
}
