using Microsoft.AspNetCore.SignalR.Client;
using ReHome.Tests.Infrastructure;

namespace ReHome.Tests.Gateway;

[Collection(GatewayCollection.Name)]
public sealed class FanoutTests(GatewayFixture gateway)
{
    [Fact]
    public async Task One_subscription_per_thread_taken_on_first_join_and_dropped_after_the_last_leave_or_disconnect()
    {
        var threadId = await gateway.NewThread("alice", "bob");
        await using var alice = await Viewer.Connect(gateway, "alice");
        await using var bob = await Viewer.Connect(gateway, "bob");

        Assert.Equal(0, await gateway.SubscriptionCount(threadId));
        await alice.Join(threadId);
        await bob.Join(threadId);
        await alice.Join(threadId);
        Assert.Equal(1, await gateway.SubscriptionCount(threadId));

        await alice.Connection.InvokeAsync(HubContract.LeaveThread, threadId);
        Assert.Equal(1, await gateway.SubscriptionCount(threadId));

        // Bob still gets the thread after Alice left.
        var streamId = await gateway.Producer.StartStreamAsync(threadId, "run-" + Guid.NewGuid().ToString("N"));
        await gateway.Producer.StreamTokenAsync(streamId, "still here");
        await gateway.Producer.EndStreamAsync(streamId);
        await bob.WaitForDone(streamId);
        Assert.Null(alice.Done(streamId));

        await bob.Connection.StopAsync();
        await Eventually.True(async () => await gateway.SubscriptionCount(threadId) == 0, because: "the last disconnect releases the subscription");
    }
}
