using ReHome.Grains;
using ReHome.Tests.Infrastructure;

namespace ReHome.Tests.Cluster;

[Collection(TightLimitsCollection.Name)]
public sealed class LimitsAndExpiryTests(TightLimitsFixture fixture)
{
    [Fact]
    public async Task Tokens_over_the_stream_rate_are_refused_and_not_stored()
    {
        var (_, _, _, grain) = await fixture.NewStream();
        await grain.AppendMany(1, [.. Enumerable.Repeat("t", TightLimitsFixture.TokenBurst)]);

        var error = await Assert.ThrowsAsync<RateLimitedException>(() => grain.Append("one too many").AsTask());

        Assert.Equal("rate_limited", error.Code);
        Assert.True(error.RetryAfter > TimeSpan.Zero);
        Assert.Equal(TightLimitsFixture.TokenBurst, (await grain.GetInfo()).LastSequence);
    }

    [Fact]
    public async Task The_producer_slows_to_the_stream_rate_rather_than_fail_tokens_or_leave_a_hole()
    {
        var threadId = await fixture.NewThread();
        await using var watcher = await ThreadWatcher.Subscribe(fixture.Client, threadId);
        var streamId = await fixture.Producer.StartStreamAsync(threadId, "run-" + Guid.NewGuid().ToString("N"));
        var sent = Enumerable.Range(1, TightLimitsFixture.TokenBurst + 2).Select(i => $"t{i} ").ToList();

        // Sent without waiting, as a backend replaying a cached answer: two past the burst, which the rate (one token
        // per 2 s) refuses at first. Refused calls store nothing, so the tokens behind them must not take their numbers.
        var numbers = await Task.WhenAll(sent.Select(t => fixture.Producer.StreamTokenAsync(streamId, t)));
        Assert.True(await fixture.Producer.EndStreamAsync(streamId, string.Concat(sent)));

        Assert.Equal(Enumerable.Range(1, sent.Count).Select(i => (long)i), numbers);
        await watcher.WaitForDone(streamId);
        Assert.Equal(sent.Select((token, i) => (i + 1L, token)), watcher.Tokens(streamId));
    }

    [Fact]
    public async Task Stream_starts_over_the_thread_rate_are_refused_and_not_stored()
    {
        var threadId = await fixture.NewThread();
        for (var i = 0; i < TightLimitsFixture.StartsPerMinute; i++)
        {
            await fixture.Client.GetGrain<IStreamGrain>($"s-{i}-" + Guid.NewGuid().ToString("N")).Start(threadId, "r-" + Guid.NewGuid().ToString("N"));
        }

        var refused = fixture.Client.GetGrain<IStreamGrain>("s-refused-" + Guid.NewGuid().ToString("N"));
        var error = await Assert.ThrowsAsync<RateLimitedException>(() => refused.Start(threadId, "r-" + Guid.NewGuid().ToString("N")));

        Assert.Equal("stream starts per thread", error.Limit);
        await Assert.ThrowsAsync<StreamNotFoundException>(() => refused.GetInfo().AsTask());
        Assert.Equal(TightLimitsFixture.StartsPerMinute, (await fixture.Client.GetGrain<IThreadGrain>(threadId).GetStreams()).Length);
    }

    [Fact]
    public async Task Past_the_history_limit_replay_says_it_is_incomplete()
    {
        var (_, _, _, grain) = await fixture.NewStream();
        await grain.AppendMany(1, ["1", "2", "3", "4", "5"]);

        var page = await grain.GetTokens(0);

        Assert.False(page.Complete);
        Assert.Equal(3, page.FirstSequence);
        Assert.Equal(["3", "4", "5"], page.Tokens);
        Assert.True((await grain.GetTokens(2)).Complete);

        var error = await Assert.ThrowsAsync<InvalidRequestException>(() => grain.End(fullResponse: null));
        Assert.Equal("fullResponse", error.Field);
        Assert.True(await grain.End("12345"));
        Assert.Equal("12345", (await grain.GetTokens(0)).FullResponse);
    }

    [Fact]
    public async Task An_idle_stream_is_abandoned_then_cleared_from_storage()
    {
        var (threadId, runId, streamId, grain) = await fixture.NewStream();
        await using var watcher = await ThreadWatcher.Subscribe(fixture.Client, threadId);
        await grain.Append("only token");

        var done = await watcher.WaitForDone(streamId);
        Assert.Equal(StreamEndReason.Abandoned, done.Reason);
        Assert.Equal("only token", done.FullResponse);
        Assert.Equal(1, done.LastSequence);
        Assert.Equal(RunStatus.Failed, (await fixture.Client.GetGrain<IRunGrain>(runId).GetInfo())!.Status);
        await Assert.ThrowsAsync<StreamEndedException>(() => grain.Append("late").AsTask());

        await Eventually.True(async () => !(await fixture.ReadStoredStream(streamId)).RecordExists, because: "retention clears the state");
        await Eventually.True(async () => (await fixture.Client.GetGrain<IThreadGrain>(threadId).GetStreams()).Length == 0, because: "the thread forgets it");
        await Eventually.True(async () => !(await fixture.ReadStoredTombstone(streamId)).RecordExists, because: "the tombstone expires");
        await Eventually.True(() => Gone(grain), because: "the id is free again");
    }

    [Fact]
    public async Task An_ended_stream_keeps_its_done_flag_for_the_retention_then_is_gone()
    {
        var (_, _, streamId, grain) = await fixture.NewStream();
        await grain.Append("x");
        await grain.End("x");

        var during = await fixture.ReadStoredStream(streamId);
        Assert.Equal(StreamPhase.Ended, during.State.Phase);
        Assert.Equal("x", during.State.FullResponse);

        await Eventually.True(async () => !(await fixture.ReadStoredStream(streamId)).RecordExists, because: "retention clears the state");
        await Eventually.True(async () => !(await fixture.ReadStoredTombstone(streamId)).RecordExists, because: "the tombstone expires");
        await Eventually.True(() => Gone(grain), because: "the id is free again");
    }

    [Fact]
    public async Task An_end_stored_by_an_activation_that_died_before_telling_the_run_reaches_the_run_when_the_stream_retires()
    {
        var (_, runId, streamId, grain) = await fixture.NewStream();
        await grain.Append("x");
        await fixture.Client.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);

        // What Finish stores before it tells the thread and the run, left by an activation whose silo died then.
        var (_, stored) = await fixture.ReadStoredStream(streamId);
        (stored.Phase, stored.Reason, stored.FullResponse, stored.Settled, stored.EndedAt) =
            (StreamPhase.Ended, StreamEndReason.Completed, "x", true, DateTimeOffset.UtcNow);
        await fixture.WriteStoredStream(streamId, stored);
        Assert.True((await grain.GetInfo()).Done);
        Assert.Equal(RunStatus.Running, (await fixture.Client.GetGrain<IRunGrain>(runId).GetInfo())!.Status);

        await Eventually.True(async () => (await fixture.Client.GetGrain<IRunGrain>(runId).GetInfo())!.Status == RunStatus.Completed,
            because: "the stream's retirement tells the run");
    }

    /// <summary>True once the stream answers as one that was never started.</summary>
    private static async Task<bool> Gone(IStreamGrain grain)
    {
        try
        {
            await grain.GetTokens(0);
            return false;
        }
        catch (StreamNotFoundException)
        {
            return true;
        }
    }
}
