using Microsoft.Extensions.DependencyInjection;
using ReHome.Feed;
using ReHome.Tests.Infrastructure;

namespace ReHome.Tests.Gateway;

/// <summary>
/// A gateway that checks its subscriptions every half second and never probes silent streams, so only
/// registering again at the relay can bring a dropped thread back.
/// </summary>
public sealed class FastCheckGatewayFixture : GatewayFixture
{
    protected override Dictionary<string, string?> Settings => new()
    {
        ["Gateway:SubscriptionCheckInterval"] = "00:00:00.5",
        ["Gateway:SilentStreamProbe"] = "01:00:00",
    };
}

[CollectionDefinition(Name)]
public sealed class FastCheckGatewayCollection : ICollectionFixture<FastCheckGatewayFixture>
{
    public const string Name = "gateway with fast subscription checks";
}

[Collection(FastCheckGatewayCollection.Name)]
public sealed class ResubscriptionTests(FastCheckGatewayFixture gateway)
{
    [Fact]
    public async Task A_relay_that_dropped_the_gateway_gets_the_thread_again_and_the_gap_is_filled()
    {
        var threadId = await gateway.NewThread("alice");
        await using var viewer = await Viewer.Connect(gateway, "alice");
        await viewer.Join(threadId);
        var streamId = await gateway.Producer.StartStreamAsync(threadId, "run-" + Guid.NewGuid().ToString("N"));
        var sent = Enumerable.Range(1, 30).Select(i => $"t{i} ").ToList();
        foreach (var token in sent[..10])
        {
            await gateway.Producer.StreamTokenAsync(streamId, token);
        }

        await Eventually.True(() => Task.FromResult(viewer.Tokens(streamId).Count == 10));

        // As a relay does with a gateway whose deliveries keep failing: it forgets it. Only the gateway's check of its
        // relays can bring the thread back.
        var relay = ThreadFeeds.Relay(gateway.Services.GetRequiredService<IClusterClient>(), threadId);
        await relay.Unsubscribe(gateway.Services.GetRequiredService<ThreadFeedConsumer>().Self, [ThreadStreams.For(threadId)]);
        Assert.Equal(0, await relay.SubscriberCount(ThreadStreams.For(threadId)));

        foreach (var token in sent[10..])
        {
            await gateway.Producer.StreamTokenAsync(streamId, token);
        }

        await gateway.Producer.EndStreamAsync(streamId, string.Concat(sent));

        var done = await viewer.WaitForDone(streamId, TimeSpan.FromSeconds(20));
        Assert.Equal(string.Concat(sent), done.FullResponse);
        Assert.Equal(Enumerable.Range(1, 30).Select(i => (long)i), viewer.Tokens(streamId).Select(m => m.Sequence));
        Assert.Equal(sent, viewer.Tokens(streamId).Select(m => m.Token));
        Assert.Equal(1, await relay.SubscriberCount(ThreadStreams.For(threadId)));
    }
}
