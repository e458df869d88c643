using System.Diagnostics;
using Xunit.Abstractions;

namespace ReHome.Tests.Faults;

[Collection(ProcessClusterCollection.Name)]
public sealed class GatewayKillTests(ProcessClusterFixture fixture, ITestOutputHelper output)
{
    [SkippableFact]
    public async Task Viewers_of_a_killed_gateway_resume_on_the_other_with_no_gap_and_no_duplicate()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        await fixture.EnsureHealthy();
        // Viewer 0 of every stream starts on gateway 1, viewer 1 on gateway 2, which stays up throughout.
        await using var load = await StreamLoad.Start(fixture, streams: 10, viewersPerStream: 2, tokensPerStream: 250, gatewayOf: (_, v) => v);
        var doomed = load.Viewers.Where(v => v.Gateway == fixture.GatewayUrls[0]).ToArray();
        var survivors = load.Viewers.Except(doomed).ToArray();
        await load.WaitSent(75);

        var killedAt = Stopwatch.GetTimestamp();
        await fixture.Gateways[0].Kill();
        await load.Finish(TimeSpan.FromSeconds(60));

        await load.Verify();
        Assert.All(doomed, v =>
        {
            Assert.True(v.Stats.Reconnects >= 1, "a viewer of the killed gateway reconnected");
            Assert.Equal(fixture.GatewayUrls[1], v.Gateway);
        });
        Assert.All(survivors, v => Assert.Equal(0, v.Stats.Reconnects));

        var (longest, _, _) = load.Stalls();
        FaultReport.Write(output, "gateway kill -9", $"killed {fixture.Gateways[0].Name} under {doomed.Length} of {doomed.Length + survivors.Length} viewers; " +
            $"all resumed on {fixture.GatewayUrls[1]}; {load.StallEnds(killedAt)}; {load.Summary()}");
        foreach (var line in load.WorstStalls(killedAt, 8))
        {
            output.WriteLine(line);
        }

        Assert.True(longest < TimeSpan.FromSeconds(10), $"A viewer stalled {longest.TotalSeconds:0.0} s. {load.Summary()}");
    }
}
