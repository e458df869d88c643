using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using ReHome.Gateway.Telemetry;

namespace ReHome.Gateway.Fanout;

/// <summary>
/// The gateway's fan-out: one Orleans subscription per thread that has at least one local viewer, delivering to
/// each viewer's own bounded queue. Each gateway subscribes for itself, so no SignalR backplane is needed. Any kind
/// of connection takes part through <see cref="Connect"/> and an <see cref="IViewerTransport"/>.
/// </summary>
internal sealed partial class ThreadFanout
{
    private readonly ConcurrentDictionary<string, ThreadChannel> _channels = new();
    private readonly ConcurrentDictionary<string, Viewer> _viewers = new();
    private readonly Lock _connecting = new();
    private TaskCompletionSource _anyViewer = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly IClusterClient _cluster;
    private readonly GatewayOptions _options;
    private readonly GatewayMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger<ThreadFanout> _logger;

    public ThreadFanout(IClusterClient cluster, IOptions<GatewayOptions> options, GatewayMetrics metrics, TimeProvider time, ILogger<ThreadFanout> logger)
    {
        _cluster = cluster;
        _options = options.Value;
        _metrics = metrics;
        _time = time;
        _logger = logger;
        metrics.ObserveSubscriptions(() => _channels.Values.Count(c => c.IsSubscribed));
    }

    public IEnumerable<ThreadChannel> Channels => _channels.Values;

    /// <summary>A connection (its id) was taken out of a thread because its user lost access: a leave it did not ask for.</summary>
    public event Action<string, string>? Revoked;

    /// <summary>Every connected viewer (enumerated live, without a copy).</summary>
    public IEnumerable<Viewer> Viewers
    {
        get
        {
            foreach (var (_, viewer) in _viewers)
            {
                yield return viewer;
            }
        }
    }

    /// <summary>A new connection, as a viewer of no thread yet. Call <see cref="Disconnect"/> when it ends.</summary>
    public Viewer Connect(string connectionId, string? userId, IViewerTransport transport)
    {
        var viewer = new Viewer(connectionId, userId, transport, _options.ConnectionQueueLimit, _metrics, _time, _logger);
        lock (_connecting)
        {
            _viewers[connectionId] = viewer;
            _anyViewer.TrySetResult();
        }

        return viewer;
    }

    /// <summary>
    /// Completes at once while a viewer is connected, else when the next one connects. The gateway's once-a-second
    /// loops wait on it, so a gateway nobody is connected to is not woken for them.
    /// </summary>
    public Task AnyViewer(CancellationToken cancellationToken)
    {
        lock (_connecting)
        {
            return _anyViewer.Task.WaitAsync(cancellationToken);
        }
    }

    /// <summary>The viewer of a connection not yet disconnected, or null.</summary>
    public Viewer? ViewerOf(string connectionId) => _viewers.GetValueOrDefault(connectionId);

    /// <summary>Makes the viewer watch a thread. The caller has checked that its user may.</summary>
    public async Task<JoinResult> Join(Viewer viewer, string threadId)
    {
        // The membership first, so every batch dispatched once the viewer is in the channel reaches it.
        if (!viewer.TryJoin(threadId))
        {
            return viewer.IsClosed ? JoinResult.ConnectionClosed : JoinResult.AlreadyJoined;
        }

        try
        {
            while (!await _channels.GetOrAdd(threadId, Open).Acquire(viewer))
            {
                // The last release closed that channel between lookup and acquire; it has been removed.
                await Task.Yield();
            }
        }
        catch
        {
            viewer.Leave(threadId);
            throw;
        }

        if (viewer.IsClosed)
        {
            // The connection closed while this join was subscribing; its disconnect did not see this membership.
            await Release(viewer, threadId);
            return JoinResult.ConnectionClosed;
        }

        return JoinResult.Joined;
    }

    public async Task Leave(Viewer viewer, string threadId)
    {
        if (viewer.Leave(threadId))
        {
            await Release(viewer, threadId);
        }
    }

    /// <summary>The viewer's connection ended: releases its threads and returns them.</summary>
    public async Task<string[]> Disconnect(Viewer viewer)
    {
        lock (_connecting)
        {
            if (_viewers.TryRemove(new KeyValuePair<string, Viewer>(viewer.Id, viewer)) && _viewers.IsEmpty)
            {
                _anyViewer = new(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }

        var threads = viewer.Close();
        foreach (var threadId in threads)
        {
            try
            {
                await Release(viewer, threadId);
            }
            catch (Exception ex)
            {
                LogReleaseFailed(ex, threadId);
            }
        }

        return threads;
    }

    /// <summary>Queues presence for every viewer of the thread on this gateway.</summary>
    public void SendPresence(PresenceMessage presence)
    {
        if (_channels.TryGetValue(presence.ThreadId, out var channel))
        {
            channel.SendPresence(presence);
        }
    }

    /// <summary>Queues presence for the named connections (those still watching its thread).</summary>
    public void SendPresence(IEnumerable<string> connectionIds, PresenceMessage presence)
    {
        foreach (var id in connectionIds)
        {
            if (_viewers.TryGetValue(id, out var viewer))
            {
                viewer.Send(presence);
            }
        }
    }

    private async Task Release(Viewer viewer, string threadId)
    {
        if (_channels.TryGetValue(threadId, out var channel))
        {
            await channel.Release(viewer);
        }
    }

    private ThreadChannel Open(string threadId) =>
        new(threadId, _cluster, _metrics, _time, _logger,
            closed => _channels.TryRemove(new KeyValuePair<string, ThreadChannel>(threadId, closed)),
            viewer => Revoked?.Invoke(viewer.Id, threadId));

    [LoggerMessage(Level = LogLevel.Warning, Message = "Releasing thread {ThreadId} after a disconnect failed.")]
    private partial void LogReleaseFailed(Exception exception, string threadId);
}
