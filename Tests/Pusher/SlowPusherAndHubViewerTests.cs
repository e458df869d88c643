using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using ReHome.Gateway.Pusher;
using ReHome.Tests.Infrastructure;

namespace ReHome.Tests.Pusher;

/// <summary>
/// A gateway with a Pusher app whose connections keep short queues and a small socket send buffer, so a client that
/// stops reading falls behind within a few hundred kilobytes; nobody is disconnected for it within a test.
/// </summary>
public sealed class SlowPusherGatewayFixture : GatewayFixture
{
    protected override Dictionary<string, string?> Settings => new()
    {
        ["Pusher:AppKey"] = PusherGatewayFixture.AppKey,
        ["Pusher:AppSecret"] = PusherGatewayFixture.AppSecret,
        ["Gateway:ConnectionQueueLimit"] = "8",
        ["Gateway:BehindTimeout"] = "00:02:00",
    };

    public Uri WebSocketUri => PusherGatewayFixture.WebSocketUriAt(BaseAddress);

    protected override void Configure(WebApplicationBuilder builder) => UseSmallSendBuffers(builder);
}

/// <summary>
/// Alone, after the parallel collections: their gateways share this process's meters by name, and its timing is
/// steadier without them.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SlowPusherCollection : ICollectionFixture<SlowPusherGatewayFixture>
{
    public const string Name = "pusher with short connection queues";
}

/// <summary>Pusher clients share the hub's fan-out: a Pusher client that stops reading delays no hub viewer of its thread.</summary>
[Collection(SlowPusherCollection.Name)]
public sealed class SlowPusherAndHubViewerTests(SlowPusherGatewayFixture gateway)
{
    private const int Tokens = 1800;

    [Fact]
    public async Task A_pusher_client_that_stops_reading_delays_no_hub_viewer_and_then_catches_up_from_behind_and_the_token_page()
    {
        var threadId = await gateway.NewThread("alice");
        var channel = TestSignatures.Channel(threadId);
        await using var hub = await Viewer.Connect(gateway, "alice");
        var hubBehind = 0;
        hub.Connection.On<BehindMessage>(HubContract.BehindEvent, _ => Interlocked.Increment(ref hubBehind));
        await hub.Join(threadId);

        var (stalled, socketId) = await RawPusherSocket.Open(gateway.WebSocketUri, receiveBufferBytes: 16 * 1024);
        await using var _ = stalled;
        await stalled.Send(new { @event = "pusher:subscribe", data = new { channel, auth = TestSignatures.Auth(socketId, channel) } });
        await stalled.ReceiveEvent("pusher_internal:subscription_succeeded");
        using var behind = new CounterProbe(gateway.Services, "rehome.gateway.connections_behind");

        // From here the Pusher client reads nothing while 720 KB of tokens stream to the thread at 250 a second (within
        // a stream's replayable history, 1 MB, so the token page can fill what it misses).
        var streamId = await gateway.Producer.StartStreamAsync(threadId, "run-" + Guid.NewGuid().ToString("N"));
        var tokens = Enumerable.Range(1, Tokens).Select(i => $"{i:0000}" + new string('.', 396)).ToList();
        using (var pace = new PeriodicTimer(TimeSpan.FromMilliseconds(4)))
        {
            var sends = new List<Task<long>>();
            foreach (var token in tokens)
            {
                await pace.WaitForNextTickAsync();
                sends.Add(gateway.Producer.StreamTokenAsync(streamId, token));
            }

            await Task.WhenAll(sends);
        }

        await gateway.Producer.EndStreamAsync(streamId, string.Concat(tokens));

        // The hub viewer has it all, never behind, while the Pusher client is still stalled and still connected (its
        // timeout is 2 min): the hub viewer did not wait on it.
        await hub.WaitForDone(streamId, TimeSpan.FromSeconds(60));
        Assert.Equal(Enumerable.Range(1, Tokens).Select(i => (long)i), hub.Tokens(streamId).Select(m => m.Sequence));
        Assert.Equal(0, hubBehind);
        Assert.True(behind.Total > 0, "the stalled Pusher client's queue was cut");
        Assert.True(gateway.Services.GetRequiredService<PusherConnections>().Holds(socketId, channel), "the stalled client was not cut off");

        // Now it reads: what it was sent, then agent.thread.behind naming the last token it got, then what is left live;
        // the token page fills the hole, as an Echo client would on the behind event. The done event comes live unless
        // it reached a full queue too (then a behind notice replaced it, and the page says done): once a notice has
        // come, a quiet socket means nothing more is coming.
        var received = new SortedSet<long>();
        long? lastSent = null;
        var done = false;
        while (!done)
        {
            JsonElement frame;
            try
            {
                frame = await stalled.ReceiveSkippingPings(TimeSpan.FromSeconds(lastSent is null ? 30 : 5));
            }
            catch (OperationCanceledException) when (lastSent is not null)
            {
                break;
            }

            var data = RawPusherSocket.Data(frame);
            switch (frame.GetProperty("event").GetString())
            {
                case "agent.thread.token":
                    Assert.Equal(channel, frame.GetProperty("channel").GetString());
                    done = data.GetProperty("done").GetBoolean();
                    if (!done)
                    {
                        Assert.True(received.Add(data.GetProperty("sequence").GetInt64()), "no token twice");
                    }

                    break;
                case "agent.thread.behind":
                    Assert.Equal(streamId, data.GetProperty("streamId").GetString());
                    lastSent ??= data.GetProperty("lastSequence").GetInt64();
                    break;
            }
        }

        Assert.NotNull(lastSent);
        Assert.Equal(Enumerable.Range(1, (int)lastSent!.Value).Select(i => (long)i), received.Where(s => s <= lastSent));
        using var http = new HttpClient { BaseAddress = gateway.BaseAddress };
        var after = lastSent.Value;
        while (after < Tokens)
        {
            var page = await http.PostAsJsonAsync($"/app/{PusherGatewayFixture.AppKey}/tokens",
                new { socket_id = socketId, channel_name = channel, auth = TestSignatures.Auth(socketId, channel), stream_id = streamId, after });
            page.EnsureSuccessStatusCode();
            var body = await page.Content.ReadFromJsonAsync<JsonElement>();
            var first = body.GetProperty("firstSequence").GetInt64();
            var fetched = body.GetProperty("tokens").GetArrayLength();
            Assert.True(fetched > 0, "the page moves on");
            for (var i = 0; i < fetched; i++)
            {
                received.Add(first + i);
            }

            after = first + fetched - 1;
        }

        Assert.Equal(Enumerable.Range(1, Tokens).Select(i => (long)i), received);
        var end = await (await http.PostAsJsonAsync($"/app/{PusherGatewayFixture.AppKey}/tokens",
            new { socket_id = socketId, channel_name = channel, auth = TestSignatures.Auth(socketId, channel), stream_id = streamId, after = (long)Tokens }))
            .Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(end.GetProperty("done").GetBoolean());
        Assert.Equal(string.Concat(tokens), end.GetProperty("fullResponse").GetString());
    }
}
