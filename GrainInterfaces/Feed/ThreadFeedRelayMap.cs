using Orleans.Runtime;

namespace ReHome.Feed;

/// <summary>
/// Which relay carries a stream: a hash of the stream id over <c>Streams:QueueCount</c> relays. Silos and every
/// client must use the same count, or a gateway would subscribe at a relay its threads do not publish to.
/// </summary>
public sealed class ThreadFeedRelayMap
{
    private readonly string[] _keys;

    public ThreadFeedRelayMap(string providerName, int relayCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(relayCount, 1);
        _keys = [.. Enumerable.Range(0, relayCount).Select(n => $"{providerName}/{n}")];
    }

    public string KeyFor(StreamId stream)
    {
        // FNV-1a over the id's bytes: the same in every process and every .NET version, unlike string hashes.
        var hash = 2166136261u;
        foreach (var b in stream.FullKey.Span)
        {
            hash = (hash ^ b) * 16777619u;
        }

        return _keys[hash % (uint)_keys.Length];
    }
}
