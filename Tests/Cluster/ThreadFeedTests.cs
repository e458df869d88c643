using Microsoft.Extensions.DependencyInjection;
using Orleans.Core.Internal;
using ReHome.Feed;
using ReHome.Tests.Infrastructure;

namespace ReHome.Tests.Cluster;

/// <summary>
/// A cluster whose client checks its relays only when told to: a subscription that comes back came back by the path
/// under test, not by the periodic check (every 5 s by default).
/// </summary>
public sealed class UncheckedFeedsClusterFixture : ClusterFixture
{
    protected override Dictionary<string, string?> Settings => new() { ["Streams:RelayIdleProbe"] = "00:00:00.500" };

    public LostRelayCalls LostRelayCalls { get; } = new();

    protected override void ConfigureClientServices(IServiceCollection services)
    {
        services.Configure<ThreadFeedOptions>(o => o.CheckInterval = TimeSpan.FromHours(1));
        services.AddSingleton<IOutgoingGrainCallFilter>(LostRelayCalls);
    }
}

/// <summary>
/// The client's next call of one relay method fails: lost on its way, or carried out with its answer lost on the way
/// back (a call that timed out tells the caller no more).
/// </summary>
public sealed class LostRelayCalls : IOutgoingGrainCallFilter
{
    private (string Method, bool Lands)? _next;

    public void LoseNext(string method, bool lands = false)
    {
        lock (this)
        {
            _next = (method, lands);
        }
    }

    public async Task Invoke(IOutgoingGrainCallContext context)
    {
        if (Take(context.InterfaceMethod) is not { } lands)
        {
            await context.Invoke();
            return;
        }

        if (lands)
        {
            await context.Invoke();
        }

        throw new TimeoutException($"Injected by the test: the {context.InterfaceMethod.Name} call or its answer was lost.");
    }

    /// <summary>Whether this call is the one to lose (and then whether it lands), or null.</summary>
    private bool? Take(System.Reflection.MethodInfo method)
    {
        lock (this)
        {
            if (method.DeclaringType != typeof(IThreadFeedRelayGrain) || _next?.Method != method.Name)
            {
                return null;
            }

            var lands = _next.Value.Lands;
            _next = null;
            return lands;
        }
    }
}

[CollectionDefinition(Name)]
public sealed class UncheckedFeedsClusterCollection : ICollectionFixture<UncheckedFeedsClusterFixture>
{
    public const string Name = "cluster whose client checks its feeds only on demand";
}

/// <summary>The thread feeds through the Orleans stream API, with a relay that loses its subscriptions.</summary>
[Collection(UncheckedFeedsClusterCollection.Name)]
public sealed class ThreadFeedTests(UncheckedFeedsClusterFixture fixture)
{
    [Fact]
    public async Task A_relay_that_dropped_this_process_gets_its_subscriptions_again_at_the_next_check_and_its_observers_catch_up()
    {
        var (threadId, streamId, grain, watcher, consumer, relay) = await WatchedThenDropped();
        await using var _ = watcher;
        await Task.Delay(200);
        Assert.Single(watcher.Tokens(streamId));

        Assert.True(await consumer.Check());

        Assert.Equal(1, await relay.SubscriberCount(ThreadStreams.For(threadId)));
        Assert.IsType<ThreadFeedInterruptedException>(Assert.Single(watcher.Errors));
        await grain.Append("after");
        await Eventually.True(() => Task.FromResult(watcher.Tokens(streamId).Count == 2), because: "tokens flow again");
        Assert.Equal([(1L, "before"), (3L, "after")], watcher.Tokens(streamId));
    }

    [Fact]
    public async Task A_relay_whose_activation_goes_away_tells_its_subscribers_which_register_at_the_next_one_at_once()
    {
        var (threadId, _, streamId, grain) = await fixture.NewStream();
        await using var watcher = await ThreadWatcher.Subscribe(fixture.Client, threadId);
        await grain.Append("before");
        await Eventually.True(() => Task.FromResult(watcher.Tokens(streamId).Count == 1), because: "the first token arrives");

        // As when the relay's silo stops. The client's periodic check is an hour away; only the relay's notice can help.
        var relay = ThreadFeeds.Relay(fixture.Client, threadId);
        await relay.Cast<IGrainManagementExtension>().DeactivateOnIdle();
        await Eventually.True(() => Task.FromResult(watcher.Errors.Count == 1), timeout: TimeSpan.FromSeconds(3),
            because: "the subscriber registers at the new activation and catches up");

        Assert.Equal(1, await relay.SubscriberCount(ThreadStreams.For(threadId)));
        await grain.Append("after");
        await Eventually.True(() => Task.FromResult(watcher.Tokens(streamId).Count == 2), because: "tokens flow again");
        Assert.Equal([(1L, "before"), (2L, "after")], watcher.Tokens(streamId));
    }

    [Fact]
    public async Task A_relay_lets_go_of_a_process_that_is_gone_though_its_thread_stays_idle()
    {
        var threadId = await fixture.NewThread();
        var stream = ThreadStreams.For(threadId);
        var relay = ThreadFeeds.Relay(fixture.Client, threadId);
        // As when a gateway died: it never unsubscribes, and nothing is published on the thread.
        // The client holds an observer weakly: the test keeps it, or a collection would leave calls to it unanswered.
        var subscriber = new GoneSubscriber();
        var gateway = fixture.Client.CreateObjectReference<IThreadFeedSubscriber>(subscriber);
        try
        {
            await relay.Subscribe(gateway, [stream]);
            Assert.Equal(1, await relay.SubscriberCount(stream));

            await Eventually.True(async () => await relay.SubscriberCount(stream) == 0, timeout: TimeSpan.FromSeconds(5),
                because: "the relay's idle probe (every 0.5 s here) fails against the process that is gone");
        }
        finally
        {
            fixture.Client.DeleteObjectReference<IThreadFeedSubscriber>(gateway);
            GC.KeepAlive(subscriber);
        }
    }

    [Fact]
    public async Task A_relay_that_missed_the_last_unsubscribe_is_told_again_at_the_next_check()
    {
        var threadId = await fixture.NewThread();
        var stream = ThreadStreams.For(threadId);
        var relay = ThreadFeeds.Relay(fixture.Client, threadId);
        var watcher = await ThreadWatcher.Subscribe(fixture.Client, threadId);
        Assert.Equal(1, await relay.SubscriberCount(stream));

        fixture.LostRelayCalls.LoseNext(nameof(IThreadFeedRelayGrain.Unsubscribe));
        await Assert.ThrowsAsync<TimeoutException>(async () => await watcher.DisposeAsync());
        Assert.Equal(1, await relay.SubscriberCount(stream));

        var consumer = fixture.Client.ServiceProvider.GetRequiredService<ThreadFeedConsumer>();
        Assert.True(await consumer.Check());

        Assert.Equal(0, await relay.SubscriberCount(stream));
    }

    [Fact]
    public async Task A_reregistration_that_landed_but_whose_answer_was_lost_still_interrupts_the_observers()
    {
        var (threadId, _, _, watcher, consumer, relay) = await WatchedThenDropped();
        await using var _ = watcher;

        fixture.LostRelayCalls.LoseNext(nameof(IThreadFeedRelayGrain.Replace), lands: true);
        Assert.False(await consumer.Check());
        Assert.Equal(1, await relay.SubscriberCount(ThreadStreams.For(threadId)));
        Assert.True(await consumer.Check());

        // The relay holds the set again, but what it dropped meanwhile is only caught up through the interruption.
        Assert.IsType<ThreadFeedInterruptedException>(Assert.Single(watcher.Errors));
    }

    [Fact]
    public async Task A_subscribe_after_a_failed_one_at_the_same_relay_registers_the_whole_set_again()
    {
        var first = await fixture.NewThread();
        var (failed, second) = (OnRelayOf(first), OnRelayOf(first));
        var relay = ThreadFeeds.Relay(fixture.Client, first);
        var consumer = fixture.Client.ServiceProvider.GetRequiredService<ThreadFeedConsumer>();
        await using var watcher = await ThreadWatcher.Subscribe(fixture.Client, first);
        // The relay drops this process; then a subscribe lands there, but its answer is lost.
        await relay.Unsubscribe(consumer.Self, [ThreadStreams.For(first)]);
        fixture.LostRelayCalls.LoseNext(nameof(IThreadFeedRelayGrain.Subscribe), lands: true);
        await Assert.ThrowsAsync<TimeoutException>(() => ThreadWatcher.Subscribe(fixture.Client, failed));

        await using var other = await ThreadWatcher.Subscribe(fixture.Client, second);

        Assert.Equal((1, 0, 1), (await relay.SubscriberCount(ThreadStreams.For(first)), await relay.SubscriberCount(ThreadStreams.For(failed)),
            await relay.SubscriberCount(ThreadStreams.For(second))));
        await Eventually.True(() => Task.FromResult(watcher.Errors.Count == 1), because: "the first thread catches up what the relay dropped");
    }

    /// <summary>
    /// A watched stream whose first token arrived; then its relay forgets this process, as it does a subscriber whose
    /// deliveries keep failing, and a second token is appended that the relay does not deliver here.
    /// </summary>
    private async Task<(string ThreadId, string StreamId, IStreamGrain Grain, ThreadWatcher Watcher, ThreadFeedConsumer Consumer, IThreadFeedRelayGrain Relay)> WatchedThenDropped()
    {
        var (threadId, _, streamId, grain) = await fixture.NewStream();
        var watcher = await ThreadWatcher.Subscribe(fixture.Client, threadId);
        await grain.Append("before");
        await Eventually.True(() => Task.FromResult(watcher.Tokens(streamId).Count == 1), because: "the first token arrives");
        var consumer = fixture.Client.ServiceProvider.GetRequiredService<ThreadFeedConsumer>();
        var relay = ThreadFeeds.Relay(fixture.Client, threadId);
        await relay.Unsubscribe(consumer.Self, [ThreadStreams.For(threadId)]);
        await grain.Append("lost");
        return (threadId, streamId, grain, watcher, consumer, relay);
    }

    /// <summary>A fresh thread id whose feed goes through the same relay as <paramref name="threadId"/>'s.</summary>
    private string OnRelayOf(string threadId)
    {
        var map = fixture.Client.ServiceProvider.GetRequiredService<ThreadFeedRelayMap>();
        var key = map.KeyFor(ThreadStreams.For(threadId));
        while (true)
        {
            var candidate = "t-" + Guid.NewGuid().ToString("N");
            if (map.KeyFor(ThreadStreams.For(candidate)) == key)
            {
                return candidate;
            }
        }
    }

    [Fact]
    public async Task Rewinding_batch_observers_and_items_that_are_not_thread_events_are_refused_with_a_clear_error()
    {
        var stream = fixture.Client.GetStreamProvider(ThreadStreams.ProviderName).GetStream<ThreadEvent>(ThreadStreams.For("t-refused"));
        var untyped = fixture.Client.GetStreamProvider(ThreadStreams.ProviderName).GetStream<object>(ThreadStreams.For("t-refused"));

        var rewind = await Assert.ThrowsAsync<NotSupportedException>(() =>
            stream.SubscribeAsync(new IgnoringObserver(), new Orleans.Providers.Streams.Common.EventSequenceTokenV2(1)));
        Assert.Contains("not rewindable", rewind.Message);
        await Assert.ThrowsAsync<NotSupportedException>(() => stream.OnCompletedAsync());
        var notAnEvent = await Assert.ThrowsAsync<ArgumentException>(() => untyped.OnNextAsync("text"));
        Assert.Contains("got String", notAnEvent.Message);
        Assert.Empty(await stream.GetAllSubscriptionHandles());
    }

    /// <summary>As a process that died answers: not at all, so each call fails (here at once, not at the response timeout).</summary>
    private sealed class GoneSubscriber : IThreadFeedSubscriber
    {
        public Task Deliver(ThreadFeedDelivery delivery) => throw new InvalidOperationException("This process is gone.");
    }

    private sealed class IgnoringObserver : Orleans.Streams.IAsyncObserver<ThreadEvent>
    {
        public Task OnNextAsync(ThreadEvent item, Orleans.Streams.StreamSequenceToken? token = null) => Task.CompletedTask;

        public Task OnErrorAsync(Exception ex) => Task.CompletedTask;
    }
}
