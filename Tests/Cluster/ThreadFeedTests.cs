using Microsoft.Extensions.DependencyInjection;
using Orleans.Core.Internal;
using ReHome.Feed;
using ReHome.Tests.Infrastructure;

namespace ReHome.Tests.Cluster;

/// <summary>The thread feeds through the Orleans stream API, with a relay that loses its subscriptions.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ThreadFeedTests(ClusterFixture fixture)
{
    [Fact]
    public async Task A_relay_that_lost_its_subscriptions_gets_them_again_at_the_next_check_and_its_observers_are_told_to_catch_up()
    {
        var (threadId, _, streamId, grain) = await fixture.NewStream();
        await using var watcher = await ThreadWatcher.Subscribe(fixture.Client, threadId);
        await grain.Append("before");
        await Eventually.True(() => Task.FromResult(watcher.Tokens(streamId).Count == 1), because: "the first token arrives");

        // As when the relay's silo stops: a new activation, with a new epoch and no subscriptions.
        var relay = ThreadFeeds.Relay(fixture.Client, threadId);
        await relay.Cast<IGrainManagementExtension>().DeactivateOnIdle();
        await Eventually.True(async () => await relay.SubscriberCount(ThreadStreams.For(threadId)) == 0, because: "the new activation has no subscriptions");
        await grain.Append("lost");

        Assert.True(await fixture.Client.ServiceProvider.GetRequiredService<ThreadFeedConsumer>().Check());

        Assert.Equal(1, await relay.SubscriberCount(ThreadStreams.For(threadId)));
        Assert.IsType<ThreadFeedInterruptedException>(Assert.Single(watcher.Errors));
        await grain.Append("after");
        await Eventually.True(() => Task.FromResult(watcher.Tokens(streamId).Count == 2), because: "tokens flow again");
        Assert.Equal([(1L, "before"), (3L, "after")], watcher.Tokens(streamId));
    }

    [Fact]
    public async Task Rewinding_and_batch_observers_are_refused_with_a_clear_error()
    {
        var stream = fixture.Client.GetStreamProvider(ThreadStreams.ProviderName).GetStream<ThreadEvent>(ThreadStreams.For("t-refused"));

        var rewind = await Assert.ThrowsAsync<NotSupportedException>(() =>
            stream.SubscribeAsync(new IgnoringObserver(), new Orleans.Providers.Streams.Common.EventSequenceTokenV2(1)));
        Assert.Contains("not rewindable", rewind.Message);
        await Assert.ThrowsAsync<NotSupportedException>(() => stream.OnCompletedAsync());
        Assert.Empty(await stream.GetAllSubscriptionHandles());
    }

    private sealed class IgnoringObserver : Orleans.Streams.IAsyncObserver<ThreadEvent>
    {
        public Task OnNextAsync(ThreadEvent item, Orleans.Streams.StreamSequenceToken? token = null) => Task.CompletedTask;

        public Task OnErrorAsync(Exception ex) => Task.CompletedTask;
    }
}
