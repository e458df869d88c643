using Microsoft.Extensions.DependencyInjection;
using ReHome.Gateway.Pusher;
using ReHome.Tests.Infrastructure;

namespace ReHome.Tests.Pusher;

/// <summary>A Pusher client that stops reading holds up only itself: it is cut off, and the thread's other clients get everything.</summary>
[Collection(PusherCollection.Name)]
public sealed class SlowPusherClientTests(PusherGatewayFixture gateway)
{
    [Fact]
    public async Task A_client_that_stops_reading_is_closed_and_a_reading_client_of_the_same_thread_gets_every_token()
    {
        var threadId = await gateway.NewThread("alice");
        var channel = TestSignatures.Channel(threadId);
        var (stalled, stalledId) = await RawPusherSocket.Open(gateway);
        var (reading, readingId) = await RawPusherSocket.Open(gateway);
        await using var _ = stalled;
        await using var __ = reading;
        foreach (var (socket, socketId) in new[] { (stalled, stalledId), (reading, readingId) })
        {
            await socket.Send(new { @event = "pusher:subscribe", data = new { channel, auth = TestSignatures.Auth(socketId, channel) } });
            await socket.ReceiveEvent("pusher_internal:subscription_succeeded");
        }

        // 24 MB: far more than the loopback socket buffers hold, so the stalled client's queue (2,000 messages) fills.
        // Four streams of 2,000 tokens of 3 KB, each within a stream's token burst.
        var token = new string('€', 1000);
        const int perStream = 2000;
        var streams = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            streams.Add(await gateway.Producer.StartStreamAsync(threadId, "run-" + Guid.NewGuid().ToString("N")));
        }

        // The stalled client keeps sending pings (it only stops reading), so the heartbeat never closes it: only its queue can.
        using var stopPinging = new CancellationTokenSource();
        var pinging = Task.Run(async () =>
        {
            while (!stopPinging.IsCancellationRequested && stalled.State == System.Net.WebSockets.WebSocketState.Open)
            {
                await stalled.Send(new { @event = "pusher:ping", data = new { } });
                await Task.Delay(500, stopPinging.Token).ContinueWith(_ => { });
            }
        });

        var received = new List<(string Stream, long Sequence)>();
        var receivedCount = 0;
        var readAll = Task.Run(async () =>
        {
            while (received.Count < streams.Count * perStream)
            {
                var message = await reading.Receive(TimeSpan.FromSeconds(30));
                switch (message.GetProperty("event").GetString())
                {
                    case "pusher:ping":
                        await reading.Send(new { @event = "pusher:pong", data = new { } });
                        break;
                    case "agent.thread.token":
                        var data = RawPusherSocket.Data(message);
                        received.Add((data.GetProperty("streamId").GetString()!, data.GetProperty("sequence").GetInt64()));
                        Interlocked.Increment(ref receivedCount);
                        break;
                }
            }
        });
        // At the reading client's pace: the next 100 tokens per stream once it has the previous ones.
        for (var sent = 100; sent <= perStream; sent += 100)
        {
            await Task.WhenAll(streams.Select(stream =>
                Task.WhenAll(Enumerable.Range(0, 100).Select(_ => gateway.Producer.StreamTokenAsync(stream, token)))));
            var expected = sent * streams.Count;
            await Eventually.True(() => Task.FromResult(Volatile.Read(ref receivedCount) >= expected || readAll.IsCompleted), TimeSpan.FromSeconds(30), "the reading client keeps up");
        }

        await readAll.WaitAsync(TimeSpan.FromSeconds(60));
        foreach (var stream in streams)
        {
            Assert.Equal(Enumerable.Range(1, perStream).Select(i => (long)i), received.Where(r => r.Stream == stream).Select(r => r.Sequence));
        }

        var connections = gateway.Services.GetRequiredService<PusherConnections>();
        await Eventually.True(() => Task.FromResult(!connections.Holds(stalledId, channel)), TimeSpan.FromSeconds(30), "the stalled client is cut off");
        Assert.True(connections.Holds(readingId, channel));
        stopPinging.Cancel();
        await pinging.ContinueWith(_ => { });
    }
}
