using System.Runtime.InteropServices;
using Microsoft.AspNetCore.SignalR;
using ReHome.Gateway.Hubs;
using ReHome.Gateway.Telemetry;

namespace ReHome.Gateway.Fanout;

/// <summary>
/// Sends a thread's messages to its SignalR group with adaptive batching: while one send is in flight, new
/// messages queue, and the next send carries them all as <c>agent.thread.tokens</c>. A lone message goes as
/// <c>agent.thread.token</c>, so an idle thread keeps single-message latency.
/// </summary>
/// <remarks>
/// Two buffers take turns (one filling, one being sent), so a busy thread allocates no array per send.
/// </remarks>
internal sealed partial class GroupSender
{
    private readonly object _lock = new();
    private readonly IHubContext<AgentHub> _hub;
    private readonly string _group;
    private readonly GatewayMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Func<Task> _sendQueued;
    private readonly string _threadId;
    private readonly IThreadFeedTap _tap;
    private List<TokenMessage> _queue = [];
    private List<TokenMessage> _sendingQueue = [];
    private List<DateTime> _appendedAt = [];
    private List<DateTime> _sendingAppendedAt = [];
    private bool _sending;
    private readonly SendTraces _traces = new();

    public GroupSender(IHubContext<AgentHub> hub, string group, GatewayMetrics metrics, TimeProvider time, ILogger logger, string threadId, IThreadFeedTap tap)
    {
        _threadId = threadId;
        _tap = tap;
        _hub = hub;
        _group = group;
        _metrics = metrics;
        _time = time;
        _logger = logger;
        _sendQueued = SendQueued;
    }

    /// <param name="appendedAt">When the grain numbered these, for the delivery-delay histogram.</param>
    public void Enqueue(ReadOnlySpan<TokenMessage> messages, DateTime? appendedAt)
    {
        _tap.Publish(_threadId, messages);
        lock (_lock)
        {
            _queue.AddRange(messages);
            StartIfIdle(appendedAt);
        }
    }

    /// <summary>Queues tokens <paramref name="skip"/> onwards of a published batch, without an intermediate array.</summary>
    public void Enqueue(TokensAppended e, int skip)
    {
        lock (_lock)
        {
            var start = _queue.Count;
            for (var i = skip; i < e.Tokens.Length; i++)
            {
                _queue.Add(TokenMessage.ForToken(e, e.FirstSequence + i, e.Tokens[i]));
            }

            _tap.Publish(_threadId, CollectionsMarshal.AsSpan(_queue)[start..]);

            StartIfIdle(e.AppendedAt);
        }
    }

    private void StartIfIdle(DateTime? appendedAt)
    {
        if (appendedAt is { } at)
        {
            _appendedAt.Add(at);
        }

        _traces.Capture();

        if (!_sending)
        {
            _sending = true;
            _ = Task.Run(_sendQueued);
        }
    }

    private async Task SendQueued()
    {
        while (true)
        {
            List<TokenMessage> batch;
            List<DateTime> appendedAt;
            List<System.Diagnostics.ActivityContext>? traces;
            lock (_lock)
            {
                if (_queue.Count == 0)
                {
                    _sending = false;
                    return;
                }

                (batch, _queue, _sendingQueue) = (_queue, _sendingQueue, _queue);
                (appendedAt, _appendedAt, _sendingAppendedAt) = (_appendedAt, _sendingAppendedAt, _appendedAt);
                traces = _traces.Take();
            }

            using var span = SendTraces.StartSend(traces, _group, batch.Count);
            try
            {
                var clients = _hub.Clients.Group(_group);
                // A group send serializes and writes before it completes, so the buffer is free again afterwards.
                await (batch.Count == 1
                    ? clients.SendAsync(HubContract.TokenEvent, batch[0])
                    : clients.SendAsync(HubContract.TokensEvent, batch));
            }
            catch (Exception ex)
            {
                // A failed write is a lost message for some viewers; their sequence check and GetTokens recover it.
                LogSendFailed(ex, _group, batch.Count);
            }

            var now = _time.GetUtcNow().UtcDateTime;
            _metrics.Delivered(batch.Count, appendedAt.Count == 0 ? null : now - appendedAt[0]);
            for (var i = 1; i < appendedAt.Count; i++)
            {
                _metrics.Delivered(0, now - appendedAt[i]);
            }

            batch.Clear();
            appendedAt.Clear();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sending {Count} messages to {Group} failed.")]
    private partial void LogSendFailed(Exception exception, string group, int count);
}
