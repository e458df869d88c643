using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;
using ReHome.Grains;
using ReHome.Tests.Infrastructure;

namespace ReHome.Tests.Cluster;

[Collection(ClusterCollection.Name)]
public sealed class StreamLifecycleTests(ClusterFixture fixture)
{
    [Fact]
    public async Task Start_registers_the_stream_with_its_thread_and_run()
    {
        var (threadId, runId, streamId, _) = await fixture.NewStream();

        var streams = await fixture.Client.GetGrain<IThreadGrain>(threadId).GetStreams();
        var run = await fixture.Client.GetGrain<IRunGrain>(runId).GetInfo();

        Assert.Equal([streamId], streams.Select(s => s.StreamId));
        Assert.False(streams[0].Done);
        Assert.NotNull(run);
        Assert.Equal(threadId, run.ThreadId);
        Assert.Equal(RunStatus.Running, run.Status);
        Assert.Equal([streamId], run.StreamIds);
    }

    [Fact]
    public async Task Listing_a_thread_answers_for_its_ended_streams_without_waking_their_grains()
    {
        var (threadId, _, _, grain) = await fixture.NewStream();
        await grain.Append("a");
        await grain.Append("b");
        await grain.End("ab");
        var ended = await grain.GetInfo();
        var management = fixture.Client.GetGrain<IManagementGrain>(0);
        var thread = fixture.Client.GetGrain<IThreadGrain>(threadId);
        // The thread too: what it lists it has stored, not only kept in memory. The silos' catalogs say what is active.
        foreach (var gone in new[] { grain.GetGrainId(), thread.GetGrainId() })
        {
            await management.DeactivateGrain(gone);
            await Eventually.True(async () => !(await management.GetActiveGrains(gone.Type)).Contains(gone), because: $"{gone} goes away");
        }

        var listed = await thread.GetStreams();

        Assert.Equal([ended], listed);
        Assert.True(ended is { Done: true, LastSequence: 2, Reason: StreamEndReason.Completed });
        Assert.DoesNotContain(grain.GetGrainId(), await management.GetActiveGrains(grain.GetGrainId().Type));
    }

    [Fact]
    public async Task Start_is_durable_before_it_returns()
    {
        var (threadId, runId, streamId, _) = await fixture.NewStream();

        var stored = await fixture.ReadStoredStream(streamId);

        Assert.True(stored.RecordExists);
        Assert.Equal(StreamPhase.Open, stored.State.Phase);
        Assert.Equal(threadId, stored.State.ThreadId);
        Assert.Equal(runId, stored.State.RunId);
    }

    [Fact]
    public async Task Starting_again_with_the_same_thread_and_run_is_a_noop()
    {
        var (threadId, runId, _, grain) = await fixture.NewStream();
        await grain.Append("a");

        var again = await grain.Start(threadId, runId);

        Assert.Equal(1, again.LastSequence);
        Assert.Equal(2, await grain.Append("b"));
    }

    [Fact]
    public async Task Starting_with_another_thread_or_run_is_a_conflict()
    {
        var (threadId, runId, _, grain) = await fixture.NewStream();
        var otherThread = await fixture.NewThread();

        await Assert.ThrowsAsync<StreamConflictException>(() => grain.Start(otherThread, runId));
        await Assert.ThrowsAsync<StreamConflictException>(() => grain.Start(threadId, "another-run"));
    }

    [Fact]
    public async Task A_run_cannot_move_to_another_thread()
    {
        var (_, runId, _, _) = await fixture.NewStream();
        var otherThread = await fixture.NewThread();
        var stream = fixture.Client.GetGrain<IStreamGrain>("s-" + Guid.NewGuid().ToString("N"));

        await Assert.ThrowsAsync<StreamConflictException>(() => stream.Start(otherThread, runId));
        await Assert.ThrowsAsync<StreamNotFoundException>(() => stream.GetInfo().AsTask());

        // A refused start changes nothing: the other thread does not keep the stream in its list.
        var storage = fixture.Cluster.GetSiloServiceProvider().GetRequiredKeyedService<IGrainStorage>(StorageNames.Grains);
        var stored = new GrainState<ReHome.Grains.ThreadState>();
        await storage.ReadStateAsync("thread", fixture.Client.GetGrain<IThreadGrain>(otherThread).GetGrainId(), stored);
        Assert.Empty(stored.State!.Streams);
    }

    [Fact]
    public async Task Starting_on_a_thread_nobody_configured_is_thread_not_found()
    {
        var stream = fixture.Client.GetGrain<IStreamGrain>("s-" + Guid.NewGuid().ToString("N"));

        var error = await Assert.ThrowsAsync<ThreadNotFoundException>(() => stream.Start("t-unknown-" + Guid.NewGuid().ToString("N"), "r-1"));

        Assert.Equal("thread_not_found", error.Code);
        await Assert.ThrowsAsync<StreamNotFoundException>(() => stream.GetInfo().AsTask());
    }

    [Fact]
    public async Task Calls_on_a_stream_that_was_never_started_are_stream_not_found()
    {
        var stream = fixture.Client.GetGrain<IStreamGrain>("s-" + Guid.NewGuid().ToString("N"));

        await Assert.ThrowsAsync<StreamNotFoundException>(() => stream.Append("x").AsTask());
        await Assert.ThrowsAsync<StreamNotFoundException>(() => stream.End("x"));
        await Assert.ThrowsAsync<StreamNotFoundException>(() => stream.GetTokens(0).AsTask());
    }

    [Fact]
    public async Task End_returns_true_once_and_changes_nothing_afterwards()
    {
        var (_, _, streamId, grain) = await fixture.NewStream();
        await grain.Append("Hello ");
        await grain.Append("World!");

        Assert.True(await grain.End("Hello World!"));
        Assert.False(await grain.End("something else"));
        Assert.False(await grain.Cancel("too late"));

        var page = await grain.GetTokens(0);
        Assert.True(page.Done);
        Assert.Equal(StreamEndReason.Completed, page.Reason);
        Assert.Equal("Hello World!", page.FullResponse);
        Assert.Null(page.Detail);
        var stored = await fixture.ReadStoredStream(streamId);
        Assert.Equal(StreamPhase.Ended, stored.State.Phase);
        Assert.Equal("Hello World!", stored.State.FullResponse);
        Assert.Equal(["Hello ", "World!"], stored.State.Tokens);
    }

    [Fact]
    public async Task End_called_twice_concurrently_returns_true_exactly_once()
    {
        for (var round = 0; round < 10; round++)
        {
            var (_, _, _, grain) = await fixture.NewStream();
            await grain.Append("x");

            var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => grain.End($"text {i}")));

            Assert.Single(results, r => r);
            var winner = Array.IndexOf(results, true);
            Assert.Equal($"text {winner}", (await grain.GetTokens(0)).FullResponse);
        }
    }

    [Fact]
    public async Task End_racing_appends_numbers_exactly_the_appends_that_got_in()
    {
        var (threadId, _, streamId, grain) = await fixture.NewStream();
        await using var watcher = await ThreadWatcher.Subscribe(fixture.Client, threadId);

        // One append in first; then appends sent before the end and after it, none awaited. Orleans does not keep a
        // client's call order, so where the end lands among them varies from run to run.
        List<Task<(long Sequence, Exception? Error)>> appends = [Task.FromResult(await TryAppend(grain, "t0 "))];
        appends.AddRange(Enumerable.Range(1, 100).Select(i => TryAppend(grain, $"t{i} ")));
        var end = grain.End(fullResponse: null);
        appends.AddRange(Enumerable.Range(101, 100).Select(i => TryAppend(grain, $"t{i} ")));
        var outcomes = await Task.WhenAll(appends);
        Assert.True(await end);

        var numbered = outcomes.Where(o => o.Sequence > 0).ToList();
        Assert.Equal(1, outcomes[0].Sequence);
        Assert.All(outcomes.Where(o => o.Sequence == 0), o => Assert.IsType<StreamEndedException>(o.Error));
        var page = await grain.GetTokens(0);
        Assert.Equal(numbered.Count, page.LastSequence);
        Assert.Equal(Enumerable.Range(1, numbered.Count).Select(i => (long)i), numbered.Select(o => o.Sequence).Order());
        Assert.Equal(string.Concat(page.Tokens), page.FullResponse);

        var done = await watcher.WaitForDone(streamId);
        Assert.Equal(numbered.Count, done.LastSequence);
        await Assert.ThrowsAsync<StreamEndedException>(() => grain.Append("late").AsTask());
    }

    [Fact]
    public async Task Append_after_end_is_a_stream_ended_error()
    {
        var (_, _, _, grain) = await fixture.NewStream();
        await grain.End("");

        var error = await Assert.ThrowsAsync<StreamEndedException>(() => grain.Append("x").AsTask());

        Assert.Equal("stream_ended", error.Code);
        Assert.Equal(StreamEndReason.Completed, error.Reason);
        Assert.Equal(0, (await grain.GetInfo()).LastSequence);
    }

    [Fact]
    public async Task Cancel_tells_watchers_why_and_fails_the_producers_next_append()
    {
        var (threadId, runId, streamId, grain) = await fixture.NewStream();
        await using var watcher = await ThreadWatcher.Subscribe(fixture.Client, threadId);
        await grain.Append("partial ");
        await grain.Append("answer");

        Assert.True(await grain.Cancel("user pressed stop"));

        var done = await watcher.WaitForDone(streamId);
        Assert.Equal(StreamEndReason.Cancelled, done.Reason);
        Assert.Equal("user pressed stop", done.Detail);
        Assert.Equal(2, done.LastSequence);
        Assert.Equal("partial answer", done.FullResponse);

        var error = await Assert.ThrowsAsync<StreamCancelledException>(() => grain.Append("more").AsTask());
        Assert.Equal("stream_cancelled", error.Code);
        Assert.Equal("user pressed stop", error.Detail);
        Assert.Equal(RunStatus.Cancelled, (await fixture.Client.GetGrain<IRunGrain>(runId).GetInfo())!.Status);
        Assert.False(await grain.End("late end"));
    }

    [Fact]
    public async Task End_without_text_uses_the_tokens()
    {
        var (_, runId, _, grain) = await fixture.NewStream();
        await grain.Append("你好");
        await grain.Append("，世界 🌍");

        await grain.End(fullResponse: null);

        Assert.Equal("你好，世界 🌍", (await grain.GetTokens(0)).FullResponse);
        Assert.Equal(RunStatus.Completed, (await fixture.Client.GetGrain<IRunGrain>(runId).GetInfo())!.Status);
    }

    [Fact]
    public async Task End_with_an_expected_count_refuses_a_stream_missing_tokens()
    {
        var (_, _, _, grain) = await fixture.NewStream();
        await grain.Append("a");

        var gap = await Assert.ThrowsAsync<SequenceGapException>(() => grain.End("ab", expectedLastSequence: 2));
        Assert.Equal(2, gap.ExpectedSequence);
        await Assert.ThrowsAsync<StreamConflictException>(() => grain.End("", expectedLastSequence: 0));
        Assert.False((await grain.GetInfo()).Done);

        Assert.True(await grain.End("a", expectedLastSequence: 1));
    }

    private static async Task<(long Sequence, Exception? Error)> TryAppend(IStreamGrain grain, string token)
    {
        try
        {
            return (await grain.Append(token), null);
        }
        catch (Exception ex)
        {
            return (0, ex);
        }
    }
}
