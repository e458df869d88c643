using ReHome.Gateway.Telemetry;

namespace ReHome.Gateway.Fanout;

/// <summary>
/// Hands a thread's ordered messages to every connection watching it on this gateway, with adaptive batching:
/// while one batch is being handed out, new messages queue, and the next batch carries them all (sent as
/// <c>agent.thread.tokens</c>); a lone message goes alone (<c>agent.thread.token</c>), so an idle thread keeps
/// single-message latency. Handing out never waits on a socket: each <see cref="Viewer"/> queues for itself.
/// </summary>
internal sealed class ThreadDispatcher : IThreadOutput
{
    private readonly object _lock = new();
    private readonly string _threadId;
    private readonly GatewayMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly Action _dispatchQueued;
    private readonly List<TokenMessage> _queue = [];
    private List<DateTime> _appendedAt = [];
    private List<DateTime> _dispatchingAppendedAt = [];
    private readonly SendTraces _traces = new();
    private bool _dispatching;

    /// <summary>Copied on change, so a dispatch reads it without a lock.</summary>
    private Viewer[] _viewers = [];

    public ThreadDispatcher(string threadId, GatewayMetrics metrics, TimeProvider time)
    {
        _threadId = threadId;
        _metrics = metrics;
        _time = time;
        _dispatchQueued = DispatchQueued;
    }

    public IReadOnlyList<Viewer> Viewers => Volatile.Read(ref _viewers);

    public bool IsEmpty => Volatile.Read(ref _viewers).Length == 0;

    public void Add(Viewer viewer)
    {
        lock (_lock)
        {
            if (Array.IndexOf(_viewers, viewer) < 0)
            {
                _viewers = [.. _viewers, viewer];
            }
        }
    }

    /// <summary>False when the viewer was not there.</summary>
    public bool Remove(Viewer viewer)
    {
        lock (_lock)
        {
            var at = Array.IndexOf(_viewers, viewer);
            if (at < 0)
            {
                return false;
            }

            _viewers = [.. _viewers.AsSpan(0, at), .. _viewers.AsSpan(at + 1)];
            return true;
        }
    }

    public void Forward(TokensAppended published, int skip)
    {
        lock (_lock)
        {
            for (var i = skip; i < published.Tokens.Length; i++)
            {
                _queue.Add(TokenMessage.ForToken(published, published.FirstSequence + i, published.Tokens[i]));
            }

            // For the delivery-delay histogram: when the grain numbered these.
            _appendedAt.Add(published.AppendedAt);
            StartIfIdle();
        }
    }

    public void Forward(TokenMessage[] messages)
    {
        lock (_lock)
        {
            _queue.AddRange(messages);
            StartIfIdle();
        }
    }

    private void StartIfIdle()
    {
        _traces.Capture();
        if (!_dispatching)
        {
            _dispatching = true;
            _ = Task.Run(_dispatchQueued);
        }
    }

    private void DispatchQueued()
    {
        while (true)
        {
            OutboundBatch batch;
            List<DateTime> appendedAt;
            List<System.Diagnostics.ActivityContext>? traces;
            lock (_lock)
            {
                if (_queue.Count == 0)
                {
                    _dispatching = false;
                    return;
                }

                // Its own array: connections that are behind hold on to a batch after this loop moves on.
                batch = new OutboundBatch(_threadId, [.. _queue]);
                _queue.Clear();
                (appendedAt, _appendedAt, _dispatchingAppendedAt) = (_appendedAt, _dispatchingAppendedAt, _appendedAt);
                traces = _traces.Take();
            }

            var viewers = Volatile.Read(ref _viewers);
            using (SendTraces.StartDispatch(traces, _threadId, batch.Messages.Length, viewers.Length))
            {
                foreach (var viewer in viewers)
                {
                    viewer.Send(batch);
                }
            }

            var now = _time.GetUtcNow().UtcDateTime;
            _metrics.Delivered(batch.Messages.Length, appendedAt.Count == 0 ? null : now - appendedAt[0]);
            for (var i = 1; i < appendedAt.Count; i++)
            {
                _metrics.Delivered(0, now - appendedAt[i]);
            }

            appendedAt.Clear();
        }
    }
}
