using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using ReHome.Tests.Infrastructure;

namespace ReHome.Tests.Gateway;

/// <summary><c>CancelStream</c>: a viewer's stop, as the producer and every other viewer see it.</summary>
[Collection(GatewayCollection.Name)]
public sealed class CancelStreamTests(GatewayFixture gateway)
{
    [Fact]
    public async Task A_viewer_stops_a_stream_mid_answer_the_producer_gets_the_cancel_on_its_next_append_and_every_viewer_the_done_event()
    {
        var threadId = await gateway.NewThread("alice", "bob");
        await using var alice = await Viewer.Connect(gateway, "alice");
        await using var bob = await Viewer.Connect(gateway, "bob");
        await alice.Join(threadId);
        await bob.Join(threadId);
        var streamId = await gateway.Producer.StartStreamAsync(threadId, "run-" + Guid.NewGuid().ToString("N"));
        await gateway.Producer.StreamTokenAsync(streamId, "Once upon ");
        await gateway.Producer.StreamTokenAsync(streamId, "a time");

        var result = await Cancel(bob, streamId, "too long");

        Assert.Equal(new CancelStreamResult(streamId, true, "cancelled", "stopped by bob: too long"), result);
        var refused = await Assert.ThrowsAsync<StreamCancelledException>(() => gateway.Producer.StreamTokenAsync(streamId, ", there"));
        Assert.Equal("stopped by bob: too long", refused.Detail);
        foreach (var viewer in new[] { alice, bob })
        {
            var done = await viewer.WaitForDone(streamId);
            Assert.Equal(("cancelled", "stopped by bob: too long", 2L, "Once upon a time"), (done.Reason, done.Detail, done.Sequence, done.FullResponse));
        }
    }

    [Fact]
    public async Task Stopping_a_stream_that_has_ended_changes_nothing_and_says_how_it_ended()
    {
        var threadId = await gateway.NewThread("alice");
        await using var alice = await Viewer.Connect(gateway, "alice");
        var streamId = await gateway.Producer.StartStreamAsync(threadId, "run-" + Guid.NewGuid().ToString("N"));
        await gateway.Producer.StreamTokenAsync(streamId, "Done.");
        await gateway.Producer.EndStreamAsync(streamId);

        Assert.Equal(new CancelStreamResult(streamId, false, "completed", null), await Cancel(alice, streamId, null));
        Assert.False((await gateway.Grains.GetGrain<IStreamGrain>(streamId).GetInfo()).Reason is StreamEndReason.Cancelled);

        var stopped = await gateway.Producer.StartStreamAsync(threadId, "run-" + Guid.NewGuid().ToString("N"));
        Assert.True((await Cancel(alice, stopped, null)).Cancelled);
        Assert.Equal(new CancelStreamResult(stopped, false, "cancelled", "stopped by alice"), await Cancel(alice, stopped, "again"));
    }

    [Fact]
    public async Task Only_someone_who_may_watch_the_thread_can_stop_its_stream_and_bad_input_is_refused()
    {
        var threadId = await gateway.NewThread("alice");
        await using var mallory = await Viewer.Connect(gateway, "mallory");
        await using var alice = await Viewer.Connect(gateway, "alice");
        var streamId = await gateway.Producer.StartStreamAsync(threadId, "run-" + Guid.NewGuid().ToString("N"));

        Assert.StartsWith("forbidden", await Refusal(mallory, streamId, null));
        Assert.StartsWith("invalid_request", await Refusal(alice, streamId, new string('x', 501)));
        Assert.StartsWith("invalid_request", await Refusal(alice, "not an id", null));
        Assert.StartsWith("stream_not_found", await Refusal(alice, "s-" + Guid.NewGuid().ToString("N"), null));
        Assert.False((await gateway.Grains.GetGrain<IStreamGrain>(streamId).GetInfo()).Done);
    }

    private static Task<CancelStreamResult> Cancel(Viewer viewer, string streamId, string? reason) =>
        viewer.Connection.InvokeAsync<CancelStreamResult>(HubContract.CancelStream, streamId, reason);

    private static async Task<string> Refusal(Viewer viewer, string streamId, string? reason) =>
        Viewer.ServerMessage(await Assert.ThrowsAsync<HubException>(() => Cancel(viewer, streamId, reason)));
}
