using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Streams.Core;
using ReHome.Feed;
using ReHome.Gateway.Pusher;
using ReHome.Tests.Infrastructure;

namespace ReHome.Tests.Pusher;

/// <summary>The Pusher endpoint's protocol, frame by frame, over a bare WebSocket.</summary>
[Collection(PusherCollection.Name)]
public sealed partial class PusherProtocolTests(PusherGatewayFixture gateway)
{
    /// <summary>Longer than a WebSocket close reason may be (123 bytes) once the refusal names it.</summary>
    private const string LongText = "k123456789k123456789k123456789k123456789k123456789k123456789k123456789k123456789k123456789k123456789k123456789k123456789";

    [Fact]
    public async Task The_handshake_gives_a_socket_id_in_pushers_format_and_the_activity_timeout_in_seconds()
    {
        await using var socket = await RawPusherSocket.Connect(gateway.WebSocketUri());
        var established = await socket.Receive();

        Assert.Equal("pusher:connection_established", established.GetProperty("event").GetString());
        Assert.Equal(JsonValueKind.String, established.GetProperty("data").ValueKind);
        var data = RawPusherSocket.Data(established);
        Assert.Matches(SocketIdFormat(), data.GetProperty("socket_id").GetString());
        Assert.Equal((int)PusherGatewayFixture.ActivityTimeout.TotalSeconds, data.GetProperty("activity_timeout").GetInt32());
    }

    [Theory]
    [InlineData("no-such-key", "?protocol=7", 4001)]
    [InlineData(PusherGatewayFixture.AppKey, "", 4008)]
    [InlineData(PusherGatewayFixture.AppKey, "?protocol=6", 4007)]
    [InlineData(LongText, "?protocol=7", 4001)]
    [InlineData(PusherGatewayFixture.AppKey, "?protocol=" + LongText, 4007)]
    public async Task A_refused_connection_gets_a_pusher_error_then_a_close_with_the_same_code(string key, string query, int code)
    {
        await using var socket = await RawPusherSocket.Connect(gateway.WebSocketUri(key, query));

        var error = await socket.Receive();
        Assert.Equal("pusher:error", error.GetProperty("event").GetString());
        Assert.Equal(code, RawPusherSocket.Data(error).GetProperty("code").GetInt32());
        Assert.Equal(code, await socket.WaitForClose());
        Assert.False(string.IsNullOrEmpty(socket.CloseReason));
    }

    [Fact]
    public async Task A_client_ping_is_answered_with_a_pong()
    {
        var (socket, _) = await RawPusherSocket.Open(gateway);
        await using var _ = socket;

        await socket.Send(new { @event = "pusher:ping", data = new { } });

        var pong = await socket.ReceiveSkippingPings();
        Assert.Equal("pusher:pong", pong.GetProperty("event").GetString());
    }

    [Fact]
    public async Task A_silent_client_is_pinged_after_the_activity_timeout_and_closed_with_4201_when_it_stays_silent()
    {
        // Taken before connecting: the server's silence starts when the socket opens, before the client has read its welcome.
        var opened = DateTime.UtcNow;
        var (socket, _) = await RawPusherSocket.Open(gateway);
        await using var _ = socket;

        var ping = await socket.Receive(TimeSpan.FromSeconds(10));
        Assert.Equal("pusher:ping", ping.GetProperty("event").GetString());
        Assert.True(DateTime.UtcNow - opened >= PusherGatewayFixture.ActivityTimeout - TimeSpan.FromMilliseconds(100), "pinged before the activity timeout");

        Assert.Equal(4201, await socket.WaitForClose(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task A_client_that_answers_the_ping_stays_connected()
    {
        var (socket, _) = await RawPusherSocket.Open(gateway);
        await using var _ = socket;

        for (var i = 0; i < 2; i++)
        {
            await socket.ReceiveEvent("pusher:ping", TimeSpan.FromSeconds(10));
            await socket.Send(new { @event = "pusher:pong", data = new { } });
        }

        // Two pings answered spans more than the activity and pong timeouts together: still open.
        await socket.Send(new { @event = "pusher:ping", data = new { } });
        Assert.Equal("pusher:pong", (await socket.ReceiveEvent("pusher:pong")).GetProperty("event").GetString());
    }

    [Theory]
    [InlineData("agent.thread.t1", 403)]
    [InlineData("presence-agent.thread.t1", 403)]
    [InlineData("private-encrypted-agent.thread.t1", 403)]
    [InlineData("private-orders.42", 403)]
    [InlineData("private-agent.thread.not/an/id", 400)]
    public async Task Channels_other_than_a_threads_private_channel_are_refused_with_a_subscription_error(string channel, int status)
    {
        var (socket, socketId) = await RawPusherSocket.Open(gateway);
        await using var _ = socket;

        await socket.Send(new { @event = "pusher:subscribe", data = new { channel, auth = TestSignatures.Auth(socketId, channel) } });

        var error = await socket.ReceiveEvent("pusher:subscription_error");
        Assert.Equal(channel, error.GetProperty("channel").GetString());
        Assert.Equal(status, RawPusherSocket.Data(error).GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrEmpty(RawPusherSocket.Data(error).GetProperty("error").GetString()));
    }

    [Fact]
    public async Task A_subscription_without_auth_or_with_a_wrong_signature_is_refused_with_401_and_takes_no_subscription()
    {
        var threadId = await gateway.NewThread("alice");
        var channel = TestSignatures.Channel(threadId);
        var (socket, socketId) = await RawPusherSocket.Open(gateway);
        await using var _ = socket;

        await socket.Send(new { @event = "pusher:subscribe", data = new { channel } });
        var missing = await socket.ReceiveEvent("pusher:subscription_error");
        await socket.Send(new { @event = "pusher:subscribe", data = new { channel, auth = TestSignatures.Auth(socketId, channel, secret: "another-app-secret-0123456") } });
        var wrong = await socket.ReceiveEvent("pusher:subscription_error");

        Assert.Equal(401, RawPusherSocket.Data(missing).GetProperty("status").GetInt32());
        Assert.Equal("AuthError", RawPusherSocket.Data(wrong).GetProperty("type").GetString());
        Assert.Equal(401, RawPusherSocket.Data(wrong).GetProperty("status").GetInt32());
        Assert.Equal(0, await gateway.SubscriptionCount(threadId));
    }

    [Fact]
    public async Task Subscribing_takes_the_threads_one_orleans_subscription_and_unsubscribing_releases_it()
    {
        var threadId = await gateway.NewThread("alice");
        var channel = TestSignatures.Channel(threadId);
        var (socket, socketId) = await RawPusherSocket.Open(gateway);
        await using var _ = socket;

        await socket.Send(new { @event = "pusher:subscribe", data = new { channel, auth = TestSignatures.Auth(socketId, channel) } });
        var succeeded = await socket.ReceiveEvent("pusher_internal:subscription_succeeded");
        Assert.Equal(channel, succeeded.GetProperty("channel").GetString());
        Assert.Equal(1, await gateway.SubscriptionCount(threadId));

        await socket.Send(new { @event = "pusher:unsubscribe", data = new { channel } });
        await Eventually.True(async () => await gateway.SubscriptionCount(threadId) == 0, because: "the last unsubscribe releases the thread");
    }

    [Fact]
    public async Task A_subscription_the_cluster_does_not_answer_stays_pending_and_is_confirmed_by_a_retry_while_the_other_channels_go_on()
    {
        var (healthyThread, failingThread) = (await gateway.NewThread("alice"), await gateway.NewThread("alice"));
        var (healthy, failing) = (TestSignatures.Channel(healthyThread), TestSignatures.Channel(failingThread));
        var (socket, socketId) = await RawPusherSocket.Open(gateway);
        await using var _ = socket;
        await socket.Send(new { @event = "pusher:subscribe", data = new { channel = healthy, auth = TestSignatures.Auth(socketId, healthy) } });
        await socket.ReceiveEvent("pusher_internal:subscription_succeeded");

        gateway.FailNextSubscription(failingThread);
        await socket.Send(new { @event = "pusher:subscribe", data = new { channel = failing, auth = TestSignatures.Auth(socketId, failing) } });
        // The healthy channel streams while the failed join waits for its retry (0.5 s); the socket stays open.
        var streamId = await gateway.Producer.StartStreamAsync(healthyThread, "r-" + Guid.NewGuid().ToString("N"));
        await gateway.Producer.StreamTokenAsync(streamId, "meanwhile");
        var seen = new List<(string? Event, string? Channel)>();
        while (!seen.Contains(("agent.thread.token", healthy)) || !seen.Contains(("pusher_internal:subscription_succeeded", failing)))
        {
            var message = await socket.ReceiveSkippingPings();
            seen.Add((message.GetProperty("event").GetString(), message.TryGetProperty("channel", out var c) ? c.GetString() : null));
        }

        Assert.DoesNotContain(seen, m => m.Event is "pusher:subscription_error" or "pusher:error");
        var retried = await gateway.Producer.StartStreamAsync(failingThread, "r-" + Guid.NewGuid().ToString("N"));
        await gateway.Producer.StreamTokenAsync(retried, "hello");
        var token = await socket.ReceiveEvent("agent.thread.token");
        Assert.Equal((failing, "hello"), (token.GetProperty("channel").GetString(), RawPusherSocket.Data(token).GetProperty("token").GetString()));
    }

    /// <summary>
    /// A signature obtained while the user had access, kept on a socket that subscribes only after a removal, could
    /// be the removed user's: the socket must authorize again, and a new one, signed after the change, gets the channel.
    /// </summary>
    [Fact]
    public async Task A_signature_from_before_someone_lost_access_subscribes_nothing_after_it()
    {
        var threadId = await gateway.NewThread("alice", "bob");
        var channel = TestSignatures.Channel(threadId);
        var (socket, socketId) = await RawPusherSocket.Open(gateway);
        await using var _ = socket;
        var signedBefore = TestSignatures.Auth(socketId, channel);

        await gateway.Producer.ConfigureThreadAsync(threadId, new ThreadAccess(null, null, "alice", []));
        await socket.Send(new { @event = "pusher:subscribe", data = new { channel, auth = signedBefore } });

        Assert.Equal(4200, await socket.WaitForClose(TimeSpan.FromSeconds(5)));
        await using var signedAfter = await Subscribed(channel);
    }

    /// <summary>A close frame's reason is at most 123 bytes; one naming a long channel must not make the close throw.</summary>
    [Fact]
    public async Task A_removal_closes_the_pusher_sockets_with_4200_however_long_the_thread_id()
    {
        var threadId = "t-" + Guid.NewGuid().ToString("N") + new string('x', Ids.MaxLength - 34);
        await gateway.Producer.ConfigureThreadAsync(threadId, new ThreadAccess(null, null, "alice", ["bob"]));
        await using var socket = await Subscribed(TestSignatures.Channel(threadId));

        await gateway.Producer.ConfigureThreadAsync(threadId, new ThreadAccess(null, null, "alice", []));

        Assert.Equal(4200, await socket.WaitForClose(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task A_removal_the_feed_lost_still_closes_the_pusher_sockets_on_the_thread_once_the_gateway_catches_up()
    {
        var threadId = await gateway.NewThread("alice", "bob");
        var channel = TestSignatures.Channel(threadId);
        await using var socket = await Subscribed(channel);

        await ThreadFeeds.Forget(gateway.Services, threadId);
        await gateway.Producer.ConfigureThreadAsync(threadId, new ThreadAccess(null, null, "alice", []));
        // Registered again, the relay says events may be lost: the gateway asks the thread who may watch.
        Assert.True(await gateway.Services.GetRequiredService<ThreadFeedConsumer>().Check());

        // The socket has no user to ask about; someone left, so it authorizes again at the app.
        Assert.Equal(4200, await socket.WaitForClose(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task A_lost_removal_of_a_user_added_after_the_first_pusher_socket_joined_still_closes_the_sockets()
    {
        var threadId = await gateway.NewThread("alice", "bob");
        var channel = TestSignatures.Channel(threadId);
        await using var first = await Subscribed(channel);

        // Carol is added (no event: additions publish none) and her page subscribes.
        await gateway.Producer.ConfigureThreadAsync(threadId, new ThreadAccess(null, null, "alice", ["bob", "carol"]));
        await using var second = await Subscribed(channel);

        await ThreadFeeds.Forget(gateway.Services, threadId);
        await gateway.Producer.ConfigureThreadAsync(threadId, new ThreadAccess(null, null, "alice", ["bob"]));
        Assert.True(await gateway.Services.GetRequiredService<ThreadFeedConsumer>().Check());

        Assert.Equal(4200, await first.WaitForClose(TimeSpan.FromSeconds(5)));
        Assert.Equal(4200, await second.WaitForClose(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task A_removal_the_feed_lost_still_takes_the_user_out_once_the_gateway_catches_up()
    {
        var threadId = await gateway.NewThread("alice", "bob");
        await using var bob = await Viewer.Connect(gateway, "bob");
        var revoked = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        bob.Connection.On<RevokedMessage>(HubContract.RevokedEvent, m => revoked.TrySetResult(m.ThreadId));
        await bob.Join(threadId);

        await ThreadFeeds.Forget(gateway.Services, threadId);
        await gateway.Producer.ConfigureThreadAsync(threadId, new ThreadAccess(null, null, "alice", []));
        Assert.True(await gateway.Services.GetRequiredService<ThreadFeedConsumer>().Check());

        Assert.Equal(threadId, await revoked.Task.WaitAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task An_unsubscribe_while_a_join_is_retried_stops_the_retry()
    {
        var threadId = await gateway.NewThread("alice");
        var channel = TestSignatures.Channel(threadId);
        var (socket, socketId) = await RawPusherSocket.Open(gateway);
        await using var _ = socket;
        gateway.FailNextSubscription(threadId);
        await socket.Send(new { @event = "pusher:subscribe", data = new { channel, auth = TestSignatures.Auth(socketId, channel) } });
        await socket.Send(new { @event = "pusher:unsubscribe", data = new { channel } });

        // Past the first retry (0.5 s), which would have joined: the thread stays unsubscribed, and nothing is sent.
        await socket.Send(new { @event = "pusher:ping", data = new { } });
        await socket.ReceiveEvent("pusher:pong");
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        Assert.Equal(0, await gateway.SubscriptionCount(threadId));
        await socket.Send(new { @event = "pusher:ping", data = new { } });
        var next = await socket.Receive();
        Assert.Equal("pusher:pong", next.GetProperty("event").GetString());
    }

    [Fact]
    public async Task A_connection_holds_at_most_the_configured_number_of_channels()
    {
        var (socket, socketId) = await RawPusherSocket.Open(gateway);
        await using var _ = socket;

        for (var i = 0; i < 4; i++)
        {
            var channel = TestSignatures.Channel(await gateway.NewThread("alice"));
            await socket.Send(new { @event = "pusher:subscribe", data = new { channel, auth = TestSignatures.Auth(socketId, channel) } });
            var answer = await socket.ReceiveSkippingPings();
            if (i < 3)
            {
                Assert.Equal("pusher_internal:subscription_succeeded", answer.GetProperty("event").GetString());
            }
            else
            {
                Assert.Equal("pusher:subscription_error", answer.GetProperty("event").GetString());
                Assert.Equal(429, RawPusherSocket.Data(answer).GetProperty("status").GetInt32());
            }
        }
    }

    [Theory]
    [InlineData("""{"event":"client-typing","channel":"private-agent.thread.t1","data":{}}""", "Client events")]
    [InlineData("""{"event":"pusher:signin","data":{}}""", "Unsupported event")]
    [InlineData("""{"event":"something-else","data":{}}""", "Unsupported event")]
    [InlineData("""not json""", "Invalid message format")]
    [InlineData("""{"data":{}}""", "Invalid message format")]
    [InlineData("""{"event":"pusher:subscribe","data":{}}""", "pusher:subscribe needs data.channel")]
    [InlineData("""{"event":"\ud800"}""", "Invalid message format")]
    [InlineData("""{"event":"pusher:subscribe","data":{"channel":"\udc00"}}""", "Invalid message format")]
    public async Task Client_events_unknown_events_and_garbage_get_a_pusher_error_and_the_connection_stays_open(string message, string says)
    {
        var (socket, _) = await RawPusherSocket.Open(gateway);
        await using var _ = socket;

        await socket.SendText(message);
        var error = await socket.ReceiveEvent("pusher:error");
        Assert.StartsWith(says, RawPusherSocket.Data(error).GetProperty("message").GetString());
        Assert.Equal(4300, RawPusherSocket.Data(error).GetProperty("code").GetInt32());

        await socket.Send(new { @event = "pusher:ping", data = new { } });
        await socket.ReceiveEvent("pusher:pong");
    }

    [Fact]
    public async Task A_binary_message_gets_a_typed_pusher_error_and_garbage_counts_against_the_rate()
    {
        var (socket, _) = await RawPusherSocket.Open(gateway);
        await using var _ = socket;

        await socket.SendBinary([1, 2, 3]);
        var binary = RawPusherSocket.Data(await socket.ReceiveEvent("pusher:error"));
        Assert.Equal((4300, "Binary messages are not supported; send JSON text."), (binary.GetProperty("code").GetInt32(), binary.GetProperty("message").GetString()));

        // The burst is 20: a flood of unreadable text is answered with 4300s, then dropped with 4301s.
        for (var i = 0; i < 40; i++)
        {
            await socket.SendText("not json");
        }

        Assert.Equal(4301, RawPusherSocket.Data(await socket.ReceiveEventWithCode("pusher:error", 4301)).GetProperty("code").GetInt32());
    }

    [Fact]
    public async Task A_message_over_the_size_limit_closes_the_connection_with_1009()
    {
        var (socket, _) = await RawPusherSocket.Open(gateway);
        await using var _ = socket;

        await socket.Send(new { @event = "pusher:ping", data = new { padding = new string('x', 11 * 1024) } });

        Assert.Equal(1009, await socket.WaitForClose());
    }

    [Fact]
    public async Task Messages_over_the_rate_are_dropped_with_4301_and_heartbeats_and_unsubscribes_still_pass()
    {
        var threadId = await gateway.NewThread("alice");
        var channel = TestSignatures.Channel(threadId);
        var (socket, socketId) = await RawPusherSocket.Open(gateway);
        await using var _ = socket;
        await socket.Send(new { @event = "pusher:subscribe", data = new { channel, auth = TestSignatures.Auth(socketId, channel) } });
        await socket.ReceiveEvent("pusher_internal:subscription_succeeded");

        // The burst is 20 (the subscribe took one): the flood empties it, and the unsubscribe right behind it is over
        // the rate. pusher-js has already forgotten the channel when it sends one, and will not send it again.
        for (var i = 0; i < 25; i++)
        {
            await socket.Send(new { @event = "rehome:unknown", data = new { } });
        }

        await socket.Send(new { @event = "pusher:unsubscribe", data = new { channel } });
        await socket.Send(new { @event = "pusher:ping", data = new { } });

        await socket.ReceiveEventWithCode("pusher:error", 4301);
        await socket.ReceiveEvent("pusher:pong");

        // The pong answers the ping sent after the unsubscribe, so the gateway has handled it, and the socket is open
        // (an idle socket is closed only after the activity and pong timeouts, which would release the thread too).
        Assert.False(gateway.Services.GetRequiredService<PusherConnections>().Holds(socketId, channel), "the gateway still holds the channel");
        await Eventually.True(async () => await gateway.SubscriptionCount(threadId) == 0, TimeSpan.FromSeconds(3), "an unsubscribe over the rate releases the thread");
        Assert.Equal(System.Net.WebSockets.WebSocketState.Open, socket.State);
    }

    [GeneratedRegex(@"\A\d+\.\d+\z")]
    private static partial Regex SocketIdFormat();

    /// <summary>A socket subscribed to <paramref name="channel"/> with the app's signature.</summary>
    private async Task<RawPusherSocket> Subscribed(string channel)
    {
        var (socket, socketId) = await RawPusherSocket.Open(gateway);
        await socket.Send(new { @event = "pusher:subscribe", data = new { channel, auth = TestSignatures.Auth(socketId, channel) } });
        await socket.ReceiveEvent("pusher_internal:subscription_succeeded");
        return socket;
    }
}
