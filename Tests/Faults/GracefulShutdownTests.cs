using System.Diagnostics;
using Xunit.Abstractions;

namespace ReHome.Tests.Faults;

[Collection(ProcessClusterCollection.Name)]
public sealed class GracefulShutdownTests(ProcessClusterFixture fixture, ITestOutputHelper output)
{
    [SkippableFact]
    public async Task A_silo_restarted_with_SIGTERM_mid_stream_as_in_a_rolling_upgrade_leaves_no_viewer_a_gap()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        await fixture.EnsureHealthy();
        // 15 s of tokens: the silo stops, starts again and takes its share of the work back while they flow.
        await using var load = await StreamLoad.Start(fixture, streams: 20, viewersPerStream: 2, tokensPerStream: 750);
        await load.WaitSent(75);

        var (leaving, onLeaving) = await fixture.SiloHostingMost(load.StreamIds);
        var stoppedAt = Stopwatch.GetTimestamp();
        var (stopTook, backTook) = await fixture.Restart(leaving);
        // On a slow machine the silo may come back only after the streams ended; then its return is not measured.
        var returnMeasured = load.Sent < 750;
        await load.Finish(TimeSpan.FromSeconds(60));

        await load.Verify();
        // The gateway fills whatever the leaving silo's relays held before it forwards: a viewer never sees a jump.
        Assert.All(load.Viewers, v => Assert.Equal(0, v.Stats.Jumps));
        Assert.All(load.Viewers, v => Assert.Equal(0, v.Stats.Duplicates));

        var (longest, _, _) = load.Stalls();
        FaultReport.Write(output, "silo SIGTERM + restart", $"stopped {leaving.Name} hosting {onLeaving.Count} of 20 streams; it exited in " +
            $"{stopTook.TotalSeconds:0.0} s and was active again {backTook.TotalSeconds:0.0} s after the SIGTERM{(returnMeasured ? "" : " (after the streams ended)")}; {load.StallEnds(stoppedAt)}; {load.ProducerStalls(stoppedAt)}; {load.Summary()}");
        Assert.True(longest < TimeSpan.FromSeconds(10), $"A viewer stalled {longest.TotalSeconds:0.0} s. {load.Summary()}");
    }
}
