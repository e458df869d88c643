using Microsoft.Extensions.DependencyInjection;
using ReHome.Tests.Infrastructure;

namespace ReHome.Tests.Gateway;

/// <summary>
/// The root cause of the sequence jumps viewers on a surviving gateway saw in about one silo-kill run in eight
/// (when Orleans' pulling agents carried the feeds). The gateway's first event of a stream that began after it
/// subscribed need not be the stream's first: events on their way through a dead silo are lost, and a thread's relay
/// that moved delivers only what is published after the gateway registered there again. The gateway used to take
/// that event as the start and forward it, so viewers who had nothing of the stream saw a jump. These tests give the
/// gateway exactly that input, on its real thread feed.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class FirstSeenEventTests(GatewayFixture gateway)
{
    [Fact]
    public async Task A_stream_first_seen_after_its_start_is_filled_from_sequence_one_not_forwarded_with_a_jump()
    {
        var threadId = await gateway.NewThread("alice");
        await using var viewer = await Viewer.Connect(gateway, "alice");
        await viewer.Join(threadId);

        // A stream that starts after the gateway subscribed. Its tokens 1–3 are numbered where this thread's feed
        // does not carry them (as if lost with a dead silo's queue); the first event the gateway sees is token 4.
        var elsewhere = await gateway.NewThread("bob");
        var streamId = await gateway.Producer.StartStreamAsync(elsewhere, "run-" + Guid.NewGuid().ToString("N"));
        string[] sent = ["a ", "b ", "c ", "d "];
        foreach (var token in sent)
        {
            await gateway.Producer.StreamTokenAsync(streamId, token);
        }

        await ThreadFeed(threadId).OnNextAsync(new TokensAppended(threadId, "run", streamId, 4, ["d "], DateTime.UtcNow));

        var received = await Eventually.Get(() => Task.FromResult(viewer.Tokens(streamId)), tokens => tokens.Any(t => t.Sequence == 4),
            because: "the fourth token reaches the viewer");
        Assert.Equal([1L, 2, 3, 4], received.Select(t => t.Sequence));
        Assert.Equal(sent, received.Select(t => t.Token));
    }

    [Fact]
    public async Task A_stream_already_open_when_the_gateway_subscribes_is_not_sent_again_from_its_start()
    {
        var threadId = await gateway.NewThread("alice");
        var streamId = await gateway.Producer.StartStreamAsync(threadId, "run-" + Guid.NewGuid().ToString("N"));
        foreach (var token in new[] { "a ", "b ", "c " })
        {
            await gateway.Producer.StreamTokenAsync(streamId, token);
        }

        // The first viewer on this gateway joins mid-stream: it learns where the stream stands and fetches that itself.
        await using var viewer = await Viewer.Connect(gateway, "alice");
        var joined = await viewer.Join(threadId);
        Assert.Equal(3, joined.Single(s => s.StreamId == streamId).LastSequence);
        await gateway.Producer.StreamTokenAsync(streamId, "d ");

        var received = await Eventually.Get(() => Task.FromResult(viewer.Tokens(streamId)), tokens => tokens.Count > 0,
            because: "the live token reaches the viewer");
        Assert.Equal([4L], received.Select(t => t.Sequence));
    }

    private Orleans.Streams.IAsyncStream<ThreadEvent> ThreadFeed(string threadId) =>
        gateway.Services.GetRequiredService<IClusterClient>().GetStreamProvider(ThreadStreams.ProviderName)
            .GetStream<ThreadEvent>(ThreadStreams.For(threadId));
}
