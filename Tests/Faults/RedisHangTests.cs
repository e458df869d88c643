using System.Diagnostics;
using ReHome.Smoke;
using Xunit.Abstractions;

namespace ReHome.Tests.Faults;

[Collection(ProcessClusterCollection.Name)]
public sealed class RedisHangTests(ProcessClusterFixture fixture, ITestOutputHelper output)
{
    private static readonly TimeSpan Hang = TimeSpan.FromSeconds(10);

    /// <summary>What a stream grain logs when it resets: it came back from an older state, or found another activation's.</summary>
    private static readonly string[] ResetMarks = ["resumes from stored sequence", "written by another activation"];

    /// <summary>
    /// Redis frozen (SIGSTOP) for 10 s, then resumed: the grains' checkpoint writes time out in the client and
    /// are applied when Redis resumes, under the grains' feet. Streams must keep numbering and publishing through
    /// it, and after it no stream may reset: no producer resends anything, since no grain lost anything.
    /// </summary>
    [SkippableFact]
    public async Task Streams_keep_numbering_and_publishing_through_a_ten_second_Redis_hang_and_none_is_reset()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        await fixture.EnsureHealthy();
        var marks = fixture.SiloLogMarks();
        using var resent = new ResentTokens(fixture.Cluster.Client.ServiceProvider);
        var producer = fixture.Cluster.Producer;
        var quietThread = "t-" + Guid.NewGuid().ToString("N")[..10];
        await producer.ConfigureThreadAsync(quietThread, new ThreadAccess("ws", "proj", "late", []));

        // 20 s of tokens that run through the hang, and 5 s ones whose producers end them while Redis is frozen.
        await using var load = await StreamLoad.Start(fixture, streams: 20, viewersPerStream: 2, tokensPerStream: 1000);
        await using var ending = await StreamLoad.Start(fixture, streams: 5, viewersPerStream: 1, tokensPerStream: 250);
        await load.WaitSent(100);

        var pausedAt = Stopwatch.GetTimestamp();
        fixture.Redis.Pause();
        Task<(string Outcome, TimeSpan Took)> ended, started, joined;
        try
        {
            ended = Timed.Outcome(() => ending.Finish(TimeSpan.FromSeconds(90)));
            started = Timed.Outcome(() => producer.StartStreamAsync(quietThread, "r-hang"));
            // A viewer opening a thread nobody on its gateway watches yet: the gateway subscribes at the thread's
            // feed relay (memory only) and reads the thread's streams, which Redis must not be needed for while the
            // thread is active.
            joined = Timed.Outcome(async () =>
            {
                var token = ViewerToken.Sign(fixture.SigningKey, "late", TimeSpan.FromHours(1));
                await using var viewer = await ResumingViewer.Connect(fixture.GatewayUrls, () => token);
                await viewer.Join(quietThread);
            });

            var left = Hang - Stopwatch.GetElapsedTime(pausedAt);
            if (left > TimeSpan.Zero)
            {
                // The fault itself: Redis stays frozen this long whatever else happens.
                await Task.Delay(left);
            }
        }
        finally
        {
            fixture.Redis.Resume();
        }

        var resumedAt = Stopwatch.GetTimestamp();
        await load.Finish(TimeSpan.FromSeconds(90));
        var (endOutcome, endTook) = await ended;
        var (startOutcome, startTook) = await started;
        var (joinOutcome, joinTook) = await joined;
        Assert.Equal("success", endOutcome);
        Assert.Equal("success", startOutcome);
        Assert.Equal("success", joinOutcome);
        await load.Verify();
        await ending.Verify();
        Assert.All(fixture.Silos.Concat(fixture.Gateways), p => Assert.True(p.IsRunning, $"{p.Name} survived the hang"));

        // No stream reset: no grain came back from an older state, and no producer had anything to resend.
        var logs = fixture.SiloLogsSince(marks).ToArray();
        var resets = logs.Where(line => ResetMarks.Any(line.Contains)).ToArray();
        Assert.True(resets.Length == 0, $"Streams were reset:{Environment.NewLine}{string.Join(Environment.NewLine, resets.Take(10))}");
        Assert.Equal(0, resent.Count);
        Assert.All(load.Viewers.Concat(ending.Viewers), v => Assert.Equal(0, v.Stats.Jumps));

        // What was stored after the hang is what a fresh activation reads.
        await fixture.Cluster.Client.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);
        await load.Verify();
        await ending.Verify();

        var (longest, _, _) = load.Stalls();
        var reconciled = logs.Count(line => line.Contains("reconciled with storage"));
        FaultReport.Write(output, "redis hang", $"Redis frozen {Stopwatch.GetElapsedTime(pausedAt, resumedAt).TotalSeconds:0.0} s; " +
            $"{reconciled} checkpoint writes reconciled with their own late write, 0 streams reset, {resent.Count} tokens resent; " +
            $"5 streams ended during it: {endOutcome}, done {endTook.TotalSeconds:0.0} s after their end began; " +
            $"a stream started during it through the SDK: {startOutcome} after {startTook.TotalSeconds:0.0} s; " +
            $"a viewer joining an unwatched thread during it: {joinOutcome} after {joinTook.TotalSeconds:0.0} s; " +
            $"{load.StallEnds(pausedAt)}; {load.Summary()}");
        // Streams flow through the hang: a stall is a busy machine's hiccup, far below the 10 s a blocking write would cost.
        Assert.True(longest < TimeSpan.FromSeconds(5), $"Running streams stalled {longest.TotalSeconds:0.0} s during the hang. {load.Summary()}");
    }
}
