using System.Collections.Concurrent;

namespace ReHome.Gateway.Quotas;

/// <summary>
/// Open connections per key on this gateway: hub connections per user, Pusher connections per client address. A
/// key's entry goes when its last connection does, so the table holds only keys with a connection open.
/// </summary>
internal sealed class ConnectionCounts
{
    private readonly ConcurrentDictionary<string, int> _open = new(StringComparer.Ordinal);

    public int Count(string key) => _open.TryGetValue(key, out var count) ? count : 0;

    /// <summary>Counts a connection in unless the key already holds <paramref name="limit"/>.</summary>
    public bool TryOpen(string key, int limit)
    {
        while (true)
        {
            if (_open.TryGetValue(key, out var count))
            {
                if (count >= limit)
                {
                    return false;
                }

                if (_open.TryUpdate(key, count + 1, count))
                {
                    return true;
                }
            }
            else if (_open.TryAdd(key, 1))
            {
                return true;
            }
        }
    }

    public void Close(string key)
    {
        while (_open.TryGetValue(key, out var count))
        {
            if (count == 1
                ? _open.TryRemove(new KeyValuePair<string, int>(key, 1))
                : _open.TryUpdate(key, count - 1, count))
            {
                return;
            }
        }
    }
}
