using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace ReHome.Tests.Pusher;

/// <summary>A bare WebSocket speaking the Pusher protocol by hand, to check the endpoint's exact frames and codes.</summary>
public sealed class RawPusherSocket : IAsyncDisposable
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);
    private readonly ClientWebSocket _socket = new();

    public WebSocketCloseStatus? CloseStatus => _socket.CloseStatus;

    public string? CloseReason => _socket.CloseStatusDescription;

    public WebSocketState State => _socket.State;

    public static async Task<RawPusherSocket> Connect(Uri uri)
    {
        var raw = new RawPusherSocket();
        await raw._socket.ConnectAsync(uri, CancellationToken.None);
        return raw;
    }

    /// <summary>Connects and reads <c>pusher:connection_established</c>; returns the socket and its socket id.</summary>
    public static async Task<(RawPusherSocket Socket, string SocketId)> Open(PusherGatewayFixture gateway)
    {
        var raw = await Connect(gateway.WebSocketUri());
        var established = await raw.Receive();
        Assert.Equal("pusher:connection_established", established.GetProperty("event").GetString());
        return (raw, Data(established).GetProperty("socket_id").GetString()!);
    }

    public Task Send(object message) => SendText(JsonSerializer.Serialize(message));

    public Task SendText(string text) =>
        _socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);

    /// <summary>The next message, or null when the server closed the socket instead.</summary>
    public async Task<JsonElement> Receive(TimeSpan? timeout = null) =>
        await ReceiveOrClose(timeout) ?? throw new InvalidOperationException($"The socket closed ({CloseStatus} {CloseReason}) instead of sending a message.");

    public async Task<JsonElement?> ReceiveOrClose(TimeSpan? timeout = null)
    {
        using var deadline = new CancellationTokenSource(timeout ?? DefaultTimeout);
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        while (true)
        {
            var result = await _socket.ReceiveAsync(buffer, deadline.Token);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return null;
            }

            message.Write(buffer, 0, result.Count);
            if (result.EndOfMessage)
            {
                return JsonDocument.Parse(message.ToArray()).RootElement.Clone();
            }
        }
    }

    /// <summary>The next message that is not the gateway's own <c>pusher:ping</c> (the tests' heartbeats are short).</summary>
    public async Task<JsonElement> ReceiveSkippingPings(TimeSpan? timeout = null)
    {
        while (true)
        {
            var message = await Receive(timeout);
            if (message.GetProperty("event").GetString() != "pusher:ping")
            {
                return message;
            }
        }
    }

    /// <summary>Reads until a message of <paramref name="eventName"/> (returned), failing on a close.</summary>
    public async Task<JsonElement> ReceiveEvent(string eventName, TimeSpan? timeout = null)
    {
        while (true)
        {
            var message = await Receive(timeout);
            if (message.GetProperty("event").GetString() == eventName)
            {
                return message;
            }
        }
    }

    /// <summary>Reads (and drops) messages until the server's close arrives; returns its code.</summary>
    public async Task<int> WaitForClose(TimeSpan? timeout = null)
    {
        while (await ReceiveOrClose(timeout) is not null)
        {
        }

        return (int)CloseStatus!.Value;
    }

    /// <summary>The event's data, parsed when it is sent as a JSON-encoded string.</summary>
    public static JsonElement Data(JsonElement message)
    {
        var data = message.GetProperty("data");
        return data.ValueKind == JsonValueKind.String ? JsonDocument.Parse(data.GetString()!).RootElement.Clone() : data;
    }

    public async ValueTask DisposeAsync()
    {
        if (_socket.State == WebSocketState.Open)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token);
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
            {
            }
        }

        _socket.Dispose();
    }
}
