using System.Diagnostics;
using ReHome.Tests.Infrastructure;
using Xunit.Abstractions;

namespace ReHome.Tests.Faults;

[Collection(ProcessClusterCollection.Name)]
public sealed class SiloKillTests(ProcessClusterFixture fixture, ITestOutputHelper output)
{
    /// <summary>What a dead silo may cost a viewer: detection, reactivation and the producer's retry, with room for a loaded CI machine.</summary>
    private static readonly TimeSpan StallBudget = TimeSpan.FromSeconds(15);

    [SkippableFact]
    public async Task Kill_9_of_a_silo_mid_stream_loses_repeats_and_reorders_nothing()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        await fixture.EnsureHealthy();
        await using var load = await StreamLoad.Start(fixture, streams: 50, viewersPerStream: 2, tokensPerStream: 400);
        await load.WaitSent(100);

        // The silo that hosts the most of these streams dies without a word.
        var ids = load.StreamIds.ToArray();
        var hosts = await Task.WhenAll(ids.Select(id => fixture.SiloOf(fixture.Cluster.Client.GetGrain<IStreamGrain>(id))));
        var victim = hosts.OfType<ChildProcess>().GroupBy(p => p).MaxBy(g => g.Count())!;
        var onVictim = ids.Where((_, i) => hosts[i] == victim.Key).ToArray();
        var killedAt = Stopwatch.GetTimestamp();
        await victim.Key.Kill();

        try
        {
            await load.Finish(TimeSpan.FromSeconds(90));
        }
        catch (TimeoutException)
        {
            Assert.Fail($"Not every stream completed after the kill. {load.Summary()}{Environment.NewLine}{fixture.Tails()}");
        }

        await load.Verify();
        var (longest, _, _) = load.Stalls();
        FaultReport.Write(output, "silo kill -9", $"killed {victim.Key.Name} hosting {victim.Count()} of 50 streams; " +
            $"all done {Stopwatch.GetElapsedTime(killedAt).TotalSeconds:0.0} s after the kill; longest stall of its streams' viewers " +
            $"{load.LongestStall(onVictim).TotalMilliseconds:0} ms, of the others' {load.LongestStall(ids.Except(onVictim)).TotalMilliseconds:0} ms; {load.StallEnds(killedAt)}; {load.ProducerStalls(killedAt)}; {load.Summary()}");
        foreach (var line in load.WorstStalls(killedAt, 12))
        {
            output.WriteLine(line + (onVictim.Any(line.StartsWith) ? " (on the killed silo)" : ""));
        }

        Assert.True(longest < StallBudget, $"A viewer stalled {longest.TotalSeconds:0.0} s (budget {StallBudget.TotalSeconds} s). {load.Summary()}");
    }
}
