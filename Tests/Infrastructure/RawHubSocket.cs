using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace ReHome.Tests.Infrastructure;

/// <summary>
/// A hub client written by hand: a raw TCP socket, the WebSocket upgrade and the SignalR JSON protocol (records
/// ending in 0x1E). It exists to be a connection that stops reading its socket, as a frozen tab or a phone in a
/// tunnel does: its receive buffer is shrunk before it connects, so the gateway's writes back up after a few
/// kilobytes rather than megabytes. It reads only when asked.
/// </summary>
public sealed class RawHubSocket : IAsyncDisposable
{
    private const byte RecordSeparator = 0x1E;

    private readonly Socket _socket;
    private readonly WebSocket _webSocket;
    private readonly List<byte> _pending = [];
    private readonly byte[] _buffer = new byte[16 * 1024];
    private readonly SemaphoreSlim _sending = new(1, 1);
    private readonly CancellationTokenSource _disposed = new();
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _invocations;

    private RawHubSocket(Socket socket, WebSocket webSocket)
    {
        _socket = socket;
        _webSocket = webSocket;
    }

    /// <summary>Completes when a keep-alive ping could not be sent: the hub has closed the connection.</summary>
    public Task Closed => _closed.Task;

    /// <summary>Messages read so far that were not the answer being waited for (events, in arrival order).</summary>
    public List<JsonElement> Events { get; } = [];

    /// <param name="hub">The hub's http URL, e.g. <c>http://127.0.0.1:5000/hubs/agent</c>.</param>
    /// <param name="receiveBufferBytes">SO_RCVBUF, set before connecting (Linux doubles it and stops tuning it).</param>
    public static async Task<RawHubSocket> Connect(Uri hub, string accessToken, int receiveBufferBytes = 4096, CancellationToken cancellationToken = default)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = receiveBufferBytes, NoDelay = true };
        try
        {
            await socket.ConnectAsync(hub.Host, hub.Port, cancellationToken);
            var stream = new NetworkStream(socket, ownsSocket: false);
            var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
            var upgrade = $"GET {hub.AbsolutePath}?access_token={Uri.EscapeDataString(accessToken)} HTTP/1.1\r\nHost: {hub.Authority}\r\n" +
                $"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n";
            await stream.WriteAsync(Encoding.ASCII.GetBytes(upgrade), cancellationToken);
            var head = await ReadHead(stream, cancellationToken);
            if (!head.StartsWith("HTTP/1.1 101", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"The WebSocket upgrade was refused: {head.Split('\r')[0]}");
            }

            var client = new RawHubSocket(socket, WebSocket.CreateFromStream(stream, new WebSocketCreationOptions { KeepAliveInterval = TimeSpan.Zero }));
            await client.SendRecord("""{"protocol":"json","version":1}""", cancellationToken);
            var handshake = await client.Read(TimeSpan.FromSeconds(10)) ?? throw new InvalidOperationException("The hub closed during the handshake.");
            if (handshake.TryGetProperty("error", out var error))
            {
                throw new InvalidOperationException($"The hub refused the handshake: {error}");
            }

            return client;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Calls a hub method and reads until its answer, keeping what else arrives in <see cref="Events"/>.</summary>
    public async Task<JsonElement> Invoke(string method, params object[] arguments)
    {
        var id = await Send(method, arguments);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            var message = await Read(deadline - DateTime.UtcNow) ?? throw new InvalidOperationException($"The hub closed before answering {method}.");
            if (message.GetProperty("type").GetInt32() == 3 && message.GetProperty("invocationId").GetString() == id)
            {
                return message.TryGetProperty("error", out var error)
                    ? throw new InvalidOperationException($"{method} failed: {error.GetString()}")
                    : message.TryGetProperty("result", out var result) ? result : default;
            }

            Events.Add(message);
        }
    }

    /// <summary>
    /// Pings the hub every few seconds from now on, as a live client does, so the hub does not time it out for
    /// silence: it stays a connection that is there but does not read.
    /// </summary>
    public void KeepAlive(TimeSpan every) => _ = Task.Run(async () =>
    {
        using var timer = new PeriodicTimer(every);
        try
        {
            while (await timer.WaitForNextTickAsync(_disposed.Token))
            {
                await SendRecord("""{"type":6}""", _disposed.Token);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or IOException or ObjectDisposedException)
        {
            // Disposed, or the hub closed the connection.
        }

        _closed.TrySetResult();
    });

    /// <summary>Sends an invocation without waiting; returns its id, which the answer (type 3) carries.</summary>
    public async Task<string> Send(string method, params object[] arguments)
    {
        var id = Interlocked.Increment(ref _invocations).ToString(System.Globalization.CultureInfo.InvariantCulture);
        await SendRecord(JsonSerializer.Serialize(new { type = 1, invocationId = id, target = method, arguments }), CancellationToken.None);
        return id;
    }

    /// <summary>
    /// The next hub message other than a ping, or null once the gateway has closed the connection. Throws
    /// <see cref="TimeoutException"/> when nothing arrives in time.
    /// </summary>
    public async Task<JsonElement?> Read(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        while (true)
        {
            var at = _pending.IndexOf(RecordSeparator);
            if (at >= 0)
            {
                var record = _pending.GetRange(0, at).ToArray();
                _pending.RemoveRange(0, at + 1);
                var message = JsonDocument.Parse(record).RootElement.Clone();
                if (message.TryGetProperty("type", out var type) && type.GetInt32() == 6)
                {
                    continue; // ping
                }

                return message;
            }

            WebSocketReceiveResult received;
            try
            {
                received = await _webSocket.ReceiveAsync(_buffer, cancel.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"No hub message within {timeout}.");
            }
            catch (Exception ex) when (ex is WebSocketException or IOException)
            {
                return null;
            }

            if (received.MessageType == WebSocketMessageType.Close)
            {
                return null;
            }

            _pending.AddRange(_buffer.AsSpan(0, received.Count));
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _disposed.CancelAsync();
        _webSocket.Abort();
        _webSocket.Dispose();
        _socket.Dispose();
        await Task.CompletedTask;
    }

    private async Task SendRecord(string json, CancellationToken cancellationToken)
    {
        // One send at a time on a WebSocket: the keep-alive and invocations share it.
        await _sending.WaitAsync(cancellationToken);
        try
        {
            await _webSocket.SendAsync(Encoding.UTF8.GetBytes(json + (char)RecordSeparator), WebSocketMessageType.Text, endOfMessage: true, cancellationToken);
        }
        finally
        {
            _sending.Release();
        }
    }

    private static async Task<string> ReadHead(NetworkStream stream, CancellationToken cancellationToken)
    {
        // Byte by byte, so nothing after the blank line (the first WebSocket frame) is consumed here.
        var head = new StringBuilder();
        var one = new byte[1];
        while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            if (await stream.ReadAsync(one, cancellationToken) == 0)
            {
                throw new InvalidOperationException("The connection closed during the WebSocket upgrade.");
            }

            head.Append((char)one[0]);
        }

        return head.ToString();
    }
}
