namespace ReHome.Gateway.Presence;

/// <summary>
/// Passes presence from the cluster to this gateway's watchers: each new version to the thread's watchers once (the
/// presence grain's change notices and the answers to this gateway's own reports both arrive here, in any order),
/// and the current one to connections that just joined and are owed it even when nothing changed.
/// </summary>
internal sealed class PresenceRelay(PresenceSender sender) : IPresenceObserver
{
    private readonly object _lock = new();

    /// <summary>The newest presence forwarded per thread: what a connection owed it gets when an older answer arrives.</summary>
    private readonly Dictionary<string, PresenceMessage> _forwarded = [];
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
        PresenceMessage newest;
        List<string>? owed;
        lock (_lock)
        {
            newer = !_forwarded.TryGetValue(snapshot.ThreadId, out var forwarded) || snapshot.Version > forwarded.Version;
            newest = newer ? _forwarded[snapshot.ThreadId] = PresenceMessage.From(snapshot) : forwarded!;
            _owed.Remove(snapshot.ThreadId, out owed);
        }

        if (newer)
        {
            // Every watcher of the thread, which includes the connections that were owed it.
            sender.ToThread(newest);
        }
        else if (owed is not null)
        {
            // An answer older than what the thread's watchers were sent (it was on its way while a change went out,
            // before these connections joined): they get the newest, not the answer, or they would keep it until the next change.
            sender.ToConnections(owed, newest);
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
}
