using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ReHome.Tests.Infrastructure;

namespace ReHome.Tests.Pusher;

/// <summary>
/// A gateway with a Pusher app and small quotas: connections 3 per client address and 5 in all; token page requests
/// 3 at once per address, then 1 a second.
/// </summary>
public sealed class PusherLimitsFixture : GatewayFixture
{
    public const int PerAddress = 3;
    public const int Total = 5;
    public const int TokenPageBurst = 3;

    protected override Dictionary<string, string?> Settings => new()
    {
        ["Pusher:AppKey"] = PusherGatewayFixture.AppKey,
        ["Pusher:AppSecret"] = PusherGatewayFixture.AppSecret,
        ["Pusher:MaxConnectionsPerAddress"] = PerAddress.ToString(),
        ["Pusher:MaxConnections"] = Total.ToString(),
        ["Pusher:TokenPageRequestsPerSecond"] = "1",
        ["Pusher:TokenPageBurst"] = TokenPageBurst.ToString(),
    };

    public Uri WebSocketUri => PusherGatewayFixture.WebSocketUriAt(BaseAddress);
}

/// <summary>
/// Pusher connections are anonymous until they subscribe, so they are counted per client address and per gateway;
/// one past either quota gets the protocol's 4100 (pusher-js backs off and retries), and a closed one frees its place.
/// </summary>
public sealed class PusherConnectionLimitTests(PusherLimitsFixture gateway) : IClassFixture<PusherLimitsFixture>
{
    [Fact]
    public async Task Connections_past_the_per_address_and_the_gateway_quota_are_refused_with_4100_until_one_closes()
    {
        var held = new List<RawPusherSocket>();
        try
        {
            var first = IPAddress.Parse("127.0.0.2");
            for (var i = 0; i < PusherLimitsFixture.PerAddress; i++)
            {
                held.Add(await Established(first));
            }

            await Refused(first, "connections from one address");

            var second = IPAddress.Parse("127.0.0.3");
            while (held.Count < PusherLimitsFixture.Total)
            {
                held.Add(await Established(second));
            }

            await Refused(IPAddress.Parse("127.0.0.4"), "This gateway holds its limit");

            // A closed connection gives its place back, to its address and to the gateway.
            await held[0].DisposeAsync();
            held.RemoveAt(0);
            var again = await Eventually.Get<RawPusherSocket?>(async () =>
            {
                var socket = await RawPusherSocket.ConnectFrom(gateway.WebSocketUri, first);
                var message = await socket.ReceiveOrClose();
                if (message?.GetProperty("event").GetString() == "pusher:connection_established")
                {
                    return socket;
                }

                await socket.DisposeAsync();
                return null;
            }, s => s is not null, because: "the closed connection's place is free");
            held.Add(again!);
        }
        finally
        {
            foreach (var socket in held)
            {
                await socket.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Token_page_requests_past_an_address_burst_get_429_with_when_to_retry_while_other_addresses_go_on()
    {
        using var first = ClientFrom(IPAddress.Parse("127.0.0.5"));
        var answered = 0;
        HttpResponseMessage limited;
        while ((limited = await AskForStreams(first)).StatusCode != HttpStatusCode.TooManyRequests && answered < 20)
        {
            // Refused for its signature, but counted: every request takes from the bucket.
            Assert.Equal(HttpStatusCode.Unauthorized, limited.StatusCode);
            limited.Dispose();
            answered++;
        }

        // The burst, plus the one a second the bucket regains, should the requests straddle a second or two.
        Assert.InRange(answered, PusherLimitsFixture.TokenPageBurst, PusherLimitsFixture.TokenPageBurst + 2);
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.NotNull(limited.Headers.RetryAfter?.Delta);
        // A cross-origin page (the example follower) may read it only when exposed.
        Assert.Equal("*", Assert.Single(limited.Headers.GetValues("Access-Control-Allow-Origin")));
        Assert.Equal("Retry-After", Assert.Single(limited.Headers.GetValues("Access-Control-Expose-Headers")));
        using var problem = JsonDocument.Parse(await limited.Content.ReadAsStringAsync());
        Assert.Equal("rate_limited", problem.RootElement.GetProperty("code").GetString());
        Assert.Contains("token page requests a second from one address", problem.RootElement.GetProperty("detail").GetString());
        limited.Dispose();

        using var second = ClientFrom(IPAddress.Parse("127.0.0.6"));
        Assert.Equal(HttpStatusCode.Unauthorized, (await AskForStreams(second)).StatusCode);
    }

    private Task<HttpResponseMessage> AskForStreams(HttpClient client) =>
        client.PostAsJsonAsync($"/app/{PusherGatewayFixture.AppKey}/streams",
            new { socket_id = "1.2", channel_name = "private-agent.thread.t1", auth = $"{PusherGatewayFixture.AppKey}:00" });

    private HttpClient ClientFrom(IPAddress from) => new(RawPusherSocket.HandlerFrom(from)) { BaseAddress = gateway.BaseAddress };

    private async Task<RawPusherSocket> Established(IPAddress from)
    {
        var socket = await RawPusherSocket.ConnectFrom(gateway.WebSocketUri, from);
        var established = await socket.Receive();
        Assert.Equal("pusher:connection_established", established.GetProperty("event").GetString());
        return socket;
    }

    private async Task Refused(IPAddress from, string says)
    {
        await using var socket = await RawPusherSocket.ConnectFrom(gateway.WebSocketUri, from);
        var error = await socket.Receive();

        Assert.Equal("pusher:error", error.GetProperty("event").GetString());
        Assert.Equal(4100, RawPusherSocket.Data(error).GetProperty("code").GetInt32());
        Assert.Contains(says, RawPusherSocket.Data(error).GetProperty("message").GetString());
        Assert.Equal(4100, await socket.WaitForClose());
    }
}
