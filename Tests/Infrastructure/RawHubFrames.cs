using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace ReHome.Tests.Infrastructure;

/// <summary>
/// A WebSocket to the hub driven by hand, as a client this project did not write could: negotiate, connect, the JSON
/// handshake; then whatever frames a test sends, each ended by the record separator.
/// </summary>
public static class RawHubFrames
{
    /// <param name="protocol"><c>json</c>, or <c>messagepack</c> (then the test reads the handshake's answer and sends binary frames itself).</param>
    public static async Task<ClientWebSocket> Connect(GatewayFixture gateway, string userId, string protocol = "json")
    {
        using var http = new HttpClient { BaseAddress = gateway.BaseAddress };
        var token = gateway.TokenFor(userId);
        using var negotiate = new HttpRequestMessage(HttpMethod.Post, HubContract.Path + "/negotiate?negotiateVersion=1");
        negotiate.Headers.Authorization = new("Bearer", token);
        var negotiated = await (await http.SendAsync(negotiate)).Content.ReadFromJsonAsync<JsonElement>();
        var socket = new ClientWebSocket();
        var url = new UriBuilder(new Uri(gateway.BaseAddress, HubContract.Path))
        {
            Scheme = "ws",
            Query = $"id={negotiated.GetProperty("connectionToken").GetString()}&access_token={token}",
        }.Uri;
        await socket.ConnectAsync(url, CancellationToken.None);
        await Send(socket, $$"""{"protocol":"{{protocol}}","version":1}""");
        return socket;
    }

    /// <summary>Sends the frames as one WebSocket message, each followed by the record separator.</summary>
    public static Task Send(ClientWebSocket socket, params string[] frames) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(string.Concat(frames.Select(f => f + "\u001e"))), WebSocketMessageType.Text, true, CancellationToken.None);
}
