using System.Collections.Concurrent;

namespace ReHome.Feed;

/// <summary>
/// The thread-feed queues whose grain is active in this silo. A writer or a pulling agent in the same silo uses such a
/// queue directly: a lone token then costs the silo four Orleans messages fewer (the <c>Enqueue</c> call and the
/// waiting <c>Dequeue</c>, each with its reply, and their turns). Queues found nowhere here, and every queue in a
/// client, are reached by grain calls.
/// </summary>
public sealed class LocalThreadFeedQueues
{
    private readonly ConcurrentDictionary<string, ThreadFeedQueue> _queues = new();

    public void Add(string grainKey, ThreadFeedQueue queue) => _queues[grainKey] = queue;

    public void Remove(string grainKey, ThreadFeedQueue queue) => _queues.TryRemove(KeyValuePair.Create(grainKey, queue));

    public ThreadFeedQueue? Find(string grainKey) => _queues.GetValueOrDefault(grainKey);
}
