using Microsoft.Extensions.DependencyInjection;
using ReHome.Gateway.Pusher;
using Xunit.Abstractions;

namespace ReHome.Tests.Pusher;

/// <summary>
/// The real laravel-echo on the real pusher-js, in Node, against the gateway: authorized by the stand-in Laravel
/// app's <c>/broadcasting/auth</c>, as a Laravel page's Echo is.
/// </summary>
[Collection(PusherCollection.Name)]
public sealed class EchoNodeTests(PusherGatewayFixture gateway, ITestOutputHelper output)
{
    [SkippableFact]
    public async Task Echo_receives_a_whole_stream_in_order_as_agent_thread_token_events_with_the_seeds_fields()
    {
        gateway.App.SkipIfMissing();
        var threadId = await gateway.NewThread("alice");
        gateway.App.Allow(threadId, "alice");
        await using var echo = NodeEcho.Start(gateway, "alice", threadId, output);
        await echo.WaitFor("subscribed");

        var tokens = Enumerable.Range(1, 300).Select(i => $"t{i} ").ToArray();
        var streamId = await gateway.Producer.StartStreamAsync(threadId, "run-" + Guid.NewGuid().ToString("N"));
        await Task.WhenAll(tokens.Select(token => gateway.Producer.StreamTokenAsync(streamId, token)));
        await gateway.Producer.EndStreamAsync(streamId, string.Concat(tokens));
        await echo.WaitForDone(streamId);

        var events = echo.Events.Where(e => e.GetProperty("streamId").GetString() == streamId).ToArray();
        var tokenEvents = events[..^1];
        Assert.Equal(Enumerable.Range(1, 300).Select(i => (long)i), tokenEvents.Select(e => e.GetProperty("sequence").GetInt64()));
        Assert.Equal(tokens, tokenEvents.Select(e => e.GetProperty("token").GetString()));
        Assert.All(tokenEvents, e => Assert.False(e.GetProperty("done").GetBoolean()));
        Assert.All(tokenEvents, e => Assert.Equal(threadId, e.GetProperty("threadId").GetString()));

        var done = events[^1];
        Assert.True(done.GetProperty("done").GetBoolean());
        Assert.Equal(300, done.GetProperty("sequence").GetInt64());
        Assert.Equal(string.Concat(tokens), done.GetProperty("full_response").GetString());
        Assert.Equal(string.Concat(tokens), done.GetProperty("fullResponse").GetString());
        Assert.Equal("completed", done.GetProperty("reason").GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, done.GetProperty("token").ValueKind);
    }

    [SkippableFact]
    public async Task A_subscription_the_cluster_did_not_answer_at_first_is_confirmed_on_the_same_socket_and_gets_the_stream()
    {
        gateway.App.SkipIfMissing();
        var threadId = await gateway.NewThread("alice");
        gateway.App.Allow(threadId, "alice");
        gateway.FailNextSubscription(threadId);
        await using var echo = NodeEcho.Start(gateway, "alice", threadId, output);

        var connected = await echo.WaitFor("connected");
        await echo.WaitFor("subscribed", timeout: TimeSpan.FromSeconds(30));
        var streamId = await gateway.Producer.StartStreamAsync(threadId, "run-" + Guid.NewGuid().ToString("N"));
        await gateway.Producer.StreamTokenAsync(streamId, "hello");
        await gateway.Producer.EndStreamAsync(streamId, "hello");
        await echo.WaitForDone(streamId);

        Assert.Equal(["hello", null], echo.Events.Where(e => e.GetProperty("streamId").GetString() == streamId)
            .Select(e => e.GetProperty("token").GetString()));
        // pusher-js waited on its first socket: no error for the app, no reconnect.
        Assert.Equal([connected.GetProperty("socketId").GetString()],
            echo.Lines.Where(l => l.GetProperty("type").GetString() == "connected").Select(l => l.GetProperty("socketId").GetString()));
        Assert.DoesNotContain(echo.Lines, l => l.GetProperty("type").GetString() == "subscription_error");
    }

    [SkippableFact]
    public async Task The_example_follower_gets_an_answer_that_started_and_ended_while_its_socket_was_away_but_not_answers_from_before_it_followed()
    {
        gateway.App.SkipIfMissing();
        var threadId = await gateway.NewThread("alice");
        gateway.App.Allow(threadId, "alice");
        var before = await gateway.Producer.StartStreamAsync(threadId, "run-" + Guid.NewGuid().ToString("N"));
        await gateway.Producer.StreamTokenAsync(before, "old ");
        await gateway.Producer.EndStreamAsync(before, "old ");
        await WithFollower(threadId, async echo =>
        {
            var live = await gateway.Producer.StartStreamAsync(threadId, "run-" + Guid.NewGuid().ToString("N"));
            await gateway.Producer.StreamTokenAsync(live, "live ");
            await echo.WaitFor("token", l => l.GetProperty("event").GetProperty("streamId").GetString() == live);

            await echo.Tell("disconnect");
            await echo.WaitFor("state", l => l.GetProperty("current").GetString() == "disconnected");
            var away = await gateway.Producer.StartStreamAsync(threadId, "run-" + Guid.NewGuid().ToString("N"));
            await gateway.Producer.StreamTokenAsync(away, "while ");
            await gateway.Producer.StreamTokenAsync(away, "away");
            await gateway.Producer.EndStreamAsync(away, "while away");
            await echo.Tell("connect");

            await echo.WaitForDone(away);
            var events = echo.Events;
            Assert.Equal(["while ", "away", null], events.Where(e => e.GetProperty("streamId").GetString() == away)
                .Select(e => e.GetProperty("token").GetString()));
            Assert.DoesNotContain(events, e => e.GetProperty("streamId").GetString() == before);
        });
    }

    [SkippableFact]
    public async Task The_example_follower_tries_a_catch_up_the_app_failed_to_authorize_again()
    {
        gateway.App.SkipIfMissing();
        var threadId = await gateway.NewThread("alice");
        gateway.App.Allow(threadId, "alice");
        var streamId = await gateway.Producer.StartStreamAsync(threadId, "run-" + Guid.NewGuid().ToString("N"));
        await gateway.Producer.StreamTokenAsync(streamId, "said ");
        await gateway.Producer.StreamTokenAsync(streamId, "before");
        // Echo's own subscription is authorized; the follower's catch-up after it meets the app down for a moment.
        gateway.App.PlanAuthorizations(threadId, "+5");
        await WithFollower(threadId, async echo =>
        {
            // Nothing more is published: only a second attempt brings the tokens from before the page followed.
            await echo.WaitFor("token", l => l.GetProperty("event").GetProperty("sequence").GetInt64() == 2);
            Assert.Contains(echo.Lines, l => l.GetProperty("type").GetString() == "follower_error");
            await gateway.Producer.EndStreamAsync(streamId, "said before");
            await echo.WaitForDone(streamId);
            Assert.Equal(["said ", "before", null], echo.Events.Where(e => e.GetProperty("streamId").GetString() == streamId)
                .Select(e => e.GetProperty("token").GetString()));
        });
    }

    [SkippableFact]
    public async Task The_example_follower_shows_an_answer_that_ended_while_its_first_catch_up_waited_to_be_tried_again()
    {
        gateway.App.SkipIfMissing();
        var threadId = await gateway.NewThread("alice");
        gateway.App.Allow(threadId, "alice");
        var streamId = await gateway.Producer.StartStreamAsync(threadId, "run-" + Guid.NewGuid().ToString("N"));
        await gateway.Producer.StreamTokenAsync(streamId, "said ");
        gateway.App.PlanAuthorizations(threadId, "+5");
        await WithFollower(threadId, async echo =>
        {
            await echo.WaitFor("follower_error");

            // The answer goes on and ends before the catch-up is tried again (1 s later): its live events find a jump.
            await gateway.Producer.StreamTokenAsync(streamId, "after");
            await gateway.Producer.EndStreamAsync(streamId, "said after");

            await echo.WaitForDone(streamId);
            Assert.Equal(["said ", "after", null], echo.Events.Where(e => e.GetProperty("streamId").GetString() == streamId)
                .Select(e => e.GetProperty("token").GetString()));
        });
    }

    [SkippableFact]
    public async Task An_echo_user_who_loses_access_is_refused_at_the_apps_authorization_and_gets_nothing_more()
    {
        gateway.App.SkipIfMissing();
        var threadId = await gateway.NewThread("alice", "bob");
        gateway.App.Allow(threadId, "alice", "bob");
        await using var echo = NodeEcho.Start(gateway, "bob", threadId, output);
        await echo.WaitFor("subscribed");
        var before = await gateway.Producer.StartStreamAsync(threadId, "run-" + Guid.NewGuid().ToString("N"));
        await gateway.Producer.StreamTokenAsync(before, "seen");
        await echo.WaitFor("token");

        // The app and the thread both drop bob. The gateway cannot tell the socket is bob's: it has Echo authorize again.
        gateway.App.Allow(threadId, "alice");
        await gateway.Grains.GetGrain<IThreadGrain>(threadId).Configure(new ThreadAccess(null, null, "alice", []));

        var refused = await echo.WaitFor("subscription_error");
        Assert.Equal(403, refused.GetProperty("error").GetProperty("status").GetInt32());
        var sockets = echo.Lines.Where(l => l.GetProperty("type").GetString() == "connected").Select(l => l.GetProperty("socketId").GetString()!).ToArray();
        Assert.Equal(2, sockets.Length);
        Assert.False(gateway.Services.GetRequiredService<PusherConnections>().Holds(sockets[1], TestSignatures.Channel(threadId)));
        Assert.Equal(0, await gateway.SubscriptionCount(threadId));
        await gateway.Producer.StreamTokenAsync(before, " unseen");
        Assert.Equal(["seen"], echo.Events.Select(e => e.GetProperty("token").GetString()));
    }

    /// <summary>Runs <paramref name="test"/> with the example follower on the thread, in a folder of its own that goes after.</summary>
    private async Task WithFollower(string threadId, Func<NodeEcho, Task> test)
    {
        var directory = Directory.CreateTempSubdirectory("rehome-follower-").FullName;
        try
        {
            await using var echo = StartFollower(threadId, directory);
            await test(echo);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>The example follower in Node on real Echo, as alice, following the thread from its first connection.</summary>
    private NodeEcho StartFollower(string threadId, string directory) =>
        NodeEcho.Run("follower-client.mjs", new()
        {
            ["GATEWAY_HOST"] = gateway.BaseAddress.Host,
            ["GATEWAY_PORT"] = gateway.BaseAddress.Port.ToString(),
            ["APP_KEY"] = PusherGatewayFixture.AppKey,
            ["APP_URL"] = gateway.App.Address.ToString().TrimEnd('/'),
            ["USER_ID"] = "alice",
            ["THREAD_ID"] = threadId,
            ["TOKEN_PAGE"] = new Uri(gateway.BaseAddress, $"/app/{PusherGatewayFixture.AppKey}").ToString(),
            ["FOLLOW_AFTER_MS"] = "0",
            ["FOLLOWER_MODULE"] = NodeEcho.CopyFollowerModule(directory),
        }, output);

    [SkippableFact]
    public async Task A_forged_signature_is_refused_with_a_401_subscription_error_and_the_socket_subscribes_to_nothing()
    {
        gateway.App.SkipIfMissing();
        var threadId = await gateway.NewThread("alice");
        gateway.App.Allow(threadId, "alice");
        await using var echo = NodeEcho.Start(gateway, "alice", threadId, output, authMode: "forged");

        var refused = await echo.WaitFor("subscription_error");

        Assert.Equal(401, refused.GetProperty("error").GetProperty("status").GetInt32());
        Assert.Equal("AuthError", refused.GetProperty("error").GetProperty("type").GetString());
        await AssertSubscribedToNothing(echo, threadId);
    }

    [SkippableFact]
    public async Task The_apps_genuine_signature_for_another_thread_does_not_open_this_one()
    {
        gateway.App.SkipIfMissing();
        var allowed = await gateway.NewThread("alice");
        var other = await gateway.NewThread("bob");
        gateway.App.Allow(allowed, "alice");
        gateway.App.Allow(other, "bob");
        await using var echo = NodeEcho.Start(gateway, "alice", other, output, authMode: "borrowed:" + allowed);

        var refused = await echo.WaitFor("subscription_error");

        Assert.Equal(401, refused.GetProperty("error").GetProperty("status").GetInt32());
        await AssertSubscribedToNothing(echo, other);
    }

    [SkippableFact]
    public async Task A_user_the_app_refuses_gets_its_403_as_the_subscription_error()
    {
        gateway.App.SkipIfMissing();
        var threadId = await gateway.NewThread("bob");
        gateway.App.Allow(threadId, "bob");
        await using var echo = NodeEcho.Start(gateway, "mallory", threadId, output);

        var refused = await echo.WaitFor("subscription_error");

        Assert.Equal(403, refused.GetProperty("error").GetProperty("status").GetInt32());
        await AssertSubscribedToNothing(echo, threadId);
    }

    [SkippableFact]
    public async Task Echo_and_hub_viewers_of_a_thread_share_the_gateways_one_subscription_and_both_get_the_stream()
    {
        gateway.App.SkipIfMissing();
        var threadId = await gateway.NewThread("alice");
        gateway.App.Allow(threadId, "alice");
        await using var echo = NodeEcho.Start(gateway, "alice", threadId, output);
        await using var hub = await Infrastructure.Viewer.Connect(gateway, "alice");
        await hub.Join(threadId);
        await echo.WaitFor("subscribed");
        Assert.Equal(1, await gateway.SubscriptionCount(threadId));

        var streamId = await gateway.Producer.StartStreamAsync(threadId, "run-" + Guid.NewGuid().ToString("N"));
        await gateway.Producer.StreamTokenAsync(streamId, "shared");
        await gateway.Producer.EndStreamAsync(streamId);

        await echo.WaitForDone(streamId);
        await hub.WaitForDone(streamId);
        Assert.Equal("shared", echo.Events.Single(e => !e.GetProperty("done").GetBoolean()).GetProperty("token").GetString());
    }

    /// <summary>No confirmed channel on the gateway for this client's socket, and no Orleans subscription for the thread.</summary>
    private async Task AssertSubscribedToNothing(NodeEcho echo, string threadId)
    {
        var connected = await echo.WaitFor("connected");
        var socketId = connected.GetProperty("socketId").GetString()!;
        Assert.False(gateway.Services.GetRequiredService<PusherConnections>().Holds(socketId, TestSignatures.Channel(threadId)));
        Assert.Equal(0, await gateway.SubscriptionCount(threadId));
        Assert.Empty(echo.Events);
    }
}
