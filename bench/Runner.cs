using System.Globalization;
using ReHome.Bench.Hosting;
using ReHome.Bench.Measure;
using ReHome.Bench.Report;
using ReHome.Bench.Scenarios;

namespace ReHome.Bench;

/// <summary>
/// Runs the chosen scenarios, each first against ReHome and then against the baseline, on the same load, with
/// only one system's processes alive at a time; writes the JSON and Markdown report.
/// </summary>
internal sealed class Runner(BenchOptions options, string commandLine)
{
    private static readonly string[] All = ["idle", "light", "capacity", "fanout", "seed", "connections", "streams", "append"];

    public async Task<int> Run()
    {
        var stamp = DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
        var dir = Path.Combine(options.Output, $"{stamp}-{options.Scenario}");
        Directory.CreateDirectory(dir);
        var ports = new Ports(options.PortRange.From, options.PortRange.To);
        var jwt = new Jwt(Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(48)));
        var profiler = new Profiler(options.Profile, options.Profiler, dir);
        foreach (var (key, value) in profiler.Env)
        {
            options.Env.TryAdd(key, value);
        }

        var report = new BenchReport
        {
            Command = "dotnet run -c Release --project bench -- " + commandLine,
            Date = DateTimeOffset.UtcNow,
            Machine = MachineInfo.Read(),
            Settings = Settings(),
        };
        if (report.Machine.Loopback.WindowCanFallBelowSegment)
        {
            Console.Error.WriteLine($"warning: {report.Machine.Loopback}.");
        }

        var scenarios = options.Scenario == "all" ? All : [options.Scenario];
        var clean = true;
        foreach (var scenario in scenarios)
        {
            var section = new ScenarioSection(scenario);
            report.Scenarios.Add(section);
            Console.WriteLine($"== {scenario}");
            try
            {
                clean &= await RunScenario(scenario, section, ports, jwt, profiler, Path.Combine(dir, "logs"));
            }
            catch (Exception ex)
            {
                section.Notes.Add($"FAILED: {ex.GetType().Name}: {ex.Message}");
                Console.Error.WriteLine(ex);
                clean = false;
            }

            await File.WriteAllTextAsync(Path.Combine(dir, "report.json"), report.ToJson());
            await File.WriteAllTextAsync(Path.Combine(dir, "report.md"), Markdown.Render(report));
        }

        Console.WriteLine();
        Console.WriteLine(Markdown.Render(report));
        Console.WriteLine($"Report: {Path.Combine(dir, "report.md")} and report.json");
        if (options.Check || options.Scenario == "ci")
        {
            Console.WriteLine(clean
                ? "bench check: every viewer got every token once, in order, with the sent text."
                : "bench check FAILED: tokens were lost, duplicated, reordered or refused; see the report.");
            return clean ? 0 : 1;
        }

        return 0;
    }

    private async Task<bool> RunScenario(string scenario, ScenarioSection section, Ports ports, Jwt jwt, Profiler profiler, string logs)
    {
        var clean = true;
        var tag = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(3));
        var withBaseline = options.Baseline && scenario is not ("ci" or "append" or "slow") && !EdgeScenarios.Handles(scenario);
        EdgeScenarios.Prepare(scenario, options, section);
        if (scenario == "append")
        {
            // The raw cost of an append, not the per-stream rate limit (2,000 tokens/s by default).
            options.Env.TryAdd("Streams__MaxTokensPerSecond", "1000000");
            options.Env.TryAdd("Streams__TokenBurst", "10000000");
            section.Notes.Add("Per-stream rate limit lifted for this scenario (Streams__MaxTokensPerSecond = 1e6, Streams__TokenBurst = 1e7).");
        }

        var targets = new List<Func<Task<ITarget>>>();
        if (options.RunReHome)
        {
            targets.Add(async () => await ReHomeTarget.Start(options, ports, jwt, logs));
            if (scenario == "idle")
            {
                // Idle cost is a goal for silos and for embedded gateways alike: measure the other mode too.
                var other = options.Mode == ReHomeMode.Embedded ? ReHomeMode.Cluster : ReHomeMode.Embedded;
                targets.Add(async () => await ReHomeTarget.Start(options, ports, jwt, logs, other));
            }
        }

        if (withBaseline)
        {
            targets.Add(async () => await BaselineTarget.Start(options, ports, jwt, logs));
        }

        foreach (var start in targets)
        {
            await using var target = await start();
            Console.WriteLine($"   {target.Name}: {string.Join(", ", target.Processes.Select(p => $"{p.Name} pid {p.Pid}"))}");
            switch (scenario)
            {
                case "light" or "seed" or "fanout" or "ci":
                    var spec = LiveSpec.For(scenario, options);
                    var live = await new LiveScenario(options, jwt, profiler).Run(target, spec, tag);
                    await profiler.Finish();
                    section.Results.Add(live);
                    clean &= live.Clean;
                    Console.WriteLine($"   {target.Name}: delivered {live.DeliveredPerSecond}/s of {live.ExpectedDeliveredPerSecond}/s, p50 {live.DelayMs.P50} ms, p99 {live.DelayMs.P99} ms, " +
                        $"lost {live.Lost}, dup {live.Duplicated}, ooo {live.OutOfOrder}, corrupted {live.Corrupted}, done missing {live.DoneMissing}, producer failures {live.ProducerFailures}");
                    break;
                case "slow":
                    var slow = await new SlowScenario(options, jwt, profiler).Run(target, tag);
                    section.Results.Add(slow);
                    clean &= slow.Without.Clean && slow.With.Clean;
                    Console.WriteLine($"   {target.Name}: other viewers' p50 / p99 {slow.Without.DelayMs.P50} / {slow.Without.DelayMs.P99} ms without stalled viewers, " +
                        $"{slow.With.DelayMs.P50} / {slow.With.DelayMs.P99} ms with one per thread ({slow.StalledConnections} stalls)");
                    break;
                case "idle":
                    var mode = target is ReHomeTarget rehome ? rehome.Mode.ToString().ToLowerInvariant() : "baseline";
                    var idle = await IdleScenario.Run(target, mode, options.Warmup ?? IdleScenario.DefaultWarmup, options.Duration ?? 30, profiler);
                    section.Results.Add(idle);
                    Console.WriteLine($"   {target.Name} ({mode}): " + string.Join(", ", idle.Processes.Select(p =>
                        $"{p.Name} {p.CpuPercentOfOneCore} % CPU, {p.ContextSwitchesPerSecond} switches/s, {p.AllocatedKbPerSecond} KB/s, {p.WorkItemsPerSecond} work items/s")));
                    break;
                case "capacity":
                    var capacity = await new CapacityScenario(options, jwt).Run(target, tag);
                    section.Results.Add(capacity);
                    clean &= capacity.WarmupClean && capacity.Steps.All(s => s.Clean);
                    Console.WriteLine($"   {target.Name}: capacity {capacity.CapacityTokensPerSecond} tokens/s ({capacity.CapacityStreams} streams) at p99 <= {capacity.TargetP99Ms} ms");
                    break;
                case "connections":
                    var connections = await new ConnectionsScenario(options, jwt, profiler.Directory).Run(target, options.Connections ?? 10_000, tag);
                    section.Results.Add(connections);
                    Console.WriteLine($"   {target.Name}: {connections.Connected} connected, {connections.HeapBytesPerConnection} heap bytes ({connections.LiveBytesPerConnection} live) and {connections.RssBytesPerConnection} RSS bytes each");
                    break;
                case "streams":
                    var streams = await new StreamsScenario(options, profiler.Directory).Run(target, options.Streams ?? 10_000, options.TokensPerStream ?? 100, tag);
                    section.Results.Add(streams);
                    Console.WriteLine($"   {target.Name}: {streams.HeapBytesPerStream} heap bytes per stream ({streams.HeapBytesPerStreamExcludingText} without text, {streams.LiveBytesPerStreamExcludingText} live without text), {streams.RssBytesPerStream} RSS bytes");
                    break;
                case "append":
                    var cases = await new AppendScenario(options.Duration ?? 5).Run((ReHomeTarget)target, tag);
                    section.Results.AddRange(cases);
                    foreach (var c in cases)
                    {
                        Console.WriteLine($"   {c.Case}: {c.CallsPerSecond} calls/s, p50 {c.LatencyMs.P50} ms, p99 {c.LatencyMs.P99} ms, failures {c.Failures}");
                    }

                    break;
                case var edge when EdgeScenarios.Handles(edge):
                    clean &= await EdgeScenarios.Run(edge, target, section, options, jwt, profiler, tag);
                    break;
                default:
                    throw new ArgumentException($"Unknown scenario {scenario}: light, seed, fanout, slow, idle, capacity, connections, streams, append, ci, {EdgeScenarios.Names} or all.");
            }

            foreach (var process in target.Processes.Where(p => !p.IsRunning))
            {
                section.Notes.Add($"{target.Name}: {process.Name} exited during the run; see logs/{process.Name}.log.");
                clean = false;
            }
        }

        return clean;
    }

    private Dictionary<string, string> Settings()
    {
        var settings = new Dictionary<string, string>
        {
            ["mode"] = options.ModeName,
            ["producer"] = options.ProducerName,
            ["client"] = options.ClientName,
            ["protocol"] = options.ProtocolName,
        };
        if (options.Silos > 1)
        {
            settings["silos"] = options.Silos.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        if (options.Label is not null)
        {
            settings["label"] = options.Label;
        }

        foreach (var (key, value) in options.Env)
        {
            settings[key] = value;
        }

        return settings;
    }
}
