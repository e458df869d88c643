using System.Buffers;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace ReHome.Bench.Load;

/// <summary>
/// One Echo-like viewer on the gateway's Pusher endpoint (<c>--client pusher</c>): a WebSocket at <c>/app/{key}</c>
/// speaking protocol 7 as pusher-js does, subscribed to <c>private-agent.thread.{id}</c> with the signature a
/// Laravel app's <c>/broadcasting/auth</c> would return, checking every <c>agent.thread.token</c> event.
/// </summary>
internal sealed class PusherViewer : IBenchViewer
{
    public const string AppKey = "bench-app-key";
    public const string AppSecret = "bench-app-secret-0123456789";
    private static readonly JsonSerializerOptions Json = new() { PropertyNameCaseInsensitive = true };

    private readonly Uri _uri;
    private readonly ReceivedTokens _received;
    private readonly ClientWebSocket _socket = new();
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private TaskCompletionSource<string> _established = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource _subscribed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? _receiving;
    private string? _socketId;

    /// <param name="gatewayBase">The gateway's http(s) base address.</param>
    public PusherViewer(Uri gatewayBase, Delivery delivery)
    {
        var ws = new UriBuilder(gatewayBase) { Scheme = gatewayBase.Scheme == "https" ? "wss" : "ws", Path = $"/app/{AppKey}", Query = "protocol=7&client=bench&version=1.0" };
        _uri = ws.Uri;
        _received = new ReceivedTokens(delivery);
    }

    /// <summary>The gateway settings that make its Pusher endpoint serve this app.</summary>
    public static IReadOnlyDictionary<string, string> GatewaySettings { get; } = new Dictionary<string, string>
    {
        ["Pusher__AppKey"] = AppKey,
        ["Pusher__AppSecret"] = AppSecret,
    };

    public IEnumerable<StreamCheck> Checks => _received.Checks;

    public bool Connected => _socket.State == WebSocketState.Open;

    public async Task Connect(CancellationToken cancellationToken)
    {
        await _socket.ConnectAsync(_uri, cancellationToken);
        _receiving = Task.Run(Receive);
        _socketId = await _established.Task.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
    }

    public async Task Join(string threadId)
    {
        var channel = "private-agent.thread." + threadId;
        var signature = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(AppSecret), Encoding.UTF8.GetBytes($"{_socketId}:{channel}")));
        await Send(JsonSerializer.Serialize(new { @event = "pusher:subscribe", data = new { channel, auth = $"{AppKey}:{signature}" } }));
        await _subscribed.Task.WaitAsync(TimeSpan.FromSeconds(30));
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_socket.State == WebSocketState.Open)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
        }

        _stop.Cancel();
        if (_receiving is not null)
        {
            await _receiving;
        }

        _socket.Dispose();
        _stop.Dispose();
    }

    private async Task Send(string text)
    {
        await _sendLock.WaitAsync();
        try
        {
            await _socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    private async Task Receive()
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        try
        {
            while (true)
            {
                buffer.ResetWrittenCount();
                ValueWebSocketReceiveResult result;
                do
                {
                    result = await _socket.ReceiveAsync(buffer.GetMemory(4096), _stop.Token);
                    buffer.Advance(result.Count);
                }
                while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close);

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }

                await Handle(buffer.WrittenMemory, Stopwatch.GetTimestamp());
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
            // Closed by the run's end or by the gateway; the checks count what arrived.
        }
        finally
        {
            _established.TrySetCanceled();
            _subscribed.TrySetCanceled();
        }
    }

    private async Task Handle(ReadOnlyMemory<byte> frame, long receivedAt)
    {
        using var message = JsonDocument.Parse(frame);
        var root = message.RootElement;
        var data = root.TryGetProperty("data", out var d) ? d : default;
        switch (root.GetProperty("event").GetString())
        {
            case "agent.thread.token":
                _received.Receive(JsonSerializer.Deserialize<ViewerToken>(data.GetString()!, Json)!, receivedAt);
                break;
            case "pusher:connection_established":
                using (var established = JsonDocument.Parse(data.GetString()!))
                {
                    _established.TrySetResult(established.RootElement.GetProperty("socket_id").GetString()!);
                }

                break;
            case "pusher_internal:subscription_succeeded":
                _subscribed.TrySetResult();
                break;
            case "pusher:subscription_error":
                _subscribed.TrySetException(new InvalidOperationException("subscription refused: " + data.GetRawText()));
                break;
            case "pusher:ping":
                await Send("""{"event":"pusher:pong","data":{}}""");
                break;
        }
    }
}
