using Microsoft.Extensions.DependencyInjection;
using ReHome.Tests.Infrastructure;

namespace ReHome.Tests.Pusher;

/// <summary>
/// The embedded gateway with a Pusher app whose heartbeats are a second each (a silent socket is pinged after 1 s and
/// closed 1 s later), and thread listings that can be made to answer late.
/// </summary>
public sealed class QuickHeartbeatPusherFixture : GatewayFixture
{
    public FailingThreadListing Listing { get; } = new();

    public Uri WebSocketUri => PusherGatewayFixture.WebSocketUriAt(BaseAddress);

    protected override Dictionary<string, string?> Settings => new()
    {
        ["Pusher:AppKey"] = PusherGatewayFixture.AppKey,
        ["Pusher:AppSecret"] = PusherGatewayFixture.AppSecret,
        ["Pusher:ActivityTimeout"] = "00:00:01",
        ["Pusher:PongTimeout"] = "00:00:01",
    };

    protected override void ConfigureServices(IServiceCollection services) => services.AddSingleton<IIncomingGrainCallFilter>(Listing);
}

public sealed class PusherHeartbeatTests(QuickHeartbeatPusherFixture gateway) : IClassFixture<QuickHeartbeatPusherFixture>
{
    [Fact]
    public async Task A_join_the_cluster_is_slow_to_answer_leaves_the_sockets_pongs_read_and_the_socket_open()
    {
        var threadId = await gateway.NewThread("alice");
        var channel = TestSignatures.Channel(threadId);
        var (socket, socketId) = await RawPusherSocket.Open(gateway.WebSocketUri);
        await using var _ = socket;

        // The join waits 3 s for the thread's listing, past the 2 s after which a socket whose pong went unread is closed.
        gateway.Listing.AnswerNextLate(threadId, TimeSpan.FromSeconds(3));
        await socket.Send(new { @event = "pusher:subscribe", data = new { channel, auth = TestSignatures.Auth(socketId, channel) } });
        await socket.ReceiveEvent("pusher:ping", TimeSpan.FromSeconds(5));
        await socket.Send(new { @event = "pusher:pong", data = new { } });

        var confirmed = await socket.ReceiveEvent("pusher_internal:subscription_succeeded", TimeSpan.FromSeconds(10));
        Assert.Equal(channel, confirmed.GetProperty("channel").GetString());
        Assert.Equal(System.Net.WebSockets.WebSocketState.Open, socket.State);
    }
}
