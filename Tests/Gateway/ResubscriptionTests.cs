using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using ReHome.Feed;
using ReHome.Tests.Infrastructure;

namespace ReHome.Tests.Gateway;

/// <summary>
/// A gateway whose periodic subscription check waits an hour and which never probes silent streams, so only
/// registering again at the relay can bring a dropped thread back, and only when a test wakes the check
/// (<see cref="ThreadFeedConsumer.CheckSoon"/>): what the relay dropped is then certain to have gone to no one.
/// </summary>
public sealed class ManualCheckGatewayFixture : GatewayFixture
{
    protected override Dictionary<string, string?> Settings => new()
    {
        ["Gateway:SubscriptionCheckInterval"] = "01:00:00",
        ["Gateway:SilentStreamProbe"] = "01:00:00",
    };
}

[CollectionDefinition(Name)]
public sealed class ManualCheckGatewayCollection : ICollectionFixture<ManualCheckGatewayFixture>
{
    public const string Name = "gateway whose subscription check runs when woken";
}

[Collection(ManualCheckGatewayCollection.Name)]
public sealed class ResubscriptionTests(ManualCheckGatewayFixture gateway)
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
        await relay.Unsubscribe(Consumer.Self, [ThreadStreams.For(threadId)]);
        Assert.Equal(0, await relay.SubscriberCount(ThreadStreams.For(threadId)));

        foreach (var token in sent[10..])
        {
            await gateway.Producer.StreamTokenAsync(streamId, token);
        }

        await gateway.Producer.EndStreamAsync(streamId, string.Concat(sent));
        Consumer.CheckSoon();

        var done = await viewer.WaitForDone(streamId, TimeSpan.FromSeconds(20));
        Assert.Equal(string.Concat(sent), done.FullResponse);
        Assert.Equal(Enumerable.Range(1, 30).Select(i => (long)i), viewer.Tokens(streamId).Select(m => m.Sequence));
        Assert.Equal(sent, viewer.Tokens(streamId).Select(m => m.Token));
        Assert.Equal(1, await relay.SubscriberCount(ThreadStreams.For(threadId)));
    }

    [Fact]
    public async Task A_stream_that_started_and_ended_while_the_relay_had_dropped_the_gateway_reaches_its_viewer_whole()
    {
        var threadId = await gateway.NewThread("alice");
        await using var viewer = await Viewer.Connect(gateway, "alice");
        await viewer.Join(threadId);
        var relay = ThreadFeeds.Relay(gateway.Services.GetRequiredService<IClusterClient>(), threadId);
        await relay.Unsubscribe(Consumer.Self, [ThreadStreams.For(threadId)]);

        // The whole stream goes to no one: no event of it reaches the gateway, and nothing probes it.
        var streamId = await gateway.Producer.StartStreamAsync(threadId, "run-" + Guid.NewGuid().ToString("N"));
        var sent = Enumerable.Range(1, 5).Select(i => $"u{i} ").ToList();
        foreach (var token in sent)
        {
            await gateway.Producer.StreamTokenAsync(streamId, token);
        }

        await gateway.Producer.EndStreamAsync(streamId, string.Concat(sent));
        Assert.Empty(viewer.Tokens(streamId));
        Consumer.CheckSoon();

        var done = await viewer.WaitForDone(streamId, TimeSpan.FromSeconds(20));
        Assert.Equal(string.Concat(sent), done.FullResponse);
        Assert.Equal(sent, viewer.Tokens(streamId).Select(m => m.Token));
        Assert.Equal(Enumerable.Range(1, 5).Select(i => (long)i), viewer.Tokens(streamId).Select(m => m.Sequence));
    }

    [Fact]
    public async Task A_revocation_published_while_the_relay_had_dropped_the_gateway_is_applied_when_it_catches_up()
    {
        var threadId = await gateway.NewThread("alice", "bob");
        await using var bob = await Viewer.Connect(gateway, "bob");
        var revoked = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        bob.Connection.On<RevokedMessage>(HubContract.RevokedEvent, m => revoked.TrySetResult(m.ThreadId));
        await bob.Join(threadId);
        var relay = ThreadFeeds.Relay(gateway.Services.GetRequiredService<IClusterClient>(), threadId);
        await relay.Unsubscribe(Consumer.Self, [ThreadStreams.For(threadId)]);

        // The access change's event goes to no one.
        await gateway.Grains.GetGrain<IThreadGrain>(threadId).Configure(new ThreadAccess(null, null, "alice", []));
        Assert.False(revoked.Task.IsCompleted);
        Consumer.CheckSoon();

        Assert.Equal(threadId, await revoked.Task.WaitAsync(TimeSpan.FromSeconds(20)));
    }

    [Fact]
    public async Task A_rejoin_refused_after_a_revocation_this_gateway_missed_takes_the_connection_out_of_the_thread()
    {
        var threadId = await gateway.NewThread("alice", "bob");
        await using var bob = await Viewer.Connect(gateway, "bob");
        await bob.Join(threadId);
        var relay = ThreadFeeds.Relay(gateway.Services.GetRequiredService<IClusterClient>(), threadId);
        await relay.Unsubscribe(Consumer.Self, [ThreadStreams.For(threadId)]);
        await gateway.Grains.GetGrain<IThreadGrain>(threadId).Configure(new ThreadAccess(null, null, "alice", []));
        var fanout = gateway.Services.GetRequiredService<ReHome.Gateway.Fanout.ThreadFanout>();
        Assert.True(fanout.ViewerOf(bob.Connection.ConnectionId!)!.IsMember(threadId));

        var refused = await Assert.ThrowsAsync<HubException>(() => bob.Join(threadId));

        Assert.StartsWith("forbidden", Viewer.ServerMessage(refused));
        Assert.False(fanout.ViewerOf(bob.Connection.ConnectionId!)!.IsMember(threadId));
    }

    private ThreadFeedConsumer Consumer => gateway.Services.GetRequiredService<ThreadFeedConsumer>();
}
