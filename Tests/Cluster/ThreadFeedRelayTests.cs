using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Runtime;
using ReHome.Feed;
using ReHome.Tests.Infrastructure;

namespace ReHome.Tests.Cluster;

/// <summary>
/// A relay as its grain and the streams of its silo use it, delivering to real subscriber references of a cluster
/// client: batching across threads, independence of subscribers, bounded memory for a stalled one, and what it
/// forgets.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ThreadFeedRelayTests(ClusterFixture fixture) : IDisposable
{
    private static readonly StreamId First = ThreadStreams.For("relay-a");
    private static readonly StreamId Second = ThreadStreams.For("relay-b");
    private static readonly StreamId Third = ThreadStreams.For("relay-c");

    private readonly List<IThreadFeedSubscriber> _references = [];

    [Fact]
    public async Task Entries_of_several_threads_published_during_a_delivery_go_together_in_the_next_one()
    {
        var relay = NewRelay();
        var gateway = new Subscriber();
        var release = gateway.HoldFirstDelivery();
        relay.Subscribe(Reference(gateway), [First, Second, Third]);

        relay.TryPublish([Entry(First, "a")]);
        await Eventually.True(() => Task.FromResult(gateway.Deliveries.Count == 1), because: "the lone entry goes at once");
        relay.TryPublish([Entry(Second, "b")]);
        relay.TryPublish([Entry(ThreadStreams.For("relay-unsubscribed"), "x")]);
        relay.TryPublish([Entry(Third, "c"), Entry(First, "d")]);
        release.SetResult();

        await Eventually.True(() => Task.FromResult(gateway.Deliveries.Count == 2), because: "what queued meanwhile goes in one call");
        var second = gateway.Deliveries.ElementAt(1);
        Assert.Equal(["b", "c", "d"], Texts(second));
        Assert.Equal([Second, Third, First], second.Entries.Select(e => e.StreamId));
        Assert.Empty(second.Lost);
        await Task.Delay(100);
        Assert.Equal(2, gateway.Deliveries.Count);
    }

    [Fact]
    public async Task A_subscriber_whose_deliveries_keep_failing_is_dropped_and_holds_up_no_other()
    {
        var relay = NewRelay();
        var failing = new Subscriber { Fail = true };
        var healthy = new Subscriber();
        var failingReference = Reference(failing);
        var epoch = relay.Subscribe(failingReference, [First]);
        relay.Subscribe(Reference(healthy), [First]);

        for (var i = 1; i <= 5; i++)
        {
            relay.TryPublish([Entry(First, $"t{i}")]);
        }

        await Eventually.True(() => Task.FromResult(healthy.Texts().Count == 5), because: "the healthy subscriber gets every entry");
        Assert.Equal(["t1", "t2", "t3", "t4", "t5"], healthy.Texts());
        await Eventually.True(() => Task.FromResult(!relay.Knows(failingReference, epoch, 1)),
            because: $"the relay drops a subscriber after {new ThreadFeedOptions().MaxFailedDeliveries} failed deliveries in a row");
        Assert.Equal(1, relay.SubscriberCount(First));
        Assert.Equal(new ThreadFeedOptions().MaxFailedDeliveries, failing.Deliveries.Count);
    }

    [Fact]
    public async Task A_stalled_subscriber_past_its_limit_gets_the_streams_it_missed_marked_lost_and_the_others_get_everything()
    {
        var relay = NewRelay(new ThreadFeedOptions { MaxPendingPerSubscriber = 2 });
        var stalled = new Subscriber();
        var release = stalled.HoldFirstDelivery();
        var healthy = new Subscriber();
        relay.Subscribe(Reference(stalled), [First, Second]);
        relay.Subscribe(Reference(healthy), [First, Second]);

        relay.TryPublish([Entry(First, "a")]);
        await Eventually.True(() => Task.FromResult(stalled.Deliveries.Count == 1), because: "the first delivery is in flight");
        foreach (var (stream, text, count) in new[] { (First, "b", 2), (First, "c", 3), (Second, "d", 4) })
        {
            // One at a time, so the healthy subscriber never has more than one pending.
            relay.TryPublish([Entry(stream, text)]);
            await Eventually.True(() => Task.FromResult(healthy.Texts().Count == count), because: "the healthy subscriber is not held up");
        }

        release.SetResult();

        await Eventually.True(() => Task.FromResult(stalled.Deliveries.Count == 2), because: "the held entries follow");
        var next = stalled.Deliveries.ElementAt(1);
        Assert.Equal(["b", "c"], Texts(next));
        Assert.Equal([Second], next.Lost);
        Assert.Equal(["a", "b", "c", "d"], healthy.Texts());
    }

    [Fact]
    public async Task A_subscriber_with_no_stream_left_is_forgotten_and_a_closing_relay_says_so_knows_nobody_and_refuses_entries()
    {
        var relay = NewRelay();
        var subscriber = new Subscriber();
        var gateway = Reference(subscriber);
        var epoch = relay.Subscribe(gateway, [First, Second]);
        Assert.True(relay.Knows(gateway, epoch, 2));
        Assert.False(relay.Knows(gateway, Guid.NewGuid(), 2));
        Assert.False(relay.Knows(gateway, epoch, 1));

        relay.Unsubscribe(gateway, [First]);
        Assert.True(relay.Knows(gateway, epoch, 1));
        Assert.Equal((0, 1), (relay.SubscriberCount(First), relay.SubscriberCount(Second)));
        relay.Unsubscribe(gateway, [Second]);
        Assert.False(relay.Knows(gateway, epoch, 0));

        Assert.Equal(epoch, relay.Replace(gateway, [First, Third]));
        relay.Replace(gateway, [Third]);
        Assert.Equal((0, 1), (relay.SubscriberCount(First), relay.SubscriberCount(Third)));
        Assert.True(relay.Knows(gateway, epoch, 1));

        relay.Close();
        var last = await Eventually.Get(() => Task.FromResult(subscriber.Deliveries.LastOrDefault()), d => d is not null,
            because: "a closing relay tells its subscribers");
        Assert.Equal(("test/0", 0), (last!.ClosingRelay, last.Entries.Length));
        Assert.False(relay.Knows(gateway, epoch, 1));
        Assert.False(relay.TryPublish([Entry(First, "late")]));
        Assert.Throws<ObjectDisposedException>(() => relay.Subscribe(gateway, [First]));
    }

    [Fact]
    public async Task The_idle_probe_drops_a_subscriber_whose_process_is_gone_and_calls_only_those_that_were_quiet()
    {
        var relay = NewRelay();
        // As a process that died answers: not at all, so each call fails (here at once, not at the response timeout).
        var gone = new Subscriber { Fail = true };
        var quiet = new Subscriber();
        var checking = new Subscriber();
        var checkingReference = Reference(checking);
        relay.Subscribe(Reference(gone), [First]);
        relay.Subscribe(Reference(quiet), [Second]);
        var epoch = relay.Subscribe(checkingReference, [Third]);

        // Each just subscribed: the first probe only starts the period.
        relay.ProbeIdle();
        await Task.Delay(100);
        Assert.Empty(gone.Deliveries);

        // Nothing is published that would reach the process that is gone; the third checks, as a live gateway does.
        Assert.True(relay.Knows(checkingReference, epoch, 1));
        relay.ProbeIdle();

        await Eventually.True(() => Task.FromResult(relay.SubscriberCount(First) == 0),
            because: "the probe to the process that is gone fails, and the relay lets go of its subscriptions");
        Assert.Single(gone.Deliveries); // dropped at the first failed probe, not after retries
        await Eventually.True(() => Task.FromResult(!quiet.Deliveries.IsEmpty), because: "the quiet subscriber is probed too");
        var probe = Assert.Single(quiet.Deliveries);
        Assert.Equal((0, 0, null), (probe.Entries.Length, probe.Lost.Length, probe.ClosingRelay));
        Assert.Empty(checking.Deliveries);
        Assert.Equal((1, 1), (relay.SubscriberCount(Second), relay.SubscriberCount(Third)));
    }

    public void Dispose()
    {
        foreach (var reference in _references)
        {
            fixture.Client.DeleteObjectReference<IThreadFeedSubscriber>(reference);
        }
    }

    private ThreadFeedRelay NewRelay(ThreadFeedOptions? options = null) =>
        new("test/0", options ?? new ThreadFeedOptions(), fixture.Client.ServiceProvider.GetRequiredService<ThreadFeedMetrics>(), TimeProvider.System,
            NullLogger.Instance);

    private IThreadFeedSubscriber Reference(Subscriber subscriber)
    {
        var reference = fixture.Client.CreateObjectReference<IThreadFeedSubscriber>(subscriber);
        _references.Add(reference);
        return reference;
    }

    private static ThreadFeedEntry Entry(StreamId stream, string text) =>
        new(stream, [new TokensAppended(stream.GetKeyAsString(), "r", "s", 1, [text], DateTime.UtcNow)]);

    private static List<string> Texts(ThreadFeedDelivery delivery) =>
        [.. delivery.Entries.SelectMany(e => e.Events).Cast<TokensAppended>().SelectMany(t => t.Tokens)];

    private sealed class Subscriber : IThreadFeedSubscriber
    {
        private TaskCompletionSource? _holdFirst;

        public ConcurrentQueue<ThreadFeedDelivery> Deliveries { get; } = new();

        public bool Fail { get; init; }

        public TaskCompletionSource HoldFirstDelivery() => _holdFirst = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public List<string> Texts() => [.. Deliveries.SelectMany(ThreadFeedRelayTests.Texts)];

        public async Task Deliver(ThreadFeedDelivery delivery)
        {
            Deliveries.Enqueue(delivery);
            if (Deliveries.Count == 1 && _holdFirst is { } hold)
            {
                await hold.Task;
            }

            if (Fail)
            {
                throw new InvalidOperationException("This subscriber refuses every delivery.");
            }
        }
    }
}
