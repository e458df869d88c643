using ReHome.Tests.Infrastructure;

namespace ReHome.Tests.Cluster;

[Collection(ClusterCollection.Name)]
public sealed class ProducerTests(ClusterFixture fixture)
{
    [Fact]
    public async Task The_seed_flow_numbers_hello_world_and_ends_once()
    {
        var threadId = await fixture.NewThread();
        await using var watcher = await ThreadWatcher.Subscribe(fixture.Client, threadId);

        var streamId = await fixture.Producer.StartStreamAsync(threadId, "run-" + Guid.NewGuid().ToString("N"));
        Assert.Equal(1, await fixture.Producer.StreamTokenAsync(streamId, "Hello "));
        Assert.Equal(2, await fixture.Producer.StreamTokenAsync(streamId, "World!"));
        Assert.True(await fixture.Producer.EndStreamAsync(streamId, "Hello World!"));
        Assert.False(await fixture.Producer.EndStreamAsync(streamId, "Hello World!"));

        Assert.True(Ids.IsValid(streamId));
        var done = await watcher.WaitForDone(streamId);
        Assert.Equal([(1L, "Hello "), (2L, "World!")], watcher.Tokens(streamId));
        Assert.Equal("Hello World!", done.FullResponse);
        Assert.Equal(2, done.LastSequence);
    }

    [Fact]
    public async Task Tokens_sent_without_waiting_keep_their_call_order()
    {
        var threadId = await fixture.NewThread();
        var streamId = await fixture.Producer.StartStreamAsync(threadId, "run-" + Guid.NewGuid().ToString("N"), "s-" + Guid.NewGuid().ToString("N"));
        var sent = Enumerable.Range(0, 500).Select(i => $"{i} ").ToList();

        var numbers = await Task.WhenAll(sent.Select(t => fixture.Producer.StreamTokenAsync(streamId, t)));
        await fixture.Producer.EndStreamAsync(streamId);

        Assert.Equal(Enumerable.Range(1, 500).Select(i => (long)i), numbers);
        var page = await fixture.Client.GetGrain<IStreamGrain>(streamId).GetTokens(0);
        Assert.Equal(sent, page.Tokens);
        Assert.Equal(string.Concat(sent), page.FullResponse);
    }

    [Fact]
    public async Task Awaited_tokens_one_after_another_never_stall()
    {
        // Each call is enqueued just as the previous send finishes: the moment a lost wake-up would strand a token.
        var threadId = await fixture.NewThread();
        await Task.WhenAll(Enumerable.Range(0, 4).Select(async _ =>
        {
            var streamId = await fixture.Producer.StartStreamAsync(threadId, "run-" + Guid.NewGuid().ToString("N"));
            for (var i = 1; i <= 1500; i++)
            {
                Assert.Equal(i, await fixture.Producer.StreamTokenAsync(streamId, "x").WaitAsync(TimeSpan.FromSeconds(10)));
            }

            Assert.True(await fixture.Producer.EndStreamAsync(streamId).WaitAsync(TimeSpan.FromSeconds(10)));
        }));
    }

    [Fact]
    public async Task End_waits_for_queued_tokens()
    {
        var threadId = await fixture.NewThread();
        var streamId = await fixture.Producer.StartStreamAsync(threadId, "run-" + Guid.NewGuid().ToString("N"));

        var pending = Enumerable.Range(0, 100).Select(i => fixture.Producer.StreamTokenAsync(streamId, "x")).ToList();
        Assert.True(await fixture.Producer.EndStreamAsync(streamId));
        await Task.WhenAll(pending);

        Assert.Equal(100, (await fixture.Client.GetGrain<IStreamGrain>(streamId).GetInfo()).LastSequence);
    }

    [Fact]
    public async Task A_bad_token_fails_alone_without_taking_a_number()
    {
        var threadId = await fixture.NewThread();
        var streamId = await fixture.Producer.StartStreamAsync(threadId, "run-" + Guid.NewGuid().ToString("N"));

        var good1 = fixture.Producer.StreamTokenAsync(streamId, "a");
        var bad = fixture.Producer.StreamTokenAsync(streamId, new string('x', 5000));
        var good2 = fixture.Producer.StreamTokenAsync(streamId, "b");

        Assert.Equal(1, await good1);
        await Assert.ThrowsAsync<InvalidRequestException>(() => bad);
        Assert.Equal(2, await good2);
        Assert.Throws<InvalidRequestException>(() => { _ = fixture.Producer.StreamTokenAsync(streamId, null!); });
    }

    [Fact]
    public async Task The_producer_raises_the_clusters_typed_errors()
    {
        var threadId = await fixture.NewThread();
        var streamId = await fixture.Producer.StartStreamAsync(threadId, "run-" + Guid.NewGuid().ToString("N"));
        await fixture.Producer.StreamTokenAsync(streamId, "a");

        Assert.True(await fixture.Producer.CancelAsync(streamId, "moderation"));

        var cancelled = await Assert.ThrowsAsync<StreamCancelledException>(() => fixture.Producer.StreamTokenAsync(streamId, "b"));
        Assert.Equal("moderation", cancelled.Detail);
        await Assert.ThrowsAsync<StreamNotFoundException>(() => fixture.Producer.StreamTokenAsync("s-never-" + Guid.NewGuid().ToString("N"), "a"));
        await Assert.ThrowsAsync<InvalidRequestException>(() => fixture.Producer.StartStreamAsync(threadId, "run-1", "bad id"));
        await Assert.ThrowsAsync<ThreadNotFoundException>(() => fixture.Producer.StartStreamAsync("t-unknown-" + Guid.NewGuid().ToString("N"), "run-1"));
    }

    [Fact]
    public async Task A_producer_that_did_not_start_the_stream_continues_its_numbering()
    {
        var (_, _, streamId, grain) = await fixture.NewStream();
        await grain.AppendMany(1, ["a", "b"]);

        Assert.Equal(3, await fixture.Producer.StreamTokenAsync(streamId, "c"));
        Assert.True(await fixture.Producer.EndStreamAsync(streamId));
        Assert.Equal("abc", (await grain.GetTokens(0)).FullResponse);
    }
}
