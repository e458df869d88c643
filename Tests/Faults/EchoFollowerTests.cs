using ReHome.Tests.Infrastructure;
using ReHome.Tests.Pusher;
using Xunit.Abstractions;

namespace ReHome.Tests.Faults;

/// <summary>
/// The example follower (examples/laravel/resources/js/rehome-thread-follower.js) on real Laravel Echo, with its
/// socket on one gateway and its token page on the other, as a load balancer without stickiness sends them.
/// </summary>
[Collection(ProcessClusterCollection.Name)]
public sealed class EchoFollowerTests(ProcessClusterFixture fixture, ITestOutputHelper output)
{
    [SkippableFact]
    public async Task A_follower_whose_socket_is_too_old_for_the_other_gateways_token_page_reconnects_and_gets_every_token()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        await fixture.EnsureHealthy();
        await using var app = await LaravelStandIn.Start(PusherGatewayFixture.AppKey, PusherGatewayFixture.AppSecret);
        app.SkipIfMissing();
        var producer = fixture.Cluster.Producer;
        var threadId = "t-follow-" + Guid.NewGuid().ToString("N")[..10];
        await producer.ConfigureThreadAsync(threadId, new ThreadAccess("ws", "proj", "echo-user", []));
        app.Allow(threadId, "echo-user");
        var streamId = await producer.StartStreamAsync(threadId, "r-follow");
        // The first 30 before it follows (it catches up on them), the rest live; the follower replays only open streams.
        var tokens = Enumerable.Range(1, 40).Select(i => $"f{i} ").ToArray();
        foreach (var token in tokens[..30])
        {
            await producer.StreamTokenAsync(streamId, token);
        }

        var directory = Directory.CreateTempSubdirectory("rehome-follower-").FullName;
        try
        {
            var module = NodeEcho.CopyFollowerModule(directory);
            var (socketGateway, pageGateway) = (fixture.GatewayUrls[0], fixture.GatewayUrls[1]);
            await using var echo = NodeEcho.Run("follower-client.mjs", new()
            {
                ["GATEWAY_HOST"] = socketGateway.Host,
                ["GATEWAY_PORT"] = socketGateway.Port.ToString(),
                ["APP_KEY"] = PusherGatewayFixture.AppKey,
                ["APP_URL"] = app.Address.ToString().TrimEnd('/'),
                ["USER_ID"] = "echo-user",
                ["THREAD_ID"] = threadId,
                ["TOKEN_PAGE"] = new Uri(pageGateway, $"/app/{PusherGatewayFixture.AppKey}").ToString(),
                // It subscribes, and so first asks the page, once the socket is older than the page takes elsewhere.
                ["FOLLOW_AFTER_MS"] = (ProcessClusterFixture.TokenPageSocketLifetime + TimeSpan.FromSeconds(1.5)).TotalMilliseconds.ToString(),
                ["FOLLOWER_MODULE"] = module,
            }, output);

            await echo.WaitFor("token", l => l.GetProperty("event").GetProperty("sequence").GetInt64() == 30, TimeSpan.FromSeconds(30));
            foreach (var token in tokens[30..])
            {
                await producer.StreamTokenAsync(streamId, token);
            }

            await producer.EndStreamAsync(streamId, string.Concat(tokens));
            var done = await echo.WaitForDone(streamId);

            var refused = await echo.WaitFor("follower_error");
            Assert.Contains("socket_expired", refused.GetProperty("message").GetString());
            var sockets = echo.Lines.Where(l => l.GetProperty("type").GetString() == "connected").Select(l => l.GetProperty("socketId").GetString()).ToArray();
            Assert.True(sockets.Distinct().Count() >= 2, $"the follower reconnected with a new socket id: {string.Join(", ", sockets)}");
            var received = echo.Events.Where(e => !e.GetProperty("done").GetBoolean()).ToArray();
            Assert.Equal(Enumerable.Range(1, tokens.Length).Select(i => (long)i), received.Select(e => e.GetProperty("sequence").GetInt64()));
            Assert.Equal(tokens, received.Select(e => e.GetProperty("token").GetString()));
            Assert.Equal(string.Concat(tokens), done.GetProperty("event").GetProperty("fullResponse").GetString());
        }
        finally
        {
            await TempDirectory.Delete(directory);
        }
    }
}
