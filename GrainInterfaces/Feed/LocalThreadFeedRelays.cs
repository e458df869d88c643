using System.Collections.Concurrent;

namespace ReHome.Feed;

/// <summary>
/// The thread-feed relays whose grain is active in this silo. A stream in the same silo publishes to such a relay
/// directly, without a grain call and its answer. Relays found nowhere here, and every relay in a client, are
/// reached by grain calls.
/// </summary>
public sealed class LocalThreadFeedRelays
{
    private readonly ConcurrentDictionary<string, ThreadFeedRelay> _relays = new();

    public void Add(string grainKey, ThreadFeedRelay relay) => _relays[grainKey] = relay;

    public void Remove(string grainKey, ThreadFeedRelay relay) => _relays.TryRemove(KeyValuePair.Create(grainKey, relay));

    public ThreadFeedRelay? Find(string grainKey) => _relays.GetValueOrDefault(grainKey);
}
