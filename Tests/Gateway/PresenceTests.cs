using System.Collections.Concurrent;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using ReHome.Tests.Infrastructure;

namespace ReHome.Tests.Gateway;

/// <summary>Presence on one gateway: who watches a thread, each user once, on join, leave and disconnect.</summary>
[Collection(GatewayCollection.Name)]
public sealed class PresenceTests(GatewayFixture gateway)
{
    [Fact]
    public async Task A_user_with_three_tabs_counts_once_and_drops_out_when_the_last_tab_closes()
    {
        var threadId = await gateway.NewThread("alice", "bob");
        await using var bob = await Tab.Open(gateway, "bob", threadId);
        await bob.WaitFor(["bob"]);

        var alices = new List<Tab>();
        for (var i = 0; i < 3; i++)
        {
            alices.Add(await Tab.Open(gateway, "alice", threadId));
        }

        await bob.WaitFor(["alice", "bob"]);
        foreach (var tab in alices)
        {
            // A tab that joined gets the current presence at once, though its own join changed nothing.
            await tab.WaitFor(["alice", "bob"]);
        }

        Assert.Equal(["alice", "bob"], (await bob.Get(threadId)).UserIds);

        await alices[0].DisposeAsync();
        // The gateway handles a close after the client returns: wait until it has, or a presence that wrongly lost
        // alice would not have been asked yet.
        var fanout = gateway.Services.GetRequiredService<ReHome.Gateway.Fanout.ThreadFanout>();
        await Eventually.True(() => Task.FromResult(fanout.Viewers.Count(v => v.UserId == "alice") == 2), because: "the gateway handled the closed tab");
        await alices[1].Connection.InvokeAsync(HubContract.LeaveThread, threadId);
        Assert.Equal(2, (await bob.Get(threadId)).Count);

        await alices[2].DisposeAsync();
        await bob.WaitFor(["bob"]);
        Assert.Equal(1, (await bob.Get(threadId)).Count);
        await alices[1].DisposeAsync();
    }

    [Fact]
    public async Task A_user_who_loses_access_drops_out_of_presence_though_the_tab_stays_open()
    {
        var threadId = await gateway.NewThread("alice", "bob");
        await using var alice = await Tab.Open(gateway, "alice", threadId);
        await using var bob = await Tab.Open(gateway, "bob", threadId);
        await alice.WaitFor(["alice", "bob"]);

        await gateway.Producer.ConfigureThreadAsync(threadId, new ThreadAccess(null, null, "alice", []));

        await alice.WaitFor(["alice"]);
        Assert.Equal(["alice"], (await alice.Get(threadId)).UserIds);
    }

    [Fact]
    public async Task A_join_refused_because_the_user_lost_access_ends_their_presence_though_the_gateway_missed_the_removal()
    {
        var threadId = await gateway.NewThread("alice", "bob");
        await using var bob = await Viewer.Connect(gateway, "bob");
        await bob.Join(threadId);
        var watchers = gateway.Services.GetRequiredService<ReHome.Gateway.Presence.LocalWatchers>();
        Assert.Equal(["bob"], watchers.Users(threadId));

        await ThreadFeeds.Forget(gateway.Services, threadId);
        await gateway.Producer.ConfigureThreadAsync(threadId, new ThreadAccess(null, null, "alice", []));
        // The page joins again (a reconnect, say): the check refuses it and takes the connection out of the thread.
        var refused = await Assert.ThrowsAsync<HubException>(() => bob.Join(threadId));

        Assert.StartsWith("forbidden", Viewer.ServerMessage(refused));
        Assert.Empty(watchers.Users(threadId));
    }

    [Fact]
    public async Task A_connection_owed_presence_gets_the_newest_forwarded_not_an_older_answer_that_arrives_after_it()
    {
        var threadId = await gateway.NewThread("alice");
        await using var alice = await Tab.Open(gateway, "alice", threadId);
        await alice.WaitFor(["alice"]);
        var relay = gateway.Services.GetRequiredService<ReHome.Gateway.Presence.PresenceRelay>();
        var current = await alice.Get(threadId);

        // A change goes out to the thread's watchers; then the connection is owed presence (it joined again), and the
        // answer that comes was computed before that change.
        relay.Offer(new PresenceSnapshot(threadId, current.Version + 2, ["alice", "zed"]));
        await alice.WaitFor(["alice", "zed"]);
        var received = alice.Received;
        relay.Owe(threadId, alice.Connection.ConnectionId!);
        relay.Offer(new PresenceSnapshot(threadId, current.Version + 1, ["alice"]));

        await Eventually.True(() => Task.FromResult(alice.Received > received), because: "the owed connection is sent presence");
        await alice.WaitFor(["alice", "zed"]);
    }

    [Fact]
    public async Task Presence_is_only_for_those_who_may_watch_the_thread()
    {
        var threadId = await gateway.NewThread("alice");
        await using var mallory = await Viewer.Connect(gateway, "mallory");

        var error = await Assert.ThrowsAsync<HubException>(() => mallory.Connection.InvokeAsync<PresenceMessage>(HubContract.GetPresence, threadId));

        Assert.StartsWith("forbidden", Viewer.ServerMessage(error));
    }

    /// <summary>A browser tab: a connection that joined the thread and records every presence event.</summary>
    private sealed class Tab : IAsyncDisposable
    {
        private readonly ConcurrentQueue<PresenceMessage> _events = new();

        private Tab(HubConnection connection) => Connection = connection;

        public HubConnection Connection { get; }

        public static async Task<Tab> Open(GatewayFixture gateway, string userId, string threadId)
        {
            var tab = new Tab(gateway.Connection(userId));
            tab.Connection.On<PresenceMessage>(HubContract.PresenceEvent, tab._events.Enqueue);
            await tab.Connection.StartAsync();
            await tab.Connection.InvokeAsync<ThreadStream[]>(HubContract.JoinThread, threadId);
            return tab;
        }

        /// <summary>How many presence events the tab has been sent.</summary>
        public int Received => _events.Count;

        public Task<PresenceMessage> Get(string threadId) => Connection.InvokeAsync<PresenceMessage>(HubContract.GetPresence, threadId);

        public Task WaitFor(string[] users) => Eventually.True(
            () => Task.FromResult(_events.LastOrDefault() is { } last && last.UserIds.SequenceEqual(users) && last.Count == users.Length),
            because: $"the last presence event lists {string.Join(", ", users)}; got {string.Join(" | ", _events.Select(e => string.Join(",", e.UserIds)))}");

        public async ValueTask DisposeAsync() => await Connection.DisposeAsync();
    }
}
