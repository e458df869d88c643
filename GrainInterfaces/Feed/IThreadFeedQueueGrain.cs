using Orleans.Concurrency;

namespace ReHome.Feed;

/// <summary>
/// One queue of the thread feeds, in memory, keyed <c>{provider}/{queue number}</c>. Producers enqueue; the one
/// pulling agent that owns the queue reads with a wait, so it hears of an entry as soon as it is queued instead of
/// polling on a short timer. Like Orleans' memory streams, what is queued is lost with the silo that holds it; the
/// gateways' gap fills recover it from the stream grains.
/// </summary>
[Alias("rehome.IThreadFeedQueueGrain")]
public interface IThreadFeedQueueGrain : IGrainWithStringKey
{
    /// <summary>Queues the entries in order; refused (nothing queued) when the queue is full.</summary>
    [Alias("Enqueue")]
    Task Enqueue(ThreadFeedEntry[] entries);

    /// <summary>
    /// Takes up to <paramref name="maxCount"/> entries (all when negative). When the queue is empty it waits up to
    /// <paramref name="wait"/> for one; a newer read makes an older waiting one return empty.
    /// </summary>
    [Alias("Dequeue"), AlwaysInterleave]
    Task<ThreadFeedRead> Dequeue(int maxCount, TimeSpan wait);
}
