using System.Net;
using System.Net.Sockets;
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

    /// <param name="receiveBufferBytes">
    /// The TCP receive buffer, set before connecting so the kernel does not grow it: small for a client that stops
    /// reading and should back up soon.
    /// </param>
    public static async Task<RawPusherSocket> Connect(Uri uri, int? receiveBufferBytes = null)
    {
        var raw = new RawPusherSocket();
        if (receiveBufferBytes is not { } size)
        {
            await raw._socket.ConnectAsync(uri, CancellationToken.None);
            return raw;
        }

        using var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, cancellation) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = size, NoDelay = true };
                try
                {
                    await socket.ConnectAsync(context.DnsEndPoint, cancellation);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        await raw._socket.ConnectAsync(uri, new HttpMessageInvoker(handler, disposeHandler: false), CancellationToken.None);
        return raw;
    }

    /// <summary>Connects as a browser page of <paramref name="origin"/> would: with that <c>Origin</c> header.</summary>
    public static async Task<RawPusherSocket> ConnectAs(Uri uri, string origin)
    {
        var raw = new RawPusherSocket();
        raw._socket.Options.SetRequestHeader("Origin", origin);
        await raw._socket.ConnectAsync(uri, CancellationToken.None);
        return raw;
    }

    /// <summary>Connects from another loopback address (127.0.0.x), so a test can be several clients on one machine.</summary>
    public static async Task<RawPusherSocket> ConnectFrom(Uri uri, IPAddress from)
    {
        var raw = new RawPusherSocket();
        using var handler = HandlerFrom(from);
        using var invoker = new HttpMessageInvoker(handler, disposeHandler: false);
        await raw._socket.ConnectAsync(uri, invoker, CancellationToken.None);
        return raw;
    }

    /// <summary>An HTTP handler whose connections come from <paramref name="from"/>, another loopback address.</summary>
    public static SocketsHttpHandler HandlerFrom(IPAddress from) => new()
    {
        ConnectCallback = async (context, cancellation) =>
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                socket.Bind(new IPEndPoint(from, 0));
                await socket.ConnectAsync(context.DnsEndPoint, cancellation);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    };

    /// <summary>Connects and reads <c>pusher:connection_established</c>; returns the socket and its socket id.</summary>
    public static Task<(RawPusherSocket Socket, string SocketId)> Open(PusherGatewayFixture gateway) => Open(gateway.WebSocketUri());

    /// <inheritdoc cref="Open(PusherGatewayFixture)"/>
    public static async Task<(RawPusherSocket Socket, string SocketId)> Open(Uri uri, int? receiveBufferBytes = null)
    {
        var raw = await Connect(uri, receiveBufferBytes);
        var established = await raw.Receive();
        Assert.Equal("pusher:connection_established", established.GetProperty("event").GetString());
        return (raw, Data(established).GetProperty("socket_id").GetString()!);
    }

    public Task Send(object message) => SendText(JsonSerializer.Serialize(message));

    public Task SendBinary(byte[] bytes) =>
        _socket.SendAsync(bytes, WebSocketMessageType.Binary, true, CancellationToken.None);

    /// <summary>Reads until a message of <paramref name="eventName"/> whose data has <paramref name="code"/> (returned).</summary>
    public async Task<JsonElement> ReceiveEventWithCode(string eventName, int code, TimeSpan? timeout = null)
    {
        while (true)
        {
            var message = await ReceiveEvent(eventName, timeout);
            if (Data(message).TryGetProperty("code", out var got) && got.ValueKind == JsonValueKind.Number && got.GetInt32() == code)
            {
                return message;
            }
        }
    }

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

    /// <summary>
    /// The next message that is not the gateway's own <c>pusher:ping</c>, answering each ping with a pong as pusher-js
    /// does (a test that reads for longer than the activity and pong timeouts would otherwise be closed with 4201).
    /// </summary>
    public async Task<JsonElement> ReceiveSkippingPings(TimeSpan? timeout = null)
    {
        while (true)
        {
            var message = await Receive(timeout);
            if (message.GetProperty("event").GetString() != "pusher:ping")
            {
                return message;
            }

            await Send(new { @event = "pusher:pong", data = new { } });
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
