namespace ReHome.Gateway.Hubs;

/// <summary>
/// The threads one connection joined. SignalR runs <c>OnDisconnectedAsync</c> without waiting for a hub method in
/// flight, so a join can finish after the disconnect: once closed, the set refuses it and the caller releases what
/// it took.
/// </summary>
internal sealed class ThreadMemberships
{
    private readonly HashSet<string> _threads = [];
    private bool _closed;

    public int Count
    {
        get
        {
            lock (_threads)
            {
                return _threads.Count;
            }
        }
    }

    public bool Contains(string threadId)
    {
        lock (_threads)
        {
            return _threads.Contains(threadId);
        }
    }

    /// <summary>False when the connection has already closed.</summary>
    public bool TryAdd(string threadId)
    {
        lock (_threads)
        {
            return !_closed && _threads.Add(threadId);
        }
    }

    public bool Remove(string threadId)
    {
        lock (_threads)
        {
            return _threads.Remove(threadId);
        }
    }

    /// <summary>Closes the set and returns what it held, for release.</summary>
    public string[] Close()
    {
        lock (_threads)
        {
            _closed = true;
            var held = _threads.ToArray();
            _threads.Clear();
            return held;
        }
    }
}
