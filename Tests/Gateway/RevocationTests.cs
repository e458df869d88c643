using System.Collections.Concurrent;
using System.Net.Http.Json;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using ReHome.Tests.Infrastructure;

namespace ReHome.Tests.Gateway;

/// <summary>A member removed from a thread's access list: told, taken out of the thread, sent nothing more of it.</summary>
[Collection(GatewayCollection.Name)]
public sealed class RevocationTests(GatewayFixture gateway)
{
    [Fact]
    public async Task A_removed_member_is_told_leaves_the_thread_and_gets_nothing_more_while_the_others_continue()
    {
        var threadId = await gateway.NewThread("alice", "bob");
        await using var alice = await Viewer.Connect(gateway, "alice");
        await using var bob = await Viewer.Connect(gateway, "bob");
        var revoked = Revocations(bob);
        await alice.Join(threadId);
        await bob.Join(threadId);
        var streamId = await gateway.Producer.StartStreamAsync(threadId, "run-" + Guid.NewGuid().ToString("N"));
        await gateway.Producer.StreamTokenAsync(streamId, "before ");
        await Eventually.True(() => Task.FromResult(bob.Tokens(streamId).Count == 1 && alice.Tokens(streamId).Count == 1));

        await Configure(threadId, "alice");

        await Eventually.True(() => Task.FromResult(revoked.Contains(threadId)), TimeSpan.FromSeconds(5), "bob was told");
        var bobHad = bob.Received.Count;
        await gateway.Producer.StreamTokenAsync(streamId, "after");
        await gateway.Producer.EndStreamAsync(streamId);
        await alice.WaitForDone(streamId);
        Assert.Equal(["before ", "after"], alice.Tokens(streamId).Select(m => m.Token));
        Assert.Equal(bobHad, bob.Received.Count);
        Assert.Equal([threadId], revoked);

        // And the door stays shut.
        var join = await Assert.ThrowsAsync<HubException>(() => bob.Join(threadId));
        Assert.StartsWith("forbidden", Viewer.ServerMessage(join));
        var tokens = await Assert.ThrowsAsync<HubException>(() => bob.GetTokens(streamId, 0));
        Assert.StartsWith("stream_not_found", Viewer.ServerMessage(tokens));
    }

    [Fact]
    public async Task Every_connection_of_the_removed_user_leaves_and_the_last_viewer_leaving_releases_the_subscription()
    {
        var threadId = await gateway.NewThread("alice", "bob");
        await using var tab1 = await Viewer.Connect(gateway, "bob");
        await using var tab2 = await Viewer.Connect(gateway, "bob");
        var revoked1 = Revocations(tab1);
        var revoked2 = Revocations(tab2);
        await tab1.Join(threadId);
        await tab2.Join(threadId);
        Assert.Equal(1, await gateway.SubscriptionCount(threadId));

        await Configure(threadId, "alice");

        await Eventually.True(() => Task.FromResult(revoked1.Contains(threadId) && revoked2.Contains(threadId)), TimeSpan.FromSeconds(5));
        await Eventually.True(async () => await gateway.SubscriptionCount(threadId) == 0, because: "nobody on this gateway watches the thread any more");
    }

    [Fact]
    public async Task A_change_that_removes_no_one_tells_no_one()
    {
        var threadId = await gateway.NewThread("alice", "bob");
        await using var bob = await Viewer.Connect(gateway, "bob");
        var revoked = Revocations(bob);
        await bob.Join(threadId);

        await Configure(threadId, "alice", "bob", "carol");
        var streamId = await gateway.Producer.StartStreamAsync(threadId, "run-" + Guid.NewGuid().ToString("N"));
        await gateway.Producer.StreamTokenAsync(streamId, "still here");
        await gateway.Producer.EndStreamAsync(streamId);

        await bob.WaitForDone(streamId);
        Assert.Empty(revoked);
    }

    private async Task Configure(string threadId, string owner, params string[] members)
    {
        using var http = gateway.ServiceClient();
        var response = await http.PutAsJsonAsync($"/api/v1/threads/{threadId}", new { ownerUserId = owner, memberUserIds = members });
        response.EnsureSuccessStatusCode();
    }

    private static ConcurrentQueue<string> Revocations(Viewer viewer)
    {
        var revoked = new ConcurrentQueue<string>();
        viewer.Connection.On<RevokedMessage>(HubContract.RevokedEvent, m => revoked.Enqueue(m.ThreadId));
        return revoked;
    }
}
