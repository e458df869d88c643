using System.Collections.Concurrent;

namespace ReHome.Gateway.Quotas;

/// <summary>Open hub connections per user on this gateway; a user's entry goes when their last connection does.</summary>
internal sealed class UserConnections
{
    private readonly ConcurrentDictionary<string, int> _open = new(StringComparer.Ordinal);

    public int Count(string userId) => _open.TryGetValue(userId, out var count) ? count : 0;

    /// <summary>Counts a connection in unless the user already holds <paramref name="limit"/>.</summary>
    public bool TryOpen(string userId, int limit)
    {
        while (true)
        {
            if (_open.TryGetValue(userId, out var count))
            {
                if (count >= limit)
                {
                    return false;
                }

                if (_open.TryUpdate(userId, count + 1, count))
                {
                    return true;
                }
            }
            else if (_open.TryAdd(userId, 1))
            {
                return true;
            }
        }
    }

    public void Close(string userId)
    {
        while (_open.TryGetValue(userId, out var count))
        {
            if (count == 1
                ? _open.TryRemove(new KeyValuePair<string, int>(userId, 1))
                : _open.TryUpdate(userId, count - 1, count))
            {
                return;
            }
        }
    }
}
