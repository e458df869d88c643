using Orleans.Runtime;
using Orleans.Streams;

namespace ReHome.Feed;

/// <summary>
/// Orleans' queue cache for one feed queue, with one guard: a cursor is never placed at a position the cache has
/// already purged. Orleans' <see cref="Orleans.Providers.Streams.Common.SimpleQueueCache"/> keeps such a cursor
/// waiting for that position, and when newer entries arrive its refresh throws <see cref="QueueCacheMissException"/>
/// on every read of the queue, forever: the pulling agent then stops waking the other streams' subscribers behind it
/// and keeps "giving up reading" (seen after silo restarts, when a subscription registers with the position of an
/// entry purged meanwhile). Placed at the oldest entry still cached instead (or, with none, at the next one read),
/// the subscriber misses only what is gone, which the gateways fill from the stream grains.
/// </summary>
/// <remarks>The agent that owns the queue calls its cache from one thread at a time.</remarks>
internal sealed class ThreadFeedCache(IQueueCache inner) : IQueueCache
{
    /// <summary>The positions of the entries cached, oldest first (a queue numbers its entries in rising order).</summary>
    private readonly Queue<StreamSequenceToken> _cached = new();
    private StreamSequenceToken? _lastPurged;

    public void AddToCache(IList<IBatchContainer> messages)
    {
        inner.AddToCache(messages);
        foreach (var message in messages)
        {
            _cached.Enqueue(message.SequenceToken);
        }
    }

    public bool TryPurgeFromCache(out IList<IBatchContainer> purgedItems)
    {
        if (!inner.TryPurgeFromCache(out purgedItems!))
        {
            return false;
        }

        foreach (var purged in purgedItems)
        {
            if (_lastPurged is null || purged.SequenceToken.CompareTo(_lastPurged) > 0)
            {
                _lastPurged = purged.SequenceToken;
            }
        }

        while (_cached.TryPeek(out var oldest) && oldest.CompareTo(_lastPurged) <= 0)
        {
            _cached.Dequeue();
        }

        return true;
    }

    [Obsolete("Use TryGetCacheCursor instead.")]
    public IQueueCacheCursor GetCacheCursor(StreamId streamId, StreamSequenceToken? token) =>
        inner.GetCacheCursor(streamId, NotPurged(token));

    public QueueCacheCursorResult<IQueueCacheCursor> TryGetCacheCursor(StreamId streamId, StreamSequenceToken? token) =>
        inner.TryGetCacheCursor(streamId, NotPurged(token));

    public QueueCacheCursorResult<IQueueCacheCursor> TryGetCacheCursorAtPosition(StreamId streamId, StreamSubscriptionStartPosition startPosition) =>
        inner.TryGetCacheCursorAtPosition(streamId, startPosition);

    /// <summary>A position already purged becomes the oldest entry still cached, or, with none, the next one read.</summary>
    private StreamSequenceToken? NotPurged(StreamSequenceToken? token) =>
        token is not null && _lastPurged is not null && token.CompareTo(_lastPurged) <= 0
            ? (_cached.TryPeek(out var oldest) ? oldest : null)
            : token;

    public bool IsUnderPressure() => inner.IsUnderPressure();

    public int GetMaxAddCount() => inner.GetMaxAddCount();

    public void UpdateDeliveryProgress(StreamSequenceToken? earliestSubscriptionToken, DateTime utcNow) =>
        inner.UpdateDeliveryProgress(earliestSubscriptionToken, utcNow);
}
