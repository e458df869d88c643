using ReHome.Gateway.Telemetry;

namespace ReHome.Gateway.Fanout;

/// <summary>
/// One connection as the fan-out sees it, whatever its protocol: the threads it joined, and its own bounded
/// <see cref="Outbox"/> with one write in flight at a time, so its slowness never delays another connection.
/// </summary>
/// <remarks>
/// A write that completes at once (the usual case) runs on the caller's thread, with no queueing; while a write
/// waits on the socket, what arrives queues. A full queue is cut and the connection told it is behind.
/// <see cref="DisconnectIfStalled"/> ends a connection that stayed behind, or whose socket took nothing, too long.
/// </remarks>
internal sealed partial class Viewer
{
    private readonly object _gate = new();
    private readonly HashSet<string> _threads = [];
    private readonly Outbox _outbox;
    private readonly IViewerTransport _transport;
    private readonly GatewayMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private bool _writing;
    private bool _closed;
    private bool _aborted;

    /// <summary>When its queue was cut, while it has not drained it since.</summary>
    private DateTimeOffset? _behindSince;

    /// <summary>When the write in flight started, while it waits on the socket.</summary>
    private DateTimeOffset? _waitingSince;

    public Viewer(string id, string? userId, IViewerTransport transport, int queueLimit, GatewayMetrics metrics, TimeProvider time, ILogger logger)
    {
        Id = id;
        UserId = userId;
        _transport = transport;
        _outbox = new Outbox(queueLimit);
        _metrics = metrics;
        _time = time;
        _logger = logger;
    }

    /// <summary>The connection id, for logs.</summary>
    public string Id { get; }

    /// <summary>
    /// The user whose access the thread's access list governs; null for a connection whose user the gateway does not
    /// know (a Pusher client, whose channels the app authorizes), which any access change to the thread takes out so
    /// that it authorizes again.
    /// </summary>
    public string? UserId { get; }

    public bool IsClosed
    {
        get
        {
            lock (_gate)
            {
                return _closed;
            }
        }
    }

    /// <summary>Its queue was cut and it has not drained it since.</summary>
    public bool IsBehind
    {
        get
        {
            lock (_gate)
            {
                return _behindSince is not null;
            }
        }
    }

    /// <summary>How many threads it has joined.</summary>
    public int ThreadCount
    {
        get
        {
            lock (_gate)
            {
                return _threads.Count;
            }
        }
    }

    public bool IsMember(string threadId)
    {
        lock (_gate)
        {
            return _threads.Contains(threadId);
        }
    }

    /// <summary>Records a membership; false when the connection already has it or has closed.</summary>
    public bool TryJoin(string threadId)
    {
        lock (_gate)
        {
            if (_closed || !_threads.Add(threadId))
            {
                return false;
            }
        }

        _metrics.ThreadJoined();
        return true;
    }

    /// <summary>Ends a membership and drops what is queued of the thread; false when there was none.</summary>
    public bool Leave(string threadId)
    {
        lock (_gate)
        {
            if (!_threads.Remove(threadId))
            {
                return false;
            }

            _outbox.RemoveThread(threadId);
        }

        _metrics.ThreadLeft();
        return true;
    }

    /// <summary>
    /// Ends a membership because the user lost access: nothing more of the thread reaches this connection, and it
    /// is told so (<c>agent.thread.revoked</c>). False when it was not a member.
    /// </summary>
    public bool Revoke(string threadId)
    {
        var notice = Outgoing.Of(new RevokedMessage(threadId));
        bool start;
        lock (_gate)
        {
            if (!_threads.Remove(threadId))
            {
                return false;
            }

            _outbox.RemoveThread(threadId);
            start = Enqueue(notice);
        }

        _metrics.ThreadLeft();
        _metrics.Revoked();
        LogRevoked(Id, UserId, threadId);
        if (start)
        {
            _ = Pump(notice);
        }

        return true;
    }

    /// <summary>The connection is gone: nothing more is sent. Returns the threads it had joined, for release.</summary>
    public string[] Close()
    {
        string[] held;
        lock (_gate)
        {
            _closed = true;
            held = [.. _threads];
            _threads.Clear();
            _outbox.Clear();
        }

        foreach (var _ in held)
        {
            _metrics.ThreadLeft();
        }

        return held;
    }

    /// <summary>Hands a batch of a thread to this connection, if it watches the thread. Never waits on the socket.</summary>
    public void Send(OutboundBatch batch)
    {
        lock (_gate)
        {
            // Checked under the lock that revocation takes, so nothing of a revoked thread follows its notice.
            if (!_threads.Contains(batch.ThreadId) || !Enqueue(Outgoing.Of(batch)))
            {
                return;
            }
        }

        _ = Pump(Outgoing.Of(batch));
    }

    /// <summary>Hands presence of a thread to this connection, if it watches the thread. Never waits on the socket.</summary>
    public void Send(PresenceMessage presence)
    {
        var item = Outgoing.Of(presence);
        lock (_gate)
        {
            if (!_threads.Contains(presence.ThreadId) || !Enqueue(item))
            {
                return;
            }
        }

        _ = Pump(item);
    }

    /// <summary>Queues an item, under the lock. True when no write is in flight: the caller writes it (outside the lock).</summary>
    private bool Enqueue(Outgoing item)
    {
        if (_closed || _aborted)
        {
            return false;
        }

        if (!_writing)
        {
            _writing = true;
            return true;
        }

        if (_outbox.Add(item))
        {
            FellBehind();
        }

        return false;
    }

    /// <summary>
    /// Disconnects the connection if it has stayed behind (its queue cut and not drained since), or if one write
    /// has waited on its socket, for longer than <paramref name="timeout"/>; true when it did. Called periodically.
    /// </summary>
    public bool DisconnectIfStalled(TimeSpan timeout)
    {
        var now = _time.GetUtcNow();
        string reason;
        int queued;
        lock (_gate)
        {
            if (_closed || _aborted)
            {
                return false;
            }

            if (now - _behindSince > timeout)
            {
                reason = "it stayed behind (its queue was full and it did not drain it)";
            }
            else if (now - _waitingSince > timeout)
            {
                reason = "its socket took no data";
            }
            else
            {
                return false;
            }

            _aborted = true;
            queued = _outbox.Count;
            _outbox.Clear();
        }

        _metrics.SlowDisconnected();
        LogDisconnecting(Id, UserId, reason, timeout, queued);
        _transport.Abort();
        return true;
    }

    /// <summary>Writes an item, then whatever queued meanwhile, until the outbox is empty. Synchronous while writes are.</summary>
    private async Task Pump(Outgoing item)
    {
        while (true)
        {
            try
            {
                var write = Write(item);
                if (write.IsCompleted)
                {
                    write.GetAwaiter().GetResult();
                }
                else
                {
                    Waiting(_time.GetUtcNow());
                    try
                    {
                        await write;
                    }
                    finally
                    {
                        Waiting(null);
                    }
                }
            }
            catch (Exception ex)
            {
                // The transports report a failed write by closing the connection; nothing to retry here.
                LogWriteFailed(ex, Id);
            }

            lock (_gate)
            {
                if (_closed || _aborted || !_outbox.TryTake(out item))
                {
                    _writing = false;
                    CaughtUp();
                    return;
                }
            }
        }
    }

    private void Waiting(DateTimeOffset? since)
    {
        lock (_gate)
        {
            _waitingSince = since;
        }
    }

    private ValueTask Write(Outgoing item) =>
        item.Batch is { } batch ? _transport.Send(batch)
        : item.Behind is { } behind ? _transport.Send(behind)
        : item.Revoked is { } revoked ? _transport.Send(revoked)
        : _transport.Send(item.Presence!);

    /// <summary>Under the lock: the outbox was full and was cut.</summary>
    private void FellBehind()
    {
        if (_behindSince is null)
        {
            _metrics.FellBehind();
            _behindSince = _time.GetUtcNow();
            LogBehind(Id, UserId);
        }
    }

    /// <summary>Under the lock: the outbox emptied, so the connection caught up.</summary>
    private void CaughtUp()
    {
        if (_behindSince is { } since)
        {
            LogCaughtUp(Id, UserId, _time.GetUtcNow() - since);
            _behindSince = null;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Connection {ConnectionId} (user {UserId}) fell behind: its outbound queue was full and was cut; it was sent agent.thread.behind and catches up with GetTokens.")]
    private partial void LogBehind(string connectionId, string? userId);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Connection {ConnectionId} (user {UserId}) caught up after {Elapsed}.")]
    private partial void LogCaughtUp(string connectionId, string? userId, TimeSpan elapsed);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Disconnecting connection {ConnectionId} (user {UserId}): {Reason} for more than {Timeout} ({Queued} messages queued). The client reconnects and resumes.")]
    private partial void LogDisconnecting(string connectionId, string? userId, string reason, TimeSpan timeout, int queued);

    [LoggerMessage(Level = LogLevel.Information, Message = "Connection {ConnectionId} (user {UserId}) left thread {ThreadId}: the user lost access.")]
    private partial void LogRevoked(string connectionId, string? userId, string threadId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Writing to connection {ConnectionId} failed.")]
    private partial void LogWriteFailed(Exception exception, string connectionId);
}
