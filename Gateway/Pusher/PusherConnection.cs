using System.Buffers;
using System.Net.WebSockets;
using System.Text.Json;
using System.Threading.Channels;
using ReHome.Gateway.Fanout;
using ReHome.Gateway.Telemetry;
using ReHome.Grains;

namespace ReHome.Gateway.Pusher;

/// <summary>
/// One pusher-js / Echo client on one WebSocket: the protocol's handshake, heartbeats, subscriptions and errors.
/// Its channels' messages come from the thread fan-out as a <see cref="Viewer"/> of its own (the same bounded queue,
/// <c>agent.thread.behind</c> and disconnect of a connection that stays behind as a hub connection), one write in
/// flight; protocol frames queue beside them. One writer loop puts both on the socket, so a slow client holds up
/// only itself; one whose protocol frames pile up past <see cref="PusherOptions.OutboundQueueLimit"/> is closed with 4100.
/// </summary>
internal sealed partial class PusherConnection
{
    /// <summary>How long a closing socket may take to finish its close handshake before it is aborted.</summary>
    private static readonly TimeSpan CloseGrace = TimeSpan.FromSeconds(5);

    /// <summary>How long a subscription the cluster did not answer waits before each next try; the last repeats.</summary>
    private static readonly TimeSpan[] JoinRetryDelays =
        [TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(5)];

    private readonly WebSocket _socket;
    private readonly PusherOptions _options;
    private readonly ThreadFanout _fanout;
    private readonly IGrainFactory _grains;
    private readonly PusherViewerTransport _transport;
    private readonly GatewayMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Channel<Outbound> _outbound;

    /// <summary>Confirmed channels, with their thread ids.</summary>
    private readonly Dictionary<string, string> _channels = [];

    /// <summary>
    /// Channels whose join the cluster did not answer, with their thread ids: retried in the background until
    /// confirmed, unsubscribed or the socket closes. Guarded by <see cref="_channels"/>' lock, as is
    /// <see cref="_retryingJoins"/>: one loop retries them all, one at a time, so the receive loop waits behind at
    /// most one attempt.
    /// </summary>
    private readonly Dictionary<string, string> _retrying = [];
    private bool _retryingJoins;

    /// <summary>Joins and leaves that may wait for the membership lock before the receive loop waits with them.</summary>
    private const int MaxQueuedMembershipChanges = 16;

    /// <summary>Serialises joins and leaves: the receive loop's with the background retries'.</summary>
    private readonly SemaphoreSlim _membership = new(1, 1);
    private int _queuedMembershipChanges;
    private readonly CancellationTokenSource _lifetime = new();
    private readonly TokenBucket _rate;
    private long _lastHeardTicks;
    private int _pinged;
    private (int Code, string Reason)? _close;
    private volatile bool _abandonQueue;

    private Viewer? _viewer;

    public PusherConnection(WebSocket socket, string socketId, PusherOptions options, ThreadFanout fanout,
        IGrainFactory grains, GatewayMetrics metrics, TimeProvider time, ILogger logger)
    {
        _socket = socket;
        SocketId = socketId;
        _options = options;
        _fanout = fanout;
        _grains = grains;
        _transport = new PusherViewerTransport(this);
        _metrics = metrics;
        _time = time;
        _logger = logger;
        _outbound = Channel.CreateBounded<Outbound>(new BoundedChannelOptions(options.OutboundQueueLimit)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _rate = new TokenBucket(options.MessagesPerSecond, options.MessageBurst, time);
        OpenedAt = time.GetUtcNow();
        _lastHeardTicks = OpenedAt.UtcTicks;
    }

    public string SocketId { get; }

    public DateTimeOffset OpenedAt { get; }

    /// <summary>True while the connection holds a confirmed subscription to <paramref name="channel"/>.</summary>
    public bool IsSubscribed(string channel)
    {
        lock (_channels)
        {
            return _channels.ContainsKey(channel);
        }
    }

    /// <summary>Runs the connection until the socket closes; leaves every channel on the way out.</summary>
    public async Task Run(CancellationToken stopping)
    {
        _metrics.ConnectionOpened();
        _viewer = _fanout.Connect(SocketId, userId: null, _transport);
        using var onStop = stopping.Register(() => Close(PusherCloseCodes.ReconnectImmediately, "The gateway is stopping; reconnect."));
        var writer = Task.Run(WriteLoop);
        try
        {
            Send(PusherFrames.ConnectionEstablished(SocketId, _options.ActivityTimeout));
            await ReceiveLoop();
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
            // The client went away without a close handshake, or the connection was aborted: nothing to answer.
        }
        finally
        {
            await LeaveAll();
            // Answers the client's close (or ends after an abort); nothing queued is worth sending any more.
            Close((int)WebSocketCloseStatus.NormalClosure, "");
            try
            {
                await writer;
            }
            finally
            {
                while (_outbound.Reader.TryRead(out var unsent))
                {
                    unsent.Written?.TrySetResult();
                }

                _metrics.ConnectionClosed();
                _lifetime.Cancel(); // stops the retried joins' waits
                _lifetime.Dispose();
            }
        }
    }

    /// <summary>Queues a protocol frame; a client too far behind to take it is closed (4100).</summary>
    public void Send(ReadOnlyMemory<byte> frame) => TryQueue(new Outbound([frame], null));

    /// <summary>Queues the fan-out's frames of a channel; completes when they are on the socket (or will never be).</summary>
    public ValueTask Write(ReadOnlyMemory<byte>[] frames)
    {
        var written = new TaskCompletionSource();
        return TryQueue(new Outbound(frames, written)) ? new ValueTask(written.Task) : ValueTask.CompletedTask;
    }

    private bool TryQueue(Outbound item)
    {
        if (_outbound.Writer.TryWrite(item))
        {
            return true;
        }

        if (_close is null)
        {
            LogBehind(SocketId, _options.OutboundQueueLimit);
            Close(PusherCloseCodes.OverCapacity, "The client fell too far behind; reconnect and catch up.", abandonQueue: true);
        }

        return false;
    }

    /// <summary>
    /// Closes with a protocol code: the queue is sent first unless <paramref name="abandonQueue"/>, then the close
    /// frame; a client that does not finish the handshake within a few seconds is cut off.
    /// </summary>
    public void Close(int code, string reason, bool abandonQueue = true)
    {
        lock (_outbound)
        {
            if (_close is not null)
            {
                return;
            }

            _close = (code, reason);
        }

        _abandonQueue = abandonQueue;
        _outbound.Writer.TryComplete();
        try
        {
            _lifetime.CancelAfter(CloseGrace);
        }
        catch (ObjectDisposedException)
        {
            // Already finished.
        }
    }

    /// <summary>Pings a client that has been silent for the activity timeout; closes one that stays silent (4201).</summary>
    public void CheckActivity(DateTimeOffset now)
    {
        var silent = now - new DateTimeOffset(Interlocked.Read(ref _lastHeardTicks), TimeSpan.Zero);
        if (silent >= _options.ActivityTimeout + _options.PongTimeout)
        {
            Close(PusherCloseCodes.PongNotReceived, "Pong reply not received.");
        }
        else if (silent >= _options.ActivityTimeout && Interlocked.Exchange(ref _pinged, 1) == 0)
        {
            Send(PusherFrames.Heartbeat(PusherEvents.Ping));
        }
    }

    private async Task ReceiveLoop()
    {
        var buffer = ArrayPool<byte>.Shared.Rent(_options.MaxMessageBytes + 1);
        try
        {
            while (true)
            {
                var length = 0;
                ValueWebSocketReceiveResult result;
                do
                {
                    if (length > _options.MaxMessageBytes)
                    {
                        Close((int)WebSocketCloseStatus.MessageTooBig, $"Messages are limited to {_options.MaxMessageBytes} bytes.");
                        await DrainUntilClosed(buffer);
                        return;
                    }

                    result = await _socket.ReceiveAsync(buffer.AsMemory(length, _options.MaxMessageBytes + 1 - length), _lifetime.Token);
                    length += result.Count;
                }
                while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close);

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }

                if (length > _options.MaxMessageBytes)
                {
                    Close((int)WebSocketCloseStatus.MessageTooBig, $"Messages are limited to {_options.MaxMessageBytes} bytes.");
                    await DrainUntilClosed(buffer);
                    return;
                }

                Interlocked.Exchange(ref _lastHeardTicks, _time.GetUtcNow().UtcTicks);
                Interlocked.Exchange(ref _pinged, 0);
                await Handle(buffer.AsMemory(0, length), result.MessageType == WebSocketMessageType.Binary);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>After the gateway sent a close, reads (and ignores) what is still in flight until the client's close arrives.</summary>
    private async Task DrainUntilClosed(byte[] buffer)
    {
        while ((await _socket.ReceiveAsync(buffer.AsMemory(), _lifetime.Token)).MessageType != WebSocketMessageType.Close)
        {
        }
    }

    private async Task Handle(ReadOnlyMemory<byte> text, bool binary)
    {
        // Every message counts against the rate, the ones that cannot be read too, but a heartbeat and an unsubscribe.
        // pusher-js forgets a channel before it sends the unsubscribe and never sends it again, so a dropped one
        // would leave this gateway streaming the thread to a socket that ignores it, and counting the channel.
        var message = default(PusherMessage);
        var readable = !binary && PusherMessage.TryParse(text, out message);
        var exempt = readable && message.Event is PusherEvents.Ping or PusherEvents.Pong or PusherEvents.Unsubscribe;
        if (!exempt && !_rate.TryTake(1, out _))
        {
            var dropped = readable ? message.Event : "(unreadable)";
            LogRateLimited(SocketId, dropped);
            Send(readable && message.Event == PusherEvents.Subscribe && message.Channel is { } refused
                ? PusherFrames.SubscriptionError(refused, "LimitExceeded", $"Too many messages: at most {_options.MessagesPerSecond}/s.", 429)
                : PusherFrames.Error(PusherCloseCodes.RateLimited, $"Too many messages: at most {_options.MessagesPerSecond}/s; '{dropped}' was dropped."));
            return;
        }

        if (!readable)
        {
            Send(PusherFrames.Error(PusherCloseCodes.InvalidMessage, binary
                ? "Binary messages are not supported; send JSON text."
                : "Invalid message format: expected a JSON object with an \"event\" name."));
            return;
        }

        switch (message.Event)
        {
            case PusherEvents.Ping:
                Send(PusherFrames.Heartbeat(PusherEvents.Pong));
                break;
            case PusherEvents.Pong:
                break;
            case PusherEvents.Subscribe:
                await OffTheReceiveLoop(() => Subscribe(message.Channel, message.Auth));
                break;
            case PusherEvents.Unsubscribe:
                await OffTheReceiveLoop(() => Unsubscribe(message.Channel));
                break;
            case var name when name.StartsWith(PusherEvents.ClientEventPrefix, StringComparison.Ordinal):
                Send(PusherFrames.Error(PusherCloseCodes.InvalidMessage, "Client events are not accepted: the channels here carry the model's answer only."));
                break;
            default:
                Send(PusherFrames.Error(PusherCloseCodes.InvalidMessage, $"Unsupported event '{message.Event}'."));
                break;
        }
    }

    private async Task Subscribe(string? channel, string? auth)
    {
        if (channel is null)
        {
            Send(PusherFrames.Error(PusherCloseCodes.InvalidMessage, "pusher:subscribe needs data.channel."));
            return;
        }

        var threadId = ThreadChannelName.Parse(channel, out var refusal, out var status);
        if (threadId is null)
        {
            Send(PusherFrames.SubscriptionError(channel, status == 400 ? "InvalidChannel" : "ChannelRefused", refusal!, status));
            return;
        }

        if (!ChannelSignature.IsValid(auth, _options.AppKey!, _options.AppSecret!, SocketId, channel))
        {
            LogRefused(SocketId, channel);
            Send(PusherFrames.SubscriptionError(channel, "AuthError",
                auth is null ? "Private channels need data.auth from the app's /broadcasting/auth." : "Invalid signature: the auth does not sign this socket id and channel with this app's secret.",
                401));
            return;
        }

        lock (_channels)
        {
            if (_channels.ContainsKey(channel))
            {
                Send(PusherFrames.SubscriptionSucceeded(channel));
                return;
            }

            if (_retrying.ContainsKey(channel))
            {
                return; // answered once its join lands
            }

            if (_channels.Count + _retrying.Count >= _options.MaxChannelsPerConnection)
            {
                Send(PusherFrames.SubscriptionError(channel, "LimitExceeded", $"A connection may hold at most {_options.MaxChannelsPerConnection} channels.", 429));
                return;
            }
        }

        _transport.Hold(threadId);
        if (!await TryJoin(channel, threadId))
        {
            // pusher-js waits for the answer with no time limit, and never sends this subscribe again on this socket.
            // So the channel stays pending while the join is retried, and the socket's other channels go on.
            bool start;
            lock (_channels)
            {
                _retrying[channel] = threadId;
                start = !_retryingJoins;
                _retryingJoins = true;
            }

            if (start)
            {
                _ = RetryJoins(_lifetime.Token);
            }
        }
    }

    /// <summary>Joins the thread and confirms the channel; false when the cluster did not answer.</summary>
    private async Task<bool> TryJoin(string channel, string threadId)
    {
        JoinResult joined;
        try
        {
            joined = await _fanout.Join(_viewer!, threadId);
        }
        catch (Exception ex)
        {
            LogJoinFailed(ex, threadId);
            return false;
        }

        // Checked once joined, before anything of the channel is sent: a removal from now on closes this socket as it
        // does the others on the thread.
        if (joined != JoinResult.ConnectionClosed)
        {
            TimeSpan? sinceNarrowed;
            try
            {
                sinceNarrowed = await _grains.GetGrain<IThreadGrain>(threadId).SinceAccessNarrowed();
            }
            catch (Exception ex)
            {
                LogJoinFailed(ex, threadId);
                // Unconfirmed, it must not stay in the thread while its join is retried. Leaving takes it out of the
                // thread's viewers at once; only the relay's unsubscribe can fail, which the channel's release logs.
                try
                {
                    await _fanout.Leave(_viewer!, threadId);
                }
                catch (Exception leaving)
                {
                    LogJoinFailed(leaving, threadId);
                }

                // What the first join held is cut off by the leave; the retried join starts afresh, as a new subscribe.
                _transport.Hold(threadId);
                return false;
            }

            // Measured after the answer, the socket's age errs towards older, so towards asking again.
            if (sinceNarrowed <= _time.GetUtcNow() - OpenedAt)
            {
                // The signature may date from before someone lost access; the app decides again for a new socket.
                Close(PusherCloseCodes.ReconnectImmediately, PusherCloseCodes.Reason(
                    $"Access to {channel} changed since this socket opened; reconnect and authorize its channels again.",
                    "Access to a channel changed since this socket opened; reconnect and authorize its channels again."));
                return true;
            }
        }

        lock (_channels)
        {
            _retrying.Remove(channel);
            if (joined != JoinResult.ConnectionClosed)
            {
                _channels[channel] = threadId;
            }
        }

        if (joined == JoinResult.ConnectionClosed)
        {
            _transport.Forget(threadId);
        }
        else
        {
            _transport.Confirm(threadId, channel);
        }

        return true;
    }

    private async Task RetryJoins(CancellationToken closed)
    {
        try
        {
            for (var round = 0; ; round++)
            {
                await Task.Delay(JoinRetryDelays[Math.Min(round, JoinRetryDelays.Length - 1)], _time, closed);
                KeyValuePair<string, string>[] due;
                lock (_channels)
                {
                    if (_retrying.Count == 0)
                    {
                        _retryingJoins = false;
                        return;
                    }

                    due = [.. _retrying];
                }

                foreach (var (channel, threadId) in due)
                {
                    await WithMembership(async () =>
                    {
                        lock (_channels)
                        {
                            if (_retrying.GetValueOrDefault(channel) != threadId)
                            {
                                return; // unsubscribed meanwhile
                            }
                        }

                        await TryJoin(channel, threadId);
                    }, closed);
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
        {
            // The socket closed; leaving its threads is the connection's own.
        }
    }

    /// <summary>
    /// Runs a join or leave after the ones before it, while the receive loop reads on: a join the cluster is slow to
    /// answer must not leave the client's pongs unread, or the activity check would close a live socket (4201). Past
    /// <see cref="MaxQueuedMembershipChanges"/> waiting, the loop waits too, so a client that floods unsubscribes
    /// (which the rate exempts) is held back by its socket rather than queueing without bound.
    /// </summary>
    private Task OffTheReceiveLoop(Func<Task> change)
    {
        var running = ChangeMembership(change);
        return Volatile.Read(ref _queuedMembershipChanges) > MaxQueuedMembershipChanges ? running : Task.CompletedTask;
    }

    private async Task ChangeMembership(Func<Task> change)
    {
        Interlocked.Increment(ref _queuedMembershipChanges);
        try
        {
            await WithMembership(change, _lifetime.Token);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
        {
            // The socket closed first; leaving its threads is the connection's own.
        }
        catch (Exception ex)
        {
            LogMembershipFailed(ex, SocketId);
        }
        finally
        {
            Interlocked.Decrement(ref _queuedMembershipChanges);
        }
    }

    private async Task WithMembership(Func<Task> change, CancellationToken cancellationToken = default)
    {
        await _membership.WaitAsync(cancellationToken);
        try
        {
            await change();
        }
        finally
        {
            _membership.Release();
        }
    }

    private async Task Unsubscribe(string? channel)
    {
        string? threadId;
        lock (_channels)
        {
            if (channel is not null && _retrying.Remove(channel, out var retried))
            {
                // Its join never landed: nothing to leave, and its retry stops.
                _transport.Forget(retried);
                return;
            }

            if (channel is null || !_channels.Remove(channel, out threadId))
            {
                return;
            }
        }

        try
        {
            await _fanout.Leave(_viewer!, threadId);
        }
        catch (Exception ex)
        {
            LogLeaveFailed(ex, threadId);
        }
    }

    private async Task LeaveAll()
    {
        lock (_channels)
        {
            _channels.Clear();
            _retrying.Clear();
        }

        if (_viewer is { } viewer)
        {
            await _fanout.Disconnect(viewer);
        }
    }

    private async Task WriteLoop()
    {
        var reader = _outbound.Reader;
        try
        {
            while (await reader.WaitToReadAsync(_lifetime.Token) && !_abandonQueue)
            {
                while (!_abandonQueue && reader.TryRead(out var item))
                {
                    foreach (var frame in item.Frames)
                    {
                        await _socket.SendAsync(frame, WebSocketMessageType.Text, endOfMessage: true, _lifetime.Token);
                    }

                    item.Written?.TrySetResult();
                }
            }

            if (_close is { } close && _socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                await _socket.CloseOutputAsync((WebSocketCloseStatus)close.Code, close.Reason, _lifetime.Token);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The socket is gone, or was aborted after the close grace; the receive loop ends the connection.
        }
    }

    /// <summary>Frames for the socket; <see cref="Written"/> completes once they are on it (for the fan-out's writes).</summary>
    private readonly record struct Outbound(ReadOnlyMemory<byte>[] Frames, TaskCompletionSource? Written);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A subscribe or unsubscribe of socket {SocketId} failed.")]
    private partial void LogMembershipFailed(Exception exception, string socketId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Pusher socket {SocketId} fell {Limit} messages behind; closing it with 4100.")]
    private partial void LogBehind(string socketId, int limit);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Pusher socket {SocketId} was refused {Channel}: bad signature.")]
    private partial void LogRefused(string socketId, string channel);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Pusher socket {SocketId} sent too many messages; dropped {Event}.")]
    private partial void LogRateLimited(string socketId, string @event);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Joining thread {ThreadId} for a Pusher client failed; its channel stays pending and the join is tried again.")]
    private partial void LogJoinFailed(Exception exception, string threadId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Leaving thread {ThreadId} for a Pusher client failed.")]
    private partial void LogLeaveFailed(Exception exception, string threadId);
}
