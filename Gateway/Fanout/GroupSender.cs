using Microsoft.AspNetCore.SignalR;
using ReHome.Gateway.Hubs;
using ReHome.Gateway.Telemetry;

namespace ReHome.Gateway.Fanout;

/// <summary>
/// Sends a thread's messages to its SignalR group with adaptive batching: while one send is in flight, new
/// messages queue, and the next send carries them all as <c>agent.thread.tokens</c>. A lone message goes as
/// <c>agent.thread.token</c>, so an idle thread keeps single-message latency.
/// </summary>
internal sealed partial class GroupSender(IHubContext<AgentHub> hub, string group, GatewayMetrics metrics, TimeProvider time, ILogger logger)
{
    private readonly object _lock = new();
    private readonly List<TokenMessage> _queue = [];
    private readonly List<DateTime> _appendedAt = [];
    private bool _sending;

    /// <param name="appendedAt">When the grain numbered these, for the delivery-delay histogram.</param>
    public void Enqueue(ReadOnlySpan<TokenMessage> messages, DateTime? appendedAt)
    {
        lock (_lock)
        {
            _queue.AddRange(messages);
            if (appendedAt is { } at)
            {
                _appendedAt.Add(at);
            }

            if (_sending)
            {
                return;
            }

            _sending = true;
        }

        _ = Task.Run(SendQueued);
    }

    private async Task SendQueued()
    {
        while (true)
        {
            TokenMessage[] batch;
            DateTime[] appendedAt;
            lock (_lock)
            {
                if (_queue.Count == 0)
                {
                    _sending = false;
                    return;
                }

                batch = [.. _queue];
                appendedAt = [.. _appendedAt];
                _queue.Clear();
                _appendedAt.Clear();
            }

            try
            {
                var clients = hub.Clients.Group(group);
                await (batch.Length == 1
                    ? clients.SendAsync(ClientMethods.Token, batch[0])
                    : clients.SendAsync(ClientMethods.Tokens, batch));
            }
            catch (Exception ex)
            {
                // A failed write is a lost message for some viewers; their sequence check and GetTokens recover it.
                LogSendFailed(ex, group, batch.Length);
            }

            var now = time.GetUtcNow().UtcDateTime;
            metrics.Delivered(batch.Length, appendedAt.Length == 0 ? null : now - appendedAt[0]);
            for (var i = 1; i < appendedAt.Length; i++)
            {
                metrics.Delivered(0, now - appendedAt[i]);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sending {Count} messages to {Group} failed.")]
    private partial void LogSendFailed(Exception exception, string group, int count);
}
