using System.Diagnostics;
using Xunit.Abstractions;

namespace ReHome.Tests.Faults;

/// <summary>
/// A rolling upgrade, as an operator or Kubernetes does it: each silo in turn gets SIGTERM, starts again and is
/// ready before the next, then each gateway likewise, all while 50 models stream to 2 viewers each.
/// </summary>
[Collection(ProcessClusterCollection.Name)]
public sealed class RollingUpgradeTests(ProcessClusterFixture fixture, ITestOutputHelper output)
{
    [SkippableFact]
    public async Task Restarting_every_silo_then_every_gateway_one_at_a_time_under_load_loses_repeats_and_reorders_nothing()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        await RollingRestart.Run(fixture, [.. fixture.Silos, .. fixture.Gateways], output, "rolling restart");
    }
}

/// <summary>
/// Restarts the given processes one at a time with SIGTERM, each ready again before the next, while 50 models stream
/// to 2 viewers each; then checks every viewer's text and the longest stall. Shared by the split and co-hosted
/// clusters.
/// </summary>
internal static class RollingRestart
{
    /// <summary>
    /// 80 s of tokens at 50/s; the roll takes 20–30 s on a quiet machine. On a starved one it can outlast the
    /// streams (at a load average of 85 a silo took 98 s to be ready again): fault-report.txt says how many of the
    /// restarts began while tokens flowed.
    /// </summary>
    private const int TokensPerStream = 4000;

    public static async Task Run(ProcessClusterFixture fixture, IReadOnlyList<ChildProcess> processes, ITestOutputHelper output, string reportName)
    {
        await fixture.EnsureHealthy();
        await using var load = await StreamLoad.Start(fixture, streams: 50, viewersPerStream: 2, tokensPerStream: TokensPerStream);
        await load.WaitSent(100);

        var began = Stopwatch.GetTimestamp();
        var steps = new List<string>();
        var underLoad = new List<string>();
        foreach (var process in processes)
        {
            if (load.Sent < TokensPerStream)
            {
                underLoad.Add(process.Name);
            }

            var (exited, ready) = await fixture.Restart(process);
            steps.Add($"{process.Name} exited in {exited.TotalSeconds:0.0} s, ready again {ready.TotalSeconds:0.0} s after its SIGTERM");
        }

        var rollTook = Stopwatch.GetElapsedTime(began);
        try
        {
            await load.Finish(TimeSpan.FromSeconds(120));
        }
        catch (TimeoutException ex)
        {
            Assert.Fail($"Not every stream completed after the roll. {load.Summary()}{Environment.NewLine}{ex.Message}{Environment.NewLine}{fixture.Tails()}");
        }

        await load.Verify();
        var (longest, _, _) = load.Stalls();
        FaultReport.Write(output, reportName, $"restarted {steps.Count} processes one at a time in {rollTook.TotalSeconds:0.0} s " +
            $"({underLoad.Count} of {steps.Count} began while the streams flowed): {string.Join("; ", steps)}; " +
            $"{load.StallEnds(began)}; {load.ProducerStalls(began)}; {load.Summary()}");
        foreach (var line in load.WorstStalls(began, 10))
        {
            output.WriteLine(line);
        }

        // The first restart always begins mid-stream; the report line says how many more did.
        Assert.Contains(processes[0].Name, underLoad);
        Assert.True(longest < TimeSpan.FromSeconds(15), $"A viewer stalled {longest.TotalSeconds:0.0} s. {load.Summary()}");
    }
}
