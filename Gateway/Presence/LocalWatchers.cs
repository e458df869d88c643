using ReHome.Gateway.Fanout;

namespace ReHome.Gateway.Presence;

/// <summary>
/// Which users this gateway's connections watch, per thread: a user with three tabs on a thread is one watcher,
/// gone only when the last of them leaves. A change to a thread's set of users, and every join (the joining
/// connection is owed the current presence), makes a report due. Joins, leaves and disconnects come from the hub
/// (<see cref="PresenceHubFilter"/>); a connection the fan-out takes out of a thread on an access change leaves too.
/// </summary>
/// <remarks>
/// SignalR runs a disconnect without waiting for a hub method in flight, so a join can land after its connection
/// closed: a closed connection takes no joins.
/// </remarks>
internal sealed class LocalWatchers
{
    private readonly object _lock = new();
    private readonly Dictionary<string, Connection> _connections = [];
    private readonly Dictionary<string, Dictionary<string, int>> _threads = [];

    public LocalWatchers(ThreadFanout fanout) => fanout.Revoked += Left;

    /// <summary>A thread to report now: its set of local users changed, or a connection joined it.</summary>
    public event Action<string>? ReportDue;

    public void Connected(string connectionId, string userId)
    {
        lock (_lock)
        {
            _connections[connectionId] = new Connection(userId);
        }
    }

    public void Joined(string connectionId, string threadId)
    {
        lock (_lock)
        {
            if (!_connections.TryGetValue(connectionId, out var connection) || !connection.Threads.Add(threadId))
            {
                return;
            }

            Add(threadId, connection.UserId);
        }

        ReportDue?.Invoke(threadId);
    }

    public void Left(string connectionId, string threadId)
    {
        bool changed;
        lock (_lock)
        {
            if (!_connections.TryGetValue(connectionId, out var connection) || !connection.Threads.Remove(threadId))
            {
                return;
            }

            changed = Remove(threadId, connection.UserId);
        }

        Notify(changed, threadId);
    }

    public void Disconnected(string connectionId)
    {
        List<string> changed = [];
        lock (_lock)
        {
            if (!_connections.Remove(connectionId, out var connection))
            {
                return;
            }

            foreach (var threadId in connection.Threads)
            {
                if (Remove(threadId, connection.UserId))
                {
                    changed.Add(threadId);
                }
            }
        }

        changed.ForEach(threadId => Notify(true, threadId));
    }

    /// <summary>The distinct users watching the thread from this gateway (empty when none).</summary>
    public string[] Users(string threadId)
    {
        lock (_lock)
        {
            return _threads.TryGetValue(threadId, out var users) ? [.. users.Keys] : [];
        }
    }

    /// <summary>Every thread with a local watcher.</summary>
    public string[] Threads()
    {
        lock (_lock)
        {
            return [.. _threads.Keys];
        }
    }

    private void Add(string threadId, string userId)
    {
        if (!_threads.TryGetValue(threadId, out var users))
        {
            users = new Dictionary<string, int>(StringComparer.Ordinal);
            _threads[threadId] = users;
        }

        users[userId] = users.GetValueOrDefault(userId) + 1;
    }

    private bool Remove(string threadId, string userId)
    {
        var users = _threads[threadId];
        if (--users[userId] > 0)
        {
            return false;
        }

        users.Remove(userId);
        if (users.Count == 0)
        {
            _threads.Remove(threadId);
        }

        return true;
    }

    private void Notify(bool changed, string threadId)
    {
        if (changed)
        {
            ReportDue?.Invoke(threadId);
        }
    }

    private sealed class Connection(string userId)
    {
        public string UserId { get; } = userId;

        public HashSet<string> Threads { get; } = new(StringComparer.Ordinal);
    }
}
