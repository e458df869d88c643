namespace ReHome.Gateway.Presence;

/// <summary>
/// Passes presence from the cluster to this gateway's watchers: each new version to the thread's group once (the
/// presence grain's change notices and the answers to this gateway's own reports both arrive here, in any order),
/// and the current one to connections that just joined and are owed it even when nothing changed.
/// </summary>
internal sealed partial class PresenceRelay(PresenceSender sender, ILogger<PresenceRelay> logger) : IPresenceObserver
{
    private readonly object _lock = new();
    private readonly Dictionary<string, long> _forwarded = [];
    private readonly Dictionary<string, List<string>> _owed = [];

    /// <summary>A change notice from the presence grain.</summary>
    public Task PresenceChanged(PresenceSnapshot snapshot)
    {
        Offer(snapshot);
        return Task.CompletedTask;
    }

    /// <summary>The connection joined the thread: it gets the presence that the next report answers.</summary>
    public void Owe(string threadId, string connectionId)
    {
        lock (_lock)
        {
            if (!_owed.TryGetValue(threadId, out var connections))
            {
                _owed[threadId] = connections = [];
            }

            connections.Add(connectionId);
        }
    }

    public void Offer(PresenceSnapshot snapshot)
    {
        bool newer;
        List<string>? owed;
        lock (_lock)
        {
            newer = !_forwarded.TryGetValue(snapshot.ThreadId, out var forwarded) || snapshot.Version > forwarded;
            if (newer)
            {
                _forwarded[snapshot.ThreadId] = snapshot.Version;
            }

            _owed.Remove(snapshot.ThreadId, out owed);
        }

        var message = PresenceMessage.From(snapshot);
        if (newer)
        {
            // The whole group, which includes the connections that were owed it.
            _ = Send(sender.ToThread(snapshot.ThreadId, message), snapshot.ThreadId);
        }
        else if (owed is not null)
        {
            _ = Send(sender.ToConnections(owed, message), snapshot.ThreadId);
        }
    }

    /// <summary>No local watcher is left: the next one starts afresh.</summary>
    public void Forget(string threadId)
    {
        lock (_lock)
        {
            _forwarded.Remove(threadId);
            _owed.Remove(threadId);
        }
    }

    private async Task Send(Task send, string threadId)
    {
        try
        {
            await send;
        }
        catch (Exception ex)
        {
            LogSendFailed(ex, threadId);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sending the presence of thread {ThreadId} failed.")]
    private partial void LogSendFailed(Exception exception, string threadId);
}
