using Microsoft.Extensions.DependencyInjection;
using Orleans.Streams.Core;
using ReHome.Tests.Infrastructure;

namespace ReHome.Tests.Gateway;

/// <summary>
/// A gateway that checks its subscriptions every half second and never probes silent streams, so only
/// re-subscribing can bring a dropped thread back.
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
    public async Task A_subscription_orleans_dropped_is_taken_again_and_the_gap_filled()
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

        // Do what Orleans does when it judges a client gone: delete its subscription.
        var subscriptions = gateway.Services.GetRequiredService<IClusterClient>().ServiceProvider
            .GetRequiredService<IStreamSubscriptionManagerAdmin>()
            .GetStreamSubscriptionManager(StreamSubscriptionManagerType.ExplicitSubscribeOnly);
        var dropped = (await subscriptions.GetSubscriptions(ThreadStreams.ProviderName, ThreadStreams.For(threadId))).Single();
        await subscriptions.RemoveSubscription(ThreadStreams.ProviderName, ThreadStreams.For(threadId), dropped.SubscriptionId);

        foreach (var token in sent[10..])
        {
            await gateway.Producer.StreamTokenAsync(streamId, token);
        }

        await gateway.Producer.EndStreamAsync(streamId, string.Concat(sent));

        var done = await viewer.WaitForDone(streamId, TimeSpan.FromSeconds(20));
        Assert.Equal(string.Concat(sent), done.FullResponse);
        Assert.Equal(Enumerable.Range(1, 30).Select(i => (long)i), viewer.Tokens(streamId).Select(m => m.Sequence));
        Assert.Equal(sent, viewer.Tokens(streamId).Select(m => m.Token));
        var current = (await subscriptions.GetSubscriptions(ThreadStreams.ProviderName, ThreadStreams.For(threadId))).Single();
        Assert.NotEqual(dropped.SubscriptionId, current.SubscriptionId);
    }
}
