using System.Net;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using ReHome.Tests.Infrastructure;

namespace ReHome.Tests.Gateway;

/// <summary>Each quota is a setting with a typed refusal, against a gateway whose quotas are set small (<see cref="EdgeGatewayFixture"/>).</summary>
[Collection(EdgeGatewayCollection.Name)]
public sealed class QuotaTests(EdgeGatewayFixture gateway)
{
    [Fact]
    public async Task Calls_past_the_users_rate_are_refused_as_rate_limited_and_the_connection_stays_usable()
    {
        await using var viewer = await Viewer.Connect(gateway, NewUser());
        var calls = Enumerable.Range(0, 3 * EdgeGatewayFixture.HubInvocationBurst)
            .Select(i => Outcome(() => AskPresence(viewer, $"t-{i}")))
            .ToList();

        var outcomes = await Task.WhenAll(calls);

        var limited = outcomes.Where(o => o.StartsWith("rate_limited: ", StringComparison.Ordinal)).ToList();
        Assert.True(outcomes.Count(o => o.StartsWith("forbidden: ", StringComparison.Ordinal)) >= EdgeGatewayFixture.HubInvocationBurst, string.Join(" | ", outcomes));
        Assert.True(limited.Count >= EdgeGatewayFixture.HubInvocationBurst, string.Join(" | ", outcomes));
        Assert.All(limited, o => Assert.Matches("retry in [0-9]+ s", o));
        await Eventually.True(async () => (await Outcome(() => AskPresence(viewer, "t-again"))).StartsWith("forbidden: ", StringComparison.Ordinal),
            because: "the bucket refills");
    }

    [Fact]
    public async Task A_users_connections_share_one_rate_so_reconnecting_does_not_refill_it()
    {
        var user = NewUser();
        await using (var first = await Viewer.Connect(gateway, user))
        {
            var spent = await Task.WhenAll(Enumerable.Range(0, 3 * EdgeGatewayFixture.HubInvocationBurst)
                .Select(i => Outcome(() => AskPresence(first, $"t-{i}"))));
            Assert.Contains(spent, o => o.StartsWith("rate_limited: ", StringComparison.Ordinal));
        }

        // A fresh connection of the same user: a burst's worth of calls at once, which a fresh bucket would take.
        await using var again = await Viewer.Connect(gateway, user);
        var outcomes = await Task.WhenAll(Enumerable.Range(0, EdgeGatewayFixture.HubInvocationBurst)
            .Select(i => Outcome(() => AskPresence(again, $"t-again-{i}"))));

        Assert.Contains(outcomes, o => o.StartsWith("rate_limited: ", StringComparison.Ordinal));
        await using var other = await Viewer.Connect(gateway, NewUser());
        Assert.StartsWith("forbidden: ", await Outcome(() => AskPresence(other, "t-other")));
    }

    [Fact]
    public async Task A_leave_is_taken_past_the_rate_so_the_connection_does_not_stay_in_the_thread()
    {
        var user = NewUser();
        var threadId = await gateway.NewThread(user);
        await using var viewer = await Viewer.Connect(gateway, user);
        await viewer.Join(threadId);
        Assert.Equal(1, await gateway.SubscriptionCount(threadId));
        var spent = await Task.WhenAll(Enumerable.Range(0, 3 * EdgeGatewayFixture.HubInvocationBurst)
            .Select(i => Outcome(() => AskPresence(viewer, $"t-{i}"))));
        Assert.Contains(spent, o => o.StartsWith("rate_limited: ", StringComparison.Ordinal));

        // Five in a row: the bucket regains one call per half second, so a refused leave cannot pass all five by luck.
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal("ok", await Outcome(() => viewer.Connection.InvokeAsync(HubContract.LeaveThread, threadId)));
        }

        // The last viewer left: the gateway lets go of the thread's feed.
        await Eventually.True(async () => await gateway.SubscriptionCount(threadId) == 0, because: "the leave was taken");
    }

    /// <summary>A call the rate counts: presence of a thread the user may not watch, refused as forbidden.</summary>
    private static Task AskPresence(Viewer viewer, string threadId) => viewer.Connection.InvokeAsync<PresenceMessage>(HubContract.GetPresence, threadId);

    [Theory]
    [InlineData(HubContract.CancelStream)]
    [InlineData(HubContract.GetPresence)]
    public async Task Stops_and_presence_asks_count_against_the_same_rate(string method)
    {
        await using var viewer = await Viewer.Connect(gateway, NewUser());
        object?[] arguments = method == HubContract.CancelStream ? ["s-none", null] : ["t-none"];

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 3 * EdgeGatewayFixture.HubInvocationBurst)
            .Select(_ => Outcome(() => viewer.Connection.InvokeCoreAsync<object>(method, arguments))));

        Assert.Contains(outcomes, o => o.StartsWith(method == HubContract.CancelStream ? "stream_not_found: " : "forbidden: ", StringComparison.Ordinal));
        Assert.True(outcomes.Count(o => o.StartsWith("rate_limited: ", StringComparison.Ordinal)) >= EdgeGatewayFixture.HubInvocationBurst, string.Join(" | ", outcomes));
    }

    /// <summary>
    /// Calls that cannot be bound, to unknown methods, as streams or with uploads reach the filters as a refusable
    /// <c>LeaveThread</c>; the leave's exemption must not reach them.
    /// </summary>
    [Theory]
    [InlineData("wrong arguments")]
    [InlineData("unknown method")]
    [InlineData("called as a stream")]
    [InlineData("uploading a stream")]
    public async Task Calls_that_cannot_even_be_bound_count_against_the_rate_too(string kind)
    {
        await using var viewer = await Viewer.Connect(gateway, NewUser());
        Func<Task> call = kind switch
        {
            "wrong arguments" => () => viewer.Connection.InvokeCoreAsync<object>(HubContract.GetTokens, ["s-1", "not a number"]),
            "unknown method" => () => viewer.Connection.InvokeCoreAsync<object>("DropAllThreads", []),
            "called as a stream" => async () =>
            {
                var items = await viewer.Connection.StreamAsChannelCoreAsync(HubContract.JoinThread, typeof(object), ["t-1"]);
                await items.ReadAllAsync().ToListAsync();
            },
            _ => () =>
            {
                var upload = System.Threading.Channels.Channel.CreateUnbounded<string>();
                upload.Writer.Complete();
                return viewer.Connection.InvokeCoreAsync<object>(HubContract.JoinThread, ["t-1", upload.Reader]);
            },
        };

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 3 * EdgeGatewayFixture.HubInvocationBurst).Select(_ => Outcome(call)));

        Assert.Contains(outcomes, o => o.StartsWith("invalid_request: ", StringComparison.Ordinal));
        Assert.True(outcomes.Count(o => o.StartsWith("rate_limited: ", StringComparison.Ordinal)) >= EdgeGatewayFixture.HubInvocationBurst, string.Join(" | ", outcomes));
    }

    [Fact]
    public async Task A_connection_may_join_only_so_many_threads_at_a_time()
    {
        var user = NewUser();
        var threads = new List<string>();
        for (var i = 0; i <= EdgeGatewayFixture.ThreadsPerConnection; i++)
        {
            threads.Add(await gateway.NewThread(user));
        }

        await using var viewer = await Viewer.Connect(gateway, user);
        foreach (var thread in threads.Take(EdgeGatewayFixture.ThreadsPerConnection))
        {
            await viewer.Join(thread);
        }

        var refused = Viewer.ServerMessage(await Assert.ThrowsAsync<HubException>(() => viewer.Join(threads[^1])));
        await viewer.Join(threads[0]); // joining one already joined takes nothing more
        await viewer.Connection.InvokeAsync(HubContract.LeaveThread, threads[0]);
        await viewer.Join(threads[^1]);

        Assert.Equal($"quota_exceeded: a connection may join at most {EdgeGatewayFixture.ThreadsPerConnection} threads at a time; leave one first.", refused);
    }

    /// <summary>
    /// Leaving a connection's threads can wait on the cluster (a relay call through a failing silo); the quota counts
    /// open connections, so a reload must not be refused meanwhile.
    /// </summary>
    [Fact]
    public async Task A_closed_connection_frees_its_place_before_its_threads_are_left()
    {
        var user = EdgeGatewayFixture.SlowTeardownUserPrefix + Guid.NewGuid().ToString("N");
        var held = new List<Viewer>();
        for (var i = 0; i < EdgeGatewayFixture.ConnectionsPerUser; i++)
        {
            held.Add(await Viewer.Connect(gateway, user));
        }

        await held[0].DisposeAsync();
        using var http = new HttpClient { BaseAddress = gateway.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new("Bearer", gateway.TokenFor(user));
        await Eventually.True(async () => (await http.PostAsync(HubContract.Path + "/negotiate?negotiateVersion=1", null)).IsSuccessStatusCode,
            EdgeGatewayFixture.SlowTeardown / 2, "negotiate answers while the closed connection is still leaving its threads");
        await held[1].DisposeAsync();
    }

    [Fact]
    public async Task A_user_may_hold_only_so_many_connections_on_a_gateway_refused_at_negotiate_and_at_the_socket()
    {
        var user = NewUser();
        var held = new List<Viewer>();
        for (var i = 0; i < EdgeGatewayFixture.ConnectionsPerUser; i++)
        {
            held.Add(await Viewer.Connect(gateway, user));
        }

        try
        {
            // Through negotiate, as every SignalR client starts: a 429 the client backs off from.
            using var http = new HttpClient { BaseAddress = gateway.BaseAddress };
            http.DefaultRequestHeaders.Authorization = new("Bearer", gateway.TokenFor(user));
            var negotiate = await http.PostAsync(HubContract.Path + "/negotiate?negotiateVersion=1", null);
            var problem = await ProblemAssert.Is(negotiate, HttpStatusCode.TooManyRequests, "quota_exceeded");
            Assert.NotNull(negotiate.Headers.RetryAfter);
            // Routing takes a trailing slash as the same route, so the quota does too.
            await ProblemAssert.Is(await http.PostAsync(HubContract.Path + "/Negotiate/?negotiateVersion=1", null), HttpStatusCode.TooManyRequests, "quota_exceeded");

            // Straight to the WebSocket: the connection opens and is closed at once with the same refusal.
            var closed = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
            await using var direct = gateway.Connection(user, b => b.WithUrl(new Uri(gateway.BaseAddress, HubContract.Path), o =>
            {
                o.SkipNegotiation = true;
                o.Transports = HttpTransportType.WebSockets;
            }));
            direct.Closed += error =>
            {
                closed.TrySetResult(error);
                return Task.CompletedTask;
            };
            Exception? refusal;
            try
            {
                await direct.StartAsync();
                refusal = await closed.Task.WaitAsync(TimeSpan.FromSeconds(20));
            }
            catch (Exception ex)
            {
                refusal = ex;
            }

            Assert.Contains($"quota_exceeded: at most {EdgeGatewayFixture.ConnectionsPerUser} connections per user", refusal?.ToString());
            Assert.Contains("connections per user", problem.GetProperty("detail").GetString());

            // The refused connection leaves nothing behind in the fan-out.
            var fanout = gateway.Services.GetRequiredService<ReHome.Gateway.Fanout.ThreadFanout>();
            await Eventually.True(
                () => Task.FromResult(fanout.Viewers.Count(v => v.UserId == user) == EdgeGatewayFixture.ConnectionsPerUser),
                because: "a connection refused as it opened must not stay a viewer");

            // Another user is not affected, and closing one connection frees its place.
            await using var other = await Viewer.Connect(gateway, NewUser());
            await held[0].DisposeAsync();
            held.RemoveAt(0);
            held.Add(await Eventually.Get(async () =>
            {
                try
                {
                    return await Viewer.Connect(gateway, user);
                }
                catch (HttpRequestException)
                {
                    return null;
                }
            }, v => v is not null, because: "the closed connection's place is free") ?? throw new InvalidOperationException());
        }
        finally
        {
            foreach (var viewer in held)
            {
                await viewer.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task The_producer_api_limits_requests_per_service_key()
    {
        var threadId = await gateway.NewThread("alice");
        using var first = gateway.ServiceClient();
        using var second = new HttpClient { BaseAddress = gateway.BaseAddress };
        second.DefaultRequestHeaders.Add("X-Service-Key", EdgeGatewayFixture.SecondServiceKey);

        var answers = await Task.WhenAll(Enumerable.Range(0, 3 * EdgeGatewayFixture.ProducerRequestBurst)
            .Select(_ => first.GetAsync($"/api/v1/threads/{threadId}/streams")));
        var limited = answers.First(a => a.StatusCode == HttpStatusCode.TooManyRequests);
        var otherKey = await second.GetAsync($"/api/v1/threads/{threadId}/streams");

        Assert.True(answers.Count(a => a.StatusCode == HttpStatusCode.OK) >= EdgeGatewayFixture.ProducerRequestBurst);
        Assert.True(answers.Count(a => a.StatusCode == HttpStatusCode.TooManyRequests) >= EdgeGatewayFixture.ProducerRequestBurst);
        await ProblemAssert.Is(limited, HttpStatusCode.TooManyRequests, "rate_limited");
        Assert.NotNull(limited.Headers.RetryAfter);
        Assert.Equal(HttpStatusCode.OK, otherKey.StatusCode);
    }

    private static string NewUser() => "user-" + Guid.NewGuid().ToString("N");

    private static async Task<string> Outcome(Func<Task> call)
    {
        try
        {
            await call();
            return "ok";
        }
        catch (HubException ex)
        {
            return Viewer.ServerMessage(ex);
        }
    }
}
