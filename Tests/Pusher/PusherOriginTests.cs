using ReHome.Gateway.Pusher;
using ReHome.Tests.Infrastructure;

namespace ReHome.Tests.Pusher;

/// <summary>A gateway whose Pusher app lets pages of two hosts connect, one of them by pattern.</summary>
public sealed class PusherOriginsFixture : GatewayFixture
{
    protected override Dictionary<string, string?> Settings => new()
    {
        ["Pusher:AppKey"] = PusherGatewayFixture.AppKey,
        ["Pusher:AppSecret"] = PusherGatewayFixture.AppSecret,
        ["Pusher:AllowedOrigins:0"] = "app.example.test",
        ["Pusher:AllowedOrigins:1"] = "*.example.org",
    };

    public Uri WebSocketUri => PusherGatewayFixture.WebSocketUriAt(BaseAddress);
}

/// <summary>
/// <c>Pusher:AllowedOrigins</c>, as Reverb's <c>allowed_origins</c>: a page of another site, or a client that names no
/// origin, gets 4009 "Origin not allowed" (pusher-js does not reconnect); the listed hosts connect.
/// </summary>
public sealed class PusherOriginTests(PusherOriginsFixture gateway) : IClassFixture<PusherOriginsFixture>
{
    [Theory]
    [InlineData("https://app.example.test")]
    [InlineData("http://APP.example.test:8080")]
    [InlineData("https://chat.example.org")]
    public async Task A_page_of_an_allowed_host_connects(string origin)
    {
        await using var socket = await RawPusherSocket.ConnectAs(gateway.WebSocketUri, origin);

        var established = await socket.Receive();

        Assert.Equal("pusher:connection_established", established.GetProperty("event").GetString());
    }

    [Theory]
    [InlineData("https://evil.test")]
    [InlineData("https://app.example.test.evil.test")]
    [InlineData("https://example.org")]
    [InlineData("null")]
    public async Task A_page_of_another_host_is_refused_with_4009(string origin)
    {
        await using var socket = await RawPusherSocket.ConnectAs(gateway.WebSocketUri, origin);

        await Refused(socket);
    }

    [Fact]
    public async Task A_client_that_names_no_origin_is_refused_with_4009()
    {
        await using var socket = await RawPusherSocket.Connect(gateway.WebSocketUri);

        await Refused(socket);
    }

    [Fact]
    public void An_entry_with_a_scheme_or_a_path_fails_the_start_naming_the_key()
    {
        var options = new PusherOptions { AllowedOrigins = ["https://app.example.test", "app.example.test/chat", "*.example.org"] };

        var problems = options.Problems().ToList();

        Assert.Equal(2, problems.Count);
        Assert.All(problems, p => Assert.StartsWith("Pusher:AllowedOrigins entry '", p));
        Assert.Contains("'https://app.example.test'", problems[0]);
    }

    [Fact]
    public void Unset_or_a_star_lets_any_origin_and_clients_without_one_connect()
    {
        Assert.True(new PusherOptions().AllowsOrigin(null));
        Assert.True(new PusherOptions().AllowsOrigin("https://anywhere.test"));
        Assert.True(new PusherOptions { AllowedOrigins = ["app.example.test", "*"] }.AllowsOrigin(null));
        Assert.False(new PusherOptions { AllowedOrigins = ["app.example.test"] }.AllowsOrigin("not a url"));
    }

    private static async Task Refused(RawPusherSocket socket)
    {
        var error = await socket.Receive();
        Assert.Equal("pusher:error", error.GetProperty("event").GetString());
        Assert.Equal(4009, RawPusherSocket.Data(error).GetProperty("code").GetInt32());
        Assert.Equal("Origin not allowed", RawPusherSocket.Data(error).GetProperty("message").GetString());
        Assert.Equal(4009, await socket.WaitForClose());
    }
}
