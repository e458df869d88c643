using System.Collections.Concurrent;
using Microsoft.AspNetCore.SignalR;
using ReHome.Gateway.Hubs;
using ReHome.Gateway.Telemetry;

namespace ReHome.Gateway.Fanout;

/// <summary>
/// Holds one Orleans subscription per thread that has at least one local connection. Each gateway instance
/// subscribes for itself, so no SignalR backplane is needed.
/// </summary>
internal sealed class ThreadFanout
{
    private readonly ConcurrentDictionary<string, ThreadChannel> _channels = new();
    private readonly IClusterClient _cluster;
    private readonly IHubContext<AgentHub> _hub;
    private readonly GatewayMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger<ThreadFanout> _logger;
    private readonly IThreadFeedTap _tap;

    public ThreadFanout(IClusterClient cluster, IHubContext<AgentHub> hub, GatewayMetrics metrics, TimeProvider time, ILogger<ThreadFanout> logger, IThreadFeedTap tap)
    {
        _tap = tap;
        _cluster = cluster;
        _hub = hub;
        _metrics = metrics;
        _time = time;
        _logger = logger;
        metrics.ObserveSubscriptions(() => _channels.Values.Count(c => c.IsSubscribed));
    }

    public IEnumerable<ThreadChannel> Channels => _channels.Values;

    public async Task Join(string threadId)
    {
        while (!await _channels.GetOrAdd(threadId, Open).Acquire())
        {
            // The last leave closed that channel between lookup and acquire; it is being removed.
            await Task.Yield();
        }
    }

    public async Task Leave(string threadId)
    {
        if (_channels.TryGetValue(threadId, out var channel) && await channel.Release())
        {
            _channels.TryRemove(new KeyValuePair<string, ThreadChannel>(threadId, channel));
        }
    }

    private ThreadChannel Open(string threadId) => new(
        threadId,
        _cluster,
        new GroupSender(_hub, AgentHub.Group(threadId), _metrics, _time, _logger, threadId, _tap),
        _metrics,
        _time,
        _logger);
}
