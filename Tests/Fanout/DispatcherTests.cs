using Microsoft.Extensions.Logging.Abstractions;
using ReHome.Gateway.Fanout;
using ReHome.Tests.Infrastructure;
using Viewer = ReHome.Gateway.Fanout.Viewer;

namespace ReHome.Tests.Fanout;

/// <summary>A thread's dispatcher with connections that keep up and one that does not.</summary>
public sealed class DispatcherTests
{
    [Fact]
    public async Task A_stalled_connection_does_not_hold_up_the_others_of_its_thread()
    {
        var metrics = ViewerTests.Metrics();
        var dispatcher = new ThreadDispatcher("t", metrics, TimeProvider.System);
        var stalled = new FakeTransport { Stall = true };
        var healthy = new FakeTransport();
        dispatcher.Add(Viewer(stalled, metrics));
        dispatcher.Add(Viewer(healthy, metrics));

        // In rounds, each handed out before the next arrives: 20 batches.
        for (var round = 0; round < 20; round++)
        {
            dispatcher.Forward(new TokensAppended("t", "r", "s", (round * 10) + 1, [.. Enumerable.Range((round * 10) + 1, 10).Select(FakeHistory.Token)], DateTime.UtcNow), skip: 0);
            await Eventually.True(() => Task.FromResult(healthy.Sequences.Count() == (round + 1) * 10));
        }

        Assert.Equal(Enumerable.Range(1, 200).Select(i => (long)i), healthy.Sequences);

        // The stalled one holds one write and a bounded queue; the rest was cut.
        Assert.Single(stalled.Written);
        var lastWritten = stalled.Sequences.Last();
        stalled.Release();
        await Eventually.True(() => Task.FromResult(stalled.Written.OfType<BehindMessage>().Any()));
        Assert.Equal(new BehindMessage("t", "s", lastWritten), stalled.Written.OfType<BehindMessage>().Single());
    }

    [Fact]
    public async Task A_lone_message_goes_alone_and_messages_that_queue_meanwhile_go_together_in_order()
    {
        var metrics = ViewerTests.Metrics();
        var dispatcher = new ThreadDispatcher("t", metrics, TimeProvider.System);
        var socket = new FakeTransport();
        dispatcher.Add(Viewer(socket, metrics));

        dispatcher.Forward([new TokenMessage("t", "r", "s", 1, "a", false, null, null, null)]);
        await Eventually.True(() => Task.FromResult(socket.Written.Count == 1));
        Assert.Single(((OutboundBatch)socket.Written[0]).Messages);

        for (var i = 2; i <= 500; i++)
        {
            dispatcher.Forward([new TokenMessage("t", "r", "s", i, "a", false, null, null, null)]);
        }

        await Eventually.True(() => Task.FromResult(socket.Sequences.Count() == 500));
        Assert.Equal(Enumerable.Range(1, 500).Select(i => (long)i), socket.Sequences);
        Assert.True(socket.Written.Count < 500, "messages that queued during a dispatch went out together");
    }

    private static Viewer Viewer(FakeTransport transport, ReHome.Gateway.Telemetry.GatewayMetrics metrics)
    {
        var viewer = new Viewer(Guid.NewGuid().ToString("N"), "u", transport, queueLimit: 8, metrics, TimeProvider.System, NullLogger.Instance);
        viewer.TryJoin("t");
        return viewer;
    }
}
