using System.Diagnostics;
using Xunit.Abstractions;

namespace ReHome.Tests.Faults;

/// <summary>
/// The co-hosted topology as processes: a redis-server and three gateways that are each also a silo of the cluster
/// (<c>Gateway__HostSilo=true</c>), so that every node serves viewers and hosts grains.
/// </summary>
public sealed class CoHostedClusterFixture() : ProcessClusterFixture(silos: 0, gateways: 3, coHosted: true);

/// <summary>Alone, after the other tests, like <see cref="ProcessClusterCollection"/>.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class CoHostedClusterCollection : ICollectionFixture<CoHostedClusterFixture>
{
    public const string Name = "co-hosted cluster";
}

[Collection(CoHostedClusterCollection.Name)]
public sealed class CoHostedNodeTests(CoHostedClusterFixture fixture, ITestOutputHelper output)
{
    /// <summary>
    /// What the node's death may cost a viewer after it is declared dead: reconnecting to another node, and for streams
    /// that were on the node, the producer's resend and the gateways' fast failover probes, which about 0.4 s covers.
    /// Tighter than a silo kill's budget (<see cref="SiloKillTests"/>) because it checks that the surviving nodes hear
    /// of the death from membership (<c>SiloMembershipWatcher</c>): without that, they waited for their 2 s silent-stream
    /// probe, and viewers stalled 1.8–1.9 s past detection.
    /// </summary>
    private static readonly TimeSpan StallAfterDetectionBudget = TimeSpan.FromSeconds(1.5);

    [SkippableFact]
    public async Task Kill_9_of_a_node_mid_stream_moves_its_viewers_and_streams_and_loses_repeats_and_reorders_nothing()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        await fixture.EnsureHealthy();
        using var resent = new ResentTokens(fixture.Cluster.Client.ServiceProvider);
        await using var load = await StreamLoad.Start(fixture, streams: 30, viewersPerStream: 2, tokensPerStream: 400);
        await load.WaitSent(100);

        // The node that hosts the most of these streams dies without a word, and with it its viewers' connections.
        var (victim, onVictim) = await fixture.SiloHostingMost(load.StreamIds);
        var victimUrl = fixture.GatewayUrls[fixture.Gateways.ToList().IndexOf(victim)];
        var moved = load.Viewers.Where(v => v.Gateway == victimUrl).ToArray();
        var (killedAt, detection) = await load.KillAndFinish(victim);
        Assert.NotEmpty(onVictim);
        Assert.NotEmpty(moved);
        Assert.All(moved, v =>
        {
            Assert.True(v.Stats.Reconnects >= 1, "a viewer of the killed node reconnected");
            Assert.NotEqual(victimUrl, v.Gateway);
        });

        var (longest, _, _) = load.Stalls();
        FaultReport.Write(output, "co-hosted node kill -9", $"killed {victim.Name} hosting {onVictim.Count} of 30 streams and " +
            $"{moved.Length} of {load.Viewers.Count()} viewers; declared dead {detection.TotalSeconds:0.00} s after the kill; " +
            $"viewers' longest stall {longest.TotalMilliseconds:0} ms; {load.StallEnds(killedAt)}; {resent.Count} tokens resent; {load.Summary()}");
        foreach (var line in load.WorstStalls(killedAt, 8))
        {
            output.WriteLine(line + (onVictim.Any(line.StartsWith) ? " (on the killed node)" : ""));
        }

        Assert.True(longest < detection + StallAfterDetectionBudget,
            $"A viewer stalled {longest.TotalSeconds:0.0} s, {(longest - detection).TotalSeconds:0.0} s more than detection took " +
            $"(budget {StallAfterDetectionBudget.TotalSeconds} s). {load.Summary()}");
    }

    [SkippableFact]
    public async Task A_node_restarted_with_SIGTERM_mid_stream_hands_over_its_viewers_and_streams_with_no_gap()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        await fixture.EnsureHealthy();
        // 15 s of tokens: the node stops, starts again and takes its share of the work back while they flow.
        await using var load = await StreamLoad.Start(fixture, streams: 20, viewersPerStream: 2, tokensPerStream: 750);
        await load.WaitSent(75);

        var (leaving, onLeaving) = await fixture.SiloHostingMost(load.StreamIds);
        var leavingUrl = fixture.GatewayUrls[fixture.Gateways.ToList().IndexOf(leaving)];
        var moved = load.Viewers.Where(v => v.Gateway == leavingUrl).ToArray();
        var stayed = load.Viewers.Except(moved).ToArray();
        var stoppedAt = Stopwatch.GetTimestamp();
        var (stopTook, backTook) = await fixture.Restart(leaving);
        await load.Finish(TimeSpan.FromSeconds(60));

        await load.Verify();
        Assert.NotEmpty(moved);
        Assert.All(moved, v => Assert.True(v.Stats.Reconnects >= 1, "a viewer of the stopped node reconnected"));
        // The other nodes fill whatever the leaving node's relays held before they forward: their viewers never see a jump.
        Assert.All(stayed, v => Assert.Equal(0, v.Stats.Jumps));
        Assert.All(stayed, v => Assert.Equal(0, v.Stats.Duplicates));

        var (longest, _, _) = load.Stalls();
        FaultReport.Write(output, "co-hosted node SIGTERM + restart", $"stopped {leaving.Name} hosting {onLeaving.Count} of 20 streams " +
            $"and {moved.Length} of {load.Viewers.Count()} viewers; it exited in {stopTook.TotalSeconds:0.0} s and was active again " +
            $"{backTook.TotalSeconds:0.0} s after the SIGTERM; {load.StallEnds(stoppedAt)}; {load.ProducerStalls(stoppedAt)}; {load.Summary()}");
        Assert.True(longest < TimeSpan.FromSeconds(10), $"A viewer stalled {longest.TotalSeconds:0.0} s. {load.Summary()}");
    }

    /// <summary>A rolling upgrade of co-hosted nodes: each node's viewers and grains move to the other two, and back.</summary>
    [SkippableFact]
    public async Task Restarting_every_node_one_at_a_time_under_load_loses_repeats_and_reorders_nothing()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        await RollingRestart.Run(fixture, fixture.Gateways, output, "co-hosted rolling restart");
    }
}
