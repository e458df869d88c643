using Microsoft.Extensions.DependencyInjection;
using ReHome.Feed;
using ReHome.Tests.Infrastructure;

namespace ReHome.Tests.Gateway;

/// <summary>
/// A gateway whose relay check runs only when woken, which probes silent streams every half second, and whose
/// thread grains can be made to fail listing their streams (<see cref="FailListing"/>), as when one of a thread's
/// stream grains cannot be read back during a Redis outage.
/// </summary>
public sealed class FailingListingGatewayFixture : GatewayFixture
{
    private readonly FailingThreadListing _listing = new();

    protected override Dictionary<string, string?> Settings => new()
    {
        ["Gateway:SubscriptionCheckInterval"] = "01:00:00",
        ["Gateway:SilentStreamProbe"] = "00:00:00.500",
    };

    /// <summary>From now on the thread's <c>GetStreams</c> fails, as a call the cluster did not answer.</summary>
    public void FailListing(string threadId) => _listing.FailFromNow(threadId);

    protected override void ConfigureServices(IServiceCollection services) => services.AddSingleton<IIncomingGrainCallFilter>(_listing);
}

public sealed class FailedCatchUpTests(FailingListingGatewayFixture gateway) : IClassFixture<FailingListingGatewayFixture>
{
    [Fact]
    public async Task A_catch_up_that_keeps_failing_does_not_stop_the_probe_from_finding_a_silent_streams_lost_end()
    {
        var threadId = await gateway.NewThread("alice");
        await using var viewer = await Viewer.Connect(gateway, "alice");
        await viewer.Join(threadId);
        var streamId = await gateway.Producer.StartStreamAsync(threadId, "run-" + Guid.NewGuid().ToString("N"));
        var sent = Enumerable.Range(1, 5).Select(i => $"t{i} ").ToList();
        foreach (var token in sent[..3])
        {
            await gateway.Producer.StreamTokenAsync(streamId, token);
        }

        await Eventually.True(() => Task.FromResult(viewer.Tokens(streamId).Count == 3));

        // The relay forgets the gateway; the rest of the stream and its end go to no one.
        var consumer = gateway.Services.GetRequiredService<ThreadFeedConsumer>();
        var relay = ThreadFeeds.Relay(gateway.Services.GetRequiredService<IClusterClient>(), threadId);
        await relay.Unsubscribe(consumer.Self, [ThreadStreams.For(threadId)]);
        foreach (var token in sent[3..])
        {
            await gateway.Producer.StreamTokenAsync(streamId, token);
        }

        await gateway.Producer.EndStreamAsync(streamId, string.Concat(sent));

        // Registered again, the thread owes a catch-up that cannot list its streams; the stream's own grain answers.
        gateway.FailListing(threadId);
        consumer.CheckSoon();

        var done = await viewer.WaitForDone(streamId, TimeSpan.FromSeconds(15));
        Assert.Equal(string.Concat(sent), done.FullResponse);
        Assert.Equal(sent, viewer.Tokens(streamId).Select(m => m.Token));
        Assert.Equal(1, await relay.SubscriberCount(ThreadStreams.For(threadId)));
    }

    [Fact]
    public async Task A_join_whose_stream_list_failed_leaves_the_thread_again()
    {
        var threadId = await gateway.NewThread("alice", "bob");
        await using var alice = await Viewer.Connect(gateway, "alice");
        await alice.Join(threadId);

        // The thread's channel is live on this gateway, so bob's join subscribes at once; only its list fails.
        gateway.FailListing(threadId);
        await using var bob = await Viewer.Connect(gateway, "bob");
        var refused = await Assert.ThrowsAsync<Microsoft.AspNetCore.SignalR.HubException>(() => bob.Join(threadId));
        Assert.StartsWith("unavailable", Viewer.ServerMessage(refused));

        var streamId = await gateway.Producer.StartStreamAsync(threadId, "run-" + Guid.NewGuid().ToString("N"));
        await gateway.Producer.StreamTokenAsync(streamId, "hello");
        await Eventually.True(() => Task.FromResult(alice.Tokens(streamId).Count == 1), because: "alice, who joined, gets the token");
        // Fan-out writes to every member of the thread in the same pass; give a straggler time anyway.
        await Task.Delay(300);
        Assert.Empty(bob.Received);
    }
}
